#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-initramfs.sh LINE: the testbed initramfs of kernel line LINE, $B/LINE/initramfs.cpio.gz.
#
# Contents:
#   /init, /s2/tests/*      tests/guest/ (init is PID 1; lib.sh; NN-*.sh scenarios; fixtures)
#   /s2/bench/*.sh          tests/bench/ (benchmarks; init runs them instead with s2.suite=bench)
#   /bin/busybox, /bin/sh   busybox-static (arm64 .deb through the private apt root)
#   /s2/kmod/NN-<name>.ko   the kernel's vfio modules, decompressed, in dependency order
#                           (from `modinfo -F depends` of $GUEST_KMODS)
#   /s2/kvm_s2stat.ko       our module for LINE ($B/LINE/kvm_s2stat.ko, `make modules`)
#   /s2/bin/s2vmm, /s2/bin/kvm-s2stat   static aarch64 binaries ($B/aarch64/, `make cross`)
#   /s2/bin/s2bench         the benchmarks' timing helper, when built (`make bench`)
#   /s2/modes               kernels/modes (what each boot mode must give)
#   /s2/build.env           S2_LINE, S2_KREL, S2_KVER, S2_PAGE_SIZE, what was left out
# Missing optional parts (our module, binaries) are left out with a warning.  The image is
# rewritten only when its contents change.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 LINE"
load_line "$1"
"$TOP/scripts/fetch-kernel.sh" "$LINE"

GUEST_KMODS=${GUEST_KMODS:-vfio vfio_iommu_type1 vfio-pci}
kdir=$KROOT/$LINE
hdr=$kdir/build
abi=$(cat "$kdir/abi")
moddir=$(cd "$kdir/modules" && pwd -P)
out=$B/$LINE
img=$out/initramfs.cpio.gz
stage=$out/initramfs.tmp
mkdir -p "$out"

# busybox-static, once per cache.
bbdir=$CACHE/busybox-static
if [ ! -x "$bbdir/bin/busybox" ]; then
	cache_lock
	papt_init
	rm -rf "$bbdir.tmp"
	pkg_fetch "$bbdir.tmp" busybox-static:arm64
	f=$(find "$bbdir.tmp" -path '*bin/busybox' -type f | head -n1)
	[ -n "$f" ] || die "busybox-static: no busybox binary in the package"
	mkdir -p "$bbdir.tmp/bin"
	install -m 0755 "$f" "$bbdir.tmp/bin/busybox.new"
	mv "$bbdir.tmp/bin/busybox.new" "$bbdir.tmp/bin/busybox"
	dpkg-deb -f "$(pkg_file busybox-static:arm64)" Version >"$bbdir.tmp/version"
	rm -rf "$bbdir"
	mv "$bbdir.tmp" "$bbdir"
	flock -u 9
fi

rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,mnt,root,etc} \
	"$stage"/s2/{bin,kmod,tests}
cp "$bbdir/bin/busybox" "$stage/bin/busybox"
chmod 0755 "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
if [ "$(id -u)" = 0 ]; then
	mknod -m 0600 "$stage/dev/console" c 5 1
	mknod -m 0666 "$stage/dev/null" c 1 3
fi

# Kernel modules: depth-first over `modinfo -F depends`, dependencies first.
declare -A kmod_path=() kmod_done=()
while IFS= read -r f; do
	n=${f##*/}
	n=${n%%.ko*}
	kmod_path[${n//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko*')
kmods=()
add_kmod() {
	local key=${1//-/_} d
	[ -z "${kmod_done[$key]:-}" ] || return 0
	kmod_done[$key]=1
	[ -n "${kmod_path[$key]:-}" ] ||
		{ grep -q "/${1//_/[-_]}\.ko" "$moddir/modules.builtin" && return 0; die "module $1 not in $abi"; }
	for d in $(modinfo -F depends "${kmod_path[$key]}" | tr , ' '); do add_kmod "$d"; done
	kmods+=("$key")
}
for m in $GUEST_KMODS; do add_kmod "$m"; done
i=0
for m in "${kmods[@]}"; do
	f=${kmod_path[$m]}
	dst=$stage/s2/kmod/$(printf '%02d' $i)-${f##*/}
	dst=${dst%%.ko*}.ko
	case $f in
	*.ko.xz) xz -dc "$f" >"$dst" ;;
	*.ko.zst) zstd -qdc "$f" >"$dst" ;;
	*.ko.gz) gzip -dc "$f" >"$dst" ;;
	*.ko) cp "$f" "$dst" ;;
	*) die "unknown module compression: $f" ;;
	esac
	i=$((i + 1))
done

missing=
# Our module: only one built for this kernel by its compiler major (build-module.sh checks
# the same; this guards against a stale or foreign file).
if [ -f "$out/kvm_s2stat.ko" ]; then
	magic=$(modinfo -F vermagic "$out/kvm_s2stat.ko")
	[ "${magic%% *}" = "$abi" ] || die "$out/kvm_s2stat.ko is for '${magic%% *}', not $abi"
	kg=$(kernel_gcc_major "$hdr")
	mg=$(ko_gcc_major "$out/kvm_s2stat.ko")
	[ "$mg" = "$kg" ] || die "$out/kvm_s2stat.ko was built by gcc-$mg, $abi by gcc-$kg: refusing"
	cp "$out/kvm_s2stat.ko" "$stage/s2/kvm_s2stat.ko"
else
	warn "line $LINE: $out/kvm_s2stat.ko not built ('make modules'); left out"
	missing="$missing kvm_s2stat.ko"
fi
for b in s2vmm kvm-s2stat; do
	if [ -f "$B/aarch64/$b" ]; then
		install -m 0755 "$B/aarch64/$b" "$stage/s2/bin/$b"
	else
		warn "$B/aarch64/$b not built yet ('make cross'); left out"
		missing="$missing $b"
	fi
done

cp -a "$TOP/tests/guest/." "$stage/s2/tests/"
if compgen -G "$TOP/tests/bench/*.sh" >/dev/null; then
	mkdir -p "$stage/s2/bench"
	cp "$TOP"/tests/bench/*.sh "$stage/s2/bench/"
fi
[ ! -f "$B/aarch64/s2bench" ] || install -m 0755 "$B/aarch64/s2bench" "$stage/s2/bin/s2bench"
cp "$TOP/kernels/modes" "$stage/s2/modes"
[ -f "$stage/s2/tests/init" ] || die "tests/guest/init missing"
install -m 0755 "$stage/s2/tests/init" "$stage/init"

psz=
[ "$(kconfig "$hdr" ARM64_4K_PAGES)" != y ] || psz=4096
[ "$(kconfig "$hdr" ARM64_16K_PAGES)" != y ] || psz=16384
[ "$(kconfig "$hdr" ARM64_64K_PAGES)" != y ] || psz=65536
[ -n "$psz" ] || die "cannot tell the page size of $abi"
kver=$(sed -nE 's/^VERSION = ([0-9]+)/\1/p; s/^PATCHLEVEL = ([0-9]+)/\1/p; s/^SUBLEVEL = ([0-9]+)/\1/p' \
	"$(readlink -f "$hdr")/../linux-headers-${abi%-"$FLAVOUR"}-common/Makefile" 2>/dev/null | paste -sd.)
[ -n "$kver" ] || kver=${abi%%[-+]*}
cat >"$stage/s2/build.env" <<EOF
S2_LINE='$LINE'
S2_KREL='$abi'
S2_KVER='$kver'
S2_PAGE_SIZE=$psz
S2_MISSING='${missing# }'
EOF

# Write the image only when the staged tree differs from the last one.
sum=$( (cd "$stage" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort &&
	find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1)
if [ -f "$img" ] && [ "$(cat "$out/.initramfs-sum" 2>/dev/null)" = "$sum" ]; then
	log "line $LINE: $img up to date"
else
	(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible | gzip -n -1 >"$img.tmp")
	mv "$img.tmp" "$img"
	echo "$sum" >"$out/.initramfs-sum"
	log "line $LINE: $img ($(du -k "$img" | cut -f1) KiB; kmods: ${kmods[*]}${missing:+; without:$missing})"
fi
rm -rf "$stage"
