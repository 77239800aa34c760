# SPDX-License-Identifier: GPL-2.0
# bench-summary.awk: one cell's "# s2bench" lines (tests/bench/benchlib.sh) -> rows of
# results.tsv (columns: see scripts/bench.sh), and every pair appended to the file `pairs`.
# Variables: cell, host_cpu, host_load, qemu, rev, stamp, pairs.  POSIX awk (mawk).

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
function verdict(x, max) {
	if (max == "" || x == "pending")
		return "-"
	return x <= max + 0 ? "met" : "MISSED"
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
	for (k = 1; k <= NV[f]; k++)
		if ((f, k, key) in V && V[f, k, key] != "")
			t[++n] = V[f, k, key]
	return n ? median(t, n) : ""
}
# xmed(f, key): the median of a key of a pair figure's extra fields.
function xmed(f, key,    k, n, t, w, i, p) {
	n = 0
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
	    "ratio", target, verdict(fmt(S["med"]), substr(target, 3)), note)
}

END {
	pg = M["page_size"] + 0
	if ("P1.dev" in NP) {
		pairstat("P1.dev"); n = xmed("P1.dev", "pages")
		ratio_row("P1.dev", "fault in " n " VFIO BAR pages, module loaded / not", "<=1.10",
		    sprintf("per fault %.0f -> %.0f ns (+%.0f); map calls seen per run %s, of which device %s",
		    S["a"] / n, S["b"] / n, (S["b"] - S["a"]) / n, xmed("P1.dev", "maps"), xmed("P1.dev", "devmaps")))
	}
	if ("P1.ram" in NP) {
		pairstat("P1.ram"); n = xmed("P1.ram", "pages")
		ratio_row("P1.ram", "fault in " n " RAM pages (no THP), module loaded / not", "<=1.02",
		    sprintf("per fault %.0f -> %.0f ns (+%.0f); map calls seen per run %s, of which device %s",
		    S["a"] / n, S["b"] / n, (S["b"] - S["a"]) / n, xmed("P1.ram", "maps"), xmed("P1.ram", "devmaps")))
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
	if ("P3.idle" in NV) {
		idle = valmed("P3.idle", "bytes")
		row("P3.idle", "bytes_held, module loaded, no VM (subtracted below)", NV["P3.idle"], idle, "-", "-",
		    "-", "-", "bytes", "-", "-", "the PCI BAR table (" valmed("P3.idle", "pci_bars") " BARs)")
	}
	if ("P3.full" in NV) {
		full = valmed("P3.full", "bytes"); one = valmed("P3.one", "bytes")
		row("P3.full", "bytes_held - idle, 1 VM, " valmed("P3.full", "pages") " pages touched (1 range)",
		    NV["P3.full"], full - idle, "-", "-", "-", "-", "bytes", "<=1024",
		    verdict(full - idle, 1024),
		    sprintf("the VM object and one range node; with 1 page touched: %d bytes", one - idle))
	}
	if ("P3.half" in NV) {
		half = valmed("P3.half", "bytes"); bf = valmed("P3.half", "bytes_full"); nr = valmed("P3.half", "ranges")
		row("P3.half", "bytes_held per range, every other page touched (" nr " ranges)",
		    NV["P3.half"], sprintf("%.1f", (half - bf) / (nr - 1)), "-", "-", "-", "-", "bytes/range", "-", "-",
		    sprintf("bytes_held %d at %d ranges (%.1f KiB above idle)", half, nr, (half - idle) / 1024))
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
