/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: the text views (aligned text or CSV) of a report: per VM, per device,
 * mappings, log lines, --expect and --verify.
 */
#ifndef KVM_S2STAT_VIEW_H
#define KVM_S2STAT_VIEW_H

#include <stdio.h>

#include "s2report.h"
#include "s2table.h"

struct s2_viewopt {
	struct s2_tabopt tab;		/* csv, header, wide */
	bool raw;			/* exact byte counts instead of KiB, MiB, ... */
	const struct s2_report *prev;	/* watch: the previous sample (marks, new, gone) */
};

void s2_print_vms(FILE *f, const struct s2_report *r, const struct s2_viewopt *o);
void s2_print_devices(FILE *f, const struct s2_report *r, const struct s2_viewopt *o);
void s2_print_mappings(FILE *f, const struct s2_report *r, const struct s2_viewopt *o);
void s2_print_expect(FILE *f, const struct s2_report *r, const struct s2_viewopt *o);
void s2_print_verify(FILE *f, const struct s2_report *r, const struct s2_viewopt *o);
/* -E -m: each VM's guest mappings of device memory with their effective types. */
void s2_print_effective(FILE *f, const struct s2_report *r, const struct s2_viewopt *o);
/* --expect wc */
void s2_print_expect_wc(FILE *f, const struct s2_report *r, const struct s2_viewopt *o);

/* Log mode (-l): one line per sample; the header is repeated every S2_LOG_BANNER lines. */
#define S2_LOG_BANNER	20
struct s2_log {
	struct s2_table t;
	unsigned long lines;
};
void s2_log_init(struct s2_log *l, const struct s2_viewopt *o);
/* Prints the sample's line (and the header when due); false when -z left it out. */
bool s2_log_line(FILE *f, struct s2_log *l, const struct s2_report *r,
		 const struct s2_viewopt *o, bool skip_zero);

/* The text form of a VM's name: guest name, else "[comm]", else "?" (printable ASCII). */
const char *s2_vm_display_name(const struct s2_vm *vm, char buf[S2_CELL]);

#endif /* KVM_S2STAT_VIEW_H */
