/* PMAP version 2 (RFC 1833 section 3): the portmapper view of the registry,
 * which holds only the entries whose netid is exactly "udp" or "tcp". */
#include <stdio.h>
#include <string.h>

#include "registry/procs/procs.h"
#include "registry/procs/rpcb_xdr.h"

/* The mapping argument of every PMAP procedure but NULL and DUMP: true
 * when it decoded whole; else GARBAGE_ARGS is written and false returned. */
static bool pmap_args(struct rb_call *k, struct rb_pmap *m)
{
	rb_get_pmap(&k->args, m);
	if (rb_args_ok(k))
		return true;
	rb_reply_status(k, RB_GARBAGE_ARGS);
	return false;
}

static enum rb_outcome pmap_set(struct rb_call *k)
{
	struct rb_pmap m;
	if (!rb_may_modify(k) || !pmap_args(k, &m))
		return RB_OUT_REPLY;
	const char *netid = rb_pmap_prot_netid(m.prot);
	if (!netid || m.port > 0xffff)
		return rb_reply_bool(k, false);
	rb_mutation_begin(k, RB_MUT_SET, m.prog, m.vers);
	snprintf(k->mut->netid, sizeof(k->mut->netid), "%s", netid);
	snprintf(k->mut->uaddr, sizeof(k->mut->uaddr), "0.0.0.0.%u.%u",
		 (unsigned)(m.port >> 8), (unsigned)(m.port & 0xff));
	return RB_OUT_MUTATE;
}

static enum rb_outcome pmap_unset(struct rb_call *k)
{
	struct rb_pmap m;
	if (!rb_may_modify(k) || !pmap_args(k, &m))
		return RB_OUT_REPLY;
	/* prot and port are ignored: the udp and tcp entries both go. */
	rb_mutation_begin(k, RB_MUT_UNSET, m.prog, m.vers);
	k->mut->pmap = true;
	return RB_OUT_MUTATE;
}

static enum rb_outcome pmap_getport(struct rb_call *k)
{
	struct rb_pmap m;
	if (!pmap_args(k, &m))
		return RB_OUT_REPLY;
	/* The mapping's protocol picks the netid, not the transport: mount
	 * asks over UDP for the TCP port. */
	const char *netid = rb_pmap_prot_netid(m.prot);
	uint16_t port = 0;
	if (netid) {
		const struct rb_entry *e = rb_lookup_any_version(
			k->ctx->reg, m.prog, m.vers, netid, 3);
		/* e->port is the uaddr's port when the registration parsed:
		 * the uaddr's bytes (another cache line) are read only when
		 * it did not. */
		if (e && e->port)
			port = e->port;
		else if (e && rb_uaddr_port(rb_entry_uaddr(e), e->uaddr_len, &port))
			port = 0;
		rb_stats_lookup(k->ctx->stats, k->vi, m.prog, m.vers, netid,
				port != 0);
	}
	rb_reply_ok(k);
	rb_xdr_put_u32(k->out, port);
	return RB_OUT_REPLY;
}

static enum rb_outcome pmap_dump(struct rb_call *k)
{
	/* Written by registry/procs/stream.c, whole or a piece at a time. */
	return rb_reply_stream(k, RB_STREAM_PMAP_DUMP, 0, 0);
}

enum rb_outcome rb_proc_pmap(struct rb_call *k)
{
	switch (k->c->proc) {
	case RB_PROC_NULL:
		return rb_reply_ok(k);
	case RB_PROC_SET:
		return pmap_set(k);
	case RB_PROC_UNSET:
		return pmap_unset(k);
	case RB_PROC_GETADDR:
		return pmap_getport(k);
	case RB_PROC_DUMP:
		return pmap_dump(k);
	case RB_PROC_CALLIT:
		/* Remote calls: with -r over UDP, forwarded; otherwise
		 * silent but for the deny list, and recorded for GETSTAT,
		 * as rpcbind (registry/procs/remote_call.c). */
		return rb_proc_remote(k, RB_FWD_CALLIT);
	default:
		return RB_OUT_DROP;
	}
}
