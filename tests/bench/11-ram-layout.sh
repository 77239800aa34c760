#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 5400
# 11-ram-layout.sh: RAM faults, module loaded ÷ not, where the BARs are and how many vCPUs
# fault (issue 12).
#
# One VM (--ram-nothp, 4 vCPUs): slot 0 RAM, slot 1 the ivshmem BAR2 through VFIO at
# GPA 512 GiB (0x8000000000, still a 40-bit IPA VM), slot 2 256 MiB of RAM.  The module's RAM
# path does not look at where device memory is (a per-CPU "last VM" compare), so:
#   P1.ram-bar512g  slot 2 re-faulted (delete/readd, `touch 2 all`, vCPU 0) with the whole BAR
#                   mapped and tracked above 512 GiB                   (= P1.ram-nobar)
#   P1.ram-nobar    the same with the BAR slot deleted                  (<= 1.04, as P1.ram)
#   P1.ram-4vcpu    the same, slot 2 faulted by the 4 vCPUs at once, a quarter of the pages
#                   each (`vcpus=split`)                               (<= P1.ram-nobar)
# Under icount the guest's clock counts the instructions of both emulated CPUs, so the
# 4-vCPU figure is the total work of the four (not the time until the last finishes): it
# shows whether a fault costs more when other vCPUs fault at the same time (locks, shared
# counters, retries), which is what the module could add.  The 2 emulated CPUs run the 4
# vCPU threads two at a time, interleaved by QEMU's round robin (docs/performance.md).
# shellcheck source-path=SCRIPTDIR source=benchlib.sh
. "${0%/*}/benchlib.sh"

b_meta
t_run devices bind_vfio "$S2_IVSHMEM" || exit 1
G_BARHI=0x8000000000
vmm_start L --ram-nothp --vcpus 4 "ram:$G_RAM:16M" "vfio:$G_BARHI:$S2_IVSHMEM:2" \
	"ram:0x80000000:256M" || b_fail vmm-start "$(cat "$S2_TMP/vmm.L/err")"
vm=$L_VMS
npages=$((256 * 1024 * 1024 / PS))
for s in 1 2; do
	{ b_touch L $s all >/dev/null && b_fresh L $s && b_touch L $s all >/dev/null; } ||
		b_fail "warm-up-slot-$s"
done
t_ok warm-up

# l_run off|on BAR: one run; prints "NS1 NS4" (NS4: - with the BAR mapped).
l_run() {
	if [ "$1" = on ]; then
		mod_load || return 1
		if ! { wait_vm "$vm" && b_wait_status "$vm" resyncs 1; }; then
			echo "module did not publish/walk $vm" >&2
			return 1
		fi
		if [ "$2" = bar ] && [ "$(sum "$vm" "$VFIO_COL")" != "$npages" ]; then
			echo "module tracks $(sum "$vm" "$VFIO_COL") BAR pages, not $npages" >&2
			return 1
		fi
	fi
	b_fresh L 2 || return 1
	l_ns1=$(b_touch L 2 all) || return 1
	l_ns4=-
	if [ "$2" = nobar ]; then
		b_fresh L 2 || return 1
		l_a=$(vmm_cmd L "touch 2 all vcpus=split") || { echo "touch vcpus=split: $l_a" >&2; return 1; }
		l_ns4=$(b_ns "$l_a")
	fi
	[ "$1" = off ] || mod_unload || return 1
	echo "$l_ns1 $l_ns4"
}

for state in bar nobar; do
	if [ $state = nobar ]; then
		vmm_cmd L "delete 1" >/dev/null || b_fail delete-bar
	fi
	i=1
	while [ $i -le "$BENCH_PAIRS" ]; do
		b_pair $i "l_run off $state" "l_run on $state" ||
			b_fail "$state-pair-$i" "$b_side run failed (a: off, b: on)"
		# shellcheck disable=SC2086 # two fields each
		set -- $b_a $b_b
		if [ $state = bar ]; then
			b_out pair "fig=P1.ram-bar512g i=$i order=$(b_order $i) a=$1 b=$3 pages=$npages"
		else
			b_out pair "fig=P1.ram-nobar i=$i order=$(b_order $i) a=$1 b=$3 pages=$npages"
			b_out pair "fig=P1.ram-4vcpu i=$i order=$(b_order $i) a=$2 b=$4 pages=$npages vcpus=4"
		fi
		i=$((i + 1))
	done
	t_ok "ram-$state"
done
t_run vmm-stop vmm_stop L
