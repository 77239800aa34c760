#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh (make demo): boot the emulated arm64 KVM host and show kvm-s2stat on a real VM.
#
# Inside qemu-system-aarch64 (TCG, virtualization=on, SMMUv3) the Debian arm64 kernel of
# DEMO_KERNEL runs as a KVM host with an ivshmem PCI device.  Its init (tests/demo/host-init)
# binds the device to vfio-pci, starts Debian's own arm64 qemu-system-aarch64 with
# -enable-kvm -cpu host -device vfio-pci,host=... (a real VM: the same Debian kernel and a
# busybox initramfs whose init writes to the BAR through resource2 and resource2_wc, see
# tests/demo/guest-init), then loads kvm_s2stat.ko and runs kvm-s2stat, kvm-s2stat -d and
# cat .../summary while the VM runs, and powers off.  The console is shown as it happens.
#
# Prerequisites (mk/demo.mk runs them): make setup; make cross KERNELS=<line>.
# Environment:
#   DEMO_KERNEL   kernel line (kernels/<line>.conf), default 6.12
#   DEMO_MODE     boot mode (kernels/modes), default vhe
#   DEMO_SHELL=1  interactive: the emulated host's console is this terminal and a shell is
#                 left open after the demo (the VM keeps running); 'exit' powers off
#   DEMO_TIMEOUT  seconds before the emulated host is killed (default 300; not with DEMO_SHELL)
#   DEMO_GUEST_TIMEOUT  seconds the host waits for the nested guest's "ready" (default 150)
#   DEMO_QEMU_SUITE     Debian suite of the arm64 qemu-system-arm put in the image (bookworm;
#                       VM_QEMU_SUITE of scripts/vmimage.sh)
#   KERNEL_ARGS   extra kernel command line for the emulated host (e.g. demo.guest_mem=256M)
#   DEMO_T0       start time (date +%s.%N) for the total printed at the end (mk/demo.mk)
# Output: $B/demo/<line>-<mode>/{console.log,qemu.cmd,qemu.err}.  Exit status 0 only when
# the guest came up and kvm_s2stat showed its VFIO pages with the kernel's attribute; else
# one line "demo: FAILED: <reason>" on stderr.
#
# The image (testbed initramfs + a layer with QEMU, the guest's kernel and initramfs) is made
# with scripts/vmimage.sh, which the testbed's real-VMM cells share (scripts/build-vmimage.sh).
# Cache ($B/cache/demo-qemu): the arm64 .debs of qemu-system-arm and its dependency closure
# (resolved and downloaded by apt through the private root of lib.sh), and per version the
# minimal tree (the binary, the shared objects it needs by DT_NEEDED, the dynamic loader).
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

DEMO_KERNEL=${DEMO_KERNEL:-6.12}
DEMO_MODE=${DEMO_MODE:-vhe}
DEMO_SHELL=${DEMO_SHELL:-0}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-300}
DEMO_GUEST_TIMEOUT=${DEMO_GUEST_TIMEOUT:-150}
KERNEL_ARGS=${KERNEL_ARGS:-}
QEMU=${QEMU:-qemu-system-aarch64}
case $DEMO_SHELL in 1 | y | yes) DEMO_SHELL=1 ;; *) DEMO_SHELL=0 ;; esac

T0=${DEMO_T0:-$(date +%s.%N)}
fail() { printf 'demo: FAILED: %s\n' "$*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }'; }

command -v "$QEMU" >/dev/null || fail "$QEMU not found: run 'make setup'"
load_line "$DEMO_KERNEL"
load_mode "$DEMO_MODE"
D=$B/demo
OUT=$D/$LINE-$MODE
mkdir -p "$D" "$OUT"

# --- 1. the testbed image of the line: busybox, vfio modules, kvm_s2stat.ko, the CLI ------
"$TOP/scripts/build-initramfs.sh" "$LINE"
base_img=$B/$LINE/initramfs.cpio.gz
kdir=$KROOT/$LINE
[ -f "$B/$LINE/kvm_s2stat.ko" ] || fail "$B/$LINE/kvm_s2stat.ko not built (make cross KERNELS=$LINE)"
cli_note=
[ -x "$B/aarch64/kvm-s2stat" ] || cli_note="the kvm-s2stat CLI is not built (make cli-aarch64): the demo shows the debugfs files only"
[ -z "$cli_note" ] || warn "$cli_note"

# --- 2. Debian's arm64 qemu-system-aarch64 and the shared objects it needs ---------------
# shellcheck source=scripts/vmimage.sh
. "$TOP/scripts/vmimage.sh"
qtree=$(vmi_qemu_tree)

# --- 3. the nested guest's parts: busybox-static, bartouch ---------------------------------
bb=$CACHE/busybox-static/bin/busybox
bt=$D/bartouch
vmi_static "$bt" "$TOP/tests/demo/bartouch.c"

# --- 4. the demo layer over the testbed image, and the combined initrd --------------------
# Rebuilt only when an input changes: the testbed image, the qemu tree, the kernel, the
# demo's own files and the scripts.
img=$OUT/initrd.img
sum=$( {
	sha256sum "$base_img" "$kdir/versions" "$bb" "$bt" "$TOP/tests/demo/host-init" \
		"$TOP/tests/demo/guest-init" "$0" "$TOP/scripts/vmimage.sh"
	echo "$qtree $(cat "$qtree.ok") $(command -v lz4 || true)"
} | sha256sum | cut -d' ' -f1)
if [ -f "$img" ] && [ "$(cat "$OUT/.initrd-sum" 2>/dev/null)" = "$sum" ]; then
	log "demo image $img up to date"
else
	# The nested guest's initramfs.
	g=$OUT/guest.tmp
	vmi_guest_base "$g"
	install -m 0755 "$bt" "$g/bin/bartouch"
	install -m 0755 "$TOP/tests/demo/guest-init" "$g/init"
	# The layer: /demo/init, the guest's kernel and initramfs, the qemu tree.
	st=$OUT/layer.tmp
	rm -rf "$st"
	mkdir -p "$st/demo/guest" "$st/root"
	cp -a "$qtree/." "$st/"
	install -m 0755 "$TOP/tests/demo/host-init" "$st/demo/init"
	cp "$(readlink -f "$kdir/vmlinuz")" "$st/demo/guest/vmlinuz"
	vmi_mkcpio "$g" | gzip -n -1 >"$st/demo/guest/initrd.gz"
	vmi_layer "$base_img" "$st" "$img"
	echo "$sum" >"$OUT/.initrd-sum"
	rm -rf "$g" "$st"
	log "demo image $img ($(du -m "$img" | cut -f1) MiB: testbed image + qemu + guest kernel and initramfs)"
fi

# --- 5. boot the emulated KVM host ---------------------------------------------------------
append="console=ttyAMA0 rdinit=/demo/init panic=-1 quiet demo.mode=$MODE"
append="$append demo.guest_timeout=$DEMO_GUEST_TIMEOUT"
[ "$DEMO_SHELL" != 1 ] || append="$append demo.shell=1"
append=$(echo "$append $MODE_ARGS $KERNEL_ARGS" | tr -s ' ' | sed 's/ $//')
# shellcheck disable=SC2054 # commas belong to QEMU options
# -nic none: -M virt would add a virtio NIC whose option ROM (efi-virtio.rom, package
# ipxe-qemu) a fresh machine does not have: QEMU then exits at once.
cmd=("$QEMU" -M virt,virtualization=on,gic-version=3,iommu=smmuv3 -cpu "$MODE_CPU"
	-smp 2 -m 2G -nographic -no-reboot -nic none
	-kernel "$kdir/vmlinuz" -initrd "$img" -append "$append"
	-object memory-backend-ram,id=shm0,size=16M
	-device ivshmem-plain,memdev=shm0,bus=pcie.0,addr=2)
printf '%q ' "${cmd[@]}" >"$OUT/qemu.cmd"
echo >>"$OUT/qemu.cmd"
tprep=$(since "$T0")
abi=$(cat "$kdir/abi")
echo
echo "=== kvm-s2stat demo: emulated arm64 KVM host, Debian kernel $abi, boot mode $MODE (-cpu $MODE_CPU) ==="
echo "    (qemu-system-aarch64, TCG; console follows; prepared in ${tprep} s; full command: $OUT/qemu.cmd)"
[ "$DEMO_SHELL" != 1 ] || echo "    (interactive: Ctrl-A X kills the emulator; 'exit' in the shell powers off cleanly)"
echo
t1=$(date +%s.%N)
set +e
if [ "$DEMO_SHELL" = 1 ]; then
	"${cmd[@]}" 2>"$OUT/qemu.err" | tee "$OUT/console.log"
	rc=${PIPESTATUS[0]}
else
	timeout -k 5 "$DEMO_TIMEOUT" "${cmd[@]}" </dev/null 2>"$OUT/qemu.err" | tr -d '\r' | tee "$OUT/console.log"
	rc=${PIPESTATUS[0]}
fi
set -e
trun=$(since "$t1")
echo

# --- 6. verdict ------------------------------------------------------------------------------
res=$(tr -d '\r' <"$OUT/console.log" | sed -n 's/^demo: RESULT //p' | tail -n1)
# The emulated host's own kernel (the guest's console lines are prefixed and not counted).
crash=$(tr -d '\r' <"$OUT/console.log" | grep -v '^ *\[guest console\]' |
	grep -Em1 'Kernel panic - not syncing|kernel BUG at|Internal error: |Unable to handle kernel' |
	sed 's/^\[ *[0-9.]*\] //' || true)
summary="emulated host ran ${trun} s, total $(since "$T0") s; console: $OUT/console.log"
[ -z "$crash" ] || fail "the emulated host's kernel crashed: $crash ($summary)"
case $res in
ok\ *)
	echo "demo: OK: ${res#ok }"
	[ -z "$cli_note" ] || echo "demo: note: $cli_note"
	echo "demo: $summary"
	[ "$rc" = 0 ] || warn "the emulated host's QEMU exited with status $rc after the demo"
	exit 0 ;;
fail\ *)
	fail "${res#fail } ($summary)" ;;
esac
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	fail "the emulated host did not finish within $DEMO_TIMEOUT s (DEMO_TIMEOUT) ($summary)"
elif [ "$rc" != 0 ]; then
	fail "the emulated host's QEMU exited with status $rc: $(head -n1 "$OUT/qemu.err") ($summary)"
else
	fail "the emulated host powered off without a demo result ($summary)"
fi
