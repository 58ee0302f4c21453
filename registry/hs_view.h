/* Where a ck_hs table keeps its slots, read from ck 0.7.1's private map
 * structure, so that a lookup's first cache miss (the slot line) can be
 * prefetched before the lookup runs. ck_hs has no public way to say where
 * a hash's slots are, and the table's lookups are dependent misses (the
 * slot, then the entry it points to) that only prefetching can overlap
 * (BENCHMARKS.md, "1,000,000 registrations").
 *
 * The view is checked against everything the map's fields must satisfy
 * (its capacity a power of two, the mask, where the slots start); a ck
 * whose map looks otherwise gives -ENOTSUP and no view, and lookups simply
 * go without the prefetch. A view is only ever used as a prefetch address,
 * which never faults, so one that is stale (the map replaced since) costs
 * a useless load and nothing else. Writer side only. */
#ifndef RB_REGISTRY_HS_VIEW_H
#define RB_REGISTRY_HS_VIEW_H

#include <ck_hs.h>

struct rb_hs_view {
	const void *slots;  /* the map's entries array */
	unsigned long mask; /* capacity - 1 */
};

/* Fills *v from hs's current map: 0, or -ENOTSUP. */
int rb_hs_view_get(ck_hs_t *hs, struct rb_hs_view *v);

/* The cache line that a probe for hash h looks at first. */
static inline const void *rb_hs_view_line(const void *slots, unsigned long mask,
					  unsigned long h)
{
	return (const void *)((uintptr_t)((const void *const *)slots + (h & mask)) &
			      ~(uintptr_t)63);
}

#endif
