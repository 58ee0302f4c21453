# Remote calls: CALLIT (PMAP v2, RPCBIND v3), BCAST and INDIRECT (v4)
# forwarded by the server (-r) to real UDP RPC services behind it:
#   fwd_service tirpc  a libtirpc service: NULL, ADD, BIG, WHO, FAIL, SILENT
#   fwd_service raw    hand-made replies: garbled, from another port, under
#                      another xid, oversized, mute, PROG_MISMATCH, AUTH_ERROR
# and fwd_client in front, which shows each reply's source address and port.
# Checked:
#   - without -r: CALLIT/BCAST silent, INDIRECT SYSTEM_ERR / PROG_UNAVAIL
#   - with -r: CALLIT v2 / v3, BCAST, INDIRECT of ADD give the sum and the
#     service's port / address, over IPv4 and IPv6, from port 111 (so a
#     client whose socket is connected to port 111 gets them too); libtirpc's
#     pmap_rmtcall() and rpcb_rmtcall()
#   - the deny list (NFS, MOUNT MNT/UMNT, YP*, RQUOTA, the port mapper
#     itself): AUTH_ERROR TOOWEAK; a NULL procedure is never denied
#   - AUTH_SYS passed on; the service sees the call from loopback
#   - service errors, garbage, replies from another port or under another
#     xid, oversized results, a service that never answers (INDIRECT:
#     SYSTEM_ERR after RB_FWD_TIMEOUT_MS; CALLIT: nothing)
#   - random forwarded xids
#   - over TCP: nothing forwarded (CALLIT silent, INDIRECT as without -r)
#   - (ringbind) a flood of 10,000 CALLITs to a mute service: never more
#     than RB_FWD_MAX forwarded at once, NULL still answered, memory flat,
#     forwarding resumes after the timeout
#   - (ringbind) from a non-local source (a veth pair): the answer comes
#     from the address the call was sent to, the address is merged with it,
#     the reflection guard bounds the answer, RB_FWD_RATE limits forwards;
#     --trusted-net lifts both
# Against rpcbind (e2e_callit_rpcbind) the same checks run, and where
# ringbind deliberately differs the reference's answer is only noted.

FWD_SVC=$E2E_BIN/rb_e2e_fwd_service
FWD_CLI=$E2E_BIN/rb_e2e_fwd_client
PT=400500 # the libtirpc service
PR=400501 # the raw service
PU=400599 # never registered
NOREPLY_MS=800

# Limits of net/features/forward.h, read from the source so the test follows them.
fwd_const() {
	sed -n "s/^#define $1 \([0-9][0-9]*\)u.*/\1/p" "$E2E_DIR/../../net/features/forward.h"
}

ua_port() { echo "$(($1 >> 8)).$(($1 & 255))"; }

# svc_start MODE PROG: starts fwd_service; sets SVC_PID, SVC_LOG, SVC_P4, SVC_P6.
svc_start() {
	bg env "$FWD_ENV" "$FWD_SVC" "$1" "$2" 1
	SVC_PID=$E2E_BG
	SVC_LOG=$E2E_BG_LOG
	if ! wait_for 10000 grep -q '^READY' "$SVC_LOG"; then
		fail "fwd_service $1 $2 did not come up: $(head -5 "$SVC_LOG")"
		return 1
	fi
	set -- $(grep '^READY' "$SVC_LOG")
	SVC_P4=$2
	SVC_P6=$3
	note "fwd_service ($SVC_PID) program $PROG: udp port $SVC_P4, udp6 port $SVC_P6"
}

svc_stop() {
	kill -TERM "$1" 2>/dev/null
	wait_exit "$1" 5000 || kill -KILL "$1" 2>/dev/null
}

# services: starts both; sets T4 T6 (tirpc ports), R4 R6 (raw), RAW_LOG.
services() {
	PROG=$PT svc_start tirpc $PT || return 1
	T_PID=$SVC_PID T4=$SVC_P4 T6=$SVC_P6
	PROG=$PR svc_start raw $PR || return 1
	R_PID=$SVC_PID R4=$SVC_P4 R6=$SVC_P6 RAW_LOG=$SVC_LOG
}

services_stop() {
	svc_stop "$T_PID"
	svc_stop "$R_PID"
}

# The helpers link libtirpc, whose own leaks LeakSanitizer would report.
FWD_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fcli() { env "$FWD_ENV" "$FWD_CLI" "$@"; }

# fexpect NAME ERE ARGS...: one fwd_client call; its output must match ERE
# (anchored).
fexpect() {
	local name=$1 want=$2
	shift 2
	run_quiet env "$FWD_ENV" "$FWD_CLI" "$@"
	if grep -Eq -- "^($want)\$" "$E2E_OUT"; then
		pass "$name"
	else
		fail "$name: fwd_client $*: expected /$want/, got: $(head -3 "$E2E_OUT")"
	fi
}

# fdiffer NAME ERE ARGS...: as fexpect for ringbind; against the reference
# (a deliberate difference) the answer is only noted.
fdiffer() {
	if is_ringbind; then
		fexpect "$@"
		return
	fi
	local name=$1
	shift 2
	run_quiet env "$FWD_ENV" "$FWD_CLI" "$@"
	note "reference, $name: $(head -1 "$E2E_OUT")"
}

# The calls over the four kinds that must all give the same (errors).
kinds_all() {
	local name=$1 want=$2
	shift 2
	for k in callit2 callit3 bcast4 indirect4; do
		fexpect "$name ($k)" "$want" "$k" "$@"
	done
}

off_checks() {
	echo "--- without -r"
	srv_start || return 1
	services || return 1
	for k in callit2 callit3 bcast4; do
		fexpect "no -r: $k of ADD is silent" NOREPLY -t $NOREPLY_MS $k $PT 1 1 3 4
	done
	fexpect "no -r: INDIRECT of a registered program: SYSTEM_ERR" \
		'FROM 127\.0\.0\.1\.0\.111 SYSTEM_ERR' indirect4 $PT 1 1 3 4
	fexpect "no -r: INDIRECT of an unregistered program: PROG_UNAVAIL" \
		'FROM 127\.0\.0\.1\.0\.111 PROG_UNAVAIL' indirect4 $PU 1 1
	# The deny list is checked even with remote calls off (TOOWEAK), as
	# rpcbind does.
	fexpect "no -r: CALLIT of the denied NFS: AUTH_ERROR TOOWEAK" \
		'FROM 127\.0\.0\.1\.0\.111 AUTH_ERROR:5' -t $NOREPLY_MS callit2 100003 3 1
	if [ "$(grep -c '^CALL' "$RAW_LOG")" = 0 ]; then
		pass "no -r: nothing reached the raw service"
	else
		fail "no -r: calls reached the raw service: $(head -3 "$RAW_LOG")"
	fi
	services_stop
	srv_stop
}

on_checks() {
	echo "--- with -r"
	srv_start -r || return 1
	services || return 1
	# lo: answers of the port mapper itself; lof, lof6: answers relayed
	# from the service, which rpcbind sends from its forwarding socket's
	# ephemeral port (ringbind: port 111, checked here).
	local t4 t6 lo='FROM 127\.0\.0\.1\.0\.111' lof lof6
	lof=$lo
	lof6='FROM ::1\.0\.111'
	if ! is_ringbind; then
		lof='FROM 127\.0\.0\.1\.[0-9]+\.[0-9]+'
		lof6='FROM ::1\.[0-9]+\.[0-9]+'
	fi
	t4=$(ua_port "$T4")
	t6=$(ua_port "$T6")

	# The four kinds, the ADD procedure: 3 + 4 = 7.
	fexpect "CALLIT v2 of ADD: the sum and the service's port, from port 111" \
		"$lof SUCCESS port=$T4 res=00000007" callit2 $PT 1 1 3 4
	fexpect "CALLIT v3 of ADD: the sum and the service's address" \
		"$lof SUCCESS addr=127\\.0\\.0\\.1\\.$t4 res=00000007" callit3 $PT 1 1 3 4
	fexpect "BCAST v4 of ADD" \
		"$lof SUCCESS addr=127\\.0\\.0\\.1\\.$t4 res=00000007" bcast4 $PT 1 1 3 4
	fexpect "INDIRECT v4 of ADD" \
		"$lof SUCCESS addr=127\\.0\\.0\\.1\\.$t4 res=00000007" indirect4 $PT 1 1 3 4
	fexpect "CALLIT v2 of NULL" "$lof SUCCESS port=$T4 res=" callit2 $PT 1 0
	if [ "$T6" != 0 ]; then
		fexpect "IPv6: CALLIT v3 of ADD goes to the udp6 registration" \
			"$lof6 SUCCESS addr=::1\\.$t6 res=00000007" -6 callit3 $PT 1 1 3 4
		fexpect "IPv6: INDIRECT of ADD" \
			"$lof6 SUCCESS addr=::1\\.$t6 res=00000007" -6 indirect4 $PT 1 1 3 4
		fdiffer "IPv6: PMAP v2 CALLIT answers the udp6 port" \
			"$lof6 SUCCESS port=$T6 res=00000002" -6 callit2 $PT 1 1 1 1
	else
		note "no udp6 registration (no IPv6 here): IPv6 checks left out"
	fi
	fdiffer "a client connected to port 111 gets the answer" \
		"$lof SUCCESS addr=127\\.0\\.0\\.1\\.$t4 res=00000007" -c callit3 $PT 1 1 3 4

	# libtirpc's own clients.
	fexpect "libtirpc pmap_rmtcall()" "TIRPC RPC: Success port=$T4 res=11" pmap_rmtcall $PT 1 1 5 6
	fexpect "libtirpc rpcb_rmtcall() over udp" \
		"TIRPC RPC: Success addr=127\\.0\\.0\\.1\\.$t4 res=11" rpcb_rmtcall $PT 1 1 5 6
	[ "$T6" != 0 ] && fexpect "libtirpc rpcb_rmtcall() over udp6" \
		"TIRPC RPC: Success addr=::1\\.$t6 res=11" -6 rpcb_rmtcall $PT 1 1 5 6

	# The deny list: TOOWEAK for CALLIT too, registered or not.
	kinds_all "NFS 100003 proc 1 is denied" "$lo AUTH_ERROR:5" 100003 3 1
	kinds_all "MOUNT MNT is denied" "$lo AUTH_ERROR:5" 100005 3 1
	fexpect "MOUNT UMNT is denied" "$lo AUTH_ERROR:5" indirect4 100005 3 3
	fexpect "MOUNT DUMP is not denied (unregistered: PROG_UNAVAIL)" "$lo PROG_UNAVAIL" indirect4 100005 3 2
	fexpect "YP MATCH is denied" "$lo AUTH_ERROR:5" callit3 100004 2 3
	fexpect "YP ALL is denied" "$lo AUTH_ERROR:5" indirect4 100004 2 8
	fexpect "YP DOMAIN_NONACK is not denied (NIS broadcast binding)" "$lo PROG_UNAVAIL" indirect4 100004 2 2
	fexpect "YPBIND SETDOM is denied" "$lo AUTH_ERROR:5" indirect4 100007 2 2
	fexpect "YPPASSWD is denied" "$lo AUTH_ERROR:5" bcast4 100009 1 1
	fexpect "RQUOTA is denied" "$lo AUTH_ERROR:5" callit2 100011 1 1
	fexpect "the port mapper's own GETPORT is denied" "$lo AUTH_ERROR:5" indirect4 100000 2 3 100000 2 17 0
	fexpect "the port mapper's own SET is denied" "$lo AUTH_ERROR:5" callit2 100000 2 1 $PU 1 17 999
	fexpect "NFS NULL is not denied (unregistered: PROG_UNAVAIL)" "$lo PROG_UNAVAIL" indirect4 100003 3 0
	fexpect "the port mapper's NULL is forwarded (to itself)" \
		"$lof SUCCESS addr=127\\.0\\.0\\.1\\.0\\.111 res=" indirect4 100000 2 0

	# Errors before forwarding: CALLIT silent, INDIRECT answered.
	fexpect "INDIRECT of an unregistered program: PROG_UNAVAIL" "$lo PROG_UNAVAIL" indirect4 $PU 1 1
	fexpect "INDIRECT of an unregistered version: PROG_MISMATCH 1..1" "$lo PROG_MISMATCH:1:1" \
		indirect4 $PT 2 1 3 4
	fexpect "CALLIT of an unregistered version is silent" NOREPLY -t $NOREPLY_MS callit3 $PT 2 1 3 4
	fexpect "BCAST of an unregistered program is silent" NOREPLY -t $NOREPLY_MS bcast4 $PU 1 1

	# Credentials: AUTH_SYS passed on, AUTH_NONE as it came; the service
	# sees the call from loopback (WHO: flavor, uid, caller address).
	run_quiet env "$FWD_ENV" "$FWD_CLI" -u 1234 indirect4 $PT 1 3
	expect "AUTH_SYS uid 1234 reaches the service" \
		"SUCCESS addr=127\\.0\\.0\\.1\\.$t4 res=00000001000004d2"
	expect "the service sees the call from 127.0.0.1" "res=00000001000004d2000000..3132372e302e302e312e"
	fexpect "AUTH_NONE reaches the service as AUTH_NONE" \
		"$lof SUCCESS addr=127\\.0\\.0\\.1\\.$t4 res=00000000ffffffff.*" indirect4 $PT 1 3

	# The service's errors.
	fexpect "service SYSTEM_ERR: INDIRECT gets SYSTEM_ERR" "$lof SYSTEM_ERR" indirect4 $PT 1 4
	fexpect "service SYSTEM_ERR: CALLIT is silent" NOREPLY -t $NOREPLY_MS callit3 $PT 1 4
	fdiffer "service PROC_UNAVAIL: INDIRECT gets PROC_UNAVAIL" "$lo PROC_UNAVAIL" indirect4 $PT 1 9
	fdiffer "service PROG_MISMATCH: INDIRECT gets it" "$lo PROG_MISMATCH:1:3" indirect4 $PR 1 7
	fexpect "service AUTH_ERROR: CALLIT is silent" NOREPLY -t $NOREPLY_MS callit2 $PR 1 8
	fdiffer "service AUTH_ERROR TOOWEAK: INDIRECT gets it" "$lo AUTH_ERROR:5" indirect4 $PR 1 8
	fdiffer "a garbled reply: INDIRECT gets SYSTEM_ERR" "$lo SYSTEM_ERR" indirect4 $PR 1 2
	fexpect "a garbled reply: CALLIT is silent" NOREPLY -t $NOREPLY_MS callit2 $PR 1 2
	fexpect "the raw service's ADD, for comparison" "$lof SUCCESS port=$R4 res=0000002a" callit2 $PR 1 1 20 22

	# Sizes: a result that fits a datagram answer, and one that does not
	# once wrapped (RB_UDP_REPLY_MAX 8800): the service's own reply fits.
	fexpect "CALLIT v2 of an 8760-byte result: relayed whole" \
		"$lof SUCCESS port=$T4 res=00002238ab.*\\(8764 bytes\\)" callit2 $PT 1 2 8760
	fdiffer "INDIRECT of the same result (does not fit with the address): SYSTEM_ERR" \
		"$lo SYSTEM_ERR" indirect4 $PT 1 2 8760
	fexpect "BCAST of the same result: silent" NOREPLY -t $NOREPLY_MS bcast4 $PT 1 2 8760
	fdiffer "INDIRECT of a reply over 9000 bytes: SYSTEM_ERR" "$lo SYSTEM_ERR" indirect4 $PR 1 5 9100

	# Replies that must never be relayed, and services that never answer:
	# run side by side (each waits out the timeout).
	local tmo k el
	tmo=$(fwd_const RB_FWD_TIMEOUT_MS)
	is_ringbind || tmo=3000
	timed() {
		local out=$1 t0
		shift
		t0=$(now_ms)
		fcli "$@" >"$out" 2>&1
		echo "ELAPSED $(($(now_ms) - t0))" >>"$out"
	}
	timed "$E2E_TMP/to.silent" -t $((tmo + 3000)) indirect4 $PT 1 5 &
	local p1=$!
	timed "$E2E_TMP/to.otherport" -t $((tmo + 3000)) indirect4 $PR 1 3 1 2 &
	local p2=$!
	timed "$E2E_TMP/to.wrongxid" -t $((tmo + 3000)) indirect4 $PR 1 4 1 2 &
	local p3=$!
	timed "$E2E_TMP/to.callit" -t $((tmo + 1000)) callit3 $PT 1 5 &
	local p4=$!
	wait $p1 $p2 $p3 $p4
	for k in silent otherport wrongxid; do
		E2E_OUT=$E2E_TMP/to.$k
		el=$(sed -n 's/^ELAPSED //p' "$E2E_OUT")
		if ! is_ringbind; then
			note "reference, INDIRECT to a service that never answers ($k): $(head -1 "$E2E_OUT") after $el ms"
		elif grep -Eq "^$lo SYSTEM_ERR\$" "$E2E_OUT" && [ "$el" -ge $((tmo - 300)) ] &&
			[ "$el" -le $((tmo + 2000)) ]; then
			pass "a service that never answers ($k): INDIRECT gets SYSTEM_ERR after $el ms (RB_FWD_TIMEOUT_MS $tmo)"
		else
			fail "a service that never answers ($k): expected SYSTEM_ERR after about $tmo ms, got: $(tr '\n' ' ' <"$E2E_OUT")"
		fi
	done
	E2E_OUT=$E2E_TMP/to.callit
	expect "a service that never answers: CALLIT is silent" '^NOREPLY$'

	# Over TCP nothing is forwarded.
	expect_result "CALLIT over TCP with -r: silent" NOREPLY \
		tcp,t=$NOREPLY_MS 100000/3/5 u:$PT u:1 u:1 u:8 u:3 u:4
	if is_ringbind; then
		expect_result "INDIRECT over TCP with -r: as without (udp only: PROG_UNAVAIL)" \
			PROG_UNAVAIL tcp 100000/4/10 u:$PT u:1 u:1 u:8 u:3 u:4
	else
		note "reference, INDIRECT over TCP: $(rawcall tcp,t=$NOREPLY_MS 100000/4/10 u:$PT u:1 u:1 u:8 u:3 u:4 | awk '{print $2}')"
	fi

	# The forwarded xids: never the caller's, and random.
	grep '^CALL' "$RAW_LOG" | sed 's/.*xid=\([0-9a-f]*\).*/\1/' >"$E2E_TMP/xids"
	local n
	n=$(wc -l <"$E2E_TMP/xids")
	if grep -q '^7a000001$' "$E2E_TMP/xids"; then
		fail "a forwarded call carried the caller's xid"
	else
		pass "no forwarded call carries the caller's xid ($n calls)"
	fi
	local close
	close=$(awk 'function h(s,  v, i) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
		NR > 1 { d = h($1) - p; if (d < 0) d = -d; if (d < 4096) c++ } { p = h($1) } END { print c + 0 }' "$E2E_TMP/xids")
	if [ "$n" -lt 5 ]; then
		fail "only $n forwarded calls reached the raw service"
	elif is_ringbind; then
		if [ "$close" = 0 ]; then
			pass "forwarded xids look random (no two in a row within 4096 of each other)"
		else
			fail "$close forwarded xids follow their predecessor closely: $(tr '\n' ' ' <"$E2E_TMP/xids")"
		fi
	else
		note "reference: $close of $n forwarded xids within 4096 of the one before: $(tr '\n' ' ' <"$E2E_TMP/xids")"
	fi

	srv_check_alive "after the remote calls"
	services_stop
	srv_stop
}

# A flood of CALLITs to a mute service (ringbind, one worker): the table
# holds at most RB_FWD_MAX, the rest are dropped, NULL is still answered.
flood_checks() {
	echo "--- flood"
	local max tmo rss0 rss1 n before t0
	max=$(fwd_const RB_FWD_MAX)
	tmo=$(fwd_const RB_FWD_TIMEOUT_MS)
	srv_start -r --workers 1 || return 1
	services || return 1
	before=$(grep -c 'proc=6 ' "$RAW_LOG")
	rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$E2E_SRV_PID/status")
	t0=$(now_ms)
	run_quiet env "$FWD_ENV" "$FWD_CLI" -n 10000 -t 200 -x 0x10000000 callit2 $PR 1 6
	note "flood: $(cat "$E2E_OUT") in $(($(now_ms) - t0)) ms"
	expect_result "NULL over UDP during the flood's aftermath" 'SUCCESS:' udp 100000/2/0
	expect_result "NULL over TCP during the flood's aftermath" 'SUCCESS:' tcp 100000/2/0
	if [ $(($(now_ms) - t0)) -ge "$tmo" ]; then
		fail "the flood took longer than RB_FWD_TIMEOUT_MS: the bound cannot be read"
	fi
	n=$(($(grep -c 'proc=6 ' "$RAW_LOG") - before))
	if [ "$n" -le "$max" ] && [ "$n" -ge $((max / 2)) ]; then
		pass "10,000 CALLITs to a mute service: $n forwarded at once (RB_FWD_MAX $max)"
	else
		fail "10,000 CALLITs to a mute service: $n forwarded, expected at most RB_FWD_MAX $max (and the table filled)"
	fi
	if [ -z "$(grep 'proc=6 ' "$RAW_LOG" | sed 's/.*xid=\([0-9a-f]*\).*/\1/' | sort | uniq -d)" ]; then
		pass "the flood's forwarded xids are all distinct"
	else
		fail "the flood's forwarded xids repeat"
	fi
	if grep -q 'remote calls: forward table full' "$E2E_SRV_ERR"; then
		pass "the full table was logged"
	else
		fail "no 'forward table full' line in the server's log"
	fi
	rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$E2E_SRV_PID/status")
	if [ $((rss1 - rss0)) -le 4096 ]; then
		pass "server RSS $rss0 kB -> $rss1 kB during the flood"
	else
		fail "server RSS grew by $((rss1 - rss0)) kB during the flood"
	fi
	# The table drains at the timeout: forwarding resumes.
	if wait_for $((tmo + 4000)) eval "fcli -t 300 callit2 $PT 1 1 3 4 | grep -q 'SUCCESS port=$T4 res=00000007'"; then
		pass "forwarding resumes once the flood's calls time out ($(($(now_ms) - t0)) ms)"
	else
		fail "forwarding did not resume within RB_FWD_TIMEOUT_MS + 4 s of the flood"
	fi
	srv_check_alive "after the flood"
	services_stop
	srv_stop
}

# A non-local source (ringbind): answer address, merge, reflection guard,
# forward rate limit.
remote_checks() {
	echo "--- from a non-local source"
	. "$E2E_DIR/attack_lib.sh"
	remote_setup || return 1
	local burst rate there='198\.18\.0\.1' t4 got
	burst=$(fwd_const RB_FWD_BURST)
	rate=$(fwd_const RB_FWD_RATE)
	srv_start -r || return 1
	services || return 1
	t4=$(ua_port "$T4")
	rfc() { in_remote env "$FWD_ENV" "$FWD_CLI" -s "$ATK_THERE" -d "$ATK_HERE" "$@"; }
	got=$(rfc callit3 $PT 1 1 3 4)
	if [[ $got =~ ^FROM\ $there\.0\.111\ SUCCESS\ addr=$there\.$t4\ res=00000007$ ]]; then
		pass "from $ATK_THERE: CALLIT v3 answered from $ATK_HERE port 111, the address merged with it"
	else
		fail "from $ATK_THERE: CALLIT v3: got '$got'"
	fi
	got=$(rfc -c indirect4 $PT 1 1 3 4)
	if [[ $got =~ ^FROM\ $there\.0\.111\ SUCCESS ]]; then
		pass "from $ATK_THERE: INDIRECT to a client connected to $ATK_HERE:111"
	else
		fail "from $ATK_THERE: connected INDIRECT: got '$got'"
	fi
	got=$(rfc indirect4 $PT 1 2 200)
	if [[ $got == "FROM $ATK_HERE.0.111 SYSTEM_ERR" ]]; then
		pass "from $ATK_THERE: an answer larger than the call is refused (INDIRECT: SYSTEM_ERR)"
	else
		fail "from $ATK_THERE: a 200-byte result: got '$got', expected SYSTEM_ERR (reflection guard)"
	fi
	got=$(rfc -t $NOREPLY_MS bcast4 $PT 1 2 200)
	if [[ $got == NOREPLY ]]; then
		pass "from $ATK_THERE: BCAST with an answer larger than the call: silent"
	else
		fail "from $ATK_THERE: BCAST of a 200-byte result: got '$got'"
	fi
	fexpect "from loopback the same result is relayed" \
		"FROM 127\\.0\\.0\\.1\\.0\\.111 SUCCESS addr=.* res=000000c8ab.*" indirect4 $PT 1 2 200
	# The forward rate: 200 calls at once from one source.
	got=$(rfc -n 200 -t 1000 callit2 $PT 1 1 3 4)
	set -- $got
	if [ "${4:-0}" -ge 1 ] && [ "${4:-0}" -le $((burst + rate * 2)) ]; then
		pass "from $ATK_THERE: 200 CALLITs at once, $4 forwarded (RB_FWD_BURST $burst, RB_FWD_RATE $rate/s)"
	else
		fail "from $ATK_THERE: 200 CALLITs at once: '$got', expected 1..$((burst + rate * 2)) answers"
	fi
	fexpect "loopback is not rate-limited meanwhile" "FROM 127\\.0\\.0\\.1\\.0\\.111 SUCCESS port=$T4 res=00000007" \
		callit2 $PT 1 1 3 4
	services_stop
	srv_stop

	srv_start -r --trusted-net 198.18.0.0/15 || return 1
	services || return 1
	got=$(rfc indirect4 $PT 1 2 200)
	if [[ $got =~ ^FROM\ $there\.0\.111\ SUCCESS\ addr=.*\ res=000000c8ab ]]; then
		pass "--trusted-net: the larger answer is relayed to $ATK_THERE"
	else
		fail "--trusted-net: a 200-byte result: got '$got'"
	fi
	got=$(rfc -n 200 -t 1000 callit2 $PT 1 1 3 4)
	set -- $got
	if [ "${4:-0}" -ge 150 ]; then
		pass "--trusted-net: 200 CALLITs at once from $ATK_THERE, $4 answered (no forward rate limit)"
	else
		fail "--trusted-net: 200 CALLITs at once: '$got'"
	fi
	services_stop
	srv_stop
}

t_main() {
	[ -x "$FWD_SVC" ] && [ -x "$FWD_CLI" ] || { fail "helpers rb_e2e_fwd_service / rb_e2e_fwd_client missing"; return; }
	off_checks
	on_checks
	if is_ringbind; then
		flood_checks
		remote_checks
	fi
}
