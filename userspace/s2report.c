// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: totals, device rows, lookups (s2report.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2report.h"

uint64_t s2_vm_failed(const struct s2_vm *vm)
{
	uint64_t n = 0;

	for (int a = 0; a < S2_ATTR_NR; a++)
		n = s2_sat_add(n, vm->st.failed[a]);
	return n;
}

uint64_t s2_vm_other_pages(const struct s2_vm *vm)
{
	uint64_t n = 0;

	for (int a = 0; a < S2_ATTR_NR; a++)
		n = s2_sat_add(n, vm->st.c.other[a]);
	return n;
}

void s2_totals(const struct s2_snapshot *s, struct s2_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->vms = s->n;
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		for (int a = 0; a < S2_ATTR_NR; a++) {
			t->c.vfio[a] = s2_sat_add(t->c.vfio[a], vm->st.c.vfio[a]);
			t->c.other[a] = s2_sat_add(t->c.other[a], vm->st.c.other[a]);
			t->failed[a] = s2_sat_add(t->failed[a], vm->st.failed[a]);
		}
		t->vfio_bytes = s2_sat_add(t->vfio_bytes, vm->st.vfio_bytes);
		t->other_bytes = s2_sat_add(t->other_bytes, vm->st.other_bytes);
		t->inexact_vms += !vm->st.exact && !vm->st.unwalkable;
		t->unwalkable_vms += vm->st.unwalkable;
		t->failed_vms += s2_vm_failed(vm) != 0;
		t->mismatch_vms += vm->maps_mismatch;
	}
}

static int vmcmp(uint32_t pa, uint32_t fa, uint32_t pb, uint32_t fb)
{
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return 0;
}

const struct s2_vm *s2_find_vm(const struct s2_snapshot *s, uint32_t pid, uint32_t fd)
{
	size_t lo = 0, hi = s ? s->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct s2_vm *vm = &s->vms[mid];
		int c = vmcmp(pid, fd, vm->st.pid, vm->fd);

		if (!c)
			return vm;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The order of device rows; keys comparable across snapshots (no pointers). */
static int devcmp(const void *pa, const void *pb)
{
	const struct s2_devrow *a = pa, *b = pb;
	int c;

	if (a->has_bdf != b->has_bdf)
		return a->has_bdf ? -1 : 1;
	if (a->bdf != b->bdf)
		return a->bdf < b->bdf ? -1 : 1;
	if (a->bar != b->bar)
		return a->bar < b->bar ? -1 : 1;
	c = vmcmp(a->pid, a->fd, b->pid, b->fd);
	if (c)
		return c;
	if (a->vfio != b->vfio)
		return a->vfio ? -1 : 1;
	if (a->attr != b->attr)
		return a->attr < b->attr ? -1 : 1;
	return strcmp(a->driver, b->driver);
}

int s2_devices(const struct s2_snapshot *s, struct s2_devrow **out, size_t *nout)
{
	size_t total = 0, n = 0, i, j;
	struct s2_devrow *v;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < s->n; i++)
		total += s->vms[i].has_maps ? s->vms[i].maps.n : 0;
	if (!total)
		return 0;
	v = malloc(total * sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		for (j = 0; vm->has_maps && j < vm->maps.n; j++) {
			const struct s2_map *m = &vm->maps.v[j];

			v[n++] = (struct s2_devrow){
				.vm = vm, .driver = s2_map_driver(&vm->maps, m), .pages = m->pages,
				.ranges = 1, .bdf = m->bdf, .pid = vm->st.pid, .fd = vm->fd,
				.has_bdf = m->has_bdf, .vfio = m->vfio, .bar = m->bar, .attr = m->attr,
				.reason = m->reason,
			};
		}
	}
	qsort(v, n, sizeof(*v), devcmp);
	for (i = 0, j = 0; i < n; i++) {
		if (j && !devcmp(&v[j - 1], &v[i])) {
			v[j - 1].pages = s2_sat_add(v[j - 1].pages, v[i].pages);
			v[j - 1].ranges++;
			if (v[j - 1].reason != v[i].reason)
				v[j - 1].reason = S2_REASON_NR;	/* mixed */
		} else {
			v[j++] = v[i];
		}
	}
	*out = v;
	*nout = j;
	return 0;
}

const struct s2_devrow *s2_find_devrow(const struct s2_report *r, const struct s2_devrow *key)
{
	if (!r || !r->ndev)
		return NULL;
	return bsearch(key, r->dev, r->ndev, sizeof(*r->dev), devcmp);
}

const char *s2_human_bytes(uint64_t v, char buf[16])
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;

	while (u < 6 && v >> (10 * (u + 1)))
		u++;
	if (!u) {
		snprintf(buf, 16, "%u B", (unsigned int)(v & 1023));
		return buf;
	}
	for (;;) {
		uint64_t one = 1ULL << (10 * u), whole = v >> (10 * u), rem = v & (one - 1);
		/* tenths, rounded half up: rem * 10 < 10 * 2^60 fits */
		uint64_t tenths = whole * 10 + (rem * 10 + one / 2) / one;

		if (tenths < 100) {
			snprintf(buf, 16, "%u.%u %s", (unsigned int)(tenths / 10),
				 (unsigned int)(tenths % 10), unit[u]);
			return buf;
		}
		whole += rem >= one / 2;
		if (whole >= 1024 && u < 6) {	/* 1023.5 KiB is 1.0 MiB, not 1024 KiB */
			u++;
			continue;
		}
		snprintf(buf, 16, "%u %s", (unsigned int)(whole & 2047), unit[u]);	/* <= 1024 */
		return buf;
	}
}

int s2_report_build(struct s2_report *r, const struct s2_snapshot *s, unsigned int what,
		    int expect_attr)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->eff = what & S2_REPORT_EFFECTIVE;
	s2_totals(s, &r->tot);
	if (what & S2_REPORT_DEVICES) {
		if (s2_devices(s, &r->dev, &r->ndev))
			return -1;
		r->has_dev = true;
	}
	if (what & S2_REPORT_EXPECT) {
		if (s2_expect(s, expect_attr, &r->exp)) {
			s2_report_free(r);
			return -1;
		}
		r->has_expect = true;
	}
	if (what & S2_REPORT_VERIFY) {
		s2_verify_summary(s, &r->ver);
		r->has_verify = true;
	}
	if (what & S2_REPORT_EXPECT_WC) {
		if (s2_expect_wc(s, &r->wc)) {
			s2_report_free(r);
			return -1;
		}
		r->has_wc = true;
	}
	return 0;
}

void s2_report_free(struct s2_report *r)
{
	free(r->dev);
	s2_expect_free(&r->exp);
	s2_expect_wc_free(&r->wc);
	memset(r, 0, sizeof(*r));
}
