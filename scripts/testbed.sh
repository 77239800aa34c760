#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# testbed.sh: boot every kernel line x boot mode ("cell") under qemu-system-aarch64 (TCG) with
# the testbed initramfs, run the in-guest tests, and turn their KTAP into a verdict.
#
# Environment (the Makefile passes these through):
#   KERNELS   lines to run (default: all kernels/*.conf)
#   MODES     boot modes for every listed line (default: each line's MODES_DEFAULT)
#   TESTS     in-guest script globs, space or comma separated (default: all)
#   JOBS      cells booted at once (default: nproc; see docs/testbed.md)
#   CELL_TIMEOUT  seconds before a cell's QEMU is killed (default: derived per cell from the
#                 selected scripts' "# s2-timeout:" values, see cell_budget)
#   BOOT_TIMEOUT  seconds for the kernel to reach /init before QEMU is killed (default 180)
#   KERNEL_ARGS   extra kernel command line
#   QEMU_ARGS     extra QEMU arguments (split on spaces), e.g. '-icount shift=0,sleep=off'
#   TESTBED_DIR   where the cells' files go (default $B/testbed; `make bench` uses $B/bench)
#   DEBUG_SHELL=1 one cell only, interactive: the console is this terminal and the guest
#                 opens a shell after the tests
#   MANIFEST      the expected counts (default tests/expected; see scripts/manifest.sh)
#   CHECK_RESULTS files of "pass|fail NAME [REASON]" lines from outside the testbed (make
#                 check: the demo) counted in the summary
#   CELL_KINDS    std (tests/guest/ scenarios) and/or realvm (tests/realvm/: Debian's QEMU and
#                 Linux guests inside the cell, docs/testbed.md "Real-VMM cells"); default
#                 both, std only when TESTS or DEBUG_SHELL is given
#   REALVM_CELLS  the LINE/MODE cells that also get a realvm cell (scripts/lib.sh)
# Per cell: $TESTBED_DIR/<line>-<mode>[-realvm]/{console.log,qemu.cmd,qemu.err,results}.
# Before booting, each line's kernel is fetched and the module built for it: a line whose
# kernel cannot be fetched or whose module does not build is not booted and fails with one
# line naming the kernel and the first error.  After the run every cell is compared with
# the manifest (missing cells, scripts and checks fail).  The last line of output is
# "N passed, N failed" (skips on the line before); the exit status is non-zero when
# anything failed.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

KERNELS=${KERNELS:-$(all_lines)}
MODES=${MODES:-}
TESTS=$(echo "${TESTS:-}" | tr ' ' ,)
JOBS=${JOBS:-$(nproc)}
CELL_TIMEOUT=${CELL_TIMEOUT:-}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
KERNEL_ARGS=${KERNEL_ARGS:-}
DEBUG_SHELL=${DEBUG_SHELL:-0}
QEMU=${QEMU:-qemu-system-aarch64}
QEMU_ARGS=${QEMU_ARGS:-}
TB=${TESTBED_DIR:-$B/testbed}
if [ "$DEBUG_SHELL" = 1 ] || [ -n "$TESTS" ]; then
	CELL_KINDS=${CELL_KINDS:-std}
else
	CELL_KINDS=${CELL_KINDS:-std realvm}
fi

# qemu_args LINE MODE DIR [KIND]: the QEMU command line of a cell (one argument per line);
# a mode with its own machine (s2.machine=M, kernels/modes) gets it from
# scripts/machine-M.sh, which may write files into the cell's DIR.
qemu_args() {
	local line=$1 mode=$2 dir=$3 kind=${4:-} machine
	machine=$(mode_arg "$mode" machine)
	if [ -n "$machine" ]; then
		local -a std
		mapfile -t std < <(std_qemu_args "$line" "$mode" "$kind")
		"$TOP/scripts/machine-$machine.sh" cmd "$line" "$mode" "$dir" "${std[@]}"
	else
		std_qemu_args "$line" "$mode" "$kind"
	fi
}

# std_qemu_args LINE MODE [KIND]: the standard testbed machine's command line (KIND realvm:
# the real-VMM image and suite).
std_qemu_args() {
	local line=$1 mode=$2 kind=${3:-} append initrd=$B/$1/initramfs.cpio.gz
	load_mode "$mode"
	load_line "$line" # BOOT_ARGS: the line's own kernel arguments (debug kernels)
	# log_buf_len: the boot log is still whole when /init starts capturing /dev/kmsg.
	# 3 GiB with a 1 GiB CMA area (movable pages use it meanwhile): 48-events can take a 1 GiB
	# hugetlb page at run time.  (On 2 GiB the kernel finds no free aligned GiB to reserve.)
	append="console=ttyAMA0 rdinit=/init panic=-1 log_buf_len=4M s2.mode=$mode hugetlb_cma=1G ${BOOT_ARGS:-}"
	[ "$kind" != realvm ] || { initrd=$B/$line/realvm.img append="$append s2.suite=realvm"; }
	[ -z "$TESTS" ] || append="$append s2.tests=$TESTS"
	[ "$DEBUG_SHELL" != 1 ] || append="$append s2.shell=1"
	append="$append $MODE_ARGS $KERNEL_ARGS"
	printf '%s\n' "$QEMU" \
		-M virt,virtualization=on,gic-version=3,iommu=smmuv3 -cpu "$MODE_CPU" \
		-smp 2 -m 3G -nographic -no-reboot -nic none \
		-kernel "$KROOT/$line/vmlinuz" -initrd "$initrd" \
		-append "$(echo "$append" | tr -s ' ' | sed 's/ $//')" \
		-object memory-backend-ram,id=shm0,size=256M \
		-device ivshmem-plain,memdev=shm0,bus=pcie.0,addr=2 \
		-device edu,bus=pcie.0,addr=3 \
		-netdev user,id=n0,restrict=on \
		-device e1000e,netdev=n0,romfile=,bus=pcie.0,addr=4 \
		-object memory-backend-ram,id=shm1,size=1M \
		-device ivshmem-plain,memdev=shm1,bus=pcie.0,addr=5
	# shellcheck disable=SC2086 # QEMU_ARGS is a list of words
	[ -z "$QEMU_ARGS" ] || printf '%s\n' $QEMU_ARGS
}

# selected_scripts [KIND]: the selected in-guest scripts (TESTS, as tests/guest/init selects
# them; KIND realvm: tests/realvm/).
selected_scripts() {
	local f n p dir=guest
	[ "${1:-}" != realvm ] || dir=realvm
	for f in "$TOP/tests/$dir"/[0-9][0-9]-*.sh; do
		n=${f##*/}
		n=${n%.sh}
		if [ -n "$TESTS" ]; then
			for p in ${TESTS//,/ }; do
				# shellcheck disable=SC2254 # globs
				case $n in $p | $p.sh) echo "$f"; break ;; esac
			done
		else
			echo "$f"
		fi
	done
}

# cell_budget LINE [KIND]: seconds a cell of LINE may take: boot (BOOT_TIMEOUT at most... but a
# normal boot is 60 s at most under load), then every selected script's timeout (its
# "# s2-timeout: N", else s2.timeout= or 120, times s2.timeout_scale) plus 20 s for the
# reset and checks after it, plus 60 s for init's own checks and the power-off.  A hung
# script is killed by its timeout and fails as that script; the cell's limit is only
# reached when the guest itself hangs.
cell_budget() {
	local t def=120 scale=1 soak=1 w sum=120 f
	load_line "$1"
	for w in ${BOOT_ARGS:-} $KERNEL_ARGS; do
		case $w in
		s2.timeout=*) def=${w#*=} ;;
		s2.timeout_scale=*) scale=${w#*=} ;;
		s2.soak=*) soak=${w#*=} ;;
		esac
	done
	scale=$((scale * soak))
	while read -r f; do
		t=$(sed -n '1,10s/^# s2-timeout: *\([0-9][0-9]*\).*/\1/p' "$f" | head -n1)
		sum=$((sum + ${t:-$def} * scale + 20))
	done < <(selected_scripts "${2:-}")
	echo "$sum"
}

# run_cell LINE MODE [KIND]: boot one cell and write its results file:
#   pass|fail|skip NAME [REASON]     one per test, plus cell-level failures
#   time BOOT TESTS WALL             seconds to /init, in the guest's tests, on the host
run_cell() {
	local line=$1 mode=$2 kind=${3:-} dir rc t0 t1 limit
	local -a cmd
	dir=$(cell_dir "$TB" "$line/$mode${kind:+/$kind}")
	rm -rf "$dir"
	mkdir -p "$dir"
	if [ -n "${LINE_FAIL[$line]:-}" ]; then
		echo "fail cell/kernel ${LINE_FAIL[$line]}" >"$dir/results"
		return
	fi
	if [ "$kind" = realvm ] && [ -n "${VMIMAGE_FAIL[$line]:-}" ]; then
		echo "fail cell/image ${VMIMAGE_FAIL[$line]}" >"$dir/results"
		return
	fi
	limit=${CELL_TIMEOUT:-$(cell_budget "$line" "$kind")}
	mapfile -t cmd < <(qemu_args "$line" "$mode" "$dir" "$kind")
	if [ ${#cmd[@]} -lt 10 ]; then
		echo "fail cell/harness cannot build the QEMU command line (see the log above)" >"$dir/results"
		return
	fi
	printf '%q ' "${cmd[@]}" >"$dir/qemu.cmd"
	echo >>"$dir/qemu.cmd"
	t0=$(date +%s.%N)
	if [ "$DEBUG_SHELL" = 1 ]; then
		"${cmd[@]}" 2>"$dir/qemu.err" | tee "$dir/console.log"
		rc=${PIPESTATUS[0]}
	else
		rc=0
		timeout -k 5 "$limit" "${cmd[@]}" </dev/null >"$dir/console.log" 2>"$dir/qemu.err" &
		local qpid=$! i=0
		# Boot watchdog: a kernel that has not reached /init after BOOT_TIMEOUT s is hung.
		while kill -0 "$qpid" 2>/dev/null && ! grep -q '^KTAP version 1' "$dir/console.log"; do
			if [ $i -ge "$BOOT_TIMEOUT" ]; then
				touch "$dir/boot-timeout"
				kill "$qpid" 2>/dev/null
				break
			fi
			sleep 1
			i=$((i + 1))
		done
		wait "$qpid" || rc=$?
	fi
	t1=$(date +%s.%N)
	[ ! -f "$dir/boot-timeout" ] || rc=boot
	tr -d '\r' <"$dir/console.log" | awk -v rc="$rc" -v limit="$limit" -v blimit="$BOOT_TIMEOUT" \
		-v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		-v qerr="$(head -n1 "$dir/qemu.err")" '
	function flush_diag() { d = "" }
	/^KTAP version 1/ { ktap = 1; next }
	/^# s2: init at uptime / { boot = $6 }
	/^# s2: done at uptime / { done = $6 }
	/^# totals: / { totals = 1; next }
	/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }
	/^# dmesg: / { next }
	/^# / { if (ktap && !totals) { s = substr($0, 3); d = (d == "" ? s : d " | " s) } next }
	/^(not )?ok [0-9]+ / {
		if (!ktap) next
		n++
		if ($1 == "not") {
			name = $4
			if (index(d, name ": ") == 1) d = substr(d, length(name) + 3)
			print "fail", name, d; failed++
		}
		else if ($0 ~ / # SKIP/) { r = $0; sub(/.* # SKIP */, "", r); print "skip", $3, r }
		else print "pass", $3
		d = ""
		next
	}
	/Kernel panic - not syncing|Internal error: |kernel BUG at|Unable to handle kernel/ {
		if (!crash) crash = $0
	}
	# Kernel lines on the console (errors and worse; the guest checks its whole log itself).
	/^\[ *[0-9]+\.[0-9]+\] / && /WARNING:|BUG:|Oops|Call trace|lockdep|KASAN|kmemleak|sleeping function/ &&
		!/kmemleak: (Kernel memory leak detector initialized|Automatic memory scanning thread)|RCU lockdep checking is enabled/ {
		if (!bad) bad = $0
	}
	END {
		if (rc == "boot") print "fail cell/boot-timeout", "/init not reached after " blimit " s: QEMU killed"
		else if (rc == 124 || rc == 137) print "fail cell/timeout", "QEMU killed after " limit " s"
		else if (rc != 0) print "fail cell/qemu", "QEMU exited " rc (qerr != "" ? ": " qerr : "")
		if (crash != "") { sub(/^\[ *[0-9.]+\] /, "", crash); print "fail cell/kernel-crash", crash }
		else if (bad != "") { sub(/^\[ *[0-9.]+\] /, "", bad); print "fail cell/console-clean", bad }
		if (!ktap) { if (rc != "boot") print "fail cell/boot", "/init never printed KTAP (boot failure)" }
		else if (!totals || plan == "") print "fail cell/incomplete", "no plan/totals: the run stopped early"
		else if (plan != n) print "fail cell/plan", "plan 1.." plan " but " n " results"
		printf "time %s %s %.1f\n", (boot == "" ? "?" : boot), (done == "" || boot == "" ? "?" : sprintf("%.1f", done - boot)), wall
	}' >"$dir/results"
	log "$line/$mode${kind:+/$kind}: $(grep -c '^pass ' "$dir/results") passed, $(grep -c '^fail ' "$dir/results") failed, $(grep -c '^skip ' "$dir/results") skipped ($(awk '$1 == "time" { print $4 }' "$dir/results") s)"
}

# prepare_line LINE: fetch the line's kernel, build the module and the initramfs.  On a
# failure, LINE_FAIL[LINE] says in one line which kernel and what went wrong (the line's
# cells are then not booted); the full output is in $TB/prepare-LINE.log.
prepare_line() {
	local line=$1 out=$TB/prepare-$1.log abi first
	if ! "$TOP/scripts/fetch-kernel.sh" "$line" >"$out" 2>&1; then
		LINE_FAIL[$line]="cannot fetch the kernel of line $line: $(grep -m1 'error:' "$out" | sed 's/^\[[^]]*\] error: //')"
		return
	fi
	abi=$(cat "$KROOT/$line/abi")
	if ! "$TOP/scripts/build-module.sh" "$line" >>"$out" 2>&1; then
		first=$(grep -m1 -E '(error|ERROR|Error)[: ]' "$B/$line/module-build.log" 2>/dev/null || true)
		[ -n "$first" ] || first=$(grep -m1 'error:' "$out" | sed 's/^\[[^]]*\] error: //')
		LINE_FAIL[$line]="kernel $abi ($(awk 'NR == 1 { print $2 }' "$KROOT/$line/versions")): kvm_s2stat.ko does not build: ${first:-see $out}"
		return
	fi
	if ! "$TOP/scripts/build-initramfs.sh" "$line" >>"$out" 2>&1; then
		LINE_FAIL[$line]="kernel $abi: the testbed image does not build: $(grep -m1 'error:' "$out" | sed 's/^\[[^]]*\] error: //')"
		return
	fi
	grep -h '^\[' "$out" | grep -v 'up to date\|(cached' >&2 || true
	KVERSION[$line]="$abi ($(awk 'NR == 1 { print $2 }' "$KROOT/$line/versions"))"
}

# main: the whole run.  (A function, so that bash has read all of this file before it
# starts: editing the script while a run is going on cannot break that run.)
main() {
	command -v "$QEMU" >/dev/null || die "$QEMU not found: run 'make setup'"
	declare -gA LINE_FAIL=() KVERSION=() VMIMAGE_FAIL=()

	cells=()
	realvm_lines=
	for line in $KERNELS; do
		load_line "$line"
		for mode in $(line_modes "$line" "$MODES"); do
			load_mode "$mode"
			while read -r c; do
				cells+=("$c")
				case $c in */realvm) realvm_lines="$realvm_lines $line" ;; esac
			done < <(cell_names "$line" "$mode" "$CELL_KINDS")
		done
	done
	[ ${#cells[@]} -gt 0 ] || die "no cell to run (KERNELS='$KERNELS' MODES='$MODES')"
	# Boot order: the longest cells first, so that two job slots end close together: the
	# 4 KiB VHE cells (the full stress rounds), the other tests/guest/ cells, the real-VMM
	# cells, then the cells on their own machine (grace: short).
	mapfile -t cells < <(for c in "${cells[@]}"; do
		IFS=/ read -r line mode kind <<<"$c"
		if [ -n "$(mode_arg "$mode" machine)" ]; then k=4
		elif [ -n "$kind" ]; then k=3
		elif [ "$mode" = vhe ] && [ "${line%-16k}" = "$line" ]; then k=1
		else k=2; fi
		echo "$k $c"
	done | sort -s -k1,1n | cut -d' ' -f2)
	[ "$DEBUG_SHELL" != 1 ] || [ ${#cells[@]} -eq 1 ] ||
		die "DEBUG_SHELL=1 needs exactly one cell (e.g. KERNELS=6.12 MODES=vhe)"
	# The full selection is what make check runs: then the manifest must be met in full.
	full=0
	[ -n "$TESTS" ] || [ "$(printf '%s\n' "${cells[@]}" | sort)" != "$(default_cells | sort)" ] || full=1

	mkdir -p "$TB"
	for line in $KERNELS; do
		prepare_line "$line"
		if [ -n "${LINE_FAIL[$line]:-}" ]; then
			log "line $line: ${LINE_FAIL[$line]}"
		else
			log "line $line: kernel ${KVERSION[$line]}, cell limit ${CELL_TIMEOUT:-$(cell_budget "$line")} s"
		fi
		if [ -n "$CELL_TIMEOUT" ] && [ "$CELL_TIMEOUT" -lt "$(cell_budget "$line")" ]; then
			warn "CELL_TIMEOUT=$CELL_TIMEOUT is below the budget of line $line's scripts ($(cell_budget "$line") s): a hung script may cost the whole cell"
		fi
	done
	# The real-VMM cells' images (one per line).
	# shellcheck disable=SC2086 # a list of lines
	for line in $(printf '%s\n' $realvm_lines | sort -u); do
		[ -z "${LINE_FAIL[$line]:-}" ] || continue
		"$TOP/scripts/build-vmimage.sh" "$line" >>"$TB/prepare-$line.log" 2>&1 ||
			VMIMAGE_FAIL[$line]="kernel line $line: the real-VMM image does not build: $(grep -m1 'error:' "$TB/prepare-$line.log" | sed 's/^\[[^]]*\] error: //')"
	done
	# Cells on their own machine (s2.machine=M): what it needs, once per line and mode.
	for cell in "${cells[@]}"; do
		IFS=/ read -r line mode kind <<<"$cell"
		machine=$(mode_arg "$mode" machine)
		[ -z "${LINE_FAIL[$line]:-}" ] || continue
		[ -z "$machine" ] || "$TOP/scripts/machine-$machine.sh" prepare "$line" "$mode" ||
			die "cell $cell: machine $machine could not be prepared"
	done

	# Run the cells, JOBS at a time.
	trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM
	for cell in "${cells[@]}"; do
		IFS=/ read -r line mode kind <<<"$cell"
		if [ "$JOBS" -le 1 ] || [ "$DEBUG_SHELL" = 1 ]; then
			log "booting $cell"
			run_cell "$line" "$mode" "$kind"
		else
			while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
			log "booting $cell"
			run_cell "$line" "$mode" "$kind" &
		fi
	done
	wait || true

	# The manifest: shortfalls of every cell (not of a cell whose kernel is unsupported: its
	# one failure says why), and in a full run every cell of the manifest.
	for cell in "${cells[@]}"; do
		r=$(cell_dir "$TB" "$cell")/results
		[ -f "$r" ] || echo "fail cell/harness no results file" >"$r"
		grep -q '^fail cell/kernel \|^fail init/module-loads ' "$r" && continue
		[ -f "${MANIFEST:-$TOP/tests/expected}" ] || continue
		"$TOP/scripts/manifest.sh" check "$cell" "$r" "$TESTS" >"$r.manifest"
		cat "$r.manifest" >>"$r"
	done
	manifest_fails=()
	[ -f "${MANIFEST:-$TOP/tests/expected}" ] ||
		manifest_fails+=("manifest: ${MANIFEST:-tests/expected} missing: no expected counts to compare with ('make manifest' after a green full run, then review)")
	if [ $full = 1 ] && [ -f "${MANIFEST:-$TOP/tests/expected}" ]; then
		while read -r c; do
			printf '%s\n' "${cells[@]}" | grep -qx "$c" ||
				manifest_fails+=("$c manifest/cell: in tests/expected but not run (no such line or mode any more?)")
		done < <(grep -v '^#' "${MANIFEST:-$TOP/tests/expected}" | awk '{ print $1 }' | sort -u)
	fi

	# Report.
	passed=0 skipped=0
	fails=()
	declare -A reported=()
	printf '\n%-28s %-6s %6s %6s %6s   %-6s %s\n' cell result pass fail skip limit "boot/tests/wall (s)"
	for cell in "${cells[@]}"; do
		IFS=/ read -r line mode kind <<<"$cell"
		dir=$(cell_dir "$TB" "$cell")
		r=$dir/results
		p=$(grep -c '^pass ' "$r" || true)
		f=$(grep -c '^fail ' "$r" || true)
		s=$(grep -c '^skip ' "$r" || true)
		tm=$(awk '$1 == "time" { print $2 " / " $3 " / " $4 }' "$r")
		passed=$((passed + p)) skipped=$((skipped + s))
		printf '%-28s %-6s %6d %6d %6d   %-6s %s\n' "$cell" "$([ "$f" = 0 ] && echo PASS || echo FAIL)" \
			"$p" "$f" "$s" "${CELL_TIMEOUT:-$(cell_budget "$line" "$kind")}" "${tm:-?}"
		if grep -q '^fail cell/kernel ' "$r"; then
			# One line per line of kernels, not per cell.
			[ -n "${reported[$line]:-}" ] ||
				fails+=("$line $(sed -n 's/^fail cell\/kernel //p' "$r")")
			reported[$line]=1
			continue
		fi
		if grep -q '^fail init/module-loads ' "$r"; then
			fails+=("$cell kernel ${KVERSION[$line]:-?} unsupported: $(sed -n 's/^fail init\/module-loads //p' "$r")  [console: $dir/console.log]")
			continue
		fi
		while read -r _ name reason; do
			fails+=("$cell $name${reason:+: $reason}  [console: $dir/console.log]")
		done < <(grep '^fail ' "$r")
	done
	fails+=("${manifest_fails[@]}")
	# Results from outside the testbed (make check: the demo, CHECK_RESULTS).
	for f in ${CHECK_RESULTS:-}; do
		if [ ! -f "$f" ]; then
			fails+=("$f: missing (the step that writes it did not run)")
			continue
		fi
		passed=$((passed + $(grep -c '^pass ' "$f" || true)))
		while read -r _ name reason; do fails+=("$name${reason:+: $reason}"); done < <(grep '^fail ' "$f")
		grep -E '^(pass|fail) ' "$f" | awk '{ print $2 ": " toupper($1) }'
	done
	# Per-script guest times of every cell, for keeping the suite's budget.
	for cell in "${cells[@]}"; do
		tr -d '\r' <"$(cell_dir "$TB" "$cell")/console.log" 2>/dev/null |
			awk -v c="$cell" '/^# s2: [^ ]+ done in [0-9.]+ s$/ { print $3, c, $6 }'
	done | sort -k3,3nr >"$TB/script-times"
	echo
	for line in $KERNELS; do
		[ -z "${KVERSION[$line]:-}" ] || echo "kernel $line: ${KVERSION[$line]}"
	done
	[ ! -s "$TB/script-times" ] || echo "slowest scripts (s): $(head -n 4 "$TB/script-times" |
		awk '{ printf "%s%s %s %s", (NR > 1 ? ", " : ""), $1, $2, $3 }')  [all: $TB/script-times]"
	KERNELS=$KERNELS MODES=$MODES "$TOP/scripts/matrix.sh" "$TB/matrix.md" 2>/dev/null &&
		echo "matrix: $TB/matrix.md ('make matrix-doc' copies it to docs/matrix.md)"
	[ $full = 1 ] || echo "manifest: narrowed run (KERNELS/MODES/TESTS): only the selected cells and scripts were compared with tests/expected"
	for f in "${fails[@]}"; do echo "FAILED $f"; done
	failed=${#fails[@]}
	[ $((passed + failed)) -gt 0 ] || { failed=1; echo "FAILED no test ran"; }
	echo "$skipped skipped"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

main "$@"
exit $?