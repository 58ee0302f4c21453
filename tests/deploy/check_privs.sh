#!/usr/bin/env bash
# Runs the real daemon under the privileges each deployment gives it, in a
# private network and mount namespace (its own port 111, its own /run), to
# show that each one serves:
#   unit      ringbind.service: root, the unit's CapabilityBoundingSet,
#             no_new_privs, its ExecStart flags (-s: becomes _rpc and keeps
#             only CAP_DAC_OVERRIDE and CAP_IPC_LOCK); /run root's 0755
#   daemonset kubernetes/daemonset.yaml: uid 0, only NET_BIND_SERVICE,
#             no_new_privs, the image's file capability; the node's
#             dedicated /run/ringbind-pod at /run (root's, 0755); metrics
#             as [HOST_IP]:9111
#   sidecar   kubernetes/sidecar.yaml: uid 65532, only NET_BIND_SERVICE in
#             the bounding set, no capability at all (allowPrivilegeEscalation
#             false sets no_new_privs, under which file capabilities are not
#             to be relied on: the binary here carries none),
#             net.ipv4.ip_unprivileged_port_start=0; /run an emptyDir (1777)
#   nocap     the same user with NET_BIND_SERVICE out of the bounding set:
#             exec fails (EPERM) because the binary carries it as a file
#             capability, which is why the sidecar keeps it
# Each must answer /readyz and rpcinfo, and own /run/rpcbind.sock.
# Usage: check_privs.sh SOURCE_DIR RINGBIND_BINARY
# Exit: 0 pass, 1 fail, 77 skipped (not root, or no unshare, setpriv,
# setcap, curl).
set -euo pipefail

src=${1:?usage: check_privs.sh SOURCE_DIR RINGBIND_BINARY}
bin=$(readlink -f "${2:?usage: check_privs.sh SOURCE_DIR RINGBIND_BINARY}")

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (namespaces, setpriv, setcap)"
	exit 77
fi
for t in unshare setpriv setcap curl ip; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not found"; exit 77; }
done
if ! unshare -mn true 2>/dev/null; then
	echo "SKIP: cannot make network and mount namespaces here"
	exit 77
fi

# The unit's bounding set, as setpriv writes it: -all,+net_bind_service,...
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$src/deploy/systemd/ringbind.service" |
	tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ /,+/g; s/^/-all,+/')
unit_flags=$(sed -n 's|^ExecStart=/usr/sbin/ringbind ||p' "$src/deploy/systemd/ringbind.service" |
	sed 's/ *\$[A-Z_]*//g')

# scenario NAME: runs inside the namespaces (this script, re-executed).
if [ "${RB_PRIVS_SCENARIO:-}" != "" ]; then
	name=$RB_PRIVS_SCENARIO
	ip link set lo up
	mount -t tmpfs -o mode=0755 tmpfs /mnt
	cp "$bin" /mnt/ringbind
	chmod 0755 /mnt/ringbind
	# As the Dockerfile does (not for the sidecar: see above).
	[ "$name" = sidecar ] || setcap cap_net_bind_service=+ep /mnt/ringbind
	run_mode=0755
	metrics=127.0.0.1:9111
	case $name in
	unit)
		id _rpc >/dev/null 2>&1 || { echo "SKIP-SCENARIO: no user _rpc"; exit 0; }
		cmd=(setpriv "--bounding-set=$unit_caps" --no-new-privs
			/mnt/ringbind $unit_flags)
		;;
	daemonset)
		metrics="[127.0.0.1]:9111"
		cmd=(setpriv --reuid 0 --regid 0 --clear-groups --inh-caps=-all
			--bounding-set=-all,+net_bind_service --no-new-privs /mnt/ringbind -f -w)
		;;
	sidecar | nocap)
		run_mode=1777
		sysctl -q -w net.ipv4.ip_unprivileged_port_start=0
		bset=-all,+net_bind_service
		[ "$name" = nocap ] && bset=-all
		cmd=(setpriv --reuid 65532 --regid 65532 --clear-groups --inh-caps=-all
			"--bounding-set=$bset" --no-new-privs /mnt/ringbind -f -w)
		;;
	esac
	mount -t tmpfs -o mode=$run_mode tmpfs /run
	log=/mnt/ringbind.log
	"${cmd[@]}" --state-dir /run/ringbind --metrics "$metrics" >"$log" 2>&1 &
	pid=$!
	if [ "$name" = nocap ]; then
		st=0
		wait "$pid" || st=$?
		if grep -q "Operation not permitted" "$log"; then
			echo "ok: nocap: exec refused (exit $st): $(head -1 "$log")"
			exit 0
		fi
		echo "FAIL: nocap: expected exec to fail with EPERM; got exit $st:"
		sed 's/^/    /' "$log"
		exit 1
	fi
	code=000
	for _ in $(seq 150); do # up to 15 s: sanitizer builds start slower
		code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9111/readyz || true)
		[ "$code" = 200 ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	res=0
	if [ "$code" = 200 ]; then
		echo "ok: $name: /readyz 200"
	else
		echo "FAIL: $name: /readyz answered $code"
		res=1
	fi
	if command -v rpcinfo >/dev/null 2>&1; then
		if timeout 5 rpcinfo -T tcp 127.0.0.1 100000 4 >/dev/null 2>&1; then
			echo "ok: $name: rpcinfo gets an answer on port 111"
		else
			echo "FAIL: $name: rpcinfo gets no answer on port 111"
			res=1
		fi
	fi
	if [ -S /run/rpcbind.sock ]; then
		echo "ok: $name: /run/rpcbind.sock created (uid $(stat -c '%u' /run/rpcbind.sock))"
	else
		echo "FAIL: $name: no /run/rpcbind.sock"
		res=1
	fi
	if [ -d /proc/$pid ]; then
		echo "    $name: $(grep -E '^(Uid|CapEff)' /proc/$pid/status | tr -s '\t\n' '  ')"
	fi
	if [ "$name" = sidecar ] && [ -d /proc/$pid ]; then
		eff=$(awk '/^CapEff/ {print $2}' /proc/$pid/status)
		if [ "$eff" = 0000000000000000 ]; then
			echo "ok: sidecar: serves port 111 with no capability"
		else
			echo "FAIL: sidecar: effective capabilities $eff, want none"
			res=1
		fi
	fi
	if [ "$name" = unit ] && [ -d /proc/$pid ]; then
		uid=$(awk '/^Uid/ {print $2}' /proc/$pid/status)
		eff=$(awk '/^CapEff/ {print $2}' /proc/$pid/status)
		# CAP_DAC_OVERRIDE (bit 1), plus CAP_IPC_LOCK (bit 14) with io_uring.
		if [ "$uid" = "$(id -u _rpc)" ] && { [ "$eff" = 0000000000004002 ] || [ "$eff" = 0000000000000002 ]; }; then
			echo "ok: unit: runs as _rpc with only dac_override (and ipc_lock)"
		else
			echo "FAIL: unit: uid $uid, effective capabilities $eff"
			res=1
		fi
	fi
	# systemctl reload: the unit's ExecReload= as systemd runs it. Without
	# a "+" prefix it runs as root under the unit's CapabilityBoundingSet=
	# and no_new_privs, which lacks CAP_KILL, while the daemon is _rpc by
	# then: kill(2) fails with EPERM (issue 18, fix 1). "+" runs it with
	# full privileges.
	if [ "$name" = unit ] && [ -d /proc/$pid ]; then
		reload=$(sed -n 's/^ExecReload=\(..*\)$/\1/p' "$src/deploy/systemd/ringbind.service" | tail -1)
		rcmd=${reload#[+!@:-]}
		rcmd=${rcmd//\$MAINPID/$pid}
		if [ "${reload:0:1}" = "+" ]; then
			rrun=()
		else
			rrun=(setpriv "--bounding-set=$unit_caps" --no-new-privs)
		fi
		rst=0
		rout=$("${rrun[@]}" $rcmd 2>&1) || rst=$?
		for _ in $(seq 50); do
			grep -q 'SIGHUP' "$log" && break
			sleep 0.1
		done
		if [ "$rst" -eq 0 ] && grep -q 'SIGHUP' "$log"; then
			echo "ok: unit: ExecReload=$reload reaches the daemon as _rpc ($(grep -m1 SIGHUP "$log" | cut -c1-80))"
		else
			echo "FAIL: unit: ExecReload=$reload exit $rst: $rout"
			res=1
		fi
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[ "$res" -eq 0 ] || sed 's/^/    | /' "$log"
	exit "$res"
fi

fails=0
for s in unit daemonset sidecar nocap; do
	out=$(RB_PRIVS_SCENARIO=$s unshare -mn bash "$0" "$src" "$bin" 2>&1) || fails=$((fails + 1))
	printf '%s\n' "$out"
done
if [ "$fails" -ne 0 ]; then
	echo "deploy privileges: $fails scenario(s) failed"
	exit 1
fi
echo "deploy privileges: all scenarios serve"
