/* systemd socket activation (sd_listen_fds(3), without libsystemd):
 * sockets passed as fds 3.. with LISTEN_PID naming us and LISTEN_FDS
 * counting them. Each is matched to a listener the daemon wants by family,
 * type and bound address; a wanted listener nobody passed is bound as
 * usual, and a passed socket nothing wants is closed with a log line. */
#ifndef RB_NET_ACTIVATION_H
#define RB_NET_ACTIVATION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/listen.h"

#define RB_ACTIVATION_FDS_MAX 32u
#define RB_ACTIVATION_FD_START 3

struct rb_passed {
	int fd;
	int family, type;
	struct sockaddr_storage addr;
	socklen_t len;
	bool used;
};

struct rb_passed_set {
	struct rb_passed v[RB_ACTIVATION_FDS_MAX];
	unsigned n;
};

/* Collects the passed sockets and unsets LISTEN_PID/LISTEN_FDS/
 * LISTEN_FDNAMES (children must not take them). 0 with ps->n = 0 when not
 * socket-activated; -errno (with err) when the environment is malformed. */
int rb_passed_collect(struct rb_passed_set *ps, char *err, size_t errcap);
/* The passed socket of this type bound to a:port, made ready as
 * rb_listen_inet makes its own (non-blocking, pktinfo for UDP); marks it
 * used. Asked again, returns the same fd (workers share it). -ENOENT when
 * none was passed. */
int rb_passed_take_inet(struct rb_passed_set *ps, int type, const struct rb_bind_addr *a,
			uint16_t port);
/* The passed AF_LOCAL stream socket bound to path (abstract when the
 * path is given with a leading '@'). -ENOENT when none. */
int rb_passed_take_local(struct rb_passed_set *ps, const char *path, bool abstract);
/* Closes (and logs) every passed socket nothing took. */
void rb_passed_close_unused(struct rb_passed_set *ps);

#endif
