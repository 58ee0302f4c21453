# systemd integration (ringbind only): sockets passed by socket activation
# (systemd-socket-activate stands in for pid 1) are adopted by family, type
# and address, /run/rpcbind.sock included; READY=1, STATUS= and, with
# WATCHDOG_USEC, WATCHDOG=1 pings reach NOTIFY_SOCKET.
t_main() {
	is_ringbind || skip "socket activation and the watchdog are ringbind's own"
	command -v python3 >/dev/null || skip "needs python3"
	local srv notify=$E2E_TMP/notify.log sock=$E2E_TMP/notify.sock
	srv=$(srv_prog "$E2E_SERVER")

	# A notify listener that logs every datagram for 6 s.
	bg python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); print("BOUND", flush=True)
s.settimeout(0.2); end = time.time() + 6
with open(sys.argv[2], "w") as f:
    while time.time() < end:
        try: f.write(s.recv(4096).decode() + "\n---\n"); f.flush()
        except socket.timeout: pass
' "$sock" "$notify"
	wait_for 5000 grep -q BOUND "$E2E_BG_LOG" || { fail "notify listener did not bind"; return; }

	if command -v systemd-socket-activate >/dev/null; then
		mkdir -p "$E2E_TMP/st.sa"
		# shellcheck disable=SC2086 # the server command line is words
		NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000 systemd-socket-activate \
			-E NOTIFY_SOCKET -E WATCHDOG_USEC \
			-l 0.0.0.0:111 -l /run/rpcbind.sock \
			$E2E_SERVER --state-dir "$E2E_TMP/st.sa" >"$E2E_TMP/sa.out" 2>"$E2E_TMP/sa.err" &
		local sa=$!
		E2E_PIDS="$E2E_PIDS $sa"
		wait_for 3000 grep -q "Listening on /run/rpcbind.sock" "$E2E_TMP/sa.err"
		# The first connection makes the activator exec the daemon.
		E2E_OUT=$E2E_TMP/rpcinfo.out
		timeout 10 rpcinfo -T tcp 127.0.0.1 100000 4 >"$E2E_OUT" 2>&1
		expect "the daemon answers on the passed TCP socket" "ready and waiting"
		if wait_for 5000 grep -q "socket activation: 2 sockets passed" "$E2E_TMP/sa.err"; then
			pass "both passed sockets were adopted"
		else fail "no 'socket activation: 2 sockets passed' line"; sed 's/^/  | /' "$E2E_TMP/sa.err"; fi
		if grep -q "matches no listener" "$E2E_TMP/sa.err"; then fail "a passed socket was not matched"
		else pass "every passed socket matched a listener"; fi
		E2E_OUT=$E2E_TMP/rpcinfo2.out
		timeout 10 rpcinfo -p >"$E2E_OUT" 2>&1
		expect "the passed /run/rpcbind.sock serves rpcinfo -p" "100000 +4 +tcp +111 +portmapper"
		timeout 10 rpcinfo -T udp 127.0.0.1 100000 2 >"$E2E_OUT" 2>&1
		expect "UDP, not passed, is bound by the daemon itself" "ready and waiting"
		wait_for 3000 grep -q "WATCHDOG=1" "$notify"
		sleep 1.5
		local pings
		pings=$(grep -c "^WATCHDOG=1" "$notify")
		if [ "$pings" -ge 4 ]; then pass "WATCHDOG=1 every half period while all threads run ($pings in about 1.5 s)"
		else fail "only $pings WATCHDOG=1 pings"; fi
		if grep -q "^READY=1" "$notify"; then pass "READY=1 sent"; else fail "no READY=1"; fi
		if grep -q "^STATUS=serving: [0-9]* registrations" "$notify"; then pass "a STATUS= line"
		else fail "no STATUS= line"; fi
		# As deployed, against clients that pipeline, half-close and read
		# slowly: DUMPs of 2,000 registrations (several fragments each) on
		# the passed TCP socket (tests/e2e/dumpclient.py).
		if timeout 60 "$E2E_BIN/rb_e2e_attack" prime 0 2000 >"$E2E_TMP/sa.prime" 2>&1; then
			local m
			for m in pipeline halfclose slow; do
				E2E_OUT=$E2E_TMP/sa.dump.$m
				timeout 60 python3 "$E2E_DIR/dumpclient.py" 111 $m 4 2000 16380 30 >"$E2E_OUT" 2>&1
				expect "socket-activated: DUMP $m" "^PASS"
			done
		else
			fail "priming 2,000 registrations on the activated daemon: $(tail -2 "$E2E_TMP/sa.prime")"
		fi
		kill -TERM "$sa"
		if wait_exit "$sa" 5000; then pass "SIGTERM stops the activated daemon"; else fail "no exit"; fi
		if [ -S /run/rpcbind.sock ]; then pass "the passed socket file is left to systemd (not unlinked)"
		else note "socket file gone"; fi
	else
		note "systemd-socket-activate missing: socket activation not tested"
	fi

	# A malformed LISTEN_FDS meant for us stops the start.
	local out rc
	out=$(timeout 10 bash -c 'LISTEN_PID=$$ LISTEN_FDS=999 exec "$0" -f --port 999 --metrics off --state-dir "$1"' \
		"$srv" "$E2E_TMP/st.x" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && echo "$out" | grep -q "LISTEN_FDS=999: expected 0..32"; then
		pass "a malformed LISTEN_FDS stops the start with a reason"
	else fail "LISTEN_FDS=999: rc $rc, '$out'"; fi
}
