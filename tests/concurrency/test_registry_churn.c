/* Readers against a churning writer (run it under TSan: build with
 * -DRB_SANITIZE=thread, `ctest -R churn`).
 *
 * The single writer sets and unsets registrations of a fixed key set while
 * 3 reader threads look keys up, fall back across versions, and walk the
 * DUMP list, each inside its own reader sections. Every value the writer
 * stores is derived from one generation number n, chosen so that n % KEYS
 * is the key's index:
 *	uaddr "127.0.0.1.<(n >> 8) & 255>.<n & 255>", owner "<n>"
 * so a reader can tell a complete, self-consistent entry of the right key
 * from a torn or mixed one without knowing what the writer is doing.
 * A few stable keys are never touched: they must be found every time
 * (nothing lost while the tables grow and are rebuilt).
 *
 * Part 1 drives the registry API (the lookup prefetch included); part 2
 * the whole rb_handle_call path:
 * readers send GETADDR, GETVERSADDR, DUMP and GETSTAT calls, and the writer
 * turns SET/UNSET calls into mutations (rb_handle_call -> RB_OUT_MUTATE ->
 * rb_mutation_apply -> rb_mutation_put_reply), as the control thread does.
 *
 * Threads never touch the CHECK counters: each keeps its own failure count
 * and first message, which the main thread checks after joining. Each part
 * is bounded by time (RB_CHURN_MS, default 1500 ms) and by a writer
 * operation count. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "core/rpc_msg.h"
#include "core/xdr.h"
#include "registry/procs/dispatch.h"
#include "registry/store/registry.h"
#include "registry/procs/rpcb_xdr.h"
#include "registry/stats/stats.h"

#define READERS 3
/* Churned keys: a power of two; key k is (PROG0 + k / 4, 1 + (k / 2) % 2,
 * k odd ? "tcp" : "udp"), so every program has two versions on two
 * netids and the version fallback has something to fall back to. */
#define KEYS 256u
#define KEYS_DISPATCH 64u
#define PROG0 300000u
/* Stable keys: (STABLE_PROG0 + i / 2, 1, i odd ? "tcp" : "udp"). */
#define STABLE 16u
#define STABLE_PROG0 400000u
#define STABLE_OWNER "stable"
#define MAX_WRITER_OPS 2000000u
#define DEFAULT_MS 1500

/* ---- keys and values ---- */

static uint32_t key_prog(uint32_t k)
{
	return PROG0 + k / 4u;
}
static uint32_t key_vers(uint32_t k)
{
	return 1u + (k / 2u) % 2u;
}
static const char *key_netid(uint32_t k)
{
	return (k & 1u) ? "tcp" : "udp";
}

/* The key index of (prog, vers, netid), or -1 when it is not a churned key
 * of a table of nkeys. */
static int key_index(uint32_t prog, uint32_t vers, const char *netid,
		     size_t netid_len, uint32_t nkeys)
{
	uint32_t k;

	if (prog < PROG0 || prog >= PROG0 + nkeys / 4u || vers < 1 || vers > 2)
		return -1;
	if (netid_len == 3 && memcmp(netid, "udp", 3) == 0)
		k = 0;
	else if (netid_len == 3 && memcmp(netid, "tcp", 3) == 0)
		k = 1;
	else
		return -1;
	return (int)((prog - PROG0) * 4u + (vers - 1u) * 2u + k);
}

static void value_uaddr(uint32_t n, char *out, size_t cap)
{
	snprintf(out, cap, "127.0.0.1.%u.%u", (unsigned)((n >> 8) & 0xffu),
		 (unsigned)(n & 0xffu));
}

static void value_owner(uint32_t n, char *out, size_t cap)
{
	snprintf(out, cap, "%u", (unsigned)n);
}

/* Port of a "127.0.0.1.h.l" uaddr that we would have written; -1 else. */
static int uaddr_port(const char *s, size_t len)
{
	char buf[64], want[64];
	unsigned h, l;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sscanf(buf, "127.0.0.1.%u.%u", &h, &l) != 2 || h > 255 || l > 255)
		return -1;
	value_uaddr(h << 8 | l, want, sizeof(want));
	return strcmp(buf, want) == 0 ? (int)(h << 8 | l) : -1;
}

/* Parses an owner "<n>"; false when it is not exactly a decimal number. */
static bool owner_gen(const char *s, size_t len, uint32_t *n)
{
	char buf[RB_OWNER_MAX + 1], want[RB_OWNER_MAX + 1];
	char *end;

	if (len == 0 || len > RB_OWNER_MAX)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	unsigned long v = strtoul(buf, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	value_owner((uint32_t)v, want, sizeof(want));
	if (strcmp(buf, want) != 0)
		return false;
	*n = (uint32_t)v;
	return true;
}

/* ---- per-thread results ---- */

struct result {
	unsigned long failures;
	unsigned long ops;      /* lookups, calls */
	unsigned long found;    /* lookups that found an entry */
	unsigned long walked;   /* entries seen while iterating / in DUMPs */
	char first[256];
};

static void fail(struct result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct result *r, const char *fmt, ...)
{
	if (r->failures++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->first, sizeof(r->first), fmt, ap);
		va_end(ap);
	}
}

static void report(const char *who, const struct result *r)
{
	printf("%-14s ops %lu found %lu walked %lu failures %lu\n", who, r->ops,
	       r->found, r->walked, r->failures);
	if (r->failures)
		fprintf(stderr, "%s: first failure: %s\n", who, r->first);
	CHECK_EQ_U(r->failures, 0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t rnd(uint32_t *x)
{
	uint32_t v = *x;
	v ^= v << 13;
	v ^= v >> 17;
	v ^= v << 5;
	*x = v;
	return v;
}

static unsigned run_ms(void)
{
	const char *s = getenv("RB_CHURN_MS");
	long v = s ? strtol(s, NULL, 10) : DEFAULT_MS;
	return v > 0 && v < 60000 ? (unsigned)v : DEFAULT_MS;
}

/* ---- shared by both parts ---- */

struct shared {
	struct rb_registry *reg;
	uint32_t nkeys;
	atomic_bool stop;
	pthread_barrier_t start;
};

/* An entry must be complete and belong to the key it was found under:
 * fields as asked, owner a generation of this key, uaddr of the same
 * generation. want_k < 0: the entry's own fields name the key. */
static void check_entry(struct result *r, const struct shared *sh,
			const struct rb_entry *e, int want_k, const char *what)
{
	size_t nl = strnlen(e->netid, sizeof(e->netid));
	int k = key_index(e->prog, e->vers, e->netid, nl, sh->nkeys);
	uint32_t n;
	char want[64];

	if (e->prog >= STABLE_PROG0 && e->prog < STABLE_PROG0 + STABLE / 2u) {
		/* A stable entry. */
		uint32_t i = (e->prog - STABLE_PROG0) * 2u +
			     (strcmp(e->netid, "tcp") == 0);
		value_uaddr(60000u + i, want, sizeof(want));
		if (e->vers != 1 || nl != 3 || e->netid_len != 3 ||
		    strcmp(rb_entry_uaddr(e), want) != 0 ||
		    strcmp(rb_entry_owner(e), STABLE_OWNER) != 0)
			fail(r, "%s: stable entry %u/%u/%s is %s owner %s", what,
			     e->prog, e->vers, e->netid, rb_entry_uaddr(e),
			     rb_entry_owner(e));
		return;
	}
	if (k < 0 || nl != e->netid_len) {
		fail(r, "%s: entry of an unknown key %u/%u/%.*s", what, e->prog,
		     e->vers, (int)nl, e->netid);
		return;
	}
	if (want_k >= 0 && k != want_k) {
		fail(r, "%s: asked key %d, got %u/%u/%s (key %d)", what, want_k,
		     e->prog, e->vers, e->netid, k);
		return;
	}
	const char *owner = rb_entry_owner(e);
	if (e->owner_len != strnlen(owner, RB_OWNER_MAX + 1) ||
	    e->uaddr_len != strlen(rb_entry_uaddr(e)) ||
	    !owner_gen(owner, e->owner_len, &n) || n % sh->nkeys != (uint32_t)k) {
		fail(r, "%s: key %d has a bad owner '%s'", what, k, owner);
		return;
	}
	value_uaddr(n, want, sizeof(want));
	if (strcmp(rb_entry_uaddr(e), want) != 0)
		fail(r, "%s: key %d owner %u but uaddr %s (torn entry)", what,
		     k, n, rb_entry_uaddr(e));
}

static void check_stable(struct result *r, const struct shared *sh,
			 uint32_t i)
{
	uint32_t prog = STABLE_PROG0 + i / 2u;
	const char *netid = (i & 1u) ? "tcp" : "udp";
	const struct rb_entry *e = rb_lookup(sh->reg, prog, 1, netid, 3);

	if (!e) {
		fail(r, "stable key %u/1/%s not found", prog, netid);
		return;
	}
	check_entry(r, sh, e, -1, "stable");
	if (e->prog != prog || strcmp(e->netid, netid) != 0)
		fail(r, "stable lookup %u/%s found %u/%s", prog, netid, e->prog,
		     e->netid);
	/* Version 9 is never registered: the fallback finds version 1. */
	e = rb_lookup_any_version(sh->reg, prog, 9, netid, 3);
	if (!e || e->prog != prog || e->vers != 1 ||
	    strcmp(e->netid, netid) != 0)
		fail(r, "stable fallback %u/9/%s failed", prog, netid);
}

static int add_stable(struct rb_registry *reg)
{
	char uaddr[64];

	for (uint32_t i = 0; i < STABLE; i++) {
		value_uaddr(60000u + i, uaddr, sizeof(uaddr));
		int rc = rb_registry_set(reg, STABLE_PROG0 + i / 2u, 1,
					 (i & 1u) ? "tcp" : "udp", uaddr,
					 STABLE_OWNER);
		if (rc != RB_SET_ADDED)
			return rc < 0 ? rc : -EEXIST;
	}
	return 0;
}

/* ---- part 1: the registry API ---- */

struct reader1 {
	pthread_t tid;
	struct shared *sh;
	uint32_t seed;
	struct result res;
};

/* Generation of a churned entry already checked by check_entry. */
static uint32_t entry_gen(const struct rb_entry *e)
{
	uint32_t n = 0;

	owner_gen(rb_entry_owner(e), e->owner_len, &n);
	return n;
}

/* The list is in registration order, and the writer hands out generations
 * in increasing order, so one walk must see strictly increasing
 * generations. A walk that races with the writer is no snapshot: it goes on
 * from a retired entry and sees what was appended meanwhile, so it may list
 * a key twice (old and new registration), but never out of order, and
 * never in a loop. */
static void walk_dump(struct result *r, const struct shared *sh)
{
	unsigned long n = 0;
	uint32_t last = 0;

	for (const struct rb_entry *e = rb_registry_first(sh->reg); e;
	     e = rb_registry_next(e)) {
		unsigned long f = r->failures;
		n++;
		check_entry(r, sh, e, -1, "iteration");
		if (r->failures != f)
			break;
		if (e->prog >= STABLE_PROG0)
			continue;
		uint32_t g = entry_gen(e);
		if (g <= last) {
			fail(r, "iteration: generation %u after %u", g, last);
			break;
		}
		last = g;
	}
	r->walked += n;
}

static void *reader1_main(void *arg)
{
	struct reader1 *t = arg;
	struct shared *sh = t->sh;
	struct result *r = &t->res;
	struct rb_reader *rd = rb_registry_reader(sh->reg);

	pthread_barrier_wait(&sh->start);
	if (!rd) {
		fail(r, "rb_registry_reader failed");
		return NULL;
	}
	for (unsigned batch = 0;
	     !atomic_load_explicit(&sh->stop, memory_order_relaxed); batch++) {
		rb_reader_begin(rd);
		for (int i = 0; i < 32; i++) {
			uint32_t k = rnd(&t->seed) % sh->nkeys;
			uint32_t prog = key_prog(k);
			const char *netid = key_netid(k);
			/* The workers' two-step prefetch first: racing with
			 * the writer's map replacements, a harmless hint. */
			struct rb_key_hint hint = { .prog = prog, .vers = key_vers(k),
						    .netid = netid, .netid_len = 3 };
			rb_lookup_prefetch_slot(sh->reg, &hint);
			rb_lookup_prefetch_entry(sh->reg, &hint);
			const struct rb_entry *e =
				rb_lookup(sh->reg, prog, key_vers(k), netid, 3);
			r->ops++;
			if (e) {
				r->found++;
				check_entry(r, sh, e, (int)k, "lookup");
			}
			/* Any version: exact, the other one, or none; always
			 * the same program and netid. Version 3 never exists. */
			uint32_t ask = (i & 1) ? 3u : key_vers(k);
			e = rb_lookup_any_version(sh->reg, prog, ask, netid, 3);
			if (e) {
				if (e->prog != prog || strcmp(e->netid, netid) != 0)
					fail(r, "any_version %u/%u/%s gave %u/%u/%s",
					     prog, ask, netid, e->prog, e->vers,
					     e->netid);
				else
					check_entry(r, sh, e, -1, "any_version");
			}
		}
		check_stable(r, sh, batch % STABLE);
		if (batch % 8 == 0)
			walk_dump(r, sh);
		rb_reader_end(rd);
	}
	rb_reader_release(rd);
	return NULL;
}

struct model {
	bool present[KEYS];
	uint32_t gen[KEYS];
	uint32_t count;
};

/* The writer's own view must match the model after every operation. */
static void writer_check_key(struct result *w, struct shared *sh,
			     const struct model *m, uint32_t k)
{
	const struct rb_entry *e =
		rb_lookup(sh->reg, key_prog(k), key_vers(k), key_netid(k), 3);
	char uaddr[64];

	if (!m->present[k]) {
		if (e)
			fail(w, "writer: key %u present after unset", k);
		return;
	}
	value_uaddr(m->gen[k], uaddr, sizeof(uaddr));
	if (!e || strcmp(rb_entry_uaddr(e), uaddr) != 0)
		fail(w, "writer: key %u lost or wrong after set", k);
}

static void writer1(struct shared *sh, struct model *m, struct result *w,
		    unsigned ms)
{
	uint32_t seed = 0x1234567u, next_gen = KEYS;
	uint64_t end = now_ms() + ms;
	char uaddr[64], owner[RB_OWNER_MAX + 1];

	for (uint32_t op = 0; op < MAX_WRITER_OPS; op++) {
		if ((op & 255u) == 0 && now_ms() >= end)
			break;
		uint32_t k = rnd(&seed) % KEYS, roll = rnd(&seed) % 16u;
		uint32_t prog = key_prog(k), vers = key_vers(k);
		unsigned removed = 0;
		int rc;

		w->ops++;
		if (!m->present[k]) {
			/* A fresh generation of this key: n % KEYS == k. */
			uint32_t n = next_gen++ * KEYS + k;
			value_uaddr(n, uaddr, sizeof(uaddr));
			value_owner(n, owner, sizeof(owner));
			rc = rb_registry_set(sh->reg, prog, vers, key_netid(k),
					     uaddr, owner);
			if (rc != RB_SET_ADDED)
				fail(w, "set key %u: %d", k, rc);
			m->present[k] = true;
			m->gen[k] = n;
			m->count++;
		} else if (roll == 0) {
			/* Same uaddr again: TRUE, nothing changes. */
			value_uaddr(m->gen[k], uaddr, sizeof(uaddr));
			value_owner(m->gen[k], owner, sizeof(owner));
			rc = rb_registry_set(sh->reg, prog, vers, key_netid(k),
					     uaddr, owner);
			if (rc != RB_SET_SAME)
				fail(w, "set same key %u: %d", k, rc);
		} else if (roll == 1) {
			/* Another uaddr: refused. */
			value_uaddr(m->gen[k] + KEYS, uaddr, sizeof(uaddr));
			rc = rb_registry_set(sh->reg, prog, vers, key_netid(k),
					     uaddr, "superuser");
			if (rc != -EEXIST)
				fail(w, "set other uaddr key %u: %d", k, rc);
		} else if (roll == 2) {
			/* A foreign owner may not unset. */
			rc = rb_registry_unset(sh->reg, prog, vers, key_netid(k),
					       "4294967295", &removed);
			if (rc != -EPERM || removed)
				fail(w, "foreign unset key %u: %d/%u", k, rc,
				     removed);
		} else if (roll == 3) {
			/* Every netid of (prog, vers): both keys go. */
			uint32_t k2 = k ^ 1u;
			rc = rb_registry_unset(sh->reg, prog, vers, NULL, NULL,
					       &removed);
			unsigned want = 1u + m->present[k2];
			if (rc != 0 || removed != want)
				fail(w, "unset all netids key %u: %d/%u, want %u",
				     k, rc, removed, want);
			m->present[k] = false;
			m->count--;
			if (m->present[k2]) {
				m->present[k2] = false;
				m->count--;
			}
			writer_check_key(w, sh, m, k2);
		} else {
			/* The owner itself unsets (or the superuser). */
			value_owner(m->gen[k], owner, sizeof(owner));
			rc = rb_registry_unset(sh->reg, prog, vers, key_netid(k),
					       (roll & 1u) ? owner : "superuser",
					       &removed);
			if (rc != 0 || removed != 1)
				fail(w, "unset key %u: %d/%u", k, rc, removed);
			m->present[k] = false;
			m->count--;
		}
		writer_check_key(w, sh, m, k);
		if ((op & 31u) == 0)
			rb_registry_reclaim(sh->reg);
	}
}

static void part1(void)
{
	struct shared sh = { .nkeys = KEYS };
	struct reader1 rd[READERS];
	struct model *m = calloc(1, sizeof(*m));
	struct result w = { 0 };
	int started = 0;

	CHECK(m != NULL);
	CHECK(rb_registry_new(&sh.reg) == 0);
	if (!m || !sh.reg)
		return;
	CHECK(add_stable(sh.reg) == 0);
	atomic_init(&sh.stop, false);
	pthread_barrier_init(&sh.start, NULL, READERS + 1);
	for (int i = 0; i < READERS; i++) {
		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].sh = &sh;
		rd[i].seed = 0x9e3779b9u * (uint32_t)(i + 1);
		if (pthread_create(&rd[i].tid, NULL, reader1_main, &rd[i]) != 0)
			break;
		started++;
	}
	CHECK_EQ_U(started, READERS);
	if (started != READERS) {
		/* The barrier would never open: give up loudly. */
		fprintf(stderr, "pthread_create failed\n");
		exit(1);
	}
	pthread_barrier_wait(&sh.start);

	writer1(&sh, m, &w, run_ms());

	atomic_store(&sh.stop, true);
	for (int i = 0; i < READERS; i++)
		pthread_join(rd[i].tid, NULL);
	rb_registry_synchronize(sh.reg);

	/* Final state: exactly the model, in the tables and in the list. */
	CHECK_EQ_U(rb_registry_count(sh.reg), m->count + STABLE);
	CHECK_EQ_U(rb_registry_owner_count(sh.reg, STABLE_OWNER), STABLE);
	uint32_t listed = 0;
	bool seen[KEYS] = { false };
	struct rb_reader *r = rb_registry_reader(sh.reg);
	CHECK(r != NULL);
	if (r) {
		rb_reader_begin(r);
		for (const struct rb_entry *e = rb_registry_first(sh.reg); e;
		     e = rb_registry_next(e)) {
			listed++;
			check_entry(&w, &sh, e, -1, "final");
			int k = key_index(e->prog, e->vers, e->netid,
					  e->netid_len, KEYS);
			if (k >= 0) {
				CHECK(m->present[k] && !seen[k]);
				seen[k] = true;
			}
		}
		for (uint32_t k = 0; k < KEYS; k++)
			writer_check_key(&w, &sh, m, k);
		rb_reader_end(r);
		rb_reader_release(r);
	}
	CHECK_EQ_U(listed, m->count + STABLE);

	char name[32];
	unsigned long found = 0;
	for (int i = 0; i < READERS; i++) {
		snprintf(name, sizeof(name), "1 reader %d", i);
		report(name, &rd[i].res);
		CHECK(rd[i].res.ops > 0);
		found += rd[i].res.found;
	}
	report("1 writer", &w);
	CHECK(found > 0);
	pthread_barrier_destroy(&sh.start);
	rb_registry_free(sh.reg);
	free(m);
}

/* ---- part 2: rb_handle_call ---- */

struct all_stats {
	struct rb_stats *s[READERS + 1];
};

/* GETSTAT's collector: merges every thread's counters while they run. */
static void collect(void *arg, struct rb_stats *out)
{
	const struct all_stats *a = arg;

	rb_stats_init(out);
	for (int i = 0; i < READERS + 1; i++)
		rb_stats_merge(out, a->s[i]);
}

struct reader2 {
	pthread_t tid;
	struct shared *sh;
	struct all_stats *all;
	struct rb_stats *stats;
	struct rb_stats *scratch;
	uint32_t seed;
	struct result res;
	unsigned long getstats;
};

static void xport_ip(struct rb_xport *x, enum rb_netid_idx netid)
{
	memset(x, 0, sizeof(*x));
	x->netid = netid;
	x->peer.family = RB_AF_INET;
	x->peer.port = 900;
	memcpy(x->peer.ip, (const uint8_t[]){ 127, 0, 0, 1 }, 4);
	x->local.family = RB_AF_INET;
	x->local.port = 111;
	memcpy(x->local.ip, (const uint8_t[]){ 127, 0, 0, 1 }, 4);
	x->peer_uid = -1;
	x->now = 1700000000u;
}

/* Returns the accept_stat of an accepted reply to xid and the results'
 * decoder, or -1. */
static int parse_reply(const uint8_t *msg, size_t len, uint32_t xid,
		       struct rb_xdr_dec *res)
{
	rb_xdr_dec_init(res, msg, len);
	uint32_t rxid = rb_xdr_get_u32(res);
	uint32_t mtype = rb_xdr_get_u32(res);
	uint32_t rstat = rb_xdr_get_u32(res);
	(void)rb_xdr_get_u32(res);
	(void)rb_xdr_get_opaque(res, RB_AUTH_BODY_MAX);
	uint32_t astat = rb_xdr_get_u32(res);
	if (res->err || rxid != xid || mtype != RB_MSG_REPLY ||
	    rstat != RB_MSG_ACCEPTED)
		return -1;
	return (int)astat;
}

/* Runs one call inside a section; returns the accept_stat (and the results
 * decoder) or -1. */
static int call(struct result *r, const struct rb_handler_ctx *ctx,
		struct rb_reader *rd, const struct rb_xport *x,
		const uint8_t *msg, uint32_t len, uint32_t xid, uint8_t *buf,
		size_t cap, struct rb_xdr_dec *res, const char *what)
{
	struct rb_xdr_enc out;
	struct rb_mutation mut;

	rb_xdr_enc_init(&out, buf, cap);
	rb_reader_begin(rd);
	enum rb_outcome o = rb_handle_call(ctx, x, msg, len, &out, &mut);
	rb_reader_end(rd);
	r->ops++;
	if (o != RB_OUT_REPLY || out.err) {
		fail(r, "%s: outcome %d, encoder error %d", what, (int)o,
		     out.err);
		return -1;
	}
	int st = parse_reply(buf, out.pos, xid, res);
	if (st != 0)
		fail(r, "%s: accept_stat %d", what, st);
	return st;
}

/* As call, but with the reply produced a piece at a time as a stream
 * transport produces it (registry/procs/stream.h), each piece of at most 512
 * bytes in a reader section of its own: the writer's changes, and the
 * freeing of what it removed, land between the pieces. */
static int call_streamed(struct result *r, const struct rb_handler_ctx *ctx,
			 struct rb_reader *rd, const struct rb_xport *x,
			 const uint8_t *msg, uint32_t len, uint32_t xid, uint8_t *buf,
			 size_t cap, struct rb_xdr_dec *res, const char *what)
{
	struct rb_xdr_enc out;
	struct rb_mutation mut;
	struct rb_stream st;

	rb_xdr_enc_init(&out, buf, cap);
	rb_reader_begin(rd);
	enum rb_outcome o = rb_handle_call_stream(ctx, x, msg, len, &out, &mut, &st);
	rb_reader_end(rd);
	r->ops++;
	if (o != RB_OUT_STREAM) {
		fail(r, "%s: outcome %d, not a stream", what, (int)o);
		return -1;
	}
	size_t pos = 0;
	int step = 0;
	while (step == 0) {
		struct rb_xdr_enc piece;
		rb_xdr_enc_init(&piece, buf + pos, cap - pos < 512 ? cap - pos : 512);
		rb_reader_begin(rd);
		step = rb_stream_step(ctx, x, &st, &piece);
		rb_reader_end(rd);
		if (step < 0) {
			fail(r, "%s: piece %d at %zu bytes", what, step, pos);
			return -1;
		}
		pos += piece.pos;
	}
	int sa = parse_reply(buf, pos, xid, res);
	if (sa != 0)
		fail(r, "%s: accept_stat %d", what, sa);
	return sa;
}

static uint32_t rpcb_call(uint8_t *msg, size_t cap, uint32_t xid,
			  uint32_t vers, uint32_t proc, uint32_t prog,
			  uint32_t pvers, const char *netid, const char *uaddr)
{
	struct rb_xdr_enc e;

	rb_xdr_enc_init(&e, msg, cap);
	rb_rpc_put_call(&e, xid, RB_PROG_RPCBIND, vers, proc);
	rb_put_rpcb(&e, prog, pvers, netid, uaddr, "ignored");
	return e.err ? 0 : (uint32_t)e.pos;
}

static uint32_t void_call(uint8_t *msg, size_t cap, uint32_t xid,
			  uint32_t vers, uint32_t proc)
{
	struct rb_xdr_enc e;

	rb_xdr_enc_init(&e, msg, cap);
	rb_rpc_put_call(&e, xid, RB_PROG_RPCBIND, vers, proc);
	return e.err ? 0 : (uint32_t)e.pos;
}

/* GETADDR (any version) or GETVERSADDR (exact) of key k. */
static void reader2_getaddr(struct reader2 *t, const struct rb_handler_ctx *ctx,
			    struct rb_reader *rd, uint32_t k, bool exact,
			    uint32_t xid, uint8_t *buf, size_t cap)
{
	struct result *r = &t->res;
	uint8_t msg[256];
	struct rb_xport x;
	struct rb_xdr_dec d;
	uint32_t len = rpcb_call(msg, sizeof(msg), xid,
				 exact ? RB_VERS_RPCB4 : RB_VERS_RPCB3,
				 exact ? RB_PROC_GETVERSADDR : RB_PROC_GETADDR,
				 key_prog(k), key_vers(k), key_netid(k), "");

	/* GETADDR answers for the netid the call arrived on. */
	xport_ip(&x, (k & 1u) ? RB_NETID_TCP : RB_NETID_UDP);
	if (call(r, ctx, rd, &x, msg, len, xid, buf, cap, &d,
		 exact ? "GETVERSADDR" : "GETADDR") != 0)
		return;
	struct rb_xdr_bytes s = rb_xdr_get_string(&d, RB_UADDR_MAX);
	if (d.err || rb_xdr_dec_left(&d) != 0) {
		fail(r, "GETADDR key %u: bad result", k);
		return;
	}
	if (s.len == 0)
		return; /* not registered now */
	r->found++;
	int port = uaddr_port((const char *)s.ptr, s.len);
	/* The port's low bits name the key whose generation it is: this one,
	 * or (fallback, GETADDR only) the other version on this netid. */
	uint32_t pk = port < 0 ? KEYS_DISPATCH : (uint32_t)port % KEYS_DISPATCH;
	if (port < 0 || (pk != k && (exact || pk != (k ^ 2u))))
		fail(r, "%s key %u answered '%.*s'",
		     exact ? "GETVERSADDR" : "GETADDR", k, (int)s.len, s.ptr);
}

static void reader2_dump(struct reader2 *t, const struct rb_handler_ctx *ctx,
			 struct rb_reader *rd, uint32_t xid, uint8_t *buf,
			 size_t cap)
{
	struct result *r = &t->res;
	uint8_t msg[64];
	struct rb_xport x;
	struct rb_xdr_dec d;
	uint32_t len = void_call(msg, sizeof(msg), xid, RB_VERS_RPCB3,
				 RB_PROC_DUMP);
	uint32_t n = 0, last = 0;

	xport_ip(&x, RB_NETID_TCP);
	/* Every other DUMP in pieces, as a TCP connection gets it. */
	if ((xid & 1u ? call_streamed(r, ctx, rd, &x, msg, len, xid, buf, cap, &d, "DUMP")
		      : call(r, ctx, rd, &x, msg, len, xid, buf, cap, &d, "DUMP")) != 0)
		return;
	while (rb_xdr_get_list_more(&d, &n, RB_XDR_LIST_MAX)) {
		uint32_t prog = rb_xdr_get_u32(&d);
		uint32_t vers = rb_xdr_get_u32(&d);
		struct rb_xdr_bytes netid = rb_xdr_get_string(&d, 255);
		struct rb_xdr_bytes addr = rb_xdr_get_string(&d, 255);
		struct rb_xdr_bytes owner = rb_xdr_get_string(&d, 255);
		if (d.err)
			break;
		if (prog >= STABLE_PROG0)
			continue; /* checked by part 1 */
		int k = key_index(prog, vers, (const char *)netid.ptr,
				  netid.len, KEYS_DISPATCH);
		uint32_t gen;
		int port = uaddr_port((const char *)addr.ptr, addr.len);
		if (k < 0 ||
		    !owner_gen((const char *)owner.ptr, owner.len, &gen) ||
		    gen % KEYS_DISPATCH != (uint32_t)k || port < 0 ||
		    (uint32_t)port != (gen & 0xffffu)) {
			fail(r, "DUMP: inconsistent %u/%u/%.*s %.*s owner %.*s",
			     prog, vers, (int)netid.len, netid.ptr,
			     (int)addr.len, addr.ptr, (int)owner.len,
			     owner.ptr);
			return;
		}
		/* Registration order (see walk_dump); in pieces, never a
		 * key twice either. */
		if (gen <= last) {
			fail(r, "DUMP: generation %u after %u", gen, last);
			return;
		}
		last = gen;
	}
	r->walked += n;
	if (d.err || rb_xdr_dec_left(&d) != 0)
		fail(r, "DUMP: undecodable list (%d)", d.err);
}

static void reader2_getstat(struct reader2 *t, const struct rb_handler_ctx *ctx,
			    struct rb_reader *rd, uint32_t xid, uint8_t *buf,
			    size_t cap)
{
	uint8_t msg[64];
	struct rb_xport x;
	struct rb_xdr_dec d;
	uint32_t len = void_call(msg, sizeof(msg), xid, RB_VERS_RPCB4,
				 RB_PROC_GETSTAT);

	xport_ip(&x, RB_NETID_TCP);
	if (call(&t->res, ctx, rd, &x, msg, len, xid, buf, cap, &d,
		 "GETSTAT") == 0)
		t->getstats++;
}

static void *reader2_main(void *arg)
{
	struct reader2 *t = arg;
	struct shared *sh = t->sh;
	struct rb_reader *rd = rb_registry_reader(sh->reg);
	struct rb_policy policy = { 0 };
	struct rb_handler_ctx ctx = {
		.reg = sh->reg,
		.policy = &policy,
		.stats = t->stats,
		.collect_stats = collect,
		.collect_arg = t->all,
		.scratch = t->scratch,
	};
	size_t cap = 1u << 16;
	uint8_t *buf = malloc(cap);
	uint32_t xid = 1;

	pthread_barrier_wait(&sh->start);
	if (!rd || !buf) {
		fail(&t->res, "reader setup failed");
		free(buf);
		return NULL;
	}
	for (unsigned i = 0; !atomic_load_explicit(&sh->stop, memory_order_relaxed);
	     i++) {
		uint32_t k = rnd(&t->seed) % KEYS_DISPATCH;
		reader2_getaddr(t, &ctx, rd, k, i & 1u, xid++, buf, cap);
		if (i % 16 == 0)
			reader2_dump(t, &ctx, rd, xid++, buf, cap);
		if (i % 256 == 0)
			reader2_getstat(t, &ctx, rd, xid++, buf, cap);
	}
	rb_reader_release(rd);
	free(buf);
	return NULL;
}

/* The writer side of part 2: SET and UNSET calls over AF_LOCAL, where the
 * owner is the caller's uid: SET as uid n gives owner "<n>". */
struct writer2 {
	struct shared *sh;
	struct rb_handler_ctx ctx;
	struct rb_reader *rd;
	struct rb_stats *stats;
	struct result res;
	uint8_t buf[512];
};

/* Sends one mutation call; returns the bool answered, or -1. */
static int mutate(struct writer2 *w, uint32_t proc, uint32_t k,
		  const char *netid, const char *uaddr, int64_t uid,
		  uint32_t xid)
{
	uint8_t msg[256];
	struct rb_xport x;
	struct rb_xdr_enc out;
	struct rb_mutation mut;
	struct rb_xdr_dec d;
	uint32_t len = rpcb_call(msg, sizeof(msg), xid, RB_VERS_RPCB3, proc,
				 key_prog(k), key_vers(k), netid, uaddr);

	memset(&x, 0, sizeof(x));
	x.netid = RB_NETID_LOCAL;
	x.peer.family = RB_AF_LOCAL;
	strcpy(x.peer.path, "/run/rpcbind.sock");
	x.local = x.peer;
	x.peer_uid = uid;
	x.now = 1700000000u;

	rb_xdr_enc_init(&out, w->buf, sizeof(w->buf));
	/* The control thread reads the call like any worker would, but does
	 * the mutation outside any section (a writer must not hold one while
	 * it reclaims). */
	rb_reader_begin(w->rd);
	enum rb_outcome o = rb_handle_call(&w->ctx, &x, msg, len, &out, &mut);
	rb_reader_end(w->rd);
	w->res.ops++;
	if (o != RB_OUT_MUTATE) {
		fail(&w->res, "mutation call %u key %u: outcome %d", proc, k,
		     (int)o);
		return -1;
	}
	bool ok = rb_mutation_apply(w->sh->reg, &mut, w->stats);
	rb_xdr_enc_init(&out, w->buf, sizeof(w->buf));
	rb_mutation_put_reply(&out, &mut, ok);
	if (out.err || parse_reply(w->buf, out.pos, xid, &d) != 0) {
		fail(&w->res, "mutation reply %u key %u undecodable", proc, k);
		return -1;
	}
	bool answered = rb_xdr_get_bool(&d);
	if (d.err || answered != ok) {
		fail(&w->res, "mutation reply %u key %u: %d vs %d", proc, k,
		     (int)answered, (int)ok);
		return -1;
	}
	return ok;
}

static void writer2(struct writer2 *w, unsigned ms)
{
	bool present[KEYS_DISPATCH] = { false };
	uint32_t gen[KEYS_DISPATCH] = { 0 };
	uint32_t seed = 0x7654321u, next_gen = 1, xid = 1;
	uint64_t end = now_ms() + ms;
	char uaddr[64];

	for (uint32_t op = 0; op < MAX_WRITER_OPS; op++) {
		if ((op & 63u) == 0 && now_ms() >= end)
			break;
		uint32_t k = rnd(&seed) % KEYS_DISPATCH, roll = rnd(&seed) % 8u;
		int rc;

		if (!present[k]) {
			/* uid n: owner "<n>", n % KEYS_DISPATCH == k; n stays
			 * below 2^31 and above 0 (uid 0 is the superuser). */
			uint32_t n = (next_gen++ % 0x7fffffu + 1u) *
					     KEYS_DISPATCH + k;
			value_uaddr(n, uaddr, sizeof(uaddr));
			rc = mutate(w, RB_PROC_SET, k, key_netid(k), uaddr, n,
				    xid++);
			if (rc != 1)
				fail(&w->res, "SET key %u: %d", k, rc);
			present[k] = true;
			gen[k] = n;
		} else if (roll == 0) {
			/* Another uid may not remove it. */
			rc = mutate(w, RB_PROC_UNSET, k, key_netid(k), "",
				    gen[k] + 1, xid++);
			if (rc != 0)
				fail(&w->res, "foreign UNSET key %u: %d", k, rc);
		} else {
			/* Its owner, or root. */
			rc = mutate(w, RB_PROC_UNSET, k, key_netid(k), "",
				    (roll & 1u) ? (int64_t)gen[k] : 0, xid++);
			if (rc != 1)
				fail(&w->res, "UNSET key %u: %d", k, rc);
			present[k] = false;
		}
		if ((op & 15u) == 0)
			rb_registry_reclaim(w->sh->reg);
	}
	uint32_t n = 0;
	for (uint32_t k = 0; k < KEYS_DISPATCH; k++)
		n += present[k];
	CHECK_EQ_U(rb_registry_count(w->sh->reg), n + STABLE);
}

static void part2(void)
{
	struct shared sh = { .nkeys = KEYS_DISPATCH };
	struct reader2 rd[READERS];
	struct all_stats all;
	struct writer2 *w = calloc(1, sizeof(*w));
	struct rb_policy policy = { 0 };
	int started = 0;
	bool ok = w != NULL;

	for (int i = 0; i < READERS + 1; i++) {
		all.s[i] = malloc(sizeof(struct rb_stats));
		ok = ok && all.s[i];
		if (all.s[i])
			rb_stats_init(all.s[i]);
	}
	CHECK(ok);
	CHECK(rb_registry_new(&sh.reg) == 0);
	if (!ok || !sh.reg)
		exit(1);
	CHECK(add_stable(sh.reg) == 0);
	w->sh = &sh;
	w->stats = all.s[READERS];
	w->rd = rb_registry_reader(sh.reg);
	CHECK(w->rd != NULL);
	w->ctx = (struct rb_handler_ctx){ .reg = sh.reg, .policy = &policy,
					  .stats = w->stats };
	atomic_init(&sh.stop, false);
	pthread_barrier_init(&sh.start, NULL, READERS + 1);
	for (int i = 0; i < READERS; i++) {
		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].sh = &sh;
		rd[i].all = &all;
		rd[i].stats = all.s[i];
		rd[i].scratch = malloc(sizeof(struct rb_stats));
		rd[i].seed = 0x85ebca6bu * (uint32_t)(i + 1);
		if (!rd[i].scratch ||
		    pthread_create(&rd[i].tid, NULL, reader2_main, &rd[i]) != 0)
			break;
		started++;
	}
	if (started != READERS) {
		fprintf(stderr, "thread setup failed\n");
		exit(1);
	}
	pthread_barrier_wait(&sh.start);

	writer2(w, run_ms());

	atomic_store(&sh.stop, true);
	for (int i = 0; i < READERS; i++)
		pthread_join(rd[i].tid, NULL);
	rb_reader_release(w->rd);
	rb_registry_synchronize(sh.reg);

	char name[32];
	unsigned long found = 0, getstats = 0;
	for (int i = 0; i < READERS; i++) {
		snprintf(name, sizeof(name), "2 reader %d", i);
		report(name, &rd[i].res);
		found += rd[i].res.found;
		getstats += rd[i].getstats;
		free(rd[i].scratch);
	}
	report("2 writer", &w->res);
	CHECK(found > 0);
	CHECK(getstats > 0);
	/* Every SET and UNSET was counted, in the writer's own stats. */
	int vi = rb_stats_vers_index(RB_VERS_RPCB3);
	CHECK(vi >= 0);
	if (vi >= 0) {
		CHECK(w->stats->setinfo[vi] > 0);
		CHECK(w->stats->unsetinfo[vi] > 0);
	}
	pthread_barrier_destroy(&sh.start);
	rb_registry_free(sh.reg);
	for (int i = 0; i < READERS + 1; i++)
		free(all.s[i]);
	free(w);
}

RB_TEST_MAIN({
	part1();
	part2();
})
