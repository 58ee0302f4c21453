# A large registry (ringbind only): 70,000 programs on udp and tcp, over
# RB_REGISTRY_LARGE (65,536 registrations), where the workers prefetch each
# UDP lookup two calls ahead (registry/procs/prefetch.c) and new entries come from
# the huge-page arena (net/daemon/bulk_arena.c). ringbind-load validates every
# reply (xid, status, the expected port or address): a load spread over all
# the programs must get no wrong answer, for GETPORT, GETADDR and
# GETVERSADDR, over UDP and TCP. Then, where the daemon has jemalloc (not
# the sanitizer builds) and THP is in madvise mode (where only advised
# memory gets huge pages, so that they can be told apart), the registry
# must sit partly on huge pages, and a daemon with a small registry on none.

N=70000

# load ARGS...: runs ringbind-load against the server; its RESULT line.
load() {
	"$LOAD" --server-pid "$E2E_SRV_PID" "$@" 2>&1 | grep '^RESULT'
}

kv() { # LINE KEY
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

huge_kb() { awk '/^AnonHugePages:/ {print $2}' "/proc/$E2E_SRV_PID/smaps_rollup"; }

t_main() {
	is_ringbind || skip "the prefetch and the huge-page arena are ringbind's own"
	LOAD=$(cd "$E2E_BIN/../.." && pwd)/bench/ringbind-load
	[ -x "$LOAD" ] || skip "no ringbind-load next to the tests (RB_BENCH=OFF)"
	local thp=never r
	[ -r /sys/kernel/mm/transparent_hugepage/enabled ] &&
		thp=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)
	local jemalloc=0
	srv_start || return
	grep -q libjemalloc "/proc/$E2E_SRV_PID/maps" && jemalloc=1
	if [ "$jemalloc" = 1 ] && [ "$thp" = madvise ]; then
		[ "$(huge_kb)" = 0 ] && pass "a small registry has no huge pages" ||
			fail "huge pages in a daemon with no registrations: $(huge_kb) kB"
	fi

	r=$(load --mode prime --prime $N --prime-proto both --prime-timeout 60)
	if [ "$(kv "$r" acked)" = $((2 * N)) ]; then pass "$((2 * N)) registrations acknowledged"
	else fail "prime: $r"; return; fi

	local call mode
	for call in getport getaddr getversaddr; do
		for mode in udp tcp; do
			if [ $mode = udp ]; then r=$(load --mode udp --window 32 --call $call --keys $N --duration 1 --warmup 0.2)
			else r=$(load --mode tcp --conns 4 --window 8 --call $call --keys $N --duration 1 --warmup 0.2); fi
			if [ "$(kv "$r" wrong)" = 0 ] && [ "$(kv "$r" errors)" = 0 ] &&
				[ "$(kv "$r" replies)" -gt 1000 ]; then
				pass "$call over $mode, spread over $N programs: $(kv "$r" replies) replies, none wrong"
			else
				fail "$call over $mode: $r"
			fi
		done
	done
	# Misses too (a third of the lookups for programs never registered).
	r=$(load --mode udp --window 32 --keys $N --miss 33 --duration 1 --warmup 0.2)
	if [ "$(kv "$r" wrong)" = 0 ] && [ "$(kv "$r" replies)" -gt 1000 ]; then
		pass "GETPORT with 33% misses: none wrong"
	else fail "misses: $r"; fi

	if [ "$jemalloc" = 1 ] && [ "$thp" = madvise ]; then
		local kb
		kb=$(huge_kb)
		if [ "$kb" -ge 2048 ]; then pass "the large registry is on huge pages: $kb kB"
		else fail "no huge pages with $((2 * N)) registrations (THP $thp): $kb kB"; fi
	else
		note "huge pages not checked (jemalloc $jemalloc, THP $thp)"
	fi
	srv_check_alive "after the load"
}
