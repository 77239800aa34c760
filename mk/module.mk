# SPDX-License-Identifier: GPL-2.0
# Module builds.  Cross builds per kernel line are done by scripts/build-module.sh into
# $(B)/<line>/kvm_s2stat.ko; native builds use KDIR.

KDIR ?= /lib/modules/$(shell uname -r)/build

.PHONY: modules module-native checkpatch

modules:
	@set -e; for k in $(KERNELS); do $(TOP)/scripts/build-module.sh $$k; done

module-native:
	$(MAKE) -C $(KDIR) M=$(TOP) modules

# checkpatch --strict and kernel-doc on module/ (the kernel's own scripts, from Debian's
# linux-source package, cached in the build area).
checkpatch:
	@$(TOP)/scripts/checkpatch.sh
