#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 600
# s2-cells: vhe4k protected
# 40-churn.sh: VM churn.  Two long-lived VMs keep device pages mapped while one VMM process
# runs VM lifecycles (create, map 16 pages of two VFIO BARs, delete one slot, destroy) and a
# reader loops over every debugfs file and the CLI.  Afterwards: no VM directory left, no
# live object, memory held back to its idle value, no kernel complaint (dmesg-clean).  The
# observer agrees with the module and the CLI after every fifth of the lifecycles; every
# failed read of the reader counts, except ENOENT or EIO on a VM that went away.
# 50 lifecycles in the 4 KiB VHE cells, 20 in the protected ones (# s2-cells), times s2.soak
# (time budget: each lifecycle is ~70 observed events).
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

N=$(iters 50 20)
t_run devices setup_devices || exit 1
t_run load mod_load || exit 1
idle=$(stats_v bytes_held)
t_run obs-start obs_start || exit 1

vmm_start A --vms 2 ram:$G_RAM:16M vfio:$G_IVS:"$S2_IVSHMEM":2 vfio:$G_EDU:"$S2_EDU":0 || exit 1
t_run live-touch vmm_cmd A "@all touch 1 0-31 w"
t_run live-touch-edu vmm_cmd A "@all touch 2 0-7"
wait_vm "${A_VMS% *}"; wait_vm "${A_VMS#* }"
obs_check live "$A_PID"

# rd FILE [VMDIR]: read FILE.  A failure goes to $S2_TMP/rerr, except on a file of a VM
# (VMDIR): ENOENT, or EIO (debugfs fails the read of a file removed while open, as the CLI
# knows), noted in $S2_TMP/enoent; each such VM must be gone at the end (checked below).
rd() {
	cat "$1" >/dev/null 2>"$S2_TMP/rd.err" && return 0
	if [ -n "${2:-}" ] && grep -qE 'No such file|Input/output error' "$S2_TMP/rd.err"; then
		echo "$2" >>"$S2_TMP/enoent"
	else
		echo "$1: $(head -c 200 "$S2_TMP/rd.err")" >>"$S2_TMP/rerr"
	fi
}
# The reader: every file, the CLI in JSON, until told to stop.
reader() {
	while [ ! -e "$S2_TMP/stop" ]; do
		rd "$S2_DFS/summary"
		rd "$S2_DFS/stats"
		for d in "$S2_DFS"/*-*; do
			[ -d "$d" ] || continue
			for f in status mappings verify table effective; do rd "$d/$f" "$d"; done
		done
		if [ -x "$S2_CLI" ]; then
			"$S2_CLI" -j >/dev/null 2>"$S2_TMP/cli.err" ||
				echo "kvm-s2stat -j: exit $?: $(head -c 200 "$S2_TMP/cli.err")" >>"$S2_TMP/rerr"
		fi
		echo x >>"$S2_TMP/reads"
	done
}
: >"$S2_TMP/rerr"
: >"$S2_TMP/enoent"
reader &
rpid=$!

step=$((N / 5))
done_n=0
ok=1
while [ $done_n -lt "$N" ]; do
	vmm_cmd A "cycle $step" >"$S2_TMP/cycle.out" || { ok=0; break; }
	done_n=$((done_n + step))
	obs_check "after-$done_n-lifecycles" "$A_PID"
done
touch "$S2_TMP/stop"
wait $rpid
if [ $ok = 1 ]; then t_ok "lifecycles-$N"; else t_fail "lifecycles-$N" "$(cat "$S2_TMP/cycle.out")"; fi
t_diag "reader passes: $(wc -l <"$S2_TMP/reads"), ENOENT or EIO on vanishing VMs: $(wc -l <"$S2_TMP/enoent")"
# ENOENT and EIO are expected only from VMs that are gone now (the two long-lived ones are not).
sort -u "$S2_TMP/enoent" | while read -r d; do
	[ ! -e "$d" ] || echo "$d: ENOENT or EIO while the VM still exists" >>"$S2_TMP/rerr"
done
if [ -s "$S2_TMP/rerr" ]; then
	sort "$S2_TMP/rerr" | uniq -c | sort -rn | head -n 10 | sed 's/^/# /'
	t_fail reader-errors "$(wc -l <"$S2_TMP/rerr") failed reads"
else
	t_ok reader-errors
fi
t_eq vms-seen "$(stats_v vms_seen)" $((N + 2))
t_eq vms-gone "$(stats_v vms_gone)" "$N"

# The long-lived VMs are still exact.
set -- $A_VMS
counts_eq live-counts-0 "$1" 40 0
counts_eq live-counts-1 "$2" 40 0
verify_ok live-verify-0 "$1"
verify_ok live-verify-1 "$2"

t_run stop vmm_stop A
if wait_gone "$1" && wait_gone "$2"; then t_ok no-dirs; else t_fail no-dirs "left: $(ls "$S2_DFS")"; fi
obs_check gone
t_eq vm-dirs "$(find "$S2_DFS" -mindepth 1 -maxdepth 1 -type d | wc -l | tr -d ' ')" 0
wait_idle
t_eq live-objects "$(stats_v live_objects)" 0
t_eq bytes-held-idle "$(stats_v bytes_held)" "$idle"
t_eq drops "$(stats_v drops)" 0
t_run unload mod_unload
