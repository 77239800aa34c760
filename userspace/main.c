// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat: how arm64 KVM guests' passthrough (vfio-pci) memory is mapped at stage 2,
 * from the kvm_s2stat module's debugfs tree (docs/cli.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "s2json.h"
#include "s2prom.h"
#include "s2view.h"
#include "version.h"

#define LOG_DEFAULT_DELAY	3.0	/* seconds, as kvm_stat */

struct list {
	void *v;
	size_t n, cap, size;
};

struct opts {
	struct s2_paths paths;
	struct list pids, vms, guests, bdfs;
	bool skip_zero, devices, mappings, json, pretty, prometheus, verify, once, log;
	bool csv, no_header, raw, wide;
	bool effective;		/* -E: read each VM's effective file, show the effective types */
	bool expect_wc;		/* --expect wc */
	const char *output;	/* -o FILE, written atomically */
	int expect;		/* enum s2_attr or -1 */
	double watch;		/* seconds between samples, 0 = one sample */
	unsigned long count;	/* samples, 0 = until interrupted */
};

static bool json_errors;

__attribute__((format(printf, 2, 3)))
static int die(int code, const char *fmt, ...)
{
	char msg[S2_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_errors) {
		s2_print_json_error(stdout, msg);
		fflush(stdout);
	} else {
		fprintf(stderr, "kvm-s2stat: %s\n", msg);
	}
	return code;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kvm-s2stat [OPTION]...\n"
"Show how arm64 KVM guests' device (vfio-pci) memory is mapped at stage 2:\n"
"DEVICE_nGnRE, NORMAL_NC (write-combining capable) or NORMAL (cacheable), from\n"
"the kvm_s2stat module's debugfs files.  Default: one line per VM and a total.\n"
"\n"
"Selection (a VM matching any of -p, -g, --vm is shown):\n"
"  -p, --pid LIST       VMs created by these processes: PIDs separated by spaces\n"
"                       or commas, e.g. -p \"$(pidof qemu-system-aarch64)\"\n"
"  -g, --guest NAME     the VM(s) with this guest name (QEMU -name, libvirt\n"
"                       domain), UUID, or name <pid>-<fd> (repeatable)\n"
"      --vm VM          the VM <pid>-<fd>, as in /sys/kernel/debug/kvm\n"
"  -b, --bdf BDF        VMs that map memory of PCI device [DDDD:]BB:DD.F; -D, -m,\n"
"                       --expect, JSON and Prometheus show only its memory\n"
"  -z, --skip-zero-records  leave out VMs without device memory mapped (and, in\n"
"                       log mode, samples whose counts are all zero)\n"
"Views:\n"
"  -D, --devices        pages per PCI device and BAR, driver, VM and attribute\n"
"  -m, --mappings       each VM's device-memory ranges\n"
"  -W, --wide           text views: COMM, DOMAIN and UUID columns, no truncation\n"
"  -E, --effective      the memory type the guest really gets: its own (stage-1)\n"
"                       mappings of VFIO memory combined with stage 2 (column\n"
"                       EFFECTIVE; with -m each guest mapping).  The module\n"
"                       captures the vCPUs' registers, reads the guest's tables\n"
"  -c, --csv            CSV (one table: per VM, -D, -m or -l)\n"
"  -H, --no-header      rows only: no header, total or notes\n"
"  -r, --raw            exact byte counts instead of KiB, MiB, ...\n"
"  -j, --json           JSON (docs/json.md); errors as {\"error\": \"...\"}\n"
"      --pretty         indented JSON (implies --json)\n"
"      --prometheus     Prometheus text format (node_exporter textfile collector)\n"
"  -o, --output FILE    write to FILE atomically (temporary file, then rename)\n"
"  -w, --watch SEC      refresh every SEC seconds; '*' marks changed counts\n"
"  -l, --log            one timestamped line of totals per sample (every -w SEC,\n"
"                       default 3)\n"
"  -n, --count N        with --watch or --log: exit after N samples\n"
"  -1, --once           one sample and exit (with --watch: one watch sample)\n"
"Checks:\n"
"      --expect ATTR    every VFIO mapping must be ATTR: nc (NORMAL_NC), device\n"
"                       (DEVICE_nGnRE) or cacheable (NORMAL); lists offenders\n"
"      --expect wc      every guest mapping of VFIO memory meant for write-\n"
"                       combining (stage 1 Normal-NC: ioremap_wc, resourceN_wc)\n"
"                       must be effectively NORMAL_NC (implies -E); lists\n"
"                       offenders\n"
"      --verify         compare each selected VM's tracked state with its stage-2\n"
"                       table (the module's walk); prints differences\n"
"Sources:\n"
"  -d                   read debugfs (kvm_stat's -d; kvm-s2stat always does)\n"
"      --debugfs DIR    debugfs mount point (default /sys/kernel/debug)\n"
"      --proc DIR       procfs root: VMM names, mounts (default /proc)\n"
"      --sys DIR        sysfs root: lockdown state (default /sys)\n"
"  -h, --help           this help\n"
"  -V, --version        version\n"
"\n"
"KVM maps a BAR at stage 2 only when the guest first touches it.\n"
"\n"
"Exit status:\n"
"   0 ok                         7 unsupported debugfs format version\n"
"   1 other runtime error        8 malformed debugfs content (file:line given)\n"
"   2 bad usage                 10 --expect policy violated\n"
"   3 kvm_s2stat not loaded     11 --verify found differences\n"
"   4 debugfs not mounted       12 --expect had no VFIO mapping to check\n"
"   5 debugfs locked down or disabled\n"
"  13 --expect wc found no violation, but a guest's page tables could not be\n"
"     read whole (partial or unavailable)\n"
"   6 permission denied (run as root)\n"
"\n"
"See kvm-s2stat(8).\n");
}

enum {
	OPT_PRETTY = 256, OPT_PROM, OPT_EXPECT, OPT_VERIFY, OPT_DEBUGFS, OPT_PROC, OPT_SYS,
	OPT_VM,
};

static const char shortopts[] = ":p:g:b:zDmWEcHrjo:w:ln:1dhV";

static const struct option longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "guest", required_argument, NULL, 'g' },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "bdf", required_argument, NULL, 'b' },
	{ "skip-zero-records", no_argument, NULL, 'z' },
	{ "devices", no_argument, NULL, 'D' },
	{ "mappings", no_argument, NULL, 'm' },
	{ "wide", no_argument, NULL, 'W' },
	{ "effective", no_argument, NULL, 'E' },
	{ "csv", no_argument, NULL, 'c' },
	{ "no-header", no_argument, NULL, 'H' },
	{ "raw", no_argument, NULL, 'r' },
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, OPT_PRETTY },
	{ "prometheus", no_argument, NULL, OPT_PROM },
	{ "output", required_argument, NULL, 'o' },
	{ "watch", required_argument, NULL, 'w' },
	{ "log", no_argument, NULL, 'l' },
	{ "count", required_argument, NULL, 'n' },
	{ "once", no_argument, NULL, '1' },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "debugfs", required_argument, NULL, OPT_DEBUGFS },
	{ "proc", required_argument, NULL, OPT_PROC },
	{ "sys", required_argument, NULL, OPT_SYS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static bool list_add(struct list *l, const void *item)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		void *nv = realloc(l->v, nc * l->size);

		if (!nv)
			return false;
		l->v = nv;
		l->cap = nc;
	}
	memcpy((char *)l->v + l->n * l->size, item, l->size);
	l->n++;
	return true;
}

static void opts_free(struct opts *o)
{
	free(o->pids.v);
	free(o->vms.v);
	free(o->guests.v);
	free(o->bdfs.v);
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
	char *end;
	unsigned long x;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || *end || x > max)
		return false;
	*v = x;
	return true;
}

static bool valid_vm_name(const char *s)
{
	const char *dash = strchr(s, '-');

	if (!dash || dash == s || !dash[1] || strlen(s) >= S2_NAME_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (p != dash && (*p < '0' || *p > '9'))
			return false;
	return true;
}

/* -p "1 2,3": PIDs separated by spaces, tabs, newlines or commas. */
static int add_pids(struct opts *o, const char *arg)
{
	const char *p = arg;
	size_t before = o->pids.n;

	while (*p) {
		char tok[32];
		size_t n = strcspn(p, ", \t\n");
		unsigned long v;

		if (!n) {
			p++;
			continue;
		}
		if (n >= sizeof(tok))
			return die(S2_EXIT_USAGE, "--pid '%.40s': not a list of process ids", arg);
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (!parse_ulong(tok, UINT32_MAX, &v) || !v)
			return die(S2_EXIT_USAGE, "--pid '%s': '%s' is not a process id", arg, tok);
		{
			uint32_t pid = (uint32_t)v;

			if (!list_add(&o->pids, &pid))
				return die(S2_EXIT_RUNTIME, "out of memory");
		}
		p += n;
	}
	if (o->pids.n == before)
		return die(S2_EXIT_USAGE, "--pid '%s': no process id given (is the VMM running?)",
			   arg);
	return -1;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "DDDD:BB:DD.F" or "BB:DD.F" (domain 0), hex, as lspci prints them. */
static bool parse_bdf_arg(const char *s, uint32_t *out)
{
	static const char full[] = "hhhh:hh:hh.h";
	const char *shape = full;
	unsigned int x[4] = { 0 }, f = 0;
	size_t n = strlen(s);

	if (n == sizeof(full) - 6) {	/* BB:DD.F */
		shape = full + 5;
		f = 1;
	} else if (n != sizeof(full) - 1) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (shape[i] == 'h') {
			int h = hexv(s[i]);

			if (h < 0)
				return false;
			x[f] = x[f] << 4 | (unsigned int)h;
		} else if (s[i] != shape[i]) {
			return false;
		} else {
			f++;
		}
	}
	if (x[2] > 0x1f || x[3] > 7)
		return false;
	*out = x[0] << 16 | x[1] << 8 | x[2] << 3 | x[3];
	return true;
}

/* Is -j/--json/--pretty anywhere (so that errors, usage ones included, are JSON)? */
static void scan_json(int argc, char **argv)
{
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'j' || c == OPT_PRETTY)
			json_errors = true;
		else if (c == '?' && optind > 0 && optind <= argc &&
			 (!strncmp(argv[optind - 1], "--json=", 7) ||
			  !strncmp(argv[optind - 1], "--pretty=", 9)))
			json_errors = true;
	}
	optind = 0;	/* GNU getopt: start again from scratch */
}

/*
 * The error for getopt's '?': an unknown short option (optopt is it), an unknown or ambiguous
 * long one (optopt 0), or a long one given a value it does not take (optopt is its val).
 */
static int bad_option(int argc, char **argv)
{
	const char *a = optind > 0 && optind <= argc ? argv[optind - 1] : "";

	if (!strncmp(a, "--", 2) && a[2]) {
		size_t n = strcspn(a + 2, "=");

		for (const struct option *l = longopts; l->name && a[2 + n] == '='; l++)
			if (l->has_arg == no_argument && l->val == optopt &&
			    strlen(l->name) >= n && !strncmp(l->name, a + 2, n))
				return die(S2_EXIT_USAGE, "--%s takes no value: '%s' (see --help)",
					   l->name, a);
		if (!optopt)
			return die(S2_EXIT_USAGE, "unknown option %.*s (see --help)", (int)(n + 2),
				   a);
	}
	if (optopt > 0 && optopt < 256)
		return die(S2_EXIT_USAGE, "unknown option -%c (see --help)", optopt);
	return die(S2_EXIT_USAGE, "unknown option %s (see --help)", a);
}

/* Checks between options; -1 to go on, else an exit code. */
static int check_opts(struct opts *o)
{
	bool views = o->devices || o->mappings;
	bool text_opts = o->csv || o->no_header || o->raw || o->wide;

	if (o->json && o->prometheus)
		return die(S2_EXIT_USAGE, "--json and --prometheus exclude each other");
	if (o->prometheus && views)
		return die(S2_EXIT_USAGE, "--prometheus always includes the per-device series: "
			   "drop -D/-m");
	if (o->csv && (o->json || o->prometheus))
		return die(S2_EXIT_USAGE, "--csv, --json and --prometheus exclude each other");
	if (text_opts && (o->json || o->prometheus))
		return die(S2_EXIT_USAGE, "-c, -H, -r and -W apply to the text views, not to "
			   "--json or --prometheus");
	if (o->log && (o->json || o->prometheus || views))
		return die(S2_EXIT_USAGE, "--log prints one line of totals per sample: drop "
			   "-j/--prometheus/-D/-m (--watch -j gives one JSON document per sample)");
	if (o->expect_wc && o->expect >= 0)
		return die(S2_EXIT_USAGE, "--expect wc checks the guests' mappings, --expect "
			   "nc/device/cacheable stage 2: give one of them");
	if ((o->watch || o->log) && (o->prometheus || o->expect >= 0 || o->expect_wc || o->verify))
		return die(S2_EXIT_USAGE, "--watch and --log work with the table and JSON views "
			   "only (run --prometheus, --expect and --verify from a timer instead)");
	if ((o->watch || o->log) && o->output)
		return die(S2_EXIT_USAGE, "--output writes one sample: drop --watch/--log");
	if (o->log && o->effective)
		return die(S2_EXIT_USAGE, "--log prints totals: drop -E");
	if (o->csv && (o->expect >= 0 || o->expect_wc || o->verify))
		return die(S2_EXIT_USAGE, "--csv prints a table: run --expect and --verify "
			   "without it (or with -j)");
	if (o->csv && o->devices && o->mappings)
		return die(S2_EXIT_USAGE, "--csv prints one table: choose -D or -m");
	if (o->csv && o->watch && !o->log)
		return die(S2_EXIT_USAGE, "--csv with --watch: use --log (-l) for one CSV line "
			   "per sample");
	if (o->count && !o->watch && !o->log)
		return die(S2_EXIT_USAGE, "--count needs --watch or --log");
	if (o->log && !o->watch)
		o->watch = LOG_DEFAULT_DELAY;
	if (o->once)
		o->count = 1;
	return -1;
}

/* Returns -1 to go on, else an exit code. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned long v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->paths.debugfs = "/sys/kernel/debug";
	o->paths.proc = "/proc";
	o->paths.sys = "/sys";
	o->expect = -1;
	o->pids.size = sizeof(uint32_t);
	o->bdfs.size = sizeof(uint32_t);
	o->vms.size = o->guests.size = sizeof(char *);
	scan_json(argc, argv);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int r = -1;

		switch (c) {
		case 'p':
			r = add_pids(o, optarg);
			break;
		case 'g':
			if (!*optarg)
				return die(S2_EXIT_USAGE, "--guest '': give a guest name, a UUID or "
					   "a VM <pid>-<fd>");
			if (!list_add(&o->guests, &optarg))
				return die(S2_EXIT_RUNTIME, "out of memory");
			break;
		case OPT_VM:
			if (!valid_vm_name(optarg))
				return die(S2_EXIT_USAGE, "--vm '%s': not a VM name <pid>-<fd> (see "
					   "the VM column; -g takes guest names)", optarg);
			if (!list_add(&o->vms, &optarg))
				return die(S2_EXIT_RUNTIME, "out of memory");
			break;
		case 'b': {
			uint32_t bdf;

			if (!parse_bdf_arg(optarg, &bdf))
				return die(S2_EXIT_USAGE, "--bdf '%s': not a PCI address "
					   "[DDDD:]BB:DD.F (as lspci -D prints)", optarg);
			if (!list_add(&o->bdfs, &bdf))
				return die(S2_EXIT_RUNTIME, "out of memory");
			break;
		}
		case 'z':
			o->skip_zero = true;
			break;
		case 'D':
			o->devices = true;
			break;
		case 'm':
			o->mappings = true;
			break;
		case 'W':
			o->wide = true;
			break;
		case 'E':
			o->effective = true;
			break;
		case 'c':
			o->csv = true;
			break;
		case 'H':
			o->no_header = true;
			break;
		case 'r':
			o->raw = true;
			break;
		case 'j':
			o->json = true;
			break;
		case OPT_PRETTY:
			o->json = o->pretty = true;
			break;
		case OPT_PROM:
			o->prometheus = true;
			break;
		case 'o':
			if (!*optarg)
				return die(S2_EXIT_USAGE, "--output '': give a file name");
			o->output = optarg;
			break;
		case 'w':
			errno = 0;
			o->watch = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(o->watch) ||
			    o->watch < 0.1 || o->watch > 86400)
				return die(S2_EXIT_USAGE, "--watch '%s': seconds between 0.1 and 86400",
					   optarg);
			break;
		case 'l':
			o->log = true;
			break;
		case 'n':
			if (!parse_ulong(optarg, 1000000000UL, &v) || !v)
				return die(S2_EXIT_USAGE, "--count '%s': a number of samples >= 1",
					   optarg);
			o->count = v;
			break;
		case '1':
			o->once = true;
			break;
		case OPT_EXPECT:
			if (!strcmp(optarg, "nc") || !strcmp(optarg, "NORMAL_NC"))
				o->expect = S2_ATTR_NC;
			else if (!strcmp(optarg, "device") || !strcmp(optarg, "DEVICE_nGnRE"))
				o->expect = S2_ATTR_DEVICE;
			else if (!strcmp(optarg, "cacheable") || !strcmp(optarg, "NORMAL"))
				o->expect = S2_ATTR_NORMAL;
			else if (!strcmp(optarg, "wc"))
				o->expect_wc = o->effective = true;
			else
				return die(S2_EXIT_USAGE, "--expect '%s': use nc, device, cacheable or "
					   "wc", optarg);
			break;
		case OPT_VERIFY:
			o->verify = true;
			break;
		case 'd':	/* kvm_stat's "statistics from debugfs": always so here */
			break;
		case OPT_DEBUGFS:
			o->paths.debugfs = optarg;
			break;
		case OPT_PROC:
			o->paths.proc = optarg;
			break;
		case OPT_SYS:
			o->paths.sys = optarg;
			break;
		case 'h':
			usage(stdout);
			return S2_EXIT_OK;
		case 'V':
			printf("kvm-s2stat %s (debugfs format %d, JSON schema %d)\n",
			       KVM_S2STAT_VERSION, S2_FORMAT_VERSION, KVM_S2STAT_JSON_SCHEMA);
			return S2_EXIT_OK;
		case ':':
			return die(S2_EXIT_USAGE, "%s needs an argument (see --help)",
				   argv[optind - 1]);
		default:
			return bad_option(argc, argv);
		}
		if (r >= 0)
			return r;
	}
	if (optind < argc) {
		const char *a = argv[optind], *prev = optind > 1 ? argv[optind - 1] : "";

		if (strspn(a, "0123456789") == strlen(a) && prev[0] == '-' && prev[1] != '-' &&
		    prev[strlen(prev) - 1] == 'c')
			return die(S2_EXIT_USAGE, "unexpected argument '%s': -c is --csv (as in "
				   "kvm_stat); the number of samples is -n %s", a, a);
		return die(S2_EXIT_USAGE, "unexpected argument '%s' (see --help)", a);
	}
	return check_opts(o);
}

/* ---- output file: written to a temporary file in the same directory, then renamed ---- */

struct out {
	FILE *f;
	char tmp[PATH_MAX];
	const char *path;
};

static int out_open(struct out *w, const char *path)
{
	char copy[PATH_MAX], base[PATH_MAX];
	int fd;

	w->path = path;
	w->f = stdout;
	if (!path)
		return -1;
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	if ((size_t)snprintf(w->tmp, sizeof(w->tmp), "%s/.%s.XXXXXX", dirname(copy),
			     basename(base)) >= sizeof(w->tmp))
		return die(S2_EXIT_USAGE, "--output %s: path too long", path);
	fd = mkstemp(w->tmp);
	if (fd < 0)
		return die(S2_EXIT_RUNTIME, "--output %s: cannot create %s: %s (does the directory "
			   "exist, and is it writable?)", path, w->tmp, strerror(errno));
	if (fchmod(fd, 0644) || !(w->f = fdopen(fd, "w"))) {
		int e = errno;

		close(fd);
		unlink(w->tmp);
		w->f = stdout;
		return die(S2_EXIT_RUNTIME, "--output %s: %s: %s", path, w->tmp, strerror(e));
	}
	return -1;
}

/* Make the output visible: flush, fsync, rename.  @ok false: drop it. */
static int out_close(struct out *w, bool ok)
{
	int e = 0;

	if (!w->path) {
		fflush(stdout);
		if (ferror(stdout))
			return die(S2_EXIT_RUNTIME, "writing the output failed");
		return -1;
	}
	if (fflush(w->f) || ferror(w->f) || fsync(fileno(w->f)))
		e = errno ? errno : EIO;
	if (fclose(w->f) && !e)
		e = errno;
	w->f = stdout;
	if (ok && !e && rename(w->tmp, w->path))
		e = errno;
	if (!ok || e)
		unlink(w->tmp);
	if (e)
		return die(S2_EXIT_RUNTIME, "--output %s: writing %s failed: %s", w->path, w->tmp,
			   strerror(e));
	return -1;
}

/* ---- samples ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void sleep_interval(double sec)
{
	struct timespec ts = { (time_t)sec, (long)((sec - (double)(time_t)sec) * 1e9) };

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void watch_header(FILE *f, const struct opts *o, const struct s2_snapshot *s)
{
	char when[64];
	struct tm tm;
	char b[16];

	localtime_r(&s->when.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "kvm-s2stat every %gs  %s  kernel %s  page %s%s\n", o->watch, when,
		s->stats.kernel, s2_human_bytes(s->stats.page_size, b),
		s->vanished ? "  (VMs destroyed while read were skipped)" : "");
}

static void render_text(FILE *f, const struct opts *o, const struct s2_report *r,
			const struct s2_report *prev, bool first)
{
	struct s2_viewopt vo = { { o->csv, !o->no_header, o->wide, o->effective }, o->raw, prev };
	bool checks = o->expect >= 0 || o->expect_wc || o->verify;
	bool sep = false;

	if (o->watch) {
		if (isatty(fileno(f)))
			fputs("\033[H\033[2J", f);
		else if (!first)
			fputc('\n', f);
		if (!o->no_header)
			watch_header(f, o, r->s);
	}
	if ((!o->devices && !o->mappings && !checks) || (o->csv && !o->devices && !o->mappings)) {
		s2_print_vms(f, r, &vo);
		sep = true;
	}
	if (o->devices) {
		if (sep)
			fputc('\n', f);
		s2_print_devices(f, r, &vo);
		sep = true;
	}
	if (o->mappings && !(o->csv && o->effective)) {
		if (sep)
			fputc('\n', f);
		s2_print_mappings(f, r, &vo);
		sep = true;
	}
	if (o->mappings && o->effective) {
		if (sep)
			fputc('\n', f);
		s2_print_effective(f, r, &vo);
		sep = true;
	}
	if (o->verify) {
		if (sep)
			fputc('\n', f);
		s2_print_verify(f, r, &vo);
		sep = true;
	}
	if (o->expect >= 0) {
		if (sep)
			fputc('\n', f);
		s2_print_expect(f, r, &vo);
	}
	if (o->expect_wc) {
		if (sep)
			fputc('\n', f);
		s2_print_expect_wc(f, r, &vo);
	}
}

/* Warnings and the exit code of the checks, after the output. */
static int check_results(const struct opts *o, const struct s2_report *r)
{
	const struct s2_snapshot *s = r->s;
	int rc = S2_EXIT_OK;

	if (r->tot.mismatch_vms && !o->json) {
		char list[256] = "";
		size_t n = 0, shown = 0;

		for (size_t i = 0; i < s->n && shown < 4; i++) {
			if (!s->vms[i].maps_mismatch)
				continue;
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", shown ? ", " : "",
					      s->vms[i].st.vm);
			shown++;
		}
		fprintf(stderr, "kvm-s2stat: warning: %zu VM%s (%s%s): mappings and status "
			"disagreed on two reads: report it with copies of both files\n",
			r->tot.mismatch_vms, r->tot.mismatch_vms == 1 ? "" : "s", list,
			r->tot.mismatch_vms > shown ? ", ..." : "");
	}
	if (r->has_verify) {
		const struct s2_verify_result *v = &r->ver;

		if (v->unavailable_vms && !o->json)
			fprintf(stderr, "kvm-s2stat: warning: --verify: %zu VM%s had no stage-2 "
				"table to check (being destroyed, or owned by pKVM)\n",
				v->unavailable_vms, v->unavailable_vms == 1 ? "" : "s");
		if (v->differ_vms) {
			if (!o->json)
				fprintf(stderr, "kvm-s2stat: --verify: %llu difference%s in %zu of "
					"%zu VMs: the module's tracked state is wrong; report it "
					"(writing 1 to %s/<vm>/resync rebuilds it)\n",
					(unsigned long long)v->differences,
					v->differences == 1 ? "" : "s", v->differ_vms, v->vms, s->root);
			rc = S2_EXIT_VERIFY;
		}
	}
	if (r->has_expect && r->exp.attr == S2_ATTR_NORMAL && !o->json &&
	    s->stats.cacheable_pfnmap[0] && strcmp(s->stats.cacheable_pfnmap, "supported"))
		fprintf(stderr, "kvm-s2stat: note: this host cannot map cacheable device memory "
			"NORMAL at stage 2 (cacheable_pfnmap %s): %s\n", s->stats.cacheable_pfnmap,
			!strcmp(s->stats.cacheable_pfnmap, "kernel") ?
			"Linux < 6.17 maps it DEVICE_nGnRE or NORMAL_NC" :
			!strcmp(s->stats.cacheable_pfnmap, "no-dic") ?
			"the CPU lacks DIC (CTR_EL0.DIC), so KVM refuses memslots over cacheable "
			"PFNMAP memory (6.17+ needs FWB and DIC)" :
			"the CPU lacks FEAT_S2FWB (and maybe DIC), so KVM refuses memslots over "
			"cacheable PFNMAP memory (6.17+ needs FWB and DIC)");
	if (r->has_expect && rc == S2_EXIT_OK) {
		const struct s2_expect_result *e = &r->exp;
		const char *an = s2_attr_name((unsigned int)e->attr);

		if (e->result == S2_EXPECT_VIOLATED) {
			if (!o->json)
				fprintf(stderr, "kvm-s2stat: --expect: %zu of %zu VFIO mappings "
					"(%llu pages) in %zu VM%s are not %s\n", e->nv, e->checked,
					(unsigned long long)e->violation_pages, e->violation_vms,
					e->violation_vms == 1 ? "" : "s", an);
			rc = S2_EXIT_EXPECT;
		} else if (e->result == S2_EXPECT_NOTHING) {
			if (!o->json && !s->n)
				fprintf(stderr, "kvm-s2stat: --expect %s: nothing to check: no VMs "
					"(start one, or change -p/-g/--vm/--bdf/-z)\n", an);
			else if (!o->json)
				fprintf(stderr, "kvm-s2stat: --expect %s: nothing to check: no VFIO "
					"memory mapped in the %zu selected VM%s (KVM maps a BAR at stage "
					"2 only when the guest first touches it: check again once the "
					"guest uses the device)\n", an, s->n, s->n == 1 ? "" : "s");
			rc = S2_EXIT_NOTHING;
		}
	}
	if (r->has_wc && rc == S2_EXIT_OK) {
		const struct s2_wc_result *e = &r->wc;

		if (e->result == S2_EXPECT_VIOLATED) {
			if (!o->json)
				fprintf(stderr, "kvm-s2stat: --expect wc: %zu of %zu write-combining "
					"guest mappings in %zu VM%s are not effectively NORMAL_NC "
					"(STAGE2 says what stage 2 gives them: Linux <= 6.8 maps "
					"vfio-pci BARs Device-nGnRE)\n", e->nv, e->checked, e->violation_vms,
					e->violation_vms == 1 ? "" : "s");
			rc = S2_EXIT_EXPECT;
		} else if (e->result == S2_EXPECT_NOTHING) {
			if (!o->json)
				fprintf(stderr, "kvm-s2stat: --expect wc: nothing to check: no guest "
					"maps VFIO memory for write-combining in the %zu selected VM%s "
					"(or its page tables could not be read; -E -m shows what was "
					"seen)\n", s->n, s->n == 1 ? "" : "s");
			rc = S2_EXIT_NOTHING;
		} else if (e->result == S2_EXPECT_INCOMPLETE) {
			if (!o->json)
				fprintf(stderr, "kvm-s2stat: --expect wc: no violation, but %zu VM%s' "
					"guest page tables could not be read whole (-E -m shows "
					"why)\n", e->incomplete_vms, e->incomplete_vms == 1 ? "" : "s");
			rc = S2_EXIT_INCOMPLETE;
		}
	}
	return rc;
}

static bool have_selection(const struct opts *o)
{
	return o->pids.n || o->vms.n || o->guests.n;
}

/* One sample into @r (built from @cur); -1 to go on, else an exit code. */
static int sample(const struct opts *o, const struct s2_select *sel, unsigned int flags,
		  struct s2_snapshot *cur, struct s2_report *r)
{
	unsigned int what = 0;
	struct s2_err err;
	char b[16];

	memset(&err, 0, sizeof(err));
	if (s2_load(&o->paths, sel, flags, cur, &err))
		return die(err.code ? err.code : S2_EXIT_RUNTIME, "%s", err.msg);
	if (!o->watch && have_selection(o) && !cur->matched) {
		s2_snapshot_free(cur);
		return die(S2_EXIT_RUNTIME, "no VM matches the -p/-g/--vm selection: run kvm-s2stat "
			   "without them to list the VMs (and their guest names)");
	}
	if (!o->watch && o->bdfs.n && !cur->n && !cur->vanished && cur->bdf_unmatched) {
		s2_snapshot_free(cur);
		return die(S2_EXIT_RUNTIME, "no %sVM maps memory of %s%s at stage 2: KVM maps a BAR "
			   "only when the guest first touches it (is the device in use in the "
			   "guest?)", have_selection(o) ? "selected " : "",
			   s2_bdf_str(((uint32_t *)o->bdfs.v)[0], b), o->bdfs.n > 1 ? " (or the "
			   "other --bdf devices)" : "");
	}
	if (o->devices || o->prometheus)
		what |= S2_REPORT_DEVICES;
	if (o->expect >= 0)
		what |= S2_REPORT_EXPECT;
	if (o->verify)
		what |= S2_REPORT_VERIFY;
	if (o->expect_wc)
		what |= S2_REPORT_EXPECT_WC;
	if (o->effective)
		what |= S2_REPORT_EFFECTIVE;
	if (s2_report_build(r, cur, what, o->expect)) {
		s2_snapshot_free(cur);
		return die(S2_EXIT_RUNTIME, "out of memory");
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct s2_snapshot snaps[2];
	struct s2_report reps[2];
	struct s2_select sel;
	struct s2_log log;
	struct opts o;
	unsigned int flags = 0;
	unsigned long n = 0;
	int rc, cur = 0;
	bool have_prev = false;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0) {
		opts_free(&o);
		return rc;
	}
	sel = (struct s2_select){ o.pids.v, o.pids.n, o.vms.v, o.vms.n, o.guests.v, o.guests.n,
				  o.bdfs.v, o.bdfs.n, o.skip_zero };
	if (o.devices || o.mappings || o.expect >= 0 || o.prometheus)
		flags |= S2_LOAD_MAPPINGS;
	if (o.verify)
		flags |= S2_LOAD_VERIFY;
	if (o.effective)
		flags |= S2_LOAD_EFFECTIVE;
	if (o.watch) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	if (o.log)
		s2_log_init(&log, &(struct s2_viewopt){ { o.csv, !o.no_header, o.wide, false },
							o.raw, NULL });

	for (;;) {
		struct s2_report *r = &reps[cur], *prev = have_prev ? &reps[!cur] : NULL;
		struct out w;

		rc = sample(&o, &sel, flags, &snaps[cur], r);
		if (rc >= 0)
			break;
		rc = out_open(&w, o.output);
		if (rc >= 0) {
			s2_report_free(r);
			s2_snapshot_free(&snaps[cur]);
			break;
		}
		if (o.json) {
			struct s2_json_opt jo = { o.pretty, o.mappings, o.devices, o.verify,
						  o.effective, o.bdfs.v, o.bdfs.n };

			s2_print_json(w.f, r, &jo);
		} else if (o.prometheus) {
			s2_print_prometheus(w.f, r);
		} else if (o.log) {
			s2_log_line(w.f, &log, r, &(struct s2_viewopt){
				{ o.csv, !o.no_header, o.wide, false }, o.raw, NULL }, o.skip_zero);
		} else {
			render_text(w.f, &o, r, prev, n == 0);
		}
		rc = out_close(&w, true);
		if (rc < 0)
			rc = check_results(&o, r);
		if (have_prev) {
			s2_report_free(prev);
			s2_snapshot_free(&snaps[!cur]);
		}
		have_prev = true;
		cur = !cur;
		n++;
		if (!o.watch || rc || stop || (o.count && n >= o.count))
			break;
		sleep_interval(o.watch);
		if (stop)
			break;
	}
	if (have_prev) {
		s2_report_free(&reps[!cur]);
		s2_snapshot_free(&snaps[!cur]);
	}
	opts_free(&o);
	return rc < 0 ? S2_EXIT_OK : rc;
}
