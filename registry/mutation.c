/* The writer's half of SET/UNSET: apply, count, answer. */
#include "registry/dispatch.h"

#include <errno.h>

#include "core/rpc_msg.h"

bool rb_mutation_apply(struct rb_registry *reg, const struct rb_mutation *m,
		       struct rb_stats *stats)
{
	bool ok;
	unsigned removed;

	if (m->op == RB_MUT_SET) {
		ok = rb_registry_set(reg, m->prog, m->vers, m->netid, m->uaddr,
				     m->owner) >= 0;
		if (ok && stats)
			rb_stats_set(stats, m->stat_vers);
		return ok;
	}
	if (m->pmap) {
		/* rpcbind ORs the udp and tcp results, answering TRUE even when
		 * one half was refused; we answer FALSE if either was refused,
		 * so TRUE always means "nothing of yours is left". */
		int u = rb_registry_unset(reg, m->prog, m->vers, "udp", m->owner, &removed);
		int t = rb_registry_unset(reg, m->prog, m->vers, "tcp", m->owner, &removed);
		ok = u == 0 && t == 0;
	} else {
		ok = rb_registry_unset(reg, m->prog, m->vers, m->netid, m->owner,
				       &removed) == 0;
	}
	if (ok && stats)
		rb_stats_unset(stats, m->stat_vers);
	return ok;
}

void rb_mutation_put_reply(struct rb_xdr_enc *out, const struct rb_mutation *m,
			   bool ok)
{
	rb_rpc_put_accepted(out, m->xid, RB_SUCCESS);
	rb_xdr_put_bool(out, ok);
}
