/* The helpers that every procedure file (proc_pmap.c, proc_rpcb.c,
 * remote_call.c, stream.c) uses to answer one call: reply heads, argument
 * and authorization checks, a mutation's start, the merged address. A file
 * of its own, below dispatch.c and the procedures, so that dispatch calls
 * the procedures and the procedures call these without a circle between
 * the files. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "registry/procs/procs.h"

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

enum rb_outcome rb_reply_status(struct rb_call *k, enum rb_accept_stat st)
{
	rb_rpc_put_accepted(k->out, k->c->xid, st);
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
