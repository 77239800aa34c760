#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-vmimage.sh LINE: the image of the testbed's real-VMM cells of kernel line LINE,
# $B/LINE/realvm.img (docs/testbed.md, "Real-VMM cells").
#
# The line's testbed initramfs (scripts/build-initramfs.sh) followed by a layer
# (scripts/vmimage.sh, shared with `make demo`) holding:
#   /usr/bin/qemu-system-aarch64 + its shared objects     Debian's arm64 QEMU (VM_QEMU_SUITE)
#   /s2/realvm/                  tests/realvm/*.sh: the scenarios (tests/guest/init runs them
#                                with s2.suite=realvm) and vmlib.sh
#   /s2/realvm-bench/            tests/realvm/bench/*.sh: make bench's (s2.suite=realvm-bench)
#   /vm/guest/vmlinuz            the same Debian kernel, for the nested guests
#   /vm/guest/initrd.gz          the nested guests' initramfs: busybox, tests/realvm/guest/init,
#                                wcmap (tests/realvm/guest/wcmap.c), s2wc.ko (tests/realvm/kmod,
#                                built for LINE), e1000e.ko of LINE's kernel
# Rebuilt only when an input changes.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/vmimage.sh
. "$TOP/scripts/vmimage.sh"

[ $# -eq 1 ] || die "usage: $0 LINE"
load_line "$1"
"$TOP/scripts/build-initramfs.sh" "$LINE"
"$TOP/scripts/build-module.sh" "$LINE" "$TOP/tests/realvm/kmod"

kdir=$KROOT/$LINE
out=$B/$LINE
base=$out/initramfs.cpio.gz
img=$out/realvm.img
moddir=$(cd "$kdir/modules" && pwd -P)
wcmap=$B/aarch64/wcmap
vmi_static "$wcmap" "$TOP/tests/realvm/guest/wcmap.c"
qtree=$(vmi_qemu_tree)

sum=$( {
	sha256sum "$base" "$kdir/versions" "$out/s2wc.ko" "$wcmap" "$0" "$TOP/scripts/vmimage.sh" \
		"$TOP"/tests/realvm/*.sh "$TOP"/tests/realvm/bench/*.sh "$TOP/tests/realvm/guest/init"
	echo "$qtree $(cat "$qtree.ok") $(command -v lz4 || true)"
} | sha256sum | cut -d' ' -f1)
if [ -f "$img" ] && [ "$(cat "$out/.realvm-sum" 2>/dev/null)" = "$sum" ]; then
	log "line $LINE: $img up to date"
	exit 0
fi

g=$out/realvm-guest.tmp
st=$out/realvm-layer.tmp
vmi_guest_base "$g"
install -m 0755 "$TOP/tests/realvm/guest/init" "$g/init"
install -m 0755 "$wcmap" "$g/bin/wcmap"
mkdir -p "$g/lib"
cp "$out/s2wc.ko" "$g/lib/s2wc.ko"
vmi_guest_kmods "$g" "$moddir" e1000e
rm -rf "$st"
mkdir -p "$st/vm/guest" "$st/s2/realvm" "$st/s2/realvm-bench"
cp -a "$qtree/." "$st/"
cp "$TOP"/tests/realvm/*.sh "$st/s2/realvm/"
cp "$TOP"/tests/realvm/bench/*.sh "$st/s2/realvm-bench/"
cp "$(readlink -f "$kdir/vmlinuz")" "$st/vm/guest/vmlinuz"
vmi_mkcpio "$g" | gzip -n -1 >"$st/vm/guest/initrd.gz"
vmi_layer "$base" "$st" "$img"
echo "$sum" >"$out/.realvm-sum"
rm -rf "$g" "$st"
log "line $LINE: $img ($(du -m "$img" | cut -f1) MiB: testbed image + qemu + guest kernel and initramfs)"
