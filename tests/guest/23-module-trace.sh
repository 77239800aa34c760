#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 90
# 23-module-trace.sh: the module's trace events (kvm_s2stat:s2_map, s2_unmap, s2_vm_gone),
# read through tracefs as perf/trace-cmd/bpftrace would.  s2_map events carry the device
# leaves read back from the table after maps (coalesced runs): each faulted page is covered
# exactly once.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

TR=/sys/kernel/tracing
t_run devices setup_devices || exit 1
t_run load mod_load || exit 1
for e in s2_map s2_map_failed s2_unmap s2_vm_gone; do
	t_run "event-$e" test -d "$TR/events/kvm_s2stat/$e"
done

echo 0 >$TR/tracing_on
echo >$TR/trace
echo 1 >$TR/events/kvm_s2stat/enable
echo 1 >$TR/tracing_on
t_run obs-start obs_start || exit 1
# shellcheck disable=SC2046
vmm_start A $(std_slots) || exit 1
vm=$A_VMS
t_run touch vmm_cmd A "touch 1 0-15 w"
t_run touch-edu vmm_cmd A "touch 2 0-15"
wait_vm "$vm"
obs_check touched "$A_PID"
t_run delete vmm_cmd A "delete 2"
obs_check delete "$A_PID"
t_run stop vmm_stop A
wait_gone "$vm"
obs_check gone
echo 0 >$TR/tracing_on
echo 0 >$TR/events/kvm_s2stat/enable
grep -v '^#' $TR/trace >"$S2_TMP/trace"

# pages MATCH: pages of the s2_map events whose line matches MATCH (an awk regex).
pages() {
	grep ' s2_map: ' "$S2_TMP/trace" | awk -v m="$1" -v ps="$PS" '
	function hex(s,  v, i) { s = tolower(s); v = 0
		for (i = 3; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	$0 ~ m { for (i = 1; i <= NF; i++) if ($i ~ /^size=/) { sub(/^size=/, "", $i); n += hex($i) / ps } }
	END { print n + 0 }'
}
t_eq s2_map-pages "$(pages .)" 32
t_eq s2_map-vfio "$(pages "attr=$VFIO_ATTR level=3 class=vfio")" 32
t_eq s2_map-ivshmem "$(pages "bdf=$S2_IVSHMEM bar=2")" 16
t_eq s2_map-edu "$(pages "bdf=$S2_EDU bar=0")" 16
t_eq s2_map-first-ipa "$(grep ' s2_map: ' "$S2_TMP/trace" | grep -c "ipa=0x10000000 ")" 1
t_eq s2_unmap-delete "$(grep ' s2_unmap: ' "$S2_TMP/trace" | grep -c "ipa=0x20000000 size=0x100000")" 1
t_eq s2_vm_gone "$(grep -c " s2_vm_gone: vm=$vm\$" "$S2_TMP/trace")" 1
t_eq s2_map_failed "$(grep -c ' s2_map_failed: ' "$S2_TMP/trace")" 0
t_run unload mod_unload
