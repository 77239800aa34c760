#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mkseeds.sh FIXTURES OUT: libFuzzer seeds for tests/fuzz/fuzz_parse.c from the fixture
# trees: each debugfs file prefixed with the selector byte of its parser (4 KiB pages; fwb
# as the fixtures' stats say).
set -eu
fix=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
n=0
find "$fix" -type f -path '*/kvm_s2stat/*' | sort | while read -r f; do
	case ${f##*/} in
	version) sel=0 ;;
	stats) sel=1 ;;
	summary) sel=2 ;;
	status) sel=3 ;;
	mappings) sel=4 ;;
	verify) sel=5 ;;
	*) continue ;;
	esac
	root=${f%/kvm_s2stat/*}/kvm_s2stat
	if grep -qx 'fwb 1' "$root/stats" 2>/dev/null; then sel=$((sel + 18)); fi
	n=$((n + 1))
	{ printf "\\$(printf '%03o' "$sel")"; cat "$f"; } > "$out/seed-$n"
done
