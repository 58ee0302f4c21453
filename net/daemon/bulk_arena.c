#include "net/daemon/bulk_arena.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RB_HAVE_JEMALLOC
#include <sys/mman.h>

#include <jemalloc/jemalloc.h>

/* The arena's extent hooks: jemalloc's own, except that fresh memory is
 * advised MADV_HUGEPAGE (the other hooks ignore the hooks pointer they
 * are given, so jemalloc's defaults serve as they are). Lives as long as
 * the process: the arena is never destroyed. */
struct bulk_arena {
	extent_hooks_t hooks; /* first: jemalloc hands this pointer back */
	extent_hooks_t *dflt;
	unsigned index;
	int state; /* 0: not created yet, 1: created, -1: jemalloc refused */
};

static void *huge_extent_alloc(extent_hooks_t *self, void *new_addr, size_t size,
			       size_t alignment, bool *zero, bool *commit,
			       unsigned arena_ind)
{
	struct bulk_arena *a = (struct bulk_arena *)self;
	void *p = a->dflt->alloc(a->dflt, new_addr, size, alignment, zero, commit,
				 arena_ind);
	/* Only advice: where THP is off, or the range too small for a huge
	 * page, the memory is ordinary pages. */
	if (p)
		(void)madvise(p, size, MADV_HUGEPAGE);
	return p;
}

/* Made at the first large allocation, not at start: creating an arena
 * allocates its metadata from it, which would put a 2 MiB huge page in
 * every daemon, however small its registry. */
static int arena_create(struct bulk_arena *a)
{
	a->hooks = *a->dflt;
	a->hooks.alloc = huge_extent_alloc;
	extent_hooks_t *mine = &a->hooks;
	size_t sz = sizeof(a->index);
	return mallctl("arenas.create", &a->index, &sz, &mine, sizeof(mine));
}

static void *bulk_alloc(void *arg, size_t n)
{
	struct bulk_arena *a = arg;
	/* Only the registry's writer calls this. */
	if (a->state == 0)
		a->state = arena_create(a) == 0 ? 1 : -1;
	if (a->state < 0)
		return NULL; /* the registry falls back to malloc */
	/* No thread cache on the way out, so that every entry comes from
	 * this arena. (The registry frees with free(): a freed region may
	 * then serve another small allocation of the writer's thread from
	 * its cache, still on a huge page, until the cache flushes it back
	 * here.) */
	return mallocx(n, MALLOCX_ARENA(a->index) | MALLOCX_TCACHE_NONE);
}

int rb_bulk_arena_init(struct rb_registry_bulk *out)
{
	out->alloc = NULL;
	out->arg = NULL;
	struct bulk_arena *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	size_t sz = sizeof(a->dflt);
	int r = mallctl("arena.0.extent_hooks", &a->dflt, &sz, NULL, 0);
	if (r == 0 && !(a->dflt && a->dflt->alloc))
		r = ENOTSUP;
	if (r) {
		free(a);
		return -r;
	}
	out->alloc = bulk_alloc;
	out->arg = a;
	return 0;
}

#else

int rb_bulk_arena_init(struct rb_registry_bulk *out)
{
	out->alloc = NULL;
	out->arg = NULL;
	return -ENOTSUP;
}

#endif
