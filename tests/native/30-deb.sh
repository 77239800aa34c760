#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 2400
# 30-deb.sh: the Debian packages.  Built here natively with `dpkg-buildpackage -us -uc` as a
# user (source, kvm-s2stat arm64, kvm-s2stat-dkms all; copied to the payload's out/ for the
# build machine's lintian), unless an earlier boot built them (payload debs/).  Then `apt-get
# install` of both .debs: dkms builds the module for every kernel with headers, modprobe
# loads it, the standard check with /usr/sbin/kvm-s2stat; `apt-get purge` removes it all.
. "$S2N_PAYLOAD/tests/guest-lib.sh"
. "$S2N_PAYLOAD/tests/lib.sh"

ver=$(dpkg-parsechangelog -l "$S2N_SRC/debian/changelog" -S Version)
pkgdir=/home/builder/pkg
if ls "$S2N_PAYLOAD"/debs/kvm-s2stat_"$ver"_arm64.deb >/dev/null 2>&1; then
	t_diag "s2n: installing the packages built by an earlier boot"
	mkdir -p "$pkgdir" && cp "$S2N_PAYLOAD"/debs/*.deb "$pkgdir/"
else
	as_user mkdir -p "$pkgdir"
	as_user cp -a "$S2N_SRC" "$pkgdir/kvm-s2stat-$ver"
	t0=$(cut -d' ' -f1 /proc/uptime)
	if as_user env -C "$pkgdir/kvm-s2stat-$ver" dpkg-buildpackage -us -uc >"$S2_TMP/build.log" 2>&1; then
		t_ok dpkg-buildpackage
	else
		tail -n 40 "$S2_TMP/build.log" | sed 's/^/# /'
		t_fail dpkg-buildpackage "dpkg-buildpackage -us -uc failed"
		exit 1
	fi
	t_diag "s2n: dpkg-buildpackage (native arm64) took $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }') s"
	cp "$S2_TMP/build.log" "$S2N_OUT/dpkg-buildpackage.log"
	cp "$pkgdir"/kvm-s2stat*_"$ver"* "$S2N_OUT/"
	(cd "$pkgdir" && ls kvm-s2stat*_"$ver"*) | sed 's/^/# built: /'
fi
deb=$pkgdir/kvm-s2stat_${ver}_arm64.deb
dkmsdeb=$pkgdir/kvm-s2stat-dkms_${ver}_all.deb
t_diag "$(dpkg-deb -f "$deb" Package Version Architecture Depends | tr '\n' ' ')"

kernels=$(for k in /lib/modules/*/build; do k=${k%/build}; echo "${k##*/}"; done)
t0=$(cut -d' ' -f1 /proc/uptime)
if apt-get -q -y -o Dpkg::Use-Pty=0 install "$deb" "$dkmsdeb" >"$S2_TMP/apt.log" 2>&1; then
	t_ok apt-install
else
	tail -n 40 "$S2_TMP/apt.log" | sed 's/^/# /'
	t_fail apt-install "apt-get install of the two packages failed"
	exit 1
fi
t_diag "s2n: apt-get install ($(echo "$kernels" | wc -w) kernel(s) with headers) took $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }') s"
grep -E "^(Building|Installing|Running|Signing|Building module)|dkms" "$S2_TMP/apt.log" | head -n 20 | sed 's/^/# apt: /'
t_diag "$ dkms status"
dkms status | sed 's/^/# /'
# Debian's dkms postinst builds for the running kernel (and the newest installed) only;
# another kernel's build happens when it is installed or boots (dkms autoinstall, run here
# as its kernel postinst hook and dkms.service would).
dstat() { dkms status kvm-s2stat/"$ver" -k "$1" | sed 's/.*: //'; }
t_eq "status-$KREL" "$(dstat "$KREL")" installed
for k in $kernels; do
	[ "$k" != "$KREL" ] || continue
	if [ "$(dstat "$k")" != installed ]; then
		t_diag "$k: $(dstat "$k") after apt-get install; dkms autoinstall -k $k"
		dkms autoinstall -k "$k" >"$S2_TMP/autoinstall.log" 2>&1 ||
			tail -n 20 "$S2_TMP/autoinstall.log" | sed 's/^/# /'
	fi
	t_eq "status-$k" "$(dstat "$k")" installed
done
t_eq cli-path "$(command -v kvm-s2stat)" /usr/sbin/kvm-s2stat
t_run man-page test -f /usr/share/man/man8/kvm-s2stat.8.gz
case $(module_path) in
"/lib/modules/$KREL/updates/dkms/kvm_s2stat.ko"*) t_ok module-path ;;
*) t_fail module-path "modinfo -n: '$(module_path)'" ;;
esac
t_run modprobe modprobe kvm_s2stat
std_check std /usr/sbin/kvm-s2stat
t_run rmmod rmmod kvm_s2stat

t_run apt-purge apt-get -q -y -o Dpkg::Use-Pty=0 purge kvm-s2stat kvm-s2stat-dkms
t_eq status-after "$(dkms status kvm-s2stat)" ""
t_eq module-after "$(module_path)" ""
t_eq files-after "$(ls -d /usr/src/kvm-s2stat-* /usr/sbin/kvm-s2stat 2>/dev/null)" ""
exit 0
