#include "net/transport/steer.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <sys/socket.h>

const char *rb_steer_name(enum rb_steering mode)
{
	return mode == RB_STEER_HASH ? "hash" : mode == RB_STEER_CPU ? "cpu" : "random";
}

int rb_steer_attach(int fd, enum rb_steering mode, unsigned n, const int *cpus)
{
	struct sock_filter code[RB_STEER_INSNS_MAX];
	unsigned len = 0;
	if (n == 0 || n > RB_CONFIG_WORKERS_MAX)
		return -EINVAL;
	if (mode == RB_STEER_HASH) {
		int none = 0;
		if (setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &none, sizeof(none)) < 0 &&
		    errno != ENOENT)
			return -errno;
		return 0;
	}
	bool pinned = mode == RB_STEER_CPU;
	for (unsigned i = 0; pinned && i < n; i++)
		pinned = cpus[i] >= 0;
	if (mode == RB_STEER_CPU && pinned) {
		/* A = CPU; if A == cpus[i] return i; ... else out of range */
		code[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							   (__u32)(SKF_AD_OFF + SKF_AD_CPU));
		for (unsigned i = 0; i < n; i++) {
			code[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
								   (__u32)cpus[i], 0, 1);
			code[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, i);
		}
		code[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffffu);
	} else {
		/* A = random (or CPU) mod n; return A */
		code[len++] = (struct sock_filter)BPF_STMT(
			BPF_LD | BPF_W | BPF_ABS,
			(__u32)(SKF_AD_OFF + (mode == RB_STEER_CPU ? SKF_AD_CPU : SKF_AD_RANDOM)));
		code[len++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n);
		code[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	}
	struct sock_fprog prog = { .len = (unsigned short)len, .filter = code };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}
