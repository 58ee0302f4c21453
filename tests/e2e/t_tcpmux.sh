# The TCPMUX front (RFC 1078, --tcpmux), ringbind only: HELP refused by
# default and listing names when enabled (also turned on by SIGHUP); an
# unknown name, a bad line, a name too long: "-" and a close; a libtirpc
# TCP RPC service that registers itself, reached by its /etc/rpc name (any
# case, an alias, NAME/VERSION, its number, over IPv4 and IPv6) with NULL,
# ADD and a 200 kB result through the mux, the first call pipelined with
# the name line; its registration removed, then the name refused; a static
# name (--tcpmux-service) to an echo service, a half-close passed on; a
# silent client (closed after --tcpmux-line-timeout), 10 MB without CRLF
# (refused at once), 1,000 mux connections at once (each echoed; lookups
# answered meanwhile; every descriptor released after), small pipes
# (--tcpmux-buffer 8192 under a 200 kB result), --tcpmux-idle-timeout,
# --tcpmux-max-conn, --tcpmux-allow, and the counters of the metrics
# endpoint.
#
# The test's program is written into /etc/rpc, inside this test's private
# mount namespace only (a copy of the host's file, bind-mounted over it).

MUXC=$E2E_BIN/rb_e2e_tcpmux_client
MUXS=$E2E_BIN/rb_e2e_tcpmux_service
MUX_PROG=536870913 # 0x20000001: the user-defined range
MUX_NAME=rbmuxtest
MUX_ALIAS=rbmux-alias
MUX_METRICS=127.0.0.1:9111
MUX_MANY=1000
MUX_NAMES=1 # 0: no /etc/rpc here, program numbers only

mux() { "$MUXC" "$@"; }

# mux_say NAME EXPECT_ERE TEXT [CLIENT OPTIONS...]: one exchange, its
# output must match EXPECT_ERE.
mux_say() {
	local name=$1 want=$2 text=$3
	shift 3
	run_quiet "$MUXC" "$@" say "$text"
	expect "$name" "$want"
}

# srv_fds: the server's open descriptors.
srv_fds() { ls "/proc/$E2E_SRV_PID/fd" 2>/dev/null | wc -l; }

metric() { # metric EVENT: ringbind_events_total{event="EVENT"} (0 when absent)
	curl -s --max-time 5 "http://$MUX_METRICS/metrics" |
		awk -v k="ringbind_events_total{event=\"$1\"}" '$1 == k { v = $2 } END { print v + 0 }'
}

mux_names_setup() {
	if [ ! -f /etc/rpc ]; then
		MUX_NAMES=0
		note "no /etc/rpc on this host: names are program numbers only"
		return 0
	fi
	{ cat /etc/rpc; echo "$MUX_NAME	$MUX_PROG	$MUX_ALIAS"; } >"$E2E_TMP/rpc"
	if ! mount --bind "$E2E_TMP/rpc" /etc/rpc; then
		MUX_NAMES=0
		note "cannot bind-mount a test /etc/rpc: program numbers only"
	fi
}

# svc_start_echo: the echo service; its port in MUX_EPORT.
svc_start_echo() {
	bg "$MUXS" echo
	MUX_ECHO_PID=$E2E_BG
	MUX_ECHO_LOG=$E2E_BG_LOG
	if ! wait_for 5000 grep -q '^READY' "$MUX_ECHO_LOG"; then
		fail "echo service not ready: $(cat "$MUX_ECHO_LOG")"
		return 1
	fi
	MUX_EPORT=$(awk '/^READY/ { print $2 }' "$MUX_ECHO_LOG")
}

# svc_start_rpc: the RPC service, registered on tcp (and tcp6).
svc_start_rpc() {
	bg "$MUXS" rpc $MUX_PROG 1
	MUX_RPC_PID=$E2E_BG
	MUX_RPC_LOG=$E2E_BG_LOG
	if ! wait_for 5000 grep -q '^READY' "$MUX_RPC_LOG"; then
		fail "RPC service not ready: $(cat "$MUX_RPC_LOG")"
		return 1
	fi
	note "RPC service $MUX_PROG v1: $(cat "$MUX_RPC_LOG")"
}

# the name line, answers and closes
t_lines() {
	mux_say "HELP is refused by default" '^LINE -' 'HELP\r\n'
	expect "... and the connection closed" '^(EOF|RESET)$'
	mux_say "an unknown name: '-'" '^LINE -unknown service$' 'nosuchservice\r\n'
	expect "... and the connection closed" '^(EOF|RESET)$'
	mux_say "a name with a blank: '-'" '^LINE -bad service name$' 'two words\r\n'
	expect "... and the connection closed" '^(EOF|RESET)$'
	mux_say "an empty line: '-'" '^LINE -bad service name$' '\r\n'
	mux_say "a CR without LF: '-'" '^LINE -bad service name$' 'name\rx\r\n'
	local long
	long=$(printf 'n%.0s' $(seq 1 65))
	mux_say "a name of 65 bytes: '-'" '^LINE -service name too long$' "$long\\r\\n"
	mux_say "HELP/1 is not a name" '^LINE -bad service name$' 'HELP/1\r\n'
}

t_rpc() {
	svc_start_rpc || return
	local name=$MUX_NAME
	[ $MUX_NAMES = 1 ] || name=$MUX_PROG
	run_check "by name '$name': +, NULL, ADD, a 200 kB result through the mux" \
		"$MUXC" rpc "$name" $MUX_PROG 1
	expect "... '+Go'" '^LINE \+Go$'
	expect "... NULL answered" '^NULL ok$'
	expect "... ADD(40, 2) = 42" '^ADD 42$'
	expect "... BIG intact" '^BIG 200000 ok$'
	run_check "the first call in the same write as the name line" \
		"$MUXC" rpc "$name" $MUX_PROG 1 pipelined
	run_check "by its number $MUX_PROG" "$MUXC" rpc $MUX_PROG $MUX_PROG 1
	run_check "NAME/VERSION ($MUX_PROG/1)" "$MUXC" rpc $MUX_PROG/1 $MUX_PROG 1
	if [ $MUX_NAMES = 1 ]; then
		run_check "in upper case" "$MUXC" rpc "${MUX_NAME^^}" $MUX_PROG 1
		run_check "by an alias, with a version" "$MUXC" rpc "$MUX_ALIAS/1" $MUX_PROG 1
		mux_say "a version not registered: '-'" '^LINE -unknown service$' "$MUX_NAME/2\\r\\n"
	fi
	if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
		run_check "over IPv6 (::1)" "$MUXC" -a ::1 rpc "$name" $MUX_PROG 1
	fi

	# The registration removed (the service unregisters on SIGTERM): the
	# name is refused from then on.
	kill -TERM "$MUX_RPC_PID"
	if wait_exit "$MUX_RPC_PID" 5000; then
		note "RPC service exited ($E2E_RC), unregistered"
	else
		fail "the RPC service did not exit"
	fi
	expect_result "the registration is gone" "SUCCESS:00000000" udp 100000/2/3 pmap:$MUX_PROG,1,6,0
	mux_say "after the registration is removed, the name is refused" \
		'^LINE -unknown service$' "$name\\r\\n"
}

t_static() {
	mux_say "a static name: '+' and the bytes after the line reach the service" \
		'^LINE hello$' 'echo\r\nhello\n' -t 1000
	expect "... '+Go' first" '^LINE \+Go$'
	mux_say "static names are case-insensitive" '^LINE \+Go$' 'ECHO\r\n' -t 500
	mux_say "a bare LF ends the line too" '^LINE \+Go$' 'echo\n' -t 500
	mux_say "a static name takes no version" '^LINE -unknown service$' 'echo/1\r\n'
	# The client's half-close reaches the service after its bytes; the
	# answer still comes back, then the service's close ends the pair.
	mux_say "a half-close is passed on: the answer still comes back" '^LINE bye$' \
		'echo\r\nbye\n' -s 1
	expect "... then the service's EOF ends the pair" '^EOF$'
}

t_silent() {
	run_quiet "$MUXC" -t 6000 silent
	expect "a client that sends nothing gets '-timeout'" '^LINE -timeout$'
	local ms
	ms=$(awk '/^CLOSED after/ { print $3 }' "$E2E_OUT")
	if [ -n "$ms" ] && [ "$ms" -ge 900 ] && [ "$ms" -le 4000 ]; then
		pass "... and is closed after $ms ms (--tcpmux-line-timeout 1000, 250 ms tick)"
	else
		fail "silent client: closed after '${ms:-never}' ms, expected 1000-4000"
		sed 's/^/  | /' "$E2E_OUT"
	fi
}

t_flood() {
	local rss0 rss1
	rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$E2E_SRV_PID/status")
	run_quiet "$MUXC" -t 5000 flood 10485760
	expect "10 MB without CRLF: '-' as soon as the name is over the limit" \
		'^LINE -service name too long$'
	expect "... and the connection closed" '^(EOF|RESET)$'
	note "$(grep '^sent' "$E2E_OUT")"
	rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$E2E_SRV_PID/status")
	if [ $((rss1 - rss0)) -le 2048 ]; then
		pass "... server RSS $rss0 kB -> $rss1 kB (at most the name limit + CRLF is read)"
	else
		fail "10 MB flood: server RSS $rss0 kB -> $rss1 kB"
	fi
	srv_check_alive "after the flood"
}

t_many() {
	local n=$MUX_MANY fds0 fds1 nofile
	nofile=$(ulimit -n)
	# The server holds 6 descriptors per proxied connection (two sockets,
	# two pipes), the client and the echo service one each.
	if [ "$nofile" != unlimited ] && [ "$nofile" -lt $((n * 6 + 1024)) ]; then
		n=$(((nofile - 1024) / 6))
		note "RLIMIT_NOFILE $nofile: $n connections instead of $MUX_MANY"
	fi
	[ "$n" -ge 100 ] || { note "too few descriptors for the many-connections check"; return; }
	fds0=$(srv_fds)
	bg "$MUXC" -t 10000 many "$n" echo 3000
	local cpid=$E2E_BG clog=$E2E_BG_LOG
	if wait_for 30000 grep -q '^HELD' "$clog"; then
		if grep -q "^HELD $n\$" "$clog"; then pass "$n mux connections at once, each '+' and echoed"
		else fail "$n mux connections: $(cat "$clog" | head -5)"; fi
	else
		fail "$n mux connections: not all up within 30 s: $(tail -3 "$clog")"
	fi
	note "server descriptors: $fds0 before, $(srv_fds) with $n pairs"
	expect_result "a UDP lookup meanwhile" "SUCCESS:0000006f" udp 100000/2/3 pmap:100000,2,17,0
	expect_result "a TCP lookup meanwhile" "SUCCESS:0000006f" tcp 100000/2/3 pmap:100000,2,17,0
	mux_say "another mux request meanwhile" '^LINE -unknown service$' 'nosuchservice\r\n'
	if wait_exit "$cpid" 30000; then
		if [ "$E2E_RC" -eq 0 ] && grep -q '^DONE ok' "$clog"; then
			pass "all $n still echo after the hold, then close"
		else
			fail "many: status $E2E_RC: $(tail -3 "$clog")"
		fi
	else
		fail "many: the client did not finish"
	fi
	if wait_for 5000 eval '[ "$(srv_fds)" -le $((fds0 + 2)) ]'; then
		pass "every descriptor released once the clients closed ($(srv_fds), $fds0 before)"
	else
		fail "server descriptors: $(srv_fds) after the close, $fds0 before"
	fi
	expect_result "lookups after" "SUCCESS:0000006f" udp 100000/2/3 pmap:100000,2,17,0
}

t_metrics() {
	command -v curl >/dev/null || { note "no curl: counters not checked"; return; }
	local k v
	for k in tcpmux_accepted tcpmux_requests tcpmux_proxied tcpmux_refused tcpmux_timeouts \
		tcpmux_bytes_to_service tcpmux_bytes_to_client; do
		v=$(metric $k)
		if [ "$v" -gt 0 ]; then pass "metrics: $k = $v"
		else fail "metrics: $k is $v"; fi
	done
	if [ "$(metric tcpmux_bytes_to_client)" -ge 600000 ]; then
		pass "metrics: the RPC results' bytes are counted"
	else
		fail "metrics: tcpmux_bytes_to_client $(metric tcpmux_bytes_to_client) < 600000"
	fi
}

t_help_reload() {
	# tcpmux-help from the config file, by SIGHUP.
	printf '[ringbind]\ntcpmux-help = yes\n' >"$MUX_CONF"
	kill -HUP "$E2E_SRV_PID"
	if ! wait_for 3000 grep -q "SIGHUP: configuration reloaded" "$E2E_SRV_ERR"; then
		fail "no reload line after SIGHUP"
	fi
	# Workers take the new configuration at their next loop iteration.
	if wait_for 3000 eval '"$MUXC" say "HELP\r\n" | grep -q "^LINE echo$"'; then
		pass "SIGHUP with tcpmux-help = yes: HELP answered"
	else
		fail "HELP still refused after the reload"
	fi
	run_quiet "$MUXC" say 'help\r\n'
	expect "HELP lists the static names" '^LINE echo$'
	expect "HELP lists registered programs by their /etc/rpc name" '^LINE portmapper$'
	expect_not "HELP is a plain list (no '+' or '-' line)" '^LINE [-+]'
	expect "... then closes" '^EOF$'
}

t_limits() {
	srv_start --tcpmux 1 --tcpmux-max-conn 10 --tcpmux-idle-timeout 1000 \
		--tcpmux-service echo=$MUX_EPORT || return
	local t0 ms
	t0=$(now_ms)
	run_quiet "$MUXC" -t 5000 say 'echo\r\nonce\n'
	ms=$(($(now_ms) - t0))
	expect "--tcpmux-idle-timeout 1000: a pair is carried" '^LINE once$'
	if grep -q '^EOF$' "$E2E_OUT" && [ $ms -ge 900 ] && [ $ms -le 4000 ]; then
		pass "... and closed after $ms ms without traffic"
	else
		fail "idle pair: ended after $ms ms: $(tail -1 "$E2E_OUT")"
	fi
	run_quiet "$MUXC" -t 1500 cap 20
	expect "--tcpmux-max-conn 10: 10 of 20 refused, 10 held" '^REFUSED 10 OPEN 10 OTHER 0$'
	expect_result "lookups at the cap" "SUCCESS:0000006f" tcp 100000/2/3 pmap:100000,2,17,0
	# Once those 10 time out (line timeout, default 5 s) room is back.
	if wait_for 8000 eval '"$MUXC" -t 500 say "x\r\n" | grep -q "^LINE -unknown service$"'; then
		pass "room again once held connections are gone"
	else
		fail "still at the cap after the held connections timed out"
	fi
	srv_stop
}

t_allow() {
	local src=198.18.0.1
	if ! ip addr add $src/32 dev lo 2>/dev/null; then
		note "cannot add $src to lo: allow-list not checked"
		return
	fi
	srv_start --tcpmux 1 --tcpmux-service echo=$MUX_EPORT || return
	mux_say "a non-loopback source is refused by default" '^LINE -not allowed$' 'echo\r\n' -b $src -a $src
	expect "... and closed" '^(EOF|RESET)$'
	srv_stop
	srv_start --tcpmux 1 --tcpmux-service echo=$MUX_EPORT --tcpmux-allow 198.18.0.0/15 || return
	mux_say "--tcpmux-allow 198.18.0.0/15 lets it in" '^LINE \+Go$' 'echo\r\n' -b $src -a $src -t 500
	mux_say "... and the list replaces loopback" '^LINE -not allowed$' 'echo\r\n'
	srv_stop
	ip addr del $src/32 dev lo 2>/dev/null
}

t_main() {
	is_ringbind || skip "TCPMUX is ringbind's own"
	for p in "$MUXC" "$MUXS"; do
		[ -x "$p" ] || { fail "helper $p missing"; return; }
	done
	local nofile need=$((MUX_MANY * 6 + 1024))
	nofile=$(ulimit -n)
	if [ "$nofile" != unlimited ] && [ "$nofile" -lt $need ]; then
		ulimit -n 16384 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
		note "RLIMIT_NOFILE: $nofile -> $(ulimit -n)"
	fi
	mux_names_setup
	svc_start_echo || return

	MUX_CONF=$E2E_TMP/ringbind.conf
	printf '[ringbind]\n' >"$MUX_CONF"
	srv_start --config "$MUX_CONF" --tcpmux 1 --tcpmux-service echo=$MUX_EPORT \
		--tcpmux-line-timeout 1000 --tcpmux-buffer 8192 --metrics $MUX_METRICS || return
	t_lines
	t_rpc
	t_static
	t_silent
	t_flood
	t_many
	t_metrics
	t_help_reload
	srv_check_alive "after the TCPMUX checks"
	srv_stop

	t_limits
	t_allow
	kill -TERM "$MUX_ECHO_PID" 2>/dev/null
}
