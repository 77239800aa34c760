#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 120
# s2-cells: vhe4k
# 99-lockdown.sh: what a production host's restrictions do to the tool.
#   - the CLI as an ordinary user: one line that says to run it as root, exit 6 (JSON mode:
#     an {"error": ...} object);
#   - kernel lockdown raised while the module is loaded, as Secure Boot hosts run
#     (integrity, then confidentiality; docs/install.md): the module's read-only files and the
#     CLI keep working and the counts keep following the guest, the resync control is
#     refused, tracefs is locked under confidentiality, the module unloads, and an unsigned
#     module is refused afterwards (the CLI then says the module must be signed).
# Lockdown cannot be lowered again until the next boot: this script runs last.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"
skip_if_pkvm_refuses

t_run devices setup_devices || exit 1
t_run load mod_load || exit 1
t_run obs-start obs_start || exit 1
vmm_start A $(std_slots) || exit 1
vm=$A_VMS
t_run touch vmm_cmd A "touch 1 0-7 w"
t_run touch-edu vmm_cmd A "touch 2 0-3"
wait_vm "$vm"
counts_eq counts "$vm" 12 0

# --- not root -----------------------------------------------------------------------------
# nobody: run the CLI as uid/gid 65534 (busybox has no su; its start-stop-daemon execs
# the program in the foreground after changing its ids, which it looks up by name: the
# initramfs has no passwd, so the test adds the user).
mkdir -p /etc
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/false' >>/etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
nobody() { start-stop-daemon -S -c nobody:nogroup -x "$S2_CLI" -- "$@"; }
if [ -x "$S2_CLI" ]; then
	out=$(nobody 2>&1)
	t_eq nonroot-exit "$?" 6
	t_eq nonroot-one-line "$(echo "$out" | wc -l | tr -d ' ')" 1
	case $out in
	*"run as root"*) t_ok nonroot-says-root ;;
	*) t_fail nonroot-says-root "got: $out" ;;
	esac
	out=$(nobody -j 2>/dev/null)
	case $out in
	'{"error":'*"run as root"*) t_ok nonroot-json-error ;;
	*) t_fail nonroot-json-error "stdout: $out" ;;
	esac
else
	t_skip nonroot "no kvm-s2stat in the image"
fi

# --- lockdown -----------------------------------------------------------------------------
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
LD=/sys/kernel/security/lockdown
if [ ! -w "$LD" ]; then
	t_skip lockdown "the kernel has no lockdown LSM"
	t_run unload mod_unload
	exit 0
fi
if [ -e /sys/kernel/debug/kmemleak ]; then
	# kmemleak's scans after each script are debugfs writes, which lockdown refuses.
	t_skip lockdown "kmemleak kernel: its scans must go on after this script"
	t_run unload mod_unload
	exit 0
fi

# locked MODE: raise lockdown to MODE, then the checks that hold in both modes.
locked() {
	echo "$1" >"$LD" 2>/dev/null
	t_eq "$1-on" "$(sed 's/.*\[\(.*\)\].*/\1/' "$LD")" "$1"
	t_run "$1-touch" vmm_cmd A "touch 1 $2 w"
	counts_eq "$1-counts" "$vm" "$3" 0
	verify_ok "$1-verify" "$vm"
	if echo 1 2>/dev/null >"$S2_DFS/$vm/resync"; then
		t_fail "$1-resync-refused" "writing resync succeeded"
	else
		t_ok "$1-resync-refused"
	fi
	if [ -x "$S2_CLI" ]; then
		"$S2_CLI" -j >"$S2_TMP/cli.json" 2>"$S2_TMP/cli.err"
		t_eq "$1-cli-exit" "$?" 0
		t_eq "$1-cli-vm" "$(grep -c "\"vm\": *\"$vm\"" "$S2_TMP/cli.json")" 1
		"$S2_CLI" --verify >/dev/null 2>"$S2_TMP/cli.err"
		t_eq "$1-cli-verify" "$?" 0
	fi
}

locked integrity 8-11 16
obs_check integrity "$A_PID"
obs_stop
locked confidentiality 12-15 20
if cat /sys/kernel/tracing/trace >/dev/null 2>&1; then
	t_fail confidentiality-tracefs-locked "tracefs still readable"
else
	t_ok confidentiality-tracefs-locked
fi

# Unloading still works; loading an unsigned module no longer does.
t_run stop-a vmm_stop A
t_run gone wait_gone "$vm"
wait_idle
t_eq live-objects "$(stats_v live_objects)" 0
t_run unload mod_unload
if mod_load 2>"$S2_TMP/insmod.err"; then
	t_fail unsigned-refused "insmod of an unsigned module succeeded under lockdown"
	mod_unload
else
	t_ok unsigned-refused
	t_diag "insmod: $(cat "$S2_TMP/insmod.err")"
fi
if [ -x "$S2_CLI" ]; then
	out=$("$S2_CLI" 2>&1)
	t_eq cli-not-loaded-exit "$?" 3
	case $out in
	*"lockdown (confidentiality)"*"signed"*) t_ok cli-says-signed ;;
	*) t_fail cli-says-signed "got: $out" ;;
	esac
fi
