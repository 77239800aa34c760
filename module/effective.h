/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat effective memory types: the guest's own stage-1 mappings of its device memory,
 * combined with KVM's stage 2 (effective.c; docs/debugfs.md "<vm>/effective").
 */
#ifndef KVM_S2STAT_EFFECTIVE_H
#define KVM_S2STAT_EFFECTIVE_H

#include <linux/fs.h>

extern const struct file_operations s2_effective_fops;

#endif /* KVM_S2STAT_EFFECTIVE_H */
