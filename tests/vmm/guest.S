/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s2vmm guest program: EL1h, DAIF masked, MMU off, loaded at the start of slot 0.
 * Position independent; assembled to a raw blob (objcopy -O binary) that is embedded in
 * s2vmm.  Register interface (set by the VMM with KVM_SET_ONE_REG before every range):
 *   x0 doorbell GPA (unbacked: the store exits to the VMM), x1 first GPA, x2 stride,
 *   x3 count, x4 0 = read / else write WRITE_TAG | GPA.
 * Layout: entry at 0x0, vector table at 0x800 (VBAR_EL1 is 2 KiB aligned); 4 KiB total.
 */
	.text
	.globl	_start
_start:
	nop				/* KVM may skip it when it completes the last doorbell store */
	adr	x7, vectors
	msr	vbar_el1, x7
	isb
	movz	x5, #0x5332, lsl #48	/* WRITE_TAG */
loop:
	cbz	x3, ring
	cbnz	x4, write
	ldr	x6, [x1]		/* the one read of this page */
	b	next
write:
	orr	x6, x1, x5
	str	x6, [x1]		/* the one write of this page */
next:
	add	x1, x1, x2
	sub	x3, x3, #1
	b	loop
ring:
	str	x3, [x0]		/* doorbell: KVM_EXIT_MMIO, the range is done */
	b	ring

	/* Every exception: report ESR_EL1 through a store to doorbell + 8, forever. */
	.balign	2048
vectors:
	.rept	16
	mrs	x7, esr_el1
	str	x7, [x0, #8]
	b	vectors
	.balign	128
	.endr
