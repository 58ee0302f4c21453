/* RPC message codec: decoding a PMAP GETPORT call (rb_rpc_decode_call),
 * with AUTH_NONE (what libtirpc's rpcb_getaddr and pmap_getport send) and
 * with AUTH_SYS credentials; and encoding one (the load generator's side). */
#include <stdint.h>
#include <string.h>

#include "bench/benches.h"
#include "bench/common.h"
#include "bench/shim.h"
#include "core/rpc_msg.h"
#include "core/xdr.h"
#include "registry/procs/rpcb_xdr.h"

#define BATCH 64

struct call_fix {
	uint8_t msg[256];
	uint32_t len;
};

static void decode_loop(struct rb_bench_state *s, const struct call_fix *f)
{
	struct rb_rpc_call call;
	enum rb_auth_stat why = RB_AUTH_OK;

	if (rb_rpc_decode_call(f->msg, f->len, &call, &why) != RB_CALL_OK ||
	    call.prog != RB_PROG_RPCBIND || call.proc != RB_PROC_GETADDR ||
	    call.args_len != 16) {
		rb_bench_error(s, "the GETPORT call did not decode");
		return;
	}
	while (rb_bench_keep_running_batch(s, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			/* The message is an input the compiler may not
			 * assume constant across iterations. */
			rb_bench_clobber();
			enum rb_call_verdict v =
				rb_rpc_decode_call(f->msg, f->len, &call, &why);
			rb_bench_do_not_optimize(v);
			rb_bench_do_not_optimize(call.args);
		}
	}
}

static void bm_decode_getport(struct rb_bench_state *s, void *ctx)
{
	struct call_fix f;

	(void)ctx;
	f.len = rb_bench_getport_call(f.msg, sizeof(f.msg), 0x1234,
				      RB_BENCH_PROG0, 1, RB_IPPROTO_UDP);
	decode_loop(s, &f);
}

static void bm_decode_getport_authsys(struct rb_bench_state *s, void *ctx)
{
	struct call_fix f;
	struct rb_xdr_enc e;
	uint8_t cred[64];
	struct rb_xdr_enc ce;
	struct rb_pmap m = { RB_BENCH_PROG0, 1, RB_IPPROTO_UDP, 0 };

	(void)ctx;
	rb_xdr_enc_init(&ce, cred, sizeof(cred));
	rb_xdr_put_u32(&ce, 1700000000u); /* stamp */
	rb_xdr_put_cstr(&ce, "client01");
	rb_xdr_put_u32(&ce, 0); /* uid */
	rb_xdr_put_u32(&ce, 0); /* gid */
	rb_xdr_put_u32(&ce, 1); /* gids<16> */
	rb_xdr_put_u32(&ce, 0);

	rb_xdr_enc_init(&e, f.msg, sizeof(f.msg));
	rb_xdr_put_u32(&e, 0x1234);
	rb_xdr_put_u32(&e, RB_MSG_CALL);
	rb_xdr_put_u32(&e, RB_RPC_VERSION);
	rb_xdr_put_u32(&e, RB_PROG_RPCBIND);
	rb_xdr_put_u32(&e, RB_VERS_PMAP);
	rb_xdr_put_u32(&e, RB_PROC_GETADDR);
	rb_xdr_put_u32(&e, RB_AUTH_SYS);
	rb_xdr_put_opaque(&e, cred, (uint32_t)ce.pos);
	rb_xdr_put_u32(&e, RB_AUTH_NONE);
	rb_xdr_put_opaque(&e, NULL, 0);
	rb_put_pmap(&e, &m);
	if (e.err || ce.err) {
		rb_bench_error(s, "encoding the AUTH_SYS call failed");
		return;
	}
	f.len = (uint32_t)e.pos;
	decode_loop(s, &f);
}

static void bm_encode_getport_call(struct rb_bench_state *s, void *ctx)
{
	uint8_t buf[128];
	uint32_t xid = 1;

	(void)ctx;
	while (rb_bench_keep_running_batch(s, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			uint32_t len = rb_bench_getport_call(
				buf, sizeof(buf), xid++, RB_BENCH_PROG0, 1,
				RB_IPPROTO_UDP);
			rb_bench_do_not_optimize(len);
			rb_bench_clobber();
		}
	}
}

const struct rb_bench_def rb_bench_codec_defs[] = {
	{ .name = "rpc_decode_call/getport", .fn = bm_decode_getport },
	{ .name = "rpc_decode_call/getport_authsys",
	  .fn = bm_decode_getport_authsys },
	{ .name = "rpc_encode_call/getport", .fn = bm_encode_getport_call },
	{ .name = NULL },
};
