// SPDX-License-Identifier: GPL-2.0
/*
 * probecost.ko: what merely hooking kvm_pgtable_stage2_map costs, without kvm_s2stat's own
 * work.  `make bench` builds it for every benchmark kernel (scripts/build-module.sh LINE
 * tests/bench/probecost) and times mode 4, the bare ftrace floor (tests/bench/10-fault.sh,
 * docs/performance.md); the other modes are the experiments behind "Where P1's overhead
 * goes".  One hook per load, by `mode`:
 *   0  kprobe, empty pre_handler
 *   1  kretprobe whose entry_handler returns 1 (no return probe armed): what kvm_s2stat does
 *      for a RAM map
 *   2  kretprobe whose entry_handler returns 0 (the return handler runs): what kvm_s2stat
 *      does for a device map
 *   3  ftrace_ops callback (DYNAMIC_FTRACE_WITH_ARGS) reading the arguments and calling
 *      pfn_is_map_memory() on the PA, as a RAM filter would
 *   4  the floor: an empty ftrace_ops callback, registered as kvm_s2stat registers its hooks
 *      (FTRACE_OPS_FL_PERMANENT, no FTRACE_OPS_FL_RECURSION: ftrace adds its recursion guard)
 *   5  the same with FTRACE_OPS_FL_RECURSION (the callback is called without that guard)
 * Every mode counts nothing but mode 0-3's hits (printed at unload).
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/version.h>

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
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	unsigned long phys = ftrace_regs_get_argument(fregs, 3);
#else
	unsigned long phys = ftrace_get_regs(fregs)->regs[3];	/* 6.1 arm64: WITH_REGS */
#endif

	atomic64_inc(&hits);
	if (!pfn_is_map_memory(PHYS_PFN(phys)))
		atomic64_inc(&dev);
}

static struct ftrace_ops fops = { .func = ft_cb, .flags = FTRACE_OPS_FL_RECURSION };

static void notrace ft_empty(unsigned long ip, unsigned long pip, struct ftrace_ops *op,
			     struct ftrace_regs *fregs)
{
}

static struct ftrace_ops fops_floor = { .func = ft_empty, .flags = FTRACE_OPS_FL_PERMANENT };
static struct ftrace_ops fops_floor_rec = { .func = ft_empty, .flags = FTRACE_OPS_FL_RECURSION };

static struct ftrace_ops *ft_ops(void)
{
	return mode == 3 ? &fops : mode == 4 ? &fops_floor : &fops_floor_rec;
}

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
	case 4:
	case 5:
		ret = ftrace_set_filter(ft_ops(), (unsigned char *)sym, sizeof(sym) - 1, 0);
		return ret ? ret : register_ftrace_function(ft_ops());
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
	case 4:
	case 5:
		unregister_ftrace_function(ft_ops());
		ftrace_free_filter(ft_ops());
		break;
	}
	pr_info("probecost: mode %d hits %lld returns/device %lld\n", mode,
		(long long)atomic64_read(&hits), (long long)atomic64_read(&dev));
}

module_init(pc_init);
module_exit(pc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvm-s2stat bench experiment: the cost of a hook on kvm_pgtable_stage2_map");
