/* rb_udp_batch (net/transport/udp_batch.c) against real loopback sockets: replies
 * queued past RB_UDP_SEND_BATCH all arrive, in order, each to its own peer;
 * a reply for another socket sends what was queued first; a reply over
 * RB_UDP_REPLY_MAX is dropped and counted; a reply the kernel refuses for
 * its peer costs that reply alone, first in the batch or in the middle; the
 * source address given as pktinfo is the one the datagram leaves from. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net/transport/udp_batch.h"

struct rb_check_state rb_check;

static int udp_on(const char *ip, struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sa->sin_addr);
	socklen_t sl = sizeof(*sa);
	int big = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)sa, &sl) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void route_to(struct rb_dgram_route *rt, const struct sockaddr_in *peer)
{
	memset(rt, 0, sizeof(*rt));
	memcpy(&rt->peer, peer, sizeof(*peer));
	rt->peer_len = sizeof(*peer);
}

/* Receives one datagram within 1 s; its length, or -1. */
static int recv_one(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 1000) != 1)
		return -1;
	socklen_t sl = sizeof(*from);
	return (int)recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)from, &sl);
}

static void test_many(void)
{
	struct sockaddr_in srv, c1, c2;
	int s = udp_on("127.0.0.1", &srv), a = udp_on("127.0.0.1", &c1),
	    b = udp_on("127.0.0.1", &c2);
	CHECK(s >= 0 && a >= 0 && b >= 0);
	struct rb_udp_batch *bt = calloc(1, sizeof(*bt));
	struct rb_counters cn;
	memset(&cn, 0, sizeof(cn));
	const unsigned n = RB_UDP_SEND_BATCH * 3 + 5;
	for (unsigned i = 0; i < n; i++) {
		struct rb_dgram_route rt;
		route_to(&rt, i % 2 ? &c2 : &c1);
		uint32_t v = htonl(i);
		rb_udp_batch_add(bt, &cn, s, &rt, (const uint8_t *)&v, sizeof(v));
	}
	/* Full batches went as they filled; the rest waits for the flush. */
	CHECK_EQ_U(cn.udp_replies, RB_UDP_SEND_BATCH * 3);
	CHECK_EQ_U(bt->n, 5);
	rb_udp_batch_flush(bt, &cn);
	CHECK_EQ_U(cn.udp_replies, n);
	CHECK_EQ_U(bt->n, 0);
	unsigned got[2] = { 0, 0 };
	for (unsigned i = 0; i < n; i++) {
		int fd = i % 2 ? b : a;
		uint8_t buf[16];
		struct sockaddr_in from;
		int len = recv_one(fd, buf, sizeof(buf), &from);
		CHECK_EQ_U(len, 4);
		uint32_t v;
		memcpy(&v, buf, 4);
		CHECK_EQ_U(ntohl(v), got[i % 2] * 2 + i % 2); /* in order */
		got[i % 2]++;
		CHECK_EQ_U(from.sin_port, srv.sin_port);
	}
	CHECK_EQ_U(got[0] + got[1], n);

	/* Another socket: what was queued for the first leaves first. */
	struct sockaddr_in srv2;
	int s2 = udp_on("127.0.0.1", &srv2);
	struct rb_dgram_route rt;
	route_to(&rt, &c1);
	uint8_t one = 1, two = 2;
	rb_udp_batch_add(bt, &cn, s, &rt, &one, 1);
	rb_udp_batch_add(bt, &cn, s2, &rt, &two, 1);
	CHECK_EQ_U(bt->n, 1);
	CHECK_EQ_U(bt->fd, s2);
	rb_udp_batch_flush(bt, &cn);
	uint8_t buf[16];
	struct sockaddr_in from;
	CHECK_EQ_U(recv_one(a, buf, sizeof(buf), &from), 1);
	CHECK(buf[0] == 1 && from.sin_port == srv.sin_port);
	CHECK_EQ_U(recv_one(a, buf, sizeof(buf), &from), 1);
	CHECK(buf[0] == 2 && from.sin_port == srv2.sin_port);

	/* Too large: dropped and counted, nothing queued. */
	uint64_t refused = cn.udp_send_refused;
	static uint8_t big[RB_UDP_REPLY_MAX + 1];
	rb_udp_batch_add(bt, &cn, s, &rt, big, sizeof(big));
	CHECK_EQ_U(bt->n, 0);
	CHECK_EQ_U(cn.udp_send_refused, refused + 1);
	rb_udp_batch_add(bt, &cn, s, &rt, big, RB_UDP_REPLY_MAX);
	rb_udp_batch_flush(bt, &cn);
	CHECK_EQ_U(recv_one(a, big, sizeof(big), &from), RB_UDP_REPLY_MAX);
	close(s);
	close(s2);
	close(a);
	close(b);
	free(bt);
}

/* A destination the kernel refuses before sending anything, on loopback
 * only: AF_INET6 on an AF_INET socket (EAFNOSUPPORT), or port 0 (EINVAL). */
static void route_bad(struct rb_dgram_route *rt, int how, const struct sockaddr_in *good)
{
	memset(rt, 0, sizeof(*rt));
	if (how == 0) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&rt->peer;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = good->sin_port;
		rt->peer_len = sizeof(*s6);
	} else {
		struct sockaddr_in bad = *good;
		bad.sin_port = 0;
		memcpy(&rt->peer, &bad, sizeof(bad));
		rt->peer_len = sizeof(bad);
	}
}

/* Six replies on one socket, the one at index bad_at to a peer the kernel
 * refuses: the five others all arrive, and only the refused one counts.
 * sendmmsg fails as a whole only when its first message fails, and stops
 * short at a later failing one; neither may cost the other clients. */
static void batch_with_bad_peer(unsigned bad_at, int how)
{
	struct sockaddr_in srv, good[5];
	int s = udp_on("127.0.0.1", &srv), g[5];
	CHECK(s >= 0);
	for (unsigned i = 0; i < 5; i++) {
		g[i] = udp_on("127.0.0.1", &good[i]);
		CHECK(g[i] >= 0);
	}
	struct rb_udp_batch *bt = calloc(1, sizeof(*bt));
	struct rb_counters cn;
	memset(&cn, 0, sizeof(cn));
	for (unsigned i = 0, k = 0; i < 6; i++) {
		struct rb_dgram_route rt;
		uint8_t v = (uint8_t)i;
		if (i == bad_at)
			route_bad(&rt, how, &good[0]);
		else
			route_to(&rt, &good[k++]);
		rb_udp_batch_add(bt, &cn, s, &rt, &v, 1);
	}
	CHECK_EQ_U(bt->n, 6);
	rb_udp_batch_flush(bt, &cn);
	CHECK_EQ_U(bt->n, 0);
	CHECK_EQ_U(cn.udp_replies, 5);
	CHECK_EQ_U(cn.udp_send_refused, 1);
	for (unsigned k = 0; k < 5; k++) {
		uint8_t buf[4];
		struct sockaddr_in from;
		int len = recv_one(g[k], buf, sizeof(buf), &from);
		CHECK_EQ_U(len, 1);
		if (len != 1)
			continue;
		CHECK_EQ_U(buf[0], k < bad_at ? k : k + 1);
		CHECK_EQ_U(from.sin_port, srv.sin_port);
	}
	close(s);
	for (unsigned i = 0; i < 5; i++)
		close(g[i]);
	free(bt);
}

static void test_bad_peer(void)
{
	batch_with_bad_peer(0, 0); /* first: sendmmsg returns -1 */
	batch_with_bad_peer(2, 0); /* middle: sendmmsg returns 2 */
	batch_with_bad_peer(0, 1);
	batch_with_bad_peer(3, 1);
	batch_with_bad_peer(5, 1); /* last */
}

/* A wildcard-bound socket answers from the address given as pktinfo
 * (the one the call arrived on): here 127.0.0.2 rather than 127.0.0.1. */
static void test_pktinfo(void)
{
	struct sockaddr_in srv, cl;
	int s = udp_on("0.0.0.0", &srv), c = udp_on("127.0.0.1", &cl);
	CHECK(s >= 0 && c >= 0);
	struct rb_udp_batch *bt = calloc(1, sizeof(*bt));
	struct rb_counters cn;
	memset(&cn, 0, sizeof(cn));
	struct rb_dgram_route rt;
	route_to(&rt, &cl);
	rt.local_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", &rt.local.v4.ipi_spec_dst);
	uint8_t x = 7;
	rb_udp_batch_add(bt, &cn, s, &rt, &x, 1);
	rb_udp_batch_flush(bt, &cn);
	uint8_t buf[4];
	struct sockaddr_in from;
	CHECK_EQ_U(recv_one(c, buf, sizeof(buf), &from), 1);
	char ip[INET_ADDRSTRLEN] = "";
	inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
	CHECK_STR(ip, "127.0.0.2");
	close(s);
	close(c);
	free(bt);
}

int main(void)
{
	test_many();
	test_bad_peer();
	test_pktinfo();
	printf("%u checks, %u failed\n", rb_check.checks, rb_check.failures);
	return rb_check.failures ? 1 : 0;
}
