#include "net/control/durable.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "core/uaddr.h"
#include "net/control/rpcbind_import.h"

static bool persisted(uint32_t prog)
{
	return prog != RB_PROG_RPCBIND;
}

bool rb_durable_writable(const struct rb_durable *du)
{
	return du->p && !rb_persist_readonly(du->p) && !du->failing;
}

/* ---- keys touched by held-back effects ---- */

/* Two kinds of keys, told apart by the top two bits (never all zero): a
 * registration (prog, vers, netid) and a version (prog, vers: for an UNSET
 * of every netid). Hashed (FNV-1a): a collision only costs an early
 * commit. */
#define KEY_REG (1ull << 62)
#define KEY_VERS (2ull << 62)

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t vers_key(uint32_t prog, uint32_t vers)
{
	uint32_t pv[2] = { prog, vers };
	return KEY_VERS | (fnv(1469598103934665603ull, pv, sizeof(pv)) >> 2);
}

static uint64_t reg_key(uint32_t prog, uint32_t vers, const char *netid)
{
	uint32_t pv[2] = { prog, vers };
	uint64_t h = fnv(1469598103934665603ull, pv, sizeof(pv));
	return KEY_REG | (fnv(h, netid, strlen(netid)) >> 2);
}

static size_t touch_slot(const struct rb_durable *du, uint64_t k)
{
	size_t mask = du->touchcap - 1, i = (size_t)(k * 0x9e3779b97f4a7c15ull >> 20) & mask;
	while (du->touch[i] && du->touch[i] != k)
		i = (i + 1) & mask;
	return i;
}

static bool touched(const struct rb_durable *du, uint64_t k)
{
	return du->touchcap && du->touch[touch_slot(du, k)] == k;
}

/* Remembers k; false when out of memory (the caller commits first). */
static bool touch_add(struct rb_durable *du, uint64_t k)
{
	if ((du->ntouch + 1) * 2 > du->touchcap) {
		size_t cap = du->touchcap ? du->touchcap * 2 : 256;
		uint64_t *old = du->touch, *n = calloc(cap, sizeof(*n));
		if (!n)
			return false;
		size_t oldcap = du->touchcap;
		du->touch = n;
		du->touchcap = cap;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				du->touch[touch_slot(du, old[i])] = old[i];
		free(old);
	}
	size_t i = touch_slot(du, k);
	if (!du->touch[i]) {
		du->touch[i] = k;
		du->ntouch++;
	}
	return true;
}

static void touch_clear(struct rb_durable *du)
{
	if (du->ntouch)
		memset(du->touch, 0, du->touchcap * sizeof(*du->touch));
	du->ntouch = 0;
}

/* ---- planning ---- */

/* rb_mutation_plan's emit: one effect, held back and buffered for the
 * commit. */
static int hold(void *arg, const struct rb_jrec *r)
{
	struct rb_durable *du = arg;
	if (du->neff == du->effcap) {
		size_t cap = du->effcap ? du->effcap * 2 : 64;
		struct rb_jrec *n = realloc(du->eff, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		du->eff = n;
		du->effcap = cap;
	}
	int rc = rb_persist_append(du->p, r);
	if (rc < 0)
		return rc;
	du->eff[du->neff++] = *r;
	return 0;
}

/* Whether m's verdict could depend on an effect held back in this batch. */
static bool depends_on_batch(const struct rb_durable *du, const struct rb_mutation *m)
{
	if (!du->neff)
		return false;
	/* The plan reads the keys it names (all of a version's for an UNSET
	 * of every netid), the program's entry count and, for quotas, counts:
	 * a held-back effect on any of them decides first. Two pipelined SETs
	 * of one program's udp and tcp do not wait for each other. */
	if (m->op != RB_MUT_SET) {
		if (m->pmap)
			return touched(du, reg_key(m->prog, m->vers, "udp")) ||
			       touched(du, reg_key(m->prog, m->vers, "tcp"));
		if (!m->netid[0])
			return touched(du, vers_key(m->prog, m->vers));
		return touched(du, reg_key(m->prog, m->vers, m->netid));
	}
	if (touched(du, reg_key(m->prog, m->vers, m->netid)))
		return true;
	const struct rb_progset *ps = rb_lookup_prog(du->reg, m->prog);
	if (ps && ps->n + du->held_adds >= RB_ENTRIES_PER_PROG_MAX)
		return true;
	const struct rb_policy *pol = du->policy;
	if (pol->max_registrations &&
	    rb_registry_count(du->reg) + du->held_adds >= pol->max_registrations)
		return true;
	/* (held_adds counts every owner's: a conservative bound, so that only
	 * an owner near its quota waits.) */
	return pol->owner_quota && strcmp(m->owner, "superuser") != 0 &&
	       rb_registry_owner_count(du->reg, m->owner) + du->held_adds >= pol->owner_quota;
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

static void flush(struct rb_durable *du);
static void compact_poll(struct rb_durable *du);
static void compact_maybe(struct rb_durable *du);
static void retry(struct rb_durable *du, uint64_t now, uint64_t every);
static uint64_t now_ms(void);

struct rb_pending *rb_durable_apply(struct rb_durable *du, const struct rb_mutation *m)
{
	/* A batch near RB_PERSIST_BATCH_MAX (a mutation's effects are at most
	 * RB_ENTRIES_PER_PROG_MAX records, well under half of it), or a
	 * verdict that depends on held-back effects: commit and publish what
	 * came before first (before m's own reply is held, which that commit
	 * must not settle). */
	if (du->p && !rb_persist_readonly(du->p) &&
	    (depends_on_batch(du, m) || rb_persist_batch_bytes(du->p) > RB_PERSIST_BATCH_MAX / 2))
		flush(du);
	if (!rb_durable_writable(du) && !du->neff)
		retry(du, now_ms(), RB_STATE_RETRY_CALL_MS);
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
	if (!du->p || rb_persist_readonly(du->p)) {
		/* Nowhere to keep a change: refused (the start or the retry
		 * logged why; the metric says so). */
		du->refused_no_state++;
		pr->ok = false;
		return pr;
	}
	int v = vet(du, m);
	if (v < 0) {
		du->refused++;
		refusal_log(du, m, v);
		pr->ok = false;
		return pr;
	}
	size_t first = du->neff;
	int rc = rb_mutation_plan(du->reg, m, hold, du);
	if (rc < 0) {
		/* Some of its effects may be buffered: this batch can no
		 * longer be committed as it is. */
		du->batch_failed = true;
		pr->ok = false;
		return pr;
	}
	pr->ok = rc == 1;
	pr->effects = du->neff > first;
	if (pr->effects) {
		bool room = true;
		for (size_t i = first; i < du->neff; i++) {
			const struct rb_jrec *e = &du->eff[i];
			room = room && touch_add(du, reg_key(e->prog, e->vers, e->netid)) &&
			       touch_add(du, vers_key(e->prog, e->vers));
			if (e->op != RB_JOP_ADD)
				continue;
			du->held_adds++;
		}
		if (!room) { /* cannot track it: settle it now */
			du->nsettled = du->npend - 1;
			flush(du);
		}
	}
	return pr;
}

/* Publishes the committed effects. A change the registry cannot take (out
 * of memory) is taken back in the journal at once and its call answered
 * FALSE. */
static void publish(struct rb_durable *du)
{
	struct rb_jrec_sink sink = { .reg = du->reg };
	size_t pi = du->nsettled;
	for (size_t i = 0; i < du->neff; i++) {
		const struct rb_jrec *r = &du->eff[i];
		int rc = rb_jrec_apply(&sink, r);
		if (rc == 0)
			continue;
		/* rc > 0 cannot happen (the plan saw the same registry);
		 * -ENOMEM can. */
		du->publish_failures++;
		struct rb_jrec inv = *r;
		if (r->op == RB_JOP_ADD) {
			inv.op = RB_JOP_DEL;
			inv.uaddr[0] = inv.owner[0] = '\0';
		} else {
			const struct rb_entry *e =
				rb_lookup(du->reg, r->prog, r->vers, r->netid, strlen(r->netid));
			if (!e)
				continue;
			rb_jrec_from_entry(&inv, e);
		}
		int c = rb_persist_append(du->p, &inv);
		if (!c)
			c = rb_persist_commit(du->p);
		rb_logl(RB_LOG_ERR, "committed change %s %u %u %s could not be made (%s)%s",
			r->op == RB_JOP_ADD ? "ADD" : "DEL", r->prog, r->vers, r->netid,
			rc < 0 ? strerror(-rc) : "conflict",
			c ? ": and could not be taken back in the journal either" : "");
		/* Answer FALSE to the call it belongs to: the first settled-
		 * later pending with effects of this program. */
		for (size_t k = pi; k < du->npend; k++) {
			if (du->pend[k].effects && du->pend[k].m.prog == r->prog) {
				du->pend[k].ok = false;
				break;
			}
		}
	}
}

/* Commits what is held back, publishes it when the commit succeeded, and
 * makes the replies so far final. */
static void flush(struct rb_durable *du)
{
	int r = 0;
	if (du->batch_failed)
		r = -EIO;
	else if (du->p && rb_persist_pending(du->p))
		r = rb_persist_commit(du->p);
	if ((r == -ENOSPC || r == -EDQUOT || r == -EFBIG) && !du->batch_failed &&
	    rb_persist_journal_bytes(du->p) > RB_PERSIST_COMPACT_MIN / 4 &&
	    rb_persist_journal_bytes(du->p) > rb_persist_snapshot_bytes(du->p) &&
	    now_ms() >= du->next_compact_ms) {
		/* Full: the journal may be what fills it. A compaction
		 * (of the published registry: exactly what was committed)
		 * makes room, then the batch is tried once more. */
		int c = rb_persist_compact(du->p, du->reg);
		if (c == 0) {
			du->compactions++;
			r = 0;
			for (size_t i = 0; i < du->neff && !r; i++)
				r = rb_persist_append(du->p, &du->eff[i]);
			if (!r)
				r = rb_persist_commit(du->p);
		} else {
			du->compaction_failures++;
			du->next_compact_ms = now_ms() + RB_COMPACT_RETRY_MS;
		}
	}
	if (r == 0) {
		publish(du);
		if (du->failing && du->neff) {
			rb_log("state in %s is writable again", du->state_dir);
			du->failing = false;
		}
	} else {
		/* Nothing was published: the held-back changes simply never
		 * happened. Their calls, and only theirs, are FALSE. */
		for (size_t i = du->nsettled; i < du->npend; i++)
			if (du->pend[i].effects)
				du->pend[i].ok = false;
		du->commit_failures++;
		if (!du->failing) {
			rb_log("cannot write state in %s: %s; SET/UNSET are answered FALSE "
			       "until it can be written (lookups go on)",
			       du->state_dir,
			       du->p ? rb_persist_last_error(du->p) : strerror(-r));
			du->failing = true;
		}
	}
	du->nsettled = du->npend;
	du->neff = 0;
	du->held_adds = 0;
	du->batch_failed = false;
	touch_clear(du);
}

/* Finishes a compaction whose snapshot is written (a short step: the
 * journal's tail copied, two renames). */
static void compact_poll(struct rb_durable *du)
{
	if (!du->p || !rb_persist_compact_running(du->p))
		return;
	int c = rb_persist_compact_poll(du->p, false);
	if (c == -EINPROGRESS || c == 0)
		return;
	if (c < 0) {
		du->compaction_failures++;
		du->next_compact_ms = now_ms() + RB_COMPACT_RETRY_MS;
		if (!du->compact_failing)
			rb_log("compacting the state failed (the journal goes on; tried again every "
			       "%u ms): %s",
			       RB_COMPACT_RETRY_MS, rb_persist_last_error(du->p));
		du->compact_failing = true;
		return;
	}
	du->compactions++;
	if (du->compact_failing)
		rb_log("compacting the state works again");
	du->compact_failing = false;
	rb_logl(RB_LOG_INFO, "state compacted: %zu registrations, generation %llu, in %llu ms",
		rb_registry_count(du->reg), (unsigned long long)rb_persist_generation(du->p),
		(unsigned long long)(now_ms() - du->compact_t0_ms));
}

void rb_durable_compact_now(struct rb_durable *du)
{
	if (!rb_durable_writable(du)) {
		rb_log("SIGUSR2: the state cannot be written: not compacting");
		return;
	}
	if (rb_persist_compact_running(du->p)) {
		rb_log("SIGUSR2: a compaction is already running");
		return;
	}
	/* Started after this loop iteration's commit: changes may be
	 * buffered now. */
	du->compact_requested = true;
	rb_log("SIGUSR2: compacting %zu registrations in the background", rb_registry_count(du->reg));
}

void rb_durable_tick(struct rb_durable *du, uint64_t now_ms_)
{
	compact_poll(du);
	retry(du, now_ms_, RB_STATE_RETRY_MS);
}

void rb_durable_commit(struct rb_durable *du,
		       void (*deliver)(void *arg, struct rb_pending *pr), void *arg)
{
	if (!du->npend && !du->neff) {
		compact_poll(du);
		if (du->compact_requested)
			compact_maybe(du);
		return;
	}
	flush(du);
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
	du->npend = du->nsettled = 0;

	compact_poll(du);
	compact_maybe(du);
}

/* Between batches (nothing buffered): starts a compaction when the journal
 * has grown enough, or when SIGUSR2 asked for one. */
static void compact_maybe(struct rb_durable *du)
{
	bool asked = du->compact_requested;
	du->compact_requested = false;
	if (du->p && !du->failing && (rb_persist_should_compact(du->p) ||
				      (asked && !rb_persist_compact_running(du->p)))) {
		uint64_t now = now_ms();
		if (now < du->next_compact_ms)
			return;
		/* The snapshot is written by a thread of its own: this thread
		 * acknowledges SET/UNSET meanwhile, and serves the local
		 * socket, the metrics and the watchdog's heartbeat. */
		int c = rb_persist_compact_start(du->p, du->reg);
		if (c == 0) {
			du->compact_t0_ms = now;
			return;
		}
		if (c == -EBUSY)
			return; /* one runs, or a batch is buffered: later */
		c = rb_persist_compact(du->p, du->reg); /* no thread: do it here */
		if (c < 0) {
			du->compaction_failures++;
			du->next_compact_ms = now + RB_COMPACT_RETRY_MS;
			if (!du->compact_failing)
				rb_log("compacting the state failed (the journal goes on; tried "
				       "again every %u ms): %s",
				       RB_COMPACT_RETRY_MS, rb_persist_last_error(du->p));
			du->compact_failing = true;
		} else {
			du->compactions++;
			if (du->compact_failing)
				rb_log("compacting the state works again");
			du->compact_failing = false;
		}
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

/* Imports one of rpcbind's records: applied (nothing is served yet at
 * start) and buffered for the commit. */
static int import_one(void *arg, const struct rb_jrec *r)
{
	struct rb_durable *du = arg;
	struct rb_jrec_sink sink = { .reg = du->reg };
	if (!persisted(r->prog))
		return 1;
	int rc = rb_jrec_apply(&sink, r);
	if (rc != 0)
		return rc;
	rc = hold(du, r);
	if (rc < 0) {
		unsigned removed;
		rb_registry_unset(du->reg, r->prog, r->vers, r->netid, NULL, &removed);
		du->batch_failed = true;
		return 1;
	}
	return 0;
}

/* First start with no state of our own: take over rpcbind's registrations.
 * rpcbind writes its files as its run user (_rpc on Debian), so that uid
 * is trusted as well as root. What cannot be saved is not served either
 * (the files stay for the next start). */
static void import_rpcbind(struct rb_durable *du, const char *dir)
{
	struct rb_import_report rep;
	const struct passwd *pw = getpwnam("_rpc");
	uid_t trusted = pw ? pw->pw_uid : (uid_t)-1;

	if (rb_persist_readonly(du->p)) {
		rb_log("not importing rpcbind's state from %s: the state directory cannot be "
		       "written (imported at a start that can save it)", dir);
		return;
	}
	int r = rb_rpcbind_import(dir, trusted, import_one, du, &rep);
	if (r == -ENOENT)
		goto out; /* no rpcbind ran here: nothing to take over */
	if (r < 0) {
		rb_log("not importing rpcbind's state from %s: %s", dir,
		       rep.msg[0] ? rep.msg : strerror(-r));
		goto undo;
	}
	if (!rep.found_rpcbind && !rep.found_portmap)
		goto out;
	unsigned n = rep.rpcbind.imported + rep.portmap.imported;
	if (du->batch_failed || rb_persist_commit(du->p) < 0) {
		rb_log("imported rpcbind's state but cannot save it (%s): not serving it "
		       "(its files are kept for the next start)",
		       du->batch_failed ? "out of memory" : rb_persist_last_error(du->p));
		goto undo;
	}
	rb_rpcbind_import_done(dir);
	rb_log("imported %u registrations from rpcbind's warm-start files in %s "
	       "(%u of its own skipped, %u refused)",
	       n, dir, rep.rpcbind.skipped + rep.portmap.skipped,
	       rep.rpcbind.rejected + rep.portmap.rejected);
	goto out;
undo:
	for (size_t i = du->neff; i-- > 0;) {
		unsigned removed;
		rb_registry_unset(du->reg, du->eff[i].prog, du->eff[i].vers, du->eff[i].netid,
				  NULL, &removed);
	}
	/* Drop what is buffered (a failed commit already did). */
	if (rb_persist_pending(du->p))
		rb_persist_discard_batch(du->p);
out:
	du->neff = 0;
	du->batch_failed = false;
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
	du->last_retry_ms = now_ms();

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
		rb_log("state directory %s unusable: %s; lookups are served, "
		       "SET/UNSET answered FALSE (tried again every %u s)", cfg->state_dir,
		       msg[0] ? msg : strerror(-r), RB_STATE_RETRY_MS / 1000u);
		return 0;
	}
	if (cfg->cold && !rb_persist_readonly(du->p)) {
		r = rb_persist_discard(du->p);
		if (r < 0) {
			/* Nothing loaded: serve empty, refuse changes until
			 * the directory can be written (then it is loaded). */
			rb_log("--cold: cannot write a new state in %s: %s; SET/UNSET answered "
			       "FALSE until it can be written", cfg->state_dir,
			       rb_persist_last_error(du->p));
			rb_persist_close(du->p);
			du->p = NULL;
			return 0;
		}
		rb_log("--cold: starting empty");
		return 0;
	}
	return load(du, cfg->import_dir, true);
}

/* Restores the saved state into the registry; on a first start (nothing
 * saved) imports rpcbind's files when import is set. Whatever fails, what
 * could be read is served (a read-only p refuses changes). */
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
	if (r == -ENOMEM)
		return r;
	du->loaded_whole = r == 0;
	if (rep.msg[0])
		rb_logl(rep.salvaged ? RB_LOG_WARNING : RB_LOG_NOTICE, "state: %s", rep.msg);
	if (r < 0 || rb_persist_readonly(du->p)) {
		rb_log("cannot write state in %s (%s): serving the %zu registrations %s; "
		       "SET/UNSET answered FALSE until it can be written (tried again every %u s)",
		       du->state_dir,
		       rb_persist_last_error(du->p)[0] ? rb_persist_last_error(du->p) : strerror(-r),
		       rb_registry_count(reg), r < 0 ? "that could be read" : "loaded read-only",
		       RB_STATE_RETRY_MS / 1000u);
		if (r < 0) {
			/* A file that cannot be read: retried as a whole. */
			rb_persist_close(du->p);
			du->p = NULL;
		}
		return 0;
	}
	if (rep.fresh) {
		if (import)
			import_rpcbind(du, import_dir);
		return 0;
	}
	/* Before self-registration, everything in the registry was restored. */
	rb_log("restored %zu registrations from %s in %llu ms", rb_registry_count(reg),
	       du->state_dir, (unsigned long long)(now_ms() - t0));
	if (rep.salvaged) {
		/* Replace the damaged snapshot now, while the registry holds
		 * exactly what was loaded. */
		if (rb_persist_compact(du->p, reg) == 0)
			rb_log("state: a clean snapshot replaces the damaged one");
		else
			rb_log("state: cannot replace the damaged snapshot yet: %s",
			       rb_persist_last_error(du->p));
	}
	return 0;
}

/* Records the registry already holds (a complete read-only load). */
static int ignore(void *arg, const struct rb_jrec *r)
{
	(void)arg;
	(void)r;
	return 0;
}


/* Tries the state directory again if every ms have passed since the last
 * try. */
static void retry(struct rb_durable *du, uint64_t now_ms_, uint64_t every)
{
	char msg[RB_PERSIST_MSG_MAX] = "";
	if (du->p && !rb_persist_readonly(du->p))
		return;
	/* One statvfs: is the file system writable with room now? A change
	 * from "no" to "yes" is tried at once (so that the first SET after
	 * a remount or a cleanup is kept); otherwise every ms. */
	struct statvfs sv;
	bool looks = statvfs(du->state_dir, &sv) != 0 ||
		     (!(sv.f_flag & ST_RDONLY) && sv.f_bavail > 0);
	bool turned = looks && !du->looked_writable;
	du->looked_writable = looks;
	if (!turned && now_ms_ < du->last_retry_ms + every)
		return;
	du->last_retry_ms = now_ms_;
	if (du->p) {
		struct rb_load_report rep;
		struct rb_jrec_sink sink = { .reg = du->reg };
		int r = rb_persist_upgrade(du->p, du->loaded_whole ? ignore : restore,
					   du->loaded_whole ? NULL : (void *)&sink, &rep);
		rb_registry_reclaim(du->reg);
		if (r < 0)
			return;
		du->loaded_whole = true;
		du->failing = false;
		rb_log("state directory %s writable again: SET/UNSET are kept from now on",
		       du->state_dir);
		return;
	}
	if (rb_persist_open(du->state_dir, &du->p, msg, sizeof(msg)) < 0) {
		du->p = NULL;
		return;
	}
	if (load(du, NULL, false) < 0 || !du->p) {
		if (du->p)
			rb_persist_close(du->p);
		du->p = NULL;
		return;
	}
	if (rb_persist_readonly(du->p))
		return; /* loaded read-only: served; writing tried again later */
	du->failing = false;
	rb_log("state directory %s usable again: SET/UNSET are kept from now on",
	       du->state_dir);
}

void rb_durable_stop(struct rb_durable *du)
{
	if (du->p)
		rb_persist_close(du->p);
	du->p = NULL;
	free(du->eff);
	free(du->pend);
	free(du->touch);
	du->eff = NULL;
	du->pend = NULL;
	du->touch = NULL;
}
