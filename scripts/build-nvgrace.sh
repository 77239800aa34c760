#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-nvgrace.sh LINE: nvgrace-gpu-vfio-pci.ko for kernel line LINE, built out of tree from
# that kernel's own Debian source package, unmodified, into $B/LINE/nvgrace/.
#
# Debian builds the driver's source but not the driver: CONFIG_NVGRACE_GPU_VFIO_PCI is not
# set in its arm64 7.3 kernel (docs/grace.md).  So the grace cells build it: the driver's
# directory (drivers/vfio/pci/nvgrace-gpu/: Makefile, Kconfig, main.c) is extracted from
# linux-source-<major.minor> of exactly the line's package version, and built with its own
# Makefile (CONFIG_NVGRACE_GPU_VFIO_PCI=m on the make line) against the line's headers, by
# the kernel's compiler major in the line's build environment (kernels/LINE.conf BUILDENV,
# the cached chroot of build-module.sh).  The source tree is never written.  Rebuilt only
# when the kernel, the source or this script change.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 LINE"
load_line "$1"
"$TOP/scripts/fetch-kernel.sh" "$LINE"

kdir=$(cd "$KROOT/$LINE" && pwd -P)
hdr=$(cd "$kdir/build" && pwd -P)
abi=$(cat "$kdir/abi")
kpkgver=$(awk 'NR == 1 { print $2 }' "$kdir/versions")
common=$(readlink -f "$hdr/../linux-headers-${abi%-"$FLAVOUR"}-common")
mm=$(sed -nE 's/^VERSION = ([0-9]+)/\1/p; s/^PATCHLEVEL = ([0-9]+)/\1/p' "$common/Makefile" | paste -sd.)
[ -n "$mm" ] || die "cannot tell the version of $abi from $common/Makefile"
out=$B/$LINE/nvgrace
ko=$out/nvgrace-gpu-vfio-pci.ko
cross=${CROSS_COMPILE_ARM64:-aarch64-linux-gnu-}
kgcc=$(kernel_gcc_major "$hdr")
[ "$kgcc" = "$GCC" ] || die "kernels/$LINE.conf says GCC=$GCC but $abi was built with gcc-$kgcc"

# The driver's source, once per source package version.
srcpkg=linux-source-$mm
src=$CACHE/src/${srcpkg}_${kpkgver//[:~+]/_}/nvgrace-gpu
if [ ! -f "$src/main.c" ]; then
	cache_lock
	papt_init
	log "extracting drivers/vfio/pci/nvgrace-gpu from $srcpkg $kpkgver (once; ~20 s)"
	dl=$CACHE/debs
	mkdir -p "$dl"
	(cd "$dl" && papt_get download "$srcpkg:all=$kpkgver" >/dev/null) ||
		die "cannot download $srcpkg $kpkgver (the source of $abi)"
	deb=$dl/${srcpkg}_${kpkgver//:/%3a}_all.deb
	[ -f "$deb" ] || die "downloaded $srcpkg but cannot find $deb"
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$srcpkg.tar.xz" | xz -dc |
		tar -x -C "$src.tmp" --strip-components=5 "$srcpkg/drivers/vfio/pci/nvgrace-gpu/"
	for f in Makefile main.c; do
		[ -f "$src.tmp/$f" ] || die "$srcpkg $kpkgver has no drivers/vfio/pci/nvgrace-gpu/$f"
	done
	rm -rf "$src"
	mv "$src.tmp" "$src"
	rm -f "$deb"	# 160 MB; the three files are what we keep
	flock -u 9
fi

# Build environment: as build-module.sh's (lib.sh in_buildenv: host, or its cached chroot
# entered in a private mount namespace, the kernel tree read-only, the build directory writable).
case $BUILDENV in
host) ;;
chroot:*)
	chroot=$CACHE/chroot-${BUILDENV#chroot:}
	[ -f "$chroot.ok" ] || "$TOP/scripts/build-module.sh" "$LINE" >&2
	[ -f "$chroot.ok" ] || die "no $BUILDENV build chroot in $chroot" ;;
*) die "kernels/$LINE.conf: unknown BUILDENV '$BUILDENV'" ;;
esac
in_env() { in_buildenv "${chroot:-}" "$kdir" "$out/build" "$@"; }

stamp=$( {
	echo "$abi $BUILDENV $kpkgver"
	sha256sum "$0" "$hdr/.config" "$hdr/Module.symvers" "$src"/*
} | sha256sum | cut -d' ' -f1)
if [ -f "$ko" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
	log "line $LINE: $ko up to date"
	exit 0
fi
log "line $LINE: building nvgrace-gpu-vfio-pci.ko from $srcpkg $kpkgver with gcc-$GCC ($BUILDENV)"
rm -rf "$out"
mkdir -p "$out/build"
cp "$src"/* "$out/build/"
if ! in_env make -s -C "$hdr" M="$out/build" ARCH=arm64 CROSS_COMPILE="$cross" \
	CONFIG_NVGRACE_GPU_VFIO_PCI=m modules >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	die "line $LINE: nvgrace-gpu-vfio-pci build failed (log: $out/build.log)"
fi
magic=$(modinfo -F vermagic "$out/build/nvgrace-gpu-vfio-pci.ko")
[ "${magic%% *}" = "$abi" ] || die "nvgrace-gpu-vfio-pci.ko vermagic '$magic' does not match $abi"
kogcc=$(ko_gcc_major "$out/build/nvgrace-gpu-vfio-pci.ko")
[ "$kogcc" = "$kgcc" ] || die "nvgrace-gpu-vfio-pci.ko built by gcc-$kogcc, $abi by gcc-$kgcc"
cp "$out/build/nvgrace-gpu-vfio-pci.ko" "$ko"
echo "$srcpkg $kpkgver" >"$out/source"
echo "$stamp" >"$out/.stamp"
log "line $LINE: $ko ($(stat -c %s "$ko") bytes, gcc-$kogcc, $srcpkg $kpkgver)"
