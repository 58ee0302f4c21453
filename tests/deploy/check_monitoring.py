#!/usr/bin/env python3
"""Checks deploy/prometheus and deploy/grafana against a real scrape.

    check_monitoring.py --source DIR --scrape FILE

FILE is /metrics of a running ringbind (check_monitoring.sh takes it).
- promtool check rules and promtool test rules on the alert rules (the
  test file has series that fire and series that do not);
- every query of the Grafana dashboard (panel targets, and the metric of
  each label_values() variable) is parsed by promtool (as a recording
  rule, Grafana's $variables replaced by values of their kind);
- every metric name in those queries and in the alert rules is one the
  daemon exported in FILE (a sample, or a family its # TYPE line
  declares, with a histogram's _bucket, _sum and _count).
A self-check first: a query naming a metric the daemon does not export
must be caught, so the name check can fail.
Exit 0 pass, 1 fail, 77 when promtool or PyYAML is missing.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml not installed")
    sys.exit(77)

FAILS = []


QUIET = []


def fail(msg):
    FAILS.append(msg)
    if not QUIET:
        print("FAIL: " + msg)


def ok(msg):
    print("ok: " + msg)


KEYWORDS = {"and", "or", "unless", "bool", "by", "without", "on", "ignoring", "group_left",
            "group_right", "offset", "inf", "nan", "Inf", "NaN", "atan2"}


def metric_names(expr):
    """The metric names a PromQL expression selects."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = re.sub(r"'(?:[^'\\]|\\.)*'", "''", s)
    s = re.sub(r"`[^`]*`", "``", s)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    s = re.sub(r"\boffset\s+-?\w+", " ", s)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", s):
        if m.start() > 0 and s[m.start() - 1] in "0123456789.":
            continue  # 1e3, 0.5
        if s[m.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        if m.group() in KEYWORDS:
            continue
        names.add(m.group())
    return names


def exported(scrape_path):
    names = set()
    for line in open(scrape_path):
        if line.startswith("# TYPE "):
            f = line.split()
            names.add(f[2])
            if len(f) > 3 and f[3] in ("histogram", "summary"):
                names.update(f[2] + s for s in ("_bucket", "_sum", "_count"))
        elif line.strip() and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, 1)[0])
    return names


GRAFANA_VARS = [(r"\$__rate_interval|\$__interval|\$__range", "5m"),
                (r"\$\{?__range_s\}?", "300"), (r"\$\{?[A-Za-z_]\w*(:\w+)?\}?", ".*")]


def grafana_to_promql(q):
    for pat, rep in GRAFANA_VARS:
        q = re.sub(pat, rep, q)
    return q


def dashboard_queries(dash):
    out = []

    def walk(panels, path):
        for p in panels or []:
            for t in p.get("targets") or []:
                if t.get("expr"):
                    out.append(("panel %r %s" % (p.get("title"), t.get("refId")), t["expr"]))
            walk(p.get("panels"), path)

    walk(dash.get("panels"), "")
    for v in (dash.get("templating") or {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if v.get("type") == "query" and isinstance(q, str):
            m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", q)
            if not m:
                fail("variable %s: %r is not label_values(QUERY, LABEL)" % (v.get("name"), q))
                continue
            out.append(("variable %s" % v.get("name"), m.group(1)))
    return out


def promtool_parses(queries, tmp):
    """promtool check rules on recording rules, one per query."""
    rules = {"groups": [{"name": "q", "rules": [
        {"record": "q%d" % i, "expr": grafana_to_promql(q)} for i, (_, q) in enumerate(queries)]}]}
    path = os.path.join(tmp, "queries.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(rules, f)
    r = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def check_names(where, expr, known):
    names = metric_names(grafana_to_promql(expr))
    if not names:
        fail("%s: names no metric: %s" % (where, expr))
    bad = sorted(n for n in names if n not in known)
    if bad:
        fail("%s: names metrics the daemon does not export: %s" % (where, ", ".join(bad)))
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--scrape", required=True)
    a = ap.parse_args()
    if not shutil.which("promtool"):
        print("SKIP: promtool not found (prometheus package)")
        return 77
    known = exported(a.scrape)
    if "ringbind_registration_info" not in known or len(known) < 10:
        fail("the scrape has too few metrics (%d) or no inventory" % len(known))
    tmp = tempfile.mkdtemp()
    # Self-check: the name check catches a metric that is not exported,
    # and promtool rejects a query that does not parse.
    n0 = len(FAILS)
    QUIET.append(1)
    check_names("self-check", 'sum(rate(ringbind_not_exported_total{x="y"}[5m]))', known)
    if len(FAILS) != n0 + 1:
        print("FAIL: the name check let an unexported metric through")
        return 1
    FAILS.pop()
    QUIET.pop()
    if promtool_parses([("self-check", "sum(rate(ringbind_registrations[5m])")], tmp)[0]:
        print("FAIL: promtool accepted a query that does not parse")
        return 1
    ok("self-check: an unexported metric and a bad query are caught")

    pdir = os.path.join(a.source, "deploy/prometheus")
    rules = os.path.join(pdir, "ringbind-alerts.yaml")
    r = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
    if r.returncode:
        fail("promtool check rules %s: %s" % (rules, r.stdout + r.stderr))
    r = subprocess.run(["promtool", "test", "rules", "ringbind-alerts.test.yaml"], cwd=pdir,
                       capture_output=True, text=True)
    if r.returncode:
        fail("promtool test rules: %s" % (r.stdout + r.stderr))
    else:
        ok("promtool test rules: every alert fires, or stays quiet, as the test expects")
    for g in yaml.safe_load(open(rules))["groups"]:
        for rule in g["rules"]:
            check_names("alert %s" % rule.get("alert") or rule.get("record"), rule["expr"], known)

    dpath = os.path.join(a.source, "deploy/grafana/ringbind-dashboard.json")
    try:
        dash = json.load(open(dpath))
    except ValueError as e:
        fail("%s: not JSON: %s" % (dpath, e))
        dash = {}
    queries = dashboard_queries(dash)
    if len(queries) < 10:
        fail("%s: only %d queries found" % (dpath, len(queries)))
    parsed, msg = promtool_parses(queries, tmp)
    if not parsed:
        fail("the dashboard's queries do not all parse: %s" % msg)
    used = set()
    for where, q in queries:
        used |= check_names(where, q, known)
    shutil.rmtree(tmp)
    if FAILS:
        print("monitoring: %d failure(s)" % len(FAILS))
        return 1
    ok("dashboard: %d queries parse and name only exported metrics (%s)"
       % (len(queries), ", ".join(sorted(used))))
    print("monitoring: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
