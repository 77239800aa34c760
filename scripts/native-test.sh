#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# native-test.sh (make check-native): the native install paths on an emulated Debian arm64
# KVM host.  For each line of NATIVE_KERNELS (default "6.12 6.1", in the bookworm image of
# scripts/native-image.sh; trixie-backports is in the trixie image) boot the image (root: a throw-away snapshot of the cached
# image) with that kernel and run tests/native/NN-*.sh (NATIVE_TESTS: globs) there:
#   10-make   make && make install && modprobe kvm_s2stat, standard check, make uninstall
#   20-dkms   make dkms-install: dkms status "installed" for every kernel, standard check
#   30-deb    dpkg-buildpackage -us -uc natively (first boot only; later boots install the
#             same .debs), apt-get install of both .debs, standard check, purge
# The packages built in the image are copied to $B/native/debs/ and checked with this
# machine's lintian.  Output: $B/native/LINE/{console.log,results,out/}; the last line is
# "N passed, N failed".  NATIVE_SHELL=1: a shell on the console after the tests (first line).
# shellcheck source=scripts/native-image.sh
. "$(dirname "$0")/native-image.sh"

KERNELS_N=${NATIVE_KERNELS:-6.12 6.1}
out=$B/native
t_start=$SECONDS
vmm=$B/aarch64/s2vmm
[ -x "$vmm" ] || die "$vmm not built: make vmm"

# line_suite LINE: the image that has LINE (suite_conf in native-image.sh).
line_suite() {
	local s
	for s in bookworm trixie; do
		suite_conf "$s"
		case " $LINES " in *" $1 "*) echo "$s"; return ;; esac
	done
	die "no native image has kernel line $1 (bookworm: 6.1 6.12, trixie: trixie-backports)"
}
for line in $KERNELS_N; do line_suite "$line" >/dev/null; done
for s in $(for line in $KERNELS_N; do line_suite "$line"; done | sort -u); do
	"$TOP/scripts/native-image.sh" "$s"
done

# payload DIR: the payload tree of one boot.
payload() {
	local pl=$1
	rm -rf "$pl"
	mkdir -p "$pl/src" "$pl/bin" "$pl/tests" "$pl/debs" "$pl/out"
	(cd "$TOP" && git ls-files -z -co --exclude-standard 2>/dev/null |
		tar --null -T - --ignore-failed-read -c 2>/dev/null) | tar -x -C "$pl/src"
	[ -f "$pl/src/Makefile" ] || tar -C "$TOP" --exclude=./build --exclude=./.git -c . | tar -x -C "$pl/src"
	install -m 0755 "$vmm" "$pl/bin/s2vmm"
	cp "$TOP"/tests/native/* "$pl/tests/"
	cp "$TOP/tests/guest/lib.sh" "$pl/tests/guest-lib.sh"
	install -m 0755 "$TOP/tests/native/init" "$pl/run"
	if compgen -G "$out/debs/*.deb" >/dev/null; then cp "$out"/debs/*.deb "$pl/debs/"; fi
}

rm -rf "$out/debs"
first=1 failed=0 passed=0
for line in $KERNELS_N; do
	d=$out/$line
	rm -rf "$d"
	mkdir -p "$d"
	payload "$d/payload"
	mkfs.ext4 -q -F -L s2payload -d "$d/payload" "$d/payload.img" >/dev/null \
		"$(( $(du -sm "$d/payload" | cut -f1) * 2 + 256 ))M"
	rm -rf "$d/payload"
	initrd=$(boot_initramfs "$line")
	kargs=
	[ -z "$NATIVE_TESTS" ] || kargs="s2n.tests=$(echo "$NATIVE_TESTS" | tr ' ' ,)"
	SUITE=$(line_suite "$line")
	img=$CACHE/native-$SUITE/rootfs.img
	t0=$SECONDS
	if [ "${NATIVE_SHELL:-0}" = 1 ] && [ $first = 1 ]; then
		log "line $line: booting with a shell at the end (poweroff: exit)"
		NATIVE_SNAPSHOT=1 NATIVE_INTERACTIVE=1 NATIVE_KERNEL_ARGS="$kargs s2n.shell=1" \
			qemu_boot "$d/console.log" 0 "$KROOT/$line/vmlinuz" "$initrd" /mnt/payload/run "$img" "$d/payload.img" || true
		exit 0
	fi
	log "line $line: booting the $SUITE image ($(awk -v l="$line" '$1 == l { print $2 }' "$CACHE/native-$SUITE/lines")); console $d/console.log"
	NATIVE_SNAPSHOT=1 NATIVE_KERNEL_ARGS="$kargs" qemu_boot "$d/console.log" "${NATIVE_TIMEOUT:-5400}" \
		"$KROOT/$line/vmlinuz" "$initrd" /mnt/payload/run "$img" "$d/payload.img" || true
	el=$((SECONDS - t0))
	# Results: KTAP from the console.
	tr -d '\r' <"$d/console.log" | awk '
		/^ok [0-9]+ / { n = $3; if ($0 ~ / # SKIP/) print "skip", n; else print "pass", n }
		/^not ok [0-9]+ / { print "fail", $4 }' >"$d/results"
	grep -q '^# totals:' "$d/console.log" || echo "fail cell/incomplete" >>"$d/results"
	if grep -Eq 'Kernel panic|kernel BUG at|Unable to handle kernel' "$d/console.log"; then
		echo "fail cell/kernel-crash" >>"$d/results"
	fi
	# What the guest wrote: built packages, logs.
	debugfs -R "rdump /out $d" "$d/payload.img" >/dev/null 2>&1 || true
	[ -d "$d/out" ] || warn "cannot read back $d/payload.img"
	if [ $first = 1 ] && compgen -G "$d/out/*.deb" >/dev/null; then
		mkdir -p "$out/debs"
		cp "$d"/out/*.deb "$d"/out/*.changes "$d"/out/*.dsc "$d"/out/*.tar.* "$d"/out/*.buildinfo "$out/debs/" 2>/dev/null
	fi
	rm -f "$d/payload.img"
	p=$(grep -c '^pass' "$d/results" || true) f=$(grep -c '^fail' "$d/results" || true)
	passed=$((passed + p)) failed=$((failed + f))
	log "line $line: $p passed, $f failed in ${el} s"
	grep -E '^# s2n: .* took ' "$d/console.log" | sed 's/^# s2n: /    /' >&2
	while read -r r n; do
		[ "$r" = fail ] || continue
		reason=$(tr -d '\r' <"$d/console.log" | grep -F "# $n: " | tail -n1 | sed "s|^# $n: ||")
		echo "FAILED native/$line $n${reason:+: $reason}  [console: $d/console.log]"
	done <"$d/results"
	first=0
done

# lintian on the arm64 packages built in the image (binary and source).
if compgen -G "$out/debs/*.changes" >/dev/null; then
	if "$TOP/scripts/package.sh" lintian "$out"/debs/*.changes; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED native/lintian  [$B/package/lintian.log]"
	fi
fi
log "check-native: $((SECONDS - t_start)) s"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
