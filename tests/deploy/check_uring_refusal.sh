#!/usr/bin/env bash
# The log line that says why the daemon serves with epoll names what
# refused io_uring (issue 18, fix 5): under podman's default seccomp
# profile io_uring_setup fails with ENOSYS, which the daemon used to
# report as "io_uring is not in this kernel"; a profile that refuses only
# io_uring_enter or io_uring_register was blamed on the kernel version.
# Each case runs the daemon under seccomp_deny (a filter made here) in a
# private network and mount namespace, and reads its "backend:" line.
# Takes about 2 s. Usage: check_uring_refusal.sh RINGBIND SECCOMP_DENY
# Exit: 0 pass, 1 fail, 77 skipped (not root, no unshare, or io_uring
# unusable here even without a filter).
set -euo pipefail
bin=$(readlink -f "${1:?usage: check_uring_refusal.sh RINGBIND SECCOMP_DENY}")
deny=$(readlink -f "${2:?usage: check_uring_refusal.sh RINGBIND SECCOMP_DENY}")

if [ "${RB_REFUSAL_INNER:-}" = 1 ]; then
	ip link set lo up
	mount -t tmpfs -o mode=0755 tmpfs /run
	shift 2
	log=/run/log
	: >/run/empty.conf
	"$deny" "$@" -- "$bin" -f --port 1111 --metrics off --state-dir /run/ringbind \
		--config /run/empty.conf >"$log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q 'backend:' "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	grep -m1 'backend:' "$log" || { sed 's/^/    | /' "$log"; exit 1; }
	exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespaces)"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: unshare not found"; exit 77; }
unshare -mn true 2>/dev/null || { echo "SKIP: cannot make namespaces here"; exit 77; }

run() { RB_REFUSAL_INNER=1 unshare -mn bash "$0" "$bin" "$deny" "$@" 2>&1; }

base=$(run)
echo "no filter: $base"
case $base in
*"backend: io_uring"*) ;;
*) echo "SKIP: io_uring is not usable here without a filter either: $base"; exit 77 ;;
esac

fails=0
# case FILTER... -- WANT...: each WANT must be in the line; "kernel" must not.
check() {
	local args=() want=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	want=("$@")
	local line
	line=$(run "${args[@]}") || true
	local ok=1
	for w in "${want[@]}"; do
		[[ $line == *"$w"* ]] || ok=0
	done
	[[ $line == *"not in this kernel"* || $line == *"kernel <"* ]] && ok=0
	if [ "$ok" = 1 ]; then
		echo "ok: ${args[*]}: $line"
	else
		echo "FAIL: ${args[*]}: want ${want[*]}, got: $line"
		fails=$((fails + 1))
	fi
}
check setup=ENOSYS -- "backend: epoll" "io_uring_setup was refused by this process's seccomp filter" "epoll backend serves"
check setup=EPERM -- "backend: epoll" "io_uring_setup was refused by this process's seccomp filter"
check register=EPERM -- "backend: epoll" "io_uring_register was refused by this process's seccomp filter"
check enter=ENOSYS -- "backend: epoll" "io_uring_enter was refused by this process's seccomp filter"
[ "$fails" -eq 0 ] || { echo "uring refusal: $fails case(s) failed"; exit 1; }
echo "uring refusal: every refusal is named"
