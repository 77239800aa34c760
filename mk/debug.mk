# SPDX-License-Identifier: GPL-2.0
# The debug-kernel lane (docs/debug-kernel.md).
#
#   make debug-kernel    build (or reuse) the 6.12 debug kernel: Debian's linux-source-6.12,
#                        allnoconfig + kernels/debug/*.config (KASAN, lockdep, atomic-sleep,
#                        kmemleak, kprobes), cached in $(B)/cache/kernels/6.12-debug
#   make check-debug     setup, debug-kernel, the module and binaries for it, then the whole
#                        testbed suite on it in every mode of the line (vhe, nvhe): any KASAN,
#                        lockdep, kmemleak, sleeping-in-atomic, WARNING or BUG report fails
# Knobs: DEBUG_KERNEL (line, default 6.12-debug), MODES, TESTS, JOBS, DEBUG_CELL_TIMEOUT
# (seconds per cell, default 7200), DEBUG_KERNEL_JOBS / DEBUG_KERNEL_NICE (kernel build
# parallelism and niceness, default nproc / 19), DEBUG_SRCVER (pin the source version).

.PHONY: debug-kernel check-debug

DEBUG_KERNEL ?= 6.12-debug
DEBUG_CELL_TIMEOUT ?= 7200

debug-kernel:
	@$(TOP)/scripts/build-debug-kernel.sh $(DEBUG_KERNEL)

check-debug:
	@set -e; t0=$$(date +%s); \
	$(MAKE) --no-print-directory setup; \
	$(MAKE) --no-print-directory debug-kernel; t1=$$(date +%s); \
	$(MAKE) --no-print-directory cross KERNELS=$(DEBUG_KERNEL); t2=$$(date +%s); \
	echo "[check-debug] kernel $$((t1 - t0)) s ($$(cat $(B)/cache/kernels/$(DEBUG_KERNEL)/build-time)), cross $$((t2 - t1)) s" >&2; \
	rc=0; $(MAKE) --no-print-directory testbed KERNELS=$(DEBUG_KERNEL) \
	  CELL_TIMEOUT=$(DEBUG_CELL_TIMEOUT) || rc=$$?; \
	echo "[check-debug] testbed $$(( $$(date +%s) - t2 )) s, total $$(( $$(date +%s) - t0 )) s" >&2; \
	exit $$rc
