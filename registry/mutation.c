/* The writer's half of SET/UNSET: apply, count, answer. */
#include "registry/dispatch.h"

#include <errno.h>
#include <string.h>

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

int rb_mutation_vet(const struct rb_registry *reg, const struct rb_policy *pol,
		    const struct rb_mutation *m)
{
	/* The port mapper's own registrations are made by the daemon at each
	 * start; a client may neither add to them nor take them away. */
	if (m->prog == RB_PROG_RPCBIND)
		return -EROFS;
	if (m->op != RB_MUT_SET)
		return 0; /* removing is always allowed (ownership is checked) */
	if (pol->max_registrations && rb_registry_count(reg) >= pol->max_registrations)
		return -ENOSPC;
	if (strcmp(m->owner, "superuser") == 0)
		return 0;
	if (pol->owner_quota && rb_registry_owner_count(reg, m->owner) >= pol->owner_quota)
		return -EDQUOT;
	if (!pol->port_policy)
		return 0;
	int ni = rb_netid_find(m->netid, strlen(m->netid));
	const struct rb_netid *nid = ni >= 0 ? rb_netid_get((enum rb_netid_idx)ni) : NULL;
	if (!nid || nid->family == RB_AF_LOCAL)
		return 0; /* a netid we cannot judge, or a socket path */
	struct rb_addr a;
	if (rb_uaddr_parse(nid->family, m->uaddr, strlen(m->uaddr), &a) < 0 || a.port == 0)
		return -EINVAL;
	if (a.port < 1024)
		return -EACCES; /* the well-known/system range is root's */
	return 0;
}

const char *rb_mutation_refusal(int err)
{
	switch (err) {
	case -ENOSPC:
		return "the registry is full (--max-registrations)";
	case -EDQUOT:
		return "over the owner's quota (--owner-quota)";
	case -EACCES:
		return "port below 1024 claimed by an unprivileged owner";
	case -EINVAL:
		return "port 0 or a malformed universal address";
	case -EPERM:
		return "the owner does not hold that port";
	case -EROFS:
		return "program 100000 is the port mapper's own";
	default:
		return "refused";
	}
}
