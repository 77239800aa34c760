# SPDX-License-Identifier: GPL-2.0
# The test VMM (tests/vmm, docs/vmm.md): a static aarch64 binary, $(B)/aarch64/s2vmm.
# The guest program is assembled with the cross toolchain, turned into a raw blob with
# objcopy and embedded with .incbin.  Objects live in $(B)/vmm.

VMM_SRC := $(TOP)/tests/vmm
VMM_OUT := $(B)/vmm
VMM_BIN := $(B)/aarch64/s2vmm
VMM_CC := $(CROSS_COMPILE_ARM64)gcc
VMM_OBJCOPY := $(CROSS_COMPILE_ARM64)objcopy
VMM_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE -pthread -MMD -MP
VMM_OBJS := $(patsubst $(VMM_SRC)/%.c,$(VMM_OUT)/%.o,$(wildcard $(VMM_SRC)/*.c)) \
	$(VMM_OUT)/guest_blob.o

.PHONY: vmm
vmm: $(VMM_BIN)

$(VMM_BIN): $(VMM_OBJS)
	@mkdir -p $(dir $@)
	$(VMM_CC) -static -pthread -o $@ $(VMM_OBJS)

$(VMM_OUT)/%.o: $(VMM_SRC)/%.c $(TOP)/mk/vmm.mk
	@mkdir -p $(dir $@)
	$(VMM_CC) $(VMM_CFLAGS) -c -o $@ $<

$(VMM_OUT)/guest.o: $(VMM_SRC)/guest.S
	@mkdir -p $(dir $@)
	$(VMM_CC) -c -o $@ $<

$(VMM_OUT)/guest.bin: $(VMM_OUT)/guest.o
	$(VMM_OBJCOPY) -O binary -j .text $< $@

$(VMM_OUT)/guest_blob.o: $(VMM_SRC)/guest_blob.S $(VMM_OUT)/guest.bin
	$(VMM_CC) -c -Wa,-I$(VMM_OUT) -o $@ $<

-include $(wildcard $(VMM_OUT)/*.d)
