/* SPDX-License-Identifier: GPL-2.0 */
/* kvm_s2stat hooks on KVM's stage-2 calls (hooks.c). */
#ifndef KVM_S2STAT_HOOKS_H
#define KVM_S2STAT_HOOKS_H

#include <linux/types.h>

/* An ftrace call site lies within the first instructions of its function (BTI, NOPs). */
#define S2_SITE_SPAN	16

extern const char *s2_hooks_ret;

int s2_hooks_init(void);
void s2_hooks_stop(void);
void s2_hooks_exit(void);
u64 s2_hooks_map_device_count(void);
u64 s2_hooks_unmap_count(void);
unsigned long s2_hooks_missed(void);
const char *s2_hooks_kvm_mode(void);
unsigned long s2_hooks_symbol_addr(const char *name);
int s2_hooks_filter(unsigned long ip, bool on);

#endif /* KVM_S2STAT_HOOKS_H */
