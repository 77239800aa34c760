// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat: the stage-2 walker — the referee.
 *
 * Reads a VM's stage-2 table with the architectural descriptor formats (decode.h; 4, 16 and
 * 64 KiB granules, LPA2, concatenated root tables) and serves three users:
 *   verify  compares every device-memory leaf with the tracked ranges;
 *   resync  replaces the tracked ranges with what the table holds;
 *   table   prints every leaf, RAM included.
 * The walk runs in chunks of at most S2_CHUNK_LEAVES leaves and S2_CHUNK_STEPS descriptors,
 * holding kvm->mmu_lock (for write when it must agree with the tracked state, for read
 * otherwise) only for one chunk, then dropping it and rescheduling, so a vCPU never waits
 * long for a fault.  The caller holds a reference on the struct kvm.
 *
 * Discovery of VMs that existed before the module loaded also lives here: it finds them
 * through KVM's own debugfs directories.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/kvm_mmu.h>

#include <kvm_s2stat/format.h>

#include "compat.h"
#include "s2stat.h"

#define S2_CHUNK_LEAVES	256
#define S2_CHUNK_STEPS	512
#define S2_MAX_DIFFS	1000
#define S2_CHUNK_DIFFS	64

struct s2_walk;

/* Returns true to stop the chunk after this leaf. */
typedef bool (*s2_leaf_fn)(struct s2_walk *w, u64 ipa, u64 desc, s8 level);

struct s2_walk {
	struct kvm *kvm;
	struct kvm_pgtable *pgt;
	u64 next;			/* next IPA to visit */
	u64 end;			/* end of the IPA space */
	unsigned int steps;		/* descriptors left in this chunk */
	unsigned int chunks;
	u64 leaves;
	s2_leaf_fn leaf;

	/* Coalesced ranges collected in this chunk. */
	struct s2_range *rg;
	unsigned int nrg;
	u64 chunk_start;
	unsigned int max_rg;		/* ranges this chunk may collect */
	u64 max_hold_ns;		/* longest lock hold of a chunk */
	bool device_only;
};

/* ---- output buffer ---- */

void s2_buf_printf(struct s2_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->data)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->data + b->len, b->size - b->len, fmt, ap);
		va_end(ap);
		if (b->len + n < b->size) {
			b->len += n;
			return;
		}
		if (!s2_buf_grow(b, b->size * 2))
			return;
	}
}

bool s2_buf_grow(struct s2_buf *b, size_t size)
{
	char *p = kvmalloc(size, GFP_KERNEL);

	if (!p) {
		kvfree(b->data);
		b->data = NULL;
		return false;
	}
	memcpy(p, b->data, b->len);
	kvfree(b->data);
	b->data = p;
	b->size = size;
	return true;
}

/* ---- walking ---- */

static inline u64 *s2_table_va(u64 desc, s8 level)
{
	return phys_to_virt(s2_desc_addr(desc, level, PAGE_SHIFT, s2_lpa2));
}

/*
 * Visit the descriptors of one table from the entry holding w->next.  Returns 1 when the
 * chunk is full (w->next says where to resume), 0 when the table is done.
 */
static int s2_walk_table_level(struct s2_walk *w, u64 *table, s8 level, u64 base, u64 nents)
{
	unsigned int shift = s2_level_shift(level, PAGE_SHIFT);
	u64 i = w->next > base ? (w->next - base) >> shift : 0;

	for (; i < nents; i++) {
		u64 ipa = base + (i << shift);
		u64 desc;

		if (ipa >= w->end)
			return 0;
		if (!w->steps--)
			return 1;
		desc = READ_ONCE(table[i]);
		if (!s2_desc_valid(desc)) {
			w->next = ipa + (1ULL << shift);
			continue;
		}
		if (s2_desc_is_table(desc, level)) {
			if (s2_walk_table_level(w, s2_table_va(desc, level), level + 1, ipa,
						PAGE_SIZE / sizeof(u64)))
				return 1;
			continue;
		}
		w->next = ipa + (1ULL << shift);
		if (!s2_desc_is_leaf(desc, level))
			continue;
		w->leaves++;
		if (w->leaf(w, ipa, desc, level))
			return 1;
	}
	return 0;
}

/* One chunk of the walk; caller holds kvm->mmu_lock and w->pgt is the VM's table. */
static void s2_walk_chunk(struct s2_walk *w)
{
	struct kvm_pgtable *pgt = w->pgt;
	s8 start = s2_pgt_start_level(pgt);
	u64 nroot = 1ULL << (pgt->ia_bits - s2_level_shift(start, PAGE_SHIFT));

	w->steps = S2_CHUNK_STEPS;
	w->nrg = 0;
	w->chunk_start = w->next;
	w->chunks++;
	if (!s2_walk_table_level(w, s2_pgt_pgd(pgt), start, 0, nroot))
		w->next = w->end;
}

/* Classify a leaf and append it to the chunk's ranges; true when the array is full. */
static bool s2_collect(struct s2_walk *w, u64 ipa, u64 desc, s8 level)
{
	u64 size = 1ULL << s2_level_shift(level, PAGE_SHIFT);
	u64 pa = s2_desc_addr(desc, level, PAGE_SHIFT, s2_lpa2);
	unsigned int memattr = s2_desc_memattr(desc);
	enum s2_attr attr = s2_mt_attr(s2_memattr_mt(memattr, s2_fwb));
	bool ram = pfn_is_map_memory(PHYS_PFN(pa));
	struct s2_range *last = w->nrg ? &w->rg[w->nrg - 1] : NULL;
	struct s2_props p = {
		.attr = attr == S2_ATTR_NR ? S2_ATTR_NORMAL : attr,
		.perm = s2_desc_perm(desc, s2_xnx),
		.level = level,
		.memattr = memattr,
	};

	/* A block that appeared since the last chunk may start before this chunk: clip it. */
	if (ipa < w->chunk_start) {
		pa += w->chunk_start - ipa;
		size -= w->chunk_start - ipa;
		ipa = w->chunk_start;
	}
	if (w->device_only) {
		if (ram && attr != S2_ATTR_DEVICE && attr != S2_ATTR_NC)
			return false;
		s2_pci_lookup(pa, &p.src);
	} else {
		p.src.bdf = S2_NO_BDF;
		p.src.bar = S2_NO_BAR;
		p.src.class = ram ? S2_CLASS_RAM_IDX : S2_CLASS_OTHER_IDX;
	}

	if (last && last->ipa + last->size == ipa && last->pa + last->size == pa &&
	    s2_props_eq(&last->p, &p)) {
		last->size += size;
		return false;
	}
	last = &w->rg[w->nrg++];
	last->ipa = ipa;
	last->pa = pa;
	last->size = size;
	last->p = p;
	return w->nrg == w->max_rg;
}

/*
 * Run a whole walk of @vm's table.  @chunk_done runs after each chunk with the lock still
 * held (the chunk covers [start, w->next)), @after_unlock after it is dropped.
 */
static int s2_walk_run(struct s2_vm *vm, struct s2_walk *w, bool write,
		       void (*chunk_done)(struct s2_walk *w, u64 start, void *arg),
		       int (*after_unlock)(struct s2_walk *w, void *arg), void *arg)
{
	struct kvm *kvm = vm->kvm;
	int ret = 0;

	if (!s2_tables_walkable())
		return -EOPNOTSUPP;
	w->kvm = kvm;
	w->next = 0;
	w->end = 0;
	w->leaf = s2_collect;
	w->rg = kvmalloc_array(S2_CHUNK_LEAVES, sizeof(*w->rg), GFP_KERNEL);
	if (!w->rg)
		return -ENOMEM;

	if (!w->max_rg)
		w->max_rg = S2_CHUNK_LEAVES;
	do {
		u64 start = w->next, t0 = ktime_get_ns(), held;

		if (write)
			write_lock(&kvm->mmu_lock);
		else
			read_lock(&kvm->mmu_lock);
		rcu_read_lock();
		w->pgt = kvm->arch.mmu.pgt;
		if (!w->pgt) {
			ret = -ENOENT;
		} else {
			if (!w->end)
				w->end = 1ULL << w->pgt->ia_bits;
			s2_walk_chunk(w);
			if (chunk_done)
				chunk_done(w, start, arg);
		}
		rcu_read_unlock();
		if (write)
			write_unlock(&kvm->mmu_lock);
		else
			read_unlock(&kvm->mmu_lock);
		held = ktime_get_ns() - t0;
		w->max_hold_ns = max(w->max_hold_ns, held);
		if (held > atomic64_read(&s2_stats.walk_max_hold_ns))
			atomic64_set(&s2_stats.walk_max_hold_ns, held);
		if (!ret && after_unlock)
			ret = after_unlock(w, arg);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	} while (!ret && w->next < w->end);

	kvfree(w->rg);
	return ret;
}

/* ---- verify ---- */

enum s2_diff_kind { S2_DIFF_MISSING, S2_DIFF_STALE, S2_DIFF_MISMATCH };

static const char * const s2_diff_names[] = { "missing", "stale", "mismatch" };

struct s2_side {
	bool present;
	u64 pa;
	struct s2_props p;
};

struct s2_diff {
	enum s2_diff_kind kind;
	u64 start, end;
	struct s2_side table, tracked;
};

struct s2_verify {
	struct s2_vm *vm;
	struct s2_diff d[S2_CHUNK_DIFFS];	/* differences not printed yet */
	unsigned int nd;
	struct s2_diff last;		/* the last difference, which may still grow */
	bool have_last, last_kept;	/* last_kept: it is d[nd - 1] */
	u64 differences;
	u64 table_pages, tracked_pages;
	unsigned int printed;
	struct s2_buf diffs;
};

static bool s2_side_eq(const struct s2_side *a, const struct s2_side *b)
{
	return a->pa == b->pa && a->p.attr == b->p.attr && a->p.perm == b->p.perm &&
	       a->p.level == b->p.level && a->p.memattr == b->p.memattr &&
	       a->p.src.class == b->p.src.class;
}

/* Does the segment [start, ...) with sides @t/@k continue difference @d? */
static bool s2_diff_continues(const struct s2_diff *d, enum s2_diff_kind kind, u64 start,
			      const struct s2_side *t, const struct s2_side *k)
{
	u64 off = start - d->start;

	return d->kind == kind && d->end == start &&
	       d->table.present == t->present && d->tracked.present == k->present &&
	       (!t->present || (d->table.pa + off == t->pa && s2_props_eq(&d->table.p, &t->p))) &&
	       (!k->present || (d->tracked.pa + off == k->pa && s2_props_eq(&d->tracked.p, &k->p)));
}

static void s2_verify_add(struct s2_verify *v, enum s2_diff_kind kind, u64 start, u64 end,
			  const struct s2_side *t, const struct s2_side *k)
{
	struct s2_diff *d;

	if (v->have_last && s2_diff_continues(&v->last, kind, start, t, k)) {
		v->last.end = end;
		if (v->last_kept)
			v->d[v->nd - 1].end = end;
		return;
	}
	v->differences++;
	v->last = (struct s2_diff){ .kind = kind, .start = start, .end = end,
				    .table = *t, .tracked = *k };
	v->have_last = true;
	v->last_kept = v->nd < S2_CHUNK_DIFFS;
	if (!v->last_kept)
		return;
	d = &v->d[v->nd++];
	*d = v->last;
}

/*
 * Compare the walked device ranges of [start, w->next) with the tracked ranges, segment by
 * segment.  Runs with kvm->mmu_lock held for write: no probe changes the VM meanwhile.
 */
static void s2_verify_chunk(struct s2_walk *w, u64 start, void *arg)
{
	struct s2_verify *v = arg;
	struct s2_vm *vm = v->vm;
	u64 end = w->next, pos = start;
	unsigned int i = 0;
	unsigned long flags;
	struct s2_range *k;

	for (i = 0; i < w->nrg; i++)
		v->table_pages += w->rg[i].size >> PAGE_SHIFT;
	i = 0;

	raw_spin_lock_irqsave(&vm->lock, flags);
	k = s2_range_first_from(vm, start);
	while (pos < end) {
		struct s2_side ts = {}, ks = {};
		struct s2_range *t;
		u64 next = end;

		while (i < w->nrg && w->rg[i].ipa + w->rg[i].size <= pos)
			i++;
		while (k && k->ipa + k->size <= pos)
			k = s2_range_next(k);
		t = i < w->nrg ? &w->rg[i] : NULL;

		if (t && t->ipa <= pos) {
			ts.present = true;
			ts.pa = t->pa + (pos - t->ipa);
			ts.p = t->p;
			next = min(next, t->ipa + t->size);
		} else if (t) {
			next = min(next, t->ipa);
		}
		if (k && k->ipa <= pos) {
			ks.present = true;
			ks.pa = k->pa + (pos - k->ipa);
			ks.p = k->p;
			next = min(next, k->ipa + k->size);
			v->tracked_pages += (next - pos) >> PAGE_SHIFT;
		} else if (k) {
			next = min(next, k->ipa);
		}

		if (ts.present && !ks.present)
			s2_verify_add(v, S2_DIFF_MISSING, pos, next, &ts, &ks);
		else if (!ts.present && ks.present)
			s2_verify_add(v, S2_DIFF_STALE, pos, next, &ts, &ks);
		else if (ts.present && !s2_side_eq(&ts, &ks))
			s2_verify_add(v, S2_DIFF_MISMATCH, pos, next, &ts, &ks);
		pos = next;
	}
	raw_spin_unlock_irqrestore(&vm->lock, flags);
}

static void s2_side_print(struct s2_buf *b, const char *name, const struct s2_side *s)
{
	char perm[4];

	if (!s->present) {
		s2_buf_printf(b, " %s=-", name);
		return;
	}
	s2_buf_printf(b, " %s=%s,0x%016llx,%s,%d,0x%x", name, s2_attr_name(s->p.attr), s->pa,
		      s2_perm_str(s->p.perm, perm), s->p.level, s->p.memattr);
}

/* Print the queued differences; the last one may still grow unless @all. */
static void s2_verify_print(struct s2_verify *v, bool all)
{
	unsigned int i, n = v->nd;

	if (!all && v->last_kept)
		n--;
	for (i = 0; i < n; i++) {
		const struct s2_diff *d = &v->d[i];

		if (v->printed++ >= S2_MAX_DIFFS)
			continue;
		s2_buf_printf(&v->diffs, "diff %s 0x%016llx 0x%016llx", s2_diff_names[d->kind],
			      d->start, d->end);
		s2_side_print(&v->diffs, "table", &d->table);
		s2_side_print(&v->diffs, "tracked", &d->tracked);
		s2_buf_printf(&v->diffs, "\n");
	}
	if (n < v->nd)
		v->d[0] = v->d[n];
	v->nd -= n;
}

/* After each chunk, with the lock dropped (the buffer may grow). */
static int s2_verify_flush(struct s2_walk *w, void *arg)
{
	struct s2_verify *v = arg;

	s2_verify_print(v, false);
	return v->diffs.data ? 0 : -ENOMEM;
}

/**
 * s2_walk_verify() - compare a VM's tracked state with its stage-2 table.
 * @vm: the VM; the caller holds a reference on vm->kvm.
 * @out: receives the report (docs/debugfs.md, "verify").
 */
int s2_walk_verify(struct s2_vm *vm, struct s2_buf *out)
{
	struct s2_verify *v;
	struct s2_walk w = { .device_only = true };
	int ret;

	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->diffs.data = kvmalloc(PAGE_SIZE, GFP_KERNEL);
	v->diffs.size = PAGE_SIZE;
	if (!v->diffs.data) {
		kfree(v);
		return -ENOMEM;
	}

	ret = s2_walk_run(vm, &w, true, s2_verify_chunk, s2_verify_flush, v);
	s2_verify_print(v, true);
	s2_buf_printf(out, "format %d\n", S2_FORMAT_VERSION);
	if (ret == -EOPNOTSUPP || ret == -ENOENT) {
		s2_buf_printf(out, "result unavailable\n");
		ret = 0;
	} else if (!ret) {
		s2_buf_printf(out, "result %s\ndifferences %llu\nwalked_leaves %llu\n",
			      v->differences ? "differ" : "ok", v->differences, w.leaves);
		s2_buf_printf(out, "table_device_pages %llu\ntracked_device_pages %llu\n",
			      v->table_pages, v->tracked_pages);
		s2_buf_printf(out, "chunks %u\nmax_lock_hold_us %llu\n", w.chunks,
			      div_u64(w.max_hold_ns, NSEC_PER_USEC));
		if (v->diffs.len)
			s2_buf_printf(out, "%.*s", (int)v->diffs.len, v->diffs.data);
	}
	kvfree(v->diffs.data);
	kfree(v);
	return ret;
}

/* ---- resync ---- */

struct s2_resync {
	struct s2_vm *vm;
	struct s2_range *walked[S2_CHUNK_LEAVES];
	struct list_head spare;		/* preallocated nodes */
	unsigned int nspare;
	bool over;			/* the table holds more than the budget allows */
};

#define S2_RESYNC_SPARE	(S2_CHUNK_LEAVES + 2)

/*
 * After each chunk (process context, no lock held): give up if the last chunk did not fit
 * the budget, else top the spare list up to what one chunk can need: its walked ranges plus
 * two splits at its boundaries.
 */
static int s2_resync_refill(struct s2_walk *w, void *arg)
{
	struct s2_resync *r = arg;

	if (r->over)
		return -ENOMEM;
	while (r->nspare < S2_RESYNC_SPARE) {
		struct s2_range *n = s2_range_alloc_over(GFP_KERNEL, S2_RESYNC_SPARE);

		if (!n)
			return -ENOMEM;
		list_add(&n->dead, &r->spare);
		r->nspare++;
	}
	return 0;
}

/* Replace the chunk's tracked ranges with the walked ones (kvm->mmu_lock held for write). */
static void s2_resync_chunk(struct s2_walk *w, u64 start, void *arg)
{
	struct s2_resync *r = arg;
	long tracked = atomic_read(&s2_stats.ranges) - r->nspare;
	unsigned int i;

	/* Never leave more ranges than the budget: keep this chunk as it is and stop. */
	if (tracked + s2_vm_replace_cost(r->vm, start, w->next, w->nrg) >
	    (long)READ_ONCE(s2_max_ranges)) {
		r->over = true;
		return;
	}
	for (i = 0; i < w->nrg; i++) {
		struct s2_range *n = list_first_entry(&r->spare, struct s2_range, dead);

		list_del(&n->dead);
		r->nspare--;
		n->ipa = w->rg[i].ipa;
		n->pa = w->rg[i].pa;
		n->size = w->rg[i].size;
		n->p = w->rg[i].p;
		r->walked[i] = n;
	}
	s2_vm_replace(r->vm, start, w->next, r->walked, w->nrg, &r->spare);
	/* Splits took nodes from the list: recount it. */
	r->nspare = list_count_nodes(&r->spare);
}

/**
 * s2_walk_resync() - rebuild a VM's tracked state from its stage-2 table.
 * @vm: the VM.
 *
 * Process context.  Returns 0 when done, -ENOMEM when the budget was short, or another
 * error.
 */
int s2_walk_resync(struct s2_vm *vm)
{
	struct s2_walk w = { .device_only = true };
	struct s2_range *n, *tmp;
	struct s2_resync *rs;
	unsigned long flags;
	u64 drops;
	int ret;

	rs = kzalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs)
		return -ENOMEM;
	rs->vm = vm;
	INIT_LIST_HEAD(&rs->spare);
	if (!s2_vm_get_kvm(vm)) {
		kfree(rs);
		return -ENOENT;
	}
	raw_spin_lock_irqsave(&vm->lock, flags);
	drops = vm->drops;
	raw_spin_unlock_irqrestore(&vm->lock, flags);

	w.max_rg = S2_CHUNK_LEAVES;
	ret = s2_resync_refill(&w, rs);
	if (!ret)
		ret = s2_walk_run(vm, &w, true, s2_resync_chunk, s2_resync_refill, rs);

	raw_spin_lock_irqsave(&vm->lock, flags);
	if (!ret) {
		vm->resyncs++;
		vm->resync_backoff = 0;
	}
	/* Protected mode: the probes are all there is (docs/debugfs.md). */
	if ((!ret || ret == -EOPNOTSUPP) && vm->drops == drops)
		vm->inexact = false;
	raw_spin_unlock_irqrestore(&vm->lock, flags);
	if (!ret)
		atomic64_inc(&s2_stats.resyncs);
	kvm_put_kvm(vm->kvm);

	list_for_each_entry_safe(n, tmp, &rs->spare, dead)
		s2_range_free(n);
	kfree(rs);
	if (ret == -EOPNOTSUPP)
		ret = 0;	/* the hypervisor owns the table: nothing to learn */
	return ret;
}

/* ---- table ---- */

struct s2_table {
	struct s2_buf *out;
	struct s2_range pending;	/* the last range, which the next chunk may extend */
	bool have_pending;
};

#define S2_TABLE_ROW \
	"0x%016llx 0x%016llx 0x%016llx 0x%016llx %-8llu %-5d 0x%-5x %-13s %-4s %s\n"

static void s2_table_line(struct s2_buf *b, const struct s2_range *r)
{
	unsigned int mt = s2_memattr_mt(r->p.memattr, s2_fwb);
	char perm[4];

	s2_buf_printf(b, S2_TABLE_ROW, r->ipa, r->ipa + r->size, r->pa, r->pa + r->size,
		      r->size >> PAGE_SHIFT, r->p.level, r->p.memattr, s2_mt_name(mt),
		      s2_perm_str(r->p.perm, perm),
		      r->p.src.class == S2_CLASS_RAM_IDX ? "ram" : "device");
}

static int s2_table_flush(struct s2_walk *w, void *arg)
{
	struct s2_table *t = arg;
	unsigned int i;

	for (i = 0; i < w->nrg; i++) {
		struct s2_range *r = &w->rg[i];
		struct s2_range *p = &t->pending;

		if (t->have_pending && p->ipa + p->size == r->ipa && p->pa + p->size == r->pa &&
		    s2_props_eq(&p->p, &r->p)) {
			p->size += r->size;
			continue;
		}
		if (t->have_pending)
			s2_table_line(t->out, p);
		*p = *r;
		t->have_pending = true;
	}
	return t->out->data ? 0 : -ENOMEM;
}

/* s2_walk_table() - print every leaf of @vm's table ("table" file) into @out. */
int s2_walk_table(struct s2_vm *vm, struct s2_buf *out)
{
	struct s2_table t = { .out = out };
	struct s2_walk w = { .device_only = false };
	int ret;

	s2_buf_printf(out, "format %d\n%-18s %-18s %-18s %-18s %-8s %-5s %-7s %-13s %-4s %s\n",
		      S2_FORMAT_VERSION, "ipa_start", "ipa_end", "pa_start", "pa_end", "pages",
		      "level", "memattr", "type", "perm", "class");
	ret = s2_walk_run(vm, &w, false, NULL, s2_table_flush, &t);
	if (t.have_pending)
		s2_table_line(out, &t.pending);
	if (!ret) {
		s2_buf_printf(out, "result ok\n");
	} else if (ret == -EOPNOTSUPP || ret == -ENOENT) {
		s2_buf_printf(out, "result unavailable\n");
		ret = 0;
	}
	return ret;
}

/* ---- discovery ---- */

#define S2_KVM_DEBUGFS	"/sys/kernel/debug/kvm"
#define S2_MAX_DISCOVER	4096

struct s2_dirent_ctx {
	struct dir_context ctx;
	char (*names)[32];
	unsigned int n;
};

static bool s2_dirent(struct dir_context *ctx, const char *name, int len, loff_t off, u64 ino,
		      unsigned int type)
{
	struct s2_dirent_ctx *c = container_of(ctx, struct s2_dirent_ctx, ctx);
	int pid, fd;

	if (len >= 32 || c->n == S2_MAX_DISCOVER)
		return c->n < S2_MAX_DISCOVER;
	memcpy(c->names[c->n], name, len);
	c->names[c->n][len] = '\0';
	if (sscanf(c->names[c->n], "%d-%d", &pid, &fd) == 2)
		c->n++;
	return true;
}

/*
 * Find the VMs that existed before the module loaded.  Each VM has a KVM debugfs directory
 * "<pid>-<fd>" whose statistics files carry a struct kvm_stat_data as inode private data;
 * opening one makes KVM take a VM reference (kvm_stat_data_open()), which keeps the struct
 * kvm alive while we take our own.  Without a mounted debugfs, VMs are found when they
 * next take a stage-2 fault.
 */
void s2_discover(void)
{
	struct s2_dirent_ctx c = { .ctx.actor = s2_dirent };
	struct file *dir;
	unsigned int i;
	char *path;

	dir = filp_open(S2_KVM_DEBUGFS, O_RDONLY | O_DIRECTORY, 0);
	if (IS_ERR(dir)) {
		pr_info("%s not found: VMs that already exist are tracked from their next stage-2 fault\n",
			S2_KVM_DEBUGFS);
		s2_discovery = "on-fault";
		return;
	}
	s2_discovery = "kvm-debugfs";
	c.names = kvmalloc_array(S2_MAX_DISCOVER, sizeof(*c.names), GFP_KERNEL);
	path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (c.names && path)
		iterate_dir(dir, &c.ctx);
	filp_close(dir, NULL);

	for (i = 0; path && i < c.n; i++) {
		struct kvm_stat_data *sd;
		struct file *f;

		snprintf(path, PATH_MAX, S2_KVM_DEBUGFS "/%s/remote_tlb_flush", c.names[i]);
		f = filp_open(path, O_RDONLY, 0);
		if (IS_ERR(f))
			continue;	/* the VM went away meanwhile */
		sd = file_inode(f)->i_private;
		if (sd && kvm_get_kvm_safe(sd->kvm)) {
			s2_vm_add_walked(sd->kvm);
			kvm_put_kvm(sd->kvm);
		}
		filp_close(f, NULL);
	}
	kfree(path);
	kvfree(c.names);
}
