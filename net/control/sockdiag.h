/* Does a local user really hold the port it registers? Asked of the kernel
 * through NETLINK_SOCK_DIAG (the interface ss(8) uses), so that one local
 * user cannot point the clients of another service at a port it does not
 * hold. The daemon's hook rb_durable.owns_port (--check-owner-port). */
#ifndef RB_NET_SOCKDIAG_H
#define RB_NET_SOCKDIAG_H

#include <stdint.h>

/* Netlink messages (one per matching socket) read for one answer at most:
 * the kernel filters by port, so only sockets bound to that one port come
 * back (a SO_REUSEPORT group, a handful of connected UDP sockets). Past
 * the cap the answer is "cannot tell". */
#define RB_SOCKDIAG_MSGS_MAX 4096u
/* A dump is answered synchronously by the kernel; this only bounds a
 * kernel that never answers (the control thread must not hang). */
#define RB_SOCKDIAG_TIMEOUT_MS 1000u

/* 1 when a socket created by uid is bound to port on netid's protocol:
 * TCP in LISTEN state, UDP bound (connected or not). "tcp"/"udp" count
 * IPv4 sockets and IPv6 sockets that also take IPv4 (bound to [::] or a
 * v4-mapped address, without IPV6_V6ONLY); "tcp6"/"udp6" count IPv6
 * sockets. 0 when there is none; -errno when it cannot tell (netlink
 * unavailable or failing, -EPROTONOSUPPORT for another netid). Blocking
 * but short: the control thread calls it. Uids are those of the caller's
 * user namespace, as SO_PEERCRED reports them. */
int rb_sockdiag_owns_port(uint32_t uid, const char *netid, uint16_t port);

#endif
