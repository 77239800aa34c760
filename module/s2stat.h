/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat internal interfaces.
 *
 * Locking (outermost first):
 *   s2_vms_mutex      process context only: VM directory creation/removal, discovery
 *   kvm->mmu_lock     held by KVM around every probed call; taken by the walker
 *   s2_vms_lock       raw spinlock: the VM hash and each VM's ->dead flag
 *   vm->lock          raw spinlock: a VM's range tree and counters
 * Probe handlers run with preemption disabled under KVM's mmu_lock and take only the two raw
 * spinlocks, never both at once, and allocate only with GFP_ATOMIC within the budget.
 */
#ifndef KVM_S2STAT_H
#define KVM_S2STAT_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <kvm_s2stat/decode.h>

#define S2STAT_VERSION		"0.1.0"
#define S2_VM_NAME_LEN		32

struct kvm;
struct dentry;
struct kvm_pgtable;

/* Mapping classes. */
enum s2_class {
	S2_CLASS_VFIO_IDX = 0,
	S2_CLASS_OTHER_IDX = 1,
	S2_CLASS_NR = 2,	/* tracked classes */
	S2_CLASS_RAM_IDX = 2,	/* the table file only */
};

#define S2_NO_BDF	U32_MAX
#define S2_NO_BAR	0xff

/* Where a device-memory range comes from: its PCI BAR, if any. */
struct s2_src {
	u32 bdf;		/* domain << 16 | bus << 8 | devfn, or S2_NO_BDF */
	u8 bar;			/* 0..5, or S2_NO_BAR */
	u8 drv;			/* index in the driver-name table, 0 = none */
	u8 class;		/* enum s2_class */
};

/* The properties that must be equal for leaves to coalesce into one range. */
struct s2_props {
	struct s2_src src;
	u8 attr;		/* enum s2_attr */
	u8 perm;		/* S2_PERM_* */
	s8 level;		/* leaf level */
	u8 memattr;		/* descriptor MemAttr[3:0] */
};

/* A maximal run of leaves, contiguous in IPA and PA, with equal properties. */
struct s2_range {
	union {
		struct rb_node node;
		struct list_head dead;	/* unlinked, to be freed outside vm->lock */
	};
	u64 ipa;
	u64 pa;
	u64 size;
	struct s2_props p;
};

struct s2_vm {
	struct hlist_node hnode;	/* s2_vm_hash, RCU */
	struct list_head list;		/* s2_vm_list, under s2_vms_lock */
	struct kvm *kvm;		/* not a reference: valid while !dead */
	struct kref ref;		/* base ref + open files + queued work */
	struct rcu_head rcu;
	bool dead;			/* under s2_vms_lock: KVM is destroying the VM */
	bool published, retired;	/* under s2_vms_mutex */

	raw_spinlock_t lock;
	struct rb_root ranges;
	struct s2_range *hint;		/* last range touched, for O(1) extension */
	u64 gib_mask;			/* bit n: a range touched IPA GiB n (63: >= 63 GiB) */

	/* Counters, under lock. */
	u64 pages[S2_CLASS_NR][S2_ATTR_NR];
	u64 nranges, page_leaves, block_leaves;
	u64 failed[S2_ATTR_NR];
	u64 drops, resyncs;
	bool inexact;

	/* Identity, set once at publication (process context). */
	pid_t pid;
	int fd;
	char name[S2_VM_NAME_LEN];
	bool walked;			/* found at load time by a walk */
	struct dentry *dir;

	struct work_struct work;	/* publish, or retire once dead */
	struct delayed_work resync_work;
	unsigned int resync_backoff;	/* seconds */
};

/* Module-wide counters (stats file). */
struct s2_stats {
	atomic64_t probe_map_device, probe_map_failed;
	atomic64_t probe_unmap, probe_perm, probe_destroy;
	atomic64_t drops, resyncs, vms_seen, vms_gone;
	atomic64_t walk_max_hold_ns;	/* longest kvm->mmu_lock hold of a walk chunk */
	atomic_t ranges;
	atomic_t vms;
};

extern struct s2_stats s2_stats;
extern unsigned int s2_max_ranges;
extern bool s2_fwb, s2_lpa2, s2_xnx;
extern const struct s2_prot_layout s2_prot;
extern const char *s2_discovery;
extern struct mutex s2_vms_mutex;

/* vm.c: VM objects and range tracking. */
struct s2_vm *s2_vm_lookup(struct kvm *kvm);
struct s2_vm *s2_vm_get_or_create(struct kvm *kvm);
void s2_vm_gone(struct kvm *kvm);
void s2_vm_put(struct s2_vm *vm);
bool s2_vm_get_kvm(struct s2_vm *vm);
void s2_vm_map(struct s2_vm *vm, u64 ipa, u64 pa, u64 size, const struct s2_props *p);
void s2_vm_unmap(struct s2_vm *vm, u64 ipa, u64 size);
void s2_vm_set_perm(struct s2_vm *vm, u64 ipa, u64 size, unsigned int set, unsigned int clr,
		    bool one_leaf);
void s2_vm_clear(struct s2_vm *vm);
void s2_vm_failed(struct s2_vm *vm, enum s2_attr attr);
void s2_vm_drop(struct s2_vm *vm);
void s2_vm_schedule_resync(struct s2_vm *vm, unsigned long delay);
void s2_vm_replace(struct s2_vm *vm, u64 start, u64 end, struct s2_range **walked,
		   unsigned int n, struct list_head *spare);
long s2_vm_replace_cost(struct s2_vm *vm, u64 start, u64 end, unsigned int walked);
void s2_vm_add_walked(struct kvm *kvm);
int s2_vms_get_all(struct s2_vm ***out);
struct s2_range *s2_range_first_from(struct s2_vm *vm, u64 ipa);
struct s2_range *s2_range_next(struct s2_range *r);
struct s2_range *s2_range_alloc(gfp_t gfp);
struct s2_range *s2_range_alloc_over(gfp_t gfp, unsigned int slack);
void s2_vm_trace_name(struct s2_vm *vm, char *buf);
void s2_range_free(struct s2_range *r);
int s2_vm_init(void);
void s2_vm_drain(void);
void s2_vm_exit(void);
unsigned int s2_level_of(u64 ipa, u64 pa, u64 size);
bool s2_props_eq(const struct s2_props *a, const struct s2_props *b);

static inline u64 s2_gib_bits(u64 start, u64 end)
{
	return GENMASK_ULL(min_t(u64, (end - 1) >> 30, 63), min_t(u64, start >> 30, 63));
}

size_t s2_bytes_held(void);

/* pci.c: PCI BAR table for VFIO attribution. */
void s2_pci_lookup(u64 pa, struct s2_src *src);
const char *s2_pci_driver_name(u8 drv);
unsigned int s2_pci_bars(unsigned int *vfio);
size_t s2_pci_bytes(void);
int s2_pci_init(void);
void s2_pci_exit(void);

/* walk.c: the stage-2 walker (the referee), verify, resync, table dump, discovery. */
struct s2_buf {
	char *data;
	size_t len, size;
};

int s2_walk_verify(struct s2_vm *vm, struct s2_buf *out);
int s2_walk_table(struct s2_vm *vm, struct s2_buf *out);
int s2_walk_resync(struct s2_vm *vm);
void s2_discover(void);
__printf(2, 3) void s2_buf_printf(struct s2_buf *b, const char *fmt, ...);
bool s2_buf_grow(struct s2_buf *b, size_t size);

/* debugfs.c */
int s2_debugfs_init(void);
void s2_debugfs_exit(void);
void s2_debugfs_add_vm(struct s2_vm *vm);
void s2_debugfs_remove_vm(struct s2_vm *vm);

/* probes.c */
int s2_probes_init(void);
void s2_probes_exit(void);
unsigned long s2_probes_missed(void);
u64 s2_probe_map_count(void);
const char *s2_kvm_mode(void);
extern const char *s2_ret_hook;

#endif /* KVM_S2STAT_H */
