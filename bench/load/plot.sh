#!/bin/bash
# Draws ringbind-load --json results with gnuplot (Debian: gnuplot-nox):
#
#   plot.sh [--out PREFIX] [--format svg|png] [--title TEXT] [--merge]
#           RESULT.json[=LABEL]...
#
# Writes two plots:
#   PREFIX-throughput.FORMAT  ramp results: replies/s against the rate
#                             asked, step by step (the capacity is where a
#                             curve leaves the diagonal); other results:
#                             replies/s over time, one point per --interval
#   PREFIX-latency.FORMAT     the latency percentile spectrum (p50 to
#                             p99.99, log scales) from each result's
#                             histogram (of a ramp: all its steps)
# One curve per result (LABEL, or the file name without .json). --merge adds
# all histograms into one first (the buckets are fixed, so they add up:
# runs of several clients or hosts become one spectrum). PREFIX defaults to
# "ringbind-load", FORMAT to svg.
set -euo pipefail

out=ringbind-load fmt=svg title="" merge=0
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--format) fmt=$2; shift 2 ;;
	--title) title=$2; shift 2 ;;
	--merge) merge=1; shift ;;
	-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "plot.sh: unknown option $1" >&2; exit 2 ;;
	*) args+=("$1"); shift ;;
	esac
done
[ ${#args[@]} -gt 0 ] || { echo "plot.sh: give one or more RESULT.json" >&2; exit 2; }
case $fmt in
svg) term="svg size 720,440 dynamic font 'sans,11'" ;;
png) term="pngcairo size 720,440 font 'sans,10'" ;;
*) echo "plot.sh: --format svg or png" >&2; exit 2 ;;
esac
command -v gnuplot >/dev/null || { echo "plot.sh: needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The data files and the plot commands, from the JSON (python3: json only).
python3 - "$work" "$merge" "${args[@]}" <<'EOF'
import json, os, sys

work, merge, specs = sys.argv[1], sys.argv[2] == "1", sys.argv[3:]
SUB = 32

def mid(idx):
    if idx < 2 * SUB:
        return idx + 0.5
    shift = idx // SUB - 1
    lo = (SUB + idx % SUB) << shift
    return lo + (1 << shift) / 2

runs = []
for spec in specs:
    path, _, label = spec.partition("=")
    d = json.load(open(path))
    if d.get("format") != "ringbind-load/1":
        sys.exit("plot.sh: %s is not a ringbind-load/1 result" % path)
    runs.append((label or os.path.basename(path).rsplit(".json", 1)[0], d))

def spectrum(buckets):
    """(percentile, latency us) points from a histogram's buckets."""
    n = sum(b[3] for b in buckets)
    pts, seen = [], 0
    for idx, _lo, _hi, cnt in sorted(buckets):
        seen += cnt
        p = seen / n
        if p >= 0.5:
            pts.append((min(p, 0.99999), mid(idx) / 1000.0))
        if p >= 0.99999:
            break
    return pts

thr, lat = [], []
for i, (label, d) in enumerate(runs):
    steps = d["steps"]
    if steps:
        f = os.path.join(work, "thr%d.dat" % i)
        with open(f, "w") as o:
            for s in steps:
                x = s["asked_per_s"] if d["ramp"] else s["t_s"]
                o.write("%g %g\n" % (x, s["replies_per_s"]))
        thr.append((f, label, bool(d["ramp"])))
if merge:
    acc = {}
    for _label, d in runs:
        for idx, lo, hi, cnt in d["histograms"]["lookups"]["buckets"]:
            acc[idx] = [idx, lo, hi, acc.get(idx, [0, 0, 0, 0])[3] + cnt]
    groups = [("merged (%d results)" % len(runs), list(acc.values()))]
else:
    groups = [(label, d["histograms"]["lookups"]["buckets"]) for label, d in runs]
for i, (label, buckets) in enumerate(groups):
    if not buckets:
        continue
    f = os.path.join(work, "lat%d.dat" % i)
    with open(f, "w") as o:
        for p, us in spectrum(buckets):
            o.write("%.6f %g\n" % (1.0 / (1.0 - p), us))
    lat.append((f, label))

def q(s):
    return "'" + s.replace("'", "") + "'"

with open(os.path.join(work, "thr.plt"), "w") as o:
    if not thr:
        o.write("# no steps\n")
    else:
        ramp = any(r for _f, _l, r in thr)
        o.write("set xlabel %s\n" % q("calls/s asked (ramp step)" if ramp else "seconds"))
        o.write("set ylabel 'replies/s'\nset key left top\nset grid\nset format y '%.0s%c'\nset format x '%.0s%c'\n")
        plots = ["%s using 1:2 with linespoints title %s" % (q(f), q(l)) for f, l, _r in thr]
        if ramp:
            # log-log: servers a hundred times apart share the plot
            o.write("set logscale xy\n")
            plots.append("x with lines dashtype 2 lc rgb 'gray' title 'replies = asked'")
        o.write("plot " + ", ".join(plots) + "\n")
with open(os.path.join(work, "lat.plt"), "w") as o:
    o.write("set logscale x\nset logscale y\nset grid\nset key left top\n")
    o.write("set xtics ('p50' 2, 'p90' 10, 'p99' 100, 'p99.9' 1000, 'p99.99' 10000)\n")
    o.write("set xrange [2:100000]\nset xlabel 'percentile'\nset ylabel 'latency (us)'\n")
    o.write("plot " + ", ".join("%s using 1:2 with steps title %s" % (q(f), q(l)) for f, l in lat) + "\n")
EOF

render() { # PLT OUTNAME TITLE
	{
		echo "set terminal $term"
		echo "set output '$out-$2.$fmt'"
		if [ -n "$title" ]; then echo "set title '${title//\'/} - $3'"; else echo "set title '$3'"; fi
		cat "$work/$1.plt"
	} | gnuplot
	echo "plot.sh: wrote $out-$2.$fmt"
}
if grep -q '^plot' "$work/thr.plt"; then
	render thr throughput "throughput"
fi
render lat latency "latency percentiles"
