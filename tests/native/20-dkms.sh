#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 2400
# 20-dkms.sh: DKMS from the source tree: `make dkms-install` (sources and dkms.conf to
# /usr/src/kvm-s2stat-<version>, dkms add, dkms install for every kernel with headers),
# `dkms status` says installed for each, modprobe loads the DKMS build, the standard check,
# `make dkms-uninstall` removes it everywhere.
. "$S2N_PAYLOAD/tests/guest-lib.sh"
. "$S2N_PAYLOAD/tests/lib.sh"

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$SRC/dkms.conf")
as_user make -C "$SRC" cli >/dev/null 2>&1 || t_fail cli "make cli failed"
kernels=$(for k in /lib/modules/*/build; do k=${k%/build}; echo "${k##*/}"; done)
t0=$(cut -d' ' -f1 /proc/uptime)
if make -C "$SRC" dkms-install >"$S2_TMP/dkms.log" 2>&1; then t_ok dkms-install; else
	tail -n 30 "$S2_TMP/dkms.log" | sed 's/^/# /'
	f=/var/lib/dkms/kvm-s2stat/$ver/build/make.log
	[ ! -f "$f" ] || tail -n 20 "$f" | sed 's/^/# make.log: /'
	t_fail dkms-install "make dkms-install failed"
fi
t_diag "s2n: dkms install for $(echo "$kernels" | wc -w) kernel(s) took $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }') s"
t_diag "$ dkms status"
dkms status | sed 's/^/# /'
for k in $kernels; do
	t_eq "status-$k" "$(dkms status kvm-s2stat/"$ver" -k "$k" | sed 's/.*: //')" installed
done
case $(module_path) in
"/lib/modules/$KREL/updates/dkms/kvm_s2stat.ko"*) t_ok module-path ;;
*) t_fail module-path "modinfo -n: '$(module_path)'" ;;
esac
t_run modprobe modprobe kvm_s2stat
std_check std "$SRC/build/host/kvm-s2stat"
t_run rmmod rmmod kvm_s2stat
t_run dkms-uninstall make -C "$SRC" dkms-uninstall
t_eq status-after "$(dkms status kvm-s2stat)" ""
t_eq module-after "$(module_path)" ""
exit 0
