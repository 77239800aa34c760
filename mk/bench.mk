# SPDX-License-Identifier: GPL-2.0
# Benchmarks in the testbed (docs/performance.md).
#
#   make bench            build for the benchmark kernels, boot each KERNELS x MODES cell with
#                         the tests/bench/ suite, print the table; files under $(B)/bench/
#   make bench-helper     $(B)/aarch64/s2bench, the in-guest timing helper (static aarch64)
# Knobs: KERNELS (default 6.12 here, not every line), BENCH_P1_KERNELS (lines that get P1,
# 10-fault, alone: 6.1 and trixie-backports when KERNELS is not given, so one run covers
# every line's P1), MODES (default vhe), BENCH_PAIRS (A/B pairs per figure, default 7),
# BENCH_CLOCK (icount, the default: guest time counts instructions; or wall), BENCH_WALL
# (scripts also run in a wall-clock boot, default 31-stall), BENCH_TIMEOUT (seconds per
# boot, default 3600), TESTS (globs of tests/bench/NN-*.sh, e.g. TESTS=10-fault).  See
# scripts/bench.sh.

.PHONY: bench bench-helper

BENCH_KERNELS := $(if $(filter file,$(origin KERNELS)),6.12,$(KERNELS))
BENCH_P1_KERNELS ?= $(if $(filter file,$(origin KERNELS)),6.1 trixie-backports)
BENCH_MODES := $(if $(MODES),$(MODES),vhe)
BENCH_PAIRS ?= 7
BENCH_TIMEOUT ?= 3600
BENCH_BIN := $(B)/aarch64/s2bench

bench-helper: $(BENCH_BIN)

$(BENCH_BIN): $(TOP)/tests/bench/s2bench.c $(TOP)/mk/bench.mk
	@mkdir -p $(dir $@)
	$(CROSS_COMPILE_ARM64)gcc -std=c11 -Wall -Wextra -Werror -O2 -static -o $@ $<

bench:
	@$(MAKE) --no-print-directory setup
	@$(MAKE) --no-print-directory cross bench-helper KERNELS='$(BENCH_KERNELS) $(BENCH_P1_KERNELS)'
	@KERNELS='$(BENCH_KERNELS)' BENCH_P1_KERNELS='$(BENCH_P1_KERNELS)' MODES='$(BENCH_MODES)' BENCH_PAIRS='$(BENCH_PAIRS)' \
	  CELL_TIMEOUT='$(BENCH_TIMEOUT)' $(TOP)/scripts/bench.sh
