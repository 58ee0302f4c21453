/* The prefetch of a call's lookup (dispatch.h, rb_prefetch_call_slot):
 * a look at a call of a batch early enough that its lookup's memory is on
 * its way while the calls before it are answered. With a million
 * registrations the table and the entries are far larger than the caches
 * and each lookup costs two cache misses in a row (the slot, then the
 * entry): BENCHMARKS.md, "1,000,000 registrations". */
#include <string.h>

#include "core/rpc_msg.h"
#include "registry/procs/dispatch.h"
#include "registry/procs/rpcb_xdr.h"

static void arm(struct rb_call_prefetch *p, uint32_t prog, uint32_t vers,
		const char *netid)
{
	p->key.prog = prog;
	p->key.vers = vers;
	p->key.netid = netid;
	p->key.netid_len = (uint8_t)strlen(netid);
	p->armed = true;
}

void rb_prefetch_call_slot(const struct rb_handler_ctx *ctx, enum rb_netid_idx netid,
			   const uint8_t *msg, uint32_t len, struct rb_call_prefetch *p)
{
	struct rb_rpc_call c;
	enum rb_auth_stat why;
	p->armed = false;
	if (!rb_prefetch_wanted(ctx) ||
	    rb_rpc_decode_call(msg, len, &c, &why) != RB_CALL_OK ||
	    c.prog != RB_PROG_RPCBIND)
		return;
	struct rb_xdr_dec d;
	rb_xdr_dec_init(&d, c.args, c.args_len);
	if (c.vers == RB_VERS_PMAP && c.proc == RB_PROC_GETADDR) {
		/* As pmap_getport: the mapping's protocol picks the netid. */
		struct rb_pmap m;
		rb_get_pmap(&d, &m);
		const char *nid = rb_pmap_prot_netid(m.prot);
		if (!d.err && nid)
			arm(p, m.prog, m.vers, nid);
	} else if ((c.vers == RB_VERS_RPCB3 || c.vers == RB_VERS_RPCB4) &&
		   (c.proc == RB_PROC_GETADDR ||
		    (c.vers == RB_VERS_RPCB4 && c.proc == RB_PROC_GETVERSADDR))) {
		/* As rpcb_getaddr: the transport's netid, not the call's. */
		struct rb_rpcb r;
		rb_get_rpcb(&d, &r);
		if (!d.err)
			arm(p, r.prog, r.vers, rb_netid_get(netid)->name);
	}
	if (p->armed)
		rb_lookup_prefetch_slot(ctx->reg, &p->key);
}

void rb_prefetch_call_entry(const struct rb_handler_ctx *ctx,
			    const struct rb_call_prefetch *p)
{
	if (p->armed)
		rb_lookup_prefetch_entry(ctx->reg, &p->key);
}

bool rb_prefetch_pipe_push(const struct rb_handler_ctx *ctx, struct rb_prefetch_pipe *p,
			   enum rb_netid_idx netid, const uint8_t *msg, uint32_t len)
{
	struct rb_call_prefetch *next = &p->pf[p->n & 1u];
	next->armed = false;
	if (msg)
		rb_prefetch_call_slot(ctx, netid, msg, len, next);
	rb_prefetch_call_entry(ctx, &p->pf[(p->n - 1u) & 1u]);
	p->n++;
	return next->armed;
}

void rb_prefetch_pipe_drain(const struct rb_handler_ctx *ctx, struct rb_prefetch_pipe *p)
{
	struct rb_call_prefetch *last = &p->pf[(p->n - 1u) & 1u];
	rb_prefetch_call_entry(ctx, last);
	last->armed = false;
}
