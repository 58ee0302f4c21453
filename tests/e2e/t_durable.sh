# Registrations survive a clean restart (ringbind only): SET/UNSET over the
# local socket (root, uid 65534), UDP (reserved and unprivileged ports) and
# TCP, on every netid; SIGTERM and restart keep exactly them; a restart with
# another --port serves there, its own registrations (program 100000) on the
# new port, the persisted ones unchanged; back on port 111 nothing of port
# 1111 is left; --cold starts empty and the old state is gone for good.
# A second daemon started while one runs (a restart overlapping the old
# process) must not start beside it.

. "$E2E_DIR/durable_lib.sh"

P=536875009 # 0x20001001, then P+1 ...
TRUE=SUCCESS:00000001


t_main() {
	d_ringbind_only || return
	local state=$E2E_TMP/dstate
	mkdir -p "$state"
	# A non-root registrant must hold the port it registers (the owner-port
	# check): uid 65534 holds tcp 1025 (127.0.0.1.4.1) while it registers.
	local hold=""
	if [ -x "$E2E_BIN/rb_e2e_holdport" ] && command -v setpriv >/dev/null 2>&1; then
		bg setpriv --reuid=65534 --regid=65534 --clear-groups "$E2E_BIN/rb_e2e_holdport" tcp 1025
		hold=$E2E_BG
		wait_for 5000 grep -q BOUND "$E2E_BG_LOG" || fail "holdport tcp 1025 as uid 65534: $(cat "$E2E_BG_LOG")"
	fi
	d_start --state-dir "$state" || return
	if [ -e "$state/journal" ]; then pass "state directory holds a journal"
	else fail "no journal in $state: $(ls "$state")"; fi

	expect_result "v3 SET local udp" $TRUE local 100000/3/1 "rpcb:$P,1,udp,0.0.0.0.8.1,x"
	expect_result "v3 SET local tcp" $TRUE local 100000/3/1 "rpcb:$P,1,tcp,0.0.0.0.8.1,x"
	expect_result "v3 SET local tcp6" $TRUE local 100000/3/1 "rpcb:$P,2,tcp6,::.8.2,x"
	expect_result "v4 SET local local" $TRUE local 100000/4/1 "rpcb:$((P + 1)),1,local,/run/p2.sock,x"
	expect_result "v4 SET local udp6" $TRUE local 100000/4/1 "rpcb:$((P + 2)),4,udp6,::1.4.5,x"
	expect_result "v3 SET local as uid 65534" $TRUE local,uid=65534 100000/3/1 "rpcb:$((P + 3)),1,tcp,127.0.0.1.4.1,x"
	expect_result "PMAP SET udp from port 700" $TRUE udp,sport=700 100000/2/1 "pmap:$((P + 4)),1,17,2049"
	expect_result "PMAP SET udp from an unprivileged port" $TRUE udp 100000/2/1 "pmap:$((P + 5)),1,6,3000"
	expect_result "v3 SET tcp from port 701" $TRUE tcp,sport=701 100000/3/1 "rpcb:$((P + 6)),1,udp,0.0.0.0.9.9,x"
	expect_result "v4 SET tcp6 from port 702" $TRUE tcp6,sport=702 100000/4/1 "rpcb:$((P + 7)),1,tcp6,::1.9.10,x"
	expect_result "v3 UNSET local udp" $TRUE local 100000/3/2 "rpcb:$P,1,udp,,x"
	expect_result "PMAP SET then UNSET" $TRUE udp,sport=700 100000/2/1 "pmap:$((P + 8)),1,17,4000"
	expect_result "PMAP UNSET" $TRUE udp,sport=700 100000/2/2 "pmap:$((P + 8)),1,17,0"
	expect_result "v3 SET refused (another address)" SUCCESS:00000000 local 100000/3/1 "rpcb:$P,1,tcp,0.0.0.0.8.9,x"

	d_dump "$E2E_TMP/before"
	local n
	n=$(wc -l <"$E2E_TMP/before")
	if [ "$n" = 9 ] && grep -q "^$((P + 3)) 1 tcp 127.0.0.1.4.1 65534$" "$E2E_TMP/before" &&
		grep -q "^$((P + 5)) 1 tcp 0.0.0.0.11.184 unknown$" "$E2E_TMP/before" &&
		! grep -q "^$((P + 8)) " "$E2E_TMP/before"; then
		pass "the registry holds the 9 registrations made, with their owners"
	else
		fail "the registry before the restart:"
		sed 's/^/  /' "$E2E_TMP/before"
	fi
	d_stop

	# 1. SIGTERM and restart: exactly the same.
	d_start --state-dir "$state" || return
	d_log_has "restart: restored count logged" "restored 9 registrations from"
	d_dump "$E2E_TMP/after"
	d_same "SIGTERM + restart: the same registrations" "$E2E_TMP/before" "$E2E_TMP/after"
	expect_result "GETPORT of a restored PMAP registration" SUCCESS:00000801 udp 100000/2/3 "pmap:$((P + 4)),1,17,0"
	expect_result "uid 65534 may still UNSET its own" $TRUE local,uid=65534 100000/3/2 "rpcb:$((P + 3)),1,tcp,,x"
	expect_result "uid 65534 cannot UNSET root's" SUCCESS:00000000 local,uid=65534 100000/3/2 "rpcb:$P,1,tcp,,x"
	expect_result "SET it back" $TRUE local,uid=65534 100000/3/1 "rpcb:$((P + 3)),1,tcp,127.0.0.1.4.1,x"
	d_stop
	if [ -n "$hold" ]; then
		kill -TERM "$hold" 2>/dev/null
		wait "$hold" 2>/dev/null
		d_untrack "$hold"
	fi

	# 2. Another port: the daemon's own registrations move, the rest stays.
	d_start --state-dir "$state" --port 1111 || return
	d_dump "$E2E_TMP/port"
	d_same "--port 1111: the same registrations" "$E2E_TMP/before" "$E2E_TMP/port"
	churn dump >"$E2E_TMP/port.self" 2>&1
	local self bad
	self=$(awk '$1 == 100000' "$E2E_TMP/port.self" | wc -l)
	bad=$(awk '$1 == 100000 && $3 != "local" && $4 !~ /\.4\.87$/' "$E2E_TMP/port.self" | wc -l)
	if [ "$self" -ge 10 ] && [ "$bad" = 0 ]; then
		pass "--port 1111: $self self-registrations, every IP one on port 1111"
	else
		fail "--port 1111: self-registrations:"
		awk '$1 == 100000' "$E2E_TMP/port.self" | sed 's/^/  /'
	fi
	expect_result "--port 1111: GETPORT of 100000 answered on 1111" SUCCESS:00000457 "udp,port=1111" 100000/2/3 "pmap:100000,2,17,0"
	expect_result "--port 1111: restored PMAP registration" SUCCESS:00000801 "udp,port=1111" 100000/2/3 "pmap:$((P + 4)),1,17,0"
	expect_result "--port 1111: nothing on 111" "ERROR:*" udp 100000/2/0
	d_stop

	# 3. Back on 111: nothing of the 1111 run was persisted.
	d_start --state-dir "$state" || return
	churn dump >"$E2E_TMP/back.self" 2>&1
	if awk '$1 == 100000' "$E2E_TMP/back.self" | grep -q '\.4\.87 '; then
		fail "port 111 again: a self-registration of port 1111 survived:"
		awk '$1 == 100000' "$E2E_TMP/back.self" | sed 's/^/  /'
	else
		pass "port 111 again: no self-registration of port 1111 left"
	fi
	d_dump "$E2E_TMP/back"
	d_same "port 111 again: the same registrations" "$E2E_TMP/before" "$E2E_TMP/back"
	d_stop

	# 4. --cold: empty, and the old state does not come back.
	d_start --state-dir "$state" --cold || return
	d_log_has "--cold logged" "cold"
	d_dump "$E2E_TMP/cold"
	if [ ! -s "$E2E_TMP/cold" ]; then pass "--cold: no registration but the daemon's own"
	else fail "--cold: registrations left:"; sed 's/^/  /' "$E2E_TMP/cold"; fi
	expect_result "--cold: SET works" $TRUE local 100000/3/1 "rpcb:$((P + 9)),1,udp,0.0.0.0.1.1,x"
	d_stop
	d_start --state-dir "$state" || return
	d_dump "$E2E_TMP/aftercold"
	if [ "$(cat "$E2E_TMP/aftercold")" = "$((P + 9)) 1 udp 0.0.0.0.1.1 superuser" ]; then
		pass "after --cold: only what was set since"
	else
		fail "after --cold and a restart:"
		sed 's/^/  /' "$E2E_TMP/aftercold"
	fi

	# 5. A second daemon beside the running one (its own state directory):
	# rpcbind refuses (its lock file); two would share port 111
	# (SO_REUSEPORT) with two registries, and the second would take over
	# /run/rpcbind.sock and remove it when it stops.
	local a_pid=$D_PID a_err=$D_ERR
	mkdir -p "$E2E_TMP/second"
	d_spawn --state-dir "$E2E_TMP/second"
	d_wait_ready
	case $? in
	1) pass "a second daemon beside the first refuses to start (status $D_RC)" ;;
	0)
		fail "a second daemon started beside the running one (port 111 shared, /run/rpcbind.sock taken over): $(grep -E 'unavailable|in use' "$D_ERR" | sed 's/^ringbind: //' | tr '\n' ' ')"
		d_stop
		;;
	*) fail "a second daemon: neither ready nor gone"; d_kill ;;
	esac
	D_PID=$a_pid D_ERR=$a_err E2E_SRV_PID=$a_pid E2E_SRV_ERR=$a_err
	local r
	# PMAP GETPORT over the local socket: its prot picks the udp entry (a
	# v3 GETADDR there would look for netid "local", as in rpcbind).
	r=$(rawcall local 100000/2/3 "pmap:$((P + 9)),1,17,0" | awk '{print $2}')
	if [ "$r" = "SUCCESS:00000101" ]; then
		pass "the first daemon still answers on /run/rpcbind.sock"
	else
		fail "the first daemon no longer answers on /run/rpcbind.sock after the second one: $r"
	fi
	d_stop
}
