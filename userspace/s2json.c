// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: JSON output (s2json.h, docs/json.md).
 */
#include <inttypes.h>
#include <string.h>

#include "s2ident.h"
#include "s2json.h"
#include "version.h"

void s2_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	fputc('"', f);
	while (i < n) {
		uint32_t cp;
		size_t l = s2_utf8_decode(p + i, n - i, &cp);

		if (!l) {
			fputs("\\ufffd", f);	/* an invalid byte: never Latin-1 */
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\u%04x", (unsigned int)cp);
		else if (cp == 0x2028 || cp == 0x2029)	/* line separators: safe in JavaScript */
			fprintf(f, "\\u%04x", (unsigned int)cp);
		else
			fwrite(p + i, 1, l, f);
		i += l;
	}
	fputc('"', f);
}

/* ---- a small streaming writer ---- */

struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool first[32];
};

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

static void jw_bdf(struct jw *w, const char *key, bool has, uint32_t bdf)
{
	char b[16];

	jw_str(w, key, has ? s2_bdf_str(bdf, b) : NULL);
}

static void jw_bar(struct jw *w, int bar)
{
	if (bar >= 0)
		jw_int(w, "bar", bar);
	else
		jw_null(w, "bar");
}

/* The VM's identity: domain, uuid (both may be null). */
static void jw_ident(struct jw *w, const struct s2_vm *vm)
{
	jw_str(w, "domain", vm->id.has_domain ? vm->id.domain : NULL);
	jw_str(w, "uuid", vm->id.has_uuid ? vm->id.uuid : NULL);
}

static void jw_map(struct jw *w, const struct s2_vm *vm, const struct s2_map *m)
{
	char p[4];

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
	jw_bdf(w, "bdf", m->has_bdf, m->bdf);
	jw_bar(w, m->bar);
	jw_str(w, "driver", m->driver ? s2_map_driver(&vm->maps, m) : NULL);
	jw_str(w, "via", m->via == S2_MAP_VIA_VMA ? "vma" : m->via == S2_MAP_VIA_PA ? "pa" : NULL);
	jw_str(w, "reason", m->reason ? s2_reason_name(m->reason) : NULL);
	jw_str(w, "reason_text", m->reason ? s2_reason_text(m->reason) : NULL);
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

static void jw_vm_verify(struct jw *w, const struct s2_vm *vm)
{
	jw_open(w, "verify", '{');
	jw_str(w, "result", s2_verify_results[vm->ver.result]);
	jw_u64(w, "differences", vm->ver.differences);
	for (int k = 0; k < S2_VKEY_NR; k++) {
		if (vm->ver.has[k])
			jw_u64(w, s2_verify_key_names[k], vm->ver.val[k]);
		else
			jw_null(w, s2_verify_key_names[k]);
	}
	jw_open(w, "diffs", '[');
	for (size_t j = 0; j < vm->ver.ndiffs; j++) {
		const struct s2_diff *d = &vm->ver.diffs[j];

		jw_open(w, NULL, '{');
		jw_str(w, "kind", d->kind);
		jw_addr(w, "ipa_start", d->ipa_start);
		jw_addr(w, "ipa_end", d->ipa_end);
		jw_side(w, "table", &d->table);
		jw_side(w, "tracked", &d->tracked);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

static void jw_hex(struct jw *w, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	jw_str(w, key, b);
}

static void jw_mt(struct jw *w, const char *key, uint8_t mt)
{
	jw_str(w, key, mt < S2_MT_NR ? s2_mt_name(mt) : NULL);
}

static void jw_eff_row(struct jw *w, const struct s2_effective *e, const struct s2_eff_row *r)
{
	jw_open(w, NULL, '{');
	jw_str(w, "half", r->user ? "user" : "kernel");
	jw_str(w, "root", e->roots[r->root].id);
	jw_addr(w, "va_start", r->va_start);
	jw_addr(w, "va_end", r->va_end);
	jw_addr(w, "ipa_start", r->ipa_start);
	jw_addr(w, "ipa_end", r->ipa_end);
	jw_u64(w, "bytes", r->va_end - r->va_start);
	jw_mt(w, "s1", r->s1);
	jw_u64(w, "mair", r->mair);
	jw_mt(w, "s2", r->s2);
	if (r->memattr <= 0xf)
		jw_u64(w, "memattr", r->memattr);
	else
		jw_null(w, "memattr");
	jw_str(w, "stage2", r->mapped ? "mapped" : "pending");
	jw_mt(w, "effective", r->eff);
	jw_str(w, "class", r->cls == 0 ? S2_CLASS_VFIO : r->cls == 1 ? S2_CLASS_OTHER : NULL);
	jw_bdf(w, "bdf", r->has_bdf, r->bdf);
	jw_bar(w, r->bar);
	jw_close(w, '}');
}

/* The VM's effective object (docs/json.md): null when the module has no effective file. */
static void jw_vm_effective(struct jw *w, const struct s2_vm *vm)
{
	const struct s2_effective *e = &vm->eff;
	unsigned int types = s2_eff_types(vm, false, 0, S2_EFF_ANY_BAR);

	if (vm->eff_missing || !vm->has_eff) {
		jw_null(w, "effective");
		return;
	}
	jw_open(w, "effective", '{');
	jw_str(w, "result", s2_eff_results[e->result]);
	jw_str(w, "reason", e->reason[0] ? e->reason : NULL);
	jw_str(w, "kernel_half", s2_half_names[e->kernel_half]);
	jw_str(w, "user_half", s2_half_names[e->user_half]);
	jw_open(w, "vfio_types", '[');
	for (unsigned int t = 0; t < S2_MT_NR; t++)
		if (types & (1u << t))
			jw_str(w, NULL, s2_mt_name(t));
	jw_close(w, ']');
	for (int k = 0; k < S2_EKEY_NR; k++) {
		if (e->has[k])
			jw_u64(w, s2_ekey_names[k], e->val[k]);
		else
			jw_null(w, s2_ekey_names[k]);
	}
	jw_open(w, "roots", '[');
	for (size_t i = 0; i < e->nroots; i++) {
		const struct s2_eff_root *rt = &e->roots[i];

		jw_open(w, NULL, '{');
		jw_str(w, "id", rt->id);
		jw_str(w, "half", rt->user ? "user" : "kernel");
		jw_str(w, "status", s2_half_names[rt->status]);
		jw_addr(w, "ttbr", rt->ttbr);
		jw_u64(w, "asid", rt->asid);
		jw_hex(w, "tcr", rt->tcr);
		jw_hex(w, "mair", rt->mair);
		jw_u64(w, "granule", rt->granule);
		jw_u64(w, "va_bits", rt->va_bits);
		jw_bool(w, "ds", rt->ds);
		jw_u64(w, "seen", rt->seen);
		jw_u64(w, "seen_ms_ago", rt->seen_ms_ago);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_open(w, "mappings", '[');
	for (size_t i = 0; i < e->n; i++)
		jw_eff_row(w, e, &e->v[i]);
	jw_close(w, ']');
	jw_close(w, '}');
}

static void jw_vm(struct jw *w, const struct s2_vm *vm, const struct s2_json_opt *o)
{
	const struct s2_status *st = &vm->st;

	jw_open(w, NULL, '{');
	jw_str(w, "vm", st->vm);
	jw_u64(w, "pid", st->pid);
	jw_str(w, "comm", vm->has_comm ? vm->comm : NULL);
	jw_ident(w, vm);
	jw_str(w, "vmm", s2_vmm_names[vm->id.vmm < S2_VMM_NR ? vm->id.vmm : 0]);
	jw_str(w, "state", st->exact ? S2_STATE_EXACT :
	       st->unwalkable ? S2_STATE_UNWALKABLE : S2_STATE_INEXACT);
	jw_bool(w, "exact", st->exact);
	jw_str(w, "found", st->load ? "load" : "fault");
	jw_attrs(w, "vfio_pages", st->c.vfio);
	jw_attrs(w, "other_pages", st->c.other);
	jw_u64(w, "vfio_bytes", st->vfio_bytes);
	jw_u64(w, "other_bytes", st->other_bytes);
	jw_attrs(w, "failed", st->failed);
	jw_u64(w, "ranges", st->ranges);
	jw_u64(w, "page_leaves", st->page_leaves);
	jw_u64(w, "block_leaves", st->block_leaves);
	jw_u64(w, "drops", st->drops);
	jw_u64(w, "resyncs", st->resyncs);
	if (vm->has_maps)
		jw_bool(w, "mappings_match_status", !vm->maps_mismatch);
	if (o->mappings && vm->has_maps) {
		jw_open(w, "mappings", '[');
		for (size_t j = 0; j < vm->maps.n; j++)
			jw_map(w, vm, &vm->maps.v[j]);
		jw_close(w, ']');
	}
	if (o->verify && vm->has_verify)
		jw_vm_verify(w, vm);
	if (o->effective)
		jw_vm_effective(w, vm);
	jw_close(w, '}');
}

static void jw_module(struct jw *w, const struct s2_snapshot *s)
{
	jw_open(w, "module", '{');
	jw_str(w, "version", s->version.module_version);
	jw_u64(w, "format", s->version.format);
	jw_str(w, "kernel", s->stats.kernel);
	jw_u64(w, "page_size", s->stats.page_size);
	jw_bool(w, "fwb", s->stats.fwb);
	jw_bool(w, "lpa2", s->stats.lpa2);
	jw_str(w, "kvm_mode", s->stats.kvm_mode);
	jw_str(w, "discovery", s->stats.discovery);
	if (s->stats.map_hook[0])
		jw_str(w, "map_hook", s->stats.map_hook);
	if (s->stats.cacheable_pfnmap[0])
		jw_str(w, "cacheable_pfnmap", s->stats.cacheable_pfnmap);
	jw_open(w, "stats", '{');
	for (size_t i = 0; i < S2_STAT_NR; i++)
		if (s->stats.has[i])
			jw_u64(w, s2_stat_names[i], s->stats.val[i]);
	jw_close(w, '}');
	jw_close(w, '}');
}

static void jw_devices(struct jw *w, const struct s2_report *r)
{
	jw_open(w, "devices", '[');
	for (size_t i = 0; i < r->ndev; i++) {
		const struct s2_devrow *d = &r->dev[i];

		jw_open(w, NULL, '{');
		jw_bdf(w, "bdf", d->has_bdf, d->bdf);
		jw_bar(w, d->bar);
		jw_str(w, "driver", strcmp(d->driver, "-") ? d->driver : NULL);
		jw_str(w, "reason", d->reason == S2_REASON_NR ? "mixed" :
		       d->reason ? s2_reason_name(d->reason) : NULL);
		jw_str(w, "vm", d->vm->st.vm);
		jw_u64(w, "pid", d->pid);
		jw_ident(w, d->vm);
		jw_str(w, "class", d->vfio ? S2_CLASS_VFIO : S2_CLASS_OTHER);
		jw_str(w, "attr", s2_attr_name(d->attr));
		jw_u64(w, "pages", d->pages);
		jw_u64(w, "bytes", s2_sat_mul(d->pages, r->s->stats.page_size));
		jw_u64(w, "ranges", d->ranges);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void jw_expect(struct jw *w, const struct s2_expect_result *e)
{
	jw_open(w, "expect", '{');
	jw_str(w, "attr", s2_attr_name((unsigned int)e->attr));
	jw_str(w, "result", s2_expect_results[e->result]);
	jw_bool(w, "ok", e->result == S2_EXPECT_OK);
	jw_u64(w, "checked_mappings", e->checked);
	jw_u64(w, "checked_pages", e->checked_pages);
	jw_u64(w, "checked_vms", e->checked_vms);
	jw_u64(w, "violating_vms", e->violation_vms);
	jw_u64(w, "violating_pages", e->violation_pages);
	jw_open(w, "violations", '[');
	for (size_t i = 0; i < e->nv; i++) {
		const struct s2_vm *vm = e->v[i].vm;
		const struct s2_map *m = e->v[i].m;

		jw_open(w, NULL, '{');
		jw_str(w, "vm", vm->st.vm);
		jw_u64(w, "pid", vm->st.pid);
		jw_ident(w, vm);
		jw_bdf(w, "bdf", m->has_bdf, m->bdf);
		jw_bar(w, m->bar);
		jw_addr(w, "ipa_start", m->ipa_start);
		jw_addr(w, "ipa_end", m->ipa_end);
		jw_str(w, "attr", s2_attr_name(m->attr));
		jw_u64(w, "pages", m->pages);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

static void jw_expect_wc(struct jw *w, const struct s2_wc_result *e)
{
	jw_open(w, "expect", '{');
	jw_str(w, "attr", "wc");
	jw_str(w, "result", s2_expect_results[e->result]);
	jw_bool(w, "ok", e->result == S2_EXPECT_OK);
	jw_u64(w, "checked_mappings", e->checked);
	jw_u64(w, "checked_bytes", e->checked_bytes);
	jw_u64(w, "checked_vms", e->checked_vms);
	jw_u64(w, "incomplete_vms", e->incomplete_vms);
	jw_u64(w, "violating_vms", e->violation_vms);
	jw_u64(w, "violating_bytes", e->violation_bytes);
	jw_open(w, "violations", '[');
	for (size_t i = 0; i < e->nv; i++) {
		const struct s2_vm *vm = e->v[i].vm;
		const struct s2_eff_row *r = e->v[i].w;

		jw_open(w, NULL, '{');
		jw_str(w, "vm", vm->st.vm);
		jw_u64(w, "pid", vm->st.pid);
		jw_ident(w, vm);
		jw_str(w, "half", r->user ? "user" : "kernel");
		jw_addr(w, "va_start", r->va_start);
		jw_addr(w, "va_end", r->va_end);
		jw_addr(w, "ipa_start", r->ipa_start);
		jw_bdf(w, "bdf", r->has_bdf, r->bdf);
		jw_bar(w, r->bar);
		jw_mt(w, "s1", r->s1);
		jw_mt(w, "s2", r->s2);
		jw_str(w, "stage2", r->mapped ? "mapped" : "pending");
		jw_mt(w, "effective", r->eff);
		jw_u64(w, "bytes", r->va_end - r->va_start);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

void s2_print_json(FILE *f, const struct s2_report *r, const struct s2_json_opt *o)
{
	const struct s2_snapshot *s = r->s;
	struct jw w = { f, o->pretty, 0, { true } };
	size_t i;

	jw_open(&w, NULL, '{');
	jw_u64(&w, "schema_version", KVM_S2STAT_JSON_SCHEMA);
	jw_str(&w, "kvm_s2stat_version", KVM_S2STAT_VERSION);
	jw_sep(&w, "time");
	fprintf(f, "%lld.%03ld", (long long)s->when.tv_sec, s->when.tv_nsec / 1000000);
	jw_str(&w, "root", s->root);
	jw_module(&w, s);
	jw_u64(&w, "vms_listed", s->listed);
	jw_u64(&w, "vms_vanished", s->vanished);
	jw_u64(&w, "vms_skipped_zero", s->skipped_zero);
	if (o->nbdfs) {
		jw_open(&w, "bdf_filter", '[');
		for (i = 0; i < o->nbdfs; i++)
			jw_bdf(&w, NULL, true, o->bdfs[i]);
		jw_close(&w, ']');
	}
	jw_open(&w, "vms", '[');
	for (i = 0; i < s->n; i++)
		jw_vm(&w, &s->vms[i], o);
	jw_close(&w, ']');

	jw_open(&w, "totals", '{');
	jw_u64(&w, "vms", r->tot.vms);
	jw_u64(&w, "inexact_vms", r->tot.inexact_vms);
	jw_attrs(&w, "vfio_pages", r->tot.c.vfio);
	jw_attrs(&w, "other_pages", r->tot.c.other);
	jw_u64(&w, "vfio_bytes", r->tot.vfio_bytes);
	jw_u64(&w, "other_bytes", r->tot.other_bytes);
	jw_attrs(&w, "failed", r->tot.failed);
	jw_u64(&w, "unwalkable_vms", r->tot.unwalkable_vms);
	jw_close(&w, '}');

	if (o->devices && r->has_dev)
		jw_devices(&w, r);
	if (r->has_expect)
		jw_expect(&w, &r->exp);
	if (r->has_wc)
		jw_expect_wc(&w, &r->wc);
	if (o->verify && r->has_verify) {
		jw_open(&w, "verify", '{');
		jw_bool(&w, "ok", r->ver.differ_vms == 0);
		jw_u64(&w, "vms", r->ver.vms);
		jw_u64(&w, "differ_vms", r->ver.differ_vms);
		jw_u64(&w, "unavailable_vms", r->ver.unavailable_vms);
		jw_u64(&w, "differences", r->ver.differences);
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
