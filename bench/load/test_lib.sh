# shellcheck shell=bash
# What bench/load's tests (test_load.sh, test_rate.sh, test_remote.sh) share:
# their arguments and a wait for a server's log line. Sourced.

# tl_args NAME ARGS...: --load PATH, --server PATH, --floor PATH (only where
# a test names it), --inner; sets LOAD, SERVER, FLOOR, INNER and checks that
# each path given is an executable (exit 1 otherwise, 2 on a bad argument).
tl_args() {
	local name=$1
	shift
	LOAD="" SERVER="" FLOOR="" INNER=0
	while [ $# -gt 0 ]; do
		case $1 in
		--load) LOAD=$2; shift 2 ;;
		--floor) FLOOR=$2; shift 2 ;;
		--server) SERVER=$2; shift 2 ;;
		--inner) INNER=1; shift ;;
		*) echo "$name: unknown argument $1" >&2; exit 2 ;;
		esac
	done
	for p in "$LOAD" "$SERVER" ${FLOOR:+"$FLOOR"}; do
		[ -x "$p" ] || { echo "FAIL: $p is not an executable"; exit 1; }
	done
}

# wait_line FILE TEXT: up to 10 s, polling every 20 ms.
wait_line() {
	local i
	for ((i = 0; i < 500; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}
