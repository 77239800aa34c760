#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh (make bench): run the in-guest benchmarks (tests/bench/) in the testbed and turn
# their measurements into ratios, a table and machine-readable files (docs/performance.md).
#
# Environment (mk/bench.mk passes these):
#   KERNELS       kernel lines (default 6.12)          MODES  boot modes (default vhe)
#   BENCH_P1_KERNELS  more lines on which only 10-fault (P1) runs, in the main pass (make
#                 bench: 6.1 and trixie-backports when KERNELS is not given, so that one run
#                 gives P1 on every line; empty: none)
#   BENCH_PAIRS   A/B pairs per figure (default 7, at least 5)
#   BENCH_CLOCK   the guest clock of the main pass:
#                 icount (default)  QEMU -icount shift=0,sleep=off: guest time counts retired
#                                   instructions (1 ns = 1 instruction); deterministic and
#                                   blind to the host's load; the vCPUs take turns
#                 wall              plain multi-threaded TCG: guest time is host wall time
#   BENCH_WALL    scripts that need vCPUs running in parallel, run in a second, wall-clock
#                 boot when the main pass is icount (default 31-stall; empty: none)
#   BENCH_REALVM  tests/realvm/bench/ scripts run in a real-VMM cell of each KERNELS x MODES
#                 (Debian's QEMU and a Linux guest, wall clock; default 90-effread; empty:
#                 none); not restricted by TESTS
#   BENCH_REALVM_MEM  the emulated host's RAM in that cell (default 6G: P6's 4 GiB guest is
#                 pinned whole for VFIO DMA)
#   TESTS         globs of tests/bench/NN-*.sh to run (default all)
#   CELL_TIMEOUT  seconds per boot (default 3600)
# Output, $B/bench/:
#   <line>-<mode>/, wall/<line>-<mode>/   each boot's console.log, results (testbed.sh) and
#   realvm/<line>-<mode>-realvm/          bench.raw (the "# s2bench" lines of the guest)
#   results.tsv, results.json             one row per figure and cell, this run's cells
#   results.md                            the same as Markdown tables (docs/performance.md)
#   pairs.tsv                             every A/B pair behind the ratios
# Every ratio is b/a over pairs taken in the same boot, alternating the order of a and b;
# the table gives the median and the spread (min..max) of the pair ratios.  Exit status:
# non-zero when a boot failed or measured nothing; a missed target is reported, not an
# error (benchmarks are not tests).
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

KERNELS=${KERNELS:-6.12}
P1_LINES=
for l in ${BENCH_P1_KERNELS:-}; do
	case " $KERNELS $P1_LINES " in *" $l "*) ;; *) P1_LINES="$P1_LINES $l" ;; esac
done
P1_LINES=${P1_LINES# }
MODES=${MODES:-vhe}
BENCH_PAIRS=${BENCH_PAIRS:-7}
BENCH_CLOCK=${BENCH_CLOCK:-icount}
BENCH_WALL=${BENCH_WALL-31-stall}
BENCH_REALVM=${BENCH_REALVM-90-effread}
TESTS=$(echo "${TESTS:-}" | tr , ' ')
OUT=$B/bench
ICOUNT='-icount shift=0,sleep=off'

[ "$BENCH_PAIRS" -ge 5 ] 2>/dev/null || die "BENCH_PAIRS must be a number >= 5"
case $BENCH_CLOCK in icount | wall) ;; *) die "BENCH_CLOCK must be icount or wall" ;; esac
[ -x "$B/aarch64/s2bench" ] || die "$B/aarch64/s2bench missing: run 'make bench'"

# The wall-clock pass: BENCH_WALL's scripts, restricted to TESTS when given.
wall_tests=
if [ "$BENCH_CLOCK" = icount ]; then
	for w in $BENCH_WALL; do
		if [ -z "$TESTS" ]; then
			wall_tests="$wall_tests $w"
			continue
		fi
		for t in $TESTS; do
			# shellcheck disable=SC2254 # TESTS are globs
			case $w in $t | $t.sh) wall_tests="$wall_tests $w" && break ;; esac
		done
	done
fi
wall_tests=${wall_tests# }

# The bench image of a line: its testbed initramfs followed by a layer (scripts/vmimage.sh)
# with what only the benchmarks need: the floor module (tests/bench/probecost, built like
# kvm_s2stat.ko) and Debian's arm64 bpftrace with its libraries (the peers of 10-fault).
# The testbed boots it through a second -initrd in QEMU_ARGS (QEMU takes the last one).
# shellcheck source=scripts/vmimage.sh
. "$TOP/scripts/vmimage.sh"
BENCH_BPFTRACE_SUITE=${BENCH_BPFTRACE_SUITE:-trixie}
bench_image() {
	local line=$1 base=$B/$1/initramfs.cpio.gz ko=$B/$1/probecost.ko img=$OUT/img/$1.img st sum
	"$TOP/scripts/build-initramfs.sh" "$line"
	"$TOP/scripts/build-module.sh" "$line" "$TOP/tests/bench/probecost"
	sum=$(sha256sum "$base" "$ko" "$bt_tree.ok" "$0" | sha256sum | cut -d' ' -f1)
	if [ -f "$img" ] && [ "$(cat "$img.sum" 2>/dev/null)" = "$sum" ]; then
		log "line $line: bench image $img up to date"
		return
	fi
	st=$OUT/img/$line.layer
	rm -rf "$st"
	mkdir -p "$st/s2"
	cp -a "$bt_tree/." "$st/"
	cp "$ko" "$st/s2/probecost.ko"
	vmi_layer "$base" "$st" "$img"
	rm -rf "$st"
	echo "$sum" >"$img.sum"
	log "line $line: bench image $img ($(du -m "$img" | cut -f1) MiB: testbed image + probecost.ko + bpftrace)"
}

# boot DIR CLOCK TESTS [KIND]: one testbed pass over KERNELS x MODES, one testbed.sh per line.
# Standard cells boot the line's bench image with the distribution's slab settings.
# KIND realvm: the lines' real-VMM cells with the tests/realvm/bench/ suite (their own image).
boot() {
	local q kinds=std suite=bench cells m line r=0 extra=
	log "pass: clock $2, tests '${3:-all}'${4:+ ($4 cells)} -> $1"
	for line in $KERNELS; do
		q=${QEMU_ARGS:-} cells=
		[ "$2" = wall ] || q="${q:+$q }$ICOUNT"
		if [ "${4:-}" = realvm ]; then
			kinds=realvm suite=realvm-bench extra=
			# P6's 4 GiB guest: QEMU pins all of its RAM for the passed-through device's
			# DMA (VFIO type1), the emulated host needs more than the cells' 2 GiB (the
			# last -m wins).
			q="${q:+$q }-m ${BENCH_REALVM_MEM:-6G}"
			for m in $(line_modes "$line" "$MODES"); do cells="$cells $line/$m"; done
		else
			q="${q:+$q }-initrd $OUT/img/$line.img"
		fi
		TESTBED_DIR=$1 JOBS=1 CELL_KINDS=$kinds REALVM_CELLS=$cells \
			CELL_TIMEOUT=${CELL_TIMEOUT:-3600} KERNELS=$line MODES=$MODES TESTS=$3 \
			QEMU_ARGS=$q KERNEL_ARGS="${KERNEL_ARGS:-}${extra:+ $extra} s2.suite=$suite s2bench.pairs=$BENCH_PAIRS s2bench.clock=$2" \
			"$TOP/scripts/testbed.sh" || r=$?
	done
	return $r
}

mkdir -p "$OUT/img"
bt_tree=$(vmi_deb_tree bench-bpftrace "$BENCH_BPFTRACE_SUITE" bpftrace /usr/bin/bpftrace)
# P1 on the extra lines when the main pass runs 10-fault.
p1_run='' p1=10-fault
if [ -n "$P1_LINES" ]; then
	for t in ${TESTS:-$p1}; do
		# shellcheck disable=SC2254 # TESTS are globs
		case $p1 in $t | ${t%.sh}) p1_run=1 && break ;; esac
	done
fi
[ -n "$p1_run" ] || P1_LINES=
for line in $KERNELS $P1_LINES; do bench_image "$line"; done
log "benchmarks: KERNELS='$KERNELS'${P1_LINES:+ (+ 10-fault on $P1_LINES)} MODES='$MODES' pairs=$BENCH_PAIRS clock=$BENCH_CLOCK" \
	"${wall_tests:+(+ wall clock: $wall_tests)} -> $OUT"
rc=0
main_tests=$TESTS
if [ -n "$wall_tests" ] && [ -z "$TESTS" ]; then
	# Everything but the wall-clock scripts.
	for f in "$TOP"/tests/bench/[0-9][0-9]-*.sh; do
		n=$(basename "$f" .sh)
		case " $wall_tests " in *" $n "*) ;; *) main_tests="$main_tests $n" ;; esac
	done
fi
passes=("$OUT|$BENCH_CLOCK|$main_tests|")
[ -z "$wall_tests" ] || passes+=("$OUT/wall|wall|$wall_tests|")
[ -z "$BENCH_REALVM" ] || passes+=("$OUT/realvm|wall|$BENCH_REALVM|realvm")
declare -A load=()
for p in "${passes[@]}"; do
	IFS='|' read -r dir clock tests kind <<<"$p"
	[ -n "${tests// /}" ] || [ -z "$TESTS" ] || [ "$kind" = realvm ] || continue
	l0=$(cut -d' ' -f1 /proc/loadavg)
	boot "$dir" "$clock" "$(echo "$tests" | sed 's/^ *//' | tr ' ' ,)" "$kind" || rc=$?
	if [ "$dir" = "$OUT" ] && [ -n "$P1_LINES" ]; then
		KERNELS=$P1_LINES boot "$dir" "$clock" "$p1" "$kind" || rc=$?
	fi
	load[$dir]="$l0..$(cut -d' ' -f1 /proc/loadavg)"
done

host_cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n1)
host_cpu="${host_cpu:-$(uname -m)} x$(nproc)"
qemu_ver=$(qemu-system-aarch64 --version 2>/dev/null | sed -n '1s/.*version \([^ ]*\).*/\1/p')
rev=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)

tsv=$OUT/results.tsv
pairs=$OUT/pairs.tsv
printf 'cell\tkernel\tmode\tkvm_mode\tqemu_cpu\tmidr\tpage_size\tclock\thost_cpu\thost_load\tqemu\trevision\tdate\tfigure\twhat\tn\tmedian\tmin\tmax\ta_median\tb_median\tunit\ttarget\tverdict\tnote\n' >"$tsv"
printf 'cell\tfigure\ti\torder\ta\tb\tratio\textra\n' >"$pairs"
for p in "${passes[@]}"; do
	IFS='|' read -r dir clock tests kind <<<"$p"
	lines=$KERNELS
	[ "$dir" != "$OUT" ] || lines="$KERNELS $P1_LINES"
	for line in $lines; do
		for mode in $(line_modes "$line" "$MODES"); do
			cell=$line-$mode
			[ "$dir" = "$OUT" ] || cell=$cell/${kind:-wall}
			sub=$line-$mode${kind:+-$kind}
			con=$dir/$sub/console.log
			raw=$dir/$sub/bench.raw
			[ -f "$con" ] || continue
			tr -d '\r' <"$con" | sed -n 's/^# s2bench //p' >"$raw"
			# (A boot whose scripts all skipped measures nothing; failures are in rc.)
			grep -q '^\(pair\|value\) ' "$raw" || continue
			awk -v cell="$cell" -v host_cpu="$host_cpu" -v host_load="${load[$dir]:-?}" \
				-v qemu="$qemu_ver" -v rev="$rev" \
				-v stamp="$stamp" -v pairs="$pairs" \
				-f "$TOP/scripts/bench-summary.awk" "$raw" >>"$tsv"
		done
	done
done

# JSON: the TSV's rows as objects (numbers stay numbers).
awk -F'\t' '
function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
function v(s) { return (s ~ /^-?[0-9]+(\.[0-9]+)?$/) ? s : q(s) }
NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i; printf "{\"format\": 1, \"results\": ["; next }
{ printf "%s\n  {", (NR > 2 ? "," : ""); for (i = 1; i <= NF; i++) printf "%s%s: %s", (i > 1 ? ", " : ""), q(h[i]), v($i); printf "}" }
END { print "\n]}" }' "$tsv" >"$OUT/results.json"

# Markdown (what docs/performance.md shows): one table per cell.
awk -F'\t' '
NR == 1 { next }
$1 != last {
	last = $1
	printf "%s**%s**: kernel %s, KVM %s, QEMU `-cpu %s` (MIDR %s), %s-byte pages, clock %s; host %s, load average %s; QEMU %s; kvm-s2stat %s; %s\n\n",
		(NR > 2 ? "\n" : ""), $1, $2, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
	print "| figure | what | median | min..max | target | verdict | note |"
	print "|---|---|---|---|---|---|---|"
}
{ mm = ($18 == "-" ? "" : $18 ".." $19)
  printf "| %s | %s [%s, n=%s] | %s | %s | %s | %s | %s |\n", $14, $15, $22, $16, $17, mm,
	($23 == "-" ? "" : $23), ($24 == "-" ? "" : $24), ($25 == "-" ? "" : $25) }' "$tsv" >"$OUT/results.md"

# P1 side by side (results-p1.md, also printed): per cell and fault path, the module, the
# bare ftrace floor and the peers, each x(median ratio) (+instructions per fault).
awk -F'\t' '
function cellv(c, f,    d) {
	if (!((c, f) in med)) return "-"
	if (med[c, f] == "n/a") return "n/a"
	d = note[c, f]
	if (match(d, /\(\+-?[0-9]+\)/)) d = " " substr(d, RSTART, RLENGTH); else d = ""
	return "x" med[c, f] d
}
NR == 1 { next }
{ if (!($1 in seen)) { seen[$1] = 1; cells[++nc] = $1; kern[$1] = $2 }
  med[$1, $14] = $17; note[$1, $14] = $25; verd[$1, $14] = $24 }
END {
	print "| cell | faults | kvm_s2stat | ftrace floor | bpftrace kprobe+kretprobe | bpftrace kretfunc | module ahead of every peer |"
	print "|---|---|---|---|---|---|---|"
	for (i = 1; i <= nc; i++) {
		c = cells[i]
		for (j = 1; j <= 2; j++) {
			p = (j == 1 ? "dev" : "ram")
			if (!((c, "P1." p) in med)) continue
			ok = "yes"; any = 0
			for (k = 1; k <= 2; k++) {
				f = "P1." p "-" (k == 1 ? "kprobe" : "kretfunc")
				if (!((c, f) in med) || med[c, f] == "n/a") continue
				any = 1
				if (verd[c, f] != "module ahead") ok = "NO"
			}
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", c, (p == "dev" ? "VFIO BAR, 4 KiB" : "RAM, 4 KiB"),
				cellv(c, "P1." p), cellv(c, "P1." p "-floor"), cellv(c, "P1." p "-kprobe"),
				cellv(c, "P1." p "-kretfunc"), (any ? ok : "-")
		}
	}
}' "$tsv" >"$OUT/results-p1.md"
[ "$(wc -l <"$OUT/results-p1.md")" -le 2 ] || { echo; cat "$OUT/results-p1.md"; }

# The table: ratios are b/a (median of the pairs, then min..max); times are guest ns.
awk -F'\t' '
NR == 1 { next }
$1 != last {
	last = $1
	printf "\n== %s: kernel %s, KVM %s, -cpu %s (MIDR %s), %s-byte pages, clock %s\n", $1, $2, $4, $5, $6, $7, $8
	printf "   host %s (load average %s during the boot), QEMU %s, kvm-s2stat %s, %s\n", $9, $10, $11, $12, $13
	printf "%-18s %10s %-17s %-8s %-7s %s\n", "figure", "median", "min..max", "target", "verdict", "what"
}
{ mm = ($18 == "-" ? "" : $18 ".." $19)
  printf "%-18s %10s %-17s %-8s %-7s %s\n", $14, $17, mm, $23, $24, $15 " [" $22 ", n=" $16 "]"
  if ($25 != "-" && $25 != "") printf "%-18s %s\n", "", "  " $25 }' "$tsv"
echo
log "results: $tsv, $OUT/results.json, $OUT/results.md, $OUT/results-p1.md, $pairs"
exit $rc
