#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-kernel.sh LINE: fetch the newest Debian arm64 kernel of LINE (the newest ABI of its
# SUITES matching its ABI_RE, if any: image, modules, headers, kbuild tools) into
# build/cache/kernels/LINE through the private apt root, and prepare its header tree for
# out-of-tree module builds.  Reuses the cache when the ABI is unchanged.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 LINE"
load_line "$1"
# A line built here (kernels/debug/, SOURCE=local): its BUILD_SCRIPT makes the same layout.
[ "$SOURCE" != local ] || exec "$TOP/$BUILD_SCRIPT" "$LINE"
cache_lock
papt_init

# The newest ABI of the line's suites (SUITES), whatever its version unless ABI_RE narrows
# it: read from the suites' own package lists, not from every suite apt knows.
suite_headers() {
	local suite f
	for suite in ${SUITES:-}; do
		for f in "$APTROOT"/lists/*_dists_"${suite}"_main_binary-arm64_Packages*; do
			[ -e "$f" ] || die "no package list of suite $suite in $APTROOT/lists (is it in papt_init's sources?)"
			/usr/lib/apt/apt-helper cat-file "$f" | sed -n 's/^Package: \(linux-headers-.*\)$/\1/p'
		done
	done
}
[ -n "${SUITES:-}" ] || die "kernels/$LINE.conf names no SUITES"
abi_any='[0-9]+\.[0-9]+[^-]*(-[0-9]+)?'
abi_base=$(suite_headers | sed -nE "s/^linux-headers-(${ABI_RE:-$abi_any})-$FLAVOUR\$/\1/p" | sort -V | tail -n1)
[ -n "$abi_base" ] || die "no kernel of line $LINE (${ABI_RE:-any}-$FLAVOUR) in $SUITES"
abi=$abi_base-$FLAVOUR
dir=$KROOT/$LINE
# shellcheck disable=SC2153 # PKGS comes from the .conf
pkgs=$(printf '%s' "$PKGS" | sed -e "s/@ABI@/$abi/g" -e "s/@BASE@/$abi_base/g" \
	-e "s/@HOST@/$HOST_DEB_ARCH/g")
first=${pkgs%% *}
ver=$(papt_cache policy "${first%:*}" 2>/dev/null | sed -n "s/^ *Candidate: //p" | head -n1)

if [ -f "$dir/ok" ] && [ "$(cat "$dir/abi")" = "$abi" ] &&
	{ [ -z "$ver" ] || [ "$(awk 'NR==1{print $2}' "$dir/versions")" = "$ver" ]; }; then
	log "line $LINE: $abi (cached, $(awk 'NR==1{print $2}' "$dir/versions"))"
	exit 0
fi

log "line $LINE: fetching $abi"
rm -rf "$dir"
mkdir -p "$dir"
# shellcheck disable=SC2086
pkg_fetch "$dir/root" $pkgs

img=$(printf '%s' "$VMLINUZ" | sed -e "s/@ABI@/$abi/g")
[ -f "$dir/root/$img" ] || die "kernel image $img not in the packages"
ln -s "root/$img" "$dir/vmlinuz"
moddir=
for m in "$dir"/root/lib/modules/"$abi" "$dir"/root/usr/lib/modules/"$abi"; do
	[ -d "$m" ] && { moddir=$m; break; }
done
[ -n "$moddir" ] || die "no modules directory for $abi"
ln -s "${moddir#"$dir"/}" "$dir/modules"

# Header tree: the arm64 tree includes the -common tree and (7.x) sets KBUILD_OUTPUT by
# absolute /usr/src paths; point both into our extracted root, by its physical path (a
# chroot build sees only that: build-module.sh bind-mounts `pwd -P` of the line).
hdr=$dir/root/usr/src/linux-headers-$abi
[ -d "$hdr" ] || die "no header tree for $abi"
sed -i -e "s|/usr/src/|$(cd "$dir" && pwd -P)/root/usr/src/|g" "$hdr/Makefile"
ln -s "root/usr/src/linux-headers-$abi" "$dir/build"

# Package versions, for the record.
for p in $pkgs; do
	n=${p%%:*}
	f=$(pkg_file "$p")
	printf '%s %s\n' "$n" "$(dpkg-deb -f "$f" Version)"
done >"$dir/versions"
printf '%s\n' "$abi" >"$dir/abi"
touch "$dir/ok"
log "line $LINE: $abi ready ($(awk 'NR==1{print $2}' "$dir/versions"))"
