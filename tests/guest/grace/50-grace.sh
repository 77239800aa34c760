#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 300
# 50-grace.sh: the Grace path, live (docs/grace.md).  Runs in the grace cells only
# (kernels/modes: s2.machine=grace, s2.suite=tests/grace): the machine of
# scripts/machine-grace.sh gives a GPU stand-in at 0000:00:06.0 whose coherent memory is a
# no-map carve-out described by the firmware (DTB).
#
# 1. The CPU: FWB and DIC as the mode says (boot log); KVM in VHE.
# 2. The firmware: the device's DT node carries nvidia,gpu-mem-base-pa/-size; the carve-out
#    is a no-map reserved region, not System RAM, not the kernel's memory.
# 3. The driver: the GPU's readiness registers are set as its firmware would (BAR0 0x1498
#    and 0x200bc = 0xff), nvgrace-gpu-vfio-pci (built from Debian's source, unmodified)
#    binds through driver_override and exposes the carve-out as emulated BAR 4 (usemem,
#    cacheable) and BAR 2 (resmem, the non-cacheable 1 GiB it carves off the end).
# 4. KVM (kvm_supports_cacheable_pfnmap() = FWB && DIC, asm/kvm_mmu.h):
#    - FWB and DIC: a VM maps 16 pages of each through VFIO; the stage-2 leaves of usemem are
#      Normal cacheable (MemAttr 0x6 with FWB, prot R|W|X: KVM adds X when DIC), resmem
#      NORMAL_NC; the tracefs observer, kvm_s2stat (summary, mappings, table, verify) and the
#      CLI agree, and the data written by the guest is read back through the device.  Then a
#      VM with 2 MiB-aligned slots gets usemem as one 2 MiB block; its debugfs files are
#      printed as "# fixture: FILE: LINE" (scripts/grace-fixture.sh turns them into
#      tests/fixtures/cacheable-6.17).
#    - otherwise: KVM refuses the usemem memslot (KVM_SET_USER_MEMORY_REGION: EINVAL,
#      kvm_arch_prepare_memory_region(), mmu.c:2674 on 7.3); resmem still maps NORMAL_NC.
#
# Attribution: the memory is not a PCI resource, so only the memslot's VMA names it: class
# vfio, BDF 0000:00:06.0, region 4 (usemem) / 2 (resmem), driver nvgrace_gpu_vfio_pci, via
# vma, reason cacheable-pfnmap / vma-allows-nc, in mappings, summary and the CLI.  Why: stats
# say whether this host can map cacheable device memory (dic, cacheable_pfnmap) and the
# CLI's --expect cacheable says why not (names DIC).  (s2.grace_attrib=0 / s2.grace_why=0
# turn those checks into skips, for a module without them.)
. "${0%/*}/../lib.sh"
. "${0%/*}/../modlib.sh"

S2_GPU=0000:00:06.0
DEV=/sys/bus/pci/devices/$S2_GPU
DRV=nvgrace_gpu_vfio_pci
KO=/s2/extra/nvgrace-gpu-vfio-pci.ko
G_USE=0x10000000 G_RES=0x80000000 N=16
cmdword() { tr ' ' '\n' </proc/cmdline | sed -n "s/^s2\.$1=//p" | tail -n1; }
DIC=$(cmdword dic)
ATTRIB=$(cmdword grace_attrib) WHY=$(cmdword grace_why)
ATTRIB=${ATTRIB:-1} WHY=${WHY:-1}
CACHEABLE=0
[ "$S2_FWB" != 1 ] || [ "$DIC" != 1 ] || CACHEABLE=1
t_diag "mode $S2_MODE: FWB $S2_FWB, DIC ${DIC:-?}: cacheable PFNMAP $([ $CACHEABLE = 1 ] && echo supported || echo refused);" \
	"attribution checks $([ "$ATTRIB" = 1 ] && echo on || echo off), why checks $([ "$WHY" = 1 ] && echo on || echo off)"
if ! kver_ge 6.17; then
	t_skip "$S2_SCRIPT" "Linux $S2_KVER: cacheable PFNMAP is mapped Normal since 6.17 only"
	exit 0
fi
# enum kvm_pgtable_prot: 6.19+ PX 0, UX 1, W 2, R 3, DEVICE 4, NORMAL_NC 5; before, X 0, W 1,
# R 2, DEVICE 3, NORMAL_NC 4.  Cacheable: R|W, and X (PX|UX) because the CPU has DIC.
if kver_ge 6.19; then P_NORMAL=0xf P_NC=0x2c; else P_NORMAL=0x7 P_NC=0x16; fi
attrib_skip() { t_skip "$1" "kvm_s2stat attribution of memory that is not a PCI resource (issue 13 part 1; s2.grace_attrib=1)"; }
hex() { printf '0x%016x' "$1"; }

# --- 1. CPU ------------------------------------------------------------------------------
dmesg >"$S2_TMP/dmesg"
has() { grep -q "CPU features: detected: $1" "$S2_TMP/dmesg" && echo 1 || echo 0; }
if grep -q 'kvm \[[0-9]*\]: VHE mode initialized successfully' "$S2_TMP/dmesg"; then t_ok kvm-vhe
else t_fail kvm-vhe "no 'VHE mode initialized successfully' in the boot log"; fi
t_eq cpu-fwb "$(has 'Stage-2 Force Write-Back')" "$S2_FWB"
t_eq cpu-dic "$(has 'Instruction cache invalidation not required for I/D coherence')" "${DIC:-?}"
grep -E 'CPU features: detected: (Stage-2 Force Write-Back|Instruction cache invalidation not required|Data cache clean to the PoU not required)' \
	"$S2_TMP/dmesg" | sed 's/^/# boot: /'

# --- 2. firmware: the device's properties and the carve-out -------------------------------
u64() { printf '%d' "0x$(od -An -tx1 -v "$1" | tr -d ' \n')"; }
if [ -r "$DEV/of_node/nvidia,gpu-mem-base-pa" ] && [ -r "$DEV/of_node/nvidia,gpu-mem-size" ]; then
	BASE=$(u64 "$DEV/of_node/nvidia,gpu-mem-base-pa") SIZE=$(u64 "$DEV/of_node/nvidia,gpu-mem-size")
	t_ok firmware-properties
	t_diag "GPU memory (DT node $(readlink "$DEV/of_node" | sed 's|.*/base||')): $(hex "$BASE") + $(hex "$SIZE")"
else
	t_fail firmware-properties "$S2_GPU has no DT node with nvidia,gpu-mem-base-pa/-size"
	exit 1
fi
END=$((BASE + SIZE))
want="OF: reserved mem: $(hex "$BASE")..$(hex $((END - 1))) ($((SIZE / 1024)) KiB) nomap"
if grep -qF "$want" "$S2_TMP/dmesg"; then t_ok carveout-nomap
else t_fail carveout-nomap "no '$want' in the boot log"; fi
# No System RAM resource overlaps it (nomap regions are "reserved" in /proc/iomem).
ov=$(sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : System RAM$/\1 \2/p' /proc/iomem | while read -r s e; do
	[ $((0x$s)) -ge "$END" ] || [ $((0x$e)) -lt "$BASE" ] || echo "$s-$e"; done)
t_eq carveout-not-ram "${ov:-none}" none
mt=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
if [ "$mt" -lt 2097152 ]; then t_ok kernel-ram-2g
else t_fail kernel-ram-2g "MemTotal $mt kB: the kernel has more than its 2 GiB"; fi
# nvgrace without NVIDIA's DVSEC (main.c: has_mig_hw_bug): resmem is the last 1 GiB, usemem
# what is before it rounded down to 512 MiB.
USE=$BASE USE_LEN=$(((SIZE - 0x40000000) / 0x20000000 * 0x20000000))
RES=$((USE + USE_LEN)) RES_LEN=$((END - USE - USE_LEN))
t_diag "usemem (BAR 4) $(hex "$USE") + $(hex "$USE_LEN"), resmem (BAR 2) $(hex "$RES") + $(hex "$RES_LEN")"

# --- 3. the driver --------------------------------------------------------------------------
t_eq gpu-ids "$(cat "$DEV/vendor"):$(cat "$DEV/device")" 0x1234:0x1111
# The GPU's firmware reports the C2C link up and HBM trained in BAR0 before anyone probes.
ready_regs() {
	_b0=$(printf '%d' "$(head -n1 "$DEV/resource" | cut -d' ' -f1)")
	echo 1 >"$DEV/enable" || return 1
	for _o in 0x1498 0x200bc; do
		devmem $((_b0 + _o)) 32 0xff || return 1
		[ "$(devmem $((_b0 + _o)) 32)" = 0x000000FF ] || { echo "BAR0+$_o does not read 0xff"; return 1; }
	done
	echo 0 >"$DEV/enable"
}
t_run ready-registers ready_regs
t_run nvgrace-insmod insmod "$KO"
bind_nvgrace() {
	echo "$DRV" >"$DEV/driver_override" && echo "$S2_GPU" >/sys/bus/pci/drivers_probe
	[ "$(drv "$S2_GPU")" = "$DRV" ] || { echo "$S2_GPU bound to '$(drv "$S2_GPU")'"; return 1; }
	_g=$(iommu_group "$S2_GPU") || return 1
	_i=0
	while [ ! -c "/dev/vfio/$_g" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -c "/dev/vfio/$_g" ]
}
t_run nvgrace-bind bind_nvgrace || { dmesg_since | tail -n 20 | sed 's/^/# /'; exit 1; }

# --- 4. VMs ----------------------------------------------------------------------------------
t_run load mod_load || exit 1
t_eq stats-fwb "$(stats_v fwb)" "$S2_FWB"
if [ "$WHY" = 1 ]; then
	t_eq stats-dic "$(stats_v dic)" "$DIC"
	if [ $CACHEABLE = 1 ]; then cp=supported; else cp=no-dic; fi
	t_eq stats-cacheable-pfnmap "$(stats_v cacheable_pfnmap)" "$cp"
else
	t_skip stats-dic "kvm_s2stat does not report DIC / cacheable PFNMAP support yet (s2.grace_why=1)"
fi

# grace_maps NAME GPA NMAPS SIZE PROT PHYS: the traced maps of a slot: NMAPS maps of SIZE
# bytes from GPA on, to PHYS + the same offset, with PROT, all successful.
grace_maps() {
	awk -v g="$(($2))" -v n="$3" -v sz="$(($4))" -v prot="$(($5))" -v phys="$(($6))" '
	function num(s,  v, i) {
		sub(/^[a-z]+=/, "", s); s = tolower(s)
		if (s !~ /^0x/) return s + 0
		v = 0; for (i = 3; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	$1 == "map" {
		ipa = num($3); size = num($4); ph = num($5); pr = num($6); r = $7; sub(/^ret=/, "", r)
		if (ipa < g || ipa >= g + n * sz) next
		seen++
		if (size != sz) bad = bad sprintf(" size=0x%x@0x%x", size, ipa)
		if (pr != prot) bad = bad sprintf(" prot=0x%x@0x%x", pr, ipa)
		if (ph - phys != ipa - g) bad = bad sprintf(" phys=0x%x@0x%x", ph, ipa)
		if (r != "0") bad = bad " ret=" r
		if (pg[ipa]++) bad = bad sprintf(" twice@0x%x", ipa)
	}
	END {
		if (seen != n) printf "%d maps, expected %d;", seen, n
		if (bad != "") printf "%s", substr(bad, 1, 300)
	}' "$S2_TMP/trace" >"$S2_TMP/check"
	if [ -s "$S2_TMP/check" ]; then t_fail "$1" "$(cat "$S2_TMP/check")"; else t_ok "$1"; fi
}

# mapline GPA PA PAGES LEVEL ATTR MEMATTR PERM BAR REASON: a mappings record (class to
# reason compared only with s2.grace_attrib=1).
mapline() {
	echo "$(hex $(($1))) $(hex $(($1 + $3 * PS))) $(hex $(($2))) $(hex $(($2 + $3 * PS)))" \
		"$3 $4 $5 $6 $7 vfio $S2_GPU $8 $DRV vma $9"
}
# check_mappings NAME VM: the module's mappings of VM against $S2_TMP/maps.want.
check_mappings() {
	maps "$2" >"$S2_TMP/maps"
	cut -d' ' -f1-9 "$S2_TMP/maps" >"$S2_TMP/maps.attr"
	cut -d' ' -f1-9 "$S2_TMP/maps.want" >"$S2_TMP/maps.want.attr"
	if cmp -s "$S2_TMP/maps.attr" "$S2_TMP/maps.want.attr"; then t_ok "$1"; else
		sed 's/^/# got:  /' "$S2_TMP/maps"; sed 's/^/# want: /' "$S2_TMP/maps.want"
		t_fail "$1" "mappings differ (ipa, pa, pages, level, attr, memattr, perm)"
	fi
	if [ "$ATTRIB" != 1 ]; then
		attrib_skip "$1-attrib"
	elif cmp -s "$S2_TMP/maps" "$S2_TMP/maps.want"; then t_ok "$1-attrib"; else
		sed 's/^/# got:  /' "$S2_TMP/maps"; sed 's/^/# want: /' "$S2_TMP/maps.want"
		t_fail "$1-attrib" "class/bdf/bar/driver differ"
	fi
}
# check_counts NAME VM NORMAL NC: summary pages by attribute (vfio + other), then by class.
check_counts() {
	t_eq "$1" "$(($(sum "$2" vfio_device) + $(sum "$2" other_device)))/$(($(sum "$2" vfio_nc) + $(sum "$2" other_nc)))/$(($(sum "$2" vfio_normal) + $(sum "$2" other_normal)))/$(sum "$2" failed)" \
		"0/$4/$3/0"
	if [ "$ATTRIB" = 1 ]; then
		t_eq "$1-attrib" "$(sum "$2" vfio_nc)/$(sum "$2" vfio_normal)/$(sum "$2" other_nc)/$(sum "$2" other_normal)" "$4/$3/0/0"
	else
		attrib_skip "$1-attrib"
	fi
}
# check_cli NAME VM: the CLI's mappings (-m -c) are the module's.
check_cli() {
	"$S2_CLI" -m -c -g "$2" >"$S2_TMP/cli.csv" 2>&1
	# (the CSV leaves fields that do not apply empty, the module prints "-")
	awk -F, 'NR > 1 && NF >= 15 { s = ""; for (i = NF - 14; i <= NF; i++) s = s (i > NF - 14 ? " " : "") ($i == "" ? "-" : $i); print s }' \
		"$S2_TMP/cli.csv" >"$S2_TMP/cli.maps"
	if cmp -s "$S2_TMP/cli.maps" "$S2_TMP/maps"; then t_ok "$1"; else
		sed 's/^/# cli:    /' "$S2_TMP/cli.csv"; sed 's/^/# module: /' "$S2_TMP/maps"
		t_fail "$1" "the CLI's mappings are not the module's"
	fi
}
show_cli() { for v in "" -D -m; do "$S2_CLI" ${v:+"$v"} 2>&1 | sed "s/^/# kvm-s2stat${v:+ $v}: /"; done; }

if [ $CACHEABLE = 1 ]; then
	t_run trace-start s2trace_start
	vmm_start A "ram:$G_RAM:16M" "vfio:$G_USE:$S2_GPU:4" "vfio:$G_RES:$S2_GPU:2" ||
		{ t_fail vmm-start "$(cat "$S2_TMP/vmm.A/err")"; exit 1; }
	vm=$A_VMS
	t_run touch-usemem vmm_cmd A "touch 1 0-$((N - 1)) w"
	t_run touch-resmem vmm_cmd A "touch 2 0-$((N - 1)) w"
	t_run usemem-data vmm_cmd A "check 1 0-$((N - 1))"
	t_run resmem-data vmm_cmd A "check 2 0-$((N - 1))"
	s2trace_stop >"$S2_TMP/trace"
	grace_maps observer-usemem $G_USE $N "$PS" $P_NORMAL "$USE"
	grace_maps observer-resmem $G_RES $N "$PS" $P_NC "$RES"
	t_run vm-dir wait_vm "$vm"
	t_eq state "$(sum "$vm" state)" exact
	check_counts counts "$vm" $N $N
	{
		mapline $G_USE "$USE" $N 3 NORMAL 0x6 rwx 4 cacheable-pfnmap
		mapline $G_RES "$RES" $N 3 NORMAL_NC 0x5 rw- 2 vma-allows-nc
	} >"$S2_TMP/maps.want"
	check_mappings mappings "$vm"
	verify_ok verify "$vm"
	tail -n +3 "$S2_DFS/$vm/table" | tr -s ' ' | awk '$10 == "device" { print $1, $5, $6, $7, $8, $9 }' >"$S2_TMP/table"
	printf '%s\n' "$(hex $G_USE) $N 3 0x6 NORMAL_FWB_WB rwx" "$(hex $G_RES) $N 3 0x5 NORMAL_NC rw-" >"$S2_TMP/table.want"
	if cmp -s "$S2_TMP/table" "$S2_TMP/table.want"; then t_ok table-leaves; else
		sed 's/^/# got:  /' "$S2_TMP/table"; sed 's/^/# want: /' "$S2_TMP/table.want"
		t_fail table-leaves "the walked leaves differ"
	fi
	check_cli cli-mappings "$vm"
	"$S2_CLI" -D -c >"$S2_TMP/cli.dev" 2>&1
	if [ "$ATTRIB" = 1 ]; then
		t_eq cli-devices-attrib "$(awk -F, -v b="$S2_GPU" '$1 == b { print $2 ":" $3 ":" $8 ":" $9 ":" $10 }' "$S2_TMP/cli.dev" | sort | tr '\n' ' ')" \
			"2:$DRV:vfio:NORMAL_NC:$N 4:$DRV:vfio:NORMAL:$N "
		t_eq cli-summary-attrib "$("$S2_CLI" -c | awk -F, -v v="$vm" '$1 == v { print $7 "/" $8 "/" $9 }')" "$N/$N/0"
	else
		attrib_skip cli-devices-attrib
		attrib_skip cli-summary-attrib
	fi
	show_cli
	t_run vmm-stop vmm_stop A
	t_run vm-gone wait_gone "$vm"

	# 2 MiB-aligned slots: usemem (2 MiB) maps as one block; resmem (64 KiB, smaller than a
	# block) page by page.  This VM is the cacheable-6.17 fixture.
	t_run trace-start-blocks s2trace_start
	vmm_start F --dev-blocks "ram:$G_RAM:16M" "vfio:$G_USE:$S2_GPU:2:$((N * PS))" \
		"vfio:0x20000000:$S2_GPU:4:0x200000" || { t_fail vmm-start-blocks "$(cat "$S2_TMP/vmm.F/err")"; exit 1; }
	vm=$F_VMS
	t_run touch-resmem-blocks vmm_cmd F "touch 1 0-$((N - 1)) w"
	t_run touch-usemem-blocks vmm_cmd F "touch 2 0-$((N - 1)) w"
	t_run usemem-data-blocks vmm_cmd F "check 2 0-$((N - 1))"
	s2trace_stop >"$S2_TMP/trace"
	grace_maps observer-usemem-block 0x20000000 1 0x200000 $P_NORMAL "$USE"
	grace_maps observer-resmem-pages $G_USE $N "$PS" $P_NC "$RES"
	t_run vm-dir-blocks wait_vm "$vm"
	check_counts counts-blocks "$vm" 512 $N
	{
		mapline $G_USE "$RES" $N 3 NORMAL_NC 0x5 rw- 2 vma-allows-nc
		mapline 0x20000000 "$USE" 512 2 NORMAL 0x6 rwx 4 cacheable-pfnmap
	} >"$S2_TMP/maps.want"
	check_mappings mappings-blocks "$vm"
	verify_ok verify-blocks "$vm"
	check_cli cli-mappings-blocks "$vm"
	t_diag "fixture-begin cacheable-6.17 vm $vm"
	for f in version stats summary "$vm/status" "$vm/mappings" "$vm/verify"; do
		sed "s|^|# fixture: $f: |" "$S2_DFS/$f"
	done
	t_diag "fixture-end"
	t_run vmm-stop-blocks vmm_stop F
else
	# KVM refuses a memslot over a cacheable PFNMAP VMA when the CPU lacks FWB or DIC.
	if vmm_start R "ram:$G_RAM:16M" "vfio:$G_USE:$S2_GPU:4" 2>"$S2_TMP/refused.err"; then
		t_fail usemem-refused "KVM accepted the cacheable usemem memslot without FWB+DIC"
		vmm_stop R
	else
		if grep -q 'KVM_SET_USER_MEMORY_REGION slot 1: Invalid argument' "$S2_TMP/refused.err"; then
			t_ok usemem-refused
		else
			t_fail usemem-refused "$(tr '\n' ' ' <"$S2_TMP/refused.err")"
		fi
	fi
	sed 's/^/# /' "$S2_TMP/refused.err"
	# The device's non-cacheable BAR is what remains: NORMAL_NC, as on any 6.9+ vfio BAR.
	t_run trace-start s2trace_start
	vmm_start A "ram:$G_RAM:16M" "vfio:$G_RES:$S2_GPU:2" ||
		{ t_fail vmm-start "$(cat "$S2_TMP/vmm.A/err")"; exit 1; }
	vm=$A_VMS
	t_run touch-resmem vmm_cmd A "touch 1 0-$((N - 1)) w"
	t_run resmem-data vmm_cmd A "check 1 0-$((N - 1))"
	s2trace_stop >"$S2_TMP/trace"
	grace_maps observer-resmem $G_RES $N "$PS" $P_NC "$RES"
	t_run vm-dir wait_vm "$vm"
	t_eq state "$(sum "$vm" state)" exact
	check_counts counts "$vm" 0 $N
	mapline $G_RES "$RES" $N 3 NORMAL_NC 0x5 rw- 2 vma-allows-nc >"$S2_TMP/maps.want"
	check_mappings mappings "$vm"
	verify_ok verify "$vm"
	check_cli cli-mappings "$vm"
	"$S2_CLI" --expect cacheable >"$S2_TMP/expect" 2>&1
	sed 's/^/# kvm-s2stat --expect cacheable: /' "$S2_TMP/expect"
	if [ "$WHY" = 1 ]; then
		if grep -q DIC "$S2_TMP/expect"; then t_ok cli-why
		else t_fail cli-why "--expect cacheable does not say that the CPU lacks DIC"; fi
	else
		t_skip cli-why "the CLI does not say why cacheable device memory cannot be mapped yet (s2.grace_why=1)"
	fi
	show_cli
	t_run vmm-stop vmm_stop A
fi

# --- teardown ----------------------------------------------------------------------------
t_run vm-gone-end wait_gone "$vm"
t_run unload mod_unload
grace_teardown() { unbind "$S2_GPU" && rmmod "$DRV"; }
t_run nvgrace-unbind grace_teardown
