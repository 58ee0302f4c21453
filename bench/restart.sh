#!/bin/bash
# Time from start to READY when ringbind restores N registrations (default
# 1,000,000), after a SIGTERM and after a SIGKILL. Runs in its own network
# and mount namespaces, with the state on a tmpfs over /run; loopback only.
#   bench/restart.sh [--build DIR] [--count N]
set -u
build=build count=1000000
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--count) count=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--count N]" >&2; exit 2 ;;
	esac
done
rb=$(readlink -f "$build/ringbind") load=$(readlink -f "$build/bench/ringbind-load")
[ -x "$rb" ] && [ -x "$load" ] || { echo "build $build first" >&2; exit 2; }
export RB=$rb LOAD=$load COUNT=$count
exec unshare -n -m --propagation private bash -c '
set -u
ip link set lo up
mount -t tmpfs -o size=4g tmpfs /run
err=$(mktemp)
start() {
	: >"$err"
	local t0 t1 deadline
	t0=$(date +%s%N)
	"$RB" -f --state-dir /run/st --max-registrations $((COUNT + 1000)) 2>>"$err" &
	pid=$!
	deadline=$((t0 + 60000000000))
	until grep -q "ringbind: ready" "$err"; do
		[ "$(date +%s%N)" -lt $deadline ] || { echo "not ready in 60 s"; cat "$err"; exit 1; }
		sleep 0.005
	done
	t1=$(date +%s%N)
	echo "$1: start to ready $(( (t1 - t0) / 1000000 )) ms; $(grep -o "restored.*" "$err")"
}
start "empty"
"$LOAD" --mode prime --prime "$COUNT" --prime-window 256 --prime-timeout 300 | tail -1
kill -TERM $pid; wait $pid
start "after SIGTERM"
kill -KILL $pid; wait $pid 2>/dev/null
start "after SIGKILL"
kill -TERM $pid; wait $pid
rm -f "$err"
'
