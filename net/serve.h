/* The glue between a transport and the protocol engine, shared by both
 * backends and the control thread: turn a datagram or a stream's bytes into
 * replies, and hand SET/UNSET to the registry's writer. */
#ifndef RB_NET_SERVE_H
#define RB_NET_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ratelimit.h"
#include "core/record.h"
#include "net/counters.h"
#include "net/log.h"
#include "net/mailbox.h"
#include "registry/dispatch.h"
#include "registry/reqstats.h"

struct rb_registry;
struct rb_fwd;

/* A byte buffer: bytes [off, len) of p are live. */
struct rb_buf {
	uint8_t *p;
	uint32_t cap, off, len;
};

/* A stream connection (TCP on a worker, AF_LOCAL on the control thread).
 * Replies accumulate in `out`; `snd` holds what is being sent. They swap
 * when snd empties, so a buffer the kernel may be reading (an io_uring send
 * in flight) never moves. */
struct rb_conn {
	int fd;
	uint32_t slot; /* index in its owner's table */
	uint32_t gen;  /* generation: a reply for a closed slot is dropped */
	struct rb_xport xport;
	struct rb_rec_asm rec;
	struct rb_buf out;
	struct rb_buf snd;
	uint64_t last_active_ms;
	uint64_t blocked_since_ms; /* 0 unless over --max-unsent */
	uint32_t mutations_owed;    /* replies the control thread owes us */
	bool closing;
	/* Backend state. */
	bool recv_armed;
	bool send_inflight;
	bool paused;
	bool recv_nobufs;
};

/* One per thread that answers calls. */
struct rb_serve {
	struct rb_handler_ctx hctx;
	struct rb_policy policy;
	struct rb_stats *stats;
	struct rb_counters *counters;
	/* Mutations: a worker queues them for the control thread (mbox set);
	 * the control thread, the writer, applies them through apply, which
	 * answers once the change is durable (after the group commit). */
	struct rb_mailbox *mbox;
	int ctl_wake_fd;
	uint32_t *mut_inflight;
	void (*apply)(void *arg, const struct rb_mutation *m, struct rb_conn *c);
	void *apply_arg;
	/* A growable reply buffer. */
	struct rb_xdr_enc enc;
	const struct rb_limits *limits;
	struct rb_rrl *rrl;       /* per-source rate limit for UDP (workers) */
	struct rb_fwd *fwd;       /* remote calls in flight (workers, -r); NULL: none */
	bool debug;               /* -d: a log line per call, rate-limited */
	struct rb_log_budget debug_log;  /* -d call lines */
	struct rb_log_budget refuse_log; /* refused SET/UNSET lines */
	struct rb_reqstats *rq;   /* metrics: calls by labels, durations */
	uint32_t now;    /* wall clock seconds, for GETTIME */
	uint64_t now_ms; /* monotonic, for timeouts */
	uint64_t t_ns;   /* monotonic: the batch's start, then the last call's end */
};

/* The transport label of a netid. */
static inline enum rb_rq_transport rb_rq_transport_of(enum rb_netid_idx n)
{
	return n == RB_NETID_LOCAL ? RB_RQ_LOCAL
	       : rb_netid_get(n)->stream ? RB_RQ_TCP
					 : RB_RQ_UDP;
}
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t rb_mono_ns(void);

int rb_serve_init(struct rb_serve *s);
void rb_serve_fini(struct rb_serve *s);
/* Refreshes now/now_ms (once per event batch, not per call). */
void rb_serve_tick(struct rb_serve *s);

/* Answers one datagram. Returns the reply length in s->enc (0: no reply,
 * including a mutation that was queued with the route in *rt, and a remote
 * call forwarded along with it: net/forward.h). Sets x->now. */
uint32_t rb_serve_datagram(struct rb_serve *s, struct rb_xport *x,
			   const uint8_t *msg, uint32_t len,
			   const struct rb_dgram_route *rt);

/* Feeds stream bytes to a connection: reassembles records, answers each,
 * appends the replies to c->out. 0, or -errno when the stream must be
 * dropped (-EMSGSIZE: a record over the cap; -ENOMEM). */
int rb_conn_feed(struct rb_serve *s, struct rb_conn *c, const uint8_t *data,
		 size_t len);
/* Appends one reply as a record. 0 or -ENOMEM / -EMSGSIZE. */
int rb_conn_append(struct rb_conn *c, const uint8_t *reply, uint32_t len);
static inline uint32_t rb_conn_unsent(const struct rb_conn *c)
{
	return (c->snd.len - c->snd.off) + (c->out.len - c->out.off);
}
/* The next bytes to send (moving queued replies into snd when it is
 * empty); returns their length, 0 when nothing is queued. */
uint32_t rb_conn_next_send(struct rb_conn *c, const uint8_t **p);
/* Marks n bytes of snd as sent. */
void rb_conn_sent(struct rb_conn *c, uint32_t n);
/* Updates blocked_since_ms; true when reading should pause (more than
 * unsent_max reply bytes wait). */
bool rb_conn_over_cap(struct rb_conn *c, uint32_t unsent_max, uint64_t now_ms);
void rb_conn_reset(struct rb_conn *c, int fd, uint32_t slot);
/* For an epoll loop: registers c for reading unless paused and for writing
 * while replies wait (recv_armed / send_inflight record what is set).
 * data is the event's tag. */
void rb_conn_epoll_interest(int ep, struct rb_conn *c, uint64_t data);
void rb_conn_free_buffers(struct rb_conn *c);

#endif
