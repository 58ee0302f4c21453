#!/usr/bin/env python3
"""Checks ringbind-load --json results: each against the schema in the
repository (bench/load/result.schema.json, JSON Schema 2020-12, validated
with python3-jsonschema), then what a schema cannot say:

  - every histogram's bucket counts add up to its count, and its bounds
    are the fixed log-linear ones for its index (so results merge);
  - the lookup and SET/UNSET histograms together hold every reply
    (totals.replies);
  - a ramp's capacity is the replies/s of the step it names, and that step
    held.

    check_result.py [--schema FILE] RESULT.json...

Exit 0 when all are valid, 1 (with the reasons) otherwise, 77 when the
jsonschema module is missing.
"""

import argparse
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)

SUB = 32


def bounds(idx):
    """[lo, hi) in ns of bucket idx (bench/load/stats.c)."""
    if idx < 2 * SUB:
        return idx, idx + 1
    shift = idx // SUB - 1
    lo = (SUB + idx % SUB) << shift
    return lo, lo + (1 << shift)


def semantic(doc):
    errs = []
    h = doc["histograms"]
    total = 0
    for name in ("lookups", "mutations"):
        n = 0
        last = -1
        for idx, lo, hi, cnt in h[name]["buckets"]:
            if (lo, hi) != bounds(idx):
                errs.append("%s bucket %d: bounds [%d, %d), want %s" % (name, idx, lo, hi, bounds(idx)))
            if idx <= last:
                errs.append("%s buckets out of order at %d" % (name, idx))
            last = idx
            n += cnt
        if n != h[name]["count"]:
            errs.append("%s: buckets add up to %d, count says %d" % (name, n, h[name]["count"]))
        total += n
    if total != doc["totals"]["replies"]:
        errs.append("histograms hold %d replies, totals.replies is %d" % (total, doc["totals"]["replies"]))
    ramp = doc["ramp"]
    if ramp and ramp["capacity_step"]:
        st = doc["steps"][ramp["capacity_step"] - 1]
        if not st.get("held"):
            errs.append("ramp capacity names step %d, which did not hold" % ramp["capacity_step"])
        if abs(st["replies_per_s"] - ramp["capacity_per_s"]) > 0.01 * max(1.0, ramp["capacity_per_s"]):
            errs.append("ramp capacity %.1f is not step %d's %.1f replies/s"
                        % (ramp["capacity_per_s"], ramp["capacity_step"], st["replies_per_s"]))
    return errs


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--schema", default=os.path.join(here, "result.schema.json"))
    ap.add_argument("results", nargs="+")
    a = ap.parse_args()
    schema = json.load(open(a.schema))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in a.results:
        try:
            doc = json.load(open(path))
        except (OSError, ValueError) as e:
            print("%s: not JSON: %s" % (path, e))
            bad += 1
            continue
        errs = ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message)
                for e in v.iter_errors(doc)]
        if not errs:
            errs = semantic(doc)
        for e in errs[:10]:
            print("%s: INVALID: %s" % (path, e))
        if errs:
            bad += 1
        else:
            print("%s: valid (%d replies, histograms add up)" % (path, doc["totals"]["replies"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
