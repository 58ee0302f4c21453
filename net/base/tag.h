/* The 64-bit tag that says what an event is about: epoll's data.u64 and
 * io_uring's user_data, in both backends, the control thread and the
 * TCPMUX front. kind (8 bits) | index (24 bits) | generation (32 bits):
 * the index names a socket or a connection slot, the generation which
 * use of that slot (an event for a slot closed and reused since is
 * recognised by its generation and dropped). */
#ifndef RB_NET_TAG_H
#define RB_NET_TAG_H

#include <stdint.h>

/* Slot numbers must fit the tag's index. */
#define RB_TAG_IDX_MAX 0xffffffu

static inline uint64_t rb_tag(unsigned kind, uint32_t idx, uint32_t gen)
{
	return (uint64_t)(kind & 0xffu) << 56 | (uint64_t)(idx & RB_TAG_IDX_MAX) << 32 | gen;
}
static inline unsigned rb_tag_kind(uint64_t t)
{
	return (unsigned)(t >> 56);
}
static inline uint32_t rb_tag_idx(uint64_t t)
{
	return (uint32_t)(t >> 32) & RB_TAG_IDX_MAX;
}
static inline uint32_t rb_tag_gen(uint64_t t)
{
	return (uint32_t)t;
}

#endif
