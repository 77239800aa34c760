#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 120
# 41-races.sh: races.  Two vCPUs fault the same device pages at once (KVM's -EAGAIN path
# must not double-count); memslot deletion (stage-2 unmap) races with guest faults (map);
# a VM destroyed while its mappings file is being read.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

if [ "$S2_MODE" = vhe ]; then FLAPS=300; else FLAPS=100; fi
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

# A VM destroyed while its mappings file is read: the open file holds the VM (KVM defers
# the destruction), the read completes, the directory goes once the file is closed.
exec 5<"$S2_DFS/$vm/mappings"
head -n 2 <&5 >/dev/null
t_run destroy-while-open vmm_cmd A destroy
t_eq dir-stays-while-open "$(test -e "$S2_DFS/$vm/status" && echo yes)" yes
rest=$(cat <&5 | wc -l | tr -d ' ')
t_eq read-completes "$rest" 2
exec 5<&-
t_run dir-gone-after-close wait_gone "$vm"
obs_check destroyed "$A_PID"
t_run stop vmm_stop A

# The same with the whole VMM process exiting while a verify report is held open.
vmm_start B $(std_slots) || exit 1
t_run b-touch vmm_cmd B "touch 1 0-7 w"
wait_vm "$B_VMS"
obs_check b "$B_PID"
exec 6<"$S2_DFS/$B_VMS/verify"
t_run b-exit vmm_stop B
t_eq b-verify-readable "$(awk '$1 == "result" { print $2 }' <&6)" ok
exec 6<&-
t_run b-gone wait_gone "$B_VMS"
obs_check gone
wait_idle
t_eq live-objects "$(stats_v live_objects)" 0
t_run unload mod_unload
