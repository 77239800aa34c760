# SPDX-License-Identifier: GPL-2.0
# Host set-up, cross builds for the testbed, initramfs and the QEMU testbed (docs/testbed.md).
#
#   make setup            install missing host packages (apt-get; nothing else is changed)
#   make cross            modules for every line in KERNELS + static aarch64 s2vmm and CLI
#   make initramfs        $(B)/<line>/initramfs.cpio.gz for every line in KERNELS
#   make testbed          boot every KERNELS x MODES cell and run tests/guest/ (TESTS=globs)
#   make testbed-shell    one cell (KERNELS=<line> MODES=<mode>), a shell after the tests
#   make lint-scripts     shellcheck scripts/ and tests/guest/
#   make manifest         tests/expected from the last full, green testbed run (review it)
# Knobs: KERNELS, MODES, TESTS, JOBS (cells at once), CELL_TIMEOUT, KERNEL_ARGS.

.PHONY: setup cross initramfs testbed testbed-shell lint-scripts manifest

setup:
	@$(TOP)/scripts/setup-host.sh

cross: modules vmm cli-aarch64

initramfs: cross
	@set -e; for k in $(KERNELS); do $(TOP)/scripts/build-initramfs.sh $$k; done

# The testbed builds each line's module itself (scripts/testbed.sh: a line whose module does
# not build fails with one line, the other lines still run).
testbed: vmm cli-aarch64
	@$(TOP)/scripts/testbed.sh

testbed-shell: vmm cli-aarch64
	@DEBUG_SHELL=1 $(TOP)/scripts/testbed.sh

manifest:
	@$(TOP)/scripts/manifest.sh gen

lint-scripts:
	shellcheck -x $(TOP)/scripts/*.sh
	shellcheck -s sh -e SC1091 $(addprefix $(TOP)/tests/guest/,init lib.sh observer.sh 00-testbed.sh)
	shellcheck $(TOP)/.ci/run

# Stand-ins while a fragment does not define its target yet: an explicit rule in that
# fragment always wins over these pattern rules, which only warn.
host-tes%:
	@echo "warning: no 'host-test' target yet (mk/userspace.mk); host tests skipped" >&2
cli-aarch6%:
	@echo "warning: no 'cli-aarch64' target yet (mk/userspace.mk); CLI left out of the initramfs" >&2
vm%:
	@echo "warning: no 'vmm' target yet (mk/vmm.mk); s2vmm left out of the initramfs" >&2
