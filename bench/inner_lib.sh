# shellcheck shell=bash
# The start of the inner part of bench/scaling.sh and bench/side_by_side.sh,
# sourced in the network and mount namespace the outer part made
# (unshare -n -m): what is recorded in PIDS is killed, by PID, at exit;
# loopback up; a tmpfs over /run; this namespace's own TCP settings
# (storms open tens of thousands of connections a second: let their ports
# come back, loopback only); and wait_until.
PIDS=""
cleanup() { for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done; }
trap cleanup EXIT
trap 'exit 143' TERM INT
ip link set lo up || exit 1
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
sysctl -qw net.ipv4.ip_local_port_range="10000 65535" net.ipv4.tcp_tw_reuse=1 \
	net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096 2>/dev/null

# wait_until MS CMD...: poll CMD every 20 ms for at most MS.
wait_until() {
	local end=$(($(date +%s%3N) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%3N)" -ge $end ] && return 1
		sleep 0.02
	done
}
