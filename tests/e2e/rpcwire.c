/* rpcwire: see rpcwire.h. */
#define _GNU_SOURCE
#include "rpcwire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- XDR words ---- */

void rw_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t rw_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t rw_put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s), pad = (4 - n % 4) % 4;
	rw_put32(p, (uint32_t)n);
	memcpy(p + 4, s, n);
	memset(p + 4 + n, 0, pad);
	return 4 + n + pad;
}

size_t rw_call_hdr(uint8_t *p, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc)
{
	/* xid, CALL, RPC version 2, prog, vers, proc, cred and verf AUTH_NONE */
	const uint32_t w[10] = {xid, 0, 2, prog, vers, proc, 0, 0, 0, 0};
	for (int i = 0; i < 10; i++)
		rw_put32(p + 4 * i, w[i]);
	return RW_CALL_HDR;
}

void rw_msg32(struct rw_msg *m, uint32_t v)
{
	if (m->n + 4 > sizeof(m->b))
		return;
	rw_put32(m->b + m->n, v);
	m->n += 4;
}

void rw_msg_str(struct rw_msg *m, const char *s)
{
	size_t l = strlen(s);
	if (m->n + 4 + l + 3 > sizeof(m->b))
		return;
	m->n += rw_put_str(m->b + m->n, s);
}

/* ---- replies ---- */

int rw_accepted(const uint8_t *r, size_t n, uint32_t *stat, size_t *body)
{
	if (n < 24)
		return -EBADMSG;
	uint32_t vlen = rw_get32(r + 16);
	if (vlen > 400)
		return -EBADMSG;
	size_t o = 20 + ((vlen + 3) & ~3u);
	if (o + 4 > n)
		return -EBADMSG;
	*stat = rw_get32(r + o);
	if (body)
		*body = o + 4;
	return 0;
}

int rw_reply_stat(const uint8_t *r, size_t n, uint32_t xid, size_t *body)
{
	uint32_t st;
	if (n < 24 || rw_get32(r) != xid || rw_get32(r + 4) != 1)
		return -1;
	if (rw_get32(r + 8) != 0)
		return -2;
	if (rw_accepted(r, n, &st, body))
		return -1;
	return (int)st;
}

/* ---- time ---- */

long rw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void rw_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- bounded socket I/O ---- */

struct sockaddr_in rw_lo4(unsigned port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

int rw_local_connect(const char *path)
{
	int fd = socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a;
	size_t n = strlen(path);
	if (fd < 0 || n >= sizeof(a.sun_path)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_LOCAL;
	memcpy(a.sun_path, path, n);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int rw_wait_fd(int fd, short ev, long deadline)
{
	for (;;) {
		long left = deadline - rw_now_ms();
		if (left < 0)
			left = 0;
		struct pollfd p = {.fd = fd, .events = ev};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR) {
			if (rw_now_ms() >= deadline)
				return 0;
			continue;
		}
		return r > 0;
	}
}

int rw_write_all(int fd, const uint8_t *p, size_t n, long deadline)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (!rw_wait_fd(fd, POLLOUT, deadline))
			return -ETIMEDOUT;
	}
	return 0;
}

int rw_send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

int rw_send_record(int fd, const uint8_t *msg, size_t n, long deadline)
{
	/* Header and call in one buffer: one send, as a real client does. */
	uint8_t rec[4 + RW_REC_MAX];
	if (n > RW_REC_MAX)
		return -EMSGSIZE;
	rw_put32(rec, RW_REC_LAST | (uint32_t)n);
	memcpy(rec + 4, msg, n);
	return rw_write_all(fd, rec, n + 4, deadline);
}

/* The record-marking state of rw_read_record: a fragment header may arrive
 * a byte at a time. */
struct rec_state {
	uint8_t hb[4];
	size_t have_hdr, frag_left, total;
	int last;
};

/* Takes in k received bytes: fragment headers, then data (kept up to cap). */
static void rec_feed(struct rec_state *s, const uint8_t *buf, size_t k, uint8_t *r, size_t cap)
{
	for (size_t i = 0; i < k; i++) {
		if (s->frag_left == 0 && !s->last) {
			s->hb[s->have_hdr++] = buf[i];
			if (s->have_hdr == 4) {
				uint32_t h = rw_get32(s->hb);
				s->frag_left = h & ~RW_REC_LAST;
				s->last = (h & RW_REC_LAST) != 0;
				s->have_hdr = 0;
			}
			continue;
		}
		if (s->frag_left) {
			if (s->total < cap)
				r[s->total] = buf[i];
			s->total++;
			s->frag_left--;
		}
	}
}

int rw_read_record(int fd, uint8_t *r, size_t cap, size_t *len, long deadline)
{
	struct rec_state s;
	memset(&s, 0, sizeof(s));
	for (;;) {
		if (!rw_wait_fd(fd, POLLIN, deadline))
			return -ETIMEDOUT;
		uint8_t buf[16384];
		ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			return -ECONNRESET;
		rec_feed(&s, buf, (size_t)k, r, cap);
		if (s.last && s.frag_left == 0 && s.have_hdr == 0) {
			*len = s.total;
			return 0;
		}
	}
}

ssize_t rw_udp_call(int fd, const uint8_t *msg, size_t n, uint32_t xid, long deadline,
		    uint8_t *buf, size_t cap)
{
	if (send(fd, msg, n, 0) < 0)
		return -errno;
	for (;;) {
		if (!rw_wait_fd(fd, POLLIN, deadline))
			return -ETIMEDOUT;
		ssize_t k = recv(fd, buf, cap, MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)k >= 4 && rw_get32(buf) == xid)
			return k;
		/* a late reply to an earlier call */
	}
}

int rw_wait_closed(int fd, long deadline, size_t *got)
{
	uint8_t buf[65536];
	size_t total = 0;
	int closed = 0;
	while (!closed && rw_wait_fd(fd, POLLIN, deadline)) {
		ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			closed = 1;
		else if (k > 0)
			total += (size_t)k;
	}
	if (got)
		*got = total;
	return closed;
}
