#!/bin/bash
# Two ringbind binaries, old and new, alternated: a fresh daemon per run
# (--workers 1, the given backend), 2,000 programs primed, then
# ringbind-load over UDP and TCP for SECS; the server CPU ticks (10 ms,
# utime + stime of /proc/PID/stat) and the RESULT line of each run.
# Run in a private namespace, as root:
#   unshare -n -m --propagation private bench/experiments/ab_binaries.sh OLD NEW LOAD BACKEND ROUNDS SECS
# (BENCHMARKS.md, "Old and new binary in one run (issue 19)").
set -u
OLD=$1 NEW=$2 LOAD=$3 BE=$4 ROUNDS=$5 SECS=$6
ip link set lo up || exit 1
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
T=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill -KILL $PID 2>/dev/null' EXIT
for r in $(seq 1 "$ROUNDS"); do
	for which in old new; do
		bin=$OLD; [ $which = new ] && bin=$NEW
		rm -rf "$T/st" /run/rpcbind.sock; mkdir -p "$T/st"
		"$bin" -f -w --workers 1 --backend "$BE" -h 127.0.0.1 --state-dir "$T/st" 2>"$T/err.$which" &
		PID=$!
		for i in $(seq 100); do "$LOAD" --mode udp --call null --count 1 --duration 1 2>/dev/null | grep -q 'replies=1' && break; sleep 0.05; done
		for mode in ${MODES:-udp tcp}; do
			"$LOAD" --mode $mode --threads 1 --prime 2000 --duration 0.2 >/dev/null 2>&1
			c0=$(awk '{print $14 + $15}' /proc/$PID/stat)
			res=$("$LOAD" --mode $mode --threads 1 --keys 2000 --duration "$SECS" 2>&1 | grep '^RESULT')
			c1=$(awk '{print $14 + $15}' /proc/$PID/stat)
			echo "round=$r bin=$which backend=$BE mode=$mode cpu_ticks=$((c1 - c0)) $res"
		done
		kill -TERM $PID; wait $PID 2>/dev/null; PID=""
	done
done
rm -rf "$T"
