// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat hooks on KVM's stage-2 calls.
 *
 * One ftrace_ops, FTRACE_OPS_FL_PERMANENT: entry callbacks at ftrace cost (no exception, no
 * return trampoline), which the kprobes switch (debug/kprobes/enabled) does not disarm and
 * which ftrace refuses to switch off (sysctl kernel.ftrace_enabled answers EBUSY) while the
 * module is loaded.  Its first function is the guard, kvm_arch_destroy_vm(): armed before
 * any hook that can create VM state and disarmed last (docs/design.md, "Lifetime").
 *
 * The map hook only notes what KVM is about to map; the outcome is read back from the table
 * by the next settle (lifecycle.c), so a map that fails is never recorded and no return hook
 * is needed.  A device map that continues its CPU's previous one only extends a per-CPU run
 * (vm.c, "Runs").  A RAM map costs the ftrace call, a compare and a prot test (on 6.17+ also
 * a PFN test) and nothing else (s2_ftrace_cb()): a VM is known from its first vCPU, not from
 * its maps.  Handlers never sleep and allocate only GFP_NOWAIT within the budget (vm.c).
 * The same ops serves capture.c's call sites while a reader has them armed: one ops,
 * because kernels before 6.3 test every registered ops on every hooked call.
 *
 * pKVM 6.14+ owns the guest's table, which cannot be read back: there the map and relax
 * calls get an entry and return hook (fprobe, or kretprobe without CONFIG_FPROBE).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fprobe.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/kvm_mmu.h>

#define S2_COMPAT_HOOK_DEFS
#include "attrib.h"
#include "capture.h"
#include "compat.h"
#include "hooks.h"
#include "lifecycle.h"
#include "s2stat.h"
#include "vm.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

#define S2_NHOOKS	ARRAY_SIZE(s2_hook_defs)

const struct s2_prot_layout s2_prot = S2_PROT_LAYOUT_INIT;

static unsigned long s2_hook_addr[S2_NHOOKS];
static bool s2_hook_on[S2_NHOOKS];
static unsigned long s2_map_addr;	/* the hot one's symbol; its call site is learnt */

static struct ftrace_ops s2_ops;
static DEFINE_PER_CPU(u64, s2_map_device_count);	/* no shared cache line per fault */
static DEFINE_PER_CPU(u64, s2_unmap_count);

static u64 sum_percpu(u64 __percpu *v)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(v, cpu));
	return sum;
}

u64 s2_hooks_map_device_count(void)
{
	return sum_percpu(&s2_map_device_count);
}

u64 s2_hooks_unmap_count(void)
{
	return sum_percpu(&s2_unmap_count);
}

const char *s2_hooks_kvm_mode(void)
{
	if (is_protected_kvm_enabled())
		return "protected";
	return has_vhe() ? "vhe" : "nvhe";
}

/* The VM a guest stage-2 table belongs to; NULL for a nested (shadow) MMU's table. */
static struct kvm *pgt_kvm(struct kvm_pgtable *pgt)
{
	struct kvm_s2_mmu *mmu = pgt ? pgt->mmu : NULL;
	struct kvm *kvm;

	if (!mmu || !mmu->arch)
		return NULL;
	kvm = kvm_s2_mmu_to_kvm(mmu);
	return mmu == &kvm->arch.mmu ? kvm : NULL;
}

/*
 * Set by s2_hooks_stop() before its grace period: a handler that enters its RCU read section
 * later (a task preempted in the vCPU hook's preemptible call, or inside ftrace's caller)
 * creates nothing.
 */
static bool s2_hooks_stopping;

/*
 * How long a VM learnt from its first vCPU waits for its first walk: a VMM's probe VM (QEMU
 * creates one with a vCPU to read the host CPU's features, then closes it) is gone by then,
 * and no KVM reference of ours outlives the VMM's close of it.  Were ours the last, KVM
 * would tear the VM down only when we drop it, and a next VM of the process that reuses its
 * fd would find its "<pid>-<fd>" debugfs name still taken.
 */
#define S2_VCPU_PUBLISH_DELAY	(HZ / 4)

/* The tracked VM of @kvm, created on first sight (RCU read section); published after @delay. */
static struct s2_vm *vm_for(struct kvm *kvm, unsigned long delay)
{
	struct s2_vm *vm = s2_vm_find(kvm);
	bool created;

	if (!vm && !READ_ONCE(s2_hooks_stopping)) {
		vm = s2_vm_create(kvm, GFP_NOWAIT, &created, s2_lc_init_vm);
		if (created)
			s2_lc_vm_new(vm, delay);
	}
	return vm;
}

static struct s2_vm *vm_of(struct ftrace_regs *fregs)
{
	struct kvm *kvm = pgt_kvm((struct kvm_pgtable *)s2_fregs_arg(fregs, 0));

	return kvm ? s2_vm_find(kvm) : NULL;
}

/* Does KVM map device memory?  (The prot alone decides before 6.17.) */
static __always_inline bool is_device(u64 prot, u64 phys)
{
	if (s2_prot_is_device_class(prot, &s2_prot))
		return true;
	return S2_CACHEABLE_PFNMAP && !pfn_is_map_memory(PHYS_PFN(phys));
}

/*
 * The IPA range a kvm_pgtable_stage2_*() call covers: its walker aligns the start down to
 * PAGE_SIZE and the end up (kvm_pgtable_walk()).  KVM passes fault IPAs from HPFAR_EL2, 4 KiB
 * granular: on a 16 KiB host a page's fault IPA is often not aligned.
 */
static __always_inline void walk_range(u64 *ipa, u64 *size)
{
	u64 start = ALIGN_DOWN(*ipa, PAGE_SIZE);

	*size = PAGE_ALIGN(start + *size) - start;
	*ipa = start;
}

/*
 * kvm_pgtable_stage2_map(pgt, ipa, size, phys, prot, mc[, flags]), mmu_lock held, of device
 * memory: its callers (s2_ftrace_cb(), on_ram(), on_other()) have told RAM apart.
 */
static noinline notrace void on_map(struct ftrace_regs *fregs)
{
	struct kvm_pgtable *pgt = (struct kvm_pgtable *)s2_fregs_arg(fregs, 0);
	struct kvm *kvm = pgt_kvm(pgt);
	u64 ipa = s2_fregs_arg(fregs, 1), size = s2_fregs_arg(fregs, 2);
	u64 phys = s2_fregs_arg(fregs, 3), prot = s2_fregs_arg(fregs, 4);
	enum s2_attr attr;
	struct s2_vm *vm;

	if (!kvm)
		return;
	rcu_read_lock();
	attr = s2_prot_attr(prot, &s2_prot);
	walk_range(&ipa, &size);
	/*
	 * Runs are per CPU: KVM holds its mmu_lock, a spinning lock (PREEMPT_RT is refused at
	 * build time, compat.h), around every map, so the task stays on this CPU.
	 */
	if (likely(s2_vm_run_extend(kvm, ipa, phys, size, attr))) {
		/* The next page of a BAR this CPU is faulting in: no lock, no lookup. */
		this_cpu_inc(s2_map_device_count);
	} else {
		vm = vm_for(kvm, 0);
		if (vm) {
			this_cpu_inc(s2_map_device_count);
			if (s2_vm_note_map(vm, ipa, phys, size, attr))
				s2_lc_kick(vm);
		}
	}
	rcu_read_unlock();
}

/* kvm_pgtable_stage2_unmap(pgt, ipa, size), mmu_lock held for write. */
static void on_unmap(struct ftrace_regs *fregs)
{
	struct s2_vm *vm = vm_of(fregs);
	u64 ipa = s2_fregs_arg(fregs, 1), size = s2_fregs_arg(fregs, 2);

	this_cpu_inc(s2_unmap_count);
	if (!vm)
		return;
	walk_range(&ipa, &size);
	trace_s2_unmap(vm, ipa, size);
	if (s2_vm_unmap(vm, ipa, ipa + size))
		s2_lc_kick(vm);
}

/* kvm_pgtable_stage2_wrprotect(pgt, ipa, size), mmu_lock held for write. */
static void on_wrprotect(struct ftrace_regs *fregs)
{
	struct s2_vm *vm = vm_of(fregs);
	u64 ipa = s2_fregs_arg(fregs, 1), size = s2_fregs_arg(fregs, 2);

	atomic64_inc(&s2_stats.perm);
	walk_range(&ipa, &size);
	if (vm && s2_vm_wrprotect(vm, ipa, ipa + size))
		s2_lc_kick(vm);
}

/* kvm_pgtable_stage2_relax_perms(pgt, ipa, prot[, flags]), mmu_lock held for read. */
static void on_relax(struct ftrace_regs *fregs)
{
	struct s2_vm *vm = vm_of(fregs);

	if (vm && s2_vm_note_relax(vm, ALIGN_DOWN(s2_fregs_arg(fregs, 1), PAGE_SIZE)))
		s2_lc_kick(vm);
}

/* kvm_pgtable_stage2_split(pgt, ipa, size, mc), mmu_lock held for write. */
static void on_split(struct ftrace_regs *fregs)
{
	struct s2_vm *vm = vm_of(fregs);
	u64 ipa = s2_fregs_arg(fregs, 1), size = s2_fregs_arg(fregs, 2);

	atomic64_inc(&s2_stats.split);
	walk_range(&ipa, &size);
	if (vm && s2_vm_note_split(vm, ipa, ipa + size))
		s2_lc_kick(vm);
}

/* The table's teardown (pgt): every mapping is gone, and no map can use the table again. */
static void on_destroy(struct ftrace_regs *fregs)
{
	struct s2_vm *vm = vm_of(fregs);

	atomic64_inc(&s2_stats.destroy);
	if (vm) {
		trace_s2_unmap(vm, 0, U64_MAX);
		s2_vm_clear(vm);
	}
}

/* The guard: kvm_arch_destroy_vm(kvm), before KVM frees the struct kvm. */
static void on_vm_gone(struct ftrace_regs *fregs)
{
	struct kvm *kvm = (struct kvm *)s2_fregs_arg(fregs, 0);
	struct s2_vm *vm;

	vm = s2_vm_gone(kvm);	/* its runs go with its state (s2_vm_clear()) */
	if (vm) {
		trace_s2_vm_gone(vm);
		s2_lc_vm_gone(vm);
	}
}

/*
 * kvm_arch_vcpu_create(vcpu): a VM is known from its first vCPU, before it can take a fault
 * (VMs that already had their vCPUs when the module loaded are found by discovery).
 */
static void on_vcpu(struct ftrace_regs *fregs)
{
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)s2_fregs_arg(fregs, 0);

	vm_for(vcpu->kvm, S2_VCPU_PUBLISH_DELAY);
}

/* Every hooked call (the guard's included) but the map's once learnt, and the capture sites. */
static noinline notrace void on_other(unsigned long ip, struct ftrace_regs *fregs)
{
	unsigned int i;

	if (ip - s2_map_addr < S2_SITE_SPAN) {
		/*
		 * The map's first call: its exact call-site address, from then on compared by
		 * s2_ftrace_cb() (every CPU learns the same value).
		 */
		WRITE_ONCE(s2_ops.private, (void *)ip);
		if (is_device(s2_fregs_arg(fregs, 4), s2_fregs_arg(fregs, 3)))
			on_map(fregs);
		return;
	}
	rcu_read_lock();
	for (i = 0; i < S2_NHOOKS; i++) {
		if (ip - s2_hook_addr[i] >= S2_SITE_SPAN)
			continue;
		switch (s2_hook_defs[i].ev) {
		case S2_EV_UNMAP:
			on_unmap(fregs);
			break;
		case S2_EV_WRPROTECT:
			on_wrprotect(fregs);
			break;
		case S2_EV_RELAX:
			on_relax(fregs);
			break;
		case S2_EV_SPLIT:
			on_split(fregs);
			break;
		case S2_EV_DESTROY:
			on_destroy(fregs);
			break;
		case S2_EV_VCPU:
			on_vcpu(fregs);
			break;
		case S2_EV_NR:
			on_vm_gone(fregs);
			break;
		default:
			break;
		}
		goto out;
	}
	s2_capture_hook(ip, fregs);
out:
	rcu_read_unlock();
}

/* 6.17+: a RAM prot may map cacheable device memory (Grace); its PFN decides. */
static noinline notrace void on_ram(struct ftrace_regs *fregs)
{
	if (!pfn_is_map_memory(PHYS_PFN(s2_fregs_arg(fregs, 3))))
		on_map(fregs);
}

/*
 * The one callback.  A RAM map costs a compare with the map's call site and a prot test, and
 * touches no other data of the module than its ops.  The callback never saves its return
 * address (its calls are tail calls, hooks.o is built with -foptimize-sibling-calls): it
 * needs no return-address signing (S2_SIGN_IF_SAVED).
 */
static void notrace S2_SIGN_IF_SAVED s2_ftrace_cb(unsigned long ip, unsigned long parent_ip,
						  struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	if (unlikely(ip != (unsigned long)READ_ONCE(op->private))) {
		on_other(ip, fregs);
		return;
	}
	if (unlikely(s2_prot_is_device_class(s2_fregs_arg(fregs, 4), &s2_prot))) {
		on_map(fregs);
		return;
	}
	if (S2_CACHEABLE_PFNMAP)
		on_ram(fregs);
}

static struct ftrace_ops s2_ops = {
	.func = s2_ftrace_cb,
	.flags = FTRACE_OPS_FL_PERMANENT,
};

static bool s2_ops_registered;

/* ---- pKVM 6.14+: map and relax with their return values ---- */

#if S2_KERNEL_AT_LEAST(6, 14)
struct s2_ret_args {
	struct s2_vm *vm;
	u64 ipa, size, phys, prot;
	bool device;
};

static int pkvm_map_entry(struct s2_ret_args *a, struct kvm_pgtable *pgt, u64 ipa, u64 size,
			  u64 phys, u64 prot)
{
	struct kvm *kvm = pgt_kvm(pgt);

	/* RAM: nothing to record (the VM is known from its vCPUs). */
	a->device = is_device(prot, phys);
	if (!kvm || !a->device)
		return 1;
	rcu_read_lock();
	a->vm = vm_for(kvm, 0);
	rcu_read_unlock();
	if (!a->vm)
		return 1;
	walk_range(&ipa, &size);
	a->ipa = ipa;
	a->size = size;
	a->phys = phys;
	a->prot = prot;
	return 0;
}

/* Under pKVM, KVM maps with kvm->mmu_lock held for write: mapped may change here. */
static void pkvm_map_ret(struct s2_ret_args *a, int ret)
{
	struct s2_props p = { .attr = s2_prot_attr(a->prot, &s2_prot) };

	if (ret == -EAGAIN)
		return;
	if (ret) {
		s2_vm_map_failed(a->vm, p.attr);
		trace_s2_map_failed(a->vm, a->ipa, a->phys, a->size, p.attr, ret);
		return;
	}
	this_cpu_inc(s2_map_device_count);
	p.perm = s2_prot_perm(a->prot, &s2_prot);
	p.level = s2_rt_map_level(&a->vm->mapped, a->ipa, a->phys, a->size);
	p.memattr = s2_attr_memattr(p.attr, s2_fwb);
	s2_attrib_lookup(a->phys, &p.src);
	s2_vm_map_done(a->vm, a->ipa, a->phys, a->size, &p);
	trace_s2_map(a->vm, a->ipa, a->phys, a->size, &p);
}

static int pkvm_relax_entry(struct s2_ret_args *a, struct kvm_pgtable *pgt, u64 ipa, u64 prot)
{
	struct kvm *kvm = pgt_kvm(pgt);

	if (!kvm)
		return 1;
	rcu_read_lock();
	a->vm = s2_vm_find(kvm);
	rcu_read_unlock();
	a->ipa = ALIGN_DOWN(ipa, PAGE_SIZE);
	a->prot = prot;
	return a->vm ? 0 : 1;
}

static void pkvm_relax_ret(struct s2_ret_args *a, int ret)
{
	if (!ret)
		s2_vm_relax_done(a->vm, a->ipa, s2_prot_perm(a->prot, &s2_prot));
}

#if S2_RET_FPROBE
static struct fprobe s2_fp[S2_NHOOKS];

static int fp_map_entry(struct fprobe *fp, unsigned long ip, unsigned long ret_ip,
			struct ftrace_regs *fr, void *data)
{
	return pkvm_map_entry(data, (struct kvm_pgtable *)ftrace_regs_get_argument(fr, 0),
			      ftrace_regs_get_argument(fr, 1), ftrace_regs_get_argument(fr, 2),
			      ftrace_regs_get_argument(fr, 3), ftrace_regs_get_argument(fr, 4));
}

static void fp_map_exit(struct fprobe *fp, unsigned long ip, unsigned long ret_ip,
			struct ftrace_regs *fr, void *data)
{
	pkvm_map_ret(data, (int)ftrace_regs_get_return_value(fr));
}

static int fp_relax_entry(struct fprobe *fp, unsigned long ip, unsigned long ret_ip,
			  struct ftrace_regs *fr, void *data)
{
	return pkvm_relax_entry(data, (struct kvm_pgtable *)ftrace_regs_get_argument(fr, 0),
				ftrace_regs_get_argument(fr, 1), ftrace_regs_get_argument(fr, 2));
}

static void fp_relax_exit(struct fprobe *fp, unsigned long ip, unsigned long ret_ip,
			  struct ftrace_regs *fr, void *data)
{
	pkvm_relax_ret(data, (int)ftrace_regs_get_return_value(fr));
}

static int ret_register(int i, bool relax)
{
	s2_fp[i].entry_handler = relax ? fp_relax_entry : fp_map_entry;
	s2_fp[i].exit_handler = relax ? fp_relax_exit : fp_map_exit;
	s2_fp[i].entry_data_size = sizeof(struct s2_ret_args);
	return register_fprobe(&s2_fp[i], s2_hook_defs[i].symbol, NULL);
}

static void ret_unregister(int i)
{
	unregister_fprobe(&s2_fp[i]);
}

static unsigned long ret_missed(int i)
{
	return s2_fp[i].nmissed;
}

const char *s2_hooks_ret = "fprobe";
#else
static struct kretprobe s2_krp[S2_NHOOKS];

static unsigned long krp_arg(struct pt_regs *regs, unsigned int n)
{
	return regs_get_kernel_argument(regs, n);
}

static int krp_map_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return pkvm_map_entry((void *)ri->data, (struct kvm_pgtable *)krp_arg(regs, 0),
			      krp_arg(regs, 1), krp_arg(regs, 2), krp_arg(regs, 3),
			      krp_arg(regs, 4));
}

static int krp_map_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	pkvm_map_ret((void *)ri->data, (int)regs_return_value(regs));
	return 0;
}

static int krp_relax_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return pkvm_relax_entry((void *)ri->data, (struct kvm_pgtable *)krp_arg(regs, 0),
				krp_arg(regs, 1), krp_arg(regs, 2));
}

static int krp_relax_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	pkvm_relax_ret((void *)ri->data, (int)regs_return_value(regs));
	return 0;
}

static int ret_register(int i, bool relax)
{
	s2_krp[i].kp.symbol_name = s2_hook_defs[i].symbol;
	s2_krp[i].entry_handler = relax ? krp_relax_entry : krp_map_entry;
	s2_krp[i].handler = relax ? krp_relax_ret : krp_map_ret;
	s2_krp[i].data_size = sizeof(struct s2_ret_args);
	s2_krp[i].maxactive = max(16U, 4 * num_possible_cpus());
	return register_kretprobe(&s2_krp[i]);
}

static void ret_unregister(int i)
{
	unregister_kretprobe(&s2_krp[i]);
}

static unsigned long ret_missed(int i)
{
	return s2_krp[i].nmissed + s2_krp[i].kp.nmissed;
}

const char *s2_hooks_ret = "kretprobe";
#endif
#else
static int ret_register(int i, bool relax)
{
	return -EOPNOTSUPP;
}

static void ret_unregister(int i)
{
}

static unsigned long ret_missed(int i)
{
	return 0;
}

const char *s2_hooks_ret = "none";
#endif

static bool s2_ret_on[S2_NHOOKS];

/* s2_hooks_missed() - events the return hooks (pKVM 6.14+ only) could not deliver. */
unsigned long s2_hooks_missed(void)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < S2_NHOOKS; i++)
		if (s2_ret_on[i])
			n += ret_missed(i);
	return n;
}

/* ---- arming ---- */

static bool needed(const struct s2_hook_def *d)
{
	switch (d->need) {
	case S2_NEED_WALKABLE:
		return !s2_need_pkvm();
	case S2_NEED_PKVM:
		return s2_need_pkvm();
	default:
		return true;
	}
}

/* The address of @name, through a kprobe that is never armed. */
static unsigned long symbol_addr(const char *name)
{
	struct kprobe kp = { .symbol_name = name, .flags = KPROBE_FLAG_DISABLED };
	unsigned long addr;

	if (register_kprobe(&kp))
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

/* s2_hooks_symbol_addr() - the address of a probe-able kernel function, or 0 (capture.c). */
unsigned long s2_hooks_symbol_addr(const char *name)
{
	return symbol_addr(name);
}

/**
 * s2_hooks_filter() - add (@on) or remove a call site of the module's ftrace_ops (capture.c).
 * @ip: the function's address; its calls reach s2_capture_hook().
 * @on: add or remove.
 *
 * One ftrace_ops for everything: before 6.3 every registered ops is tested on every hooked
 * call.  The filter is never empty while the ops is registered: the guard stays in it, and
 * no hook's site can be removed here.
 *
 * Return: 0, -ENODEV before the ops is registered, -EINVAL for a hook's site, or ftrace's
 * error.
 */
int s2_hooks_filter(unsigned long ip, bool on)
{
	unsigned int i;

	if (!s2_ops_registered)
		return -ENODEV;
	for (i = 0; i < S2_NHOOKS; i++)
		if (WARN_ON_ONCE(ip == s2_hook_addr[i]))
			return -EINVAL;
	return ftrace_set_filter_ip(&s2_ops, ip, !on, 0);
}

static int refuse(const char *symbol, const char *what, int ret)
{
	pr_err("cannot hook %s (%s, error %d): this kernel is not supported; not loading\n",
	       symbol, what, ret);
	return ret;
}

/**
 * s2_hooks_init() - arm the guard, then every other hook.
 *
 * A hook that cannot be armed refuses the load, with one line naming the symbol.
 */
int s2_hooks_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < S2_NHOOKS; i++) {
		const struct s2_hook_def *d = &s2_hook_defs[i];

		if (!needed(d))
			continue;
		s2_hook_addr[i] = symbol_addr(d->symbol);
		if (!s2_hook_addr[i])
			return refuse(d->symbol, "symbol missing or not probe-able", -ENOENT);
		if (d->ev == S2_EV_MAP)
			s2_map_addr = s2_hook_addr[i];
	}
	if (!s2_map_addr)
		s2_map_addr = -(unsigned long)S2_SITE_SPAN;	/* pKVM: matches no call site */

	/* The guard alone first: nothing can create VM state before it is armed. */
	ret = ftrace_set_filter_ip(&s2_ops, s2_hook_addr[0], 0, 0);
	if (ret)
		return refuse(s2_hook_defs[0].symbol, "not traceable by ftrace", ret);
	ret = register_ftrace_function(&s2_ops);
	if (ret) {
		ftrace_set_filter_ip(&s2_ops, s2_hook_addr[0], 1, 0);
		return refuse(s2_hook_defs[0].symbol,
			      ret == -EBUSY ? "ftrace is disabled: sysctl kernel.ftrace_enabled=1" :
			      "ftrace registration failed", ret);
	}
	s2_ops_registered = true;
	s2_hook_on[0] = true;

	/* Then the others, in the table's order (compat.h: the map after the teardown). */
	for (i = 1; i < S2_NHOOKS; i++) {
		const struct s2_hook_def *d = &s2_hook_defs[i];

		if (!needed(d))
			continue;
		if (d->ev == S2_EV_PKVM_MAP || d->ev == S2_EV_PKVM_RELAX) {
			ret = ret_register(i, d->ev == S2_EV_PKVM_RELAX);
			if (ret)
				goto fail;
			s2_ret_on[i] = true;
			continue;
		}
		ret = ftrace_set_filter_ip(&s2_ops, s2_hook_addr[i], 0, 0);
		if (ret)
			goto fail;
		s2_hook_on[i] = true;
	}
	return 0;
fail:
	refuse(s2_hook_defs[i].symbol, "not traceable", ret);
	s2_hooks_stop();
	s2_hooks_exit();
	return ret;
}

/**
 * s2_hooks_stop() - unload, first step: disarm every hook but the guard, and wait until no
 * handler runs any more.  No VM object is created afterwards.
 */
void s2_hooks_stop(void)
{
	unsigned int i;

	WRITE_ONCE(s2_hooks_stopping, true);
	/* The reverse of the arming order: the map first, the teardown after it. */
	for (i = S2_NHOOKS - 1; i >= 1; i--) {
		if (s2_ret_on[i]) {
			ret_unregister(i);
			s2_ret_on[i] = false;
		}
		if (s2_hook_on[i]) {
			ftrace_set_filter_ip(&s2_ops, s2_hook_addr[i], 1, 0);
			s2_hook_on[i] = false;
		}
	}
	/*
	 * What a callback does runs in an RCU read section (s2_ftrace_cb()): wait for it.  A
	 * section that starts later sees s2_hooks_stopping.
	 */
	synchronize_rcu();
}

/* s2_hooks_exit() - unload, last step (after the files and the work): disarm the guard. */
void s2_hooks_exit(void)
{
	if (s2_ops_registered) {
		unregister_ftrace_function(&s2_ops);
		s2_ops_registered = false;
	}
	ftrace_free_filter(&s2_ops);
	s2_hook_on[0] = false;
	synchronize_rcu();
}
