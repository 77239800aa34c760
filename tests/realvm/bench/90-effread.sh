#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 3600
# 90-effread.sh: P6, the cost of one read of <vm>/effective for a Linux guest with 1 GiB and
# with 4 GiB of RAM (make bench; a real-VMM cell's image, s2.suite=realvm-bench).
#
# Debian's QEMU runs the guest of the real-VMM cells (tests/realvm/guest/init, role wc: its
# kernel ioremap()s and ioremap_wc()s the ivshmem BAR2, a user process maps resource2_wc)
# with -m 1024, then -m 4096.  The guest's linear map covers all of its RAM, so the kernel
# half's walk grows with it.  Five reads each; per read the module reports how long the walk
# took (walk_us), the captures (capture_ms: two windows of at least 40 ms, most of a read),
# and how many descriptors and tables it read.
# P6.read-<mem>   median over the reads: walk_us, capture_ms, descriptors, table_pages, and
#                 the whole read (ns, s2bench), on this cell's clock
. /s2/tests/lib.sh
. /s2/tests/modlib.sh
. /s2/bench/benchlib.sh
. /s2/realvm/vmlib.sh

READS=5
b_meta
t_run bind-ivshmem bind_vfio "$S2_IVSHMEM" || exit 1
# QEMU pins all of a guest's RAM for the passed-through device's DMA (VFIO type1): bench.sh
# gives this cell's emulated host 6 GiB (BENCH_REALVM_MEM).
echo 1 >/proc/sys/vm/overcommit_memory
t_run load mod_load || exit 1

for mem in 1024 4096; do
	RV_MEM=$mem rv_start G wc "guest=bench$mem,debug-threads=on" "" \
		-device vfio-pci,host="$S2_IVSHMEM",id=hostdev0,bus=pcie.0,addr=0x1
	if ! why=$(rv_wait G 's2vm: waiting' 600); then rv_diag G; b_fail "guest-$mem" "$why"; fi
	rv_send G go
	if ! why=$(rv_wait G 's2vm: ready' 600); then rv_diag G; b_fail "guest-$mem" "$why"; fi
	vm=$(rv_vm G)
	wait_vm "$vm" || b_fail "vm-$mem"
	ns=$(b_read $READS "$S2_DFS/$vm/effective") || b_fail "read-$mem"
	for k in walk_us capture_ms descriptors table_pages; do eval "$k="; done
	i=0
	while [ $i -lt $READS ]; do
		cat "$S2_DFS/$vm/effective" >"$S2_TMP/eff"
		[ "$(awk '$1 == "result" { print $2 }' "$S2_TMP/eff")" = ok ] ||
			{ sed 's/^/# /' "$S2_TMP/eff" | head -n 30; b_fail "result-$mem"; }
		for k in walk_us capture_ms descriptors table_pages; do
			eval "$k=\"\$$k $(awk -v k="$k" '$1 == k { print $2 }' "$S2_TMP/eff")\""
		done
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # a list of numbers
	med() { printf '%s\n' $1 | b_median; }
	# shellcheck disable=SC2154 # set by eval above
	b_out value "fig=P6.read-${mem}m ns=$ns walk_us=$(med "$walk_us") capture_ms=$(med "$capture_ms")" \
		"descriptors=$(med "$descriptors") table_pages=$(med "$table_pages") mem_mib=$mem"
	t_ok "read-$mem"
	t_run "stop-$mem" rv_kill G
	wait_gone "$vm"
done
t_run unload mod_unload
