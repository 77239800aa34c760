/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat debugfs format: names and column headers shared by the module (writer) and the
 * CLI (reader).  docs/debugfs.md is the specification; change both together and bump
 * S2_FORMAT_VERSION on any incompatible change.
 */
#ifndef KVM_S2STAT_FORMAT_H
#define KVM_S2STAT_FORMAT_H

#define S2_FORMAT_VERSION	3
/*
 * The oldest format this CLI still reads (format 1: mappings without via and reason;
 * formats 1 and 2: stats with probe_map).
 */
#define S2_FORMAT_OLDEST	1

#define S2_DEBUGFS_DIR		"kvm_s2stat"

/* Files in the root directory. */
#define S2_FILE_VERSION		"version"
#define S2_FILE_SUMMARY		"summary"
#define S2_FILE_STATS		"stats"

/* Files in each VM directory "<pid>-<fd>". */
#define S2_FILE_STATUS		"status"
#define S2_FILE_MAPPINGS	"mappings"
#define S2_FILE_VERIFY		"verify"
#define S2_FILE_TABLE		"table"
#define S2_FILE_RESYNC		"resync"
#define S2_FILE_EFFECTIVE	"effective"	/* added after 0.2.0 */

/* First line of every readable file except "version": "format <N>". */
#define S2_FORMAT_LINE_PREFIX	"format "

/* Column headers (second line) of the tabular files, single-space separated here. */
#define S2_SUMMARY_COLUMNS \
	"vm pid state vfio_device vfio_nc vfio_normal other_device other_nc other_normal failed drops"
#define S2_MAPPINGS_COLUMNS \
	"ipa_start ipa_end pa_start pa_end pages level attr memattr perm class bdf bar driver via reason"
#define S2_MAPPINGS_COLUMNS_V1 \
	"ipa_start ipa_end pa_start pa_end pages level attr memattr perm class bdf bar driver"
#define S2_TABLE_COLUMNS \
	"ipa_start ipa_end pa_start pa_end pages level memattr type perm class"

/* effective: "key value" lines, then this header, then one record per line. */
#define S2_EFFECTIVE_COLUMNS \
	"half root va_start va_end ipa_start ipa_end s1 mair s2 memattr stage2 effective class bdf bar"

#define S2_SUMMARY_NCOLS	11
#define S2_MAPPINGS_NCOLS	15
#define S2_MAPPINGS_NCOLS_V1	13
#define S2_TABLE_NCOLS		10
#define S2_EFFECTIVE_NCOLS	15

/* VM states (summary "state", status "state"). */
#define S2_STATE_EXACT		"exact"		/* tracked state equals the stage-2 table */
#define S2_STATE_INEXACT	"inexact"	/* events were dropped; a resync is pending */
#define S2_STATE_UNWALKABLE	"unwalkable"	/* the table cannot be read: counts from events */

/*
 * Why a range got its attribute (mappings "reason", format 2): the module picks the keyword,
 * the CLI explains it.  docs/debugfs.md, "reason".
 */
enum s2_reason {
	S2_REASON_UNKNOWN = 0,		/* "-": format 1, or a keyword this CLI does not know */
	S2_REASON_VMA_ALLOWS_NC,
	S2_REASON_NC_WITHOUT_VMA_FLAG,
	S2_REASON_NC,
	S2_REASON_KERNEL_FORCES_DEVICE,
	S2_REASON_VMA_DISALLOWS_NC,
	S2_REASON_DEVICE_DESPITE_VMA_FLAG,
	S2_REASON_CACHEABLE_VMA_MAPPED_DEVICE,
	S2_REASON_DEVICE,
	S2_REASON_CACHEABLE_PFNMAP,
	S2_REASON_NORMAL,
	S2_REASON_NR,
};

static inline const char *s2_reason_name(unsigned int reason)
{
	static const char *const names[S2_REASON_NR] = {
	[S2_REASON_UNKNOWN] = "-",
	[S2_REASON_VMA_ALLOWS_NC] = "vma-allows-nc",
	[S2_REASON_NC_WITHOUT_VMA_FLAG] = "nc-without-vma-flag",
	[S2_REASON_NC] = "nc",
	[S2_REASON_KERNEL_FORCES_DEVICE] = "kernel-forces-device",
	[S2_REASON_VMA_DISALLOWS_NC] = "vma-disallows-nc",
	[S2_REASON_DEVICE_DESPITE_VMA_FLAG] = "device-despite-vma-flag",
	[S2_REASON_CACHEABLE_VMA_MAPPED_DEVICE] = "cacheable-vma-mapped-device",
	[S2_REASON_DEVICE] = "device",
	[S2_REASON_CACHEABLE_PFNMAP] = "cacheable-pfnmap",
	[S2_REASON_NORMAL] = "normal",
	};

	return reason < S2_REASON_NR ? names[reason] : names[S2_REASON_UNKNOWN];
}

/* What each keyword means, in words a user can act on. */
static inline const char *s2_reason_text(unsigned int reason)
{
	static const char *const texts[S2_REASON_NR] = {
	[S2_REASON_UNKNOWN] = "not reported by this module",
	[S2_REASON_VMA_ALLOWS_NC] = "NORMAL_NC: the VMA allows any uncached type "
		"(VM_ALLOW_ANY_UNCACHED, vfio-pci, Linux >= 6.9)",
	[S2_REASON_NC_WITHOUT_VMA_FLAG] = "NORMAL_NC although the VMA does not set "
		"VM_ALLOW_ANY_UNCACHED",
	[S2_REASON_NC] = "NORMAL_NC (the mapping's VMA was not read)",
	[S2_REASON_KERNEL_FORCES_DEVICE] = "DEVICE_nGnRE: Linux < 6.9 maps all device memory "
		"Device (6.9+ allows NORMAL_NC for vfio-pci BARs)",
	[S2_REASON_VMA_DISALLOWS_NC] = "DEVICE_nGnRE: the driver's VMA does not allow NC "
		"(no VM_ALLOW_ANY_UNCACHED)",
	[S2_REASON_DEVICE_DESPITE_VMA_FLAG] = "DEVICE_nGnRE although the VMA allows any "
		"uncached type",
	[S2_REASON_CACHEABLE_VMA_MAPPED_DEVICE] = "DEVICE_nGnRE for a cacheable VMA",
	[S2_REASON_DEVICE] = "DEVICE_nGnRE (the mapping's VMA was not read)",
	[S2_REASON_CACHEABLE_PFNMAP] = "NORMAL: cacheable PFNMAP with FWB and DIC (Linux >= 6.17)",
	[S2_REASON_NORMAL] = "NORMAL (the mapping's VMA was not read or is not cacheable)",
	};

	return reason < S2_REASON_NR ? texts[reason] : texts[S2_REASON_UNKNOWN];
}

/* s2_reason_parse() - keyword to enum s2_reason; unknown keywords give S2_REASON_UNKNOWN. */
static inline unsigned int s2_reason_parse(const char *s, unsigned long n)
{
	unsigned int r;

	for (r = 1; r < S2_REASON_NR; r++) {
		const char *k = s2_reason_name(r);
		unsigned long i;

		for (i = 0; i < n && k[i] && k[i] == s[i]; i++)
			;
		if (i == n && !k[i])
			return r;
	}
	return S2_REASON_UNKNOWN;
}

/* Mapping classes (mappings "class"). */
#define S2_CLASS_VFIO		"vfio"		/* PA in a BAR of a device bound to a vfio driver */
#define S2_CLASS_OTHER		"other"		/* any other device memory */

#endif /* KVM_S2STAT_FORMAT_H */
