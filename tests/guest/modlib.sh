# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# tests/guest/modlib.sh: helpers for the kvm_s2stat scenarios (sourced after lib.sh).
#
# The standard VM (std_slots): slot 0 RAM at 1 GiB, slot 1 ivshmem BAR2 (vfio, RAM-backed),
# slot 2 edu BAR0 (vfio, MMIO), slot 3 e1000e resource0 (no driver: "other" device memory).
# Expected attributes: Linux <= 6.8 maps vfio BARs DEVICE_nGnRE, 6.9+ NORMAL_NC; sysfs
# resource mappings are DEVICE_nGnRE everywhere.
# Also sources observer.sh: obs_start / obs_check compare the module and the CLI with an
# observer that shares no code with them (tracefs kprobe events on the stage-2 API).  By its
# place in the image: modlib.sh is sourced by scripts in other directories too (grace,
# realvm, bench).
# shellcheck source=tests/guest/observer.sh
. /s2/tests/observer.sh

# The module does not load on this kernel: init/module-loads is the one failure saying why.
if [ "${S2_MODULE_UNLOADABLE:-}" = 1 ]; then
	t_skip "$S2_SCRIPT" "kvm_s2stat.ko does not load on this kernel (see init/module-loads)"
	exit 0
fi

PS=$S2_PAGE_SIZE
G_RAM=0x40000000 G_IVS=0x10000000 G_EDU=0x20000000 G_E1K=0x30000000
E1K_PAGES=$((131072 / PS))
[ "$E1K_PAGES" -le 16 ] || E1K_PAGES=16
if kver_ge 6.9; then
	VFIO_ATTR=NORMAL_NC VFIO_COL=vfio_nc VFIO_KEY=vfio_nc_pages VFIO_MEMATTR=0x5
	# Why (mappings "reason"): vfio-pci's mmap allows any uncached type; a sysfs resourceN
	# mmap does not.
	VFIO_REASON=vma-allows-nc RES_REASON=vma-disallows-nc
else
	VFIO_ATTR=DEVICE_nGnRE VFIO_COL=vfio_device VFIO_KEY=vfio_device_pages VFIO_MEMATTR=0x1
	VFIO_REASON=kernel-forces-device RES_REASON=kernel-forces-device
fi

# Linux 6.14+ in protected mode maps guests through pkvm_pgtable_stage2_map(); 7.3 refuses
# every device-memory map there (-EINVAL, KVM_RUN fails): the module must count the failed
# attempts with the attribute requested.
PKVM_REFUSES=0
[ "$S2_KVM_MODE" != protected ] || ! kver_ge 6.14 || PKVM_REFUSES=1

# iters FULL OTHER: how many rounds a stress script runs: FULL in the vhe cells of the
# 4 KiB-page lines (the fastest to emulate), OTHER in the others; times S2_SOAK
# (s2.soak=K on the kernel command line, e.g. make testbed KERNEL_ARGS=s2.soak=10: a soak
# run, its timeouts scaled by K too).  make check keeps the suite within its time budget.
iters() {
	if [ "$S2_MODE" = vhe ] && [ "${S2_LINE%-16k}" = "$S2_LINE" ]; then
		echo $(($1 * ${S2_SOAK:-1}))
	else
		echo $(($2 * ${S2_SOAK:-1}))
	fi
}

# skip_if_pkvm_refuses: the rest of this script needs device memory mapped.
skip_if_pkvm_refuses() {
	[ "$PKVM_REFUSES" = 1 ] || return 0
	t_skip "$S2_SCRIPT" "device memory cannot be mapped under protected KVM on $S2_KVER (20-module and 30-cli check the refusals)"
	exit 0
}

std_slots() {
	echo "ram:$G_RAM:16M vfio:$G_IVS:$S2_IVSHMEM:2 vfio:$G_EDU:$S2_EDU:0" \
		"res:$G_E1K:/sys/bus/pci/devices/$S2_E1000E/resource0"
}

setup_devices() {
	bind_vfio "$S2_IVSHMEM" && bind_vfio "$S2_EDU" &&
		echo 1 >"/sys/bus/pci/devices/$S2_E1000E/enable"
}

# sum VM COLUMN: a column of VM's summary line, found by the header's column names.
sum() {
	awk -v vm="$1" -v col="$2" 'NR == 2 { for (i = 1; i <= NF; i++) c[$i] = i }
		NR > 2 && $1 == vm { print $(c[col]) }' "$S2_DFS/summary"
}
# st VM KEY: a status value; stats_v KEY: a stats value.
st() { awk -v k="$2" '$1 == k { print $2 }' "$S2_DFS/$1/status"; }
stats_v() { awk -v k="$1" '$1 == k { print $2 }' "$S2_DFS/stats"; }
# maps VM: the mappings records, single-spaced; nmaps VM: how many.
maps() { tail -n +3 "$S2_DFS/$1/mappings" | tr -s ' '; }
nmaps() { maps "$1" | wc -l | tr -d ' '; }
hex() { printf '0x%016x' "$1"; }
# bar_pa BDF BAR: physical start address of a BAR (decimal).
bar_pa() { printf '%d' "$(sed -n "$(($2 + 1))p" "/sys/bus/pci/devices/$1/resource" | cut -d' ' -f1)"; }

# map_line GPA BDF BAR FIRST N ATTR MEMATTR CLASS DRIVER VIA REASON: the mappings record
# expected for N pages from page FIRST of a slot at GPA backed by BAR BAR of BDF.
map_line() {
	_pa=$(($(bar_pa "$2" "$3") + $4 * PS))
	_ipa=$(($1 + $4 * PS))
	echo "$(hex $_ipa) $(hex $((_ipa + $5 * PS))) $(hex $_pa) $(hex $((_pa + $5 * PS)))" \
		"$5 3 $6 $7 rw- $8 $2 $3 $9 ${10} ${11}"
}

# sysfs_vfio_bars: memory BARs (0-5, assigned) of the devices bound to a vfio driver, counted
# from sysfs (what the module's vfio_bars should say).
sysfs_vfio_bars() {
	_n=0
	for _d in /sys/bus/pci/devices/*; do
		case $(drv "${_d##*/}") in vfio*) ;; *) continue ;; esac
		_n=$((_n + $(head -n 6 "$_d/resource" | while read -r _s _e _f; do
			[ $((_s)) -eq 0 ] || [ $((_f & 0x200)) -eq 0 ] || echo x; done | wc -l)))
	done
	echo "$_n"
}

# verify_ok NAME VM: the walker finds no difference with the tracked state.
verify_ok() {
	_vo=$(cat "$S2_DFS/$2/verify" 2>&1)
	_r=$(echo "$_vo" | awk '$1 == "result" { print $2 }')
	_d=$(echo "$_vo" | awk '$1 == "differences" { print $2 }')
	if [ "$_r" = ok ] && [ "$_d" = 0 ]; then
		t_ok "$1"
	else
		echo "$_vo" | head -n 20 | sed 's/^/# /'
		t_fail "$1" "verify: result=$_r differences=$_d"
	fi
}

# wait_gone VM: the VM's directory disappears (its removal is deferred to a work item).
wait_gone() {
	_i=0
	while [ -e "$S2_DFS/$1" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ ! -e "$S2_DFS/$1" ]
}

# wait_idle: no module object left alive (VM objects are freed after an RCU grace period,
# shortly after their directory goes).
wait_idle() {
	_i=0
	while [ "$(stats_v live_objects)" != 0 ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ "$(stats_v live_objects)" = 0 ]
}

# wait_vm VM: the VM's directory appears (publication is deferred to a work item).
wait_vm() {
	_i=0
	while [ ! -e "$S2_DFS/$1/status" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -e "$S2_DFS/$1/status" ]
}

# counts_eq NAME VM VFIO OTHER: VM's summary shows VFIO pages with the kernel's vfio
# attribute (none with the others) and OTHER pages of other DEVICE memory.
counts_eq() {
	_got="$(sum "$2" vfio_device)/$(sum "$2" vfio_nc)/$(sum "$2" vfio_normal)/$(sum "$2" other_device)/$(sum "$2" other_nc)/$(sum "$2" other_normal)"
	if [ "$VFIO_COL" = vfio_nc ]; then _want="0/$3/0/$4/0/0"; else _want="$3/0/0/$4/0/0"; fi
	t_eq "$1" "$_got" "$_want"
}
