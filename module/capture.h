/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat capture: the guest's stage-1 translation registers (TTBR0/1_EL1, TCR_EL1,
 * MAIR_EL1, SCTLR_EL1) and PSTATE, read on demand in each vCPU's own thread (capture.c).
 */
#ifndef KVM_S2STAT_CAPTURE_H
#define KVM_S2STAT_CAPTURE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/types.h>

#include <kvm_s2stat/decode.h>

struct ftrace_regs;
struct kvm;

#define S2_CAP_USER_ROOTS	4	/* distinct (TTBR0, ASID) kept per vCPU */
#define S2_CAP_KERNEL_ROOTS	2	/* distinct (TTBR1 table, TCR) kept per vCPU */

/* One capture: the registers as the vCPU had them at that moment. */
struct s2_vcpu_regs {
	u64 ttbr0, ttbr1, tcr, mair, sctlr, pstate;
	u64 first_ns, last_ns;		/* first and last time seen (ktime_get_ns()) */
	u32 seen;			/* captures with this root */
};

/*
 * One vCPU.  Written only by that vCPU's own thread (hooks) while the capture is active, read
 * by the reader only after it ended.
 */
struct s2_cap_slot {
	/* captures at EL1, by TTBR1 table and TCR (a KPTI kernel's trampoline is another) */
	struct s2_vcpu_regs kern[S2_CAP_KERNEL_ROOTS];
	unsigned int nkern;
	struct s2_vcpu_regs user[S2_CAP_USER_ROOTS];	/* by TTBR0 table and ASID */
	unsigned int nuser;
	bool has_kernel;
	u32 captures, refused;		/* refused: MMU off, AArch32 EL1, nested virt */
};

/* The table base of a TTBRn_EL1 (BADDR, LPA2's high bits included; no ASID, no CnP). */
static inline u64 s2_ttbr_base(u64 ttbr)
{
	return ttbr & GENMASK_ULL(47, 1);
}

/* The ASID of a capture (TTBR1's with TCR_EL1.A1, else TTBR0's; 16 bits). */
static inline u16 s2_cap_asid(const struct s2_vcpu_regs *r)
{
	return ((r->tcr & S2_TCR_A1) ? r->ttbr1 : r->ttbr0) >> 48;
}

/* A capture of one VM's vCPUs, sized by the VM's vCPU count (at most KVM_MAX_VCPUS). */
struct s2_capture {
	struct kvm *kvm;		/* compared only */
	unsigned int nvcpus;
	atomic_t have_kernel;		/* slots with a kernel capture */
	struct s2_cap_slot slot[];
};

void s2_capture_init(void);
bool s2_capture_available(void);
int s2_capture_begin(void);
void s2_capture_end(void);
void s2_capture_hook(unsigned long ip, struct ftrace_regs *fregs);
int s2_capture_run(struct s2_capture *c, unsigned int min_ms, unsigned int max_ms);
bool s2_cap_same_user(const struct s2_vcpu_regs *a, const struct s2_vcpu_regs *b);
bool s2_cap_same_kernel(const struct s2_vcpu_regs *a, const struct s2_vcpu_regs *b);

#endif /* KVM_S2STAT_CAPTURE_H */
