# The stale scan does not hold up SET/UNSET (ringbind only): with every
# read of the kernel's socket tables (/proc/net/*) slowed to 4 s by
# tests/e2e/faultshim.c, a scan takes at least 16 s; SIGUSR1 starts one,
# and 50 SETs and 50 UNSETs over the AF_LOCAL socket (answered by the
# control thread, which acknowledges every change) must each be answered
# within 1 s while it runs (each is one group commit, an fdatasync: the
# total depends on the disk, and is only reported). With the scan on the
# control thread, a call waits out the slowed read and times out. The
# scan's list then still arrives, and the daemon stops within the read it
# is in (the scan thread is cancelled and joined).
t_main() {
	is_ringbind || skip "the stale scan is ringbind's own"
	local shim=$E2E_BIN/rb_e2e_faultshim.so flag=$E2E_TMP/procnet.slow state i r t0 t1
	local P=0x20000601 ok=0
	[ -f "$shim" ] || { fail "$shim missing"; return; }
	local asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	rm -f "$flag"
	ASAN_OPTIONS=$asan LD_PRELOAD=$shim RB_FAULT_PROCNET_FLAG=$flag RB_FAULT_PROCNET_MS=4000 \
		srv_start --workers 1 || return
	state=$E2E_TMP/state.$E2E_SRV_N

	# A first scan at full speed, done before the slow one begins.
	kill -USR1 "$E2E_SRV_PID"
	wait_for 5000 test -f "$state/stale" || { fail "no list after a fast scan"; return; }
	rm -f "$state/stale"

	touch "$flag"
	kill -USR1 "$E2E_SRV_PID"
	sleep 0.3 # the scan is now in its first slowed read
	t0=$(now_ms)
	for i in $(seq 1 50); do
		r=$(rawcall local,t=1000 100000/2/1 "pmap:$((P)),$i,6,$((5000 + i))" | awk '{print $2}')
		[ "$r" = SUCCESS:00000001 ] || break
		r=$(rawcall local,t=1000 100000/2/2 "pmap:$((P)),$i,6,0" | awk '{print $2}')
		[ "$r" = SUCCESS:00000001 ] || break
		ok=$((ok + 1))
	done
	t1=$(now_ms)
	note "$ok SET+UNSET pairs answered in $((t1 - t0)) ms during a slowed scan"
	if [ -f "$state/stale" ]; then
		fail "the slowed scan had already ended: the test proves nothing"
	elif [ "$ok" -eq 50 ]; then
		pass "50 SETs and 50 UNSETs each answered within 1 s during the scan"
	else
		fail "SET/UNSET held up by the scan: $ok of 50 pairs answered, $((t1 - t0)) ms"
	fi
	expect_result "GETPORT over local during the scan" "SUCCESS:00000000" \
		local,t=1000 100000/2/3 "pmap:$((P)),1,6,0"
	rm -f "$flag"
	if wait_for 8000 test -f "$state/stale"; then
		pass "the slowed scan's list is written when it ends"
	else
		fail "no list from the slowed scan"
	fi

	# Stopping during a slowed scan: the thread is cancelled and joined
	# (ASan reports a leak otherwise), within about one slowed read.
	touch "$flag"
	kill -USR1 "$E2E_SRV_PID"
	sleep 0.3
	t0=$(now_ms)
	srv_stop
	t1=$(now_ms)
	rm -f "$flag"
	[ $((t1 - t0)) -lt 6000 ] && pass "stopped during a scan in $((t1 - t0)) ms" ||
		fail "stopping during a scan took $((t1 - t0)) ms"
}
