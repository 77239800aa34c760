#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 90
# 30-cli.sh: kvm-s2stat on the emulated host.  Its numbers equal the module's for the
# standard VM (table, JSON, Prometheus, devices); --expect nc passes on 6.9+ and fails on
# older kernels (DEVICE_nGnRE), --verify passes; documented exit codes for a missing module
# and an unmounted debugfs.
. "${0%/*}/lib.sh"
. "${0%/*}/modlib.sh"

[ -x "$S2_CLI" ] || { t_fail cli-built "$S2_CLI missing"; exit 1; }
cli() { "$S2_CLI" "$@" >"$S2_TMP/out" 2>"$S2_TMP/err"; echo $? >"$S2_TMP/rc"; }
rc() { cat "$S2_TMP/rc"; }
show() { sed 's/^/# /' "$S2_TMP/out" "$S2_TMP/err"; }

t_run devices setup_devices || exit 1

# Module not loaded: exit 3, one line saying what to do; JSON errors are JSON.
cli
t_eq not-loaded-rc "$(rc)" 3
t_eq not-loaded-msg "$(grep -c modprobe "$S2_TMP/err")" 1
cli -j
t_eq not-loaded-json-rc "$(rc)" 3
case $(cat "$S2_TMP/out") in '{"error":'*) t_ok not-loaded-json ;; *) show; t_fail not-loaded-json ;; esac

t_run load mod_load || exit 1
t_run obs-start obs_start || exit 1
# shellcheck disable=SC2046
vmm_start A $(std_slots) || exit 1
vm=$A_VMS

if [ "$PKVM_REFUSES" = 1 ]; then
	# The refused maps are shown: FAILED=N in the table, by attribute in JSON/Prometheus.
	for s in 1 2 3; do vmm_cmd A "touch $s 0" >/dev/null; done
	wait_vm "$vm"
	cli
	t_eq table-rc "$(rc)" 0
	t_eq table-failed "$(awk -v vm="$vm" '$1 == vm' "$S2_TMP/out" | grep -c 'FAILED=3')" 1
	cli -j -g "$vm"
	t_eq json-failed "$(grep -c '"failed":{"DEVICE_nGnRE":1,"NORMAL_NC":2,"NORMAL":0}' "$S2_TMP/out")" 1
	cli --prometheus
	t_eq prom-failed "$(grep -c "^kvm_s2stat_vm_failed_maps_total{vm=\"$vm\",pid=\"$A_PID\",domain=\"\",uuid=\"\",attr=\"NORMAL_NC\"} 2\$" "$S2_TMP/out")" 1
	cli --verify
	t_eq verify-unavailable-rc "$(rc)" 0
	obs_check refused "$A_PID"
	t_run stop vmm_stop A
	wait_gone "$vm"
	t_run unload mod_unload
	exit 0
fi

t_run touch vmm_cmd A "touch 1 0-15 w"
t_run touch-edu vmm_cmd A "touch 2 0-15"
t_run touch-e1000e vmm_cmd A "touch 3 0-$((E1K_PAGES - 1))"
wait_vm "$vm"
obs_check touched "$A_PID"

# The table: one VM line with the module's numbers, and a total line.
cli
t_eq table-rc "$(rc)" 0
line=$(awk -v vm="$vm" '$1 == vm' "$S2_TMP/out")
set -- $line
if [ "$VFIO_COL" = vfio_nc ]; then want="0 32 0 $E1K_PAGES"; else want="32 0 0 $E1K_PAGES"; fi
t_eq table-vm "$1 $2 $4 $5 $6 $7" "$vm $A_PID $want"
t_eq table-comm "$3" '[s2vmm]'
t_eq table-total "$(grep -c '^total' "$S2_TMP/out")" 1
if [ "$(awk '{ if (length > 80) n++ } END { print n + 0 }' "$S2_TMP/out")" = 0 ]; then t_ok fits-80
else show; t_fail fits-80; fi

# JSON: the same numbers.
cli -j -g "$vm"
t_eq json-rc "$(rc)" 0
if [ "$VFIO_COL" = vfio_nc ]; then v='{"DEVICE_nGnRE":0,"NORMAL_NC":32,"NORMAL":0}'
else v='{"DEVICE_nGnRE":32,"NORMAL_NC":0,"NORMAL":0}'; fi
t_eq json-vfio "$(grep -c "\"vfio_pages\":$v" "$S2_TMP/out")" 1
t_eq json-other "$(grep -c "\"other_pages\":{\"DEVICE_nGnRE\":$E1K_PAGES,\"NORMAL_NC\":0,\"NORMAL\":0}" "$S2_TMP/out")" 1
t_eq json-map-hook "$(grep -c "\"map_hook\":\"$(stats_v map_hook)\"" "$S2_TMP/out")" 1

# Prometheus: per-VM and per-device series.
cli --prometheus
t_eq prom-rc "$(rc)" 0
t_eq prom-vm "$(grep -c "^kvm_s2stat_vm_mapped_bytes{vm=\"$vm\",pid=\"$A_PID\",domain=\"\",uuid=\"\",class=\"vfio\",attr=\"$VFIO_ATTR\"} $((32 * PS))\$" "$S2_TMP/out")" 1
t_eq prom-dev "$(grep -c "^kvm_s2stat_device_mapped_bytes{vm=\"$vm\",pid=\"$A_PID\",domain=\"\",uuid=\"\",bdf=\"$S2_IVSHMEM\",bar=\"2\",driver=\"vfio-pci\",class=\"vfio\",attr=\"$VFIO_ATTR\"} $((16 * PS))\$" "$S2_TMP/out")" 1

# Devices: one line per BAR.
cli -D
t_eq devices-rc "$(rc)" 0
t_eq devices-ivshmem "$(awk -v b="$S2_IVSHMEM" '$1 == b && $2 == 2 { print $3, $4, $6, $7, $8 }' "$S2_TMP/out")" "vfio-pci $vm vfio $VFIO_ATTR 16"
t_eq devices-edu "$(awk -v b="$S2_EDU" '$1 == b && $2 == 0 { print $3, $6, $8 }' "$S2_TMP/out")" "vfio-pci vfio 16"
t_eq devices-e1000e "$(awk -v b="$S2_E1000E" '$1 == b { print $3, $6, $7, $8 }' "$S2_TMP/out")" "- other DEVICE_nGnRE $E1K_PAGES"

# Policy: NORMAL_NC since 6.9.
cli --expect nc
if kver_ge 6.9; then t_eq expect-nc "$(rc)" 0; else
	t_eq expect-nc-fails "$(rc)" 10
	t_eq expect-nc-offenders "$(grep -c "$S2_IVSHMEM" "$S2_TMP/out" "$S2_TMP/err" | awk -F: '{ n += $2 } END { print (n > 0) }')" 1
fi
cli --expect device
if kver_ge 6.9; then t_eq expect-device-fails "$(rc)" 10; else t_eq expect-device "$(rc)" 0; fi
cli --verify
t_eq verify-rc "$(rc)" 0
cli -w 1 --once
t_eq watch-once-rc "$(rc)" 0
cli -m -g "$vm"
t_eq mappings-rc "$(rc)" 0
t_eq mappings-lines "$(grep "$VFIO_ATTR" "$S2_TMP/out" | grep -c vfio-pci)" 2

t_run stop vmm_stop A
wait_gone "$vm"
obs_check gone
cli
t_eq no-vms-rc "$(rc)" 0

# debugfs not mounted: exit 4.
umount /sys/kernel/debug
cli
t_eq unmounted-rc "$(rc)" 4
t_eq unmounted-msg "$(grep -c 'mount -t debugfs' "$S2_TMP/err")" 1
mount -t debugfs none /sys/kernel/debug
t_run unload mod_unload
