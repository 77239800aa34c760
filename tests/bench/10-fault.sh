#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 5400
# 10-fault.sh: P1, KVM's stage-2 paths with kvm_s2stat loaded ÷ not loaded, side by side
# with what a user could run instead (the peers) and the bare ftrace floor, in the same boot
# and the same pairs.
#
# One VM (--ram-nothp): slot 0 RAM (the guest program), slot 1 the ivshmem BAR2 through VFIO
# (256 MiB, 65 536 4 KiB pages, one stage-2 page map each), slot 2 256 MiB of anonymous RAM
# without THP (65 536 4 KiB RAM maps, every one through the same map function).  A run starts
# with both slots mapped, arms one variant, and times (s2vmm's ns figures):
#   unmap      `time delete 1`: the memslot delete of the fully mapped BAR (one stage-2 unmap)
#   dev        slots deleted and re-added, `touch 1 all`: 65 536 device faults
#   ram        `touch 2 all`: 65 536 RAM faults
# and for the module and its baseline also
#   wrprotect  `time dirty 2 on`: dirty logging write-protects the 65 536 RAM leaves
#   relax      `touch 2 all w`: 65 536 write-permission faults on them (relax_perms)
#   teardown   `time destroy`: the VM goes (its table torn down), both slots mapped
# then disarms the variant (a destroyed VM is re-created and its BAR touched again, untimed).  Variants, one run each per pair, in an order that alternates pair by pair:
#   off        nothing hooked (every ratio's baseline a)
#   mod        kvm_s2stat.ko; loaded, it finds the VM and walks it before anything is timed.
#              Its dev figure includes the read-back still pending when the touch ends (the
#              settle a reader forces, timed as the first summary read minus a second one),
#              its teardown the module's deferred work (the VM's retirement, from tracing
#              workqueue_execute_start/end; added in full, an upper bound).
#   floor      probecost.ko mode 4: an empty ftrace_ops callback on kvm_pgtable_stage2_map,
#              registered as the module registers its hooks
#   kprobe     bpftrace: kprobe (prot filter) + kretprobe (ret == 0) counting device maps per VM
#   kretfunc   bpftrace: fexit (BPF trampoline) counting device maps per VM, where the kernel
#              can attach one (not 6.1: no DYNAMIC_FTRACE_WITH_DIRECT_CALLS)
# Figures: P1.dev, P1.ram, P1.unmap, P1.wrprotect, P1.relax, P1.teardown (mod ÷ off),
# P1.dev-<peer> and P1.ram-<peer> (peer ÷ off) for floor, kprobe, kretfunc.  Each pair also
# reports the device maps the module saw (devmaps=), the map function's ftrace callers
# after the RAM touch (hooked=, from tracefs: the module counts no RAM map), and the device
# maps each peer counted: evidence that every hook was in place.
# shellcheck source-path=SCRIPTDIR source=benchlib.sh
. "${0%/*}/benchlib.sh"

b_meta
t_run devices bind_vfio "$S2_IVSHMEM" || exit 1
G_RAM2=0x80000000
# shellcheck disable=SC2153 # G_RAM, G_IVS: modlib.sh
vmm_start F --ram-nothp "ram:$G_RAM:16M" "vfio:$G_IVS:$S2_IVSHMEM:2" "ram:$G_RAM2:256M" ||
	b_fail vmm-start "$(cat "$S2_TMP/vmm.F/err")"
echo "$F_VMS" >"$S2_TMP/vm"
npages=$((256 * 1024 * 1024 / PS))

# Warm-up: the first touch of each slot also populates the host side (vfio's BAR mmap
# faults, the RAM's page allocation); later runs fault the stage 2 only.
for s in 1 2; do
	if ! { b_touch F $s all >/dev/null && b_fresh F $s && b_touch F $s all >/dev/null; }; then
		b_fail "warm-up-slot-$s"
	fi
done
t_ok warm-up

VARIANTS="off mod floor kprobe"
if why=$(b_kf_works); then
	VARIANTS="$VARIANTS kretfunc"
	t_ok kretfunc-attaches
else
	t_skip kretfunc "no BPF trampoline on kvm_pgtable_stage2_map here: $why"
	b_out value "fig=P1.kretfunc available=0 reason=$(echo "$why" | tr ' =' '_:' | cut -c1-120)"
fi

# b_time VMM CMD: the ns of `time CMD`.
b_time() {
	_a=$(vmm_cmd "$1" "time $2") || { echo "$2: $_a" >&2; return 1; }
	b_ns "$_a"
}

# p1_run VARIANT: one run; prints "UNMAP DEV RAM WP RELAX TEARDOWN MAPS DEVMAPS TAIL RETIRE"
# (- where the variant does not measure it).  Its variables are p1_*: the libraries' helpers
# use _* ones (busybox sh has no local variables).
p1_run() {
	p1_v=$1 p1_wp=- p1_rx=- p1_td=- p1_m=- p1_dm=- p1_tail=- p1_rt=-
	read -r vm <"$S2_TMP/vm"
	case $p1_v in
	mod)
		mod_load || return 1
		if ! { wait_vm "$vm" && b_wait_status "$vm" resyncs 1; }; then
			echo "module did not publish/walk $vm" >&2
			return 1
		fi
		p1_d0=$(stats_v probe_map_device) ;;
	floor) b_floor_start || return 1 ;;
	kprobe | kretfunc) b_bt_start "$p1_v" || return 1 ;;
	esac
	p1_un=$(b_time F "delete 1") || return 1
	for p1_c in "delete 2" "readd 1" "readd 2"; do vmm_cmd F "$p1_c" >/dev/null || return 1; done
	p1_dev=$(b_touch F 1 all) || return 1
	if [ "$p1_v" = mod ]; then
		# What is still pending is read back before any read: time that settle.
		p1_s1=$(b_read 1 "$S2_DFS/summary") && p1_s2=$(b_read 1 "$S2_DFS/summary") || return 1
		p1_tail=$((p1_s1 - p1_s2))
		[ "$p1_tail" -ge 0 ] || p1_tail=0
		p1_got="$(sum "$vm" "$VFIO_COL") $(sum "$vm" state) $(sum "$vm" failed)"
		[ "$p1_got" = "$npages exact 0" ] ||
			{ echo "module: pages/state/failed '$p1_got', expected '$npages exact 0'" >&2; return 1; }
	fi
	p1_ram=$(b_touch F 2 all) || return 1
	if [ "$p1_v" = mod ]; then
		p1_m=$(b_hooked) p1_dm=$(($(stats_v probe_map_device) - p1_d0))
		[ "$p1_m" -ge 1 ] ||
			{ echo "kvm_pgtable_stage2_map not hooked during the touch" >&2; return 1; }
	fi
	if [ "$p1_v" = off ] || [ "$p1_v" = mod ]; then
		p1_wp=$(b_time F "dirty 2 on") || return 1
		p1_a=$(vmm_cmd F "touch 2 all w") || { echo "touch 2 all w: $p1_a" >&2; return 1; }
		p1_rx=$(b_ns "$p1_a")
		vmm_cmd F "dirty 2 off" >/dev/null || return 1
		[ "$p1_v" = off ] || b_wq_trace_on
		p1_td=$(b_time F destroy) || return 1
		if [ "$p1_v" = mod ]; then
			wait_gone "$vm" || { echo "module kept $vm after destroy" >&2; return 1; }
			sleep 0.2
			p1_rt=$(b_mod_work_ns)
		fi
	fi
	case $p1_v in
	mod) mod_unload || return 1 ;;
	floor) b_floor_stop || return 1 ;;
	kprobe | kretfunc) b_bt_stop "$p1_v" || return 1; p1_dm=$BT_COUNT ;;
	esac
	if [ "$p1_td" != - ]; then
		p1_a=$(vmm_cmd F create) || { echo "create: $p1_a" >&2; return 1; }
		echo "${vm%-*}-${p1_a#*vmfd=}" >"$S2_TMP/vm"
		# (Slot 2 is deleted and re-added before it is timed: only the BAR must be mapped.)
		b_touch F 1 all >/dev/null || return 1
	fi
	echo "$p1_un $p1_dev $p1_ram $p1_wp $p1_rx $p1_td $p1_m $p1_dm $p1_tail $p1_rt"
}

# The variants in pair I's order: as listed for odd I, reversed for even I.
p1_order() {
	if [ $(($1 % 2)) = 1 ]; then echo "$VARIANTS"; else echo "$VARIANTS" | tr ' ' '\n' | sed -n '1!G;h;$p' | tr '\n' ' '; fi
}

i=1
while [ $i -le "$BENCH_PAIRS" ]; do
	order=$(p1_order $i)
	for v in $order; do
		r=$(p1_run "$v") || b_fail "p1-pair-$i" "run '$v' failed"
		eval "R_$v=\$r"
	done
	for v in $order; do eval "echo \"# run $v: \$R_$v\""; done
	# shellcheck disable=SC2086 # one line, single-spaced
	ord=$(echo $order | tr ' ' ,)
	# shellcheck disable=SC2086,SC2154 # split the fields; R_off, R_mod: set by eval
	set -- $R_off
	o_un=$1 o_dev=$2 o_ram=$3 o_wp=$4 o_rx=$5 o_td=$6
	# shellcheck disable=SC2086,SC2154
	set -- $R_mod
	b_out pair "fig=P1.dev i=$i order=$ord a=$o_dev b=$(($2 + $9)) hooked=$7 devmaps=$8" \
		"settle_tail=$9 pages=$npages"
	b_out pair "fig=P1.ram i=$i order=$ord a=$o_ram b=$3 hooked=$7 devmaps=$8 pages=$npages"
	b_out pair "fig=P1.unmap i=$i order=$ord a=$o_un b=$1 pages=$npages"
	b_out pair "fig=P1.wrprotect i=$i order=$ord a=$o_wp b=$4 pages=$npages"
	b_out pair "fig=P1.relax i=$i order=$ord a=$o_rx b=$5 pages=$npages"
	b_out pair "fig=P1.teardown i=$i order=$ord a=$o_td b=$(($6 + ${10})) retire=${10} pages=$((2 * npages))"
	for v in floor kprobe kretfunc; do
		eval "r=\${R_$v:-}"
		[ -n "$r" ] || continue
		# shellcheck disable=SC2086
		set -- $r
		b_out pair "fig=P1.dev-$v i=$i order=$ord a=$o_dev b=$2 devmaps=$8 pages=$npages"
		b_out pair "fig=P1.ram-$v i=$i order=$ord a=$o_ram b=$3 devmaps=$8 pages=$npages"
	done
	i=$((i + 1))
done
t_ok p1
t_run vmm-stop vmm_stop F
