// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat: the debugfs interface, /sys/kernel/debug/kvm_s2stat/.
 *
 * The format is specified in docs/debugfs.md; names and column headers are shared with the
 * CLI through include/kvm_s2stat/format.h.  Every per-VM file holds a reference on the VM's
 * struct kvm (kvm_get_kvm_safe()) from open to release, like KVM's own debugfs files, so
 * that walks never outlive the VM.
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
#include <linux/vmalloc.h>

#include <kvm_s2stat/format.h>

#include "s2stat.h"

static struct dentry *s2_root;

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

/**
 * DOC: stats
 *
 * ``format 1``, then one ``key value`` line per module-wide counter (docs/debugfs.md).
 */
static int s2_stats_show(struct seq_file *m, void *v)
{
	unsigned int nbars, nvfio;
	int ranges = atomic_read(&s2_stats.ranges), vms = atomic_read(&s2_stats.vms);

	nbars = s2_pci_bars(&nvfio);
	seq_printf(m, "format %d\n", S2_FORMAT_VERSION);
	seq_printf(m, "module_version %s\n", S2STAT_VERSION);
	seq_printf(m, "kernel %s\n", init_utsname()->release);
	seq_printf(m, "page_size %lu\n", PAGE_SIZE);
	seq_printf(m, "fwb %d\nlpa2 %d\n", s2_fwb, s2_lpa2);
	seq_printf(m, "kvm_mode %s\n", s2_kvm_mode());
	seq_printf(m, "map_hook %s\n", s2_ret_hook);
	seq_printf(m, "discovery %s\n", s2_discovery);
	seq_printf(m, "vms %d\n", vms);
	seq_printf(m, "vms_seen %lld\nvms_gone %lld\n", atomic64_read(&s2_stats.vms_seen),
		   atomic64_read(&s2_stats.vms_gone));
	seq_printf(m, "probe_map %llu\n", s2_probe_map_count());
	seq_printf(m, "probe_map_device %lld\nprobe_map_failed %lld\n",
		   atomic64_read(&s2_stats.probe_map_device),
		   atomic64_read(&s2_stats.probe_map_failed));
	seq_printf(m, "probe_unmap %lld\nprobe_perm %lld\nprobe_destroy %lld\n",
		   atomic64_read(&s2_stats.probe_unmap), atomic64_read(&s2_stats.probe_perm),
		   atomic64_read(&s2_stats.probe_destroy));
	seq_printf(m, "probe_missed %lu\n", s2_probes_missed());
	seq_printf(m, "drops %lld\n", atomic64_read(&s2_stats.drops));
	seq_printf(m, "ranges %d\nranges_max %u\n", ranges, s2_max_ranges);
	seq_printf(m, "live_objects %d\n", ranges + vms);
	seq_printf(m, "bytes_held %zu\n", s2_bytes_held());
	seq_printf(m, "pci_bars %u\nvfio_bars %u\n", nbars, nvfio);
	seq_printf(m, "resyncs %lld\n", atomic64_read(&s2_stats.resyncs));
	seq_printf(m, "walk_max_lock_hold_us %llu\n",
		   div_u64(atomic64_read(&s2_stats.walk_max_hold_ns), NSEC_PER_USEC));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(s2_stats);

/* A consistent copy of one VM's counters. */
struct s2_vm_snap {
	u64 pages[S2_CLASS_NR][S2_ATTR_NR];
	u64 nranges, page_leaves, block_leaves, failed[S2_ATTR_NR], drops, resyncs;
	bool inexact;
};

static void s2_vm_snapshot(struct s2_vm *vm, struct s2_vm_snap *s)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&vm->lock, flags);
	memcpy(s->pages, vm->pages, sizeof(s->pages));
	s->nranges = vm->nranges;
	s->page_leaves = vm->page_leaves;
	s->block_leaves = vm->block_leaves;
	memcpy(s->failed, vm->failed, sizeof(s->failed));
	s->drops = vm->drops;
	s->resyncs = vm->resyncs;
	s->inexact = vm->inexact || s2_probes_missed();
	raw_spin_unlock_irqrestore(&vm->lock, flags);
}

static u64 s2_snap_failed(const struct s2_vm_snap *s)
{
	return s->failed[S2_ATTR_DEVICE] + s->failed[S2_ATTR_NC] + s->failed[S2_ATTR_NORMAL];
}

#define S2_SUMMARY_FMT "%-16s %-8s %-7s %-11s %-8s %-11s %-12s %-8s %-12s %-7s %s\n"
#define S2_SUMMARY_ROW "%-16s %-8d %-7s %-11llu %-8llu %-11llu %-12llu %-8llu %-12llu %-7llu %llu\n"

/**
 * DOC: summary
 *
 * ``format 1``, a header line (S2_SUMMARY_COLUMNS), then one line per VM in ascending
 * pid, fd order: name, pid, state, pages of vfio and other device memory by attribute,
 * failed device-memory maps, dropped events.
 */
static int s2_summary_show(struct seq_file *m, void *v)
{
	struct s2_vm **vms;
	int i, n;

	n = s2_vms_get_all(&vms);
	if (n < 0)
		return n;
	seq_printf(m, "format %d\n", S2_FORMAT_VERSION);
	seq_printf(m, S2_SUMMARY_FMT, "vm", "pid", "state", "vfio_device", "vfio_nc", "vfio_normal",
		   "other_device", "other_nc", "other_normal", "failed", "drops");
	for (i = 0; i < n; i++) {
		struct s2_vm_snap s;

		s2_vm_snapshot(vms[i], &s);
		seq_printf(m, S2_SUMMARY_ROW, vms[i]->name, vms[i]->pid,
			   s.inexact ? S2_STATE_INEXACT : S2_STATE_EXACT,
			   s.pages[S2_CLASS_VFIO_IDX][S2_ATTR_DEVICE],
			   s.pages[S2_CLASS_VFIO_IDX][S2_ATTR_NC],
			   s.pages[S2_CLASS_VFIO_IDX][S2_ATTR_NORMAL],
			   s.pages[S2_CLASS_OTHER_IDX][S2_ATTR_DEVICE],
			   s.pages[S2_CLASS_OTHER_IDX][S2_ATTR_NC],
			   s.pages[S2_CLASS_OTHER_IDX][S2_ATTR_NORMAL],
			   s2_snap_failed(&s), s.drops);
		s2_vm_put(vms[i]);
	}
	kfree(vms);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(s2_summary);

/* ---- per-VM files ---- */

/* Take the references a per-VM file holds while open: our VM object and its struct kvm. */
static struct s2_vm *s2_vm_file_get(struct inode *inode)
{
	struct s2_vm *vm = inode->i_private;

	/* The directory is removed (waiting for us) before the base reference is dropped. */
	kref_get(&vm->ref);
	if (!s2_vm_get_kvm(vm)) {
		s2_vm_put(vm);
		return NULL;
	}
	return vm;
}

static void s2_vm_file_put(struct s2_vm *vm)
{
	kvm_put_kvm(vm->kvm);
	s2_vm_put(vm);
}

/**
 * DOC: status
 *
 * ``format 1`` then ``key value`` lines for one VM (docs/debugfs.md).
 */
static int s2_status_show(struct seq_file *m, void *v)
{
	struct s2_vm *vm = m->private;
	struct s2_vm_snap s;
	static const char * const attr_key[S2_ATTR_NR] = { "device", "nc", "normal" };
	u64 vfio = 0, other = 0;
	int a;

	s2_vm_snapshot(vm, &s);
	seq_printf(m, "format %d\nvm %s\npid %d\n", S2_FORMAT_VERSION, vm->name, vm->pid);
	seq_printf(m, "state %s\nfound %s\n", s.inexact ? S2_STATE_INEXACT : S2_STATE_EXACT,
		   vm->walked ? "load" : "fault");
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
	seq_printf(m, "drops %llu\nresyncs %llu\n", s.drops, s.resyncs);
	return 0;
}

static int s2_status_open(struct inode *inode, struct file *file)
{
	struct s2_vm *vm = s2_vm_file_get(inode);
	int ret;

	if (!vm)
		return -ENOENT;
	ret = single_open(file, s2_status_show, vm);
	if (ret)
		s2_vm_file_put(vm);
	return ret;
}

static int s2_status_release(struct inode *inode, struct file *file)
{
	struct s2_vm *vm = ((struct seq_file *)file->private_data)->private;

	single_release(inode, file);
	s2_vm_file_put(vm);
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
 * mappings: a seq_file over the range tree.  The position in the tree is an IPA, advanced
 * only by ->next() so that a record that did not fit the buffer is shown again.  vm->lock is
 * held from ->start() to ->stop(), which covers formatting into the seq buffer only.
 */
struct s2_map_iter {
	struct s2_vm *vm;
	u64 next_ipa;
	unsigned long flags;
};

static void *s2_map_start(struct seq_file *m, loff_t *pos)
{
	struct s2_map_iter *it = m->private;

	if (!*pos) {
		it->next_ipa = 0;
		return SEQ_START_TOKEN;
	}
	raw_spin_lock_irqsave(&it->vm->lock, it->flags);
	return s2_range_first_from(it->vm, it->next_ipa);
}

static void *s2_map_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct s2_map_iter *it = m->private;
	struct s2_range *r = v;

	++*pos;
	if (v == SEQ_START_TOKEN) {
		raw_spin_lock_irqsave(&it->vm->lock, it->flags);
		return s2_range_first_from(it->vm, 0);
	}
	it->next_ipa = r->ipa + r->size;
	return s2_range_next(r);
}

static void s2_map_stop(struct seq_file *m, void *v)
{
	struct s2_map_iter *it = m->private;

	/* The lock is held whenever the position is past the header. */
	if (v != SEQ_START_TOKEN)
		raw_spin_unlock_irqrestore(&it->vm->lock, it->flags);
}

#define S2_MAP_HDR "%-18s %-18s %-18s %-18s %-8s %-5s %-12s %-7s %-4s %-5s %-12s %-3s %s\n"

/**
 * DOC: mappings
 *
 * ``format 1``, a header line (S2_MAPPINGS_COLUMNS), then one line per tracked range in
 * ascending IPA order: IPA range, PA range, pages, level, attribute, MemAttr, permissions,
 * class, PCI BDF, BAR, driver.
 */
static int s2_map_show(struct seq_file *m, void *v)
{
	const struct s2_range *r = v;
	char perm[4], bdf[16], bar[4];

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "format %d\n", S2_FORMAT_VERSION);
		seq_printf(m, S2_MAP_HDR, "ipa_start", "ipa_end", "pa_start", "pa_end", "pages",
			   "level", "attr", "memattr", "perm", "class", "bdf", "bar", "driver");
		return 0;
	}
	if (r->p.src.bdf == S2_NO_BDF) {
		strscpy(bdf, "-", sizeof(bdf));
		strscpy(bar, "-", sizeof(bar));
	} else {
		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", r->p.src.bdf >> 16,
			 (r->p.src.bdf >> 8) & 0xff, PCI_SLOT(r->p.src.bdf & 0xff),
			 PCI_FUNC(r->p.src.bdf & 0xff));
		snprintf(bar, sizeof(bar), "%u", r->p.src.bar);
	}
	seq_printf(m, "0x%016llx 0x%016llx 0x%016llx 0x%016llx %-8llu %-5d %-12s 0x%-5x %-4s %-5s %-12s %-3s %s\n",
		   r->ipa, r->ipa + r->size, r->pa, r->pa + r->size, r->size >> PAGE_SHIFT,
		   r->p.level, s2_attr_name(r->p.attr), r->p.memattr,
		   s2_perm_str(r->p.perm, perm),
		   r->p.src.class == S2_CLASS_VFIO_IDX ? S2_CLASS_VFIO : S2_CLASS_OTHER,
		   bdf, bar, s2_pci_driver_name(r->p.src.drv));
	return 0;
}

static const struct seq_operations s2_map_sops = {
	.start = s2_map_start,
	.next = s2_map_next,
	.stop = s2_map_stop,
	.show = s2_map_show,
};

static int s2_map_open(struct inode *inode, struct file *file)
{
	struct s2_map_iter *it;
	struct s2_vm *vm = s2_vm_file_get(inode);

	if (!vm)
		return -ENOENT;
	it = __seq_open_private(file, &s2_map_sops, sizeof(*it));
	if (!it) {
		s2_vm_file_put(vm);
		return -ENOMEM;
	}
	it->vm = vm;
	return 0;
}

static int s2_map_release(struct inode *inode, struct file *file)
{
	struct s2_map_iter *it = ((struct seq_file *)file->private_data)->private;
	struct s2_vm *vm = it->vm;

	seq_release_private(inode, file);
	s2_vm_file_put(vm);
	return 0;
}

static const struct file_operations s2_map_fops = {
	.owner = THIS_MODULE,
	.open = s2_map_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = s2_map_release,
};

/*
 * verify and table: the walk runs once, at open, into a buffer that read() serves, so that
 * a reader sees one consistent report whatever its read size.
 */
struct s2_report {
	struct s2_vm *vm;
	struct s2_buf buf;
};

static int s2_report_open(struct inode *inode, struct file *file,
			  int (*walk)(struct s2_vm *vm, struct s2_buf *out))
{
	struct s2_report *rep;
	struct s2_vm *vm = s2_vm_file_get(inode);
	int ret;

	if (!vm)
		return -ENOENT;
	rep = kzalloc(sizeof(*rep), GFP_KERNEL);
	if (!rep)
		goto nomem;
	rep->vm = vm;
	rep->buf.size = PAGE_SIZE;
	rep->buf.data = kvmalloc(rep->buf.size, GFP_KERNEL);
	if (!rep->buf.data)
		goto nomem;
	ret = walk(vm, &rep->buf);
	if (!ret && !rep->buf.data)
		ret = -ENOMEM;
	if (ret) {
		kvfree(rep->buf.data);
		kfree(rep);
		s2_vm_file_put(vm);
		return ret;
	}
	file->private_data = rep;
	return nonseekable_open(inode, file);
nomem:
	kfree(rep);
	s2_vm_file_put(vm);
	return -ENOMEM;
}

static ssize_t s2_report_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	struct s2_report *rep = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, rep->buf.data, rep->buf.len);
}

static int s2_report_release(struct inode *inode, struct file *file)
{
	struct s2_report *rep = file->private_data;

	kvfree(rep->buf.data);
	s2_vm_file_put(rep->vm);
	kfree(rep);
	return 0;
}

/**
 * DOC: verify
 *
 * Opening walks the VM's stage-2 table and compares it with the tracked state:
 * ``format 1``, ``key value`` lines (result, differences, walked_leaves,
 * table_device_pages, tracked_device_pages, chunks), then one ``diff`` line per difference.
 */
static int s2_verify_open(struct inode *inode, struct file *file)
{
	return s2_report_open(inode, file, s2_walk_verify);
}

/**
 * DOC: table
 *
 * Opening walks the VM's stage-2 table: ``format 1``, a header line (S2_TABLE_COLUMNS), one
 * line per coalesced run of leaves (RAM included), then ``result ok|unavailable``.
 */
static int s2_table_open(struct inode *inode, struct file *file)
{
	return s2_report_open(inode, file, s2_walk_table);
}

static const struct file_operations s2_verify_fops = {
	.owner = THIS_MODULE,
	.open = s2_verify_open,
	.read = s2_report_read,
	.release = s2_report_release,
};

static const struct file_operations s2_table_fops = {
	.owner = THIS_MODULE,
	.open = s2_table_open,
	.read = s2_report_read,
	.release = s2_report_release,
};

/**
 * DOC: resync
 *
 * Writing ``1`` rebuilds the VM's tracked state from its stage-2 table; anything else fails
 * with -EINVAL and changes nothing.
 */
static int s2_resync_open(struct inode *inode, struct file *file)
{
	struct s2_vm *vm = s2_vm_file_get(inode);

	if (!vm)
		return -ENOENT;
	file->private_data = vm;
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
	ret = s2_walk_resync(vm);
	return ret ? ret : count;
}

static int s2_resync_release(struct inode *inode, struct file *file)
{
	s2_vm_file_put(file->private_data);
	return 0;
}

static const struct file_operations s2_resync_fops = {
	.owner = THIS_MODULE,
	.open = s2_resync_open,
	.write = s2_resync_write,
	.release = s2_resync_release,
};

/* Called with s2_vms_mutex held. */
void s2_debugfs_add_vm(struct s2_vm *vm)
{
	struct dentry *dir;

	dir = debugfs_create_dir(vm->name, s2_root);
	if (IS_ERR(dir)) {
		pr_warn_ratelimited("cannot create debugfs directory %s: %ld\n", vm->name,
				    PTR_ERR(dir));
		return;
	}
	vm->dir = dir;
	debugfs_create_file(S2_FILE_STATUS, 0400, dir, vm, &s2_status_fops);
	debugfs_create_file(S2_FILE_MAPPINGS, 0400, dir, vm, &s2_map_fops);
	debugfs_create_file(S2_FILE_VERIFY, 0400, dir, vm, &s2_verify_fops);
	debugfs_create_file(S2_FILE_TABLE, 0400, dir, vm, &s2_table_fops);
	debugfs_create_file(S2_FILE_RESYNC, 0200, dir, vm, &s2_resync_fops);
}

/* Called with s2_vms_mutex held; waits for file operations in progress to finish. */
void s2_debugfs_remove_vm(struct s2_vm *vm)
{
	debugfs_remove(vm->dir);
	vm->dir = NULL;
}

int s2_debugfs_init(void)
{
	s2_root = debugfs_create_dir(S2_DEBUGFS_DIR, NULL);
	if (IS_ERR(s2_root))
		return PTR_ERR(s2_root);
	debugfs_create_file(S2_FILE_VERSION, 0400, s2_root, NULL, &s2_version_fops);
	debugfs_create_file(S2_FILE_STATS, 0400, s2_root, NULL, &s2_stats_fops);
	debugfs_create_file(S2_FILE_SUMMARY, 0400, s2_root, NULL, &s2_summary_fops);
	return 0;
}

void s2_debugfs_exit(void)
{
	debugfs_remove(s2_root);
}
