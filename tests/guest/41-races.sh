#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 120
# s2-cells: vhe4k
# 41-races.sh: races.  Two vCPUs fault the same device pages at once (KVM's -EAGAIN path
# must not double-count); memslot deletion (stage-2 unmap) races with guest faults (map);
# a VM destroyed while its mappings file is being read.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

FLAPS=$(iters 150 60)
t_run devices setup_devices || exit 1
t_run load mod_load || exit 1
t_run obs-start obs_start || exit 1

vmm_start A --vcpus 2 $(std_slots) || exit 1
vm=$A_VMS
t_run same-pages vmm_cmd A "touch 1 0-255 w vcpus=all"
t_run same-pages-edu vmm_cmd A "touch 2 0-63 vcpus=all"
wait_vm "$vm"
counts_eq same-pages-counts "$vm" 320 0
t_eq same-pages-ranges "$(nmaps "$vm")" 2
t_eq same-pages-leaves "$(st "$vm" page_leaves)" 320
verify_ok same-pages-verify "$vm"
obs_check same-pages "$A_PID"
t_run same-pages-data vmm_cmd A "check 1 0-255"

# Unmap (memslot delete) racing with maps (vCPU faults on the same slot).
t_run flap vmm_cmd A "flap 2 0-63 $FLAPS"
counts_eq flap-counts "$vm" 320 0
verify_ok flap-verify "$vm"
t_eq flap-drops "$(sum "$vm" drops)" 0
obs_check flap "$A_PID"

# A VM destroyed while its mappings file is open: open files do not keep a VM alive (KVM
# destroys it at once), the directory goes, further reads of the open file fail cleanly
# (debugfs answers EIO), and the object is freed once the file is closed.
exec 5<"$S2_DFS/$vm/mappings"
head -n 2 <&5 >/dev/null
t_run destroy-while-open vmm_cmd A destroy
t_run dir-gone-while-open wait_gone "$vm"
if cat <&5 >/dev/null 2>&1; then t_fail read-after-destroy "read succeeded"; else t_ok read-after-destroy; fi
exec 5<&-
obs_check destroyed "$A_PID"
t_run stop vmm_stop A

# The same with the whole VMM process exiting while a verify report is held open.
vmm_start B $(std_slots) || exit 1
t_run b-touch vmm_cmd B "touch 1 0-7 w"
wait_vm "$B_VMS"
obs_check b "$B_PID"
exec 6<"$S2_DFS/$B_VMS/verify"
t_run b-exit vmm_stop B
t_run b-gone-while-open wait_gone "$B_VMS"
if cat <&6 >/dev/null 2>&1; then t_fail b-read-after-exit "read succeeded"; else t_ok b-read-after-exit; fi
exec 6<&-
obs_check gone
wait_idle
t_eq live-objects "$(stats_v live_objects)" 0
t_run unload mod_unload
