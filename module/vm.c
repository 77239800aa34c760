// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat: per-VM state — the VM table and each VM's coalesced device-memory ranges.
 *
 * Each VM keeps an rbtree of non-overlapping ranges sorted by IPA.  A range is a maximal run
 * of leaves contiguous in IPA and PA with equal properties (level, attribute, permissions,
 * PCI BAR).  Counters follow every change so that reading them is O(1).  The tree changes
 * from probe handlers (atomic context, under KVM's mmu_lock) and from the walker (process
 * context, holding kvm->mmu_lock for write); vm->lock serialises both.  Nodes are allocated
 * outside vm->lock and freed after it is released.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "s2stat.h"

#define S2_VM_HASH_BITS	6
#define S2_MAX_VMS	65536
#define S2_RESYNC_MAX_BACKOFF	64	/* seconds */

static DEFINE_HASHTABLE(s2_vm_hash, S2_VM_HASH_BITS);
static LIST_HEAD(s2_vm_list);
static DEFINE_RAW_SPINLOCK(s2_vms_lock);
/* Serialises VM publication and retirement (debugfs directories) and discovery. */
DEFINE_MUTEX(s2_vms_mutex);
static struct kmem_cache *s2_range_cache;
static struct workqueue_struct *s2_wq;
static bool s2_exiting;

/* ---- range nodes ---- */

/*
 * s2_range_alloc_over() - a range node, within the budget plus @slack: the walker may hold
 * one chunk's worth of nodes beyond it while it replaces tracked ranges by walked ones.
 */
struct s2_range *s2_range_alloc_over(gfp_t gfp, unsigned int slack)
{
	struct s2_range *r;

	if (atomic_inc_return(&s2_stats.ranges) > READ_ONCE(s2_max_ranges) + slack) {
		atomic_dec(&s2_stats.ranges);
		return NULL;
	}
	r = kmem_cache_alloc(s2_range_cache, gfp | __GFP_NOWARN);
	if (!r)
		atomic_dec(&s2_stats.ranges);
	return r;
}

struct s2_range *s2_range_alloc(gfp_t gfp)
{
	return s2_range_alloc_over(gfp, 0);
}

void s2_range_free(struct s2_range *r)
{
	if (r) {
		kmem_cache_free(s2_range_cache, r);
		atomic_dec(&s2_stats.ranges);
	}
}

/* Memory the module holds for tracking: VM objects, range nodes and the BAR table. */
size_t s2_bytes_held(void)
{
	return (size_t)atomic_read(&s2_stats.ranges) * kmem_cache_size(s2_range_cache) +
	       (size_t)atomic_read(&s2_stats.vms) * sizeof(struct s2_vm) + s2_pci_bytes();
}

static void free_dead(struct list_head *dead)
{
	struct s2_range *r, *tmp;

	list_for_each_entry_safe(r, tmp, dead, dead)
		s2_range_free(r);
}

/* Nodes a tree operation may consume: up to two singles, then a list. */
struct s2_spare {
	struct s2_range *one[2];
	struct list_head *list;
};

static struct s2_range *spare_take(struct s2_spare *s)
{
	struct s2_range *r;
	int i;

	for (i = 0; i < ARRAY_SIZE(s->one); i++) {
		if (s->one[i]) {
			r = s->one[i];
			s->one[i] = NULL;
			return r;
		}
	}
	if (s->list && !list_empty(s->list)) {
		r = list_first_entry(s->list, struct s2_range, dead);
		list_del(&r->dead);
		return r;
	}
	return NULL;
}

static void spare_release(struct s2_spare *s)
{
	s2_range_free(s->one[0]);
	s2_range_free(s->one[1]);
}

/* ---- range tree ---- */

static inline u64 r_end(const struct s2_range *r)
{
	return r->ipa + r->size;
}

static inline u64 leaf_size(s8 level)
{
	return 1ULL << s2_level_shift(level, PAGE_SHIFT);
}

/*
 * s2_level_of() - the leaf level a map of @size at @ipa/@pa creates: a block level when the
 * call maps exactly one aligned block, else the page level.
 */
unsigned int s2_level_of(u64 ipa, u64 pa, u64 size)
{
	int level;

	for (level = 1; level < S2_LEAF_LEVEL; level++) {
		u64 bs = leaf_size(level);

		if (size == bs && IS_ALIGNED(ipa, bs) && IS_ALIGNED(pa, bs))
			return level;
	}
	return S2_LEAF_LEVEL;
}

static void acct(struct s2_vm *vm, const struct s2_range *r, int sign)
{
	u64 pages = r->size >> PAGE_SHIFT;
	u64 leaves = r->size >> s2_level_shift(r->p.level, PAGE_SHIFT);

	vm->pages[r->p.src.class][r->p.attr] += sign * pages;
	if (r->p.level == S2_LEAF_LEVEL)
		vm->page_leaves += sign * leaves;
	else
		vm->block_leaves += sign * leaves;
	vm->nranges += sign;
}

bool s2_props_eq(const struct s2_props *a, const struct s2_props *b)
{
	return a->attr == b->attr && a->perm == b->perm && a->level == b->level &&
	       a->memattr == b->memattr && a->src.class == b->src.class &&
	       a->src.bdf == b->src.bdf && a->src.bar == b->src.bar && a->src.drv == b->src.drv;
}

/* @a ends where [ipa, pa) starts, with equal properties. */
static bool mergeable(const struct s2_range *a, u64 ipa, u64 pa, const struct s2_props *p)
{
	return r_end(a) == ipa && a->pa + a->size == pa && s2_props_eq(&a->p, p);
}

/* The first range whose end lies above @ipa (overlapping or after it), or NULL. */
static struct s2_range *range_first_from(struct s2_vm *vm, u64 ipa)
{
	struct rb_node *n = vm->ranges.rb_node;
	struct s2_range *found = NULL;

	while (n) {
		struct s2_range *r = rb_entry(n, struct s2_range, node);

		if (r_end(r) <= ipa) {
			n = n->rb_right;
		} else {
			found = r;
			n = n->rb_left;
		}
	}
	return found;
}

struct s2_range *s2_range_first_from(struct s2_vm *vm, u64 ipa)
{
	lockdep_assert_held(&vm->lock);
	return range_first_from(vm, ipa);
}

static inline struct s2_range *range_next(struct s2_range *r)
{
	struct rb_node *n = rb_next(&r->node);

	return n ? rb_entry(n, struct s2_range, node) : NULL;
}

struct s2_range *s2_range_next(struct s2_range *r)
{
	return range_next(r);
}

static inline struct s2_range *range_prev(struct s2_range *r)
{
	struct rb_node *n = rb_prev(&r->node);

	return n ? rb_entry(n, struct s2_range, node) : NULL;
}

static void range_link(struct s2_vm *vm, struct s2_range *new)
{
	struct rb_node **link = &vm->ranges.rb_node, *parent = NULL;

	while (*link) {
		struct s2_range *r = rb_entry(*link, struct s2_range, node);

		parent = *link;
		link = new->ipa < r->ipa ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &vm->ranges);
}

/* Unlink @r and queue it on @dead, to be freed once vm->lock is released. */
static void range_unlink(struct s2_vm *vm, struct s2_range *r, struct list_head *dead)
{
	rb_erase(&r->node, &vm->ranges);
	if (vm->hint == r)
		vm->hint = NULL;
	list_add(&r->dead, dead);
}

/* Fold @next (which follows @r and is mergeable with it) into @r. */
static void range_absorb(struct s2_vm *vm, struct s2_range *r, struct s2_range *next,
			 struct list_head *dead)
{
	acct(vm, r, -1);
	acct(vm, next, -1);
	r->size += next->size;
	range_unlink(vm, next, dead);
	acct(vm, r, 1);
}

/* Merge every mergeable neighbour pair among the ranges touching [start, end]. */
static void range_coalesce(struct s2_vm *vm, u64 start, u64 end, struct list_head *dead)
{
	struct s2_range *r = range_first_from(vm, start ? start - 1 : 0), *next;

	if (r && range_prev(r))
		r = range_prev(r);
	while (r && (next = range_next(r)) && next->ipa <= end) {
		if (mergeable(r, next->ipa, next->pa, &next->p))
			range_absorb(vm, r, next, dead);
		else
			r = next;
	}
}

/*
 * Split @r at @at, inside it: @r keeps [ipa, at), a node from @spare takes [at, end) with the
 * same properties (linked and counted; @r is the caller's to count).  Without a node the VM
 * becomes inexact and @r is left whole.  Returns the new node or NULL.
 */
static struct s2_range *range_split(struct s2_vm *vm, struct s2_range *r, u64 at,
				    struct s2_spare *spare)
{
	struct s2_range *tail = spare_take(spare);

	if (!tail) {
		s2_vm_drop(vm);
		return NULL;
	}
	*tail = *r;
	tail->pa += at - r->ipa;
	tail->ipa = at;
	tail->size = r_end(r) - at;
	r->size = at - r->ipa;
	range_link(vm, tail);
	acct(vm, tail, 1);
	return tail;
}

/*
 * Cut [start, end) out of the tree.  A block leaf is all or nothing, as in KVM's unmap walker,
 * so cuts inside a block range widen to its leaf boundaries.  Splitting a range in two takes
 * a node from @spare; without one the tail is lost and the VM becomes inexact.
 */
static void range_remove(struct s2_vm *vm, u64 start, u64 end, struct s2_spare *spare,
			 struct list_head *dead)
{
	struct s2_range *r = range_first_from(vm, start), *next;

	for (; r && r->ipa < end; r = next) {
		u64 ls = leaf_size(r->p.level);
		u64 a = max(round_down(start, ls), r->ipa);
		u64 b = min(round_up(end, ls), r_end(r));

		next = range_next(r);
		acct(vm, r, -1);
		if (a > r->ipa && b < r_end(r)) {
			range_split(vm, r, b, spare);	/* without a node, the tail is lost */
			r->size = a - r->ipa;
		} else if (a > r->ipa) {
			r->size = a - r->ipa;
		} else if (b < r_end(r)) {
			r->pa += b - r->ipa;
			r->size = r_end(r) - b;
			r->ipa = b;
		} else {
			range_unlink(vm, r, dead);
			continue;
		}
		acct(vm, r, 1);
	}
}

/* Insert [ipa, ipa + size), which overlaps nothing, coalescing with its neighbours. */
static void range_insert(struct s2_vm *vm, u64 ipa, u64 pa, u64 size, const struct s2_props *p,
			 struct s2_spare *spare, struct list_head *dead)
{
	struct s2_range *next = range_first_from(vm, ipa), *prev, *r;

	if (next)
		prev = range_prev(next);
	else if (!RB_EMPTY_ROOT(&vm->ranges))
		prev = rb_entry(rb_last(&vm->ranges), struct s2_range, node);
	else
		prev = NULL;

	if (prev && mergeable(prev, ipa, pa, p)) {
		r = prev;
		acct(vm, r, -1);
		r->size += size;
		acct(vm, r, 1);
		if (next && mergeable(r, next->ipa, next->pa, &next->p))
			range_absorb(vm, r, next, dead);
	} else if (next && next->ipa == ipa + size && pa + size == next->pa &&
		   s2_props_eq(&next->p, p)) {
		r = next;
		acct(vm, r, -1);
		r->ipa = ipa;
		r->pa = pa;
		r->size += size;
		acct(vm, r, 1);
	} else {
		r = spare_take(spare);
		if (!r) {
			s2_vm_drop(vm);
			return;
		}
		r->ipa = ipa;
		r->pa = pa;
		r->size = size;
		r->p = *p;
		range_link(vm, r);
		acct(vm, r, 1);
	}
	vm->hint = r;
	vm->gib_mask |= s2_gib_bits(ipa, ipa + size);
}

/* O(1) fast path: the map extends the last range touched and overlaps nothing. */
static bool range_extend_hint(struct s2_vm *vm, u64 ipa, u64 pa, u64 size,
			      const struct s2_props *p, struct list_head *dead)
{
	struct s2_range *r = vm->hint, *next;

	if (!r || !mergeable(r, ipa, pa, p))
		return false;
	next = range_next(r);
	if (next && next->ipa < ipa + size)
		return false;
	acct(vm, r, -1);
	r->size += size;
	acct(vm, r, 1);
	if (next && mergeable(r, next->ipa, next->pa, &next->p))
		range_absorb(vm, r, next, dead);
	vm->gib_mask |= s2_gib_bits(ipa, ipa + size);
	return true;
}

/* Might cutting [start, end) split one range in two? */
static bool may_split(struct s2_vm *vm, u64 start, u64 end)
{
	struct s2_range *r = range_first_from(vm, start);

	return r && r->ipa < start && r_end(r) > end;
}

/**
 * s2_vm_map() - record a successful stage-2 map of device memory.
 * @vm: the VM.
 * @ipa: guest physical address.
 * @pa: host physical address.
 * @size: bytes mapped.
 * @p: properties of the new leaves.
 *
 * Called from the map probe's return handler while KVM still holds mmu_lock, so the update
 * is ordered with the unmaps of the same IPAs exactly as KVM's own table updates are.
 */
void s2_vm_map(struct s2_vm *vm, u64 ipa, u64 pa, u64 size, const struct s2_props *p)
{
	struct s2_spare spare = {};
	unsigned long flags;
	LIST_HEAD(dead);

	raw_spin_lock_irqsave(&vm->lock, flags);
	if (range_extend_hint(vm, ipa, pa, size, p, &dead)) {
		raw_spin_unlock_irqrestore(&vm->lock, flags);
		free_dead(&dead);
		return;
	}
	raw_spin_unlock_irqrestore(&vm->lock, flags);

	spare.one[0] = s2_range_alloc(GFP_ATOMIC);
	spare.one[1] = s2_range_alloc(GFP_ATOMIC);

	raw_spin_lock_irqsave(&vm->lock, flags);
	range_remove(vm, ipa, ipa + size, &spare, &dead);
	range_insert(vm, ipa, pa, size, p, &spare, &dead);
	raw_spin_unlock_irqrestore(&vm->lock, flags);

	spare_release(&spare);
	free_dead(&dead);
}

/* s2_vm_unmap() - [ipa, ipa + size) is no longer mapped. */
void s2_vm_unmap(struct s2_vm *vm, u64 ipa, u64 size)
{
	struct s2_spare spare = {};
	unsigned long flags;
	LIST_HEAD(dead);

	if (!size || !(READ_ONCE(vm->gib_mask) & s2_gib_bits(ipa, ipa + size)))
		return;
	raw_spin_lock_irqsave(&vm->lock, flags);
	if (may_split(vm, ipa, ipa + size)) {
		raw_spin_unlock_irqrestore(&vm->lock, flags);
		spare.one[0] = s2_range_alloc(GFP_ATOMIC);
		raw_spin_lock_irqsave(&vm->lock, flags);
	}
	range_remove(vm, ipa, ipa + size, &spare, &dead);
	raw_spin_unlock_irqrestore(&vm->lock, flags);
	spare_release(&spare);
	free_dead(&dead);
}

/*
 * Change permissions of the leaves in [start, end): set @set, clear @clr.  Ranges split at the
 * boundaries (two nodes at most), then neighbours that became equal merge again.
 */
static void range_set_perm(struct s2_vm *vm, u64 start, u64 end, unsigned int set,
			   unsigned int clr, struct s2_spare *spare, struct list_head *dead)
{
	struct s2_range *r = range_first_from(vm, start), *next;

	for (; r && r->ipa < end; r = next) {
		u64 ls = leaf_size(r->p.level);
		u64 a = max(round_down(start, ls), r->ipa);
		u64 b = min(round_up(end, ls), r_end(r));
		u8 perm = (r->p.perm | set) & ~clr;

		next = range_next(r);
		if (perm == r->p.perm)
			continue;
		acct(vm, r, -1);
		if (b < r_end(r))
			range_split(vm, r, b, spare);	/* [b, end) keeps its permissions */
		if (a > r->ipa) {
			struct s2_range *t = range_split(vm, r, a, spare);

			acct(vm, r, 1);			/* [ipa, a) keeps its permissions */
			if (!t)
				continue;
			r = t;
			acct(vm, r, -1);
		}
		r->p.perm = perm;
		acct(vm, r, 1);
	}
	range_coalesce(vm, start, end, dead);
}

/**
 * s2_vm_set_perm() - permissions of tracked leaves changed.
 * @vm: the VM.
 * @ipa: start of the change.
 * @size: bytes (ignored with @one_leaf).
 * @set: S2_PERM_* bits granted.
 * @clr: S2_PERM_* bits removed.
 * @one_leaf: only the leaf containing @ipa changes (relax_perms), whatever its size.
 */
void s2_vm_set_perm(struct s2_vm *vm, u64 ipa, u64 size, unsigned int set, unsigned int clr,
		    bool one_leaf)
{
	struct s2_spare spare = {};
	unsigned long flags;
	LIST_HEAD(dead);

	if (one_leaf)
		size = 1;
	if (!size || !(READ_ONCE(vm->gib_mask) & s2_gib_bits(ipa, ipa + size)))
		return;
	raw_spin_lock_irqsave(&vm->lock, flags);
	if (!range_first_from(vm, ipa)) {
		raw_spin_unlock_irqrestore(&vm->lock, flags);
		return;
	}
	raw_spin_unlock_irqrestore(&vm->lock, flags);
	spare.one[0] = s2_range_alloc(GFP_ATOMIC);
	spare.one[1] = s2_range_alloc(GFP_ATOMIC);
	raw_spin_lock_irqsave(&vm->lock, flags);
	range_set_perm(vm, ipa, ipa + size, set, clr, &spare, &dead);
	raw_spin_unlock_irqrestore(&vm->lock, flags);
	spare_release(&spare);
	free_dead(&dead);
}

/* s2_vm_clear() - the VM's stage-2 table is gone: nothing is mapped any more. */
void s2_vm_clear(struct s2_vm *vm)
{
	struct s2_range *r, *tmp;
	unsigned long flags;
	LIST_HEAD(dead);

	raw_spin_lock_irqsave(&vm->lock, flags);
	rbtree_postorder_for_each_entry_safe(r, tmp, &vm->ranges, node)
		list_add(&r->dead, &dead);
	vm->ranges = RB_ROOT;
	vm->hint = NULL;
	vm->gib_mask = 0;
	memset(vm->pages, 0, sizeof(vm->pages));
	vm->nranges = 0;
	vm->page_leaves = 0;
	vm->block_leaves = 0;
	vm->inexact = false;
	raw_spin_unlock_irqrestore(&vm->lock, flags);
	free_dead(&dead);
}

/**
 * s2_vm_replace_cost() - how many ranges replacing [start, end) would leave in the VM for
 * @walked new ones: every range overlapping the window goes, except the parts outside it.
 * @vm: the VM.
 * @start: window start.
 * @end: window end.
 * @walked: ranges that would be inserted.
 *
 * Returns the change in the number of tracked ranges (may be negative).
 */
long s2_vm_replace_cost(struct s2_vm *vm, u64 start, u64 end, unsigned int walked)
{
	struct s2_range *r;
	unsigned long flags;
	long delta = walked;

	raw_spin_lock_irqsave(&vm->lock, flags);
	for (r = range_first_from(vm, start); r && r->ipa < end; r = range_next(r))
		delta += (r->ipa < start) + (r_end(r) > end) - 1;
	raw_spin_unlock_irqrestore(&vm->lock, flags);
	return delta;
}

/**
 * s2_vm_replace() - replace the tracked state of [start, end) with walked ranges.
 * @vm: the VM.
 * @start: chunk start (a leaf boundary).
 * @end: chunk end (a leaf boundary).
 * @walked: @n allocated, coalesced ranges inside [start, end), ascending.
 * @n: number of walked ranges.
 * @spare: preallocated nodes for splits at the chunk boundaries.
 *
 * Called by the walker with kvm->mmu_lock held for write, so no probe changes this VM
 * meanwhile.  Takes ownership of the walked nodes.
 */
void s2_vm_replace(struct s2_vm *vm, u64 start, u64 end, struct s2_range **walked,
		   unsigned int n, struct list_head *spare)
{
	struct s2_spare sp = { .list = spare };
	unsigned long flags;
	unsigned int i;
	LIST_HEAD(dead);

	raw_spin_lock_irqsave(&vm->lock, flags);
	range_remove(vm, start, end, &sp, &dead);
	for (i = 0; i < n; i++) {
		range_link(vm, walked[i]);
		acct(vm, walked[i], 1);
		vm->gib_mask |= s2_gib_bits(walked[i]->ipa, r_end(walked[i]));
	}
	range_coalesce(vm, start, end, &dead);
	vm->hint = NULL;
	raw_spin_unlock_irqrestore(&vm->lock, flags);
	free_dead(&dead);
}

/* ---- per-VM events ---- */

void s2_vm_failed(struct s2_vm *vm, enum s2_attr attr)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&vm->lock, flags);
	vm->failed[attr]++;
	raw_spin_unlock_irqrestore(&vm->lock, flags);
}

/* s2_vm_drop() - an event could not be recorded (caller holds vm->lock). */
void s2_vm_drop(struct s2_vm *vm)
{
	lockdep_assert_held(&vm->lock);
	vm->drops++;
	vm->inexact = true;
	atomic64_inc(&s2_stats.drops);
	s2_vm_schedule_resync(vm, HZ * max(vm->resync_backoff, 1U));
}

/* ---- VM objects ---- */

static void s2_vm_free_rcu(struct rcu_head *head)
{
	struct s2_vm *vm = container_of(head, struct s2_vm, rcu);
	struct s2_range *r, *tmp;

	rbtree_postorder_for_each_entry_safe(r, tmp, &vm->ranges, node)
		s2_range_free(r);
	kfree(vm);
	atomic_dec(&s2_stats.vms);
}

static void s2_vm_release(struct kref *ref)
{
	struct s2_vm *vm = container_of(ref, struct s2_vm, ref);

	call_rcu(&vm->rcu, s2_vm_free_rcu);
}

void s2_vm_put(struct s2_vm *vm)
{
	kref_put(&vm->ref, s2_vm_release);
}

/* Queue @vm's publish/retire work, holding a reference for it. */
static void s2_vm_queue_work(struct s2_vm *vm)
{
	kref_get(&vm->ref);
	if (!queue_work(s2_wq, &vm->work))
		s2_vm_put(vm);
}

void s2_vm_schedule_resync(struct s2_vm *vm, unsigned long delay)
{
	if (READ_ONCE(s2_exiting) || READ_ONCE(vm->dead))
		return;
	kref_get(&vm->ref);
	if (!queue_delayed_work(s2_wq, &vm->resync_work, delay))
		s2_vm_put(vm);
}

/**
 * s2_vm_get_kvm() - take a reference on @vm's struct kvm, unless KVM is destroying it.
 * @vm: the VM.
 *
 * ->dead is set under s2_vms_lock by the kvm_arch_destroy_vm() probe, before KVM frees the
 * struct kvm, so checking it under the same lock makes ->kvm safe to dereference.
 */
bool s2_vm_get_kvm(struct s2_vm *vm)
{
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&s2_vms_lock, flags);
	ok = !vm->dead && kvm_get_kvm_safe(vm->kvm);
	raw_spin_unlock_irqrestore(&s2_vms_lock, flags);
	return ok;
}

/* s2_vm_trace_name() - the VM's name for a trace event ("-" until it is published). */
void s2_vm_trace_name(struct s2_vm *vm, char *buf)
{
	/* Pairs with the release in s2_vm_work(). */
	if (smp_load_acquire(&vm->published))
		memcpy(buf, vm->name, S2_VM_NAME_LEN);
	else
		strscpy(buf, "-", S2_VM_NAME_LEN);
}

/* Name the VM like KVM's own debugfs directory: "<pid>-<fd>". */
static void s2_vm_name(struct s2_vm *vm)
{
	struct kvm *kvm = vm->kvm;
	static atomic_t anon;

	if (!IS_ERR_OR_NULL(kvm->debugfs_dentry)) {
		snprintf(vm->name, sizeof(vm->name), "%pd", kvm->debugfs_dentry);
		if (sscanf(vm->name, "%d-%d", &vm->pid, &vm->fd) == 2)
			return;
	}
	/* KVM debugfs unavailable: pid from the stats id "kvm-<pid>", a unique suffix. */
	if (sscanf(kvm->stats_id, "kvm-%d", &vm->pid) != 1)
		vm->pid = 0;
	vm->fd = -1;
	snprintf(vm->name, sizeof(vm->name), "%d-vm%d", vm->pid, atomic_inc_return(&anon));
}

/*
 * Publish a new VM, or retire a dead one (remove its directory and drop the base
 * reference).  Process context.
 *
 * A new VM is walked first, since it may predate the module or have faulted before we saw
 * it, so that its directory appears with its mappings learned: nobody reads a VM whose
 * tracked state is still empty.  If the walk is short of budget the VM is published inexact
 * and the resync is retried later.
 */
static void s2_vm_work(struct work_struct *work)
{
	struct s2_vm *vm = container_of(work, struct s2_vm, work);

	if (!READ_ONCE(vm->published) && !READ_ONCE(vm->dead) &&
	    s2_walk_resync(vm) == -ENOMEM)
		s2_vm_schedule_resync(vm, HZ);

	mutex_lock(&s2_vms_mutex);
	if (READ_ONCE(vm->dead)) {
		if (!vm->retired) {
			vm->retired = true;
			s2_debugfs_remove_vm(vm);
			s2_vm_put(vm);		/* the base reference */
		}
	} else if (!vm->published && s2_vm_get_kvm(vm)) {
		s2_vm_name(vm);
		/* The name is complete before anyone sees the VM published. */
		smp_store_release(&vm->published, true);
		s2_debugfs_add_vm(vm);
		kvm_put_kvm(vm->kvm);
	}
	mutex_unlock(&s2_vms_mutex);
	s2_vm_put(vm);			/* the work's reference */
}

static void s2_vm_resync_work(struct work_struct *work)
{
	struct s2_vm *vm = container_of(to_delayed_work(work), struct s2_vm, resync_work);
	int ret = READ_ONCE(vm->dead) ? 0 : s2_walk_resync(vm);

	/* Short of budget: try again later, waiting twice as long each time (up to 64 s). */
	if (ret == -ENOMEM) {
		vm->resync_backoff = min(vm->resync_backoff * 2 + 1, S2_RESYNC_MAX_BACKOFF);
		s2_vm_schedule_resync(vm, HZ * vm->resync_backoff);
	}
	s2_vm_put(vm);
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

static struct s2_vm *s2_vm_find(struct kvm *kvm)
{
	struct s2_vm *vm;

	hash_for_each_possible_rcu(s2_vm_hash, vm, hnode, (unsigned long)kvm)
		if (vm->kvm == kvm)
			return vm;
	return NULL;
}

/* s2_vm_lookup() - the tracked VM of @kvm, or NULL.  Caller is in an RCU read section. */
struct s2_vm *s2_vm_lookup(struct kvm *kvm)
{
	return s2_vm_find(kvm);
}

static struct s2_vm *s2_vm_new(struct kvm *kvm, gfp_t gfp)
{
	struct s2_vm *vm;

	if (atomic_inc_return(&s2_stats.vms) > S2_MAX_VMS)
		goto fail;
	vm = kzalloc(sizeof(*vm), gfp | __GFP_NOWARN);
	if (!vm)
		goto fail;
	vm->kvm = kvm;
	kref_init(&vm->ref);
	raw_spin_lock_init(&vm->lock);
	vm->ranges = RB_ROOT;
	INIT_WORK(&vm->work, s2_vm_work);
	INIT_DELAYED_WORK(&vm->resync_work, s2_vm_resync_work);
	vm->fd = -1;
	vm->inexact = true;	/* until the first walk */
	return vm;
fail:
	atomic_dec(&s2_stats.vms);
	atomic64_inc(&s2_stats.drops);
	return NULL;
}

/* Insert @new unless @kvm is already tracked; returns the tracked VM. */
static struct s2_vm *s2_vm_insert(struct s2_vm *new)
{
	struct s2_vm *vm;
	unsigned long flags;

	raw_spin_lock_irqsave(&s2_vms_lock, flags);
	vm = s2_vm_find(new->kvm);
	if (!vm) {
		hash_add_rcu(s2_vm_hash, &new->hnode, (unsigned long)new->kvm);
		list_add_tail(&new->list, &s2_vm_list);
		vm = new;
	}
	raw_spin_unlock_irqrestore(&s2_vms_lock, flags);

	if (vm != new) {
		kfree(new);
		atomic_dec(&s2_stats.vms);
		return vm;
	}
	atomic64_inc(&s2_stats.vms_seen);
	s2_vm_queue_work(vm);
	return vm;
}

/**
 * s2_vm_get_or_create() - the tracked VM of @kvm, created on first sight.
 * @kvm: the VM, from a probed call.
 *
 * Probe context (RCU read section).  Returns NULL when the VM cannot be tracked (counted as
 * a drop).
 */
struct s2_vm *s2_vm_get_or_create(struct kvm *kvm)
{
	struct s2_vm *vm = s2_vm_find(kvm);

	if (vm)
		return vm;
	vm = s2_vm_new(kvm, GFP_ATOMIC);
	return vm ? s2_vm_insert(vm) : NULL;
}

/**
 * s2_vm_add_walked() - track a VM found at load time.
 * @kvm: the VM; the caller holds a reference on it.
 *
 * Process context.  Its first walk runs from the publish work.
 */
void s2_vm_add_walked(struct kvm *kvm)
{
	struct s2_vm *vm;

	rcu_read_lock();
	vm = s2_vm_find(kvm);
	rcu_read_unlock();
	if (vm)
		return;
	vm = s2_vm_new(kvm, GFP_KERNEL);
	if (!vm)
		return;
	vm->walked = true;
	s2_vm_insert(vm);
}

/* s2_vm_gone() - KVM destroys @kvm (probe context). */
void s2_vm_gone(struct kvm *kvm)
{
	struct s2_vm *vm;
	unsigned long flags;

	raw_spin_lock_irqsave(&s2_vms_lock, flags);
	vm = s2_vm_find(kvm);
	if (vm) {
		hash_del_rcu(&vm->hnode);
		list_del(&vm->list);
		WRITE_ONCE(vm->dead, true);
	}
	raw_spin_unlock_irqrestore(&s2_vms_lock, flags);
	if (!vm)
		return;

	atomic64_inc(&s2_stats.vms_gone);
	s2_vm_clear(vm);
	if (cancel_delayed_work(&vm->resync_work))
		s2_vm_put(vm);
	s2_vm_queue_work(vm);
}

/**
 * s2_vms_get_all() - references on every tracked, published VM, sorted by pid then fd.
 * @out: set to a kmalloc'ed array the caller frees after s2_vm_put() on each entry.
 *
 * Returns the number of VMs, or -ENOMEM.  Process context.
 */
int s2_vms_get_all(struct s2_vm ***out)
{
	struct s2_vm **arr, *vm;
	unsigned long flags;
	int n, cap;

	for (;;) {
		cap = atomic_read(&s2_stats.vms) + 8;
		arr = kmalloc_array(cap, sizeof(*arr), GFP_KERNEL);
		if (!arr)
			return -ENOMEM;
		n = 0;
		raw_spin_lock_irqsave(&s2_vms_lock, flags);
		list_for_each_entry(vm, &s2_vm_list, list) {
			if (n == cap)
				break;
			/* Pairs with the release in s2_vm_work(): name and pid are set. */
			if (smp_load_acquire(&vm->published) && kref_get_unless_zero(&vm->ref))
				arr[n++] = vm;
		}
		raw_spin_unlock_irqrestore(&s2_vms_lock, flags);
		if (n < cap)
			break;
		while (n)
			s2_vm_put(arr[--n]);
		kfree(arr);
	}
	sort(arr, n, sizeof(*arr), s2_vm_cmp, NULL);
	*out = arr;
	return n;
}

int s2_vm_init(void)
{
	s2_range_cache = KMEM_CACHE(s2_range, 0);
	if (!s2_range_cache)
		return -ENOMEM;
	/* Ordered: a dead VM's directory goes before a new VM reusing its name comes. */
	s2_wq = alloc_ordered_workqueue("kvm_s2stat", 0);
	if (!s2_wq) {
		kmem_cache_destroy(s2_range_cache);
		return -ENOMEM;
	}
	return 0;
}

/* s2_vm_drain() - after the probes are gone: finish queued work, queue no more. */
void s2_vm_drain(void)
{
	struct s2_vm *vm;
	unsigned long flags;

	WRITE_ONCE(s2_exiting, true);
	raw_spin_lock_irqsave(&s2_vms_lock, flags);
	list_for_each_entry(vm, &s2_vm_list, list)
		if (cancel_delayed_work(&vm->resync_work))
			s2_vm_put(vm);
	raw_spin_unlock_irqrestore(&s2_vms_lock, flags);
	flush_workqueue(s2_wq);
}

/* s2_vm_exit() - after s2_vm_drain() and the removal of the debugfs tree: free everything. */
void s2_vm_exit(void)
{
	struct s2_vm *vm, *tmp;
	unsigned long flags;
	LIST_HEAD(all);

	raw_spin_lock_irqsave(&s2_vms_lock, flags);
	list_for_each_entry_safe(vm, tmp, &s2_vm_list, list) {
		hash_del_rcu(&vm->hnode);
		list_move(&vm->list, &all);
		WRITE_ONCE(vm->dead, true);
	}
	raw_spin_unlock_irqrestore(&s2_vms_lock, flags);

	/* A resync work that ran during the drain may have queued none (s2_exiting). */
	flush_workqueue(s2_wq);
	mutex_lock(&s2_vms_mutex);
	list_for_each_entry_safe(vm, tmp, &all, list) {
		if (!vm->retired) {
			vm->retired = true;
			s2_vm_put(vm);
		}
	}
	mutex_unlock(&s2_vms_mutex);
	destroy_workqueue(s2_wq);
	rcu_barrier();
	kmem_cache_destroy(s2_range_cache);
}
