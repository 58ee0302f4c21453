/* ringbind-load: the pipelined TCP engine (mode tcp, and mix over TCP).
 *
 * Each thread holds its share of --conns connections, each with --window
 * calls in flight, all in one epoll set (level-triggered). When replies
 * come in (record marking, reassembled by core/record.c) the freed slots
 * are refilled and the new calls leave in one write. Replies are matched
 * by xid, not by order: a server may answer a mutation after the lookups
 * behind it. A connection that breaks or times out counts its calls in
 * flight as errors or timeouts and is opened again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bench/load/load.h"
#include "core/record.h"

#define TCP_READ_MAX 65536u
/* The largest reply record we gather: a DUMP of a big registry. */
#define TCP_RECORD_MAX (64u << 20)

struct tconn {
	int fd;
	unsigned idx;
	struct lg_req *slots;
	uint32_t *free_stack;
	unsigned n_free;
	struct rb_rec_asm rec;
	uint8_t *out;
	uint32_t out_len, out_off;
	bool want_out;
	uint64_t retry_at; /* closed: when to reconnect */
};

struct tcp_state {
	int ep;
	unsigned n;
	unsigned w;
	struct tconn *c;
	uint8_t *rbuf;
};

static void conn_arm(struct tcp_state *s, struct tconn *c, bool add)
{
	struct epoll_event ev = { .events = EPOLLIN | (c->want_out ? EPOLLOUT : 0u),
				  .data.u64 = c->idx };
	epoll_ctl(s->ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_close(struct lg_thread *t, struct tconn *c, bool timed_out)
{
	for (unsigned i = 0; i < t->o->window; i++) {
		struct lg_req *r = &c->slots[i];
		if (!r->busy)
			continue;
		if (timed_out)
			lg_account_timeout(t, r);
		else
			lg_account_error(t, r);
	}
	c->n_free = 0;
	for (unsigned i = 0; i < t->o->window; i++)
		c->free_stack[c->n_free++] = t->o->window - 1 - i;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	rb_rec_reset(&c->rec);
	c->out_len = c->out_off = 0;
	c->want_out = false;
	c->retry_at = lg_now_ns() + 10000000u;
}

static int conn_open(struct lg_thread *t, struct tcp_state *s, struct tconn *c)
{
	int fd = lg_tcp_connect(t->o, t->o->timeout_ms, t->o->churn_pct > 0);
	if (fd < 0)
		return fd;
	c->fd = fd;
	conn_arm(s, c, true);
	return 0;
}

/* Writes what is queued; arms EPOLLOUT while some is left. */
static void conn_flush(struct lg_thread *t, struct tcp_state *s, struct tconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t k = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (k > 0) {
			c->out_off += (uint32_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			if (!c->want_out) {
				c->want_out = true;
				conn_arm(s, c, false);
			}
			return;
		}
		conn_close(t, c, false);
		return;
	}
	c->out_off = c->out_len = 0;
	if (c->want_out) {
		c->want_out = false;
		conn_arm(s, c, false);
	}
}

/* Queues a call from every free slot, then writes them. */
static void conn_fill(struct lg_thread *t, struct tcp_state *s, struct tconn *c)
{
	if (c->fd < 0)
		return;
	/* Unsent bytes move to the front: out then never holds more than
	 * one call per slot. */
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	uint64_t now = lg_now_ns(), t0;
	unsigned n = 0;
	while (c->n_free && lg_take(t, now, &t0)) {
		uint32_t slot = c->free_stack[--c->n_free];
		struct lg_req *r = &c->slots[slot];
		lg_pick(t, r);
		r->xid = lg_next_xid(t, slot);
		r->busy = 1;
		r->t0 = t0;
		uint32_t len = lg_encode(t->o, r, c->out + c->out_len + 4, LG_CALL_MAX);
		rb_rec_put_header(c->out + c->out_len, len);
		c->out_len += 4 + len;
		n++;
	}
	if (n && lg_measuring(t))
		t->c.sent += n;
	if (c->out_off < c->out_len && !c->want_out)
		conn_flush(t, s, c);
}

static void conn_read(struct lg_thread *t, struct tcp_state *s, struct tconn *c)
{
	for (;;) {
		ssize_t k = read(c->fd, s->rbuf, TCP_READ_MAX);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return;
		if (k <= 0) {
			conn_close(t, c, false);
			return;
		}
		uint64_t now = lg_now_ns();
		const uint8_t *p = s->rbuf;
		size_t left = (size_t)k;
		while (left) {
			size_t used = 0;
			const uint8_t *rec;
			uint32_t rlen;
			int rc = rb_rec_feed(&c->rec, p, left, &used, &rec, &rlen);
			if (rc == -ENOBUFS) {
				c->rec.buf = malloc(TCP_RECORD_MAX);
				if (!c->rec.buf) {
					conn_close(t, c, false);
					return;
				}
				p += used;
				left -= used;
				continue;
			}
			if (rc < 0) {
				conn_close(t, c, false);
				return;
			}
			p += used;
			left -= used;
			if (rc == 0)
				break;
			uint32_t xid = rlen >= 4 ? lg_get32(rec) : 0;
			uint32_t slot = xid & (LG_WINDOW_MAX - 1u);
			struct lg_req *r = slot < s->w ? &c->slots[slot] : NULL;
			if (!r || !r->busy || r->xid != xid) {
				if (lg_measuring(t))
					t->c.late++;
				continue;
			}
			lg_account(t, r, lg_check(t->o, r, rec, rlen), now);
			c->free_stack[c->n_free++] = slot;
		}
		if ((size_t)k < TCP_READ_MAX)
			return;
	}
}

static void expire(struct lg_thread *t, struct tcp_state *s, uint64_t now, uint64_t tmo)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct tconn *c = &s->c[i];
		if (c->fd < 0) {
			if (now >= c->retry_at && !lg_stopping(t)) {
				if (conn_open(t, s, c) == 0)
					conn_fill(t, s, c);
				else
					c->retry_at = now + 10000000u;
			}
			continue;
		}
		for (unsigned j = 0; j < s->w; j++) {
			if (c->slots[j].busy && now - c->slots[j].t0 > tmo) {
				conn_close(t, c, true);
				break;
			}
		}
	}
}

int lg_run_tcp(struct lg_thread *t)
{
	const struct lg_opts *o = t->o;
	struct tcp_state s;
	memset(&s, 0, sizeof(s));
	s.w = o->window;
	/* This thread's share of the connections. */
	s.n = o->conns / o->threads + (t->id < o->conns % o->threads ? 1u : 0u);
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	s.c = calloc(s.n ? s.n : 1, sizeof(*s.c));
	s.rbuf = malloc(TCP_READ_MAX);
	int rc = 0;
	if (s.ep < 0 || !s.c || !s.rbuf) {
		rc = -ENOMEM;
		snprintf(t->err, sizeof(t->err), "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < s.n; i++) {
		struct tconn *c = &s.c[i];
		c->idx = i;
		c->fd = -1;
		c->slots = calloc(s.w, sizeof(*c->slots));
		c->free_stack = calloc(s.w, sizeof(*c->free_stack));
		c->out = malloc((size_t)s.w * (LG_CALL_MAX + 4u));
		if (!c->slots || !c->free_stack || !c->out) {
			rc = -ENOMEM;
			snprintf(t->err, sizeof(t->err), "out of memory");
			goto out;
		}
		for (unsigned j = 0; j < s.w; j++)
			c->free_stack[c->n_free++] = s.w - 1 - j;
		/* Small replies arrive whole in a read; a buffer for split
		 * ones is allocated when first needed. */
		rb_rec_init(&c->rec, NULL, TCP_RECORD_MAX);
		rc = conn_open(t, &s, c);
		if (rc < 0) {
			snprintf(t->err, sizeof(t->err), "TCP connection %u to %s port %u: %s", i,
				 o->host, o->port, strerror(-rc));
			goto out;
		}
	}
	lg_thread_ready(t, 0);
	for (unsigned i = 0; i < s.n; i++)
		conn_fill(t, &s, &s.c[i]);
	uint64_t tmo = (uint64_t)o->timeout_ms * 1000000u;
	uint64_t scan_every = tmo / 8u > 1000000u ? tmo / 8u : 1000000u;
	uint64_t next_scan = lg_now_ns() + scan_every;
	struct epoll_event ev[64];
	unsigned rr = 0;
	while (!lg_stopping(t)) {
		lg_tick(t, false);
		int n;
		if (lg_paced(t)) {
			/* Open loop: wake up when the next call is due. */
			uint64_t w = t->out_of_work ? 2000000u : lg_pace_wait_ns(t, lg_now_ns());
			struct timespec ts = { 0, (long)(w < 2000000u ? w : 2000000u) };
			n = epoll_pwait2(s.ep, ev, 64, &ts, NULL);
		} else {
			n = epoll_wait(s.ep, ev, 64, 2);
		}
		for (int i = 0; i < n; i++) {
			struct tconn *c = &s.c[ev[i].data.u64];
			if (c->fd < 0)
				continue;
			if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				conn_read(t, &s, c);
			if (c->fd >= 0 && (ev[i].events & EPOLLOUT))
				conn_flush(t, &s, c);
			conn_fill(t, &s, c);
		}
		/* Open loop: the calls now due go out on the connections in
		 * turn, whether or not one of them had a reply. */
		for (unsigned k = 0; lg_paced(t) && k < s.n; k++)
			conn_fill(t, &s, &s.c[(rr + k) % s.n]);
		rr++;
		uint64_t now = lg_now_ns();
		if (now >= next_scan) {
			expire(t, &s, now, tmo);
			next_scan = now + scan_every;
		}
		if (t->out_of_work) {
			bool idle = true;
			for (unsigned i = 0; i < s.n && idle; i++)
				idle = s.c[i].fd < 0 || s.c[i].n_free == s.w;
			if (idle)
				break;
		}
	}
out:
	if (rc < 0)
		lg_thread_ready(t, rc);
	for (unsigned i = 0; s.c && i < s.n; i++) {
		if (s.c[i].fd >= 0)
			close(s.c[i].fd);
		free(s.c[i].slots);
		free(s.c[i].free_stack);
		free(s.c[i].out);
		free(s.c[i].rec.buf);
	}
	free(s.c);
	free(s.rbuf);
	if (s.ep >= 0)
		close(s.ep);
	return rc;
}
