# The NFS user-space daemons as clients: rpc.statd (nfs-common) and
# rpc.mountd (nfs-kernel-server) register on start (over the local socket,
# statd after dropping to its own uid), answer through the port mapper
# (rpcinfo, showmount), and unregister on SIGTERM. None of this needs the
# kernel's nfsd; that part is t_nfskernel.sh.

# nfs_setup: private /var/lib/nfs and /etc/exports (bind mounts, visible only
# in this test's mount namespace).
nfs_setup() {
	local n=$E2E_TMP/varlibnfs
	mkdir -p "$n/sm" "$n/sm.bak" "$n/v4recovery" "$E2E_TMP/export1" || return 1
	: >"$n/etab"
	: >"$n/rmtab"
	: >"$n/state"
	if getent passwd statd >/dev/null; then
		chown statd "$n/sm" "$n/sm.bak" "$n/state"
	fi
	mount --bind "$n" /var/lib/nfs || return 1
	echo "$E2E_TMP/export1 127.0.0.1(ro,no_subtree_check) *(rw,sync,no_subtree_check)" >"$E2E_TMP/exports"
	[ -e /etc/exports ] || return 2
	mount --bind "$E2E_TMP/exports" /etc/exports || return 1
	if [ -d /etc/exports.d ]; then
		mkdir -p "$E2E_TMP/exports.d"
		mount --bind "$E2E_TMP/exports.d" /etc/exports.d || return 1
	fi
}

all_registered() { # PROG VERS...: the v3 DUMP lists each VERS on udp, tcp, udp6 and tcp6
	# A daemon registers its versions and netids one SET at a time, so seeing
	# one of them is no sign that the rest are there yet (mountd v3 tcp6 comes
	# last, tens of milliseconds after v1 udp).
	local out prog=$1 v n
	shift
	out=$(rpcinfo 2>/dev/null) || return 1
	for v in "$@"; do
		for n in udp tcp udp6 tcp6; do
			echo "$out" | grep -Eq "^ +$prog +$v +$n " || return 1
		done
	done
}
gone() { # PROG: no registration of PROG on any netid (v3 DUMP over the local socket)
	local out
	out=$(rpcinfo 2>/dev/null) || return 1
	! echo "$out" | grep -Eq "^ +$1 "
}

t_main() {
	local p
	for p in rpc.statd rpc.mountd showmount exportfs rpcinfo; do
		command -v $p >/dev/null 2>&1 ||
			skip "$p is not installed (packages nfs-common, nfs-kernel-server, rpcbind)"
	done
	nfs_setup
	case $? in
	0) ;;
	2) skip "no /etc/exports to bind over (nfs-kernel-server not installed?)" ;;
	*) fail "cannot set up private /var/lib/nfs and /etc/exports"; return ;;
	esac
	run_check "exportfs -ra (fills the private etab)" exportfs -ra

	srv_start || return

	bg rpc.statd -F -L
	local statd=$E2E_BG
	bg rpc.mountd -F
	local mountd=$E2E_BG
	if wait_for 15000 all_registered 100024 1; then pass "rpc.statd registered status (100024) v1 on every netid"
	else fail "rpc.statd did not register within 15 s"; rpcinfo | sed 's/^/  | /'; fi
	if wait_for 15000 all_registered 100005 1 2 3; then pass "rpc.mountd registered mountd (100005) v1-v3 on every netid"
	else fail "rpc.mountd did not register within 15 s"; rpcinfo | sed 's/^/  | /'; fi

	run_check "rpcinfo -p with the NFS daemons" rpcinfo -p 127.0.0.1
	for v in 1 2 3; do
		expect "rpcinfo -p: mountd v$v udp" "^ +100005 +$v +udp +[0-9]+ +mountd *$"
		expect "rpcinfo -p: mountd v$v tcp" "^ +100005 +$v +tcp +[0-9]+ +mountd *$"
	done
	expect "rpcinfo -p: status v1 udp" "^ +100024 +1 +udp +[0-9]+ +status *$"
	expect "rpcinfo -p: status v1 tcp" "^ +100024 +1 +tcp +[0-9]+ +status *$"

	run_check "rpcinfo (v3 DUMP) with the NFS daemons" rpcinfo
	for n in udp tcp udp6 tcp6; do
		expect "rpcinfo: mountd v3 $n, owner superuser" "^ +100005 +3 +$n +[0-9a-f:.]+ +mountd +superuser *$"
	done
	local statd_uid
	statd_uid=$(id -u statd 2>/dev/null || echo '[0-9]+')
	expect "rpcinfo: status on udp, owner = statd's uid after dropping root ($statd_uid)" \
		"^ +100024 +1 +udp +0\.0\.0\.0\.[0-9.]+ +status +$statd_uid *$"

	# Lookups through the port mapper, then calls to the daemons themselves.
	run_check "rpcinfo -T tcp 127.0.0.1 mountd 3" rpcinfo -T tcp 127.0.0.1 100005 3
	expect "mountd v3 answers over tcp" "ready and waiting"
	run_check "rpcinfo -u 127.0.0.1 mountd 1" rpcinfo -u 127.0.0.1 100005 1
	run_check "rpcinfo -T udp6 ::1 mountd 3" rpcinfo -T udp6 ::1 100005 3
	run_check "rpcinfo -T tcp 127.0.0.1 status 1" rpcinfo -T tcp 127.0.0.1 100024 1
	run_check "rpcinfo -u 127.0.0.1 status 1" rpcinfo -u 127.0.0.1 100024 1
	run_check "showmount -e 127.0.0.1" showmount -e 127.0.0.1
	expect "showmount -e lists the export" "^$E2E_TMP/export1 "
	run_check "showmount -e ::1 (IPv6 lookup)" showmount -e ::1
	expect "showmount -e ::1 lists the export" "^$E2E_TMP/export1 "
	run_check "showmount -a 127.0.0.1" showmount -a 127.0.0.1
	run_check "showmount -d 127.0.0.1" showmount -d 127.0.0.1

	# SIGTERM: both unregister every netid.
	kill -TERM "$statd" "$mountd" 2>/dev/null
	if wait_exit "$statd" 10000; then pass "rpc.statd exited on SIGTERM (status $E2E_RC)"
	else fail "rpc.statd still running 10 s after SIGTERM"; fi
	if wait_exit "$mountd" 10000; then pass "rpc.mountd exited on SIGTERM (status $E2E_RC)"
	else fail "rpc.mountd still running 10 s after SIGTERM"; fi
	if wait_for 5000 gone 100024; then pass "status (100024) unregistered on every netid"
	else fail "status (100024) still registered after rpc.statd exited"; rpcinfo | sed 's/^/  | /'; fi
	if wait_for 5000 gone 100005; then pass "mountd (100005) unregistered on every netid"
	else fail "mountd (100005) still registered after rpc.mountd exited"; rpcinfo | sed 's/^/  | /'; fi

	# Start them again: a second registration round on the same server.
	bg rpc.statd -F -L
	statd=$E2E_BG
	bg rpc.mountd -F
	mountd=$E2E_BG
	if wait_for 15000 all_registered 100024 1 && wait_for 15000 all_registered 100005 1 2 3; then
		pass "rpc.statd and rpc.mountd register again after a restart"
	else
		fail "rpc.statd/rpc.mountd did not register again within 15 s"
	fi
	run_check "showmount -e after the restart" showmount -e 127.0.0.1
	kill -TERM "$statd" "$mountd" 2>/dev/null
	wait_exit "$statd" 10000
	wait_exit "$mountd" 10000
	if wait_for 5000 gone 100005 && wait_for 5000 gone 100024; then pass "unregistered again"
	else fail "registrations left after the second SIGTERM"; fi

	srv_check_alive "after the NFS daemons"
	srv_stop
}
