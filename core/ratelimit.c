#include "core/ratelimit.h"

#include <string.h>

void rb_rrl_init(struct rb_rrl *r, uint32_t rate, uint32_t burst)
{
	memset(r, 0, sizeof(*r));
	r->rate = rate;
	r->burst = burst ? burst : rate;
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
	if (!r->rate || (src->family != RB_AF_INET && src->family != RB_AF_INET6))
		return true;
	uint64_t key = prefix_key(src);
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	struct rb_rrl_bucket *b = &r->b[(h >> 40) & (RB_RRL_BUCKETS - 1)];
	uint64_t cap = (uint64_t)r->burst * 1000u;
	if (b->key != key) {
		b->key = key;
		b->stamp_ms = now_ms;
		b->tokens = (uint32_t)cap;
	} else if (now_ms > b->stamp_ms) {
		/* rate replies a second = rate milli-tokens a millisecond. */
		uint64_t t = b->tokens + (now_ms - b->stamp_ms) * r->rate;
		b->tokens = (uint32_t)(t > cap ? cap : t);
		b->stamp_ms = now_ms;
	}
	if (b->tokens < 1000u)
		return false;
	b->tokens -= 1000u;
	return true;
}
