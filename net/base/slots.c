#include "net/base/slots.h"

#include <assert.h>

void rb_slots_init(struct rb_slots *s, uint32_t *free_store, uint32_t cap)
{
	s->free = free_store;
	s->n_free = 0;
	s->used = 0;
	s->cap = cap;
}

bool rb_slots_take(struct rb_slots *s, uint32_t *slot)
{
	if (s->n_free) {
		*slot = s->free[--s->n_free];
		return true;
	}
	if (s->used == s->cap)
		return false;
	*slot = s->used++;
	return true;
}

void rb_slots_put(struct rb_slots *s, uint32_t slot)
{
	/* More puts than takes would overrun the stack. */
	assert(slot < s->used && s->n_free < s->used);
	s->free[s->n_free++] = slot;
}
