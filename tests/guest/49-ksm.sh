#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 240
# 49-ksm.sh: KSM and copy-on-write on a VM's RAM next to mapped device memory.  ksmd merges
# the guest's zero-filled RAM pages (s2vmm --ram-mergeable), then the guest writes them
# (copy-on-write breaks).  Up to 6.8 the MMU notifier's change_pte makes KVM call
# kvm_pgtable_stage2_map outside any guest fault for each of them (prot R, no memory cache:
# a map that fails, leaving no leaf, when the unmap before it freed its table); 6.9+ only
# unmaps.  The module must stay exact through it: the device pages it tracks unchanged, no
# failed map counted, the walker (verify) agrees.  A dynamic probe of the kernel's own counts
# the map calls while no vCPU runs: on 6.1 they happen (the change_pte path is exercised),
# on 6.9+ none.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

KSM=/sys/kernel/mm/ksm
if [ ! -w $KSM/run ]; then
	t_skip ksm "no KSM in this kernel"
	exit 0
fi
t_run devices bind_vfio "$S2_IVSHMEM" || exit 1
t_run load mod_load || exit 1
vmm_start K --ram-nothp --ram-mergeable "ram:$G_RAM:16M" "vfio:$G_IVS:$S2_IVSHMEM:2" \
	"ram:0x80000000:4M" || { t_fail vmm-start "$(cat "$S2_TMP/vmm.K/err")"; exit 1; }
vm=$K_VMS
npages=$((4 * 1024 * 1024 / PS))
t_run touch-bar vmm_cmd K "touch 1 0-15 w"
t_run touch-ram vmm_cmd K "touch 2 all"		# zero-filled host pages, all mapped at stage 2
t_run vm-dir wait_vm "$vm"
counts_eq counts "$vm" 16 0
verify_ok verify "$vm"

# Map calls, counted by a tracefs kprobe (the module counts only device maps).
TR=/sys/kernel/tracing
ksm_kp_clear() {
	[ ! -d $TR/events/s2ksm ] || echo 0 >$TR/events/s2ksm/enable
	grep -q '^p:s2ksm/ksm_map ' $TR/kprobe_events 2>/dev/null &&
		echo '-:s2ksm/ksm_map' >>$TR/kprobe_events
	return 0
}
# kprobe_profile: "<event> <hits> <misses>", the event without its group.
map_hits() { awk '$1 == "ksm_map" { print $2; n++ } END { exit n != 1 }' $TR/kprobe_profile; }
ksm_kp_clear
if ! { echo 'p:s2ksm/ksm_map kvm_pgtable_stage2_map' >>$TR/kprobe_events &&
	echo 1 >$TR/events/s2ksm/ksm_map/enable && map_hits >/dev/null; }; then
	t_fail map-probe "cannot add a kprobe event on kvm_pgtable_stage2_map"
	ksm_kp_clear
	exit 1
fi

# Merge: ksmd needs two scans to find stable identical pages.
m0=$(map_hits)
echo 10000 >$KSM/pages_to_scan
echo 10 >$KSM/sleep_millisecs
echo 1 >$KSM/run
i=0
while [ "$(cat $KSM/pages_sharing)" -lt $((npages / 2)) ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo 0 >$KSM/run		# stop scanning, keep what is merged
maps=$(($(map_hits) - m0))
ksm_kp_clear
t_diag "ksm: pages_shared $(cat $KSM/pages_shared) pages_sharing $(cat $KSM/pages_sharing)," \
	"stage-2 map calls meanwhile $maps"
if [ "$(cat $KSM/pages_sharing)" -ge $((npages / 2)) ]; then t_ok merged; else
	t_fail merged "ksmd merged $(cat $KSM/pages_sharing) of $npages pages"
fi
# No vCPU ran: every map call came from the MMU notifier (change_pte, gone in 6.9).
if kver_ge 6.9; then t_eq change-pte-gone "$maps" 0; else
	if [ "$maps" -gt 0 ]; then t_ok change-pte-maps; else t_fail change-pte-maps "no map call"; fi
fi
counts_eq merged-counts "$vm" 16 0
t_eq merged-failed "$(sum "$vm" failed)/$(stats_v probe_map_failed)/$(sum "$vm" state)" 0/0/exact
verify_ok merged-verify "$vm"

# Copy-on-write: the guest writes every merged page.
t_run cow vmm_cmd K "touch 2 all w"
t_run cow-data vmm_cmd K "check 2 all"
counts_eq cow-counts "$vm" 16 0
t_eq cow-failed "$(sum "$vm" failed)/$(stats_v probe_map_failed)/$(sum "$vm" state)" 0/0/exact
verify_ok cow-verify "$vm"
t_run bar-data vmm_cmd K "check 1 0-15"

t_run vmm-stop vmm_stop K
t_run vm-gone wait_gone "$vm"
t_run idle wait_idle
t_run unload mod_unload
