/* Golden bytes of every error path: unknown program, version and
 * procedure, truncated arguments at every offset, RPC version, credentials,
 * the loopback rule for SET/UNSET, and the rpcbomb. */
#include "golden_exchange.h"

#include <stdlib.h>
#include <string.h>

static void test_prog_vers_proc(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), tcp = gx_tcp_lo(40000);
	struct rb_xport l0 = gx_local(0);
	struct gbuf c, w;

	/* Unknown program: PROG_UNAVAIL. */
	gb_new_hex(&c, "0000e001 00000000 00000002 000186a1 00000002 00000000"
		       "00000000 00000000 00000000 00000000");
	gb_new_hex(&w, "0000e001 00000001 00000000 00000000 00000000 00000001");
	GT_EXPECT(t, &lo, &c, &w);
	GT_EXPECT(t, &tcp, &c, &w);
	GT_EXPECT(t, &l0, &c, &w);
	static const uint32_t progs[] = { 0, 1, 100003, 99999, 0xffffffffu };
	for (unsigned i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		gb_new_call(&c, 0xe010 + i, progs[i], 2, 3);
		gb_pmap(&c, 1, 1, 17, 0);
		gb_new_reply(&w, 0xe010 + i, RB_PROG_UNAVAIL);
		GT_EXPECT(t, &lo, &c, &w);
	}

	/* Program 100000, another version: PROG_MISMATCH 2..4. */
	gb_new_hex(&c, "0000e002 00000000 00000002 000186a0 00000001 00000000"
		       "00000000 00000000 00000000 00000000");
	gb_new_hex(&w, "0000e002 00000001 00000000 00000000 00000000 00000002"
		       "00000002 00000004");
	GT_EXPECT(t, &lo, &c, &w);
	static const uint32_t vers[] = { 0, 1, 5, 6, 0xffffffffu };
	for (unsigned i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		gb_new_call(&c, 0xe020 + i, RB_PROG_RPCBIND, vers[i], 0);
		gb_reset(&w);
		gb_reply_prog_mismatch(&w, 0xe020 + i, 2, 4);
		GT_EXPECT(t, &lo, &c, &w);
		GT_EXPECT(t, &tcp, &c, &w);
	}
	/* ... also for a SET (a mutation must not come back). */
	gb_new_call(&c, 0xe030, RB_PROG_RPCBIND, 5, 1);
	gb_rpcb(&c, 1, 1, "udp", "0.0.0.0.0.1", "");
	gb_reset(&w);
	gb_reply_prog_mismatch(&w, 0xe030, 2, 4);
	GT_EXPECT(t, &l0, &c, &w);

	/* Procedure beyond the version's last: PROC_UNAVAIL. */
	static const struct {
		uint32_t vers, proc;
	} procs[] = { { 2, 6 }, { 2, 7 }, { 2, 12 }, { 2, 0xffffffffu },
		      { 3, 9 }, { 3, 10 }, { 3, 12 }, { 3, 13 },
		      { 4, 13 }, { 4, 14 }, { 4, 0x80000000u } };
	for (unsigned i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		gb_new_call(&c, 0xe040 + i, RB_PROG_RPCBIND, procs[i].vers,
			    procs[i].proc);
		gb_new_reply(&w, 0xe040 + i, RB_PROC_UNAVAIL);
		GT_EXPECT(t, &lo, &c, &w);
		GT_EXPECT(t, &l0, &c, &w);
	}
	gb_new_hex(&c, "0000e003 00000000 00000002 000186a0 00000004 0000000d"
		       "00000000 00000000 00000000 00000000");
	gb_new_hex(&w, "0000e003 00000001 00000000 00000000 00000000 00000003");
	GT_EXPECT(t, &lo, &c, &w);
	CHECK_EQ_U(rb_registry_count(t->reg), 0);
	gt_free(t);
}

/* A procedure's full arguments, for the truncation sweep. */
struct targs {
	uint32_t vers, proc;
	enum rb_outcome full; /* what the complete call gives */
	struct gbuf args;
};

/* Appends an entry to a (n of them so far) and returns its empty
 * argument buffer. */
static struct gbuf *add_targ(struct targs *a, int *n, uint32_t vers,
			     uint32_t proc, enum rb_outcome full)
{
	struct targs *e = &a[(*n)++];
	e->vers = vers;
	e->proc = proc;
	e->full = full;
	gb_reset(&e->args);
	return &e->args;
}

static void build_targs(struct targs *a, int *n)
{
	int i = 0;
	/* PMAP SET, UNSET, GETPORT */
	for (uint32_t p = 1; p <= 3; p++)
		gb_pmap(add_targ(a, &i, 2, p,
				 p == 3 ? RB_OUT_REPLY : RB_OUT_MUTATE),
			100003, 3, 17, 2049);
	/* v3/v4 SET, UNSET, GETADDR; v4 GETVERSADDR, GETADDRLIST. Strings
	 * of lengths 3, 11 and 1 so that the sweep also cuts inside the
	 * padding. */
	static const uint32_t rp[][2] = { { 3, 1 }, { 3, 2 }, { 3, 3 },
					  { 4, 1 }, { 4, 2 }, { 4, 3 },
					  { 4, 9 }, { 4, 11 } };
	for (unsigned k = 0; k < sizeof(rp) / sizeof(rp[0]); k++)
		gb_rpcb(add_targ(a, &i, rp[k][0], rp[k][1],
				 rp[k][1] <= 2 ? RB_OUT_MUTATE : RB_OUT_REPLY),
			100003, 3, "udp", "0.0.0.0.8.1", "x");
	/* UADDR2TADDR (string), TADDR2UADDR (netbuf) in v3 and v4. */
	for (uint32_t v = 3; v <= 4; v++) {
		gb_str(add_targ(a, &i, v, 7, RB_OUT_REPLY), "10.0.0.1.8.1");
		/* 13: 3 pad bytes */
		gb_str(add_targ(a, &i, v, 7, RB_OUT_REPLY), "10.0.0.1.8.10");
		gb_hex(add_targ(a, &i, v, 8, RB_OUT_REPLY),
		       "00000010 00000010 02000801 0a000001 00000000 00000000");
		gb_hex(add_targ(a, &i, v, 8, RB_OUT_REPLY),
		       "00000010 00000005 02000801 0a000000");
	}
	*n = i;
}

/* Truncated arguments at every offset: GARBAGE_ARGS, never SUCCESS with
 * partial data, never a mutation, never a crash (ASan checks the reads:
 * gt_call_raw hands over an exact-size heap copy). */
static void test_truncated_args(void)
{
	struct gt *t = gt_new();
	struct rb_xport xs[3] = { gx_udp_lo(40000), gx_tcp_lo(600),
				  gx_local(0) };
	static struct targs a[32];
	int n = 0;
	struct gbuf c, w;

	build_targs(a, &n);
	for (int i = 0; i < n; i++) {
		for (int xi = 0; xi < 3; xi++) {
			uint32_t xid = 0xe1000000u | (uint32_t)i << 8;
			gb_new_call(&c, xid, RB_PROG_RPCBIND, a[i].vers,
				    a[i].proc);
			size_t head = c.n;
			gb_raw(&c, a[i].args.b, a[i].args.n);
			/* The complete call works. */
			gt_call(t, &xs[xi], &c);
			CHECK_EQ_U(t->oc, a[i].full);
			CHECK_EQ_U(gt_accept_stat(t), RB_SUCCESS);
			gb_new_reply(&w, xid, RB_GARBAGE_ARGS);
			for (size_t k = 0; k < a[i].args.n; k++) {
				gt_call_raw(t, &xs[xi], c.b, head + k);
				rb_check.checks++;
				if (t->oc != RB_OUT_REPLY ||
				    t->outlen != w.n ||
				    memcmp(t->out, w.b, w.n) != 0) {
					rb_check.failures++;
					fprintf(stderr,
						"%s:%d: v%u proc %u xport %d "
						"args cut at %zu of %zu: "
						"outcome %d, not "
						"GARBAGE_ARGS\n",
						__FILE__, __LINE__, a[i].vers,
						a[i].proc, xi, k, a[i].args.n,
						(int)t->oc);
					rb_check_hex("got ", t->out,
						     t->outlen);
				}
			}
			/* Clean up what the complete SET stored. */
			if (a[i].proc == 1)
				rb_registry_unset(t->reg, 100003, 3, NULL,
						  NULL, &(unsigned){ 0 });
		}
	}
	CHECK_EQ_U(rb_registry_count(t->reg), 0);

	/* Remote-call procedures, cut: no reply, GARBAGE_ARGS or (INDIRECT)
	 * SYSTEM_ERR; never SUCCESS, never a mutation. */
	static const uint32_t rc[][2] = { { 2, 5 }, { 3, 5 }, { 4, 5 },
					  { 4, 10 } };
	for (unsigned i = 0; i < 4; i++) {
		gb_new_call(&c, 0xe2000000u + i, RB_PROG_RPCBIND, rc[i][0],
			    rc[i][1]);
		size_t head = c.n;
		gb_u32(&c, 100099);
		gb_u32(&c, 1);
		gb_u32(&c, 0);
		gb_opaque(&c, "abcde", 5);
		for (size_t k = head; k < c.n; k++) {
			gt_call_raw(t, &xs[0], c.b, k);
			CHECK(t->oc != RB_OUT_MUTATE);
			if (t->oc == RB_OUT_REPLY)
				CHECK(gt_accept_stat(t) == RB_GARBAGE_ARGS ||
				      gt_accept_stat(t) == RB_SYSTEM_ERR);
		}
	}

	/* The call header itself cut short. Before prog/vers/proc are
	 * complete (24 bytes): no reply. Cut inside the credential or the
	 * verifier: rpcbind is silent (xdr_callmsg fails); core/rpc_msg.c
	 * deliberately answers AUTH_ERROR BADCRED / BADVERF. Both accepted;
	 * never anything else. */
	gb_new_call(&c, 0xe3000000u, RB_PROG_RPCBIND, 2, 0);
	for (size_t k = 0; k < c.n; k++) {
		gt_call_raw(t, &xs[0], c.b, k);
		if (k < 24) {
			CHECK_EQ_U(t->oc, RB_OUT_DROP);
			continue;
		}
		CHECK(t->oc != RB_OUT_MUTATE);
		if (t->oc == RB_OUT_REPLY) {
			gb_reset(&w);
			gb_reply_auth(&w, 0xe3000000u,
				      k < 32 ? RB_AUTH_BADCRED
					     : RB_AUTH_BADVERF);
			CHECK_BYTES(t->out, t->outlen, w.b, w.n);
		}
	}
	/* A header with AUTH_SYS credentials cut inside them. */
	gb_reset(&c);
	gb_call_ex(&c, 0xe3000001u, 2, RB_PROG_RPCBIND, 2, 0, 1,
		   "\0\0\0\1\0\0\0\4host\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	for (size_t k = 0; k < c.n; k++) {
		gt_call_raw(t, &xs[0], c.b, k);
		CHECK(t->oc == RB_OUT_DROP ||
		      (t->oc == RB_OUT_REPLY && gt_accept_stat(t) != 0));
	}
	gt_free(t);
}

static void test_rpc_mismatch(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000), tcp = gx_tcp_lo(40000);
	struct gbuf c, w;

	gb_new_hex(&c, "0000e401 00000000 00000003 000186a0 00000002 00000000"
		       "00000000 00000000 00000000 00000000");
	gb_new_hex(&w, "0000e401 00000001 00000001 00000000 00000002 00000002");
	GT_EXPECT(t, &lo, &c, &w);
	GT_EXPECT(t, &tcp, &c, &w);
	static const uint32_t rv[] = { 0, 1, 4, 0xffffffffu };
	for (unsigned i = 0; i < 4; i++) {
		gb_reset(&c);
		gb_call_ex(&c, 0xe410 + i, rv[i], RB_PROG_RPCBIND, 4, 1, 0,
			   NULL, 0);
		gb_rpcb(&c, 1, 1, "udp", "0.0.0.0.0.1", "");
		gb_reset(&w);
		gb_reply_rpc_mismatch(&w, 0xe410 + i, 2, 2);
		GT_EXPECT(t, &lo, &c, &w);
	}
	/* A reply message is never answered. */
	gb_new_hex(&c, "0000e402 00000001 00000000 00000000 00000000 00000000");
	CHECK_EQ_U(gt_call(t, &lo, &c), RB_OUT_DROP);
	gb_new_hex(&c, "0000e403 00000002 00000002 000186a0 00000002 00000000"
		       "00000000 00000000 00000000 00000000");
	CHECK(gt_call(t, &lo, &c) != RB_OUT_MUTATE);
	if (t->oc == RB_OUT_REPLY)
		CHECK(gt_accept_stat(t) != RB_SUCCESS);
	CHECK_EQ_U(rb_registry_count(t->reg), 0);
	gt_free(t);
}

/* Credential flavors, as rpcbind answers them (PROTOCOL.md). */
static void test_auth(void)
{
	struct gt *t = gt_new();
	struct rb_xport lo = gx_udp_lo(40000);
	struct gbuf c, w, cred;

	/* AUTH_SYS {stamp 1, "host", uid 0, gid 0, gids <>}: accepted. */
	gb_new_hex(&cred, "00000001 00000004 686f7374"
			  " 00000000 00000000 00000000");
	gb_reset(&c);
	gb_call_ex(&c, 0xe501, 2, RB_PROG_RPCBIND, 2, 0, 1, cred.b,
		   (uint32_t)cred.n);
	gb_new_reply(&w, 0xe501, 0);
	GT_EXPECT(t, &lo, &c, &w);

	static const struct {
		uint32_t flavor;
		uint32_t why;
	} fl[] = { { 3, RB_AUTH_FAILED },   /* AUTH_DH */
		   { 6, RB_AUTH_BADCRED },  /* RPCSEC_GSS */
		   { 99, RB_AUTH_REJECTEDCRED },
		   { 0x7fffffffu, RB_AUTH_REJECTEDCRED } };
	for (unsigned i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
		gb_reset(&c);
		gb_call_ex(&c, 0xe510 + i, 2, RB_PROG_RPCBIND, 2, 0,
			   fl[i].flavor, "\0\0\0\0", 4);
		gb_reset(&w);
		gb_reply_auth(&w, 0xe510 + i, fl[i].why);
		GT_EXPECT(t, &lo, &c, &w);
	}

	/* Malformed AUTH_SYS bodies: BADCRED. */
	static const char *const bad[] = {
		"00000001",                                     /* cut */
		"00000001 00000004 686f7374 00000000 00000000", /* no gids */
		"00000001 00000004 686f7374 00000000 00000000 00000011"
		"00000000 00000000 00000000 00000000 00000000 00000000"
		"00000000 00000000 00000000 00000000 00000000 00000000"
		"00000000 00000000 00000000 00000000 00000000", /* 17 gids */
		"00000001 00000100", /* machine name longer than the body */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gb_new_hex(&cred, bad[i]);
		gb_reset(&c);
		gb_call_ex(&c, 0xe520 + i, 2, RB_PROG_RPCBIND, 2, 0, 1,
			   cred.b, (uint32_t)cred.n);
		gb_reset(&w);
		gb_reply_auth(&w, 0xe520 + i, RB_AUTH_BADCRED);
		GT_EXPECT(t, &lo, &c, &w);
	}

	/* A credential body over 400 bytes: never a SUCCESS. */
	static uint8_t big[404];
	gb_reset(&c);
	gb_call_ex(&c, 0xe530, 2, RB_PROG_RPCBIND, 2, 0, 1, big, sizeof big);
	gt_call(t, &lo, &c);
	CHECK(t->oc == RB_OUT_DROP ||
	      (t->oc == RB_OUT_REPLY && gt_accept_stat(t) != RB_SUCCESS));
	gt_free(t);
}

/* SET/UNSET only from AF_LOCAL, 127.0.0.1, ::1, ::ffff:127.0.0.1. */
static void test_tooweak(void)
{
	struct gt *t = gt_new();
	struct rb_xport rem = gx_udp_remote();
	struct rb_xport rtcp = gx_ip(RB_NETID_TCP, "10.1.2.3", 700, "10.1.2.1",
				     111);
	struct rb_xport lo2 = gx_ip(RB_NETID_UDP, "127.0.0.2", 600,
				    "127.0.0.1", 111);
	struct rb_xport r6 = gx_ip(RB_NETID_UDP6, "2001:db8::9", 600,
				   "2001:db8::1", 111);
	struct rb_xport m6 = gx_ip(RB_NETID_UDP6, "::ffff:127.0.0.1", 600,
				   "::ffff:127.0.0.1", 111);
	struct rb_xport u6 = gx_udp6_lo(), tcp = gx_tcp_lo(40000);
	struct gbuf c, w;

	gb_new_hex(&c, "0000e601 00000000 00000002 000186a0 00000002 00000001"
		       "00000000 00000000 00000000 00000000"
		       "000186a3 00000003 00000011 00000801");
	gb_new_hex(&w, "0000e601 00000001 00000001 00000001 00000005");
	GT_EXPECT(t, &rem, &c, &w);
	GT_EXPECT(t, &rtcp, &c, &w);
	GT_EXPECT(t, &lo2, &c, &w);
	GT_EXPECT(t, &r6, &c, &w);

	const struct rb_xport *deny[4] = { &rem, &rtcp, &lo2, &r6 };
	for (uint32_t v = 2; v <= 4; v++) {
		for (uint32_t p = 1; p <= 2; p++) {
			for (int d = 0; d < 4; d++) {
				uint32_t xid = 0xe600u + v * 16 + p * 4 +
					       (uint32_t)d;
				gb_new_call(&c, xid, RB_PROG_RPCBIND, v, p);
				if (v == 2)
					gb_pmap(&c, 100003, 3, 17, 2049);
				else
					gb_rpcb(&c, 100003, 3, "udp",
						"0.0.0.0.8.1", "superuser");
				gb_reset(&w);
				gb_reply_auth(&w, xid, RB_AUTH_TOOWEAK);
				GT_EXPECT(t, deny[d], &c, &w);
			}
		}
	}
	CHECK_EQ_U(rb_registry_count(t->reg), 0);

	/* Loopback peers may. */
	CHECK_EQ_U(gt_rpcb_change(t, &u6, 4, 1, 800000, 1, "udp6", "::.1.1",
				  ""), 1);
	CHECK_STR(t->mut.owner, "unknown");
	CHECK_EQ_U(gt_rpcb_change(t, &m6, 4, 1, 800000, 1, "tcp6", "::.1.2",
				  ""), 1);
	CHECK_STR(t->mut.owner, "superuser");
	CHECK_EQ_U(gt_pmap_change(t, &tcp, 1, 800000, 1, 6, 257), 1);
	CHECK_EQ_U(rb_registry_count(t->reg), 3);

	/* Lookups stay open to everyone. */
	CHECK_EQ_U(gt_getport(t, &rem, 800000, 1, 17), 0);
	GT_EXPECT_GETADDR(t, &r6, 4, 3, 800000, 1, "", "2001:db8::1.1.1");

	/* -i: anyone may, as "unknown" (a remote peer is never superuser,
	 * even from a privileged port). */
	t->policy.insecure = true;
	CHECK_EQ_U(gt_pmap_change(t, &rtcp, 1, 800001, 1, 6, 258), 1);
	CHECK_STR(t->mut.owner, "unknown");
	CHECK_EQ_U(gt_rpcb_change(t, &r6, 3, 1, 800001, 1, "udp6", "::.1.3",
				  ""), 1);
	CHECK_STR(t->mut.owner, "unknown");
	CHECK_EQ_U(gt_rpcb_change(t, &rem, 4, 2, 800001, 1, "", "", ""), 1);
	CHECK_EQ_U(rb_registry_count(t->reg), 3);
	gt_free(t);
}

/* CVE-2017-8779: a 60-byte v4 GETVERSADDR whose r_addr claims 1,000,000
 * bytes with nothing behind it. */
static void test_rpcbomb(void)
{
	struct gt *t = gt_new();
	struct rb_xport rem = gx_udp_remote(), tcp = gx_tcp_lo(40000);
	struct gbuf c, w;

	gb_new_hex(&c, "0000e701 00000000 00000002 000186a0 00000004 00000009"
		       "00000000 00000000 00000000 00000000"
		       "000186a3 00000003 00000003 75647000 000f4240");
	CHECK_EQ_U(c.n, 60);
	gb_new_hex(&w, "0000e701 00000001 00000000 00000000 00000000 00000004");
	GT_EXPECT(t, &rem, &c, &w);
	GT_EXPECT(t, &tcp, &c, &w);
	/* The same claim in the netid, the owner, and a netbuf. */
	static const struct {
		uint32_t vers, proc;
		const char *args;
	} claim[] = { { 3, 3, "000186a3 00000003 000f4240" },
		      { 4, 11, "000186a3 00000003 00000000 00000000 ffffffff" },
		      { 4, 8, "ffffffff fffffffc 00000000" } };
	for (unsigned i = 0; i < sizeof(claim) / sizeof(claim[0]); i++) {
		gb_new_call(&c, 0xe702 + i, RB_PROG_RPCBIND, claim[i].vers,
			    claim[i].proc);
		gb_hex(&c, claim[i].args);
		gb_new_reply(&w, 0xe702 + i, RB_GARBAGE_ARGS);
		GT_EXPECT(t, &rem, &c, &w);
	}
	gt_free(t);
}

RB_TEST_MAIN({
	test_prog_vers_proc();
	test_truncated_args();
	test_rpc_mismatch();
	test_auth();
	test_tooweak();
	test_rpcbomb();
})
