# SPDX-License-Identifier: GPL-2.0
# bench-summary.awk: one cell's "# s2bench" lines (tests/bench/benchlib.sh) -> rows of
# results.tsv (columns: see scripts/bench.sh), and every pair appended to the file `pairs`.
# Variables: cell, host_cpu, host_load, qemu, rev, stamp, pairs.  POSIX awk (mawk).
#
# Verdicts compare numbers, rounded as shown (3 decimals for ratios): a figure exactly on
# its target is met.

function isort(arr, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = arr[i]
		for (j = i - 1; j >= 1 && arr[j] > t; j--)
			arr[j + 1] = arr[j]
		arr[j + 1] = t
	}
}
function median(arr, n) {
	isort(arr, n)
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
# kv(): the key=value words of the current line into F (first '=' splits).
function kv(    i, p) {
	split("", F)
	for (i = 2; i <= NF; i++) {
		p = index($i, "=")
		if (p)
			F[substr($i, 1, p - 1)] = substr($i, p + 1)
	}
}
function fmt(x) { return sprintf("%.3f", x) }
function num(x) { return sprintf("%.0f", x) }
function row(fig, what, n, med, lo, hi, am, bm, unit, target, verdict, note) {
	printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		cell, M["kernel"], M["mode"], M["kvm_mode"], M["qemu_cpu"], M["midr"], M["page_size"],
		M["clock"], host_cpu, host_load, qemu, rev, stamp, fig, what, n, med, lo, hi, am, bm, unit,
		target, verdict, note
}
# verdict(x, target): "met" when x <= the target's number ("<=1.10"), as numbers.
function verdict(x, target,    max) {
	if (target == "" || target == "-" || x == "pending" || x == "")
		return "-"
	max = substr(target, 3)
	return (x + 0 <= max + 0) ? "met" : "MISSED"
}

$1 == "meta" { kv(); for (k in F) M[k] = F[k]; next }
$1 == "pair" {
	kv()
	f = F["fig"]
	if (!(f in NP)) { NP[f] = 0; order[++nfig] = f }
	k = ++NP[f]
	A[f, k] = F["a"]; B[f, k] = F["b"]
	extra = ""
	for (x in F)
		if (x != "fig" && x != "i" && x != "order" && x != "a" && x != "b")
			extra = extra (extra == "" ? "" : " ") x "=" F[x]
	X[f, k] = extra
	if (F["a"] == "pending" || F["b"] == "pending") {
		PEND[f] = 1
		R[f, k] = "-"
	} else {
		R[f, k] = F["a"] > 0 ? F["b"] / F["a"] : 0
	}
	printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell, f, F["i"], F["order"], F["a"], F["b"],
		(R[f, k] == "-" ? "-" : fmt(R[f, k])), extra >>pairs
	next
}
$1 == "value" {
	kv()
	f = F["fig"]
	k = ++NV[f]
	for (x in F) V[f, k, x] = F[x]
	next
}

# pairstat(f): median/min/max of the ratios and medians of a and b into S[].
function pairstat(f,    k, n, r, a, b) {
	n = NP[f]
	for (k = 1; k <= n; k++) { r[k] = R[f, k]; a[k] = A[f, k]; b[k] = B[f, k] }
	S["n"] = n
	S["med"] = median(r, n); S["min"] = r[1]; S["max"] = r[n]
	S["a"] = median(a, n); S["b"] = median(b, n)
}
# valmed(f, key): the median over a value figure's lines of one key (empty if absent).
function valmed(f, key,    k, n, t) {
	n = 0
	if (!(f in NV))
		return ""
	for (k = 1; k <= NV[f]; k++)
		if ((f, k, key) in V && V[f, k, key] != "")
			t[++n] = V[f, k, key]
	return n ? median(t, n) : ""
}
# valstr(f, key): a value figure's key, first line (strings).
function valstr(f, key) { return ((f, 1, key) in V) ? V[f, 1, key] : "" }
# xmed(f, key): the median of a key of a pair figure's extra fields.
function xmed(f, key,    k, n, t, w, i, p) {
	n = 0
	if (!(f in NP))
		return ""
	for (k = 1; k <= NP[f]; k++) {
		split(X[f, k], w, " ")
		for (i in w) {
			p = index(w[i], "=")
			if (substr(w[i], 1, p - 1) == key && substr(w[i], p + 1) ~ /^[0-9.]+$/)
				t[++n] = substr(w[i], p + 1)
		}
	}
	return n ? median(t, n) : ""
}
# ahead(m, p): in how many pairs the figure m's b is below figure p's b (same pair index).
function ahead(m, p,    k, n) {
	n = 0
	for (k = 1; k <= NP[m] && k <= NP[p]; k++)
		if (B[m, k] + 0 < B[p, k] + 0)
			n++
	return n
}

function ratio_row(f, what, target, note) {
	if (!(f in NP))
		return
	if (f in PEND) {
		row(f, what, NP[f], "pending", "-", "-", "-", "-", "ratio", target, "-",
		    "not measured: the CLI binary was not built")
		return
	}
	pairstat(f)
	row(f, what, S["n"], fmt(S["med"]), fmt(S["min"]), fmt(S["max"]), num(S["a"]), num(S["b"]),
	    "ratio", target, verdict(fmt(S["med"]), target), note)
}
# fault_row(f, what, target, mod): a per-fault figure, with the module figure mod to compare
# (peers: verdict "module ahead" when the module's median ratio is lower).
function fault_row(f, what, target, mod,    n, note, mr, pr, v, extra) {
	if (!(f in NP))
		return
	pairstat(f); n = xmed(f, "pages")
	note = sprintf("per op %.0f -> %.0f ns (+%.0f)", S["a"] / n, S["b"] / n, (S["b"] - S["a"]) / n)
	if (xmed(f, "hooked") != "")
		note = note sprintf("; map function's ftrace callers %s (tracefs), module saw %s device maps", xmed(f, "hooked"), xmed(f, "devmaps"))
	else if (xmed(f, "devmaps") != "")
		note = note "; device maps counted " xmed(f, "devmaps")
	if (xmed(f, "settle_tail") != "")
		note = note sprintf("; includes the read-back left at the end (%.0f ns)", xmed(f, "settle_tail"))
	if (xmed(f, "retire") != "")
		note = note sprintf("; includes the module's deferred work (%.0f ns)", xmed(f, "retire"))
	if (mod != "" && (mod in NP)) {
		pr = S["med"]; pairstat(mod); mr = S["med"]; pairstat(f)
		v = (fmt(mr) + 0 < fmt(pr) + 0) ? "module ahead" : "MODULE BEHIND"
		note = note sprintf("; module x%.3f, cheaper in %d/%d pairs", mr, ahead(mod, f), NP[f])
		row(f, what, S["n"], fmt(S["med"]), fmt(S["min"]), fmt(S["max"]), num(S["a"]), num(S["b"]),
		    "ratio", (f ~ /floor/ ? "floor" : "> module"), (f ~ /floor/ ? "-" : v), note)
		return
	}
	row(f, what, S["n"], fmt(S["med"]), fmt(S["min"]), fmt(S["max"]), num(S["a"]), num(S["b"]),
	    "ratio", target, verdict(fmt(S["med"]), target), note)
}
# same_row(f, what, ref, tol, rel): a figure that must equal (rel "=") or not exceed (rel
# "<=") the reference figure ref within tol.
function same_row(f, what, ref, tol, rel,    fr, rr, ok) {
	if (!(f in NP) || !(ref in NP))
		return
	pairstat(ref); rr = fmt(S["med"]) + 0
	pairstat(f); fr = fmt(S["med"]) + 0
	ok = (rel == "=") ? (fr - rr <= tol && rr - fr <= tol) : (fr <= rr + tol)
	row(f, what, S["n"], fmt(S["med"]), fmt(S["min"]), fmt(S["max"]), num(S["a"]), num(S["b"]),
	    "ratio", rel (rel == "=" ? "" : "") ref " +-" tol, ok ? "met" : "MISSED",
	    sprintf("%s x%.3f; per fault %.0f -> %.0f ns", ref, rr, S["a"] / xmed(f, "pages"), S["b"] / xmed(f, "pages")))
}

END {
	pg = M["page_size"] + 0
	# --- P1: the fault path and the other stage-2 paths, module ÷ nothing ---
	fault_row("P1.dev", "fault in " xmed("P1.dev", "pages") " VFIO BAR pages, module loaded / not", "<=1.10")
	fault_row("P1.ram", "fault in " xmed("P1.ram", "pages") " RAM pages (no THP), module loaded / not", "<=1.04")
	fault_row("P1.unmap", "memslot delete of the fully mapped BAR (" xmed("P1.unmap", "pages") " leaves), module / not", "-")
	fault_row("P1.wrprotect", "dirty logging on: write-protect " xmed("P1.wrprotect", "pages") " RAM leaves, module / not", "-")
	fault_row("P1.relax", "write faults on " xmed("P1.relax", "pages") " write-protected RAM pages (relax_perms), module / not", "-")
	fault_row("P1.teardown", "VM destroy with the BAR and 256 MiB RAM mapped, module / not", "-")
	# --- the peers and the floor, same pairs ---
	fault_row("P1.dev-floor", "bare ftrace floor (empty ftrace_ops callback) / nothing, BAR faults", "", "P1.dev")
	fault_row("P1.ram-floor", "bare ftrace floor (empty ftrace_ops callback) / nothing, RAM faults", "", "P1.ram")
	fault_row("P1.dev-kprobe", "bpftrace kprobe+kretprobe counting device maps / nothing, BAR faults", "", "P1.dev")
	fault_row("P1.ram-kprobe", "bpftrace kprobe+kretprobe counting device maps / nothing, RAM faults", "", "P1.ram")
	fault_row("P1.dev-kretfunc", "bpftrace kretfunc (fexit) counting device maps / nothing, BAR faults", "", "P1.dev")
	fault_row("P1.ram-kretfunc", "bpftrace kretfunc (fexit) counting device maps / nothing, RAM faults", "", "P1.ram")
	if ("P1.kretfunc" in NV)
		row("P1.dev-kretfunc", "bpftrace kretfunc (fexit) counting device maps", 0, "n/a", "-", "-", "-", "-",
		    "ratio", "-", "-", "not measured: " valstr("P1.kretfunc", "reason"))
	# --- issue 12: RAM faults with a BAR above 512 GiB, without a BAR, 4 vCPUs ---
	fault_row("P1.ram-nobar", "fault in " xmed("P1.ram-nobar", "pages") " RAM pages, VM without a BAR, module / not", "<=1.04")
	same_row("P1.ram-bar512g", "the same with a mapped BAR above 512 GiB, module / not", "P1.ram-nobar", 0.01, "=")
	same_row("P1.ram-4vcpu", "the same RAM faulted by 4 vCPUs at once (a quarter each), module / not", "P1.ram-nobar", 0.01, "<=")
	# --- the user-level figure ---
	if ("P1.thp1g" in NP) {
		pairstat("P1.thp1g")
		ratio_row("P1.thp1g", "a new VM faults in 1 GiB of RAM with THP (2 MiB maps), module loaded / not", "-",
		    sprintf("%.1f -> %.1f ms of guest time; map function's ftrace callers %s (tracefs); AnonHugePages %s MiB",
		    S["a"] / 1e6, S["b"] / 1e6, xmed("P1.thp1g", "hooked"), xmed("P1.thp1g", "thp_mib")))
	}
	if ("P2.summary" in NP) {
		pairstat("P2.summary")
		ratio_row("P2.summary", "read summary, " xmed("P2.summary", "pages_b") " tracked pages / 1 page",
		    "<=1.5", sprintf("one read %.0f -> %.0f ns", S["a"], S["b"]))
	}
	if ("P2.cli" in NP) {
		if (!("P2.cli" in PEND)) pairstat("P2.cli")
		ratio_row("P2.cli", "kvm-s2stat (summary view), " xmed("P2.cli", "pages_b") " pages / 1 page",
		    "<=1.5", sprintf("one run %.0f -> %.0f ns (fork+exec+read of version, stats, summary, status)", S["a"], S["b"]))
	}
	if ("P2.summary-ranges" in NP) {
		pairstat("P2.summary-ranges")
		ratio_row("P2.summary-ranges", "read summary, " xmed("P2.summary-ranges", "ranges_b") " ranges / 1 range",
		    "<=1.5", sprintf("one read %.0f -> %.0f ns", S["a"], S["b"]))
	}
	if ("P2.mappings" in NP) {
		pairstat("P2.mappings"); ra = xmed("P2.mappings", "ranges_a"); rb = xmed("P2.mappings", "ranges_b")
		ratio_row("P2.mappings", "read mappings, " rb " ranges / " ra " range", "-",
		    sprintf("one read %.0f -> %.0f ns: %.0f ns per range (grows with ranges by design)",
		    S["a"], S["b"], (S["b"] - S["a"]) / (rb - ra)))
	}
	# --- P3: memory, measured from the kernel's side (21-memory) ---
	if ("P3.idle" in NV) {
		row("P3.idle", "module loaded, no VM: its live allocations (measured) [image not included]", NV["P3.idle"],
		    valmed("P3.idle", "bytes"), "-", "-", "-", "-", "bytes", "-", "-",
		    sprintf("%s objects; module image %s B (coresize); bytes_held says %s",
		    valmed("P3.idle", "objs"), valmed("P3.idle", "coresize"), valmed("P3.idle", "bytes_held")))
	}
	if ("P3.vm" in NV) {
		row("P3.vm", "above idle: 1 VM known, none of its BAR mapped (its object, debugfs directory and files)", NV["P3.vm"],
		    valmed("P3.vm", "bytes"), "-", "-", "-", "-", "bytes", "-", "-",
		    sprintf("%s objects: %s; bytes_held says %s", valmed("P3.vm", "objs"), valstr("P3.vm", "parts"),
		    valmed("P3.vm", "bytes_held")))
	}
	if ("P3.full" in NV) {
		full = valmed("P3.full", "bytes")
		row("P3.full", "above P3.vm: the VM's " valmed("P3.full", "pages") " BAR pages mapped (1 range)", NV["P3.full"],
		    full, "-", "-", "-", "-", "bytes", "<=1024", verdict(full, "<=1024"),
		    sprintf("%s objects: %s; with the VM %s B above idle; bytes_held says %s", valmed("P3.full", "objs"),
		    valstr("P3.full", "parts"), valmed("P3.full", "with_vm"), valmed("P3.full", "bytes_held")))
	}
	if ("P3.half" in NV) {
		nr = valmed("P3.half", "ranges")
		row("P3.half", "per extra range, every other page mapped (" nr " ranges)", NV["P3.half"],
		    sprintf("%.1f", valmed("P3.half", "per_range")), "-", "-", "-", "-", "bytes/range", "-", "-",
		    sprintf("%.1f KiB above idle at %d ranges (%s); bytes_held says %.1f per range",
		    valmed("P3.half", "bytes") / 1024, nr, valstr("P3.half", "parts"), valmed("P3.half", "held_per_range")))
	}
	if ("P3.after" in NV) {
		row("P3.after", "after the VM is gone: left above idle", NV["P3.after"], valmed("P3.after", "bytes"),
		    "-", "-", "-", "-", "bytes", "-", "-", "what the module still holds once the VM's object is freed: " valstr("P3.after", "parts"))
	}
	if ("P4.verify" in NP) {
		pairstat("P4.verify"); lv = xmed("P4.verify", "leaves"); mh = xmed("P4.verify", "max_lock_hold_us")
		ratio_row("P4.verify", "verify read (walk of " lv " device leaves) / summary read", "-",
		    sprintf("verify %.1f ms (%.0f ns per leaf, %s chunks), summary %.0f ns; longest lock hold per chunk: %s",
		    S["b"] / 1e6, S["b"] / lv, xmed("P4.verify", "chunks"), S["a"],
		    (mh == "" ? "not reported by this module" : mh " us")))
	}
	if ("P4.faults" in NP) {
		pairstat("P4.faults"); n = xmed("P4.faults", "pages")
		ratio_row("P4.faults", "fault in " n " RAM pages, verify loop / summary loop running", "-",
		    sprintf("per fault %.0f -> %.0f ns; reads completed by the loop per run: summary %s, verify %s",
		    S["a"] / n, S["b"] / n, xmed("P4.faults", "loops_a"), xmed("P4.faults", "loops_b")))
	}
	if ("P4.chunk" in NV) {
		vn = valmed("P4.chunk", "ns"); vc = valmed("P4.chunk", "chunks")
		row("P4.chunk", "one verify read / its chunks: mean time per chunk", NV["P4.chunk"],
		    sprintf("%.0f", vn / vc / 1e3), "-", "-", "-", "-", "us", "-", "-",
		    sprintf("verify %.1f ms in %d chunks on this clock", vn / 1e6, vc))
	}
	if ("P4.fault-med" in NP) {
		pairstat("P4.fault-med")
		ratio_row("P4.fault-med", "median of " xmed("P4.fault-med", "singles") " single faults, verify / summary loop", "-",
		    sprintf("median single fault %.0f -> %.0f us", S["a"] / 1e3, S["b"] / 1e3))
	}
	if ("P4.fault-max" in NP) {
		pairstat("P4.fault-max")
		h = valmed("P4.lock-stall", "walk_max_lock_hold_us")
		ratio_row("P4.fault-max", "longest of " xmed("P4.fault-max", "singles") " single faults, verify / summary loop", "-",
		    sprintf("longest %.0f -> %.0f us; longest lock hold of a walk chunk meanwhile (stats): %s",
		    S["a"] / 1e3, S["b"] / 1e3, (h == "" ? "not reported by this module" : h " us")))
	}
	if ("P5.idle" in NP) {
		pairstat("P5.idle"); n = xmed("P5.idle", "runs")
		ratio_row("P5.idle", n " exits to the VMM, module loaded and nobody reading effective / no module",
		    "<=1.02", sprintf("per exit %.0f -> %.0f ns", S["a"] / n, S["b"] / n))
	}
	if ("P5.reading" in NP) {
		pairstat("P5.reading"); n = xmed("P5.reading", "runs")
		ratio_row("P5.reading", n " exits to the VMM while effective is read in a loop / no module",
		    "-", sprintf("per exit %.0f -> %.0f ns (the capture hooks attached)", S["a"] / n, S["b"] / n))
	}
	for (m = 1; m <= 2; m++) {
		f = (m == 1 ? "P6.read-1024m" : "P6.read-4096m")
		if (!(f in NV))
			continue
		row(f, "one read of <vm>/effective, Linux guest with " (m == 1 ? "1" : "4") " GiB", NV[f],
		    sprintf("%.0f", valmed(f, "ns") / 1e6), "-", "-", "-", "-", "ms", "-", "-",
		    sprintf("walk %s us (%s descriptors, %s tables), captures %s ms",
		    valmed(f, "walk_us"), valmed(f, "descriptors"), valmed(f, "table_pages"),
		    valmed(f, "capture_ms")))
	}
	if ("P4.lock" in NV) {
		h = valmed("P4.lock", "walk_max_lock_hold_us")
		row("P4.lock", "longest kvm->mmu_lock hold of one walk chunk (stats)", NV["P4.lock"],
		    (h == "" ? "n/a" : h), "-", "-", "-", "-", "us", "-", "-",
		    (h == "" ? "walk_max_lock_hold_us not reported by this module" : "the module's own measurement, every walk since load (resync at load, verify reads)"))
	}
}
