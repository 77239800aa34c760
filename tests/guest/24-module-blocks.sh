#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 90
# 24-module-blocks.sh: block mappings.  With device slots block-aligned (s2vmm --dev-blocks)
# KVM maps a vfio BAR with one stage-2 block per touched block where the kernel supports
# huge PFNMAP (6.12+: 2 MiB at 4 KiB pages, 32 MiB at 16 KiB), pages before; THP-backed RAM
# maps with blocks.  Counts are in pages, mappings shows the level, the walker agrees.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

t_run devices setup_devices || exit 1
t_run load mod_load || exit 1
t_run obs-start obs_start || exit 1

BLK=$((PS * PS / 8))			# level-2 block: 2 MiB at 4 KiB, 32 MiB at 16 KiB
vmm_start A --dev-blocks ram:$G_RAM:$((2 * BLK)) vfio:$G_IVS:"$S2_IVSHMEM":2 || exit 1
vm=$A_VMS
t_run touch vmm_cmd A "touch 1 0 w"
t_run touch-2nd vmm_cmd A "touch 1 $((BLK / PS)) w"
t_run touch-ram vmm_cmd A "touch 0 $((BLK / PS))"
wait_vm "$vm"

if kver_ge 6.12; then lvl=2 pages=$((2 * BLK / PS)); else lvl=3 pages=2; fi
counts_eq counts "$vm" "$pages" 0
t_eq levels "$(maps "$vm" | cut -d' ' -f6 | sort -u)" "$lvl"
t_eq pages-column "$(maps "$vm" | awk '{ n += $5 } END { print n }')" "$pages"
if [ "$lvl" = 2 ]; then
	t_eq leaves "$(st "$vm" page_leaves)/$(st "$vm" block_leaves)" 0/2
	t_eq one-range "$(nmaps "$vm")" 1
	t_eq bytes "$(st "$vm" vfio_bytes)" $((2 * BLK))
else
	t_eq leaves "$(st "$vm" page_leaves)/$(st "$vm" block_leaves)" 2/0
fi
verify_ok verify "$vm"
obs_check blocks "$A_PID"
t_run data vmm_cmd A "check 1 0,$((BLK / PS))"

# THP-backed RAM: the second block of slot 0 is one level-2 leaf, Normal.
tail -n +3 "$S2_DFS/$vm/table" | tr -s ' ' >"$S2_TMP/table"
t_eq ram-block "$(awk -v ipa="$(hex $((G_RAM + BLK)))" '$1 == ipa && $10 == "ram" { print $5, $6 }' "$S2_TMP/table")" "$((BLK / PS)) 2"

# Deleting the slot removes the blocks.
t_run delete vmm_cmd A "delete 1"
counts_eq delete-counts "$vm" 0 0
t_eq delete-leaves "$(st "$vm" page_leaves)/$(st "$vm" block_leaves)" 0/0
obs_check delete "$A_PID"
t_run stop vmm_stop A
t_run unload mod_unload
