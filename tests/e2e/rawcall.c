/* rb_e2e_rawcall: builds RPC calls from a compact description, sends each
 * to a port mapper over one transport and prints the reply.
 *
 *   rb_e2e_rawcall [-p PORT] [-t MS] TRANSPORT TOKEN...     one call
 *   rb_e2e_rawcall [-p PORT] [-t MS] [-x XIDBASE] -b        calls from stdin
 *
 * Batch lines: "LABEL TRANSPORT TOKEN... [@annotation...]" ('#' comments);
 * the call on line n (counting calls, from 0) has xid XIDBASE + n, so two
 * runs of the same file produce comparable replies. Annotations are for the
 * caller (differential test) and are ignored here.
 *
 * TRANSPORT: udp | tcp | udp6 | tcp6 | local | abstract, then options
 * separated by commas: sport=N (bind this source port), src=ADDR,
 * dst=ADDR (default 127.0.0.1 / ::1), port=N, uid=N (connect and send from a
 * child running as that uid and gid), t=MS (reply timeout), frag=N (stream:
 * split the record into fragments of N bytes), raw (stream: no record
 * marking; the tokens are the bytes), path=P (local socket path).
 *
 * TOKENS (each appends to the message):
 *   P/V/N               header: xid, CALL, rpcvers 2, prog P, vers V, proc N,
 *                       AUTH_NONE credential and verifier
 *   hdr:R/P/V/N         header without credential or verifier (rpcvers R)
 *   none                an AUTH_NONE opaque_auth (two zero words)
 *   sys[:UID[:GID[:MACHINE[:NGIDS]]]]  an AUTH_SYS credential
 *   auth:FLAVOR:LEN     an opaque_auth of LEN zero bytes
 *   u:N                 a 32-bit word (decimal, 0x hex, or negative)
 *   s:TEXT              an XDR string; TEXT "c*N" is N copies of c
 *   o:RAW               an XDR opaque holding the bytes of the raw token RAW
 *   x:HEX  z:N  sin:A:P  sin6:A:P      raw bytes (sockaddr_in/_in6 as Linux)
 *   pmap:P,V,PROT,PORT  a PMAP mapping
 *   rpcb:P,V,NETID,ADDR,OWNER          an RPCB (fields may be empty)
 *   cut:N               drop the last N bytes built so far
 *
 * Output, one line per call: "LABEL RESULT HEX", RESULT one of NOREPLY,
 * CLOSED (stream ended with no reply), ERROR:<why>, or the decoded reply:
 * SUCCESS:<body hex>, PROG_UNAVAIL, PROG_MISMATCH:LO:HI, PROC_UNAVAIL,
 * GARBAGE_ARGS, SYSTEM_ERR, RPC_MISMATCH:LO:HI, AUTH_ERROR:N, BADREPLY.
 * HEX is the whole reply ('-' when none). Exit status 0 unless the
 * description itself is bad (2). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rpcwire.h"

#define MSG_MAX (2u << 20)       /* largest call we build */
#define REPLY_MAX (16u << 20)    /* largest reply we accept on a stream */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

struct target {
	char kind[16];
	int stream, v6, local, abstract, raw;
	char src[64], dst[64], path[108];
	long sport, port, uid, frag, timeout_ms;
};

static void die_oom(void)
{
	fputs("rawcall: out of memory\n", stderr);
	exit(3);
}

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > MSG_MAX)
		die_oom();
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *q = realloc(b->p, cap);
		if (!q)
			die_oom();
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char w[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};
	put(b, w, 4);
}

static void put_opaque(struct buf *b, const unsigned char *p, size_t n)
{
	static const unsigned char zero[4];
	put32(b, (uint32_t)n);
	put(b, p, n);
	put(b, zero, (4 - n % 4) % 4);
}

static int num(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	if (*s == '-') {
		long long v = strtoll(s, &end, 0);
		if (errno || *end || end == s)
			return -1;
		*out = (uint32_t)v;
		return 0;
	}
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || end == s || v > 0xffffffffull)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "c*N" expands to N copies of c; anything else is taken literally. */
static int text(struct buf *out, const char *t)
{
	const char *star = strchr(t, '*');
	uint32_t n;
	if (star && star == t + 1 && num(star + 1, &n) == 0) {
		for (uint32_t i = 0; i < n; i++)
			put(out, t, 1);
		return 0;
	}
	put(out, t, strlen(t));
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Splits s at sep into at most max fields (s is modified). */
static int split(char *s, char sep, char **f, int max)
{
	int n = 0;
	f[n++] = s;
	for (char *p = s; *p; p++) {
		if (*p == sep) {
			if (n == max)
				return -1;
			*p = '\0';
			f[n++] = p + 1;
		}
	}
	return n;
}

/* Raw byte tokens (also the argument of o:). */
static int raw_token(struct buf *b, const char *tok)
{
	char tmp[256];
	uint32_t v;
	if (strncmp(tok, "x:", 2) == 0) {
		const char *h = tok + 2;
		size_t n = strlen(h);
		if (n % 2)
			return -1;
		for (size_t i = 0; i < n; i += 2) {
			int hi = hexval(h[i]), lo = hexval(h[i + 1]);
			if (hi < 0 || lo < 0)
				return -1;
			unsigned char c = (unsigned char)(hi * 16 + lo);
			put(b, &c, 1);
		}
		return 0;
	}
	if (strncmp(tok, "z:", 2) == 0) {
		static const unsigned char zero[64];
		if (num(tok + 2, &v) || v > MSG_MAX)
			return -1;
		while (v) {
			uint32_t k = v > sizeof(zero) ? (uint32_t)sizeof(zero) : v;
			put(b, zero, k);
			v -= k;
		}
		return 0;
	}
	if (strncmp(tok, "sin:", 4) == 0 || strncmp(tok, "sin6:", 5) == 0) {
		int six = tok[3] == '6';
		if (strlen(tok) >= sizeof(tmp))
			return -1;
		strcpy(tmp, tok + (six ? 5 : 4));
		/* the port is after the last ':' (the address may hold colons) */
		char *colon = strrchr(tmp, ':');
		if (!colon || num(colon + 1, &v) || v > 65535)
			return -1;
		*colon = '\0';
		if (six) {
			struct sockaddr_in6 a;
			memset(&a, 0, sizeof(a));
			a.sin6_family = AF_INET6;
			a.sin6_port = htons((uint16_t)v);
			if (inet_pton(AF_INET6, tmp, &a.sin6_addr) != 1)
				return -1;
			put(b, &a, sizeof(a));
		} else {
			struct sockaddr_in a;
			memset(&a, 0, sizeof(a));
			a.sin_family = AF_INET;
			a.sin_port = htons((uint16_t)v);
			if (inet_pton(AF_INET, tmp, &a.sin_addr) != 1)
				return -1;
			put(b, &a, sizeof(a));
		}
		return 0;
	}
	return -1;
}

static void opaque_auth(struct buf *b, uint32_t flavor, const struct buf *body)
{
	put32(b, flavor);
	put_opaque(b, body->p, body->len);
}

static int token(struct buf *b, const char *tok, uint32_t xid)
{
	char tmp[512];
	char *f[8];
	uint32_t v[8];
	int n;

	if (strlen(tok) >= sizeof(tmp) && strncmp(tok, "x:", 2) != 0)
		return -1;
	/* P/V/N: a full AUTH_NONE call header */
	if (strchr(tok, '/') && strchr(tok, ':') == NULL) {
		strcpy(tmp, tok);
		if (split(tmp, '/', f, 3) != 3)
			return -1;
		for (int i = 0; i < 3; i++)
			if (num(f[i], &v[i]))
				return -1;
		put32(b, xid);
		put32(b, 0);
		put32(b, 2);
		put32(b, v[0]);
		put32(b, v[1]);
		put32(b, v[2]);
		put32(b, 0), put32(b, 0);
		put32(b, 0), put32(b, 0);
		return 0;
	}
	if (strncmp(tok, "hdr:", 4) == 0) {
		strcpy(tmp, tok + 4);
		if (split(tmp, '/', f, 4) != 4)
			return -1;
		for (int i = 0; i < 4; i++)
			if (num(f[i], &v[i]))
				return -1;
		put32(b, xid);
		put32(b, 0);
		for (int i = 0; i < 4; i++)
			put32(b, v[i]);
		return 0;
	}
	if (strcmp(tok, "none") == 0) {
		put32(b, 0);
		put32(b, 0);
		return 0;
	}
	if (strncmp(tok, "sys", 3) == 0 && (tok[3] == '\0' || tok[3] == ':')) {
		struct buf body = {0}, mach = {0};
		uint32_t uid = 0, gid = 0, ngids = 0;
		const char *machine = "e2e";
		if (tok[3] == ':') {
			strcpy(tmp, tok + 4);
			n = split(tmp, ':', f, 4);
			if (n < 1 || num(f[0], &uid))
				return -1;
			if (n > 1 && num(f[1], &gid))
				return -1;
			if (n > 2)
				machine = f[2];
			if (n > 3 && (num(f[3], &ngids) || ngids > 1000))
				return -1;
		}
		text(&mach, machine);
		put32(&body, 0); /* stamp */
		put_opaque(&body, mach.p, mach.len);
		put32(&body, uid);
		put32(&body, gid);
		put32(&body, ngids);
		for (uint32_t i = 0; i < ngids; i++)
			put32(&body, 100 + i);
		opaque_auth(b, 1, &body);
		free(body.p);
		free(mach.p);
		return 0;
	}
	if (strncmp(tok, "auth:", 5) == 0) {
		struct buf body = {0};
		strcpy(tmp, tok + 5);
		if (split(tmp, ':', f, 2) != 2 || num(f[0], &v[0]) || num(f[1], &v[1]) ||
		    v[1] > 65536)
			return -1;
		if (raw_token(&body, (snprintf(tmp, sizeof(tmp), "z:%u", v[1]), tmp)))
			return -1;
		opaque_auth(b, v[0], &body);
		free(body.p);
		return 0;
	}
	if (strncmp(tok, "u:", 2) == 0) {
		if (num(tok + 2, &v[0]))
			return -1;
		put32(b, v[0]);
		return 0;
	}
	if (strncmp(tok, "s:", 2) == 0) {
		struct buf t = {0};
		text(&t, tok + 2);
		put_opaque(b, t.p, t.len);
		free(t.p);
		return 0;
	}
	if (strncmp(tok, "o:", 2) == 0) {
		struct buf t = {0};
		if (raw_token(&t, tok + 2)) {
			free(t.p);
			return -1;
		}
		put_opaque(b, t.p, t.len);
		free(t.p);
		return 0;
	}
	if (strncmp(tok, "pmap:", 5) == 0) {
		strcpy(tmp, tok + 5);
		if (split(tmp, ',', f, 4) != 4)
			return -1;
		for (int i = 0; i < 4; i++) {
			if (num(f[i], &v[i]))
				return -1;
			put32(b, v[i]);
		}
		return 0;
	}
	if (strncmp(tok, "rpcb:", 5) == 0) {
		strcpy(tmp, tok + 5);
		if (split(tmp, ',', f, 5) != 5 || num(f[0], &v[0]) || num(f[1], &v[1]))
			return -1;
		put32(b, v[0]);
		put32(b, v[1]);
		for (int i = 2; i < 5; i++) {
			struct buf t = {0};
			text(&t, f[i]);
			put_opaque(b, t.p, t.len);
			free(t.p);
		}
		return 0;
	}
	if (strncmp(tok, "cut:", 4) == 0) {
		if (num(tok + 4, &v[0]) || v[0] > b->len)
			return -1;
		b->len -= v[0];
		return 0;
	}
	return raw_token(b, tok);
}

static int parse_target(const char *spec, struct target *t, long port, long timeout_ms)
{
	char tmp[256];
	char *f[12];
	int n;
	memset(t, 0, sizeof(*t));
	t->sport = 0;
	t->port = port;
	t->uid = -1;
	t->timeout_ms = timeout_ms;
	strcpy(t->path, "/run/rpcbind.sock");
	if (strlen(spec) >= sizeof(tmp))
		return -1;
	strcpy(tmp, spec);
	n = split(tmp, ',', f, 12);
	if (n < 1 || strlen(f[0]) >= sizeof(t->kind))
		return -1;
	strcpy(t->kind, f[0]);
	if (!strcmp(f[0], "udp") || !strcmp(f[0], "tcp")) {
		t->stream = f[0][0] == 't';
		strcpy(t->dst, "127.0.0.1");
	} else if (!strcmp(f[0], "udp6") || !strcmp(f[0], "tcp6")) {
		t->stream = f[0][0] == 't';
		t->v6 = 1;
		strcpy(t->dst, "::1");
	} else if (!strcmp(f[0], "local")) {
		t->stream = t->local = 1;
	} else if (!strcmp(f[0], "abstract")) {
		t->stream = t->local = t->abstract = 1;
	} else {
		return -1;
	}
	for (int i = 1; i < n; i++) {
		char *eq = strchr(f[i], '=');
		uint32_t v = 0;
		if (!strcmp(f[i], "raw")) {
			t->raw = 1;
			continue;
		}
		if (!eq)
			return -1;
		*eq++ = '\0';
		if (!strcmp(f[i], "src") || !strcmp(f[i], "dst")) {
			if (strlen(eq) >= sizeof(t->src))
				return -1;
			strcpy(f[i][0] == 's' ? t->src : t->dst, eq);
			continue;
		}
		if (!strcmp(f[i], "path")) {
			if (strlen(eq) >= sizeof(t->path))
				return -1;
			strcpy(t->path, eq);
			continue;
		}
		if (num(eq, &v))
			return -1;
		if (!strcmp(f[i], "sport"))
			t->sport = v;
		else if (!strcmp(f[i], "port"))
			t->port = v;
		else if (!strcmp(f[i], "uid"))
			t->uid = v;
		else if (!strcmp(f[i], "t"))
			t->timeout_ms = v;
		else if (!strcmp(f[i], "frag"))
			t->frag = v;
		else
			return -1;
	}
	return 0;
}

/* Reads exactly n bytes before the deadline: n, 0 at EOF/error, -1 on timeout. */
static long read_full(int fd, unsigned char *p, size_t n, long deadline)
{
	size_t got = 0;
	while (got < n) {
		long left = deadline - rw_now_ms();
		if (left <= 0)
			return -1;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 0;
		got += (size_t)k;
	}
	return (long)n;
}

static void print_hex(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void print_result(const char *label, const unsigned char *r, size_t n)
{
	static const char *const acc[] = {"SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH",
					  "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"};
	printf("%s ", label);
	if (n < 12 || rw_get32(r + 4) != 1) {
		printf("BADREPLY");
	} else if (rw_get32(r + 8) == 1) {
		if (n >= 16 && rw_get32(r + 12) == 0 && n >= 24)
			printf("RPC_MISMATCH:%u:%u", rw_get32(r + 16), rw_get32(r + 20));
		else if (n >= 20 && rw_get32(r + 12) == 1)
			printf("AUTH_ERROR:%u", rw_get32(r + 16));
		else
			printf("BADREPLY");
	} else if (rw_get32(r + 8) == 0 && n >= 20) {
		size_t vlen = rw_get32(r + 16);
		size_t o = 20 + vlen + (4 - vlen % 4) % 4;
		if (vlen > n || o + 4 > n) {
			printf("BADREPLY");
		} else {
			uint32_t st = rw_get32(r + o);
			if (st > 5) {
				printf("ACCEPT_STAT:%u", st);
			} else if (st == 0) {
				printf("SUCCESS:");
				print_hex(r + o + 4, n - o - 4);
			} else if (st == 2 && o + 12 <= n) {
				printf("PROG_MISMATCH:%u:%u", rw_get32(r + o + 4), rw_get32(r + o + 8));
			} else {
				printf("%s", acc[st]);
			}
		}
	} else {
		printf("BADREPLY");
	}
	printf(" ");
	print_hex(r, n);
	printf("\n");
}

static int open_socket(const struct target *t, char *why, size_t whycap)
{
	int fd = -1, one = 1;
	if (t->local) {
		struct sockaddr_un a;
		socklen_t alen;
		memset(&a, 0, sizeof(a));
		a.sun_family = AF_LOCAL;
		fd = socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		if (t->abstract) {
			/* "@/run/rpcbind.sock": a leading NUL, no terminator */
			size_t n = strlen(t->path);
			memcpy(a.sun_path + 1, t->path, n);
			alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
		} else {
			memcpy(a.sun_path, t->path, strlen(t->path));
			alen = sizeof(a);
		}
		if (connect(fd, (struct sockaddr *)&a, alen) < 0)
			goto fail;
		return fd;
	}
	int type = t->stream ? SOCK_STREAM : SOCK_DGRAM;
	if (t->v6) {
		struct sockaddr_in6 a;
		memset(&a, 0, sizeof(a));
		a.sin6_family = AF_INET6;
		fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (t->sport || t->src[0]) {
			if (inet_pton(AF_INET6, t->src[0] ? t->src : "::1", &a.sin6_addr) != 1)
				goto bad_addr;
			a.sin6_port = htons((uint16_t)t->sport);
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
				goto fail;
		}
		if (inet_pton(AF_INET6, t->dst, &a.sin6_addr) != 1)
			goto bad_addr;
		a.sin6_port = htons((uint16_t)t->port);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	} else {
		struct sockaddr_in a;
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (t->sport || t->src[0]) {
			if (inet_pton(AF_INET, t->src[0] ? t->src : "127.0.0.1", &a.sin_addr) != 1)
				goto bad_addr;
			a.sin_port = htons((uint16_t)t->sport);
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
				goto fail;
		}
		if (inet_pton(AF_INET, t->dst, &a.sin_addr) != 1)
			goto bad_addr;
		a.sin_port = htons((uint16_t)t->port);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	}
	return fd;
bad_addr:
	errno = EINVAL;
fail:
	snprintf(why, whycap, "%s", strerror(errno));
	for (char *p = why; *p; p++)
		if (*p == ' ')
			*p = '_';
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Sends msg and prints one result line. */
static void do_call(const char *label, const struct target *t, const struct buf *msg)
{
	char why[128];
	long deadline;
	int fd = open_socket(t, why, sizeof(why));
	if (fd < 0) {
		printf("%s ERROR:connect:%s -\n", label, why);
		return;
	}
	if (!t->stream) {
		unsigned char *r = malloc(65536);
		if (!r)
			die_oom();
		if (send(fd, msg->p, msg->len, 0) < 0) {
			printf("%s ERROR:send:%s -\n", label, strerror(errno));
			goto out_udp;
		}
		deadline = rw_now_ms() + t->timeout_ms;
		for (;;) {
			long left = deadline - rw_now_ms();
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
				printf("%s NOREPLY -\n", label);
				break;
			}
			ssize_t k = recv(fd, r, 65536, 0);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				/* ICMP port unreachable: nothing listens */
				printf("%s ERROR:recv:%s -\n", label,
				       errno == ECONNREFUSED ? "refused" : "error");
				break;
			}
			print_result(label, r, (size_t)k);
			break;
		}
	out_udp:
		free(r);
		close(fd);
		return;
	}

	/* stream: record marking unless raw */
	int sent_ok;
	if (t->raw) {
		sent_ok = rw_send_all(fd, msg->p, msg->len) == 0;
	} else {
		size_t frag = t->frag > 0 ? (size_t)t->frag : msg->len;
		size_t off = 0;
		sent_ok = 1;
		do {
			size_t k = msg->len - off < frag ? msg->len - off : frag;
			uint32_t h = (uint32_t)k | (off + k == msg->len ? 0x80000000u : 0);
			unsigned char hb[4] = {(unsigned char)(h >> 24), (unsigned char)(h >> 16),
					       (unsigned char)(h >> 8), (unsigned char)h};
			if (rw_send_all(fd, hb, 4) || rw_send_all(fd, msg->p + off, k)) {
				sent_ok = 0;
				break;
			}
			off += k;
		} while (off < msg->len);
	}
	(void)sent_ok; /* a refused write shows up as CLOSED below */
	deadline = rw_now_ms() + t->timeout_ms;
	struct buf r = {0};
	for (;;) {
		unsigned char hb[4];
		long k = read_full(fd, hb, 4, deadline);
		if (k <= 0) {
			if (r.len)
				printf("%s PARTIAL -\n", label);
			else
				printf("%s %s -\n", label, k == 0 ? "CLOSED" : "NOREPLY");
			break;
		}
		uint32_t h = rw_get32(hb);
		size_t len = h & 0x7fffffffu;
		if (r.len + len > REPLY_MAX) {
			printf("%s ERROR:reply_too_big -\n", label);
			break;
		}
		size_t at = r.len;
		if (r.cap < at + len) {
			unsigned char *q = realloc(r.p, at + len + 1);
			if (!q)
				die_oom();
			r.p = q;
			r.cap = at + len + 1;
		}
		k = read_full(fd, r.p + at, len, deadline);
		if (k != (long)len) {
			printf("%s %s -\n", label, k == 0 ? "CLOSED" : "NOREPLY");
			break;
		}
		r.len = at + len;
		if (h & 0x80000000u) {
			print_result(label, r.p, r.len);
			break;
		}
	}
	free(r.p);
	close(fd);
}

static void call_as(const char *label, const struct target *t, const struct buf *msg)
{
	if (t->uid < 0) {
		do_call(label, t, msg);
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		gid_t g = (gid_t)t->uid;
		if (setgroups(0, NULL) || setresgid(g, g, g) ||
		    setresuid((uid_t)t->uid, (uid_t)t->uid, (uid_t)t->uid)) {
			printf("%s ERROR:setuid -\n", label);
			fflush(stdout);
			_exit(1);
		}
		do_call(label, t, msg);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0) {
		printf("%s ERROR:fork -\n", label);
		return;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* Builds and sends one call from argv-style fields. 0, or -1 on a bad description. */
static int run_one(const char *label, char **f, int n, uint32_t xid, long port, long timeout_ms)
{
	struct target t;
	struct buf msg = {0};
	if (n < 1 || parse_target(f[0], &t, port, timeout_ms)) {
		fprintf(stderr, "rawcall: %s: bad transport '%s'\n", label, n ? f[0] : "");
		return -1;
	}
	for (int i = 1; i < n; i++) {
		if (f[i][0] == '@')
			break; /* annotations */
		if (token(&msg, f[i], xid)) {
			fprintf(stderr, "rawcall: %s: bad token '%s'\n", label, f[i]);
			free(msg.p);
			return -1;
		}
	}
	call_as(label, &t, &msg);
	fflush(stdout);
	free(msg.p);
	return 0;
}

static int usage(void)
{
	fputs("usage: rb_e2e_rawcall [-p PORT] [-t MS] [-x XIDBASE] (-b | TRANSPORT TOKEN...)\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	long port = 111, timeout_ms = 1000;
	uint32_t xid = 0x5eed0000u;
	int batch = 0, opt;
	while ((opt = getopt(argc, argv, "+p:t:x:b")) != -1) {
		uint32_t v;
		switch (opt) {
		case 'p':
			if (num(optarg, &v) || v > 65535)
				return usage();
			port = v;
			break;
		case 't':
			if (num(optarg, &v))
				return usage();
			timeout_ms = v;
			break;
		case 'x':
			if (num(optarg, &xid))
				return usage();
			break;
		case 'b':
			batch = 1;
			break;
		default:
			return usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!batch) {
		if (optind >= argc)
			return usage();
		return run_one("call", argv + optind, argc - optind, xid, port, timeout_ms) ? 2 : 0;
	}
	char line[8192];
	int bad = 0;
	uint32_t seq = 0;
	while (fgets(line, sizeof(line), stdin)) {
		char *f[256];
		int n = 0;
		char *save = NULL;
		for (char *w = strtok_r(line, " \t\r\n", &save); w && n < 256;
		     w = strtok_r(NULL, " \t\r\n", &save))
			f[n++] = w;
		if (n == 0 || f[0][0] == '#')
			continue;
		if (n < 2) {
			fprintf(stderr, "rawcall: '%s': no transport\n", f[0]);
			bad = 1;
			continue;
		}
		if (run_one(f[0], f + 1, n - 1, xid + seq++, port, timeout_ms))
			bad = 1;
	}
	return bad ? 2 : 0;
}
