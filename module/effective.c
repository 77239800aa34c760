// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat effective memory types (effective.h): the memory type a guest access to its
 * device memory really gets, its own stage-1 mapping combined with KVM's stage 2.
 *
 * Reading <vm>/effective (docs/debugfs.md) does, with a reference on the VM:
 *  1. settle the VM (its tracked stage-2 state equals the table), copy its memslots and mark
 *     the device ones (the VMA behind them is VM_PFNMAP or VM_IO) with the attribute KVM
 *     will give their pages (compat.h, s2_vma_device_attr());
 *  2. capture every vCPU's TTBR0/TTBR1/TCR/MAIR/SCTLR in its own thread (capture.c): the
 *     kernel root from a capture at EL1, the user roots (TTBR0 with its ASID) from any;
 *  3. walk each root's stage-1 table in guest memory (memslot -> host address in the VMM's
 *     mm -> get_user_pages_remote(), one table copied at a time), every descriptor bounded
 *     by its table, every table address by the memslots; a leaf whose output range meets a
 *     device memslot becomes rows: its stage-2 state from the tracked ranges (mapped: the
 *     descriptor's MemAttr; not mapped yet: what it will get), the effective type from
 *     include/kvm_s2stat/decode.h (s2_effective());
 *  4. capture again: a root is reported only if it is still current on a vCPU after the
 *     walk (the kernel's TTBR1 table; a user root's TTBR0 and ASID), never on plausibility.
 *
 * Bounds: at most effective_budget descriptors per read (module parameter): the user roots
 * share half of it, the kernel's root has the rest; within a table, each valid entry is
 * guaranteed half of an equal share and may use all but the shares guaranteed to the
 * entries after it, so that a huge linear map cannot starve the vmalloc area where
 * ioremap()s live, nor is a linear map cut at an equal share; a cut walk says "partial".  No KVM
 * lock is held while walking (the tracked state is read under vm->lock per lookup, guest
 * memory through page references), memslots only under SRCU while copied.  At most
 * S2_EFF_MAX_ROWS rows; the report's buffer has a fixed size.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/srcu.h>

#include <kvm_s2stat/format.h>

#include "attrib.h"
#include "capture.h"
#include "compat.h"
#include "effective.h"
#include "lifecycle.h"
#include "s2stat.h"
#include "vm.h"

#define S2_EFF_MAX_SLOTS	512
#define S2_EFF_MAX_ROOTS	8		/* user roots walked per read */
#define S2_EFF_MAX_ROWS		1024
#define S2_EFF_REPORT_SIZE	(256 << 10)
#define S2_EFF_CAP_MIN_MS	40
#define S2_EFF_CAP_MAX_MS	500
#define S2_EFF_MAX_LEVELS	5		/* -1..3 */

static unsigned int s2_eff_budget = 1U << 21;
module_param_named(effective_budget, s2_eff_budget, uint, 0644);
MODULE_PARM_DESC(effective_budget, "stage-1 descriptors one read of <vm>/effective may visit (default 2097152)");

/* A memslot, copied. */
struct s2_eslot {
	u64 gpa, end;			/* guest physical range */
	unsigned long hva;
	bool device;			/* VM_PFNMAP or VM_IO behind it */
	bool src_known;			/* a page of it is mapped at stage 2: its BAR is known */
	u8 will;			/* enum s2_attr of its pages at stage 2 (NR: none) */
	struct s2_src src;
};

enum s2_root_status { S2_RS_OK, S2_RS_PARTIAL, S2_RS_STALE, S2_RS_UNAVAILABLE, S2_RS_DISABLED };

static const char * const s2_rs_names[] = {
	[S2_RS_OK] = "ok", [S2_RS_PARTIAL] = "partial", [S2_RS_STALE] = "stale",
	[S2_RS_UNAVAILABLE] = "unavailable", [S2_RS_DISABLED] = "disabled",
};

struct s2_eroot {
	struct s2_vcpu_regs regs;
	struct s2_s1_regime r;
	bool upper;			/* the kernel's half (TTBR1) */
	u8 status;
	u32 row_first, nrows;
	u64 descs, tables, unreadable;
	bool cut;
	u64 *buf[S2_EFF_MAX_LEVELS];	/* one table per level */
	u16 asids[8];			/* a user root's ASIDs (KPTI: two per process) */
	unsigned int nasids;
};

struct s2_erow {
	u64 va, ipa, size;
	struct s2_src src;
	u8 root, mair_attr, memattr;
	bool mapped, s1ok, effok;
	u8 s1mt, effmt;
};

struct s2_eff {
	struct s2_vm *vm;
	struct kvm *kvm;
	struct mm_struct *mm;
	struct s2_eslot *slots;		/* sorted by gpa */
	unsigned int nslots;
	unsigned int *dev;		/* indexes of the device slots, sorted */
	unsigned int ndev;
	bool slots_cut;
	struct s2_erow *rows;
	unsigned int nrows;
	u64 rows_dropped;
	struct s2_eroot roots[1 + S2_EFF_MAX_ROOTS];
	unsigned int nroots;
	unsigned int vcpus, captured;
	u64 refused, descs, tables, walk_ns, capture_ns;
	const char *reason;
};

/* ---- memslots ---- */

static int slot_cmp(const void *a, const void *b)
{
	const struct s2_eslot *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* Copy the VM's memslots (address space 0) under SRCU; at most S2_EFF_MAX_SLOTS. */
static int copy_slots(struct s2_eff *e)
{
	struct kvm_memory_slot *ms;
	struct kvm_memslots *slots;
	int idx, bkt;

	e->slots = kvmalloc_array(S2_EFF_MAX_SLOTS, sizeof(*e->slots), GFP_KERNEL);
	e->dev = kvmalloc_array(S2_EFF_MAX_SLOTS, sizeof(*e->dev), GFP_KERNEL);
	if (!e->slots || !e->dev)
		return -ENOMEM;
	idx = srcu_read_lock(&e->kvm->srcu);
	slots = kvm_memslots(e->kvm);
	kvm_for_each_memslot(ms, bkt, slots) {
		if (e->nslots == S2_EFF_MAX_SLOTS) {
			e->slots_cut = true;
			break;
		}
		e->slots[e->nslots++] = (struct s2_eslot){
			.gpa = (u64)ms->base_gfn << PAGE_SHIFT,
			.end = ((u64)ms->base_gfn + ms->npages) << PAGE_SHIFT,
			.hva = ms->userspace_addr,
			.will = S2_ATTR_NR,
		};
	}
	srcu_read_unlock(&e->kvm->srcu, idx);
	sort(e->slots, e->nslots, sizeof(*e->slots), slot_cmp, NULL);
	return 0;
}

/* Which slots are device memory, and what will their pages get at stage 2? */
static int classify_slots(struct s2_eff *e)
{
	unsigned int i;
	int ret;

	ret = mmap_read_lock_killable(e->mm);
	if (ret)
		return ret;
	for (i = 0; i < e->nslots; i++) {
		struct s2_eslot *s = &e->slots[i];
		struct vm_area_struct *vma = vma_lookup(e->mm, s->hva);

		if (!vma || !(vma->vm_flags & (VM_PFNMAP | VM_IO)))
			continue;
		s->device = true;
		s->will = s2_vma_device_attr(vma);
		e->dev[e->ndev++] = i;
	}
	mmap_read_unlock(e->mm);

	/* A device slot maps one BAR mmap: a page of it mapped at stage 2 names the BAR. */
	for (i = 0; i < e->ndev; i++) {
		struct s2_eslot *s = &e->slots[e->dev[i]];
		struct s2_range r;

		if (s2_vm_range_from(e->vm, s->gpa, &r) && r.ipa < s->end) {
			s->src = r.p.src;
			s->src_known = true;
		}
	}
	return 0;
}

/* The slot holding @gpa, or NULL. */
static struct s2_eslot *find_slot(struct s2_eff *e, u64 gpa)
{
	unsigned int lo = 0, hi = e->nslots;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (e->slots[mid].end <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < e->nslots && e->slots[lo].gpa <= gpa ? &e->slots[lo] : NULL;
}

/* The first device slot ending above @gpa (index in e->dev), or e->ndev. */
static unsigned int first_dev(struct s2_eff *e, u64 gpa)
{
	unsigned int lo = 0, hi = e->ndev;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (e->slots[e->dev[mid]].end <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- guest memory ---- */

/*
 * Copy @n descriptors of the table at guest physical @tpa into @buf (native byte order):
 * only from RAM memslots, a host page at a time through the VMM's mm.
 */
static bool copy_table(struct s2_eff *e, const struct s2_eroot *rt, u64 tpa, u64 n, u64 *buf)
{
	u64 off = 0, bytes = n * sizeof(u64), i;

	while (off < bytes) {
		u64 gpa = tpa + off, chunk = min(bytes - off, PAGE_SIZE - (gpa & ~PAGE_MASK));
		struct s2_eslot *s = find_slot(e, gpa);
		struct page *page;
		void *va;
		long got;

		if (!s || s->device)
			return false;
		if (mmap_read_lock_killable(e->mm))
			return false;
		got = s2_gup_remote_one(e->mm, s->hva + ((gpa - s->gpa) & PAGE_MASK), &page);
		mmap_read_unlock(e->mm);
		if (got != 1)
			return false;
		va = kmap_local_page(page);
		memcpy((u8 *)buf + off, (u8 *)va + (gpa & ~PAGE_MASK), chunk);
		kunmap_local(va);
		put_page(page);
		off += chunk;
	}
	/* SCTLR_EL1.EE: the guest's table walks are big-endian. */
	for (i = 0; i < n; i++)
		buf[i] = (rt->regs.sctlr & SCTLR_ELx_EE) ? be64_to_cpu((__force __be64)buf[i]) :
			 le64_to_cpu((__force __le64)buf[i]);
	return true;
}

/* ---- rows ---- */

static bool row_joins(const struct s2_erow *a, const struct s2_erow *b)
{
	return a->root == b->root && a->va + a->size == b->va && a->ipa + a->size == b->ipa &&
	       a->mair_attr == b->mair_attr && a->memattr == b->memattr &&
	       a->mapped == b->mapped && a->src.bdf == b->src.bdf && a->src.bar == b->src.bar &&
	       a->src.class == b->src.class;
}

static void emit(struct s2_eff *e, struct s2_eroot *rt, u64 va, u64 ipa, u64 size,
		 unsigned int mair_attr, bool mapped, unsigned int memattr,
		 const struct s2_src *src)
{
	struct s2_erow row = {
		.va = va, .ipa = ipa, .size = size, .src = *src, .root = rt - e->roots,
		.mair_attr = mair_attr, .memattr = memattr, .mapped = mapped,
	};
	struct s2_mtype s1, eff;

	row.s1ok = s2_s1_mtype(mair_attr, &s1);
	if (row.s1ok) {
		row.s1mt = s2_mtype_mt(&s1);
		row.effok = memattr <= 0xf && s2_effective(&s1, memattr, s2_fwb, &eff);
		if (row.effok)
			row.effmt = s2_mtype_mt(&eff);
	}
	if (rt->nrows && row_joins(&e->rows[e->nrows - 1], &row)) {
		e->rows[e->nrows - 1].size += size;
		return;
	}
	if (e->nrows == S2_EFF_MAX_ROWS) {
		e->rows_dropped++;
		return;
	}
	if (!rt->nrows)
		rt->row_first = e->nrows;
	e->rows[e->nrows++] = row;
	rt->nrows++;
}

static const struct s2_src s2_no_src = {
	.bdf = S2_NO_BDF, .bar = S2_NO_BAR, .class = S2_CLASS_OTHER_IDX,
};

/* A stage-1 leaf: the parts of [oa, oa + size) in device memslots, with their stage 2. */
static void leaf(struct s2_eff *e, struct s2_eroot *rt, u64 va, u64 desc, int level)
{
	u64 size = 1ULL << s2_level_shift(level, rt->r.page_shift);
	u64 oa = s2_desc_addr(desc, level, rt->r.page_shift, rt->r.ds);
	unsigned int attr = s2_mair_attr(rt->regs.mair, s2_s1_attridx(desc));
	unsigned int d;

	for (d = first_dev(e, oa); d < e->ndev; d++) {
		const struct s2_eslot *s = &e->slots[e->dev[d]];
		u64 pos = max(oa, s->gpa), hi = min(oa + size, s->end);

		if (s->gpa >= oa + size)
			break;
		while (pos < hi) {
			struct s2_range r;
			u64 end = hi;

			if (s2_vm_range_from(e->vm, pos, &r) && r.ipa < hi) {
				if (r.ipa > pos) {
					end = r.ipa;
				} else {
					end = min(hi, s2_range_end(&r));
					emit(e, rt, va + (pos - oa), pos, end - pos, attr, true,
					     r.p.memattr, &r.p.src);
					pos = end;
					continue;
				}
			}
			/* Not mapped at stage 2 yet: the type its first touch will get. */
			emit(e, rt, va + (pos - oa), pos, end - pos, attr, false,
			     s->will < S2_ATTR_NR ? s2_attr_memattr(s->will, s2_fwb) : 0xff,
			     s->src_known ? &s->src : &s2_no_src);
			pos = end;
		}
	}
}

/*
 * Walk the table at @tpa, @n descriptors at @level mapping VAs from @va, within @budget
 * descriptors.  Returns the descriptors used.  The budget left after reading the table is
 * shared between its valid entries: each subtree is guaranteed half of an equal part
 * (floor), and may use what is left beyond the floors of the subtrees after it.  A huge
 * linear map therefore cannot starve the vmalloc area where ioremap()s live, and a linear
 * map is not held to an equal share because it comes first.
 */
static u64 walk(struct s2_eff *e, struct s2_eroot *rt, u64 tpa, int level, u64 va, u64 n,
		u64 budget)
{
	unsigned int shift = s2_level_shift(level, rt->r.page_shift);
	u64 *t = rt->buf[level + 1], i, valid = 0, used = n, floor;

	if (budget < n) {
		rt->cut = true;
		return 0;
	}
	if (fatal_signal_pending(current) || !copy_table(e, rt, tpa, n, t)) {
		rt->unreadable++;
		return n;
	}
	rt->tables++;
	rt->descs += n;
	for (i = 0; i < n; i++)
		valid += t[i] & 1;
	floor = valid ? (budget - used) / (2 * valid) : 0;
	for (i = 0; i < n && valid; i++) {
		u64 desc = t[i], vai = va + (i << shift);

		if (!(desc & 1))
			continue;
		if (level < S2_LEAF_LEVEL && (desc & 3) == 3) {
			/* The child fills the next level's buffer; t stays this level's. */
			used += walk(e, rt, s2_desc_addr(desc, level, rt->r.page_shift, rt->r.ds),
				     level + 1, vai, 1ULL << (rt->r.page_shift - 3),
				     budget - used - (valid - 1) * floor);
		} else if (level == S2_LEAF_LEVEL ? (desc & 3) == 3 :
			   ((desc & 3) == 1 && s2_s1_block_ok(level, &rt->r))) {
			leaf(e, rt, vai, desc, level);
		}
		valid--;
	}
	cond_resched();
	return used;
}

static void walk_root(struct s2_eff *e, struct s2_eroot *rt, u64 budget)
{
	u64 ttbr = rt->upper ? rt->regs.ttbr1 : rt->regs.ttbr0;
	int l;

	if (!s2_s1_regime(rt->regs.tcr, rt->upper, &rt->r)) {
		rt->status = S2_RS_UNAVAILABLE;
		return;
	}
	if (rt->r.disabled) {
		rt->status = S2_RS_DISABLED;
		return;
	}
	for (l = rt->r.start_level; l <= S2_LEAF_LEVEL; l++) {
		rt->buf[l + 1] = kvmalloc(l == rt->r.start_level ? rt->r.root_entries * 8 :
					  1UL << rt->r.page_shift, GFP_KERNEL);
		if (!rt->buf[l + 1]) {
			rt->status = S2_RS_UNAVAILABLE;
			goto out;
		}
	}
	walk(e, rt, s2_ttbr_table(ttbr, &rt->r), rt->r.start_level, rt->r.va_base,
	     rt->r.root_entries, budget);
	if (rt->cut || rt->unreadable)
		rt->status = S2_RS_PARTIAL;
out:
	for (l = 0; l < S2_EFF_MAX_LEVELS; l++) {
		kvfree(rt->buf[l]);
		rt->buf[l] = NULL;
	}
}

/* ---- roots ---- */

static struct s2_capture *cap_alloc(struct s2_eff *e)
{
	struct s2_capture *c = kvzalloc(struct_size(c, slot, e->vcpus), GFP_KERNEL);

	if (c) {
		c->kvm = e->kvm;
		c->nvcpus = e->vcpus;
	}
	return c;
}

/* How often captures at EL1 (all vCPUs) showed the kernel root of @k. */
static u64 kernel_votes(const struct s2_capture *c, const struct s2_vcpu_regs *k)
{
	unsigned int v, i;
	u64 n = 0;

	for (v = 0; v < c->nvcpus; v++)
		for (i = 0; i < c->slot[v].nkern; i++)
			if (s2_cap_same_kernel(&c->slot[v].kern[i], k))
				n += c->slot[v].kern[i].seen;
	return n;
}

static bool has_asid(const struct s2_eroot *rt, u16 asid)
{
	unsigned int i;

	for (i = 0; i < rt->nasids; i++)
		if (rt->asids[i] == asid)
			return true;
	return false;
}

/* Merge user capture @u into the user roots (one per TTBR0 table, with its ASIDs). */
static void add_user_root(struct s2_eff *e, const struct s2_vcpu_regs *u)
{
	unsigned int j, old = 1;
	struct s2_eroot *rt;

	for (j = 1; j < e->nroots; j++) {
		rt = &e->roots[j];
		if (s2_ttbr_base(rt->regs.ttbr0) == s2_ttbr_base(u->ttbr0)) {
			/* KPTI gives one address space two ASIDs (kernel and user). */
			if (!has_asid(rt, s2_cap_asid(u)) && rt->nasids < ARRAY_SIZE(rt->asids))
				rt->asids[rt->nasids++] = s2_cap_asid(u);
			rt->regs.last_ns = max(rt->regs.last_ns, u->last_ns);
			rt->regs.seen += u->seen;
			return;
		}
		if (rt->regs.last_ns < e->roots[old].regs.last_ns)
			old = j;
	}
	if (e->nroots < ARRAY_SIZE(e->roots))
		old = e->nroots++;
	else if (e->roots[old].regs.last_ns >= u->last_ns)
		return;		/* keep the most recently seen ones */
	e->roots[old] = (struct s2_eroot){ .regs = *u, .status = S2_RS_OK, .nasids = 1 };
	e->roots[old].asids[0] = s2_cap_asid(u);
}

/*
 * The kernel root: the (TTBR1 table, TCR) most often seen at EL1 (a capture that landed in a
 * KPTI trampoline is outvoted); the user roots: each TTBR0 table seen, with its ASIDs, at
 * most S2_EFF_MAX_ROOTS, the most recently seen.
 */
static void pick_roots(struct s2_eff *e, const struct s2_capture *c)
{
	const struct s2_vcpu_regs *k = NULL;
	u64 best = 0, n;
	unsigned int v, i;

	e->roots[0].upper = true;
	e->roots[0].status = S2_RS_UNAVAILABLE;
	e->nroots = 1;
	for (v = 0; v < c->nvcpus; v++) {
		const struct s2_cap_slot *s = &c->slot[v];

		if (s->captures)
			e->captured++;
		e->refused += s->refused;
		for (i = 0; i < s->nkern; i++) {
			n = kernel_votes(c, &s->kern[i]);
			if (n > best || (n == best && k && s->kern[i].last_ns > k->last_ns)) {
				best = n;
				k = &s->kern[i];
			}
		}
		for (i = 0; i < s->nuser; i++)
			add_user_root(e, &s->user[i]);
	}
	if (k) {
		e->roots[0].regs = *k;
		e->roots[0].regs.seen = best;
		e->roots[0].status = S2_RS_OK;
	}
}

/* After the walk: is each root still current on some vCPU? */
static void verify_roots(struct s2_eff *e, const struct s2_capture *c)
{
	unsigned int r, v, i;

	for (r = 0; r < e->nroots; r++) {
		struct s2_eroot *rt = &e->roots[r];
		bool cur = false;

		if (rt->status == S2_RS_UNAVAILABLE || rt->status == S2_RS_DISABLED)
			continue;
		for (v = 0; v < c->nvcpus; v++) {
			const struct s2_cap_slot *s = &c->slot[v];
			const struct s2_vcpu_regs *set = rt->upper ? s->kern : s->user;
			unsigned int nset = rt->upper ? s->nkern : s->nuser;

			for (i = 0; i < nset; i++) {
				const struct s2_vcpu_regs *x = &set[i];

				if (rt->upper ? !s2_cap_same_kernel(x, &rt->regs) :
				    s2_ttbr_base(x->ttbr0) != s2_ttbr_base(rt->regs.ttbr0) ||
				    !has_asid(rt, s2_cap_asid(x)))
					continue;
				cur = true;
				rt->regs.last_ns = max(rt->regs.last_ns, x->last_ns);
			}
		}
		if (!cur) {
			/* Never report what a root that may be gone produced. */
			rt->status = S2_RS_STALE;
			rt->nrows = 0;
		}
	}
}

/* ---- the report ---- */

struct s2_eff_report {
	struct s2_vm *vm;
	size_t len;
	char text[];
};

static const char *half_status(const struct s2_eff *e, bool upper)
{
	unsigned int r, n = 0, partial = 0, ok = 0;

	if (upper)
		return s2_rs_names[e->roots[0].status];
	for (r = 1; r < e->nroots; r++) {
		n++;
		ok += e->roots[r].status == S2_RS_OK;
		partial += e->roots[r].status == S2_RS_PARTIAL;
	}
	if (!n)
		return "none";
	if (partial)
		return "partial";
	return ok ? "ok" : "stale";
}

static void root_name(unsigned int r, char *buf, size_t size)
{
	if (!r)
		strscpy(buf, "k", size);
	else
		snprintf(buf, size, "u%u", r - 1);
}

/* "root <id> key=value...": what a translation root is and how fresh. */
static size_t print_root(const struct s2_eff *e, unsigned int r, u64 now, char *out,
			 size_t size)
{
	const struct s2_eroot *rt = &e->roots[r];
	const struct s2_vcpu_regs *g = &rt->regs;
	u64 asid_reg = (g->tcr & S2_TCR_A1) ? g->ttbr1 : g->ttbr0;
	char name[12];

	root_name(r, name, sizeof(name));
	return scnprintf(out, size,
			 "root %s status=%s ttbr=0x%016llx asid=0x%x asids=%u tcr=0x%016llx mair=0x%016llx granule=%u va_bits=%u ds=%d seen=%u seen_ms_ago=%llu\n",
			 name, s2_rs_names[rt->status], rt->upper ? g->ttbr1 : g->ttbr0,
			 s2_ttbr_asid(asid_reg, g->tcr), rt->upper ? 1 : rt->nasids, g->tcr,
			 g->mair,
			 rt->r.page_shift ? 1U << rt->r.page_shift : 0, rt->r.va_bits, rt->r.ds,
			 g->seen, g->last_ns ? div_u64(now - g->last_ns, NSEC_PER_MSEC) : 0);
}

static const char *row_class(const struct s2_erow *w)
{
	if (w->src.bdf == S2_NO_BDF)
		return "-";
	return w->src.class == S2_CLASS_VFIO_IDX ? S2_CLASS_VFIO : S2_CLASS_OTHER;
}

static size_t print_row(const struct s2_eff *e, unsigned int r, const struct s2_erow *w,
			char *out, size_t size)
{
	char root[12], bdf[16] = "-", bar[4] = "-", memattr[8] = "-";
	const char *s2 = "-";

	root_name(r, root, sizeof(root));
	if (w->src.bdf != S2_NO_BDF) {
		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", w->src.bdf >> 16,
			 (w->src.bdf >> 8) & 0xff, PCI_SLOT(w->src.bdf & 0xff),
			 PCI_FUNC(w->src.bdf & 0xff));
		snprintf(bar, sizeof(bar), "%u", w->src.bar);
	}
	if (w->memattr <= 0xf) {
		snprintf(memattr, sizeof(memattr), "0x%x", w->memattr);
		s2 = s2_mt_name(s2_memattr_mt(w->memattr, s2_fwb));
	}
	return scnprintf(out, size,
			 "%-6s %-4s 0x%016llx 0x%016llx 0x%016llx 0x%016llx %-13s 0x%02x %-13s %-7s %-7s %-13s %-5s %-12s %s\n",
			 e->roots[r].upper ? "kernel" : "user", root, w->va, w->va + w->size,
			 w->ipa, w->ipa + w->size, w->s1ok ? s2_mt_name(w->s1mt) : "RESERVED",
			 w->mair_attr, s2, memattr, w->mapped ? "mapped" : "pending",
			 w->effok ? s2_mt_name(w->effmt) : "-", row_class(w), bdf, bar);
}

static size_t print_report(struct s2_eff *e, char *out, size_t size)
{
	unsigned int r, i, stale = 0, users = 0, rows = 0;
	u64 now = ktime_get_ns(), age = 0;
	const char *result;
	size_t n = 0;

	for (r = 0; r < e->nroots; r++)
		rows += e->roots[r].nrows;
	for (r = 1; r < e->nroots; r++) {
		users++;
		if (e->roots[r].status == S2_RS_STALE)
			stale++;
		else
			age = max(age, now - e->roots[r].regs.last_ns);
	}
	if (e->reason)
		result = "unavailable";
	else if (e->roots[0].status == S2_RS_OK && !e->rows_dropped && !e->slots_cut)
		result = "ok";
	else
		result = "partial";
	n += scnprintf(out + n, size - n, "format %d\nresult %s\n", S2_FORMAT_VERSION, result);
	if (e->reason) {
		n += scnprintf(out + n, size - n, "reason %s\n", e->reason);
		return n;
	}
	n += scnprintf(out + n, size - n,
		       "vcpus %u\nvcpus_captured %u\ncaptures_refused %llu\nfwb %d\n"
		       "kernel_half %s\nuser_half %s\nuser_roots %u\nuser_roots_stale %u\n"
		       "user_root_age_ms %llu\ndevice_slots %u\ndescriptors %llu\n"
		       "table_pages %llu\nbudget %u\ncapture_ms %llu\nwalk_us %llu\nrows %u\n"
		       "rows_dropped %llu\n",
		       e->vcpus, e->captured, e->refused, s2_fwb, half_status(e, true),
		       half_status(e, false), users, stale, div_u64(age, NSEC_PER_MSEC),
		       e->ndev, e->descs, e->tables, READ_ONCE(s2_eff_budget),
		       div_u64(e->capture_ns, NSEC_PER_MSEC), div_u64(e->walk_ns, NSEC_PER_USEC),
		       rows, e->rows_dropped);
	for (r = 0; r < e->nroots; r++)
		n += print_root(e, r, now, out + n, size - n);
	n += scnprintf(out + n, size - n,
		       "%-6s %-4s %-18s %-18s %-18s %-18s %-13s %-4s %-13s %-7s %-7s %-13s %-5s %-12s %s\n",
		       "half", "root", "va_start", "va_end", "ipa_start", "ipa_end", "s1", "mair",
		       "s2", "memattr", "stage2", "effective", "class", "bdf", "bar");
	for (r = 0; r < e->nroots; r++) {
		const struct s2_eroot *rt = &e->roots[r];

		for (i = rt->row_first; i < rt->row_first + rt->nrows; i++)
			n += print_row(e, r, &e->rows[i], out + n, size - n);
	}
	return n;
}

/* Everything one read does, into @e; its reason is set when there is nothing to show. */
static void gather(struct s2_eff *e)
{
	struct s2_capture *c = NULL;
	u64 t0, budget, ubudget, floor;
	unsigned int r;
	int ret;

	if (!s2_tables_walkable() || !s2_capture_available()) {
		e->reason = is_protected_kvm_enabled() ? "protected" : "no-capture-hooks";
		return;
	}
	s2_lc_settle(e->vm);
	if (!s2_vm_get_kvm(e->vm)) {
		e->reason = "gone";
		return;
	}
	e->kvm = e->vm->kvm;
	e->vcpus = min_t(unsigned int, atomic_read(&e->kvm->online_vcpus), KVM_MAX_VCPUS);
	e->mm = e->kvm->mm;
	if (!e->vcpus) {
		e->reason = "no-vcpus";
		goto put_kvm;
	}
	if (!mmget_not_zero(e->mm)) {
		e->reason = "vmm-gone";
		goto put_kvm;
	}
	e->rows = kvmalloc_array(S2_EFF_MAX_ROWS, sizeof(*e->rows), GFP_KERNEL);
	if (!e->rows || copy_slots(e) || classify_slots(e)) {
		e->reason = "no-memory";
		goto put_mm;
	}
	ret = s2_capture_begin();
	if (ret) {
		e->reason = ret == -EINTR ? "interrupted" : "no-capture-hooks";
		goto put_mm;
	}
	c = cap_alloc(e);
	t0 = ktime_get_ns();
	if (!c || s2_capture_run(c, S2_EFF_CAP_MIN_MS, S2_EFF_CAP_MAX_MS)) {
		e->reason = c ? "interrupted" : "no-memory";
		goto end;
	}
	e->capture_ns = ktime_get_ns() - t0;
	pick_roots(e, c);
	if (!e->captured) {
		e->reason = e->refused ? "mmu-off" : "no-capture";
		goto end;
	}

	/*
	 * The user roots (best effort) first, within half of the budget, as walk() shares a
	 * table between its entries; then the kernel's root (where ioremap()s live) with the
	 * rest, at least half.
	 */
	t0 = ktime_get_ns();
	budget = READ_ONCE(s2_eff_budget);
	ubudget = budget / 2;
	floor = e->nroots > 1 ? ubudget / (2 * (e->nroots - 1)) : 0;
	for (r = 1; r <= e->nroots; r++) {
		struct s2_eroot *rt = &e->roots[r % e->nroots];
		u64 left = e->nroots - r, share;

		if (r < e->nroots)
			share = ubudget - min(ubudget, e->descs + (left - 1) * floor);
		else
			share = budget - min(budget, e->descs);
		if (rt->status == S2_RS_UNAVAILABLE)
			continue;
		walk_root(e, rt, share);
		e->descs += rt->descs;
		e->tables += rt->tables;
	}
	e->walk_ns = ktime_get_ns() - t0;

	/* The roots must still be current: capture again. */
	memset(c, 0, struct_size(c, slot, e->vcpus));
	c->kvm = e->kvm;
	c->nvcpus = e->vcpus;
	t0 = ktime_get_ns();
	if (s2_capture_run(c, S2_EFF_CAP_MIN_MS, S2_EFF_CAP_MAX_MS)) {
		e->reason = "interrupted";
		goto end;
	}
	e->capture_ns += ktime_get_ns() - t0;
	verify_roots(e, c);
end:
	s2_capture_end();
	kvfree(c);
put_mm:
	mmput(e->mm);
put_kvm:
	s2_vm_put_kvm(e->vm);
}

/**
 * DOC: effective
 *
 * Opening captures the VM's vCPU registers, walks the guest's own stage-1 tables and
 * combines each guest mapping of device memory with its stage 2: ``format 1``, ``key value``
 * lines (result, kernel_half, user_half, roots, costs), one ``root`` line per translation
 * root, a header line (S2_EFFECTIVE_COLUMNS), then one line per run of guest virtual
 * addresses with the same stage-1 attribute, stage-2 state and device (docs/debugfs.md).
 */
static int s2_effective_open(struct inode *inode, struct file *file)
{
	struct s2_vm *vm = inode->i_private;
	struct s2_eff_report *rep;
	struct s2_eff *e;

	/* The directory is removed (waiting for opens in progress) before the base ref goes. */
	s2_vm_get(vm);
	rep = kvmalloc(struct_size(rep, text, S2_EFF_REPORT_SIZE), GFP_KERNEL);
	e = kvzalloc(sizeof(*e), GFP_KERNEL);
	if (!rep || !e) {
		kvfree(rep);
		kvfree(e);
		s2_vm_put(vm);
		return -ENOMEM;
	}
	e->vm = vm;
	gather(e);
	rep->vm = vm;
	rep->len = print_report(e, rep->text, S2_EFF_REPORT_SIZE);
	kvfree(e->rows);
	kvfree(e->slots);
	kvfree(e->dev);
	kvfree(e);
	file->private_data = rep;
	return nonseekable_open(inode, file);
}

static ssize_t s2_effective_read(struct file *file, char __user *ubuf, size_t count,
				 loff_t *ppos)
{
	struct s2_eff_report *rep = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, rep->text, rep->len);
}

static int s2_effective_release(struct inode *inode, struct file *file)
{
	struct s2_eff_report *rep = file->private_data;

	s2_vm_put(rep->vm);
	kvfree(rep);
	return 0;
}

const struct file_operations s2_effective_fops = {
	.owner = THIS_MODULE,
	.open = s2_effective_open,
	.read = s2_effective_read,
	.release = s2_effective_release,
};
