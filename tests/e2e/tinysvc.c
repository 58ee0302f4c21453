/* tinysvc: see tinysvc.h. */
#define _GNU_SOURCE
#include "tinysvc.h"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rpc/rpcb_clnt.h>

/* The one global: a signal handler can only leave a flag. */
static volatile sig_atomic_t stop_flag;

static void on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void tsvc_catch_term(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

int tsvc_stopping(void)
{
	return stop_flag != 0;
}

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
	u_int max;
};

static bool_t xdr_big_res(XDR *x, struct big_res *r)
{
	return xdr_bytes(x, &r->p, &r->n, r->max);
}

/* xdr_void with the xdrproc_t signature (no function-type cast needed). */
static bool_t xdr_nothing(XDR *xdrs, ...)
{
	(void)xdrs;
	return TRUE;
}

static void serve_add(SVCXPRT *xp)
{
	struct add_args a = { 0, 0 };
	if (!svc_getargs(xp, (xdrproc_t)xdr_add_args, (caddr_t)&a)) {
		svcerr_decode(xp);
		return;
	}
	u_int sum = a.a + a.b;
	svc_sendreply(xp, (xdrproc_t)xdr_u_int, (caddr_t)&sum);
}

static void serve_big(SVCXPRT *xp, u_int big_max)
{
	u_int n = 0;
	if (!svc_getargs(xp, (xdrproc_t)xdr_u_int, (caddr_t)&n) || n > big_max) {
		svcerr_decode(xp);
		return;
	}
	struct big_res r = { n, malloc(n ? n : 1), big_max };
	if (!r.p) {
		svcerr_systemerr(xp);
		return;
	}
	memset(r.p, 0xab, n);
	svc_sendreply(xp, (xdrproc_t)xdr_big_res, (caddr_t)&r);
	free(r.p);
}

int tsvc_common(struct svc_req *rq, SVCXPRT *xp, u_int big_max)
{
	switch (rq->rq_proc) {
	case 0:
		svc_sendreply(xp, xdr_nothing, NULL);
		return 1;
	case 1:
		serve_add(xp);
		return 1;
	case 2:
		serve_big(xp, big_max);
		return 1;
	default:
		return 0;
	}
}

unsigned tsvc_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void tsvc_unset(rpcprog_t prog, rpcvers_t vers, const char *const netids[2])
{
	for (int i = 0; i < 2; i++) {
		struct netconfig *nc = getnetconfigent(netids[i]);
		if (nc) {
			rpcb_unset(prog, vers, nc);
			freenetconfigent(nc);
		}
	}
}

/* svc_run until the flag: poll with a short timeout to see it. */
static int serve_until_stopped(void)
{
	while (!tsvc_stopping()) {
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
	return 0;
}

int tsvc_serve(rpcprog_t prog, rpcvers_t vers, const char *const netids[2],
	       tsvc_dispatch_fn dispatch, const char *who)
{
	unsigned port[2] = { 0, 0 };
	/* Nothing left over from an earlier run of ours. */
	tsvc_unset(prog, vers, netids);
	for (int i = 0; i < 2; i++) {
		struct netconfig *nc = getnetconfigent(netids[i]);
		if (!nc)
			continue;
		/* svc_tp_create registers (prog, vers, netid) with rpcb_set;
		 * sendsize/recvsize 0: libtirpc's defaults. */
		SVCXPRT *xp = svc_tp_create(dispatch, prog, vers, nc);
		if (xp)
			port[i] = tsvc_port(xp->xp_fd);
		else if (i == 0) {
			fprintf(stderr, "%s: svc_tp_create(%s) failed\n", who, netids[0]);
			return 1;
		}
		freenetconfigent(nc);
	}
	printf("READY %u %u\n", port[0], port[1]);
	fflush(stdout);
	if (serve_until_stopped())
		return 1;
	tsvc_unset(prog, vers, netids);
	return 0;
}
