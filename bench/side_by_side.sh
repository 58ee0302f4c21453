#!/bin/bash
# ringbind versus Debian's rpcbind versus the floor server (the cheapest
# valid responder), side by side, on this machine.
#
#   bench/side_by_side.sh [--build DIR] [--rounds N] [--secs S] [--out FILE]
#                         [--no-write] [--no-large] [--rpcbind "CMD ARGS"]
#
#   --build DIR   build folder holding ringbind, bench/ringbind-load and
#                 bench/ringbind-floor (default: build)
#   --rounds N    rounds; each figure is the median over them (default 3)
#   --secs S      seconds measured per point (default 3, after 0.5 s warm-up)
#   --out FILE    the markdown file whose "## Daemon versus rpcbind" section
#                 gets the tables (default BENCHMARKS.md)
#   --no-write    print the tables only
#   --no-large    leave out the 100,000 and 1,000,000 registrations points
#   --rpcbind CMD the reference (default "/usr/sbin/rpcbind -f -w")
#
# Everything runs in its own network namespace and mount namespace, with a
# tmpfs over /run; each server gets its own mount namespace again (its own
# /run/rpcbind.sock) and CPU 0 (taskset -c 0); the load generator runs on
# CPU 1, both at nice -10 (the machine is shared: other work at nice 0 or
# above then disturbs less). ringbind runs with --workers 1. The servers stay up for the whole
# run and the points are interleaved: round after round, each point against
# each server in turn (the order rotates every round).
#
# Server cost is CPU time (utime + stime of all its threads, /proc/PID/stat)
# per validated reply; a run with any wrong answer is marked invalid.
# Bounded: every wait polls with a deadline, every run has a duration and a
# timeout, and the whole inner part is killed after 15 minutes. Only the
# processes this script started are ever signalled, by PID.
set -u

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build ROUNDS=3 SECS=3 WARM=0.5 OUT=BENCHMARKS.md WRITE=1 LARGE=1
RPCBIND="/usr/sbin/rpcbind -f -w"
INNER=0 RESULTS=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--no-write) WRITE=0; shift ;;
	--no-large) LARGE=0; shift ;;
	--rpcbind) RPCBIND=$2; shift 2 ;;
	--inner) INNER=1; RESULTS=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "side_by_side.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
RB=$BUILD/ringbind
LOAD=$BUILD/bench/ringbind-load
FLOOR=$BUILD/bench/ringbind-floor

# ---------------------------------------------------------------- inner part
if [ $INNER -eq 1 ]; then
	TMP=$(dirname "$RESULTS")
	# shellcheck source=bench/inner_lib.sh
	. "$ROOT/bench/inner_lib.sh"
	log() { echo "[$(date +%T)] $*" >&2; }
	# start NAME PORT KIND CMD...: the server in its own mount namespace
	# (its own /run), pinned to CPU 0; sets PID_<NAME>. The PID is the
	# server's own: unshare, bash and taskset each exec the next. With
	# OWN_NET=1 also in its own network namespace (NET_<NAME>=1): two
	# ringbinds may not share one, as each would see the other's abstract
	# socket (@/run/rpcbind.sock) and refuse to start; the load then runs
	# in that namespace (in_net).
	start() {
		local name=$1 port=$2 kind=$3 net=""
		shift 3
		[ "${OWN_NET:-0}" = 1 ] && net=-n
		eval "NET_$name=${OWN_NET:-0}"
		RB_OWN_NET=$net unshare -m $net --propagation private bash -c '
			[ -z "$RB_OWN_NET" ] || ip link set lo up || exit 1
			mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
			mkdir -p /run/rpcbind /run/lock && chmod 700 /run/rpcbind
			getent passwd _rpc >/dev/null && chown _rpc /run/rpcbind
			exec nice -n -10 taskset -c 0 "$@"' _ "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
		local pid=$!
		PIDS="$PIDS $pid"
		# (nsenter needs the new namespace made: wait for it, 5 s at most)
		local i=0
		while [ -n "$net" ] && [ $i -lt 500 ] &&
			[ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do
			sleep 0.01; i=$((i + 1))
		done
		eval "PID_$name=$pid"
		case $kind in
		ringbind) wait_until 10000 grep -q 'ringbind: ready' "$TMP/$name.err" ;;
		floor) wait_until 10000 grep -q 'ringbind-floor: ready' "$TMP/$name.err" ;;
		*) wait_until 10000 in_net "$name" "$LOAD" --port "$port" --mode udp --call null --count 1 --timeout-ms 200 ;;
		esac || { log "$name did not come up: $(tail -3 "$TMP/$name.err")"; return 1; }
		log "$name up (pid $pid, port $port): $*"
	}
	# in_net NAME CMD...: CMD in NAME's network namespace (see start).
	in_net() {
		local name=$1 own pid
		shift
		eval "own=\${NET_$name:-0} pid=\${PID_$name:-}"
		if [ "$own" = 1 ]; then nsenter -t "$pid" -n -- "$@"; else "$@"; fi
	}
	# prime NAME PORT N [ARGS]: register N programs; 0 when all were.
	prime() {
		local name=$1 port=$2 n=$3 pid
		shift 3
		eval "pid=\$PID_$name"
		in_net "$name" nice -n -10 taskset -c 1 "$LOAD" --port "$port" --mode prime --prime "$n" --server-pid "$pid" "$@" \
			>"$TMP/prime.$name.$n" 2>&1
		local rc=$?
		log "$name: $(grep '^prime:' "$TMP/prime.$name.$n")"
		echo "PRIME S=$name N=$n rc=$rc $(grep '^RESULT' "$TMP/prime.$name.$n")" >>"$RESULTS"
		return $rc
	}
	# point ROUND POINT NAME PORT ARGS...: one measured run.
	point() {
		local r=$1 p=$2 name=$3 port=$4 pid
		shift 4
		eval "pid=\${PID_$name:-}"
		[ -n "$pid" ] || return 0
		local line
		line=$(in_net "$name" timeout 60 nice -n -10 taskset -c 1 "$LOAD" --port "$port" --server-pid "$pid" \
			--duration "$SECS" --warmup "$WARM" --timeout-ms 2000 "$@" 2>&1 | grep '^RESULT')
		[ -n "$line" ] || line="RESULT failed=1"
		echo "P=$p S=$name R=$r $line" >>"$RESULTS"
		log "round $r $p $name: $(echo "$line" | grep -o ' rps=[0-9]*\| p99_us=[0-9.]*\| wrong=[0-9]*\|server_cpu_us_per_reply=[0-9.na]*' | tr '\n' ' ')"
	}

	HAVE_RPCBIND=1
	set -- $RPCBIND
	[ -x "$1" ] || HAVE_RPCBIND=0
	start ringbind 1110 ringbind "$RB" -f -w --workers 1 --port 1110 --state-dir /run/ringbind || exit 1
	if [ $HAVE_RPCBIND = 1 ]; then start rpcbind 111 rpcbind $RPCBIND || HAVE_RPCBIND=0; fi
	start floor 1120 floor "$FLOOR" --port 1120 || exit 1
	start floortcp 1120 floor "$FLOOR" --port 1120 --tcp || exit 1
	prime ringbind 1110 10 --prime-proto both || exit 1
	if [ $HAVE_RPCBIND = 1 ]; then prime rpcbind 111 10 --prime-proto both || HAVE_RPCBIND=0; fi
	[ $HAVE_RPCBIND = 1 ] || { PID_rpcbind=""; log "rpcbind: left out"; }
	if [ "$LARGE" = 1 ]; then
		OWN_NET=1 start rb100k 1111 ringbind "$RB" -f -w --workers 1 --port 1111 --state-dir /run/ringbind || exit 1
		OWN_NET=1 start rb1m 1112 ringbind "$RB" -f -w --workers 1 --port 1112 --state-dir /run/ringbind || exit 1
		# shellcheck disable=SC2034 # read through eval in point()
		prime rb100k 1111 100000 || PID_rb100k=""
		# shellcheck disable=SC2034 # read through eval in point()
		prime rb1m 1112 1000000 --prime-timeout 90 || PID_rb1m=""
	fi
	grep -h 'backend' "$TMP/ringbind.err" | head -1 | sed 's/^/BACKEND /' >>"$RESULTS"

	# The points: NAME, then for each server "SERVER:PORT:KEYS", then the
	# load generator's arguments.
	# The points that are compared with each other follow one another,
	# so that a comparison's runs are seconds apart: the read-only run,
	# then the same with churn, and the registry sizes.
	P_GETPORT="udp_getport|ringbind:1110:10 rpcbind:111:10 floor:1120:0|--mode udp --window 32"
	POINTS=("$P_GETPORT" "churn|ringbind:1110:10 rpcbind:111:10|--mode mix --window 32 --churn 1")
	if [ "$LARGE" = 1 ]; then
		POINTS+=(
			"reg100k|rb100k:1111:100000|--mode udp --window 32"
			"reg1m|rb1m:1112:1000000|--mode udp --window 32"
			"reg1m_hot|rb1m:1112:10|--mode udp --window 32"
		)
	fi
	POINTS+=(
		"udp_getaddr|ringbind:1110:10 rpcbind:111:10 floor:1120:0|--mode udp --window 32 --call getaddr"
		"tcp_pipe|ringbind:1110:10 rpcbind:111:10 floortcp:1120:0|--mode tcp --conns 16 --window 8"
		"storm|ringbind:1110:10 rpcbind:111:10 floortcp:1120:0|--mode storm --window 16"
		"ustorm|ringbind:1110:10 rpcbind:111:10 floor:1120:0|--mode ustorm --window 16"
		"idle1|ringbind:1110:10 rpcbind:111:10|--mode udp --window 32 --idle-conns 1"
		"idle1000|ringbind:1110:10 rpcbind:111:10|--mode udp --window 32 --idle-conns 1000"
	)
	for ((r = 1; r <= ROUNDS; r++)); do
		for pt in "${POINTS[@]}"; do
			IFS='|' read -r name servers args <<<"$pt"
			read -ra list <<<"$servers"
			n=${#list[@]}
			for ((i = 0; i < n; i++)); do
				IFS=: read -r s port keys <<<"${list[$(((i + r - 1) % n))]}"
				# shellcheck disable=SC2086 # args are words on purpose
				point "$r" "$name" "$s" "$port" --keys "$keys" $args
			done
		done
	done
	# rpcbind with 100,000 registrations, last: it takes it 30 to 60 s to
	# register them (bounded at 90 s), and then it stays that big.
	if [ "$LARGE" = 1 ] && [ -n "$PID_rpcbind" ]; then
		if prime rpcbind 111 100000 --prime-timeout 90; then
			for ((r = 1; r <= ROUNDS; r++)); do
				point "$r" reg100k rpcbind 111 --keys 100000 --mode udp --window 32
			done
		fi
	fi
	for s in ringbind rb100k rb1m; do
		eval "pid=\${PID_$s:-}"
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
			echo "RSS S=$s kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)" >>"$RESULTS"
	done
	exit 0
fi

# ---------------------------------------------------------------- outer part
[ "$(id -u)" = 0 ] || { echo "side_by_side.sh: needs root (namespaces, port 111)" >&2; exit 2; }
for p in "$RB" "$LOAD" "$FLOOR"; do
	[ -x "$p" ] || { echo "side_by_side.sh: $p missing; build first:" \
		"cmake --build $BUILD --target ringbind ringbind-load ringbind-floor" >&2; exit 2; }
done
for p in unshare nsenter taskset ip sysctl timeout; do
	command -v $p >/dev/null || { echo "side_by_side.sh: needs $p" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || echo "side_by_side.sh: fewer than 2 CPUs; client and server will share one" >&2
set -- $RPCBIND
[ -x "$1" ] || { echo "side_by_side.sh: no $1; rpcbind is left out (apt-get install rpcbind)" >&2; RPCBIND="/nonexistent"; }
unshare -n -m --propagation private true 2>/dev/null ||
	{ echo "side_by_side.sh: cannot create namespaces here" >&2; exit 2; }

WORK=$(mktemp -d /tmp/rb-side.XXXXXX) || exit 1
trap 'rm -rf "$WORK"' EXIT
RES=$WORK/results.txt
: >"$RES"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)
echo "side_by_side.sh: $ROUNDS rounds of $SECS s per point; log below, tables at the end" >&2
# shellcheck disable=SC2046 # an optional word on purpose
timeout -k 10 900 unshare -n -m --propagation private \
	bash "$SELF" --inner "$RES" --build "$BUILD" --rounds "$ROUNDS" --secs "$SECS" \
	$([ $LARGE = 0 ] && echo --no-large) --rpcbind "$RPCBIND"
rc=$?
T1=$(date +%s)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
[ $rc -eq 0 ] || { echo "side_by_side.sh: the run failed (status $rc)" >&2; exit 1; }

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
BACKEND=$(sed -n 's/^BACKEND ringbind: backend: //p' "$RES" | head -1)

# The tables, from the RESULT lines: medians over the rounds.
awk -v rounds="$ROUNDS" -v secs="$SECS" -v cpu="$CPU" -v kernel="$(uname -r)" \
	-v nproc="$(nproc)" -v date="$(date -u +%Y-%m-%d)" -v elapsed=$((T1 - T0)) \
	-v load_before="$LOAD_BEFORE" -v load_after="$LOAD_AFTER" -v backend="$BACKEND" '
function kv(line, key,   a, i, n) {
	n = split(line, a, " ")
	for (i = 1; i <= n; i++)
		if (index(a[i], key "=") == 1)
			return substr(a[i], length(key) + 2)
	return ""
}
function median(k,   n, i, j, t, v) {
	n = cnt[k]
	if (n == 0) return ""
	for (i = 1; i <= n; i++) v[i] = val[k, i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function add(k, x) { if (x == "" || x == "na") return; cnt[k]++; val[k, cnt[k]] = x }
function m(p, s, f) { return median(p SUBSEP s SUBSEP f) }
function fmt_us(x) { return x == "" ? "n/a" : sprintf("%.2f", x) }
function fmt_rps(x,   t, out) {
	if (x == "") return "n/a"
	t = sprintf("%d", x); out = ""
	while (length(t) > 3) { out = "," substr(t, length(t) - 2) out; t = substr(t, 1, length(t) - 3) }
	return t out
}
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "" : a / b }
function fmt_ratio(x) { return x == "" ? "n/a" : sprintf("%.2f", x) }
function mark(p, s) { return ((p, s) in bad) ? " (INVALID: " bad[p, s] " wrong/failed)" : "" }
/^P=/ {
	p = kv($0, "P"); s = kv($0, "S")
	if (kv($0, "failed") != "") { bad[p, s] += 1; ninvalid++; next }
	w = kv($0, "wrong"); if (w + 0 > 0) { bad[p, s] += w; ninvalid++ }
	r = kv($0, "R")
	add(p SUBSEP s SUBSEP "rps", kv($0, "rps")); rv[p, s, "rps", r] = kv($0, "rps")
	add(p SUBSEP s SUBSEP "cpu", kv($0, "server_cpu_us_per_reply")); rv[p, s, "cpu", r] = kv($0, "server_cpu_us_per_reply")
	add(p SUBSEP s SUBSEP "p99", kv($0, "p99_us")); rv[p, s, "p99", r] = kv($0, "p99_us")
	add(p SUBSEP s SUBSEP "p50", kv($0, "p50_us"))
	errs[p, s] += kv($0, "errors") + kv($0, "timeouts")
	next
}
/^PRIME / { s = kv($0, "S"); n = kv($0, "N"); prime_rate[s, n] = kv($0, "rate"); prime_ok[s, n] = kv($0, "complete"); prime_secs[s, n] = kv($0, "seconds"); prime_acked[s, n] = kv($0, "acked"); next }
/^RSS / { rss[kv($0, "S")] = kv($0, "kb"); next }
function row(p, label, rb, rp, fl,   c1, c2, c3, r1, r2, r3) {
	c1 = m(p, rb, "cpu"); c2 = rp == "" ? "" : m(p, rp, "cpu"); c3 = fl == "" ? "" : m(p, fl, "cpu")
	r1 = m(p, rb, "rps"); r2 = rp == "" ? "" : m(p, rp, "rps"); r3 = fl == "" ? "" : m(p, fl, "rps")
	if (r1 == "" && r2 == "") return
	printf "| %s | %s%s | %s%s | %s%s | %s | %s | %s | %s | %s |\n", label,
		fmt_us(c1), mark(p, rb), fmt_us(c2), mark(p, rp), fmt_us(c3), mark(p, fl),
		fmt_rps(r1), fmt_rps(r2), fmt_rps(r3),
		fmt_ratio(ratio(c2, c1)), fmt_ratio(ratio(c1, c3))
}
# The ratio a/b of field f, paired round by round (two runs of one round
# ran within seconds of each other, so slow drifts of a shared machine
# cancel); returns the median over the rounds, and sets prange to the range.
function pratio(p1, s1, p2, s2, f,   r, n, a, b, v, i, j, t) {
	n = 0; prange = ""
	for (r = 1; r <= rounds; r++) {
		if (!((p1, s1, f, r) in rv) || !((p2, s2, f, r) in rv)) continue
		a = rv[p1, s1, f, r]; b = rv[p2, s2, f, r]
		if (a == "" || a == "na" || b == "" || b == "na" || b + 0 == 0) continue
		v[++n] = a / b
	}
	if (n == 0) return ""
	for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	prange = n > 1 ? sprintf("%.2f to %.2f", v[1], v[n]) : "one round"
	return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
# The lowest value of one series over the rounds divided by the lowest of
# the other: the rounds least disturbed by other work on the machine.
function minratio(p1, s1, p2, s2, f,   r, a, b, x, y) {
	a = ""; b = ""
	for (r = 1; r <= rounds; r++) {
		if ((p1, s1, f, r) in rv) { x = rv[p1, s1, f, r]; if (x != "" && x != "na" && (a == "" || x + 0 < a + 0)) a = x }
		if ((p2, s2, f, r) in rv) { y = rv[p2, s2, f, r]; if (y != "" && y != "na" && (b == "" || y + 0 < b + 0)) b = y }
	}
	prange = (a == "" || b == "") ? "" : sprintf("%s us / %s us", a, b)
	return (a == "" || b == "" || b + 0 == 0) ? "" : a / b
}
function target(name, value, op, limit,   ok) {
	if (value == "") { printf "| %s | n/a | | not measured |\n", name; return }
	ok = (op == "<=") ? (value + 0 <= limit + 0) : (value + 0 >= limit + 0)
	printf "| %s | %.2f | %s | %s |\n", name, value, prange, ok ? "**met**" : "**missed**"
}
END {
	print ""
	printf "Measured by `bench/side_by_side.sh` on %s: %s vCPUs (%s), kernel %s, ringbind backend %s. ", date, nproc, cpu, kernel, backend
	printf "Each server on CPU 0 (`taskset -c 0`), `ringbind-load` on CPU 1, both at nice -10, in a private network namespace; "
	printf "ringbind with `--workers 1`, rpcbind as `rpcbind -f -w`, the floor is `ringbind-floor` "
	printf "(`--tcp` for the TCP rows). Each figure is the median of %s rounds of %s s (after 0.5 s of warm-up), ", rounds, secs
	printf "the points interleaved (every server once per point per round). "
	printf "The whole run took %s s; load average %s before, %s after (the machine is shared and noisy).\n\n", elapsed, load_before, load_after
	print "Cost is the server'"'"'s CPU time (user + system, all threads, from `/proc/PID/stat`) per validated reply; replies/s count validated replies only. Ratios are of cost: rpcbind/ringbind (higher is better for ringbind) and ringbind/floor (1.00 would be the floor itself). Lookups spread uniformly over the registered programs (10 unless the row says otherwise); the floor answers program 100000 with a fixed reply and has no registry. UDP rows keep 32 calls in flight; storms run 16 sessions at once."
	print ""
	print "| workload | ringbind us/reply | rpcbind us/reply | floor us/reply | ringbind replies/s | rpcbind replies/s | floor replies/s | rpcbind/ringbind | ringbind/floor |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	row("udp_getport", "UDP PMAP GETPORT", "ringbind", "rpcbind", "floor")
	row("udp_getaddr", "UDP RPCBIND v3 GETADDR", "ringbind", "rpcbind", "floor")
	row("tcp_pipe", "TCP GETPORT, 16 connections x 8 pipelined", "ringbind", "rpcbind", "floortcp")
	row("storm", "TCP storm: a connection per GETPORT", "ringbind", "rpcbind", "floortcp")
	row("ustorm", "UDP storm: a socket per GETPORT", "ringbind", "rpcbind", "floor")
	row("churn", "UDP GETPORT with 1% PMAP SET/UNSET", "ringbind", "rpcbind", "")
	row("idle1", "UDP GETPORT, 1 idle TCP connection open", "ringbind", "rpcbind", "")
	row("idle1000", "UDP GETPORT, 1,000 idle TCP connections open", "ringbind", "rpcbind", "")
	row("reg100k", "UDP GETPORT, 100,000 registrations", "rb100k", "rpcbind", "")
	row("reg1m", "UDP GETPORT, 1,000,000 registrations", "rb1m", "", "")
	row("reg1m_hot", "UDP GETPORT, 1,000,000 registrations, 10 asked for", "rb1m", "", "")
	print ""
	printf "Latency (p50 / p99 of lookups, us; 32 in flight, so mostly queueing): UDP GETPORT ringbind %s / %s, rpcbind %s / %s, floor %s / %s; ", \
		m("udp_getport", "ringbind", "p50"), m("udp_getport", "ringbind", "p99"), m("udp_getport", "rpcbind", "p50"), m("udp_getport", "rpcbind", "p99"), m("udp_getport", "floor", "p50"), m("udp_getport", "floor", "p99")
	printf "with 1%% churn ringbind %s / %s, rpcbind %s / %s.\n\n", m("churn", "ringbind", "p50"), m("churn", "ringbind", "p99"), m("churn", "rpcbind", "p50"), m("churn", "rpcbind", "p99")
	printf "Registering (PMAP SET over UDP, 128 in flight): ringbind took 100,000 in %s s (%s/s) and 1,000,000 in %s s (%s/s, resident size then %s MiB); ", \
		prime_secs["rb100k", 100000], prime_rate["rb100k", 100000], prime_secs["rb1m", 1000000], prime_rate["rb1m", 1000000], rss["rb1m"] == "" ? "n/a" : int(rss["rb1m"] / 1024)
	if (prime_secs["rpcbind", 100000] == "")
		printf "rpcbind: not run.\n"
	else if (prime_ok["rpcbind", 100000] == 1)
		printf "rpcbind took 100,000 in %s s (%s/s); 1,000,000 would take it over an hour (each SET scans its list), so it has no 1,000,000 row.\n", prime_secs["rpcbind", 100000], prime_rate["rpcbind", 100000]
	else
		printf "rpcbind registered only %s of 100,000 in %s s (the bound), so it has no 100,000 row.\n", prime_acked["rpcbind", 100000], prime_secs["rpcbind", 100000]
	print ""
	print "### Targets"
	print ""
	print "Each target is the median over the rounds of the ratio within a round (the two runs of a round are seconds apart), with the range over the rounds."
	print ""
	print "| target | measured | range | met? |"
	print "|---|---:|---|---|"
	target("ringbind/floor <= 1.25, UDP GETPORT (cost)", pratio("udp_getport", "ringbind", "udp_getport", "floor", "cpu"), "<=", 1.25)
	target("ringbind/floor <= 1.25, UDP GETADDR (cost)", pratio("udp_getaddr", "ringbind", "udp_getaddr", "floor", "cpu"), "<=", 1.25)
	target("ringbind/floor <= 1.5, TCP pipelined (cost)", pratio("tcp_pipe", "ringbind", "tcp_pipe", "floortcp", "cpu"), "<=", 1.5)
	target("ringbind/floor <= 1.1, TCP storm (cost)", pratio("storm", "ringbind", "storm", "floortcp", "cpu"), "<=", 1.1)
	target("ringbind/floor <= 1.1, UDP storm (cost)", pratio("ustorm", "ringbind", "ustorm", "floor", "cpu"), "<=", 1.1)
	target("rpcbind/ringbind >= 4, UDP GETPORT (cost)", pratio("udp_getport", "rpcbind", "udp_getport", "ringbind", "cpu"), ">=", 4)
	target("rpcbind/ringbind >= 4, TCP GETPORT (cost)", pratio("tcp_pipe", "rpcbind", "tcp_pipe", "ringbind", "cpu"), ">=", 4)
	target("rpcbind/ringbind >= 10, UDP GETADDR (cost)", pratio("udp_getaddr", "rpcbind", "udp_getaddr", "ringbind", "cpu"), ">=", 10)
	target("1,000,000 registrations >= 0.95x the replies/s at 10, all 1,000,000 asked for", pratio("reg1m", "rb1m", "udp_getport", "ringbind", "rps"), ">=", 0.95)
	target("1,000,000 registrations >= 0.95x the replies/s at 10, 10 of them asked for", pratio("reg1m_hot", "rb1m", "udp_getport", "ringbind", "rps"), ">=", 0.95)
	target("the same as cost: 1,000,000 (all asked for) <= 1/0.95 = 1.053x the cost at 10", pratio("reg1m", "rb1m", "udp_getport", "ringbind", "cpu"), "<=", 1.053)
	target("the same as cost: 1,000,000 (10 asked for) <= 1.053x the cost at 10", pratio("reg1m_hot", "rb1m", "udp_getport", "ringbind", "cpu"), "<=", 1.053)
	target("1% churn: lookup p99 <= 1.2x the read-only p99", pratio("churn", "ringbind", "udp_getport", "ringbind", "p99"), "<=", 1.2)
	target("the same, least-disturbed rounds: lowest p99 with churn / lowest read-only p99", minratio("churn", "ringbind", "udp_getport", "ringbind", "p99"), "<=", 1.2)
	target("1,000 idle connections: cost <= 1.05x the cost with 1", pratio("idle1000", "ringbind", "idle1", "ringbind", "cpu"), "<=", 1.05)
	print ""
	if (ninvalid) print "Some runs were invalid (wrong answers or a failed run); see the marks in the table."
	else print "Every reply of every run was validated; no run had a wrong answer."
}' "$RES" >"$WORK/section.md"

cat "$WORK/section.md"
echo
grep -h '^P=' "$RES" | awk '{ e = 0; for (i = 1; i <= NF; i++) if ($i ~ /^(errors|timeouts|wrong)=/) { split($i, a, "="); e += a[2] } if (e) print "note: " $1, $2, $3, "errors+timeouts+wrong=" e }' >&2

if [ $WRITE = 1 ]; then
	[ -f "$OUT" ] || { echo "side_by_side.sh: $OUT not found" >&2; exit 1; }
	grep -q '^## Daemon versus rpcbind *$' "$OUT" || printf '\n## Daemon versus rpcbind\n' >>"$OUT"
	# Replace what is under the heading, up to the next "## " heading
	# (whole-line match: "## Daemon versus rpcbind: what changed ..." is
	# another section, written by hand, and stays).
	awk -v sect="$WORK/section.md" '
		/^## Daemon versus rpcbind *$/ { print; while ((getline l < sect) > 0) print l; skip = 1; next }
		skip && /^## / { skip = 0; print ""; }
		!skip { print }' "$OUT" >"$WORK/out.md" && cat "$WORK/out.md" >"$OUT"
	echo "side_by_side.sh: wrote the section \"## Daemon versus rpcbind\" of $OUT" >&2
fi
