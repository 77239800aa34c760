/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat: the one decoder of arm64 stage-2 descriptors and KVM stage-2 prot values.
 *
 * Pure C (no kernel or libc calls), shared by the kernel module and the userspace CLI and
 * unit-tested on the build host against the Arm ARM encodings (tests/unit/test_decode.c).
 *
 * References: Arm ARM (DDI 0487) D8.3 "Translation table descriptor formats", D8.6.5 "Stage 2
 * memory type and Cacheability attributes when FEAT_S2FWB is disabled/enabled", D8.4.2
 * "Stage 2 access permissions", D8.4.3 (FEAT_XNX execute-never), and for the guest's own
 * (stage 1) translation and the effective memory type, by section title and pseudocode
 * function (stable across releases, unlike the numbers): "Translation process" (TCR_EL1,
 * TTBRn_EL1, start levels), "Stage 1 memory type and Cacheability attributes"
 * (MAIR_ELx.Attr<n>, S1DecodeMemAttrs()) and "Combining the stage 1 and stage 2 attributes"
 * (S2CombineS1MemAttrs(), S2CombineS1Device(), S2CombineS1AttrHints(); with FEAT_S2FWB the
 * stage-2 MemAttr decides, S2AttrDecode()).  docs/effective.md has the rules as tables.
 */
#ifndef KVM_S2STAT_DECODE_H
#define KVM_S2STAT_DECODE_H

#ifdef __KERNEL__
#include <linux/types.h>
typedef u64 s2_u64;
typedef u32 s2_u32;
#else
#include <stdbool.h>
#include <stdint.h>
typedef uint64_t s2_u64;
typedef uint32_t s2_u32;
#endif

/*
 * Coarse attribute classes counted by kvm-s2stat.  These are the three stage-2 choices KVM
 * makes for device memory: DEVICE_nGnRE (Linux <= 6.8 for all device memory, 6.9+ without
 * VM_ALLOW_ANY_UNCACHED), NORMAL_NC (vfio-pci BARs since 6.9) and NORMAL (cacheable, e.g.
 * Grace device memory since 6.17 and all RAM).
 */
enum s2_attr {
	S2_ATTR_DEVICE = 0,
	S2_ATTR_NC = 1,
	S2_ATTR_NORMAL = 2,
	S2_ATTR_NR = 3,
};

/* Fine memory types a stage-2 MemAttr[3:0] field can encode. */
enum s2_mt {
	S2_MT_DEVICE_nGnRnE = 0,
	S2_MT_DEVICE_nGnRE,
	S2_MT_DEVICE_nGRE,
	S2_MT_DEVICE_GRE,
	S2_MT_NORMAL_NC,	/* Normal, inner and outer Non-cacheable */
	S2_MT_NORMAL_WT,	/* Normal, inner and outer Write-Through */
	S2_MT_NORMAL_WB,	/* Normal, inner and outer Write-Back (non-FWB encoding) */
	S2_MT_NORMAL_MIXED,	/* Normal, inner and outer cacheability differ */
	S2_MT_FWB_WB,		/* FWB: forced Normal Write-Back (KVM's RAM with FWB) */
	S2_MT_FWB_S1,		/* FWB: the stage-1 attributes are used */
	S2_MT_RESERVED,
	S2_MT_NR,
};

static const char * const s2_attr_names[S2_ATTR_NR] = {
	[S2_ATTR_DEVICE] = "DEVICE_nGnRE",
	[S2_ATTR_NC] = "NORMAL_NC",
	[S2_ATTR_NORMAL] = "NORMAL",
};

static const char * const s2_mt_names[S2_MT_NR] = {
	[S2_MT_DEVICE_nGnRnE] = "DEVICE_nGnRnE",
	[S2_MT_DEVICE_nGnRE] = "DEVICE_nGnRE",
	[S2_MT_DEVICE_nGRE] = "DEVICE_nGRE",
	[S2_MT_DEVICE_GRE] = "DEVICE_GRE",
	[S2_MT_NORMAL_NC] = "NORMAL_NC",
	[S2_MT_NORMAL_WT] = "NORMAL_WT",
	[S2_MT_NORMAL_WB] = "NORMAL_WB",
	[S2_MT_NORMAL_MIXED] = "NORMAL_MIXED",
	[S2_MT_FWB_WB] = "NORMAL_FWB_WB",
	[S2_MT_FWB_S1] = "NORMAL_FWB_S1",
	[S2_MT_RESERVED] = "RESERVED",
};

static inline const char *s2_attr_name(unsigned int attr)
{
	return attr < S2_ATTR_NR ? s2_attr_names[attr] : "?";
}

static inline const char *s2_mt_name(unsigned int mt)
{
	return mt < S2_MT_NR ? s2_mt_names[mt] : "?";
}

/* s2_attr_parse() - name to enum s2_attr; returns -1 for an unknown name. */
static inline int s2_attr_parse(const char *s)
{
	unsigned int i, j;

	for (i = 0; i < S2_ATTR_NR; i++) {
		const char *n = s2_attr_names[i];

		for (j = 0; n[j] && s[j] == n[j]; j++)
			;
		if (!n[j] && !s[j])
			return (int)i;
	}
	return -1;
}

/* Normal-memory cacheability of a 2-bit non-FWB MemAttr half (outer [3:2] or inner [1:0]). */
#define S2_CACHE_NC	1
#define S2_CACHE_WT	2
#define S2_CACHE_WB	3

/**
 * s2_memattr_mt() - decode a stage-2 MemAttr[3:0] value.
 * @memattr: descriptor bits [5:2] (shifted down to [3:0]).
 * @fwb: HCR_EL2.FWB is set for this stage-2 table (FEAT_S2FWB in use).
 */
static inline enum s2_mt s2_memattr_mt(unsigned int memattr, bool fwb)
{
	unsigned int outer = (memattr >> 2) & 3, inner = memattr & 3;

	memattr &= 0xf;
	if (fwb) {
		if (memattr & 0x8)		/* MemAttr[3] is RES0 with FWB */
			return S2_MT_RESERVED;
		if (!(memattr & 0x4))		/* 0b00xx: Device, [1:0] = type */
			return (enum s2_mt)(S2_MT_DEVICE_nGnRnE + inner);
		switch (memattr & 3) {
		case 1:
			return S2_MT_NORMAL_NC;	/* 0b0101 (stage-1 Device stays Device) */
		case 2:
			return S2_MT_FWB_WB;	/* 0b0110 */
		case 3:
			return S2_MT_FWB_S1;	/* 0b0111 */
		default:
			return S2_MT_RESERVED;	/* 0b0100 */
		}
	}
	if (outer == 0)				/* 0b00xx: Device, [1:0] = type */
		return (enum s2_mt)(S2_MT_DEVICE_nGnRnE + inner);
	if (inner == 0)				/* Normal with inner 0b00: reserved */
		return S2_MT_RESERVED;
	if (outer != inner)
		return S2_MT_NORMAL_MIXED;
	return outer == S2_CACHE_NC ? S2_MT_NORMAL_NC :
	       outer == S2_CACHE_WT ? S2_MT_NORMAL_WT : S2_MT_NORMAL_WB;
}

/*
 * s2_mt_attr() - the coarse class of a fine memory type: any Device type is DEVICE, Normal
 * Non-cacheable is NC, everything cacheable (WB, WT, mixed, FWB forced WB, FWB "use stage 1")
 * is NORMAL.  Returns S2_ATTR_NR for a reserved encoding.
 */
static inline enum s2_attr s2_mt_attr(enum s2_mt mt)
{
	switch (mt) {
	case S2_MT_DEVICE_nGnRnE:
	case S2_MT_DEVICE_nGnRE:
	case S2_MT_DEVICE_nGRE:
	case S2_MT_DEVICE_GRE:
		return S2_ATTR_DEVICE;
	case S2_MT_NORMAL_NC:
		return S2_ATTR_NC;
	case S2_MT_NORMAL_WT:
	case S2_MT_NORMAL_WB:
	case S2_MT_NORMAL_MIXED:
	case S2_MT_FWB_WB:
	case S2_MT_FWB_S1:
		return S2_ATTR_NORMAL;
	default:
		return S2_ATTR_NR;
	}
}

/*
 * s2_attr_memattr() - the MemAttr[3:0] value KVM programs for a class (arch/arm64/include/
 * asm/memory.h MT_S2_* and MT_S2_FWB_*): Device-nGnRE 0x1, Normal-NC 0x5, Normal 0xf without
 * FWB (outer and inner WB) or 0x6 with FWB (forced WB).
 */
static inline unsigned int s2_attr_memattr(enum s2_attr attr, bool fwb)
{
	switch (attr) {
	case S2_ATTR_DEVICE:
		return 0x1;
	case S2_ATTR_NC:
		return 0x5;
	default:
		return fwb ? 0x6 : 0xf;
	}
}

/* ---- descriptors ---- */

#define S2_DESC_VALID		(1ULL << 0)
#define S2_DESC_TYPE		(1ULL << 1)	/* table (level < 3) or page (level 3) */
#define S2_DESC_MEMATTR_SHIFT	2
#define S2_DESC_S2AP_R		(1ULL << 6)
#define S2_DESC_S2AP_W		(1ULL << 7)
#define S2_DESC_SH_SHIFT	8
#define S2_DESC_AF		(1ULL << 10)
#define S2_DESC_XN_SHIFT	53		/* XN[1:0] = [54:53] with FEAT_XNX */
#define S2_DESC_XN		(1ULL << 54)
#define S2_DESC_SW_SHIFT	55		/* software bits [58:55] */

/* Leaf permissions, as kvm-s2stat records and prints them ("rwx", '-' when absent). */
#define S2_PERM_R	1u
#define S2_PERM_W	2u
#define S2_PERM_X	4u	/* executable at EL1 (stage-2 PX) */

/* Level of the leaves of a page (the last level). */
#define S2_LEAF_LEVEL	3

/**
 * s2_level_shift() - log2 of the size a descriptor at @level maps.
 * @level: -1..3 (level -1 exists with 52-bit IPA and 4 KiB pages, FEAT_LPA2).
 * @page_shift: 12, 14 or 16 (4, 16 or 64 KiB translation granule).
 */
static inline unsigned int s2_level_shift(int level, unsigned int page_shift)
{
	return page_shift + (unsigned int)(S2_LEAF_LEVEL - level) * (page_shift - 3);
}

static inline bool s2_desc_valid(s2_u64 desc)
{
	return desc & S2_DESC_VALID;
}

/* A valid descriptor at @level that points to a next-level table. */
static inline bool s2_desc_is_table(s2_u64 desc, int level)
{
	return level < S2_LEAF_LEVEL && (desc & 3) == 3;
}

/* A valid descriptor at @level that maps memory (block below level 3, page at level 3). */
static inline bool s2_desc_is_leaf(s2_u64 desc, int level)
{
	if (level == S2_LEAF_LEVEL)
		return (desc & 3) == 3;
	return (desc & 3) == 1;
}

static inline unsigned int s2_desc_memattr(s2_u64 desc)
{
	return (unsigned int)(desc >> S2_DESC_MEMATTR_SHIFT) & 0xf;
}

/**
 * s2_desc_addr() - the output address of a descriptor (next table, block or page).
 * @desc: the descriptor.
 * @level: its level (a block's address is aligned to the block size).
 * @page_shift: translation granule.
 * @lpa2: FEAT_LPA2 descriptors (TCR.DS=1): OA[51:50] in bits [9:8], 4 and 16 KiB granules.
 *
 * Without LPA2: OA[47:page_shift]; with 64 KiB pages and FEAT_LPA OA[51:48] is in [15:12].
 */
static inline s2_u64 s2_desc_addr(s2_u64 desc, int level, unsigned int page_shift, bool lpa2)
{
	s2_u64 pa;
	unsigned int shift = s2_desc_is_table(desc, level) ? page_shift :
			     s2_level_shift(level, page_shift);

	if (lpa2 && page_shift != 16) {
		pa = desc & (((1ULL << 50) - 1) & ~((1ULL << page_shift) - 1));
		pa |= ((desc >> 8) & 3) << 50;
	} else {
		pa = desc & (((1ULL << 48) - 1) & ~((1ULL << page_shift) - 1));
		if (page_shift == 16)
			pa |= ((desc >> 12) & 0xf) << 48;
	}
	return pa & ~((1ULL << shift) - 1);
}

/**
 * s2_desc_perm() - stage-2 access permissions of a leaf as S2_PERM_* bits.
 * @xnx: the kernel programs XN[1:0] (FEAT_XNX, Linux 6.19+); otherwise only XN = bit 54.
 *
 * S2AP[0] (bit 6) grants read, S2AP[1] (bit 7) write.  XN[1:0]: 0b00 executable at EL1 and
 * EL0, 0b01 not at EL1, 0b10 at neither, 0b11 not at EL0 (EL1 only).
 */
static inline unsigned int s2_desc_perm(s2_u64 desc, bool xnx)
{
	unsigned int perm = 0, xn = (unsigned int)(desc >> S2_DESC_XN_SHIFT) & 3;

	if (desc & S2_DESC_S2AP_R)
		perm |= S2_PERM_R;
	if (desc & S2_DESC_S2AP_W)
		perm |= S2_PERM_W;
	if (xnx ? (xn == 0 || xn == 3) : !(desc & S2_DESC_XN))
		perm |= S2_PERM_X;
	return perm;
}

/* s2_perm_str() - "rwx" with '-' for absent permissions; @buf holds at least 4 bytes. */
static inline const char *s2_perm_str(unsigned int perm, char *buf)
{
	buf[0] = perm & S2_PERM_R ? 'r' : '-';
	buf[1] = perm & S2_PERM_W ? 'w' : '-';
	buf[2] = perm & S2_PERM_X ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

/* ---- KVM's enum kvm_pgtable_prot ---- */

/*
 * Bit values of enum kvm_pgtable_prot in the running kernel.  The positions moved over time
 * (6.1-6.8: X,W,R,DEVICE = bits 0-3; 6.9-6.18: NORMAL_NC = bit 4; 6.19+: PX,UX,W,R,DEVICE,
 * NORMAL_NC = bits 0-5), so the module fills this from the kernel header's own enum names and
 * the decoder never uses raw numbers.  A field is 0 where the kernel has no such bit.
 */
struct s2_prot_layout {
	s2_u64 r, w, px, ux, device, normal_nc;
};

/* s2_prot_attr() - the class KVM maps a prot as (DEVICE wins over NORMAL_NC, as in KVM). */
static inline enum s2_attr s2_prot_attr(s2_u64 prot, const struct s2_prot_layout *l)
{
	if (prot & l->device)
		return S2_ATTR_DEVICE;
	if (l->normal_nc && (prot & l->normal_nc))
		return S2_ATTR_NC;
	return S2_ATTR_NORMAL;
}

/* s2_prot_perm() - S2_PERM_* bits of a prot (X means executable at EL1: PX, or X pre-6.19). */
static inline unsigned int s2_prot_perm(s2_u64 prot, const struct s2_prot_layout *l)
{
	unsigned int perm = 0;

	if (prot & l->r)
		perm |= S2_PERM_R;
	if (prot & l->w)
		perm |= S2_PERM_W;
	if (prot & l->px)
		perm |= S2_PERM_X;
	return perm;
}

/* s2_prot_is_device_class() - the prot alone makes this device memory (DEVICE or NC). */
static inline bool s2_prot_is_device_class(s2_u64 prot, const struct s2_prot_layout *l)
{
	return (prot & l->device) || (l->normal_nc && (prot & l->normal_nc));
}

/* ---- stage 1 (the guest's own translation) and the effective memory type ---- */

/*
 * A memory type as the Arm ARM describes it: Device with its type, or Normal with an inner and
 * an outer cacheability (S2_CACHE_NC, S2_CACHE_WT, S2_CACHE_WB).  A stage-1 attribute (a
 * MAIR_EL1 byte), a stage-2 MemAttr and the combination of both decode to one.
 */
struct s2_mtype {
	unsigned char device;		/* 1: Device, of type dev */
	unsigned char dev;		/* 0 nGnRnE, 1 nGnRE, 2 nGRE, 3 GRE (S2_MT_DEVICE_* order) */
	unsigned char inner, outer;	/* Normal: S2_CACHE_* */
};

/* s2_mair_attr() - Attr<@idx> of a MAIR_EL1 value (a stage-1 descriptor's AttrIndx). */
static inline unsigned int s2_mair_attr(s2_u64 mair, unsigned int idx)
{
	return (unsigned int)(mair >> (8 * (idx & 7))) & 0xff;
}

/* s2_s1_attridx() - AttrIndx[2:0] of a stage-1 block or page descriptor (bits [4:2]). */
static inline unsigned int s2_s1_attridx(s2_u64 desc)
{
	return (unsigned int)(desc >> 2) & 7;
}

/* One Normal-memory nibble of a MAIR attribute: 0 when it is not a valid cacheability. */
static inline unsigned int s2_mair_nibble(unsigned int n)
{
	switch (n >> 2) {
	case 0:				/* 0b00RW: Write-Through transient; 0b0000 invalid */
		return (n & 3) ? S2_CACHE_WT : 0;
	case 1:				/* 0b0100 Non-cacheable, 0b01RW Write-Back transient */
		return (n & 3) ? S2_CACHE_WB : S2_CACHE_NC;
	case 2:				/* 0b10RW: Write-Through non-transient */
		return S2_CACHE_WT;
	default:			/* 0b11RW: Write-Back non-transient */
		return S2_CACHE_WB;
	}
}

/**
 * s2_s1_mtype() - decode a stage-1 memory attribute (one MAIR_EL1 byte).
 * @attr: MAIR_EL1.Attr<n>.
 * @t: the type.
 *
 * 0b0000dd00 is Device (dd: nGnRnE, nGnRE, nGRE, GRE), 0b0000dd01 the same with FEAT_XS's
 * XS=0; otherwise Normal, outer [7:4] and inner [3:0]: 0b0100 Non-cacheable, 0b00RW (RW != 00)
 * and 0b10RW Write-Through, 0b01RW (RW != 00) and 0b11RW Write-Back.  FEAT_XS and FEAT_MTE2
 * add 0x40 (Normal NC, XS=0), 0xa0 (Write-Through, XS=0) and 0xf0 (Tagged Normal Write-Back).
 * Returns false for the encodings the architecture leaves UNPREDICTABLE or reserved.
 */
static inline bool s2_s1_mtype(unsigned int attr, struct s2_mtype *t)
{
	unsigned int hi = (attr >> 4) & 0xf, lo = attr & 0xf;

	*t = (struct s2_mtype){ 0, 0, 0, 0 };
	if (hi == 0) {
		if ((lo & 3) > 1)
			return false;
		t->device = 1;
		t->dev = (unsigned char)(lo >> 2);
		return true;
	}
	if (lo == 0) {
		if (attr == 0x40)
			t->inner = t->outer = S2_CACHE_NC;
		else if (attr == 0xa0)
			t->inner = t->outer = S2_CACHE_WT;
		else if (attr == 0xf0)
			t->inner = t->outer = S2_CACHE_WB;
		return t->inner != 0;
	}
	t->outer = (unsigned char)s2_mair_nibble(hi);
	t->inner = (unsigned char)s2_mair_nibble(lo);
	return t->outer && t->inner;
}

/*
 * s2_s2_mtype() - decode a stage-2 MemAttr[3:0] without FEAT_S2FWB as a type (the encodings
 * of s2_memattr_mt()); false for a reserved one.
 */
static inline bool s2_s2_mtype(unsigned int memattr, struct s2_mtype *t)
{
	unsigned int outer = (memattr >> 2) & 3, inner = memattr & 3;

	*t = (struct s2_mtype){ 0, 0, 0, 0 };
	if (outer == 0) {
		t->device = 1;
		t->dev = (unsigned char)inner;
		return true;
	}
	if (inner == 0)
		return false;
	t->outer = (unsigned char)outer;
	t->inner = (unsigned char)inner;
	return true;
}

static inline unsigned char s2_min_u8(unsigned char a, unsigned char b)
{
	return a < b ? a : b;
}

/* The more restrictive of two Device types (nGnRnE < nGnRE < nGRE < GRE), Normal counting as
 * the least restrictive. */
static inline struct s2_mtype s2_device_combine(const struct s2_mtype *a, const struct s2_mtype *b)
{
	struct s2_mtype r = { 1, 3, 0, 0 };

	if (a->device)
		r.dev = s2_min_u8(r.dev, a->dev);
	if (b->device)
		r.dev = s2_min_u8(r.dev, b->dev);
	return r;
}

/**
 * s2_effective() - the memory type a guest access really gets: its stage-1 type combined
 * with the stage-2 MemAttr KVM programmed.
 * @s1: the stage-1 type (s2_s1_mtype() of the guest's MAIR attribute).
 * @memattr: stage-2 descriptor MemAttr[3:0].
 * @fwb: HCR_EL2.FWB is set (FEAT_S2FWB in use).
 * @out: the effective type.
 *
 * Without FWB the more restrictive of the two wins: Device over Normal, then the more
 * restrictive Device type; for Normal memory, inner and outer each take the less cacheable
 * of the two (Non-cacheable < Write-Through < Write-Back).  With FWB MemAttr says how stage 1
 * is used: 0b00dd Device (combined as without FWB), 0b0101 Normal Non-cacheable unless stage
 * 1 is Device (which then stays), 0b0110 Normal Write-Back whatever stage 1 says, 0b0111 the
 * stage-1 type; 0b0100 and MemAttr[3] = 1 are reserved.  Returns false for a reserved input.
 */
static inline bool s2_effective(const struct s2_mtype *s1, unsigned int memattr, bool fwb,
				struct s2_mtype *out)
{
	struct s2_mtype s2;

	memattr &= 0xf;
	if (fwb) {
		if (memattr & 0x8)
			return false;
		if (!(memattr & 0x4)) {
			s2 = (struct s2_mtype){ 1, (unsigned char)(memattr & 3), 0, 0 };
			*out = s2_device_combine(s1, &s2);
			return true;
		}
		switch (memattr & 3) {
		case 1:
			*out = s1->device ? *s1 : (struct s2_mtype){ 0, 0, S2_CACHE_NC, S2_CACHE_NC };
			return true;
		case 2:
			*out = (struct s2_mtype){ 0, 0, S2_CACHE_WB, S2_CACHE_WB };
			return true;
		case 3:
			*out = *s1;
			return true;
		default:
			return false;
		}
	}
	if (!s2_s2_mtype(memattr, &s2))
		return false;
	if (s1->device || s2.device) {
		*out = s2_device_combine(s1, &s2);
		return true;
	}
	*out = (struct s2_mtype){ 0, 0, s2_min_u8(s1->inner, s2.inner),
				  s2_min_u8(s1->outer, s2.outer) };
	return true;
}

/* s2_mtype_mt() - the name class of a type: S2_MT_DEVICE_*, NORMAL_NC, _WT, _WB or _MIXED. */
static inline enum s2_mt s2_mtype_mt(const struct s2_mtype *t)
{
	if (t->device)
		return (enum s2_mt)(S2_MT_DEVICE_nGnRnE + (t->dev & 3));
	if (t->inner != t->outer)
		return S2_MT_NORMAL_MIXED;
	return t->inner == S2_CACHE_NC ? S2_MT_NORMAL_NC :
	       t->inner == S2_CACHE_WT ? S2_MT_NORMAL_WT : S2_MT_NORMAL_WB;
}

/* ---- the guest's stage-1 regime (TCR_EL1, TTBRn_EL1) ---- */

#define S2_TCR_T0SZ(tcr)	((unsigned int)(tcr) & 0x3f)
#define S2_TCR_EPD0		(1ULL << 7)
#define S2_TCR_TG0(tcr)		((unsigned int)((tcr) >> 14) & 3)
#define S2_TCR_T1SZ(tcr)	((unsigned int)((tcr) >> 16) & 0x3f)
#define S2_TCR_A1		(1ULL << 22)
#define S2_TCR_EPD1		(1ULL << 23)
#define S2_TCR_TG1(tcr)		((unsigned int)((tcr) >> 30) & 3)
#define S2_TCR_AS		(1ULL << 36)
#define S2_TCR_DS		(1ULL << 59)
#define S2_SCTLR_M		(1ULL << 0)

/* One half of a stage-1 regime: TTBR0_EL1 (lower VAs) or TTBR1_EL1 (upper VAs). */
struct s2_s1_regime {
	unsigned int page_shift;	/* 12, 14 or 16 */
	unsigned int va_bits;		/* 64 - TxSZ */
	int start_level;		/* -1..3 */
	unsigned int root_entries;	/* descriptors in the start-level table */
	bool ds;			/* TCR_EL1.DS: FEAT_LPA2 descriptor and TTBR formats */
	bool disabled;			/* TCR_EL1.EPDn: no walks in this half */
	s2_u64 va_base;			/* first VA of the half */
};

/**
 * s2_s1_regime() - the geometry of one half of the guest's stage-1 translation.
 * @tcr: TCR_EL1.
 * @upper: TTBR1_EL1's half (else TTBR0_EL1's).
 * @r: the result.
 *
 * Granule from TG0 (0b00 4 KiB, 0b01 64 KiB, 0b10 16 KiB) or TG1 (0b10 4 KiB, 0b11 64 KiB,
 * 0b01 16 KiB); VA size 64 - TxSZ (TxSZ 12..48: 52-bit VAs need FEAT_LPA2 (DS) or, with
 * 64 KiB pages, FEAT_LVA); start level 4 - ceil((VA bits - page shift) / (page shift - 3)).
 * Returns false for a reserved granule, a TxSZ out of range, or a start level the granule
 * does not have (level -1 needs 4 KiB pages and DS).
 */
static inline bool s2_s1_regime(s2_u64 tcr, bool upper, struct s2_s1_regime *r)
{
	static const unsigned char tg0_shift[4] = { 12, 16, 14, 0 };
	static const unsigned char tg1_shift[4] = { 0, 14, 12, 16 };
	unsigned int sz = upper ? S2_TCR_T1SZ(tcr) : S2_TCR_T0SZ(tcr), levels, stride;

	r->page_shift = upper ? tg1_shift[S2_TCR_TG1(tcr)] : tg0_shift[S2_TCR_TG0(tcr)];
	r->ds = (tcr & S2_TCR_DS) && r->page_shift != 16;
	r->disabled = (tcr & (upper ? S2_TCR_EPD1 : S2_TCR_EPD0)) != 0;
	if (!r->page_shift || sz < 12 || sz > 48)
		return false;
	if (sz < 16 && !r->ds && r->page_shift != 16)
		return false;
	r->va_bits = 64 - sz;
	stride = r->page_shift - 3;
	levels = (r->va_bits - r->page_shift + stride - 1) / stride;
	r->start_level = 4 - (int)levels;
	if (r->start_level < -1 || r->start_level > 3 ||
	    (r->start_level == -1 && (r->page_shift != 12 || !r->ds)))
		return false;
	r->root_entries = 1u << (r->va_bits - s2_level_shift(r->start_level, r->page_shift));
	r->va_base = upper ? ~0ULL << r->va_bits : 0;
	return true;
}

/*
 * s2_ttbr_table() - the physical (guest: intermediate physical) address of the start-level
 * table of a TTBRn_EL1 value: BADDR[47:1], with FEAT_LPA2 (DS) or 64 KiB pages BADDR[51:48]
 * in TTBR[5:2]; aligned to the table's size (at least 64 bytes then).
 */
static inline s2_u64 s2_ttbr_table(s2_u64 ttbr, const struct s2_s1_regime *r)
{
	s2_u64 base = ttbr & (((1ULL << 48) - 1) & ~1ULL);
	s2_u64 size = (s2_u64)r->root_entries * 8;

	if (r->ds || r->page_shift == 16) {
		base |= ((ttbr >> 2) & 0xf) << 48;
		base &= ~0x3fULL;
	}
	return base & ~(size - 1);
}

/* s2_ttbr_asid() - the ASID of a TTBRn_EL1 value (16 bits with TCR_EL1.AS, else 8). */
static inline unsigned int s2_ttbr_asid(s2_u64 ttbr, s2_u64 tcr)
{
	return (unsigned int)(ttbr >> 48) & ((tcr & S2_TCR_AS) ? 0xffff : 0xff);
}

/*
 * s2_s1_block_ok() - can a stage-1 block descriptor sit at @level?  Level 1 and 2 with 4 KiB
 * pages, level 0 too with DS; level 2 with 16 KiB pages, level 1 too with DS; level 2 with
 * 64 KiB pages, level 1 too with 52-bit output addresses (accepted: the OA decides).
 */
static inline bool s2_s1_block_ok(int level, const struct s2_s1_regime *r)
{
	if (level >= S2_LEAF_LEVEL || level < 0)
		return false;
	switch (r->page_shift) {
	case 12:
		return level >= 1 || r->ds;
	case 14:
		return level >= 2 || (level == 1 && r->ds);
	default:
		return level >= 1;
	}
}

#endif /* KVM_S2STAT_DECODE_H */
