# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # SRC, KREL are for the scripts
# tests/native/lib.sh: helpers of the native-host tests (bash), sourced after the testbed's
# tests/guest/lib.sh (t_ok/t_fail/t_eq/t_run, bind_vfio, vmm_start/vmm_cmd/vmm_stop).
#
#   as_user CMD...           run CMD as the unprivileged user "builder" (in its home)
#   std_check NAME CLI       the standard check: one s2vmm VM whose slot 1 is ivshmem BAR2
#                            through vfio-pci; the guest writes 16 pages; the module's summary
#                            and the CLI must show exactly 16 vfio pages, NORMAL_NC on 6.9+,
#                            DEVICE_nGnRE before; `CLI --expect` agrees.  The module must be
#                            loaded.  Prints the CLI's output as diagnostics.
#   show CMD...              run CMD, print its output as "# " lines; its status
#   module_path              where modprobe finds kvm_s2stat for the running kernel

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SRC=/home/builder/kvm-s2stat
KREL=$(uname -r)

as_user() { runuser -u builder -- env -C /home/builder HOME=/home/builder PATH="$PATH" "$@"; }

show() {
	local rc=0
	"$@" >"$S2_TMP/show.out" 2>&1 || rc=$?
	sed 's/^/# /' "$S2_TMP/show.out"
	return $rc
}

module_path() { modinfo -n kvm_s2stat 2>/dev/null; }

# summary VM COLUMN: a column of VM's summary line (by the header's column names).
summary() {
	awk -v vm="$1" -v col="$2" 'NR == 2 { for (i = 1; i <= NF; i++) c[$i] = i }
		NR > 2 && $1 == vm { print $(c[col]) }' "$S2_DFS/summary"
}

std_check() {
	local name=$1 cli=$2 vm i want exp row
	if kver_ge 6.9; then want='0/16/0' exp=nc; else want='16/0/0' exp=device; fi
	[ -r "$S2_DFS/summary" ] || { t_fail "$name" "module not loaded ($S2_DFS/summary missing)"; return 1; }
	if ! out=$(bind_vfio "$S2_IVSHMEM" 2>&1); then t_fail "$name-vfio" "$out"; return 1; fi
	if ! vmm_start std ram:0x40000000:16M "vfio:0x10000000:$S2_IVSHMEM:2" 2>"$S2_TMP/vmm.err"; then
		t_fail "$name-vmm" "$(cat "$S2_TMP/vmm.err")"
		return 1
	fi
	# shellcheck disable=SC2154 # set by vmm_start
	vm=$std_VMS
	t_run "$name-touch" vmm_cmd std "touch 1 0-15 w"
	i=0
	while [ -z "$(summary "$vm" vm)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	t_eq "$name-summary" "$(summary "$vm" vfio_device)/$(summary "$vm" vfio_nc)/$(summary "$vm" vfio_normal)" "$want"
	t_diag "$ cat $S2_DFS/summary"
	sed 's/^/# /' "$S2_DFS/summary"
	t_diag "$ $cli"
	"$cli" >"$S2_TMP/cli.out" 2>&1
	sed 's/^/# /' "$S2_TMP/cli.out"
	# VM PID COMM DEVICE NC NORMAL ...
	row=$(awk -v vm="$vm" '$1 == vm { print $4 "/" $5 "/" $6 }' "$S2_TMP/cli.out")
	t_eq "$name-cli" "$row" "$want"
	t_run "$name-cli-expect-$exp" "$cli" --expect "$exp"
	t_run "$name-vmm-stop" vmm_stop std
	unbind "$S2_IVSHMEM"
}
