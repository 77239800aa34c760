#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 90
# s2-cells: vhe4k
# 43-budget.sh: the tracking budget.  With max_ranges tiny, the probes drop what they cannot
# record, count it, mark the VM inexact (the CLI says so); once the budget allows, a resync
# (a walk) restores exact numbers.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

P=/sys/module/kvm_s2stat/parameters/max_ranges
t_run devices setup_devices || exit 1
t_run load mod_load max_ranges=4 || exit 1
t_run obs-start obs_start || exit 1
vmm_start A $(std_slots) || exit 1
vm=$A_VMS
# Every other page: 8 ranges wanted, 4 allowed.
t_run touch vmm_cmd A "touch 1 0-15/2 w"
wait_vm "$vm"
t_eq inexact "$(sum "$vm" state)" inexact
drops=$(sum "$vm" drops)
if [ "$drops" -ge 4 ]; then t_ok drops-counted; else t_fail drops-counted "drops=$drops"; fi
t_eq global-drops "$(stats_v drops)" "$drops"
# The budget is global (tracked, pending and spare nodes): what the VM holds never exceeds it.
r=$(($(st "$vm" ranges) + $(st "$vm" pending)))
if [ "$r" -le 4 ]; then t_ok ranges-capped; else t_fail ranges-capped "ranges+pending=$r"; fi
if [ -x "$S2_CLI" ]; then
	"$S2_CLI" >"$S2_TMP/cli" 2>&1
	if grep -q INEXACT "$S2_TMP/cli"; then t_ok cli-says-inexact; else
		sed 's/^/# /' "$S2_TMP/cli"; t_fail cli-says-inexact "no INEXACT"; fi
else
	t_fail cli-says-inexact "$S2_CLI not built"
fi
# A resync while the budget is still short fails and changes nothing.
if echo 1 >"$S2_DFS/$vm/resync" 2>/dev/null; then t_fail resync-short-fails "succeeded"
else t_ok resync-short-fails; fi
t_eq still-inexact "$(sum "$vm" state)" inexact

echo 1000 >$P
t_run resync vmm_cmd A "sleep 1"
t_run resync-write sh -c "echo 1 >$S2_DFS/$vm/resync"
t_eq exact-again "$(sum "$vm" state)" exact
counts_eq counts "$vm" 8 0
t_eq ranges "$(nmaps "$vm")" 8
verify_ok verify "$vm"
obs_check resynced "$A_PID"

# Budget exhaustion while faulting, then automatic recovery (resync with back-off).
echo 9 >$P
t_run touch-more vmm_cmd A "touch 2 0-15/2"
t_eq inexact-2 "$(sum "$vm" state)" inexact
echo 1000 >$P
i=0
while [ "$(sum "$vm" state)" != exact ] && [ $i -lt 40 ]; do sleep 0.5; i=$((i + 1)); done
t_eq auto-resync "$(sum "$vm" state)" exact
counts_eq counts-2 "$vm" 16 0
verify_ok verify-2 "$vm"
obs_check auto-resynced "$A_PID"

# Bad values are refused at run time too.
for bad in 0 abc 99999999; do
	if echo "$bad" >$P 2>/dev/null; then t_fail "param-rejects-$bad" "accepted"
	else t_ok "param-rejects-$bad"; fi
done
t_eq param-unchanged "$(cat $P)" 1000
t_run stop vmm_stop A
t_run unload mod_unload
