/* SPDX-License-Identifier: GPL-2.0 */
/* kvm_s2stat discovery of VMs that existed before the module (discover.c). */
#ifndef KVM_S2STAT_DISCOVER_H
#define KVM_S2STAT_DISCOVER_H

extern const char *s2_discovery;

void s2_discover(void);

#endif /* KVM_S2STAT_DISCOVER_H */
