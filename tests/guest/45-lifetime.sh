#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 420
# s2-cells: vhe4k protected
# 45-lifetime.sh: the module's lifetime rules under VM churn (docs/design.md, "Lifetime").
#   - rmmod while VMs are being destroyed, insmod while VMs are being created and destroyed:
#     N cycles with a VMM that runs VM lifecycles all along; after each load a long-lived VM
#     has exactly the pages the test touched, and the walker agrees;
#   - the kprobes switch (debug/kprobes/enabled) flipped under churn: the hooks are ftrace,
#     not kprobes, so nothing is missed; ftrace cannot be switched off while loaded;
#   - fd reuse: VM lifecycles that reuse the same <pid>-<fd> name leave exactly one
#     directory per live VM; a VM whose KVM debugfs name is still taken (the old VM is held
#     alive through KVM's own debugfs file) is published under the documented fallback name.
# The counts are the test's own (what it touched) and the table walk's; no kernel complaint
# (dmesg-clean) and no object left (live_objects 0).
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

N=$(iters 12 6)
t_run devices setup_devices || exit 1
t_run devices-2 bind_vfio "$S2_IVSHMEM2" || exit 1

# A long-lived VM with known pages, and a churning VMM (its own process; a VFIO group is
# open in one process at a time, so each VMM has its own devices).
vmm_start A ram:$G_RAM:16M vfio:$G_IVS:"$S2_IVSHMEM":2 || exit 1
vm=$A_VMS
t_run touch vmm_cmd A "touch 1 0-31 w"
vmm_start C ram:$G_RAM:16M vfio:$G_IVS:"$S2_IVSHMEM2":2 || exit 1
churner() {
	while [ ! -e "$S2_TMP/stop" ]; do
		vmm_cmd C "cycle 5 0-7" >"$S2_TMP/churn.out" || { echo churn >"$S2_TMP/cerr"; break; }
	done
}
churner &
cpid=$!

# --- load/unload while VMs come and go -------------------------------------------------
bad=0
for i in $(seq "$N"); do
	if ! mod_load; then bad=$((bad + 1)); t_diag "cycle $i: insmod failed"; continue; fi
	if ! wait_vm "$vm"; then
		bad=$((bad + 1)); t_diag "cycle $i: no directory for $vm"
	else
		got="$(sum "$vm" "$VFIO_COL")/$(sum "$vm" state)"
		[ "$got" = "32/exact" ] || { bad=$((bad + 1)); t_diag "cycle $i: $vm shows $got, want 32/exact"; }
	fi
	# Every few cycles: the walker's view too (it takes kvm->mmu_lock while VMs churn).
	if [ $((i % 10)) = 1 ]; then
		out=$(cat "$S2_DFS/$vm/verify" 2>&1)
		case $out in
		*"result ok"*"differences 0"*) ;;
		*) bad=$((bad + 1)); t_diag "cycle $i: verify: $(echo "$out" | tr '\n' ' ' | cut -c1-200)" ;;
		esac
	fi
	mod_unload || { bad=$((bad + 1)); t_diag "cycle $i: rmmod failed"; }
done
t_eq "load-unload-under-churn-$N" "$bad" 0

# --- the kprobes switch ------------------------------------------------------------------
t_run load mod_load || exit 1
KP=/sys/kernel/debug/kprobes/enabled
if [ -w "$KP" ]; then
	echo 0 >"$KP"
	t_run touch-kprobes-off vmm_cmd A "touch 1 32-63 w"
	vmm_cmd C "cycle 10 0-7" >/dev/null
	echo 1 >"$KP"
	counts_eq counts-kprobes-off "$vm" 64 0
	t_eq state-kprobes-off "$(sum "$vm" state)" exact
	verify_ok verify-kprobes-off "$vm"
else
	t_fail kprobes-switch "$KP not writable"
fi
# ftrace cannot be switched off while the module's hooks are registered.
if echo 0 >/proc/sys/kernel/ftrace_enabled 2>/dev/null; then
	echo 1 >/proc/sys/kernel/ftrace_enabled
	t_fail ftrace-permanent "sysctl kernel.ftrace_enabled=0 was accepted"
else
	t_ok ftrace-permanent
fi
t_eq ftrace-still-on "$(cat /proc/sys/kernel/ftrace_enabled)" 1

touch "$S2_TMP/stop"
wait $cpid
t_eq churn-ok "$(cat "$S2_TMP/cerr" 2>/dev/null)" ""

# --- fd reuse ----------------------------------------------------------------------------
# cycle creates a VM, maps, destroys it: the next one gets the same fd and name.
t_run reuse-cycles vmm_cmd C "cycle 50 0-3"
# Only A's VM and C's own VM are left (C's never ran, but the load found it through KVM's
# debugfs); none of the 50 reused names stayed behind.
# (Directories are retired by a work item after the VM's teardown: 10 s at most.)
want=$(printf '%s\n' "$vm" "$C_VMS" | sort | tr '\n' ' ')
i=0
while [ "$(ls "$S2_DFS" | grep -- '-' | sort | tr '\n' ' ')" != "$want" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_eq reuse-dirs "$(ls "$S2_DFS" | grep -- '-' | sort | tr '\n' ' ')" "$want"

# A VM kept alive by KVM's own debugfs file while its fd is closed and reused: KVM cannot
# give the new VM the same debugfs name, so the module names it <pid>-vm<N>.
# The observer (started now: the churn before would overrun its buffer) sees both VMs of R.
t_run obs-start obs_start || exit 1
vmm_start R ram:$G_RAM:16M vfio:$G_EDU:"$S2_EDU":0 || exit 1
old=$R_VMS
t_run r-touch vmm_cmd R "touch 1 0-3 w"
wait_vm "$old"
exec 7</sys/kernel/debug/kvm/"$old"/remote_tlb_flush
t_run r-destroy vmm_cmd R destroy
new=$(vmm_cmd R create | sed -n 's/^ok vmfd=//p')
t_eq reuse-same-fd "$R_PID-$new" "$old"
t_run r-touch-new vmm_cmd R "touch 1 0-7 w"
i=0
while [ "$(ls "$S2_DFS" | grep -c "^$R_PID-vm")" = 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fb=$(ls "$S2_DFS" | grep "^$R_PID-vm" | head -n1)
if [ -n "$fb" ]; then t_ok fallback-name; else t_fail fallback-name "no $R_PID-vm<N> directory: $(ls "$S2_DFS" | tr '\n' ' ')"; fi
[ -z "$fb" ] || counts_eq fallback-counts "$fb" 8 0
t_eq old-still-there "$(sum "$old" "$VFIO_COL")" 4
obs_check fallback "$R_PID"
exec 7<&-
t_run old-gone wait_gone "$old"
t_run r-stop vmm_stop R
[ -z "$fb" ] || t_run fallback-gone wait_gone "$fb"
if [ -x "$S2_CLI" ]; then
	"$S2_CLI" >"$S2_TMP/cli" 2>&1
	t_eq cli-reads-all "$?" 0
fi

t_run stop-c vmm_stop C
t_run stop-a vmm_stop A
t_run a-gone wait_gone "$vm"
wait_idle
t_eq live-objects "$(stats_v live_objects)" 0
t_run unload mod_unload
