/* The epoll backend, for kernels or sandboxes without a usable io_uring:
 * the same worker, with recvmmsg/sendmmsg for UDP and non-blocking
 * read/send for streams. Each epoll_wait batch is one reader section. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/transport/udp_batch.h"
#include "net/transport/worker.h"
#include "net/transport/loop_common.h"
#include "net/base/tag.h"

#define EV_MAX 256
/* Batches of datagrams taken from one socket per readiness event, so that
 * one busy socket cannot starve the others. */
#define UDP_ROUNDS 4

/* T_MUX: the TCPMUX front's own epoll set (net/features/tcpmux.h), nested in ours. */
enum tag { T_UDP = 1, T_LISTEN, T_CONN, T_WAKE, T_FWD, T_MUX };

struct epoll_be {
	int ep;
	uint64_t last_tick_ms;
	/* recvmmsg batch */
	struct mmsghdr rmsg[RB_EPOLL_BATCH];
	struct iovec riov[RB_EPOLL_BATCH];
	struct sockaddr_storage rname[RB_EPOLL_BATCH];
	uint8_t rctl[RB_EPOLL_BATCH][64];
	uint8_t rbuf[RB_EPOLL_BATCH][RB_UDP_MAX];
	struct rb_udp_batch send;
	uint64_t listen_paused; /* listeners out of descriptors (bits) */
	uint8_t rd[RB_CONN_IN_MAX]; /* a connection's read, answered from here */
	struct epoll_event evs[EV_MAX]; /* what the last wait got */
	int nev;
};
_Static_assert(RB_LISTEN_MAX <= 64, "listen_paused holds one bit per listener");

static void e_udp_send(struct rb_worker *w, const struct rb_dgram_route *rt,
		       const uint8_t *p, uint32_t n)
{
	struct epoll_be *be = w->be;
	rb_udp_batch_add(&be->send, &w->counters, w->udp[rt->sock].fd, rt, p, n);
	rb_udp_batch_flush(&be->send, &w->counters);
}

static void e_conn_close(struct rb_worker *w, struct rb_conn *c)
{
	struct epoll_be *be = w->be;
	if (c->closing)
		return;
	c->closing = true;
	epoll_ctl(be->ep, EPOLL_CTL_DEL, c->fd, NULL); /* close() drops it anyway */
	rb_worker_conn_release(w, c);
}

/* Registers what c waits for; a failed epoll_ctl closes c (its events
 * would otherwise never come). */
static void update_interest(struct rb_worker *w, struct rb_conn *c)
{
	struct epoll_be *be = w->be;
	if (c->closing)
		return;
	if (rb_conn_epoll_interest(be->ep, c, rb_tag(T_CONN, c->slot, c->gen)) < 0)
		e_conn_close(w, c);
}

static void e_conn_kick(struct rb_worker *w, struct rb_conn *c)
{
	if (c->closing)
		return;
	if (rb_conn_send_now(c, w->serve.now_ms) < 0) {
		e_conn_close(w, c);
		return;
	}
	update_interest(w, c);
	if (!c->closing && rb_conn_done(c))
		e_conn_close(w, c); /* the client finished and has every answer */
}

static void e_conn_read(struct rb_worker *w, struct rb_conn *c, bool on)
{
	/* c->paused says whether to read (rb_conn_work); after the client's
	 * end nothing is read. */
	if (on && c->read_eof)
		c->paused = true;
	update_interest(w, c);
	if (!c->closing && rb_conn_done(c))
		e_conn_close(w, c);
}

static const struct rb_backend_ops epoll_ops = {
	.udp_send = e_udp_send,
	.conn_kick = e_conn_kick,
	.conn_close = e_conn_close,
	.conn_read = e_conn_read,
};

/* Answers datagram k of the batch that listener i received. */
static void answer_dgram(struct rb_worker *w, struct epoll_be *be, unsigned i, int k)
{
	struct msghdr *mh = &be->rmsg[k].msg_hdr;
	rb_count(&w->counters.udp_requests);
	if (mh->msg_flags & MSG_TRUNC) {
		rb_count(&w->counters.udp_dropped_big);
		return;
	}
	struct rb_dgram_route rt;
	struct rb_xport x;
	memset(&rt, 0, sizeof(rt));
	rt.sock = (uint16_t)i;
	memcpy(&rt.peer, mh->msg_name, mh->msg_namelen);
	rt.peer_len = mh->msg_namelen;
	rb_route_set_pktinfo(&rt, mh);
	rb_worker_dgram_xport(&rt, w->udp[i].netid, &x);
	uint32_t r = rb_serve_datagram(&w->serve, &x, be->rbuf[k], be->rmsg[k].msg_len, &rt);
	if (r)
		rb_udp_batch_add(&be->send, &w->counters, w->udp[i].fd, &rt, w->serve.enc.buf, r);
}

/* A recvmmsg batch of listener i, for rb_loop_answer_batch. */
struct udp_batch {
	struct rb_worker *w;
	struct epoll_be *be;
	unsigned i;
};

static void udp_peek(void *arg, unsigned k, enum rb_netid_idx *netid, const uint8_t **msg,
		     uint32_t *len)
{
	struct udp_batch *ub = arg;
	*netid = ub->w->udp[ub->i].netid;
	if (!(ub->be->rmsg[k].msg_hdr.msg_flags & MSG_TRUNC))
		*msg = ub->be->rbuf[k];
	*len = ub->be->rmsg[k].msg_len;
}

static void udp_answer(void *arg, unsigned k)
{
	struct udp_batch *ub = arg;
	answer_dgram(ub->w, ub->be, ub->i, (int)k);
}

/* Readies the receive batch's headers for one recvmmsg; with_pktinfo gives
 * each its control buffer (listeners: the arrival address a reply leaves
 * from), without it none (forwarding sockets' replies need no route). */
static void prep_rmsg(struct epoll_be *be, bool with_pktinfo)
{
	for (unsigned k = 0; k < RB_EPOLL_BATCH; k++) {
		struct msghdr *mh = &be->rmsg[k].msg_hdr;
		be->riov[k].iov_base = be->rbuf[k];
		be->riov[k].iov_len = sizeof(be->rbuf[k]);
		mh->msg_name = &be->rname[k];
		mh->msg_namelen = sizeof(be->rname[k]);
		mh->msg_iov = &be->riov[k];
		mh->msg_iovlen = 1;
		mh->msg_control = with_pktinfo ? be->rctl[k] : NULL;
		mh->msg_controllen = with_pktinfo ? sizeof(be->rctl[k]) : 0;
		mh->msg_flags = 0;
	}
}

/* Up to rounds batches of datagrams from listener i. */
static void udp_read(struct rb_worker *w, struct epoll_be *be, unsigned i, int rounds)
{
	int fd = w->udp[i].fd;
	for (int round = 0; round < rounds; round++) {
		prep_rmsg(be, true);
		int n = recvmmsg(fd, be->rmsg, RB_EPOLL_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		struct udp_batch ub = {w, be, i};
		rb_loop_answer_batch(&w->serve.hctx, (unsigned)n, udp_peek, udp_answer, &ub);
		rb_udp_batch_flush(&be->send, &w->counters);
		if ((unsigned)n < RB_EPOLL_BATCH)
			break;
	}
}

static void on_udp(struct rb_worker *w, struct epoll_be *be, unsigned i)
{
	udp_read(w, be, i, UDP_ROUNDS);
}

/* Every datagram socket, one batch each, between bursts of stream work
 * (RB_EPOLL_STREAM_PER_UDP_LOOK): *stream_work counts that work and is
 * reset here. A socket with nothing waiting costs one recvmmsg that says
 * EAGAIN. (A socket shared with other workers may so be read by this one
 * while another was woken for it: that one finds it empty.) */
static void stream_done(struct rb_worker *w, struct epoll_be *be, unsigned *stream_work)
{
	if (++*stream_work < RB_EPOLL_STREAM_PER_UDP_LOOK)
		return;
	*stream_work = 0;
	for (unsigned i = 0; i < w->n_udp; i++)
		udp_read(w, be, i, 1);
}

/* Services' replies on forwarding socket i (-r): bounded per event, as
 * the listeners. */
static void on_fwd(struct rb_worker *w, struct epoll_be *be, unsigned i)
{
	int fd = rb_worker_fwd_fd(w, i);
	for (int round = 0; round < UDP_ROUNDS; round++) {
		prep_rmsg(be, false);
		int n = recvmmsg(fd, be->rmsg, RB_EPOLL_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int k = 0; k < n; k++) {
			struct msghdr *mh = &be->rmsg[k].msg_hdr;
			rb_worker_fwd_input(w, i, mh->msg_name, mh->msg_namelen, be->rbuf[k],
					    be->rmsg[k].msg_len, (mh->msg_flags & MSG_TRUNC) != 0,
					    &epoll_ops);
		}
		if ((unsigned)n < RB_EPOLL_BATCH)
			break;
	}
}

/* Out of descriptors: the listener leaves the set until the next tick
 * (level-triggered, it would report the same pending connection at once,
 * and the loop would spin). */
static void listen_pause(struct rb_worker *w, struct epoll_be *be, unsigned i)
{
	/* (EPOLLEXCLUSIVE cannot be modified: a shared one leaves the set.) */
	struct epoll_event ev = { .events = 0, .data.u64 = rb_tag(T_LISTEN, i, 0) };
	if (epoll_ctl(be->ep, w->tcp[i].shared ? EPOLL_CTL_DEL : EPOLL_CTL_MOD, w->tcp[i].fd,
		      &ev) == 0)
		be->listen_paused |= 1ull << i;
}

static void listen_resume(struct rb_worker *w, struct epoll_be *be)
{
	for (unsigned i = 0; i < w->n_tcp; i++) {
		if (!(be->listen_paused & (1ull << i)))
			continue;
		bool sh = w->tcp[i].shared;
		struct epoll_event ev = { .events = EPOLLIN | (sh ? EPOLLEXCLUSIVE : 0u),
					  .data.u64 = rb_tag(T_LISTEN, i, 0) };
		if (epoll_ctl(be->ep, sh ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, w->tcp[i].fd, &ev) == 0)
			be->listen_paused &= ~(1ull << i);
	}
}

/* Accepts what listener i has pending, bounded; each accepted connection
 * counts as stream work (stream_done). */
static void on_listen(struct rb_worker *w, struct epoll_be *be, unsigned i, unsigned *stream_work)
{
	for (unsigned k = 0; k < RB_EPOLL_ACCEPTS_PER_EVENT; k++) {
		int fd = accept4(w->tcp[i].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && rb_worker_accept_failed(w, errno))
				listen_pause(w, be, i);
			return; /* EAGAIN, or an error on one pending connection */
		}
		struct rb_conn *c = rb_worker_conn_open(w, fd, w->tcp[i].netid);
		if (!c) {
			close(fd); /* at a cap: refused cleanly, never spinning */
			rb_count(&w->counters.tcp_refused_cap);
			continue;
		}
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLRDHUP,
			.data.u64 = rb_tag(T_CONN, c->slot, c->gen),
		};
		if (epoll_ctl(be->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			c->closing = true;
			rb_worker_conn_release(w, c);
			continue;
		}
		c->recv_armed = true;
		stream_done(w, be, stream_work);
	}
}

static void on_conn(struct rb_worker *w, struct epoll_be *be, uint64_t t, uint32_t events)
{
	(void)be;
	struct rb_conn *c = rb_loop_conn_of(w, t);
	if (!c || c->closing || c->fd < 0)
		return;
	if (events & EPOLLOUT) {
		e_conn_kick(w, c);
		if (c->closing)
			return;
		if (c->paused) /* it waited for the socket to drain */
			rb_worker_conn_wake(w, c);
	}
	if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !c->paused &&
	    c->in.off == c->in.len) {
		/* One read of at most RB_CONN_IN_MAX; more only once these are
		 * answered (rb_conn_work says when). */
		ssize_t r = read(c->fd, be->rd, sizeof(be->rd));
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r == 0) {
			/* The client is done sending: its answers still go
			 * out, then the connection closes. */
			c->read_eof = true;
			c->paused = true;
			update_interest(w, c);
			if (!c->closing && rb_conn_done(c))
				e_conn_close(w, c);
			return;
		}
		if (r < 0) {
			e_conn_close(w, c);
			return;
		}
		rb_worker_conn_input(w, c, be->rd, (size_t)r, &epoll_ops);
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		/* Gone both ways (or failed) while we were not reading: no one
		 * will read what it asked for. Always reported, so it must be
		 * acted on here or the loop would spin on it. */
		e_conn_close(w, c);
	}
}

/* exclusive: a socket other workers wait on too (rb_listener.shared):
 * one of them is woken per event, not all. */
static int watch_ex(struct epoll_be *be, int fd, uint64_t t, bool exclusive)
{
	struct epoll_event ev = { .events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0u),
				  .data.u64 = t };
	return epoll_ctl(be->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int watch(struct epoll_be *be, int fd, uint64_t t)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = t };
	return epoll_ctl(be->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int e_wait(struct rb_worker *w, bool more)
{
	struct epoll_be *be = w->be;
	int n = epoll_wait(be->ep, be->evs, EV_MAX, more ? 0 : (int)RB_TICK_MS);
	be->nev = n > 0 ? n : 0;
	return n < 0 && errno != EINTR ? -errno : 0;
}

static void e_events(struct rb_worker *w)
{
	struct epoll_be *be = w->be;
	unsigned stream_work = 0; /* since the datagram sockets were read */
	for (int k = 0; k < be->nev; k++) {
		uint64_t t = be->evs[k].data.u64;
		unsigned idx = rb_tag_idx(t);
		switch ((enum tag)rb_tag_kind(t)) {
		case T_UDP:
			on_udp(w, be, idx);
			break;
		case T_LISTEN:
			on_listen(w, be, idx, &stream_work);
			break;
		case T_CONN:
			on_conn(w, be, t, be->evs[k].events);
			stream_done(w, be, &stream_work);
			break;
		case T_WAKE: {
			uint64_t v;
			if (read(w->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: nothing pending; drain anyway */
			}
			rb_worker_drain_replies(w, &epoll_ops);
			break;
		}
		case T_FWD:
			on_fwd(w, be, idx);
			break;
		case T_MUX:
			rb_worker_mux_run(w);
			break;
		}
	}
}

/* Timers (reaping, blocked connections) and listeners paused for want of
 * descriptors, every RB_TICK_MS. */
static void e_after(struct rb_worker *w)
{
	struct epoll_be *be = w->be;
	if (w->serve.now_ms - be->last_tick_ms >= RB_TICK_MS) {
		be->last_tick_ms = w->serve.now_ms;
		rb_worker_tick(w, &epoll_ops);
		listen_resume(w, be);
	}
}

/* Adds every socket of the worker to the set. A socket left out would
 * never be served: failing to add one fails the worker's start. */
static int watch_all(struct rb_worker *w, struct epoll_be *be)
{
	int err = 0;
	for (unsigned i = 0; !err && i < w->n_udp; i++)
		err = watch_ex(be, w->udp[i].fd, rb_tag(T_UDP, i, 0), w->udp[i].shared);
	for (unsigned i = 0; !err && i < w->n_tcp; i++)
		err = watch_ex(be, w->tcp[i].fd, rb_tag(T_LISTEN, i, 0), w->tcp[i].shared);
	if (!err)
		err = watch(be, w->wake_fd, rb_tag(T_WAKE, 0, 0));
	/* Level-triggered: events left after one bounded run keep the nested
	 * set readable, so the next iteration takes them. */
	if (!err && rb_worker_mux_fd(w) >= 0)
		err = watch(be, rb_worker_mux_fd(w), rb_tag(T_MUX, 0, 0));
	for (unsigned i = 0; !err && w->fwd && i < RB_FWD_FAMILIES; i++)
		if (rb_worker_fwd_fd(w, i) >= 0)
			err = watch(be, rb_worker_fwd_fd(w, i), rb_tag(T_FWD, i, 0));
	return err;
}

static const struct rb_loop_backend epoll_loop = {
	.ops = &epoll_ops,
	.wait = e_wait,
	.events = e_events,
	.after = e_after,
};

int rb_worker_run_epoll(struct rb_worker *w)
{
	struct epoll_be *be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	be->ep = epoll_create1(EPOLL_CLOEXEC);
	int err = be->ep < 0 ? -errno : watch_all(w, be);
	if (err) {
		if (be->ep >= 0)
			close(be->ep);
		free(be);
		return err;
	}
	w->be = be;
	rb_worker_started(w, 0);
	rb_loop_run(w, &epoll_loop);
	rb_udp_batch_flush(&be->send, &w->counters);
	rb_worker_drain_at_stop(w);
	rb_loop_close_all(w, e_conn_close);
	close(be->ep);
	free(be);
	w->be = NULL;
	return 0;
}
