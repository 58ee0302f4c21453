# Helpers of the persistence tests (t_kill, t_durable, t_statefull,
# t_import, t_corrupt): starting ringbind many times on one state directory,
# killing it, reading its registry. Sourced by those tests; builds on lib.sh.
#
# Readiness is never a sleep: d_wait_ready waits for whichever ends first,
# the sd_notify receiver (it exits on READY=1, or after its own timeout) or
# the daemon (it failed to start), looking every 10 ms.

D_N=0
D_PID=""     # the daemon being started or running
D_NPID=""    # its sd_notify receiver
D_ERR=""     # its stderr
D_RC=""      # exit status of the last daemon that ended
D_READY_MS=0 # start to READY=1 of the last d_start

# Only processes still running stay in E2E_PIDS (lib.sh kills those left at
# exit): a reaped PID is removed at once, so that it can never be reused
# and killed by mistake.
d_track() { E2E_PIDS="$E2E_PIDS $1"; }
d_untrack() {
	local p out=""
	for p in $E2E_PIDS; do [ "$p" = "$1" ] || out="$out $p"; done
	E2E_PIDS=$out
}

d_ringbind_only() {
	is_ringbind || skip "persistence is ringbind's (the server under test is $(srv_prog "$E2E_SERVER"))"
	[ -x "$E2E_BIN/rb_e2e_churn" ] || { fail "helper $E2E_BIN/rb_e2e_churn missing"; return 1; }
}

churn() { "$E2E_BIN/rb_e2e_churn" "$@"; }

# d_spawn [--no-notify] ARGS...: starts ringbind in the background (stderr
# to a new file $D_ERR); no wait. Without --no-notify its sd_notify receiver
# is bound first.
d_spawn() {
	local notify=1 sock
	[ "${1:-}" = "--no-notify" ] && { notify=0; shift; }
	D_N=$((D_N + 1))
	D_ERR=$E2E_TMP/ringbind.$D_N.err
	D_NPID=""
	if [ $notify = 1 ]; then
		sock="@rb-e2e-dnotify-$$-$D_N"
		: >"$E2E_TMP/notify.d$D_N"
		"$E2E_BIN/rb_e2e_notify" "$sock" 10000 >"$E2E_TMP/notify.d$D_N" 2>&1 &
		D_NPID=$!
		d_track "$D_NPID"
		if ! wait_for 5000 grep -q '^BOUND' "$E2E_TMP/notify.d$D_N"; then
			fail "notify socket $sock not bound"
			return 1
		fi
		# shellcheck disable=SC2086 # the command line is words on purpose
		NOTIFY_SOCKET=$sock $E2E_SERVER "$@" >/dev/null 2>"$D_ERR" &
	else
		# shellcheck disable=SC2086
		$E2E_SERVER "$@" >/dev/null 2>"$D_ERR" &
	fi
	D_PID=$!
	d_track "$D_PID"
	D_T0=$(date +%s%N)
	return 0
}

# d_reap_notify: ends the notify receiver if it still runs.
d_reap_notify() {
	[ -n "$D_NPID" ] || return 0
	if alive "$D_NPID"; then kill -TERM "$D_NPID" 2>/dev/null; fi
	wait "$D_NPID" 2>/dev/null
	d_untrack "$D_NPID"
	D_NPID=""
}

# d_wait_ready: 0 ready (READY=1 and the "ringbind: ready" line; the
# daemon is then E2E_SRV_PID for srv_stop), 1 the
# daemon exited first (D_RC its status; D_PID cleared), 2 no READY=1 within
# the receiver's 10 s.
d_wait_ready() {
	local which="" rc end=$(($(now_ms) + 15000))
	# Not `wait -n PID PID`: bash 5.2 drops from it a job that ended (and
	# was reaped) before it was called ("no such job") and waits for the
	# other one, here the daemon, for ever: a receiver that got READY=1
	# while d_spawn still ran hung e2e_stateroom_uring until its 60 s.
	while alive "$D_NPID" && alive "$D_PID" && [ "$(now_ms)" -lt "$end" ]; do
		sleep 0.01
	done
	if ! alive "$D_NPID"; then
		which=$D_NPID
	elif ! alive "$D_PID"; then
		which=$D_PID
	else
		return 2 # the receiver outlived its own timeout
	fi
	wait "$which"
	rc=$?
	if [ "$which" = "$D_NPID" ]; then
		d_untrack "$D_NPID"
		D_NPID=""
		[ $rc -eq 0 ] || return 2
		D_READY_MS=$((($(date +%s%N) - D_T0) / 1000000))
		wait_for 2000 grep -q 'ringbind: ready' "$D_ERR" || return 2
		E2E_SRV_PID=$D_PID
		E2E_SRV_ERR=$D_ERR
		return 0
	fi
	D_RC=$rc
	d_untrack "$D_PID"
	D_PID=""
	d_reap_notify
	return 1
}

# d_sanitizer_check FILE WHAT: fails if FILE holds a sanitizer report.
d_sanitizer_check() {
	if grep -Eq 'ERROR: (Address|Leak|Thread|Memory|UndefinedBehavior)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$1"; then
		fail "sanitizer report in ringbind's stderr ($2):"
		grep -E -A15 'Sanitizer|runtime error:' "$1" | head -40 | sed 's/^/  /'
		return 1
	fi
	return 0
}

# d_start ARGS...: starts ringbind and waits until it is ready; fails the
# test (with its stderr) when it is not. The running daemon is also
# E2E_SRV_PID/E2E_SRV_ERR, so lib.sh's srv_stop and srv_check_alive apply.
d_start() {
	d_spawn "$@" || return 1
	d_wait_ready
	case $? in
	0) return 0 ;;
	1) fail "ringbind exited with status $D_RC before it was ready: ringbind $*" ;;
	2) fail "ringbind sent no READY=1 within 10 s: ringbind $*"; d_kill ;;
	esac
	sed 's/^/  ringbind stderr: /' "$D_ERR" | head -20
	return 1
}

# d_kill: SIGKILL the daemon (if it runs), reap it, check its stderr.
d_kill() {
	d_reap_notify
	if [ -n "$D_PID" ]; then
		kill -KILL "$D_PID" 2>/dev/null
		wait "$D_PID" 2>/dev/null
		D_RC=$?
		d_untrack "$D_PID"
		D_PID=""
	fi
	E2E_SRV_PID=""
	d_sanitizer_check "$D_ERR" "killed run $D_N"
}

# d_stop: SIGTERM through lib.sh (exit status 0, socket removed, no
# sanitizer report).
d_stop() {
	[ -n "$E2E_SRV_PID" ] || E2E_SRV_PID=$D_PID
	srv_stop
	if [ -n "$D_PID" ] && alive "$D_PID"; then
		fail "ringbind (run $D_N) still runs after d_stop"
		kill -KILL "$D_PID" 2>/dev/null
		wait "$D_PID" 2>/dev/null
	fi
	d_untrack "$D_PID"
	D_PID=""
}

# d_dump FILE [local|tcp]: the registry (RPCBIND v3 DUMP) without program
# 100000, sorted, one "PROG VERS NETID UADDR OWNER" line each.
d_dump() {
	local out=$1 t=${2:-local}
	if ! timeout 20 "$E2E_BIN/rb_e2e_churn" dump -T "$t" >"$out.all" 2>&1; then
		fail "DUMP over $t: $(head -3 "$out.all")"
		: >"$out"
		return 1
	fi
	grep -v '^100000 ' "$out.all" | sort >"$out"
	return 0
}

# d_same NAME WANT GOT: two dumps must be equal.
d_same() {
	if cmp -s "$2" "$3"; then
		pass "$1 ($(wc -l <"$2") registrations)"
	else
		fail "$1: registry differs (< expected, > got):"
		diff "$2" "$3" | head -20 | sed 's/^/  /'
	fi
}

# d_log_has NAME ERE [FILE]: the daemon's stderr has a matching line.
d_log_has() {
	local f=${3:-$D_ERR}
	if grep -Eq -- "$2" "$f"; then
		pass "$1"
	else
		fail "$1: no line matching /$2/ in ringbind's stderr:"
		sed 's/^/  | /' "$f" | head -20
	fi
}
