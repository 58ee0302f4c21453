#!/bin/bash
# SET/UNSET latency at N registrations (default 1,000,000) without and
# with a compaction running (issue 15 item 8: the snapshot is written by a
# thread of its own, not by the control thread that acknowledges SET/UNSET).
# Runs by hand, not in CI: in its own network and mount namespaces, the
# state on a tmpfs over /run, loopback only; every phase is bounded.
#
#   bench/compaction.sh [--build DIR] [--count N] [--seconds S]
#
# 1. ringbind with WATCHDOG_USEC=2000000 (its watchdog thread checks the
#    control thread's heartbeat; a miss is logged as "watchdog: ...").
# 2. N registrations primed (PMAP v2 SET over UDP, 256 in flight).
# 3. S seconds (default 4) of SET/UNSET only (ringbind-load --mode mix
#    --churn 100, 1 thread, 4 in flight): the baseline.
# 4. The same S seconds while SIGUSR2 starts a compaction every 250 ms
#    (one at a time: a request while one runs is refused), so that one runs
#    for most of the window; the daemon logs each one's duration.
# Prints both p50/p99 and their ratio, the compactions made during 4, the
# time they took, and the watchdog's missed pings (log lines).
set -u
build=build count=1000000 secs=4
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--count) count=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--count N] [--seconds S]" >&2; exit 2 ;;
	esac
done
rb=$(readlink -f "$build/ringbind") load=$(readlink -f "$build/bench/ringbind-load")
[ -x "$rb" ] && [ -x "$load" ] || { echo "build $build first" >&2; exit 2; }
export RB=$rb LOAD=$load COUNT=$count SECS=$secs
exec unshare -n -m --propagation private bash -c '
set -u
ip link set lo up
mount -t tmpfs -o size=4g tmpfs /run
err=$(mktemp)
bash -c "WATCHDOG_USEC=2000000 WATCHDOG_PID=\$\$ exec \"$RB\" -f --log-level info --state-dir /run/st --max-registrations $((COUNT + 10000))" 2>>"$err" &
pid=$!
for _ in $(seq 1 200); do grep -q "ringbind: ready" "$err" && break; sleep 0.05; done
grep -q "ringbind: ready" "$err" || { echo "not ready"; cat "$err"; kill $pid; exit 1; }
"$LOAD" --mode prime --prime "$COUNT" --prime-window 256 --prime-timeout 300 | tail -1
metric() { curl -s --max-time 5 http://127.0.0.1:9111/metrics | awk -v k="$1" "\$1 == k { v = \$2 } END { print v + 0 }"; }
mix() { "$LOAD" --mode mix --churn 100 --threads 1 --window 4 --duration "$SECS" --prog-base 0x38000000; }
field() { echo "$1" | grep "^RESULT" | tr " " "\n" | sed -n "s/^$2=//p"; }
p50() { echo "$1" | sed -n "s/.*SET\/UNSET p50 \([0-9.]*\) us.*/\1/p"; }
sleep 1
w0=$(grep -c "has not run" "$err")
base=$(mix)
w1=$(grep -c "has not run" "$err")
c0=$(metric "ringbind_compactions_total{result=\"ok\"}")
n0=$(grep -c "state compacted" "$err")
( end=$(( $(date +%s%N) + SECS * 1000000000 )); while [ "$(date +%s%N)" -lt $end ]; do kill -USR2 $pid; sleep 0.25; done ) &
sig=$!
during=$(mix)
wait $sig
for _ in $(seq 1 100); do [ "$(metric ringbind_compaction_running)" = 0 ] && break; sleep 0.1; done
c1=$(metric "ringbind_compactions_total{result=\"ok\"}")
echo "registrations: $(metric ringbind_registrations)"
echo "baseline:        $(echo "$base" | grep "^RESULT")"
echo "with compaction: $(echo "$during" | grep "^RESULT")"
b99=$(field "$base" mut_p99_us) d99=$(field "$during" mut_p99_us)
b50=$(p50 "$base") d50=$(p50 "$during")
echo "SET/UNSET p50 $b50 us -> $d50 us; p99 $b99 us -> $d99 us (ratio $(awk -v a="$d99" -v b="$b99" "BEGIN { printf \"%.2f\", a / b }"))"
echo "compactions during the window: $((c1 - c0)); each took: $(grep "state compacted" "$err" | tail -n +$((n0 + 1)) | sed -n "s/.* in \([0-9]*\) ms/\1 ms/p" | tr "\n" " ")"
w2=$(grep -c "has not run" "$err")
echo "watchdog misses logged (\"has not run\"): while priming $w0, baseline $((w1 - w0)), with compaction $((w2 - w1))"
kill -TERM $pid; wait $pid
[ -n "${KEEP_LOG:-}" ] && cp "$err" "$KEEP_LOG"
'
