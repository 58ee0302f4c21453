#include "net/features/tcpmux.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/base/owner.h"
#include "net/transport/listen.h"
#include "net/base/log.h"
#include "net/transport/worker.h"
#include "registry/store/registry.h"
#include "net/base/tag.h"

/* Connections accepted per listener readiness event: bounded, as the
 * worker's own listeners, so one flood cannot hold the loop. */
#define ACCEPT_BATCH 64
/* A slot number must fit the index of an epoll tag. */
#define SLOTS_MAX (RB_TAG_IDX_MAX + 1u)
#define NO_SLOT UINT32_MAX

enum mux_state {
	MS_LINE = 1, /* reading the name line */
	MS_CONNECT,  /* connecting to the service */
	MS_REPLY,    /* sending "+", "-" or the HELP list */
	MS_PROXY,    /* splicing both ways */
};

/* One direction of a pair: src -> pipe -> dst. */
struct mux_dir {
	int pr, pw;      /* the pipe's ends */
	uint32_t inpipe; /* bytes in the pipe */
	bool eof;        /* src sent its FIN (spliced 0 bytes) */
	bool full;       /* the pipe took nothing more: stop reading until it drains */
	bool shut;       /* the EOF was passed on: shutdown(dst, SHUT_WR) */
};

struct mux_conn {
	uint32_t slot, gen;
	uint32_t next_free;
	bool live;
	enum mux_state st;
	int cfd, sfd;          /* client, service (-1 until connecting) */
	uint32_t cev, sev;     /* epoll interest now; 0: not in the set */
	uint64_t since_ms;     /* accepted: the line/connect/reply deadline */
	uint64_t active_ms;    /* bytes last moved (idle timeout) */
	bool close_after;      /* MS_REPLY: close once sent ("-", HELP) */
	uint32_t pipe_cap;     /* bytes in flight per direction */
	struct mux_dir up;     /* client -> service */
	struct mux_dir down;   /* service -> client */
	struct rb_mux_line line;
	char *out;             /* the reply: small[] or a HELP list */
	uint32_t out_len, out_off;
	char small[RB_MUX_REPLY_MAX];
};

struct rb_tcpmux {
	int ep;
	int lfd[RB_MUX_LISTEN_MAX];
	unsigned nl;
	bool listen_paused; /* out of descriptors: resumed at the next tick */
	struct mux_conn **v;
	uint32_t n, cap;    /* slots in use (high water), room in v */
	uint32_t free_head; /* a stack of closed slots, through next_free */
	/* The assembly's, shared by every worker (rb_tcpmux_init). */
	const struct rb_rpcnames *names; /* read-only after start */
	uint32_t *conns;                 /* atomic: mux connections, all workers */
};

enum { K_LISTEN = 1, K_CONN = 2 };

/* epoll data (net/base/tag.h): the kind byte holds kind (4 bits) | side (4). */
static uint64_t tag(unsigned kind, unsigned side, uint32_t idx, uint32_t gen)
{
	return rb_tag((kind & 0xfu) << 4 | (side & 0xfu), idx, gen);
}

/* ---- /etc/rpc ---- */

int rb_rpcnames_load(const char *path, struct rb_rpcnames **out)
{
	struct rb_rpcnames *t = calloc(1, sizeof(*t));
	*out = t;
	if (!t)
		return -ENOMEM;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char *buf = malloc(RB_RPCNAMES_FILE_MAX);
	size_t len = 0;
	int r = 0;
	while (buf && len < RB_RPCNAMES_FILE_MAX) {
		ssize_t k = read(fd, buf + len, RB_RPCNAMES_FILE_MAX - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = -errno;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	if (r == 0)
		rb_rpcnames_parse(buf, len, t);
	free(buf);
	return r;
}

/* ---- connections ---- */

static struct mux_conn *conn_get(struct rb_tcpmux *m)
{
	if (m->free_head != NO_SLOT) {
		struct mux_conn *c = m->v[m->free_head];
		m->free_head = c->next_free;
		return c;
	}
	if (m->n >= SLOTS_MAX)
		return NULL;
	if (m->n == m->cap) {
		uint32_t ncap = m->cap ? m->cap * 2 : 64;
		struct mux_conn **nv = realloc(m->v, (size_t)ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		m->v = nv;
		m->cap = ncap;
	}
	struct mux_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->slot = m->n;
	m->v[m->n++] = c;
	return c;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Ends a connection: both sockets, both pipes, its slot and its place
 * under the cap. Closing a descriptor takes it out of the epoll set. */
static void conn_close(struct rb_worker *w, struct mux_conn *c)
{
	struct rb_tcpmux *m = w->mux;
	close_fd(&c->cfd);
	close_fd(&c->sfd);
	close_fd(&c->up.pr);
	close_fd(&c->up.pw);
	close_fd(&c->down.pr);
	close_fd(&c->down.pw);
	if (c->out != c->small)
		free(c->out);
	c->out = NULL;
	c->live = false;
	c->gen++; /* events still queued for it are now stale */
	c->next_free = m->free_head;
	m->free_head = c->slot;
	__atomic_sub_fetch(w->mux->conns, 1, __ATOMIC_RELAXED);
}

/* Sets the epoll interest of one side. No interest means out of the set:
 * epoll reports EPOLLHUP/EPOLLERR whatever is asked, and a side we are not
 * reading (its pipe full, or a client waiting for its connect) must not
 * wake the loop over and over. */
static int set_interest(struct rb_tcpmux *m, struct mux_conn *c, unsigned side, uint32_t ev)
{
	int fd = side ? c->sfd : c->cfd;
	uint32_t *cur = side ? &c->sev : &c->cev;
	if (ev == *cur)
		return 0;
	struct epoll_event e = { .events = ev, .data.u64 = tag(K_CONN, side, c->slot, c->gen) };
	int op = ev == 0 ? EPOLL_CTL_DEL : *cur == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(m->ep, op, fd, &e) < 0)
		return -errno;
	*cur = ev;
	return 0;
}

/* Refuses a connection that gets no slot: one best-effort line, then the
 * close. The line fits any fresh socket's send buffer. */
static void refuse_now(int fd, const char *why)
{
	char line[RB_MUX_REPLY_MAX];
	size_t n = rb_mux_reply(line, sizeof(line), false, why);
	if (send(fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* the client is gone already: nothing to tell */
	}
	close(fd);
}

static void send_reply(struct rb_worker *w, struct mux_conn *c);

/* Queues a reply line (or, with heap, a HELP list) and sends what it can. */
static void reply(struct rb_worker *w, struct mux_conn *c, bool ok, const char *msg,
		  bool close_after)
{
	c->out = c->small;
	c->out_len = (uint32_t)rb_mux_reply(c->small, sizeof(c->small), ok, msg);
	c->out_off = 0;
	c->close_after = close_after;
	c->st = MS_REPLY;
	if (!ok)
		rb_count(&w->counters.tcpmux_refused);
	send_reply(w, c);
}

/* ---- the proxy ---- */

static void proxy_interest(struct rb_worker *w, struct mux_conn *c)
{
	struct rb_tcpmux *m = w->mux;
	uint32_t cev = 0, sev = 0;
	if (!c->up.eof && !c->up.full && c->up.inpipe < c->pipe_cap)
		cev |= EPOLLIN;
	if (c->down.inpipe)
		cev |= EPOLLOUT;
	if (!c->down.eof && !c->down.full && c->down.inpipe < c->pipe_cap)
		sev |= EPOLLIN;
	if (c->up.inpipe)
		sev |= EPOLLOUT;
	if (set_interest(m, c, 0, cev) < 0 || set_interest(m, c, 1, sev) < 0)
		conn_close(w, c);
}

/* Moves what the pipe holds to dst. 0, or -1 when dst failed. */
static int drain(struct mux_dir *d, int dst, uint64_t *moved)
{
	while (d->inpipe) {
		/* SPLICE_F_MOVE: hand the pages over rather than copy them
		 * where the kernel can; NONBLOCK: dst is non-blocking anyway,
		 * this makes the pipe side never wait either. */
		ssize_t k = splice(d->pr, NULL, dst, NULL, d->inpipe,
				   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (k > 0) {
			d->inpipe -= (uint32_t)k;
			*moved += (uint64_t)k;
			d->full = false;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		return k < 0 && errno == EAGAIN ? 0 : -1;
	}
	return 0;
}

/* One direction's turn: drain, read once (at most what the cap leaves),
 * drain again, pass an EOF on once everything before it is delivered.
 * 0, or -1 when the pair must close. */
static int dir_step(struct mux_conn *c, struct mux_dir *d, int src, int dst, uint64_t *moved)
{
	if (drain(d, dst, moved) < 0)
		return -1;
	if (!d->eof && !d->full && d->inpipe < c->pipe_cap) {
		ssize_t k = splice(src, NULL, d->pw, NULL, c->pipe_cap - d->inpipe,
				   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (k > 0) {
			d->inpipe += (uint32_t)k;
			if (drain(d, dst, moved) < 0)
				return -1;
		} else if (k == 0) {
			d->eof = true;
		} else if (errno == EAGAIN) {
			/* Ambiguous: src had nothing, or the pipe had no free
			 * slot (its capacity is in pages, and small segments
			 * take one each). With bytes still in the pipe, wait
			 * for them to drain before reading again: no spinning
			 * on a readable src while dst is blocked. */
			if (d->inpipe)
				d->full = true;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	if (d->eof && !d->inpipe && !d->shut) {
		/* A half-close, passed on: the peer sees EOF and may still
		 * answer through the other direction. */
		shutdown(dst, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

static void proxy_step(struct rb_worker *w, struct mux_conn *c)
{
	uint64_t to_service = 0, to_client = 0;
	int r = dir_step(c, &c->up, c->cfd, c->sfd, &to_service);
	if (r == 0)
		r = dir_step(c, &c->down, c->sfd, c->cfd, &to_client);
	if (to_service)
		rb_count_n(&w->counters.tcpmux_bytes_to_service, to_service);
	if (to_client)
		rb_count_n(&w->counters.tcpmux_bytes_to_client, to_client);
	if (to_service || to_client)
		c->active_ms = w->serve.now_ms;
	if (r < 0 || (c->up.shut && c->down.shut)) {
		conn_close(w, c);
		return;
	}
	proxy_interest(w, c);
}

static void start_proxy(struct rb_worker *w, struct mux_conn *c)
{
	c->st = MS_PROXY;
	c->active_ms = w->serve.now_ms;
	rb_count(&w->counters.tcpmux_proxied);
	/* The client may have sent its first bytes right after the name
	 * line; they wait in its socket and go now. */
	proxy_step(w, c);
}

static void send_reply(struct rb_worker *w, struct mux_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->cfd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			c->out_off += (uint32_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			/* Bounded by the line timeout, counted from accept. */
			if (set_interest(w->mux, c, 0, EPOLLOUT) < 0)
				conn_close(w, c);
			return;
		}
		conn_close(w, c);
		return;
	}
	if (c->close_after) {
		conn_close(w, c);
		return;
	}
	if (c->out != c->small)
		free(c->out);
	c->out = NULL;
	start_proxy(w, c);
}

/* ---- names ---- */

/* The registration a name stands for: tcp before tcp6 (the connect goes
 * to loopback of that family), then the highest version. */
static const struct rb_entry *pick_entry(const struct rb_registry *reg, uint32_t prog,
					 const struct rb_mux_name *nm)
{
	if (nm->has_vers) {
		const struct rb_entry *e = rb_lookup(reg, prog, nm->vers, "tcp", 3);
		if (e && e->port)
			return e;
		e = rb_lookup(reg, prog, nm->vers, "tcp6", 4);
		return e && e->port ? e : NULL;
	}
	const struct rb_progset *ps = rb_lookup_prog(reg, prog);
	const struct rb_entry *best = NULL;
	for (uint32_t i = 0; ps && i < ps->n; i++) {
		const struct rb_entry *e = ps->v[i];
		if (!e->stream || !e->port ||
		    (e->family != RB_AF_INET && e->family != RB_AF_INET6))
			continue;
		if (!best || (e->family == RB_AF_INET && best->family != RB_AF_INET) ||
		    (e->family == best->family && e->vers > best->vers))
			best = e;
	}
	return best;
}

/* Where a name goes: a loopback address and port in *ss. 0 or -ENOENT. */
static int resolve(struct rb_worker *w, const struct rb_mux_name *nm,
		   struct sockaddr_storage *ss, socklen_t *sl)
{
	const struct rb_config *cfg = w->cfg;
	uint16_t port = 0;
	bool v6 = false;
	if (!nm->has_vers)
		for (uint32_t i = 0; i < cfg->ntcpmux_services && !port; i++)
			if (strcmp(cfg->tcpmux_services[i].name, nm->name) == 0)
				port = cfg->tcpmux_services[i].port;
	if (!port) {
		uint32_t prog = nm->prog;
		if (!nm->is_number && rb_rpcnames_find(w->mux->names, nm->name, &prog) < 0)
			return -ENOENT;
		/* Inside the worker's reader section: only the port and
		 * family are kept past it. */
		const struct rb_entry *e = pick_entry(w->env->reg, prog, nm);
		if (!e)
			return -ENOENT;
		port = e->port;
		v6 = e->family == RB_AF_INET6;
	}
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = in6addr_loopback;
		*sl = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*sl = sizeof(*in);
	}
	return 0;
}

/* The HELP answer: static names, then the /etc/rpc names (primary ones,
 * sorted) of programs registered on tcp or tcp6 now; cut at
 * RB_MUX_HELP_MAX. At most RB_RPCNAMES_MAX lookups, whatever the size of
 * the registry. */
static void help(struct rb_worker *w, struct mux_conn *c)
{
	const struct rb_config *cfg = w->cfg;
	const struct rb_rpcnames *t = w->mux->names;
	if (!cfg->tcpmux_help) {
		reply(w, c, false, "HELP is disabled", true);
		return;
	}
	char *out = malloc(RB_MUX_HELP_MAX);
	if (!out) {
		reply(w, c, false, "out of memory", true);
		return;
	}
	size_t len = 0;
	struct rb_mux_name any = { .has_vers = false };
	for (uint32_t i = 0; i < cfg->ntcpmux_services; i++)
		if (rb_mux_help_add(out, RB_MUX_HELP_MAX, &len, cfg->tcpmux_services[i].name) < 0)
			break;
	for (uint32_t i = 0; t && i < t->n; i++)
		if (t->v[i].primary && pick_entry(w->env->reg, t->v[i].prog, &any) &&
		    rb_mux_help_add(out, RB_MUX_HELP_MAX, &len, t->v[i].name) < 0)
			break;
	rb_count(&w->counters.tcpmux_help);
	c->out = out;
	c->out_len = (uint32_t)len;
	c->out_off = 0;
	c->close_after = true;
	c->st = MS_REPLY;
	send_reply(w, c);
}

static int make_pipe(struct mux_dir *d, uint32_t want, uint32_t *cap)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	d->pr = p[0];
	d->pw = p[1];
	/* Best effort: over the user's pipe limits the size stays (EPERM);
	 * the cap below is what the pipe really holds, at most want. */
	(void)fcntl(d->pw, F_SETPIPE_SZ, (int)want);
	int sz = fcntl(d->pw, F_GETPIPE_SZ);
	uint32_t have = sz > 0 ? (uint32_t)sz : 4096u;
	*cap = have < want ? have : want;
	return 0;
}

/* The name is known and resolved: pipes, then a non-blocking connect. */
static void start_connect(struct rb_worker *w, struct mux_conn *c,
			  const struct sockaddr_storage *ss, socklen_t sl)
{
	uint32_t want = w->cfg->tcpmux_buffer, cap_up = 0, cap_down = 0;
	if (make_pipe(&c->up, want, &cap_up) < 0 || make_pipe(&c->down, want, &cap_down) < 0) {
		reply(w, c, false, "out of resources", true);
		return;
	}
	c->pipe_cap = cap_up < cap_down ? cap_up : cap_down;
	c->sfd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->sfd < 0) {
		reply(w, c, false, "out of resources", true);
		return;
	}
	if (connect(c->sfd, (const struct sockaddr *)ss, sl) == 0) {
		reply(w, c, true, "Go", false);
		return;
	}
	if (errno != EINPROGRESS) {
		reply(w, c, false, "service not reachable", true);
		return;
	}
	c->st = MS_CONNECT;
	/* Nothing from the client until the answer: its socket leaves the
	 * set (a client that goes away meanwhile is found by the timeout). */
	if (set_interest(w->mux, c, 0, 0) < 0 || set_interest(w->mux, c, 1, EPOLLOUT) < 0)
		conn_close(w, c);
}

static void connect_done(struct rb_worker *w, struct mux_conn *c)
{
	int err = 0;
	socklen_t el = sizeof(err);
	if (getsockopt(c->sfd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	/* Out of the set until the proxy starts: the service's bytes wait
	 * for the client to have its "+" first. */
	if (set_interest(w->mux, c, 1, 0) < 0) {
		conn_close(w, c);
		return;
	}
	if (err)
		reply(w, c, false, "service not reachable", true);
	else
		reply(w, c, true, "Go", false);
}

static void on_name(struct rb_worker *w, struct mux_conn *c, const char *line)
{
	struct rb_mux_name nm;
	struct sockaddr_storage ss;
	socklen_t sl;
	if (rb_mux_name_parse(line, &nm) < 0) {
		reply(w, c, false, "bad service name", true);
		return;
	}
	if (nm.help) {
		help(w, c);
		return;
	}
	if (resolve(w, &nm, &ss, &sl) < 0) {
		reply(w, c, false, "unknown service", true);
		return;
	}
	start_connect(w, c, &ss, sl);
}

/* Reads the name line. Peeks first and takes only up to the LF: what the
 * client sends after it is the service's, left in the socket to be
 * spliced. No more than the line's limit is ever read. */
static void read_line(struct rb_worker *w, struct mux_conn *c)
{
	uint8_t buf[RB_MUX_LINE_MAX];
	size_t room = RB_MUX_LINE_MAX - c->line.len - (c->line.cr ? 1u : 0u);
	ssize_t k = recv(c->cfd, buf, room, MSG_PEEK | MSG_DONTWAIT);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (k <= 0) { /* gone before naming anything */
		conn_close(w, c);
		return;
	}
	size_t used = 0;
	int r = rb_mux_line_feed(&c->line, buf, (size_t)k, &used);
	if (used && recv(c->cfd, buf, used, MSG_DONTWAIT) != (ssize_t)used) {
		conn_close(w, c);
		return;
	}
	if (r == RB_MUX_LINE_MORE)
		return;
	rb_count(&w->counters.tcpmux_requests);
	if (r == -EMSGSIZE)
		reply(w, c, false, "service name too long", true);
	else if (r < 0)
		reply(w, c, false, "bad service name", true);
	else
		on_name(w, c, c->line.name);
}

static void conn_event(struct rb_worker *w, struct mux_conn *c, unsigned side)
{
	switch (c->st) {
	case MS_LINE:
		if (side == 0)
			read_line(w, c);
		break;
	case MS_CONNECT:
		if (side == 1)
			connect_done(w, c);
		break;
	case MS_REPLY:
		if (side == 0)
			send_reply(w, c);
		break;
	case MS_PROXY:
		proxy_step(w, c);
		break;
	}
}

/* ---- listeners ---- */

static void pause_listeners(struct rb_tcpmux *m)
{
	for (unsigned i = 0; i < m->nl; i++)
		epoll_ctl(m->ep, EPOLL_CTL_DEL, m->lfd[i], NULL);
	m->listen_paused = true;
}

static void resume_listeners(struct rb_tcpmux *m)
{
	for (unsigned i = 0; i < m->nl; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u64 = tag(K_LISTEN, 0, i, 0) };
		epoll_ctl(m->ep, EPOLL_CTL_ADD, m->lfd[i], &e);
	}
	m->listen_paused = false;
}

static void on_accept(struct rb_worker *w, struct rb_tcpmux *m, unsigned i)
{
	const struct rb_config *cfg = w->cfg;
	for (int k = 0; k < ACCEPT_BATCH; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(m->lfd[i], (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of descriptors or memory: the listener would stay
			 * readable and the loop spin. Pause until the tick. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_listeners(m);
			return;
		}
		struct rb_addr peer;
		rb_sockaddr_to_addr((struct sockaddr *)&ss, sl, &peer);
		if (!rb_mux_allowed(cfg->tcpmux_allow, cfg->ntcpmux_allow, &peer)) {
			rb_count(&w->counters.tcpmux_denied);
			refuse_now(fd, "not allowed");
			continue;
		}
		if (__atomic_add_fetch(w->mux->conns, 1, __ATOMIC_RELAXED) >
		    cfg->tcpmux_max_conn) {
			__atomic_sub_fetch(w->mux->conns, 1, __ATOMIC_RELAXED);
			rb_count(&w->counters.tcpmux_refused_cap);
			refuse_now(fd, "too many connections");
			continue;
		}
		struct mux_conn *c = conn_get(m);
		if (!c) {
			__atomic_sub_fetch(w->mux->conns, 1, __ATOMIC_RELAXED);
			rb_count(&w->counters.tcpmux_refused_cap);
			refuse_now(fd, "out of memory");
			continue;
		}
		uint32_t slot = c->slot, gen = c->gen;
		memset(c, 0, sizeof(*c));
		c->slot = slot;
		c->gen = gen;
		c->live = true;
		c->st = MS_LINE;
		c->cfd = fd;
		c->sfd = c->up.pr = c->up.pw = c->down.pr = c->down.pw = -1;
		c->since_ms = c->active_ms = w->serve.now_ms;
		rb_mux_line_init(&c->line);
		rb_count(&w->counters.tcpmux_accepted);
		if (set_interest(m, c, 0, EPOLLIN) < 0)
			conn_close(w, c);
	}
}

/* ---- the worker's side ---- */

int rb_tcpmux_init(struct rb_worker *w, const struct rb_config *cfg,
		   const struct rb_rpcnames *names, uint32_t *conns)
{
	struct rb_tcpmux *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->free_head = NO_SLOT;
	m->names = names;
	m->conns = conns;
	w->mux = m;
	m->ep = epoll_create1(EPOLL_CLOEXEC);
	if (m->ep < 0)
		return -errno;
	struct rb_bind_addr a[RB_MUX_LISTEN_MAX];
	unsigned na = 0;
	memset(a, 0, sizeof(a));
	if (!cfg->tcpmux_host[0]) {
		a[0].family = RB_AF_INET;
		a[1].family = RB_AF_INET6;
		na = 2;
	} else if (inet_pton(AF_INET, cfg->tcpmux_host, a[0].ip) == 1) {
		a[0].family = RB_AF_INET;
		na = 1;
	} else if (inet_pton(AF_INET6, cfg->tcpmux_host, a[0].ip) == 1) {
		a[0].family = RB_AF_INET6;
		na = 1;
	} else {
		return -EINVAL; /* the configuration checked it */
	}
	for (unsigned i = 0; i < na; i++) {
		int fd = rb_listen_inet(SOCK_STREAM, &a[i], cfg->tcpmux_port);
		if (fd == -EAFNOSUPPORT && a[i].family == RB_AF_INET6 && !cfg->tcpmux_host[0])
			continue; /* no IPv6 on this host: IPv4 only */
		if (fd < 0)
			return fd;
		m->lfd[m->nl++] = fd;
	}
	resume_listeners(m);
	if (w->id == 0)
		rb_log("tcpmux: RFC 1078 on %s port %u", cfg->tcpmux_host[0] ? cfg->tcpmux_host : "*",
		       cfg->tcpmux_port);
	return 0;
}

void rb_tcpmux_fini(struct rb_worker *w)
{
	struct rb_tcpmux *m = w->mux;
	if (!m)
		return;
	for (uint32_t i = 0; i < m->n; i++) {
		struct mux_conn *c = m->v[i];
		if (c->live)
			conn_close(w, c);
		free(c);
	}
	free(m->v);
	for (unsigned i = 0; i < m->nl; i++)
		close(m->lfd[i]);
	if (m->ep >= 0)
		close(m->ep);
	free(m);
	w->mux = NULL;
}

int rb_tcpmux_fd(const struct rb_worker *w)
{
	return w->mux ? w->mux->ep : -1;
}

void rb_tcpmux_run(struct rb_worker *w)
{
	RB_ASSERT_OWNER(w);
	struct rb_tcpmux *m = w->mux;
	struct epoll_event ev[RB_MUX_EVENTS];
	if (!m)
		return;
	int n = epoll_wait(m->ep, ev, (int)RB_MUX_EVENTS, 0);
	for (int k = 0; k < n; k++) {
		uint64_t t = ev[k].data.u64;
		unsigned kind = rb_tag_kind(t) >> 4, side = rb_tag_kind(t) & 0xfu;
		uint32_t idx = rb_tag_idx(t);
		if (kind == K_LISTEN) {
			if (idx < m->nl && !m->listen_paused)
				on_accept(w, m, idx);
			continue;
		}
		if (idx >= m->n)
			continue;
		struct mux_conn *c = m->v[idx];
		/* A connection closed earlier in this batch (and perhaps its
		 * slot reused) has another generation. */
		if (!c->live || c->gen != rb_tag_gen(t))
			continue;
		conn_event(w, c, side);
	}
}

void rb_tcpmux_tick(struct rb_worker *w)
{
	RB_ASSERT_OWNER(w);
	struct rb_tcpmux *m = w->mux;
	if (!m)
		return;
	/* Read at each use: a SIGHUP may have changed them. */
	uint64_t now = w->serve.now_ms;
	uint64_t line_to = w->cfg->tcpmux_line_timeout_ms;
	uint64_t idle_to = w->cfg->tcpmux_idle_timeout_ms;
	for (uint32_t i = 0; i < m->n; i++) {
		struct mux_conn *c = m->v[i];
		if (!c->live)
			continue;
		if (c->st == MS_PROXY) {
			if (now - c->active_ms > idle_to) {
				rb_count(&w->counters.tcpmux_idle_closed);
				conn_close(w, c);
			}
		} else if (now - c->since_ms > line_to) {
			rb_count(&w->counters.tcpmux_timeouts);
			/* A "-" for a silent client, or one whose service did
			 * not accept in time; one that does not read its
			 * answer gets nothing more. */
			if (c->st == MS_LINE || c->st == MS_CONNECT) {
				refuse_now(c->cfd, "timeout");
				c->cfd = -1;
			}
			conn_close(w, c);
		}
	}
	if (m->listen_paused)
		resume_listeners(m);
}
