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
#   CELL_TIMEOUT  seconds before a cell's QEMU is killed (default 600)
#   BOOT_TIMEOUT  seconds for the kernel to reach /init before QEMU is killed (default 180)
#   KERNEL_ARGS   extra kernel command line
#   QEMU_ARGS     extra QEMU arguments (split on spaces), e.g. '-icount shift=0,sleep=off'
#   TESTBED_DIR   where the cells' files go (default $B/testbed; `make bench` uses $B/bench)
#   DEBUG_SHELL=1 one cell only, interactive: the console is this terminal and the guest
#                 opens a shell after the tests
#   CELL_KINDS    std (tests/guest/ scenarios) and/or realvm (tests/realvm/: Debian's QEMU and
#                 Linux guests inside the cell, docs/testbed.md "Real-VMM cells"); default both
#   REALVM_CELLS  the LINE/MODE cells that also get a realvm cell (when that line and mode run)
# Per cell: $TESTBED_DIR/<line>-<mode>[-realvm]/{console.log,qemu.cmd,qemu.err,results}.
# The last line of output is "N passed, N failed" (skips on the line before); the exit
# status is non-zero when anything failed.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

KERNELS=${KERNELS:-$(all_lines)}
MODES=${MODES:-}
TESTS=$(echo "${TESTS:-}" | tr ' ' ,)
JOBS=${JOBS:-$(nproc)}
CELL_TIMEOUT=${CELL_TIMEOUT:-600}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
KERNEL_ARGS=${KERNEL_ARGS:-}
DEBUG_SHELL=${DEBUG_SHELL:-0}
QEMU=${QEMU:-qemu-system-aarch64}
QEMU_ARGS=${QEMU_ARGS:-}
TB=${TESTBED_DIR:-$B/testbed}
# (An interactive DEBUG_SHELL run is one std cell unless CELL_KINDS says otherwise.)
if [ "$DEBUG_SHELL" = 1 ]; then CELL_KINDS=${CELL_KINDS:-std}; else CELL_KINDS=${CELL_KINDS:-std realvm}; fi
REALVM_CELLS=${REALVM_CELLS-6.1/vhe 6.12/vhe 6.12/nvhe 6.12-16k/vhe 7.3/vhe}

# A cell is LINE/MODE (the tests/guest/ suite) or LINE/MODE/realvm; its directory:
cell_dir() { local c=${1//\//-}; echo "$TB/$c"; }

# qemu_args LINE MODE [KIND]: the QEMU command line of a cell (one argument per line).
qemu_args() {
	local line=$1 mode=$2 kind=${3:-} append initrd=$B/$1/initramfs.cpio.gz
	load_mode "$mode"
	load_line "$line" # BOOT_ARGS: the line's own kernel arguments (debug kernels)
	append="console=ttyAMA0 rdinit=/init panic=-1 s2.mode=$mode ${BOOT_ARGS:-}"
	[ "$kind" != realvm ] || { initrd=$B/$line/realvm.img append="$append s2.suite=realvm"; }
	[ -z "$TESTS" ] || append="$append s2.tests=$TESTS"
	[ "$DEBUG_SHELL" != 1 ] || append="$append s2.shell=1"
	append="$append $MODE_ARGS $KERNEL_ARGS"
	printf '%s\n' "$QEMU" \
		-M virt,virtualization=on,gic-version=3,iommu=smmuv3 -cpu "$MODE_CPU" \
		-smp 2 -m 2G -nographic -no-reboot \
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

# run_cell LINE MODE [KIND]: boot one cell and write its results file:
#   pass|fail|skip NAME [REASON]     one per test, plus cell-level failures
#   time BOOT TESTS WALL             seconds to /init, in the guest's tests, on the host
run_cell() {
	local line=$1 mode=$2 dir rc t0 t1
	local -a cmd
	dir=$(cell_dir "$1/$2${3:+/$3}")
	rm -rf "$dir"
	mkdir -p "$dir"
	mapfile -t cmd < <(qemu_args "$line" "$mode" "${3:-}")
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
		timeout -k 5 "$CELL_TIMEOUT" "${cmd[@]}" </dev/null >"$dir/console.log" 2>"$dir/qemu.err" &
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
	tr -d '\r' <"$dir/console.log" | awk -v rc="$rc" -v limit="$CELL_TIMEOUT" -v blimit="$BOOT_TIMEOUT" \
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
	END {
		if (rc == "boot") print "fail cell/boot-timeout", "/init not reached after " blimit " s: QEMU killed"
		else if (rc == 124 || rc == 137) print "fail cell/timeout", "QEMU killed after " limit " s"
		else if (rc != 0) print "fail cell/qemu", "QEMU exited " rc (qerr != "" ? ": " qerr : "")
		if (crash != "") { sub(/^\[ *[0-9.]+\] /, "", crash); print "fail cell/kernel-crash", crash }
		if (!ktap) { if (rc != "boot") print "fail cell/boot", "/init never printed KTAP (boot failure)" }
		else if (!totals || plan == "") print "fail cell/incomplete", "no plan/totals: the run stopped early"
		else if (plan != n) print "fail cell/plan", "plan 1.." plan " but " n " results"
		printf "time %s %s %.1f\n", (boot == "" ? "?" : boot), (done == "" || boot == "" ? "?" : sprintf("%.1f", done - boot)), wall
	}' >"$dir/results"
	log "$line/$mode${3:+/$3}: $(grep -c '^pass ' "$dir/results") passed, $(grep -c '^fail ' "$dir/results") failed, $(grep -c '^skip ' "$dir/results") skipped ($(awk '$1 == "time" { print $4 }' "$dir/results") s)"
}

# main: the whole run.  (A function, so that bash has read all of this file before it
# starts: editing the script while a run is going on cannot break that run.)
main() {
	command -v "$QEMU" >/dev/null || die "$QEMU not found: run 'make setup'"

	cells=()
	realvm_lines=
	for line in $KERNELS; do
		load_line "$line"
		for mode in $(line_modes "$line" "$MODES"); do
			load_mode "$mode"
			case " $CELL_KINDS " in *" std "*) cells+=("$line/$mode") ;; esac
			case " $CELL_KINDS " in *" realvm "*)
				case " $REALVM_CELLS " in *" $line/$mode "*)
					cells+=("$line/$mode/realvm")
					realvm_lines="$realvm_lines $line" ;;
				esac ;;
			esac
		done
	done
	[ ${#cells[@]} -gt 0 ] || die "no cell to run (KERNELS='$KERNELS' MODES='$MODES')"
	[ "$DEBUG_SHELL" != 1 ] || [ ${#cells[@]} -eq 1 ] ||
		die "DEBUG_SHELL=1 needs exactly one cell (e.g. KERNELS=6.12 MODES=vhe)"

	for line in $KERNELS; do
		"$TOP/scripts/build-initramfs.sh" "$line"
	done
	# shellcheck disable=SC2086 # a list of lines
	for line in $(printf '%s\n' $realvm_lines | sort -u); do
		"$TOP/scripts/build-vmimage.sh" "$line"
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

	# Report.
	passed=0 failed=0 skipped=0
	fails=()
	printf '\n%-20s %-6s %6s %6s %6s   %s\n' cell result pass fail skip "boot/tests/wall (s)"
	for cell in "${cells[@]}"; do
		dir=$(cell_dir "$cell")
		r=$dir/results
		[ -f "$r" ] || echo "fail cell/harness no results file" >"$r"
		p=$(grep -c '^pass ' "$r" || true)
		f=$(grep -c '^fail ' "$r" || true)
		s=$(grep -c '^skip ' "$r" || true)
		tm=$(awk '$1 == "time" { print $2 " / " $3 " / " $4 }' "$r")
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
		printf '%-20s %-6s %6d %6d %6d   %s\n' "$cell" "$([ "$f" = 0 ] && echo PASS || echo FAIL)" \
			"$p" "$f" "$s" "${tm:-?}"
		while read -r _ name reason; do
			fails+=("$cell $name${reason:+: $reason}  [console: $dir/console.log]")
		done < <(grep '^fail ' "$r")
	done
	# Per-script guest times of every cell, for keeping the suite's budget.
	for cell in "${cells[@]}"; do
		tr -d '\r' <"$(cell_dir "$cell")/console.log" 2>/dev/null |
			awk -v c="$cell" '/^# s2: [^ ]+ done in [0-9.]+ s$/ { print $3, c, $6 }'
	done | sort -k3,3nr >"$TB/script-times"
	echo
	[ ! -s "$TB/script-times" ] || echo "slowest scripts (s): $(head -n 4 "$TB/script-times" |
		awk '{ printf "%s%s %s %s", (NR > 1 ? ", " : ""), $1, $2, $3 }')  [all: $TB/script-times]"
	KERNELS=$KERNELS MODES=$MODES "$TOP/scripts/matrix.sh" "$TB/matrix.md" 2>/dev/null &&
		echo "matrix: $TB/matrix.md ('make matrix-doc' copies it to docs/matrix.md)"
	for f in "${fails[@]}"; do echo "FAILED $f"; done
	[ $((passed + failed)) -gt 0 ] || { failed=1; echo "FAILED no test ran"; }
	echo "$skipped skipped"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

main "$@"
exit $?