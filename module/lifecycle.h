/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat lifecycle: the one owner of deferred work.  A VM is published (its first full
 * walk, then its directory), settled (pending ranges read back from the table), walked in
 * full after drops, and retired once KVM destroyed it.  docs/design.md, "Lifetime".
 */
#ifndef KVM_S2STAT_LIFECYCLE_H
#define KVM_S2STAT_LIFECYCLE_H

#include "vm.h"

/* What presentation does when a VM appears or goes; set once at init. */
struct s2_view_ops {
	int (*add_vm)(struct s2_vm *vm);	/* 0, or -EEXIST while the name is taken */
	void (*remove_vm)(struct s2_vm *vm);
};

int s2_lc_init(void);
void s2_lc_set_view(const struct s2_view_ops *ops);
void s2_lc_init_vm(struct s2_vm *vm);
void s2_lc_vm_new(struct s2_vm *vm, unsigned long delay);
void s2_lc_vm_gone(struct s2_vm *vm);
void s2_lc_kick(struct s2_vm *vm);
int s2_lc_settle(struct s2_vm *vm);
int s2_lc_resync(struct s2_vm *vm);
void s2_lc_stop(void);
void s2_lc_exit(void);

#endif /* KVM_S2STAT_LIFECYCLE_H */
