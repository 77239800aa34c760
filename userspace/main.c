// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat: how arm64 KVM guests' passthrough (vfio-pci) memory is mapped at stage 2,
 * from the kvm_s2stat module's debugfs tree (docs/cli.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s2out.h"
#include "version.h"

#define MAX_SEL	256

struct opts {
	struct s2_paths paths;
	uint32_t pids[MAX_SEL];
	const char *names[MAX_SEL];
	size_t npids, nnames;
	bool devices, mappings, json, pretty, prometheus, verify, once;
	int expect;		/* enum s2_attr or -1 */
	double watch;		/* seconds, 0 = no watch */
	unsigned long count;	/* samples in watch mode, 0 = until interrupted */
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
"Selection:\n"
"  -p, --pid PID        only VMs created by process PID (repeatable)\n"
"  -g, --vm NAME        only VM NAME, <pid>-<fd> as in /sys/kernel/debug/kvm\n"
"                       (repeatable)\n"
"Views:\n"
"  -d, --devices        pages per PCI device and BAR, driver, VM and attribute\n"
"  -m, --mappings       each VM's device-memory ranges\n"
"  -j, --json           JSON (docs/json.md); errors as {\"error\": \"...\"}\n"
"      --pretty         indented JSON (implies --json)\n"
"      --prometheus     Prometheus text format (node_exporter textfile collector)\n"
"  -w, --watch SEC      refresh every SEC seconds; '*' marks changed counts\n"
"  -1, --once           one sample and exit (with --watch: one watch sample)\n"
"  -c, --count N        with --watch: exit after N samples\n"
"Checks:\n"
"      --expect ATTR    every VFIO mapping must be ATTR: nc (NORMAL_NC), device\n"
"                       (DEVICE_nGnRE) or cacheable (NORMAL); lists offenders\n"
"      --verify         compare each selected VM's tracked state with its stage-2\n"
"                       table (the module's walk); prints differences\n"
"Sources:\n"
"      --debugfs DIR    debugfs mount point (default /sys/kernel/debug)\n"
"      --proc DIR       procfs root: VMM names, mounts (default /proc)\n"
"      --sys DIR        sysfs root: lockdown state (default /sys)\n"
"  -h, --help           this help\n"
"  -V, --version        version\n"
"\n"
"Exit status:\n"
"   0 ok                         6 permission denied (run as root)\n"
"   1 other runtime error        7 unsupported debugfs format version\n"
"   2 bad usage                  8 malformed debugfs content (file:line given)\n"
"   3 kvm_s2stat not loaded     10 --expect policy violated\n"
"   4 debugfs not mounted       11 --verify found differences\n"
"   5 debugfs locked down or disabled\n"
"\n"
"See kvm-s2stat(8).\n");
}

enum { OPT_PRETTY = 256, OPT_PROM, OPT_EXPECT, OPT_VERIFY, OPT_DEBUGFS, OPT_PROC, OPT_SYS };

static const struct option longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "vm", required_argument, NULL, 'g' },
	{ "devices", no_argument, NULL, 'd' },
	{ "mappings", no_argument, NULL, 'm' },
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, OPT_PRETTY },
	{ "prometheus", no_argument, NULL, OPT_PROM },
	{ "watch", required_argument, NULL, 'w' },
	{ "once", no_argument, NULL, '1' },
	{ "count", required_argument, NULL, 'c' },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "debugfs", required_argument, NULL, OPT_DEBUGFS },
	{ "proc", required_argument, NULL, OPT_PROC },
	{ "sys", required_argument, NULL, OPT_SYS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

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

/* Returns -1 to go on, else an exit code. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	int c;
	unsigned long v;
	char *end;

	memset(o, 0, sizeof(*o));
	o->paths.debugfs = "/sys/kernel/debug";
	o->paths.proc = "/proc";
	o->paths.sys = "/sys";
	o->expect = -1;
	for (int i = 1; i < argc; i++) {	/* errors in JSON as soon as -j is anywhere */
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--pretty") ||
		    (argv[i][0] == '-' && argv[i][1] != '-' && strchr(argv[i], 'j') &&
		     strspn(argv[i] + 1, "dmj1h V") == strlen(argv[i] + 1)))
			json_errors = true;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:g:dmjw:1c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_ulong(optarg, UINT32_MAX, &v) || !v)
				return die(S2_EXIT_USAGE, "--pid '%s': not a process id", optarg);
			if (o->npids == MAX_SEL)
				return die(S2_EXIT_USAGE, "--pid: at most %d", MAX_SEL);
			o->pids[o->npids++] = (uint32_t)v;
			break;
		case 'g':
			if (!valid_vm_name(optarg))
				return die(S2_EXIT_USAGE, "--vm '%s': not a VM name <pid>-<fd> "
					   "(see the VM column)", optarg);
			if (o->nnames == MAX_SEL)
				return die(S2_EXIT_USAGE, "--vm: at most %d", MAX_SEL);
			o->names[o->nnames++] = optarg;
			break;
		case 'd':
			o->devices = true;
			break;
		case 'm':
			o->mappings = true;
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
		case 'w':
			errno = 0;
			o->watch = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(o->watch) ||
			    o->watch < 0.1 || o->watch > 86400)
				return die(S2_EXIT_USAGE, "--watch '%s': seconds between 0.1 and 86400",
					   optarg);
			break;
		case '1':
			o->once = true;
			break;
		case 'c':
			if (!parse_ulong(optarg, 1000000000UL, &v) || !v)
				return die(S2_EXIT_USAGE, "--count '%s': a number of samples >= 1",
					   optarg);
			o->count = v;
			break;
		case OPT_EXPECT:
			if (!strcmp(optarg, "nc") || !strcmp(optarg, "NORMAL_NC"))
				o->expect = S2_ATTR_NC;
			else if (!strcmp(optarg, "device") || !strcmp(optarg, "DEVICE_nGnRE"))
				o->expect = S2_ATTR_DEVICE;
			else if (!strcmp(optarg, "cacheable") || !strcmp(optarg, "NORMAL"))
				o->expect = S2_ATTR_NORMAL;
			else
				return die(S2_EXIT_USAGE, "--expect '%s': use nc, device or cacheable",
					   optarg);
			break;
		case OPT_VERIFY:
			o->verify = true;
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
			if (optopt && optopt < 256)
				return die(S2_EXIT_USAGE, "unknown option -%c (see --help)", optopt);
			return die(S2_EXIT_USAGE, "unknown option %s (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return die(S2_EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
	if (o->json && o->prometheus)
		return die(S2_EXIT_USAGE, "--json and --prometheus exclude each other");
	if (o->prometheus && (o->devices || o->mappings))
		return die(S2_EXIT_USAGE, "--prometheus always includes the per-device series: "
			   "drop -d/-m");
	if (o->watch && (o->prometheus || o->expect >= 0 || o->verify))
		return die(S2_EXIT_USAGE, "--watch works with the table and JSON views only "
			   "(run --prometheus, --expect and --verify from a timer instead)");
	if (o->count && !o->watch)
		return die(S2_EXIT_USAGE, "--count needs --watch");
	if (o->once)
		o->count = 1;
	return -1;
}

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

static int render(const struct opts *o, const struct s2_snapshot *s,
		  const struct s2_snapshot *prev, bool first)
{
	FILE *f = stdout;
	int rc = S2_EXIT_OK;

	if (o->json) {
		struct s2_json_opt jo = { o->pretty, o->mappings, o->devices, o->expect,
					  o->verify };

		s2_print_json(f, s, &jo);
	} else if (o->prometheus) {
		s2_print_prometheus(f, s);
	} else {
		bool checks = o->expect >= 0 || o->verify;
		bool views = o->devices || o->mappings;
		bool sep = false;

		if (o->watch) {
			if (isatty(STDOUT_FILENO))
				fputs("\033[H\033[2J", f);
			else if (!first)
				fputc('\n', f);
			watch_header(f, o, s);
		}
		if (!views && !checks) {
			if (!s->n && !s->listed)
				fprintf(f, "no VMs tracked by kvm_s2stat %s (kernel %s)\n",
					s->version.module_version, s->stats.kernel);
			else
				s2_print_vms(f, s, prev);
			sep = true;
		}
		if (o->devices) {
			if (sep)
				fputc('\n', f);
			s2_print_devices(f, s, prev);
			sep = true;
		}
		if (o->mappings) {
			if (sep)
				fputc('\n', f);
			s2_print_mappings(f, s);
			sep = true;
		}
		if (o->verify) {
			if (sep)
				fputc('\n', f);
			s2_print_verify(f, s);
			sep = true;
		}
		if (o->expect >= 0) {
			if (sep)
				fputc('\n', f);
			s2_print_expect(f, s, o->expect);
		}
	}
	fflush(f);
	if (ferror(f))
		return die(S2_EXIT_RUNTIME, "writing the output failed");

	if (o->verify) {
		struct s2_verify_result r;

		s2_verify_summary(s, &r);
		if (r.unavailable_vms && !o->json)
			fprintf(stderr, "kvm-s2stat: warning: --verify: %zu VM%s had no stage-2 "
				"table to check (being destroyed, or owned by pKVM)\n",
				r.unavailable_vms, r.unavailable_vms == 1 ? "" : "s");
		if (r.differ_vms) {
			if (!o->json)
				fprintf(stderr, "kvm-s2stat: --verify: %llu difference%s in %zu of "
					"%zu VMs: the module's tracked state is wrong; report it "
					"(writing 1 to %s/<vm>/resync rebuilds it)\n",
					(unsigned long long)r.differences,
					r.differences == 1 ? "" : "s", r.differ_vms, r.vms, s->root);
			rc = S2_EXIT_VERIFY;
		}
	}
	if (o->expect >= 0 && rc == S2_EXIT_OK) {
		struct s2_expect_result r;

		s2_expect(s, o->expect, &r);
		if (r.violations) {
			if (!o->json)
				fprintf(stderr, "kvm-s2stat: --expect: %zu of %zu VFIO mappings "
					"(%llu pages) in %zu VM%s are not %s\n", r.violations,
					r.checked, (unsigned long long)r.violation_pages,
					r.violation_vms, r.violation_vms == 1 ? "" : "s",
					s2_attr_name((unsigned)o->expect));
			rc = S2_EXIT_EXPECT;
		}
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct s2_snapshot cur, prev;
	struct s2_select sel;
	struct s2_err err;
	struct opts o;
	unsigned int flags = 0;
	unsigned long n = 0;
	bool have_prev = false;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	sel = (struct s2_select){ o.pids, o.npids, o.names, o.nnames };
	if (o.devices || o.mappings || o.expect >= 0 || o.prometheus)
		flags |= S2_LOAD_MAPPINGS;
	if (o.verify)
		flags |= S2_LOAD_VERIFY;
	if (o.watch) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}

	for (;;) {
		memset(&err, 0, sizeof(err));
		if (s2_load(&o.paths, &sel, flags, &cur, &err)) {
			if (have_prev)
				s2_snapshot_free(&prev);
			return die(err.code ? err.code : S2_EXIT_RUNTIME, "%s", err.msg);
		}
		if ((o.npids || o.nnames) && !cur.n && !cur.vanished && !o.watch) {
			s2_snapshot_free(&cur);
			return die(S2_EXIT_RUNTIME, "no VM matches the -p/-g selection: run "
				   "kvm-s2stat without them to list the VMs");
		}
		rc = render(&o, &cur, have_prev ? &prev : NULL, n == 0);
		if (have_prev)
			s2_snapshot_free(&prev);
		prev = cur;
		have_prev = true;
		n++;
		if (!o.watch || rc || stop || (o.count && n >= o.count))
			break;
		sleep_interval(o.watch);
		if (stop)
			break;
	}
	s2_snapshot_free(&prev);
	return rc;
}
