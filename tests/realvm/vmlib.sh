# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# tests/realvm/vmlib.sh: helpers of the real-VMM scenarios (busybox sh, in the emulated KVM
# host), sourced after /s2/tests/lib.sh and modlib.sh.  The image (scripts/build-vmimage.sh)
# holds Debian's arm64 qemu-system-aarch64 (/usr/bin) and the nested guest's kernel and
# initramfs (/vm/guest/; its init is tests/realvm/guest/init).
#
#   rv_start NAME ROLE NAMEOPT UUID [QEMU ARGS...]
#                     start QEMU the way libvirt does (-name NAMEOPT, -uuid UUID when not
#                     empty, -machine virt, -accel kvm -cpu host, -nodefaults, a monitor and
#                     the serial console on pipes) in the background, guest role ROLE
#                     (tests/realvm/guest/init); sets NAME_PID.  Files: $S2_TMP/rv.NAME/
#                     {console,qemu.err,cmd}.  Add -S to start paused.
#   rv_mon NAME CMD   one human-monitor command (e.g. cont)
#   rv_send NAME CMD  one line on the guest's console (tests/realvm/guest/init commands)
#   rv_wait NAME REGEX SECS   wait until the guest's console has a line matching REGEX; 1 if
#                     the guest failed, crashed or QEMU died first (reason on stdout), 2 on
#                     timeout
#   rv_vm NAME        the VM's name <pid>-<fd> (from /sys/kernel/debug/kvm)
#   rv_line NAME REGEX      the last console line matching REGEX
#   rv_field LINE KEY       the value of KEY=... in LINE
#   rv_kill NAME      SIGTERM, wait (SIGKILL after 10 s); 0 once QEMU is gone
#   rv_diag NAME      the guest console and QEMU's stderr as diagnostics
# The nested guests run under KVM inside TCG: slow (a guest reaches its init in ~10-40 s).

RV_QEMU=/usr/bin/qemu-system-aarch64
RV_GUEST=/vm/guest
RV_KVMDFS=/sys/kernel/debug/kvm

rv_start() {
	_n=$1 _role=$2 _name=$3 _uuid=$4
	shift 4
	_d=$S2_TMP/rv.$_n
	rm -rf "$_d"
	mkdir -p "$_d"
	mkfifo "$_d/ser.in" "$_d/ser.out" "$_d/mon.in" "$_d/mon.out"
	: >"$_d/console"
	: >"$_d/monitor"
	# Drain the guest's console and the monitor's answers into files.
	cat "$_d/ser.out" >>"$_d/console" &
	echo $! >"$_d/drain"
	cat "$_d/mon.out" >>"$_d/monitor" &
	echo $! >>"$_d/drain"
	set -- -name "$_name" ${_uuid:+-uuid "$_uuid"} \
		-machine virt,usb=off,gic-version=3 -accel kvm -cpu host -m "${RV_MEM:-128}" \
		-overcommit mem-lock=off -smp 1,sockets=1,cores=1,threads=1 \
		-no-user-config -nodefaults -display none -no-reboot -rtc base=utc \
		-chardev "pipe,id=charmonitor,path=$_d/mon" -mon chardev=charmonitor,id=monitor,mode=readline \
		-chardev "pipe,id=charserial0,path=$_d/ser" -serial chardev:charserial0 \
		-kernel "$RV_GUEST/vmlinuz" -initrd "$RV_GUEST/initrd.gz" \
		-append "console=ttyAMA0 rdinit=/init quiet panic=-1 s2vm.role=$_role" \
		-msg timestamp=on "$@"
	printf '%s\n' "$RV_QEMU $*" >"$_d/cmd"
	"$RV_QEMU" "$@" </dev/null >"$_d/qemu.out" 2>"$_d/qemu.err" &
	echo $! >"$_d/pid"
	eval "${_n}_PID=$!"
}

rv_mon() { printf '%s\n' "$2" 1<>"$S2_TMP/rv.$1/mon.in"; }
rv_send() { printf '%s\n' "$2" 1<>"$S2_TMP/rv.$1/ser.in"; }

rv_wait() {
	_d=$S2_TMP/rv.$1
	_end=$(($(date +%s) + $3))
	while :; do
		tr -d '\r' <"$_d/console" | grep -Eq "$2" && return 0
		_f=$(tr -d '\r' <"$_d/console" | grep -m1 -E 's2vm: FAILED|Kernel panic|Internal error:|kernel BUG at|Unable to handle kernel')
		[ -z "$_f" ] || { echo "guest: $_f"; return 1; }
		_alive "$(cat "$_d/pid")" || { echo "QEMU exited: $(grep -v 'Cannot reset device' "$_d/qemu.err" | head -n2 | tr '\n' ' ')"; return 1; }
		[ "$(date +%s)" -lt "$_end" ] || { echo "no '$2' from the guest within $3 s"; return 2; }
		sleep 0.5
	done
}

rv_vm() {
	_p=$(cat "$S2_TMP/rv.$1/pid")
	for _v in "$RV_KVMDFS/$_p"-*; do
		[ -d "$_v" ] && { echo "${_v##*/}"; return 0; }
	done
	return 1
}

rv_line() { tr -d '\r' <"$S2_TMP/rv.$1/console" | grep -E "$2" | tail -n1; }
rv_field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }

rv_kill() {
	_d=$S2_TMP/rv.$1
	[ -f "$_d/pid" ] || return 0
	_p=$(cat "$_d/pid")
	kill "$_p" 2>/dev/null
	_i=0
	while _alive "$_p" && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	_alive "$_p" && kill -9 "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	while read -r _k; do kill "$_k" 2>/dev/null; done <"$_d/drain"
	rm -f "$_d/pid"
	! _alive "$_p"
}

rv_diag() {
	_d=$S2_TMP/rv.$1
	t_diag "rv $1: $(cat "$_d/cmd" 2>/dev/null)"
	tr -d '\r' <"$_d/console" 2>/dev/null | tail -n 25 | sed 's/^/# [guest] /'
	sed 's/^/# [qemu] /' "$_d/qemu.err" 2>/dev/null | head -n 10
}
