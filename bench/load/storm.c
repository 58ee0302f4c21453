/* ringbind-load: storms. Every lookup on a new socket, as a mount storm's
 * clients do: storm = TCP (socket, connect, one call, read the reply,
 * close: what mount.nfs's GETPORT costs the server), ustorm = UDP (socket,
 * sendto, recv, close). --window sessions run at once per thread, in one
 * epoll set; the latency of a lookup runs from socket() to its reply.
 *
 * Our own running out of ports or descriptors counts as local_errors, not
 * against the server. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bench/load/load.h"
#include "core/record.h"

#define STORM_READ_MAX 65536u
#define STORM_RECORD_MAX (64u << 20)

enum sess_state { S_IDLE = 0, S_CONNECTING, S_WAITING };

struct sess {
	int fd;
	uint32_t gen; /* tags epoll events: a stale one is ignored */
	enum sess_state st;
	struct lg_req r;
	struct rb_rec_asm rec;
	uint64_t retry_at; /* S_IDLE: when to start again (0: now) */
	uint32_t call_len;
	uint8_t call[LG_CALL_MAX + 4];
};

struct storm_state {
	int ep;
	bool stream;
	unsigned w;
	struct sess *s;
	uint8_t *rbuf;
	unsigned n_waiting; /* sessions in S_IDLE with a retry time */
};

static void sess_close(struct storm_state *st, struct sess *x)
{
	if (x->fd >= 0)
		close(x->fd); /* also leaves the epoll set */
	x->fd = -1;
	x->gen++;
	x->st = S_IDLE;
	rb_rec_reset(&x->rec);
}

static void sess_backoff(struct storm_state *st, struct sess *x, uint64_t ns)
{
	sess_close(st, x);
	x->retry_at = lg_now_ns() + ns;
	st->n_waiting++;
}

static void sess_arm(struct storm_state *st, struct sess *x, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events,
				  .data.u64 = (uint64_t)x->gen << 32 | (uint64_t)(x - st->s) };
	epoll_ctl(st->ep, op, x->fd, &ev);
}

/* A call that never reached the server: undo its pick without blame. */
static void local_failure(struct lg_thread *t, struct storm_state *st, struct sess *x, int err)
{
	if (lg_measuring(t)) {
		if (err == EADDRNOTAVAIL || err == EMFILE || err == ENFILE || err == ENOBUFS ||
		    err == ENOMEM || err == EAGAIN)
			t->c.local_errors++;
		else
			t->c.errors++;
	}
	x->r.busy = 0;
	if (x->r.key == LG_KEY_CHURN)
		t->churn_state[x->r.churn] &= (uint8_t)~2u;
	sess_backoff(st, x, 1000000u);
}

static bool sess_send(struct lg_thread *t, struct storm_state *st, struct sess *x)
{
	ssize_t k;
	if (st->stream)
		k = send(x->fd, x->call, x->call_len, MSG_NOSIGNAL);
	else
		k = sendto(x->fd, x->call, x->call_len, 0, (const struct sockaddr *)&t->o->target,
			   t->o->target_len);
	if (k == (ssize_t)x->call_len) {
		if (lg_measuring(t))
			t->c.sent++;
		return true;
	}
	lg_account_error(t, &x->r);
	sess_backoff(st, x, 1000000u);
	return false;
}

static void sess_start(struct lg_thread *t, struct storm_state *st, struct sess *x)
{
	const struct lg_opts *o = t->o;
	uint64_t t0;
	if (!lg_take(t, lg_now_ns(), &t0))
		return;
	lg_pick(t, &x->r);
	x->r.xid = lg_next_xid(t, (uint32_t)(x - st->s));
	x->r.busy = 1;
	x->r.t0 = t0;
	uint32_t off = st->stream ? 4u : 0u;
	uint32_t len = lg_encode(o, &x->r, x->call + off, LG_CALL_MAX);
	if (st->stream)
		rb_rec_put_header(x->call, len);
	x->call_len = len + off;
	int fd = socket(o->family, (st->stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		local_failure(t, st, x, errno);
		return;
	}
	x->fd = fd;
	x->gen++;
	if (!st->stream) {
		if (sess_send(t, st, x)) {
			x->st = S_WAITING;
			sess_arm(st, x, EPOLLIN, EPOLL_CTL_ADD);
		}
		return;
	}
	if (connect(fd, (const struct sockaddr *)&o->target, o->target_len) == 0) {
		if (sess_send(t, st, x)) {
			x->st = S_WAITING;
			sess_arm(st, x, EPOLLIN, EPOLL_CTL_ADD);
		}
		return;
	}
	if (errno == EINPROGRESS) {
		x->st = S_CONNECTING;
		sess_arm(st, x, EPOLLOUT, EPOLL_CTL_ADD);
		return;
	}
	if (errno == EADDRNOTAVAIL || errno == EAGAIN) {
		local_failure(t, st, x, errno);
		return;
	}
	/* ECONNREFUSED and the like: the server's fault. */
	lg_account_error(t, &x->r);
	sess_backoff(st, x, 1000000u);
}

static void sess_connected(struct lg_thread *t, struct storm_state *st, struct sess *x)
{
	int err = 0;
	socklen_t len = sizeof(err);
	getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		if (err == EADDRNOTAVAIL)
			local_failure(t, st, x, err);
		else {
			lg_account_error(t, &x->r);
			sess_backoff(st, x, 1000000u);
		}
		return;
	}
	if (sess_send(t, st, x)) {
		x->st = S_WAITING;
		sess_arm(st, x, EPOLLIN, EPOLL_CTL_MOD);
	}
}

static void sess_finish(struct lg_thread *t, struct storm_state *st, struct sess *x,
			enum lg_verdict v)
{
	lg_account(t, &x->r, v, lg_now_ns());
	sess_close(st, x);
	sess_start(t, st, x);
}

static void sess_readable(struct lg_thread *t, struct storm_state *st, struct sess *x)
{
	for (;;) {
		ssize_t k = recv(x->fd, st->rbuf, STORM_READ_MAX, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return;
		if (k < 0 || (k == 0 && st->stream)) {
			lg_account_error(t, &x->r);
			sess_close(st, x);
			sess_start(t, st, x);
			return;
		}
		if (!st->stream) {
			if (k < 4 || lg_get32(st->rbuf) != x->r.xid) {
				if (lg_measuring(t))
					t->c.late++;
				continue;
			}
			sess_finish(t, st, x, lg_check(t->o, &x->r, st->rbuf, (size_t)k));
			return;
		}
		const uint8_t *p = st->rbuf;
		size_t left = (size_t)k;
		while (left) {
			size_t used = 0;
			const uint8_t *rec;
			uint32_t rlen;
			int rc = rb_rec_feed(&x->rec, p, left, &used, &rec, &rlen);
			if (rc == -ENOBUFS) {
				x->rec.buf = malloc(STORM_RECORD_MAX);
				if (!x->rec.buf) {
					local_failure(t, st, x, ENOMEM);
					return;
				}
				p += used;
				left -= used;
				continue;
			} else if (rc < 0) {
				lg_account_error(t, &x->r);
				sess_close(st, x);
				sess_start(t, st, x);
				return;
			} else if (rc == 1) {
				/* One call per connection: the record is the reply
				 * (a reply to another xid is wrong). */
				sess_finish(t, st, x, lg_check(t->o, &x->r, rec, rlen));
				return;
			}
			p += used;
			left -= used;
		}
	}
}

static void expire(struct lg_thread *t, struct storm_state *st, uint64_t now, uint64_t tmo)
{
	for (unsigned i = 0; i < st->w; i++) {
		struct sess *x = &st->s[i];
		if (x->st != S_IDLE && now - x->r.t0 > tmo) {
			lg_account_timeout(t, &x->r);
			sess_close(st, x);
			sess_start(t, st, x);
		}
	}
}

static void restart_waiting(struct lg_thread *t, struct storm_state *st, uint64_t now)
{
	st->n_waiting = 0;
	for (unsigned i = 0; i < st->w; i++) {
		struct sess *x = &st->s[i];
		if (x->st != S_IDLE || x->retry_at == 0)
			continue;
		if (now >= x->retry_at) {
			x->retry_at = 0;
			sess_start(t, st, x);
		} else {
			st->n_waiting++;
		}
	}
}

static int run_storm(struct lg_thread *t, bool stream)
{
	const struct lg_opts *o = t->o;
	struct storm_state st;
	memset(&st, 0, sizeof(st));
	st.stream = stream;
	st.w = o->window;
	st.ep = epoll_create1(EPOLL_CLOEXEC);
	st.s = calloc(st.w, sizeof(*st.s));
	st.rbuf = malloc(STORM_READ_MAX);
	int rc = 0;
	if (st.ep < 0 || !st.s || !st.rbuf) {
		rc = -ENOMEM;
		snprintf(t->err, sizeof(t->err), "out of memory");
		lg_thread_ready(t, rc);
		goto out;
	}
	for (unsigned i = 0; i < st.w; i++) {
		st.s[i].fd = -1;
		rb_rec_init(&st.s[i].rec, NULL, STORM_RECORD_MAX);
	}
	lg_thread_ready(t, 0);
	for (unsigned i = 0; i < st.w; i++)
		sess_start(t, &st, &st.s[i]);
	uint64_t tmo = (uint64_t)o->timeout_ms * 1000000u;
	uint64_t scan_every = tmo / 8u > 1000000u ? tmo / 8u : 1000000u;
	uint64_t next_scan = lg_now_ns() + scan_every;
	struct epoll_event ev[64];
	while (!lg_stopping(t)) {
		lg_tick(t, false);
		int n;
		if (lg_paced(t)) {
			/* Open loop: idle sessions start the calls now due. */
			for (unsigned i = 0; i < st.w; i++)
				if (st.s[i].st == S_IDLE && st.s[i].retry_at == 0)
					sess_start(t, &st, &st.s[i]);
			uint64_t w = t->out_of_work ? 2000000u : lg_pace_wait_ns(t, lg_now_ns());
			struct timespec ts = { 0, (long)(w < 2000000u ? w : 2000000u) };
			n = epoll_pwait2(st.ep, ev, 64, &ts, NULL);
		} else {
			n = epoll_wait(st.ep, ev, 64, st.n_waiting ? 1 : 2);
		}
		for (int i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)ev[i].data.u64;
			struct sess *x = &st.s[idx];
			if ((uint32_t)(ev[i].data.u64 >> 32) != x->gen || x->fd < 0)
				continue;
			if (x->st == S_CONNECTING)
				sess_connected(t, &st, x);
			else if (x->st == S_WAITING)
				sess_readable(t, &st, x);
		}
		uint64_t now = lg_now_ns();
		if (st.n_waiting)
			restart_waiting(t, &st, now);
		if (now >= next_scan) {
			expire(t, &st, now, tmo);
			next_scan = now + scan_every;
		}
		if (t->out_of_work) {
			bool idle = true;
			for (unsigned i = 0; i < st.w && idle; i++)
				idle = st.s[i].st == S_IDLE;
			if (idle)
				break;
		}
	}
out:
	for (unsigned i = 0; st.s && i < st.w; i++) {
		if (st.s[i].fd >= 0)
			close(st.s[i].fd);
		free(st.s[i].rec.buf);
	}
	free(st.s);
	free(st.rbuf);
	if (st.ep >= 0)
		close(st.ep);
	return rc;
}

int lg_run_storm(struct lg_thread *t)
{
	return run_storm(t, true);
}

int lg_run_ustorm(struct lg_thread *t)
{
	return run_storm(t, false);
}
