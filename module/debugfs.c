// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat presentation: /sys/kernel/debug/kvm_s2stat/.
 *
 * The format is specified in docs/debugfs.md; names and column headers are shared with the
 * CLI through include/kvm_s2stat/format.h.  Readers first settle the VMs they show (pending
 * maps are read back from the tables), so what they print equals the tables.  Files hold a
 * reference on the VM object while open, and one on the struct kvm only while they walk its
 * table: an open file does not keep a destroyed VM alive.  Nothing is sized by the guest:
 * mappings and table stream through seq_file with an IPA cursor, verify's report is bounded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <asm/cpufeature.h>

#include <kvm_s2stat/format.h>

#include "attrib.h"
#include "compat.h"
#include "debugfs.h"
#include "discover.h"
#include "effective.h"
#include "hooks.h"
#include "leaf.h"
#include "lifecycle.h"
#include "s2stat.h"
#include "verify.h"
#include "vm.h"

#define S2_TABLE_BATCH	64
#define S2_TABLE_STEPS	512

static struct dentry *s2_root;

static const char * const s2_state_names[] = {
	[S2_ST_EXACT] = S2_STATE_EXACT,
	[S2_ST_INEXACT] = S2_STATE_INEXACT,
	[S2_ST_UNWALKABLE] = S2_STATE_UNWALKABLE,
};

/* ---- root files ---- */

/**
 * DOC: version
 *
 * One line: ``kvm_s2stat <module version> format <N>``.
 */
static int s2_version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "kvm_s2stat %s format %d\n", S2STAT_VERSION, S2_FORMAT_VERSION);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(s2_version);

/* Memory the module holds for tracking: VM objects, nodes and the BAR table. */
static size_t s2_bytes_held(void)
{
	return (size_t)atomic_read(&s2_stats.ranges) * sizeof(struct s2_range) +
	       (size_t)atomic_read(&s2_stats.vms) * sizeof(struct s2_vm) + s2_attrib_bytes();
}

/**
 * DOC: stats
 *
 * ``format 3``, then one ``key value`` line per module-wide counter (docs/debugfs.md).
 */
static int s2_stats_show(struct seq_file *m, void *v)
{
	unsigned int nbars, nvfio;
	int ranges = atomic_read(&s2_stats.ranges), vms = atomic_read(&s2_stats.vms);

	nbars = s2_attrib_bars(&nvfio);
	seq_printf(m, "format %d\n", S2_FORMAT_VERSION);
	seq_printf(m, "module_version %s\n", S2STAT_VERSION);
	seq_printf(m, "kernel %s\n", init_utsname()->release);
	seq_printf(m, "page_size %lu\n", PAGE_SIZE);
	seq_printf(m, "fwb %d\nlpa2 %d\n", s2_fwb, s2_lpa2);
	seq_printf(m, "kvm_mode %s\n", s2_hooks_kvm_mode());
	seq_printf(m, "map_hook %s\n", s2_tables_walkable() ? "ftrace" : s2_hooks_ret);
	seq_printf(m, "discovery %s\n", s2_discovery);
	seq_printf(m, "cacheable_pfnmap %s\ndic %d\n", s2_attrib_cacheable_pfnmap(),
		   cpus_have_final_cap(ARM64_HAS_CACHE_DIC));
	seq_printf(m, "vms %d\n", vms);
	seq_printf(m, "vms_seen %lld\nvms_gone %lld\n", atomic64_read(&s2_stats.vms_seen),
		   atomic64_read(&s2_stats.vms_gone));
	seq_printf(m, "probe_map_device %llu\nprobe_map_failed %lld\n",
		   s2_hooks_map_device_count(), atomic64_read(&s2_stats.map_failed));
	seq_printf(m, "probe_unmap %llu\nprobe_perm %lld\nprobe_destroy %lld\nprobe_split %lld\n",
		   s2_hooks_unmap_count(), atomic64_read(&s2_stats.perm),
		   atomic64_read(&s2_stats.destroy), atomic64_read(&s2_stats.split));
	seq_printf(m, "probe_missed %lu\n", s2_hooks_missed());
	seq_printf(m, "drops %lld\n", atomic64_read(&s2_stats.drops));
	seq_printf(m, "ranges %d\nranges_max %u\n", ranges, s2_max_ranges);
	seq_printf(m, "live_objects %d\n", ranges + vms);
	seq_printf(m, "bytes_held %zu\n", s2_bytes_held());
	seq_printf(m, "pci_bars %u\nvfio_bars %u\n", nbars, nvfio);
	seq_printf(m, "resyncs %lld\nsettles %lld\nname_waits %lld\n",
		   atomic64_read(&s2_stats.resyncs), atomic64_read(&s2_stats.settles),
		   atomic64_read(&s2_stats.name_waits));
	seq_printf(m, "walk_max_lock_hold_us %llu\n",
		   div_u64(atomic64_read(&s2_stats.walk_max_hold_ns), NSEC_PER_USEC));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(s2_stats);

/* Settle, then copy the counters (the state may still move afterwards, as any snapshot). */
static void settled_snapshot(struct s2_vm *vm, struct s2_vm_snap *s)
{
	s2_lc_settle(vm);
	s2_vm_snapshot(vm, s);
}

static u64 snap_failed(const struct s2_vm_snap *s)
{
	return s->failed[S2_ATTR_DEVICE] + s->failed[S2_ATTR_NC] + s->failed[S2_ATTR_NORMAL];
}

#define S2_SUMMARY_FMT "%-16s %-8s %-10s %-11s %-8s %-11s %-12s %-8s %-12s %-7s %s\n"
#define S2_SUMMARY_ROW "%-16s %-8d %-10s %-11llu %-8llu %-11llu %-12llu %-8llu %-12llu %-7llu %llu\n"

/**
 * DOC: summary
 *
 * ``format 3``, a header line (S2_SUMMARY_COLUMNS), then one line per VM in ascending
 * pid, fd order: name, pid, state, pages of vfio and other device memory by attribute,
 * failed device-memory maps, dropped events.
 */
static int s2_summary_show(struct seq_file *m, void *v)
{
	struct s2_vm **vms;
	int i, n;

	n = s2_vms_get_all(&vms, true);
	if (n < 0)
		return n;
	seq_printf(m, "format %d\n", S2_FORMAT_VERSION);
	seq_printf(m, S2_SUMMARY_FMT, "vm", "pid", "state", "vfio_device", "vfio_nc", "vfio_normal",
		   "other_device", "other_nc", "other_normal", "failed", "drops");
	for (i = 0; i < n; i++) {
		struct s2_vm_snap s;

		settled_snapshot(vms[i], &s);
		seq_printf(m, S2_SUMMARY_ROW, vms[i]->name, vms[i]->pid, s2_state_names[s.state],
			   s.pages[S2_CLASS_VFIO_IDX][S2_ATTR_DEVICE],
			   s.pages[S2_CLASS_VFIO_IDX][S2_ATTR_NC],
			   s.pages[S2_CLASS_VFIO_IDX][S2_ATTR_NORMAL],
			   s.pages[S2_CLASS_OTHER_IDX][S2_ATTR_DEVICE],
			   s.pages[S2_CLASS_OTHER_IDX][S2_ATTR_NC],
			   s.pages[S2_CLASS_OTHER_IDX][S2_ATTR_NORMAL],
			   snap_failed(&s), s.drops);
	}
	s2_vms_put_all(vms, n);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(s2_summary);

/* ---- per-VM files ---- */

/* The reference a per-VM file holds on its VM object while open. */
static struct s2_vm *vm_file_get(struct inode *inode)
{
	struct s2_vm *vm = inode->i_private;

	/* The directory is removed (waiting for opens in progress) before the base ref goes. */
	s2_vm_get(vm);
	return vm;
}

/**
 * DOC: status
 *
 * ``format 3`` then ``key value`` lines for one VM (docs/debugfs.md).
 */
static int s2_status_show(struct seq_file *m, void *v)
{
	static const char * const attr_key[S2_ATTR_NR] = { "device", "nc", "normal" };
	struct s2_vm *vm = m->private;
	struct s2_vm_snap s;
	u64 vfio = 0, other = 0;
	int a;

	settled_snapshot(vm, &s);
	seq_printf(m, "format %d\nvm %s\npid %d\n", S2_FORMAT_VERSION, vm->name, vm->pid);
	seq_printf(m, "state %s\nfound %s\n", s2_state_names[s.state],
		   vm->found_at_load ? "load" : "fault");
	for (a = 0; a < S2_ATTR_NR; a++) {
		seq_printf(m, "vfio_%s_pages %llu\n", attr_key[a], s.pages[S2_CLASS_VFIO_IDX][a]);
		vfio += s.pages[S2_CLASS_VFIO_IDX][a];
	}
	for (a = 0; a < S2_ATTR_NR; a++) {
		seq_printf(m, "other_%s_pages %llu\n", attr_key[a], s.pages[S2_CLASS_OTHER_IDX][a]);
		other += s.pages[S2_CLASS_OTHER_IDX][a];
	}
	seq_printf(m, "vfio_bytes %llu\nother_bytes %llu\n", vfio << PAGE_SHIFT,
		   other << PAGE_SHIFT);
	seq_printf(m, "ranges %llu\npage_leaves %llu\nblock_leaves %llu\n", s.nranges,
		   s.page_leaves, s.block_leaves);
	for (a = 0; a < S2_ATTR_NR; a++)
		seq_printf(m, "failed_%s %llu\n", attr_key[a], s.failed[a]);
	seq_printf(m, "drops %llu\nresyncs %llu\nsettles %llu\npending %llu\n", s.drops,
		   s.resyncs, s.settles, s.npending);
	return 0;
}

static int s2_status_open(struct inode *inode, struct file *file)
{
	struct s2_vm *vm = vm_file_get(inode);
	int ret = single_open(file, s2_status_show, vm);

	if (ret)
		s2_vm_put(vm);
	return ret;
}

static int s2_status_release(struct inode *inode, struct file *file)
{
	struct s2_vm *vm = ((struct seq_file *)file->private_data)->private;

	single_release(inode, file);
	s2_vm_put(vm);
	return 0;
}

static const struct file_operations s2_status_fops = {
	.owner = THIS_MODULE,
	.open = s2_status_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = s2_status_release,
};

/*
 * A stream of records numbered 0 (the header), 1, 2, ...: each iterator can produce the
 * record at its position again (seq_file asks again when a record did not fit) and move on;
 * a reader that seeks back restarts from the header.
 */

/*
 * mappings: record n >= 1 is the n-th tracked range, found again from the IPA where the
 * previous one ended (vm->lock is held only to copy it).
 */
struct s2_map_iter {
	struct s2_vm *vm;
	loff_t pos;			/* the record .from designates */
	u64 from;			/* that record is the first range ending above it */
	struct s2_range cur;
};

static void *s2_map_start(struct seq_file *m, loff_t *pos)
{
	struct s2_map_iter *it = m->private;

	if (*pos == 0) {
		s2_lc_settle(it->vm);
		return SEQ_START_TOKEN;
	}
	if (*pos != it->pos) {
		/* A seek: walk forward from the first record to the one asked for. */
		it->pos = 1;
		it->from = 0;
		while (it->pos < *pos) {
			if (!s2_vm_range_from(it->vm, it->from, &it->cur))
				return NULL;
			it->from = s2_range_end(&it->cur);
			it->pos++;
		}
	}
	return s2_vm_range_from(it->vm, it->from, &it->cur) ? &it->cur : NULL;
}

static void *s2_map_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct s2_map_iter *it = m->private;

	if (v == SEQ_START_TOKEN)
		it->from = 0;
	else
		it->from = s2_range_end(&it->cur);
	it->pos = ++*pos;
	return s2_vm_range_from(it->vm, it->from, &it->cur) ? &it->cur : NULL;
}

static void s2_map_stop(struct seq_file *m, void *v)
{
}

static void bdf_str(const struct s2_src *src, char *bdf, size_t bsz, char *bar, size_t rsz)
{
	if (src->bdf == S2_NO_BDF) {
		strscpy(bdf, "-", bsz);
		strscpy(bar, "-", rsz);
		return;
	}
	snprintf(bdf, bsz, "%04x:%02x:%02x.%x", src->bdf >> 16, (src->bdf >> 8) & 0xff,
		 PCI_SLOT(src->bdf & 0xff), PCI_FUNC(src->bdf & 0xff));
	snprintf(bar, rsz, "%u", src->bar);
}

#define S2_MAP_HDR \
	"%-18s %-18s %-18s %-18s %-8s %-5s %-12s %-7s %-4s %-5s %-12s %-3s %-20s %-3s %s\n"
#define S2_MAP_ROW \
	"0x%016llx 0x%016llx 0x%016llx 0x%016llx %-8llu %-5d %-12s 0x%-5x %-4s %-5s %-12s %-3s %-20s %-3s %s\n"

/**
 * DOC: mappings
 *
 * ``format 3``, a header line (S2_MAPPINGS_COLUMNS), then one line per tracked range in
 * ascending IPA order: IPA range, PA range, pages, level, attribute, MemAttr, permissions,
 * class, PCI BDF, BAR (or VFIO region), driver, how it was attributed (``vma``, ``pa``,
 * ``-``) and why it got its attribute (a keyword, docs/debugfs.md).
 */
static int s2_map_show(struct seq_file *m, void *v)
{
	const struct s2_range *r = v;
	char perm[4], bdf[16], bar[4];

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "format %d\n", S2_FORMAT_VERSION);
		seq_printf(m, S2_MAP_HDR, "ipa_start", "ipa_end", "pa_start", "pa_end", "pages",
			   "level", "attr", "memattr", "perm", "class", "bdf", "bar", "driver",
			   "via", "reason");
		return 0;
	}
	bdf_str(&r->p.src, bdf, sizeof(bdf), bar, sizeof(bar));
	seq_printf(m, S2_MAP_ROW, r->ipa, r->ipa + r->size, r->pa, r->pa + r->size,
		   r->size >> PAGE_SHIFT, r->p.level, s2_attr_name(r->p.attr), r->p.memattr,
		   s2_perm_str(r->p.perm, perm),
		   r->p.src.class == S2_CLASS_VFIO_IDX ? S2_CLASS_VFIO : S2_CLASS_OTHER,
		   bdf, bar, s2_attrib_driver_name(r->p.src.drv), s2_attrib_via(r->p.src.via),
		   s2_reason_name(s2_attrib_reason(r->p.attr, &r->p.src)));
	return 0;
}

static const struct seq_operations s2_map_sops = {
	.start = s2_map_start,
	.next = s2_map_next,
	.stop = s2_map_stop,
	.show = s2_map_show,
};

/* Open a seq_file whose iterator starts with the VM object pointer. */
static int vm_seq_open(struct inode *inode, struct file *file, const struct seq_operations *ops,
		       size_t size)
{
	struct s2_vm *vm = vm_file_get(inode);
	struct s2_vm **it = __seq_open_private(file, ops, size);

	if (!it) {
		s2_vm_put(vm);
		return -ENOMEM;
	}
	*it = vm;
	return 0;
}

static int vm_seq_release(struct inode *inode, struct file *file)
{
	struct s2_vm *vm = *(struct s2_vm **)((struct seq_file *)file->private_data)->private;

	seq_release_private(inode, file);
	s2_vm_put(vm);
	return 0;
}

static int s2_map_open(struct inode *inode, struct file *file)
{
	return vm_seq_open(inode, file, &s2_map_sops, sizeof(struct s2_map_iter));
}

static const struct file_operations s2_map_fops = {
	.owner = THIS_MODULE,
	.open = s2_map_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = vm_seq_release,
};

/*
 * table: record n >= 1 is the n-th coalesced run of leaves, then one "result" record.  Runs
 * come in batches from bounded walk chunks (kvm->mmu_lock for read, a VM reference only
 * during the chunk); the run still growing at the end of a chunk carries over.
 */
struct s2_table_iter {
	struct s2_vm *vm;
	u64 next;			/* where the walk resumes */
	bool walk_done, unavailable, have_open;
	struct s2_range open;		/* the run the next leaf may extend */
	struct s2_range batch[S2_TABLE_BATCH];
	unsigned int nbatch;
	loff_t base;			/* position of batch[0] */
	bool result;			/* the batch ends with the result record */
};

static bool table_leaf(struct s2_leaf_walk *w, u64 ipa, u64 desc, s8 level)
{
	struct s2_table_iter *it = w->arg;
	u64 size = 1ULL << s2_level_shift(level, PAGE_SHIFT);
	struct s2_props p;
	u64 pa;

	s2_leaf_decode(desc, level, &pa, &p);
	p.src.class = s2_leaf_is_ram(pa) ? S2_CLASS_RAM_IDX : S2_CLASS_OTHER_IDX;
	if (it->have_open && s2_range_end(&it->open) == ipa &&
	    it->open.pa + it->open.size == pa && s2_props_eq(&it->open.p, &p)) {
		it->open.size += size;
		return false;
	}
	if (it->have_open)
		it->batch[it->nbatch++] = it->open;
	it->open = (struct s2_range){ .ipa = ipa, .pa = pa, .size = size, .p = p };
	it->have_open = true;
	return it->nbatch == S2_TABLE_BATCH;
}

/* Fill the next batch, starting at position @pos. */
static void table_fill(struct s2_table_iter *it, loff_t pos)
{
	struct s2_leaf_walk w = { .leaf = table_leaf, .arg = it };
	struct s2_vm *vm = it->vm;

	it->base = pos;
	it->nbatch = 0;
	it->result = false;
	while (!it->nbatch && !it->walk_done) {
		struct kvm_pgtable *pgt;

		if (!s2_vm_get_kvm(vm)) {
			it->walk_done = true;
			it->unavailable = true;
			break;
		}
		read_lock(&vm->kvm->mmu_lock);
		rcu_read_lock();
		pgt = s2_tables_walkable() ? s2_leaf_pgt(vm->kvm) : NULL;
		if (pgt) {
			w.next = it->next;
			w.end = U64_MAX;
			it->walk_done = s2_leaf_walk_chunk(&w, pgt, S2_TABLE_STEPS);
			it->next = w.next;
		} else {
			it->walk_done = true;
			it->unavailable = true;
		}
		rcu_read_unlock();
		read_unlock(&vm->kvm->mmu_lock);
		s2_vm_put_kvm(vm);
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
	if (it->walk_done && it->have_open && it->nbatch < S2_TABLE_BATCH) {
		it->batch[it->nbatch++] = it->open;
		it->have_open = false;
	}
	if (it->walk_done && !it->have_open)
		it->result = true;
}

#define S2_TABLE_RESULT	((void *)2)

static void *table_record(struct s2_table_iter *it, loff_t pos)
{
	if (pos - it->base < it->nbatch)
		return &it->batch[pos - it->base];
	if (it->result && pos == it->base + it->nbatch)
		return S2_TABLE_RESULT;
	return NULL;
}

static void table_reset(struct s2_table_iter *it)
{
	it->next = 0;
	it->walk_done = false;
	it->unavailable = false;
	it->have_open = false;
	it->result = false;
	it->nbatch = 0;
	it->base = 1;
}

static void *s2_table_start(struct seq_file *m, loff_t *pos)
{
	struct s2_table_iter *it = m->private;
	void *rec;

	if (*pos == 0) {
		table_reset(it);
		return SEQ_START_TOKEN;
	}
	if (*pos < it->base)
		table_reset(it);	/* a seek back: walk again from the start */
	for (;;) {
		rec = table_record(it, *pos);
		if (rec || it->result)
			return rec;
		table_fill(it, it->base + it->nbatch);
		if (!it->nbatch && !it->result)
			return NULL;	/* interrupted */
	}
}

static void *s2_table_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	if (v == S2_TABLE_RESULT)
		return NULL;
	return s2_table_start(m, pos);
}

static void s2_table_stop(struct seq_file *m, void *v)
{
}

#define S2_TABLE_ROW \
	"0x%016llx 0x%016llx 0x%016llx 0x%016llx %-8llu %-5d 0x%-5x %-13s %-4s %s\n"

/**
 * DOC: table
 *
 * Reading walks the VM's stage-2 table: ``format 3``, a header line (S2_TABLE_COLUMNS),
 * one line per coalesced run of leaves (RAM included), then ``result ok|unavailable``.
 */
static int s2_table_show(struct seq_file *m, void *v)
{
	struct s2_table_iter *it = m->private;
	const struct s2_range *r = v;
	char perm[4];

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "format %d\n%-18s %-18s %-18s %-18s %-8s %-5s %-7s %-13s %-4s %s\n",
			   S2_FORMAT_VERSION, "ipa_start", "ipa_end", "pa_start", "pa_end",
			   "pages", "level", "memattr", "type", "perm", "class");
		return 0;
	}
	if (v == S2_TABLE_RESULT) {
		seq_printf(m, "result %s\n", it->unavailable ? "unavailable" : "ok");
		return 0;
	}
	seq_printf(m, S2_TABLE_ROW, r->ipa, r->ipa + r->size, r->pa, r->pa + r->size,
		   r->size >> PAGE_SHIFT, r->p.level, r->p.memattr,
		   s2_mt_name(s2_memattr_mt(r->p.memattr, s2_fwb)), s2_perm_str(r->p.perm, perm),
		   r->p.src.class == S2_CLASS_RAM_IDX ? "ram" : "device");
	return 0;
}

static const struct seq_operations s2_table_sops = {
	.start = s2_table_start,
	.next = s2_table_next,
	.stop = s2_table_stop,
	.show = s2_table_show,
};

static int s2_table_open(struct inode *inode, struct file *file)
{
	return vm_seq_open(inode, file, &s2_table_sops, sizeof(struct s2_table_iter));
}

static const struct file_operations s2_table_fops = {
	.owner = THIS_MODULE,
	.open = s2_table_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = vm_seq_release,
};

/*
 * verify: the walk runs once, at open, into a buffer of a fixed size that read() serves, so a
 * reader sees one consistent report whatever its read size.
 */
struct s2_report {
	struct s2_vm *vm;
	size_t len;
	char text[];
};

/**
 * DOC: verify
 *
 * Opening settles the VM, walks its stage-2 table and compares it with the tracked state:
 * ``format 3``, ``key value`` lines (result, differences, walked_leaves, table_device_pages,
 * tracked_device_pages, pending_pages, chunks, max_lock_hold_us), then one ``diff`` line per
 * difference (at most 1000).
 */
static int s2_verify_open(struct inode *inode, struct file *file)
{
	struct s2_vm *vm = vm_file_get(inode);
	struct s2_report *rep;
	int ret;

	rep = kvmalloc(struct_size(rep, text, S2_VERIFY_REPORT_SIZE), GFP_KERNEL);
	if (!rep) {
		s2_vm_put(vm);
		return -ENOMEM;
	}
	rep->vm = vm;
	ret = s2_verify_report(vm, rep->text, &rep->len);
	if (ret) {
		kvfree(rep);
		s2_vm_put(vm);
		return ret;
	}
	file->private_data = rep;
	return nonseekable_open(inode, file);
}

static ssize_t s2_verify_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	struct s2_report *rep = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, rep->text, rep->len);
}

static int s2_verify_release(struct inode *inode, struct file *file)
{
	struct s2_report *rep = file->private_data;

	s2_vm_put(rep->vm);
	kvfree(rep);
	return 0;
}

static const struct file_operations s2_verify_fops = {
	.owner = THIS_MODULE,
	.open = s2_verify_open,
	.read = s2_verify_read,
	.release = s2_verify_release,
};

/**
 * DOC: resync
 *
 * Writing ``1`` rebuilds the VM's tracked state from its stage-2 table; anything else fails
 * with -EINVAL and changes nothing.
 */
static int s2_resync_open(struct inode *inode, struct file *file)
{
	file->private_data = vm_file_get(inode);
	return nonseekable_open(inode, file);
}

static ssize_t s2_resync_write(struct file *file, const char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	struct s2_vm *vm = file->private_data;
	unsigned int val;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 10, &val);
	if (ret)
		return ret;
	if (val != 1)
		return -EINVAL;
	ret = s2_lc_resync(vm);
	return ret ? ret : count;
}

static int s2_resync_release(struct inode *inode, struct file *file)
{
	s2_vm_put(file->private_data);
	return 0;
}

static const struct file_operations s2_resync_fops = {
	.owner = THIS_MODULE,
	.open = s2_resync_open,
	.write = s2_resync_write,
	.release = s2_resync_release,
};

/* The lifecycle publishes a VM (under its mutex). */
static int s2_add_vm(struct s2_vm *vm)
{
	struct dentry *dir = debugfs_create_dir(vm->name, s2_root);

	if (IS_ERR(dir)) {
		if (PTR_ERR(dir) != -EEXIST)
			pr_warn_ratelimited("cannot create debugfs directory %s: %ld\n", vm->name,
					    PTR_ERR(dir));
		return PTR_ERR(dir);
	}
	vm->dir = dir;
	debugfs_create_file(S2_FILE_STATUS, 0400, dir, vm, &s2_status_fops);
	debugfs_create_file(S2_FILE_MAPPINGS, 0400, dir, vm, &s2_map_fops);
	debugfs_create_file(S2_FILE_VERIFY, 0400, dir, vm, &s2_verify_fops);
	debugfs_create_file(S2_FILE_TABLE, 0400, dir, vm, &s2_table_fops);
	debugfs_create_file(S2_FILE_RESYNC, 0200, dir, vm, &s2_resync_fops);
	debugfs_create_file(S2_FILE_EFFECTIVE, 0400, dir, vm, &s2_effective_fops);
	return 0;
}

/* The lifecycle retires a VM: waits for file operations in progress to finish. */
static void s2_remove_vm(struct s2_vm *vm)
{
	debugfs_remove(vm->dir);
	vm->dir = NULL;
}

static const struct s2_view_ops s2_debugfs_view = {
	.add_vm = s2_add_vm,
	.remove_vm = s2_remove_vm,
};

int s2_debugfs_init(void)
{
	s2_root = debugfs_create_dir(S2_DEBUGFS_DIR, NULL);
	if (IS_ERR(s2_root))
		return PTR_ERR(s2_root);
	debugfs_create_file(S2_FILE_VERSION, 0400, s2_root, NULL, &s2_version_fops);
	debugfs_create_file(S2_FILE_STATS, 0400, s2_root, NULL, &s2_stats_fops);
	debugfs_create_file(S2_FILE_SUMMARY, 0400, s2_root, NULL, &s2_summary_fops);
	s2_lc_set_view(&s2_debugfs_view);
	return 0;
}

/* s2_debugfs_exit() - remove every file; returns once no file operation runs. */
void s2_debugfs_exit(void)
{
	debugfs_remove(s2_root);
}
