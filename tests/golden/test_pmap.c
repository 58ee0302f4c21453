/* Golden bytes of PMAP v2 (program 100000 version 2): NULL, SET, UNSET,
 * GETPORT, DUMP and CALLIT, through rb_handle_call and the writer path. */
#include "golden_exchange.h"

#include <string.h>

#define P2 RB_PROG_RPCBIND, 2

static void test_null(void)
{
	struct gt *t = gt_new();
	struct rb_xport udp = gx_udp_lo(40000), tcp = gx_tcp_lo(40001);
	struct gbuf c, w;

	/* The literal call a client puts on the wire. */
	gb_new_hex(&c, "00000101 00000000 00000002 000186a0 00000002 00000000"
		       "00000000 00000000 00000000 00000000");
	gb_new_hex(&w, "00000101 00000001 00000000 00000000 00000000 00000000");
	GT_EXPECT(t, &udp, &c, &w);
	GT_EXPECT(t, &tcp, &c, &w);
	struct rb_xport loc = gx_local(0); /* the kernel pings v2 NULL here */
	GT_EXPECT(t, &loc, &c, &w);
	gt_free(t);
}

static void test_set(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000);
	struct gbuf c, w;

	/* SET (200000, 1, udp, 0x1234): literal bytes both ways. */
	gb_new_hex(&c, "00001001 00000000 00000002 000186a0 00000002 00000001"
		       "00000000 00000000 00000000 00000000"
		       "00030d40 00000001 00000011 00001234");
	gb_new_hex(&w, "00001001 00000001 00000000 00000000 00000000 00000000"
		       "00000001");
	GT_EXPECT_MUT(t, &lo, &c, &w);
	/* The mutation handed to the writer. */
	CHECK_EQ_U(t->mut.op, RB_MUT_SET);
	CHECK_EQ_U(t->mut.stat_vers, 0);
	CHECK_EQ_U(t->mut.xid, 0x1001);
	CHECK_EQ_U(t->mut.prog, 200000);
	CHECK_EQ_U(t->mut.vers, 1);
	CHECK_STR(t->mut.netid, "udp");
	CHECK_STR(t->mut.uaddr, "0.0.0.0.18.52");
	CHECK_STR(t->mut.owner, "unknown");
	CHECK(t->mut_ok);

	/* tcp: a separate registration. */
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 200000, 1, 6, 0x1235), 1);
	CHECK_STR(t->mut.netid, "tcp");
	CHECK_STR(t->mut.uaddr, "0.0.0.0.18.53");

	/* Same port again: TRUE; another port: FALSE. */
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 200000, 1, 17, 0x1234), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 200000, 1, 17, 0x9999), 0);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 200000, 1, 6, 0x1235), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 200000, 1, 6, 0x1234), 0);
	CHECK_EQ_U(gt_getport(t, &lo, 200000, 1, 17), 0x1234);

	/* prot 99: FALSE, and nothing stored. */
	gb_new_call(&c, 0x1002, P2, 1);
	gb_pmap(&c, 200001, 1, 99, 7000);
	gb_reply_u32(&w, 0x1002, 0);
	gt_call(t, &lo, &c);
	CHECK(t->oc == RB_OUT_REPLY || t->oc == RB_OUT_MUTATE);
	CHECK_BYTES(t->out, t->outlen, w.b, w.n);
	CHECK_EQ_U(rb_registry_count(t->reg), 2);

	/* Over tcp, from a privileged port: owner "superuser". */
	struct rb_xport tcp = gx_tcp_lo(700);
	CHECK_EQ_U(gt_pmap_change(t, &tcp, 1, 200002, 1, 6, 2049), 1);
	CHECK_STR(t->mut.owner, "superuser");
	CHECK_STR(t->mut.uaddr, "0.0.0.0.8.1");
	/* The registry holds what the mutation said. */
	struct gt_ent ents[8];
	int n = gt_rpcb_dump(t, &lo, 3, ents, 8);
	CHECK_EQ_U(n, 3);
	const struct gt_ent *e = gt_find(ents, n, 200002, 1, "tcp");
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->addr, "0.0.0.0.8.1");
		CHECK_STR(e->owner, "superuser");
	}
	gt_free(t);
}

static void test_unset(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), su = gx_udp_lo(1023);
	struct rb_xport l1000 = gx_local(1000), l0 = gx_local(0);
	struct gbuf c, w;

	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 300000, 1, 17, 1001), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 300000, 1, 6, 1002), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 300000, 2, 17, 1003), 1);
	/* A v3 registration of the same (prog, vers) on udp6. */
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 300000, 1, "udp6", "::.3.235",
				  ""), 1);

	/* UNSET: prot and port ignored; removes udp and tcp of that vers. */
	gb_new_hex(&c, "00002001 00000000 00000002 000186a0 00000002 00000002"
		       "00000000 00000000 00000000 00000000"
		       "000493e0 00000001 00000063 0000ffff");
	gb_new_hex(&w, "00002001 00000001 00000000 00000000 00000000 00000000"
		       "00000001");
	GT_EXPECT_MUT(t, &lo, &c, &w);
	CHECK_EQ_U(t->mut.op, RB_MUT_UNSET);
	CHECK(t->mut.pmap);
	CHECK_EQ_U(t->mut.stat_vers, 0);
	CHECK_EQ_U(t->mut.prog, 300000);
	CHECK_EQ_U(t->mut.vers, 1);
	/* vers 1 is gone on udp, so GETPORT falls back to vers 2. */
	CHECK_EQ_U(gt_getport(t, &lo, 300000, 1, 17), 1003);
	struct rb_xport tcp = gx_tcp_lo(40000);
	CHECK_EQ_U(gt_getport(t, &tcp, 300000, 1, 6), 0);

	/* Only udp and tcp: the udp6 registration stays. */
	struct gt_ent ents[8];
	int n = gt_rpcb_dump(t, &lo, 3, ents, 8);
	CHECK_EQ_U(n, 2);
	CHECK(gt_find(ents, n, 300000, 1, "udp6") != NULL);
	CHECK(gt_find(ents, n, 300000, 2, "udp") != NULL);
	CHECK(gt_find(ents, n, 300000, 1, "udp") == NULL);
	CHECK(gt_find(ents, n, 300000, 1, "tcp") == NULL);

	/* Nothing matched: TRUE (PROTOCOL.md, registry semantics). */
	CHECK_EQ_U(gt_pmap_change(t, &lo, 2, 399999, 1, 17, 0), 1);

	/* Owners: "1000" registers over AF_LOCAL; an "unknown" IP caller may
	 * not remove it; a privileged port (superuser) may. */
	CHECK_EQ_U(gt_pmap_change(t, &l1000, 1, 300001, 1, 17, 900), 1);
	CHECK_STR(t->mut.owner, "1000");
	CHECK_EQ_U(gt_pmap_change(t, &l1000, 1, 300001, 1, 6, 901), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 2, 300001, 1, 0, 0), 0);
	CHECK_STR(t->mut.owner, "unknown");
	CHECK_EQ_U(gt_getport(t, &lo, 300001, 1, 17), 900);
	CHECK_EQ_U(gt_pmap_change(t, &l1000, 2, 300001, 1, 0, 0), 1);
	CHECK_EQ_U(gt_getport(t, &lo, 300001, 1, 17), 0);
	CHECK_EQ_U(gt_pmap_change(t, &l1000, 1, 300001, 1, 17, 900), 1);
	CHECK_EQ_U(gt_pmap_change(t, &su, 2, 300001, 1, 0, 0), 1);
	CHECK_STR(t->mut.owner, "superuser");
	CHECK_EQ_U(gt_getport(t, &lo, 300001, 1, 17), 0);
	CHECK_EQ_U(gt_pmap_change(t, &l1000, 1, 300001, 1, 17, 900), 1);
	CHECK_EQ_U(gt_pmap_change(t, &l0, 2, 300001, 1, 0, 0), 1);
	CHECK_STR(t->mut.owner, "superuser");
	CHECK_EQ_U(gt_getport(t, &lo, 300001, 1, 17), 0);
	gt_free(t);
}

static void test_getport(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), tcp = gx_tcp_lo(40000);
	struct rb_xport rem = gx_udp_remote();
	struct gbuf c, w;

	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 100003, 3, 17, 2049), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 100003, 3, 6, 2050), 1);

	/* Hit: literal bytes. */
	gb_new_hex(&c, "00003001 00000000 00000002 000186a0 00000002 00000003"
		       "00000000 00000000 00000000 00000000"
		       "000186a3 00000003 00000011 00000000");
	gb_new_hex(&w, "00003001 00000001 00000000 00000000 00000000 00000000"
		       "00000801");
	GT_EXPECT(t, &lo, &c, &w);
	GT_EXPECT(t, &rem, &c, &w); /* lookups are open to anyone */

	CHECK_EQ_U(gt_getport(t, &tcp, 100003, 3, 6), 2050);
	/* The mapping's prot picks the netid, not the transport (mount asks
	 * over UDP for the TCP port). PROTOCOL.md says "the transport's" for
	 * GETPORT, but Linux rpcbind 1.2.6 in a netns answers: GETPORT over
	 * udp with prot 6 -> the tcp port; a tcp-only program asked with
	 * prot 17 -> 0 over either transport; prot 99 -> 0. */
	CHECK_EQ_U(gt_getport(t, &lo, 100003, 3, 6), 2050);
	CHECK_EQ_U(gt_getport(t, &tcp, 100003, 3, 17), 2049);
	CHECK_EQ_U(gt_getport(t, &lo, 100003, 3, 99), 0);
	CHECK_EQ_U(gt_getport(t, &tcp, 100003, 3, 0), 0);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 100007, 1, 6, 5001), 1);
	CHECK_EQ_U(gt_getport(t, &lo, 100007, 1, 6), 5001);
	CHECK_EQ_U(gt_getport(t, &lo, 100007, 1, 17), 0);
	CHECK_EQ_U(gt_getport(t, &tcp, 100007, 1, 17), 0);

	/* Miss: 0. */
	gb_new_call(&c, 0x3002, P2, 3);
	gb_pmap(&c, 100004, 1, 17, 0);
	gb_reply_u32(&w, 0x3002, 0);
	GT_EXPECT(t, &lo, &c, &w);

	/* Version fallback: the last-registered other version. */
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 400000, 1, 17, 1000), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 400000, 3, 17, 3000), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 400000, 2, 17, 2000), 1);
	CHECK_EQ_U(gt_getport(t, &lo, 400000, 3, 17), 3000); /* exact */
	CHECK_EQ_U(gt_getport(t, &lo, 400000, 7, 17), 2000);
	CHECK_EQ_U(gt_getport(t, &tcp, 400000, 7, 6), 0); /* not on tcp */
	CHECK_EQ_U(gt_getport(t, &tcp, 400000, 7, 17), 2000);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 2, 400000, 2, 17, 0), 1);
	CHECK_EQ_U(gt_getport(t, &lo, 400000, 7, 17), 3000);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 2, 400000, 1, 17, 0), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 400000, 1, 17, 1111), 1);
	CHECK_EQ_U(gt_getport(t, &lo, 400000, 7, 17), 1111);
	CHECK_EQ_U(gt_getport(t, &lo, 400000, 3, 17), 3000);

	/* A v3 registration on netid "udp" answers GETPORT with its port,
	 * even with a non-wildcard address. */
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 400001, 1, "udp",
				  "127.0.0.1.4.210", "x"), 1);
	CHECK_EQ_U(gt_getport(t, &lo, 400001, 1, 17), 1234);
	/* ... but not one on udp6, whatever the transport. */
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 400002, 1, "udp6",
				  "::.4.210", "x"), 1);
	CHECK_EQ_U(gt_getport(t, &lo, 400002, 1, 17), 0);
	struct rb_xport u6 = gx_udp6_lo();
	CHECK_EQ_U(gt_getport(t, &u6, 400002, 1, 17), 0);
	gt_free(t);
}

/* Netids compare exactly. A registration under "UDP" or "TCP" (here by a
 * non-root AF_LOCAL client, whose owner-port check knows only the
 * lowercase names) is an unknown netid: GETPORT, which looks up "udp" or
 * "tcp" by the mapping's prot, answers 0 (as rpcbind 1.2.6, whose PMAP
 * list takes only the exact names), and neither GETADDR over a udp/tcp
 * transport nor GETADDRLIST lists it. */
static void test_netid_exact(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), tcp = gx_tcp_lo(40000);
	struct rb_xport l1000 = gx_local(1000);
	struct gbuf c, w;

	CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 1, 400003, 3, "UDP",
				  "0.0.0.0.8.1", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 1, 400003, 3, "TCP",
				  "0.0.0.0.8.2", ""), 1);

	/* GETPORT (400003, 2, udp): literal bytes, port 0. */
	gb_new_hex(&c, "00003501 00000000 00000002 000186a0 00000002 00000003"
		       "00000000 00000000 00000000 00000000"
		       "00061a83 00000002 00000011 00000000");
	gb_new_hex(&w, "00003501 00000001 00000000 00000000 00000000 00000000"
		       "00000000");
	GT_EXPECT(t, &lo, &c, &w);
	CHECK_EQ_U(gt_getport(t, &lo, 400003, 3, 17), 0);
	CHECK_EQ_U(gt_getport(t, &tcp, 400003, 3, 6), 0);
	GT_EXPECT_GETADDR(t, &lo, 3, 3, 400003, 3, "UDP", "");
	GT_EXPECT_GETADDR(t, &tcp, 4, 3, 400003, 3, "TCP", "");
	gb_rpcb_call(&c, 0x3502, 4, 11, 400003, 3, "", "", "");
	gb_reply_u32(&w, 0x3502, 0); /* GETADDRLIST: an empty list */
	GT_EXPECT(t, &lo, &c, &w);

	/* "udp" is another key: registered beside "UDP", and found. */
	CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 1, 400003, 3, "udp",
				  "0.0.0.0.8.3", ""), 1);
	CHECK_EQ_U(gt_getport(t, &lo, 400003, 2, 17), 0x803);
	struct gt_ent ents[4];
	CHECK_EQ_U(gt_rpcb_dump(t, &lo, 3, ents, 4), 3);
	gt_free(t);
}

static void test_dump(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), tcp = gx_tcp_lo(40000);
	struct gbuf c, w;

	/* Empty registry: just the terminating FALSE. */
	gb_new_hex(&c, "00004001 00000000 00000002 000186a0 00000002 00000004"
		       "00000000 00000000 00000000 00000000");
	gb_new_hex(&w, "00004001 00000001 00000000 00000000 00000000 00000000"
		       "00000000");
	GT_EXPECT(t, &lo, &c, &w);

	/* Registration order, mixing v2 and v3 registrations; only netids
	 * exactly "udp" and "tcp" appear. */
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 100003, 3, 17, 2049), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100003, 3, "udp6", "::.8.1",
				  ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100005, 1, "tcp",
				  "127.0.0.1.78.32", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100005, 1, "local",
				  "/run/mountd.sock", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100005, 1, "tcp6", "::.78.32",
				  ""), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 100003, 3, 6, 2049), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 4, 1, 100021, 4, "udp",
				  "0.0.0.0.172.236", ""), 1);

	gb_new_hex(&w, "00004001 00000001 00000000 00000000 00000000 00000000"
		       "00000001 000186a3 00000003 00000011 00000801"
		       "00000001 000186a5 00000001 00000006 00004e20"
		       "00000001 000186a3 00000003 00000006 00000801"
		       "00000001 000186b5 00000004 00000011 0000acec"
		       "00000000");
	GT_EXPECT(t, &lo, &c, &w);
	GT_EXPECT(t, &tcp, &c, &w);
	gt_free(t);
}

static void test_callit(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000);
	struct gbuf c;

	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 100099, 1, 17, 5000), 1);
	/* Remote calls are off (the default): no reply at all. */
	GT_EXPECT_RMTCALL_DROPPED(t, 2, 5, 0x5001, 100099);
	/* An unregistered target: silent. */
	gb_rmtcall(&c, 0x5003, 2, 5, 100098, 1, 1, "abcde", 5);
	CHECK_EQ_U(gt_call(t, &lo, &c), RB_OUT_DROP);
	/* The deny-listed rpcbind itself: AUTH_ERROR TOOWEAK even with
	 * forwarding off, as rpcbind (check_callit comes first; e2e diff
	 * callit.v2.udp.denied). */
	gb_rmtcall(&c, 0x5002, 2, 5, RB_PROG_RPCBIND, 2, 4, "abcde", 5);
	CHECK_EQ_U(gt_call(t, &lo, &c), RB_OUT_REPLY);
	gt_free(t);
}

/* Owner derivation as seen through DUMP; the owner in a v3 call is
 * ignored. */
static void test_owner(void)
{
	struct gt *t = gt_new();
	struct rb_xport l0 = gx_local(0), l1000 = gx_local(1000);
	struct rb_xport lo_hi = gx_udp_lo(1024), lo_lo = gx_udp_lo(1023);
	struct rb_xport lo6 = gx_udp6_lo();

	CHECK_EQ_U(gt_pmap_change(t, &l0, 1, 500001, 1, 17, 1), 1);
	CHECK_EQ_U(gt_pmap_change(t, &l1000, 1, 500002, 1, 17, 2), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo_hi, 1, 500003, 1, 17, 3), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo_lo, 1, 500004, 1, 17, 4), 1);
	struct rb_xport six_lo = lo6;
	six_lo.peer.port = 111;
	CHECK_EQ_U(gt_pmap_change(t, &six_lo, 1, 500005, 1, 17, 5), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo6, 1, 500006, 1, 17, 6), 1);

	struct gt_ent ents[8];
	int n = gt_rpcb_dump(t, &lo_hi, 3, ents, 8);
	CHECK_EQ_U(n, 6);
	static const char *const want[6] = { "superuser", "1000", "unknown",
					     "superuser", "superuser",
					     "unknown" };
	for (int i = 0; i < n && i < 6; i++) {
		CHECK_EQ_U(ents[i].prog, 500001u + (unsigned)i);
		CHECK_STR(ents[i].owner, want[i]);
		CHECK_STR(ents[i].netid, "udp");
	}
	gt_free(t);
}

RB_TEST_MAIN({
	test_null();
	test_set();
	test_unset();
	test_getport();
	test_netid_exact();
	test_dump();
	test_callit();
	test_owner();
})
