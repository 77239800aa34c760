/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat: every kernel-version difference, in one place.
 *
 *  6.1 - 6.8   enum kvm_pgtable_prot X,W,R,DEVICE = bits 0-3; no NORMAL_NC
 *  6.2         kvm_pgtable_stage2_map() gains a 7th argument (flags); we read only 1-5
 *  6.3         kvm_pgtable::pgd becomes an RCU kvm_pteref_t; start_level becomes s8
 *  6.9         KVM_PGTABLE_PROT_NORMAL_NC (vfio-pci BARs, VM_ALLOW_ANY_UNCACHED); LPA2
 *  6.14        protected mode maps guests through pkvm_pgtable_stage2_*() (KVM_PGT_FN), and
 *              the guest's table is owned by the hypervisor (not walkable from the host)
 *  6.19        prot X splits into PX/UX and moves R/W/DEVICE/NORMAL_NC up; descriptors use
 *              XN[1:0] (FEAT_XNX); teardown is _destroy_range() + _destroy_pgd()
 */
#ifndef KVM_S2STAT_COMPAT_H
#define KVM_S2STAT_COMPAT_H

#include <linux/version.h>
#include <linux/rcupdate.h>
#include <linux/kvm_host.h>
#include <asm/kvm_pgtable.h>

/* The one version test; everything below is expressed with it. */
#define S2_KERNEL_AT_LEAST(major, minor) \
	(KERNEL_VERSION(major, minor, 0) <= LINUX_VERSION_CODE)

#if !S2_KERNEL_AT_LEAST(6, 1)
#error "kvm_s2stat supports Linux 6.1 and later"
#endif

#ifdef CONFIG_PREEMPT_RT
#error "kvm_s2stat does not support PREEMPT_RT: its probes allocate with GFP_ATOMIC"
#endif

/* enum kvm_pgtable_prot, by the header's own names. */
#if S2_KERNEL_AT_LEAST(6, 19)
#define S2_PROT_PX	KVM_PGTABLE_PROT_PX
#define S2_PROT_UX	KVM_PGTABLE_PROT_UX
#define S2_DESC_XNX	true
#else
#define S2_PROT_PX	KVM_PGTABLE_PROT_X
#define S2_PROT_UX	KVM_PGTABLE_PROT_X
#define S2_DESC_XNX	false
#endif

#if S2_KERNEL_AT_LEAST(6, 9)
#define S2_PROT_NORMAL_NC	KVM_PGTABLE_PROT_NORMAL_NC
#define s2_lpa2_enabled()	kvm_lpa2_is_enabled()
#else
#define S2_PROT_NORMAL_NC	0
#define s2_lpa2_enabled()	false
#endif

#define S2_PROT_LAYOUT_INIT {					\
	.r = KVM_PGTABLE_PROT_R,				\
	.w = KVM_PGTABLE_PROT_W,				\
	.px = S2_PROT_PX,					\
	.ux = S2_PROT_UX,					\
	.device = KVM_PGTABLE_PROT_DEVICE,			\
	.normal_nc = S2_PROT_NORMAL_NC,				\
}

/* The root table of a stage-2 page table (caller holds kvm->mmu_lock). */
static inline u64 *s2_pgt_pgd(struct kvm_pgtable *pgt)
{
#if S2_KERNEL_AT_LEAST(6, 3)
	return (u64 *)rcu_dereference_raw(pgt->pgd);
#else
	return (u64 *)pgt->pgd;
#endif
}

static inline int s2_pgt_start_level(struct kvm_pgtable *pgt)
{
	return (int)pgt->start_level;
}

/* The host cannot walk a guest table the pKVM hypervisor owns (6.14+ protected mode). */
static inline bool s2_tables_walkable(void)
{
#if S2_KERNEL_AT_LEAST(6, 14)
	return !is_protected_kvm_enabled();
#else
	return true;
#endif
}

/*
 * How the map and permission-relax calls (the fault path) are hooked: fprobe where the
 * kernel has the function-graph based fprobe with ftrace_regs (6.14+) built in, since its
 * entry and return hooks cost no exception (docs/performance.md); kretprobes elsewhere.
 */
#if S2_KERNEL_AT_LEAST(6, 14) && IS_ENABLED(CONFIG_FPROBE) && \
	IS_ENABLED(CONFIG_HAVE_FUNCTION_GRAPH_FREGS)
#define S2_RET_FPROBE	1
#else
#define S2_RET_FPROBE	0
#endif

/* What a probed function tells us. */
enum s2_event {
	S2_EV_MAP,		/* (pgt, ipa, size, phys, prot, ...) -> int */
	S2_EV_UNMAP,		/* (pgt, ipa, size) */
	S2_EV_DESTROY,		/* (pgt): every mapping is gone */
	S2_EV_RELAX,		/* (pgt, ipa, prot, ...) -> int: adds permissions to one leaf */
	S2_EV_WRPROTECT,	/* (pgt, ipa, size): removes write permission */
	S2_EV_VM_GONE,		/* (kvm): KVM destroys the VM */
};

/* When a probe is needed. */
enum s2_need {
	S2_NEED_ALWAYS,
	S2_NEED_PKVM,		/* only when the guest tables go through pkvm_*() */
};

struct s2_probe_def {
	const char *symbol;
	enum s2_event ev;
	enum s2_need need;
};

#define S2_PROBE(sym, ev, need) { #sym, S2_EV_##ev, S2_NEED_##need }

#ifdef S2_COMPAT_PROBE_DEFS	/* probes.c only */
static const struct s2_probe_def s2_probe_defs[] = {
	S2_PROBE(kvm_pgtable_stage2_map, MAP, ALWAYS),
	S2_PROBE(kvm_pgtable_stage2_unmap, UNMAP, ALWAYS),
	S2_PROBE(kvm_pgtable_stage2_relax_perms, RELAX, ALWAYS),
	S2_PROBE(kvm_pgtable_stage2_wrprotect, WRPROTECT, ALWAYS),
#if S2_KERNEL_AT_LEAST(6, 19)
	/*
	 * Teardown calls _destroy_range() once per 1 GiB of IPA space (4M calls for a 52-bit
	 * VM) on a table already unlinked from the VM, then _destroy_pgd(): only the latter is
	 * probed, and it clears everything.
	 */
	S2_PROBE(kvm_pgtable_stage2_destroy_pgd, DESTROY, ALWAYS),
#else
	S2_PROBE(kvm_pgtable_stage2_destroy, DESTROY, ALWAYS),
#endif
#if S2_KERNEL_AT_LEAST(6, 14)
	S2_PROBE(pkvm_pgtable_stage2_map, MAP, PKVM),
	S2_PROBE(pkvm_pgtable_stage2_unmap, UNMAP, PKVM),
	S2_PROBE(pkvm_pgtable_stage2_relax_perms, RELAX, PKVM),
	S2_PROBE(pkvm_pgtable_stage2_wrprotect, WRPROTECT, PKVM),
#if S2_KERNEL_AT_LEAST(6, 19)
	S2_PROBE(pkvm_pgtable_stage2_destroy_pgd, DESTROY, PKVM),
#else
	S2_PROBE(pkvm_pgtable_stage2_destroy, DESTROY, PKVM),
#endif
#endif
	S2_PROBE(kvm_arch_destroy_vm, VM_GONE, ALWAYS),
};
#endif

static inline bool s2_need_pkvm(void)
{
#if S2_KERNEL_AT_LEAST(6, 14)
	return is_protected_kvm_enabled();
#else
	return false;
#endif
}

#endif /* KVM_S2STAT_COMPAT_H */
