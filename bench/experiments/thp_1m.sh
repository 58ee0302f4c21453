#!/usr/bin/env bash
# Huge pages for a 1,000,000-entry registry: prime, then alternate lookups
# spread over 1,000,000 keys and over 10, with and without
# MALLOC_CONF=thp:always. Run from the repository root, as root:
#   unshare -n -m bash bench/experiments/thp_1m.sh
# (BENCHMARKS.md, "huge pages"). Paths: build/ under the repository root.
set -u
ip link set lo up; mount -t tmpfs tmpfs /run
B=$(pwd)/build; LOAD=$B/bench/ringbind-load
for conf in "" "thp:always"; do
  rm -rf /tmp/rb-thp-state; mkdir -p /tmp/rb-thp-state; rm -f /run/rpcbind.sock
  MALLOC_CONF=$conf taskset -c 0 $B/ringbind -f -w --workers 1 --port 1112 --state-dir /tmp/rb-thp-state --metrics off 2>/tmp/rb-thp-state.err & A=$!
  sleep 1
  taskset -c 1 $LOAD --port 1112 --mode prime --prime 1000000 --server-pid $A --prime-timeout 90 | grep prime:
  grep -i AnonHugePages /proc/$A/smaps_rollup
  for r in 1 2 3; do
   for k in 1000000 10; do
    echo "conf=[$conf] r$r keys $k: $(taskset -c 1 $LOAD --port 1112 --server-pid $A --duration 4 --warmup 1 --mode udp --window 32 --keys $k 2>&1 | grep ^RESULT | grep -o ' rps=[0-9]*\|server_cpu_us_per_reply=[0-9.]*' | tr '\n' ' ')"
   done
  done
  kill $A; wait $A
done
