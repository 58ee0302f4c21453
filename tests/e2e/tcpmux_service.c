/* rb_e2e_tcpmux_service: services to put behind ringbind's TCPMUX front
 * (t_tcpmux.sh).
 *
 *   rb_e2e_tcpmux_service rpc PROG VERS   a libtirpc TCP RPC service on
 *       netids tcp and tcp6 (svc_tp_create registers each with the port
 *       mapper through rpcb_set), procedures 0 NULL, 1 ADD {u32 a, u32 b}
 *       -> u32 a + b, 2 BIG u32 n -> opaque of n bytes (0xab), else
 *       PROC_UNAVAIL. Prints "READY PORT4 PORT6"; on SIGTERM unregisters
 *       (rpcb_unset) and exits.
 *   rb_e2e_tcpmux_service echo            a TCP echo service on 127.0.0.1
 *       (no registration: a static --tcpmux-service name), epoll, any
 *       number of connections, each echoing what it reads; a client's EOF
 *       is answered with ours. Prints "READY PORT". SIGTERM: exits. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include <rpc/rpcb_clnt.h>

#define BIG_MAX 1000000u

static rpcprog_t g_prog;
static rpcvers_t g_vers;
static volatile sig_atomic_t g_stop;

static void on_term(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* ---- rpc ---- */

struct add_args {
	u_int a, b;
};

static bool_t xdr_add_args(XDR *x, struct add_args *p)
{
	return xdr_u_int(x, &p->a) && xdr_u_int(x, &p->b);
}

struct big_res {
	u_int n;
	char *p;
};

static bool_t xdr_big_res(XDR *x, struct big_res *r)
{
	return xdr_bytes(x, &r->p, &r->n, BIG_MAX);
}

/* xdr_void with the xdrproc_t signature (no function-type cast needed). */
static bool_t xdr_nothing(XDR *xdrs, ...)
{
	(void)xdrs;
	return TRUE;
}

static void dispatch(struct svc_req *rq, SVCXPRT *xp)
{
	switch (rq->rq_proc) {
	case 0:
		svc_sendreply(xp, xdr_nothing, NULL);
		return;
	case 1: {
		struct add_args a = { 0, 0 };
		if (!svc_getargs(xp, (xdrproc_t)xdr_add_args, (caddr_t)&a)) {
			svcerr_decode(xp);
			return;
		}
		u_int sum = a.a + a.b;
		svc_sendreply(xp, (xdrproc_t)xdr_u_int, (caddr_t)&sum);
		return;
	}
	case 2: {
		u_int n = 0;
		if (!svc_getargs(xp, (xdrproc_t)xdr_u_int, (caddr_t)&n) || n > BIG_MAX) {
			svcerr_decode(xp);
			return;
		}
		struct big_res r = { n, malloc(n ? n : 1) };
		if (!r.p) {
			svcerr_systemerr(xp);
			return;
		}
		memset(r.p, 0xab, n);
		svc_sendreply(xp, (xdrproc_t)xdr_big_res, (caddr_t)&r);
		free(r.p);
		return;
	}
	default:
		svcerr_noproc(xp);
		return;
	}
}

static unsigned xprt_port(SVCXPRT *xp)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(xp->xp_fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void unset_all(const char *const *netids)
{
	for (int i = 0; i < 2; i++) {
		struct netconfig *nc = getnetconfigent(netids[i]);
		if (nc) {
			rpcb_unset(g_prog, g_vers, nc);
			freenetconfigent(nc);
		}
	}
}

static int run_rpc(void)
{
	unsigned port[2] = { 0, 0 };
	static const char *const netids[2] = { "tcp", "tcp6" };
	unset_all(netids);
	for (int i = 0; i < 2; i++) {
		struct netconfig *nc = getnetconfigent(netids[i]);
		if (!nc)
			continue;
		/* svc_tp_create registers (prog, vers, netid) with rpcb_set;
		 * sendsize/recvsize 0: libtirpc's defaults. */
		SVCXPRT *xp = svc_tp_create(dispatch, g_prog, g_vers, nc);
		if (xp)
			port[i] = xprt_port(xp);
		else if (i == 0) {
			fprintf(stderr, "tcpmux_service: svc_tp_create(tcp) failed\n");
			return 1;
		}
		freenetconfigent(nc);
	}
	printf("READY %u %u\n", port[0], port[1]);
	fflush(stdout);
	while (!g_stop) {
		int n = svc_max_pollfd;
		struct pollfd *pf = calloc((size_t)(n ? n : 1), sizeof(*pf));
		if (!pf)
			return 1;
		memcpy(pf, svc_pollfd, (size_t)n * sizeof(*pf));
		int r = poll(pf, (nfds_t)n, 200);
		if (r > 0)
			svc_getreq_poll(pf, r);
		free(pf);
	}
	unset_all(netids);
	return 0;
}

/* ---- echo ---- */

static int run_echo(void)
{
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof(sin);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 4096) < 0 || getsockname(lfd, (struct sockaddr *)&sin, &sl) < 0) {
		perror("tcpmux_service: echo listener");
		return 1;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		perror("tcpmux_service: epoll");
		return 1;
	}
	printf("READY %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	static char buf[65536];
	struct epoll_event evs[256];
	while (!g_stop) {
		int n = epoll_wait(ep, evs, 256, 200);
		for (int k = 0; k < n; k++) {
			int fd = evs[k].data.fd;
			if (fd == lfd) {
				int c;
				while ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
					struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
				continue;
			}
			/* Blocking writes of what one read brought: the test's
			 * messages are small, and its clients read. */
			ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0 || send(fd, buf, (size_t)r, MSG_NOSIGNAL) != r) {
				close(fd);
				continue;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "rpc") == 0) {
		g_prog = (rpcprog_t)strtoul(argv[2], NULL, 0);
		g_vers = (rpcvers_t)strtoul(argv[3], NULL, 0);
		return run_rpc();
	}
	if (argc == 2 && strcmp(argv[1], "echo") == 0)
		return run_echo();
	fprintf(stderr, "usage: rb_e2e_tcpmux_service rpc PROG VERS | echo\n");
	return 2;
}
