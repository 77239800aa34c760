# SPDX-License-Identifier: GPL-2.0
# Host set-up, cross builds for the testbed, initramfs and the QEMU testbed (docs/testbed.md).
#
#   make setup            install missing host packages (apt-get; nothing else is changed)
#   make cross            modules for every line in KERNELS + static aarch64 s2vmm and CLI
#   make initramfs        $(B)/<line>/initramfs.cpio.gz for every line in KERNELS
#   make testbed          boot every KERNELS x MODES cell and run tests/guest/ (TESTS=globs)
#   make testbed-shell    one cell (KERNELS=<line> MODES=<mode>), a shell after the tests
#   make lint-scripts     shellcheck scripts/ and tests/guest/
# Knobs: KERNELS, MODES, TESTS, JOBS (cells at once), CELL_TIMEOUT, KERNEL_ARGS.

.PHONY: setup cross initramfs testbed testbed-shell lint-scripts

setup:
	@$(TOP)/scripts/setup-host.sh

cross: modules vmm cli-aarch64

initramfs: cross
	@set -e; for k in $(KERNELS); do $(TOP)/scripts/build-initramfs.sh $$k; done

testbed: cross
	@$(TOP)/scripts/testbed.sh

testbed-shell: cross
	@DEBUG_SHELL=1 $(TOP)/scripts/testbed.sh

lint-scripts:
	shellcheck -x $(TOP)/scripts/*.sh
	shellcheck -s sh -e SC1091 $(addprefix $(TOP)/tests/guest/,init lib.sh 00-testbed.sh)

# Stand-ins while a fragment does not define its target yet: an explicit rule in that
# fragment always wins over these pattern rules, which only warn.
host-tes%:
	@echo "warning: no 'host-test' target yet (mk/userspace.mk); host tests skipped" >&2
cli-aarch6%:
	@echo "warning: no 'cli-aarch64' target yet (mk/userspace.mk); CLI left out of the initramfs" >&2
vm%:
	@echo "warning: no 'vmm' target yet (mk/vmm.mk); s2vmm left out of the initramfs" >&2
