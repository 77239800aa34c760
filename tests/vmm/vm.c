// SPDX-License-Identifier: GPL-2.0
/*
 * s2vmm: KVM VMs, vCPUs, memslots and the touch engine.
 *
 * Guest program (guest.S, copied to offset 0 of slot 0): runs at EL1h, DAIF masked, MMU
 * off.  It takes its work from registers, not from memory:
 *
 *   x0  doorbell GPA of this vCPU (not backed by any memslot: stores exit with
 *       KVM_EXIT_MMIO)
 *   x1  GPA of the first access, x2 stride in bytes, x3 number of accesses,
 *   x4  0 = read (LDR), else write (STR of WRITE_TAG | GPA)
 *
 * For each range of a page list the VMM sets PC to the entry point and x0..x4 with
 * KVM_SET_ONE_REG, then runs the vCPU until the guest stores to x0 (done).  The guest does
 * exactly one aligned 8-byte access per listed page and no other data access outside its
 * own code page; no mailbox in guest memory means no cache maintenance question for a
 * guest whose MMU (hence cacheability) is off.  The entry point is a NOP, so it does not
 * matter whether KVM advances the PC past the previous doorbell store on re-entry.
 * Exceptions vector (VBAR_EL1 = code + 0x800) to a loop storing ESR_EL1 to x0 + 8.
 *
 * Doorbells: one host page of GPA space that overlaps no slot, chosen per touch (slots
 * move); vCPU i uses doorbell + i * DOORBELL_STRIDE.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "s2vmm.h"

#define CORE_REG(off) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
		       ((off) / sizeof(__u32)))
#define REG_X(n)	CORE_REG(offsetof(struct kvm_regs, regs.regs) + (n) * sizeof(__u64))
#define REG_PC		CORE_REG(offsetof(struct kvm_regs, regs.pc))
#define REG_PSTATE	CORE_REG(offsetof(struct kvm_regs, regs.pstate))
#define REG_FAR_EL1	ARM64_SYS_REG(3, 0, 6, 0, 0)
#define PSTATE_EL1H_MASKED (PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

/* ---- /dev/kvm ---- */

int kvm_open(void)
{
	int ret;

	g.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g.kvm < 0)
		return fail_errno("open /dev/kvm");
	ret = ioctl(g.kvm, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION)
		return fail("KVM API version %d (want %d)", ret, KVM_API_VERSION);
	ret = ioctl(g.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret <= 0)
		return fail_errno("KVM_GET_VCPU_MMAP_SIZE");
	g.run_size = (size_t)ret;
	return 0;
}

void kvm_close(void)
{
	if (g.kvm >= 0)
		close(g.kvm);
	g.kvm = -1;
}

/* ---- registers ---- */

static int set_reg(const struct vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	if (ioctl(v->fd, KVM_SET_ONE_REG, &r))
		return fail_errno("KVM_SET_ONE_REG 0x%llx", (unsigned long long)id);
	return 0;
}

static int get_reg(const struct vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return ioctl(v->fd, KVM_GET_ONE_REG, &r) ? -1 : 0;
}

/* ---- VM life cycle ---- */

int vm_set_slot(struct vm *vm, unsigned int id, uint64_t gpa, bool present)
{
	const struct slot *s = &g.slots[id];
	struct kvm_userspace_memory_region r = {
		.slot = id,
		.guest_phys_addr = gpa,
		.memory_size = present ? s->size : 0,
		.userspace_addr = (uintptr_t)s->hva,
		.flags = present ? vm->flags[id] : 0,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		return fail_errno("KVM_SET_USER_MEMORY_REGION slot %u", id);
	vm->gpa[id] = gpa;
	vm->present[id] = present;
	return 0;
}

static int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int idx,
		       const struct kvm_vcpu_init *init)
{
	v->idx = idx;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)idx);
	if (v->fd < 0)
		return fail_errno("KVM_CREATE_VCPU %u", idx);
	v->run = mmap(NULL, g.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return fail_errno("mmap kvm_run of vCPU %u", idx);
	}
	if (ioctl(v->fd, KVM_ARM_VCPU_INIT, init))
		return fail_errno("KVM_ARM_VCPU_INIT %u", idx);
	return set_reg(v, REG_PSTATE, PSTATE_EL1H_MASKED);
}

static int vcpus_create(struct vm *vm)
{
	struct kvm_vcpu_init init;

	vm->vcpus = calloc(g.nvcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return fail_errno("calloc");
	for (unsigned int i = 0; i < g.nvcpus; i++)
		vm->vcpus[i].fd = -1;
	memset(&init, 0, sizeof(init));
	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &init))
		return fail_errno("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	for (unsigned int i = 0; i < g.nvcpus; i++) {
		vm->nvcpus = i + 1;
		if (vcpu_create(vm, &vm->vcpus[i], i, &init))
			return -1;
	}
	return 0;
}

/*
 * vm_dirty_log() - KVM_GET_DIRTY_LOG of slot @id: *@dirty pages were written since the last
 * call (or since logging started); KVM write-protects them again.
 */
int vm_dirty_log(struct vm *vm, unsigned int id, uint64_t *dirty)
{
	uint64_t n = g.slots[id].npages, words = (n + 63) / 64, *bm = calloc(words, 8);
	struct kvm_dirty_log log = { .slot = id, .dirty_bitmap = bm };

	if (!bm)
		return fail_errno("calloc");
	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log)) {
		free(bm);
		return fail_errno("KVM_GET_DIRTY_LOG slot %u", id);
	}
	*dirty = 0;
	for (uint64_t i = 0; i < words; i++)
		*dirty += (uint64_t)__builtin_popcountll(bm[i]);
	free(bm);
	return 0;
}

#ifndef KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE
#define KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE 228
#endif

/* A new VM with every slot at its command-line GPA. */
int vm_create(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	do
		vm->fd = ioctl(g.kvm, KVM_CREATE_VM, g.vm_type);
	while (vm->fd < 0 && errno == EINTR);
	if (vm->fd < 0)
		return fail_errno("KVM_CREATE_VM");
	if (g.eager_split) {
		/* Before any memslot: dirty logging then splits blocks at once (6.5+). */
		struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE,
					      .args = { g.eager_split } };

		if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap)) {
			fail_errno("KVM_ENABLE_CAP EAGER_SPLIT_CHUNK_SIZE %llu",
				   (unsigned long long)g.eager_split);
			goto err;
		}
	}
	for (unsigned int i = 0; i < g.nslots; i++) {
		if (vm_set_slot(vm, i, g.slots[i].gpa, true))
			goto err;
	}
	if (vcpus_create(vm))
		goto err;
	return 0;
err:
	vm_destroy(vm);
	return -1;
}

/* Drops every reference to the VM (vCPU fds, kvm_run mappings, VM fd): KVM frees it. */
void vm_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, g.run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nvcpus = 0;
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
}

/* ---- touch ---- */

struct job {
	struct vm *vm;
	struct vcpu *vcpu;
	uint64_t base;		/* GPA of page 0 of the slot */
	uint64_t doorbell;	/* this vCPU's doorbell */
	const struct pagelist *pl;
	bool write;
	uint64_t done;		/* accesses completed, in list order */
	uint64_t t0, t1;
	int rc;
	char err[sizeof(g_err)];
};

/* The lowest page of GPA space below the IPA limit that overlaps no slot of the VM. */
static int pick_doorbell(const struct vm *vm, uint64_t *gpa)
{
	uint64_t db = 0, limit = 1ULL << g.ipa_bits;
	bool moved = true;

	while (moved) {
		moved = false;
		for (unsigned int i = 0; i < g.nslots; i++) {
			uint64_t s = vm->gpa[i], e = s + g.slots[i].size;

			if (db < e && db + g.ps > s) {
				db = e;
				moved = true;
			}
		}
	}
	if (db + g.ps > limit)
		return fail("no free GPA page for the doorbell");
	*gpa = db;
	return 0;
}

static int range_regs(const struct job *j, const struct range *r)
{
	const struct vcpu *v = j->vcpu;

	if (set_reg(v, REG_PC, j->vm->gpa[0] + GUEST_ENTRY) ||
	    set_reg(v, REG_X(0), j->doorbell) ||
	    set_reg(v, REG_X(1), j->base + r->first * g.ps) ||
	    set_reg(v, REG_X(2), r->step * g.ps) ||
	    set_reg(v, REG_X(3), r->count) ||
	    set_reg(v, REG_X(4), j->write))
		return -1;
	return 0;
}

/* Accesses of the current range done so far, from the guest's remaining count (x3). */
static uint64_t range_done(const struct job *j, const struct range *r)
{
	uint64_t left;

	if (get_reg(j->vcpu, REG_X(3), &left) || left > r->count)
		return 0;
	return r->count - left;
}

static int guest_exception(const struct job *j, uint64_t esr)
{
	uint64_t far = 0, pc = 0;

	get_reg(j->vcpu, REG_FAR_EL1, &far);
	get_reg(j->vcpu, CORE_REG(offsetof(struct kvm_regs, elr_el1)), &pc);
	return fail("guest exception esr=0x%llx far=0x%llx elr=0x%llx",
		    (unsigned long long)esr, (unsigned long long)far, (unsigned long long)pc);
}

/* Runs the vCPU until the guest rings the doorbell; *done = accesses done in r. */
static int run_range(struct job *j, const struct range *r, uint64_t *done)
{
	struct kvm_run *run = j->vcpu->run;
	uint64_t data;

	*done = 0;
	if (range_regs(j, r))
		return -1;
	for (;;) {
		if (!j->t0)
			j->t0 = now_ns();
		if (ioctl(j->vcpu->fd, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail_errno("KVM_RUN");
			*done = range_done(j, r);
			return -1;
		}
		if (run->exit_reason != KVM_EXIT_MMIO) {
			*done = range_done(j, r);
			return fail("unexpected exit reason %u", run->exit_reason);
		}
		if (run->mmio.phys_addr == j->doorbell) {
			*done = r->count;
			return 0;
		}
		if (j->vm->tolerant && run->mmio.phys_addr != j->doorbell + 8)
			continue;	/* a slot being flapped: the access completes as MMIO */
		*done = range_done(j, r);
		if (run->mmio.phys_addr == j->doorbell + 8 && run->mmio.is_write) {
			memcpy(&data, run->mmio.data, sizeof(data));
			return guest_exception(j, data);
		}
		return fail("guest access to unbacked GPA 0x%llx",
			    (unsigned long long)run->mmio.phys_addr);
	}
}

static void run_job(struct job *j)
{
	uint64_t done;

	for (size_t i = 0; i < j->pl->n; i++) {
		j->rc = run_range(j, &j->pl->r[i], &done);
		j->done += done;
		if (j->rc) {
			memcpy(j->err, g_err, sizeof(j->err));
			break;
		}
	}
	j->t1 = now_ns();
}

static void *job_thread(void *arg)
{
	run_job(arg);
	return NULL;
}

/* Runs the jobs, one thread per vCPU when there are several. */
static int run_jobs(struct job *jobs, unsigned int n)
{
	pthread_t *tids;
	unsigned int started = 0;
	int rc;

	if (n == 1) {
		run_job(&jobs[0]);
		return 0;
	}
	tids = calloc(n, sizeof(*tids));
	if (!tids)
		return fail_errno("calloc");
	for (; started < n; started++) {
		rc = pthread_create(&tids[started], NULL, job_thread, &jobs[started]);
		if (rc) {
			errno = rc;
			fail_errno("pthread_create");
			break;
		}
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return started == n ? 0 : -1;
}

/* Remembers what the guest wrote to the first `done` pages of the list. */
static int record_writes(const struct vm *vm, unsigned int id, const struct pagelist *pl,
			 uint64_t done)
{
	struct slot *s = &g.slots[id];

	if (!s->want) {
		s->want = calloc(s->npages, sizeof(*s->want));
		if (!s->want)
			return fail_errno("calloc");
	}
	for (size_t i = 0; i < pl->n && done; i++) {
		const struct range *r = &pl->r[i];

		for (uint64_t k = 0; k < r->count && done; k++, done--) {
			uint64_t page = r->first + k * r->step;

			s->want[page] = WRITE_TAG | (vm->gpa[id] + page * g.ps);
		}
	}
	return 0;
}

/*
 * Touches the pages of pl in slot `id` from vCPU `vcpu` (-1: every vCPU, concurrently).
 * Returns 0 or -1; *ns is the time from the first KVM_RUN to the last completion.
 * On error g_err ends with "(done=N)", N being the accesses done in list order (the
 * smallest over the vCPUs).
 */
/* Share @i of @n of the list @pl: each range cut into @n consecutive parts, part @i of each. */
static int split_list(const struct pagelist *pl, unsigned int i, unsigned int n,
		      struct pagelist *out)
{
	out->r = calloc(pl->n ? pl->n : 1, sizeof(*out->r));
	out->n = 0;
	out->total = 0;
	if (!out->r)
		return fail_errno("calloc");
	for (size_t k = 0; k < pl->n; k++) {
		const struct range *r = &pl->r[k];
		uint64_t a = r->count * i / n, b = r->count * (i + 1) / n;

		if (a == b)
			continue;
		out->r[out->n++] = (struct range){ .first = r->first + a * r->step,
						   .step = r->step, .count = b - a };
		out->total += b - a;
	}
	return 0;
}

int vm_touch(struct vm *vm, unsigned int id, const struct pagelist *pl, bool write,
	     int vcpu, uint64_t *ns)
{
	unsigned int n = vcpu < 0 ? vm->nvcpus : 1, first = vcpu < 0 ? 0 : (unsigned int)vcpu;
	uint64_t db = 0, t0 = UINT64_MAX, t1 = 0, done = UINT64_MAX, maxdone = 0;
	const struct job *bad = NULL;
	struct pagelist *shares = NULL;
	struct job *jobs;
	int rc = 0;

	if (pick_doorbell(vm, &db))
		return -1;
	jobs = calloc(n, sizeof(*jobs));
	if (vcpu == TOUCH_SPLIT)
		shares = calloc(n, sizeof(*shares));
	if (!jobs || (vcpu == TOUCH_SPLIT && !shares)) {
		free(jobs);
		return fail_errno("calloc");
	}
	for (unsigned int i = 0; i < n && !rc; i++) {
		struct vcpu *v = &vm->vcpus[first + i];

		if (shares)
			rc = split_list(pl, i, n, &shares[i]);
		jobs[i] = (struct job){ .vm = vm, .vcpu = v, .base = vm->gpa[id],
					.pl = shares ? &shares[i] : pl, .write = write,
					.doorbell = db + v->idx * DOORBELL_STRIDE };
	}
	if (!rc)
		rc = run_jobs(jobs, n);
	for (unsigned int i = 0; i < n; i++) {
		const struct job *j = &jobs[i];

		t0 = j->t0 && j->t0 < t0 ? j->t0 : t0;
		t1 = j->t1 > t1 ? j->t1 : t1;
		done = j->done < done ? j->done : done;
		maxdone = j->done > maxdone ? j->done : maxdone;
		if (j->rc && !bad)
			bad = j;
	}
	if (bad)
		rc = fail("%s (done=%llu)", bad->err, (unsigned long long)done);
	else if (rc)
		rc = fail("%s (done=%llu)", g_err, (unsigned long long)done);
	/* A split list is recorded once every share completed. */
	if (shares)
		maxdone = rc ? 0 : pl->total;
	if (write && maxdone && record_writes(vm, id, pl, maxdone))
		rc = -1;
	*ns = t1 > t0 ? t1 - t0 : 0;
	for (unsigned int i = 0; shares && i < n; i++)
		pagelist_free(&shares[i]);
	free(shares);
	free(jobs);
	return rc;
}
