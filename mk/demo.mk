# SPDX-License-Identifier: GPL-2.0
# make demo: set everything up, boot the emulated arm64 KVM host and show kvm-s2stat on a
# real VM (Debian's qemu-system-aarch64 with a vfio-pci device) -- docs/demo.md.
#
#   make demo                    Linux 6.12, VHE: the demo runs and powers off
#   make demo KERNEL=6.1         another kernel line (kernels/<line>.conf)
#   make demo MODE=nvhe          another boot mode (kernels/modes)
#   make demo DEMO_SHELL=1       leave a shell on the emulated host (VM still running);
#   make demo SHELL=1            the same (SHELL=0/1 given to make is taken as DEMO_SHELL)
# Knobs passed to scripts/demo.sh: DEMO_TIMEOUT, DEMO_GUEST_TIMEOUT, KERNEL_ARGS.
#   make demo-lint               shellcheck the demo scripts

# SHELL is make's own shell: `make demo SHELL=1` would run every recipe with "1".  A
# command-line SHELL of 0/1/yes/no is therefore taken as DEMO_SHELL, make's SHELL is put back
# to /bin/sh and the assignment is kept away from sub-makes (kbuild) and recipes.
ifeq ($(origin SHELL),command line)
ifneq ($(filter 0 1 y n yes no,$(SHELL)),)
DEMO_SHELL := $(SHELL)
override SHELL := /bin/sh
MAKEOVERRIDES := $(filter-out SHELL=%,$(MAKEOVERRIDES))
endif
endif

DEMO_KERNEL ?= $(if $(KERNEL),$(KERNEL),6.12)
DEMO_MODE ?= $(if $(MODE),$(MODE),vhe)
DEMO_SHELL ?= 0

.PHONY: demo

# Only what the demo needs: the module for one kernel line and the static binaries.
# DEMO_T0: when `make demo` started, for the total time the demo prints.
demo:
	@t0=$$(date +%s.%N); \
	$(MAKE) --no-print-directory setup && \
	$(MAKE) --no-print-directory cross KERNELS=$(DEMO_KERNEL) && \
	DEMO_T0=$$t0 DEMO_KERNEL=$(DEMO_KERNEL) DEMO_MODE=$(DEMO_MODE) DEMO_SHELL=$(DEMO_SHELL) \
	  $(TOP)/scripts/demo.sh

# make demo-check: what `make check` runs: the demo's code path from the same build,
# non-interactive, console into $(B)/demo/check.log; its verdict goes into
# $(B)/demo/check.result ("pass|fail demo/make-demo ..."), which scripts/testbed.sh counts
# in the final "N passed, N failed" (CHECK_RESULTS).  Never fails by itself.
.PHONY: demo-check
demo-check:
	@mkdir -p $(B)/demo; t0=$$(date +%s); \
	if $(MAKE) --no-print-directory demo DEMO_SHELL=0 DEMO_KERNEL=$(DEMO_KERNEL) DEMO_MODE=$(DEMO_MODE) \
	    >$(B)/demo/check.log 2>&1; then \
	  echo "pass demo/make-demo" >$(B)/demo/check.result; \
	else \
	  why=$$(sed -n 's/^demo: FAILED: //p' $(B)/demo/check.log | tail -n1); \
	  [ -n "$$why" ] || why=$$(grep -m1 -iE 'error' $(B)/demo/check.log); \
	  echo "fail demo/make-demo $${why:-see $(B)/demo/check.log}  [log: $(B)/demo/check.log]" >$(B)/demo/check.result; \
	fi; \
	echo "[check] demo ($(DEMO_KERNEL)/$(DEMO_MODE)): $$(cut -d' ' -f1 $(B)/demo/check.result) in $$(( $$(date +%s) - t0 )) s; $$(grep -m1 '^demo: OK' $(B)/demo/check.log || true)" >&2

# shellcheck the demo's scripts (the build side and what runs in the emulated host/guest).
.PHONY: demo-lint
demo-lint:
	shellcheck -x $(TOP)/scripts/demo.sh
	shellcheck -s sh $(TOP)/tests/demo/host-init $(TOP)/tests/demo/guest-init
