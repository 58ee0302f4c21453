#!/bin/bash
# Runs inside the Debian 12 guest booted by check_nspawn.sh (as a systemd
# unit after multi-user.target). Writes one line per check to
# RESULTS/result; the last line says whether all passed.
set -u
res=${1:?usage: guest_test.sh RESULTS_DIR}/result
: >"$res"
fails=0
ok() { echo "ok: $*" | tee -a "$res"; }
fail() { echo "FAIL: $*" | tee -a "$res"; fails=$((fails + 1)); }
note() { echo "  .. $*" | tee -a "$res"; }
export SYSTEMD_PAGER= SYSTEMD_COLORS=0
M=http://127.0.0.1:9111/metrics

# readme_block MARKER: the ```sh block after <!-- MARKER in deploy/README.md.
readme_block() {
	awk -v m="<!-- $1" 'index($0, m) == 1 { f = 1; next }
		f == 1 && /^```sh/ { f = 2; next }
		f == 2 && /^```/ { exit }
		f == 2 { print }' /root/src/deploy/README.md
}
# run_block MARKER: runs it as an administrator would (bash -e, each line
# echoed), from /root/src.
run_block() {
	local b
	b=$(readme_block "$1")
	[ -n "$b" ] || { fail "deploy/README.md has no block $1"; return 1; }
	note "running deploy/README.md block $1 word for word"
	(cd /root/src && bash -ex -c "$b") >"/tmp/block-$1.log" 2>&1
	local st=$?
	sed 's/^/     | /' "/tmp/block-$1.log" | head -40 >>"$res"
	return $st
}
mainpid_exe() { readlink "/proc/$(systemctl show -p MainPID --value "$1")/exe" 2>/dev/null; }
registered() { rpcinfo -p 127.0.0.1 2>/dev/null | awk -v p="$1" '$1 == p' | grep -q .; }
wait_until() { # wait_until SECONDS CMD...
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.5; done
	"$@"
}
metric_has() { curl -s --max-time 5 "$M" | grep -qE "$1"; }

# 0. The package installs beside rpcbind and starts nothing.
if dpkg -i /root/ringbind.deb >/tmp/dpkg.log 2>&1; then
	ok "dpkg -i ringbind.deb beside rpcbind $(dpkg-query -W -f='${Version}' rpcbind)"
else
	fail "dpkg -i:"; sed 's/^/     | /' /tmp/dpkg.log >>"$res"
fi
dpkg -s rpcbind 2>/dev/null | grep -q '^Status: install ok installed' && command -v rpcinfo >/dev/null &&
	ok "rpcbind stays installed and provides rpcinfo" || fail "rpcbind or rpcinfo gone"
if systemctl is-active -q ringbind.socket || systemctl is-active -q ringbind.service; then
	fail "installing the package started ringbind's units"
else
	ok "nothing of ringbind started on install"
fi
id _rpc >/dev/null 2>&1 && ! getent group _rpc >/dev/null && ok "_rpc exists, no group _rpc added ($(id _rpc))" ||
	fail "_rpc: $(id _rpc 2>&1); group _rpc: $(getent group _rpc)"

# 1. NFS host: rpc.statd running under rpcbind, then the switch of
#    deploy/README.md ("As rpcbind"), word for word.
systemctl start rpc-statd.service || fail "rpc-statd did not start under rpcbind"
wait_until 10 registered 100024 && ok "under rpcbind: rpc.statd registered" || fail "statd not registered under rpcbind"
if run_block switch-as-rpcbind; then ok "switch-as-rpcbind block ran (exit 0)"; else fail "switch-as-rpcbind block failed"; fi
[ "$(mainpid_exe rpcbind.service)" = /usr/sbin/ringbind ] && ok "rpcbind.service runs /usr/sbin/ringbind" ||
	fail "rpcbind.service runs $(mainpid_exe rpcbind.service)"
systemctl is-active -q rpc-statd.service && ok "rpc-statd still active after the switch (fix 2)" ||
	fail "rpc-statd is $(systemctl is-active rpc-statd.service) after the switch (fix 2)"
registered 100024 && ok "status (100024) still registered, imported from rpcbind" || fail "status not registered after the switch"
systemctl kill -s USR1 rpcbind.service # a stale scan now
sleep 1
if metric_has '^ringbind_registration_info\{prog="100024",program="status",.*stale="0"\} 1$'; then
	ok "metrics: status registered and not stale"
else
	fail "metrics: no live status registration:"; curl -s "$M" | grep registration_info | head -20 | sed 's/^/     | /' >>"$res"
fi
# rpc.mountd (nfs-kernel-server): nfsd cannot run in a container, so
# mountd is started by hand, as nfs-mountd.service would.
/usr/sbin/rpc.mountd -F >/tmp/mountd.log 2>&1 &
mountd=$!
if wait_until 10 registered 100005; then ok "rpc.mountd registered with ringbind"
else note "rpc.mountd did not register here: $(head -2 /tmp/mountd.log | tr '\n' ' ')"; fi

# reload (fix 1), with a bad file too: journald priorities.
t0=$(date '+%Y-%m-%d %H:%M:%S')
if systemctl reload rpcbind.service; then ok "systemctl reload rpcbind.service (fix 1)"; else fail "systemctl reload rpcbind.service failed (fix 1)"; fi
printf '[ringbind]\nno-such-option = 1\n' >/etc/ringbind.conf
systemctl reload rpcbind.service || true
rm -f /etc/ringbind.conf
sleep 1
journalctl -u rpcbind.service --since "$t0" -o json --output-fields=PRIORITY,MESSAGE >/tmp/j.json
if grep -q '"PRIORITY":"6".*SIGHUP: configuration reloaded\|SIGHUP: configuration reloaded.*"PRIORITY":"6"' /tmp/j.json &&
   grep -q '"PRIORITY":"3".*SIGHUP:.*running configuration is kept\|SIGHUP:.*running configuration is kept.*"PRIORITY":"3"' /tmp/j.json; then
	ok "journald: a reload at info (6), a refused configuration at err (3)"
else
	fail "journald priorities:"; sed 's/^/     | /' /tmp/j.json | tail -8 >>"$res"
fi
# restart and SIGKILL keep the registrations.
systemctl restart rpcbind.service
wait_until 10 registered 100024 && ok "systemctl restart: status still registered" || fail "restart lost status"
pid=$(systemctl show -p MainPID --value rpcbind.service)
systemctl kill -s KILL rpcbind.service
wait_until 15 bash -c '[ "$(systemctl show -p MainPID --value rpcbind.service)" != '"$pid"' ] && systemctl is-active -q rpcbind.service'
if systemctl is-active -q rpcbind.service && wait_until 10 registered 100024; then
	ok "systemctl kill -s KILL: restarted ($(systemctl show -p NRestarts --value rpcbind.service) restart), status still registered"
else
	fail "after SIGKILL: rpcbind.service $(systemctl is-active rpcbind.service), status registered: $(registered 100024 && echo yes || echo no)"
fi
systemctl is-active -q rpc-statd.service && ok "rpc-statd active through all that" || fail "rpc-statd is $(systemctl is-active rpc-statd.service)"
# The watchdog over a minute: no restart, still serving.
n0=$(systemctl show -p NRestarts --value rpcbind.service)
pid=$(systemctl show -p MainPID --value rpcbind.service)
sleep 65
if [ "$(systemctl show -p NRestarts --value rpcbind.service)" = "$n0" ] &&
   [ "$(systemctl show -p MainPID --value rpcbind.service)" = "$pid" ] && registered 100000; then
	ok "watchdog (WatchdogSec=30s): 65 s later the same process serves, no restart"
else
	fail "watchdog: NRestarts $n0 -> $(systemctl show -p NRestarts --value rpcbind.service)"
fi
for u in rpcbind.service ringbind.service; do
	sc=$(systemd-analyze security "$u" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	if [ -n "$sc" ] && awk -v s="$sc" 'BEGIN { exit !(s <= 2.9) }'; then
		ok "systemd-analyze security $u: $sc (not worse than 2.9)"
	else
		fail "systemd-analyze security $u: '$sc' (was 2.9)"
	fi
done

# 2. The package's one-command switch, back and forth.
if ringbind-portmapper use-rpcbind >/tmp/sw.log 2>&1 && [ "$(mainpid_exe rpcbind.service)" = /usr/sbin/rpcbind ] &&
   wait_until 10 registered 100024; then
	ok "ringbind-portmapper use-rpcbind: rpcbind serves, status registered again"
else
	fail "ringbind-portmapper use-rpcbind: $(mainpid_exe rpcbind.service); $(tail -3 /tmp/sw.log)"
fi
if ringbind-portmapper use-ringbind >/tmp/sw.log 2>&1 && [ "$(mainpid_exe rpcbind.service)" = /usr/sbin/ringbind ] &&
   registered 100024 && systemctl is-active -q rpc-statd.service; then
	ok "ringbind-portmapper use-ringbind: ringbind serves, rpc-statd kept"
else
	fail "ringbind-portmapper use-ringbind: $(mainpid_exe rpcbind.service); $(tail -3 /tmp/sw.log)"
fi
ringbind-portmapper use-rpcbind >/dev/null 2>&1

# 3. Standalone (deploy/README.md "Standalone"), word for word; then
#    activation on first use, reload, restart, KILL of ringbind.service.
systemctl stop rpc-statd.service 2>/dev/null
kill "$mountd" 2>/dev/null
if run_block standalone; then ok "standalone block ran (exit 0)"; else fail "standalone block failed"; fi
systemctl stop ringbind.service
sleep 1
systemctl is-active -q ringbind.service && fail "ringbind.service did not stop"
if rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && systemctl is-active -q ringbind.service; then
	ok "ringbind.socket: the first call started ringbind.service (socket activation)"
else
	fail "socket activation: ringbind.service $(systemctl is-active ringbind.service)"
fi
systemctl reload ringbind.service && ok "systemctl reload ringbind.service (fix 1)" || fail "systemctl reload ringbind.service (fix 1)"
pid=$(systemctl show -p MainPID --value ringbind.service)
systemctl kill -s KILL ringbind.service
wait_until 15 bash -c '[ "$(systemctl show -p MainPID --value ringbind.service)" != '"$pid"' ] && systemctl is-active -q ringbind.service' &&
	ok "ringbind.service restarted after SIGKILL" || fail "ringbind.service after SIGKILL: $(systemctl is-active ringbind.service)"
metric_has '^ringbind_registration_info\{prog="100000",program="portmapper"' && ok "metrics: ringbind_registration_info served" ||
	fail "metrics: no inventory"

# 4. A DaemonSet node (fix 3, fix 4): node-prepare word for word, the pod
#    stood in for by the daemon with the node's /run/ringbind-pod as its
#    /run; then `start-statd` (what mount.nfs runs for NFSv3 locking).
systemctl disable -q --now ringbind.socket ringbind.service
if run_block node-prepare; then ok "node-prepare block ran (exit 0)"; else fail "node-prepare block failed"; fi
unshare -m sh -c 'mount --bind /run/ringbind-pod /run && exec /usr/sbin/ringbind -f -w --state-dir /run/ringbind' >/tmp/pod.log 2>&1 &
podpid=$!
wait_until 10 test -S /run/ringbind-pod/rpcbind.sock
[ "$(readlink /run/rpcbind.sock)" = /run/ringbind-pod/rpcbind.sock ] && test -S /run/rpcbind.sock &&
	ok "/run/rpcbind.sock -> the pod's socket" || fail "/run/rpcbind.sock: $(ls -l /run/rpcbind.sock 2>&1)"
/usr/sbin/start-statd >/tmp/start-statd.log 2>&1 || true
if wait_until 10 registered 100024; then
	ok "start-statd: systemctl start rpc-statd fails (rpcbind masked), rpc.statd --no-notify registers with the pod"
else
	fail "start-statd: status not registered: $(tail -3 /tmp/start-statd.log | tr '\n' ' ')"
fi
[ "$(readlink /run/rpcbind.sock)" = /run/ringbind-pod/rpcbind.sock ] && ! systemctl is-active -q rpcbind.socket &&
	ok "rpcbind.socket stayed down and the symlink in place (fix 3)" ||
	fail "rpcbind.socket $(systemctl is-active rpcbind.socket); /run/rpcbind.sock: $(ls -l /run/rpcbind.sock)"
kill "$podpid"; wait "$podpid" 2>/dev/null

if [ "$fails" -eq 0 ]; then echo "guest: all checks passed" | tee -a "$res"
else echo "guest: $fails failure(s)" | tee -a "$res"; fi
