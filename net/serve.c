#include "net/serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "core/rpc_msg.h"
#include "net/daemon.h"
#include "net/forward.h"
#include "net/limits.h"

int rb_serve_init(struct rb_serve *s)
{
	uint8_t *buf = malloc(1024);
	if (!buf)
		return -ENOMEM;
	rb_xdr_enc_init_growable(&s->enc, buf, 1024, RB_STREAM_REPLY_MAX);
	rb_serve_tick(s);
	return 0;
}

void rb_serve_fini(struct rb_serve *s)
{
	free(s->enc.buf);
	s->enc.buf = NULL;
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
static void count_call(struct rb_serve *s, const struct rb_xport *x, const uint8_t *msg,
		       uint32_t len, enum rb_outcome o, uint32_t reply_len)
{
	if (!s->rq || (o == RB_OUT_MUTATE && reply_len == 0))
		return;
	unsigned vi, pi;
	enum rb_rq_result r;
	rb_rq_classify_call(msg, len, &vi, &pi);
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
		       const uint8_t *msg, uint32_t len, enum rb_outcome o)
{
	uint64_t dropped;
	bool ok = rb_log_budget_take(&s->debug_log, s->now_ms / 1000u, RB_DEBUG_LOG_RATE, &dropped);
	if (dropped)
		rb_log("debug: %llu call lines suppressed", (unsigned long long)dropped);
	if (!ok)
		return;
	struct rb_rpc_call c;
	enum rb_auth_stat why;
	char peer[RB_UADDR_MAX + 1] = "local";
	if (x->peer.family != RB_AF_LOCAL && rb_uaddr_print(&x->peer, peer, sizeof(peer)) < 0)
		peer[0] = '\0';
	rb_rpc_decode_call(msg, len, &c, &why);
	rb_log("debug: %s %s xid %08x prog %u vers %u proc %u: %s",
	       rb_netid_get(x->netid)->name, peer, c.xid, c.prog, c.vers, c.proc,
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
	enum rb_outcome o = rb_handle_call_ex(&s->hctx, x, msg, len, e, &m,
					      s->fwd ? &fwd : NULL);
	e->limit = limit;
	if (s->debug)
		debug_call(s, x, msg, len, o);
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
		n = rb_fwd_start(s->fwd, s, &fwd, x, rt);
		break;
	case RB_OUT_DROP:
	default:
		rb_count(&s->counters->no_reply);
		o = RB_OUT_DROP;
		break;
	}
	count_call(s, x, msg, len, o, n);
	return n;
}

void rb_conn_reset(struct rb_conn *c, int fd, uint32_t slot)
{
	uint32_t gen = c->gen + 1;
	uint8_t *recbuf = c->rec.buf;
	struct rb_buf out = c->out, snd = c->snd;
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->slot = slot;
	c->gen = gen;
	c->out = out;
	c->snd = snd;
	c->out.off = c->out.len = 0;
	c->snd.off = c->snd.len = 0;
	rb_rec_init(&c->rec, recbuf, RB_RECORD_MAX);
}

void rb_conn_epoll_interest(int ep, struct rb_conn *c, uint64_t data)
{
	bool want_in = !c->paused, want_out = rb_conn_unsent(c) != 0;
	if (want_in == c->recv_armed && want_out == c->send_inflight)
		return;
	struct epoll_event ev = {
		.events = (want_in ? EPOLLIN : 0u) | (want_out ? EPOLLOUT : 0u) | EPOLLRDHUP,
		.data.u64 = data,
	};
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->recv_armed = want_in;
	c->send_inflight = want_out;
}

void rb_conn_free_buffers(struct rb_conn *c)
{
	free(c->rec.buf);
	c->rec.buf = NULL;
	free(c->out.p);
	free(c->snd.p);
	memset(&c->out, 0, sizeof(c->out));
	memset(&c->snd, 0, sizeof(c->snd));
}

int rb_conn_append(struct rb_conn *c, const uint8_t *reply, uint32_t len)
{
	struct rb_buf *b = &c->out;
	uint32_t need = 4 + len;
	if (b->off == b->len)
		b->off = b->len = 0;
	if (b->cap - b->len < need) {
		uint32_t live = b->len - b->off;
		if (b->off)
			memmove(b->p, b->p + b->off, live);
		b->off = 0;
		b->len = live;
		if (b->cap - live < need) {
			size_t want = b->cap ? b->cap : 512;
			while (want - live < need)
				want *= 2;
			if (want > (size_t)RB_CONN_BACKLOG_MAX)
				return -EMSGSIZE;
			uint8_t *nb = realloc(b->p, want);
			if (!nb)
				return -ENOMEM;
			b->p = nb;
			b->cap = (uint32_t)want;
		}
	}
	rb_rec_put_header(b->p + b->len, len);
	memcpy(b->p + b->len + 4, reply, len);
	b->len += need;
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
	if (c->snd.off == c->snd.len) {
		c->snd.off = c->snd.len = 0;
		/* Give back a large buffer once a big DUMP has gone out. */
		if (c->snd.cap > 64u * 1024u) {
			free(c->snd.p);
			memset(&c->snd, 0, sizeof(c->snd));
		}
	}
}

bool rb_conn_over_cap(struct rb_conn *c, uint32_t unsent_max, uint64_t now_ms)
{
	if (rb_conn_unsent(c) > unsent_max) {
		if (!c->blocked_since_ms)
			c->blocked_since_ms = now_ms ? now_ms : 1;
		return true;
	}
	c->blocked_since_ms = 0;
	return false;
}

static int conn_record(struct rb_serve *s, struct rb_conn *c,
		       const uint8_t *rec, uint32_t len)
{
	struct rb_mutation m;
	struct rb_xdr_enc *e = &s->enc;
	uint32_t n;

	rb_count(&s->counters->tcp_records);
	c->xport.now = s->now;
	e->pos = 0;
	e->err = 0;
	enum rb_outcome o = rb_handle_call(&s->hctx, &c->xport, rec, len, e, &m);
	if (s->debug)
		debug_call(s, &c->xport, rec, len, o);
	switch (o) {
	case RB_OUT_REPLY:
		n = (uint32_t)e->pos;
		break;
	case RB_OUT_MUTATE:
		n = route_mutation(s, &m, RB_ROUTE_TCP, NULL, c);
		break;
	case RB_OUT_DROP:
	default:
		rb_count(&s->counters->no_reply);
		count_call(s, &c->xport, rec, len, RB_OUT_DROP, 0);
		return 0;
	}
	count_call(s, &c->xport, rec, len, o, n);
	return n ? rb_conn_append(c, e->buf, n) : 0;
}

int rb_conn_feed(struct rb_serve *s, struct rb_conn *c, const uint8_t *data,
		 size_t len)
{
	c->last_active_ms = s->now_ms;
	while (len) {
		size_t used = 0;
		const uint8_t *rec;
		uint32_t rlen;
		int r = rb_rec_feed(&c->rec, data, len, &used, &rec, &rlen);
		data += used;
		len -= used;
		if (r == -ENOBUFS) {
			c->rec.buf = malloc(RB_RECORD_MAX);
			if (!c->rec.buf)
				return -ENOMEM;
			continue;
		}
		if (r < 0) {
			rb_count(&s->counters->tcp_oversize);
			return r;
		}
		if (r == 0)
			break;
		r = conn_record(s, c, rec, rlen);
		if (r < 0)
			return r;
	}
	return 0;
}
