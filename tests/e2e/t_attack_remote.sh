# Attack suite, a non-local source (ringbind only): a second network
# namespace, inside this test's own, joined by a veth pair; addresses from
# 198.18.0.0/15 on the pair only (attack_lib.sh: remote_setup). The server
# listens on all addresses (the default). Checked from 198.18.0.2:
#   - UDP DUMP v2/v3/v4, GETSTAT, GETADDRLIST: SYSTEM_ERR of 24 bytes (no
#     larger than the call); nothing with --udp-refuse drop; the full answer
#     with --trusted-net 198.18.0.0/15
#   - every UDP reply no larger than its call, for a mix of calls, GETADDR
#     of a long IPv6 address registered under "udp" among them
#   - the same DUMPs over TCP answered in full (TCP does not reflect)
#   - SET/UNSET refused (AUTH_ERROR TOOWEAK); accepted with -i
#   - response-rate limiting: --rrl-rate 100 --rrl-burst 100
#   - GETSTAT over TCP, 2,000 calls in about 1 s: answered from each
#     worker's cached merge, refreshed at most every RB_GETSTAT_CACHE_MS
#     (counted in /metrics); from loopback, merged now and exact
# Each attack framed by the server's RSS and a NULL over UDP and TCP.
. "$E2E_DIR/attack_lib.sh"

# A program registered (root, over the local socket) under netid udp with
# a 47-byte address: a GETADDR reply (76 bytes) outgrows its call (60).
ATK_LONG_PROG=400100
ATK_LONG_ADDR=fe80:1234:5678:9abc:def0:1234:5678:9abc.255.254

t_main() {
	atk_need || return
	remote_setup || return

	# --- defaults: the reflection guard answers SYSTEM_ERR
	srv_start || return
	expect_result "root registers $ATK_LONG_PROG with a long address" 'SUCCESS:00000001' \
		local 100000/3/1 "rpcb:$ATK_LONG_PROG,1,udp,$ATK_LONG_ADDR,x"
	expect_result "from loopback, GETADDR of $ATK_LONG_PROG is answered in full" \
		"SUCCESS:0000002f$(printf %s "$ATK_LONG_ADDR" | od -An -tx1 | tr -d ' \n')00" \
		udp 100000/3/3 "rpcb:$ATK_LONG_PROG,1,,,"
	attack_begin "UDP amplification from $ATK_THERE"
	ratk 20 -L $ATK_LONG_PROG amp error
	ratk 10 null
	attack_end 1024 "a few calls"

	attack_begin "DUMP over TCP from $ATK_THERE"
	ratk 10 dumptcp
	attack_end 1024 "three connections"

	attack_begin "SET/UNSET from $ATK_THERE"
	rexpect "PMAP SET over UDP from $ATK_THERE: TOOWEAK" 'AUTH_ERROR:5' udp 100000/2/1 pmap:400200,1,17,2049
	rexpect "PMAP SET over TCP from $ATK_THERE: TOOWEAK" 'AUTH_ERROR:5' tcp 100000/2/1 pmap:400200,1,6,2049
	rexpect "PMAP UNSET over UDP from $ATK_THERE: TOOWEAK" 'AUTH_ERROR:5' udp 100000/2/2 pmap:100000,2,0,0
	rexpect "v3 SET over UDP from $ATK_THERE: TOOWEAK" 'AUTH_ERROR:5' udp 100000/3/1 rpcb:400200,1,udp,198.18.0.2.8.1,x
	rexpect "v4 SET over TCP from $ATK_THERE: TOOWEAK" 'AUTH_ERROR:5' tcp 100000/4/1 rpcb:400200,1,tcp,198.18.0.2.8.1,x
	rexpect "v3 UNSET over UDP from $ATK_THERE: TOOWEAK" 'AUTH_ERROR:5' udp 100000/3/2 "rpcb:$ATK_LONG_PROG,1,udp,,"
	rexpect "v4 UNSET over TCP from $ATK_THERE: TOOWEAK" 'AUTH_ERROR:5' tcp 100000/4/2 rpcb:100000,4,,,
	if is_ringbind; then
		if wait_for 2000 grep -q "refused SET from $ATK_THERE\.[0-9]*\.[0-9]* over udp: not a local caller" "$E2E_SRV_ERR"; then
			pass "a refused SET is logged with the peer and the reason"
		else
			fail "no 'refused SET from $ATK_THERE' log line"
		fi
	fi
	expect_result "nothing was registered: GETPORT 400200 is 0" 'SUCCESS:00000000' udp 100000/2/3 pmap:400200,1,17,0
	expect_result "nothing was removed: $ATK_LONG_PROG is still there" 'SUCCESS:0000002f*' \
		udp 100000/3/3 "rpcb:$ATK_LONG_PROG,1,,,"
	expect_result "nothing was removed: 100000 v4 is still there" 'SUCCESS:0000000f*' tcp 100000/4/3 rpcb:100000,4,,,
	attack_end 1024 "a few calls"
	srv_stop

	# --- --udp-refuse drop: no reply at all to the guarded calls
	srv_start --udp-refuse drop || return
	expect_result "root registers $ATK_LONG_PROG with a long address" 'SUCCESS:00000001' \
		local 100000/3/1 "rpcb:$ATK_LONG_PROG,1,udp,$ATK_LONG_ADDR,x"
	attack_begin "UDP amplification from $ATK_THERE, --udp-refuse drop"
	ratk 20 -L $ATK_LONG_PROG amp drop
	ratk 10 dumptcp
	attack_end 1024 "a few calls"
	srv_stop

	# --- --trusted-net: the full answers
	srv_start --trusted-net 198.18.0.0/15 || return
	expect_result "root registers $ATK_LONG_PROG with a long address" 'SUCCESS:00000001' \
		local 100000/3/1 "rpcb:$ATK_LONG_PROG,1,udp,$ATK_LONG_ADDR,x"
	attack_begin "UDP from $ATK_THERE, --trusted-net 198.18.0.0/15"
	ratk 20 -L $ATK_LONG_PROG amp full
	attack_end 1024 "a few calls"
	srv_stop

	# --- -i: SET/UNSET from any host
	srv_start -i || return
	attack_begin "SET/UNSET from $ATK_THERE with -i"
	rexpect "-i: PMAP SET over UDP from $ATK_THERE accepted" 'SUCCESS:00000001' udp 100000/2/1 pmap:400200,1,17,2049
	expect_result "-i: GETPORT 400200 is 2049" 'SUCCESS:00000801' udp 100000/2/3 pmap:400200,1,17,0
	rexpect "-i: PMAP UNSET over UDP from $ATK_THERE accepted" 'SUCCESS:00000001' udp 100000/2/2 pmap:400200,1,0,0
	expect_result "-i: GETPORT 400200 is 0 again" 'SUCCESS:00000000' udp 100000/2/3 pmap:400200,1,17,0
	rexpect "-i: v4 SET over TCP from $ATK_THERE accepted" 'SUCCESS:00000001' tcp 100000/4/1 rpcb:400201,1,tcp,198.18.0.2.8.1,x
	rexpect "-i: v4 UNSET over TCP from $ATK_THERE accepted" 'SUCCESS:00000001' tcp 100000/4/2 rpcb:400201,1,tcp,,
	attack_end 1024 "a few calls"
	srv_stop

	# --- response-rate limiting: 100 replies/s, a bucket of 100, per /24
	srv_start --workers 2 --rrl-rate 100 --rrl-burst 100 || return
	attack_begin "2,000 GETPORTs from $ATK_THERE, --rrl-rate 100 --rrl-burst 100, 2 workers"
	# Each worker has a shard with half the rate and the burst (issue 16):
	# one socket's datagrams hash to one worker, so its bucket (50) plus
	# 50/s while the burst lasts
	ratk 20 rrl 2000 50 100
	# loopback is never limited
	atk 20 window 2000
	ratk 10 null
	attack_end 1024 "a token bucket per worker"
	srv_stop

	# --- GETSTAT from an untrusted source: answered from each worker's
	# cached merge, refreshed at most every RB_GETSTAT_CACHE_MS (100 ms,
	# net/base/limits.h); loopback still gets a merge made now
	srv_start --workers 2 --metrics "$ATK_METRICS" || return
	# the metrics page's buffers are touched on first use (not growth)
	atk_metric ringbind_workers >/dev/null
	attack_begin "2,000 GETSTATs over TCP from $ATK_THERE in about 1 s, 2 workers"
	local refresh cached merged w bound elapsed
	ratk 20 getstat 2000 1000 100
	# (atk_run keeps the helper's output in atk.N)
	elapsed=$(awk '$1 == "getstat_elapsed_ms" { print $2 }' "$E2E_TMP/atk.$ATK_N")
	if [ -n "$elapsed" ]; then
		bound=$((elapsed / 100 + 1))
		for w in 0 1; do
			refresh=$(atk_metric "ringbind_worker_getstat_cache_refreshes_total{worker=\"$w\"}")
			if [ -n "$refresh" ] && [ "$refresh" -le "$bound" ]; then
				pass "worker $w merged GETSTAT for untrusted callers $refresh times in $elapsed ms (at most $bound)"
			else
				fail "worker $w merged GETSTAT for untrusted callers '$refresh' times in $elapsed ms, over $bound"
			fi
		done
		refresh=$(atk_metric 'ringbind_getstat_total{answer="cache_refresh"}')
		cached=$(atk_metric 'ringbind_getstat_total{answer="cached"}')
		if [ -n "$refresh" ] && [ -n "$cached" ] && [ $((refresh + cached)) -eq 2000 ] && [ "$cached" -gt 0 ]; then
			pass "the 2,000 untrusted GETSTATs: $refresh merged (cache refreshes), $cached from the cache"
		else
			fail "the 2,000 untrusted GETSTATs: '$refresh' cache refreshes + '$cached' cached answers"
		fi
	else
		fail "getstat: no elapsed time reported"
	fi
	# loopback (trusted): a merge made now, exact after each lookup
	atk 20 getstatfresh 50
	merged=$(atk_metric 'ringbind_getstat_total{answer="merged"}')
	if [ -n "$merged" ] && [ "$merged" -ge 51 ]; then
		pass "loopback GETSTATs merged now: $merged"
	else
		fail "loopback GETSTATs merged now: '$merged', expected at least 51"
	fi
	# (calls paced over a second take, one after another, every buffer of
	# a worker's io_uring TCP receive ring: RB_URING_TCP_BUFS x 4 KiB,
	# 1 MiB each, first touched here; epoll has none)
	attack_end 3072 "a cached merge per worker, and up to 2 x 1 MiB of io_uring receive buffers first touched"
	srv_stop

	remote_cleanup
}
