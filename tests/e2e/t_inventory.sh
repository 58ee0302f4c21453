# Registration inventory in /metrics (ringbind only, issue 18): one
# ringbind_registration_info series per registration with the program's
# name from /etc/rpc, version, netid, port, owner and the stale flag of the
# last scan; label values a client chose are escaped; at most
# RB_INVENTORY_MAX (512) series, the rest counted in
# ringbind_registration_info_omitted. About 5 s.
M=127.0.0.1:9111
CAP=512

t_main() {
	is_ringbind || skip "the inventory is ringbind's own"
	command -v curl >/dev/null || skip "needs curl"
	local Q1=0x20000701 Q2=0x20000702 Q3=0x20000703 out=$E2E_TMP/metrics.txt
	srv_start || return
	bg "$E2E_BIN/rb_e2e_holdport" tcp 4701
	wait_for 5000 grep -q BOUND "$E2E_BG_LOG" || { fail "holdport did not bind"; return; }
	expect_result "SET of a held port" "SUCCESS:00000001" udp 100000/2/1 pmap:$Q1,1,6,4701
	expect_result "SET of a port nothing holds" "SUCCESS:00000001" udp 100000/2/1 pmap:$Q2,1,6,4702
	# A netid with a quote and a backslash.
	expect_result "SET with an odd netid" "SUCCESS:00000001" udp 100000/3/1 "rpcb:$Q3,1,t\"c\\p,0.0.0.0.18.95,x"
	kill -USR1 "$E2E_SRV_PID" # a stale scan now
	wait_for 5000 grep -q "^$((Q2)) " "$E2E_TMP/state.$E2E_SRV_N/stale" || note "no stale list yet"
	curl -s --max-time 5 "http://$M/metrics" >"$out"
	E2E_OUT=$out
	expect "portmapper's own registration, named from /etc/rpc" \
		'^ringbind_registration_info\{prog="100000",program="portmapper",vers="4",netid="tcp",port="111",owner="superuser",stale="0"\} 1$'
	expect "the held port is not stale" \
		"^ringbind_registration_info\\{prog=\"$((Q1))\",program=\"\",vers=\"1\",netid=\"tcp\",port=\"4701\",owner=\"unknown\",stale=\"0\"\\} 1$"
	expect "the port nothing holds is stale" \
		"^ringbind_registration_info\\{prog=\"$((Q2))\",program=\"\",vers=\"1\",netid=\"tcp\",port=\"4702\",owner=\"unknown\",stale=\"1\"\\} 1$"
	expect "a client's netid is escaped" \
		"^ringbind_registration_info\\{prog=\"$((Q3))\",program=\"\",vers=\"1\",netid=\"t\\\\\"c\\\\\\\\p\",port=\"\",owner=\"[^\"]*\",stale=\"[01]\"\\} 1$"
	expect "nothing omitted yet" '^ringbind_registration_info_omitted 0$'
	if command -v promtool >/dev/null; then
		if promtool check metrics <"$out" >"$E2E_TMP/promtool.out" 2>&1; then
			pass "promtool check metrics accepts the inventory"
		else
			fail "promtool check metrics:"; sed 's/^/  | /' "$E2E_TMP/promtool.out" | head
		fi
	fi

	# Past the cap: 600 more registrations.
	local i batch=$E2E_TMP/sets.txt
	for i in $(seq 1 600); do
		echo "s$i udp 100000/2/1 pmap:$((0x20001000 + i)),1,17,$((5000 + i))"
	done >"$batch"
	rawcall -b <"$batch" | grep -vc SUCCESS:00000001 >"$E2E_TMP/setfails" || true
	local regs series omitted
	curl -s --max-time 5 "http://$M/metrics" >"$out"
	regs=$(awk '$1 == "ringbind_registrations" { print $2 }' "$out")
	series=$(grep -c '^ringbind_registration_info{' "$out")
	omitted=$(awk '$1 == "ringbind_registration_info_omitted" { print $2 }' "$out")
	if [ "$series" -eq "$CAP" ] && [ "$omitted" -eq "$((regs - CAP))" ] && [ "$regs" -gt 600 ]; then
		pass "$regs registrations: $series series (the cap) and $omitted omitted"
	else
		fail "$regs registrations: $series series, omitted '$omitted' (cap $CAP)"
	fi
	E2E_OUT=$out
	expect "the oldest are kept past the cap" '^ringbind_registration_info\{prog="100000",program="portmapper",vers="4",netid="tcp"'
	srv_stop
}
