/* The writer's half of SET/UNSET: apply, count, answer. */
#include "registry/procs/dispatch.h"

#include <errno.h>
#include <string.h>

#include "core/rpc_msg.h"
#include "registry/format/journal.h"

/* An ADD of what m registers. */
static void jrec_add(struct rb_jrec *r, const struct rb_mutation *m)
{
	memset(r, 0, sizeof(*r));
	r->op = RB_JOP_ADD;
	r->prog = m->prog;
	r->vers = m->vers;
	memcpy(r->netid, m->netid, sizeof(r->netid));
	memcpy(r->uaddr, m->uaddr, sizeof(r->uaddr));
	memcpy(r->owner, m->owner, sizeof(r->owner));
}

static bool netid_is(const struct rb_entry *e, const char *netid, size_t nl)
{
	/* Exact, as the registry compares netids. */
	return e->netid_len == nl && memcmp(e->netid, netid, nl) == 0;
}

/* Whether owner may remove every (vers, netid) entry of ps ("" netid:
 * every netid); counts them in *hits. */
static bool unset_allowed(const struct rb_progset *ps, uint32_t vers, const char *netid,
			  const char *owner, uint32_t *hits)
{
	size_t nl = strlen(netid);
	bool super = strcmp(owner, "superuser") == 0;
	for (uint32_t i = 0; ps && i < ps->n; i++) {
		const struct rb_entry *e = ps->v[i];
		if (e->vers != vers || (nl && !netid_is(e, netid, nl)))
			continue;
		if (!super && strcmp(rb_entry_owner(e), owner) != 0)
			return false;
		(*hits)++;
	}
	return true;
}

/* Emits a DEL of every (vers, netid) entry of ps. */
static int unset_emit(const struct rb_progset *ps, uint32_t vers, const char *netid,
		      rb_jrec_fn emit, void *arg)
{
	size_t nl = strlen(netid);
	struct rb_jrec r;
	for (uint32_t i = 0; ps && i < ps->n; i++) {
		const struct rb_entry *e = ps->v[i];
		if (e->vers != vers || (nl && !netid_is(e, netid, nl)))
			continue;
		rb_jrec_from_entry(&r, e);
		r.op = RB_JOP_DEL;
		r.uaddr[0] = r.owner[0] = '\0';
		int rc = emit(arg, &r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int rb_mutation_plan(const struct rb_registry *reg, const struct rb_mutation *m,
		     rb_jrec_fn emit, void *arg)
{
	const struct rb_progset *ps = rb_lookup_prog(reg, m->prog);
	if (m->op == RB_MUT_SET) {
		/* rb_registry_set's own checks, made before anything changes. */
		size_t nl = strnlen(m->netid, sizeof(m->netid));
		if (nl == 0 || nl > RB_NETID_MAX || strnlen(m->uaddr, sizeof(m->uaddr)) > RB_UADDR_MAX ||
		    strnlen(m->owner, sizeof(m->owner)) > RB_OWNER_MAX)
			return 0;
		const struct rb_entry *old = rb_lookup(reg, m->prog, m->vers, m->netid, nl);
		if (old)
			return strcmp(rb_entry_uaddr(old), m->uaddr) == 0 ? 1 : 0;
		if (ps && ps->n >= RB_ENTRIES_PER_PROG_MAX)
			return 0;
		struct rb_jrec r;
		jrec_add(&r, m);
		int rc = emit(arg, &r);
		return rc < 0 ? rc : 1;
	}
	uint32_t hits = 0;
	if (m->pmap) {
		/* rpcbind ORs the udp and tcp results, answering TRUE even when
		 * one half was refused; we answer FALSE if either would be
		 * refused, and then remove neither: TRUE always means "nothing
		 * of yours is left", FALSE "nothing changed". */
		if (!unset_allowed(ps, m->vers, "udp", m->owner, &hits) ||
		    !unset_allowed(ps, m->vers, "tcp", m->owner, &hits))
			return 0;
		int rc = unset_emit(ps, m->vers, "udp", emit, arg);
		if (!rc)
			rc = unset_emit(ps, m->vers, "tcp", emit, arg);
		return rc < 0 ? rc : 1;
	}
	if (!unset_allowed(ps, m->vers, m->netid, m->owner, &hits))
		return 0;
	int rc = unset_emit(ps, m->vers, m->netid, emit, arg);
	return rc < 0 ? rc : 1;
}

/* rb_mutation_apply's effects go straight to the registry. */
static int apply_now(void *arg, const struct rb_jrec *r)
{
	struct rb_registry *reg = arg;
	unsigned removed;
	if (r->op == RB_JOP_ADD)
		return rb_registry_set(reg, r->prog, r->vers, r->netid, r->uaddr, r->owner) < 0
			       ? -ENOMEM
			       : 0;
	return rb_registry_unset(reg, r->prog, r->vers, r->netid, NULL, &removed) < 0 ? -ENOMEM
										 : 0;
}

bool rb_mutation_apply(struct rb_registry *reg, const struct rb_mutation *m,
		       struct rb_stats *stats)
{
	/* Planned against the registry as it is, then applied effect by
	 * effect; the only failure after the plan is out of memory. */
	bool ok = rb_mutation_plan(reg, m, apply_now, reg) == 1;
	if (ok && stats) {
		if (m->op == RB_MUT_SET)
			rb_stats_set(stats, m->stat_vers);
		else
			rb_stats_unset(stats, m->stat_vers);
	}
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
