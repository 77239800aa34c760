// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat range tree (rtree.h): a pure data structure, built in the kernel and in the host
 * unit tests.
 */
#include <linux/kernel.h>
#include <linux/rbtree.h>

#include "rtree.h"

void s2_rt_init(struct s2_rtree *t, unsigned int page_shift)
{
	*t = (struct s2_rtree){ .root = RB_ROOT, .page_shift = page_shift };
}

u64 s2_rt_leaf_size(const struct s2_rtree *t, int level)
{
	return 1ULL << s2_level_shift(level, t->page_shift);
}

/*
 * s2_rt_map_level() - the leaf level a map of @size at @ipa/@pa creates: a block level when
 * the call maps exactly one aligned block, else the page level.
 */
int s2_rt_map_level(const struct s2_rtree *t, u64 ipa, u64 pa, u64 size)
{
	int level;

	for (level = 1; level < S2_LEAF_LEVEL; level++) {
		u64 bs = s2_rt_leaf_size(t, level);

		if (size == bs && !(ipa & (bs - 1)) && !(pa & (bs - 1)))
			return level;
	}
	return S2_LEAF_LEVEL;
}

bool s2_props_eq(const struct s2_props *a, const struct s2_props *b)
{
	return a->attr == b->attr && a->perm == b->perm && a->level == b->level &&
	       a->memattr == b->memattr && a->src.class == b->src.class &&
	       a->src.bdf == b->src.bdf && a->src.bar == b->src.bar && a->src.drv == b->src.drv &&
	       a->src.via == b->src.via && a->src.vma == b->src.vma;
}

/* ---- node pool ---- */

void s2_pool_give(struct s2_pool *pool, struct s2_range *r)
{
	r->next_free = pool->spare;
	pool->spare = r;
	pool->nspare++;
}

struct s2_range *s2_pool_take(struct s2_pool *pool)
{
	struct s2_range *r = pool->spare;

	if (!r) {
		pool->short_by++;
		return NULL;
	}
	pool->spare = r->next_free;
	pool->nspare--;
	return r;
}

static void pool_dead(struct s2_pool *pool, struct s2_range *r)
{
	r->next_free = pool->dead;
	pool->dead = r;
	pool->ndead++;
}

/* ---- counters ---- */

static void acct(struct s2_rtree *t, const struct s2_range *r, int sign)
{
	u64 pages = r->size >> t->page_shift;
	u64 leaves = r->size >> s2_level_shift(r->p.level, t->page_shift);

	if (r->p.src.class < S2_CLASS_NR && r->p.attr < S2_ATTR_NR)
		t->pages[r->p.src.class][r->p.attr] += sign * pages;
	if (r->p.level == S2_LEAF_LEVEL)
		t->page_leaves += sign * leaves;
	else
		t->block_leaves += sign * leaves;
	t->nranges += sign;
}

/**
 * s2_rt_recount() - recount @t's counters from its ranges, the way acct() does not.
 * @t: the tree, stable for the duration.
 *
 * For the referee (verify): a counter kept incrementally may drift from the ranges it
 * counts while every range stays right.  Returns how many counters disagree.
 */
unsigned int s2_rt_recount(const struct s2_rtree *t)
{
	u64 pages[S2_CLASS_NR][S2_ATTR_NR] = {};
	u64 nranges = 0, page_leaves = 0, block_leaves = 0;
	const struct s2_range *r;
	unsigned int c, a, bad = 0;

	for (r = s2_rt_first_from(t, 0); r; r = s2_rt_next(r)) {
		u64 leaves = r->size >> s2_level_shift(r->p.level, t->page_shift);

		if (r->p.src.class < S2_CLASS_NR && r->p.attr < S2_ATTR_NR)
			pages[r->p.src.class][r->p.attr] += r->size >> t->page_shift;
		if (r->p.level == S2_LEAF_LEVEL)
			page_leaves += leaves;
		else
			block_leaves += leaves;
		nranges++;
	}
	for (c = 0; c < S2_CLASS_NR; c++)
		for (a = 0; a < S2_ATTR_NR; a++)
			bad += pages[c][a] != t->pages[c][a];
	bad += nranges != t->nranges;
	bad += page_leaves != t->page_leaves;
	bad += block_leaves != t->block_leaves;
	return bad;
}

/* ---- lookups ---- */

static struct s2_range *rb_range(struct rb_node *n)
{
	return n ? rb_entry(n, struct s2_range, node) : NULL;
}

/* s2_rt_first_from() - the first range ending above @ipa (containing it or after it). */
struct s2_range *s2_rt_first_from(const struct s2_rtree *t, u64 ipa)
{
	struct rb_node *n = t->root.rb_node;
	struct s2_range *found = NULL;

	while (n) {
		struct s2_range *r = rb_entry(n, struct s2_range, node);

		if (s2_range_end(r) <= ipa) {
			n = n->rb_right;
		} else {
			found = r;
			n = n->rb_left;
		}
	}
	return found;
}

struct s2_range *s2_rt_next(const struct s2_range *r)
{
	return rb_range(rb_next(&r->node));
}

static struct s2_range *rt_prev(const struct s2_range *r)
{
	return rb_range(rb_prev(&r->node));
}

/* s2_rt_lookup() - the range containing @ipa, or NULL. */
struct s2_range *s2_rt_lookup(const struct s2_rtree *t, u64 ipa)
{
	struct s2_range *r = s2_rt_first_from(t, ipa);

	return r && r->ipa <= ipa ? r : NULL;
}

/* s2_rt_overlaps() - does any range intersect [start, end)? */
bool s2_rt_overlaps(const struct s2_rtree *t, u64 start, u64 end)
{
	struct s2_range *r = s2_rt_first_from(t, start);

	return r && r->ipa < end;
}

/*
 * s2_rt_widen() - extend [*start, *end) to the leaf boundaries of the ranges it cuts into, so
 * that a block leaf is never covered in part.
 */
void s2_rt_widen(const struct s2_rtree *t, u64 *start, u64 *end)
{
	struct s2_range *r;

	if (*start >= *end)
		return;
	r = s2_rt_lookup(t, *start);
	if (r)
		*start = max(r->ipa, round_down(*start, s2_rt_leaf_size(t, r->p.level)));
	r = s2_rt_lookup(t, *end - 1);
	if (r)
		*end = min(s2_range_end(r), round_up(*end, s2_rt_leaf_size(t, r->p.level)));
}

/* ---- changes ---- */

static void rt_link(struct s2_rtree *t, struct s2_range *new)
{
	struct rb_node **link = &t->root.rb_node, *parent = NULL;

	while (*link) {
		struct s2_range *r = rb_entry(*link, struct s2_range, node);

		parent = *link;
		link = new->ipa < r->ipa ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &t->root);
	acct(t, new, 1);
}

static void rt_unlink(struct s2_rtree *t, struct s2_range *r, struct s2_pool *pool)
{
	acct(t, r, -1);
	rb_erase(&r->node, &t->root);
	if (t->hint == r)
		t->hint = NULL;
	pool_dead(pool, r);
}

/* @a ends where [ipa, pa) starts, with equal properties. */
static bool mergeable(const struct s2_range *a, u64 ipa, u64 pa, const struct s2_props *p)
{
	return s2_range_end(a) == ipa && a->pa + a->size == pa && s2_props_eq(&a->p, p);
}

/* Fold @next (which follows @r and is mergeable with it) into @r. */
static void absorb(struct s2_rtree *t, struct s2_range *r, struct s2_range *next,
		   struct s2_pool *pool)
{
	u64 size = next->size;

	rt_unlink(t, next, pool);
	acct(t, r, -1);
	r->size += size;
	acct(t, r, 1);
}

/* Merge every mergeable neighbour pair among the ranges touching [start, end]. */
static void coalesce(struct s2_rtree *t, u64 start, u64 end, struct s2_pool *pool)
{
	struct s2_range *r = s2_rt_first_from(t, start ? start - 1 : 0), *next;

	if (r && rt_prev(r))
		r = rt_prev(r);
	while (r && (next = s2_rt_next(r)) && next->ipa <= end) {
		if (mergeable(r, next->ipa, next->pa, &next->p))
			absorb(t, r, next, pool);
		else
			r = next;
	}
}

/*
 * Split @r at @at (inside it): @r keeps [ipa, at), a pool node takes [at, end) with the same
 * properties.  Returns the new node, or NULL (and @r unchanged) without one.
 */
static struct s2_range *split(struct s2_rtree *t, struct s2_range *r, u64 at,
			      struct s2_pool *pool)
{
	struct s2_range *tail = s2_pool_take(pool);

	if (!tail)
		return NULL;
	acct(t, r, -1);
	tail->ipa = at;
	tail->pa = r->pa + (at - r->ipa);
	tail->size = s2_range_end(r) - at;
	tail->p = r->p;
	r->size = at - r->ipa;
	acct(t, r, 1);
	rt_link(t, tail);
	return tail;
}

/*
 * Cut [start, end) out of the tree; with @widen, cuts into block ranges widen to whole leaves.
 * Splitting a range in two takes a node; without one the part after the cut is lost too.
 */
static void cut(struct s2_rtree *t, u64 start, u64 end, bool widen, struct s2_pool *pool)
{
	struct s2_range *r = s2_rt_first_from(t, start), *next;

	for (; r && r->ipa < end; r = next) {
		u64 ls = widen ? s2_rt_leaf_size(t, r->p.level) : 1;
		u64 a = max(round_down(start, ls), r->ipa);
		u64 b = min(round_up(end, ls), s2_range_end(r));

		next = s2_rt_next(r);
		if (a > r->ipa && b < s2_range_end(r)) {
			/* [a, b) inside: keep both sides, or lose the right one. */
			if (split(t, r, b, pool))
				next = s2_rt_next(r);
			acct(t, r, -1);
			r->size = a - r->ipa;
			acct(t, r, 1);
		} else if (a > r->ipa) {
			acct(t, r, -1);
			r->size = a - r->ipa;
			acct(t, r, 1);
		} else if (b < s2_range_end(r)) {
			acct(t, r, -1);
			r->pa += b - r->ipa;
			r->size = s2_range_end(r) - b;
			r->ipa = b;
			acct(t, r, 1);
		} else {
			rt_unlink(t, r, pool);
		}
	}
}

/* Insert [ipa, ipa + size), which overlaps nothing, coalescing with its neighbours. */
static void insert(struct s2_rtree *t, u64 ipa, u64 pa, u64 size, const struct s2_props *p,
		   struct s2_pool *pool)
{
	struct s2_range *next = s2_rt_first_from(t, ipa), *prev, *r;

	if (next)
		prev = rt_prev(next);
	else
		prev = rb_range(rb_last(&t->root));

	if (prev && mergeable(prev, ipa, pa, p)) {
		r = prev;
		acct(t, r, -1);
		r->size += size;
		acct(t, r, 1);
		if (next && mergeable(r, next->ipa, next->pa, &next->p))
			absorb(t, r, next, pool);
	} else if (next && next->ipa == ipa + size && pa + size == next->pa &&
		   s2_props_eq(&next->p, p)) {
		r = next;
		acct(t, r, -1);
		r->ipa = ipa;
		r->pa = pa;
		r->size += size;
		acct(t, r, 1);
	} else {
		r = s2_pool_take(pool);
		if (!r)
			return;
		r->ipa = ipa;
		r->pa = pa;
		r->size = size;
		r->p = *p;
		rt_link(t, r);
	}
	t->hint = r;
}

/* O(1) path: the new leaves extend the last range grown and overlap nothing. */
static bool extend_hint(struct s2_rtree *t, u64 ipa, u64 pa, u64 size, const struct s2_props *p,
			struct s2_pool *pool)
{
	struct s2_range *r = t->hint, *next;

	if (!r || !mergeable(r, ipa, pa, p))
		return false;
	next = s2_rt_next(r);
	if (next && next->ipa < ipa + size)
		return false;
	acct(t, r, -1);
	r->size += size;
	acct(t, r, 1);
	if (next && mergeable(r, next->ipa, next->pa, &next->p))
		absorb(t, r, next, pool);
	return true;
}

/**
 * s2_rt_add() - [ipa, ipa + size) now maps @pa.. with properties @p.
 * @t: the tree.
 * @ipa: start (aligned to the leaf size of @p->level for a block).
 * @pa: physical start.
 * @size: bytes.
 * @p: properties.
 * @widen: what was there goes by whole leaves (a map over part of a block replaces the
 *	   block, as KVM does); without it exactly [ipa, ipa + size) is replaced.
 * @pool: nodes (at most two are taken).
 *
 * Returns 0, or -ENOMEM when the pool ran short (part of the change is then missing).
 */
int s2_rt_add(struct s2_rtree *t, u64 ipa, u64 pa, u64 size, const struct s2_props *p,
	      bool widen, struct s2_pool *pool)
{
	unsigned int short_by = pool->short_by;

	if (!size)
		return 0;
	if (!extend_hint(t, ipa, pa, size, p, pool)) {
		cut(t, ipa, ipa + size, widen, pool);
		insert(t, ipa, pa, size, p, pool);
	}
	return pool->short_by == short_by ? 0 : -ENOMEM;
}

/**
 * s2_rt_cut() - nothing is mapped in [start, end) any more.
 * @t: the tree.
 * @start: start.
 * @end: end.
 * @widen: cuts into block ranges remove whole leaves (KVM's unmap).
 * @pool: nodes (at most one is taken).
 *
 * Returns 0, or -ENOMEM when a range had to be split and no node was left (its part after
 * @end is then gone too).
 */
int s2_rt_cut(struct s2_rtree *t, u64 start, u64 end, bool widen, struct s2_pool *pool)
{
	unsigned int short_by = pool->short_by;

	if (start < end)
		cut(t, start, end, widen, pool);
	return pool->short_by == short_by ? 0 : -ENOMEM;
}

/**
 * s2_rt_set_perm() - leaves in [start, end) gain @set and lose @clr permissions.
 * @t: the tree.
 * @start: start.
 * @end: end; a change inside a block range applies to the whole leaf.
 * @set: S2_PERM_* bits granted.
 * @clr: S2_PERM_* bits removed.
 * @pool: nodes (at most two are taken).
 *
 * Returns 0, or -ENOMEM when a split lacked a node (the part outside then changes too).
 */
int s2_rt_set_perm(struct s2_rtree *t, u64 start, u64 end, unsigned int set,
		   unsigned int clr, struct s2_pool *pool)
{
	unsigned int short_by = pool->short_by;
	struct s2_range *r, *next;

	if (start >= end)
		return 0;
	for (r = s2_rt_first_from(t, start); r && r->ipa < end; r = next) {
		u64 ls = s2_rt_leaf_size(t, r->p.level);
		u64 a = max(round_down(start, ls), r->ipa);
		u64 b = min(round_up(end, ls), s2_range_end(r));
		u8 perm = (r->p.perm | set) & ~clr;

		next = s2_rt_next(r);
		if (perm == r->p.perm)
			continue;
		if (b < s2_range_end(r) && split(t, r, b, pool))
			next = s2_rt_next(r);		/* [b, end) keeps its permissions */
		if (a > r->ipa) {
			struct s2_range *mid = split(t, r, a, pool);

			if (mid)			/* [ipa, a) keeps its permissions */
				r = mid;
		}
		acct(t, r, -1);
		r->p.perm = perm;
		acct(t, r, 1);
	}
	coalesce(t, start, end, pool);
	return pool->short_by == short_by ? 0 : -ENOMEM;
}

/*
 * s2_rt_cut_delta() - how the number of ranges changes when [start, end) is cut out
 * (without widening): ranges inside go, one that spans it becomes two.
 */
long s2_rt_cut_delta(const struct s2_rtree *t, u64 start, u64 end)
{
	struct s2_range *r;
	long delta = 0;

	for (r = s2_rt_first_from(t, start); r && r->ipa < end; r = s2_rt_next(r))
		delta += (r->ipa < start) + (s2_range_end(r) > end) - 1;
	return delta;
}

/* s2_rt_clear() - remove everything. */
void s2_rt_clear(struct s2_rtree *t, struct s2_pool *pool)
{
	struct s2_range *r, *tmp;

	rbtree_postorder_for_each_entry_safe(r, tmp, &t->root, node)
		pool_dead(pool, r);
	s2_rt_init(t, t->page_shift);
}
