/* Remote calls (-r), the transport part: one table per worker of the calls
 * it has forwarded and not yet answered, owned by that worker's thread
 * alone (no locks, no atomics).
 *
 * A call the engine decided to forward (RB_OUT_FORWARD, registry/procs/remote_call.h)
 * gets a slot, a random 32-bit xid (getrandom(), never rpcbind's
 * predictable sequence) and is sent from the worker's unconnected
 * forwarding socket, bound to the loopback address of its family, to the
 * loopback address at the service's port. The service's reply arrives on
 * that socket (the backend reads it: io_uring multishot recvmsg into the
 * UDP buffer ring, or one more epoll fd), is matched by xid AND source
 * (the loopback address and the service's port), and the answer leaves
 * through the backend's udp_send along the caller's route: from the very
 * socket, and with IP_PKTINFO the very address, the call arrived on.
 * (rpcbind answers from its forwarding socket's ephemeral port, which a
 * client that connected its UDP socket to port 111 never sees.)
 *
 * Bounded: at most RB_FWD_MAX calls in flight per worker (more are dropped,
 * counted and logged), each answered or expired after RB_FWD_TIMEOUT_MS at
 * the worker's tick; a retransmission of a call still in flight is not
 * forwarded again (as rpcbind); untrusted sources (rb_peer_trusted) are
 * rate-limited per prefix, RB_FWD_RATE a second, on top of the response
 * rate limit every UDP call passes. */
#ifndef RB_NET_FORWARD_H
#define RB_NET_FORWARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/ratelimit.h"
#include "net/base/limits.h"
#include "net/transport/hooks.h" /* RB_FWD_FAMILIES */
#include "net/transport/mailbox.h"
#include "registry/procs/remote_call.h"

/* Calls in flight per worker (rpcbind: 64 in all, the oldest evicted). */
#define RB_FWD_MAX 256u
/* How long a forwarded call waits for the service's reply. Then INDIRECT
 * gets SYSTEM_ERR and CALLIT/BCAST nothing (rpcbind: no answer ever). */
#define RB_FWD_TIMEOUT_MS 5000u
/* Forwards per second (and burst) per source prefix (/24, /56) for
 * sources that are neither loopback nor in --trusted-net. */
#define RB_FWD_RATE 20u
#define RB_FWD_BURST 40u
/* At most one "table full" log line per worker this often. */
#define RB_FWD_LOG_MS 10000u
/* Random xids drawn from the kernel at a time. */
#define RB_FWD_XID_POOL 64u


struct rb_fwd_entry {
	bool live;
	uint32_t xid;         /* the forwarded call's xid */
	uint8_t fam;          /* RB_FWD_V4 / RB_FWD_V6 */
	uint16_t port;        /* the service: loopback at this port */
	uint64_t deadline_ms; /* monotonic */
	struct rb_dgram_route route; /* the caller's */
	struct rb_fwd_shape shape;   /* its answer */
};

struct rb_serve;

struct rb_fwd {
	/* The worker thread it belongs to (set as that thread starts;
	 * asserted, net/base/owner.h). */
	pthread_t owner;
	int fd[RB_FWD_FAMILIES]; /* forwarding sockets; -1 where none */
	uint32_t live;           /* calls in flight */
	uint32_t high;           /* the most ever in flight at once */
	uint32_t nfree;
	uint16_t free_slot[RB_FWD_MAX];
	struct rb_fwd_entry e[RB_FWD_MAX];
	/* The per-source forward rate: one table for every worker (lock-free,
	 * as the response-rate limiter's), so a source spread over the
	 * workers by SO_REUSEPORT still has one allowance. The assembly's
	 * (net/daemon: d->fwd_rrl, made before and freed after the workers),
	 * given to every worker's table; only a table made without one
	 * (rb_fwd_init's shared_rate NULL) allocates and frees its own. */
	struct rb_rrl *rate;
	bool rate_owned;
	uint32_t xid_pool[RB_FWD_XID_POOL];
	uint32_t xid_left;
	uint64_t log_ms;         /* when the last "table full" line went out */
	uint64_t full_unlogged;  /* drops since */
	uint8_t call[RB_UDP_MAX]; /* the forwarded call being encoded */
};

_Static_assert(RB_FWD_MAX <= 65536u, "free_slot holds 16-bit slot numbers");

/* Opens the forwarding sockets (one per family; a family whose loopback
 * address cannot be bound is left out, logged when log is set: by one
 * worker, not by each). The rate table is shared_rate (another worker's
 * f->rate, which must outlive this table), or, when NULL, a new one this
 * table owns. 0 or -ENOMEM. */
int rb_fwd_init(struct rb_fwd *f, bool log, struct rb_rrl *shared_rate);
void rb_fwd_fini(struct rb_fwd *f);

/* Forwards r (from rb_handle_call_ex, for the call from x along rt).
 * Returns the length of an answer to send now, in s->enc (INDIRECT's
 * SYSTEM_ERR when it cannot be forwarded: table full, no socket, send
 * failed), or 0. */
uint32_t rb_fwd_start(struct rb_fwd *f, struct rb_serve *s, const struct rb_fwd_req *r,
		      const struct rb_xport *x, const struct rb_dgram_route *rt);

/* A datagram received on fd[fam] from src (truncated: it did not fit).
 * When it answers a call in flight, the answer is written to s->enc, *rt
 * gets the caller's route, the slot is freed, and the answer's length (0
 * when the caller gets none) is returned; 0 otherwise. */
uint32_t rb_fwd_on_reply(struct rb_fwd *f, struct rb_serve *s, unsigned fam,
			 const struct sockaddr *src, socklen_t srclen,
			 const uint8_t *p, uint32_t n, bool truncated,
			 struct rb_dgram_route *rt);

/* At the worker's tick: expires the calls past their deadline, sending
 * INDIRECT's SYSTEM_ERR through send(arg, ...). */
void rb_fwd_expire(struct rb_fwd *f, struct rb_serve *s,
		   void (*send)(void *arg, const struct rb_dgram_route *rt,
				const uint8_t *p, uint32_t n),
		   void *arg);

#endif
