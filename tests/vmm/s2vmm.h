/* SPDX-License-Identifier: GPL-2.0 */
/* s2vmm: the kvm-s2stat test VMM.  Shared declarations; see docs/vmm.md and vm.c. */
#ifndef S2VMM_H
#define S2VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_SLOTS	32
#define MAX_VMS		64
#define WRITE_TAG	0x5332000000000000ULL	/* the guest writes WRITE_TAG | GPA */
#define DOORBELL_STRIDE	16			/* bytes of doorbell space per vCPU */

enum slot_kind { SLOT_RAM, SLOT_VFIO, SLOT_RES };

/* One slot of the command line: the host memory, shared by every VM of the process. */
struct slot {
	enum slot_kind kind;
	uint64_t gpa;		/* GPA from the command line */
	uint64_t size;		/* bytes; 0 in the spec means "whole BAR / file" until mapped */
	uint64_t npages;
	char bdf[32];		/* vfio: DDDD:BB:DD.F */
	unsigned int bar;	/* vfio: BAR index */
	char *path;		/* res: file path */
	int alias;		/* alias: the slot whose host memory this one maps, else -1 */
	bool huge;		/* huge: RAM from 1 GiB hugetlb pages (a ram slot otherwise) */
	void *hva;		/* host mapping (size bytes) */
	int devfd;		/* vfio: the device fd (owned by the device table) */
	uint64_t region_off;	/* vfio: offset of the BAR region in the device fd */
	uint64_t *want;		/* last value the guest wrote, per page; 0 = never */
};

/* A page list: ranges of host-page indexes within a slot. */
struct range {
	uint64_t first, step, count;
};

struct pagelist {
	struct range *r;
	size_t n;
	uint64_t total;
};

struct vcpu {
	int fd;
	unsigned int idx;
	void *run;		/* struct kvm_run, mmapped */
};

struct vm {
	int fd;			/* -1: destroyed */
	unsigned int nvcpus;
	struct vcpu *vcpus;
	uint64_t gpa[MAX_SLOTS];	/* current GPA of each slot in this VM */
	bool present[MAX_SLOTS];	/* memslot exists (not deleted) */
	uint32_t flags[MAX_SLOTS];	/* memslot flags (KVM_MEM_LOG_DIRTY_PAGES) */
	volatile bool tolerant;	/* flap: accesses to deleted slots exit to us; go on */
};

/* Process-wide state. */
struct ctx {
	int kvm;
	size_t run_size;
	uint64_t ps;		/* host page size */
	unsigned int ipa_bits;	/* IPA size of every VM */
	unsigned long vm_type;	/* KVM_CREATE_VM argument */
	bool nothp;
	bool mergeable;		/* MADV_MERGEABLE on RAM slots (KSM) */
	bool dev_blocks;	/* device mappings block-aligned: KVM may map them with blocks */
	uint64_t eager_split;	/* KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE for every VM (0: off) */
	unsigned int nvcpus;
	unsigned int nslots;
	struct slot slots[MAX_SLOTS];
	unsigned int nvms;
	struct vm vms[MAX_VMS];
};

extern struct ctx g;

/* util.c */
extern _Thread_local char g_err[512];
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void die(void) __attribute__((noreturn));
int parse_u64(const char *s, uint64_t *out);
int parse_pages(const char *s, uint64_t npages, struct pagelist *pl);
void pagelist_free(struct pagelist *pl);
uint64_t now_ns(void);

/* slot.c */
int slot_parse(const char *arg, struct slot *s);
int slots_map(void);
void slots_unmap(void);
int slot_read_word(const struct slot *s, uint64_t page, uint64_t *val);
const char *slot_kind_name(enum slot_kind k);
int slot_reset(const struct slot *s);

/* vm.c */
int kvm_open(void);
void kvm_close(void);
int vm_create(struct vm *vm);
void vm_destroy(struct vm *vm);
int vm_set_slot(struct vm *vm, unsigned int id, uint64_t gpa, bool present);
int vm_dirty_log(struct vm *vm, unsigned int id, uint64_t *dirty);
#define TOUCH_ALL	-1	/* vm_touch's vcpu: every vCPU runs the whole list */
#define TOUCH_SPLIT	-2	/* every vCPU runs its own share of the list */
int vm_touch(struct vm *vm, unsigned int slot, const struct pagelist *pl, bool write,
	     int vcpu, uint64_t *ns);

/* guest_blob.S */
extern const unsigned char guest_blob[], guest_blob_end[];
#define GUEST_ENTRY 0	/* offset of the guest's entry point in the blob */

#endif
