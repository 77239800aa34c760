// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat: stage-2 memory attributes of KVM guests' device mappings (skeleton; the
 * probes, per-VM state and walker are being written).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include <kvm_s2stat/format.h>

#define S2STAT_VERSION "0.1.0"

static struct dentry *s2_root;

static int version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "kvm_s2stat %s format %d\n", S2STAT_VERSION, S2_FORMAT_VERSION);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(version);

static int __init s2stat_init(void)
{
	s2_root = debugfs_create_dir(S2_DEBUGFS_DIR, NULL);
	debugfs_create_file(S2_FILE_VERSION, 0400, s2_root, NULL, &version_fops);
	pr_info("loaded\n");
	return 0;
}

static void __exit s2stat_exit(void)
{
	debugfs_remove(s2_root);
}

module_init(s2stat_init);
module_exit(s2stat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Stage-2 memory attributes of KVM guests' device mappings");
MODULE_VERSION(S2STAT_VERSION);
