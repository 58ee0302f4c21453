/* Why io_uring is not used: see uring_refusal.h. */
#include "net/transport/uring_refusal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int read_int_after(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char line[256];
	int v = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) == 0) {
			if (sscanf(line + kl, "%d", &v) != 1)
				v = -1;
			break;
		}
	}
	fclose(f);
	return v;
}

void rb_uring_env_read(struct rb_uring_env *env)
{
	env->seccomp = read_int_after("/proc/self/status", "Seccomp:");
	env->disabled = read_int_after("/proc/sys/kernel/io_uring_disabled", "");
}

/* Every sentence ends with what the refusal costs, since the daemon goes
 * on: the epoll backend serves the same requests, with more system calls
 * per request. */
#define EPOLL_COST "; the epoll backend serves instead (same service, more system calls per request)"
#define ALLOW_HINT ": allow io_uring_setup, io_uring_enter and io_uring_register in the profile to use io_uring"

const char *rb_uring_refusal(enum rb_uring_call call, int err, const struct rb_uring_env *env)
{
	int filtered = env->seccomp == 2;
	int refused = err == -EPERM || err == -EACCES || err == -ENOSYS;
	if (call == RB_URING_CALL_SETUP) {
		if (err == -EPERM && env->disabled == 2)
			return "io_uring is disabled on this host (sysctl kernel.io_uring_disabled=2)" EPOLL_COST;
		if (err == -EPERM && env->disabled == 1 && !filtered)
			return "io_uring is allowed only to the kernel.io_uring_group group and "
			       "CAP_SYS_ADMIN (sysctl kernel.io_uring_disabled=1)" EPOLL_COST;
		if (refused && filtered)
			return err == -ENOSYS
				       ? "io_uring_setup was refused by this process's seccomp filter "
					 "(ENOSYS is what container runtimes' default profiles answer for "
					 "io_uring; the kernel may well have it)" ALLOW_HINT EPOLL_COST
				       : "io_uring_setup was refused by this process's seccomp "
					 "filter" ALLOW_HINT EPOLL_COST;
		if (err == -ENOSYS)
			return "io_uring is not in this kernel (io_uring_setup: ENOSYS, and no "
			       "seccomp filter is in place)" EPOLL_COST;
		if (err == -EPERM)
			return "io_uring_setup was refused (EPERM) with no seccomp filter in place "
			       "(an LSM policy?)" EPOLL_COST;
		if (err == -ENOMEM)
			return "io_uring_setup could not get its ring memory (ENOMEM: RLIMIT_MEMLOCK "
			       "or memory cgroup limit)" EPOLL_COST;
		return "io_uring_setup failed" EPOLL_COST;
	}
	if (refused && filtered)
		return call == RB_URING_CALL_ENTER
			       ? "io_uring_enter was refused by this process's seccomp filter, "
				 "although io_uring_setup was allowed (a profile that lets only part of "
				 "io_uring through)" ALLOW_HINT EPOLL_COST
			       : "io_uring_register was refused by this process's seccomp filter, "
				 "although io_uring_setup was allowed (a profile that lets only part of "
				 "io_uring through)" ALLOW_HINT EPOLL_COST;
	if (err == -EPERM || err == -EACCES)
		return call == RB_URING_CALL_ENTER
			       ? "io_uring_enter was refused (EPERM) with no seccomp filter in place "
				 "(an LSM policy?)" EPOLL_COST
			       : "io_uring_register was refused (EPERM) with no seccomp filter in place "
				 "(an LSM policy?)" EPOLL_COST;
	return call == RB_URING_CALL_ENTER ? "io_uring_enter failed" EPOLL_COST
					   : "io_uring_register failed" EPOLL_COST;
}
