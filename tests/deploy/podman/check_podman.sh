#!/usr/bin/env bash
# The container image, built and run with podman (rootful) as
# deploy/README.md says, word for word (its podman-run block), from a
# Debian 12 base made here by mmdebstrap and imported as debian:12-slim
# (nothing is pulled). The container must answer rpcinfo inside its
# network namespace and /readyz, with podman's default seccomp profile
# (io_uring refused: the log must say the filter refused it and that
# epoll serves) and with --security-opt seccomp=unconfined (io_uring).
# Issue 18. Podman's storage is private to BUILD_DIR/podman (the base
# and the image's layers are cached there): about 3 minutes the first
# time (apt-get in both stages, a build of the daemon), about 1 after.
#
# The host's network is left alone: the block's `podman build` runs as
# the README says (its apt-get needs the network), but its `podman run`
# (and the second run, seccomp=unconfined, and every `podman rm`) runs in
# a network namespace made here (`ip netns add`, entered with nsenter
# --net only, so podman keeps the host's mounts). `-p 111:111` is then
# published there: netavark's bridge, its iptables rules and conmon's
# port reservations are that namespace's, and conmon (with the container)
# lives in it after the run returns. The test checks that rpcinfo -p
# 127.0.0.1 answers through the published port in that namespace, and
# that in the host's namespace the listeners on port 111 did not change
# and no firewall rule names the container. The namespace and the
# containers go on every exit (trap).
# Usage: check_podman.sh SOURCE_DIR BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skipped (not root, no podman, mmdebstrap,
# nsenter, ip, ss or iptables-save, or podman cannot run a container here).
set -euo pipefail
src=$(readlink -f "${1:?usage: check_podman.sh SOURCE_DIR BUILD_DIR}")
build=$(readlink -f "${2:?usage: check_podman.sh SOURCE_DIR BUILD_DIR}")
dir=$build/podman
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (rootful podman)"; exit 77; }
for t in podman mmdebstrap nsenter ip ss iptables-save; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found (apt-get install podman mmdebstrap iproute2 iptables)"; exit 77; }
done
mkdir -p "$dir/storage" "$dir/run"
# Private storage, so that the base named debian:12-slim is this test's.
cat >"$dir/storage.conf" <<C
[storage]
driver = "overlay"
graphroot = "$dir/storage"
runroot = "$dir/run"
C
export CONTAINERS_STORAGE_CONF=$dir/storage.conf
# This machine's own limits, not the project's: podman's default
# RLIMIT_NOFILE/NPROC above the hard limits of a container without
# CAP_SYS_RESOURCE fail in crun and runc; crun refuses hybrid cgroups.
# With runc installed it is used; lowered limits are harmless elsewhere.
{
	echo '[containers]'
	echo 'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]'
	if command -v runc >/dev/null; then printf '[engine]\nruntime = "runc"\n'; fi
} >"$dir/containers.conf"
export CONTAINERS_CONF=$dir/containers.conf
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# The test's network namespace: every podman command that sets up or
# tears down a container's network (run, rm) runs in it, never in the
# host's. nsenter --net leaves the mount namespace alone (ip netns exec
# would give podman a private one, and the container's mounts with it).
ns=ringbind-podman-$$
nsf=/run/netns/$ns
inns() { nsenter --net="$nsf" "$@"; }
cleanup() {
	local rc=$?
	if [ -e "$nsf" ]; then
		inns podman rm -f -t 2 ringbind >/dev/null 2>&1 || true
		ip netns del "$ns" 2>/dev/null || true
	fi
	podman volume rm -f ringbind-state >/dev/null 2>&1 || true
	rm -rf "$dir/src"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ip netns add "$ns" || { echo "SKIP: ip netns add failed"; exit 77; }
ip -n "$ns" link set lo up

if ! podman image exists docker.io/library/debian:12-slim; then
	t0=$(date +%s)
	if ! timeout 300 mmdebstrap --variant=minbase bookworm "$dir/base.tar" >"$dir/mmdebstrap.log" 2>&1; then
		echo "SKIP: mmdebstrap could not make the Debian 12 base:"; tail -3 "$dir/mmdebstrap.log"; exit 77
	fi
	podman import -q "$dir/base.tar" docker.io/library/debian:12-slim >/dev/null
	rm -f "$dir/base.tar"
	ok "Debian 12 base made by mmdebstrap and imported as debian:12-slim in $(($(date +%s) - t0)) s"
fi
if ! out=$(podman run --rm --network none docker.io/library/debian:12-slim true 2>&1); then
	echo "SKIP: podman cannot run a container here: $out"
	exit 77
fi

# The README's block, from a clean copy of the sources (no build trees:
# the build context is the repository root).
block=$(awk 'index($0, "<!-- podman-run") == 1 { f = 1; next }
	f == 1 && /^```sh/ { f = 2; next } f == 2 && /^```/ { exit } f == 2 { print }' "$src/deploy/README.md")
[ -n "$block" ] || { echo "FAIL: deploy/README.md has no podman-run block"; exit 1; }
# Its build (everything before the first `podman run`) runs here, its
# runs in the test's namespace; together they are the block, word for word.
build_part=$(printf '%s\n' "$block" | sed '/^podman run/,$d')
run_part=$(printf '%s\n' "$block" | sed -n '/^podman run/,$p')
if [ "$build_part"$'\n'"$run_part" != "$block" ] || ! grep -q '^podman build' <<<"$build_part" ||
	grep -q '^podman build' <<<"$run_part" || ! grep -q -- '-p 111:111/tcp' <<<"$run_part"; then
	echo "FAIL: deploy/README.md's podman-run block is not a podman build, then podman run -p 111:111"
	exit 1
fi
rm -rf "$dir/src" && mkdir -p "$dir/src"
(cd "$src" && tar --exclude=./.git --exclude='./build*' -cf - .) | tar -C "$dir/src" -xf -
# A container left by an interrupted run: removed from the test's
# namespace too, so that no teardown happens in the host's.
inns podman rm -f ringbind >/dev/null 2>&1 || true
podman volume rm -f ringbind-state >/dev/null 2>&1 || true
# The host namespace's listeners on port 111 (rpcbind may serve there).
host111() { ss -Hlntu 'sport = :111' | sort; }
host_before=$(host111)
t0=$(date +%s)
if (cd "$dir/src" && timeout 400 bash -ex -c "$build_part" && inns timeout 120 bash -ex -c "$run_part") >"$dir/block.log" 2>&1; then
	ok "README podman-run block (build here, run in network namespace $ns) in $(($(date +%s) - t0)) s"
else
	echo "FAIL: README podman-run block:"; tail -25 "$dir/block.log" | sed 's/^/  | /'
	exit 1
fi

# check NAME: the running container "ringbind" serves; prints its log.
check() {
	local name=$1 pid i
	pid=$(podman inspect -f '{{.State.Pid}}' ringbind)
	for i in $(seq 50); do
		nsenter -t "$pid" -n curl -sf -o /dev/null http://127.0.0.1:9111/readyz 2>/dev/null && break
		sleep 0.2
	done
	if nsenter -t "$pid" -n curl -sf http://127.0.0.1:9111/readyz >/dev/null; then ok "$name: /readyz"; else fail "$name: /readyz"; fi
	if command -v rpcinfo >/dev/null && nsenter -t "$pid" -n timeout 5 rpcinfo -p 127.0.0.1 | grep portmapper >/dev/null; then
		ok "$name: rpcinfo -p in the container's network namespace"
	else
		fail "$name: rpcinfo gets no answer in the container's network namespace"
	fi
	# The published port, in the test's namespace and only there.
	if command -v rpcinfo >/dev/null && inns timeout 5 rpcinfo -p 127.0.0.1 | grep portmapper >/dev/null; then
		ok "$name: rpcinfo -p 127.0.0.1 through the published port 111 in the test's namespace"
	else
		fail "$name: rpcinfo -p 127.0.0.1 gets no answer through the published port in the test's namespace"
	fi
	local id rules conmon
	id=$(podman inspect -f '{{.Id}}' ringbind)
	rules=$(inns iptables-save -t nat 2>/dev/null || true)
	if grep -q -- "$id" <<<"$rules" && grep -q -- '--dport 111 ' <<<"$rules"; then
		ok "$name: netavark's rules for port 111 are in the test's namespace"
	else
		fail "$name: no netavark rule for port 111 names the container in the test's namespace"
	fi
	if [ "$(host111)" = "$host_before" ]; then
		ok "$name: the host namespace's listeners on port 111 are unchanged"
	else
		fail "$name: the host namespace's listeners on port 111 changed:"
		host111 | sed 's/^/  | /'
	fi
	rules=$(iptables-save 2>/dev/null || true)
	if grep -q -- "$id" <<<"$rules"; then
		fail "$name: a firewall rule of the host's namespace names the container"
	else
		ok "$name: no firewall rule of the host's namespace names the container"
	fi
	conmon=$(podman inspect -f '{{.State.ConmonPid}}' ringbind)
	if [ "$(stat -L -c %i "/proc/$conmon/ns/net")" = "$(stat -L -c %i "$nsf")" ]; then
		ok "$name: conmon (pid $conmon) lives on in the test's namespace"
	else
		fail "$name: conmon (pid $conmon) is not in the test's namespace"
	fi
	local uid
	uid=$(awk '/^Uid/ {print $2}' "/proc/$pid/status")
	[ "$uid" = 65532 ] && ok "$name: runs as uid 65532" || fail "$name: runs as uid $uid"
	podman logs ringbind 2>&1 | grep -m1 'backend:' || true
}
check "default seccomp profile"
line=$(podman logs ringbind 2>&1 | grep -m1 'backend:' || true)
case $line in
*"backend: io_uring"*) echo "note: this podman's default profile allows io_uring" ;;
*"seccomp filter"*"epoll backend serves"*) ok "default profile: the log names the seccomp filter, and epoll serves (fix 5)" ;;
*) fail "default profile: the backend line does not say what refused io_uring: $line" ;;
esac
inns podman rm -f ringbind >/dev/null
# The same run with seccomp off: the README's command with one option
# added, in the test's namespace too.
run=$(printf '%s\n' "$run_part" | sed 's/^podman run -d /podman run -d --security-opt seccomp=unconfined /')
(cd "$dir/src" && inns timeout 120 bash -e -c "$run") >/dev/null
check "seccomp=unconfined"
line=$(podman logs ringbind 2>&1 | grep -m1 'backend:' || true)
case $line in
*"backend: io_uring"*) ok "seccomp=unconfined: io_uring backend" ;;
*) echo "note: io_uring not used without seccomp either: $line" ;;
esac
inns podman rm -f ringbind >/dev/null
[ "$fails" -eq 0 ] || { echo "podman: $fails failure(s)"; exit 1; }
echo "podman: all checks passed"
