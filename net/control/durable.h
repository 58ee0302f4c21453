/* Durable mutations: nothing is visible before it is durable.
 *
 * The registry's writer decides each SET/UNSET against the registry as
 * readers see it (rb_mutation_plan), journals the exact effects and holds
 * them back; one fdatasync (group commit) covers the batch of a control
 * loop iteration, and only after it succeeded are the effects published to
 * the registry and the replies sent. A failed commit publishes nothing and
 * answers the batch's changes FALSE: there is nothing to undo, no reader
 * ever saw them, and a restart (even after SIGKILL) cannot bring them back
 * (the journal is cut back). A mutation whose verdict depends on an effect
 * still held back (the same registration, or any of its version for an
 * UNSET of every netid; a program, registry or owner count near its limit)
 * first commits and publishes what came before it.
 * The daemon's own registrations (program 100000) are never journaled: they
 * are made anew at each start. */
#ifndef RB_NET_DURABLE_H
#define RB_NET_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "net/base/limits.h"
#include "net/base/log.h"
#include "net/control/persist.h"
#include "registry/procs/dispatch.h"

/* A reply held until the commit. The caller's routing fields say where it
 * goes; ok is final when it is delivered. */
struct rb_pending {
	struct rb_mutation m;
	bool ok;
	bool effects; /* it has effects held back until the commit */
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
	/* NULL: no state directory could be opened; read-only
	 * (rb_persist_readonly): the saved state is served, nothing written. */
	struct rb_persist *p;
	/* Effects planned and journaled, not yet published, in order. */
	struct rb_jrec *eff;
	size_t neff, effcap;
	/* Keys those effects touch (registrations, versions): a mutation
	 * whose verdict reads one of them waits for them to be published.
	 * 0 = free. */
	uint64_t *touch;
	size_t ntouch, touchcap;
	uint32_t held_adds; /* additions among the effects */
	struct rb_pending *pend;
	size_t npend, pendcap, nsettled; /* pend[0..nsettled) are final */
	uint64_t commit_failures; /* batches answered FALSE: not durable */
	uint64_t refused_no_state; /* SET/UNSET refused: state not writable */
	uint64_t publish_failures; /* committed, could not be published (memory) */
	uint64_t compactions, compaction_failures;
	bool failing;             /* logged once until a commit succeeds */
	bool batch_failed;        /* this batch cannot be made durable */
	/* The registry holds everything a read-only load delivered: the
	 * writable load that follows must not apply it again. */
	bool loaded_whole;
	char state_dir[RB_CONFIG_PATH_MAX];
	uint64_t last_retry_ms; /* when the state dir was last tried again */
	bool looked_writable;   /* statvfs at the last look: rw, with room */
	uint64_t next_compact_ms; /* after a failed compaction: not before */
	bool compact_failing;     /* logged once until a compaction succeeds */
	uint64_t compact_t0_ms;   /* when the running compaction started */
	bool compact_requested;   /* SIGUSR2: start one after this batch */
};

/* True when a SET/UNSET can be made durable now (as far as is known: the
 * last commit succeeded and the state directory is open for writing).
 * ringbind_state_writable, /readyz's body and the log say the same. */
bool rb_durable_writable(const struct rb_durable *du);

/* How often an unusable state directory is tried again. */
#define RB_STATE_RETRY_MS 10000u
/* ... and at a SET/UNSET that finds it unwritable, at most this often (so
 * that the first change after the directory became writable again is
 * kept, not refused for up to RB_STATE_RETRY_MS). */
#define RB_STATE_RETRY_CALL_MS 1000u
/* A failed compaction is tried again no sooner than this. */
#define RB_COMPACT_RETRY_MS 1000u

/* Opens the state directory and restores the registry from it (or, with
 * --cold, discards it); on a first start imports rpcbind's warm-start
 * files. When the directory cannot be written (read-only, full, missing),
 * what can be read is loaded and served, SET/UNSET are answered FALSE
 * (logged) until it can be written. -errno only when another daemon holds
 * the directory, or memory runs out. */
int rb_durable_start(struct rb_durable *du, struct rb_registry *reg,
		     struct rb_stats *stats, const struct rb_config *cfg,
		     const struct rb_policy *policy);
void rb_durable_stop(struct rb_durable *du);
/* Housekeeping, from the control loop's timer: finishes a compaction whose
 * snapshot is written (also done after each commit); when the state
 * directory was unusable or read-only, tries it again (at most every
 * RB_STATE_RETRY_MS); once it can be written, SET/UNSET work again (saved
 * registrations not loaded yet are restored first). */
void rb_durable_tick(struct rb_durable *du, uint64_t now_ms);


/* SIGUSR2: starts a compaction now (in the background) unless one runs or
 * the state cannot be written; logs what it did. */
void rb_durable_compact_now(struct rb_durable *du);

/* Vets m against policy, plans and journals its effects and holds its
 * reply; returns the pending slot, whose routing
 * fields the caller fills in. NULL only when out of memory (the caller
 * answers SYSTEM_ERR). */
struct rb_pending *rb_durable_apply(struct rb_durable *du, const struct rb_mutation *m);

/* Commits the batch (one fdatasync), publishes its effects when the commit
 * succeeded, settles every held reply, and calls deliver for each, in
 * order. Then compacts the journal when it has grown. */
void rb_durable_commit(struct rb_durable *du,
		       void (*deliver)(void *arg, struct rb_pending *pr), void *arg);

#endif
