#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 90
# 22-module-lifecycle.sh: load after the guest faulted (found by walking), unload with VMs
# running and a debugfs file open, reload, and load-time parameter validation.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

t_run devices setup_devices || exit 1
t_run obs-start obs_start || exit 1

# shellcheck disable=SC2046
vmm_start A $(std_slots) || exit 1
vm=$A_VMS
t_run touch vmm_cmd A "touch 1 0-15 w"
t_run touch-edu vmm_cmd A "touch 2 0-15"
t_run touch-e1000e vmm_cmd A "touch 3 0-$((E1K_PAGES - 1))"

# insmod after the faults: the VM is discovered and walked.
t_run load-late mod_load || exit 1
t_run late-dir wait_vm "$vm"
counts_eq late-counts "$vm" 32 "$E1K_PAGES"
t_eq late-found "$(st "$vm" found)" load
t_eq late-ranges "$(nmaps "$vm")" 3
verify_ok late-verify "$vm"
obs_check late "$A_PID"

# rmmod while the VM runs and a file is open: refused (the file pins the module), no oops.
exec 5<"$S2_DFS/$vm/mappings"
if rmmod kvm_s2stat 2>/dev/null; then t_fail rmmod-open-refused "rmmod succeeded"
else t_ok rmmod-open-refused; fi
t_run vm-runs-while-open vmm_cmd A "touch 1 16-23 w"
exec 5<&-
t_run rmmod-running mod_unload
t_run vm-runs-unloaded vmm_cmd A "touch 1 24-31 w"
t_run bar-data-intact vmm_cmd A "check 1 0-31"

# insmod again: the numbers come back from the walk, exact.
t_run reload mod_load || exit 1
t_run reload-dir wait_vm "$vm"
counts_eq reload-counts "$vm" 48 "$E1K_PAGES"
verify_ok reload-verify "$vm"
obs_check reload "$A_PID"
t_run vmm-stop vmm_stop A
t_run gone wait_gone "$vm"
obs_check gone
t_run unload mod_unload

# A VM that maps only RAM is known from its first vCPU, before it maps anything (s2vmm runs
# no guest code before its first touch; the map callback does nothing for RAM;
# tests/break/novcpu.patch drops the vCPU hook), and stays known while it faults RAM in.
# One VM after another, each on a freshly freed struct kvm: the kernel hands the last freed
# object out again.
t_run ram-only-load mod_load || exit 1
n=0 why=
while [ $n -lt 12 ] && [ -z "$why" ]; do
	if ! vmm_start R "ram:$G_RAM:16M"; then
		why="vmm start: $(cat "$S2_TMP/vmm.R/err")"
		break
	fi
	# shellcheck disable=SC2154 # set by vmm_start
	vm=$R_VMS
	wait_vm "$vm" || why="VM $n ($vm) not known from its vCPU"
	[ -n "$why" ] || vmm_cmd R "touch 0 0-3" >/dev/null || why="VM $n: touch failed"
	[ -n "$why" ] || wait_vm "$vm" || why="VM $n ($vm) not known after 4 RAM maps"
	vmm_stop R
	wait_gone "$vm" || why="${why:-VM $n ($vm) did not go}"
	n=$((n + 1))
done
if [ -z "$why" ]; then t_ok ram-only-known; else t_fail ram-only-known "$why"; fi
t_run ram-only-unload mod_unload

# Parameters are validated at load with a clear kernel log line.
for bad in 0 -5 abc 99999999999; do
	if insmod "$S2_MOD" max_ranges="$bad" 2>/dev/null; then
		rmmod kvm_s2stat
		t_fail "param-rejects-$bad" "loaded"
	elif dmesg | tail -n 5 | grep -q "max_ranges=$bad rejected"; then
		t_ok "param-rejects-$bad"
	else
		t_fail "param-rejects-$bad" "no kernel log line"
	fi
done
t_run param-accepts mod_load max_ranges=1000
t_eq param-value "$(stats_v ranges_max)" 1000
t_run unload-2 mod_unload
