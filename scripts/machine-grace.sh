#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# machine-grace.sh: the machine of the Grace cells (modes with s2.machine=grace in
# kernels/modes; docs/grace.md): the standard testbed machine plus a GPU stand-in whose
# coherent memory is a firmware-described carve-out the host kernel does not manage, driven
# by the real nvgrace-gpu-vfio-pci.
#
#   machine-grace.sh prepare LINE MODE        once per run, before the cells: fetch the mode's
#                                             QEMU and fdtput, build nvgrace-gpu-vfio-pci.ko
#                                             for LINE and the initramfs part that carries it
#   machine-grace.sh cmd LINE MODE DIR ARG... print the cell's QEMU command line (one word
#                                             a line) made from the standard one (ARG...),
#                                             writing its DTB and initrd into DIR
#
# What the machine adds to the standard one:
#   memory   -m 2G + 1.5 GiB (the standard machine's 3G and its hugetlb_cma are replaced): the
#            host kernel gets 2 GiB, GPU_BASE..GPU_BASE+GPU_SIZE
#            (0xc0000000, 1.5 GiB) is a /reserved-memory node with no-map: not in the
#            kernel's linear map (pfn_is_map_memory() false), so KVM treats it as device
#            memory.  1.5 GiB is the least nvgrace accepts without NVIDIA's DVSEC: it then
#            carves 1 GiB of non-cacheable "resmem" off the end (main.c:1191) and rounds the
#            cacheable "usemem" down to 512 MiB (main.c:1230-1232).
#   device   bochs-display at 0000:00:06.0 (QEMU's, romfile= as it has no option ROM here),
#            the GPU stand-in: a 16 MiB RAM BAR0 where the driver polls its readiness
#            registers (0x1498 C2C link, 0x200bc HBM training: 0xff = ready; main.c:262),
#            which the scenario writes as the GPU's firmware would.
#   firmware the DTB QEMU generates for this very command line (dumpdtb), plus a child node
#            of the PCIe host bridge for devfn 6.0 (reg = devfn << 8) carrying the properties
#            nvgrace reads with device_property_read_u64() (main.c:1136-1144):
#            nvidia,gpu-mem-base-pa = GPU_BASE, nvidia,gpu-mem-size = GPU_SIZE (64-bit cells).
#   initrd   the line's testbed initramfs + a second cpio archive with
#            /s2/extra/nvgrace-gpu-vfio-pci.ko (scripts/build-nvgrace.sh).
#   QEMU     s2.qemu=V in the mode's kernel arguments: Debian's qemu-system-arm V for this
#            machine's release (scripts/fetch-host-pkg.sh; 10.0 in bookworm-backports),
#            with -audio none (it must not load the machine's own QEMU's modules);
#            without it, the machine's qemu-system-aarch64.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

GPU_ADDR=6	# 0000:00:06.0, the scenario's S2_GPU
GPU_BASE=0xc0000000 GPU_SIZE=0x60000000
STD_MEM=3G GRACE_MEM=3584M	# 2 GiB + GPU_SIZE; RAM starts at 0x40000000 on virt

usage() { die "usage: $0 prepare LINE MODE | cmd LINE MODE DIR QEMU-ARG..."; }
[ $# -ge 3 ] || usage
action=$1 line=$2 mode=$3
shift 3
extra=$B/$line/grace/extra.cpio.gz

# qemu_bin: the mode's QEMU binary.
qemu_bin() {
	local v
	v=$(mode_arg "$mode" qemu)
	if [ -z "$v" ]; then
		echo "${QEMU:-qemu-system-aarch64}"
		return
	fi
	echo "$("$TOP/scripts/fetch-host-pkg.sh" qemu-system-arm "1:$v")/usr/bin/qemu-system-aarch64"
}
fdt_dir() { "$TOP/scripts/fetch-host-pkg.sh" device-tree-compiler; }

prepare() {
	local q stage
	[ "$(mode_arg "$mode" machine)" = grace ] || die "mode $mode is not a grace mode"
	q=$(qemu_bin)
	"$q" --version | head -n1 | sed "s|^|[${0##*/}] $mode: |" >&2
	fdt_dir >/dev/null
	"$TOP/scripts/build-nvgrace.sh" "$line"
	stage=$B/$line/grace/stage
	rm -rf "$stage"
	mkdir -p "$stage/s2/extra"
	cp "$B/$line/nvgrace/nvgrace-gpu-vfio-pci.ko" "$stage/s2/extra/"
	(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible | gzip -n -1 >"$extra.tmp")
	mv "$extra.tmp" "$extra"
	rm -rf "$stage"
}

# cmd DIR ARG...: rewrite the standard command line.
cmd() {
	local dir=$1 q fdt i pcie dtb
	local -a a
	shift
	q=$(qemu_bin)
	fdt=$(fdt_dir)/usr/bin
	[ -f "$extra" ] || die "$extra missing: run '$0 prepare $line $mode' first"
	a=("$q")
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		-m)
			[ "$2" = "$STD_MEM" ] || die "the standard machine has -m $2, expected $STD_MEM"
			a+=(-m "$GRACE_MEM")
			shift 2 ;;
		-append)
			# The standard machine's CMA area for 1 GiB pages does not fit in 2 GiB.
			a+=(-append "${2/ hugetlb_cma=1G/}")
			shift 2 ;;
		-initrd)
			cat "$2" "$extra" >"$dir/initrd.cpio.gz"
			a+=(-initrd "$dir/initrd.cpio.gz")
			shift 2 ;;
		*)
			a+=("$1")
			shift ;;
		esac
	done
	a+=(-device "bochs-display,romfile=,bus=pcie.0,addr=$GPU_ADDR")
	[ -z "$(mode_arg "$mode" qemu)" ] || a+=(-audio none)

	# The DTB QEMU makes for exactly this machine, then the firmware's additions.
	dtb=$dir/grace.dtb
	for i in "${!a[@]}"; do
		[ "${a[$i]}" = -M ] && break
	done
	[ "${a[$i]}" = -M ] || die "no -M in the standard command line"
	local -a d=("${a[@]}")
	d[i + 1]="${a[i + 1]},dumpdtb=$dtb"
	"${d[@]}" >"$dir/dumpdtb.log" 2>&1 || { cat "$dir/dumpdtb.log" >&2; die "QEMU could not dump its DTB"; }
	pcie=$("$fdt/fdtget" -l "$dtb" / | grep -m1 '^pcie@') || die "no PCIe host bridge in the DTB"
	local node=/$pcie/gpu@$GPU_ADDR,0 mem=/reserved-memory/gpu-mem@${GPU_BASE#0x}
	hi() { printf '0x%x' $(($1 >> 32)); }
	lo() { printf '0x%x' $(($1 & 0xffffffff)); }
	{
		"$fdt/fdtput" -c "$dtb" /reserved-memory "$mem" "$node" &&
		"$fdt/fdtput" -t i "$dtb" /reserved-memory '#address-cells' 2 &&
		"$fdt/fdtput" -t i "$dtb" /reserved-memory '#size-cells' 2 &&
		"$fdt/fdtput" "$dtb" /reserved-memory ranges &&
		"$fdt/fdtput" -t x "$dtb" "$mem" reg "$(hi $GPU_BASE)" "$(lo $GPU_BASE)" \
			"$(hi $GPU_SIZE)" "$(lo $GPU_SIZE)" &&
		"$fdt/fdtput" "$dtb" "$mem" no-map &&
		"$fdt/fdtput" -t x "$dtb" "$node" reg "$(printf '0x%x' $((GPU_ADDR << 11)))" 0 0 0 0 &&
		"$fdt/fdtput" -t x "$dtb" "$node" nvidia,gpu-mem-base-pa "$(hi $GPU_BASE)" "$(lo $GPU_BASE)" &&
		"$fdt/fdtput" -t x "$dtb" "$node" nvidia,gpu-mem-size "$(hi $GPU_SIZE)" "$(lo $GPU_SIZE)"
	} || die "fdtput failed on $dtb"
	a+=(-dtb "$dtb")
	printf '%s\n' "${a[@]}"
}

case $action in
prepare) [ $# -eq 0 ] || usage; prepare ;;
cmd) [ $# -ge 2 ] || usage; cmd "$@" ;;
*) usage ;;
esac
