/* Worker <-> control thread messages for SET/UNSET.
 *
 * A worker that decodes a SET or UNSET cannot apply it (the control thread
 * is the registry's only writer), so it sends the mutation with the route
 * of its reply; the control thread applies it, encodes the reply into the
 * same message and sends it back; the worker that owns the socket sends
 * it. Two single-producer single-consumer rings per worker and an eventfd
 * on each side for wake-ups. The rings use explicit acquire/release atomics
 * (ck_ring's volatile accesses are invisible to ThreadSanitizer). */
#ifndef RB_NET_MAILBOX_H
#define RB_NET_MAILBOX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/base/limits.h"
#include "registry/procs/dispatch.h"

enum rb_route_kind { RB_ROUTE_UDP = 0, RB_ROUTE_TCP = 1 };

/* Where a datagram came from and arrived, to answer it from there. */
struct rb_dgram_route {
	uint16_t sock; /* index of the worker's UDP socket */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	int local_family; /* AF_INET, AF_INET6, or 0: no pktinfo */
	union {
		struct in_pktinfo v4;
		struct in6_pktinfo v6;
	} local;
};

struct rb_mut_msg {
	struct rb_mutation m;
	enum rb_route_kind kind;
	struct rb_dgram_route dg;     /* RB_ROUTE_UDP */
	uint32_t conn_slot, conn_gen; /* RB_ROUTE_TCP */
	uint64_t t0_ns;               /* received (metrics: its duration) */
	uint32_t reply_len;
	uint8_t reply[64]; /* a bool reply is 28 bytes */
};

_Static_assert((RB_MAILBOX_CAP & (RB_MAILBOX_CAP - 1)) == 0, "a power of two");

/* One producer thread, one consumer thread. head and tail only grow; each
 * is written by one side and read with acquire by the other. */
struct rb_spsc {
	_Alignas(64) uint32_t head; /* consumer's */
	_Alignas(64) uint32_t tail; /* producer's */
	void *slot[RB_MAILBOX_CAP];
};

struct rb_mailbox {
	struct rb_spsc req; /* worker -> control */
	struct rb_spsc rep; /* control -> worker */
};

void rb_mailbox_init(struct rb_mailbox *mb);
/* Each returns false when the ring is full (req) or empty (pop). */
bool rb_mailbox_send_req(struct rb_mailbox *mb, struct rb_mut_msg *m);
struct rb_mut_msg *rb_mailbox_pop_req(struct rb_mailbox *mb);
bool rb_mailbox_send_rep(struct rb_mailbox *mb, struct rb_mut_msg *m);
struct rb_mut_msg *rb_mailbox_pop_rep(struct rb_mailbox *mb);
/* Wakes the thread blocked on an eventfd (errors are not actionable). */
void rb_wake(int efd);

#endif
