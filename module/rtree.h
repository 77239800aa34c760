/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat range tree: a set of non-overlapping IPA ranges with their properties, kept
 * coalesced, with counters that follow every change.
 *
 * Pure data structure: no locks, no allocation, no kernel state.  Nodes come from a
 * caller-supplied pool (struct s2_pool) and freed nodes are handed back on it, so the caller
 * decides where and when memory is allocated and released (never under its locks).  The same
 * file builds in the kernel and in the host unit tests (tests/unit/test_rtree.c).
 *
 * A range is a maximal run of leaves contiguous in IPA and PA with equal properties.  A block
 * leaf (level < 3) is all or nothing, as in KVM's walkers: operations that cut or change part
 * of a block range apply to whole leaves.
 */
#ifndef KVM_S2STAT_RTREE_H
#define KVM_S2STAT_RTREE_H

#include <linux/rbtree.h>
#include <linux/types.h>

#include <kvm_s2stat/decode.h>

/* Mapping classes. */
enum s2_class {
	S2_CLASS_VFIO_IDX = 0,
	S2_CLASS_OTHER_IDX = 1,
	S2_CLASS_NR = 2,	/* tracked classes */
	S2_CLASS_RAM_IDX = 2,	/* the table file only */
};

#define S2_NO_BDF	U32_MAX
#define S2_NO_BAR	0xff

/* How a range was attributed (s2_src.via). */
enum s2_via {
	S2_VIA_NONE = 0,	/* nothing known */
	S2_VIA_PA = 1,		/* its physical address lies in a PCI BAR */
	S2_VIA_VMA = 2,		/* the VMA the VMM mapped (a VFIO device file's region, ...) */
};

/* What the VMA of a range says (s2_src.vma), when via is S2_VIA_VMA. */
#define S2_VMA_VFIO		0x1	/* an mmap of a VFIO device file */
#define S2_VMA_ANY_NC		0x2	/* VM_ALLOW_ANY_UNCACHED (6.9+) */
#define S2_VMA_CACHEABLE	0x4	/* the VMA's own memory type is cacheable */
#define S2_VMA_PFNMAP		0x8	/* VM_PFNMAP or VM_IO */

/* Where device memory comes from: a VFIO device region or a PCI BAR, if known. */
struct s2_src {
	u32 bdf;		/* domain << 16 | bus << 8 | devfn, or S2_NO_BDF */
	u8 bar;			/* BAR (PA) or VFIO region index (VMA), or S2_NO_BAR */
	u8 drv;			/* index in the driver-name table, 0 = none */
	u8 class;		/* enum s2_class */
	u8 via;			/* enum s2_via */
	u8 vma;			/* S2_VMA_* */
};

/* The properties that must be equal for leaves to coalesce into one range. */
struct s2_props {
	struct s2_src src;
	u8 attr;		/* enum s2_attr */
	u8 perm;		/* S2_PERM_* */
	s8 level;		/* leaf level */
	u8 memattr;		/* descriptor MemAttr[3:0] */
};

struct s2_range {
	union {
		struct rb_node node;		/* in a tree */
		struct s2_range *next_free;	/* in a pool */
	};
	u64 ipa;
	u64 pa;
	u64 size;
	struct s2_props p;
};

struct s2_rtree {
	struct rb_root root;
	struct s2_range *hint;		/* last range extended, for O(1) sequential growth */
	unsigned int page_shift;
	u64 pages[S2_CLASS_NR][S2_ATTR_NR];
	u64 nranges, page_leaves, block_leaves;
};

/* Nodes an operation may take (@spare) and the nodes it gave up (@dead). */
struct s2_pool {
	struct s2_range *spare;
	struct s2_range *dead;
	unsigned int nspare;
	unsigned int ndead;
	unsigned int short_by;		/* nodes an operation needed and did not find */
};

static inline u64 s2_range_end(const struct s2_range *r)
{
	return r->ipa + r->size;
}

void s2_rt_init(struct s2_rtree *t, unsigned int page_shift);
u64 s2_rt_leaf_size(const struct s2_rtree *t, int level);
int s2_rt_map_level(const struct s2_rtree *t, u64 ipa, u64 pa, u64 size);
bool s2_props_eq(const struct s2_props *a, const struct s2_props *b);

void s2_pool_give(struct s2_pool *pool, struct s2_range *r);
struct s2_range *s2_pool_take(struct s2_pool *pool);

struct s2_range *s2_rt_first_from(const struct s2_rtree *t, u64 ipa);
struct s2_range *s2_rt_next(const struct s2_range *r);
struct s2_range *s2_rt_lookup(const struct s2_rtree *t, u64 ipa);
bool s2_rt_overlaps(const struct s2_rtree *t, u64 start, u64 end);
void s2_rt_widen(const struct s2_rtree *t, u64 *start, u64 *end);

int s2_rt_add(struct s2_rtree *t, u64 ipa, u64 pa, u64 size, const struct s2_props *p,
	      bool widen, struct s2_pool *pool);
int s2_rt_cut(struct s2_rtree *t, u64 start, u64 end, bool widen, struct s2_pool *pool);
int s2_rt_set_perm(struct s2_rtree *t, u64 start, u64 end, unsigned int set,
		   unsigned int clr, struct s2_pool *pool);
long s2_rt_cut_delta(const struct s2_rtree *t, u64 start, u64 end);
void s2_rt_clear(struct s2_rtree *t, struct s2_pool *pool);
unsigned int s2_rt_recount(const struct s2_rtree *t);

#endif /* KVM_S2STAT_RTREE_H */
