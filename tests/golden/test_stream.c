/* Large replies produced a piece at a time (registry/procs/stream.h): the pieces
 * of a DUMP or GETADDRLIST, joined, are byte for byte the reply written
 * whole; a piece never splits an entry; and a DUMP that spans registry
 * changes lists every entry present throughout exactly once, never one
 * added after the call, never one twice, in registration order, even when
 * the entry it stopped at is removed and freed between two pieces. */
#include <errno.h>
#include <stdlib.h>

#include "golden/golden_util.h"
#include "registry/procs/stream.h"

#define NETIDS 5
static const char *const netids[NETIDS] = { "udp", "tcp", "udp6", "tcp6", "local" };

static const char *uaddr_for(unsigned netid, unsigned i, char *buf, size_t cap)
{
	if (netid < 2)
		snprintf(buf, cap, "0.0.0.0.%u.%u", 4 + i / 256, i % 256);
	else if (netid < 4)
		snprintf(buf, cap, "::.%u.%u", 4 + i / 256, i % 256);
	else
		snprintf(buf, cap, "/run/svc-%u.sock", i);
	return buf;
}

/* Registers entry i: program 0x20000000 + i / 10, its version and netid
 * from i. */
static void set_entry(struct gt *t, unsigned i)
{
	char ua[64];
	unsigned n = i % NETIDS;
	int r = rb_registry_set(t->reg, 0x20000000u + i / 10, 1 + i % 2, netids[n],
				uaddr_for(n, i, ua, sizeof(ua)), i % 3 ? "superuser" : "1000");
	CHECK(r == RB_SET_ADDED);
}

static void unset_entry(struct gt *t, unsigned i)
{
	unsigned removed = 0;
	rb_registry_unset(t->reg, 0x20000000u + i / 10, 1 + i % 2, netids[i % NETIDS], NULL,
			  &removed);
	CHECK_EQ_U(removed, 1);
}

/* The call as a stream transport makes it: RB_OUT_STREAM, nothing written. */
static void begin(struct gt *t, const struct rb_xport *x, const struct gbuf *call,
		  struct rb_stream *st)
{
	uint8_t out[64];
	struct rb_xdr_enc e;
	struct rb_mutation m;
	rb_xdr_enc_init(&e, out, sizeof(out));
	rb_reader_begin(t->rd);
	enum rb_outcome o = rb_handle_call_stream(&t->ctx, x, call->b, (uint32_t)call->n, &e, &m, st);
	rb_reader_end(t->rd);
	CHECK_EQ_U(o, RB_OUT_STREAM);
	CHECK_EQ_U(e.pos, 0);
	CHECK(st->kind != RB_STREAM_NONE);
}

/* One piece of at most cap bytes appended to all; its result. */
static int step(struct gt *t, const struct rb_xport *x, struct rb_stream *st, size_t cap,
		uint8_t *all, size_t *len, size_t max)
{
	uint8_t *piece = malloc(cap); /* exactly cap: ASan sees an overrun */
	struct rb_xdr_enc e;
	if (!piece)
		abort();
	rb_xdr_enc_init(&e, piece, cap);
	rb_reader_begin(t->rd);
	int r = rb_stream_step(&t->ctx, x, st, &e);
	rb_reader_end(t->rd);
	CHECK_EQ_U(e.err, 0);
	CHECK(e.pos <= cap);
	if (r >= 0 && *len + e.pos <= max) {
		memcpy(all + *len, piece, e.pos);
		*len += e.pos;
	}
	free(piece);
	return r;
}

/* The pieces of each large reply, at several piece sizes, equal the
 * reply written whole. */
static void test_pieces_equal_whole(void)
{
	struct gt *t = gt_new();
	for (unsigned i = 0; i < 200; i++)
		set_entry(t, i);
	struct rb_xport tcp = gx_tcp_lo(40000), tcp6 = gx_tcp6_lo();
	struct {
		uint32_t vers, proc, prog, pvers;
		const struct rb_xport *x;
	} calls[] = {
		{ 2, RB_PROC_DUMP, 0, 0, &tcp },
		{ 3, RB_PROC_DUMP, 0, 0, &tcp },
		{ 4, RB_PROC_DUMP, 0, 0, &tcp6 },
		{ 4, RB_PROC_GETADDRLIST, 0x20000002u, 1, &tcp },
		{ 4, RB_PROC_GETADDRLIST, 0x20000002u, 1, &tcp6 },
		{ 4, RB_PROC_GETADDRLIST, 0x2fffffffu, 1, &tcp }, /* none: empty list */
	};
	static const size_t caps[] = { 100, 333, 1024, 16380 };
	static uint8_t all[GT_BUF];
	for (size_t c = 0; c < sizeof(calls) / sizeof(calls[0]); c++) {
		struct gbuf call;
		gb_reset(&call);
		gb_call(&call, 0x5000 + (uint32_t)c, RB_PROG_RPCBIND, calls[c].vers, calls[c].proc);
		if (calls[c].proc == RB_PROC_GETADDRLIST)
			gb_rpcb(&call, calls[c].prog, calls[c].pvers, "", "", "");
		gt_call(t, calls[c].x, &call);
		CHECK_EQ_U(t->oc, RB_OUT_REPLY);
		CHECK(t->outlen > 24);
		for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
			struct rb_stream st;
			size_t len = 0;
			unsigned steps = 0;
			int r = 0;
			begin(t, calls[c].x, &call, &st);
			while (r == 0 && steps++ < 10000)
				r = step(t, calls[c].x, &st, caps[k], all, &len, sizeof(all));
			CHECK_EQ_U(r, 1);
			CHECK_EQ_U(st.kind, RB_STREAM_NONE);
			CHECK_BYTES(all, len, t->out, t->outlen);
			/* A DUMP of 200 entries needs several pieces
			 * of 333 bytes. */
			if (calls[c].proc == RB_PROC_DUMP && caps[k] <= 333)
				CHECK(steps > 2);
		}
	}
	gt_free(t);
}

/* A piece too small for the next entry: -EMSGSIZE, nothing written, and
 * the reply can go on in a larger one. */
static void test_piece_too_small(void)
{
	struct gt *t = gt_new();
	set_entry(t, 0);
	struct rb_xport tcp = gx_tcp_lo(40000);
	struct gbuf call;
	gb_reset(&call);
	gb_call(&call, 0x77, RB_PROG_RPCBIND, 3, RB_PROC_DUMP);
	struct rb_stream st;
	static uint8_t all[GT_BUF];
	size_t len = 0;
	begin(t, &tcp, &call, &st);
	CHECK(step(t, &tcp, &st, 16, all, &len, sizeof(all)) == -EMSGSIZE);
	CHECK_EQ_U(len, 0);
	CHECK_EQ_U(step(t, &tcp, &st, 28, all, &len, sizeof(all)), 0); /* the header */
	CHECK_EQ_U(len, 24);
	CHECK(step(t, &tcp, &st, 28, all, &len, sizeof(all)) == -EMSGSIZE);
	CHECK_EQ_U(len, 24);
	CHECK_EQ_U(step(t, &tcp, &st, 1024, all, &len, sizeof(all)), 1);
	gt_call(t, &tcp, &call);
	CHECK_BYTES(all, len, t->out, t->outlen);
	gt_free(t);
}

/* Decodes a v3 DUMP reply into entry numbers (the inverse of set_entry);
 * -1 entries for keys it does not know. Returns the count, or -1. */
static int decode_dump(const uint8_t *p, size_t n, int *ids, int max)
{
	struct gd d;
	gd_init(&d, p, n);
	for (int k = 0; k < 6; k++)
		gd_u32(&d); /* the reply header */
	int count = 0;
	while (gd_u32(&d) == 1 && !d.err) {
		char netid[64], ua[256], owner[64];
		uint32_t prog = gd_u32(&d), vers = gd_u32(&d);
		gd_str(&d, netid, sizeof(netid));
		gd_str(&d, ua, sizeof(ua));
		gd_str(&d, owner, sizeof(owner));
		if (count >= max)
			return -1;
		int id = -1;
		for (unsigned nt = 0; nt < NETIDS; nt++)
			if (strcmp(netid, netids[nt]) == 0 && prog >= 0x20000000u) {
				unsigned base = (prog - 0x20000000u) * 10;
				for (unsigned j = base; j < base + 10; j++)
					if (j % NETIDS == nt && 1 + j % 2 == vers)
						id = (int)j;
			}
		ids[count++] = id;
	}
	return d.err ? -1 : count;
}

/* A DUMP in small pieces while the writer removes and adds entries between
 * them: among them, every time, the entry the reply stopped at. */
static void test_consistency_under_churn(void)
{
	enum { N = 2000, EXTRA = 600 };
	struct gt *t = gt_new();
	static bool removed[N + EXTRA], added_late[N + EXTRA];
	static int ids[N + EXTRA];
	static uint8_t all[1 << 20];
	memset(removed, 0, sizeof(removed));
	memset(added_late, 0, sizeof(added_late));
	for (unsigned i = 0; i < N; i++)
		set_entry(t, i);
	struct rb_xport tcp = gx_tcp_lo(40000);
	struct gbuf call;
	gb_reset(&call);
	gb_call(&call, 0x99, RB_PROG_RPCBIND, 3, RB_PROC_DUMP);
	struct rb_stream st;
	size_t len = 0;
	unsigned next = N, steps = 0, cursor_removed = 0;
	int r = 0;
	srand(7);
	begin(t, &tcp, &call, &st);
	while (r == 0 && steps++ < 100000) {
		r = step(t, &tcp, &st, 300, all, &len, sizeof(all));
		if (r != 0)
			break;
		/* The entry this piece ended at (st.last: the key in the
		 * cursor), every third piece: the next piece must resume after
		 * it without it. */
		if (steps % 3 == 0 && st.last) {
			for (unsigned i = 0; i < N; i++) {
				if (!removed[i] && 0x20000000u + i / 10 == st.prog &&
				    1 + i % 2 == st.vers && strcmp(netids[i % NETIDS], st.netid) == 0) {
					unset_entry(t, i);
					removed[i] = true;
					cursor_removed++;
					break;
				}
			}
		}
		/* A random entry, listed or not yet. */
		unsigned v = (unsigned)rand() % N;
		if (!removed[v]) {
			unset_entry(t, v);
			removed[v] = true;
		}
		/* A new registration: never listed. */
		if (next < N + EXTRA) {
			set_entry(t, next);
			added_late[next++] = true;
		}
		/* Let the writer free what it retired: nothing of it may be
		 * read by the next piece. */
		rb_registry_synchronize(t->reg);
	}
	CHECK_EQ_U(r, 1);
	CHECK(cursor_removed > 10);
	int n = decode_dump(all, len, ids, N + EXTRA);
	CHECK(n > 0);
	static unsigned seen[N + EXTRA];
	memset(seen, 0, sizeof(seen));
	int prev = -1;
	bool ordered = true, known = true;
	for (int k = 0; k < n; k++) {
		if (ids[k] < 0) {
			known = false;
			continue;
		}
		seen[ids[k]]++;
		if (ids[k] <= prev)
			ordered = false; /* entries were registered in id order */
		prev = ids[k];
	}
	CHECK(known);
	CHECK(ordered);
	unsigned twice = 0, missing = 0, late = 0;
	for (unsigned i = 0; i < N + EXTRA; i++) {
		if (seen[i] > 1)
			twice++;
		if (i < N && !removed[i] && seen[i] != 1)
			missing++;
		if (added_late[i] && seen[i])
			late++;
	}
	CHECK_EQ_U(twice, 0);
	CHECK_EQ_U(missing, 0);
	CHECK_EQ_U(late, 0);
	gt_free(t);
}

/* Over a datagram the reply is written whole or not at all: a DUMP too
 * large for RB_UDP_REPLY_MAX-like limits is SYSTEM_ERR, never cut. */
static void test_whole_or_system_err(void)
{
	struct gt *t = gt_new();
	for (unsigned i = 0; i < 200; i++)
		set_entry(t, i);
	struct rb_xport udp = gx_udp_lo(40000);
	struct gbuf call;
	gb_reset(&call);
	gb_call(&call, 0x42, RB_PROG_RPCBIND, 3, RB_PROC_DUMP);
	uint8_t out[2048];
	struct rb_xdr_enc e;
	struct rb_mutation m;
	rb_xdr_enc_init(&e, out, sizeof(out));
	rb_reader_begin(t->rd);
	enum rb_outcome o = rb_handle_call(&t->ctx, &udp, call.b, (uint32_t)call.n, &e, &m);
	rb_reader_end(t->rd);
	CHECK_EQ_U(o, RB_OUT_REPLY);
	struct gbuf want;
	gb_reset(&want);
	gb_reply(&want, 0x42, RB_SYSTEM_ERR);
	CHECK_BYTES(out, e.pos, want.b, want.n);
	/* A stream transport asking through rb_handle_call_stream with a UDP
	 * netid gets no stream either. */
	struct rb_stream st;
	rb_xdr_enc_init(&e, out, sizeof(out));
	rb_reader_begin(t->rd);
	o = rb_handle_call_stream(&t->ctx, &udp, call.b, (uint32_t)call.n, &e, &m, &st);
	rb_reader_end(t->rd);
	CHECK_EQ_U(o, RB_OUT_REPLY);
	CHECK_BYTES(out, e.pos, want.b, want.n);
	gt_free(t);
}

RB_TEST_MAIN({
	test_pieces_equal_whole();
	test_piece_too_small();
	test_consistency_under_churn();
	test_whole_or_system_err();
})
