# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# tests/bench/benchlib.sh: helpers of the in-guest benchmarks (busybox sh), sourced by every
# tests/bench/NN-name.sh after the test library:   . "${0%/*}/benchlib.sh"
#
# The benchmarks run in the testbed like the tests (tests/guest/init with s2.suite=bench; see
# scripts/bench.sh and docs/performance.md) but assert no timing: they print measurements
#   # s2bench meta KEY=VALUE...           the run's kernel, mode, CPUs, page size, clock
#   # s2bench pair fig=F i=N a=NS b=NS ...   pair N of figure F: baseline a, measured b
#   # s2bench value fig=F KEY=VALUE...     a single figure (bytes, counts)
# and scripts/bench.sh turns them into medians of b/a, a table and $B/bench/results.*.
# KTAP results (t_ok/t_fail) only say whether each measurement could be taken.
#
# Kernel command line (set by scripts/bench.sh):
#   s2bench.pairs=N     A/B pairs per figure (default 7)
#   s2bench.clock=C     icount (QEMU -icount: 1 ns of guest time = 1 instruction) or wall
#
# Timing: s2vmm's own `touch ... ns=` figure for faults, and s2bench (tests/bench/s2bench.c,
# CLOCK_MONOTONIC) for file reads and command runs.  Both read the guest's clock, which is
# QEMU's virtual clock: host wall time under plain TCG, retired instructions under -icount.

. /s2/tests/lib.sh
. /s2/tests/modlib.sh

BENCH_PAIRS=7 BENCH_CLOCK=wall
# shellcheck disable=SC2013 # words, not lines
for _w in $(cat /proc/cmdline); do
	case $_w in
	s2bench.pairs=*) BENCH_PAIRS=${_w#*=} ;;
	s2bench.clock=*) BENCH_CLOCK=${_w#*=} ;;
	esac
done

b_out() { echo "# s2bench $*"; }

# b_meta: what this run measures on (every script prints it; scripts/bench.sh keeps one).
b_meta() {
	_midr=$(cat /sys/devices/system/cpu/cpu0/regs/identification/midr_el1 2>/dev/null)
	b_out meta "kernel=$S2_KREL line=$S2_LINE mode=$S2_MODE kvm_mode=$S2_KVM_MODE" \
		"qemu_cpu=$S2_CPU midr=${_midr:-?} cpus=$(grep -c ^processor /proc/cpuinfo)" \
		"page_size=$S2_PAGE_SIZE fwb=$S2_FWB clock=$BENCH_CLOCK pairs=$BENCH_PAIRS"
}

# b_fail NAME REASON...: a measurement could not be taken; the script stops.
b_fail() { t_fail "$@"; exit 1; }

# b_ns ANSWER: the ns= value of an s2vmm answer.
b_ns() { echo "$1" | sed -n 's/.* ns=\([0-9]*\).*/\1/p'; }

# b_touch VMM SLOT PAGES: touch, print the ns figure (fails unless the answer is ok).
b_touch() {
	_a=$(vmm_cmd "$1" "touch $2 $3") || { echo "touch $2 $3: $_a" >&2; return 1; }
	b_ns "$_a"
}

# b_fresh VMM SLOT: delete and re-add a memslot: its stage-2 mappings are gone, so the next
# touch faults every page again (the host side stays populated).
b_fresh() {
	vmm_cmd "$1" "delete $2" >/dev/null && vmm_cmd "$1" "readd $2" >/dev/null
}

# b_read N FILE / b_exec N CMD...: the median ns of N reads of FILE / N runs of CMD.
b_field() { echo "$1" | sed -n "s/.* $2=\\([0-9]*\\).*/\\1/p"; }
b_read() {
	_r=$(s2bench read "$1" "$2") || { echo "s2bench read $2 failed" >&2; return 1; }
	b_field "$_r" med_ns
}
b_exec() {
	_n=$1; shift
	_r=$(s2bench exec "$_n" "$@") || { echo "s2bench exec $*: $_r" >&2; return 1; }
	b_field "$_r" med_ns
}

# b_order I: the order of pair I's two runs, alternating (ab, ba, ab, ...) so that a drift
# in time favours neither side.
b_order() { if [ $(($1 % 2)) = 1 ]; then echo ab; else echo ba; fi; }

# b_pair I A B: run the commands A and B (strings, evaluated) in the order of pair I
# (b_order); their outputs in b_a and b_b.  Returns 1 when one fails, b_side naming it.
# shellcheck disable=SC2034 # b_a, b_b: for the caller
b_pair() {
	for b_side in $(b_order "$1" | sed 's/./& /g'); do
		if [ "$b_side" = a ]; then b_a=$(eval "$2") || return 1
		else b_b=$(eval "$3") || return 1; fi
	done
}

# b_max / b_median: of the numbers on stdin, one a line.
b_max() { sort -n | tail -n1; }
b_median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# b_wait_status VM KEY MIN: wait until the VM's status KEY is at least MIN (10 s).
b_wait_status() {
	_i=0
	while :; do
		_v=$(st "$1" "$2" 2>/dev/null)
		case $_v in '' | *[!0-9]*) ;; *) [ "$_v" -lt "$3" ] || return 0 ;; esac
		[ $_i -lt 100 ] || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}

# b_verify_key VM KEY: a key of one verify read (the walk runs at open).
b_verify_key() { awk -v k="$2" '$1 == k { print $2 }' "$S2_DFS/$1/verify"; }

# b_p4_vm: the P4 VM (30-verify, 31-stall): ivshmem BAR2 on vfio-pci as slot 1 (256 MiB),
# 16 MiB of RAM without THP as slot 2, both touched whole (the VM's name: $V_VMS).
b_p4_vm() {
	t_run devices bind_vfio "$S2_IVSHMEM" || exit 1
	t_run load mod_load || exit 1
	vmm_start V --ram-nothp "ram:$G_RAM:16M" "vfio:$G_IVS:$S2_IVSHMEM:2" "ram:0x80000000:16M" ||
		b_fail vmm-start "$(cat "$S2_TMP/vmm.V/err")"
	b_touch V 1 all >/dev/null || b_fail touch-bar
	b_touch V 2 all >/dev/null || b_fail touch-ram		# populates the host side once
}

# --- peers and the floor (10-fault) ------------------------------------------------------
# b_dev_mask: the kvm_pgtable_prot bits of device memory on this kernel (DEVICE, NORMAL_NC):
# bits 3 (-6.8), 3|4 (6.9-6.18), 4|5 (6.19+, PX/UX split X).
b_dev_mask() {
	if kver_ge 6.19; then echo 0x30; elif kver_ge 6.9; then echo 0x18; else echo 0x8; fi
}

# b_ram_bounds: "START END" (hex, END exclusive) of the host's System RAM (/proc/iomem):
# what is outside is device memory to the kretfunc peer.
b_ram_bounds() {
	_lo='' _hi=''
	# shellcheck disable=SC2013 # one range a line, no spaces
	for _r in $(awk -F' : ' '$2 == "System RAM" { sub(/^ +/, "", $1); print $1 }' /proc/iomem); do
		_s=$((0x${_r%-*})) _e=$((0x${_r#*-} + 1))
		{ [ -n "$_lo" ] && [ "$_s" -ge "$_lo" ]; } || _lo=$_s
		{ [ -n "$_hi" ] && [ "$_e" -le "$_hi" ]; } || _hi=$_e
	done
	printf '0x%x 0x%x\n' "$_lo" "$_hi"
}

# The peers: what a user would run instead of the module to count device maps per VM.
# kprobe+kretprobe: the prot argument (a register) decides; the return value says whether
# the map happened.  kretfunc (fexit, a BPF trampoline): bpftrace 0.23 cannot read `prot`
# there (a 64-bit enum in BTF: "prot has unsupported type"), so it tests the physical
# address against System RAM instead: one argument compare either way.
b_bt_prog() {
	case $1 in
	kprobe) echo "kprobe:kvm_pgtable_stage2_map /arg4 & $(b_dev_mask)/ { @pgt[tid] = arg0; }" \
		"kretprobe:kvm_pgtable_stage2_map /@pgt[tid]/ { if (retval == 0) { @maps[@pgt[tid]] = count(); }" \
		"delete(@pgt[tid]); }" ;;
	kretfunc)
		# shellcheck disable=SC2046 # START END
		set -- $(b_ram_bounds)
		echo "fexit:kvm_pgtable_stage2_map /args.phys < $1 || args.phys >= $2/" \
		"{ if (retval == 0) { @maps[args.pgt] = count(); } }" ;;
	esac
}

# b_bt_start NAME: start the peer NAME (kprobe|kretfunc) in the background and wait until
# its probes are attached (its BEGIN runs after that); 1 if it did not come up.
b_bt_start() {
	_bo=$S2_TMP/bt.$1.out
	: >"$_bo"
	bpftrace -e "$(b_bt_prog "$1") BEGIN { printf(\"s2ready\\n\"); }" >"$_bo" 2>&1 &
	BT_PID=$!
	_i=0
	while ! grep -q '^s2ready' "$_bo"; do
		if ! kill -0 "$BT_PID" 2>/dev/null || [ $_i -ge 3000 ]; then
			kill -9 "$BT_PID" 2>/dev/null
			sed 's/^/  bpftrace: /' "$_bo" | head -n 8 >&2
			return 1
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
}

# b_bt_stop NAME: stop the running peer (SIGINT: it prints its maps and exits) and set
# BT_COUNT to the device maps it counted (sum over VMs).  Not in $(...): it waits for its job.
b_bt_stop() {
	kill -INT "$BT_PID" || return 1
	wait "$BT_PID" || { echo "bpftrace $1 exited badly" >&2; return 1; }
	# shellcheck disable=SC2034 # for the caller
	BT_COUNT=$(awk -F': ' '/^@maps\[/ { n += $2 } END { print n + 0 }' "$S2_TMP/bt.$1.out")
}

# b_hooked: how many ftrace callers kvm_pgtable_stage2_map has now (tracefs enabled_functions,
# the kernel's own record; 0 when it is not hooked): evidence that a variant's hook was in
# place for the faults it timed.
b_hooked() {
	awk '$1 == "kvm_pgtable_stage2_map" { gsub(/[()]/, "", $2); n = $2 } END { print n + 0 }' \
		/sys/kernel/tracing/enabled_functions
}

# b_floor_start / b_floor_stop: the bare ftrace floor, an empty ftrace_ops callback on
# kvm_pgtable_stage2_map registered as the module registers its hooks (probecost mode 4).
b_floor_start() { insmod /s2/probecost.ko mode=4; }
b_floor_stop() { rmmod probecost; }

# b_kf_works: a BPF trampoline can attach to kvm_pgtable_stage2_map (fexit needs
# DYNAMIC_FTRACE_WITH_DIRECT_CALLS on arm64: not on 6.1); else prints why not.
b_kf_works() {
	bpftrace -e 'fexit:kvm_pgtable_stage2_map { @n = count(); } BEGIN { exit(); }' \
		>"$S2_TMP/kf.probe" 2>&1 && return 0
	grep -m1 -i 'error' "$S2_TMP/kf.probe" || tail -n1 "$S2_TMP/kf.probe"
	return 1
}

# b_mod_work_ns: with workqueue_execute_start/end traced (b_wq_trace_on), the time the
# module's work items ran (sum of their durations, in ns of the trace clock).
b_wq_trace_on() {
	_T=/sys/kernel/tracing
	echo 0 >$_T/tracing_on
	echo >$_T/trace
	echo 1 >$_T/events/workqueue/workqueue_execute_start/enable
	echo 1 >$_T/events/workqueue/workqueue_execute_end/enable
	echo 1 >$_T/tracing_on
}
b_mod_work_ns() {
	_T=/sys/kernel/tracing
	echo 0 >$_T/events/workqueue/workqueue_execute_start/enable
	echo 0 >$_T/events/workqueue/workqueue_execute_end/enable
	awk '/workqueue_execute_(start|end):.*\[kvm_s2stat\]/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) t = substr($i, 1, length($i) - 1)
		w = $0; sub(/.*work struct /, "", w); sub(/:.*/, "", w)
		if ($0 ~ /execute_start/) s[w] = t
		else if (w in s) { n += (t - s[w]) * 1e9; delete s[w] } }
		END { printf "%.0f\n", n }' $_T/trace
	echo >$_T/trace
}
