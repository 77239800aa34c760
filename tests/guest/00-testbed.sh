#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 90
# 00-testbed.sh: the testbed's self-tests, independent of kvm_s2stat.ko: KVM came up in the
# requested mode with the CPU's features, the four QEMU devices are there, vfio-pci binds
# through the SMMUv3, the test VMM maps a VFIO BAR slot (ivshmem BAR2), an MMIO BAR slot
# (edu BAR0) and a non-VFIO slot (e1000e resource0), the ivshmem data reached the device,
# and a tracefs kprobe on the stage-2 map path sees exactly one map per touched page with
# the prot this kernel uses (see shared testbed facts).  The observer of observer.sh (the
# referee of the module's scenarios) reduces the same run to exactly the expected device
# runs (obs-self).  Also: our module loads.
. "${0%/*}/lib.sh"
. "${0%/*}/observer.sh"

klog=$S2_TMP/dmesg
dmesg >"$klog"

# --- KVM mode and CPU features ---------------------------------------------------------
case $S2_KVM_MODE in
vhe) re='kvm \[[0-9]+\]: VHE mode initialized successfully' ;;
nvhe) re='kvm \[[0-9]+\]: Hyp (nVHE )?mode initialized successfully' ;;
protected) re='kvm \[[0-9]+\]: Protected [nh]VHE mode initialized successfully' ;;
*) re='unknown mode' ;;
esac
got=$(grep -Eo 'kvm \[[0-9]+\]: .*mode initialized successfully' "$klog" | head -n1)
if grep -Eq "$re" "$klog"; then t_ok kvm-mode; else
	t_fail kvm-mode "wanted KVM $S2_KVM_MODE for $S2_MODE, the kernel said '${got:-nothing}'"
fi

has() { grep -q "CPU features: detected: $1" "$klog" && echo 1 || echo 0; }
t_eq fwb "$(has 'Stage-2 Force Write-Back')" "$S2_FWB"
# Stage-2 LPA2 (52-bit IPA with 4K/16K pages) since 6.9, when the CPU has it.
lpa2=0
[ "$S2_CPU_PA" -lt 52 ] || ! kver_ge 6.9 || lpa2=1
t_eq lpa2 "$(has '52-bit Virtual Addressing for KVM (LPA2)')" "$lpa2"
ipa=$(sed -n 's/.*kvm \[[0-9]*\]: IPA Size Limit: \([0-9]*\) bits.*/\1/p' "$klog" | head -n1)
want=$S2_CPU_PA
[ "$want" -le 48 ] || [ $lpa2 = 1 ] || [ "$S2_PAGE_SIZE" = 65536 ] || want=48
t_eq ipa-limit "$ipa" "$want"

# --- devices -----------------------------------------------------------------------------
ids() { echo "$(cat "/sys/bus/pci/devices/$1/vendor"):$(cat "/sys/bus/pci/devices/$1/device")"; }
t_eq dev-ivshmem "$(ids "$S2_IVSHMEM")" 0x1af4:0x1110
t_eq dev-edu "$(ids "$S2_EDU")" 0x1234:0x11e8
t_eq dev-e1000e "$(ids "$S2_E1000E")" 0x8086:0x10d3
t_eq dev-ivshmem2 "$(ids "$S2_IVSHMEM2")" 0x1af4:0x1110

vfio_ok=1
for d in "$S2_IVSHMEM" "$S2_EDU"; do
	n=$( [ "$d" = "$S2_IVSHMEM" ] && echo ivshmem || echo edu)
	if ! out=$(bind_vfio "$d" 2>&1); then
		vfio_ok=0
		t_fail "vfio-bind-$n" "$out"
		continue
	fi
	g=$(iommu_group "$d")
	smmu=$(readlink "/sys/bus/pci/devices/$d/iommu" 2>/dev/null)
	case $smmu in
	*smmuv3*)
		if [ -c "/dev/vfio/$g" ]; then t_ok "vfio-bind-$n"
		else vfio_ok=0; t_fail "vfio-bind-$n" "no /dev/vfio/$g"; fi ;;
	*) vfio_ok=0; t_fail "vfio-bind-$n" "$d is not behind the SMMUv3 (iommu -> '$smmu')" ;;
	esac
done

# --- the test VMM, traced ------------------------------------------------------------------
# Slots: 0 RAM, 1 ivshmem BAR2 (vfio, 16 pages), 2 edu BAR0 (vfio MMIO, 16 pages),
# 3 e1000e resource0 (no driver, sysfs mmap, 8 pages: the BAR is 128 KiB).
PS=$S2_PAGE_SIZE
G_IVS=0x10000000 G_EDU=0x20000000 G_E1K=0x30000000
N_IVS=16 N_EDU=16 N_E1K=8
# prots (enum kvm_pgtable_prot): R=bit 2, W=bit 1, DEVICE=bit 3, NORMAL_NC=bit 4 until
# 6.18; 6.19+ moved them (PX 0, UX 1, W 2, R 3, DEVICE 4, NORMAL_NC 5).
if kver_ge 6.19; then P_VFIO=0x2c P_RES=0x1c
elif kver_ge 6.9; then P_VFIO=0x16 P_RES=0xe
else P_VFIO=0xe P_RES=0xe; fi
# Protected mode since 6.14 maps through pkvm_pgtable_stage2_map, which refuses device
# memory (-EINVAL, and KVM_RUN fails): that is what we expect there.
PKVM_REFUSES=0
! pkvm_refuses_devices || PKVM_REFUSES=1

bar_start() { sed -n "$(($2 + 1))p" "/sys/bus/pci/devices/$1/resource" | cut -d' ' -f1; }

# check_maps NAME GPA NPAGES PROT PHYS_BASE: the traced maps of a slot.
check_maps() {
	awk -v g="$(($2))" -v n="$3" -v ps="$PS" -v prot="$(($4))" -v phys="$(($5))" \
		-v fn="${MAPFN:-kvm_pgtable_stage2_map}" -v wantret="${WANTRET:-0}" '
	function num(s,  v, i) {
		sub(/^[a-z]+=/, "", s); s = tolower(s)
		if (s !~ /^0x/) return s + 0
		v = 0; for (i = 3; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	$1 == "map" && $2 == fn {
		ipa = num($3); size = num($4); ph = num($5); pr = num($6); r = $7; sub(/^ret=/, "", r)
		if (ipa < g || ipa >= g + n * ps) next
		seen++
		if (size != ps) bad = bad sprintf(" size=0x%x@0x%x", size, ipa)
		if (pr != prot) bad = bad sprintf(" prot=0x%x@0x%x", pr, ipa)
		if (ph - phys != ipa - g) bad = bad sprintf(" phys=0x%x@0x%x", ph, ipa)
		if (r != wantret) bad = bad " ret=" r
		if (pg[ipa]++) bad = bad sprintf(" twice@0x%x", ipa)
	}
	END {
		if (seen != n) printf "%d maps, expected %d;", seen, n
		if (bad != "") printf "%s", substr(bad, 1, 300)
	}' "$S2_TMP/trace" >"$S2_TMP/check"
	if [ -s "$S2_TMP/check" ]; then t_fail "$1" "$(cat "$S2_TMP/check")"; else t_ok "$1"; fi
}

# obs_self WANT: the observer's state is exactly WANT (one VM's signature, see observer.sh).
obs_self() {
	if ! why=$(obs_update); then t_fail obs-self "$why"; return; fi
	t_eq obs-self "$(obs_sigs)" "$1"
}
# obs_self_gone: after the VMM exited, the observer saw the table go.
obs_self_gone() {
	if ! why=$(obs_update); then t_fail obs-self-gone "$why"; return; fi
	t_eq obs-self-gone "$(obs_sigs)" ""
	obs_stop
}

vmm_tests() {
	if [ ! -x "$S2_VMM" ]; then
		t_skip vmm "s2vmm not built"
		return
	fi
	[ $vfio_ok = 1 ] || { t_fail vmm "devices not bound to vfio-pci"; return; }
	e1k=/sys/bus/pci/devices/$S2_E1000E
	echo 1 >"$e1k/enable"
	B_IVS=$(bar_start "$S2_IVSHMEM" 2) B_EDU=$(bar_start "$S2_EDU" 0) B_E1K=$(bar_start "$S2_E1000E" 0)

	if ! s2trace_start 2>"$S2_TMP/kp.err"; then
		t_fail kprobe-events "$(cat "$S2_TMP/kp.err")"
		return
	fi
	t_run obs-start obs_start
	if ! vmm_start tb ram:0:2M "vfio:$G_IVS:$S2_IVSHMEM:2:$((N_IVS * PS))" \
		"vfio:$G_EDU:$S2_EDU:0" "res:$G_E1K:$e1k/resource0:$((N_E1K * PS))" 2>"$S2_TMP/vmm.err"; then
		t_fail vmm-start "$(cat "$S2_TMP/vmm.err")"
		s2trace_stop >/dev/null
		return
	fi
	t_ok vmm-start
	# shellcheck disable=SC2154 # set by vmm_start
	t_diag "VMM pid $tb_PID, VMs: $tb_VMS"

	if [ $PKVM_REFUSES = 1 ]; then
		# Each refused device fault fails KVM_RUN: one VM per device slot.
		a=$(vmm_cmd tb "touch 1 0-$((N_IVS - 1)) w")
		case $a in err*Invalid\ argument*) t_ok touch-vfio-bar-refused ;;
		*) t_fail touch-vfio-bar-refused "answer '$a'" ;; esac
		# The observer: no device page, one refused NORMAL_NC (vfio BAR) map, a table
		# nothing can walk (pKVM 6.14+ keeps it at EL2).
		obs_self "$tb_PID  c:0,0,0,0,0,0 f:0,1,0 state:unwalkable"
		vmm_stop tb
		obs_self_gone
		s2trace_stop >"$S2_TMP/trace"
		MAPFN=pkvm_pgtable_stage2_map WANTRET=-22 \
			check_maps maps-vfio-bar-refused "$G_IVS" 1 "$P_VFIO" "$B_IVS"
		t_skip maps-edu "protected mode >= 6.14 refuses device memory (pkvm_pgtable_stage2_map -EINVAL)"
		t_skip maps-e1000e "protected mode >= 6.14 refuses device memory"
		return
	fi

	t_run touch-ivshmem vmm_cmd tb "touch 1 0-$((N_IVS - 1)) w"
	t_run touch-edu vmm_cmd tb "touch 2 0-$((N_EDU - 1)) r"
	t_run touch-e1000e vmm_cmd tb "touch 3 0-$((N_E1K - 1)) r"
	t_run ivshmem-readback vmm_cmd tb "check 1 0-$((N_IVS - 1))"
	if kver_ge 6.9; then va=NORMAL_NC c="0,$((N_IVS + N_EDU)),0"; else va=DEVICE_nGnRE c="$((N_IVS + N_EDU)),0,0"; fi
	obs_self "$tb_PID $((G_IVS)),$((B_IVS)),$N_IVS,3,$va,vfio,$S2_IVSHMEM,2;$((G_EDU)),$((B_EDU)),$N_EDU,3,$va,vfio,$S2_EDU,0;$((G_E1K)),$((B_E1K)),$N_E1K,3,DEVICE_nGnRE,other,$S2_E1000E,0 c:$c,$N_E1K,0,0 f:0,0,0"
	s2trace_stop >"$S2_TMP/trace"
	t_run vmm-quit vmm_stop tb
	obs_self_gone
	check_maps maps-ivshmem "$G_IVS" $N_IVS "$P_VFIO" "$B_IVS"
	check_maps maps-edu "$G_EDU" $N_EDU "$P_VFIO" "$B_EDU"
	check_maps maps-e1000e "$G_E1K" $N_E1K "$P_RES" "$B_E1K"
	echo 0 >"$e1k/enable"
}
vmm_tests

# --- our module loads on this kernel -------------------------------------------------------
if [ ! -f "$S2_MOD" ]; then
	t_skip module-loads "kvm_s2stat.ko not built"
elif out=$(mod_load 2>&1) && [ -r "$S2_DFS/version" ]; then
	t_ok module-loads
	t_diag "$(cat "$S2_DFS/version")"
	t_run module-unloads mod_unload
else
	t_fail module-loads "${out:-no $S2_DFS/version}"
fi
exit 0
