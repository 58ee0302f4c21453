#!/bin/bash
# Lookups during a connection storm, two ringbind binaries alternated:
# a fresh daemon per run (--workers 1), 20,000 programs primed, then the
# attack tool's dumpflood: 2,000 TCP clients connect at once (a thread at
# SCHED_IDLE), each writes 93 pipelined DUMP v3 calls and never reads,
# held 3 s, while a UDP GETPORT client on loopback asks 1,000 times a
# second (its baseline measured for 2 s just before). Prints, per run, the
# lookups' latency while the clients connect (p50, p99), while they are
# held (p99) and over the whole flood (p99); at the end the median of each
# per binary, backend and start mode. Run from the repository root, in a
# private namespace, as root:
#   unshare -n -m --propagation private bench/experiments/ab_connstorm.sh OLD NEW [ROUNDS]
# BACKENDS ("uring epoll") and HOW ("direct activated": systemd-socket-
# activate passing every socket, as the shipped units do) from the
# environment (BENCHMARKS.md, "Lookups during a connection storm").
set -u
[ $# -ge 2 ] || { echo "usage: $0 OLD NEW [ROUNDS]" >&2; exit 2; }
OLD=$1 NEW=$2 ROUNDS=${3:-5}
ATK=$(pwd)/build/tests/e2e/rb_e2e_attack
[ -x "$ATK" ] || { echo "ab_connstorm.sh: build the tests first ($ATK)" >&2; exit 2; }
ip link set lo up || exit 1
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
ulimit -n 8192
T=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill -KILL $PID 2>/dev/null; rm -rf "$T"' EXIT
for r in $(seq 1 "$ROUNDS"); do
	for how in ${HOW:-direct activated}; do
		for be in ${BACKENDS:-uring epoll}; do
			for which in old new; do
				bin=$OLD; [ $which = new ] && bin=$NEW
				rm -rf "$T/st" /run/rpcbind.sock; mkdir -p "$T/st"
				args="-f -w --workers 1 --backend $be -h 127.0.0.1 --state-dir $T/st"
				if [ "$how" = direct ]; then
					# shellcheck disable=SC2086
					"$bin" $args 2>"$T/err" &
				else
					# shellcheck disable=SC2086
					systemd-socket-activate -d -l 127.0.0.1:111 \
						systemd-socket-activate -l 127.0.0.1:111 -l /run/rpcbind.sock \
						"$bin" $args 2>"$T/err" &
				fi
				PID=$!
				for _ in $(seq 100); do timeout 1 rpcinfo -T udp 127.0.0.1 100000 2 >/dev/null 2>&1 && break; sleep 0.05; done
				"$ATK" -P "$PID" prime 0 20000 >/dev/null 2>&1
				out=$("$ATK" -P "$PID" dumpflood conns=2000 calls=93 hold=3 base=2 nreg=20000 rounds=1 2>&1)
				conn=$(grep 'while connecting:' <<<"$out")
				c50=$(sed 's/.*while connecting: [0-9]*, p50 \([0-9]*\) us.*/\1/' <<<"$conn")
				c99=$(sed 's/.*while connecting: [0-9]*, p50 [0-9a-z]* us, p99 \([0-9]*\) us.*/\1/' <<<"$conn")
				h99=$(sed 's/.*while held: [0-9]*, p50 [0-9a-z]* us, p99 \([0-9]*\) us.*/\1/' <<<"$conn")
				all=$(grep 'its p99 during the flood' <<<"$out" | sed 's/.*during the flood \([0-9]*\) us vs \([0-9]*\) us.*/\1 \2/')
				echo "round=$r how=$how backend=$be bin=$which connecting_p50_us=$c50 connecting_p99_us=$c99 held_p99_us=$h99 flood_p99_us=${all% *} base_p99_us=${all#* }"
				kill -TERM $PID; wait $PID 2>/dev/null; PID=""
			done
		done
	done
done | tee "$T/runs"
echo "medians over $ROUNDS rounds (us):"
python3 - "$T/runs" <<'EOF'
import sys, statistics, collections
g = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    kv = dict(p.split('=', 1) for p in line.split())
    key = (kv['how'], kv['backend'], kv['bin'])
    for f in ('connecting_p50_us', 'connecting_p99_us', 'held_p99_us', 'flood_p99_us', 'base_p99_us'):
        try:
            g[key][f].append(int(kv[f]))
        except (KeyError, ValueError):
            pass
for key in sorted(g):
    row = ' '.join('%s=%d (%d-%d)' % (f, statistics.median(v), min(v), max(v)) for f, v in g[key].items() if v)
    print('%s %s %s: %s' % (key + (row,)))
EOF
