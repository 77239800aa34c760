#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mkseeds.sh FIXTURES OUT [IDENT_OUT]: libFuzzer seeds for tests/fuzz/fuzz_parse.c from the
# fixture trees: each debugfs file prefixed with the selector byte of its parser (4 KiB pages;
# fwb as the fixtures' stats say); and for tests/fuzz/fuzz_ident.c, in IDENT_OUT, the VMM
# command lines of FIXTURES/proc/*/cmdline as they are.
set -eu
fix=$1 out=$2 ident=${3:-}
rm -rf "$out"
mkdir -p "$out"
if [ -n "$ident" ]; then
	rm -rf "$ident"
	mkdir -p "$ident"
	for f in "$fix"/proc/*/cmdline; do
		p=${f%/cmdline}
		cp "$f" "$ident/cmdline-${p##*/}"
	done
fi
n=0
find "$fix" -type f -path '*/kvm_s2stat/*' | sort | while read -r f; do
	case ${f##*/} in
	version) sel=0 ;;
	stats) sel=1 ;;
	summary) sel=2 ;;
	status) sel=3 ;;
	mappings) sel=4 ;;
	verify) sel=5 ;;
	effective) sel=6 ;;
	*) continue ;;
	esac
	root=${f%/kvm_s2stat/*}/kvm_s2stat
	if grep -qx 'fwb 1' "$root/stats" 2>/dev/null; then sel=$((sel + 21)); fi
	n=$((n + 1))
	{ printf "\\$(printf '%03o' "$sel")"; cat "$f"; } > "$out/seed-$n"
done
