// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat: the probes on KVM's stage-2 paths.
 *
 * Handlers do the minimum: find the VM from the page table (pgt->mmu -> struct kvm), filter
 * RAM early (no return probe armed), and update the VM's ranges.  They run with preemption
 * disabled inside KVM's mmu_lock critical sections, never sleep, and allocate only with
 * GFP_ATOMIC within the max_ranges budget.  The list of probed functions per kernel version
 * is in compat.h; a missing symbol refuses the load.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fprobe.h>
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/kvm_mmu.h>
#include <asm/virt.h>

#define S2_COMPAT_PROBE_DEFS
#include "compat.h"
#include "s2stat.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

#define S2_NPROBES	ARRAY_SIZE(s2_probe_defs)

const struct s2_prot_layout s2_prot = S2_PROT_LAYOUT_INIT;

static DEFINE_PER_CPU(u64, s2_map_count);
static struct kprobe s2_kp[S2_NPROBES];
static bool s2_is_ret[S2_NPROBES], s2_registered[S2_NPROBES];

/* Arguments saved at entry for the return handler. */
struct s2_args {
	struct s2_vm *vm;
	u64 ipa, size, phys, prot;
	bool device;
};

u64 s2_probe_map_count(void)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(s2_map_count, cpu);
	return sum;
}

const char *s2_kvm_mode(void)
{
	if (is_protected_kvm_enabled())
		return "protected";
	return has_vhe() ? "vhe" : "nvhe";
}

/* The VM a guest stage-2 table belongs to; NULL for a nested (shadow) MMU's table. */
static struct kvm *s2_pgt_kvm(struct kvm_pgtable *pgt)
{
	struct kvm_s2_mmu *mmu = pgt ? pgt->mmu : NULL;
	struct kvm *kvm;

	if (!mmu || !mmu->arch)
		return NULL;
	kvm = kvm_s2_mmu_to_kvm(mmu);
	return mmu == &kvm->arch.mmu ? kvm : NULL;
}

static inline u64 s2_arg(struct pt_regs *regs, unsigned int n)
{
	return regs_get_kernel_argument(regs, n);
}

/*
 * kvm_pgtable_stage2_map(pgt, addr, size, phys, prot, mc[, flags]) entry: 0 to see the
 * return, 1 not to.
 */
static int s2_map_entry(struct s2_args *a, struct kvm_pgtable *pgt, u64 ipa, u64 size,
			u64 phys, u64 prot)
{
	struct kvm *kvm = s2_pgt_kvm(pgt);
	struct s2_vm *vm;

	this_cpu_inc(s2_map_count);
	if (!kvm)
		return 1;
	a->ipa = ipa;
	a->size = size;
	a->phys = phys;
	a->prot = prot;
	a->device = s2_prot_is_device_class(prot, &s2_prot) ||
		    !pfn_is_map_memory(PHYS_PFN(phys));

	rcu_read_lock();
	vm = s2_vm_get_or_create(kvm);
	rcu_read_unlock();
	/* RAM far from any tracked range: no return hook (the common fault path). */
	if (!vm || (!a->device && !(READ_ONCE(vm->gib_mask) & s2_gib_bits(ipa, ipa + size))))
		return 1;
	a->vm = vm;
	return 0;
}

static void s2_map_ret(struct s2_args *a, int ret)
{
	struct s2_props p = {};

	if (!a->device) {
		/* RAM replaced whatever was tracked there. */
		if (!ret)
			s2_vm_unmap(a->vm, a->ipa, a->size);
		return;
	}
	p.attr = s2_prot_attr(a->prot, &s2_prot);
	if (ret) {
		/* -EAGAIN: another vCPU mapped the same page first; nothing changed. */
		if (ret != -EAGAIN) {
			atomic64_inc(&s2_stats.probe_map_failed);
			s2_vm_failed(a->vm, p.attr);
			trace_s2_map_failed(a->vm, a->ipa, a->phys, a->size, p.attr, ret);
		}
		return;
	}
	atomic64_inc(&s2_stats.probe_map_device);
	p.perm = s2_prot_perm(a->prot, &s2_prot);
	p.level = s2_level_of(a->ipa, a->phys, a->size);
	p.memattr = s2_attr_memattr(p.attr, s2_fwb);
	s2_pci_lookup(a->phys, &p.src);
	s2_vm_map(a->vm, a->ipa, a->phys, a->size, &p);
	trace_s2_map(a->vm, a->ipa, a->phys, a->size, &p);
}

/* kvm_pgtable_stage2_relax_perms(pgt, addr, prot[, flags]) entry. */
static int s2_relax_entry(struct s2_args *a, struct kvm_pgtable *pgt, u64 ipa, u64 prot)
{
	struct kvm *kvm = s2_pgt_kvm(pgt);
	struct s2_vm *vm;

	if (!kvm)
		return 1;
	a->ipa = ipa;
	a->prot = prot;
	rcu_read_lock();
	vm = s2_vm_lookup(kvm);
	rcu_read_unlock();
	if (!vm || !(READ_ONCE(vm->gib_mask) & s2_gib_bits(ipa, ipa + 1)))
		return 1;
	a->vm = vm;
	return 0;
}

static void s2_relax_ret(struct s2_args *a, int ret)
{
	if (!ret) {
		atomic64_inc(&s2_stats.probe_perm);
		s2_vm_set_perm(a->vm, a->ipa, 0, s2_prot_perm(a->prot, &s2_prot), 0, true);
	}
}

/* The two ways to hook an entry and its return (S2_RET_FPROBE, compat.h). */
#if S2_RET_FPROBE
static struct fprobe s2_fp[S2_NPROBES];

static int s2_fp_map_entry(struct fprobe *fp, unsigned long ip, unsigned long ret_ip,
			   struct ftrace_regs *fr, void *data)
{
	return s2_map_entry(data, (struct kvm_pgtable *)ftrace_regs_get_argument(fr, 0),
			    ftrace_regs_get_argument(fr, 1), ftrace_regs_get_argument(fr, 2),
			    ftrace_regs_get_argument(fr, 3), ftrace_regs_get_argument(fr, 4));
}

static void s2_fp_map_ret(struct fprobe *fp, unsigned long ip, unsigned long ret_ip,
			  struct ftrace_regs *fr, void *data)
{
	s2_map_ret(data, (int)ftrace_regs_get_return_value(fr));
}

static int s2_fp_relax_entry(struct fprobe *fp, unsigned long ip, unsigned long ret_ip,
			     struct ftrace_regs *fr, void *data)
{
	return s2_relax_entry(data, (struct kvm_pgtable *)ftrace_regs_get_argument(fr, 0),
			      ftrace_regs_get_argument(fr, 1), ftrace_regs_get_argument(fr, 2));
}

static void s2_fp_relax_ret(struct fprobe *fp, unsigned long ip, unsigned long ret_ip,
			    struct ftrace_regs *fr, void *data)
{
	s2_relax_ret(data, (int)ftrace_regs_get_return_value(fr));
}

static int s2_register_ret(int i, const struct s2_probe_def *d)
{
	bool map = d->ev == S2_EV_MAP;

	s2_fp[i].entry_handler = map ? s2_fp_map_entry : s2_fp_relax_entry;
	s2_fp[i].exit_handler = map ? s2_fp_map_ret : s2_fp_relax_ret;
	s2_fp[i].entry_data_size = sizeof(struct s2_args);
	return register_fprobe(&s2_fp[i], d->symbol, NULL);
}

static void s2_unregister_ret(int i)
{
	unregister_fprobe(&s2_fp[i]);
}

static unsigned long s2_ret_missed(int i)
{
	return s2_fp[i].nmissed;
}

const char *s2_ret_hook = "fprobe";
#else
static struct kretprobe s2_krp[S2_NPROBES];

static int s2_krp_map_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return s2_map_entry((struct s2_args *)ri->data, (struct kvm_pgtable *)s2_arg(regs, 0),
			    s2_arg(regs, 1), s2_arg(regs, 2), s2_arg(regs, 3), s2_arg(regs, 4));
}

static int s2_krp_map_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	s2_map_ret((struct s2_args *)ri->data, (int)regs_return_value(regs));
	return 0;
}

static int s2_krp_relax_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return s2_relax_entry((struct s2_args *)ri->data, (struct kvm_pgtable *)s2_arg(regs, 0),
			      s2_arg(regs, 1), s2_arg(regs, 2));
}

static int s2_krp_relax_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	s2_relax_ret((struct s2_args *)ri->data, (int)regs_return_value(regs));
	return 0;
}

static int s2_register_ret(int i, const struct s2_probe_def *d)
{
	bool map = d->ev == S2_EV_MAP;

	s2_krp[i].kp.symbol_name = d->symbol;
	s2_krp[i].entry_handler = map ? s2_krp_map_entry : s2_krp_relax_entry;
	s2_krp[i].handler = map ? s2_krp_map_ret : s2_krp_relax_ret;
	s2_krp[i].data_size = sizeof(struct s2_args);
	s2_krp[i].maxactive = max(16U, 4 * num_possible_cpus());
	return register_kretprobe(&s2_krp[i]);
}

static void s2_unregister_ret(int i)
{
	unregister_kretprobe(&s2_krp[i]);
}

static unsigned long s2_ret_missed(int i)
{
	return s2_krp[i].nmissed + s2_krp[i].kp.nmissed;
}

const char *s2_ret_hook = "kretprobe";
#endif

/* Entry probes: (pgt, addr, size) or (pgt) or (kvm). */
static struct s2_vm *s2_entry_vm(struct pt_regs *regs)
{
	struct kvm *kvm = s2_pgt_kvm((struct kvm_pgtable *)s2_arg(regs, 0));
	struct s2_vm *vm;

	if (!kvm)
		return NULL;
	rcu_read_lock();
	vm = s2_vm_lookup(kvm);
	rcu_read_unlock();
	return vm;
}

static int s2_unmap_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct s2_vm *vm = s2_entry_vm(regs);

	atomic64_inc(&s2_stats.probe_unmap);
	if (vm) {
		trace_s2_unmap(vm, s2_arg(regs, 1), s2_arg(regs, 2));
		s2_vm_unmap(vm, s2_arg(regs, 1), s2_arg(regs, 2));
	}
	return 0;
}

static int s2_wrprotect_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct s2_vm *vm = s2_entry_vm(regs);

	if (vm) {
		atomic64_inc(&s2_stats.probe_perm);
		s2_vm_set_perm(vm, s2_arg(regs, 1), s2_arg(regs, 2), 0, S2_PERM_W, false);
	}
	return 0;
}

static int s2_destroy_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct s2_vm *vm = s2_entry_vm(regs);

	atomic64_inc(&s2_stats.probe_destroy);
	if (vm) {
		trace_s2_unmap(vm, 0, U64_MAX);		/* the whole table */
		s2_vm_clear(vm);
	}
	return 0;
}

static int s2_vm_gone_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct kvm *kvm = (struct kvm *)s2_arg(regs, 0);
	struct s2_vm *vm;

	rcu_read_lock();
	vm = s2_vm_lookup(kvm);
	if (vm)
		trace_s2_vm_gone(vm);
	rcu_read_unlock();
	s2_vm_gone(kvm);
	return 0;
}

unsigned long s2_probes_missed(void)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < S2_NPROBES; i++) {
		if (!s2_registered[i])
			continue;
		n += s2_is_ret[i] ? s2_ret_missed(i) : s2_kp[i].nmissed;
	}
	return n;
}

void s2_probes_exit(void)
{
	int i;

	for (i = 0; i < S2_NPROBES; i++) {
		if (!s2_registered[i])
			continue;
		if (s2_is_ret[i])
			s2_unregister_ret(i);
		else
			unregister_kprobe(&s2_kp[i]);
		s2_registered[i] = false;
	}
}

int s2_probes_init(void)
{
	int i, ret;

	for (i = 0; i < S2_NPROBES; i++) {
		const struct s2_probe_def *d = &s2_probe_defs[i];

		if (d->need == S2_NEED_PKVM && !s2_need_pkvm())
			continue;
		switch (d->ev) {
		case S2_EV_MAP:
		case S2_EV_RELAX:
			s2_is_ret[i] = true;
			ret = s2_register_ret(i, d);
			break;
		default:
			s2_kp[i].symbol_name = d->symbol;
			s2_kp[i].pre_handler = d->ev == S2_EV_UNMAP ? s2_unmap_pre :
					       d->ev == S2_EV_WRPROTECT ? s2_wrprotect_pre :
					       d->ev == S2_EV_DESTROY ? s2_destroy_pre :
					       s2_vm_gone_pre;
			ret = register_kprobe(&s2_kp[i]);
			break;
		}
		if (ret) {
			pr_err("cannot probe %s (error %d): this kernel is not supported (symbol missing, inlined or not probe-able); not loading\n",
			       d->symbol, ret);
			s2_probes_exit();
			return ret;
		}
		s2_registered[i] = true;
	}
	return 0;
}
