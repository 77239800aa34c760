#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Check kvm-s2stat --csv output with Python's csv module (RFC 4180).

usage: check_csv.py [--header H1,H2,...] [COL=VALUE;COL=VALUE ...]... < csv
Every record must have as many fields as the header (the first record); --header gives the
header it must be; each further argument is a row that must be there (all its COL=VALUE).
"""
import csv
import io
import sys


def main():
    args = sys.argv[1:]
    want_header = None
    if args[:1] == ["--header"]:
        want_header = args[1].split(",")
        args = args[2:]
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as e:
        print("check_csv: not UTF-8: %s" % e)
        return 1
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not rows:
        print("check_csv: no header")
        return 1
    header = rows[0]
    if want_header is not None and header != want_header:
        print("check_csv: header %s, want %s" % (header, want_header))
        return 1
    for i, r in enumerate(rows[1:], 2):
        if len(r) != len(header):
            print("check_csv: record %d has %d fields, the header %d" % (i, len(r), len(header)))
            return 1
    recs = [dict(zip(header, r)) for r in rows[1:]]
    for a in args:
        pairs = dict(p.split("=", 1) for p in a.split(";"))
        if not any(all(rec.get(k) == v for k, v in pairs.items()) for rec in recs):
            print("check_csv: no record with %s in\n%s" % (pairs, text))
            return 1
    print("check_csv: ok: %d records" % len(recs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
