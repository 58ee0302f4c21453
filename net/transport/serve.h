/* The glue between a transport and the protocol engine, shared by both
 * backends and the control thread: turn a datagram or a stream's bytes into
 * replies, and hand SET/UNSET to the registry's writer. */
#ifndef RB_NET_SERVE_H
#define RB_NET_SERVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/ratelimit.h"
#include "core/record.h"
#include "net/base/counters.h"
#include "net/base/log.h"
#include "net/base/slots.h"
#include "net/transport/hooks.h"
#include "net/transport/mailbox.h"
#include "registry/procs/dispatch.h"
#include "registry/stats/reqstats.h"
#include "registry/procs/stream.h"
#include "net/base/limits.h"

struct rb_registry;
struct rb_fwd;

/* A byte buffer: bytes [off, len) of p are live. */
struct rb_buf {
	uint8_t *p;
	uint32_t cap, off, len;
};

/* A stream connection (TCP on a worker, AF_LOCAL on the control thread).
 *
 * Its work is bounded whatever the client sends (rb_conn_work): bytes read
 * wait in `in` (at most RB_CONN_IN_MAX, and nothing more is read until they
 * are answered); replies accumulate in `out`, and `snd` holds what is being
 * sent (they swap when snd empties, so a buffer the kernel may be reading,
 * an io_uring send in flight, never moves); a reply whose size grows with
 * the registry is produced a fragment at a time (`stream`) as the socket
 * drains. No call is decoded while --max-unsent bytes wait, while a large
 * reply is under way, or past the turn's budget. */
struct rb_conn {
	int fd;
	uint32_t slot; /* index in its owner's table */
	uint32_t gen;  /* generation: a reply for a closed slot is dropped */
	struct rb_xport xport;
	struct rb_rec_asm rec;
	struct rb_buf in;
	struct rb_buf out;
	struct rb_buf snd;
	struct rb_stream stream; /* a large reply under way (kind NONE: none) */
	uint64_t last_active_ms;
	uint64_t blocked_since_ms; /* replies wait and the socket took none since */
	uint32_t mutations_owed;    /* replies the control thread owes us */
	bool closing;
	/* In the owner's ready queue (kept across reuse of the slot, so that
	 * a slot is queued at most once: struct rb_conn_queue). */
	bool queued;
	/* Backend state. */
	bool recv_armed;
	bool send_inflight;
	bool paused; /* not reading: rb_conn_work said wait */
	bool recv_nobufs;
	/* The client has finished sending (a read gave 0): nothing more is
	 * read, and the connection closes once its replies are out. */
	bool read_eof;
	bool nodelay; /* TCP_NODELAY is set (for a large reply's fragments) */
};

/* Connections with work left (input to answer, a large reply to go on
 * with), served a budget at a time, in turn: a ring of slot numbers. */
struct rb_conn_queue {
	uint32_t *slot;
	uint32_t cap, head, n;
};
int rb_conn_queue_init(struct rb_conn_queue *q, uint32_t cap);
void rb_conn_queue_fini(struct rb_conn_queue *q);
/* Queues c unless it already is. */
void rb_conn_queue_push(struct rb_conn_queue *q, struct rb_conn *c);
/* The next queued slot; false when none. The caller clears its conn's
 * `queued` (the slot may have been released and reused meanwhile). */
bool rb_conn_queue_pop(struct rb_conn_queue *q, uint32_t *slot);

/* What one loop turn may spend on connections, all of them together, so
 * that datagrams and other connections keep their latency while one
 * client floods: calls decoded and large-reply bytes produced. */
struct rb_turn_budget {
	uint32_t calls;
	uint32_t bytes;
};
static inline void rb_turn_budget_reset(struct rb_turn_budget *b)
{
	b->calls = RB_TURN_CALLS;
	b->bytes = RB_TURN_STREAM_BYTES;
}
static inline bool rb_turn_budget_left(const struct rb_turn_budget *b)
{
	return b->calls && b->bytes;
}

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
	/* Where a large reply's fragments are built before one send
	 * (RB_STREAM_BURST bytes; what the socket leaves is copied out). */
	uint8_t *burst;
	const struct rb_limits *limits;
	struct rb_rrl *rrl;       /* per-source rate limit for UDP (workers) */
	struct rb_fwd *fwd;       /* remote calls in flight (workers, -r); NULL: none */
	/* Forwards a call (the assembly sets it with fwd: rb_feature_ops). */
	uint32_t (*fwd_start)(struct rb_fwd *f, struct rb_serve *s, const struct rb_fwd_req *r,
			      const struct rb_xport *x, const struct rb_dgram_route *rt);
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
 * call forwarded along with it: net/features/forward.h). Sets x->now. */
uint32_t rb_serve_datagram(struct rb_serve *s, struct rb_xport *x,
			   const uint8_t *msg, uint32_t len,
			   const struct rb_dgram_route *rt);

/* Where a connection stands after rb_conn_work. */
enum rb_conn_next {
	RB_CONN_READ = 0, /* every call read so far is answered: read more */
	RB_CONN_WAIT,     /* replies wait for the socket (or the control
			   * thread): neither read nor work until it drains */
	RB_CONN_MORE,     /* the budget ran out with work left: queue it */
};
/* Sends what c has queued, as far as the socket takes it now (a backend's
 * kick); sets c->closing when the connection failed. */
typedef void rb_conn_kick_fn(void *arg, struct rb_conn *c);
/* Answers c's input and goes on with its large reply, within the budget
 * (this connection's share, RB_CONN_CALLS_PER_TURN and
 * RB_CONN_STREAM_BYTES_PER_TURN, and what is left of the turn's), kicking
 * replies out with kick. Returns an rb_conn_next, or -errno when c must be
 * closed (-EMSGSIZE: a record over RB_RECORD_MAX; -ENOMEM; -EPIPE: the
 * kick failed). */
int rb_conn_work(struct rb_serve *s, struct rb_conn *c, struct rb_turn_budget *b,
		 rb_conn_kick_fn *kick, void *arg);
/* Bytes just read from c (at most RB_CONN_IN_MAX, in a buffer the caller
 * reuses): answered at once as far as the budget goes, as rb_conn_work,
 * and what is left kept in c->in for rb_conn_work later (the caller reads
 * nothing more until it says RB_CONN_READ). */
int rb_conn_input(struct rb_serve *s, struct rb_conn *c, const uint8_t *p, size_t n,
		  struct rb_turn_budget *b, rb_conn_kick_fn *kick, void *arg);
/* Appends one reply as a record. 0 or -ENOMEM / -EMSGSIZE. */
int rb_conn_append(struct rb_conn *c, const uint8_t *reply, uint32_t len);
static inline uint32_t rb_conn_unsent(const struct rb_conn *c)
{
	return (c->snd.len - c->snd.off) + (c->out.len - c->out.off);
}
/* Whether c has nothing to do until its client sends: for idle reaping. */
static inline bool rb_conn_idle(const struct rb_conn *c)
{
	return rb_conn_unsent(c) == 0 && c->mutations_owed == 0 &&
	       c->stream.kind == RB_STREAM_NONE && c->in.off == c->in.len;
}
/* A client that finished sending has all its answers: close now. */
static inline bool rb_conn_done(const struct rb_conn *c)
{
	return c->read_eof && rb_conn_unsent(c) == 0 && !c->send_inflight &&
	       c->mutations_owed == 0 && c->stream.kind == RB_STREAM_NONE &&
	       c->in.off == c->in.len;
}
/* Flags for a send of c's queued bytes: while a large reply is under way
 * they are not its last fragment, and MSG_MORE lets the kernel build
 * full-size segments from several fragments (one segment and one wake-up
 * of the client, not one per fragment); the last fragment pushes them. */
static inline int rb_conn_send_flags(const struct rb_conn *c)
{
	return c->stream.kind != RB_STREAM_NONE ? MSG_MORE : 0;
}
/* The next bytes to send (moving queued replies into snd when it is
 * empty); returns their length, 0 when nothing is queued. */
uint32_t rb_conn_next_send(struct rb_conn *c, const uint8_t **p);
/* Marks n bytes of snd as sent (progress: clears blocked_since_ms). */
void rb_conn_sent(struct rb_conn *c, uint32_t n);
/* The send loop of a readiness-based transport (epoll): sends what c has
 * queued with non-blocking send(2) as far as the socket takes it now
 * (progress refreshes last_active_ms to now_ms). 0 when all is sent or the
 * socket is full (wait for EPOLLOUT), -errno when the connection failed. */
int rb_conn_send_now(struct rb_conn *c, uint64_t now_ms);
void rb_conn_reset(struct rb_conn *c, int fd, uint32_t slot);
/* For an epoll loop: registers c for reading unless paused and for writing
 * while replies wait (recv_armed / send_inflight record what is set).
 * data is the event's tag. -errno when epoll_ctl failed (the flags then
 * keep what is really registered: the caller closes c). */
int rb_conn_epoll_interest(int ep, struct rb_conn *c, uint64_t data);
/* A connection for fd from a table of them (conns, slot numbers from s),
 * reset for its new use: a slot given back keeps its struct, so a table of
 * connections that come and go allocates once per slot. NULL when every
 * slot is taken or memory is short (nothing is then taken). The worker's
 * and the control thread's tables both open connections this way. */
struct rb_conn *rb_conn_table_open(struct rb_slots *s, struct rb_conn **conns, int fd);
void rb_conn_free_buffers(struct rb_conn *c);

#endif
