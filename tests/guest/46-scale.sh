#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 480
# 46-scale.sh: sizes that used to cost the host.
#   - a BAR at 512 GiB and RAM faulted above 64 GiB (QEMU virt puts 64-bit BARs there): exact
#     counts, and RAM faults never touch the VM's lock (the hot path needs no per-GiB mask);
#   - `table` of a VM with at least a million stage-2 leaves, in as many lines (every other
#     page of 31 aliases of a 256 MiB BAR): it streams, so the kernel's own memory counters
#     (slab and vmalloc, /proc/meminfo) move by less than the table's size while it is read,
#     and the reader gets every line.  Only in the 4 KiB VHE cells (time).
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

t_run devices setup_devices || exit 1
t_run load mod_load max_ranges=2097152 || exit 1

# --- high addresses ------------------------------------------------------------------------
HI_RAM=0x1000000000		# 64 GiB
HI_BAR=0x8000000000		# 512 GiB
vmm_start H ram:$HI_RAM:16M vfio:$HI_BAR:"$S2_IVSHMEM":2 || exit 1
t_run hi-touch-bar vmm_cmd H "touch 1 0-63 w"
t_run hi-touch-ram vmm_cmd H "touch 0 1-$((8 * 1048576 / PS))"
wait_vm "$H_VMS"
counts_eq hi-counts "$H_VMS" 64 0
t_eq hi-ipa "$(maps "$H_VMS" | cut -d' ' -f1)" "$(hex $HI_BAR)"
verify_ok hi-verify "$H_VMS"
t_run hi-stop vmm_stop H
t_run hi-gone wait_gone "$H_VMS"

# --- a million leaves --------------------------------------------------------------------
if [ "$S2_MODE" != vhe ] || [ "$PS" != 4096 ]; then
	t_skip million-leaves "only in the 4 KiB VHE cells (time)"
	t_run unload mod_unload
	exit 0
fi
NSLOT=31
BARP=$((256 * 1048576 / PS))		# pages of the ivshmem BAR
slots=ram:$G_RAM:16M
i=1
while [ $i -le $NSLOT ]; do
	slots="$slots vfio:$(printf '0x%x' $((0x100000000 + i * 0x10000000))):$S2_IVSHMEM:2"
	i=$((i + 1))
done
# shellcheck disable=SC2086
vmm_start M $slots || exit 1
vm=$M_VMS
t0=$(cut -d' ' -f1 /proc/uptime)
i=1
ok=1
while [ $i -le $NSLOT ]; do
	vmm_cmd M "touch $i 0-$((BARP - 1))/2" >/dev/null || { ok=0; break; }
	i=$((i + 1))
done
t1=$(cut -d' ' -f1 /proc/uptime)
want=$((NSLOT * BARP / 2))
if [ $ok = 1 ]; then t_ok million-touch; else t_fail million-touch "touch of slot $i failed"; fi
t_diag "$want leaves faulted in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
wait_vm "$vm"
counts_eq million-counts "$vm" "$want" 0
t_eq million-ranges "$(st "$vm" ranges)" "$want"

# The table read, with the kernel's memory counters sampled while the reader is paused
# half-way, against the idle value: what the module allocates for a read does not grow with
# the table (about 100 bytes a line).
mem() { awk '$1 == "Slab:" || $1 == "VmallocUsed:" { n += $2 } END { print n }' /proc/meminfo; }
idle=$(mem)
mkfifo "$S2_TMP/half" "$S2_TMP/go"
# One reader; half-way it stops (its read side waits on a FIFO) while the counters are read.
awk -v h=$((want / 2)) -v half="$S2_TMP/half" -v go="$S2_TMP/go" '
	$10 == "device" { n++ }
	{ b += length($0) + 1; last = $0 }
	NR == h { system("echo >" half "; read x <" go) }
	END { print n + 0, b + 0; print last }' <"$S2_DFS/$vm/table" >"$S2_TMP/part" &
rp=$!
read -r _ <"$S2_TMP/half"
mid=$(mem)
echo go >"$S2_TMP/go"
wait $rp
set -- $(head -n1 "$S2_TMP/part")
t_eq million-table-lines "$1" "$want"
t_eq million-table-result "$(tail -n1 "$S2_TMP/part")" "result ok"
size=$2
delta=$((mid - idle))
t_diag "table: $size bytes; kernel slab+vmalloc moved by $delta KiB while half read"
# Bounded: under 4 MiB (a batch and seq_file's buffer; other kernel activity included), and
# far below the table itself.
if [ "$delta" -lt 4096 ] && [ $((delta * 1024)) -lt $((size / 10)) ]; then
	t_ok million-table-bounded
else
	t_fail million-table-bounded "slab+vmalloc +$delta KiB while reading a $size-byte table"
fi
verify_ok million-verify "$vm"
t_run million-stop vmm_stop M
t_run million-gone wait_gone "$vm"
wait_idle
t_eq live-objects "$(stats_v live_objects)" 0
t_run unload mod_unload
