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
# Usage: check_podman.sh SOURCE_DIR BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skipped (not root, no podman or mmdebstrap, or
# podman cannot run a container here).
set -euo pipefail
src=$(readlink -f "${1:?usage: check_podman.sh SOURCE_DIR BUILD_DIR}")
build=$(readlink -f "${2:?usage: check_podman.sh SOURCE_DIR BUILD_DIR}")
dir=$build/podman
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (rootful podman)"; exit 77; }
for t in podman mmdebstrap nsenter; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found (apt-get install podman mmdebstrap)"; exit 77; }
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
rm -rf "$dir/src" && mkdir -p "$dir/src"
(cd "$src" && tar --exclude=./.git --exclude='./build*' -cf - .) | tar -C "$dir/src" -xf -
podman rm -f ringbind >/dev/null 2>&1 || true
podman volume rm -f ringbind-state >/dev/null 2>&1 || true
t0=$(date +%s)
if (cd "$dir/src" && timeout 400 bash -ex -c "$block") >"$dir/block.log" 2>&1; then
	ok "README podman-run block (build and run) in $(($(date +%s) - t0)) s"
else
	echo "FAIL: README podman-run block:"; tail -25 "$dir/block.log" | sed 's/^/  | /'
	podman rm -f ringbind >/dev/null 2>&1 || true
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
	if command -v rpcinfo >/dev/null && nsenter -t "$pid" -n timeout 5 rpcinfo -p 127.0.0.1 | grep -q portmapper; then
		ok "$name: rpcinfo -p in the container's network namespace"
	else
		fail "$name: rpcinfo gets no answer in the container's network namespace"
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
podman rm -f ringbind >/dev/null
# The same run with seccomp off: the README's command with one option added.
run=$(printf '%s\n' "$block" | sed -n '/^podman run/,$p' | sed 's/^podman run -d /podman run -d --security-opt seccomp=unconfined /')
(cd "$dir/src" && bash -e -c "$run") >/dev/null
check "seccomp=unconfined"
line=$(podman logs ringbind 2>&1 | grep -m1 'backend:' || true)
case $line in
*"backend: io_uring"*) ok "seccomp=unconfined: io_uring backend" ;;
*) echo "note: io_uring not used without seccomp either: $line" ;;
esac
podman rm -f ringbind >/dev/null
podman volume rm -f ringbind-state >/dev/null 2>&1 || true
rm -rf "$dir/src"
[ "$fails" -eq 0 ] || { echo "podman: $fails failure(s)"; exit 1; }
echo "podman: all checks passed"
