/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: Prometheus text exposition format (docs/prometheus.md).
 */
#ifndef KVM_S2STAT_PROM_H
#define KVM_S2STAT_PROM_H

#include <stdio.h>

#include "s2report.h"

/* Every series of the report (it must have the device rows). */
void s2_print_prometheus(FILE *f, const struct s2_report *r);
/* A quoted label value: \\, \", \n escaped; invalid UTF-8 and other controls as '?'. */
void s2_prom_label_value(FILE *f, const char *s);

#endif /* KVM_S2STAT_PROM_H */
