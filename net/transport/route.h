/* A datagram's arrival address, taken from and put back into a message's
 * control data (net/transport/route.c). Used by the backends, the worker
 * and the UDP reply batches. */
#ifndef RB_NET_TRANSPORT_ROUTE_H
#define RB_NET_TRANSPORT_ROUTE_H

#include <stddef.h>
#include <sys/socket.h>

#include "net/transport/mailbox.h" /* struct rb_dgram_route */

/* Extracts IP_PKTINFO / IPV6_PKTINFO from a received message's control. */
void rb_route_set_pktinfo(struct rb_dgram_route *rt, const struct msghdr *mh);
/* Builds the control message that sends a reply from the arrival address. */
size_t rb_route_put_pktinfo(const struct rb_dgram_route *rt, void *cbuf, size_t cap);

#endif
