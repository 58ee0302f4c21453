#!/bin/bash
# Capacity of port mappers by ringbind-load --ramp (open loop, rate raised
# by a factor each step until the replies or p99 fail), for BENCHMARKS.md
# ("Capacity by ramp"): Debian's rpcbind, ringbind with one worker, ringbind
# with a worker per CPU; each in turn on port 111 of a private network and
# mount namespace, with 10 programs registered; UDP PMAP GETPORT.
#
#   capacity.sh [--build DIR] [--reps N] [--out DIR] [RAMP ARGS...]
#
# --build  the build directory (default build); --reps N ramps per server
# (default 3; the median is reported, the median run kept); --out DIR where
# the JSON results and plots go (default bench/results). Other arguments go
# to every ramp (defaults below). Prints a markdown table.
set -euo pipefail

BUILD=build REPS=3 OUT=bench/results
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--inner) shift; INNER=1 ;;
	*) break ;;
	esac
done
CLOSED=(--mode udp --threads 2 --window 64 --keys 10 --duration 2)
RAMP=(--mode udp --threads 2 --window 64 --keys 10 --ramp --rate 2000 --ramp-factor 1.2
	--ramp-step 1 --ramp-p99-ms 50 --ramp-min-ratio 0.99 --duration 120 "$@")
HERE=$(cd "$(dirname "$0")" && pwd)
LOAD=$(realpath "$BUILD/bench/ringbind-load")
RB=$(realpath "$BUILD/ringbind")
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

if [ "${INNER:-0}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "capacity.sh: needs root (namespaces)" >&2; exit 1; }
	exec unshare -n -m --propagation private bash "$0" --inner --build "$BUILD" --reps "$REPS" --out "$OUT" "$@"
fi

ip link set lo up
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/rpcbind /run/lock && chmod 700 /run/rpcbind
getent passwd _rpc >/dev/null && chown _rpc /run/rpcbind
TMP=$(mktemp -d)
SRV=""
trap '[ -n "$SRV" ] && kill -KILL $SRV 2>/dev/null; rm -rf "$TMP"' EXIT
NCPU=$(nproc)

up() { # wait until something answers NULL on port 111
	local i
	for ((i = 0; i < 250; i++)); do
		"$LOAD" --mode udp --call null --count 1 --timeout-ms 200 >/dev/null 2>&1 && return 0
		sleep 0.02
	done
	return 1
}

# run NAME CMD...: the server, 10 programs, REPS ramps; the median kept.
rows=()
run() {
	local name=$1
	shift
	"$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	SRV=$!
	up || { echo "capacity.sh: $name did not come up: $(tail -3 "$TMP/$name.err")" >&2; exit 1; }
	"$LOAD" --mode prime --prime 10 --prime-proto udp >/dev/null
	local caps=() i closed
	"${LOADPIN[@]}" "$LOAD" "${CLOSED[@]}" >"$TMP/$name.closed" 2>&1 || true
	closed=$(sed -n 's/^RESULT .* rps=\([0-9]*\).*/\1/p' "$TMP/$name.closed")
	echo "$name closed loop: ${closed:-?} replies/s" >&2
	for ((i = 1; i <= REPS; i++)); do
		"${LOADPIN[@]}" "$LOAD" "${RAMP[@]}" --server-pid $SRV --json "$TMP/$name.$i.json" >"$TMP/$name.$i.txt" 2>&1 || true
		caps+=("$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["ramp"]["capacity_per_s"]))' "$TMP/$name.$i.json") $i")
		grep -E 'capacity|broke|stopped' "$TMP/$name.$i.txt" | sed "s/^/$name run $i: /" >&2
	done
	kill -TERM $SRV; wait $SRV 2>/dev/null || true
	SRV=""
	local sorted med lo hi
	sorted=$(printf '%s\n' "${caps[@]}" | sort -n)
	med=$(echo "$sorted" | sed -n "$(((REPS + 1) / 2))p")
	lo=$(echo "$sorted" | head -1 | cut -d' ' -f1)
	hi=$(echo "$sorted" | tail -1 | cut -d' ' -f1)
	cp "$TMP/$name.${med#* }.json" "$OUT/capacity-$name.json"
	local why
	why=$(python3 - "$OUT/capacity-$name.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["ramp"]
s = d["steps"][r["capacity_step"] - 1] if r["capacity_step"] else None
print("%s | %.2f | %s" % ("%.0f" % s["p99_us"] if s else "-", d["server"]["cpu_us_per_reply"],
                          r["reason"].replace("|", "/")))
EOF
)
	rows+=("| $name | ${med% *} | $lo-$hi | ${closed:-?} | $why |")
}

# As bench/side_by_side.sh: the single-threaded servers on CPU 0 and the
# load on the others (nice -10 both, on a shared machine); a worker per CPU
# gets every CPU, and the load shares them.
PIN_SRV=(nice -n -10 taskset -c 0) PIN_LOAD=(nice -n -10 taskset -c 1-$((NCPU - 1)))
[ "$NCPU" -ge 2 ] || PIN_LOAD=(nice -n -10)
LOADPIN=("${PIN_LOAD[@]}")
run rpcbind "${PIN_SRV[@]}" /usr/sbin/rpcbind -f -w
run ringbind-1 "${PIN_SRV[@]}" "$RB" -f -w --workers 1 --port 111 --state-dir /run/ringbind1
LOADPIN=(nice -n -10)
run ringbind-$NCPU nice -n -10 "$RB" -f -w --workers "$NCPU" --port 111 --state-dir /run/ringbindN

bash "$HERE/plot.sh" --out "$OUT/capacity" --title "UDP GETPORT, ramp" \
	"$OUT/capacity-rpcbind.json=rpcbind" "$OUT/capacity-ringbind-1.json=ringbind, 1 worker" \
	"$OUT/capacity-ringbind-$NCPU.json=ringbind, $NCPU workers" >&2
echo "| server | capacity replies/s (median of $REPS) | range | closed loop replies/s | p99 us at capacity | server CPU us/reply (whole run) | why the ramp stopped (median run) |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
