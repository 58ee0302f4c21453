/* The daemon's bulk allocator for a large registry (registry.h, struct
 * rb_registry_bulk): a jemalloc arena of its own whose memory is advised
 * MADV_HUGEPAGE. A random lookup in a registry of a million entries
 * touches a 16 MiB table and ~190 MiB of entries: on 4 KiB pages every
 * lookup also misses the TLB, and its page walks (twice as long in a
 * virtual machine) stall even the lookup's prefetches. On 2 MiB pages the
 * whole registry fits the TLB (BENCHMARKS.md, "1,000,000 registrations").
 *
 * Only the ringbind executable links jemalloc (not the sanitizer builds,
 * not the tests), so only it is built with RB_HAVE_JEMALLOC; without,
 * rb_bulk_arena_init says -ENOTSUP and the registry uses malloc. A small
 * registry never allocates from the arena, so it costs no memory: the
 * huge pages come only with the registrations that need them. */
#ifndef RB_NET_BULK_ARENA_H
#define RB_NET_BULK_ARENA_H

#include "registry/store/registry.h"

/* Creates the arena and fills *out: 0, or -ENOTSUP (no jemalloc) or
 * -errno (jemalloc refused), with out->alloc NULL. Once per process. */
int rb_bulk_arena_init(struct rb_registry_bulk *out);

#endif
