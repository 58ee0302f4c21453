/* The io_uring backend: one ring per worker.
 *
 * UDP: one multishot recvmsg per socket, into a provided-buffer ring, with
 * the peer address and IP_PKTINFO in each buffer; replies are gathered
 * over a batch of completions and leave by one sendmmsg per socket, from
 * the arrival address (net/transport/udp_batch.h: a UDP send never waits, so a
 * submission and a completion per reply would buy nothing). TCP: multishot
 * accept; per connection one recv at a time (so reading can pause when the
 * client stops reading its replies) from a second buffer ring, and one send
 * at a time. Completions are handled in batches, each inside one registry
 * reader section. */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/transport/udp_batch.h"
#include "net/transport/uring_refusal.h"
#include "net/transport/worker.h"
#include "net/transport/loop_common.h"
#include "net/base/tag.h"

/* One UDP buffer: the recvmsg_out header, the peer address, the pktinfo
 * control message, and a datagram of up to RB_UDP_MAX bytes. */
/* The name area is rounded up so that the control messages after it are
 * aligned for struct cmsghdr. */
#define UDP_NAME_LEN (((unsigned)sizeof(struct sockaddr_in6) + 7u) & ~7u)
#define UDP_CTRL_LEN ((unsigned)CMSG_SPACE(sizeof(struct in6_pktinfo)))
#define UDP_BUF_SIZE                                                          \
	(((unsigned)sizeof(struct io_uring_recvmsg_out) + UDP_NAME_LEN +       \
	  UDP_CTRL_LEN + RB_UDP_MAX + 63u) & ~63u)
#define BGID_UDP 0
#define BGID_TCP 1

enum op {
	OP_UDP_RECV = 1,
	OP_ACCEPT,
	OP_TCP_RECV,
	OP_TCP_SEND,
	OP_WAKE,
	OP_TICK,
	OP_FWD_RECV, /* a service's reply on a forwarding socket (-r) */
	OP_MUX,      /* the TCPMUX front's epoll set is readable */
};

/* Re-arm masks hold one bit per listening socket. */
_Static_assert(RB_LISTEN_MAX <= 64, "re-arm masks are 64 bits");

struct uring_be {
	struct io_uring ring;
	struct io_uring_buf_ring *udp_br, *tcp_br;
	uint8_t *udp_bufs, *tcp_bufs;
	struct msghdr udp_tmpl; /* what multishot recvmsg lays out */
	struct rb_udp_batch send; /* UDP replies of this batch of completions */
	uint64_t wake_val;
	struct __kernel_timespec tick;
	uint64_t udp_rearm;    /* UDP receives to re-arm at the next tick (bits) */
	uint64_t accept_rearm; /* accepts to re-arm at the next tick (bits) */
	unsigned fwd_rearm;    /* forwarding receives to re-arm (bits) */
	bool mux_rearm;        /* the TCPMUX poll, to re-arm at the next tick */
	/* The wake-up read and the tick are each in flight exactly once;
	 * when one could not be armed (no SQE) the loop arms it again. */
	bool wake_armed, tick_armed;
	/* The completions of one turn as taken from the CQ (its size), and
	 * the datagrams' among them, answered first (see u_events). */
	struct io_uring_cqe *taken[RB_URING_ENTRIES * 4];
	struct io_uring_cqe *cqes[RB_URING_ENTRIES * 4];
};

static struct io_uring_sqe *get_sqe(struct uring_be *be)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&be->ring);
	if (!sqe) {
		/* The SQ is full: hand it to the kernel and take a new one. */
		io_uring_submit(&be->ring);
		sqe = io_uring_get_sqe(&be->ring);
	}
	return sqe;
}

static void arm_udp_recv(struct rb_worker *w, struct uring_be *be, unsigned i)
{
	struct io_uring_sqe *sqe = get_sqe(be);
	if (!sqe)
		return;
	io_uring_prep_recvmsg_multishot(sqe, w->udp[i].fd, &be->udp_tmpl, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID_UDP;
	io_uring_sqe_set_data64(sqe, rb_tag(OP_UDP_RECV, i, 0));
}

/* The forwarding socket of family i: the same multishot recvmsg into the
 * same buffer ring as the listeners (the replies are datagrams of the same
 * size bound). */
static void arm_fwd_recv(struct rb_worker *w, struct uring_be *be, unsigned i)
{
	struct io_uring_sqe *sqe = get_sqe(be);
	if (!sqe)
		return;
	io_uring_prep_recvmsg_multishot(sqe, rb_worker_fwd_fd(w, i), &be->udp_tmpl, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID_UDP;
	io_uring_sqe_set_data64(sqe, rb_tag(OP_FWD_RECV, i, 0));
}

static void arm_accept(struct rb_worker *w, struct uring_be *be, unsigned i)
{
	struct io_uring_sqe *sqe = get_sqe(be);
	if (!sqe)
		return;
	io_uring_prep_multishot_accept(sqe, w->tcp[i].fd, NULL, NULL,
				       SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, rb_tag(OP_ACCEPT, i, 0));
}

static void arm_tcp_recv(struct uring_be *be, struct rb_conn *c)
{
	struct io_uring_sqe *sqe = get_sqe(be);
	if (!sqe)
		return;
	io_uring_prep_recv(sqe, c->fd, NULL, RB_URING_TCP_BUF_SIZE, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID_TCP;
	io_uring_sqe_set_data64(sqe, rb_tag(OP_TCP_RECV, c->slot, c->gen));
	c->recv_armed = true;
	c->recv_nobufs = false;
}

static void arm_wake(struct rb_worker *w, struct uring_be *be)
{
	struct io_uring_sqe *sqe = get_sqe(be);
	if (!sqe)
		return;
	io_uring_prep_read(sqe, w->wake_fd, &be->wake_val, sizeof(be->wake_val), 0);
	io_uring_sqe_set_data64(sqe, rb_tag(OP_WAKE, 0, 0));
	be->wake_armed = true;
}

/* The TCPMUX front keeps its sockets in an epoll set of its own, so that
 * one implementation (splice between non-blocking sockets) serves both
 * backends: one single-shot poll on that set, re-armed after each run.
 * Single-shot because a poll armed on a still-ready set completes at
 * once, so events left over by a bounded run are never stranded
 * (multishot poll would wait for the next wake-up). */
static void arm_mux(struct rb_worker *w, struct uring_be *be)
{
	struct io_uring_sqe *sqe = get_sqe(be);
	if (!sqe)
		return;
	io_uring_prep_poll_add(sqe, rb_worker_mux_fd(w), POLLIN);
	io_uring_sqe_set_data64(sqe, rb_tag(OP_MUX, 0, 0));
}

static void arm_tick(struct uring_be *be)
{
	struct io_uring_sqe *sqe = get_sqe(be);
	if (!sqe)
		return;
	io_uring_prep_timeout(sqe, &be->tick, 0, 0);
	io_uring_sqe_set_data64(sqe, rb_tag(OP_TICK, 0, 0));
	be->tick_armed = true;
}

/* ---- backend ops for the shared code ---- */

static void u_udp_send(struct rb_worker *w, const struct rb_dgram_route *rt,
		       const uint8_t *p, uint32_t n)
{
	struct uring_be *be = w->be;
	rb_udp_batch_add(&be->send, &w->counters, w->udp[rt->sock].fd, rt, p, n);
}

static void u_conn_close(struct rb_worker *w, struct rb_conn *c);

static void u_conn_kick(struct rb_worker *w, struct rb_conn *c)
{
	struct uring_be *be = w->be;
	const uint8_t *p;
	if (c->send_inflight || c->closing)
		return;
	uint32_t n = rb_conn_next_send(c, &p);
	if (!n)
		return;
	struct io_uring_sqe *sqe = get_sqe(be);
	if (!sqe) {
		/* No SQE even after a submit: fail this connection rather than
		 * leave its replies with nothing to send them. */
		u_conn_close(w, c);
		return;
	}
	io_uring_prep_send(sqe, c->fd, p, n, MSG_NOSIGNAL | rb_conn_send_flags(c));
	io_uring_sqe_set_data64(sqe, rb_tag(OP_TCP_SEND, c->slot, c->gen));
	c->send_inflight = true;
}

static void u_conn_read(struct rb_worker *w, struct rb_conn *c, bool on)
{
	if (c->closing)
		return;
	if (rb_conn_done(c))
		u_conn_close(w, c);
	else if (on && !c->read_eof && !c->recv_armed && !c->recv_nobufs)
		arm_tcp_recv(w->be, c);
}

/* Releases c once nothing of ours is in flight for it. Idempotent: the
 * released slot has fd -1 until it is reused. */
static void maybe_release(struct rb_worker *w, struct rb_conn *c)
{
	if (c->fd >= 0 && c->closing && !c->recv_armed && !c->send_inflight)
		rb_worker_conn_release(w, c);
}

static void u_conn_close(struct rb_worker *w, struct rb_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	/* Completes the pending recv (and fails a pending send), after which
	 * the slot is released; close() alone would leave them pending. */
	shutdown(c->fd, SHUT_RDWR);
	maybe_release(w, c);
}

static const struct rb_backend_ops uring_ops = {
	.udp_send = u_udp_send,
	.conn_kick = u_conn_kick,
	.conn_close = u_conn_close,
	.conn_read = u_conn_read,
};

/* ---- completions ---- */

static void recycle(struct io_uring_buf_ring *br, uint8_t *base, unsigned size,
		    unsigned count, unsigned bid)
{
	io_uring_buf_ring_add(br, base + (size_t)bid * size, size, (unsigned short)bid,
			      io_uring_buf_ring_mask(count), 0);
	io_uring_buf_ring_advance(br, 1);
}

/* The recvmsg header of a UDP (listener or forwarding) completion that
 * carries a buffer (cqe->res >= 0 and IORING_CQE_F_BUFFER), or NULL when
 * malformed. */
static struct io_uring_recvmsg_out *udp_recvmsg_out(struct uring_be *be,
						    const struct io_uring_cqe *cqe)
{
	unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	uint8_t *buf = be->udp_bufs + (size_t)bid * UDP_BUF_SIZE;
	return io_uring_recvmsg_validate(buf, cqe->res, &be->udp_tmpl);
}

static void on_udp_recv(struct rb_worker *w, struct uring_be *be,
			struct io_uring_cqe *cqe)
{
	unsigned i = rb_tag_idx(cqe->user_data);
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		/* The multishot ended (e.g. -ENOBUFS when every buffer was in
		 * use): re-arm now, or at the next tick if buffers ran out. */
		if (cqe->res < 0) /* ENOBUFS or another error: never spin */
			be->udp_rearm |= 1ull << i;
		else if (!rb_worker_stopping(w))
			arm_udp_recv(w, be, i);
	}
	if (cqe->res < 0 || !(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	struct io_uring_recvmsg_out *o = udp_recvmsg_out(be, cqe);
	rb_count(&w->counters.udp_requests);
	if (o && (o->flags & MSG_TRUNC)) {
		rb_count(&w->counters.udp_dropped_big);
	} else if (o && o->namelen <= sizeof(struct sockaddr_storage)) {
		struct rb_dgram_route rt;
		struct rb_xport x;
		memset(&rt, 0, sizeof(rt));
		rt.sock = (uint16_t)i;
		memcpy(&rt.peer, io_uring_recvmsg_name(o), o->namelen);
		rt.peer_len = o->namelen;
		/* The control messages follow the name area in the buffer. */
		struct msghdr mh = {
			.msg_control = (uint8_t *)(o + 1) + be->udp_tmpl.msg_namelen,
			.msg_controllen = o->controllen,
		};
		rb_route_set_pktinfo(&rt, &mh);
		rb_worker_dgram_xport(&rt, w->udp[i].netid, &x);
		const uint8_t *payload = io_uring_recvmsg_payload(o, &be->udp_tmpl);
		uint32_t plen = io_uring_recvmsg_payload_length(o, cqe->res, &be->udp_tmpl);
		uint32_t n = rb_serve_datagram(&w->serve, &x, payload, plen, &rt);
		if (n)
			u_udp_send(w, &rt, w->serve.enc.buf, n);
	}
	/* The reply was copied into the send batch: the buffer can go back. */
	recycle(be->udp_br, be->udp_bufs, UDP_BUF_SIZE, RB_URING_UDP_BUFS, bid);
}

static void on_fwd_recv(struct rb_worker *w, struct uring_be *be, struct io_uring_cqe *cqe)
{
	unsigned i = rb_tag_idx(cqe->user_data);
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		if (cqe->res < 0) /* e.g. ENOBUFS: at the tick, never spinning */
			be->fwd_rearm |= 1u << i;
		else if (!rb_worker_stopping(w))
			arm_fwd_recv(w, be, i);
	}
	if (cqe->res < 0 || !(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	struct io_uring_recvmsg_out *o = udp_recvmsg_out(be, cqe);
	if (o && o->namelen <= sizeof(struct sockaddr_storage)) {
		const uint8_t *payload = io_uring_recvmsg_payload(o, &be->udp_tmpl);
		uint32_t plen = io_uring_recvmsg_payload_length(o, cqe->res, &be->udp_tmpl);
		rb_worker_fwd_input(w, i, io_uring_recvmsg_name(o), o->namelen, payload, plen,
				    (o->flags & MSG_TRUNC) != 0, &uring_ops);
	}
	/* The answer was copied out: the buffer can go back. */
	recycle(be->udp_br, be->udp_bufs, UDP_BUF_SIZE, RB_URING_UDP_BUFS, bid);
}

static void on_accept(struct rb_worker *w, struct uring_be *be, struct io_uring_cqe *cqe)
{
	unsigned i = rb_tag_idx(cqe->user_data);
	bool paused = cqe->res < 0 && rb_worker_accept_failed(w, -cqe->res);
	if (!(cqe->flags & IORING_CQE_F_MORE) && !rb_worker_stopping(w)) {
		if (cqe->res >= 0 || cqe->res == -EINTR)
			arm_accept(w, be, i);
		else
			be->accept_rearm |= 1ull << i; /* e.g. EMFILE: at the tick */
	} else if (paused) {
		/* Still armed while out of descriptors: it would complete with
		 * the same error for every pending connection. Cancel it; the
		 * tick arms it again. */
		struct io_uring_sqe *sqe = get_sqe(be);
		if (sqe) {
			io_uring_prep_cancel64(sqe, rb_tag(OP_ACCEPT, i, 0), 0);
			io_uring_sqe_set_data64(sqe, 0);
		}
	}
	if (cqe->res < 0)
		return;
	struct rb_conn *c = rb_worker_conn_open(w, cqe->res, w->tcp[i].netid);
	if (!c) {
		/* At a cap: refuse cleanly. The connection was accepted, so
		 * the backlog drains and accept never spins on it. */
		close(cqe->res);
		rb_count(&w->counters.tcp_refused_cap);
		return;
	}
	arm_tcp_recv(be, c);
}

static void on_tcp_recv(struct rb_worker *w, struct uring_be *be, struct io_uring_cqe *cqe)
{
	struct rb_conn *c = rb_loop_conn_of(w, cqe->user_data);
	bool has_buf = cqe->flags & IORING_CQE_F_BUFFER;
	unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	if (!c) {
		if (has_buf)
			recycle(be->tcp_br, be->tcp_bufs, RB_URING_TCP_BUF_SIZE,
				RB_URING_TCP_BUFS, bid);
		return;
	}
	c->recv_armed = false;
	if (cqe->res == -ENOBUFS && !c->closing) {
		c->recv_nobufs = true; /* retried at the next tick */
		return;
	}
	if (cqe->res == 0 && !c->closing) {
		/* The client is done sending: answer what it sent, then close
		 * (a reply still going out is not cut off). */
		c->read_eof = true;
		if (rb_conn_done(c)) {
			u_conn_close(w, c);
			maybe_release(w, c);
		}
		return;
	}
	bool ok = cqe->res > 0 && !c->closing && has_buf;
	if (ok) {
		/* Answered from the ring's buffer within the turn's budget;
		 * what is left is copied out, so that the buffer goes back at
		 * once whatever this connection's client does next. */
		rb_worker_conn_input(w, c, be->tcp_bufs + (size_t)bid * RB_URING_TCP_BUF_SIZE,
				     (size_t)cqe->res, &uring_ops);
	}
	if (has_buf)
		recycle(be->tcp_br, be->tcp_bufs, RB_URING_TCP_BUF_SIZE, RB_URING_TCP_BUFS, bid);
	if (!ok) {
		u_conn_close(w, c);
		maybe_release(w, c); /* when it was already closing */
	}
}

static void on_tcp_send(struct rb_worker *w, struct uring_be *be, struct io_uring_cqe *cqe)
{
	struct rb_conn *c = rb_loop_conn_of(w, cqe->user_data);
	(void)be;
	if (!c)
		return;
	c->send_inflight = false;
	if (cqe->res <= 0 || c->closing) {
		u_conn_close(w, c);
		maybe_release(w, c);
		return;
	}
	rb_conn_sent(c, (uint32_t)cqe->res);
	c->last_active_ms = w->serve.now_ms;
	u_conn_kick(w, c);
	if (!c->closing && rb_conn_done(c)) {
		u_conn_close(w, c);
		maybe_release(w, c);
		return;
	}
	/* Drained: what waited for the socket (a large reply's next
	 * fragment, calls past --max-unsent) goes on. */
	if (!c->closing && c->paused && !c->send_inflight)
		rb_worker_conn_wake(w, c);
}

static void on_tick(struct rb_worker *w, struct uring_be *be)
{
	rb_worker_tick(w, &uring_ops);
	for (unsigned i = 0; i < w->n_udp; i++)
		if (be->udp_rearm & (1ull << i))
			arm_udp_recv(w, be, i);
	be->udp_rearm = 0;
	for (unsigned i = 0; i < w->n_tcp; i++)
		if (be->accept_rearm & (1ull << i))
			arm_accept(w, be, i);
	be->accept_rearm = 0;
	for (unsigned i = 0; i < RB_FWD_FAMILIES; i++)
		if (be->fwd_rearm & (1u << i))
			arm_fwd_recv(w, be, i);
	be->fwd_rearm = 0;
	if (be->mux_rearm)
		arm_mux(w, be);
	be->mux_rearm = false;
	for (uint32_t i = 0; i < w->slots.used; i++) {
		struct rb_conn *c = w->conns[i];
		if (c && c->fd >= 0 && c->recv_nobufs && !c->closing && !c->paused) {
			c->recv_nobufs = false;
			arm_tcp_recv(be, c);
		}
	}
	arm_tick(be);
}

static void handle(struct rb_worker *w, struct uring_be *be, struct io_uring_cqe *cqe)
{
	switch ((enum op)rb_tag_kind(cqe->user_data)) {
	case OP_UDP_RECV:
		on_udp_recv(w, be, cqe);
		break;
	case OP_ACCEPT:
		on_accept(w, be, cqe);
		break;
	case OP_TCP_RECV:
		on_tcp_recv(w, be, cqe);
		break;
	case OP_TCP_SEND:
		on_tcp_send(w, be, cqe);
		break;
	case OP_WAKE:
		be->wake_armed = false;
		rb_worker_drain_replies(w, &uring_ops);
		if (!rb_worker_stopping(w))
			arm_wake(w, be);
		break;
	case OP_TICK:
		be->tick_armed = false;
		on_tick(w, be);
		break;
	case OP_FWD_RECV:
		on_fwd_recv(w, be, cqe);
		break;
	case OP_MUX:
		rb_worker_mux_run(w);
		if (cqe->res < 0) /* never spin on an error: at the tick */
			be->mux_rearm = true;
		else if (!rb_worker_stopping(w))
			arm_mux(w, be);
		break;
	}
}

/* ---- set-up ---- */

static int ring_init(struct io_uring *ring)
{
	struct io_uring_params p;
	/* SINGLE_ISSUER: only this worker submits; DEFER_TASKRUN: completion
	 * work runs when we wait, not as interrupts to our own loop. Both are
	 * hints the kernel may not know (before 6.0/6.1): fall back. */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	p.cq_entries = RB_URING_ENTRIES * 4;
	p.flags |= IORING_SETUP_CQSIZE;
	int r = io_uring_queue_init_params(RB_URING_ENTRIES, ring, &p);
	if (r == -EINVAL) {
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE;
		p.cq_entries = RB_URING_ENTRIES * 4;
		r = io_uring_queue_init_params(RB_URING_ENTRIES, ring, &p);
	}
	if (r == -EINVAL)
		r = io_uring_queue_init(RB_URING_ENTRIES, ring, 0);
	/* Every io_uring_enter otherwise looks the ring's fd up in the file
	 * table and drops the reference again (fget/fput: about 60 ns per
	 * wake-up in a UDP storm's profile). A registered ring skips both;
	 * kernels before 5.18 refuse, and the plain fd goes on working. */
	if (r == 0)
		(void)io_uring_register_ring_fd(ring);
	return r;
}

static int setup_buf_ring(struct io_uring *ring, struct io_uring_buf_ring **br,
			  uint8_t **bufs, unsigned count, unsigned size, int bgid)
{
	void *mem = NULL;
	size_t ring_sz = (size_t)count * sizeof(struct io_uring_buf);
	if (posix_memalign(&mem, 4096, ring_sz))
		return -ENOMEM;
	*br = mem;
	*bufs = malloc((size_t)count * size);
	if (!*bufs)
		return -ENOMEM;
	struct io_uring_buf_reg reg = {
		.ring_addr = (unsigned long)mem,
		.ring_entries = count,
		.bgid = (uint16_t)bgid,
	};
	int r = io_uring_register_buf_ring(ring, &reg, 0);
	if (r)
		return r;
	io_uring_buf_ring_init(*br);
	for (unsigned i = 0; i < count; i++)
		io_uring_buf_ring_add(*br, *bufs + (size_t)i * size, size, (unsigned short)i,
				      io_uring_buf_ring_mask(count), (int)i);
	io_uring_buf_ring_advance(*br, (int)count);
	return 0;
}

/* Tries what the UDP path depends on: a buffer ring and a multishot
 * recvmsg that delivers a datagram and stays armed (IORING_CQE_F_MORE).
 * An AF_UNIX socket pair needs no network, so the probe works anywhere. */
static int probe_multishot_recvmsg(struct io_uring *ring, enum rb_uring_call *failed)
{
	struct io_uring_buf_ring *br = NULL;
	uint8_t *bufs = NULL;
	int sv[2] = { -1, -1 };
	int r = setup_buf_ring(ring, &br, &bufs, 8, 256, 7);
	*failed = RB_URING_CALL_REGISTER;
	if (r)
		goto out;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		goto out;
	}
	struct msghdr tmpl = { .msg_namelen = 0, .msg_controllen = 0 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	io_uring_prep_recvmsg_multishot(sqe, sv[0], &tmpl, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 7;
	*failed = RB_URING_CALL_ENTER;
	if ((r = io_uring_submit(ring)) < 0)
		goto out;
	if (send(sv[1], "x", 1, 0) != 1) {
		r = -errno;
		goto out;
	}
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = 1 };
	r = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (r == 0) {
		r = cqe->res > 0 && (cqe->flags & IORING_CQE_F_MORE) ? 0 : -EOPNOTSUPP;
		io_uring_cqe_seen(ring, cqe);
	}
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(br);
	free(bufs);
	return r;
}

int rb_uring_probe(const char **why)
{
	struct io_uring ring;
	struct rb_uring_env env;
	rb_uring_env_read(&env);
	int r = ring_init(&ring);
	if (r) {
		*why = rb_uring_refusal(RB_URING_CALL_SETUP, r, &env);
		return r;
	}
	/* Not io_uring_get_probe_ring(): its NULL does not say whether the
	 * kernel or a seccomp filter refused io_uring_register. */
	size_t plen = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *p = calloc(1, plen);
	r = p ? io_uring_register_probe(&ring, p, 256) : -ENOMEM;
	if (r < 0) {
		*why = rb_uring_refusal(RB_URING_CALL_REGISTER, r, &env);
	} else if (!io_uring_opcode_supported(p, IORING_OP_RECVMSG) ||
		   !io_uring_opcode_supported(p, IORING_OP_SENDMSG) ||
		   !io_uring_opcode_supported(p, IORING_OP_ACCEPT) ||
		   !io_uring_opcode_supported(p, IORING_OP_SEND) ||
		   !io_uring_opcode_supported(p, IORING_OP_RECV)) {
		*why = "io_uring lacks a needed opcode";
		r = -EOPNOTSUPP;
	} else {
		r = 0;
	}
	free(p);
	if (!r) {
		enum rb_uring_call failed = RB_URING_CALL_REGISTER;
		r = probe_multishot_recvmsg(&ring, &failed);
		/* EINVAL, EOPNOTSUPP, ETIME: the kernel lacks the feature. A
		 * refusal (EPERM, EACCES, ENOSYS) is said as one. */
		if (r == -EPERM || r == -EACCES || r == -ENOSYS)
			*why = rb_uring_refusal(failed, r, &env);
		else if (r)
			*why = "io_uring lacks multishot recvmsg into buffer rings (kernel < 6.0)";
	}
	io_uring_queue_exit(&ring);
	return r;
}

static void be_free(struct uring_be *be)
{
	free(be->udp_br);
	free(be->tcp_br);
	free(be->udp_bufs);
	free(be->tcp_bufs);
	free(be);
}

/* Cancels everything in flight and reaps the completions, until none is
 * left or RB_URING_QUIESCE_MS passed (a kernel that cannot cancel an
 * operation: the memory is then leaked at exit rather than reused). */
static void quiesce(struct rb_worker *w, struct uring_be *be)
{
	(void)w;
	struct io_uring_sqe *sqe = get_sqe(be);
	if (sqe) {
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
		io_uring_sqe_set_data64(sqe, 0);
	}
	io_uring_submit(&be->ring);
	uint64_t end = rb_mono_ns() + (uint64_t)RB_URING_QUIESCE_MS * 1000000u;
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000000 };
	unsigned idle = 0;
	while (rb_mono_ns() < end && idle < 3) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe_timeout(&be->ring, &cqe, &ts) < 0) {
			idle++; /* no completion for 20 ms */
			continue;
		}
		idle = 0;
		unsigned head, n = 0;
		io_uring_for_each_cqe(&be->ring, head, cqe)
			n++;
		io_uring_cq_advance(&be->ring, n);
	}
}

static int u_wait(struct rb_worker *w, bool more)
{
	struct uring_be *be = w->be;
	/* Never sleep without the wake-up read and the tick armed (one that
	 * found the SQ full is armed again here). */
	if (!be->wake_armed)
		arm_wake(w, be);
	if (!be->tick_armed)
		arm_tick(be);
	/* With work left, do not wait, but still have the kernel post what
	 * completed: under DEFER_TASKRUN a submit without GETEVENTS leaves
	 * every completion (UDP lookups included) pending for as long as the
	 * connections keep us busy. */
	int r = more ? io_uring_submit_and_get_events(&be->ring)
		     : io_uring_submit_and_wait(&be->ring, 1);
	return r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY ? r : 0;
}

static void cqe_peek(void *arg, unsigned k, enum rb_netid_idx *netid, const uint8_t **msg,
		     uint32_t *len)
{
	struct rb_worker *w = arg;
	struct uring_be *be = w->be;
	const struct io_uring_cqe *cqe = be->cqes[k];
	struct io_uring_recvmsg_out *o = NULL;
	if ((enum op)rb_tag_kind(cqe->user_data) == OP_UDP_RECV && cqe->res >= 0 &&
	    (cqe->flags & IORING_CQE_F_BUFFER))
		o = udp_recvmsg_out(be, cqe);
	if (!o || (o->flags & MSG_TRUNC))
		return; /* keeps its place */
	*netid = w->udp[rb_tag_idx(cqe->user_data)].netid;
	*msg = io_uring_recvmsg_payload(o, &be->udp_tmpl);
	*len = io_uring_recvmsg_payload_length(o, cqe->res, &be->udp_tmpl);
}

static void cqe_answer(void *arg, unsigned k)
{
	struct rb_worker *w = arg;
	struct uring_be *be = w->be;
	handle(w, be, be->cqes[k]);
}

/* A datagram's completion: a lookup, or a forwarded service's reply to
 * one. None depends on a connection's completions. */
static bool is_dgram(const struct io_uring_cqe *cqe)
{
	enum op op = (enum op)rb_tag_kind(cqe->user_data);
	return op == OP_UDP_RECV || op == OP_FWD_RECV;
}

/* The turn's completions: the datagrams' first, in their order, two behind
 * the lookup prefetch, and their replies sent at once; then the others
 * (accepts, connections' reads and sends, the wake-up, the tick) in
 * theirs. While thousands of clients connect, a lookup taken in a turn so
 * waits for none of that turn's accepts and reads. (Leaving the others to
 * later turns, 32 a turn, cut the lookups' wait while 2,000 clients
 * connected further; but a queued receive holds its provided buffer, and
 * with the 256 taken new connections wait for the tick, as a review
 * found: BENCHMARKS.md.) */
static void u_events(struct rb_worker *w)
{
	struct uring_be *be = w->be;
	unsigned n = io_uring_peek_batch_cqe(&be->ring, be->taken,
					     (unsigned)(sizeof(be->taken) / sizeof(be->taken[0])));
	unsigned n_dgram = 0;
	for (unsigned k = 0; k < n; k++)
		if (is_dgram(be->taken[k]))
			be->cqes[n_dgram++] = be->taken[k];
	rb_loop_answer_batch(&w->serve.hctx, n_dgram, cqe_peek, cqe_answer, w);
	rb_udp_batch_flush(&be->send, &w->counters);
	for (unsigned k = 0; k < n; k++)
		if (!is_dgram(be->taken[k]))
			handle(w, be, be->taken[k]);
	io_uring_cq_advance(&be->ring, n);
}

/* The UDP replies of the turn leave by one sendmmsg per socket. */
static void u_end(struct rb_worker *w)
{
	struct uring_be *be = w->be;
	rb_udp_batch_flush(&be->send, &w->counters);
}

static const struct rb_loop_backend uring_loop = {
	.ops = &uring_ops,
	.wait = u_wait,
	.events = u_events,
	.end = u_end,
};

/* A ring with its two buffer rings, or -errno. */
static int be_setup(struct uring_be *be)
{
	int r = ring_init(&be->ring);
	if (r)
		return r;
	r = setup_buf_ring(&be->ring, &be->udp_br, &be->udp_bufs, RB_URING_UDP_BUFS,
			   UDP_BUF_SIZE, BGID_UDP);
	if (!r)
		r = setup_buf_ring(&be->ring, &be->tcp_br, &be->tcp_bufs, RB_URING_TCP_BUFS,
				   RB_URING_TCP_BUF_SIZE, BGID_TCP);
	if (r) {
		io_uring_queue_exit(&be->ring);
		return r;
	}
	be->udp_tmpl.msg_namelen = UDP_NAME_LEN;
	be->udp_tmpl.msg_controllen = UDP_CTRL_LEN;
	be->tick.tv_sec = RB_TICK_MS / 1000;
	be->tick.tv_nsec = (long long)(RB_TICK_MS % 1000) * 1000000LL;
	return 0;
}

/* At exit, after quiesce: nothing is in flight any more. */
static void u_conn_drop(struct rb_worker *w, struct rb_conn *c)
{
	c->closing = true;
	c->recv_armed = c->send_inflight = false;
	rb_worker_conn_release(w, c);
}

int rb_worker_run_uring(struct rb_worker *w)
{
	struct uring_be *be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	int r = be_setup(be);
	if (r) {
		be_free(be);
		return r;
	}
	w->be = be;
	for (unsigned i = 0; i < w->n_udp; i++)
		arm_udp_recv(w, be, i);
	for (unsigned i = 0; i < w->n_tcp; i++)
		arm_accept(w, be, i);
	for (unsigned i = 0; w->fwd && i < RB_FWD_FAMILIES; i++)
		if (rb_worker_fwd_fd(w, i) >= 0)
			arm_fwd_recv(w, be, i);
	arm_wake(w, be);
	arm_tick(be);
	if (rb_worker_mux_fd(w) >= 0)
		arm_mux(w, be);
	rb_worker_started(w, 0);
	rb_loop_run(w, &uring_loop);
	/* Leaving. Sends and receives in flight point into connection and
	 * ring buffers: have the kernel finish them all (cancelled) before
	 * any of those buffers is freed. */
	quiesce(w, be);
	rb_worker_drain_at_stop(w);
	rb_loop_close_all(w, u_conn_drop);
	io_uring_queue_exit(&be->ring);
	be_free(be);
	w->be = NULL;
	return 0;
}
