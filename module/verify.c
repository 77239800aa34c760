// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat verify: the referee.  Walks a VM's whole stage-2 table in chunks and compares
 * every device-memory leaf with the tracked state, holding kvm->mmu_lock for write during
 * each chunk so that nothing changes the table or the tracked state under it.  IPA ranges
 * still pending (maps made since the settle that precedes the walk) are not compared and are
 * counted apart.  Then the counters are recounted from the ranges.
 */
#include <linux/kvm_host.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include <kvm_s2stat/format.h>

#include "attrib.h"
#include "leaf.h"
#include "lifecycle.h"
#include "s2stat.h"
#include "verify.h"

#define S2_VCHUNK_LEAVES	256
#define S2_VCHUNK_STEPS		512
#define S2_MAX_DIFFS		1000
#define S2_DIFF_LINE		160

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
	struct s2_range walked[S2_VCHUNK_LEAVES];
	unsigned int n;
	struct s2_attrib_ctx attr;
	struct s2_diff last;		/* the last difference, which may still grow */
	bool have_last;
	u64 differences, leaves, chunks, max_hold_ns;
	u64 table_pages, tracked_pages, pending_pages;
	unsigned int counter_diffs;	/* counters that disagree with the ranges they count */
	char *diffs;			/* printed differences, at most S2_MAX_DIFFS */
	size_t diffs_len, diffs_size;
	unsigned int printed;
};

static bool collect(struct s2_leaf_walk *w, u64 ipa, u64 desc, s8 level)
{
	struct s2_verify *v = w->arg;
	struct s2_range *last = v->n ? &v->walked[v->n - 1] : NULL;
	struct s2_props p;
	u64 pa, size = 1ULL << s2_level_shift(level, PAGE_SHIFT);

	s2_leaf_decode(desc, level, &pa, &p);
	if (!s2_attrib_classify(&v->attr, ipa, pa, size, &p.src))
		return false;
	if (last && s2_range_end(last) == ipa && last->pa + last->size == pa &&
	    s2_props_eq(&last->p, &p)) {
		last->size += size;
		return false;
	}
	v->walked[v->n++] = (struct s2_range){ .ipa = ipa, .pa = pa, .size = size, .p = p };
	return v->n == S2_VCHUNK_LEAVES;
}

static bool side_eq(const struct s2_side *a, const struct s2_side *b)
{
	return a->pa == b->pa && s2_props_eq(&a->p, &b->p);
}

static void side_print(char *buf, size_t size, const char *name, const struct s2_side *s)
{
	char perm[4];

	if (!s->present)
		snprintf(buf, size, " %s=-", name);
	else
		snprintf(buf, size, " %s=%s,0x%016llx,%s,%d,0x%x", name, s2_attr_name(s->p.attr),
			 s->pa, s2_perm_str(s->p.perm, perm), s->p.level, s->p.memattr);
}

/* Print the last difference (no allocation: the buffer holds S2_MAX_DIFFS lines). */
static void flush_last(struct s2_verify *v)
{
	const struct s2_diff *d = &v->last;
	char t[S2_DIFF_LINE / 2], k[S2_DIFF_LINE / 2];

	if (!v->have_last)
		return;
	v->have_last = false;
	if (v->printed >= S2_MAX_DIFFS)
		return;
	v->printed++;
	side_print(t, sizeof(t), "table", &d->table);
	side_print(k, sizeof(k), "tracked", &d->tracked);
	v->diffs_len += scnprintf(v->diffs + v->diffs_len, v->diffs_size - v->diffs_len,
				  "diff %s 0x%016llx 0x%016llx%s%s\n", s2_diff_names[d->kind],
				  d->start, d->end, t, k);
}

/* Does [start, ...) with sides @t/@k continue the last difference? */
static bool continues(const struct s2_diff *d, enum s2_diff_kind kind, u64 start,
		      const struct s2_side *t, const struct s2_side *k)
{
	u64 off = start - d->start;

	return d->kind == kind && d->end == start &&
	       d->table.present == t->present && d->tracked.present == k->present &&
	       (!t->present || (d->table.pa + off == t->pa && s2_props_eq(&d->table.p, &t->p))) &&
	       (!k->present || (d->tracked.pa + off == k->pa && s2_props_eq(&d->tracked.p, &k->p)));
}

static void add_diff(struct s2_verify *v, enum s2_diff_kind kind, u64 start, u64 end,
		     const struct s2_side *t, const struct s2_side *k)
{
	if (v->have_last && continues(&v->last, kind, start, t, k)) {
		v->last.end = end;
		return;
	}
	flush_last(v);
	v->differences++;
	v->last = (struct s2_diff){ .kind = kind, .start = start, .end = end,
				    .table = *t, .tracked = *k };
	v->have_last = true;
}

/*
 * Compare [start, end): the walked leaves with the tracked ranges, segment by segment,
 * skipping pending ranges.  kvm->mmu_lock is held for write: neither tree can change.
 */
static void compare(struct s2_verify *v, struct s2_vm *vm, u64 start, u64 end)
{
	const struct s2_rtree *mapped = s2_vm_mapped_locked(vm);
	const struct s2_rtree *pending = s2_vm_pending_locked(vm);
	struct s2_range *k = s2_rt_first_from(mapped, start);
	struct s2_range *q = s2_rt_first_from(pending, start);
	unsigned int i = 0;
	u64 pos = start;

	for (i = 0; i < v->n; i++)
		v->table_pages += v->walked[i].size >> PAGE_SHIFT;
	i = 0;
	while (pos < end) {
		struct s2_side ts = {}, ks = {};
		struct s2_range *t;
		u64 next = end;

		while (i < v->n && s2_range_end(&v->walked[i]) <= pos)
			i++;
		while (k && s2_range_end(k) <= pos)
			k = s2_rt_next(k);
		while (q && s2_range_end(q) <= pos)
			q = s2_rt_next(q);
		t = i < v->n ? &v->walked[i] : NULL;

		if (t && t->ipa <= pos) {
			ts.present = true;
			ts.pa = t->pa + (pos - t->ipa);
			ts.p = t->p;
			next = min(next, s2_range_end(t));
		} else if (t) {
			next = min(next, t->ipa);
		}
		if (k && k->ipa <= pos) {
			ks.present = true;
			ks.pa = k->pa + (pos - k->ipa);
			ks.p = k->p;
			next = min(next, s2_range_end(k));
		} else if (k) {
			next = min(next, k->ipa);
		}
		if (q && q->ipa <= pos) {
			next = min(next, s2_range_end(q));
			v->pending_pages += (next - pos) >> PAGE_SHIFT;
			pos = next;
			continue;
		} else if (q) {
			next = min(next, q->ipa);
		}
		if (ks.present)
			v->tracked_pages += (next - pos) >> PAGE_SHIFT;

		if (ts.present && !ks.present)
			add_diff(v, S2_DIFF_MISSING, pos, next, &ts, &ks);
		else if (!ts.present && ks.present)
			add_diff(v, S2_DIFF_STALE, pos, next, &ts, &ks);
		else if (ts.present && !side_eq(&ts, &ks))
			add_diff(v, S2_DIFF_MISMATCH, pos, next, &ts, &ks);
		pos = next;
	}
}

/* One chunk from *@pos; returns 1 when the table is done, 0 to go on, or an error. */
static int verify_chunk(struct s2_verify *v, struct s2_vm *vm, u64 *pos)
{
	struct kvm *kvm = vm->kvm;
	struct s2_leaf_walk w = { .next = *pos, .end = U64_MAX, .leaf = collect, .arg = v };
	struct kvm_pgtable *pgt;
	u64 t0, held;
	int ret = 0;

	v->n = 0;
	s2_attrib_begin(kvm, *pos, U64_MAX, &v->attr);
	t0 = ktime_get_ns();
	write_lock(&kvm->mmu_lock);
	rcu_read_lock();
	pgt = s2_leaf_pgt(kvm);
	if (!pgt) {
		ret = -ENOENT;
	} else {
		u64 lo = *pos;
		bool done;

		s2_vm_runs_flush(vm);	/* their leaves count as pending, not as untracked */
		w.end = s2_attrib_limit(&v->attr, lo, U64_MAX);
		s2_leaf_walk_chunk(&w, pgt, S2_VCHUNK_STEPS);
		done = w.next >= s2_leaf_ipa_end(pgt);

		/* A block holding *pos was compared whole by the chunk before. */
		if (v->n && v->walked[0].ipa < lo) {
			v->walked[0].size -= lo - v->walked[0].ipa;
			v->walked[0].pa += lo - v->walked[0].ipa;
			v->walked[0].ipa = lo;
		}
		compare(v, vm, lo, w.next);
		*pos = w.next;
		ret = done;
	}
	rcu_read_unlock();
	write_unlock(&kvm->mmu_lock);
	held = ktime_get_ns() - t0;
	s2_attrib_end(kvm, &v->attr);
	v->max_hold_ns = max(v->max_hold_ns, held);
	s2_stats_max(&s2_stats.walk_max_hold_ns, held);
	v->chunks++;
	v->leaves += w.leaves;
	return ret;
}

/*
 * The counters (summary, status) against the ranges they count, at one instant: the tree
 * is stable under kvm->mmu_lock held for read (vm.h), so faults go on meanwhile.
 */
static void verify_counters(struct s2_verify *v, struct s2_vm *vm)
{
	struct kvm *kvm = vm->kvm;

	read_lock(&kvm->mmu_lock);
	v->counter_diffs = s2_rt_recount(s2_vm_mapped_locked(vm));
	read_unlock(&kvm->mmu_lock);
	v->differences += v->counter_diffs;
}

/**
 * s2_verify_report() - settle @vm, compare its tracked state with its table, and write the
 * report (docs/debugfs.md, "verify").
 * @vm: the VM; the caller holds a reference on it.
 * @out: a buffer of at least S2_VERIFY_REPORT_SIZE bytes.
 * @len: set to the report's length.
 *
 * Returns 0 or an error (-EINTR, -ENOMEM).  The report's size does not depend on the VM.
 */
int s2_verify_report(struct s2_vm *vm, char *out, size_t *len)
{
	struct s2_verify *v;
	struct s2_vm_snap s;
	u64 pos = 0;
	size_t n = 0;
	int ret;

	v = kvzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	v->diffs_size = S2_MAX_DIFFS * S2_DIFF_LINE;
	v->diffs = kvmalloc(v->diffs_size, GFP_KERNEL);
	if (!v->diffs) {
		kvfree(v);
		return -ENOMEM;
	}
	s2_vm_snapshot(vm, &s);
	ret = s2_lc_settle(vm);
	if (ret == -EINTR)
		goto out;
	if (s.state == S2_ST_UNWALKABLE || !s2_vm_get_kvm(vm)) {
		ret = -ENOENT;
	} else {
		do {
			ret = verify_chunk(v, vm, &pos);
			if (!ret && fatal_signal_pending(current))
				ret = -EINTR;
			cond_resched();
		} while (!ret);
		if (ret == 1)
			verify_counters(v, vm);
		s2_vm_put_kvm(vm);
		if (ret == 1)
			ret = 0;
	}
	flush_last(v);

	n = scnprintf(out, S2_VERIFY_REPORT_SIZE, "format %d\n", S2_FORMAT_VERSION);
	if (ret == -ENOENT) {
		n += scnprintf(out + n, S2_VERIFY_REPORT_SIZE - n, "result unavailable\n");
		ret = 0;
	} else if (!ret) {
		n += scnprintf(out + n, S2_VERIFY_REPORT_SIZE - n,
			       "result %s\ndifferences %llu\nwalked_leaves %llu\n"
			       "table_device_pages %llu\ntracked_device_pages %llu\n"
			       "pending_pages %llu\ncounter_differences %u\nchunks %llu\n"
			       "max_lock_hold_us %llu\n",
			       v->differences ? "differ" : "ok", v->differences, v->leaves,
			       v->table_pages, v->tracked_pages, v->pending_pages, v->counter_diffs,
			       v->chunks, div_u64(v->max_hold_ns, NSEC_PER_USEC));
		n += scnprintf(out + n, S2_VERIFY_REPORT_SIZE - n, "%.*s", (int)v->diffs_len,
			       v->diffs);
	}
out:
	*len = n;
	kvfree(v->diffs);
	kvfree(v);
	return ret;
}
