/* ringbind-floor: the cheapest valid port-mapper responder, to show how
 * close ringbind comes to what the kernel allows.
 *
 *   ringbind-floor [--port N] [--host 127.0.0.1|::1] [--tcp] [--batch N]
 *                  [--pktinfo]
 *
 * UDP (default): one thread, recvmmsg/sendmmsg; every datagram of 4 bytes
 * or more is answered with a fixed reply with its xid copied in. The reply
 * is a PMAP GETPORT answer (accepted, SUCCESS, port = our own port: what
 * GETPORT of program 100000 v2 answers), or, for a call to version 3 or 4,
 * a GETADDR answer ("<host>.p1.p2", our own address): what ringbind-load
 * --keys 0 asks for and checks. No decoding, no registry.
 *
 * --pktinfo: also learn each datagram's arrival address (IP_PKTINFO or
 * IPV6_RECVPKTINFO) and answer from it, as a server bound to the wildcard
 * address must on a host with several addresses (ringbind and rpcbind do).
 * The floor itself binds one address and needs no such thing; this shows
 * what that correctness costs the kernel per datagram.
 *
 * --tcp: the same over TCP with record marking, one thread, epoll: accept,
 * read, answer every complete record, write.
 *
 * Prints "ringbind-floor: ready" on stderr and sends READY=1 to
 * $NOTIFY_SOCKET once it serves. Binds loopback only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FLOOR_BATCH_MAX 256u
#define FLOOR_DGRAM_MAX 9000u
#define FLOOR_RECORD_MAX 9000u
#define FLOOR_FD_MAX 65536
#define FLOOR_IN_CAP (2u * (FLOOR_RECORD_MAX + 4u))

struct reply {
	uint8_t b[64];
	uint32_t len;
};

struct floor_cfg {
	int family;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char host[64];
	uint16_t port;
	bool tcp;
	bool pktinfo;
	unsigned batch;
	struct reply port_reply; /* PMAP GETPORT */
	struct reply addr_reply; /* RPCBIND GETADDR */
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Accepted reply header: xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier,
 * SUCCESS (24 bytes); the xid is patched per call. */
static void build_replies(struct floor_cfg *c)
{
	static const uint32_t hdr[6] = { 0, 1, 0, 0, 0, 0 };
	for (int i = 0; i < 6; i++) {
		put32(c->port_reply.b + 4 * i, hdr[i]);
		put32(c->addr_reply.b + 4 * i, hdr[i]);
	}
	put32(c->port_reply.b + 24, c->port);
	c->port_reply.len = 28;
	char ua[64];
	int n = snprintf(ua, sizeof(ua), "%s.%u.%u", c->host, c->port >> 8, c->port & 0xffu);
	put32(c->addr_reply.b + 24, (uint32_t)n);
	memset(c->addr_reply.b + 28, 0, sizeof(c->addr_reply.b) - 28);
	memcpy(c->addr_reply.b + 28, ua, (size_t)n);
	c->addr_reply.len = 28 + (((uint32_t)n + 3u) & ~3u);
}

/* The reply for a call: GETADDR-shaped for versions 3 and 4. */
static const struct reply *reply_for(const struct floor_cfg *c, const uint8_t *call, size_t len)
{
	if (len >= 20) {
		uint32_t vers = get32(call + 16);
		if (vers == 3 || vers == 4)
			return &c->addr_reply;
	}
	return &c->port_reply;
}

static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return;
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	size_t plen = strlen(path);
	if (plen >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sun,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen));
	close(fd);
}

/* Room for one pktinfo control message of either family. */
#define FLOOR_CTRL_LEN CMSG_SPACE(sizeof(struct in6_pktinfo))

/* The reply's control message from the call's: the same arrival address
 * (IPv4: as ipi_spec_dst, leaving the interface to routing). Returns its
 * length, 0 when the call carried none. */
static size_t reply_pktinfo(struct msghdr *call, uint8_t *out)
{
	struct msghdr mh = { .msg_control = out, .msg_controllen = FLOOR_CTRL_LEN };
	struct cmsghdr *o = CMSG_FIRSTHDR(&mh);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(call); cm; cm = CMSG_NXTHDR(call, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo in, pi;
			memcpy(&in, CMSG_DATA(cm), sizeof(in));
			memset(&pi, 0, sizeof(pi));
			pi.ipi_spec_dst = in.ipi_spec_dst;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(cm), sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

static int serve_udp(const struct floor_cfg *c)
{
	int fd = socket(c->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	int one = 1;
	if (c->pktinfo &&
	    (c->family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
				  : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
					       sizeof(one))) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (bind(fd, (const struct sockaddr *)&c->addr, c->addr_len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	static uint8_t rctl[FLOOR_BATCH_MAX][FLOOR_CTRL_LEN], sctl[FLOOR_BATCH_MAX][FLOOR_CTRL_LEN];
	static uint8_t in[FLOOR_BATCH_MAX][FLOOR_DGRAM_MAX];
	static uint8_t out[FLOOR_BATCH_MAX][64];
	static struct sockaddr_storage peer[FLOOR_BATCH_MAX];
	static struct mmsghdr rm[FLOOR_BATCH_MAX], sm[FLOOR_BATCH_MAX];
	static struct iovec riov[FLOOR_BATCH_MAX], siov[FLOOR_BATCH_MAX];
	for (unsigned i = 0; i < c->batch; i++) {
		riov[i].iov_base = in[i];
		riov[i].iov_len = FLOOR_DGRAM_MAX;
		rm[i].msg_hdr.msg_iov = &riov[i];
		rm[i].msg_hdr.msg_iovlen = 1;
		rm[i].msg_hdr.msg_name = &peer[i];
	}
	fprintf(stderr, "ringbind-floor: ready (udp) on %s port %u\n", c->host, c->port);
	notify_ready();
	for (;;) {
		for (unsigned i = 0; i < c->batch; i++) {
			rm[i].msg_hdr.msg_namelen = sizeof(peer[i]);
			rm[i].msg_hdr.msg_control = c->pktinfo ? rctl[i] : NULL;
			rm[i].msg_hdr.msg_controllen = c->pktinfo ? FLOOR_CTRL_LEN : 0;
		}
		/* Block for the first datagram only, then take what is queued. */
		int n = recvmmsg(fd, rm, c->batch, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			close(fd);
			return e;
		}
		unsigned k = 0;
		for (int i = 0; i < n; i++) {
			if (rm[i].msg_len < 4)
				continue;
			const struct reply *r = reply_for(c, in[i], rm[i].msg_len);
			memcpy(out[k], r->b, r->len);
			memcpy(out[k], in[i], 4); /* the xid */
			siov[k].iov_base = out[k];
			siov[k].iov_len = r->len;
			memset(&sm[k].msg_hdr, 0, sizeof(sm[k].msg_hdr));
			sm[k].msg_hdr.msg_iov = &siov[k];
			sm[k].msg_hdr.msg_iovlen = 1;
			sm[k].msg_hdr.msg_name = &peer[i];
			sm[k].msg_hdr.msg_namelen = rm[i].msg_hdr.msg_namelen;
			if (c->pktinfo) {
				size_t cl = reply_pktinfo(&rm[i].msg_hdr, sctl[k]);
				sm[k].msg_hdr.msg_control = cl ? sctl[k] : NULL;
				sm[k].msg_hdr.msg_controllen = cl;
			}
			k++;
		}
		for (unsigned done = 0; done < k;) {
			int s = sendmmsg(fd, sm + done, k - done, 0);
			if (s <= 0) {
				if (s < 0 && errno == EINTR)
					continue;
				break; /* a peer gone: drop the rest, as UDP may */
			}
			done += (unsigned)s;
		}
	}
}

struct fconn {
	uint8_t in[FLOOR_IN_CAP];
	uint32_t in_len;
	uint32_t frag_xid; /* xid of a record spread over fragments */
	bool in_record;    /* a non-last fragment has been seen */
	uint8_t *out;
	uint32_t out_cap, out_len, out_off;
	bool want_out;
};

static struct fconn *conns[FLOOR_FD_MAX];

static void conn_close(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	if (fd < FLOOR_FD_MAX && conns[fd]) {
		free(conns[fd]->out);
		free(conns[fd]);
		conns[fd] = NULL;
	}
}

static bool out_append(struct fconn *k, const struct reply *r, const uint8_t *xid)
{
	if (k->out_len + 4 + r->len > k->out_cap) {
		uint32_t cap = k->out_cap ? k->out_cap * 2 : 4096;
		while (cap < k->out_len + 4 + r->len)
			cap *= 2;
		if (cap > (64u << 20))
			return false; /* a client that never reads */
		uint8_t *p = realloc(k->out, cap);
		if (!p)
			return false;
		k->out = p;
		k->out_cap = cap;
	}
	uint8_t *p = k->out + k->out_len;
	put32(p, 0x80000000u | r->len);
	memcpy(p + 4, r->b, r->len);
	memcpy(p + 4, xid, 4);
	k->out_len += 4 + r->len;
	return true;
}

/* Writes what is queued; false when the connection must go. */
static bool conn_flush(int ep, int fd, struct fconn *k)
{
	while (k->out_off < k->out_len) {
		ssize_t n = write(fd, k->out + k->out_off, k->out_len - k->out_off);
		if (n > 0) {
			k->out_off += (uint32_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!k->want_out) {
				struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.fd = fd };
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
				k->want_out = true;
			}
			return true;
		}
		return false;
	}
	k->out_off = k->out_len = 0;
	if (k->want_out) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
		k->want_out = false;
	}
	return true;
}

/* Reads and answers every complete record; false when the connection must
 * go (EOF, error, a record over the cap). */
static bool conn_readable(const struct floor_cfg *c, int fd, struct fconn *k)
{
	for (;;) {
		ssize_t n = read(fd, k->in + k->in_len, FLOOR_IN_CAP - k->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		k->in_len += (uint32_t)n;
		uint32_t pos = 0;
		while (k->in_len - pos >= 4) {
			uint32_t h = get32(k->in + pos);
			uint32_t flen = h & 0x7fffffffu;
			if (flen > FLOOR_RECORD_MAX)
				return false;
			if (k->in_len - pos - 4 < flen)
				break;
			const uint8_t *frag = k->in + pos + 4;
			if (!k->in_record) {
				if (flen < 4)
					return false;
				memcpy(&k->frag_xid, frag, 4);
			}
			if (h & 0x80000000u) {
				const struct reply *r = reply_for(c, frag, k->in_record ? 0 : flen);
				if (!out_append(k, r, (const uint8_t *)&k->frag_xid))
					return false;
				k->in_record = false;
			} else {
				k->in_record = true;
			}
			pos += 4 + flen;
		}
		memmove(k->in, k->in + pos, k->in_len - pos);
		k->in_len -= pos;
		if ((size_t)n < FLOOR_IN_CAP)
			return true;
	}
}

static int serve_tcp(const struct floor_cfg *c)
{
	int lfd = socket(c->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)&c->addr, c->addr_len) < 0 || listen(lfd, 4096) < 0) {
		int e = -errno;
		close(lfd);
		return e;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	fprintf(stderr, "ringbind-floor: ready (tcp) on %s port %u\n", c->host, c->port);
	notify_ready();
	struct epoll_event evs[256];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == lfd) {
				for (;;) {
					int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (cfd < 0)
						break;
					struct fconn *k = cfd < FLOOR_FD_MAX ? calloc(1, sizeof(*k)) : NULL;
					if (!k) {
						close(cfd);
						continue;
					}
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					conns[cfd] = k;
					struct epoll_event cev = { .events = EPOLLIN, .data.fd = cfd };
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
				}
				continue;
			}
			struct fconn *k = fd < FLOOR_FD_MAX ? conns[fd] : NULL;
			if (!k)
				continue;
			bool ok = true;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				ok = conn_readable(c, fd, k);
			/* Answer what was read even when the peer closed after it. */
			if (k->out_len > k->out_off && !conn_flush(ep, fd, k))
				ok = false;
			if (!ok)
				conn_close(ep, fd);
		}
	}
}

static void usage(FILE *f)
{
	fputs("Usage: ringbind-floor [--port N] [--host 127.0.0.1|::1] [--tcp] [--batch N]\n"
	      "                      [--pktinfo]\n"
	      "The cheapest valid port-mapper responder: every call gets a fixed reply\n"
	      "(GETPORT: our port; versions 3 and 4: GETADDR, our address) with its xid.\n",
	      f);
}

int main(int argc, char **argv)
{
	struct floor_cfg c;
	memset(&c, 0, sizeof(c));
	c.port = 111;
	c.batch = 64;
	const char *host = "127.0.0.1";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--tcp") == 0) {
			c.tcp = true;
		} else if (strcmp(a, "--pktinfo") == 0) {
			c.pktinfo = true;
		} else if (strcmp(a, "--port") == 0 && i + 1 < argc) {
			long p = strtol(argv[++i], NULL, 10);
			if (p <= 0 || p > 65535) {
				fprintf(stderr, "ringbind-floor: bad port\n");
				return 2;
			}
			c.port = (uint16_t)p;
		} else if (strcmp(a, "--host") == 0 && i + 1 < argc) {
			host = argv[++i];
		} else if (strcmp(a, "--batch") == 0 && i + 1 < argc) {
			long b = strtol(argv[++i], NULL, 10);
			if (b < 1 || b > (long)FLOOR_BATCH_MAX) {
				fprintf(stderr, "ringbind-floor: --batch 1..%u\n", FLOOR_BATCH_MAX);
				return 2;
			}
			c.batch = (unsigned)b;
		} else if (strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127) {
		struct sockaddr_in *sa = (struct sockaddr_in *)&c.addr;
		sa->sin_family = AF_INET;
		sa->sin_addr = a4;
		sa->sin_port = htons(c.port);
		c.family = AF_INET;
		c.addr_len = sizeof(*sa);
		inet_ntop(AF_INET, &a4, c.host, sizeof(c.host));
	} else if (inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6)) {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&c.addr;
		sa->sin6_family = AF_INET6;
		sa->sin6_addr = a6;
		sa->sin6_port = htons(c.port);
		c.family = AF_INET6;
		c.addr_len = sizeof(*sa);
		inet_ntop(AF_INET6, &a6, c.host, sizeof(c.host));
	} else {
		fprintf(stderr, "ringbind-floor: --host must be a loopback address (127.0.0.0/8, ::1)\n");
		return 2;
	}
	build_replies(&c);
	int rc = c.tcp ? serve_tcp(&c) : serve_udp(&c);
	fprintf(stderr, "ringbind-floor: %s\n", strerror(-rc));
	return 1;
}
