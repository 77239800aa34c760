#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-module.sh LINE [DIR]: build kvm_s2stat.ko for kernel line LINE (kernels/LINE.conf) into
# $B/LINE/kvm_s2stat.ko, warnings as errors.  With DIR (a directory holding the Kbuild and
# sources of one more out-of-tree module, e.g. the real-VMM cells' guest test module
# tests/realvm/kmod), that module instead: $B/LINE/<name>.ko, <name> from its Kbuild's obj-m.
#
# The sources (Kbuild, module/, include/) are copied to $B/LINE/mod/ so that several kernels
# build from one checkout; the source tree is never written.  The module is built with the
# kernel's own compiler major (the .conf's GCC, checked against the headers' .config):
#   BUILDENV=host            the build machine's aarch64-linux-gnu-gcc-<GCC>
#   BUILDENV=chroot:<suite>  a cached `debootstrap --variant=minbase <suite>` chroot
#                            ($B/cache/chroot-<suite>), entered in a private mount namespace
#                            (unshare) so its bind mounts vanish with the build, even on failure.
# Rebuilds only when the sources, the kernel or this script change.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || [ $# -eq 2 ] || die "usage: $0 LINE [DIR]"
load_line "$1"
if [ $# -eq 2 ]; then
	srcdir=$(cd "$2" && pwd) || die "$2: no such directory"
	name=$(sed -n 's/^obj-m *:= *\([A-Za-z0-9_]*\)\.o *$/\1/p' "$srcdir/Kbuild")
	[ -n "$name" ] || die "$srcdir/Kbuild: no 'obj-m := <name>.o' line"
	items=$(cd "$srcdir" && ls -A)
else
	srcdir=$TOP name=kvm_s2stat items='Kbuild module include'
fi
"$TOP/scripts/fetch-kernel.sh" "$LINE"

kdir=$(cd "$KROOT/$LINE" && pwd -P)
hdr=$(cd "$kdir/build" && pwd -P)
abi=$(cat "$kdir/abi")
out=$B/$LINE
mod=$out/mod${2:+-$name}
ko=$out/$name.ko
stampf=$out/.module-stamp${2:+-$name}
cross=${CROSS_COMPILE_ARM64:-aarch64-linux-gnu-}
# W=1 is clean on every line so far; MODULE_W= (empty) turns it off.
extra=${MODULE_W-W=1}

kgcc=$(kernel_gcc_major "$hdr")
[ "$kgcc" = "$GCC" ] ||
	die "kernels/$LINE.conf says GCC=$GCC but $abi was built with gcc-$kgcc ($(kconfig "$hdr" CC_VERSION_TEXT))"

# CHROOT_PKGS: what the chroot build needs (the kbuild tools' resolve_btfids needs libelf).
# On an arm64 build machine the compiler is the native gcc-N (it also installs
# aarch64-linux-gnu-gcc-N); elsewhere the cross gcc-N-aarch64-linux-gnu.
if [ "$HOST_DEB_ARCH" = arm64 ]; then ccpkg=gcc-$GCC; else ccpkg=gcc-$GCC-aarch64-linux-gnu; fi
CHROOT_PKGS="$ccpkg make kmod pahole xz-utils libelf1t64"

# ensure_chroot SUITE: create (once) and print the cached build chroot of SUITE.
ensure_chroot() {
	local suite=$1 ch=$CACHE/chroot-$1 tmp
	if [ -f "$ch.ok" ] && [ "$(cat "$ch.ok")" = "$CHROOT_PKGS" ]; then
		echo "$ch"
		return
	fi
	command -v debootstrap >/dev/null || die "debootstrap missing: run 'make setup'"
	[ "$(id -u)" = 0 ] || die "creating the $suite build chroot needs root"
	tmp=$ch.tmp
	rm -rf "$tmp" "$ch" "$ch.ok"
	log "creating the $suite build chroot ($CHROOT_PKGS) in $ch (once; ~35 s)"
	debootstrap --variant=minbase --keyring="$DEBIAN_KEYRING" \
		--include="$(echo "$CHROOT_PKGS" | tr ' ' ,)" "$suite" "$tmp" "$DEBIAN_MIRROR" \
		>"$CACHE/chroot-$suite.log" 2>&1 ||
		{ tail -n 20 "$CACHE/chroot-$suite.log" >&2; die "debootstrap $suite failed (log: $CACHE/chroot-$suite.log)"; }
	rm -rf "$tmp/var/cache/apt/archives/"*.deb
	mv "$tmp" "$ch"
	echo "$CHROOT_PKGS" >"$ch.ok"
	echo "$ch"
}

# in_env CMD...: run CMD in the line's build environment, with $kdir (read-only) and $mod
# visible at their own paths (lib.sh in_buildenv).
in_env() { in_buildenv "${chroot:-}" "$kdir" "$mod" "$@"; }

case $BUILDENV in
host) ;;
chroot:*)
	cache_lock
	chroot=$(ensure_chroot "${BUILDENV#chroot:}")
	flock -u 9 ;;
esac

mkdir -p "$mod"
cc=${cross}gcc-$GCC
in_env sh -c "command -v $cc" >/dev/null ||
	die "$cc not found in the $BUILDENV build environment (run 'make setup')"
ccver=$(in_env "$cc" -dumpfullversion)
[ "${ccver%%.*}" = "$kgcc" ] ||
	die "refusing to build for $abi (gcc-$kgcc) with $cc $ccver: different compiler major"

stamp=$( {
	echo "$abi $BUILDENV $ccver $extra break=${S2_BREAK:-}"
	[ -z "${S2_BREAK:-}" ] || sha256sum "$TOP/tests/break/$S2_BREAK.patch"
	sha256sum "$0" "$hdr/.config" "$hdr/Module.symvers"
	# shellcheck disable=SC2086 # items: file names without spaces
	tar -C "$srcdir" -c --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		$items | sha256sum
} | sha256sum | cut -d' ' -f1)
if [ -f "$ko" ] && [ -f "$stampf" ] && [ "$(cat "$stampf")" = "$stamp" ]; then
	log "line $LINE: $ko up to date"
	exit 0
fi

log "line $LINE: building $name.ko for $abi with $cc $ccver ($BUILDENV)"
rm -rf "$mod" "$ko" "$stampf"
mkdir -p "$mod"
# shellcheck disable=SC2086
(cd "$srcdir" && cp -a $items "$mod/")
# S2_BREAK=NAME: a deliberately broken module for proving the tests (tests/break/NAME.patch,
# applied to the build copy of kvm_s2stat only; never in a normal build).
if [ -n "${S2_BREAK:-}" ] && [ "$name" = kvm_s2stat ]; then
	warn "line $LINE: building a deliberately BROKEN module (S2_BREAK=$S2_BREAK)"
	patch -s -d "$mod" -p1 <"$TOP/tests/break/$S2_BREAK.patch" || die "tests/break/$S2_BREAK.patch does not apply"
fi
if ! in_env make -s -j"$(nproc)" -C "$hdr" M="$mod" ARCH=arm64 CROSS_COMPILE="$cross" \
	KCFLAGS=-Werror ${extra:+"$extra"} modules >"$out/$name-build.log" 2>&1; then
	cat "$out/$name-build.log" >&2
	die "line $LINE: module build failed (log: $out/$name-build.log)"
fi
grep -v '^Skipping BTF generation' "$out/$name-build.log" >&2 || true
[ -f "$mod/$name.ko" ] || die "line $LINE: the build produced no $name.ko"

# The result must be loadable by exactly this kernel, built by the kernel's compiler major.
magic=$(modinfo -F vermagic "$mod/$name.ko")
[ "${magic%% *}" = "$abi" ] || die "line $LINE: module vermagic '$magic' does not match $abi"
kogcc=$(ko_gcc_major "$mod/$name.ko")
[ "$kogcc" = "$kgcc" ] || die "line $LINE: module built by gcc-$kogcc, kernel by gcc-$kgcc"

cp "$mod/$name.ko" "$ko.tmp"
mv "$ko.tmp" "$ko"
echo "$stamp" >"$stampf"
log "line $LINE: $ko ($(stat -c %s "$ko") bytes, gcc-$kogcc)"
