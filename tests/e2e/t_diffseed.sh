# Seeded differential test: E2E_DIFF_N (20000) mostly-valid random calls of
# every procedure of versions 2, 3 and 4, over UDP, TCP, their IPv6 forms and
# AF_LOCAL (tests/e2e/diffseed.py, seed E2E_DIFF_SEED, 17 by default), go to
# Debian's rpcbind and to the server under test, each fresh in its own
# namespaces. Replies are compared after normalising (the xids are the same
# by construction; GETTIME's clock masked; DUMP without the programs that only
# the deliberately divergent calls touch); every difference must match a
# class of tests/e2e/diff_allow.txt, and README's list of deliberate
# differences must name exactly those classes. Against rpcbind itself (the
# harness's self-check) every reply must be identical.
#
# A longer run by hand (figures in README):
#   E2E_DIFF_N=200000 E2E_DIFF_SEED=7 ctest -R e2e_diffseed_epoll --timeout 900

t_outer() {
	local ref_prog rc0 rc1 rc2 n=${E2E_DIFF_N:-20000} seed=${E2E_DIFF_SEED:-17}
	# The harness's self-check (rpcbind against itself) with fewer calls.
	is_ringbind || n=${E2E_DIFF_N:-5000}
	command -v python3 >/dev/null || skip "needs python3"
	ref_prog=$(srv_prog "$E2E_REF")
	[ -x "$ref_prog" ] || skip "the reference $ref_prog is not installed (package rpcbind)"
	python3 "$E2E_DIR/diffseed.py" readme "$E2E_DIR/diff_allow.txt" "$E2E_DIR/../../README.md"
	local rc0=$?
	export E2E_DIFF_CALLS_FILE=$E2E_TMP/calls.txt
	python3 "$E2E_DIR/diffseed.py" gen "$seed" "$n" >"$E2E_DIFF_CALLS_FILE" || { echo "FAIL: generator"; return 1; }
	chmod 644 "$E2E_DIFF_CALLS_FILE"
	echo "  .. seed $seed: $(wc -l <"$E2E_DIFF_CALLS_FILE") calls"
	mkdir -p "$E2E_TMP/ref" "$E2E_TMP/sut"
	chmod 755 "$E2E_TMP/ref" "$E2E_TMP/sut"
	local t0
	t0=$(now_ms)
	echo "== reference: $E2E_REF"
	e2e_spawn_inner diffseedrun "$E2E_REF" "$E2E_TMP/ref" $((E2E_LIMIT / 2 - 5))
	rc1=$?
	echo "  .. $(($(now_ms) - t0)) ms"
	t0=$(now_ms)
	echo "== under test: $E2E_SERVER"
	e2e_spawn_inner diffseedrun "$E2E_SERVER" "$E2E_TMP/sut" $((E2E_LIMIT / 2 - 5))
	rc2=$?
	echo "  .. $(($(now_ms) - t0)) ms"
	[ $rc1 -eq 0 ] || echo "FAIL: the reference run failed (status $rc1)"
	[ $rc2 -eq 0 ] || echo "FAIL: the run under test failed (status $rc2)"
	local self=""
	is_ringbind || self=self
	python3 "$E2E_DIR/diffseed.py" compare "$E2E_DIR/diff_allow.txt" "$E2E_DIFF_CALLS_FILE" \
		"$E2E_TMP/ref/calls.out" "$E2E_TMP/sut/calls.out" $self
	local rc=$?
	[ $rc0 -eq 0 ] && [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc -eq 0 ]
}
