/* The whole answer path a worker runs per datagram: rb_handle_call decodes
 * the call, looks the registry up, counts it, and encodes the reply.
 * PMAP GETPORT hit and miss with 10 and 100,000 entries, RPCBIND v3
 * GETADDR with address merge, and a v3 DUMP of 100 entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benches.h"
#include "bench/common.h"
#include "bench/shim.h"
#include "core/xdr.h"
#include "registry/procs/dispatch.h"
#include "registry/store/registry.h"

#define BATCH 64
/* Distinct calls cycled through. A mount storm asks for few keys; 64 also
 * fits GETSTAT's per-version table (RB_STAT_ADDR_MAX), as in a daemon that
 * serves a handful of programs. The _spread variants use 1024. */
#define CALLS_MAX 1024u
/* The _cold variants: 65,536 calls (8 MiB of messages, which the daemon
 * would have just received, so mostly cached) over the whole registry. */
#define CALLS_COLD 65536u

struct call {
	uint8_t msg[120];
	uint32_t len;
	uint32_t xid;
	uint16_t port; /* expected answer */
};

struct disp_fix {
	struct rb_registry *reg;
	uint32_t n;
};

static void *disp_init(int64_t arg)
{
	struct disp_fix *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->n = (uint32_t)arg;
	f->reg = rb_bench_registry(f->n);
	if (!f->reg) {
		free(f);
		return NULL;
	}
	return f;
}

static void disp_fini(void *ctx)
{
	struct disp_fix *f = ctx;

	rb_registry_free(f->reg);
	free(f);
}

enum call_kind { GETPORT_HIT, GETPORT_MISS, GETADDR3_HIT };

/* Fills ncalls calls of a kind at random registered keys (or, for misses,
 * at distinct programs that are not registered). */
static bool make_calls(const struct disp_fix *f, struct call *calls,
		       enum call_kind kind, uint32_t ncalls)
{
	uint32_t seed = 0x6d2b79f5u;

	for (uint32_t i = 0; i < ncalls; i++) {
		struct call *c = &calls[i];
		/* Even keys are the udp entries: a UDP GETPORT asks for them. */
		uint32_t key = (rb_bench_rand(&seed) % f->n) & ~1u;
		c->xid = 0x10000u + i;
		switch (kind) {
		case GETPORT_HIT:
			c->len = rb_bench_getport_call(
				c->msg, sizeof(c->msg), c->xid,
				rb_bench_key_prog(key), RB_BENCH_VERS,
				RB_IPPROTO_UDP);
			c->port = rb_bench_key_port(key);
			break;
		case GETPORT_MISS:
			c->len = rb_bench_getport_call(
				c->msg, sizeof(c->msg), c->xid,
				RB_BENCH_PROG_MISSING - i, RB_BENCH_VERS,
				RB_IPPROTO_UDP);
			c->port = 0;
			break;
		case GETADDR3_HIT:
			/* libtirpc sends the netid it wants; the server
			 * answers for the arrival transport anyway. */
			c->len = rb_bench_rpcb_call(
				c->msg, sizeof(c->msg), c->xid, RB_VERS_RPCB3,
				RB_PROC_GETADDR, rb_bench_key_prog(key),
				RB_BENCH_VERS, "udp");
			c->port = rb_bench_key_port(key);
			break;
		}
		if (!c->len)
			return false;
	}
	return true;
}

/* Checks one reply against what the call should get. */
static bool check_reply(enum call_kind kind, const struct call *c,
			const uint8_t *buf, size_t len)
{
	const uint8_t *res;
	size_t res_len;
	struct rb_xdr_dec d;

	if (rb_bench_reply(buf, len, c->xid, &res, &res_len) != 0)
		return false;
	rb_xdr_dec_init(&d, res, res_len);
	if (kind == GETADDR3_HIT) {
		char want[32];
		snprintf(want, sizeof(want), "10.0.0.1.%u.%u",
			 (unsigned)(c->port >> 8), (unsigned)(c->port & 0xffu));
		struct rb_xdr_bytes s = rb_xdr_get_string(&d, 64);
		return !d.err && rb_xdr_dec_left(&d) == 0 &&
		       rb_xdr_bytes_eq(s, want);
	}
	uint32_t port = rb_xdr_get_u32(&d);
	return !d.err && rb_xdr_dec_left(&d) == 0 && port == c->port;
}

/* With prefetch, the calls ahead are prefetched as a worker does. */
static void call_loop(struct rb_bench_state *s, struct disp_fix *f,
		      enum call_kind kind, uint32_t ncalls, bool prefetch)
{
	struct rb_bench_handler h;
	struct rb_xport x;
	struct rb_mutation mut;
	struct rb_xdr_enc out;
	uint8_t buf[512];
	struct rb_reader *r;
	uint32_t j = 0;
	bool ok = true;
	struct rb_prefetch_pipe pipe;
	rb_prefetch_pipe_init(&pipe);
	/* Per thread: the calls are this thread's "received datagrams". */
	struct call *calls = malloc(ncalls * sizeof(*calls));

	if (!calls || rb_bench_handler_init(&h, f->reg) < 0) {
		free(calls);
		rb_bench_error(s, "out of memory");
		return;
	}
	if (!make_calls(f, calls, kind, ncalls)) {
		rb_bench_error(s, "encoding the calls failed");
		goto out;
	}
	r = rb_bench_reader(s, f->reg);
	if (!r)
		goto out;
	rb_bench_xport_udp(&x);

	/* Every call's answer, once, untimed. */
	rb_reader_begin(r);
	for (uint32_t i = 0; i < ncalls && ok; i++) {
		const struct call *c = &calls[i];
		rb_xdr_enc_init(&out, buf, sizeof(buf));
		ok = rb_handle_call(&h.ctx, &x, c->msg, c->len, &out, &mut) ==
			     RB_OUT_REPLY &&
		     !out.err && check_reply(kind, c, buf, out.pos);
	}
	rb_reader_end(r);
	if (!ok)
		rb_bench_error(s, "rb_handle_call gave a wrong reply");

	while (ok && rb_bench_keep_running_batch(s, BATCH)) {
		/* One reader section per completion batch, as a worker. */
		rb_reader_begin(r);
		for (int i = 0; i < BATCH; i++) {
			const struct call *ahead = &calls[(j + 2) % ncalls];
			const struct call *c = &calls[j++ % ncalls];
			if (prefetch) /* as a worker: pushed two calls ahead */
				rb_prefetch_pipe_push(&h.ctx, &pipe, x.netid, ahead->msg,
						      ahead->len);
			rb_xdr_enc_init(&out, buf, sizeof(buf));
			enum rb_outcome o = rb_handle_call(
				&h.ctx, &x, c->msg, c->len, &out, &mut);
			rb_bench_do_not_optimize(o);
			rb_bench_clobber();
		}
		rb_reader_end(r);
	}
	rb_reader_release(r);
out:
	rb_bench_handler_fini(&h);
	free(calls);
}

static void bm_getport_hit(struct rb_bench_state *s, void *ctx)
{
	call_loop(s, ctx, GETPORT_HIT, 64, false);
}

static void bm_getport_hit_spread(struct rb_bench_state *s, void *ctx)
{
	call_loop(s, ctx, GETPORT_HIT, CALLS_MAX, false);
}

/* A fresh random key per call out of CALLS_COLD, so that with a million
 * registrations each lookup misses the caches as in the daemon; without
 * and with the workers' prefetch of the next call. */
static void bm_getport_cold(struct rb_bench_state *s, void *ctx)
{
	call_loop(s, ctx, GETPORT_HIT, CALLS_COLD, false);
}

static void bm_getport_cold_prefetch(struct rb_bench_state *s, void *ctx)
{
	call_loop(s, ctx, GETPORT_HIT, CALLS_COLD, true);
}

static void bm_getaddr3_cold_prefetch(struct rb_bench_state *s, void *ctx)
{
	call_loop(s, ctx, GETADDR3_HIT, CALLS_COLD, true);
}

static void bm_getaddr3_cold(struct rb_bench_state *s, void *ctx)
{
	call_loop(s, ctx, GETADDR3_HIT, CALLS_COLD, false);
}

static void bm_getport_miss(struct rb_bench_state *s, void *ctx)
{
	call_loop(s, ctx, GETPORT_MISS, 64, false);
}

static void bm_getaddr3_hit(struct rb_bench_state *s, void *ctx)
{
	call_loop(s, ctx, GETADDR3_HIT, 64, false);
}

/* RPCBIND v3 DUMP over TCP of every entry (arg: the entry count). */
static void bm_dump3(struct rb_bench_state *s, void *ctx)
{
	struct disp_fix *f = ctx;
	struct rb_bench_handler h;
	struct rb_xport x;
	struct rb_mutation mut;
	struct rb_xdr_enc out;
	uint8_t msg[64];
	uint8_t *buf;
	size_t cap = 1u << 20, reply_len = 0;
	struct rb_reader *r;
	uint32_t len = rb_bench_void_call(msg, sizeof(msg), 7, RB_VERS_RPCB3,
					  RB_PROC_DUMP);

	buf = malloc(cap);
	if (!buf || rb_bench_handler_init(&h, f->reg) < 0) {
		free(buf);
		rb_bench_error(s, "out of memory");
		return;
	}
	r = rb_bench_reader(s, f->reg);
	if (!r)
		goto out;
	rb_bench_xport_udp(&x);
	x.netid = RB_NETID_TCP;

	/* Count the entries of the reply once. */
	rb_reader_begin(r);
	rb_xdr_enc_init(&out, buf, cap);
	enum rb_outcome o = rb_handle_call(&h.ctx, &x, msg, len, &out, &mut);
	rb_reader_end(r);
	const uint8_t *res;
	size_t res_len;
	uint32_t n = 0;
	bool ok = o == RB_OUT_REPLY && !out.err &&
		  rb_bench_reply(buf, out.pos, 7, &res, &res_len) == 0;
	if (ok) {
		struct rb_xdr_dec d;
		rb_xdr_dec_init(&d, res, res_len);
		while (rb_xdr_get_list_more(&d, &n, RB_XDR_LIST_MAX)) {
			(void)rb_xdr_get_u32(&d);
			(void)rb_xdr_get_u32(&d);
			(void)rb_xdr_get_string(&d, 255);
			(void)rb_xdr_get_string(&d, 255);
			(void)rb_xdr_get_string(&d, 255);
		}
		ok = !d.err && rb_xdr_dec_left(&d) == 0 && n == f->n;
		reply_len = out.pos;
	}
	if (!ok) {
		fprintf(stderr, "dump: outcome %d, err %d, %u entries\n",
			(int)o, out.err, (unsigned)n);
		rb_bench_error(s, "DUMP reply is wrong");
	}
	while (ok && rb_bench_keep_running(s)) {
		rb_reader_begin(r);
		rb_xdr_enc_init(&out, buf, cap);
		o = rb_handle_call(&h.ctx, &x, msg, len, &out, &mut);
		rb_reader_end(r);
		rb_bench_do_not_optimize(o);
		rb_bench_clobber();
	}
	if (ok)
		rb_bench_counter(s, "reply_bytes", (double)reply_len, false);
	rb_reader_release(r);
out:
	rb_bench_handler_fini(&h);
	free(buf);
}

const struct rb_bench_def rb_bench_dispatch_defs[] = {
	{ .name = "handle_getport_hit", .fn = bm_getport_hit,
	  .args = { 10, 100000 }, .nargs = 2,
	  .init = disp_init, .fini = disp_fini },
	{ .name = "handle_getport_hit_spread", .fn = bm_getport_hit_spread,
	  .args = { 100000 }, .nargs = 1,
	  .init = disp_init, .fini = disp_fini },
	{ .name = "handle_getport_cold", .fn = bm_getport_cold,
	  .args = { 10, 1000000 }, .nargs = 2,
	  .init = disp_init, .fini = disp_fini },
	{ .name = "handle_getport_cold_prefetch", .fn = bm_getport_cold_prefetch,
	  .args = { 10, 1000000 }, .nargs = 2,
	  .init = disp_init, .fini = disp_fini },
	{ .name = "handle_getaddr3_cold", .fn = bm_getaddr3_cold,
	  .args = { 10, 1000000 }, .nargs = 2,
	  .init = disp_init, .fini = disp_fini },
	{ .name = "handle_getaddr3_cold_prefetch", .fn = bm_getaddr3_cold_prefetch,
	  .args = { 10, 1000000 }, .nargs = 2,
	  .init = disp_init, .fini = disp_fini },
	{ .name = "handle_getport_miss", .fn = bm_getport_miss,
	  .args = { 10, 100000 }, .nargs = 2,
	  .init = disp_init, .fini = disp_fini },
	{ .name = "handle_getaddr3_hit_merge", .fn = bm_getaddr3_hit,
	  .args = { 10, 100000 }, .nargs = 2,
	  .init = disp_init, .fini = disp_fini },
	{ .name = "handle_dump3", .fn = bm_dump3, .args = { 100 }, .nargs = 1,
	  .init = disp_init, .fini = disp_fini },
	{ .name = NULL },
};
