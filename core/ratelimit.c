#include "core/ratelimit.h"

#include <string.h>

#define TOKEN_BITS 26u
#define TOKEN_MASK ((1ull << TOKEN_BITS) - 1)

void rb_rrl_set(struct rb_rrl *r, uint32_t rate, uint32_t burst)
{
	if (!burst)
		burst = rate;
	if (burst > RB_RRL_BURST_MAX)
		burst = RB_RRL_BURST_MAX;
	__atomic_store_n(&r->burst, burst, __ATOMIC_RELAXED);
	__atomic_store_n(&r->rate, rate, __ATOMIC_RELAXED);
}

void rb_rrl_set_share(struct rb_rrl *r, uint32_t rate, uint32_t burst, unsigned shards)
{
	if (!burst)
		burst = rate;
	if (shards > 1) {
		rate = (uint32_t)(((uint64_t)rate + shards - 1) / shards);
		burst = (uint32_t)(((uint64_t)burst + shards - 1) / shards);
	}
	rb_rrl_set(r, rate, burst);
}

void rb_rrl_init(struct rb_rrl *r, uint32_t rate, uint32_t burst)
{
	memset(r, 0, sizeof(*r));
	rb_rrl_set(r, rate, burst);
}

/* The source's prefix folded into 64 bits (never 0: 0 marks empty). */
static uint64_t prefix_key(const struct rb_addr *a)
{
	uint64_t k = 0;
	if (a->family == RB_AF_INET) {
		k = (uint64_t)a->ip[0] << 16 | (uint64_t)a->ip[1] << 8 | a->ip[2];
		k |= 1ull << 62;
	} else {
		for (int i = 0; i < 7; i++) /* /56 */
			k = k << 8 | a->ip[i];
		k |= 1ull << 63;
	}
	return k;
}

bool rb_rrl_allow(struct rb_rrl *r, const struct rb_addr *src, uint64_t now_ms)
{
	uint32_t rate = __atomic_load_n(&r->rate, __ATOMIC_RELAXED);
	if (!rate || (src->family != RB_AF_INET && src->family != RB_AF_INET6))
		return true;
	uint64_t key = prefix_key(src);
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	struct rb_rrl_bucket *b = &r->b[(h >> 40) & (RB_RRL_BUCKETS - 1)];
	uint64_t cap = (uint64_t)__atomic_load_n(&r->burst, __ATOMIC_RELAXED) * 1000u;
	uint64_t now = now_ms & ((1ull << (64 - TOKEN_BITS)) - 1);

	if (__atomic_load_n(&b->key, __ATOMIC_RELAXED) != key) {
		/* Taken over by another prefix (or empty): a full allowance.
		 * Two workers may race here; either outcome is acceptable. */
		__atomic_store_n(&b->key, key, __ATOMIC_RELAXED);
		__atomic_store_n(&b->state, now << TOKEN_BITS | (cap - 1000u), __ATOMIC_RELAXED);
		return true;
	}
	uint64_t old = __atomic_load_n(&b->state, __ATOMIC_RELAXED), nw;
	do {
		uint64_t stamp = old >> TOKEN_BITS, tokens = old & TOKEN_MASK;
		if (now > stamp) {
			/* rate replies a second = rate milli-tokens a millisecond */
			tokens += (now - stamp) * rate;
			if (tokens > cap)
				tokens = cap;
			stamp = now;
		}
		if (tokens < 1000u)
			return false;
		nw = stamp << TOKEN_BITS | (tokens - 1000u);
	} while (!__atomic_compare_exchange_n(&b->state, &old, nw, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}
