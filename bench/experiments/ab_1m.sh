#!/usr/bin/env bash
# A/B of two ringbind builds at 1,000,000 registrations: each server in a
# network namespace of its own (two ringbinds in one would share the
# abstract @/run/rpcbind.sock and the second would refuse to start), both
# primed with 1,000,000 programs, then ROUNDS rounds alternating the builds
# and lookups spread over 1,000,000 keys and over 10. Prints the server's
# CPU-us per reply for each run. Run from the repository root, as root:
#   bench/experiments/ab_1m.sh OLD/ringbind build/ringbind
# (BENCHMARKS.md, "1,000,000 registrations"). The load generator is
# build/bench/ringbind-load; the servers run on CPU 0, the load on CPU 1.
set -u
[ $# -eq 2 ] || { echo "usage: $0 BIN_A BIN_B" >&2; exit 2; }
LOAD=$(pwd)/build/bench/ringbind-load
ROUNDS=${ROUNDS:-8}
start() { # BIN PORT STATE: starts a server in new namespaces; its pid on stdout
	unshare -n -m bash -c "mount -t tmpfs tmpfs /run; ip link set lo up; exec taskset -c 0 $1 -f -w --workers 1 --port $2 --state-dir $3 --metrics off" >/dev/null 2>&1 &
	echo $!
}
run() { # PID PORT KEYS
	nsenter -t "$1" -n taskset -c 1 "$LOAD" --port "$2" --server-pid "$1" --duration 3 \
		--warmup 1 --mode udp --window 32 --keys "$3" 2>&1 | grep ^RESULT |
		grep -o 'server_cpu_us_per_reply=[0-9.]*' | cut -d= -f2
}
SA=$(mktemp -d); SB=$(mktemp -d)
A=$(start "$1" 1112 "$SA"); B=$(start "$2" 1113 "$SB")
trap 'kill $A $B 2>/dev/null; wait; rm -rf "$SA" "$SB"' EXIT
sleep 1
for s in "$A 1112" "$B 1113"; do
	set -- $s
	nsenter -t "$1" -n taskset -c 1 "$LOAD" --port "$2" --mode prime --prime 1000000 \
		--prime-timeout 90 | grep prime:
done
for r in $(seq "$ROUNDS"); do
	a1=$(run $A 1112 1000000); b1=$(run $B 1113 1000000)
	a10=$(run $A 1112 10); b10=$(run $B 1113 10)
	echo "round $r: A 1M $a1 10 $a10 | B 1M $b1 10 $b10"
done
