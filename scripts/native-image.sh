#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# native-image.sh SUITE: a Debian arm64 system disk image for the native-build tests
# (docs/install.md "How the native path is tested"), cached in $B/cache/native-SUITE/.
#
#   bookworm   kernels 6.1 and 6.12 (linux-image + linux-headers + arm64 linux-kbuild) and
#              gcc-12, make, dkms, dh-dkms, debhelper, build-essential
#   trixie     kernel line trixie-backports (newest of trixie-backports) and gcc-14, the same tools
#
# How: `debootstrap --foreign --variant=minbase` on this machine (downloads and unpacks);
# the rest is resolved by apt on this machine against the first stage's package set (a
# private apt root per suite, never the machine's configuration) and downloaded; then the
# image (ext4, made with `mkfs.ext4 -d`, no loop device) is booted once under
# qemu-system-aarch64 (TCG), where `debootstrap --second-stage` and `apt-get install` of
# the downloaded .debs run natively with a real dpkg database.  The kernels are the
# testbed's (scripts/fetch-kernel.sh: the newest of each line), booted with a small
# initramfs of our own (busybox + virtio-blk/ext4 modules) that switches to the disk's root.
# Debian's initramfs-tools is replaced by an empty package providing linux-initramfs-tool
# (nothing boots from the image's /boot).
#
# The image is rebuilt only when this script, the guest side (tests/native/image-setup) or
# a kernel version changes.  Output: $B/cache/native-SUITE/{rootfs.img,lines,manifest}.
# Also used by scripts/native-test.sh: `native-image.sh --initramfs LINE` prints the
# boot initramfs of LINE (built when missing).
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NATIVE_IMG_SIZE=${NATIVE_IMG_SIZE:-8G}
# Bump when a change here changes what the image holds (the cache key also covers the
# packages, the kernel versions and tests/native/image-setup), or the boot initramfs.
NATIVE_IMAGE_REV=1
NATIVE_BOOT_REV=1
QEMU=${QEMU:-qemu-system-aarch64}

# suite_conf SUITE: LINES (kernel lines in the image), PKGS (tools), APT_SUITES (sources).
suite_conf() {
	case $1 in
	bookworm)
		LINES='6.1 6.12'
		PKGS='build-essential make kmod dkms dh-dkms debhelper xz-utils ca-certificates less'
		APT_SUITES='bookworm bookworm-updates bookworm-security bookworm-backports' ;;
	trixie)
		LINES='trixie-backports'
		PKGS='build-essential make kmod dkms dh-dkms debhelper xz-utils ca-certificates less'
		APT_SUITES='trixie trixie-updates trixie-security trixie-backports' ;;
	*) die "unknown suite '$1' (bookworm, trixie)" ;;
	esac
}

# boot_initramfs LINE: $CACHE/native-boot/LINE.cpio.gz: busybox and the modules that mount
# an ext4 root on virtio-blk; /init mounts /dev/vda (and /dev/vdb, the payload disk, on
# /mnt/payload) and switch_roots to s2n.init=PROG (default /sbin/init).
boot_initramfs() {
	local line=$1 kdir moddir abi out stage
	"$TOP/scripts/fetch-kernel.sh" "$line" >&2
	kdir=$KROOT/$line
	abi=$(cat "$kdir/abi")
	moddir=$(cd "$kdir/modules" && pwd -P)
	out=$CACHE/native-boot/$line.cpio.gz
	if [ -f "$out" ] && [ "$(cat "$out.abi" 2>/dev/null)" = "$abi $NATIVE_BOOT_REV" ]; then
		echo "$out"
		return
	fi
	ensure_busybox
	stage=$CACHE/native-boot/$line.tmp
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot,kmod}
	cp "$CACHE/busybox-static/bin/busybox" "$stage/bin/busybox"
	declare -A path=() seen=()
	local f n i=0
	while IFS= read -r f; do
		n=${f##*/}; n=${n%%.ko*}; path[${n//-/_}]=$f
	done < <(find "$moddir/kernel" -name '*.ko*')
	add() {
		local key=${1//-/_} d
		[ -z "${seen[$key]:-}" ] || return 0
		seen[$key]=1
		[ -n "${path[$key]:-}" ] || return 0 # built in
		for d in $(modinfo -F depends "${path[$key]}" | tr , ' '); do add "$d"; done
		f=${path[$key]}
		local dst
		dst=$stage/kmod/$(printf '%02d' $i)-$key.ko
		case $f in
		*.ko.xz) xz -dc "$f" >"$dst" ;;
		*.ko.zst) zstd -qdc "$f" >"$dst" ;;
		*.ko.gz) gzip -dc "$f" >"$dst" ;;
		*) cp "$f" "$dst" ;;
		esac
		i=$((i + 1))
	}
	for n in virtio_pci virtio_blk crc32c_generic crc32c_arm64 crc16 ext4; do add "$n"; done
	cat >"$stage/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in /kmod/*.ko; do insmod "$m" 2>/dev/null; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
init=/sbin/init
for w in $(cat /proc/cmdline); do case $w in s2n.init=*) init=${w#*=} ;; esac; done
if ! mount -t ext4 /dev/vda /newroot; then
	echo "s2n: cannot mount /dev/vda"; echo o >/proc/sysrq-trigger; sleep 10
fi
if [ -b /dev/vdb ]; then
	mkdir -p /newroot/mnt/payload && mount -t ext4 /dev/vdb /newroot/mnt/payload
fi
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot "$init"
EOF
	chmod 0755 "$stage/init"
	(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 | gzip -n -1 >"$out.tmp")
	mv "$out.tmp" "$out"
	echo "$abi $NATIVE_BOOT_REV" >"$out.abi"
	rm -rf "$stage"
	echo "$out"
}

# ensure_busybox: $CACHE/busybox-static/bin/busybox (same cache as build-initramfs.sh).
ensure_busybox() {
	local bb=$CACHE/busybox-static
	[ -x "$bb/bin/busybox" ] && return 0
	cache_lock
	papt_init
	rm -rf "$bb.tmp"
	pkg_fetch "$bb.tmp" busybox-static:arm64
	mkdir -p "$bb.tmp/bin"
	install -m 0755 "$(find "$bb.tmp" -path '*bin/busybox' -type f | head -n1)" "$bb.tmp/bin/busybox.new"
	mv "$bb.tmp/bin/busybox.new" "$bb.tmp/bin/busybox"
	dpkg-deb -f "$(pkg_file busybox-static:arm64)" Version >"$bb.tmp/version"
	rm -rf "$bb"
	mv "$bb.tmp" "$bb"
	flock -u 9
}

# qemu_boot LOG TIMEOUT KERNEL INITRD INIT DISK [PAYLOAD] [EXTRA QEMU ARGS...]: boot the
# emulated arm64 host (the testbed's machine: VHE, SMMUv3, ivshmem at 00:02.0), console to
# LOG; the disks sit at 00:06.0 (root) and 00:07.0 (payload).
qemu_boot() {
	local log=$1 to=$2 kernel=$3 initrd=$4 init=$5 disk=$6 payload=${7:-}
	shift 7 || shift $#
	local fmt=raw snap=''
	case $disk in *.qcow2) fmt=qcow2 ;; esac
	[ -z "${NATIVE_SNAPSHOT:-}" ] || snap=,snapshot=on
	# shellcheck disable=SC2054 # commas belong to QEMU's option values
	local args=(-M virt,virtualization=on,gic-version=3,iommu=smmuv3 -cpu max,pauth-impdef=on
		-smp 2 -m 2G -nographic -no-reboot -kernel "$kernel" -initrd "$initrd"
		-append "console=ttyAMA0 rdinit=/init panic=-1 s2n.init=$init ${NATIVE_KERNEL_ARGS:-}"
		-object memory-backend-ram,id=shm0,size=256M
		-device ivshmem-plain,memdev=shm0,bus=pcie.0,addr=2
		-drive "file=$disk,if=none,id=root,format=$fmt,cache=unsafe$snap"
		-device virtio-blk-pci,drive=root,bus=pcie.0,addr=6)
	# shellcheck disable=SC2054
	[ -z "$payload" ] || args+=(-drive "file=$payload,if=none,id=pl,format=raw,cache=unsafe"
		-device virtio-blk-pci,drive=pl,bus=pcie.0,addr=7)
	printf '%q ' "$QEMU" "${args[@]}" "$@" >"${log%.log}.cmd"
	if [ -n "${NATIVE_INTERACTIVE:-}" ]; then
		"$QEMU" "${args[@]}" "$@"
	else
		timeout -s KILL "$to" "$QEMU" "${args[@]}" "$@" </dev/null >"$log" 2>&1
	fi
}

# napt SUITE ARGS...: apt-get with the suite's private root $CACHE/native-SUITE/apt.
napt_opts() {
	local r=$CACHE/native-$1/apt
	NAPT=(-o "Dir::Etc::SourceList=$r/sources.list" -o "Dir::Etc::SourceParts=-"
		-o "Dir::Etc::Preferences=$r/preferences" -o "Dir::Etc::PreferencesParts=-"
		-o "Dir::State::Lists=$r/lists" -o "Dir::State::status=$r/status"
		-o "Dir::Cache=$r/cache" -o "Dir::Cache::pkgcache=$r/cache/pkgcache.bin"
		-o "Dir::Cache::srcpkgcache=" -o "APT::Architecture=arm64" -o "APT::Architectures=arm64"
		-o "Debug::NoLocking=1" -o "Acquire::Retries=3" -o "APT::Sandbox::User=root"
		-o "APT::Install-Recommends=false")
}

# image_key LINES_INFO: the cache key of the image of the current suite.
image_key() {
	{ printf '%s' "$1"; echo "$PKGS $NATIVE_IMG_SIZE $NATIVE_IMAGE_REV"
		sha256sum <"$TOP/tests/native/image-setup"; } | sha256sum | cut -c1-16
}

build_image() {
	local suite=$1 dir=$CACHE/native-$1 line lines_info='' key
	suite_conf "$suite"
	mkdir -p "$dir"
	for line in $LINES; do
		"$TOP/scripts/fetch-kernel.sh" "$line" >&2
		lines_info="$lines_info$line $(cat "$KROOT/$line/abi") $(awk 'NR==1{print $2}' "$KROOT/$line/versions")
"
	done
	key=$(image_key "$lines_info")
	if [ -f "$dir/rootfs.img" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
		log "image $suite up to date ($dir/rootfs.img)"
		return 0
	fi
	command -v debootstrap >/dev/null || die "debootstrap missing: run 'make setup'"
	command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 missing: apt-get install e2fsprogs"
	[ "$(id -u)" = 0 ] || die "building the native image needs root (debootstrap, file ownership)"
	local t0=$SECONDS work=$dir/work
	log "building the $suite arm64 image (kernels: $LINES) in $dir"
	rm -f "$dir/rootfs.img" "$dir/key"

	# 1. first stage: download and unpack the minbase set (kept until it
	# succeeds once more: a failed later step does not repeat it).
	local s1key
	s1key="$suite minbase 1"
	if [ "$(cat "$work/stage1.ok" 2>/dev/null)" != "$s1key" ]; then
		rm -rf "$work"
		mkdir -p "$work"
		debootstrap --foreign --arch=arm64 --variant=minbase --keyring="$DEBIAN_KEYRING" \
			"$suite" "$work/root" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 ||
			{ tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap --foreign $suite failed (log $work/debootstrap.log)"; }
		# In a container debootstrap makes /proc a symlink to the host's: not for a machine.
		if [ -L "$work/root/proc" ]; then rm "$work/root/proc"; mkdir -m 0555 "$work/root/proc"; fi
		echo "$s1key" >"$work/stage1.ok"
		log "first stage done ($((SECONDS - t0)) s)"
	fi
	rm -rf "$work/payload" "$work/noinitrd" "$work"/*.img

	# 2. apt on this machine resolves the rest against the first stage's package set.
	local r=$dir/apt s deb
	mkdir -p "$r/lists/partial" "$r/cache/archives/partial"
	: >"$r/sources.list"
	for s in $APT_SUITES; do
		case $s in *-security) echo "deb [signed-by=$DEBIAN_KEYRING] $DEBIAN_SECURITY $s main" ;;
		*) echo "deb [signed-by=$DEBIAN_KEYRING] $DEBIAN_MIRROR $s main" ;; esac
	done >"$r/sources.list"
	: >"$r/preferences"
	napt_opts "$suite"
	# The empty package that stands for an initramfs generator.
	local pl=$work/payload
	mkdir -p "$pl/debs" "$work/noinitrd/DEBIAN"
	cat >"$work/noinitrd/DEBIAN/control" <<EOF
Package: s2-native-noinitramfs
Version: 1
Architecture: all
Maintainer: kvm-s2stat testbed <root@localhost>
Provides: linux-initramfs-tool
Description: kvm-s2stat testbed: no initramfs generator
 The native test image is booted with the testbed's own initramfs.
EOF
	dpkg-deb --root-owner-group -b "$work/noinitrd" "$pl/debs/s2-native-noinitramfs_1_all.deb" >/dev/null
	{
		while read -r _ deb; do
			dpkg-deb -f "$work/root/$deb"
			echo "Status: install ok installed"
			echo
		done <"$work/root/debootstrap/debpaths"
		dpkg-deb -f "$pl/debs/s2-native-noinitramfs_1_all.deb"
		echo "Status: install ok installed"
		echo
	} >"$r/status"
	apt-get -q "${NAPT[@]}" update >"$work/apt-update.log" 2>&1 ||
		{ tail -n 20 "$work/apt-update.log" >&2; die "apt-get update ($suite private root) failed"; }
	local kpkgs='' v p
	for line in $LINES; do
		while read -r p v; do
			kpkgs="$kpkgs $p=$v"
		done <"$KROOT/$line/versions"
	done
	# shellcheck disable=SC2086
	apt-get -q -y "${NAPT[@]}" -o "Dir::Cache::archives=$pl/debs" install --download-only \
		$PKGS $kpkgs >"$work/apt-download.log" 2>&1 ||
		{ tail -n 30 "$work/apt-download.log" >&2; die "resolving the $suite image packages failed (log $work/apt-download.log)"; }
	rm -rf "$pl/debs/partial" "$pl/debs/lock"
	log "resolved $(find "$pl/debs" -name '*.deb' | wc -l) more packages ($((SECONDS - t0)) s)"
	cp "$TOP/tests/native/image-setup" "$pl/run"
	chmod 0755 "$pl/run"
	printf '%s' "$lines_info" >"$pl/lines"

	# 3. disks, and the second stage inside the emulated machine.
	mkfs.ext4 -q -F -L s2root -d "$work/root" "$work/rootfs.img" "$NATIVE_IMG_SIZE"
	mkfs.ext4 -q -F -L s2payload -d "$pl" "$work/payload.img" \
		"$(( $(du -sm "$pl" | cut -f1) * 12 / 10 + 64 ))M"
	local first=${LINES%% *} initrd
	initrd=$(boot_initramfs "$first")
	log "second stage in the emulated arm64 machine (kernel $first; log $work/console.log)"
	qemu_boot "$work/console.log" "${NATIVE_IMAGE_TIMEOUT:-7200}" "$KROOT/$first/vmlinuz" \
		"$initrd" /mnt/payload/run "$work/rootfs.img" "$work/payload.img" || true
	if ! grep -q '^s2n: image ready' "$work/console.log"; then
		tail -n 40 "$work/console.log" >&2
		die "the $suite image setup did not finish (console: $work/console.log)"
	fi
	mv "$work/rootfs.img" "$dir/rootfs.img"
	printf '%s' "$lines_info" >"$dir/lines"
	sed -n 's/^s2n: manifest //p' "$work/console.log" >"$dir/manifest"
	cp "$work/console.log" "$dir/setup-console.log"
	echo "$key" >"$dir/key"
	rm -rf "$work"
	log "image $suite ready in $((SECONDS - t0)) s: $dir/rootfs.img ($(du -h "$dir/rootfs.img" | cut -f1) used)"
}

# Sourced (scripts/native-test.sh): only the functions.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
case ${1:-} in
--initramfs)
	[ $# -eq 2 ] || die "usage: $0 --initramfs LINE"
	boot_initramfs "$2" ;;
bookworm | trixie)
	# Our own lock (the shared cache lock is only taken for short fetches).
	mkdir -p "$CACHE/native-$1"
	exec 8>"$CACHE/native-$1/.lock"
	flock 8
	build_image "$1" ;;
*) die "usage: $0 bookworm|trixie | --initramfs LINE" ;;
esac
