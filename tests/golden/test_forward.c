/* Golden bytes of remote calls (registry/procs/remote_call.h): the deny list, the
 * decision rb_handle_call_ex takes for PMAP v2 CALLIT, RPCBIND v3 CALLIT,
 * v4 BCAST and INDIRECT, the forwarded call's bytes, and the caller's
 * answer built from the service's reply (well-formed, errors, truncated,
 * garbage, too big for a datagram, larger than the call). */
#include "golden_exchange.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SVC 400500u
#define FXID 0x11223344u /* the "random" xid the transport would pick */
#define UDP_REPLY_MAX 8800u /* net/base/limits.h RB_UDP_REPLY_MAX */

static uint8_t fwd_bytes[9000];
static size_t fwd_len;

/* One call through rb_handle_call_ex with a forward slot; for
 * RB_OUT_FORWARD the forwarded call is encoded (xid FXID) into fwd_bytes
 * while the message still exists. */
static enum rb_outcome fcall(struct gt *t, const struct rb_xport *x, const struct gbuf *c,
			     struct rb_fwd_req *f)
{
	uint8_t *copy = malloc(c->n ? c->n : 1);
	if (!copy)
		abort();
	memcpy(copy, c->b, c->n);
	memset(f, 0xa5, sizeof(*f));
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, t->out, sizeof(t->out));
	rb_reader_begin(t->rd);
	t->oc = rb_handle_call_ex(&t->ctx, x, copy, (uint32_t)c->n, &e, &t->mut, f);
	rb_reader_end(t->rd);
	t->outlen = t->oc == RB_OUT_REPLY && !e.err ? e.pos : 0;
	fwd_len = 0;
	if (t->oc == RB_OUT_FORWARD) {
		struct rb_xdr_enc fe;
		rb_xdr_enc_init(&fe, fwd_bytes, sizeof(fwd_bytes));
		CHECK_EQ_U(rb_fwd_put_call(&fe, f, FXID), 0);
		fwd_len = fe.pos;
	}
	free(copy);
	return t->oc;
}

/* fcall answers (no forward, no drop) with exactly the bytes of want. A
 * macro, as GT_EXPECT, so that a failure names the caller's line. */
#define FCALL_EXPECT(t, x, c, f, want)                                        \
	do {                                                                  \
		CHECK_EQ_U(fcall((t), (x), (c), (f)), RB_OUT_REPLY);           \
		CHECK_BYTES((t)->out, (t)->outlen, (want)->b, (want)->n);     \
	} while (0)

static const uint8_t add_args[8] = { 0, 0, 0, 3, 0, 0, 0, 4 };

/* The kinds of remote call: (port mapper version, procedure). */
static const uint32_t kinds[4][2] = { { 2, 5 }, { 3, 5 }, { 4, 5 }, { 4, 10 } };

static struct gt *setup(void)
{
	struct gt *t = gt_new();
	struct rb_xport l0 = gx_local(0);
	t->policy.remote_calls = true;
	/* Port 5000 on udp, 5001 on udp6; version 2 and 4 of another. */
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 4, 1, SVC, 1, "udp", "0.0.0.0.19.136", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 4, 1, SVC, 1, "udp6", "::.19.137", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 4, 1, SVC + 1, 2, "udp", "0.0.0.0.19.138", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 4, 1, SVC + 1, 4, "udp", "0.0.0.0.19.139", ""), 1);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 4, 1, SVC + 1, 3, "tcp", "0.0.0.0.19.140", ""), 1);
	/* A port that cannot be reached. */
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 4, 1, SVC + 2, 1, "udp", "0.0.0.0.0.0", ""), 1);
	return t;
}

static void test_deny_list(void)
{
	static const struct {
		uint32_t prog, proc;
		bool denied;
	} v[] = {
		{ 100000, 0, false }, { 100000, 1, true },   { 100000, 3, true },
		{ 100000, 5, true },  { 100003, 0, false },  { 100003, 1, true },
		{ 100003, 22, true }, { 100005, 0, false },  { 100005, 1, true },
		{ 100005, 2, false }, { 100005, 3, true },   { 100005, 5, false },
		{ 100004, 0, false }, { 100004, 1, false },  { 100004, 2, false },
		{ 100004, 3, true },  { 100004, 4, true },   { 100004, 5, true },
		{ 100004, 6, false }, { 100004, 8, true },   { 100004, 9, false },
		{ 100007, 0, false }, { 100007, 1, false },  { 100007, 2, true },
		{ 100007, 3, false }, { 100009, 0, false },  { 100009, 1, true },
		{ 100011, 0, false }, { 100011, 1, true },   { 100011, 2, true },
		{ 100021, 1, false }, { 100024, 1, false },  { SVC, 1, false },
		{ 100001, 1, false }, { 100002, 7, false },  { 0xffffffffu, 1, false },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool d = rb_fwd_denied(v[i].prog, v[i].proc);
		if (d != v[i].denied)
			fprintf(stderr, "deny list: prog %u proc %u: %d\n", v[i].prog, v[i].proc, d);
		CHECK(d == v[i].denied);
	}

	/* Answered TOOWEAK by every kind, registered or not, before any
	 * lookup; CALLIT too (rpcbind's svcerr_weakauth). */
	struct gt *t = setup();
	struct rb_xport lo = gx_udp_lo(40000);
	struct rb_fwd_req f;
	struct gbuf c, w;
	static const struct {
		uint32_t xid, prog, vers;
		const char *args;
		uint32_t alen;
	} denied[2] = { { 0xd0000000u, 100003, 3, NULL, 0 }, { 0xd1000000u, 100005, 1, "x", 1 } };
	for (unsigned k = 0; k < 4; k++) {
		for (unsigned d = 0; d < 2; d++) {
			uint32_t xid = denied[d].xid + k;
			gb_rmtcall(&c, xid, kinds[k][0], kinds[k][1], denied[d].prog, denied[d].vers, 1,
				   denied[d].args, denied[d].alen);
			gb_reset(&w);
			gb_reply_auth(&w, xid, 5);
			FCALL_EXPECT(t, &lo, &c, &f, &w);
			CHECK(f.denied);
		}
	}
	/* NFS NULL is not denied: unregistered, so INDIRECT's PROG_UNAVAIL. */
	gb_rmtcall(&c, 0xd2000000u, 4, 10, 100003, 3, 0, NULL, 0);
	gb_new_reply(&w, 0xd2000000u, RB_PROG_UNAVAIL);
	FCALL_EXPECT(t, &lo, &c, &f, &w);
	CHECK(!f.denied);
	/* A call that is no remote call leaves denied false. */
	gb_new_call(&c, 0xd3000000u, RB_PROG_RPCBIND, 2, 0);
	CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_REPLY);
	CHECK(!f.denied);
	gt_free(t);
}

static void test_forward_decision(void)
{
	struct gt *t = setup();
	struct rb_xport lo = gx_udp_lo(40000), lo6 = gx_udp6_lo();
	struct rb_fwd_req f;
	struct gbuf c, w;

	/* PMAP v2 CALLIT of ADD {3, 4}. */
	gb_rmtcall(&c, 0x0a000001u, 2, 5, SVC, 1, 1, add_args, 8);
	CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_FORWARD);
	CHECK_EQ_U(t->outlen, 0);
	CHECK(!f.denied);
	CHECK_EQ_U(f.family, RB_AF_INET);
	CHECK_EQ_U(f.port, 5000);
	CHECK_EQ_U(f.prog, SVC);
	CHECK_EQ_U(f.vers, 1);
	CHECK_EQ_U(f.proc, 1);
	CHECK_EQ_U(f.cred_flavor, 0);
	CHECK_EQ_U(f.args_len, 8);
	CHECK_EQ_U(f.shape.xid, 0x0a000001u);
	CHECK_EQ_U(f.shape.rvers, 2);
	CHECK_EQ_U(f.shape.kind, RB_FWD_CALLIT);
	CHECK_EQ_U(f.shape.port, 5000);
	CHECK_STR(f.shape.uaddr, "127.0.0.1.19.136");
	CHECK_EQ_U(f.shape.uaddr_len, 16);
	CHECK(!f.shape.guard);
	CHECK_EQ_U(f.shape.call_len, c.n);
	/* The forwarded call: FXID, CALL, rpcvers 2, prog, vers, proc,
	 * AUTH_NONE, verifier AUTH_NONE, the arguments' bytes. */
	gb_new_hex(&w, "11223344 00000000 00000002 00061c74 00000001 00000001"
		       "00000000 00000000 00000000 00000000"
		       "00000003 00000004");
	CHECK_BYTES(fwd_bytes, fwd_len, w.b, w.n);

	/* v3 CALLIT, v4 BCAST and INDIRECT decide the same; only the shape
	 * differs. */
	for (unsigned k = 1; k < 4; k++) {
		gb_rmtcall(&c, 0x0a000010u + k, kinds[k][0], kinds[k][1], SVC, 1, 1, add_args, 8);
		CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_FORWARD);
		CHECK_EQ_U(f.shape.rvers, kinds[k][0]);
		CHECK_EQ_U(f.shape.kind, k == 3 ? RB_FWD_INDIRECT : RB_FWD_CALLIT);
		CHECK_STR(f.shape.uaddr, "127.0.0.1.19.136");
		CHECK_BYTES(fwd_bytes, fwd_len, w.b, w.n);
	}

	/* Arguments whose length is no multiple of four are padded. */
	gb_rmtcall(&c, 0x0a000020u, 3, 5, SVC, 1, 7, "abcde", 5);
	CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_FORWARD);
	gb_new_hex(&w, "11223344 00000000 00000002 00061c74 00000001 00000007"
		       "00000000 00000000 00000000 00000000"
		       "61626364 65000000");
	CHECK_BYTES(fwd_bytes, fwd_len, w.b, w.n);

	/* AUTH_SYS: the credential is passed on verbatim; the verifier the
	 * caller sent (AUTH_NONE with a body here) is not. */
	gb_new_hex(&c, "0a000030 00000000 00000002 000186a0 00000004 0000000a"
		       "00000001 00000020 00005eed 00000007 66776474 65737400"
		       "000004d2 000004d2 00000001 000004d2"
		       "00000000 00000004 cafebabe"
		       "00061c74 00000001 00000003 00000000");
	CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_FORWARD);
	CHECK_EQ_U(f.cred_flavor, 1);
	gb_new_hex(&w, "11223344 00000000 00000002 00061c74 00000001 00000003"
		       "00000001 00000020 00005eed 00000007 66776474 65737400"
		       "000004d2 000004d2 00000001 000004d2"
		       "00000000 00000000");
	CHECK_BYTES(fwd_bytes, fwd_len, w.b, w.n);

	/* udp6: the udp6 registration, at ::1. */
	gb_rmtcall(&c, 0x0a000040u, 4, 10, SVC, 1, 1, add_args, 8);
	CHECK_EQ_U(fcall(t, &lo6, &c, &f), RB_OUT_FORWARD);
	CHECK_EQ_U(f.family, RB_AF_INET6);
	CHECK_EQ_U(f.port, 5001);
	CHECK_STR(f.shape.uaddr, "::1.19.137");

	/* A specific registered address is answered as registered. */
	struct rb_xport l0 = gx_local(0);
	CHECK_EQ_U(gt_rpcb_change(t, &l0, 4, 1, SVC + 3, 1, "udp", "10.0.0.7.4.0", ""), 1);
	gb_rmtcall(&c, 0x0a000050u, 3, 5, SVC + 3, 1, 0, NULL, 0);
	CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_FORWARD);
	CHECK_EQ_U(f.port, 1024);
	CHECK_STR(f.shape.uaddr, "10.0.0.7.4.0");
	gt_free(t);
}

static void test_errors_before_forwarding(void)
{
	struct gt *t = setup();
	struct rb_xport lo = gx_udp_lo(40000);
	struct rb_fwd_req f;
	struct gbuf c, w;

	/* Not registered: INDIRECT PROG_UNAVAIL, the rest silent. */
	for (unsigned k = 0; k < 4; k++) {
		gb_rmtcall(&c, 0x0b000000u + k, kinds[k][0], kinds[k][1], 400599, 1, 1, NULL, 0);
		if (k < 3) {
			CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_DROP);
		} else {
			gb_new_reply(&w, 0x0b000003u, RB_PROG_UNAVAIL);
			FCALL_EXPECT(t, &lo, &c, &f, &w);
		}
	}
	/* Another version registered (2 and 4 on udp; 3 on tcp does not
	 * count): INDIRECT PROG_MISMATCH 2..4, the rest silent. */
	gb_rmtcall(&c, 0x0b000010u, 4, 10, SVC + 1, 3, 1, NULL, 0);
	gb_reset(&w);
	gb_reply_prog_mismatch(&w, 0x0b000010u, 2, 4);
	FCALL_EXPECT(t, &lo, &c, &f, &w);
	gb_rmtcall(&c, 0x0b000011u, 3, 5, SVC + 1, 3, 1, NULL, 0);
	CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_DROP);
	/* Port 0: cannot be reached. */
	gb_rmtcall(&c, 0x0b000020u, 4, 10, SVC + 2, 1, 1, NULL, 0);
	gb_new_reply(&w, 0x0b000020u, RB_PROG_UNAVAIL);
	FCALL_EXPECT(t, &lo, &c, &f, &w);
	gb_rmtcall(&c, 0x0b000021u, 2, 5, SVC + 2, 1, 1, NULL, 0);
	CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_DROP);
	/* Garbage arguments: INDIRECT GARBAGE_ARGS, CALLIT silent; every
	 * cut of the arguments. */
	for (unsigned k = 0; k < 4; k++) {
		gb_rmtcall(&c, 0x0b000030u + k, kinds[k][0], kinds[k][1], SVC, 1, 1, add_args, 8);
		for (size_t cut = 40; cut < c.n; cut++) {
			struct gbuf d = c;
			d.n = cut;
			enum rb_outcome o = fcall(t, &lo, &d, &f);
			if (k < 3) {
				CHECK_EQ_U(o, RB_OUT_DROP);
			} else {
				CHECK_EQ_U(o, RB_OUT_REPLY);
				CHECK_EQ_U(gt_accept_stat(t), RB_GARBAGE_ARGS);
			}
		}
	}
	gt_free(t);
}

/* With forwarding off, no slot, or a stream: the behaviour of before. */
static void test_off_unchanged(void)
{
	struct gt *t = setup();
	struct rb_xport lo = gx_udp_lo(40000), tcp = gx_tcp_lo(40000);
	struct rb_fwd_req f;
	struct gbuf c, w;

	/* Off over UDP; on over TCP. */
	for (int mode = 0; mode < 2; mode++) {
		t->policy.remote_calls = mode != 0;
		const struct rb_xport *x = mode == 1 ? &tcp : &lo;
		for (unsigned k = 0; k < 3; k++) {
			gb_rmtcall(&c, 0x0c000000u + k, kinds[k][0], kinds[k][1], SVC, 1, 1, add_args, 8);
			CHECK_EQ_U(fcall(t, x, &c, &f), RB_OUT_DROP);
			CHECK(!f.denied);
			/* The deny list answers over UDP, forwarding off or
			 * not, as rpcbind; over TCP CALLIT is dropped first. */
			gb_rmtcall(&c, 0x0c000010u + k, kinds[k][0], kinds[k][1], 100003, 3, 1, NULL, 0);
			CHECK_EQ_U(fcall(t, x, &c, &f), mode == 1 ? RB_OUT_DROP : RB_OUT_REPLY);
		}
		gb_rmtcall(&c, 0x0c000020u, 4, 10, SVC, 1, 1, add_args, 8);
		/* Over TCP the program is not registered on tcp. */
		gb_new_reply(&w, 0x0c000020u, mode == 1 ? RB_PROG_UNAVAIL : RB_SYSTEM_ERR);
		FCALL_EXPECT(t, x, &c, &f, &w);
	}
	/* remote_calls on but no slot (rb_handle_call): as off. */
	t->policy.remote_calls = true;
	gb_rmtcall(&c, 0x0c000030u, 2, 5, SVC, 1, 1, add_args, 8);
	CHECK_EQ_U(gt_call(t, &lo, &c), RB_OUT_DROP);
	gb_rmtcall(&c, 0x0c000031u, 4, 10, SVC, 1, 1, add_args, 8);
	gb_new_reply(&w, 0x0c000031u, RB_SYSTEM_ERR);
	GT_EXPECT(t, &lo, &c, &w);
	gt_free(t);
}

/* The reflection guard: set from the policy for an untrusted UDP peer. */
static void test_guard_shape(void)
{
	struct gt *t = setup();
	struct rb_xport rem = gx_udp_remote(), lo = gx_udp_lo(40000);
	struct rb_fwd_req f;
	struct gbuf c;
	t->policy.reflect_guard = true;
	gb_rmtcall(&c, 0x0d000001u, 3, 5, SVC, 1, 1, add_args, 8);
	CHECK_EQ_U(fcall(t, &rem, &c, &f), RB_OUT_FORWARD);
	CHECK(f.shape.guard);
	CHECK(!f.shape.guard_drop);
	CHECK_EQ_U(f.shape.call_len, c.n);
	/* Merged with the arrival address of the remote call. */
	CHECK_STR(f.shape.uaddr, "10.1.2.1.19.136");
	t->policy.reflect_drop = true;
	CHECK_EQ_U(fcall(t, &rem, &c, &f), RB_OUT_FORWARD);
	CHECK(f.shape.guard && f.shape.guard_drop);
	CHECK_EQ_U(fcall(t, &lo, &c, &f), RB_OUT_FORWARD);
	CHECK(!f.shape.guard);
	gt_free(t);
}

/* ---- the answer ---- */

static struct rb_fwd_shape shape(uint32_t xid, uint8_t rvers, enum rb_fwd_kind kind)
{
	struct rb_fwd_shape s;
	memset(&s, 0, sizeof(s));
	s.xid = xid;
	s.rvers = rvers;
	s.kind = (uint8_t)kind;
	s.port = 5000;
	strcpy(s.uaddr, "127.0.0.1.19.136");
	s.uaddr_len = 16;
	s.call_len = 64;
	return s;
}

static uint8_t ans[16384];

/* rb_fwd_put_answer over an exact-size heap copy of rep, into an encoder
 * of RB_UDP_REPLY_MAX (limit) with a few bytes already in it (the answer
 * is written at the encoder's position). Returns the status; *n the
 * answer's length. */
static enum rb_fwd_status answer(const struct rb_fwd_shape *s, const void *rep, size_t len,
				 size_t *n)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, rep, len);
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, ans, sizeof(ans));
	e.limit = UDP_REPLY_MAX + 8;
	rb_xdr_put_u32(&e, 0x5a5a5a5au);
	rb_xdr_put_u32(&e, 0x5a5a5a5au);
	enum rb_fwd_status st = rb_fwd_put_answer(&e, s, copy, (uint32_t)len);
	free(copy);
	CHECK_EQ_U(e.err, 0);
	CHECK(ans[0] == 0x5a && ans[7] == 0x5a);
	*n = e.pos - 8;
	memmove(ans, ans + 8, *n);
	return st;
}

/* The service's error rep: INDIRECT (si) repeats it under its caller's
 * xid (the same bytes but the first four), CALLIT (sc) says nothing. */
static void expect_repeated(const struct rb_fwd_shape *sc, const struct rb_fwd_shape *si,
			    const struct gbuf *rep)
{
	struct gbuf w;
	size_t n;
	gb_reset(&w);
	gb_u32(&w, si->xid);
	gb_raw(&w, rep->b + 4, rep->n - 4);
	CHECK_EQ_U(answer(sc, rep->b, rep->n, &n), RB_FWD_SVC_ERROR);
	CHECK_EQ_U(n, 0);
	CHECK_EQ_U(answer(si, rep->b, rep->n, &n), RB_FWD_SVC_ERROR);
	CHECK_BYTES(ans, n, w.b, w.n);
}

/* The first len bytes of rep give status st and SYSTEM_ERR to the caller
 * of s (an INDIRECT, which must answer something). */
static void expect_system_err(const struct rb_fwd_shape *s, const void *rep, size_t len,
			      enum rb_fwd_status st)
{
	struct gbuf w;
	size_t n;
	gb_new_reply(&w, s->xid, RB_SYSTEM_ERR);
	CHECK_EQ_U(answer(s, rep, len, &n), st);
	CHECK_BYTES(ans, n, w.b, w.n);
}

/* The first len bytes of rep give status st and no answer at all to the
 * caller of s (a CALLIT or BCAST, or a guard that drops). */
static void expect_silence(const struct rb_fwd_shape *s, const void *rep, size_t len,
			   enum rb_fwd_status st)
{
	size_t n;
	CHECK_EQ_U(answer(s, rep, len, &n), st);
	CHECK_EQ_U(n, 0);
}

/* The first len bytes of rep are relayed to the caller of s in an answer
 * of want_n bytes. */
static void expect_relayed(const struct rb_fwd_shape *s, const void *rep, size_t len,
			   size_t want_n)
{
	size_t n;
	CHECK_EQ_U(answer(s, rep, len, &n), RB_FWD_RELAYED);
	CHECK_EQ_U(n, want_n);
}

static void test_answers(void)
{
	struct gbuf rep, w;
	size_t n;
	/* The service's SUCCESS with the sum 7. */
	gb_reply_u32(&rep, FXID, 7);

	struct rb_fwd_shape s2 = shape(0x0e000002u, 2, RB_FWD_CALLIT);
	CHECK_EQ_U(answer(&s2, rep.b, rep.n, &n), RB_FWD_RELAYED);
	gb_new_hex(&w, "0e000002 00000001 00000000 00000000 00000000 00000000"
		       "00001388 00000004 00000007");
	CHECK_BYTES(ans, n, w.b, w.n);

	struct rb_fwd_shape s3 = shape(0x0e000003u, 3, RB_FWD_CALLIT);
	CHECK_EQ_U(answer(&s3, rep.b, rep.n, &n), RB_FWD_RELAYED);
	gb_new_hex(&w, "0e000003 00000001 00000000 00000000 00000000 00000000"
		       "00000010 3132372e 302e302e 312e3139 2e313336"
		       "00000004 00000007");
	CHECK_BYTES(ans, n, w.b, w.n);

	struct rb_fwd_shape s4 = shape(0x0e000004u, 4, RB_FWD_CALLIT);
	CHECK_EQ_U(answer(&s4, rep.b, rep.n, &n), RB_FWD_RELAYED);
	w.b[3] = 0x04;
	CHECK_BYTES(ans, n, w.b, w.n);
	struct rb_fwd_shape si = shape(0x0e000004u, 4, RB_FWD_INDIRECT);
	CHECK_EQ_U(answer(&si, rep.b, rep.n, &n), RB_FWD_RELAYED);
	CHECK_BYTES(ans, n, w.b, w.n);

	/* A service verifier (flavor 1, 8 bytes) is skipped; void results. */
	gb_new_hex(&rep, "11223344 00000001 00000000 00000001 00000008 01020304 05060708 00000000");
	CHECK_EQ_U(answer(&s2, rep.b, rep.n, &n), RB_FWD_RELAYED);
	gb_new_hex(&w, "0e000002 00000001 00000000 00000000 00000000 00000000"
		       "00001388 00000000");
	CHECK_BYTES(ans, n, w.b, w.n);
	/* Results that are no multiple of four: passed as an opaque, padded. */
	gb_new_hex(&rep, "11223344 00000001 00000000 00000000 00000000 00000000 616263");
	CHECK_EQ_U(answer(&s3, rep.b, rep.n, &n), RB_FWD_RELAYED);
	gb_new_hex(&w, "0e000003 00000001 00000000 00000000 00000000 00000000"
		       "00000010 3132372e 302e302e 312e3139 2e313336"
		       "00000003 61626300");
	CHECK_BYTES(ans, n, w.b, w.n);
}

static void test_service_errors(void)
{
	struct gbuf rep, w;
	struct rb_fwd_shape sc = shape(0x0f000001u, 3, RB_FWD_CALLIT);
	struct rb_fwd_shape si = shape(0x0f000002u, 4, RB_FWD_INDIRECT);
	/* Accepted errors: INDIRECT repeats them, CALLIT says nothing. */
	static const uint32_t acc[] = { 1, 3, 4, 5 };
	for (unsigned i = 0; i < 4; i++) {
		gb_new_reply(&rep, FXID, acc[i]);
		expect_repeated(&sc, &si, &rep);
	}
	/* An accept_stat beyond SYSTEM_ERR: SYSTEM_ERR. */
	gb_new_reply(&rep, FXID, 9);
	expect_system_err(&si, rep.b, rep.n, RB_FWD_SVC_ERROR);
	/* PROG_MISMATCH with its range. */
	gb_reset(&rep);
	gb_reply_prog_mismatch(&rep, FXID, 1, 3);
	expect_repeated(&sc, &si, &rep);
	/* ... without its range: garbled, SYSTEM_ERR. */
	expect_system_err(&si, rep.b, rep.n - 4, RB_FWD_GARBLED);
	/* Denied: AUTH_ERROR TOOWEAK, RPC_MISMATCH, an unknown auth_stat. */
	gb_reset(&rep);
	gb_reply_auth(&rep, FXID, 5);
	expect_repeated(&sc, &si, &rep);
	gb_reset(&rep);
	gb_reply_rpc_mismatch(&rep, FXID, 2, 2);
	expect_repeated(&sc, &si, &rep);
	gb_reset(&rep);
	gb_reply_auth(&rep, FXID, 13);
	expect_system_err(&si, rep.b, rep.n, RB_FWD_SVC_ERROR);

	/* A timeout (or a call that could not be sent). */
	uint8_t buf[64];
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_fwd_put_failure(&e, &sc);
	CHECK_EQ_U(e.pos, 0);
	rb_fwd_put_failure(&e, &si);
	gb_new_reply(&w, 0x0f000002u, RB_SYSTEM_ERR);
	CHECK_BYTES(buf, e.pos, w.b, w.n);
}

static void test_garbage_replies(void)
{
	struct gbuf rep;
	struct rb_fwd_shape sc = shape(0x10000001u, 2, RB_FWD_CALLIT);
	struct rb_fwd_shape si = shape(0x10000002u, 4, RB_FWD_INDIRECT);

	/* Every cut of a SUCCESS reply with a verifier: short of the
	 * accept_stat, garbled (SYSTEM_ERR / nothing); past it, relayed with
	 * shorter results. */
	gb_new_hex(&rep, "11223344 00000001 00000000 00000001 00000008 01020304 05060708"
			 "00000000 00000007 00000009");
	for (size_t cut = 0; cut <= rep.n; cut++) {
		if (cut < 32) {
			expect_system_err(&si, rep.b, cut, RB_FWD_GARBLED);
			expect_silence(&sc, rep.b, cut, RB_FWD_GARBLED);
		} else {
			/* header, the address (16), the results' length */
			expect_relayed(&si, rep.b, cut,
				       24 + 4 + 16 + 4 + ((cut - 32 + 3) & ~(size_t)3));
		}
	}
	/* A CALL, an unknown reply_stat, an unknown reject_stat, a verifier
	 * claiming 2^32-1 bytes or over 400. */
	static const char *bad[] = {
		"11223344 00000000 00000000 00000000 00000000 00000000",
		"11223344 00000001 00000002 00000000 00000000 00000000",
		"11223344 00000001 00000001 00000007 00000001",
		"11223344 00000001 00000000 00000000 ffffffff 00000000",
		"11223344 00000001 00000000 00000000 00000194 00000000",
		"11223344",
		"",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gb_new_hex(&rep, bad[i]);
		expect_system_err(&si, rep.b, rep.n, RB_FWD_GARBLED);
		expect_silence(&sc, rep.b, rep.n, RB_FWD_GARBLED);
	}

	/* The xid of a reply. */
	uint32_t xid = 0;
	gb_new_reply(&rep, 0xfeedf00du, 0);
	CHECK_EQ_U(rb_fwd_reply_xid(rep.b, (uint32_t)rep.n, &xid), 0);
	CHECK_EQ_U(xid, 0xfeedf00du);
	CHECK_EQ_U(rb_fwd_reply_xid(rep.b, 7, &xid), -EBADMSG);
	gb_new_call(&rep, 0x1234, SVC, 1, 1);
	CHECK_EQ_U(rb_fwd_reply_xid(rep.b, (uint32_t)rep.n, &xid), -EBADMSG);
}

static void test_sizes(void)
{
	static struct gbuf rep;
	struct rb_fwd_shape s2 = shape(0x11000002u, 2, RB_FWD_CALLIT);
	struct rb_fwd_shape si = shape(0x11000004u, 4, RB_FWD_INDIRECT);
	struct rb_fwd_shape sb = shape(0x11000005u, 4, RB_FWD_CALLIT);

	/* v2: 24 + 4 (port) + 4 (length) + results. Results of exactly 8768
	 * bytes fill RB_UDP_REPLY_MAX; 8772 pass it. */
	static uint8_t big[9000];
	memset(big, 0xab, sizeof(big));
	gb_new_reply(&rep, FXID, 0);
	gb_raw(&rep, big, 8768);
	expect_relayed(&s2, rep.b, rep.n, UDP_REPLY_MAX);
	gb_raw(&rep, big, 4);
	expect_silence(&s2, rep.b, rep.n, RB_FWD_TOO_BIG);
	/* v4: 24 + 4 + 16 (the address) + 4 + results: 8752 fit. */
	gb_new_reply(&rep, FXID, 0);
	gb_raw(&rep, big, 8752);
	expect_relayed(&si, rep.b, rep.n, UDP_REPLY_MAX);
	/* One more byte, padded to four: over. INDIRECT SYSTEM_ERR, BCAST
	 * nothing. */
	gb_raw(&rep, big, 1);
	expect_system_err(&si, rep.b, rep.n, RB_FWD_TOO_BIG);
	expect_silence(&sb, rep.b, rep.n, RB_FWD_TOO_BIG);

	/* The reflection guard: the answer no larger than the call. */
	struct rb_fwd_shape g = shape(0x11000004u, 4, RB_FWD_INDIRECT);
	g.guard = true;
	g.call_len = 60;
	gb_new_reply(&rep, FXID, 0);
	gb_raw(&rep, big, 8); /* 24 + 4 + 16 + 4 + 8 = 56 */
	expect_relayed(&g, rep.b, rep.n, 56);
	gb_raw(&rep, big, 4); /* 60: still fits */
	expect_relayed(&g, rep.b, rep.n, 60);
	gb_raw(&rep, big, 4); /* 64: over */
	expect_system_err(&g, rep.b, rep.n, RB_FWD_REFLECT);
	g.guard_drop = true;
	expect_silence(&g, rep.b, rep.n, RB_FWD_REFLECT);
	g.kind = RB_FWD_CALLIT;
	g.guard_drop = false;
	expect_silence(&g, rep.b, rep.n, RB_FWD_REFLECT);

	/* The forwarded call never outgrows its encoder silently. */
	struct rb_fwd_req f;
	memset(&f, 0, sizeof(f));
	f.prog = SVC;
	f.vers = 1;
	f.proc = 1;
	f.args = big;
	f.args_len = 100;
	uint8_t small[64];
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, small, sizeof(small));
	CHECK(rb_fwd_put_call(&e, &f, FXID) < 0);
	rb_xdr_enc_init(&e, small, sizeof(small));
	f.args_len = 24; /* 40 + 24 = 64: fits exactly */
	CHECK_EQ_U(rb_fwd_put_call(&e, &f, FXID), 0);
	CHECK_EQ_U(e.pos, 64);
}

RB_TEST_MAIN({
	test_deny_list();
	test_forward_decision();
	test_errors_before_forwarding();
	test_off_unchanged();
	test_guard_shape();
	test_answers();
	test_service_errors();
	test_garbage_replies();
	test_sizes();
})
