#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 300
# s2-cells: vhe4k
# 42-loadunload.sh: insmod/rmmod cycles while a VM faults device pages; after each load the
# tracked numbers equal a walk (verify: 0 differences), and every tenth cycle (and the last)
# the faulter pauses and the observer, the module and the CLI must agree (obs-load-cycles).
# 10 cycles (4 KiB VHE cells only: # s2-cells), times s2.soak
# (time budget: a cycle is ~3 s of emulated time).
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

N=$(iters 10 4)
t_run devices setup_devices || exit 1
t_run obs-start obs_start || exit 1
vmm_start A $(std_slots) || exit 1
vm=$A_VMS

# The faulting load: touch, delete, re-add, touch... in the background.
faulter() {
	i=0
	while [ ! -e "$S2_TMP/stop" ]; do
		if [ -e "$S2_TMP/pause" ]; then touch "$S2_TMP/paused"; sleep 0.05; continue; fi
		vmm_cmd A "touch 1 $((i % 64))-$((i % 64 + 63)) w" >/dev/null || { echo "touch failed" >"$S2_TMP/ferr"; break; }
		[ $((i % 8)) != 7 ] || { vmm_cmd A "delete 1" >/dev/null && vmm_cmd A "readd 1" >/dev/null; } ||
			{ echo "delete/readd failed" >"$S2_TMP/ferr"; break; }
		i=$((i + 1))
	done
	echo "$i" >"$S2_TMP/rounds"
}
faulter &
fpid=$!

# pause / resume: the faulter stops between two commands.
pause() {
	touch "$S2_TMP/pause"
	_w=0
	while [ ! -e "$S2_TMP/paused" ] && [ $_w -lt 2400 ]; do sleep 0.05; _w=$((_w + 1)); done
	[ -e "$S2_TMP/paused" ]
}
resume() { rm -f "$S2_TMP/pause" "$S2_TMP/paused"; }

bad=0 obs_n=0 obs_bad=0
for i in $(seq "$N"); do
	if ! mod_load; then bad=$((bad + 1)); t_diag "cycle $i: insmod failed"; continue; fi
	wait_vm "$vm" || { bad=$((bad + 1)); t_diag "cycle $i: no VM directory"; }
	out=$(cat "$S2_DFS/$vm/verify" 2>&1)
	case $out in
	*"result ok"*"differences 0"*) ;;
	*) bad=$((bad + 1)); t_diag "cycle $i: verify: $(echo "$out" | tr '\n' ' ' | cut -c1-300)" ;;
	esac
	if [ $((i % 10)) = 0 ] || [ "$i" = "$N" ]; then
		obs_n=$((obs_n + 1))
		if ! pause; then
			obs_bad=$((obs_bad + 1)); t_diag "cycle $i: the faulter did not pause"
		elif ! why=$(obs_cmp "$A_PID"); then
			obs_bad=$((obs_bad + 1)); t_diag "cycle $i: observer: $why"
			[ $obs_bad -gt 1 ] || sed 's/^/# /' "$S2_TMP/obs/diff"
		fi
		resume
	fi
	mod_unload || { bad=$((bad + 1)); t_diag "cycle $i: rmmod failed"; }
done
touch "$S2_TMP/stop"
wait $fpid
t_eq "cycles-$N" "$bad" 0
if [ $obs_bad = 0 ] && [ $obs_n -gt 0 ]; then t_ok obs-load-cycles; else
	t_fail obs-load-cycles "$obs_bad of $obs_n comparisons differ"; fi
t_eq faulter-ok "$(cat "$S2_TMP/ferr" 2>/dev/null)" ""
t_diag "faulter rounds: $(cat "$S2_TMP/rounds")"
# Pages the faulter wrote: i%64 .. i%64+63 for each round i (other scripts may have left
# data in the rest of the BAR).
rounds=$(cat "$S2_TMP/rounds")
last=$((rounds >= 64 ? 126 : rounds - 1 + 63))
t_run data-intact vmm_cmd A "check 1 0-$last"
t_run stop vmm_stop A
