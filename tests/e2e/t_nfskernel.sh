# The kernel as a client: nfsd (and lockd) register from inside the kernel,
# over the local socket (the abstract @/run/rpcbind.sock on recent kernels,
# else /var/run/rpcbind.sock, else loopback), with a v2 NULL ping and v4
# SET/UNSET. Needs a kernel with nfsd: skipped where there is none (most
# containers).

nfs_registered() { rpcinfo 2>/dev/null | grep -Eq "^ +100003 +3 +tcp "; }
nfs_gone() { ! rpcinfo 2>/dev/null | grep -Eq "^ +100003 "; }

t_main() {
	command -v rpc.nfsd >/dev/null 2>&1 || skip "rpc.nfsd is not installed (package nfs-kernel-server)"
	grep -qw nfsd /proc/filesystems ||
		skip "this kernel has no nfsd: 'nfsd' is not in /proc/filesystems (CONFIG_NFSD off or module not loaded; modules are not loaded from a test)"
	mount -t nfsd nfsd /proc/fs/nfsd 2>"$E2E_TMP/mount.err" ||
		skip "cannot mount the nfsd filesystem in a private mount namespace: $(cat "$E2E_TMP/mount.err")"

	srv_start || return
	run_check "rpc.nfsd 2 (kernel nfsd threads start and register)" rpc.nfsd 2
	if wait_for 15000 nfs_registered; then pass "kernel registered nfs (100003) v3 tcp"
	else fail "no registration of nfs (100003) within 15 s of rpc.nfsd"; fi
	run_check "rpcinfo" rpcinfo
	expect "nfs v3 tcp registered by the kernel, owner superuser" "^ +100003 +3 +tcp +0\.0\.0\.0\.8\.1 +nfs +superuser *$"
	run_check "rpcinfo -T tcp 127.0.0.1 nfs 3" rpcinfo -T tcp 127.0.0.1 100003 3
	run_check "rpc.nfsd 0 (stop)" rpc.nfsd 0
	if wait_for 15000 nfs_gone; then pass "kernel unregistered nfs (100003)"
	else fail "nfs (100003) still registered 15 s after rpc.nfsd 0"; fi
	srv_check_alive "after kernel registrations"
	srv_stop
}
