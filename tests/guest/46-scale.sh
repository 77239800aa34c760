#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 300
# 46-scale.sh: sizes that used to cost the host.
#   - a BAR at 512 GiB and RAM faulted above 64 GiB (QEMU virt puts 64-bit BARs there): exact
#     counts, and RAM faults never touch the VM's lock (the hot path needs no per-GiB mask);
#   - `table` of a VM with a million stage-2 leaves (4 GiB of IPA: a 1 GiB THP-backed RAM slot
#     and three aliases of it, mapped with 2 MiB blocks, then split into 4 KiB pages at once
#     by dirty logging with eager splitting, 6.5+), and of a VM whose device leaves do not
#     coalesce (every other page of a BAR: one line per leaf): it streams, so the kernel's
#     own memory counters (slab and vmalloc, /proc/meminfo) move by a bounded amount while it
#     is read, whatever its size; the reader gets every leaf.  4 KiB VHE cells of 6.12+
#     (time: faulting a million pages one by one takes minutes under TCG).
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

t_run devices setup_devices || exit 1
t_run load mod_load || exit 1

# --- high addresses ------------------------------------------------------------------------
HI_RAM=0x1000000000		# 64 GiB
HI_BAR=0x8000000000		# 512 GiB
t_run obs-start obs_start || exit 1
vmm_start H ram:$HI_RAM:16M vfio:$HI_BAR:"$S2_IVSHMEM":2 || exit 1
t_run hi-touch-bar vmm_cmd H "touch 1 0-63 w"
t_run hi-touch-ram vmm_cmd H "touch 0 1-$((8 * 1048576 / PS))"
wait_vm "$H_VMS"
counts_eq hi-counts "$H_VMS" 64 0
t_eq hi-ipa "$(maps "$H_VMS" | cut -d' ' -f1)" "$(hex $HI_BAR)"
verify_ok hi-verify "$H_VMS"
obs_check hi "$H_PID"
obs_stop
t_run hi-stop vmm_stop H
t_run hi-gone wait_gone "$H_VMS"

# --- a million leaves --------------------------------------------------------------------
if [ "$S2_MODE" != vhe ] || [ "$PS" != 4096 ] || ! kver_ge 6.5; then
	t_skip million-leaves "only in the 4 KiB VHE cells of 6.5+ (eager splitting; time)"
	t_run unload mod_unload
	exit 0
fi

mem() { awk '$1 == "Slab:" || $1 == "VmallocUsed:" { n += $2 } END { print n }' /proc/meminfo; }

# read_table NAME VM: read VM's table once, pausing half-way (by lines, estimated by HALF)
# to sample the kernel's memory counters; sets LEAVES (sum of pages of level-3 lines),
# LINES, BYTES, DELTA (KiB of slab+vmalloc above the idle value, half-way) and LAST.
read_table() {
	_idle=$(mem)
	rm -f "$S2_TMP/half" "$S2_TMP/go"
	mkfifo "$S2_TMP/half" "$S2_TMP/go"
	awk -v h="$HALF" -v half="$S2_TMP/half" -v go="$S2_TMP/go" '
		NR > 2 && $6 == 3 { leaves += $5 }
		NR > 2 && $1 ~ /^0x/ { lines++ }
		{ b += length($0) + 1; last = $0 }
		NR == h { system("echo >" half "; read x <" go) }
		END { if (NR < h) system("echo >" half "; read x <" go)
		      print leaves + 0, lines + 0, b + 0; print last }' \
		<"$S2_DFS/$2/table" >"$S2_TMP/part" &
	_rp=$!
	read -r _ <"$S2_TMP/half"
	_mid=$(mem)
	echo go >"$S2_TMP/go"
	wait $_rp
	# shellcheck disable=SC2046 # three numbers
	set -- $(head -n1 "$S2_TMP/part")
	LEAVES=$1 LINES=$2 BYTES=$3 DELTA=$((_mid - _idle))
	LAST=$(tail -n1 "$S2_TMP/part")
}

GIB=$((1 << 30))
HALF=1024
vmm_start M --eager-split 2M ram:$G_RAM:16M ram:0x100000000:1G alias:0x140000000:1 \
	alias:0x180000000:1 alias:0x1c0000000:1 || exit 1
vm=$M_VMS
t0=$(cut -d' ' -f1 /proc/uptime)
for s in 1 2 3 4; do
	t_run "million-fault-$s" vmm_cmd M "touch $s 0-$((GIB / PS - 1))/512"
done
for s in 1 2 3 4; do
	t_run "million-dirty-$s" vmm_cmd M "dirty $s on"
done
t1=$(cut -d' ' -f1 /proc/uptime)
t_diag "4 GiB of 2 MiB blocks faulted and split in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
read_table million "$vm"
t_eq million-leaves "$LEAVES" $((4 * GIB / PS))
t_eq million-table-result "$LAST" "result ok"
t_diag "table: $LINES lines, $BYTES bytes; slab+vmalloc moved by $DELTA KiB while half read"
if [ "$DELTA" -lt 4096 ]; then t_ok million-table-bounded; else
	t_fail million-table-bounded "slab+vmalloc +$DELTA KiB while reading $LEAVES leaves"; fi
t_run million-stop vmm_stop M
t_run million-gone wait_gone "$vm"

# --- one line per leaf ---------------------------------------------------------------------
N=$((256 * 1048576 / PS / 2))		# every other page of the 256 MiB BAR
HALF=$((N / 2))
vmm_start L ram:$G_RAM:16M vfio:$G_IVS:"$S2_IVSHMEM":2 || exit 1
t_run lines-touch vmm_cmd L "touch 1 0-$((2 * N - 1))/2"
wait_vm "$L_VMS"
counts_eq lines-counts "$L_VMS" "$N" 0
t_eq lines-ranges "$(st "$L_VMS" ranges)" "$N"
read_table lines "$L_VMS"
# RAM leaves (the program's slot) count too: at least the device leaves, one line each.
if [ "$LEAVES" -ge "$N" ] && [ "$LINES" -ge "$N" ]; then t_ok lines-table; else
	t_fail lines-table "$LEAVES leaves in $LINES lines, want at least $N of each"; fi
t_eq lines-table-result "$LAST" "result ok"
t_diag "table: $LINES lines, $BYTES bytes; slab+vmalloc moved by $DELTA KiB while half read"
if [ "$DELTA" -lt 4096 ] && [ $((DELTA * 1024)) -lt $((BYTES / 2)) ]; then
	t_ok lines-table-bounded
else
	t_fail lines-table-bounded "slab+vmalloc +$DELTA KiB while reading a $BYTES-byte table"
fi
verify_ok lines-verify "$L_VMS"
# (No observer comparison here: reducing 16384 traced maps in busybox awk takes minutes
# under emulation.  The observer compares the high-address VM above.)
t_run lines-stop vmm_stop L
t_run lines-gone wait_gone "$L_VMS"
wait_idle
t_eq live-objects "$(stats_v live_objects)" 0
t_run unload mod_unload
