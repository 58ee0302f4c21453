# Robustness (ringbind only; rpcbind is known to fail parts of it): idle
# connections, a client that never reads its replies, oversized records,
# random bytes, the rpcbomb (tests/e2e/stress.c).
t_main() {
	srv_start || return
	local c rc
	for c in idle pipeline bigrecord random rpcbomb; do
		timeout 60 "$E2E_BIN/rb_e2e_stress" -P "$E2E_SRV_PID" $c >"$E2E_TMP/stress.$c" 2>&1
		rc=$?
		cat "$E2E_TMP/stress.$c"
		E2E_PASSES=$((E2E_PASSES + $(grep -c '^PASS' "$E2E_TMP/stress.$c")))
		E2E_FAILS=$((E2E_FAILS + $(grep -c '^FAIL' "$E2E_TMP/stress.$c")))
		case $rc in
		0) ;;
		124) fail "stress $c: timed out after 60 s" ;;
		*) [ "$(grep -c '^FAIL' "$E2E_TMP/stress.$c")" -gt 0 ] || fail "stress $c: exit status $rc" ;;
		esac
		srv_check_alive "after stress $c" || return
	done
	srv_stop
}
