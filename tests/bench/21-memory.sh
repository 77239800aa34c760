#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 3600
# 21-memory.sh: P3, the memory kvm_s2stat holds, measured from the kernel's side.
#
# The allocator reports every allocation with its real size: the kmem tracepoints (kmalloc,
# kmem_cache_alloc with bytes_alloc, the slab object size the request was rounded to; kfree,
# kmem_cache_free) and the percpu ones, traced from before the module is loaded, each
# allocation with the kernel stack that made it (ftrace `stacktrace` trigger).  An
# allocation is the module's when its call site or a frame of its stack is a function of
# kvm_s2stat (/proc/kallsyms) -- debugfs directories and files (dentries, inodes) created by
# the module, its VM objects, workqueues, ftrace filter hashes, the BAR table -- or when it
# is debugfs' per-file state set up when one of the module's files is opened
# (debugfs_file_get).  What is still allocated (not freed since) is what the module holds.
# Its own node cache (KMEM_CACHE(s2_range), alone thanks to the bench's slab_nomerge) is
# counted by its slab pages in /proc/slabinfo instead of its objects: pages the module's
# cache holds are the module's, however full.
#   P3.idle   module loaded, no VM (its module image, coresize, is reported beside)
#   P3.full   one VM with the whole 256 MiB ivshmem BAR mapped (65 536 pages, one range),
#             above idle                                              (target <= 1 KiB)
#   P3.half   every other page mapped (32 768 ranges): bytes per extra range
#   P3.after  the VM gone: what is left above idle
# Each state is checked (pages, ranges, exact) and read once before it is measured (a read
# settles pending maps).  bytes_held, the module's own formula, is reported next to each.
# shellcheck source-path=SCRIPTDIR source=benchlib.sh
. "${0%/*}/benchlib.sh"

T=/sys/kernel/tracing
b_meta
t_run devices bind_vfio "$S2_IVSHMEM" || exit 1
grep -q '^s2_range ' /proc/slabinfo && b_fail node-cache "s2_range already in /proc/slabinfo"
ALLOC_EV=
for e in kmem/kmalloc kmem/kmem_cache_alloc percpu/percpu_alloc_percpu; do
	[ ! -d "$T/events/$e" ] || ALLOC_EV="$ALLOC_EV $e"
done
FREE_EV=
for e in kmem/kfree kmem/kmem_cache_free percpu/percpu_free_percpu; do
	[ ! -d "$T/events/$e" ] || FREE_EV="$FREE_EV $e"
done

# Tracing on, every allocation with its stack until the module's text is known.
echo 0 >$T/tracing_on
echo 32768 >$T/buffer_size_kb
echo >$T/trace
for e in $ALLOC_EV; do
	echo stacktrace >"$T/events/$e/trigger" || b_fail trigger "stacktrace trigger on $e"
	echo 1 >"$T/events/$e/enable"
done
for e in $FREE_EV; do echo 1 >"$T/events/$e/enable"; done
echo 1 >$T/tracing_on

t_run load mod_load || exit 1
awk '$4 == "[kvm_s2stat]" { print $3 }' /proc/kallsyms >"$S2_TMP/syms"
# From now on a stack only for call sites outside the module's text (its own are enough).
# shellcheck disable=SC2046 # two addresses
set -- $(awk '$4 == "[kvm_s2stat]" && ($2 == "t" || $2 == "T") { print $1 }' /proc/kallsyms |
	sort | sed -n '1p;$p')
if [ $# = 2 ]; then
	lo=0x$1 hi=$(printf '0x%x' $((0x$2 + 4096)))
	for e in $ALLOC_EV; do
		echo '!stacktrace' >"$T/events/$e/trigger"
		echo "stacktrace if call_site < $lo || call_site >= $hi" >"$T/events/$e/trigger" ||
			b_fail trigger "filtered stacktrace trigger on $e"
	done
fi
coresize=$(cat /sys/module/kvm_s2stat/coresize)
sleep 1

# m_snap: "BYTES OBJ_BYTES OBJS CACHE_BYTES OWN_OBJS PARTS": what the module holds now
# (tracing is paused while the trace is read).  PARTS: live bytes by allocating function.
m_snap() {
	echo 0 >$T/tracing_on
	for _c in "$T"/per_cpu/cpu*/stats; do
		_o=$(awk '$1 == "overrun:" { print $2 }' "$_c")
		[ "${_o:-0}" = 0 ] || { echo "trace buffer overrun ($_c: $_o)" >&2; return 1; }
	done
	_cache=$(awk -v ps="$PS" '$1 == "s2_range" { print $15 * $6 * ps }' /proc/slabinfo)
	awk -v syms="$S2_TMP/syms" -v cache="${_cache:-0}" '
	BEGIN { while ((getline s < syms) > 0) M[s] = 1 }
	function fn(x) { sub(/\+0x.*/, "", x); return x }
	function field(k,    i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
	function cpu(    i) { for (i = 1; i <= NF; i++) if ($i ~ /^\[[0-9]+\]$/) return $i; return "?" }
	# The pending allocation of a CPU is decided once its stack (if any) has been seen.
	function settle(c) {
		if (!(c in P)) return
		if (A[c]) { L[K[c]] = BY[c]; W[K[c]] = WH[c] }
		delete P[c]
	}
	/^ => / {
		if ((cur in P) && !A[cur]) {
			f = fn($2)
			if (f in M) A[cur] = 1
			else if (f == "debugfs_file_get") { A[cur] = 1; WH[cur] = f }
		}
		next
	}
	/: <stack trace>/ { cur = cpu(); next }
	/: (kmalloc|kmem_cache_alloc|percpu_alloc_percpu): / {
		c = cpu(); settle(c); cur = ""
		cs = fn(field("call_site"))
		k = ($0 ~ /percpu_alloc/ ? "p" : "s") field("ptr")
		if ((cs in M) && $0 ~ /kmem_cache_alloc:/) { O[k] = 1; next }	# the node cache
		P[c] = 1; K[c] = k; BY[c] = field("bytes_alloc") + 0; WH[c] = cs; A[c] = (cs in M)
		next
	}
	/: (kfree|kmem_cache_free|percpu_free_percpu): / {
		c = cpu(); settle(c); cur = ""
		k = ($0 ~ /percpu_free/ ? "p" : "s") field("ptr")
		delete L[k]; delete W[k]; delete O[k]
		next
	}
	END {
		for (c in P) settle(c)
		for (k in L) { b += L[k]; n++; part[W[k]] += L[k]; cnt[W[k]]++ }
		for (k in O) own++
		parts = ""
		for (w in part) parts = parts (parts == "" ? "" : ",") w ":" cnt[w] "x" part[w]
		printf "%d %d %d %d %d %s\n", b + cache, b, n, cache, own + 0, (parts == "" ? "-" : parts)
	}' $T/trace
	echo 1 >$T/tracing_on
}

# m_state NAME: a snapshot into the variables NAME_b (bytes), NAME_o (object bytes), NAME_c
# (node cache pages), NAME_p (parts), NAME_h (bytes_held).
m_state() {
	_s=$(m_snap) || b_fail "snapshot-$1"
	# shellcheck disable=SC2086 # the fields
	set -- "$1" $_s
	eval "${1}_b=$2 ${1}_o=$3 ${1}_n=$4 ${1}_c=$5 ${1}_own=$6 ${1}_p='$7' ${1}_h=$(stats_v bytes_held)"
}

m_state idle
# shellcheck disable=SC2154 # set by m_state
b_out value "fig=P3.idle bytes=$idle_b obj_bytes=$idle_o objs=$idle_n cache_bytes=$idle_c" \
	"coresize=$coresize bytes_held=$idle_h parts=$idle_p"

vmm_start R "ram:$G_RAM:16M" "vfio:$G_IVS:$S2_IVSHMEM:2" || b_fail vmm-start "$(cat "$S2_TMP/vmm.R/err")"
vm=$R_VMS
npages=$((256 * 1024 * 1024 / PS))
half=$((npages / 2))
b_touch R 1 all >/dev/null || b_fail touch
wait_vm "$vm" || b_fail vm-dir
t_eq full-state "$(sum "$vm" "$VFIO_COL") $(st "$vm" ranges) $(sum "$vm" state)" "$npages 1 exact"
sleep 0.5
m_state full
# shellcheck disable=SC2154
b_out value "fig=P3.full bytes=$((full_b - idle_b)) pages=$npages ranges=1" \
	"bytes_held=$((full_h - idle_h)) parts=objects:$((full_o - idle_o))B:$((full_n - idle_n))_objects,node_cache_pages:$((full_c - idle_c))B:${full_own}_nodes;$full_p"

{ b_fresh R 1 && b_touch R 1 "0-$((npages - 1))/2" >/dev/null; } || b_fail touch-half
t_eq half-state "$(sum "$vm" "$VFIO_COL") $(st "$vm" ranges) $(sum "$vm" state)" "$half $half exact"
sleep 0.5
m_state half
# shellcheck disable=SC2154
b_out value "fig=P3.half bytes=$((half_b - idle_b)) ranges=$half" \
	"per_range=$(awk -v a="$full_b" -v b="$half_b" -v n="$half" 'BEGIN { printf "%.1f", (b - a) / (n - 1) }')" \
	"held_per_range=$(awk -v a="$full_h" -v b="$half_h" -v n="$half" 'BEGIN { printf "%.1f", (b - a) / (n - 1) }')" \
	"parts=objects:$((half_o - idle_o))B,node_cache_pages:$((half_c - idle_c))B:${half_own}_nodes"

t_run vmm-stop vmm_stop R
t_run vm-gone wait_gone "$vm"
t_run idle-again wait_idle
sleep 1
m_state after
# shellcheck disable=SC2154
b_out value "fig=P3.after bytes=$((after_b - idle_b)) bytes_held=$((after_h - idle_h)) parts=$after_p"
echo 0 >$T/tracing_on
for e in $ALLOC_EV; do echo '!stacktrace' >"$T/events/$e/trigger" 2>/dev/null; done
for e in $ALLOC_EV $FREE_EV; do echo 0 >"$T/events/$e/enable"; done
t_ok p3
t_run unload mod_unload
echo >$T/trace
echo 1408 >$T/buffer_size_kb
echo 1 >$T/tracing_on
