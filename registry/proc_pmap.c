/* PMAP version 2 (RFC 1833 section 3): the portmapper view of the registry,
 * which holds only the entries whose netid is exactly "udp" or "tcp". */
#include <stdio.h>
#include <string.h>

#include "registry/procs.h"
#include "registry/rpcb_xdr.h"

static enum rb_outcome pmap_set(struct rb_call *k)
{
	struct rb_pmap m;
	if (!rb_may_modify(k))
		return RB_OUT_REPLY;
	rb_get_pmap(&k->args, &m);
	if (!rb_args_ok(k))
		return rb_reply_status(k, RB_GARBAGE_ARGS);
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
	if (!rb_may_modify(k))
		return RB_OUT_REPLY;
	rb_get_pmap(&k->args, &m);
	if (!rb_args_ok(k))
		return rb_reply_status(k, RB_GARBAGE_ARGS);
	/* prot and port are ignored: the udp and tcp entries both go. */
	rb_mutation_begin(k, RB_MUT_UNSET, m.prog, m.vers);
	k->mut->pmap = true;
	return RB_OUT_MUTATE;
}

static enum rb_outcome pmap_getport(struct rb_call *k)
{
	struct rb_pmap m;
	rb_get_pmap(&k->args, &m);
	if (!rb_args_ok(k))
		return rb_reply_status(k, RB_GARBAGE_ARGS);
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
	/* Entries registered after the call began are left out, so a DUMP
	 * that races with SETs never lists a key twice or runs on. */
	uint64_t upto = rb_registry_seq(k->ctx->reg);
	rb_reply_ok(k);
	for (const struct rb_entry *e = rb_registry_first(k->ctx->reg); e && e->seq <= upto;
	     e = rb_registry_next(e)) {
		uint32_t prot;
		uint16_t port;
		/* Exactly "udp"/"tcp": rpcbind's pmap list is case-sensitive. */
		if (e->netid_len != 3)
			continue;
		if (memcmp(e->netid, "udp", 3) == 0)
			prot = RB_IPPROTO_UDP;
		else if (memcmp(e->netid, "tcp", 3) == 0)
			prot = RB_IPPROTO_TCP;
		else
			continue;
		if (rb_uaddr_port(rb_entry_uaddr(e), e->uaddr_len, &port))
			continue;
		struct rb_pmap m = { e->prog, e->vers, prot, port };
		rb_xdr_put_bool(k->out, true);
		rb_put_pmap(k->out, &m);
		if (k->out->err)
			break;
	}
	rb_xdr_put_bool(k->out, false);
	return RB_OUT_REPLY;
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
		/* Remote calls: off by default (and over streams), where
		 * rpcbind is silent; with -r over UDP, forwarded. */
		return k->fwd ? rb_proc_remote(k, RB_FWD_CALLIT) : RB_OUT_DROP;
	default:
		return RB_OUT_DROP;
	}
}
