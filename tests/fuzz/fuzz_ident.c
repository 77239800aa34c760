// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for VM identity (userspace/s2ident.c) and every output that carries it.
 *
 * Input: a /proc/<pid>/cmdline (NUL-separated argv), as any user with access to /dev/kvm can
 * make it.  The identity must come out bounded, valid UTF-8 without control or format
 * characters, the UUID canonical; then a one-VM report with that identity goes through every
 * view, and the outputs must keep their shape whatever the name: text and CSV printable
 * ASCII or sanitised UTF-8 with no control byte, as many lines as with no name; JSON one
 * line; Prometheus as many lines as with no name, each a HELP, TYPE or kvm_s2stat_ sample.
 * Seeds: tests/fixtures/proc/<pid>/cmdline (tests/fuzz/mkseeds.sh).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2ident.h"
#include "s2json.h"
#include "s2prom.h"
#include "s2view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The checks below scan every output byte: not worth coverage instrumentation. */
#define NOCOV	__attribute__((no_sanitize("coverage")))

NOCOV static bool unsafe(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff;
}

NOCOV static void check_ident(const struct s2_ident *id)
{
	const unsigned char *s = (const unsigned char *)id->domain;
	size_t n = strlen(id->domain), i = 0;

	if (n > S2_DOMAIN_MAX || id->has_domain != (n > 0) || id->vmm >= S2_VMM_NR)
		abort();
	while (i < n) {
		uint32_t cp;
		size_t l = s2_utf8_decode(s + i, n - i, &cp);

		if (!l || unsafe(cp))
			abort();
		i += l;
	}
	if (id->has_uuid) {
		char again[S2_UUID_LEN + 1];

		if (!s2_uuid_parse(id->uuid, strlen(id->uuid), again) || strcmp(again, id->uuid))
			abort();
	}
}

struct rendered {
	char *text, *csv, *json, *prom;
	size_t ntext, ncsv, njson, nprom;
};

static void render(const struct s2_report *r, struct rendered *out)
{
	struct s2_viewopt text = { { false, true, false, false }, false, NULL };
	struct s2_viewopt wide = { { false, true, true, false }, false, NULL };
	struct s2_viewopt csv = { { true, true, false, false }, false, NULL };
	struct s2_json_opt jo = { false, true, true, true, false, NULL, 0 };
	FILE *f;

	f = open_memstream(&out->text, &out->ntext);
	if (!f)
		abort();
	s2_print_vms(f, r, &text);
	s2_print_vms(f, r, &wide);
	s2_print_devices(f, r, &text);
	s2_print_devices(f, r, &wide);
	s2_print_mappings(f, r, &text);
	s2_print_expect(f, r, &text);
	s2_print_verify(f, r, &text);
	fclose(f);
	f = open_memstream(&out->csv, &out->ncsv);
	if (!f)
		abort();
	s2_print_vms(f, r, &csv);
	s2_print_devices(f, r, &csv);
	s2_print_mappings(f, r, &csv);
	fclose(f);
	f = open_memstream(&out->json, &out->njson);
	if (!f)
		abort();
	s2_print_json(f, r, &jo);
	fclose(f);
	f = open_memstream(&out->prom, &out->nprom);
	if (!f)
		abort();
	s2_print_prometheus(f, r);
	fclose(f);
}

NOCOV static size_t lines(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

/* Only '\n' and printable ASCII (text views), or no control byte at all (CSV, JSON). */
NOCOV static void check_bytes(const char *s, size_t n, bool ascii)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			continue;
		if (c < 0x20 || c == 0x7f || (ascii && c > 0x7e))
			abort();
	}
}

NOCOV static void check_prom(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			abort();
		if (strncmp(p, "# HELP kvm_s2stat_", 18) && strncmp(p, "# TYPE kvm_s2stat_", 18) &&
		    strncmp(p, "kvm_s2stat_", 11))
			abort();
		for (const char *q = p; q < nl; q++)	/* a raw control never reaches a line */
			if ((unsigned char)*q < 0x20)
				abort();
		p = nl + 1;
	}
}

static void free_rendered(struct rendered *r)
{
	free(r->text);
	free(r->csv);
	free(r->json);
	free(r->prom);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char drv[1][S2_DRIVER_MAX] = { "-" };
	struct s2_snapshot snap;
	struct s2_report rep;
	struct s2_vm vm;
	struct s2_map m;
	static struct rendered b;	/* the same VM without a name, rendered once */
	static bool have_b;
	struct rendered a;
	char *copy;

	copy = malloc(size ? size : 1);	/* exact size: ASan sees any read past the end */
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(&vm, 0, sizeof(vm));
	s2_ident_parse(copy, size, &vm.id);
	free(copy);
	check_ident(&vm.id);

	memset(&snap, 0, sizeof(snap));
	memset(&m, 0, sizeof(m));
	snap.stats.page_size = 4096;
	snap.stats.page_shift = 12;
	snap.version.format = 1;
	snap.vms = &vm;
	snap.n = snap.listed = 1;
	snprintf(vm.st.vm, sizeof(vm.st.vm), "42-7");
	vm.st.pid = 42;
	vm.fd = 7;
	vm.has_comm = true;
	snprintf(vm.comm, sizeof(vm.comm), "qemu-system-aar");
	m.ipa_start = 0x10000000;
	m.ipa_end = 0x10010000;
	m.pa_end = 0x10000;
	m.pages = 16;
	m.attr = S2_ATTR_DEVICE;
	m.vfio = m.has_bdf = true;
	m.bdf = 0x100;
	vm.maps = (struct s2_mappings){ &m, 1, (char (*)[S2_DRIVER_MAX])drv, 1 };
	vm.has_maps = true;
	vm.st.c.vfio[S2_ATTR_DEVICE] = 16;
	vm.st.vfio_bytes = 65536;
	if (s2_report_build(&rep, &snap, S2_REPORT_DEVICES | S2_REPORT_EXPECT, S2_ATTR_NC))
		return 0;
	render(&rep, &a);
	if (!have_b) {
		/* every output keeps the number of lines it has without a name */
		struct s2_ident id = vm.id;

		memset(&vm.id, 0, sizeof(vm.id));
		render(&rep, &b);
		vm.id = id;
		have_b = true;
	}
	check_bytes(a.text, a.ntext, true);
	check_bytes(a.csv, a.ncsv, false);
	check_bytes(a.json, a.njson, false);
	check_prom(a.prom, a.nprom);
	if (lines(a.text, a.ntext) != lines(b.text, b.ntext) ||
	    lines(a.csv, a.ncsv) != lines(b.csv, b.ncsv) || lines(a.json, a.njson) != 1 ||
	    lines(a.prom, a.nprom) != lines(b.prom, b.nprom))
		abort();
	free_rendered(&a);
	s2_report_free(&rep);
	return 0;
}
