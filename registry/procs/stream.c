#include "registry/procs/stream.h"

#include <errno.h>
#include <string.h>

#include "core/rpc_msg.h"
#include "registry/procs/procs.h"
#include "registry/procs/rpcb_xdr.h"

void rb_stream_begin(const struct rb_handler_ctx *ctx, struct rb_stream *st,
		     enum rb_stream_kind k, uint32_t xid, unsigned vi)
{
	memset(st, 0, offsetof(struct rb_stream, netid));
	st->netid[0] = '\0';
	st->kind = (uint8_t)k;
	st->xid = xid;
	st->vi = (uint8_t)vi;
	st->upto = rb_registry_seq(ctx->reg);
}

/* ---- DUMP: the registration-order list ---- */

/* The first entry to list after st->last. */
static const struct rb_entry *dump_resume(const struct rb_registry *reg,
					  const struct rb_stream *st)
{
	if (!st->last)
		return rb_registry_first(reg);
	/* Still registered: its successor, in O(1). A removed entry keeps its
	 * link to the successor it had, so the walk goes on correctly even
	 * when its removal is under way in this very section. */
	const struct rb_entry *e = rb_lookup(reg, st->prog, st->vers, st->netid, st->netid_len);
	if (e && e->seq == st->last)
		return rb_registry_next(e);
	/* Gone since the last step (a local UNSET): walk to the first entry
	 * after it; O(n), but only once per such removal and step. */
	for (e = rb_registry_first(reg); e && e->seq <= st->last; e = rb_registry_next(e))
		;
	return e;
}

static void dump_mark(struct rb_stream *st, const struct rb_entry *e)
{
	st->last = e->seq;
	st->prog = e->prog;
	st->vers = e->vers;
	st->netid_len = e->netid_len;
	memcpy(st->netid, e->netid, e->netid_len);
	st->netid[e->netid_len] = '\0';
}

/* One pmaplist item for e, or nothing when e is not in PMAP's view
 * (exactly "udp"/"tcp", as rpcbind's case-sensitive pmap list). */
static void put_pmap_entry(struct rb_xdr_enc *out, const struct rb_entry *e)
{
	uint32_t prot;
	uint16_t port;
	if (e->netid_len != 3)
		return;
	if (memcmp(e->netid, "udp", 3) == 0)
		prot = RB_IPPROTO_UDP;
	else if (memcmp(e->netid, "tcp", 3) == 0)
		prot = RB_IPPROTO_TCP;
	else
		return;
	if (rb_uaddr_port(rb_entry_uaddr(e), e->uaddr_len, &port))
		return;
	struct rb_pmap m = { e->prog, e->vers, prot, port };
	rb_xdr_put_bool(out, true);
	rb_put_pmap(out, &m);
}

static void put_rpcb_entry(struct rb_xdr_enc *out, const struct rb_entry *e)
{
	rb_xdr_put_bool(out, true);
	rb_xdr_put_u32(out, e->prog);
	rb_xdr_put_u32(out, e->vers);
	rb_xdr_put_opaque(out, e->netid, e->netid_len);
	rb_xdr_put_opaque(out, rb_entry_uaddr(e), e->uaddr_len);
	rb_xdr_put_opaque(out, rb_entry_owner(e), e->owner_len);
}

/* Entries until out is full or the list ends; 1 at the end. */
static int dump_step(const struct rb_handler_ctx *ctx, struct rb_stream *st,
		     struct rb_xdr_enc *out)
{
	bool pmap = st->kind == RB_STREAM_PMAP_DUMP;
	for (const struct rb_entry *e = dump_resume(ctx->reg, st); e && e->seq <= st->upto;
	     e = rb_registry_next(e)) {
		size_t at = out->pos;
		if (pmap)
			put_pmap_entry(out, e);
		else
			put_rpcb_entry(out, e);
		if (out->err) {
			out->err = 0;
			out->pos = at;
			return 0;
		}
		dump_mark(st, e);
	}
	return 1;
}

/* ---- GETADDRLIST: one program's registrations ---- */

/* Index of the first registration of ps after seq (ps is in registration
 * order, so ascending seq). */
static uint32_t progset_after(const struct rb_progset *ps, uint64_t seq)
{
	uint32_t lo = 0, hi = ps->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ps->v[mid]->seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One rpcb_entry for e, or nothing when it is not for this transport. */
static void put_addrlist_entry(struct rb_xdr_enc *out, const struct rb_xport *x,
			       struct rb_stream *st, const struct rb_entry *e)
{
	const struct rb_netid *xn = rb_netid_get(x->netid);
	if (e->vers != st->vers)
		return;
	int ni = rb_netid_find(e->netid, e->netid_len);
	if (ni < 0)
		return; /* rpcbind answers nothing at all here; we leave it out */
	const struct rb_netid *en = rb_netid_get((enum rb_netid_idx)ni);
	if (en->family != xn->family)
		return;
	char ua[RB_UADDR_MAX + 1];
	int n = rb_merge_uaddr(x, e, ua, sizeof(ua));
	if (n <= 0)
		return;
	rb_xdr_put_bool(out, true);
	rb_xdr_put_opaque(out, ua, (uint32_t)n);
	rb_xdr_put_cstr(out, en->name);
	rb_xdr_put_u32(out, en->semantics);
	rb_xdr_put_cstr(out, en->protofmly);
	rb_xdr_put_cstr(out, en->proto);
}

static int addrlist_step(const struct rb_handler_ctx *ctx, const struct rb_xport *x,
			 struct rb_stream *st, struct rb_xdr_enc *out)
{
	/* Over AF_LOCAL an empty list, as rpcbind (its address merge is
	 * IP-only). */
	const struct rb_progset *ps = rb_netid_get(x->netid)->family == RB_AF_LOCAL
					      ? NULL
					      : rb_lookup_prog(ctx->reg, st->prog);
	for (uint32_t i = ps ? progset_after(ps, st->last) : 0; ps && i < ps->n; i++) {
		const struct rb_entry *e = ps->v[i];
		if (e->seq > st->upto)
			break;
		size_t at = out->pos;
		put_addrlist_entry(out, x, st, e);
		if (out->err) {
			out->err = 0;
			out->pos = at;
			return 0;
		}
		if (out->pos != at)
			st->any = true;
		st->last = e->seq;
	}
	return 1;
}

int rb_stream_step(const struct rb_handler_ctx *ctx, const struct rb_xport *x,
		   struct rb_stream *st, struct rb_xdr_enc *out)
{
	size_t start = out->pos;
	if (!st->started) {
		rb_rpc_put_accepted(out, st->xid, RB_SUCCESS);
		if (out->err) {
			out->err = 0;
			out->pos = start;
			return -EMSGSIZE;
		}
		st->started = true;
	}
	int done = st->kind == RB_STREAM_ADDRLIST ? addrlist_step(ctx, x, st, out)
						  : dump_step(ctx, st, out);
	if (done) {
		/* The list's end: FALSE. */
		size_t at = out->pos;
		rb_xdr_put_bool(out, false);
		if (out->err) {
			out->err = 0;
			out->pos = at;
			done = 0;
		}
	}
	if (!done && out->pos == start)
		return -EMSGSIZE; /* not even one entry fit */
	if (done) {
		if (st->kind == RB_STREAM_ADDRLIST)
			rb_stats_lookup(ctx->stats, st->vi, st->prog, st->vers,
					rb_netid_get(x->netid)->name, st->any);
		st->kind = RB_STREAM_NONE;
	}
	return done;
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
