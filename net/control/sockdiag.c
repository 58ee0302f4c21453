/* rb_sockdiag_owns_port: one NETLINK_SOCK_DIAG dump per address family,
 * filtered by state and source port, and the uid of each socket compared.
 *
 * Why the kernel and not /proc/net/{tcp,udp}[6] (as the stale scan reads)?
 * The dump can be filtered in the kernel (only the sockets of one port come
 * back, however many sockets the host has), it reports IPV6_V6ONLY, and it
 * is one round trip with no text to parse. */
#include "net/control/sockdiag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* One dump request. Every member is 4-byte aligned, so the struct has no
 * padding and is exactly the bytes netlink expects. */
struct diag_req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
};
_Static_assert(sizeof(struct diag_req) ==
		       NLMSG_LENGTH(sizeof(struct inet_diag_req_v2)),
	       "struct diag_req must have no padding");

/* What one dump looks for. */
struct want {
	uint32_t uid;
	uint16_t port;
	bool v4; /* the netid is IPv4: an IPv6 socket must also take IPv4 */
};

/* Does this IPv6 socket take IPv4 traffic? Bound to [::] or to a
 * v4-mapped address, and not IPV6_V6ONLY. The kernel reports V6ONLY for
 * listening and unconnected sockets (INET_DIAG_SKV6ONLY); where it does
 * not (a connected UDP socket, an old kernel), the address decides. */
static bool v6_takes_v4(const struct inet_diag_msg *m, const struct nlattr *a,
			size_t alen)
{
	const uint32_t *s = m->id.idiag_src;
	bool any = !s[0] && !s[1] && !s[2] && !s[3];
	bool mapped = !s[0] && !s[1] && s[2] == htonl(0xffffu);
	if (!any && !mapped)
		return false;
	while (alen >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= alen) {
		if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_SKV6ONLY &&
		    a->nla_len >= NLA_HDRLEN + 1)
			return *((const uint8_t *)a + NLA_HDRLEN) == 0;
		size_t step = NLA_ALIGN(a->nla_len);
		if (step >= alen)
			break;
		alen -= step;
		a = (const struct nlattr *)(const void *)((const char *)a + step);
	}
	return true;
}

/* NLMSG_DATA, keeping const. */
static const void *payload(const struct nlmsghdr *h)
{
	return (const char *)h + NLMSG_HDRLEN;
}

/* Judges one reply message: 1 a socket of the wanted uid on the port. */
static int judge(const struct nlmsghdr *h, uint8_t family, const struct want *w)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return -EBADMSG;
	const struct inet_diag_msg *m = payload(h);
	/* The kernel filters by port already (id.idiag_sport of the request);
	 * checking again costs nothing and keeps the answer right where a
	 * kernel would not. */
	if (m->idiag_family != family || ntohs(m->id.idiag_sport) != w->port ||
	    m->idiag_uid != w->uid)
		return 0;
	if (family == AF_INET6 && w->v4) {
		size_t off = NLMSG_LENGTH(sizeof(*m));
		size_t aoff = NLMSG_ALIGN(off);
		const struct nlattr *a =
			(const struct nlattr *)(const void *)((const char *)h + aoff);
		size_t alen = h->nlmsg_len > aoff ? h->nlmsg_len - aoff : 0;
		return v6_takes_v4(m, a, alen) ? 1 : 0;
	}
	return 1;
}

/* Asks the kernel for a dump of family/proto sockets in states bound to
 * w->port. 0 or -errno. */
static int dump_request(int fd, uint8_t family, uint8_t proto, uint32_t states,
			const struct want *w, uint32_t seq)
{
	struct diag_req q;
	memset(&q, 0, sizeof(q));
	q.nlh.nlmsg_len = sizeof(q);
	q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	q.nlh.nlmsg_seq = seq;
	q.r.sdiag_family = family;
	q.r.sdiag_protocol = proto;
	q.r.idiag_states = states;
	/* A dump of TCP or UDP sockets skips those of other source ports
	 * in the kernel when this is set: only the port's sockets come back. */
	q.r.id.idiag_sport = htons(w->port);
	q.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	q.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t s;
	do
		s = sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (s < 0 && errno == EINTR);
	if (s < 0)
		return -errno;
	return (size_t)s == sizeof(q) ? 0 : -EIO;
}

/* Judges the messages of one dump datagram (len bytes at b). True when the
 * dump is over, with *ret its answer (1 found, 0 not, -errno); false: read
 * on. *found says whether a socket matched so far. */
static bool dump_datagram(const char *b, size_t len, uint8_t family,
			  const struct want *w, uint32_t seq, unsigned *msgs,
			  int *found, int *ret)
{
	/* The walk of NLMSG_OK/NLMSG_NEXT, without their casts that drop
	 * const: every header and its length inside what came. */
	for (size_t off = 0; off + NLMSG_HDRLEN <= len;) {
		const struct nlmsghdr *h = (const void *)(b + off);
		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - off)
			break;
		off += NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_seq != seq)
			continue; /* a late answer to an earlier dump */
		if (h->nlmsg_type == NLMSG_DONE) {
			*ret = *found;
			/* A dump that failed half-way says so here. */
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
				int e;
				memcpy(&e, payload(h), sizeof(e));
				if (e < 0 && !*found)
					*ret = e;
			}
			return true;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = payload(h);
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				*ret = -EBADMSG;
			else
				*ret = e->error < 0 ? e->error : -EPROTO;
			return true;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		if (++*msgs > RB_SOCKDIAG_MSGS_MAX) {
			*ret = *found ? *found : -E2BIG;
			return true;
		}
		int r = judge(h, family, w);
		if (r < 0) {
			*ret = r;
			return true;
		}
		/* Read on to NLMSG_DONE: the socket is reused for the next
		 * family, which must not meet this dump's tail. */
		if (r)
			*found = 1;
	}
	return false;
}

/* One dump of family/proto sockets in states, on fd. 1 found, 0 not,
 * -errno cannot tell. *msgs counts the messages read across dumps. */
static int dump(int fd, uint8_t family, uint8_t proto, uint32_t states,
		const struct want *w, uint32_t seq, unsigned *msgs)
{
	int r = dump_request(fd, family, proto, states, w, seq);
	if (r)
		return r;
	/* Aligned for struct nlmsghdr; 32 KiB holds the largest message the
	 * kernel puts in one dump datagram. */
	union {
		struct nlmsghdr h;
		char b[32768];
	} buf;
	int found = 0;
	for (;;) {
		struct iovec iov = { .iov_base = buf.b, .iov_len = sizeof(buf.b) };
		struct sockaddr_nl from;
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (from.nl_pid != 0)
			continue; /* not from the kernel */
		if (dump_datagram(buf.b, (size_t)n, family, w, seq, msgs, &found, &r))
			return r;
	}
}

int rb_sockdiag_owns_port(uint32_t uid, const char *netid, uint16_t port)
{
	uint8_t proto;
	uint32_t states;
	if (!netid)
		return -EINVAL;
	if (strcmp(netid, "tcp") == 0 || strcmp(netid, "tcp6") == 0) {
		proto = IPPROTO_TCP;
		states = 1u << TCP_LISTEN; /* a service accepts; a client does not */
	} else if (strcmp(netid, "udp") == 0 || strcmp(netid, "udp6") == 0) {
		proto = IPPROTO_UDP;
		/* Unconnected UDP sockets are in TCP_CLOSE, connected ones in
		 * TCP_ESTABLISHED: bound either way. */
		states = 1u << TCP_CLOSE | 1u << TCP_ESTABLISHED;
	} else {
		return -EPROTONOSUPPORT;
	}
	struct want w = { .uid = uid, .port = port, .v4 = netid[3] != '6' };

	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = RB_SOCKDIAG_TIMEOUT_MS / 1000,
			      .tv_usec = (RB_SOCKDIAG_TIMEOUT_MS % 1000) * 1000 };
	int r = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		goto out;
	}
	unsigned msgs = 0;
	/* An IPv4 netid: IPv4 sockets first, then dual-stack IPv6 ones. An
	 * IPv6 netid: IPv6 sockets only (an IPv4 socket does not take what
	 * clients send to the IPv6 address). */
	if (w.v4) {
		r = dump(fd, AF_INET, proto, states, &w, 1, &msgs);
		if (r != 0)
			goto out;
	}
	r = dump(fd, AF_INET6, proto, states, &w, 2, &msgs);
	/* A host without IPv6 has no IPv6 sockets to find. */
	if (r == -EAFNOSUPPORT || r == -ENOENT)
		r = 0;
out:
	close(fd);
	return r;
}
