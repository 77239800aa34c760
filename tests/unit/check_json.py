#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Validate kvm-s2stat JSON output (docs/json.md, schema 2) with a real JSON parser.

usage: check_json.py doc|lines|error [--consistent]
  doc     stdin is one JSON document
  lines   stdin is one document per line (--watch --json)
  error   stdin is {"error": "..."}
  --consistent  also require each VM's mappings to add up to its page counts (fixtures;
                not with a bdf_filter, which limits the mappings to some devices)
Exit 0 when valid; otherwise prints what is wrong and exits 1.
"""
import json
import re
import sys

ATTRS = ("DEVICE_nGnRE", "NORMAL_NC", "NORMAL")
ADDR = re.compile(r"^0x[0-9a-f]{16}$")
BDF = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
VMMS = (None, "qemu", "crosvm", "cloud-hypervisor", "kvmtool", "firecracker")


class Bad(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Bad(what)


def no_dups(pairs):
    keys = [k for k, _ in pairs]
    need(len(keys) == len(set(keys)), "duplicate key in %s" % keys)
    return dict(pairs)


def reject_constant(name):
    raise Bad("non-JSON constant %s" % name)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def fields(obj, spec, where):
    need(isinstance(obj, dict), "%s: not an object" % where)
    for key, kind in spec.items():
        need(key in obj, "%s: missing %s" % (where, key))
        v = obj[key]
        ok = {
            "int": lambda: is_int(v),
            "sint": lambda: isinstance(v, int) and not isinstance(v, bool),
            "num": lambda: isinstance(v, (int, float)) and not isinstance(v, bool),
            "str": lambda: isinstance(v, str) and v != "",
            "str?": lambda: v is None or isinstance(v, str),
            "int?": lambda: v is None or is_int(v),
            "bool": lambda: isinstance(v, bool),
            "list": lambda: isinstance(v, list),
            "obj": lambda: isinstance(v, dict),
            "addr": lambda: isinstance(v, str) and ADDR.match(v),
            "attrs": lambda: isinstance(v, dict) and sorted(v) == sorted(ATTRS)
            and all(is_int(x) for x in v.values()),
        }[kind]()
        need(ok, "%s: %s=%r is not %s" % (where, key, v, kind))


def check_ident(o, where):
    """domain and uuid of a VM, device row or violation: null or sanitised strings."""
    fields(o, {"domain": "str?", "uuid": "str?"}, where)
    d = o["domain"]
    need(d is None or (d != "" and len(d.encode("utf-8")) <= 64), where + ": domain length")
    need(d is None or not re.search("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
                                    "\u2060-\u206f\ufeff]", d), where + ": raw control in domain")
    need(o["uuid"] is None or UUID.match(o["uuid"]), where + ": uuid")


def check_mapping(m, where):
    fields(m, {"ipa_start": "addr", "ipa_end": "addr", "pa_start": "addr", "pa_end": "addr",
               "pages": "int", "level": "sint", "attr": "str", "memattr": "int", "perm": "str",
               "class": "str", "bdf": "str?", "bar": "int?", "driver": "str?"}, where)
    need(m["attr"] in ATTRS, where + ": attr")
    need(m["class"] in ("vfio", "other"), where + ": class")
    need(re.match(r"^[r-][w-][x-]$", m["perm"]), where + ": perm")
    need(m["bdf"] is None or BDF.match(m["bdf"]), where + ": bdf")
    need(int(m["ipa_start"], 16) < int(m["ipa_end"], 16), where + ": ipa range")


MTS = ("DEVICE_nGnRnE", "DEVICE_nGnRE", "DEVICE_nGRE", "DEVICE_GRE", "NORMAL_NC", "NORMAL_WT",
       "NORMAL_WB", "NORMAL_MIXED", "NORMAL_FWB_WB", "NORMAL_FWB_S1", "RESERVED")
HALVES = ("ok", "partial", "stale", "unavailable", "disabled", "none")


def check_effective(e, w):
    """A VM's effective object (-E): null (module without it) or the guest's mappings."""
    if e is None:
        return
    fields(e, {"result": "str", "reason": "str?", "kernel_half": "str", "user_half": "str",
               "vfio_types": "list", "roots": "list", "mappings": "list", "rows": "int?",
               "user_roots": "int?", "user_root_age_ms": "int?"}, w)
    need(e["result"] in ("ok", "partial", "unavailable"), w + ": result")
    need(e["kernel_half"] in HALVES and e["user_half"] in HALVES, w + ": halves")
    need((e["result"] == "unavailable") == (e["reason"] is not None), w + ": reason")
    need(all(t in MTS for t in e["vfio_types"]), w + ": vfio_types")
    ids = {}
    for j, r in enumerate(e["roots"]):
        fields(r, {"id": "str", "half": "str", "status": "str", "ttbr": "addr", "asid": "int",
                   "tcr": "str", "mair": "str", "granule": "int", "va_bits": "int", "ds": "bool",
                   "seen": "int", "seen_ms_ago": "int"}, "%s.roots[%d]" % (w, j))
        need(r["id"] not in ids, w + ": repeated root")
        ids[r["id"]] = r["half"]
    types = set()
    for j, m in enumerate(e["mappings"]):
        mw = "%s.mappings[%d]" % (w, j)
        fields(m, {"half": "str", "root": "str", "va_start": "addr", "va_end": "addr",
                   "ipa_start": "addr", "ipa_end": "addr", "bytes": "int", "s1": "str",
                   "mair": "int", "s2": "str?", "memattr": "int?", "stage2": "str",
                   "effective": "str?", "class": "str?", "bdf": "str?", "bar": "int?"}, mw)
        need(ids.get(m["root"]) == m["half"], mw + ": root of another half")
        need(int(m["va_end"], 16) - int(m["va_start"], 16) == m["bytes"] ==
             int(m["ipa_end"], 16) - int(m["ipa_start"], 16), mw + ": sizes")
        need(m["s1"] in MTS and m["stage2"] in ("mapped", "pending"), mw + ": s1/stage2")
        need(m["effective"] is None or m["effective"] in MTS, mw + ": effective")
        if m["class"] == "vfio" and m["effective"]:
            types.add(m["effective"])
    need(set(e["vfio_types"]) == types, w + ": vfio_types do not match the mappings")


def check_expect_wc(e):
    fields(e, {"attr": "str", "result": "str", "ok": "bool", "checked_mappings": "int",
               "checked_bytes": "int", "checked_vms": "int", "incomplete_vms": "int",
               "violating_vms": "int", "violating_bytes": "int", "violations": "list"}, "expect")
    want = "violated" if e["violations"] else "nothing_to_check" if not e["checked_mappings"] \
        else "incomplete" if e["incomplete_vms"] else "ok"
    need(e["result"] == want, "expect.result %s, want %s" % (e["result"], want))
    need(e["ok"] == (e["result"] == "ok"), "expect.ok")
    for j, v in enumerate(e["violations"]):
        w = "expect.violations[%d]" % j
        fields(v, {"vm": "str", "pid": "int", "half": "str", "va_start": "addr", "va_end": "addr",
                   "bdf": "str", "bar": "int", "s1": "str", "stage2": "str", "bytes": "int"}, w)
        check_ident(v, w)
        need(v["s1"] == "NORMAL_NC" and v.get("effective") != "NORMAL_NC", w + ": not a violation")
    need(sum(v["bytes"] for v in e["violations"]) == e["violating_bytes"], "expect bytes")


def check_doc(d, consistent):
    fields(d, {"schema_version": "int", "kvm_s2stat_version": "str", "time": "num",
               "root": "str", "module": "obj", "vms_listed": "int", "vms_vanished": "int",
               "vms_skipped_zero": "int", "vms": "list", "totals": "obj"}, "document")
    need(d["schema_version"] == 2, "schema_version is not 2")
    if "bdf_filter" in d:
        need(isinstance(d["bdf_filter"], list) and d["bdf_filter"] and
             all(isinstance(b, str) and BDF.match(b) for b in d["bdf_filter"]), "bdf_filter")
        consistent = False
    mod = d["module"]
    fields(mod, {"version": "str", "format": "int", "kernel": "str", "page_size": "int",
                 "fwb": "bool", "lpa2": "bool", "kvm_mode": "str", "discovery": "str",
                 "stats": "obj"}, "module")
    need(mod["format"] in (1, 2), "module.format")  # S2_FORMAT_OLDEST..S2_FORMAT_VERSION
    need(mod["page_size"] in (4096, 16384, 65536), "module.page_size")
    for k, v in mod["stats"].items():
        need(is_int(v), "module.stats.%s" % k)
    for k in ("vms", "ranges", "drops", "probe_missed", "resyncs"):
        need(k in mod["stats"], "module.stats.%s missing" % k)
    ps = mod["page_size"]
    tot = {"vfio_pages": dict.fromkeys(ATTRS, 0), "other_pages": dict.fromkeys(ATTRS, 0),
           "failed": dict.fromkeys(ATTRS, 0)}
    vfio_b = other_b = inexact = unwalkable = 0
    names = set()
    for i, vm in enumerate(d["vms"]):
        w = "vms[%d]" % i
        fields(vm, {"vm": "str", "pid": "int", "comm": "str?", "vmm": "str?", "state": "str",
                    "exact": "bool", "found": "str", "vfio_pages": "attrs",
                    "other_pages": "attrs", "vfio_bytes": "int", "other_bytes": "int",
                    "failed": "attrs", "ranges": "int", "page_leaves": "int",
                    "block_leaves": "int", "drops": "int", "resyncs": "int"}, w)
        check_ident(vm, w)
        need(vm["vmm"] in VMMS, w + ": vmm")
        if "mappings_match_status" in vm:
            need(isinstance(vm["mappings_match_status"], bool), w + ": mappings_match_status")
        need(re.match(r"^\d+-\d+$", vm["vm"]) and vm["vm"].split("-")[0] == str(vm["pid"]),
             w + ": vm/pid")
        need(vm["vm"] not in names, w + ": repeated VM")
        names.add(vm["vm"])
        need(vm["state"] in ("exact", "inexact", "unwalkable") and
             vm["exact"] == (vm["state"] == "exact"),
             w + ": state")
        need(vm["found"] in ("fault", "load"), w + ": found")
        need(vm["vfio_bytes"] == sum(vm["vfio_pages"].values()) * ps, w + ": vfio_bytes")
        need(vm["other_bytes"] == sum(vm["other_pages"].values()) * ps, w + ": other_bytes")
        for k in tot:
            for a in ATTRS:
                tot[k][a] += vm[k][a]
        vfio_b += vm["vfio_bytes"]
        other_b += vm["other_bytes"]
        inexact += vm["state"] == "inexact"
        unwalkable += vm["state"] == "unwalkable"
        if "mappings" in vm:
            need(isinstance(vm["mappings"], list), w + ": mappings")
            sums = {"vfio": dict.fromkeys(ATTRS, 0), "other": dict.fromkeys(ATTRS, 0)}
            prev_end = -1
            for j, m in enumerate(vm["mappings"]):
                check_mapping(m, "%s.mappings[%d]" % (w, j))
                need(int(m["ipa_start"], 16) >= prev_end, w + ": mappings order")
                prev_end = int(m["ipa_end"], 16)
                sums[m["class"]][m["attr"]] += m["pages"]
            match = sums["vfio"] == vm["vfio_pages"] and sums["other"] == vm["other_pages"]
            need("mappings_match_status" in vm, w + ": mappings without mappings_match_status")
            if consistent:
                need(match, w + ": mappings do not add up to the page counts")
                need(vm["mappings_match_status"], w + ": mappings_match_status false")
        if "effective" in vm:
            check_effective(vm["effective"], w + ".effective")
        if "verify" in vm:
            v = vm["verify"]
            fields(v, {"result": "str", "differences": "int", "diffs": "list",
                       "walked_leaves": "int?", "table_device_pages": "int?",
                       "tracked_device_pages": "int?", "chunks": "int?"}, w + ".verify")
            need(v["result"] in ("ok", "differ", "unavailable"), w + ".verify.result")
            need((v["result"] == "ok") == (v["differences"] == 0 and v["result"] != "unavailable")
                 or v["result"] == "unavailable", w + ".verify consistency")
            for j, df in enumerate(v["diffs"]):
                fields(df, {"kind": "str", "ipa_start": "addr", "ipa_end": "addr"},
                       "%s.verify.diffs[%d]" % (w, j))
                need("table" in df and "tracked" in df, w + ": diff sides")
    t = d["totals"]
    fields(t, {"vms": "int", "inexact_vms": "int", "vfio_pages": "attrs", "other_pages": "attrs",
               "vfio_bytes": "int", "other_bytes": "int", "failed": "attrs"}, "totals")
    need(t["vms"] == len(d["vms"]), "totals.vms")
    need(t["inexact_vms"] == inexact, "totals.inexact_vms")
    need(t.get("unwalkable_vms", 0) == unwalkable, "totals.unwalkable_vms")
    for k in tot:
        need(t[k] == tot[k], "totals.%s" % k)
    need(t["vfio_bytes"] == vfio_b and t["other_bytes"] == other_b, "totals bytes")
    if "devices" in d:
        dev_sum = {}
        for j, r in enumerate(d["devices"]):
            w = "devices[%d]" % j
            fields(r, {"bdf": "str?", "bar": "int?", "driver": "str?", "vm": "str", "pid": "int",
                       "class": "str", "attr": "str", "pages": "int", "bytes": "int",
                       "ranges": "int"}, w)
            check_ident(r, w)
            if "bdf_filter" in d:
                need(r["bdf"] in d["bdf_filter"], w + ": device outside bdf_filter")
            need(r["bytes"] == r["pages"] * ps, w + ": bytes")
            need(r["attr"] in ATTRS and r["class"] in ("vfio", "other"), w + ": attr/class")
            need(r["vm"] in names, w + ": unknown vm")
            need((r["bdf"] is None) == (r["bar"] is None), w + ": bdf/bar")
            key = (r["vm"], r["class"], r["attr"])
            dev_sum[key] = dev_sum.get(key, 0) + r["pages"]
        if consistent:
            for vm in d["vms"]:
                for c in ("vfio", "other"):
                    for a in ATTRS:
                        need(dev_sum.get((vm["vm"], c, a), 0) == vm[c + "_pages"][a],
                             "devices do not add up for %s %s %s" % (vm["vm"], c, a))
    if "expect" in d and d["expect"].get("attr") == "wc":
        check_expect_wc(d["expect"])
    elif "expect" in d:
        e = d["expect"]
        fields(e, {"attr": "str", "result": "str", "ok": "bool", "checked_mappings": "int",
                   "checked_pages": "int", "checked_vms": "int", "violating_vms": "int",
                   "violating_pages": "int", "violations": "list"}, "expect")
        need(e["attr"] in ATTRS, "expect.attr")
        want = "violated" if e["violations"] else "ok" if e["checked_mappings"] else \
            "nothing_to_check"
        need(e["result"] == want, "expect.result %s, want %s" % (e["result"], want))
        need(e["ok"] == (e["result"] == "ok"), "expect.ok")
        for j, v in enumerate(e["violations"]):
            fields(v, {"vm": "str", "pid": "int", "bdf": "str", "bar": "int", "ipa_start": "addr",
                       "ipa_end": "addr", "attr": "str", "pages": "int"}, "expect.violations[%d]" % j)
            check_ident(v, "expect.violations[%d]" % j)
            need(v["attr"] != e["attr"], "expect violation with the expected attr")
        need(sum(v["pages"] for v in e["violations"]) == e["violating_pages"], "expect pages")
    if "verify" in d:
        fields(d["verify"], {"ok": "bool", "vms": "int", "differ_vms": "int",
                             "unavailable_vms": "int", "differences": "int"}, "verify")


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "doc"
    consistent = "--consistent" in sys.argv
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as e:
        print("check_json: output is not UTF-8: %s" % e)
        return 1
    try:
        if mode == "error":
            d = json.loads(text, object_pairs_hook=no_dups, parse_constant=reject_constant)
            need(isinstance(d, dict) and list(d) == ["error"], "not {\"error\": ...}")
            need(isinstance(d["error"], str) and d["error"], "error is not a message")
            need("\n" not in d["error"], "error spans lines")
        elif mode == "lines":
            lines = [l for l in text.split("\n") if l]
            need(len(lines) >= 1, "no documents")
            for l in lines:
                check_doc(json.loads(l, object_pairs_hook=no_dups,
                                     parse_constant=reject_constant), consistent)
            print("%d documents" % len(lines))
        else:
            check_doc(json.loads(text, object_pairs_hook=no_dups,
                                 parse_constant=reject_constant), consistent)
    except (Bad, ValueError) as e:
        print("check_json: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
