#include "registry/store/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ck_hs.h>

#include "registry/store/hs_view.h"
#include "registry/store/tsan.h"

#define HS_MODE (CK_HS_MODE_SPMC | CK_HS_MODE_OBJECT | CK_HS_MODE_DELETE)
#define HS_INITIAL 64u
/* Rebuild a table once its tombstones outnumber its live entries by this
 * much: churn (SET/UNSET of fresh keys) would otherwise lengthen probes. */
#define HS_TOMBSTONE_SLACK 1024u

struct rb_reader {
	ck_epoch_record_t rec; /* first: recycled records map back to readers */
};

struct owner_count {
	uint32_t count;
	uint8_t len;
	char owner[RB_OWNER_MAX + 1];
};

CK_LIST_HEAD(rb_entry_list, rb_entry);

struct rb_registry {
	ck_epoch_t epoch;
	ck_epoch_record_t *writer;
	struct ck_malloc alloc;
	ck_hs_t entries; /* struct rb_entry, by (prog, vers, netid) */
	ck_hs_t progs;   /* struct rb_progset, by prog */
	ck_hs_t owners;  /* struct owner_count; writer only */
	struct rb_entry_list order;
	struct rb_entry *tail; /* writer only */
	uint64_t seq;          /* writer only: the last registration's number */
	uint64_t pub_seq;      /* seq, published after the entry is linked */
	uint64_t entries_removed, progs_removed; /* since the last rebuild */
	struct rb_registry_observer obs; /* writer only */
	size_t count;
	/* Where the entries table's slots and probe bounds are
	 * (registry/store/hs_view.h), for rb_lookup_prefetch_slot: written by the
	 * writer whenever ck_hs replaces the map, read relaxed by workers
	 * (each only a prefetch address). slots NULL: no view. */
	const void *slots;
	const rb_hs_bound_word *slots_bounds;
	unsigned long slots_mask;
	const void *slots_map; /* writer only: the map they describe */
	struct rb_registry_bulk bulk;
};

/* ck_malloc's callbacks take no context, so a deferred free (ck_hs
 * retiring an old map during a writer call) finds the writer's epoch record
 * through this thread-local, set only for the duration of writer calls. */
static _Thread_local struct rb_registry *tls_writer;

/* Address whose TSan clock carries "a reader section ended" to the frees
 * that its grace period allows. Never written. */
static const char tsan_grace __attribute__((unused));

struct hs_block {
	ck_epoch_entry_t epoch;
	max_align_t data[];
};

/* From the bulk allocator when large and one is installed, else malloc. */
static void *bulk_malloc(const struct rb_registry *reg, size_t n, bool large)
{
	if (large && reg && reg->bulk.alloc) {
		void *p = reg->bulk.alloc(reg->bulk.arg, n);
		if (p)
			return p;
	}
	return malloc(n);
}

static void *hs_malloc(size_t n)
{
	/* ck_hs allocates maps inside writer calls (tls_writer set), except
	 * the first, small ones in ck_hs_init. */
	struct hs_block *b = bulk_malloc(tls_writer, sizeof(*b) + n,
					 n >= RB_REGISTRY_BULK_MAP_MIN);
	return b ? b->data : NULL;
}

static void hs_block_free(ck_epoch_entry_t *e)
{
	RB_TSAN_ACQUIRE(&tsan_grace);
	free(e);
}

static void hs_free(void *p, size_t n, bool defer)
{
	(void)n;
	if (!p)
		return;
	struct hs_block *b = (struct hs_block *)((char *)p - offsetof(struct hs_block, data));
	if (defer && tls_writer)
		ck_epoch_call(tls_writer->writer, &b->epoch, hs_block_free);
	else
		free(b);
}

static void *plain_malloc(size_t n)
{
	return malloc(n);
}

static void plain_free(void *p, size_t n, bool defer)
{
	(void)n;
	(void)defer;
	free(p);
}

static struct ck_malloc plain_alloc = { .malloc = plain_malloc, .free = plain_free };

/* ---- hashing ---- */

static inline unsigned long mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (unsigned long)h;
}

static unsigned long hash_bytes(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	return (unsigned long)h;
}

/* Netids compare exactly, byte for byte. rpcbind folds case in its
 * RPCBIND list (strcasecmp in find_service and map_unset) but not in its
 * PMAP list (strcmp in pmap_netid2ipprot). Folding here would let a "TCP"
 * registration, which the owner-port check (exact "tcp"/"udp") cannot
 * judge, answer every "tcp" lookup. */
static bool netid_eq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

static unsigned long entry_hash_key(uint32_t prog, uint32_t vers,
				    const char *netid, size_t len,
				    unsigned long seed)
{
	uint64_t h = ((uint64_t)prog << 32 | vers) ^ seed;
	return mix64(hash_bytes(h, netid, len));
}

/* Hash tags. ck_hs (as Debian builds ck, without CK_MD_POINTER_PACK) calls
 * entry_cmp on every occupied slot it probes, and each call reads an entry
 * from memory: with a million registrations that is a cache miss per
 * probe, and a lookup probes 1.5 slots on average at ck_hs's load of up to
 * 1/2. So the entries table stores each entry's pointer with 16 bits of its
 * hash in the top bits, which user-space addresses leave zero on Linux
 * (below 2^47 unless a mapping asks for more, which malloc never does), and
 * entry_cmp rejects a slot whose tag differs without reading the entry.
 * The tag is never zero, so an untagged pointer (a key from the writer)
 * always gets the full comparison. Every pointer that ck_hs hands back goes
 * through entry_untag. */
#if UINTPTR_MAX == UINT64_MAX
#define ENTRY_TAG_SHIFT 48
static inline uintptr_t entry_tag(unsigned long h)
{
	return ((uintptr_t)(h >> ENTRY_TAG_SHIFT) | 1u) << ENTRY_TAG_SHIFT;
}
static inline uintptr_t entry_tag_of(const void *p)
{
	return (uintptr_t)p >> ENTRY_TAG_SHIFT;
}
static inline const struct rb_entry *entry_untag(const void *p)
{
	return (const struct rb_entry *)((uintptr_t)p &
					 (((uintptr_t)1 << ENTRY_TAG_SHIFT) - 1));
}
#else /* no spare pointer bits: no tags, every probe compares */
static inline uintptr_t entry_tag(unsigned long h)
{
	(void)h;
	return 0;
}
static inline uintptr_t entry_tag_of(const void *p)
{
	(void)p;
	return 0;
}
static inline const struct rb_entry *entry_untag(const void *p)
{
	return p;
}
#endif

/* A key whose netid_len is this is a prefetch probe's
 * (rb_lookup_prefetch_entry): no entry has it (RB_NETID_MAX is 32), and
 * the key is on the caller's stack, so checking it costs no cache miss.
 * Marking the key and not its pointer leaves every pointer bit to the
 * platform (arm64's user addresses use bit 47). */
#define ENTRY_PROBE_LEN 0xffu

/* p with its hash tag; NULL when p's own top bits are in use. */
static inline void *entry_tagged(const struct rb_entry *p, unsigned long h)
{
	if (entry_tag_of(p))
		return NULL;
	return (void *)((uintptr_t)p | entry_tag(h));
}

static unsigned long entry_hash(const void *o, unsigned long seed)
{
	const struct rb_entry *e = entry_untag(o);
	return entry_hash_key(e->prog, e->vers, e->netid, e->netid_len, seed);
}

static bool entry_cmp(const void *a, const void *b)
{
	uintptr_t ta = entry_tag_of(a), tb = entry_tag_of(b);
	if (ta && tb && ta != tb)
		return false; /* hashes differ: no need to read the entry */
	const struct rb_entry *x = entry_untag(a), *y = entry_untag(b);
	if (y->netid_len == ENTRY_PROBE_LEN) {
		/* A prefetch probe: start loading the candidate (its key and,
		 * for GETADDR, its uaddr in the next line) and go on. */
		__builtin_prefetch(x);
		__builtin_prefetch((const char *)x + 64);
		return false;
	}
	/* ck_hs compares candidates before the lookup returns one. */
	RB_TSAN_ACQUIRE(x);
	RB_TSAN_ACQUIRE(y);
	return x->prog == y->prog && x->vers == y->vers &&
	       netid_eq(x->netid, x->netid_len, y->netid, y->netid_len);
}

static unsigned long prog_hash(const void *o, unsigned long seed)
{
	const struct rb_progset *p = o;
	return mix64((uint64_t)p->prog ^ seed);
}

static bool prog_cmp(const void *a, const void *b)
{
	RB_TSAN_ACQUIRE(a);
	RB_TSAN_ACQUIRE(b);
	return ((const struct rb_progset *)a)->prog ==
	       ((const struct rb_progset *)b)->prog;
}

static unsigned long owner_hash(const void *o, unsigned long seed)
{
	const struct owner_count *c = o;
	return mix64(hash_bytes(seed, c->owner, c->len));
}

static bool owner_cmp(const void *a, const void *b)
{
	const struct owner_count *x = a, *y = b;
	return x->len == y->len && memcmp(x->owner, y->owner, x->len) == 0;
}

/* Writer side, after any call that may have replaced the entries table's
 * map: publishes where its slots are now, for rb_lookup_prefetch_slot. */
static void slots_refresh(struct rb_registry *reg)
{
	const void *map = reg->entries.map;
	if (map == reg->slots_map)
		return;
	reg->slots_map = map;
	/* v is all NULL when the map is not ck 0.7.1's layout: lookups then
	 * go unprefetched. */
	struct rb_hs_view v;
	(void)rb_hs_view_get(&reg->entries, &v);
	__atomic_store_n(&reg->slots_mask, v.mask, __ATOMIC_RELAXED);
	__atomic_store_n(&reg->slots_bounds, v.bounds, __ATOMIC_RELAXED);
	__atomic_store_n(&reg->slots, v.slots, __ATOMIC_RELAXED);
}

void rb_registry_set_bulk(struct rb_registry *reg, const struct rb_registry_bulk *b)
{
	if (b)
		reg->bulk = *b;
	else
		memset(&reg->bulk, 0, sizeof(reg->bulk));
}

/* ---- life cycle ---- */

int rb_registry_new(struct rb_registry **out)
{
	struct rb_registry *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return -ENOMEM;
	ck_epoch_init(&reg->epoch);
	reg->writer = calloc(1, sizeof(struct rb_reader));
	if (!reg->writer)
		goto fail_reg;
	ck_epoch_register(&reg->epoch, reg->writer, NULL);
	reg->alloc.malloc = hs_malloc;
	reg->alloc.free = hs_free;
	/* The seed only spreads keys; it need not be secret because the key
	 * space (who may register) is local. */
	unsigned long seed = (unsigned long)(uintptr_t)reg * 0x9e3779b97f4a7c15ULL;
	if (!ck_hs_init(&reg->entries, HS_MODE, entry_hash, entry_cmp, &reg->alloc,
			HS_INITIAL, seed))
		goto fail_reg;
	if (!ck_hs_init(&reg->progs, HS_MODE, prog_hash, prog_cmp, &reg->alloc,
			HS_INITIAL, seed))
		goto fail_entries;
	if (!ck_hs_init(&reg->owners, CK_HS_MODE_OBJECT | CK_HS_MODE_SPMC,
			owner_hash, owner_cmp, &plain_alloc, 16, seed))
		goto fail_progs;
	CK_LIST_INIT(&reg->order);
	slots_refresh(reg);
	*out = reg;
	return 0;

fail_progs:
	ck_hs_destroy(&reg->progs);
fail_entries:
	ck_hs_destroy(&reg->entries);
fail_reg:
	free(reg->writer);
	free(reg);
	return -ENOMEM;
}

static void entry_free(ck_epoch_entry_t *e)
{
	RB_TSAN_ACQUIRE(&tsan_grace);
	free(e); /* epoch is the first member of struct rb_entry */
}

static void progset_free(ck_epoch_entry_t *e)
{
	RB_TSAN_ACQUIRE(&tsan_grace);
	free(e);
}

void rb_registry_free(struct rb_registry *reg)
{
	if (!reg)
		return;
	tls_writer = reg;
	ck_epoch_barrier(reg->writer);
	tls_writer = NULL;

	struct rb_entry *e = CK_LIST_FIRST(&reg->order), *next;
	for (; e; e = next) {
		next = CK_LIST_NEXT(e, order);
		free(e);
	}
	ck_hs_iterator_t it = CK_HS_ITERATOR_INITIALIZER;
	void *obj;
	while (ck_hs_next(&reg->progs, &it, &obj))
		free(obj);
	ck_hs_iterator_init(&it);
	while (ck_hs_next(&reg->owners, &it, &obj))
		free(obj);
	ck_hs_destroy(&reg->entries);
	ck_hs_destroy(&reg->progs);
	ck_hs_destroy(&reg->owners);

	/* Records are never unlinked from an epoch; free them all now. */
	ck_stack_entry_t *c = CK_STACK_FIRST(&reg->epoch.records), *cn;
	for (; c; c = cn) {
		cn = CK_STACK_NEXT(c);
		free((char *)c - offsetof(ck_epoch_record_t, record_next));
	}
	free(reg);
}

/* ---- readers ---- */

struct rb_reader *rb_registry_reader(struct rb_registry *reg)
{
	ck_epoch_record_t *rec = ck_epoch_recycle(&reg->epoch, NULL);
	if (rec)
		return (struct rb_reader *)rec;
	struct rb_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	ck_epoch_register(&reg->epoch, &r->rec, NULL);
	return r;
}

void rb_reader_release(struct rb_reader *r)
{
	if (r)
		ck_epoch_unregister(&r->rec);
}

void rb_reader_begin(struct rb_reader *r)
{
	ck_epoch_begin(&r->rec, NULL);
}

void rb_reader_end(struct rb_reader *r)
{
	RB_TSAN_RELEASE(&tsan_grace);
	ck_epoch_end(&r->rec, NULL);
}

const struct rb_entry *rb_lookup(const struct rb_registry *reg, uint32_t prog,
				 uint32_t vers, const char *netid, size_t netid_len)
{
	struct rb_entry key;
	if (netid_len > RB_NETID_MAX)
		return NULL;
	key.prog = prog;
	key.vers = vers;
	key.netid_len = (uint8_t)netid_len;
	memcpy(key.netid, netid, netid_len);
	/* ck_hs_get does not modify the table; its prototype is not const. */
	ck_hs_t *hs = (ck_hs_t *)(uintptr_t)&reg->entries;
	unsigned long h = entry_hash_key(prog, vers, netid, netid_len, hs->seed);
	const void *k = entry_tagged(&key, h);
	const struct rb_entry *e = entry_untag(ck_hs_get(hs, h, k ? k : &key));
	if (e)
		RB_TSAN_ACQUIRE(e);
	return e;
}

void rb_lookup_prefetch_slot(const struct rb_registry *reg, struct rb_key_hint *k)
{
	const ck_hs_t *hs = &reg->entries;
	k->h = entry_hash_key(k->prog, k->vers, k->netid, k->netid_len, hs->seed);
	const void *slots = __atomic_load_n(&reg->slots, __ATOMIC_RELAXED);
	const rb_hs_bound_word *bounds = __atomic_load_n(&reg->slots_bounds, __ATOMIC_RELAXED);
	unsigned long mask = __atomic_load_n(&reg->slots_mask, __ATOMIC_RELAXED);
	/* The three may belong to two maps, mid-replacement: the addresses
	 * are then useless, never harmful (a prefetch cannot fault). */
	if (!slots)
		return;
	/* ck_hs_get reads the probe bound, then the slots. */
	if (bounds)
		__builtin_prefetch(rb_hs_view_bound(bounds, mask, k->h));
	__builtin_prefetch(rb_hs_view_line(slots, mask, k->h));
}

void rb_lookup_prefetch_entry(const struct rb_registry *reg, const struct rb_key_hint *k)
{
	/* Only the hash and the tag matter: the probe's entry_cmp never
	 * matches, so ck_hs_get walks the slots a lookup would (their line
	 * and probe bound prefetched by step one), prefetches each candidate
	 * whose tag matches, and returns NULL. */
	struct rb_entry key;
	key.netid_len = ENTRY_PROBE_LEN;
	const void *t = entry_tagged(&key, k->h);
	ck_hs_t *hs = (ck_hs_t *)(uintptr_t)&reg->entries;
	(void)ck_hs_get(hs, k->h, t ? t : &key);
}

const struct rb_progset *rb_lookup_prog(const struct rb_registry *reg,
					uint32_t prog)
{
	struct rb_progset key = { .prog = prog };
	ck_hs_t *hs = (ck_hs_t *)(uintptr_t)&reg->progs;
	const struct rb_progset *p = ck_hs_get(hs, prog_hash(&key, hs->seed), &key);
	if (p)
		RB_TSAN_ACQUIRE(p);
	return p;
}

const struct rb_entry *rb_lookup_any_version(const struct rb_registry *reg,
					     uint32_t prog, uint32_t vers,
					     const char *netid, size_t netid_len)
{
	const struct rb_entry *e = rb_lookup(reg, prog, vers, netid, netid_len);
	if (e)
		return e;
	const struct rb_progset *p = rb_lookup_prog(reg, prog);
	if (!p)
		return NULL;
	/* rpcbind's find_service returns the last match in its list. */
	for (uint32_t i = p->n; i-- > 0;) {
		const struct rb_entry *c = p->v[i];
		if (netid_eq(c->netid, c->netid_len, netid, netid_len))
			return c;
	}
	return NULL;
}

const struct rb_entry *rb_registry_first(const struct rb_registry *reg)
{
	/* ck's CK_LIST_* use plain volatile accesses, which TSan (and the
	 * C11 model) do not treat as atomic: use acquire loads here and
	 * release stores in order_append/order_remove. */
	const struct rb_entry *e = __atomic_load_n(&reg->order.clh_first, __ATOMIC_ACQUIRE);
	if (e)
		RB_TSAN_ACQUIRE(e);
	return e;
}

const struct rb_entry *rb_registry_next(const struct rb_entry *e)
{
	const struct rb_entry *n = __atomic_load_n(&e->order.cle_next, __ATOMIC_ACQUIRE);
	if (n)
		RB_TSAN_ACQUIRE(n);
	return n;
}

void rb_registry_observe(struct rb_registry *reg, const struct rb_registry_observer *obs)
{
	if (obs)
		reg->obs = *obs;
	else
		memset(&reg->obs, 0, sizeof(reg->obs));
}

uint64_t rb_registry_seq(const struct rb_registry *reg)
{
	return __atomic_load_n(&reg->pub_seq, __ATOMIC_ACQUIRE);
}

size_t rb_registry_count(const struct rb_registry *reg)
{
	return __atomic_load_n(&reg->count, __ATOMIC_RELAXED);
}

/* ---- owner counts (writer only) ---- */

static struct owner_count *owner_get(const struct rb_registry *reg,
				     const char *owner, size_t len)
{
	struct owner_count key;
	if (len > RB_OWNER_MAX)
		return NULL;
	key.len = (uint8_t)len;
	memcpy(key.owner, owner, len);
	ck_hs_t *hs = (ck_hs_t *)(uintptr_t)&reg->owners;
	return ck_hs_get(hs, owner_hash(&key, hs->seed), &key);
}

uint32_t rb_registry_owner_count(const struct rb_registry *reg, const char *owner)
{
	const struct owner_count *c = owner_get(reg, owner, strlen(owner));
	return c ? c->count : 0;
}

static int owner_add(struct rb_registry *reg, const char *owner, int delta)
{
	size_t len = strlen(owner);
	struct owner_count *c = owner_get(reg, owner, len);
	if (!c) {
		if (delta < 0)
			return 0;
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		c->len = (uint8_t)len;
		memcpy(c->owner, owner, len);
		if (!ck_hs_put(&reg->owners, owner_hash(c, reg->owners.seed), c)) {
			free(c);
			return -ENOMEM;
		}
	}
	c->count = (uint32_t)((int64_t)c->count + delta);
	if (c->count == 0) {
		ck_hs_remove(&reg->owners, owner_hash(c, reg->owners.seed), c);
		free(c);
	}
	return 0;
}

/* ---- writer ---- */

/* An empty progset with room for n entries. */
static struct rb_progset *progset_alloc(uint32_t prog, uint32_t n)
{
	struct rb_progset *p = malloc(sizeof(*p) + (size_t)n * sizeof(p->v[0]));
	if (!p)
		return NULL;
	memset(&p->epoch, 0, sizeof(p->epoch));
	p->prog = prog;
	p->n = 0;
	return p;
}

/* Publishes p in place of old (either may be NULL: insert or delete). */
static bool progset_publish(struct rb_registry *reg, struct rb_progset *p,
			    const struct rb_progset *old, uint32_t prog)
{
	struct rb_progset key = { .prog = prog };
	unsigned long h = prog_hash(&key, reg->progs.seed);
	if (p) {
		RB_TSAN_RELEASE(p);
		void *prev = NULL;
		if (!ck_hs_set(&reg->progs, h, p, &prev))
			return false;
	} else if (old) {
		ck_hs_remove(&reg->progs, h, &key);
		reg->progs_removed++;
	}
	if (old)
		ck_epoch_call(reg->writer, (ck_epoch_entry_t *)(uintptr_t)&old->epoch,
			      progset_free);
	return true;
}

static struct rb_entry *entry_new(const struct rb_registry *reg, uint32_t prog,
				  uint32_t vers, const char *netid, size_t nl,
				  const char *uaddr, size_t ul, const char *owner, size_t ol)
{
	struct rb_entry *e = bulk_malloc(reg, sizeof(*e) + ul + 1 + ol + 1,
					 reg->count >= RB_REGISTRY_LARGE);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->prog = prog;
	e->vers = vers;
	e->netid_len = (uint8_t)nl;
	memcpy(e->netid, netid, nl);
	e->uaddr_len = (uint8_t)ul;
	e->owner_len = (uint8_t)ol;
	memcpy(e->strings, uaddr, ul);
	e->strings[ul] = '\0';
	memcpy(e->strings + ul + 1, owner, ol);
	e->strings[ul + 1 + ol] = '\0';
	/* What every GETADDR would otherwise work out again from strings. */
	int ni = rb_netid_find(netid, nl);
	const struct rb_netid *nid = ni >= 0 ? rb_netid_get((enum rb_netid_idx)ni) : NULL;
	struct rb_addr a;
	if (nid && nid->family != RB_AF_LOCAL &&
	    rb_uaddr_parse(nid->family, uaddr, ul, &a) == 0) {
		e->family = (uint8_t)nid->family;
		e->port = a.port;
		e->wildcard = rb_addr_is_wildcard(&a);
	} else if (nid) {
		e->family = (uint8_t)nid->family;
	}
	e->stream = nid && nid->stream;
	return e;
}

static void order_append(struct rb_registry *reg, struct rb_entry *e)
{
	/* e->order.cle_next is NULL from entry_new; readers follow the links
	 * with acquire loads, so each link is published with a release. */
	reg->seq = e->seq; /* set before e was published (rb_registry_set) */
	if (reg->tail) {
		e->order.cle_prev = &reg->tail->order.cle_next;
		__atomic_store_n(&reg->tail->order.cle_next, e, __ATOMIC_RELEASE);
	} else {
		e->order.cle_prev = &reg->order.clh_first;
		__atomic_store_n(&reg->order.clh_first, e, __ATOMIC_RELEASE);
	}
	reg->tail = e;
	__atomic_store_n(&reg->pub_seq, reg->seq, __ATOMIC_RELEASE);
}

static void order_remove(struct rb_registry *reg, struct rb_entry *e)
{
	if (reg->tail == e) {
		struct rb_entry **prev = e->order.cle_prev;
		reg->tail = prev == &reg->order.clh_first
				    ? NULL
				    : (struct rb_entry *)((char *)prev -
							  offsetof(struct rb_entry, order.cle_next));
	}
	__atomic_store_n(e->order.cle_prev, e->order.cle_next, __ATOMIC_RELEASE);
	if (e->order.cle_next)
		e->order.cle_next->order.cle_prev = e->order.cle_prev;
}

int rb_registry_set(struct rb_registry *reg, uint32_t prog, uint32_t vers,
		    const char *netid, const char *uaddr, const char *owner)
{
	size_t nl = strlen(netid), ul = strlen(uaddr), ol = strlen(owner);
	if (nl == 0)
		return -EINVAL;
	if (nl > RB_NETID_MAX || ul > RB_UADDR_MAX || ol > RB_OWNER_MAX)
		return -ENAMETOOLONG;

	const struct rb_entry *old = rb_lookup(reg, prog, vers, netid, nl);
	if (old)
		return strcmp(rb_entry_uaddr(old), uaddr) == 0 ? RB_SET_SAME : -EEXIST;

	const struct rb_progset *ps = rb_lookup_prog(reg, prog);
	uint32_t n = ps ? ps->n : 0;
	if (n >= RB_ENTRIES_PER_PROG_MAX)
		return -ENOSPC;

	struct rb_entry *e = entry_new(reg, prog, vers, netid, nl, uaddr, ul, owner, ol);
	struct rb_progset *np = progset_alloc(prog, n + 1);
	if (!e || !np || owner_add(reg, owner, +1)) {
		free(e);
		free(np);
		return -ENOMEM;
	}
	if (n)
		memcpy(np->v, ps->v, n * sizeof(np->v[0]));
	np->v[n] = e;
	np->n = n + 1;

	tls_writer = reg;
	/* Its registration number too (order_append makes it the registry's):
	 * a reader that finds e through the hash or the program's set may
	 * compare it (registry/procs/stream.c resumes a DUMP by it). */
	e->seq = reg->seq + 1;
	/* The entry is fully written before any reader can reach it: ck_hs
	 * publishes with a store fence (and so does CK_LIST). */
	RB_TSAN_RELEASE(e);
	unsigned long h = entry_hash(e, reg->entries.seed);
	/* te is NULL only for an address with its top 16 bits in use, which
	 * malloc does not return on Linux: refused as memory we cannot use. */
	void *te = entry_tagged(e, h);
	if (!te || !ck_hs_put(&reg->entries, h, te)) {
		tls_writer = NULL;
		owner_add(reg, owner, -1);
		free(e);
		free(np);
		return -ENOMEM;
	}
	slots_refresh(reg); /* the put may have grown the map */
	if (!progset_publish(reg, np, ps, prog)) {
		/* Readers may already have seen e: retire it through the epoch. */
		ck_hs_remove(&reg->entries, h, te);
		ck_epoch_call(reg->writer, &e->epoch, entry_free);
		tls_writer = NULL;
		owner_add(reg, owner, -1);
		free(np);
		return -ENOMEM;
	}
	order_append(reg, e);
	tls_writer = NULL;
	__atomic_store_n(&reg->count, reg->count + 1, __ATOMIC_RELAXED);
	if (reg->obs.added)
		reg->obs.added(reg->obs.arg, e);
	return RB_SET_ADDED;
}

static bool unset_match(const struct rb_entry *e, uint32_t vers,
			const char *netid, size_t nl)
{
	return e->vers == vers && (nl == 0 || netid_eq(e->netid, e->netid_len, netid, nl));
}

int rb_registry_unset(struct rb_registry *reg, uint32_t prog, uint32_t vers,
		      const char *netid, const char *owner, unsigned *removed)
{
	size_t nl = netid ? strlen(netid) : 0;
	*removed = 0;
	const struct rb_progset *ps = rb_lookup_prog(reg, prog);
	if (!ps)
		return 0;

	uint32_t hits = 0;
	bool super = !owner || strcmp(owner, "superuser") == 0;
	for (uint32_t i = 0; i < ps->n; i++) {
		if (!unset_match(ps->v[i], vers, netid, nl))
			continue;
		/* All or nothing: rpcbind stops half-way on a foreign entry. */
		if (!super && strcmp(rb_entry_owner(ps->v[i]), owner) != 0)
			return -EPERM;
		hits++;
	}
	if (!hits)
		return 0;

	struct rb_progset *np = NULL;
	if (ps->n > hits) {
		np = progset_alloc(prog, ps->n - hits);
		if (!np)
			return -ENOMEM;
		for (uint32_t i = 0; i < ps->n; i++)
			if (!unset_match(ps->v[i], vers, netid, nl))
				np->v[np->n++] = ps->v[i];
	}

	tls_writer = reg;
	/* Unpublish the program's index first so no reader finds a retired
	 * entry through it; then the entries themselves. */
	if (!progset_publish(reg, np, ps, prog)) {
		tls_writer = NULL;
		free(np);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < ps->n; i++) {
		struct rb_entry *e = (struct rb_entry *)(uintptr_t)ps->v[i];
		if (!unset_match(e, vers, netid, nl))
			continue;
		if (reg->obs.removed)
			reg->obs.removed(reg->obs.arg, e);
		unsigned long h = entry_hash(e, reg->entries.seed);
		ck_hs_remove(&reg->entries, h, entry_tagged(e, h));
		reg->entries_removed++;
		order_remove(reg, e);
		owner_add(reg, rb_entry_owner(e), -1);
		ck_epoch_call(reg->writer, &e->epoch, entry_free);
		__atomic_store_n(&reg->count, reg->count - 1, __ATOMIC_RELAXED);
		(*removed)++;
	}
	tls_writer = NULL;
	return 0;
}

/* Rebuilds a table once removals since its last rebuild outnumber its live
 * entries by HS_TOMBSTONE_SLACK: churn leaves tombstones that lengthen
 * probes. We count removals ourselves, because ck 0.7.1's ck_hs_stat()
 * tombstone counter is not initialised in a freshly rebuilt map. */
static void maybe_rebuild(ck_hs_t *hs, uint64_t *removed)
{
	if (*removed <= ck_hs_count(hs) + HS_TOMBSTONE_SLACK)
		return;
	if (ck_hs_rebuild(hs)) /* new map, the old one retired via the epoch */
		*removed = 0;
}

void rb_registry_reclaim(struct rb_registry *reg)
{
	tls_writer = reg;
	maybe_rebuild(&reg->entries, &reg->entries_removed);
	slots_refresh(reg);
	maybe_rebuild(&reg->progs, &reg->progs_removed);
	/* Polling scans every reader's record (a line each reader writes):
	 * only when a retired map waits to be freed. */
	if (ck_pr_load_uint(&reg->writer->n_pending))
		ck_epoch_poll(reg->writer);
	tls_writer = NULL;
}

void rb_registry_reserve(struct rb_registry *reg, size_t n)
{
	tls_writer = reg;
	ck_hs_grow(&reg->entries, ck_hs_count(&reg->entries) + n);
	slots_refresh(reg);
	tls_writer = NULL;
}

void rb_registry_synchronize(struct rb_registry *reg)
{
	tls_writer = reg;
	ck_epoch_barrier(reg->writer);
	tls_writer = NULL;
}
