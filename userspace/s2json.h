/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: JSON output (docs/json.md).
 */
#ifndef KVM_S2STAT_JSON_H
#define KVM_S2STAT_JSON_H

#include <stdio.h>

#include "s2report.h"

struct s2_json_opt {
	bool pretty;
	bool mappings;		/* -m: each VM's ranges */
	bool devices;		/* -D: the report's device rows */
	bool verify;		/* --verify: each VM's result (the report's summary) */
	bool effective;		/* -E: each VM's effective object */
	const uint32_t *bdfs;	/* --bdf filter, shown as bdf_filter */
	size_t nbdfs;
};

/* One document (the report's expect and verify parts when it has them). */
void s2_print_json(FILE *f, const struct s2_report *r, const struct s2_json_opt *o);
/* {"error":"<msg>"} */
void s2_print_json_error(FILE *f, const char *msg);
/* A JSON string: valid UTF-8 passes, invalid bytes become U+FFFD, controls are escaped. */
void s2_json_string(FILE *f, const char *s);

#endif /* KVM_S2STAT_JSON_H */
