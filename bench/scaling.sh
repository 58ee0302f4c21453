#!/bin/bash
# How ringbind scales with its workers, started directly and under socket
# activation (systemd-socket-activate, every address passed), on this
# machine.
#
#   bench/scaling.sh [--build DIR] [--workers "1 2 4 8"] [--rounds N]
#                    [--secs S] [--modes "udp storm"] [--out FILE]
#
#   --build DIR    build folder with ringbind and bench/ringbind-load
#                  (default: build)
#   --workers L    worker counts (default: 1 2 ... up to half the CPUs)
#   --rounds N     rounds, points interleaved; figures are medians (default 3)
#   --secs S       seconds measured per point (default 2, after 0.3 s warm-up)
#   --modes L      udp: GETPORT from 16 client sockets, 32 in flight each;
#                  storm: a new TCP connection per GETPORT (mount.nfs), 2
#                  threads x 16 sessions (default "udp storm")
#   --backend B    the daemon's --backend (default: its own choice)
#   --udp-threads N  client threads (one socket each) for udp (default 16)
#   --ref PATH     also measure the ringbind binary PATH under activation
#                  ("activated-ref", e.g. a build from before per-worker
#                  sockets), interleaved with the others
#   --out FILE     also write the table into FILE, between the lines
#                  "<!-- scaling.sh table -->" and "<!-- /scaling.sh table -->"
#                  (appended under "## Scaling" when they are missing)
#
# Per point: replies/s (validated: a run with a wrong answer is marked
# invalid), the daemon's CPU time per reply (utime + stime of all its
# threads, /proc/PID/stat), each worker's share of the replies (UDP) or of
# the accepted connections (storm) from ringbind_worker_*_total, and
# wake-ups per reply: the daemon's voluntary context switches over all its
# threads (/proc/PID/task/*/status) divided by the replies.
#
# CPUs: with at least 2 x W CPUs, the daemon gets the first W (taskset) and
# the load generator the others; with fewer, both share every CPU (the
# table says so). Everything runs in its own network and mount namespace
# with a tmpfs over /run; only processes this script started are
# signalled, by PID; every wait and run is bounded.
set -u

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build ROUNDS=3 SECS=2 WORKERS="" MODES="udp storm" OUT="" INNER=0 RESULTS="" BACKEND="" UTHREADS=16 REF=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--workers) WORKERS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--modes) MODES=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--backend) BACKEND=$2; shift 2 ;;
	--udp-threads) UTHREADS=$2; shift 2 ;;
	--ref) REF=$2; shift 2 ;;
	--inner) INNER=1; RESULTS=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "scaling.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RB=$BUILD/ringbind
LOAD=$BUILD/bench/ringbind-load
NCPU=$(nproc)
if [ -z "$WORKERS" ]; then
	w=1
	while [ $w -le $((NCPU / 2 > 1 ? NCPU / 2 : 2)) ]; do WORKERS="$WORKERS $w"; w=$((w * 2)); done
fi
M=127.0.0.1:9117

if [ $INNER -eq 1 ]; then
	TMP=$(dirname "$RESULTS")
	# shellcheck source=bench/inner_lib.sh
	. "$ROOT/bench/inner_lib.sh"
	metric() { curl -s --max-time 5 "http://$M/metrics" | awk -v k="$1{worker=\"$2\"}" '$1 == k { v = $2 } END { print v + 0 }'; }
	vcsw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }'; }
	kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

	# start START W: the daemon with W workers; sets SPID.
	start() {
		local how=$1 w=$2 err=$TMP/srv.err cpus="" rb=$RB
		[ "$how" = activated-ref ] && rb=$REF
		[ "$NCPU" -ge $((2 * w)) ] && cpus="taskset -c 0-$((w - 1))"
		rm -rf "$TMP/st" && mkdir -p "$TMP/st"
		# An activated daemon leaves the passed socket file to systemd:
		# gone with the activator, it would only mislead rpcinfo.
		rm -f /run/rpcbind.sock
		local args="-f -w --workers $w -h 127.0.0.1 --metrics $M --state-dir $TMP/st${BACKEND:+ --backend $BACKEND}"
		if [ "$how" = direct ]; then
			# shellcheck disable=SC2086
			$cpus "$rb" $args 2>"$err" &
			SPID=$!
		else
			# shellcheck disable=SC2086
			$cpus systemd-socket-activate -d -l 127.0.0.1:111 -l '[::1]:111' \
				systemd-socket-activate -l 127.0.0.1:111 -l '[::1]:111' -l /run/rpcbind.sock \
				"$rb" $args 2>"$err" &
			SPID=$!
			wait_until 3000 grep -q "Listening on \[::1\]:111" "$err"
			timeout 10 rpcinfo -T udp 127.0.0.1 100000 2 >/dev/null 2>&1 &
			local early=$!
			wait_until 5000 grep -q "Listening on /run/rpcbind.sock" "$err"
			timeout 10 rpcinfo -T tcp 127.0.0.1 100000 2 >/dev/null 2>&1
			wait "$early"
		fi
		PIDS="$PIDS $SPID"
		wait_until 10000 grep -q "ringbind: ready" "$err" || { echo "no start: $(cat "$err")" >&2; return 1; }
		wait_until 3000 curl -s --max-time 1 "http://$M/metrics"
	}
	stop() { kill -TERM "$SPID" 2>/dev/null; local i; for i in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done; kill -KILL "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }

	# point START MODE W ROUND: one measurement, one line in RESULTS.
	point() {
		local how=$1 mode=$2 w=$3 round=$4 lcpus="" r largs ctr v0 v1 i shares=""
		[ "$NCPU" -ge $((2 * w)) ] && lcpus="taskset -c $w-$((NCPU - 1))"
		start "$how" "$w" || { echo "$how $mode $w $round invalid" >>"$RESULTS"; return; }
		if [ "$mode" = udp ]; then largs="--mode udp --threads $UTHREADS --window 32"; ctr=ringbind_worker_udp_replies_total
		else largs="--mode storm --threads 2 --window 16"; ctr=ringbind_worker_tcp_accepted_total; fi
		# shellcheck disable=SC2086
		$lcpus "$LOAD" $largs --duration 0.3 >/dev/null 2>&1 # warm-up
		declare -a c0
		for i in $(seq 0 $((w - 1))); do c0[$i]=$(metric $ctr "$i"); done
		v0=$(vcsw "$SPID")
		# shellcheck disable=SC2086
		r=$(timeout $((SECS + 30)) $lcpus "$LOAD" $largs --duration "$SECS" --server-pid "$SPID" 2>&1 | grep '^RESULT')
		v1=$(vcsw "$SPID")
		local tot=0 d
		declare -a dd
		for i in $(seq 0 $((w - 1))); do d=$(($(metric $ctr "$i") - c0[i])); dd[$i]=$d; tot=$((tot + d)); done
		for i in $(seq 0 $((w - 1))); do shares="$shares$( [ -n "$shares" ] && echo /)$(awk -v a="${dd[$i]}" -v t=$tot 'BEGIN { printf "%d", t ? 100 * a / t + 0.5 : 0 }')"; done
		stop
		local ok=valid
		[ "$(kv "$r" wrong)" = 0 ] && [ "$(kv "$r" replies)" -gt 0 ] 2>/dev/null || ok=invalid
		echo "$how $mode $w $round $ok $(kv "$r" rps) $(kv "$r" server_cpu_us_per_reply) $(awk -v d=$((v1 - v0)) -v n="$(kv "$r" replies)" 'BEGIN { printf "%.3f", n ? d / n : 0 }') $shares" >>"$RESULTS"
	}
	for round in $(seq 1 "$ROUNDS"); do
		for w in $WORKERS; do
			for mode in $MODES; do
				for how in direct activated ${REF:+activated-ref}; do
					echo "[$(date +%T)] round $round: $how $mode --workers $w" >&2
					point "$how" "$mode" "$w" "$round"
				done
			done
		done
	done
	exit 0
fi

# ---------------------------------------------------------------- outer part
[ "$(id -u)" = 0 ] || { echo "scaling.sh: needs root (namespaces)" >&2; exit 77; }
for t in "$RB" "$LOAD"; do [ -x "$t" ] || { echo "scaling.sh: $t missing" >&2; exit 2; }; done
command -v systemd-socket-activate >/dev/null || { echo "scaling.sh: needs systemd-socket-activate" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: >"$TMP/results"
timeout 900 unshare -n -m "$SELF" --inner "$TMP/results" --build "$BUILD" --workers "$WORKERS" \
	--rounds "$ROUNDS" --secs "$SECS" --modes "$MODES" ${BACKEND:+--backend "$BACKEND"} \
	--udp-threads "$UTHREADS" ${REF:+--ref "$REF"} || echo "scaling.sh: inner part failed ($?)" >&2

# Medians per (start, mode, workers), and the table.
table=$(python3 - "$TMP/results" "$NCPU" "$WORKERS" "$UTHREADS" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ncpu = int(sys.argv[2]); ws = [int(w) for w in sys.argv[3].split()]; uthreads = sys.argv[4]
pts = {}
for r in rows:
    key = (r[0], r[1], int(r[2]))
    pts.setdefault(key, []).append(r)
def med(v): return statistics.median(v) if v else float('nan')
base = {}
out = ["| start | load | workers | CPUs (daemon / load) | replies/s | x 1 worker | CPU us/reply | activated vs direct CPU/reply | worker shares % | wake-ups/reply | runs |",
       "|---|---|---|---|---:|---:|---:|---:|---|---:|---|"]
for mode in ("udp", "storm"):
    for how in ("direct", "activated", "activated-ref"):
        for w in ws:
            rs = pts.get((how, mode, w), [])
            ok = [r for r in rs if r[4] == "valid" and len(r) > 7]
            if not rs:
                continue
            rps = med([float(r[5]) for r in ok]); cpu = med([float(r[6]) for r in ok if r[6] != "na"])
            wk = med([float(r[7]) for r in ok])
            shares = ok[len(ok) // 2][8] if ok and len(ok[len(ok) // 2]) > 8 else "-"
            if w == ws[0]: base[(how, mode)] = rps
            x = rps / base[(how, mode)] if base.get((how, mode)) else float('nan')
            vs = "-"
            if how.startswith("activated"):
                d = [r for r in pts.get(("direct", mode, w), []) if r[4] == "valid"]
                dc = med([float(r[6]) for r in d if r[6] != "na"])
                vs = "%+.1f%%" % (100 * (cpu - dc) / dc) if dc == dc and dc else "-"
            cpus = "%d / %d" % (w, ncpu - w) if ncpu >= 2 * w else "shared (%d)" % ncpu
            out.append("| %s | %s | %d | %s | %.0f | %.2f | %.2f | %s | %s | %.2f | %d valid of %d |" % (
                how, "UDP GETPORT, %s sockets" % uthreads if mode == "udp" else "TCP storm", w, cpus, rps, x, cpu, vs, shares, wk, len(ok), len(rs)))
print("\n".join(out))
PY
)
echo "$table"
if [ -n "$OUT" ]; then
	python3 - "$OUT" "$table" "$(nproc)" "$ROUNDS" "$SECS" "${BACKEND:-auto}" <<'PY'
import sys, datetime
path, table, ncpu, rounds, secs, be = sys.argv[1:7]
body = ("<!-- scaling.sh table -->\n`bench/scaling.sh --rounds %s --secs %s` (backend %s), %s CPUs, %s UTC:\n\n%s\n"
        "<!-- /scaling.sh table -->" % (rounds, secs, be, ncpu,
        datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), table))
try: s = open(path).read()
except FileNotFoundError: s = ""
a, b = s.find("<!-- scaling.sh table -->"), s.find("<!-- /scaling.sh table -->")
if a >= 0 and b > a:
    s = s[:a] + body + s[b + len("<!-- /scaling.sh table -->"):]
else:
    s = s.rstrip("\n") + "\n\n## Scaling\n\n" + body + "\n"
open(path, "w").write(s)
PY
	echo "table written into $OUT (## Scaling)"
fi
