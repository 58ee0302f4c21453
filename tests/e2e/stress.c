/* rb_e2e_stress: robustness checks against a port mapper on 127.0.0.1.
 *
 *   rb_e2e_stress [-p PORT] [-P SERVER_PID] CHECK...
 *
 * CHECKs: idle (1,000 TCP and 300 local connections held open, some with a
 * partial record, while lookups are answered), pipeline (a TCP client that
 * never reads its replies, while 2,000 UDP lookups are each answered within
 * 1 s; the server drops it in the end), bigrecord (records over 9,000 bytes
 * drop the connection, one of exactly 9,000 is served), random (random
 * bytes on TCP and UDP), rpcbomb (CVE-2017-8779 over UDP and TCP: GARBAGE_ARGS
 * and, with -P, flat memory).
 *
 * One PASS/FAIL line per check; exit status = failures (capped). Every loop
 * is bounded in count and time. */
#define _GNU_SOURCE
#include <arpa/inet.h>
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
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rpcwire.h"
#include "verdict.h"

static int failures;
static unsigned port = 111;
static long server_pid = -1;
static uint32_t xid_seq = 0x51000000u;

__attribute__((format(printf, 2, 3))) static void check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failures += vd_vcheck(ok, fmt, ap);
	va_end(ap);
}

/* An AUTH_NONE call header for 100000/vers/proc; returns its length (40). */
static size_t call_hdr(unsigned char *p, uint32_t xid, uint32_t vers, uint32_t proc)
{
	return rw_call_hdr(p, xid, RW_PMAP_PROG, vers, proc);
}

/* PMAP GETPORT of (100000, 2, udp): 56 bytes; the answer is 111. */
static size_t getport_call(unsigned char *p, uint32_t xid)
{
	size_t n = call_hdr(p, xid, 2, 3);
	rw_put32(p + n, 100000);
	rw_put32(p + n + 4, 2);
	rw_put32(p + n + 8, 17);
	rw_put32(p + n + 12, 0);
	return n + 16;
}

/* The rpcbomb: v4 GETVERSADDR, r_netid "udp", r_addr claiming 1,000,000
 * bytes with nothing behind them (60 bytes). */
static size_t rpcbomb_call(unsigned char *p, uint32_t xid)
{
	size_t n = call_hdr(p, xid, 4, 9);
	rw_put32(p + n, 100000);
	rw_put32(p + n + 4, 4);
	rw_put32(p + n + 8, 3);
	memcpy(p + n + 12, "udp\0", 4);
	rw_put32(p + n + 16, 1000000);
	return n + 20;
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = rw_lo4(port);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* rcvbuf > 0: a small receive buffer, set before the handshake. */
static int tcp_connect_buf(int nonblock, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	struct sockaddr_in a = rw_lo4(port);
	if (fd < 0)
		return -1;
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_connect(int nonblock)
{
	return tcp_connect_buf(nonblock, 0);
}

static int local_connect(void)
{
	int fd = socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_LOCAL;
	strcpy(a.sun_path, "/run/rpcbind.sock");
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One UDP call; the reply's accept status, -1 on none within ms. Sets
 * *lat to the round trip in ms. */
static int udp_call(int fd, const unsigned char *msg, size_t n, uint32_t xid, long ms, long *lat)
{
	unsigned char r[9000];
	long t0 = rw_now_ms();
	ssize_t k = rw_udp_call(fd, msg, n, xid, t0 + ms, r, sizeof(r));
	int st = k < 0 ? -1 : rw_reply_stat(r, (size_t)k, xid, NULL);
	if (st != -1 && lat)
		*lat = rw_now_ms() - t0;
	return st;
}

/* Reads one record within ms: accept status for xid, -1 none/timeout, -3 EOF. */
static int read_reply(int fd, uint32_t xid, long ms)
{
	unsigned char buf[65536];
	size_t len = 0;
	int e = rw_read_record(fd, buf, sizeof(buf), &len, rw_now_ms() + ms);
	if (e)
		return e == -ETIMEDOUT ? -1 : -3;
	return len > sizeof(buf) ? -1 : rw_reply_stat(buf, len, xid, NULL);
}

/* A stream call (record-marked) on fd: accept status, or <0. */
static int stream_call(int fd, const unsigned char *msg, size_t n, uint32_t xid, long ms)
{
	if (rw_send_record(fd, msg, n, rw_now_ms() + ms))
		return -3;
	return read_reply(fd, xid, ms);
}

/* The server still answers: UDP and TCP (new connection) NULL within 1 s. */
static void liveness(const char *after)
{
	unsigned char m[64];
	uint32_t x = ++xid_seq;
	size_t n = call_hdr(m, x, 2, 0);
	int fd = udp_socket();
	int st = fd >= 0 ? udp_call(fd, m, n, x, 1000, NULL) : -1;
	if (fd >= 0)
		close(fd);
	check(st == 0, "%s: UDP NULL still answered within 1 s", after);
	fd = tcp_connect(0);
	x = ++xid_seq;
	n = call_hdr(m, x, 4, 0);
	st = fd >= 0 ? stream_call(fd, m, n, x, 1000) : -1;
	if (fd >= 0)
		close(fd);
	check(st == 0, "%s: TCP NULL on a new connection answered within 1 s", after);
}

static long rss_kb(void)
{
	return vd_rss_kb(server_pid);
}

/* UDP lookups: n GETPORTs, each answered within 1 s; returns misses. */
static int udp_lookups(int fd, int n, long *maxlat)
{
	unsigned char m[64];
	int missed = 0;
	*maxlat = 0;
	for (int i = 0; i < n; i++) {
		uint32_t x = ++xid_seq;
		size_t len = getport_call(m, x);
		long lat = 0;
		if (udp_call(fd, m, len, x, 1000, &lat) != 0)
			missed++;
		else if (lat > *maxlat)
			*maxlat = lat;
	}
	return missed;
}

static void test_idle(void)
{
	enum { NTCP = 1000, NPARTIAL = 100, NLOCAL = 300 };
	static int fds[NTCP], lfds[NLOCAL];
	unsigned char m[64], rec[128];
	int opened = 0, answered = 0, lopened = 0;
	long t0 = rw_now_ms();

	for (int i = 0; i < NTCP; i++) {
		fds[i] = tcp_connect(1);
		if (fds[i] >= 0)
			opened++;
	}
	/* every connection: connected, and served once (so the server holds it
	 * as a connection, not just the kernel's backlog) */
	for (int i = 0; i < NTCP && rw_now_ms() - t0 < 20000; i++) {
		if (fds[i] < 0 || !rw_wait_fd(fds[i], POLLOUT, rw_now_ms() + 2000))
			continue;
		uint32_t x = 0x1d000000u + (uint32_t)i;
		size_t n = call_hdr(m, x, 2, 0);
		rw_put32(rec, 0x80000000u | (uint32_t)n);
		memcpy(rec + 4, m, n);
		if (rw_write_all(fds[i], rec, n + 4, rw_now_ms() + 1000) == 0 &&
		    read_reply(fds[i], x, 2000) == 0)
			answered++;
	}
	check(opened == NTCP && answered == NTCP,
	      "idle: %d of %d TCP connections opened, %d served a NULL (%ld ms)", opened, NTCP,
	      answered, rw_now_ms() - t0);
	/* the first NPARTIAL now hold a partial record: a header and half a call */
	for (int i = 0; i < NPARTIAL; i++) {
		if (fds[i] < 0)
			continue;
		size_t n = getport_call(m, 0x1e000000u + (uint32_t)i);
		rw_put32(rec, 0x80000000u | (uint32_t)n);
		memcpy(rec + 4, m, n);
		rw_write_all(fds[i], rec, 4 + n / 2, rw_now_ms() + 1000);
	}
	for (int i = 0; i < NLOCAL; i++) {
		lfds[i] = local_connect();
		if (lfds[i] >= 0)
			lopened++;
	}
	check(lopened == NLOCAL, "idle: %d of %d local connections opened", lopened, NLOCAL);

	int fd = udp_socket();
	long maxlat = 0;
	int missed = fd >= 0 ? udp_lookups(fd, 500, &maxlat) : 500;
	if (fd >= 0)
		close(fd);
	check(missed == 0, "idle: 500 UDP GETPORTs with %d connections held: %d unanswered within 1 s, slowest %ld ms",
	      NTCP + NLOCAL, missed, maxlat);
	liveness("idle");
	int lf = local_connect();
	uint32_t x = ++xid_seq;
	size_t n = call_hdr(m, x, 3, 0);
	check(lf >= 0 && stream_call(lf, m, n, x, 1000) == 0,
	      "idle: NULL over a new local connection answered within 1 s");
	if (lf >= 0)
		close(lf);

	/* the held connections are still served (none reaped early) */
	int still = 0;
	for (int i = NPARTIAL; i < NTCP; i++) {
		if (fds[i] < 0)
			continue;
		x = 0x1f000000u + (uint32_t)i;
		n = call_hdr(m, x, 4, 0);
		if (stream_call(fds[i], m, n, x, 1000) == 0)
			still++;
	}
	check(still == NTCP - NPARTIAL, "idle: %d of %d idle connections still served afterwards", still,
	      NTCP - NPARTIAL);
	/* a partial record completed late is answered */
	int done = 0;
	for (int i = 0; i < NPARTIAL; i++) {
		if (fds[i] < 0)
			continue;
		x = 0x1e000000u + (uint32_t)i;
		n = getport_call(m, x);
		if (rw_write_all(fds[i], m + n / 2, n - n / 2, rw_now_ms() + 1000) == 0 &&
		    read_reply(fds[i], x, 1000) == 0)
			done++;
	}
	check(done == NPARTIAL, "idle: %d of %d partial records completed later were answered", done,
	      NPARTIAL);
	for (int i = 0; i < NTCP; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (int i = 0; i < NLOCAL; i++)
		if (lfds[i] >= 0)
			close(lfds[i]);
}

static void test_pipeline(void)
{
	enum { NLOOKUPS = 2000 };
	unsigned char m[64], rec[64 * 64];
	int a = tcp_connect_buf(0, 4096);
	if (a < 0) {
		check(0, "pipeline: connect");
		return;
	}
	/* 64 DUMP calls per write; DUMP replies are much larger than calls */
	size_t rl = 0;
	for (int i = 0; i < 64; i++) {
		size_t n = call_hdr(m, 0x2a000000u + (uint32_t)i, 3, 4);
		rw_put32(rec + rl, 0x80000000u | (uint32_t)n);
		memcpy(rec + rl + 4, m, n);
		rl += n + 4;
	}
	int u = udp_socket();
	long t0 = rw_now_ms(), blocked_at = -1, maxlat = 0, lat;
	size_t written = 0;
	int missed = 0;
	for (int i = 0; i < NLOOKUPS && rw_now_ms() - t0 < 30000; i++) {
		/* the pipelining client writes until the server stops reading */
		if (blocked_at < 0) {
			ssize_t k = send(a, rec, rl, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k > 0)
				written += (size_t)k;
			else if (k < 0 && errno == EAGAIN)
				blocked_at = rw_now_ms();
			else if (k < 0)
				blocked_at = rw_now_ms(); /* dropped already */
		}
		uint32_t x = ++xid_seq;
		size_t n = getport_call(m, x);
		lat = 0;
		if (udp_call(u, m, n, x, 1000, &lat) != 0)
			missed++;
		else if (lat > maxlat)
			maxlat = lat;
	}
	/* keep writing (bounded) until the server stops reading from it */
	while (blocked_at < 0 && rw_now_ms() - t0 < 30000 && written < (64u << 20)) {
		ssize_t k = send(a, rec, rl, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0)
			written += (size_t)k;
		else
			blocked_at = rw_now_ms();
	}
	check(missed == 0,
	      "pipeline: %d UDP lookups while a client pipelines %zu bytes of calls unread: %d unanswered within 1 s, slowest %ld ms",
	      NLOOKUPS, written, missed, maxlat);
	check(blocked_at >= 0, "pipeline: the server stopped reading from the client that never reads (after %zu bytes)",
	      written);
	liveness("pipeline");
	int t = tcp_connect(0);
	uint32_t x = ++xid_seq;
	size_t n = getport_call(m, x);
	check(t >= 0 && stream_call(t, m, n, x, 1000) == 0,
	      "pipeline: GETPORT on another TCP connection answered within 1 s");
	if (t >= 0)
		close(t);
	/* RB_CONN_BLOCKED_TIMEOUT_MS (5 s): the server drops a client that
	 * leaves its replies unread; wait 6 s, then expect the end of it. */
	if (blocked_at >= 0) {
		while (rw_now_ms() - blocked_at < 6000)
			rw_wait_fd(u, 0, rw_now_ms() + 100);
		size_t got = 0;
		int closed = rw_wait_closed(a, rw_now_ms() + 8000, &got);
		check(closed, "pipeline: the server dropped the non-reading client (RB_CONN_BLOCKED_TIMEOUT_MS), %zu reply bytes were pending",
		      got);
	}
	close(a);
	close(u);
}

static void test_bigrecord(void)
{
	static unsigned char big[20000];
	unsigned char m[64];
	int fd;
	size_t got;

	/* exactly 9,000 bytes: a NULL call with ignored trailing bytes */
	memset(big, 0, sizeof(big));
	uint32_t x = ++xid_seq;
	call_hdr(big + 4, x, 2, 0);
	rw_put32(big, 0x80000000u | 9000u);
	fd = tcp_connect(0);
	check(fd >= 0 && rw_write_all(fd, big, 9004, rw_now_ms() + 2000) == 0 &&
		      read_reply(fd, x, 2000) == 0,
	      "bigrecord: a 9,000-byte record is served");
	if (fd >= 0)
		close(fd);

	/* 9,001 bytes in one fragment */
	x = ++xid_seq;
	call_hdr(big + 4, x, 2, 0);
	rw_put32(big, 0x80000000u | 9001u);
	fd = tcp_connect(0);
	if (fd >= 0)
		rw_write_all(fd, big, 9005, rw_now_ms() + 2000);
	check(fd >= 0 && rw_wait_closed(fd, rw_now_ms() + 3000, &got) && got == 0,
	      "bigrecord: a 9,001-byte record drops the connection, no reply");
	if (fd >= 0)
		close(fd);

	/* 5,000 + 5,000 in two fragments */
	x = ++xid_seq;
	call_hdr(big + 4, x, 2, 0);
	rw_put32(big, 5000u);
	rw_put32(big + 5004, 0x80000000u | 5000u);
	fd = tcp_connect(0);
	if (fd >= 0)
		rw_write_all(fd, big, 10008, rw_now_ms() + 2000);
	check(fd >= 0 && rw_wait_closed(fd, rw_now_ms() + 3000, &got) && got == 0,
	      "bigrecord: two fragments adding up to 10,000 bytes drop the connection");
	if (fd >= 0)
		close(fd);

	/* a header claiming 2 GB, then a little: dropped, nothing allocated */
	long rss0 = rss_kb();
	for (int i = 0; i < 50; i++) {
		fd = tcp_connect(0);
		if (fd < 0)
			continue;
		rw_put32(m, 0x7fffffffu);
		memset(m + 4, 0, 60);
		rw_write_all(fd, m, 64, rw_now_ms() + 1000);
		int closed = rw_wait_closed(fd, rw_now_ms() + 3000, &got);
		close(fd);
		if (!closed) {
			check(0, "bigrecord: a header claiming 2 GB did not drop the connection");
			break;
		}
		if (i == 49)
			check(1, "bigrecord: 50 headers claiming 2 GB each dropped the connection");
	}
	long rss1 = rss_kb();
	if (rss0 > 0 && rss1 > 0)
		check(rss1 - rss0 < 16384, "bigrecord: server RSS %ld kB -> %ld kB", rss0, rss1);

	/* the same over the local socket */
	x = ++xid_seq;
	call_hdr(big + 4, x, 2, 0);
	rw_put32(big, 0x80000000u | 9001u);
	fd = local_connect();
	if (fd >= 0)
		rw_write_all(fd, big, 9005, rw_now_ms() + 2000);
	check(fd >= 0 && rw_wait_closed(fd, rw_now_ms() + 3000, &got) && got == 0,
	      "bigrecord: a 9,001-byte record on the local socket drops the connection");
	if (fd >= 0)
		close(fd);

	/* UDP: a 9,000-byte datagram is served */
	x = ++xid_seq;
	call_hdr(big, x, 2, 0);
	int u = udp_socket();
	check(u >= 0 && udp_call(u, big, 9000, x, 1000, NULL) == 0,
	      "bigrecord: a 9,000-byte UDP datagram is served");
	if (u >= 0)
		close(u);
	liveness("bigrecord");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	/* xorshift64*: fixed seed, so a failure can be replayed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static void test_random(void)
{
	static unsigned char buf[16384];
	long t0 = rw_now_ms();
	int conns = 0;
	for (int i = 0; i < 200 && rw_now_ms() - t0 < 30000; i++) {
		size_t n = 16 + rnd() % 8192;
		for (size_t j = 0; j < n; j++)
			buf[j] = (unsigned char)rnd();
		if (i % 2 == 0) {
			/* a plausible record header, then random bytes */
			uint32_t len = (uint32_t)(n - 4);
			rw_put32(buf, (rnd() & 1 ? 0x80000000u : 0) | len);
			if (i % 4 == 0 && n >= 28) {
				rw_put32(buf + 8, 0); /* CALL */
				rw_put32(buf + 12, 2);
				rw_put32(buf + 16, 100000);
				rw_put32(buf + 20, 2 + rnd() % 3);
			}
		}
		int fd = (i % 10 == 9) ? local_connect() : tcp_connect(0);
		if (fd < 0)
			continue;
		conns++;
		rw_write_all(fd, buf, n, rw_now_ms() + 1000);
		/* whatever comes back, within a short bound */
		rw_wait_closed(fd, rw_now_ms() + (i % 10 == 0 ? 100 : 5), NULL);
		close(fd);
	}
	check(conns == 200, "random: %d connections sent random bytes (%ld ms)", conns, rw_now_ms() - t0);
	int u = udp_socket();
	for (int i = 0; i < 2000 && u >= 0; i++) {
		size_t n = rnd() % 1600;
		for (size_t j = 0; j < n; j++)
			buf[j] = (unsigned char)rnd();
		if (i % 3 == 0 && n >= 24) {
			rw_put32(buf + 4, 0);
			rw_put32(buf + 8, 2);
			rw_put32(buf + 12, 100000);
			rw_put32(buf + 16, 2 + rnd() % 3);
			rw_put32(buf + 20, rnd() % 14);
		}
		send(u, buf, n, 0);
		if (i % 100 == 0) {
			unsigned char r[9000];
			while (rw_wait_fd(u, POLLIN, rw_now_ms() + 5) && recv(u, r, sizeof(r), MSG_DONTWAIT) > 0)
				;
		}
	}
	if (u >= 0)
		close(u);
	check(1, "random: 2,000 random UDP datagrams sent");
	liveness("random");
}

static void test_rpcbomb(void)
{
	unsigned char m[64];
	int u = udp_socket(), garbage = 0, n = 1000;
	long rss0 = rss_kb();
	for (int i = 0; i < n && u >= 0; i++) {
		uint32_t x = ++xid_seq;
		size_t len = rpcbomb_call(m, x);
		if (udp_call(u, m, len, x, 1000, NULL) == 4)
			garbage++;
	}
	check(garbage == n, "rpcbomb: %d of %d UDP GETVERSADDR bombs answered GARBAGE_ARGS", garbage, n);
	int t = tcp_connect(0), tg = 0;
	for (int i = 0; i < 100 && t >= 0; i++) {
		uint32_t x = ++xid_seq;
		size_t len = rpcbomb_call(m, x);
		if (stream_call(t, m, len, x, 1000) == 4)
			tg++;
	}
	if (t >= 0)
		close(t);
	check(tg == 100, "rpcbomb: %d of 100 TCP bombs on one connection answered GARBAGE_ARGS", tg);
	long rss1 = rss_kb();
	if (rss0 > 0 && rss1 > 0)
		check(rss1 - rss0 < 8192, "rpcbomb: server RSS flat: %ld kB -> %ld kB", rss0, rss1);
	else if (server_pid > 0)
		check(0, "rpcbomb: cannot read the server's RSS (pid %ld)", server_pid);
	if (u >= 0)
		close(u);
	liveness("rpcbomb");
}

int main(int argc, char **argv)
{
	int opt;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "p:P:")) != -1) {
		if (opt == 'p')
			port = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'P')
			server_pid = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = optind; i < argc; i++) {
		long t0 = rw_now_ms();
		if (!strcmp(argv[i], "idle"))
			test_idle();
		else if (!strcmp(argv[i], "pipeline"))
			test_pipeline();
		else if (!strcmp(argv[i], "bigrecord"))
			test_bigrecord();
		else if (!strcmp(argv[i], "random"))
			test_random();
		else if (!strcmp(argv[i], "rpcbomb"))
			test_rpcbomb();
		else {
			fprintf(stderr, "rb_e2e_stress: unknown check %s\n", argv[i]);
			return 2;
		}
		printf("  .. %s took %ld ms\n", argv[i], rw_now_ms() - t0);
	}
	return failures > 100 ? 100 : failures;
}
