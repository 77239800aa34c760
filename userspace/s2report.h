/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: what every output shows, computed once per sample from a snapshot: totals,
 * the per-device rows, the --expect violations and the --verify summary (s2report.c,
 * s2check.c).  The text views, JSON and Prometheus only format a struct s2_report.
 */
#ifndef KVM_S2STAT_REPORT_H
#define KVM_S2STAT_REPORT_H

#include "s2read.h"

static inline uint64_t s2_sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t s2_sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Sums over the snapshot's VMs (saturating). */
struct s2_totals {
	size_t vms, inexact_vms, failed_vms, mismatch_vms;
	size_t unwalkable_vms;		/* not exact because the table cannot be read */
	struct s2_counts c;		/* pages */
	uint64_t vfio_bytes, other_bytes;
	uint64_t failed[S2_ATTR_NR];
};

/* One line of the device view: mappings added up per BDF, BAR, VM, class, attr, driver. */
struct s2_devrow {
	const struct s2_vm *vm;
	const char *driver;
	uint64_t pages, ranges;
	uint32_t bdf, pid, fd;
	bool has_bdf, vfio;
	int8_t bar;
	uint8_t attr;
	uint8_t reason;		/* enum s2_reason; S2_REASON_NR when the row's ranges differ */
};

enum s2_expect_res {
	S2_EXPECT_OK,		/* every VFIO mapping has the attribute */
	S2_EXPECT_VIOLATED,	/* some do not */
	S2_EXPECT_NOTHING,	/* no VFIO mapping to check */
	S2_EXPECT_INCOMPLETE,	/* --expect wc: none violates, but not every guest was seen */
};

struct s2_violation {
	const struct s2_vm *vm;
	const struct s2_map *m;
};

/* --expect: the VFIO mappings (class vfio) of the selected VMs whose attribute is not attr. */
struct s2_expect_result {
	int attr;			/* enum s2_attr */
	enum s2_expect_res result;
	size_t checked, checked_vms;	/* VFIO mappings, and VMs having any */
	uint64_t checked_pages;
	size_t violation_vms;
	uint64_t violation_pages;
	struct s2_violation *v;		/* the violations, by VM then IPA */
	size_t nv;
};

/*
 * --expect wc: each guest mapping of VFIO memory meant for write-combining (stage-1 type
 * Normal-NC, as ioremap_wc() and resourceN_wc give) must be Normal-NC once combined with
 * stage 2 (the VM's effective file).  A VM whose guest tables could not be read whole (result
 * partial or unavailable, kernel half not ok) makes an otherwise clean result incomplete.
 */
struct s2_wc_violation {
	const struct s2_vm *vm;
	const struct s2_eff_row *w;
};

struct s2_wc_result {
	enum s2_expect_res result;
	size_t checked, checked_vms;	/* write-combining guest mappings, and VMs having any */
	uint64_t checked_bytes;
	size_t violation_vms, incomplete_vms;
	uint64_t violation_bytes;
	struct s2_wc_violation *v;
	size_t nv;
};

/* --verify over the VMs whose verify was read. */
struct s2_verify_result {
	size_t vms, differ_vms, unavailable_vms;
	uint64_t differences;
};

enum {
	S2_REPORT_DEVICES = 1,
	S2_REPORT_EXPECT = 2,
	S2_REPORT_VERIFY = 4,
	S2_REPORT_EXPECT_WC = 8,
	S2_REPORT_EFFECTIVE = 16,	/* the effective files were read: show them */
};

struct s2_report {
	const struct s2_snapshot *s;
	struct s2_totals tot;
	bool has_dev, has_expect, has_verify, has_wc;
	bool eff;			/* the VMs' effective files were read (-E, --expect wc) */
	struct s2_devrow *dev;		/* sorted: BDF, BAR, VM (pid, fd), class, attr, driver */
	size_t ndev;
	struct s2_expect_result exp;
	struct s2_verify_result ver;
	struct s2_wc_result wc;
};

/* @what: S2_REPORT_*; @expect_attr: the --expect attribute.  -1 when out of memory. */
int s2_report_build(struct s2_report *r, const struct s2_snapshot *s, unsigned int what,
		    int expect_attr);
void s2_report_free(struct s2_report *r);

/* s2report.c */
void s2_totals(const struct s2_snapshot *s, struct s2_totals *t);
/* The device rows of @s (VMs with mappings), sorted; free() *@out.  -1 when out of memory. */
int s2_devices(const struct s2_snapshot *s, struct s2_devrow **out, size_t *n);
/* Lookups in O(log n): VMs are in (pid, fd) order, device rows in s2_devices() order. */
const struct s2_vm *s2_find_vm(const struct s2_snapshot *s, uint32_t pid, uint32_t fd);
const struct s2_devrow *s2_find_devrow(const struct s2_report *r, const struct s2_devrow *key);
uint64_t s2_vm_failed(const struct s2_vm *vm);
uint64_t s2_vm_other_pages(const struct s2_vm *vm);
/* "0 B", "4.0 KiB", "128 KiB", "1.5 GiB": rounded to nearest, never "1024 KiB". */
const char *s2_human_bytes(uint64_t v, char buf[16]);

/* s2check.c */
int s2_expect(const struct s2_snapshot *s, int attr, struct s2_expect_result *r);
void s2_expect_free(struct s2_expect_result *r);
void s2_verify_summary(const struct s2_snapshot *s, struct s2_verify_result *r);
int s2_expect_wc(const struct s2_snapshot *s, struct s2_wc_result *r);
void s2_expect_wc_free(struct s2_wc_result *r);
extern const char *const s2_verify_results[3];	/* "ok", "differ", "unavailable" */
/* "ok", "violated", "nothing_to_check", "incomplete" */
extern const char *const s2_expect_results[4];

/*
 * Effective types of a VM's guest mappings of VFIO memory (all of them, or those of one
 * BAR): a bit per enum s2_mt.  s2_eff_types_str() names them ("NC+DEVICE" short, or the
 * full names), "-" for none; a VM whose effective file was not usable gives "?".
 */
#define S2_EFF_ANY_BAR	(-2)
unsigned int s2_eff_types(const struct s2_vm *vm, bool has_bdf, uint32_t bdf, int bar);
const char *s2_eff_types_str(const struct s2_vm *vm, unsigned int types, bool full,
			     char *buf, size_t size);
/* Is the VM's effective file usable and complete (result ok)? */
bool s2_eff_complete(const struct s2_vm *vm);

#endif /* KVM_S2STAT_REPORT_H */
