#!/usr/bin/env bash
# Checks deploy/systemd without systemd running as PID 1:
#   - `systemd-analyze verify` on ringbind.socket and ringbind.service, with
#     /usr/sbin/ringbind rewritten to the built binary (verify refuses an
#     ExecStart= whose program does not exist);
#   - the same on the rpcbind package's units with our drop-in
#     (rpcbind.service.d/ringbind.conf) next to them: the package's own
#     units when installed, else stand-ins shaped like Debian's;
#   - every [Service] setting of ringbind.service is in the drop-in with the
#     same value;
#   - tmpfiles.d and sysusers.d entries parse (systemd-tmpfiles creates the
#     state directory under a scratch root, systemd-sysusers --dry-run);
#   - each Documentation=man:NAME(S) of ours is a page in man/.
# Usage: check_units.sh SOURCE_DIR RINGBIND_BINARY
# (RPCBIND_UNIT_DIR: where the rpcbind package's units are; default
# /lib/systemd/system.)
# Exit: 0 pass, 1 fail, 77 skipped (no systemd-analyze).
set -euo pipefail

src=${1:?usage: check_units.sh SOURCE_DIR RINGBIND_BINARY}
bin=${2:?usage: check_units.sh SOURCE_DIR RINGBIND_BINARY}
units=$src/deploy/systemd

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not found (install systemd)"
	exit 77
fi
[ -x "$bin" ] || { echo "FAIL: $bin is not an executable"; exit 1; }
bin=$(readlink -f "$bin") # ExecStart= needs an absolute path

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# verify DIR UNIT...: systemd-analyze verify, run inside DIR so that its
# units (and their .d/ drop-ins) are found first. --man=no: the man pages
# are checked below, against man/, whether or not man-db is installed.
verify() {
	local dir=$1 out
	shift
	if out=$(cd "$dir" && systemd-analyze verify --man=no "$@" 2>&1) && [ -z "$out" ]; then
		echo "ok: systemd-analyze verify $*"
	else
		fail "systemd-analyze verify $* (in $dir):"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
}

# 1. Our units, as they would be installed (binary path rewritten).
mkdir "$tmp/own"
for u in ringbind.service ringbind.socket; do
	sed "s#/usr/sbin/ringbind#$bin#g" "$units/$u" > "$tmp/own/$u"
done
verify "$tmp/own" ./ringbind.socket ./ringbind.service

# 2. The drop-ins on rpcbind's units.
mkdir "$tmp/nfs"
pkg=${RPCBIND_UNIT_DIR:-/lib/systemd/system} # where the rpcbind package put its units
if [ -f "$pkg/rpcbind.service" ] && [ -f "$pkg/rpcbind.socket" ]; then
	cp "$pkg/rpcbind.service" "$pkg/rpcbind.socket" "$tmp/nfs/"
	echo "note: the drop-in checked on this host's rpcbind package units"
else
	cat > "$tmp/nfs/rpcbind.socket" <<'UNIT'
[Unit]
Description=RPCbind Server Activation Socket
DefaultDependencies=no
Wants=rpcbind.target
Before=rpcbind.target
[Socket]
ListenStream=/run/rpcbind.sock
BindIPv6Only=ipv6-only
ListenStream=0.0.0.0:111
ListenDatagram=0.0.0.0:111
ListenStream=[::]:111
ListenDatagram=[::]:111
[Install]
WantedBy=sockets.target
UNIT
	cat > "$tmp/nfs/rpcbind.service" <<'UNIT'
[Unit]
Description=RPC bind portmap service
DefaultDependencies=no
Requires=rpcbind.socket
Wants=remote-fs-pre.target rpcbind.target
Before=remote-fs-pre.target rpcbind.target
[Service]
Environment="OPTIONS=-w"
ExecStart=/bin/true -f $OPTIONS
Type=notify
KillMode=process
Restart=on-failure
[Install]
Also=rpcbind.socket
WantedBy=multi-user.target
UNIT
	echo "note: no rpcbind package units here: the drop-in checked on stand-ins"
fi
mkdir "$tmp/nfs/rpcbind.service.d"
sed "s#/usr/sbin/ringbind#$bin#g" "$units/rpcbind.service.d/ringbind.conf" \
	> "$tmp/nfs/rpcbind.service.d/ringbind.conf"
verify "$tmp/nfs" ./rpcbind.socket ./rpcbind.service

# 3. The drop-in repeats ringbind.service's [Service] settings, ExecStart=
# included (the drop-in's first ExecStart= only clears the package's).
service_lines() { # FILE: the [Service] section's "Key=value" lines, sorted
	awk '/^\[/ { s = ($0 == "[Service]") } s && /^[A-Za-z]+=/ { print }' "$1" | sort
}
service_lines "$units/ringbind.service" > "$tmp/svc.txt"
service_lines "$units/rpcbind.service.d/ringbind.conf" > "$tmp/dropin.txt"
missing=$(comm -23 "$tmp/svc.txt" "$tmp/dropin.txt")
if [ -n "$missing" ]; then
	fail "rpcbind.service.d/ringbind.conf lacks these settings of ringbind.service:"
	printf '%s\n' "$missing" | sed 's/^/    /'
else
	echo "ok: rpcbind.service.d/ringbind.conf repeats ringbind.service's settings"
fi
# 4. tmpfiles.d and sysusers.d.
if command -v systemd-tmpfiles >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	mkdir "$tmp/root"
	if systemd-tmpfiles --root="$tmp/root" --create "$units/ringbind-tmpfiles.conf"; then
		st=$(stat -c '%a %U' "$tmp/root/run/ringbind" 2>/dev/null || echo missing)
		if [ "$st" = "700 root" ]; then
			echo "ok: ringbind-tmpfiles.conf creates /run/ringbind 0700 root"
		else
			fail "ringbind-tmpfiles.conf: /run/ringbind is '$st', want '700 root'"
		fi
	else
		fail "systemd-tmpfiles rejects ringbind-tmpfiles.conf"
	fi
else
	echo "note: ringbind-tmpfiles.conf not checked (needs systemd-tmpfiles and root)"
fi
# The DaemonSet node's tmpfiles.d entry (issue 18, fix 4): the pod's
# dedicated directory, and /run/rpcbind.sock a symlink to the socket in it,
# replacing a dead socket file rpcbind left there.
node_tmpfiles=$src/deploy/kubernetes/ringbind-node-tmpfiles.conf
if command -v systemd-tmpfiles >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$tmp/node/run"
	: >"$tmp/node/run/rpcbind.sock" # what a failed rpcbind.socket leaves
	if systemd-tmpfiles --root="$tmp/node" --create "$node_tmpfiles"; then
		tgt=$(readlink "$tmp/node/run/rpcbind.sock" || echo "not a symlink")
		st=$(stat -c '%a %U' "$tmp/node/run/ringbind-pod" 2>/dev/null || echo missing)
		if [ "$tgt" = /run/ringbind-pod/rpcbind.sock ] && [ "$st" = "755 root" ]; then
			echo "ok: ringbind-node-tmpfiles.conf: /run/ringbind-pod 0755 root, /run/rpcbind.sock -> $tgt"
		else
			fail "ringbind-node-tmpfiles.conf: /run/rpcbind.sock -> '$tgt', /run/ringbind-pod '$st'"
		fi
	else
		fail "systemd-tmpfiles rejects ringbind-node-tmpfiles.conf"
	fi
fi

if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$tmp/users"
	if out=$(systemd-sysusers --root="$tmp/users" --dry-run "$units/ringbind-sysusers.conf" 2>&1) &&
	   grep -q "Creating user '_rpc'" <<<"$out"; then
		echo "ok: ringbind-sysusers.conf creates _rpc"
	else
		fail "systemd-sysusers on ringbind-sysusers.conf:"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
	# Issue 18, fix 6: on a Debian host, where the rpcbind package made _rpc
	# (group nogroup), the generic file adds an unused group _rpc, as its
	# comment says; the Debian package's file changes nothing.
	mkdir -p "$tmp/deb/etc"
	printf 'root:x:0:0:root:/root:/bin/bash\n_rpc:x:102:65534::/run/rpcbind:/usr/sbin/nologin\n' >"$tmp/deb/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/deb/etc/group"
	: >"$tmp/deb/etc/shadow"
	: >"$tmp/deb/etc/gshadow"
	gen=$(systemd-sysusers --root="$tmp/deb" --dry-run "$units/ringbind-sysusers.conf" 2>&1 | grep Creating || true)
	if [ "$gen" = "Creating group '_rpc' with GID 999." ] && grep -q "Creating group '_rpc'" "$units/ringbind-sysusers.conf"; then
		echo "ok: ringbind-sysusers.conf on Debian: $gen (as its comment says)"
	else
		fail "ringbind-sysusers.conf on Debian: '$gen', and its comment must say what it does"
	fi
	if [ -f "$src/debian/ringbind.sysusers" ]; then
		deb=$(systemd-sysusers --root="$tmp/deb" --dry-run "$src/debian/ringbind.sysusers" 2>&1 || echo "exit $?")
		if [ -z "$deb" ]; then
			echo "ok: debian/ringbind.sysusers changes nothing where rpcbind's _rpc exists"
		else
			fail "debian/ringbind.sysusers where _rpc exists: $deb"
		fi
		mkdir -p "$tmp/deb2/etc"
		printf 'root:x:0:0:root:/root:/bin/bash\n' >"$tmp/deb2/etc/passwd"
		printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/deb2/etc/group"
		: >"$tmp/deb2/etc/shadow"
		: >"$tmp/deb2/etc/gshadow"
		deb=$(systemd-sysusers --root="$tmp/deb2" --dry-run "$src/debian/ringbind.sysusers" 2>&1 | grep Creating || true)
		if [ "$deb" = "Creating user '_rpc' (ringbind/rpcbind port mapper) with UID 999 and GID 65534." ]; then
			echo "ok: debian/ringbind.sysusers without rpcbind: $deb"
		else
			fail "debian/ringbind.sysusers without rpcbind: '$deb'"
		fi
	fi
else
	echo "note: ringbind-sysusers.conf not checked (no systemd-sysusers)"
fi

# 5. Documentation=man:X(S) of ours exists in man/.
for f in "$units"/ringbind.service "$units"/ringbind.socket "$units"/rpcbind.service.d/ringbind.conf; do
	for ref in $(grep '^Documentation=' "$f" | sed 's/^Documentation=//'); do
		case $ref in
		man:ringbind*)
			page=${ref#man:}
			name=${page%%(*}
			sect=${page#*(}
			sect=${sect%)}
			[ -f "$src/man/$name.$sect" ] || fail "$(basename "$f"): $ref: no man/$name.$sect"
			;;
		esac
	done
done

# 6. ringbind.socket puts its inet sockets in SO_REUSEPORT groups, which
# each worker joins with a socket of its own (issue 16; the per-worker
# sockets themselves are tested by e2e_scaling_*).
if grep -qx 'ReusePort=yes' "$units/ringbind.socket"; then
	echo "ok: ringbind.socket has ReusePort=yes"
else
	fail "ringbind.socket: no ReusePort=yes (the workers' sockets join the passed ones' groups)"
fi

if [ "$fails" -ne 0 ]; then
	echo "deploy units: $fails failure(s)"
	exit 1
fi
echo "deploy units: all checks passed"
