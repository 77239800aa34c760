/* SPDX-License-Identifier: GPL-2.0 */
/* kvm_s2stat presentation: /sys/kernel/debug/kvm_s2stat/ (debugfs.c). */
#ifndef KVM_S2STAT_DEBUGFS_H
#define KVM_S2STAT_DEBUGFS_H

int s2_debugfs_init(void);
void s2_debugfs_exit(void);

#endif /* KVM_S2STAT_DEBUGFS_H */
