#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# package.sh [deps|check|build|lintian DIR]: Debian packages of kvm-s2stat (make package).
#
#   deps      install what dpkg-buildpackage and lintian need here (apt-get, only missing
#             packages; the machine's apt configuration is not changed)
#   check     one version everywhere: module (module/s2stat.h), CLI (userspace/version.h),
#             dkms.conf, debian/changelog
#   build     export the tree (git's tracked and untracked-not-ignored files, so never the
#             build area) to $B/package/src/kvm-s2stat-<version>/ and run
#             `dpkg-buildpackage -us -uc` there: on arm64 everything (source, kvm-s2stat
#             arm64, kvm-s2stat-dkms all); elsewhere source + kvm-s2stat-dkms (the arm64 CLI
#             package is built natively in the emulated arm64 host: make check-native)
#   lintian [FILES...]  lintian on the given .changes/.deb/.dsc (default: those of `build`);
#             fails on any error or warning that debian/*lintian-overrides does not explain
# Output in $B/package/: .dsc, .tar.xz, .deb, .changes, .buildinfo, build.log, lintian.log.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

out=$B/package

version_of() {
	case $1 in
	module) sed -n 's/^#define S2STAT_VERSION[[:space:]]*"\(.*\)"/\1/p' "$TOP/module/s2stat.h" ;;
	cli) sed -n 's/^#define KVM_S2STAT_VERSION[[:space:]]*"\(.*\)"/\1/p' "$TOP/userspace/version.h" ;;
	dkms) sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf" ;;
	debian) dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version ;;
	esac
}

do_deps() {
	local need=(dpkg-dev debhelper dh-dkms lintian fakeroot) missing=() p
	for p in "${need[@]}"; do
		dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] || host_apt_install "$out/deps-apt.log" "${missing[@]}"
}

do_check() {
	local m c k d bad=0
	m=$(version_of module) c=$(version_of cli) k=$(version_of dkms) d=$(version_of debian)
	for v in "$c" "$k" "${d%%-*}"; do [ "$v" = "$m" ] || bad=1; done
	[ $bad = 0 ] || die "versions differ: module $m, CLI $c, dkms.conf $k, debian/changelog $d"
	log "version $m (module, CLI, dkms.conf, debian/changelog)"
}

# export_tree DEST: the files git would commit, copied to DEST (no build area, no .git).
export_tree() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$TOP" && git ls-files -z -co --exclude-standard |
			tar --null -T - --ignore-failed-read -c 2>/dev/null) | tar -x -C "$dest"
	else
		tar -C "$TOP" --exclude=./build --exclude=./.git -c . | tar -x -C "$dest"
	fi
	[ -f "$dest/debian/control" ] || die "export of the source tree failed"
}

do_build() {
	do_check
	local v src t0=$SECONDS arch
	v=$(version_of debian)
	src=$out/src/kvm-s2stat-$v
	arch=$(dpkg --print-architecture)
	export_tree "$src"
	rm -f "$out"/kvm-s2stat*_"$v"*
	local build=full
	[ "$arch" = arm64 ] || build=source,all
	log "dpkg-buildpackage -us -uc --build=$build ($arch; log $out/build.log)"
	if ! (cd "$src" && dpkg-buildpackage -us -uc --build="$build") >"$out/build.log" 2>&1; then
		tail -n 40 "$out/build.log" >&2
		die "dpkg-buildpackage failed (log $out/build.log)"
	fi
	mv "$out"/src/kvm-s2stat*_"$v"* "$out"/
	log "built in $((SECONDS - t0)) s: $(cd "$out" && echo kvm-s2stat*_"$v"*.deb kvm-s2stat_"$v".dsc)"
}

do_lintian() {
	local files=("$@") v
	if [ ${#files[@]} -eq 0 ]; then
		v=$(version_of debian)
		mapfile -t files < <(ls "$out"/kvm-s2stat_"$v"_*.changes)
	fi
	[ ${#files[@]} -gt 0 ] || die "nothing to check: run 'make package' first"
	command -v lintian >/dev/null || die "lintian missing: 'scripts/package.sh deps'"
	local rc=0 log=$out/lintian.log
	mkdir -p "$out"
	# Every tag is shown (info, pedantic, overridden ones with their reasons); only errors
	# and warnings fail.
	lintian --info --display-info --pedantic --show-overrides --fail-on error,warning \
		"${files[@]}" >"$log.raw" 2>&1 || rc=$?
	grep -v '^running with root privileges' "$log.raw" >"$log" || true
	rm -f "$log.raw"
	if [ -s "$log" ]; then sed 's/^/  /' "$log"; else echo "  lintian: no tags (pedantic and info included)"; fi
	[ $rc = 0 ] || die "lintian failed ($rc): $log"
	log "lintian: no errors or warnings on ${files[*]##*/}"
}

case ${1:-} in
deps) do_deps ;;
check) do_check ;;
build) do_deps; do_build ;;
lintian) shift; do_lintian "$@" ;;
*) die "usage: $0 deps|check|build|lintian [FILES...]" ;;
esac
