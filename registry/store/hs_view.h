/* Where a ck_hs table keeps its slots and their probe bounds, read from
 * ck 0.7.1's private map structure, so that a lookup's first cache misses
 * (the probe bound, the slot line) can be prefetched before it runs. ck_hs has no public way to say where
 * a hash's slots are, and the table's lookups are dependent misses (the
 * slot, then the entry it points to) that only prefetching can overlap
 * (BENCHMARKS.md, "1,000,000 registrations").
 *
 * The view is checked against everything the map's fields must satisfy
 * (its capacity a power of two, the mask, where the slots start); a ck
 * whose map looks otherwise gives -ENOTSUP and no view, and lookups simply
 * go without the prefetch. A view is only ever used as a prefetch address,
 * which never faults, so one that is stale (the map replaced since) costs
 * a useless load and nothing else. */
#ifndef RB_REGISTRY_HS_VIEW_H
#define RB_REGISTRY_HS_VIEW_H

#include <ck_hs.h>
#include <ck_md.h>

/* ck 0.7.1's probe-bound word (one per slot, in CK_HS_MODE_DELETE): 8 bits
 * where ck_pr has 8-bit loads and stores (every 64-bit platform ck
 * supports), else 16 or 32, as ck_hs.c picks it. */
#if defined(CK_F_PR_LOAD_8) && defined(CK_F_PR_STORE_8)
typedef uint8_t rb_hs_bound_word;
#elif defined(CK_F_PR_LOAD_16) && defined(CK_F_PR_STORE_16)
typedef uint16_t rb_hs_bound_word;
#else
typedef uint32_t rb_hs_bound_word;
#endif

struct rb_hs_view {
	const void *slots;  /* the map's entries array */
	const rb_hs_bound_word *bounds; /* its probe bounds; NULL without DELETE */
	unsigned long mask; /* capacity - 1 */
};

/* Writer side: fills *v from hs's current map: 0, or -ENOTSUP. */
int rb_hs_view_get(ck_hs_t *hs, struct rb_hs_view *v);

/* Any thread: the cache line that a probe for hash h looks at first. */
static inline const void *rb_hs_view_line(const void *slots, unsigned long mask,
					  unsigned long h)
{
	return (const void *)((uintptr_t)((const void *const *)slots + (h & mask)) &
			      ~(uintptr_t)(CK_MD_CACHELINE - 1));
}

/* Any thread: the probe bound that ck_hs_get reads before the slots. */
static inline const void *rb_hs_view_bound(const rb_hs_bound_word *bounds,
					   unsigned long mask, unsigned long h)
{
	return bounds + (h & mask);
}

#endif
