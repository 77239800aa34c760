/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat debugfs format: names and column headers shared by the module (writer) and the
 * CLI (reader).  docs/debugfs.md is the specification; change both together and bump
 * S2_FORMAT_VERSION on any incompatible change.
 */
#ifndef KVM_S2STAT_FORMAT_H
#define KVM_S2STAT_FORMAT_H

#define S2_FORMAT_VERSION	1

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
	"ipa_start ipa_end pa_start pa_end pages level attr memattr perm class bdf bar driver"
#define S2_TABLE_COLUMNS \
	"ipa_start ipa_end pa_start pa_end pages level memattr type perm class"

/* effective: "key value" lines, then this header, then one record per line. */
#define S2_EFFECTIVE_COLUMNS \
	"half root va_start va_end ipa_start ipa_end s1 mair s2 memattr stage2 effective class bdf bar"

#define S2_SUMMARY_NCOLS	11
#define S2_MAPPINGS_NCOLS	13
#define S2_TABLE_NCOLS		10
#define S2_EFFECTIVE_NCOLS	15

/* VM states (summary "state", status "state"). */
#define S2_STATE_EXACT		"exact"		/* tracked state equals the stage-2 table */
#define S2_STATE_INEXACT	"inexact"	/* events were dropped; a resync is pending */
#define S2_STATE_UNWALKABLE	"unwalkable"	/* the table cannot be read: counts from events */

/* Mapping classes (mappings "class"). */
#define S2_CLASS_VFIO		"vfio"		/* PA in a BAR of a device bound to a vfio driver */
#define S2_CLASS_OTHER		"other"		/* any other device memory */

#endif /* KVM_S2STAT_FORMAT_H */
