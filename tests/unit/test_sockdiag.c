/* rb_sockdiag_owns_port (net/control/sockdiag.c) against real sockets: TCP
 * listening and merely bound, UDP unconnected and connected, IPv4, IPv6
 * with and without IPV6_V6ONLY, sockets of this process's uid and of
 * another (a child that drops to uid 65534, binds, and reports its ports
 * through a pipe). Exit 77 where sock_diag is unavailable; the other-uid
 * part needs root and is skipped without it. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "net/control/sockdiag.h"

struct rb_check_state rb_check;

#define OTHER_UID 65534u

enum where { ANY, LOOP };

/* A socket of family/type bound to port 0 (the kernel picks one) on the
 * wildcard or loopback address; v6only for AF_INET6; listening if asked.
 * Returns the fd and its port in *port, or -1. */
static int sock_on(int family, int type, enum where at, int v6only, bool listening,
		   uint16_t *port)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(at == LOOP ? INADDR_LOOPBACK : INADDR_ANY);
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = at == LOOP ? in6addr_loopback : in6addr_any;
		sl = sizeof(*in6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
			goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	if (listening && listen(fd, 4) < 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		goto fail;
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
fail:
	close(fd);
	return -1;
}

static int owns(uint32_t uid, const char *netid, uint16_t port)
{
	return rb_sockdiag_owns_port(uid, netid, port);
}

/* Can this port be bound on netid's protocol and family (without
 * SO_REUSEADDR), i.e. does no other socket of the host hold it there? The
 * "another protocol or family" cases check 0 only then: a socket of some
 * other root process may hold the same number by chance. */
static bool unheld(const char *netid, uint16_t port)
{
	bool v6 = netid[3] == '6';
	int fd = socket(v6 ? AF_INET6 : AF_INET,
			(netid[0] == 't' ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	int one = 1, r;
	if (v6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
		r = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0 &&
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
		r = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	}
	close(fd);
	return r;
}

/* owns(...) must be 0, where the port is free on that netid otherwise. */
#define CHECK_NOT_ON(uid, netid, port) CHECK(!unheld(netid, port) ? true : owns(uid, netid, port) == 0)

static bool have_v6(void)
{
	uint16_t p;
	int fd = sock_on(AF_INET6, SOCK_DGRAM, LOOP, 1, false, &p);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Sockets of this process's own uid. */
static void test_own(bool v6)
{
	uint32_t me = (uint32_t)getuid(), other = me == OTHER_UID ? 1u : OTHER_UID;
	uint16_t p;

	/* TCP: listening counts, for "tcp" only; bound without listen()
	 * does not (a client's socket, or a service not ready). */
	int t = sock_on(AF_INET, SOCK_STREAM, ANY, 0, true, &p);
	CHECK(t >= 0);
	CHECK_EQ_U(owns(me, "tcp", p), 1);
	CHECK_NOT_ON(me, "tcp6", p);
	CHECK_EQ_U(owns(other, "tcp", p), 0);
	CHECK_NOT_ON(me, "udp", p);
	close(t);
	CHECK_EQ_U(owns(me, "tcp", p), 0); /* gone */

	t = sock_on(AF_INET, SOCK_STREAM, LOOP, 0, false, &p);
	CHECK(t >= 0);
	CHECK_EQ_U(owns(me, "tcp", p), 0);
	CHECK(listen(t, 4) == 0);
	CHECK_EQ_U(owns(me, "tcp", p), 1); /* a specific address counts too */
	close(t);

	/* UDP: bound counts, connected or not. */
	uint16_t pu;
	int u = sock_on(AF_INET, SOCK_DGRAM, LOOP, 0, false, &pu);
	CHECK(u >= 0);
	CHECK_EQ_U(owns(me, "udp", pu), 1);
	CHECK_NOT_ON(me, "udp6", pu);
	CHECK_NOT_ON(me, "tcp", pu);
	CHECK_EQ_U(owns(other, "udp", pu), 0);
	int c = sock_on(AF_INET, SOCK_DGRAM, LOOP, 0, false, &p);
	CHECK(c >= 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(pu),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK(connect(c, (struct sockaddr *)&to, sizeof(to)) == 0);
	CHECK_EQ_U(owns(me, "udp", p), 1);
	close(c);
	close(u);
	CHECK_EQ_U(owns(me, "udp", pu), 0);

	/* Netids that are not TCP or UDP: cannot tell. */
	CHECK(owns(me, "local", 4000) == -EPROTONOSUPPORT);
	CHECK(owns(me, "sctp", 4000) == -EPROTONOSUPPORT);
	CHECK(owns(me, "tcp7", 4000) == -EPROTONOSUPPORT);
	CHECK(owns(me, NULL, 4000) == -EINVAL);

	if (!v6) {
		printf("SKIP: IPv6 cases (no IPv6 here)\n");
		return;
	}
	/* IPv6 only: counts for tcp6, not for tcp. */
	t = sock_on(AF_INET6, SOCK_STREAM, ANY, 1, true, &p);
	CHECK(t >= 0);
	CHECK_EQ_U(owns(me, "tcp6", p), 1);
	CHECK_NOT_ON(me, "tcp", p);
	CHECK_EQ_U(owns(other, "tcp6", p), 0);
	close(t);
	/* Dual-stack [::]: counts for both. */
	t = sock_on(AF_INET6, SOCK_STREAM, ANY, 0, true, &p);
	CHECK(t >= 0);
	CHECK_EQ_U(owns(me, "tcp6", p), 1);
	CHECK_EQ_U(owns(me, "tcp", p), 1);
	CHECK_EQ_U(owns(other, "tcp", p), 0);
	close(t);
	/* [::1] takes no IPv4, V6ONLY or not. */
	t = sock_on(AF_INET6, SOCK_STREAM, LOOP, 0, true, &p);
	CHECK(t >= 0);
	CHECK_EQ_U(owns(me, "tcp6", p), 1);
	CHECK_NOT_ON(me, "tcp", p);
	close(t);

	u = sock_on(AF_INET6, SOCK_DGRAM, LOOP, 1, false, &p);
	CHECK(u >= 0);
	CHECK_EQ_U(owns(me, "udp6", p), 1);
	CHECK_NOT_ON(me, "udp", p);
	close(u);
	u = sock_on(AF_INET6, SOCK_DGRAM, ANY, 0, false, &p);
	CHECK(u >= 0);
	CHECK_EQ_U(owns(me, "udp6", p), 1);
	CHECK_EQ_U(owns(me, "udp", p), 1);
	CHECK_EQ_U(owns(other, "udp6", p), 0);
	close(u);
}

/* Many sockets on other ports do not disturb the answer (the kernel
 * filters by port; the message cap is far away). */
static void test_crowd(void)
{
	enum { N = 300 };
	int fds[N];
	uint16_t p, q;
	for (int i = 0; i < N; i++)
		fds[i] = sock_on(AF_INET, SOCK_DGRAM, LOOP, 0, false, &q);
	int u = sock_on(AF_INET, SOCK_DGRAM, LOOP, 0, false, &p);
	CHECK(u >= 0);
	CHECK_EQ_U(owns((uint32_t)getuid(), "udp", p), 1);
	close(u);
	CHECK_EQ_U(owns((uint32_t)getuid(), "udp", p), 0);
	for (int i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The ports the child holds as OTHER_UID. */
struct child_ports {
	uint16_t tcp, udp, tcp6, udp6;
	int ok;
};

static void child(int report, int hold, bool v6)
{
	struct child_ports cp = { 0 };
	gid_t g = OTHER_UID;
	int fds[4] = { -1, -1, -1, -1 };
	if (setgroups(1, &g) == 0 && setresgid(g, g, g) == 0 &&
	    setresuid(OTHER_UID, OTHER_UID, OTHER_UID) == 0) {
		fds[0] = sock_on(AF_INET, SOCK_STREAM, ANY, 0, true, &cp.tcp);
		fds[1] = sock_on(AF_INET, SOCK_DGRAM, ANY, 0, false, &cp.udp);
		if (v6) {
			fds[2] = sock_on(AF_INET6, SOCK_STREAM, ANY, 1, true, &cp.tcp6);
			fds[3] = sock_on(AF_INET6, SOCK_DGRAM, ANY, 1, false, &cp.udp6);
		}
		cp.ok = fds[0] >= 0 && fds[1] >= 0 && (!v6 || (fds[2] >= 0 && fds[3] >= 0));
	}
	if (write(report, &cp, sizeof(cp)) != (ssize_t)sizeof(cp))
		_exit(1);
	/* Hold the sockets until the parent has asked (it closes hold). */
	char b;
	while (read(hold, &b, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static void test_other_uid(bool v6)
{
	if (getuid() != 0) {
		printf("SKIP: sockets of another uid (needs root)\n");
		return;
	}
	int rep[2], hold[2];
	CHECK(pipe(rep) == 0 && pipe(hold) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(rep[0]);
		close(hold[1]);
		child(rep[1], hold[0], v6);
	}
	close(rep[1]);
	close(hold[0]);
	struct child_ports cp;
	memset(&cp, 0, sizeof(cp));
	ssize_t n = read(rep[0], &cp, sizeof(cp));
	CHECK(n == (ssize_t)sizeof(cp) && cp.ok);
	if (n == (ssize_t)sizeof(cp) && cp.ok) {
		CHECK_EQ_U(owns(OTHER_UID, "tcp", cp.tcp), 1);
		CHECK_EQ_U(owns(0, "tcp", cp.tcp), 0);
		CHECK_EQ_U(owns(OTHER_UID, "udp", cp.udp), 1);
		CHECK_EQ_U(owns(0, "udp", cp.udp), 0);
		CHECK_EQ_U(owns(1234, "udp", cp.udp), 0);
		if (v6) {
			CHECK_EQ_U(owns(OTHER_UID, "tcp6", cp.tcp6), 1);
			CHECK_EQ_U(owns(OTHER_UID, "tcp", cp.tcp6), 0); /* V6ONLY */
			CHECK_EQ_U(owns(0, "tcp6", cp.tcp6), 0);
			CHECK_EQ_U(owns(OTHER_UID, "udp6", cp.udp6), 1);
			CHECK_EQ_U(owns(0, "udp6", cp.udp6), 0);
		}
	}
	/* Root's sockets are not the other uid's. */
	uint16_t p;
	int t = sock_on(AF_INET, SOCK_STREAM, ANY, 0, true, &p);
	CHECK(t >= 0);
	CHECK_EQ_U(owns(OTHER_UID, "tcp", p), 0);
	CHECK_EQ_U(owns(0, "tcp", p), 1);
	close(t);

	close(hold[1]);
	close(rep[0]);
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Its sockets are gone with it. */
	if (n == (ssize_t)sizeof(cp) && cp.ok)
		CHECK_EQ_U(owns(OTHER_UID, "tcp", cp.tcp), 0);
}

int main(void)
{
	/* sock_diag may be missing (a sandbox, a kernel without inet_diag):
	 * then there is nothing to test here. */
	uint16_t p;
	int t = sock_on(AF_INET, SOCK_STREAM, LOOP, 0, true, &p);
	if (t < 0) {
		perror("socket");
		return 1;
	}
	int r = owns((uint32_t)getuid(), "tcp", p);
	close(t);
	if (r < 0) {
		printf("SKIP: sock_diag unavailable: %s\n", strerror(-r));
		return 77;
	}
	bool v6 = have_v6();
	test_own(v6);
	test_crowd();
	test_other_uid(v6);
	printf("%u checks, %u failed\n", rb_check.checks, rb_check.failures);
	return rb_check.failures ? 1 : 0;
}
