/* The port mapper's procedures as pure functions.
 *
 * rb_handle_call takes one call message (a UDP datagram or a reassembled
 * stream record), what the transport knows about it, and a registry view,
 * and either writes the complete reply into `out`, decides that no reply is
 * due, or returns a mutation (SET/UNSET, its authorization already decided)
 * for the registry's writer to apply and answer with rb_mutation_apply and
 * rb_mutation_put_reply. The caller is inside a reader section. */
#ifndef RB_REGISTRY_DISPATCH_H
#define RB_REGISTRY_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cidr.h"
#include "core/rpcb_prot.h"
#include "core/uaddr.h"
#include "core/xdr.h"
#include "registry/procs/remote_call.h"
#include "registry/store/registry.h"
#include "registry/stats/stats.h"
#include "registry/procs/stream.h"

struct rb_jrec;

/* What the transport knows about one call. */
struct rb_xport {
	enum rb_netid_idx netid; /* the transport it arrived on */
	struct rb_addr peer;     /* RB_AF_LOCAL for the AF_LOCAL socket */
	struct rb_addr local;    /* arrival address; RB_AF_NONE if unknown */
	int64_t peer_uid;        /* SO_PEERCRED uid over AF_LOCAL, else -1 */
	uint32_t now;            /* seconds since 1970, for GETTIME */
};

/* Run-time policy, from the configuration. */
struct rb_policy {
	bool insecure;     /* -i: SET/UNSET from any host */
	bool remote_calls; /* -r: CALLIT/BCAST/INDIRECT (forwarding: net/) */
	/* Reflection: over UDP, a source that is neither loopback nor in a
	 * trusted network never gets a reply larger than its call, and never
	 * a DUMP, GETSTAT or GETADDRLIST (they are for TCP, as rpcinfo -p
	 * uses). Refused calls get SYSTEM_ERR, or nothing with reflect_drop. */
	bool reflect_guard;
	bool reflect_drop;
	const struct rb_cidr *trusted;
	uint32_t ntrusted;
	/* SET policy for owners other than "superuser". */
	bool port_policy;        /* no port 0 or below 1024, a well-formed uaddr */
	uint32_t owner_quota;    /* registrations per owner (0: none) */
	uint32_t max_registrations; /* all owners together (0: none) */
};

/* Whether peer is loopback, AF_LOCAL, or in a trusted network. */
bool rb_peer_trusted(const struct rb_policy *pol, const struct rb_addr *peer);

struct rb_handler_ctx {
	const struct rb_registry *reg;
	const struct rb_policy *policy;
	struct rb_stats *stats; /* this thread's own counters */
	/* Fills *out with the counters of every thread, for GETSTAT. */
	void (*collect_stats)(void *arg, struct rb_stats *out);
	void *collect_arg;
	/* Scratch for collect_stats (a struct rb_stats is ~20 KiB). */
	struct rb_stats *scratch;
	/* GETSTAT for a caller that is not trusted (rb_peer_trusted): returns
	 * a merge of every thread's counters that this thread keeps and
	 * refreshes at most every so often (net/transport/worker.c), so that a flood of
	 * GETSTAT cannot make every thread's counters bounce between caches;
	 * NULL (here, or as its result): merged now, as for a trusted caller. */
	const struct rb_stats *(*cached_stats)(void *arg);
	void *cached_arg;
};

enum rb_outcome {
	RB_OUT_REPLY = 0, /* out holds the reply */
	RB_OUT_DROP,      /* send nothing */
	RB_OUT_MUTATE,    /* apply *mut on the writer, then reply */
	RB_OUT_FORWARD,   /* forward *fwd (rb_handle_call_ex only) */
	RB_OUT_STREAM,    /* a large reply to produce with rb_stream_step
			   * (rb_handle_call_stream only: registry/procs/stream.h) */
};

enum rb_mut_op { RB_MUT_SET = 0, RB_MUT_UNSET = 1 };

struct rb_mutation {
	enum rb_mut_op op;
	uint8_t stat_vers; /* stats index of the calling version */
	bool pmap;         /* v2 UNSET: removes udp and tcp only */
	uint32_t xid;
	uint32_t prog;
	uint32_t vers;
	char netid[RB_NETID_MAX + 1];  /* "" (v3/v4 UNSET): every netid */
	char uaddr[RB_UADDR_MAX + 1];
	char owner[RB_OWNER_MAX + 1];  /* derived from the transport */
	struct rb_addr peer;           /* the caller, for refusal logs */
	int64_t peer_uid;              /* AF_LOCAL: SO_PEERCRED uid, else -1 */
};

enum rb_outcome rb_handle_call(const struct rb_handler_ctx *ctx,
			       const struct rb_xport *x, const uint8_t *msg,
			       uint32_t len, struct rb_xdr_enc *out,
			       struct rb_mutation *mut);
/* As rb_handle_call, for a transport that can forward remote calls (UDP,
 * with -r: registry/procs/remote_call.h). With fwd NULL, or policy->remote_calls
 * off, it is rb_handle_call: CALLIT/BCAST silent but for the deny list
 * (TOOWEAK), INDIRECT answered PROG_UNAVAIL, PROG_MISMATCH or SYSTEM_ERR,
 * as rpcbind without forwarding. Otherwise a remote call may come back as
 * RB_OUT_FORWARD with *fwd filled (its pointers into msg), or as a reply
 * (INDIRECT's errors, the deny list's TOOWEAK: fwd->denied). */
enum rb_outcome rb_handle_call_ex(const struct rb_handler_ctx *ctx,
				  const struct rb_xport *x, const uint8_t *msg,
				  uint32_t len, struct rb_xdr_enc *out,
				  struct rb_mutation *mut, struct rb_fwd_req *fwd);

/* As rb_handle_call, for a stream transport that sends a large reply (DUMP,
 * GETADDRLIST) a piece at a time as its socket drains: such a call comes
 * back as RB_OUT_STREAM with *st set up and nothing written to out; the
 * transport then calls rb_stream_step until it returns 1. */
enum rb_outcome rb_handle_call_stream(const struct rb_handler_ctx *ctx,
				      const struct rb_xport *x, const uint8_t *msg,
				      uint32_t len, struct rb_xdr_enc *out,
				      struct rb_mutation *mut, struct rb_stream *st);

/* What dispatch read of a call's header, handed back to the transport so
 * that its metrics labels (registry/stats/reqstats.h: rb_rq_labels) and its debug
 * log need not decode the call a second time. */
struct rb_call_head {
	uint32_t xid;              /* 0 where the message ends before it */
	uint32_t prog, vers, proc; /* as far as the message holds them, else 0 */
	bool whole; /* a CALL message with all six header words (xid .. proc) */
};

/* The one entry behind the three above: fwd as rb_handle_call_ex's (NULL:
 * no forwarding), st as rb_handle_call_stream's (NULL, or a datagram
 * transport: large replies written whole); *head is filled on every
 * outcome. */
enum rb_outcome rb_handle_call_full(const struct rb_handler_ctx *ctx,
				    const struct rb_xport *x, const uint8_t *msg,
				    uint32_t len, struct rb_xdr_enc *out,
				    struct rb_mutation *mut, struct rb_fwd_req *fwd,
				    struct rb_stream *st, struct rb_call_head *head);

/* For a transport that has a batch of calls in hand: prefetches what the
 * lookup of a GETPORT, GETADDR or GETVERSADDR call will read, in
 * registry.h's two steps (rb_key_hint): step one two calls ahead of the
 * answer, step two one call ahead, so that answering the calls before it
 * overlaps the lookup's cache misses. They change nothing; any other or
 * malformed call is left for rb_handle_call to judge. Only with at least
 * RB_PREFETCH_MIN_ENTRIES registrations: a smaller registry stays in the
 * caches, where the look at the call (an RPC header decode, ~40 ns) would
 * be pure cost. Inside a reader section. */
#define RB_PREFETCH_MIN_ENTRIES RB_REGISTRY_LARGE
struct rb_call_prefetch {
	struct rb_key_hint key;
	bool armed; /* step one found a lookup: step two has work */
};
/* Whether the registry is large enough for the prefetch: a transport may
 * ask first and skip looking at its calls at all. */
static inline bool rb_prefetch_wanted(const struct rb_handler_ctx *ctx)
{
	return rb_registry_count(ctx->reg) >= RB_PREFETCH_MIN_ENTRIES;
}
void rb_prefetch_call_slot(const struct rb_handler_ctx *ctx, enum rb_netid_idx netid,
			   const uint8_t *msg, uint32_t len, struct rb_call_prefetch *p);
void rb_prefetch_call_entry(const struct rb_handler_ctx *ctx,
			    const struct rb_call_prefetch *p);

/* The two steps over a batch, for a transport that answers each call two
 * calls after it has seen it: rb_prefetch_pipe_push takes the batch's next
 * call (step one for it, then step two for the call pushed before it), and
 * once no call follows, rb_prefetch_pipe_drain runs step two for the last.
 * So a transport pushes call n, answers call n - 2, and after the batch
 * drains and answers the last two. msg NULL: a completion that is no call
 * to prefetch. Returns whether step one found a lookup. */
struct rb_prefetch_pipe {
	/* The last two calls pushed; pf[n & 1] is the n-th call's, so step
	 * one writes the slot that step two has just read, with no copy. */
	struct rb_call_prefetch pf[2];
	unsigned n; /* calls pushed */
};
static inline void rb_prefetch_pipe_init(struct rb_prefetch_pipe *p)
{
	p->pf[0].armed = p->pf[1].armed = false;
	p->n = 0;
}
bool rb_prefetch_pipe_push(const struct rb_handler_ctx *ctx, struct rb_prefetch_pipe *p,
			   enum rb_netid_idx netid, const uint8_t *msg, uint32_t len);
void rb_prefetch_pipe_drain(const struct rb_handler_ctx *ctx, struct rb_prefetch_pipe *p);

/* Writer side: decides m against reg without changing it. Calls emit (in
 * order) with each effect applying m would have: an ADD, or a DEL (uaddr
 * and owner empty) of each entry it removes. Returns 1 (TRUE: applying the
 * effects, and nothing else, makes m's change), 0 (FALSE: no effect, no
 * call of emit) or emit's -errno. A PMAP v2 UNSET is all or nothing: when
 * either the udp or the tcp entry belongs to another owner, neither goes.
 * The verdict and effects hold until the registry changes: a caller that
 * holds effects back must not plan a mutation of the same program (or one
 * whose verdict depends on counts) before it applied them. */
int rb_mutation_plan(const struct rb_registry *reg, const struct rb_mutation *m,
		     int (*emit)(void *arg, const struct rb_jrec *r), void *arg);
/* Writer side: applies a mutation, counts it in stats (unless NULL: a
 * caller that may still revert it counts later), says TRUE or FALSE. */
bool rb_mutation_apply(struct rb_registry *reg, const struct rb_mutation *m,
		       struct rb_stats *stats);
/* Writer side, before applying: whether policy allows m. 0, or why not:
 * -ENOSPC (the registry is full), -EDQUOT (the owner's quota), -EACCES (a
 * port below 1024), -EINVAL (port 0 or a malformed address), -EROFS
 * (program 100000: the port mapper's own, SET or UNSET). */
int rb_mutation_vet(const struct rb_registry *reg, const struct rb_policy *pol,
		    const struct rb_mutation *m);
/* Words for a rb_mutation_vet refusal, for the log. */
const char *rb_mutation_refusal(int err);
/* Encodes the bool reply to a mutation. */
void rb_mutation_put_reply(struct rb_xdr_enc *out, const struct rb_mutation *m,
			   bool ok);

#endif
