/* Durable mutations: the registry's writer applies SET/UNSET at once (so
 * lookups see them), journals their exact effects, and holds every reply
 * until one fdatasync (group commit) covers the whole batch of a control
 * loop iteration. When the commit fails, the batch's effects are undone in
 * reverse and its replies become FALSE: nothing is ever acknowledged that a
 * restart, even after SIGKILL, would lose. The daemon's own registrations
 * (program 100000) are never journaled: they are made anew at each start. */
#ifndef RB_NET_DURABLE_H
#define RB_NET_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "net/limits.h"
#include "net/log.h"
#include "net/persist.h"
#include "registry/dispatch.h"

/* A reply held until the commit. The caller's routing fields say where it
 * goes; ok is final when it is delivered. */
struct rb_pending {
	struct rb_mutation m;
	bool ok;
	size_t eff_end; /* effects recorded up to and including this one */
	/* Routing, the caller's. */
	int kind;
	uint32_t slot, gen;
	void *msg;
	unsigned worker;
	uint64_t t0_ns; /* when the call arrived (metrics) */
	uint8_t transport; /* enum rb_rq_transport */
};

struct rb_durable {
	struct rb_registry *reg;
	const struct rb_policy *policy; /* quotas, port policy */
	/* Optional: does uid hold a socket bound to port on this netid's
	 * protocol? 1 yes, 0 no, -errno cannot tell (then allowed). */
	int (*owns_port)(uint32_t uid, const char *netid, uint16_t port);
	uint64_t refused;          /* SET refused by policy */
	struct rb_log_budget refuse_log; /* refusal lines a second */
	struct rb_stats *stats; /* setinfo/unsetinfo of final TRUE answers */
	struct rb_persist *p;   /* NULL: state cannot be written */
	bool recording;
	struct rb_jrec *eff; /* effects of this batch, in order */
	size_t neff, effcap, committed;
	struct rb_pending *pend;
	size_t npend, pendcap;
	uint64_t commit_failures; /* batches answered FALSE: not durable */
	uint64_t refused_no_state; /* SET/UNSET refused: no state directory */
	bool failing;             /* logged once until a commit succeeds */
	bool batch_failed;        /* this batch cannot be made durable */
	char state_dir[RB_CONFIG_PATH_MAX];
	uint64_t next_retry_ms; /* when to try an unusable state dir again */
};

/* How often an unusable state directory is tried again. */
#define RB_STATE_RETRY_MS 10000u

/* Opens the state directory and restores the registry from it (or, with
 * --cold, discards it); on a first start imports rpcbind's warm-start
 * files. When the directory cannot be used, logs why and returns 0 with
 * du->p NULL: lookups are served, SET/UNSET are answered FALSE. -errno only
 * when the saved state is corrupt beyond recovery. */
int rb_durable_start(struct rb_durable *du, struct rb_registry *reg,
		     struct rb_stats *stats, const struct rb_config *cfg,
		     const struct rb_policy *policy);
void rb_durable_stop(struct rb_durable *du);
/* When the state directory was unusable (read-only, missing, no space for
 * the lock): try it again (at most every RB_STATE_RETRY_MS); once it opens,
 * its saved registrations are restored and SET/UNSET work again. */
void rb_durable_retry(struct rb_durable *du, uint64_t now_ms);


/* Vets m against policy, applies it and holds its reply; returns the pending slot, whose routing
 * fields the caller fills in. NULL only when out of memory (the caller
 * answers SYSTEM_ERR). */
struct rb_pending *rb_durable_apply(struct rb_durable *du, const struct rb_mutation *m);

/* Commits the batch (one fdatasync), settles every held reply, and calls
 * deliver for each, in order. Then compacts the journal when it has grown. */
void rb_durable_commit(struct rb_durable *du,
		       void (*deliver)(void *arg, struct rb_pending *pr), void *arg);

#endif
