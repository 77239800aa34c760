// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_s2stat: live, exact per-VM stage-2 memory attributes of KVM guests' device memory
 * (DEVICE_nGnRE, NORMAL_NC, Normal), with VFIO attribution, in debugfs.
 *
 * This file is the composition root: it orders the layers' init and exit (docs/design.md,
 * "Lifetime").  docs/debugfs.md specifies what the module shows.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <asm/cpufeature.h>

#include "attrib.h"
#include "capture.h"
#include "compat.h"
#include "debugfs.h"
#include "discover.h"
#include "hooks.h"
#include "lifecycle.h"
#include "s2stat.h"
#include "vm.h"

#define S2_MAX_RANGES_LIMIT	(16U << 20)

struct s2_stats s2_stats;
unsigned int s2_max_ranges = 262144;
bool s2_fwb, s2_lpa2, s2_xnx;

static int s2_param_set_max_ranges(const char *val, const struct kernel_param *kp)
{
	unsigned int n;

	if (kstrtouint(val, 0, &n) || n < 1 || n > S2_MAX_RANGES_LIMIT) {
		pr_err("max_ranges=%s rejected: must be an integer from 1 to %u\n", val,
		       S2_MAX_RANGES_LIMIT);
		return -EINVAL;
	}
	WRITE_ONCE(s2_max_ranges, n);
	return 0;
}

static const struct kernel_param_ops s2_max_ranges_ops = {
	.set = s2_param_set_max_ranges,
	.get = param_get_uint,
};

module_param_cb(max_ranges, &s2_max_ranges_ops, &s2_max_ranges, 0644);
MODULE_PARM_DESC(max_ranges, "budget of tracked and pending ranges, all VMs together (1..16777216, default 262144)");

/*
 * Init order: state and attribution, work, files, then the hooks (the guard first), then
 * discovery.  Exit undoes it with the guard last: event hooks off, work drained, files gone,
 * guard off, objects freed.
 */
static int __init s2stat_init(void)
{
	int ret;

	s2_fwb = cpus_have_final_cap(ARM64_HAS_STAGE2_FWB);
	s2_lpa2 = s2_lpa2_enabled();
	s2_xnx = S2_DESC_XNX;

	ret = s2_vm_init();
	if (ret)
		return ret;
	ret = s2_attrib_init();
	if (ret)
		goto err_vm;
	ret = s2_lc_init();
	if (ret)
		goto err_attrib;
	s2_capture_init();
	ret = s2_debugfs_init();
	if (ret) {
		pr_err("cannot create debugfs directory (error %d): is debugfs disabled (debugfs=off)?\n",
		       ret);
		goto err_lc;
	}
	ret = s2_hooks_init();
	if (ret)
		goto err_debugfs;
	s2_discover();

	pr_info("loaded: kvm mode %s, page size %lu, FWB %s, LPA2 %s, discovery %s\n",
		s2_hooks_kvm_mode(), PAGE_SIZE, s2_fwb ? "on" : "off", s2_lpa2 ? "on" : "off",
		s2_discovery);
	return 0;

err_debugfs:
	s2_debugfs_exit();
err_lc:
	s2_lc_stop();
	s2_lc_exit();
err_attrib:
	s2_attrib_exit();
err_vm:
	s2_vm_exit();
	return ret;
}

static void __exit s2stat_exit(void)
{
	s2_hooks_stop();
	s2_lc_stop();
	s2_debugfs_exit();
	s2_hooks_exit();
	s2_lc_exit();
	s2_attrib_exit();
	s2_vm_exit();
	pr_info("unloaded\n");
}

module_init(s2stat_init);
module_exit(s2stat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Stage-2 memory attributes of KVM guests' device mappings");
MODULE_VERSION(S2STAT_VERSION);
