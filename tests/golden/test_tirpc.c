/* libtirpc as an oracle: calls built with libtirpc's xdr_callmsg, xdr_pmap,
 * xdr_rpcb and xdr_netbuf go through rb_handle_call, and the replies are
 * decoded with libtirpc's xdr_replymsg and the result routines
 * (xdr_pmaplist, xdr_rpcblist_ptr, xdr_rpcb_entry_list_ptr,
 * xdr_rpcb_stat_byvers, xdr_netbuf, xdr_wrapstring, xdr_u_long, xdr_bool).
 * Our encoders (rb_put_pmap, rb_put_rpcb, rb_put_netbuf, rb_rpc_put_call,
 * rb_stats_put) are compared byte for byte with libtirpc's encoding of the
 * same values, and our decoders read libtirpc's bytes. */
#include <netconfig.h>
#include <rpc/rpc.h>
#include <rpc/pmap_prot.h>
#include <rpc/rpcb_prot.h>

#include <stdlib.h>
#include <string.h>

#include "golden_util.h"
#include "registry/procs/rpcb_xdr.h"

/* libtirpc declares xdr_void(void); void (*)(void) is the cast GCC's
 * -Wcast-function-type lets through. */
#define XDR_VOID ((xdrproc_t)(void (*)(void))xdr_void)

/* ---- building calls with libtirpc ---- */

struct tcall {
	XDR x;
	uint8_t buf[2048];
};

static void tcall_begin(struct tcall *c, uint32_t xid, u_long vers,
			u_long proc, const struct opaque_auth *cred)
{
	struct rpc_msg m;
	memset(&m, 0, sizeof(m));
	m.rm_xid = xid;
	m.rm_direction = CALL;
	m.rm_call.cb_rpcvers = RPC_MSG_VERSION;
	m.rm_call.cb_prog = RB_PROG_RPCBIND;
	m.rm_call.cb_vers = vers;
	m.rm_call.cb_proc = proc;
	m.rm_call.cb_cred = cred ? *cred : _null_auth;
	m.rm_call.cb_verf = _null_auth;
	xdrmem_create(&c->x, (char *)c->buf, sizeof(c->buf), XDR_ENCODE);
	CHECK(xdr_callmsg(&c->x, &m));
}

static enum rb_outcome tcall_run(struct gt *t, const struct rb_xport *x,
				 struct tcall *c)
{
	size_t n = xdr_getpos(&c->x);
	xdr_destroy(&c->x);
	return gt_call_raw(t, x, c->buf, n);
}

/* Decodes t->out with xdr_replymsg: accepted, SUCCESS, xid, results via
 * proc into where, and every byte consumed. */
static bool tdecode(struct gt *t, uint32_t xid, xdrproc_t proc, void *where)
{
	struct rpc_msg r;
	XDR x;
	memset(&r, 0, sizeof(r));
	r.acpted_rply.ar_verf = _null_auth;
	r.acpted_rply.ar_results.where = where;
	r.acpted_rply.ar_results.proc = proc;
	xdrmem_create(&x, (char *)t->out, (u_int)t->outlen, XDR_DECODE);
	bool ok = xdr_replymsg(&x, &r) && r.rm_xid == xid &&
		  r.rm_direction == REPLY &&
		  r.rm_reply.rp_stat == MSG_ACCEPTED &&
		  r.acpted_rply.ar_stat == SUCCESS &&
		  xdr_getpos(&x) == t->outlen;
	xdr_destroy(&x);
	return ok;
}

/* ---- the scenario ---- */

static char *dupstr(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

static int tset_pmap(struct gt *t, const struct rb_xport *x, u_long prog,
		     u_long vers, u_long prot, u_long port)
{
	struct tcall c;
	struct pmap m = { prog, vers, prot, port };
	bool_t ok = FALSE;
	tcall_begin(&c, 0x7001, 2, PMAPPROC_SET, NULL);
	CHECK(xdr_pmap(&c.x, &m));
	if (tcall_run(t, x, &c) != RB_OUT_MUTATE)
		return -1;
	if (!tdecode(t, 0x7001, (xdrproc_t)xdr_bool, &ok))
		return -1;
	return ok ? 1 : 0;
}

static int tset_rpcb(struct gt *t, const struct rb_xport *x, u_long vers,
		     u_long prog, u_long pvers, const char *netid,
		     const char *addr, const char *owner)
{
	struct tcall c;
	struct rpcb r = { prog, pvers, dupstr(netid), dupstr(addr),
			  dupstr(owner) };
	bool_t ok = FALSE;
	tcall_begin(&c, 0x7002, vers, RPCBPROC_SET, NULL);
	CHECK(xdr_rpcb(&c.x, &r));
	free(r.r_netid);
	free(r.r_addr);
	free(r.r_owner);
	if (tcall_run(t, x, &c) != RB_OUT_MUTATE)
		return -1;
	if (!tdecode(t, 0x7002, (xdrproc_t)xdr_bool, &ok))
		return -1;
	return ok ? 1 : 0;
}

static const struct {
	uint32_t prog, vers;
	const char *netid, *addr, *owner;
} want[6] = {
	{ 100003, 3, "udp", "0.0.0.0.8.1", "unknown" },
	{ 100003, 3, "tcp", "0.0.0.0.8.1", "unknown" },
	{ 100005, 1, "udp6", "::.78.80", "superuser" },
	{ 100005, 1, "udp", "0.0.0.0.78.80", "superuser" },
	{ 100021, 4, "local", "/run/lockd.sock", "superuser" },
	{ 100024, 1, "tcp", "127.0.0.1.3.4", "unknown" },
};

static void populate(struct gt *t)
{
	struct rb_xport lo = gx_udp_lo(40000), l0 = gx_local(0);
	CHECK_EQ_U(tset_pmap(t, &lo, 100003, 3, IPPROTO_UDP, 2049), 1);
	CHECK_EQ_U(tset_pmap(t, &lo, 100003, 3, IPPROTO_TCP, 2049), 1);
	CHECK_EQ_U(tset_rpcb(t, &l0, 3, 100005, 1, "udp6", "::.78.80", "me"), 1);
	CHECK_EQ_U(tset_rpcb(t, &l0, 3, 100005, 1, "udp", "0.0.0.0.78.80",
			     "me"), 1);
	CHECK_EQ_U(tset_rpcb(t, &l0, 3, 100021, 4, "local", "/run/lockd.sock",
			     ""), 1);
	CHECK_EQ_U(tset_rpcb(t, &lo, 4, 100024, 1, "tcp", "127.0.0.1.3.4",
			     "root"), 1);
	CHECK_EQ_U(tset_rpcb(t, &lo, 4, 100024, 1, "tcp", "127.0.0.1.3.5",
			     ""), 0);
}

static void test_dumps(struct gt *t)
{
	struct rb_xport lo = gx_udp_lo(40000);
	struct tcall c;

	/* PMAP DUMP -> xdr_pmaplist: the udp/tcp entries, in order. */
	struct pmaplist *pl = NULL;
	tcall_begin(&c, 0x7101, 2, PMAPPROC_DUMP, NULL);
	CHECK_EQ_U(tcall_run(t, &lo, &c), RB_OUT_REPLY);
	CHECK(tdecode(t, 0x7101, (xdrproc_t)xdr_pmaplist, &pl));
	static const u_long pw[4][4] = { { 100003, 3, 17, 2049 },
					 { 100003, 3, 6, 2049 },
					 { 100005, 1, 17, 20048 },
					 { 100024, 1, 6, 772 } };
	int i = 0;
	for (struct pmaplist *p = pl; p; p = p->pml_next, i++) {
		if (i >= 4)
			continue;
		CHECK_EQ_U(p->pml_map.pm_prog, pw[i][0]);
		CHECK_EQ_U(p->pml_map.pm_vers, pw[i][1]);
		CHECK_EQ_U(p->pml_map.pm_prot, pw[i][2]);
		CHECK_EQ_U(p->pml_map.pm_port, pw[i][3]);
	}
	CHECK_EQ_U(i, 4);
	xdr_free((xdrproc_t)xdr_pmaplist, (char *)&pl);

	/* RPCB DUMP (v3 and v4) -> xdr_rpcblist_ptr: everything. */
	for (u_long v = 3; v <= 4; v++) {
		rpcblist_ptr rl = NULL;
		tcall_begin(&c, 0x7102, v, RPCBPROC_DUMP, NULL);
		CHECK_EQ_U(tcall_run(t, &lo, &c), RB_OUT_REPLY);
		CHECK(tdecode(t, 0x7102, (xdrproc_t)xdr_rpcblist_ptr, &rl));
		i = 0;
		for (rpcblist_ptr p = rl; p; p = p->rpcb_next, i++) {
			if (i >= 6)
				continue;
			CHECK_EQ_U(p->rpcb_map.r_prog, want[i].prog);
			CHECK_EQ_U(p->rpcb_map.r_vers, want[i].vers);
			CHECK_STR(p->rpcb_map.r_netid, want[i].netid);
			CHECK_STR(p->rpcb_map.r_addr, want[i].addr);
			CHECK_STR(p->rpcb_map.r_owner, want[i].owner);
		}
		CHECK_EQ_U(i, 6);
		xdr_free((xdrproc_t)xdr_rpcblist_ptr, (char *)&rl);
	}
}

static void test_lookups(struct gt *t)
{
	struct rb_xport lo = gx_udp_lo(40000), u6 = gx_udp6_lo();
	struct rb_xport tcp = gx_tcp_lo(40000);
	struct tcall c;

	/* GETPORT -> xdr_u_long. */
	struct pmap m = { 100005, 1, IPPROTO_UDP, 0 };
	u_long port = 1;
	tcall_begin(&c, 0x7201, 2, PMAPPROC_GETPORT, NULL);
	CHECK(xdr_pmap(&c.x, &m));
	CHECK_EQ_U(tcall_run(t, &lo, &c), RB_OUT_REPLY);
	CHECK(tdecode(t, 0x7201, (xdrproc_t)xdr_u_long, &port));
	CHECK_EQ_U(port, 20048);

	/* GETADDR, GETVERSADDR -> xdr_wrapstring. */
	static const struct {
		u_long vers, proc, prog, pvers;
		int xport;
		const char *ua;
	} ga[] = {
		{ 3, RPCBPROC_GETADDR, 100005, 1, 0, "127.0.0.1.78.80" },
		{ 4, RPCBPROC_GETADDR, 100005, 2, 1, "::1.78.80" },
		{ 4, RPCBPROC_GETVERSADDR, 100005, 2, 1, "" },
		{ 4, RPCBPROC_GETVERSADDR, 100024, 1, 2, "127.0.0.1.3.4" },
		{ 3, RPCBPROC_GETADDR, 100099, 1, 0, "" },
	};
	const struct rb_xport *xs[3] = { &lo, &u6, &tcp };
	for (unsigned k = 0; k < sizeof(ga) / sizeof(ga[0]); k++) {
		struct rpcb r = { ga[k].prog, ga[k].pvers, dupstr("tcp"),
				  dupstr(""), dupstr("") };
		char *s = NULL;
		tcall_begin(&c, 0x7210 + k, ga[k].vers, ga[k].proc, NULL);
		CHECK(xdr_rpcb(&c.x, &r));
		CHECK_EQ_U(tcall_run(t, xs[ga[k].xport], &c), RB_OUT_REPLY);
		CHECK(tdecode(t, 0x7210 + k, (xdrproc_t)xdr_wrapstring, &s));
		CHECK_STR(s, ga[k].ua);
		xdr_free((xdrproc_t)xdr_wrapstring, (char *)&s);
		free(r.r_netid);
		free(r.r_addr);
		free(r.r_owner);
	}

	/* GETADDRLIST -> xdr_rpcb_entry_list_ptr. */
	for (int k = 0; k < 2; k++) {
		struct rpcb r = { 100005, 1, dupstr(""), dupstr(""),
				  dupstr("") };
		rpcb_entry_list_ptr el = NULL;
		tcall_begin(&c, 0x7220, 4, RPCBPROC_GETADDRLIST, NULL);
		CHECK(xdr_rpcb(&c.x, &r));
		CHECK_EQ_U(tcall_run(t, k ? &u6 : &lo, &c), RB_OUT_REPLY);
		CHECK(tdecode(t, 0x7220, (xdrproc_t)xdr_rpcb_entry_list_ptr,
			      &el));
		CHECK(el != NULL);
		if (el) {
			rpcb_entry *e = &el->rpcb_entry_map;
			CHECK_STR(e->r_maddr, k ? "::1.78.80" : "127.0.0.1.78.80");
			CHECK_STR(e->r_nc_netid, k ? "udp6" : "udp");
			CHECK_EQ_U(e->r_nc_semantics, NC_TPI_CLTS);
			CHECK_STR(e->r_nc_protofmly, k ? NC_INET6 : NC_INET);
			CHECK_STR(e->r_nc_proto, NC_UDP);
			CHECK(el->rpcb_entry_next == NULL);
		}
		xdr_free((xdrproc_t)xdr_rpcb_entry_list_ptr, (char *)&el);
		free(r.r_netid);
		free(r.r_addr);
		free(r.r_owner);
	}

	/* GETTIME -> xdr_u_long; NULL -> xdr_void. */
	u_long now = 0;
	tcall_begin(&c, 0x7230, 3, RPCBPROC_GETTIME, NULL);
	CHECK_EQ_U(tcall_run(t, &lo, &c), RB_OUT_REPLY);
	CHECK(tdecode(t, 0x7230, (xdrproc_t)xdr_u_long, &now));
	CHECK_EQ_U(now, GT_NOW);
	tcall_begin(&c, 0x7231, 4, NULLPROC, NULL);
	CHECK_EQ_U(tcall_run(t, &lo, &c), RB_OUT_REPLY);
	CHECK(tdecode(t, 0x7231, XDR_VOID, NULL));

	/* AUTH_SYS credentials marshalled by libtirpc are accepted. */
	gid_t gids[3] = { 4, 24, 27 };
	char host[] = "client.example";
	struct authunix_parms aup = { 1700000000, host, 1000, 1000, 3, gids };
	uint8_t body[400];
	XDR ax;
	xdrmem_create(&ax, (char *)body, sizeof(body), XDR_ENCODE);
	CHECK(xdr_authunix_parms(&ax, &aup));
	struct opaque_auth cred = { AUTH_SYS, (caddr_t)body, xdr_getpos(&ax) };
	xdr_destroy(&ax);
	tcall_begin(&c, 0x7232, 2, NULLPROC, &cred);
	CHECK_EQ_U(tcall_run(t, &lo, &c), RB_OUT_REPLY);
	CHECK(tdecode(t, 0x7232, XDR_VOID, NULL));
}

/* UADDR2TADDR / TADDR2UADDR against libtirpc's own uaddr2taddr and
 * taddr2uaddr for the transport's netconfig. */
static void test_taddr(struct gt *t)
{
	static const struct {
		const char *netid, *ua;
	} cases[] = {
		{ "udp", "127.0.0.1.0.111" },  { "tcp", "10.20.30.40.255.1" },
		{ "udp", "0.0.0.0.0.0" },      { "udp6", "::1.0.111" },
		{ "tcp6", "fe80::1:2.8.1" },   { "udp6", "2001:db8:0:1::.1.2" },
		{ "tcp6", "::ffff:10.0.0.1.0.1" },
		{ "local", "/run/rpcbind.sock" },
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct rb_xport x;
		int idx = rb_netid_find(cases[k].netid, strlen(cases[k].netid));
		CHECK(idx >= 0);
		if (idx == RB_NETID_LOCAL)
			x = gx_local(0);
		else if (idx == RB_NETID_UDP || idx == RB_NETID_TCP)
			x = gx_ip((enum rb_netid_idx)idx, "127.0.0.1", 40000,
				  "127.0.0.1", 111);
		else
			x = gx_ip((enum rb_netid_idx)idx, "::1", 40000, "::1",
				  111);
		struct netconfig *nc = getnetconfigent(cases[k].netid);
		CHECK(nc != NULL);
		if (!nc)
			continue;
		struct netbuf *oracle = uaddr2taddr(nc, cases[k].ua);
		CHECK(oracle != NULL);
		if (!oracle) {
			freenetconfigent(nc);
			continue;
		}

		/* UADDR2TADDR: same maxlen, len and bytes as libtirpc. */
		struct tcall c;
		char *ua = dupstr(cases[k].ua);
		struct netbuf nb = { 0, 0, NULL };
		tcall_begin(&c, 0x7300 + k, 3, RPCBPROC_UADDR2TADDR, NULL);
		CHECK(xdr_wrapstring(&c.x, &ua));
		CHECK_EQ_U(tcall_run(t, &x, &c), RB_OUT_REPLY);
		CHECK(tdecode(t, 0x7300 + k, (xdrproc_t)xdr_netbuf, &nb));
		CHECK_EQ_U(nb.maxlen, oracle->maxlen);
		CHECK_BYTES(nb.buf, nb.len, oracle->buf, oracle->len);
		free(nb.buf);
		free(ua);

		/* TADDR2UADDR of libtirpc's netbuf: libtirpc's uaddr. */
		char *want_ua = taddr2uaddr(nc, oracle);
		char *s = NULL;
		tcall_begin(&c, 0x7320 + k, 4, RPCBPROC_TADDR2UADDR, NULL);
		CHECK(xdr_netbuf(&c.x, oracle));
		CHECK_EQ_U(tcall_run(t, &x, &c), RB_OUT_REPLY);
		CHECK(tdecode(t, 0x7320 + k, (xdrproc_t)xdr_wrapstring, &s));
		CHECK_STR(s, want_ua);
		free(s);
		free(want_ua);

		/* rb_put_netbuf encodes it as xdr_netbuf does. */
		uint8_t a[256], b[256];
		XDR xx;
		xdrmem_create(&xx, (char *)a, sizeof(a), XDR_ENCODE);
		CHECK(xdr_netbuf(&xx, oracle));
		struct rb_xdr_enc e;
		rb_xdr_enc_init(&e, b, sizeof(b));
		rb_put_netbuf(&e, oracle->maxlen, oracle->buf, oracle->len);
		CHECK_EQ_U(e.err, 0);
		CHECK_BYTES(b, e.pos, a, xdr_getpos(&xx));
		struct rb_xdr_dec d;
		struct rb_netbuf rn;
		rb_xdr_dec_init(&d, a, xdr_getpos(&xx));
		rb_get_netbuf(&d, &rn);
		CHECK_EQ_U(d.err, 0);
		CHECK_EQ_U(rn.maxlen, oracle->maxlen);
		CHECK_BYTES(rn.buf.ptr, rn.buf.len, oracle->buf, oracle->len);
		xdr_destroy(&xx);

		free(oracle->buf);
		free(oracle);
		freenetconfigent(nc);
	}
}

/* GETSTAT -> xdr_rpcb_stat_byvers, compared with the counters we hold. */
static void test_getstat(struct gt *t)
{
	struct rb_xport lo = gx_udp_lo(40000);
	struct tcall c;
	rpcb_stat_byvers sb;
	memset(sb, 0, sizeof(sb));
	tcall_begin(&c, 0x7401, 4, RPCBPROC_GETSTAT, NULL);
	CHECK_EQ_U(tcall_run(t, &lo, &c), RB_OUT_REPLY);
	CHECK(tdecode(t, 0x7401, (xdrproc_t)xdr_rpcb_stat_byvers, sb));

	struct rb_stats *m = calloc(1, sizeof(*m));
	if (!m)
		abort();
	rb_stats_init(m);
	rb_stats_merge(m, t->stats);
	rb_stats_merge(m, t->wstats);
	for (int v = 0; v < 3; v++) {
		for (int i = 0; i < RPCBSTAT_HIGHPROC; i++)
			CHECK_EQ_U(sb[v].info[i], m->info[v][i]);
		CHECK_EQ_U(sb[v].setinfo, m->setinfo[v]);
		CHECK_EQ_U(sb[v].unsetinfo, m->unsetinfo[v]);
		unsigned n = 0;
		for (rpcbs_addrlist *a = sb[v].addrinfo; a; a = a->next)
			n++;
		CHECK_EQ_U(n, m->addr_count[v]);
	}
	CHECK_EQ_U(sb[0].setinfo, 2);
	CHECK_EQ_U(sb[1].setinfo, 3);
	CHECK_EQ_U(sb[2].setinfo, 1);
	CHECK_EQ_U(sb[0].info[PMAPPROC_GETPORT], 1);
	CHECK_EQ_U(sb[2].info[RPCBPROC_GETSTAT], 1);
	/* v2 addrinfo: GETPORT (100005, 1) over udp, one success. */
	rpcbs_addrlist *a = sb[0].addrinfo;
	CHECK(a != NULL);
	if (a) {
		CHECK_EQ_U(a->prog, 100005);
		CHECK_EQ_U(a->vers, 1);
		CHECK_EQ_U(a->success, 1);
		CHECK_EQ_U(a->failure, 0);
		CHECK_STR(a->netid, "udp");
	}
	xdr_free((xdrproc_t)xdr_rpcb_stat_byvers, (char *)sb);

	/* rb_stats_put alone, with known records, as libtirpc reads it. */
	rb_stats_init(m);
	rb_stats_proc(m, 1, 3);
	rb_stats_proc(m, 1, 3);
	rb_stats_set(m, 2);
	rb_stats_unset(m, 0);
	rb_stats_lookup(m, 1, 100003, 3, "tcp6", true);
	rb_stats_lookup(m, 1, 100003, 3, "tcp6", false);
	rb_stats_lookup(m, 1, 100003, 3, "tcp6", true);
	uint8_t buf[4096];
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_stats_put(&e, m);
	CHECK_EQ_U(e.err, 0);
	XDR x;
	memset(sb, 0, sizeof(sb));
	xdrmem_create(&x, (char *)buf, (u_int)e.pos, XDR_DECODE);
	CHECK(xdr_rpcb_stat_byvers(&x, sb));
	CHECK_EQ_U(xdr_getpos(&x), e.pos);
	xdr_destroy(&x);
	CHECK_EQ_U(sb[1].info[3], 2);
	CHECK_EQ_U(sb[2].setinfo, 1);
	CHECK_EQ_U(sb[0].unsetinfo, 1);
	CHECK(sb[1].addrinfo != NULL);
	if (sb[1].addrinfo) {
		CHECK_EQ_U(sb[1].addrinfo->prog, 100003);
		CHECK_EQ_U(sb[1].addrinfo->vers, 3);
		CHECK_EQ_U(sb[1].addrinfo->success, 2);
		CHECK_EQ_U(sb[1].addrinfo->failure, 1);
		CHECK_STR(sb[1].addrinfo->netid, "tcp6");
		CHECK(sb[1].addrinfo->next == NULL);
	}
	CHECK(sb[0].addrinfo == NULL && sb[2].addrinfo == NULL);
	xdr_free((xdrproc_t)xdr_rpcb_stat_byvers, (char *)sb);

	/* Two threads' tables merged: records newest first by when they were
	 * first made, whichever thread made them (issue 17: the order used to
	 * follow the hash and the merge); remote-call records as rpcbind's
	 * rpcbs_rmtcall (indirect starts at 1 whatever the procedure). */
	struct rb_stats *w1 = calloc(1, sizeof(*w1)), *w2 = calloc(1, sizeof(*w2));
	if (!w1 || !w2)
		abort();
	rb_stats_init(w1);
	rb_stats_init(w2);
	rb_stats_lookup(w1, 2, 0x20000001, 1, "udp", true);   /* 1st */
	rb_stats_lookup(w2, 2, 0x20000002, 1, "tcp", false);  /* 2nd */
	rb_stats_lookup(w1, 2, 0x20000003, 1, "udp", true);   /* 3rd */
	rb_stats_lookup(w2, 2, 0x20000001, 1, "udp", true);   /* 1st again */
	rb_stats_rmtcall(w1, 2, false, 0x20000001, 1, 0, "udp", true);  /* CALLIT */
	rb_stats_rmtcall(w2, 2, true, 0x20000001, 1, 0, "udp", false);  /* INDIRECT */
	rb_stats_rmtcall(w2, 2, true, 0x20000005, 2, 1, "udp6", false);
	rb_stats_rmtcall(w2, 2, true, 0x20000005, 2, 1, "udp6", true);
	for (int order = 0; order < 2; order++) {
		rb_stats_init(m);
		rb_stats_merge(m, order ? w2 : w1);
		rb_stats_merge(m, order ? w1 : w2);
		rb_xdr_enc_init(&e, buf, sizeof(buf));
		rb_stats_put(&e, m);
		CHECK_EQ_U(e.err, 0);
		memset(sb, 0, sizeof(sb));
		xdrmem_create(&x, (char *)buf, (u_int)e.pos, XDR_DECODE);
		CHECK(xdr_rpcb_stat_byvers(&x, sb));
		xdr_destroy(&x);
		static const uint32_t newest[] = { 0x20000003, 0x20000002, 0x20000001 };
		unsigned n = 0;
		for (rpcbs_addrlist *l = sb[2].addrinfo; l; l = l->next, n++) {
			CHECK(n < 3 && l->prog == newest[n]);
			if (l->prog == 0x20000001)
				CHECK_EQ_U(l->success, 2);
		}
		CHECK_EQ_U(n, 3);
		rpcbs_rmtcalllist *r = sb[2].rmtinfo;
		CHECK(r != NULL);
		if (r) { /* newest first: 0x20000005 over udp6 */
			CHECK_EQ_U(r->prog, 0x20000005);
			CHECK_EQ_U(r->proc, 1);
			CHECK_EQ_U(r->success, 1);
			CHECK_EQ_U(r->failure, 1);
			CHECK_EQ_U(r->indirect, 2); /* made by an INDIRECT, then one */
			CHECK_STR(r->netid, "udp6");
			r = r->next;
		}
		CHECK(r != NULL);
		if (r) { /* made by a CALLIT (1), then one INDIRECT */
			CHECK_EQ_U(r->prog, 0x20000001);
			CHECK_EQ_U(r->success, 1);
			CHECK_EQ_U(r->failure, 1);
			CHECK_EQ_U(r->indirect, 2);
			CHECK(r->next == NULL);
		}
		CHECK(sb[0].rmtinfo == NULL && sb[1].rmtinfo == NULL);
		xdr_free((xdrproc_t)xdr_rpcb_stat_byvers, (char *)sb);
	}
	/* The remote-call table is bounded: past RB_STAT_RMT_FILL keys,
	 * calls are counted as overflow, not recorded. */
	rb_stats_init(w1);
	for (uint32_t i = 0; i < RB_STAT_RMT_FILL + 5; i++)
		rb_stats_rmtcall(w1, 0, false, 0x20000100 + i, 1, 0, "udp", false);
	CHECK_EQ_U(w1->rmt_count[0], RB_STAT_RMT_FILL);
	CHECK_EQ_U(w1->rmt_overflow, 5);
	free(w1);
	free(w2);
	free(m);
}

/* Our encoders against libtirpc's, and our decoders over its bytes. */
static void test_encoders(void)
{
	uint8_t a[512], b[512];
	XDR x;
	struct rb_xdr_enc e;
	struct rb_xdr_dec d;

	struct pmap pm = { 100003, 3, IPPROTO_TCP, 2049 };
	struct rb_pmap rpm = { 100003, 3, 6, 2049 }, gpm;
	xdrmem_create(&x, (char *)a, sizeof(a), XDR_ENCODE);
	CHECK(xdr_pmap(&x, &pm));
	rb_xdr_enc_init(&e, b, sizeof(b));
	rb_put_pmap(&e, &rpm);
	CHECK_BYTES(b, e.pos, a, xdr_getpos(&x));
	rb_xdr_dec_init(&d, a, xdr_getpos(&x));
	rb_get_pmap(&d, &gpm);
	CHECK(d.err == 0 && memcmp(&gpm, &rpm, sizeof(gpm)) == 0);
	xdr_destroy(&x);

	/* rpcb with every string length 0..8 (all paddings). */
	static const char src[] = "abcdefgh";
	for (int i = 0; i <= 8; i++) {
		char n1[9], n2[9], n3[9];
		memcpy(n1, src, (size_t)i);
		n1[i] = 0;
		int l2 = (i + 3) % 9;
		memcpy(n2, src + 8 - l2, (size_t)l2);
		n2[l2] = 0;
		memcpy(n3, src, (size_t)(8 - i));
		n3[8 - i] = 0;
		struct rpcb r = { 0xfffffff0u + (u_long)i, (u_long)i, n1, n2,
				  n3 };
		xdrmem_create(&x, (char *)a, sizeof(a), XDR_ENCODE);
		CHECK(xdr_rpcb(&x, &r));
		rb_xdr_enc_init(&e, b, sizeof(b));
		rb_put_rpcb(&e, 0xfffffff0u + (uint32_t)i, (uint32_t)i, n1, n2,
			    n3);
		CHECK_BYTES(b, e.pos, a, xdr_getpos(&x));
		struct rb_rpcb g;
		rb_xdr_dec_init(&d, a, xdr_getpos(&x));
		rb_get_rpcb(&d, &g);
		CHECK_EQ_U(d.err, 0);
		CHECK_EQ_U(d.pos, xdr_getpos(&x));
		CHECK_EQ_U(g.prog, 0xfffffff0u + (uint32_t)i);
		CHECK_EQ_U(g.vers, (uint32_t)i);
		CHECK(rb_xdr_bytes_eq(g.netid, n1));
		CHECK(rb_xdr_bytes_eq(g.addr, n2));
		CHECK(rb_xdr_bytes_eq(g.owner, n3));
		xdr_destroy(&x);
	}

	/* Call header: rb_rpc_put_call == xdr_callmsg with AUTH_NONE. */
	struct rpc_msg m;
	memset(&m, 0, sizeof(m));
	m.rm_xid = 0xdeadbeef;
	m.rm_direction = CALL;
	m.rm_call.cb_rpcvers = 2;
	m.rm_call.cb_prog = 100000;
	m.rm_call.cb_vers = 4;
	m.rm_call.cb_proc = 12;
	m.rm_call.cb_cred = _null_auth;
	m.rm_call.cb_verf = _null_auth;
	xdrmem_create(&x, (char *)a, sizeof(a), XDR_ENCODE);
	CHECK(xdr_callmsg(&x, &m));
	rb_xdr_enc_init(&e, b, sizeof(b));
	rb_rpc_put_call(&e, 0xdeadbeef, 100000, 4, 12);
	CHECK_BYTES(b, e.pos, a, xdr_getpos(&x));
	xdr_destroy(&x);
}

RB_TEST_MAIN({
	struct gt *t = gt_new();
	populate(t);
	test_dumps(t);
	test_lookups(t);
	test_taddr(t);
	test_getstat(t);
	gt_free(t);
	test_encoders();
})
