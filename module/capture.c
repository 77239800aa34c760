// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat capture (capture.h): the guest's stage-1 translation registers, read only when
 * someone asks, and only where they are certain to be the guest's current ones.
 *
 * A vCPU's EL1 registers live in one of two places: in its saved context (nVHE saves them at
 * every exit; VHE when the vCPU is put) or, on a VHE host while the vCPU is loaded, in the
 * CPU itself (vCPU flag SYSREGS_ON_CPU), where the host reads them through the *_EL12
 * encodings.  Reading either from another thread races with the vCPU.  So the registers are
 * read in the vCPU's own thread, by an ftrace callback on the two functions every vCPU thread
 * passes through: handle_exit() (after each exit from the guest) and kvm_arch_vcpu_put()
 * (when the thread is scheduled out or leaves KVM_RUN), at their entry, where the vCPU is
 * loaded (VHE: the registers are on the CPU) and the context was saved at the last exit
 * (nVHE).  The reader wakes halted vCPUs (which then load and put again) and interrupts
 * running ones (an IPI makes them exit) until every vCPU was seen.
 *
 * Nothing is on the exit path when nobody asks: handle_exit() and kvm_arch_vcpu_put() are
 * added to the filter of the module's one ftrace_ops (hooks.c) when a reader begins and
 * removed when it ends (their call sites are patched back to NOPs).  A second ftrace_ops
 * would cost every hooked call: kernels before 6.3 (no DYNAMIC_FTRACE_WITH_CALL_OPS on
 * arm64) call a module's ops through ftrace_ops_list_func(), which tests every registered
 * ops' filter on each call, the stage-2 map included.
 *
 * A capture is refused (counted, not used) when the guest's MMU is off (SCTLR_EL1.M = 0:
 * reset values, not the guest's), when EL1 is AArch32, or for nested virtualisation.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/rcuwait.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <asm/kvm_emulate.h>
#include <asm/sysreg.h>

#include "capture.h"
#include "compat.h"
#include "hooks.h"

#define S2_CAP_KICK_MS	5	/* how often vCPUs not seen yet are woken or interrupted */

static struct s2_capture __rcu *s2_cap_active;
static DEFINE_MUTEX(s2_cap_mutex);	/* one reader at a time; arming */
static unsigned long s2_cap_sites[2];	/* handle_exit, kvm_arch_vcpu_put */
static bool s2_cap_found;		/* both sites found at load */

/* The registers of @vcpu, in its own thread with preemption disabled. */
static void read_regs(struct kvm_vcpu *vcpu, struct s2_vcpu_regs *r)
{
	if (vcpu_get_flag(vcpu, SYSREGS_ON_CPU)) {
		/* VHE, loaded: EL1's registers are the CPU's, at their EL12 encodings. */
		r->ttbr0 = read_sysreg_s(SYS_TTBR0_EL12);
		r->ttbr1 = read_sysreg_s(SYS_TTBR1_EL12);
		r->tcr = read_sysreg_s(SYS_TCR_EL12);
		r->mair = read_sysreg_s(SYS_MAIR_EL12);
		r->sctlr = read_sysreg_s(SYS_SCTLR_EL12);
	} else {
		r->ttbr0 = s2_vcpu_saved_sysreg(vcpu, TTBR0_EL1);
		r->ttbr1 = s2_vcpu_saved_sysreg(vcpu, TTBR1_EL1);
		r->tcr = s2_vcpu_saved_sysreg(vcpu, TCR_EL1);
		r->mair = s2_vcpu_saved_sysreg(vcpu, MAIR_EL1);
		r->sctlr = s2_vcpu_saved_sysreg(vcpu, SCTLR_EL1);
	}
	/* Saved at every exit, VHE and nVHE alike. */
	r->pstate = *vcpu_cpsr(vcpu);
	r->last_ns = ktime_get_ns();
	r->first_ns = r->last_ns;
	r->seen = 1;
}

/**
 * s2_cap_same_user() - do two captures show the same user address space?
 * @a: a capture.
 * @b: another.
 *
 * The same TTBR0_EL1 table and the same ASID (TTBR1's with TCR_EL1.A1 = 1): a page table
 * freed and reused by another process gets another ASID.
 */
bool s2_cap_same_user(const struct s2_vcpu_regs *a, const struct s2_vcpu_regs *b)
{
	return s2_ttbr_base(a->ttbr0) == s2_ttbr_base(b->ttbr0) &&
	       s2_cap_asid(a) == s2_cap_asid(b);
}

/* s2_cap_same_kernel() - the same TTBR1_EL1 table under the same TCR_EL1? */
bool s2_cap_same_kernel(const struct s2_vcpu_regs *a, const struct s2_vcpu_regs *b)
{
	return s2_ttbr_base(a->ttbr1) == s2_ttbr_base(b->ttbr1) && a->tcr == b->tcr;
}

/*
 * Keep @r in @set (of @max entries, @n used): counted into an entry that @same says is the
 * same root, else added, replacing the least recently seen when full.
 */
static void keep(struct s2_vcpu_regs *set, unsigned int *n, unsigned int max,
		 const struct s2_vcpu_regs *r,
		 bool (*same)(const struct s2_vcpu_regs *, const struct s2_vcpu_regs *))
{
	unsigned int i, old = 0;

	for (i = 0; i < *n; i++) {
		if (same(&set[i], r)) {
			set[i].last_ns = r->last_ns;
			set[i].seen++;
			return;
		}
		if (set[i].last_ns < set[old].last_ns)
			old = i;
	}
	if (*n < max)
		old = (*n)++;
	set[old] = *r;
}

static void take(struct s2_capture *c, struct kvm_vcpu *vcpu)
{
	struct s2_cap_slot *s = &c->slot[(unsigned int)vcpu->vcpu_idx];
	struct s2_vcpu_regs r;

	if (vcpu_el1_is_32bit(vcpu) || s2_vcpu_has_nv(vcpu)) {
		s->refused++;
		return;
	}
	read_regs(vcpu, &r);
	if (!(r.sctlr & S2_SCTLR_M)) {
		s->refused++;
		return;
	}
	s->captures++;
	if ((r.pstate & PSR_MODE_MASK) == PSR_MODE_EL1h ||
	    (r.pstate & PSR_MODE_MASK) == PSR_MODE_EL1t) {
		/* Only at EL1 does TTBR1 hold the kernel's table (and KPTI's trampoline). */
		keep(s->kern, &s->nkern, S2_CAP_KERNEL_ROOTS, &r, s2_cap_same_kernel);
		if (!s->has_kernel) {
			s->has_kernel = true;
			atomic_inc(&c->have_kernel);
		}
	}
	keep(s->user, &s->nuser, S2_CAP_USER_ROOTS, &r, s2_cap_same_user);
}

/**
 * s2_capture_hook() - the ftrace callback's share (hooks.c), for a call site none of its
 * hooks owns: handle_exit() or kvm_arch_vcpu_put(), while a reader has them armed.
 * @ip: the call site.
 * @fregs: the call's arguments; the first is the vCPU.
 *
 * Context: the ftrace callback's RCU read section, in the vCPU's thread.
 */
void s2_capture_hook(unsigned long ip, struct ftrace_regs *fregs)
{
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)s2_fregs_arg(fregs, 0);
	struct s2_capture *c;

	if (ip - s2_cap_sites[0] >= S2_SITE_SPAN && ip - s2_cap_sites[1] >= S2_SITE_SPAN)
		return;
	c = rcu_dereference(s2_cap_active);
	if (c && vcpu && vcpu->kvm == c->kvm && (unsigned int)vcpu->vcpu_idx < c->nvcpus)
		take(c, vcpu);
}

static void s2_cap_nop(void *info)
{
}

/* Make @vcpu pass through a hook soon: wake it if halted, interrupt it if in the guest. */
static void kick(struct kvm_vcpu *vcpu)
{
	int cpu;

	rcuwait_wake_up(kvm_arch_vcpu_get_wait(vcpu));
	cpu = READ_ONCE(vcpu->cpu);
	if (cpu >= 0 && cpu < nr_cpu_ids && cpu_online(cpu) &&
	    READ_ONCE(vcpu->mode) == IN_GUEST_MODE)
		smp_call_function_single(cpu, s2_cap_nop, NULL, 1);
}

/**
 * s2_capture_run() - capture every vCPU of c->kvm.
 * @c: the capture (kvm and nvcpus set, slots zeroed); the caller holds a KVM reference.
 * @min_ms: capture at least this long (more user roots are seen).
 * @max_ms: give up after this long.
 *
 * Between s2_capture_begin() and s2_capture_end().  Returns 0 (the slots say what was seen)
 * or -EINTR.
 */
int s2_capture_run(struct s2_capture *c, unsigned int min_ms, unsigned int max_ms)
{
	unsigned long t0 = jiffies;
	struct kvm_vcpu *vcpu;
	unsigned long i;
	int ret = 0;

	rcu_assign_pointer(s2_cap_active, c);
	for (;;) {
		unsigned int el = jiffies_to_msecs(jiffies - t0);

		if (el >= max_ms ||
		    (el >= min_ms && atomic_read(&c->have_kernel) >= (int)c->nvcpus))
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		/* Everyone while user roots are gathered, then those not seen at EL1 yet. */
		kvm_for_each_vcpu(i, vcpu, c->kvm) {
			unsigned int v = vcpu->vcpu_idx;

			if (el < min_ms || (v < c->nvcpus && !READ_ONCE(c->slot[v].has_kernel)))
				kick(vcpu);
		}
		msleep(S2_CAP_KICK_MS);
	}
	RCU_INIT_POINTER(s2_cap_active, NULL);
	/* Callbacks run with preemption disabled: none uses @c after this. */
	synchronize_rcu();
	return ret;
}

/* Add or remove the two call sites. */
static int arm_sites(bool on)
{
	int i, ret = 0;

	for (i = 0; i < ARRAY_SIZE(s2_cap_sites); i++) {
		int r = s2_hooks_filter(s2_cap_sites[i], on);

		if (r && on)
			ret = r;
	}
	return ret;
}

/**
 * s2_capture_available() - can this kernel capture vCPU registers?
 *
 * Not under pKVM (the hypervisor holds protected guests' state), and only when both hooks
 * were found at load.
 */
bool s2_capture_available(void)
{
	return s2_cap_found && !is_protected_kvm_enabled();
}

/**
 * s2_capture_begin() - a reader starts: arm the hooks (one reader at a time).
 *
 * Returns 0 with the capture lock held, -EOPNOTSUPP, -EINTR, or an ftrace error.
 */
int s2_capture_begin(void)
{
	int ret;

	if (!s2_capture_available())
		return -EOPNOTSUPP;
	ret = mutex_lock_killable(&s2_cap_mutex);
	if (ret)
		return ret;
	ret = arm_sites(true);
	if (ret) {
		arm_sites(false);
		mutex_unlock(&s2_cap_mutex);
	}
	return ret;
}

/* s2_capture_end() - the reader is done: the call sites are patched back to NOPs. */
void s2_capture_end(void)
{
	arm_sites(false);
	mutex_unlock(&s2_cap_mutex);
}

/**
 * s2_capture_init() - find the two call sites (at load, before the debugfs files exist).
 *
 * A kernel without them loads anyway: the effective memory types are then unavailable.
 */
void s2_capture_init(void)
{
	static const char * const names[] = { "handle_exit", "kvm_arch_vcpu_put" };
	int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		s2_cap_sites[i] = s2_hooks_symbol_addr(names[i]);
		if (!s2_cap_sites[i]) {
			pr_info("%s cannot be hooked: effective memory types unavailable\n",
				names[i]);
			return;
		}
	}
	s2_cap_found = true;
}
