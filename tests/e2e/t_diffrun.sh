# One half of the differential test (t_diff.sh): a fresh server, the calls
# of diff_calls.txt in order, the results in $E2E_TMP/calls.out.
t_main() {
	srv_start || return
	if rawcall -b -t 500 <"$E2E_DIR/diff_calls.txt" >"$E2E_TMP/calls.out" 2>"$E2E_TMP/calls.err"; then
		pass "sent $(grep -c . "$E2E_TMP/calls.out") calls"
	else
		fail "rb_e2e_rawcall -b failed: $(head -5 "$E2E_TMP/calls.err")"
	fi
	srv_check_alive "after the differential calls"
	srv_stop
}
