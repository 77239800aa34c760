# SPDX-License-Identifier: GPL-2.0
# kvm-s2stat top-level Makefile.
#
# On an arm64 host:  make && sudo make install   (module against KDIR, CLI with the system cc)
# On x86_64:         make                        (cross builds for the testbed kernels)
#                    make check                  (everything CI runs; see README.md)
#
# The rules live in mk/*.mk, one fragment per part of the project.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
B ?= $(TOP)/build
export TOP B

HOST_ARCH := $(shell uname -m)
CROSS_COMPILE_ARM64 ?= aarch64-linux-gnu-

# Kernel lines (kernels/<line>.conf) and boot modes (kernels/modes) for the testbed.
#   make check KERNELS=6.12 MODES=vhe TESTS='2*'
# Empty MODES means each line's own MODES_DEFAULT; MODES overrides it for every listed line.
# TESTS: globs of in-guest scripts (tests/guest/NN-*.sh) to run; JOBS: cells booted at once
# (empty: one per CPU).
ALL_KERNELS := $(shell ls $(TOP)/kernels/*.conf 2>/dev/null | sed 's|.*/||;s|\.conf$$||' | sort -V)
KERNELS ?= $(ALL_KERNELS)
MODES ?=
TESTS ?=
JOBS ?=
# CELL_TIMEOUT: empty = derived per cell from the selected scripts' timeouts (testbed.sh).
CELL_TIMEOUT ?=
KERNEL_ARGS ?=
# CHECK_DEMO=0: make check without the demo's run.
CHECK_DEMO ?= 1
export KERNELS MODES TESTS JOBS CELL_TIMEOUT KERNEL_ARGS

.DEFAULT_GOAL := all
.PHONY: all check

include $(TOP)/mk/module.mk
include $(TOP)/mk/userspace.mk
include $(TOP)/mk/vmm.mk
include $(TOP)/mk/testbed.mk
include $(TOP)/mk/matrix.mk
include $(TOP)/mk/demo.mk
include $(TOP)/mk/install.mk
include $(TOP)/mk/package.mk
include $(TOP)/mk/bench.mk
include $(TOP)/mk/debug.mk

ifeq ($(HOST_ARCH),aarch64)
all: module-native cli
else
all: cross
	@echo "Built for the testbed kernels ($(KERNELS)) by cross-compiling; on an arm64 host"
	@echo "'make' builds the module for the running kernel instead."
endif

# make check: everything CI runs, from a fresh clone: host set-up; the host tests and
# checkpatch (output in $(B)/check-host.log, printed when they end) while the static
# binaries and the kernel lines' modules and images are made (fetched and built ahead of
# the testbed); then, on a quiet machine, the demo's code path (`make demo`, README's first
# command, whose nested guest has a deadline) and the testbed, which builds the module per
# kernel line (a line whose kernel is not supported fails with one line, the others still
# run) and prints the summary, demo included ("N passed, N failed", the last line of output).
check:
	@set -e; t0=$$(date +%s); \
	$(MAKE) --no-print-directory setup; t1=$$(date +%s); \
	mkdir -p $(B); \
	{ $(MAKE) --no-print-directory host-test && $(MAKE) --no-print-directory checkpatch; } \
	  >$(B)/check-host.log 2>&1 & hp=$$!; \
	$(MAKE) --no-print-directory vmm cli-aarch64; \
	$(MAKE) --no-print-directory initramfs >$(B)/check-prep.log 2>&1 || \
	  echo "[check] preparing a kernel line failed (the testbed reports it): $(B)/check-prep.log" >&2; \
	t2=$$(date +%s); \
	hrc=0; wait $$hp || hrc=$$?; t3=$$(date +%s); cat $(B)/check-host.log; \
	[ $$hrc = 0 ] || { echo "[check] host tests or checkpatch failed (exit $$hrc)" >&2; exit $$hrc; }; \
	rm -f $(B)/demo/check.result; \
	[ "$(CHECK_DEMO)" = 0 ] || $(MAKE) --no-print-directory demo-check; t4=$$(date +%s); \
	echo "[check] setup $$((t1 - t0)) s, binaries+lines $$((t2 - t1)) s, host tests done at +$$((t3 - t1)) s, demo $$((t4 - t3)) s" >&2; \
	CHECK_RESULTS="$$([ "$(CHECK_DEMO)" = 0 ] || echo $(B)/demo/check.result)" \
	  $(MAKE) --no-print-directory testbed
