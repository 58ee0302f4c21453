#include "registry/stats.h"

#include <string.h>

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

static inline uint32_t slot_hash(uint32_t prog, uint32_t vers, const char *netid,
				 size_t len)
{
	uint32_t h = prog * 0x9e3779b1u ^ vers * 0x85ebca6bu;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)netid[i]) * 0x01000193u;
	return h ^ (h >> 15);
}

/* Finds or creates the record of (prog, vers, netid); NULL when the table
 * is full (the caller counts an overflow). Writer only. */
static struct rb_stat_addr *addr_slot(struct rb_stats *s, unsigned vi,
				      uint32_t prog, uint32_t vers,
				      const char *netid, size_t len)
{
	struct rb_stat_addr *t = s->addr[vi];
	uint32_t i = slot_hash(prog, vers, netid, len);
	for (uint32_t probe = 0; probe < RB_STAT_ADDR_MAX; probe++, i++) {
		struct rb_stat_addr *a = &t[i & (RB_STAT_ADDR_MAX - 1)];
		if (!__atomic_load_n(&a->used, __ATOMIC_RELAXED)) {
			if (s->addr_count[vi] >= RB_STAT_ADDR_FILL)
				return NULL;
			a->prog = prog;
			a->vers = vers;
			a->netid_len = (uint8_t)len;
			memcpy(a->netid, netid, len);
			a->netid[len] = '\0';
			a->seq = ++s->addr_count[vi];
			/* The key is complete before a merging reader sees it. */
			__atomic_store_n(&a->used, 1, __ATOMIC_RELEASE);
			return a;
		}
		if (a->prog == prog && a->vers == vers && a->netid_len == len &&
		    memcmp(a->netid, netid, len) == 0)
			return a;
	}
	return NULL;
}

static void record(struct rb_stats *s, unsigned vi, uint32_t prog,
		   uint32_t vers, const char *netid, size_t len, uint32_t ok,
		   uint32_t bad, uint32_t seq)
{
	if (vi >= RB_STAT_VERSIONS || len > RB_NETID_MAX)
		return;
	struct rb_stat_addr *a = addr_slot(s, vi, prog, vers, netid, len);
	if (!a) {
		add(&s->addr_overflow, 1);
		return;
	}
	if (ok)
		add(&a->success, ok);
	if (bad)
		add(&a->failure, bad);
	if (seq > a->seq)
		a->seq = seq;
}

void rb_stats_lookup(struct rb_stats *s, unsigned vi, uint32_t prog,
		     uint32_t vers, const char *netid, bool found)
{
	record(s, vi, prog, vers, netid, strlen(netid), found, !found, 0);
}

void rb_stats_merge(struct rb_stats *dst, const struct rb_stats *src)
{
	for (unsigned v = 0; v < RB_STAT_VERSIONS; v++) {
		for (unsigned p = 0; p < RB_STAT_PROCS; p++)
			dst->info[v][p] += ld(&src->info[v][p]);
		dst->setinfo[v] += ld(&src->setinfo[v]);
		dst->unsetinfo[v] += ld(&src->unsetinfo[v]);
		for (unsigned i = 0; i < RB_STAT_ADDR_MAX; i++) {
			const struct rb_stat_addr *a = &src->addr[v][i];
			if (!__atomic_load_n(&a->used, __ATOMIC_ACQUIRE))
				continue;
			record(dst, v, a->prog, a->vers, a->netid, a->netid_len,
			       ld(&a->success), ld(&a->failure), ld(&a->seq));
		}
	}
	dst->addr_overflow += ld(&src->addr_overflow);
}

void rb_stats_put(struct rb_xdr_enc *e, const struct rb_stats *s)
{
	for (unsigned v = 0; v < RB_STAT_VERSIONS; v++) {
		for (unsigned p = 0; p < RB_STAT_PROCS; p++)
			rb_xdr_put_u32(e, ld(&s->info[v][p]));
		rb_xdr_put_u32(e, ld(&s->setinfo[v]));
		rb_xdr_put_u32(e, ld(&s->unsetinfo[v]));

		/* addrinfo, newest first as rpcbind lists it. */
		uint8_t idx[RB_STAT_ADDR_MAX];
		unsigned n = 0;
		for (unsigned i = 0; i < RB_STAT_ADDR_MAX; i++)
			if (__atomic_load_n(&s->addr[v][i].used, __ATOMIC_ACQUIRE))
				idx[n++] = (uint8_t)i;
		for (unsigned i = 1; i < n; i++) { /* insertion sort by seq desc */
			uint8_t k = idx[i];
			unsigned j = i;
			while (j > 0 && s->addr[v][idx[j - 1]].seq < s->addr[v][k].seq) {
				idx[j] = idx[j - 1];
				j--;
			}
			idx[j] = k;
		}
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
		/* rmtinfo: not kept. Forwarded calls (-r) are counted only in
		 * the metrics (README, where ringbind differs from rpcbind). */
		rb_xdr_put_bool(e, false);
	}
}
