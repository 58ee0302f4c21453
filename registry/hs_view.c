#include "registry/hs_view.h"

#include <errno.h>
#include <stdint.h>

/* ck 0.7.1's struct ck_hs_map (src/ck_hs.c), read only: the fields up to
 * entries, in their order and types. Its probe-bound words are 8 bits
 * where ck_pr has 8-bit loads and stores (every 64-bit platform ck
 * supports), else 16 or 32. */
#if defined(CK_F_PR_LOAD_8) && defined(CK_F_PR_STORE_8)
typedef uint8_t hs_word;
#elif defined(CK_F_PR_LOAD_16) && defined(CK_F_PR_STORE_16)
typedef uint16_t hs_word;
#else
typedef uint32_t hs_word;
#endif

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
	hs_word *probe_bound;
	const void **entries;
};

/* ck_hs_map_create aligns the slots to this. */
#define HS_LINE 64u

int rb_hs_view_get(ck_hs_t *hs, struct rb_hs_view *v)
{
	const struct hs_map_0_7_1 *m = (const void *)hs->map;
	v->slots = NULL;
	v->mask = 0;
	if (!m)
		return -ENOTSUP;
	unsigned long cap = m->capacity;
	/* With CK_HS_MODE_DELETE the probe bounds (a word per slot) follow
	 * the structure, then the slots on the next line; without, the
	 * slots do. */
	uintptr_t prefix = m->probe_bound ? cap * sizeof(hs_word) : 0;
	uintptr_t want = ((uintptr_t)(m + 1) + prefix + HS_LINE - 1) & ~(uintptr_t)(HS_LINE - 1);
	if (cap < 8 || (cap & (cap - 1)) || m->mask != cap - 1 ||
	    m->n_entries > cap || ck_hs_count(hs) != m->n_entries ||
	    (m->probe_bound && (const void *)m->probe_bound != (const void *)(m + 1)) ||
	    (uintptr_t)m->entries != want ||
	    m->size < sizeof(*m) + prefix + cap * sizeof(void *))
		return -ENOTSUP;
	v->slots = m->entries;
	v->mask = m->mask;
	return 0;
}
