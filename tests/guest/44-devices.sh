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
t_eq unbound-line "$(maps "$B_VMS" | cut -d' ' -f10-13)" "other $S2_EDU 0 -"
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
t_eq rebound-line "$(maps "$C_VMS" | cut -d' ' -f10-13)" "vfio $S2_EDU 0 vfio-pci"
obs_check rebound "$C_PID"
t_run stop-c vmm_stop C
t_run unload mod_unload
