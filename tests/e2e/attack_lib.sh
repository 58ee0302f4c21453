# Shared by the attack suite (tests/e2e/t_attack_*.sh; sourced from their
# t_main, after lib.sh). Every attack is framed by attack_begin and
# attack_end: the server's VmRSS before and after (bounded growth), the
# server still alive, and a NULL over UDP and over TCP answered within 1 s.

ATK_BIN=$E2E_BIN/rb_e2e_attack
ATK_NAME=""
ATK_RSS0=""
ATK_T0=0
ATK_N=0

# atk_need: ringbind only (rpcbind is known to fail several attacks), and
# the helper must be built.
atk_need() {
	is_ringbind || skip "the attack suite is for ringbind only"
	[ -x "$ATK_BIN" ] || { fail "helper $ATK_BIN missing"; return 1; }
}

srv_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$E2E_SRV_PID/status" 2>/dev/null; }

# atk_run LIMIT_S CMD...: runs a helper command bounded by LIMIT_S; its
# PASS/FAIL lines count as this test's.
atk_run() {
	local limit=$1 out rc
	shift
	ATK_N=$((ATK_N + 1))
	out=$E2E_TMP/atk.$ATK_N
	timeout -k 2 "$limit" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	E2E_PASSES=$((E2E_PASSES + $(grep -c '^PASS' "$out")))
	E2E_FAILS=$((E2E_FAILS + $(grep -c '^FAIL' "$out")))
	case $rc in
	0) ;;
	124 | 137) fail "$ATK_NAME: '$*' timed out after $limit s" ;;
	*) [ "$(grep -c '^FAIL' "$out")" -gt 0 ] || fail "$ATK_NAME: '$*' exited with status $rc" ;;
	esac
	return $rc
}

# atk LIMIT_S CHECK ARGS...: the helper against the server on loopback.
atk() {
	local limit=$1
	shift
	atk_run "$limit" "$ATK_BIN" -P "$E2E_SRV_PID" "$@"
}

# srv_asan: the server runs under AddressSanitizer. Its quarantine keeps
# freed memory for a while (up to quarantine_size_mb, 256 MiB by default),
# so RSS grows with malloc/free churn that is no leak: the bounds below get
# ATK_ASAN_SLACK_KB more there, and say so.
ATK_ASAN_SLACK_KB=16384
srv_asan() { grep -q 'libasan' "/proc/$E2E_SRV_PID/maps" 2>/dev/null; }
# srv_asan_build: the same, before the server runs (its program's libraries).
srv_asan_build() { ldd "$(srv_prog "${E2E_SRV_CMD:-$E2E_SERVER}")" 2>/dev/null | grep -q libasan; }

# attack_begin NAME: some ordinary traffic first (the server's buffer
# pools are touched on first use, which is not growth), then the server's
# RSS.
attack_begin() {
	ATK_NAME=$1
	echo "--- attack: $ATK_NAME"
	timeout 20 "$ATK_BIN" warm >"$E2E_TMP/warm.out" 2>&1 || cat "$E2E_TMP/warm.out"
	ATK_RSS0=$(srv_rss_kb)
	ATK_T0=$(now_ms)
}

# attack_end BOUND_KB [WHY]: the server is alive, its RSS grew by at most
# BOUND_KB (plus ATK_ASAN_SLACK_KB under ASan), and it answers NULL over
# UDP and TCP within 1 s.
attack_end() {
	local bound=$1 why=${2:-} rss1
	srv_check_alive "after $ATK_NAME" || return 1
	if srv_asan; then
		bound=$((bound + ATK_ASAN_SLACK_KB))
		why="${why:+$why; }+$ATK_ASAN_SLACK_KB kB for ASan's quarantine"
	fi
	rss1=$(srv_rss_kb)
	if [ -z "$ATK_RSS0" ] || [ -z "$rss1" ]; then
		fail "$ATK_NAME: cannot read the server's VmRSS (pid $E2E_SRV_PID)"
	elif [ $((rss1 - ATK_RSS0)) -le "$bound" ]; then
		pass "$ATK_NAME: server RSS $ATK_RSS0 kB -> $rss1 kB ($((rss1 - ATK_RSS0)) kB, bound $bound kB${why:+: $why})"
	else
		fail "$ATK_NAME: server RSS $ATK_RSS0 kB -> $rss1 kB grew by $((rss1 - ATK_RSS0)) kB, over the bound of $bound kB"
	fi
	atk 10 null
	note "$ATK_NAME took $(($(now_ms) - ATK_T0)) ms"
}

# ---- a non-local source: a second network namespace behind a veth pair,
# addresses from 198.18.0.0/15 (RFC 2544 benchmarking) on the pair only.
ATK_NS=""
ATK_VETH=""
ATK_HERE=198.18.0.1   # this namespace's end (the server listens on all addresses)
ATK_THERE=198.18.0.2  # the attacker's end, in $ATK_NS

remote_cleanup() {
	if [ -n "$ATK_NS" ]; then
		ip netns del "$ATK_NS" 2>/dev/null
		ATK_NS=""
	fi
	if [ -n "$ATK_VETH" ]; then
		ip link del "$ATK_VETH" 2>/dev/null
		ATK_VETH=""
	fi
}

# remote_setup: creates the namespace and the pair (removed on exit).
remote_setup() {
	local ns=rbatk-$$ v0=rbatk$$a v1=rbatk$$b
	trap 'remote_cleanup; e2e_cleanup' EXIT
	command -v ip >/dev/null || skip "needs ip"
	ip netns add "$ns" 2>"$E2E_TMP/netns.err" ||
		skip "cannot create a second network namespace: $(cat "$E2E_TMP/netns.err")"
	ATK_NS=$ns
	if ! ip link add "$v0" type veth peer name "$v1" netns "$ns" 2>"$E2E_TMP/veth.err"; then
		skip "cannot create a veth pair: $(cat "$E2E_TMP/veth.err")"
	fi
	ATK_VETH=$v0
	if ! { ip addr add "$ATK_HERE/30" dev "$v0" &&
		ip link set "$v0" up &&
		ip -n "$ns" addr add "$ATK_THERE/30" dev "$v1" &&
		ip -n "$ns" link set "$v1" up &&
		ip -n "$ns" link set lo up; }; then
		fail "configuring the veth pair"
		return 1
	fi
	# the pair is up once a packet crosses it (bounded)
	if ! wait_for 5000 remote_ready; then
		fail "the veth pair never came up"
		return 1
	fi
	note "non-local source: $ATK_THERE in namespace $ns (veth $v1) -> $ATK_HERE ($v0)"
}

remote_ready() {
	[ "$(ip -n "$ATK_NS" -o link show dev "rbatk$$b" 2>/dev/null | grep -c 'LOWER_UP')" = 1 ] &&
		[ "$(ip -o link show dev "rbatk$$a" 2>/dev/null | grep -c 'LOWER_UP')" = 1 ]
}

# in_remote CMD...: CMD inside the attacker's namespace.
in_remote() { ip netns exec "$ATK_NS" "$@"; }

# ratk LIMIT_S CHECK ARGS...: the helper from the non-local source.
ratk() {
	local limit=$1
	shift
	atk_run "$limit" ip netns exec "$ATK_NS" "$ATK_BIN" -s "$ATK_THERE" -d "$ATK_HERE" "$@"
}

# rexpect NAME WANT TRANSPORT TOKENS...: one rawcall from the non-local
# source to $ATK_HERE; its result column must match WANT (a glob).
rexpect() {
	local name=$1 want=$2 tr=$3 got
	shift 3
	got=$(in_remote "$E2E_BIN/rb_e2e_rawcall" "$tr,src=$ATK_THERE,dst=$ATK_HERE" "$@" | awk '{print $2}')
	# shellcheck disable=SC2053 # WANT may be a glob on purpose
	if [[ $got == $want ]]; then
		pass "$name"
	else
		fail "$name: rawcall $tr,src=$ATK_THERE,dst=$ATK_HERE $*: expected $want, got $got"
	fi
}

# atk_nofile NEED: RLIMIT_NOFILE of this shell (so of the server and the
# helpers it starts) at least NEED: where lower, raised to 32768, or else
# the soft limit to the hard one (raising the hard limit needs
# CAP_SYS_RESOURCE); the test is skipped where it cannot be.
atk_nofile() {
	local need=$1 nofile
	nofile=$(ulimit -n)
	if [ "$nofile" = unlimited ] || [ "$nofile" -ge "$need" ]; then
		return 0
	fi
	ulimit -n 32768 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
	if [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$need" ]; then
		note "RLIMIT_NOFILE raised from $nofile to $(ulimit -n) for the server and the client"
	else
		skip "RLIMIT_NOFILE is $nofile (hard $(ulimit -Hn)) and cannot be raised to $need"
	fi
}

# atk_metric NAME{LABELS}: the value of one sample of the server's
# Prometheus exposition (127.0.0.1:9111 unless ATK_METRICS says otherwise),
# empty when the sample is not there.
ATK_METRICS=127.0.0.1:9111
atk_metric() {
	curl -s --max-time 5 "http://$ATK_METRICS/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v }'
}
