# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# tests/guest/observer.sh: an observer of KVM's stage-2 device mappings that shares no code
# with kvm_s2stat.ko or include/kvm_s2stat/ (sourced after lib.sh).  The scenarios compare
# the module and the CLI with it.
#
# Source of truth: the kernel's own dynamic probes (tracefs kprobe events, in a trace
# instance of our own) on the stage-2 page-table API that every change of a guest's stage 2
# goes through:
#   kvm_pgtable_stage2_map(pgt, ipa, size, phys, prot, ...) entry and return ($retval)
#   kvm_pgtable_stage2_unmap(pgt, ipa, size)
#   kvm_pgtable_stage2_destroy(pgt) / _destroy_pgd(pgt) (6.19+): the table is gone
#   kvm_pgtable_stage2_split(pgt, ipa, size) (6.5+): blocks become page leaves
#   and the pkvm_pgtable_stage2_* twins where they exist (6.14+, protected mode).
# The instance's ring buffer does not overwrite (options/overwrite 0, 8 MiB per CPU): when
# it is full, new events are dropped and counted, never old ones lost unseen.  Every
# comparison drains it through trace_pipe into a file, up to a marker it writes first, and
# checks that nothing was lost: no dropped or overrun event, no kprobe miss, and as many
# lines in the file as events the buffer says were read.  (Not a reader streaming all the
# time: it would be woken for nearly every event, which made 40-churn ten times slower
# under emulation.)
#
# Reduction (awk), per page table (pgt pointer; a destroy resets it, pointers get reused):
# a map entry is paired with the next return of the same task and applied only when it
# returned 0.  A mapped page is device memory when its phys is outside every "System RAM"
# range of /proc/iomem; a map of exactly one aligned block (ipa and phys aligned) is a
# block leaf, anything else page leaves; a map first removes every leaf it overlaps (so RAM
# mapped over device memory removes it), an unmap removes whole leaves it overlaps (a block
# goes whole, as KVM's unmap walker does), a split turns blocks into page leaves.  The
# attribute comes from prot, with enum kvm_pgtable_prot's bit positions written out here
# per version (<= 6.8: X,W,R,DEVICE = bits 0-3; 6.9-6.18: NORMAL_NC = bit 4; 6.19+:
# PX,UX,W,R,DEVICE,NORMAL_NC = bits 0-5): DEVICE -> DEVICE_nGnRE, NORMAL_NC -> NORMAL_NC,
# neither -> NORMAL.  Failed device maps (an error other than -EAGAIN) are counted by the
# attribute requested.  At comparison time a page is "vfio" when its phys lies in a memory
# BAR of a PCI device whose driver's name contains "vfio", else "other"; the BAR (BDF,
# index) is part of what is compared.
#
# VM identity: a table belongs to the process (tgid, recorded with options/record-tgid) of
# its first map since it was created; the module names VMs <pid>-<fd>.  Per process, the
# multiset of VMs with device pages or failed maps must be equal, each VM compared as its
# whole canonical list of runs (ipa pa pages level attr class bdf bar: contiguous in IPA and
# PA, equal in the rest) plus its page counts by class x attribute and its failed maps:
#   observer  the reduction above
#   module    <vm>/mappings, the counts and failures of summary (every VM must be exact)
#   CLI       kvm-s2stat -m -j (mappings, vfio_pages, other_pages, failed); exit status 0
#
# API:
#   obs_start              start observing (before the scenario creates any VM)
#   obs_check NAME [PID...]  one result "obs-NAME": observer, module and CLI agree (for the
#                          given VMM processes; default: every process either side knows);
#                          on failure the differences as diagnostics
#   obs_cmp [PID...]       the same without a result: 0 iff they agree, else the reason on
#                          stdout and the differences in $S2_TMP/obs/diff
#   obs_runs               print the observer's canonical state (tgid pgt ipa pa pages level
#                          attr class bdf bar, decimal numbers; "F" lines: failed maps)
#   obs_stop               stop observing (the reset between scripts also does it)
# Files: $S2_TMP/obs/{stream,state,lines,...}.

_OT=/sys/kernel/tracing
_OI=$_OT/instances/s2obs
_OE='obs_map obs_mapret obs_pmap obs_pmapret obs_unmap obs_punmap obs_destroy obs_destroypgd obs_pdestroy obs_pdestroypgd obs_split obs_psplit'

# _obs_events: the kprobe events (one per line); the first three are required.
# shellcheck disable=SC2016 # $argN/$retval are kprobe fetch arguments
_obs_events() {
	# Decimal numbers (:u64): awk reads them as they are (exact below 2^53), no hex parsing.
	_a='pgt=$arg1 ipa=$arg2:u64 size=$arg3:u64 phys=$arg4:u64 prot=$arg5:u64'
	echo "p:s2obs/obs_map kvm_pgtable_stage2_map $_a"
	echo 'r:s2obs/obs_mapret kvm_pgtable_stage2_map ret=$retval:s32'
	echo 'p:s2obs/obs_unmap kvm_pgtable_stage2_unmap pgt=$arg1 ipa=$arg2:u64 size=$arg3:u64'
	echo 'p:s2obs/obs_destroy kvm_pgtable_stage2_destroy pgt=$arg1'
	echo 'p:s2obs/obs_destroypgd kvm_pgtable_stage2_destroy_pgd pgt=$arg1'
	echo 'p:s2obs/obs_split kvm_pgtable_stage2_split pgt=$arg1 ipa=$arg2:u64 size=$arg3:u64'
	echo "p:s2obs/obs_pmap pkvm_pgtable_stage2_map $_a"
	echo 'r:s2obs/obs_pmapret pkvm_pgtable_stage2_map ret=$retval:s32'
	echo 'p:s2obs/obs_punmap pkvm_pgtable_stage2_unmap pgt=$arg1 ipa=$arg2:u64 size=$arg3:u64'
	echo 'p:s2obs/obs_pdestroy pkvm_pgtable_stage2_destroy pgt=$arg1'
	echo 'p:s2obs/obs_pdestroypgd pkvm_pgtable_stage2_destroy_pgd pgt=$arg1'
	echo 'p:s2obs/obs_psplit pkvm_pgtable_stage2_split pgt=$arg1 ipa=$arg2:u64 size=$arg3:u64'
}

# _obs_clear: remove our instance and events (idempotent).
_obs_clear() {
	if [ -d $_OI ]; then
		echo 0 >$_OI/tracing_on
		[ ! -d $_OI/events/s2obs ] || echo 0 >$_OI/events/s2obs/enable
		rmdir $_OI 2>/dev/null
	fi
	for _e in $_OE; do
		grep -q "^[pr][0-9]*:s2obs/$_e " $_OT/kprobe_events 2>/dev/null && echo "-:s2obs/$_e" >>$_OT/kprobe_events
	done
	return 0
}

obs_start() {
	_od=$S2_TMP/obs
	_obs_clear
	rm -rf "$_od"
	mkdir -p "$_od"
	# System RAM, once: "start-end : System RAM" (hex, inclusive end).
	awk -F' : ' '$2 == "System RAM" { sub(/^ */, "", $1); print $1 }' /proc/iomem >"$_od/ram"
	[ -s "$_od/ram" ] || { echo "obs_start: no System RAM in /proc/iomem" >&2; return 1; }
	# enum kvm_pgtable_prot, independently of the module: the DEVICE and NORMAL_NC bits.
	if kver_ge 6.19; then _OBS_PROT='16 32'
	elif kver_ge 6.9; then _OBS_PROT='8 16'
	else _OBS_PROT='8 0'; fi
	echo "$_OBS_PROT" >"$_od/prot"
	# The tgid column is a top-level option that new instances inherit.
	echo 1 >$_OT/options/record-tgid || return 1
	mkdir $_OI || return 1
	echo 1 >$_OI/options/record-tgid 2>/dev/null
	echo 0 >$_OI/tracing_on
	# A counter, not a clock: events of different CPUs come out in their true order.
	echo counter >$_OI/trace_clock || return 1
	echo 0 >$_OI/options/overwrite || return 1
	echo 8192 >$_OI/buffer_size_kb || return 1
	_n=0
	_obs_events >"$_od/events"
	while read -r _l; do
		_n=$((_n + 1))
		if ! echo "$_l" >>$_OT/kprobe_events 2>/dev/null; then
			[ $_n -gt 3 ] || { echo "obs_start: cannot add kprobe event '$_l'" >&2; return 1; }
			continue
		fi
		echo "$_l" >>"$_od/added"
	done <"$_od/events"
	grep -qE 'obs_(p?destroy|p?destroypgd) ' "$_od/added" ||
		{ echo "obs_start: no stage-2 table teardown to probe" >&2; return 1; }
	echo 1 >$_OI/events/s2obs/enable || return 1
	: >"$_od/stream"
	echo 0 >"$_od/consumed"
	: >"$_od/state"
	echo 0 >"$_od/seq"
	echo 1 >$_OI/tracing_on
}

obs_stop() { _obs_clear; }

# _obs_sync: every event so far is in the stream file, and none was lost.  Prints the
# marker it used, or the reason and returns 1.
_obs_sync() {
	_od=$S2_TMP/obs
	[ -f "$_od/seq" ] || { echo "observer not started (obs_start)"; return 1; }
	_s=$(($(cat "$_od/seq") + 1))
	echo $_s >"$_od/seq"
	_mk="s2obs-sync-$_s"
	echo "$_mk" >$_OI/trace_marker
	# Drain up to the marker and past it: awk reads trace_pipe in chunks, so a late event
	# (a teardown finishing) can share the marker's chunk.  awk prints every line it reads
	# and is stopped 0.2 s after it saw the marker, blocked on the empty pipe ("read
	# events" below counts what left the buffer: a line lost at the kill would show).
	rm -f "$_od/marked"
	# shellcheck disable=SC2016 # awk fields
	awk -v m="$_mk" -v f="$_od/marked" '{ print; fflush() } $NF == m { printf "" >f; close(f) }' \
		<$_OI/trace_pipe >>"$_od/stream" &
	_ap=$!
	_i=0
	while [ ! -e "$_od/marked" ] && [ $_i -lt 1200 ]; do sleep 0.05; _i=$((_i + 1)); done
	sleep 0.2
	kill $_ap 2>/dev/null
	wait $_ap 2>/dev/null
	[ -e "$_od/marked" ] || { echo "marker $_mk not drained from trace_pipe within 60 s"; return 1; }
	_lost=$(for _f in "$_OI"/per_cpu/cpu*/stats; do
		awk -v f="${_f#"$_OI"/}" '/^(overrun|commit overrun|dropped events):/ && $NF != 0 { printf "%s %s; ", f, $0 }' "$_f"
	done)
	_lost="$_lost$(awk -v e=" $_OE " 'index(e, " " $1 " ") && $3 != 0 { printf "kprobe %s missed %s; ", $1, $3 }' $_OT/kprobe_profile)"
	_rd=$(cat "$_OI"/per_cpu/cpu*/stats | awk '/^read events:/ { n += $NF } END { print n + 0 }')
	_ln=$(wc -l <"$_od/stream" | tr -d ' ')
	[ "$_rd" = "$_ln" ] || _lost="$_lost the buffer gave $_rd events, the file has $_ln lines;"
	[ -z "$_lost" ] || { echo "events lost: $_lost"; return 1; }
	echo "$_mk"
}

# _obs_reduce MARK: apply the new events of the stream, up to MARK, to the state.
_obs_reduce() {
	_od=$S2_TMP/obs
	_c=$(cat "$_od/consumed")
	# shellcheck disable=SC2046 # two numbers
	set -- "$1" $(cat "$_od/prot")
	# sed (compiled regexes) turns each event into "<event> <task> <tgid> <values...>" and
	# each marker into "mark <text>": awk loops and regexes are slow under emulation.  The
	# table pointer becomes "t0x...": awk would take "0x..." for a number (busybox reads
	# hex) and compare two pointers as equal doubles when they differ in the low bits.
	# "<comm>-<pid> (<tgid>) [<cpu>] <flags> <ts>: <event>: (<where>) k=v..."; a comm may
	# hold spaces and dashes, the tgid is padded.
	_n=$(wc -l <"$_od/stream" | tr -d ' ')
	# Other lines become "x".
	tail -n +$((_c + 1)) "$_od/stream" | sed -E '
		/ tracing_mark_write: /{ s/^.* tracing_mark_write: /mark /; b; }
		s/^.*-([0-9]+) +\( *([0-9-]+)\) +\[[0-9]+\] +[^ ]+ +[0-9]+: (obs_[a-z]+): \([^)]*\) /\3 \1 \2 /
		t ok
		s/.*/x/
		b
		:ok
		s/ [a-z]+=/ /g
		s/^(obs_[a-z]+ [0-9]+ [0-9-]+) 0x/\1 t0x/' | awk -v mark="$1" -v DEVB="$2" -v NCB="$3" -v PS="$S2_PAGE_SIZE" \
		-v ramf="$_od/ram" -v statef="$_od/state" -v outf="$_od/state.new" '
	# The tracer prints "-------" for a task whose tgid it has not saved yet (it saves
	# them at context switches): a vCPU thread still in KVM_RUN when the stream is read
	# (7.3/vhe, 00-testbed obs-self, 2026-12-04).  Ask /proc while the task lives.
	function tgid_of(pid, t,  line, f) {
		if (t !~ /^-/) return t
		if (!(pid in tg)) {
			f = "/proc/" pid "/status"
			while ((getline line < f) > 0)
				if (line ~ /^Tgid:/) { sub(/^Tgid:[ \t]*/, "", line); tg[pid] = line; break }
			close(f)
		}
		return (pid in tg) ? tg[pid] : t
	}
	function hex(s,  v, i, c) {
		s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); if (!c) break; v = v * 16 + c - 1 }
		return v
	}
	function d(x) { return sprintf("%.0f", x) }
	function bit(v, b) { return b ? int(v / b) % 2 : 0 }
	function is_ram(pa,  i) { for (i = 1; i <= nram; i++) if (pa >= rs[i] && pa <= re[i]) return 1; return 0 }
	function attr_of(prot) { return bit(prot, DEVB) ? "DEVICE_nGnRE" : bit(prot, NCB) ? "NORMAL_NC" : "NORMAL" }
	function level_of(ipa, pa, size,  l) {
		for (l = 1; l <= 2; l++) if (size == BS[l] && ipa % BS[l] == 0 && pa % BS[l] == 0) return l
		return 3
	}
	function put(pgt, ipa, v,  k) { k = pgt SUBSEP d(ipa); if (!(k in leaf)) nleaf++; leaf[k] = v }
	function del(k) { if (k in leaf) { delete leaf[k]; nleaf-- } }
	# Remove every leaf of pgt overlapping [s, s + n): blocks go whole.
	function remove(pgt, s, n,  e, k, kk, v, o, l, a) {
		e = s + n
		if (n / PS > nleaf) {
			for (k in leaf) {
				split(k, kk, SUBSEP); if (kk[1] != pgt) continue
				split(leaf[k], v, " "); a = kk[2] + 0
				if (a < e && a + v[1] > s) del(k)
			}
			return
		}
		for (o = int(s / PS) * PS; o < e; o += PS) del(pgt SUBSEP d(o))
		for (l = 1; l <= 2; l++)
			for (o = int(s / BS[l]) * BS[l]; o < e; o += BS[l]) { k = pgt SUBSEP d(o); if (k in leaf) { split(leaf[k], v, " "); if (v[1] == BS[l]) del(k) } }
	}
	function split_blocks(pgt, s, n,  e, k, kk, v, a, o, todo, t, i) {
		e = s + n; t = 0
		for (k in leaf) {
			split(k, kk, SUBSEP); if (kk[1] != pgt) continue
			split(leaf[k], v, " "); a = kk[2] + 0
			if (v[4] < 3 && a < e && a + v[1] > s) todo[++t] = k
		}
		for (i = 1; i <= t; i++) {
			split(todo[i], kk, SUBSEP); split(leaf[todo[i]], v, " "); del(todo[i]); a = kk[2] + 0
			for (o = 0; o < v[1]; o += PS) put(pgt, a + o, PS " " d(v[2] + o) " " v[3] " 3")
		}
	}
	function destroy(pgt,  k, kk) {
		for (k in leaf) { split(k, kk, SUBSEP); if (kk[1] == pgt) del(k) }
		for (k in failed) { split(k, kk, SUBSEP); if (kk[1] == pgt) delete failed[k] }
		delete owner[pgt]
	}
	function map(pgt, ipa, size, pa, prot, ret,  dev, attr, lvl, o) {
		dev = !is_ram(pa)
		if (ret != 0) {
			if (ret != -11 && dev) failed[pgt, attr_of(prot)]++
			return
		}
		remove(pgt, ipa, size)
		if (!dev) return
		attr = attr_of(prot); lvl = level_of(ipa, pa, size)
		if (lvl < 3) { put(pgt, ipa, d(size) " " d(pa) " " attr " " lvl); return }
		for (o = 0; o < size; o += PS) put(pgt, ipa + o, PS " " d(pa + o) " " attr " 3")
	}
	BEGIN {
		ps = 0; for (x = PS; x > 1; x /= 2) ps++
		# level-2 and level-1 block sizes: (PS / 8) and (PS / 8)^2 times the page (no "^":
		# busybox may be built without math support)
		BS[2] = PS * PS / 8; BS[1] = BS[2] * PS / 8
		while ((getline l < ramf) > 0) { split(l, r, "-"); nram++; rs[nram] = hex(r[1]); re[nram] = hex(r[2]) }
		while ((getline l < statef) > 0) {
			n = split(l, f, " ")
			if (f[1] == "L") put(f[2], f[3], f[4] " " f[5] " " f[6] " " f[7])
			else if (f[1] == "O") owner[f[2]] = f[3]
			else if (f[1] == "F") failed[f[2], f[3]] = f[4]
			else if (f[1] == "P") pend[f[2]] = f[3] " " f[4] " " f[5] " " f[6] " " f[7]
		}
	}
	$1 == "mark" { if ($2 == mark) { found = 1; exit } next }
	$1 == "x" { next }
	$1 == "obs_map" || $1 == "obs_pmap" {
		# task tgid pgt ipa size phys prot
		t = tgid_of($2, $3)
		if (!($4 in owner) || (owner[$4] ~ /^-/ && t !~ /^-/)) owner[$4] = t
		pend[$2] = $4 " " $5 " " $6 " " $7 " " $8
		next
	}
	$1 == "obs_mapret" || $1 == "obs_pmapret" {
		if (!($2 in pend)) next
		split(pend[$2], p, " "); delete pend[$2]
		map(p[1], p[2] + 0, p[3] + 0, p[4] + 0, p[5] + 0, $4 + 0)
		next
	}
	$1 == "obs_unmap" || $1 == "obs_punmap" { remove($4, $5 + 0, $6 + 0); next }
	$1 == "obs_split" || $1 == "obs_psplit" { split_blocks($4, $5 + 0, $6 + 0); next }
	$1 == "obs_destroy" || $1 == "obs_destroypgd" || $1 == "obs_pdestroy" || $1 == "obs_pdestroypgd" { destroy($4) }
	END {
		if (!found) { print "marker " mark " not found" > "/dev/stderr"; exit 1 }
		for (k in leaf) { split(k, kk, SUBSEP); print "L", kk[1], kk[2], leaf[k] > outf }
		for (k in owner) print "O", k, owner[k] > outf
		for (k in failed) { split(k, kk, SUBSEP); print "F", kk[1], kk[2], failed[k] > outf }
		for (k in pend) print "P", k, pend[k] > outf
	}' || return 1
	touch "$_od/state.new"
	mv "$_od/state.new" "$_od/state"
	# Consumed: up to the marker (late events after it are applied at the next sync).
	_m=$(tail -n +$((_c + 1)) "$_od/stream" | grep -n " $1\$" | tail -n 1 | cut -d: -f1)
	echo $((_c + ${_m:-$((_n - _c))})) >"$_od/consumed"
}

# _obs_bars: the memory BARs of every PCI device: start end bdf bar class (decimal).  One
# ls and one awk (process start-up is what costs under emulation).
_obs_bars() {
	# shellcheck disable=SC2012 # sysfs names; ls -l shows the driver links at once
	ls -l /sys/bus/pci/devices/*/driver 2>/dev/null | awk -v root=/sys/bus/pci/devices '
	function hex(s,  v, i, c) { s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); if (!c) break; v = v * 16 + c - 1 }
		return v }
	# "... /sys/bus/pci/devices/<bdf>/driver -> ../../../bus/pci/drivers/<name>"
	$(NF - 1) == "->" { n = split($(NF - 2), p, "/"); k = split($NF, q, "/"); drv[p[n - 1]] = q[k] }
	END {
		while (("ls " root) | getline bdf) {
			cl = drv[bdf] ~ /vfio/ ? "vfio" : "other"; f = root "/" bdf "/resource"; i = 0
			while ((getline l < f) > 0 && i < 6) {
				split(l, r, " "); s = hex(r[1]); e = hex(r[2]); fl = hex(r[3])
				if (s > 0 && int(fl / 512) % 2) printf "%.0f %.0f %s %d %s\n", s, e, bdf, i, cl
				i++
			}
			close(f)
		}
	}'
}

# obs_runs: the observer's canonical state (after a sync; see the header).
obs_runs() {
	_od=$S2_TMP/obs
	_obs_bars >"$_od/bars"
	# Under pKVM 6.14+ the stage-2 tables live at EL2, out of the host's reach: nothing can
	# walk them, so every VM seen is "unwalkable" (a fact of the kernel, not of the module).
	_unw=0
	[ "$S2_KVM_MODE" != protected ] || ! kver_ge 6.14 || _unw=1
	awk -v barf="$_od/bars" -v unw=$_unw '
	BEGIN { while ((getline l < barf) > 0) { split(l, b, " "); nb++; bs[nb] = b[1] + 0; be[nb] = b[2] + 0; bn[nb] = b[3] " " b[4]; bc[nb] = b[5] } }
	$1 == "O" { owner[$2] = $3 }
	$1 == "L" { ls[++n] = $0 }
	$1 == "F" { fl[++m] = $0 }
	END {
		for (i = 1; i <= n; i++) {
			split(ls[i], f, " "); pa = f[5] + 0; c = "other"; w = "- -"
			for (j = 1; j <= nb; j++) if (pa >= bs[j] && pa <= be[j]) { c = bc[j]; w = bn[j]; break }
			o = (f[2] in owner) ? owner[f[2]] : "?"
			printf "%s %s %020.0f %.0f %.0f %s %s %s %s\n", o, f[2], f[3], f[5], f[4], f[7], f[6], c, w
		}
		for (i = 1; i <= m; i++) { split(fl[i], f, " "); o = (f[2] in owner) ? owner[f[2]] : "?"; print o, f[2], "F", f[3], f[4] }
		if (unw) for (k in owner) print owner[k], k, "S", "unwalkable"
	}' "$_od/state" | sort
}

# _obs_canon: stdin "pid vm ipa(padded) pa bytes level attr class bdf bar" sorted, plus
# "pid vm F attr n" and "pid vm C vd vn vN od on oN" and "pid vm S state" lines; stdout
# one line per VM: "pid signature" (runs merged; C from the runs unless given).
_obs_canon() {
	awk -v PS="$S2_PAGE_SIZE" '
	function flush(  s, k) {
		if (key == "") return
		if (run != "") rl = rl ";" run
		if (!hasc) cnt = vc["DEVICE_nGnRE"] "," vc["NORMAL_NC"] "," vc["NORMAL"] "," oc["DEVICE_nGnRE"] "," oc["NORMAL_NC"] "," oc["NORMAL"]
		s = rl " c:" cnt " f:" fd "," fn "," fN
		if (rl != "" || cnt != "0,0,0,0,0,0" || fd + fn + fN > 0 || (st != "" && st != "exact")) print pid, substr(s, 1 + (substr(s, 1, 1) == ";")) (st != "" && st != "exact" ? " state:" st : "")
	}
	function reset() { rl = ""; run = ""; hasc = 0; st = ""; fd = fn = fN = 0
		vc["DEVICE_nGnRE"] = vc["NORMAL_NC"] = vc["NORMAL"] = oc["DEVICE_nGnRE"] = oc["NORMAL_NC"] = oc["NORMAL"] = 0 }
	{
		if ($1 " " $2 != key) { flush(); key = $1 " " $2; pid = $1; reset() }
		if ($3 == "F") { if ($4 == "DEVICE_nGnRE") fd += $5; else if ($4 == "NORMAL_NC") fn += $5; else fN += $5; next }
		if ($3 == "C") { hasc = 1; cnt = $4 "," $5 "," $6 "," $7 "," $8 "," $9; next }
		if ($3 == "S") { st = $4; next }
		ipa = $3 + 0; pa = $4 + 0; sz = $5 + 0; rest = $6 " " $7 " " $8 " " $9 " " $10
		if ($8 == "vfio") vc[$7] += sz / PS; else oc[$7] += sz / PS
		if (run != "" && ipa == re && pa == pe && rest == rr) { re += sz; pe += sz; run = sprintf("%.0f,%.0f,%.0f,%s", rs, ps, (re - rs) / PS, rr); gsub(/ /, ",", run); next }
		if (run != "") rl = rl ";" run
		rs = ipa; ps = pa; re = ipa + sz; pe = pa + sz; rr = rest
		run = sprintf("%.0f,%.0f,%.0f,%s", rs, ps, sz / PS, rr); gsub(/ /, ",", run)
	}
	END { flush() }'
}

# _obs_mod: the module's VMs, records for _obs_canon.
_obs_mod() {
	_d=/sys/kernel/debug/kvm_s2stat
	[ -r $_d/summary ] || return 0
	tail -n +3 $_d/summary >"$S2_TMP/obs/summary" || return 1
	while read -r _vm _pid _st _m1 _m2 _m3 _m4 _m5 _m6 _fl _dr; do
		echo "$_pid $_vm S $_st"
		echo "$_pid $_vm C $_m1 $_m2 $_m3 $_m4 $_m5 $_m6"
		# failed: the summary's total, split by attribute from status
		awk -v p="$_pid" -v v="$_vm" -v t="$_fl" '
			$1 == "failed_device" { d = $2 } $1 == "failed_nc" { n = $2 } $1 == "failed_normal" { N = $2 }
			END { if (d + n + N != t) print p, v, "S", "failed-total-" t "-vs-status-" d + n + N
			      if (d) print p, v, "F DEVICE_nGnRE", d; if (n) print p, v, "F NORMAL_NC", n; if (N) print p, v, "F NORMAL", N }' "$_d/$_vm/status" || return 1
		tail -n +3 "$_d/$_vm/mappings" | awk -v p="$_pid" -v v="$_vm" '
			function hex(s,  x, i, c) { s = tolower(s); sub(/^0x/, "", s); x = 0
				for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); if (!c) break; x = x * 16 + c - 1 }
				return x }
			{ printf "%s %s %020.0f %.0f %.0f %s %s %s %s %s\n", p, v, hex($1), hex($3), hex($2) - hex($1), $6, $7, $10, $11, $12 }' || return 1
	done <"$S2_TMP/obs/summary"
}

# _obs_cli: the CLI's JSON, records for _obs_canon.
_obs_cli() {
	"$S2_CLI" -m -j >"$S2_TMP/obs/cli.json" 2>"$S2_TMP/obs/cli.err"
	_rc=$?
	[ $_rc = 0 ] || { echo "CLI exit $_rc: $(head -c 200 "$S2_TMP/obs/cli.err" "$S2_TMP/obs/cli.json")" >"$S2_TMP/obs/cli.fail"; return 1; }
	awk '
	function hex(s,  x, i, c) { s = tolower(s); sub(/^0x/, "", s); x = 0
		for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); if (!c) break; x = x * 16 + c - 1 }
		return x }
	function emit(path, v) { val[path] = v; if (path ~ /^vms\.[0-9]+\.vm$/) { split(path, q, "."); nv = q[2] + 1 > nv ? q[2] + 1 : nv } }
	{ js = js $0 }
	END {
		# Tokens: split on quotes (our strings hold no escaped quotes), punctuation outside.
		np = split(js, part, "\"")
		nt = 0
		for (i = 1; i <= np; i++) {
			if (i % 2 == 0) { tok[++nt] = part[i]; str[nt] = 1; continue }
			s = part[i]; gsub(/[][{}:,]/, " & ", s); m = split(s, w, " ")
			for (j = 1; j <= m; j++) { tok[++nt] = w[j]; str[nt] = 0 }
		}
		dp = 0
		for (i = 1; i <= nt; i++) {
			t = tok[i]
			if (!str[i] && t == "{") { dp++; ct[dp] = "o"; ck[dp] = ""; ek = 1 }
			else if (!str[i] && t == "[") { dp++; ct[dp] = "a"; ck[dp] = 0; ek = 0 }
			else if (!str[i] && (t == "}" || t == "]")) { dp--; ek = 0 }
			else if (!str[i] && t == ",") { if (ct[dp] == "a") ck[dp]++; else ek = 1 }
			else if (!str[i] && t == ":") ek = 0
			else if (ct[dp] == "o" && ek) ck[dp] = t
			else { p = ck[1]; for (k = 2; k <= dp; k++) p = p "." ck[k]; emit(p, t) }
		}
		if (val["vms_vanished"] != 0) print "0 cli S vanished-" val["vms_vanished"]
		for (v = 0; v < nv; v++) {
			b = "vms." v "."; pid = val[b "pid"]; vm = val[b "vm"]
			print pid, vm, "S", val[b "state"]
			print pid, vm, "C", val[b "vfio_pages.DEVICE_nGnRE"], val[b "vfio_pages.NORMAL_NC"], val[b "vfio_pages.NORMAL"], val[b "other_pages.DEVICE_nGnRE"], val[b "other_pages.NORMAL_NC"], val[b "other_pages.NORMAL"]
			if (val[b "failed.DEVICE_nGnRE"]) print pid, vm, "F DEVICE_nGnRE", val[b "failed.DEVICE_nGnRE"]
			if (val[b "failed.NORMAL_NC"]) print pid, vm, "F NORMAL_NC", val[b "failed.NORMAL_NC"]
			if (val[b "failed.NORMAL"]) print pid, vm, "F NORMAL", val[b "failed.NORMAL"]
			for (m = 0; (b "mappings." m ".ipa_start") in val; m++) {
				c = b "mappings." m "."
				printf "%s %s %020.0f %.0f %.0f %s %s %s %s %s\n", pid, vm, hex(val[c "ipa_start"]), hex(val[c "pa_start"]),
					hex(val[c "ipa_end"]) - hex(val[c "ipa_start"]), val[c "level"], val[c "attr"], val[c "class"],
					(val[c "bdf"] == "null" ? "-" : val[c "bdf"]), (val[c "bar"] == "null" ? "-" : val[c "bar"])
			}
		}
	}' "$S2_TMP/obs/cli.json"
}

# _obs_pick PIDS: keep the lines of the given pids (all when none), sorted.
_obs_pick() {
	awk -v pids=" $* " 'pids == "  " || index(pids, " " $1 " ")' | sort
}

# _obs_expand FILE: a signature file as one line per run, VMs numbered per pid, for diff.
_obs_expand() {
	awk '{ n[$1]++; s = $0; sub(/^[^ ]+ /, "", s); k = split(s, r, /[; ]/); for (i = 1; i <= k; i++) print $1, "vm" n[$1], r[i] }' "$1"
}

# obs_update: bring the observer's state up to now (prints the reason when it cannot).
# The state is updated incrementally from the events since the last comparison (the
# previous state is kept in state.prev for _obs_full).
obs_update() {
	_od=$S2_TMP/obs
	_mk=$(_obs_sync) || { echo "$_mk"; return 1; }
	cp "$_od/state" "$_od/state.prev"
	_obs_reduce "$_mk" 2>"$_od/reduce.err" || { echo "reduction failed: $(cat "$_od/reduce.err")"; return 1; }
	echo "$_mk" >"$_od/mark"
}

# _obs_full: recompute the state from the whole stream (the reference; the incremental
# update is an optimisation).  Notes in $_od/full.note the tables whose state the two
# computations disagree on, with their last events, for whoever debugs it.
_obs_full() {
	_od=$S2_TMP/obs
	cp "$_od/state" "$_od/state.incr"
	: >"$_od/state"
	echo 0 >"$_od/consumed"
	_obs_reduce "$(cat "$_od/mark")" 2>"$_od/reduce.err" || return 1
	sort "$_od/state.incr" >"$_od/s1"
	sort "$_od/state" >"$_od/s2"
	if ! cmp -s "$_od/s1" "$_od/s2"; then
		{
			echo "the incremental reduction differs from the full one:"
			diff -u "$_od/s1" "$_od/s2" | grep '^[-+][LO]' | head -n 6
			for _pg in $(diff -u "$_od/s1" "$_od/s2" | sed -n 's/^[-+][LOF] \([^ ]*\) .*/\1/p' | sort -u | head -n 3); do
				echo "last events of $_pg:"
				grep -F "pgt=${_pg#t}" "$_od/stream" | tail -n 3 | cut -c1-200
			done
		} >"$_od/full.note"
	fi
}

# obs_sigs [PID...]: the observer's VMs as signatures, one line each: "pid runs c:... f:...".
obs_sigs() { obs_runs | _obs_canon | _obs_pick "$@"; }

obs_cmp() {
	_od=$S2_TMP/obs
	obs_update || return 1
	obs_runs | _obs_canon | _obs_pick "$@" >"$_od/sig.obs"
	_try=0
	rm -f "$_od/full.done" "$_od/full.note"
	while :; do
		_why=
		if _obs_mod >"$_od/mod.rec" 2>"$_od/mod.err"; then
			sort "$_od/mod.rec" | _obs_canon | _obs_pick "$@" >"$_od/sig.mod"
		else _why="module files unreadable: $(head -c 200 "$_od/mod.err")"; fi
		rm -f "$_od/cli.fail"
		if [ -x "$S2_CLI" ]; then
			if _obs_cli >"$_od/cli.rec"; then
				sort "$_od/cli.rec" | _obs_canon | _obs_pick "$@" >"$_od/sig.cli"
			else _why="$_why $(cat "$_od/cli.fail")"; fi
		else _why="$_why CLI $S2_CLI not built"; fi
		if [ -z "$_why" ] && cmp -s "$_od/sig.obs" "$_od/sig.mod" && cmp -s "$_od/sig.obs" "$_od/sig.cli"; then
			# Agreement reached with the full reduction: say that the incremental one erred.
			[ ! -s "$_od/full.note" ] || sed 's/^/# observer: /' "$_od/full.note" >&2
			return 0
		fi
		# The module publishes and retires VM directories from a work item: give it time.
		# Last, check the observer's own incremental state against a full reduction.
		if [ $_try = 10 ] && [ ! -f "$_od/full.done" ]; then
			touch "$_od/full.done"
			_obs_full || { echo "full reduction failed: $(cat "$_od/reduce.err")"; return 1; }
			obs_runs | _obs_canon | _obs_pick "$@" >"$_od/sig.obs"
			continue
		fi
		[ $_try -lt 10 ] || break
		_try=$((_try + 1))
		sleep 0.3
	done
	{
		_obs_expand "$_od/sig.obs" >"$_od/x.obs"
		_obs_expand "$_od/sig.mod" >"$_od/x.mod" 2>/dev/null
		_obs_expand "$_od/sig.cli" >"$_od/x.cli" 2>/dev/null
		echo "observer vs module (-observer +module):"
		diff -u "$_od/x.obs" "$_od/x.mod" | grep '^[-+][^-+]' | head -n 12
		echo "observer vs CLI (-observer +CLI):"
		diff -u "$_od/x.obs" "$_od/x.cli" | grep '^[-+][^-+]' | head -n 12
		cmp -s "$_od/sig.obs" "$_od/sig.cli" || echo "CLI JSON (head): $(head -c 400 "$_od/cli.json")"
		cat "$_od/full.note" 2>/dev/null
	} >"$_od/diff" 2>&1
	_nm=$(wc -l <"$_od/sig.obs" | tr -d ' ')
	if [ -n "$_why" ]; then echo "$_why"
	elif ! cmp -s "$_od/sig.obs" "$_od/sig.mod"; then echo "module differs from the observer ($_nm VMs observed)"
	else echo "CLI differs from the observer ($_nm VMs observed)"; fi
	return 1
}

obs_check() {
	_on=obs-$1
	shift
	if _ow=$(obs_cmp "$@"); then
		t_ok "$_on"
	else
		sed 's/^/# /' "$S2_TMP/obs/diff" 2>/dev/null
		t_fail "$_on" "$_ow"
	fi
}
