#include "registry/stats/stats.h"

#include <string.h>
#include <time.h>

/* One writer per struct rb_stats; readers on other threads. Counters are
 * therefore plain load + store (no locked instruction), made atomic only so
 * that a concurrent reader never sees a torn value. */
static inline uint32_t ld(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void add(uint32_t *p, uint32_t n)
{
	__atomic_store_n(p, ld(p) + n, __ATOMIC_RELAXED);
}

int rb_stats_vers_index(uint32_t vers)
{
	return vers >= 2 && vers <= 4 ? (int)vers - 2 : -1;
}

void rb_stats_init(struct rb_stats *s)
{
	memset(s, 0, sizeof(*s));
}

void rb_stats_proc(struct rb_stats *s, unsigned vi, uint32_t proc)
{
	if (vi < RB_STAT_VERSIONS && proc < RB_STAT_PROCS)
		add(&s->info[vi][proc], 1);
}

void rb_stats_set(struct rb_stats *s, unsigned vi)
{
	if (vi < RB_STAT_VERSIONS)
		add(&s->setinfo[vi], 1);
}

void rb_stats_unset(struct rb_stats *s, unsigned vi)
{
	if (vi < RB_STAT_VERSIONS)
		add(&s->unsetinfo[vi], 1);
}

static inline uint32_t slot_hash(uint32_t prog, uint32_t vers, uint32_t proc,
				 const char *netid, size_t len)
{
	uint32_t h = prog * 0x9e3779b1u ^ vers * 0x85ebca6bu ^ proc * 0xc2b2ae35u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)netid[i]) * 0x01000193u;
	return h ^ (h >> 15);
}

/* A stamp for a new record: the monotonic clock, so that records made by
 * different threads (each its own table) merge in the order they were made
 * (GETSTAT lists newest first); kept strictly increasing within a table, so
 * two records of one thread never tie. Read only when a record is made (at
 * most RB_STAT_ADDR_FILL + RB_STAT_RMT_FILL times per version and thread),
 * never on the lookup path of a known one. */
static uint64_t new_seq(struct rb_stats *s)
{
	struct timespec ts;
	uint64_t t = 0;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (t <= s->last_seq)
		t = s->last_seq + 1;
	s->last_seq = t;
	return t;
}

/* One table of records: the lookup records or the remote-call records of
 * one version. */
struct table {
	struct rb_stat_addr *t;
	uint32_t *count;
	uint32_t *overflow;
	uint32_t cap, fill;
};

static struct table table_of(struct rb_stats *s, unsigned vi, bool rmt)
{
	if (rmt)
		return (struct table){ s->rmt[vi], &s->rmt_count[vi], &s->rmt_overflow,
				       RB_STAT_RMT_MAX, RB_STAT_RMT_FILL };
	return (struct table){ s->addr[vi], &s->addr_count[vi], &s->addr_overflow,
			       RB_STAT_ADDR_MAX, RB_STAT_ADDR_FILL };
}

/* Finds the record of the key, or creates it with stamp seq (0: a new
 * stamp); *made says which. NULL when the table is full (the caller counts
 * an overflow). Writer only. */
static struct rb_stat_addr *slot(struct rb_stats *s, struct table tb, uint32_t prog,
				 uint32_t vers, uint32_t proc, const char *netid, size_t len,
				 uint64_t seq, bool first_callit, bool *made)
{
	uint32_t i = slot_hash(prog, vers, proc, netid, len);
	*made = false;
	for (uint32_t probe = 0; probe < tb.cap; probe++, i++) {
		struct rb_stat_addr *a = &tb.t[i & (tb.cap - 1)];
		if (!__atomic_load_n(&a->used, __ATOMIC_RELAXED)) {
			if (*tb.count >= tb.fill)
				return NULL;
			a->prog = prog;
			a->vers = vers;
			a->proc = proc;
			a->first_callit = first_callit;
			a->netid_len = (uint8_t)len;
			memcpy(a->netid, netid, len);
			a->netid[len] = '\0';
			a->seq = seq ? seq : new_seq(s);
			++*tb.count;
			*made = true;
			/* The key is complete before a merging reader sees it. */
			__atomic_store_n(&a->used, 1, __ATOMIC_RELEASE);
			return a;
		}
		if (a->prog == prog && a->vers == vers && a->proc == proc &&
		    a->netid_len == len && memcmp(a->netid, netid, len) == 0)
			return a;
	}
	return NULL;
}

/* Adds counts to the record of the key; seq: the stamp of a record merged
 * from another table (0 for a new event). A record's stamp is the earliest
 * of its copies: when it was first made, in whichever thread. */
static void record(struct rb_stats *s, unsigned vi, bool rmt, uint32_t prog, uint32_t vers,
		   uint32_t proc, const char *netid, size_t len, uint32_t ok, uint32_t bad,
		   uint32_t ind, bool first_callit, uint64_t seq)
{
	if (vi >= RB_STAT_VERSIONS || len > RB_NETID_MAX)
		return;
	struct table tb = table_of(s, vi, rmt);
	bool made;
	struct rb_stat_addr *a = slot(s, tb, prog, vers, proc, netid, len, seq, first_callit,
				      &made);
	if (!a) {
		add(tb.overflow, 1);
		return;
	}
	if (ok)
		add(&a->success, ok);
	if (bad)
		add(&a->failure, bad);
	if (ind)
		add(&a->indirect, ind);
	if (seq && seq < a->seq) {
		/* An earlier copy: the record was first made there. */
		__atomic_store_n(&a->seq, seq, __ATOMIC_RELAXED);
		a->first_callit = first_callit;
	}
}

void rb_stats_lookup(struct rb_stats *s, unsigned vi, uint32_t prog,
		     uint32_t vers, const char *netid, bool found)
{
	record(s, vi, false, prog, vers, 0, netid, strlen(netid), found, !found, 0, false, 0);
}

void rb_stats_rmtcall(struct rb_stats *s, unsigned vi, bool indirect, uint32_t prog,
		      uint32_t vers, uint32_t proc, const char *netid, bool found)
{
	if (vi >= RB_STAT_VERSIONS)
		return;
	size_t len = strlen(netid);
	struct rb_stat_addr *a;
	bool made;
	if (len > RB_NETID_MAX)
		return;
	a = slot(s, table_of(s, vi, true), prog, vers, proc, netid, len, 0, !indirect, &made);
	if (!a) {
		add(&s->rmt_overflow, 1);
		return;
	}
	add(found ? &a->success : &a->failure, 1);
	if (indirect)
		add(&a->indirect, 1);
}

static void merge_table(struct rb_stats *dst, const struct rb_stats *src, unsigned v, bool rmt)
{
	const struct rb_stat_addr *t = rmt ? src->rmt[v] : src->addr[v];
	uint32_t cap = rmt ? RB_STAT_RMT_MAX : RB_STAT_ADDR_MAX;
	for (uint32_t i = 0; i < cap; i++) {
		const struct rb_stat_addr *a = &t[i];
		if (!__atomic_load_n(&a->used, __ATOMIC_ACQUIRE))
			continue;
		record(dst, v, rmt, a->prog, a->vers, a->proc, a->netid, a->netid_len,
		       ld(&a->success), ld(&a->failure), ld(&a->indirect), a->first_callit,
		       __atomic_load_n(&a->seq, __ATOMIC_RELAXED));
	}
}

void rb_stats_merge(struct rb_stats *dst, const struct rb_stats *src)
{
	for (unsigned v = 0; v < RB_STAT_VERSIONS; v++) {
		for (unsigned p = 0; p < RB_STAT_PROCS; p++)
			dst->info[v][p] += ld(&src->info[v][p]);
		dst->setinfo[v] += ld(&src->setinfo[v]);
		dst->unsetinfo[v] += ld(&src->unsetinfo[v]);
		merge_table(dst, src, v, false);
		merge_table(dst, src, v, true);
	}
	dst->addr_overflow += ld(&src->addr_overflow);
	dst->rmt_overflow += ld(&src->rmt_overflow);
}

/* The used records of table t (cap slots), newest first; ties (none within
 * one table) by key, so that the order never depends on the hash. */
static unsigned sorted(const struct rb_stat_addr *t, uint32_t cap, uint8_t *idx)
{
	unsigned n = 0;
	for (unsigned i = 0; i < cap; i++)
		if (__atomic_load_n(&t[i].used, __ATOMIC_ACQUIRE))
			idx[n++] = (uint8_t)i;
	for (unsigned i = 1; i < n; i++) { /* insertion sort, seq descending */
		uint8_t k = idx[i];
		unsigned j = i;
		while (j > 0 && t[idx[j - 1]].seq < t[k].seq) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = k;
	}
	return n;
}

void rb_stats_put(struct rb_xdr_enc *e, const struct rb_stats *s)
{
	uint8_t idx[RB_STAT_ADDR_MAX > RB_STAT_RMT_MAX ? RB_STAT_ADDR_MAX : RB_STAT_RMT_MAX];
	for (unsigned v = 0; v < RB_STAT_VERSIONS; v++) {
		for (unsigned p = 0; p < RB_STAT_PROCS; p++)
			rb_xdr_put_u32(e, ld(&s->info[v][p]));
		rb_xdr_put_u32(e, ld(&s->setinfo[v]));
		rb_xdr_put_u32(e, ld(&s->unsetinfo[v]));

		/* addrinfo: rpcbs_addrlist {prog, vers, success, failure,
		 * netid}, newest first as rpcbind lists it. */
		unsigned n = sorted(s->addr[v], RB_STAT_ADDR_MAX, idx);
		for (unsigned i = 0; i < n; i++) {
			const struct rb_stat_addr *a = &s->addr[v][idx[i]];
			rb_xdr_put_bool(e, true);
			rb_xdr_put_u32(e, a->prog);
			rb_xdr_put_u32(e, a->vers);
			rb_xdr_put_u32(e, ld(&a->success));
			rb_xdr_put_u32(e, ld(&a->failure));
			rb_xdr_put_opaque(e, a->netid, a->netid_len);
		}
		rb_xdr_put_bool(e, false);
		/* rmtinfo: rpcbs_rmtcalllist {prog, vers, proc, success,
		 * failure, indirect, netid}, newest first. */
		n = sorted(s->rmt[v], RB_STAT_RMT_MAX, idx);
		for (unsigned i = 0; i < n; i++) {
			const struct rb_stat_addr *a = &s->rmt[v][idx[i]];
			rb_xdr_put_bool(e, true);
			rb_xdr_put_u32(e, a->prog);
			rb_xdr_put_u32(e, a->vers);
			rb_xdr_put_u32(e, a->proc);
			rb_xdr_put_u32(e, ld(&a->success));
			rb_xdr_put_u32(e, ld(&a->failure));
			/* rpcbind's rpcbs_rmtcall sets indirect to 1 when
			 * it makes a record, CALLIT or not, and adds one per
			 * later INDIRECT: rpcinfo -m shows that count. */
			rb_xdr_put_u32(e, ld(&a->indirect) + a->first_callit);
			rb_xdr_put_opaque(e, a->netid, a->netid_len);
		}
		rb_xdr_put_bool(e, false);
	}
}
