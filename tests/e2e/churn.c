/* rb_e2e_churn: SET/UNSET traffic against a port mapper whose state must
 * survive restarts (tests/e2e/t_kill.sh, t_durable.sh, t_statefull.sh,
 * t_perf.sh). Loopback and /run/rpcbind.sock only; every loop is bounded in
 * count or time.
 *
 *   rb_e2e_churn churn -l LOG [-k KEYS] [-L N] [-U N] [-d MS] [-q MS] [-t MS] [-s SEED]
 *                      [-F] [-C MS]
 *       N threads over the AF_LOCAL socket (RPCBIND v3 SET/UNSET: the control
 *       thread applies them itself) and N over UDP from a reserved port (PMAP
 *       v2 SET/UNSET: a worker hands them to the control thread's mailbox),
 *       one call in flight per key, on KEYS keys (key i: program KEY_BASE+i,
 *       version 1, netid udp for even i and tcp for odd i, uaddr
 *       0.0.0.0.p1.p2). Every call and its answer goes to LOG:
 *           T_MS PATH(L|U) SET|UNSET KEY PORT TRUE|FALSE|NOREPLY|ERR
 *       The client keeps a model of each key (absent, present with a port,
 *       unknown) and checks every answer against it: SET of an absent key
 *       must be TRUE, SET of a present key with another port FALSE. A call
 *       that gets no answer (the server was killed) makes its key unknown
 *       and leaves it untouched for -q MS (the call may still be applied by
 *       a server that was starting); the thread then waits for the server
 *       (NULL calls, bounded) and, once it answers, one thread DUMPs and
 *       compares every known key (the other threads paused). Runs until
 *       SIGTERM/SIGINT or -d MS. Exit status 0 when every answer and every
 *       check agreed with the model.
 *       -F: FALSE is an acceptable answer to any call (the state cannot be
 *       written): the change must then have left no trace, so the model
 *       keeps the key as it was. -C MS: also DUMP and compare every MS.
 *
 *   rb_e2e_churn verify -l LOG [-k KEYS] [-T local|tcp]
 *       From LOG only: every key whose last call was a SET answered TRUE
 *       must be registered with that port; every key whose last call was an
 *       UNSET answered TRUE must be absent; other keys are indeterminate.
 *
 *   rb_e2e_churn dump [-T local|tcp]
 *       RPCBIND v3 DUMP, one line per entry: PROG VERS NETID UADDR OWNER.
 *
 *   rb_e2e_churn bench -T local|udp [-c CONNS] [-w WINDOW] [-n OPS]
 *       Pipelined SET, UNSET, SET, ... (each a real change), WINDOW calls in
 *       flight on each of CONNS connections/sockets; prints calls per second.
 *
 *   rb_e2e_churn load -n N [-w WINDOW] [-o OFFSET]
 *       N pipelined RPCBIND v3 SETs over the local socket (program
 *       LOAD_BASE+OFFSET+i, version 1, tcp): a big registry, fast.
 *
 * Common options: -p PORT (111), -S PATH (/run/rpcbind.sock).
 * Exit status: 0 pass, 1 a failed check, 2 bad usage or a setup error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpcwire.h"

#define KEY_BASE 0x2c000000u   /* churn keys */
#define BENCH_BASE 0x2d000000u /* bench keys */
#define LOAD_BASE 0x2e000000u  /* load keys */
#define KEYS_MAX 65536u
#define THREADS_MAX 16
#define REC_MAX (64u << 20) /* largest reply record accepted (a big DUMP) */

static unsigned port = 111;
static char sock_path[108] = "/run/rpcbind.sock";

/* ---- time, XDR ---- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An AUTH_NONE call to 100000/vers/proc (40 bytes). */
static size_t call_hdr(unsigned char *p, uint32_t xid, uint32_t vers, uint32_t proc)
{
	return rw_call_hdr(p, xid, RW_PMAP_PROG, vers, proc);
}

/* PMAP v2 SET (proc 1) / UNSET (proc 2). */
static size_t pmap_call(unsigned char *p, uint32_t xid, uint32_t proc, uint32_t prog,
			uint32_t vers, uint32_t prot, uint32_t prt)
{
	size_t n = call_hdr(p, xid, 2, proc);
	rw_put32(p + n, prog);
	rw_put32(p + n + 4, vers);
	rw_put32(p + n + 8, prot);
	rw_put32(p + n + 12, prt);
	return n + 16;
}

/* RPCBIND v3 SET (1) / UNSET (2). */
static size_t rpcb_call(unsigned char *p, uint32_t xid, uint32_t proc, uint32_t prog,
			uint32_t vers, const char *netid, const char *addr)
{
	size_t n = call_hdr(p, xid, 3, proc);
	rw_put32(p + n, prog);
	rw_put32(p + n + 4, vers);
	n += 8;
	n += rw_put_str(p + n, netid);
	n += rw_put_str(p + n, addr);
	n += rw_put_str(p + n, "");
	return n;
}

static void uaddr_of(char *out, size_t cap, const char *host, unsigned prt)
{
	snprintf(out, cap, "%s.%u.%u", host, prt >> 8, prt & 255);
}

/* A bool reply: 1 TRUE, 0 FALSE, -1 anything else. */
static int bool_reply(const unsigned char *r, size_t n, uint32_t xid)
{
	size_t b;
	if (rw_reply_stat(r, n, xid, &b) != 0 || b + 4 > n)
		return -1;
	return rw_get32(r + b) ? 1 : 0;
}

/* ---- sockets ---- */

static int tcp_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A UDP socket bound to 127.0.0.1:sport (0: any port), connected to the
 * server. A reserved source port makes the caller "superuser". */
static int udp_open(unsigned sport)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in a;
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sport) {
		a.sin_port = htons((uint16_t)sport);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			close(fd);
			return -1;
		}
	}
	a.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

/* A record-marked stream with a read buffer (replies may be pipelined). */
struct stream {
	int fd;
	unsigned char *in;
	size_t have, cap;
	unsigned char *rec; /* the last record, assembled from its fragments */
	size_t rlen, rcap;
};

static void stream_init(struct stream *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
}

static void stream_close(struct stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->in);
	free(s->rec);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static int grow(unsigned char **p, size_t *cap, size_t need)
{
	if (*cap >= need)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	unsigned char *q = realloc(*p, c);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* Takes one complete record out of the buffer, if there is one: 1, or 0
 * (need more), -1 (bad framing). */
static int stream_take(struct stream *s)
{
	size_t off = 0, total = 0;
	for (;;) {
		if (s->have - off < 4)
			return 0;
		uint32_t h = rw_get32(s->in + off);
		size_t len = h & 0x7fffffffu;
		if (total + len > REC_MAX)
			return -1;
		if (s->have - off - 4 < len)
			return 0;
		total += len;
		off += 4 + len;
		if (h & 0x80000000u)
			break;
	}
	if (grow(&s->rec, &s->rcap, total + 1))
		return -1;
	size_t o = 0, w = 0;
	for (;;) {
		uint32_t h = rw_get32(s->in + o);
		size_t len = h & 0x7fffffffu;
		memcpy(s->rec + w, s->in + o + 4, len);
		w += len;
		o += 4 + len;
		if (h & 0x80000000u)
			break;
	}
	s->rlen = w;
	memmove(s->in, s->in + off, s->have - off);
	s->have -= off;
	return 1;
}

/* Reads until one record is complete: 1, 0 EOF/reset, -1 timeout. */
static int stream_read(struct stream *s, long deadline)
{
	for (;;) {
		int t = stream_take(s);
		if (t < 0)
			return 0;
		if (t > 0)
			return 1;
		if (grow(&s->in, &s->cap, s->have + 65536))
			return 0;
		if (!rw_wait_fd(s->fd, POLLIN, deadline))
			return -1;
		ssize_t k = recv(s->fd, s->in + s->have, s->cap - s->have, MSG_DONTWAIT);
		if (k == 0)
			return 0;
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return 0;
		}
		s->have += (size_t)k;
	}
}

static int stream_send(struct stream *s, const unsigned char *msg, size_t n, long deadline)
{
	return rw_send_record(s->fd, msg, n, deadline);
}

/* One call on a stream: the reply's record in s->rec: 1, 0 closed, -1 timeout. */
static int stream_call(struct stream *s, const unsigned char *msg, size_t n, uint32_t xid,
		       long timeout)
{
	long deadline = rw_now_ms() + timeout;
	if (stream_send(s, msg, n, deadline))
		return 0;
	for (;;) {
		int r = stream_read(s, deadline);
		if (r <= 0)
			return r;
		if (s->rlen >= 4 && rw_get32(s->rec) == xid)
			return 1;
	}
}

/* One UDP call: reply length in buf, or -1 (no reply, refused). */
static long udp_call(int fd, const unsigned char *msg, size_t n, uint32_t xid, long timeout,
		     unsigned char *buf, size_t cap)
{
	ssize_t k = rw_udp_call(fd, msg, n, xid, rw_now_ms() + timeout, buf, cap);
	return k < 0 ? -1 : (long)k;
}

static uint32_t xid_base; /* set once in main, before any thread */

static uint32_t xid_next(void)
{
	static _Atomic uint32_t seq;
	return xid_base + atomic_fetch_add(&seq, 1);
}

/* ---- DUMP ---- */

struct entry {
	uint32_t prog, vers;
	char netid[32], addr[128], owner[64];
};

struct dump {
	struct entry *e;
	size_t n, cap;
};

static int get_str(const unsigned char *r, size_t n, size_t *o, char *out, size_t cap)
{
	if (*o + 4 > n)
		return -1;
	uint32_t len = rw_get32(r + *o);
	size_t pad = (4 - len % 4) % 4;
	if (len > n - *o - 4 || *o + 4 + len + pad > n)
		return -1;
	size_t k = len < cap - 1 ? len : cap - 1;
	memcpy(out, r + *o + 4, k);
	out[k] = '\0';
	*o += 4 + len + pad;
	return 0;
}

/* RPCBIND v3 DUMP over the local socket or TCP: 0, or -1 (no answer). */
static int do_dump(int tcp, struct dump *d, long timeout)
{
	unsigned char m[64];
	uint32_t xid = xid_next();
	size_t n = call_hdr(m, xid, 3, 4);
	struct stream s;
	d->n = 0;
	int fd = tcp ? tcp_connect() : rw_local_connect(sock_path);
	if (fd < 0)
		return -1;
	stream_init(&s, fd);
	int r = stream_call(&s, m, n, xid, timeout);
	size_t o;
	if (r != 1 || rw_reply_stat(s.rec, s.rlen, xid, &o) != 0) {
		stream_close(&s);
		return -1;
	}
	const unsigned char *p = s.rec;
	size_t len = s.rlen;
	for (;;) {
		if (o + 4 > len)
			goto bad;
		uint32_t more = rw_get32(p + o);
		o += 4;
		if (!more)
			break;
		if (d->n == d->cap) {
			size_t c = d->cap ? d->cap * 2 : 256;
			struct entry *q = realloc(d->e, c * sizeof(*q));
			if (!q)
				goto bad;
			d->e = q;
			d->cap = c;
		}
		struct entry *e = &d->e[d->n];
		if (o + 8 > len)
			goto bad;
		e->prog = rw_get32(p + o);
		e->vers = rw_get32(p + o + 4);
		o += 8;
		if (get_str(p, len, &o, e->netid, sizeof(e->netid)) ||
		    get_str(p, len, &o, e->addr, sizeof(e->addr)) ||
		    get_str(p, len, &o, e->owner, sizeof(e->owner)))
			goto bad;
		d->n++;
	}
	stream_close(&s);
	return 0;
bad:
	stream_close(&s);
	return -1;
}

/* ---- keys ---- */

static const char *key_netid(unsigned k) { return k % 2 ? "tcp" : "udp"; }
static uint32_t key_prot(unsigned k) { return k % 2 ? 6 : 17; }

enum kstate { K_UNKNOWN, K_ABSENT, K_PRESENT };

struct key {
	enum kstate st;
	unsigned port;
	int busy;
	long quarantine_until;
};

/* What a DUMP says about the churn keys: for each, -1 absent, else the port
 * of its (only) registration; *bad counts entries in the key range that
 * cannot belong to a key (wrong version or netid, or a second one). */
static int dump_keys(const struct dump *d, unsigned nkeys, long *port_of, unsigned *bad,
		     FILE *why)
{
	*bad = 0;
	for (unsigned k = 0; k < nkeys; k++)
		port_of[k] = -1;
	for (size_t i = 0; i < d->n; i++) {
		const struct entry *e = &d->e[i];
		if (e->prog < KEY_BASE || e->prog >= KEY_BASE + KEYS_MAX)
			continue;
		unsigned k = e->prog - KEY_BASE;
		unsigned a, b, c, dd, p1, p2;
		char tail;
		if (k >= nkeys || e->vers != 1 || strcmp(e->netid, key_netid(k)) != 0 ||
		    sscanf(e->addr, "%u.%u.%u.%u.%u.%u%c", &a, &b, &c, &dd, &p1, &p2, &tail) != 6 ||
		    port_of[k] >= 0) {
			if (why && *bad < 10)
				fprintf(why, "unexpected entry %u %u %s %s %s\n", e->prog, e->vers,
					e->netid, e->addr, e->owner);
			(*bad)++;
			continue;
		}
		port_of[k] = (long)(p1 * 256 + p2);
	}
	return 0;
}

/* ---- churn ---- */

static struct {
	unsigned nkeys;
	struct key *keys;
	pthread_mutex_t mu;
	pthread_rwlock_t pause;
	FILE *log;
	long t0, deadline, quarantine_ms, timeout_ms;
	long last_check_ms, check_every_ms;
	int false_ok;
	/* counters (under mu) */
	unsigned long calls, ntrue, nfalse, nnoreply, nerr, unexpected, recoveries;
	unsigned long checks, check_skipped, check_failures, checked_keys, max_quarantined;
} G;

/* Set by the signal handler, read by every thread: a lock-free atomic. */
static atomic_int stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, 1);
}

static int stopping(void)
{
	return atomic_load(&stop_flag) || rw_now_ms() >= G.deadline;
}

struct worker {
	int id, local;
	unsigned seed;
	struct stream s; /* local */
	int ufd;         /* udp */
};

static unsigned rnd(unsigned *seed)
{
	/* xorshift32 */
	unsigned x = *seed ? *seed : 2463534242u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*seed = x;
	return x;
}

/* Waits until the server answers a NULL call on this worker's path. 0, or
 * -1 when stopping first. */
static int recover(struct worker *w)
{
	unsigned char m[64], r[512];
	while (!stopping()) {
		uint32_t xid = xid_next();
		size_t n = call_hdr(m, xid, w->local ? 3 : 2, 0);
		if (w->local) {
			if (w->s.fd < 0) {
				int fd = rw_local_connect(sock_path);
				if (fd < 0) {
					rw_sleep_ms(2);
					continue;
				}
				stream_init(&w->s, fd);
			}
			if (stream_call(&w->s, m, n, xid, 200) == 1)
				return 0;
			stream_close(&w->s);
			rw_sleep_ms(2);
		} else {
			long k = udp_call(w->ufd, m, n, xid, 100, r, sizeof(r));
			if (k > 0 && rw_reply_stat(r, (size_t)k, xid, NULL) == 0)
				return 0;
			rw_sleep_ms(2);
		}
	}
	return -1;
}

/* DUMP and compare with the model (every other worker is paused). */
static void check_model(const char *when)
{
	struct dump d = {0};
	long *port_of = calloc(G.nkeys, sizeof(long));
	unsigned bad = 0, fails = 0, n = 0;
	if (!port_of)
		return;
	if (do_dump(0, &d, 2000) != 0) {
		pthread_mutex_lock(&G.mu);
		G.check_skipped++;
		pthread_mutex_unlock(&G.mu);
		free(port_of);
		free(d.e);
		return;
	}
	dump_keys(&d, G.nkeys, port_of, &bad, stderr);
	pthread_mutex_lock(&G.mu);
	for (unsigned k = 0; k < G.nkeys; k++) {
		const struct key *kk = &G.keys[k];
		if (kk->st == K_UNKNOWN)
			continue;
		n++;
		if (kk->st == K_PRESENT && port_of[k] != (long)kk->port) {
			if (fails++ < 10)
				fprintf(stderr, "check %s: key %u should be registered with port %u, %s %ld\n",
					when, k, kk->port, port_of[k] < 0 ? "absent" : "port",
					port_of[k]);
		} else if (kk->st == K_ABSENT && port_of[k] >= 0) {
			if (fails++ < 10)
				fprintf(stderr, "check %s: key %u should be absent, registered with port %ld\n",
					when, k, port_of[k]);
		}
	}
	G.checks++;
	G.checked_keys += n;
	if (fails || bad)
		G.check_failures++;
	pthread_mutex_unlock(&G.mu);
	free(port_of);
	free(d.e);
}

static void *churn_thread(void *arg)
{
	struct worker *w = arg;
	unsigned char m[512], r[512];
	char addr[64];
	while (!stopping()) {
		pthread_rwlock_rdlock(&G.pause);
		long t = rw_now_ms();
		pthread_mutex_lock(&G.mu);
		unsigned start = rnd(&w->seed) % G.nkeys, k = G.nkeys, nq = 0;
		for (unsigned i = 0; i < G.nkeys; i++) {
			unsigned c = (start + i) % G.nkeys;
			if (G.keys[c].quarantine_until > t)
				nq++;
			else if (!G.keys[c].busy && k == G.nkeys)
				k = c;
		}
		if (nq > G.max_quarantined)
			G.max_quarantined = nq;
		if (k == G.nkeys) {
			pthread_mutex_unlock(&G.mu);
			pthread_rwlock_unlock(&G.pause);
			rw_sleep_ms(1);
			continue;
		}
		struct key *kk = &G.keys[k];
		kk->busy = 1;
		enum kstate before = kk->st;
		int set, expect; /* expect: 1 TRUE, 0 FALSE */
		unsigned prt = kk->port;
		unsigned dice = rnd(&w->seed) % 100;
		if (before == K_UNKNOWN) {
			set = 0, expect = 1;
		} else if (before == K_ABSENT) {
			set = 1, expect = 1;
			prt = 1024 + rnd(&w->seed) % 64000;
		} else if (dice < 70) {
			set = 0, expect = 1;
		} else if (dice < 85) {
			set = 1, expect = 1; /* the same registration again */
		} else {
			set = 1, expect = 0; /* another port: refused */
			prt = 1024 + (prt - 1024 + 1 + rnd(&w->seed) % 63000) % 64000;
		}
		pthread_mutex_unlock(&G.mu);

		uint32_t xid = xid_next();
		size_t n;
		int ans = -2; /* -2 no reply, -1 other reply, 0/1 */
		if (w->local) {
			uaddr_of(addr, sizeof(addr), "0.0.0.0", prt);
			n = rpcb_call(m, xid, set ? 1 : 2, KEY_BASE + k, 1, key_netid(k),
				      set ? addr : "");
			if (w->s.fd >= 0 && stream_call(&w->s, m, n, xid, G.timeout_ms) == 1)
				ans = bool_reply(w->s.rec, w->s.rlen, xid);
			else
				stream_close(&w->s);
		} else {
			n = pmap_call(m, xid, set ? 1 : 2, KEY_BASE + k, 1, key_prot(k),
				      set ? prt : 0);
			long got = udp_call(w->ufd, m, n, xid, G.timeout_ms, r, sizeof(r));
			if (got > 0)
				ans = bool_reply(r, (size_t)got, xid);
		}

		t = rw_now_ms();
		pthread_mutex_lock(&G.mu);
		G.calls++;
		const char *res;
		if (ans >= 0) {
			res = ans ? "TRUE" : "FALSE";
			if (ans)
				G.ntrue++;
			else
				G.nfalse++;
			if (ans != expect && !(G.false_ok && !ans)) {
				G.unexpected++;
				if (G.unexpected <= 10)
					fprintf(stderr,
						"unexpected answer: %s %s key %u port %u: %s, the model "
						"says %s (port %u)\n",
						w->local ? "local v3" : "udp v2", set ? "SET" : "UNSET", k,
						prt, res,
						before == K_ABSENT ? "absent" : before == K_PRESENT ? "present" : "unknown",
						kk->port);
			}
			if (ans && set) {
				kk->st = K_PRESENT;
				kk->port = prt;
			} else if (ans && !set) {
				kk->st = K_ABSENT;
			} else if (G.false_ok) {
				/* refused: no change */
			} else if (ans != expect) {
				kk->st = K_UNKNOWN;
			}
		} else {
			res = ans == -1 ? "ERR" : "NOREPLY";
			if (ans == -1)
				G.nerr++;
			else
				G.nnoreply++;
			kk->st = K_UNKNOWN;
			kk->quarantine_until = t + G.quarantine_ms;
		}
		fprintf(G.log, "%ld %c %s %u %u %s\n", t - G.t0, w->local ? 'L' : 'U',
			set ? "SET" : "UNSET", k, prt, res);
		kk->busy = 0;
		pthread_mutex_unlock(&G.mu);
		pthread_rwlock_unlock(&G.pause);

		pthread_mutex_lock(&G.mu);
		int due = G.check_every_ms > 0 && rw_now_ms() - G.last_check_ms >= G.check_every_ms;
		pthread_mutex_unlock(&G.mu);
		if (ans >= 0 && due) {
			pthread_rwlock_wrlock(&G.pause);
			pthread_mutex_lock(&G.mu);
			int need = rw_now_ms() - G.last_check_ms >= G.check_every_ms;
			if (need)
				G.last_check_ms = rw_now_ms();
			pthread_mutex_unlock(&G.mu);
			if (need)
				check_model("periodic");
			pthread_rwlock_unlock(&G.pause);
		}
		if (ans < 0) {
			long failed_at = rw_now_ms();
			if (recover(w) != 0)
				break;
			pthread_rwlock_wrlock(&G.pause);
			pthread_mutex_lock(&G.mu);
			G.recoveries++;
			int need = G.last_check_ms < failed_at;
			if (need)
				G.last_check_ms = rw_now_ms();
			pthread_mutex_unlock(&G.mu);
			if (need)
				check_model("after a restart");
			pthread_rwlock_unlock(&G.pause);
		}
	}
	return NULL;
}

static int cmd_churn(const char *logpath, unsigned nkeys, int nlocal, int nudp, long dur_ms,
		     long quarantine_ms, long timeout_ms, unsigned seed, int false_ok,
		     long check_every_ms)
{
	memset(&G, 0, sizeof(G));
	G.false_ok = false_ok;
	G.check_every_ms = check_every_ms;
	G.nkeys = nkeys;
	G.keys = calloc(nkeys, sizeof(*G.keys));
	G.log = fopen(logpath, "w");
	if (!G.keys || !G.log) {
		fprintf(stderr, "churn: cannot open %s\n", logpath);
		return 2;
	}
	G.quarantine_ms = quarantine_ms;
	G.timeout_ms = timeout_ms;
	pthread_mutex_init(&G.mu, NULL);
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&G.pause, &ra);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	G.t0 = rw_now_ms();
	G.deadline = G.t0 + dur_ms;

	struct worker w[THREADS_MAX];
	pthread_t th[THREADS_MAX];
	int nw = 0;
	for (int i = 0; i < nlocal + nudp && nw < THREADS_MAX; i++, nw++) {
		memset(&w[nw], 0, sizeof(w[nw]));
		w[nw].id = nw;
		w[nw].local = i < nlocal;
		w[nw].seed = seed * 2654435761u + (unsigned)nw * 40503u + 1;
		w[nw].s.fd = -1;
		w[nw].ufd = -1;
		if (!w[nw].local) {
			/* a reserved source port: the caller is "superuser" */
			w[nw].ufd = udp_open(600 + (unsigned)nw);
			if (w[nw].ufd < 0) {
				fprintf(stderr, "churn: UDP socket from port %d: %s\n", 600 + nw,
					strerror(errno));
				return 2;
			}
		}
	}
	/* Wait for the server (bounded by -d), then go. */
	for (int i = 0; i < nw; i++)
		if (recover(&w[i]) != 0) {
			fprintf(stderr, "churn: the server never answered\n");
			return 2;
		}
	for (int i = 0; i < nw; i++)
		pthread_create(&th[i], NULL, churn_thread, &w[i]);
	for (int i = 0; i < nw; i++)
		pthread_join(th[i], NULL);
	/* A last comparison if the server is up. */
	G.last_check_ms = rw_now_ms();
	check_model("at the end");
	long el = rw_now_ms() - G.t0;
	fclose(G.log);
	printf("churn: %ld ms, %lu calls (%.0f/s), %lu TRUE, %lu FALSE, %lu no reply, %lu other; "
	       "%lu unexpected answers; %lu recoveries; %lu model checks (%lu keys compared, "
	       "%lu skipped: no DUMP), %lu failed; at most %lu keys in quarantine\n",
	       el, G.calls, el ? (double)G.calls * 1000.0 / (double)el : 0.0, G.ntrue, G.nfalse,
	       G.nnoreply, G.nerr, G.unexpected, G.recoveries, G.checks, G.checked_keys,
	       G.check_skipped, G.check_failures, G.max_quarantined);
	for (int i = 0; i < nw; i++) {
		stream_close(&w[i].s);
		if (w[i].ufd >= 0)
			close(w[i].ufd);
	}
	free(G.keys);
	return G.unexpected || G.check_failures ? 1 : 0;
}

/* ---- verify (from the log) ---- */

static int cmd_verify(const char *logpath, unsigned nkeys, int tcp)
{
	FILE *f = fopen(logpath, "r");
	if (!f) {
		fprintf(stderr, "verify: cannot open %s\n", logpath);
		return 2;
	}
	/* last call per key: 0 none, 1 SET TRUE, 2 UNSET TRUE, 3 other */
	int *last = calloc(nkeys, sizeof(int));
	unsigned *lport = calloc(nkeys, sizeof(unsigned));
	long *port_of = calloc(nkeys, sizeof(long));
	if (!last || !lport || !port_of)
		return 2;
	char line[256], path, op[16], res[16];
	long t;
	unsigned k, p, lines = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%ld %c %15s %u %u %15s", &t, &path, op, &k, &p, res) != 6 ||
		    k >= nkeys) {
			fprintf(stderr, "verify: bad log line: %s", line);
			fclose(f);
			return 2;
		}
		lines++;
		if (strcmp(res, "TRUE") == 0)
			last[k] = strcmp(op, "SET") == 0 ? 1 : 2;
		else
			last[k] = 3;
		lport[k] = p;
	}
	fclose(f);
	struct dump d = {0};
	if (do_dump(tcp, &d, 5000) != 0) {
		printf("FAIL: verify: no answer to DUMP over %s\n", tcp ? "tcp" : "local");
		return 1;
	}
	unsigned bad = 0, fails = 0, present = 0, absent = 0, indet = 0, untouched = 0;
	dump_keys(&d, nkeys, port_of, &bad, stdout);
	for (k = 0; k < nkeys; k++) {
		switch (last[k]) {
		case 0:
			untouched++;
			break;
		case 1:
			if (port_of[k] != (long)lport[k]) {
				if (fails++ < 10)
					printf("  key %u: last call SET port %u answered TRUE, DUMP has %s %ld\n",
					       k, lport[k], port_of[k] < 0 ? "nothing" : "port",
					       port_of[k]);
			} else {
				present++;
			}
			break;
		case 2:
			if (port_of[k] >= 0) {
				if (fails++ < 10)
					printf("  key %u: last call UNSET answered TRUE, DUMP has port %ld\n",
					       k, port_of[k]);
			} else {
				absent++;
			}
			break;
		default:
			indet++;
		}
	}
	printf("%s: verify over %s: %u calls logged; %u keys registered as acknowledged, %u absent "
	       "as acknowledged, %u indeterminate (last call unanswered or FALSE), %u untouched; "
	       "%u wrong, %u stray entries\n",
	       fails || bad ? "FAIL" : "PASS", tcp ? "tcp" : "local", lines, present, absent,
	       indet, untouched, fails, bad);
	free(d.e);
	free(last);
	free(lport);
	free(port_of);
	return fails || bad ? 1 : 0;
}

static int cmd_dump(int tcp)
{
	struct dump d = {0};
	if (do_dump(tcp, &d, 5000) != 0) {
		fprintf(stderr, "dump: no answer\n");
		return 1;
	}
	for (size_t i = 0; i < d.n; i++)
		printf("%u %u %s %s %s\n", d.e[i].prog, d.e[i].vers, d.e[i].netid,
		       d.e[i].addr[0] ? d.e[i].addr : "-", d.e[i].owner[0] ? d.e[i].owner : "-");
	free(d.e);
	return 0;
}

/* ---- bench and load (pipelined) ---- */

struct pipe_job {
	int udp, id;
	unsigned window;
	unsigned long ops; /* calls to make */
	uint32_t base;     /* first program */
	unsigned keys;     /* distinct keys cycled through */
	int load;          /* load: SETs of base+i, never cycled */
	/* results */
	unsigned long done, ntrue, nfalse, lost, other;
	int error;
};

/* The call number i of a job: SET or UNSET of key i % keys, alternating by
 * pass (so each is a real change), or for load SET of base + i. */
static size_t job_call(const struct pipe_job *j, unsigned long i, uint32_t xid,
		       unsigned char *m)
{
	char addr[64];
	if (j->load) {
		unsigned prt = 1024 + (unsigned)(i % 60000);
		uaddr_of(addr, sizeof(addr), "127.0.0.1", prt);
		return rpcb_call(m, xid, 1, j->base + (uint32_t)i, 1, "tcp", addr);
	}
	unsigned k = (unsigned)(i % j->keys);
	int set = (i / j->keys) % 2 == 0;
	unsigned prt = 2000 + k % 60000;
	if (j->udp)
		return pmap_call(m, xid, set ? 1 : 2, j->base + k, 1, 17, set ? prt : 0);
	uaddr_of(addr, sizeof(addr), "0.0.0.0", prt);
	return rpcb_call(m, xid, set ? 1 : 2, j->base + k, 1, "udp", set ? addr : "");
}

static void job_answer(struct pipe_job *j, const unsigned char *r, size_t n, uint32_t xid)
{
	int b = bool_reply(r, n, xid);
	if (b == 1)
		j->ntrue++;
	else if (b == 0)
		j->nfalse++;
	else
		j->other++;
	j->done++;
}

static void *pipe_stream(void *arg)
{
	struct pipe_job *j = arg;
	struct stream s;
	int fd = rw_local_connect(sock_path);
	if (fd < 0) {
		j->error = errno;
		return NULL;
	}
	stream_init(&s, fd);
	uint32_t xbase = xid_next() & 0xff000000u;
	xbase += (uint32_t)j->id << 24;
	unsigned char *out = malloc((size_t)j->window * 520);
	unsigned long sent = 0;
	long deadline = rw_now_ms() + 10000;
	while (j->done < j->ops) {
		size_t olen = 0;
		while (sent < j->ops && sent - j->done < j->window) {
			size_t n = job_call(j, sent, xbase + (uint32_t)sent, out + olen + 4);
			rw_put32(out + olen, 0x80000000u | (uint32_t)n);
			olen += 4 + n;
			sent++;
		}
		if (olen && rw_write_all(s.fd, out, olen, rw_now_ms() + 10000)) {
			j->error = EPIPE;
			break;
		}
		int r = stream_read(&s, deadline);
		if (r <= 0) {
			j->error = r == 0 ? ECONNRESET : ETIMEDOUT;
			break;
		}
		deadline = rw_now_ms() + 10000;
		uint32_t x = s.rlen >= 4 ? rw_get32(s.rec) : 0;
		job_answer(j, s.rec, s.rlen, x);
		/* take every other complete record already buffered */
		while (stream_take(&s) == 1) {
			x = s.rlen >= 4 ? rw_get32(s.rec) : 0;
			job_answer(j, s.rec, s.rlen, x);
		}
	}
	free(out);
	stream_close(&s);
	return NULL;
}

static void *pipe_udp(void *arg)
{
	struct pipe_job *j = arg;
	int fd = udp_open(700 + (unsigned)j->id);
	if (fd < 0) {
		j->error = errno;
		return NULL;
	}
	uint32_t xbase = (xid_next() & 0xff000000u) + ((uint32_t)j->id << 24);
	long *sent_at = calloc(j->window, sizeof(long));
	unsigned long *slot_call = calloc(j->window, sizeof(unsigned long));
	unsigned char m[512], r[512];
	unsigned long sent = 0, outstanding = 0;
	/* slot = call % window; a slot is busy while its call is unanswered */
	char *busy = calloc(j->window, 1);
	while (j->done < j->ops) {
		while (sent < j->ops && outstanding < j->window && !busy[sent % j->window]) {
			size_t n = job_call(j, sent, xbase + (uint32_t)sent, m);
			if (send(fd, m, n, 0) < 0)
				break;
			busy[sent % j->window] = 1;
			slot_call[sent % j->window] = sent;
			sent_at[sent % j->window] = rw_now_ms();
			outstanding++;
			sent++;
		}
		if (!rw_wait_fd(fd, POLLIN, rw_now_ms() + 200)) {
			/* expire calls without an answer for 1 s: lost */
			long t = rw_now_ms();
			for (unsigned i = 0; i < j->window; i++)
				if (busy[i] && t - sent_at[i] > 1000) {
					busy[i] = 0;
					outstanding--;
					j->lost++;
					j->done++;
				}
			continue;
		}
		for (;;) {
			ssize_t k = recv(fd, r, sizeof(r), MSG_DONTWAIT);
			if (k < 0)
				break;
			if (k < 4)
				continue;
			uint32_t x = rw_get32(r);
			unsigned long c = (unsigned long)(x - xbase);
			if (c >= sent || !busy[c % j->window] || slot_call[c % j->window] != c)
				continue;
			busy[c % j->window] = 0;
			outstanding--;
			job_answer(j, r, (size_t)k, x);
		}
	}
	free(busy);
	free(sent_at);
	free(slot_call);
	close(fd);
	return NULL;
}

static int run_jobs(struct pipe_job *jobs, int n, double *secs)
{
	pthread_t th[THREADS_MAX];
	double t0 = now_s();
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, jobs[i].udp ? pipe_udp : pipe_stream, &jobs[i]);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	*secs = now_s() - t0;
	for (int i = 0; i < n; i++)
		if (jobs[i].error) {
			fprintf(stderr, "job %d: %s\n", i, strerror(jobs[i].error));
			return -1;
		}
	return 0;
}

static int cmd_bench(int udp, int conns, unsigned window, unsigned long ops)
{
	struct pipe_job jobs[THREADS_MAX];
	if (conns < 1 || conns > THREADS_MAX || window < 1 || window > 4096)
		return 2;
	unsigned keys = window * 4;
	unsigned long per = ops / (unsigned long)conns;
	per = (per + 2 * keys - 1) / (2 * keys) * (2 * keys); /* every key ends unset */
	for (int i = 0; i < conns; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].udp = udp;
		jobs[i].id = i;
		jobs[i].window = window;
		jobs[i].ops = per;
		jobs[i].keys = keys;
		jobs[i].base = BENCH_BASE + (uint32_t)i * 0x10000u;
	}
	double secs;
	int r = run_jobs(jobs, conns, &secs);
	unsigned long done = 0, t = 0, f = 0, lost = 0, other = 0;
	for (int i = 0; i < conns; i++) {
		done += jobs[i].done;
		t += jobs[i].ntrue;
		f += jobs[i].nfalse;
		lost += jobs[i].lost;
		other += jobs[i].other;
	}
	printf("bench %s: %d x %u in flight: %lu SET/UNSET in %.3f s = %.0f/s (TRUE %lu, FALSE %lu, "
	       "no answer %lu, other %lu)\n",
	       udp ? "udp (PMAP v2)" : "local (RPCBIND v3)", conns, window, done, secs,
	       (double)done / secs, t, f, lost, other);
	/* A UDP datagram lost under load is no failure of the server. */
	return r || other ? 1 : 0;
}

static int cmd_load(unsigned long n, unsigned window, unsigned long offset)
{
	struct pipe_job j;
	memset(&j, 0, sizeof(j));
	j.window = window;
	j.ops = n;
	j.load = 1;
	j.base = LOAD_BASE + (uint32_t)offset;
	double secs;
	int r = run_jobs(&j, 1, &secs);
	printf("load: %lu SETs over the local socket in %.3f s = %.0f/s (TRUE %lu, FALSE %lu, other "
	       "%lu)\n",
	       j.done, secs, (double)j.done / secs, j.ntrue, j.nfalse, j.other);
	return r || j.ntrue != n ? 1 : 0;
}

static int usage(void)
{
	fputs("usage: rb_e2e_churn churn|verify|dump|bench|load [options] (see the source)\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1], *logpath = NULL, *transport = "local";
	unsigned long nkeys = 400, n = 100000, offset = 0, window = 64, seed = 1;
	long dur = 60000, quarantine = 5000, timeout = 300;
	int nlocal = 2, nudp = 2, conns = 1, false_ok = 0, opt;
	long check_every = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	xid_base = (uint32_t)getpid() << 16 ^ (uint32_t)time(NULL);
	optind = 2;
	while ((opt = getopt(argc, argv, "p:S:l:k:L:U:d:q:t:s:T:c:w:n:o:FC:")) != -1) {
		switch (opt) {
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'S': snprintf(sock_path, sizeof(sock_path), "%s", optarg); break;
		case 'l': logpath = optarg; break;
		case 'k': nkeys = strtoul(optarg, NULL, 10); break;
		case 'L': nlocal = atoi(optarg); break;
		case 'U': nudp = atoi(optarg); break;
		case 'd': dur = atol(optarg); break;
		case 'q': quarantine = atol(optarg); break;
		case 't': timeout = atol(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 10); break;
		case 'T': transport = optarg; break;
		case 'c': conns = atoi(optarg); break;
		case 'w': window = strtoul(optarg, NULL, 10); break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'o': offset = strtoul(optarg, NULL, 10); break;
		case 'F': false_ok = 1; break;
		case 'C': check_every = atol(optarg); break;
		default: return usage();
		}
	}
	if (nkeys < 1 || nkeys > KEYS_MAX || nlocal < 0 || nudp < 0 || nlocal + nudp < 1 ||
	    nlocal + nudp > THREADS_MAX || window < 1 || window > 4096)
		return usage();
	int tcp = strcmp(transport, "tcp") == 0;
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "churn") == 0) {
		if (!logpath)
			return usage();
		return cmd_churn(logpath, (unsigned)nkeys, nlocal, nudp, dur, quarantine, timeout,
				 (unsigned)seed, false_ok, check_every);
	}
	if (strcmp(cmd, "verify") == 0)
		return logpath ? cmd_verify(logpath, (unsigned)nkeys, tcp) : usage();
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(tcp);
	if (strcmp(cmd, "bench") == 0)
		return cmd_bench(strcmp(transport, "udp") == 0, conns, (unsigned)window, n);
	if (strcmp(cmd, "load") == 0)
		return cmd_load(n, (unsigned)window, offset);
	return usage();
}
