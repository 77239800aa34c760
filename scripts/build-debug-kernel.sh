#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-debug-kernel.sh LINE: build the debug kernel of LINE (kernels/debug/LINE.conf,
# SOURCE=local) from Debian's kernel source package and lay it out in $B/cache/kernels/LINE
# exactly like scripts/fetch-kernel.sh lays out a Debian kernel:
#   vmlinuz   -> obj/arch/arm64/boot/Image
#   modules   -> root/lib/modules/<release>   (modules.builtin; everything is built in)
#   build     -> obj                          (the full object tree: `make -C build M=...`)
#   abi       <release> (uname -r)            versions  source package, compiler, config
#   ok        present when all of it is complete
#   src/ obj/ build.log                       the source tree, objects, log
#   build-time, build-time.cold               the last build's wall and CPU time, the last cold one
# fetch-kernel.sh runs this for SOURCE=local lines, so build-module.sh, build-initramfs.sh
# and testbed.sh take the line like any other.
#
# The source is the newest SRCPKG version matching SRCVER_RE in the private apt root
# (DEBUG_SRCVER=<version> pins one).  The configuration is `allnoconfig` + the CONFIGS
# fragments (merge_config.sh) + `olddefconfig`; every CONFIG_X=value and "is not set" line
# of the fragments is then checked, so a symbol Kconfig silently dropped fails the build.
# The compiler is the host's ${CROSS_COMPILE_ARM64}gcc, which must be gcc-<GCC> (the module
# is built later with the same one).  Rebuilds: a new source version starts from scratch; a
# changed fragment, compiler or BUILD_REV (below) reconfigures and rebuilds incrementally
# (an unchanged .config is left untouched); otherwise nothing is done (~0.1 s).  Long builds run under `nice -n ${DEBUG_KERNEL_NICE:-19}` with
# ${DEBUG_KERNEL_JOBS:-$(nproc)} jobs.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 LINE"
load_line "$1"
[ "${SOURCE:-}" = local ] || die "line $LINE is not SOURCE=local"
: "${SRCPKG:?kernels: SRCPKG missing for $LINE}" "${SRCVER_RE:?}" "${CONFIGS:?}" "${GCC:?}"

# Bump when a change to this script changes what it builds.
BUILD_REV=1
dir=$KROOT/$LINE
cross=${CROSS_COMPILE_ARM64:-aarch64-linux-gnu-}
nice_n=${DEBUG_KERNEL_NICE:-19}
jobs=${DEBUG_KERNEL_JOBS:-$(nproc)}
mkdir -p "$KROOT"

# One build of this line at a time (not the shared cache lock: a cold build takes long and
# other lines' fetches must not wait for it).
exec 8>"$KROOT/.$LINE.lock"
flock 8

# ---- host tools ----------------------------------------------------------------------
# Building a kernel needs flex, bison and bc besides what `make setup` installs.
need_tools() {
	local -a missing=() t
	for t in flex:flex bison:bison bc:bc perl:perl "${cross}gcc:gcc-aarch64-linux-gnu" gcc:gcc make:make; do
		command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
	done
	[ ${#missing[@]} -eq 0 ] || host_apt_install "$B/debug-kernel-apt.log" "${missing[@]}"
}

# ---- which source version ------------------------------------------------------------
# newest_srcver: the newest SRCPKG version matching SRCVER_RE in the private apt root.
newest_srcver() {
	papt_cache madison "$SRCPKG" 2>/dev/null | awk -F' [|] ' '{ print $2 }' |
		grep -E -- "$SRCVER_RE" | sort -uV | tail -n1
}

have_ok=0
[ -f "$dir/ok" ] && have_ok=1
srcver=${DEBUG_SRCVER:-}
if [ -z "$srcver" ]; then
	cache_lock
	papt_init # lists refreshed at most hourly; older lists are used when the archive is unreachable
	srcver=$(newest_srcver)
	flock -u 9
	[ -n "$srcver" ] || die "no $SRCPKG version matching '$SRCVER_RE' in the archive"
fi

ccver=$("${cross}gcc" -dumpfullversion 2>/dev/null || true)
stamp=$( {
	echo "$SRCPKG $srcver $ccver"
	for c in $CONFIGS; do sha256sum <"$TOP/$c"; done
	echo "rev $BUILD_REV"
} | sha256sum | cut -d' ' -f1)
if [ $have_ok = 1 ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
	log "line $LINE: $(cat "$dir/abi") (cached, $SRCPKG $srcver)"
	exit 0
fi

need_tools
ccver=$("${cross}gcc" -dumpfullversion)
[ "${ccver%%.*}" = "$GCC" ] ||
	die "${cross}gcc is $ccver; kernels/debug/$LINE.conf wants gcc-$GCC (the compiler of Debian's kernel)"

t0=$(date +%s)
kind=incremental
rm -f "$dir/ok"
mkdir -p "$dir"

# ---- source --------------------------------------------------------------------------
if [ "$(cat "$dir/src/.s2-srcver" 2>/dev/null)" != "$srcver" ]; then
	log "line $LINE: extracting $SRCPKG $srcver (cold build follows)"
	kind=cold
	deb=$CACHE/debs/${SRCPKG}_${srcver//:/%3a}_all.deb
	if [ ! -f "$deb" ]; then
		cache_lock
		papt_init
		mkdir -p "$CACHE/debs"
		(cd "$CACHE/debs" && papt_get download "$SRCPKG:all=$srcver" >/dev/null) ||
			die "cannot download $SRCPKG $srcver"
		flock -u 9
		[ -f "$deb" ] || die "downloaded $SRCPKG $srcver but $deb is not there"
	fi
	rm -rf "$dir/src" "$dir/obj" "$dir/root"
	mkdir -p "$dir/src.tmp"
	tarball=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | grep -E '^\./usr/src/linux-source-.*\.tar\.xz$' | head -n1)
	[ -n "$tarball" ] || die "$deb has no source tarball"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" |
		tar -xJ --strip-components=1 -C "$dir/src.tmp"
	echo "$srcver" >"$dir/src.tmp/.s2-srcver"
	mv "$dir/src.tmp" "$dir/src"
fi

# ---- configuration -------------------------------------------------------------------
kmake() {
	nice -n "$nice_n" make -C "$dir/src" O="$dir/obj" ARCH=arm64 CROSS_COMPILE="$cross" \
		KBUILD_BUILD_USER=s2 KBUILD_BUILD_HOST=kvm-s2stat "$@"
}
mkdir -p "$dir/obj"
: >"$dir/build.log"
log "line $LINE: configuring (allnoconfig + $CONFIGS)"
frags=()
for c in $CONFIGS; do frags+=("$TOP/$c"); done
# Made in .config.s2new and moved to .config only when different (no needless rebuild).
kc=.config.s2new
{
	KCONFIG_CONFIG=$kc kmake -s allnoconfig
	(cd "$dir/src" && KCONFIG_CONFIG="$dir/obj/$kc" \
		scripts/kconfig/merge_config.sh -m -O "$dir/obj" "$dir/obj/$kc" "${frags[@]}")
	KCONFIG_CONFIG=$kc kmake -s olddefconfig
} >>"$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log" >&2; die "line $LINE: configuration failed (log: $dir/build.log)"; }
if cmp -s "$dir/obj/$kc" "$dir/obj/.config"; then rm -f "$dir/obj/$kc"; else mv "$dir/obj/$kc" "$dir/obj/.config"; fi
# A symbol set by several fragments: the last one's value counts (as in merge_config.sh).
bad=$(for c in "${frags[@]}"; do
	sed -nE 's/^(CONFIG_[A-Za-z0-9_]+=.*)$/\1/p; s/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1 unset/p' "$c"
done | awk '{ s = $1; sub(/=.*/, "", s); if (!(s in v)) o[++n] = s; v[s] = $0 }
	END { for (i = 1; i <= n; i++) print v[o[i]] }' | while read -r want unset; do
	sym=${want%%=*}
	have=$(grep -E "^$sym=" "$dir/obj/.config" || true)
	if [ -n "$unset" ]; then
		[ -z "$have" ] || echo "  $sym: wanted unset, got $have"
	else
		[ "$have" = "$want" ] || echo "  $want: got ${have:-unset}"
	fi
done)
[ -z "$bad" ] || die "line $LINE: the configuration lost symbols of the fragments (check their dependencies):
$bad"

# ---- build ---------------------------------------------------------------------------
log "line $LINE: building $SRCPKG $srcver with ${cross}gcc $ccver, $jobs jobs, nice $nice_n (log: $dir/build.log; a cold build is ~13 min of CPU)"
if ! kmake -j"$jobs" Image modules >>"$dir/build.log" 2>&1; then
	grep -E -B5 -A5 'error|Error' "$dir/build.log" | tail -n 40 >&2
	die "line $LINE: kernel build failed (log: $dir/build.log)"
fi
krel=$(cat "$dir/obj/include/config/kernel.release")
rm -rf "$dir/root"
kmake -s INSTALL_MOD_PATH="$dir/root" INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod modules_install \
	>>"$dir/build.log" 2>&1 || { tail -n 20 "$dir/build.log" >&2; die "line $LINE: modules_install failed"; }
moddir=$dir/root/lib/modules/$krel
mkdir -p "$moddir/kernel"
[ -f "$moddir/modules.builtin" ] || die "line $LINE: no modules.builtin after modules_install"
[ -f "$dir/obj/Module.symvers" ] || die "line $LINE: no Module.symvers"
[ -f "$dir/obj/arch/arm64/boot/Image" ] || die "line $LINE: no arch/arm64/boot/Image"

ln -sfn obj/arch/arm64/boot/Image "$dir/vmlinuz"
ln -sfn "root/lib/modules/$krel" "$dir/modules"
ln -sfn obj "$dir/build"
printf '%s\n' "$krel" >"$dir/abi"
printf '%s %s\n' "$SRCPKG" "$srcver" "${cross}gcc" "$ccver" \
	config "$(cat "${frags[@]}" | sha256sum | cut -c1-16)" >"$dir/versions"
echo "$stamp" >"$dir/.stamp"
t1=$(date +%s)
# CPU time of the compiler and make (the children of this script): wall time on a busy
# machine says little, CPU time / jobs is the time on idle cores.
# (`times` in this shell, not in a $(...) subshell, which has no children.)
times >"$dir/.times"
cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%d", s }' "$dir/.times")
rm -f "$dir/.times"
echo "$kind: $((t1 - t0)) s wall, $cpu s CPU, $jobs jobs, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" >"$dir/build-time"
[ $kind != cold ] || cp "$dir/build-time" "$dir/build-time.cold"
touch "$dir/ok"
log "line $LINE: $krel ready in $((t1 - t0)) s, $cpu s CPU ($SRCPKG $srcver; $(du -sh "$dir/obj/arch/arm64/boot/Image" | cut -f1) Image)"
