#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Strict checker of kvm-s2stat --prometheus output against the Prometheus text exposition
format 0.0.4, plus kvm-s2stat's own rules (docs/prometheus.md): HELP and TYPE once per metric
before its samples, a HELP of its own for every metric, counters typed counter and named
*_total (and only they), samples of a metric contiguous, no repeated series, label names,
escapes and UTF-8 valid, required labels present, every per-VM series labelled vm, pid,
domain and uuid.  Then `promtool check metrics` (Debian package prometheus), which must be
installed: `make check` installs it.
usage: check_prom.py < metrics
"""
import math
import re
import shutil
import subprocess
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
VM = {"vm", "pid", "domain", "uuid"}
REQUIRED = {
    "kvm_s2stat_vm_mapped_bytes": VM | {"class", "attr"},
    "kvm_s2stat_vm_exact": VM,
    "kvm_s2stat_vm_failed_maps_total": VM | {"attr"},
    "kvm_s2stat_vm_drops_total": VM,
    "kvm_s2stat_vm_resyncs_total": VM,
    "kvm_s2stat_vm_info": VM | {"comm", "vmm", "found"},
    "kvm_s2stat_device_mapped_bytes": VM | {"bdf", "bar", "driver", "class", "attr"},
    "kvm_s2stat_info": {"cli_version", "module_version", "kernel", "kvm_mode", "fwb"},
    "kvm_s2stat_vm_effective_info": VM | {"result", "kernel_half", "user_half"},
    "kvm_s2stat_guest_mapped_bytes": VM | {"half", "bdf", "bar", "class", "s1", "stage2", "s2",
                                           "effective"},
}
# Every metric and its type (docs/prometheus.md): a new metric must be declared here, and no
# gauge may stand in for a counter.
COUNTERS = {"kvm_s2stat_module_%s_total" % k for k in (
    "vms_seen", "vms_gone", "probe_map", "probe_map_device", "probe_map_failed", "probe_unmap",
    "probe_perm", "probe_destroy", "probe_missed", "drops", "resyncs")} | {
    "kvm_s2stat_vm_failed_maps_total", "kvm_s2stat_vm_drops_total", "kvm_s2stat_vm_resyncs_total"}
GAUGES = {"kvm_s2stat_module_%s" % k for k in (
    "vms", "ranges", "ranges_max", "live_objects", "held_bytes", "pci_bars", "vfio_bars",
    "walk_max_lock_hold_seconds")} | {
    "kvm_s2stat_info", "kvm_s2stat_page_size_bytes", "kvm_s2stat_vms", "kvm_s2stat_vm_info",
    "kvm_s2stat_vm_mapped_bytes", "kvm_s2stat_vm_exact", "kvm_s2stat_device_mapped_bytes",
    "kvm_s2stat_vm_effective_info", "kvm_s2stat_guest_mapped_bytes"}
UUID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$")


class Bad(Exception):
    pass


def parse_labels(s, i, lineno):
    """Parse {a="b",...} starting at s[i] == '{'; returns (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s[i] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise Bad("line %d: bad label name at column %d" % (lineno, i + 1))
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise Bad("line %d: expected =\" after label %s" % (lineno, name))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise Bad("line %d: unterminated label value" % lineno)
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise Bad("line %d: bad escape \\%s in label %s" % (lineno, nxt, name))
                val.append({"n": "\n"}.get(nxt, nxt))
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise Bad("line %d: raw newline in label value" % lineno)
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise Bad("line %d: label %s repeated" % (lineno, name))
        labels[name] = "".join(val)
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            raise Bad("line %d: expected , or } after label %s" % (lineno, name))


def check(text):
    if not text.endswith("\n"):
        raise Bad("output does not end with a newline")
    help_, type_, done, series, helps = {}, {}, set(), set(), {}
    current = None
    nsamples = 0
    for lineno, line in enumerate(text[:-1].split("\n"), 1):
        if line == "":
            raise Bad("line %d: empty line" % lineno)
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[1] not in ("HELP", "TYPE"):
                raise Bad("line %d: comment that is not HELP or TYPE" % lineno)
            name = parts[2]
            if not NAME.fullmatch(name):
                raise Bad("line %d: bad metric name %s" % (lineno, name))
            table = help_ if parts[1] == "HELP" else type_
            if name in table:
                raise Bad("line %d: second %s for %s" % (lineno, parts[1], name))
            if name in done or (current and current != name and name in series):
                raise Bad("line %d: %s after samples of %s" % (lineno, parts[1], name))
            if parts[1] == "TYPE":
                if len(parts) != 4 or parts[3] not in ("gauge", "counter"):
                    raise Bad("line %d: TYPE of %s is not gauge or counter" % (lineno, name))
                if (parts[3] == "counter") != name.endswith("_total"):
                    raise Bad("line %d: %s typed %s: counters, and only they, end in _total"
                              % (lineno, name, parts[3]))
                want = "counter" if name in COUNTERS else "gauge" if name in GAUGES else None
                if parts[3] != want:
                    raise Bad("line %d: %s typed %s, documented as %s" % (lineno, name, parts[3],
                                                                           want or "nothing"))
                table[name] = parts[3]
            elif len(parts) != 4 or not parts[3].strip():
                raise Bad("line %d: empty HELP for %s" % (lineno, name))
            else:
                if parts[3] in helps:
                    raise Bad("line %d: %s has the HELP of %s" % (lineno, name, helps[parts[3]]))
                helps[parts[3]] = name
                table[name] = lineno
            continue
        m = NAME.match(line)
        if not m:
            raise Bad("line %d: bad sample line" % lineno)
        name = m.group(0)
        i = m.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, lineno)
        if line[i:i + 1] != " ":
            raise Bad("line %d: expected a space before the value" % lineno)
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2):
            raise Bad("line %d: trailing fields" % lineno)
        try:
            v = float(rest[0])
        except ValueError:
            raise Bad("line %d: value %r is not a number" % (lineno, rest[0]))
        if math.isnan(v) or v < 0:
            raise Bad("line %d: value %r for a gauge of counts" % (lineno, rest[0]))
        if name not in type_ or name not in help_:
            raise Bad("line %d: sample of %s without HELP and TYPE before it" % (lineno, name))
        if current != name:
            if name in done:
                raise Bad("line %d: samples of %s are not contiguous" % (lineno, name))
            if current:
                done.add(current)
            current = name
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            raise Bad("line %d: repeated series %s%s" % (lineno, name, labels))
        series.add(key)
        missing = REQUIRED.get(name, set()) - set(labels)
        if missing:
            raise Bad("line %d: %s lacks labels %s" % (lineno, name, sorted(missing)))
        if "uuid" in labels and not UUID.match(labels["uuid"]):
            raise Bad("line %d: uuid %r is not canonical" % (lineno, labels["uuid"]))
        if name.startswith("kvm_s2stat_vm_") and not VM <= set(labels):
            raise Bad("line %d: per-VM %s lacks labels %s" % (lineno, name,
                                                                 sorted(VM - set(labels))))
        nsamples += 1
    for name in type_:
        if name not in help_:
            raise Bad("TYPE without HELP for %s" % name)
    return nsamples, len(type_)


def main():
    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print("check_prom: output is not UTF-8: %s" % e)
        return 1
    try:
        n, m = check(text)
    except Bad as e:
        print("check_prom: %s" % e)
        return 1
    print("check_prom: ok: %d samples of %d metrics" % (n, m))
    promtool = shutil.which("promtool")
    if not promtool:
        print("check_prom: promtool missing: apt-get install prometheus (or make setup)")
        return 1
    r = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                       capture_output=True)
    if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
        print("promtool check metrics: FAILED (rc %d)\n%s%s" % (r.returncode, r.stdout, r.stderr))
        return 1
    print("promtool check metrics: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
