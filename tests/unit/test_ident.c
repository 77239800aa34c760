// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Unit tests of VM identity (userspace/s2ident.c): the command lines of QEMU (libvirt's and
 * the other -name forms, comma escaping, merging), crosvm, kvmtool, firecracker and
 * cloud-hypervisor, what is not understood, and the sanitising and escaping every output
 * applies to these untrusted strings (text, JSON, Prometheus, CSV).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "s2ident.h"
#include "s2json.h"
#include "s2prom.h"
#include "s2table.h"

/* Parse an argv given as a NULL-terminated list (joined with NULs, the last one too). */
static void parse_argv(struct s2_ident *id, const char *const *argv)
{
	char buf[8192];
	size_t n = 0;

	for (int i = 0; argv[i]; i++) {
		size_t l = strlen(argv[i]) + 1;

		assert_true(n + l <= sizeof(buf));
		memcpy(buf + n, argv[i], l);
		n += l;
	}
	s2_ident_parse(buf, n, id);
}

#define PARSE(id, ...) parse_argv((id), (const char *const[]){ __VA_ARGS__, NULL })

static void expect_ident(const struct s2_ident *id, enum s2_vmm vmm, const char *domain,
			 const char *uuid)
{
	assert_int_equal(id->vmm, vmm);
	if (domain) {
		assert_true(id->has_domain);
		assert_string_equal(id->domain, domain);
	} else {
		assert_false(id->has_domain);
		assert_string_equal(id->domain, "");
	}
	if (uuid) {
		assert_true(id->has_uuid);
		assert_string_equal(id->uuid, uuid);
	} else {
		assert_false(id->has_uuid);
	}
}

static void test_qemu_libvirt(void **state)
{
	struct s2_ident id;

	(void)state;
	/* what libvirt passes (qemu_command.c: qemuBuildNameCommandLine, -uuid) */
	PARSE(&id, "/usr/bin/qemu-system-aarch64", "-name", "guest=db01,debug-threads=on", "-S",
	      "-object", "{\"qom-type\":\"secret\"}", "-uuid",
	      "6B1C2D3E-4F50-4a6b-8c7d-9e0f1a2b3c4d", "-no-user-config");
	expect_ident(&id, S2_VMM_QEMU, "db01", "6b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d");
	/* a libvirt name with a comma: escaped as ",," */
	PARSE(&id, "/usr/bin/qemu-system-aarch64", "-name", "guest=web,,blue,debug-threads=on");
	expect_ident(&id, S2_VMM_QEMU, "web,blue", NULL);
	/* RHEL's binary */
	PARSE(&id, "/usr/libexec/qemu-kvm", "-name", "guest=rhel9,debug-threads=on");
	expect_ident(&id, S2_VMM_QEMU, "rhel9", NULL);
}

static void test_qemu_forms(void **state)
{
	struct s2_ident id;

	(void)state;
	PARSE(&id, "qemu-system-aarch64", "-name", "plain");
	expect_ident(&id, S2_VMM_QEMU, "plain", NULL);
	/* implied "guest" first, process= after it */
	PARSE(&id, "qemu-system-aarch64", "-name", "vm1,process=qemu-vm1");
	expect_ident(&id, S2_VMM_QEMU, "vm1", NULL);
	/* "--name" is "-name" */
	PARSE(&id, "qemu-system-aarch64", "--name", "guest=dashdash", "--uuid",
	      "00000000-0000-0000-0000-000000000001");
	expect_ident(&id, S2_VMM_QEMU, "dashdash", "00000000-0000-0000-0000-000000000001");
	/* only process=: no guest name */
	PARSE(&id, "qemu-system-aarch64", "-name", "process=p1,debug-threads=on");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
	/* several -name options merge, the last guest wins */
	PARSE(&id, "qemu-system-aarch64", "-name", "first", "-name", "debug-threads=on", "-name",
	      "guest=last");
	expect_ident(&id, S2_VMM_QEMU, "last", NULL);
	PARSE(&id, "qemu-system-aarch64", "-name", "first", "-name", "process=x");
	expect_ident(&id, S2_VMM_QEMU, "first", NULL);
	/* an implied first value with ",," and '=' after the comma */
	PARSE(&id, "qemu-system-aarch64", "-name", "a,,b=c,process=p");
	expect_ident(&id, S2_VMM_QEMU, "a,b=c", NULL);
	/* "x=y" first is a key, not the name; a flag "guest" is "on" as QemuOpts has it */
	PARSE(&id, "qemu-system-aarch64", "-name", "my=vm");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
	PARSE(&id, "qemu-system-aarch64", "-name", "process=p,guest");
	expect_ident(&id, S2_VMM_QEMU, "on", NULL);
	/* empty names are no names */
	PARSE(&id, "qemu-system-aarch64", "-name", "");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
	PARSE(&id, "qemu-system-aarch64", "-name", "guest=,process=p");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
	/* -name as the last argument, -uuid without a value or malformed */
	PARSE(&id, "qemu-system-aarch64", "-uuid", "not-a-uuid", "-name");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
	PARSE(&id, "qemu-system-aarch64", "-uuid", "6b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
	PARSE(&id, "qemu-system-aarch64", "-uuid", "6b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4dd");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
	PARSE(&id, "qemu-system-aarch64", "-uuid", "6b1c2d3e_4f50-4a6b-8c7d-9e0f1a2b3c4d");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
	PARSE(&id, "qemu-system-aarch64", "-uuid", "6b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4g");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
	/* "-name" as the value of another option is consumed with it (-append -name ...) */
	PARSE(&id, "qemu-system-aarch64", "-name", "-name");
	expect_ident(&id, S2_VMM_QEMU, "-name", NULL);
	/* "-name=x" is not a QEMU form */
	PARSE(&id, "qemu-system-aarch64", "-name=x");
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
}

static void test_other_vmms(void **state)
{
	struct s2_ident id;

	(void)state;
	/* crosvm: --name of the run subcommand, both spellings */
	PARSE(&id, "/usr/bin/crosvm", "--log-level", "info", "run", "--name", "android", "vmlinux");
	expect_ident(&id, S2_VMM_CROSVM, "android", NULL);
	PARSE(&id, "crosvm", "run", "--name=android-07", "--cpus", "2", "vmlinux");
	expect_ident(&id, S2_VMM_CROSVM, "android-07", NULL);
	PARSE(&id, "crosvm", "--name", "x", "balloon", "1", "/run/crosvm.sock");
	expect_ident(&id, S2_VMM_CROSVM, NULL, NULL);
	/* kvmtool: lkvm run|sandbox --name */
	PARSE(&id, "/usr/local/bin/lkvm", "run", "-c", "2", "-m", "512", "--name", "kt1", "-k",
	      "Image");
	expect_ident(&id, S2_VMM_KVMTOOL, "kt1", NULL);
	PARSE(&id, "lkvm-static", "sandbox", "--name=box", "--", "/bin/sh");
	expect_ident(&id, S2_VMM_KVMTOOL, "box", NULL);
	PARSE(&id, "lkvm", "list", "--name", "x");
	expect_ident(&id, S2_VMM_KVMTOOL, NULL, NULL);
	/* firecracker: --id, not after "--", a value is never an option */
	PARSE(&id, "/usr/bin/firecracker", "--api-sock", "/run/fc.sock", "--id", "fc-vm-1");
	expect_ident(&id, S2_VMM_FIRECRACKER, "fc-vm-1", NULL);
	PARSE(&id, "firecracker-v1.7.0-aarch64", "--", "--id", "guest-arg");
	expect_ident(&id, S2_VMM_FIRECRACKER, NULL, NULL);
	PARSE(&id, "firecracker", "--id", "--no-api");
	expect_ident(&id, S2_VMM_FIRECRACKER, NULL, NULL);
	/* cloud-hypervisor: no name; --platform system_uuid (or the older uuid) */
	PARSE(&id, "cloud-hypervisor", "--api-socket", "fd=23", "--platform",
	      "num_pci_segments=2,oem_strings=[a,uuid=x],system_uuid=5D2F7C9E-1B3A-4C8D-9E0F-"
	      "A1B2C3D4E5F6");
	expect_ident(&id, S2_VMM_CLOUD_HYPERVISOR, NULL, "5d2f7c9e-1b3a-4c8d-9e0f-a1b2c3d4e5f6");
	PARSE(&id, "cloud-hypervisor-static", "--platform=uuid=\"5d2f7c9e-1b3a-4c8d-9e0f-"
	      "a1b2c3d4e5f6\"");
	expect_ident(&id, S2_VMM_CLOUD_HYPERVISOR, NULL, "5d2f7c9e-1b3a-4c8d-9e0f-a1b2c3d4e5f6");
	PARSE(&id, "cloud-hypervisor", "--platform", "uuid=00000000-0000-0000-0000-000000000001,"
	      "system_uuid=00000000-0000-0000-0000-000000000002");
	expect_ident(&id, S2_VMM_CLOUD_HYPERVISOR, NULL, "00000000-0000-0000-0000-000000000002");
	/* unknown VMMs: nothing, even with QEMU-looking options */
	PARSE(&id, "/opt/s2vmm", "-name", "guest=fake", "-uuid",
	      "00000000-0000-0000-0000-000000000001");
	expect_ident(&id, S2_VMM_UNKNOWN, NULL, NULL);
	s2_ident_parse(NULL, 0, &id);
	expect_ident(&id, S2_VMM_UNKNOWN, NULL, NULL);
	s2_ident_parse("", 0, &id);
	expect_ident(&id, S2_VMM_UNKNOWN, NULL, NULL);
}

/* A cmdline cut in the middle (the read limit): the partial last argument still counts. */
static void test_cut_cmdline(void **state)
{
	static const char cmd[] = "qemu-system-aarch64\0-name\0guest=partial";
	struct s2_ident id;

	(void)state;
	s2_ident_parse(cmd, sizeof(cmd) - 1, &id);
	expect_ident(&id, S2_VMM_QEMU, "partial", NULL);
	s2_ident_parse(cmd, 25, &id);		/* "qemu-system-aarch64\0-name" */
	expect_ident(&id, S2_VMM_QEMU, NULL, NULL);
}

/* Hostile names: bounded, valid UTF-8, no control or format character. */
static void test_hostile(void **state)
{
	char longname[300], want[S2_DOMAIN_MAX + 1];
	struct s2_ident id;

	(void)state;
	PARSE(&id, "qemu-system-aarch64", "-name", "guest=ev\x1b[31mil\n# TYPE x\r\x07\x7f");
	expect_ident(&id, S2_VMM_QEMU, "ev?[31mil?# TYPE x???", NULL);
	/* C1 controls (U+009B is CSI on some terminals), bidi override, zero-width, BOM */
	PARSE(&id, "qemu-system-aarch64", "-name", "a\xc2\x9b" "b\xe2\x80\xae" "c\xe2\x80\x8b"
	      "d\xef\xbb\xbf" "e");
	expect_ident(&id, S2_VMM_QEMU, "a?b?c?d?e", NULL);
	/* invalid UTF-8: lone continuation, overlong, surrogate, truncated sequence */
	PARSE(&id, "qemu-system-aarch64", "-name", "x\x80y\xc0\xafz\xed\xa0\x80w\xe2\x82");
	expect_ident(&id, S2_VMM_QEMU, "x?y??z???w??", NULL);
	/* valid UTF-8 stays */
	PARSE(&id, "qemu-system-aarch64", "-name", "caf\xc3\xa9-\xe6\x97\xa5\xf0\x9f\x98\x80");
	expect_ident(&id, S2_VMM_QEMU, "caf\xc3\xa9-\xe6\x97\xa5\xf0\x9f\x98\x80", NULL);
	/* a long name: cut to S2_DOMAIN_MAX bytes */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	PARSE(&id, "qemu-system-aarch64", "-name", longname);
	memset(want, 'n', S2_DOMAIN_MAX);
	want[S2_DOMAIN_MAX] = '\0';
	expect_ident(&id, S2_VMM_QEMU, want, NULL);
	assert_true(id.domain_cut);
	/* ... at a character boundary: 63 'n' then a 2-byte character does not fit */
	memset(longname, 'n', 63);
	strcpy(longname + 63, "\xc3\xa9tail");
	PARSE(&id, "crosvm", "run", "--name", longname);
	assert_int_equal(strlen(id.domain), 63);
	assert_true(id.domain_cut);
	/* a long QEMU name with ",," escapes is cut too */
	for (int i = 0; i < 100; i++)
		memcpy(longname + 2 * i, ",,", 2);
	longname[200] = '\0';
	PARSE(&id, "qemu-system-aarch64", "-name", longname);
	assert_int_equal(strlen(id.domain), S2_DOMAIN_MAX);
	assert_true(id.domain_cut);
	assert_null(strchr(id.domain, 'n'));
}

static void test_sanitize_text_safe(void **state)
{
	char b[16];

	(void)state;
	assert_false(s2_sanitize(b, sizeof(b), "abc", 3));
	assert_string_equal(b, "abc");
	assert_true(s2_sanitize(b, 4, "abcdef", 6));
	assert_string_equal(b, "abc");
	assert_true(s2_sanitize(b, 4, "ab\xc3\xa9", 4));	/* é does not fit in 1 byte */
	assert_string_equal(b, "ab");
	s2_text_safe(b, sizeof(b), "caf\xc3\xa9 \xe6\x97\xa5!");
	assert_string_equal(b, "caf? ?!");
	s2_text_safe(b, 4, "abcdef");
	assert_string_equal(b, "abc");
	s2_text_safe(b, sizeof(b), "\x1b]0;x\x07");
	assert_string_equal(b, "?]0;x?");
}

/* Run @fn into a memory buffer; returns it (free()). */
static char *capture(void (*fn)(FILE *, const char *), const char *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, arg);
	fclose(f);
	return buf;
}

static void json_str(FILE *f, const char *s)
{
	s2_json_string(f, s);
}

static void prom_value(FILE *f, const char *s)
{
	s2_prom_label_value(f, s);
}

static void test_escaping(void **state)
{
	char *s;

	(void)state;
	s = capture(json_str, "q\"b\\n\nt\tc\x01\x7f");
	assert_string_equal(s, "\"q\\\"b\\\\n\\nt\\tc\\u0001\\u007f\"");
	free(s);
	/* UTF-8 passes, an invalid byte is U+FFFD (not Latin-1), U+2028 escaped */
	s = capture(json_str, "\xc3\xa9\xff\xe2\x80\xa8");
	assert_string_equal(s, "\"\xc3\xa9\\ufffd\\u2028\"");
	free(s);
	/* Prometheus: \\, \", \n escaped; other controls and invalid bytes as ? */
	s = capture(prom_value, "a\"b\\c\nd\re\x1b\xff\xc3\xa9");
	assert_string_equal(s, "\"a\\\"b\\\\c\\nd?e??\xc3\xa9\"");
	free(s);
}

/* CSV: quoting, and untrusted cells starting like a formula get a leading quote. */
static void test_csv_cells(void **state)
{
	static const struct s2_col cols[2] = {
		{ "NAME", "name", S2_SHOW_ALL, false, true, 0, 0 },
		{ "N", "n", S2_SHOW_ALL, true, false, 0, 0 },
	};
	struct s2_tabopt to = { true, true, false, false };
	struct s2_table t;
	struct s2_row r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	s2_table_init(&t, cols, 2, &to);
	s2_table_header(f, &t, NULL, 0);
	s2_row_clear(&r);
	s2_cell(&r, 0, "=HYPERLINK(\"x\")");
	s2_cell(&r, 1, "-1");
	s2_table_row(f, &t, &r);
	s2_cell(&r, 0, "a,b");
	s2_cell(&r, 1, "2");
	s2_table_row(f, &t, &r);
	s2_cell(&r, 0, "@x");
	s2_table_row(f, &t, &r);
	fclose(f);
	assert_string_equal(buf, "name,n\n\"'=HYPERLINK(\"\"x\"\")\",-1\n\"a,b\",2\n'@x,2\n");
	free(buf);
}

/* Text tables: caps with '+', alignment, group headers. */
static void test_text_table(void **state)
{
	static const struct s2_col cols[3] = {
		{ "NAME", "name", S2_SHOW_ALL, false, true, 6, 0 },
		{ "A", "a", S2_SHOW_ALL, true, false, 0, 0 },
		{ "B", "b", S2_SHOW_ALL, true, false, 0, 0 },
	};
	static const struct s2_group g[1] = { { 1, 2, "AB" } };
	struct s2_tabopt to = { false, true, false, false };
	struct s2_table t;
	struct s2_row r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	s2_table_init(&t, cols, 3, &to);
	s2_row_clear(&r);
	s2_cell(&r, 0, "averylongname");
	s2_cell(&r, 1, "1");
	s2_cell(&r, 2, "22222");
	s2_table_measure(&t, &r);
	s2_table_header(f, &t, g, 1);
	s2_table_row(f, &t, &r);
	fclose(f);
	assert_string_equal(buf, "       - AB --\nNAME   A     B\navery+ 1 22222\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_libvirt),
		cmocka_unit_test(test_qemu_forms),
		cmocka_unit_test(test_other_vmms),
		cmocka_unit_test(test_cut_cmdline),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_sanitize_text_safe),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_csv_cells),
		cmocka_unit_test(test_text_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
