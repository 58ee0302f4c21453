/* Why io_uring is not used, in words that name what refused it.
 *
 * A failed io_uring call does not say by itself who refused it: a
 * container runtime's default seccomp profile answers ENOSYS for
 * io_uring_setup (podman, Docker 25+, containerd 2.0+), exactly what a
 * kernel without io_uring answers; a profile may also let io_uring_setup
 * through and refuse io_uring_enter or io_uring_register only. So the
 * sentence is chosen from the call that failed, its errno, the process's
 * seccomp mode and the kernel.io_uring_disabled sysctl, never from the
 * errno alone. */
#ifndef RB_NET_URING_REFUSAL_H
#define RB_NET_URING_REFUSAL_H

enum rb_uring_call {
	RB_URING_CALL_SETUP,
	RB_URING_CALL_REGISTER,
	RB_URING_CALL_ENTER,
};

struct rb_uring_env {
	int seccomp;  /* "Seccomp:" of /proc/self/status (2: filter); -1 unknown */
	int disabled; /* kernel.io_uring_disabled (6.6+); -1 where absent */
};

/* Reads both from /proc; what cannot be read is -1. */
void rb_uring_env_read(struct rb_uring_env *env);

/* A static sentence: what refused CALL with ERR (a negative errno), and
 * what the fallback to epoll means. */
const char *rb_uring_refusal(enum rb_uring_call call, int err, const struct rb_uring_env *env);

#endif
