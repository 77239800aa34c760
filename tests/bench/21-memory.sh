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
# Range nodes come from kmalloc (64-byte objects, the kernel's shared slabs), so they count
# at their size like every other object.  Where kmalloc would round a node up (6.1 arm64)
# the module keeps a cache of its own; there its nodes count at their object size too,
# not by the cache's slab pages: P3 is measured on 6.12 (make bench's default line).
#   P3.idle   module loaded, no VM (its module image, coresize, is reported beside)
#   P3.vm     one VM known to the module, nothing of its BAR mapped yet: what any VM costs
#             (its object, its debugfs directory and files), above idle
#   P3.full   the whole 256 MiB ivshmem BAR of that VM mapped (65 536 pages, one range),
#             above P3.vm: what tracking the BAR costs                (target <= 1 KiB)
#   P3.half   every other page mapped (32 768 ranges): bytes per extra range
#   P3.after  the VM gone: what is left above idle
# Each state is checked (pages, ranges, exact) and read once before it is measured (a read
# settles pending maps).  bytes_held, the module's own formula, is reported next to each.
# shellcheck source-path=SCRIPTDIR source=benchlib.sh
. "${0%/*}/benchlib.sh"

T=/sys/kernel/tracing
b_meta
t_run devices bind_vfio "$S2_IVSHMEM" || exit 1
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

# m_snap: "BYTES OBJS PARTS": what the module holds now (tracing is paused while the trace is
# read).  PARTS: live bytes by allocating function, as FUNCTION:COUNTxBYTES.
m_snap() {
	echo 0 >$T/tracing_on
	for _c in "$T"/per_cpu/cpu*/stats; do
		_o=$(awk '$1 == "overrun:" { print $2 }' "$_c")
		[ "${_o:-0}" = 0 ] || { echo "trace buffer overrun ($_c: $_o)" >&2; return 1; }
	done
	awk -v syms="$S2_TMP/syms" '
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
		P[c] = 1; K[c] = k; BY[c] = field("bytes_alloc") + 0; WH[c] = cs; A[c] = (cs in M)
		next
	}
	/: (kfree|kmem_cache_free|percpu_free_percpu): / {
		c = cpu(); settle(c); cur = ""
		k = ($0 ~ /percpu_free/ ? "p" : "s") field("ptr")
		delete L[k]; delete W[k]
		next
	}
	END {
		for (c in P) settle(c)
		for (k in L) { b += L[k]; n++; part[W[k]] += L[k]; cnt[W[k]]++ }
		parts = ""
		for (w in part) parts = parts (parts == "" ? "" : ",") w ":" cnt[w] "x" part[w]
		printf "%d %d %s\n", b, n, (parts == "" ? "-" : parts)
	}' $T/trace
	echo 1 >$T/tracing_on
}

# m_state NAME: a snapshot into the variables NAME_b (bytes), NAME_n (objects), NAME_p
# (parts), NAME_h (bytes_held).
m_state() {
	_s=$(m_snap) || b_fail "snapshot-$1"
	# shellcheck disable=SC2086 # the fields
	set -- "$1" $_s
	eval "${1}_b=$2 ${1}_n=$3 ${1}_p='$4' ${1}_h=$(stats_v bytes_held)"
}

# m_delta FROM TO: the parts TO holds beyond FROM, as FUNCTION:+COUNTx+BYTES ("-": none).
m_delta() {
	echo "$1 $2" | awk '{
		n = split($1, a, ","); for (i = 1; i <= n; i++) if (split(a[i], f, /[:x]/) == 3) { C[f[1]] -= f[2]; B[f[1]] -= f[3] }
		n = split($2, a, ","); for (i = 1; i <= n; i++) if (split(a[i], f, /[:x]/) == 3) { C[f[1]] += f[2]; B[f[1]] += f[3] }
		for (w in B) if (B[w] || C[w]) o = o (o == "" ? "" : ",") sprintf("%s:%+dx%+d", w, C[w], B[w])
		print (o == "" ? "-" : o) }'
}

m_state idle
# shellcheck disable=SC2154 # set by m_state
b_out value "fig=P3.idle bytes=$idle_b objs=$idle_n" \
	"coresize=$coresize bytes_held=$idle_h parts=$idle_p"

vmm_start R "ram:$G_RAM:16M" "vfio:$G_IVS:$S2_IVSHMEM:2" || b_fail vmm-start "$(cat "$S2_TMP/vmm.R/err")"
vm=$R_VMS
npages=$((256 * 1024 * 1024 / PS))
half=$((npages / 2))
# The VM is known from its vCPU; one RAM page (slot 0 holds the guest program) is mapped too.
b_touch R 0 0 >/dev/null || b_fail touch-ram
wait_vm "$vm" || b_fail vm-dir
t_eq vm-state "$(sum "$vm" "$VFIO_COL") $(st "$vm" ranges)" "0 0"
sleep 0.5
m_state vm
# shellcheck disable=SC2154
b_out value "fig=P3.vm bytes=$((vm_b - idle_b)) objs=$((vm_n - idle_n))" \
	"bytes_held=$((vm_h - idle_h)) parts=$(m_delta "$idle_p" "$vm_p")"

b_touch R 1 all >/dev/null || b_fail touch
t_eq full-state "$(sum "$vm" "$VFIO_COL") $(st "$vm" ranges) $(sum "$vm" state)" "$npages 1 exact"
sleep 0.5
m_state full
# shellcheck disable=SC2154
b_out value "fig=P3.full bytes=$((full_b - vm_b)) objs=$((full_n - vm_n)) pages=$npages ranges=1" \
	"with_vm=$((full_b - idle_b)) bytes_held=$((full_h - vm_h)) parts=$(m_delta "$vm_p" "$full_p")"

{ b_fresh R 1 && b_touch R 1 "0-$((npages - 1))/2" >/dev/null; } || b_fail touch-half
t_eq half-state "$(sum "$vm" "$VFIO_COL") $(st "$vm" ranges) $(sum "$vm" state)" "$half $half exact"
sleep 0.5
m_state half
# shellcheck disable=SC2154
b_out value "fig=P3.half bytes=$((half_b - idle_b)) ranges=$half" \
	"per_range=$(awk -v a="$full_b" -v b="$half_b" -v n="$half" 'BEGIN { printf "%.1f", (b - a) / (n - 1) }')" \
	"held_per_range=$(awk -v a="$full_h" -v b="$half_h" -v n="$half" 'BEGIN { printf "%.1f", (b - a) / (n - 1) }')" \
	"parts=$(m_delta "$full_p" "$half_p")"

t_run vmm-stop vmm_stop R
t_run vm-gone wait_gone "$vm"
t_run idle-again wait_idle
sleep 1
m_state after
# shellcheck disable=SC2154
b_out value "fig=P3.after bytes=$((after_b - idle_b)) bytes_held=$((after_h - idle_h))" \
	"parts=$(m_delta "$idle_p" "$after_p")"
echo 0 >$T/tracing_on
for e in $ALLOC_EV; do echo '!stacktrace' >"$T/events/$e/trigger" 2>/dev/null; done
for e in $ALLOC_EV $FREE_EV; do echo 0 >"$T/events/$e/enable"; done
t_ok p3
t_run unload mod_unload
echo >$T/trace
echo 1408 >$T/buffer_size_kb
echo 1 >$T/tracing_on
