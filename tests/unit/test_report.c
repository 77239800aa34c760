// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Unit tests of what the outputs are computed from (userspace/s2report.c, s2check.c):
 * sizes in human units, totals (saturating), VM and device-row lookups in (pid, fd) order,
 * the --expect result (ok, violated, nothing to check) and its violation list.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "s2report.h"
#include "s2view.h"

static void test_human_bytes(void **state)
{
	static const struct {
		uint64_t v;
		const char *want;
	} cases[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" }, { 1536, "1.5 KiB" },
		{ 10188, "9.9 KiB" }, { 10189, "10 KiB" }, { 131072, "128 KiB" },
		{ 1048064, "1.0 MiB" },		/* 1023.5 KiB: never "1024 KiB" */
		{ 1047552, "1023 KiB" }, { 1048575, "1.0 MiB" }, { 4456448, "4.3 MiB" },
		{ 819200000, "781 MiB" }, { 1073741823, "1.0 GiB" },
		{ UINT64_MAX, "16 EiB" }, { 1ULL << 60, "1.0 EiB" },
	};
	char b[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s2_human_bytes(cases[i].v, b);
		if (strcmp(b, cases[i].want))
			fail_msg("%llu: '%s', want '%s'", (unsigned long long)cases[i].v, b,
				 cases[i].want);
	}
}

/* A snapshot of @n VMs (pid 100 + i / 2, fd 10 + i % 2), each with @maps of its own. */
struct fixture {
	struct s2_snapshot s;
	struct s2_vm vms[4];
	struct s2_map maps[4][3];
	char drivers[1][S2_DRIVER_MAX];
};

static void vm_init(struct fixture *fx, size_t i, uint32_t pid, uint32_t fd)
{
	struct s2_vm *vm = &fx->vms[i];

	memset(vm, 0, sizeof(*vm));
	snprintf(vm->st.vm, sizeof(vm->st.vm), "%u-%u", pid, fd);
	vm->st.pid = pid;
	vm->fd = fd;
	vm->st.exact = true;
	vm->maps.v = fx->maps[i];
	vm->maps.drivers = fx->drivers;
	vm->maps.ndrivers = 1;
	vm->has_maps = true;
}

static void add_map(struct fixture *fx, size_t i, bool vfio, uint8_t attr, uint64_t pages,
		    uint32_t bdf)
{
	struct s2_vm *vm = &fx->vms[i];
	struct s2_map *m = &fx->maps[i][vm->maps.n];

	memset(m, 0, sizeof(*m));
	m->ipa_start = 0x10000000ULL * (vm->maps.n + 1);
	m->ipa_end = m->ipa_start + pages * 4096;
	m->pages = pages;
	m->attr = attr;
	m->vfio = vfio;
	m->has_bdf = true;
	m->bdf = bdf;
	m->bar = 0;
	(vfio ? vm->st.c.vfio : vm->st.c.other)[attr] += pages;
	vm->maps.n++;
}

static void fixture(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->drivers[0], S2_DRIVER_MAX, "-");
	fx->s.stats.page_size = 4096;
	fx->s.vms = fx->vms;
	fx->s.n = 3;
	vm_init(fx, 0, 100, 10);
	vm_init(fx, 1, 100, 12);
	vm_init(fx, 2, 200, 5);
	add_map(fx, 0, true, S2_ATTR_NC, 16, 0x100);
	add_map(fx, 0, false, S2_ATTR_DEVICE, 4, 0x200);
	add_map(fx, 1, true, S2_ATTR_DEVICE, 8, 0x100);
	add_map(fx, 1, true, S2_ATTR_NC, 2, 0x100);
}

static void test_totals_lookup(void **state)
{
	struct fixture fx;
	struct s2_totals t;
	struct s2_vm vm;

	(void)state;
	fixture(&fx);
	s2_totals(&fx.s, &t);
	assert_int_equal(t.vms, 3);
	assert_int_equal(t.c.vfio[S2_ATTR_NC], 18);
	assert_int_equal(t.c.vfio[S2_ATTR_DEVICE], 8);
	assert_int_equal(t.c.other[S2_ATTR_DEVICE], 4);
	/* saturating sums: two VMs at UINT64_MAX / 2 + 1 */
	fx.vms[0].st.vfio_bytes = UINT64_MAX / 2 + 1;
	fx.vms[1].st.vfio_bytes = UINT64_MAX / 2 + 1;
	s2_totals(&fx.s, &t);
	assert_true(t.vfio_bytes == UINT64_MAX);
	/* lookups by (pid, fd) */
	assert_ptr_equal(s2_find_vm(&fx.s, 100, 12), &fx.vms[1]);
	assert_ptr_equal(s2_find_vm(&fx.s, 200, 5), &fx.vms[2]);
	assert_null(s2_find_vm(&fx.s, 100, 11));
	assert_null(s2_find_vm(&fx.s, 300, 1));
	assert_null(s2_find_vm(NULL, 100, 10));
	/* the display name: guest name, else [comm], else ? */
	memset(&vm, 0, sizeof(vm));
	{
		char b[S2_CELL];

		assert_string_equal(s2_vm_display_name(&vm, b), "?");
		vm.has_comm = true;
		strcpy(vm.comm, "crosvm");
		assert_string_equal(s2_vm_display_name(&vm, b), "[crosvm]");
		vm.id.has_domain = true;
		strcpy(vm.id.domain, "db\xc3\xa9");
		assert_string_equal(s2_vm_display_name(&vm, b), "db?");
	}
}

static void test_devices(void **state)
{
	struct fixture fx;
	struct s2_report r, old;
	struct s2_devrow key;

	(void)state;
	fixture(&fx);
	assert_int_equal(s2_report_build(&r, &fx.s, S2_REPORT_DEVICES, -1), 0);
	/* BDF 0x100: VM 100-10 NC, VM 100-12 vfio DEVICE and NC; then 0x200 other */
	assert_int_equal(r.ndev, 4);
	assert_int_equal(r.dev[0].bdf, 0x100);
	assert_int_equal(r.dev[0].fd, 10);
	assert_int_equal(r.dev[1].fd, 12);
	assert_int_equal(r.dev[1].attr, S2_ATTR_DEVICE);
	assert_int_equal(r.dev[2].attr, S2_ATTR_NC);
	assert_int_equal(r.dev[3].bdf, 0x200);
	/* the same row found in another report by value, not by pointer */
	assert_int_equal(s2_report_build(&old, &fx.s, S2_REPORT_DEVICES, -1), 0);
	key = r.dev[2];
	key.vm = NULL;
	assert_ptr_equal(s2_find_devrow(&old, &key), &old.dev[2]);
	key.fd = 11;
	assert_null(s2_find_devrow(&old, &key));
	assert_null(s2_find_devrow(NULL, &key));
	s2_report_free(&old);
	s2_report_free(&r);
}

static void test_expect(void **state)
{
	struct fixture fx;
	struct s2_report r;

	(void)state;
	fixture(&fx);
	assert_int_equal(s2_report_build(&r, &fx.s, S2_REPORT_EXPECT, S2_ATTR_NC), 0);
	assert_int_equal(r.exp.result, S2_EXPECT_VIOLATED);
	assert_int_equal(r.exp.checked, 3);		/* class other is not checked */
	assert_int_equal(r.exp.checked_vms, 2);
	assert_int_equal(r.exp.nv, 1);
	assert_ptr_equal(r.exp.v[0].vm, &fx.vms[1]);
	assert_int_equal(r.exp.v[0].m->pages, 8);
	assert_int_equal(r.exp.violation_pages, 8);
	s2_report_free(&r);
	/* only VM 200-5 (no VFIO mapping): nothing to check */
	fx.s.vms = &fx.vms[2];
	fx.s.n = 1;
	assert_int_equal(s2_report_build(&r, &fx.s, S2_REPORT_EXPECT, S2_ATTR_NC), 0);
	assert_int_equal(r.exp.result, S2_EXPECT_NOTHING);
	assert_int_equal(r.exp.checked, 0);
	s2_report_free(&r);
	/* no VMs at all: nothing to check either */
	fx.s.n = 0;
	assert_int_equal(s2_report_build(&r, &fx.s, S2_REPORT_EXPECT, S2_ATTR_NC), 0);
	assert_int_equal(r.exp.result, S2_EXPECT_NOTHING);
	s2_report_free(&r);
	/* VM 100-10 alone: ok */
	fx.s.vms = &fx.vms[0];
	fx.s.n = 1;
	assert_int_equal(s2_report_build(&r, &fx.s, S2_REPORT_EXPECT, S2_ATTR_NC), 0);
	assert_int_equal(r.exp.result, S2_EXPECT_OK);
	assert_int_equal(r.exp.checked_pages, 16);
	s2_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_human_bytes),
		cmocka_unit_test(test_totals_lookup),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_expect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
