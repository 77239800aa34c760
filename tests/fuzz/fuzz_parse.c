// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the kvm-s2stat debugfs parsers (userspace/s2parse.c).
 *
 * Input: one selector byte, then a file's content.  selector % 7 picks the parser
 * (version, stats, summary, status, mappings, verify, effective); (selector / 7) % 3 the page
 * size the mappings and status checks use (4, 16, 64 KiB); (selector / 21) % 2 FEAT_S2FWB.
 * tests/fuzz/mkseeds.sh builds the seeds from the fixtures with the same encoding.
 * Mappings, verify and effective files that parse are also rendered by every view (to
 * /dev/null), so the output code sees whatever the parsers accept.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2json.h"
#include "s2parse.h"
#include "s2prom.h"
#include "s2view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

/* Every view (text, wide, CSV, watch marks), JSON and Prometheus of a one-VM snapshot. */
static void render(const struct s2_stats *st, struct s2_mappings *m, struct s2_verify *v,
		   struct s2_effective *e)
{
	struct s2_snapshot snap;
	struct s2_report r;
	struct s2_vm vm;
	struct s2_json_opt jo = { false, true, true, true, true, NULL, 0 };

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!devnull)
		return;
	memset(&snap, 0, sizeof(snap));
	memset(&vm, 0, sizeof(vm));
	snap.stats = *st;
	snap.version.format = 1;
	snap.vms = &vm;
	snap.n = 1;
	snprintf(vm.st.vm, sizeof(vm.st.vm), "1-2");
	vm.st.pid = 1;
	vm.fd = 2;
	if (m) {
		vm.maps = *m;
		vm.has_maps = true;
		for (size_t i = 0; i < m->n; i++)
			(m->v[i].vfio ? vm.st.c.vfio : vm.st.c.other)[m->v[i].attr] += m->v[i].pages;
	}
	if (v) {
		vm.ver = *v;
		vm.has_verify = true;
	}
	if (e) {
		vm.eff = *e;
		vm.has_eff = true;
	}
	if (s2_report_build(&r, &snap, S2_REPORT_DEVICES | S2_REPORT_EXPECT | S2_REPORT_VERIFY |
			    S2_REPORT_EXPECT_WC | S2_REPORT_EFFECTIVE, S2_ATTR_NC))
		return;
	for (int mode = 0; mode < 4; mode++) {
		struct s2_viewopt o = { { mode == 2, mode != 3, mode == 1, true }, mode == 3,
					mode == 0 ? &r : NULL };

		s2_print_vms(devnull, &r, &o);
		s2_print_devices(devnull, &r, &o);
		s2_print_mappings(devnull, &r, &o);
		s2_print_effective(devnull, &r, &o);
		s2_print_expect(devnull, &r, &o);
		s2_print_expect_wc(devnull, &r, &o);
		s2_print_verify(devnull, &r, &o);
	}
	s2_print_json(devnull, &r, &jo);
	s2_print_prometheus(devnull, &r);
	s2_report_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int shifts[3] = { 12, 14, 16 };
	struct s2_stats st;
	struct s2_err err;
	const char *buf;
	unsigned int sel;
	char *copy;
	int r = 0;

	if (!size)
		return 0;
	sel = data[0];
	/* An exact-size heap copy: ASan catches any read past the end. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	buf = copy;
	memset(&st, 0, sizeof(st));
	st.page_shift = shifts[(sel / 7) % 3];
	st.page_size = 1ULL << st.page_shift;
	st.fwb = (sel / 21) % 2;
	memset(&err, 0, sizeof(err));

	switch (sel % 7) {
	case 0: {
		struct s2_version v;

		r = s2_parse_version(buf, size - 1, "version", &v, &err);
		break;
	}
	case 1: {
		struct s2_stats s;

		r = s2_parse_stats(buf, size - 1, "stats", &s, &err);
		if (!r && (s.page_size != 1ULL << s.page_shift))
			abort();
		break;
	}
	case 2: {
		struct s2_summary s;

		r = s2_parse_summary(buf, size - 1, "summary", &s, &err);
		if (!r) {
			for (size_t i = 1; i < s.n; i++)
				if (s.vms[i - 1].pid > s.vms[i].pid)
					abort();
			s2_summary_free(&s);
		}
		break;
	}
	case 3: {
		struct s2_status s;

		r = s2_parse_status(buf, size - 1, "status", &st, &s, &err);
		break;
	}
	case 4: {
		struct s2_mappings m;

		r = s2_parse_mappings(buf, size - 1, "mappings", &st, &m, &err);
		if (!r) {
			/* Invariants the output code relies on. */
			for (size_t i = 0; i < m.n; i++) {
				const struct s2_map *x = &m.v[i];

				if (x->ipa_start >= x->ipa_end || x->pages == 0 ||
				    x->ipa_end - x->ipa_start != x->pa_end - x->pa_start ||
				    (i && m.v[i - 1].ipa_end > x->ipa_start) ||
				    x->driver >= m.ndrivers || x->attr >= S2_ATTR_NR)
					abort();
			}
			render(&st, &m, NULL, NULL);
			s2_mappings_free(&m);
		}
		break;
	}
	case 5: {
		struct s2_verify v;

		r = s2_parse_verify(buf, size - 1, "verify", &v, &err);
		if (!r) {
			if (v.ndiffs > S2_VERIFY_MAX_DIFF_LINES)
				abort();
			render(&st, NULL, &v, NULL);
			s2_verify_free(&v);
		}
		break;
	}
	default: {
		struct s2_effective e;

		r = s2_parse_effective(buf, size - 1, "effective", &e, &err);
		if (!r) {
			/* Invariants the output code relies on. */
			for (size_t i = 0; i < e.n; i++) {
				const struct s2_eff_row *w = &e.v[i];

				if (w->root >= e.nroots || w->va_start >= w->va_end ||
				    w->s1 >= S2_MT_NR || (w->eff >= S2_MT_NR && w->eff != S2_EFF_DASH) ||
				    w->cls > 2 || e.roots[w->root].user != w->user)
					abort();
			}
			render(&st, NULL, NULL, &e);
			s2_effective_free(&e);
		}
		break;
	}
	}
	/* Every failure has an exit code and a message naming the file. */
	if (r && (!err.code || strncmp(err.msg, "", 1) == 0))
		abort();
	free(copy);
	return 0;
}
