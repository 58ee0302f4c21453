#!/bin/bash
# ctest bench_load: every ringbind-load mode, briefly, against ringbind (and
# the floor server) in a private network and mount namespace. Each run must
# have validated replies and no wrong answer; a deliberately wrong
# expectation must be caught; an unroutable target fails setup (exit 3).
#
#   test_load.sh --load PATH --floor PATH --server PATH
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, or no namespaces here).
set -u

# shellcheck source=bench/load/test_lib.sh
. "$(dirname "$0")/test_lib.sh"
tl_args test_load.sh "$@"

if [ $INNER -eq 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace)"; exit 77; }
	for p in unshare ip timeout mount; do
		command -v $p >/dev/null 2>&1 || { echo "SKIP: needs $p"; exit 77; }
	done
	unshare -n -m --propagation private true 2>/dev/null ||
		{ echo "SKIP: cannot create network and mount namespaces here"; exit 77; }
	timeout -k 5 100 unshare -n -m --propagation private \
		bash "$0" --inner --load "$LOAD" --floor "$FLOOR" --server "$SERVER"
	rc=$?
	[ $rc -eq 124 ] && echo "FAIL: timed out"
	exit $rc
fi

# Inside the namespaces.
PASSES=0 FAILS=0 PIDS=""
pass() { echo "PASS: $*"; PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}
trap cleanup EXIT
ip link set lo up || { echo "FAIL: ip link set lo up"; exit 1; }
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "FAIL: tmpfs over /run"; exit 1; }
mkdir -p /run/rpcbind
TMP=$(mktemp -d /tmp/rb-load.XXXXXX) || exit 1

"$SERVER" -f -w --workers 1 --port 111 --state-dir /run/ringbind 2>"$TMP/server.err" &
SRV=$!
PIDS="$PIDS $SRV"
wait_line "$TMP/server.err" 'ringbind: ready' || { fail "ringbind not ready"; cat "$TMP/server.err"; exit 1; }
"$FLOOR" --port 1120 2>"$TMP/floor.err" &
FL=$!
PIDS="$PIDS $FL"
wait_line "$TMP/floor.err" 'ringbind-floor: ready' || { fail "floor not ready"; exit 1; }
# The floor answering from each datagram's arrival address (--pktinfo).
"$FLOOR" --port 1121 --pktinfo 2>"$TMP/floor4p.err" &
PIDS="$PIDS $!"
"$FLOOR" --port 1122 --host ::1 --pktinfo 2>"$TMP/floor6p.err" &
PIDS="$PIDS $!"
for f in floor4p floor6p; do
	wait_line "$TMP/$f.err" 'ringbind-floor: ready' || { fail "$f not ready"; exit 1; }
done

# field NAME: a key's value in the last RESULT line of $TMP/out.
field() { grep '^RESULT ' "$TMP/out" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# ok NAME ARGS...: a run that must exit 0 with replies, none wrong, no error
# replies, and (on a noisy machine) at most 1% timeouts.
N=0
ok() {
	local name=$1
	shift
	N=$((N + 1))
	timeout 30 "$LOAD" "$@" >"$TMP/out" 2>&1
	local rc=$? replies wrong errors timeouts
	replies=$(field replies) wrong=$(field wrong) errors=$(field errors) timeouts=$(field timeouts)
	if [ $rc -eq 0 ] && [ "${replies:-0}" -gt 0 ] && [ "$wrong" = 0 ] && [ "$errors" = 0 ] &&
		[ $((${timeouts:-1} * 100)) -le "${replies:-0}" ]; then
		pass "$name: $replies replies, 0 wrong ($(field rps)/s, p99 $(field p99_us) us)"
	else
		fail "$name: exit $rc, replies=$replies wrong=$wrong errors=$errors timeouts=$timeouts"
		sed 's/^/  | /' "$TMP/out" | tail -12
	fi
}

timeout 60 "$LOAD" --mode prime --prime 200 --prime-proto both --server-pid $SRV >"$TMP/out" 2>&1
if [ $? -eq 0 ] && [ "$(grep '^RESULT' "$TMP/out" | sed -n 's/.*acked=\([0-9]*\).*/\1/p')" = 400 ]; then
	pass "prime: 200 programs, udp and tcp"
else
	fail "prime"
	sed 's/^/  | /' "$TMP/out"
fi

ok "udp getport" --mode udp --keys 200 --miss 10 --duration 1 --server-pid $SRV
ok "udp getaddr v3" --mode udp --call getaddr --keys 200 --miss 10 --duration 1
ok "udp getversaddr v4, program 100000" --mode udp --call getversaddr --keys 0 --duration 0.5
ok "tcp getport 4x4" --mode tcp --keys 200 --conns 4 --window 4 --duration 1 --server-pid $SRV
ok "tcp getaddr4, 2 threads" --mode tcp --call getaddr4 --keys 200 --threads 2 --duration 0.5
ok "tcp dump" --mode tcp --call dump --keys 200 --conns 1 --window 1 --duration 0.5
ok "tcp dump3" --mode tcp --call dump3 --keys 200 --conns 1 --window 1 --duration 0.5
ok "storm" --mode storm --keys 200 --window 4 --duration 1 --server-pid $SRV
ok "ustorm" --mode ustorm --keys 200 --window 4 --duration 1
ok "mix udp 5%" --mode mix --churn 5 --keys 200 --duration 1
ok "mix tcp 5%" --mode mix --transport tcp --churn 5 --keys 200 --conns 2 --duration 0.5
ok "idle connections" --mode udp --keys 200 --idle-conns 50 --duration 0.5
ok "ipv6 ::1 getaddr" --host ::1 --mode udp --call getaddr --keys 0 --duration 0.5
ok "floor udp" --port 1120 --mode udp --keys 0 --duration 0.5
ok "floor udp getaddr" --port 1120 --mode udp --call getaddr --keys 0 --duration 0.5
ok "floor --pktinfo ustorm" --port 1121 --mode ustorm --keys 0 --window 4 --duration 0.5
ok "floor --pktinfo ::1 getaddr" --port 1122 --host ::1 --mode udp --call getaddr --keys 0 --duration 0.5

timeout 30 "$LOAD" --mode udp --keys 200 --count 5000 >"$TMP/out" 2>&1
if [ $? -eq 0 ] && [ "$(field replies)" = 5000 ]; then pass "--count 5000: 5000 replies"
else fail "--count 5000: replies=$(field replies)"; fi

# Keys 200..399 were never registered: their answers (port 0) are wrong.
timeout 30 "$LOAD" --mode udp --keys 400 --duration 0.5 >"$TMP/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && [ "$(field wrong)" -gt 0 ] && [ "$(field replies)" -gt 0 ]; then
	pass "wrong answers are caught: $(field wrong) wrong, exit 1"
else
	fail "wrong answers not caught: exit $rc, wrong=$(field wrong)"
fi

# Any address may be a target now (bench_load_remote drives one in a
# namespace of its own); in this namespace 192.0.2.1 has no route: the
# setup fails, and says why.
timeout 10 "$LOAD" --server 192.0.2.1 --duration 0.2 >"$TMP/out" 2>&1
rc=$?
if [ $rc -eq 3 ] && grep -q 'unreachable' "$TMP/out"; then pass "an unroutable target: setup failed, exit 3"
else fail "an unroutable target: exit $rc"; sed 's/^/  | /' "$TMP/out"; fi

if kill -0 $SRV 2>/dev/null; then
	kill -TERM $SRV
	wait $SRV
	rc=$?
	[ $rc -eq 0 ] && pass "ringbind exits 0 after the load" || fail "ringbind exit status $rc"
else
	fail "ringbind died under the load"
	tail -20 "$TMP/server.err"
fi
echo "bench_load: $PASSES passed, $FAILS failed"
[ $FAILS -eq 0 ]
