#include "net/transport/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net/base/owner.h"
#include "net/transport/ready.h"
#include "net/transport/policy.h"
#include "registry/store/registry.h"

/* Copies the published configuration and applies it to this worker. */
static void take_config(struct rb_worker *w)
{
	struct rb_cfg_pub *pub = w->env->cfg;
	pthread_mutex_lock(&pub->lock);
	*w->cfg = pub->live;
	w->cfg_gen = __atomic_load_n(&pub->gen, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&pub->lock);
	struct rb_serve *s = &w->serve;
	rb_policy_from_config(&s->policy, w->cfg);
	s->limits = &w->cfg->limits;
	s->debug = w->cfg->debug || w->cfg->log_calls;
	rb_rrl_set_share(w->rrl, w->cfg->rrl_rate, w->cfg->rrl_burst, w->env->nworkers);
}

/* GETSTAT's merge for a trusted caller: made now, and counted. */
static void collect_stats_now(void *arg, struct rb_stats *out)
{
	struct rb_worker *w = arg;
	rb_count(&w->counters.getstat_merged);
	w->env->collect_stats(w->env->collect_arg, out);
}

/* GETSTAT's merge for a caller that is not trusted: this worker's cached
 * one, merged again only when RB_GETSTAT_CACHE_MS old. Cached per worker
 * rather than once for the daemon (or merged on the control thread) so
 * that no lock or hand-off is needed: the cache is this thread's alone,
 * and a flood costs each worker at most 1000 / RB_GETSTAT_CACHE_MS merges
 * a second, whatever the rate of calls. */
static const struct rb_stats *cached_stats(void *arg)
{
	struct rb_worker *w = arg;
	RB_ASSERT_OWNER(w);
	if (!w->getstat_cache)
		return NULL; /* merged now instead */
	uint64_t now = rb_mono_ns();
	if (w->getstat_cache_ns && now - w->getstat_cache_ns < RB_GETSTAT_CACHE_MS * 1000000ull) {
		rb_count(&w->counters.getstat_cached);
		return w->getstat_cache;
	}
	rb_count(&w->counters.getstat_refreshed);
	rb_stats_init(w->getstat_cache);
	w->env->collect_stats(w->env->collect_arg, w->getstat_cache);
	w->getstat_cache_ns = now ? now : 1;
	return w->getstat_cache;
}

int rb_worker_init(struct rb_worker *w, const struct rb_worker_env *env, unsigned id, int cpu)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->cpu = cpu;
	w->env = env;
	w->wake_fd = -1;
	rb_stats_init(&w->stats);
	rb_mailbox_init(&w->mbox);
	if (rb_conn_queue_init(&w->ready, RB_CONN_PER_WORKER_MAX) < 0)
		return -ENOMEM;
	rb_turn_budget_reset(&w->budget);
	w->reader = rb_registry_reader(env->reg);
	if (!w->reader)
		return -ENOMEM;
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0)
		return -errno;
	struct rb_serve *s = &w->serve;
	int r = rb_serve_init(s);
	if (r)
		return r;
	w->cfg = malloc(sizeof(*w->cfg));
	w->rrl = aligned_alloc(_Alignof(struct rb_rrl), sizeof(struct rb_rrl));
	if (!w->cfg || !w->rrl)
		return -ENOMEM;
	rb_rrl_init(w->rrl, 0, 0);
	take_config(w);
	s->rrl = w->rrl; /* this worker's shard */
	s->stats = &w->stats;
	s->counters = &w->counters;
	s->mbox = &w->mbox;
	s->ctl_wake_fd = env->ctl_wake_fd;
	s->mut_inflight = &w->mut_inflight;
	s->hctx.reg = env->reg;
	s->hctx.policy = &s->policy;
	s->hctx.stats = &w->stats;
	s->hctx.collect_stats = collect_stats_now;
	s->hctx.collect_arg = w;
	s->hctx.scratch = malloc(sizeof(struct rb_stats));
	w->getstat_cache = malloc(sizeof(struct rb_stats));
	if (!s->hctx.scratch || !w->getstat_cache)
		return -ENOMEM;
	s->hctx.cached_stats = cached_stats;
	s->hctx.cached_arg = w;
	for (unsigned i = 0; i < RB_LISTEN_MAX; i++)
		w->udp[i].fd = w->tcp[i].fd = -1;
	rb_slots_init(&w->slots, w->free_slots, RB_CONN_PER_WORKER_MAX);
	return 0;
}

void rb_worker_fini(struct rb_worker *w)
{
	for (uint32_t i = 0; i < w->slots.used; i++) {
		struct rb_conn *c = w->conns[i];
		if (!c)
			continue;
		if (c->fd >= 0)
			close(c->fd);
		rb_conn_free_buffers(c);
		free(c);
	}
	for (unsigned i = 0; i < w->n_udp; i++)
		close(w->udp[i].fd);
	for (unsigned i = 0; i < w->n_tcp; i++)
		close(w->tcp[i].fd);
	if (w->mux)
		w->env->feat->mux_fini(w);
	struct rb_mut_msg *m;
	while ((m = rb_mailbox_pop_rep(&w->mbox)))
		free(m);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	if (w->fwd) {
		w->env->feat->fwd_free(w->fwd);
		w->fwd = NULL;
		w->serve.fwd = NULL;
	}
	free(w->serve.hctx.scratch);
	free(w->getstat_cache);
	w->getstat_cache = NULL;
	rb_serve_fini(&w->serve);
	rb_conn_queue_fini(&w->ready);
	rb_reader_release(w->reader);
	free(w->cfg);
	w->cfg = NULL;
	free(w->rrl);
	w->rrl = NULL;
}

void rb_worker_heartbeat(struct rb_worker *w)
{
	RB_ASSERT_OWNER(w);
	__atomic_store_n(&w->heartbeat_ms, w->serve.now_ms, __ATOMIC_RELAXED);
	if (__atomic_load_n(&w->env->cfg->gen, __ATOMIC_RELAXED) != w->cfg_gen)
		take_config(w);
}

bool rb_worker_stopping(const struct rb_worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE) != 0;
}

void rb_worker_started(struct rb_worker *w, int err)
{
	struct rb_start_gate *g = w->env->gate;
	if (w->reported)
		return;
	w->reported = true;
	pthread_mutex_lock(&g->lock);
	g->started++;
	if (err && !g->err)
		g->err = err;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

bool rb_workers_alive(const struct rb_worker *w, unsigned n, uint64_t now_ms, unsigned *stuck)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t hb = __atomic_load_n(&w[i].heartbeat_ms, __ATOMIC_RELAXED);
		if (now_ms > hb && now_ms - hb > RB_READY_BOUND_MS) {
			*stuck = i;
			return false;
		}
	}
	return true;
}

void rb_sockaddr_to_addr(const struct sockaddr *sa, socklen_t len, struct rb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		a->family = RB_AF_INET;
		a->port = ntohs(in->sin_port);
		memcpy(a->ip, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		a->family = RB_AF_INET6;
		a->port = ntohs(in6->sin6_port);
		memcpy(a->ip, &in6->sin6_addr, 16);
	}
}

void rb_worker_dgram_xport(const struct rb_dgram_route *rt, enum rb_netid_idx netid,
			   struct rb_xport *x)
{
	memset(x, 0, sizeof(*x));
	x->netid = netid;
	x->peer_uid = -1;
	rb_sockaddr_to_addr((const struct sockaddr *)&rt->peer, rt->peer_len, &x->peer);
	if (rt->local_family == AF_INET) {
		x->local.family = RB_AF_INET;
		memcpy(x->local.ip, &rt->local.v4.ipi_spec_dst, 4);
	} else if (rt->local_family == AF_INET6) {
		x->local.family = RB_AF_INET6;
		memcpy(x->local.ip, &rt->local.v6.ipi6_addr, 16);
	}
}

struct rb_conn *rb_worker_conn_open(struct rb_worker *w, int fd, enum rb_netid_idx netid)
{
	RB_ASSERT_OWNER(w);
	uint32_t *total = w->env->total_conns;
	if (w->live_conns >= w->cfg->limits.conn_per_worker)
		return NULL;
	if (__atomic_add_fetch(total, 1, __ATOMIC_RELAXED) > w->cfg->limits.conn_total) {
		__atomic_sub_fetch(total, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	struct rb_conn *c = rb_conn_table_open(&w->slots, w->conns, fd);
	if (!c) {
		__atomic_sub_fetch(total, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	c->xport.netid = netid;
	c->last_active_ms = w->serve.now_ms;
	c->xport.peer_uid = -1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		rb_sockaddr_to_addr((struct sockaddr *)&ss, sl, &c->xport.peer);
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		rb_sockaddr_to_addr((struct sockaddr *)&ss, sl, &c->xport.local);
	w->live_conns++;
	rb_count(&w->counters.tcp_accepted);
	return c;
}

void rb_worker_conn_release(struct rb_worker *w, struct rb_conn *c)
{
	RB_ASSERT_OWNER(w);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->gen++; /* replies still owed to it are now dropped */
	/* A closed slot keeps its struct for the next connection, but no
	 * buffer: a table of connections that came and went (a flood of
	 * them) holds little. */
	rb_conn_free_buffers(c);
	c->stream.kind = RB_STREAM_NONE;
	rb_slots_put(&w->slots, c->slot);
	w->live_conns--;
	__atomic_sub_fetch(w->env->total_conns, 1, __ATOMIC_RELAXED);
}

struct fwd_send_arg {
	struct rb_worker *w;
	const struct rb_backend_ops *ops;
};

static void fwd_send(void *arg, const struct rb_dgram_route *rt, const uint8_t *p,
		     uint32_t n)
{
	struct fwd_send_arg *a = arg;
	a->ops->udp_send(a->w, rt, p, n);
}

void rb_worker_fwd_input(struct rb_worker *w, unsigned fam, const struct sockaddr *src,
			 socklen_t srclen, const uint8_t *p, uint32_t n, bool truncated,
			 const struct rb_backend_ops *ops)
{
	RB_ASSERT_OWNER(w);
	struct rb_dgram_route rt;
	uint32_t len = w->env->feat->fwd_on_reply(w->fwd, &w->serve, fam, src, srclen, p, n, truncated, &rt);
	if (len)
		ops->udp_send(w, &rt, w->serve.enc.buf, len);
}

void rb_worker_tick(struct rb_worker *w, const struct rb_backend_ops *ops)
{
	RB_ASSERT_OWNER(w);
	if (w->fwd) {
		struct fwd_send_arg a = { w, ops };
		w->env->feat->fwd_expire(w->fwd, &w->serve, fwd_send, &a);
	}
	if (w->mux)
		w->env->feat->mux_tick(w);
	const struct rb_limits *lim = w->serve.limits;
	uint64_t now = w->serve.now_ms;
	for (uint32_t i = 0; i < w->slots.used; i++) {
		struct rb_conn *c = w->conns[i];
		if (!c || c->fd < 0 || c->closing)
			continue;
		if (c->blocked_since_ms && now - c->blocked_since_ms > lim->blocked_timeout_ms) {
			rb_count(&w->counters.tcp_dropped_blocked);
			ops->conn_close(w, c);
		} else if (now - c->last_active_ms > lim->idle_timeout_ms && rb_conn_idle(c)) {
			rb_count(&w->counters.tcp_reaped_idle);
			ops->conn_close(w, c);
		}
	}
}

void rb_worker_drain_replies(struct rb_worker *w, const struct rb_backend_ops *ops)
{
	RB_ASSERT_OWNER(w);
	struct rb_mut_msg *m;
	while ((m = rb_mailbox_pop_rep(&w->mbox))) {
		w->mut_inflight--;
		if (m->kind == RB_ROUTE_UDP) {
			ops->udp_send(w, &m->dg, m->reply, m->reply_len);
		} else if (m->conn_slot < w->slots.used) {
			struct rb_conn *c = w->conns[m->conn_slot];
			if (c && c->gen == m->conn_gen && c->fd >= 0 && !c->closing) {
				c->mutations_owed--;
				if (rb_conn_append(c, m->reply, m->reply_len) == 0)
					ops->conn_kick(w, c);
				else
					ops->conn_close(w, c);
				if (!c->closing && rb_conn_done(c))
					ops->conn_read(w, c, false); /* closes it */
				/* A large reply or input may have waited for it. */
				if (!c->closing && c->paused)
					rb_worker_conn_wake(w, c);
			}
		}
		free(m);
	}
}

void rb_worker_conn_wake(struct rb_worker *w, struct rb_conn *c)
{
	RB_ASSERT_OWNER(w);
	rb_conn_queue_push(&w->ready, c);
}

struct kick_arg {
	struct rb_worker *w;
	const struct rb_backend_ops *ops;
};

static void kick(void *arg, struct rb_conn *c)
{
	struct kick_arg *a = arg;
	a->ops->conn_kick(a->w, c);
}

/* Acts on what rb_conn_work (or rb_conn_input) said of c. */
static void conn_next(struct rb_worker *w, struct rb_conn *c, int r,
		      const struct rb_backend_ops *ops)
{
	if (c->closing)
		return; /* the kick failed and began closing it */
	if (r < 0) {
		ops->conn_close(w, c);
		return;
	}
	if (r == RB_CONN_MORE)
		rb_conn_queue_push(&w->ready, c);
	ops->conn_read(w, c, r == RB_CONN_READ);
}

void rb_worker_conn_input(struct rb_worker *w, struct rb_conn *c, const uint8_t *p, size_t n,
			  const struct rb_backend_ops *ops)
{
	RB_ASSERT_OWNER(w);
	struct kick_arg a = { w, ops };
	/* (Bytes alone are no activity: a call is, rb_conn_work. A client
	 * trickling a record or sending empty fragments is reaped idle.) */
	conn_next(w, c, rb_conn_input(&w->serve, c, p, n, &w->budget, kick, &a), ops);
}

static void ready_next(void *arg, struct rb_conn *c, int r)
{
	struct kick_arg *a = arg;
	conn_next(a->w, c, r, a->ops);
}

bool rb_worker_run_ready(struct rb_worker *w, const struct rb_backend_ops *ops)
{
	RB_ASSERT_OWNER(w);
	struct kick_arg a = { w, ops };
	return rb_conn_run_ready(&w->serve, &w->ready, w->conns, &w->budget, kick, ready_next, &a);
}

void rb_worker_drain_at_stop(struct rb_worker *w)
{
	RB_ASSERT_OWNER(w);
	static const unsigned cap = RB_STOP_DRAIN_MAX;
	unsigned n = 0;
	uint8_t buf[RB_UDP_MAX];
	rb_reader_begin(w->reader);
	rb_serve_tick(&w->serve);
	for (unsigned i = 0; i < w->n_udp && n < cap; i++) {
		if (!w->udp[i].beside_passed)
			continue;
		while (n < cap) {
			struct rb_dgram_route rt;
			struct rb_xport x;
			uint8_t ctl[64], sctl[64];
			struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
			memset(&rt, 0, sizeof(rt));
			struct msghdr mh = { .msg_name = &rt.peer, .msg_namelen = sizeof(rt.peer),
					     .msg_iov = &iov, .msg_iovlen = 1,
					     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
			ssize_t len = recvmsg(w->udp[i].fd, &mh, MSG_DONTWAIT);
			if (len < 0)
				break; /* EAGAIN: drained */
			n++;
			rb_count(&w->counters.udp_requests);
			if (mh.msg_flags & MSG_TRUNC) {
				rb_count(&w->counters.udp_dropped_big);
				continue;
			}
			rt.sock = (uint16_t)i;
			rt.peer_len = mh.msg_namelen;
			rb_route_set_pktinfo(&rt, &mh);
			rb_worker_dgram_xport(&rt, w->udp[i].netid, &x);
			uint32_t r = rb_serve_datagram(&w->serve, &x, buf, (uint32_t)len, &rt);
			if (!r)
				continue;
			struct iovec siov = { .iov_base = w->serve.enc.buf, .iov_len = r };
			struct msghdr sm = { .msg_name = &rt.peer, .msg_namelen = rt.peer_len,
					     .msg_iov = &siov, .msg_iovlen = 1, .msg_control = sctl };
			sm.msg_controllen = rb_route_put_pktinfo(&rt, sctl, sizeof(sctl));
			if (!sm.msg_controllen)
				sm.msg_control = NULL;
			if (sendmsg(w->udp[i].fd, &sm, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				rb_count(&w->counters.udp_send_refused);
			else
				rb_count(&w->counters.udp_replies);
		}
	}
	rb_reader_end(w->reader);
	if (n)
		rb_log("worker %u: stopping: answered %u call%s queued on its own sockets", w->id, n,
		       n == 1 ? "" : "s");
}

bool rb_worker_accept_failed(struct rb_worker *w, int err)
{
	RB_ASSERT_OWNER(w);
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
		return false; /* that one connection's trouble (ECONNABORTED...) */
	rb_count(&w->counters.accept_paused);
	uint64_t dropped = 0;
	if (rb_log_budget_take(&w->fd_log, w->serve.now_ms / 1000u, 1, &dropped))
		rb_logl(RB_LOG_WARNING,
			"worker %u: accept: %s (%s): new connections wait in the backlog; "
			"retrying every %u ms%s",
			w->id, err == EMFILE || err == ENFILE ? "out of file descriptors" : "out of memory",
			strerror(err), RB_TICK_MS, dropped ? " (more pauses not logged)" : "");
	return true;
}
