# Owner-port check (ringbind only, --check-owner-port, on by default): a
# non-root registrant over the AF_LOCAL socket must hold a socket bound to
# the port it registers (TCP listening, UDP bound) on that protocol; root is
# not checked; --check-owner-port off turns the check off. A port below
# 1024, which the port policy keeps for root, is allowed to a uid that holds
# it (here: net.ipv4.ip_unprivileged_port_start lowered in the test's
# network namespace, as container runtimes do), and still refused to one
# that does not.
t_main() {
	is_ringbind || skip "the owner-port check is ringbind's own"
	command -v setpriv >/dev/null 2>&1 || skip "needs setpriv (util-linux)"
	local P=0x20000901 Q=0x20000902 nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	srv_start || return

	# uid 65534 holds tcp 4101 and udp 4105; root holds tcp 4103.
	# shellcheck disable=SC2086 # $nobody is words on purpose
	bg $nobody "$E2E_BIN/rb_e2e_holdport" tcp 4101
	local h_tcp=$E2E_BG h_tcp_log=$E2E_BG_LOG
	# shellcheck disable=SC2086
	bg $nobody "$E2E_BIN/rb_e2e_holdport" udp 4105
	local h_udp_log=$E2E_BG_LOG
	bg "$E2E_BIN/rb_e2e_holdport" tcp 4103
	local h_root_log=$E2E_BG_LOG
	local l
	for l in "$h_tcp_log" "$h_udp_log" "$h_root_log"; do
		wait_for 5000 grep -q BOUND "$l" || { fail "holdport did not bind: $(cat "$l")"; return; }
	done

	# 4101 = 0x1005 (uaddr .16.5), 4102 = .16.6, 4103 = .16.7, 4105 = .16.9.
	expect_result "uid 65534 registers a TCP port it holds" "SUCCESS:00000001" \
		local,uid=65534 100000/3/1 rpcb:$P,1,tcp,0.0.0.0.16.5,
	expect_result "uid 65534 registers a TCP port nobody holds: refused" "SUCCESS:00000000" \
		local,uid=65534 100000/3/1 rpcb:$Q,1,tcp,0.0.0.0.16.6,
	if wait_for 2000 grep -q "refused SET $((Q)) 1 tcp 0.0.0.0.16.6 from local uid 65534 (owner 65534): the owner does not hold that port" "$E2E_SRV_ERR"; then
		pass "the refusal is logged"
	else
		fail "no 'refused SET ... the owner does not hold that port' line"
		sed 's/^/  | /' "$E2E_SRV_ERR" | tail -10
	fi
	expect_result "uid 65534 registers root's TCP port: refused" "SUCCESS:00000000" \
		local,uid=65534 100000/3/1 rpcb:$P,3,tcp,0.0.0.0.16.7,
	expect_result "uid 65534 registers a UDP port it holds" "SUCCESS:00000001" \
		local,uid=65534 100000/3/1 rpcb:$P,4,udp,0.0.0.0.16.9,
	expect_result "uid 65534 registers its TCP port as udp: refused" "SUCCESS:00000000" \
		local,uid=65534 100000/3/1 rpcb:$P,5,udp,0.0.0.0.16.5,
	expect_result "uid 65534 registers its IPv4-only TCP port as tcp6: refused" "SUCCESS:00000000" \
		local,uid=65534 100000/3/1 rpcb:$P,6,tcp6,::.16.5,
	expect_result "PMAP v2 SET over local as 65534 of a port it holds" "SUCCESS:00000001" \
		local,uid=65534 100000/2/1 pmap:$P,7,6,4101
	expect_result "PMAP v2 SET over local as 65534 of a port it does not hold: refused" "SUCCESS:00000000" \
		local,uid=65534 100000/2/1 pmap:$P,8,6,4102
	expect_result "root registers a port nobody holds (root is not checked)" "SUCCESS:00000001" \
		local 100000/3/1 rpcb:$P,9,tcp,0.0.0.0.16.6,
	expect_result "the registered port is answered" "SUCCESS:00001005" udp 100000/2/3 pmap:$P,1,6,0
	# (GETPORT falls back to any version of a program: Q has none at all.)
	expect_result "nothing registered for a refused SET" "SUCCESS:00000000" udp 100000/2/3 pmap:$Q,1,6,0

	# Below 1024: uid 65534 may bind port 700 once the namespace lowers
	# ip_unprivileged_port_start; holding it is enough, not holding it is
	# not. 700 = .2.188, 701 = .2.189.
	if sysctl -qw net.ipv4.ip_unprivileged_port_start=600 2>/dev/null; then
		# shellcheck disable=SC2086
		bg $nobody "$E2E_BIN/rb_e2e_holdport" tcp 700
		local h_low=$E2E_BG h_low_log=$E2E_BG_LOG
		if wait_for 5000 grep -q BOUND "$h_low_log"; then
			expect_result "uid 65534 registers port 700, which it holds: allowed" "SUCCESS:00000001" \
				local,uid=65534 100000/3/1 rpcb:$P,11,tcp,0.0.0.0.2.188,
			expect_result "uid 65534 registers port 701, which it does not hold: refused" "SUCCESS:00000000" \
				local,uid=65534 100000/3/1 rpcb:$P,12,tcp,0.0.0.0.2.189,
			expect_result "uid 65534 registers port 700 as udp (held on tcp only): refused" "SUCCESS:00000000" \
				local,uid=65534 100000/3/1 rpcb:$P,13,udp,0.0.0.0.2.188,
			expect_result "an unprivileged network client registers port 700: refused (no uid to check)" "SUCCESS:00000000" \
				udp 100000/2/1 pmap:$P,14,6,700
		else
			fail "holdport tcp 700 as uid 65534: $(cat "$h_low_log")"
		fi
		kill "$h_low"
		wait "$h_low" 2>/dev/null
		sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
	else
		note "cannot lower net.ipv4.ip_unprivileged_port_start here: the port-below-1024 cases are not run"
	fi

	# Once its service is gone, the port is no longer the user's.
	kill "$h_tcp"
	wait "$h_tcp" 2>/dev/null
	expect_result "uid 65534 registers the port it no longer holds: refused" "SUCCESS:00000000" \
		local,uid=65534 100000/3/1 rpcb:$P,10,tcp,0.0.0.0.16.5,
	srv_stop

	srv_start --check-owner-port off || return
	expect_result "--check-owner-port off: uid 65534 registers a port nobody holds" \
		"SUCCESS:00000001" local,uid=65534 100000/3/1 rpcb:$P,2,tcp,0.0.0.0.16.6,
	expect_result "--check-owner-port off: the port policy still refuses port 1000" \
		"SUCCESS:00000000" local,uid=65534 100000/3/1 rpcb:$P,3,tcp,0.0.0.0.3.232,
	srv_stop
}
