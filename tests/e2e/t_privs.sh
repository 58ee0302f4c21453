# Privilege drop (ringbind only): with -s the daemon binds as root, then
# runs as _rpc with its group only, CAP_DAC_OVERRIDE (to remove
# /run/rpcbind.sock at exit) and, on io_uring, CAP_IPC_LOCK (ring memory)
# in its permitted and effective sets, nothing else, no_new_privs. Lookups
# and SET over UDP and the AF_LOCAL socket go on, the state directory is
# _rpc's and is written (journal, stale list, compaction), a restart finds
# the registrations, SIGTERM still removes the socket and exits 0. An
# unknown --user stops the start.
# shellcheck disable=SC2012 # the ls -la listings on failure are for people
t_main() {
	is_ringbind || skip "the privilege drop is tested on ringbind"
	local ent uid gid
	ent=$(getent passwd _rpc) || skip "no _rpc user (the rpcbind package creates it)"
	uid=$(echo "$ent" | cut -d: -f3)
	gid=$(echo "$ent" | cut -d: -f4)
	local P=0x20000a01 state pid
	srv_start -s || return
	state=$E2E_TMP/state.$E2E_SRV_N
	pid=$E2E_SRV_PID

	# Which capabilities are expected depends on the backend running.
	local want
	if grep -q 'backend: io_uring' "$E2E_SRV_ERR"; then
		want=0000000000004002 # dac_override, ipc_lock
	else
		want=0000000000000002 # dac_override
	fi
	if grep -q "running as _rpc (uid $uid, gid $gid)" "$E2E_SRV_ERR"; then
		pass "the drop is logged"
	else
		fail "no 'running as _rpc' line"; sed 's/^/  | /' "$E2E_SRV_ERR" | head -10
	fi
	local st=/proc/$pid/status f v
	[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = ringbind ] ||
		note "pid $pid is '$(cat /proc/"$pid"/comm 2>/dev/null)', not ringbind"
	for f in "Uid:$uid $uid $uid $uid" "Gid:$gid $gid $gid $gid" "Groups:$gid" \
		"CapEff:$want" "CapPrm:$want" "CapBnd:$want" "CapInh:0000000000000000" \
		"CapAmb:0000000000000000" "NoNewPrivs:1"; do
		v=$(awk -v k="${f%%:*}:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$st")
		if [ "${f%%:*}" = CapBnd ] && grep -q 'bounding set not cut' "$E2E_SRV_ERR"; then
			note "CapBnd $v: no CAP_SETPCAP here to cut it"
		elif [ "$v" = "${f#*:}" ]; then pass "/proc/PID/status ${f%%:*} $v"
		else fail "/proc/PID/status ${f%%:*} is '$v', expected '${f#*:}'"; fi
	done

	# Serving goes on: the workers started (and made their rings) as _rpc.
	expect_result "GETPORT over UDP" "SUCCESS:0000006f" udp 100000/2/3 pmap:100000,2,17,0
	expect_result "GETPORT over TCP" "SUCCESS:0000006f" tcp 100000/2/3 pmap:100000,2,6,0
	expect_result "NULL over the AF_LOCAL socket" "SUCCESS:" local 100000/4/0
	run_check "rpcinfo -p" rpcinfo -p 127.0.0.1
	expect_result "SET over UDP loopback" "SUCCESS:00000001" udp 100000/2/1 pmap:$P,1,17,4001
	expect_result "SET over the AF_LOCAL socket" "SUCCESS:00000001" \
		local 100000/3/1 rpcb:$P,2,tcp,0.0.0.0.15.162,x
	# The owner-port check (sock_diag) works unprivileged too.
	if command -v setpriv >/dev/null 2>&1; then
		bg setpriv --reuid=65534 --regid=65534 --clear-groups "$E2E_BIN/rb_e2e_holdport" tcp 4011
		if wait_for 5000 grep -q BOUND "$E2E_BG_LOG"; then
			expect_result "owner-port check as _rpc: a held port" "SUCCESS:00000001" \
				local,uid=65534 100000/3/1 rpcb:$P,3,tcp,0.0.0.0.15.171,
			expect_result "owner-port check as _rpc: a port not held" "SUCCESS:00000000" \
				local,uid=65534 100000/3/1 rpcb:$P,4,tcp,0.0.0.0.15.172,
		else
			fail "holdport did not bind"
		fi
		kill "$E2E_BG" 2>/dev/null
		wait "$E2E_BG" 2>/dev/null
	fi

	# The state directory is _rpc's, and written as _rpc.
	if [ "$(stat -c %U "$state")" = _rpc ] && [ -z "$(find "$state" -maxdepth 1 -type f ! -user _rpc)" ]; then
		pass "the state directory and its files belong to _rpc"
	else
		fail "state directory not _rpc's:"; ls -la "$state" | sed 's/^/  | /'
	fi
	kill -USR1 "$pid"
	if wait_for 5000 test -f "$state/stale"; then pass "SIGUSR1 writes STATE_DIR/stale as _rpc"
	else fail "no $state/stale after SIGUSR1"; fi
	# Enough SET/UNSET to compact the journal: new snapshot and journal
	# files, renames in the directory.
	# (The journal must pass RB_PERSIST_COMPACT_MIN, 64 KiB: about 10 bytes
	# a change in a pipelined batch; bounded at 8 rounds.)
	local round=0
	while [ $round -lt 8 ] && [ ! -f "$state/snapshot.prev" ]; do
		round=$((round + 1))
		run_quiet "$E2E_BIN/rb_e2e_churn" bench -T local -c 4 -w 64 -n 120000 || break
		wait_for 1000 test -f "$state/snapshot.prev"
	done
	if [ -f "$state/snapshot.prev" ]; then
		pass "the journal is compacted as _rpc (after $round x 120000 SET/UNSET)"
	else
		fail "no compaction: $(tail -3 "$E2E_OUT")"; ls -la "$state" | sed 's/^/  | /'
	fi
	if grep -q 'compacting the state failed\|cannot write state' "$E2E_SRV_ERR"; then
		fail "state writing failed:"; grep 'compacting\|cannot write' "$E2E_SRV_ERR" | sed 's/^/  | /'
	else
		pass "no state write failure logged"
	fi
	srv_check_alive "after the churn"
	srv_stop

	# A restart (--user _rpc this time) finds what was registered.
	srv_start --user _rpc --state-dir "$state" || return
	expect_result "after a restart: the UDP-registered entry" "SUCCESS:00000fa1" udp 100000/2/3 pmap:$P,1,17,0
	expect_result "after a restart: the AF_LOCAL-registered entry" "SUCCESS:00000fa2" udp 100000/2/3 pmap:$P,2,6,0
	srv_stop

	# An unknown user stops the start, with a reason.
	local err=$E2E_TMP/nouser.err rc
	mkdir -p "$E2E_TMP/state.nouser"
	# shellcheck disable=SC2086 # the command line is words on purpose
	timeout 10 $E2E_SERVER --state-dir "$E2E_TMP/state.nouser" --user rb_no_such_user >/dev/null 2>"$err"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'user rb_no_such_user does not exist' "$err"; then
		pass "--user of an unknown user: start refused (status $rc)"
	else
		fail "--user of an unknown user: status $rc, stderr:"; sed 's/^/  | /' "$err" | head -5
	fi
	[ -e /run/rpcbind.sock ] && fail "the refused start left /run/rpcbind.sock"
}
