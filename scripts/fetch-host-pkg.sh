#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-host-pkg.sh PKG [VERSION_PREFIX]: a Debian package built for this build machine
# (its architecture, its Debian release), extracted into the cache, never installed.  Prints
# the extracted root, $B/cache/host-pkgs/<pkg>_<version>/ (the program is under usr/bin/).
#
# For host tools that a few cells need and the machine's own apt must not be changed for
# (docs/grace.md): the newest version of PKG (that starts with VERSION_PREFIX, e.g. "1:10.0")
# in the suites of the machine's own release (VERSION_CODENAME of /etc/os-release, e.g.
# bookworm: bookworm, -updates, -security, -backports), so that its libraries are the
# machine's.  Through the private apt root of lib.sh; cached until a newer version appears.
# Dependencies are not fetched: the package must run with the libraries the machine has
# (checked: a missing shared library is named in the error).
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

case $# in 1 | 2) ;; *) die "usage: $0 PKG [VERSION_PREFIX]" ;; esac
pkg=$1 prefix=${2:-}
release=${HOST_RELEASE:-$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d '"')}
[ -n "$release" ] || die "cannot tell this machine's Debian release (set HOST_RELEASE, e.g. bookworm)"

cache_lock
papt_init
# madison: "pkg:arch | version | URL suite/component arch Packages", newest first.
ver=$(papt_cache madison "$pkg:$HOST_DEB_ARCH" 2>/dev/null |
	awk -F' [|] ' -v rel="$release" -v pre="$prefix" '
		{ split($3, u, " ") } u[2] ~ ("^" rel "(-updates|-security|-backports)?/") &&
		index($2, pre) == 1 { print $2 }' | sort -V | tail -n1)
[ -n "$ver" ] || die "no $pkg${prefix:+ $prefix*} for $HOST_DEB_ARCH in Debian $release's suites"

dir=$CACHE/host-pkgs/${pkg}_${ver//[:~+]/_}
if [ ! -f "$dir/ok" ]; then
	log "fetching $pkg $ver ($HOST_DEB_ARCH, $release)"
	dl=$CACHE/debs
	mkdir -p "$dl"
	(cd "$dl" && papt_get download "$pkg:$HOST_DEB_ARCH=$ver" >/dev/null) ||
		die "cannot download $pkg:$HOST_DEB_ARCH=$ver"
	# apt-get download names the file <pkg>_<version with ':' as %3a>_<arch>.deb
	deb=$dl/${pkg}_${ver//:/%3a}_$HOST_DEB_ARCH.deb
	[ -f "$deb" ] || die "downloaded $pkg $ver but cannot find $deb"
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg-deb -x "$deb" "$dir"
	echo "$ver" >"$dir/ok"
fi
# Every ELF program of the package must find its libraries on this machine.
missing=$(find "$dir/usr/bin" -type f -perm -u+x -exec ldd {} + 2>/dev/null |
	awk '/not found/ { print $1 }' | sort -u | tr '\n' ' ')
[ -z "$missing" ] ||
	die "$pkg $ver needs shared libraries this machine lacks: $missing(install them, or run 'make setup')"
echo "$dir"
