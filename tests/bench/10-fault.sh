#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 5400
# 10-fault.sh: P1, the stage-2 fault path with kvm_s2stat loaded ÷ not loaded.
#
# One VM: slot 0 RAM (the guest program), slot 1 the ivshmem BAR2 through VFIO (256 MiB,
# 65 536 4 KiB pages, one stage-2 page map each), slot 2 256 MiB of anonymous RAM without THP
# (`--ram-nothp`: 65 536 4 KiB RAM maps, every one of which fires the map probe).  A run
# deletes and re-adds the slot (no stage-2 mapping left, host side still populated) and
# times `touch SLOT all` (s2vmm's ns figure: first KVM_RUN to the guest's last access).
# "on" runs load the module after the delete, wait until it has published and walked the
# VM, and unload it after the touch; "off" runs have no module.  Pairs alternate the order.
# Each pair also reports how many map calls the module saw during the touch (maps=) and how
# many of them mapped device memory (devmaps=), as evidence that the probes fired per page.
# shellcheck source-path=SCRIPTDIR source=benchlib.sh
. "${0%/*}/benchlib.sh"

b_meta
t_run devices bind_vfio "$S2_IVSHMEM" || exit 1
G_RAM2=0x80000000
# shellcheck disable=SC2153 # G_RAM, G_IVS: modlib.sh
vmm_start F --ram-nothp "ram:$G_RAM:16M" "vfio:$G_IVS:$S2_IVSHMEM:2" "ram:$G_RAM2:256M" ||
	b_fail vmm-start "$(cat "$S2_TMP/vmm.F/err")"
vm=$F_VMS
npages=$((256 * 1024 * 1024 / PS))

# Warm-up: the first touch of each slot also populates the host side (vfio's BAR mmap
# faults, the RAM's page allocation); later runs fault the stage 2 only.
for s in 1 2; do
	if ! { b_touch F $s all >/dev/null && b_fresh F $s && b_touch F $s all >/dev/null; }; then
		b_fail "warm-up-slot-$s"
	fi
done
t_ok warm-up

# p1_run off|on SLOT: one run; prints "NS MAPS DEVMAPS" (the counts are - when off).
p1_run() {
	vmm_cmd F "delete $2" >/dev/null || return 1
	if [ "$1" = on ]; then
		mod_load || return 1
		if ! { wait_vm "$vm" && b_wait_status "$vm" resyncs 1; }; then
			echo "module did not publish/walk $vm" >&2
			return 1
		fi
		_m0=$(stats_v probe_map) _d0=$(stats_v probe_map_device)
	fi
	vmm_cmd F "readd $2" >/dev/null || return 1
	_ns=$(b_touch F "$2" all) || return 1
	if [ "$1" = on ]; then
		_m1=$(stats_v probe_map) _d1=$(stats_v probe_map_device)
		if [ "$2" = 1 ] && [ "$(sum "$vm" "$VFIO_COL")" != "$npages" ]; then
			echo "module tracks $(sum "$vm" "$VFIO_COL") pages, not $npages" >&2
			return 1
		fi
		mod_unload || return 1
		echo "$_ns $((_m1 - _m0)) $((_d1 - _d0))"
	else
		echo "$_ns - -"
	fi
}

for kind in dev ram; do
	if [ $kind = dev ]; then s=1; else s=2; fi
	i=1
	while [ $i -le "$BENCH_PAIRS" ]; do
		b_pair $i "p1_run off $s" "p1_run on $s" ||
			b_fail "p1-$kind-pair-$i" "$b_side run failed (a: off, b: on)"
		off=$b_a on=$b_b
		# shellcheck disable=SC2086 # split the three fields
		set -- $on
		b_out pair "fig=P1.$kind i=$i order=$(b_order $i) a=${off%% *} b=$1 maps=$2 devmaps=$3" \
			"pages=$npages"
		i=$((i + 1))
	done
	t_ok "p1-$kind"
done
t_run vmm-stop vmm_stop F
