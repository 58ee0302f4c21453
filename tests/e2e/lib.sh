# Shared functions of the end-to-end tests (bash; sourced by run.sh).
#
# Results: pass/fail print one line each and are counted; skip ends the test
# with status 77. Every wait here is bounded: poll a condition every 20 ms up
# to a deadline, never a fixed sleep standing in for readiness.

E2E_PASSES=0
E2E_FAILS=0
E2E_PIDS=""          # processes this test started (killed by PID on exit)
E2E_SRV_PID=""
E2E_SRV_N=0
E2E_SRV_ERR=""

pass() { echo "PASS: $*"; E2E_PASSES=$((E2E_PASSES + 1)); }
fail() { echo "FAIL: $*"; E2E_FAILS=$((E2E_FAILS + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
note() { echo "  .. $*"; }

e2e_parse_args() {
	E2E_TEST=${1:?test name}
	shift
	E2E_BIN=""
	E2E_SERVER=""
	E2E_REF="/usr/sbin/rpcbind -f -w"
	E2E_LIMIT=100
	E2E_TMP=""
	while [ $# -gt 0 ]; do
		case $1 in
		--bin) E2E_BIN=$2; shift 2 ;;
		--server) E2E_SERVER=$2; shift 2 ;;
		--ref) E2E_REF=$2; shift 2 ;;
		--limit) E2E_LIMIT=$2; shift 2 ;;
		--tmp) E2E_TMP=$2; shift 2 ;;
		*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
		esac
	done
	[ -n "$E2E_SERVER" ] || { echo "run.sh: --server is required" >&2; exit 2; }
	# Relative paths become absolute (the inner part runs in its own folder).
	[ -d "$E2E_BIN" ] && E2E_BIN=$(cd "$E2E_BIN" && pwd)
	E2E_SERVER=$(abs_cmd "$E2E_SERVER")
	E2E_REF=$(abs_cmd "$E2E_REF")
	[ -f "$E2E_DIR/t_$E2E_TEST.sh" ] || { echo "run.sh: no test $E2E_TEST" >&2; exit 2; }
}

# abs_cmd "CMD ARGS": the command line with a relative program path made absolute.
abs_cmd() {
	set -- $1
	local p=$1
	shift
	case $p in
	/*) ;;
	*/*) [ -e "$p" ] && p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p") ;;
	esac
	echo "$p $*"
}

# The first word of a server command line, and whether it is ringbind.
srv_prog() { set -- $1; echo "$1"; }
is_ringbind() { case $(basename "$(srv_prog "${1:-$E2E_SERVER}")") in ringbind*) return 0 ;; esac; return 1; }

e2e_need_root_and_netns() {
	[ "$(id -u)" = 0 ] || skip "needs root (network and mount namespaces, port 111)"
	for p in unshare ip timeout mount; do
		command -v $p >/dev/null 2>&1 || skip "needs $p"
	done
	unshare -n -m --propagation private true 2>/dev/null ||
		skip "cannot create network and mount namespaces here (unshare -n -m failed)"
}

# Runs test function/file NAME in fresh namespaces with server SERVER, in the
# temporary folder TMP. Returns the inner status (124: it timed out).
e2e_spawn_inner() {
	local name=$1 server=$2 tmp=$3 limit=$4
	timeout -k 5 "$limit" unshare -n -m --propagation private \
		bash "$E2E_DIR/run.sh" --inner "$name" --bin "$E2E_BIN" --server "$server" \
		--ref "$E2E_REF" --tmp "$tmp" --limit "$limit"
}

e2e_outer() {
	e2e_need_root_and_netns
	local p
	p=$(srv_prog "$E2E_SERVER")
	[ -x "$p" ] || skip "server $p is not there"
	for p in rb_e2e_rawcall rb_e2e_notify; do
		[ -x "$E2E_BIN/$p" ] || { echo "FAIL: helper $E2E_BIN/$p missing"; exit 1; }
	done
	E2E_TMP=$(mktemp -d /tmp/rb-e2e.$E2E_TEST.XXXXXX) || exit 1
	chmod 755 "$E2E_TMP"
	if [ -n "${E2E_KEEP:-}" ]; then
		trap 'echo "  .. kept $E2E_TMP (E2E_KEEP)"' EXIT
	else
		trap 'rm -rf "$E2E_TMP"' EXIT
	fi
	. "$E2E_DIR/t_$E2E_TEST.sh"
	local rc
	if declare -F t_outer >/dev/null; then
		t_outer
		rc=$?
	else
		e2e_spawn_inner "$E2E_TEST" "$E2E_SERVER" "$E2E_TMP" "$E2E_LIMIT"
		rc=$?
	fi
	case $rc in
	124 | 137) echo "FAIL: $E2E_TEST timed out after $E2E_LIMIT s"; rc=1 ;;
	esac
	return $rc
}

e2e_cleanup() {
	local p
	for p in $E2E_PIDS; do
		if alive "$p"; then
			kill -KILL "$p" 2>/dev/null
		fi
	done
}

e2e_inner() {
	trap e2e_cleanup EXIT
	ip link set lo up || { echo "FAIL: ip link set lo up"; return 1; }
	mount -t tmpfs -o mode=0755 tmpfs /run || { echo "FAIL: tmpfs over /run"; return 1; }
	mkdir -p /run/rpcbind /run/lock
	chmod 700 /run/rpcbind
	if getent passwd _rpc >/dev/null; then chown _rpc /run/rpcbind; fi
	cd "$E2E_TMP" || return 1
	. "$E2E_DIR/t_$E2E_TEST.sh"
	t_main
	e2e_summary
}

e2e_summary() {
	echo "e2e $E2E_TEST [$E2E_SERVER]: $E2E_PASSES passed, $E2E_FAILS failed"
	[ "$E2E_FAILS" -eq 0 ]
}

# alive PID: the process exists and is not a zombie.
alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# now_ms: monotonic-enough milliseconds (for bounded polling).
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for MS CMD...: polls CMD every 20 ms until it succeeds or MS pass.
wait_for() {
	local deadline=$(($(now_ms) + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.02
	done
}

# wait_exit PID MS: waits for PID (a child of this shell) to exit; sets
# E2E_RC to its status. Returns 1 if it is still running after MS.
wait_exit() {
	wait_for "$2" eval "! alive $1" || return 1
	wait "$1" 2>/dev/null
	E2E_RC=$?
	return 0
}

# bg CMD...: starts CMD in the background (output to $E2E_BG_LOG),
# remembers its PID in E2E_BG.
E2E_BG_N=0
bg() {
	E2E_BG_N=$((E2E_BG_N + 1))
	E2E_BG_LOG=$E2E_TMP/bg.$E2E_BG_N.log
	"$@" >"$E2E_BG_LOG" 2>&1 &
	E2E_BG=$!
	E2E_PIDS="$E2E_PIDS $E2E_BG"
}

rawcall() { "$E2E_BIN/rb_e2e_rawcall" "$@"; }

# srv_start [EXTRA ARGS...]: starts the server under test in the background
# with NOTIFY_SOCKET set, and waits (bounded) for READY=1; for ringbind also
# for the "ringbind: ready" line on its stderr. Fails the test when it does
# not come up.
srv_start() {
	local cmd=${E2E_SRV_CMD:-$E2E_SERVER}
	E2E_SRV_N=$((E2E_SRV_N + 1))
	local n=$E2E_SRV_N sock="@rb-e2e-notify-$$-$E2E_SRV_N" npid extra=""
	E2E_SRV_ERR=$E2E_TMP/server.$n.err
	E2E_SRV_NOTIFY=$E2E_TMP/notify.$n
	if is_ringbind "$cmd"; then
		mkdir -p "$E2E_TMP/state.$n"
		extra="--state-dir $E2E_TMP/state.$n"
	fi
	"$E2E_BIN/rb_e2e_notify" "$sock" 15000 >"$E2E_SRV_NOTIFY" 2>&1 &
	npid=$!
	E2E_PIDS="$E2E_PIDS $npid"
	if ! wait_for 5000 grep -q '^BOUND' "$E2E_SRV_NOTIFY"; then
		fail "notify socket $sock not bound: $(cat "$E2E_SRV_NOTIFY")"
		return 1
	fi
	# shellcheck disable=SC2086 # the command line is words on purpose
	NOTIFY_SOCKET=$sock $cmd $extra "$@" >"$E2E_TMP/server.$n.out" 2>"$E2E_SRV_ERR" &
	E2E_SRV_PID=$!
	E2E_PIDS="$E2E_PIDS $E2E_SRV_PID"
	local deadline=$(($(now_ms) + 10000)) t0 ready=0
	t0=$(now_ms)
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if ! alive "$npid"; then
			wait "$npid"
			[ $? -eq 0 ] && ready=1
			break
		fi
		if ! alive "$E2E_SRV_PID"; then
			wait "$E2E_SRV_PID"
			fail "server exited with status $? before it was ready: $cmd $extra $*"
			sed 's/^/  server stderr: /' "$E2E_SRV_ERR" | head -20
			E2E_SRV_PID=""
			return 1
		fi
		sleep 0.02
	done
	if [ $ready -ne 1 ]; then
		fail "server sent no READY=1 to NOTIFY_SOCKET within 10 s: $cmd $extra $*"
		sed 's/^/  server stderr: /' "$E2E_SRV_ERR" | head -20
		return 1
	fi
	if is_ringbind "$cmd"; then
		if ! wait_for 2000 grep -q 'ringbind: ready' "$E2E_SRV_ERR"; then
			fail "ringbind sent READY=1 but printed no 'ringbind: ready' line on stderr"
			return 1
		fi
	fi
	note "server up in $(($(now_ms) - t0)) ms (pid $E2E_SRV_PID): $cmd $extra $*"
	return 0
}

# srv_check_alive WHAT: fails if the server has died.
srv_check_alive() {
	if [ -n "$E2E_SRV_PID" ] && alive "$E2E_SRV_PID"; then
		return 0
	fi
	fail "server died ($1)"
	sed 's/^/  server stderr: /' "$E2E_SRV_ERR" | tail -20
	return 1
}

# srv_stop [SIGNAL]: SIGTERM (or SIGNAL, e.g. INT); the server must exit
# within 5 s (ringbind: status 0 and /run/rpcbind.sock removed), and its
# stderr must hold no sanitizer report.
srv_stop() {
	local cmd=${E2E_SRV_CMD:-$E2E_SERVER} sig=${1:-TERM}
	[ -n "$E2E_SRV_PID" ] || return 0
	kill -"$sig" "$E2E_SRV_PID" 2>/dev/null
	if ! wait_exit "$E2E_SRV_PID" 5000; then
		fail "server did not exit within 5 s of SIG$sig"
		kill -KILL "$E2E_SRV_PID" 2>/dev/null
		wait_exit "$E2E_SRV_PID" 5000
	elif is_ringbind "$cmd"; then
		if [ "$E2E_RC" -eq 0 ]; then pass "SIG$sig: exit status 0"
		else fail "SIG$sig: exit status $E2E_RC, expected 0"; fi
		if [ -e /run/rpcbind.sock ]; then fail "SIG$sig: /run/rpcbind.sock left behind"
		else pass "SIG$sig: /run/rpcbind.sock removed"; fi
	else
		note "reference server exited with status $E2E_RC on SIG$sig"
	fi
	if grep -Eq 'ERROR: (Address|Leak|Thread|Memory|UndefinedBehavior)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$E2E_SRV_ERR"; then
		fail "sanitizer report in the server's stderr:"
		grep -E -A15 'Sanitizer|runtime error:' "$E2E_SRV_ERR" | head -40 | sed 's/^/  /'
	fi
	E2E_SRV_PID=""
}

# run_check NAME CMD...: runs CMD (stdout+stderr to $E2E_OUT) and passes if it
# exits 0. The output stays in $E2E_OUT for expect_* checks.
E2E_OUT=""
E2E_RUN_N=0
run_check() {
	local name=$1
	shift
	E2E_RUN_N=$((E2E_RUN_N + 1))
	E2E_OUT=$E2E_TMP/out.$E2E_RUN_N
	timeout 20 "$@" >"$E2E_OUT" 2>&1
	local rc=$?
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name: '$*' exited with status $rc"
		sed 's/^/  | /' "$E2E_OUT" | head -30
	fi
	return $rc
}

# run_quiet CMD...: like run_check without counting; output in $E2E_OUT.
run_quiet() {
	E2E_RUN_N=$((E2E_RUN_N + 1))
	E2E_OUT=$E2E_TMP/out.$E2E_RUN_N
	timeout 20 "$@" >"$E2E_OUT" 2>&1
}

# expect NAME ERE: the last output has a line matching the extended regexp.
expect() {
	if grep -Eq -- "$2" "$E2E_OUT"; then
		pass "$1"
	else
		fail "$1: no line matching /$2/ in:"
		sed 's/^/  | /' "$E2E_OUT" | head -40
	fi
}

# expect_not NAME ERE: no line of the last output matches.
expect_not() {
	if grep -Eq -- "$2" "$E2E_OUT"; then
		fail "$1: unexpected line matching /$2/:"
		grep -E -- "$2" "$E2E_OUT" | sed 's/^/  | /' | head -10
	else
		pass "$1"
	fi
}

# expect_result NAME WANT TRANSPORT TOKENS...: one raw call; its result
# column (see rawcall.c) must equal WANT (or match it as a glob).
expect_result() {
	local name=$1 want=$2 got
	shift 2
	got=$(rawcall "$@" | awk '{print $2}')
	# shellcheck disable=SC2053 # WANT may be a glob on purpose
	if [[ $got == $want ]]; then
		pass "$name"
	else
		fail "$name: rawcall $*: expected $want, got $got"
	fi
}
