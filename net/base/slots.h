/* Slot numbers of a connection table: a released slot is handed out again
 * first (the last released: its memory is the warmest), else the next one
 * never used, up to the table's capacity. The caller owns the table itself
 * and the storage of the free stack (cap entries), so a fixed table needs
 * no allocation. One thread. */
#ifndef RB_NET_SLOTS_H
#define RB_NET_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

struct rb_slots {
	uint32_t *free;  /* released slots, a stack */
	uint32_t n_free;
	uint32_t used;   /* slots ever handed out: [0, used) */
	uint32_t cap;
};

void rb_slots_init(struct rb_slots *s, uint32_t *free_store, uint32_t cap);
/* A free slot in *slot; false when all cap are taken. */
bool rb_slots_take(struct rb_slots *s, uint32_t *slot);
/* Gives slot back (it must have been taken and not given back since). */
void rb_slots_put(struct rb_slots *s, uint32_t slot);
/* Slots taken now. */
static inline uint32_t rb_slots_live(const struct rb_slots *s)
{
	return s->used - s->n_free;
}

#endif
