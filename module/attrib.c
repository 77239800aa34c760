// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat attribution: where a device-memory range comes from, and why it got its
 * attribute.
 *
 * From the mapping itself first: the memslot holding the IPA, the VMA the VMM mapped there, and,
 * when that VMA is an mmap of a VFIO device file, the device and region behind it (for vfio-pci
 * and its variants the region index sits in the high bits of the mmap offset:
 * VFIO_PCI_OFFSET_SHIFT; before 6.10 vfio-pci replaces the offset with the PFN, so a leaf inside
 * one of the device's PCI resources takes its BAR from that resource).  This runs in process
 * context, in a settle, before the table is read.  Where the VMA cannot be read (the VMM's address
 * space is gone), by physical address: a sorted table of every assigned PCI memory BAR (address
 * range, BDF, BAR index, driver), rebuilt in process context at load and on every PCI bus
 * notification that can change it (device added or removed, driver bound or unbound), published
 * with RCU and looked up with a binary search and no lock.
 *
 * A VFIO device file is recognised by its vfio_device: the file's (6.2+: through its
 * vfio_device_file) must equal the drvdata of a PCI device bound to a vfio driver (vfio-pci
 * core drivers put their vfio_pci_core_device, whose first member is the vfio_device, in
 * drvdata).  The pointer read from the file is only compared, never followed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include <kvm_s2stat/format.h>

#include "attrib.h"
#include "compat.h"
#include "s2stat.h"

#define S2_MAX_DRIVERS	32
#define S2_DRV_NAME_LEN	40

struct s2_bar {
	u64 start, end;		/* [start, end) */
	u32 bdf;
	u8 bar;
	u8 drv;
	bool vfio;
};

/* A PCI device bound to a vfio driver: its vfio_device, compared only. */
struct s2_vfio_dev {
	const void *vdev;
	u32 bdf;
	u8 drv;
};

struct s2_bar_table {
	struct rcu_head rcu;
	unsigned int n, nvfio, ndev;
	struct s2_vfio_dev *devs;	/* after bar[] */
	struct s2_bar bar[];
};

static struct s2_bar_table __rcu *s2_bars;
static DEFINE_MUTEX(s2_pci_mutex);

/* Driver names, append-only; index 0 means no driver.  Written before being published. */
static char s2_drv_names[S2_MAX_DRIVERS][S2_DRV_NAME_LEN] = { "-" };
static unsigned int s2_ndrv = 1;

const char *s2_attrib_driver_name(u8 drv)
{
	/* Pairs with the release in s2_drv_index(): the name is complete once counted. */
	return drv < smp_load_acquire(&s2_ndrv) ? s2_drv_names[drv] : "?";
}

/* A vfio driver: vfio-pci or a variant (nvgrace-gpu-vfio-pci, mlx5_vfio_pci, ...). */
static bool s2_is_vfio_driver(const char *name)
{
	return name && strstr(name, "vfio");
}

static u8 s2_drv_index(const char *name)
{
	unsigned int i;

	if (!name)
		return 0;
	for (i = 1; i < s2_ndrv; i++)
		if (!strncmp(s2_drv_names[i], name, S2_DRV_NAME_LEN - 1))
			return i;
	if (s2_ndrv == S2_MAX_DRIVERS)
		return 0;
	strscpy(s2_drv_names[s2_ndrv], name, S2_DRV_NAME_LEN);
	/* Publish the name before its index; pairs with s2_attrib_driver_name(). */
	smp_store_release(&s2_ndrv, s2_ndrv + 1);
	return i;
}

static int s2_bar_cmp(const void *a, const void *b)
{
	const struct s2_bar *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Rebuild the table.  @gone is a device being removed (still on the bus list), @unbound a
 * device whose driver is going away; both may be NULL.
 */
static void s2_pci_rebuild(struct pci_dev *gone, struct pci_dev *unbound)
{
	struct s2_bar_table *t, *old;
	struct pci_dev *pdev = NULL;
	unsigned int n = 0, ndev = 0;
	int i;

	mutex_lock(&s2_pci_mutex);
	for_each_pci_dev(pdev) {
		n += PCI_STD_NUM_BARS;
		ndev++;
	}
	t = kzalloc(struct_size(t, bar, n) + ndev * sizeof(*t->devs), GFP_KERNEL);
	if (!t) {
		mutex_unlock(&s2_pci_mutex);
		pr_warn("out of memory: PCI BAR table not updated\n");
		return;
	}
	t->devs = (struct s2_vfio_dev *)&t->bar[n];
	pdev = NULL;
	for_each_pci_dev(pdev) {
		struct device_driver *drv = READ_ONCE(pdev->dev.driver);
		const char *name = drv && pdev != unbound ? drv->name : NULL;
		u32 bdf = (pci_domain_nr(pdev->bus) << 16) | (pdev->bus->number << 8) | pdev->devfn;

		if (pdev == gone)
			continue;
		if (s2_is_vfio_driver(name) && t->ndev < ndev && dev_get_drvdata(&pdev->dev)) {
			struct s2_vfio_dev *d = &t->devs[t->ndev++];

			d->vdev = dev_get_drvdata(&pdev->dev);
			d->bdf = bdf;
			d->drv = s2_drv_index(name);
		}
		for (i = 0; i < PCI_STD_NUM_BARS && t->n < n; i++) {
			struct resource *res = &pdev->resource[i];
			struct s2_bar *b = &t->bar[t->n];

			if (!(res->flags & IORESOURCE_MEM) || (res->flags & IORESOURCE_UNSET) ||
			    !res->start || !resource_size(res))
				continue;
			b->start = res->start;
			b->end = res->start + resource_size(res);
			b->bdf = bdf;
			b->bar = i;
			b->drv = s2_drv_index(name);
			b->vfio = s2_is_vfio_driver(name);
			t->nvfio += b->vfio;
			t->n++;
		}
	}
	sort(t->bar, t->n, sizeof(t->bar[0]), s2_bar_cmp, NULL);
	old = rcu_replace_pointer(s2_bars, t, lockdep_is_held(&s2_pci_mutex));
	mutex_unlock(&s2_pci_mutex);
	if (old)
		kfree_rcu(old, rcu);
}

/* s2_attrib_lookup() - the BAR holding @pa (any context, lockless). */
/* The BAR holding @pa into @src; returns its end, or 0 when no BAR holds @pa. */
static u64 bar_lookup(u64 pa, struct s2_src *src)
{
	const struct s2_bar_table *t;
	unsigned int lo = 0, hi;
	u64 end = 0;

	*src = (struct s2_src){ .bdf = S2_NO_BDF, .bar = S2_NO_BAR,
				.class = S2_CLASS_OTHER_IDX };

	rcu_read_lock();
	t = rcu_dereference(s2_bars);
	hi = t ? t->n : 0;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct s2_bar *b = &t->bar[mid];

		if (pa < b->start) {
			hi = mid;
		} else if (pa >= b->end) {
			lo = mid + 1;
		} else {
			src->bdf = b->bdf;
			src->bar = b->bar;
			src->drv = b->drv;
			src->class = b->vfio ? S2_CLASS_VFIO_IDX : S2_CLASS_OTHER_IDX;
			src->via = S2_VIA_PA;
			end = b->end;
			break;
		}
	}
	rcu_read_unlock();
	return end;
}

void s2_attrib_lookup(u64 pa, struct s2_src *src)
{
	bar_lookup(pa, src);
}

/* ---- attribution from the mapping ---- */

static const struct file_operations *s2_vfio_fops;	/* learnt from a vfio_device file */

/* The PCI device bound to a vfio driver whose vfio_device is @vdev (RCU read section). */
static const struct s2_vfio_dev *vfio_dev_lookup(const void *vdev)
{
	const struct s2_bar_table *t = rcu_dereference(s2_bars);
	unsigned int i;

	for (i = 0; t && vdev && i < t->ndev; i++)
		if (t->devs[i].vdev == vdev)
			return &t->devs[i];
	return NULL;
}

/* Is @vma an mmap of a VFIO device file?  Fill @src with its device and region. */
static bool vma_vfio(struct vm_area_struct *vma, struct s2_src *src)
{
	struct file *f = vma->vm_file;
	const struct s2_vfio_dev *d;
	bool known;

	if (!f || !f->private_data)
		return false;
	/* Opened through a VFIO group ("[vfio-device]"), or like one (vfio cdev, 6.6+). */
	known = f->f_op == READ_ONCE(s2_vfio_fops);
	if (!known && strcmp(f->f_path.dentry->d_name.name, "[vfio-device]"))
		return false;
	rcu_read_lock();
	d = vfio_dev_lookup(s2_vfio_file_device(f));
	if (d) {
		src->bdf = d->bdf;
		src->drv = d->drv;
		src->bar = min_t(u64, vma->vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT),
				 S2_NO_BAR - 1);
		src->class = S2_CLASS_VFIO_IDX;
		if (!known)
			WRITE_ONCE(s2_vfio_fops, f->f_op);
	}
	rcu_read_unlock();
	return d;
}

/* What a VMA says about the ranges it backs. */
static void vma_facts(struct vm_area_struct *vma, struct s2_src *src)
{
	*src = (struct s2_src){ .bdf = S2_NO_BDF, .bar = S2_NO_BAR,
				.class = S2_CLASS_OTHER_IDX, .via = S2_VIA_VMA };
	if (vma->vm_flags & S2_VM_ALLOW_ANY_UNCACHED)
		src->vma |= S2_VMA_ANY_NC;
	if (vma->vm_flags & (VM_PFNMAP | VM_IO))
		src->vma |= S2_VMA_PFNMAP;
	if (s2_vma_cacheable(vma))
		src->vma |= S2_VMA_CACHEABLE;
	if (vma_vfio(vma, src))
		src->vma |= S2_VMA_VFIO;
}

/*
 * What the VMM mapped in the memslots of [lo, hi): one window per VMA (or part of one) in IPA
 * order; ws->end says how far it got (a window array that fills up stops there).  The caller
 * holds kvm->srcu and @mm's mmap lock.
 */
static void resolve(struct kvm *kvm, struct mm_struct *mm, u64 lo, u64 hi, struct s2_wins *ws)
{
	struct kvm_memslots *slots = kvm_memslots(kvm);
	struct kvm_memslot_iter iter;
	gfn_t gstart = lo >> PAGE_SHIFT, gend = hi >> PAGE_SHIFT;

	ws->n = 0;
	ws->end = hi;
	if (!mm || lo >= hi)
		return;
	if (gend == gstart)
		gend++;
	kvm_for_each_memslot_in_gfn_range(&iter, slots, gstart, gend) {
		const struct kvm_memory_slot *slot = iter.slot;
		u64 base = slot->base_gfn << PAGE_SHIFT;
		u64 ipa = max(lo, base), end = min(hi, base + (slot->npages << PAGE_SHIFT));

		while (ipa < end) {
			unsigned long hva = slot->userspace_addr + (ipa - base);
			struct vm_area_struct *vma = find_vma(mm, hva);
			u64 next;

			if (!vma) {
				break;			/* nothing mapped up to the slot's end */
			} else if (vma->vm_start > hva) {
				ipa += min_t(u64, vma->vm_start - hva, end - ipa); /* a hole */
				continue;
			}
			if (ws->n == S2_MAX_WINS) {
				ws->end = ipa;
				return;
			}
			next = min_t(u64, end, ipa + (vma->vm_end - hva));
			ws->w[ws->n].start = ipa;
			ws->w[ws->n].end = next;
			vma_facts(vma, &ws->w[ws->n].src);
			ws->n++;
			ipa = next;
		}
	}
}

/**
 * s2_attrib_begin() - before a walk chunk of [lo, hi): hold the memslots (kvm->srcu) and the
 * VMM's VMAs (its mmap lock, for read) and learn what is mapped there.
 * @kvm: the VM; the caller holds a reference on it.
 * @lo: start IPA.
 * @hi: end IPA.
 * @ctx: the chunk's attribution context.
 *
 * Process context; the caller takes kvm->mmu_lock afterwards (memslots, mmap lock, mmu_lock
 * is the order KVM's own fault path uses) and walks no further than s2_attrib_limit().
 * While the mmap lock is held no VMA can change, so what is learnt stays true for the leaves
 * the chunk reads.
 */
void s2_attrib_begin(struct kvm *kvm, u64 lo, u64 hi, struct s2_attrib_ctx *ctx)
{
	struct mm_struct *mm = kvm->mm;

	ctx->srcu_idx = srcu_read_lock(&kvm->srcu);
	ctx->mm = NULL;
	ctx->memo_pa_end = 0;
	if (mm && mmget_not_zero(mm)) {
		mmap_read_lock(mm);
		ctx->mm = mm;
	}
	resolve(kvm, ctx->mm, lo, hi, &ctx->wins);
}

/* s2_attrib_limit() - where a chunk that starts at @lo must stop (at most @hi). */
u64 s2_attrib_limit(const struct s2_attrib_ctx *ctx, u64 lo, u64 hi)
{
	return ctx->mm && ctx->wins.end > lo ? min(hi, ctx->wins.end) : hi;
}

/* s2_attrib_end() - after the chunk, once kvm->mmu_lock is dropped. */
void s2_attrib_end(struct kvm *kvm, struct s2_attrib_ctx *ctx)
{
	if (ctx->mm) {
		mmap_read_unlock(ctx->mm);
		mmput(ctx->mm);
		ctx->mm = NULL;
	}
	srcu_read_unlock(&kvm->srcu, ctx->srcu_idx);
}

/*
 * Where the device leaf at @ipa/@pa comes from (@ctx's windows may be empty).  A leaf in a
 * VFIO window is that device's region; in another known VMA it is "other" memory (its BDF
 * and BAR still named by address when a BAR holds it); without a window, by address.  The
 * answer holds below *@ipa_end (the window's end, or the next window's start) and *@pa_end
 * (the end of the BAR holding @pa; 0 when none does).
 */
static void attrib_leaf(const struct s2_attrib_ctx *ctx, u64 ipa, u64 pa, struct s2_src *src,
			u64 *ipa_end, u64 *pa_end)
{
	const struct s2_wins *ws = &ctx->wins;
	unsigned int i;

	*ipa_end = U64_MAX;
	for (i = 0; i < ws->n; i++) {
		const struct s2_win *w = &ws->w[i];
		struct s2_src bar;

		if (ipa >= w->end)
			continue;
		if (ipa < w->start) {
			*ipa_end = w->start;	/* the windows are in IPA order */
			break;
		}
		*src = w->src;
		*ipa_end = w->end;
		*pa_end = bar_lookup(pa, &bar);
		/*
		 * A VFIO window names its device; the BAR is the PCI resource holding @pa when
		 * that device has one (before 6.10 vfio-pci rewrites vm_pgoff to the PFN, so
		 * the offset's region index is only trusted for emulated regions, e.g.
		 * nvgrace-gpu's usemem/resmem, which no PCI resource holds).
		 */
		if (!(src->vma & S2_VMA_VFIO) || bar.bdf == src->bdf) {
			src->bdf = bar.bdf;
			src->bar = bar.bar;
			src->drv = bar.drv;
		}
		return;
	}
	*pa_end = bar_lookup(pa, src);
}

/**
 * s2_attrib_continues() - does the leaf at @ipa/@pa continue the last classified one?
 * @ctx: the chunk's context.
 * @ipa: the leaf's IPA.
 * @pa: its output address.
 * @size: its size.
 *
 * True when s2_attrib_classify() would answer from its memo (the same window and BAR): the
 * leaf then has the last one's source, and the memo moves past it.
 */
bool s2_attrib_continues(struct s2_attrib_ctx *ctx, u64 ipa, u64 pa, u64 size)
{
	if (ctx->memo_ipa != ipa || ctx->memo_pa != pa || ipa + size > ctx->memo_ipa_end ||
	    pa + size > ctx->memo_pa_end || ipa + size <= ipa || pa + size <= pa)
		return false;
	ctx->memo_ipa += size;
	ctx->memo_pa += size;
	return true;
}

/**
 * s2_attrib_classify() - is the leaf at @ipa/@pa device memory, and where does it come from?
 * @ctx: the chunk's context.
 * @ipa: the leaf's IPA.
 * @pa: its output address.
 * @size: its size.
 * @src: receives the source of a device leaf.
 *
 * Returns false for system RAM (not tracked).  The answer holds for the leaves that follow
 * contiguously in IPA and PA within the same window and the same BAR (a BAR is never RAM),
 * so it is remembered: the leaves of a run after the first cost a few compares instead of
 * a RAM lookup, a window search and a BAR search each.
 */
bool s2_attrib_classify(struct s2_attrib_ctx *ctx, u64 ipa, u64 pa, u64 size,
			struct s2_src *src)
{
	u64 ipa_end, pa_end = 0;

	if (s2_attrib_continues(ctx, ipa, pa, size)) {
		*src = ctx->memo_src;
		return true;
	}
	ctx->memo_pa_end = 0;
	if (pfn_is_map_memory(PHYS_PFN(pa)))
		return false;
	attrib_leaf(ctx, ipa, pa, src, &ipa_end, &pa_end);
	if (pa_end) {
		ctx->memo_src = *src;
		ctx->memo_ipa = ipa + size;
		ctx->memo_pa = pa + size;
		ctx->memo_ipa_end = ipa_end;
		ctx->memo_pa_end = pa_end;
	}
	return true;
}

/* What the host allows for cacheable PFNMAP memory (Linux 6.17+: FWB and DIC). */
const char *s2_attrib_cacheable_pfnmap(void)
{
	bool dic = cpus_have_final_cap(ARM64_HAS_CACHE_DIC);

	if (!S2_CACHEABLE_PFNMAP)
		return "kernel";
	if (!s2_fwb && !dic)
		return "no-fwb-dic";
	if (!s2_fwb)
		return "no-fwb";
	return dic ? "supported" : "no-dic";
}

/**
 * s2_attrib_reason() - why a tracked range got its attribute (docs/debugfs.md, "reason").
 * @attr: the range's attribute.
 * @src: its source.
 *
 * Returns an enum s2_reason (include/kvm_s2stat/format.h).
 */
unsigned int s2_attrib_reason(u8 attr, const struct s2_src *src)
{
	bool vma = src->via == S2_VIA_VMA;

	switch (attr) {
	case S2_ATTR_NC:
		if (!vma)
			return S2_REASON_NC;
		return (src->vma & S2_VMA_ANY_NC) ? S2_REASON_VMA_ALLOWS_NC :
						     S2_REASON_NC_WITHOUT_VMA_FLAG;
	case S2_ATTR_DEVICE:
		if (!S2_KERNEL_AT_LEAST(6, 9))
			return S2_REASON_KERNEL_FORCES_DEVICE;
		if (!vma)
			return S2_REASON_DEVICE;
		if (src->vma & S2_VMA_CACHEABLE)
			return S2_REASON_CACHEABLE_VMA_MAPPED_DEVICE;
		return (src->vma & S2_VMA_ANY_NC) ? S2_REASON_DEVICE_DESPITE_VMA_FLAG :
						     S2_REASON_VMA_DISALLOWS_NC;
	default:
		return vma && (src->vma & S2_VMA_CACHEABLE) ? S2_REASON_CACHEABLE_PFNMAP :
							      S2_REASON_NORMAL;
	}
}

const char *s2_attrib_via(u8 via)
{
	return via == S2_VIA_VMA ? "vma" : via == S2_VIA_PA ? "pa" : "-";
}

unsigned int s2_attrib_bars(unsigned int *vfio)
{
	const struct s2_bar_table *t;
	unsigned int n;

	rcu_read_lock();
	t = rcu_dereference(s2_bars);
	n = t ? t->n : 0;
	*vfio = t ? t->nvfio : 0;
	rcu_read_unlock();
	return n;
}

size_t s2_attrib_bytes(void)
{
	const struct s2_bar_table *t;
	size_t n;

	rcu_read_lock();
	t = rcu_dereference(s2_bars);
	n = t ? struct_size(t, bar, t->n) : 0;
	rcu_read_unlock();
	return n;
}

static int s2_pci_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_BOUND_DRIVER:
		s2_pci_rebuild(NULL, NULL);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		s2_pci_rebuild(NULL, pdev);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		s2_pci_rebuild(pdev, NULL);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block s2_pci_nb = {
	.notifier_call = s2_pci_notify,
};

int s2_attrib_init(void)
{
	int ret = bus_register_notifier(&pci_bus_type, &s2_pci_nb);

	if (ret)
		return ret;
	s2_pci_rebuild(NULL, NULL);
	return 0;
}

void s2_attrib_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &s2_pci_nb);
	synchronize_rcu();
	kfree(rcu_replace_pointer(s2_bars, NULL, true));
}
