#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.sh: the kernel's own style checks on module/ — checkpatch.pl --strict and
# kernel-doc — taken from Debian's linux-source package of the newest kernel line (fetched
# once through the private apt root into the build cache).
#
# One checkpatch type is ignored: LINUX_VERSION_CODE.  Out-of-tree code must build against
# several kernels; module/compat.h holds the one version test (S2_KERNEL_AT_LEAST).
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

SRCPKG=${CHECKPATCH_SRC:-linux-source-6.12}
dir=$CACHE/checkpatch/$SRCPKG
if [ ! -f "$dir/ok" ]; then
	papt_init
	log "extracting checkpatch.pl and kernel-doc from $SRCPKG"
	rm -rf "$dir" "$dir.x"
	mkdir -p "$dir.x"
	pkg_fetch "$dir.x" "$SRCPKG:all"
	# shellcheck disable=SC2012 # one Debian file name
	tarball=$(ls "$dir.x"/usr/src/linux-source-*.tar.xz | head -n1)
	[ -n "$tarball" ] || die "$SRCPKG has no source tarball"
	mkdir -p "$dir"
	tar -C "$dir" --strip-components=1 -xJf "$tarball" --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch' \
		'*/scripts/kernel-doc' '*/scripts/kernel-doc.pl' 2>/dev/null || true
	rm -rf "$dir.x"
	[ -f "$dir/scripts/checkpatch.pl" ] || die "checkpatch.pl not found in $SRCPKG"
	touch "$dir/ok"
fi

cd "$TOP" || exit 1
files=(module/*.c module/*.h)
out=$(perl "$dir/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore LINUX_VERSION_CODE -f "${files[@]}" 2>&1 | grep -v '^total: 0 errors, 0 warnings, 0 checks' || true)
kd=$dir/scripts/kernel-doc
[ -f "$dir/scripts/kernel-doc.pl" ] && kd=$dir/scripts/kernel-doc.pl
doc=$(perl "$kd" -none "${files[@]}" 2>&1 || true)
if [ -n "$out$doc" ]; then
	printf '%s\n' "$out" "$doc" | sed '/^$/d'
	die "module/ is not checkpatch --strict / kernel-doc clean"
fi
log "module/: checkpatch --strict and kernel-doc clean (${#files[@]} files)"
