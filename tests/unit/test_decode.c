// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Unit tests of include/kvm_s2stat/decode.h against the Arm ARM encodings (DDI 0487:
 * stage-2 MemAttr with and without FEAT_S2FWB, S2AP, XN/XNX, descriptor formats with 4, 16
 * and 64 KiB granules, FEAT_LPA and FEAT_LPA2 output addresses) and KVM's prot layouts.
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
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
