/* rb_e2e_fwd_service: a UDP RPC service to put behind `ringbind -r`, for
 * the remote-call tests (t_callit.sh). Registers itself with the port
 * mapper through libtirpc (rpcb_set over the local socket, as root), on
 * netids udp and udp6, prints "READY PORT4 PORT6" (0: not available), and
 * serves until SIGTERM.
 *
 *   rb_e2e_fwd_service tirpc PROG VERS    a libtirpc service (svc_tp_create)
 *   rb_e2e_fwd_service raw PROG VERS      hand-made replies, one per proc
 *
 * tirpc procedures:
 *   0 NULL;  1 ADD {u32 a, u32 b} -> u32 a + b;
 *   2 BIG u32 n -> opaque of n bytes (0xab);
 *   3 WHO -> {u32 cred flavor, u32 AUTH_SYS uid (or 0xffffffff), string
 *     the caller's uaddr};
 *   4 FAIL -> SYSTEM_ERR;  5 SILENT -> no reply;  else PROC_UNAVAIL.
 * raw procedures (each call is also printed: "CALL xid=X proc=N cred=F
 * from=UADDR len=L"):
 *   1 ADD, as above;  2 GARBLED: a reply cut inside its verifier;
 *   3 OTHERPORT: the right reply, from another socket (another port);
 *   4 WRONGXID: the right reply under another xid;
 *   5 RESULTS u32 n: SUCCESS with n raw result bytes (0xcd), whatever
 *     the datagram size;
 *   6 MUTE: no reply;  7 MISMATCH: PROG_MISMATCH 1..3;
 *   8 DENIED: AUTH_ERROR TOOWEAK;  else PROC_UNAVAIL. */
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
#include <unistd.h>

#include <rpc/rpc.h>
#include <rpc/rpcb_clnt.h>

#include "rpcwire.h"
#include "tinysvc.h"

#define BIG_MAX 60000u

/* ---- libtirpc mode ---- */

struct who_res {
	u_int flavor, uid;
	char *caller;
};

static bool_t xdr_who_res(XDR *x, struct who_res *r)
{
	return xdr_u_int(x, &r->flavor) && xdr_u_int(x, &r->uid) &&
	       xdr_string(x, &r->caller, 256);
}

/* 3 WHO: the caller's credential flavor, AUTH_SYS uid and address. */
static void serve_who(struct svc_req *rq, SVCXPRT *xp)
{
	struct who_res r = { rq->rq_cred.oa_flavor, 0xffffffffu, NULL };
	if (rq->rq_cred.oa_flavor == AUTH_SYS && rq->rq_clntcred)
		r.uid = ((struct authunix_parms *)rq->rq_clntcred)->aup_uid;
	struct netconfig *nc = getnetconfigent(xp->xp_netid);
	r.caller = nc ? taddr2uaddr(nc, svc_getrpccaller(xp)) : NULL;
	if (nc)
		freenetconfigent(nc);
	if (!r.caller)
		r.caller = strdup("?");
	svc_sendreply(xp, (xdrproc_t)xdr_who_res, (caddr_t)&r);
	free(r.caller);
}

static void dispatch(struct svc_req *rq, SVCXPRT *xp)
{
	if (tsvc_common(rq, xp, BIG_MAX))
		return;
	switch (rq->rq_proc) {
	case 3:
		serve_who(rq, xp);
		return;
	case 4:
		svcerr_systemerr(xp);
		return;
	case 5:
		return; /* never answered */
	default:
		svcerr_noproc(xp);
		return;
	}
}

static const char *const udp_netids[2] = { "udp", "udp6" };

/* ---- raw mode ---- */

/* Accepted reply head: xid, REPLY, MSG_ACCEPTED, verf AUTH_NONE, stat. */
static void accepted(struct rw_msg *w, uint32_t xid, uint32_t stat)
{
	w->n = 0;
	rw_msg32(w, xid);
	rw_msg32(w, 1);
	rw_msg32(w, 0);
	rw_msg32(w, 0);
	rw_msg32(w, 0);
	rw_msg32(w, stat);
}

static int raw_socket(int af, unsigned *port)
{
	int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET6) {
		int one = 1;
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || !(*port = tsvc_port(fd))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int raw_register(rpcprog_t prog, rpcvers_t vers, const char *netid, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	struct netconfig *nc = getnetconfigent(netid);
	if (!nc)
		return -1;
	struct netbuf nb = { .maxlen = sl, .len = sl, .buf = &ss };
	rpcb_unset(prog, vers, nc);
	int ok = rpcb_set(prog, vers, nc, &nb);
	freenetconfigent(nc);
	return ok ? 0 : -1;
}

/* Prints "CALL xid=X proc=N cred=F from=UADDR len=L" for a call. */
static void print_call(uint32_t xid, uint32_t proc, uint32_t flavor, const struct sockaddr *from,
		       size_t n)
{
	char who[INET6_ADDRSTRLEN] = "?";
	unsigned wport = 0;
	if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)from;
		inet_ntop(AF_INET6, &a->sin6_addr, who, sizeof(who));
		wport = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)from;
		inet_ntop(AF_INET, &a->sin_addr, who, sizeof(who));
		wport = ntohs(a->sin_port);
	}
	printf("CALL xid=%08x proc=%u cred=%u from=%s.%u.%u len=%zu\n", xid, proc, flavor, who,
	       wport >> 8, wport & 255, n);
	fflush(stdout);
}

static void raw_answer(int fd, int other, const uint8_t *m, size_t n,
		       const struct sockaddr *from, socklen_t fl)
{
	static struct rw_msg w;
	if (n < 24 || rw_get32(m + 4) != 0)
		return;
	uint32_t xid = rw_get32(m), proc = rw_get32(m + 20);
	/* Skip the credential and the verifier to the arguments. */
	size_t pos = 24;
	uint32_t flavor = n >= pos + 8 ? rw_get32(m + pos) : 0;
	for (int i = 0; i < 2 && pos + 8 <= n; i++)
		pos += 8 + ((rw_get32(m + pos + 4) + 3u) & ~3u);
	const uint8_t *args = pos <= n ? m + pos : m + n;
	size_t alen = pos <= n ? n - pos : 0;
	uint32_t sum = alen >= 8 ? rw_get32(args) + rw_get32(args + 4) : 0;
	print_call(xid, proc, flavor, from, n);
	int out = fd;
	switch (proc) {
	case 1:
		accepted(&w, xid, 0);
		rw_msg32(&w, sum);
		break;
	case 2:
		accepted(&w, xid, 0);
		w.n = 16; /* xid, REPLY, ACCEPTED, verf flavor: no verf length */
		break;
	case 3:
		accepted(&w, xid, 0);
		rw_msg32(&w, sum);
		out = other;
		break;
	case 4:
		accepted(&w, xid ^ 0x80000000u, 0);
		rw_msg32(&w, sum);
		break;
	case 5: {
		uint32_t k = alen >= 4 ? rw_get32(args) : 0;
		accepted(&w, xid, 0);
		if (k > sizeof(w.b) - w.n)
			k = (uint32_t)(sizeof(w.b) - w.n);
		memset(w.b + w.n, 0xcd, k);
		w.n += k;
		break;
	}
	case 6:
		return;
	case 7:
		accepted(&w, xid, 2);
		rw_msg32(&w, 1);
		rw_msg32(&w, 3);
		break;
	case 8:
		w.n = 0;
		rw_msg32(&w, xid);
		rw_msg32(&w, 1);
		rw_msg32(&w, 1); /* MSG_DENIED */
		rw_msg32(&w, 1); /* AUTH_ERROR */
		rw_msg32(&w, 5); /* TOOWEAK */
		break;
	default:
		accepted(&w, xid, 3);
		break;
	}
	if (out >= 0)
		sendto(out, w.b, w.n, 0, from, fl);
}

/* Answers every datagram waiting on fd (other: the OTHERPORT socket). */
static void raw_drain(int fd, int other)
{
	static uint8_t m[65536];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, m, sizeof(m), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		raw_answer(fd, other, m, (size_t)n, (struct sockaddr *)&from, fl);
	}
}

static int run_raw(rpcprog_t prog, rpcvers_t vers)
{
	unsigned port[2] = { 0, 0 }, oport;
	int fd[2], other[2];
	fd[0] = raw_socket(AF_INET, &port[0]);
	other[0] = raw_socket(AF_INET, &oport);
	fd[1] = raw_socket(AF_INET6, &port[1]);
	other[1] = raw_socket(AF_INET6, &oport);
	if (fd[0] < 0 || raw_register(prog, vers, "udp", fd[0]) < 0) {
		fprintf(stderr, "fwd_service: cannot register the raw service on udp\n");
		return 1;
	}
	if (fd[1] >= 0 && raw_register(prog, vers, "udp6", fd[1]) < 0)
		port[1] = 0;
	printf("READY %u %u\n", port[0], port[1]);
	fflush(stdout);
	while (!tsvc_stopping()) {
		struct pollfd pf[2] = { { .fd = fd[0], .events = POLLIN },
					{ .fd = fd[1], .events = POLLIN } };
		if (poll(pf, 2, 200) <= 0)
			continue;
		for (int i = 0; i < 2; i++)
			if (fd[i] >= 0 && (pf[i].revents & POLLIN))
				raw_drain(fd[i], other[i]);
	}
	tsvc_unset(prog, vers, udp_netids);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s tirpc|raw PROG VERS\n", argv[0]);
		return 2;
	}
	rpcprog_t prog = strtoul(argv[2], NULL, 0);
	rpcvers_t vers = strtoul(argv[3], NULL, 0);
	tsvc_catch_term();
	if (strcmp(argv[1], "tirpc") == 0)
		return tsvc_serve(prog, vers, udp_netids, dispatch, "fwd_service");
	if (strcmp(argv[1], "raw") == 0)
		return run_raw(prog, vers);
	fprintf(stderr, "usage: %s tirpc|raw PROG VERS\n", argv[0]);
	return 2;
}
