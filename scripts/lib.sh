# SPDX-License-Identifier: GPL-2.0
# Common settings for the kvm-s2stat build and testbed scripts.  Sourced, not run.
# Everything these scripts write goes under $B (the git-ignored build area; the Makefile
# exports it, default <repo>/build).
# shellcheck shell=bash disable=SC2034  # variables are for the sourcing scripts

set -eu
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${B:-${BUILD:-$TOP/build}}
CACHE=$B/cache
APTROOT=$CACHE/apt
KROOT=$CACHE/kernels
HOST_DEB_ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
warn() { printf '[%s] warning: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '[%s] error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# host_apt_install LOG PKG...: install missing host packages with the machine's own apt
# (sudo when not root; apt-get update first; output in LOG; the log's tail and a one-line
# error when it fails).  make setup has its own flow (optional packages).
host_apt_install() {
	local log=$1 sudo=
	shift
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || die "missing host packages ($*): run as root"
		sudo=sudo
	fi
	log "installing host packages: $*"
	mkdir -p "$(dirname "$log")"
	{ $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 update &&
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 \
			-o APT::Install-Recommends=false -o DPkg::Lock::Timeout=300 install "$@"; } >"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "apt-get install $* failed (log: $log)"; }
}

# cache_lock: serialise users of the shared download cache (private apt root, .deb cache,
# kernel trees, chroots) between concurrent builds; held until the calling script exits.
cache_lock() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9
}

# Private apt root: the machine's own apt configuration is never touched.
APT_OPTS=(
	-o "Dir::Etc::SourceList=$APTROOT/sources.list"
	-o "Dir::Etc::SourceParts=-"
	-o "Dir::State::Lists=$APTROOT/lists"
	-o "Dir::State::status=$APTROOT/status"
	-o "Dir::Cache=$APTROOT/cache"
	-o "Dir::Cache::pkgcache=$APTROOT/cache/pkgcache.bin"
	-o "Dir::Cache::srcpkgcache="
	-o "APT::Architecture=arm64"
	-o "APT::Architectures=arm64,$HOST_DEB_ARCH"
	-o "Debug::NoLocking=1"
	-o "Acquire::Retries=3"
	-o "APT::Sandbox::User=root"
)

papt_get() { apt-get -q "${APT_OPTS[@]}" "$@"; }
papt_cache() { apt-cache "${APT_OPTS[@]}" "$@"; }

DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY=${DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# papt_init: create the private apt root and refresh its lists (at most hourly).  When the
# refresh fails but older lists exist, carry on with those (with a warning).
papt_init() {
	mkdir -p "$APTROOT/lists/partial" "$APTROOT/cache/archives/partial"
	[ -e "$APTROOT/status" ] || : >"$APTROOT/status"
	local kr=$DEBIAN_KEYRING
	[ -r "$kr" ] || die "$kr missing: run 'make setup' (apt-get install debian-archive-keyring)"
	local want
	want=$(cat <<SRC
deb [signed-by=$kr] $DEBIAN_MIRROR bookworm main
deb [signed-by=$kr] $DEBIAN_MIRROR bookworm-updates main
deb [signed-by=$kr] $DEBIAN_MIRROR bookworm-backports main
deb [signed-by=$kr] $DEBIAN_SECURITY bookworm-security main
deb [signed-by=$kr] $DEBIAN_MIRROR trixie main
deb [signed-by=$kr] $DEBIAN_MIRROR trixie-updates main
deb [signed-by=$kr] $DEBIAN_MIRROR trixie-backports main
deb [signed-by=$kr] $DEBIAN_SECURITY trixie-security main
SRC
)
	if [ ! -f "$APTROOT/sources.list" ] || [ "$(cat "$APTROOT/sources.list")" != "$want" ]; then
		printf '%s\n' "$want" >"$APTROOT/sources.list"
		rm -f "$APTROOT/stamp"
	fi
	if [ -z "$(find "$APTROOT/stamp" -mmin -60 2>/dev/null)" ]; then
		log "refreshing private package lists ($APTROOT)"
		if papt_get update >"$APTROOT/update.log" 2>&1; then
			touch "$APTROOT/stamp"
		elif [ -f "$APTROOT/stamp" ]; then
			warn "apt-get update (private root) failed; using the lists of $(date -r "$APTROOT/stamp")"
		else
			cat "$APTROOT/update.log" >&2
			die "apt-get update (private root) failed"
		fi
	fi
}

# pkg_fetch DEST PKG[:ARCH]...: download packages (cached) and extract them into DEST.
pkg_fetch() {
	local dest=$1; shift
	local dl=$CACHE/debs p f
	mkdir -p "$dl" "$dest"
	for p in "$@"; do
		f=$(pkg_file "$p")
		if [ -z "$f" ]; then
			(cd "$dl" && papt_get download "$p" >/dev/null) || die "cannot download $p"
			f=$(pkg_file "$p")
			[ -n "$f" ] || die "downloaded $p but cannot find its .deb"
		fi
		dpkg-deb -x "$f" "$dest"
	done
}

# pkg_file NAME[:ARCH]: the cached .deb of a package (newest), or nothing.
pkg_file() {
	local n=${1%%:*} a=${1#*:}
	[ "$a" = "$1" ] && a=arm64
	compgen -G "$CACHE/debs/${n}_*_$a.deb" | sort -V | tail -n1 || true
}

# Kernel lines: kernels/<line>.conf.  load_line LINE sets the variables documented there.
# Lines that `make check` does not run (all_lines) live in kernels/debug/<line>.conf
# (SOURCE=local: built here, docs/debug-kernel.md).
load_line() {
	local conf=$TOP/kernels/$1.conf
	[ -f "$conf" ] || conf=$TOP/kernels/debug/$1.conf
	[ -f "$conf" ] || die "unknown kernel line '$1' (have: $(all_lines))"
	LINE=$1
	MODES_DEFAULT='' SOURCE='' BOOT_ARGS='' SUITES='' ABI_RE=''
	# shellcheck source=/dev/null
	. "$conf"
}

all_lines() {
	local f
	for f in "$TOP"/kernels/*.conf; do f=${f##*/}; echo "${f%.conf}"; done | sort -V | tr '\n' ' '
}

# line_modes LINE [MODES]: the boot modes of LINE: MODES when given (it overrides every
# line's defaults), else the line's MODES_DEFAULT.
line_modes() {
	local LINE MODES_DEFAULT
	load_line "$1"
	printf '%s\n' "${2:-$MODES_DEFAULT}"
}

# in_buildenv CHROOT KDIR DIR CMD...: run CMD in the line's build environment (BUILDENV:
# host, or CHROOT entered in a private mount namespace) with KDIR (read-only) and DIR
# visible at their own paths.
in_buildenv() {
	local ch=$1 kdir=$2 dir=$3
	shift 3
	case $BUILDENV in
	host)
		"$@" ;;
	chroot:*)
		# shellcheck disable=SC2016
		unshare --mount --propagation private -- bash -euc '
			ch=$1 kdir=$2 mod=$3; shift 3
			mkdir -p "$ch$kdir" "$ch$mod"
			mount --bind "$kdir" "$ch$kdir"
			mount -o remount,bind,ro "$ch$kdir"
			mount --bind "$mod" "$ch$mod"
			exec chroot "$ch" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
				HOME=/root LC_ALL=C.UTF-8 "$@"' _ "$ch" "$kdir" "$dir" "$@" ;;
	*)
		die "kernels/$LINE.conf: unknown BUILDENV '$BUILDENV'" ;;
	esac
}

# The real-VMM cells (docs/testbed.md): the LINE/MODE cells that also get a LINE/MODE/realvm
# cell (Debian's QEMU and Linux guests inside the emulated host), when that line and mode run.
REALVM_CELLS=${REALVM_CELLS-6.1/vhe 6.12/nvhe 6.12-16k/vhe trixie-backports/vhe}

# cell_name LINE MODE: "LINE/MODE", then "LINE/MODE/realvm" when that cell is one of
# REALVM_CELLS (and KINDS, default "std realvm", lists realvm).
cell_names() {
	local kinds=${3:-std realvm}
	case " $kinds " in *" std "*) echo "$1/$2" ;; esac
	case " $kinds " in *" realvm "*)
		case " $REALVM_CELLS " in *" $1/$2 "*) echo "$1/$2/realvm" ;; esac ;;
	esac
}

# default_cells: every cell make check runs: each line of kernels/*.conf in its default
# modes, with its real-VMM cells.
default_cells() {
	local line mode
	for line in $(all_lines); do
		for mode in $(line_modes "$line"); do cell_names "$line" "$mode"; done
	done
}

# cell_dir TB CELL: the directory of CELL (LINE/MODE[/realvm]) in TB.
cell_dir() { echo "$1/$(echo "$2" | tr / -)"; }

# Boot modes: kernels/modes (NAME CPU KVM FWB PA ARGS...).  load_mode MODE sets
# MODE_CPU (qemu -cpu), MODE_KVM (vhe|nvhe|protected), MODE_FWB (0|1: the CPU has
# FEAT_S2FWB), MODE_PA (the CPU's physical address bits), MODE_ARGS (kernel command line).
load_mode() {
	local name cpu kvm fwb pa args
	while read -r name cpu kvm fwb pa args; do
		case $name in '' | '#'*) continue ;; esac
		[ "$name" = "$1" ] || continue
		MODE=$name MODE_CPU=$cpu MODE_KVM=$kvm MODE_FWB=$fwb MODE_PA=$pa
		MODE_ARGS=${args#-}
		return 0
	done <"$TOP/kernels/modes"
	die "unknown boot mode '$1' (have: $(all_modes))"
}

all_modes() { awk '!/^#/ && NF { printf "%s ", $1 }' "$TOP/kernels/modes"; }

# mode_arg MODE NAME: the value of the word s2.NAME=VALUE in MODE's kernel arguments, or
# nothing.  s2.machine=M: the mode's cells run on their own machine, whose QEMU command line
# scripts/machine-M.sh makes from the standard one (testbed.sh); s2.qemu=V: that machine's
# QEMU version (scripts/fetch-host-pkg.sh), else the build machine's own.
mode_arg() {
	local MODE MODE_CPU MODE_KVM MODE_FWB MODE_PA MODE_ARGS w
	load_mode "$1"
	for w in $MODE_ARGS; do
		case $w in "s2.$2="*) echo "${w#*=}"; return 0 ;; esac
	done
}

# kconfig DIR SYMBOL: the value of CONFIG_SYMBOL in the kernel tree DIR's .config.
kconfig() { sed -n "s/^CONFIG_$2=//p" "$1/.config" | tr -d '"'; }

# kernel_gcc_major DIR: major version of the gcc that built the kernel whose headers are DIR.
kernel_gcc_major() {
	local v
	v=$(kconfig "$1" GCC_VERSION)
	case $v in '' | 0) die "$1: kernel not built with gcc (CONFIG_GCC_VERSION='$v')" ;; esac
	echo $((v / 10000))
}

# ko_gcc_major FILE.ko: major version of the gcc named in the module's .comment section.
ko_gcc_major() {
	local cross=${CROSS_COMPILE_ARM64:-aarch64-linux-gnu-} rd
	rd=$(command -v "${cross}readelf" || command -v readelf) || die "readelf not found"
	"$rd" -p .comment "$1" 2>/dev/null |
		sed -nE 's/.*GCC: \(.*\) ([0-9]+)\.[0-9]+.*/\1/p' | sort -u | head -n1
}
