/* rb_e2e_tcpmux_client: a TCPMUX (RFC 1078) client for t_tcpmux.sh.
 *
 *   rb_e2e_tcpmux_client [-a ADDR] [-p PORT] [-b SRC] [-t MS] MODE ARGS...
 *
 *   -a  the mux address (127.0.0.1; an IPv6 address works too), -p its
 *       port (1), -b a local address to send from, -t the time to wait for
 *       an answer (3000 ms), -s 1: say shuts its sending side down after
 *       the text (a half-close the mux must pass on).
 *
 * Modes (each prints what it saw; exit 0 when the exchange went as the
 * mode expects, 1 otherwise, 2 on bad usage):
 *   say TEXT       sends TEXT (escapes \r \n \t \\ \xHH), prints every
 *                  line received ("LINE text") and how it ended: "EOF",
 *                  "RESET" or "OPEN" (still open after -t). Exit 0.
 *   rpc NAME PROG VERS [pipelined]
 *                  "NAME\r\n", expects "+"; then over record marking a
 *                  NULL call and ADD(40, 2) = 42 and BIG(200000) (a reply
 *                  larger than the mux's pipes); with "pipelined" the NULL
 *                  call goes in the same write as the name line.
 *   silent         connects and sends nothing; prints the lines and "EOF
 *                  after N ms" (waits up to -t).
 *   flood BYTES    sends BYTES bytes of 'x' with no line end while reading;
 *                  prints the lines, how it ended and "sent N bytes".
 *   many N NAME HOLD_MS
 *                  N connections at once to NAME (an echo service): each
 *                  gets "+", and its own message echoed; prints "HELD N",
 *                  holds them HOLD_MS, checks each again, closes all and
 *                  prints "DONE".
 *   cap N          N connections sending nothing; after -t counts those
 *                  answered "-", those still open and the rest: prints
 *                  "REFUSED r OPEN o OTHER x". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpcwire.h"

static const char *g_addr = "127.0.0.1";
static unsigned g_port = 1;
static const char *g_src;
static int g_timeout = 3000;
static int g_shut;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fill_addr(const char *a, unsigned port, struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, a, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*sl = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*in6);
		return 0;
	}
	return -1;
}

/* A blocking connection to the mux (bounded by a send/receive timeout). */
static int mux_connect(void)
{
	struct sockaddr_storage ss, src;
	socklen_t sl, srcl;
	if (fill_addr(g_addr, g_port, &ss, &sl) < 0) {
		fprintf(stderr, "bad address %s\n", g_addr);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (g_src) {
		if (fill_addr(g_src, 0, &src, &srcl) < 0 ||
		    bind(fd, (struct sockaddr *)&src, srcl) < 0) {
			perror("bind source");
			close(fd);
			return -1;
		}
	}
	struct timeval tv = { .tv_sec = g_timeout / 1000, .tv_usec = (g_timeout % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		perror("connect");
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one line (to LF) byte by byte, so nothing after it is taken.
 * Returns its length without CRLF, -1 at EOF/error/timeout. */
static int read_line(int fd, char *out, size_t cap)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t k = recv(fd, &c, 1, 0);
		if (k <= 0)
			return -1;
		if (c == '\n')
			break;
		if (n + 1 < cap)
			out[n++] = c;
	}
	if (n && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	return (int)n;
}

/* Prints every line until the end; returns 0 EOF, 1 RESET, 2 OPEN. */
static int print_until_end(int fd, int wait_ms)
{
	char buf[4096];
	size_t have = 0;
	int64_t deadline = now_ms() + wait_ms;
	for (;;) {
		int left = (int)(deadline - now_ms());
		if (left <= 0) {
			puts("OPEN");
			return 2;
		}
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, left) <= 0)
			continue;
		ssize_t k = recv(fd, buf + have, sizeof(buf) - 1 - have, MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k > 0)
			have += (size_t)k;
		/* whole lines out */
		char *s = buf, *nl;
		while ((nl = memchr(s, '\n', have - (size_t)(s - buf))) != NULL) {
			size_t l = (size_t)(nl - s);
			if (l && s[l - 1] == '\r')
				l--;
			printf("LINE %.*s\n", (int)l, s);
			s = nl + 1;
		}
		have -= (size_t)(s - buf);
		memmove(buf, s, have);
		if (have == sizeof(buf) - 1) { /* a line too long to be ours */
			printf("LINE %.*s...\n", 40, buf);
			have = 0;
		}
		if (k == 0 || k < 0) {
			if (have)
				printf("PARTIAL %.*s\n", (int)have, buf);
			puts(k == 0 ? "EOF" : "RESET");
			return k == 0 ? 0 : 1;
		}
	}
}

static size_t unescape(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s && n < cap; s++) {
		if (*s != '\\' || !s[1]) {
			out[n++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'r': out[n++] = '\r'; break;
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'x': {
			unsigned v = 0;
			int k = 0;
			while (k < 2 && ((s[1] >= '0' && s[1] <= '9') || (s[1] >= 'a' && s[1] <= 'f') ||
					 (s[1] >= 'A' && s[1] <= 'F'))) {
				char c = *++s;
				v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
				k++;
			}
			out[n++] = (char)v;
			break;
		}
		default: out[n++] = *s; break;
		}
	}
	return n;
}

static int mode_say(const char *text)
{
	char buf[8192];
	size_t n = unescape(text, buf, sizeof(buf));
	int fd = mux_connect();
	if (fd < 0)
		return 1;
	if (rw_send_all(fd, buf, n) < 0)
		puts("SENDFAIL");
	if (g_shut)
		shutdown(fd, SHUT_WR);
	print_until_end(fd, g_timeout);
	close(fd);
	return 0;
}

/* ---- RPC over record marking ---- */

/* A call record: header, AUTH_NONE credential and verifier, args. */
static size_t build_call(uint8_t *out, uint32_t xid, uint32_t prog, uint32_t vers,
			 uint32_t proc, const uint32_t *args, unsigned nargs)
{
	size_t n = 4 + rw_call_hdr(out + 4, xid, prog, vers, proc);
	for (unsigned i = 0; i < nargs; i++, n += 4)
		rw_put32(out + n, args[i]);
	rw_put32(out, RW_REC_LAST | (uint32_t)(n - 4));
	return n;
}

static int recv_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = recv(fd, p, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads one reply record (all fragments) into a malloc'd buffer; checks
 * xid, MSG_ACCEPTED and SUCCESS; *res points at the results. */
static int read_reply(int fd, uint32_t xid, uint8_t **buf, size_t *len, const uint8_t **res,
		      size_t *reslen)
{
	size_t cap = 0, n = 0;
	uint8_t *b = NULL;
	for (;;) {
		uint8_t h[4];
		if (recv_all(fd, h, 4) < 0)
			goto fail;
		uint32_t fl = rw_get32(h) & 0x7fffffffu;
		if (fl > (8u << 20) || n + fl > (16u << 20))
			goto fail;
		if (n + fl > cap) {
			cap = n + fl;
			uint8_t *nb = realloc(b, cap ? cap : 1);
			if (!nb)
				goto fail;
			b = nb;
		}
		if (recv_all(fd, b + n, fl) < 0)
			goto fail;
		n += fl;
		if (rw_get32(h) & 0x80000000u)
			break;
	}
	/* a reply to xid, MSG_ACCEPTED, SUCCESS */
	size_t body;
	if (rw_reply_stat(b, n, xid, &body) != 0)
		goto fail;
	*buf = b;
	*len = n;
	*res = b + body;
	*reslen = n - body;
	return 0;
fail:
	free(b);
	return -1;
}

static int mode_rpc(const char *name, uint32_t prog, uint32_t vers, bool pipelined)
{
	uint8_t msg[512], *rb;
	const uint8_t *res;
	size_t rl, resl;
	char line[256];
	int fd = mux_connect();
	if (fd < 0)
		return 1;
	size_t nl = (size_t)snprintf((char *)msg, sizeof(msg), "%s\r\n", name);
	size_t n = nl;
	if (pipelined)
		n += build_call(msg + nl, 1, prog, vers, 0, NULL, 0);
	if (rw_send_all(fd, msg, n) < 0 || read_line(fd, line, sizeof(line)) < 0) {
		puts("NOANSWER");
		close(fd);
		return 1;
	}
	printf("LINE %s\n", line);
	if (line[0] != '+') {
		close(fd);
		return 1;
	}
	if (!pipelined && rw_send_all(fd, msg, build_call(msg, 1, prog, vers, 0, NULL, 0)) < 0)
		goto bad;
	if (read_reply(fd, 1, &rb, &rl, &res, &resl) < 0 || resl != 0) {
		puts("NULL failed");
		goto bad;
	}
	free(rb);
	puts("NULL ok");
	uint32_t args[2] = { 40, 2 };
	if (rw_send_all(fd, msg, build_call(msg, 2, prog, vers, 1, args, 2)) < 0 ||
	    read_reply(fd, 2, &rb, &rl, &res, &resl) < 0 || resl != 4) {
		puts("ADD failed");
		goto bad;
	}
	printf("ADD %u\n", rw_get32(res));
	uint32_t sum = rw_get32(res);
	free(rb);
	if (sum != 42)
		goto bad;
	uint32_t big = 200000;
	if (rw_send_all(fd, msg, build_call(msg, 3, prog, vers, 2, &big, 1)) < 0 ||
	    read_reply(fd, 3, &rb, &rl, &res, &resl) < 0 || resl != 4 + big ||
	    rw_get32(res) != big) {
		puts("BIG failed");
		goto bad;
	}
	bool same = true;
	for (uint32_t i = 0; i < big; i++)
		same &= res[4 + i] == 0xab;
	free(rb);
	printf("BIG %u %s\n", big, same ? "ok" : "corrupt");
	close(fd);
	return same ? 0 : 1;
bad:
	close(fd);
	return 1;
}

static int mode_silent(void)
{
	int fd = mux_connect();
	if (fd < 0)
		return 1;
	int64_t t0 = now_ms();
	int r = print_until_end(fd, g_timeout);
	printf("%s after %lld ms\n", r == 2 ? "STILL OPEN" : "CLOSED", (long long)(now_ms() - t0));
	close(fd);
	return r == 2;
}

static int mode_flood(size_t total)
{
	int fd = mux_connect();
	if (fd < 0)
		return 1;
	int fl = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &fl, sizeof(fl));
	static char chunk[65536];
	memset(chunk, 'x', sizeof(chunk));
	size_t sent = 0;
	int64_t t0 = now_ms(), deadline = t0 + g_timeout;
	bool answered = false;
	/* Send while the server takes it; stop at its first answer byte, an
	 * error, or the deadline. */
	while (sent < total && now_ms() < deadline) {
		struct pollfd pf = { .fd = fd, .events = POLLIN | POLLOUT };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		if (pf.revents & (POLLIN | POLLERR | POLLHUP)) {
			answered = true;
			break;
		}
		size_t want = total - sent < sizeof(chunk) ? total - sent : sizeof(chunk);
		ssize_t k = send(fd, chunk, want, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			break;
		sent += (size_t)k;
	}
	int r = print_until_end(fd, g_timeout);
	printf("sent %zu bytes in %lld ms%s\n", sent, (long long)(now_ms() - t0),
	       answered ? " (answered before the end)" : "");
	close(fd);
	return r == 2;
}

static int mode_many(int n, const char *name, int hold_ms)
{
	int *fd = malloc((size_t)(n > 0 ? n : 1) * sizeof(int));
	if (!fd)
		return 1;
	for (int i = 0; i < n; i++)
		fd[i] = -1;
	int ok = 0, bad = 0;
	char msg[128], line[128], echo[128];
	for (int i = 0; i < n; i++) {
		fd[i] = mux_connect();
		if (fd[i] < 0) {
			printf("connect %d failed\n", i);
			bad++;
			break;
		}
		/* The name and the first message in one write: the message
		 * waits in the socket until the mux has answered "+". */
		int l = snprintf(msg, sizeof(msg), "%s\r\nping %d\n", name, i);
		if (rw_send_all(fd[i], msg, (size_t)l) < 0)
			bad++;
	}
	for (int i = 0; i < n && !bad; i++) {
		int el = snprintf(echo, sizeof(echo), "ping %d", i);
		if (read_line(fd[i], line, sizeof(line)) < 0 || line[0] != '+' ||
		    read_line(fd[i], line, sizeof(line)) != el || strcmp(line, echo) != 0) {
			printf("connection %d: no '+' and echo\n", i);
			bad++;
		} else {
			ok++;
		}
	}
	printf("HELD %d\n", ok);
	fflush(stdout);
	if (hold_ms > 0)
		usleep((useconds_t)hold_ms * 1000);
	for (int i = 0; i < n && !bad; i++) {
		int l = snprintf(msg, sizeof(msg), "again %d\n", i);
		if (rw_send_all(fd[i], msg, (size_t)l) < 0 || read_line(fd[i], line, sizeof(line)) != l - 1) {
			printf("connection %d: no echo after the hold\n", i);
			bad++;
		}
	}
	for (int i = 0; i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	free(fd);
	printf("DONE %s\n", bad ? "with failures" : "ok");
	return bad != 0;
}

static int mode_cap(int n)
{
	int *fd = malloc((size_t)(n > 0 ? n : 1) * sizeof(int));
	if (!fd)
		return 1;
	for (int i = 0; i < n; i++)
		fd[i] = mux_connect();
	int refused = 0, open_ = 0, other = 0;
	/* Answers come at once or not at all: look at every socket after -t. */
	usleep((useconds_t)g_timeout * 1000);
	for (int i = 0; i < n; i++) {
		char buf[256];
		ssize_t k = fd[i] < 0 ? -1 : recv(fd[i], buf, sizeof(buf), MSG_DONTWAIT);
		if (k > 0 && buf[0] == '-')
			refused++;
		else if (k < 0 && fd[i] >= 0 && errno == EAGAIN)
			open_++;
		else
			other++;
	}
	for (int i = 0; i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	free(fd);
	printf("REFUSED %d OPEN %d OTHER %d\n", refused, open_, other);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-a") == 0)
			g_addr = argv[i + 1];
		else if (strcmp(argv[i], "-p") == 0)
			g_port = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-b") == 0)
			g_src = argv[i + 1];
		else if (strcmp(argv[i], "-t") == 0)
			g_timeout = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-s") == 0)
			g_shut = atoi(argv[i + 1]);
		else
			goto usage;
	}
	if (i >= argc)
		goto usage;
	const char *mode = argv[i++];
	int left = argc - i;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "say") == 0 && left == 1)
		return mode_say(argv[i]);
	if (strcmp(mode, "rpc") == 0 && (left == 3 || left == 4))
		return mode_rpc(argv[i], (uint32_t)strtoul(argv[i + 1], NULL, 0),
				(uint32_t)strtoul(argv[i + 2], NULL, 0),
				left == 4 && strcmp(argv[i + 3], "pipelined") == 0);
	if (strcmp(mode, "silent") == 0 && left == 0)
		return mode_silent();
	if (strcmp(mode, "flood") == 0 && left == 1)
		return mode_flood((size_t)strtoull(argv[i], NULL, 0));
	if (strcmp(mode, "many") == 0 && left == 3)
		return mode_many(atoi(argv[i]), argv[i + 1], atoi(argv[i + 2]));
	if (strcmp(mode, "cap") == 0 && left == 1)
		return mode_cap(atoi(argv[i]));
usage:
	fprintf(stderr, "usage: rb_e2e_tcpmux_client [-a ADDR] [-p PORT] [-b SRC] [-t MS] [-s 1] "
			"say TEXT | rpc NAME PROG VERS [pipelined] | silent | flood BYTES | "
			"many N NAME HOLD_MS | cap N\n");
	return 2;
}
