/* net/transport/serve.c's stream side (rb_conn_input / rb_conn_work) with a real
 * protocol engine and registry, no socket: the kick callback plays a
 * client that reads (or does not). What only e2e tests reached before:
 * record marking on the way in and out, a record in several fragments, a
 * header or a record split across reads, a record over RB_RECORD_MAX (the
 * connection is dropped before its bytes are read), a record that is no
 * call, the per-connection call budget, and backpressure at --max-unsent. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/record.h"
#include "core/xdr.h"
#include "net/transport/serve.h"
#include "registry/store/registry.h"
#include "registry/stats/stats.h"

struct rb_check_state rb_check;

/* What the client has read, and whether it reads at all now. */
struct client {
	uint8_t got[65536];
	uint32_t len;
	bool reading;
	unsigned kicks;
};

static void kick(void *arg, struct rb_conn *c)
{
	struct client *cl = arg;
	cl->kicks++;
	const uint8_t *p;
	uint32_t n;
	while (cl->reading && (n = rb_conn_next_send(c, &p)) != 0) {
		if (n > sizeof(cl->got) - cl->len)
			n = (uint32_t)(sizeof(cl->got) - cl->len);
		memcpy(cl->got + cl->len, p, n);
		cl->len += n;
		rb_conn_sent(c, n);
		if (!n)
			break;
	}
}

static struct {
	struct rb_registry *reg;
	struct rb_serve s;
	struct rb_stats stats;
	struct rb_counters counters;
	struct rb_limits limits;
	struct rb_conn c;
	struct client cl;
} t;

/* The XDR word at p (core's decoder). */
static uint32_t get32(const uint8_t *p)
{
	struct rb_xdr_dec d;
	rb_xdr_dec_init(&d, p, 4);
	return rb_xdr_get_u32(&d);
}

/* A PMAP v2 NULL call (40 bytes); msg_type 1 makes it a REPLY instead. */
static void call_body(uint8_t b[40], uint32_t xid, uint32_t msg_type)
{
	uint32_t w[10] = {xid, msg_type, 2, 100000, 2, 0, 0, 0, 0, 0};
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, b, 40);
	for (unsigned i = 0; i < 10; i++)
		rb_xdr_put_u32(&e, w[i]);
}

/* The call as one record of one fragment (44 bytes). */
static uint32_t call_record(uint8_t *out, uint32_t xid)
{
	rb_rec_put_header(out, 40);
	call_body(out + 4, xid, 0);
	return 44;
}

static void conn_open(void)
{
	rb_conn_free_buffers(&t.c);
	memset(&t.c, 0, sizeof(t.c));
	rb_conn_reset(&t.c, -1, 0);
	t.c.xport.netid = RB_NETID_TCP;
	t.c.xport.peer.family = RB_AF_INET;
	t.c.xport.peer.ip[0] = 127;
	t.c.xport.peer.ip[3] = 1;
	t.c.xport.peer.port = 40000;
	t.c.xport.peer_uid = -1;
	memset(&t.cl, 0, sizeof(t.cl));
	t.cl.reading = true;
}

static int feed(const uint8_t *p, size_t n)
{
	struct rb_turn_budget b;
	rb_turn_budget_reset(&b);
	return rb_conn_input(&t.s, &t.c, p, n, &b, kick, &t.cl);
}

static int work(void)
{
	struct rb_turn_budget b;
	rb_turn_budget_reset(&b);
	return rb_conn_work(&t.s, &t.c, &b, kick, &t.cl);
}

/* Checks that the client read exactly the replies to xids[0..n), each a
 * record of one last fragment holding an accepted, successful reply. */
static void expect_replies(const uint32_t *xids, unsigned n)
{
	uint32_t off = 0;
	unsigned i = 0;
	for (; i < n && off + 4 <= t.cl.len; i++) {
		uint32_t h = get32(t.cl.got + off);
		CHECK(h & RB_RECORD_LAST);
		uint32_t len = h & ~RB_RECORD_LAST;
		CHECK_EQ_U(len, 24);
		if (off + 4 + len > t.cl.len)
			break;
		const uint8_t *r = t.cl.got + off + 4;
		CHECK_EQ_U(get32(r), xids[i]);
		CHECK_EQ_U(get32(r + 4), 1);  /* REPLY */
		CHECK_EQ_U(get32(r + 8), 0);  /* MSG_ACCEPTED */
		CHECK_EQ_U(get32(r + 20), 0); /* SUCCESS */
		off += 4 + len;
	}
	CHECK_EQ_U(i, n);
	CHECK_EQ_U(off, t.cl.len);
}

static void test_records(void)
{
	uint8_t in[44 * 3];
	uint32_t n = 0;
	conn_open();
	for (uint32_t x = 1; x <= 3; x++)
		n += call_record(in + n, x);
	/* Three records in one read: three replies, in order. */
	CHECK_EQ_U(feed(in, n), RB_CONN_READ);
	expect_replies((const uint32_t[]){1, 2, 3}, 3);
	CHECK(rb_conn_idle(&t.c));
	CHECK_EQ_U(t.counters.tcp_records, 3);
}

/* One call in three fragments (12 + 12 + 16 bytes), in one read, then the
 * same fragments one byte a read: every header is split across reads. */
static void test_fragments(void)
{
	uint8_t body[40], in[52];
	call_body(body, 7, 0);
	rb_rec_put_frag_header(in, 12, false);
	memcpy(in + 4, body, 12);
	rb_rec_put_frag_header(in + 16, 12, false);
	memcpy(in + 20, body + 12, 12);
	rb_rec_put_frag_header(in + 32, 16, true);
	memcpy(in + 36, body + 24, 16);
	conn_open();
	CHECK_EQ_U(feed(in, sizeof(in)), RB_CONN_READ);
	expect_replies((const uint32_t[]){7}, 1);

	conn_open();
	unsigned early = 0;
	for (size_t i = 0; i < sizeof(in); i++) {
		CHECK_EQ_U(feed(in + i, 1), RB_CONN_READ);
		early += i + 1 < sizeof(in) && t.cl.len != 0;
	}
	CHECK_EQ_U(early, 0); /* no reply before the last byte */
	expect_replies((const uint32_t[]){7}, 1);
	/* A header split 2 + 2 between two records' worth of reads. */
	uint8_t two[88];
	call_record(two, 8);
	call_record(two + 44, 9);
	conn_open();
	CHECK_EQ_U(feed(two, 46), RB_CONN_READ);
	expect_replies((const uint32_t[]){8}, 1);
	CHECK_EQ_U(feed(two + 46, 42), RB_CONN_READ);
	expect_replies((const uint32_t[]){8, 9}, 2);
}

/* A header that claims more than RB_RECORD_MAX: the connection must go
 * (before its bytes are read), and nothing is answered. The same for
 * fragments that add up past it. */
static void test_over_limit(void)
{
	uint8_t in[8];
	uint64_t over0 = t.counters.tcp_oversize;
	conn_open();
	rb_rec_put_header(in, RB_RECORD_MAX + 1);
	memset(in + 4, 0, 4);
	CHECK_EQ_U(feed(in, sizeof(in)), (uint64_t)-EMSGSIZE);
	CHECK_EQ_U(t.cl.len, 0);
	CHECK_EQ_U(t.counters.tcp_oversize, over0 + 1);

	/* Exactly RB_RECORD_MAX in fragments is a record (of zeros: a CALL
	 * of RPC version 0, answered MSG_DENIED RPC_MISMATCH); one byte more
	 * is not. */
	static uint8_t big[RB_RECORD_MAX + 16];
	uint32_t frag = RB_CONN_IN_MAX - 4;
	for (int extra = 0; extra <= 1; extra++) {
		conn_open();
		uint32_t left = RB_RECORD_MAX + (uint32_t)extra;
		int r = RB_CONN_READ;
		while (left && r == RB_CONN_READ) {
			uint32_t f = left < frag ? left : frag;
			memset(big, 0, f + 4);
			rb_rec_put_frag_header(big, f, f == left);
			r = feed(big, f + 4);
			left -= f;
		}
		if (extra) {
			CHECK_EQ_U(r, (uint64_t)-EMSGSIZE);
			CHECK_EQ_U(t.cl.len, 0);
		} else {
			CHECK_EQ_U(r, RB_CONN_READ);
			CHECK(t.cl.len >= 20);
			CHECK_EQ_U(get32(t.cl.got + 8), 1);  /* REPLY */
			CHECK_EQ_U(get32(t.cl.got + 12), 1); /* MSG_DENIED */
			CHECK_EQ_U(get32(t.cl.got + 16), 0); /* RPC_MISMATCH */
		}
	}
	CHECK_EQ_U(t.counters.tcp_oversize, over0 + 2);
}

/* A record that is no CALL ends the connection (as libtirpc's
 * svc_vc_recv): the call before it in the same read was answered (its
 * reply made), the one after it is not read. */
static void test_not_a_call(void)
{
	uint8_t in[44 * 3];
	uint64_t rec0 = t.counters.tcp_records;
	conn_open();
	call_record(in, 11);
	rb_rec_put_header(in + 44, 40);
	call_body(in + 48, 12, 1);
	call_record(in + 88, 13);
	CHECK_EQ_U(feed(in, sizeof(in)), (uint64_t)-EPROTO);
	CHECK_EQ_U(t.counters.tcp_records, rec0 + 2);
	CHECK_EQ_U(rb_conn_unsent(&t.c) + t.cl.len, 28);
}

/* 20 calls in one read: RB_CONN_CALLS_PER_TURN are answered in this turn,
 * the rest kept for the next (RB_CONN_MORE), then answered in order. */
static void test_call_budget(void)
{
	_Static_assert(RB_CONN_CALLS_PER_TURN < 20, "the test needs more calls than a turn takes");
	uint8_t in[44 * 20];
	uint32_t xids[20], n = 0;
	conn_open();
	for (uint32_t i = 0; i < 20; i++)
		n += call_record(in + n, xids[i] = 100 + i);
	CHECK_EQ_U(feed(in, n), RB_CONN_MORE);
	expect_replies(xids, RB_CONN_CALLS_PER_TURN);
	CHECK(t.c.paused);
	CHECK_EQ_U(work(), RB_CONN_READ);
	expect_replies(xids, 20);
	CHECK(!t.c.paused);
	CHECK(rb_conn_idle(&t.c));
}

/* A client that does not read: past --max-unsent nothing more is decoded
 * (RB_CONN_WAIT, the connection marked blocked); once it reads, the rest
 * is answered. */
static void test_backpressure(void)
{
	uint8_t in[44 * 10];
	uint32_t xids[10], n = 0;
	t.limits.unsent_max = 3 * 28; /* three NULL replies */
	conn_open();
	t.cl.reading = false;
	for (uint32_t i = 0; i < 10; i++)
		n += call_record(in + n, xids[i] = 200 + i);
	CHECK_EQ_U(feed(in, n), RB_CONN_WAIT);
	CHECK_EQ_U(rb_conn_unsent(&t.c), 3 * 28);
	CHECK(t.c.blocked_since_ms != 0);
	CHECK(t.c.paused);
	CHECK_EQ_U(t.counters.tcp_paused, 1);
	t.cl.reading = true;
	int r;
	unsigned turns = 0;
	while ((r = work()) == RB_CONN_WAIT && turns++ < 10)
		;
	CHECK_EQ_U(r, RB_CONN_READ);
	expect_replies(xids, 10);
	CHECK_EQ_U(t.c.blocked_since_ms, 0);
	t.limits.unsent_max = RB_CONFIG_UNSENT_MAX;
}

int main(void)
{
	if (rb_registry_new(&t.reg) != 0 || rb_serve_init(&t.s) != 0)
		return 1;
	rb_stats_init(&t.stats);
	t.limits.unsent_max = RB_CONFIG_UNSENT_MAX;
	t.s.limits = &t.limits;
	t.s.counters = &t.counters;
	t.s.stats = &t.stats;
	t.s.hctx.reg = t.reg;
	t.s.hctx.policy = &t.s.policy;
	t.s.hctx.stats = &t.stats;
	test_records();
	test_fragments();
	test_over_limit();
	test_not_a_call();
	test_call_budget();
	test_backpressure();
	rb_conn_free_buffers(&t.c);
	rb_serve_fini(&t.s);
	rb_registry_free(t.reg);
	printf("%u checks, %u failed\n", rb_check.checks, rb_check.failures);
	return rb_check.failures ? 1 : 0;
}
