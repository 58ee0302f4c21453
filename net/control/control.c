/* The control thread: the registry's only writer.
 *
 * It owns the AF_LOCAL listeners (where the kernel and libtirpc register,
 * and where the peer's uid is known from SO_PEERCRED) and answers every call
 * that arrives there, applies the SET/UNSET that workers hand over, reclaims
 * retired entries, and turns SIGTERM/SIGINT into a clean stop. */
#include "net/control/control.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/rpc_msg.h"
#include "net/base/owner.h"
#include "net/transport/ready.h"
#include "net/base/config_load.h"
#include "net/transport/policy.h"
#include "net/transport/listen.h"
#include "net/base/notify.h"
#include "net/control/sockdiag.h"
#include "net/base/tag.h"

enum ctag { C_SIGNAL = 1, C_TIMER, C_WAKE, C_LISTEN, C_CONN, C_HTTP, C_HTTPC };
enum route { ROUTE_NONE = 0, ROUTE_LOCAL, ROUTE_WORKER };

/* A mutation from an AF_LOCAL connection: applied now, answered after the
 * commit (deliver). */
static void apply_local(void *arg, const struct rb_mutation *m, struct rb_conn *c)
{
	struct rb_control *ctl = arg;
	struct rb_pending *pr = rb_durable_apply(&ctl->du, m);
	if (!pr) {
		uint8_t buf[32];
		struct rb_xdr_enc e;
		rb_xdr_enc_init(&e, buf, sizeof(buf));
		rb_rpc_put_accepted(&e, m->xid, RB_SYSTEM_ERR);
		c->mutations_owed--;
		rb_conn_append(c, buf, (uint32_t)e.pos);
		return;
	}
	pr->kind = ROUTE_LOCAL;
	pr->slot = c->slot;
	pr->gen = c->gen;
	pr->t0_ns = ctl->serve.t_ns;
	pr->transport = RB_RQ_LOCAL;
}

static inline uint64_t ctag(enum ctag t, uint32_t idx, uint32_t gen)
{
	return rb_tag(t, idx, gen);
}

static int watch(struct rb_control *ctl, int fd, uint64_t t)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = t };
	return epoll_ctl(ctl->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* GETSTAT's merge, made now, and counted. */
static void collect_stats_now(void *arg, struct rb_stats *out)
{
	struct rb_control *ctl = arg;
	rb_count(&ctl->counters.getstat_merged);
	ctl->env->collect_stats(ctl->env->collect_arg, out);
}

int rb_control_init(struct rb_control *ctl, const struct rb_control_env *env)
{
	memset(ctl, 0, sizeof(*ctl));
	rb_slots_init(&ctl->slots, ctl->free_slot, RB_LOCAL_CONN_MAX);
	ctl->env = env;
	ctl->owner = pthread_self();
	ctl->ep = ctl->sfd = ctl->tfd = -1;
	ctl->listen_fd[0] = ctl->listen_fd[1] = -1;
	rb_http_init(&ctl->http, env->http_render, env->http_arg);
	int r = rb_serve_init(&ctl->serve);
	if (r)
		return r;
	struct rb_serve *s = &ctl->serve;
	s->policy = *env->policy;
	s->limits = &env->cfg->limits;
	s->debug = env->cfg->debug || env->cfg->log_calls;
	s->stats = env->stats;
	s->counters = &ctl->counters;
	s->apply = apply_local; /* this thread is the writer */
	s->apply_arg = ctl;
	s->hctx.reg = env->reg;
	s->hctx.policy = &s->policy;
	s->hctx.stats = env->stats;
	/* AF_LOCAL callers only, all trusted: GETSTAT is merged now. */
	s->hctx.collect_stats = collect_stats_now;
	s->hctx.collect_arg = ctl;
	s->hctx.scratch = malloc(sizeof(struct rb_stats));
	if (!s->hctx.scratch)
		return -ENOMEM;
	if (rb_conn_queue_init(&ctl->ready, RB_LOCAL_CONN_MAX) < 0)
		return -ENOMEM;

	ctl->wake = calloc(env->nworkers ? env->nworkers : 1, sizeof(bool));
	ctl->stale = calloc(1, sizeof(*ctl->stale));
	if (!ctl->wake || !ctl->stale)
		return -ENOMEM;
	ctl->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->ep < 0)
		return -errno;
	sigset_t set;
	rb_control_signals(&set);
	ctl->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	ctl->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ctl->sfd < 0 || ctl->tfd < 0)
		return -errno;
	struct itimerspec its = {
		.it_interval = { .tv_sec = 0, .tv_nsec = 500 * 1000000L },
		.it_value = { .tv_sec = 0, .tv_nsec = 500 * 1000000L },
	};
	timerfd_settime(ctl->tfd, 0, &its, NULL);

	/* Signals, the timer and the workers' hand-overs are the thread's
	 * whole job: without one of them it must not start. */
	if ((r = watch(ctl, ctl->sfd, ctag(C_SIGNAL, 0, 0))) < 0 ||
	    (r = watch(ctl, ctl->tfd, ctag(C_TIMER, 0, 0))) < 0 ||
	    (r = watch(ctl, env->wake_fd, ctag(C_WAKE, 0, 0))) < 0)
		return r;
	return 0;
}

void rb_control_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM); /* stop */
	sigaddset(set, SIGINT);  /* stop */
	sigaddset(set, SIGHUP);  /* rebuild the configuration: reload() */
	sigaddset(set, SIGUSR1); /* list stale registrations */
	sigaddset(set, SIGUSR2); /* compact the state now */
}

/* True when a port mapper already answers on the AF_LOCAL path: then this
 * one must not start (unlinking its socket would cut it off, and SO_REUSEPORT
 * would split port 111's traffic between the two). */
static bool local_in_use(const char *path, bool abstract)
{
	struct sockaddr_un sun;
	size_t plen = strlen(path);
	if (plen + 1 >= sizeof(sun.sun_path))
		return false;
	int fd = socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_LOCAL;
	memcpy(sun.sun_path + (abstract ? 1 : 0), path, plen);
	socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
	bool used = connect(fd, (struct sockaddr *)&sun, sl) == 0;
	close(fd);
	return used;
}

int rb_control_listen(struct rb_control *ctl, const char *path, struct rb_passed_set *ps)
{
	/* Passed by systemd (ringbind.socket): systemd made the file and
	 * removes it; we neither check, unlink nor chmod it. */
	int fd = rb_passed_take_local(ps, path, false);
	if (fd >= 0) {
		ctl->listen_fd[0] = fd;
	} else {
		if (local_in_use(path, false) || local_in_use(path, true)) {
			rb_log("another port mapper is serving on %s: not starting", path);
			return -EADDRINUSE;
		}
		fd = rb_listen_local(path, false);
		if (fd < 0) {
			rb_log("cannot listen on %s: %s", path, strerror(-fd));
			return fd;
		}
		ctl->listen_fd[0] = fd;
		snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	}
	/* The abstract twin is scoped to the network namespace; a failure
	 * there (an old kernel, another daemon) is not fatal. */
	fd = rb_passed_take_local(ps, path, true);
	if (fd < 0)
		fd = rb_listen_local(path, true);
	if (fd < 0)
		rb_log("abstract socket @%s unavailable: %s", path, strerror(-fd));
	ctl->listen_fd[1] = fd;
	for (int i = 0; i < 2; i++) {
		if (ctl->listen_fd[i] < 0)
			continue;
		int r = watch(ctl, ctl->listen_fd[i], ctag(C_LISTEN, (uint32_t)i, 0));
		if (r < 0) {
			rb_log("cannot watch the listener on %s%s: %s", i ? "@" : "", path,
			       strerror(-r));
			return r;
		}
	}
	return 0;
}

static void conn_close(struct rb_control *ctl, struct rb_conn *c)
{
	epoll_ctl(ctl->ep, EPOLL_CTL_DEL, c->fd, NULL); /* close() drops it anyway */
	close(c->fd);
	c->fd = -1;
	c->gen++;
	rb_conn_free_buffers(c);
	rb_slots_put(&ctl->slots, c->slot);
	ctl->live--;
}

/* Registers what c waits for; false (c closed) when epoll_ctl failed. */
static bool conn_interest(struct rb_control *ctl, struct rb_conn *c)
{
	if (rb_conn_epoll_interest(ctl->ep, c, ctag(C_CONN, c->slot, c->gen)) == 0)
		return true;
	conn_close(ctl, c);
	return false;
}

/* Sends what is queued, as far as the socket takes it; false when the
 * connection failed. */
static bool conn_flush(struct rb_control *ctl, struct rb_conn *c)
{
	return rb_conn_send_now(c, ctl->serve.now_ms) == 0;
}

/* rb_conn_work's kick: a failure marks c, and the caller closes it. */
static void conn_kick(void *arg, struct rb_conn *c)
{
	if (!conn_flush(arg, c))
		c->closing = true;
}

/* What rb_conn_work said of c (rb_conn_next_fn): a failed kick or an
 * error closes it; otherwise it is queued again if it wants more, and
 * waits for what it needs. */
static void conn_next(void *arg, struct rb_conn *c, int r)
{
	struct rb_control *ctl = arg;
	if (r < 0 || c->closing) {
		conn_close(ctl, c);
		return;
	}
	if (r == RB_CONN_MORE)
		rb_conn_queue_push(&ctl->ready, c);
	conn_interest(ctl, c);
}

/* Works on the queued connections within the turn's budget; true when
 * work is left for the next turn. */
static bool run_ready(struct rb_control *ctl)
{
	return rb_conn_run_ready(&ctl->serve, &ctl->ready, ctl->conns, &ctl->budget, conn_kick,
				 conn_next, ctl);
}

/* Out of descriptors: the listener leaves the set until the next timer
 * tick, or the level-triggered loop would spin on it. */
static void listen_pause(struct rb_control *ctl, int i, int err)
{
	struct epoll_event ev = { .events = 0, .data.u64 = ctag(C_LISTEN, (uint32_t)i, 0) };
	if (epoll_ctl(ctl->ep, EPOLL_CTL_MOD, ctl->listen_fd[i], &ev) == 0)
		ctl->listen_paused |= 1u << i;
	rb_count(&ctl->counters.accept_paused);
	if (rb_log_budget_take(&ctl->fd_log, ctl->serve.now_ms / 1000u, 1, NULL))
		rb_logl(RB_LOG_WARNING,
			"local socket: accept: %s (%s): local clients wait in the backlog",
			err == EMFILE || err == ENFILE ? "out of file descriptors" : "out of memory",
			strerror(err));
}

static void listen_resume(struct rb_control *ctl)
{
	for (int i = 0; i < 2; i++) {
		if (!(ctl->listen_paused & (1u << i)))
			continue;
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u64 = ctag(C_LISTEN, (uint32_t)i, 0) };
		if (epoll_ctl(ctl->ep, EPOLL_CTL_MOD, ctl->listen_fd[i], &ev) == 0)
			ctl->listen_paused &= ~(1u << i);
	}
}

static void on_accept(struct rb_control *ctl, int i)
{
	int lfd = ctl->listen_fd[i];
	for (int k = 0; k < 64; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				listen_pause(ctl, i, errno);
			return;
		}
		if (ctl->live >= RB_LOCAL_CONN_MAX) {
			close(fd); /* refused at the cap */
			continue;
		}
		struct rb_conn *c = rb_conn_table_open(&ctl->slots, ctl->conns, fd);
		if (!c) {
			close(fd);
			continue;
		}
		c->xport.netid = RB_NETID_LOCAL;
		c->xport.peer.family = RB_AF_LOCAL;
		c->xport.local.family = RB_AF_LOCAL;
		snprintf(c->xport.local.path, sizeof(c->xport.local.path), "%s", ctl->path);
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		/* The owner of what this peer registers comes from here, never
		 * from the call. */
		c->xport.peer_uid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0
					    ? (int64_t)cr.uid
					    : -1;
		c->last_active_ms = ctl->serve.now_ms;
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLRDHUP,
			.data.u64 = ctag(C_CONN, c->slot, c->gen),
		};
		c->recv_armed = true;
		ctl->live++;
		if (epoll_ctl(ctl->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			conn_close(ctl, c);
	}
}

static void on_conn(struct rb_control *ctl, uint64_t t, uint32_t events)
{
	uint32_t slot = rb_tag_idx(t);
	struct rb_conn *c = slot < ctl->slots.used ? ctl->conns[slot] : NULL;
	if (!c || c->fd < 0 || c->gen != rb_tag_gen(t))
		return;
	if (events & EPOLLOUT) {
		if (!conn_flush(ctl, c)) {
			conn_close(ctl, c);
			return;
		}
		if (c->paused) /* it waited for the socket to drain */
			rb_conn_queue_push(&ctl->ready, c);
	}
	if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !c->paused &&
	    c->in.off == c->in.len) {
		/* One read of at most RB_CONN_IN_MAX, answered now within the
		 * turn's budget (the rest in run_ready); replies to SET/UNSET
		 * leave after the commit at the end of this turn. */
		uint8_t buf[RB_CONN_IN_MAX];
		ssize_t r = read(c->fd, buf, sizeof(buf));
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			conn_close(ctl, c);
			return;
		}
		r = rb_conn_input(&ctl->serve, c, buf, (size_t)r, &ctl->budget, conn_kick, ctl);
		if (r < 0 || c->closing) {
			conn_close(ctl, c);
			return;
		}
		if (r == RB_CONN_MORE)
			rb_conn_queue_push(&ctl->ready, c);
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		conn_close(ctl, c); /* gone while we were not reading */
		return;
	}
	conn_interest(ctl, c);
}

/* Applies what the workers handed over; the answers go back to the worker
 * that owns the socket after the commit (deliver). */
static void on_wake(struct rb_control *ctl)
{
	RB_ASSERT_OWNER(ctl);
	const struct rb_control_env *env = ctl->env;
	uint64_t v;
	if (read(env->wake_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: a spurious wake-up; the rings are checked anyway. */
	}
	for (unsigned i = 0; i < env->nworkers; i++) {
		struct rb_worker *w = &env->workers[i];
		struct rb_mut_msg *m;
		while ((m = rb_mailbox_pop_req(&w->mbox))) {
			struct rb_pending *pr = rb_durable_apply(&ctl->du, &m->m);
			if (!pr) {
				struct rb_xdr_enc e;
				rb_xdr_enc_init(&e, m->reply, sizeof(m->reply));
				rb_rpc_put_accepted(&e, m->m.xid, RB_SYSTEM_ERR);
				m->reply_len = (uint32_t)e.pos;
				rb_mailbox_send_rep(&w->mbox, m); /* never full: serve.c */
				ctl->wake[i] = true;
				continue;
			}
			pr->kind = ROUTE_WORKER;
			pr->msg = m;
			pr->worker = i;
			pr->t0_ns = m->t0_ns;
			pr->transport = m->kind == RB_ROUTE_UDP ? RB_RQ_UDP : RB_RQ_TCP;
		}
	}
}

/* Sends one settled answer where it belongs. */
static void deliver(void *arg, struct rb_pending *pr)
{
	struct rb_control *ctl = arg;
	RB_ASSERT_OWNER(ctl);
	if (pr->kind == ROUTE_NONE) /* our own change (a reaped entry) */
		return;
	/* Counted now that the answer is final: durable, TRUE or FALSE. */
	if (ctl->serve.rq) {
		unsigned vi = pr->m.stat_vers < RB_RQ_VERS - 1 ? pr->m.stat_vers : RB_RQ_VERS - 1;
		uint64_t t = rb_mono_ns();
		rb_reqstats_count(ctl->serve.rq, vi, pr->m.op == RB_MUT_SET ? RB_PROC_SET : RB_PROC_UNSET,
				  (enum rb_rq_transport)pr->transport,
				  pr->ok ? RB_RQ_SUCCESS : RB_RQ_REFUSED,
				  t > pr->t0_ns ? t - pr->t0_ns : 0);
	}
	if (pr->kind == ROUTE_WORKER) {
		struct rb_mut_msg *m = pr->msg;
		struct rb_xdr_enc e;
		rb_xdr_enc_init(&e, m->reply, sizeof(m->reply));
		rb_mutation_put_reply(&e, &pr->m, pr->ok);
		m->reply_len = (uint32_t)e.pos;
		rb_mailbox_send_rep(&ctl->env->workers[pr->worker].mbox, m);
		ctl->wake[pr->worker] = true;
		return;
	}
	struct rb_conn *c = pr->slot < ctl->slots.used ? ctl->conns[pr->slot] : NULL;
	if (!c || c->fd < 0 || c->gen != pr->gen)
		return; /* the caller left: nothing to answer */
	uint8_t buf[32];
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_mutation_put_reply(&e, &pr->m, pr->ok);
	c->mutations_owed--;
	if (rb_conn_append(c, buf, (uint32_t)e.pos) < 0 || !conn_flush(ctl, c)) {
		conn_close(ctl, c);
		return;
	}
	/* A large reply or more input may have waited for this answer. */
	if (c->paused)
		rb_conn_queue_push(&ctl->ready, c);
	conn_interest(ctl, c);
}

/* Acts on a finished scan's list (this thread only: the registry's
 * writer): logs a change in count (before: the last list's), writes the
 * list (SIGUSR1), reaps (--reap-stale). The scan saw the registry as it
 * was when it walked it; a registration may have been changed or removed
 * since, so one is reaped only while the same prog/vers/netid still has
 * the same uaddr, and only with no effect held back (the check reads the
 * published registry).
 * Returns true when it applied an UNSET (then a commit is owed). */
static bool stale_act(struct rb_control *ctl, uint32_t before, bool write_list)
{
	const struct rb_control_env *env = ctl->env;
	uint64_t now = ctl->serve.now_ms;
	const struct rb_stale *st = ctl->stale;
	int r;
	if (st->n != before || write_list)
		rb_log("%u registration%s stale (nothing bound to the port or path)%s",
		       st->n + st->overflow, st->n + st->overflow == 1 ? " looks" : "s look",
		       env->cfg->reap_stale_s ? "" : "; SIGUSR1 lists them");
	if (write_list) {
		char path[RB_CONFIG_PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/stale", env->cfg->state_dir);
		if ((r = rb_stale_write(st, path, now)) < 0)
			rb_log("cannot write %s: %s", path, strerror(-r));
	}
	if (!env->cfg->reap_stale_s || ctl->du.neff)
		return false; /* (held effects: the next scan reaps) */
	bool applied = false;
	/* Reap through the same durable path as a client's UNSET. */
	for (uint32_t i = 0; i < st->n; i++) {
		const struct rb_stale_entry *s = &st->v[i];
		if (now - s->since_ms < (uint64_t)env->cfg->reap_stale_s * 1000u)
			continue;
		const struct rb_entry *e = rb_lookup(env->reg, s->prog, s->vers, s->netid,
						     strlen(s->netid));
		if (!e || strcmp(rb_entry_uaddr(e), s->uaddr) != 0)
			continue; /* changed since the scan: not what was found stale */
		struct rb_mutation m;
		memset(&m, 0, sizeof(m));
		m.op = RB_MUT_UNSET;
		m.stat_vers = 1;
		m.prog = s->prog;
		m.vers = s->vers;
		snprintf(m.netid, sizeof(m.netid), "%s", s->netid);
		snprintf(m.owner, sizeof(m.owner), "superuser");
		struct rb_pending *pr = rb_durable_apply(&ctl->du, &m);
		if (pr)
			pr->kind = ROUTE_NONE;
		applied = true;
		ctl->reaped++;
		rb_log("reaped stale registration %u %u %s %s", s->prog, s->vers, s->netid, s->uaddr);
	}
	return applied;
}

/* Takes the list of a scan that has ended and acts on it; starts the
 * scan SIGUSR1 asked for meanwhile. Returns true when a commit is owed. */
static bool stale_finish(struct rb_control *ctl)
{
	struct rb_stale_bg *bg = &ctl->stale_bg;
	if (!rb_stale_scan_running(bg))
		return false;
	int r = rb_stale_scan_poll(bg, false);
	if (r == -EINPROGRESS)
		return false;
	bool write_list = ctl->stale_write;
	ctl->stale_write = false;
	bool applied = false;
	if (r < 0) {
		rb_log("stale scan failed: %s", strerror(-r));
	} else {
		uint32_t before = ctl->stale->n;
		struct rb_stale *t = ctl->stale; /* the new list becomes ours */
		ctl->stale = bg->out;
		bg->out = t;
		applied = stale_act(ctl, before, write_list);
	}
	if (ctl->stale_again) {
		ctl->stale_again = false;
		rb_control_scan_stale(ctl, true);
	}
	return applied;
}

/* End of a loop iteration: one commit for every change it made, then the
 * answers, then the wake-ups. */
static void commit_batch(struct rb_control *ctl)
{
	const struct rb_control_env *env = ctl->env;
	rb_durable_commit(&ctl->du, deliver, ctl);
	/* A finished stale scan is acted on here, with nothing held back
	 * (its re-check reads the published registry); its reaping is
	 * committed at once, not left for the next timer tick. */
	if (stale_finish(ctl))
		rb_durable_commit(&ctl->du, deliver, ctl);
	for (unsigned i = 0; i < env->nworkers; i++) {
		if (ctl->wake[i]) {
			ctl->wake[i] = false;
			rb_wake(env->workers[i].wake_fd);
		}
	}
	rb_registry_reclaim(env->reg);
}

void rb_control_scan_stale(struct rb_control *ctl, bool write_list)
{
	RB_ASSERT_OWNER(ctl);
	const struct rb_control_env *env = ctl->env;
	if (rb_stale_scan_running(&ctl->stale_bg)) {
		/* The timer's scan is the running one; SIGUSR1 wants one that
		 * began after it (a service it just stopped). */
		if (write_list)
			ctl->stale_again = true;
		return;
	}
	int r = rb_stale_scan_start(&ctl->stale_bg, env->reg, ctl->stale, ctl->serve.now_ms,
				    env->wake_fd);
	if (r == 0) {
		ctl->stale_write = write_list;
		return;
	}
	/* No thread: scan here, as before there was one (slow, but the
	 * list stays current). */
	rb_log("stale scan thread: %s; scanning on the control thread", strerror(-r));
	uint32_t before = ctl->stale->n;
	r = rb_stale_scan(ctl->stale, env->reg, ctl->serve.now_ms);
	if (r < 0) {
		rb_log("stale scan failed: %s", strerror(-r));
		return;
	}
	(void)stale_act(ctl, before, write_list); /* committed with the batch */
}

static void on_timer(struct rb_control *ctl)
{
	uint64_t v;
	if (read(ctl->tfd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing expired */
	}
	rb_registry_reclaim(ctl->env->reg);
	rb_durable_tick(&ctl->du, ctl->serve.now_ms);
	rb_http_tick(&ctl->http, ctl->serve.now_ms);
	if (ctl->serve.now_ms >= ctl->next_status_ms) {
		ctl->next_status_ms = ctl->serve.now_ms + RB_STATUS_MS;
		rb_control_status(ctl);
	}
	if (ctl->serve.now_ms >= ctl->next_stale_ms) {
		ctl->next_stale_ms = ctl->serve.now_ms + RB_STALE_SCAN_MS;
		rb_control_scan_stale(ctl, false);
	}
	const struct rb_limits *lim = ctl->serve.limits;
	uint64_t now = ctl->serve.now_ms;
	for (uint32_t i = 0; i < ctl->slots.used; i++) {
		struct rb_conn *c = ctl->conns[i];
		if (!c || c->fd < 0)
			continue;
		if ((c->blocked_since_ms && now - c->blocked_since_ms > lim->blocked_timeout_ms) ||
		    (now - c->last_active_ms > lim->idle_timeout_ms && rb_conn_idle(c)))
			conn_close(ctl, c);
	}
	listen_resume(ctl);
}

int rb_control_metrics(struct rb_control *ctl, const char *host, uint16_t port)
{
	return rb_http_listen(&ctl->http, host, port, ctl->ep, ctag(C_HTTP, 0, 0),
			      ctag(C_HTTPC, 0, 0));
}

void rb_control_status(struct rb_control *ctl)
{
	RB_ASSERT_OWNER(ctl);
	const struct rb_control_env *env = ctl->env;
	char st[200];
	snprintf(st, sizeof(st),
		 "STATUS=serving: %zu registrations, %u TCP + %u local connections, %u workers%s",
		 rb_registry_count(env->reg), __atomic_load_n(env->total_conns, __ATOMIC_RELAXED),
		 ctl->live, env->nworkers,
		 rb_durable_writable(&ctl->du) ? "" : "; state not writable: SET/UNSET answered FALSE");
	rb_notify(st);
}

/* SIGHUP: rebuilds the configuration from the file and the command line
 * and applies its run-time options (log level, limits, trusted networks,
 * rate limits, quotas, TCPMUX settings) here and, through env->pub, in
 * every worker. Registrations and connections are untouched. A bad file
 * changes nothing. */
static void reload(struct rb_control *ctl)
{
	const struct rb_control_env *env = ctl->env;
	struct rb_config *n = malloc(sizeof(*n));
	enum rb_config_action act;
	char err[320], changed[256];
	if (!n) {
		rb_logl(RB_LOG_ERR, "SIGHUP: out of memory; configuration unchanged");
		return;
	}
	if (rb_config_build(n, env->argc, env->argv, &act, err, sizeof(err)) < 0) {
		rb_logl(RB_LOG_ERR, "SIGHUP: %s; the running configuration is kept", err);
		free(n);
		return;
	}
	if (rb_config_restart_changes(env->cfg, n, changed, sizeof(changed)))
		rb_logl(RB_LOG_WARNING, "SIGHUP: %s changed: applied at the next restart only",
			changed);
	rb_config_keep_restart(n, env->cfg);
	*env->cfg = *n;
	free(n);
	rb_policy_from_config(env->policy, env->cfg);
	ctl->serve.policy = *env->policy;
	ctl->serve.debug = env->cfg->debug || env->cfg->log_calls;
	ctl->du.owns_port = env->cfg->check_owner_port ? rb_sockdiag_owns_port : NULL;
	rb_log_set_level(env->cfg->log_level);
	pthread_mutex_lock(&env->pub->lock);
	env->pub->live = *env->cfg;
	__atomic_store_n(&env->pub->gen, env->pub->gen + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&env->pub->lock);
	for (unsigned i = 0; i < env->nworkers; i++)
		rb_wake(env->workers[i].wake_fd); /* take it now, not at the next tick */
	rb_log("SIGHUP: configuration reloaded from %s%s", env->cfg->config_path,
	       env->cfg->config_explicit ? "" : " (if present) and the command line");
	rb_notify("STATUS=configuration reloaded");
}

/* Returns true when the daemon should stop. */
static bool on_signal(struct rb_control *ctl)
{
	struct signalfd_siginfo si;
	bool stop = false;
	while (read(ctl->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(ctl);
			continue;
		}
		if (si.ssi_signo == SIGUSR1) {
			rb_control_scan_stale(ctl, true); /* and write the list */
			continue;
		}
		if (si.ssi_signo == SIGUSR2) {
			rb_durable_compact_now(&ctl->du); /* in the background */
			continue;
		}
		rb_log("signal %u: stopping", si.ssi_signo);
		stop = true;
	}
	return stop;
}

int rb_control_run(struct rb_control *ctl)
{
	RB_ASSERT_OWNER(ctl);
	struct epoll_event evs[64];
	bool more = false; /* connections have work left: do not sleep */
	for (;;) {
		int n = epoll_wait(ctl->ep, evs, 64, more ? 0 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rb_serve_tick(&ctl->serve);
		__atomic_store_n(&ctl->heartbeat_ms, ctl->serve.now_ms, __ATOMIC_RELAXED);
		rb_turn_budget_reset(&ctl->budget);
		for (int k = 0; k < n; k++) {
			uint64_t t = evs[k].data.u64;
			switch ((enum ctag)rb_tag_kind(t)) {
			case C_SIGNAL:
				if (on_signal(ctl)) {
					commit_batch(ctl); /* answer what was applied */
					return 0;
				}
				break;
			case C_TIMER:
				on_timer(ctl);
				break;
			case C_WAKE:
				on_wake(ctl);
				break;
			case C_LISTEN:
				on_accept(ctl, (int)(rb_tag_idx(t) & 1u));
				break;
			case C_CONN:
				on_conn(ctl, t, evs[k].events);
				break;
			case C_HTTP:
				rb_http_on_listen(&ctl->http, ctl->serve.now_ms);
				break;
			case C_HTTPC:
				rb_http_on_conn(&ctl->http, rb_tag_idx(t), evs[k].events,
						ctl->serve.now_ms);
				break;
			}
		}
		more = run_ready(ctl);
		commit_batch(ctl);
	}
}

void rb_control_fini(struct rb_control *ctl)
{
	/* First: the scan thread reads the registry and wakes ctl_wake_fd. */
	rb_stale_scan_stop(&ctl->stale_bg);
	rb_durable_stop(&ctl->du);
	rb_http_fini(&ctl->http);
	free(ctl->wake);
	free(ctl->stale);
	for (uint32_t i = 0; i < ctl->slots.used; i++) {
		struct rb_conn *c = ctl->conns[i];
		if (c && c->fd >= 0)
			conn_close(ctl, c);
		free(c);
	}
	for (int i = 0; i < 2; i++)
		if (ctl->listen_fd[i] >= 0)
			close(ctl->listen_fd[i]);
	if (ctl->path[0])
		unlink(ctl->path);
	if (ctl->ep >= 0)
		close(ctl->ep);
	if (ctl->sfd >= 0)
		close(ctl->sfd);
	if (ctl->tfd >= 0)
		close(ctl->tfd);
	free(ctl->serve.hctx.scratch);
	rb_serve_fini(&ctl->serve);
	rb_conn_queue_fini(&ctl->ready);
}
