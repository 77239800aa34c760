// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat VM registry (vm.h): VM objects, their references, their tracked state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "compat.h"
#include "s2stat.h"
#include "vm.h"
#include "trace.h"

#define S2_VM_HASH_BITS	6
#define S2_MAX_VMS	65536
#define S2_RESERVE	2	/* nodes a hook-side change may take */
#define S2_PEND_KICK	16	/* pending ranges that call for a settle now */

static DEFINE_HASHTABLE(s2_vm_hash, S2_VM_HASH_BITS);
static LIST_HEAD(s2_vm_all);		/* every object until freed, under s2_vms_lock */
static DEFINE_RAW_SPINLOCK(s2_vms_lock);
static struct kmem_cache *s2_node_cache;	/* only where kmalloc would round a node up */

/*
 * Runs.  A device map that continues the last one its CPU noted (same VM, the next IPA and
 * PA, the same size and attribute, no tracked leaf in the way) only extends that CPU's run;
 * the run joins the VM's pending ranges when the CPU notes a map that does not continue it
 * or when anyone takes kvm->mmu_lock for write and needs the pending ranges whole (settle,
 * verify, unmap: s2_vm_runs_flush()).  So a BAR faulted in page by page costs one pending
 * insertion per settle interval, not one per page.
 *
 * The extension runs without a lock: it happens only under kvm->mmu_lock, and whoever
 * flushes the runs of that VM holds kvm->mmu_lock for write.  The slot's lock orders a
 * CPU that moves its slot to another VM against a flush of the old VM from elsewhere; it
 * nests outside vm->lock.  ->kvm is the key: compared, never dereferenced, cleared by the
 * guard before KVM frees the VM, so a new VM at the same address never continues a run.
 */
struct s2_run {
	struct kvm *kvm;	/* NULL: no run */
	struct s2_vm *vm;
	u64 ipa, end, pa;	/* [ipa, end) maps [pa, pa + end - ipa) */
	u64 unit;		/* the size of each map of the run */
	u64 limit;		/* the first tracked leaf above the run: the run stays below */
	u8 attr, level;
	raw_spinlock_t lock;
};

static DEFINE_PER_CPU(struct s2_run, s2_runs);

/*
 * ---- nodes ----
 *
 * From kmalloc where it has a class of exactly the node's size: a dedicated cache would hold
 * a slab page per CPU for the first node and keep emptied slabs after a VM goes, while
 * kmalloc's slabs are shared and live anyway.  Where kmalloc's minimum alignment rounds a
 * node up (6.1 arm64: ARCH_KMALLOC_MINALIGN 128), a cache of our own instead.
 */

static struct s2_range *node_alloc(gfp_t gfp, unsigned int slack)
{
	struct s2_range *r;

	if (atomic_inc_return(&s2_stats.ranges) > READ_ONCE(s2_max_ranges) + slack) {
		atomic_dec(&s2_stats.ranges);
		return NULL;
	}
	if (s2_node_cache)
		r = kmem_cache_alloc(s2_node_cache, gfp | __GFP_NOWARN);
	else
		r = kmalloc(sizeof(*r), gfp | __GFP_NOWARN);
	if (!r)
		atomic_dec(&s2_stats.ranges);
	return r;
}

static void node_free(struct s2_range *r)
{
	if (s2_node_cache)
		kmem_cache_free(s2_node_cache, r);
	else
		kfree(r);
	atomic_dec(&s2_stats.ranges);
}

static void free_list(struct s2_range *r)
{
	while (r) {
		struct s2_range *next = r->next_free;

		node_free(r);
		r = next;
	}
}

/**
 * s2_pool_fill() - make @pool hold at least @n spare nodes.
 * @pool: the pool.
 * @n: nodes wanted.
 * @gfp: GFP_KERNEL in process context (settles may then exceed the budget by one chunk's
 *	 worth while old nodes are replaced), GFP_NOWAIT in hooks (never beyond the budget).
 *
 * Returns 0 or -ENOMEM.
 */
int s2_pool_fill(struct s2_pool *pool, unsigned int n, gfp_t gfp)
{
	unsigned int slack = gfpflags_allow_blocking(gfp) ? n : 0;

	while (pool->nspare < n) {
		struct s2_range *r = node_alloc(gfp, slack);

		if (!r)
			return -ENOMEM;
		s2_pool_give(pool, r);
		pool->short_by = 0;
	}
	return 0;
}

/* s2_pool_release() - free every node of @pool (spare and dead). */
void s2_pool_release(struct s2_pool *pool)
{
	free_list(pool->spare);
	free_list(pool->dead);
	*pool = (struct s2_pool){};
}

/* s2_pool_release_dead() - free the nodes @pool collected from changes. */
void s2_pool_release_dead(struct s2_pool *pool)
{
	free_list(pool->dead);
	pool->dead = NULL;
	pool->ndead = 0;
}

/*
 * Under vm->lock after a change: dead nodes refill the reserve; the rest is detached for the
 * caller to free once the lock is dropped.
 */
static struct s2_range *reserve_recycle(struct s2_vm *vm)
{
	struct s2_pool *rs = &vm->reserve;
	struct s2_range *rest;

	while (rs->dead && rs->nspare < S2_RESERVE) {
		struct s2_range *r = rs->dead;

		rs->dead = r->next_free;
		rs->ndead--;
		s2_pool_give(rs, r);
	}
	rest = rs->dead;
	rs->dead = NULL;
	rs->ndead = 0;
	rs->short_by = 0;
	return rest;
}

/**
 * s2_vm_reserve_fill() - top the VM's reserve up to what one hook-side change may take.
 * @vm: the VM.
 *
 * Hook context: allocates (GFP_NOWAIT, within the budget) only when the reserve ran low; a
 * change that still finds it short is a drop.
 */
void s2_vm_reserve_fill(struct s2_vm *vm)
{
	struct s2_range *r;

	while (READ_ONCE(vm->reserve.nspare) < S2_RESERVE) {
		r = node_alloc(GFP_NOWAIT, 0);
		if (!r)
			return;
		raw_spin_lock(&vm->lock);
		if (vm->reserve.nspare < S2_RESERVE) {
			s2_pool_give(&vm->reserve, r);
			r = NULL;
		}
		raw_spin_unlock(&vm->lock);
		if (r) {
			node_free(r);
			return;
		}
	}
}

/* ---- objects and references ---- */

static void s2_vm_free_rcu(struct rcu_head *head)
{
	struct s2_vm *vm = container_of(head, struct s2_vm, rcu);
	struct s2_pool pool = {};

	s2_rt_clear(&vm->mapped, &pool);
	s2_rt_clear(&vm->pending, &pool);
	s2_pool_release(&pool);
	s2_pool_release(&vm->reserve);
	kfree(vm);
	atomic_dec(&s2_stats.vms);
}

static void s2_vm_release(struct kref *ref)
{
	struct s2_vm *vm = container_of(ref, struct s2_vm, ref);

	raw_spin_lock(&s2_vms_lock);
	list_del(&vm->all);
	raw_spin_unlock(&s2_vms_lock);
	/* Hooks look VMs up under RCU. */
	call_rcu(&vm->rcu, s2_vm_free_rcu);
}

void s2_vm_get(struct s2_vm *vm)
{
	kref_get(&vm->ref);
}

bool s2_vm_tryget(struct s2_vm *vm)
{
	return kref_get_unless_zero(&vm->ref);
}

void s2_vm_put(struct s2_vm *vm)
{
	kref_put(&vm->ref, s2_vm_release);
}

/**
 * s2_vm_get_kvm() - take a reference on @vm's struct kvm, unless KVM is destroying it.
 * @vm: the VM; the caller holds a reference on it.
 *
 * ->dead is set under s2_vms_lock by the kvm_arch_destroy_vm() hook, before KVM frees the
 * struct kvm, and that hook cannot be switched off while the module is loaded (hooks.c), so
 * checking it under the same lock makes ->kvm safe to pass to kvm_get_kvm_safe().
 */
bool s2_vm_get_kvm(struct s2_vm *vm)
{
	bool ok;

	raw_spin_lock(&s2_vms_lock);
	ok = !vm->dead && kvm_get_kvm_safe(vm->kvm);
	raw_spin_unlock(&s2_vms_lock);
	return ok;
}

void s2_vm_put_kvm(struct s2_vm *vm)
{
	kvm_put_kvm(vm->kvm);
}

bool s2_vm_is_dead(struct s2_vm *vm)
{
	return READ_ONCE(vm->dead);
}

/* s2_vm_find() - the tracked VM of @kvm, or NULL.  Caller is in an RCU read section. */
struct s2_vm *s2_vm_find(struct kvm *kvm)
{
	struct s2_vm *vm;

	hash_for_each_possible_rcu(s2_vm_hash, vm, hnode, (unsigned long)kvm)
		if (vm->kvm == kvm)
			return vm;
	return NULL;
}

/**
 * s2_vm_create() - the tracked VM of @kvm, created if it has none.
 * @kvm: a VM that KVM keeps alive for the duration of the call.
 * @gfp: GFP_NOWAIT from hooks, GFP_KERNEL from discovery.
 * @created: set when the object is new (the caller hands it to the lifecycle).
 * @init: sets up the new object's lifecycle state before anyone can find it.
 *
 * Returns the VM (valid for the caller's RCU read section, or until it takes a reference),
 * or NULL when it cannot be tracked (counted as a drop).
 */
struct s2_vm *s2_vm_create(struct kvm *kvm, gfp_t gfp, bool *created,
			   void (*init)(struct s2_vm *vm))
{
	struct s2_vm *vm, *old;

	*created = false;
	if (atomic_inc_return(&s2_stats.vms) > S2_MAX_VMS)
		goto fail;
	vm = kzalloc(sizeof(*vm), gfp | __GFP_NOWARN);
	if (!vm)
		goto fail;
	vm->kvm = kvm;
	kref_init(&vm->ref);		/* the base reference: dropped at retirement */
	raw_spin_lock_init(&vm->lock);
	s2_rt_init(&vm->mapped, PAGE_SHIFT);
	s2_rt_init(&vm->pending, PAGE_SHIFT);
	vm->fd = -1;
	if (s2_tables_walkable()) {
		vm->state = S2_ST_INEXACT;	/* until its first full walk */
		vm->need_full = true;
	} else {
		vm->state = S2_ST_UNWALKABLE;
	}
	init(vm);

	raw_spin_lock(&s2_vms_lock);
	old = s2_vm_find(kvm);
	if (!old) {
		hash_add_rcu(s2_vm_hash, &vm->hnode, (unsigned long)kvm);
		list_add_tail(&vm->all, &s2_vm_all);
	}
	raw_spin_unlock(&s2_vms_lock);
	if (old) {
		kfree(vm);
		atomic_dec(&s2_stats.vms);
		return old;
	}
	atomic64_inc(&s2_stats.vms_seen);
	*created = true;
	return vm;
fail:
	atomic_dec(&s2_stats.vms);
	atomic64_inc(&s2_stats.drops);
	return NULL;
}

/**
 * s2_vm_gone() - KVM destroys @kvm: unhash its VM, mark it dead, forget its state.
 * @kvm: the VM (the kvm_arch_destroy_vm() hook).
 *
 * Returns the VM with a reference for the caller (to retire it), or NULL if untracked.
 */
struct s2_vm *s2_vm_gone(struct kvm *kvm)
{
	struct s2_vm *vm;

	raw_spin_lock(&s2_vms_lock);
	vm = s2_vm_find(kvm);
	if (vm) {
		hash_del_rcu(&vm->hnode);
		WRITE_ONCE(vm->dead, true);
		kref_get(&vm->ref);
	}
	raw_spin_unlock(&s2_vms_lock);
	if (vm) {
		atomic64_inc(&s2_stats.vms_gone);
		s2_vm_clear(vm);
	}
	return vm;
}

/* s2_vm_unhash_all() - unload: forget every VM (nothing looks them up any more). */
void s2_vm_unhash_all(void)
{
	struct s2_vm *vm;

	raw_spin_lock(&s2_vms_lock);
	list_for_each_entry(vm, &s2_vm_all, all) {
		if (!vm->dead) {
			hash_del_rcu(&vm->hnode);
			WRITE_ONCE(vm->dead, true);
		}
	}
	raw_spin_unlock(&s2_vms_lock);
}

static int s2_vm_cmp(const void *a, const void *b)
{
	const struct s2_vm *x = *(const struct s2_vm * const *)a;
	const struct s2_vm *y = *(const struct s2_vm * const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->fd != y->fd)
		return x->fd < y->fd ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Collect references on the objects of the all-list that @want accepts. */
static struct s2_vm **collect(int *out_n, bool (*want)(struct s2_vm *vm))
{
	struct s2_vm **arr, *vm;
	int n, cap;

	for (;;) {
		cap = atomic_read(&s2_stats.vms) + 8;
		arr = kmalloc_array(cap, sizeof(*arr), GFP_KERNEL);
		if (!arr)
			return NULL;
		n = 0;
		raw_spin_lock(&s2_vms_lock);
		list_for_each_entry(vm, &s2_vm_all, all) {
			if (n == cap)
				break;
			if (want(vm) && kref_get_unless_zero(&vm->ref))
				arr[n++] = vm;
		}
		raw_spin_unlock(&s2_vms_lock);
		if (n < cap)
			break;
		s2_vms_put_all(arr, n);
	}
	*out_n = n;
	return arr;
}

static bool want_published(struct s2_vm *vm)
{
	/* Pairs with the release in the lifecycle's publication: identity is set. */
	return !vm->dead && smp_load_acquire(&vm->lc.published);
}

static bool want_any(struct s2_vm *vm)
{
	return true;
}

/**
 * s2_vms_get_all() - references on every tracked, published VM, sorted by pid then fd.
 * @out: set to an array to give back with s2_vms_put_all().
 * @published_only: must be true (every caller lists what users can see).
 *
 * Returns the number of VMs, or -ENOMEM.  Process context.
 */
int s2_vms_get_all(struct s2_vm ***out, bool published_only)
{
	int n;
	struct s2_vm **arr = collect(&n, published_only ? want_published : want_any);

	if (!arr)
		return -ENOMEM;
	sort(arr, n, sizeof(*arr), s2_vm_cmp, NULL);
	*out = arr;
	return n;
}

/* s2_vms_all_objects() - references on every object alive, dead ones included (drain). */
struct s2_vm **s2_vms_all_objects(int *n)
{
	return collect(n, want_any);
}

void s2_vms_put_all(struct s2_vm **vms, int n)
{
	while (n > 0)
		s2_vm_put(vms[--n]);
	kfree(vms);
}

/* ---- hook-side changes ---- */

/* s2_vm_drop() - a change could not be recorded (vm->lock held): walk everything again. */
static void s2_vm_drop(struct s2_vm *vm)
{
	vm->drops++;
	atomic64_inc(&s2_stats.drops);
	if (vm->state != S2_ST_UNWALKABLE) {
		vm->state = S2_ST_INEXACT;
		vm->need_full = true;
	}
}

/* Under vm->lock; recycle the nodes the change freed, report whether to settle soon. */
static bool change_done(struct s2_vm *vm, int ret, struct s2_range **rest, u64 npend_before)
{
	u64 n = vm->pending.nranges;

	if (ret)
		s2_vm_drop(vm);
	*rest = reserve_recycle(vm);
	return ret || (n && !npend_before) || (n >= S2_PEND_KICK && npend_before < S2_PEND_KICK);
}

/* Add a read-back of [start, end) where nothing is pending yet (vm->lock held). */
static int pend_reread(struct s2_vm *vm, u64 start, u64 end)
{
	struct s2_props p = { .src.class = S2_PEND_REREAD, .level = S2_LEAF_LEVEL };
	struct s2_range *r;
	int ret = 0;

	while (start < end && !ret) {
		u64 gap_end = end;

		r = s2_rt_first_from(&vm->pending, start);
		if (r && r->ipa <= start) {
			start = s2_range_end(r);
			continue;
		}
		if (r && r->ipa < end)
			gap_end = r->ipa;
		ret = s2_rt_add(&vm->pending, start, start, gap_end - start, &p, false,
				&vm->reserve);
		start = gap_end;
	}
	return ret;
}

/*
 * Move @run into its VM's pending ranges (run->lock held; the caller filled the VM's reserve:
 * nothing allocates under a raw lock).  ->kvm is cleared only after the add, so a remote
 * flusher that finds it set waits on run->lock until the run is pending.  Returns nodes to
 * free once the locks are dropped.
 */
static struct s2_range *run_flush(struct s2_run *run)
{
	struct s2_vm *vm = run->vm;
	struct s2_props p = { .attr = run->attr, .level = run->level, .src.class = S2_PEND_MAP };
	struct s2_range *rest;
	int ret;

	if (!run->kvm)
		return NULL;
	raw_spin_lock(&vm->lock);
	ret = s2_rt_add(&vm->pending, run->ipa, run->pa, run->end - run->ipa, &p, false,
			&vm->reserve);
	/*
	 * No kick: the run's start asked for a settle, and until one has flushed every run of
	 * the VM (and so this one) vm->runs stays set and the settle is still to come.
	 */
	change_done(vm, ret, &rest, 0);
	raw_spin_unlock(&vm->lock);
	WRITE_ONCE(run->kvm, NULL);
	return rest;
}

/**
 * s2_vm_run_extend() - count a device map into this CPU's run if it continues it.
 * @kvm: the VM (map hook: KVM holds kvm->mmu_lock, so the task stays on its CPU).
 * @ipa: start (page aligned).
 * @pa: physical start.
 * @size: bytes.
 * @attr: the attribute KVM asks for.
 *
 * Returns false when it does not continue the run: s2_vm_note_map() takes it then.
 */
bool s2_vm_run_extend(struct kvm *kvm, u64 ipa, u64 pa, u64 size, enum s2_attr attr)
{
	struct s2_run *run = this_cpu_ptr(&s2_runs);

	if (READ_ONCE(run->kvm) != kvm || ipa != run->end || size != run->unit ||
	    pa != run->pa + (run->end - run->ipa) || attr != run->attr ||
	    size > run->limit - ipa)
		return false;
	run->end += size;
	return true;
}

/**
 * s2_vm_runs_flush() - make @vm's runs, on every CPU, pending ranges.
 * @vm: the VM; KVM's kvm->mmu_lock is held for write, so no map of it is in flight.
 *
 * Called before anything reads pending as complete or makes mapped grow (a run's limit
 * assumes mapped does not grow under it).
 */
void s2_vm_runs_flush(struct s2_vm *vm)
{
	int cpu;

	if (!READ_ONCE(vm->runs))
		return;
	WRITE_ONCE(vm->runs, false);
	for_each_possible_cpu(cpu) {
		struct s2_run *run = per_cpu_ptr(&s2_runs, cpu);
		struct s2_range *rest = NULL;

		/*
		 * Always under the lock: a CPU may be moving this VM's run to pending right now
		 * (s2_vm_note_map() for another VM); the lock makes us wait for it and see it.
		 */
		if (READ_ONCE(run->kvm) == vm->kvm)
			s2_vm_reserve_fill(vm);
		raw_spin_lock(&run->lock);
		if (run->kvm == vm->kvm && run->vm == vm)
			rest = run_flush(run);
		raw_spin_unlock(&run->lock);
		free_list(rest);
	}
}

/* Drop every run of @kvm: its table is gone, or KVM frees it (no map of it is in flight). */
static void runs_forget(struct kvm *kvm)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct s2_run *run = per_cpu_ptr(&s2_runs, cpu);

		raw_spin_lock(&run->lock);
		if (run->kvm == kvm)
			WRITE_ONCE(run->kvm, NULL);
		raw_spin_unlock(&run->lock);
	}
}

/* Start this CPU's run with a map of @vm that widening left alone (run->lock held). */
static bool run_start(struct s2_run *run, struct s2_vm *vm, u64 ipa, u64 pa, u64 size,
		      enum s2_attr attr)
{
	/* mapped is stable under kvm->mmu_lock; it grows only after s2_vm_runs_flush(). */
	struct s2_range *next = s2_rt_first_from(&vm->mapped, ipa);

	run->vm = vm;
	run->ipa = ipa;
	run->end = ipa + size;
	run->pa = pa;
	run->unit = size;
	run->limit = next ? max(next->ipa, ipa + size) : U64_MAX;
	run->attr = attr;
	run->level = s2_rt_map_level(&vm->pending, ipa, pa, size);
	WRITE_ONCE(run->kvm, vm->kvm);
	if (READ_ONCE(vm->runs))
		return false;
	WRITE_ONCE(vm->runs, true);
	return true;
}

/**
 * s2_vm_note_map() - KVM is about to map device memory at [ipa, ipa + size).
 * @vm: the VM.
 * @ipa: start.
 * @pa: physical start.
 * @size: bytes.
 * @attr: the attribute KVM asks for.
 *
 * Map hook, kvm->mmu_lock held (for read, or write under pKVM).  What the map leaves is read
 * back from the table by the next settle.  A map over part of a tracked block replaces the
 * whole block (KVM breaks it up): that block is read back too.
 *
 * Returns true when the lifecycle should be told to settle.
 */
bool s2_vm_note_map(struct s2_vm *vm, u64 ipa, u64 pa, u64 size, enum s2_attr attr)
{
	struct s2_props p = { .attr = attr, .src.class = S2_PEND_MAP };
	struct s2_run *run = this_cpu_ptr(&s2_runs);
	u64 lo = ipa, hi = ipa + size, before;
	struct s2_range *rest;
	bool kick;
	int ret;

	/* mapped is stable under kvm->mmu_lock: only its writers' widening matters here. */
	s2_rt_widen(&vm->mapped, &lo, &hi);
	/*
	 * The run this CPU holds, of whichever VM: its object outlives our RCU read section
	 * while ->kvm is set (the guard clears ->kvm before the object can be retired).
	 */
	if (READ_ONCE(run->kvm))
		s2_vm_reserve_fill(run->vm);
	raw_spin_lock(&run->lock);
	rest = run_flush(run);
	if (lo == ipa && hi == ipa + size) {
		kick = run_start(run, vm, ipa, pa, size, attr);
		raw_spin_unlock(&run->lock);
		free_list(rest);
		return kick;
	}
	raw_spin_unlock(&run->lock);
	free_list(rest);

	p.level = s2_rt_map_level(&vm->pending, ipa, pa, size);
	s2_vm_reserve_fill(vm);
	raw_spin_lock(&vm->lock);
	before = vm->pending.nranges;
	ret = s2_rt_add(&vm->pending, ipa, pa, size, &p, false, &vm->reserve);
	if (!ret && lo < ipa)
		ret = pend_reread(vm, lo, ipa);
	if (!ret && hi > ipa + size)
		ret = pend_reread(vm, ipa + size, hi);
	kick = change_done(vm, ret, &rest, before);
	raw_spin_unlock(&vm->lock);
	free_list(rest);
	return kick;
}

/* Add a read-back of the tracked leaves in [start, end), widened to whole leaves. */
static bool note_reread(struct s2_vm *vm, u64 start, u64 end)
{
	struct s2_range *rest;
	u64 before;
	bool kick;
	int ret;

	s2_vm_reserve_fill(vm);
	raw_spin_lock(&vm->lock);
	before = vm->pending.nranges;
	s2_rt_widen(&vm->mapped, &start, &end);
	ret = pend_reread(vm, start, end);
	kick = change_done(vm, ret, &rest, before);
	raw_spin_unlock(&vm->lock);
	free_list(rest);
	return kick;
}

/**
 * s2_vm_note_relax() - KVM is about to add permissions to the leaf holding @ipa.
 * @vm: the VM.
 * @ipa: the faulting IPA.
 *
 * Permission-fault hook, kvm->mmu_lock held (for read): the lookup in mapped needs no lock
 * (mapped only changes under the lock held for write), so RAM faults never take vm->lock.
 * Leaves that are not tracked yet are pending, and their read-back sees the new permissions.
 */
bool s2_vm_note_relax(struct s2_vm *vm, u64 ipa)
{
	if (!s2_rt_lookup(&vm->mapped, ipa))
		return false;
	return note_reread(vm, ipa, ipa + 1);
}

/* s2_vm_note_split() - KVM splits blocks in [start, end) into pages (write lock held). */
bool s2_vm_note_split(struct s2_vm *vm, u64 start, u64 end)
{
	if (!s2_rt_overlaps(&vm->mapped, start, end))
		return false;
	return note_reread(vm, start, end);
}

/**
 * s2_vm_unmap() - KVM unmaps [start, end) (kvm->mmu_lock held for write).
 * @vm: the VM.
 * @start: start.
 * @end: end.
 *
 * Tracked leaves go (whole leaves), and so do pending map records there: whatever those maps
 * did is undone.  Returns true when the lifecycle should be told (a drop).
 */
bool s2_vm_unmap(struct s2_vm *vm, u64 start, u64 end)
{
	struct s2_range *rest;
	bool kick;
	int ret;

	/* Both trees are stable while KVM holds the lock for write; the runs join pending. */
	s2_vm_runs_flush(vm);
	if (!s2_rt_overlaps(&vm->mapped, start, end) && !s2_rt_overlaps(&vm->pending, start, end))
		return false;
	s2_vm_reserve_fill(vm);
	raw_spin_lock(&vm->lock);
	ret = s2_rt_cut(&vm->mapped, start, end, true, &vm->reserve);
	ret |= s2_rt_cut(&vm->pending, start, end, true, &vm->reserve);
	kick = change_done(vm, ret, &rest, U64_MAX);
	raw_spin_unlock(&vm->lock);
	free_list(rest);
	return kick;
}

/* s2_vm_wrprotect() - KVM removes write permission in [start, end) (write lock held). */
bool s2_vm_wrprotect(struct s2_vm *vm, u64 start, u64 end)
{
	struct s2_range *rest;
	bool kick;
	int ret;

	if (!s2_rt_overlaps(&vm->mapped, start, end))
		return false;
	s2_vm_reserve_fill(vm);
	raw_spin_lock(&vm->lock);
	ret = s2_rt_set_perm(&vm->mapped, start, end, 0, S2_PERM_W, &vm->reserve);
	kick = change_done(vm, ret, &rest, U64_MAX);
	raw_spin_unlock(&vm->lock);
	free_list(rest);
	return kick;
}

/* s2_vm_clear() - the VM's table is gone: nothing is mapped, nothing is pending. */
void s2_vm_clear(struct s2_vm *vm)
{
	struct s2_pool pool = {};

	runs_forget(vm->kvm);
	WRITE_ONCE(vm->runs, false);
	raw_spin_lock(&vm->lock);
	s2_rt_clear(&vm->mapped, &pool);
	s2_rt_clear(&vm->pending, &pool);
	if (vm->state == S2_ST_INEXACT && !vm->dead)
		vm->need_full = true;
	raw_spin_unlock(&vm->lock);
	s2_pool_release(&pool);
}

/**
 * s2_vm_map_done() - a map whose outcome the hook saw succeed (tables that cannot be read
 * back: pKVM 6.14+, where KVM maps with kvm->mmu_lock held for write).
 * @vm: the VM.
 * @ipa: start.
 * @pa: physical start.
 * @size: bytes.
 * @p: properties of the new leaves.
 */
void s2_vm_map_done(struct s2_vm *vm, u64 ipa, u64 pa, u64 size, const struct s2_props *p)
{
	struct s2_range *rest;
	int ret;

	s2_vm_reserve_fill(vm);
	raw_spin_lock(&vm->lock);
	ret = s2_rt_add(&vm->mapped, ipa, pa, size, p, true, &vm->reserve);
	change_done(vm, ret, &rest, U64_MAX);
	raw_spin_unlock(&vm->lock);
	free_list(rest);
}

/* s2_vm_relax_done() - the leaf holding @ipa gained @perm (pKVM 6.14+, write lock held). */
void s2_vm_relax_done(struct s2_vm *vm, u64 ipa, unsigned int perm)
{
	struct s2_range *rest;
	int ret;

	if (!s2_rt_lookup(&vm->mapped, ipa))
		return;
	s2_vm_reserve_fill(vm);
	raw_spin_lock(&vm->lock);
	ret = s2_rt_set_perm(&vm->mapped, ipa, ipa + 1, perm, 0, &vm->reserve);
	change_done(vm, ret, &rest, U64_MAX);
	raw_spin_unlock(&vm->lock);
	free_list(rest);
}

/* s2_vm_map_failed() - a device map the hook saw fail (pKVM 6.14+). */
void s2_vm_map_failed(struct s2_vm *vm, enum s2_attr attr)
{
	raw_spin_lock(&vm->lock);
	vm->failed[attr]++;
	raw_spin_unlock(&vm->lock);
	atomic64_inc(&s2_stats.map_failed);
}

/* ---- settle side (process context, kvm->mmu_lock held for write) ---- */

bool s2_vm_needs_settle(struct s2_vm *vm)
{
	return READ_ONCE(vm->pending.nranges) || READ_ONCE(vm->runs) || READ_ONCE(vm->need_full);
}

bool s2_vm_needs_full(struct s2_vm *vm)
{
	return READ_ONCE(vm->need_full);
}

/* s2_vm_pending_first() - the first pending range; false when nothing is pending. */
bool s2_vm_pending_first(struct s2_vm *vm, u64 *start, u64 *end)
{
	struct s2_range *r;

	raw_spin_lock(&vm->lock);
	r = s2_rt_first_from(&vm->pending, 0);
	if (r) {
		*start = r->ipa;
		*end = s2_range_end(r);
	}
	raw_spin_unlock(&vm->lock);
	return r;
}

/* s2_vm_widen() - extend [*start, *end) to whole tracked leaves. */
void s2_vm_widen(struct s2_vm *vm, u64 *start, u64 *end)
{
	raw_spin_lock(&vm->lock);
	s2_rt_widen(&vm->mapped, start, end);
	raw_spin_unlock(&vm->lock);
}

/* Bytes of [start, end) that the walked ranges cover. */
static u64 covered(const struct s2_range *walked, unsigned int n, u64 start, u64 end)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		u64 a = max(start, walked[i].ipa), b = min(end, s2_range_end(&walked[i]));

		if (a < b)
			sum += b - a;
	}
	return sum;
}

/* Pending map records in [lo, hi) whose leaves the walk did not find failed. */
static void count_failed(struct s2_vm *vm, u64 lo, u64 hi, const struct s2_range *walked,
			 unsigned int n)
{
	struct s2_range *r;

	for (r = s2_rt_first_from(&vm->pending, lo); r && r->ipa < hi; r = s2_rt_next(r)) {
		u64 a = max(lo, r->ipa), b = min(hi, s2_range_end(r));
		u64 absent, unit, maps;

		if (r->p.src.class != S2_PEND_MAP || r->p.attr >= S2_ATTR_NR)
			continue;
		absent = (b - a) - covered(walked, n, a, b);
		if (!absent)
			continue;
		unit = s2_rt_leaf_size(&vm->pending, r->p.level);
		maps = div64_u64(absent + unit - 1, unit);
		vm->failed[r->p.attr] += maps;
		atomic64_add(maps, &s2_stats.map_failed);
		trace_s2_map_failed(vm, a, r->pa + (a - r->ipa), absent, r->p.attr, -1);
	}
}

/* Trace the walked leaves that pending ranges in [lo, hi) asked to read back. */
static void trace_read_back(struct s2_vm *vm, u64 lo, u64 hi, const struct s2_range *walked,
			    unsigned int n)
{
	struct s2_range *q;
	unsigned int i;

	if (!trace_s2_map_enabled())
		return;
	for (q = s2_rt_first_from(&vm->pending, lo); q && q->ipa < hi; q = s2_rt_next(q)) {
		for (i = 0; i < n; i++) {
			u64 a = max3(lo, q->ipa, walked[i].ipa);
			u64 b = min3(hi, s2_range_end(q), s2_range_end(&walked[i]));

			if (a < b)
				trace_s2_map(vm, a, walked[i].pa + (a - walked[i].ipa), b - a,
					     &walked[i].p);
		}
	}
}

/**
 * s2_vm_settle_apply() - the table's leaves in [lo, hi) were read: make them the truth.
 * @vm: the VM.
 * @lo: start of the walked window.
 * @hi: end of the walked window; [lo, hi) covers every walked leaf whole.
 * @walked: the device leaves found, coalesced, ascending.
 * @n: how many.
 * @pool: nodes for the change; dead ones come back on it.
 *
 * Pending map records in the window that left no leaf count as failed maps.  Tracked block
 * leaves that reach out of the window are cut whole, and their outer parts become pending
 * again.  Nothing changes unless the pool holds the nodes the change may take
 * (-EAGAIN: refill it with S2_APPLY_NODES(n)) and the result fits the max_ranges budget
 * (-ENOMEM: the VM becomes inexact and is walked again later).
 */
int s2_vm_settle_apply(struct s2_vm *vm, u64 lo, u64 hi, const struct s2_range *walked,
		       unsigned int n, struct s2_pool *pool)
{
	struct s2_props rr = { .src.class = S2_PEND_REREAD, .level = S2_LEAF_LEVEL };
	u64 wlo = lo, whi = hi;
	unsigned int i;
	long delta;
	int ret;

	if (pool->nspare < S2_APPLY_NODES(n))
		return -EAGAIN;
	s2_vm_runs_flush(vm);	/* mapped grows: no run may assume it does not */
	raw_spin_lock(&vm->lock);
	s2_rt_widen(&vm->mapped, &wlo, &whi);
	delta = n + s2_rt_cut_delta(&vm->mapped, wlo, whi) + 2;
	if (atomic_read(&s2_stats.ranges) - (long)pool->nspare + delta >
	    (long)READ_ONCE(s2_max_ranges)) {
		s2_vm_drop(vm);
		raw_spin_unlock(&vm->lock);
		return -ENOMEM;
	}
	count_failed(vm, lo, hi, walked, n);
	trace_read_back(vm, lo, hi, walked, n);
	ret = s2_rt_cut(&vm->mapped, wlo, whi, true, pool);
	for (i = 0; i < n && !ret; i++)
		ret = s2_rt_add(&vm->mapped, walked[i].ipa, walked[i].pa, walked[i].size,
				&walked[i].p, false, pool);
	ret |= s2_rt_cut(&vm->pending, lo, hi, false, pool);
	if (!ret && wlo < lo)
		ret = s2_rt_add(&vm->pending, wlo, wlo, lo - wlo, &rr, false, pool);
	if (!ret && whi > hi)
		ret = s2_rt_add(&vm->pending, hi, hi, whi - hi, &rr, false, pool);
	if (ret)
		s2_vm_drop(vm);
	vm->settles++;
	raw_spin_unlock(&vm->lock);
	atomic64_inc(&s2_stats.settles);
	return ret;
}

/* s2_vm_full_begin() - a walk of the whole table starts; @drops: the drop count now. */
void s2_vm_full_begin(struct s2_vm *vm, u64 *drops)
{
	raw_spin_lock(&vm->lock);
	*drops = vm->drops;
	raw_spin_unlock(&vm->lock);
}

/**
 * s2_vm_full_end() - a walk of the whole table ended.
 * @vm: the VM.
 * @drops: the drop count when it began.
 * @complete: it read every chunk.
 *
 * A complete walk with no drop meanwhile makes the VM exact.
 */
void s2_vm_full_end(struct s2_vm *vm, u64 drops, bool complete)
{
	raw_spin_lock(&vm->lock);
	if (complete && vm->drops == drops && vm->state != S2_ST_UNWALKABLE) {
		vm->need_full = false;
		vm->state = S2_ST_EXACT;
	}
	if (complete)
		vm->resyncs++;
	raw_spin_unlock(&vm->lock);
	if (complete)
		atomic64_inc(&s2_stats.resyncs);
}

/* s2_vm_set_unwalkable() - the VM's table turned out not to be readable. */
void s2_vm_set_unwalkable(struct s2_vm *vm)
{
	raw_spin_lock(&vm->lock);
	vm->state = S2_ST_UNWALKABLE;
	vm->need_full = false;
	raw_spin_unlock(&vm->lock);
}

/* s2_vm_request_full() - the whole table must be read back (the resync control). */
void s2_vm_request_full(struct s2_vm *vm)
{
	raw_spin_lock(&vm->lock);
	if (vm->state != S2_ST_UNWALKABLE)
		vm->need_full = true;
	raw_spin_unlock(&vm->lock);
}

/*
 * s2_vm_mapped_locked(), s2_vm_pending_locked() - the trees, for verify: mapped is stable
 * under kvm->mmu_lock (read or write), pending only under it held for write.
 */
const struct s2_rtree *s2_vm_mapped_locked(struct s2_vm *vm)
{
	return &vm->mapped;
}

const struct s2_rtree *s2_vm_pending_locked(struct s2_vm *vm)
{
	return &vm->pending;
}

/* ---- readers ---- */

void s2_vm_snapshot(struct s2_vm *vm, struct s2_vm_snap *s)
{
	raw_spin_lock(&vm->lock);
	memcpy(s->pages, vm->mapped.pages, sizeof(s->pages));
	s->nranges = vm->mapped.nranges;
	s->page_leaves = vm->mapped.page_leaves;
	s->block_leaves = vm->mapped.block_leaves;
	s->npending = vm->pending.nranges;
	memcpy(s->failed, vm->failed, sizeof(s->failed));
	s->drops = vm->drops;
	s->resyncs = vm->resyncs;
	s->settles = vm->settles;
	s->state = vm->state;
	raw_spin_unlock(&vm->lock);
}

/* s2_vm_range_from() - copy the first tracked range ending above @ipa; false if none. */
bool s2_vm_range_from(struct s2_vm *vm, u64 ipa, struct s2_range *out)
{
	struct s2_range *r;

	raw_spin_lock(&vm->lock);
	r = s2_rt_first_from(&vm->mapped, ipa);
	if (r)
		*out = *r;
	raw_spin_unlock(&vm->lock);
	return r;
}

/* s2_vm_for_each_mapped() - @fn (which must not sleep) on the tracked ranges in [start, end). */
void s2_vm_for_each_mapped(struct s2_vm *vm, u64 start, u64 end, s2_range_fn fn, void *arg)
{
	struct s2_range *r;

	raw_spin_lock(&vm->lock);
	for (r = s2_rt_first_from(&vm->mapped, start); r && r->ipa < end; r = s2_rt_next(r))
		fn(r, arg);
	raw_spin_unlock(&vm->lock);
}

/* ---- init/exit ---- */

int s2_vm_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		raw_spin_lock_init(&per_cpu_ptr(&s2_runs, cpu)->lock);
	if (kmalloc_size_roundup(sizeof(struct s2_range)) == sizeof(struct s2_range))
		return 0;
	s2_node_cache = KMEM_CACHE(s2_range, 0);
	return s2_node_cache ? 0 : -ENOMEM;
}

/* s2_vm_exit() - after the lifecycle freed every object and an RCU barrier. */
void s2_vm_exit(void)
{
	WARN_ON(!list_empty(&s2_vm_all));
	WARN_ON(atomic_read(&s2_stats.ranges));
	kmem_cache_destroy(s2_node_cache);
}
