// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: the checks, --expect and --verify (s2report.h).  The violations are
 * collected here once; the text view, JSON and the exit code all use this list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2report.h"

const char *const s2_verify_results[3] = { "ok", "differ", "unavailable" };
const char *const s2_expect_results[4] = { "ok", "violated", "nothing_to_check", "incomplete" };

int s2_expect(const struct s2_snapshot *s, int attr, struct s2_expect_result *r)
{
	size_t cap = 0;

	memset(r, 0, sizeof(*r));
	r->attr = attr;
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];
		bool any = false, bad = false;

		for (size_t j = 0; vm->has_maps && j < vm->maps.n; j++) {
			const struct s2_map *m = &vm->maps.v[j];

			if (!m->vfio)
				continue;
			any = true;
			r->checked++;
			r->checked_pages = s2_sat_add(r->checked_pages, m->pages);
			if (m->attr == attr)
				continue;
			bad = true;
			r->violation_pages = s2_sat_add(r->violation_pages, m->pages);
			if (r->nv == cap) {
				size_t nc = cap ? cap * 2 : 16;
				void *nv = realloc(r->v, nc * sizeof(*r->v));

				if (!nv) {
					s2_expect_free(r);
					return -1;
				}
				r->v = nv;
				cap = nc;
			}
			r->v[r->nv++] = (struct s2_violation){ vm, m };
		}
		r->checked_vms += any;
		r->violation_vms += bad;
	}
	r->result = r->nv ? S2_EXPECT_VIOLATED : r->checked ? S2_EXPECT_OK : S2_EXPECT_NOTHING;
	return 0;
}

void s2_expect_free(struct s2_expect_result *r)
{
	free(r->v);
	r->v = NULL;
	r->nv = 0;
}

void s2_verify_summary(const struct s2_snapshot *s, struct s2_verify_result *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		if (!vm->has_verify)
			continue;
		r->vms++;
		if (vm->ver.result == S2_VERIFY_DIFFER) {
			r->differ_vms++;
			r->differences = s2_sat_add(r->differences, vm->ver.differences);
		} else if (vm->ver.result == S2_VERIFY_UNAVAILABLE) {
			r->unavailable_vms++;
		}
	}
}

/* ---- effective ---- */

bool s2_eff_complete(const struct s2_vm *vm)
{
	return vm->has_eff && vm->eff.result == S2_EFF_OK && vm->eff.kernel_half == S2_HALF_OK;
}

unsigned int s2_eff_types(const struct s2_vm *vm, bool has_bdf, uint32_t bdf, int bar)
{
	unsigned int t = 0;

	for (size_t i = 0; vm->has_eff && i < vm->eff.n; i++) {
		const struct s2_eff_row *w = &vm->eff.v[i];

		if (w->cls != 0 || w->eff == S2_EFF_DASH || w->eff >= S2_MT_NR)
			continue;
		if (bar != S2_EFF_ANY_BAR && (w->has_bdf != has_bdf || w->bdf != bdf || w->bar != bar))
			continue;
		t |= 1u << w->eff;
	}
	return t;
}

const char *s2_eff_types_str(const struct s2_vm *vm, unsigned int types, bool full,
			     char *buf, size_t size)
{
	/* Write-combining first: it is what the column is about. */
	static const unsigned int order[] = {
		S2_MT_NORMAL_NC, S2_MT_DEVICE_nGnRE, S2_MT_DEVICE_nGnRnE, S2_MT_DEVICE_nGRE,
		S2_MT_DEVICE_GRE, S2_MT_NORMAL_WB, S2_MT_NORMAL_WT, S2_MT_NORMAL_MIXED,
	};
	static const char *const shortn[S2_MT_NR] = {
		[S2_MT_DEVICE_nGnRnE] = "nGnRnE", [S2_MT_DEVICE_nGnRE] = "DEVICE",
		[S2_MT_DEVICE_nGRE] = "nGRE", [S2_MT_DEVICE_GRE] = "GRE",
		[S2_MT_NORMAL_NC] = "NC", [S2_MT_NORMAL_WT] = "WT", [S2_MT_NORMAL_WB] = "WB",
		[S2_MT_NORMAL_MIXED] = "MIXED",
	};
	size_t n = 0;

	if (!vm->has_eff || vm->eff.result == S2_EFF_UNAVAILABLE) {
		snprintf(buf, size, "?");
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(types & (1u << order[i])))
			continue;
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "+" : "",
				      full ? s2_mt_name(order[i]) : shortn[order[i]]);
		if (n >= size)
			break;
	}
	if (!buf[0])
		snprintf(buf, size, "-");
	return buf;
}

int s2_expect_wc(const struct s2_snapshot *s, struct s2_wc_result *r)
{
	size_t cap = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];
		bool any = false, bad = false;

		if (!s2_eff_complete(vm))
			r->incomplete_vms++;
		for (size_t j = 0; vm->has_eff && j < vm->eff.n; j++) {
			const struct s2_eff_row *w = &vm->eff.v[j];
			uint64_t bytes = w->va_end - w->va_start;

			if (w->cls != 0 || w->s1 != S2_MT_NORMAL_NC)
				continue;
			any = true;
			r->checked++;
			r->checked_bytes = s2_sat_add(r->checked_bytes, bytes);
			if (w->eff == S2_MT_NORMAL_NC)
				continue;
			bad = true;
			r->violation_bytes = s2_sat_add(r->violation_bytes, bytes);
			if (r->nv == cap) {
				size_t nc = cap ? cap * 2 : 16;
				void *nv = realloc(r->v, nc * sizeof(*r->v));

				if (!nv) {
					s2_expect_wc_free(r);
					return -1;
				}
				r->v = nv;
				cap = nc;
			}
			r->v[r->nv++] = (struct s2_wc_violation){ vm, w };
		}
		r->checked_vms += any;
		r->violation_vms += bad;
	}
	if (r->nv)
		r->result = S2_EXPECT_VIOLATED;
	else if (!r->checked)
		r->result = S2_EXPECT_NOTHING;
	else if (r->incomplete_vms)
		r->result = S2_EXPECT_INCOMPLETE;
	else
		r->result = S2_EXPECT_OK;
	return 0;
}

void s2_expect_wc_free(struct s2_wc_result *r)
{
	free(r->v);
	r->v = NULL;
	r->nv = 0;
}
