/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: views (text tables, JSON, Prometheus) and checks (--expect, --verify).
 */
#ifndef KVM_S2STAT_OUT_H
#define KVM_S2STAT_OUT_H

#include <stdio.h>

#include "s2read.h"

/* One line of the device view: mappings aggregated per BDF, BAR, driver, VM, class, attr. */
struct s2_devrow {
	const struct s2_vm *vm;
	const char *driver;
	uint64_t pages, ranges;
	uint32_t bdf;
	bool has_bdf;
	int8_t bar;
	uint8_t attr;
	bool vfio;
};

/* Aggregated device rows of @s (VMs with mappings), sorted; free() the result. */
size_t s2_devices(const struct s2_snapshot *s, struct s2_devrow **out);

/* "0 B", "4.0 KiB", "128 KiB", "1.5 GiB". */
const char *s2_human_bytes(uint64_t v, char buf[16]);

/* Text views.  @prev (may be NULL): the previous watch sample, to mark changes. */
void s2_print_vms(FILE *f, const struct s2_snapshot *s, const struct s2_snapshot *prev);
void s2_print_devices(FILE *f, const struct s2_snapshot *s, const struct s2_snapshot *prev);
void s2_print_mappings(FILE *f, const struct s2_snapshot *s);

/* --expect: mappings of class vfio whose attribute is not @attr. */
struct s2_expect_result {
	size_t checked, checked_vms;		/* vfio mappings and VMs with any */
	uint64_t checked_pages;
	size_t violations, violation_vms;
	uint64_t violation_pages;
};
void s2_expect(const struct s2_snapshot *s, int attr, struct s2_expect_result *r);
void s2_print_expect(FILE *f, const struct s2_snapshot *s, int attr);

/* --verify: VMs with differences, VMs unavailable, total differences. */
struct s2_verify_result {
	size_t vms, differ_vms, unavailable_vms;
	uint64_t differences;
};
void s2_verify_summary(const struct s2_snapshot *s, struct s2_verify_result *r);
void s2_print_verify(FILE *f, const struct s2_snapshot *s);

/* JSON (docs/json.md). */
struct s2_json_opt {
	bool pretty;
	bool mappings;		/* -m: each VM's ranges */
	bool devices;		/* -d */
	int expect;		/* --expect attribute, or -1 */
	bool verify;		/* --verify */
};
void s2_print_json(FILE *f, const struct s2_snapshot *s, const struct s2_json_opt *o);
void s2_print_json_error(FILE *f, const char *msg);
void s2_json_string(FILE *f, const char *s);

/* Prometheus text exposition format (docs/prometheus.md). */
void s2_print_prometheus(FILE *f, const struct s2_snapshot *s);
void s2_prom_label_value(FILE *f, const char *s);

#endif /* KVM_S2STAT_OUT_H */
