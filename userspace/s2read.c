// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: reading the kvm_s2stat debugfs tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "s2read.h"

#ifndef DEBUGFS_MAGIC
#define DEBUGFS_MAGIC	0x64626720
#endif

int s2_read_file(const char *path, size_t max, unsigned int flags, char **bufp, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (cap > max + 1)
		cap = max + 1;	/* one byte more than allowed tells "too large" */
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			size_t nc = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			char *nb;

			if (len > max) {
				if (flags & S2_READ_CUT) {
					len = max;
					break;
				}
				e = EFBIG;
				goto fail;
			}
			nb = realloc(buf, nc);
			if (!nb) {
				e = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap = nc;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > max) {
		if (!(flags & S2_READ_CUT)) {
			e = EFBIG;
			goto fail;
		}
		len = max;
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	free(buf);
	close(fd);
	errno = e;
	return -1;
}

static int path_join(char *dst, size_t size, const char *a, const char *b)
{
	int n = snprintf(dst, size, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

const char *s2_lockdown_mode(const struct s2_paths *p, char *out, size_t size)
{
	char path[PATH_MAX], *buf, *l, *r;
	size_t len;

	if (path_join(path, sizeof(path), p->sys, "kernel/security/lockdown") ||
	    s2_read_file(path, 4096, 0, &buf, &len))
		return NULL;
	buf[len ? len - 1 : 0] = '\0';	/* "none [integrity] confidentiality\n" */
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!l || !r || r - l - 1 <= 0 || (size_t)(r - l - 1) >= size ||
	    !strncmp(l + 1, "none]", 5)) {
		free(buf);
		return NULL;
	}
	memcpy(out, l + 1, (size_t)(r - l - 1));
	out[r - l - 1] = '\0';
	free(buf);
	return out;
}

int s2_errno_error(const struct s2_paths *p, const char *path, int eno, struct s2_err *err)
{
	char mode[32];

	/*
	 * Lockdown refuses with EPERM even for root; EACCES is the ordinary mode-bits refusal
	 * (debugfs is root-only), whatever the lockdown mode.
	 */
	if (eno == EPERM || eno == EACCES) {
		if (eno == EPERM && s2_lockdown_mode(p, mode, sizeof(mode)))
			return s2_fail(err, S2_EXIT_LOCKDOWN,
				       "%s: %s: kernel lockdown (%s) restricts debugfs: boot with "
				       "lockdown=none (or turn off Secure Boot's lockdown) to use "
				       "kvm-s2stat", path, strerror(eno), mode);
		return s2_fail(err, S2_EXIT_PERM, "%s: %s: run as root (sudo kvm-s2stat)", path,
			       strerror(eno));
	}
	return s2_fail(err, S2_EXIT_RUNTIME, "%s: %s", path, strerror(eno));
}

/* Mount points in <proc>/self/mounts escape ' ', '\t', '\n' and '\\' as \ooo. */
static void unescape_mount(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* 1: @dir is a debugfs mount (statfs magic, or listed as debugfs in <proc>/self/mounts). */
static int is_debugfs(const struct s2_paths *p, const char *dir)
{
	char path[PATH_MAX], real[PATH_MAX], *buf, *line, *save = NULL;
	struct statfs sfs;
	size_t len;
	int found = 0;

	if (!statfs(dir, &sfs) && (unsigned long)sfs.f_type == DEBUGFS_MAGIC)
		return 1;
	if (!realpath(dir, real))
		return 0;
	if (path_join(path, sizeof(path), p->proc, "self/mounts") ||
	    s2_read_file(path, 64 << 20, 0, &buf, &len))
		return 0;
	{
		char *nb = realloc(buf, len + 1);

		if (!nb) {
			free(buf);
			return 0;
		}
		buf = nb;
		buf[len] = '\0';
	}
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[3], *s2 = NULL;
		int i;

		f[0] = strtok_r(line, " ", &s2);
		for (i = 1; i < 3 && f[i - 1]; i++)
			f[i] = strtok_r(NULL, " ", &s2);
		if (i < 3 || !f[1] || !f[2] || strcmp(f[2], "debugfs"))
			continue;
		unescape_mount(f[1]);
		found = !strcmp(f[1], real);
	}
	free(buf);
	return found;
}

/* Is debugfs switched off (debugfs=off / no-mount on the command line, or not in the kernel)? */
static const char *debugfs_disabled(const struct s2_paths *p)
{
	char path[PATH_MAX], *buf;
	const char *why = NULL;
	size_t len;

	if (!path_join(path, sizeof(path), p->proc, "cmdline") &&
	    !s2_read_file(path, 64 << 10, S2_READ_CUT, &buf, &len)) {
		for (size_t i = 0; i < len; i++) {
			if (i && buf[i - 1] != ' ' && buf[i - 1] != '\0')
				continue;
			if (len - i >= 11 && !memcmp(buf + i, "debugfs=off", 11) &&
			    (len - i == 11 || buf[i + 11] == ' ' || buf[i + 11] == '\n' ||
			     buf[i + 11] == '\0'))
				why = "debugfs=off is on the kernel command line: reboot without it";
			else if (len - i >= 16 && !memcmp(buf + i, "debugfs=no-mount", 16))
				why = "debugfs=no-mount is on the kernel command line: reboot without it";
		}
		free(buf);
		if (why)
			return why;
	}
	if (!path_join(path, sizeof(path), p->proc, "filesystems") &&
	    !s2_read_file(path, 64 << 10, 0, &buf, &len)) {
		bool any = len > 0, have = false;
		char *nb = realloc(buf, len + 1);

		if (nb) {
			buf = nb;
			buf[len] = '\0';
			for (char *l = buf; l && *l; ) {
				char *nl = strchr(l, '\n'), *tab;

				if (nl)
					*nl = '\0';
				tab = strrchr(l, '\t');
				if (!strcmp(tab ? tab + 1 : l, "debugfs"))
					have = true;
				l = nl ? nl + 1 : NULL;
			}
		}
		free(buf);
		if (any && !have)
			return "this kernel has no debugfs (CONFIG_DEBUG_FS=n or debugfs=off): "
			       "use a kernel with debugfs enabled";
	}
	return NULL;
}

/* @dir holds the module's own files (version and summary): --debugfs was given its directory. */
static bool is_module_dir(const char *dir)
{
	char path[PATH_MAX];
	struct stat sb;

	return !path_join(path, sizeof(path), dir, S2_FILE_VERSION) && !stat(path, &sb) &&
	       S_ISREG(sb.st_mode) && !path_join(path, sizeof(path), dir, S2_FILE_SUMMARY) &&
	       !stat(path, &sb) && S_ISREG(sb.st_mode);
}

int s2_find_root(const struct s2_paths *p, char *root, size_t size, struct s2_err *err)
{
	struct stat sb;
	const char *why;
	char mode[32];

	if (path_join(root, size, p->debugfs, S2_DEBUGFS_DIR))
		return s2_fail(err, S2_EXIT_USAGE, "--debugfs %s: path too long", p->debugfs);
	if (!stat(root, &sb)) {
		if (!S_ISDIR(sb.st_mode))
			return s2_fail(err, S2_EXIT_RUNTIME, "%s is not a directory: is another "
				       "program using this name? reload kvm_s2stat", root);
		return 0;
	}
	if (errno == EACCES || errno == EPERM)
		return s2_errno_error(p, root, errno, err);
	if (errno != ENOENT && errno != ENOTDIR)
		return s2_errno_error(p, root, errno, err);
	if (is_module_dir(p->debugfs)) {
		char parent[PATH_MAX];
		const char *slash;

		snprintf(parent, sizeof(parent), "%s", p->debugfs);
		while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
			parent[strlen(parent) - 1] = '\0';
		slash = strrchr(parent, '/');
		if (slash && slash != parent)
			parent[slash - parent] = '\0';
		else
			snprintf(parent, sizeof(parent), "%s", slash ? "/" : ".");
		return s2_fail(err, S2_EXIT_USAGE, "--debugfs %s is the kvm_s2stat directory "
			       "itself: give the directory that holds it (--debugfs %s)", p->debugfs,
			       parent);
	}
	if (is_debugfs(p, p->debugfs)) {
		if (s2_lockdown_mode(p, mode, sizeof(mode)))
			return s2_fail(err, S2_EXIT_NOMODULE, "kvm_s2stat module not loaded (no %s; "
				       "kernel lockdown (%s) is on: the module must be signed): "
				       "load it: modprobe kvm_s2stat", root, mode);
		return s2_fail(err, S2_EXIT_NOMODULE, "kvm_s2stat module not loaded (no %s): load "
			       "it: modprobe kvm_s2stat", root);
	}
	why = debugfs_disabled(p);
	if (why)
		return s2_fail(err, S2_EXIT_LOCKDOWN, "debugfs is disabled: %s", why);
	/* Lockdown, whatever its mode, lets root mount debugfs and read its read-only files. */
	return s2_fail(err, S2_EXIT_NOTMOUNTED, "debugfs is not mounted on %s: mount -t debugfs "
		       "none %s", p->debugfs, p->debugfs);
}

bool s2_select_needs_ident(const struct s2_select *sel)
{
	return sel && sel->nguests;
}

static bool uuid_eq(const char *a, const char *b)
{
	return strlen(a) == S2_UUID_LEN && !strcasecmp(a, b);
}

bool s2_selected(const struct s2_select *sel, const char *name, uint32_t pid,
		 const struct s2_ident *id)
{
	size_t i;

	if (!sel || (!sel->npids && !sel->nvms && !sel->nguests))
		return true;
	for (i = 0; i < sel->npids; i++)
		if (sel->pids[i] == pid)
			return true;
	for (i = 0; i < sel->nvms; i++)
		if (!strcmp(sel->vms[i], name))
			return true;
	for (i = 0; i < sel->nguests; i++) {
		const char *g = sel->guests[i];

		if (!strcmp(g, name))
			return true;
		if (!id)
			continue;
		if (id->has_uuid && uuid_eq(g, id->uuid))
			return true;
		/* a name longer than S2_DOMAIN_MAX matches on what was kept of it */
		if (id->has_domain && (!strcmp(g, id->domain) ||
				       (id->domain_cut && !strncmp(g, id->domain,
								   strlen(id->domain)))))
			return true;
	}
	return false;
}

/* Size limits of what is read (a file beyond its limit is an error, exit 8). */
#define MAX_SMALL	(64 << 10)	/* version, stats, status */
#define MAX_SUMMARY	(64 << 20)	/* ~600 000 VMs */
#define MAX_VERIFY	(1 << 20)	/* 1000 diff lines of ~200 bytes and the keys */
#define MAX_EFFECTIVE	(1 << 20)	/* the module writes at most 256 KiB */
#define MAPPING_LINE	256		/* bytes per mappings line, generously */

/*
 * A mappings file holds at most the module's range budget (plus one walk chunk a resync may
 * hold beyond it): ranges_max lines.
 */
static size_t max_mappings(const struct s2_stats *st)
{
	uint64_t r = st->has[S2_STAT_RANGES_MAX] ? st->val[S2_STAT_RANGES_MAX] : 0;
	uint64_t limit = (uint64_t)(SIZE_MAX / 4);

	if (r > limit / MAPPING_LINE)
		return (size_t)limit;
	r = (r + 4096) * MAPPING_LINE;
	return (size_t)(r > limit ? limit : r < (1 << 20) ? (1 << 20) : r);
}

/*
 * Read <root>/<rel>.  Returns 0, -1 on error (err set), or 1 when the file belongs to a VM
 * (@vmdir set) that vanished: ENOENT, or EIO/ENODEV (a debugfs file removed while open)
 * with the VM directory gone.
 */
static int read_one(const struct s2_paths *p, const char *root, const char *vmdir,
		    const char *name, size_t max, char *path, size_t psize, char **buf,
		    size_t *len, struct s2_err *err)
{
	char dir[PATH_MAX];
	struct stat sb;
	int e;

	if (vmdir) {
		if (path_join(dir, sizeof(dir), root, vmdir) || path_join(path, psize, dir, name))
			return s2_fail(err, S2_EXIT_RUNTIME, "%s/%s: path too long", root, vmdir);
	} else if (path_join(path, psize, root, name)) {
		return s2_fail(err, S2_EXIT_RUNTIME, "%s/%s: path too long", root, name);
	}
	if (!s2_read_file(path, max, 0, buf, len))
		return 0;
	e = errno;
	if (vmdir && (e == ENOENT || ((e == EIO || e == ENODEV) && stat(dir, &sb))))
		return 1;
	if (e == ENOENT)
		return s2_fail(err, S2_EXIT_MALFORMED, "%s: missing: the kvm_s2stat module and "
			       "this kvm-s2stat do not match, or the module is being unloaded",
			       path);
	if (e == EFBIG)
		return s2_fail(err, S2_EXIT_MALFORMED, "%s: larger than %zu bytes, more than the "
			       "module can write (malformed kvm_s2stat output: report it)", path,
			       max);
	return s2_errno_error(p, path, e, err);
}

/* /proc/<pid>/comm (non-printable bytes as '?') and the identity in /proc/<pid>/cmdline. */
static void read_process(const struct s2_paths *p, uint32_t pid, struct s2_vm *vm)
{
	char path[PATH_MAX], *buf;
	size_t len, i;

	vm->has_comm = false;
	vm->comm[0] = '\0';
	memset(&vm->id, 0, sizeof(vm->id));
	if (snprintf(path, sizeof(path), "%s/%u/comm", p->proc, pid) < (int)sizeof(path) &&
	    !s2_read_file(path, 64, S2_READ_CUT, &buf, &len)) {
		while (len && (buf[len - 1] == '\n'))
			len--;
		if (len >= sizeof(vm->comm))
			len = sizeof(vm->comm) - 1;
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)buf[i];

			vm->comm[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		vm->comm[len] = '\0';
		vm->has_comm = true;
		free(buf);
	}
	if (snprintf(path, sizeof(path), "%s/%u/cmdline", p->proc, pid) < (int)sizeof(path) &&
	    !s2_read_file(path, S2_CMDLINE_MAX, S2_READ_CUT, &buf, &len)) {
		s2_ident_parse(buf, len, &vm->id);
		free(buf);
	}
}

static void vm_free(struct s2_vm *vm)
{
	s2_mappings_free(&vm->maps);
	s2_verify_free(&vm->ver);
	s2_effective_free(&vm->eff);
}

void s2_snapshot_free(struct s2_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		vm_free(&snap->vms[i]);
	free(snap->vms);
	snap->vms = NULL;
	snap->n = 0;
}

static bool vm_zero(const struct s2_status *st)
{
	for (int a = 0; a < S2_ATTR_NR; a++)
		if (st->c.vfio[a] || st->c.other[a] || st->failed[a])
			return false;
	return true;
}

/* Do the mappings add up to the page counts of status? */
static bool maps_match(const struct s2_mappings *m, const struct s2_status *st)
{
	struct s2_counts c;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < m->n; i++) {
		uint64_t *v = m->v[i].vfio ? &c.vfio[m->v[i].attr] : &c.other[m->v[i].attr];

		if (__builtin_add_overflow(*v, m->v[i].pages, v))
			return false;
	}
	return !memcmp(&c, &st->c, sizeof(c));
}

static bool bdf_wanted(const struct s2_select *sel, const struct s2_map *m)
{
	if (!m->has_bdf)
		return false;
	for (size_t i = 0; i < sel->nbdfs; i++)
		if (sel->bdfs[i] == m->bdf)
			return true;
	return false;
}

/* Keep only the ranges of the --bdf devices; false when none is left. */
static bool filter_bdf(const struct s2_select *sel, struct s2_mappings *m)
{
	size_t j = 0;

	for (size_t i = 0; i < m->n; i++)
		if (bdf_wanted(sel, &m->v[i]))
			m->v[j++] = m->v[i];
	m->n = j;
	return j > 0;
}

/* status of @row into @vm->st: 0, 1 vanished, -1 error. */
static int load_status(const struct s2_paths *p, struct s2_snapshot *snap,
		       const struct s2_vm_row *row, struct s2_vm *vm, struct s2_err *err)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int r;

	r = read_one(p, snap->root, row->name, S2_FILE_STATUS, MAX_SMALL, path, sizeof(path),
		     &buf, &len, err);
	if (r)
		return r;
	r = s2_parse_status(buf, len, path, &snap->stats, &vm->st, err);
	free(buf);
	if (r)
		return -1;
	if (strcmp(vm->st.vm, row->name))
		return s2_fail(err, S2_EXIT_MALFORMED, "%s: vm %s in the directory of vm %s "
			       "(malformed kvm_s2stat output: report it with a copy of the file)",
			       path, vm->st.vm, row->name);
	return 0;
}

static int load_mappings(const struct s2_paths *p, struct s2_snapshot *snap,
			 const struct s2_vm_row *row, struct s2_vm *vm, struct s2_err *err)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int r;

	r = read_one(p, snap->root, row->name, S2_FILE_MAPPINGS, max_mappings(&snap->stats),
		     path, sizeof(path), &buf, &len, err);
	if (r)
		return r;
	r = s2_parse_mappings(buf, len, path, &snap->stats, &vm->maps, err);
	free(buf);
	if (r)
		return -1;
	vm->has_maps = true;
	return 0;
}

/*
 * effective of @row: 0 (read, or the module has none: vm->eff_missing), 1 vanished, -1 error.
 * Reading it makes the module capture the vCPUs' registers and walk the guest's tables.
 */
static int load_effective(const struct s2_paths *p, struct s2_snapshot *snap,
			  const struct s2_vm_row *row, struct s2_vm *vm, struct s2_err *err)
{
	char path[PATH_MAX], dir[PATH_MAX], *buf;
	struct stat sb;
	size_t len;
	int r;

	r = read_one(p, snap->root, row->name, S2_FILE_EFFECTIVE, MAX_EFFECTIVE, path,
		     sizeof(path), &buf, &len, err);
	if (r > 0 && !path_join(dir, sizeof(dir), snap->root, row->name) && !stat(dir, &sb)) {
		/* The VM is there, its effective file is not: a module older than this CLI. */
		vm->eff_missing = true;
		return 0;
	}
	if (r)
		return r;
	r = s2_parse_effective(buf, len, path, &vm->eff, err);
	free(buf);
	if (r)
		return -1;
	vm->has_eff = true;
	return 0;
}

/*
 * One VM of the summary into @vm: 0 selected and read, 1 left out (vanished, -z, --bdf; the
 * snapshot's counters say which), -1 error.  @vm holds nothing to free unless 0.
 */
static int load_vm(const struct s2_paths *p, const struct s2_select *sel, unsigned int flags,
		   struct s2_snapshot *snap, const struct s2_vm_row *row, struct s2_vm *vm,
		   struct s2_err *err)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int r;

	r = load_status(p, snap, row, vm, err);
	if (r)
		goto out;
	if (sel && sel->skip_zero && vm_zero(&vm->st)) {
		snap->skipped_zero++;
		return 1;
	}
	if ((flags & S2_LOAD_MAPPINGS) || (sel && sel->nbdfs)) {
		r = load_mappings(p, snap, row, vm, err);
		if (r)
			goto out;
		/*
		 * status and mappings are two reads: a VM that faults in between makes them
		 * disagree.  Read both again once; a lasting difference is reported.
		 */
		if (!maps_match(&vm->maps, &vm->st)) {
			s2_mappings_free(&vm->maps);
			vm->has_maps = false;
			r = load_status(p, snap, row, vm, err);
			if (!r)
				r = load_mappings(p, snap, row, vm, err);
			if (r)
				goto out;
			vm->maps_mismatch = !maps_match(&vm->maps, &vm->st);
		}
		if (sel && sel->nbdfs && !filter_bdf(sel, &vm->maps)) {
			vm_free(vm);
			snap->bdf_unmatched++;
			return 1;
		}
	}
	if (flags & S2_LOAD_VERIFY) {
		r = read_one(p, snap->root, row->name, S2_FILE_VERIFY, MAX_VERIFY, path,
			     sizeof(path), &buf, &len, err);
		if (r)
			goto out;
		r = s2_parse_verify(buf, len, path, &vm->ver, err);
		free(buf);
		if (r) {
			r = -1;
			goto out;
		}
		vm->has_verify = true;
	}
	if (flags & S2_LOAD_EFFECTIVE) {
		r = load_effective(p, snap, row, vm, err);
		if (r)
			goto out;
	}
	return 0;
out:
	vm_free(vm);
	if (r > 0)
		snap->vanished++;
	return r;
}

int s2_load(const struct s2_paths *p, const struct s2_select *sel, unsigned int flags,
	    struct s2_snapshot *snap, struct s2_err *err)
{
	char path[PATH_MAX], *buf = NULL;
	struct s2_summary sum = { 0 };
	struct s2_vm proc;	/* the process of the previous row (rows are sorted by pid) */
	uint32_t proc_pid = 0;
	bool have_proc = false;
	size_t len, i;
	int r;

	memset(snap, 0, sizeof(*snap));
	clock_gettime(CLOCK_REALTIME, &snap->when);
	if (s2_find_root(p, snap->root, sizeof(snap->root), err))
		return -1;

	if (read_one(p, snap->root, NULL, S2_FILE_VERSION, MAX_SMALL, path, sizeof(path), &buf,
		     &len, err))
		return -1;
	r = s2_parse_version(buf, len, path, &snap->version, err);
	free(buf);
	if (r)
		return -1;

	if (read_one(p, snap->root, NULL, S2_FILE_STATS, MAX_SMALL, path, sizeof(path), &buf,
		     &len, err))
		return -1;
	r = s2_parse_stats(buf, len, path, &snap->stats, err);
	free(buf);
	if (r)
		return -1;

	if (read_one(p, snap->root, NULL, S2_FILE_SUMMARY, MAX_SUMMARY, path, sizeof(path), &buf,
		     &len, err))
		return -1;
	r = s2_parse_summary(buf, len, path, &sum, err);
	free(buf);
	if (r)
		return -1;
	snap->listed = sum.n;
	if (sum.n) {
		snap->vms = calloc(sum.n, sizeof(*snap->vms));
		if (!snap->vms) {
			s2_summary_free(&sum);
			return s2_fail(err, S2_EXIT_RUNTIME, "out of memory");
		}
	}

	for (i = 0; i < sum.n; i++) {
		const struct s2_vm_row *row = &sum.vms[i];
		struct s2_vm *vm = &snap->vms[snap->n];
		bool need_ident = s2_select_needs_ident(sel);

		if (need_ident && (!have_proc || proc_pid != row->pid)) {
			read_process(p, row->pid, &proc);
			proc_pid = row->pid;
			have_proc = true;
		}
		if (!s2_selected(sel, row->name, row->pid, need_ident ? &proc.id : NULL))
			continue;
		snap->matched++;
		memset(vm, 0, sizeof(*vm));
		r = load_vm(p, sel, flags, snap, row, vm, err);
		if (r < 0)
			goto fail;
		if (r > 0)
			continue;
		vm->fd = row->fd;
		if (!have_proc || proc_pid != row->pid) {
			read_process(p, row->pid, &proc);
			proc_pid = row->pid;
			have_proc = true;
		}
		memcpy(vm->comm, proc.comm, sizeof(vm->comm));
		vm->has_comm = proc.has_comm;
		vm->id = proc.id;
		snap->n++;
	}
	s2_summary_free(&sum);
	return 0;
fail:
	s2_summary_free(&sum);
	s2_snapshot_free(snap);
	return -1;
}
