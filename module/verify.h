/* SPDX-License-Identifier: GPL-2.0 */
/* kvm_s2stat verify: the referee's report (verify.c). */
#ifndef KVM_S2STAT_VERIFY_H
#define KVM_S2STAT_VERIFY_H

#include <linux/types.h>

struct s2_vm;

/* The report's fixed upper bound: the key lines and at most 1000 160-byte diff lines. */
#define S2_VERIFY_REPORT_SIZE	(1000 * 160 + 512)

int s2_verify_report(struct s2_vm *vm, char *out, size_t *len);

#endif /* KVM_S2STAT_VERIFY_H */
