# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# tests/guest/lib.sh: the API of in-guest test scripts (busybox sh), sourced by every
# tests/guest/NN-name.sh:   . "${0%/*}/lib.sh"
#
# /init runs the scripts in order, one process each, with a timeout (default 120 s; a line
# `# s2-timeout: SECS` in a script's first 10 lines changes it), kills whatever a script
# left running, unloads kvm_s2stat, clears kprobe events and leaves all four devices
# driverless before the next one.  A script fails if it exits non-zero, times out, reports
# nothing, or the kernel logged WARNING/BUG/Oops/... while it ran (`<script>/dmesg-clean`).
#
# Environment (exported by /init; also in /run/s2/env for an interactive shell):
#   S2_LINE        kernel line (6.1, 6.12, 6.12-16k, trixie-backports, -16k)    S2_MODE  vhe|nvhe|nvhe-max|protected
#   S2_KVM_MODE    the KVM mode S2_MODE must give: vhe|nvhe|protected
#   S2_CPU         QEMU -cpu of the mode           S2_FWB / S2_CPU_PA: the CPU has FEAT_S2FWB (0/1)
#                  / its physical address bits (44 cortex-a57, 52 max)
#   S2_KREL        uname -r                        S2_KVER  kernel version, e.g. 6.12.117
#   S2_PAGE_SIZE   host page size in bytes
#   S2_IVSHMEM     0000:00:02.0  ivshmem-plain, BAR2 = 256 MiB RAM-backed (prefetchable)
#   S2_EDU         0000:00:03.0  edu, BAR0 = 1 MiB MMIO
#   S2_E1000E      0000:00:04.0  e1000e, no driver (BAR0 via sysfs resource0)
#   S2_IVSHMEM2    0000:00:05.0  ivshmem-plain, BAR2 = 1 MiB
#   S2_MOD         /s2/kvm_s2stat.ko (absent if not built)   S2_DFS  /sys/kernel/debug/kvm_s2stat
#   S2_VMM         /s2/bin/s2vmm                   S2_CLI   /s2/bin/kvm-s2stat (absent if not built)
#   S2_SCRIPT      name of the running script (e.g. 00-testbed)   S2_TMP  its scratch directory
#
# Results (KTAP lines on the console; names are prefixed "<script>/", spaces become '-'):
#   t_ok NAME                  pass
#   t_fail NAME REASON...      fail, REASON as a "# " diagnostic
#   t_skip NAME REASON...      "ok N name # SKIP reason": never counted as a pass
#   t_eq NAME ACTUAL EXPECTED  pass iff the two strings are equal
#   t_run NAME CMD [ARGS...]   pass iff CMD exits 0; else CMD's output as diagnostics
#   t_diag TEXT...             a "# " diagnostic line
#   All return 0 on pass/skip and 1 on failure, so `t_eq ... || return` works.
# Devices:
#   bind_vfio BDF              bind to vfio-pci (idempotent); /dev/vfio/<group> then exists
#   unbind BDF                 leave the device with no driver (and no driver_override)
#   iommu_group BDF            print the device's IOMMU group number (fails if none)
#   drv BDF                    print the bound driver's name (empty if none)
# Test VMM (s2vmm, docs/vmm.md), NAME a shell identifier:
#   vmm_start NAME ARGS...     start `s2vmm ARGS` in the background, wait for its `ready`
#                              line; sets NAME_PID and NAME_VMS ("<pid>-<fd> ..." = the VMs'
#                              KVM debugfs names).  Call it directly, not in $(...).
#   vmm_cmd NAME "COMMAND"     send one command, print the answer line, 0 iff it starts
#                              with "ok" (timeout $VMM_TIMEOUT s, default 120)
#   vmm_stop NAME              `quit`, wait (kill after 10 s); 0 iff it exited 0
#   $S2_TMP/vmm.NAME/{out,err} the VMM's transcript and stderr
# Module:
#   mod_load [PARAMS...]       insmod $S2_MOD (fails if absent or insmod fails)
#   mod_unload                 rmmod kvm_s2stat
# Stage-2 map tracing without our module (tracefs kprobe events):
#   s2trace_start              record kvm_pgtable_stage2_map (and pkvm_pgtable_stage2_map
#                              where it exists) calls and returns, and stage2_unmap calls
#   s2trace_stop               stop and print one line per event:
#                                map <fn> ipa=0x.. size=0x.. phys=0x.. prot=0x.. ret=N
#                                unmap ipa=0x.. size=0x..
# Helpers:
#   kver_ge MAJOR.MINOR        true iff the running kernel is at least that version
#   pkvm_refuses_devices       true in protected mode on 6.14+: guest faults on device memory
#                              go to pkvm_pgtable_stage2_map, which returns -EINVAL, and
#                              KVM_RUN fails ("err touch: KVM_RUN: Invalid argument"); RAM works
#   dmesg_since                the kernel log since this script started

[ -n "${S2_LINE:-}" ] || . /run/s2/env
PATH=/s2/bin:/bin:/sbin:/usr/bin:/usr/sbin
S2_SCRIPT=${S2_SCRIPT:-$(basename "$0" .sh)}
S2_TMP=${S2_TMP:-/tmp/$S2_SCRIPT}
mkdir -p "$S2_TMP"

# --- results --------------------------------------------------------------------------
# shellcheck disable=SC3060 # busybox ash has ${var//pattern/string}
_t_name() { _tn="$S2_SCRIPT/$*"; _tn=${_tn// /-}; printf '%s' "$_tn"; }
_t_count() { # _t_count pass|fail|skip: next test number, and tally it
	read -r _n </run/s2/n 2>/dev/null || _n=0
	_n=$((_n + 1))
	echo "$_n" >/run/s2/n
	echo "$1" >>/run/s2/results
}
t_diag() { printf '# %s\n' "$*"; }
_up() { cut -d' ' -f1 /proc/uptime; }
t_ok() { _t_count pass; printf 'ok %d %s\n' "$_n" "$(_t_name "$1")"; [ -z "${S2_TIMING:-}" ] || t_diag "t=$(_up)"; }
t_fail() {
	_tn=$(_t_name "$1"); shift
	[ $# -eq 0 ] || printf '# %s: %s\n' "$_tn" "$*"
	_t_count fail
	printf 'not ok %d %s\n' "$_n" "$_tn"
	return 1
}
t_skip() {
	_tn=$(_t_name "$1"); shift
	_t_count skip
	printf 'ok %d %s # SKIP %s\n' "$_n" "$_tn" "${*:-skipped}"
}
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1" "got '$2', expected '$3'"; fi
}
t_run() {
	_tr=$1; shift
	if "$@" >"$S2_TMP/t_run.out" 2>&1; then
		t_ok "$_tr"
	else
		_rc=$?
		sed -n '1,40s/^/# /p' "$S2_TMP/t_run.out"
		t_fail "$_tr" "'$*' exited $_rc"
	fi
}

# --- devices --------------------------------------------------------------------------
drv() { [ ! -e "/sys/bus/pci/devices/$1/driver" ] || basename "$(readlink "/sys/bus/pci/devices/$1/driver")"; }
iommu_group() {
	_g=$(readlink "/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null) || return 1
	basename "$_g"
}
unbind() {
	_d=/sys/bus/pci/devices/$1
	[ -d "$_d" ] || { echo "unbind: no device $1" >&2; return 1; }
	[ ! -e "$_d/driver" ] || echo "$1" >"$_d/driver/unbind" || return 1
	echo >"$_d/driver_override"
}
bind_vfio() {
	_d=/sys/bus/pci/devices/$1
	[ -d "$_d" ] || { echo "bind_vfio: no device $1" >&2; return 1; }
	[ "$(drv "$1")" != vfio-pci ] || return 0
	unbind "$1" || return 1
	echo vfio-pci >"$_d/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null || true
	[ "$(drv "$1")" = vfio-pci ] || { echo "bind_vfio: $1 did not bind to vfio-pci" >&2; return 1; }
	_g=$(iommu_group "$1") || { echo "bind_vfio: $1 has no IOMMU group" >&2; return 1; }
	_i=0
	while [ ! -c "/dev/vfio/$_g" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -c "/dev/vfio/$_g" ] || { echo "bind_vfio: /dev/vfio/$_g missing" >&2; return 1; }
}

# --- test VMM -------------------------------------------------------------------------
_alive() { [ -r "/proc/$1/status" ] && ! grep -q "^State:[[:space:]]*[ZX]" "/proc/$1/status" 2>/dev/null; }
_lines() { wc -l <"$1" | tr -d ' '; }
# _wait_lines FILE N PID SECS: wait until FILE has more than N lines (0), PID died (1) or timeout (2)
_wait_lines() {
	_end=$(($(date +%s) + $4))
	while [ "$(_lines "$1")" -le "$2" ]; do
		_alive "$3" || { [ "$(_lines "$1")" -gt "$2" ] && return 0; return 1; }
		[ "$(date +%s)" -lt "$_end" ] || return 2
		sleep 0.02
	done
}
# _vmm_holder_stop DIR: end the FIFO holder and reap it here.  Left to die unwaited, its
# SIGCHLD reached the shell later, in the middle of a KTAP line's write to the console
# (busybox sh's handlers do not restart it), and the line was lost (6.12/vhe, 2026-12-04:
# "plan 1..603 but 602 results", 44-devices/stop-e missing).
_vmm_holder_stop() {
	_vh=$(cat "$1/holder" 2>/dev/null) || return 0
	kill -9 "$_vh" 2>/dev/null
	wait "$_vh" 2>/dev/null
	rm -f "$1/holder"
	return 0
}
vmm_start() {
	_vn=$1; shift
	[ -x "$S2_VMM" ] || { echo "vmm_start: $S2_VMM not built" >&2; return 1; }
	_vd=$S2_TMP/vmm.$_vn
	rm -rf "$_vd"; mkdir -p "$_vd"
	mkfifo "$_vd/in"; : >"$_vd/out"
	# Hold the command FIFO open so that s2vmm never reads end-of-file between commands.
	sleep 2147483647 1<>"$_vd/in" &
	echo $! >"$_vd/holder"
	"$S2_VMM" "$@" <"$_vd/in" >"$_vd/out" 2>"$_vd/err" &
	_vp=$!
	echo "$_vp" >"$_vd/pid"
	echo "$*" >"$_vd/args"
	if ! _wait_lines "$_vd/out" 0 "$_vp" "${VMM_TIMEOUT:-120}"; then
		echo "vmm_start: s2vmm $* did not get ready:" >&2
		sed 's/^/  /' "$_vd/err" >&2
		kill -9 "$_vp" 2>/dev/null; wait "$_vp" 2>/dev/null
		_vmm_holder_stop "$_vd"
		return 1
	fi
	_r=$(head -n1 "$_vd/out")
	case $_r in ready\ *) ;; *) echo "vmm_start: unexpected first line '$_r'" >&2; return 1 ;; esac
	_fds=$(echo "$_r" | sed -n 's/.* vmfds=\([0-9,]*\).*/\1/p')
	_pid=$(echo "$_r" | sed -n 's/.* pid=\([0-9]*\).*/\1/p')
	_vms=
	for _f in $(echo "$_fds" | tr , ' '); do _vms="$_vms $_pid-$_f"; done
	eval "${_vn}_PID=$_vp; ${_vn}_VMS='${_vms# }'; export ${_vn}_PID ${_vn}_VMS"
}
vmm_cmd() {
	_vd=$S2_TMP/vmm.$1
	[ -f "$_vd/pid" ] || { echo "vmm_cmd: no VMM '$1'"; return 1; }
	_vp=$(cat "$_vd/pid")
	_alive "$_vp" || { echo "vmm_cmd: VMM '$1' is not running"; return 1; }
	_n=$(_lines "$_vd/out")
	printf '%s\n' "$2" 1<>"$_vd/in"
	_wait_lines "$_vd/out" "$_n" "$_vp" "${VMM_TIMEOUT:-120}"
	case $? in
	1) echo "vmm_cmd: VMM '$1' died on '$2': $(tail -n3 "$_vd/err" | tr '\n' ' ')"; return 1 ;;
	2) echo "vmm_cmd: no answer to '$2' within ${VMM_TIMEOUT:-120} s"; return 1 ;;
	esac
	_a=$(sed -n "$((_n + 1))p" "$_vd/out")
	echo "$_a"
	case $_a in ok*) return 0 ;; *) return 1 ;; esac
}
vmm_stop() {
	_vd=$S2_TMP/vmm.$1
	[ -f "$_vd/pid" ] || return 1
	_vp=$(cat "$_vd/pid")
	_alive "$_vp" && VMM_TIMEOUT=10 vmm_cmd "$1" quit >/dev/null
	_i=0
	while _alive "$_vp" && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	_alive "$_vp" && { echo "vmm_stop: killing $1 ($_vp)" >&2; kill -9 "$_vp"; }
	wait "$_vp" 2>/dev/null
	_rc=$?
	_vmm_holder_stop "$_vd"
	rm -f "$_vd/pid"
	return $_rc
}

# --- module ---------------------------------------------------------------------------
mod_load() {
	[ -f "$S2_MOD" ] || { echo "mod_load: $S2_MOD not built" >&2; return 1; }
	insmod "$S2_MOD" "$@"
}
mod_unload() { rmmod kvm_s2stat; }

# --- stage-2 map tracing (tracefs kprobe events) ---------------------------------------
_TR=/sys/kernel/tracing
# shellcheck disable=SC2016 # $argN/$retval are kprobe fetch args, not shell
s2trace_start() {
	echo 0 >$_TR/tracing_on
	[ ! -d $_TR/events/s2kp ] || echo 0 >$_TR/events/s2kp/enable
	# "r<maxactive>:" for return probes (the kernel fills maxactive in)
	sed -n 's/^[pr][0-9]*:\(s2kp\/[^ ]*\).*/-:\1/p' $_TR/kprobe_events >"$S2_TMP/kp.del"
	[ ! -s "$S2_TMP/kp.del" ] || while read -r _l; do echo "$_l" >>$_TR/kprobe_events; done <"$S2_TMP/kp.del"
	_a='pgt=$arg1 ipa=$arg2 size=$arg3 phys=$arg4 prot=$arg5'
	{
		echo "p:s2kp/map kvm_pgtable_stage2_map $_a"
		echo 'r:s2kp/mapret kvm_pgtable_stage2_map ret=$retval:s32'
		echo 'p:s2kp/unmap kvm_pgtable_stage2_unmap pgt=$arg1 ipa=$arg2 size=$arg3'
	} >"$S2_TMP/kp.add"
	while read -r _l; do echo "$_l" >>$_TR/kprobe_events || return 1; done <"$S2_TMP/kp.add"
	# pkvm_pgtable_stage2_map exists since 6.14 (protected mode's map path); optional.
	echo "p:s2kp/pmap pkvm_pgtable_stage2_map $_a" >>$_TR/kprobe_events 2>/dev/null &&
		echo 'r:s2kp/pmapret pkvm_pgtable_stage2_map ret=$retval:s32' >>$_TR/kprobe_events
	echo >$_TR/trace
	echo 1 >$_TR/events/s2kp/enable
	echo 1 >$_TR/tracing_on
}
s2trace_stop() {
	echo 0 >$_TR/events/s2kp/enable
	echo 0 >$_TR/tracing_on
	# Pair each map entry with the next return of the same task.
	grep -v '^#' $_TR/trace | awk '
	{ task = substr($0, 1, index($0, "[") - 1); ev = ""; for (i = 2; i <= NF; i++) if ($i ~ /^(map|mapret|pmap|pmapret|unmap):$/) { ev = $i; break }
	  if (ev == "") next; sub(/:$/, "", ev); f = ""
	  for (j = i + 1; j <= NF; j++) if ($j ~ /=/) f = f " " $j
	  if (ev == "map" || ev == "pmap") { pend[task] = (ev == "map" ? "kvm_pgtable_stage2_map" : "pkvm_pgtable_stage2_map") f }
	  else if (ev == "mapret" || ev == "pmapret") { if (task in pend) { print "map " pend[task] f; delete pend[task] } }
	  else print "unmap" f }
	END { for (t in pend) print "map " pend[t] " ret=?" }' | sed 's/ pgt=[^ ]*//'
}

# --- helpers --------------------------------------------------------------------------
kver_ge() {
	_ma=${S2_KVER%%.*}; _mi=${S2_KVER#*.}; _mi=${_mi%%.*}
	_wa=${1%%.*}; _wi=${1#*.}
	[ "$_ma" -gt "$_wa" ] || { [ "$_ma" -eq "$_wa" ] && [ "$_mi" -ge "$_wi" ]; }
}
pkvm_refuses_devices() { [ "$S2_KVM_MODE" = protected ] && kver_ge 6.14; }
dmesg_since() { dmesg | sed -n "/s2: begin $S2_SCRIPT\$/,\$p"; }
