// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: text views (s2view.h).  Text output is printable ASCII whatever a VMM's
 * command line holds: names go through s2_text_safe().  CSV carries the sanitised UTF-8.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s2view.h"

/* ---- cells shared by the views ---- */

const char *s2_vm_display_name(const struct s2_vm *vm, char buf[S2_CELL])
{
	char t[32];	/* a comm: 15 characters */

	if (vm->id.has_domain) {
		s2_text_safe(buf, S2_CELL, vm->id.domain);
	} else if (vm->has_comm) {
		s2_text_safe(t, sizeof(t), vm->comm);
		snprintf(buf, S2_CELL, "[%s]", t);
	} else {
		snprintf(buf, S2_CELL, "?");
	}
	return buf;
}

/* The guest name: text-safe (or @none) in text, sanitised UTF-8 (or "") in CSV. */
static void domain_cell(struct s2_row *row, int c, const struct s2_vm *vm, bool csv,
			const char *none)
{
	if (csv)
		s2_cell(row, c, "%s", vm->id.has_domain ? vm->id.domain : "");
	else if (vm->id.has_domain)
		s2_text_safe(row->c[c], S2_CELL, vm->id.domain);
	else
		s2_cell(row, c, "%s", none);
}

static void uuid_cell(struct s2_row *row, int c, const struct s2_vm *vm, bool csv)
{
	s2_cell(row, c, "%s", vm->id.has_uuid ? vm->id.uuid : csv ? "" : "-");
}

/* A number, with a change mark when watching ("*" changed, " " same or new). */
static void num_cell(struct s2_row *row, int c, uint64_t v, const struct s2_viewopt *o,
		     bool have_old, uint64_t old)
{
	if (!o->prev || o->tab.csv)
		s2_cell(row, c, "%" PRIu64, v);
	else
		s2_cell(row, c, "%" PRIu64 "%c", v, have_old && old != v ? '*' : ' ');
}

static void bytes_cell(struct s2_row *row, int c, uint64_t v, const struct s2_viewopt *o,
		       bool have_old, uint64_t old)
{
	char b[24];

	if (o->raw || o->tab.csv)
		snprintf(b, sizeof(b), "%" PRIu64, v);
	else
		s2_human_bytes(v, b);
	if (!o->prev || o->tab.csv)
		s2_cell(row, c, "%s", b);
	else
		s2_cell(row, c, "%s%c", b, have_old && old != v ? '*' : ' ');
}

static void notes_add(struct s2_row *row, int c, const char *note)
{
	size_t n = strlen(row->c[c]);

	snprintf(row->c[c] + n, S2_CELL - n, "%s%s", n ? "," : "", note);
}

static const char *attr_name(unsigned int a)
{
	return s2_attr_name(a);
}

/*
 * The effective types of a VM's (or one BAR's) guest mappings of VFIO memory: short names
 * in text ("NC+DEVICE", "*" when the guest's tables were not all read), full ones in CSV.
 */
static void eff_cell(struct s2_row *row, int c, const struct s2_vm *vm, bool csv,
		     bool has_bdf, uint32_t bdf, int bar)
{
	char b[S2_CELL];

	if (vm->eff_missing) {
		s2_cell(row, c, "%s", csv ? "" : "n/a");
		return;
	}
	s2_eff_types_str(vm, s2_eff_types(vm, has_bdf, bdf, bar), csv, b, sizeof(b));
	s2_cell(row, c, "%s%s", b, !csv && vm->has_eff && vm->eff.result != S2_EFF_UNAVAILABLE &&
		!s2_eff_complete(vm) ? "*" : "");
}

static const char *eff_result(const struct s2_vm *vm)
{
	if (vm->eff_missing)
		return "unsupported";
	return vm->has_eff ? s2_eff_results[vm->eff.result] : "";
}

/* ---- per VM ---- */

enum { VC_VM, VC_PID, VC_NAME, VC_COMM, VC_DOMAIN, VC_UUID, VC_DEV, VC_NC, VC_NORMAL,
       VC_OTHER, VC_BYTES, VC_EFF, VC_NOTES, VC_STATE, VC_FAILED, VC_EFFRES, VC_NR };

static const struct s2_col vm_cols[VC_NR] = {
	[VC_VM] = { "VM", "vm", S2_SHOW_ALL, false, false, 0, 0 },
	[VC_PID] = { "PID", "pid", S2_SHOW_ALL, true, false, 0, 0 },
	[VC_NAME] = { "NAME", "name", S2_SHOW_NARROW, false, true, 17, 0 },
	[VC_COMM] = { "COMM", "comm", S2_SHOW_WIDE | S2_SHOW_CSV, false, true, 0, 0 },
	[VC_DOMAIN] = { "DOMAIN", "domain", S2_SHOW_WIDE | S2_SHOW_CSV, false, true, 0, 0 },
	[VC_UUID] = { "UUID", "uuid", S2_SHOW_WIDE | S2_SHOW_CSV, false, false, 0, 0 },
	[VC_DEV] = { "DEVICE", "vfio_device_pages", S2_SHOW_ALL, true, false, 0, 0 },
	[VC_NC] = { "NC", "vfio_nc_pages", S2_SHOW_ALL, true, false, 0, 0 },
	[VC_NORMAL] = { "NORMAL", "vfio_normal_pages", S2_SHOW_ALL, true, false, 0, 0 },
	[VC_OTHER] = { "PAGES", "other_pages", S2_SHOW_ALL, true, false, 0, 0 },
	[VC_BYTES] = { "BYTES", "vfio_bytes", S2_SHOW_ALL, true, false, 0, 0 },
	[VC_EFF] = { "EFFECTIVE", "effective", S2_SHOW_ALL | S2_SHOW_OPT, false, false, 0, 0 },
	[VC_NOTES] = { "NOTES", "notes", S2_SHOW_TEXT, false, false, 0, 0 },
	[VC_STATE] = { "STATE", "state", S2_SHOW_CSV, false, false, 0, 0 },
	[VC_FAILED] = { "FAILED", "failed_maps", S2_SHOW_CSV, false, false, 0, 0 },
	[VC_EFFRES] = { "", "effective_result", S2_SHOW_CSV | S2_SHOW_OPT, false, false, 0, 0 },
};

static const struct s2_group vm_groups[] = {
	{ VC_DEV, VC_NORMAL, "VFIO pages" },
	{ VC_OTHER, VC_OTHER, "OTHER" },
	{ VC_BYTES, VC_BYTES, "VFIO" },
};

static void vm_row(struct s2_row *row, const struct s2_report *r, size_t i,
		   const struct s2_viewopt *o)
{
	const struct s2_snapshot *s = r->s;
	bool csv = o->tab.csv;

	s2_row_clear(row);
	if (i < s->n) {
		const struct s2_vm *vm = &s->vms[i];
		const struct s2_vm *old = o->prev ? s2_find_vm(o->prev->s, vm->st.pid, vm->fd)
						  : NULL;
		char b[S2_CELL];

		s2_cell(row, VC_VM, "%s", vm->st.vm);
		s2_cell(row, VC_PID, "%" PRIu32, vm->st.pid);
		s2_cell(row, VC_NAME, "%s", s2_vm_display_name(vm, b));
		if (vm->has_comm)
			s2_cell(row, VC_COMM, "%s", vm->comm);
		else
			s2_cell(row, VC_COMM, "%s", csv ? "" : "?");
		domain_cell(row, VC_DOMAIN, vm, csv, "-");
		uuid_cell(row, VC_UUID, vm, csv);
		for (int a = 0; a < S2_ATTR_NR; a++)
			num_cell(row, VC_DEV + a, vm->st.c.vfio[a], o, old,
				 old ? old->st.c.vfio[a] : 0);
		num_cell(row, VC_OTHER, s2_vm_other_pages(vm), o, old,
			 old ? s2_vm_other_pages(old) : 0);
		bytes_cell(row, VC_BYTES, vm->st.vfio_bytes, o, old, old ? old->st.vfio_bytes : 0);
		if (vm->st.unwalkable)
			notes_add(row, VC_NOTES, "UNWALKABLE");
		else if (!vm->st.exact)
			notes_add(row, VC_NOTES, "INEXACT");
		if (s2_vm_failed(vm)) {
			snprintf(b, sizeof(b), "FAILED=%" PRIu64, s2_vm_failed(vm));
			notes_add(row, VC_NOTES, b);
		}
		if (vm->maps_mismatch)
			notes_add(row, VC_NOTES, "MISMATCH");
		if (o->prev && !old)
			notes_add(row, VC_NOTES, "new");
		s2_cell(row, VC_STATE, "%s", vm->st.exact ? S2_STATE_EXACT :
			vm->st.unwalkable ? S2_STATE_UNWALKABLE : S2_STATE_INEXACT);
		s2_cell(row, VC_FAILED, "%" PRIu64, s2_vm_failed(vm));
		eff_cell(row, VC_EFF, vm, csv, false, 0, S2_EFF_ANY_BAR);
		s2_cell(row, VC_EFFRES, "%s", eff_result(vm));
		return;
	}
	/* the total line (text only) */
	s2_cell(row, VC_VM, "total");
	s2_cell(row, o->tab.wide ? VC_COMM : VC_NAME, "%zu VM%s", s->n, s->n == 1 ? "" : "s");
	for (int a = 0; a < S2_ATTR_NR; a++)
		s2_cell(row, VC_DEV + a, "%" PRIu64 "%s", r->tot.c.vfio[a], o->prev ? " " : "");
	s2_cell(row, VC_OTHER, "%" PRIu64 "%s",
		s2_sat_add(s2_sat_add(r->tot.c.other[0], r->tot.c.other[1]), r->tot.c.other[2]),
		o->prev ? " " : "");
	bytes_cell(row, VC_BYTES, r->tot.vfio_bytes, o, false, 0);
}

/* "gone since the last sample: a, b" (watch): a merge of two (pid, fd)-ordered lists. */
static void print_gone(FILE *f, const struct s2_snapshot *s, const struct s2_snapshot *prev)
{
	size_t i = 0, j = 0;
	bool any = false;

	for (; i < prev->n; i++) {
		const struct s2_vm *p = &prev->vms[i];

		while (j < s->n && (s->vms[j].st.pid < p->st.pid ||
				    (s->vms[j].st.pid == p->st.pid && s->vms[j].fd < p->fd)))
			j++;
		if (j < s->n && s->vms[j].st.pid == p->st.pid && s->vms[j].fd == p->fd)
			continue;
		fprintf(f, "%s%s", any ? ", " : "gone since the last sample: ", p->st.vm);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

/* The notes under a table: what INEXACT, FAILED, MISMATCH mean, VMs not shown. */
static void print_legend(FILE *f, const struct s2_report *r)
{
	const struct s2_snapshot *s = r->s;

	if (r->tot.inexact_vms)
		fprintf(f, "INEXACT: events were dropped, counts may be off until the module "
			"resyncs\n");
	if (r->tot.unwalkable_vms)
		fprintf(f, "UNWALKABLE: pKVM owns the stage-2 table: counts come from the map calls "
			"only, unchecked\n");
	if (r->tot.failed_vms)
		fprintf(f, "FAILED: device-memory map attempts the kernel refused (-j shows the "
			"attribute)\n");
	if (r->tot.mismatch_vms)
		fprintf(f, "MISMATCH: the VM's mappings and status files disagreed twice: report "
			"it with copies of both\n");
	if (r->eff) {
		size_t partial = 0, none = 0;

		for (size_t i = 0; i < s->n; i++) {
			if (s->vms[i].eff_missing || (s->vms[i].has_eff &&
						      s->vms[i].eff.result == S2_EFF_UNAVAILABLE))
				none++;
			else if (s->vms[i].has_eff && !s2_eff_complete(&s->vms[i]))
				partial++;
		}
		fprintf(f, "EFFECTIVE: the guest's own VFIO mappings with stage 2 (-E -m lists "
			"them)\n");
		if (partial)
			fprintf(f, "*: the guest's page tables were read in part (budget, or a root "
				"not current): more types may exist\n");
		if (none)
			fprintf(f, "?: no current translation root could be captured (-E -j says why); "
				"n/a: the module has no effective file\n");
	}
	if (s->vanished)
		fprintf(f, "%zu VM%s destroyed while being read %s skipped\n", s->vanished,
			s->vanished == 1 ? "" : "s", s->vanished == 1 ? "was" : "were");
	if (s->skipped_zero)
		fprintf(f, "%zu VM%s without device memory mapped not shown (-z)\n",
			s->skipped_zero, s->skipped_zero == 1 ? "" : "s");
}

void s2_print_vms(FILE *f, const struct s2_report *r, const struct s2_viewopt *o)
{
	const struct s2_snapshot *s = r->s;
	bool total = !o->tab.csv && o->tab.header;
	struct s2_table t;
	struct s2_row row;
	size_t i;

	if (!s->n && !s->listed && !o->tab.csv) {
		if (o->tab.header)
			fprintf(f, "no VMs tracked by kvm_s2stat %s (kernel %s)\n",
				s->version.module_version, s->stats.kernel);
		return;
	}
	s2_table_init(&t, vm_cols, VC_NR, &o->tab);
	for (i = 0; i < s->n + total; i++) {
		vm_row(&row, r, i, o);
		s2_table_measure(&t, &row);
	}
	s2_table_header(f, &t, vm_groups, sizeof(vm_groups) / sizeof(vm_groups[0]));
	for (i = 0; i < s->n + total; i++) {
		vm_row(&row, r, i, o);
		s2_table_row(f, &t, &row);
	}
	if (o->tab.csv || !o->tab.header)
		return;
	print_legend(f, r);
	if (o->prev)
		print_gone(f, s, o->prev->s);
}

/* ---- devices ---- */

enum { DC_BDF, DC_BAR, DC_DRIVER, DC_VM, DC_PID, DC_DOMAIN, DC_UUID, DC_CLASS, DC_ATTR,
       DC_PAGES, DC_SIZE, DC_REASON, DC_EFF, DC_NOTE, DC_NR };

static const struct s2_col dev_cols[DC_NR] = {
	[DC_BDF] = { "BDF", "bdf", S2_SHOW_ALL, false, false, 0, 0 },
	[DC_BAR] = { "BAR", "bar", S2_SHOW_ALL, true, false, 0, 0 },
	[DC_DRIVER] = { "DRIVER", "driver", S2_SHOW_ALL, false, false, 0, 0 },
	[DC_VM] = { "VM", "vm", S2_SHOW_ALL, false, false, 0, 0 },
	[DC_PID] = { "PID", "pid", S2_SHOW_CSV, false, false, 0, 0 },
	[DC_DOMAIN] = { "DOMAIN", "domain", S2_SHOW_ALL, false, true, 13, 0 },
	[DC_UUID] = { "UUID", "uuid", S2_SHOW_WIDE | S2_SHOW_CSV, false, false, 0, 0 },
	[DC_CLASS] = { "CLASS", "class", S2_SHOW_ALL, false, false, 0, 0 },
	[DC_ATTR] = { "ATTR", "attr", S2_SHOW_ALL, false, false, 0, 0 },
	[DC_PAGES] = { "PAGES", "pages", S2_SHOW_ALL, true, false, 0, 0 },
	[DC_SIZE] = { "SIZE", "bytes", S2_SHOW_ALL, true, false, 0, 0 },
	[DC_REASON] = { "REASON", "reason", S2_SHOW_WIDE | S2_SHOW_CSV, false, false, 0, 0 },
	[DC_EFF] = { "EFFECTIVE", "effective", S2_SHOW_ALL | S2_SHOW_OPT, false, false, 0, 0 },
	[DC_NOTE] = { "", "", S2_SHOW_TEXT, false, false, 0, 0 },
};

static void dev_row(struct s2_row *row, const struct s2_report *r, const struct s2_devrow *d,
		    const struct s2_viewopt *o)
{
	const struct s2_devrow *old = o->prev ? s2_find_devrow(o->prev, d) : NULL;
	uint64_t ps = r->s->stats.page_size;
	const char *none = o->tab.csv ? "" : "-";
	char b[16];

	s2_row_clear(row);
	if (d->has_bdf) {
		s2_cell(row, DC_BDF, "%s", s2_bdf_str(d->bdf, b));
		s2_cell(row, DC_BAR, "%d", d->bar);
	} else {
		s2_cell(row, DC_BDF, "%s", none);
		s2_cell(row, DC_BAR, "%s", none);
	}
	s2_cell(row, DC_DRIVER, "%s", strcmp(d->driver, "-") ? d->driver : none);
	s2_cell(row, DC_VM, "%s", d->vm->st.vm);
	s2_cell(row, DC_PID, "%" PRIu32, d->pid);
	domain_cell(row, DC_DOMAIN, d->vm, o->tab.csv, "-");
	uuid_cell(row, DC_UUID, d->vm, o->tab.csv);
	s2_cell(row, DC_CLASS, "%s", d->vfio ? S2_CLASS_VFIO : S2_CLASS_OTHER);
	s2_cell(row, DC_ATTR, "%s", attr_name(d->attr));
	num_cell(row, DC_PAGES, d->pages, o, old, old ? old->pages : 0);
	bytes_cell(row, DC_SIZE, s2_sat_mul(d->pages, ps), o, old,
		   old ? s2_sat_mul(old->pages, ps) : 0);
	s2_cell(row, DC_REASON, "%s", d->reason == S2_REASON_NR ? "mixed" :
		d->reason ? s2_reason_name(d->reason) : none);
	if (d->vfio && d->has_bdf)
		eff_cell(row, DC_EFF, d->vm, o->tab.csv, true, d->bdf, d->bar);
	else
		s2_cell(row, DC_EFF, "%s", none);
	if (o->prev && !old)
		s2_cell(row, DC_NOTE, "new");
}

/* Under the devices table: why each attribute shown was chosen, once per reason. */
static void print_reasons(FILE *f, const struct s2_report *r)
{
	bool seen[S2_REASON_NR] = { false };

	for (size_t i = 0; i < r->ndev; i++) {
		unsigned int k = r->dev[i].reason;

		if (!k || k >= S2_REASON_NR || seen[k])
			continue;
		seen[k] = true;
		fprintf(f, "why %s: %s\n", s2_reason_name(k), s2_reason_text(k));
	}
}

void s2_print_devices(FILE *f, const struct s2_report *r, const struct s2_viewopt *o)
{
	struct s2_table t;
	struct s2_row row;

	if (!r->ndev && !o->tab.csv) {
		if (o->tab.header)
			fprintf(f, "no device memory mapped in %s\n",
				r->s->n ? "the selected VMs" : "any VM");
		return;
	}
	s2_table_init(&t, dev_cols, DC_NR, &o->tab);
	for (size_t i = 0; i < r->ndev; i++) {
		dev_row(&row, r, &r->dev[i], o);
		s2_table_measure(&t, &row);
	}
	s2_table_header(f, &t, NULL, 0);
	for (size_t i = 0; i < r->ndev; i++) {
		dev_row(&row, r, &r->dev[i], o);
		s2_table_row(f, &t, &row);
	}
	if (!o->tab.csv && o->tab.header)
		print_reasons(f, r);
}

/* ---- mappings ---- */

enum { MC_VM, MC_PID, MC_DOMAIN, MC_IPA_S, MC_IPA_E, MC_PA_S, MC_PA_E, MC_PAGES, MC_LEVEL,
       MC_ATTR, MC_MEMATTR, MC_PERM, MC_CLASS, MC_BDF, MC_BAR, MC_DRIVER, MC_VIA, MC_REASON,
       MC_NR };

static const struct s2_col map_cols[MC_NR] = {
	[MC_VM] = { "VM", "vm", S2_SHOW_CSV, false, false, 0, 0 },
	[MC_PID] = { "PID", "pid", S2_SHOW_CSV, false, false, 0, 0 },
	[MC_DOMAIN] = { "DOMAIN", "domain", S2_SHOW_CSV, false, true, 0, 0 },
	[MC_IPA_S] = { "IPA_START", "ipa_start", S2_SHOW_ALL, false, false, 0, 0 },
	[MC_IPA_E] = { "IPA_END", "ipa_end", S2_SHOW_ALL, false, false, 0, 0 },
	[MC_PA_S] = { "PA_START", "pa_start", S2_SHOW_ALL, false, false, 0, 0 },
	[MC_PA_E] = { "PA_END", "pa_end", S2_SHOW_WIDE | S2_SHOW_CSV, false, false, 0, 0 },
	[MC_PAGES] = { "PAGES", "pages", S2_SHOW_ALL, true, false, 0, 0 },
	[MC_LEVEL] = { "LVL", "level", S2_SHOW_ALL, true, false, 0, 0 },
	[MC_ATTR] = { "ATTR", "attr", S2_SHOW_ALL, false, false, 0, 0 },
	[MC_MEMATTR] = { "MEMATTR", "memattr", S2_SHOW_WIDE | S2_SHOW_CSV, false, false, 0, 0 },
	[MC_PERM] = { "PERM", "perm", S2_SHOW_ALL, false, false, 0, 0 },
	[MC_CLASS] = { "CLASS", "class", S2_SHOW_ALL, false, false, 0, 0 },
	[MC_BDF] = { "BDF", "bdf", S2_SHOW_ALL, false, false, 0, 0 },
	[MC_BAR] = { "BAR", "bar", S2_SHOW_ALL, true, false, 0, 0 },
	[MC_DRIVER] = { "DRIVER", "driver", S2_SHOW_ALL, false, false, 0, 0 },
	[MC_VIA] = { "VIA", "via", S2_SHOW_ALL, false, false, 0, 0 },
	[MC_REASON] = { "REASON", "reason", S2_SHOW_ALL, false, false, 0, 0 },
};

/* Row @j of @vm's mappings. */
static void map_row(struct s2_row *row, const struct s2_vm *vm, size_t j,
		    const struct s2_viewopt *o)
{
	const struct s2_map *m = &vm->maps.v[j];
	const char *none = o->tab.csv ? "" : "-";
	char b[16], p[4];

	s2_row_clear(row);
	s2_cell(row, MC_VM, "%s", vm->st.vm);
	s2_cell(row, MC_PID, "%" PRIu32, vm->st.pid);
	domain_cell(row, MC_DOMAIN, vm, o->tab.csv, "");
	s2_cell(row, MC_IPA_S, "0x%016" PRIx64, m->ipa_start);
	s2_cell(row, MC_IPA_E, "0x%016" PRIx64, m->ipa_end);
	s2_cell(row, MC_PA_S, "0x%016" PRIx64, m->pa_start);
	s2_cell(row, MC_PA_E, "0x%016" PRIx64, m->pa_end);
	s2_cell(row, MC_PAGES, "%" PRIu64, m->pages);
	s2_cell(row, MC_LEVEL, "%d", m->level);
	s2_cell(row, MC_ATTR, "%s", attr_name(m->attr));
	s2_cell(row, MC_MEMATTR, "0x%x", m->memattr);
	s2_cell(row, MC_PERM, "%s", s2_perm_str(m->perm, p));
	s2_cell(row, MC_CLASS, "%s", m->vfio ? S2_CLASS_VFIO : S2_CLASS_OTHER);
	s2_cell(row, MC_BDF, "%s", m->has_bdf ? s2_bdf_str(m->bdf, b) : none);
	if (m->bar >= 0)
		s2_cell(row, MC_BAR, "%d", m->bar);
	else
		s2_cell(row, MC_BAR, "%s", none);
	s2_cell(row, MC_DRIVER, "%s", m->driver ? s2_map_driver(&vm->maps, m) : none);
	s2_cell(row, MC_VIA, "%s", m->via == S2_MAP_VIA_VMA ? "vma" :
		m->via == S2_MAP_VIA_PA ? "pa" : none);
	s2_cell(row, MC_REASON, "%s", m->reason ? s2_reason_name(m->reason) : none);
}

/* A per-VM title's start: "VM 1000-10 pid 1000 qemu-system-aar, domain db01" */
static void vm_title(FILE *f, const struct s2_vm *vm, bool first)
{
	char comm[S2_CELL], dom[S2_CELL];

	s2_text_safe(comm, sizeof(comm), vm->has_comm ? vm->comm : "?");
	fprintf(f, "%sVM %s pid %" PRIu32 " %s", first ? "" : "\n", vm->st.vm, vm->st.pid, comm);
	if (vm->id.has_domain) {
		s2_text_safe(dom, sizeof(dom), vm->id.domain);
		fprintf(f, ", domain %s", dom);
	}
}

/*
 * A view of one table per VM (mappings, effective): a title line per VM, then its rows,
 * the columns measured over every VM so that they line up from one VM to the next; CSV is
 * one table without titles.
 */
struct vm_tables {
	const struct s2_col *cols;
	unsigned int ncols;
	size_t (*nrows)(const struct s2_vm *vm);
	void (*row)(struct s2_row *row, const struct s2_vm *vm, size_t j,
		    const struct s2_viewopt *o);
	void (*title)(FILE *f, const struct s2_vm *vm, bool first);
};

static void print_vm_tables(FILE *f, const struct s2_report *r, const struct s2_viewopt *o,
			    const struct vm_tables *v)
{
	const struct s2_snapshot *s = r->s;
	struct s2_table t;
	struct s2_row row;
	size_t i, j;

	s2_table_init(&t, v->cols, v->ncols, &o->tab);
	for (i = 0; i < s->n; i++) {
		for (j = 0; j < v->nrows(&s->vms[i]); j++) {
			v->row(&row, &s->vms[i], j, o);
			s2_table_measure(&t, &row);
		}
	}
	if (o->tab.csv)
		s2_table_header(f, &t, NULL, 0);
	for (i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		if (!o->tab.csv) {
			v->title(f, vm, i == 0);
			if (v->nrows(vm))
				s2_table_header(f, &t, NULL, 0);
		}
		for (j = 0; j < v->nrows(vm); j++) {
			v->row(&row, vm, j, o);
			s2_table_row(f, &t, &row);
		}
	}
	if (!s->n && !o->tab.csv && o->tab.header)
		fprintf(f, "no VMs\n");
}

/* "VM 1000-10 pid 1000 qemu-system-aar, domain db01, uuid ...: 2 ranges (INEXACT)" */
static void map_title(FILE *f, const struct s2_vm *vm, bool first)
{
	vm_title(f, vm, first);
	if (vm->id.has_uuid)
		fprintf(f, ", uuid %s", vm->id.uuid);
	fprintf(f, ": %zu range%s%s\n", vm->maps.n, vm->maps.n == 1 ? "" : "s",
		vm->st.exact ? "" : " (INEXACT)");
}

static size_t map_nrows(const struct s2_vm *vm)
{
	return vm->has_maps ? vm->maps.n : 0;
}

void s2_print_mappings(FILE *f, const struct s2_report *r, const struct s2_viewopt *o)
{
	static const struct vm_tables v = {
		map_cols, MC_NR, map_nrows, map_row, map_title,
	};

	print_vm_tables(f, r, o, &v);
}

/* ---- --expect ---- */

enum { EC_VM, EC_DOMAIN, EC_BDF, EC_BAR, EC_IPA_S, EC_IPA_E, EC_ATTR, EC_PAGES, EC_NR };

static const struct s2_col exp_cols[EC_NR] = {
	[EC_VM] = { "VM", "vm", S2_SHOW_ALL, false, false, 0, 0 },
	[EC_DOMAIN] = { "DOMAIN", "domain", S2_SHOW_ALL, false, true, 13, 0 },
	[EC_BDF] = { "BDF", "bdf", S2_SHOW_ALL, false, false, 0, 0 },
	[EC_BAR] = { "BAR", "bar", S2_SHOW_ALL, true, false, 0, 0 },
	[EC_IPA_S] = { "IPA_START", "ipa_start", S2_SHOW_ALL, false, false, 0, 0 },
	[EC_IPA_E] = { "IPA_END", "ipa_end", S2_SHOW_ALL, false, false, 0, 0 },
	[EC_ATTR] = { "ATTR", "attr", S2_SHOW_ALL, false, false, 0, 0 },
	[EC_PAGES] = { "PAGES", "pages", S2_SHOW_ALL, true, false, 0, 0 },
};

static void exp_row(struct s2_row *row, const struct s2_violation *v, const struct s2_viewopt *o)
{
	char b[16];

	s2_row_clear(row);
	s2_cell(row, EC_VM, "%s", v->vm->st.vm);
	domain_cell(row, EC_DOMAIN, v->vm, o->tab.csv, "-");
	s2_cell(row, EC_BDF, "%s", s2_bdf_str(v->m->bdf, b));
	s2_cell(row, EC_BAR, "%d", v->m->bar);
	s2_cell(row, EC_IPA_S, "0x%016" PRIx64, v->m->ipa_start);
	s2_cell(row, EC_IPA_E, "0x%016" PRIx64, v->m->ipa_end);
	s2_cell(row, EC_ATTR, "%s", attr_name(v->m->attr));
	s2_cell(row, EC_PAGES, "%" PRIu64, v->m->pages);
}

void s2_print_expect(FILE *f, const struct s2_report *r, const struct s2_viewopt *o)
{
	const struct s2_expect_result *e = &r->exp;
	const struct s2_snapshot *s = r->s;
	struct s2_table t;
	struct s2_row row;

	for (size_t i = 0; i < s->n; i++)
		if (!s->vms[i].st.exact)
			fprintf(f, "note: VM %s is INEXACT: its mappings may be incomplete\n",
				s->vms[i].st.vm);
	switch (e->result) {
	case S2_EXPECT_NOTHING:
		if (!s->n) {
			fprintf(f, "nothing to check: no VMs\n");
			return;
		}
		fprintf(f, "nothing to check: no VFIO memory is mapped at stage 2 in the %zu "
			"selected VM%s\n", s->n, s->n == 1 ? "" : "s");
		fprintf(f, "(KVM maps a BAR only when the guest first touches it: check again once "
			"the guest's driver or workload uses the device)\n");
		return;
	case S2_EXPECT_OK:
		fprintf(f, "ok: all %zu VFIO mapping%s (%" PRIu64 " pages) in %zu VM%s are %s\n",
			e->checked, e->checked == 1 ? "" : "s", e->checked_pages, e->checked_vms,
			e->checked_vms == 1 ? "" : "s", attr_name((unsigned int)e->attr));
		return;
	case S2_EXPECT_VIOLATED:
	case S2_EXPECT_INCOMPLETE:	/* --expect wc only */
		break;
	}
	fprintf(f, "VFIO mappings that are not %s:\n", attr_name((unsigned int)e->attr));
	s2_table_init(&t, exp_cols, EC_NR, &o->tab);
	for (size_t i = 0; i < e->nv; i++) {
		exp_row(&row, &e->v[i], o);
		s2_table_measure(&t, &row);
	}
	s2_table_header(f, &t, NULL, 0);
	for (size_t i = 0; i < e->nv; i++) {
		exp_row(&row, &e->v[i], o);
		s2_table_row(f, &t, &row);
	}
}

/* ---- the guest's own mappings (-E -m) ---- */

enum { GC_VM, GC_PID, GC_DOMAIN, GC_HALF, GC_ROOT, GC_VA_S, GC_VA_E, GC_IPA_S, GC_SIZE, GC_S1,
       GC_MAIR, GC_S2, GC_MEMATTR, GC_STAGE2, GC_EFF, GC_CLASS, GC_BDF, GC_BAR, GC_NR };

static const struct s2_col eff_cols[GC_NR] = {
	[GC_VM] = { "VM", "vm", S2_SHOW_CSV, false, false, 0, 0 },
	[GC_PID] = { "PID", "pid", S2_SHOW_CSV, false, false, 0, 0 },
	[GC_DOMAIN] = { "DOMAIN", "domain", S2_SHOW_CSV, false, true, 0, 0 },
	[GC_HALF] = { "HALF", "half", S2_SHOW_ALL, false, false, 0, 0 },
	[GC_ROOT] = { "ROOT", "root", S2_SHOW_ALL, false, false, 0, 0 },
	[GC_VA_S] = { "VA_START", "va_start", S2_SHOW_ALL, false, false, 0, 0 },
	[GC_VA_E] = { "VA_END", "va_end", S2_SHOW_WIDE | S2_SHOW_CSV, false, false, 0, 0 },
	[GC_IPA_S] = { "IPA_START", "ipa_start", S2_SHOW_ALL, false, false, 0, 0 },
	[GC_SIZE] = { "SIZE", "bytes", S2_SHOW_ALL, true, false, 0, 0 },
	[GC_S1] = { "STAGE1", "s1", S2_SHOW_ALL, false, false, 0, 0 },
	[GC_MAIR] = { "MAIR", "mair", S2_SHOW_WIDE | S2_SHOW_CSV, false, false, 0, 0 },
	[GC_S2] = { "STAGE2", "s2", S2_SHOW_ALL, false, false, 0, 0 },
	[GC_MEMATTR] = { "MEMATTR", "memattr", S2_SHOW_WIDE | S2_SHOW_CSV, false, false, 0, 0 },
	[GC_STAGE2] = { "S2_STATE", "stage2", S2_SHOW_ALL, false, false, 0, 0 },
	[GC_EFF] = { "EFFECTIVE", "effective", S2_SHOW_ALL, false, false, 0, 0 },
	[GC_CLASS] = { "CLASS", "class", S2_SHOW_WIDE | S2_SHOW_CSV, false, false, 0, 0 },
	[GC_BDF] = { "BDF", "bdf", S2_SHOW_ALL, false, false, 0, 0 },
	[GC_BAR] = { "BAR", "bar", S2_SHOW_ALL, true, false, 0, 0 },
};

static const char *mt_or_dash(uint8_t mt, const char *none)
{
	return mt < S2_MT_NR ? s2_mt_name(mt) : none;
}

/* Row @j of @vm's guest mappings. */
static void eff_row_cells(struct s2_row *row, const struct s2_vm *vm, size_t j,
			  const struct s2_viewopt *o)
{
	const struct s2_eff_row *w = &vm->eff.v[j];
	const char *none = o->tab.csv ? "" : "-";
	char b[24];

	s2_row_clear(row);
	s2_cell(row, GC_VM, "%s", vm->st.vm);
	s2_cell(row, GC_PID, "%" PRIu32, vm->st.pid);
	domain_cell(row, GC_DOMAIN, vm, o->tab.csv, "");
	s2_cell(row, GC_HALF, "%s", w->user ? "user" : "kernel");
	s2_cell(row, GC_ROOT, "%s", vm->eff.roots[w->root].id);
	s2_cell(row, GC_VA_S, "0x%016" PRIx64, w->va_start);
	s2_cell(row, GC_VA_E, "0x%016" PRIx64, w->va_end);
	s2_cell(row, GC_IPA_S, "0x%016" PRIx64, w->ipa_start);
	if (o->raw || o->tab.csv)
		s2_cell(row, GC_SIZE, "%" PRIu64, w->va_end - w->va_start);
	else
		s2_cell(row, GC_SIZE, "%s", s2_human_bytes(w->va_end - w->va_start, b));
	s2_cell(row, GC_S1, "%s", s2_mt_name(w->s1));
	s2_cell(row, GC_MAIR, "0x%02x", w->mair);
	s2_cell(row, GC_S2, "%s", mt_or_dash(w->s2, none));
	if (w->memattr <= 0xf)
		s2_cell(row, GC_MEMATTR, "0x%x", w->memattr);
	else
		s2_cell(row, GC_MEMATTR, "%s", none);
	s2_cell(row, GC_STAGE2, "%s", w->mapped ? "mapped" : "pending");
	s2_cell(row, GC_EFF, "%s", mt_or_dash(w->eff, none));
	s2_cell(row, GC_CLASS, "%s", w->cls == 0 ? S2_CLASS_VFIO : w->cls == 1 ? S2_CLASS_OTHER :
		none);
	s2_cell(row, GC_BDF, "%s", w->has_bdf ? s2_bdf_str(w->bdf, b) : none);
	if (w->bar >= 0)
		s2_cell(row, GC_BAR, "%d", w->bar);
	else
		s2_cell(row, GC_BAR, "%s", none);
}

/* "VM 1000-10 pid 1000 qemu-system-aar, domain db01: effective ok, kernel half ok, ..." */
static void eff_title(FILE *f, const struct s2_vm *vm, bool first)
{
	const struct s2_effective *e = &vm->eff;

	vm_title(f, vm, first);
	if (vm->eff_missing) {
		fprintf(f, ": no effective file (the kvm_s2stat module is older than this "
			"kvm-s2stat)\n");
		return;
	}
	if (!vm->has_eff)
		return;
	if (e->result == S2_EFF_UNAVAILABLE) {
		fprintf(f, ": effective unavailable (%s)\n", e->reason[0] ? e->reason : "?");
		return;
	}
	fprintf(f, ": effective %s; kernel half %s, user half %s (best effort: %" PRIu64
		" root%s, %" PRIu64 " stale, seen %" PRIu64 " ms ago); %zu guest mapping%s\n",
		s2_eff_results[e->result], s2_half_names[e->kernel_half],
		s2_half_names[e->user_half], e->val[S2_EKEY_USER_ROOTS],
		e->val[S2_EKEY_USER_ROOTS] == 1 ? "" : "s", e->val[S2_EKEY_USER_ROOTS_STALE],
		e->val[S2_EKEY_USER_ROOT_AGE_MS], e->n, e->n == 1 ? "" : "s");
}

static size_t eff_nrows(const struct s2_vm *vm)
{
	return vm->has_eff ? vm->eff.n : 0;
}

void s2_print_effective(FILE *f, const struct s2_report *r, const struct s2_viewopt *o)
{
	static const struct vm_tables v = {
		eff_cols, GC_NR, eff_nrows, eff_row_cells, eff_title,
	};

	print_vm_tables(f, r, o, &v);
}

/* ---- --expect wc ---- */

enum { WC_VM, WC_DOMAIN, WC_HALF, WC_VA_S, WC_VA_E, WC_BDF, WC_BAR, WC_S1, WC_S2, WC_STAGE2,
       WC_EFF, WC_SIZE, WC_NR };

static const struct s2_col wc_cols[WC_NR] = {
	[WC_VM] = { "VM", "vm", S2_SHOW_ALL, false, false, 0, 0 },
	[WC_DOMAIN] = { "DOMAIN", "domain", S2_SHOW_ALL, false, true, 13, 0 },
	[WC_HALF] = { "HALF", "half", S2_SHOW_ALL, false, false, 0, 0 },
	[WC_VA_S] = { "VA_START", "va_start", S2_SHOW_ALL, false, false, 0, 0 },
	[WC_VA_E] = { "VA_END", "va_end", S2_SHOW_ALL, false, false, 0, 0 },
	[WC_BDF] = { "BDF", "bdf", S2_SHOW_ALL, false, false, 0, 0 },
	[WC_BAR] = { "BAR", "bar", S2_SHOW_ALL, true, false, 0, 0 },
	[WC_S1] = { "STAGE1", "s1", S2_SHOW_ALL, false, false, 0, 0 },
	[WC_S2] = { "STAGE2", "s2", S2_SHOW_ALL, false, false, 0, 0 },
	[WC_STAGE2] = { "S2_STATE", "stage2", S2_SHOW_ALL, false, false, 0, 0 },
	[WC_EFF] = { "EFFECTIVE", "effective", S2_SHOW_ALL, false, false, 0, 0 },
	[WC_SIZE] = { "SIZE", "bytes", S2_SHOW_ALL, true, false, 0, 0 },
};

static void wc_row(struct s2_row *row, const struct s2_wc_violation *v, const struct s2_viewopt *o)
{
	const struct s2_eff_row *w = v->w;
	char b[24];

	s2_row_clear(row);
	s2_cell(row, WC_VM, "%s", v->vm->st.vm);
	domain_cell(row, WC_DOMAIN, v->vm, o->tab.csv, "-");
	s2_cell(row, WC_HALF, "%s", w->user ? "user" : "kernel");
	s2_cell(row, WC_VA_S, "0x%016" PRIx64, w->va_start);
	s2_cell(row, WC_VA_E, "0x%016" PRIx64, w->va_end);
	s2_cell(row, WC_BDF, "%s", s2_bdf_str(w->bdf, b));
	s2_cell(row, WC_BAR, "%d", w->bar);
	s2_cell(row, WC_S1, "%s", s2_mt_name(w->s1));
	s2_cell(row, WC_S2, "%s", mt_or_dash(w->s2, "-"));
	s2_cell(row, WC_STAGE2, "%s", w->mapped ? "mapped" : "pending");
	s2_cell(row, WC_EFF, "%s", mt_or_dash(w->eff, "-"));
	if (o->raw)
		s2_cell(row, WC_SIZE, "%" PRIu64, w->va_end - w->va_start);
	else
		s2_cell(row, WC_SIZE, "%s", s2_human_bytes(w->va_end - w->va_start, b));
}

void s2_print_expect_wc(FILE *f, const struct s2_report *r, const struct s2_viewopt *o)
{
	const struct s2_wc_result *e = &r->wc;
	const struct s2_snapshot *s = r->s;
	struct s2_table t;
	struct s2_row row;
	char b[16];

	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		if (vm->eff_missing)
			fprintf(f, "note: VM %s: the kvm_s2stat module has no effective file\n",
				vm->st.vm);
		else if (vm->has_eff && vm->eff.result == S2_EFF_UNAVAILABLE)
			fprintf(f, "note: VM %s: its guest's mappings could not be read (%s)\n",
				vm->st.vm, vm->eff.reason[0] ? vm->eff.reason : "?");
		else if (!s2_eff_complete(vm))
			fprintf(f, "note: VM %s: its guest's page tables were read in part\n",
				vm->st.vm);
	}
	switch (e->result) {
	case S2_EXPECT_NOTHING:
		fprintf(f, "nothing to check: no guest mapping of VFIO memory for write-combining "
			"(stage 1 Normal-NC) seen in the %zu selected VM%s\n", s->n,
			s->n == 1 ? "" : "s");
		return;
	case S2_EXPECT_OK:
	case S2_EXPECT_INCOMPLETE:
		fprintf(f, "%s: all %zu write-combining guest mapping%s of VFIO memory (%s) in %zu "
			"VM%s %s effectively NORMAL_NC%s\n",
			e->result == S2_EXPECT_OK ? "ok" : "incomplete", e->checked,
			e->checked == 1 ? "" : "s", s2_human_bytes(e->checked_bytes, b),
			e->checked_vms, e->checked_vms == 1 ? "" : "s",
			e->checked == 1 ? "is" : "are",
			e->result == S2_EXPECT_OK ? "" : ", but not every guest was read whole");
		return;
	case S2_EXPECT_VIOLATED:
		break;
	}
	fprintf(f, "write-combining guest mappings (stage 1 NORMAL_NC) of VFIO memory that are "
		"not effectively NORMAL_NC:\n");
	s2_table_init(&t, wc_cols, WC_NR, &o->tab);
	for (size_t i = 0; i < e->nv; i++) {
		wc_row(&row, &e->v[i], o);
		s2_table_measure(&t, &row);
	}
	s2_table_header(f, &t, NULL, 0);
	for (size_t i = 0; i < e->nv; i++) {
		wc_row(&row, &e->v[i], o);
		s2_table_row(f, &t, &row);
	}
}

/* ---- --verify ---- */

enum { YC_VM, YC_NAME, YC_RESULT, YC_DIFF, YC_TABLE, YC_TRACKED, YC_NR };

static const struct s2_col ver_cols[YC_NR] = {
	[YC_VM] = { "VM", "vm", S2_SHOW_ALL, false, false, 0, 0 },
	[YC_NAME] = { "NAME", "name", S2_SHOW_ALL, false, true, 17, 0 },
	[YC_RESULT] = { "RESULT", "result", S2_SHOW_ALL, false, false, 0, 11 },
	[YC_DIFF] = { "DIFFERENCES", "differences", S2_SHOW_ALL, true, false, 0, 0 },
	[YC_TABLE] = { "TABLE_PAGES", "table_device_pages", S2_SHOW_ALL, true, false, 0, 0 },
	[YC_TRACKED] = { "TRACKED_PAGES", "tracked_device_pages", S2_SHOW_ALL, true, false, 0, 0 },
};

static void ver_row(struct s2_row *row, const struct s2_vm *vm)
{
	char b[S2_CELL];

	s2_row_clear(row);
	s2_cell(row, YC_VM, "%s", vm->st.vm);
	s2_cell(row, YC_NAME, "%s", s2_vm_display_name(vm, b));
	s2_cell(row, YC_RESULT, "%s", s2_verify_results[vm->ver.result]);
	s2_cell(row, YC_DIFF, "%" PRIu64, vm->ver.differences);
	if (vm->ver.has[S2_VKEY_TABLE_DEVICE_PAGES])
		s2_cell(row, YC_TABLE, "%" PRIu64, vm->ver.val[S2_VKEY_TABLE_DEVICE_PAGES]);
	else
		s2_cell(row, YC_TABLE, "-");
	if (vm->ver.has[S2_VKEY_TRACKED_DEVICE_PAGES])
		s2_cell(row, YC_TRACKED, "%" PRIu64, vm->ver.val[S2_VKEY_TRACKED_DEVICE_PAGES]);
	else
		s2_cell(row, YC_TRACKED, "-");
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

void s2_print_verify(FILE *f, const struct s2_report *r, const struct s2_viewopt *o)
{
	const struct s2_snapshot *s = r->s;
	struct s2_table t;
	struct s2_row row;

	s2_table_init(&t, ver_cols, YC_NR, &o->tab);
	for (size_t i = 0; i < s->n; i++) {
		if (!s->vms[i].has_verify)
			continue;
		ver_row(&row, &s->vms[i]);
		s2_table_measure(&t, &row);
	}
	s2_table_header(f, &t, NULL, 0);
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		if (!vm->has_verify)
			continue;
		ver_row(&row, vm);
		s2_table_row(f, &t, &row);
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
	if (!s->n && o->tab.header)
		fprintf(f, "no VMs\n");
}

/* ---- log mode ---- */

enum { LC_TIME, LC_VMS, LC_DEV, LC_NC, LC_NORMAL, LC_OTHER, LC_BYTES, LC_INEXACT, LC_FAILED,
       LC_NR };

static const struct s2_col log_cols[LC_NR] = {
	[LC_TIME] = { "TIME", "time", S2_SHOW_ALL, false, false, 0, 19 },
	[LC_VMS] = { "VMS", "vms", S2_SHOW_ALL, true, false, 0, 4 },
	[LC_DEV] = { "DEVICE", "vfio_device_pages", S2_SHOW_ALL, true, false, 0, 6 },
	[LC_NC] = { "NC", "vfio_nc_pages", S2_SHOW_ALL, true, false, 0, 6 },
	[LC_NORMAL] = { "NORMAL", "vfio_normal_pages", S2_SHOW_ALL, true, false, 0, 6 },
	[LC_OTHER] = { "OTHER", "other_pages", S2_SHOW_ALL, true, false, 0, 6 },
	[LC_BYTES] = { "BYTES", "vfio_bytes", S2_SHOW_ALL, true, false, 0, 8 },
	[LC_INEXACT] = { "INEXACT", "inexact_vms", S2_SHOW_ALL, true, false, 0, 0 },
	[LC_FAILED] = { "FAILED", "failed_maps", S2_SHOW_ALL, true, false, 0, 0 },
};

static const struct s2_group log_groups[] = {
	{ LC_DEV, LC_NORMAL, "VFIO pages" },
	{ LC_BYTES, LC_BYTES, "VFIO" },
};

void s2_log_init(struct s2_log *l, const struct s2_viewopt *o)
{
	struct s2_tabopt to = o->tab;

	to.header = true;	/* header widths, even when the header is not printed */
	memset(l, 0, sizeof(*l));
	s2_table_init(&l->t, log_cols, LC_NR, &to);
	l->t.o.header = o->tab.header;
}

bool s2_log_line(FILE *f, struct s2_log *l, const struct s2_report *r,
		 const struct s2_viewopt *o, bool skip_zero)
{
	const struct s2_totals *tot = &r->tot;
	uint64_t other = 0, failed = 0;
	struct s2_row row;
	struct tm tm;
	bool banner;

	for (int a = 0; a < S2_ATTR_NR; a++) {
		other = s2_sat_add(other, tot->c.other[a]);
		failed = s2_sat_add(failed, tot->failed[a]);
	}
	if (skip_zero && !other && !failed && !tot->c.vfio[0] && !tot->c.vfio[1] &&
	    !tot->c.vfio[2])
		return false;
	s2_row_clear(&row);
	localtime_r(&r->s->when.tv_sec, &tm);
	strftime(row.c[LC_TIME], S2_CELL, o->tab.csv ? "%Y-%m-%dT%H:%M:%S%z" :
		 "%Y-%m-%dT%H:%M:%S", &tm);
	s2_cell(&row, LC_VMS, "%zu", tot->vms);
	for (int a = 0; a < S2_ATTR_NR; a++)
		s2_cell(&row, LC_DEV + a, "%" PRIu64, tot->c.vfio[a]);
	s2_cell(&row, LC_OTHER, "%" PRIu64, other);
	bytes_cell(&row, LC_BYTES, tot->vfio_bytes, &(struct s2_viewopt){ o->tab, o->raw, NULL },
		   false, 0);
	s2_cell(&row, LC_INEXACT, "%zu", tot->inexact_vms);
	s2_cell(&row, LC_FAILED, "%" PRIu64, failed);
	s2_table_measure(&l->t, &row);
	banner = o->tab.csv ? l->lines == 0 : l->lines % S2_LOG_BANNER == 0;
	if (banner)
		s2_table_header(f, &l->t, log_groups, sizeof(log_groups) / sizeof(log_groups[0]));
	s2_table_row(f, &l->t, &row);
	l->lines++;
	return true;
}
