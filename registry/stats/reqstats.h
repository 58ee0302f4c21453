/* Request counters for the metrics endpoint: calls by version, procedure,
 * transport and result, and a histogram of the time each took in the
 * daemon. Like rb_stats (GETSTAT), each thread that answers calls owns one
 * and is its only writer (relaxed atomic stores); the exporter merges them
 * at any time without locks. Label sets are fixed and small: no client
 * address, no program number beyond "other", so the exposition stays
 * bounded whatever clients send. Pure. */
#ifndef RB_REGISTRY_REQSTATS_H
#define RB_REGISTRY_REQSTATS_H

#include <stdbool.h>
#include <stdint.h>

/* Versions 2, 3, 4 of program 100000, then "other" (any other program or
 * version). Procedures 0..12, then "other". */
#define RB_RQ_VERS 4u
#define RB_RQ_PROCS 14u
enum rb_rq_transport { RB_RQ_UDP = 0, RB_RQ_TCP, RB_RQ_LOCAL, RB_RQ_TRANSPORTS };
enum rb_rq_result {
	RB_RQ_SUCCESS = 0, /* accepted, SUCCESS (a SET/UNSET answered TRUE) */
	RB_RQ_REFUSED,     /* SET/UNSET answered FALSE */
	RB_RQ_RPC_ERROR,   /* accepted with an error: PROG_MISMATCH, PROC_UNAVAIL, ... */
	RB_RQ_DENIED,      /* MSG_DENIED: authentication or RPC version */
	RB_RQ_DROPPED,     /* no reply: unparseable, or refused silently */
	RB_RQ_FORWARDED,   /* CALLIT/INDIRECT passed to the service (-r) */
	RB_RQ_RESULTS
};
/* Upper bounds (ns) of the duration buckets; a last one is +Inf. */
#define RB_RQ_BUCKETS 14u
extern const uint64_t rb_rq_bucket_ns[RB_RQ_BUCKETS];

struct rb_reqstats {
	uint64_t n[RB_RQ_VERS][RB_RQ_PROCS][RB_RQ_TRANSPORTS][RB_RQ_RESULTS];
	uint64_t bucket[RB_RQ_BUCKETS + 1]; /* not cumulative; the exporter sums */
	uint64_t sum_ns;
};

/* Label values. */
const char *rb_rq_vers_name(unsigned vi);
const char *rb_rq_proc_name(unsigned vi, unsigned pi);
const char *rb_rq_transport_name(unsigned t);
const char *rb_rq_result_name(unsigned r);

/* The labels of a call from its first bytes (program, version, procedure
 * at fixed offsets of a CALL message). */
void rb_rq_classify_call(const uint8_t *call, uint32_t len, unsigned *vi, unsigned *pi);
/* The same labels from a header already decoded (registry/procs/dispatch.h's
 * struct rb_call_head): whole says that the message is a CALL holding
 * prog, vers and proc; without it, "other" and "other". */
void rb_rq_labels(bool whole, uint32_t prog, uint32_t vers, uint32_t proc, unsigned *vi,
		  unsigned *pi);
/* The result from the reply's bytes (len 0: no reply). */
enum rb_rq_result rb_rq_classify_reply(const uint8_t *reply, uint32_t len, unsigned pi,
				       unsigned vi);

/* Owner-thread updates. */
void rb_reqstats_count(struct rb_reqstats *s, unsigned vi, unsigned pi,
		       enum rb_rq_transport t, enum rb_rq_result r, uint64_t ns);
/* Adds src (another thread's, read with atomic loads) into dst. */
void rb_reqstats_merge(struct rb_reqstats *dst, const struct rb_reqstats *src);

#endif
