// SPDX-License-Identifier: GPL-2.0
/*
 * s2wc: guest-side test module of the testbed's real-VMM cells (docs/testbed.md).
 *
 * Loaded in a Linux guest that has a PCI BAR passed through (the emulated host's ivshmem,
 * through vfio-pci), it maps parts of that BAR in the guest kernel the way drivers do, and
 * prints where, so that the host can check kvm_s2stat's effective memory types:
 *
 *   map=ioremap     BAR offset dev_off,  stage 1 Device-nGnRE, every page touched
 *   map=ioremap_wc  BAR offset wc_off,   stage 1 Normal-NC,    every page touched
 *   map=idle_wc     BAR offset idle_off, stage 1 Normal-NC,    never touched (so never
 *                   mapped at stage 2: the host reports the type it will get)
 *
 * One line per mapping, at KERN_WARNING (the guest runs with "quiet"):
 *   s2wc: map=<name> ipa=0x<guest PA> va=0x<guest VA> size=0x<bytes> touched=<pages>
 * The mappings stay until the module is removed.
 */
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>

static ushort vendor = 0x1af4;	/* ivshmem */
module_param(vendor, ushort, 0444);
static ushort device = 0x1110;
module_param(device, ushort, 0444);
static uint bar = 2;
module_param(bar, uint, 0444);
static ulong size = 0x10000;
module_param(size, ulong, 0444);
static ulong dev_off;
module_param(dev_off, ulong, 0444);
static ulong wc_off = 0x200000;
module_param(wc_off, ulong, 0444);
static ulong idle_off = 0x6000000;
module_param(idle_off, ulong, 0444);

struct s2wc_map {
	const char *name;
	ulong *off;
	bool wc, touch;
	void __iomem *va;
};

static struct s2wc_map maps[] = {
	{ "ioremap", &dev_off, false, true },
	{ "ioremap_wc", &wc_off, true, true },
	{ "idle_wc", &idle_off, true, false },
};

static struct pci_dev *pdev;

static void s2wc_unmap(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		if (maps[i].va)
			iounmap(maps[i].va);
		maps[i].va = NULL;
	}
}

static int __init s2wc_init(void)
{
	resource_size_t start, len;
	unsigned int i, p, pages;
	int ret;

	pdev = pci_get_device(vendor, device, NULL);
	if (!pdev) {
		pr_warn("s2wc: no PCI device %04x:%04x\n", vendor, device);
		return -ENODEV;
	}
	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto put;
	start = pci_resource_start(pdev, bar);
	len = pci_resource_len(pdev, bar);
	pages = size / PAGE_SIZE;
	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		struct s2wc_map *m = &maps[i];

		if (*m->off + size > len || *m->off % PAGE_SIZE || size % PAGE_SIZE) {
			pr_warn("s2wc: %s: offset 0x%lx + 0x%lx outside BAR%u (0x%llx) or unaligned\n",
				m->name, *m->off, size, bar, (unsigned long long)len);
			ret = -EINVAL;
			goto unmap;
		}
		m->va = m->wc ? ioremap_wc(start + *m->off, size) : ioremap(start + *m->off, size);
		if (!m->va) {
			ret = -ENOMEM;
			goto unmap;
		}
		if (m->touch) {
			for (p = 0; p < pages; p++)
				writel(0x53320000 | p, m->va + p * PAGE_SIZE);
			wmb(); /* the writes reach the BAR before they are read back */
			for (p = 0; p < pages; p++) {
				if (readl(m->va + p * PAGE_SIZE) != (0x53320000 | p)) {
					pr_warn("s2wc: %s: page %u reads back wrong\n", m->name, p);
					ret = -EIO;
					goto unmap;
				}
			}
		}
		pr_warn("s2wc: map=%s ipa=0x%llx va=0x%px size=0x%lx touched=%u\n", m->name,
			(unsigned long long)(start + *m->off), m->va, size, m->touch ? pages : 0);
	}
	return 0;
unmap:
	s2wc_unmap();
	pci_disable_device(pdev);
put:
	pci_dev_put(pdev);
	return ret;
}

static void __exit s2wc_exit(void)
{
	s2wc_unmap();
	pci_disable_device(pdev);
	pci_dev_put(pdev);
}

module_init(s2wc_init);
module_exit(s2wc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvm-s2stat testbed: guest ioremap/ioremap_wc of a passed-through BAR");
