// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * End-to-end tests of the kvm-s2stat binary (ASan+UBSan build) over fixture trees:
 * hand-written ones (tests/fixtures, with VMM command lines in tests/fixtures/proc) and ones
 * generated here (malformed variants, hostile VMM names, 100 000 ranges, 2000 and 5000 VMs,
 * changing trees for --watch).  JSON goes through a real JSON parser (check_json.py),
 * Prometheus output through a strict exposition-format parser and promtool check metrics
 * (check_prom.py) and through the alert rules with promtool test rules (check_rules.py),
 * CSV through Python's csv module (check_csv.py).
 *
 * Environment: S2_CLI (binary), S2_FIXTURES, S2_TMP (scratch), S2_TOOLS (check_*.py),
 * S2_MAN (kvm-s2stat.8), S2_RULES (kvm-s2stat.rules.yml).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "version.h"

static const char *cli, *fix, *tools, *man, *rules;
static char tmp[512], proc[600];

struct run {
	int code;
	char *out, *err;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 4096, n = 0, r;
	char *b = malloc(cap + 1);

	assert_non_null(f);
	assert_non_null(b);
	while ((r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
			assert_non_null(b);
		}
	}
	fclose(f);
	b[n] = '\0';
	return b;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* Run the CLI with @args (NULL-terminated), as @uid when >= 0; capture stdout, stderr. */
static int run_v(struct run *r, int uid, const char *const *args)
{
	char o[700], e[700];
	const char *argv[64];
	int n = 0, st;
	pid_t pid;

	snprintf(o, sizeof(o), "%s/run.out", tmp);
	snprintf(e, sizeof(e), "%s/run.err", tmp);
	argv[n++] = cli;
	for (int i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fi = open("/dev/null", O_RDONLY);

		if (fo < 0 || fe < 0 || fi < 0)
			_exit(126);
		dup2(fi, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		if (uid >= 0 && (setgroups(0, NULL) || setgid((gid_t)uid) || setuid((uid_t)uid)))
			_exit(125);
		/* the harness may run without leak checks (failed asserts longjmp); the CLI not */
		setenv("ASAN_OPTIONS", "detect_leaks=1", 1);
		execv(cli, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(o);
	r->err = slurp(e);
	/* Sanitizer reports always fail the test. */
	if (strstr(r->err, "Sanitizer") || strstr(r->err, "runtime error"))
		fail_msg("sanitizer report:\n%s", r->err);
	return r->code;
}

#define RUN(r, ...) run_v((r), -1, (const char *const[]){ __VA_ARGS__, NULL })

static void expect_run(struct run *r, int code, const char *out_has, const char *err_has)
{
	if (r->code != code || (out_has && !strstr(r->out, out_has)) ||
	    (err_has && !strstr(r->err, err_has)))
		fail_msg("exit %d (want %d), stdout has '%s', stderr has '%s'\n--- stdout\n%s"
			 "--- stderr\n%s", r->code, code, out_has ? out_has : "",
			 err_has ? err_has : "", r->out, r->err);
}

static const char *fx(const char *name)
{
	static char b[8][700];
	static int i;

	i = (i + 1) % 8;
	snprintf(b[i], sizeof(b[i]), "%s/%s", fix, name);
	return b[i];
}

/* Pipe @input into a checker script; returns its exit status and prints its output. */
static int pipe_check(const char *script, const char *args, const char *input)
{
	char cmd[4096], in[700];
	FILE *f;
	int st;

	snprintf(in, sizeof(in), "%s/check.in", tmp);
	f = fopen(in, "w");
	assert_non_null(f);
	fputs(input, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 '%s/%s' %s < '%s'", tools, script, args, in);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		fail_msg("command failed: %s", cmd);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_bin(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* <dir>/<pid>/comm and, when @cmd is not NULL, <dir>/<pid>/cmdline (@len bytes). */
static void mkproc(const char *dir, unsigned int pid, const char *comm, const char *cmd,
		   size_t len)
{
	char p[900];

	snprintf(p, sizeof(p), "%s/%u", dir, pid);
	sh("mkdir -p '%s'", p);
	snprintf(p, sizeof(p), "%s/%u/comm", dir, pid);
	put(p, comm);
	if (cmd) {
		snprintf(p, sizeof(p), "%s/%u/cmdline", dir, pid);
		put_bin(p, cmd, len);
	}
}

/* A copy of a fixture tree in the scratch area; returns its path. */
static const char *copy_tree(const char *name, const char *as)
{
	static char b[4][700];
	static int i;

	i = (i + 1) % 4;
	snprintf(b[i], sizeof(b[i]), "%s/%s", tmp, as);
	sh("rm -rf '%s' && cp -r '%s/%s' '%s' && chmod -R u+w '%s'", b[i], fix, name, b[i], b[i]);
	return b[i];
}

static int max_line(const char *s)
{
	int m = 0, l = 0;

	for (; *s; s++) {
		if (*s == '\n') {
			if (l > m)
				m = l;
			l = 0;
		} else {
			l++;
		}
	}
	return m;
}

/* ---- options ---- */

static void test_help_version(void **state)
{
	struct run r;
	char want[64];

	(void)state;
	RUN(&r, "--help");
	expect_run(&r, 0, "Exit status:", NULL);
	assert_non_null(strstr(r.out, "10 --expect policy violated"));
	assert_non_null(strstr(r.out, "11 --verify found differences"));
	assert_non_null(strstr(r.out, "12 --expect had no VFIO mapping to check"));
	assert_non_null(strstr(r.out, "-g, --guest NAME"));
	assert_non_null(strstr(r.out, "KVM maps a BAR at stage 2 only when the guest first"));
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	RUN(&r, "--version");
	snprintf(want, sizeof(want), "kvm-s2stat %s (debugfs format 3, JSON schema %d)",
		 KVM_S2STAT_VERSION, KVM_S2STAT_JSON_SCHEMA);
	expect_run(&r, 0, want, NULL);
	assert_int_equal(KVM_S2STAT_JSON_SCHEMA, 2);
	run_free(&r);
	RUN(&r, "-V");
	expect_run(&r, 0, want, NULL);
	run_free(&r);
}

static void test_usage_errors(void **state)
{
	static const struct {
		const char *a[5];
		const char *msg;
	} cases[] = {
		{ { "--bogus" }, "unknown option --bogus" },
		{ { "--bog=1" }, "unknown option --bog" },
		{ { "-x" }, "unknown option -x" },
		{ { "--verify", "-xD" }, "unknown option -x (see --help)" },
		{ { "--verify", "-Dx" }, "unknown option -x (see --help)" },
		{ { "--p", "1" }, "unknown option --p (see --help)" },	/* ambiguous */
		{ { "-p", "abc" }, "--pid 'abc': 'abc' is not a process id" },
		{ { "-p", "0" }, "'0' is not a process id" },
		{ { "-p", "-5" }, "--pid '-5'" },
		{ { "-p", "99999999999" }, "--pid '99999999999'" },
		{ { "-p", "" }, "--pid '': no process id given (is the VMM running?)" },
		{ { "-p", "12 x" }, "--pid '12 x': 'x' is not a process id" },
		{ { "--vm", "vm1" }, "--vm 'vm1': not a VM name <pid>-<fd>" },
		{ { "-g", "" }, "--guest '': give a guest name" },
		{ { "-b", "1:2" }, "--bdf '1:2': not a PCI address" },
		{ { "-b", "0000:00:20.0" }, "--bdf '0000:00:20.0'" },
		{ { "-b", "00:02.8" }, "--bdf '00:02.8'" },
		{ { "--expect", "write-back" }, "use nc, device, cacheable or wc" },
		{ { "-w", "0" }, "--watch '0'" },
		{ { "-w", "abc" }, "--watch" },
		{ { "-w", "nan" }, "--watch" },
		{ { "-n", "2" }, "--count needs --watch or --log" },
		{ { "-n", "0", "-w", "1" }, "--count '0'" },
		{ { "-w", "1", "-c", "3" }, "unexpected argument '3': -c is --csv (as in kvm_stat); "
		  "the number of samples is -n 3" },
		{ { "-w", "1", "--prometheus" }, "--watch and --log work with" },
		{ { "-w", "1", "--verify" }, "--watch and --log work with" },
		{ { "-l", "--expect", "nc" }, "--watch and --log work with" },
		{ { "-l", "--prometheus" }, "--log prints one line of totals per sample" },
		{ { "-l", "-D" }, "--log prints one line" },
		{ { "--prometheus", "-D" }, "drop -D/-m" },
		{ { "-c", "--prometheus" }, "--csv, --json and --prometheus exclude each other" },
		{ { "-c", "--expect", "nc" }, "--csv prints a table: run --expect" },
		{ { "-c", "-D", "-m" }, "--csv prints one table: choose -D or -m" },
		{ { "-c", "-w", "1" }, "use --log (-l)" },
		{ { "-H", "--prometheus" }, "-c, -H, -r and -W apply to the text views" },
		{ { "-o", "x", "-w", "1" }, "--output writes one sample" },
		{ { "-o", "" }, "--output '': give a file name" },
		{ { "extra" }, "unexpected argument 'extra'" },
		{ { "--debugfs" }, "needs an argument" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_v(&r, -1, cases[i].a);
		expect_run(&r, 2, NULL, cases[i].msg);
		assert_int_equal(r.out[0], '\0');
		assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));	/* one line */
		run_free(&r);
	}
}

/* With -j/--pretty anywhere, even in a cluster or as --json=..., errors are JSON. */
static void test_usage_errors_json(void **state)
{
	static const struct {
		const char *a[4];
		const char *out;
	} cases[] = {
		{ { "-j", "--bogus" }, "{\"error\":\"unknown option --bogus (see --help)\"}" },
		{ { "--json", "--prometheus" },
		  "{\"error\":\"--json and --prometheus exclude each other\"}" },
		{ { "--expect", "wb", "--pretty" }, "{\"error\":\"--expect 'wb'" },
		{ { "-jw0" }, "{\"error\":\"--watch '0': seconds between 0.1 and 86400\"}" },
		{ { "-jc", "0" }, "{\"error\":\"unexpected argument '0': -c is --csv" },
		{ { "-Dj", "-p", "x" }, "{\"error\":\"--pid 'x'" },
		{ { "--json=yes" }, "{\"error\":\"--json takes no value: '--json=yes' (see --help)\"}" },
		{ { "--pretty=1" }, "{\"error\":\"--pretty takes no value" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_v(&r, -1, cases[i].a);
		expect_run(&r, 2, cases[i].out, NULL);
		assert_int_equal(r.err[0], '\0');
		assert_int_equal(pipe_check("check_json.py", "error", r.out), 0);
		run_free(&r);
	}
}

/* ---- views ---- */

static void test_empty(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc);
	expect_run(&r, 0, "no VMs tracked by kvm_s2stat 0.1.0 (kernel 6.12.0-kvm)", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc, "-D");
	expect_run(&r, 0, "no device memory mapped", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc, "-j");
	expect_run(&r, 0, "\"vms\":[]", NULL);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	/* --expect with nothing to check: its own exit code, and why */
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc, "--expect", "nc");
	expect_run(&r, 12, "nothing to check: no VMs\n", "--expect NORMAL_NC: nothing to check: "
		   "no VMs (start one, or change -p/-g/--vm/--bdf/-z)\n");
	assert_null(strstr(r.out, "ok:"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc, "--expect", "nc", "-j");
	expect_run(&r, 12, "\"expect\":{\"attr\":\"NORMAL_NC\",\"result\":\"nothing_to_check\","
		   "\"ok\":false,\"checked_mappings\":0", NULL);
	assert_int_equal(r.err[0], '\0');
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
}

static void test_one_vm_612(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc);
	expect_run(&r, 0, "4242-11 4242 [qemu-system-aar]      0 32      0    16 128 KiB\n", NULL);
	assert_non_null(strstr(r.out, "VM       PID NAME              DEVICE NC NORMAL PAGES   "
				      "BYTES NOTES\n"));
	assert_non_null(strstr(r.out, "VFIO pages"));
	assert_non_null(strstr(r.out, "total        1 VM"));
	assert_null(strstr(r.out, "INEXACT"));
	assert_true(max_line(r.out) <= 80);
	assert_int_equal(r.err[0], '\0');
	run_free(&r);
}

static void test_one_vm_61(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc);
	expect_run(&r, 0, "4242-11 4242 [qemu-system-aar]     32  0      0    16 128 KiB\n", NULL);
	run_free(&r);
	/* no /proc entry for the pid: "?" */
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", "/nonexistent");
	expect_run(&r, 0, "4242-11 4242 ?    ", NULL);
	run_free(&r);
}

static void test_many_vms(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc);
	expect_run(&r, 0,
		   "VM       PID NAME              DEVICE   NC NORMAL PAGES   BYTES NOTES\n"
		   "1000-10 1000 db01                   0 1088      0     0 4.3 MiB\n"
		   "1000-12 1000 db01                   0    8      0     0  32 KiB INEXACT\n"
		   "2001-5  2001 [cloud-hyperviso]      0    4      0     0  16 KiB FAILED=2\n"
		   "4000-9  4000 android-07            16   16      0    16 128 KiB\n"
		   "total        4 VMs                 16 1116      0    16 4.4 MiB\n", NULL);
	assert_null(strstr(r.out, "3000-7"));	/* listed in summary, directory gone */
	assert_non_null(strstr(r.out, "INEXACT: events were dropped"));
	assert_non_null(strstr(r.out, "FAILED: device-memory map attempts"));
	/* the VM destroyed while being read is said, not dropped silently */
	assert_non_null(strstr(r.out, "1 VM destroyed while being read was skipped\n"));
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	/* --wide: COMM, DOMAIN and UUID columns */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-W");
	expect_run(&r, 0, "1000-10 1000 qemu-system-aar db01       a1b2c3d4-0000-4000-8000-"
		   "00000000db01      0 1088      0     0 4.3 MiB\n", NULL);
	assert_non_null(strstr(r.out, "2001-5  2001 cloud-hyperviso -          5d2f7c9e-1b3a-4c8d-"
				      "9e0f-a1b2c3d4e5f6      0    4"));
	assert_non_null(strstr(r.out, "4000-9  4000 crosvm          android-07 -                  "
				      "                      16   16"));
	assert_non_null(strstr(r.out, "VM       PID COMM            DOMAIN     UUID"));
	run_free(&r);
	/* -H: rows only; -r: exact bytes */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-H", "-r");
	expect_run(&r, 0, NULL, NULL);
	if (strncmp(r.out, "1000-10 1000 db01               0 1088 0  0 4456448\n"
			   "1000-12 1000 db01               0    8 0  0   32768 INEXACT\n", 112) ||
	    strstr(r.out, "total") || strstr(r.out, "VM ") || strstr(r.out, "INEXACT:") ||
	    strstr(r.out, "destroyed"))
		fail_msg("-H -r:\n%s", r.out);
	run_free(&r);
}

/* Names from the VMMs' command lines (tests/fixtures/proc/<pid>/cmdline) in every view. */
static void test_identity(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-D");
	expect_run(&r, 0, "BDF          BAR DRIVER   VM      DOMAIN     CLASS ATTR         PAGES"
		   "    SIZE\n", NULL);
	assert_non_null(strstr(r.out, "0000:01:00.0   2 vfio-pci 1000-10 db01       vfio  NORMAL_NC "
				      "    1024 4.0 MiB\n"));
	assert_non_null(strstr(r.out, "0000:03:00.0   0 vfio-pci 2001-5  -          vfio  NORMAL_NC "
				      "       4  16 KiB\n"));
	assert_non_null(strstr(r.out, "0000:04:00.0   0 vfio-pci 4000-9  android-07 vfio  "
				      "DEVICE_nGnRE    16  64 KiB\n"));
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-m", "-g", "db01");
	expect_run(&r, 0, "VM 1000-10 pid 1000 qemu-system-aar, domain db01, uuid a1b2c3d4-0000-"
		   "4000-8000-00000000db01: 2 ranges\n", NULL);
	assert_non_null(strstr(r.out, "VM 1000-12 pid 1000 qemu-system-aar, domain db01, uuid "
				      "a1b2c3d4-0000-4000-8000-00000000db01: 1 range (INEXACT)\n"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-j");
	expect_run(&r, 0, "\"vm\":\"1000-10\",\"pid\":1000,\"comm\":\"qemu-system-aar\",\"domain\":"
		   "\"db01\",\"uuid\":\"a1b2c3d4-0000-4000-8000-00000000db01\",\"vmm\":\"qemu\"", NULL);
	assert_non_null(strstr(r.out, "\"vm\":\"2001-5\",\"pid\":2001,\"comm\":\"cloud-hyperviso\","
				      "\"domain\":null,\"uuid\":\"5d2f7c9e-1b3a-4c8d-9e0f-a1b2c3d4e5f6"
				      "\",\"vmm\":\"cloud-hypervisor\""));
	assert_non_null(strstr(r.out, "\"vm\":\"4000-9\",\"pid\":4000,\"comm\":\"crosvm\",\"domain\":"
				      "\"android-07\",\"uuid\":null,\"vmm\":\"crosvm\""));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--prometheus");
	expect_run(&r, 0, "kvm_s2stat_vm_info{vm=\"1000-10\",pid=\"1000\",domain=\"db01\",uuid="
		   "\"a1b2c3d4-0000-4000-8000-00000000db01\",comm=\"qemu-system-aar\",vmm=\"qemu\","
		   "found=\"fault\"} 1\n", NULL);
	assert_non_null(strstr(r.out, "kvm_s2stat_device_mapped_bytes{vm=\"4000-9\",pid=\"4000\","
				      "domain=\"android-07\",uuid=\"\",bdf=\"0000:04:00.0\",bar=\"0\","
				      "driver=\"vfio-pci\",class=\"vfio\",attr=\"DEVICE_nGnRE\"} 65536\n"));
	run_free(&r);
	/* QEMU's comma escaping: -name grace,,gpu is "grace,gpu", everywhere.  cacheable-6.17 is
	 * real 7.3 output (scripts/grace-fixture.sh): nvgrace-gpu's emulated BARs, attributed
	 * from the VMA, BAR 2 NORMAL_NC (16 pages) and BAR 4 NORMAL (512). */
	RUN(&r, "--debugfs", fx("cacheable-6.17"), "--proc", proc);
	expect_run(&r, 0, "5151-9 5151 grace,gpu      0 16    512     0 2.1 MiB\n", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("cacheable-6.17"), "--proc", proc, "-c");
	expect_run(&r, 0, "5151-9,5151,qemu-kvm,\"grace,gpu\",f3a6d1c2-7b8e-4f90-a1b2-c3d4e5f60717,",
		   NULL);
	assert_int_equal(pipe_check("check_csv.py", "'vm=5151-9;domain=grace,gpu;vfio_nc_pages=16;"
				    "vfio_normal_pages=512;other_pages=0'", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("cacheable-6.17"), "--proc", proc, "--verify");
	expect_run(&r, 0, "5151-9 grace,gpu ok ", NULL);
	run_free(&r);
}

/* kvmtool and firecracker, and a VMM whose name is unknown, on generated /proc entries. */
static void test_identity_vmms(void **state)
{
	static const char lkvm[] = "/usr/bin/lkvm\0run\0-c\0" "2\0--name\0kt-guest\0-k\0Image";
	static const char fc[] = "firecracker\0--api-sock\0/run/fc.sock\0--id\0fc-7";
	static const char s2vmm[] = "/s2/bin/s2vmm\0--vms\0" "2\0ram:0:2M";
	char p2[700];
	struct run r;

	(void)state;
	snprintf(p2, sizeof(p2), "%s/proc-vmms", tmp);
	sh("rm -rf '%s'", p2);
	mkproc(p2, 1000, "lkvm\n", lkvm, sizeof(lkvm));
	mkproc(p2, 2001, "s2vmm\n", s2vmm, sizeof(s2vmm));
	mkproc(p2, 4000, "firecracker\n", fc, sizeof(fc) - 1);	/* no final NUL */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2);
	expect_run(&r, 0, "1000-10 1000 kt-guest ", NULL);
	assert_non_null(strstr(r.out, "2001-5  2001 [s2vmm] "));
	assert_non_null(strstr(r.out, "4000-9  4000 fc-7 "));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2, "-j");
	expect_run(&r, 0, "\"comm\":\"lkvm\",\"domain\":\"kt-guest\",\"uuid\":null,\"vmm\":\"kvmtool\"",
		   NULL);
	assert_non_null(strstr(r.out, "\"comm\":\"s2vmm\",\"domain\":null,\"uuid\":null,\"vmm\":null"));
	assert_non_null(strstr(r.out, "\"domain\":\"fc-7\",\"uuid\":null,\"vmm\":\"firecracker\""));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2, "-g", "fc-7");
	expect_run(&r, 0, "4000-9", NULL);
	assert_null(strstr(r.out, "1000-10"));
	run_free(&r);
}

/*
 * Hostile VMM command lines (any user with /dev/kvm can start one): control characters,
 * a Prometheus line in the name, quotes and backslashes, bidi overrides, a formula, a very
 * long name.  No output may carry a raw control byte or gain a line.
 */
static void test_hostile_names(void **state)
{
	static const char evil[] = "qemu-system-aarch64\0-name\0guest=x\"y\\z\x1b[2J\n"
				   "# TYPE kvm_s2stat_vms counter\nkvm_s2stat_vms 1e9\xe2\x80\xae"
				   "\xc2\x9b" "31m\0-uuid\0not-a-uuid";
	static const char formula[] = "crosvm\0run\0--name\0=HYPERLINK(\"http://x\")";
	char p2[700], longcmd[400], name64[80], name100[120];
	struct run r;
	size_t n;

	(void)state;
	snprintf(p2, sizeof(p2), "%s/proc-evil", tmp);
	sh("rm -rf '%s'", p2);
	mkproc(p2, 1000, "q\"e\\mu\x1b[31m\n", evil, sizeof(evil));
	mkproc(p2, 4000, "crosvm\n", formula, sizeof(formula));
	memset(name100, 'n', 100);
	name100[100] = '\0';
	n = (size_t)snprintf(longcmd, sizeof(longcmd), "qemu-system-aarch64%c-name%c%s", 0, 0,
			     name100) + 1;
	mkproc(p2, 2001, "qemu-system-aar\n", longcmd, n);

	/* text: printable ASCII only, the name cut to the column with '+' */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2);
	expect_run(&r, 0, "1000-10 1000 x\"y\\z?[2J?# TYPE+ ", NULL);
	for (const char *c = r.out; *c; c++)
		if (*c != '\n' && (*c < 0x20 || *c > 0x7e))
			fail_msg("byte 0x%02x in the table:\n%s", (unsigned char)*c, r.out);
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2, "-W", "-m", "-D");
	expect_run(&r, 0, "x\"y\\z?[2J?# TYPE kvm_s2stat_vms counter?kvm_s2stat_vms 1e9??31m",
		   NULL);
	for (const char *c = r.out; *c; c++)
		if (*c != '\n' && (*c < 0x20 || *c > 0x7e))
			fail_msg("byte 0x%02x in the wide views:\n%s", (unsigned char)*c, r.out);
	run_free(&r);
	/* JSON: valid, escaped; the bidi override is a '?' */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2, "-j", "-D", "-m");
	expect_run(&r, 0, "\"domain\":\"x\\\"y\\\\z?[2J?# TYPE kvm_s2stat_vms counter?kvm_s2stat_vms "
		   "1e9??31m\",\"uuid\":null", NULL);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	/* Prometheus: one kvm_s2stat_vms sample, one TYPE for it; promtool agrees */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2, "--prometheus");
	expect_run(&r, 0, "domain=\"x\\\"y\\\\z?[2J?# TYPE kvm_s2stat_vms counter?kvm_s2stat_vms "
		   "1e9??31m\"", NULL);
	assert_non_null(strstr(r.out, "comm=\"q\\\"e\\\\mu?[31m\""));
	assert_non_null(strstr(r.out, "\nkvm_s2stat_vms 4\n"));
	assert_null(strstr(r.out, "\nkvm_s2stat_vms 1e9"));
	assert_null(strstr(strstr(r.out, "\n# TYPE kvm_s2stat_vms gauge") + 1,
			   "\n# TYPE kvm_s2stat_vms "));
	assert_int_equal(pipe_check("check_prom.py", "", r.out), 0);
	run_free(&r);
	/* CSV: a name that starts like a formula is defused, and the file stays one record a VM */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2, "-c");
	expect_run(&r, 0, "4000-9,4000,crosvm,\"'=HYPERLINK(\"\"http://x\"\")\",,16,", NULL);
	assert_int_equal(pipe_check("check_csv.py", "'vm=4000-9;domain='\"'\"'=HYPERLINK(\"http://"
				    "x\")'", r.out), 0);
	run_free(&r);
	/* a 100-byte name is kept as its first 64 bytes; -g matches the full name and the cut one */
	memset(name64, 'n', 64);
	name64[64] = '\0';
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2, "-j", "-g", name100);
	expect_run(&r, 0, "\"vm\":\"2001-5\"", NULL);
	assert_non_null(strstr(r.out, name64));
	assert_null(strstr(r.out, name100));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", p2, "-g", name64, "-H");
	expect_run(&r, 0, "2001-5 2001 nnnnnnnnnnnnnnnn+ 0 4 0 0 16 KiB FAILED=2\n", NULL);
	run_free(&r);
}

static void test_filters(void **state)
{
	static const struct {
		const char *a[4];
		const char *in[3], *out;
	} cases[] = {
		{ { "-p", "1000" }, { "1000-10", "1000-12", "2 VMs" }, "2001-5" },
		{ { "-p", "1000 4000" }, { "1000-10", "4000-9", "3 VMs" }, "2001-5" },
		{ { "-p", "2001,4000\n" }, { "2001-5", "4000-9", "2 VMs" }, "1000-10" },
		{ { "-p", "1000", "-p", "2001" }, { "1000-12", "2001-5", "3 VMs" }, "4000-9" },
		{ { "--vm", "2001-5" }, { "2001-5", "1 VM", NULL }, "1000-10" },
		{ { "-g", "2001-5", "--pid", "4000" }, { "2001-5", "4000-9", "2 VMs" }, "1000-10" },
		/* the guest name: both VMs of the process */
		{ { "-g", "db01" }, { "1000-10", "1000-12", "2 VMs" }, "4000-9" },
		{ { "--guest", "android-07" }, { "4000-9", "1 VM", NULL }, "1000-10" },
		/* UUIDs, in any case */
		{ { "-g", "A1B2C3D4-0000-4000-8000-00000000DB01" }, { "1000-10", "2 VMs", NULL },
		  "2001-5" },
		{ { "-g", "5d2f7c9e-1b3a-4c8d-9e0f-a1b2c3d4e5f6" }, { "2001-5", "1 VM", NULL },
		  "1000-10" },
	};
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *a[10] = { "--debugfs", fx("many-vms"), "--proc", proc };
		int n = 4;

		for (int k = 0; k < 4 && cases[i].a[k]; k++)
			a[n++] = cases[i].a[k];
		run_v(&r, -1, a);
		expect_run(&r, 0, NULL, NULL);
		for (int k = 0; k < 3; k++)
			if (cases[i].in[k] && !strstr(r.out, cases[i].in[k]))
				fail_msg("%s %s: no '%s' in\n%s", cases[i].a[0], cases[i].a[1],
					 cases[i].in[k], r.out);
		if (strstr(r.out, cases[i].out))
			fail_msg("%s %s: '%s' in\n%s", cases[i].a[0], cases[i].a[1], cases[i].out,
				 r.out);
		run_free(&r);
	}
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-p", "9999");
	expect_run(&r, 1, NULL, "no VM matches the -p/-g/--vm selection");
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-g", "nosuch");
	expect_run(&r, 1, NULL, "no VM matches the -p/-g/--vm selection: run kvm-s2stat without "
		   "them to list the VMs (and their guest names)");
	run_free(&r);
	/* selected but vanished: not an error */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--vm", "3000-7");
	expect_run(&r, 0, "0 VMs", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-p", "1000", "-j");
	expect_run(&r, 0, "\"vm\":\"1000-12\"", NULL);
	assert_null(strstr(r.out, "\"vm\":\"4000-9\""));
	run_free(&r);
	/* -z: VMs without device memory (and no failed map) are left out, and said so */
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "-z");
	expect_run(&r, 0, "1 VM without device memory mapped not shown (-z)\n", NULL);
	assert_null(strstr(r.out, "4300-3"));
	assert_non_null(strstr(r.out, "4242-11"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "-z", "-j");
	expect_run(&r, 0, "\"vms_listed\":2,\"vms_vanished\":0,\"vms_skipped_zero\":1,", NULL);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-z");	/* 2001-5 has failed maps */
	expect_run(&r, 0, "2001-5", NULL);
	assert_null(strstr(r.out, "-z)"));
	run_free(&r);
}

/* --bdf: "which VM has my GPU?" */
static void test_bdf(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-b", "04:00.0");
	expect_run(&r, 0, "4000-9 4000 android-07     16 16      0    16 128 KiB\n", NULL);
	assert_non_null(strstr(r.out, "1 VM"));
	assert_null(strstr(r.out, "1000-10"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--bdf", "0000:04:00.0", "-D");
	expect_run(&r, 0, "0000:04:00.0   0 vfio-pci 4000-9 android-07 vfio  DEVICE_nGnRE    16 64 KiB\n",
		   NULL);
	assert_null(strstr(r.out, "other"));	/* the VM's other memory is left out */
	assert_null(strstr(r.out, "0000:01:00.0"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-b", "01:00.0", "-b", "0000:03:00.0",
	    "-j", "-D", "-m");
	expect_run(&r, 0, "\"bdf_filter\":[\"0000:01:00.0\",\"0000:03:00.0\"]", NULL);
	assert_null(strstr(r.out, "0000:04:00.0"));
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-b", "04:00.0", "--expect", "nc");
	expect_run(&r, 10, "4000-9 android-07 0000:04:00.0", "1 of 2 VFIO mappings");
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-b", "01:00.0", "--expect", "nc");
	expect_run(&r, 0, "ok: all 2 VFIO mappings (1088 pages) in 1 VM are NORMAL_NC", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-b", "04:00.0", "--prometheus");
	expect_run(&r, 0, "kvm_s2stat_vms 1\n", NULL);
	assert_null(strstr(r.out, "bdf=\"\",bar=\"\",driver=\"\",class=\"other\""));
	assert_int_equal(pipe_check("check_prom.py", "", r.out), 0);
	run_free(&r);
	/* nothing maps it: an error that says why a BAR may not be mapped yet */
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-b", "0000:09:00.0");
	expect_run(&r, 1, NULL, "no VM maps memory of 0000:09:00.0 at stage 2: KVM maps a BAR only "
		   "when the guest first touches it");
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-b", "09:00.0", "-j");
	expect_run(&r, 1, "{\"error\":\"no VM maps memory of 0000:09:00.0", NULL);
	run_free(&r);
}

static void test_devices(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-D");
	expect_run(&r, 0, "0000:01:00.0   0 vfio-pci 1000-10 db01       vfio  NORMAL_NC       64 "
		   "256 KiB\n", NULL);
	assert_non_null(strstr(r.out, "0000:04:00.0   0 vfio-pci 4000-9  android-07 vfio  "
				      "NORMAL_NC       16  64 KiB\n"));
	assert_non_null(strstr(r.out, "-              - -        4000-9  android-07 other "
				      "DEVICE_nGnRE    16  64 KiB\n"));
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	/* two ranges of one BAR add up */
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-D");
	expect_run(&r, 0, "0000:00:02.0   2 vfio-pci 4242-11 -      vfio  NORMAL_NC       32 128 KiB",
		   NULL);
	run_free(&r);
	/* -d is kvm_stat's "read debugfs": accepted, the default view */
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-d");
	expect_run(&r, 0, "4242-11 4242 [qemu-system-aar]", NULL);
	assert_null(strstr(r.out, "BDF"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-D", "-j");
	expect_run(&r, 0, "\"devices\":[", NULL);
	assert_non_null(strstr(r.out, "\"vm\":\"4000-9\",\"pid\":4000,\"domain\":\"android-07\","
				      "\"uuid\":null,\"class\":\"vfio\",\"attr\":\"DEVICE_nGnRE\""));
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-D", "-c");
	expect_run(&r, 0, "bdf,bar,driver,vm,pid,domain,uuid,class,attr,pages,bytes,reason\n", NULL);
	assert_non_null(strstr(r.out, "\n,,,4000-9,4000,android-07,,other,DEVICE_nGnRE,16,65536,\n"));
	assert_int_equal(pipe_check("check_csv.py", "'vm=1000-10;bar=2;pages=1024;bytes=4194304'",
				    r.out), 0);
	run_free(&r);
}

static void test_mappings_view(void **state)
{
	const char *line;
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-m");
	expect_run(&r, 0, "VM 4242-11 pid 4242 qemu-system-aar: 3 ranges", NULL);
	assert_non_null(strstr(r.out, "0x0000000010000000 0x0000000010010000 0x0000008000000000    16"
				      "   3 NORMAL_NC    rw-  vfio  0000:00:02.0   2 vfio-pci"));
	assert_non_null(strstr(r.out, "r--"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-m", "-g", "1000-12");
	expect_run(&r, 0, "1 range (INEXACT)", NULL);
	run_free(&r);
	/* addresses always 16 digits; the same columns for every VM */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-m");
	expect_run(&r, 0, NULL, NULL);
	line = strstr(r.out, "IPA_START");
	assert_non_null(line);
	for (const char *h = line; (h = strstr(h + 1, "IPA_START")); ) {
		if (strncmp(h, line, (size_t)(strchr(line, '\n') - line)))
			fail_msg("header lines differ from one VM to the next:\n%s", r.out);
	}
	assert_null(strstr(r.out, "0x10000000 "));
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-m", "--pretty");
	expect_run(&r, 0, "\"mappings\": [", NULL);
	assert_non_null(strstr(r.out, "\"ipa_start\": \"0x0000000010000000\""));
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-m", "-c");
	expect_run(&r, 0, "vm,pid,domain,ipa_start,ipa_end,pa_start,pa_end,pages,level,attr,memattr,"
		   "perm,class,bdf,bar,driver,via,reason\n", NULL);
	assert_int_equal(pipe_check("check_csv.py", "'vm=1000-10;domain=db01;pages=1024;level=2;"
				    "ipa_start=0x0000000020000000'", r.out), 0);
	run_free(&r);
}

static const char *const all_fixtures[] = { "empty", "one-vm-6.12", "one-vm-6.1",
					    "cacheable-6.17", "many-vms", "verify-differ" };

static void test_json_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_fixtures) / sizeof(all_fixtures[0]); i++) {
		static const char *const variants[][6] = {
			{ "-j", NULL },
			{ "--pretty", NULL },
			{ "-j", "-D", "-m", NULL },
			{ "--pretty", "-D", "-m", "--verify", NULL },
		};

		for (size_t v = 0; v < 4; v++) {
			const char *a[12] = { "--debugfs", fx(all_fixtures[i]), "--proc", proc };
			struct run r;
			int n = 4;

			for (int k = 0; variants[v][k]; k++)
				a[n++] = variants[v][k];
			run_v(&r, -1, a);
			if (r.code != 0 && r.code != 11)
				fail_msg("%s: exit %d: %s", all_fixtures[i], r.code, r.err);
			if (pipe_check("check_json.py", "doc --consistent", r.out))
				fail_msg("%s variant %zu: invalid JSON:\n%s", all_fixtures[i], v, r.out);
			run_free(&r);
		}
	}
}

static void test_json_values(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-j");
	expect_run(&r, 0, "\"schema_version\":2,\"kvm_s2stat_version\":\"" KVM_S2STAT_VERSION "\"",
		   NULL);
	assert_non_null(strstr(r.out, "\"vms_listed\":5,\"vms_vanished\":1,\"vms_skipped_zero\":0,"));
	assert_non_null(strstr(r.out, "\"vm\":\"1000-12\",\"pid\":1000,\"comm\":\"qemu-system-aar\","
				      "\"domain\":\"db01\",\"uuid\":\"a1b2c3d4-0000-4000-8000-"
				      "00000000db01\",\"vmm\":\"qemu\",\"state\":\"inexact\","
				      "\"exact\":false,\"found\":\"load\""));
	assert_non_null(strstr(r.out, "\"failed\":{\"DEVICE_nGnRE\":0,\"NORMAL_NC\":2,\"NORMAL\":0}"));
	assert_non_null(strstr(r.out, "\"totals\":{\"vms\":4,\"inexact_vms\":1,\"vfio_pages\":"
				      "{\"DEVICE_nGnRE\":16,\"NORMAL_NC\":1116,\"NORMAL\":0}"));
	assert_null(strchr(r.out, '\n') + 1 == NULL ? NULL : strchr(strchr(r.out, '\n') + 1, '\n'));
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", "/nonexistent", "-j");
	expect_run(&r, 0, "\"comm\":null", NULL);
	run_free(&r);
}

/* Each fixture through check_prom.py (and promtool check metrics), then the alert rules with
 * promtool test rules: KvmS2statVfioBarNotNormalNC fires for exactly these BARs. */
static void test_prometheus_fixtures(void **state)
{
	static const char *const alerts[] = {
		[0] = "",					/* empty */
		[1] = "",					/* one-vm-6.12: NORMAL_NC */
		[2] = "4242-11,0000:00:02.0,2,DEVICE_nGnRE",	/* one-vm-6.1 */
		[3] = "",					/* cacheable-6.17: NC and NORMAL */
		[4] = "4000-9,0000:04:00.0,0,DEVICE_nGnRE",	/* many-vms */
		[5] = "",					/* verify-differ */
	};
	char args[1200];

	(void)state;
	for (size_t i = 0; i < sizeof(all_fixtures) / sizeof(all_fixtures[0]); i++) {
		struct run r;

		RUN(&r, "--debugfs", fx(all_fixtures[i]), "--proc", proc, "--prometheus");
		expect_run(&r, 0, "# TYPE kvm_s2stat_vm_mapped_bytes gauge", NULL);
		if (pipe_check("check_prom.py", "", r.out))
			fail_msg("%s: invalid exposition:\n%s", all_fixtures[i], r.out);
		snprintf(args, sizeof(args), "'%s' %s", rules, alerts[i]);
		if (pipe_check("check_rules.py", args, r.out))
			fail_msg("%s: the alert rules do not fire as expected", all_fixtures[i]);
		run_free(&r);
	}
}

static void test_prometheus_values(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--prometheus");
	expect_run(&r, 0, "kvm_s2stat_vm_mapped_bytes{vm=\"1000-10\",pid=\"1000\",domain=\"db01\","
		   "uuid=\"a1b2c3d4-0000-4000-8000-00000000db01\",class=\"vfio\",attr=\"NORMAL_NC\"} "
		   "4456448\n", NULL);
	assert_non_null(strstr(r.out, "kvm_s2stat_device_mapped_bytes{vm=\"4000-9\",pid=\"4000\","
				      "domain=\"android-07\",uuid=\"\",bdf=\"\",bar=\"\",driver=\"\","
				      "class=\"other\",attr=\"DEVICE_nGnRE\"} 65536\n"));
	assert_non_null(strstr(r.out, "kvm_s2stat_vm_exact{vm=\"1000-12\",pid=\"1000\",domain="
				      "\"db01\",uuid=\"a1b2c3d4-0000-4000-8000-00000000db01\"} 0\n"));
	assert_non_null(strstr(r.out, "kvm_s2stat_vm_failed_maps_total{vm=\"2001-5\",pid=\"2001\","
				      "domain=\"\",uuid=\"5d2f7c9e-1b3a-4c8d-9e0f-a1b2c3d4e5f6\","
				      "attr=\"NORMAL_NC\"} 2\n"));
	assert_non_null(strstr(r.out, "# TYPE kvm_s2stat_vm_failed_maps_total counter\n"));
	assert_non_null(strstr(r.out, "# TYPE kvm_s2stat_vm_drops_total counter\n"));
	assert_non_null(strstr(r.out, "kvm_s2stat_vm_drops_total{vm=\"1000-12\",pid=\"1000\",domain="
				      "\"db01\",uuid=\"a1b2c3d4-0000-4000-8000-00000000db01\"} 3\n"));
	assert_non_null(strstr(r.out, "# TYPE kvm_s2stat_module_probe_map_total counter\n"
				      "kvm_s2stat_module_probe_map_total 1000\n"));
	assert_non_null(strstr(r.out, "# TYPE kvm_s2stat_module_held_bytes gauge\n"
				      "kvm_s2stat_module_held_bytes 8864\n"));
	assert_non_null(strstr(r.out, "kvm_s2stat_module_walk_max_lock_hold_seconds 0.000037\n"));
	assert_non_null(strstr(r.out, "kvm_s2stat_vms 4\n"));
	/* no generic HELP shared by several metrics, no page-unit series left */
	assert_null(strstr(r.out, "module counter (see"));
	assert_null(strstr(r.out, "_pages{"));
	assert_null(strstr(r.out, "bytes_held"));
	run_free(&r);
}

/* ---- checks ---- */

static void test_expect(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "--expect", "nc");
	expect_run(&r, 0, "ok: all 2 VFIO mappings (32 pages) in 1 VM are NORMAL_NC", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "--expect", "nc");
	expect_run(&r, 10, "4242-11 -      0000:00:02.0   2 0x0000000010000000 0x0000000010020000 "
		   "DEVICE_nGnRE    32", "--expect: 1 of 1 VFIO mappings (32 pages) in 1 VM are not "
		   "NORMAL_NC");
	assert_non_null(strstr(r.out, "VM      DOMAIN BDF          BAR IPA_START          IPA_END"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "--expect", "device");
	expect_run(&r, 0, "are DEVICE_nGnRE", NULL);
	run_free(&r);
	/* Grace: BAR 4 (usemem) is NORMAL; BAR 2 (resmem, uncached by design) is not. */
	RUN(&r, "--debugfs", fx("cacheable-6.17"), "--proc", proc, "--expect", "cacheable");
	expect_run(&r, 10, "5151-9 grace,gpu 0000:00:06.0   2 0x0000000010000000 0x0000000010010000 "
		   "NORMAL_NC    16", "--expect: 1 of 2 VFIO mappings (16 pages) in 1 VM are not NORMAL");
	assert_null(strstr(r.out, "0x0000000020000000"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--expect", "nc");
	expect_run(&r, 10, "4000-9 android-07 0000:04:00.0   0 0x0000000010000000",
		   "1 of 6 VFIO mappings");
	assert_non_null(strstr(r.out, "note: VM 1000-12 is INEXACT"));
	assert_null(strstr(r.out, "0x000000002c000000"));	/* class other is not checked */
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--expect", "nc", "-p", "1000");
	expect_run(&r, 0, "ok: all 3 VFIO mappings", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--expect", "nc", "-j");
	expect_run(&r, 10, "\"expect\":{\"attr\":\"NORMAL_NC\",\"result\":\"violated\",\"ok\":false",
		   NULL);
	assert_non_null(strstr(r.out, "\"violations\":[{\"vm\":\"4000-9\",\"pid\":4000,\"domain\":"
				      "\"android-07\",\"uuid\":null,\"bdf\":\"0000:04:00.0\""));
	assert_int_equal(r.err[0], '\0');
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	/* with a view */
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "--expect", "nc", "-D");
	expect_run(&r, 10, "BDF ", NULL);
	run_free(&r);
	/* a VM that has not touched its BARs: nothing to check is not a pass (exit 12) */
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "--expect", "nc", "--vm", "4300-3");
	expect_run(&r, 12, "nothing to check: no VFIO memory is mapped at stage 2 in the 1 selected "
		   "VM\n(KVM maps a BAR only when the guest first touches it", "--expect NORMAL_NC: "
		   "nothing to check: no VFIO memory mapped in the 1 selected VM (KVM maps a BAR at "
		   "stage 2 only when the guest first touches it");
	assert_null(strstr(r.out, "ok:"));
	assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));	/* one line */
	run_free(&r);
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "--expect", "nc", "--vm", "4300-3",
	    "--pretty");
	expect_run(&r, 12, "\"result\": \"nothing_to_check\",\n    \"ok\": false", NULL);
	assert_int_equal(r.err[0], '\0');
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	/* --verify's code wins over 12 too */
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "--verify", "--expect", "nc",
	    "--vm", "4242-11");
	expect_run(&r, 11, NULL, NULL);
	run_free(&r);
}

/* -E and --expect wc: the effective file of each fixture VM, and generated variants. */
static void test_effective(void **state)
{
	char path[900];
	const char *t;
	struct run r;

	(void)state;
	/* 6.12: write-combining works (ioremap stays Device). */
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-E");
	expect_run(&r, 0, "VM       PID NAME              DEVICE NC NORMAL PAGES   BYTES EFFECTIVE",
		   NULL);
	assert_non_null(strstr(r.out, "128 KiB NC+DEVICE\n"));
	assert_non_null(strstr(r.out, "EFFECTIVE: the guest's own VFIO mappings"));
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-E", "-D");
	expect_run(&r, 0, "0000:00:02.0   2 vfio-pci 4242-11 -      vfio  NORMAL_NC       32 128 KiB "
		   "NC+DEVICE\n", NULL);
	assert_non_null(strstr(r.out, "0000:00:04.0   0 -        4242-11 -      other DEVICE_nGnRE"
				      "    16  64 KiB -\n"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-E", "-m");
	expect_run(&r, 0, "VM 4242-11 pid 4242 qemu-system-aar: effective ok; kernel half ok, user "
		   "half ok (best effort: 1 root, 0 stale, seen 3 ms ago); 4 guest mappings", NULL);
	assert_non_null(strstr(r.out, "user   u0   0x0000ffffa9500000 0x0000000010010000 64 KiB "
				      "NORMAL_NC    NORMAL_NC mapped   NORMAL_NC"));
	assert_non_null(strstr(r.out, "pending"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-E", "-c");
	expect_run(&r, 0, ",effective,", NULL);
	assert_non_null(strstr(r.out, ",NORMAL_NC+DEVICE_nGnRE,"));
	assert_int_equal(pipe_check("check_csv.py", "", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-E", "-m", "-c");
	expect_run(&r, 0, "vm,pid,domain,half,root,va_start,va_end,ipa_start,bytes,s1,mair,s2,"
		   "memattr,stage2,effective,class,bdf,bar\n", NULL);
	assert_int_equal(pipe_check("check_csv.py", "", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-E", "-m", "-D", "-j");
	expect_run(&r, 0, "\"effective\":{\"result\":\"ok\",\"reason\":null,\"kernel_half\":\"ok\","
		   "\"user_half\":\"ok\",\"vfio_types\":[\"DEVICE_nGnRE\",\"NORMAL_NC\"]", NULL);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-E", "--prometheus");
	expect_run(&r, 0, "kvm_s2stat_guest_mapped_bytes{vm=\"4242-11\",pid=\"4242\",domain=\"\","
		   "uuid=\"\",half=\"user\",bdf=\"0000:00:02.0\",bar=\"2\",class=\"vfio\","
		   "s1=\"NORMAL_NC\",stage2=\"mapped\",s2=\"NORMAL_NC\",effective=\"NORMAL_NC\"} 65536\n",
		   NULL);
	assert_non_null(strstr(r.out, "kvm_s2stat_vm_effective_info{vm=\"4242-11\",pid=\"4242\","
				      "domain=\"\",uuid=\"\",result=\"ok\",kernel_half=\"ok\","
				      "user_half=\"ok\"} 1\n"));
	assert_int_equal(pipe_check("check_prom.py", "", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "--expect", "wc");
	expect_run(&r, 0, "ok: all 3 write-combining guest mappings of VFIO memory (192 KiB) in 1 VM "
		   "are effectively NORMAL_NC\n", NULL);
	run_free(&r);
	/* 6.1: stage 2 Device: every write-combining mapping is an offender. */
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "--expect", "wc");
	expect_run(&r, 10, "4242-11 -      user   0x0000ffffa9500000 0x0000ffffa9510000 0000:00:02.0"
		   "   2 NORMAL_NC DEVICE_nGnRE mapped   DEVICE_nGnRE 64 KiB\n",
		   "--expect wc: 3 of 3 write-combining guest mappings in 1 VM are not effectively "
		   "NORMAL_NC");
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "--expect", "wc", "-j");
	expect_run(&r, 10, "\"expect\":{\"attr\":\"wc\",\"result\":\"violated\",\"ok\":false", NULL);
	assert_int_equal(r.err[0], '\0');
	assert_int_equal(pipe_check("check_json.py", "doc", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "-E");
	expect_run(&r, 0, "128 KiB DEVICE\n", NULL);
	run_free(&r);
	/* A module without effective files: n/a, nothing to check. */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-E");
	expect_run(&r, 0, " n/a", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--expect", "wc");
	expect_run(&r, 12, "nothing to check: no guest mapping of VFIO memory for write-combining",
		   "--expect wc: nothing to check");
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-E", "-j");
	expect_run(&r, 0, "\"effective\":null", NULL);
	assert_int_equal(pipe_check("check_json.py", "doc", r.out), 0);
	run_free(&r);
	/* Partial: no violation seen, but not everything was read: 13. */
	t = copy_tree("one-vm-6.12", "eff-partial");
	snprintf(path, sizeof(path), "%s/kvm_s2stat/4242-11/effective", t);
	sh("sed -i 's/^result ok$/result partial/; s/^kernel_half ok$/kernel_half partial/' '%s'",
	   path);
	RUN(&r, "--debugfs", t, "--proc", proc, "--expect", "wc");
	expect_run(&r, 13, "incomplete: all 3 write-combining", "could not be read whole");
	assert_non_null(strstr(r.out, "note: VM 4242-11: its guest's page tables were read in part"));
	run_free(&r);
	RUN(&r, "--debugfs", t, "--proc", proc, "-E");
	expect_run(&r, 0, "NC+DEVICE*\n", NULL);
	assert_non_null(strstr(r.out, "*: the guest's page tables were read in part"));
	run_free(&r);
	/* Unavailable: "?" and the reason. */
	put(path, "format 1\nresult unavailable\nreason mmu-off\n");
	RUN(&r, "--debugfs", t, "--proc", proc, "-E", "-m");
	expect_run(&r, 0, ": effective unavailable (mmu-off)\n", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", t, "--proc", proc, "-E");
	expect_run(&r, 0, "128 KiB ?\n", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", t, "--proc", proc, "--expect", "wc");
	expect_run(&r, 12, "note: VM 4242-11: its guest's mappings could not be read (mmu-off)", NULL);
	run_free(&r);
	/* Malformed: exit 8 with file:line. */
	put(path, "format 1\nresult ok\nkernel_half ok\nuser_half ok\nfwb 1\nrows 1\n"
	    "rows_dropped 0\n");
	RUN(&r, "--debugfs", t, "--proc", proc, "-E");
	expect_run(&r, 8, NULL, "effective:8: missing column header");
	run_free(&r);
	/* Not read unless asked: the malformed file does not matter without -E. */
	RUN(&r, "--debugfs", t, "--proc", proc);
	expect_run(&r, 0, NULL, NULL);
	run_free(&r);
	/* Usage. */
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "--expect", "wc", "--expect", "nc");
	expect_run(&r, 2, NULL, "--expect wc checks the guests' mappings");
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-E", "-l");
	expect_run(&r, 2, NULL, "--log prints totals: drop -E");
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "--expect", "wc", "-c");
	expect_run(&r, 2, NULL, "--csv prints a table");
	run_free(&r);
}

static void test_verify(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "--verify");
	expect_run(&r, 0, "VM      NAME              RESULT      DIFFERENCES TABLE_PAGES "
		   "TRACKED_PAGES\n4242-11 [qemu-system-aar] ok                    0          48"
		   "            48\n", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "--verify");
	expect_run(&r, 11, "4242-11 [qemu-system-aar] differ                2          48"
		   "            32\n", "--verify: 2 differences in 1 of 2 VMs");
	assert_non_null(strstr(r.out, "  missing 0x0000000010010000-0x0000000010020000 "
				      "table=NORMAL_NC,0x0000008000010000,rw-,3,0x5 tracked=-"));
	assert_non_null(strstr(r.out, "  mismatch 0x0000000010000000-0x0000000010010000 "
				      "table=DEVICE_nGnRE,0x0000008000000000,rw-,3,0x1 "
				      "tracked=NORMAL_NC,0x0000008000000000,rw-,3,0x5"));
	assert_non_null(strstr(r.out, "4300-3  ?                 unavailable           0           -"
				      "             -\n"));
	assert_non_null(strstr(r.err, "1 VM had no stage-2 table"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "--verify", "--vm", "4300-3");
	expect_run(&r, 0, "unavailable", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "--verify", "-j");
	expect_run(&r, 11, "\"verify\":{\"ok\":false,\"vms\":2,\"differ_vms\":1", NULL);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	/* both checks fail: --verify's code wins */
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "--verify", "--expect", "device");
	expect_run(&r, 11, NULL, NULL);
	run_free(&r);
}

/* ---- environment errors ---- */

static void test_env_errors(void **state)
{
	char plain[700], p2[700], mounts[2000], real[4096], dead[700];
	struct run r;

	(void)state;
	snprintf(plain, sizeof(plain), "%s/plain", tmp);
	snprintf(p2, sizeof(p2), "%s/proc-env", tmp);
	sh("rm -rf '%s' '%s' && mkdir -p '%s/other' '%s/self'", plain, p2, plain, p2);

	/* a plain directory: not a debugfs mount */
	RUN(&r, "--debugfs", plain, "--proc", p2);
	expect_run(&r, 4, NULL, "debugfs is not mounted on");
	assert_non_null(strstr(r.err, "mount -t debugfs none"));
	run_free(&r);
	RUN(&r, "--debugfs", "/nonexistent/debug", "--proc", p2, "-j");
	expect_run(&r, 4, "{\"error\":\"debugfs is not mounted", NULL);
	assert_int_equal(pipe_check("check_json.py", "error", r.out), 0);
	run_free(&r);

	/* the same directory listed as a debugfs mount: module not loaded */
	assert_non_null(realpath(plain, real));
	snprintf(mounts, sizeof(mounts), "%s/self/mounts", p2);
	{
		char text[4200];

		snprintf(text, sizeof(text), "proc /proc proc rw 0 0\nnone %s debugfs rw 0 0\n", real);
		put(mounts, text);
	}
	RUN(&r, "--debugfs", plain, "--proc", p2);
	expect_run(&r, 3, NULL, "kvm_s2stat module not loaded");
	assert_non_null(strstr(r.err, "load it: modprobe kvm_s2stat"));
	run_free(&r);
	RUN(&r, "--debugfs", plain, "--proc", p2, "--pretty");
	expect_run(&r, 3, "{\"error\":\"kvm_s2stat module not loaded", NULL);
	run_free(&r);

	/* debugfs switched off */
	snprintf(dead, sizeof(dead), "%s/cmdline", p2);
	put(dead, "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 debugfs=off\n");
	RUN(&r, "--debugfs", "/nonexistent/debug", "--proc", p2);
	expect_run(&r, 5, NULL, "debugfs is disabled: debugfs=off");
	run_free(&r);

	/* --debugfs given the module's own directory: say which directory to give */
	RUN(&r, "--debugfs", fx("one-vm-6.12/kvm_s2stat/"), "--proc", p2);
	expect_run(&r, 2, NULL, "kvm_s2stat directory itself: give the directory that holds it "
		   "(--debugfs ");
	assert_non_null(strstr(r.err, "one-vm-6.12)\n"));
	assert_null(strstr(r.err, "mount -t debugfs"));
	run_free(&r);

	/* the kvm_s2stat name exists but is a file */
	sh("touch '%s/kvm_s2stat'", plain);
	RUN(&r, "--debugfs", plain, "--proc", p2);
	expect_run(&r, 1, NULL, "is not a directory");
	run_free(&r);
}

static void test_format_version(void **state)
{
	struct run r;
	const char *t;
	char p[800];

	(void)state;
	t = copy_tree("one-vm-6.12", "fmt2");
	snprintf(p, sizeof(p), "%s/kvm_s2stat/version", t);
	put(p, "kvm_s2stat 0.9.0 format 4\n");
	RUN(&r, "--debugfs", t, "--proc", proc);
	expect_run(&r, 7, NULL, "module 0.9.0 writes format 4, but kvm-s2stat " KVM_S2STAT_VERSION
		   " reads formats 1 to 3 only");
	run_free(&r);
	RUN(&r, "--debugfs", t, "--proc", proc, "-j");
	expect_run(&r, 7, "{\"error\":", NULL);
	run_free(&r);

	t = copy_tree("one-vm-6.12", "fmt3");
	snprintf(p, sizeof(p), "%s/kvm_s2stat/4242-11/mappings", t);
	put(p, "format 4\nwhatever comes next\n");
	RUN(&r, "--debugfs", t, "--proc", proc, "-D");
	expect_run(&r, 7, NULL, "kvm_s2stat/4242-11/mappings:1: format 4, but");
	run_free(&r);
}

/* Malformed files through the CLI: exit 8, "<path>:<line>:" in the message. */
static void test_malformed_cli(void **state)
{
	static const struct {
		const char *file, *text, *opt, *where;
	} cases[] = {
		{ "version", "", NULL, "kvm_s2stat/version: empty file" },
		{ "stats", "format 1\npage_size 4097\n", NULL, "kvm_s2stat/stats:2: page_size" },
		{ "summary", "format 1\nvm pid\n", NULL, "kvm_s2stat/summary:2: column header" },
		{ "summary", "format 1\nvm pid state vfio_device vfio_nc vfio_normal other_device "
		  "other_nc other_normal failed drops\n4242-11 4242 exact 0 32 0 16 0 0 0\n", NULL,
		  "kvm_s2stat/summary:3: 10 columns" },
		{ "4242-11/status", "format 1\nvm 4242-11\npid 4242\nstate gone\n", NULL,
		  "kvm_s2stat/4242-11/status:4: state" },
		{ "4242-11/status", "format 1\nvm 4242-12\npid 4242\nstate exact\nfound fault\n"
		  "vfio_device_pages 0\nvfio_nc_pages 32\nvfio_normal_pages 0\nother_device_pages 16\n"
		  "other_nc_pages 0\nother_normal_pages 0\nvfio_bytes 131072\nother_bytes 65536\n"
		  "ranges 3\npage_leaves 48\nblock_leaves 0\nfailed_device 0\nfailed_nc 0\n"
		  "failed_normal 0\ndrops 0\nresyncs 0\n", NULL,
		  "kvm_s2stat/4242-11/status: vm 4242-12 in the directory of vm 4242-11" },
		{ "4242-11/mappings", "format 1\nipa_start ipa_end pa_start pa_end pages level attr "
		  "memattr perm class bdf bar driver\n0x0000000010000000 0x0000000010010000 "
		  "0x0000008000000000 0x0000008000010000 16 3 NORMAL_NC 0x5 rw- vfio 0000:00:02.0 9 "
		  "vfio-pci\n", "-D", "kvm_s2stat/4242-11/mappings:3: bar '9'" },
		{ "4242-11/mappings", "format 1\nipa_start ipa_end pa_start pa_end pages level attr "
		  "memattr perm class bdf bar driver\n0x0000000010000000 0x0000000010010000 "
		  "0x0000008000000000 0x0000008000010000 16 3 NORMAL_NC 0x5 rw- vfio 0000:00:02.0 2 "
		  "vfio-pci", "--prometheus", "kvm_s2stat/4242-11/mappings:3: last line has no newline" },
		{ "4242-11/verify", "format 1\nresult maybe\ndifferences 0\n", "--verify",
		  "kvm_s2stat/4242-11/verify:2: result" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = copy_tree("one-vm-6.12", "malformed");
		char p[900];
		struct run r;

		snprintf(p, sizeof(p), "%s/kvm_s2stat/%s", t, cases[i].file);
		put(p, cases[i].text);
		if (cases[i].opt)
			RUN(&r, "--debugfs", t, "--proc", proc, cases[i].opt);
		else
			RUN(&r, "--debugfs", t, "--proc", proc);
		expect_run(&r, 8, NULL, cases[i].where);
		assert_non_null(strstr(r.err, "report it"));
		assert_null(strchr(r.err, '\n') + 1 == NULL ? NULL : strchr(strchr(r.err, '\n') + 1,
									    '\n'));
		run_free(&r);
		if (cases[i].opt && !strcmp(cases[i].opt, "--prometheus"))
			RUN(&r, "--debugfs", t, "--proc", proc, "-D", "-j");
		else if (cases[i].opt)
			RUN(&r, "--debugfs", t, "--proc", proc, cases[i].opt, "-j");
		else
			RUN(&r, "--debugfs", t, "--proc", proc, "-j");
		expect_run(&r, 8, cases[i].where, NULL);
		assert_int_equal(pipe_check("check_json.py", "error", r.out), 0);
		run_free(&r);
	}
	/* a file missing from the root */
	{
		const char *t = copy_tree("one-vm-6.12", "malformed");

		sh("rm '%s/kvm_s2stat/stats'", t);
		{
			struct run r;

			RUN(&r, "--debugfs", t, "--proc", proc);
			expect_run(&r, 8, NULL, "kvm_s2stat/stats: missing");
			run_free(&r);
		}
	}
	/* the default view does not read mappings: a broken mappings file does not matter */
	{
		const char *t = copy_tree("one-vm-6.12", "malformed");
		char p[900];
		struct run r;

		snprintf(p, sizeof(p), "%s/kvm_s2stat/4242-11/mappings", t);
		put(p, "garbage\n");
		RUN(&r, "--debugfs", t, "--proc", proc);
		expect_run(&r, 0, "4242-11", NULL);
		run_free(&r);
	}
}

/* Permission denied: a 000 file, a root-only directory.  As root, run as nobody. */
static void test_permission(void **state)
{
	const char *t = copy_tree("one-vm-6.12", "perm");
	char p[900];
	struct run r;
	int uid = -1;

	(void)state;
	sh("chmod -R a+rX '%s' && chmod a+rx '%s'", t, tmp);
	if (geteuid() == 0) {
		uid = 65534;	/* nobody */
		RUN(&r, "--version");
		run_free(&r);
		if (run_v(&r, uid, (const char *const[]){ "--version", NULL }) != 0) {
			print_message("SKIP: cannot run the CLI as uid %d (exit %d)\n", uid, r.code);
			run_free(&r);
			skip();
		}
		run_free(&r);
	}
	snprintf(p, sizeof(p), "%s/kvm_s2stat/summary", t);
	sh("chmod 000 '%s'", p);
	if (uid < 0 && access(p, R_OK) == 0) {
		print_message("SKIP: chmod 000 does not deny this user (CAP_DAC_OVERRIDE?)\n");
		skip();
	}
	run_v(&r, uid, (const char *const[]){ "--debugfs", t, "--proc", proc, NULL });
	expect_run(&r, 6, NULL, "kvm_s2stat/summary: Permission denied: run as root");
	run_free(&r);
	run_v(&r, uid, (const char *const[]){ "--debugfs", t, "--proc", proc, "-j", NULL });
	expect_run(&r, 6, "{\"error\":", NULL);
	run_free(&r);
	sh("chmod 400 '%s' && chmod 700 '%s/kvm_s2stat'", p, t);
	run_v(&r, uid, (const char *const[]){ "--debugfs", t, "--proc", proc, NULL });
	expect_run(&r, 6, NULL, "run as root");
	run_free(&r);
	sh("chmod -R u+rwX '%s'", t);
}

/* ---- watch ---- */

static void test_watch_once(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-w", "0.2", "--once");
	expect_run(&r, 0, "kvm-s2stat every 0.2s", NULL);
	assert_non_null(strstr(r.out, "4242-11 4242 [qemu-system-aar]"));
	/* one sample: one header line */
	assert_null(strstr(strstr(r.out, "kvm-s2stat every") + 1, "kvm-s2stat every"));
	assert_null(strstr(r.out, "\033["));	/* not a terminal: no screen clearing */
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-1");
	expect_run(&r, 0, "4242-11", NULL);
	assert_null(strstr(r.out, "every"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-w", "0.1", "-n", "3", "-j");
	expect_run(&r, 0, NULL, NULL);
	assert_int_equal(pipe_check("check_json.py", "lines --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-w", "0.1", "-n", "2", "-D");
	expect_run(&r, 0, "BDF", NULL);
	run_free(&r);
}

/* Two samples with a change in between: '*' on changed counts, new and gone VMs. */
static void test_watch_changes(void **state)
{
	const char *t = copy_tree("many-vms", "watch");
	static char buf[262144];
	char p[900];
	int fds[2], st;
	size_t n = 0;
	pid_t pid;

	(void)state;
	buf[0] = '\0';
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(cli, cli, "--debugfs", t, "--proc", proc, "-w", "1.5", "-n", "2", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* first sample: until its total line */
	while (!strstr(buf, "\ntotal") || !strstr(strstr(buf, "\ntotal") + 1, "\n")) {
		ssize_t r = read(fds[0], buf + n, sizeof(buf) - 1 - n);

		assert_true(r > 0);
		n += (size_t)r;
		buf[n] = '\0';
	}
	/* change 1000-10 (1088 -> 1100 NC pages), drop 2001-5, add 5000-1 */
	snprintf(p, sizeof(p), "%s/kvm_s2stat/1000-10/status.new", t);
	sh("sed -e 's/^vfio_nc_pages 1088$/vfio_nc_pages 1100/' -e 's/^vfio_bytes .*/vfio_bytes "
	   "4505600/' '%s/kvm_s2stat/1000-10/status' > '%s' && mv '%s' '%s/kvm_s2stat/1000-10/status'",
	   t, p, p, t);
	sh("cp -r '%s/kvm_s2stat/4000-9' '%s/kvm_s2stat/5000-1' && sed -i -e 's/^vm 4000-9$/vm 5000-1/'"
	   " -e 's/^pid 4000$/pid 5000/' '%s/kvm_s2stat/5000-1/status'", t, t, t);
	sh("awk '$1 == \"1000-10\" { $5 = 1100 } $1 != \"2001-5\" { print } END { print \"5000-1 5000 "
	   "exact 16 16 0 16 0 0 0 0\" }' '%s/kvm_s2stat/summary' > '%s/summary.new' && "
	   "mv '%s/summary.new' '%s/kvm_s2stat/summary'", t, tmp, tmp, t);
	for (;;) {
		ssize_t r = read(fds[0], buf + n, sizeof(buf) - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	{
		const char *second = strstr(strstr(buf, "kvm-s2stat every") + 1, "kvm-s2stat every");

		if (!second)
			fail_msg("no second sample:\n%s", buf);
		if (!strstr(second, "1000-10 1000 db01           0  1100*     0     0  4.3 MiB*\n") ||
		    !strstr(second, "1000-12 1000 db01           0     8      0     0   32 KiB  "
				    "INEXACT\n") ||
		    !strstr(second, "5000-1") || !strstr(second, " new") ||
		    !strstr(second, "gone since the last sample: 2001-5"))
			fail_msg("changes not marked:\n%s", buf);
		assert_null(strstr(buf, "*") < second ? strstr(buf, "*") : NULL);
	}
}

/* ---- scale ---- */

static void write_stats(const char *root, unsigned long long vms, unsigned long long ranges)
{
	char p[900];
	FILE *f;

	snprintf(p, sizeof(p), "%s/kvm_s2stat/version", root);
	put(p, "kvm_s2stat 0.1.0 format 1\n");
	snprintf(p, sizeof(p), "%s/kvm_s2stat/stats", root);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "format 1\nmodule_version 0.1.0\nkernel 6.12.0\npage_size 4096\nfwb 1\nlpa2 0\n"
		"kvm_mode vhe\ndiscovery kvm-debugfs\nvms %llu\nvms_seen %llu\nvms_gone 0\n"
		"probe_map 1\nprobe_map_device 1\nprobe_map_failed 0\nprobe_unmap 0\nprobe_perm 0\n"
		"probe_destroy 0\nprobe_missed 0\ndrops 0\nranges %llu\nranges_max 16777216\n"
		"live_objects 1\nbytes_held 1\npci_bars 1\nvfio_bars 1\nresyncs 0\n", vms, vms, ranges);
	fclose(f);
}

static void write_vm(const char *root, unsigned int pid, unsigned int fd, size_t nranges,
		     FILE *summary)
{
	char p[900];
	FILE *f;
	unsigned long long nc = 0, dev = 0;

	snprintf(p, sizeof(p), "%s/kvm_s2stat/%u-%u", root, pid, fd);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/kvm_s2stat/%u-%u/mappings", root, pid, fd);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "format 1\nipa_start          ipa_end            pa_start           pa_end     "
		"        pages level attr         memattr perm class bdf          bar driver\n");
	for (size_t i = 0; i < nranges; i++) {
		unsigned long long ipa = 0x100000000ULL + i * 0x3000ULL;
		bool isnc = i % 4;

		fprintf(f, "0x%016llx 0x%016llx 0x%016llx 0x%016llx 2     3     %-12s 0x%x     rw-  "
			"vfio  0000:%02zx:00.0 %zu   vfio-pci\n", ipa, ipa + 0x2000, ipa + 0x4000000000ULL,
			ipa + 0x4000002000ULL, isnc ? "NORMAL_NC" : "DEVICE_nGnRE", isnc ? 5 : 1,
			i % 200, i % 6);
		if (isnc)
			nc += 2;
		else
			dev += 2;
	}
	fclose(f);
	snprintf(p, sizeof(p), "%s/kvm_s2stat/%u-%u/status", root, pid, fd);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "format 1\nvm %u-%u\npid %u\nstate exact\nfound fault\nvfio_device_pages %llu\n"
		"vfio_nc_pages %llu\nvfio_normal_pages 0\nother_device_pages 0\nother_nc_pages 0\n"
		"other_normal_pages 0\nvfio_bytes %llu\nother_bytes 0\nranges %zu\npage_leaves %llu\n"
		"block_leaves 0\nfailed_device 0\nfailed_nc 0\nfailed_normal 0\ndrops 0\nresyncs 0\n",
		pid, fd, pid, dev, nc, (dev + nc) * 4096, nranges, dev + nc);
	fclose(f);
	snprintf(p, sizeof(p), "%s/kvm_s2stat/%u-%u/verify", root, pid, fd);
	put(p, "format 1\nresult ok\ndifferences 0\n");
	fprintf(summary, "%u-%u %u exact %llu %llu 0 0 0 0 0 0\n", pid, fd, pid, dev, nc);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_100k_ranges(void **state)
{
	char root[700], p[900];
	struct run r;
	FILE *sum;
	double t0;

	(void)state;
	snprintf(root, sizeof(root), "%s/big", tmp);
	sh("rm -rf '%s' && mkdir -p '%s/kvm_s2stat'", root, root);
	write_stats(root, 1, 100000);
	snprintf(p, sizeof(p), "%s/kvm_s2stat/summary", root);
	sum = fopen(p, "w");
	assert_non_null(sum);
	fprintf(sum, "format 1\nvm pid state vfio_device vfio_nc vfio_normal other_device other_nc "
		"other_normal failed drops\n");
	write_vm(root, 7777, 12, 100000, sum);
	fclose(sum);

	t0 = now();
	RUN(&r, "--debugfs", root, "--proc", proc, "-D");
	expect_run(&r, 0, "0000:00:00.0   0 vfio-pci 7777-12 -      vfio  DEVICE_nGnRE", NULL);
	print_message("-D over 100000 ranges: %.2f s (sanitized)\n", now() - t0);
	run_free(&r);
	RUN(&r, "--debugfs", root, "--proc", proc);
	expect_run(&r, 0, "7777-12 7777 ?     50000 150000      0     0 781 MiB", NULL);
	run_free(&r);
	t0 = now();
	RUN(&r, "--debugfs", root, "--proc", proc, "-j", "-m", "-D");
	expect_run(&r, 0, NULL, NULL);
	print_message("-j -m -D over 100000 ranges: %.2f s, %zu bytes\n", now() - t0, strlen(r.out));
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", root, "--proc", proc, "--expect", "nc");
	expect_run(&r, 10, NULL, "25000 of 100000 VFIO mappings (50000 pages) in 1 VM are not");
	run_free(&r);
	RUN(&r, "--debugfs", root, "--proc", proc, "--prometheus");
	expect_run(&r, 0, NULL, NULL);
	assert_int_equal(pipe_check("check_prom.py", "", r.out), 0);
	run_free(&r);
}

static void test_2000_vms(void **state)
{
	char root[700], p[900];
	struct run r;
	FILE *sum;
	int lines = 0;

	(void)state;
	snprintf(root, sizeof(root), "%s/manyvms", tmp);
	sh("rm -rf '%s' && mkdir -p '%s/kvm_s2stat'", root, root);
	write_stats(root, 2000, 6000);
	snprintf(p, sizeof(p), "%s/kvm_s2stat/summary", root);
	sum = fopen(p, "w");
	assert_non_null(sum);
	fprintf(sum, "format 1\nvm pid state vfio_device vfio_nc vfio_normal other_device other_nc "
		"other_normal failed drops\n");
	for (unsigned int i = 0; i < 2000; i++)
		write_vm(root, 100000 + i / 2, 10 + i % 2, 3, sum);
	fclose(sum);
	RUN(&r, "--debugfs", root, "--proc", proc);
	expect_run(&r, 0, "\ntotal            2000 VMs", NULL);
	for (const char *s = r.out; (s = strchr(s, '\n')); s++)
		lines++;
	assert_int_equal(lines, 2000 + 3);
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	RUN(&r, "--debugfs", root, "--proc", proc, "-j", "-D", "--verify");
	expect_run(&r, 0, NULL, NULL);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", root, "--proc", proc, "--prometheus");
	expect_run(&r, 0, NULL, NULL);
	assert_int_equal(pipe_check("check_prom.py", "", r.out), 0);
	run_free(&r);
}

/* ---- output file, consistency, limits, log mode, scale ---- */

static bool no_temp_left(const char *dir)
{
	char cmd[900];

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q '^[.]out[.]prom[.]'", dir);
	return system(cmd) != 0;
}

/* -o FILE: written to a temporary file and renamed; on an error the old file stays. */
static void test_output_file(void **state)
{
	char dir[700], file[800], plain[700];
	struct run r, ref;
	struct stat sb;
	char *text;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/textfile", tmp);
	snprintf(file, sizeof(file), "%s/out.prom", dir);
	snprintf(plain, sizeof(plain), "%s/plain-o", tmp);
	sh("rm -rf '%s' '%s' && mkdir -p '%s' '%s'", dir, plain, dir, plain);
	RUN(&ref, "--debugfs", fx("many-vms"), "--proc", proc, "--prometheus");
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--prometheus", "-o", file);
	expect_run(&r, 0, NULL, NULL);
	assert_int_equal(r.out[0], '\0');
	text = slurp(file);
	assert_string_equal(text, ref.out);
	free(text);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);	/* node_exporter reads it */
	assert_true(no_temp_left(dir));
	run_free(&r);
	/* a failing run (debugfs not mounted): exit 4, the last good file stays, no temp file */
	RUN(&r, "--debugfs", plain, "--proc", proc, "--prometheus", "-o", file);
	expect_run(&r, 4, NULL, "debugfs is not mounted");
	text = slurp(file);
	assert_string_equal(text, ref.out);
	free(text);
	assert_true(no_temp_left(dir));
	run_free(&r);
	run_free(&ref);
	/* JSON too; a check's exit code comes after the file is in place */
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "-j", "--expect", "nc", "-o", file);
	expect_run(&r, 10, NULL, NULL);
	text = slurp(file);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", text), 0);
	free(text);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "-o", "/nonexistent/dir/x.prom");
	expect_run(&r, 1, NULL, "--output /nonexistent/dir/x.prom: cannot create "
		   "/nonexistent/dir/.x.prom.");
	assert_non_null(strstr(r.err, "does the directory exist, and is it writable?"));
	run_free(&r);
}

/* status and mappings that disagree (also when read again): said, not hidden. */
static void test_mismatch(void **state)
{
	const char *t = copy_tree("one-vm-6.12", "mismatch");
	char p[900];
	struct run r;

	(void)state;
	snprintf(p, sizeof(p), "%s/kvm_s2stat/4242-11/status", t);
	sh("sed -i -e 's/^vfio_nc_pages 32$/vfio_nc_pages 31/' -e 's/^vfio_bytes .*/vfio_bytes "
	   "126976/' '%s'", p);
	RUN(&r, "--debugfs", t, "--proc", proc, "-b", "00:02.0");
	expect_run(&r, 0, "4242-11 4242 [qemu-system-aar]      0 31      0    16 124 KiB MISMATCH",
		   "warning: 1 VM (4242-11): mappings and status disagreed on two reads");
	assert_non_null(strstr(r.out, "MISMATCH: the VM's mappings and status files disagreed"));
	run_free(&r);
	RUN(&r, "--debugfs", t, "--proc", proc, "-j", "-m");
	expect_run(&r, 0, "\"mappings_match_status\":false", NULL);
	assert_int_equal(r.err[0], '\0');
	assert_int_equal(pipe_check("check_json.py", "doc", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-j", "-m");
	expect_run(&r, 0, "\"mappings_match_status\":true", NULL);
	run_free(&r);
	/* a page count sum that would overflow is malformed, not wrapped around */
	snprintf(p, sizeof(p), "%s/kvm_s2stat/4242-11/status", t);
	sh("sed -i -e 's/^vfio_device_pages .*/vfio_device_pages 18446744073709551615/' "
	   "-e 's/^vfio_nc_pages .*/vfio_nc_pages 1/' -e 's/^vfio_normal_pages .*/"
	   "vfio_normal_pages 1/' -e 's/^vfio_bytes .*/vfio_bytes 4096/' '%s'", p);
	RUN(&r, "--debugfs", t, "--proc", proc);
	expect_run(&r, 8, NULL, "4242-11/status:12: vfio_bytes 4096 is not the vfio pages times "
		   "page_size");
	run_free(&r);
}

/* Reads are bounded: an endless file is an error, an endless cmdline is cut. */
static void test_size_caps(void **state)
{
	const char *t = copy_tree("one-vm-6.12", "endless");
	char p[900], p2[700];
	struct run r;

	(void)state;
	snprintf(p, sizeof(p), "%s/kvm_s2stat/stats", t);
	sh("rm -f '%s' && ln -s /dev/zero '%s'", p, p);
	RUN(&r, "--debugfs", t, "--proc", proc);
	expect_run(&r, 8, NULL, "kvm_s2stat/stats: larger than 65536 bytes");
	run_free(&r);
	t = copy_tree("one-vm-6.12", "endless");
	snprintf(p, sizeof(p), "%s/kvm_s2stat/4242-11/mappings", t);
	sh("rm -f '%s' && ln -s /dev/zero '%s'", p, p);
	RUN(&r, "--debugfs", t, "--proc", proc, "-D");
	expect_run(&r, 8, NULL, "4242-11/mappings: larger than");
	run_free(&r);
	snprintf(p2, sizeof(p2), "%s/proc-zero", tmp);
	sh("rm -rf '%s' && mkdir -p '%s/4242' && ln -s /dev/zero '%s/4242/cmdline' && "
	   "ln -s /dev/zero '%s/4242/comm'", p2, p2, p2, p2);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", p2, "-j");
	expect_run(&r, 0, "\"domain\":null,\"uuid\":null,\"vmm\":null", NULL);
	run_free(&r);
}

/* -l: one timestamped line of totals per sample; -z leaves out all-zero samples; -c CSV. */
static void test_log(void **state)
{
	struct run r;
	int lines = 0;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-l", "-w", "0.1", "-n", "2");
	expect_run(&r, 0, "TIME                 VMS DEVICE     NC NORMAL  OTHER    BYTES INEXACT "
		   "FAILED\n", NULL);
	for (const char *s = r.out; (s = strstr(s, "    4     16   1116      0     16  4.4 MiB    "
					      "   1      2\n")); s++)
		lines++;
	assert_int_equal(lines, 2);
	assert_non_null(strstr(r.out, "T"));
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-l", "-c", "-w", "0.1", "-n", "3");
	expect_run(&r, 0, "time,vms,vfio_device_pages,vfio_nc_pages,vfio_normal_pages,other_pages,"
		   "vfio_bytes,inexact_vms,failed_maps\n", NULL);
	assert_null(strstr(strstr(r.out, "time,") + 1, "time,"));	/* one header */
	assert_int_equal(pipe_check("check_csv.py", "'vms=4;vfio_nc_pages=1116;vfio_bytes=4636672'",
				    r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-l", "-H", "-r", "-1");
	expect_run(&r, 0, "    4     16   1116      0     16  4636672       1      2\n", NULL);
	assert_null(strstr(r.out, "TIME"));
	run_free(&r);
	/* -z: no line for samples with nothing mapped */
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc, "-l", "-z", "-w", "0.1", "-n", "2");
	expect_run(&r, 0, NULL, NULL);
	assert_int_equal(r.out[0], '\0');
	run_free(&r);
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc, "-l", "-w", "0.1", "-n", "2", "-H");
	expect_run(&r, 0, "    0      0      0      0      0      0 B       0      0\n", NULL);
	run_free(&r);
}

/* The header comes back every 20 lines, as in kvm_stat. */
static void test_log_banner(void **state)
{
	struct run r;
	int headers = 0;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-l", "-w", "0.1", "-n", "21");
	expect_run(&r, 0, NULL, NULL);
	for (const char *s = r.out; (s = strstr(s, "TIME ")); s++)
		headers++;
	assert_int_equal(headers, 2);
	run_free(&r);
}

/* Watch samples cost about what one run costs: no per-VM scan of the previous sample. */
static void test_watch_scale(void **state)
{
	char root[700], p[900];
	double t0, once, watch;
	struct run r;
	FILE *sum;

	(void)state;
	snprintf(root, sizeof(root), "%s/watchscale", tmp);
	sh("rm -rf '%s' && mkdir -p '%s/kvm_s2stat'", root, root);
	write_stats(root, 5000, 5000);
	snprintf(p, sizeof(p), "%s/kvm_s2stat/summary", root);
	sum = fopen(p, "w");
	assert_non_null(sum);
	fprintf(sum, "format 1\nvm pid state vfio_device vfio_nc vfio_normal other_device other_nc "
		"other_normal failed drops\n");
	for (unsigned int i = 0; i < 5000; i++)
		write_vm(root, 200000 + i, 10, 1, sum);
	fclose(sum);
	t0 = now();
	RUN(&r, "--debugfs", root, "--proc", proc, "-D");
	once = now() - t0;
	expect_run(&r, 0, "200000-10", NULL);
	run_free(&r);
	t0 = now();
	RUN(&r, "--debugfs", root, "--proc", proc, "-D", "-w", "0.1", "-n", "4");
	watch = (now() - t0 - 0.3) / 4;
	expect_run(&r, 0, "204999-10", NULL);
	run_free(&r);
	print_message("5000 VMs, -D: %.2f s once, %.2f s per watch sample (sanitized)\n", once,
		      watch);
	if (watch > 2 * once + 0.5)
		fail_msg("a watch sample (%.2f s) costs much more than one run (%.2f s)", watch,
			 once);
}

/* ---- man page ---- */

static void test_man_page(void **state)
{
	char cmd[1200], out[700];
	char *text;
	int st;

	(void)state;
	snprintf(out, sizeof(out), "%s/man.txt", tmp);
	snprintf(cmd, sizeof(cmd), "MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings=w -l '%s' "
		 "> '%s' 2> '%s.err'", man, out, out);
	st = system(cmd);
	assert_int_equal(st, 0);
	text = slurp(out);
	assert_non_null(strstr(text, "kvm-s2stat"));
	assert_non_null(strstr(text, "EXIT STATUS"));
	assert_non_null(strstr(text, "--expect"));
	assert_non_null(strstr(text, "modprobe kvm_s2stat"));
	assert_non_null(strstr(text, "kvm_stat(1)"));
	assert_non_null(strstr(text, "/usr/share/doc/kvm-s2stat/cli.md"));
	assert_non_null(strstr(text, "--guest"));
	free(text);
	snprintf(cmd, sizeof(cmd), "%s.err", out);
	text = slurp(cmd);
	if (text[0])
		fail_msg("man page warnings:\n%s", text);
	free(text);
	/* mandoc's lint (a .TH date among others): no message at all */
	snprintf(cmd, sizeof(cmd), "mandoc -Tlint -W style '%s' > '%s.lint' 2>&1", man, out);
	st = system(cmd);
	snprintf(cmd, sizeof(cmd), "%s.lint", out);
	text = slurp(cmd);
	if (st || text[0])
		fail_msg("mandoc -Tlint:\n%s", text);
	free(text);
}

static int setup(void **state)
{
	const char *base = getenv("S2_TMP");

	(void)state;
	rules = getenv("S2_RULES");
	cli = getenv("S2_CLI");
	fix = getenv("S2_FIXTURES");
	tools = getenv("S2_TOOLS");
	man = getenv("S2_MAN");
	if (!cli || !fix || !tools || !man || !rules) {
		fprintf(stderr, "test_cli: set S2_CLI, S2_FIXTURES, S2_TOOLS, S2_MAN and S2_RULES "
			"(make host-test)\n");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/cli.%d", base ? base : "/tmp", (int)getpid());
	snprintf(proc, sizeof(proc), "%s/proc", fix);
	sh("rm -rf '%s' && mkdir -p '%s'", tmp, tmp);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sh("chmod -R u+rwX '%s'; rm -rf '%s'", tmp, tmp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_usage_errors_json),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_one_vm_612),
		cmocka_unit_test(test_one_vm_61),
		cmocka_unit_test(test_many_vms),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_identity_vmms),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_bdf),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_mappings_view),
		cmocka_unit_test(test_json_fixtures),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_prometheus_fixtures),
		cmocka_unit_test(test_prometheus_values),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_effective),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_format_version),
		cmocka_unit_test(test_malformed_cli),
		cmocka_unit_test(test_permission),
		cmocka_unit_test(test_output_file),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_size_caps),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_log_banner),
		cmocka_unit_test(test_watch_once),
		cmocka_unit_test(test_watch_changes),
		cmocka_unit_test(test_100k_ranges),
		cmocka_unit_test(test_2000_vms),
		cmocka_unit_test(test_watch_scale),
		cmocka_unit_test(test_man_page),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
