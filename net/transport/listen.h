/* Listening sockets: UDP and TCP per worker (SO_REUSEPORT, so the kernel
 * spreads calls over the workers), and the AF_LOCAL sockets. */
#ifndef RB_NET_LISTEN_H
#define RB_NET_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/uaddr.h"

struct rb_bind_addr {
	enum rb_family family;
	uint8_t ip[16];
};

/* The addresses to bind: the wildcards when no -h was given, else the
 * loopbacks plus every -h address. -EINVAL (with err) on a bad address. */
int rb_bind_addrs(const struct rb_config *cfg, struct rb_bind_addr *out,
		  unsigned cap, unsigned *n, char *err, size_t errcap);
/* A bound UDP (type SOCK_DGRAM) or listening TCP (SOCK_STREAM) socket,
 * non-blocking, SO_REUSEPORT; IPv6 ones are v6-only; UDP ones report the
 * arrival address (IP_PKTINFO / IPV6_RECVPKTINFO). fd or -errno. */
int rb_listen_inet(int type, const struct rb_bind_addr *a, uint16_t port);
/* An AF_LOCAL stream listener at path (mode 0666), or, when abstract, at
 * the abstract name "\0path". fd or -errno. */
int rb_listen_local(const char *path, bool abstract);

#endif
