// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: Prometheus text exposition format 0.0.4 (s2prom.h, docs/prometheus.md).
 * Counters are typed counter and end in _total, sizes are in bytes, every metric has its
 * own HELP, and every per-VM series carries vm, pid, domain and uuid.
 */
#include <inttypes.h>
#include <string.h>

#include "s2ident.h"
#include "s2prom.h"
#include "version.h"

void s2_prom_label_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	fputc('"', f);
	while (i < n) {
		uint32_t cp;
		size_t l = s2_utf8_decode(p + i, n - i, &cp);

		if (!l) {
			fputc('?', f);
			i++;
			continue;
		}
		if (cp == '\\')
			fputs("\\\\", f);
		else if (cp == '"')
			fputs("\\\"", f);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			fputc('?', f);
		else
			fwrite(p + i, 1, l, f);
		i += l;
	}
	fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label(FILE *f, bool first, const char *name, const char *value)
{
	fprintf(f, "%s%s=", first ? "" : ",", name);
	s2_prom_label_value(f, value);
}

/* name{vm="..",pid="..",domain="..",uuid=".." (no closing brace) */
static void vm_series(FILE *f, const char *name, const struct s2_vm *vm)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%" PRIu32, vm->st.pid);
	fprintf(f, "%s{", name);
	label(f, true, "vm", vm->st.vm);
	label(f, false, "pid", pid);
	label(f, false, "domain", vm->id.has_domain ? vm->id.domain : "");
	label(f, false, "uuid", vm->id.has_uuid ? vm->id.uuid : "");
}

/* The module's stats: name (after kvm_s2stat_module_), type and help of each. */
static const struct {
	const char *name, *type, *help;
} stat_metric[S2_STAT_NR] = {
	[S2_STAT_VMS] = { "vms", "gauge", "VMs the module tracks." },
	[S2_STAT_VMS_SEEN] = { "vms_seen_total", "counter",
			       "VMs tracked since the module loaded (created or discovered)." },
	[S2_STAT_VMS_GONE] = { "vms_gone_total", "counter",
			       "VM destructions the module observed since it loaded." },
	[S2_STAT_PROBE_MAP] = { "probe_map_total", "counter",
				"kvm_pgtable_stage2_map calls seen." },
	[S2_STAT_PROBE_MAP_DEVICE] = { "probe_map_device_total", "counter",
				       "Stage-2 map calls that mapped device memory." },
	[S2_STAT_PROBE_MAP_FAILED] = { "probe_map_failed_total", "counter",
				       "Device-memory stage-2 map calls that failed (not -EAGAIN)." },
	[S2_STAT_PROBE_UNMAP] = { "probe_unmap_total", "counter",
				  "Stage-2 unmap calls seen, teardown ranges included." },
	[S2_STAT_PROBE_PERM] = { "probe_perm_total", "counter",
				 "Stage-2 permission changes seen (relax, wrprotect)." },
	[S2_STAT_PROBE_DESTROY] = { "probe_destroy_total", "counter",
				    "Stage-2 table teardowns seen." },
	[S2_STAT_PROBE_MISSED] = { "probe_missed_total", "counter",
				   "Events the kprobe or fprobe layer could not deliver; any makes "
				   "every VM inexact." },
	[S2_STAT_DROPS] = { "drops_total", "counter",
			    "Events the module dropped (allocation budget or failure)." },
	[S2_STAT_RANGES] = { "ranges", "gauge", "Tracked ranges alive, all VMs." },
	[S2_STAT_RANGES_MAX] = { "ranges_max", "gauge",
				 "The module's range budget (max_ranges parameter)." },
	[S2_STAT_LIVE_OBJECTS] = { "live_objects", "gauge",
				   "Module objects alive (VMs, ranges, range tables)." },
	[S2_STAT_BYTES_HELD] = { "held_bytes", "gauge",
				 "Memory the module holds for tracking." },
	[S2_STAT_PCI_BARS] = { "pci_bars", "gauge", "PCI memory BARs the module knows." },
	[S2_STAT_VFIO_BARS] = { "vfio_bars", "gauge",
				"PCI memory BARs of devices bound to a vfio driver." },
	[S2_STAT_RESYNCS] = { "resyncs_total", "counter",
			      "Table walks that rebuilt a VM's tracked state." },
	[S2_STAT_WALK_MAX_LOCK_HOLD_US] = { "walk_max_lock_hold_seconds", "gauge",
					    "Longest time one walk chunk held a VM's mmu_lock "
					    "since the module loaded." },
};

static void print_module(FILE *f, const struct s2_snapshot *s)
{
	char fmt[16];

	head(f, "kvm_s2stat_info", "gauge", "Versions of the kvm-s2stat CLI and the kvm_s2stat "
	     "module, the kernel and KVM's mode (value 1).");
	snprintf(fmt, sizeof(fmt), "%u", s->version.format);
	fputs("kvm_s2stat_info{", f);
	label(f, true, "cli_version", KVM_S2STAT_VERSION);
	label(f, false, "module_version", s->version.module_version);
	label(f, false, "format", fmt);
	label(f, false, "kernel", s->stats.kernel);
	label(f, false, "kvm_mode", s->stats.kvm_mode);
	label(f, false, "fwb", s->stats.fwb ? "1" : "0");
	label(f, false, "map_hook", s->stats.map_hook);
	fputs("} 1\n", f);

	head(f, "kvm_s2stat_page_size_bytes", "gauge", "Host page size (the stage-2 granule).");
	fprintf(f, "kvm_s2stat_page_size_bytes %" PRIu64 "\n", s->stats.page_size);

	for (size_t i = 0; i < S2_STAT_NR; i++) {
		char name[64];
		uint64_t v = s->stats.val[i];

		if (!s->stats.has[i])
			continue;
		snprintf(name, sizeof(name), "kvm_s2stat_module_%s", stat_metric[i].name);
		head(f, name, stat_metric[i].type, stat_metric[i].help);
		if (i == S2_STAT_WALK_MAX_LOCK_HOLD_US)	/* base unit: seconds */
			fprintf(f, "%s %" PRIu64 ".%06" PRIu64 "\n", name, v / 1000000, v % 1000000);
		else
			fprintf(f, "%s %" PRIu64 "\n", name, v);
	}
}

static void print_vms(FILE *f, const struct s2_snapshot *s)
{
	static const char *const cls[2] = { S2_CLASS_VFIO, S2_CLASS_OTHER };
	uint64_t ps = s->stats.page_size;
	size_t i;

	head(f, "kvm_s2stat_vms", "gauge", "VMs reported (after the -p/-g/--vm/--bdf/-z "
	     "selection).");
	fprintf(f, "kvm_s2stat_vms %zu\n", s->n);

	head(f, "kvm_s2stat_vm_info", "gauge", "One series per VM: its VMM's command name, the "
	     "guest name (domain) and UUID its command line gives, the VMM kind, and how the "
	     "module found it (value 1).");
	for (i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];
		const char *vmm = s2_vmm_names[vm->id.vmm < S2_VMM_NR ? vm->id.vmm : 0];

		vm_series(f, "kvm_s2stat_vm_info", vm);
		label(f, false, "comm", vm->has_comm ? vm->comm : "");
		label(f, false, "vmm", vmm ? vmm : "");
		label(f, false, "found", vm->st.load ? "load" : "fault");
		fputs("} 1\n", f);
	}

	head(f, "kvm_s2stat_vm_mapped_bytes", "gauge", "Device memory the VM has mapped at stage "
	     "2, by class (vfio: a BAR of a vfio-bound device; other) and stage-2 attribute.");
	for (i = 0; i < s->n; i++) {
		for (int c = 0; c < 2; c++) {
			const uint64_t *v = c ? s->vms[i].st.c.other : s->vms[i].st.c.vfio;

			for (unsigned int a = 0; a < S2_ATTR_NR; a++) {
				vm_series(f, "kvm_s2stat_vm_mapped_bytes", &s->vms[i]);
				label(f, false, "class", cls[c]);
				label(f, false, "attr", s2_attr_name(a));
				fprintf(f, "} %" PRIu64 "\n", s2_sat_mul(v[a], ps));
			}
		}
	}

	head(f, "kvm_s2stat_vm_exact", "gauge", "1 when the VM's tracked state equals its "
	     "stage-2 table, 0 when inexact (events dropped, resync pending).");
	for (i = 0; i < s->n; i++) {
		vm_series(f, "kvm_s2stat_vm_exact", &s->vms[i]);
		fprintf(f, "} %d\n", s->vms[i].st.exact);
	}

	head(f, "kvm_s2stat_vm_failed_maps_total", "counter", "Device-memory stage-2 map "
	     "attempts the kernel refused, by the attribute requested.");
	for (i = 0; i < s->n; i++) {
		for (unsigned int a = 0; a < S2_ATTR_NR; a++) {
			vm_series(f, "kvm_s2stat_vm_failed_maps_total", &s->vms[i]);
			label(f, false, "attr", s2_attr_name(a));
			fprintf(f, "} %" PRIu64 "\n", s->vms[i].st.failed[a]);
		}
	}

	head(f, "kvm_s2stat_vm_drops_total", "counter", "Events the module dropped for the VM.");
	for (i = 0; i < s->n; i++) {
		vm_series(f, "kvm_s2stat_vm_drops_total", &s->vms[i]);
		fprintf(f, "} %" PRIu64 "\n", s->vms[i].st.drops);
	}

	head(f, "kvm_s2stat_vm_resyncs_total", "counter", "Table walks that rebuilt the VM's "
	     "tracked state.");
	for (i = 0; i < s->n; i++) {
		vm_series(f, "kvm_s2stat_vm_resyncs_total", &s->vms[i]);
		fprintf(f, "} %" PRIu64 "\n", s->vms[i].st.resyncs);
	}
}

static void print_devices(FILE *f, const struct s2_report *r)
{
	uint64_t ps = r->s->stats.page_size;

	head(f, "kvm_s2stat_device_mapped_bytes", "gauge", "Device memory mapped at stage 2 per "
	     "VM, PCI device (bdf) and BAR, class and attribute; bdf, bar and driver are empty "
	     "for memory outside PCI BARs or without a driver.");
	for (size_t i = 0; i < r->ndev; i++) {
		const struct s2_devrow *d = &r->dev[i];
		char b[16], bar[8];

		snprintf(bar, sizeof(bar), "%d", d->bar);
		vm_series(f, "kvm_s2stat_device_mapped_bytes", d->vm);
		label(f, false, "bdf", d->has_bdf ? s2_bdf_str(d->bdf, b) : "");
		label(f, false, "bar", d->bar >= 0 ? bar : "");
		label(f, false, "driver", strcmp(d->driver, "-") ? d->driver : "");
		label(f, false, "class", d->vfio ? S2_CLASS_VFIO : S2_CLASS_OTHER);
		label(f, false, "attr", s2_attr_name(d->attr));
		fprintf(f, "} %" PRIu64 "\n", s2_sat_mul(d->pages, ps));
	}
}

/* Two rows of the same series (labels) are added up. */
static bool same_series(const struct s2_eff_row *a, const struct s2_eff_row *b)
{
	return a->user == b->user && a->has_bdf == b->has_bdf && a->bdf == b->bdf &&
	       a->bar == b->bar && a->cls == b->cls && a->s1 == b->s1 && a->s2 == b->s2 &&
	       a->mapped == b->mapped && a->eff == b->eff;
}

static const char *mt_label(uint8_t mt)
{
	return mt < S2_MT_NR ? s2_mt_name(mt) : "";
}

static void print_effective(FILE *f, const struct s2_snapshot *s)
{
	head(f, "kvm_s2stat_vm_effective_info", "gauge", "One series per VM whose guest "
	     "mappings were read (-E): the result (ok, partial, unavailable; unsupported by the "
	     "module), and how its kernel and user halves were read (value 1).");
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		vm_series(f, "kvm_s2stat_vm_effective_info", vm);
		label(f, false, "result", vm->eff_missing ? "unsupported" :
		      s2_eff_results[vm->has_eff ? vm->eff.result : S2_EFF_UNAVAILABLE]);
		label(f, false, "kernel_half", vm->has_eff ? s2_half_names[vm->eff.kernel_half] :
		      "");
		label(f, false, "user_half", vm->has_eff ? s2_half_names[vm->eff.user_half] : "");
		fputs("} 1\n", f);
	}
	head(f, "kvm_s2stat_guest_mapped_bytes", "gauge", "Device memory the guest maps in its "
	     "own page tables, per half (kernel, user), PCI device, stage-1 type, stage-2 state "
	     "(mapped, or pending: the type its first touch gets) and type, and the effective type "
	     "of the two combined (NORMAL_NC: write-combining works).");
	for (size_t i = 0; i < s->n; i++) {
		const struct s2_vm *vm = &s->vms[i];

		for (size_t j = 0; vm->has_eff && j < vm->eff.n; j++) {
			const struct s2_eff_row *w = &vm->eff.v[j];
			uint64_t bytes = 0;
			char b[16], bar[8];
			size_t k;

			for (k = 0; k < j; k++)
				if (same_series(&vm->eff.v[k], w))
					break;
			if (k < j)
				continue;	/* added up with its first row */
			for (k = j; k < vm->eff.n; k++)
				if (same_series(&vm->eff.v[k], w))
					bytes = s2_sat_add(bytes, vm->eff.v[k].va_end -
								  vm->eff.v[k].va_start);
			snprintf(bar, sizeof(bar), "%d", w->bar);
			vm_series(f, "kvm_s2stat_guest_mapped_bytes", vm);
			label(f, false, "half", w->user ? "user" : "kernel");
			label(f, false, "bdf", w->has_bdf ? s2_bdf_str(w->bdf, b) : "");
			label(f, false, "bar", w->bar >= 0 ? bar : "");
			label(f, false, "class", w->cls == 0 ? S2_CLASS_VFIO :
			      w->cls == 1 ? S2_CLASS_OTHER : "");
			label(f, false, "s1", mt_label(w->s1));
			label(f, false, "stage2", w->mapped ? "mapped" : "pending");
			label(f, false, "s2", mt_label(w->s2));
			label(f, false, "effective", mt_label(w->eff));
			fprintf(f, "} %" PRIu64 "\n", bytes);
		}
	}
}

void s2_print_prometheus(FILE *f, const struct s2_report *r)
{
	print_module(f, r->s);
	print_vms(f, r->s);
	print_devices(f, r);
	if (r->eff)
		print_effective(f, r->s);
}
