#include "registry/procs/dispatch.h"

#include "registry/procs/procs.h"

/* A call over UDP from an untrusted source whose answer would amplify:
 * a SYSTEM_ERR no larger than any call, or nothing. */
static enum rb_outcome refuse_reflection(const struct rb_handler_ctx *ctx,
					 struct rb_xdr_enc *out, size_t start,
					 uint32_t xid)
{
	out->err = 0;
	out->pos = start;
	if (ctx->policy->reflect_drop)
		return RB_OUT_DROP;
	rb_rpc_put_accepted(out, xid, RB_SYSTEM_ERR);
	return out->err ? RB_OUT_DROP : RB_OUT_REPLY;
}

/* The last procedure of each version (rpcb_highproc_{2,3,4}). */
static const uint32_t high_proc[RB_STAT_VERSIONS] = { 5, 8, 12 };

enum rb_outcome rb_handle_call(const struct rb_handler_ctx *ctx,
			       const struct rb_xport *x, const uint8_t *msg,
			       uint32_t len, struct rb_xdr_enc *out,
			       struct rb_mutation *mut)
{
	return rb_handle_call_ex(ctx, x, msg, len, out, mut, NULL);
}

/* Inlined into each entry, so that none pays a call with nine arguments
 * (three on the stack): callgrind counts 1148 instructions per GETPORT
 * through rb_handle_call so (1147 before rb_call_head), 1164 out of line. */
static inline __attribute__((always_inline)) enum rb_outcome
handle(const struct rb_handler_ctx *ctx, const struct rb_xport *x, const uint8_t *msg,
       uint32_t len, struct rb_xdr_enc *out, struct rb_mutation *mut, struct rb_fwd_req *fwd,
       struct rb_stream *st, struct rb_call_head *head);

enum rb_outcome rb_handle_call_ex(const struct rb_handler_ctx *ctx,
				  const struct rb_xport *x, const uint8_t *msg,
				  uint32_t len, struct rb_xdr_enc *out,
				  struct rb_mutation *mut, struct rb_fwd_req *fwd)
{
	struct rb_call_head head;
	return handle(ctx, x, msg, len, out, mut, fwd, NULL, &head);
}

/* Only a stream transport sends a large reply in pieces. */
static struct rb_stream *stream_if(const struct rb_xport *x, struct rb_stream *st)
{
	return rb_netid_get(x->netid)->stream ? st : NULL;
}

enum rb_outcome rb_handle_call_stream(const struct rb_handler_ctx *ctx,
				      const struct rb_xport *x, const uint8_t *msg,
				      uint32_t len, struct rb_xdr_enc *out,
				      struct rb_mutation *mut, struct rb_stream *st)
{
	struct rb_call_head head;
	return handle(ctx, x, msg, len, out, mut, NULL, stream_if(x, st), &head);
}

enum rb_outcome rb_handle_call_full(const struct rb_handler_ctx *ctx,
				    const struct rb_xport *x, const uint8_t *msg,
				    uint32_t len, struct rb_xdr_enc *out,
				    struct rb_mutation *mut, struct rb_fwd_req *fwd,
				    struct rb_stream *st, struct rb_call_head *head)
{
	return handle(ctx, x, msg, len, out, mut, fwd, st ? stream_if(x, st) : NULL, head);
}

static inline __attribute__((always_inline)) enum rb_outcome
handle(const struct rb_handler_ctx *ctx, const struct rb_xport *x, const uint8_t *msg,
       uint32_t len, struct rb_xdr_enc *out, struct rb_mutation *mut, struct rb_fwd_req *fwd,
       struct rb_stream *st, struct rb_call_head *head)
{
	struct rb_rpc_call c;
	enum rb_auth_stat why = RB_AUTH_OK;
	size_t start = out->pos;

	if (fwd)
		fwd->denied = false;
	enum rb_call_verdict v = rb_rpc_decode_call(msg, len, &c, &why);
	*head = (struct rb_call_head){
		.xid = c.xid, .prog = c.prog, .vers = c.vers, .proc = c.proc,
		/* A CALL whose first six words are all there (they are with
		 * every verdict but DROP, RPC_MISMATCH only from 24 bytes). */
		.whole = v != RB_CALL_DROP && len >= 24,
	};
	switch (v) {
	case RB_CALL_DROP:
		return RB_OUT_DROP;
	case RB_CALL_RPC_MISMATCH:
		/* rpcbind is silent here; RFC 5531 asks for RPC_MISMATCH. */
		rb_rpc_put_rpc_mismatch(out, c.xid, RB_RPC_VERSION, RB_RPC_VERSION);
		return out->err ? RB_OUT_DROP : RB_OUT_REPLY;
	case RB_CALL_AUTH_ERROR:
		rb_rpc_put_auth_error(out, c.xid, why);
		return out->err ? RB_OUT_DROP : RB_OUT_REPLY;
	case RB_CALL_OK:
		break;
	}

	if (c.prog != RB_PROG_RPCBIND) {
		rb_rpc_put_accepted(out, c.xid, RB_PROG_UNAVAIL);
		return out->err ? RB_OUT_DROP : RB_OUT_REPLY;
	}
	int vi = rb_stats_vers_index(c.vers);
	if (vi < 0) {
		rb_rpc_put_prog_mismatch(out, c.xid, RB_VERS_PMAP, RB_VERS_RPCB4);
		return out->err ? RB_OUT_DROP : RB_OUT_REPLY;
	}
	if (c.proc > high_proc[vi]) {
		rb_rpc_put_accepted(out, c.xid, RB_PROC_UNAVAIL);
		return out->err ? RB_OUT_DROP : RB_OUT_REPLY;
	}
	/* Counted before the procedure runs, as rpcbind does: GETSTAT sees
	 * itself, and calls with garbage arguments count too. */
	rb_stats_proc(ctx->stats, (unsigned)vi, c.proc);

	struct rb_call k = {
		.ctx = ctx, .x = x, .c = &c, .out = out, .mut = mut,
		.vi = (unsigned)vi,
		/* Forwarding needs a datagram transport that can do it. */
		.fwd = ctx->policy->remote_calls && !rb_netid_get(x->netid)->stream
			       ? fwd : NULL,
		.stream = st,
	};
	rb_xdr_dec_init(&k.args, c.args, c.args_len);
	bool guard = ctx->policy->reflect_guard && !rb_netid_get(x->netid)->stream &&
		     !rb_peer_trusted(ctx->policy, &x->peer);
	if (guard && (c.proc == RB_PROC_DUMP ||
		      (c.vers == RB_VERS_RPCB4 && (c.proc == RB_PROC_GETSTAT ||
						   c.proc == RB_PROC_GETADDRLIST))))
		return refuse_reflection(ctx, out, start, c.xid);
	enum rb_outcome o = c.vers == RB_VERS_PMAP ? rb_proc_pmap(&k)
						   : rb_proc_rpcb(&k);
	if (guard && o == RB_OUT_REPLY && out->pos - start > len)
		return refuse_reflection(ctx, out, start, c.xid);
	if (o == RB_OUT_FORWARD) {
		/* The service's answer comes later: it gets the same bound. */
		k.fwd->shape.guard = guard;
		k.fwd->shape.guard_drop = ctx->policy->reflect_drop;
		k.fwd->shape.call_len = len;
	}
	if (o == RB_OUT_REPLY && out->err) {
		/* The result did not fit (a DUMP too large for a datagram):
		 * answer SYSTEM_ERR rather than a truncated reply. */
		out->err = 0;
		out->pos = start;
		rb_rpc_put_accepted(out, c.xid, RB_SYSTEM_ERR);
		if (out->err)
			return RB_OUT_DROP;
	}
	return o;
}
