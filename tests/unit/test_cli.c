// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * End-to-end tests of the kvm-s2stat binary (ASan+UBSan build) over fixture trees:
 * hand-written ones (tests/fixtures) and ones generated here (malformed variants, 100 000
 * ranges, 2000 VMs, changing trees for --watch).  JSON goes through a real JSON parser
 * (check_json.py), Prometheus output through a strict exposition-format parser and, when
 * installed, promtool (check_prom.py).
 *
 * Environment: S2_CLI (binary), S2_FIXTURES, S2_TMP (scratch), S2_TOOLS (check_*.py),
 * S2_MAN (kvm-s2stat.8).
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

static const char *cli, *fix, *tools, *man;
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
	char cmd[1200], in[700];
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
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	RUN(&r, "--version");
	snprintf(want, sizeof(want), "kvm-s2stat %s ", KVM_S2STAT_VERSION);
	expect_run(&r, 0, want, NULL);
	run_free(&r);
	RUN(&r, "-V");
	expect_run(&r, 0, want, NULL);
	run_free(&r);
}

static void test_usage_errors(void **state)
{
	static const char *const cases[][4] = {
		{ "--bogus", NULL, NULL, "unknown option --bogus" },
		{ "-x", NULL, NULL, "unknown option -x" },
		{ "-p", "abc", NULL, "--pid 'abc'" },
		{ "-p", "0", NULL, "--pid '0'" },
		{ "-p", "-5", NULL, "--pid" },
		{ "-p", "99999999999", NULL, "--pid" },
		{ "-g", "vm1", NULL, "--vm 'vm1'" },
		{ "--expect", "wc", NULL, "use nc, device or cacheable" },
		{ "-w", "0", NULL, "--watch '0'" },
		{ "-w", "abc", NULL, "--watch" },
		{ "-w", "nan", NULL, "--watch" },
		{ "-c", "2", NULL, "--count needs --watch" },
		{ "--prometheus", "--count", "1", "--count needs --watch" },
		{ "-w", "1", "--prometheus", "--watch works with" },
		{ "-w", "1", "--verify", "--watch works with" },
		{ "--prometheus", "-d", NULL, "drop -d/-m" },
		{ "extra", NULL, NULL, "unexpected argument 'extra'" },
		{ "--debugfs", NULL, NULL, "needs an argument" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;
		const char *a[4] = { cases[i][0], cases[i][1], cases[i][2], NULL };

		run_v(&r, -1, a);
		expect_run(&r, 2, NULL, cases[i][3]);
		assert_int_equal(r.out[0], '\0');
		assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));	/* one line */
		run_free(&r);
	}
}

static void test_usage_errors_json(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "-j", "--bogus");
	expect_run(&r, 2, "{\"error\":", NULL);
	assert_int_equal(r.err[0], '\0');
	assert_int_equal(pipe_check("check_json.py", "error", r.out), 0);
	run_free(&r);
	RUN(&r, "--json", "--prometheus");
	expect_run(&r, 2, "{\"error\":\"--json and --prometheus exclude each other\"}", NULL);
	run_free(&r);
	RUN(&r, "--expect", "wc", "--pretty");
	expect_run(&r, 2, "{\"error\":\"--expect 'wc'", NULL);
	run_free(&r);
}

/* ---- views ---- */

static void test_empty(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc);
	expect_run(&r, 0, "no VMs tracked by kvm_s2stat 0.1.0 (kernel 6.12.0-kvm)", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc, "-d");
	expect_run(&r, 0, "no device memory mapped", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc, "-j");
	expect_run(&r, 0, "\"vms\":[]", NULL);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("empty"), "--proc", proc, "--expect", "nc");
	expect_run(&r, 0, "ok: all 0 VFIO mappings", NULL);
	run_free(&r);
}

static void test_one_vm_612(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc);
	expect_run(&r, 0, "4242-11 4242 qemu-system-aar      0 32      0    16 128 KiB", NULL);
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
	expect_run(&r, 0, "4242-11 4242 qemu-system-aar     32  0      0    16 128 KiB", NULL);
	run_free(&r);
	/* no /proc entry for the pid: "?" */
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", "/nonexistent");
	expect_run(&r, 0, "4242-11 4242 ?", NULL);
	run_free(&r);
}

static void test_many_vms(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc);
	expect_run(&r, 0, "1000-12 1000 qemu-system-aar      0    8      0     0  32 KiB INEXACT",
		   NULL);
	assert_non_null(strstr(r.out, "2001-5  2001 cloud-hyperviso      0    4      0     0  "
				      "16 KiB FAILED=2"));
	assert_non_null(strstr(r.out, "4000-9  4000 crosvm              16   16      0    16"));
	assert_non_null(strstr(r.out, "total        4 VMs               16 1116      0    16"));
	assert_null(strstr(r.out, "3000-7"));	/* listed in summary, directory gone */
	assert_non_null(strstr(r.out, "INEXACT: events were dropped"));
	assert_non_null(strstr(r.out, "FAILED: device-memory map attempts"));
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
}

static void test_filters(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-p", "1000");
	expect_run(&r, 0, "1000-10", NULL);
	assert_non_null(strstr(r.out, "1000-12"));
	assert_null(strstr(r.out, "2001-5"));
	assert_non_null(strstr(r.out, "2 VMs"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--vm", "2001-5");
	expect_run(&r, 0, "2001-5", NULL);
	assert_null(strstr(r.out, "1000-10"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-g", "2001-5", "--pid", "4000");
	expect_run(&r, 0, "2001-5", NULL);
	assert_non_null(strstr(r.out, "4000-9"));
	assert_non_null(strstr(r.out, "2 VMs"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-p", "9999");
	expect_run(&r, 1, NULL, "no VM matches the -p/-g selection");
	run_free(&r);
	/* selected but vanished: not an error */
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-g", "3000-7");
	expect_run(&r, 0, "0 VMs", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-p", "1000", "-j");
	expect_run(&r, 0, "\"vm\":\"1000-12\"", NULL);
	assert_null(strstr(r.out, "\"vm\":\"4000-9\""));
	run_free(&r);
}

static void test_devices(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-d");
	expect_run(&r, 0, "BDF          BAR DRIVER   VM      CLASS ATTR         PAGES    SIZE",
		   NULL);
	assert_non_null(strstr(r.out, "0000:01:00.0   0 vfio-pci 1000-10 vfio  NORMAL_NC       64"
				      " 256 KiB"));
	assert_non_null(strstr(r.out, "0000:01:00.0   2 vfio-pci 1000-10 vfio  NORMAL_NC     1024"
				      " 4.0 MiB"));
	assert_non_null(strstr(r.out, "0000:04:00.0   0 vfio-pci 4000-9  vfio  DEVICE_nGnRE    16"));
	assert_non_null(strstr(r.out, "0000:04:00.0   0 vfio-pci 4000-9  vfio  NORMAL_NC       16"));
	assert_non_null(strstr(r.out, "-              - -        4000-9  other DEVICE_nGnRE    16"));
	assert_true(max_line(r.out) <= 80);
	run_free(&r);
	/* two ranges of one BAR add up */
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-d");
	expect_run(&r, 0, "0000:00:02.0   2 vfio-pci 4242-11 vfio  NORMAL_NC       32 128 KiB",
		   NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-d", "-j");
	expect_run(&r, 0, "\"devices\":[", NULL);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
}

static void test_mappings_view(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-m");
	expect_run(&r, 0, "VM 4242-11 pid 4242 qemu-system-aar: 3 ranges", NULL);
	assert_non_null(strstr(r.out, "0x10000000 0x10010000 0x8000000000    16   3 NORMAL_NC    "
				      "rw-  vfio  0000:00:02.0   2 vfio-pci"));
	assert_non_null(strstr(r.out, "r--"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-m", "-g", "1000-12");
	expect_run(&r, 0, "1 range (INEXACT)", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-m", "--pretty");
	expect_run(&r, 0, "\"mappings\": [", NULL);
	assert_non_null(strstr(r.out, "\"ipa_start\": \"0x0000000010000000\""));
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
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
			{ "-j", "-d", "-m", NULL },
			{ "--pretty", "-d", "-m", "--verify", NULL },
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
	expect_run(&r, 0, "\"schema_version\":1,\"kvm_s2stat_version\":\"" KVM_S2STAT_VERSION "\"",
		   NULL);
	assert_non_null(strstr(r.out, "\"vms_listed\":5,\"vms_vanished\":1"));
	assert_non_null(strstr(r.out, "\"vm\":\"1000-12\",\"pid\":1000,\"comm\":\"qemu-system-aar\","
				      "\"state\":\"inexact\",\"exact\":false,\"found\":\"load\""));
	assert_non_null(strstr(r.out, "\"failed\":{\"DEVICE_nGnRE\":0,\"NORMAL_NC\":2,\"NORMAL\":0}"));
	assert_non_null(strstr(r.out, "\"totals\":{\"vms\":4,\"inexact_vms\":1,\"vfio_pages\":"
				      "{\"DEVICE_nGnRE\":16,\"NORMAL_NC\":1116,\"NORMAL\":0}"));
	assert_null(strchr(r.out, '\n') + 1 == NULL ? NULL : strchr(strchr(r.out, '\n') + 1, '\n'));
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", "/nonexistent", "-j");
	expect_run(&r, 0, "\"comm\":null", NULL);
	run_free(&r);
}

static void test_prometheus_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_fixtures) / sizeof(all_fixtures[0]); i++) {
		struct run r;

		RUN(&r, "--debugfs", fx(all_fixtures[i]), "--proc", proc, "--prometheus");
		expect_run(&r, 0, "# TYPE kvm_s2stat_vm_pages gauge", NULL);
		if (pipe_check("check_prom.py", "", r.out))
			fail_msg("%s: invalid exposition:\n%s", all_fixtures[i], r.out);
		run_free(&r);
	}
}

static void test_prometheus_values(void **state)
{
	struct run r;
	char p2[700], comm[800];

	(void)state;
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--prometheus");
	expect_run(&r, 0, "kvm_s2stat_vm_pages{vm=\"1000-10\",pid=\"1000\",class=\"vfio\","
		   "attr=\"NORMAL_NC\"} 1088\n", NULL);
	assert_non_null(strstr(r.out, "kvm_s2stat_device_pages{vm=\"4000-9\",pid=\"4000\","
				      "bdf=\"0000:04:00.0\",bar=\"0\",driver=\"vfio-pci\","
				      "class=\"vfio\",attr=\"DEVICE_nGnRE\"} 16\n"));
	assert_non_null(strstr(r.out, "kvm_s2stat_device_pages{vm=\"4000-9\",pid=\"4000\",bdf=\"\","
				      "bar=\"\",driver=\"\",class=\"other\",attr=\"DEVICE_nGnRE\"} 16"));
	assert_non_null(strstr(r.out, "kvm_s2stat_vm_exact{vm=\"1000-12\",pid=\"1000\"} 0\n"));
	assert_non_null(strstr(r.out, "kvm_s2stat_vm_failed_maps{vm=\"2001-5\",pid=\"2001\","
				      "attr=\"NORMAL_NC\"} 2\n"));
	assert_non_null(strstr(r.out, "kvm_s2stat_vms 4\n"));
	run_free(&r);

	/* label escaping: a VMM comm with a quote, a backslash and a control byte */
	snprintf(p2, sizeof(p2), "%s/proc-evil", tmp);
	snprintf(comm, sizeof(comm), "%s/4242/comm", p2);
	sh("mkdir -p '%s/4242'", p2);
	put(comm, "q\"e\\mu\x1b[31m\n");
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", p2, "--prometheus");
	expect_run(&r, 0, "comm=\"q\\\"e\\\\mu?[31m\"", NULL);
	assert_int_equal(pipe_check("check_prom.py", "", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", p2, "-j");
	expect_run(&r, 0, "\"comm\":\"q\\\"e\\\\mu?[31m\"", NULL);
	assert_int_equal(pipe_check("check_json.py", "doc", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", p2);
	expect_run(&r, 0, "q\"e\\mu?[31m", NULL);	/* no raw escape reaches the terminal */
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
	expect_run(&r, 10, "4242-11 0000:00:02.0   2 0x0000000010000000 0x0000000010020000 "
		   "DEVICE_nGnRE    32", "--expect: 1 of 1 VFIO mappings (32 pages) in 1 VM are not "
		   "NORMAL_NC");
	assert_non_null(strstr(r.out, "VM      BDF          BAR IPA_START          IPA_END"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "--expect", "device");
	expect_run(&r, 0, "are DEVICE_nGnRE", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("cacheable-6.17"), "--proc", proc, "--expect", "cacheable");
	expect_run(&r, 10, "5151-9 0009:01:00.0   0", "are not NORMAL\n");
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--expect", "nc");
	expect_run(&r, 10, "4000-9 0000:04:00.0   0 0x0000000010000000", "1 of 6 VFIO mappings");
	assert_non_null(strstr(r.out, "note: VM 1000-12 is INEXACT"));
	assert_null(strstr(r.out, "0x000000002c000000"));	/* class other is not checked */
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--expect", "nc", "-p", "1000");
	expect_run(&r, 0, "ok: all 3 VFIO mappings", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "--expect", "nc", "-j");
	expect_run(&r, 10, "\"expect\":{\"attr\":\"NORMAL_NC\",\"ok\":false", NULL);
	assert_int_equal(r.err[0], '\0');
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	/* with a view */
	RUN(&r, "--debugfs", fx("one-vm-6.1"), "--proc", proc, "--expect", "nc", "-d");
	expect_run(&r, 10, "BDF ", NULL);
	run_free(&r);
}

static void test_verify(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "--verify");
	expect_run(&r, 0, "4242-11 ok                    0            48            48", NULL);
	run_free(&r);
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "--verify");
	expect_run(&r, 11, "4242-11 differ                2            48            32",
		   "--verify: 2 differences in 1 of 2 VMs");
	assert_non_null(strstr(r.out, "  missing 0x0000000010010000-0x0000000010020000 "
				      "table=NORMAL_NC,0x0000008000010000,rw-,3,0x5 tracked=-"));
	assert_non_null(strstr(r.out, "  mismatch 0x0000000010000000-0x0000000010010000 "
				      "table=DEVICE_nGnRE,0x0000008000000000,rw-,3,0x1 "
				      "tracked=NORMAL_NC,0x0000008000000000,rw-,3,0x5"));
	assert_non_null(strstr(r.out, "4300-3  unavailable           0             -             -"));
	assert_non_null(strstr(r.err, "1 VM had no stage-2 table"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("verify-differ"), "--proc", proc, "--verify", "-g", "4300-3");
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
	put(p, "kvm_s2stat 0.9.0 format 2\n");
	RUN(&r, "--debugfs", t, "--proc", proc);
	expect_run(&r, 7, NULL, "module 0.9.0 writes format 2, but kvm-s2stat " KVM_S2STAT_VERSION
		   " reads format 1 only");
	run_free(&r);
	RUN(&r, "--debugfs", t, "--proc", proc, "-j");
	expect_run(&r, 7, "{\"error\":", NULL);
	run_free(&r);

	t = copy_tree("one-vm-6.12", "fmt3");
	snprintf(p, sizeof(p), "%s/kvm_s2stat/4242-11/mappings", t);
	put(p, "format 3\nwhatever comes next\n");
	RUN(&r, "--debugfs", t, "--proc", proc, "-d");
	expect_run(&r, 7, NULL, "kvm_s2stat/4242-11/mappings:1: format 3, but");
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
		  "vfio-pci\n", "-d", "kvm_s2stat/4242-11/mappings:3: bar '9'" },
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
			RUN(&r, "--debugfs", t, "--proc", proc, "-d", "-j");
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
	assert_non_null(strstr(r.out, "4242-11 4242 qemu-system-aar"));
	/* one sample: one header line */
	assert_null(strstr(strstr(r.out, "kvm-s2stat every") + 1, "kvm-s2stat every"));
	assert_null(strstr(r.out, "\033["));	/* not a terminal: no screen clearing */
	run_free(&r);
	RUN(&r, "--debugfs", fx("one-vm-6.12"), "--proc", proc, "-1");
	expect_run(&r, 0, "4242-11", NULL);
	assert_null(strstr(r.out, "every"));
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-w", "0.1", "-c", "3", "-j");
	expect_run(&r, 0, NULL, NULL);
	assert_int_equal(pipe_check("check_json.py", "lines --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", fx("many-vms"), "--proc", proc, "-w", "0.1", "-c", "2", "-d");
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
		execl(cli, cli, "--debugfs", t, "--proc", proc, "-w", "1.5", "-c", "2", (char *)NULL);
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
		if (!strstr(second, "1000-10 1000 qemu-system-aar     0  1100*     0     0  4.3 MiB*") ||
		    !strstr(second, "1000-12 1000 qemu-system-aar     0     8      0     0   32 KiB  INEXACT") ||
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
	RUN(&r, "--debugfs", root, "--proc", proc, "-d");
	expect_run(&r, 0, "0000:00:00.0   0 vfio-pci 7777-12 vfio  DEVICE_nGnRE", NULL);
	print_message("-d over 100000 ranges: %.2f s (sanitized)\n", now() - t0);
	run_free(&r);
	RUN(&r, "--debugfs", root, "--proc", proc);
	expect_run(&r, 0, "7777-12 7777 ?     50000 150000      0     0 781 MiB", NULL);
	run_free(&r);
	t0 = now();
	RUN(&r, "--debugfs", root, "--proc", proc, "-j", "-m", "-d");
	expect_run(&r, 0, NULL, NULL);
	print_message("-j -m -d over 100000 ranges: %.2f s, %zu bytes\n", now() - t0, strlen(r.out));
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
	RUN(&r, "--debugfs", root, "--proc", proc, "-j", "-d", "--verify");
	expect_run(&r, 0, NULL, NULL);
	assert_int_equal(pipe_check("check_json.py", "doc --consistent", r.out), 0);
	run_free(&r);
	RUN(&r, "--debugfs", root, "--proc", proc, "--prometheus");
	expect_run(&r, 0, NULL, NULL);
	assert_int_equal(pipe_check("check_prom.py", "", r.out), 0);
	run_free(&r);
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
	free(text);
	snprintf(cmd, sizeof(cmd), "%s.err", out);
	text = slurp(cmd);
	if (text[0])
		fail_msg("man page warnings:\n%s", text);
	free(text);
}

static int setup(void **state)
{
	const char *base = getenv("S2_TMP");

	(void)state;
	cli = getenv("S2_CLI");
	fix = getenv("S2_FIXTURES");
	tools = getenv("S2_TOOLS");
	man = getenv("S2_MAN");
	if (!cli || !fix || !tools || !man) {
		fprintf(stderr, "test_cli: set S2_CLI, S2_FIXTURES, S2_TOOLS and S2_MAN (make host-test)\n");
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
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_mappings_view),
		cmocka_unit_test(test_json_fixtures),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_prometheus_fixtures),
		cmocka_unit_test(test_prometheus_values),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_format_version),
		cmocka_unit_test(test_malformed_cli),
		cmocka_unit_test(test_permission),
		cmocka_unit_test(test_watch_once),
		cmocka_unit_test(test_watch_changes),
		cmocka_unit_test(test_100k_ranges),
		cmocka_unit_test(test_2000_vms),
		cmocka_unit_test(test_man_page),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
