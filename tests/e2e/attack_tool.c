/* rb_e2e_attack: the attack suite's load and measurement helper
 * (tests/e2e/t_attack_*.sh). Talks to a port mapper over UDP and TCP.
 *
 *   rb_e2e_attack [-d DST] [-s SRC] [-p PORT] [-P SERVER_PID] [-L PROG]
 *                 CHECK [ARGS...]
 *
 *   -d DST   the server's IPv4 address (default 127.0.0.1)
 *   -s SRC   bind this source address first (the non-local source)
 *   -P PID   the server's PID: RSS, fds and CPU time are read from /proc
 *   -L PROG  a program registered (version 1, netid udp) with a long
 *            address, for the amplification mix
 *
 * CHECKs (each bounded in count and time; one PASS/FAIL line per check,
 * "  .. " lines for figures):
 *   null                 UDP NULL and TCP NULL (new connection) within 1 s
 *   rpcbomb N            N CVE-2017-8779 datagrams, 32 in flight: each
 *                        answered GARBAGE_ARGS; every 1,000th also alone
 *   tcprandom CONNS KB   CONNS connections at once send KB KiB of
 *                        /dev/urandom bytes: each is dropped
 *   bighdr N             N connections send a record header claiming
 *                        2^31-1 bytes: each dropped within 1 s, no reply;
 *                        some go on writing: nothing more is taken in
 *   idle N               UDP GETPORT latency (p50/p99) before and while N
 *                        TCP connections (each served once) are held
 *   maxconn CAP EXTRA    CAP connections served, then EXTRA more each
 *                        accepted and closed at once; UDP answered
 *                        meanwhile; server CPU over the period
 *   pipeline BOUND_MS    a client pipelines DUMPs and never reads: it is
 *                        dropped within BOUND_MS of blocking, while
 *                        another client's UDP and TCP lookups are answered
 *   unknown N            N lookups (GETPORT / v3 GETADDR / v4 GETADDR) of
 *                        N distinct unregistered programs: all answered;
 *                        GETSTAT no larger after; the server's CPU time a
 *                        lookup (best of 3 x 2,000, with -P) within 1.5x
 *   amp error|drop|full  a mix of calls over UDP: bytes in vs bytes out;
 *                        DUMP/GETSTAT/GETADDRLIST answered SYSTEM_ERR
 *                        (error), nothing (drop) or in full (full)
 *   dumptcp              DUMP v2/v3/v4 over TCP answered in full
 *   rrl N LO HI          N GETPORTs as fast as allowed: between LO and HI
 *                        answered; 1.1 s later one is answered again
 *   window N             N GETPORTs, 32 in flight: all answered
 *   warm                 not a check: some UDP and TCP traffic that touches
 *                        the server's buffer pools before an RSS baseline
 *
 * Exit status: the number of failures (capped at 100); 2 on bad usage. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpcwire.h"
#include "verdict.h"

#define ST_NONE (-1)
#define ST_CLOSED (-3)
#define ST_RPC_MISMATCH 200
#define ST_AUTH 100 /* + auth_stat */

enum { SUCCESS = 0, PROG_UNAVAIL, PROG_MISMATCH, PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR };

static int failures;
static const char *dst = "127.0.0.1", *src;
static unsigned port = 111;
static long server_pid = -1;
static uint32_t long_prog;
static uint32_t xid_seq = 0xa7000000u;

__attribute__((format(printf, 2, 3))) static void check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failures += vd_vcheck(ok, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
	va_list ap;
	printf("  .. ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* ---- calls ---- */

/* An AUTH_NONE call header (40 bytes). */
static void hdr(struct rw_msg *m, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc)
{
	m->n = rw_call_hdr(m->b, xid, prog, vers, proc);
}

static void getport(struct rw_msg *m, uint32_t xid, uint32_t prog)
{
	hdr(m, xid, 100000, 2, 3);
	rw_msg32(m, prog);
	rw_msg32(m, 2);
	rw_msg32(m, 17);
	rw_msg32(m, 0);
}

/* v3/v4 GETADDR-style arguments: an rpcb. */
static void rpcb_call(struct rw_msg *m, uint32_t xid, uint32_t vers, uint32_t proc, uint32_t prog,
		      uint32_t pv, const char *netid, const char *addr, const char *owner)
{
	hdr(m, xid, 100000, vers, proc);
	rw_msg32(m, prog);
	rw_msg32(m, pv);
	rw_msg_str(m, netid);
	rw_msg_str(m, addr);
	rw_msg_str(m, owner);
}

static void rpcbomb(struct rw_msg *m, uint32_t xid)
{
	hdr(m, xid, 100000, 4, 9);
	rw_msg32(m, 100000);
	rw_msg32(m, 4);
	rw_msg_str(m, "udp");
	rw_msg32(m, 1000000); /* r_addr: 1,000,000 bytes, none follow */
}

/* Accept status (0..5), ST_AUTH + auth_stat, ST_RPC_MISMATCH, or ST_NONE
 * (not a reply to xid). */
static int classify(const uint8_t *r, size_t n, uint32_t xid)
{
	if (n < 12 || rw_get32(r) != xid || rw_get32(r + 4) != 1)
		return ST_NONE;
	if (rw_get32(r + 8) == 1) {
		if (n >= 16 && rw_get32(r + 12) == 0)
			return ST_RPC_MISMATCH;
		if (n >= 20 && rw_get32(r + 12) == 1)
			return ST_AUTH + (int)rw_get32(r + 16);
		return ST_NONE;
	}
	uint32_t st;
	return rw_accepted(r, n, &st, NULL) ? ST_NONE : (int)st;
}

static const char *stname(int st)
{
	static char b[32];
	static const char *acc[] = {"SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH",
				    "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"};
	if (st >= 0 && st <= 5)
		return acc[st];
	if (st == ST_NONE)
		return "NOREPLY";
	if (st == ST_CLOSED)
		return "CLOSED";
	if (st == ST_RPC_MISMATCH)
		return "RPC_MISMATCH";
	if (st >= ST_AUTH && st < ST_AUTH + 20) {
		snprintf(b, sizeof(b), "AUTH_ERROR:%d", st - ST_AUTH);
		return b;
	}
	snprintf(b, sizeof(b), "STAT:%d", st);
	return b;
}

/* ---- sockets ---- */

static int addr_of(const char *a, unsigned p, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)p);
	return inet_pton(AF_INET, a, &sa->sin_addr) == 1 ? 0 : -1;
}

/* rcvbuf > 0: a small receive buffer, set before the handshake. */
static int mk_sock(int type, int nonblock, int rcvbuf)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (src) {
		if (addr_of(src, 0, &sa) || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	}
	if (addr_of(dst, port, &sa))
		goto fail;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int mk_udp(void)
{
	return mk_sock(SOCK_DGRAM, 0, 0);
}

static int mk_tcp(void)
{
	return mk_sock(SOCK_STREAM, 0, 0);
}

/* One UDP call: status; the reply (up to cap bytes) in r, its size in *rn,
 * the round trip in *lat_us. */
static int udp_call(int fd, const struct rw_msg *m, long ms, uint8_t *r, size_t cap, size_t *rn,
		    long long *lat_us)
{
	uint8_t tmp[9000];
	if (!r) {
		r = tmp;
		cap = sizeof(tmp);
	}
	uint32_t xid = rw_get32(m->b);
	long long t0 = now_us();
	ssize_t k = rw_udp_call(fd, m->b, m->n, xid, rw_now_ms() + ms, r, cap);
	int st = k < 0 ? ST_NONE : classify(r, (size_t)k, xid);
	if (st == ST_NONE)
		return ST_NONE;
	if (rn)
		*rn = (size_t)k;
	if (lat_us)
		*lat_us = now_us() - t0;
	return st;
}

/* A record-marked call on a stream; reads one whole reply record (up to
 * cap bytes kept; *rn its full size). */
static int tcp_call(int fd, const struct rw_msg *m, long ms, uint8_t *r, size_t cap, size_t *rn)
{
	uint8_t tmp[512];
	size_t total = 0;
	if (!r) {
		r = tmp;
		cap = sizeof(tmp);
	}
	long deadline = rw_now_ms() + ms;
	if (rw_send_record(fd, m->b, m->n, deadline))
		return ST_CLOSED;
	int e = rw_read_record(fd, r, cap, &total, deadline);
	if (e)
		return e == -ETIMEDOUT ? ST_NONE : ST_CLOSED;
	if (rn)
		*rn = total;
	return classify(r, total < cap ? total : cap, rw_get32(m->b));
}

/* The TCP state of fd (TCP_ESTABLISHED while the peer has not ended it). */
static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0)
		return -1;
	return ti.tcpi_state;
}

/* ---- the server, from /proc ---- */

static long rss_kb(void)
{
	return vd_rss_kb(server_pid);
}

static long fd_count(void)
{
	char path[64];
	long n = 0;
	if (server_pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/fd", server_pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* utime + stime of the whole process, in ms (-1 when unknown). */
static long cpu_ms(void)
{
	char buf[1024];
	FILE *f = vd_proc_open(server_pid, "stat");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long ut = 0, st = 0;
	/* after ')': state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

/* Time on a CPU of all the server's threads, in ns (the first field of
 * each /proc/PID/task/TID/schedstat), or -1. */
static long long cpu_ns(void)
{
	char path[96], buf[128];
	long long total = 0;
	int n = 0;
	if (server_pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/task", server_pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%.20s/schedstat", server_pid, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		long long ns;
		if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%lld", &ns) == 1) {
			total += ns;
			n++;
		}
		fclose(f);
	}
	closedir(d);
	return n ? total : -1;
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (rl.rlim_max < want)
			rl.rlim_max = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
}

/* ---- windowed UDP floods ---- */

/* A flood of n calls on one UDP socket, `window` in flight, call i under
 * xid base + i: the shape rpcbomb, unknown and window share. */
struct flood {
	long n, window, limit_ms;
	uint32_t base;
	/* builds call i in m */
	void (*call)(void *ctx, struct rw_msg *m, uint32_t xid, long i);
	/* after each send (sent calls so far); may be NULL */
	void (*sent)(void *ctx, long sent);
	/* the first reply (k bytes) to the call under xid */
	void (*reply)(void *ctx, const uint8_t *r, size_t k, uint32_t xid);
	void *ctx;
};

struct flood_count {
	long sent, got, lost;
};

/* Sends while fewer than the window are out. */
static void flood_send(const struct flood *f, int fd, struct flood_count *c)
{
	struct rw_msg m;
	while (c->sent < f->n && c->sent - c->got - c->lost < f->window) {
		f->call(f->ctx, &m, f->base + (uint32_t)c->sent, c->sent);
		if (send(fd, m.b, m.n, 0) < 0)
			c->lost++;
		c->sent++;
		if (f->sent)
			f->sent(f->ctx, c->sent);
	}
}

/* Takes in every reply waiting; the first to each call is counted. */
static void flood_recv(const struct flood *f, int fd, uint8_t *seen, struct flood_count *c)
{
	uint8_t r[9000];
	for (;;) {
		ssize_t k = recv(fd, r, sizeof(r), MSG_DONTWAIT);
		if (k < 0)
			break;
		if (k < 4)
			continue;
		uint32_t i = rw_get32(r) - f->base;
		if (i >= (uint32_t)c->sent || seen[i])
			continue;
		seen[i] = 1;
		c->got++;
		f->reply(f->ctx, r, (size_t)k, f->base + i);
	}
}

/* Runs the flood until every call is answered or lost (nothing for 1 s:
 * the rest is lost), or limit_ms. seen: n bytes, zeroed. */
static struct flood_count flood_run(const struct flood *f, int fd, uint8_t *seen)
{
	struct flood_count c = {0, 0, 0};
	long deadline = rw_now_ms() + f->limit_ms;
	while ((c.sent < f->n || c.got + c.lost < c.sent) && rw_now_ms() < deadline) {
		flood_send(f, fd, &c);
		if (!rw_wait_fd(fd, POLLIN, rw_now_ms() + 1000)) {
			c.lost = c.sent - c.got;
			continue;
		}
		flood_recv(f, fd, seen, &c);
	}
	return c;
}

/* ---- checks ---- */

static void cmd_null(void)
{
	struct rw_msg m;
	long long lat = 0;
	int fd = mk_udp();
	hdr(&m, ++xid_seq, 100000, 2, 0);
	int st = fd >= 0 ? udp_call(fd, &m, 1000, NULL, 0, NULL, &lat) : ST_NONE;
	if (fd >= 0)
		close(fd);
	check(st == SUCCESS, "UDP NULL to %s answered within 1 s: %s (%lld us)", dst, stname(st),
	      lat);
	long long t0 = now_us();
	fd = mk_tcp();
	hdr(&m, ++xid_seq, 100000, 4, 0);
	st = fd >= 0 ? tcp_call(fd, &m, 1000, NULL, 0, NULL) : ST_NONE;
	if (fd >= 0)
		close(fd);
	check(st == SUCCESS, "TCP NULL to %s on a new connection answered within 1 s: %s (%lld us)",
	      dst, stname(st), now_us() - t0);
}

struct bomb_ctx {
	int sfd;
	long garbage, other, badsize, samples, sample_ok;
};

static void bomb_call(void *ctx, struct rw_msg *m, uint32_t xid, long i)
{
	(void)ctx;
	(void)i;
	rpcbomb(m, xid);
}

/* Every 1,000th: the sample, one bomb alone on its own socket. */
static void bomb_sent(void *ctx, long sent)
{
	struct bomb_ctx *b = ctx;
	struct rw_msg m;
	if (sent % 1000)
		return;
	rpcbomb(&m, ++xid_seq);
	b->samples++;
	if (udp_call(b->sfd, &m, 1000, NULL, 0, NULL, NULL) == GARBAGE_ARGS)
		b->sample_ok++;
}

static void bomb_reply(void *ctx, const uint8_t *r, size_t k, uint32_t xid)
{
	struct bomb_ctx *b = ctx;
	if (classify(r, k, xid) == GARBAGE_ARGS)
		b->garbage++;
	else
		b->other++;
	if (k != 24)
		b->badsize++;
}

static void cmd_rpcbomb(long n)
{
	uint8_t *seen = calloc((size_t)n, 1);
	int fd = mk_udp();
	struct bomb_ctx b = {.sfd = mk_udp()};
	if (!seen || fd < 0 || b.sfd < 0) {
		check(0, "rpcbomb: setup");
		return;
	}
	const struct flood f = {n, 32, 60000, 0xb0000000u, bomb_call, bomb_sent, bomb_reply, &b};
	long t0 = rw_now_ms();
	struct flood_count c = flood_run(&f, fd, seen);
	long ms = rw_now_ms() - t0;
	check(c.sent == n && b.garbage == n,
	      "rpcbomb: %ld of %ld UDP bombs (60 bytes, r_addr claiming 1,000,000) answered GARBAGE_ARGS (%ld other, %ld unanswered) in %ld ms",
	      b.garbage, n, b.other, c.sent - c.got, ms);
	check(b.badsize == 0, "rpcbomb: every reply is 24 bytes (%ld were not)", b.badsize);
	check(b.samples > 0 && b.sample_ok == b.samples,
	      "rpcbomb: sample of %ld bombs sent alone: %ld answered GARBAGE_ARGS", b.samples,
	      b.sample_ok);
	close(fd);
	close(b.sfd);
	free(seen);
}

static void cmd_tcprandom(int conns, long kb)
{
	size_t bytes = (size_t)kb * 1024;
	uint8_t *rnd = malloc(bytes + 64);
	int *fd = calloc((size_t)conns, sizeof(int));
	size_t *off = calloc((size_t)conns, sizeof(size_t));
	size_t *in = calloc((size_t)conns, sizeof(size_t));
	long *closed_at = calloc((size_t)conns, sizeof(long));
	int u = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (!rnd || !fd || !off || !in || !closed_at || u < 0) {
		check(0, "tcprandom: setup");
		return;
	}
	size_t have = 0;
	while (have < bytes + 64) {
		ssize_t k = read(u, rnd + have, bytes + 64 - have);
		if (k <= 0)
			break;
		have += (size_t)k;
	}
	close(u);
	long t0 = rw_now_ms();
	int opened = 0;
	for (int i = 0; i < conns; i++) {
		fd[i] = mk_sock(SOCK_STREAM, 1, 0);
		if (fd[i] >= 0)
			opened++;
	}
	/* Each connection sends its own slice: some start with a well-formed
	 * record header (8,996 bytes, last fragment) or a plausible call
	 * header, the rest are random from the first byte. */
	uint8_t *buf = malloc((size_t)conns * (bytes + 64));
	if (!buf) {
		check(0, "tcprandom: setup");
		return;
	}
	for (int i = 0; i < conns; i++) {
		uint8_t *b = buf + (size_t)i * (bytes + 64);
		for (size_t j = 0; j < bytes; j++)
			b[j] = rnd[(j + (size_t)i * 7919) % bytes] ^ (uint8_t)(i * 31);
		if (i % 4 == 1)
			rw_put32(b, 0x80000000u | 8996u);
		if (i % 4 == 2) {
			rw_put32(b, 0x80000000u | 8996u);
			rw_put32(b + 8, 0); /* CALL */
			rw_put32(b + 12, 2);
			rw_put32(b + 16, 100000);
			rw_put32(b + 20, 2 + (uint32_t)i % 3);
		}
	}
	int open_n = opened, dropped = 0;
	size_t replies = 0, max_in = 0;
	long deadline = t0 + 5000;
	while (open_n > 0 && rw_now_ms() < deadline) {
		struct pollfd pf[256];
		int map[256], np = 0;
		for (int i = 0; i < conns && np < 256; i++) {
			if (fd[i] < 0 || closed_at[i])
				continue;
			pf[np].fd = fd[i];
			pf[np].events = POLLIN | (off[i] < bytes ? POLLOUT : 0);
			pf[np].revents = 0;
			map[np++] = i;
		}
		if (poll(pf, (nfds_t)np, 100) <= 0)
			continue;
		for (int j = 0; j < np; j++) {
			int i = map[j];
			uint8_t *b = buf + (size_t)i * (bytes + 64);
			int gone = 0;
			if (pf[j].revents & POLLOUT) {
				ssize_t k = send(fd[i], b + off[i], bytes - off[i] > 65536 ? 65536 : bytes - off[i],
						 MSG_NOSIGNAL | MSG_DONTWAIT);
				if (k > 0)
					off[i] += (size_t)k;
				else if (k < 0 && errno != EAGAIN && errno != EINTR)
					gone = 1;
			}
			if (pf[j].revents & (POLLIN | POLLHUP | POLLERR)) {
				uint8_t tmp[4096];
				ssize_t k = recv(fd[i], tmp, sizeof(tmp), MSG_DONTWAIT);
				if (k > 0)
					replies += (size_t)k;
				else if (k == 0 || (errno != EAGAIN && errno != EINTR))
					gone = 1;
			}
			if (gone) {
				closed_at[i] = rw_now_ms();
				in[i] = off[i];
				if (off[i] > max_in)
					max_in = off[i];
				dropped++;
				open_n--;
			}
		}
	}
	long worst = 0;
	for (int i = 0; i < conns; i++)
		if (closed_at[i] && closed_at[i] - t0 > worst)
			worst = closed_at[i] - t0;
	check(opened == conns && dropped == conns,
	      "tcprandom: %d of %d connections sending %ld KiB of random bytes each were dropped (the last after %ld ms; at most %zu bytes taken in first, %zu reply bytes)",
	      dropped, conns, kb, worst, max_in, replies);
	for (int i = 0; i < conns; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	free(buf);
	free(rnd);
	free(fd);
	free(off);
	free(in);
	free(closed_at);
}

static void cmd_bighdr(int n)
{
	uint8_t b[65536];
	int dropped = 0, replied = 0, cont_dropped = 0, cont_n = 0;
	long worst = 0;
	size_t cont_max = 0;
	memset(b, 0, sizeof(b));
	long end = rw_now_ms() + 20000;
	for (int i = 0; i < n && rw_now_ms() < end; i++) {
		int fd = mk_tcp();
		if (fd < 0)
			continue;
		rw_put32(b, 0x7fffffffu); /* not the last fragment, 2^31-1 bytes */
		/* some send a call header after it */
		size_t len = i % 2 ? 64 : 4;
		if (i % 2) {
			rw_put32(b + 4, 0x1234u);
			rw_put32(b + 12, 2);
			rw_put32(b + 16, 100000);
		}
		long t0 = rw_now_ms();
		size_t got = 0;
		int closed = rw_write_all(fd, b, len, t0 + 1000) == 0 ?
				     rw_wait_closed(fd, rw_now_ms() + 1000, &got) : 1;
		long ms = rw_now_ms() - t0;
		if (closed)
			dropped++;
		if (got)
			replied++;
		if (ms > worst)
			worst = ms;
		close(fd);
	}
	check(dropped == n && replied == 0,
	      "bighdr: %d of %d connections sending a header claiming 2^31-1 bytes dropped within 1 s (slowest %ld ms), %d got reply bytes",
	      dropped, n, worst, replied);
	/* Those that go on writing: the server takes in nothing more than
	 * the kernel's socket buffers hold before the reset. */
	for (int i = 0; i < 5; i++) {
		int fd = mk_sock(SOCK_STREAM, 1, 0);
		if (fd < 0 || !rw_wait_fd(fd, POLLOUT, rw_now_ms() + 1000)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		cont_n++;
		rw_put32(b, 0x7fffffffu);
		size_t sent = 0;
		long t0 = rw_now_ms();
		int gone = 0;
		while (!gone && rw_now_ms() - t0 < 2000 && sent < (64u << 20)) {
			ssize_t k = send(fd, b, sizeof(b), MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k > 0) {
				sent += (size_t)k;
				rw_put32(b, 0);
			} else if (k < 0 && errno != EAGAIN && errno != EINTR) {
				gone = 1;
			} else {
				rw_wait_fd(fd, POLLOUT, rw_now_ms() + 20);
			}
			if (tcp_state(fd) != TCP_ESTABLISHED)
				gone = 1;
		}
		if (gone && rw_now_ms() - t0 <= 1000)
			cont_dropped++;
		if (sent > cont_max)
			cont_max = sent;
		close(fd);
	}
	check(cont_n == 5 && cont_dropped == cont_n,
	      "bighdr: %d of %d connections that go on writing after the header were dropped within 1 s (at most %zu bytes taken by the kernel first)",
	      cont_dropped, cont_n, cont_max);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* n sequential UDP GETPORTs of program 100000: p50/p99 in us; misses. */
static int latency(int n, long long *p50, long long *p99, long long *pmax)
{
	long long *lat = calloc((size_t)n, sizeof(long long));
	int fd = mk_udp(), ok = 0, missed = 0;
	long deadline = rw_now_ms() + 20000;
	struct rw_msg m;
	for (int i = 0; i < n && fd >= 0; i++) {
		if (rw_now_ms() > deadline) {
			missed += n - i; /* out of time: the rest count as missed */
			break;
		}
		getport(&m, ++xid_seq, 100000);
		long long l = 0;
		if (udp_call(fd, &m, 1000, NULL, 0, NULL, &l) == SUCCESS)
			lat[ok++] = l;
		else
			missed++;
	}
	if (fd >= 0)
		close(fd);
	if (ok) {
		qsort(lat, (size_t)ok, sizeof(long long), cmp_ll);
		*p50 = lat[ok / 2];
		*p99 = lat[(ok * 99) / 100];
		*pmax = lat[ok - 1];
	} else {
		*p50 = *p99 = *pmax = -1;
	}
	free(lat);
	return fd < 0 ? n : missed;
}

static void cmd_idle(int n)
{
	enum { NLAT = 2000 };
	long long b50, b99, bmax, w50, w99, wmax;
	raise_nofile((rlim_t)n + 1024);
	int missed0 = latency(NLAT, &b50, &b99, &bmax);
	note("idle: before: %d UDP GETPORTs p50 %lld us, p99 %lld us, max %lld us (%d unanswered)",
	     NLAT, b50, b99, bmax, missed0);
	int *fds = malloc((size_t)n * sizeof(int));
	long rss0 = rss_kb(), fds0 = fd_count();
	long t0 = rw_now_ms();
	int opened = 0, served = 0;
	struct rw_msg m;
	/* one at a time: connect, one NULL answered (so the server holds it
	 * as its connection, not just the kernel's backlog) */
	for (int i = 0; i < n; i++) {
		fds[i] = -1;
		if (rw_now_ms() - t0 > 60000)
			continue;
		fds[i] = mk_tcp();
		if (fds[i] < 0)
			continue;
		opened++;
		hdr(&m, 0x1d000000u + (uint32_t)i, 100000, 2, 0);
		if (tcp_call(fds[i], &m, 2000, NULL, 0, NULL) == SUCCESS)
			served++;
	}
	long open_ms = rw_now_ms() - t0;
	long rss1 = rss_kb(), fds1 = fd_count();
	check(opened == n && served == n,
	      "idle: %d of %d TCP connections opened, %d served a NULL and held (%ld ms)", opened, n,
	      served, open_ms);
	note("idle: server while held: %ld fds (%ld before), RSS %ld kB (%ld before, %.1f kB per connection)",
	     fds1, fds0, rss1, rss0, n ? (double)(rss1 - rss0) / n : 0.0);
	/* Up to three rounds (this host may be shared): the best counts. */
	int missed1 = 0, within = 0;
	long long best99 = -1;
	for (int round = 0; round < 3 && !within; round++) {
		missed1 += latency(NLAT, &w50, &w99, &wmax);
		note("idle: with %d held: %d UDP GETPORTs p50 %lld us, p99 %lld us, max %lld us (%d unanswered so far)",
		     n, NLAT, w50, w99, wmax, missed1);
		if (w99 >= 0 && (best99 < 0 || w99 < best99))
			best99 = w99;
		within = best99 >= 0 && (best99 <= 2 * b99 || best99 < 5000);
	}
	check(missed0 == 0 && missed1 == 0 && within,
	      "idle: UDP GETPORT p99 with %d idle connections %lld us vs %lld us before (bound: 2x or under 5 ms); %d + %d unanswered",
	      n, best99, b99, missed0, missed1);
	/* the held ones are still served (none reaped early): every 100th */
	int still = 0, tried = 0;
	long sample_end = rw_now_ms() + 10000;
	for (int i = 0; i < n && rw_now_ms() < sample_end; i += 100) {
		if (fds[i] < 0)
			continue;
		tried++;
		hdr(&m, 0x1f000000u + (uint32_t)i, 100000, 4, 0);
		if (tcp_call(fds[i], &m, 1000, NULL, 0, NULL) == SUCCESS)
			still++;
	}
	check(tried > 0 && still == tried, "idle: %d of %d sampled held connections still served",
	      still, tried);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	/* the server notices the closes (bounded) */
	long deadline = rw_now_ms() + 5000;
	while (fd_count() > fds0 + 16 && rw_now_ms() < deadline)
		rw_sleep_ms(20);
	note("idle: server fds after the close: %ld", fd_count());
}

static void cmd_maxconn(int cap, int extra)
{
	int *fds = malloc((size_t)cap * sizeof(int));
	struct rw_msg m;
	int served = 0;
	raise_nofile((rlim_t)cap + 1024);
	long open_end = rw_now_ms() + 20000;
	for (int i = 0; i < cap; i++) {
		fds[i] = rw_now_ms() < open_end ? mk_tcp() : -1;
		hdr(&m, 0x2c000000u + (uint32_t)i, 100000, 2, 0);
		if (fds[i] >= 0 && tcp_call(fds[i], &m, 2000, NULL, 0, NULL) == SUCCESS)
			served++;
	}
	check(served == cap, "maxconn: %d of %d connections (the cap) served", served, cap);
	long c0 = cpu_ms(), t0 = rw_now_ms(), worst = 0;
	int refused = 0, replied = 0, udp_ok = 0, udp_n = 0;
	int u = mk_udp();
	for (int i = 0; i < extra && rw_now_ms() - t0 < 20000; i++) {
		int fd = mk_tcp();
		if (fd < 0)
			continue;
		long t1 = rw_now_ms();
		size_t got = 0;
		hdr(&m, 0x2d000000u + (uint32_t)i, 100000, 2, 0);
		uint8_t rec[64];
		rw_put32(rec, 0x80000000u | (uint32_t)m.n);
		memcpy(rec + 4, m.b, m.n);
		(void)send(fd, rec, m.n + 4, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (rw_wait_closed(fd, rw_now_ms() + 1000, &got))
			refused++;
		if (got)
			replied++;
		if (rw_now_ms() - t1 > worst)
			worst = rw_now_ms() - t1;
		close(fd);
		rw_sleep_ms(5); /* spread over a second or more: CPU is counted in 10 ms ticks */
		if (i % 10 == 0) {
			udp_n++;
			hdr(&m, ++xid_seq, 100000, 2, 0);
			if (udp_call(u, &m, 1000, NULL, 0, NULL, NULL) == SUCCESS)
				udp_ok++;
		}
	}
	long burst_ms = rw_now_ms() - t0, c1 = cpu_ms();
	check(refused == extra && replied == 0,
	      "maxconn: %d of %d connections over the cap accepted and closed at once (slowest %ld ms), %d got a reply",
	      refused, extra, worst, replied);
	check(udp_ok == udp_n, "maxconn: %d of %d UDP NULLs answered while at the cap", udp_ok, udp_n);
	/* at the cap, doing nothing: the server must not spin */
	rw_sleep_ms(1000);
	long c2 = cpu_ms(), idle_ms = rw_now_ms() - t0 - burst_ms;
	note("maxconn: server CPU %ld ms over the %ld ms of refusals, %ld ms over %ld ms at the cap idle",
	     c1 - c0, burst_ms, c2 - c1, idle_ms);
	if (c0 >= 0)
		check((c1 - c0) * 4 <= burst_ms + 40 && (c2 - c1) * 10 <= idle_ms + 20,
		      "maxconn: no spin: server CPU %ld ms in %ld ms of refusals (bound 25%%), %ld ms in %ld ms idle at the cap (bound 10%%)",
		      c1 - c0, burst_ms, c2 - c1, idle_ms);
	int still = 0;
	long still_end = rw_now_ms() + 10000;
	for (int i = 0; i < cap && rw_now_ms() < still_end; i++) {
		hdr(&m, 0x2e000000u + (uint32_t)i, 100000, 4, 0);
		if (fds[i] >= 0 && tcp_call(fds[i], &m, 1000, NULL, 0, NULL) == SUCCESS)
			still++;
	}
	check(still == cap, "maxconn: %d of %d held connections still served", still, cap);
	for (int i = 0; i < cap; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	close(u);
	/* below the cap again: a new connection is served (bounded wait for
	 * the server to see the closes) */
	int ok = 0;
	long deadline = rw_now_ms() + 3000;
	while (!ok && rw_now_ms() < deadline) {
		int fd = mk_tcp();
		hdr(&m, ++xid_seq, 100000, 4, 0);
		ok = fd >= 0 && tcp_call(fd, &m, 1000, NULL, 0, NULL) == SUCCESS;
		if (fd >= 0)
			close(fd);
		if (!ok)
			rw_sleep_ms(50);
	}
	check(ok, "maxconn: below the cap again, a new connection is served");
}

static void cmd_pipeline(long bound_ms)
{
	uint8_t rec[64 * 48];
	struct rw_msg m;
	size_t rl = 0;
	for (int i = 0; i < 64; i++) {
		hdr(&m, 0x2a000000u + (uint32_t)i, 100000, 3, 4); /* DUMP v3 */
		rw_put32(rec + rl, 0x80000000u | (uint32_t)m.n);
		memcpy(rec + rl + 4, m.b, m.n);
		rl += m.n + 4;
	}
	int a = mk_sock(SOCK_STREAM, 0, 4096), o = mk_tcp(), u = mk_udp();
	if (a < 0 || o < 0 || u < 0) {
		check(0, "pipeline: connect");
		return;
	}
	long t0 = rw_now_ms(), blocked_at = -1, closed_at = -1;
	size_t written = 0;
	int lookups = 0, missed = 0;
	long long maxlat = 0, slow_udp = 0, slow_tcp = 0;
	long slow_at = 0;
	while (closed_at < 0 && rw_now_ms() - t0 < 15000) {
		if (blocked_at < 0 || rw_now_ms() - blocked_at < 200) {
			for (int j = 0; j < 8; j++) {
				ssize_t k = send(a, rec, rl, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (k > 0) {
					written += (size_t)k;
					continue;
				}
				if (blocked_at < 0)
					blocked_at = rw_now_ms();
				break;
			}
		}
		if (tcp_state(a) != TCP_ESTABLISHED) {
			closed_at = rw_now_ms();
			break;
		}
		/* the other client: a UDP and a TCP lookup, each within 1 s */
		long long l0 = now_us(), l = 0, lu = 0;
		getport(&m, ++xid_seq, 100000);
		int s1 = udp_call(u, &m, 1000, NULL, 0, NULL, &lu);
		long long l1 = now_us();
		getport(&m, ++xid_seq, 100000);
		int s2 = tcp_call(o, &m, 1000, NULL, 0, NULL);
		l = now_us() - l0;
		lookups += 2;
		missed += (s1 != SUCCESS) + (s2 != SUCCESS);
		if (l > maxlat) {
			maxlat = l;
			slow_udp = l1 - l0;
			slow_tcp = now_us() - l1;
			slow_at = l0 / 1000 - t0;
		}
		rw_sleep_ms(2);
	}
	if (blocked_at < 0)
		blocked_at = closed_at;
	check(blocked_at >= 0, "pipeline: the server stopped reading from the client that never reads (%zu bytes of DUMP calls written, %ld ms)",
	      written, blocked_at - t0);
	check(closed_at >= 0 && closed_at - blocked_at <= bound_ms,
	      "pipeline: the non-reading client was dropped %ld ms after its writes blocked (%ld ms after the first; bound %ld ms)",
	      closed_at >= 0 ? closed_at - blocked_at : -1, closed_at >= 0 ? closed_at - t0 : -1,
	      bound_ms);
	check(missed == 0 && lookups > 0,
	      "pipeline: another client's %d UDP+TCP lookups meanwhile: %d unanswered within 1 s, slowest pair %lld us",
	      lookups, missed, maxlat);
	note("pipeline: the slowest pair: UDP %lld us, TCP %lld us, at %ld ms (writes blocked at %ld ms, the client dropped at %ld ms)",
	     slow_udp, slow_tcp, slow_at, blocked_at - t0, closed_at >= 0 ? closed_at - t0 : -1);
	close(a);
	close(o);
	close(u);
}

/* A lookup of program prog: GETPORT, v3 GETADDR or v4 GETADDR by kind % 3. */
static void unknown_call(struct rw_msg *m, uint32_t xid, uint32_t prog, long kind)
{
	switch (kind % 3) {
	case 0:
		getport(m, xid, prog);
		break;
	case 1:
		rpcb_call(m, xid, 3, 3, prog, 1, "udp", "", "");
		break;
	default:
		rpcb_call(m, xid, 4, 3, prog, 1, "udp", "", "");
		break;
	}
}

/* The cost of a lookup, best of reps rounds of n sequential UDP lookups
 * (the three kinds in turn) of distinct unknown programs from *next: the
 * server's CPU time per lookup (ns) and the round trip (us). */
struct cost {
	double cpu_ns, wall_us;
};

static struct cost lookup_cost(int reps, int n, uint32_t *next, int *missed)
{
	struct cost best = {-1, -1};
	int fd = mk_udp();
	long deadline = rw_now_ms() + 20000;
	struct rw_msg m;
	for (int r = 0; r < reps && fd >= 0; r++) {
		long long c0 = cpu_ns(), t0 = now_us();
		for (int i = 0; i < n; i++) {
			if (rw_now_ms() > deadline) {
				*missed += n - i;
				break;
			}
			unknown_call(&m, ++xid_seq, (*next)++, i);
			if (udp_call(fd, &m, 1000, NULL, 0, NULL, NULL) != SUCCESS)
				(*missed)++;
		}
		double us = (double)(now_us() - t0) / n;
		double ns = c0 >= 0 ? (double)(cpu_ns() - c0) / n : -1;
		if (best.wall_us < 0 || us < best.wall_us)
			best.wall_us = us;
		if (best.cpu_ns < 0 || ns < best.cpu_ns)
			best.cpu_ns = ns;
	}
	if (fd >= 0)
		close(fd);
	return best;
}

static long getstat_size(void)
{
	static uint8_t r[1 << 20];
	struct rw_msg m;
	size_t rn = 0;
	int fd = mk_tcp();
	hdr(&m, ++xid_seq, 100000, 4, 12);
	int st = fd >= 0 ? tcp_call(fd, &m, 2000, r, sizeof(r), &rn) : ST_NONE;
	if (fd >= 0)
		close(fd);
	return st == SUCCESS ? (long)rn : -1;
}

/* Flood call i: a lookup of the distinct unknown program 0x30000000 + i. */
static void unknown_flood_call(void *ctx, struct rw_msg *m, uint32_t xid, long i)
{
	(void)ctx;
	unknown_call(m, xid, 0x30000000u + (uint32_t)i, i);
}

/* port 0 / an empty address: 4 zero bytes after SUCCESS */
static void unknown_flood_reply(void *ctx, const uint8_t *r, size_t k, uint32_t xid)
{
	long *ok = ctx;
	if (classify(r, k, xid) == SUCCESS && k == 28 && rw_get32(r + 24) == 0)
		(*ok)++;
}

static void cmd_unknown(long n)
{
	enum { WINDOW = 64, NCOST = 2000, REPS = 3 };
	uint32_t next = 0x20000000u;
	int missed = 0;
	struct cost before = lookup_cost(REPS, NCOST, &next, &missed);
	long gs0 = getstat_size(), rss0 = rss_kb();
	note("unknown: before: a lookup of an unknown program costs the server %.0f ns of CPU, %.1f us round trip (best of %d x %d); GETSTAT %ld bytes, RSS %ld kB",
	     before.cpu_ns, before.wall_us, REPS, NCOST, gs0, rss0);
	/* the flood: n distinct programs, WINDOW in flight */
	int fd = mk_udp();
	uint8_t *seen = calloc((size_t)n, 1);
	long ok = 0, t0 = rw_now_ms();
	const struct flood f = {n, WINDOW, 60000, 0xc0000000u, unknown_flood_call, NULL,
				unknown_flood_reply, &ok};
	struct flood_count c = {0, 0, 0};
	if (fd >= 0 && seen)
		c = flood_run(&f, fd, seen);
	long flood_ms = rw_now_ms() - t0;
	check(ok == n, "unknown: %ld of %ld lookups of distinct unknown programs answered 'not registered' (%ld unanswered) in %ld ms",
	      ok, n, c.sent - c.got, flood_ms);
	if (fd >= 0)
		close(fd);
	free(seen);
	long gs1 = getstat_size(), rss1 = rss_kb();
	/* The server's CPU time per lookup is the cost: the round trip also
	 * measures this host's load (it may be shared). Up to two more rounds
	 * when over the bound; the best counts. */
	struct cost after = lookup_cost(REPS, NCOST, &next, &missed);
	for (int round = 0; round < 2 && after.cpu_ns > 1.5 * before.cpu_ns; round++) {
		struct cost again = lookup_cost(REPS, NCOST, &next, &missed);
		note("unknown: again: %.0f ns, %.1f us", again.cpu_ns, again.wall_us);
		if (again.cpu_ns < after.cpu_ns)
			after = again;
	}
	note("unknown: after: %.0f ns of server CPU, %.1f us round trip per lookup; GETSTAT %ld bytes, RSS %ld kB",
	     after.cpu_ns, after.wall_us, gs1, rss1);
	check(gs0 > 0 && gs1 > 0 && gs1 <= gs0,
	      "unknown: GETSTAT stays flat: %ld bytes before, %ld bytes after %ld more distinct programs",
	      gs0, gs1, n);
	check(missed == 0 && before.cpu_ns > 0 && after.cpu_ns <= 1.5 * before.cpu_ns,
	      "unknown: per-request cost (server CPU) %.0f ns after vs %.0f ns before (bound 1.5x; round trip %.1f vs %.1f us), %d unanswered",
	      after.cpu_ns, before.cpu_ns, after.wall_us, before.wall_us, missed);
}

/* The amplification mix: every reply to an untrusted source no larger
 * than its call; the guarded calls answered as `expect` says. */
static void cmd_amp(const char *expect)
{
	struct amp {
		const char *name;
		int guarded; /* DUMP, GETSTAT, GETADDRLIST */
	};
	int drop = !strcmp(expect, "drop"), full = !strcmp(expect, "full");
	int fd = mk_udp();
	if (fd < 0) {
		check(0, "amp: socket");
		return;
	}
	size_t in_total = 0, out_total = 0;
	int bigger = 0, calls = 0, guarded_ok = 0, guarded_n = 0;
	char pad[201];
	memset(pad, 'p', 200);
	pad[200] = '\0';
	for (int c = 0;; c++) {
		struct rw_msg m;
		uint32_t x = ++xid_seq;
		const char *name;
		int guarded = 0, want = -2; /* -2: any reply no larger than the call */
		switch (c) {
		case 0: name = "DUMP v2"; hdr(&m, x, 100000, 2, 4); guarded = 1; break;
		case 1: name = "DUMP v3"; hdr(&m, x, 100000, 3, 4); guarded = 1; break;
		case 2: name = "DUMP v4"; hdr(&m, x, 100000, 4, 4); guarded = 1; break;
		case 3: name = "GETSTAT v4"; hdr(&m, x, 100000, 4, 12); guarded = 1; break;
		case 4:
			name = "GETADDRLIST v4";
			rpcb_call(&m, x, 4, 11, 100000, 4, "udp", "", "");
			guarded = 1;
			break;
		case 5: name = "NULL v2"; hdr(&m, x, 100000, 2, 0); want = SUCCESS; break;
		case 6: name = "NULL v4"; hdr(&m, x, 100000, 4, 0); want = SUCCESS; break;
		case 7: name = "GETPORT 100000"; getport(&m, x, 100000); want = SUCCESS; break;
		case 8: name = "GETPORT unknown"; getport(&m, x, 0x3fff0001u); want = SUCCESS; break;
		case 9:
			name = "GETADDR v3 100000";
			rpcb_call(&m, x, 3, 3, 100000, 3, "", "", "");
			want = SUCCESS;
			break;
		case 10:
			name = "GETVERSADDR v4 100000";
			rpcb_call(&m, x, 4, 9, 100000, 4, "", "", "");
			want = SUCCESS;
			break;
		case 11:
			if (!long_prog)
				continue;
			name = "GETADDR v3 of the long address";
			rpcb_call(&m, x, 3, 3, long_prog, 1, "", "", "");
			want = full ? SUCCESS : drop ? ST_NONE : SYSTEM_ERR;
			break;
		case 12:
			if (!long_prog)
				continue;
			name = "GETADDR v4 of the long address";
			rpcb_call(&m, x, 4, 3, long_prog, 1, "", "", "");
			want = full ? SUCCESS : drop ? ST_NONE : SYSTEM_ERR;
			break;
		case 13:
			if (!long_prog)
				continue;
			/* a call bigger than the answer: answered in full */
			name = "GETADDR v4 of the long address, padded call";
			rpcb_call(&m, x, 4, 3, long_prog, 1, "", "", pad);
			want = SUCCESS;
			break;
		case 14: name = "GETTIME v3"; hdr(&m, x, 100000, 3, 6); want = SUCCESS; break;
		case 15:
			name = "UADDR2TADDR v3";
			hdr(&m, x, 100000, 3, 7);
			rw_msg_str(&m, "198.18.0.1.0.111");
			want = SUCCESS;
			break;
		case 16:
			name = "TADDR2UADDR v3";
			hdr(&m, x, 100000, 3, 8);
			rw_msg32(&m, 16);
			rw_msg32(&m, 16);
			rw_msg32(&m, 0x0002006f);
			rw_msg32(&m, 0xc6120001);
			rw_msg32(&m, 0), rw_msg32(&m, 0);
			want = SUCCESS;
			break;
		case 17: name = "PROC 99 v4"; hdr(&m, x, 100000, 4, 99); want = PROC_UNAVAIL; break;
		case 18: name = "vers 9"; hdr(&m, x, 100000, 9, 0); want = PROG_MISMATCH; break;
		case 19: name = "prog 100003"; hdr(&m, x, 100003, 3, 0); want = PROG_UNAVAIL; break;
		case 20:
			name = "rpcvers 3";
			hdr(&m, x, 100000, 2, 0);
			rw_put32(m.b + 8, 3);
			want = ST_RPC_MISMATCH;
			break;
		case 21: name = "rpcbomb"; rpcbomb(&m, x); want = GARBAGE_ARGS; break;
		case 22:
			name = "GETPORT cut short";
			getport(&m, x, 100000);
			m.n -= 8;
			want = GARBAGE_ARGS;
			break;
		default:
			name = NULL;
			break;
		}
		if (!name)
			break;
		uint8_t r[9000];
		size_t rn = 0;
		int st = udp_call(fd, &m, drop && (guarded || want == ST_NONE) ? 300 : 1000, r,
				  sizeof(r), &rn, NULL);
		if (st == ST_NONE)
			rn = 0;
		calls++;
		in_total += m.n;
		out_total += rn;
		note("amp: %-44s call %4zu bytes, reply %4zu bytes: %s", name, m.n, rn, stname(st));
		if (guarded) {
			guarded_n++;
			if (full ? (st == SUCCESS && rn > m.n)
				 : drop ? st == ST_NONE : (st == SYSTEM_ERR && rn == 24))
				guarded_ok++;
			else
				check(0, "amp: %s: %s, %zu bytes (expected %s)", name, stname(st), rn,
				      full ? "the full answer" : drop ? "no reply" : "SYSTEM_ERR, 24 bytes");
		} else if (want != -2) {
			if (st != want)
				check(0, "amp: %s: %s (expected %s)", name, stname(st), stname(want));
		}
		if (!full && rn > m.n) {
			bigger++;
			check(0, "amp: %s: reply of %zu bytes to a call of %zu bytes", name, rn, m.n);
		}
	}
	check(guarded_ok == guarded_n,
	      "amp: %d of %d DUMP/GETSTAT/GETADDRLIST calls over UDP answered as '%s' expects",
	      guarded_ok, guarded_n, expect);
	if (!full)
		check(bigger == 0, "amp: %d calls, %zu bytes in, %zu bytes out: no reply larger than its call",
		      calls, in_total, out_total);
	else
		note("amp: %d calls, %zu bytes in, %zu bytes out (trusted: full answers)", calls,
		     in_total, out_total);
	close(fd);
}

static void cmd_dumptcp(void)
{
	static uint8_t r[1 << 20];
	for (uint32_t v = 2; v <= 4; v++) {
		struct rw_msg m;
		size_t rn = 0;
		int fd = mk_tcp();
		hdr(&m, ++xid_seq, 100000, v, 4);
		int st = fd >= 0 ? tcp_call(fd, &m, 2000, r, sizeof(r), &rn) : ST_NONE;
		if (fd >= 0)
			close(fd);
		/* count the entries: "value follows" words */
		int entries = 0;
		if (st == SUCCESS && rn > 28) {
			size_t o = 24;
			while (o + 4 <= rn && rw_get32(r + o) == 1) {
				entries++;
				if (v == 2) {
					o += 4 + 16;
				} else {
					o += 4 + 8;
					for (int s = 0; s < 3 && o + 4 <= rn; s++)
						o += 4 + ((rw_get32(r + o) + 3) & ~3u);
				}
			}
		}
		check(st == SUCCESS && rn > m.n && entries > 0,
		      "dumptcp: DUMP v%u over TCP from %s answered in full: %s, %zu bytes, %d entries (call %zu bytes)",
		      v, src ? src : "the default source", stname(st), rn, entries, m.n);
	}
}

static void cmd_rrl(long n, long lo, long hi)
{
	int fd = mk_udp();
	int rcv = 4 << 20;
	if (fd < 0) {
		check(0, "rrl: socket");
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	const uint32_t base = 0xd0000000u;
	uint8_t *seen = calloc((size_t)n, 1);
	struct rw_msg m;
	uint8_t r[9000];
	long answered = 0, t0 = rw_now_ms();
	/* paced a little (20 datagrams, then 100 us) so that the kernel's
	 * buffers, not the limiter, never decide */
	for (long i = 0; i < n; i++) {
		getport(&m, base + (uint32_t)i, 100000);
		send(fd, m.b, m.n, 0);
		if (i % 20 == 19) {
			struct timespec ts = {0, 100000};
			nanosleep(&ts, NULL);
		}
		while (recv(fd, r, sizeof(r), MSG_DONTWAIT) >= 4) {
			uint32_t k = rw_get32(r) - base;
			if (k < (uint32_t)n && !seen[k] && classify(r, 28, base + k) == SUCCESS) {
				seen[k] = 1;
				answered++;
			}
		}
	}
	long send_ms = rw_now_ms() - t0, drain_end = rw_now_ms() + 3000;
	while (rw_now_ms() < drain_end && rw_wait_fd(fd, POLLIN, rw_now_ms() + 300)) {
		ssize_t k = recv(fd, r, sizeof(r), MSG_DONTWAIT);
		if (k < 4)
			continue;
		uint32_t i = rw_get32(r) - base;
		if (i < (uint32_t)n && !seen[i] && classify(r, (size_t)k, base + i) == SUCCESS) {
			seen[i] = 1;
			answered++;
		}
	}
	check(answered >= lo && answered <= hi,
	      "rrl: %ld of %ld GETPORTs sent in %ld ms from %s answered (bound %ld..%ld)", answered, n,
	      send_ms, src ? src : "the default source", lo, hi);
	free(seen);
	rw_sleep_ms(1100);
	getport(&m, ++xid_seq, 100000);
	int st = udp_call(fd, &m, 1000, NULL, 0, NULL, NULL);
	check(st == SUCCESS, "rrl: 1.1 s later the source is answered again: %s", stname(st));
	close(fd);
}

static void window_call(void *ctx, struct rw_msg *m, uint32_t xid, long i)
{
	(void)ctx;
	(void)i;
	getport(m, xid, 100000);
}

static void window_reply(void *ctx, const uint8_t *r, size_t k, uint32_t xid)
{
	long *ok = ctx;
	if (classify(r, k, xid) == SUCCESS)
		(*ok)++;
}

static void cmd_window(long n)
{
	int fd = mk_udp();
	uint8_t *seen = calloc((size_t)n, 1);
	long ok = 0, t0 = rw_now_ms();
	const struct flood f = {n, 32, 30000, 0xe0000000u, window_call, NULL, window_reply, &ok};
	if (fd >= 0 && seen)
		flood_run(&f, fd, seen);
	check(ok == n, "window: %ld of %ld GETPORTs from %s answered (%ld ms)", ok, n,
	      src ? src : "the default source", rw_now_ms() - t0);
	if (fd >= 0)
		close(fd);
	free(seen);
}

/* Not a check: touches the server's buffer pools (io_uring provided
 * buffers, connection slots, reply buffers) before an RSS baseline, so
 * that first use is not counted as growth. 8 UDP sockets and 8 TCP
 * connections, so that every worker sees some (SO_REUSEPORT). */
static void cmd_warm(void)
{
	struct rw_msg m;
	uint8_t r[9000];
	int udp_ok = 0, tcp_ok = 0;
	long deadline = rw_now_ms() + 5000;
	for (int s = 0; s < 8 && rw_now_ms() < deadline; s++) {
		int fd = mk_udp();
		for (int round = 0; round < 8 && fd >= 0; round++) {
			for (int i = 0; i < 48; i++) {
				getport(&m, ++xid_seq, 100000);
				send(fd, m.b, m.n, 0);
			}
			for (int i = 0; i < 48 && rw_wait_fd(fd, POLLIN, rw_now_ms() + 500); i++)
				if (recv(fd, r, sizeof(r), MSG_DONTWAIT) > 0)
					udp_ok++;
		}
		if (fd >= 0)
			close(fd);
		fd = mk_tcp();
		for (int i = 0; i < 16 && fd >= 0; i++) {
			hdr(&m, ++xid_seq, 100000, 3, i % 2 ? 4 : 0); /* DUMP and NULL */
			if (tcp_call(fd, &m, 1000, NULL, 0, NULL) == SUCCESS)
				tcp_ok++;
		}
		if (fd >= 0)
			close(fd);
	}
	note("warm: %d UDP and %d TCP replies", udp_ok, tcp_ok);
}

static int usage(void)
{
	fputs("usage: rb_e2e_attack [-d DST] [-s SRC] [-p PORT] [-P PID] [-L PROG] CHECK [ARGS]\n"
	      "  (see the header of tests/e2e/attack_tool.c)\n",
	      stderr);
	return 2;
}

static long arg(char **argv, int argc, int i, long def)
{
	return i < argc ? strtol(argv[i], NULL, 0) : def;
}

int main(int argc, char **argv)
{
	int opt;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "+d:s:p:P:L:")) != -1) {
		switch (opt) {
		case 'd': dst = optarg; break;
		case 's': src = optarg; break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'P': server_pid = strtol(optarg, NULL, 10); break;
		case 'L': long_prog = (uint32_t)strtoul(optarg, NULL, 0); break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	struct sockaddr_in sa;
	if (addr_of(dst, port, &sa) || (src && addr_of(src, 0, &sa)))
		return usage();
	const char *c = argv[optind];
	int i = optind + 1;
	if (!strcmp(c, "null"))
		cmd_null();
	else if (!strcmp(c, "rpcbomb"))
		cmd_rpcbomb(arg(argv, argc, i, 20000));
	else if (!strcmp(c, "tcprandom"))
		cmd_tcprandom((int)arg(argv, argc, i, 8), arg(argv, argc, i + 1, 1024));
	else if (!strcmp(c, "bighdr"))
		cmd_bighdr((int)arg(argv, argc, i, 20));
	else if (!strcmp(c, "idle"))
		cmd_idle((int)arg(argv, argc, i, 10000));
	else if (!strcmp(c, "maxconn"))
		cmd_maxconn((int)arg(argv, argc, i, 100), (int)arg(argv, argc, i + 1, 200));
	else if (!strcmp(c, "pipeline"))
		cmd_pipeline(arg(argv, argc, i, 2500));
	else if (!strcmp(c, "unknown"))
		cmd_unknown(arg(argv, argc, i, 100000));
	else if (!strcmp(c, "amp") && i < argc &&
		 (!strcmp(argv[i], "error") || !strcmp(argv[i], "drop") || !strcmp(argv[i], "full")))
		cmd_amp(argv[i]);
	else if (!strcmp(c, "dumptcp"))
		cmd_dumptcp();
	else if (!strcmp(c, "rrl"))
		cmd_rrl(arg(argv, argc, i, 2000), arg(argv, argc, i + 1, 100),
			arg(argv, argc, i + 2, 200));
	else if (!strcmp(c, "warm"))
		cmd_warm();
	else if (!strcmp(c, "window"))
		cmd_window(arg(argv, argc, i, 2000));
	else
		return usage();
	return failures > 100 ? 100 : failures;
}
