/* rb_e2e_rpcb_client: libtirpc's own client calls (the ones services and
 * tools really use) against the port mapper on 127.0.0.1 / ::1 / the local
 * socket. Must run as root in the test's namespaces. Prints one PASS or
 * FAIL line per check; the exit status is the number of failures (capped).
 *
 * Covers pmap_set/getport/getmaps/unset, rpcb_set/unset over the local
 * socket (as root and, in a child, as uid 65534), SET/UNSET over loopback
 * from an unprivileged port (owner "unknown") and from a reserved one
 * ("superuser"), rpcb_getaddr, rpcb_getmaps, rpcb_gettime,
 * rpcb_taddr2uaddr / rpcb_uaddr2taddr, libtirpc's fallback to loopback
 * when there is no local socket, and AUTH_SYS calls. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include <rpc/pmap_clnt.h>
#include <rpc/pmap_prot.h>
#include <rpc/rpcb_clnt.h>
#include <rpc/rpcb_prot.h>

#include "rpcwire.h"
#include "verdict.h"

#define PA 0x20000201u /* pmap_* */
#define PB 0x20000202u /* rpcb_* as root over the local socket */
#define PC 0x20000203u /* loopback callers */
#define PD 0x20000204u /* a non-root local caller */
#define PE 0x20000205u /* never registered */
#define PF 0x20000206u /* libtirpc without the local socket */

static int failures;

__attribute__((format(printf, 2, 3))) static void check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failures += vd_vcheck(ok, fmt, ap);
	va_end(ap);
}

/* The end of a forked child: its failures are its exit status. */
static void child_exit(void)
{
	fflush(stdout);
	_exit(failures > 100 ? 100 : failures);
}

/* Waits for the child (what: its name) and counts its failures. */
static void child_wait(pid_t pid, const char *what)
{
	int st = 0;
	check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st), "%s child ran", what);
	if (WIFEXITED(st))
		failures += WEXITSTATUS(st);
}

static struct netconfig *nconf(const char *netid)
{
	struct netconfig *n = getnetconfigent(netid);
	if (!n) {
		printf("FAIL: no netconfig entry for %s\n", netid);
		exit(100);
	}
	return n;
}

static const struct timeval tmo = {3, 0};

/* xdr_void with the xdrproc_t signature (no function-type cast needed). */
static bool_t xdr_nothing(XDR *xdrs, ...)
{
	(void)xdrs;
	return TRUE;
}

/* uaddr2taddr needs a writable string. */
static struct netbuf *taddr(struct netconfig *nc, const char *uaddr)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", uaddr);
	struct netbuf *nb = uaddr2taddr(nc, buf);
	if (!nb) {
		printf("FAIL: uaddr2taddr(%s, %s)\n", nc->nc_netid, uaddr);
		exit(100);
	}
	return nb;
}

static void free_netbuf(struct netbuf *nb)
{
	if (nb) {
		free(nb->buf);
		free(nb);
	}
}

/* Registration (prog, vers, netid) in a v3 DUMP: its uaddr and owner, or NULL. */
static int dump_find(rpcblist *l, unsigned prog, unsigned vers, const char *netid,
		     char *uaddr, size_t ucap, char *owner, size_t ocap)
{
	for (; l; l = l->rpcb_next) {
		const rpcb *m = &l->rpcb_map;
		if (m->r_prog == prog && m->r_vers == vers && m->r_netid &&
		    strcmp(m->r_netid, netid) == 0) {
			snprintf(uaddr, ucap, "%s", m->r_addr ? m->r_addr : "(null)");
			snprintf(owner, ocap, "%s", m->r_owner ? m->r_owner : "(null)");
			return 1;
		}
	}
	return 0;
}

/* v3 DUMP through rpcb_getmaps (over udp to 127.0.0.1). */
static rpcblist *dump(void)
{
	struct netconfig *nc = nconf("udp");
	rpcblist *l = rpcb_getmaps(nc, "127.0.0.1");
	freenetconfigent(nc);
	if (!l)
		check(0, "rpcb_getmaps returned nothing: %s", clnt_spcreateerror("rpcb_getmaps"));
	return l;
}

static void free_dump(rpcblist *l)
{
	if (l)
		xdr_free((xdrproc_t)xdr_rpcblist_ptr, (char *)&l);
}

static void expect_entry(unsigned prog, unsigned vers, const char *netid, const char *uaddr,
			 const char *owner, const char *what)
{
	char ua[256], ow[256];
	rpcblist *l = dump();
	int found = dump_find(l, prog, vers, netid, ua, sizeof(ua), ow, sizeof(ow));
	if (!uaddr) {
		check(!found, "%s: (%#x, %u, %s) is not registered", what, prog, vers, netid);
	} else {
		check(found && strcmp(ua, uaddr) == 0 && strcmp(ow, owner) == 0,
		      "%s: DUMP has (%#x, %u, %s, %s, %s) [got %s]", what, prog, vers, netid, uaddr,
		      owner, found ? ua : "nothing");
		if (found && strcmp(ow, owner) != 0)
			printf("  .. owner is '%s', expected '%s'\n", ow, owner);
	}
	free_dump(l);
}

static int pmaplist_has(struct pmaplist *l, unsigned prog, unsigned vers, unsigned prot,
			unsigned port)
{
	for (; l; l = l->pml_next)
		if (l->pml_map.pm_prog == prog && l->pml_map.pm_vers == vers &&
		    l->pml_map.pm_prot == prot && l->pml_map.pm_port == port)
			return 1;
	return 0;
}

static void test_pmap(void)
{
	struct sockaddr_in a = rw_lo4(111);
	check(pmap_set(PA, 1, IPPROTO_UDP, 3001), "pmap_set(PA, 1, udp, 3001)");
	check(pmap_set(PA, 1, IPPROTO_TCP, 3002), "pmap_set(PA, 1, tcp, 3002)");
	check(pmap_set(PA, 1, IPPROTO_UDP, 3001), "pmap_set again, same port: TRUE");
	check(!pmap_set(PA, 1, IPPROTO_UDP, 3003), "pmap_set with another port: FALSE");
	a = rw_lo4(111);
	unsigned short p = pmap_getport(&a, PA, 1, IPPROTO_UDP);
	check(p == 3001, "pmap_getport(PA, 1, udp) = %u, expected 3001", p);
	a = rw_lo4(111);
	p = pmap_getport(&a, PA, 1, IPPROTO_TCP);
	check(p == 3002, "pmap_getport(PA, 1, tcp) = %u, expected 3002", p);
	a = rw_lo4(111);
	p = pmap_getport(&a, PMAPPROG, PMAPVERS, IPPROTO_UDP);
	check(p == 111, "pmap_getport(100000, 2, udp) = %u, expected 111", p);
	a = rw_lo4(111);
	p = pmap_getport(&a, PE, 1, IPPROTO_UDP);
	check(p == 0, "pmap_getport(unregistered) = %u, expected 0", p);

	a = rw_lo4(111);
	struct pmaplist *l = pmap_getmaps(&a);
	check(l != NULL, "pmap_getmaps returned a list");
	check(pmaplist_has(l, PA, 1, IPPROTO_UDP, 3001), "pmap_getmaps has (PA, 1, udp, 3001)");
	check(pmaplist_has(l, PA, 1, IPPROTO_TCP, 3002), "pmap_getmaps has (PA, 1, tcp, 3002)");
	check(pmaplist_has(l, PMAPPROG, 2, IPPROTO_UDP, 111) &&
		      pmaplist_has(l, PMAPPROG, 2, IPPROTO_TCP, 111),
	      "pmap_getmaps has 100000 v2 udp and tcp on 111");
	if (l)
		xdr_free((xdrproc_t)xdr_pmaplist_ptr, (char *)&l);

	expect_entry(PA, 1, "udp", "0.0.0.0.11.185", "superuser", "pmap_set as root");
	check(pmap_unset(PA, 1), "pmap_unset(PA, 1)");
	a = rw_lo4(111);
	p = pmap_getport(&a, PA, 1, IPPROTO_UDP);
	check(p == 0, "pmap_getport after pmap_unset = %u, expected 0", p);
	a = rw_lo4(111);
	p = pmap_getport(&a, PA, 1, IPPROTO_TCP);
	check(p == 0, "pmap_getport(tcp) after pmap_unset = %u, expected 0", p);
	check(pmap_unset(PA, 1), "pmap_unset of nothing: TRUE");
}

static void expect_sin(const struct netbuf *nb, const char *addr, unsigned port, const char *what)
{
	struct sockaddr_in want = rw_lo4(port);
	inet_pton(AF_INET, addr, &want.sin_addr);
	const struct sockaddr_in *got = nb->buf;
	check(nb->len >= sizeof(struct sockaddr_in) && got->sin_family == AF_INET &&
		      got->sin_port == want.sin_port && got->sin_addr.s_addr == want.sin_addr.s_addr,
	      "%s: %s port %u", what, addr, port);
}

static void expect_sin6(const struct netbuf *nb, const char *addr, unsigned port, const char *what)
{
	struct in6_addr w;
	inet_pton(AF_INET6, addr, &w);
	const struct sockaddr_in6 *got = nb->buf;
	check(nb->len >= sizeof(struct sockaddr_in6) && got->sin6_family == AF_INET6 &&
		      got->sin6_port == htons((uint16_t)port) &&
		      memcmp(&got->sin6_addr, &w, sizeof(w)) == 0,
	      "%s: [%s] port %u", what, addr, port);
}

static void test_rpcb_local(void)
{
	struct netconfig *udp = nconf("udp"), *tcp = nconf("tcp"), *udp6 = nconf("udp6");
	struct netbuf *nb;
	struct sockaddr_storage addrbuf;
	struct netbuf out = {.maxlen = sizeof(addrbuf), .len = 0, .buf = &addrbuf};

	nb = taddr(udp, "0.0.0.0.12.1");
	check(rpcb_set(PB, 1, udp, nb), "rpcb_set(PB, 1, udp, 0.0.0.0.12.1) over the local socket");
	check(rpcb_set(PB, 1, udp, nb), "rpcb_set again, same address: TRUE");
	free_netbuf(nb);
	nb = taddr(udp, "0.0.0.0.12.9");
	check(!rpcb_set(PB, 1, udp, nb), "rpcb_set with another address: FALSE");
	free_netbuf(nb);
	nb = taddr(tcp, "0.0.0.0.12.2");
	check(rpcb_set(PB, 1, tcp, nb), "rpcb_set(PB, 1, tcp, 0.0.0.0.12.2)");
	free_netbuf(nb);
	nb = taddr(udp6, "::.12.3");
	check(rpcb_set(PB, 1, udp6, nb), "rpcb_set(PB, 1, udp6, ::.12.3)");
	free_netbuf(nb);

	expect_entry(PB, 1, "udp", "0.0.0.0.12.1", "superuser", "rpcb_set as root");
	expect_entry(PB, 1, "tcp", "0.0.0.0.12.2", "superuser", "rpcb_set as root");
	expect_entry(PB, 1, "udp6", "::.12.3", "superuser", "rpcb_set as root");

	check(rpcb_getaddr(PB, 1, udp, &out, "127.0.0.1"), "rpcb_getaddr(PB, 1, udp)");
	expect_sin(&out, "127.0.0.1", 12 * 256 + 1, "rpcb_getaddr udp merged with the arrival address");
	out.len = 0;
	check(rpcb_getaddr(PB, 1, tcp, &out, "127.0.0.1"), "rpcb_getaddr(PB, 1, tcp)");
	expect_sin(&out, "127.0.0.1", 12 * 256 + 2, "rpcb_getaddr tcp");
	out.len = 0;
	check(rpcb_getaddr(PB, 1, udp6, &out, "::1"), "rpcb_getaddr(PB, 1, udp6) at ::1");
	expect_sin6(&out, "::1", 12 * 256 + 3, "rpcb_getaddr udp6 merged");
	out.len = 0;
	check(rpcb_getaddr(PB, 7, udp, &out, "127.0.0.1"),
	      "rpcb_getaddr(PB, 7, udp): another version's address (as rpcbind)");
	out.len = 0;
	rpc_createerr.cf_stat = RPC_SUCCESS;
	int ok = rpcb_getaddr(PE, 1, udp, &out, "127.0.0.1");
	check(!ok && rpc_createerr.cf_stat == RPC_PROGNOTREGISTERED,
	      "rpcb_getaddr(unregistered): FALSE, RPC_PROGNOTREGISTERED (got %d, %s)", ok,
	      clnt_sperrno(rpc_createerr.cf_stat));

	check(rpcb_unset(PB, 1, udp), "rpcb_unset(PB, 1, udp)");
	expect_entry(PB, 1, "udp", NULL, NULL, "after rpcb_unset udp");
	expect_entry(PB, 1, "tcp", "0.0.0.0.12.2", "superuser", "after rpcb_unset udp, tcp stays");
	check(rpcb_unset(PB, 1, NULL), "rpcb_unset(PB, 1, all netids)");
	expect_entry(PB, 1, "tcp", NULL, NULL, "after rpcb_unset of all");
	expect_entry(PB, 1, "udp6", NULL, NULL, "after rpcb_unset of all");
	check(rpcb_unset(PB, 1, NULL), "rpcb_unset of nothing: TRUE");

	freenetconfigent(udp);
	freenetconfigent(tcp);
	freenetconfigent(udp6);
}

/* A client to 127.0.0.1:111 whose socket we bound: from an unprivileged
 * (ephemeral) port, or from a reserved one. */
static CLIENT *loop_client(int stream, unsigned vers, int reserved)
{
	int fd = socket(AF_INET, stream ? SOCK_STREAM : SOCK_DGRAM, 0);
	struct sockaddr_in me = rw_lo4(0), srv = rw_lo4(111);
	socklen_t len = sizeof(me);
	if (fd < 0)
		return NULL;
	if (reserved) {
		if (bindresvport(fd, &me) < 0) {
			close(fd);
			return NULL;
		}
	} else if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		close(fd);
		return NULL;
	}
	getsockname(fd, (struct sockaddr *)&me, &len);
	unsigned port = ntohs(me.sin_port);
	if ((reserved && port >= 1024) || (!reserved && port < 1024)) {
		printf("FAIL: source port %u is not what the test needs\n", port);
		close(fd);
		return NULL;
	}
	CLIENT *c = stream ? clnttcp_create(&srv, RPCBPROG, vers, &fd, 0, 0)
			   : clntudp_create(&srv, RPCBPROG, vers, tmo, &fd);
	if (!c) {
		printf("FAIL: %s\n", clnt_spcreateerror("loopback client"));
		close(fd);
		return NULL;
	}
	clnt_control(c, CLSET_FD_CLOSE, NULL);
	return c;
}

static int call_rpcb(CLIENT *c, unsigned proc, unsigned prog, unsigned vers, const char *netid,
		     const char *uaddr, bool_t *res)
{
	char n[64], u[64], o[] = "superuser"; /* the owner sent is ignored by servers */
	snprintf(n, sizeof(n), "%s", netid);
	snprintf(u, sizeof(u), "%s", uaddr);
	RPCB r = {.r_prog = prog, .r_vers = vers, .r_netid = n, .r_addr = u, .r_owner = o};
	*res = FALSE;
	return clnt_call(c, proc, (xdrproc_t)xdr_rpcb, (char *)&r, (xdrproc_t)xdr_bool,
			 (char *)res, tmo) == RPC_SUCCESS;
}

static void test_loopback(void)
{
	bool_t res;
	CLIENT *c;

	c = loop_client(0, RPCBVERS, 0);
	check(c != NULL, "udp client from an unprivileged port");
	if (c) {
		check(call_rpcb(c, RPCBPROC_SET, PC, 1, "udp", "0.0.0.0.13.1", &res) && res,
		      "v3 SET over udp from an unprivileged loopback port: TRUE");
		clnt_destroy(c);
	}
	expect_entry(PC, 1, "udp", "0.0.0.0.13.1", "unknown", "unprivileged loopback SET");

	c = loop_client(1, PMAPVERS, 0);
	check(c != NULL, "tcp client from an unprivileged port");
	if (c) {
		struct pmap m = {.pm_prog = PC, .pm_vers = 2, .pm_prot = IPPROTO_UDP, .pm_port = 3330};
		res = FALSE;
		check(clnt_call(c, PMAPPROC_SET, (xdrproc_t)xdr_pmap, (char *)&m,
				(xdrproc_t)xdr_bool, (char *)&res, tmo) == RPC_SUCCESS &&
			      res,
		      "PMAP SET over tcp from an unprivileged loopback port: TRUE");
		clnt_destroy(c);
	}
	expect_entry(PC, 2, "udp", "0.0.0.0.13.2", "unknown", "unprivileged PMAP SET");

	struct netconfig *udp = nconf("udp");
	struct netbuf *nb = taddr(udp, "0.0.0.0.13.3");
	check(rpcb_set(PC, 3, udp, nb), "rpcb_set(PC, 3, udp) as root (local socket)");
	free_netbuf(nb);
	c = loop_client(0, RPCBVERS, 0);
	if (c) {
		check(call_rpcb(c, RPCBPROC_UNSET, PC, 3, "udp", "", &res) && !res,
		      "v3 UNSET of a superuser entry from an unprivileged port: FALSE");
		clnt_destroy(c);
	}
	expect_entry(PC, 3, "udp", "0.0.0.0.13.3", "superuser", "superuser entry survives");

	c = loop_client(0, RPCBVERS4, 1);
	check(c != NULL, "udp client from a reserved port");
	if (c) {
		check(call_rpcb(c, RPCBPROC_SET, PC, 4, "udp", "0.0.0.0.13.4", &res) && res,
		      "v4 SET over udp from a reserved loopback port: TRUE");
		check(call_rpcb(c, RPCBPROC_UNSET, PC, 1, "udp", "", &res) && res,
		      "v4 UNSET of an 'unknown' entry from a reserved port: TRUE");
		clnt_destroy(c);
	}
	expect_entry(PC, 4, "udp", "0.0.0.0.13.4", "superuser", "reserved-port SET");
	expect_entry(PC, 1, "udp", NULL, NULL, "after superuser UNSET");
	check(rpcb_unset(PC, 2, NULL) && rpcb_unset(PC, 3, NULL) && rpcb_unset(PC, 4, NULL),
	      "root cleans up PC");
	freenetconfigent(udp);
}

static void test_nonroot_local(void)
{
	struct netconfig *udp = nconf("udp");
	struct netbuf *nb = taddr(udp, "0.0.0.0.14.2");
	check(rpcb_set(PD, 2, udp, nb), "rpcb_set(PD, 2, udp) as root");
	free_netbuf(nb);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		failures = 0;
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			printf("FAIL: setuid(65534)\n");
			_exit(1);
		}
		struct netbuf *b = taddr(udp, "0.0.0.0.14.1");
		check(rpcb_set(PD, 1, udp, b), "uid 65534: rpcb_set(PD, 1, udp) over the local socket");
		free_netbuf(b);
		check(!rpcb_unset(PD, 2, udp), "uid 65534: rpcb_unset of a superuser entry: FALSE");
		check(!rpcb_unset(PD, 2, NULL),
		      "uid 65534: rpcb_unset(all netids) of a superuser entry: FALSE");
		b = taddr(udp, "0.0.0.0.14.3");
		check(rpcb_set(PD, 3, udp, b), "uid 65534: rpcb_set(PD, 3, udp)");
		free_netbuf(b);
		check(rpcb_unset(PD, 3, udp), "uid 65534: rpcb_unset of its own entry: TRUE");
		child_exit();
	}
	child_wait(pid, "non-root");
	expect_entry(PD, 1, "udp", "0.0.0.0.14.1", "65534", "registered by uid 65534");
	expect_entry(PD, 2, "udp", "0.0.0.0.14.2", "superuser", "superuser entry kept");
	expect_entry(PD, 3, "udp", NULL, NULL, "uid 65534 removed its own");
	check(rpcb_unset(PD, 1, NULL), "root rpcb_unset of uid 65534's entry: TRUE");
	expect_entry(PD, 1, "udp", NULL, NULL, "after root's unset");
	check(rpcb_unset(PD, 2, NULL), "root cleans up PD");
	freenetconfigent(udp);
}

/* A client for 100000/vers to host over netid, with AUTH_SYS. */
static CLIENT *ip_client(const char *host, const char *netid, unsigned vers)
{
	struct netconfig *nc = nconf(netid);
	CLIENT *c = clnt_tp_create(host, RPCBPROG, vers, nc);
	freenetconfigent(nc);
	if (!c) {
		check(0, "clnt_tp_create(%s, 100000, %u, %s): %s", host, vers, netid,
		      clnt_spcreateerror(""));
		return NULL;
	}
	auth_destroy(c->cl_auth);
	c->cl_auth = authunix_create_default();
	return c;
}

/* TADDR2UADDR and UADDR2TADDR over an IP transport: the address family is
 * the transport's (as rpcbind). */
static void conversions(const char *host, const char *netid, struct netbuf *in,
			const char *want_uaddr, const char *uaddr_in)
{
	CLIENT *c = ip_client(host, netid, RPCBVERS);
	if (!c)
		return;
	char *u = NULL;
	enum clnt_stat s = clnt_call(c, RPCBPROC_TADDR2UADDR, (xdrproc_t)xdr_netbuf, (char *)in,
				     (xdrproc_t)xdr_wrapstring, (char *)&u, tmo);
	check(s == RPC_SUCCESS && u && strcmp(u, want_uaddr) == 0,
	      "TADDR2UADDR over %s: '%s', expected '%s'", netid, u ? u : "(null)", want_uaddr);
	if (u)
		xdr_free((xdrproc_t)xdr_wrapstring, (char *)&u);
	char ubuf[64];
	char *up = ubuf;
	struct netbuf out;
	memset(&out, 0, sizeof(out));
	snprintf(ubuf, sizeof(ubuf), "%s", uaddr_in);
	s = clnt_call(c, RPCBPROC_UADDR2TADDR, (xdrproc_t)xdr_wrapstring, (char *)&up,
		      (xdrproc_t)xdr_netbuf, (char *)&out, tmo);
	check(s == RPC_SUCCESS, "UADDR2TADDR over %s: %s", netid, clnt_sperrno(s));
	if (s == RPC_SUCCESS) {
		if (netid[3] == '6')
			expect_sin6(&out, "fe80::1", 111, "UADDR2TADDR(fe80::1.0.111) over udp6");
		else
			expect_sin(&out, "127.0.0.1", 515, "UADDR2TADDR(127.0.0.1.2.3) over udp");
		xdr_free((xdrproc_t)xdr_netbuf, (char *)&out);
	}
	auth_destroy(c->cl_auth);
	clnt_destroy(c);
}

static void test_misc(void)
{
	time_t t = 0, now = time(NULL);
	check(rpcb_gettime("127.0.0.1", &t), "rpcb_gettime");
	check(t >= now - 5 && t <= now + 5, "rpcb_gettime: %lld, local clock %lld", (long long)t,
	      (long long)now);

	struct sockaddr_in sin = rw_lo4(111);
	struct netbuf nb = {.maxlen = sizeof(sin), .len = sizeof(sin), .buf = &sin};
	conversions("127.0.0.1", "udp", &nb, "127.0.0.1.0.111", "127.0.0.1.2.3");
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(2049);
	sin6.sin6_addr = in6addr_loopback;
	struct netbuf nb6 = {.maxlen = sizeof(sin6), .len = sizeof(sin6), .buf = &sin6};
	conversions("::1", "udp6", &nb6, "::1.8.1", "fe80::1.0.111");

	/* AUTH_SYS credentials on real clients, every version and transport */
	const char *nets[] = {"udp", "tcp", "udp6", "tcp6"};
	for (unsigned v = 2; v <= 4; v++) {
		for (size_t i = 0; i < 4; i++) {
			const char *host = nets[i][3] == '6' ? "::1" : "127.0.0.1";
			CLIENT *c = ip_client(host, nets[i], v);
			if (!c)
				continue;
			enum clnt_stat s = clnt_call(c, NULLPROC, xdr_nothing, NULL, xdr_nothing,
						     NULL, tmo);
			check(s == RPC_SUCCESS, "NULL v%u over %s with AUTH_SYS: %s", v, nets[i],
			      clnt_sperrno(s));
			auth_destroy(c->cl_auth);
			clnt_destroy(c);
		}
	}
}

/* Without the local socket (a child with its own mount namespace and an
 * empty /run) libtirpc's rpcb_* fall back to loopback IP: from a reserved
 * port as root ("superuser"), from an unprivileged one as uid 65534
 * ("unknown"); rpcb_taddr2uaddr and rpcb_uaddr2taddr then convert inet
 * addresses. */
static void test_no_local_socket(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		failures = 0;
		if (unshare(CLONE_NEWNS) || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755")) {
			printf("FAIL: no-local-socket child: cannot hide /run: %s\n", strerror(errno));
			_exit(1);
		}
		struct netconfig *udp = nconf("udp");
		struct netbuf *b = taddr(udp, "0.0.0.0.15.1");
		check(rpcb_set(PF, 1, udp, b), "no local socket: root rpcb_set(PF, 1, udp) over loopback");
		free_netbuf(b);

		/* libtirpc picks the loopback transport itself (tcp6 in 1.3.3)
		 * and the server reads addresses in that transport's family:
		 * exactly one of the two conversions must work. */
		struct sockaddr_in sin = rw_lo4(111);
		struct netbuf nb = {.maxlen = sizeof(sin), .len = sizeof(sin), .buf = &sin};
		struct sockaddr_in6 sin6;
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(2049);
		sin6.sin6_addr = in6addr_loopback;
		struct netbuf nb6 = {.maxlen = sizeof(sin6), .len = sizeof(sin6), .buf = &sin6};
		char *u4 = rpcb_taddr2uaddr(udp, &nb), *u6 = rpcb_taddr2uaddr(udp, &nb6);
		int v4 = u4 && strcmp(u4, "127.0.0.1.0.111") == 0 && u6 && !*u6;
		int v6 = u6 && strcmp(u6, "::1.8.1") == 0 && u4 && !*u4;
		check(v4 || v6, "no local socket: rpcb_taddr2uaddr: '%s' and '%s' (one of them right)",
		      u4 ? u4 : "(null)", u6 ? u6 : "(null)");
		free(u4);
		free(u6);
		char ua4[] = "127.0.0.1.2.3", ua6[] = "::1.2.3";
		struct netbuf *r = rpcb_uaddr2taddr(udp, v6 ? ua6 : ua4);
		check(r != NULL, "no local socket: rpcb_uaddr2taddr(%s)", v6 ? ua6 : ua4);
		if (r && v6)
			expect_sin6(r, "::1", 515, "no local socket: rpcb_uaddr2taddr");
		else if (r)
			expect_sin(r, "127.0.0.1", 515, "no local socket: rpcb_uaddr2taddr");
		free_netbuf(r);
		char bad[] = "not-an-address";
		r = rpcb_uaddr2taddr(udp, bad);
		check(r == NULL || r->len == 0, "no local socket: rpcb_uaddr2taddr(garbage): no address");
		free_netbuf(r);

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			printf("FAIL: setuid(65534)\n");
			_exit(1);
		}
		b = taddr(udp, "0.0.0.0.15.2");
		check(rpcb_set(PF, 2, udp, b),
		      "no local socket: uid 65534 rpcb_set(PF, 2, udp) over loopback");
		free_netbuf(b);
		check(!rpcb_unset(PF, 1, udp),
		      "no local socket: uid 65534 rpcb_unset of a superuser entry: FALSE");
		freenetconfigent(udp);
		child_exit();
	}
	child_wait(pid, "no-local-socket");
	expect_entry(PF, 1, "udp", "0.0.0.0.15.1", "superuser", "loopback SET from a reserved port");
	expect_entry(PF, 2, "udp", "0.0.0.0.15.2", "unknown", "loopback SET by uid 65534");
	check(rpcb_unset(PF, 1, NULL) && rpcb_unset(PF, 2, NULL), "root cleans up PF");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("SKIP: rb_e2e_rpcb_client must run as root\n");
		return 77;
	}
	test_pmap();
	test_rpcb_local();
	test_loopback();
	test_nonroot_local();
	test_misc();
	test_no_local_socket();
	printf("rpcb_client: %d failures\n", failures);
	return failures > 100 ? 100 : failures;
}
