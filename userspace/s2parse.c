// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: strict, forward-compatible parsers of the kvm_s2stat debugfs files
 * (docs/debugfs.md, format 1), from memory buffers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2parse.h"
#include "version.h"

const char *const s2_stat_names[S2_STAT_NR] = {
	[S2_STAT_VMS] = "vms",
	[S2_STAT_VMS_SEEN] = "vms_seen",
	[S2_STAT_VMS_GONE] = "vms_gone",
	[S2_STAT_PROBE_MAP] = "probe_map",
	[S2_STAT_PROBE_MAP_DEVICE] = "probe_map_device",
	[S2_STAT_PROBE_MAP_FAILED] = "probe_map_failed",
	[S2_STAT_PROBE_UNMAP] = "probe_unmap",
	[S2_STAT_PROBE_PERM] = "probe_perm",
	[S2_STAT_PROBE_DESTROY] = "probe_destroy",
	[S2_STAT_PROBE_MISSED] = "probe_missed",
	[S2_STAT_DROPS] = "drops",
	[S2_STAT_RANGES] = "ranges",
	[S2_STAT_RANGES_MAX] = "ranges_max",
	[S2_STAT_LIVE_OBJECTS] = "live_objects",
	[S2_STAT_BYTES_HELD] = "bytes_held",
	[S2_STAT_PCI_BARS] = "pci_bars",
	[S2_STAT_VFIO_BARS] = "vfio_bars",
	[S2_STAT_RESYNCS] = "resyncs",
	[S2_STAT_WALK_MAX_LOCK_HOLD_US] = "walk_max_lock_hold_us",
};

const char *const s2_verify_key_names[S2_VKEY_NR] = {
	[S2_VKEY_WALKED_LEAVES] = "walked_leaves",
	[S2_VKEY_TABLE_DEVICE_PAGES] = "table_device_pages",
	[S2_VKEY_TRACKED_DEVICE_PAGES] = "tracked_device_pages",
	[S2_VKEY_CHUNKS] = "chunks",
	[S2_VKEY_MAX_LOCK_HOLD_US] = "max_lock_hold_us",
	[S2_VKEY_PENDING_PAGES] = "pending_pages",
	[S2_VKEY_COUNTER_DIFFERENCES] = "counter_differences",
};

int s2_fail(struct s2_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- lines and tokens ---- */

struct lx {
	const char *p, *end;
	const char *path;
	unsigned int line;
	struct s2_err *err;
	unsigned int format;	/* from line 1 */
};

struct tok {
	const char *s;
	size_t n;
};

#define MALFORMED_HINT	" (malformed kvm_s2stat output: report it with a copy of the file)"

/* A malformed-content error at the current line. */
__attribute__((format(printf, 2, 3)))
static int malformed(struct lx *lx, const char *fmt, ...)
{
	char what[S2_ERR_MSG / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (lx->line)
		return s2_fail(lx->err, S2_EXIT_MALFORMED, "%s:%u: %s" MALFORMED_HINT,
			       lx->path, lx->line, what);
	return s2_fail(lx->err, S2_EXIT_MALFORMED, "%s: %s" MALFORMED_HINT, lx->path, what);
}

/* Next line into @s/@n: 1, 0 at the end, -1 on error (no newline, bytes not printable). */
static int next_line(struct lx *lx, const char **s, size_t *n)
{
	const char *nl;
	size_t i;

	if (lx->p >= lx->end)
		return 0;
	lx->line++;
	nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
	if (!nl)
		return malformed(lx, "last line has no newline (file truncated?)");
	for (i = 0; lx->p + i < nl; i++) {
		unsigned char c = (unsigned char)lx->p[i];

		if (c < 0x20 || c > 0x7e)
			return malformed(lx, "byte 0x%02x at column %zu is not printable ASCII",
					 c, i + 1);
	}
	*s = lx->p;
	*n = (size_t)(nl - lx->p);
	lx->p = nl + 1;
	return 1;
}

/* Split on spaces; stores at most @max tokens and returns how many there are. */
static size_t split(const char *s, size_t n, struct tok *t, size_t max)
{
	size_t i = 0, cnt = 0;

	while (i < n) {
		size_t j;

		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		for (j = i; j < n && s[j] != ' '; j++)
			;
		if (cnt < max) {
			t[cnt].s = s + i;
			t[cnt].n = j - i;
		}
		cnt++;
		i = j;
	}
	return cnt;
}

static bool tok_eq(const struct tok *t, const char *lit)
{
	size_t l = strlen(lit);

	return t->n == l && !memcmp(t->s, lit, l);
}

/* "%.*s" arguments for a token, shortened to 48 characters. */
#define TOKF		"'%.*s%s'"
#define TOKA(t)		(int)((t)->n > 48 ? 48 : (t)->n), (t)->s, (t)->n > 48 ? "..." : ""

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decimal, or hexadecimal with 0x; no sign, no overflow. */
static bool parse_u64(const struct tok *t, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (t->n == 0)
		return false;
	if (t->n > 2 && t->s[0] == '0' && (t->s[1] == 'x' || t->s[1] == 'X')) {
		if (t->n - 2 > 16)
			return false;
		for (i = 2; i < t->n; i++) {
			int h = hexval(t->s[i]);

			if (h < 0)
				return false;
			x = x << 4 | (uint64_t)h;
		}
		*v = x;
		return true;
	}
	for (i = 0; i < t->n; i++) {
		unsigned int d;

		if (t->s[i] < '0' || t->s[i] > '9')
			return false;
		d = (unsigned int)(t->s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

static bool parse_u32(const struct tok *t, uint32_t *v)
{
	uint64_t x;

	if (!parse_u64(t, &x) || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* An address: 0x and exactly 16 hex digits. */
static bool parse_addr(const struct tok *t, uint64_t *v)
{
	if (t->n != 18 || t->s[0] != '0' || t->s[1] != 'x')
		return false;
	return parse_u64(t, v);
}

/* A level: -1..3. */
static bool parse_level(const struct tok *t, int8_t *v)
{
	if (t->n == 2 && t->s[0] == '-' && t->s[1] == '1') {
		*v = -1;
		return true;
	}
	if (t->n == 1 && t->s[0] >= '0' && t->s[0] <= '3') {
		*v = (int8_t)(t->s[0] - '0');
		return true;
	}
	return false;
}

/* "rwx" with '-' for absent permissions. */
static bool parse_perm(const struct tok *t, uint8_t *v)
{
	static const char want[3] = { 'r', 'w', 'x' };
	unsigned int p = 0, i;

	if (t->n != 3)
		return false;
	for (i = 0; i < 3; i++) {
		if (t->s[i] == want[i])
			p |= 1u << i;
		else if (t->s[i] != '-')
			return false;
	}
	*v = (uint8_t)p;	/* bit i: S2_PERM_R, S2_PERM_W, S2_PERM_X */
	return true;
}

static int parse_attr_tok(const struct tok *t)
{
	char buf[24];

	if (t->n >= sizeof(buf))
		return -1;
	memcpy(buf, t->s, t->n);
	buf[t->n] = '\0';
	return s2_attr_parse(buf);
}

/* A keyword: 1-40 characters of [a-z0-9-]. */
static bool tok_word(const struct tok *t)
{
	size_t i;

	if (!t->n || t->n > 40)
		return false;
	for (i = 0; i < t->n; i++) {
		char c = t->s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool tok_copy(char *dst, size_t size, const struct tok *t)
{
	if (t->n >= size)
		return false;
	memcpy(dst, t->s, t->n);
	dst[t->n] = '\0';
	return true;
}


/*
 * A VM name: "<pid>-<fd>" (KVM's own debugfs name), or "<pid>-vm<N>" when KVM has no debugfs
 * directory for the VM (its name was still taken): fd is then S2_FD_NONE, which sorts last.
 */
static bool parse_vm_name(const struct tok *t, uint32_t *pid, uint32_t *fd)
{
	const char *dash = memchr(t->s, '-', t->n);
	struct tok a, b;
	bool fallback;
	uint32_t n;

	if (!dash)
		return false;
	a.s = t->s;
	a.n = (size_t)(dash - t->s);
	b.s = dash + 1;
	b.n = t->n - a.n - 1;
	fallback = b.n > 2 && b.s[0] == 'v' && b.s[1] == 'm';
	if (fallback) {
		b.s += 2;
		b.n -= 2;
	}
	if (!a.n || !b.n || a.n > 10 || b.n > 10)
		return false;
	for (size_t i = 0; i < a.n; i++)
		if (a.s[i] < '0' || a.s[i] > '9')
			return false;
	for (size_t i = 0; i < b.n; i++)
		if (b.s[i] < '0' || b.s[i] > '9')
			return false;
	if (!parse_u32(&a, pid) || !parse_u32(&b, &n))
		return false;
	*fd = fallback ? S2_FD_NONE : n;
	return fallback || n != S2_FD_NONE;
}

/* "DDDD:BB:DD.F" (hex; device 0-0x1f, function 0-7). */
static bool parse_bdf(const struct tok *t, uint32_t *v)
{
	static const char shape[] = "hhhh:hh:hh.h";
	unsigned int x[4] = { 0 }, f = 0;

	if (t->n != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		if (shape[i] == 'h') {
			int h = hexval(t->s[i]);

			if (h < 0)
				return false;
			x[f] = x[f] << 4 | (unsigned int)h;
		} else if (t->s[i] != shape[i]) {
			return false;
		} else {
			f++;
		}
	}
	if (x[2] > 0x1f || x[3] > 7)
		return false;
	*v = x[0] << 16 | x[1] << 8 | x[2] << 3 | x[3];
	return true;
}

const char *s2_bdf_str(uint32_t bdf, char buf[16])
{
	snprintf(buf, 16, "%04x:%02x:%02x.%x", (bdf >> 16) & 0xffff, (bdf >> 8) & 0xff,
		 (bdf >> 3) & 0x1f, bdf & 7);
	return buf;
}

/* A key of a key-value line: [a-z][a-z0-9_]*. */
static bool is_key(const struct tok *t)
{
	if (!t->n || t->s[0] < 'a' || t->s[0] > 'z')
		return false;
	for (size_t i = 1; i < t->n; i++) {
		char c = t->s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* Line 1 of every file but version: "format <N>". */
static int format_line(struct lx *lx)
{
	struct tok t[3];
	const char *s;
	size_t n, nt;
	uint64_t v;
	int r = next_line(lx, &s, &n);

	if (r < 0)
		return -1;
	if (r == 0)
		return malformed(lx, "empty file (line 1 must be 'format %d')", S2_FORMAT_VERSION);
	nt = split(s, n, t, 3);
	if (nt != 2 || !tok_eq(&t[0], "format") || !parse_u64(&t[1], &v))
		return malformed(lx, "expected 'format <N>', found '%.*s%s'",
				 (int)(n > 48 ? 48 : n), s, n > 48 ? "..." : "");
	if (v < S2_FORMAT_OLDEST || v > S2_FORMAT_VERSION)
		return s2_fail(lx->err, S2_EXIT_FORMAT,
			       "%s:%u: format %llu, but kvm-s2stat %s reads formats %d to %d only: "
			       "use the kvm-s2stat that comes with the loaded kvm_s2stat module",
			       lx->path, lx->line, (unsigned long long)v, KVM_S2STAT_VERSION,
			       S2_FORMAT_OLDEST, S2_FORMAT_VERSION);
	lx->format = (unsigned int)v;
	return 0;
}

/*
 * Number of columns of a tabular file, from its header string in format.h (the string is
 * what the module prints; the S2_*_NCOLS constants are checked against it by the tests).
 */
static size_t ncols_of(const char *columns)
{
	struct tok t[1];

	return split(columns, strlen(columns), t, 0);
}

/* Line 2 of tabular files: the column header, whitespace-normalised. */
static int header_line(struct lx *lx, const char *columns)
{
	struct tok t[32], c[32];
	const char *s;
	size_t n, nt, nc, i;
	int r = next_line(lx, &s, &n);

	if (r < 0)
		return -1;
	if (r == 0) {
		lx->line++;
		return malformed(lx, "missing column header");
	}
	nt = split(s, n, t, 32);
	nc = split(columns, strlen(columns), c, 32);
	for (i = 0; i < nt && i < nc && i < 32; i++)
		if (t[i].n != c[i].n || memcmp(t[i].s, c[i].s, c[i].n))
			break;
	if (nt != nc || i != nc)
		return malformed(lx, "column header is not '%s'", columns);
	return 0;
}

/* ---- version ---- */

int s2_parse_version(const char *buf, size_t len, const char *path, struct s2_version *out,
		     struct s2_err *err)
{
	struct lx lx = { buf, buf + len, path, 0, err, 0 };
	struct tok t[5];
	const char *s;
	size_t n, nt;
	uint64_t v;
	int r;

	memset(out, 0, sizeof(*out));
	r = next_line(&lx, &s, &n);
	if (r < 0)
		return -1;
	if (r == 0)
		return malformed(&lx, "empty file (expected 'kvm_s2stat <version> format <N>')");
	nt = split(s, n, t, 5);
	if (nt != 4 || !tok_eq(&t[0], "kvm_s2stat") || !tok_eq(&t[2], "format") ||
	    !parse_u64(&t[3], &v) || !tok_copy(out->module_version, sizeof(out->module_version),
						&t[1]))
		return malformed(&lx, "expected 'kvm_s2stat <version> format <N>', found "
				 "'%.*s%s'", (int)(n > 48 ? 48 : n), s, n > 48 ? "..." : "");
	if (v < S2_FORMAT_OLDEST || v > S2_FORMAT_VERSION)
		return s2_fail(err, S2_EXIT_FORMAT,
			       "%s: module %s writes format %llu, but kvm-s2stat %s reads formats "
			       "%d to %d only: use the kvm-s2stat that comes with the loaded module",
			       path, out->module_version, (unsigned long long)v,
			       KVM_S2STAT_VERSION, S2_FORMAT_OLDEST, S2_FORMAT_VERSION);
	out->format = (unsigned int)v;
	r = next_line(&lx, &s, &n);
	if (r < 0)
		return -1;
	if (r > 0)
		return malformed(&lx, "unexpected second line");
	return 0;
}

/* ---- key-value files ---- */

enum kv_type { KV_U64, KV_U32, KV_BOOL, KV_STR, KV_ENUM, KV_VMNAME, KV_PAGESIZE };

struct kv_spec {
	const char *key;
	enum kv_type type;
	void *dst;
	size_t size;			/* KV_STR */
	const char *const *choices;	/* KV_ENUM: NULL-terminated; stores the index (int) */
	unsigned int line;		/* where it was seen, 0 = not yet */
	bool optional;			/* may be absent */
};

static int kv_value(struct lx *lx, struct kv_spec *k, const struct tok *v)
{
	uint64_t x;

	switch (k->type) {
	case KV_U64:
		if (!parse_u64(v, k->dst))
			return malformed(lx, "%s: " TOKF " is not a number", k->key, TOKA(v));
		return 0;
	case KV_U32:
		if (!parse_u32(v, k->dst))
			return malformed(lx, "%s: " TOKF " is not a 32-bit number", k->key, TOKA(v));
		return 0;
	case KV_BOOL:
		if (!parse_u64(v, &x) || x > 1)
			return malformed(lx, "%s: " TOKF " is not 0 or 1", k->key, TOKA(v));
		*(bool *)k->dst = x;
		return 0;
	case KV_STR:
		if (!tok_copy(k->dst, k->size, v))
			return malformed(lx, "%s: value longer than %zu characters", k->key,
					 k->size - 1);
		return 0;
	case KV_ENUM:
		for (int i = 0; k->choices[i]; i++) {
			if (tok_eq(v, k->choices[i])) {
				*(int *)k->dst = i;
				return 0;
			}
		}
		return malformed(lx, "%s: unknown value " TOKF, k->key, TOKA(v));
	case KV_VMNAME: {
		uint32_t pid, fd;

		if (!parse_vm_name(v, &pid, &fd) || !tok_copy(k->dst, S2_NAME_MAX, v))
			return malformed(lx, "%s: " TOKF " is not a VM name <pid>-<fd>", k->key,
					 TOKA(v));
		return 0;
	}
	case KV_PAGESIZE:
		if (!parse_u64(v, &x) || (x != 4096 && x != 16384 && x != 65536))
			return malformed(lx, "%s: " TOKF " is not 4096, 16384 or 65536", k->key,
					 TOKA(v));
		*(uint64_t *)k->dst = x;
		return 0;
	}
	return -1;
}

static const char *const stop_diff[] = { "diff", NULL };

/*
 * Key-value lines until the end or, with @stop, until a line whose first word is one of
 * @stop (left in *@diff_line/@diff_n, *@have_diff set).  Unknown keys are ignored; known
 * keys must appear at most once; all of @specs are required except the optional ones.
 */
static int kv_lines(struct lx *lx, struct kv_spec *specs, size_t nspecs,
		    const char *const *stop, const char **diff_line, size_t *diff_n,
		    bool *have_diff)
{
	const char *s;
	size_t n, nt, i;
	struct tok t[3];
	int r;

	if (have_diff)
		*have_diff = false;
	while ((r = next_line(lx, &s, &n)) > 0) {
		nt = split(s, n, t, 3);
		for (i = 0; stop && nt >= 1 && stop[i]; i++)
			if (tok_eq(&t[0], stop[i]))
				break;
		if (stop && nt >= 1 && stop[i]) {
			*diff_line = s;
			*diff_n = n;
			*have_diff = true;
			break;
		}
		if (nt < 2 || !is_key(&t[0]))
			return malformed(lx, "expected '<key> <value>', found '%.*s%s'",
					 (int)(n > 48 ? 48 : n), s, n > 48 ? "..." : "");
		for (i = 0; i < nspecs; i++)
			if (tok_eq(&t[0], specs[i].key))
				break;
		if (i == nspecs)
			continue;	/* unknown key: a newer module (forward compatible) */
		if (specs[i].line)
			return malformed(lx, "key '%s' repeated (first on line %u)", specs[i].key,
					 specs[i].line);
		if (nt != 2)
			return malformed(lx, "%s: expected one value, found %zu", specs[i].key,
					 nt - 1);
		specs[i].line = lx->line;
		if (kv_value(lx, &specs[i], &t[1]))
			return -1;
	}
	if (r < 0)
		return -1;
	for (i = 0; i < nspecs; i++) {
		if (!specs[i].line && !specs[i].optional) {
			unsigned int l = lx->line;

			lx->line = 0;
			malformed(lx, "required key '%s' missing (after line %u)", specs[i].key, l);
			lx->line = l;
			return -1;
		}
	}
	return 0;
}

static const char *const kvm_modes[] = { "vhe", "nvhe", "protected", NULL };
static const char *const discoveries[] = { "kvm-debugfs", "on-fault", NULL };
static const char *const map_hooks[] = { "kretprobe", "fprobe", "ftrace", NULL };
static const char *const cacheable_pfnmaps[] = { "supported", "no-fwb", "no-dic", "no-fwb-dic",
						"kernel", NULL };
static const char *const states[] = { S2_STATE_EXACT, S2_STATE_INEXACT, S2_STATE_UNWALKABLE,
				       NULL };
static const char *const founds[] = { "fault", "load", NULL };
static const char *const results[] = { "ok", "differ", "unavailable", NULL };

int s2_parse_stats(const char *buf, size_t len, const char *path, struct s2_stats *out,
		   struct s2_err *err)
{
	struct lx lx = { buf, buf + len, path, 0, err, 0 };
	struct kv_spec specs[10 + S2_STAT_NR];
	int mode, disc, hook = 0, cpf = 0;
	size_t i, n = 0, hook_spec, cpf_spec, dic_spec, first_stat;

	memset(out, 0, sizeof(*out));
	memset(specs, 0, sizeof(specs));
	specs[n++] = (struct kv_spec){ "module_version", KV_STR, out->module_version,
				       sizeof(out->module_version), NULL, 0, false };
	specs[n++] = (struct kv_spec){ "kernel", KV_STR, out->kernel, sizeof(out->kernel),
				       NULL, 0, false };
	specs[n++] = (struct kv_spec){ "page_size", KV_PAGESIZE, &out->page_size, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "fwb", KV_BOOL, &out->fwb, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "lpa2", KV_BOOL, &out->lpa2, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "kvm_mode", KV_ENUM, &mode, 0, kvm_modes, 0, false };
	specs[n++] = (struct kv_spec){ "discovery", KV_ENUM, &disc, 0, discoveries, 0, false };
	hook_spec = n;	/* added after 0.1.0 */
	specs[n++] = (struct kv_spec){ "map_hook", KV_ENUM, &hook, 0, map_hooks, 0, true };
	cpf_spec = n;	/* added in 0.2.0 */
	specs[n++] = (struct kv_spec){ "cacheable_pfnmap", KV_ENUM, &cpf, 0, cacheable_pfnmaps, 0,
				       true };
	dic_spec = n;
	specs[n++] = (struct kv_spec){ "dic", KV_BOOL, &out->dic, 0, NULL, 0, true };
	first_stat = n;
	for (i = 0; i < S2_STAT_NR; i++)
		specs[n++] = (struct kv_spec){ s2_stat_names[i], KV_U64, &out->val[i], 0, NULL, 0,
					       i >= S2_STAT_FIRST_OPTIONAL ||
					       i == S2_STAT_PROBE_MAP };

	if (format_line(&lx) || kv_lines(&lx, specs, n, NULL, NULL, NULL, NULL))
		return -1;
	for (i = 0; i < S2_STAT_NR; i++)
		out->has[i] = specs[first_stat + i].line != 0;
	snprintf(out->kvm_mode, sizeof(out->kvm_mode), "%s", kvm_modes[mode]);
	if (specs[hook_spec].line)
		snprintf(out->map_hook, sizeof(out->map_hook), "%s", map_hooks[hook]);
	if (specs[cpf_spec].line)
		snprintf(out->cacheable_pfnmap, sizeof(out->cacheable_pfnmap), "%s",
			 cacheable_pfnmaps[cpf]);
	out->has_dic = specs[dic_spec].line != 0;
	snprintf(out->discovery, sizeof(out->discovery), "%s", discoveries[disc]);
	out->page_shift = out->page_size == 4096 ? 12 : out->page_size == 16384 ? 14 : 16;
	return 0;
}

int s2_parse_status(const char *buf, size_t len, const char *path, const struct s2_stats *st,
		    struct s2_status *out, struct s2_err *err)
{
	struct lx lx = { buf, buf + len, path, 0, err, 0 };
	struct kv_spec specs[24];
	int state, found;
	size_t n = 0, bytes_vfio, bytes_other;
	uint32_t pid, fd;
	struct tok name;

	memset(out, 0, sizeof(*out));
	memset(specs, 0, sizeof(specs));
	specs[n++] = (struct kv_spec){ "vm", KV_VMNAME, out->vm, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "pid", KV_U32, &out->pid, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "state", KV_ENUM, &state, 0, states, 0, false };
	specs[n++] = (struct kv_spec){ "found", KV_ENUM, &found, 0, founds, 0, false };
	specs[n++] = (struct kv_spec){ "vfio_device_pages", KV_U64, &out->c.vfio[S2_ATTR_DEVICE], 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "vfio_nc_pages", KV_U64, &out->c.vfio[S2_ATTR_NC], 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "vfio_normal_pages", KV_U64, &out->c.vfio[S2_ATTR_NORMAL], 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "other_device_pages", KV_U64, &out->c.other[S2_ATTR_DEVICE], 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "other_nc_pages", KV_U64, &out->c.other[S2_ATTR_NC], 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "other_normal_pages", KV_U64, &out->c.other[S2_ATTR_NORMAL], 0, NULL, 0, false };
	bytes_vfio = n;
	specs[n++] = (struct kv_spec){ "vfio_bytes", KV_U64, &out->vfio_bytes, 0, NULL, 0, false };
	bytes_other = n;
	specs[n++] = (struct kv_spec){ "other_bytes", KV_U64, &out->other_bytes, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "ranges", KV_U64, &out->ranges, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "page_leaves", KV_U64, &out->page_leaves, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "block_leaves", KV_U64, &out->block_leaves, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "failed_device", KV_U64, &out->failed[S2_ATTR_DEVICE], 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "failed_nc", KV_U64, &out->failed[S2_ATTR_NC], 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "failed_normal", KV_U64, &out->failed[S2_ATTR_NORMAL], 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "drops", KV_U64, &out->drops, 0, NULL, 0, false };
	specs[n++] = (struct kv_spec){ "resyncs", KV_U64, &out->resyncs, 0, NULL, 0, false };

	if (format_line(&lx) || kv_lines(&lx, specs, n, NULL, NULL, NULL, NULL))
		return -1;
	out->exact = state == 0;
	out->unwalkable = state == 2;
	out->load = found == 1;
	name.s = out->vm;
	name.n = strlen(out->vm);
	parse_vm_name(&name, &pid, &fd);
	if (pid != out->pid) {
		lx.line = specs[1].line;
		return malformed(&lx, "pid %u differs from the pid in vm %s", out->pid, out->vm);
	}
	if (st && st->page_shift) {
		const uint64_t *pg[2] = { out->c.vfio, out->c.other };
		const uint64_t bytes[2] = { out->vfio_bytes, out->other_bytes };
		const size_t line[2] = { bytes_vfio, bytes_other };

		for (int i = 0; i < 2; i++) {
			uint64_t sum;
			bool ovf = __builtin_add_overflow(pg[i][0], pg[i][1], &sum) ||
				   __builtin_add_overflow(sum, pg[i][2], &sum);

			if (ovf || sum > (UINT64_MAX >> st->page_shift) ||
			    sum << st->page_shift != bytes[i]) {
				lx.line = specs[line[i]].line;
				return malformed(&lx, "%s %llu is not the %s pages times page_size "
						 "%llu", specs[line[i]].key,
						 (unsigned long long)bytes[i], i ? "other" : "vfio",
						 (unsigned long long)st->page_size);
			}
		}
	}
	return 0;
}

/* ---- tabular files ---- */

int s2_parse_summary(const char *buf, size_t len, const char *path, struct s2_summary *out,
		     struct s2_err *err)
{
	struct lx lx = { buf, buf + len, path, 0, err, 0 };
	struct tok t[16];
	const size_t want = ncols_of(S2_SUMMARY_COLUMNS);	/* 11 */
	size_t cap = 0, nt;
	const char *s;
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	if (format_line(&lx) || header_line(&lx, S2_SUMMARY_COLUMNS))
		return -1;
	while ((r = next_line(&lx, &s, &n)) > 0) {
		struct s2_vm_row row;
		uint64_t *cnt[8];
		uint32_t pid;

		memset(&row, 0, sizeof(row));
		nt = split(s, n, t, 16);
		if (nt != want || want != 11) {
			malformed(&lx, "%zu columns, expected %zu", nt, want);
			goto fail;
		}
		if (!parse_vm_name(&t[0], &row.pid, &row.fd) ||
		    !tok_copy(row.name, sizeof(row.name), &t[0])) {
			malformed(&lx, "vm " TOKF " is not <pid>-<fd>", TOKA(&t[0]));
			goto fail;
		}
		if (!parse_u32(&t[1], &pid) || pid != row.pid) {
			malformed(&lx, "pid " TOKF " is not the pid of vm %s", TOKA(&t[1]),
				  row.name);
			goto fail;
		}
		if (tok_eq(&t[2], S2_STATE_EXACT)) {
			row.exact = true;
		} else if (tok_eq(&t[2], S2_STATE_UNWALKABLE)) {
			row.unwalkable = true;
		} else if (!tok_eq(&t[2], S2_STATE_INEXACT)) {
			malformed(&lx, "state " TOKF " is not exact, inexact or unwalkable",
				  TOKA(&t[2]));
			goto fail;
		}
		cnt[0] = &row.c.vfio[S2_ATTR_DEVICE];
		cnt[1] = &row.c.vfio[S2_ATTR_NC];
		cnt[2] = &row.c.vfio[S2_ATTR_NORMAL];
		cnt[3] = &row.c.other[S2_ATTR_DEVICE];
		cnt[4] = &row.c.other[S2_ATTR_NC];
		cnt[5] = &row.c.other[S2_ATTR_NORMAL];
		cnt[6] = &row.failed;
		cnt[7] = &row.drops;
		for (int i = 0; i < 8; i++) {
			if (!parse_u64(&t[3 + i], cnt[i])) {
				malformed(&lx, "column %d: " TOKF " is not a number", 4 + i,
					  TOKA(&t[3 + i]));
				goto fail;
			}
		}
		if (out->n) {
			const struct s2_vm_row *p = &out->vms[out->n - 1];

			int c = p->pid != row.pid ? (p->pid > row.pid ? 1 : -1) :
				p->fd != row.fd ? (p->fd > row.fd ? 1 : -1) :
				strcmp(p->name, row.name);

			if (c >= 0) {
				malformed(&lx, "vm %s %s after %s (must be ascending by pid, fd)",
					  row.name, c == 0 ? "repeated" : "listed", p->name);
				goto fail;
			}
		}
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			void *nv = realloc(out->vms, nc * sizeof(*out->vms));

			if (!nv) {
				s2_fail(err, S2_EXIT_RUNTIME, "%s: out of memory", path);
				goto fail;
			}
			out->vms = nv;
			cap = nc;
		}
		out->vms[out->n++] = row;
	}
	if (r == 0)
		return 0;
fail:
	s2_summary_free(out);
	return -1;
}

void s2_summary_free(struct s2_summary *s)
{
	free(s->vms);
	s->vms = NULL;
	s->n = 0;
}

void s2_mappings_free(struct s2_mappings *m)
{
	free(m->v);
	free(m->drivers);
	memset(m, 0, sizeof(*m));
}

const char *s2_map_driver(const struct s2_mappings *m, const struct s2_map *r)
{
	return r->driver < m->ndrivers ? m->drivers[r->driver] : "-";
}

static int intern_driver(struct s2_mappings *m, size_t *cap, const struct tok *t)
{
	size_t i;

	for (i = 0; i < m->ndrivers; i++)
		if (strlen(m->drivers[i]) == t->n && !memcmp(m->drivers[i], t->s, t->n))
			return (int)i;
	if (m->ndrivers >= UINT16_MAX)
		return -1;
	if (m->ndrivers == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		void *nv = realloc(m->drivers, nc * sizeof(*m->drivers));

		if (!nv)
			return -1;
		m->drivers = nv;
		*cap = nc;
	}
	tok_copy(m->drivers[m->ndrivers], S2_DRIVER_MAX, t);
	return (int)m->ndrivers++;
}

enum { C_IPA_S, C_IPA_E, C_PA_S, C_PA_E, C_PAGES, C_LEVEL, C_ATTR, C_MEMATTR, C_PERM, C_CLASS,
       C_BDF, C_BAR, C_DRIVER, C_VIA, C_REASON };

int s2_parse_mappings(const char *buf, size_t len, const char *path, const struct s2_stats *st,
		      struct s2_mappings *out, struct s2_err *err)
{
	static const char *const colname[15] = {
		"ipa_start", "ipa_end", "pa_start", "pa_end", "pages", "level", "attr",
		"memattr", "perm", "class", "bdf", "bar", "driver", "via", "reason",
	};
	struct lx lx = { buf, buf + len, path, 0, err, 0 };
	struct tok t[18];
	size_t want;
	size_t cap = 0, dcap = 0, nt;
	const struct tok dash = { "-", 1 };
	unsigned int ps = st->page_shift;
	const char *s;
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	if (intern_driver(out, &dcap, &dash) < 0) {
		s2_fail(err, S2_EXIT_RUNTIME, "%s: out of memory", path);
		goto fail;
	}
	if (format_line(&lx) || header_line(&lx, lx.format == 1 ? S2_MAPPINGS_COLUMNS_V1 :
					    S2_MAPPINGS_COLUMNS))
		goto fail;
	want = lx.format == 1 ? S2_MAPPINGS_NCOLS_V1 : S2_MAPPINGS_NCOLS;
	while ((r = next_line(&lx, &s, &n)) > 0) {
		struct s2_map m;
		uint64_t v, len_ipa, len_pa;
		unsigned int shift;
		int a;

		memset(&m, 0, sizeof(m));
		nt = split(s, n, t, 18);
		if (nt != want) {
			malformed(&lx, "%zu columns, expected %zu", nt, want);
			goto fail;
		}
		if (want == S2_MAPPINGS_NCOLS) {
			if (tok_eq(&t[C_VIA], "vma")) {
				m.via = S2_MAP_VIA_VMA;
			} else if (tok_eq(&t[C_VIA], "pa")) {
				m.via = S2_MAP_VIA_PA;
			} else if (!tok_eq(&t[C_VIA], "-")) {
				malformed(&lx, "via " TOKF " is not vma, pa or -", TOKA(&t[C_VIA]));
				goto fail;
			}
			if (!tok_word(&t[C_REASON])) {
				malformed(&lx, "reason " TOKF " is not a keyword", TOKA(&t[C_REASON]));
				goto fail;
			}
			m.reason = (uint8_t)s2_reason_parse(t[C_REASON].s, t[C_REASON].n);
		}
		for (int c = C_IPA_S; c <= C_PA_E; c++) {
			if (!parse_addr(&t[c], &v)) {
				malformed(&lx, "%s " TOKF " is not an address (0x and 16 hex digits)",
					  colname[c], TOKA(&t[c]));
				goto fail;
			}
			if (v & (st->page_size - 1)) {
				malformed(&lx, "%s 0x%016llx is not aligned to page_size %llu",
					  colname[c], (unsigned long long)v,
					  (unsigned long long)st->page_size);
				goto fail;
			}
			(&m.ipa_start)[c] = v;
		}
		if (m.ipa_start >= m.ipa_end || m.pa_start >= m.pa_end) {
			malformed(&lx, "empty or inverted range (start must be below end)");
			goto fail;
		}
		len_ipa = m.ipa_end - m.ipa_start;
		len_pa = m.pa_end - m.pa_start;
		if (len_ipa != len_pa) {
			malformed(&lx, "IPA range size 0x%llx differs from PA range size 0x%llx",
				  (unsigned long long)len_ipa, (unsigned long long)len_pa);
			goto fail;
		}
		if (!parse_u64(&t[C_PAGES], &m.pages) || m.pages != len_ipa >> ps) {
			malformed(&lx, "pages " TOKF " is not the range size 0x%llx / page_size %llu",
				  TOKA(&t[C_PAGES]), (unsigned long long)len_ipa,
				  (unsigned long long)st->page_size);
			goto fail;
		}
		if (!parse_level(&t[C_LEVEL], &m.level)) {
			malformed(&lx, "level " TOKF " is not -1, 0, 1, 2 or 3", TOKA(&t[C_LEVEL]));
			goto fail;
		}
		shift = s2_level_shift(m.level, ps);
		if (shift >= 52 || (m.level < 0 && ps != 12)) {
			malformed(&lx, "level %d does not exist with page_size %llu", m.level,
				  (unsigned long long)st->page_size);
			goto fail;
		}
		if (((m.ipa_start | m.pa_start | len_ipa) & ((1ULL << shift) - 1))) {
			malformed(&lx, "range is not made of aligned level-%d leaves (0x%llx bytes)",
				  m.level, 1ULL << shift);
			goto fail;
		}
		a = parse_attr_tok(&t[C_ATTR]);
		if (a < 0) {
			malformed(&lx, "attr " TOKF " is not DEVICE_nGnRE, NORMAL_NC or NORMAL",
				  TOKA(&t[C_ATTR]));
			goto fail;
		}
		m.attr = (uint8_t)a;
		/*
		 * KVM programs s2_attr_memattr(attr, fwb); ranges learned by a walk carry the
		 * descriptor's own value, so accept any MemAttr whose class is attr (a reserved
		 * encoding counts as NORMAL, as the module classifies it).
		 */
		if (!parse_u64(&t[C_MEMATTR], &v) || v > 0xf ||
		    (s2_mt_attr(s2_memattr_mt((unsigned int)v, st->fwb)) != (enum s2_attr)a &&
		     !(s2_mt_attr(s2_memattr_mt((unsigned int)v, st->fwb)) == S2_ATTR_NR &&
		       a == S2_ATTR_NORMAL))) {
			malformed(&lx, "memattr " TOKF " is not a %s MemAttr with fwb %d (KVM programs "
				  "0x%x)", TOKA(&t[C_MEMATTR]), s2_attr_name((unsigned)a), st->fwb,
				  s2_attr_memattr((enum s2_attr)a, st->fwb));
			goto fail;
		}
		m.memattr = (uint8_t)v;
		if (!parse_perm(&t[C_PERM], &m.perm)) {
			malformed(&lx, "perm " TOKF " is not [r-][w-][x-]", TOKA(&t[C_PERM]));
			goto fail;
		}
		if (tok_eq(&t[C_CLASS], S2_CLASS_VFIO)) {
			m.vfio = true;
		} else if (!tok_eq(&t[C_CLASS], S2_CLASS_OTHER)) {
			malformed(&lx, "class " TOKF " is not vfio or other", TOKA(&t[C_CLASS]));
			goto fail;
		}
		if (tok_eq(&t[C_BDF], "-")) {
			m.has_bdf = false;
		} else if (parse_bdf(&t[C_BDF], &m.bdf)) {
			m.has_bdf = true;
		} else {
			malformed(&lx, "bdf " TOKF " is not - or DDDD:BB:DD.F", TOKA(&t[C_BDF]));
			goto fail;
		}
		if (tok_eq(&t[C_BAR], "-")) {
			m.bar = -1;
		} else if (t[C_BAR].n == 1 && t[C_BAR].s[0] >= '0' && t[C_BAR].s[0] <= '5') {
			m.bar = (int8_t)(t[C_BAR].s[0] - '0');
		} else if (m.via == S2_MAP_VIA_VMA && m.vfio && parse_u64(&t[C_BAR], &v) &&
			   v <= 63) {
			m.bar = (int8_t)v;	/* a VFIO region beyond the BARs */
		} else {
			malformed(&lx, "bar " TOKF " is not - or 0-5 (a VFIO region 0-63 with via "
				  "vma)", TOKA(&t[C_BAR]));
			goto fail;
		}
		if (m.has_bdf != (m.bar >= 0)) {
			malformed(&lx, "bdf and bar must both be set or both be -");
			goto fail;
		}
		if (m.vfio && !m.has_bdf) {
			malformed(&lx, "class vfio without a PCI device (bdf -)");
			goto fail;
		}
		if (!tok_eq(&t[C_DRIVER], "-")) {
			if (!m.has_bdf) {
				malformed(&lx, "driver " TOKF " without a PCI device (bdf -)",
					  TOKA(&t[C_DRIVER]));
				goto fail;
			}
			if (t[C_DRIVER].n >= S2_DRIVER_MAX) {
				malformed(&lx, "driver name longer than %d characters",
					  S2_DRIVER_MAX - 1);
				goto fail;
			}
		}
		a = intern_driver(out, &dcap, &t[C_DRIVER]);
		if (a < 0) {
			s2_fail(err, S2_EXIT_RUNTIME, "%s: out of memory", path);
			goto fail;
		}
		m.driver = (uint16_t)a;
		if (out->n && out->v[out->n - 1].ipa_end > m.ipa_start) {
			malformed(&lx, "range starts at 0x%016llx, below the end 0x%016llx of the "
				  "previous one (must be ascending, not overlapping)",
				  (unsigned long long)m.ipa_start,
				  (unsigned long long)out->v[out->n - 1].ipa_end);
			goto fail;
		}
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *nv = realloc(out->v, nc * sizeof(*out->v));

			if (!nv) {
				s2_fail(err, S2_EXIT_RUNTIME, "%s: out of memory", path);
				goto fail;
			}
			out->v = nv;
			cap = nc;
		}
		out->v[out->n++] = m;
	}
	if (r == 0)
		return 0;
fail:
	s2_mappings_free(out);
	return -1;
}

/* ---- verify ---- */

static bool is_mt_name(const struct tok *t)
{
	for (unsigned int i = 0; i < S2_MT_NR; i++)
		if (tok_eq(t, s2_mt_names[i]))
			return true;
	return false;
}

/* "<side>=-" or "<side>=<attr>,<pa>,<perm>,<level>,<memattr>". */
static bool parse_side(const struct tok *t, const char *side, struct s2_diff_side *out)
{
	size_t sl = strlen(side), i, f = 0;
	struct tok part[5];
	uint64_t ma;
	const char *p, *end;

	memset(out, 0, sizeof(*out));
	if (t->n <= sl + 1 || memcmp(t->s, side, sl) || t->s[sl] != '=')
		return false;
	p = t->s + sl + 1;
	end = t->s + t->n;
	if (end - p == 1 && *p == '-')
		return true;
	part[0].s = p;
	for (i = 0; p + i < end; i++) {
		if (p[i] == ',') {
			if (f == 4)
				return false;
			part[f].n = (size_t)(p + i - part[f].s);
			part[++f].s = p + i + 1;
		}
	}
	if (f != 4)
		return false;
	part[4].n = (size_t)(end - part[4].s);
	if ((parse_attr_tok(&part[0]) < 0 && !is_mt_name(&part[0])) ||
	    !tok_copy(out->attr, sizeof(out->attr), &part[0]) ||
	    !parse_addr(&part[1], &out->pa) || !parse_perm(&part[2], &out->perm) ||
	    !parse_level(&part[3], &out->level) || !parse_u64(&part[4], &ma) || ma > 0xf)
		return false;
	out->memattr = (uint8_t)ma;
	out->present = true;
	return true;
}

static int diff_line(struct lx *lx, const char *s, size_t n, struct s2_diff *d)
{
	struct tok t[7];
	size_t nt = split(s, n, t, 7);

	memset(d, 0, sizeof(*d));
	if (nt != 6)
		return malformed(lx, "diff line has %zu fields, expected 6", nt);
	if (!is_key(&t[1]) || !tok_copy(d->kind, sizeof(d->kind), &t[1]))
		return malformed(lx, "diff kind " TOKF " is not a word", TOKA(&t[1]));
	if (!parse_addr(&t[2], &d->ipa_start) || !parse_addr(&t[3], &d->ipa_end))
		return malformed(lx, "diff range is not two addresses (0x and 16 hex digits)");
	if (d->ipa_start >= d->ipa_end)
		return malformed(lx, "diff range is empty or inverted");
	if (!parse_side(&t[4], "table", &d->table))
		return malformed(lx, "diff " TOKF " is not table=- or "
				 "table=<attr>,<pa>,<perm>,<level>,<memattr>", TOKA(&t[4]));
	if (!parse_side(&t[5], "tracked", &d->tracked))
		return malformed(lx, "diff " TOKF " is not tracked=- or "
				 "tracked=<attr>,<pa>,<perm>,<level>,<memattr>", TOKA(&t[5]));
	if (!d->table.present && !d->tracked.present)
		return malformed(lx, "diff with neither side");
	if ((!strcmp(d->kind, "missing") && (!d->table.present || d->tracked.present)) ||
	    (!strcmp(d->kind, "stale") && (d->table.present || !d->tracked.present)) ||
	    (!strcmp(d->kind, "mismatch") && (!d->table.present || !d->tracked.present)))
		return malformed(lx, "diff %s with the wrong sides (missing: table only; "
				 "stale: tracked only; mismatch: both)", d->kind);
	return 0;
}

int s2_parse_verify(const char *buf, size_t len, const char *path, struct s2_verify *out,
		    struct s2_err *err)
{
	struct lx lx = { buf, buf + len, path, 0, err, 0 };
	struct kv_spec specs[2 + S2_VKEY_NR];
	const char *s = NULL;
	size_t n = 0, ns = 0, cap = 0, i;
	bool have_diff;
	int result = 0, r;

	memset(out, 0, sizeof(*out));
	memset(specs, 0, sizeof(specs));
	specs[ns++] = (struct kv_spec){ "result", KV_ENUM, &result, 0, results, 0, false };
	/* differences: absent when the result is unavailable */
	specs[ns++] = (struct kv_spec){ "differences", KV_U64, &out->differences, 0, NULL, 0, true };
	/* Optional keys (a VM whose table is unavailable may not print them). */
	for (i = 0; i < S2_VKEY_NR; i++)
		specs[ns++] = (struct kv_spec){ s2_verify_key_names[i], KV_U64, &out->val[i], 0,
						NULL, 0, true };
	if (format_line(&lx) || kv_lines(&lx, specs, ns, stop_diff, &s, &n, &have_diff))
		return -1;
	for (i = 0; i < S2_VKEY_NR; i++)
		out->has[i] = specs[2 + i].line != 0;
	out->result = (enum s2_verify_res)result;
	if (!specs[1].line && out->result != S2_VERIFY_UNAVAILABLE) {
		lx.line = 0;
		malformed(&lx, "required key 'differences' missing (result %s)", results[result]);
		goto fail;
	}
	r = have_diff ? 1 : 0;
	while (r > 0) {
		struct s2_diff d;
		struct tok t0 = { NULL, 0 };

		if (split(s, n, &t0, 1) < 1 || !tok_eq(&t0, "diff")) {
			malformed(&lx, "expected a diff line after the first one");
			goto fail;
		}
		if (diff_line(&lx, s, n, &d))
			goto fail;
		if (out->ndiffs == S2_VERIFY_MAX_DIFF_LINES) {
			malformed(&lx, "more than %d diff lines", S2_VERIFY_MAX_DIFF_LINES);
			goto fail;
		}
		if (out->ndiffs == cap) {
			size_t nc = cap ? cap * 2 : 16;
			void *nv = realloc(out->diffs, nc * sizeof(*out->diffs));

			if (!nv) {
				s2_fail(err, S2_EXIT_RUNTIME, "%s: out of memory", path);
				goto fail;
			}
			out->diffs = nv;
			cap = nc;
		}
		out->diffs[out->ndiffs++] = d;
		r = next_line(&lx, &s, &n);
	}
	if (r < 0)
		goto fail;
	lx.line = specs[1].line ? specs[1].line : lx.line;
	switch (out->result) {
	case S2_VERIFY_OK:
		if (out->differences || out->ndiffs) {
			malformed(&lx, "result ok with differences");
			goto fail;
		}
		break;
	case S2_VERIFY_DIFFER:
		if (!out->differences ||
		    out->ndiffs != (out->differences < S2_VERIFY_MAX_DIFF_LINES ?
				    out->differences : S2_VERIFY_MAX_DIFF_LINES)) {
			malformed(&lx, "result differ: differences %llu but %zu diff lines",
				  (unsigned long long)out->differences, out->ndiffs);
			goto fail;
		}
		break;
	case S2_VERIFY_UNAVAILABLE:
		if (out->ndiffs) {
			malformed(&lx, "result unavailable with diff lines");
			goto fail;
		}
		break;
	}
	return 0;
fail:
	s2_verify_free(out);
	return -1;
}

void s2_verify_free(struct s2_verify *v)
{
	free(v->diffs);
	v->diffs = NULL;
	v->ndiffs = 0;
}

/* ---- effective ---- */

const char *const s2_eff_results[3] = { "ok", "partial", "unavailable" };
const char *const s2_half_names[S2_HALF_NR] = {
	[S2_HALF_OK] = "ok", [S2_HALF_PARTIAL] = "partial", [S2_HALF_STALE] = "stale",
	[S2_HALF_UNAVAILABLE] = "unavailable", [S2_HALF_DISABLED] = "disabled",
	[S2_HALF_NONE] = "none",
};
static const char *const half_choices[S2_HALF_NR + 1] = {
	"ok", "partial", "stale", "unavailable", "disabled", "none", NULL,
};
static const char *const eff_result_choices[] = { "ok", "partial", "unavailable", NULL };

const char *const s2_ekey_names[S2_EKEY_NR] = {
	[S2_EKEY_VCPUS] = "vcpus",
	[S2_EKEY_VCPUS_CAPTURED] = "vcpus_captured",
	[S2_EKEY_CAPTURES_REFUSED] = "captures_refused",
	[S2_EKEY_USER_ROOTS] = "user_roots",
	[S2_EKEY_USER_ROOTS_STALE] = "user_roots_stale",
	[S2_EKEY_USER_ROOT_AGE_MS] = "user_root_age_ms",
	[S2_EKEY_DEVICE_SLOTS] = "device_slots",
	[S2_EKEY_DESCRIPTORS] = "descriptors",
	[S2_EKEY_TABLE_PAGES] = "table_pages",
	[S2_EKEY_BUDGET] = "budget",
	[S2_EKEY_CAPTURE_MS] = "capture_ms",
	[S2_EKEY_WALK_US] = "walk_us",
	[S2_EKEY_ROWS] = "rows",
	[S2_EKEY_ROWS_DROPPED] = "rows_dropped",
};

/* An s2_mt name ("RESERVED" included) into @mt; "-" is S2_EFF_DASH when @dash. */
static bool parse_mt(const struct tok *t, bool dash, uint8_t *mt)
{
	if (dash && tok_eq(t, "-")) {
		*mt = S2_EFF_DASH;
		return true;
	}
	for (unsigned int i = 0; i < S2_MT_NR; i++) {
		if (tok_eq(t, s2_mt_names[i])) {
			*mt = (uint8_t)i;
			return true;
		}
	}
	return false;
}

/* "k" or "u<N>". */
static bool parse_root_id(const struct tok *t, bool *user)
{
	if (tok_eq(t, "k")) {
		*user = false;
		return true;
	}
	if (t->n < 2 || t->n > 6 || t->s[0] != 'u')
		return false;
	for (size_t i = 1; i < t->n; i++)
		if (t->s[i] < '0' || t->s[i] > '9')
			return false;
	*user = true;
	return true;
}

/* "root <id> key=value...": unknown keys are ignored, the known ones checked. */
static int root_line(struct lx *lx, const char *s, size_t n, struct s2_eff_root *rt)
{
	struct tok t[32];
	size_t nt = split(s, n, t, 32), i;

	memset(rt, 0, sizeof(*rt));
	rt->status = -1;
	if (nt < 3 || nt > 32 || !parse_root_id(&t[1], &rt->user) ||
	    !tok_copy(rt->id, sizeof(rt->id), &t[1]))
		return malformed(lx, "expected 'root <k|u<N>> <key>=<value>...'");
	for (i = 2; i < nt; i++) {
		const char *eq = memchr(t[i].s, '=', t[i].n);
		struct tok k, v;
		uint64_t x;

		if (!eq || eq == t[i].s)
			return malformed(lx, "root %s: " TOKF " is not <key>=<value>", rt->id,
					 TOKA(&t[i]));
		k = (struct tok){ t[i].s, (size_t)(eq - t[i].s) };
		v = (struct tok){ eq + 1, t[i].n - k.n - 1 };
		if (tok_eq(&k, "status")) {
			for (int h = 0; h < S2_HALF_NR; h++)
				if (tok_eq(&v, half_choices[h]))
					rt->status = h;
			if (rt->status < 0 || rt->status == S2_HALF_NONE)
				return malformed(lx, "root %s: status " TOKF " is not ok, partial, "
						 "stale, unavailable or disabled", rt->id, TOKA(&v));
			continue;
		}
		if (!is_key(&k))
			return malformed(lx, "root %s: " TOKF " is not <key>=<value>", rt->id,
					 TOKA(&t[i]));
		if (!parse_u64(&v, &x)) {
			/* a newer module's non-numeric value: only known keys are numbers */
			if (tok_eq(&k, "ttbr") || tok_eq(&k, "tcr") || tok_eq(&k, "mair") ||
			    tok_eq(&k, "asid") || tok_eq(&k, "granule") || tok_eq(&k, "va_bits") ||
			    tok_eq(&k, "ds") || tok_eq(&k, "seen") || tok_eq(&k, "seen_ms_ago"))
				return malformed(lx, "root %s: " TOKF " is not a number", rt->id,
						 TOKA(&t[i]));
			continue;
		}
		if (tok_eq(&k, "ttbr"))
			rt->ttbr = x;
		else if (tok_eq(&k, "tcr"))
			rt->tcr = x;
		else if (tok_eq(&k, "mair"))
			rt->mair = x;
		else if (tok_eq(&k, "seen"))
			rt->seen = x;
		else if (tok_eq(&k, "seen_ms_ago"))
			rt->seen_ms_ago = x;
		else if (tok_eq(&k, "asid") && x <= 0xffff)
			rt->asid = (uint32_t)x;
		else if (tok_eq(&k, "granule") && (!x || x == 4096 || x == 16384 || x == 65536))
			rt->granule = (uint32_t)x;
		else if (tok_eq(&k, "va_bits") && x <= 64)
			rt->va_bits = (uint32_t)x;
		else if (tok_eq(&k, "ds") && x <= 1)
			rt->ds = x;
		else if (tok_eq(&k, "asid") || tok_eq(&k, "granule") || tok_eq(&k, "va_bits") ||
			 tok_eq(&k, "ds"))
			return malformed(lx, "root %s: " TOKF " is out of range", rt->id,
					 TOKA(&t[i]));
	}
	if (rt->status < 0)
		return malformed(lx, "root %s without status=", rt->id);
	return 0;
}

enum { E_HALF, E_ROOT, E_VA_S, E_VA_E, E_IPA_S, E_IPA_E, E_S1, E_MAIR, E_S2, E_MEMATTR,
       E_STAGE2, E_EFF, E_CLASS, E_BDF, E_BAR };

static int eff_row(struct lx *lx, const char *s, size_t n, const struct s2_effective *e,
		   struct s2_eff_row *w)
{
	struct tok t[16];
	size_t nt = split(s, n, t, 16), r;
	uint64_t v;

	memset(w, 0, sizeof(*w));
	if (nt != ncols_of(S2_EFFECTIVE_COLUMNS) || nt != 15)
		return malformed(lx, "%zu columns, expected %zu", nt,
				 ncols_of(S2_EFFECTIVE_COLUMNS));
	if (tok_eq(&t[E_HALF], "user"))
		w->user = true;
	else if (!tok_eq(&t[E_HALF], "kernel"))
		return malformed(lx, "half " TOKF " is not kernel or user", TOKA(&t[E_HALF]));
	for (r = 0; r < e->nroots; r++)
		if (tok_eq(&t[E_ROOT], e->roots[r].id))
			break;
	if (r == e->nroots || e->roots[r].user != w->user)
		return malformed(lx, "root " TOKF " is not a %s root listed above",
				 TOKA(&t[E_ROOT]), w->user ? "user" : "kernel");
	w->root = (uint8_t)r;
	if (!parse_addr(&t[E_VA_S], &w->va_start) || !parse_addr(&t[E_VA_E], &w->va_end) ||
	    !parse_addr(&t[E_IPA_S], &w->ipa_start) || !parse_addr(&t[E_IPA_E], &w->ipa_end))
		return malformed(lx, "va and ipa ranges must be addresses (0x and 16 hex digits)");
	if (w->va_start >= w->va_end || w->ipa_start >= w->ipa_end ||
	    w->va_end - w->va_start != w->ipa_end - w->ipa_start)
		return malformed(lx, "empty or inverted range, or va and ipa sizes differ");
	if (!parse_mt(&t[E_S1], false, &w->s1))
		return malformed(lx, "s1 " TOKF " is not a memory type name", TOKA(&t[E_S1]));
	if (!parse_u64(&t[E_MAIR], &v) || v > 0xff)
		return malformed(lx, "mair " TOKF " is not a MAIR attribute (0x00-0xff)",
				 TOKA(&t[E_MAIR]));
	w->mair = (uint8_t)v;
	if (!parse_mt(&t[E_S2], true, &w->s2))
		return malformed(lx, "s2 " TOKF " is not a memory type name or -", TOKA(&t[E_S2]));
	if (tok_eq(&t[E_MEMATTR], "-")) {
		w->memattr = S2_EFF_DASH;
	} else if (parse_u64(&t[E_MEMATTR], &v) && v <= 0xf &&
		   w->s2 == (uint8_t)s2_memattr_mt((unsigned int)v, e->fwb)) {
		w->memattr = (uint8_t)v;
	} else {
		return malformed(lx, "memattr " TOKF " is not - or the MemAttr of s2 (fwb %d)",
				 TOKA(&t[E_MEMATTR]), e->fwb);
	}
	if ((w->memattr == S2_EFF_DASH) != (w->s2 == S2_EFF_DASH))
		return malformed(lx, "s2 and memattr must both be set or both be -");
	if (tok_eq(&t[E_STAGE2], "mapped"))
		w->mapped = true;
	else if (!tok_eq(&t[E_STAGE2], "pending"))
		return malformed(lx, "stage2 " TOKF " is not mapped or pending", TOKA(&t[E_STAGE2]));
	if (w->mapped && w->s2 == S2_EFF_DASH)
		return malformed(lx, "a mapped range without its stage-2 type");
	if (!parse_mt(&t[E_EFF], true, &w->eff))
		return malformed(lx, "effective " TOKF " is not a memory type name or -",
				 TOKA(&t[E_EFF]));
	if (tok_eq(&t[E_CLASS], S2_CLASS_VFIO))
		w->cls = 0;
	else if (tok_eq(&t[E_CLASS], S2_CLASS_OTHER))
		w->cls = 1;
	else if (tok_eq(&t[E_CLASS], "-"))
		w->cls = 2;
	else
		return malformed(lx, "class " TOKF " is not vfio, other or -", TOKA(&t[E_CLASS]));
	if (tok_eq(&t[E_BDF], "-"))
		w->has_bdf = false;
	else if (parse_bdf(&t[E_BDF], &w->bdf))
		w->has_bdf = true;
	else
		return malformed(lx, "bdf " TOKF " is not - or DDDD:BB:DD.F", TOKA(&t[E_BDF]));
	if (tok_eq(&t[E_BAR], "-"))
		w->bar = -1;
	else if (t[E_BAR].n == 1 && t[E_BAR].s[0] >= '0' && t[E_BAR].s[0] <= '5')
		w->bar = (int8_t)(t[E_BAR].s[0] - '0');
	else
		return malformed(lx, "bar " TOKF " is not - or 0-5", TOKA(&t[E_BAR]));
	if (w->has_bdf != (w->bar >= 0) || w->has_bdf != (w->cls != 2))
		return malformed(lx, "class, bdf and bar must all be set or all be -");
	return 0;
}

int s2_parse_effective(const char *buf, size_t len, const char *path, struct s2_effective *out,
		       struct s2_err *err)
{
	static const char *const stop[] = { "root", "half", NULL };
	struct lx lx = { buf, buf + len, path, 0, err, 0 };
	struct kv_spec specs[5 + S2_EKEY_NR];
	size_t ns = 0, n = 0, rcap = 0, cap = 0, i;
	const char *s = NULL;
	bool have_more;
	int r;

	memset(out, 0, sizeof(*out));
	memset(specs, 0, sizeof(specs));
	out->kernel_half = out->user_half = S2_HALF_UNAVAILABLE;
	specs[ns++] = (struct kv_spec){ "result", KV_ENUM, &out->result, 0, eff_result_choices, 0,
					false };
	specs[ns++] = (struct kv_spec){ "reason", KV_STR, out->reason, sizeof(out->reason), NULL,
					0, true };
	specs[ns++] = (struct kv_spec){ "kernel_half", KV_ENUM, &out->kernel_half, 0,
					half_choices, 0, true };
	specs[ns++] = (struct kv_spec){ "user_half", KV_ENUM, &out->user_half, 0, half_choices,
					0, true };
	specs[ns++] = (struct kv_spec){ "fwb", KV_BOOL, &out->fwb, 0, NULL, 0, true };
	for (i = 0; i < S2_EKEY_NR; i++)
		specs[ns++] = (struct kv_spec){ s2_ekey_names[i], KV_U64, &out->val[i], 0, NULL, 0,
						true };
	if (format_line(&lx) || kv_lines(&lx, specs, ns, stop, &s, &n, &have_more))
		return -1;
	for (i = 0; i < S2_EKEY_NR; i++)
		out->has[i] = specs[5 + i].line != 0;
	if (out->result == S2_EFF_UNAVAILABLE) {
		if (have_more) {
			malformed(&lx, "result unavailable with roots or mappings");
			goto fail;
		}
		return 0;
	}
	for (i = 2; i < 5; i++) {
		if (!specs[i].line) {
			lx.line = 0;
			malformed(&lx, "required key '%s' missing (result %s)", specs[i].key,
				  s2_eff_results[out->result]);
			goto fail;
		}
	}
	if (!out->has[S2_EKEY_ROWS] || !out->has[S2_EKEY_ROWS_DROPPED]) {
		lx.line = 0;
		malformed(&lx, "required keys 'rows' and 'rows_dropped' missing");
		goto fail;
	}
	r = have_more ? 1 : 0;
	/* root lines */
	while (r > 0) {
		struct tok t0;

		if (split(s, n, &t0, 1) < 1 || !tok_eq(&t0, "root"))
			break;
		if (out->nroots == S2_EFF_MAX_ROOTS) {
			malformed(&lx, "more than %d roots", S2_EFF_MAX_ROOTS);
			goto fail;
		}
		if (out->nroots == rcap) {
			size_t nc = rcap ? rcap * 2 : 4;
			void *nv = realloc(out->roots, nc * sizeof(*out->roots));

			if (!nv) {
				s2_fail(err, S2_EXIT_RUNTIME, "%s: out of memory", path);
				goto fail;
			}
			out->roots = nv;
			rcap = nc;
		}
		if (root_line(&lx, s, n, &out->roots[out->nroots]))
			goto fail;
		for (i = 0; i < out->nroots; i++) {
			if (!strcmp(out->roots[i].id, out->roots[out->nroots].id)) {
				malformed(&lx, "root %s repeated", out->roots[i].id);
				goto fail;
			}
		}
		out->nroots++;
		r = next_line(&lx, &s, &n);
	}
	if (r < 0)
		goto fail;
	if (r == 0) {
		lx.line++;
		malformed(&lx, "missing column header");
		goto fail;
	}
	{
		struct tok t[32], c[32];
		size_t nt = split(s, n, t, 32), nc = split(S2_EFFECTIVE_COLUMNS,
							   strlen(S2_EFFECTIVE_COLUMNS), c, 32);

		for (i = 0; i < nt && i < nc; i++)
			if (t[i].n != c[i].n || memcmp(t[i].s, c[i].s, c[i].n))
				break;
		if (nt != nc || i != nc) {
			malformed(&lx, "column header is not '%s'", S2_EFFECTIVE_COLUMNS);
			goto fail;
		}
	}
	while ((r = next_line(&lx, &s, &n)) > 0) {
		struct s2_eff_row w;

		if (eff_row(&lx, s, n, out, &w))
			goto fail;
		if (out->n == S2_EFF_MAX_ROWS) {
			malformed(&lx, "more than %d rows", S2_EFF_MAX_ROWS);
			goto fail;
		}
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *nv = realloc(out->v, nc * sizeof(*out->v));

			if (!nv) {
				s2_fail(err, S2_EXIT_RUNTIME, "%s: out of memory", path);
				goto fail;
			}
			out->v = nv;
			cap = nc;
		}
		out->v[out->n++] = w;
	}
	if (r < 0)
		goto fail;
	if (out->n != out->val[S2_EKEY_ROWS]) {
		lx.line = specs[5 + S2_EKEY_ROWS].line;
		malformed(&lx, "rows %llu but %zu records", (unsigned long long)out->val[S2_EKEY_ROWS],
			  out->n);
		goto fail;
	}
	return 0;
fail:
	s2_effective_free(out);
	return -1;
}

void s2_effective_free(struct s2_effective *e)
{
	free(e->roots);
	free(e->v);
	e->roots = NULL;
	e->v = NULL;
	e->nroots = e->n = 0;
}
