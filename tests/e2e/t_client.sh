# libtirpc's client calls (tests/e2e/rpcb_client.c) against the server.
t_main() {
	srv_start || return
	local rc
	# Under ASan, LeakSanitizer would report libtirpc's own leaks (inside
	# rpcb_getmaps, authunix_create) in the client: not what this tests.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		timeout 60 "$E2E_BIN/rb_e2e_rpcb_client" 2>&1 | tee "$E2E_TMP/client.out"
	rc=${PIPESTATUS[0]}
	E2E_PASSES=$((E2E_PASSES + $(grep -c '^PASS' "$E2E_TMP/client.out")))
	case $rc in
	0) ;;
	77) skip "rb_e2e_rpcb_client skipped" ;;
	124) fail "rb_e2e_rpcb_client timed out" ;;
	*) E2E_FAILS=$((E2E_FAILS + $(grep -c '^FAIL' "$E2E_TMP/client.out")))
	   [ "$(grep -c '^FAIL' "$E2E_TMP/client.out")" -gt 0 ] || fail "rb_e2e_rpcb_client exited with status $rc" ;;
	esac
	srv_check_alive "after the libtirpc client"
	srv_stop
}
