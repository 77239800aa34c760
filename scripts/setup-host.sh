#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# setup-host.sh (make setup): install the host packages the build and the testbed need, with
# apt-get, only those missing.  Debian/Ubuntu, x86_64 or arm64.  The machine's apt
# configuration is never changed (kernels and guest packages come through the private apt
# root of scripts/lib.sh, under the build area).
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

arch=$(dpkg --print-architecture 2>/dev/null) ||
	die "dpkg not found: only Debian/Ubuntu hosts are supported"

# Needed by the scripts, the module/VMM/CLI builds and the testbed.
need=(
	make gcc libc6-dev                       # host tools and unit tests
	qemu-system-arm                          # qemu-system-aarch64 (TCG)
	cpio kmod xz-utils zstd gzip             # initramfs, modinfo, module decompression
	dwarves                                  # pahole: module BTF for 6.12+ headers
	debootstrap debian-archive-keyring       # build chroots, private apt root
	util-linux coreutils findutils sed grep  # flock/unshare, timeout, ...
	binutils
	libcmocka-dev python3                    # host unit tests
	prometheus mandoc                        # promtool (metrics, alert rules), man page lint
)
case $arch in
amd64) need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu) ;;
arm64) ;; # the native gcc is aarch64-linux-gnu-gcc
*) warn "host architecture $arch is untested (x86_64 and arm64 are)"
	need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu) ;;
esac
# Wanted, but the build works without them: fuzzing and the sanitized unit tests (clang),
# shell lint, the man page check (man-db), a faster-booting demo image (lz4).
want=(clang libclang-rt-dev shellcheck man-db lz4)

installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

missing=()
for p in "${need[@]}" "${want[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
	log "host packages: all present"
	exit 0
fi

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || die "missing packages (${missing[*]}): run 'make setup' as root"
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
apt_q=(-q -y -o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false -o DPkg::Lock::Timeout=300)
log "installing: ${missing[*]}"
mkdir -p "$B"
$SUDO apt-get "${apt_q[@]}" update >"$B/setup-apt.log" 2>&1 ||
	{ tail -n 20 "$B/setup-apt.log" >&2; die "apt-get update failed"; }

# Optional packages the distribution does not have (e.g. Ubuntu names libclang-rt
# differently) are left out with a warning; required ones must all install.
install=()
for p in "${missing[@]}"; do
	if apt-cache show "$p" >/dev/null 2>&1; then
		install+=("$p")
	elif printf '%s\n' "${want[@]}" | grep -qx "$p"; then
		warn "optional package $p not available here; skipped"
	else
		die "required package $p is not available from this machine's apt sources"
	fi
done
if ! $SUDO apt-get "${apt_q[@]}" install "${install[@]}" >>"$B/setup-apt.log" 2>&1; then
	tail -n 20 "$B/setup-apt.log" >&2
	die "apt-get install failed (log: $B/setup-apt.log)"
fi
for p in "${need[@]}"; do installed "$p" || die "$p still not installed (log: $B/setup-apt.log)"; done
log "host packages installed: ${install[*]}"
