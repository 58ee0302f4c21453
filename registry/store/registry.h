/* The registry: (prog, vers, netid) -> (uaddr, owner), read lock-free.
 *
 * Entries are immutable once published. A ck_hs in SPMC mode indexes them
 * by (prog, vers, netid); a second ck_hs indexes, per program, its entries
 * in registration order (for the version fallback of GETPORT/GETADDR, for
 * GETADDRLIST and for UNSET of every netid); a CK_LIST keeps every entry in registration order (for
 * DUMP, as rpcbind lists). One thread writes (set, unset); any number of
 * readers look up inside an epoch section, and removed entries are freed
 * only after every section that could see them has ended (ck_epoch).
 *
 * Thread rules: rb_registry_set/unset/reclaim/synchronize and the owner
 * counts belong to the single writer thread. The lookup functions and the
 * iteration may run on any thread that is inside rb_reader_begin/end. */
#ifndef RB_REGISTRY_REGISTRY_H
#define RB_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ck_epoch.h>
#include <ck_queue.h>

#include "core/uaddr.h"

/* Owner strings are "superuser", "unknown" or a decimal uid. */
#define RB_OWNER_MAX 32u
/* Registrations of one program (all versions and netids) that we index
 * together; a SET beyond it is refused (rpcbind has no bound at all). */
#define RB_ENTRIES_PER_PROG_MAX 1024u

struct rb_entry {
	ck_epoch_entry_t epoch; /* deferred free */
	CK_LIST_ENTRY(rb_entry) order; /* registration order, for DUMP */
	uint64_t seq; /* registration number: the list is in this order */
	uint32_t prog;
	uint32_t vers;
	uint8_t netid_len;
	uint8_t uaddr_len;
	uint8_t owner_len;
	uint8_t family;   /* enum rb_family of the netid; RB_AF_NONE if unknown */
	uint8_t wildcard; /* uaddr is 0.0.0.0.p1.p2 or ::.p1.p2 (to be merged) */
	uint16_t port;    /* the uaddr's port, for family INET/INET6 */
	uint8_t stream;   /* the netid is a stream transport (tcp, tcp6, local) */
	char netid[RB_NETID_MAX + 1];
	/* uaddr then owner, each NUL-terminated. */
	char strings[];
};

/* Every registration of one program, oldest first. Immutable: replaced as a
 * whole (copy, publish, retire) on every change to that program. */
struct rb_progset {
	ck_epoch_entry_t epoch;
	uint32_t prog;
	uint32_t n;
	const struct rb_entry *v[];
};

static inline const char *rb_entry_uaddr(const struct rb_entry *e)
{
	return e->strings;
}
static inline const char *rb_entry_owner(const struct rb_entry *e)
{
	return e->strings + e->uaddr_len + 1;
}

struct rb_registry;
struct rb_reader;

int rb_registry_new(struct rb_registry **out);
/* Frees everything; no reader may be inside a section. */
void rb_registry_free(struct rb_registry *reg);

/* ---- writer ---- */

enum rb_set_result {
	RB_SET_ADDED = 0,     /* new entry published */
	RB_SET_SAME = 1,      /* already registered with the same uaddr: TRUE */
};
/* Registers. Returns RB_SET_ADDED / RB_SET_SAME, or -EEXIST (registered
 * with another uaddr), -ENAMETOOLONG (a string over its max), -ENOSPC
 * (RB_ENTRIES_PER_PROG_MAX), -EINVAL (empty netid), -ENOMEM. */
int rb_registry_set(struct rb_registry *reg, uint32_t prog, uint32_t vers,
		    const char *netid, const char *uaddr, const char *owner);
/* Removes (prog, vers, netid); netid NULL or "" means every netid. When
 * owner is neither NULL nor "superuser", every matching entry must have
 * that owner or nothing is removed and -EPERM comes back. *removed gets the
 * count removed. */
int rb_registry_unset(struct rb_registry *reg, uint32_t prog, uint32_t vers,
		      const char *netid, const char *owner, unsigned *removed);
/* The writer's view of every change, for persistence: added is called
 * once an entry is published, removed just before an entry is retired.
 * Called on the writer thread, inside rb_registry_set/unset. */
struct rb_registry_observer {
	void (*added)(void *arg, const struct rb_entry *e);
	void (*removed)(void *arg, const struct rb_entry *e);
	void *arg;
};
/* A registry of RB_REGISTRY_LARGE registrations or more no longer fits
 * the processor's caches (an entry is ~128 bytes and its slot 16): from
 * there on its lookups are prefetched (dispatch.h) and its memory comes
 * from the bulk allocator, when one is installed. */
#define RB_REGISTRY_LARGE 65536u
/* The entries table's and the program table's maps of this size or more
 * come from the bulk allocator too. */
#define RB_REGISTRY_BULK_MAP_MIN ((size_t)2 << 20)
/* Where a large registry's memory comes from: entries allocated from
 * RB_REGISTRY_LARGE registrations on, and maps of RB_REGISTRY_BULK_MAP_MIN
 * bytes and more, are alloc(arg, n); they are freed with free(), so alloc
 * must hand out the process malloc's memory (the daemon's is a jemalloc
 * arena on transparent huge pages, so that a random lookup does not also
 * miss the TLB: net/daemon/bulk_arena.c). A NULL return falls back to malloc. */
struct rb_registry_bulk {
	void *(*alloc)(void *arg, size_t n);
	void *arg;
};
/* Installs *b (copied), or none with NULL. Before any writer call. */
void rb_registry_set_bulk(struct rb_registry *reg, const struct rb_registry_bulk *b);
/* Installs obs (copied), or none with NULL. */
void rb_registry_observe(struct rb_registry *reg, const struct rb_registry_observer *obs);
/* Frees what readers can no longer see; never blocks. */
void rb_registry_reclaim(struct rb_registry *reg);
/* Makes room for n more entries without rehashing on the way (a restore
 * of saved state). Best effort. */
void rb_registry_reserve(struct rb_registry *reg, size_t n);
/* Waits until every retired entry is freed (tests, shutdown). */
void rb_registry_synchronize(struct rb_registry *reg);
/* Any thread (a relaxed load): the registrations published so far. */
size_t rb_registry_count(const struct rb_registry *reg);
/* Registrations held by an owner (for quotas). */
uint32_t rb_registry_owner_count(const struct rb_registry *reg,
				 const char *owner);

/* ---- readers ---- */

/* A reader belongs to one thread. Readers are recycled, never freed before
 * the registry. */
struct rb_reader *rb_registry_reader(struct rb_registry *reg);
void rb_reader_release(struct rb_reader *r);
void rb_reader_begin(struct rb_reader *r);
void rb_reader_end(struct rb_reader *r);

/* Inside a section: */
/* Netids compare exactly: "TCP" is not "tcp" (registry.c says why). */
const struct rb_entry *rb_lookup(const struct rb_registry *reg, uint32_t prog,
				 uint32_t vers, const char *netid, size_t netid_len);
/* Prefetching a lookup in two steps, for a worker with a batch of calls
 * in hand: step one (the hash, then the table slot's cache line) two calls
 * ahead, step two (the slot, now cached, then the entry it points to) one
 * call ahead, so that the lookup's two dependent cache misses overlap with
 * answering the calls before it. Only hints: they change nothing. */
struct rb_key_hint {
	uint32_t prog;
	uint32_t vers;
	const char *netid;
	uint8_t netid_len;
	unsigned long h; /* set by step one */
};
void rb_lookup_prefetch_slot(const struct rb_registry *reg, struct rb_key_hint *k);
void rb_lookup_prefetch_entry(const struct rb_registry *reg, const struct rb_key_hint *k);
/* The exact version when registered, else the last-registered other version
 * of prog on that netid (rpcbind's find_service); NULL when none. */
const struct rb_entry *rb_lookup_any_version(const struct rb_registry *reg,
					     uint32_t prog, uint32_t vers,
					     const char *netid, size_t netid_len);
/* The registrations of prog, oldest first; NULL when none. */
const struct rb_progset *rb_lookup_prog(const struct rb_registry *reg,
					uint32_t prog);
/* Iteration over every entry in registration order. A walk that races
 * with the writer may pass entries removed meanwhile and reach entries added
 * meanwhile; to list what existed when it began, read rb_registry_seq()
 * first and stop at the first entry whose seq is greater. */
uint64_t rb_registry_seq(const struct rb_registry *reg);
const struct rb_entry *rb_registry_first(const struct rb_registry *reg);
const struct rb_entry *rb_registry_next(const struct rb_entry *e);

#endif
