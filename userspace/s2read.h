/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: reading the kvm_s2stat debugfs tree into a snapshot, and telling apart
 * why it cannot be read (module not loaded, debugfs not mounted, locked down, not root).
 */
#ifndef KVM_S2STAT_READ_H
#define KVM_S2STAT_READ_H

#include <time.h>

#include "s2ident.h"
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

/*
 * VM selection.  A VM is selected when it matches any of -p/--vm/-g (or none is given), and
 * maps memory of one of the --bdf devices (if any), and, with -z, has device memory mapped or
 * failed maps.  With --bdf, each selected VM's mappings are limited to those devices.
 */
struct s2_select {
	const uint32_t *pids;		/* -p */
	size_t npids;
	const char *const *vms;		/* --vm <pid>-<fd> */
	size_t nvms;
	const char *const *guests;	/* -g: guest name, UUID or <pid>-<fd> */
	size_t nguests;
	const uint32_t *bdfs;		/* --bdf, packed as in struct s2_map */
	size_t nbdfs;
	bool skip_zero;			/* -z */
};

enum {
	S2_LOAD_MAPPINGS = 1,	/* read each selected VM's mappings */
	S2_LOAD_VERIFY = 2,	/* read each selected VM's verify (runs the module's walk) */
	S2_LOAD_EFFECTIVE = 4,	/* read each selected VM's effective (captures, guest walks) */
};

struct s2_vm {
	struct s2_status st;
	uint32_t fd;		/* of the name <pid>-<fd> */
	char comm[32];		/* /proc/<pid>/comm, non-printable bytes as '?' */
	bool has_comm;
	struct s2_ident id;	/* from /proc/<pid>/cmdline (all VMs of a process share it) */
	bool has_maps, has_verify;
	bool has_eff;		/* effective was read (S2_LOAD_EFFECTIVE) */
	bool eff_missing;	/* the module has no effective file (older than this CLI) */
	bool maps_mismatch;	/* mappings and status disagreed, also after a re-read */
	struct s2_mappings maps;	/* with --bdf: only the ranges of those devices */
	struct s2_verify ver;
	struct s2_effective eff;
};

struct s2_snapshot {
	char root[PATH_MAX];	/* <debugfs>/kvm_s2stat */
	struct s2_version version;
	struct s2_stats stats;
	struct s2_vm *vms;	/* selected VMs still present, in summary order */
	size_t n;
	size_t listed;		/* VMs listed in summary (all, before selection) */
	size_t matched;		/* of which matched -p/--vm/-g (all when none is given) */
	size_t vanished;	/* selected VMs destroyed while being read (skipped) */
	size_t skipped_zero;	/* left out by -z: no device memory mapped, no failed map */
	size_t bdf_unmatched;	/* left out by --bdf: no memory of those devices mapped */
	struct timespec when;	/* CLOCK_REALTIME when reading started */
};

/*
 * Read a whole file (debugfs files have no size) of at most @max bytes: -1 with errno EFBIG
 * beyond, or, with S2_READ_CUT, the first @max bytes.  -1 with errno set on failure.
 */
#define S2_READ_CUT	1
int s2_read_file(const char *path, size_t max, unsigned int flags, char **buf, size_t *len);

/* The active kernel lockdown mode ("integrity", "confidentiality") or NULL. */
const char *s2_lockdown_mode(const struct s2_paths *p, char *buf, size_t size);

/* An error opening or reading @path (errno @eno) as an exit code and message. */
int s2_errno_error(const struct s2_paths *p, const char *path, int eno, struct s2_err *err);

/* Find <debugfs>/kvm_s2stat into @root, or say why it is not there. */
int s2_find_root(const struct s2_paths *p, char *root, size_t size, struct s2_err *err);

int s2_load(const struct s2_paths *p, const struct s2_select *sel, unsigned int flags,
	    struct s2_snapshot *snap, struct s2_err *err);
void s2_snapshot_free(struct s2_snapshot *snap);

/* Does the VM @name of @pid, with identity @id (NULL: not read yet), match -p/--vm/-g? */
bool s2_selected(const struct s2_select *sel, const char *name, uint32_t pid,
		 const struct s2_ident *id);
/* Is -g given (the identity is needed before selecting)? */
bool s2_select_needs_ident(const struct s2_select *sel);

#endif /* KVM_S2STAT_READ_H */
