// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat: which PCI BAR holds a physical address, and is its device bound to vfio?
 *
 * A sorted table of every assigned PCI memory BAR (address range, BDF, BAR index, driver) is
 * rebuilt in process context at load and on every PCI bus notification that can change it
 * (device added or removed, driver bound or unbound), and published with RCU so that probe
 * handlers look an address up with a binary search and no lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "attrib.h"

#define S2_MAX_DRIVERS	32
#define S2_DRV_NAME_LEN	40

struct s2_bar {
	u64 start, end;		/* [start, end) */
	u32 bdf;
	u8 bar;
	u8 drv;
	bool vfio;
};

struct s2_bar_table {
	struct rcu_head rcu;
	unsigned int n, nvfio;
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
	unsigned int n = 0;
	int i;

	mutex_lock(&s2_pci_mutex);
	for_each_pci_dev(pdev)
		n += PCI_STD_NUM_BARS;
	t = kzalloc(struct_size(t, bar, n), GFP_KERNEL);
	if (!t) {
		mutex_unlock(&s2_pci_mutex);
		pr_warn("out of memory: PCI BAR table not updated\n");
		return;
	}
	pdev = NULL;
	for_each_pci_dev(pdev) {
		struct device_driver *drv = READ_ONCE(pdev->dev.driver);
		const char *name = drv && pdev != unbound ? drv->name : NULL;

		if (pdev == gone)
			continue;
		for (i = 0; i < PCI_STD_NUM_BARS && t->n < n; i++) {
			struct resource *res = &pdev->resource[i];
			struct s2_bar *b = &t->bar[t->n];

			if (!(res->flags & IORESOURCE_MEM) || (res->flags & IORESOURCE_UNSET) ||
			    !res->start || !resource_size(res))
				continue;
			b->start = res->start;
			b->end = res->start + resource_size(res);
			b->bdf = (pci_domain_nr(pdev->bus) << 16) | (pdev->bus->number << 8) |
				 pdev->devfn;
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
void s2_attrib_lookup(u64 pa, struct s2_src *src)
{
	const struct s2_bar_table *t;
	unsigned int lo = 0, hi;

	src->bdf = S2_NO_BDF;
	src->bar = S2_NO_BAR;
	src->drv = 0;
	src->class = S2_CLASS_OTHER_IDX;

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
			break;
		}
	}
	rcu_read_unlock();
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
