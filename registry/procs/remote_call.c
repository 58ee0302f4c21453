/* Remote calls, the pure part (registry/procs/remote_call.h). */
#include "registry/procs/remote_call.h"

#include <errno.h>
#include <string.h>

#include "core/record.h"
#include "core/rpc_msg.h"
#include "registry/procs/procs.h"

/* Procedures named in rpcbind's check_callit. */
#define MOUNTPROC_MNT 1u
#define MOUNTPROC_UMNT 3u
#define YPBINDPROC_SETDOM 2u
#define YPPROC_MATCH 3u
#define YPPROC_FIRST 4u
#define YPPROC_NEXT 5u
#define YPPROC_ALL 8u

bool rb_fwd_denied(uint32_t prog, uint32_t proc)
{
	if (proc == 0)
		return false; /* NULL: always allowed, as rpcbind */
	switch (prog) {
	case RB_PROG_RPCBIND:
	case RB_FWD_PROG_NFS:
	case RB_FWD_PROG_YPPASSWD:
	case RB_FWD_PROG_RQUOTA:
		return true;
	case RB_FWD_PROG_MOUNT:
		return proc == MOUNTPROC_MNT || proc == MOUNTPROC_UMNT;
	case RB_FWD_PROG_YPBIND:
		return proc == YPBINDPROC_SETDOM;
	case RB_FWD_PROG_YP:
		return proc == YPPROC_MATCH || proc == YPPROC_FIRST ||
		       proc == YPPROC_NEXT || proc == YPPROC_ALL;
	default:
		return false;
	}
}

/* The lowest and highest version of prog registered on netid nid (for
 * INDIRECT's PROG_MISMATCH, as rpcbind's find_versions). */
static void registered_versions(const struct rb_call *k, uint32_t prog,
				const char *nid, uint32_t *lo, uint32_t *hi)
{
	const struct rb_progset *ps = rb_lookup_prog(k->ctx->reg, prog);
	size_t nl = strlen(nid);
	bool any = false;
	*lo = *hi = 0;
	for (uint32_t i = 0; ps && i < ps->n; i++) {
		const struct rb_entry *e = ps->v[i];
		if (e->netid_len != nl || memcmp(e->netid, nid, nl) != 0)
			continue;
		if (!any || e->vers < *lo)
			*lo = e->vers;
		if (!any || e->vers > *hi)
			*hi = e->vers;
		any = true;
	}
}

enum rb_outcome rb_proc_remote(struct rb_call *k, enum rb_fwd_kind kind)
{
	struct rb_fwd_req *f = k->fwd; /* NULL: not forwarded (off, or a stream) */
	bool ind = kind == RB_FWD_INDIRECT;
	const struct rb_netid *nid = rb_netid_get(k->x->netid);
	/* rpcbind drops CALLIT and BCAST over a stream before it looks at
	 * them; INDIRECT, which it leaves unanswered there, we answer below
	 * as over UDP (README: where ringbind differs). */
	if (nid->stream && !ind)
		return RB_OUT_DROP;
	uint32_t prog = rb_xdr_get_u32(&k->args);
	uint32_t vers = rb_xdr_get_u32(&k->args);
	uint32_t proc = rb_xdr_get_u32(&k->args);
	struct rb_xdr_bytes args = rb_xdr_get_opaque(&k->args, RB_RECORD_MAX);
	if (!rb_args_ok(k))
		return ind ? rb_reply_status(k, RB_GARBAGE_ARGS) : RB_OUT_DROP;
	/* The deny list comes first and is answered even for CALLIT, as
	 * rpcbind (svcerr_weakauth), registered or not, forwarding on or
	 * off. */
	if (rb_fwd_denied(prog, proc)) {
		if (f)
			f->denied = true;
		rb_rpc_put_auth_error(k->out, k->c->xid, RB_AUTH_TOOWEAK);
		return RB_OUT_REPLY;
	}
	const struct rb_entry *e = rb_lookup_any_version(k->ctx->reg, prog, vers, nid->name,
							 strlen(nid->name));
	/* Recorded for GETSTAT (rpcinfo -m) as rpcbind's rpcbs_rmtcall:
	 * every datagram remote call past the deny list, forwarded or not,
	 * a success when exactly (prog, vers) is registered. */
	if (!nid->stream)
		rb_stats_rmtcall(k->ctx->stats, k->vi, ind, prog, vers, proc, nid->name,
				 e && e->vers == vers);
	if (!e)
		return ind ? rb_reply_status(k, RB_PROG_UNAVAIL) : RB_OUT_DROP;
	if (e->vers != vers) {
		/* rpcbind's find_service falls back to another version; the
		 * call is then not forwarded, and INDIRECT says which exist. */
		uint32_t lo, hi;
		if (!ind)
			return RB_OUT_DROP;
		registered_versions(k, prog, nid->name, &lo, &hi);
		rb_rpc_put_prog_mismatch(k->out, k->c->xid, lo, hi);
		return RB_OUT_REPLY;
	}
	if (!f) {
		/* Not forwarded: as rpcbind without a forwarding socket,
		 * INDIRECT gets PROG_UNAVAIL when the address cannot be
		 * merged (another family), else SYSTEM_ERR. */
		if (!ind)
			return RB_OUT_DROP;
		return rb_reply_status(k, e->family != nid->family ? RB_PROG_UNAVAIL
								  : RB_SYSTEM_ERR);
	}
	/* An address without a usable port (or of another family than the
	 * caller's) cannot be reached: as rpcbind when the server is gone. */
	if (e->family != nid->family || k->x->peer.family != nid->family || e->port == 0)
		return ind ? rb_reply_status(k, RB_PROG_UNAVAIL) : RB_OUT_DROP;

	struct rb_fwd_shape *s = &f->shape;
	memset(s, 0, sizeof(*s));
	int n = rb_merge_uaddr(k->x, e, s->uaddr, sizeof(s->uaddr));
	if (n < 0)
		return ind ? rb_reply_status(k, RB_SYSTEM_ERR) : RB_OUT_DROP;
	s->uaddr_len = (uint8_t)n;
	s->xid = k->c->xid;
	s->rvers = (uint8_t)k->c->vers;
	s->kind = (uint8_t)kind;
	s->port = e->port;
	f->family = nid->family;
	f->port = e->port;
	f->prog = prog;
	f->vers = vers;
	f->proc = proc;
	/* The call decoder let only AUTH_NONE and a well-formed AUTH_SYS (at
	 * most RB_AUTH_BODY_MAX bytes) through; rpcbind passes them on too. */
	f->cred_flavor = k->c->cred_flavor;
	f->cred = k->c->cred_body.ptr;
	f->cred_len = k->c->cred_body.len;
	f->args = args.ptr;
	f->args_len = args.len;
	return RB_OUT_FORWARD;
}

int rb_fwd_put_call(struct rb_xdr_enc *e, const struct rb_fwd_req *r, uint32_t xid)
{
	rb_xdr_put_u32(e, xid);
	rb_xdr_put_u32(e, RB_MSG_CALL);
	rb_xdr_put_u32(e, RB_RPC_VERSION);
	rb_xdr_put_u32(e, r->prog);
	rb_xdr_put_u32(e, r->vers);
	rb_xdr_put_u32(e, r->proc);
	rb_xdr_put_u32(e, r->cred_flavor);
	rb_xdr_put_opaque(e, r->cred, r->cred_len);
	rb_xdr_put_u32(e, RB_AUTH_NONE); /* verifier */
	rb_xdr_put_u32(e, 0);
	/* The arguments are the opaque's bytes, already XDR; padded to four
	 * as xdr_opaque does. */
	if (r->args_len) {
		size_t padded = ((size_t)r->args_len + 3u) & ~(size_t)3u;
		uint8_t *p = rb_xdr_put_reserve(e, padded);
		if (p) {
			memcpy(p, r->args, r->args_len);
			memset(p + r->args_len, 0, padded - r->args_len);
		}
	}
	return e->err;
}

int rb_fwd_reply_xid(const uint8_t *msg, uint32_t len, uint32_t *xid)
{
	struct rb_xdr_dec d;
	rb_xdr_dec_init(&d, msg, len);
	uint32_t x = rb_xdr_get_u32(&d);
	uint32_t mtype = rb_xdr_get_u32(&d);
	if (d.err || mtype != RB_MSG_REPLY)
		return -EBADMSG;
	*xid = x;
	return 0;
}

/* Rewinds e to start and writes the answer to a failure: INDIRECT's
 * SYSTEM_ERR (none when drop), CALLIT's nothing. */
static void fail_at(struct rb_xdr_enc *e, size_t start, const struct rb_fwd_shape *s,
		    bool drop)
{
	e->err = 0;
	e->pos = start;
	if (s->kind == RB_FWD_INDIRECT && !drop)
		rb_rpc_put_accepted(e, s->xid, RB_SYSTEM_ERR);
	if (e->err) {
		e->err = 0;
		e->pos = start;
	}
}

/* The version range of the service's PROG_MISMATCH or RPC_MISMATCH;
 * false when its reply ends before it. */
static bool get_range(struct rb_xdr_dec *d, uint32_t *lo, uint32_t *hi)
{
	*lo = rb_xdr_get_u32(d);
	*hi = rb_xdr_get_u32(d);
	return d->err == 0;
}

/* INDIRECT: the service's error, as it gave it. */
static enum rb_fwd_status put_error(struct rb_xdr_enc *e, const struct rb_fwd_shape *s,
				    struct rb_xdr_dec *d, uint32_t rstat, uint32_t stat)
{
	size_t start = e->pos;
	if (rstat == RB_MSG_ACCEPTED) {
		if (stat == RB_PROG_MISMATCH) {
			uint32_t lo, hi;
			if (!get_range(d, &lo, &hi))
				return RB_FWD_GARBLED;
			if (s->kind == RB_FWD_INDIRECT)
				rb_rpc_put_prog_mismatch(e, s->xid, lo, hi);
		} else if (s->kind == RB_FWD_INDIRECT) {
			/* SUCCESS is handled by the caller; an accept_stat
			 * beyond SYSTEM_ERR is none we can repeat. */
			rb_rpc_put_accepted(e, s->xid,
					    stat <= RB_SYSTEM_ERR ? (enum rb_accept_stat)stat
								  : RB_SYSTEM_ERR);
		}
	} else {
		if (stat == RB_RPC_MISMATCH) {
			uint32_t lo, hi;
			if (!get_range(d, &lo, &hi))
				return RB_FWD_GARBLED;
			if (s->kind == RB_FWD_INDIRECT)
				rb_rpc_put_rpc_mismatch(e, s->xid, lo, hi);
		} else if (stat == RB_AUTH_ERROR) {
			uint32_t why = rb_xdr_get_u32(d);
			if (d->err)
				return RB_FWD_GARBLED;
			if (s->kind != RB_FWD_INDIRECT)
				return RB_FWD_SVC_ERROR;
			if (why >= RB_AUTH_BADCRED && why <= RB_AUTH_FAILED)
				rb_rpc_put_auth_error(e, s->xid, (enum rb_auth_stat)why);
			else
				rb_rpc_put_accepted(e, s->xid, RB_SYSTEM_ERR);
		} else {
			return RB_FWD_GARBLED;
		}
	}
	if (e->err)
		fail_at(e, start, s, false);
	return RB_FWD_SVC_ERROR;
}

enum rb_fwd_status rb_fwd_put_answer(struct rb_xdr_enc *e, const struct rb_fwd_shape *s,
				     const uint8_t *rep, uint32_t len)
{
	size_t start = e->pos;
	struct rb_xdr_dec d;
	rb_xdr_dec_init(&d, rep, len);
	(void)rb_xdr_get_u32(&d); /* xid: matched by the caller */
	uint32_t mtype = rb_xdr_get_u32(&d);
	uint32_t rstat = rb_xdr_get_u32(&d);
	enum rb_fwd_status st = RB_FWD_GARBLED;
	if (d.err || mtype != RB_MSG_REPLY)
		goto garbled;
	if (rstat == RB_MSG_DENIED) {
		uint32_t rj = rb_xdr_get_u32(&d);
		if (d.err)
			goto garbled;
		st = put_error(e, s, &d, rstat, rj);
		if (st == RB_FWD_GARBLED)
			goto garbled;
		return st;
	}
	if (rstat != RB_MSG_ACCEPTED)
		goto garbled;
	(void)rb_xdr_get_u32(&d); /* the service's verifier: not ours to pass on */
	(void)rb_xdr_get_opaque(&d, RB_AUTH_BODY_MAX);
	uint32_t stat = rb_xdr_get_u32(&d);
	if (d.err)
		goto garbled;
	if (stat != RB_SUCCESS) {
		st = put_error(e, s, &d, rstat, stat);
		if (st == RB_FWD_GARBLED)
			goto garbled;
		return st;
	}
	/* The results are the rest of the datagram, whatever their shape:
	 * the caller decodes them, as from the service itself. */
	const uint8_t *res = rep + d.pos;
	uint32_t rlen = (uint32_t)rb_xdr_dec_left(&d);
	rb_rpc_put_accepted(e, s->xid, RB_SUCCESS);
	if (s->rvers == 2)
		rb_xdr_put_u32(e, s->port);
	else
		rb_xdr_put_opaque(e, s->uaddr, s->uaddr_len);
	rb_xdr_put_opaque(e, res, rlen);
	if (e->err) {
		fail_at(e, start, s, false);
		return RB_FWD_TOO_BIG;
	}
	if (s->guard && e->pos - start > s->call_len) {
		fail_at(e, start, s, s->guard_drop);
		return RB_FWD_REFLECT;
	}
	return RB_FWD_RELAYED;
garbled:
	fail_at(e, start, s, false);
	return RB_FWD_GARBLED;
}

void rb_fwd_put_failure(struct rb_xdr_enc *e, const struct rb_fwd_shape *s)
{
	fail_at(e, e->pos, s, false);
}
