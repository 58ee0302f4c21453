#include "net/durable.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/uaddr.h"
#include "net/daemon.h"

static bool persisted(uint32_t prog)
{
	return prog != RB_PROG_RPCBIND;
}

/* Records one effect of the batch and hands it to the journal's buffer. */
static void record(struct rb_durable *du, uint8_t op, const struct rb_entry *e)
{
	if (!du->recording || !persisted(e->prog))
		return;
	if (du->neff == du->effcap) {
		size_t cap = du->effcap ? du->effcap * 2 : 64;
		struct rb_jrec *n = realloc(du->eff, cap * sizeof(*n));
		if (!n) {
			du->batch_failed = true; /* cannot undo what we cannot see */
			return;
		}
		du->eff = n;
		du->effcap = cap;
	}
	struct rb_jrec *r = &du->eff[du->neff++];
	rb_jrec_from_entry(r, e);
	r->op = op;
	if (!du->p)
		return;
	int rc = rb_persist_append(du->p, r);
	if (rc == -ENOBUFS) {
		/* A huge batch: commit what came before this record now. */
		if (rb_persist_commit(du->p) == 0)
			du->committed = du->neff - 1;
		else
			du->batch_failed = true;
		rc = rb_persist_append(du->p, r);
	}
	if (rc < 0)
		du->batch_failed = true;
}

static void obs_added(void *arg, const struct rb_entry *e)
{
	record(arg, RB_JOP_ADD, e);
}

static void obs_removed(void *arg, const struct rb_entry *e)
{
	record(arg, RB_JOP_DEL, e);
}

/* Policy first (quotas, ports), then, for a non-root AF_LOCAL registrant
 * (whose owner is its uid), whether it holds the port it claims. A port
 * below 1024, which the port policy keeps for root (-EACCES), is allowed
 * to a uid that holds it: the system let it bind there
 * (CAP_NET_BIND_SERVICE, net.ipv4.ip_unprivileged_port_start lowered, as
 * container runtimes do), which is what the policy asks of root. Only a
 * definite "holds it" counts; a network registrant (owner "unknown") has
 * no uid to check and stays refused. */
static int vet(struct rb_durable *du, const struct rb_mutation *m)
{
	int v = rb_mutation_vet(du->reg, du->policy, m);
	if ((v < 0 && v != -EACCES) || m->op != RB_MUT_SET || !du->owns_port)
		return v;
	char *end;
	unsigned long uid = strtoul(m->owner, &end, 10);
	if (m->owner[0] < '0' || m->owner[0] > '9' || *end)
		return v; /* "superuser" or "unknown": no uid to check */
	uint16_t port;
	if (rb_uaddr_port(m->uaddr, strlen(m->uaddr), &port) < 0)
		return v; /* a socket path: nothing to check */
	int held = du->owns_port((uint32_t)uid, m->netid, port);
	if (v == -EACCES)
		return held == 1 ? 0 : v;
	return held == 0 ? -EPERM : 0;
}

static void refusal_log(struct rb_durable *du, const struct rb_mutation *m, int why)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!rb_log_budget_take(&du->refuse_log, (uint64_t)ts.tv_sec, RB_REFUSAL_LOG_RATE, NULL))
		return;
	char peer[RB_UADDR_MAX + 24] = "?";
	if (m->peer.family == RB_AF_LOCAL)
		snprintf(peer, sizeof(peer), "local uid %lld", (long long)m->peer_uid);
	else if (rb_uaddr_print(&m->peer, peer, sizeof(peer)) < 0)
		snprintf(peer, sizeof(peer), "?");
	rb_logl(RB_LOG_NOTICE, "refused %s %u %u %s %s from %s (owner %s): %s",
		m->op == RB_MUT_SET ? "SET" : "UNSET", m->prog, m->vers, m->netid, m->uaddr, peer,
		m->owner, rb_mutation_refusal(why));
}

struct rb_pending *rb_durable_apply(struct rb_durable *du, const struct rb_mutation *m)
{
	if (du->npend == du->pendcap) {
		size_t cap = du->pendcap ? du->pendcap * 2 : 64;
		struct rb_pending *n = realloc(du->pend, cap * sizeof(*n));
		if (!n)
			return NULL;
		du->pend = n;
		du->pendcap = cap;
	}
	struct rb_pending *pr = &du->pend[du->npend++];
	memset(pr, 0, sizeof(*pr));
	pr->m = *m;
	if (!du->p) {
		/* No state directory: a change we could not keep is refused. */
		du->refused_no_state++;
		pr->ok = false;
		pr->eff_end = du->neff;
		return pr;
	}
	int v = vet(du, m);
	if (v < 0) {
		du->refused++;
		refusal_log(du, m, v);
		pr->ok = false;
		pr->eff_end = du->neff;
		return pr;
	}
	du->recording = true;
	pr->ok = rb_mutation_apply(du->reg, m, NULL);
	du->recording = false;
	pr->eff_end = du->neff;
	return pr;
}

/* Reverts one effect (the observer is not recording). */
static void undo(struct rb_durable *du, const struct rb_jrec *r)
{
	unsigned removed;
	if (r->op == RB_JOP_ADD)
		rb_registry_unset(du->reg, r->prog, r->vers, r->netid, NULL, &removed);
	else
		rb_registry_set(du->reg, r->prog, r->vers, r->netid, r->uaddr, r->owner);
}

void rb_durable_commit(struct rb_durable *du,
		       void (*deliver)(void *arg, struct rb_pending *pr), void *arg)
{
	if (!du->npend && du->neff == du->committed)
		return;
	int r = 0;
	if (du->batch_failed)
		r = -EIO;
	else if (du->p && rb_persist_pending(du->p))
		r = rb_persist_commit(du->p);

	if (r < 0) {
		for (size_t i = du->neff; i-- > du->committed;)
			undo(du, &du->eff[i]);
		/* From the first reply that depends on an uncommitted effect
		 * on, nothing is acknowledged (a later SET may have answered
		 * TRUE only because an earlier one of the batch took effect). */
		bool fail = false;
		for (size_t i = 0; i < du->npend; i++) {
			if (du->pend[i].eff_end > du->committed)
				fail = true;
			if (fail)
				du->pend[i].ok = false;
		}
		du->commit_failures++;
		if (!du->failing) {
			rb_log("cannot write state in %s: %s; SET/UNSET are answered FALSE "
			       "until it can be written (lookups go on)",
			       du->state_dir,
			       du->p ? rb_persist_last_error(du->p) : strerror(-r));
			du->failing = true;
		}
	} else if (du->failing && du->neff > du->committed) {
		rb_log("state in %s is writable again", du->state_dir);
		du->failing = false;
	}

	for (size_t i = 0; i < du->npend; i++) {
		struct rb_pending *pr = &du->pend[i];
		if (pr->ok && du->stats) {
			if (pr->m.op == RB_MUT_SET)
				rb_stats_set(du->stats, pr->m.stat_vers);
			else
				rb_stats_unset(du->stats, pr->m.stat_vers);
		}
		deliver(arg, pr);
	}
	du->npend = 0;
	du->neff = du->committed = 0;
	du->batch_failed = false;

	if (r == 0 && du->p && rb_persist_should_compact(du->p)) {
		int c = rb_persist_compact(du->p, du->reg);
		if (c < 0)
			rb_log("compacting the state failed (the journal goes on): %s",
			       rb_persist_last_error(du->p));
	}
}

/* Restores a record, leaving out the daemon's own program. */
static int restore(void *arg, const struct rb_jrec *r)
{
	if (!persisted(r->prog))
		return 1;
	return rb_jrec_apply(arg, r);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* First start with no state of our own: take over rpcbind's registrations.
 * rpcbind writes its files as its run user (_rpc on Debian), so that uid
 * is trusted as well as root. */
static void import_rpcbind(struct rb_durable *du, const char *dir)
{
	struct rb_import_report rep;
	struct rb_jrec_sink sink = { .reg = du->reg };
	const struct passwd *pw = getpwnam("_rpc");
	uid_t trusted = pw ? pw->pw_uid : (uid_t)-1;

	du->recording = true;
	int r = rb_persist_import_rpcbind(dir, trusted, restore, &sink, &rep);
	du->recording = false;
	if (r == -ENOENT)
		return; /* no rpcbind ran here: nothing to take over */
	if (r < 0) {
		rb_log("not importing rpcbind's state from %s: %s", dir,
		       rep.msg[0] ? rep.msg : strerror(-r));
		return;
	}
	if (!rep.found_rpcbind && !rep.found_portmap)
		return;
	unsigned n = rep.rpcbind.imported + rep.portmap.imported;
	if (rb_persist_commit(du->p) < 0) {
		rb_log("imported rpcbind's state but cannot save it: %s",
		       rb_persist_last_error(du->p));
	} else {
		rb_persist_import_done(dir);
	}
	du->neff = du->committed = 0;
	rb_log("imported %u registrations from rpcbind's warm-start files in %s "
	       "(%u of its own skipped, %u refused)",
	       n, dir, rep.rpcbind.skipped + rep.portmap.skipped,
	       rep.rpcbind.rejected + rep.portmap.rejected);
}

static int load(struct rb_durable *du, const char *import_dir, bool import);

int rb_durable_start(struct rb_durable *du, struct rb_registry *reg,
		     struct rb_stats *stats, const struct rb_config *cfg,
		     const struct rb_policy *policy)
{
	char msg[RB_PERSIST_MSG_MAX] = "";
	memset(du, 0, sizeof(*du));
	du->reg = reg;
	du->policy = policy;
	du->stats = stats;
	snprintf(du->state_dir, sizeof(du->state_dir), "%s", cfg->state_dir);
	struct rb_registry_observer obs = { obs_added, obs_removed, du };
	rb_registry_observe(reg, &obs);
	du->next_retry_ms = now_ms() + RB_STATE_RETRY_MS;

	int r = rb_persist_open(cfg->state_dir, &du->p, msg, sizeof(msg));
	if (r == -EBUSY) {
		/* Another ringbind owns this state: two writers would undo
		 * each other's journal. */
		rb_log("state directory %s: %s; not starting", cfg->state_dir,
		       msg[0] ? msg : strerror(-r));
		du->p = NULL;
		return r;
	}
	if (r < 0) {
		du->p = NULL;
		du->failing = true;
		rb_log("state directory %s unusable: %s; lookups are served, "
		       "SET/UNSET answered FALSE (tried again every %u s)", cfg->state_dir,
		       msg[0] ? msg : strerror(-r), RB_STATE_RETRY_MS / 1000u);
		return 0;
	}
	if (cfg->cold) {
		r = rb_persist_discard(du->p);
		rb_log("--cold: starting empty%s", r < 0 ? " (old state not removed)" : "");
		return 0;
	}
	return load(du, cfg->import_dir, true);
}

/* Restores the saved state into the registry; on a first start (nothing
 * saved) imports rpcbind's files when import is set. */
static int load(struct rb_durable *du, const char *import_dir, bool import)
{
	struct rb_registry *reg = du->reg;
	struct rb_load_report rep;
	struct rb_jrec_sink sink = { .reg = reg };
	uint64_t t0 = now_ms();
	/* Size the tables for what is on disk (a snapshot record is 40-65
	 * bytes), so that a big restore does not rehash a dozen times. */
	struct stat st;
	char path[RB_CONFIG_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/snapshot", du->state_dir);
	if (stat(path, &st) == 0 && st.st_size > 0)
		rb_registry_reserve(reg, (size_t)st.st_size / 40u);
	int r = rb_persist_load(du->p, restore, &sink, &rep);
	rb_registry_reclaim(reg);
	if (r < 0) {
		rb_log("saved state in %s is corrupt: %s; start with --cold to discard it",
		       du->state_dir, rep.msg[0] ? rep.msg : strerror(-r));
		return r;
	}
	if (rep.msg[0])
		rb_log("state: %s", rep.msg);
	if (rep.fresh) {
		if (import)
			import_rpcbind(du, import_dir);
		return 0;
	}
	/* Before self-registration, everything in the registry was restored. */
	rb_log("restored %zu registrations from %s in %llu ms", rb_registry_count(reg),
	       du->state_dir, (unsigned long long)(now_ms() - t0));
	return 0;
}

void rb_durable_retry(struct rb_durable *du, uint64_t now_ms_)
{
	char msg[RB_PERSIST_MSG_MAX] = "";
	if (du->p || now_ms_ < du->next_retry_ms)
		return;
	du->next_retry_ms = now_ms_ + RB_STATE_RETRY_MS;
	if (rb_persist_open(du->state_dir, &du->p, msg, sizeof(msg)) < 0) {
		du->p = NULL;
		return;
	}
	if (load(du, NULL, false) < 0) {
		rb_persist_close(du->p);
		du->p = NULL;
		return;
	}
	du->failing = false;
	rb_log("state directory %s usable again: SET/UNSET are kept from now on",
	       du->state_dir);
}

void rb_durable_stop(struct rb_durable *du)
{
	if (du->reg) /* NULL: the start failed before the state was opened */
		rb_registry_observe(du->reg, NULL);
	if (du->p)
		rb_persist_close(du->p);
	du->p = NULL;
	free(du->eff);
	free(du->pend);
	du->eff = NULL;
	du->pend = NULL;
}
