/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat attribution: where a device-memory range comes from (a PCI BAR, its device's
 * driver, whether that driver is vfio).
 */
#ifndef KVM_S2STAT_ATTRIB_H
#define KVM_S2STAT_ATTRIB_H

#include <linux/types.h>

#include "rtree.h"

void s2_attrib_lookup(u64 pa, struct s2_src *src);
const char *s2_attrib_driver_name(u8 drv);
unsigned int s2_attrib_bars(unsigned int *vfio);
size_t s2_attrib_bytes(void);
int s2_attrib_init(void);
void s2_attrib_exit(void);

#endif /* KVM_S2STAT_ATTRIB_H */
