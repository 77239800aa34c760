/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: a VM's identity (guest name and UUID) from its VMM's command line
 * (<proc>/<pid>/cmdline), and the sanitising that every output applies to such strings.
 *
 * Command lines come from processes any user with access to /dev/kvm can start: everything
 * here treats them as hostile.  Names are cut to S2_DOMAIN_MAX bytes, invalid UTF-8, control
 * characters (C0, DEL, C1) and Unicode format characters (bidi overrides, zero-width) become
 * '?', and a UUID is kept only in its canonical form.  The parsers work on memory buffers so
 * that the unit tests and the fuzzer use the same code (docs/cli.md, "VM identity").
 */
#ifndef KVM_S2STAT_IDENT_H
#define KVM_S2STAT_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S2_DOMAIN_MAX	64		/* bytes of a guest name kept */
#define S2_UUID_LEN	36		/* 8-4-4-4-12 hex digits */
#define S2_CMDLINE_MAX	(256 * 1024)	/* bytes of <proc>/<pid>/cmdline read */

enum s2_vmm {
	S2_VMM_UNKNOWN,
	S2_VMM_QEMU,		/* qemu-system-*, qemu-kvm: -name, -uuid */
	S2_VMM_CROSVM,		/* crosvm run --name */
	S2_VMM_CLOUD_HYPERVISOR,	/* cloud-hypervisor --platform system_uuid= / uuid= */
	S2_VMM_KVMTOOL,		/* lkvm run|sandbox --name */
	S2_VMM_FIRECRACKER,	/* firecracker --id */
	S2_VMM_NR,
};

/* "qemu", "crosvm", "cloud-hypervisor", "kvmtool", "firecracker"; NULL for unknown. */
extern const char *const s2_vmm_names[S2_VMM_NR];

struct s2_ident {
	uint8_t vmm;			/* enum s2_vmm */
	bool has_domain;		/* the VMM was given a non-empty guest name */
	bool domain_cut;		/* it was longer than S2_DOMAIN_MAX bytes */
	bool has_uuid;
	char domain[S2_DOMAIN_MAX + 1];	/* sanitised UTF-8 */
	char uuid[S2_UUID_LEN + 1];	/* lower case */
};

/*
 * The identity in a NUL-separated argv of @len bytes (the last argument may lack its NUL,
 * e.g. when the read was cut).  Never fails: what cannot be understood is left out.
 */
void s2_ident_parse(const char *cmdline, size_t len, struct s2_ident *out);

/*
 * Copy @n bytes of @src into @dst (@size >= 1) as valid UTF-8 without control or format
 * characters (each invalid byte or such character becomes '?'), cut at a character boundary
 * so that it fits in @size - 1 bytes.  Returns true when something was cut off.
 */
bool s2_sanitize(char *dst, size_t size, const char *src, size_t n);

/*
 * For terminal output: printable ASCII only, one '?' for each other character (or invalid
 * byte), at most @size - 1 bytes.
 */
void s2_text_safe(char *dst, size_t size, const char *src);

/* One UTF-8 character of at most @n bytes: its length (1-4) and code point, 0 if invalid. */
size_t s2_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* A canonical UUID (8-4-4-4-12 hex digits, any case) into @out, lower case. */
bool s2_uuid_parse(const char *s, size_t n, char out[S2_UUID_LEN + 1]);

#endif /* KVM_S2STAT_IDENT_H */
