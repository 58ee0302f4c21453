# Attack suite, bounded work per client (ringbind only). One worker
# (--workers 1: the flood and the lookups it must not starve share it) and
# a large registry; connections that each write 93 pipelined RPCBIND v3
# DUMP calls (44 bytes each, 4,092 bytes in one write) and never read,
# held BUD_HOLD seconds (rb_e2e_attack dumpflood):
#   - 20,000 registrations: 10 and 2,000 connections from loopback, then
#     from a non-local source (198.18.0.2 in a second network namespace
#     behind a veth pair, attack_lib.sh: remote_setup)
#   - 100,000 registrations: 10 and 2,000 connections from loopback
# Each flood asserts:
#   - the server's RSS (peak, sampled every 20 ms) stays within
#     BUD_GROW_KB (64 MiB) of its idle RSS (measured once per registry
#     size, after priming)
#   - memory per connection: (peak - RSS just before the flood) is at most
#     connections x BUD_CONN_KB (48 KiB: RB_CONN_MEM_MAX, net/base/limits.h,
#     with the default --max-unsent) + BUD_FIXED_KB once, whatever the
#     registry size
#   - a UDP GETPORT client on loopback, 1,000 calls a second for the whole
#     flood (open loop), loses none (1 s) and gets no wrong answer; its p99
#     is within 3x its own p99 measured just before without the flood, or
#     2 ms above it (6 ms under ASan; BUD_FLOOR_US, BUD_ROUNDS: see below);
#     the connections are opened by a thread at SCHED_IDLE
#   - afterwards (every connection closed) a TCP DUMP lists every primed
#     program right and a UDP GETPORT is answered right
# and is framed by attack_begin/attack_end (RSS after, NULLs answered).
. "$E2E_DIR/attack_lib.sh"

BUD_CALLS=93      # DUMP v3 calls per connection: 93 x 44 = 4,092 bytes
BUD_HOLD=4        # seconds held (the 608 MB came within 4 s)
BUD_CONN_KB=48    # RB_CONN_MEM_MAX (net/base/limits.h): 48 KiB per connection
BUD_GROW_KB=65536 # 64 MiB above the idle RSS, whatever the flood
# Paid once, not per connection: allocator metadata and the slabs a first
# burst of connections touches (10 connections took 4 to 728 kB in all on
# the streaming code). 1 MiB hides no growth with the registry: the code
# before it took 440 to 650 MB with 10 connections.
BUD_FIXED_KB=1024
# The p99 bound: 3x the client's own p99 measured just before without the
# flood (BUD_BASE_S seconds), or BUD_FLOOR_US above it, whichever is
# larger. 3x alone is flaky on a shared 2-CPU host: back-to-back 3 s
# windows of the same client with no flood at all gave p99s of 102 us to
# 3.4 ms (3379 1187 409 497 510 727 1947 1167 2256 2387 422 808 1784 978
# 694 150 258 104 102 214 912 2512 2213 1174 us), one pair in 23 over 3x
# (214 -> 912 us), none over 3x-or-2-ms.
BUD_FLOOR_US=2000
# Under ASan every turn of the worker is slower (the same 2,000-connection
# flood on the epoll backend: p99 1.1 to 1.7 ms in the normal build, 3.1
# to 4.7 ms under ASan, baselines alike): 3x the floor there, as the RSS
# bounds get ATK_ASAN_SLACK_KB.
BUD_FLOOR_ASAN_US=6000
BUD_BASE_S=3
# When the p99 alone is over its bound, the whole flood again (its
# baseline included; as t_attack_conns.sh's idle check re-measures): noise
# must strike three times. Any other failure is final at once. The 2,000
# connections' own handshakes are the noise: for the 60 to 90 ms they take
# to open, the lookups made meanwhile had a p50 of 0.4 to 2.8 ms (0.03 ms
# while held), with 730ae1f's server and 487f95b's alike, and CI saw p99s of
# 2.4 and 4.0 ms against bounds of 2.1 ms in both rounds of one flood. The
# opening thread now runs at SCHED_IDLE (dumpflood), as a remote attacker
# costs the server's host nothing. A server without the turn budget
# (net/base/limits.h: RB_TURN_* and RB_CONN_*_PER_TURN set to 2^30) still
# failed every round of its 2,000-connection floods: p99 8.7 to 11.9 ms
# against bounds of 2.1 to 2.2 ms. Since the workers answer datagrams first
# (33f8c4d), the p99 over such a flood is 0.4 to 0.8 ms on epoll and 1.3
# to 6.6 ms on io_uring here (bench/experiments/ab_connstorm.sh, hold 3 s;
# BENCHMARKS.md).
BUD_ROUNDS=3

BUD_IDLE=""

# bud_idle: the server's idle RSS (after some ordinary traffic).
bud_idle() {
	timeout 20 "$ATK_BIN" warm >"$E2E_TMP/warm.idle" 2>&1
	BUD_IDLE=$(srv_rss_kb)
	note "idle RSS with $1 registrations: $BUD_IDLE kB"
	[ -n "$BUD_IDLE" ]
}

# bud_answers: a UDP and a TCP NULL answered within 1 s (bounded in all).
bud_answers() { timeout 5 "$ATK_BIN" null >/dev/null 2>&1; }

# bud_flood CONNS NREG loopback|remote
bud_flood() {
	local conns=$1 nreg=$2 from=$3 grow=$BUD_GROW_KB fixed=$BUD_FIXED_KB floor=$BUD_FLOOR_US
	if srv_asan; then
		# as attack_end allows (ASan's quarantine, redzones, shadow)
		grow=$((grow + ATK_ASAN_SLACK_KB))
		fixed=$((fixed + ATK_ASAN_SLACK_KB))
		floor=$BUD_FLOOR_ASAN_US
	fi
	attack_begin "$conns connections x $BUD_CALLS pipelined DUMPs never read, $nreg registrations, from $from"
	set -- dumpflood conns="$conns" calls=$BUD_CALLS hold=$BUD_HOLD nreg="$nreg" \
		idle="$BUD_IDLE" grow=$grow conn=$BUD_CONN_KB fixed=$fixed ratio=300 floor=$floor \
		base=$BUD_BASE_S rounds=$BUD_ROUNDS
	if [ "$from" = remote ]; then
		atk 100 -s "$ATK_THERE" -d "$ATK_HERE" "$@" netns="/run/netns/$ATK_NS"
	else
		atk 100 "$@"
	fi
	# A server that took 1.5 GiB more (where dumpflood stops early) may
	# take more still: this host's memory is shared, so it goes now.
	local rss
	rss=$(srv_rss_kb)
	if [ -n "$rss" ] && [ $((rss - BUD_IDLE)) -gt $((1536 * 1024)) ]; then
		fail "server RSS $rss kB after the flood, $((rss - BUD_IDLE)) kB above idle: killed (pid $E2E_SRV_PID); the remaining floods are not run"
		kill -KILL "$E2E_SRV_PID" 2>/dev/null
		wait_exit "$E2E_SRV_PID" 5000
		E2E_SRV_PID=""
		return 1
	fi
	attack_end "$BUD_GROW_KB" "the flood's bound"
	# A server that no longer answers would make every later flood fail
	# for the same reason, each after its own time limit: stop here.
	if ! wait_for 10000 bud_answers; then
		fail "the server no longer answers 10 s after the flood: the remaining floods are not run"
		return 1
	fi
}

t_main() {
	atk_need || return
	# 2,000 connections in the server and in the client
	atk_nofile $((2000 + 2048)) || return
	remote_setup || return
	if srv_asan_build; then
		# ASan keeps freed memory in its quarantine (256 MiB by default):
		# streamed replies allocated and freed would count as growth.
		# Capped to the slack the bounds allow for it.
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=$((ATK_ASAN_SLACK_KB / 1024))"
		note "ASAN_OPTIONS=$ASAN_OPTIONS"
	fi
	srv_start --workers 1 || return

	atk 150 prime 0 20000 &&
		bud_idle 20000 &&
		bud_flood 10 20000 loopback &&
		bud_flood 2000 20000 loopback &&
		bud_flood 10 20000 remote &&
		bud_flood 2000 20000 remote &&
		atk 150 prime 20000 100000 &&
		bud_idle 100000 &&
		bud_flood 10 100000 loopback &&
		bud_flood 2000 100000 loopback
	srv_stop
}
