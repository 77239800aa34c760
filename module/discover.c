// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat discovery: the VMs that existed before the module loaded.
 *
 * KVM gives each VM a debugfs directory "<pid>-<fd>" whose statistics files carry a struct
 * kvm_stat_data as inode private data; opening one makes KVM take a VM reference
 * (kvm_stat_data_open()), which keeps the struct kvm alive while we take our own.  The file
 * must really be KVM's: on debugfs, in a VM directory of the top-level "kvm" directory.
 * Without a mounted debugfs, they are found at their next device map or vCPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/magic.h>
#include <linux/slab.h>

#include "discover.h"
#include "lifecycle.h"
#include "vm.h"

#define S2_KVM_DEBUGFS	"/sys/kernel/debug/kvm"
#define S2_MAX_DISCOVER	4096
#define S2_NAME_MAX	32

const char *s2_discovery = "kvm-debugfs";

struct s2_dirent_ctx {
	struct dir_context ctx;
	char (*names)[S2_NAME_MAX];
	unsigned int n;
};

static bool s2_dirent(struct dir_context *ctx, const char *name, int len, loff_t off, u64 ino,
		      unsigned int type)
{
	struct s2_dirent_ctx *c = container_of(ctx, struct s2_dirent_ctx, ctx);
	int pid, fd;

	if (len >= S2_NAME_MAX || c->n == S2_MAX_DISCOVER)
		return c->n < S2_MAX_DISCOVER;
	memcpy(c->names[c->n], name, len);
	c->names[c->n][len] = '\0';
	if (sscanf(c->names[c->n], "%d-%d", &pid, &fd) == 2)
		c->n++;
	return true;
}

/* Is @f KVM's statistics file /sys/kernel/debug/kvm/<vm>/<stat> on debugfs? */
static bool is_kvm_stat_file(struct file *f)
{
	struct dentry *d = f->f_path.dentry, *vmdir, *kvmdir;
	bool ok;

	if (file_inode(f)->i_sb->s_magic != DEBUGFS_MAGIC || !d_is_reg(d))
		return false;
	vmdir = dget_parent(d);
	kvmdir = dget_parent(vmdir);
	ok = !strcmp(kvmdir->d_name.name, "kvm") && IS_ROOT(kvmdir->d_parent) &&
	     kvmdir->d_parent == kvmdir->d_sb->s_root;
	dput(kvmdir);
	dput(vmdir);
	return ok;
}

/* s2_discover() - track every VM that has a KVM debugfs directory. */
void s2_discover(void)
{
	struct s2_dirent_ctx c = { .ctx.actor = s2_dirent };
	struct file *dir;
	unsigned int i;
	char *path;

	dir = filp_open(S2_KVM_DEBUGFS, O_RDONLY | O_DIRECTORY, 0);
	if (IS_ERR(dir)) {
		pr_info("%s not found: VMs that already exist are tracked from their next device map or vCPU\n",
			S2_KVM_DEBUGFS);
		s2_discovery = "on-fault";
		return;
	}
	c.names = kvmalloc_array(S2_MAX_DISCOVER, sizeof(*c.names), GFP_KERNEL);
	path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (c.names && path && file_inode(dir)->i_sb->s_magic == DEBUGFS_MAGIC)
		iterate_dir(dir, &c.ctx);
	filp_close(dir, NULL);

	for (i = 0; path && i < c.n; i++) {
		struct kvm_stat_data *sd;
		struct s2_vm *vm;
		struct file *f;
		bool created;

		snprintf(path, PATH_MAX, S2_KVM_DEBUGFS "/%s/remote_tlb_flush", c.names[i]);
		f = filp_open(path, O_RDONLY, 0);
		if (IS_ERR(f))
			continue;	/* the VM went away meanwhile */
		sd = is_kvm_stat_file(f) ? file_inode(f)->i_private : NULL;
		if (sd && kvm_get_kvm_safe(sd->kvm)) {
			vm = s2_vm_create(sd->kvm, GFP_KERNEL, &created, s2_lc_init_vm);
			if (vm && created) {
				vm->found_at_load = true;
				s2_lc_vm_new(vm, 0);
			}
			kvm_put_kvm(sd->kvm);
		}
		filp_close(f, NULL);
	}
	kfree(path);
	kvfree(c.names);
}
