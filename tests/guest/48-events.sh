#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 300
# 48-events.sh: what the host does to a VM's mappings behind its back.
#   - device reset (VFIO_DEVICE_RESET, as a guest FLR; e1000e, the testbed's only device with
#     a reset method): vfio-pci zaps the BAR mmaps, KVM
#     unmaps them at stage 2; the module follows, and the next accesses map them again;
#   - unbind and removal of a device while a VM maps it: vfio-pci waits until the VMM lets
#     go; meanwhile the VM's state is unchanged, afterwards the device's BARs leave the
#     module's table (vfio_bars) and the VM is gone;
#   - memory pressure: MADV_DONTNEED, compaction and dropped caches make MMU-notifier unmaps
#     of the VM's RAM (a THP-backed slot next to its BARs); device counts never move, the
#     walker agrees;
#   - a 1 GiB block (hugetlb RAM with 4 KiB pages), where the host can back one.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

t_run devices setup_devices || exit 1
t_run load mod_load || exit 1
t_eq vfio-bars "$(stats_v vfio_bars)" "$(sysfs_vfio_bars)"
t_run obs-start obs_start || exit 1

# --- reset ---------------------------------------------------------------------------------
# ivshmem and edu have no reset method (VFIO_DEVICE_RESET: EINVAL); QEMU's e1000e has a PCI PM
# capability without No_Soft_Reset, so vfio-pci resets it through D3hot.
t_run e1000e-to-vfio bind_vfio "$S2_E1000E" || exit 1
t_eq vfio-bars-e1000e "$(stats_v vfio_bars)" "$(sysfs_vfio_bars)"
vmm_start A ram:$G_RAM:16M vfio:$G_IVS:"$S2_IVSHMEM":2 ram:0x80000000:64M \
	vfio:$G_E1K:"$S2_E1000E":0 || exit 1
vm=$A_VMS
t_run touch vmm_cmd A "touch 1 0-15 w"
t_run touch-e1000e vmm_cmd A "touch 3 0-$((E1K_PAGES - 1))"
wait_vm "$vm"
counts_eq before-reset "$vm" $((16 + E1K_PAGES)) 0
u0=$(stats_v probe_unmap)
t_run reset vmm_cmd A "reset 3"
counts_eq after-reset "$vm" 16 0
if [ "$(stats_v probe_unmap)" -gt "$u0" ]; then t_ok reset-unmapped; else t_fail reset-unmapped "no stage-2 unmap seen"; fi
t_eq after-reset-line "$(maps "$vm" | cut -d' ' -f10-11 | sort -u)" "vfio $S2_IVSHMEM"
verify_ok verify-after-reset "$vm"
t_run touch-again vmm_cmd A "touch 3 0-1"
counts_eq after-retouch "$vm" 18 0
verify_ok verify-after-retouch "$vm"
obs_check reset "$A_PID"

# --- memory pressure -------------------------------------------------------------------------
# RAM next to device memory leaves stage 2 behind the VM's back: MADV_DONTNEED (a balloon,
# reclaim) through the MMU notifier, then compaction and dropped caches.  Device counts never
# move; the walker agrees.
t_run touch-ram vmm_cmd A "touch 2 0-$((64 * 1048576 / PS - 1)) w"
u0=$(stats_v probe_unmap)
t_run drop-ram vmm_cmd A "drop 2"
du=$(($(stats_v probe_unmap) - u0))
if [ "$du" -gt 0 ]; then t_ok drop-unmapped; else t_fail drop-unmapped "no stage-2 unmap after MADV_DONTNEED"; fi
counts_eq after-drop "$vm" 18 0
t_run touch-ram-again vmm_cmd A "touch 2 0-$((64 * 1048576 / PS - 1)) w"
sync
echo 3 >/proc/sys/vm/drop_caches
echo 1 >/proc/sys/vm/compact_memory
t_diag "stage-2 unmaps: $du after MADV_DONTNEED, $(($(stats_v probe_unmap) - u0 - du)) during compaction"
counts_eq after-pressure "$vm" 18 0
t_eq state-after-pressure "$(sum "$vm" state)" exact
verify_ok verify-after-pressure "$vm"
t_run ram-data vmm_cmd A "check 2 0-63"
t_run bar-data vmm_cmd A "check 1 0-15"
obs_check pressure "$A_PID"

# --- unbind while mapped ---------------------------------------------------------------------
( unbind "$S2_IVSHMEM"; echo done >"$S2_TMP/unbound" ) 2>/dev/null &
sleep 1
t_eq unbind-waits "$(cat "$S2_TMP/unbound" 2>/dev/null)" ""
# (The driver link goes at once: the driver core removes it before vfio-pci's remove waits.)
counts_eq during-unbind "$vm" 18 0
t_run stop-a vmm_stop A
i=0
while [ ! -s "$S2_TMP/unbound" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
t_eq unbind-done "$(cat "$S2_TMP/unbound" 2>/dev/null)" done
t_run gone-after-unbind wait_gone "$vm"
t_eq vfio-bars-after-unbind "$(stats_v vfio_bars)" "$(sysfs_vfio_bars)"
obs_check unbound
t_run e1000e-unbind unbind "$S2_E1000E"
echo 1 >"/sys/bus/pci/devices/$S2_E1000E/enable"

# --- removal while mapped --------------------------------------------------------------------
t_run rebind bind_vfio "$S2_IVSHMEM"
vmm_start B ram:$G_RAM:16M vfio:$G_IVS:"$S2_IVSHMEM":2 || exit 1
t_run touch-b vmm_cmd B "touch 1 0-7 w"
wait_vm "$B_VMS"
rm -f "$S2_TMP/removed"
( echo 1 >"/sys/bus/pci/devices/$S2_IVSHMEM/remove"; echo done >"$S2_TMP/removed" ) 2>/dev/null &
sleep 1
counts_eq during-remove "$B_VMS" 8 0
t_run stop-b vmm_stop B
i=0
while [ ! -s "$S2_TMP/removed" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
t_eq remove-done "$(cat "$S2_TMP/removed" 2>/dev/null)" done
t_run gone-after-remove wait_gone "$B_VMS"
t_eq device-gone "$(test -d "/sys/bus/pci/devices/$S2_IVSHMEM" && echo present)" ""
t_eq vfio-bars-after-remove "$(stats_v vfio_bars)" "$(sysfs_vfio_bars)"
obs_check removed
echo 1 >/sys/bus/pci/rescan
t_eq device-back "$(test -d "/sys/bus/pci/devices/$S2_IVSHMEM" && echo present)" present

# --- a 1 GiB block ---------------------------------------------------------------------------
HP=/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
if [ "$PS" != 4096 ] || [ ! -w "$HP" ]; then
	t_skip gib-block "no 1 GiB hugetlb pages with $PS-byte pages"
else
	echo 1 >"$HP" 2>/dev/null
	if [ "$(cat "$HP")" -lt 1 ]; then
		t_skip gib-block "the emulated host could not back a 1 GiB page (no 1 GiB of contiguous free memory)"
	else
		vmm_start H huge:0x40000000:1G vfio:$G_EDU:"$S2_EDU":0 || exit 1
		t_run gib-touch vmm_cmd H "touch 0 1-3 w"
		t_run gib-touch-edu vmm_cmd H "touch 1 0-3"
		wait_vm "$H_VMS"
		t_eq gib-leaf "$(tail -n +3 "$S2_DFS/$H_VMS/table" | tr -s ' ' |
			awk '$10 == "ram" { print $1, $5, $6 }')" "$(hex 0x40000000) 262144 1"
		counts_eq gib-counts "$H_VMS" 4 0
		verify_ok gib-verify "$H_VMS"
		obs_check gib "$H_PID"
		t_run gib-stop vmm_stop H
		t_run gib-gone wait_gone "$H_VMS"
		echo 0 >"$HP"
	fi
fi
wait_idle
t_eq live-objects "$(stats_v live_objects)" 0
t_run unload mod_unload
