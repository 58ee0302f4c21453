# Attack suite, the descriptor limit (ringbind only): the server runs with
# RLIMIT_NOFILE 1024 (`ulimit -n 1024` for the server alone: a wrapper that
# sets it and execs ringbind) and 3,000 clients connect over TCP and hold
# their connections for 10 s (rb_e2e_attack fdlimit). Asserts:
#   - the server reaches its limit (else the test would prove nothing)
#   - at the limit it does not spin: its CPU (utime + stime of
#     /proc/PID/stat) over a 5 s window is under 5% of one core while a new
#     client tries every 100 ms; UDP NULLs are answered meanwhile
#   - once the clients close, a new TCP NULL is answered within 2 s
#   - each pause is counted: ringbind_dropped_total{reason="accept_paused"}
#     (the family of reason="connection_cap") is above 0
#   - it is logged: a line with "out of file descriptors" on its stderr
. "$E2E_DIR/attack_lib.sh"

FDL_LIMIT=1024
FDL_CLIENTS=3000
FDL_HOLD=10
FDL_WINDOW=5
FDL_CPU_PCT=5

t_main() {
	atk_need || return
	command -v curl >/dev/null || skip "needs curl (the metrics endpoint)"
	# the clients' descriptors (the test's own limit; the server gets 1024)
	atk_nofile $((FDL_CLIENTS + 2048)) || return
	local prog wrap
	prog=$(srv_prog "$E2E_SERVER")
	# named ringbind-* so that lib.sh still treats it as ringbind; exec
	# keeps the PID
	wrap=$E2E_TMP/ringbind-nofile$FDL_LIMIT
	printf '#!/bin/bash\nulimit -n %s || exit 99\nexec %s "$@"\n' "$FDL_LIMIT" "$prog" >"$wrap"
	chmod 755 "$wrap"
	# shellcheck disable=SC2086 # the command line is words on purpose
	set -- $E2E_SERVER
	shift
	E2E_SRV_CMD="$wrap $*"

	srv_start --workers 2 --metrics "$ATK_METRICS" || return
	local lim
	lim=$(awk '/^Max open files/ { print $4 }' "/proc/$E2E_SRV_PID/limits")
	if [ "$lim" = "$FDL_LIMIT" ]; then pass "the server runs with RLIMIT_NOFILE $lim"
	else fail "the server's RLIMIT_NOFILE is '$lim', expected $FDL_LIMIT"; fi

	attack_begin "$FDL_CLIENTS clients against a descriptor limit of $FDL_LIMIT"
	atk 60 fdlimit $FDL_CLIENTS $FDL_HOLD $FDL_WINDOW $FDL_CPU_PCT
	local v
	v=$(atk_metric 'ringbind_dropped_total{reason="accept_paused"}')
	if [ -n "$v" ] && [ "$v" -gt 0 ] 2>/dev/null; then
		pass "metrics: ringbind_dropped_total{reason=\"accept_paused\"} is $v"
	else
		fail "metrics: ringbind_dropped_total{reason=\"accept_paused\"} is '${v:-missing}', expected > 0"
	fi
	if grep -q 'out of file descriptors' "$E2E_SRV_ERR"; then
		pass "logged: $(grep -m1 'out of file descriptors' "$E2E_SRV_ERR")"
		local n
		n=$(grep -c 'out of file descriptors' "$E2E_SRV_ERR")
		# rate-limited: fewer lines than pauses, and not many
		if [ "$n" -le 100 ] && [ -n "$v" ] && [ "$n" -lt "$v" ] 2>/dev/null; then
			pass "the log line is rate-limited: $n lines in ${FDL_HOLD} s for $v pauses"
		else
			fail "the log line is not rate-limited: $n lines in ${FDL_HOLD} s for ${v:-no count of} pauses"
		fi
	else
		fail "no 'out of file descriptors' line in the server's stderr"
		tail -5 "$E2E_SRV_ERR" | sed 's/^/  server stderr: /'
	fi
	# a connection slot per connection served, kept for reuse (4 KiB each,
	# as t_attack_conns.sh allows)
	attack_end $((FDL_LIMIT * 4)) "up to $FDL_LIMIT connections held"
	srv_stop
	unset E2E_SRV_CMD
}
