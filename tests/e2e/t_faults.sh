# Faults the kernel can cause, injected with tests/e2e/faultshim.c
# (LD_PRELOAD, acting in the ringbind process only): every wake-up of the
# workers by the control thread lost, and epoll_ctl(EPOLL_CTL_MOD) failing.
# The answers must still arrive (or the one connection close), and the
# daemon must neither hang nor spin.

srv_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$E2E_SRV_PID/stat" 2>/dev/null; }

t_main() {
	is_ringbind || skip "faults are injected into ringbind only"
	local shim=$E2E_BIN/rb_e2e_faultshim.so i t0 t1
	[ -f "$shim" ] || { fail "$shim missing"; return; }
	# Preloaded ahead of an ASan runtime: tell it that this is on purpose.
	local asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

	# 1. Lost wake-ups. A SET/UNSET from a TCP or UDP client is applied by
	# the control thread and its answer handed back through the worker's
	# mailbox, with a wake-up of the worker. With every wake-up lost, the
	# worker must still find the answer (it looks every loop turn, and a
	# turn ends at least every RB_TICK_MS).
	ASAN_OPTIONS=$asan LD_PRELOAD=$shim RB_FAULT_DROP_WAKES=1 srv_start --workers 1 || return
	for i in 1 2 3; do
		expect_result "SET over tcp, wake-ups lost ($i)" "SUCCESS:00000001" \
			tcp,t=3000 100000/2/1 "pmap:400100,$i,6,2000"
		expect_result "SET over udp, wake-ups lost ($i)" "SUCCESS:00000001" \
			udp,t=3000 100000/2/1 "pmap:400100,$i,17,2001"
	done
	expect_result "GETPORT sees the SET" "SUCCESS:000007d0" udp 100000/2/3 "pmap:400100,3,6,0"
	for i in 1 2 3; do
		expect_result "UNSET over tcp, wake-ups lost ($i)" "SUCCESS:00000001" \
			tcp,t=3000 100000/2/2 "pmap:400100,$i,6,0"
	done
	# (GETPORT falls back to any version: none is left.)
	expect_result "GETPORT sees the UNSETs" "SUCCESS:00000000" udp 100000/2/3 "pmap:400100,2,6,0"
	srv_stop

	# 2. epoll_ctl(MOD) failing every third time: the control thread's
	# AF_LOCAL connections (both backends), the epoll backend's TCP
	# connections and its listeners' pauses. Each call is answered or its
	# connection closed, never left waiting; new clients are served.
	ASAN_OPTIONS=$asan LD_PRELOAD=$shim RB_FAULT_EPOLL_MOD=3 srv_start --workers 1 || return
	local answered=0 closed=0 other=0 r
	for i in $(seq 1 40); do
		for tr in tcp,t=2000 local,t=2000; do
			r=$(rawcall "$tr" 100000/3/4 | awk '{ print $2 }')
			case $r in
			SUCCESS:*) answered=$((answered + 1)) ;;
			CLOSED) closed=$((closed + 1)) ;;
			*) other=$((other + 1)) ;;
			esac
		done
	done
	note "80 DUMPs with epoll_ctl failing: $answered answered, $closed closed, $other other"
	[ "$other" -eq 0 ] && pass "every DUMP answered or its connection closed" ||
		fail "$other DUMPs neither answered nor closed (a connection left waiting)"
	[ "$answered" -gt 0 ] && pass "DUMPs are answered while epoll_ctl fails" ||
		fail "no DUMP answered while epoll_ctl fails"
	t0=$(srv_cpu_ticks)
	sleep 2
	t1=$(srv_cpu_ticks)
	# 2 s at 100 ticks a second: under 5% of a core is under 10 ticks.
	[ $((t1 - t0)) -lt 10 ] && pass "idle after the faults: $((t1 - t0)) ticks in 2 s" ||
		fail "the daemon spins after the faults: $((t1 - t0)) ticks in 2 s"
	expect_result "NULL over udp after the faults" "SUCCESS:" udp 100000/2/0
	expect_result "NULL over tcp after the faults" "SUCCESS:" tcp,t=2000 100000/2/0
	srv_stop
}
