#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 120
# 21-module-patterns.sh: exact counts for touch patterns, slot deletion and move, VM
# destruction, and two VMs at once.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

t_run devices setup_devices || exit 1
t_run load mod_load || exit 1
t_run obs-start obs_start || exit 1

# 5 of 16 pages count 5, in one range.
# shellcheck disable=SC2046
vmm_start A $(std_slots) || exit 1
vm=$A_VMS
t_run five-touch vmm_cmd A "touch 1 0-4 w"
wait_vm "$vm"
counts_eq five-counts "$vm" 5 0
t_eq five-ranges "$(nmaps "$vm")" 1
verify_ok five-verify "$vm"
obs_check five "$A_PID"

# Every other page of 16: 8 pages, 8 ranges (on top of the 5 above: pages 0-4 and 6, 8, ...).
t_run alt-touch vmm_cmd A "touch 2 0-15/2"
counts_eq alt-counts "$vm" 13 0
t_eq alt-ranges "$(maps "$vm" | awk '$11 == "'"$S2_EDU"'"' | wc -l | tr -d ' ')" 8
verify_ok alt-verify "$vm"
obs_check alt "$A_PID"

# Filling the holes coalesces the slot into one range again.
t_run fill-touch vmm_cmd A "touch 2 1-15/2"
t_eq fill-ranges "$(maps "$vm" | awk '$11 == "'"$S2_EDU"'"' | wc -l | tr -d ' ')" 1
counts_eq fill-counts "$vm" 21 0
obs_check fill "$A_PID"

# Deleting a slot brings its count to 0; moving a slot unmaps it at the old place.
t_run delete vmm_cmd A "delete 2"
counts_eq delete-counts "$vm" 5 0
verify_ok delete-verify "$vm"
obs_check delete "$A_PID"
t_run move vmm_cmd A "move 1 0x50000000"
counts_eq move-counts "$vm" 0 0
t_run move-touch vmm_cmd A "touch 1 0-2 w"
counts_eq move-touch-counts "$vm" 3 0
t_eq move-ipa "$(maps "$vm" | cut -d' ' -f1)" "$(hex 0x50000000)"
verify_ok move-verify "$vm"
obs_check move "$A_PID"

# A BAR faulted in page by page and unmapped microseconds later, in the same VMM request (a
# settle comes 20 ms after a run starts, so the run's tail is still the CPU's): the unmap
# makes the run pending first (docs/design.md, "Runs"), so nothing stays tracked and none
# of its maps counts as failed.  (S2_BREAK=runleak, which skips that, fails runs-failed.)
t_run runs-readd vmm_cmd A "readd 2"
t_run runs-touch-delete vmm_cmd A "touch 2 all ; delete 2"
counts_eq runs-counts "$vm" 3 0
t_eq runs-failed "$(sum "$vm" failed)/$(sum "$vm" drops)" 0/0
verify_ok runs-verify "$vm"
obs_check runs "$A_PID"

# Destroying the VM (fds closed, process alive) removes its directory.
t_run destroy vmm_cmd A "destroy"
t_run destroy-dir-removed wait_gone "$vm"
obs_check destroyed "$A_PID"
t_run create vmm_cmd A "create"
t_run vmm-stop vmm_stop A

# Two VMs at once are counted apart (one process, shared BAR mmaps).
# shellcheck disable=SC2046
vmm_start B --vms 2 $(std_slots) || exit 1
set -- $B_VMS
t_run two-touch-0 vmm_cmd B "@0 touch 1 0-15 w"
t_run two-touch-1 vmm_cmd B "@1 touch 1 0-3 w"
t_run two-touch-1b vmm_cmd B "@1 touch 3 0-1"
wait_vm "$1"; wait_vm "$2"
counts_eq two-counts-0 "$1" 16 0
counts_eq two-counts-1 "$2" 4 2
verify_ok two-verify-0 "$1"
verify_ok two-verify-1 "$2"
obs_check two "$B_PID"
t_run two-stop vmm_stop B
if wait_gone "$1" && wait_gone "$2"; then t_ok two-gone; else t_fail two-gone "directories left"; fi
obs_check two-gone
wait_idle
t_eq live-objects-idle "$(stats_v live_objects)" 0
t_run unload mod_unload
