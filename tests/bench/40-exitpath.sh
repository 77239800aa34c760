#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 3600
# 40-exitpath.sh: P5, what kvm_s2stat adds to a vCPU's exit path (docs/effective.md: the
# capture hooks on handle_exit() and kvm_arch_vcpu_put() are attached only while someone
# reads <vm>/effective; target: not measurable when nobody does).
#
# One VM with 16 MiB of RAM, touched once so that no stage-2 fault happens afterwards.  A run
# is 64 `touch 0 0` commands: each is one KVM_RUN whose guest makes one access and exits to
# the VMM (handle_exit() and kvm_arch_vcpu_put() run on the way); the figure is the sum of
# s2vmm's ns (first KVM_RUN to the guest's last access, per command).
# P5.idle      module loaded, nobody reading ÷ no module
# P5.reading   module loaded, a reader reading the VM's effective file in a loop (the capture
#              hooks attached most of the time; this VM's guest runs with its MMU off, so
#              each capture is refused after reading the registers) ÷ no module
# shellcheck source-path=SCRIPTDIR source=benchlib.sh disable=SC2154 # b_a, b_b, b_side: b_pair
. "${0%/*}/benchlib.sh"

RUNS=64

b_meta
vmm_start X "ram:$G_RAM:16M" || b_fail vmm-start "$(cat "$S2_TMP/vmm.X/err")"
vm=$X_VMS
b_touch X 0 0-15 >/dev/null || b_fail warm-up
t_ok warm-up

# p5_runs: RUNS commands, the sum of their ns.
p5_runs() {
	_i=0 _t=0
	while [ $_i -lt $RUNS ]; do
		_ns=$(b_touch X 0 0) || return 1
		_t=$((_t + _ns))
		_i=$((_i + 1))
	done
	echo "$_t"
}

# p5_run off|idle|reading: one run.
p5_run() {
	[ "$1" = off ] && { p5_runs; return; }
	mod_load || return 1
	wait_vm "$vm" || { echo "module did not publish $vm" >&2; return 1; }
	_rp=
	if [ "$1" = reading ]; then
		rm -f "$S2_TMP/p5.stop"
		(while [ ! -e "$S2_TMP/p5.stop" ]; do cat "$S2_DFS/$vm/effective"; done) \
			>/dev/null 2>&1 &
		_rp=$!
		sleep 0.2
	fi
	_r=$(p5_runs) || _r=
	if [ -n "$_rp" ]; then
		# Not kill: a cat in the middle of a read would keep the module busy.
		: >"$S2_TMP/p5.stop"
		wait "$_rp" 2>/dev/null
	fi
	mod_unload || return 1
	[ -n "$_r" ] && echo "$_r"
}

for kind in idle reading; do
	i=1
	while [ $i -le "$BENCH_PAIRS" ]; do
		b_pair $i "p5_run off" "p5_run $kind" ||
			b_fail "p5-$kind-pair-$i" "$b_side run failed (a: no module, b: $kind)"
		b_out pair "fig=P5.$kind i=$i order=$(b_order $i) a=$b_a b=$b_b runs=$RUNS"
		i=$((i + 1))
	done
	t_ok "p5-$kind"
done
t_run vmm-stop vmm_stop X
