#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 2400
# 10-make.sh: the source install on the running kernel, as docs/install.md says:
# `make` as a user (module against /lib/modules/$(uname -r)/build with the kernel's gcc, CLI
# with the system cc), `make install` as root (module in extra/ + depmod, CLI and man page
# under /usr/local), `modprobe kvm_s2stat`, the standard check, `make uninstall`.
. "$S2N_PAYLOAD/tests/guest-lib.sh"
. "$S2N_PAYLOAD/tests/lib.sh"

t0=$(cut -d' ' -f1 /proc/uptime)
if as_user make -C "$SRC" >"$S2_TMP/make.log" 2>&1; then
	t_ok make
else
	tail -n 40 "$S2_TMP/make.log" | sed 's/^/# /'
	t_fail make "make failed"
	exit 1
fi
t_diag "s2n: make (module + CLI, native) took $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }') s"
grep -E "Entering directory|BTF|pahole|warning" "$S2_TMP/make.log" | head -n 8 | sed 's/^/# /'
ko=$SRC/kvm_s2stat.ko
t_eq vermagic "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$KREL"
kgcc=$(sed -n 's/^CONFIG_GCC_VERSION=//p' "/lib/modules/$KREL/build/.config")
t_eq module-gcc "$(readelf -p .comment "$ko" | sed -nE 's/.*GCC: \(.*\) ([0-9]+)\..*/\1/p' | sort -u)" "$((kgcc / 10000))"
t_run cli-built test -x "$SRC/build/host/kvm-s2stat"

t_run make-install make -C "$SRC" install
t_eq installed-module "$(ls /lib/modules/"$KREL"/extra/)" kvm_s2stat.ko
t_eq module-path "$(module_path)" "/lib/modules/$KREL/extra/kvm_s2stat.ko"
t_eq cli-path "$(command -v kvm-s2stat)" /usr/local/sbin/kvm-s2stat
t_run man-page test -f /usr/local/share/man/man8/kvm-s2stat.8
t_run modprobe modprobe kvm_s2stat
t_diag "$(cat "$S2_DFS/version")"
std_check std /usr/local/sbin/kvm-s2stat
t_run rmmod rmmod kvm_s2stat

t_run make-uninstall make -C "$SRC" uninstall
t_eq uninstalled-module "$(module_path)" ""
t_eq uninstalled-cli "$(ls /usr/local/sbin/kvm-s2stat /usr/local/share/man/man8/kvm-s2stat.8 2>/dev/null)" ""
exit 0
