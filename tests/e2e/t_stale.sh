# Stale registrations (ringbind only): a registered service's port is
# released; SIGUSR1 lists the entry in STATE_DIR/stale, --reap-stale removes
# it durably, and without --reap-stale it is only reported.
t_main() {
	is_ringbind || skip "stale detection is ringbind's own"
	local Q1=0x20000501 Q2=0x20000502 Q3=0x20000503 state
	srv_start --reap-stale 1 || return
	state=$E2E_TMP/state.$E2E_SRV_N

	bg "$E2E_BIN/rb_e2e_holdport" tcp 4001
	local holder=$E2E_BG
	wait_for 5000 grep -q BOUND "$E2E_BG_LOG" || { fail "holdport did not bind"; return; }
	expect_result "SET of a service holding tcp 4001" "SUCCESS:00000001" udp 100000/2/1 pmap:$Q1,1,6,4001
	expect_result "SET of tcp 4002, held by nobody" "SUCCESS:00000001" udp 100000/2/1 pmap:$Q2,1,6,4002

	kill -USR1 "$E2E_SRV_PID"
	if wait_for 5000 grep -q "^$((Q2)) 1 tcp 0.0.0.0.15.162" "$state/stale"; then
		pass "SIGUSR1 lists the entry whose port nothing holds"
	else
		fail "no stale line for $Q2 in $state/stale"; cat "$state/stale" 2>&1 | sed 's/^/  | /'
	fi
	if grep -q "^$((Q1)) " "$state/stale"; then fail "the held port is listed as stale"
	else pass "the entry whose port is held is not stale"; fi

	kill "$holder"
	wait "$holder" 2>/dev/null
	kill -USR1 "$E2E_SRV_PID" # both are stale from now on
	# --reap-stale 1: an entry must stay stale a full second before it goes.
	sleep 1.2
	kill -USR1 "$E2E_SRV_PID"
	if wait_for 5000 eval '[ "$(rawcall udp 100000/2/3 pmap:'$Q1',1,6,0 | awk "{print \$2}")" = SUCCESS:00000000 ]'; then
		pass "--reap-stale removed the entry once its service was gone"
	else
		fail "entry $Q1 still registered after --reap-stale"
	fi
	expect_result "--reap-stale removed the never-held entry" "SUCCESS:00000000" udp 100000/2/3 pmap:$Q2,1,6,0
	if wait_for 2000 grep -q "reaped stale registration $((Q1)) 1 tcp" "$E2E_SRV_ERR"; then
		pass "a log line says what was reaped"
	else
		fail "no 'reaped stale registration' log line"
	fi
	srv_stop

	# The removal was durable; without --reap-stale entries are only listed.
	srv_start --state-dir "$state" || return
	expect_result "reaped entries stay gone after a restart" "SUCCESS:00000000" udp 100000/2/3 pmap:$Q1,1,6,0
	expect_result "SET of tcp 4003, held by nobody" "SUCCESS:00000001" udp 100000/2/1 pmap:$Q3,1,6,4003
	kill -USR1 "$E2E_SRV_PID"
	sleep 1.2
	kill -USR1 "$E2E_SRV_PID"
	if wait_for 5000 grep -q "^$((Q3)) 1 tcp" "$state/stale"; then pass "listed without --reap-stale"
	else fail "$Q3 not listed in $state/stale"; fi
	expect_result "without --reap-stale nothing is removed" "SUCCESS:00000fa3" udp 100000/2/3 pmap:$Q3,1,6,0
	srv_stop
}
