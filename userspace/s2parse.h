/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: parsers of the kvm_s2stat debugfs files (docs/debugfs.md, format 1).
 *
 * Every parser works on a memory buffer (no I/O), so the same code serves the CLI, the unit
 * tests and the fuzzer.  Parsers are strict about what format 1 defines and forward
 * compatible exactly as its "Stability" section allows (unknown keys are ignored, unknown
 * diff kinds are kept).  On failure they return -1 and fill struct s2_err with an exit code
 * (S2_EXIT_*) and a one-line message naming the file and line.
 */
#ifndef KVM_S2STAT_PARSE_H
#define KVM_S2STAT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kvm_s2stat/decode.h>
#include <kvm_s2stat/format.h>

/* Exit codes (docs/cli.md, kvm-s2stat.8, --help). */
enum s2_exit {
	S2_EXIT_OK = 0,
	S2_EXIT_RUNTIME = 1,	/* any other runtime error */
	S2_EXIT_USAGE = 2,	/* bad option or argument */
	S2_EXIT_NOMODULE = 3,	/* debugfs mounted, no kvm_s2stat directory */
	S2_EXIT_NOTMOUNTED = 4,	/* debugfs not mounted */
	S2_EXIT_LOCKDOWN = 5,	/* debugfs locked down or disabled */
	S2_EXIT_PERM = 6,	/* permission denied */
	S2_EXIT_FORMAT = 7,	/* unsupported format version */
	S2_EXIT_MALFORMED = 8,	/* malformed content */
	S2_EXIT_EXPECT = 10,	/* --expect policy violated */
	S2_EXIT_VERIFY = 11,	/* --verify found differences */
	S2_EXIT_NOTHING = 12,	/* --expect had no VFIO mapping to check */
	S2_EXIT_INCOMPLETE = 13,	/* --expect wc: no violation seen, but not all was seen */
};

#define S2_ERR_MSG	768

struct s2_err {
	int code;
	char msg[S2_ERR_MSG];
};

/* Fill @err (code and printf-style message); returns -1. */
int s2_fail(struct s2_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define S2_NAME_MAX	32	/* "<pid>-<fd>" */
#define S2_STR_MAX	128	/* module_version, kernel, ... */
#define S2_DRIVER_MAX	64

/* version */
struct s2_version {
	char module_version[S2_STR_MAX];
	unsigned int format;
};

/* stats: numeric counters, in docs/debugfs.md order. */
enum s2_stat {
	S2_STAT_VMS, S2_STAT_VMS_SEEN, S2_STAT_VMS_GONE,
	S2_STAT_PROBE_MAP,	/* optional: formats 1 and 2 only */
	S2_STAT_PROBE_MAP_DEVICE, S2_STAT_PROBE_MAP_FAILED, S2_STAT_PROBE_UNMAP,
	S2_STAT_PROBE_PERM, S2_STAT_PROBE_DESTROY, S2_STAT_PROBE_MISSED, S2_STAT_DROPS,
	S2_STAT_RANGES, S2_STAT_RANGES_MAX, S2_STAT_LIVE_OBJECTS, S2_STAT_BYTES_HELD,
	S2_STAT_PCI_BARS, S2_STAT_VFIO_BARS, S2_STAT_RESYNCS,
	S2_STAT_WALK_MAX_LOCK_HOLD_US,	/* optional: added within format 1 */
	S2_STAT_NR,
};
#define S2_STAT_FIRST_OPTIONAL	S2_STAT_WALK_MAX_LOCK_HOLD_US
extern const char *const s2_stat_names[S2_STAT_NR];

struct s2_stats {
	char module_version[S2_STR_MAX];
	char kernel[S2_STR_MAX];
	char kvm_mode[16];	/* vhe, nvhe, protected */
	char discovery[16];	/* kvm-debugfs, on-fault */
	char map_hook[16];	/* ftrace, kretprobe, fprobe; "" from modules that do not say */
	char cacheable_pfnmap[16];	/* supported, no-fwb, no-dic, no-fwb-dic, kernel; or "" */
	bool has_dic, dic;	/* the CPU has CTR_EL0.DIC (0.2.0+) */
	uint64_t page_size;
	unsigned int page_shift;
	bool fwb, lpa2;
	uint64_t val[S2_STAT_NR];
	bool has[S2_STAT_NR];		/* the module printed it (optional keys may be absent) */
};

/* summary and status share the per-VM counters. */
struct s2_counts {
	uint64_t vfio[S2_ATTR_NR];	/* pages by attribute */
	uint64_t other[S2_ATTR_NR];
};

/* fd of a VM named "<pid>-vm<N>" (no KVM debugfs directory): sorts after every fd. */
#define S2_FD_NONE	0x7fffffffu

struct s2_vm_row {
	char name[S2_NAME_MAX];
	uint32_t pid, fd;
	bool exact;
	bool unwalkable;	/* state unwalkable: counts from events only */
	struct s2_counts c;
	uint64_t failed, drops;
};

struct s2_summary {
	struct s2_vm_row *vms;
	size_t n;
};

struct s2_status {
	char vm[S2_NAME_MAX];
	uint32_t pid;
	bool exact;
	bool unwalkable;
	bool load;		/* found: load (existed at module load), else fault */
	struct s2_counts c;
	uint64_t vfio_bytes, other_bytes;
	uint64_t ranges, page_leaves, block_leaves;
	uint64_t failed[S2_ATTR_NR];
	uint64_t drops, resyncs;
};

/* One mappings record.  bdf packed as domain<<16 | bus<<8 | dev<<3 | fn. */
struct s2_map {
	uint64_t ipa_start, ipa_end, pa_start, pa_end, pages;
	uint32_t bdf;
	uint16_t driver;	/* index in s2_mappings.drivers; 0 = "-" */
	int8_t level;
	uint8_t attr;		/* enum s2_attr */
	uint8_t memattr;
	uint8_t perm;		/* S2_PERM_* */
	bool vfio;		/* class vfio (else other) */
	bool has_bdf;
	int8_t bar;		/* -1 = "-"; a BAR, or a VFIO region when via is vma */
	uint8_t via;		/* S2_MAP_VIA_* (format 2) */
	uint8_t reason;		/* enum s2_reason (format 2; S2_REASON_UNKNOWN in format 1) */
};

/* How the module attributed a range (mappings "via", format 2). */
#define S2_MAP_VIA_NONE	0
#define S2_MAP_VIA_PA	1
#define S2_MAP_VIA_VMA	2

struct s2_mappings {
	struct s2_map *v;
	size_t n;
	char (*drivers)[S2_DRIVER_MAX];	/* [0] = "-" */
	size_t ndrivers;
};

enum s2_verify_res { S2_VERIFY_OK, S2_VERIFY_DIFFER, S2_VERIFY_UNAVAILABLE };

struct s2_diff_side {
	bool present;
	char attr[16];		/* an s2_attr or s2_mt name */
	uint64_t pa;
	uint8_t perm;
	int8_t level;
	uint8_t memattr;
};

struct s2_diff {
	char kind[16];		/* missing, stale, mismatch or a newer kind */
	uint64_t ipa_start, ipa_end;
	struct s2_diff_side table, tracked;
};

enum s2_verify_key {
	S2_VKEY_WALKED_LEAVES, S2_VKEY_TABLE_DEVICE_PAGES, S2_VKEY_TRACKED_DEVICE_PAGES,
	S2_VKEY_CHUNKS, S2_VKEY_MAX_LOCK_HOLD_US, S2_VKEY_PENDING_PAGES,
	S2_VKEY_COUNTER_DIFFERENCES, S2_VKEY_NR,
};
extern const char *const s2_verify_key_names[S2_VKEY_NR];

struct s2_verify {
	enum s2_verify_res result;
	uint64_t differences;
	uint64_t val[S2_VKEY_NR];
	bool has[S2_VKEY_NR];
	struct s2_diff *diffs;
	size_t ndiffs;
};

#define S2_VERIFY_MAX_DIFF_LINES	1000

/* effective (docs/debugfs.md "<vm>/effective"). */
enum s2_eff_result { S2_EFF_OK, S2_EFF_PARTIAL, S2_EFF_UNAVAILABLE };
/* kernel_half, user_half, root status */
enum s2_half { S2_HALF_OK, S2_HALF_PARTIAL, S2_HALF_STALE, S2_HALF_UNAVAILABLE,
	       S2_HALF_DISABLED, S2_HALF_NONE, S2_HALF_NR };
extern const char *const s2_eff_results[3];
extern const char *const s2_half_names[S2_HALF_NR];

enum s2_ekey {
	S2_EKEY_VCPUS, S2_EKEY_VCPUS_CAPTURED, S2_EKEY_CAPTURES_REFUSED, S2_EKEY_USER_ROOTS,
	S2_EKEY_USER_ROOTS_STALE, S2_EKEY_USER_ROOT_AGE_MS, S2_EKEY_DEVICE_SLOTS,
	S2_EKEY_DESCRIPTORS, S2_EKEY_TABLE_PAGES, S2_EKEY_BUDGET, S2_EKEY_CAPTURE_MS,
	S2_EKEY_WALK_US, S2_EKEY_ROWS, S2_EKEY_ROWS_DROPPED, S2_EKEY_NR,
};
extern const char *const s2_ekey_names[S2_EKEY_NR];

#define S2_EFF_DASH		0xff	/* a column that is "-" */
#define S2_EFF_MAX_ROOTS	64
#define S2_EFF_MAX_ROWS		65536

struct s2_eff_root {
	char id[8];		/* "k" (the kernel's, TTBR1) or "u<N>" (a user root, TTBR0) */
	bool user;
	int status;		/* enum s2_half: ok, partial, stale, unavailable, disabled */
	uint64_t ttbr, tcr, mair, seen, seen_ms_ago;
	uint32_t asid, granule, va_bits;
	bool ds;
};

struct s2_eff_row {
	uint64_t va_start, va_end, ipa_start, ipa_end;
	uint32_t bdf;
	bool has_bdf, user, mapped;
	int8_t bar;		/* -1 = "-" */
	uint8_t root;		/* index in s2_effective.roots */
	uint8_t s1, s2, eff;	/* enum s2_mt; S2_EFF_DASH for "-" (s2, eff) */
	uint8_t mair, memattr;	/* memattr S2_EFF_DASH for "-" */
	uint8_t cls;		/* 0 vfio, 1 other, 2 "-" */
};

struct s2_effective {
	int result;		/* enum s2_eff_result */
	char reason[32];	/* with result unavailable */
	int kernel_half, user_half;	/* enum s2_half */
	uint64_t val[S2_EKEY_NR];
	bool has[S2_EKEY_NR];
	bool fwb;
	struct s2_eff_root *roots;
	size_t nroots;
	struct s2_eff_row *v;
	size_t n;
};

/*
 * Parsers.  @path names the file in messages ("<path>:<line>: ...").  @buf need not be
 * NUL-terminated.  Outputs own heap memory; free with the matching *_free().
 */
int s2_parse_version(const char *buf, size_t len, const char *path, struct s2_version *out,
		     struct s2_err *err);
int s2_parse_stats(const char *buf, size_t len, const char *path, struct s2_stats *out,
		   struct s2_err *err);
int s2_parse_summary(const char *buf, size_t len, const char *path, struct s2_summary *out,
		     struct s2_err *err);
void s2_summary_free(struct s2_summary *s);
/* @st (may be NULL): the module's stats; page_size checks vfio_bytes and other_bytes. */
int s2_parse_status(const char *buf, size_t len, const char *path, const struct s2_stats *st,
		    struct s2_status *out, struct s2_err *err);
/* @st: the module's stats (page_size and fwb check the ranges). */
int s2_parse_mappings(const char *buf, size_t len, const char *path, const struct s2_stats *st,
		      struct s2_mappings *out, struct s2_err *err);
void s2_mappings_free(struct s2_mappings *m);
int s2_parse_verify(const char *buf, size_t len, const char *path, struct s2_verify *out,
		    struct s2_err *err);
void s2_verify_free(struct s2_verify *v);

int s2_parse_effective(const char *buf, size_t len, const char *path, struct s2_effective *out,
		       struct s2_err *err);
void s2_effective_free(struct s2_effective *e);

/* Helpers shared with the output code. */
const char *s2_bdf_str(uint32_t bdf, char buf[16]);
const char *s2_map_driver(const struct s2_mappings *m, const struct s2_map *r);

#endif /* KVM_S2STAT_PARSE_H */
