// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the module's pure range tree (module/rtree.c), built against a shim of
 * <linux/rbtree.h> (tests/unit/kshim/).  Every operation is checked against a page-granular
 * model written independently here: per page, whether it is mapped, its PA and properties;
 * a block leaf is the aligned block around a page of a level < 3 range.  After each step the
 * tree must list exactly the model's maximal runs and its counters must add up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rtree.h"

#define PS	4096ULL
#define NPAGES	4096			/* a 16 MiB IPA space: 8 blocks of 2 MiB */
#define BLOCK	(512 * PS)		/* level 2 with 4 KiB pages */

struct mpage {
	bool on;
	u64 pa;
	struct s2_props p;
};

static struct mpage model[NPAGES];

/* ---- node pool ---- */

static struct s2_range *all_nodes[1 << 16];
static unsigned int nall;

static void pool_fill(struct s2_pool *pool, unsigned int n)
{
	while (pool->nspare < n) {
		struct s2_range *r = calloc(1, sizeof(*r));

		assert_non_null(r);
		assert_true(nall < sizeof(all_nodes) / sizeof(all_nodes[0]));
		all_nodes[nall++] = r;
		s2_pool_give(pool, r);
	}
}

/* Dead nodes go back to the spares (they are free memory now). */
static void pool_recycle(struct s2_pool *pool)
{
	while (pool->dead) {
		struct s2_range *r = pool->dead;

		pool->dead = r->next_free;
		pool->ndead--;
		s2_pool_give(pool, r);
	}
	pool->short_by = 0;
}

static void free_all(void)
{
	while (nall)
		free(all_nodes[--nall]);
}

/* ---- the model ---- */

static u64 leaf_bytes(s8 level)
{
	return level == 3 ? PS : level == 2 ? BLOCK : (u64)512 * BLOCK;
}

static bool props_eq(const struct s2_props *a, const struct s2_props *b)
{
	return a->attr == b->attr && a->perm == b->perm && a->level == b->level &&
	       a->memattr == b->memattr && a->src.class == b->src.class &&
	       a->src.bdf == b->src.bdf && a->src.bar == b->src.bar && a->src.drv == b->src.drv &&
	       a->src.via == b->src.via && a->src.vma == b->src.vma;
}

static bool m_joins(unsigned int i, unsigned int j)
{
	return model[j].on && model[i].on && props_eq(&model[i].p, &model[j].p) &&
	       model[j].pa + (u64)i * PS == model[i].pa + (u64)j * PS;
}

/*
 * The leaf holding mapped page i: [*a, *b) in pages, the aligned block of its level within
 * the maximal run of pages it belongs to (a range of the tree).
 */
static void m_leaf(unsigned int i, unsigned int *a, unsigned int *b)
{
	unsigned int lp = (unsigned int)(leaf_bytes(model[i].p.level) / PS);
	unsigned int ra = i, rb = i + 1;

	while (ra > 0 && m_joins(i, ra - 1))
		ra--;
	while (rb < NPAGES && m_joins(i, rb))
		rb++;
	*a = i / lp * lp;
	*b = *a + lp;
	*a = *a < ra ? ra : *a;
	*b = *b > rb ? rb : *b;
}

/* Unmap pages [a, b), widened to whole leaves when @widen. */
static void m_cut(unsigned int a, unsigned int b, bool widen)
{
	unsigned int lo = a, hi = b, i, la, lb;

	if (widen) {
		for (i = a; i < b; i++) {
			if (!model[i].on)
				continue;
			m_leaf(i, &la, &lb);
			lo = la < lo ? la : lo;
			hi = lb > hi ? lb : hi;
		}
	}
	for (i = lo; i < hi && i < NPAGES; i++)
		model[i].on = false;
}

static void m_add(unsigned int a, unsigned int n, u64 pa, const struct s2_props *p, bool widen)
{
	unsigned int i;

	m_cut(a, a + n, widen);
	for (i = 0; i < n; i++)
		model[a + i] = (struct mpage){ .on = true, .pa = pa + i * PS, .p = *p };
}

static void m_set_perm(unsigned int a, unsigned int b, unsigned int set, unsigned int clr)
{
	unsigned int lo = a, hi = b, i, la, lb;

	for (i = a; i < b; i++) {
		if (!model[i].on)
			continue;
		m_leaf(i, &la, &lb);
		lo = la < lo ? la : lo;
		hi = lb > hi ? lb : hi;
	}
	for (i = lo; i < hi && i < NPAGES; i++)
		if (model[i].on)
			model[i].p.perm = (u8)((model[i].p.perm | set) & ~clr);
}

/* Compare the tree with the model's maximal runs, and the counters with the model's sums. */
static void check(const struct s2_rtree *t)
{
	u64 pages[S2_CLASS_NR][S2_ATTR_NR] = {}, pl = 0, bl = 0, nr = 0;
	struct s2_range *r = s2_rt_first_from(t, 0);
	unsigned int i = 0;

	while (i < NPAGES) {
		unsigned int j;

		if (!model[i].on) {
			i++;
			continue;
		}
		for (j = i + 1; j < NPAGES && model[j].on && model[j].pa == model[i].pa + (j - i) * PS &&
		     props_eq(&model[j].p, &model[i].p); j++)
			;
		assert_non_null(r);
		if (r->ipa != i * PS || r->size != (j - i) * PS || r->pa != model[i].pa ||
		    !props_eq(&r->p, &model[i].p))
			fail_msg("run [%u,%u) pa 0x%llx level %d perm %u: tree has [0x%llx,+0x%llx) pa 0x%llx level %d perm %u",
				 i, j, (unsigned long long)model[i].pa, model[i].p.level,
				 model[i].p.perm, (unsigned long long)r->ipa,
				 (unsigned long long)r->size, (unsigned long long)r->pa, r->p.level,
				 r->p.perm);
		pages[model[i].p.src.class][model[i].p.attr] += j - i;
		if (model[i].p.level == 3)
			pl += j - i;
		else
			bl += (j - i) * PS / leaf_bytes(model[i].p.level);
		nr++;
		r = s2_rt_next(r);
		i = j;
	}
	assert_null(r);
	assert_memory_equal(pages, t->pages, sizeof(pages));
	assert_int_equal(t->page_leaves, pl);
	assert_int_equal(t->block_leaves, bl);
	assert_int_equal(t->nranges, nr);
	assert_int_equal(s2_rt_recount(t), 0);
}

static struct s2_props props(u8 attr, u8 perm, s8 level, u8 class, u32 bdf)
{
	return (struct s2_props){ .attr = attr, .perm = perm, .level = level,
				  .memattr = attr == S2_ATTR_NC ? 5 : 1,
				  .src = { .bdf = bdf, .bar = 2, .drv = 1, .class = class } };
}

static int setup(void **state)
{
	(void)state;
	memset(model, 0, sizeof(model));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free_all();
	return 0;
}

/* ---- cases ---- */

static void test_sequential_coalesces(void **state)
{
	struct s2_props p = props(S2_ATTR_NC, 3, 3, 0, 0x10);
	struct s2_pool pool = {};
	struct s2_rtree t;
	unsigned int i;

	(void)state;
	s2_rt_init(&t, 12);
	for (i = 0; i < 64; i++) {
		pool_fill(&pool, 2);
		assert_int_equal(s2_rt_add(&t, 0x100000 + i * PS, 0x80000000 + i * PS, PS, &p, true,
					   &pool), 0);
		m_add(256 + i, 1, 0x80000000 + i * PS, &p, true);
		pool_recycle(&pool);
		check(&t);
	}
	assert_int_equal(t.nranges, 1);
	/* A hole in the middle splits it, filling it merges again. */
	assert_int_equal(s2_rt_cut(&t, 0x100000 + 10 * PS, 0x100000 + 11 * PS, true, &pool), 0);
	m_cut(266, 267, true);
	check(&t);
	assert_int_equal(t.nranges, 2);
	pool_fill(&pool, 2);
	assert_int_equal(s2_rt_add(&t, 0x100000 + 10 * PS, 0x80000000 + 10 * PS, PS, &p, true, &pool), 0);
	m_add(266, 1, 0x80000000 + 10 * PS, &p, true);
	check(&t);
	assert_int_equal(t.nranges, 1);
}

static void test_block_widening(void **state)
{
	struct s2_props blk = props(S2_ATTR_DEVICE, 3, 2, 1, S2_NO_BDF);
	struct s2_props pg = props(S2_ATTR_DEVICE, 3, 3, 1, S2_NO_BDF);
	struct s2_pool pool = {};
	struct s2_rtree t;

	(void)state;
	s2_rt_init(&t, 12);
	pool_fill(&pool, 8);
	/* Two 2 MiB blocks, then an unmap of one page in the first removes that whole block. */
	assert_int_equal(s2_rt_add(&t, BLOCK, 0x40000000, 2 * BLOCK, &blk, true, &pool), 0);
	m_add(512, 1024, 0x40000000, &blk, true);
	check(&t);
	assert_int_equal(t.block_leaves, 2);
	assert_int_equal(s2_rt_cut(&t, BLOCK + 7 * PS, BLOCK + 8 * PS, true, &pool), 0);
	m_cut(512 + 7, 512 + 8, true);
	check(&t);
	assert_int_equal(t.block_leaves, 1);
	/* A page map over part of the remaining block replaces the whole block (KVM does). */
	assert_int_equal(s2_rt_add(&t, 2 * BLOCK + PS, 0x50000000, PS, &pg, true, &pool), 0);
	m_add(1024 + 1, 1, 0x50000000, &pg, true);
	check(&t);
	assert_int_equal(t.block_leaves, 0);
	assert_int_equal(t.page_leaves, 1);
	/* Without widening only the exact range goes. */
	assert_int_equal(s2_rt_add(&t, 3 * BLOCK, 0x60000000, BLOCK, &blk, true, &pool), 0);
	m_add(1536, 512, 0x60000000, &blk, true);
	assert_int_equal(s2_rt_cut(&t, 3 * BLOCK, 3 * BLOCK + PS, false, &pool), 0);
	m_cut(1536, 1537, false);
	check(&t);
}

static void test_set_perm_splits_and_merges(void **state)
{
	struct s2_props p = props(S2_ATTR_NC, S2_PERM_R | S2_PERM_W, 3, 0, 0x10);
	struct s2_props blk = props(S2_ATTR_NC, S2_PERM_R | S2_PERM_W, 2, 0, 0x10);
	struct s2_pool pool = {};
	struct s2_rtree t;

	(void)state;
	s2_rt_init(&t, 12);
	pool_fill(&pool, 8);
	s2_rt_add(&t, 0, 0x90000000, 32 * PS, &p, true, &pool);
	m_add(0, 32, 0x90000000, &p, true);
	/* Write-protect the middle: three ranges. */
	assert_int_equal(s2_rt_set_perm(&t, 8 * PS, 16 * PS, 0, S2_PERM_W, &pool), 0);
	m_set_perm(8, 16, 0, S2_PERM_W);
	check(&t);
	assert_int_equal(t.nranges, 3);
	/* Relax it back: one range again. */
	assert_int_equal(s2_rt_set_perm(&t, 8 * PS, 16 * PS, S2_PERM_W, 0, &pool), 0);
	m_set_perm(8, 16, S2_PERM_W, 0);
	check(&t);
	assert_int_equal(t.nranges, 1);
	/* Inside a block: the whole leaf changes. */
	pool_recycle(&pool);
	s2_rt_add(&t, BLOCK, 0xa0000000, BLOCK, &blk, true, &pool);
	m_add(512, 512, 0xa0000000, &blk, true);
	assert_int_equal(s2_rt_set_perm(&t, BLOCK + 3 * PS, BLOCK + 4 * PS, 0, S2_PERM_W, &pool), 0);
	m_set_perm(515, 516, 0, S2_PERM_W);
	check(&t);
}

static void test_pool_shortage(void **state)
{
	struct s2_props p = props(S2_ATTR_DEVICE, 3, 3, 1, S2_NO_BDF);
	struct s2_pool pool = {};
	struct s2_rtree t;

	(void)state;
	s2_rt_init(&t, 12);
	pool_fill(&pool, 1);
	assert_int_equal(s2_rt_add(&t, 0, 0x1000000, 16 * PS, &p, true, &pool), 0);
	m_add(0, 16, 0x1000000, &p, true);
	/* A hole in the middle needs a node: without one the part after it is lost too. */
	assert_int_equal(s2_rt_cut(&t, 4 * PS, 5 * PS, true, &pool), -ENOMEM);
	m_cut(4, 16, true);
	check(&t);
	/* A range that does not touch another needs a node: without one nothing changes. */
	assert_int_equal(s2_rt_add(&t, 100 * PS, 0x2000000, PS, &p, true, &pool), -ENOMEM);
	check(&t);
	/* Extending needs none. */
	assert_int_equal(s2_rt_add(&t, 4 * PS, 0x1000000 + 4 * PS, PS, &p, true, &pool), 0);
	m_add(4, 1, 0x1000000 + 4 * PS, &p, true);
	check(&t);
}

static void test_widen_and_delta(void **state)
{
	struct s2_props blk = props(S2_ATTR_DEVICE, 3, 2, 1, S2_NO_BDF);
	struct s2_props pg = props(S2_ATTR_DEVICE, 3, 3, 1, S2_NO_BDF);
	struct s2_pool pool = {};
	struct s2_rtree t;
	u64 a, b;

	(void)state;
	s2_rt_init(&t, 12);
	pool_fill(&pool, 8);
	s2_rt_add(&t, BLOCK, 0x40000000, BLOCK, &blk, true, &pool);
	s2_rt_add(&t, 3 * BLOCK, 0x70000000, 64 * PS, &pg, true, &pool);
	a = BLOCK + 5 * PS;
	b = BLOCK + 6 * PS;
	s2_rt_widen(&t, &a, &b);
	assert_int_equal(a, BLOCK);
	assert_int_equal(b, 2 * BLOCK);
	a = 3 * BLOCK + 5 * PS;
	b = 3 * BLOCK + 6 * PS;
	s2_rt_widen(&t, &a, &b);
	assert_int_equal(a, 3 * BLOCK + 5 * PS);
	assert_int_equal(b, 3 * BLOCK + 6 * PS);
	/* Cut in the middle of the page range: +1; over the whole block: -1. */
	assert_int_equal(s2_rt_cut_delta(&t, 3 * BLOCK + 5 * PS, 3 * BLOCK + 6 * PS), 1);
	assert_int_equal(s2_rt_cut_delta(&t, 0, 2 * BLOCK), -1);
	assert_int_equal(s2_rt_cut_delta(&t, 0, 16 * BLOCK), -2);
	assert_true(s2_rt_overlaps(&t, 0, BLOCK + 1));
	assert_false(s2_rt_overlaps(&t, 2 * BLOCK, 3 * BLOCK));
	assert_non_null(s2_rt_lookup(&t, 3 * BLOCK + 63 * PS));
	assert_null(s2_rt_lookup(&t, 3 * BLOCK + 64 * PS));
	assert_int_equal(s2_rt_map_level(&t, BLOCK, 0x40000000, BLOCK), 2);
	assert_int_equal(s2_rt_map_level(&t, BLOCK, 0x40001000, BLOCK), 3);
	assert_int_equal(s2_rt_map_level(&t, 0, 0, PS), 3);
}

static void test_clear(void **state)
{
	struct s2_props p = props(S2_ATTR_NC, 3, 3, 0, 0x10);
	struct s2_pool pool = {};
	struct s2_rtree t;
	unsigned int i;

	(void)state;
	s2_rt_init(&t, 12);
	for (i = 0; i < 100; i += 2) {
		pool_fill(&pool, 2);
		s2_rt_add(&t, i * PS, 0x1000000 + i * PS, PS, &p, true, &pool);
	}
	assert_int_equal(t.nranges, 50);
	s2_rt_clear(&t, &pool);
	check(&t);
	assert_int_equal(pool.ndead, 50);
}

/* The referee's recount sees a counter that drifted from the ranges, one per counter. */
static void test_recount(void **state)
{
	struct s2_props p = props(S2_ATTR_NC, 3, 3, 1, 0x10);
	struct s2_pool pool = {};
	struct s2_rtree t;

	(void)state;
	s2_rt_init(&t, 12);
	pool_fill(&pool, 2);
	s2_rt_add(&t, 0, 0x1000000, 4 * PS, &p, true, &pool);
	assert_int_equal(s2_rt_recount(&t), 0);
	t.pages[1][S2_ATTR_NC]--;
	t.pages[0][S2_ATTR_NC]++;
	assert_int_equal(s2_rt_recount(&t), 2);
	t.pages[1][S2_ATTR_NC]++;
	t.pages[0][S2_ATTR_NC]--;
	t.nranges++;
	assert_int_equal(s2_rt_recount(&t), 1);
	t.nranges--;
	s2_rt_clear(&t, &pool);
	pool_recycle(&pool);
}

/* Random sequences of every operation, compared with the model after each step. */
static void test_random(void **state)
{
	static const u8 attrs[] = { S2_ATTR_DEVICE, S2_ATTR_NC, S2_ATTR_NORMAL };
	struct s2_pool pool = {};
	struct s2_rtree t;
	unsigned int step, seed;

	(void)state;
	for (seed = 1; seed <= 40; seed++) {
		srand(seed);
		memset(model, 0, sizeof(model));
		s2_rt_init(&t, 12);
		for (step = 0; step < 600; step++) {
			unsigned int op = (unsigned int)rand() % 10, a, n;
			bool blk = rand() % 6 == 0, widen = rand() % 4 != 0;
			struct s2_props p = props(attrs[rand() % 3], (u8)(1 + rand() % 3),
						  blk ? 2 : 3, (u8)(rand() % 2), (u32)(rand() % 2));
			u64 pa = 0x100000000ULL + (u64)(rand() % 2) * 0x10000000;

			pool_fill(&pool, 4);
			if (blk) {
				a = (unsigned int)(rand() % (NPAGES / 512)) * 512;
				n = 512;
				pa = pa / BLOCK * BLOCK + (u64)a * PS;
			} else {
				a = (unsigned int)rand() % NPAGES;
				n = 1 + (unsigned int)rand() % 8;
				if (a + n > NPAGES)
					n = NPAGES - a;
				pa += (u64)a * PS;
			}
			if (op < 6) {
				assert_int_equal(s2_rt_add(&t, a * PS, pa, n * PS, &p, widen, &pool), 0);
				m_add(a, n, pa, &p, widen);
			} else if (op < 8) {
				assert_int_equal(s2_rt_cut(&t, a * PS, (a + n) * PS, widen, &pool), 0);
				m_cut(a, a + n, widen);
			} else {
				unsigned int set = op == 8 ? S2_PERM_W : 0, clr = op == 9 ? S2_PERM_W : 0;

				assert_int_equal(s2_rt_set_perm(&t, a * PS, (a + n) * PS, set, clr, &pool), 0);
				m_set_perm(a, a + n, set, clr);
			}
			pool_recycle(&pool);
			check(&t);
		}
		s2_rt_clear(&t, &pool);
		pool_recycle(&pool);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sequential_coalesces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_widening, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_perm_splits_and_merges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_shortage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_widen_and_delta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
