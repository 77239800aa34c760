#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 3600
# 20-read.sh: P2, what a read costs as the tracked state grows.
#
# The module is loaded first; one VM maps the ivshmem BAR2 (256 MiB) through VFIO.  Its
# tracked state is set by deleting/re-adding the slot and touching:
#   one   page 0 only                      1 page, 1 range
#   full  every page                       65 536 pages, 1 range (4 KiB pages)
#   half  every other page (0-65535/2)     32 768 pages, 32 768 ranges (the worst case)
# P2.summary   read of the debugfs summary, full ÷ one       (median of 41 reads per state)
# P2.cli       `kvm-s2stat` (summary view), full ÷ one       (median of 11 runs per state)
# P2.summary-ranges  summary, half ÷ full  (32 768 ranges ÷ 1)
# P2.mappings  read of <vm>/mappings, half ÷ full (32 768 records ÷ 1; median of 3 reads)
# What this covers: the summary (and the CLI's default view, which reads version, stats,
# summary and each VM's status) is built from per-VM counters, so its cost does not depend
# on pages or ranges by construction; these pairs check that it stays so.  `mappings` (the
# CLI's -m, and -d/-D, which read every VM's mappings) prints one record per range and grows
# with the ranges; P2.mappings gives its cost per range.  Memory is 21-memory.sh (P3).
# shellcheck source-path=SCRIPTDIR source=benchlib.sh
. "${0%/*}/benchlib.sh"

b_meta
t_run devices bind_vfio "$S2_IVSHMEM" || exit 1
t_run load mod_load || exit 1
sleep 1
idle=$(stats_v bytes_held)

vmm_start R "ram:$G_RAM:16M" "vfio:$G_IVS:$S2_IVSHMEM:2" ||
	b_fail vmm-start "$(cat "$S2_TMP/vmm.R/err")"
vm=$R_VMS
npages=$((256 * 1024 * 1024 / PS))
half=$((npages / 2))
b_touch R 1 0 >/dev/null || b_fail touch
wait_vm "$vm" || b_fail vm-dir
cli=pending
[ ! -x "$S2_CLI" ] || cli=$S2_CLI

# p2_state one|full|half: set the tracked state and check it (pages, ranges, exact).
p2_state() {
	case $1 in
	one) _p=0 _np=1 _nr=1 ;;
	full) _p=all _np=$npages _nr=1 ;;
	half) _p=0-$((npages - 1))/2 _np=$half _nr=$half ;;
	esac
	b_fresh R 1 && b_touch R 1 "$_p" >/dev/null || return 1
	_got="$(sum "$vm" "$VFIO_COL") $(st "$vm" ranges) $(sum "$vm" state)"
	[ "$_got" = "$_np $_nr exact" ] ||
		{ echo "state $1: pages/ranges/state '$_got', expected '$_np $_nr exact'" >&2; return 1; }
}

# p2_measure STATE: "SUMMARY_NS CLI_NS BYTES_HELD" in that state.
p2_measure() {
	p2_state "$1" || return 1
	_s=$(b_read 41 "$S2_DFS/summary") || return 1
	_c=pending
	if [ "$cli" != pending ]; then _c=$(b_exec 11 "$cli") || return 1; fi
	echo "$_s $_c $(stats_v bytes_held)"
}

i=1
while [ $i -le "$BENCH_PAIRS" ]; do
	b_pair $i "p2_measure one" "p2_measure full" ||
		b_fail "p2-pair-$i" "run $b_side failed (a: state one, b: state full)"
	one=$b_a full=$b_b
	# shellcheck disable=SC2086 # split the three numbers
	set -- $one $full
	b_out pair "fig=P2.summary i=$i order=$(b_order $i) a=$1 b=$4 pages_a=1 pages_b=$npages"
	b_out pair "fig=P2.cli i=$i order=$(b_order $i) a=$2 b=$5 pages_a=1 pages_b=$npages"
	i=$((i + 1))
done
t_ok p2-summary

# mappings and summary: 1 range (full) vs 32 768 ranges (half).
p2_maps() {
	p2_state "$1" || return 1
	_m=$(b_read 3 "$S2_DFS/$vm/mappings") || return 1
	_s=$(b_read 41 "$S2_DFS/summary") || return 1
	_l=$(($(wc -l <"$S2_DFS/$vm/mappings") - 2))
	echo "$_m $_s $(stats_v bytes_held) $_l"
}
i=1
while [ $i -le "$BENCH_PAIRS" ]; do
	b_pair $i "p2_maps full" "p2_maps half" ||
		b_fail "p2-maps-pair-$i" "run $b_side failed (a: state full, b: state half)"
	full=$b_a halfm=$b_b
	# shellcheck disable=SC2086 # split the numbers
	set -- $full $halfm
	b_out pair "fig=P2.mappings i=$i order=$(b_order $i) a=$1 b=$5 ranges_a=$4 ranges_b=$8"
	b_out pair "fig=P2.summary-ranges i=$i order=$(b_order $i) a=$2 b=$6 ranges_a=1 ranges_b=$half"
	i=$((i + 1))
done
t_ok p2-mappings
t_run vmm-stop vmm_stop R
t_run vm-gone wait_gone "$vm"
# The VM object is freed an RCU grace period after its directory goes.
i=0
while [ "$(stats_v bytes_held)" != "$idle" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
t_eq idle-again "$(stats_v bytes_held)" "$idle"
t_run unload mod_unload
