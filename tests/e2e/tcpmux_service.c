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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rpc/rpc.h>

#include "tinysvc.h"

#define BIG_MAX 1000000u

/* ---- rpc ---- */

static void dispatch(struct svc_req *rq, SVCXPRT *xp)
{
	if (!tsvc_common(rq, xp, BIG_MAX))
		svcerr_noproc(xp);
}

static int run_rpc(rpcprog_t prog, rpcvers_t vers)
{
	static const char *const netids[2] = { "tcp", "tcp6" };
	return tsvc_serve(prog, vers, netids, dispatch, "tcpmux_service");
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
	while (!tsvc_stopping()) {
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
	tsvc_catch_term();
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "rpc") == 0)
		return run_rpc((rpcprog_t)strtoul(argv[2], NULL, 0),
			       (rpcvers_t)strtoul(argv[3], NULL, 0));
	if (argc == 2 && strcmp(argv[1], "echo") == 0)
		return run_echo();
	fprintf(stderr, "usage: rb_e2e_tcpmux_service rpc PROG VERS | echo\n");
	return 2;
}
