// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat stage-2 leaf iterator (leaf.h).  The caller holds kvm->mmu_lock (for read at
 * least) and an RCU read section for the duration of a chunk: parallel faults free table
 * pages through RCU.
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <asm/kvm_mmu.h>

#include "compat.h"
#include "leaf.h"
#include "s2stat.h"

/* s2_leaf_pgt() - the VM's own stage-2 table (not a nested shadow), or NULL once torn down. */
struct kvm_pgtable *s2_leaf_pgt(struct kvm *kvm)
{
	return kvm->arch.mmu.pgt;
}

u64 s2_leaf_ipa_end(struct kvm_pgtable *pgt)
{
	return 1ULL << pgt->ia_bits;
}

static inline u64 *table_va(u64 desc, s8 level)
{
	return phys_to_virt(s2_desc_addr(desc, level, PAGE_SHIFT, s2_lpa2));
}

/*
 * Visit the descriptors of one table from the entry holding w->next.  Returns true when the
 * chunk ended early (w->next says where to resume), false when the table is done.
 */
static bool walk_level(struct s2_leaf_walk *w, u64 *table, s8 level, u64 base, u64 nents)
{
	unsigned int shift = s2_level_shift(level, PAGE_SHIFT);
	u64 i = w->next > base ? (w->next - base) >> shift : 0;
	u64 size = 1ULL << shift;
	u64 expect = 0;		/* the descriptor that continues the last leaf (0: none) */

	for (; i < nents; i++) {
		u64 ipa = base + (i << shift);
		u64 desc;

		if (ipa >= w->end)
			return false;
		if (!w->steps)
			return true;
		w->steps--;
		desc = READ_ONCE(table[i]);
		if (expect && desc == expect && w->cont(w, ipa, size)) {
			/* A BAR mapped page by page: no decode, no classification. */
			w->next = ipa + size;
			w->leaves++;
			expect += size;
			continue;
		}
		expect = 0;
		if (!s2_desc_valid(desc)) {
			w->next = ipa + size;
			continue;
		}
		if (s2_desc_is_table(desc, level)) {
			if (walk_level(w, table_va(desc, level), level + 1, ipa,
				       PAGE_SIZE / sizeof(u64)))
				return true;
			continue;
		}
		w->next = ipa + size;
		if (!s2_desc_is_leaf(desc, level))
			continue;
		w->leaves++;
		if (w->cont)
			expect = desc + size;
		if (w->leaf(w, ipa, desc, level))
			return true;
	}
	return false;
}

/**
 * s2_leaf_walk_chunk() - visit up to @steps descriptors from w->next.
 * @w: the walk.
 * @pgt: the table (from s2_leaf_pgt() under the same lock hold).
 * @steps: descriptor budget of this chunk.
 *
 * Returns true when the range is done (w->next >= w->end).
 */
bool s2_leaf_walk_chunk(struct s2_leaf_walk *w, struct kvm_pgtable *pgt, unsigned int steps)
{
	s8 start = s2_pgt_start_level(pgt);
	u64 nroot = 1ULL << (pgt->ia_bits - s2_level_shift(start, PAGE_SHIFT));

	w->end = min(w->end, s2_leaf_ipa_end(pgt));
	w->steps = steps;
	if (w->next >= w->end)
		return true;
	if (!walk_level(w, s2_pgt_pgd(pgt), start, 0, nroot))
		w->next = w->end;
	return w->next >= w->end;
}

/* s2_leaf_decode() - a leaf's output address and properties (class and source unset). */
void s2_leaf_decode(u64 desc, s8 level, u64 *pa, struct s2_props *p)
{
	unsigned int memattr = s2_desc_memattr(desc);
	enum s2_attr attr = s2_mt_attr(s2_memattr_mt(memattr, s2_fwb));

	*pa = s2_desc_addr(desc, level, PAGE_SHIFT, s2_lpa2);
	*p = (struct s2_props){
		.attr = attr == S2_ATTR_NR ? S2_ATTR_NORMAL : attr,
		.perm = s2_desc_perm(desc, s2_xnx),
		.level = level,
		.memattr = memattr,
	};
}

/* s2_leaf_is_ram() - the page at @pa is system RAM the kernel maps. */
bool s2_leaf_is_ram(u64 pa)
{
	return pfn_is_map_memory(PHYS_PFN(pa));
}
