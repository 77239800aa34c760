#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Feed kvm-s2stat's real --prometheus output to the alerting rules with `promtool test rules`.

usage: check_rules.py RULES [VM,BDF,BAR,ATTR ...] < metrics
Every sample of stdin becomes an input series (instance="kvm1:9100", the same value for 10
minutes); KvmS2statVfioBarNotNormalNC must fire at 10 minutes for exactly the BARs given
(none: it must not fire), with the labels and annotations the rules define.  The test file
is JSON (a subset of YAML), so no YAML library is needed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ALERT = "KvmS2statVfioBarNotNormalNC"
INSTANCE = "kvm1:9100"


def parse_labels(s):
    """{a="b",...} of a sample line, with the exposition escapes undone."""
    labels, i = {}, 1
    while s[i] != "}":
        m = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="').match(s, i)
        name, i, val = m.group(1), m.end(), []
        while s[i] != '"':
            if s[i] == "\\":
                val.append({"n": "\n"}.get(s[i + 1], s[i + 1]))
                i += 2
            else:
                val.append(s[i])
                i += 1
        labels[name] = "".join(val)
        i += 1
        if s[i] == ",":
            i += 1
    return labels, i + 1


def selector(name, labels):
    """A series selector in promtool's input notation (PromQL string escapes)."""
    parts = ['%s=%s' % (k, json.dumps(v)) for k, v in sorted(labels.items())]
    return "%s{%s}" % (name, ",".join(parts))


def annotations(rules, labels, value):
    """The alert's summary and description, rendered as Prometheus would for these labels."""
    block = rules[rules.index("alert: " + ALERT):]
    block = block[:block.find("- alert:", 1)] if "- alert:" in block[1:] else block
    out = {}
    for key in ("summary", "description"):
        tmpl = json.loads(re.search(r"\n\s+%s: (\".*\")\n" % key, block).group(1))
        text = re.sub(r"\{\{ \$labels\.([a-z_]+) \}\}", lambda m: labels.get(m.group(1), ""), tmpl)
        out[key] = text.replace("{{ printf \"%.0f\" $value }}", value)
    return out


def main():
    rules_path = os.path.abspath(sys.argv[1])
    want = [tuple(a.split(",")) for a in sys.argv[2:]]
    rules = open(rules_path).read()
    series, device = [], {}
    for line in sys.stdin.read().splitlines():
        if line.startswith("#"):
            continue
        name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        labels, i = parse_labels(line[len(name):]) if line[len(name)] == "{" else ({}, 0)
        value = line[len(name) + i:].strip()
        labels["instance"] = INSTANCE
        series.append({"series": selector(name, labels), "values": "%sx10" % value})
        if name == "kvm_s2stat_device_mapped_bytes" and labels["class"] == "vfio":
            key = (labels["vm"], labels["bdf"], labels["bar"], labels["attr"])
            device[key] = (labels, int(value) + device.get(key, (None, 0))[1])
    exp = []
    for key in want:
        if key not in device:
            print("check_rules: no vfio series %s in the input (have %s)" % (key, sorted(device)))
            return 1
        labels, value = device[key]
        lab = {k: labels[k] for k in ("instance", "vm", "pid", "domain", "uuid", "bdf", "bar",
                                      "attr") if labels[k] != ""}
        lab["severity"] = "warning"
        exp.append({"exp_labels": lab,
                    "exp_annotations": annotations(rules, labels, str(value))})
    test = {"rule_files": [rules_path], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": series,
                       "alert_rule_test": [{"eval_time": "10m", "alertname": ALERT,
                                            "exp_alerts": exp}]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump(test, f, indent=1)
        path = f.name
    try:
        r = subprocess.run(["promtool", "test", "rules", path], capture_output=True, text=True)
    except FileNotFoundError:
        print("check_rules: promtool missing: apt-get install prometheus (or make setup)")
        return 1
    finally:
        os.unlink(path)
    if r.returncode != 0:
        print("promtool test rules: FAILED\n%s%s" % (r.stdout, r.stderr))
        return 1
    print("promtool test rules: ok (%d series, %d alert%s)" % (len(series), len(exp),
                                                              "" if len(exp) == 1 else "s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
