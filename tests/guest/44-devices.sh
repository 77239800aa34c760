#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 90
# 44-devices.sh: PCI devices unbound from vfio-pci and rebound while the module is loaded;
# mappings made afterwards are classified by the device's driver at that moment.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

t_run devices setup_devices || exit 1
t_run load mod_load || exit 1
t_eq vfio-bars-3 "$(stats_v vfio_bars)" 3
t_run obs-start obs_start || exit 1

# edu bound to vfio-pci: vfio.
vmm_start A ram:$G_RAM:16M vfio:$G_EDU:"$S2_EDU":0 || exit 1
t_run touch vmm_cmd A "touch 1 0-3"
wait_vm "$A_VMS"
counts_eq vfio-counts "$A_VMS" 4 0
obs_check vfio "$A_PID"
t_run stop vmm_stop A

# edu unbound (no driver): its BAR through sysfs is other device memory of that BDF.
t_run unbind unbind "$S2_EDU"
t_eq vfio-bars-2 "$(stats_v vfio_bars)" 2
echo 1 >"/sys/bus/pci/devices/$S2_EDU/enable"
vmm_start B ram:$G_RAM:16M res:$G_EDU:/sys/bus/pci/devices/"$S2_EDU"/resource0 || exit 1
t_run touch-unbound vmm_cmd B "touch 1 0-3"
wait_vm "$B_VMS"
counts_eq unbound-counts "$B_VMS" 0 4
t_eq unbound-line "$(maps "$B_VMS" | cut -d' ' -f10-15)" "other $S2_EDU 0 - vma $RES_REASON"
verify_ok unbound-verify "$B_VMS"
obs_check unbound "$B_PID"
t_run stop-b vmm_stop B

# Rebound to vfio-pci: vfio again, with its driver name.
t_run rebind bind_vfio "$S2_EDU"
t_eq vfio-bars-3-again "$(stats_v vfio_bars)" 3
vmm_start C ram:$G_RAM:16M vfio:$G_EDU:"$S2_EDU":0 || exit 1
t_run touch-rebound vmm_cmd C "touch 1 0-3"
wait_vm "$C_VMS"
counts_eq rebound-counts "$C_VMS" 4 0
t_eq rebound-line "$(maps "$C_VMS" | cut -d' ' -f10-15)" "vfio $S2_EDU 0 vfio-pci vma $VFIO_REASON"
obs_check rebound "$C_PID"
t_run stop-c vmm_stop C

# Attribution comes from the mapping, not the address: a BAR of a device bound to vfio-pci,
# mapped through its sysfs resource file instead of the VFIO device file, is other memory of
# that BAR (by address alone it would count as vfio).  No VMM opens the device meanwhile:
# once vfio-pci claims the BAR, IO_STRICT_DEVMEM revokes sysfs mappings of it.
vmm_start E ram:$G_RAM:16M res:$G_IVS:/sys/bus/pci/devices/"$S2_IVSHMEM"/resource2:1M || exit 1
t_run touch-sysfs-file vmm_cmd E "touch 1 0-3 w"
wait_vm "$E_VMS"
t_eq sysfs-file-driver "$(drv "$S2_IVSHMEM")" vfio-pci
t_eq sysfs-file-line "$(maps "$E_VMS" | cut -d' ' -f7,10-15)" "DEVICE_nGnRE other $S2_IVSHMEM 2 vfio-pci vma $RES_REASON"
counts_eq sysfs-file-counts "$E_VMS" 0 4
verify_ok sysfs-file-verify "$E_VMS"
t_run stop-e vmm_stop E
t_run unload mod_unload
