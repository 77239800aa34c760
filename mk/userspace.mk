# SPDX-License-Identifier: GPL-2.0
# The kvm-s2stat CLI (userspace/) and its host tests (tests/unit, tests/fuzz, tests/fixtures).
#
#   make cli           $(B)/host/kvm-s2stat       host build with $(CC) (native on arm64)
#   make cli-aarch64   $(B)/aarch64/kvm-s2stat    static, $(CROSS_COMPILE_ARM64)gcc
#   make host-test     every host test: decoder, parser, identity and report unit tests,
#                      promtool on the alert rules, CLI tests over the fixtures (cmocka,
#                      ASan+UBSan), then bounded libFuzzer runs (parsers; VMM command lines)
#   make fuzz          a longer libFuzzer run (FUZZ_TIME seconds, default 600)
#
# Debian packages: gcc, clang (clang-14), libclang-rt-14-dev (libFuzzer and sanitizer
# runtimes), libcmocka-dev, python3, man-db, mandoc (man page lint), prometheus (promtool:
# check metrics, check and test rules); gcc-aarch64-linux-gnu and libc6-dev-arm64-cross for
# cli-aarch64.  Everything is built under $(B); nothing is written to the source tree.

.PHONY: cli cli-aarch64 host-test host-test-deps fuzz

CLI_SRCS := main.c s2parse.c s2read.c s2ident.c s2report.c s2check.c s2table.c s2view.c \
	    s2json.c s2prom.c
CLI_LIB_SRCS := $(filter-out main.c,$(CLI_SRCS))
CLI_DEPS := $(wildcard $(TOP)/userspace/*.h) $(wildcard $(TOP)/include/kvm_s2stat/*.h) \
	    $(TOP)/mk/userspace.mk
CLI_WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wformat=2 -Wno-format-nonliteral -Wundef -Wpointer-arith
CLI_CPPFLAGS := -I$(TOP)/include -I$(TOP)/userspace -D_FILE_OFFSET_BITS=64
CLI_CFLAGS ?= -O2 -g
CROSS_CC_ARM64 := $(CROSS_COMPILE_ARM64)gcc

# Tests: sanitizers with clang (the CLI itself is built with $(CC), usually gcc: both must
# compile it warning-free).
SAN_CC ?= clang
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=all
FUZZ_CC ?= clang
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# Bounded runs in host-test: FUZZ_RUNS (parsers) and FUZZ_IDENT_RUNS (VMM command lines and
# every output of the identity: ~2000 inputs/s) inputs, or FUZZ_SMOKE_TIME seconds each,
# whichever comes first.
FUZZ_RUNS ?= 300000
FUZZ_IDENT_RUNS ?= 50000
FUZZ_SMOKE_TIME ?= 30
FUZZ_TIME ?= 600

UT := $(B)/host-test
FZ := $(B)/fuzz

# ---- the CLI ----

cli: $(B)/host/kvm-s2stat
cli-aarch64: $(B)/aarch64/kvm-s2stat

$(B)/host/obj/%.o: $(TOP)/userspace/%.c $(CLI_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CLI_WARN) $(CLI_CPPFLAGS) $(CLI_CFLAGS) -c $< -o $@

$(B)/host/kvm-s2stat: $(addprefix $(B)/host/obj/,$(CLI_SRCS:.c=.o))
	$(CC) $(CLI_CFLAGS) $^ -o $@

$(B)/aarch64/obj/%.o: $(TOP)/userspace/%.c $(CLI_DEPS)
	@mkdir -p $(@D)
	$(CROSS_CC_ARM64) $(CLI_WARN) $(CLI_CPPFLAGS) -O2 -c $< -o $@

$(B)/aarch64/kvm-s2stat: $(addprefix $(B)/aarch64/obj/,$(CLI_SRCS:.c=.o))
	$(CROSS_CC_ARM64) -static -O2 $^ -o $@

# ---- host tests ----

# Fails with the package to install when a tool the tests need is missing.
host-test-deps:
	@command -v $(SAN_CC) >/dev/null 2>&1 || { echo "host-test: $(SAN_CC) missing: apt-get install clang" >&2; exit 1; }
	@printf '#include <stdarg.h>\n#include <stddef.h>\n#include <setjmp.h>\n#include <cmocka.h>\n' | \
	  $(SAN_CC) -E -x c - >/dev/null 2>&1 || { echo "host-test: cmocka missing: apt-get install libcmocka-dev" >&2; exit 1; }
	@mkdir -p $(UT)
	@printf 'int main(void){return 0;}\n' > $(UT)/.probe.c
	@$(SAN_CC) $(SAN_FLAGS) $(UT)/.probe.c -o $(UT)/.probe >/dev/null 2>&1 || { echo "host-test: clang sanitizer runtimes missing: apt-get install libclang-rt-14-dev" >&2; exit 1; }
	@printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n){(void)d;(void)n;return 0;}\n' > $(UT)/.fprobe.c
	@$(FUZZ_CC) $(FUZZ_FLAGS) $(UT)/.fprobe.c -o $(UT)/.fprobe >/dev/null 2>&1 || { echo "host-test: libFuzzer missing: apt-get install libclang-rt-14-dev" >&2; exit 1; }
	@command -v python3 >/dev/null 2>&1 || { echo "host-test: python3 missing: apt-get install python3" >&2; exit 1; }
	@command -v man >/dev/null 2>&1 || { echo "host-test: man missing: apt-get install man-db" >&2; exit 1; }
	@command -v mandoc >/dev/null 2>&1 || { echo "host-test: mandoc missing: apt-get install mandoc" >&2; exit 1; }
	@command -v promtool >/dev/null 2>&1 || { echo "host-test: promtool missing: apt-get install prometheus" >&2; exit 1; }

$(UT)/obj/%.o: $(TOP)/userspace/%.c $(CLI_DEPS) | host-test-deps
	@mkdir -p $(@D)
	$(SAN_CC) $(CLI_WARN) $(CLI_CPPFLAGS) $(SAN_FLAGS) -c $< -o $@

$(UT)/kvm-s2stat: $(addprefix $(UT)/obj/,$(CLI_SRCS:.c=.o))
	$(SAN_CC) $(SAN_FLAGS) $^ -o $@

UT_LIB := $(addprefix $(UT)/obj/,$(CLI_LIB_SRCS:.c=.o))
UT_WARN := -std=c11 -Wall -Wextra -Werror

$(UT)/test_decode: $(TOP)/tests/unit/test_decode.c $(CLI_DEPS) | host-test-deps
	@mkdir -p $(@D)
	$(SAN_CC) $(UT_WARN) $(CLI_CPPFLAGS) $(SAN_FLAGS) $< -lcmocka -o $@

$(UT)/test_parse: $(TOP)/tests/unit/test_parse.c $(UT_LIB) $(CLI_DEPS) | host-test-deps
	$(SAN_CC) $(UT_WARN) $(CLI_CPPFLAGS) $(SAN_FLAGS) $< $(UT_LIB) -lcmocka -o $@

# The module's pure range tree, against a host shim of <linux/rbtree.h>.
RTREE_CPPFLAGS := -I$(TOP)/tests/unit/kshim -I$(TOP)/module -I$(TOP)/include
$(UT)/test_rtree: $(TOP)/tests/unit/test_rtree.c $(TOP)/module/rtree.c $(TOP)/module/rtree.h \
		  $(wildcard $(TOP)/tests/unit/kshim/linux/*.h) $(CLI_DEPS) | host-test-deps
	@mkdir -p $(@D)
	$(SAN_CC) $(UT_WARN) $(RTREE_CPPFLAGS) $(SAN_FLAGS) $< $(TOP)/module/rtree.c -lcmocka -o $@

$(UT)/test_ident $(UT)/test_report: $(UT)/%: $(TOP)/tests/unit/%.c $(UT_LIB) $(CLI_DEPS) | host-test-deps
	$(SAN_CC) $(UT_WARN) $(CLI_CPPFLAGS) $(SAN_FLAGS) $< $(UT_LIB) -lcmocka -o $@

$(UT)/test_cli: $(TOP)/tests/unit/test_cli.c $(CLI_DEPS) | host-test-deps
	$(SAN_CC) $(UT_WARN) $(CLI_CPPFLAGS) $(SAN_FLAGS) $< -lcmocka -o $@

# ---- fuzzing ----

FUZZ_LIB := $(addprefix $(TOP)/userspace/,$(CLI_LIB_SRCS))

$(FZ)/fuzz_parse: $(TOP)/tests/fuzz/fuzz_parse.c $(FUZZ_LIB) $(CLI_DEPS) | host-test-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(UT_WARN) $(CLI_CPPFLAGS) $(FUZZ_FLAGS) $< $(FUZZ_LIB) -o $@

$(FZ)/fuzz_ident: $(TOP)/tests/fuzz/fuzz_ident.c $(TOP)/tests/fuzz/ident.allowlist $(FUZZ_LIB) \
		  $(CLI_DEPS) | host-test-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(UT_WARN) $(CLI_CPPFLAGS) $(FUZZ_FLAGS) \
	  -fsanitize-coverage-allowlist=$(TOP)/tests/fuzz/ident.allowlist $< $(FUZZ_LIB) -o $@

# Seeds: every fixture file, prefixed with the byte that selects its parser (fuzz_parse.c);
# the fixtures' VMM command lines for fuzz_ident.c.
$(FZ)/seeds.stamp: $(shell find $(TOP)/tests/fixtures -type f 2>/dev/null) $(TOP)/tests/fuzz/mkseeds.sh
	@mkdir -p $(FZ)
	$(TOP)/tests/fuzz/mkseeds.sh $(TOP)/tests/fixtures $(FZ)/seeds $(FZ)/seeds-ident
	@touch $@

# $(call fuzz_run,TARGET,SEEDS,what,libFuzzer options,inputs below which to say so)
define fuzz_run
	@rm -rf $(FZ)/corpus-$(1) && mkdir -p $(FZ)/corpus-$(1) $(FZ)/artifacts
	@echo "fuzz $(1): $(3)"
	@cd $(FZ) && ./fuzz_$(1) -artifact_prefix=$(FZ)/artifacts/$(1)- -print_final_stats=1 \
	  $(4) $(FZ)/corpus-$(1) $(FZ)/$(2) > $(FZ)/last-run-$(1).log 2>&1 || { \
	  tail -n 60 $(FZ)/last-run-$(1).log; \
	  echo "fuzz $(1): FAILED (crash input in $(FZ)/artifacts/, log $(FZ)/last-run-$(1).log)" >&2; \
	  exit 1; }
	@runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FZ)/last-run-$(1).log); \
	  secs=$$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' $(FZ)/last-run-$(1).log); \
	  cov=$$(grep -o 'cov: [0-9]*' $(FZ)/last-run-$(1).log | tail -n 1); \
	  echo "fuzz $(1): OK: $$runs inputs in $$secs s, $$cov, no crash (log $(FZ)/last-run-$(1).log)"; \
	  if [ "$${runs:-0}" -lt $(5) ]; then echo "fuzz $(1): note: fewer than $(5) inputs (slow machine?)"; fi
endef

fuzz: $(FZ)/fuzz_parse $(FZ)/fuzz_ident $(FZ)/seeds.stamp
	$(call fuzz_run,parse,seeds,up to $(FUZZ_TIME) s,-max_total_time=$(FUZZ_TIME),1000000)
	$(call fuzz_run,ident,seeds-ident,up to $(FUZZ_TIME) s,-max_total_time=$(FUZZ_TIME),1000000)

# ---- host-test ----

RULES := $(TOP)/userspace/kvm-s2stat.rules.yml

host-test: host-test-deps $(B)/host/kvm-s2stat $(UT)/kvm-s2stat $(UT)/test_decode \
	   $(UT)/test_rtree $(UT)/test_parse $(UT)/test_ident $(UT)/test_report $(UT)/test_cli \
	   $(FZ)/fuzz_parse $(FZ)/fuzz_ident $(FZ)/seeds.stamp
	@echo "== test_decode"
	@$(UT)/test_decode
	@echo "== test_rtree"
	@$(UT)/test_rtree
	@echo "== test_parse"
	@cd $(TOP) && S2_FIXTURES=$(TOP)/tests/fixtures S2_TMP=$(UT)/tmp $(UT)/test_parse
	@echo "== test_ident"
	@$(UT)/test_ident
	@echo "== test_report"
	@$(UT)/test_report
	@echo "== promtool check rules, promtool test rules"
	@promtool check rules $(RULES)
	@promtool test rules $(TOP)/tests/unit/rules_test.yml
	@echo "== test_cli"
	@cd $(TOP) && S2_CLI=$(UT)/kvm-s2stat S2_FIXTURES=$(TOP)/tests/fixtures \
	  S2_TMP=$(UT)/tmp S2_TOOLS=$(TOP)/tests/unit S2_MAN=$(TOP)/userspace/kvm-s2stat.8 \
	  S2_RULES=$(RULES) ASAN_OPTIONS=detect_leaks=0 $(UT)/test_cli
	$(call fuzz_run,parse,seeds,$(FUZZ_RUNS) inputs (at most $(FUZZ_SMOKE_TIME) s),-runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_SMOKE_TIME),$(FUZZ_RUNS))
	$(call fuzz_run,ident,seeds-ident,$(FUZZ_IDENT_RUNS) inputs (at most $(FUZZ_SMOKE_TIME) s),-runs=$(FUZZ_IDENT_RUNS) -max_total_time=$(FUZZ_SMOKE_TIME),$(FUZZ_IDENT_RUNS))
