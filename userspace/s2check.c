// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: the checks, --expect and --verify (s2report.h).  The violations are
 * collected here once; the text view, JSON and the exit code all use this list.
 */
#include <stdlib.h>
#include <string.h>

#include "s2report.h"

const char *const s2_verify_results[3] = { "ok", "differ", "unavailable" };
const char *const s2_expect_results[3] = { "ok", "violated", "nothing_to_check" };

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
