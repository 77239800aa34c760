// SPDX-License-Identifier: GPL-2.0
/*
 * probecost.ko: what merely hooking kvm_pgtable_stage2_map costs, without kvm_s2stat's own
 * work.  An experiment behind docs/performance.md ("Where P1's overhead goes"), not part of
 * `make bench` and not built by the project's Makefiles.  One hook per load, by `mode`:
 *   0  kprobe, empty pre_handler
 *   1  kretprobe whose entry_handler returns 1 (no return probe armed): what kvm_s2stat does
 *      for a RAM map
 *   2  kretprobe whose entry_handler returns 0 (the return handler runs): what kvm_s2stat
 *      does for a device map
 *   3  ftrace_ops callback (DYNAMIC_FTRACE_WITH_ARGS) reading the arguments and calling
 *      pfn_is_map_memory() on the PA, as a RAM filter would
 * Build against a testbed kernel's headers, e.g. for 6.12:
 *   make -C build/cache/kernels/6.12/build M=$PWD ARCH=arm64 \
 *        CROSS_COMPILE=aarch64-linux-gnu- CONFIG_DEBUG_INFO_BTF_MODULES= modules
 * with a Kbuild of `obj-m := probecost.o`; in the guest, time `touch SLOT all` of a VFIO BAR
 * slot and a --ram-nothp RAM slot (delete/readd before each) with no hook and with each mode.
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/module.h>

static int mode;
module_param(mode, int, 0444);
static atomic64_t hits, dev;

static int kp_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic64_inc(&hits);
	return 0;
}

static struct kprobe kp = { .symbol_name = "kvm_pgtable_stage2_map", .pre_handler = kp_pre };

static int krp_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic64_inc(&hits);
	return mode == 1;
}

static int krp_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic64_inc(&dev);
	return 0;
}

static struct kretprobe krp = {
	.kp.symbol_name = "kvm_pgtable_stage2_map",
	.entry_handler = krp_entry,
	.handler = krp_ret,
	.maxactive = 16,
};

static void notrace ft_cb(unsigned long ip, unsigned long pip, struct ftrace_ops *op,
			  struct ftrace_regs *fregs)
{
	unsigned long phys = ftrace_regs_get_argument(fregs, 3);

	atomic64_inc(&hits);
	if (!pfn_is_map_memory(PHYS_PFN(phys)))
		atomic64_inc(&dev);
}

static struct ftrace_ops fops = { .func = ft_cb, .flags = FTRACE_OPS_FL_RECURSION };

static int __init pc_init(void)
{
	static const char sym[] = "kvm_pgtable_stage2_map";
	int ret;

	switch (mode) {
	case 0:
		return register_kprobe(&kp);
	case 1:
	case 2:
		return register_kretprobe(&krp);
	case 3:
		ret = ftrace_set_filter(&fops, (unsigned char *)sym, sizeof(sym) - 1, 0);
		return ret ? ret : register_ftrace_function(&fops);
	}
	return -EINVAL;
}

static void __exit pc_exit(void)
{
	switch (mode) {
	case 0:
		unregister_kprobe(&kp);
		break;
	case 1:
	case 2:
		unregister_kretprobe(&krp);
		break;
	case 3:
		unregister_ftrace_function(&fops);
		break;
	}
	pr_info("probecost: mode %d hits %lld returns/device %lld\n", mode,
		(long long)atomic64_read(&hits), (long long)atomic64_read(&dev));
}

module_init(pc_init);
module_exit(pc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvm-s2stat bench experiment: the cost of a hook on kvm_pgtable_stage2_map");
