#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 3600
# 12-thp.sh: P1.thp1g, the user-level figure: what a VM boot's memory faults cost with the
# module loaded ÷ not.
#
# A new VMM process each run (so the host side is faulted in too, as in a real boot): slot 0
# 16 MiB of RAM, slot 1 1 GiB of RAM with transparent huge pages (s2vmm's default
# MADV_HUGEPAGE on a 2 MiB-aligned slot), and the guest reads every 4 KiB page of slot 1 once:
# the host allocates and zeroes 2 MiB pages and KVM maps them as 2 MiB stage-2 blocks, one
# fault (and one call of the hooked map function) per block.  The time is s2vmm's touch
# figure (first KVM_RUN to the last access).  The "on" run loads the module before the VMM
# starts and unloads it after the VMM exited.  Each run reports the map calls the module saw
# and the process's AnonHugePages, as evidence of the 2 MiB maps.
# shellcheck source-path=SCRIPTDIR source=benchlib.sh
. "${0%/*}/benchlib.sh"

b_meta
SIZE_MIB=1024
npages=$((SIZE_MIB * 1024 * 1024 / PS))

# thp_run off|on: one run; prints "NS THP_MIB HOOKED" (HOOKED: b_hooked after the touch, - off).
thp_run() {
	h_m=-
	if [ "$1" = on ]; then
		mod_load || return 1
	fi
	vmm_start T "ram:$G_RAM:16M" "ram:0x80000000:${SIZE_MIB}M" || {
		cat "$S2_TMP/vmm.T/err" >&2
		return 1
	}
	h_ns=$(b_touch T 1 all) || return 1
	# shellcheck disable=SC2153 # T_PID: set by vmm_start
	h_thp=$(awk '$1 == "AnonHugePages:" { print int($2 / 1024) }' "/proc/$T_PID/smaps_rollup")
	if [ "$1" = on ]; then
		h_m=$(b_hooked)
		[ "$h_m" -ge 1 ] ||
			{ echo "kvm_pgtable_stage2_map not hooked during the touch" >&2; return 1; }
	fi
	vmm_stop T || return 1
	if [ "$1" = on ]; then
		wait_idle || { echo "module objects left after the VM" >&2; return 1; }
		mod_unload || return 1
	fi
	echo "$h_ns ${h_thp:-?} $h_m"
}

i=1
while [ $i -le "$BENCH_PAIRS" ]; do
	b_pair $i "thp_run off" "thp_run on" || b_fail "thp-pair-$i" "$b_side run failed (a: off, b: on)"
	# shellcheck disable=SC2086 # three fields each
	set -- $b_a $b_b
	b_out pair "fig=P1.thp1g i=$i order=$(b_order $i) a=$1 b=$4 thp_mib=$5 thp_mib_off=$2 hooked=$6" \
		"pages=$npages"
	i=$((i + 1))
done
t_ok thp1g
