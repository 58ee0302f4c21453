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

#include "net/transport/listen.h"

#define RB_ACTIVATION_FDS_MAX 32u
#define RB_ACTIVATION_FD_START 3

struct rb_passed {
	int fd;
	int family, type;
	struct sockaddr_storage addr;
	socklen_t len;
	bool used;
	/* The daemon bound sockets of its own beside this one in its
	 * SO_REUSEPORT group (one per worker past the first): at stop, new
	 * datagrams and connections are steered back to this one, which
	 * systemd keeps queueing while no daemon runs. */
	bool grouped;
};

struct rb_passed_set {
	struct rb_passed v[RB_ACTIVATION_FDS_MAX];
	unsigned n;
};

/* A passed socket's SO_REUSEPORT group under activation (see
 * rb_passed_take_inet). Verified on Linux 6.x with systemd 252's
 * systemd-socket-activate (tests/e2e/t_scaling.sh, README "Scaling"): the
 * kernel lets a socket join a group when both have SO_REUSEPORT and the
 * same effective uid at bind time; pid 1 (and systemd-socket-activate)
 * bind as root and so does the daemon before it drops privileges, so the
 * daemon's sockets join the passed one. SO_REUSEPORT may be set on the
 * passed socket after its bind (the group is made when the first other
 * socket joins), so a unit without ReusePort=yes works as well. */

/* Collects the passed sockets and unsets LISTEN_PID/LISTEN_FDS/
 * LISTEN_FDNAMES (children must not take them). 0 with ps->n = 0 when not
 * socket-activated; -errno (with err) when the environment is malformed. */
int rb_passed_collect(struct rb_passed_set *ps, char *err, size_t errcap);
/* The passed socket of this type bound to a:port, made ready as
 * rb_listen_inet makes its own (non-blocking, pktinfo for UDP, and
 * SO_REUSEPORT so that the other workers' sockets can join it, with any
 * steering program a previous run left on its group removed); marks it
 * used; *p_out (when not NULL) is its entry. Asked again, returns the same
 * fd. -ENOENT when none was passed. */
int rb_passed_take_inet(struct rb_passed_set *ps, int type, const struct rb_bind_addr *a,
			uint16_t port, struct rb_passed **p_out);
/* Stopping: every grouped passed socket's group sends what arrives from
 * now on to the passed socket alone (a classic-BPF SO_REUSEPORT program
 * returning index 0, the passed socket's), so that nothing lands on a
 * socket about to be closed. Returns how many groups were steered. */
unsigned rb_passed_steer_to_held(struct rb_passed_set *ps);
/* The passed AF_LOCAL stream socket bound to path (abstract when the
 * path is given with a leading '@'). -ENOENT when none. */
int rb_passed_take_local(struct rb_passed_set *ps, const char *path, bool abstract);
/* Closes (and logs) every passed socket nothing took. */
void rb_passed_close_unused(struct rb_passed_set *ps);

#endif
