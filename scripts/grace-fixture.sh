#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# grace-fixture.sh [CONSOLE [DEST]]: the CLI fixture of a VM with cacheable device memory,
# from a real run: tests/guest/grace/50-grace.sh prints the debugfs files of its block VM
# (version, stats, summary, <vm>/status, <vm>/mappings, <vm>/verify) as
# "# fixture: FILE: LINE" in the grace cell's console log; this writes them to
# DEST/kvm_s2stat/.  Defaults: CONSOLE $B/testbed/trixie-backports-grace/console.log (make testbed
# KERNELS=trixie-backports MODES=grace), DEST tests/fixtures/cacheable-6.17.
#
# One change, so that the CLI's identity tests find their /proc fixture
# (tests/fixtures/proc/5151: a QEMU named grace,,gpu): the VM is renamed to FIXTURE_VM
# (default 5151-9, pid 5151) in the directory name, summary and status.  Everything else is
# the module's output verbatim.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

console=${1:-$B/testbed/trixie-backports-grace/console.log}
dest=${2:-$TOP/tests/fixtures/cacheable-6.17}
newvm=${FIXTURE_VM:-5151-9}
newpid=${newvm%-*}
[ -f "$console" ] || die "$console: no such console log (make testbed KERNELS=trixie-backports MODES=grace)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tr -d '\r' <"$console" | sed -n 's/^# fixture: //p' >"$tmp/lines"
vm=$(tr -d '\r' <"$console" | sed -n 's/^# fixture-begin [^ ]* vm \([0-9]*-[0-9]*\)$/\1/p' | tail -n1)
if [ -z "$vm" ] || [ ! -s "$tmp/lines" ]; then
	die "$console has no fixture (did 50-grace run on a FWB+DIC cell?)"
fi
pid=${vm%-*}
for f in version stats summary "$vm/status" "$vm/mappings" "$vm/verify"; do
	out=$tmp/kvm_s2stat/${f/#$vm\//$newvm/}
	mkdir -p "$(dirname "$out")"
	awk -v f="$f: " 'index($0, f) == 1 { print substr($0, length(f) + 1) }' "$tmp/lines" >"$out"
	[ -s "$out" ] || die "$console: no lines of $f"
done
# Rename: summary's first two columns keep their widths; status's vm and pid lines.
awk -v vm="$vm" -v pid="$pid" -v nv="$newvm" -v np="$newpid" '
	$1 == vm && $2 == pid {
		match($0, /^[^ ]+ +/); w1 = RLENGTH; rest = substr($0, w1 + 1)
		match(rest, /^[^ ]+ +/); w2 = RLENGTH
		$0 = sprintf("%-" w1 - 1 "s %-" w2 - 1 "s %s", nv, np, substr(rest, w2 + 1))
	} { print }' "$tmp/kvm_s2stat/summary" >"$tmp/summary" && mv "$tmp/summary" "$tmp/kvm_s2stat/summary"
sed -i -e "s/^vm $vm\$/vm $newvm/" -e "s/^pid $pid\$/pid $newpid/" "$tmp/kvm_s2stat/$newvm/status"
rm -rf "$dest/kvm_s2stat"
mkdir -p "$dest"
cp -r "$tmp/kvm_s2stat" "$dest/"
log "wrote $dest/kvm_s2stat from $console (VM $vm as $newvm)"
