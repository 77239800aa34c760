#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Strict checker of kvm-s2stat --prometheus output against the Prometheus text exposition
format 0.0.4, plus kvm-s2stat's own rules (docs/prometheus.md): gauges only, HELP and TYPE
once per metric before its samples, samples of a metric contiguous, no repeated series,
label names and escapes valid, required labels present.  Then `promtool check metrics` when
promtool is installed (Debian package prometheus); says SKIP when it is not.
usage: check_prom.py < metrics
"""
import math
import re
import shutil
import subprocess
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
REQUIRED = {
    "kvm_s2stat_vm_pages": {"vm", "pid", "class", "attr"},
    "kvm_s2stat_vm_exact": {"vm", "pid"},
    "kvm_s2stat_vm_failed_maps": {"vm", "pid", "attr"},
    "kvm_s2stat_vm_drops": {"vm", "pid"},
    "kvm_s2stat_vm_info": {"vm", "pid", "comm"},
    "kvm_s2stat_device_pages": {"vm", "pid", "bdf", "bar", "driver", "class", "attr"},
    "kvm_s2stat_info": {"cli_version", "module_version", "kernel"},
}


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
    help_, type_, done, series = {}, {}, set(), set()
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
                if len(parts) != 4 or parts[3] != "gauge":
                    raise Bad("line %d: TYPE of %s is not gauge" % (lineno, name))
            elif len(parts) != 4 or not parts[3].strip():
                raise Bad("line %d: empty HELP for %s" % (lineno, name))
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
        nsamples += 1
    for name in type_:
        if name not in help_:
            raise Bad("TYPE without HELP for %s" % name)
    return nsamples, len(type_)


def main():
    text = sys.stdin.read()
    try:
        n, m = check(text)
    except Bad as e:
        print("check_prom: %s" % e)
        return 1
    print("check_prom: ok: %d samples of %d metrics" % (n, m))
    promtool = shutil.which("promtool")
    if not promtool:
        print("promtool: SKIP (not installed; Debian package prometheus)")
        return 0
    r = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                       capture_output=True)
    if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
        print("promtool check metrics: FAILED (rc %d)\n%s%s" % (r.returncode, r.stdout, r.stderr))
        return 1
    print("promtool check metrics: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
