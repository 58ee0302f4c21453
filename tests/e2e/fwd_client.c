/* rb_e2e_fwd_client: remote calls through a port mapper (t_callit.sh), with
 * the source of each reply shown, since the answer must come from the
 * port mapper's own port (111) and address.
 *
 *   rb_e2e_fwd_client [OPTIONS] KIND PROG VERS PROC [U32...]
 *
 * KIND: callit2 (PMAP v2 CALLIT), callit3 (RPCBIND v3 CALLIT), bcast4 (v4
 * BCAST), indirect4 (v4 INDIRECT): a raw call over an unconnected UDP
 * socket, whose arguments are the U32 words; the reply's source is read
 * with recvfrom. pmap_rmtcall, rpcb_rmtcall: libtirpc's own client
 * functions, with the arguments {u32, u32} and a u32 result (the ADD
 * procedure of fwd_service).
 *
 * Options: -6 (IPv6; to ::1 unless -d), -s ADDR (bind this source
 * address), -d ADDR (destination; 127.0.0.1), -p PORT (111), -t MS (wait
 * for the reply; 2000), -u UID (an AUTH_SYS credential: uid and gid UID,
 * machine "fwdtest"), -x XID, -n N (flood: N calls, xids XID.., paced;
 * replies are counted for -t MS after the last), -c (connect the socket to
 * the destination first, as libtirpc's clients do).
 *
 * Output, one line: "FROM UADDR RESULT" (RESULT: SUCCESS port=N res=HEX,
 * SUCCESS addr=UADDR res=HEX, PROG_UNAVAIL, PROG_MISMATCH:LO:HI,
 * PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR, AUTH_ERROR:N, RPC_MISMATCH:LO:HI,
 * BADREPLY), or "NOREPLY"; a flood prints "SENT N REPLIES M"; the libtirpc
 * kinds print "TIRPC STATUS port=N" / "TIRPC STATUS addr=UADDR" and
 * "res=SUM". Exit status 0, 2 on usage errors, 1 on a local failure. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include <rpc/pmap_clnt.h>
#include <rpc/rpcb_clnt.h>

#include "rpcwire.h"

#define MAXW 64

struct opts {
	int v6, connect_first;
	const char *src, *dst;
	unsigned port;
	long timeout_ms;
	long uid; /* -1: AUTH_NONE */
	uint32_t xid;
	long flood;
};

static void usage(void)
{
	fprintf(stderr, "usage: rb_e2e_fwd_client [-6] [-c] [-s SRC] [-d DST] [-p PORT] [-t MS] "
			"[-u UID] [-x XID] [-n N] KIND PROG VERS PROC [U32...]\n");
	exit(2);
}

/* The remote call: header to the port mapper, then {prog, vers, proc,
 * opaque args}. */
static void build(struct rw_msg *m, const struct opts *o, uint32_t xid, uint32_t vers,
		  uint32_t proc, uint32_t rprog, uint32_t rvers, uint32_t rproc,
		  const uint32_t *w, int nw)
{
	m->n = 0;
	rw_msg32(m, xid);
	rw_msg32(m, 0);
	rw_msg32(m, 2);
	rw_msg32(m, 100000);
	rw_msg32(m, vers);
	rw_msg32(m, proc);
	if (o->uid >= 0) {
		static const char mach[] = "fwdtest"; /* 7 bytes + 1 pad */
		rw_msg32(m, 1);
		rw_msg32(m, 4 + 4 + 8 + 4 + 4 + 4 + 4);
		rw_msg32(m, 0x5eed);
		rw_msg32(m, 7);
		memcpy(m->b + m->n, mach, 7);
		m->b[m->n + 7] = 0;
		m->n += 8;
		rw_msg32(m, (uint32_t)o->uid);
		rw_msg32(m, (uint32_t)o->uid);
		rw_msg32(m, 1);
		rw_msg32(m, (uint32_t)o->uid);
	} else {
		rw_msg32(m, 0);
		rw_msg32(m, 0);
	}
	rw_msg32(m, 0);
	rw_msg32(m, 0);
	rw_msg32(m, rprog);
	rw_msg32(m, rvers);
	rw_msg32(m, rproc);
	rw_msg32(m, (uint32_t)(nw * 4));
	for (int i = 0; i < nw; i++)
		rw_msg32(m, w[i]);
}

static int make_addr(const struct opts *o, const char *a, unsigned port,
		     struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	if (o->v6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*s);
		return inet_pton(AF_INET6, a, &s->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)port);
	*sl = sizeof(*s);
	return inet_pton(AF_INET, a, &s->sin_addr) == 1 ? 0 : -1;
}

static void print_uaddr(const struct sockaddr_storage *ss)
{
	char h[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof(h));
		port = ntohs(s->sin6_port);
	} else {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, h, sizeof(h));
		port = ntohs(s->sin_port);
	}
	printf("%s.%u.%u", h, port >> 8, port & 255);
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void print_reply(const uint8_t *r, size_t n, uint32_t vers)
{
	static const char *acc[] = { "SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH", "PROC_UNAVAIL",
				     "GARBAGE_ARGS", "SYSTEM_ERR" };
	if (n < 12 || rw_get32(r + 4) != 1) {
		printf("BADREPLY");
		return;
	}
	if (rw_get32(r + 8) == 1) {
		if (n >= 20 && rw_get32(r + 12) == 1)
			printf("AUTH_ERROR:%u", rw_get32(r + 16));
		else if (n >= 24 && rw_get32(r + 12) == 0)
			printf("RPC_MISMATCH:%u:%u", rw_get32(r + 16), rw_get32(r + 20));
		else
			printf("BADREPLY");
		return;
	}
	if (n < 24) {
		printf("BADREPLY");
		return;
	}
	size_t o = 16 + ((rw_get32(r + 16) + 3u) & ~3u) + 4; /* past the verifier */
	if (o + 4 > n) {
		printf("BADREPLY");
		return;
	}
	uint32_t st = rw_get32(r + o);
	o += 4;
	if (st == 2 && o + 8 <= n) {
		printf("PROG_MISMATCH:%u:%u", rw_get32(r + o), rw_get32(r + o + 4));
		return;
	}
	if (st != 0) {
		printf("%s", st < 6 ? acc[st] : "BADREPLY");
		return;
	}
	if (vers == 2) {
		if (o + 8 > n) {
			printf("BADREPLY");
			return;
		}
		printf("SUCCESS port=%u", rw_get32(r + o));
		o += 4;
	} else {
		if (o + 4 > n) {
			printf("BADREPLY");
			return;
		}
		uint32_t l = rw_get32(r + o);
		o += 4;
		if (l > n - o) {
			printf("BADREPLY");
			return;
		}
		printf("SUCCESS addr=%.*s", (int)l, (const char *)r + o);
		o += (l + 3u) & ~3u;
	}
	if (o + 4 > n) {
		printf(" BADREPLY");
		return;
	}
	uint32_t l = rw_get32(r + o);
	o += 4;
	if (l > n - o) {
		printf(" BADREPLY");
		return;
	}
	printf(" res=");
	if (l > 64) {
		print_hex(r + o, 16);
		printf("...(%u bytes)", l);
	} else {
		print_hex(r + o, l);
	}
}

static int raw_call(const struct opts *o, uint32_t vers, uint32_t proc, uint32_t rprog,
		    uint32_t rvers, uint32_t rproc, const uint32_t *w, int nw)
{
	struct sockaddr_storage dst, src;
	socklen_t dl, sl;
	const char *d = o->dst ? o->dst : o->v6 ? "::1" : "127.0.0.1";
	if (make_addr(o, d, o->port, &dst, &dl) < 0) {
		fprintf(stderr, "fwd_client: bad destination %s\n", d);
		return 2;
	}
	int fd = socket(o->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	if (o->src) {
		if (make_addr(o, o->src, 0, &src, &sl) < 0 ||
		    bind(fd, (struct sockaddr *)&src, sl) < 0) {
			fprintf(stderr, "fwd_client: cannot bind %s: %s\n", o->src, strerror(errno));
			return 1;
		}
	}
	if (o->connect_first && connect(fd, (struct sockaddr *)&dst, dl) < 0) {
		fprintf(stderr, "fwd_client: connect: %s\n", strerror(errno));
		return 1;
	}
	int rcv = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	static struct rw_msg m;
	static uint8_t r[65536];
	long n = o->flood > 0 ? o->flood : 1, replies = 0;
	for (long i = 0; i < n; i++) {
		build(&m, o, o->xid + (uint32_t)i, vers, proc, rprog, rvers, rproc, w, nw);
		if (sendto(fd, m.b, m.n, 0, (struct sockaddr *)&dst, dl) < 0 && errno != ENOBUFS &&
		    errno != EAGAIN) {
			fprintf(stderr, "fwd_client: sendto: %s\n", strerror(errno));
			return 1;
		}
		/* Paced, so that the flood reaches the server rather than
		 * overflowing its socket buffer: 64 calls a millisecond. */
		if (o->flood > 0 && i % 64 == 63)
			usleep(1000);
	}
	long deadline = rw_now_ms() + o->timeout_ms;
	for (;;) {
		long left = deadline - rw_now_ms();
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			break;
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t k = recvfrom(fd, r, sizeof(r), 0, (struct sockaddr *)&from, &fl);
		if (k < 0)
			continue;
		if (o->flood > 0) {
			replies++;
			continue;
		}
		if (k < 4 || rw_get32(r) != o->xid)
			continue;
		printf("FROM ");
		print_uaddr(&from);
		printf(" ");
		print_reply(r, (size_t)k, vers);
		printf("\n");
		close(fd);
		return 0;
	}
	if (o->flood > 0)
		printf("SENT %ld REPLIES %ld\n", n, replies);
	else
		printf("NOREPLY\n");
	close(fd);
	return 0;
}

struct add_args {
	u_int a, b;
};

static bool_t xdr_add_args(XDR *x, struct add_args *p)
{
	return xdr_u_int(x, &p->a) && xdr_u_int(x, &p->b);
}

static int tirpc_call(const struct opts *o, int pmap, uint32_t prog, uint32_t vers,
		      uint32_t proc, const uint32_t *w, int nw)
{
	struct add_args a = { nw > 0 ? w[0] : 0, nw > 1 ? w[1] : 0 };
	u_int sum = 0;
	struct timeval tv = { .tv_sec = o->timeout_ms / 1000, .tv_usec = (o->timeout_ms % 1000) * 1000 };
	enum clnt_stat st;
	if (pmap) {
		struct sockaddr_in sin;
		u_long port = 0;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		inet_pton(AF_INET, o->dst ? o->dst : "127.0.0.1", &sin.sin_addr);
		st = pmap_rmtcall(&sin, prog, vers, proc, (xdrproc_t)xdr_add_args, (caddr_t)&a,
				  (xdrproc_t)xdr_u_int, (caddr_t)&sum, tv, &port);
		printf("TIRPC %s port=%lu res=%u\n", clnt_sperrno(st), port, sum);
		return 0;
	}
	struct netconfig *nc = getnetconfigent(o->v6 ? "udp6" : "udp");
	if (!nc) {
		fprintf(stderr, "fwd_client: no netconfig entry\n");
		return 1;
	}
	char ab[256];
	struct netbuf addr = { .maxlen = sizeof(ab), .len = 0, .buf = ab };
	st = rpcb_rmtcall(nc, o->dst ? o->dst : o->v6 ? "::1" : "127.0.0.1", prog, vers, proc,
			  (xdrproc_t)xdr_add_args, (caddr_t)&a, (xdrproc_t)xdr_u_int,
			  (caddr_t)&sum, tv, &addr);
	char *ua = st == RPC_SUCCESS && addr.len ? taddr2uaddr(nc, &addr) : NULL;
	printf("TIRPC %s addr=%s res=%u\n", clnt_sperrno(st), ua ? ua : "-", sum);
	free(ua);
	freenetconfigent(nc);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .port = 111, .timeout_ms = 2000, .uid = -1, .xid = 0x7a000001u };
	int c;
	while ((c = getopt(argc, argv, "6cs:d:p:t:u:x:n:")) != -1) {
		switch (c) {
		case '6': o.v6 = 1; break;
		case 'c': o.connect_first = 1; break;
		case 's': o.src = optarg; break;
		case 'd': o.dst = optarg; break;
		case 'p': o.port = (unsigned)strtoul(optarg, NULL, 0); break;
		case 't': o.timeout_ms = strtol(optarg, NULL, 0); break;
		case 'u': o.uid = strtol(optarg, NULL, 0); break;
		case 'x': o.xid = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'n': o.flood = strtol(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (argc - optind < 4 || argc - optind - 4 > MAXW)
		usage();
	const char *kind = argv[optind];
	uint32_t prog = (uint32_t)strtoul(argv[optind + 1], NULL, 0);
	uint32_t vers = (uint32_t)strtoul(argv[optind + 2], NULL, 0);
	uint32_t proc = (uint32_t)strtoul(argv[optind + 3], NULL, 0);
	uint32_t w[MAXW];
	int nw = argc - optind - 4;
	for (int i = 0; i < nw; i++)
		w[i] = (uint32_t)strtoul(argv[optind + 4 + i], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(kind, "callit2") == 0)
		return raw_call(&o, 2, 5, prog, vers, proc, w, nw);
	if (strcmp(kind, "callit3") == 0)
		return raw_call(&o, 3, 5, prog, vers, proc, w, nw);
	if (strcmp(kind, "bcast4") == 0)
		return raw_call(&o, 4, 5, prog, vers, proc, w, nw);
	if (strcmp(kind, "indirect4") == 0)
		return raw_call(&o, 4, 10, prog, vers, proc, w, nw);
	if (strcmp(kind, "pmap_rmtcall") == 0)
		return tirpc_call(&o, 1, prog, vers, proc, w, nw);
	if (strcmp(kind, "rpcb_rmtcall") == 0)
		return tirpc_call(&o, 0, prog, vers, proc, w, nw);
	usage();
	return 2;
}
