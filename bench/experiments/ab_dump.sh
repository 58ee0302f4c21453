#!/usr/bin/env bash
# A/B of two ringbind builds answering RPCBIND v3 DUMP over TCP, for a
# registry of 1,000 and of 100,000 primed entries (the issue's "DUMP of
# 1,000 and 100,000 entries over TCP, bytes/s and CPU per entry, before and
# after"). Each round starts A, then B (ABAB...), each alone, --workers 1,
# in a network and mount namespace of its own (lo only; a tmpfs on /run, as
# the daemon makes /run/rpcbind.sock) with a fresh state directory;
# registers N programs (ringbind-load --mode prime, PMAP SET over UDP),
# waits for the server to go idle, runs WARMUP seconds of load unmeasured,
# waits (at most QUIET seconds) for both CPUs to be quiet, then one TCP
# connection with one DUMP outstanding for COUNT = ENTRIES / N DUMPs (at
# least 20), every reply checked to hold all N entries (--keys N).
# Recorded per run:
#   dumps/s          replies / seconds, from ringbind-load's RESULT line
#   reply bytes      the RPC reply (record marks left out) and its fragment
#                    count, from one DUMP read by a small Python client
#                    after the load (a streaming build's fragments show)
#   bytes/s          reply bytes x dumps/s (with one call outstanding this
#                    is the client and server together, not the server's
#                    ceiling)
#   CPU-ns/entry     the server's CPU time per DUMP over N: the process CPU
#                    clock (clock_getcpuclockid: every thread, in ns, not
#                    /proc/PID/stat's 10 ms ticks) read just before and
#                    after the counted run, which makes exactly COUNT calls
#   cpu0 other       the share of CPU 0 (the server's) busy with anything
#                    else during the run: other tenants of a shared machine
# Prints every run, per round the ratios B/A of CPU-ns/entry and of bytes/s,
# and at the end, per N, the median of each figure per build and the median
# and range of each ratio. Run from anywhere, as root:
#   bench/experiments/ab_dump.sh BASE/ringbind NEW/ringbind [ROUNDS]
# ROUNDS (default 8), ENTRIES (8000000 per counted run), WARMUP (0.5 s),
# QUIET (5 s), MAXOTHER (10: a run with CPU 0 busy with others more than
# this % of the time is run again, RETRIES (1) times at most, the calmest
# kept), SIZES ("1000 100000"), LOAD (default: ringbind-load beside
# BASE's ringbind, else build/bench/ringbind-load: one client for both)
# from the environment. About 3 minutes with the defaults on 2 CPUs.
# Server on CPU 0, the load on CPU 1, both at nice -10. Only the processes
# started here are signalled; every wait is bounded.
set -u
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: $0 BASE_RINGBIND NEW_RINGBIND [ROUNDS]" >&2; exit 2; }
A=$(readlink -f "$1") B=$(readlink -f "$2")
ROUNDS=${3:-${ROUNDS:-8}} ENTRIES=${ENTRIES:-8000000} WARMUP=${WARMUP:-0.5} QUIET=${QUIET:-5}
SIZES=${SIZES:-"1000 100000"} MAXOTHER=${MAXOTHER:-10} RETRIES=${RETRIES:-1}
PORT=50111
if [ -z "${LOAD:-}" ]; then
	LOAD=$(dirname "$A")/ringbind-load
	[ -x "$LOAD" ] || LOAD=$(pwd)/build/bench/ringbind-load
fi
for f in "$A" "$B" "$LOAD"; do [ -x "$f" ] || { echo "$0: no executable $f" >&2; exit 2; }; done
# The interpreter itself, not a shim (pyenv's costs 100 ms a start).
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PY" ] || { echo "$0: needs python3 (reply size probe, CPU clock)" >&2; exit 2; }

TMP=$(mktemp -d)
SRV=""
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One RPCBIND v3 DUMP over TCP: prints "BYTES FRAGMENTS ENTRIES" (BYTES: the
# RPC reply without record marks), or "0 0 0" on any failure. Loopback only.
cat >"$TMP/probe.py" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    call = struct.pack(">10I", 0x2b0d0001, 0, 2, 100000, 3, 4, 0, 0, 0, 0)
    s.sendall(struct.pack(">I", 0x80000000 | len(call)) + call)
    f = s.makefile("rb")
    def readn(n):
        b = f.read(n)
        if len(b) != n:
            raise EOFError
        return b
    msg, frags = bytearray(), 0
    while True:
        (m,) = struct.unpack(">I", readn(4))
        msg += readn(m & 0x7fffffff)
        frags += 1
        if m & 0x80000000:
            break
    # xid REPLY ACCEPTED verf(flavor, len=0) SUCCESS, then the rpcblist.
    xid, mt, rs, vf, vl, st = struct.unpack_from(">6I", msg, 0)
    if xid != 0x2b0d0001 or mt != 1 or rs != 0 or vl != 0 or st != 0:
        raise ValueError("bad reply header")
    pos, n = 24, 0
    def string(p):
        (l,) = struct.unpack_from(">I", msg, p)
        return p + 4 + (l + 3) // 4 * 4
    while struct.unpack_from(">I", msg, pos)[0]:
        pos = string(string(string(pos + 12)))
        n += 1
    if pos + 4 != len(msg):
        raise ValueError("trailing bytes")
    print(len(msg), frags, n)
except Exception as e:
    print("probe:", e, file=sys.stderr)
    print(0, 0, 0)
EOF

# The CPU time (ns) of process PID, all its threads, live and exited.
cat >"$TMP/cpuclk.py" <<'EOF'
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
cid = ctypes.c_int()
if libc.clock_getcpuclockid(int(sys.argv[1]), ctypes.byref(cid)) != 0:
    sys.exit("clock_getcpuclockid failed")
print(time.clock_gettime_ns(cid.value))
EOF

start() { # BIN: a ringbind in new namespaces, its pid in SRV
	local st
	st=$(mktemp -d "$TMP/state.XXXX")
	unshare -n -m bash -c "mount -t tmpfs tmpfs /run && ip link set lo up && exec nice -n -10 taskset -c 0 $1 -f --workers 1 --port $PORT --state-dir $st --metrics off --log-level warning" >"$TMP/daemon.log" 2>&1 &
	SRV=$!
	# Ready when the probe gets an answer (at most 5 s).
	local t
	for t in $(seq 50); do
		sleep 0.1
		kill -0 "$SRV" 2>/dev/null || break
		[ "$(nsenter -t "$SRV" -n "$PY" "$TMP/probe.py" $PORT 2>/dev/null | cut -d' ' -f1)" != 0 ] && return 0
	done
	echo "$0: $1 did not start:" >&2
	cat "$TMP/daemon.log" >&2
	return 1
}
stop() {
	kill "$SRV" 2>/dev/null
	local t
	for t in $(seq 50); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$SRV" 2>/dev/null
	wait "$SRV" 2>/dev/null
	SRV=""
}
ticks() { awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
settle() { # wait (at most 10 s) until the server uses < 2 ticks in 0.3 s
	local t a b
	for t in $(seq 33); do
		a=$(ticks "$SRV"); sleep 0.3; b=$(ticks "$SRV")
		[ $((b - a)) -lt 2 ] && return 0
	done
	echo "$0: server never went idle after priming" >&2
}
quiet() { # wait (at most QUIET s) until both CPUs are < 10% busy over 0.3 s
	local t a b
	for t in $(seq "$(awk -v q="$QUIET" 'BEGIN { print int(q / 0.3) + 1 }')"); do
		a=$(cpus); sleep 0.3; b=$(cpus)
		echo "$a $b" | awk '{ split($1, x, ":"); split($2, y, ":")
			exit !((y[1] - x[1]) < 0.1 * (y[2] - x[2])) }' && return 0
	done
	return 0
}
load() { # N ARGS...: ringbind-load against SRV, its RESULT line
	local n=$1
	shift
	taskset -c 1 nsenter -t "$SRV" -n nice -n -10 "$LOAD" --mode tcp --call dump3 --conns 1 \
		--window 1 --threads 1 --keys "$n" --port $PORT --timeout-ms 10000 "$@" 2>&1 | grep '^RESULT'
}
run() { # BIN N: prints "dumps/s bytes frags entries bytes/s cpu_us/dump cpu_ns/entry cpu0_other%"
	local out rps sz n=$2 cnt
	cnt=$(( ENTRIES / n )); [ "$cnt" -ge 20 ] || cnt=20
	start "$1" || return 1
	out=$(taskset -c 1 nsenter -t "$SRV" -n nice -n -10 "$LOAD" --mode prime --prime "$n" --port $PORT \
		--prime-timeout 60 2>&1)
	if ! echo "$out" | grep -q '^RESULT.* complete=1'; then
		echo "$0: priming failed: $out" >&2; stop; return 1
	fi
	settle
	load "$n" --duration "$WARMUP" >/dev/null
	quiet
	local c0 k0 c1 k1
	# The server is idle but for the load: the clock reads stay out of the
	# CPU 0 window.
	c0=$("$PY" "$TMP/cpuclk.py" "$SRV") k0=$(cpu0)
	out=$(load "$n" --count "$cnt" --duration 120)
	k1=$(cpu0) c1=$("$PY" "$TMP/cpuclk.py" "$SRV")
	sz=$(nsenter -t "$SRV" -n "$PY" "$TMP/probe.py" $PORT)
	stop
	# replies / seconds: the tool's rps is rounded to 1/s, 4% at 25/s.
	rps=$(echo "$out" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END { if (v["duration_s"] > 0) printf "%.3f %d", v["replies"] / v["duration_s"], v["replies"] }')
	local bad
	bad=$(echo "$out" | grep -o 'wrong=[0-9]*\|errors=[0-9]*\|timeouts=[0-9]*' | grep -v '=0$')
	if [ -z "$rps" ] || [ "${rps#* }" = 0 ] || [ -z "$c0" ] || [ -z "$c1" ] || [ -n "$bad" ] ||
		[ "${sz%% *}" = 0 ]; then
		echo "$0: bad run of $1 N=$n: $out / probe $sz" >&2; return 1
	fi
	[ "${rps#* }" = "$cnt" ] || echo "$0: $1 N=$n: ${rps#* } of $cnt DUMPs answered" >&2
	set -- $sz
	echo "$rps $c0 $c1 $k0 $k1" | awk -v b="$1" -v fr="$2" -v e="$3" -v n="$n" '{
		r = $1; cpu = ($4 - $3) / 1000 / $2
		split($5, x, ":"); split($6, y, ":"); tot = y[2] - x[2]
		o = (y[1] - x[1]) - ($4 - $3) / 1e7; if (o < 0) o = 0
		printf "%.2f %d %d %d %.0f %.3f %.3f %.1f\n", r, b, fr, e, r * b, cpu, cpu * 1000 / n,
			(tot > 0 ? 100 * o / tot : 0) }'
}
calm() { # BIN N: run, again (RETRIES times at most) while CPU 0 was busy
	# with others more than MAXOTHER % of the run; the calmest run is kept
	local best="" x t
	for t in $(seq 0 "$RETRIES"); do
		x=$(run "$1" "$2") || return 1
		if [ -z "$best" ] || [ "$(echo "$x $best" | awk '{ print ($8 < $16) }')" = 1 ]; then best=$x; fi
		[ "$(echo "$best" | awk -v m="$MAXOTHER" '{ print ($8 <= m) }')" = 1 ] && break
		echo "$0: $1 N=$2: CPU 0 busy with others $(echo "$x" | cut -d' ' -f8)% of the run" >&2
	done
	echo "$best"
}
cpus() { # both CPUs' busy:total ticks
	awk '$1 == "cpu" { b = $2 + $3 + $4 + $7 + $8 + $9; print b ":" b + $5 + $6; exit }' /proc/stat
}
cpu0() { # CPU 0's busy:total ticks (/proc/stat, USER_HZ)
	awk '$1 == "cpu0" { b = $2 + $3 + $4 + $7 + $8 + $9; print b ":" b + $5 + $6; exit }' /proc/stat
}
med() { sort -g | awk '{ x[NR] = $1 } END { if (NR) printf "%.10g", NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2; else printf "nan" }'; }
rng() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f to %.3f", lo, hi }'; }

echo "A (base) $A"
echo "B (new)  $B"
echo "load     $LOAD; $ROUNDS rounds, $ENTRIES entries per counted run after ${WARMUP}s warm-up, sizes $SIZES"
T0=$(date +%s)
for N in $SIZES; do
	echo "== N=$N: [build] dumps/s, reply bytes (fragments, entries), MB/s, server CPU-us/DUMP, CPU-ns/entry (CPU 0 busy with others)"
	: >"$TMP/A.$N"; : >"$TMP/B.$N"; : >"$TMP/R.$N"
	for r in $(seq "$ROUNDS"); do
		a=$(calm "$A" "$N") || exit 1
		b=$(calm "$B" "$N") || exit 1
		echo "$a" >>"$TMP/A.$N"; echo "$b" >>"$TMP/B.$N"
		for x in "A $a" "B $b"; do
			set -- $x
			printf "round %d %s: %8.1f/s %9d B (%d fr, %d ent) %8.1f MB/s %10.1f us %7.2f ns/entry  (cpu0 other %s%%)\n" \
				"$r" "$1" "$2" "$3" "$4" "$5" "$(echo "$6" | awk '{ print $1 / 1e6 }')" "$7" "$8" "$9"
		done
		set -- $a; ac=$7 ab=$5; set -- $b
		rc=$(awk -v x="$7" -v y="$ac" 'BEGIN { printf "%.4f", x / y }')
		rb=$(awk -v x="$5" -v y="$ab" 'BEGIN { printf "%.4f", x / y }')
		echo "round $r B/A: CPU-ns/entry $rc, bytes/s $rb"
		echo "$rc $rb" >>"$TMP/R.$N"
	done
done
echo "== medians over $ROUNDS rounds ($(( $(date +%s) - T0 )) s)"
for N in $SIZES; do
	for s in A B; do
		f=$TMP/$s.$N
		printf "N=%-6s %s: %s DUMPs/s, %s reply bytes, %s MB/s, %s CPU-us/DUMP, %s CPU-ns/entry\n" "$N" "$s" \
			"$(cut -d' ' -f1 "$f" | med)" "$(cut -d' ' -f2 "$f" | med)" \
			"$(cut -d' ' -f5 "$f" | awk '{ print $1 / 1e6 }' | med)" \
			"$(cut -d' ' -f6 "$f" | med)" "$(cut -d' ' -f7 "$f" | med)"
	done
	printf "N=%-6s B/A: CPU-ns/entry median %s (range %s), bytes/s median %s (range %s)\n" "$N" \
		"$(cut -d' ' -f1 "$TMP/R.$N" | med)" "$(cut -d' ' -f1 "$TMP/R.$N" | rng)" \
		"$(cut -d' ' -f2 "$TMP/R.$N" | med)" "$(cut -d' ' -f2 "$TMP/R.$N" | rng)"
done
