/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: reading the kvm_s2stat debugfs tree into a snapshot, and telling apart
 * why it cannot be read (module not loaded, debugfs not mounted, locked down, not root).
 */
#ifndef KVM_S2STAT_READ_H
#define KVM_S2STAT_READ_H

#include <time.h>

#include "s2parse.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* Roots of the file systems the CLI reads; tests point them at fixture trees. */
struct s2_paths {
	const char *debugfs;	/* default /sys/kernel/debug */
	const char *proc;	/* default /proc */
	const char *sys;	/* default /sys (kernel/security/lockdown) */
};

/* VM selection (-p, -g); empty lists select every VM. */
struct s2_select {
	const uint32_t *pids;
	size_t npids;
	const char *const *names;
	size_t nnames;
};

enum {
	S2_LOAD_MAPPINGS = 1,	/* read each selected VM's mappings */
	S2_LOAD_VERIFY = 2,	/* read each selected VM's verify (runs the module's walk) */
};

struct s2_vm {
	struct s2_status st;
	char comm[32];		/* /proc/<pid>/comm, non-printable bytes as '?' */
	bool has_comm;
	bool has_maps, has_verify;
	struct s2_mappings maps;
	struct s2_verify ver;
};

struct s2_snapshot {
	char root[PATH_MAX];	/* <debugfs>/kvm_s2stat */
	struct s2_version version;
	struct s2_stats stats;
	struct s2_vm *vms;	/* selected VMs still present, in summary order */
	size_t n;
	size_t listed;		/* VMs listed in summary (all, before selection) */
	size_t vanished;	/* selected VMs destroyed while being read (skipped) */
	struct timespec when;	/* CLOCK_REALTIME when reading started */
};

/* Read a whole file (debugfs files have no size).  -1 with errno set on failure. */
int s2_read_file(const char *path, char **buf, size_t *len);

/* The active kernel lockdown mode ("integrity", "confidentiality") or NULL. */
const char *s2_lockdown_mode(const struct s2_paths *p, char *buf, size_t size);

/* An error opening or reading @path (errno @eno) as an exit code and message. */
int s2_errno_error(const struct s2_paths *p, const char *path, int eno, struct s2_err *err);

/* Find <debugfs>/kvm_s2stat into @root, or say why it is not there. */
int s2_find_root(const struct s2_paths *p, char *root, size_t size, struct s2_err *err);

int s2_load(const struct s2_paths *p, const struct s2_select *sel, unsigned int flags,
	    struct s2_snapshot *snap, struct s2_err *err);
void s2_snapshot_free(struct s2_snapshot *snap);

bool s2_selected(const struct s2_select *sel, const char *name, uint32_t pid);

#endif /* KVM_S2STAT_READ_H */
