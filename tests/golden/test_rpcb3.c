/* Golden bytes of RPCBIND v3: NULL, SET, UNSET, GETADDR, DUMP, CALLIT,
 * GETTIME, UADDR2TADDR and TADDR2UADDR. */
#include "golden_exchange.h"

#include <string.h>

#define P3 RB_PROG_RPCBIND, 3

static void test_null(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), l = gx_local(1000);
	struct gbuf c, w;
	gb_new_hex(&c, "00003100 00000000 00000002 000186a0 00000003 00000000"
		       "00000000 00000000 00000000 00000000");
	gb_new_hex(&w, "00003100 00000001 00000000 00000000 00000000 00000000");
	GT_EXPECT(t, &lo, &c, &w);
	GT_EXPECT(t, &l, &c, &w);
	gt_free(t);
}

static void test_set(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), l1000 = gx_local(1000);
	struct gbuf c, w;

	/* SET {100024, 1, "udp", "0.0.0.0.3.4", "superuser"}: the claimed
	 * owner is ignored; an unprivileged loopback port is "unknown". */
	gb_new_hex(&c, "00003101 00000000 00000002 000186a0 00000003 00000001"
		       "00000000 00000000 00000000 00000000"
		       "000186b8 00000001"
		       "00000003 75647000"
		       "0000000b 302e302e 302e302e 332e3400"
		       "00000009 73757065 72757365 72000000");
	gb_new_hex(&w, "00003101 00000001 00000000 00000000 00000000 00000000"
		       "00000001");
	GT_EXPECT_MUT(t, &lo, &c, &w);
	CHECK_EQ_U(t->mut.op, RB_MUT_SET);
	CHECK_EQ_U(t->mut.stat_vers, 1);
	CHECK(!t->mut.pmap);
	CHECK_EQ_U(t->mut.xid, 0x3101);
	CHECK_EQ_U(t->mut.prog, 100024);
	CHECK_EQ_U(t->mut.vers, 1);
	CHECK_STR(t->mut.netid, "udp");
	CHECK_STR(t->mut.uaddr, "0.0.0.0.3.4");
	CHECK_STR(t->mut.owner, "unknown");
	CHECK(t->mut_ok);

	/* Same uaddr again: TRUE; another uaddr: FALSE. */
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100024, 1, "udp",
				  "0.0.0.0.3.4", ""), 1);
	gb_rpcb_call(&c, 0x3102, 3, 1, 100024, 1, "udp", "0.0.0.0.3.5",
		     "unknown");
	gb_reply_u32(&w, 0x3102, 0);
	GT_EXPECT_MUT(t, &lo, &c, &w);
	CHECK(!t->mut_ok);

	/* Over AF_LOCAL (libtirpc's rpcb_set uses v3 there). */
	CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 1, 100024, 1, "local",
				  "/run/statd.sock", "0"), 1);
	CHECK_STR(t->mut.owner, "1000");
	CHECK_STR(t->mut.netid, "local");
	CHECK_STR(t->mut.uaddr, "/run/statd.sock");

	/* A udp or tcp address without a port (its last two parts) is
	 * refused, by root too, rather than stored and then left out of
	 * GETPORT and PMAP DUMP (issue 17); any other netid is answered
	 * verbatim wherever it is seen and not judged. */
	struct rb_xport l0 = gx_local(0);
	static const char *const bad[][2] = {
		{ "udp", "1.2.3.4.-1.2" }, { "tcp", "1.2.3.4.300.1" },
		{ "udp", "not-an-address" }, { "tcp", "12345" },
		{ "udp", "1.2.3.4.1.256" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Answered FALSE at once: no mutation reaches the writer. */
		gb_rpcb_call(&c, 0x3110 + i, 3, 1, 100025, 1 + i, bad[i][0], bad[i][1], "");
		gb_reply_u32(&w, 0x3110 + i, 0);
		GT_EXPECT(t, &l0, &c, &w);
	}
	CHECK_EQ_U(gt_getport(t, &lo, 100025, 1, 17), 0);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 3, 1, 100026, 1, "UDP", "not-an-address", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 3, 1, 100026, 2, "unix", "anything", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 3, 1, 100026, 3, "udp6", "not-an-address", ""), 1);

	struct gt_ent ents[8];
	int n = gt_rpcb_dump(t, &lo, 3, ents, 8);
	CHECK_EQ_U(n, 5); /* the three 100026 entries come last */
	if (n == 5) {
		CHECK_STR(ents[0].addr, "0.0.0.0.3.4");
		CHECK_STR(ents[0].owner, "unknown");
		CHECK_STR(ents[1].owner, "1000");
	}
	gt_free(t);
}

static void test_unset(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), l1000 = gx_local(1000);
	struct rb_xport l0 = gx_local(0), l1001 = gx_local(1001);
	struct gt_ent ents[16];
	struct gbuf c, w;
	int n;

	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 600000, 1, "udp",
				  "0.0.0.0.1.1", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 1, 600000, 1, "tcp",
				  "0.0.0.0.1.2", ""), 1);

	/* Another owner: FALSE, entry kept. The owner string in the call
	 * ("unknown", which would match) is ignored. */
	gb_rpcb_call(&c, 0x3201, 3, 2, 600000, 1, "udp", "", "unknown");
	gb_reply_u32(&w, 0x3201, 0);
	GT_EXPECT_MUT(t, &l1000, &c, &w);
	CHECK_EQ_U(t->mut.op, RB_MUT_UNSET);
	CHECK_EQ_U(t->mut.stat_vers, 1);
	CHECK(!t->mut.pmap);
	CHECK_STR(t->mut.netid, "udp");
	CHECK_STR(t->mut.owner, "1000");
	n = gt_rpcb_dump(t, &lo, 3, ents, 16);
	CHECK_EQ_U(n, 2);

	/* Same owner: TRUE, gone. */
	gb_rpcb_call(&c, 0x3202, 3, 2, 600000, 1, "udp", "", "1000");
	gb_reply_u32(&w, 0x3202, 1);
	GT_EXPECT_MUT(t, &lo, &c, &w);
	n = gt_rpcb_dump(t, &lo, 3, ents, 16);
	CHECK_EQ_U(n, 1);
	CHECK(gt_find(ents, n, 600000, 1, "udp") == NULL);

	/* "unknown" may not remove "1000"'s; the superuser may. */
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 2, 600000, 1, "tcp", "", ""), 0);
	CHECK_EQ_U(gt_rpcb_change(t, &l1001, 3, 2, 600000, 1, "tcp", "", ""), 0);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 3, 2, 600000, 1, "tcp", "", ""), 1);
	CHECK_STR(t->mut.owner, "superuser");
	CHECK_EQ_U(rb_registry_count(t->reg), 0);

	/* Empty netid: every netid of (prog, vers); other versions stay. */
	static const char *const nids[4] = { "udp", "tcp", "udp6", "local" };
	static const char *const addrs[4] = { "0.0.0.0.2.1", "0.0.0.0.2.2",
					      "::.2.3", "/run/x.sock" };
	for (int i = 0; i < 4; i++)
		CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 1, 600001, 1, nids[i],
					  addrs[i], ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 1, 600001, 2, "udp",
				  "0.0.0.0.2.9", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 2, 600001, 1, "", "", ""), 1);
	CHECK_STR(t->mut.netid, "");
	n = gt_rpcb_dump(t, &lo, 3, ents, 16);
	CHECK_EQ_U(n, 1);
	CHECK(gt_find(ents, n, 600001, 2, "udp") != NULL);

	/* Empty netid with one entry of another owner: FALSE, and nothing is
	 * removed (registry.h: "every matching entry must have that owner or
	 * nothing is removed"; rpcbind would stop half-way). */
	CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 1, 600003, 1, "udp",
				  "0.0.0.0.3.1", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l1001, 3, 1, 600003, 1, "tcp",
				  "0.0.0.0.3.2", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l1000, 3, 2, 600003, 1, "", "", ""), 0);
	n = gt_rpcb_dump(t, &lo, 3, ents, 16);
	CHECK_EQ_U(n, 3);
	CHECK(gt_find(ents, n, 600003, 1, "udp") != NULL);
	CHECK(gt_find(ents, n, 600003, 1, "tcp") != NULL);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 3, 2, 600003, 1, "", "", ""), 1);
	CHECK_EQ_U(rb_registry_count(t->reg), 1);

	/* Nothing matched: TRUE. */
	gb_rpcb_call(&c, 0x3203, 3, 2, 699999, 1, "udp", "", "");
	gb_reply_u32(&w, 0x3203, 1);
	GT_EXPECT_MUT(t, &lo, &c, &w);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 2, 699999, 1, "", "", ""), 1);
	gt_free(t);
}

static void test_getaddr(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), tcp = gx_tcp_lo(40000);
	struct rb_xport rem = gx_udp_remote(), u6 = gx_udp6_lo();
	struct rb_xport t6 = gx_tcp6_lo(), l = gx_local(1000);
	struct rb_xport u6g = gx_ip(RB_NETID_UDP6, "2001:db8::9", 5000,
				    "2001:db8::1", 111);
	struct gbuf c, w;

	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100024, 1, "udp",
				  "0.0.0.0.3.4", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100024, 1, "tcp",
				  "0.0.0.0.3.5", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100024, 1, "udp6", "::.3.6",
				  ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100024, 1, "tcp6",
				  "2001:db8::5.3.7", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100024, 1, "local",
				  "/run/statd.sock", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100025, 1, "udp",
				  "192.168.7.7.8.8", ""), 1);

	/* Wildcard merged with the arrival address; the request's netid
	 * ("tcp") and owner are ignored: the transport is udp. */
	gb_new_hex(&c, "00003301 00000000 00000002 000186a0 00000003 00000003"
		       "00000000 00000000 00000000 00000000"
		       "000186b8 00000001"
		       "00000003 74637000"
		       "00000000"
		       "00000003 626f6200");
	gb_new_hex(&w, "00003301 00000001 00000000 00000000 00000000 00000000"
		       "0000000d 3132372e 302e302e 312e332e 34000000");
	GT_EXPECT(t, &lo, &c, &w);

	GT_EXPECT_GETADDR(t, &tcp, 3, 3, 100024, 1, "udp", "127.0.0.1.3.5");
	GT_EXPECT_GETADDR(t, &rem, 3, 3, 100024, 1, "", "10.1.2.1.3.4");
	GT_EXPECT_GETADDR(t, &u6, 3, 3, 100024, 1, "udp", "::1.3.6");
	GT_EXPECT_GETADDR(t, &u6g, 3, 3, 100024, 1, "", "2001:db8::1.3.6");
	/* Not a wildcard: as registered. */
	GT_EXPECT_GETADDR(t, &t6, 3, 3, 100024, 1, "", "2001:db8::5.3.7");
	GT_EXPECT_GETADDR(t, &l, 3, 3, 100024, 1, "udp", "/run/statd.sock");
	GT_EXPECT_GETADDR(t, &lo, 3, 3, 100025, 1, "", "192.168.7.7.8.8");
	GT_EXPECT_GETADDR(t, &rem, 3, 3, 100025, 1, "", "192.168.7.7.8.8");
	/* Registered on udp only: a tcp arrival finds nothing. */
	GT_EXPECT_GETADDR(t, &tcp, 3, 3, 100025, 1, "udp", "");

	/* Miss: the empty string. */
	gb_rpcb_call(&c, 0x3302, 3, 3, 100026, 1, "udp", "", "");
	gb_reply_u32(&w, 0x3302, 0);
	GT_EXPECT(t, &lo, &c, &w);

	/* Version fallback: the last-registered other version. */
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100026, 1, "udp",
				  "0.0.0.0.0.1", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100026, 5, "udp",
				  "0.0.0.0.0.5", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100026, 3, "udp",
				  "0.0.0.0.0.3", ""), 1);
	GT_EXPECT_GETADDR(t, &lo, 3, 3, 100026, 5, "", "127.0.0.1.0.5");
	GT_EXPECT_GETADDR(t, &lo, 3, 3, 100026, 9, "", "127.0.0.1.0.3");
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 2, 100026, 3, "udp", "", ""), 1);
	GT_EXPECT_GETADDR(t, &lo, 3, 3, 100026, 9, "", "127.0.0.1.0.5");
	GT_EXPECT_GETADDR(t, &tcp, 3, 3, 100026, 9, "", "");
	gt_free(t);
}

static void test_dump(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), l0 = gx_local(0);
	struct rb_xport rem = gx_udp_remote();
	struct gbuf c, w;

	gb_new_call(&c, 0x3401, P3, 4);
	gb_new_hex(&w, "00003401 00000001 00000000 00000000 00000000 00000000"
		       "00000000");
	GT_EXPECT(t, &lo, &c, &w);

	CHECK_EQ_U(gt_rpcb_change(t, &l0, 3, 1, 100003, 3, "tcp",
				  "0.0.0.0.8.1", "ignored"), 1);
	CHECK_EQ_U(gt_pmap_change(t, &lo, 1, 100005, 1, 17, 20048), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 4, 1, 100003, 3, "tcp6", "::.8.1",
				  "ignored"), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 3, 1, 100021, 4, "local",
				  "/run/lockd", ""), 1);

	/* Every entry, every netid, in registration order. */
	gb_new_hex(&w, "00003401 00000001 00000000 00000000 00000000 00000000"
		       "00000001 000186a3 00000003 00000003 74637000"
		       "0000000b 302e302e 302e302e 382e3100"
		       "00000009 73757065 72757365 72000000");
	gb_u32(&w, 1);
	gb_rpcb(&w, 100005, 1, "udp", "0.0.0.0.78.80", "unknown");
	gb_u32(&w, 1);
	gb_rpcb(&w, 100003, 3, "tcp6", "::.8.1", "unknown");
	gb_u32(&w, 1);
	gb_rpcb(&w, 100021, 4, "local", "/run/lockd", "superuser");
	gb_u32(&w, 0);
	GT_EXPECT(t, &lo, &c, &w);
	/* DUMP is open to remote callers too (same bytes but the xid). */
	GT_EXPECT(t, &rem, &c, &w);
	gt_free(t);
}

static void test_callit(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000);
	CHECK_EQ_U(gt_rpcb_change(t, &lo, 3, 1, 100099, 1, "udp",
				  "0.0.0.0.19.136", ""), 1);
	GT_EXPECT_RMTCALL_DROPPED(t, 3, 5, 0x3501, 100099);
	gt_free(t);
}

static void test_gettime(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), rem = gx_udp_remote();
	struct gbuf c, w;
	gb_new_hex(&c, "00003601 00000000 00000002 000186a0 00000003 00000006"
		       "00000000 00000000 00000000 00000000");
	gb_new_hex(&w, "00003601 00000001 00000000 00000000 00000000 00000000"
		       "65a1b2c3");
	GT_EXPECT(t, &lo, &c, &w);
	rem.now = 0xfedcba98u;
	gb_new_hex(&w, "00003601 00000001 00000000 00000000 00000000 00000000"
		       "fedcba98");
	GT_EXPECT(t, &rem, &c, &w);
	gt_free(t);
}

/* UADDR2TADDR parses with the family of the transport the call arrived
 * on (rpcbind uses the transport's netconfig); the netbuf holds the Linux
 * sockaddr, maxlen = sizeof the sockaddr type, len = libtirpc's length. */
static void test_uaddr2taddr(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), tcp = gx_tcp_lo(40000);
	struct rb_xport u6 = gx_udp6_lo();
	struct gbuf c, w;

	gb_new_hex(&c, "00003701 00000000 00000002 000186a0 00000003 00000007"
		       "00000000 00000000 00000000 00000000"
		       "0000000f 3132372e 302e302e 312e302e 31313100");
	gb_new_hex(&w, "00003701 00000001 00000000 00000000 00000000 00000000"
		       "00000010"                     /* maxlen 16 */
		       "00000010 0200006f 7f000001 00000000 00000000");
	GT_EXPECT(t, &lo, &c, &w);
	GT_EXPECT(t, &tcp, &c, &w);

	/* Failures: maxlen 0 and an empty buffer. */
	const struct {
		const struct rb_xport *x;
		const char *uaddr;
	} bad[] = { { &lo, "garbage" },       { &lo, "" },
		    { &lo, "127.0.0.1.0" },   { &lo, "127.0.0.1.0.256" },
		    { &lo, "1.2.3.300.0.1" }, { &lo, "::1.0.111" },
		    /* An IPv4 uaddr on an IPv6 transport fails too. */
		    { &u6, "127.0.0.1.0.111" } };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gb_new_call(&c, 0x3710 + i, P3, 7);
		gb_str(&c, bad[i].uaddr);
		gb_new_reply(&w, 0x3710 + i, 0);
		gb_hex(&w, "00000000 00000000");
		GT_EXPECT(t, bad[i].x, &c, &w);
	}

	/* Over AF_LOCAL, an inet universal address (libtirpc's
	 * rpcb_uaddr2taddr sends it there) loses its last two parts, as in
	 * libtirpc's uaddr2taddr: the path "127.0.0.1" (len SUN_LEN 11). */
	struct rb_xport l = gx_local(1000);
	gb_new_call(&c, 0x3720, P3, 7);
	gb_str(&c, "127.0.0.1.8.1");
	gb_new_reply(&w, 0x3720, 0);
	gb_hex(&w, "0000006e 0000000b 01003132 372e302e 302e3100");
	GT_EXPECT(t, &l, &c, &w);
	/* Fewer than two dots to cut: a failure. */
	static const char *const lbad[] = { "abc.1", "abc" };
	for (unsigned i = 0; i < 2; i++) {
		gb_new_call(&c, 0x3721 + i, P3, 7);
		gb_str(&c, lbad[i]);
		gb_new_reply(&w, 0x3721 + i, 0);
		gb_hex(&w, "00000000 00000000");
		GT_EXPECT(t, &l, &c, &w);
	}
	gt_free(t);
}

static void test_taddr2uaddr(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000);
	struct gbuf c, w;

	gb_new_hex(&c, "00003801 00000000 00000002 000186a0 00000003 00000008"
		       "00000000 00000000 00000000 00000000"
		       "00000010 00000010 02000801 0a000001 00000000 00000000");
	gb_new_hex(&w, "00003801 00000001 00000000 00000000 00000000 00000000"
		       "0000000c 31302e30 2e302e31 2e382e31");
	GT_EXPECT(t, &lo, &c, &w);

	/* Failure: a buffer too short for a sockaddr_in, or empty, gives "". */
	static const char *const bad[] = { "00000010 00000003 02000800",
					   "00000000 00000000" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gb_new_call(&c, 0x3804 + i, P3, 8);
		gb_hex(&c, bad[i]);
		gb_reply_u32(&w, 0x3804 + i, 0);
		GT_EXPECT(t, &lo, &c, &w);
	}

	/* A buffer longer than its maxlen is undecodable (xdr_netbuf). */
	gb_new_call(&c, 0x3806, P3, 8);
	gb_hex(&c, "00000004 00000010 02000801 0a000001 00000000 00000000");
	gb_new_reply(&w, 0x3806, RB_GARBAGE_ARGS);
	GT_EXPECT(t, &lo, &c, &w);
	gt_free(t);
}

/* Each conversion inverts the other, over the transport of the address's
 * family: IPv6 (sockaddr_in6, 28 bytes) and AF_LOCAL (sockaddr_un, maxlen
 * 110, len = SUN_LEN). */
static void test_addr_pairs(void)
{
	struct gt *t = gt_new();
	struct rb_xport u6 = gx_udp6_lo(), l = gx_local(1000);

	GT_EXPECT_ADDR_PAIR(t, &u6, 3, 0x3702, "2001:db8::7.8.1",
			    "0000001c 0000001c 0a000801 00000000"
			    "20010db8 00000000 00000000 00000007 00000000");
	GT_EXPECT_ADDR_PAIR(t, &l, 3, 0x3802, "/run/x.sock",
			    "0000006e 0000000d 01002f72 756e2f78"
			    "2e736f63 6b000000");
	gt_free(t);
}

RB_TEST_MAIN({
	test_null();
	test_set();
	test_unset();
	test_getaddr();
	test_dump();
	test_callit();
	test_gettime();
	test_uaddr2taddr();
	test_taddr2uaddr();
	test_addr_pairs();
})
