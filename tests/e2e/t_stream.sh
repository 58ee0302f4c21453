# Large replies over TCP as a client sees them (registry/procs/stream.h): a DUMP
# of 20,000 registrations comes in record fragments of at most
# RB_STREAM_CHUNK bytes, one after the other without waiting for the
# client's delayed ACKs (TCP_NODELAY), pipelined DUMPs are all answered in
# order, a client that half-closes after its calls gets every reply before
# the server closes, and a client that reads slowly (the server's sends
# stop part way, the fragments after are made again) gets the same bytes
# (tests/e2e/dumpclient.py). A client that sends only empty fragments is
# reaped as idle.
STR_REG=20000
STR_FRAG_MAX=$((16384 - 4)) # RB_STREAM_CHUNK (net/base/limits.h) less the mark

str_client() {
	local out=$E2E_TMP/dumpclient.$1 rc
	timeout 60 python3 "$E2E_DIR/dumpclient.py" 111 "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	E2E_PASSES=$((E2E_PASSES + $(grep -c '^PASS' "$out")))
	E2E_FAILS=$((E2E_FAILS + $(grep -c '^FAIL' "$out")))
	[ $rc -eq 0 ] || [ "$(grep -c '^FAIL' "$out")" -gt 0 ] || fail "dumpclient $1: exit status $rc"
}

t_main() {
	is_ringbind || skip "the fragment size is ringbind's"
	command -v python3 >/dev/null || skip "needs python3"
	srv_start --workers 1 || return
	timeout 120 "$E2E_BIN/rb_e2e_attack" prime 0 $STR_REG >"$E2E_TMP/prime" 2>&1 ||
		{ fail "priming $STR_REG registrations: $(tail -3 "$E2E_TMP/prime")"; return; }
	# 20,000 programs primed on udp and tcp, or one of them: at least N.
	# serial: 20 DUMPs of about 1 MB, each in some 70 fragments; with a
	# delayed ACK per fragment they would take 56 s, not under 1.
	str_client serial 20 $STR_REG $STR_FRAG_MAX 20
	str_client pipeline 8 $STR_REG $STR_FRAG_MAX 30
	str_client halfclose 8 $STR_REG $STR_FRAG_MAX 30
	# sends that stop part way, fragments made again: same bytes
	str_client slow 2 $STR_REG $STR_FRAG_MAX 40
	srv_check_alive "after the DUMPs" || return
	srv_stop

	# Bytes that never make a call are no activity: a stream of empty
	# fragments is reaped at --idle-timeout (1 s here) like an idle client.
	srv_start --workers 1 --idle-timeout 1000 || return
	str_client emptyfrags 0 0 0 5
	srv_stop
}
