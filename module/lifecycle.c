// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat lifecycle (lifecycle.h): publication, settles, full walks, retirement, and the
 * synchronous drain at unload.
 *
 * A settle reads pending ranges back from the VM's stage-2 table, a chunk at a time: it holds
 * kvm->mmu_lock for write (so no map is in flight and the tracked state cannot change under
 * it) only while it walks at most S2_CHUNK_STEPS descriptors, then drops it and reschedules,
 * so a vCPU never waits long for a fault.  A full walk is the same over the whole IPA space.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "attrib.h"
#include "leaf.h"
#include "lifecycle.h"
#include "s2stat.h"

#define S2_CHUNK_LEAVES		256
#define S2_CHUNK_STEPS		512
#define S2_SETTLE_DELAY		(HZ / 50)
#define S2_MAX_BACKOFF		64	/* seconds */
#define S2_MAX_EXTRA_CHUNKS	64	/* a settle does not chase maps made while it runs */

static struct workqueue_struct *s2_pub_wq, *s2_settle_wq;
static const struct s2_view_ops *s2_view;
static bool s2_lc_exiting;
/* Serialises publication and retirement (debugfs directories). */
static DEFINE_MUTEX(s2_lc_mutex);

struct s2_settle {
	struct s2_range walked[S2_CHUNK_LEAVES];
	unsigned int n;
	struct s2_pool pool;
	u64 ipa_end;
	struct s2_attrib_ctx attr;	/* what the VMM mapped in the chunk's memslots */
};

/* ---- reading the table back ---- */

/* Leaf callback: decode, attribute and coalesce device leaves; stop when the array is full. */
static bool collect(struct s2_leaf_walk *w, u64 ipa, u64 desc, s8 level)
{
	struct s2_settle *c = w->arg;
	struct s2_range *last = c->n ? &c->walked[c->n - 1] : NULL;
	struct s2_props p;
	u64 pa, size;

	s2_leaf_decode(desc, level, &pa, &p);
	size = 1ULL << s2_level_shift(level, PAGE_SHIFT);
	if (!s2_attrib_classify(&c->attr, ipa, pa, size, &p.src))
		return false;
	if (last && s2_range_end(last) == ipa && last->pa + last->size == pa &&
	    s2_props_eq(&last->p, &p)) {
		last->size += size;
		return false;
	}
	c->walked[c->n++] = (struct s2_range){ .ipa = ipa, .pa = pa, .size = size, .p = p };
	return c->n == S2_CHUNK_LEAVES;
}

/* A leaf that continues the previous one (walk_level()): extend the last range. */
static bool collect_cont(struct s2_leaf_walk *w, u64 ipa, u64 size)
{
	struct s2_settle *c = w->arg;
	struct s2_range *last = c->n ? &c->walked[c->n - 1] : NULL;

	/* last ends at @ipa only if it holds the previous leaf, whose PA it then ends at. */
	if (!last || s2_range_end(last) != ipa ||
	    !s2_attrib_continues(&c->attr, ipa, last->pa + last->size, size))
		return false;
	last->size += size;
	return true;
}

/*
 * Read one chunk of [start, end) and make it the tracked truth.  *@done: where the next
 * chunk starts.  Returns 0, -ENOENT (no table: the VM is being torn down) or -ENOMEM.
 *
 * Lock order: kvm->srcu (memslots), the VMM's mmap lock (for read), kvm->mmu_lock (write):
 * attrib.c.
 */
static int settle_chunk(struct s2_vm *vm, struct kvm *kvm, u64 start, u64 end, u64 *done,
			struct s2_settle *c)
{
	unsigned int want = S2_APPLY_NODES(16);
	int ret;

	do {
		struct s2_leaf_walk w = { .leaf = collect, .cont = collect_cont, .arg = c };
		struct kvm_pgtable *pgt;
		u64 lo = start, hi = end, t0, held;

		ret = s2_pool_fill(&c->pool, want, GFP_KERNEL);
		if (ret)
			return ret;
		c->n = 0;
		s2_attrib_begin(kvm, lo, min(hi, c->ipa_end), &c->attr);
		t0 = ktime_get_ns();
		write_lock(&kvm->mmu_lock);
		rcu_read_lock();
		pgt = s2_leaf_pgt(kvm);
		if (!pgt) {
			ret = -ENOENT;
			goto unlock;
		}
		c->ipa_end = s2_leaf_ipa_end(pgt);
		hi = min(hi, c->ipa_end);
		if (lo < hi) {
			hi = s2_attrib_limit(&c->attr, lo, hi);
			s2_vm_widen(vm, &lo, &hi);
			w.next = lo;
			w.end = hi;
			s2_leaf_walk_chunk(&w, pgt, S2_CHUNK_STEPS);
			hi = w.next;
			if (c->n && c->walked[0].ipa < lo)
				lo = c->walked[0].ipa;
		} else {
			/* Nothing of [start, end) lies inside the IPA space: no leaf there. */
			lo = start;
			hi = end;
		}
		ret = s2_vm_settle_apply(vm, lo, hi, c->walked, c->n, &c->pool);
		if (!ret)
			*done = hi;
unlock:
		rcu_read_unlock();
		write_unlock(&kvm->mmu_lock);
		held = ktime_get_ns() - t0;
		s2_attrib_end(kvm, &c->attr);
		s2_stats_max(&s2_stats.walk_max_hold_ns, held);
		s2_pool_release_dead(&c->pool);
		/* The chunk found more than the pool holds: fill it and read the chunk again. */
		want = S2_APPLY_NODES(c->n);
	} while (ret == -EAGAIN);
	return ret;
}

/* Read the whole table back.  Returns 0 when it was read to the end. */
static int settle_full(struct s2_vm *vm, struct kvm *kvm, struct s2_settle *c)
{
	u64 pos = 0, drops;
	int ret = 0;

	s2_vm_full_begin(vm, &drops);
	while (!ret && pos < c->ipa_end) {
		ret = settle_chunk(vm, kvm, pos, U64_MAX, &pos, c);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	s2_vm_full_end(vm, drops, !ret);
	return ret;
}

/* Read the pending ranges back, those there now and a bounded number of newer chunks. */
static int settle_pending(struct s2_vm *vm, struct kvm *kvm, struct s2_settle *c)
{
	unsigned int budget = READ_ONCE(vm->pending.nranges) + S2_MAX_EXTRA_CHUNKS;
	u64 start, end, done;
	int ret = 0;

	while (!ret && budget-- && s2_vm_pending_first(vm, &start, &end)) {
		ret = settle_chunk(vm, kvm, start, end, &done, c);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	return ret;
}

/* Make @vm's runs pending ranges (vm.c, "Runs"): maps made before this settle. */
static void flush_runs(struct s2_vm *vm, struct kvm *kvm)
{
	if (!s2_vm_has_runs(vm))
		return;
	write_lock(&kvm->mmu_lock);
	s2_vm_runs_flush(vm);
	write_unlock(&kvm->mmu_lock);
}

/*
 * Settle @vm: a full walk first if @full and the VM needs one, then its pending ranges.
 * Process context; serialised per VM.
 */
static int settle(struct s2_vm *vm, bool full)
{
	struct s2_settle *c;
	int ret;

	if (!s2_vm_needs_settle(vm))
		return 0;
	c = kvzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->ipa_end = U64_MAX;
	ret = mutex_lock_killable(&vm->lc.settle_lock);
	if (ret)
		goto out_free;
	if (!s2_vm_get_kvm(vm)) {
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = 0;
	if (full && s2_vm_needs_full(vm))
		ret = settle_full(vm, vm->kvm, c);
	if (!ret) {
		flush_runs(vm, vm->kvm);
		ret = settle_pending(vm, vm->kvm, c);
	}
	s2_vm_put_kvm(vm);
out_unlock:
	mutex_unlock(&vm->lc.settle_lock);
out_free:
	s2_pool_release(&c->pool);
	kvfree(c);
	return ret;
}

/**
 * s2_lc_settle() - read @vm's pending ranges back before a reader looks at its state.
 * @vm: the VM; the caller holds a reference on it.
 *
 * Returns 0, or an error the reader may ignore (the state then includes unsettled maps).
 * A VM that is dead or has no table has nothing to settle.
 */
int s2_lc_settle(struct s2_vm *vm)
{
	int ret = settle(vm, false);

	return ret == -ENOENT ? 0 : ret;
}

/**
 * s2_lc_resync() - walk @vm's whole table now and rebuild its tracked state.
 * @vm: the VM; the caller holds a reference on it.
 *
 * Returns 0, -ENOENT (dead or no table), -EOPNOTSUPP (pKVM owns the table), -ENOMEM (the
 * budget is short: the VM stays inexact) or -EINTR.
 */
int s2_lc_resync(struct s2_vm *vm)
{
	struct s2_vm_snap s;

	s2_vm_snapshot(vm, &s);
	if (s.state == S2_ST_UNWALKABLE)
		return -EOPNOTSUPP;
	s2_vm_request_full(vm);
	return settle(vm, true);
}

/* ---- work ---- */

static void queue_settle(struct s2_vm *vm, unsigned long delay)
{
	if (READ_ONCE(s2_lc_exiting) || s2_vm_is_dead(vm))
		return;
	s2_vm_get(vm);
	if (!queue_delayed_work(s2_settle_wq, &vm->lc.settle, delay))
		s2_vm_put(vm);
}

static void settle_work(struct work_struct *work)
{
	struct s2_vm *vm = container_of(to_delayed_work(work), struct s2_vm, lc.settle);
	int ret = settle(vm, true);

	if (ret == -ENOMEM) {
		/* Short of budget: try again later, waiting twice as long each time. */
		vm->lc.backoff = min(vm->lc.backoff * 2 + 1, (unsigned int)S2_MAX_BACKOFF);
		queue_settle(vm, HZ * vm->lc.backoff);
	} else if (!ret) {
		vm->lc.backoff = 0;
		if (s2_vm_needs_settle(vm))	/* maps made while it ran */
			queue_settle(vm, S2_SETTLE_DELAY);
	}
	s2_vm_put(vm);
}

/**
 * s2_lc_kick() - @vm has pending ranges or needs a full walk: settle it soon.
 * @vm: the VM.
 *
 * Any context (hooks call it with KVM's mmu_lock held).
 */
void s2_lc_kick(struct s2_vm *vm)
{
	queue_settle(vm, S2_SETTLE_DELAY);
}

/* Name the VM like KVM's own debugfs directory, "<pid>-<fd>" (caller holds a kvm ref). */
static void name_vm(struct s2_vm *vm)
{
	struct kvm *kvm = vm->kvm;
	static atomic_t anon;

	if (!IS_ERR_OR_NULL(kvm->debugfs_dentry)) {
		snprintf(vm->name, sizeof(vm->name), "%pd", kvm->debugfs_dentry);
		if (sscanf(vm->name, "%d-%d", &vm->pid, &vm->fd) == 2)
			return;
	}
	/*
	 * KVM has no debugfs directory for it (another VM of this process still has the name):
	 * "<pid>-vm<N>", pid from "kvm-<pid>", N unique; it sorts after the named VMs.
	 */
	if (sscanf(kvm->stats_id, "kvm-%d", &vm->pid) != 1)
		vm->pid = 0;
	vm->fd = INT_MAX;
	snprintf(vm->name, sizeof(vm->name), "%d-vm%d", vm->pid, atomic_inc_return(&anon));
}

static void queue_work_ref(struct s2_vm *vm, unsigned long delay)
{
	s2_vm_get(vm);
	if (!queue_delayed_work(s2_pub_wq, &vm->lc.work, delay))
		s2_vm_put(vm);
}

/* Publish (first full walk, then the directory), or retire once dead. */
static void pub_work(struct work_struct *work)
{
	struct s2_vm *vm = container_of(to_delayed_work(work), struct s2_vm, lc.work);
	int ret;

	if (!s2_vm_is_dead(vm) && !READ_ONCE(vm->lc.published)) {
		/* Nobody sees a VM whose mappings are not learned yet. */
		ret = settle(vm, true);
		if (ret == -ENOMEM)
			queue_settle(vm, HZ);
	}

	mutex_lock(&s2_lc_mutex);
	if (s2_vm_is_dead(vm)) {
		if (!vm->lc.retired) {
			vm->lc.retired = true;
			if (vm->lc.published)
				s2_view->remove_vm(vm);
			s2_vm_put(vm);			/* the base reference */
		}
	} else if (!vm->lc.published && !s2_lc_exiting && s2_vm_get_kvm(vm)) {
		if (!vm->name[0])
			name_vm(vm);
		s2_vm_put_kvm(vm);
		ret = s2_view->add_vm(vm);
		if (ret == -EEXIST) {
			/* A destroyed VM still has the name; it goes first (ordered queue). */
			atomic64_inc(&s2_stats.name_waits);
			queue_work_ref(vm, HZ / 10);
		} else {
			/* Identity is complete before anyone sees the VM published. */
			smp_store_release(&vm->lc.published, true);
		}
	}
	mutex_unlock(&s2_lc_mutex);
	s2_vm_put(vm);				/* the work's reference */
}

/* s2_lc_init_vm() - set up a new object's lifecycle state, before anyone can find it. */
void s2_lc_init_vm(struct s2_vm *vm)
{
	INIT_DELAYED_WORK(&vm->lc.work, pub_work);
	INIT_DELAYED_WORK(&vm->lc.settle, settle_work);
	mutex_init(&vm->lc.settle_lock);
}

/**
 * s2_lc_vm_new() - a VM object was created (hook or discovery): publish it.
 * @vm: the new VM.
 * @delay: jiffies before its first walk takes a KVM reference (hooks.c: a VM learnt from
 *	its vCPU may be a VMM's short-lived probe, which had better be gone by then).
 */
void s2_lc_vm_new(struct s2_vm *vm, unsigned long delay)
{
	if (!READ_ONCE(s2_lc_exiting))
		queue_work_ref(vm, delay);
}

/**
 * s2_lc_vm_gone() - KVM destroys @vm: retire it.
 * @vm: the VM, marked dead, with a reference that this call consumes.
 */
void s2_lc_vm_gone(struct s2_vm *vm)
{
	if (!READ_ONCE(s2_lc_exiting) && queue_delayed_work(s2_pub_wq, &vm->lc.work, 0))
		return;		/* the reference is the work's */
	/* Already queued: that run retires it.  Exiting: s2_lc_exit() does. */
	s2_vm_put(vm);
}

void s2_lc_set_view(const struct s2_view_ops *ops)
{
	s2_view = ops;
}

int s2_lc_init(void)
{
	/* Ordered: a dead VM's directory goes before a new VM with its name comes. */
	s2_pub_wq = alloc_ordered_workqueue("kvm_s2stat", 0);
	s2_settle_wq = alloc_workqueue("kvm_s2stat_settle", WQ_UNBOUND, 0);
	if (!s2_pub_wq || !s2_settle_wq) {
		if (s2_pub_wq)
			destroy_workqueue(s2_pub_wq);
		if (s2_settle_wq)
			destroy_workqueue(s2_settle_wq);
		return -ENOMEM;
	}
	return 0;
}

/**
 * s2_lc_stop() - unload, once no hook can create or queue anything new: cancel every VM
 * object's work synchronously, dead ones included.  Nothing is queued afterwards.
 */
void s2_lc_stop(void)
{
	struct s2_vm **vms;
	int i, n;

	WRITE_ONCE(s2_lc_exiting, true);
	/* The exiting flag is visible to every queueing path from here on. */
	synchronize_rcu();
	vms = s2_vms_all_objects(&n);
	for (i = 0; vms && i < n; i++) {
		if (cancel_delayed_work_sync(&vms[i]->lc.settle))
			s2_vm_put(vms[i]);
		if (cancel_delayed_work_sync(&vms[i]->lc.work))
			s2_vm_put(vms[i]);
	}
	if (vms)
		s2_vms_put_all(vms, n);
	flush_workqueue(s2_settle_wq);
	flush_workqueue(s2_pub_wq);
}

/*
 * s2_lc_exit() - unload, after the files are gone and the guard is disarmed: retire every
 * object and wait until all are freed.
 */
void s2_lc_exit(void)
{
	struct s2_vm **vms;
	int i, n;

	s2_vm_unhash_all();
	vms = s2_vms_all_objects(&n);
	mutex_lock(&s2_lc_mutex);
	for (i = 0; vms && i < n; i++) {
		if (!vms[i]->lc.retired) {
			vms[i]->lc.retired = true;
			s2_vm_put(vms[i]);		/* the base reference */
		}
	}
	mutex_unlock(&s2_lc_mutex);
	if (vms)
		s2_vms_put_all(vms, n);
	destroy_workqueue(s2_settle_wq);
	destroy_workqueue(s2_pub_wq);
	rcu_barrier();
}
