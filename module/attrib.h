/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat attribution: where a device-memory range comes from (a PCI BAR, its device's
 * driver, whether that driver is vfio).
 */
#ifndef KVM_S2STAT_ATTRIB_H
#define KVM_S2STAT_ATTRIB_H

#include <linux/types.h>

#include "rtree.h"

struct kvm;
struct mm_struct;

#define S2_MAX_WINS	16

/* An IPA window backed by one VMA, and what that VMA says. */
struct s2_win {
	u64 start, end;
	struct s2_src src;
};

struct s2_wins {
	struct s2_win w[S2_MAX_WINS];
	unsigned int n;
	u64 end;		/* resolved up to here */
};

/* What a walk chunk holds while it attributes the leaves it reads. */
struct s2_attrib_ctx {
	int srcu_idx;
	struct mm_struct *mm;	/* the VMM's, mmap lock held for read; NULL once it is gone */
	struct s2_wins wins;
	/* s2_attrib_classify(): the next leaf at memo_ipa/memo_pa, below both ends, is memo_src */
	u64 memo_ipa, memo_pa, memo_ipa_end, memo_pa_end;
	struct s2_src memo_src;
};

void s2_attrib_lookup(u64 pa, struct s2_src *src);
void s2_attrib_begin(struct kvm *kvm, u64 lo, u64 hi, struct s2_attrib_ctx *ctx);
u64 s2_attrib_limit(const struct s2_attrib_ctx *ctx, u64 lo, u64 hi);
void s2_attrib_end(struct kvm *kvm, struct s2_attrib_ctx *ctx);
bool s2_attrib_continues(struct s2_attrib_ctx *ctx, u64 ipa, u64 pa, u64 size);
bool s2_attrib_classify(struct s2_attrib_ctx *ctx, u64 ipa, u64 pa, u64 size,
			struct s2_src *src);
unsigned int s2_attrib_reason(u8 attr, const struct s2_src *src);
const char *s2_attrib_via(u8 via);
const char *s2_attrib_cacheable_pfnmap(void);
const char *s2_attrib_driver_name(u8 drv);
unsigned int s2_attrib_bars(unsigned int *vfio);
size_t s2_attrib_bytes(void);
int s2_attrib_init(void);
void s2_attrib_exit(void);

#endif /* KVM_S2STAT_ATTRIB_H */
