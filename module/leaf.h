/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat stage-2 leaf iterator: reads a VM's stage-2 table with the architectural
 * descriptor formats (include/kvm_s2stat/decode.h: 4, 16 and 64 KiB granules, FEAT_LPA2,
 * concatenated root tables), a bounded number of descriptors at a time, resumable.
 */
#ifndef KVM_S2STAT_LEAF_H
#define KVM_S2STAT_LEAF_H

#include <linux/types.h>

#include "rtree.h"

struct kvm;
struct kvm_pgtable;
struct s2_leaf_walk;

/* Called for each valid leaf; returns true to end the chunk after it. */
typedef bool (*s2_leaf_fn)(struct s2_leaf_walk *w, u64 ipa, u64 desc, s8 level);
/*
 * Optional: called instead for a leaf whose descriptor is the previous leaf's of the same
 * table plus @size (the same attributes, the next output address); returns false to have
 * it visited as any leaf.
 */
typedef bool (*s2_leaf_cont_fn)(struct s2_leaf_walk *w, u64 ipa, u64 size);

struct s2_leaf_walk {
	u64 next;		/* next IPA to visit; a leaf holding it is visited whole */
	u64 end;		/* end of the range to walk */
	u64 leaves;		/* valid leaves visited so far */
	s2_leaf_fn leaf;
	s2_leaf_cont_fn cont;
	void *arg;
	/* private */
	unsigned int steps;
};

struct kvm_pgtable *s2_leaf_pgt(struct kvm *kvm);
u64 s2_leaf_ipa_end(struct kvm_pgtable *pgt);
bool s2_leaf_walk_chunk(struct s2_leaf_walk *w, struct kvm_pgtable *pgt, unsigned int steps);
void s2_leaf_decode(u64 desc, s8 level, u64 *pa, struct s2_props *p);
bool s2_leaf_is_ram(u64 pa);

#endif /* KVM_S2STAT_LEAF_H */
