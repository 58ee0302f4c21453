#!/bin/bash
# ctest bench_load_remote: ringbind-load against a port mapper that is not
# on loopback. In a private network and mount namespace this test makes a
# second network namespace (the "server host"), joins the two with a veth
# pair (198.18.0.1/24 and fd00:2::1/64 here, 198.18.0.2 and fd00:2::2
# there: benchmark and documentation ranges), starts ringbind in it, and:
#   - drives it at 198.18.0.2 and [fd00:2::2] (UDP, TCP; GETPORT, GETADDR,
#     whose answer is merged with the remote address called);
#   - registers the mount-storm programs there (--prime over the server
#     host's loopback: port mappers take SET only from their own host),
#     runs --preset mount-storm over TCP, UDP and IPv6 from here, and checks
#     on the wire (bench/load/wirecheck.py, a packet socket on the server's
#     veth) that the calls are those mount.nfs sends.
# About 10 s.
#
#   test_remote.sh --load PATH --server PATH
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, no namespaces or veth here).
set -u

# shellcheck source=bench/load/test_lib.sh
. "$(dirname "$0")/test_lib.sh"
tl_args test_remote.sh "$@"
HERE=$(cd "$(dirname "$0")" && pwd)

if [ $INNER -eq 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
	for p in unshare ip timeout mount python3; do
		command -v $p >/dev/null 2>&1 || { echo "SKIP: needs $p"; exit 77; }
	done
	unshare -n -m --propagation private true 2>/dev/null ||
		{ echo "SKIP: cannot create network and mount namespaces here"; exit 77; }
	timeout -k 5 60 unshare -n -m --propagation private \
		bash "$0" --inner --load "$LOAD" --server "$SERVER"
	rc=$?
	[ $rc -eq 124 ] && echo "FAIL: timed out"
	exit $rc
fi

# Inside the namespaces.
PASSES=0 FAILS=0 PIDS="" NS=rbload$$
pass() { echo "PASS: $*"; PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
cleanup() {
	for p in $PIDS; do { kill -KILL "$p" && wait "$p"; } 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}
trap cleanup EXIT
ip link set lo up || { echo "FAIL: ip link set lo up"; exit 1; }
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "FAIL: tmpfs over /run"; exit 1; }
TMP=$(mktemp -d /tmp/rb-remote.XXXXXX) || exit 1
in_srv() { ip netns exec "$NS" "$@"; }

if ! ip netns add "$NS" 2>"$TMP/ns.err" || ! ip link add rbl0 type veth peer name rbl1 2>>"$TMP/ns.err"; then
	echo "SKIP: cannot make a network namespace and a veth pair here: $(cat "$TMP/ns.err")"
	exit 77
fi
ip link set rbl1 netns "$NS"
ip addr add 198.18.0.1/24 dev rbl0
ip -6 addr add fd00:2::1/64 dev rbl0 nodad
ip link set rbl0 up
in_srv ip link set lo up
in_srv ip addr add 198.18.0.2/24 dev rbl1
in_srv ip -6 addr add fd00:2::2/64 dev rbl1 nodad
in_srv ip link set rbl1 up

ip netns exec "$NS" "$SERVER" -f -w --workers 1 --port 111 --state-dir /run/ringbind-remote 2>"$TMP/server.err" &
SRV=$!
PIDS="$PIDS $SRV"
wait_line "$TMP/server.err" 'ringbind: ready' || { fail "ringbind not ready"; cat "$TMP/server.err"; exit 1; }

field() { grep '^RESULT ' "$TMP/out" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# ok NAME ARGS...: exit 0, replies, none wrong, no error replies.
ok() {
	local name=$1
	shift
	timeout 30 "$LOAD" "$@" >"$TMP/out" 2>&1
	local rc=$?
	if [ $rc -eq 0 ] && [ "$(field replies)" -gt 0 ] 2>/dev/null && [ "$(field wrong)" = 0 ] &&
		[ "$(field errors)" = 0 ]; then
		pass "$name: $(field replies) replies, 0 wrong ($(field rps)/s, p99 $(field p99_us) us)"
	else
		fail "$name: exit $rc, replies=$(field replies) wrong=$(field wrong) errors=$(field errors)"
		sed 's/^/  | /' "$TMP/out" | tail -12
	fi
}

ok "remote IPv4 udp getport 198.18.0.2" --server 198.18.0.2 --mode udp --keys 0 --duration 0.5
ok "remote IPv4 tcp getaddr 198.18.0.2:111" --server 198.18.0.2:111 --mode tcp --call getaddr \
	--conns 2 --duration 0.5
ok "remote IPv6 udp getaddr4 [fd00:2::2]" --server '[fd00:2::2]' --mode udp --call getaddr4 --keys 0 \
	--duration 0.5
ok "remote IPv4 open loop 2000/s" --server 198.18.0.2 --rate 2000 --duration 1

# Nothing answers at 198.18.0.9 (no such host on the link): every call times out,
# and the run says so (exit 1: no valid reply).
timeout 30 "$LOAD" --server 198.18.0.9 --duration 0.3 --timeout-ms 100 >"$TMP/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && [ "$(field replies)" = 0 ]; then pass "a silent remote address: no reply, exit 1"
else fail "a silent remote address: exit $rc, replies=$(field replies)"; fi

# mount-storm: register nfs, mountd and nlockmgr on the server host (both
# transports), then storm from here and look at the wire.
if in_srv timeout 30 "$LOAD" --preset mount-storm --mode prime >"$TMP/out" 2>&1 &&
	in_srv timeout 30 "$LOAD" --preset mount-storm --transport udp --mode prime >>"$TMP/out" 2>&1 &&
	in_srv timeout 30 "$LOAD" --server ::1 --preset mount-storm --mode prime >>"$TMP/out" 2>&1 &&
	in_srv timeout 30 "$LOAD" --server ::1 --preset mount-storm --transport udp --mode prime >>"$TMP/out" 2>&1; then
	pass "mount-storm --prime on the server host: $(grep -c 'complete=1' "$TMP/out") of 4"
else
	fail "mount-storm --prime"
	sed 's/^/  | /' "$TMP/out"
fi

# storm NAME PROTO FAMILY SERVER-ADDR LOAD-ARGS...
storm() {
	local name=$1 proto=$2 family=$3 addr=$4
	shift 4
	ip netns exec "$NS" python3 "$HERE/wirecheck.py" --iface rbl1 --proto "$proto" --family "$family" \
		--server "$addr" --min 30 >"$TMP/wire" 2>&1 &
	local cap=$!
	PIDS="$PIDS $cap"
	wait_line "$TMP/wire" 'wirecheck: ready' || { fail "$name: wirecheck not ready"; cat "$TMP/wire"; return; }
	timeout 30 "$LOAD" "$@" --count 60 >"$TMP/out" 2>&1
	local rc=$?
	sleep 0.2
	kill -TERM $cap
	wait $cap
	local wrc=$?
	if [ $rc -eq 0 ] && [ "$(field replies)" = 60 ] && [ "$(field wrong)" = 0 ] && [ $wrc -eq 0 ]; then
		pass "$name: 60 replies, 0 wrong; $(tail -1 "$TMP/wire")"
	else
		fail "$name: load exit $rc, replies=$(field replies) wrong=$(field wrong); wirecheck exit $wrc"
		sed 's/^/  | /' "$TMP/out" | tail -8
		sed 's/^/  | /' "$TMP/wire"
	fi
}
storm "mount-storm TCP, IPv4" tcp inet 198.18.0.2 --server 198.18.0.2 --preset mount-storm
storm "mount-storm UDP, IPv4" udp inet 198.18.0.2 --server 198.18.0.2 --preset mount-storm --transport udp
storm "mount-storm TCP, IPv6" tcp inet6 fd00:2::2 --server fd00:2::2 --preset mount-storm

# The checker is not blind: a plain GETPORT storm for program 100000
# (not what mount.nfs asks) must be rejected on the wire.
ip netns exec "$NS" python3 "$HERE/wirecheck.py" --iface rbl1 --proto tcp --family inet --min 1 >"$TMP/wire" 2>&1 &
cap=$!
PIDS="$PIDS $cap"
wait_line "$TMP/wire" 'wirecheck: ready'
timeout 30 "$LOAD" --server 198.18.0.2 --mode storm --keys 0 --count 20 >"$TMP/out" 2>&1
sleep 0.2
kill -TERM $cap
wait $cap
wrc=$?
if [ $wrc -eq 1 ] && grep -q 'MISMATCH: asks for 100000' "$TMP/wire"; then
	pass "wirecheck rejects calls mount.nfs does not send"
else
	fail "wirecheck accepted a GETPORT of 100000 (exit $wrc)"
	sed 's/^/  | /' "$TMP/wire"
fi

if kill -0 $SRV 2>/dev/null; then pass "ringbind alive after the remote load"
else fail "ringbind died"; tail -20 "$TMP/server.err"; fi
echo "bench_load_remote: $PASSES passed, $FAILS failed"
[ $FAILS -eq 0 ]
