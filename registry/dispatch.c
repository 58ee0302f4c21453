#include "registry/dispatch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "registry/procs.h"

bool rb_peer_trusted(const struct rb_policy *pol, const struct rb_addr *peer)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (peer->family == RB_AF_LOCAL || rb_addr_is_loopback_peer(peer))
		return true;
	if (peer->family == RB_AF_INET && peer->ip[0] == 127)
		return true; /* 127.0.0.0/8 */
	if (peer->family == RB_AF_INET6 && memcmp(peer->ip, mapped, 12) == 0 &&
	    peer->ip[12] == 127)
		return true;
	for (uint32_t i = 0; i < pol->ntrusted; i++)
		if (rb_cidr_match(&pol->trusted[i], peer))
			return true;
	return false;
}

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

static enum rb_outcome handle(const struct rb_handler_ctx *ctx, const struct rb_xport *x,
			      const uint8_t *msg, uint32_t len, struct rb_xdr_enc *out,
			      struct rb_mutation *mut, struct rb_fwd_req *fwd,
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

static enum rb_outcome handle(const struct rb_handler_ctx *ctx, const struct rb_xport *x,
			      const uint8_t *msg, uint32_t len, struct rb_xdr_enc *out,
			      struct rb_mutation *mut, struct rb_fwd_req *fwd,
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

enum rb_outcome rb_reply_status(struct rb_call *k, enum rb_accept_stat st)
{
	rb_rpc_put_accepted(k->out, k->c->xid, st);
	return RB_OUT_REPLY;
}

enum rb_outcome rb_reply_stream(struct rb_call *k, enum rb_stream_kind kind, uint32_t prog,
				uint32_t vers)
{
	struct rb_stream whole;
	struct rb_stream *st = k->stream ? k->stream : &whole;
	rb_stream_begin(k->ctx, st, kind, k->c->xid, k->vi);
	st->prog = prog;
	st->vers = vers;
	if (k->stream)
		return RB_OUT_STREAM;
	/* Whole, in one step: what does not fit is an error. */
	if (rb_stream_step(k->ctx, k->x, st, k->out) != 1)
		k->out->err = -EMSGSIZE;
	return RB_OUT_REPLY;
}

enum rb_outcome rb_reply_ok(struct rb_call *k)
{
	return rb_reply_status(k, RB_SUCCESS);
}

enum rb_outcome rb_reply_bool(struct rb_call *k, bool v)
{
	rb_reply_ok(k);
	rb_xdr_put_bool(k->out, v);
	return RB_OUT_REPLY;
}

bool rb_args_ok(const struct rb_call *k)
{
	return k->args.err == 0;
}

bool rb_may_modify(struct rb_call *k)
{
	const struct rb_xport *x = k->x;
	if (x->peer.family == RB_AF_LOCAL || rb_addr_is_loopback_peer(&x->peer) ||
	    k->ctx->policy->insecure)
		return true;
	rb_rpc_put_auth_error(k->out, k->c->xid, RB_AUTH_TOOWEAK);
	return false;
}

void rb_derive_owner(const struct rb_xport *x, char *owner, size_t cap)
{
	if (x->peer.family == RB_AF_LOCAL) {
		if (x->peer_uid == 0)
			snprintf(owner, cap, "superuser");
		else if (x->peer_uid > 0)
			snprintf(owner, cap, "%" PRId64, x->peer_uid);
		else
			snprintf(owner, cap, "unknown");
		return;
	}
	if (rb_addr_is_loopback_peer(&x->peer) && x->peer.port < 1024)
		snprintf(owner, cap, "superuser");
	else
		snprintf(owner, cap, "unknown");
}

void rb_mutation_begin(struct rb_call *k, enum rb_mut_op op, uint32_t prog,
		       uint32_t vers)
{
	struct rb_mutation *m = k->mut;
	memset(m, 0, sizeof(*m));
	m->op = op;
	m->stat_vers = (uint8_t)k->vi;
	m->xid = k->c->xid;
	m->prog = prog;
	m->vers = vers;
	rb_derive_owner(k->x, m->owner, sizeof(m->owner));
	m->peer = k->x->peer;
	m->peer_uid = k->x->peer.family == RB_AF_LOCAL ? k->x->peer_uid : -1;
}

int rb_merge_uaddr(const struct rb_xport *x, const struct rb_entry *e,
		   char *out, size_t cap)
{
	/* family, port and wildcard were worked out once, at SET. */
	if (e->wildcard && x->local.family == e->family) {
		struct rb_addr m = x->local;
		m.port = e->port;
		return rb_uaddr_print(&m, out, cap);
	}
	if (e->uaddr_len >= cap)
		return -1;
	memcpy(out, rb_entry_uaddr(e), (size_t)e->uaddr_len + 1);
	return e->uaddr_len;
}
