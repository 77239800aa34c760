/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat: every kernel-version difference, in one place.
 *
 *  6.1 - 6.8   enum kvm_pgtable_prot X,W,R,DEVICE = bits 0-3; no NORMAL_NC
 *  6.2         kvm_pgtable_stage2_map() gains a 7th argument (flags); arm64 ftrace passes
 *              arguments in struct ftrace_regs (DYNAMIC_FTRACE_WITH_ARGS; 6.1: pt_regs)
 *  6.3         kvm_pgtable::pgd becomes an RCU kvm_pteref_t; start_level becomes s8
 *  6.5         kvm_pgtable_stage2_split() (eager page splitting for dirty logging)
 *  6.9         KVM_PGTABLE_PROT_NORMAL_NC (vfio-pci BARs, VM_ALLOW_ANY_UNCACHED); LPA2
 *  6.14        protected mode maps guests through pkvm_pgtable_stage2_*() (KVM_PGT_FN), and
 *              the guest's table is owned by the hypervisor (not readable from the host);
 *              relax_perms() gains flags
 *  6.17        cacheable PFNMAP (device memory mapped Normal: its prot has no device bit)
 *  6.19        prot X splits into PX/UX and moves R/W/DEVICE/NORMAL_NC up; descriptors use
 *              XN[1:0] (FEAT_XNX); teardown is _destroy_range() + _destroy_pgd()
 *
 * For the effective memory types (capture.c, effective.c): get_user_pages_remote() loses its
 * vmas argument in 6.5; nested virtualisation (asm/kvm_nested.h, vcpu_has_nv()) arrives in
 * 6.3-6.8 and puts EL1 registers behind ctxt_sys_reg() (VNCR page); VM_ALLOW_ANY_UNCACHED
 * (6.9) and cacheable PFNMAP (6.17) decide what a device page will get at stage 2.
 *
 * Every hooked function's prototype is checked against the kernel's own declaration at build
 * time (S2_CHECK_PROTO below): a kernel that changes one fails the build, not the host.
 */
#ifndef KVM_S2STAT_COMPAT_H
#define KVM_S2STAT_COMPAT_H

#include <linux/bitfield.h>
#include <linux/build_bug.h>
#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/version.h>
#include <asm/kvm_pgtable.h>
#include <asm/virt.h>

#include <kvm_s2stat/decode.h>

/* The one version test; everything below is expressed with it. */
#define S2_KERNEL_AT_LEAST(major, minor) \
	(KERNEL_VERSION(major, minor, 0) <= LINUX_VERSION_CODE)

#if !S2_KERNEL_AT_LEAST(6, 1)
#error "kvm_s2stat supports Linux 6.1 and later"
#endif

#ifdef CONFIG_PREEMPT_RT
#error "kvm_s2stat does not support PREEMPT_RT: its hooks take raw spinlocks around tree updates"
#endif

/*
 * Return-address signing only where the return address is saved (hooks.c's callback: no
 * frame, its calls are tail calls), not in every function as 6.1's pac-ret+leaf asks: a
 * frame, should one appear (sanitizers, a change), is still signed.
 */
#if defined(CONFIG_ARM64_PTR_AUTH_KERNEL) && defined(CONFIG_ARM64_BTI_KERNEL)
#define S2_SIGN_IF_SAVED	__attribute__((target("branch-protection=pac-ret+bti")))
#elif defined(CONFIG_ARM64_PTR_AUTH_KERNEL)
#define S2_SIGN_IF_SAVED	__attribute__((target("branch-protection=pac-ret")))
#else
#define S2_SIGN_IF_SAVED
#endif

#if !IS_ENABLED(CONFIG_DYNAMIC_FTRACE)
#error "kvm_s2stat needs CONFIG_DYNAMIC_FTRACE (its hooks are ftrace callbacks)"
#endif

#if S2_KERNEL_AT_LEAST(6, 14)
#include <asm/kvm_pkvm.h>
#endif
#include <asm/kvm_emulate.h>	/* and asm/kvm_nested.h (vcpu_has_nv()) where it exists */
#include <asm/kvm_mmu.h>

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

/* Since 6.9 vfio-pci marks its BAR mmaps "any uncached type allowed": KVM maps them NC. */
#if S2_KERNEL_AT_LEAST(6, 9)
#define S2_VM_ALLOW_ANY_UNCACHED	VM_ALLOW_ANY_UNCACHED
#else
#define S2_VM_ALLOW_ANY_UNCACHED	0
#endif

/*
 * The vfio_device behind a VFIO device file, to be compared, never followed: 6.1 keeps it in
 * private_data; 6.2+ keeps a struct vfio_device_file (drivers/vfio/vfio.h, not exported)
 * whose first member is it.
 */
static inline const void *s2_vfio_file_device(struct file *f)
{
#if S2_KERNEL_AT_LEAST(6, 2)
	return *(const void * const *)f->private_data;
#else
	return f->private_data;
#endif
}

/*
 * Since 6.17 KVM maps cacheable PFNMAP memory Normal: a map whose prot has no device bit may
 * still be device memory, and only its PFN tells.  Before, the prot alone decides.
 */
#define S2_CACHEABLE_PFNMAP	S2_KERNEL_AT_LEAST(6, 17)

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

/* The host cannot read a guest table the pKVM hypervisor owns (6.14+ protected mode). */
static inline bool s2_tables_walkable(void)
{
#if S2_KERNEL_AT_LEAST(6, 14)
	return !is_protected_kvm_enabled();
#else
	return true;
#endif
}

static inline bool s2_need_pkvm(void)
{
	return !s2_tables_walkable();
}

/* Argument @n of a hooked function, in an ftrace callback. */
static __always_inline unsigned long s2_fregs_arg(struct ftrace_regs *fregs, unsigned int n)
{
#if S2_KERNEL_AT_LEAST(6, 2)
	return ftrace_regs_get_argument(fregs, n);
#else
	/* 6.1 arm64 (WITH_REGS): ftrace_caller saves x0-x8 in a pt_regs frame. */
	return ftrace_get_regs(fregs)->regs[n];
#endif
}

/*
 * Return hooks, only for the pKVM 6.14+ map path (its table cannot be read back): fprobe
 * where the kernel has the ftrace_regs based one, else kretprobes.
 */
#if S2_KERNEL_AT_LEAST(6, 14) && IS_ENABLED(CONFIG_FPROBE) && \
	IS_ENABLED(CONFIG_HAVE_FUNCTION_GRAPH_FREGS)
#define S2_RET_FPROBE	1
#else
#define S2_RET_FPROBE	0
#endif

/* ---- the effective memory types (capture.c, effective.c) ---- */

/*
 * A saved EL1 register of a vCPU (its context array; behind the VNCR page for nested
 * guests, which ctxt_sys_reg() knows).  The caller knows the registers are not on a CPU.
 */
#define s2_vcpu_saved_sysreg(vcpu, reg)	ctxt_sys_reg(&(vcpu)->arch.ctxt, (reg))

/* Nested virtualisation (its EL1/EL2 state is not a plain guest's). */
static inline bool s2_vcpu_has_nv(struct kvm_vcpu *vcpu)
{
#if __has_include("asm/kvm_nested.h")
	return vcpu_has_nv(vcpu);
#else
	return false;
#endif
}

/*
 * One page of @mm at @addr, referenced (put_page()); the caller holds mmap_read_lock(@mm).
 * FOLL_NOFAULT: a page that is not there (a hole, swapped out, ballooned) is not faulted in
 * by a reader; the caller counts it unreadable.
 */
static inline long s2_gup_remote_one(struct mm_struct *mm, unsigned long addr,
				     struct page **page)
{
#if S2_KERNEL_AT_LEAST(6, 5)
	return get_user_pages_remote(mm, addr, 1, FOLL_NOFAULT, page, NULL);
#else
	return get_user_pages_remote(mm, addr, 1, FOLL_NOFAULT, page, NULL, NULL);
#endif
}

/* Is @vma's own memory type cacheable (not Normal-NC, not Device)? */
static inline bool s2_vma_cacheable(const struct vm_area_struct *vma)
{
	switch (FIELD_GET(PTE_ATTRINDX_MASK, pgprot_val(vma->vm_page_prot))) {
	case MT_NORMAL_NC:
	case MT_DEVICE_nGnRnE:
	case MT_DEVICE_nGnRE:
		return false;
	default:
		return true;
	}
}

/*
 * s2_vma_device_attr() - the attribute KVM gives a device page (not system RAM) of @vma at
 * stage 2 when the guest first touches it, as user_mem_abort() (7.1+: kvm_s2_fault_*())
 * decides: Device-nGnRE before 6.9; then Normal-NC when the VMA allows any uncached mapping
 * (vfio-pci's BAR mmaps), else Device-nGnRE; since 6.17 a cacheable VMA gets Normal when the
 * host has FWB and DIC, and otherwise the fault fails (S2_ATTR_NR).
 */
static inline enum s2_attr s2_vma_device_attr(struct vm_area_struct *vma)
{
#if S2_KERNEL_AT_LEAST(6, 17)
	if (s2_vma_cacheable(vma))
		return kvm_supports_cacheable_pfnmap() ? S2_ATTR_NORMAL : S2_ATTR_NR;
#endif
#if S2_KERNEL_AT_LEAST(6, 9)
	if (vma->vm_flags & VM_ALLOW_ANY_UNCACHED)
		return S2_ATTR_NC;
#endif
	return S2_ATTR_DEVICE;
}

/* What a hooked function tells us. */
enum s2_event {
	S2_EV_MAP,		/* (pgt, ipa, size, phys, prot, ...) */
	S2_EV_UNMAP,		/* (pgt, ipa, size) */
	S2_EV_WRPROTECT,	/* (pgt, ipa, size): removes write permission */
	S2_EV_RELAX,		/* (pgt, ipa, prot, ...): adds permissions to one leaf */
	S2_EV_SPLIT,		/* (pgt, ipa, size, mc): blocks become pages */
	S2_EV_DESTROY,		/* (pgt): every mapping is gone */
	S2_EV_PKVM_MAP,		/* pkvm_pgtable_stage2_map: entry and return */
	S2_EV_PKVM_RELAX,	/* pkvm_pgtable_stage2_relax_perms: entry and return */
	S2_EV_VCPU,		/* (vcpu): the VM is known from its first vCPU on */
	S2_EV_NR,
};

/* When a hook is needed. */
enum s2_need {
	S2_NEED_WALKABLE,	/* the host's own tables (every mode but pKVM 6.14+) */
	S2_NEED_PKVM,		/* pKVM 6.14+ (KVM_PGT_FN) */
	S2_NEED_ALWAYS,
};

struct s2_hook_def {
	const char *symbol;
	enum s2_event ev;
	enum s2_need need;
};

#define S2_HOOK(sym, ev, need) { #sym, S2_EV_##ev, S2_NEED_##need }

/* The prototypes the hooks read arguments by; the build checks them against the kernel's. */
typedef int (s2_map_proto)(struct kvm_pgtable *pgt, u64 addr, u64 size, u64 phys,
			   enum kvm_pgtable_prot prot, void *mc
#if S2_KERNEL_AT_LEAST(6, 2)
			   , enum kvm_pgtable_walk_flags flags
#endif
			   );
typedef int (s2_range_proto)(struct kvm_pgtable *pgt, u64 addr, u64 size);
typedef int (s2_relax_proto)(struct kvm_pgtable *pgt, u64 addr, enum kvm_pgtable_prot prot
#if S2_KERNEL_AT_LEAST(6, 14)
			     , enum kvm_pgtable_walk_flags flags
#endif
			     );
typedef int (s2_split_proto)(struct kvm_pgtable *pgt, u64 addr, u64 size,
			     struct kvm_mmu_memory_cache *mc);
typedef void (s2_destroy_proto)(struct kvm_pgtable *pgt);
typedef void (s2_vm_proto)(struct kvm *kvm);
typedef int (s2_vcpu_proto)(struct kvm_vcpu *vcpu);

/* Checked in hooks.c: a prototype that changed fails the build there. */
#define S2_PROTO_MSG	"a hooked function changed its prototype: update compat.h"

#ifdef S2_COMPAT_HOOK_DEFS	/* hooks.c only */
static_assert(__same_type(&kvm_arch_destroy_vm, s2_vm_proto *), S2_PROTO_MSG);
static_assert(__same_type(&kvm_arch_vcpu_create, s2_vcpu_proto *), S2_PROTO_MSG);
static_assert(__same_type(&kvm_pgtable_stage2_map, s2_map_proto *), S2_PROTO_MSG);
static_assert(__same_type(&kvm_pgtable_stage2_unmap, s2_range_proto *), S2_PROTO_MSG);
static_assert(__same_type(&kvm_pgtable_stage2_wrprotect, s2_range_proto *), S2_PROTO_MSG);
static_assert(__same_type(&kvm_pgtable_stage2_relax_perms, s2_relax_proto *), S2_PROTO_MSG);
#if S2_KERNEL_AT_LEAST(6, 5)
static_assert(__same_type(&kvm_pgtable_stage2_split, s2_split_proto *), S2_PROTO_MSG);
#endif
#if S2_KERNEL_AT_LEAST(6, 19)
static_assert(__same_type(&kvm_pgtable_stage2_destroy_pgd, s2_destroy_proto *), S2_PROTO_MSG);
#else
static_assert(__same_type(&kvm_pgtable_stage2_destroy, s2_destroy_proto *), S2_PROTO_MSG);
#endif
#if S2_KERNEL_AT_LEAST(6, 14)
static_assert(__same_type(&pkvm_pgtable_stage2_map, s2_map_proto *), S2_PROTO_MSG);
static_assert(__same_type(&pkvm_pgtable_stage2_unmap, s2_range_proto *), S2_PROTO_MSG);
static_assert(__same_type(&pkvm_pgtable_stage2_wrprotect, s2_range_proto *), S2_PROTO_MSG);
static_assert(__same_type(&pkvm_pgtable_stage2_relax_perms, s2_relax_proto *), S2_PROTO_MSG);
static_assert(__same_type(&pkvm_pgtable_stage2_split, s2_split_proto *), S2_PROTO_MSG);
#if S2_KERNEL_AT_LEAST(6, 19)
static_assert(__same_type(&pkvm_pgtable_stage2_destroy_pgd, s2_destroy_proto *), S2_PROTO_MSG);
#else
static_assert(__same_type(&pkvm_pgtable_stage2_destroy, s2_destroy_proto *), S2_PROTO_MSG);
#endif
#endif

/*
 * hooks.c arms the hooks in this order and disarms them in the reverse one.  The guard
 * (kvm_arch_destroy_vm) comes first: it is armed before any other and disarmed last.  The
 * hooks that create VM state come last, the vCPU's after the maps: every hook that keeps a
 * VM's state current (unmap, teardown, the maps) is in place before a VM object, and its
 * first walk, can exist.  Teardown: 6.19+ first calls _destroy_range() once per GiB of IPA space
 * (4 million calls for a 52-bit VM) on the already unlinked table, then _destroy_pgd(); only
 * the latter is hooked, and it clears everything.
 */
static const struct s2_hook_def s2_hook_defs[] = {
	S2_HOOK(kvm_arch_destroy_vm, NR, ALWAYS),
	S2_HOOK(kvm_pgtable_stage2_unmap, UNMAP, WALKABLE),
	S2_HOOK(kvm_pgtable_stage2_wrprotect, WRPROTECT, WALKABLE),
	S2_HOOK(kvm_pgtable_stage2_relax_perms, RELAX, WALKABLE),
#if S2_KERNEL_AT_LEAST(6, 5)
	S2_HOOK(kvm_pgtable_stage2_split, SPLIT, WALKABLE),
#endif
#if S2_KERNEL_AT_LEAST(6, 19)
	S2_HOOK(kvm_pgtable_stage2_destroy_pgd, DESTROY, WALKABLE),
#else
	S2_HOOK(kvm_pgtable_stage2_destroy, DESTROY, WALKABLE),
#endif
	S2_HOOK(kvm_pgtable_stage2_map, MAP, WALKABLE),
#if S2_KERNEL_AT_LEAST(6, 14)
	S2_HOOK(pkvm_pgtable_stage2_map, PKVM_MAP, PKVM),
	S2_HOOK(pkvm_pgtable_stage2_unmap, UNMAP, PKVM),
	S2_HOOK(pkvm_pgtable_stage2_wrprotect, WRPROTECT, PKVM),
	S2_HOOK(pkvm_pgtable_stage2_relax_perms, PKVM_RELAX, PKVM),
#if S2_KERNEL_AT_LEAST(6, 19)
	S2_HOOK(pkvm_pgtable_stage2_destroy_pgd, DESTROY, PKVM),
#else
	S2_HOOK(pkvm_pgtable_stage2_destroy, DESTROY, PKVM),
#endif
#endif
	S2_HOOK(kvm_arch_vcpu_create, VCPU, ALWAYS),
};
#endif /* S2_COMPAT_HOOK_DEFS */

#endif /* KVM_S2STAT_COMPAT_H */
