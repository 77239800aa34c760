/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* The one place the kvm-s2stat CLI version is defined (--version, JSON, Prometheus). */
#ifndef KVM_S2STAT_CLI_VERSION_H
#define KVM_S2STAT_CLI_VERSION_H
#define KVM_S2STAT_VERSION	"0.3.0"
/* JSON output schema version (docs/json.md); bump on any incompatible change. */
#define KVM_S2STAT_JSON_SCHEMA	2
#endif
