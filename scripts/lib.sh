# SPDX-License-Identifier: GPL-2.0
# Common settings for the kvm-s2stat build and testbed scripts.  Sourced, not run.
# Everything these scripts write goes under $B (the git-ignored build area).

set -eu
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${BUILD:-$TOP/build}
CACHE=$B/cache
APTROOT=$CACHE/apt
KROOT=$CACHE/kernels

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { printf '[%s] error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Private apt root: the machine's own apt configuration is never touched.
APT_OPTS=(
	-o "Dir::Etc::SourceList=$APTROOT/sources.list"
	-o "Dir::Etc::SourceParts=-"
	-o "Dir::State::Lists=$APTROOT/lists"
	-o "Dir::State::status=$APTROOT/status"
	-o "Dir::Cache=$APTROOT/cache"
	-o "APT::Architecture=arm64"
	-o "APT::Architectures=arm64,amd64"
	-o "Debug::NoLocking=1"
	-o "Acquire::Retries=3"
	-o "APT::Sandbox::User=root"
)

papt_get() { apt-get -q "${APT_OPTS[@]}" "$@"; }
papt_cache() { apt-cache "${APT_OPTS[@]}" "$@"; }

# papt_init: create the private apt root and refresh its lists (at most hourly).
papt_init() {
	mkdir -p "$APTROOT/lists/partial" "$APTROOT/cache/archives/partial"
	touch "$APTROOT/status"
	local kr=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -r "$kr" ] || die "$kr missing: apt-get install debian-archive-keyring"
	local want
	want=$(cat <<SRC
deb [signed-by=$kr] http://deb.debian.org/debian bookworm main
deb [signed-by=$kr] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=$kr] http://deb.debian.org/debian bookworm-backports main
deb [signed-by=$kr] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=$kr] http://deb.debian.org/debian trixie main
deb [signed-by=$kr] http://deb.debian.org/debian trixie-updates main
deb [signed-by=$kr] http://deb.debian.org/debian trixie-backports main
deb [signed-by=$kr] http://deb.debian.org/debian-security trixie-security main
SRC
)
	if [ ! -f "$APTROOT/sources.list" ] || [ "$(cat "$APTROOT/sources.list")" != "$want" ]; then
		printf '%s\n' "$want" >"$APTROOT/sources.list"
		rm -f "$APTROOT/stamp"
	fi
	if [ -z "$(find "$APTROOT/stamp" -mmin -60 2>/dev/null)" ]; then
		log "refreshing private package lists ($APTROOT)"
		papt_get update >"$APTROOT/update.log" 2>&1 ||
			{ cat "$APTROOT/update.log" >&2; die "apt-get update (private root) failed"; }
		touch "$APTROOT/stamp"
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
load_line() {
	local conf=$TOP/kernels/$1.conf
	[ -f "$conf" ] || die "unknown kernel line '$1' (have: $(cd "$TOP/kernels" && ls *.conf | sed 's/\.conf$//' | tr '\n' ' '))"
	LINE=$1
	# shellcheck source=/dev/null
	. "$conf"
}

all_lines() { (cd "$TOP/kernels" && ls *.conf | sed 's/\.conf$//' | sort -V | tr '\n' ' '); }
