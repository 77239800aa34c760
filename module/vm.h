/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat VM registry: one object per KVM VM, its references, and its tracked state.
 *
 * This file and vm.c are the only users of vm->lock.  Lifetime rules (who may touch
 * vm->kvm, and when) are written down once, in docs/design.md, "Lifetime".
 *
 * Tracked state of a VM, two range trees:
 *   mapped   the device-memory leaves of the VM's stage-2 table, as the table holds them.
 *            Changed only with kvm->mmu_lock held for write (by hooks KVM calls with it held,
 *            or by a settle) or once the table is unlinked (teardown), always also under
 *            vm->lock.  So it is stable for anyone holding kvm->mmu_lock, and a hook that
 *            KVM calls with mmu_lock held for read may look it up without vm->lock.
 *   pending  IPA ranges whose leaves must be read back from the table (maps seen on entry,
 *            whose outcome is only known once they are done), under vm->lock.  A settle
 *            (process context, kvm->mmu_lock held for write) reads them back into mapped.
 *            Maps that continue their CPU's previous one wait in a per-CPU run first
 *            (vm.c, "Runs"); s2_vm_runs_flush() makes them pending.
 */
#ifndef KVM_S2STAT_VM_H
#define KVM_S2STAT_VM_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "rtree.h"

#define S2_VM_NAME_LEN		32

struct kvm;
struct dentry;

/* enum s2_state: what a VM's tracked state is worth (docs/debugfs.md, "state"). */
enum s2_state {
	S2_ST_EXACT,		/* equals the table (once pending ranges are settled) */
	S2_ST_INEXACT,		/* an event was dropped or the first walk is not done */
	S2_ST_UNWALKABLE,	/* the table cannot be read: counts come from events only */
};

/* Pending ranges: what a map asked for (failed-map accounting), or a plain read-back. */
enum s2_pend_kind {
	S2_PEND_MAP = 0,	/* p.attr: attribute requested; p.level: the map's leaf level */
	S2_PEND_REREAD = 1,
};

/* Lifecycle state of a VM (lifecycle.c owns it; kept here so there is one object). */
struct s2_vm_lc {
	struct delayed_work work;		/* publish, then retire once dead */
	struct delayed_work settle;		/* settle pending ranges, full walks */
	struct mutex settle_lock;		/* one settle at a time */
	unsigned int backoff;			/* seconds, for walks short of budget */
	bool published, retired;		/* under s2_lc_mutex */
};

struct s2_vm {
	struct hlist_node hnode;	/* s2_vm_hash (RCU) while KVM has the VM */
	struct list_head all;		/* every object until it is freed */
	struct kvm *kvm;		/* not a reference: docs/design.md, "Lifetime" */
	struct kref ref;
	struct rcu_head rcu;
	bool dead;			/* under s2_vms_lock: KVM is destroying the VM */

	raw_spinlock_t lock;
	struct s2_rtree mapped;
	struct s2_rtree pending;
	struct s2_pool reserve;		/* spare nodes for hooks; freed nodes wait here */
	u64 failed[S2_ATTR_NR];		/* device maps that left no leaf, by attribute asked */
	u64 drops, resyncs, settles, drops_at_full;
	u8 state;			/* enum s2_state */
	bool need_full;			/* the whole table must be read back */
	bool runs;			/* a CPU may hold a run of it (vm.c, "Runs") */

	/* Identity, set once before publication (process context). */
	pid_t pid;
	int fd;
	char name[S2_VM_NAME_LEN];
	bool found_at_load;

	struct s2_vm_lc lc;
	struct dentry *dir;		/* presentation's */
};

/* A consistent copy of one VM's counters. */
struct s2_vm_snap {
	u64 pages[S2_CLASS_NR][S2_ATTR_NR];
	u64 nranges, page_leaves, block_leaves, npending;
	u64 failed[S2_ATTR_NR], drops, resyncs, settles;
	u8 state;
};

/* Registry. */
int s2_vm_init(void);
void s2_vm_exit(void);
struct s2_vm *s2_vm_find(struct kvm *kvm);
struct s2_vm *s2_vm_create(struct kvm *kvm, gfp_t gfp, bool *created,
			   void (*init)(struct s2_vm *vm));
void s2_vm_unhash_all(void);
struct s2_vm *s2_vm_gone(struct kvm *kvm);
void s2_vm_get(struct s2_vm *vm);
bool s2_vm_tryget(struct s2_vm *vm);
void s2_vm_put(struct s2_vm *vm);
bool s2_vm_get_kvm(struct s2_vm *vm);
void s2_vm_put_kvm(struct s2_vm *vm);
bool s2_vm_is_dead(struct s2_vm *vm);
int s2_vms_get_all(struct s2_vm ***out, bool published_only);
void s2_vms_put_all(struct s2_vm **vms, int n);
struct s2_vm **s2_vms_all_objects(int *n);

/* Hook-side updates: KVM holds kvm->mmu_lock as each says. */
bool s2_vm_run_extend(struct kvm *kvm, u64 ipa, u64 pa, u64 size, enum s2_attr attr);
bool s2_vm_note_map(struct s2_vm *vm, u64 ipa, u64 pa, u64 size, enum s2_attr attr);
bool s2_vm_note_relax(struct s2_vm *vm, u64 ipa);
bool s2_vm_note_split(struct s2_vm *vm, u64 start, u64 end);
bool s2_vm_unmap(struct s2_vm *vm, u64 start, u64 end);
bool s2_vm_wrprotect(struct s2_vm *vm, u64 start, u64 end);
void s2_vm_clear(struct s2_vm *vm);
void s2_vm_map_done(struct s2_vm *vm, u64 ipa, u64 pa, u64 size, const struct s2_props *p);
void s2_vm_map_failed(struct s2_vm *vm, enum s2_attr attr);
void s2_vm_relax_done(struct s2_vm *vm, u64 ipa, unsigned int perm);
void s2_vm_reserve_fill(struct s2_vm *vm);

/* Settle side: process context, kvm->mmu_lock held for write. */
#define S2_APPLY_NODES(n)	((n) + 4)	/* nodes s2_vm_settle_apply() may take */
void s2_vm_runs_flush(struct s2_vm *vm);

static inline bool s2_vm_has_runs(struct s2_vm *vm)
{
	return READ_ONCE(vm->runs);
}

bool s2_vm_pending_first(struct s2_vm *vm, u64 *start, u64 *end);
void s2_vm_widen(struct s2_vm *vm, u64 *start, u64 *end);
int s2_vm_settle_apply(struct s2_vm *vm, u64 lo, u64 hi, const struct s2_range *walked,
		       unsigned int n, struct s2_pool *pool);
void s2_vm_full_begin(struct s2_vm *vm, u64 *drops);
void s2_vm_full_end(struct s2_vm *vm, u64 drops, bool complete);
bool s2_vm_needs_settle(struct s2_vm *vm);
bool s2_vm_needs_full(struct s2_vm *vm);
void s2_vm_set_unwalkable(struct s2_vm *vm);
void s2_vm_request_full(struct s2_vm *vm);

/* Readers. */
const struct s2_rtree *s2_vm_mapped_locked(struct s2_vm *vm);
const struct s2_rtree *s2_vm_pending_locked(struct s2_vm *vm);
void s2_vm_snapshot(struct s2_vm *vm, struct s2_vm_snap *s);
bool s2_vm_range_from(struct s2_vm *vm, u64 ipa, struct s2_range *out);
typedef void (*s2_range_fn)(const struct s2_range *r, void *arg);
void s2_vm_for_each_mapped(struct s2_vm *vm, u64 start, u64 end, s2_range_fn fn, void *arg);

/* Nodes, within the max_ranges budget. */
int s2_pool_fill(struct s2_pool *pool, unsigned int n, gfp_t gfp);
void s2_pool_release(struct s2_pool *pool);
void s2_pool_release_dead(struct s2_pool *pool);

#endif /* KVM_S2STAT_VM_H */
