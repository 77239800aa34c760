#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 3600
# 31-stall.sh: P4, what a full verify walk does to a vCPU of the same VM.
#
# The VM of 30-verify.sh (256 MiB of 4 KiB device leaves tracked; slot 2: 16 MiB of RAM
# without THP).  Another process reads <vm>/verify in a loop (each read walks the whole table
# in chunks, holding kvm->mmu_lock for write one chunk at a time) while the vCPU faults in
# slot 2; the control runs the same with a loop reading the summary instead, which keeps the
# other CPU as busy but takes no KVM lock, so the ratio is what verify's lock holding costs
# the vCPU, not the CPU it takes.
# P4.faults     fault in the 4 096 pages of slot 2 (delete/readd first), verify ÷ control
# P4.chunk      one verify read's time and chunks on this clock (mean lock hold per chunk)
# P4.fault-med  the median of 32 single-page faults (one `touch` each), verify ÷ control
# P4.fault-max  the longest of those 32 single-page faults, verify ÷ control
# Only meaningful when the two guest CPUs really run in parallel: under QEMU -icount the
# vCPUs take turns (round robin, up to 100 ms of guest time each), which measures QEMU's
# scheduling, so this script reports nothing with s2bench.clock=icount (scripts/bench.sh
# runs it in a second, wall-clock boot).
# shellcheck source-path=SCRIPTDIR source=benchlib.sh
. "${0%/*}/benchlib.sh"

SINGLES=32
b_meta
if [ "$BENCH_CLOCK" = icount ]; then
	t_skip p4-stall "needs parallel vCPUs: runs with s2bench.clock=wall"
	exit 0
fi
b_p4_vm
vm=$V_VMS
npages=$((256 * 1024 * 1024 / PS))
ram_pages=$((16 * 1024 * 1024 / PS))
wait_vm "$vm" || b_fail vm-dir
t_eq tracked "$(sum "$vm" "$VFIO_COL") $(sum "$vm" state)" "$npages exact"
# One verify on this clock, for scale: its time over its chunks is a chunk's mean lock hold.
v=$(b_read 3 "$S2_DFS/$vm/verify") || b_fail verify-read
b_out value "fig=P4.chunk ns=$v chunks=$(b_verify_key "$vm" chunks)"

# p4_faults FILE: with a reader looping over FILE, "BULK_NS MAX_SINGLE_NS MEDIAN_SINGLE_NS
# LOOPS" (LOOPS: reads the loop completed meanwhile).
p4_faults() {
	s2bench loop "$1" >"$S2_TMP/loop.out" 2>&1 &
	_lp=$!
	sleep 0.2
	if ! { b_fresh V 2 && _bulk=$(b_touch V 2 all) && b_fresh V 2; }; then
		kill "$_lp"
		return 1
	fi
	: >"$S2_TMP/singles"
	_j=0
	while [ $_j -lt $SINGLES ]; do
		b_touch V 2 $((_j * (ram_pages / SINGLES))) >>"$S2_TMP/singles" ||
			{ kill "$_lp"; return 1; }
		_j=$((_j + 1))
	done
	kill "$_lp"
	wait "$_lp"
	_loops=$(b_field " $(cat "$S2_TMP/loop.out")" loops)
	[ "${_loops:-0}" -gt 0 ] || { echo "the reader loop did not run: $(cat "$S2_TMP/loop.out")" >&2; return 1; }
	echo "$_bulk $(b_max <"$S2_TMP/singles") $(b_median <"$S2_TMP/singles") $_loops"
}

i=1
while [ $i -le "$BENCH_PAIRS" ]; do
	b_pair $i "p4_faults $S2_DFS/summary" "p4_faults $S2_DFS/$vm/verify" ||
		b_fail "p4-faults-pair-$i" "run $b_side failed (a: control, b: verify)"
	ctl=$b_a ver=$b_b
	# shellcheck disable=SC2086 # split the numbers
	set -- $ctl $ver
	b_out pair "fig=P4.faults i=$i order=$(b_order $i) a=$1 b=$5 pages=$ram_pages" \
		"loops_a=$4 loops_b=$8"
	b_out pair "fig=P4.fault-med i=$i order=$(b_order $i) a=$3 b=$7 singles=$SINGLES"
	b_out pair "fig=P4.fault-max i=$i order=$(b_order $i) a=$2 b=$6 med_a=$3 med_b=$7" \
		"singles=$SINGLES"
	i=$((i + 1))
done
b_out value "fig=P4.lock-stall walk_max_lock_hold_us=$(stats_v walk_max_lock_hold_us)"
t_ok p4-faults
t_run vmm-stop vmm_stop V
t_run unload mod_unload
