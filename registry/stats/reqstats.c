#include "registry/stats/reqstats.h"

#include <stddef.h>

#include "core/rpcb_prot.h"

const uint64_t rb_rq_bucket_ns[RB_RQ_BUCKETS] = {
	1000,      2500,      5000,      10000,      25000,      50000,     100000,
	250000,    500000,    1000000,   2500000,    10000000,   100000000, 1000000000,
};

const char *rb_rq_vers_name(unsigned vi)
{
	static const char *const v[RB_RQ_VERS] = { "2", "3", "4", "other" };
	return vi < RB_RQ_VERS ? v[vi] : "other";
}

/* Procedures 0..5 (PMAP v2), 0..8 (v3), 0..12 (v4). */
static bool proc_known(unsigned vi, unsigned pi)
{
	return (vi == 0 && pi <= RB_PROC_CALLIT) || (vi == 1 && pi <= RB_PROC_TADDR2UADDR) ||
	       (vi == 2 && pi <= RB_PROC_GETSTAT);
}

const char *rb_rq_proc_name(unsigned vi, unsigned pi)
{
	static const char *const pmap[] = { "null", "set", "unset", "getport", "dump", "callit" };
	static const char *const rpcb[RB_RQ_PROCS - 1] = {
		"null",       "set",         "unset",       "getaddr",     "dump",
		"callit",     "gettime",     "uaddr2taddr", "taddr2uaddr", "getversaddr",
		"indirect",   "getaddrlist", "getstat",
	};
	if (!proc_known(vi, pi))
		return "other";
	if (vi == 0)
		return pmap[pi];
	return vi == 2 && pi == RB_PROC_CALLIT ? "bcast" : rpcb[pi];
}

const char *rb_rq_transport_name(unsigned t)
{
	static const char *const n[RB_RQ_TRANSPORTS] = { "udp", "tcp", "local" };
	return t < RB_RQ_TRANSPORTS ? n[t] : "other";
}

const char *rb_rq_result_name(unsigned r)
{
	static const char *const n[RB_RQ_RESULTS] = { "success", "refused", "rpc_error",
						       "denied", "dropped", "forwarded" };
	return r < RB_RQ_RESULTS ? n[r] : "other";
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void rb_rq_classify_call(const uint8_t *call, uint32_t len, unsigned *vi, unsigned *pi)
{
	/* xid, CALL, rpcvers 2, prog, vers, proc */
	bool whole = len >= 24 && be32(call + 4) == 0;
	rb_rq_labels(whole, whole ? be32(call + 12) : 0, whole ? be32(call + 16) : 0,
		     whole ? be32(call + 20) : 0, vi, pi);
}

void rb_rq_labels(bool whole, uint32_t prog, uint32_t vers, uint32_t proc, unsigned *vi,
		  unsigned *pi)
{
	*vi = RB_RQ_VERS - 1;
	*pi = RB_RQ_PROCS - 1;
	if (!whole || prog != RB_PROG_RPCBIND || vers < RB_VERS_PMAP || vers > RB_VERS_RPCB4)
		return;
	*vi = vers - RB_VERS_PMAP;
	/* A procedure the version lacks is "other": the label set of each
	 * version is its own procedure list. */
	if (proc_known(*vi, proc))
		*pi = proc;
}

enum rb_rq_result rb_rq_classify_reply(const uint8_t *reply, uint32_t len, unsigned pi,
				       unsigned vi)
{
	/* xid, REPLY, reply_stat, verifier (flavor, length, body), accept_stat */
	if (len < 12)
		return RB_RQ_DROPPED;
	if (be32(reply + 8) != 0)
		return RB_RQ_DENIED;
	if (len < 20)
		return RB_RQ_RPC_ERROR;
	uint32_t vlen = be32(reply + 16);
	if (vlen > 400 || len < 24u + ((vlen + 3u) & ~3u))
		return RB_RQ_RPC_ERROR;
	uint32_t off = 20u + ((vlen + 3u) & ~3u);
	if (be32(reply + off) != 0)
		return RB_RQ_RPC_ERROR;
	/* SET/UNSET answer a bool: FALSE is a refusal. */
	if (vi < RB_RQ_VERS - 1 && (pi == RB_PROC_SET || pi == RB_PROC_UNSET) &&
	    len >= off + 8 && be32(reply + off + 4) == 0)
		return RB_RQ_REFUSED;
	return RB_RQ_SUCCESS;
}

static inline void bump(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

void rb_reqstats_count(struct rb_reqstats *s, unsigned vi, unsigned pi,
		       enum rb_rq_transport t, enum rb_rq_result r, uint64_t ns)
{
	if (vi >= RB_RQ_VERS || pi >= RB_RQ_PROCS || (unsigned)t >= RB_RQ_TRANSPORTS ||
	    (unsigned)r >= RB_RQ_RESULTS)
		return;
	bump(&s->n[vi][pi][t][r], 1);
	unsigned b = 0;
	while (b < RB_RQ_BUCKETS && ns > rb_rq_bucket_ns[b])
		b++;
	bump(&s->bucket[b], 1);
	bump(&s->sum_ns, ns);
}

void rb_reqstats_merge(struct rb_reqstats *dst, const struct rb_reqstats *src)
{
	const uint64_t *a = &src->n[0][0][0][0];
	uint64_t *b = &dst->n[0][0][0][0];
	for (size_t i = 0; i < sizeof(src->n) / sizeof(uint64_t); i++)
		b[i] += __atomic_load_n(&a[i], __ATOMIC_RELAXED);
	for (unsigned i = 0; i <= RB_RQ_BUCKETS; i++)
		dst->bucket[i] += __atomic_load_n(&src->bucket[i], __ATOMIC_RELAXED);
	dst->sum_ns += __atomic_load_n(&src->sum_ns, __ATOMIC_RELAXED);
}
