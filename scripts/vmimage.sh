# SPDX-License-Identifier: GPL-2.0
# vmimage.sh: images that run a real VMM inside the emulated arm64 KVM host.  Sourced (after
# lib.sh) by scripts/demo.sh (`make demo`) and scripts/build-vmimage.sh (the testbed's
# real-VMM cells, docs/testbed.md); not run.
#
# An image is the testbed initramfs of a kernel line (scripts/build-initramfs.sh) followed by
# a second cpio archive, the "layer" (the kernel unpacks concatenated archives), holding:
#   /usr/bin/qemu-system-aarch64 + the shared objects it needs   Debian's arm64 QEMU
#   the guest's kernel and initramfs, and whatever the user of the image adds
#
#   vmi_qemu_tree              print the cached minimal QEMU tree's directory (build it once
#                              per QEMU version: the .debs of qemu-system-arm:arm64 and its
#                              dependency closure, then the binary, its DT_NEEDED closure and
#                              the dynamic loader)
#   vmi_deb_tree NAME SUITE PKG BIN...   the same for any arm64 package and its programs
#                              (make bench: bpftrace)
#   vmi_static OUT SRC...      build a static aarch64 C11 program, when older than its sources
#   vmi_guest_base DIR         a guest initramfs tree: busybox-static, /bin/sh, /dev nodes
#   vmi_guest_kmods DIR MODDIR NAME...   the kernel modules NAME (and their dependencies,
#                              in load order, decompressed) of module tree MODDIR into
#                              DIR/lib/kmod/NN-name.ko
#   vmi_mkcpio DIR             a reproducible newc archive of DIR on stdout
#   vmi_layer BASE STAGE OUT   OUT = BASE followed by the archive of STAGE (lz4 when there)
# Environment: VM_QEMU_SUITE (Debian suite of the arm64 QEMU, default bookworm; the demo's
# DEMO_QEMU_SUITE is the same knob), CROSS_COMPILE_ARM64.
# shellcheck shell=bash

VM_QEMU_SUITE=${VM_QEMU_SUITE:-${DEMO_QEMU_SUITE:-bookworm}}

# _vmi_so_path ROOT FILE: FILE (a path inside ROOT) with its symlinks resolved inside ROOT.
_vmi_so_path() {
	local root=$1 f=$2 t i=0
	while [ -L "$root$f" ] && [ $i -lt 20 ]; do
		t=$(readlink "$root$f")
		case $t in /*) f=$t ;; *) f=$(dirname "$f")/$t ;; esac
		i=$((i + 1))
	done
	[ -f "$root$f" ] || return 1
	realpath -m -s "$f"
}

# vmi_qemu_tree: print the cached minimal qemu tree's directory (build it if needed).  Takes
# the cache lock and initialises the private apt root itself.
vmi_qemu_tree() {
	vmi_deb_tree demo-qemu "$VM_QEMU_SUITE" qemu-system-arm /usr/bin/qemu-system-aarch64
}

# vmi_deb_tree NAME SUITE PKG BIN...: print the directory of a cached minimal tree of Debian
# arm64 package PKG from SUITE: the programs BIN (paths inside the package), the shared
# objects they need (DT_NEEDED closure) and the dynamic loader, at their Debian paths; built
# once per PKG version in $CACHE/NAME/tree-<version> from the .debs of PKG and its dependency
# closure.  Takes the cache lock and initialises the private apt root itself.
vmi_deb_tree() {
	local qc=$CACHE/$1 suite=$2 pkg=$3 ver vs tree tmp root lib interp f q n dir p
	shift 3
	cache_lock
	papt_init
	ver=$(papt_cache -o "APT::Default-Release=$suite" policy "$pkg:arm64" |
		sed -n 's/^ *Candidate: //p' | head -n1)
	case $ver in '' | '(none)') die "$pkg:arm64 not in the private package lists" ;; esac
	vs=$(printf '%s' "$ver" | tr -c 'A-Za-z0-9.+~-' _)
	tree=$qc/tree-$vs
	if [ -f "$tree.ok" ]; then
		log "$pkg:arm64 $ver (cached: $(du -sh "$tree" | cut -f1))"
		flock -u 9
		echo "$tree"
		return
	fi
	log "$pkg:arm64 $ver ($suite): resolving and downloading its dependency closure"
	rm -rf "$qc/debs" "$tree" "$tree.tmp" "$qc/root"
	mkdir -p "$qc/debs/partial"
	# One apt-get run resolves the closure against an empty status (nothing installed) and
	# downloads it; the machine's apt configuration and state are not used.
	if ! papt_get -y -o "APT::Default-Release=$suite" -o "Dir::Cache::archives=$qc/debs/" \
		-o "Dir::State::extended_states=$qc/extended_states" --no-install-recommends \
		--download-only install "$pkg:arm64" >"$qc/download.log" 2>&1; then
		tail -n 20 "$qc/download.log" >&2
		die "cannot download $pkg:arm64 and its dependencies (log: $qc/download.log)"
	fi
	log "downloaded $(find "$qc/debs" -name '*.deb' | wc -l) packages ($(du -sh "$qc/debs" | cut -f1)); extracting the libraries"
	root=$qc/root
	mkdir -p "$root"
	# Architecture-independent packages carry no shared objects (a missing one fails below).
	# shellcheck disable=SC2016 # $0 and $f belong to the inner sh
	find "$qc/debs" -maxdepth 1 -name '*_arm64.deb' -print0 |
		xargs -0 -n 8 -P "$(nproc)" sh -c 'for f; do dpkg-deb -x "$f" "$0" || exit 255; done' "$root" ||
		die "extracting the $pkg packages failed"
	tmp=$tree.tmp
	local -A seen=()
	local -a queue=()
	n=0
	for q in "$@"; do
		[ -f "$root$q" ] || die "no $q in $pkg"
		mkdir -p "$tmp$(dirname "$q")"
		cp "$root$q" "$tmp$q"
		queue+=("$q")
		interp=$(readelf -l "$root$q" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
		[ -n "$interp" ] || die "$q has no program interpreter"
		[ -z "${seen[$interp]:-}" ] || continue
		seen[$interp]=1
		# (Since trixie, libc6 ships it under /usr only: merged /usr.)
		p=$(_vmi_so_path "$root" "$interp" || _vmi_so_path "$root" "/usr$interp") ||
			die "dynamic loader $interp not in libc6"
		mkdir -p "$tmp$(dirname "$interp")"
		cp "$root$p" "$tmp$interp"
	done
	# Breadth-first over DT_NEEDED, in the default library directories of Debian arm64.
	while [ ${#queue[@]} -gt 0 ]; do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		for lib in $(readelf -d "$root$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			[ -z "${seen[$lib]:-}" ] || continue
			seen[$lib]=1
			p=
			for dir in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /lib /usr/lib; do
				p=$(_vmi_so_path "$root" "$dir/$lib") && break
			done
			[ -n "$p" ] || die "$lib (needed by ${f##*/}) is in none of the downloaded library packages"
			mkdir -p "$tmp$dir"
			cp "$root$p" "$tmp$dir/$lib"
			queue+=("$dir/$lib")
			n=$((n + 1))
		done
	done
	rm -rf "$root"
	mv "$tmp" "$tree"
	printf '%s %s\n' "$ver" "$n" >"$tree.ok"
	log "$pkg tree: $* + $n shared objects + loader ($(du -sh "$tree" | cut -f1)) in $tree"
	flock -u 9
	echo "$tree"
}

# vmi_static OUT SRC...: a static aarch64 program (C11, warnings as errors) from SRC, rebuilt
# only when a source is newer.
vmi_static() {
	local out=$1 s stale=0
	shift
	[ -x "$out" ] || stale=1
	for s in "$@"; do [ "$s" -nt "$out" ] && stale=1; done
	[ $stale = 1 ] || return 0
	mkdir -p "$(dirname "$out")"
	"${CROSS_COMPILE_ARM64:-aarch64-linux-gnu-}gcc" -std=c11 -Wall -Wextra -Werror -O2 -static \
		-o "$out.tmp" "$@" || die "building $* failed (aarch64-linux-gnu-gcc, libc6-dev-arm64-cross)"
	mv "$out.tmp" "$out"
}

# vmi_guest_base DIR: busybox-static as /bin/busybox and /bin/sh, /dev/console and /dev/null.
vmi_guest_base() {
	local g=$1 bb=$CACHE/busybox-static/bin/busybox
	[ -x "$bb" ] || die "$bb missing (scripts/build-initramfs.sh fetches it)"
	rm -rf "$g"
	mkdir -p "$g"/{bin,dev,proc,sys,tmp}
	cp "$bb" "$g/bin/busybox"
	ln -s busybox "$g/bin/sh"
	if [ "$(id -u)" = 0 ]; then
		mknod -m 0600 "$g/dev/console" c 5 1
		mknod -m 0666 "$g/dev/null" c 1 3
	fi
}

# vmi_guest_kmods DIR MODDIR NAME...: modules NAME of the module tree MODDIR (a kernel's
# lib/modules/<abi>) with their dependencies, dependencies first, decompressed, as
# DIR/lib/kmod/NN-<name>.ko (insmod them in glob order).  Built-in ones are skipped.
vmi_guest_kmods() {
	local g=$1 moddir=$2 f n i=0 m
	shift 2
	local -A path=() seen=()
	local -a order=()
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		path[${n//-/_}]=$f
	done < <(find "$moddir/kernel" -name '*.ko*')
	_vmi_add() {
		local key=${1//-/_} d
		[ -z "${seen[$key]:-}" ] || return 0
		seen[$key]=1
		if [ -z "${path[$key]:-}" ]; then
			grep -q "/${1//_/[-_]}\.ko" "$moddir/modules.builtin" && return 0
			die "module $1 not in $moddir"
		fi
		for d in $(modinfo -F depends "${path[$key]}" | tr , ' '); do _vmi_add "$d"; done
		order+=("$key")
	}
	for m in "$@"; do _vmi_add "$m"; done
	mkdir -p "$g/lib/kmod"
	for m in "${order[@]}"; do
		f=${path[$m]}
		n=$g/lib/kmod/$(printf '%02d' $i)-${f##*/}
		n=${n%%.ko*}.ko
		case $f in
		*.ko.xz) xz -dc "$f" >"$n" ;;
		*.ko.zst) zstd -qdc "$f" >"$n" ;;
		*.ko.gz) gzip -dc "$f" >"$n" ;;
		*) cp "$f" "$n" ;;
		esac
		i=$((i + 1))
	done
}

# vmi_mkcpio DIR: a newc archive of DIR on stdout, reproducible (owner root, mtime 0).
vmi_mkcpio() {
	find "$1" -exec touch -h -d @0 {} +
	(cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible)
}

# vmi_layer BASE STAGE OUT: OUT = the archive BASE followed by the layer STAGE.  lz4 (legacy
# format) unpacks fastest under TCG (~4 s for the demo's layer; gzip ~8 s, none ~6 s).
vmi_layer() {
	local base=$1 st=$2 out=$3
	if command -v lz4 >/dev/null; then
		{ cat "$base"; vmi_mkcpio "$st" | lz4 -q -l -1 - -; } >"$out.tmp"
	else
		{ cat "$base"; vmi_mkcpio "$st"; } >"$out.tmp"
	fi
	mv "$out.tmp" "$out"
}
