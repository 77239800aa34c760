#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s2-timeout: 900
# 50-qemu.sh: kvm_s2stat and kvm-s2stat with a real VMM and real guest drivers.
#
# Debian's arm64 qemu-system-aarch64, started the way libvirt starts it, runs two Linux
# guests (the same Debian kernel, tests/realvm/guest/init) under KVM in the emulated host:
#   A  -name guest=s2-db01,debug-threads=on -uuid 6B1C2D3E-...  ivshmem passed through
#      (vfio-pci); started with -S, continued, seen by the module before its guest touches
#      the BAR; then the guest kernel ioremap()s and ioremap_wc()s BAR2 (s2wc.ko) and a user
#      process maps it through resource2_wc (wcmap)
#   B  -name 'guest=x"y\z<ESC>[31m,,b,process=qemu-ab'  e1000e passed through; the guest's
#      own e1000e driver binds it (a hostile guest name, and QEMU's process= comm)
# Phases: live (both), one VM killed (B), the module reloaded (A rediscovered), all exited.
# In each: the module's numbers against a tracefs observer of kvm_pgtable_stage2_map (the
# union of the successful device maps in each BAR), verify, and the CLI's identity outputs
# (docs/cli.md).  In the live phase, effective.sh checks the guests' effective memory types
# (stage 1 combined with stage 2), on the same guests (one boot of them per cell).
. /s2/tests/lib.sh
. /s2/tests/modlib.sh
. "${0%/*}/vmlib.sh"
. "${0%/*}/effective.sh"

DB=s2-db01
UUID=6B1C2D3E-4F50-4A6B-8C7D-9E0F1A2B3C4D
uuid=$(echo "$UUID" | tr 'A-F' 'a-f')
ESC=$(printf '\033')
HOSTILE="x\"y\\z${ESC}[31m,,b"
GUEST_TIMEOUT=$((300 * ${S2_TIMEOUT_SCALE:-1}))

cli() { "$S2_CLI" "$@" >"$S2_TMP/out" 2>"$S2_TMP/err"; echo $? >"$S2_TMP/rc"; }
rc() { cat "$S2_TMP/rc"; }
show() { sed 's/^/# /' "$S2_TMP/out" "$S2_TMP/err" | head -n 40; }
out_has() { grep -c -- "$1" "$S2_TMP/out"; }
# t_out NAME FIXED-STRING: stdout of the last cli has the string (once or more).
t_out() { if grep -qF -- "$2" "$S2_TMP/out"; then t_ok "$1"; else show; t_fail "$1" "no '$2' in the output"; fi; }
diag_all() { rv_diag A; rv_diag B; }
# phase NAME: the uptime at the end of a phase (the cell's time budget, docs/testbed.md).
phase() { t_diag "phase $1 done at uptime $(cut -d' ' -f1 /proc/uptime) s"; }

[ -x "$S2_CLI" ] || { t_fail cli-built "$S2_CLI missing"; exit 1; }
[ -x "$RV_QEMU" ] || { t_fail qemu "$RV_QEMU missing from the image"; exit 1; }
if pkvm_refuses_devices; then
	t_skip "$S2_SCRIPT" "device memory cannot be mapped under protected KVM on $S2_KVER"
	exit 0
fi
t_run bind-ivshmem bind_vfio "$S2_IVSHMEM" || exit 1
t_run bind-e1000e bind_vfio "$S2_E1000E" || exit 1
IVS_PA=$(bar_pa "$S2_IVSHMEM" 2)
E1K_PA=$(bar_pa "$S2_E1000E" 0)

# The observer: every stage-2 map in the kernel's trace buffer (big enough for two guests'
# RAM faults), started before any VM exists.
echo 16384 >/sys/kernel/tracing/buffer_size_kb
t_run trace-start s2trace_start || exit 1
t_run load mod_load || exit 1

rv_start A wc "guest=$DB,debug-threads=on" "$UUID" -S \
	-device vfio-pci,host="$S2_IVSHMEM",id=hostdev0,bus=pcie.0,addr=0x1
rv_start B nic "guest=$HOSTILE,process=qemu-ab" "" \
	-device vfio-pci,host="$S2_E1000E",id=hostdev0,bus=pcie.0,addr=0x1

# A is paused (-S): KVM has the VM, nothing is mapped at stage 2.  The module may know it
# already, from its vCPUs, published a moment after the first (hooks.c,
# S2_VCPU_PUBLISH_DELAY), or not yet: either way it tracks no page of it.
i=0
while ! vmA=$(rv_vm A) && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
[ -n "$vmA" ] || { diag_all; t_fail vm-a "QEMU A created no VM"; exit 1; }
pA=0
for c in vfio_device vfio_nc vfio_normal other_device other_nc other_normal; do
	v=$(sum "$vmA" $c)
	pA=$((pA + ${v:-0}))
done
t_eq paused-nothing-tracked "$pA" 0
rv_mon A cont
if ! why=$(rv_wait A 's2vm: waiting' "$GUEST_TIMEOUT"); then diag_all; t_fail guest-a-up "$why"; exit 1; fi
t_ok guest-a-up
t_run vm-a-seen wait_vm "$vmA"

# 1. Before the guest touches its BAR: nothing to check, and -b says why.
cli --expect nc -g "$DB"
t_eq untouched-expect-rc "$(rc)" 12
t_eq untouched-expect-out "$(grep -c 'nothing to check' "$S2_TMP/out")" 1
t_eq untouched-expect-err "$(grep -c 'KVM maps a BAR' "$S2_TMP/err")" 1
cli -b "$S2_IVSHMEM"
t_eq untouched-bdf-rc "$(rc)" 1
t_eq untouched-bdf-err "$(grep -c 'KVM maps a BAR only when the guest first touches it' "$S2_TMP/err")" 1

rv_send A go
for g in A B; do
	if ! why=$(rv_wait $g 's2vm: ready' "$GUEST_TIMEOUT"); then diag_all; t_fail "guest-$g-ready" "$why"; exit 1; fi
	t_ok "guest-$g-ready"
done
vmB=$(rv_vm B)
t_run vm-b-seen wait_vm "$vmB"
phase guests-up
t_diag "A: VM $vmA, QEMU $A_PID; B: VM $vmB, QEMU $B_PID"
tr -d '\r' <"$S2_TMP/rv.A/console" | grep -E '^(s2vm|s2wc|wcmap):' | sed 's/^/# [A] /'
tr -d '\r' <"$S2_TMP/rv.B/console" | grep -E '^s2vm:' | sed 's/^/# [B] /'

# traced_pages PA LEN: pages in the union of the successful traced maps inside [PA, PA+LEN)
# (one awk pass: addresses below 2^53 are exact in awk's doubles).
s2trace_stop >"$S2_TMP/trace"
traced_pages() {
	awk -v lo="$1" -v len="$2" -v ps="$PS" '
	function num(h,   i, v) { v = 0; h = tolower(substr(h, 3))
		for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		return v }
	/^map .* ret=0$/ {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		p = num(f["phys"])
		if (p >= lo && p < lo + len) { n++; s[n] = num(f["ipa"]); z[n] = num(f["size"]) }
	}
	END {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && s[j - 1] > s[j]; j--) {
			t = s[j]; s[j] = s[j - 1]; s[j - 1] = t; t = z[j]; z[j] = z[j - 1]; z[j - 1] = t }
		tot = 0; e = -1
		for (i = 1; i <= n; i++) {
			if (s[i] >= e) { tot += z[i]; e = s[i] + z[i] }
			else if (s[i] + z[i] > e) { tot += s[i] + z[i] - e; e = s[i] + z[i] }
		}
		print int(tot / ps)
	}' "$S2_TMP/trace"
}

# check_vm NAME VM PA LEN: the module's VFIO pages of VM (all with the kernel's attribute)
# equal the traced maps into [PA, PA+LEN); verify finds no difference.
check_vm() {
	_want=$(traced_pages "$3" "$4")
	_got=$(sum "$2" "$VFIO_COL")
	t_eq "$1-vfio-pages" "$(($(sum "$2" vfio_device) + $(sum "$2" vfio_nc) + $(sum "$2" vfio_normal)))" "$_got" &&
		t_eq "$1-vs-trace" "$_got" "$_want"
	verify_ok "$1-verify" "$2"
}
check_vm live-a "$vmA" "$IVS_PA" $((256 << 20))
check_vm live-b "$vmB" "$E1K_PA" 131072
pagesA=$(sum "$vmA" "$VFIO_COL")
pidA=$A_PID

# 2. The table: the domain in NAME, 80 columns.
cli
t_eq table-rc "$(rc)" 0
t_eq table-name "$(awk -v vm="$vmA" '$1 == vm { print $3 }' "$S2_TMP/out")" "$DB"
if [ "$(awk '{ if (length > 80) n++ } END { print n + 0 }' "$S2_TMP/out")" = 0 ]; then t_ok table-fits-80
else show; t_fail table-fits-80; fi
t_eq table-no-esc "$(grep -c "$ESC" "$S2_TMP/out")" 0

# 3. -W: COMM, DOMAIN, UUID (lower case).
cli -W
t_eq wide-a "$(awk -v vm="$vmA" '$1 == vm { print $3, $4, $5 }' "$S2_TMP/out")" "qemu-system-aar $DB $uuid"
t_eq wide-b-comm "$(awk -v vm="$vmB" '$1 == vm { print $3 }' "$S2_TMP/out")" qemu-ab
t_eq wide-no-esc "$(grep -c "$ESC" "$S2_TMP/out")" 0

# 4. -g by name and by UUID (any case); an unknown name.
for g in "$DB" "$UUID" "$uuid"; do
	cli -g "$g" -H
	t_eq "guest-$g" "$(rc) $(awk '{ print $1 }' "$S2_TMP/out" | tr '\n' ' ')" "0 $vmA "
done
cli -g nosuch
t_eq guest-nosuch-rc "$(rc)" 1

# 5. -D: the ivshmem BAR 2 row has the domain.
cli -D -g "$DB"
t_eq devices-domain "$(awk -v b="$S2_IVSHMEM" '$1 == b && $2 == 2 { print $5 }' "$S2_TMP/out")" "$DB"

# 6. -m: the VM's header line.
cli -m -g "$DB"
t_eq mappings-head "$(head -n1 "$S2_TMP/out" | sed 's/: [0-9]* ranges*$//')" \
	"VM $vmA pid $pidA qemu-system-aar, domain $DB, uuid $uuid"

# 7. JSON identity.
cli -j -g "$DB"
t_eq json-schema "$(out_has '"schema_version":2')" 1
t_out json-identity "\"comm\":\"qemu-system-aar\",\"domain\":\"$DB\",\"uuid\":\"$uuid\",\"vmm\":\"qemu\""
cli -j -g "$vmB"
t_out json-hostile "\"comm\":\"qemu-ab\",\"domain\":\"x\\\"y\\\\z?[31m,b\""

# 8. Prometheus: identity and the device series.
cli --prometheus
t_out prom-info "kvm_s2stat_vm_info{vm=\"$vmA\",pid=\"$pidA\",domain=\"$DB\",uuid=\"$uuid\",comm=\"qemu-system-aar\",vmm=\"qemu\",found=\"fault\"} 1"
t_out prom-device "kvm_s2stat_device_mapped_bytes{vm=\"$vmA\",pid=\"$pidA\",domain=\"$DB\",uuid=\"$uuid\",bdf=\"$S2_IVSHMEM\",bar=\"2\",driver=\"vfio-pci\",class=\"vfio\",attr=\"$VFIO_ATTR\"} $((pagesA * PS))"
t_out prom-hostile "domain=\"x\\\"y\\\\z?[31m,b\""
t_eq prom-no-esc "$(grep -c "$ESC" "$S2_TMP/out")" 0

# 9. CSV.
cli -c -g "$DB"
t_eq csv-row "$(grep -c "^$vmA,$pidA,qemu-system-aar,$DB,$uuid," "$S2_TMP/out")" 1

# 10. -o: atomic, 0644, the same as stdout (but the module's own counters, which move).
rm -f /tmp/k.prom /tmp/.k.prom.*
cli -o /tmp/k.prom --prometheus
t_eq output-rc "$(rc)" 0
t_eq output-mode "$(stat -c %a /tmp/k.prom 2>&1)" 644
cli --prometheus
grep -v '^kvm_s2stat_module_' "$S2_TMP/out" >"$S2_TMP/prom.stdout"
grep -v '^kvm_s2stat_module_' /tmp/k.prom >"$S2_TMP/prom.file"
if cmp -s "$S2_TMP/prom.stdout" "$S2_TMP/prom.file"; then t_ok output-same
else diff "$S2_TMP/prom.file" "$S2_TMP/prom.stdout" | head -n 20 | sed 's/^/# /'; t_fail output-same; fi
t_eq output-no-temp "$(find /tmp -maxdepth 1 -name '.k.prom.*' | wc -l)" 0

# 11. The policy: NORMAL_NC on 6.9+; on 6.1 the VM is an offender.
cli --expect nc -g "$DB"
if kver_ge 6.9; then
	t_eq expect-nc-rc "$(rc)" 0
else
	t_eq expect-nc-rc "$(rc)" 10
	t_out expect-nc-offender "$DB"
fi
cli --verify
t_eq live-cli-verify-rc "$(rc)" 0

phase live
check_effective
phase effective
# (The stale-root scenario's processes mapped more of A's BAR.)
pagesA=$(sum "$vmA" "$VFIO_COL")

# Phase 2: B is killed; A stays as it was.
t_run kill-b rv_kill B
t_run b-gone wait_gone "$vmB"
t_eq one-left "$(tail -n +3 "$S2_DFS/summary" | awk '{ print $1 }' | tr '\n' ' ')" "$vmA "
t_eq one-left-pages "$(sum "$vmA" "$VFIO_COL")" "$pagesA"
verify_ok one-left-verify "$vmA"
cli -g "$vmB"
t_eq one-left-b-rc "$(rc)" 1

# The module reloaded while A runs: A is found again (from KVM's debugfs), the same.
t_run reload-unload mod_unload
t_run reload-load mod_load
t_run reload-seen wait_vm "$vmA"
t_eq reload-pages "$(sum "$vmA" "$VFIO_COL")" "$pagesA"
t_eq reload-found "$(st "$vmA" found)" load
verify_ok reload-verify "$vmA"
cli -H -W -g "$DB"
t_eq reload-identity "$(awk '{ print $1, $3, $4, $5 }' "$S2_TMP/out")" "$vmA qemu-system-aar $DB $uuid"

# Phase 3: all exited.
t_run kill-a rv_kill A
t_run a-gone wait_gone "$vmA"
t_eq none-left "$(tail -n +3 "$S2_DFS/summary" | wc -l)" 0
t_run none-idle wait_idle
cli --expect nc
t_eq none-expect-rc "$(rc)" 12
t_run unload mod_unload
phase all-exited
