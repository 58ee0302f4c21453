#include "registry/store/hs_view.h"

#include <errno.h>
#include <stdint.h>

/* ck 0.7.1's struct ck_hs_map (src/ck_hs.c), read only: the fields up to
 * entries, in their order and types. */
struct hs_map_0_7_1 {
	unsigned int generation[2];
	unsigned int probe_maximum;
	unsigned long mask;
	unsigned long step;
	unsigned int probe_limit;
	unsigned int tombstones;
	unsigned long n_entries;
	unsigned long capacity;
	unsigned long size;
	rb_hs_bound_word *probe_bound;
	const void **entries;
};

/* ck_hs_map_create aligns the slots to this. */
#define HS_LINE ((uintptr_t)CK_MD_CACHELINE)

int rb_hs_view_get(ck_hs_t *hs, struct rb_hs_view *v)
{
	const struct hs_map_0_7_1 *m = (const void *)hs->map;
	v->slots = NULL;
	v->bounds = NULL;
	v->mask = 0;
	if (!m)
		return -ENOTSUP;
	unsigned long cap = m->capacity;
	/* With CK_HS_MODE_DELETE the probe bounds (a word per slot) follow
	 * the structure, then the slots on the next line; without, the
	 * slots do. */
	uintptr_t prefix = m->probe_bound ? cap * sizeof(rb_hs_bound_word) : 0;
	uintptr_t want = ((uintptr_t)(m + 1) + prefix + HS_LINE - 1) & ~(uintptr_t)(HS_LINE - 1);
	if (cap < 8 || (cap & (cap - 1)) || m->mask != cap - 1 ||
	    m->n_entries > cap || ck_hs_count(hs) != m->n_entries ||
	    (m->probe_bound && (const void *)m->probe_bound != (const void *)(m + 1)) ||
	    (uintptr_t)m->entries != want ||
	    m->size != sizeof(*m) + prefix + cap * sizeof(void *) + HS_LINE - 1)
		return -ENOTSUP;
	v->slots = m->entries;
	v->bounds = m->probe_bound;
	v->mask = m->mask;
	return 0;
}
