/* seccomp_deny CALL=ERRNO... -- COMMAND ARGS...: runs COMMAND under a
 * seccomp filter that fails each named io_uring call (setup, enter,
 * register) with that errno (ENOSYS, EPERM or EACCES) and allows all
 * else: what podman's default profile does to io_uring_setup (ENOSYS),
 * and what a profile that lets only part of io_uring through does.
 * Sets no_new_privs (needed to load a filter without CAP_SYS_ADMIN).
 * Used by check_uring_refusal.sh. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp_deny: add this architecture's AUDIT_ARCH"
#endif

#define MAX_RULES 3

int main(int argc, char **argv)
{
	struct sock_filter f[4 + 2 * MAX_RULES + 1];
	unsigned n = 0;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	int i = 1, rules = 0;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char call[16];
		char err[16];
		if (rules == MAX_RULES || sscanf(argv[i], "%15[a-z]=%15[A-Z]", call, err) != 2)
			goto usage;
		long nr = !strcmp(call, "setup")      ? __NR_io_uring_setup
			  : !strcmp(call, "enter")    ? __NR_io_uring_enter
			  : !strcmp(call, "register") ? __NR_io_uring_register
						      : -1;
		int e = !strcmp(err, "ENOSYS") ? ENOSYS
			: !strcmp(err, "EPERM") ? EPERM
			: !strcmp(err, "EACCES") ? EACCES
						 : -1;
		if (nr < 0 || e < 0)
			goto usage;
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)e);
		rules++;
	}
	if (i + 1 >= argc)
		goto usage;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("seccomp_deny: prctl");
		return 125;
	}
	execvp(argv[i + 1], argv + i + 1);
	perror("seccomp_deny: exec");
	return 127;
usage:
	fprintf(stderr, "usage: seccomp_deny {setup|enter|register}={ENOSYS|EPERM|EACCES}... -- CMD ARGS...\n");
	return 2;
}
