// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: VM identity from the VMM's command line (s2ident.h).
 *
 * What each VMM accepts, from its own sources (docs/cli.md, "VM identity"):
 *   QEMU        -name [guest=]NAME[,process=P][,debug-threads=on] (QemuOpts: ",," is a
 *               literal comma, the first parameter without '=' is "guest", several -name
 *               options merge and the last value of a key wins; "--name" = "-name"),
 *               -uuid UUID.  libvirt: -name guest=<domain>,debug-threads=on -uuid <uuid>.
 *   crosvm      crosvm [global options] run ... --name NAME (or --name=NAME)
 *   kvmtool     lkvm run|sandbox ... --name NAME (or --name=NAME)
 *   firecracker firecracker ... --id ID (arguments after "--" are the guest's)
 *   cloud-hypervisor  no name option; --platform ...,system_uuid=UUID (or the older uuid=)
 * The VMM is recognised by the base name of argv[0].
 */
#include <string.h>

#include "s2ident.h"

const char *const s2_vmm_names[S2_VMM_NR] = {
	[S2_VMM_UNKNOWN] = NULL,
	[S2_VMM_QEMU] = "qemu",
	[S2_VMM_CROSVM] = "crosvm",
	[S2_VMM_CLOUD_HYPERVISOR] = "cloud-hypervisor",
	[S2_VMM_KVMTOOL] = "kvmtool",
	[S2_VMM_FIRECRACKER] = "firecracker",
};

/* ---- UTF-8 ---- */

size_t s2_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (!n)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters no output should carry raw: controls, and those that reorder or hide text. */
static bool unsafe_cp(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0xad || c == 0x61c ||
	       c == 0x180e || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x206f) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) ||
	       (c >= 0xe0000 && c <= 0xe007f);
}

bool s2_sanitize(char *dst, size_t size, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	if (!size)
		return n > 0;
	while (i < n) {
		uint32_t cp;
		size_t l = s2_utf8_decode(s + i, n - i, &cp);
		const char *put = (const char *)s + i;
		size_t pl = l;

		if (!l || unsafe_cp(cp)) {
			put = "?";
			pl = 1;
			if (!l)
				l = 1;
		}
		if (o + pl > size - 1) {
			dst[o] = '\0';
			return true;
		}
		memcpy(dst + o, put, pl);
		o += pl;
		i += l;
	}
	dst[o] = '\0';
	return false;
}

void s2_text_safe(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strlen(src), i = 0, o = 0;

	if (!size)
		return;
	while (i < n && o < size - 1) {
		uint32_t cp;
		size_t l = s2_utf8_decode(s + i, n - i, &cp);

		dst[o++] = l == 1 && cp >= 0x20 && cp < 0x7f ? (char)cp : '?';
		i += l ? l : 1;
	}
	dst[o] = '\0';
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool s2_uuid_parse(const char *s, size_t n, char out[S2_UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	if (n != S2_UUID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
			out[i] = '-';
		} else {
			int h = hexdigit(s[i]);

			if (h < 0)
				return false;
			out[i] = hex[h];
		}
	}
	out[n] = '\0';
	return true;
}

/* ---- argv ---- */

struct arg {
	const char *s;
	size_t n;
};

struct argv_it {
	const char *p, *end;
};

static bool next_arg(struct argv_it *it, struct arg *a)
{
	const char *nul;

	if (it->p >= it->end)
		return false;
	a->s = it->p;
	nul = memchr(it->p, '\0', (size_t)(it->end - it->p));
	a->n = nul ? (size_t)(nul - it->p) : (size_t)(it->end - it->p);
	it->p = nul ? nul + 1 : it->end;
	return true;
}

static bool arg_is(const struct arg *a, const char *lit)
{
	size_t l = strlen(lit);

	return a->n == l && !memcmp(a->s, lit, l);
}

/* "--opt=VALUE": the value after '=' in @v. */
static bool arg_eq_value(const struct arg *a, const char *opt, struct arg *v)
{
	size_t l = strlen(opt);

	if (a->n <= l || memcmp(a->s, opt, l) || a->s[l] != '=')
		return false;
	v->s = a->s + l + 1;
	v->n = a->n - l - 1;
	return true;
}

static bool has_prefix(const struct arg *a, const char *lit)
{
	size_t l = strlen(lit);

	return a->n >= l && !memcmp(a->s, lit, l);
}

static void set_domain(struct s2_ident *id, const char *s, size_t n)
{
	if (!n) {		/* an empty name is no name */
		id->has_domain = false;
		id->domain_cut = false;
		id->domain[0] = '\0';
		return;
	}
	id->domain_cut = s2_sanitize(id->domain, sizeof(id->domain), s, n);
	id->has_domain = id->domain[0] != '\0';
}

static void set_uuid(struct s2_ident *id, const char *s, size_t n)
{
	id->has_uuid = s2_uuid_parse(s, n, id->uuid);
	if (!id->has_uuid)
		id->uuid[0] = '\0';
}

/* ---- QEMU ---- */

/*
 * QemuOpts get_opt_value(): the value up to a single ',' (",," is a literal comma), unescaped
 * into @buf (at most @size bytes kept, *@cut set beyond); returns the position of the ',' or
 * the end.
 */
static const char *qemu_opt_value(const char *p, const char *end, char *buf, size_t size,
				  size_t *len, bool *cut)
{
	size_t o = 0;

	*cut = false;
	while (p < end) {
		if (*p == ',') {
			if (p + 1 >= end || p[1] != ',')
				break;
			p++;
		}
		if (o < size)
			buf[o++] = *p;
		else
			*cut = true;
		p++;
	}
	*len = o;
	return p;
}

/*
 * One -name argument, QemuOpts with implied_opt_name "guest" (util/qemu-option.c,
 * get_opt_name_value()): "NAME", "NAME,k=v", "guest=NAME,k=v", "k=v,...".  A key without '='
 * after the first parameter is a flag ("guest" = "on", "noguest" = "off").
 */
static void qemu_name(struct s2_ident *id, const struct arg *a)
{
	/* Enough raw bytes for S2_DOMAIN_MAX sanitised ones (an invalid byte stays one byte). */
	char val[S2_DOMAIN_MAX + 8];
	const char *p = a->s, *end = a->s + a->n;
	bool first = true;

	while (p < end) {
		const char *q = p;
		size_t vlen;
		bool cut;

		while (q < end && *q != '=' && *q != ',')
			q++;
		if (q >= end || *q == ',') {
			if (first) {
				p = qemu_opt_value(p, end, val, sizeof(val), &vlen, &cut);
				set_domain(id, val, vlen);
				id->domain_cut |= cut;
			} else {
				struct arg k = { p, (size_t)(q - p) };

				if (arg_is(&k, "guest"))
					set_domain(id, "on", 2);
				else if (arg_is(&k, "noguest"))
					set_domain(id, "off", 3);
				p = q;
			}
		} else {
			struct arg k = { p, (size_t)(q - p) };

			p = qemu_opt_value(q + 1, end, val, sizeof(val), &vlen, &cut);
			if (arg_is(&k, "guest")) {
				set_domain(id, val, vlen);
				id->domain_cut |= cut;
			}
		}
		first = false;
		if (p < end && *p == ',')
			p++;
	}
}

static void parse_qemu(struct argv_it *it, struct s2_ident *id)
{
	struct arg a, v;

	while (next_arg(it, &a)) {
		if (arg_is(&a, "-name") || arg_is(&a, "--name")) {
			if (next_arg(it, &v))
				qemu_name(id, &v);
		} else if (arg_is(&a, "-uuid") || arg_is(&a, "--uuid")) {
			if (next_arg(it, &v))
				set_uuid(id, v.s, v.n);
		}
	}
}

/* ---- crosvm, kvmtool, firecracker: --name / --id ---- */

/*
 * After the subcommand (crosvm: "run"; kvmtool: "run" or "sandbox" as argv[1]), the last
 * "--name VALUE" or "--name=VALUE".
 */
static void parse_long_name(struct argv_it *it, struct s2_ident *id, const char *opt,
			    bool kvmtool)
{
	struct arg a, v;
	bool in_run = false;

	if (kvmtool) {
		if (!next_arg(it, &a) || !(arg_is(&a, "run") || arg_is(&a, "sandbox")))
			return;
		in_run = true;
	}
	while (next_arg(it, &a)) {
		if (!in_run) {
			in_run = arg_is(&a, "run");
			continue;
		}
		if (arg_is(&a, opt)) {
			if (next_arg(it, &v))
				set_domain(id, v.s, v.n);
		} else if (arg_eq_value(&a, opt, &v)) {
			set_domain(id, v.s, v.n);
		}
	}
}

/* firecracker (src/utils/src/arg_parser.rs): "--id VALUE", a value never starts with "--". */
static void parse_firecracker(struct argv_it *it, struct s2_ident *id)
{
	struct arg a, v;

	while (next_arg(it, &a)) {
		if (arg_is(&a, "--"))
			return;
		if (!arg_is(&a, "--id"))
			continue;
		if (!next_arg(it, &v))
			return;
		if (has_prefix(&v, "--")) {
			if (arg_is(&v, "--"))
				return;
			continue;
		}
		set_domain(id, v.s, v.n);
	}
}

/* ---- cloud-hypervisor ---- */

/*
 * --platform k=v,...: split at commas outside "..." and [...] (option_parser's
 * split_commas()); system_uuid wins over the deprecated uuid.
 */
static void ch_platform(struct s2_ident *id, const struct arg *a)
{
	const char *p = a->s, *end = a->s + a->n;
	struct arg uuid = { NULL, 0 }, legacy = { NULL, 0 };

	while (p <= end) {
		const char *s = p;
		int depth = 0;
		bool quote = false;
		struct arg item, v;

		while (p < end) {
			if (*p == '"')
				quote = !quote;
			else if (!quote && *p == '[')
				depth++;
			else if (!quote && *p == ']' && depth > 0)
				depth--;
			else if (!quote && !depth && *p == ',')
				break;
			p++;
		}
		item.s = s;
		item.n = (size_t)(p - s);
		if (arg_eq_value(&item, "system_uuid", &v))
			uuid = v;
		else if (arg_eq_value(&item, "uuid", &v))
			legacy = v;
		if (p >= end)
			break;
		p++;
	}
	if (!uuid.s)
		uuid = legacy;
	if (!uuid.s)
		return;
	while (uuid.n && (*uuid.s == ' ' || *uuid.s == '"')) {
		uuid.s++;
		uuid.n--;
	}
	while (uuid.n && (uuid.s[uuid.n - 1] == ' ' || uuid.s[uuid.n - 1] == '"'))
		uuid.n--;
	set_uuid(id, uuid.s, uuid.n);
}

static void parse_ch(struct argv_it *it, struct s2_ident *id)
{
	struct arg a, v;

	while (next_arg(it, &a)) {
		if (arg_is(&a, "--platform")) {
			if (next_arg(it, &v))
				ch_platform(id, &v);
		} else if (arg_eq_value(&a, "--platform", &v)) {
			ch_platform(id, &v);
		}
	}
}

/* ---- dispatch ---- */

static enum s2_vmm vmm_of(const struct arg *argv0)
{
	const char *slash = NULL;
	struct arg b;

	for (size_t i = 0; i < argv0->n; i++)
		if (argv0->s[i] == '/')
			slash = argv0->s + i;
	b.s = slash ? slash + 1 : argv0->s;
	b.n = argv0->n - (size_t)(b.s - argv0->s);
	if (has_prefix(&b, "qemu-system-") || has_prefix(&b, "qemu-kvm"))
		return S2_VMM_QEMU;
	if (arg_is(&b, "crosvm"))
		return S2_VMM_CROSVM;
	if (has_prefix(&b, "cloud-hypervisor"))
		return S2_VMM_CLOUD_HYPERVISOR;
	if (has_prefix(&b, "lkvm"))
		return S2_VMM_KVMTOOL;
	if (has_prefix(&b, "firecracker"))
		return S2_VMM_FIRECRACKER;
	return S2_VMM_UNKNOWN;
}

void s2_ident_parse(const char *cmdline, size_t len, struct s2_ident *out)
{
	struct argv_it it;
	struct arg argv0;

	memset(out, 0, sizeof(*out));
	if (!cmdline)
		return;
	it.p = cmdline;
	it.end = cmdline + len;
	if (!next_arg(&it, &argv0))
		return;
	out->vmm = (uint8_t)vmm_of(&argv0);
	switch (out->vmm) {
	case S2_VMM_QEMU:
		parse_qemu(&it, out);
		break;
	case S2_VMM_CROSVM:
		parse_long_name(&it, out, "--name", false);
		break;
	case S2_VMM_KVMTOOL:
		parse_long_name(&it, out, "--name", true);
		break;
	case S2_VMM_FIRECRACKER:
		parse_firecracker(&it, out);
		break;
	case S2_VMM_CLOUD_HYPERVISOR:
		parse_ch(&it, out);
		break;
	default:
		break;
	}
}
