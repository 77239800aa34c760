#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 3600
# 30-verify.sh: P4, the cost of a full verify walk and how long it holds kvm->mmu_lock.
#
# One VM: slot 1 the ivshmem BAR2 through VFIO, every page touched (256 MiB of 4 KiB device
# leaves, one tracked range), slot 2 16 MiB of RAM without THP (4 096 4 KiB leaves).
# P4.verify     one read of <vm>/verify (the walk runs at open) ÷ one read of the summary
#               (medians of 3 and 41 reads per pair), with verify's chunks and its longest
#               lock hold (max_lock_hold_us) when the module reports it.
# P4.lock       the module's walk_max_lock_hold_us (stats), when it reports it.
# What a vCPU sees while verify runs is 31-stall.sh.
# shellcheck source-path=SCRIPTDIR source=benchlib.sh
. "${0%/*}/benchlib.sh"

b_meta
b_p4_vm
vm=$V_VMS
npages=$((256 * 1024 * 1024 / PS))
wait_vm "$vm" || b_fail vm-dir
t_eq tracked "$(sum "$vm" "$VFIO_COL") $(sum "$vm" state)" "$npages exact"
cat "$S2_DFS/$vm/verify" >"$S2_TMP/verify.out"
t_eq verify-ok "$(awk '$1 == "result" || $1 == "differences" { printf "%s ", $2 }' "$S2_TMP/verify.out")" "ok 0 "
sed 's/^/# verify: /' "$S2_TMP/verify.out"

i=1
while [ $i -le "$BENCH_PAIRS" ]; do
	b_pair $i "b_read 41 $S2_DFS/summary" "b_read 3 $S2_DFS/$vm/verify" ||
		b_fail "p4-pair-$i" "run $b_side failed (a: summary, b: verify)"
	s=$b_a v=$b_b
	b_out pair "fig=P4.verify i=$i order=$(b_order $i) a=$s b=$v leaves=$npages" \
		"chunks=$(b_verify_key "$vm" chunks)" \
		"max_lock_hold_us=$(b_verify_key "$vm" max_lock_hold_us)"
	i=$((i + 1))
done
b_out value "fig=P4.lock walk_max_lock_hold_us=$(stats_v walk_max_lock_hold_us)"
t_ok p4-verify

t_run vmm-stop vmm_stop V
t_run unload mod_unload
