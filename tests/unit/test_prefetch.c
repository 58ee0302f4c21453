/* The lookup prefetch (registry/store/hs_view.c, registry/procs/prefetch.c and the
 * prefetch half of registry.c). It may only ever speed a lookup up, so
 * what is checked is that it finds the right places and changes nothing:
 *  - the slot view of a ck_hs table: every key sits in the cache line the
 *    view names for its hash, unless that line was full when it went in,
 *    with and without CK_HS_MODE_DELETE, and after the table grew;
 *  - which calls arm the prefetch, with what key, and that nothing below
 *    RB_PREFETCH_MIN_ENTRIES registrations does; truncated calls at every
 *    length;
 *  - lookups after both steps, and whole replies answered two calls behind
 *    the prefetch as a worker does, equal those without it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ck_hs.h>

#include "check.h"
#include "golden/golden_util.h"
#include "registry/procs/dispatch.h"
#include "registry/store/hs_view.h"
#include "registry/store/registry.h"

/* ---- the slot view of a plain ck_hs ---- */

static void *t_malloc(size_t n)
{
	return malloc(n);
}

static void t_free(void *p, size_t n, bool defer)
{
	(void)n;
	(void)defer;
	free(p);
}

static struct ck_malloc t_alloc = { .malloc = t_malloc, .free = t_free };

/* Keys are pointers into this array; the hash is a mix of the index, so
 * the test knows every key's hash. */
#define HS_KEYS 20000u
static uint64_t hs_keys[HS_KEYS];

static unsigned long t_hash_of(const uint64_t *k)
{
	uint64_t h = *k * 0x9e3779b97f4a7c15ULL;
	return (unsigned long)(h ^ (h >> 29));
}

static unsigned long t_hash(const void *o, unsigned long seed)
{
	(void)seed;
	return t_hash_of(o);
}

/* Whether key sits in the line the view names, or that line is full. */
static bool placed(const struct rb_hs_view *v, const uint64_t *key)
{
	const void *const *line = rb_hs_view_line(v->slots, v->mask, t_hash_of(key));
	bool full = true;
	for (unsigned j = 0; j < 8; j++) {
		if (line[j] == key)
			return true;
		full &= line[j] != NULL;
	}
	return full;
}

static void view_of_table(unsigned mode)
{
	ck_hs_t hs;
	struct rb_hs_view v, first;
	CHECK(ck_hs_init(&hs, mode, t_hash, NULL, &t_alloc, 8, 0));
	CHECK_EQ_U(rb_hs_view_get(&hs, &first), 0);
	unsigned misplaced = 0, failed = 0;
	for (uint32_t i = 0; i < HS_KEYS; i++) {
		hs_keys[i] = i + 1;
		failed += !ck_hs_put(&hs, t_hash_of(&hs_keys[i]), &hs_keys[i]);
	}
	CHECK_EQ_U(failed, 0);
	/* It grew from 8 slots to over 40,000: a new map, a new view. */
	CHECK_EQ_U(rb_hs_view_get(&hs, &v), 0);
	CHECK(v.slots != first.slots);
	CHECK((v.bounds != NULL) == ((mode & CK_HS_MODE_DELETE) != 0));
	CHECK(v.mask + 1 >= 2 * HS_KEYS);
	CHECK_EQ_U(v.mask & (v.mask + 1), 0);
	CHECK_EQ_U((uintptr_t)v.slots % 64, 0);
	for (uint32_t i = 0; i < HS_KEYS; i++)
		misplaced += !placed(&v, &hs_keys[i]);
	CHECK_EQ_U(misplaced, 0);
	/* Every key is found where the view says, or past a full line: at a
	 * load under 1/2 almost all are in their first line. */
	unsigned first_line = 0;
	for (uint32_t i = 0; i < HS_KEYS; i++) {
		const void *const *line =
			rb_hs_view_line(v.slots, v.mask, t_hash_of(&hs_keys[i]));
		for (unsigned j = 0; j < 8; j++)
			first_line += line[j] == &hs_keys[i];
	}
	CHECK(first_line > HS_KEYS / 100 * 99);
	ck_hs_destroy(&hs);
}

/* ---- calls (built with the golden tests' byte writer) ---- */

static uint32_t copy_out(uint8_t *buf, size_t cap, const struct gbuf *g)
{
	if (g->n > cap)
		return 0;
	memcpy(buf, g->b, g->n);
	return (uint32_t)g->n;
}

static uint32_t getport(uint8_t *buf, size_t cap, uint32_t prog, uint32_t vers,
			uint32_t prot)
{
	struct gbuf g;
	gb_reset(&g);
	gb_call(&g, 0x1234, RB_PROG_RPCBIND, RB_VERS_PMAP, RB_PROC_GETADDR);
	gb_pmap(&g, prog, vers, prot, 0);
	return copy_out(buf, cap, &g);
}

/* A call to (to_prog, rvers, proc) with rpcb arguments (prog, vers, netid,
 * "", ""): GETADDR and GETVERSADDR, or the same bytes sent elsewhere. */
static uint32_t rpcb_call(uint8_t *buf, size_t cap, uint32_t to_prog, uint32_t rvers,
			  uint32_t proc, uint32_t prog, uint32_t vers, const char *netid)
{
	struct gbuf g;
	gb_reset(&g);
	gb_call(&g, 0x1234, to_prog, rvers, proc);
	gb_rpcb(&g, prog, vers, netid, "", "");
	return copy_out(buf, cap, &g);
}

static uint32_t getaddr(uint8_t *buf, size_t cap, uint32_t rvers, uint32_t proc,
			uint32_t prog, uint32_t vers, const char *netid)
{
	return rpcb_call(buf, cap, RB_PROG_RPCBIND, rvers, proc, prog, vers, netid);
}

#define PROG0 0x30000000u
#define NREG (RB_PREFETCH_MIN_ENTRIES + 1000u)

/* Registration i: program PROG0 + i/2, version 1, udp (even) or tcp. */
static int add(struct rb_registry *reg, uint32_t i)
{
	char ua[32];
	snprintf(ua, sizeof(ua), "127.0.0.1.%u.%u", 4 + (i >> 8) % 200, i & 255);
	return rb_registry_set(reg, PROG0 + i / 2, 1, i % 2 ? "tcp" : "udp", ua,
			       "superuser");
}

static void arming(struct rb_registry *reg, struct rb_handler_ctx *ctx)
{
	uint8_t m[256];
	struct rb_call_prefetch p;
	uint32_t n = getport(m, sizeof(m), PROG0 + 5, 1, RB_IPPROTO_TCP);

	/* Below the threshold: nothing, even for a lookup. */
	unsigned failed = 0;
	for (uint32_t i = 0; i < RB_PREFETCH_MIN_ENTRIES - 1; i++)
		failed += add(reg, i) != RB_SET_ADDED;
	CHECK_EQ_U(failed, 0);
	rb_prefetch_call_slot(ctx, RB_NETID_UDP, m, n, &p);
	CHECK(!p.armed);
	CHECK_EQ_U(add(reg, RB_PREFETCH_MIN_ENTRIES - 1), RB_SET_ADDED);
	CHECK_EQ_U(rb_registry_count(reg), RB_PREFETCH_MIN_ENTRIES);
	rb_prefetch_call_slot(ctx, RB_NETID_UDP, m, n, &p);
	CHECK(p.armed && p.key.prog == PROG0 + 5 && p.key.vers == 1 &&
	      p.key.netid_len == 3 && memcmp(p.key.netid, "tcp", 3) == 0);

	/* GETADDR and v4 GETVERSADDR: the transport's netid, not the call's. */
	n = getaddr(m, sizeof(m), RB_VERS_RPCB3, RB_PROC_GETADDR, PROG0 + 7, 3, "tcp");
	rb_prefetch_call_slot(ctx, RB_NETID_UDP6, m, n, &p);
	CHECK(p.armed && p.key.prog == PROG0 + 7 && p.key.vers == 3 &&
	      p.key.netid_len == 4 && memcmp(p.key.netid, "udp6", 4) == 0);
	n = getaddr(m, sizeof(m), RB_VERS_RPCB4, RB_PROC_GETVERSADDR, PROG0 + 8, 2, "");
	rb_prefetch_call_slot(ctx, RB_NETID_UDP, m, n, &p);
	CHECK(p.armed && p.key.prog == PROG0 + 8 && p.key.vers == 2);

	/* Not lookups, or not answerable: never armed. */
	struct {
		uint32_t prog, vers, proc;
	} other[] = {
		{ RB_PROG_RPCBIND, RB_VERS_RPCB3, RB_PROC_GETVERSADDR }, /* v4 only */
		{ RB_PROG_RPCBIND, RB_VERS_RPCB3, RB_PROC_DUMP },
		{ RB_PROG_RPCBIND, RB_VERS_PMAP, RB_PROC_SET },
		{ RB_PROG_RPCBIND, 5, RB_PROC_GETADDR },
		{ 100003, 3, RB_PROC_GETADDR },
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		n = rpcb_call(m, sizeof(m), other[i].prog, other[i].vers, other[i].proc,
			      PROG0, 1, "udp");
		p.armed = true;
		rb_prefetch_call_slot(ctx, RB_NETID_UDP, m, n, &p);
		CHECK(!p.armed);
	}
	/* PMAP knows only udp and tcp. */
	n = getport(m, sizeof(m), PROG0, 1, 99);
	rb_prefetch_call_slot(ctx, RB_NETID_UDP, m, n, &p);
	CHECK(!p.armed);

	/* Every truncation of a GETPORT and of a GETADDR: armed only whole
	 * (a GETADDR whose owner string is cut short is garbage). */
	unsigned wrong = 0;
	n = getport(m, sizeof(m), PROG0, 1, RB_IPPROTO_UDP);
	for (uint32_t len = 0; len <= n; len++) {
		rb_prefetch_call_slot(ctx, RB_NETID_UDP, m, len, &p);
		wrong += p.armed != (len == n);
	}
	n = getaddr(m, sizeof(m), RB_VERS_RPCB4, RB_PROC_GETADDR, PROG0, 1, "udp");
	for (uint32_t len = 0; len <= n; len++) {
		rb_prefetch_call_slot(ctx, RB_NETID_UDP, m, len, &p);
		wrong += p.armed != (len == n);
	}
	CHECK_EQ_U(wrong, 0);
}

/* Lookups of every key (and of misses) after both steps, against plain
 * lookups; then replies answered two calls behind the prefetch. */
static void unchanged(struct rb_registry *reg, struct rb_handler_ctx *ctx)
{
	unsigned wrong = 0;
	for (uint32_t i = 0; i < NREG + 100; i++) {
		struct rb_key_hint k = {
			.prog = PROG0 + i / 2, .vers = 1 + (i % 7 == 0),
			.netid = i % 2 ? "tcp" : "udp", .netid_len = 3,
		};
		const struct rb_entry *plain =
			rb_lookup(reg, k.prog, k.vers, k.netid, k.netid_len);
		rb_lookup_prefetch_slot(reg, &k);
		rb_lookup_prefetch_entry(reg, &k);
		wrong += rb_lookup(reg, k.prog, k.vers, k.netid, k.netid_len) != plain;
		/* Registered: i < NREG and version 1. */
		wrong += (plain != NULL) != (i < NREG && k.vers == 1);
	}
	CHECK_EQ_U(wrong, 0);

	enum { CALLS = 4096 };
	static uint8_t msg[CALLS][128];
	static uint32_t len[CALLS];
	uint32_t seed = 12345;
	for (uint32_t i = 0; i < CALLS; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t key = (seed >> 8) % (NREG + 500);
		if (i % 3 == 0)
			len[i] = getport(msg[i], sizeof(msg[i]), PROG0 + key / 2, 1,
					 key % 2 ? RB_IPPROTO_TCP : RB_IPPROTO_UDP);
		else
			len[i] = getaddr(msg[i], sizeof(msg[i]),
					 i % 3 == 1 ? RB_VERS_RPCB3 : RB_VERS_RPCB4,
					 RB_PROC_GETADDR, PROG0 + key / 2, 1, "tcp");
	}
	struct rb_xport x = gx_udp_lo(900);
	struct rb_mutation mut;
	/* First every reply with no prefetch at all, then again answered two
	 * calls behind the prefetch, as a worker does. */
	static uint8_t want[CALLS][128];
	static uint32_t want_len[CALLS];
	unsigned bad = 0;
	for (uint32_t i = 0; i < CALLS; i++) {
		struct rb_xdr_enc e;
		rb_xdr_enc_init(&e, want[i], sizeof(want[i]));
		bad += rb_handle_call(ctx, &x, msg[i], len[i], &e, &mut) != RB_OUT_REPLY ||
		       e.pos < 28;
		want_len[i] = (uint32_t)e.pos;
	}
	CHECK_EQ_U(bad, 0);
	struct rb_prefetch_pipe pipe;
	rb_prefetch_pipe_init(&pipe);
	unsigned differ = 0, armed = 0;
	/* Call i is pushed, then call i - 2 answered; the last two after
	 * the drain. */
	for (uint32_t i = 0; i < CALLS + 2; i++) {
		if (i < CALLS)
			armed += rb_prefetch_pipe_push(ctx, &pipe, x.netid, msg[i], len[i]);
		else if (i == CALLS)
			rb_prefetch_pipe_drain(ctx, &pipe);
		if (i < 2)
			continue;
		uint32_t a = i - 2;
		uint8_t got[128];
		struct rb_xdr_enc e;
		rb_xdr_enc_init(&e, got, sizeof(got));
		enum rb_outcome o = rb_handle_call(ctx, &x, msg[a], len[a], &e, &mut);
		differ += o != RB_OUT_REPLY || e.pos != want_len[a] ||
			  memcmp(got, want[a], e.pos) != 0;
	}
	/* Every call is a lookup: the prefetch ran for each. */
	CHECK_EQ_U(armed, CALLS);
	CHECK_EQ_U(differ, 0);
}

static void run(void)
{
	view_of_table(CK_HS_MODE_SPMC | CK_HS_MODE_OBJECT | CK_HS_MODE_DELETE);
	view_of_table(CK_HS_MODE_SPMC | CK_HS_MODE_OBJECT);

	struct rb_registry *reg;
	CHECK_EQ_U(rb_registry_new(&reg), 0);
	struct rb_reader *r = rb_registry_reader(reg);
	CHECK(r != NULL);
	struct rb_stats stats;
	struct rb_policy pol;
	memset(&stats, 0, sizeof(stats));
	memset(&pol, 0, sizeof(pol));
	struct rb_handler_ctx ctx = { .reg = reg, .policy = &pol, .stats = &stats };

	rb_reader_begin(r);
	arming(reg, &ctx);
	rb_reader_end(r);
	unsigned failed = 0;
	for (uint32_t i = RB_PREFETCH_MIN_ENTRIES; i < NREG; i++)
		failed += add(reg, i) != RB_SET_ADDED;
	CHECK_EQ_U(failed, 0);
	rb_reader_begin(r);
	unchanged(reg, &ctx);
	rb_reader_end(r);

	rb_reader_release(r);
	rb_registry_synchronize(reg);
	rb_registry_free(reg);
}

RB_TEST_MAIN(run())
