# Operations (ringbind only): the metrics endpoint (Prometheus text checked
# with promtool when it is installed, counters that move with real calls),
# /healthz and /readyz, bounded HTTP connections, the config file (a bad
# value refuses the start naming file, line and key) and SIGHUP reload
# (run-time options applied, registrations and connections kept, a bad
# file changing nothing).
M=127.0.0.1:9111

metric() { # metric NAME_AND_LABELS: prints its value (0 when absent)
	curl -s --max-time 5 "http://$M/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

t_main() {
	is_ringbind || skip "the metrics endpoint and config file are ringbind's own"
	command -v curl >/dev/null || skip "needs curl"
	local conf=$E2E_TMP/ringbind.conf Q=0x20000601
	printf '[ringbind]\nlog-level = info\nidle-timeout = 60000\n' >"$conf"
	srv_start --config "$conf" || return

	# Health.
	if [ "$(curl -s --max-time 5 "http://$M/healthz")" = ok ]; then pass "/healthz answers ok"
	else fail "/healthz did not answer ok"; fi
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$M/readyz")
	if [ "$code" = 200 ]; then pass "/readyz is 200 with every worker running"
	else fail "/readyz answered $code"; fi
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$M/nothing")
	if [ "$code" = 404 ]; then pass "an unknown path is 404"; else fail "unknown path: $code"; fi

	# Counters move with real calls.
	local k='ringbind_requests_total{version="2",procedure="getport",transport="udp",result="success"}'
	local before after
	before=$(metric "$k")
	for _ in 1 2 3 4 5; do rawcall udp 100000/2/3 pmap:100000,2,17,0 >/dev/null; done
	after=$(metric "$k")
	if [ "$((after - before))" -eq 5 ]; then pass "5 UDP GETPORT calls count 5 in ringbind_requests_total"
	else fail "GETPORT counter went from $before to $after (expected +5)"; fi
	expect_result "SET over UDP from loopback" "SUCCESS:00000001" udp 100000/2/1 pmap:$Q,1,6,4100
	k='ringbind_requests_total{version="2",procedure="set",transport="udp",result="success"}'
	if [ "$(metric "$k")" -ge 1 ]; then pass "the SET is counted once durable"
	else fail "no $k"; fi
	local regs
	regs=$(metric ringbind_registrations)
	if [ "$regs" -ge 10 ]; then pass "ringbind_registrations counts the registry ($regs)"
	else fail "ringbind_registrations is $regs"; fi
	if [ "$(metric ringbind_request_duration_seconds_count)" -ge 6 ]; then
		pass "the duration histogram counts the calls"
	else fail "ringbind_request_duration_seconds_count too small"; fi
	E2E_OUT=$E2E_TMP/metrics.txt
	curl -s --max-time 5 "http://$M/metrics" >"$E2E_OUT"
	expect "backend info" '^ringbind_backend_info\{backend="(io_uring|epoll)"\} 1$'
	expect "build info" '^ringbind_build_info\{version="[0-9.]+"\} 1$'
	expect "dropped_total by reason" '^ringbind_dropped_total\{reason="no_reply"\} [0-9]+$'
	expect "rate_limited_total" '^ringbind_rate_limited_total [0-9]+$'
	expect "connections gauge" '^ringbind_connections\{transport="tcp"\} [0-9]+$'
	expect "stale gauge" '^ringbind_registrations_stale [0-9]+$'
	expect_not "no client address in any label" '127\.0\.0\.1'
	if command -v promtool >/dev/null; then
		if promtool check metrics <"$E2E_OUT" >"$E2E_TMP/promtool.out" 2>&1; then
			pass "promtool check metrics accepts the exposition"
		else
			fail "promtool check metrics:"; sed 's/^/  | /' "$E2E_TMP/promtool.out" | head -20
		fi
	else
		note "promtool not installed: exposition format not checked here"
	fi

	# The HTTP endpoint is bounded: 64 silent connections neither block it
	# for long nor stop lookups.
	local pids="" i
	for i in $(seq 1 64); do
		timeout 8 bash -c "exec 3<>/dev/tcp/127.0.0.1/9111; sleep 7" 2>/dev/null &
		pids="$pids $!"
	done
	E2E_PIDS="$E2E_PIDS $pids"
	sleep 0.5
	expect_result "lookups answered while 64 idle HTTP connections are open" "SUCCESS:0000006f" udp 100000/2/3 pmap:100000,2,17,0
	local t0
	t0=$(now_ms)
	if wait_for 8000 eval '[ "$(curl -s --max-time 1 http://$M/healthz)" = ok ]'; then
		pass "/healthz answers again within $(($(now_ms) - t0)) ms despite the idle connections (RB_HTTP_TIMEOUT_MS)"
	else
		fail "/healthz never answered while idle connections were open"
	fi
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null

	# SIGHUP: a run-time option changes (debug log lines appear), a restart
	# option is reported, registrations and an open connection survive.
	exec 5<>/dev/tcp/127.0.0.1/111 || { fail "cannot open a TCP connection"; return; }
	printf '[ringbind]\nlog-level = debug\nidle-timeout = 30000\nport = 112\ntrusted-net = 192.0.2.0/24\n' >"$conf"
	kill -HUP "$E2E_SRV_PID"
	if wait_for 3000 grep -q "SIGHUP: configuration reloaded" "$E2E_SRV_ERR"; then pass "SIGHUP reloads the file"
	else fail "no reload line"; fi
	if grep -q "SIGHUP: port changed: applied at the next restart only" "$E2E_SRV_ERR"; then
		pass "a restart-only option is reported, not applied"
	else fail "no line about port needing a restart"; fi
	sleep 0.3
	rawcall udp 100000/2/0 >/dev/null
	if wait_for 3000 grep -q "debug: udp" "$E2E_SRV_ERR"; then pass "log-level = debug took effect in the workers"
	else fail "no debug line after the reload"; fi
	expect_result "the registration survived the reload" "SUCCESS:00001004" udp 100000/2/3 pmap:$Q,1,6,0
	expect_result "still on port 111 after the reload" "SUCCESS:0000006f" udp 100000/2/3 pmap:100000,2,17,0
	# A PMAP NULL over the connection opened before the reload.
	printf '\x80\x00\x00\x28\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01\x86\xa0\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >&5
	local reply
	reply=$(timeout 3 head -c 28 <&5 | od -An -tx1 | tr -d ' \n')
	exec 5>&-
	if [ "${reply:8:8}" = 0000002a ]; then pass "a TCP connection opened before the reload is still served"
	else fail "no reply on the old connection: '$reply'"; fi
	if [ "$(metric ringbind_config_generation)" -eq 1 ]; then pass "ringbind_config_generation is 1"
	else fail "config generation not 1"; fi

	# A bad file on SIGHUP changes nothing and names the line.
	printf '[ringbind]\nlog-level = info\nmax-conn = lots\n' >"$conf"
	kill -HUP "$E2E_SRV_PID"
	if wait_for 3000 grep -q "SIGHUP: $conf:3: max-conn = lots: --max-conn: expected" "$E2E_SRV_ERR"; then
		pass "a bad value on reload is refused, naming file, line and key"
	else fail "no error line naming $conf:3"; grep SIGHUP "$E2E_SRV_ERR" | tail -3; fi
	if [ "$(metric ringbind_config_generation)" -eq 1 ]; then pass "the bad file was not applied"
	else fail "the bad file changed the configuration"; fi
	srv_check_alive "after the reloads"

	# A second daemon in the same namespace refuses to start, cleanly
	# (this path once crashed on its way out).
	local out2 rc2
	out2=$(timeout 10 $E2E_SERVER --port 1113 --metrics 127.0.0.1:9112 --state-dir "$E2E_TMP/st.second" 2>&1)
	rc2=$?
	if [ $rc2 -eq 1 ] && echo "$out2" | grep -q "another port mapper is serving on /run/rpcbind.sock"; then
		pass "a second daemon refuses to start, exit 1, no crash"
	else fail "second daemon: rc $rc2, '$out2'"; fi
	srv_stop

	# At start, a bad file refuses to start, naming the line and key.
	printf '# comment\n[ringbind]\nworkers = 2\nrrl-rate = fast\n' >"$conf"
	local out rc
	out=$($E2E_SERVER --config "$conf" --state-dir "$E2E_TMP/st.bad" 2>&1)
	rc=$?
	if [ $rc -eq 2 ] && echo "$out" | grep -q "$conf:4: rrl-rate = fast: --rrl-rate: expected 0..10000000"; then
		pass "a bad config file stops the start with file:line: key (exit 2)"
	else fail "bad config at start: rc $rc, '$out'"; fi
	printf '[other]\nworkers = 2\n' >"$conf"
	out=$($E2E_SERVER --config "$conf" 2>&1)
	if echo "$out" | grep -q "$conf:2: unknown section \[other\]"; then pass "an unknown section is refused"
	else fail "unknown section: '$out'"; fi
	out=$($E2E_SERVER --config "$E2E_TMP/missing.conf" 2>&1)
	if echo "$out" | grep -q "missing.conf: No such file"; then pass "a missing --config file is an error"
	else fail "missing --config: '$out'"; fi
}
