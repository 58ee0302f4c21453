#include "net/transport/serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "core/rpc_msg.h"
#include "net/base/limits.h"
#include "registry/procs/remote_call.h"

int rb_serve_init(struct rb_serve *s)
{
	uint8_t *buf = malloc(1024);
	if (!buf)
		return -ENOMEM;
	rb_xdr_enc_init_growable(&s->enc, buf, 1024, RB_STREAM_REPLY_MAX);
	s->burst = malloc(RB_STREAM_BURST);
	if (!s->burst) {
		free(buf);
		return -ENOMEM;
	}
	rb_serve_tick(s);
	return 0;
}

void rb_serve_fini(struct rb_serve *s)
{
	free(s->enc.buf);
	s->enc.buf = NULL;
	free(s->burst);
	s->burst = NULL;
}

/* Once per batch of work. One precise clock read: the seconds of the
 * wall clock (GETTIME, stale checks) need no better than the coarse
 * clock's few milliseconds, which costs no time-stamp counter read. */
void rb_serve_tick(struct rb_serve *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	s->now = (uint32_t)ts.tv_sec;
	s->t_ns = rb_mono_ns();
	s->now_ms = s->t_ns / 1000000u;
}

uint64_t rb_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A SET/UNSET from a caller that may not change the registry (not local,
 * no -i): one line each, at most RB_REFUSAL_LOG_RATE a second per thread. */
static void refusal_log(struct rb_serve *s, const struct rb_xport *x, unsigned pi)
{
	if (!rb_log_budget_take(&s->refuse_log, s->now_ms / 1000u, RB_REFUSAL_LOG_RATE, NULL))
		return;
	char peer[RB_UADDR_MAX + 1] = "?";
	if (rb_uaddr_print(&x->peer, peer, sizeof(peer)) < 0)
		snprintf(peer, sizeof(peer), "?");
	rb_logl(RB_LOG_NOTICE, "refused %s from %s over %s: not a local caller (AUTH_TOOWEAK)",
		pi == RB_PROC_SET ? "SET" : "UNSET", peer, rb_netid_get(x->netid)->name);
}

/* Counts a call for the metrics. Its duration runs from the end of the
 * previous call of this batch (or the batch's start): one clock read per
 * call, not two. A SET/UNSET is counted by the control thread once its
 * answer is final (after the commit). */
static void count_call(struct rb_serve *s, const struct rb_xport *x,
		       const struct rb_call_head *h, enum rb_outcome o, uint32_t reply_len)
{
	if (!s->rq || (o == RB_OUT_MUTATE && reply_len == 0))
		return;
	unsigned vi, pi;
	enum rb_rq_result r;
	rb_rq_labels(h->whole, h->prog, h->vers, h->proc, &vi, &pi);
	if (o == RB_OUT_FORWARD)
		r = RB_RQ_FORWARDED;
	else if (o == RB_OUT_DROP)
		r = RB_RQ_DROPPED;
	else
		r = rb_rq_classify_reply(s->enc.buf, reply_len, pi, vi);
	if (r == RB_RQ_DENIED && vi < RB_RQ_VERS - 1 && (pi == RB_PROC_SET || pi == RB_PROC_UNSET))
		refusal_log(s, x, pi);
	uint64_t t = rb_mono_ns();
	rb_reqstats_count(s->rq, vi, pi, rb_rq_transport_of(x->netid), r,
			  t > s->t_ns ? t - s->t_ns : 0);
	s->t_ns = t;
}

static const char *outcome_name(enum rb_outcome o)
{
	return o == RB_OUT_REPLY    ? "reply"
	       : o == RB_OUT_MUTATE  ? "to the writer"
	       : o == RB_OUT_FORWARD ? "forwarded"
				     : "no reply";
}

/* -d: one line per call, at most RB_DEBUG_LOG_RATE a second per thread so
 * that a flood cannot turn into a flood of log lines. */
static void debug_call(struct rb_serve *s, const struct rb_xport *x,
		       const struct rb_call_head *h, enum rb_outcome o)
{
	uint64_t dropped;
	bool ok = rb_log_budget_take(&s->debug_log, s->now_ms / 1000u, RB_DEBUG_LOG_RATE, &dropped);
	if (dropped)
		rb_log("debug: %llu call lines suppressed", (unsigned long long)dropped);
	if (!ok)
		return;
	char peer[RB_UADDR_MAX + 1] = "local";
	if (x->peer.family != RB_AF_LOCAL && rb_uaddr_print(&x->peer, peer, sizeof(peer)) < 0)
		peer[0] = '\0';
	rb_log("debug: %s %s xid %08x prog %u vers %u proc %u: %s",
	       rb_netid_get(x->netid)->name, peer, h->xid, h->prog, h->vers, h->proc,
	       outcome_name(o));
}

/* Hands a mutation to the writer. Returns the length of a reply to send
 * now (in s->enc): an error when the mailbox is full; else 0, the reply
 * comes later (from the worker's mailbox, or the control thread's commit). */
static uint32_t route_mutation(struct rb_serve *s, const struct rb_mutation *m,
			       enum rb_route_kind kind,
			       const struct rb_dgram_route *rt, struct rb_conn *c)
{
	s->enc.pos = 0;
	s->enc.err = 0;
	if (s->apply) {
		c->mutations_owed++;
		s->apply(s->apply_arg, m, c);
		return 0;
	}
	struct rb_mut_msg *msg = NULL;
	if (*s->mut_inflight < RB_MAILBOX_CAP - 1)
		msg = malloc(sizeof(*msg));
	if (!msg) {
		/* Backpressure: the writer is far behind. SYSTEM_ERR tells the
		 * client to retry, and no state changed. */
		rb_count(&s->counters->mailbox_full);
		rb_rpc_put_accepted(&s->enc, m->xid, RB_SYSTEM_ERR);
		return (uint32_t)s->enc.pos;
	}
	msg->m = *m;
	msg->kind = kind;
	msg->t0_ns = s->t_ns;
	if (kind == RB_ROUTE_UDP) {
		msg->dg = *rt;
	} else {
		msg->conn_slot = c->slot;
		msg->conn_gen = c->gen;
		c->mutations_owed++;
	}
	msg->reply_len = 0;
	/* Cannot fail: at most RB_MAILBOX_CAP - 1 messages are out. */
	rb_mailbox_send_req(s->mbox, msg);
	(*s->mut_inflight)++;
	rb_count(&s->counters->mutations);
	rb_wake(s->ctl_wake_fd);
	return 0;
}

uint32_t rb_serve_datagram(struct rb_serve *s, struct rb_xport *x,
			   const uint8_t *msg, uint32_t len,
			   const struct rb_dgram_route *rt)
{
	struct rb_mutation m;
	struct rb_fwd_req fwd;
	struct rb_call_head h;
	struct rb_xdr_enc *e = &s->enc;

	x->now = s->now;
	/* Response-rate limiting: untrusted sources only, before any work. */
	if (s->rrl && !rb_peer_trusted(&s->policy, &x->peer) &&
	    !rb_rrl_allow(s->rrl, &x->peer, s->now_ms)) {
		rb_count(&s->counters->rate_limited);
		return 0;
	}
	e->pos = 0;
	e->err = 0;
	/* A datagram reply is bounded by RB_UDP_REPLY_MAX: past it the
	 * engine answers SYSTEM_ERR. */
	size_t limit = e->limit;
	e->limit = RB_UDP_REPLY_MAX;
	enum rb_outcome o = rb_handle_call_full(&s->hctx, x, msg, len, e, &m,
						s->fwd ? &fwd : NULL, NULL, &h);
	e->limit = limit;
	if (s->debug)
		debug_call(s, x, &h, o);
	if (s->fwd && fwd.denied)
		rb_count(&s->counters->fwd_denied);
	uint32_t n = 0;
	switch (o) {
	case RB_OUT_REPLY:
		n = (uint32_t)e->pos;
		break;
	case RB_OUT_MUTATE:
		n = route_mutation(s, &m, RB_ROUTE_UDP, rt, NULL);
		break;
	case RB_OUT_FORWARD:
		/* Only with s->fwd: the forwarded call is encoded and sent
		 * now, while msg (its arguments) is still there. Its reply
		 * (an error, when it cannot go) is counted as forwarded. */
		n = s->fwd_start(s->fwd, s, &fwd, x, rt);
		break;
	case RB_OUT_DROP:
	default:
		rb_count(&s->counters->no_reply);
		o = RB_OUT_DROP;
		break;
	}
	count_call(s, x, &h, o, n);
	return n;
}

/* The sum that RB_CONN_MEM_MAX names (net/base/limits.h). */
_Static_assert(sizeof(struct rb_conn) + RB_RECORD_MAX + RB_CONN_IN_MAX +
			       RB_CONFIG_UNSENT_MAX + RB_GETSTAT_REPLY_MAX + 2u * RB_CONN_BUF_ROUND <=
		       RB_CONN_MEM_MAX,
	       "RB_CONN_MEM_MAX is the bound of a connection's memory");
_Static_assert(RB_STREAM_CHUNK <= RB_GETSTAT_REPLY_MAX, "a fragment is no larger than a reply");
_Static_assert(RB_GETSTAT_REPLY_MAX <= RB_STREAM_REPLY_MAX, "GETSTAT is built whole");

void rb_conn_reset(struct rb_conn *c, int fd, uint32_t slot)
{
	uint32_t gen = c->gen + 1;
	uint8_t *recbuf = c->rec.buf;
	struct rb_buf in = c->in, out = c->out, snd = c->snd;
	bool queued = c->queued;
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->slot = slot;
	c->gen = gen;
	c->queued = queued;
	c->in = in;
	c->out = out;
	c->snd = snd;
	c->in.off = c->in.len = 0;
	c->out.off = c->out.len = 0;
	c->snd.off = c->snd.len = 0;
	rb_rec_init(&c->rec, recbuf, RB_RECORD_MAX);
}

int rb_conn_epoll_interest(int ep, struct rb_conn *c, uint64_t data)
{
	bool want_in = !c->paused, want_out = rb_conn_unsent(c) != 0;
	if (want_in == c->recv_armed && want_out == c->send_inflight)
		return 0;
	struct epoll_event ev = {
		/* EPOLLRDHUP only while reading: a client that half-closes
		 * and does not read would otherwise be reported at every
		 * wait while its replies are blocked. */
		.events = (want_in ? EPOLLIN | EPOLLRDHUP : 0u) | (want_out ? EPOLLOUT : 0u),
		.data.u64 = data,
	};
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -errno;
	c->recv_armed = want_in;
	c->send_inflight = want_out;
	return 0;
}

/* A buffer with cap 0 and p set borrows the caller's memory (input being
 * answered straight from a read buffer: rb_conn_input). */
static void buf_free(struct rb_buf *b)
{
	if (b->cap)
		free(b->p);
	memset(b, 0, sizeof(*b));
}

struct rb_conn *rb_conn_table_open(struct rb_slots *s, struct rb_conn **conns, int fd)
{
	uint32_t slot;
	if (!rb_slots_take(s, &slot))
		return NULL;
	struct rb_conn *c = conns[slot];
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			rb_slots_put(s, slot);
			return NULL;
		}
		conns[slot] = c;
	}
	rb_conn_reset(c, fd, slot);
	return c;
}

void rb_conn_free_buffers(struct rb_conn *c)
{
	free(c->rec.buf);
	c->rec.buf = NULL;
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->snd);
}

/* ---- the connection's queue of work ---- */

int rb_conn_queue_init(struct rb_conn_queue *q, uint32_t cap)
{
	q->slot = malloc((size_t)cap * sizeof(*q->slot));
	q->cap = cap;
	q->head = q->n = 0;
	return q->slot ? 0 : -ENOMEM;
}

void rb_conn_queue_fini(struct rb_conn_queue *q)
{
	free(q->slot);
	q->slot = NULL;
}

void rb_conn_queue_push(struct rb_conn_queue *q, struct rb_conn *c)
{
	if (c->queued)
		return;
	/* A slot is queued at most once and slots are below cap: room. */
	q->slot[(q->head + q->n) % q->cap] = c->slot;
	q->n++;
	c->queued = true;
}

bool rb_conn_queue_pop(struct rb_conn_queue *q, uint32_t *slot)
{
	if (!q->n)
		return false;
	*slot = q->slot[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return true;
}

/* ---- buffers ---- */

/* Makes room for need more bytes at b's end; buffers grow to their content
 * (rounded), not by doubling, so that what a connection holds stays near
 * what it has queued (RB_CONN_MEM_MAX). */
static int buf_reserve(struct rb_buf *b, uint32_t need, uint32_t max)
{
	if (b->off == b->len)
		b->off = b->len = 0;
	if (b->cap - b->len >= need)
		return 0;
	uint32_t live = b->len - b->off;
	if (b->off)
		memmove(b->p, b->p + b->off, live);
	b->off = 0;
	b->len = live;
	if (b->cap - live >= need)
		return 0;
	if ((uint64_t)live + need > max)
		return -EMSGSIZE;
	uint32_t want = (live + need + RB_CONN_BUF_ROUND - 1) & ~(RB_CONN_BUF_ROUND - 1);
	uint8_t *nb = realloc(b->p, want);
	if (!nb)
		return -ENOMEM;
	b->p = nb;
	b->cap = want;
	return 0;
}

int rb_conn_append(struct rb_conn *c, const uint8_t *reply, uint32_t len)
{
	struct rb_buf *b = &c->out;
	int r = buf_reserve(b, 4 + len, RB_CONN_BACKLOG_MAX);
	if (r)
		return r;
	rb_rec_put_header(b->p + b->len, len);
	memcpy(b->p + b->len + 4, reply, len);
	b->len += 4 + len;
	return 0;
}

uint32_t rb_conn_next_send(struct rb_conn *c, const uint8_t **p)
{
	if (c->snd.off == c->snd.len) {
		if (c->out.off == c->out.len)
			return 0;
		struct rb_buf t = c->snd;
		c->snd = c->out;
		t.off = t.len = 0;
		c->out = t;
	}
	*p = c->snd.p + c->snd.off;
	return c->snd.len - c->snd.off;
}

void rb_conn_sent(struct rb_conn *c, uint32_t n)
{
	c->snd.off += n;
	if (n)
		c->blocked_since_ms = 0; /* the client reads */
	if (c->snd.off == c->snd.len) {
		c->snd.off = c->snd.len = 0;
		/* Once sent, a buffer larger than a small reply's goes back
		 * (an idle connection keeps RB_CONN_BUF_ROUND at most), but
		 * not between the fragments of a large reply. */
		if (c->snd.cap > RB_CONN_BUF_ROUND && c->stream.kind == RB_STREAM_NONE)
			buf_free(&c->snd);
	}
}

int rb_conn_send_now(struct rb_conn *c, uint64_t now_ms)
{
	const uint8_t *p;
	uint32_t n;
	while ((n = rb_conn_next_send(c, &p)) != 0) {
		ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT | rb_conn_send_flags(c));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		rb_conn_sent(c, (uint32_t)r);
		c->last_active_ms = now_ms;
	}
	return 0;
}

/* ---- answering ---- */

static int conn_record(struct rb_serve *s, struct rb_conn *c,
		       const uint8_t *rec, uint32_t len)
{
	struct rb_mutation m;
	struct rb_call_head h;
	struct rb_xdr_enc *e = &s->enc;
	uint32_t n;

	rb_count(&s->counters->tcp_records);
	c->xport.now = s->now;
	e->pos = 0;
	e->err = 0;
	enum rb_outcome o = rb_handle_call_full(&s->hctx, &c->xport, rec, len, e, &m, NULL,
						&c->stream, &h);
	if (s->debug)
		debug_call(s, &c->xport, &h, o);
	switch (o) {
	case RB_OUT_REPLY:
		n = (uint32_t)e->pos;
		break;
	case RB_OUT_MUTATE:
		n = route_mutation(s, &m, RB_ROUTE_TCP, NULL, c);
		break;
	case RB_OUT_STREAM:
		/* Its fragments go out in several sends: without TCP_NODELAY
		 * each one after the first would wait for the client's delayed
		 * ACK (Nagle), 40 ms a fragment. Once per connection. */
		if (!c->nodelay && rb_netid_get(c->xport.netid)->family != RB_AF_LOCAL) {
			int one = 1;
			(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			c->nodelay = true;
		}
		/* Produced by conn_stream_step as the socket drains; counted
		 * now, as a reply (its size is not known yet). */
		if (s->rq) {
			uint64_t t = rb_mono_ns();
			unsigned vi, pi;
			rb_rq_labels(h.whole, h.prog, h.vers, h.proc, &vi, &pi);
			rb_reqstats_count(s->rq, vi, pi, rb_rq_transport_of(c->xport.netid),
					  RB_RQ_SUCCESS, t > s->t_ns ? t - s->t_ns : 0);
			s->t_ns = t;
		}
		return 0;
	case RB_OUT_DROP:
	default:
		rb_count(&s->counters->no_reply);
		count_call(s, &c->xport, &h, RB_OUT_DROP, 0);
		/* A record that is no CALL (msg_type other than 0) ends the
		 * connection, TCP or AF_LOCAL, as rpcbind's (libtirpc's
		 * svc_vc_recv marks the transport dead): a peer that sends
		 * replies or garbage to the port mapper is no client of it. */
		if (len >= 8 && (rec[4] | rec[5] | rec[6] | rec[7]) != 0)
			return -EPROTO;
		return 0;
	}
	count_call(s, &c->xport, &h, o, n);
	return n ? rb_conn_append(c, e->buf, n) : 0;
}

/* The next fragments of c's large reply, nothing of c's being unsent:
 * up to RB_STREAM_BURST bytes of fragments built in the thread's burst
 * buffer and handed to the socket in one send (the kernel makes one
 * segment of them: one system call and one wake-up of the client for four
 * fragments). What the socket does not take is trimmed to the fragment it
 * stopped in, which alone is kept (copied to c->out: a connection keeps
 * at most one fragment, whatever its client does); the fragments after it
 * are dropped and the cursor goes back to their start, as if they had
 * never been made. Returns the bytes handed over or kept, or -errno. */
static int conn_stream_burst(struct rb_serve *s, struct rb_conn *c, uint32_t budget)
{
	struct {
		uint32_t end;            /* the fragment's end in the burst */
		struct rb_stream before; /* the cursor when it was begun */
	} mark[RB_STREAM_BURST / RB_STREAM_CHUNK];
	unsigned n = 0;
	uint32_t len = 0;
	while (c->stream.kind != RB_STREAM_NONE && n < RB_STREAM_BURST / RB_STREAM_CHUNK &&
	       (n == 0 || len < budget)) {
		struct rb_xdr_enc e;
		mark[n].before = c->stream;
		rb_xdr_enc_init(&e, s->burst + len + 4, RB_STREAM_CHUNK - 4);
		int r = rb_stream_step(&s->hctx, &c->xport, &c->stream, &e);
		if (r < 0)
			return r; /* an entry over a fragment: cannot happen (< 256 B) */
		rb_rec_put_frag_header(s->burst + len, (uint32_t)e.pos, r == 1);
		len += 4 + (uint32_t)e.pos;
		mark[n++].end = len;
	}
	ssize_t sent = send(c->fd, s->burst, len,
			    MSG_NOSIGNAL | MSG_DONTWAIT | rb_conn_send_flags(c));
	if (sent < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -EPIPE;
		sent = 0;
	}
	if (sent > 0) {
		c->blocked_since_ms = 0; /* the client reads */
		c->last_active_ms = s->now_ms;
	}
	if ((uint32_t)sent == len)
		return (int)len;
	unsigned i = 0;
	while (mark[i].end <= (uint32_t)sent)
		i++;
	if (i + 1 < n)
		c->stream = mark[i + 1].before; /* fragments i+1.. were never sent */
	uint32_t keep = mark[i].end - (uint32_t)sent;
	int r = buf_reserve(&c->out, keep, RB_STREAM_CHUNK);
	if (r)
		return r;
	memcpy(c->out.p + c->out.len, s->burst + sent, keep);
	c->out.len += keep;
	return (int)mark[i].end;
}

/* Sends what is queued; false when the connection failed. */
static bool conn_kick(struct rb_conn *c, rb_conn_kick_fn *kick, void *arg)
{
	if (rb_conn_unsent(c))
		kick(arg, c);
	return !c->closing;
}

/* Replies wait for the socket: from now on the connection is blocked
 * unless the socket takes some (rb_conn_sent). */
static int conn_wait(struct rb_serve *s, struct rb_conn *c)
{
	if (rb_conn_unsent(c) && !c->blocked_since_ms)
		c->blocked_since_ms = s->now_ms ? s->now_ms : 1;
	return RB_CONN_WAIT;
}

int rb_conn_input(struct rb_serve *s, struct rb_conn *c, const uint8_t *p, size_t n,
		  struct rb_turn_budget *b, rb_conn_kick_fn *kick, void *arg)
{
	/* Answered from the caller's buffer, with no copy, as far as the
	 * budget goes; only what is left is kept (RB_CONN_IN_MAX at most). */
	if (n > RB_CONN_IN_MAX)
		return -EMSGSIZE; /* the backends read no more at once */
	c->in = (struct rb_buf){ .p = (uint8_t *)(uintptr_t)p, .cap = 0, .off = 0,
				 .len = (uint32_t)n };
	int r = rb_conn_work(s, c, b, kick, arg);
	if (c->in.p && c->in.cap == 0) {
		uint32_t left = c->in.len - c->in.off;
		struct rb_buf kept = { 0 };
		if (left && r >= 0) {
			kept.p = malloc(left);
			if (!kept.p)
				r = -ENOMEM;
			else
				memcpy(kept.p, c->in.p + c->in.off, left);
			kept.cap = kept.len = left;
		}
		c->in = kept;
	}
	return r;
}

/* One step of rb_conn_work while a large reply is under way: the answers
 * owed before it go first, then a burst of fragments each time the socket
 * has taken everything before it. True when the work stops, with *r. */
static bool conn_stream_step(struct rb_serve *s, struct rb_conn *c, struct rb_turn_budget *b,
			     rb_conn_kick_fn *kick, void *arg, uint32_t *bytes, int *r)
{
	if (c->mutations_owed) {
		*r = conn_kick(c, kick, arg) ? conn_wait(s, c) : -EPIPE;
		return true;
	}
	if (rb_conn_unsent(c)) {
		if (!conn_kick(c, kick, arg)) {
			*r = -EPIPE;
			return true;
		}
		if (rb_conn_unsent(c)) {
			*r = conn_wait(s, c);
			return true;
		}
	}
	if (!*bytes || !b->bytes) {
		*r = RB_CONN_MORE;
		return true;
	}
	int n = conn_stream_burst(s, c, *bytes < b->bytes ? *bytes : b->bytes);
	if (n < 0) {
		*r = n;
		return true;
	}
	*bytes = (uint32_t)n < *bytes ? *bytes - (uint32_t)n : 0;
	b->bytes = (uint32_t)n < b->bytes ? b->bytes - (uint32_t)n : 0;
	return false;
}

/* One step of rb_conn_work otherwise: backpressure, then the next record
 * of the input answered. True when the work stops, with *r. */
static bool conn_call_step(struct rb_serve *s, struct rb_conn *c, struct rb_turn_budget *b,
			   rb_conn_kick_fn *kick, void *arg, uint32_t *calls,
			   bool paused_before, int *r)
{
	/* Backpressure, checked before each call: past --max-unsent
	 * nothing more is decoded until the client reads. */
	if (rb_conn_unsent(c) >= s->limits->unsent_max) {
		if (!conn_kick(c, kick, arg)) {
			*r = -EPIPE;
			return true;
		}
		if (rb_conn_unsent(c) >= s->limits->unsent_max) {
			if (!paused_before)
				rb_count(&s->counters->tcp_paused);
			*r = conn_wait(s, c);
			return true;
		}
	}
	if (c->in.off == c->in.len) {
		*r = RB_CONN_READ;
		return true;
	}
	if (!*calls || !b->calls) {
		*r = RB_CONN_MORE;
		return true;
	}
	size_t used = 0;
	const uint8_t *rec;
	uint32_t rlen;
	int fr = rb_rec_feed(&c->rec, c->in.p + c->in.off, c->in.len - c->in.off, &used, &rec,
			     &rlen);
	c->in.off += (uint32_t)used;
	if (fr == -ENOBUFS) {
		c->rec.buf = malloc(RB_RECORD_MAX);
		*r = -ENOMEM;
		return !c->rec.buf;
	}
	if (fr < 0) {
		rb_count(&s->counters->tcp_oversize);
		*r = fr;
		return true;
	}
	if (fr == 0)
		return false; /* all of in taken, no record complete yet */
	(*calls)--;
	b->calls--;
	c->last_active_ms = s->now_ms;
	fr = conn_record(s, c, rec, rlen);
	*r = fr;
	return fr < 0;
}

int rb_conn_work(struct rb_serve *s, struct rb_conn *c, struct rb_turn_budget *b,
		 rb_conn_kick_fn *kick, void *arg)
{
	uint32_t calls = RB_CONN_CALLS_PER_TURN, bytes = RB_CONN_STREAM_BYTES_PER_TURN;
	bool paused_before = c->paused;
	int r = RB_CONN_READ;
	for (;;) {
		bool stop = c->stream.kind != RB_STREAM_NONE
				    ? conn_stream_step(s, c, b, kick, arg, &bytes, &r)
				    : conn_call_step(s, c, b, kick, arg, &calls, paused_before, &r);
		if (stop)
			break;
	}
	if (r == RB_CONN_READ && c->in.p) {
		/* Every byte read is answered: the input buffer goes back, so
		 * that a connection waiting for its client holds none. */
		buf_free(&c->in);
	}
	if (c->stream.kind == RB_STREAM_NONE && rb_conn_unsent(c) == 0 &&
	    c->out.cap > RB_CONN_BUF_ROUND)
		buf_free(&c->out); /* a large reply's buffer, once it is out */
	if (r == RB_CONN_READ || r == RB_CONN_MORE) {
		if (!conn_kick(c, kick, arg))
			r = -EPIPE;
	}
	c->paused = r != RB_CONN_READ;
	return r;
}
