/* The header dispatch hands back (rb_handle_call_full's struct
 * rb_call_head): the transport labels its metrics and writes its debug
 * line from it instead of decoding the call again (issue 19), so it must
 * give the labels that reading the call's bytes gives (rb_rq_classify_call)
 * for every kind of message: calls of each version and procedure, other
 * programs, RPC_MISMATCH (rpcvers 3, whole or cut short), AUTH_ERROR,
 * replies and truncations; and the xid, prog, vers and proc it names must
 * be the call's. */
#include <string.h>

#include "check.h"
#include "core/rpc_msg.h"
#include "registry/procs/dispatch.h"
#include "registry/stats/reqstats.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* xid, mtype, rpcvers, prog, vers, proc, AUTH_NONE cred and verf: 40 bytes. */
static uint32_t msg(uint8_t *b, uint32_t mtype, uint32_t rpcvers, uint32_t prog,
		    uint32_t vers, uint32_t proc)
{
	memset(b, 0, 64);
	put32(b, 0x1234abcdu);
	put32(b + 4, mtype);
	put32(b + 8, rpcvers);
	put32(b + 12, prog);
	put32(b + 16, vers);
	put32(b + 20, proc);
	return 40;
}

static unsigned checked;

/* One message through dispatch; its head against its bytes. */
static void one(const struct rb_handler_ctx *ctx, const uint8_t *b, uint32_t len)
{
	struct rb_xport x = { .netid = RB_NETID_UDP, .peer_uid = -1 };
	x.peer.family = RB_AF_INET;
	x.peer.ip[0] = 127;
	x.peer.ip[3] = 1;
	x.peer.port = 700;
	uint8_t obuf[512];
	struct rb_xdr_enc out;
	rb_xdr_enc_init(&out, obuf, sizeof(obuf));
	struct rb_mutation mut;
	struct rb_call_head h;
	memset(&h, 0xa5, sizeof(h));
	(void)rb_handle_call_full(ctx, &x, b, len, &out, &mut, NULL, NULL, &h);

	unsigned vi, pi, hvi, hpi;
	rb_rq_classify_call(b, len, &vi, &pi);
	rb_rq_labels(h.whole, h.prog, h.vers, h.proc, &hvi, &hpi);
	CHECK_EQ_U(hvi, vi);
	CHECK_EQ_U(hpi, pi);
	bool whole = len >= 24 && get32(b + 4) == 0;
	CHECK_EQ_U(h.whole, whole);
	if (whole) {
		CHECK_EQ_U(h.xid, get32(b));
		CHECK_EQ_U(h.prog, get32(b + 12));
		CHECK_EQ_U(h.vers, get32(b + 16));
		CHECK_EQ_U(h.proc, get32(b + 20));
	}
	checked++;
}

static void run(void)
{
	struct rb_registry *reg;
	CHECK_EQ_U(rb_registry_new(&reg), 0);
	struct rb_reader *r = rb_registry_reader(reg);
	CHECK(r != NULL);
	struct rb_stats stats;
	struct rb_policy pol;
	memset(&stats, 0, sizeof(stats));
	memset(&pol, 0, sizeof(pol));
	struct rb_handler_ctx ctx = { .reg = reg, .policy = &pol, .stats = &stats };
	uint8_t b[64];

	rb_reader_begin(r);
	/* Every version 1..5 and procedure 0..14 of the port mapper, and
	 * another program. */
	for (uint32_t v = 1; v <= 5; v++)
		for (uint32_t p = 0; p <= 14; p++) {
			one(&ctx, b, msg(b, 0, 2, 100000, v, p));
			one(&ctx, b, msg(b, 0, 2, 100003, v, p));
		}
	/* RPC_MISMATCH: labelled by prog, vers and proc when all are there
	 * (as the bytes were before issue 19), "other" when cut short. */
	msg(b, 0, 3, 100000, 2, 3);
	for (uint32_t n = 0; n <= 40; n++)
		one(&ctx, b, n);
	{
		struct rb_xport x = { .netid = RB_NETID_TCP, .peer_uid = -1 };
		uint8_t obuf[64];
		struct rb_xdr_enc out;
		rb_xdr_enc_init(&out, obuf, sizeof(obuf));
		struct rb_mutation mut;
		struct rb_call_head h;
		CHECK_EQ_U(rb_handle_call_full(&ctx, &x, b, msg(b, 0, 3, 100000, 2, 3), &out, &mut,
					       NULL, NULL, &h),
			   RB_OUT_REPLY);
		unsigned vi, pi;
		rb_rq_labels(h.whole, h.prog, h.vers, h.proc, &vi, &pi);
		CHECK_STR(rb_rq_proc_name(vi, pi), "getport");
	}
	/* Every truncation of a good call, a reply, an unknown msg_type. */
	msg(b, 0, 2, 100000, 4, 9);
	for (uint32_t n = 0; n <= 40; n++)
		one(&ctx, b, n);
	one(&ctx, b, msg(b, 1, 2, 100000, 2, 3));
	one(&ctx, b, msg(b, 2, 2, 100000, 2, 3));
	/* AUTH_ERROR: AUTH_DH and an over-long credential body. */
	msg(b, 0, 2, 100000, 3, 3);
	put32(b + 24, RB_AUTH_DH);
	one(&ctx, b, 40);
	msg(b, 0, 2, 100000, 3, 3);
	put32(b + 28, 1000);
	one(&ctx, b, 40);
	rb_reader_end(r);
	CHECK_EQ_U(checked, 5 * 15 * 2 + 41 + 41 + 2 + 2);

	rb_reader_release(r);
	rb_registry_synchronize(reg);
	rb_registry_free(reg);
}

RB_TEST_MAIN(run())
