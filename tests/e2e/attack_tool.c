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
 *   getstat N SPAN CACHE N GETSTATs over one TCP connection, paced over
 *                        SPAN ms: each answered SUCCESS and well formed;
 *                        the answer changes at most once per CACHE ms
 *                        (an untrusted source: the worker's cached merge),
 *                        and at least once when SPAN > 3 x CACHE; prints
 *                        "getstat_elapsed_ms MS"
 *   getstatfresh N       N times a UDP GETPORT then a TCP GETSTAT: each
 *                        GETSTAT counts that GETPORT and itself exactly
 *                        (a trusted source: merged now)
 *   rrl N LO HI          N GETPORTs as fast as allowed: between LO and HI
 *                        answered; 1.1 s later one is answered again
 *   window N             N GETPORTs, 32 in flight: all answered
 *   warm                 not a check: some UDP and TCP traffic that touches
 *                        the server's buffer pools before an RSS baseline
 *   prime FROM TO        registers programs 0x34000000 + k, k in FROM..TO-1
 *                        (version 1, udp, port 1024 + k % 60000) by PMAP
 *                        SET over UDP from a privileged loopback port: all
 *                        acknowledged, the first and last looked up
 *   udpprobe S NREG [R]  the steady UDP GETPORT client alone for S seconds
 *                        (R calls/s, default 1,000, keys < NREG): no loss;
 *                        p50/p99
 *   dumpflood KEY=VALUE...  bounded work per client: conns= connections
 *                        (from -s/-d; netns=PATH: made in that network
 *                        namespace) each write calls= pipelined DUMP v3
 *                        calls (44 bytes each) in one write and never read,
 *                        held hold= s, while the UDP GETPORT client runs on
 *                        loopback (its baseline p99 first, base= s without
 *                        the flood). Checks: the server's peak RSS at most
 *                        grow= kB above idle= kB (default: just before);
 *                        (peak - RSS just before) <= conns x conn= kB +
 *                        fixed= kB; no lookup lost (1 s) or wrong; p99 at
 *                        most ratio=% of the baseline's or floor= us above
 *                        it; afterwards a TCP DUMP lists the nreg= primed
 *                        programs right and a UDP GETPORT is answered.
 *                        Also mss= and rcvbuf= of the flood's sockets,
 *                        abort= kB (growth where it stops early), rounds=
 *                        (the whole flood again when only the p99 failed);
 *                        the connections are opened by a SCHED_IDLE thread
 *   fdlimit N HOLD WIN PCT  N clients connect (held HOLD s) to a server
 *                        with fewer descriptors: it reaches its limit; its
 *                        CPU over WIN s under PCT % of one core while a new
 *                        client tries every 100 ms; UDP answered; a new TCP
 *                        NULL answered within 2 s of every client closing
 *
 * Exit status: the number of failures (capped at 100); 2 on bad usage. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
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

/* A socket from source a_src (NULL: any) connected to a_dst:port;
 * rcvbuf > 0: a small receive buffer, mss > 0: a TCP maximum segment, both
 * set before the handshake. */
static int mk_sock_to(int type, int nonblock, int rcvbuf, int mss, const char *a_src,
		      const char *a_dst)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (mss > 0)
		setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
	if (a_src) {
		if (addr_of(a_src, 0, &sa) || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	}
	if (addr_of(a_dst, port, &sa))
		goto fail;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* rcvbuf > 0: a small receive buffer, set before the handshake. */
static int mk_sock(int type, int nonblock, int rcvbuf)
{
	return mk_sock_to(type, nonblock, rcvbuf, 0, src, dst);
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

/* ---- GETSTAT: cached for untrusted callers, merged now for trusted ---- */

/* Skips one rpcb_stat (info, setinfo, unsetinfo, the lookup and remote-call
 * lists) at *o in a GETSTAT result; false when it runs past n. */
static bool skip_rpcb_stat(const uint8_t *r, size_t n, size_t *o)
{
	size_t p = *o + (13 + 2) * 4;
	for (int list = 0; list < 2; list++) {
		for (;;) {
			if (p + 4 > n)
				return false;
			uint32_t more = rw_get32(r + p);
			p += 4;
			if (!more)
				break;
			p += (list == 0 ? 4 : 6) * 4; /* addr: 4 words, rmtcall: 6 */
			if (p + 4 > n)
				return false;
			p += 4 + ((rw_get32(r + p) + 3) & ~3u);
		}
	}
	if (p > n)
		return false;
	*o = p;
	return true;
}

/* A v4 GETSTAT over fd: its body (after the 24-byte accepted header) in
 * r[24..*rn); SUCCESS only when the three rpcb_stat decode exactly. */
static int getstat_call(int fd, uint8_t *r, size_t cap, size_t *rn)
{
	struct rw_msg m;
	hdr(&m, ++xid_seq, 100000, 4, 12);
	int st = tcp_call(fd, &m, 2000, r, cap, rn);
	if (st != SUCCESS)
		return st;
	size_t o = 24;
	for (int v = 0; v < 3; v++)
		if (*rn > cap || !skip_rpcb_stat(r, *rn, &o))
			return ST_NONE;
	return o == *rn ? SUCCESS : ST_NONE;
}

/* getstat N SPAN_MS CACHE_MS: N GETSTATs over one TCP connection, spread
 * over about SPAN_MS. From an untrusted source the server answers from a
 * merge its worker refreshes at most every CACHE_MS: the answer changes
 * at most once per CACHE_MS (a merge made at every call would differ at
 * every call, since each GETSTAT counts itself). */
static void cmd_getstat(long n, long span_ms, long cache_ms)
{
	static uint8_t r[2][1 << 16];
	size_t rn[2] = { 0, 0 };
	long ok = 0, changes = 0;
	int fd = mk_tcp();
	long long t0 = now_us();
	for (long i = 0; i < n && fd >= 0; i++) {
		int cur = (int)(i & 1);
		int st = getstat_call(fd, r[cur], sizeof(r[cur]), &rn[cur]);
		if (st != SUCCESS) {
			note("getstat: call %ld: %s", i, stname(st));
			break;
		}
		ok++;
		if (i > 0 && (rn[0] != rn[1] || memcmp(r[0] + 4, r[1] + 4, rn[0] - 4) != 0))
			changes++;
		/* paced: call i not before i * span / n */
		long long due = t0 + (long long)(i + 1) * span_ms * 1000 / n;
		long long now = now_us();
		if (due > now)
			usleep((useconds_t)(due - now));
	}
	long long elapsed_ms = (now_us() - t0 + 999) / 1000;
	if (fd >= 0)
		close(fd);
	check(ok == n, "getstat: %ld of %ld GETSTATs over TCP from %s answered SUCCESS and well formed",
	      ok, n, src ? src : "the default source");
	check(changes <= elapsed_ms / cache_ms + 1,
	      "getstat: the answer changed %ld times in %lld ms (at most %lld: once per %ld ms)",
	      changes, elapsed_ms, elapsed_ms / cache_ms + 1, cache_ms);
	if (elapsed_ms > 3 * cache_ms)
		check(changes >= 1, "getstat: the cached answer was refreshed (%ld changes in %lld ms)",
		      changes, elapsed_ms);
	printf("getstat_elapsed_ms %lld\n", elapsed_ms);
}

/* v2 info[GETPORT] and v4 info[GETSTAT] of a GETSTAT result. */
static void getstat_counts(const uint8_t *r, size_t rn, uint32_t *getport, uint32_t *getstat)
{
	size_t o = 24;
	*getport = rw_get32(r + o + 3 * 4);
	skip_rpcb_stat(r, rn, &o);
	skip_rpcb_stat(r, rn, &o);
	*getstat = rw_get32(r + o + 12 * 4);
}

/* getstatfresh N: from a trusted source (loopback), N times: a UDP GETPORT
 * then a GETSTAT over TCP, which must count that GETPORT and itself
 * exactly: merged now, never cached. */
static void cmd_getstatfresh(long n)
{
	static uint8_t r[1 << 16];
	size_t rn = 0;
	struct rw_msg m;
	int fd = mk_tcp(), ufd = mk_udp();
	long exact = 0;
	uint32_t gp0 = 0, gs0 = 0, gp, gs;
	int st = fd >= 0 ? getstat_call(fd, r, sizeof(r), &rn) : ST_NONE;
	if (st == SUCCESS)
		getstat_counts(r, rn, &gp0, &gs0);
	for (long i = 0; i < n && st == SUCCESS && ufd >= 0; i++) {
		getport(&m, ++xid_seq, 100000);
		if (udp_call(ufd, &m, 1000, NULL, 0, NULL, NULL) != SUCCESS)
			break;
		if ((st = getstat_call(fd, r, sizeof(r), &rn)) != SUCCESS)
			break;
		getstat_counts(r, rn, &gp, &gs);
		if (gp == gp0 + 1 && gs == gs0 + 1)
			exact++;
		else
			note("getstatfresh: round %ld: GETPORT %u -> %u, GETSTAT %u -> %u", i, gp0, gp, gs0, gs);
		gp0 = gp;
		gs0 = gs;
	}
	if (fd >= 0)
		close(fd);
	if (ufd >= 0)
		close(ufd);
	check(exact == n,
	      "getstatfresh: %ld of %ld GETSTATs from %s counted the GETPORT just before and themselves exactly",
	      exact, n, src ? src : "loopback");
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

/* ---- bounded work per client: prime, udpprobe, dumpflood, fdlimit ---- */

/* The programs `prime` registers: PRIME_BASE + k (k from 0), version 1,
 * netid udp, port prime_port(k). PMAP v2 SET over UDP from a privileged
 * loopback port: owned by root, so no --owner-quota applies. */
#define PRIME_BASE 0x34000000u
/* A lookup of the probe unanswered this long is lost. */
#define PROBE_LOST_US 1000000LL
/* The DUMP v3 call of dumpflood: a record mark and a 40-byte call header. */
#define DF_CALL_BYTES (4u + RW_CALL_HDR)

static uint16_t prime_port(uint32_t k)
{
	return (uint16_t)(1024u + k % 60000u);
}

/* A PMAP v2 call with a struct pmap argument (SET: proc 1, GETPORT: 3). */
static void pmap_call(struct rw_msg *m, uint32_t xid, uint32_t proc, uint32_t prog, uint32_t vers,
		      uint32_t p)
{
	hdr(m, xid, 100000, 2, proc);
	rw_msg32(m, prog);
	rw_msg32(m, vers);
	rw_msg32(m, 17);
	rw_msg32(m, p);
}

/* A UDP socket on a privileged loopback port, connected to the server. */
static int mk_udp_privileged(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	for (unsigned p = 1023; p >= 600; p--) {
		struct sockaddr_in a = rw_lo4(p);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			continue;
		a = rw_lo4(port);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		break;
	}
	close(fd);
	return -1;
}

struct prime_ctx {
	const uint32_t *items; /* call i of this pass registers key items[i] */
	uint8_t *acked;        /* per key - from */
	uint32_t from, base;
	long ok, refused;
};

static void prime_call(void *ctx, struct rw_msg *m, uint32_t xid, long i)
{
	const struct prime_ctx *p = ctx;
	uint32_t k = p->items[i];
	pmap_call(m, xid, 1, PRIME_BASE + k, 1, prime_port(k));
}

static void prime_reply(void *ctx, const uint8_t *r, size_t k, uint32_t xid)
{
	struct prime_ctx *p = ctx;
	uint32_t key = p->items[xid - p->base] - p->from;
	if (classify(r, k, xid) == SUCCESS && k == 28 && rw_get32(r + 24) == 1) {
		if (!p->acked[key]) {
			p->acked[key] = 1;
			p->ok++;
		}
	} else {
		p->refused++;
	}
}

/* One UDP GETPORT of primed key k from loopback: 1 when it answers the
 * port SET registered. */
static int prime_lookup(uint32_t k)
{
	struct rw_msg m;
	uint8_t r[512];
	size_t rn = 0;
	int fd = mk_sock_to(SOCK_DGRAM, 0, 0, 0, NULL, "127.0.0.1");
	if (fd < 0)
		return 0;
	pmap_call(&m, ++xid_seq, 3, PRIME_BASE + k, 1, 0);
	int st = udp_call(fd, &m, 2000, r, sizeof(r), &rn, NULL);
	close(fd);
	return st == SUCCESS && rn == 28 && rw_get32(r + 24) == prime_port(k);
}

/* Registers keys from..to-1 (up to 4 passes over the unacknowledged, 128
 * SETs in flight, 120 s in all). */
static void cmd_prime(long from, long to)
{
	long n = to - from;
	uint32_t *items = n > 0 ? malloc((size_t)n * sizeof(uint32_t)) : NULL;
	uint8_t *acked = n > 0 ? calloc((size_t)n, 1) : NULL;
	uint8_t *seen = n > 0 ? malloc((size_t)n) : NULL;
	int fd = mk_udp_privileged();
	if (from < 0 || !items || !acked || !seen || fd < 0) {
		check(0, "prime %ld..%ld: setup (a privileged loopback port: %s)", from, to,
		      fd < 0 ? "none" : "ok");
		return;
	}
	struct prime_ctx p = {items, acked, (uint32_t)from, 0, 0, 0};
	long t0 = rw_now_ms(), resent = 0;
	for (uint32_t pass = 0; pass < 4 && p.ok < n && rw_now_ms() - t0 < 120000; pass++) {
		long m = 0;
		for (long k = 0; k < n; k++)
			if (!acked[k])
				items[m++] = (uint32_t)(from + k);
		if (pass)
			resent += m;
		memset(seen, 0, (size_t)m);
		p.base = 0x61000000u + (pass << 24);
		const struct flood f = {m, 128, 120000 - (rw_now_ms() - t0), p.base, prime_call,
					NULL, prime_reply, &p};
		flood_run(&f, fd, seen);
	}
	close(fd);
	long ms = rw_now_ms() - t0;
	int first = prime_lookup((uint32_t)from), last = prime_lookup((uint32_t)(to - 1));
	check(p.ok == n && first && last,
	      "prime: %ld of %ld programs (keys %ld..%ld) registered by PMAP SET over UDP in %ld ms (%ld refused, %ld resent); GETPORT of the first %s, of the last %s",
	      p.ok, n, from, to - 1, ms, p.refused, resent, first ? "right" : "WRONG",
	      last ? "right" : "WRONG");
	free(items);
	free(acked);
	free(seen);
}

/* A steady UDP GETPORT client, in a thread of its own: one call every
 * period_us whatever the answers (open loop, so a stalled server shows as
 * lost and late calls, not as fewer calls), of primed key
 * (i * 7919) % nreg, each answer checked against the port SET
 * registered. A call unanswered within PROBE_LOST_US is lost. */
struct probe {
	int fd;
	uint32_t nreg, xbase;
	long long period_us;
	long max_calls;
	atomic_int stop;
	long sent, answered, stalls;
	long long *sent_us, *lat_us; /* per call; lat -1: no answer */
	uint8_t *bad;                /* per call: a wrong answer */
	pthread_t th;
};

struct probe_res {
	long sent, lost, wrong, stalls;
	long long p50, p99, max; /* us; LLONG_MAX: a lost call at that rank */
};

static uint32_t probe_key(const struct probe *p, long i)
{
	return (uint32_t)(((unsigned long long)i * 7919u) % p->nreg);
}

static void probe_drain(struct probe *p)
{
	uint8_t r[512];
	for (;;) {
		ssize_t k = recv(p->fd, r, sizeof(r), MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return;
		long long t = now_us();
		if (k < 4)
			continue;
		uint32_t xid = rw_get32(r), i = xid - p->xbase;
		if (i >= (uint32_t)p->sent || p->lat_us[i] >= 0)
			continue;
		p->lat_us[i] = t - p->sent_us[i];
		p->answered++;
		if (classify(r, (size_t)k, xid) != SUCCESS || k != 28 ||
		    rw_get32(r + 24) != prime_port(probe_key(p, i)))
			p->bad[i] = 1;
	}
}

static void *probe_main(void *arg)
{
	struct probe *p = arg;
	struct rw_msg m;
	long long next = now_us();
	while (!atomic_load(&p->stop) && p->sent < p->max_calls) {
		long long t = now_us();
		if (t >= next) {
			long i = p->sent;
			pmap_call(&m, p->xbase + (uint32_t)i, 3, PRIME_BASE + probe_key(p, i), 1, 0);
			p->sent_us[i] = t;
			p->lat_us[i] = -1;
			p->sent = i + 1;
			(void)send(p->fd, m.b, m.n, 0);
			next += p->period_us;
			if (next < t - 20000) { /* this client itself was not scheduled */
				next = t;
				p->stalls++;
			}
			continue;
		}
		struct pollfd pf = {.fd = p->fd, .events = POLLIN};
		if (poll(&pf, 1, (int)((next - t + 999) / 1000)) > 0)
			probe_drain(p);
	}
	/* the last calls get their second */
	long long end = now_us() + PROBE_LOST_US;
	while (p->answered < p->sent && now_us() < end) {
		struct pollfd pf = {.fd = p->fd, .events = POLLIN};
		if (poll(&pf, 1, 10) > 0)
			probe_drain(p);
	}
	return NULL;
}

static int probe_start(struct probe *p, int fd, uint32_t nreg, long rate, long max_s)
{
	static uint32_t probes;
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->nreg = nreg ? nreg : 1;
	p->xbase = 0x50000000u + (probes++ << 22);
	p->period_us = 1000000LL / (rate > 0 ? rate : 1000);
	p->max_calls = (rate > 0 ? rate : 1000) * max_s + 16;
	p->sent_us = calloc((size_t)p->max_calls, sizeof(long long));
	p->lat_us = calloc((size_t)p->max_calls, sizeof(long long));
	p->bad = calloc((size_t)p->max_calls, 1);
	atomic_init(&p->stop, 0);
	if (!p->sent_us || !p->lat_us || !p->bad || pthread_create(&p->th, NULL, probe_main, p))
		return -1;
	return 0;
}

static void probe_stop(struct probe *p)
{
	atomic_store(&p->stop, 1);
	pthread_join(p->th, NULL);
}

/* The figures of the calls sent in [from_us, to_us) (now_us() clock). */
static struct probe_res probe_stats(const struct probe *p, long long from_us, long long to_us)
{
	struct probe_res r = {0, 0, 0, 0, -1, -1, -1};
	long n = 0;
	long long *v = malloc((size_t)(p->sent ? p->sent : 1) * sizeof(long long));
	for (long i = 0; v && i < p->sent; i++) {
		if (p->sent_us[i] < from_us || p->sent_us[i] >= to_us)
			continue;
		long long l = p->lat_us[i];
		if (l < 0 || l > PROBE_LOST_US) {
			r.lost++;
			v[n++] = LLONG_MAX;
		} else {
			v[n++] = l;
			r.wrong += p->bad[i];
		}
	}
	r.sent = n;
	r.stalls = p->stalls;
	if (v && n) {
		qsort(v, (size_t)n, sizeof(long long), cmp_ll);
		r.p50 = v[n / 2];
		r.p99 = v[(n * 99) / 100];
		r.max = v[n - 1];
	}
	free(v);
	return r;
}

static void probe_free(struct probe *p)
{
	free(p->sent_us);
	free(p->lat_us);
	free(p->bad);
}

static const char *us_str(long long us)
{
	static char b[8][32]; /* up to 8 in one printf */
	static int k;
	char *s = b[k++ % 8];
	if (us == LLONG_MAX)
		snprintf(s, 32, "lost");
	else if (us < 0)
		snprintf(s, 32, "none");
	else
		snprintf(s, 32, "%lld us", us);
	return s;
}

/* The probe for `secs` seconds on its own (no load). */
static struct probe_res probe_for(int fd, uint32_t nreg, long rate, long secs)
{
	struct probe p;
	struct probe_res r = {0, 1, 0, 0, -1, -1, -1};
	if (probe_start(&p, fd, nreg, rate, secs + 1))
		return r;
	rw_sleep_ms(secs * 1000);
	probe_stop(&p);
	r = probe_stats(&p, 0, LLONG_MAX);
	probe_free(&p);
	return r;
}

static void cmd_udpprobe(long secs, long nreg, long rate)
{
	int fd = mk_sock_to(SOCK_DGRAM, 0, 0, 0, NULL, "127.0.0.1");
	if (fd < 0 || nreg <= 0) {
		check(0, "udpprobe: setup");
		return;
	}
	struct probe_res r = probe_for(fd, (uint32_t)nreg, rate, secs);
	close(fd);
	check(r.sent > 0 && r.lost == 0 && r.wrong == 0,
	      "udpprobe: %ld UDP GETPORTs over %ld s (%ld/s): %ld lost, %ld wrong; p50 %s, p99 %s, max %s",
	      r.sent, secs, rate, r.lost, r.wrong, us_str(r.p50), us_str(r.p99), us_str(r.max));
}

/* A DUMP v3 over TCP from loopback after the flood: every primed key
 * listed once, with its version, netid and port; the list well formed. */
static void df_dump_check(long nreg)
{
	size_t cap = 64u << 20, rn = 0;
	uint8_t *r = malloc(cap), *seen = calloc((size_t)(nreg > 0 ? nreg : 1), 1);
	struct rw_msg m;
	/* nonblocking: a connect to a full backlog must not block (tcp_call's
	 * deadline covers the handshake) */
	int fd = mk_sock_to(SOCK_STREAM, 1, 0, 0, NULL, "127.0.0.1");
	long t0 = rw_now_ms();
	int st = ST_NONE;
	if (r && seen && fd >= 0) {
		hdr(&m, ++xid_seq, 100000, 3, 4);
		st = tcp_call(fd, &m, 10000, r, cap, &rn);
	}
	if (fd >= 0)
		close(fd);
	long ms = rw_now_ms() - t0, entries = 0, good = 0, bad = 0, dup = 0;
	int formed = 0;
	if (st == SUCCESS && rn <= cap) {
		size_t o = 24;
		while (o + 4 <= rn && rw_get32(r + o) == 1 && o + 12 <= rn) {
			uint32_t prog = rw_get32(r + o + 4), vers = rw_get32(r + o + 8);
			char s[3][256];
			o += 12;
			for (int j = 0; j < 3; j++) {
				if (o + 4 > rn || rw_get32(r + o) > rn - o - 4) {
					o = rn + 1; /* cut short */
					break;
				}
				uint32_t l = rw_get32(r + o);
				size_t c = l < 255 ? l : 255;
				memcpy(s[j], r + o + 4, c);
				s[j][c] = '\0';
				o += 4 + ((l + 3u) & ~3u);
			}
			if (o > rn)
				break;
			entries++;
			uint32_t k = prog - PRIME_BASE;
			if (prog < PRIME_BASE || k >= (uint32_t)nreg)
				continue;
			char *d2 = strrchr(s[1], '.');
			unsigned p1 = 0, p2 = 0;
			if (d2) {
				*d2 = '\0';
				char *d1 = strrchr(s[1], '.');
				p2 = (unsigned)atoi(d2 + 1);
				p1 = d1 ? (unsigned)atoi(d1 + 1) : 0;
			}
			if (seen[k]) {
				dup++;
			} else if (vers == 1 && !strcmp(s[0], "udp") && p1 * 256 + p2 == prime_port(k)) {
				seen[k] = 1;
				good++;
			} else {
				bad++;
			}
		}
		formed = o + 4 == rn && rw_get32(r + o) == 0;
	}
	check(st == SUCCESS && formed && good == nreg && bad == 0 && dup == 0,
	      "dumpflood: afterwards a TCP DUMP v3 from loopback is answered in full: %s, %zu bytes in %ld ms, %ld entries, %ld of %ld primed programs right (%ld wrong, %ld twice), list %s",
	      stname(st), rn, ms, entries, good, nreg, bad, dup, formed ? "well formed" : "MALFORMED");
	free(r);
	free(seen);
}

struct df_opts {
	long conns, calls, hold_s, nreg, idle_kb, grow_kb, conn_kb, fixed_kb, floor_us, base_s,
		rate, mss, rcvbuf, abort_kb, ratio_pct, rounds;
	const char *netns;
};

/* The flood's sockets by default: an Ethernet-sized segment (1448) and a
 * 4 KiB receive buffer. A client that never reads chooses both; on
 * loopback's 64 KiB segments the kernel would let each server socket
 * queue megabytes (tcp_wmem), 2,000 of them the host's whole TCP memory,
 * which CI shares with other tests. */
static int df_parse(struct df_opts *o, int argc, char **argv, int i)
{
	*o = (struct df_opts){.conns = 10, .calls = 93, .hold_s = 4, .grow_kb = 65536,
			      .conn_kb = 48, .fixed_kb = 1024, .base_s = 2, .rate = 1000,
			      .mss = 1448, .rcvbuf = 4096, .abort_kb = 1536 * 1024, .ratio_pct = 300,
			      .rounds = 1};
	static const struct {
		const char *k;
		size_t off;
	} keys[] = {
		{"conns", offsetof(struct df_opts, conns)},
		{"calls", offsetof(struct df_opts, calls)},
		{"hold", offsetof(struct df_opts, hold_s)},
		{"nreg", offsetof(struct df_opts, nreg)},
		{"idle", offsetof(struct df_opts, idle_kb)},
		{"grow", offsetof(struct df_opts, grow_kb)},
		{"conn", offsetof(struct df_opts, conn_kb)},
		{"fixed", offsetof(struct df_opts, fixed_kb)},
		{"floor", offsetof(struct df_opts, floor_us)},
		{"base", offsetof(struct df_opts, base_s)},
		{"rate", offsetof(struct df_opts, rate)},
		{"mss", offsetof(struct df_opts, mss)},
		{"rcvbuf", offsetof(struct df_opts, rcvbuf)},
		{"abort", offsetof(struct df_opts, abort_kb)},
		{"ratio", offsetof(struct df_opts, ratio_pct)},
		{"rounds", offsetof(struct df_opts, rounds)},
	};
	for (; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq)
			return -1;
		size_t kl = (size_t)(eq - argv[i]);
		if (kl == 5 && !strncmp(argv[i], "netns", 5)) {
			o->netns = eq + 1;
			continue;
		}
		size_t j = 0;
		while (j < sizeof(keys) / sizeof(keys[0]) &&
		       (strlen(keys[j].k) != kl || strncmp(keys[j].k, argv[i], kl)))
			j++;
		if (j == sizeof(keys) / sizeof(keys[0]))
			return -1;
		*(long *)(void *)((char *)o + keys[j].off) = strtol(eq + 1, NULL, 0);
	}
	return o->conns > 0 && o->calls > 0 && o->calls * DF_CALL_BYTES <= 65536 &&
			       o->nreg > 0 && o->hold_s > 0 && o->rate > 0 && o->base_s > 0 &&
			       o->rounds > 0
		       ? 0
		       : -1;
}

/* CONNS connections (from -s/-d, in namespace netns= when given) each
 * write CALLS pipelined DUMP v3 calls in one write and never read; held
 * HOLD_S seconds while the probe runs; the server's peak RSS against the
 * idle one (grow=) and per connection against the RSS just before
 * (conn= a connection, fixed= once); the probe's losses and p99 against
 * its own p99 just before (base= seconds, no flood): within ratio=% of it
 * or floor= us above it, whichever is larger. Then everything is closed
 * and a TCP DUMP and a UDP GETPORT from loopback must be answered right.
 * rounds=N: when the p99 alone fails, the whole flood again, baseline
 * included (up to N in all; a shared host's noise), the last one counts. */
static int df_round(const struct df_opts *o_, int last);

static void cmd_dumpflood(int argc, char **argv, int ai)
{
	struct df_opts o;
	if (df_parse(&o, argc, argv, ai)) {
		check(0, "dumpflood: bad arguments (see attack_tool.c)");
		return;
	}
	raise_nofile((rlim_t)o.conns + 1024);
	for (long round = 1; df_round(&o, round >= o.rounds); round++)
		note("dumpflood: only the p99 was over its bound: the whole flood again, baseline included (round %ld of %ld: this host may be shared)",
		     round + 1, o.rounds);
}

/* One flood, baseline to checks afterwards. 1 when only the p99 was over
 * its bound and this is not the last round (then the p99 is a note, not a
 * verdict). */
static int df_round(const struct df_opts *o_, int last)
{
	const struct df_opts o = *o_;
	int failures0 = failures;
	const char *from = o.netns ? (src ? src : dst) : "loopback";
	int pfd = mk_sock_to(SOCK_DGRAM, 0, 0, 0, NULL, "127.0.0.1");
	int *fd = malloc((size_t)o.conns * sizeof(int));
	size_t len = (size_t)o.calls * DF_CALL_BYTES;
	uint8_t *rec = malloc(len);
	if (pfd < 0 || !fd || !rec) {
		check(0, "dumpflood: setup");
		return 0;
	}
	for (long i = 0; i < o.conns; i++)
		fd[i] = -1;
	/* the probe alone first: the baseline */
	struct probe_res b = probe_for(pfd, (uint32_t)o.nreg, o.rate, o.base_s);
	note("dumpflood: without the flood: %ld UDP GETPORTs over %ld s: p50 %s, p99 %s, max %s, %ld lost, %ld wrong",
	     b.sent, o.base_s, us_str(b.p50), us_str(b.p99), us_str(b.max), b.lost, b.wrong);
	check(b.sent > 0 && b.lost == 0 && b.wrong == 0,
	      "dumpflood: the UDP GETPORT client without the flood: %ld sent, %ld lost, %ld wrong",
	      b.sent, b.lost, b.wrong);
	long rss_pre = rss_kb(), fds_pre = fd_count();
	long idle = o.idle_kb > 0 ? o.idle_kb : rss_pre, peak = rss_pre;
	struct probe p;
	if (probe_start(&p, pfd, (uint32_t)o.nreg, o.rate, o.hold_s + 60)) {
		check(0, "dumpflood: probe thread");
		return 0;
	}
	long long t_flood = now_us();
	/* the flood's sockets in the attacker's namespace (this thread only) */
	int home = -1;
	if (o.netns) {
		int nsfd = open(o.netns, O_RDONLY | O_CLOEXEC);
		home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || home < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
			check(0, "dumpflood: setns %s: %s", o.netns, strerror(errno));
			probe_stop(&p);
			probe_free(&p);
			return 0;
		}
		close(nsfd);
	}
	/* open: at most 256 handshakes at once; each connection's calls in
	 * one send as soon as it is up. This thread opens them at SCHED_IDLE:
	 * on a remote attacker its handshakes (the kernel's work for both
	 * ends on loopback, done in this thread) cost the server's host
	 * nothing, and here they would take one of two CPUs from the server
	 * and the probe, a p50 of 0.4 to 2.8 ms for the lookups made while
	 * the connections open, whatever the server (0.03 ms while held). */
	struct sched_param sp_idle = {0}, sp_was;
	int pol_was = SCHED_OTHER;
	pthread_getschedparam(pthread_self(), &pol_was, &sp_was);
	int idled = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp_idle) == 0;
	enum { PEND_MAX = 256 };
	int pend[PEND_MAX], npend = 0;
	long next = 0, written = 0, failed = 0, partial = 0;
	long t_open = rw_now_ms(), open_end = t_open + 15000;
	int aborted = 0;
	while ((next < o.conns || npend > 0) && rw_now_ms() < open_end && !aborted) {
		while (next < o.conns && npend < PEND_MAX) {
			fd[next] = mk_sock_to(SOCK_STREAM, 1, (int)o.rcvbuf, (int)o.mss, src, dst);
			if (fd[next] < 0)
				failed++;
			else
				pend[npend++] = (int)next;
			next++;
		}
		struct pollfd pf[PEND_MAX];
		for (int j = 0; j < npend; j++)
			pf[j] = (struct pollfd){.fd = fd[pend[j]], .events = POLLOUT};
		long r = rss_kb();
		if (r > peak)
			peak = r;
		if (r - idle > o.abort_kb)
			aborted = 1; /* this host's memory is shared: stop here */
		if (poll(pf, (nfds_t)npend, 100) <= 0)
			continue;
		for (int j = npend - 1; j >= 0; j--) {
			if (!pf[j].revents)
				continue;
			int c = pend[j], err = 0;
			socklen_t el = sizeof(err);
			getsockopt(fd[c], SOL_SOCKET, SO_ERROR, &err, &el);
			if (!err && (pf[j].revents & POLLOUT)) {
				for (long k = 0; k < o.calls; k++) {
					uint8_t *q = rec + k * DF_CALL_BYTES;
					rw_put32(q, RW_REC_LAST | RW_CALL_HDR);
					rw_call_hdr(q + 4, 0x3d000000u + (uint32_t)(c * o.calls + k),
						    100000, 3, 4);
				}
				ssize_t k = send(fd[c], rec, len, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (k == (ssize_t)len)
					written++;
				else if (k > 0)
					partial++;
				else
					failed++;
			} else {
				failed++;
			}
			pend[j] = pend[--npend];
		}
	}
	failed += npend;
	long open_ms = rw_now_ms() - t_open;
	if (idled)
		pthread_setschedparam(pthread_self(), pol_was, &sp_was);
	if (home >= 0) {
		if (setns(home, CLONE_NEWNET) < 0)
			check(0, "dumpflood: setns back: %s", strerror(errno));
		close(home);
	}
	/* hold: the server's RSS every 20 ms */
	long long t_hold = now_us();
	long hold_end = rw_now_ms() + o.hold_s * 1000, fds_hold = -1, cpu0 = cpu_ms();
	for (long n = 0; rw_now_ms() < hold_end && !aborted; n++) {
		long r = rss_kb();
		if (r > peak)
			peak = r;
		if (r - idle > o.abort_kb) {
			aborted = 1; /* this host's memory is shared: stop here */
			break;
		}
		if (n % 25 == 0) { /* /proc/PID/fd of 2,000 entries: not every time */
			long fc = fd_count();
			if (fc > fds_hold)
				fds_hold = fc;
		}
		rw_sleep_ms(20);
	}
	long hold_cpu = cpu_ms() - cpu0, hold_ms = (long)((now_us() - t_hold) / 1000);
	long still = 0;
	for (long i = 0; i < o.conns; i++)
		if (fd[i] >= 0 && tcp_state(fd[i]) == TCP_ESTABLISHED)
			still++;
	probe_stop(&p);
	struct probe_res f = probe_stats(&p, t_flood, LLONG_MAX),
			 fo = probe_stats(&p, t_flood, t_hold), fh = probe_stats(&p, t_hold, LLONG_MAX);
	probe_free(&p);
	long r_end = rss_kb();
	if (r_end > peak)
		peak = r_end;
	for (long i = 0; i < o.conns; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	free(fd);
	free(rec);
	check(written == o.conns,
	      "dumpflood: %ld of %ld connections from %s wrote %ld pipelined DUMP v3 calls (%zu bytes) in one write each and never read (%ld failed, %ld partial; %ld ms to open; %ld still open after %ld s)",
	      written, o.conns, from, o.calls, len, failed, partial, open_ms, still, o.hold_s);
	note("dumpflood: server: RSS idle %ld kB, before the flood %ld kB, peak %ld kB; %ld fds before, up to %ld while held; CPU %ld ms in the %ld ms held",
	     idle, rss_pre, peak, fds_pre, fds_hold, hold_cpu, hold_ms);
	check(!aborted && peak >= 0 && peak - idle <= o.grow_kb,
	      "dumpflood: server RSS peak %ld kB, %ld kB above its idle %ld kB with %ld connections x %ld DUMPs of %ld registrations (bound %ld kB)%s",
	      peak, peak - idle, idle, o.conns, o.calls, o.nreg, o.grow_kb,
	      aborted ? " -- STOPPED EARLY, over the safety limit" : "");
	long delta = peak - rss_pre;
	check(!aborted && delta <= o.conns * o.conn_kb + o.fixed_kb,
	      "dumpflood: memory per connection %.1f kB: (peak %ld - before %ld) / %ld connections (bound %ld kB a connection, RB_CONN_MEM_MAX, + %ld kB once: %ld kB)",
	      (double)delta / (double)o.conns, peak, rss_pre, o.conns, o.conn_kb, o.fixed_kb,
	      o.conns * o.conn_kb + o.fixed_kb);
	note("dumpflood: during the flood: %ld UDP GETPORTs: p50 %s, p99 %s, max %s; the client itself stalled %ld times",
	     f.sent, us_str(f.p50), us_str(f.p99), us_str(f.max), f.stalls);
	note("dumpflood: while connecting: %ld, p50 %s, p99 %s, max %s, %ld lost; while held: %ld, p50 %s, p99 %s, max %s, %ld lost",
	     fo.sent, us_str(fo.p50), us_str(fo.p99), us_str(fo.max), fo.lost, fh.sent,
	     us_str(fh.p50), us_str(fh.p99), us_str(fh.max), fh.lost);
	check(f.sent > 0 && f.lost == 0 && f.wrong == 0,
	      "dumpflood: a UDP GETPORT client on loopback during the flood (%ld/s, one every %lld us): %ld sent, %ld lost (no answer within 1 s), %ld wrong",
	      o.rate, 1000000LL / o.rate, f.sent, f.lost, f.wrong);
	long long bound = -1;
	if (b.p99 >= 0 && b.p99 != LLONG_MAX) {
		bound = b.p99 * o.ratio_pct / 100;
		if (b.p99 + o.floor_us > bound)
			bound = b.p99 + o.floor_us;
	}
	/* the server notices the closes (bounded), then serves right; not
	 * waited for after a stop over the safety limit (the test ends it) */
	long settle = rw_now_ms() + 10000;
	while (!aborted && fd_count() > fds_pre + 16 && rw_now_ms() < settle)
		rw_sleep_ms(20);
	uint32_t k = (uint32_t)(o.nreg - 1);
	if (aborted) {
		check(0, "dumpflood: afterwards: not asked (stopped early, over the safety limit)");
	} else {
		df_dump_check(o.nreg);
		check(prime_lookup(k),
		      "dumpflood: afterwards a UDP GETPORT of program %#x is answered right (port %u)",
		      PRIME_BASE + k, prime_port(k));
	}
	close(pfd);
	int p99_ok = bound >= 0 && f.p99 <= bound;
	if (!p99_ok && !last && failures == failures0) {
		note("dumpflood: its p99 during the flood %s vs %s without: over the bound of %lld us",
		     us_str(f.p99), us_str(b.p99), bound);
		return 1;
	}
	check(p99_ok,
	      "dumpflood: its p99 during the flood %s vs %s without (bound %lld us: %ld%% of it%s%ld us above)",
	      us_str(f.p99), us_str(b.p99), bound, o.ratio_pct, o.floor_us ? ", or " : "",
	      o.floor_us);
	return 0;
}

/* The soft RLIMIT_NOFILE of the server, -1 when unknown. */
static long srv_nofile(void)
{
	char line[256];
	long v = -1;
	FILE *f = vd_proc_open(server_pid, "limits");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Max open files %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Nonblocking TCP connections that each send a NULL once up and wait for
 * its reply: the "new clients" of fdlimit. */
struct nullconn {
	int fd, sent, answered;
	uint32_t xid;
};

static void nullconn_open(struct nullconn *c, uint32_t xid)
{
	c->fd = mk_sock(SOCK_STREAM, 1, 0);
	c->sent = c->answered = 0;
	c->xid = xid;
}

/* Polls the connections for up to ms: sends, reads; the number answered. */
static int nullconn_poll(struct nullconn *c, int n, int ms)
{
	struct pollfd pf[64];
	int map[64], np = 0, answered = 0;
	for (int i = 0; i < n && np < 64; i++) {
		if (c[i].fd < 0 || c[i].answered)
			continue;
		pf[np] = (struct pollfd){.fd = c[i].fd, .events = c[i].sent ? POLLIN : POLLOUT};
		map[np++] = i;
	}
	if (np == 0) {
		rw_sleep_ms(ms);
	} else if (poll(pf, (nfds_t)np, ms) > 0) {
		for (int j = 0; j < np; j++) {
			struct nullconn *x = &c[map[j]];
			if (!pf[j].revents)
				continue;
			if (!x->sent && (pf[j].revents & POLLOUT)) {
				int err = 0;
				socklen_t el = sizeof(err);
				getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				uint8_t rec[4 + RW_CALL_HDR];
				rw_put32(rec, RW_REC_LAST | RW_CALL_HDR);
				rw_call_hdr(rec + 4, x->xid, 100000, 2, 0);
				if (!err && send(x->fd, rec, sizeof(rec), MSG_NOSIGNAL | MSG_DONTWAIT) ==
						    (ssize_t)sizeof(rec))
					x->sent = 1;
			} else if (x->sent && (pf[j].revents & POLLIN)) {
				uint8_t r[256];
				ssize_t k = recv(x->fd, r, sizeof(r), MSG_DONTWAIT);
				if (k >= 4 + 24 && classify(r + 4, (size_t)k - 4, x->xid) == SUCCESS)
					x->answered = 1;
			}
		}
	}
	for (int i = 0; i < n; i++)
		answered += c[i].answered;
	return answered;
}

/* CONNS clients connect over TCP and hold (HOLD_S seconds in all) against
 * a server whose descriptors run out first: it must reach its limit, not
 * spin there (its CPU over WINDOW_S seconds under CPU_PCT % of one core)
 * while a new client tries every 100 ms, answer UDP meanwhile, and serve a
 * new TCP connection within 2 s of the clients closing. */
static void cmd_fdlimit(int conns, long hold_s, long window_s, long cpu_pct)
{
	enum { TRICKLE = 64, RECOVER = 42 };
	raise_nofile((rlim_t)conns + 2048);
	long lim = srv_nofile(), fds0 = fd_count();
	int *fd = malloc((size_t)conns * sizeof(int));
	int u = mk_udp();
	if (!fd || u < 0 || lim <= 0 || server_pid <= 0) {
		check(0, "fdlimit: setup (needs -P; server limit %ld)", lim);
		return;
	}
	long t0 = rw_now_ms();
	int opened = 0;
	for (int i = 0; i < conns; i++) {
		fd[i] = mk_sock(SOCK_STREAM, 1, 0);
		opened += fd[i] >= 0;
	}
	/* until the server's descriptors run out (bounded) */
	long fds = fd_count(), reach_end = t0 + 10000;
	while (fds < lim - 8 && rw_now_ms() < reach_end) {
		rw_sleep_ms(50);
		fds = fd_count();
	}
	rw_sleep_ms(500); /* past the first refusals */
	fds = fd_count();
	check(opened == conns && fds >= lim - 8,
	      "fdlimit: %d of %d clients connecting: the server is at its descriptor limit (%ld fds open, %ld before; limit %ld) after %ld ms",
	      opened, conns, fds, fds0, lim, rw_now_ms() - t0);
	/* the window: new clients keep trying, UDP is asked every 500 ms */
	struct nullconn tr[TRICKLE];
	int ntr = 0, udp_n = 0, udp_ok = 0, tr_ok = 0;
	long c0 = cpu_ms(), w0 = rw_now_ms(), wend = w0 + window_s * 1000, next_udp = w0;
	while (rw_now_ms() < wend) {
		if (ntr < TRICKLE && rw_now_ms() >= w0 + ntr * 100L) {
			nullconn_open(&tr[ntr], 0x3e000000u + (uint32_t)ntr);
			ntr++;
		}
		if (rw_now_ms() >= next_udp) {
			struct rw_msg m;
			hdr(&m, ++xid_seq, 100000, 2, 0);
			udp_n++;
			udp_ok += udp_call(u, &m, 1000, NULL, 0, NULL, NULL) == SUCCESS;
			next_udp += 500;
		}
		tr_ok = nullconn_poll(tr, ntr, 20);
	}
	long c1 = cpu_ms(), w1 = rw_now_ms();
	check(c0 >= 0 && c1 >= 0 && (c1 - c0) * 100 < cpu_pct * (w1 - w0),
	      "fdlimit: at the limit the server used %ld ms of CPU in %ld ms (%.1f%% of one core; bound %ld%%) while %d new clients tried",
	      c1 - c0, w1 - w0, w1 > w0 ? 100.0 * (double)(c1 - c0) / (double)(w1 - w0) : 0.0,
	      cpu_pct, ntr);
	check(udp_n > 0 && udp_ok == udp_n, "fdlimit: %d of %d UDP NULLs answered within 1 s at the limit",
	      udp_ok, udp_n);
	note("fdlimit: %d of the %d new clients were served at the limit; server fds %ld",
	     tr_ok, ntr, fd_count());
	while (rw_now_ms() - t0 < hold_s * 1000)
		rw_sleep_ms(20);
	/* every client goes: the server must serve again at once */
	for (int i = 0; i < conns; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	for (int i = 0; i < ntr; i++)
		if (tr[i].fd >= 0)
			close(tr[i].fd);
	free(fd);
	long tc = rw_now_ms(), got = -1;
	struct nullconn rc[RECOVER];
	int nrc = 0;
	/* a new attempt every 100 ms for 2 s (a SYN dropped while the
	 * backlog drains would wait 1 s for its retry), then one a second up
	 * to 22 s, only to tell how late it came; the first answer counts */
	while (got < 0 && rw_now_ms() - tc < 22000) {
		long el = rw_now_ms() - tc;
		long due = el < 2000 ? el / 100 + 1 : 20 + (el - 2000) / 1000 + 1;
		if (nrc < RECOVER && nrc < due) {
			nullconn_open(&rc[nrc], 0x3f000000u + (uint32_t)nrc);
			nrc++;
		}
		if (nullconn_poll(rc, nrc, 10) > 0)
			got = rw_now_ms() - tc;
	}
	for (int i = 0; i < nrc; i++)
		if (rc[i].fd >= 0)
			close(rc[i].fd);
	check(got >= 0 && got <= 2000,
	      "fdlimit: descriptors freed (every client closed): a new TCP NULL answered %ld ms later (bound 2000 ms)",
	      got);
	close(u);
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
	else if (!strcmp(c, "getstat"))
		cmd_getstat(arg(argv, argc, i, 2000), arg(argv, argc, i + 1, 1000),
			    arg(argv, argc, i + 2, 100));
	else if (!strcmp(c, "getstatfresh"))
		cmd_getstatfresh(arg(argv, argc, i, 50));
	else if (!strcmp(c, "warm"))
		cmd_warm();
	else if (!strcmp(c, "window"))
		cmd_window(arg(argv, argc, i, 2000));
	else if (!strcmp(c, "prime") && i + 1 < argc)
		cmd_prime(arg(argv, argc, i, 0), arg(argv, argc, i + 1, 0));
	else if (!strcmp(c, "udpprobe"))
		cmd_udpprobe(arg(argv, argc, i, 2), arg(argv, argc, i + 1, 1), arg(argv, argc, i + 2, 1000));
	else if (!strcmp(c, "dumpflood"))
		cmd_dumpflood(argc, argv, i);
	else if (!strcmp(c, "fdlimit"))
		cmd_fdlimit((int)arg(argv, argc, i, 3000), arg(argv, argc, i + 1, 10),
			    arg(argv, argc, i + 2, 5), arg(argv, argc, i + 3, 5));
	else
		return usage();
	return failures > 100 ? 100 : failures;
}
