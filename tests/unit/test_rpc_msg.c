/* RPC message codec tests: call decoding and its verdicts (hand-built
 * bytes, truncation at every offset, credential limits, flavors), reply
 * encoders' golden bytes, and libtirpc's xdr_callmsg as an oracle. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rpc/rpc.h>

#include "check.h"
#include "core/rpc_msg.h"
#include "core/xdr.h"

/* A tiny big-endian builder, independent of the code under test. */
struct msgbuf {
	uint8_t b[4096];
	size_t n;
};

static void mb_u32(struct msgbuf *m, uint32_t v)
{
	m->b[m->n++] = (uint8_t)(v >> 24);
	m->b[m->n++] = (uint8_t)(v >> 16);
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

/* Opaque with its length word and zero padding. */
static void mb_opaque(struct msgbuf *m, const void *p, uint32_t len)
{
	mb_u32(m, len);
	if (len)
		memcpy(m->b + m->n, p, len);
	m->n += len;
	while (m->n % 4)
		m->b[m->n++] = 0;
}

static void mb_header(struct msgbuf *m, uint32_t xid, uint32_t rpcvers,
		      uint32_t prog, uint32_t vers, uint32_t proc)
{
	m->n = 0;
	mb_u32(m, xid);
	mb_u32(m, 0); /* CALL */
	mb_u32(m, rpcvers);
	mb_u32(m, prog);
	mb_u32(m, vers);
	mb_u32(m, proc);
}

/* An AUTH_SYS body into a separate buffer. */
static size_t sys_body(uint8_t *out, uint32_t stamp, const char *machine,
		       uint32_t mlen, uint32_t uid, uint32_t gid, uint32_t ngids)
{
	struct msgbuf m = {.n = 0};

	mb_u32(&m, stamp);
	mb_opaque(&m, machine, mlen);
	mb_u32(&m, uid);
	mb_u32(&m, gid);
	mb_u32(&m, ngids);
	for (uint32_t i = 0; i < ngids; i++)
		mb_u32(&m, 100 + i);
	memcpy(out, m.b, m.n);
	return m.n;
}

static enum rb_call_verdict decode(const struct msgbuf *m, size_t len,
				   struct rb_rpc_call *c, enum rb_auth_stat *why)
{
	memset(c, 0, sizeof(*c));
	*why = RB_AUTH_OK;
	return rb_rpc_decode_call(m->b, (uint32_t)len, c, why);
}

static void test_auth_none_call(void)
{
	struct msgbuf m;
	struct rb_rpc_call c;
	enum rb_auth_stat why;

	mb_header(&m, 0xcafef00du, 2, 100000, 2, 3);
	mb_u32(&m, 0); /* cred AUTH_NONE */
	mb_u32(&m, 0);
	mb_u32(&m, 0); /* verf AUTH_NONE */
	mb_u32(&m, 0);
	mb_u32(&m, 100003); /* mapping */
	mb_u32(&m, 3);
	mb_u32(&m, 17);
	mb_u32(&m, 0);
	CHECK_EQ_U(m.n, 56);

	CHECK_EQ_U(decode(&m, m.n, &c, &why), RB_CALL_OK);
	CHECK_EQ_U(c.xid, 0xcafef00du);
	CHECK_EQ_U(c.prog, 100000);
	CHECK_EQ_U(c.vers, 2);
	CHECK_EQ_U(c.proc, 3);
	CHECK_EQ_U(c.cred_flavor, RB_AUTH_NONE);
	CHECK_EQ_U(c.cred_body.len, 0);
	CHECK_EQ_U(c.verf_flavor, RB_AUTH_NONE);
	CHECK_EQ_U(c.verf_body.len, 0);
	CHECK(c.args == m.b + 40);
	CHECK_EQ_U(c.args_len, 16);

	/* No arguments at all. */
	CHECK_EQ_U(decode(&m, 40, &c, &why), RB_CALL_OK);
	CHECK_EQ_U(c.args_len, 0);
}

/* xid..proc, cred AUTH_SYS (44 bytes), verf AUTH_NONE (8), args (12). */
#define SYS_CRED_AT 24u
#define SYS_VERF_AT 68u
#define SYS_ARGS_AT 76u
#define SYS_LEN 88u

static void build_sys_call(struct msgbuf *m)
{
	uint8_t body[512];
	static const uint32_t gids[2] = {10, 20};
	size_t bl;
	struct msgbuf b = {.n = 0};

	mb_u32(&b, 0x11223344u);
	mb_opaque(&b, "host1", 5);
	mb_u32(&b, 1000);
	mb_u32(&b, 100);
	mb_u32(&b, 2);
	mb_u32(&b, gids[0]);
	mb_u32(&b, gids[1]);
	bl = b.n;
	memcpy(body, b.b, bl);

	mb_header(m, 0x12345678u, 2, 100000, 4, 9);
	mb_u32(m, RB_AUTH_SYS);
	mb_opaque(m, body, (uint32_t)bl);
	mb_u32(m, RB_AUTH_NONE);
	mb_u32(m, 0);
	mb_u32(m, 100003);
	mb_u32(m, 3);
	mb_u32(m, 17);
}

static void test_auth_sys_call(void)
{
	struct msgbuf m;
	struct rb_rpc_call c;
	enum rb_auth_stat why;

	build_sys_call(&m);
	CHECK_EQ_U(m.n, SYS_LEN);
	CHECK_EQ_U(decode(&m, m.n, &c, &why), RB_CALL_OK);
	CHECK_EQ_U(c.xid, 0x12345678u);
	CHECK_EQ_U(c.prog, 100000);
	CHECK_EQ_U(c.vers, 4);
	CHECK_EQ_U(c.proc, 9);
	CHECK_EQ_U(c.cred_flavor, RB_AUTH_SYS);
	CHECK_EQ_U(c.cred_body.len, 36);
	CHECK(c.cred_body.ptr == m.b + SYS_CRED_AT + 8);
	CHECK_EQ_U(c.sys.stamp, 0x11223344u);
	CHECK(rb_xdr_bytes_eq(c.sys.machine, "host1"));
	CHECK_EQ_U(c.sys.uid, 1000);
	CHECK_EQ_U(c.sys.gid, 100);
	CHECK_EQ_U(c.sys.ngids, 2);
	CHECK_EQ_U(c.sys.gids[0], 10);
	CHECK_EQ_U(c.sys.gids[1], 20);
	CHECK_EQ_U(c.verf_flavor, RB_AUTH_NONE);
	CHECK(c.args == m.b + SYS_ARGS_AT);
	CHECK_EQ_U(c.args_len, 12);
}

static void test_truncation(void)
{
	struct msgbuf m;
	unsigned bad = 0;

	build_sys_call(&m);
	for (uint32_t cut = 0; cut <= SYS_LEN; cut++) {
		struct rb_rpc_call c;
		enum rb_auth_stat why;
		/* A heap copy of exactly cut bytes: ASan sees any over-read. */
		uint8_t *p = malloc(cut ? cut : 1);
		if (!p)
			abort();
		memcpy(p, m.b, cut);
		memset(&c, 0, sizeof(c));
		why = RB_AUTH_OK;
		enum rb_call_verdict v = rb_rpc_decode_call(p, cut, &c, &why);
		enum rb_call_verdict want;
		enum rb_auth_stat want_why = RB_AUTH_OK;
		if (cut < 24) {
			want = RB_CALL_DROP;
		} else if (cut < SYS_VERF_AT) {
			want = RB_CALL_AUTH_ERROR;
			want_why = RB_AUTH_BADCRED;
		} else if (cut < SYS_ARGS_AT) {
			want = RB_CALL_AUTH_ERROR;
			want_why = RB_AUTH_BADVERF;
		} else {
			want = RB_CALL_OK;
		}
		int ok = v == want;
		if (want == RB_CALL_AUTH_ERROR)
			ok = ok && why == want_why;
		if (want != RB_CALL_DROP)
			ok = ok && c.xid == 0x12345678u;
		if (want == RB_CALL_OK)
			ok = ok && c.args_len == cut - SYS_ARGS_AT &&
			     c.args == p + SYS_ARGS_AT;
		if (!ok) {
			bad++;
			fprintf(stderr,
				"truncated at %u: verdict %d why %d xid %#x "
				"(want verdict %d why %d)\n",
				cut, (int)v, (int)why, c.xid, (int)want,
				(int)want_why);
		}
		free(p);
	}
	CHECK_EQ_U(bad, 0);
}

static void test_header_verdicts(void)
{
	struct msgbuf m;
	struct rb_rpc_call c;
	enum rb_auth_stat why;

	/* A reply is dropped. */
	mb_header(&m, 7, 2, 100000, 2, 0);
	m.b[7] = 1; /* msg_type REPLY */
	mb_u32(&m, 0);
	mb_u32(&m, 0);
	mb_u32(&m, 0);
	mb_u32(&m, 0);
	CHECK_EQ_U(decode(&m, m.n, &c, &why), RB_CALL_DROP);
	/* So is an unknown msg_type. */
	m.b[7] = 2;
	CHECK_EQ_U(decode(&m, m.n, &c, &why), RB_CALL_DROP);

	/* rpcvers 3: RPC_MISMATCH, xid known. */
	mb_header(&m, 0xabcdef01u, 3, 100000, 2, 0);
	mb_u32(&m, 0);
	mb_u32(&m, 0);
	mb_u32(&m, 0);
	mb_u32(&m, 0);
	CHECK_EQ_U(decode(&m, m.n, &c, &why), RB_CALL_RPC_MISMATCH);
	CHECK_EQ_U(c.xid, 0xabcdef01u);
	/* rpcvers 1 and 0xffffffff too. */
	m.b[11] = 1;
	CHECK_EQ_U(decode(&m, m.n, &c, &why), RB_CALL_RPC_MISMATCH);
	memset(m.b + 8, 0xff, 4);
	CHECK_EQ_U(decode(&m, m.n, &c, &why), RB_CALL_RPC_MISMATCH);
	CHECK_EQ_U(c.xid, 0xabcdef01u);

	/* Fewer than 8 bytes. */
	for (size_t n = 0; n < 8; n++)
		CHECK_EQ_U(decode(&m, n, &c, &why), RB_CALL_DROP);
}

/* A call with the given cred and verf, AUTH_NONE otherwise. */
static void build_call_auth(struct msgbuf *m, uint32_t cflav, const void *cbody,
			    uint32_t clen, uint32_t vflav, const void *vbody,
			    uint32_t vlen)
{
	mb_header(m, 0x0badf00du, 2, 100000, 3, 0);
	mb_u32(m, cflav);
	mb_opaque(m, cbody, clen);
	mb_u32(m, vflav);
	mb_opaque(m, vbody, vlen);
}

static void expect_auth(struct msgbuf *m, enum rb_auth_stat want,
			const char *what)
{
	struct rb_rpc_call c;
	enum rb_auth_stat why;
	enum rb_call_verdict v = decode(m, m->n, &c, &why);

	rb_check.checks++;
	if (v != RB_CALL_AUTH_ERROR || why != want || c.xid != 0x0badf00du) {
		rb_check.failures++;
		fprintf(stderr, "%s: verdict %d why %d xid %#x, want AUTH_ERROR "
				"why %d\n", what, (int)v, (int)why, c.xid,
			(int)want);
	}
}

static void expect_ok(struct msgbuf *m, const char *what)
{
	struct rb_rpc_call c;
	enum rb_auth_stat why;
	enum rb_call_verdict v = decode(m, m->n, &c, &why);

	rb_check.checks++;
	if (v != RB_CALL_OK || c.xid != 0x0badf00du) {
		rb_check.failures++;
		fprintf(stderr, "%s: verdict %d why %d, want OK\n", what, (int)v,
			(int)why);
	}
}

static void test_auth_limits(void)
{
	static uint8_t big[512];
	uint8_t body[600];
	struct msgbuf m;
	size_t bl;
	char machine[300];

	memset(big, 'a', sizeof(big));
	memset(machine, 'm', sizeof(machine));

	build_call_auth(&m, RB_AUTH_NONE, big, 401, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_BADCRED, "AUTH_NONE cred body 401");
	build_call_auth(&m, RB_AUTH_SYS, big, 401, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_BADCRED, "AUTH_SYS cred body 401");
	build_call_auth(&m, RB_AUTH_NONE, NULL, 0, RB_AUTH_NONE, big, 401);
	expect_auth(&m, RB_AUTH_BADVERF, "verf body 401");

	/* machinename 255 fits, 256 does not. */
	bl = sys_body(body, 1, machine, 255, 0, 0, 0);
	build_call_auth(&m, RB_AUTH_SYS, body, (uint32_t)bl, RB_AUTH_NONE, NULL, 0);
	expect_ok(&m, "AUTH_SYS machinename 255");
	bl = sys_body(body, 1, machine, 256, 0, 0, 0);
	build_call_auth(&m, RB_AUTH_SYS, body, (uint32_t)bl, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_BADCRED, "AUTH_SYS machinename 256");

	/* 16 gids fit, 17 do not. */
	bl = sys_body(body, 1, "h", 1, 0, 0, 16);
	build_call_auth(&m, RB_AUTH_SYS, body, (uint32_t)bl, RB_AUTH_NONE, NULL, 0);
	expect_ok(&m, "AUTH_SYS 16 gids");
	{
		struct rb_rpc_call c;
		enum rb_auth_stat why;
		CHECK_EQ_U(decode(&m, m.n, &c, &why), RB_CALL_OK);
		CHECK_EQ_U(c.sys.ngids, 16);
		CHECK_EQ_U(c.sys.gids[15], 115);
		CHECK(rb_xdr_bytes_eq(c.sys.machine, "h"));
	}
	bl = sys_body(body, 1, "h", 1, 0, 0, 17);
	build_call_auth(&m, RB_AUTH_SYS, body, (uint32_t)bl, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_BADCRED, "AUTH_SYS 17 gids");

	/* Largest legal AUTH_SYS: machine 255, 16 gids (340 bytes). */
	bl = sys_body(body, 1, machine, 255, 0, 0, 16);
	CHECK_EQ_U(bl, 340);
	build_call_auth(&m, RB_AUTH_SYS, body, (uint32_t)bl, RB_AUTH_NONE, NULL, 0);
	expect_ok(&m, "AUTH_SYS largest");

	/* Fields that do not fit the declared body length: cut the body
	 * (stamp, machine "host1", uid | gid, ngids missing). */
	bl = sys_body(body, 1, "host1", 5, 0, 0, 0);
	for (uint32_t cut = 0; cut < bl; cut += 4) {
		build_call_auth(&m, RB_AUTH_SYS, body, cut, RB_AUTH_NONE, NULL, 0);
		expect_auth(&m, RB_AUTH_BADCRED, "AUTH_SYS body cut short");
	}
	/* ngids claims 2, body holds one gid. */
	bl = sys_body(body, 1, "host1", 5, 0, 0, 2);
	build_call_auth(&m, RB_AUTH_SYS, body, (uint32_t)bl - 4, RB_AUTH_NONE,
			NULL, 0);
	expect_auth(&m, RB_AUTH_BADCRED, "AUTH_SYS gids past body");
	/* machinename length runs past the body (but inside the message). */
	bl = sys_body(body, 1, machine, 200, 0, 0, 0);
	build_call_auth(&m, RB_AUTH_SYS, body, 24, RB_AUTH_NONE, NULL, 0);
	mb_u32(&m, 0); /* args the machine name could run into */
	mb_u32(&m, 0);
	expect_auth(&m, RB_AUTH_BADCRED, "AUTH_SYS machine past body");
	/* A bad machinename length word (huge). */
	bl = sys_body(body, 1, "host1", 5, 0, 0, 0);
	body[4] = 0xff;
	build_call_auth(&m, RB_AUTH_SYS, body, (uint32_t)bl, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_BADCRED, "AUTH_SYS machine length 0xff000005");

	/* Flavors. */
	build_call_auth(&m, RB_AUTH_DH, big, 8, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_FAILED, "AUTH_DH");
	build_call_auth(&m, RB_RPCSEC_GSS, big, 8, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_BADCRED, "RPCSEC_GSS");
	build_call_auth(&m, RB_AUTH_SHORT, big, 8, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_REJECTEDCRED, "AUTH_SHORT");
	build_call_auth(&m, 99, big, 8, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_REJECTEDCRED, "flavor 99");
	build_call_auth(&m, 99, NULL, 0, RB_AUTH_NONE, NULL, 0);
	expect_auth(&m, RB_AUTH_REJECTEDCRED, "flavor 99, empty body");

	/* Exactly 400 is allowed for the verifier. */
	build_call_auth(&m, RB_AUTH_NONE, NULL, 0, RB_AUTH_NONE, big, 400);
	expect_ok(&m, "verf body 400");
}

static void test_reply_encoders(void)
{
	uint8_t buf[64];
	struct rb_xdr_enc e;
	static const struct {
		enum rb_accept_stat stat;
		uint8_t last;
	} acc[] = {
		{RB_SUCCESS, 0},      {RB_PROG_UNAVAIL, 1}, {RB_PROC_UNAVAIL, 3},
		{RB_GARBAGE_ARGS, 4}, {RB_SYSTEM_ERR, 5},
	};

	for (size_t i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		uint8_t want[24] = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1,
				    0,    0,    0,    0,    0, 0, 0, 0,
				    0,    0,    0,    0,    0, 0, 0, 0};
		want[23] = acc[i].last;
		rb_xdr_enc_init(&e, buf, sizeof(buf));
		rb_rpc_put_accepted(&e, 0xdeadbeefu, acc[i].stat);
		CHECK_EQ_U(e.err, 0);
		CHECK_BYTES(buf, e.pos, want, sizeof(want));
	}

	static const uint8_t pm[] = {0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0,
				     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
				     0, 0, 0, 2, 0, 0, 0, 4};
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_rpc_put_prog_mismatch(&e, 9, 2, 4);
	CHECK_BYTES(buf, e.pos, pm, sizeof(pm));

	static const uint8_t rm[] = {0x01, 0x02, 0x03, 0x04, 0, 0, 0, 1,
				     0,    0,    0,    1,    0, 0, 0, 0,
				     0,    0,    0,    2,    0, 0, 0, 2};
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_rpc_put_rpc_mismatch(&e, 0x01020304u, 2, 2);
	CHECK_BYTES(buf, e.pos, rm, sizeof(rm));

	static const enum rb_auth_stat whys[] = {
		RB_AUTH_BADCRED,  RB_AUTH_REJECTEDCRED, RB_AUTH_BADVERF,
		RB_AUTH_REJECTEDVERF, RB_AUTH_TOOWEAK,  RB_AUTH_INVALIDRESP,
		RB_AUTH_FAILED};
	for (size_t i = 0; i < sizeof(whys) / sizeof(whys[0]); i++) {
		uint8_t want[20] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0,
				    0,    1,    0,    0,    0, 1, 0, 0, 0, 0};
		want[19] = (uint8_t)whys[i];
		rb_xdr_enc_init(&e, buf, sizeof(buf));
		rb_rpc_put_auth_error(&e, 0xffffffffu, whys[i]);
		CHECK_BYTES(buf, e.pos, want, sizeof(want));
	}

	/* A reply appended after existing bytes (e.g. a record header). */
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_xdr_put_u32(&e, 0x80000018u);
	rb_rpc_put_accepted(&e, 5, RB_SUCCESS);
	CHECK_EQ_U(e.pos, 28);
	CHECK_EQ_U(buf[7], 5);

	/* Too small a buffer: error, nothing past it. */
	rb_xdr_enc_init(&e, buf, 20);
	rb_rpc_put_accepted(&e, 5, RB_SUCCESS);
	CHECK(e.err == -EMSGSIZE);
	rb_xdr_enc_init(&e, buf, 28);
	rb_rpc_put_prog_mismatch(&e, 5, 2, 4);
	CHECK(e.err == -EMSGSIZE);

	/* Call header (AUTH_NONE). */
	static const uint8_t call[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2,
				       0, 1, 0x86, 0xa0, 0, 0, 0, 4, 0, 0, 0, 9,
				       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0, 0, 0, 0};
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_rpc_put_call(&e, 1, 100000, 4, 9);
	CHECK_BYTES(buf, e.pos, call, sizeof(call));
}

/* libtirpc as the oracle. */
static size_t tirpc_callmsg(uint8_t *out, size_t cap, uint32_t xid,
			    uint32_t prog, uint32_t vers, uint32_t proc,
			    AUTH *auth)
{
	struct rpc_msg msg;
	XDR x;

	memset(&msg, 0, sizeof(msg));
	msg.rm_xid = xid;
	msg.rm_direction = CALL;
	msg.rm_call.cb_rpcvers = 2;
	msg.rm_call.cb_prog = prog;
	msg.rm_call.cb_vers = vers;
	msg.rm_call.cb_proc = proc;
	if (auth) {
		msg.rm_call.cb_cred = auth->ah_cred;
		msg.rm_call.cb_verf = auth->ah_verf;
	} else {
		msg.rm_call.cb_cred = _null_auth;
		msg.rm_call.cb_verf = _null_auth;
	}
	xdrmem_create(&x, (char *)out, (u_int)cap, XDR_ENCODE);
	if (!xdr_callmsg(&x, &msg))
		return 0;
	size_t n = xdr_getpos(&x);
	xdr_destroy(&x);
	return n;
}

static void test_tirpc_oracle(void)
{
	uint8_t ours[128], theirs[128];
	struct rb_xdr_enc e;
	uint32_t seed = 12345;

	for (int i = 0; i < 200; i++) {
		uint32_t v[4];
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			v[k] = seed ^ (seed >> 13) * 2654435761u;
		}
		size_t n = tirpc_callmsg(theirs, sizeof(theirs), v[0], v[1],
					 v[2], v[3], NULL);
		rb_xdr_enc_init(&e, ours, sizeof(ours));
		rb_rpc_put_call(&e, v[0], v[1], v[2], v[3]);
		CHECK_EQ_U(e.err, 0);
		CHECK_BYTES(ours, e.pos, theirs, n);

		struct rb_rpc_call c;
		enum rb_auth_stat why = RB_AUTH_OK;
		CHECK_EQ_U(rb_rpc_decode_call(theirs, (uint32_t)n, &c, &why),
			   RB_CALL_OK);
		CHECK_EQ_U(c.xid, v[0]);
		CHECK_EQ_U(c.prog, v[1]);
		CHECK_EQ_U(c.vers, v[2]);
		CHECK_EQ_U(c.proc, v[3]);
		CHECK_EQ_U(c.args_len, 0);
	}

	/* AUTH_SYS credentials as libtirpc builds them. */
	char host[] = "client.example.org";
	gid_t gids[3] = {4, 24, 27};
	AUTH *a = authunix_create(host, 1000, 1001, 3, gids);
	CHECK(a != NULL);
	if (!a)
		return;
	size_t n = tirpc_callmsg(theirs, sizeof(theirs) - 16, 77, 100000, 3, 3,
				 a);
	CHECK(n > 0);
	/* Append 16 bytes of arguments. */
	memset(theirs + n, 0x5a, 16);
	struct rb_rpc_call c;
	enum rb_auth_stat why = RB_AUTH_OK;
	CHECK_EQ_U(rb_rpc_decode_call(theirs, (uint32_t)n + 16, &c, &why),
		   RB_CALL_OK);
	CHECK_EQ_U(c.xid, 77);
	CHECK_EQ_U(c.vers, 3);
	CHECK_EQ_U(c.cred_flavor, RB_AUTH_SYS);
	CHECK(rb_xdr_bytes_eq(c.sys.machine, host));
	CHECK_EQ_U(c.sys.uid, 1000);
	CHECK_EQ_U(c.sys.gid, 1001);
	CHECK_EQ_U(c.sys.ngids, 3);
	CHECK_EQ_U(c.sys.gids[0], 4);
	CHECK_EQ_U(c.sys.gids[1], 24);
	CHECK_EQ_U(c.sys.gids[2], 27);
	CHECK_EQ_U(c.args_len, 16);
	CHECK(c.args == theirs + n);
	AUTH_DESTROY(a);

	/* And libtirpc decodes our replies. */
	struct rpc_msg reply;
	XDR x;
	rb_xdr_enc_init(&e, ours, sizeof(ours));
	rb_rpc_put_prog_mismatch(&e, 42, 2, 4);
	memset(&reply, 0, sizeof(reply));
	xdrmem_create(&x, (char *)ours, (u_int)e.pos, XDR_DECODE);
	CHECK(xdr_replymsg(&x, &reply));
	CHECK_EQ_U(reply.rm_xid, 42);
	CHECK_EQ_U(reply.rm_direction, REPLY);
	CHECK_EQ_U(reply.rm_reply.rp_stat, MSG_ACCEPTED);
	CHECK_EQ_U(reply.acpted_rply.ar_stat, PROG_MISMATCH);
	CHECK_EQ_U(reply.acpted_rply.ar_vers.low, 2);
	CHECK_EQ_U(reply.acpted_rply.ar_vers.high, 4);
	xdr_destroy(&x);

	rb_xdr_enc_init(&e, ours, sizeof(ours));
	rb_rpc_put_auth_error(&e, 43, RB_AUTH_TOOWEAK);
	memset(&reply, 0, sizeof(reply));
	xdrmem_create(&x, (char *)ours, (u_int)e.pos, XDR_DECODE);
	CHECK(xdr_replymsg(&x, &reply));
	CHECK_EQ_U(reply.rm_reply.rp_stat, MSG_DENIED);
	CHECK_EQ_U(reply.rjcted_rply.rj_stat, AUTH_ERROR);
	CHECK_EQ_U(reply.rjcted_rply.rj_why, AUTH_TOOWEAK);
	xdr_destroy(&x);
}

RB_TEST_MAIN({
	test_auth_none_call();
	test_auth_sys_call();
	test_truncation();
	test_header_verdicts();
	test_auth_limits();
	test_reply_encoders();
	test_tirpc_oracle();
})
