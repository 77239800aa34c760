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

# Kernel lines (kernels/<line>.conf) and boot modes for the testbed; empty MODES means
# each line's own default modes.
ALL_KERNELS := $(shell ls $(TOP)/kernels/*.conf 2>/dev/null | sed 's|.*/||;s|\.conf$$||' | sort -V)
KERNELS ?= $(ALL_KERNELS)
MODES ?=
export KERNELS MODES

.DEFAULT_GOAL := all
.PHONY: all check

include $(TOP)/mk/module.mk
include $(TOP)/mk/userspace.mk
include $(TOP)/mk/vmm.mk
include $(TOP)/mk/testbed.mk

ifeq ($(HOST_ARCH),aarch64)
all: module-native cli
else
all: cross
	@echo "Built for the testbed kernels ($(KERNELS)) by cross-compiling; on an arm64 host"
	@echo "'make' builds the module for the running kernel instead."
endif

# make check: everything CI runs, in order, from a fresh clone.
check:
	$(MAKE) setup
	$(MAKE) host-test
	$(MAKE) cross
	$(MAKE) testbed
