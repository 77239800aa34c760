#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 90
# 20-module.sh: kvm_s2stat on the standard VM.  One VM with RAM, a VFIO RAM-backed BAR slot
# (ivshmem BAR2), a VFIO MMIO BAR slot (edu BAR0) and a non-VFIO device slot (e1000e
# resource0, no driver); the guest touches 16 pages of each device slot.  6.1 shows 32 VFIO
# pages DEVICE_nGnRE, 6.9+ 32 NORMAL_NC; 16 other-device pages DEVICE_nGnRE; one coalesced
# range per slot with the right BDF and BAR; the walker (verify) agrees; the guest's
# ivshmem writes reached the device.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"

t_run devices setup_devices || exit 1
t_run load mod_load || exit 1
case $(cat "$S2_DFS/version") in
"kvm_s2stat "*" format 3") t_ok version ;;
*) t_fail version "$(cat "$S2_DFS/version")" ;;
esac
t_eq stats-page-size "$(stats_v page_size)" "$PS"
t_eq stats-fwb "$(stats_v fwb)" "$S2_FWB"
t_eq stats-kvm-mode "$(stats_v kvm_mode)" "$S2_KVM_MODE"
# Maps are hooked with an ftrace callback on entry and read back from the table; only
# pKVM 6.14+ (whose table cannot be read) needs a return hook: fprobe (CONFIG_FPROBE=y).
if [ "$PKVM_REFUSES" = 1 ]; then hook=fprobe; else hook=ftrace; fi
t_eq stats-map-hook "$(stats_v map_hook)" "$hook"
t_eq stats-vfio-bars "$(stats_v vfio_bars)" 3		# ivshmem BAR0+BAR2, edu BAR0
# Cacheable PFNMAP (6.17+) needs FWB and DIC; QEMU 7.2's -cpu max has FWB, not DIC.
if ! kver_ge 6.17; then cp=kernel; elif [ "$S2_FWB" = 1 ]; then cp=no-dic; else cp=no-fwb-dic; fi
t_eq stats-cacheable-pfnmap "$(stats_v cacheable_pfnmap)" "$cp"

t_run obs-start obs_start || exit 1
# shellcheck disable=SC2046
vmm_start A $(std_slots) || { t_fail vmm-start "$(cat "$S2_TMP/vmm.A/err")"; exit 1; }
vm=$A_VMS

if [ "$PKVM_REFUSES" = 1 ]; then
	# Every device slot's first page is refused: one failed map each, with the attribute
	# KVM asked for (vfio BARs NORMAL_NC, the sysfs resource DEVICE_nGnRE); nothing mapped.
	t_run touch-ram vmm_cmd A "touch 0 8"
	for s in 1 2 3; do
		out=$(vmm_cmd A "touch $s 0-3")
		case $out in *"KVM_RUN: Invalid argument (done=0)"*) t_ok "refused-$s" ;;
		*) t_fail "refused-$s" "$out" ;; esac
	done
	t_run vm-dir wait_vm "$vm"
	counts_eq counts "$vm" 0 0
	t_eq failed "$(sum "$vm" failed)" 3
	t_eq failed-attrs "$(st "$vm" failed_device)/$(st "$vm" failed_nc)/$(st "$vm" failed_normal)" 1/2/0
	t_eq stats-failed "$(stats_v probe_map_failed)" 3
	t_eq verify-unavailable "$(awk '$1 == "result" { print $2 }' "$S2_DFS/$vm/verify")" unavailable
	t_eq table-unavailable "$(tail -n1 "$S2_DFS/$vm/table")" "result unavailable"
	obs_check refused "$A_PID"
	t_run vmm-stop vmm_stop A
	t_run vm-dir-removed wait_gone "$vm"
	obs_check gone
	wait_idle
t_eq live-objects-idle "$(stats_v live_objects)" 0
	t_run unload mod_unload
	exit 0
fi

t_run touch-ivshmem vmm_cmd A "touch 1 0-15 w"
t_run touch-edu vmm_cmd A "touch 2 0-15"
t_run touch-e1000e vmm_cmd A "touch 3 0-$((E1K_PAGES - 1))"
t_run vm-dir wait_vm "$vm"

counts_eq counts "$vm" 32 "$E1K_PAGES"
t_eq state "$(sum "$vm" state)" exact
t_eq pid "$(sum "$vm" pid)" "$A_PID"
t_eq failed "$(sum "$vm" failed)/$(sum "$vm" drops)" 0/0
t_eq status-vfio "$(st "$vm" "$VFIO_KEY")" 32
t_eq status-vfio-bytes "$(st "$vm" vfio_bytes)" $((32 * PS))
t_eq status-other-bytes "$(st "$vm" other_bytes)" $((E1K_PAGES * PS))
t_eq status-ranges "$(st "$vm" ranges)" 3
t_eq status-leaves "$(st "$vm" page_leaves)/$(st "$vm" block_leaves)" "$((32 + E1K_PAGES))/0"
t_eq status-found "$(st "$vm" found)" fault
obs_check touched "$A_PID"

maps "$vm" >"$S2_TMP/maps"
{
	map_line $G_IVS "$S2_IVSHMEM" 2 0 16 "$VFIO_ATTR" "$VFIO_MEMATTR" vfio vfio-pci vma "$VFIO_REASON"
	map_line $G_EDU "$S2_EDU" 0 0 16 "$VFIO_ATTR" "$VFIO_MEMATTR" vfio vfio-pci vma "$VFIO_REASON"
	map_line $G_E1K "$S2_E1000E" 0 0 "$E1K_PAGES" DEVICE_nGnRE 0x1 other - vma "$RES_REASON"
} >"$S2_TMP/maps.want"
if cmp -s "$S2_TMP/maps" "$S2_TMP/maps.want"; then t_ok mappings; else
	sed 's/^/# got:  /' "$S2_TMP/maps"; sed 's/^/# want: /' "$S2_TMP/maps.want"
	t_fail mappings "mappings differ"
fi
t_run ivshmem-data vmm_cmd A "check 1 0-15"
verify_ok verify "$vm"

# The real table: RAM leaves are Normal, forced write-back with FWB (0x6), WB without (0xf).
tail -n +3 "$S2_DFS/$vm/table" | tr -s ' ' >"$S2_TMP/table"
t_eq table-result "$(tail -n1 "$S2_TMP/table")" "result ok"
if [ "$S2_FWB" = 1 ]; then ram="0x6 NORMAL_FWB_WB"; else ram="0xf NORMAL_WB"; fi
ramattr=$(awk '$10 == "ram" { print $7, $8 }' "$S2_TMP/table" | sort -u)
t_eq table-ram-memattr "$ramattr" "$ram"
t_eq table-device-lines "$(awk '$10 == "device"' "$S2_TMP/table" | wc -l | tr -d ' ')" 3

# Files are root-only; the control rejects garbage and changes nothing.
t_eq mode-summary "$(stat -c %a "$S2_DFS/summary")" 400
t_eq mode-mappings "$(stat -c %a "$S2_DFS/$vm/mappings")" 400
t_eq mode-resync "$(stat -c %a "$S2_DFS/$vm/resync")" 200
for bad in 0 2 x -1 "1 1" 11; do
	if printf '%s' "$bad" >"$S2_DFS/$vm/resync" 2>/dev/null; then
		t_fail "resync-rejects-'$bad'" "accepted"
	else t_ok "resync-rejects-'$bad'"; fi
done
t_run resync-accepts-1 sh -c "echo 1 >$S2_DFS/$vm/resync"
counts_eq counts-after-resync "$vm" 32 "$E1K_PAGES"
verify_ok verify-after-resync "$vm"
obs_check after-resync "$A_PID"

t_run vmm-stop vmm_stop A
t_run vm-dir-removed wait_gone "$vm"
obs_check gone
wait_idle
t_eq live-objects-idle "$(stats_v live_objects)" 0
t_run unload mod_unload
