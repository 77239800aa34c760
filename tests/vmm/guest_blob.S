/* SPDX-License-Identifier: GPL-2.0 */
/* The guest program (guest.bin, built from guest.S) as data of s2vmm. */
	.section .rodata
	.balign	16
	.globl	guest_blob, guest_blob_end
guest_blob:
	.incbin	"guest.bin"
guest_blob_end:
	.section .note.GNU-stack, "", %progbits
