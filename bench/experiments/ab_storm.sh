#!/usr/bin/env bash
# A/B of two ringbind builds (or one, against the floor only) under a UDP
# storm, with the floor and the floor answering with pktinfo beside them:
# each ringbind in a network namespace of its own (two ringbinds in one
# would share the abstract @/run/rpcbind.sock), the floors in the first
# one's, then ROUNDS rounds, each running the load once against every
# server, in turn. Prints every run's server CPU-us per reply and, per
# round, the ratios B/A, A/floor, B/floor, A/(floor --pktinfo) and
# (floor --pktinfo)/floor; at the end the median of each ratio over the
# rounds with its range. Run from the repository root, as root:
#   bench/experiments/ab_storm.sh OLD/ringbind build/ringbind
#   bench/experiments/ab_storm.sh build/ringbind          (no B)
# MODE (ustorm), ROUNDS (8), SECS (3) and ARGS_A / ARGS_B (extra ringbind
# arguments, e.g. ARGS_B="--backend epoll") from the environment
# (BENCHMARKS.md, "UDP storm"). Servers on CPU 0 and the load (from
# build/bench) on CPU 1, all at nice -10. Only the processes started here
# are signalled.
set -u
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BIN_A [BIN_B]" >&2; exit 2; }
LOAD=$(pwd)/build/bench/ringbind-load
FLOOR=$(pwd)/build/bench/ringbind-floor
MODE=${MODE:-ustorm} ROUNDS=${ROUNDS:-8} SECS=${SECS:-3}
start() { # BIN STATE ARGS: a ringbind in new namespaces; its pid on stdout
	unshare -n -m bash -c "mount -t tmpfs tmpfs /run; ip link set lo up; exec nice -n -10 taskset -c 0 $1 -f -w --workers 1 --port 1110 --state-dir $2 $3" >/dev/null 2>&1 &
	echo $!
}
SA=$(mktemp -d) SB=$(mktemp -d)
A=$(start "$1" "$SA" "${ARGS_A:-}") B=""
[ $# -eq 2 ] && B=$(start "$2" "$SB" "${ARGS_B:-}")
sleep 0.7
nsenter -t "$A" -n nice -n -10 taskset -c 0 "$FLOOR" --port 1120 >/dev/null 2>&1 &
F=$!
nsenter -t "$A" -n nice -n -10 taskset -c 0 "$FLOOR" --port 1121 --pktinfo >/dev/null 2>&1 &
FP=$!
trap 'kill $A $B $F $FP 2>/dev/null; wait; rm -rf "$SA" "$SB"' EXIT
sleep 0.5
run() { # NETNS_PID SERVER_PID PORT: the server's CPU-us per reply
	nsenter -t "$1" -n nice -n -10 taskset -c 1 "$LOAD" --port "$3" --server-pid "$2" \
		--duration "$SECS" --warmup 0.5 --mode "$MODE" 2>&1 | grep ^RESULT |
		grep -o 'server_cpu_us_per_reply=[0-9.]*' | cut -d= -f2
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.3f", a / b; else print "nan" }'; }
R=$(mktemp)
for r in $(seq "$ROUNDS"); do
	a=$(run "$A" "$A" 1110) f=$(run "$A" "$F" 1120) fp=$(run "$A" "$FP" 1121) b=""
	[ -n "$B" ] && b=$(run "$B" "$B" 1110)
	line="A/floor $(ratio "$a" "$f") A/floorpkt $(ratio "$a" "$fp") floorpkt/floor $(ratio "$fp" "$f")"
	[ -n "$B" ] && line="B/A $(ratio "$b" "$a") B/floor $(ratio "$b" "$f") $line"
	echo "round $r: A $a ${B:+B $b }floor $f floorpkt $fp | $line"
	echo "$line" >>"$R"
done
# The median and range of each ratio over the rounds.
for k in B/A A/floor B/floor A/floorpkt floorpkt/floor; do
	v=$(grep -o "$k [0-9.]*" "$R" | cut -d' ' -f2 | sort -n)
	[ -z "$v" ] && continue
	echo "$v" | awk -v k="$k" '{ x[NR] = $1 } END {
		m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2
		printf "%s: median %.3f, range %.3f to %.3f over %d rounds\n", k, m, x[1], x[NR], NR }'
done
rm -f "$R"
