// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: views and checks.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "s2out.h"
#include "version.h"

#define MAXC	12
#define CELL	72

const char *s2_human_bytes(uint64_t v, char buf[16])
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	double d = (double)v;

	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, 16, "%" PRIu64 " B", v);
	else if (d < 10)
		snprintf(buf, 16, "%.1f %s", d, unit[u]);
	else
		snprintf(buf, 16, "%.0f %s", d, unit[u]);
	return buf;
}

/* ---- a small two-pass table printer ---- */

typedef void (*rowfn)(const void *ctx, size_t i, char cells[MAXC][CELL]);

struct table {
	int ncol;
	const char *head[MAXC];
	bool right[MAXC];
	int w[MAXC];
};

static void table_measure(struct table *t, const void *ctx, size_t nrows, rowfn fn)
{
	char cells[MAXC][CELL];
	int c;

	for (c = 0; c < t->ncol; c++)
		t->w[c] = (int)strlen(t->head[c]);
	for (size_t i = 0; i < nrows; i++) {
		memset(cells, 0, sizeof(cells));
		fn(ctx, i, cells);
		for (c = 0; c < t->ncol; c++) {
			int l = (int)strlen(cells[c]);

			if (l > t->w[c])
				t->w[c] = l;
		}
	}
}

static void table_line(FILE *f, const struct table *t, char cells[MAXC][CELL])
{
	char line[MAXC * (CELL + 2) + 2];
	size_t n = 0;
	int c;

	for (c = 0; c < t->ncol; c++) {
		int w = t->w[c];

		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%*s", c ? " " : "",
				      t->right[c] ? w : -w, cells[c]);
	}
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	fprintf(f, "%s\n", line);
}

static void table_header(FILE *f, const struct table *t)
{
	char cells[MAXC][CELL];

	for (int c = 0; c < t->ncol; c++)
		snprintf(cells[c], CELL, "%s", t->head[c]);
	table_line(f, t, cells);
}

static void table_rows(FILE *f, const struct table *t, const void *ctx, size_t nrows, rowfn fn)
{
	char cells[MAXC][CELL];

	for (size_t i = 0; i < nrows; i++) {
		memset(cells, 0, sizeof(cells));
		fn(ctx, i, cells);
		table_line(f, t, cells);
	}
}

/* ---- per-VM view ---- */

static uint64_t vm_failed(const struct s2_vm *vm)
{
	return vm->st.failed[0] + vm->st.failed[1] + vm->st.failed[2];
}

static const struct s2_vm *find_vm(const struct s2_snapshot *s, const char *name)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->vms[i].st.vm, name))
			return &s->vms[i];
	return NULL;
}

struct vmctx {
	const struct s2_snapshot *s, *prev;
	struct s2_counts tot;
	uint64_t tot_bytes;
};

/* A number, with a change mark when watching ("*" changed, " " same or new). */
static void num_cell(char *cell, uint64_t v, const struct s2_snapshot *prev, bool have_old,
		     uint64_t old)
{
	if (!prev)
		snprintf(cell, CELL, "%" PRIu64, v);
	else
		snprintf(cell, CELL, "%" PRIu64 "%c", v, have_old && old != v ? '*' : ' ');
}

static void bytes_cell(char *cell, uint64_t v, const struct s2_snapshot *prev, bool have_old,
		       uint64_t old)
{
	char b[16];

	s2_human_bytes(v, b);
	if (!prev)
		snprintf(cell, CELL, "%s", b);
	else
		snprintf(cell, CELL, "%s%c", b, have_old && old != v ? '*' : ' ');
}

static void vm_row(const void *vctx, size_t i, char cells[MAXC][CELL])
{
	const struct vmctx *ctx = vctx;
	const struct s2_snapshot *s = ctx->s;

	if (i < s->n) {
		const struct s2_vm *vm = &s->vms[i];
		const struct s2_vm *old = find_vm(ctx->prev, vm->st.vm);
		uint64_t other = vm->st.c.other[0] + vm->st.c.other[1] + vm->st.c.other[2];
		uint64_t oother = old ? old->st.c.other[0] + old->st.c.other[1] +
				  old->st.c.other[2] : 0;
		size_t n = 0;
		char *notes = cells[8];

		snprintf(cells[0], CELL, "%s", vm->st.vm);
		snprintf(cells[1], CELL, "%" PRIu32, vm->st.pid);
		snprintf(cells[2], CELL, "%s", vm->has_comm ? vm->comm : "?");
		for (int a = 0; a < S2_ATTR_NR; a++)
			num_cell(cells[3 + a], vm->st.c.vfio[a], ctx->prev, old,
				 old ? old->st.c.vfio[a] : 0);
		num_cell(cells[6], other, ctx->prev, old, oother);
		bytes_cell(cells[7], vm->st.vfio_bytes, ctx->prev, old,
			   old ? old->st.vfio_bytes : 0);
		if (!vm->st.exact)
			n += (size_t)snprintf(notes + n, CELL - n, "%sINEXACT", n ? "," : "");
		if (vm_failed(vm))
			n += (size_t)snprintf(notes + n, CELL - n, "%sFAILED=%" PRIu64,
					      n ? "," : "", vm_failed(vm));
		if (ctx->prev && !old)
			snprintf(notes + n, CELL - n, "%snew", n ? "," : "");
		return;
	}
	snprintf(cells[0], CELL, "total");
	snprintf(cells[2], CELL, "%zu VM%s", s->n, s->n == 1 ? "" : "s");
	for (int a = 0; a < S2_ATTR_NR; a++)
		num_cell(cells[3 + a], ctx->tot.vfio[a], NULL, false, 0);
	num_cell(cells[6], ctx->tot.other[0] + ctx->tot.other[1] + ctx->tot.other[2], NULL,
		 false, 0);
	bytes_cell(cells[7], ctx->tot_bytes, NULL, false, 0);
	if (ctx->prev) {	/* keep the total aligned with marked cells */
		for (int c = 3; c <= 7; c++)
			strcat(cells[c], " ");
	}
}

void s2_print_vms(FILE *f, const struct s2_snapshot *s, const struct s2_snapshot *prev)
{
	struct table t = { 9, { "VM", "PID", "COMM", "DEVICE", "NC", "NORMAL", "PAGES",
				"BYTES", "NOTES" },
			   { false, true, false, true, true, true, true, true, false }, { 0 } };
	struct vmctx ctx = { s, prev, { { 0 }, { 0 } }, 0 };
	bool inexact = false, failed = false;
	char group[MAXC * CELL];
	int span, lead, c;
	size_t i;

	for (i = 0; i < s->n; i++) {
		for (int a = 0; a < S2_ATTR_NR; a++) {
			ctx.tot.vfio[a] += s->vms[i].st.c.vfio[a];
			ctx.tot.other[a] += s->vms[i].st.c.other[a];
		}
		ctx.tot_bytes += s->vms[i].st.vfio_bytes;
		inexact |= !s->vms[i].st.exact;
		failed |= vm_failed(&s->vms[i]) != 0;
	}
	table_measure(&t, &ctx, s->n + 1, vm_row);

	/* Group header: "VFIO pages" over DEVICE..NORMAL, OTHER pages, VFIO bytes. */
	lead = t.w[0] + 1 + t.w[1] + 1 + t.w[2] + 1;
	span = t.w[3] + 1 + t.w[4] + 1 + t.w[5];
	{
		const char *g = "VFIO pages";
		int gl = (int)strlen(g), dash = span - gl - 2;

		if (dash < 0)
			dash = 0;
		c = snprintf(group, sizeof(group), "%*s%.*s %s %.*s", lead, "",
			     dash / 2, "--------------------------------", g,
			     dash - dash / 2, "--------------------------------");
		snprintf(group + c, sizeof(group) - (size_t)c, " %*s %*s", t.w[6], "OTHER",
			 t.w[7], "VFIO");
		fprintf(f, "%s\n", group);
	}
	table_header(f, &t);
	table_rows(f, &t, &ctx, s->n + 1, vm_row);
	if (inexact)
		fprintf(f, "INEXACT: events were dropped, counts may be off until the module "
			"resyncs\n");
	if (failed)
		fprintf(f, "FAILED: device-memory map attempts the kernel refused (-j shows the "
			"attribute)\n");
	if (prev) {
		bool any = false;

		for (i = 0; i < prev->n; i++) {
			if (find_vm(s, prev->vms[i].st.vm))
				continue;
			fprintf(f, "%s%s", any ? ", " : "gone since the last sample: ",
				prev->vms[i].st.vm);
			any = true;
		}
		if (any)
			fputc('\n', f);
	}
}

/* ---- devices ---- */

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
	if (a->vm != b->vm)
		return a->vm < b->vm ? -1 : 1;
	if (a->vfio != b->vfio)
		return a->vfio ? -1 : 1;
	if (a->attr != b->attr)
		return a->attr < b->attr ? -1 : 1;
	c = strcmp(a->driver, b->driver);
	return c;
}

size_t s2_devices(const struct s2_snapshot *s, struct s2_devrow **out)
{
	size_t total = 0, n = 0, i, j;
	struct s2_devrow *v;

	*out = NULL;
	for (i = 0; i < s->n; i++)
		total += s->vms[i].has_maps ? s->vms[i].maps.n : 0;
	if (!total)
		return 0;
	v = malloc(total * sizeof(*v));
	if (!v)
		return 0;
	for (i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		if (!vm->has_maps)
			continue;
		for (j = 0; j < vm->maps.n; j++) {
			const struct s2_map *m = &vm->maps.v[j];

			v[n++] = (struct s2_devrow){ vm, s2_map_driver(&vm->maps, m), m->pages, 1,
						     m->bdf, m->has_bdf, m->bar, m->attr, m->vfio };
		}
	}
	qsort(v, n, sizeof(*v), devcmp);
	for (i = 0, j = 0; i < n; i++) {
		if (j && !devcmp(&v[j - 1], &v[i])) {
			v[j - 1].pages += v[i].pages;
			v[j - 1].ranges++;
		} else {
			v[j++] = v[i];
		}
	}
	*out = v;
	return j;
}

struct devctx {
	const struct s2_devrow *rows;
	size_t n;
	const struct s2_devrow *old;
	size_t nold;
	const struct s2_snapshot *prev;
	uint64_t page_size;
};

static const struct s2_devrow *find_dev(const struct devctx *ctx, const struct s2_devrow *r)
{
	for (size_t i = 0; i < ctx->nold; i++) {
		const struct s2_devrow *o = &ctx->old[i];

		if (o->has_bdf == r->has_bdf && o->bdf == r->bdf && o->bar == r->bar &&
		    o->vfio == r->vfio && o->attr == r->attr && !strcmp(o->driver, r->driver) &&
		    !strcmp(o->vm->st.vm, r->vm->st.vm))
			return o;
	}
	return NULL;
}

static void dev_row(const void *vctx, size_t i, char cells[MAXC][CELL])
{
	const struct devctx *ctx = vctx;
	const struct s2_devrow *r = &ctx->rows[i];
	const struct s2_devrow *o = ctx->prev ? find_dev(ctx, r) : NULL;
	char b[16];

	if (r->has_bdf) {
		s2_bdf_str(r->bdf, b);
		snprintf(cells[0], CELL, "%s", b);
		snprintf(cells[1], CELL, "%d", r->bar);
	} else {
		snprintf(cells[0], CELL, "-");
		snprintf(cells[1], CELL, "-");
	}
	snprintf(cells[2], CELL, "%s", r->driver);
	snprintf(cells[3], CELL, "%s", r->vm->st.vm);
	snprintf(cells[4], CELL, "%s", r->vfio ? S2_CLASS_VFIO : S2_CLASS_OTHER);
	snprintf(cells[5], CELL, "%s", s2_attr_name(r->attr));
	num_cell(cells[6], r->pages, ctx->prev, o, o ? o->pages : 0);
	bytes_cell(cells[7], r->pages * ctx->page_size, ctx->prev, o,
		   o ? o->pages * ctx->page_size : 0);
	if (ctx->prev && !o)
		snprintf(cells[8], CELL, "new");
}

void s2_print_devices(FILE *f, const struct s2_snapshot *s, const struct s2_snapshot *prev)
{
	struct table t = { 9, { "BDF", "BAR", "DRIVER", "VM", "CLASS", "ATTR", "PAGES", "SIZE",
				"" },
			   { false, true, false, false, false, false, true, true, false },
			   { 0 } };
	struct devctx ctx = { NULL, 0, NULL, 0, prev, s->stats.page_size };
	struct s2_devrow *rows, *old = NULL;

	ctx.n = s2_devices(s, &rows);
	ctx.rows = rows;
	if (prev) {
		ctx.nold = s2_devices(prev, &old);
		ctx.old = old;
	}
	if (!ctx.n) {
		fprintf(f, "no device memory mapped in %s\n", s->n ? "the selected VMs" : "any VM");
	} else {
		table_measure(&t, &ctx, ctx.n, dev_row);
		table_header(f, &t);
		table_rows(f, &t, &ctx, ctx.n, dev_row);
	}
	free(rows);
	free(old);
}

/* ---- mappings ---- */

struct mapctx {
	const struct s2_vm *vm;
};

static void map_row(const void *vctx, size_t i, char cells[MAXC][CELL])
{
	const struct mapctx *ctx = vctx;
	const struct s2_map *m = &ctx->vm->maps.v[i];
	char b[16], p[4];

	snprintf(cells[0], CELL, "0x%" PRIx64, m->ipa_start);
	snprintf(cells[1], CELL, "0x%" PRIx64, m->ipa_end);
	snprintf(cells[2], CELL, "0x%" PRIx64, m->pa_start);
	snprintf(cells[3], CELL, "%" PRIu64, m->pages);
	snprintf(cells[4], CELL, "%d", m->level);
	snprintf(cells[5], CELL, "%s", s2_attr_name(m->attr));
	snprintf(cells[6], CELL, "%s", s2_perm_str(m->perm, p));
	snprintf(cells[7], CELL, "%s", m->vfio ? S2_CLASS_VFIO : S2_CLASS_OTHER);
	snprintf(cells[8], CELL, "%s", m->has_bdf ? s2_bdf_str(m->bdf, b) : "-");
	if (m->bar >= 0)
		snprintf(cells[9], CELL, "%d", m->bar);
	else
		snprintf(cells[9], CELL, "-");
	snprintf(cells[10], CELL, "%s", s2_map_driver(&ctx->vm->maps, m));
}

void s2_print_mappings(FILE *f, const struct s2_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];
		struct table t = { 11, { "IPA_START", "IPA_END", "PA_START", "PAGES", "LVL", "ATTR",
					 "PERM", "CLASS", "BDF", "BAR", "DRIVER" },
				   { false, false, false, true, true, false, false, false, false,
				     true, false }, { 0 } };
		struct mapctx ctx = { vm };

		fprintf(f, "%sVM %s pid %" PRIu32 " %s: %zu range%s%s\n", i ? "\n" : "", vm->st.vm,
			vm->st.pid, vm->has_comm ? vm->comm : "?", vm->maps.n,
			vm->maps.n == 1 ? "" : "s", vm->st.exact ? "" : " (INEXACT)");
		if (!vm->maps.n)
			continue;
		table_measure(&t, &ctx, vm->maps.n, map_row);
		table_header(f, &t);
		table_rows(f, &t, &ctx, vm->maps.n, map_row);
	}
	if (!s->n)
		fprintf(f, "no VMs\n");
}

/* ---- --expect ---- */

void s2_expect(const struct s2_snapshot *s, int attr, struct s2_expect_result *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];
		bool any = false, bad = false;

		for (size_t j = 0; vm->has_maps && j < vm->maps.n; j++) {
			const struct s2_map *m = &vm->maps.v[j];

			if (!m->vfio)
				continue;
			any = true;
			r->checked++;
			r->checked_pages += m->pages;
			if (m->attr != attr) {
				bad = true;
				r->violations++;
				r->violation_pages += m->pages;
			}
		}
		r->checked_vms += any;
		r->violation_vms += bad;
	}
}

struct expctx {
	const struct s2_snapshot *s;
	int attr;
	const struct s2_vm **vm;
	const struct s2_map **map;
};

static void exp_row(const void *vctx, size_t i, char cells[MAXC][CELL])
{
	const struct expctx *ctx = vctx;
	const struct s2_map *m = ctx->map[i];
	char b[16];

	snprintf(cells[0], CELL, "%s", ctx->vm[i]->st.vm);
	snprintf(cells[1], CELL, "%s", s2_bdf_str(m->bdf, b));
	snprintf(cells[2], CELL, "%d", m->bar);
	snprintf(cells[3], CELL, "0x%016" PRIx64, m->ipa_start);
	snprintf(cells[4], CELL, "0x%016" PRIx64, m->ipa_end);
	snprintf(cells[5], CELL, "%s", s2_attr_name(m->attr));
	snprintf(cells[6], CELL, "%" PRIu64, m->pages);
}

void s2_print_expect(FILE *f, const struct s2_snapshot *s, int attr)
{
	struct table t = { 7, { "VM", "BDF", "BAR", "IPA_START", "IPA_END", "ATTR", "PAGES" },
			   { false, false, true, false, false, false, true }, { 0 } };
	struct s2_expect_result r;
	struct expctx ctx = { s, attr, NULL, NULL };
	size_t n = 0;

	s2_expect(s, attr, &r);
	for (size_t i = 0; i < s->n; i++)
		if (!s->vms[i].st.exact)
			fprintf(f, "note: VM %s is INEXACT: its mappings may be incomplete\n",
				s->vms[i].st.vm);
	if (!r.violations) {
		fprintf(f, "ok: all %zu VFIO mapping%s (%" PRIu64 " pages) in %zu VM%s are %s\n",
			r.checked, r.checked == 1 ? "" : "s", r.checked_pages, r.checked_vms,
			r.checked_vms == 1 ? "" : "s", s2_attr_name((unsigned)attr));
		return;
	}
	ctx.vm = calloc(r.violations, sizeof(*ctx.vm));
	ctx.map = calloc(r.violations, sizeof(*ctx.map));
	if (!ctx.vm || !ctx.map) {
		free(ctx.vm);
		free(ctx.map);
		fprintf(f, "out of memory listing the violations\n");
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		for (size_t j = 0; vm->has_maps && j < vm->maps.n; j++) {
			if (vm->maps.v[j].vfio && vm->maps.v[j].attr != attr) {
				ctx.vm[n] = vm;
				ctx.map[n++] = &vm->maps.v[j];
			}
		}
	}
	fprintf(f, "VFIO mappings that are not %s:\n", s2_attr_name((unsigned)attr));
	table_measure(&t, &ctx, n, exp_row);
	table_header(f, &t);
	table_rows(f, &t, &ctx, n, exp_row);
	free(ctx.vm);
	free(ctx.map);
}

/* ---- --verify ---- */

static const char *const verify_results[] = { "ok", "differ", "unavailable" };

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
			r->differences += vm->ver.differences;
		} else if (vm->ver.result == S2_VERIFY_UNAVAILABLE) {
			r->unavailable_vms++;
		}
	}
}

static void print_side(FILE *f, const char *name, const struct s2_diff_side *sd)
{
	char p[4];

	if (!sd->present)
		fprintf(f, " %s=-", name);
	else
		fprintf(f, " %s=%s,0x%016" PRIx64 ",%s,%d,0x%x", name, sd->attr, sd->pa,
			s2_perm_str(sd->perm, p), sd->level, sd->memattr);
}

void s2_print_verify(FILE *f, const struct s2_snapshot *s)
{
	int wvm = 2;

	for (size_t i = 0; i < s->n; i++) {
		int l = (int)strlen(s->vms[i].st.vm);

		if (l > wvm)
			wvm = l;
	}
	fprintf(f, "%-*s %-11s %11s %13s %13s\n", wvm, "VM", "RESULT", "DIFFERENCES",
		"TABLE_PAGES", "TRACKED_PAGES");
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];
		char tp[24] = "-", kp[24] = "-";

		if (!vm->has_verify)
			continue;
		if (vm->ver.has[S2_VKEY_TABLE_DEVICE_PAGES])
			snprintf(tp, sizeof(tp), "%" PRIu64, vm->ver.val[S2_VKEY_TABLE_DEVICE_PAGES]);
		if (vm->ver.has[S2_VKEY_TRACKED_DEVICE_PAGES])
			snprintf(kp, sizeof(kp), "%" PRIu64,
				 vm->ver.val[S2_VKEY_TRACKED_DEVICE_PAGES]);
		fprintf(f, "%-*s %-11s %11" PRIu64 " %13s %13s\n", wvm, vm->st.vm,
			verify_results[vm->ver.result], vm->ver.differences, tp, kp);
		for (size_t j = 0; j < vm->ver.ndiffs; j++) {
			const struct s2_diff *d = &vm->ver.diffs[j];

			fprintf(f, "  %s 0x%016" PRIx64 "-0x%016" PRIx64, d->kind, d->ipa_start,
				d->ipa_end);
			print_side(f, "table", &d->table);
			print_side(f, "tracked", &d->tracked);
			fputc('\n', f);
		}
		if (vm->ver.differences > vm->ver.ndiffs)
			fprintf(f, "  ... and %" PRIu64 " more (the module prints at most %d)\n",
				vm->ver.differences - vm->ver.ndiffs, S2_VERIFY_MAX_DIFF_LINES);
	}
	if (!s->n)
		fprintf(f, "no VMs\n");
}

/* ---- JSON ---- */

struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool first[32];
};

void s2_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);	/* bytes >= 0x80 as Latin-1: always valid */
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void jw_sep(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (w->pretty && w->depth)
		fprintf(w->f, "\n%*s", w->depth * 2, "");
	if (key) {
		s2_json_string(w->f, key);
		fputs(w->pretty ? ": " : ":", w->f);
	}
}

static void jw_open(struct jw *w, const char *key, char c)
{
	if (w->depth || !w->first[0] || key)
		jw_sep(w, key);
	fputc(c, w->f);
	w->depth++;
	w->first[w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
	bool empty = w->first[w->depth];

	w->depth--;
	if (w->pretty && !empty)
		fprintf(w->f, "\n%*s", w->depth * 2, "");
	fputc(c, w->f);
}

static void jw_str(struct jw *w, const char *key, const char *v)
{
	jw_sep(w, key);
	if (v)
		s2_json_string(w->f, v);
	else
		fputs("null", w->f);
}

static void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_sep(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

static void jw_int(struct jw *w, const char *key, long long v)
{
	jw_sep(w, key);
	fprintf(w->f, "%lld", v);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_sep(w, key);
	fputs(v ? "true" : "false", w->f);
}

static void jw_null(struct jw *w, const char *key)
{
	jw_sep(w, key);
	fputs("null", w->f);
}

static void jw_addr(struct jw *w, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%016" PRIx64, v);
	jw_str(w, key, b);
}

static void jw_attrs(struct jw *w, const char *key, const uint64_t v[S2_ATTR_NR])
{
	jw_open(w, key, '{');
	for (unsigned int a = 0; a < S2_ATTR_NR; a++)
		jw_u64(w, s2_attr_name(a), v[a]);
	jw_close(w, '}');
}

static void jw_map(struct jw *w, const struct s2_vm *vm, const struct s2_map *m)
{
	char b[16], p[4];

	jw_open(w, NULL, '{');
	jw_addr(w, "ipa_start", m->ipa_start);
	jw_addr(w, "ipa_end", m->ipa_end);
	jw_addr(w, "pa_start", m->pa_start);
	jw_addr(w, "pa_end", m->pa_end);
	jw_u64(w, "pages", m->pages);
	jw_int(w, "level", m->level);
	jw_str(w, "attr", s2_attr_name(m->attr));
	jw_u64(w, "memattr", m->memattr);
	jw_str(w, "perm", s2_perm_str(m->perm, p));
	jw_str(w, "class", m->vfio ? S2_CLASS_VFIO : S2_CLASS_OTHER);
	jw_str(w, "bdf", m->has_bdf ? s2_bdf_str(m->bdf, b) : NULL);
	if (m->bar >= 0)
		jw_int(w, "bar", m->bar);
	else
		jw_null(w, "bar");
	jw_str(w, "driver", m->driver ? s2_map_driver(&vm->maps, m) : NULL);
	jw_close(w, '}');
}

static void jw_side(struct jw *w, const char *key, const struct s2_diff_side *sd)
{
	char p[4];

	if (!sd->present) {
		jw_null(w, key);
		return;
	}
	jw_open(w, key, '{');
	jw_str(w, "attr", sd->attr);
	jw_addr(w, "pa", sd->pa);
	jw_str(w, "perm", s2_perm_str(sd->perm, p));
	jw_int(w, "level", sd->level);
	jw_u64(w, "memattr", sd->memattr);
	jw_close(w, '}');
}

void s2_print_json(FILE *f, const struct s2_snapshot *s, const struct s2_json_opt *o)
{
	struct jw w = { f, o->pretty, 0, { true } };
	struct s2_counts tot = { { 0 }, { 0 } };
	uint64_t tvb = 0, tob = 0, tfailed[S2_ATTR_NR] = { 0 };
	size_t inexact = 0, i, j;

	jw_open(&w, NULL, '{');
	jw_u64(&w, "schema_version", KVM_S2STAT_JSON_SCHEMA);
	jw_str(&w, "kvm_s2stat_version", KVM_S2STAT_VERSION);
	jw_sep(&w, "time");
	fprintf(f, "%lld.%03ld", (long long)s->when.tv_sec, s->when.tv_nsec / 1000000);
	jw_str(&w, "root", s->root);

	jw_open(&w, "module", '{');
	jw_str(&w, "version", s->version.module_version);
	jw_u64(&w, "format", s->version.format);
	jw_str(&w, "kernel", s->stats.kernel);
	jw_u64(&w, "page_size", s->stats.page_size);
	jw_bool(&w, "fwb", s->stats.fwb);
	jw_bool(&w, "lpa2", s->stats.lpa2);
	jw_str(&w, "kvm_mode", s->stats.kvm_mode);
	jw_str(&w, "discovery", s->stats.discovery);
	if (s->stats.map_hook[0])
		jw_str(&w, "map_hook", s->stats.map_hook);
	jw_open(&w, "stats", '{');
	for (i = 0; i < S2_STAT_NR; i++)
		if (s->stats.has[i])
			jw_u64(&w, s2_stat_names[i], s->stats.val[i]);
	jw_close(&w, '}');
	jw_close(&w, '}');

	jw_u64(&w, "vms_listed", s->listed);
	jw_u64(&w, "vms_vanished", s->vanished);
	jw_open(&w, "vms", '[');
	for (i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];
		const struct s2_status *st = &vm->st;

		for (int a = 0; a < S2_ATTR_NR; a++) {
			tot.vfio[a] += st->c.vfio[a];
			tot.other[a] += st->c.other[a];
			tfailed[a] += st->failed[a];
		}
		tvb += st->vfio_bytes;
		tob += st->other_bytes;
		inexact += !st->exact;

		jw_open(&w, NULL, '{');
		jw_str(&w, "vm", st->vm);
		jw_u64(&w, "pid", st->pid);
		jw_str(&w, "comm", vm->has_comm ? vm->comm : NULL);
		jw_str(&w, "state", st->exact ? S2_STATE_EXACT :
		       st->unwalkable ? S2_STATE_UNWALKABLE : S2_STATE_INEXACT);
		jw_bool(&w, "exact", st->exact);
		jw_str(&w, "found", st->load ? "load" : "fault");
		jw_attrs(&w, "vfio_pages", st->c.vfio);
		jw_attrs(&w, "other_pages", st->c.other);
		jw_u64(&w, "vfio_bytes", st->vfio_bytes);
		jw_u64(&w, "other_bytes", st->other_bytes);
		jw_attrs(&w, "failed", st->failed);
		jw_u64(&w, "ranges", st->ranges);
		jw_u64(&w, "page_leaves", st->page_leaves);
		jw_u64(&w, "block_leaves", st->block_leaves);
		jw_u64(&w, "drops", st->drops);
		jw_u64(&w, "resyncs", st->resyncs);
		if (o->mappings && vm->has_maps) {
			jw_open(&w, "mappings", '[');
			for (j = 0; j < vm->maps.n; j++)
				jw_map(&w, vm, &vm->maps.v[j]);
			jw_close(&w, ']');
		}
		if (o->verify && vm->has_verify) {
			jw_open(&w, "verify", '{');
			jw_str(&w, "result", verify_results[vm->ver.result]);
			jw_u64(&w, "differences", vm->ver.differences);
			for (int k = 0; k < S2_VKEY_NR; k++) {
				if (vm->ver.has[k])
					jw_u64(&w, s2_verify_key_names[k], vm->ver.val[k]);
				else
					jw_null(&w, s2_verify_key_names[k]);
			}
			jw_open(&w, "diffs", '[');
			for (j = 0; j < vm->ver.ndiffs; j++) {
				const struct s2_diff *d = &vm->ver.diffs[j];

				jw_open(&w, NULL, '{');
				jw_str(&w, "kind", d->kind);
				jw_addr(&w, "ipa_start", d->ipa_start);
				jw_addr(&w, "ipa_end", d->ipa_end);
				jw_side(&w, "table", &d->table);
				jw_side(&w, "tracked", &d->tracked);
				jw_close(&w, '}');
			}
			jw_close(&w, ']');
			jw_close(&w, '}');
		}
		jw_close(&w, '}');
	}
	jw_close(&w, ']');

	jw_open(&w, "totals", '{');
	jw_u64(&w, "vms", s->n);
	jw_u64(&w, "inexact_vms", inexact);
	jw_attrs(&w, "vfio_pages", tot.vfio);
	jw_attrs(&w, "other_pages", tot.other);
	jw_u64(&w, "vfio_bytes", tvb);
	jw_u64(&w, "other_bytes", tob);
	jw_attrs(&w, "failed", tfailed);
	jw_close(&w, '}');

	if (o->devices) {
		struct s2_devrow *rows;
		size_t n = s2_devices(s, &rows);

		jw_open(&w, "devices", '[');
		for (i = 0; i < n; i++) {
			char b[16];

			jw_open(&w, NULL, '{');
			jw_str(&w, "bdf", rows[i].has_bdf ? s2_bdf_str(rows[i].bdf, b) : NULL);
			if (rows[i].bar >= 0)
				jw_int(&w, "bar", rows[i].bar);
			else
				jw_null(&w, "bar");
			jw_str(&w, "driver", strcmp(rows[i].driver, "-") ? rows[i].driver : NULL);
			jw_str(&w, "vm", rows[i].vm->st.vm);
			jw_u64(&w, "pid", rows[i].vm->st.pid);
			jw_str(&w, "class", rows[i].vfio ? S2_CLASS_VFIO : S2_CLASS_OTHER);
			jw_str(&w, "attr", s2_attr_name(rows[i].attr));
			jw_u64(&w, "pages", rows[i].pages);
			jw_u64(&w, "bytes", rows[i].pages * s->stats.page_size);
			jw_u64(&w, "ranges", rows[i].ranges);
			jw_close(&w, '}');
		}
		jw_close(&w, ']');
		free(rows);
	}

	if (o->expect >= 0) {
		struct s2_expect_result r;

		s2_expect(s, o->expect, &r);
		jw_open(&w, "expect", '{');
		jw_str(&w, "attr", s2_attr_name((unsigned)o->expect));
		jw_bool(&w, "ok", r.violations == 0);
		jw_u64(&w, "checked_mappings", r.checked);
		jw_u64(&w, "checked_pages", r.checked_pages);
		jw_u64(&w, "checked_vms", r.checked_vms);
		jw_u64(&w, "violating_vms", r.violation_vms);
		jw_u64(&w, "violating_pages", r.violation_pages);
		jw_open(&w, "violations", '[');
		for (i = 0; i < s->n; i++) {
			const struct s2_vm *vm = &s->vms[i];

			for (j = 0; vm->has_maps && j < vm->maps.n; j++) {
				const struct s2_map *m = &vm->maps.v[j];
				char b[16];

				if (!m->vfio || m->attr == o->expect)
					continue;
				jw_open(&w, NULL, '{');
				jw_str(&w, "vm", vm->st.vm);
				jw_u64(&w, "pid", vm->st.pid);
				jw_str(&w, "bdf", s2_bdf_str(m->bdf, b));
				jw_int(&w, "bar", m->bar);
				jw_addr(&w, "ipa_start", m->ipa_start);
				jw_addr(&w, "ipa_end", m->ipa_end);
				jw_str(&w, "attr", s2_attr_name(m->attr));
				jw_u64(&w, "pages", m->pages);
				jw_close(&w, '}');
			}
		}
		jw_close(&w, ']');
		jw_close(&w, '}');
	}
	if (o->verify) {
		struct s2_verify_result r;

		s2_verify_summary(s, &r);
		jw_open(&w, "verify", '{');
		jw_bool(&w, "ok", r.differ_vms == 0);
		jw_u64(&w, "vms", r.vms);
		jw_u64(&w, "differ_vms", r.differ_vms);
		jw_u64(&w, "unavailable_vms", r.unavailable_vms);
		jw_u64(&w, "differences", r.differences);
		jw_close(&w, '}');
	}
	jw_close(&w, '}');
	fputc('\n', f);
}

void s2_print_json_error(FILE *f, const char *msg)
{
	fputs("{\"error\":", f);
	s2_json_string(f, msg);
	fputs("}\n", f);
}

/* ---- Prometheus ---- */

void s2_prom_label_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void prom_head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void prom_vm_labels(FILE *f, const struct s2_vm *vm)
{
	fputs("vm=", f);
	s2_prom_label_value(f, vm->st.vm);
	fprintf(f, ",pid=\"%" PRIu32 "\"", vm->st.pid);
}

void s2_print_prometheus(FILE *f, const struct s2_snapshot *s)
{
	static const char *const cls[2] = { S2_CLASS_VFIO, S2_CLASS_OTHER };
	struct s2_devrow *rows;
	size_t i, n;

	prom_head(f, "kvm_s2stat_info", "Versions of the kvm-s2stat CLI and the kvm_s2stat "
		  "module (value 1).");
	fputs("kvm_s2stat_info{cli_version=", f);
	s2_prom_label_value(f, KVM_S2STAT_VERSION);
	fputs(",module_version=", f);
	s2_prom_label_value(f, s->version.module_version);
	fprintf(f, ",format=\"%u\",kernel=", s->version.format);
	s2_prom_label_value(f, s->stats.kernel);
	fputs(",kvm_mode=", f);
	s2_prom_label_value(f, s->stats.kvm_mode);
	fprintf(f, ",fwb=\"%d\"} 1\n", s->stats.fwb);

	prom_head(f, "kvm_s2stat_page_size_bytes", "Host page size; *_pages metrics count "
		  "pages of this size.");
	fprintf(f, "kvm_s2stat_page_size_bytes %" PRIu64 "\n", s->stats.page_size);

	for (i = 0; i < S2_STAT_NR; i++) {
		char name[64];

		if (!s->stats.has[i])
			continue;
		if (i == S2_STAT_WALK_MAX_LOCK_HOLD_US) {	/* base unit: seconds */
			prom_head(f, "kvm_s2stat_module_walk_max_lock_hold_seconds", "Longest time "
				  "one walk chunk held a VM's mmu_lock since the module loaded.");
			fprintf(f, "kvm_s2stat_module_walk_max_lock_hold_seconds %" PRIu64 ".%06"
				PRIu64 "\n", s->stats.val[i] / 1000000, s->stats.val[i] % 1000000);
			continue;
		}
		snprintf(name, sizeof(name), "kvm_s2stat_module_%s", s2_stat_names[i]);
		prom_head(f, name, "kvm_s2stat module counter (see docs/debugfs.md, stats).");
		fprintf(f, "%s %" PRIu64 "\n", name, s->stats.val[i]);
	}

	prom_head(f, "kvm_s2stat_vms", "VMs reported (after the -p/-g selection).");
	fprintf(f, "kvm_s2stat_vms %zu\n", s->n);

	prom_head(f, "kvm_s2stat_vm_info", "One series per VM with its VMM command name "
		  "(value 1).");
	for (i = 0; i < s->n; i++) {
		fputs("kvm_s2stat_vm_info{", f);
		prom_vm_labels(f, &s->vms[i]);
		fputs(",comm=", f);
		s2_prom_label_value(f, s->vms[i].has_comm ? s->vms[i].comm : "");
		fputs(",found=", f);
		s2_prom_label_value(f, s->vms[i].st.load ? "load" : "fault");
		fputs("} 1\n", f);
	}

	prom_head(f, "kvm_s2stat_vm_pages", "Pages of device memory mapped at stage 2, by "
		  "class (vfio, other) and attribute.");
	for (i = 0; i < s->n; i++) {
		for (int c = 0; c < 2; c++) {
			const uint64_t *v = c ? s->vms[i].st.c.other : s->vms[i].st.c.vfio;

			for (unsigned int a = 0; a < S2_ATTR_NR; a++) {
				fputs("kvm_s2stat_vm_pages{", f);
				prom_vm_labels(f, &s->vms[i]);
				fprintf(f, ",class=\"%s\",attr=\"%s\"} %" PRIu64 "\n", cls[c],
					s2_attr_name(a), v[a]);
			}
		}
	}

	prom_head(f, "kvm_s2stat_vm_exact", "1 when the VM's tracked state equals its stage-2 "
		  "table, 0 when inexact (events dropped, resync pending).");
	for (i = 0; i < s->n; i++) {
		fputs("kvm_s2stat_vm_exact{", f);
		prom_vm_labels(f, &s->vms[i]);
		fprintf(f, "} %d\n", s->vms[i].st.exact);
	}

	prom_head(f, "kvm_s2stat_vm_failed_maps", "Device-memory map attempts the kernel "
		  "refused, by attribute requested.");
	for (i = 0; i < s->n; i++) {
		for (unsigned int a = 0; a < S2_ATTR_NR; a++) {
			fputs("kvm_s2stat_vm_failed_maps{", f);
			prom_vm_labels(f, &s->vms[i]);
			fprintf(f, ",attr=\"%s\"} %" PRIu64 "\n", s2_attr_name(a),
				s->vms[i].st.failed[a]);
		}
	}

	prom_head(f, "kvm_s2stat_vm_drops", "Events the module dropped for this VM.");
	for (i = 0; i < s->n; i++) {
		fputs("kvm_s2stat_vm_drops{", f);
		prom_vm_labels(f, &s->vms[i]);
		fprintf(f, "} %" PRIu64 "\n", s->vms[i].st.drops);
	}

	prom_head(f, "kvm_s2stat_device_pages", "Pages mapped per VM, PCI device and BAR, "
		  "class and attribute (bdf and bar empty: not in a PCI BAR).");
	n = s2_devices(s, &rows);
	for (i = 0; i < n; i++) {
		char b[16];

		fputs("kvm_s2stat_device_pages{", f);
		prom_vm_labels(f, rows[i].vm);
		fprintf(f, ",bdf=\"%s\",bar=\"", rows[i].has_bdf ? s2_bdf_str(rows[i].bdf, b) : "");
		if (rows[i].bar >= 0)
			fprintf(f, "%d", rows[i].bar);
		fputs("\",driver=", f);
		s2_prom_label_value(f, strcmp(rows[i].driver, "-") ? rows[i].driver : "");
		fprintf(f, ",class=\"%s\",attr=\"%s\"} %" PRIu64 "\n",
			rows[i].vfio ? S2_CLASS_VFIO : S2_CLASS_OTHER, s2_attr_name(rows[i].attr),
			rows[i].pages);
	}
	free(rows);
}
