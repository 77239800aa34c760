// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Unit tests of include/kvm_s2stat/decode.h against the Arm ARM encodings (DDI 0487:
 * stage-2 MemAttr with and without FEAT_S2FWB, S2AP, XN/XNX, descriptor formats with 4, 16
 * and 64 KiB granules, FEAT_LPA and FEAT_LPA2 output addresses) and KVM's prot layouts; the
 * guest's stage 1 (MAIR_EL1 attributes, TCR_EL1 geometry, TTBR formats) and the effective
 * memory type of stage 1 combined with stage 2, with and without FEAT_S2FWB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <kvm_s2stat/decode.h>

/* Arm ARM, stage 2 MemAttr[3:0] with HCR_EL2.FWB == 0. */
static const enum s2_mt nofwb_table[16] = {
	[0x0] = S2_MT_DEVICE_nGnRnE, [0x1] = S2_MT_DEVICE_nGnRE,
	[0x2] = S2_MT_DEVICE_nGRE,   [0x3] = S2_MT_DEVICE_GRE,
	[0x4] = S2_MT_RESERVED,      [0x5] = S2_MT_NORMAL_NC,		/* outer NC */
	[0x6] = S2_MT_NORMAL_MIXED,  [0x7] = S2_MT_NORMAL_MIXED,
	[0x8] = S2_MT_RESERVED,      [0x9] = S2_MT_NORMAL_MIXED,	/* outer WT */
	[0xa] = S2_MT_NORMAL_WT,     [0xb] = S2_MT_NORMAL_MIXED,
	[0xc] = S2_MT_RESERVED,      [0xd] = S2_MT_NORMAL_MIXED,	/* outer WB */
	[0xe] = S2_MT_NORMAL_MIXED,  [0xf] = S2_MT_NORMAL_WB,
};

/* Arm ARM, stage 2 MemAttr[3:0] with HCR_EL2.FWB == 1 (MemAttr[3] RES0). */
static const enum s2_mt fwb_table[16] = {
	[0x0] = S2_MT_DEVICE_nGnRnE, [0x1] = S2_MT_DEVICE_nGnRE,
	[0x2] = S2_MT_DEVICE_nGRE,   [0x3] = S2_MT_DEVICE_GRE,
	[0x4] = S2_MT_RESERVED,      [0x5] = S2_MT_NORMAL_NC,
	[0x6] = S2_MT_FWB_WB,        [0x7] = S2_MT_FWB_S1,
	[0x8] = S2_MT_RESERVED, [0x9] = S2_MT_RESERVED, [0xa] = S2_MT_RESERVED,
	[0xb] = S2_MT_RESERVED, [0xc] = S2_MT_RESERVED, [0xd] = S2_MT_RESERVED,
	[0xe] = S2_MT_RESERVED, [0xf] = S2_MT_RESERVED,
};

static void test_memattr_nofwb_all(void **state)
{
	(void)state;
	for (unsigned int m = 0; m < 16; m++)
		assert_int_equal(s2_memattr_mt(m, false), nofwb_table[m]);
}

static void test_memattr_fwb_all(void **state)
{
	(void)state;
	for (unsigned int m = 0; m < 16; m++)
		assert_int_equal(s2_memattr_mt(m, true), fwb_table[m]);
}

/* The values KVM programs (asm/memory.h MT_S2_*, MT_S2_FWB_*) decode to their class. */
static void test_kvm_values_roundtrip(void **state)
{
	(void)state;
	for (int fwb = 0; fwb <= 1; fwb++) {
		for (unsigned int a = 0; a < S2_ATTR_NR; a++) {
			unsigned int m = s2_attr_memattr((enum s2_attr)a, fwb);

			assert_int_equal(s2_mt_attr(s2_memattr_mt(m, fwb)), a);
		}
	}
	assert_int_equal(s2_attr_memattr(S2_ATTR_DEVICE, false), 0x1);
	assert_int_equal(s2_attr_memattr(S2_ATTR_DEVICE, true), 0x1);
	assert_int_equal(s2_attr_memattr(S2_ATTR_NC, false), 0x5);
	assert_int_equal(s2_attr_memattr(S2_ATTR_NC, true), 0x5);
	assert_int_equal(s2_attr_memattr(S2_ATTR_NORMAL, false), 0xf);
	assert_int_equal(s2_attr_memattr(S2_ATTR_NORMAL, true), 0x6);
	/* RAM with FWB 0b0110 reads as forced WB, without FWB 0b1111 as WB. */
	assert_int_equal(s2_memattr_mt(0x6, true), S2_MT_FWB_WB);
	assert_int_equal(s2_memattr_mt(0xf, false), S2_MT_NORMAL_WB);
	/* 0b0110 without FWB: outer NC, inner WT: mixed, cacheable. */
	assert_int_equal(s2_mt_attr(s2_memattr_mt(0x6, false)), S2_ATTR_NORMAL);
}

static void test_mt_attr_classes(void **state)
{
	(void)state;
	assert_int_equal(s2_mt_attr(S2_MT_DEVICE_nGnRnE), S2_ATTR_DEVICE);
	assert_int_equal(s2_mt_attr(S2_MT_DEVICE_GRE), S2_ATTR_DEVICE);
	assert_int_equal(s2_mt_attr(S2_MT_NORMAL_NC), S2_ATTR_NC);
	assert_int_equal(s2_mt_attr(S2_MT_NORMAL_WT), S2_ATTR_NORMAL);
	assert_int_equal(s2_mt_attr(S2_MT_FWB_S1), S2_ATTR_NORMAL);
	assert_int_equal(s2_mt_attr(S2_MT_RESERVED), S2_ATTR_NR);
	for (unsigned int i = 0; i < S2_MT_NR; i++)
		assert_non_null(s2_mt_names[i]);
	assert_string_equal(s2_mt_name(S2_MT_NR), "?");
}

static void test_attr_names(void **state)
{
	(void)state;
	assert_string_equal(s2_attr_name(S2_ATTR_DEVICE), "DEVICE_nGnRE");
	assert_string_equal(s2_attr_name(S2_ATTR_NC), "NORMAL_NC");
	assert_string_equal(s2_attr_name(S2_ATTR_NORMAL), "NORMAL");
	assert_string_equal(s2_attr_name(7), "?");
	for (unsigned int a = 0; a < S2_ATTR_NR; a++)
		assert_int_equal(s2_attr_parse(s2_attr_names[a]), a);
	assert_int_equal(s2_attr_parse("NORMAL_N"), -1);
	assert_int_equal(s2_attr_parse("NORMAL_NCX"), -1);
	assert_int_equal(s2_attr_parse(""), -1);
	assert_int_equal(s2_attr_parse("normal"), -1);
}

static void test_level_shift(void **state)
{
	(void)state;
	/* 4 KiB: 4K, 2M, 1G, 512G, and level -1 (LPA2) 256T. */
	assert_int_equal(s2_level_shift(3, 12), 12);
	assert_int_equal(s2_level_shift(2, 12), 21);
	assert_int_equal(s2_level_shift(1, 12), 30);
	assert_int_equal(s2_level_shift(0, 12), 39);
	assert_int_equal(s2_level_shift(-1, 12), 48);
	/* 16 KiB: 16K, 32M, 64G. */
	assert_int_equal(s2_level_shift(3, 14), 14);
	assert_int_equal(s2_level_shift(2, 14), 25);
	assert_int_equal(s2_level_shift(1, 14), 36);
	/* 64 KiB: 64K, 512M, 4T. */
	assert_int_equal(s2_level_shift(3, 16), 16);
	assert_int_equal(s2_level_shift(2, 16), 29);
	assert_int_equal(s2_level_shift(1, 16), 42);
}

static void test_desc_types(void **state)
{
	(void)state;
	assert_false(s2_desc_valid(0));
	assert_false(s2_desc_valid(0x7fcULL));		/* annotated invalid PTE */
	assert_true(s2_desc_is_table(0x3, 2));
	assert_false(s2_desc_is_leaf(0x3, 2));
	assert_true(s2_desc_is_leaf(0x1, 2));		/* block */
	assert_false(s2_desc_is_table(0x1, 2));
	assert_true(s2_desc_is_leaf(0x3, 3));		/* page */
	assert_false(s2_desc_is_table(0x3, 3));
	assert_false(s2_desc_is_leaf(0x1, 3));		/* reserved at level 3 */
	assert_true(s2_desc_is_table(0x3, -1));
}

static void test_desc_addr(void **state)
{
	(void)state;
	/* 4 KiB page, 48-bit OA; attribute bits around it are ignored. */
	assert_int_equal(s2_desc_addr(0x0040008012345fc7ULL, 3, 12, false), 0x8012345000ULL);
	/* 4 KiB 2 MiB block: bits [20:12] (incl. nT bit 16) are not address. */
	assert_int_equal(s2_desc_addr(0x00000000c3a1f4c5ULL, 2, 12, false), 0xc3a00000ULL);
	/* Table descriptor at level 2: next-level table address, page aligned. */
	assert_int_equal(s2_desc_addr(0x0000000045678003ULL, 2, 12, false), 0x45678000ULL);
	/* LPA2, 4 KiB: OA[49:12] in place, OA[51:50] from bits [9:8]. */
	assert_int_equal(s2_desc_addr(0x0003000000001343ULL | (3ULL << 8), 3, 12, true),
			 0x000f000000001000ULL);
	/* LPA2: bits [9:8] are address, not shareability. */
	assert_int_equal(s2_desc_addr(0x1000000000443ULL | (1ULL << 8), 3, 12, true),
			 0x0005000000000000ULL);
	/* Without LPA2 bits [49:48] are not address. */
	assert_int_equal(s2_desc_addr(0x0003000000001343ULL, 3, 12, false), 0x1000ULL);
	/* 16 KiB page and 32 MiB block. */
	assert_int_equal(s2_desc_addr(0x0000008000007fc7ULL, 3, 14, false), 0x8000004000ULL);
	assert_int_equal(s2_desc_addr(0x0000000043ffc7c5ULL, 2, 14, false), 0x42000000ULL);
	/* 64 KiB with FEAT_LPA: OA[51:48] in bits [15:12]. */
	assert_int_equal(s2_desc_addr(0x00000012340f0fc7ULL | 0xa000ULL, 3, 16, false),
			 0x000a0012340f0000ULL & ~0xffffULL);
}

static void test_desc_perm(void **state)
{
	char buf[4];

	(void)state;
	/* S2AP R|W, XN (bit 54) set: rw-. */
	assert_int_equal(s2_desc_perm(0x00400000000000c7ULL, false), S2_PERM_R | S2_PERM_W);
	/* R only, executable. */
	assert_int_equal(s2_desc_perm(0x47ULL, false), S2_PERM_R | S2_PERM_X);
	/* no access */
	assert_int_equal(s2_desc_perm(0x0040000000000007ULL, false), 0);
	/* XNX: XN[1:0] = 0b00 exec, 0b01 not EL1, 0b10 none, 0b11 EL1 only. */
	assert_int_equal(s2_desc_perm(0xc7ULL, true), S2_PERM_R | S2_PERM_W | S2_PERM_X);
	assert_int_equal(s2_desc_perm(0xc7ULL | (1ULL << 53), true), S2_PERM_R | S2_PERM_W);
	assert_int_equal(s2_desc_perm(0xc7ULL | (2ULL << 53), true), S2_PERM_R | S2_PERM_W);
	assert_int_equal(s2_desc_perm(0xc7ULL | (3ULL << 53), true),
			 S2_PERM_R | S2_PERM_W | S2_PERM_X);
	assert_string_equal(s2_perm_str(S2_PERM_R | S2_PERM_W, buf), "rw-");
	assert_string_equal(s2_perm_str(S2_PERM_R | S2_PERM_X, buf), "r-x");
	assert_string_equal(s2_perm_str(0, buf), "---");
	assert_int_equal(s2_desc_memattr(0x00400000000000c7ULL | (0x5 << 2)), 0x5 | 0x1);
}

/* KVM's enum kvm_pgtable_prot layouts over time and the prot values seen on the testbed. */
static const struct s2_prot_layout l61 = { .r = 1 << 2, .w = 1 << 1, .px = 1 << 0,
					   .ux = 1 << 0, .device = 1 << 3, .normal_nc = 0 };
static const struct s2_prot_layout l69 = { .r = 1 << 2, .w = 1 << 1, .px = 1 << 0,
					   .ux = 1 << 0, .device = 1 << 3, .normal_nc = 1 << 4 };
static const struct s2_prot_layout l619 = { .r = 1 << 3, .w = 1 << 2, .px = 1 << 0,
					    .ux = 1 << 1, .device = 1 << 4, .normal_nc = 1 << 5 };

static void test_prot_layouts(void **state)
{
	(void)state;
	/* 6.1: vfio BAR RW|DEVICE = 0xe; RAM RWX = 0x7. */
	assert_int_equal(s2_prot_attr(0xe, &l61), S2_ATTR_DEVICE);
	assert_int_equal(s2_prot_perm(0xe, &l61), S2_PERM_R | S2_PERM_W);
	assert_true(s2_prot_is_device_class(0xe, &l61));
	assert_int_equal(s2_prot_attr(0x7, &l61), S2_ATTR_NORMAL);
	assert_false(s2_prot_is_device_class(0x7, &l61));
	assert_int_equal(s2_prot_perm(0x7, &l61), S2_PERM_R | S2_PERM_W | S2_PERM_X);
	/* 6.1 change_pte: R only. */
	assert_int_equal(s2_prot_perm(0x4, &l61), S2_PERM_R);
	/* 6.12: vfio BAR RW|NORMAL_NC = 0x16; sysfs resource RW|DEVICE = 0xe. */
	assert_int_equal(s2_prot_attr(0x16, &l69), S2_ATTR_NC);
	assert_int_equal(s2_prot_perm(0x16, &l69), S2_PERM_R | S2_PERM_W);
	assert_int_equal(s2_prot_attr(0xe, &l69), S2_ATTR_DEVICE);
	assert_int_equal(s2_prot_attr(0x7, &l69), S2_ATTR_NORMAL);
	/* 7.3: vfio RW|NORMAL_NC = 0x2c, sysfs RW|DEVICE = 0x1c, RAM RW|PX|UX = 0xf. */
	assert_int_equal(s2_prot_attr(0x2c, &l619), S2_ATTR_NC);
	assert_int_equal(s2_prot_perm(0x2c, &l619), S2_PERM_R | S2_PERM_W);
	assert_int_equal(s2_prot_attr(0x1c, &l619), S2_ATTR_DEVICE);
	assert_int_equal(s2_prot_attr(0xf, &l619), S2_ATTR_NORMAL);
	assert_int_equal(s2_prot_perm(0xf, &l619), S2_PERM_R | S2_PERM_W | S2_PERM_X);
	assert_int_equal(s2_prot_perm(0xe, &l619), S2_PERM_R | S2_PERM_W);	/* UX only */
	/* DEVICE wins over NORMAL_NC as in KVM's stage2_set_prot_attr(). */
	assert_int_equal(s2_prot_attr(0x18, &l69), S2_ATTR_DEVICE);
}


/* ---- stage 1 and the effective type ---- */

#define DEV(d)		((struct s2_mtype){ 1, (d), 0, 0 })
#define NORM(i, o)	((struct s2_mtype){ 0, 0, (i), (o) })
#define NC	S2_CACHE_NC
#define WT	S2_CACHE_WT
#define WB	S2_CACHE_WB

static void assert_mtype(struct s2_mtype a, struct s2_mtype b)
{
	assert_int_equal(a.device, b.device);
	if (a.device) {
		assert_int_equal(a.dev, b.dev);
	} else {
		assert_int_equal(a.inner, b.inner);
		assert_int_equal(a.outer, b.outer);
	}
}

static struct s2_mtype s1(unsigned int attr)
{
	struct s2_mtype t;

	assert_true(s2_s1_mtype(attr, &t));
	return t;
}

/* MAIR_EL1.Attr<n> (D8.6.1): Device, Normal nibbles, FEAT_XS and FEAT_MTE2 forms. */
static void test_mair(void **state)
{
	struct s2_mtype t;

	(void)state;
	assert_mtype(s1(0x00), DEV(0));
	assert_mtype(s1(0x04), DEV(1));		/* Linux MT_DEVICE_nGnRE (ioremap) */
	assert_mtype(s1(0x08), DEV(2));
	assert_mtype(s1(0x0c), DEV(3));
	assert_mtype(s1(0x05), DEV(1));		/* FEAT_XS: Device-nGnRE, XS=0 */
	assert_false(s2_s1_mtype(0x02, &t));	/* 0b0000dd1x: UNPREDICTABLE */
	assert_false(s2_s1_mtype(0x0f, &t));
	assert_mtype(s1(0x44), NORM(NC, NC));	/* Linux MT_NORMAL_NC (ioremap_wc) */
	assert_mtype(s1(0xff), NORM(WB, WB));	/* Linux MT_NORMAL */
	assert_mtype(s1(0xbb), NORM(WT, WT));	/* Linux MT_NORMAL_WT */
	assert_mtype(s1(0xf0), NORM(WB, WB));	/* MTE: Tagged Normal */
	assert_mtype(s1(0x40), NORM(NC, NC));	/* FEAT_XS: NC, XS=0 */
	assert_mtype(s1(0xa0), NORM(WT, WT));	/* FEAT_XS: WT, XS=0 */
	assert_false(s2_s1_mtype(0x80, &t));	/* inner 0b0000 otherwise */
	assert_false(s2_s1_mtype(0x10, &t));
	assert_mtype(s1(0x4f), NORM(WB, NC));	/* outer NC, inner WB */
	assert_mtype(s1(0x11), NORM(WT, WT));	/* 0b00RW: WT transient */
	assert_mtype(s1(0x55), NORM(WB, WB));	/* 0b01RW: WB transient */
	assert_mtype(s1(0x88), NORM(WT, WT));	/* 0b1000: WT, no allocation hint */
	assert_mtype(s1(0xcc), NORM(WB, WB));
	assert_int_equal(s2_mtype_mt(&(struct s2_mtype){ 0, 0, WB, NC }), S2_MT_NORMAL_MIXED);
	assert_int_equal(s2_mtype_mt(&(struct s2_mtype){ 0, 0, NC, NC }), S2_MT_NORMAL_NC);
	assert_int_equal(s2_mtype_mt(&(struct s2_mtype){ 1, 1, 0, 0 }), S2_MT_DEVICE_nGnRE);
	/* Every byte decodes or is refused, and a decoded one has a name. */
	for (unsigned int a = 0; a < 256; a++)
		if (s2_s1_mtype(a, &t))
			assert_true(s2_mtype_mt(&t) < S2_MT_NR);
	/* Linux's MAIR_EL1 (6.x): Attr0 Normal, 1 Tagged, 2 NC, 3 nGnRnE, 4 nGnRE. */
	assert_int_equal(s2_mair_attr(0x000000040044ffffULL, 4), 0x04);
	assert_int_equal(s2_mair_attr(0x000000040044ffffULL, 2), 0x44);
	assert_int_equal(s2_s1_attridx(0x0068000000000f07ULL | (4 << 2)), 4 | 1);
}

struct comb {
	unsigned int s1attr, memattr;
	bool fwb, ok;
	struct s2_mtype want;
};

/*
 * "Combining the stage 1 and stage 2 attributes": without FWB the more restrictive wins;
 * with FWB the stage-2 MemAttr decides how stage 1 is used.
 */
static const struct comb comb_cases[] = {
	/* Without FWB. */
	{ 0x04, 0x5, false, true, DEV(1) },	/* ioremap x vfio NC (6.9+): Device */
	{ 0x44, 0x5, false, true, NORM(NC, NC) },	/* ioremap_wc x NC: write-combining */
	{ 0xff, 0x5, false, true, NORM(NC, NC) },
	{ 0x44, 0x1, false, true, DEV(1) },	/* ioremap_wc x Device (<= 6.8): Device */
	{ 0x04, 0x1, false, true, DEV(1) },
	{ 0x00, 0x1, false, true, DEV(0) },	/* the more restrictive Device type */
	{ 0x0c, 0x2, false, true, DEV(2) },
	{ 0x0c, 0x3, false, true, DEV(3) },
	{ 0xff, 0xf, false, true, NORM(WB, WB) },	/* RAM */
	{ 0xbb, 0xf, false, true, NORM(WT, WT) },	/* stage-1 WT wins over WB */
	{ 0xff, 0xa, false, true, NORM(WT, WT) },	/* stage-2 WT wins over WB */
	{ 0x44, 0xf, false, true, NORM(NC, NC) },
	{ 0x4f, 0xf, false, true, NORM(WB, NC) },	/* inner and outer apart */
	{ 0xff, 0x7, false, true, NORM(WB, NC) },	/* stage 2 outer NC inner WB */
	{ 0xff, 0x4, false, false, DEV(0) },	/* reserved stage-2 encoding */
	{ 0xff, 0x8, false, false, DEV(0) },
	/* With FWB. */
	{ 0x04, 0x5, true, true, DEV(1) },	/* NC: stage-1 Device stays Device */
	{ 0x00, 0x5, true, true, DEV(0) },
	{ 0x44, 0x5, true, true, NORM(NC, NC) },
	{ 0xff, 0x5, true, true, NORM(NC, NC) },	/* NC: Normal becomes NC */
	{ 0xbb, 0x5, true, true, NORM(NC, NC) },
	{ 0x04, 0x1, true, true, DEV(1) },	/* Device: as without FWB */
	{ 0x44, 0x1, true, true, DEV(1) },
	{ 0x00, 0x1, true, true, DEV(0) },
	{ 0x0c, 0x1, true, true, DEV(1) },
	{ 0x04, 0x6, true, true, NORM(WB, WB) },	/* forced Write-Back, even over Device */
	{ 0x44, 0x6, true, true, NORM(WB, WB) },
	{ 0xbb, 0x6, true, true, NORM(WB, WB) },
	{ 0x04, 0x7, true, true, DEV(1) },	/* 0b0111: stage 1 as it is */
	{ 0x44, 0x7, true, true, NORM(NC, NC) },
	{ 0x4f, 0x7, true, true, NORM(WB, NC) },
	{ 0xff, 0x4, true, false, DEV(0) },	/* reserved */
	{ 0xff, 0xd, true, false, DEV(0) },
};

static void test_effective(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(comb_cases) / sizeof(comb_cases[0]); i++) {
		const struct comb *c = &comb_cases[i];
		struct s2_mtype t1 = s1(c->s1attr), out;

		assert_int_equal(s2_effective(&t1, c->memattr, c->fwb, &out), c->ok);
		if (c->ok)
			assert_mtype(out, c->want);
	}
	/* The measured cases, by name: 6.1 (stage 2 Device) gives Device for ioremap and
	 * ioremap_wc; 6.12 (stage 2 NC) gives Device and Normal-NC; FWB or not. */
	for (int fwb = 0; fwb <= 1; fwb++) {
		struct s2_mtype dev = s1(0x04), wc = s1(0x44), out;

		assert_true(s2_effective(&dev, s2_attr_memattr(S2_ATTR_DEVICE, fwb), fwb, &out));
		assert_int_equal(s2_mtype_mt(&out), S2_MT_DEVICE_nGnRE);
		assert_true(s2_effective(&wc, s2_attr_memattr(S2_ATTR_DEVICE, fwb), fwb, &out));
		assert_int_equal(s2_mtype_mt(&out), S2_MT_DEVICE_nGnRE);
		assert_true(s2_effective(&dev, s2_attr_memattr(S2_ATTR_NC, fwb), fwb, &out));
		assert_int_equal(s2_mtype_mt(&out), S2_MT_DEVICE_nGnRE);
		assert_true(s2_effective(&wc, s2_attr_memattr(S2_ATTR_NC, fwb), fwb, &out));
		assert_int_equal(s2_mtype_mt(&out), S2_MT_NORMAL_NC);
		/* Cacheable device memory (6.17+): with FWB forced WB; without, stage 1 decides. */
		assert_true(s2_effective(&wc, s2_attr_memattr(S2_ATTR_NORMAL, fwb), fwb, &out));
		assert_int_equal(s2_mtype_mt(&out), fwb ? S2_MT_NORMAL_WB : S2_MT_NORMAL_NC);
	}
	/* Exhaustively: never a crash, and a result never less restrictive than both inputs
	 * without FWB (Device stays Device). */
	for (unsigned int a = 0; a < 256; a++) {
		struct s2_mtype t1, out;

		if (!s2_s1_mtype(a, &t1))
			continue;
		for (unsigned int m = 0; m < 16; m++) {
			if (!s2_effective(&t1, m, false, &out))
				continue;
			if (t1.device || !(m & 0xc))
				assert_true(out.device);
		}
	}
}

/* TCR_EL1 geometry (D8.2): granules, VA sizes, start levels, LPA2 level -1. */
static void test_regime(void **state)
{
	struct s2_s1_regime r;
	/* Linux 4 KiB, 48-bit VA: T0SZ = T1SZ = 16, TG0 4K, TG1 4K, A1. */
	const unsigned long long tcr4k = 16 | (16ULL << 16) | (0ULL << 14) | (2ULL << 30) |
					 S2_TCR_A1 | S2_TCR_AS;

	(void)state;
	assert_true(s2_s1_regime(tcr4k, true, &r));
	assert_int_equal(r.page_shift, 12);
	assert_int_equal(r.va_bits, 48);
	assert_int_equal(r.start_level, 0);
	assert_int_equal(r.root_entries, 512);
	assert_true(r.va_base == 0xffff000000000000ULL);
	assert_false(r.ds);
	assert_true(s2_s1_regime(tcr4k, false, &r));
	assert_true(r.va_base == 0);
	assert_int_equal(r.start_level, 0);
	/* 39-bit VA: start level 1. */
	assert_true(s2_s1_regime(25 | (25ULL << 16) | (2ULL << 30), true, &r));
	assert_int_equal(r.start_level, 1);
	assert_int_equal(r.root_entries, 512);
	/* 16 KiB, 48-bit VA: level 0 with 2 entries; 47-bit: level 1 with 2048. */
	assert_true(s2_s1_regime(16 | (2ULL << 14) | (16ULL << 16) | (1ULL << 30), true, &r));
	assert_int_equal(r.page_shift, 14);
	assert_int_equal(r.start_level, 0);
	assert_int_equal(r.root_entries, 2);
	assert_true(s2_s1_regime(17 | (2ULL << 14), false, &r));
	assert_int_equal(r.start_level, 1);
	assert_int_equal(r.root_entries, 2048);
	/* 4 KiB with FEAT_LPA2 (DS) and 52-bit VA: level -1, 16 entries. */
	assert_true(s2_s1_regime(12 | (12ULL << 16) | (2ULL << 30) | S2_TCR_DS, true, &r));
	assert_int_equal(r.start_level, -1);
	assert_int_equal(r.root_entries, 16);
	assert_true(r.ds);
	/* ... but not without DS. */
	assert_false(s2_s1_regime(12 | (12ULL << 16) | (2ULL << 30), true, &r));
	/* 64 KiB, 52-bit VA (FEAT_LVA): level 1, 1024 entries; DS ignored. */
	assert_true(s2_s1_regime(12 | (1ULL << 14) | S2_TCR_DS, false, &r));
	assert_int_equal(r.page_shift, 16);
	assert_int_equal(r.start_level, 1);
	assert_int_equal(r.root_entries, 1024);
	assert_false(r.ds);
	/* Reserved granules, TxSZ out of range, EPDn. */
	assert_false(s2_s1_regime(16 | (3ULL << 14), false, &r));
	assert_false(s2_s1_regime(16ULL << 16, true, &r));	/* TG1 0b00 */
	assert_false(s2_s1_regime(60, false, &r));
	assert_true(s2_s1_regime(tcr4k | S2_TCR_EPD0, false, &r));
	assert_true(r.disabled);
	/* TTBR tables: BADDR[47:1]; with DS, BADDR[51:48] in [5:2]; ASIDs. */
	assert_true(s2_s1_regime(tcr4k, true, &r));
	assert_true(s2_ttbr_table(0x002a0000412ab000ULL, &r) == 0x412ab000ULL);
	assert_int_equal(s2_ttbr_asid(0x002a0000412ab000ULL, tcr4k), 0x2a);
	assert_int_equal(s2_ttbr_asid(0x012a000000000000ULL, tcr4k & ~S2_TCR_AS), 0x2a);
	assert_true(s2_ttbr_table(0x412ab001ULL, &r) == 0x412ab000ULL);	/* CnP */
	assert_true(s2_s1_regime(12 | (12ULL << 16) | (2ULL << 30) | S2_TCR_DS, true, &r));
	assert_true(s2_ttbr_table(0x0000000041200000ULL | (0x3ULL << 2), &r) ==
		    0x0003000041200000ULL);
	/* Blocks: 4K level 1-2 (0 with DS), 16K level 2 (1 with DS), 64K level 1-2. */
	assert_true(s2_s1_regime(tcr4k, true, &r));
	assert_false(s2_s1_block_ok(0, &r));
	assert_true(s2_s1_block_ok(1, &r));
	assert_false(s2_s1_block_ok(3, &r));
	assert_true(s2_s1_regime(16 | (2ULL << 14), false, &r));
	assert_false(s2_s1_block_ok(1, &r));
	assert_true(s2_s1_block_ok(2, &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memattr_nofwb_all),
		cmocka_unit_test(test_memattr_fwb_all),
		cmocka_unit_test(test_kvm_values_roundtrip),
		cmocka_unit_test(test_mt_attr_classes),
		cmocka_unit_test(test_attr_names),
		cmocka_unit_test(test_level_shift),
		cmocka_unit_test(test_desc_types),
		cmocka_unit_test(test_desc_addr),
		cmocka_unit_test(test_desc_perm),
		cmocka_unit_test(test_prot_layouts),
		cmocka_unit_test(test_mair),
		cmocka_unit_test(test_effective),
		cmocka_unit_test(test_regime),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
