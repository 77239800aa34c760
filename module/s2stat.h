/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat: module-wide settings and counters.
 *
 * The module is layered; calls run one way (docs/design.md, "Layers"):
 *
 *   main.c        composition root: init and exit order, module parameters
 *   debugfs.c     presentation: files; calls everything below, is called by nothing
 *   verify.c      the referee's report (walk vs tracked state)
 *   effective.c   the guest's own mappings of device memory and their effective type
 *   discover.c    VMs that existed before the module
 *   hooks.c       ftrace hooks on KVM's stage-2 calls
 *   capture.c     on-demand capture of vCPU registers in the vCPU's own thread
 *   lifecycle.c   the one owner of deferred work: publish, settle, full walks, retire
 *   attrib.c      where device memory comes from (PCI BARs of vfio devices)
 *   leaf.c        stage-2 leaf iterator
 *   vm.c          VM registry and references, the only user of vm->lock
 *   rtree.c       pure range tree (no kernel state)
 *
 * Locking (outermost first): s2_lc_mutex (process context: publication, retirement),
 * kvm->mmu_lock (KVM's; held by KVM around every hooked call, taken for write by settles),
 * s2_vms_lock (raw: the VM hash and ->dead), vm->lock (raw: one VM's trees).  Hooks take
 * only the two raw spinlocks, never both at once, and never with interrupts disabled by us
 * (no interrupt handler takes either).
 */
#ifndef KVM_S2STAT_H
#define KVM_S2STAT_H

#include <linux/atomic.h>
#include <linux/types.h>

#include <kvm_s2stat/decode.h>

#define S2STAT_VERSION		"0.3.0"

/* Module-wide counters (the stats file). */
struct s2_stats {
	atomic64_t map_failed;		/* device maps that left no leaf */
	atomic64_t unmap, perm, destroy, split;
	atomic64_t drops, resyncs, settles;
	atomic64_t vms_seen, vms_gone, name_waits;
	atomic64_t walk_max_hold_ns;	/* longest kvm->mmu_lock hold of a walk chunk */
	atomic_t ranges;		/* nodes alive: tracked + pending + spare */
	atomic_t vms;
};

extern struct s2_stats s2_stats;
extern unsigned int s2_max_ranges;
extern bool s2_fwb, s2_lpa2, s2_xnx;
extern const struct s2_prot_layout s2_prot;

/* s2_stats_max() - raise @v to @val if it is larger (racing writers keep the largest). */
static inline void s2_stats_max(atomic64_t *v, s64 val)
{
	s64 old = atomic64_read(v);

	while (val > old && !atomic64_try_cmpxchg(v, &old, val))
		;
}

#endif /* KVM_S2STAT_H */
