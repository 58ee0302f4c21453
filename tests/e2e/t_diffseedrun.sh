# One half of the seeded differential test (t_diffseed.sh): a fresh server,
# the generated calls ($E2E_DIFF_CALLS_FILE) in order, the results in
# $E2E_TMP/calls.out.
t_main() {
	srv_start || return
	if rawcall -b -t "${E2E_DIFF_TIMEOUT_MS:-5000}" <"$E2E_DIFF_CALLS_FILE" >"$E2E_TMP/calls.out" 2>"$E2E_TMP/calls.err"; then
		pass "sent $(grep -c . "$E2E_TMP/calls.out") calls"
	else
		fail "rb_e2e_rawcall -b failed: $(head -5 "$E2E_TMP/calls.err")"
	fi
	srv_check_alive "after the seeded differential calls"
	srv_stop
}
