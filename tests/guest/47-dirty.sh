#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 240
# 47-dirty.sh: dirty logging (KVM_MEM_LOG_DIRTY_PAGES), which drives write-protection,
# block splitting (eagerly since 6.5 with KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE, else on the
# next write fault) and permission relaxing on a VM that also maps device memory:
#   - KVM refuses dirty logging on a device (PFNMAP) memslot: the VM's device state stays;
#   - RAM with dirty logging on: its blocks become write-protected pages (the table shows
#     them), guest writes relax them one by one, KVM_GET_DIRTY_LOG reports exactly the
#     pages written and write-protects them again; the module's device counts never move
#     and the walker agrees at every step.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

t_run devices setup_devices || exit 1
t_run load mod_load || exit 1

BLK=$((PS * PS / 8))			# level-2 block: 2 MiB at 4 KiB, 32 MiB at 16 KiB
es=
! kver_ge 6.5 || es="--eager-split $BLK"
t_run obs-start obs_start || exit 1
# shellcheck disable=SC2086 # es is one option and its value, or nothing
vmm_start D $es ram:$G_RAM:16M vfio:$G_IVS:"$S2_IVSHMEM":2 ram:0x80000000:$((4 * BLK)) || exit 1
vm=$D_VMS
t_run touch-bar vmm_cmd D "touch 1 0-31 w"
# Written, so that each block is a writable THP (a read would map the huge zero page).
t_run touch-ram vmm_cmd D "touch 2 0-$((4 * BLK / PS - 1))/$((BLK / PS)) w"
wait_vm "$vm"
counts_eq before "$vm" 32 0

# table_ram W LEVEL: pages of the dirty-logged RAM slot whose write permission is W (w or -)
# at this level.
table_ram() {
	awk -v lo="$(hex 0x80000000)" -v hi="$(hex $((0x80000000 + 4 * BLK)))" -v w="$1" -v l="$2" \
		'NR > 2 && $10 == "ram" && $1 >= lo && $1 < hi && substr($9, 2, 1) == w && $6 == l {
			n += $5 }
		 END { print n + 0 }' "$S2_DFS/$vm/table"
}
t_eq ram-blocks "$(table_ram w 2)" $((4 * BLK / PS))

# Device memslots cannot be dirty-logged (arch/arm64/kvm/mmu.c: "IO region dirty page
# logging not allowed").
out=$(vmm_cmd D "dirty 1 on")
case $out in *"Invalid argument"*) t_ok dirty-device-refused ;; *) t_fail dirty-device-refused "$out" ;; esac
counts_eq after-refusal "$vm" 32 0

# RAM: dirty logging on.  6.5+ splits the blocks at once, 6.1 when written.
t_run dirty-ram-on vmm_cmd D "dirty 2 on"
if kver_ge 6.5; then
	t_eq ram-split-wp "$(table_ram - 3)" $((4 * BLK / PS))
else
	t_eq ram-wp "$(table_ram - 2)" $((4 * BLK / PS))
fi
counts_eq after-dirty-on "$vm" 32 0
verify_ok verify-dirty-on "$vm"

# Guest writes: each relaxes one page; the log reports exactly them.
t_run ram-write vmm_cmd D "touch 2 0-63 w"
t_eq ram-written "$(table_ram w 3)" 64
t_eq getdirty "$(vmm_cmd D "getdirty 2")" "ok dirty=64"
t_eq ram-rewp "$(table_ram w 3)" 0
t_eq getdirty-again "$(vmm_cmd D "getdirty 2")" "ok dirty=0"
# Device pages are untouched by all of it, and still writable.
t_run bar-write vmm_cmd D "touch 1 0-63 w"
counts_eq after-writes "$vm" 64 0
t_eq bar-perm "$(maps "$vm" | cut -d' ' -f9 | sort -u)" rw-
verify_ok verify-after-writes "$vm"
obs_check after-writes "$D_PID"

t_run dirty-ram-off vmm_cmd D "dirty 2 off"
t_run ram-write-2 vmm_cmd D "touch 2 64-127 w"
counts_eq after-dirty-off "$vm" 64 0
verify_ok verify-dirty-off "$vm"
obs_check dirty-off "$D_PID"
t_run data vmm_cmd D "check 1 0-63"
t_run stop vmm_stop D
t_run gone wait_gone "$vm"
t_run unload mod_unload
