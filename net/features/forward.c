/* Remote calls, the transport part (net/features/forward.h). Everything here runs
 * on the worker that owns the table. */
#include "net/features/forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "net/base/owner.h"
#include "net/transport/serve.h"
#include "net/transport/worker.h" /* rb_sockaddr_to_addr */

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004 /* Linux 5.6; older kernels say EINVAL */
#endif

static int open_socket(unsigned fam)
{
	int af = fam == RB_FWD_V6 ? AF_INET6 : AF_INET;
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = 0;
	/* Bound to loopback: the forwarded call leaves from it, and only
	 * datagrams sent to the loopback address reach the socket. */
	if (af == AF_INET6) {
		int one = 1;
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			r = -errno;
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			r = -errno;
	}
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

int rb_fwd_init(struct rb_fwd *f, bool log, struct rb_rrl *shared_rate)
{
	memset(f, 0, sizeof(*f));
	f->fd[RB_FWD_V4] = f->fd[RB_FWD_V6] = -1;
	if (shared_rate) {
		f->rate = shared_rate;
	} else {
		f->rate = malloc(sizeof(*f->rate));
		if (!f->rate)
			return -ENOMEM;
		rb_rrl_init(f->rate, RB_FWD_RATE, RB_FWD_BURST);
		f->rate_owned = true;
	}
	for (unsigned i = 0; i < RB_FWD_FAMILIES; i++) {
		f->fd[i] = open_socket(i);
		if (f->fd[i] < 0) {
			/* No IPv6 (or no loopback): that family's remote calls
			 * go unanswered (INDIRECT: SYSTEM_ERR). */
			if (log)
				rb_log("remote calls: no %s forwarding socket: %s",
				       i == RB_FWD_V6 ? "IPv6" : "IPv4", strerror(-f->fd[i]));
			f->fd[i] = -1;
		}
	}
	for (uint32_t i = 0; i < RB_FWD_MAX; i++)
		f->free_slot[i] = (uint16_t)(RB_FWD_MAX - 1 - i);
	f->nfree = RB_FWD_MAX;
	return 0;
}

void rb_fwd_fini(struct rb_fwd *f)
{
	for (unsigned i = 0; i < RB_FWD_FAMILIES; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		f->fd[i] = -1;
	}
	if (f->rate_owned)
		free(f->rate);
	f->rate = NULL;
	f->rate_owned = false;
}

static bool xid_live(const struct rb_fwd *f, uint32_t xid)
{
	for (uint32_t i = 0; i < RB_FWD_MAX; i++)
		if (f->e[i].live && f->e[i].xid == xid)
			return true;
	return false;
}

/* A random xid no call in flight uses, from the kernel's generator (a
 * pool refilled RB_FWD_XID_POOL at a time). -EAGAIN when the kernel has
 * no randomness to give. */
static int fresh_xid(struct rb_fwd *f, uint32_t *out)
{
	for (int tries = 0; tries < 8; tries++) {
		if (!f->xid_left) {
			ssize_t n = getrandom(f->xid_pool, sizeof(f->xid_pool), GRND_NONBLOCK);
			if (n < 0 && errno == EAGAIN) /* pool not yet initialized (early boot) */
				n = getrandom(f->xid_pool, sizeof(f->xid_pool), GRND_INSECURE);
			if (n != (ssize_t)sizeof(f->xid_pool))
				return -EAGAIN;
			f->xid_left = RB_FWD_XID_POOL;
		}
		uint32_t x = f->xid_pool[--f->xid_left];
		if (x != 0 && !xid_live(f, x)) {
			*out = x;
			return 0;
		}
	}
	return -EAGAIN;
}

/* The same caller's retransmission of a call still in flight. */
static bool duplicate(const struct rb_fwd *f, const struct rb_fwd_shape *s,
		      const struct rb_dgram_route *rt)
{
	for (uint32_t i = 0; i < RB_FWD_MAX; i++) {
		const struct rb_fwd_entry *e = &f->e[i];
		if (e->live && e->shape.xid == s->xid && e->shape.rvers == s->rvers &&
		    e->shape.kind == s->kind && e->route.peer_len == rt->peer_len &&
		    memcmp(&e->route.peer, &rt->peer, rt->peer_len) == 0)
			return true;
	}
	return false;
}

static void release(struct rb_fwd *f, struct rb_fwd_entry *e)
{
	e->live = false;
	f->free_slot[f->nfree++] = (uint16_t)(e - f->e);
	f->live--;
}

/* The "table full" line: at the first drop, then at most every
 * RB_FWD_LOG_MS with the count since the last one. */
static void log_full(struct rb_fwd *f, uint64_t now_ms)
{
	rb_log("remote calls: forward table full (RB_FWD_MAX %u in flight): "
	       "%llu dropped since the last report", RB_FWD_MAX,
	       (unsigned long long)f->full_unlogged);
	f->log_ms = now_ms ? now_ms : 1;
	f->full_unlogged = 0;
}

uint32_t rb_fwd_start(struct rb_fwd *f, struct rb_serve *s, const struct rb_fwd_req *r,
		      const struct rb_xport *x, const struct rb_dgram_route *rt)
{
	RB_ASSERT_OWNER(f);
	struct rb_xdr_enc *out = &s->enc;
	unsigned fam = r->family == RB_AF_INET6 ? RB_FWD_V6 : RB_FWD_V4;
	uint32_t xid;

	out->pos = 0;
	out->err = 0;
	if (!rb_peer_trusted(&s->policy, &x->peer) &&
	    !rb_rrl_allow(f->rate, &x->peer, s->now_ms)) {
		rb_count(&s->counters->fwd_rate_limited);
		return 0;
	}
	if (duplicate(f, &r->shape, rt)) {
		rb_count(&s->counters->fwd_duplicates);
		return 0;
	}
	if (!f->nfree) {
		rb_count(&s->counters->fwd_table_full);
		f->full_unlogged++;
		if (!f->log_ms || s->now_ms - f->log_ms >= RB_FWD_LOG_MS)
			log_full(f, s->now_ms);
		goto fail;
	}
	if (f->fd[fam] < 0 || fresh_xid(f, &xid) < 0)
		goto send_failed;
	struct rb_xdr_enc enc;
	rb_xdr_enc_init(&enc, f->call, sizeof(f->call));
	if (rb_fwd_put_call(&enc, r, xid) < 0)
		goto send_failed;

	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (fam == RB_FWD_V6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(r->port);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(r->port);
		sl = sizeof(*a);
	}
	/* A plain non-blocking sendto from the worker: forwards are few
	 * (rate-limited, bounded), and a full socket buffer fails the call
	 * rather than blocking the loop. */
	ssize_t n;
	do
		n = sendto(f->fd[fam], f->call, enc.pos, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)enc.pos)
		goto send_failed;

	struct rb_fwd_entry *e = &f->e[f->free_slot[--f->nfree]];
	e->live = true;
	e->xid = xid;
	e->fam = (uint8_t)fam;
	e->port = r->port;
	e->deadline_ms = s->now_ms + RB_FWD_TIMEOUT_MS;
	e->route = *rt;
	e->shape = r->shape;
	if (++f->live > f->high)
		f->high = f->live;
	rb_count(&s->counters->fwd_calls);
	return 0;

send_failed:
	rb_count(&s->counters->fwd_send_failed);
fail:
	rb_fwd_put_failure(out, &r->shape);
	return (uint32_t)out->pos;
}

/* Whether a is the loopback address of family fam at port. */
static bool from_service(const struct rb_addr *a, unsigned fam, uint16_t port)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	if (a->port != port)
		return false;
	if (fam == RB_FWD_V6)
		return a->family == RB_AF_INET6 && memcmp(a->ip, lo6, 16) == 0;
	return a->family == RB_AF_INET && memcmp(a->ip, lo4, 4) == 0;
}

uint32_t rb_fwd_on_reply(struct rb_fwd *f, struct rb_serve *s, unsigned fam,
			 const struct sockaddr *src, socklen_t srclen,
			 const uint8_t *p, uint32_t n, bool truncated,
			 struct rb_dgram_route *rt)
{
	RB_ASSERT_OWNER(f);
	uint32_t xid;
	struct rb_addr a;
	struct rb_fwd_entry *e = NULL;

	if (!f->live || rb_fwd_reply_xid(p, n, &xid) < 0) {
		rb_count(&s->counters->fwd_unmatched);
		return 0;
	}
	rb_sockaddr_to_addr(src, srclen, &a);
	for (uint32_t i = 0; i < RB_FWD_MAX; i++) {
		struct rb_fwd_entry *c = &f->e[i];
		if (c->live && c->xid == xid && c->fam == fam && from_service(&a, fam, c->port)) {
			e = c;
			break;
		}
	}
	if (!e) {
		/* A late reply, or anyone else's datagram: never relayed. */
		rb_count(&s->counters->fwd_unmatched);
		return 0;
	}
	struct rb_xdr_enc *out = &s->enc;
	size_t limit = out->limit;
	out->pos = 0;
	out->err = 0;
	/* The answer is a datagram: bounded as every UDP reply. */
	out->limit = RB_UDP_REPLY_MAX;
	enum rb_fwd_status st = RB_FWD_TOO_BIG;
	if (truncated)
		rb_fwd_put_failure(out, &e->shape);
	else
		st = rb_fwd_put_answer(out, &e->shape, p, n);
	out->limit = limit;
	rb_count(st == RB_FWD_RELAYED ? &s->counters->fwd_replies : &s->counters->fwd_failed);
	*rt = e->route;
	release(f, e);
	return (uint32_t)out->pos;
}

void rb_fwd_expire(struct rb_fwd *f, struct rb_serve *s,
		   void (*send)(void *arg, const struct rb_dgram_route *rt,
				const uint8_t *p, uint32_t n),
		   void *arg)
{
	RB_ASSERT_OWNER(f);
	if (f->full_unlogged && s->now_ms - f->log_ms >= RB_FWD_LOG_MS)
		log_full(f, s->now_ms);
	if (!f->live)
		return;
	for (uint32_t i = 0; i < RB_FWD_MAX; i++) {
		struct rb_fwd_entry *e = &f->e[i];
		if (!e->live || s->now_ms < e->deadline_ms)
			continue;
		rb_count(&s->counters->fwd_timeouts);
		s->enc.pos = 0;
		s->enc.err = 0;
		rb_fwd_put_failure(&s->enc, &e->shape);
		if (s->enc.pos)
			send(arg, &e->route, s->enc.buf, (uint32_t)s->enc.pos);
		release(f, e);
	}
}
