/* Every procedure's handler, through rb_handle_call as a worker runs it:
 * header decode, version and procedure checks, arguments, registry,
 * statistics, reply. The hot lookups (GETPORT, v3 GETADDR, v3 DUMP) have
 * their own variants in bench_dispatch.c; this file covers the rest, so
 * that a change to any procedure shows up in a figure.
 *
 * The registry holds 100 entries (bench/common.h's keys). Each case's
 * answer is checked once before it is timed against what the procedure
 * must return (every DUMP entry, the merged addresses, the time, GETSTAT's
 * counters...), and a wrong answer fails the run. SET and UNSET end in the
 * worker's part: the outcome is a mutation for the control thread, checked
 * field by field. Left out: CALLIT and BCAST, which a worker forwards to
 * the service with -r (net/) and drops without it, and INDIRECT, whose
 * answer without -r is an error. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benches.h"
#include "bench/common.h"
#include "bench/shim.h"
#include "core/rpc_msg.h"
#include "core/xdr.h"
#include "registry/procs/dispatch.h"
#include "registry/store/registry.h"
#include "registry/procs/rpcb_xdr.h"

#define BATCH 64
#define ENTRIES 100u
/* The key every case asks about: a udp entry (even key). */
#define KEY 42u
#define XID 0x5eed0001u
#define SET_PROG 300000001u
#define SET_PORT 5001u

struct hcase;
typedef bool (*check_fn)(const struct hcase *hc, const struct rb_xport *x,
			 const uint8_t *res, size_t len, const struct rb_mutation *m);

struct hcase {
	uint32_t vers, proc;
	bool tcp;   /* arrives over TCP (as rpcinfo asks for lists) */
	bool local; /* from 127.0.0.1 (SET/UNSET need a local caller) */
	enum rb_outcome want;
	check_fn check;
};

/* ---- calls ---- */

/* 10.0.0.1 port 111, the address the TADDR2UADDR call carries and the one
 * UADDR2TADDR must give back. */
static void bench_sockaddr(struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(111);
	sa->sin_addr.s_addr = htonl(0x0a000001u);
}

static uint32_t encode_call(const struct hcase *hc, uint8_t *buf, size_t cap)
{
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, buf, cap);
	rb_rpc_put_call(&e, XID, RB_PROG_RPCBIND, hc->vers, hc->proc);
	char ua[32];
	struct sockaddr_in sa;
	bench_sockaddr(&sa);
	switch (hc->proc) {
	case RB_PROC_SET:
		if (hc->vers == RB_VERS_PMAP) {
			struct rb_pmap m = { SET_PROG, 1, RB_IPPROTO_UDP, SET_PORT };
			rb_put_pmap(&e, &m);
		} else {
			snprintf(ua, sizeof(ua), "0.0.0.0.%u.%u", SET_PORT >> 8, SET_PORT & 255u);
			rb_put_rpcb(&e, SET_PROG, 1, "udp", ua, "");
		}
		break;
	case RB_PROC_UNSET:
		if (hc->vers == RB_VERS_PMAP) {
			struct rb_pmap m = { rb_bench_key_prog(KEY), RB_BENCH_VERS, 0, 0 };
			rb_put_pmap(&e, &m);
		} else {
			rb_put_rpcb(&e, rb_bench_key_prog(KEY), RB_BENCH_VERS, "", "", "");
		}
		break;
	case RB_PROC_GETADDR:
	case RB_PROC_GETVERSADDR:
	case RB_PROC_GETADDRLIST:
		rb_put_rpcb(&e, rb_bench_key_prog(KEY), RB_BENCH_VERS, "udp", "", "");
		break;
	case RB_PROC_UADDR2TADDR:
		rb_xdr_put_cstr(&e, "10.0.0.1.0.111");
		break;
	case RB_PROC_TADDR2UADDR:
		rb_put_netbuf(&e, sizeof(sa), &sa, sizeof(sa));
		break;
	default: /* NULL, DUMP, GETTIME, GETSTAT: no arguments */
		break;
	}
	return e.err ? 0 : (uint32_t)e.pos;
}

/* ---- checks ---- */

/* Key i's uaddr: as registered (host "0.0.0.0"), or as a lookup answers
 * it (merged with the arrival address, "10.0.0.1"). */
static bool is_key_uaddr(struct rb_xdr_bytes s, const char *host, uint32_t i)
{
	char want[32];
	uint16_t p = rb_bench_key_port(i);
	snprintf(want, sizeof(want), "%s.%u.%u", host, (unsigned)(p >> 8), (unsigned)(p & 255u));
	return rb_xdr_bytes_eq(s, want);
}

static bool check_empty(const struct hcase *hc, const struct rb_xport *x, const uint8_t *res,
			size_t len, const struct rb_mutation *m)
{
	(void)hc, (void)x, (void)res, (void)m;
	return len == 0;
}

/* A result that is one string and nothing else, into *s. */
static bool one_string(const uint8_t *res, size_t len, struct rb_xdr_bytes *s)
{
	struct rb_xdr_dec d;
	rb_xdr_dec_init(&d, res, len);
	*s = rb_xdr_get_string(&d, 64);
	return !d.err && rb_xdr_dec_left(&d) == 0;
}

static bool check_uaddr(const struct hcase *hc, const struct rb_xport *x, const uint8_t *res,
			size_t len, const struct rb_mutation *m)
{
	(void)hc, (void)x, (void)m;
	struct rb_xdr_bytes s;
	return one_string(res, len, &s) && is_key_uaddr(s, "10.0.0.1", KEY);
}

static bool check_time(const struct hcase *hc, const struct rb_xport *x, const uint8_t *res,
		       size_t len, const struct rb_mutation *m)
{
	(void)hc, (void)m;
	struct rb_xdr_dec d;
	rb_xdr_dec_init(&d, res, len);
	uint32_t t = rb_xdr_get_u32(&d);
	return !d.err && rb_xdr_dec_left(&d) == 0 && t == x->now;
}

static bool check_taddr(const struct hcase *hc, const struct rb_xport *x, const uint8_t *res,
			size_t len, const struct rb_mutation *m)
{
	(void)hc, (void)x, (void)m;
	struct rb_xdr_dec d;
	struct rb_netbuf nb;
	rb_xdr_dec_init(&d, res, len);
	rb_get_netbuf(&d, &nb);
	struct sockaddr_in want;
	bench_sockaddr(&want);
	return !d.err && rb_xdr_dec_left(&d) == 0 && nb.maxlen == sizeof(want) &&
	       nb.buf.len == sizeof(want) &&
	       memcmp(nb.buf.ptr, &want, sizeof(want)) == 0;
}

static bool check_uaddr_text(const struct hcase *hc, const struct rb_xport *x,
			     const uint8_t *res, size_t len, const struct rb_mutation *m)
{
	(void)hc, (void)x, (void)m;
	struct rb_xdr_bytes s;
	return one_string(res, len, &s) && rb_xdr_bytes_eq(s, "10.0.0.1.0.111");
}

/* DUMP: every entry, in registration order (key i is the i-th); PMAP's
 * as (prog, vers, prot, port), v3/v4's as rpcb (prog, vers, netid, uaddr,
 * owner). */
static bool check_dump(const struct hcase *hc, const struct rb_xport *x, const uint8_t *res,
		       size_t len, const struct rb_mutation *m)
{
	(void)x, (void)m;
	struct rb_xdr_dec d;
	uint32_t n = 0;
	rb_xdr_dec_init(&d, res, len);
	while (rb_xdr_get_list_more(&d, &n, RB_XDR_LIST_MAX)) {
		uint32_t i = n - 1;
		bool ok;
		if (hc->vers == RB_VERS_PMAP) {
			struct rb_pmap p;
			rb_get_pmap(&d, &p);
			ok = p.prog == rb_bench_key_prog(i) && p.vers == RB_BENCH_VERS &&
			     p.prot == (i & 1u ? RB_IPPROTO_TCP : RB_IPPROTO_UDP) &&
			     p.port == rb_bench_key_port(i);
		} else {
			struct rb_rpcb r;
			rb_get_rpcb(&d, &r);
			ok = r.prog == rb_bench_key_prog(i) && r.vers == RB_BENCH_VERS &&
			     rb_xdr_bytes_eq(r.netid, rb_bench_key_netid(i)) &&
			     is_key_uaddr(r.addr, "0.0.0.0", i) &&
			     rb_xdr_bytes_eq(r.owner, "superuser");
		}
		if (!ok || d.err)
			return false;
	}
	return !d.err && rb_xdr_dec_left(&d) == 0 && n == ENTRIES;
}

/* GETADDRLIST of KEY's (prog, vers) over an IPv4 transport: its udp and
 * tcp entries (keys KEY and KEY + 1), in registration order, addresses
 * merged, each with its netconfig fields. */
static bool check_addrlist(const struct hcase *hc, const struct rb_xport *x,
			   const uint8_t *res, size_t len, const struct rb_mutation *m)
{
	(void)hc, (void)x, (void)m;
	struct rb_xdr_dec d;
	uint32_t n = 0;
	rb_xdr_dec_init(&d, res, len);
	while (rb_xdr_get_list_more(&d, &n, RB_XDR_LIST_MAX)) {
		uint32_t i = KEY + n - 1;
		struct rb_xdr_bytes ua = rb_xdr_get_string(&d, 64);
		struct rb_xdr_bytes netid = rb_xdr_get_string(&d, 64);
		uint32_t semantics = rb_xdr_get_u32(&d);
		struct rb_xdr_bytes fmly = rb_xdr_get_string(&d, 64);
		struct rb_xdr_bytes proto = rb_xdr_get_string(&d, 64);
		bool udp = (i & 1u) == 0;
		uint32_t want_sem = udp ? RB_NC_TPI_CLTS : RB_NC_TPI_COTS_ORD;
		if (d.err || n > 2 || !is_key_uaddr(ua, "10.0.0.1", i) ||
		    !rb_xdr_bytes_eq(netid, rb_bench_key_netid(i)) || semantics != want_sem ||
		    !rb_xdr_bytes_eq(fmly, "inet") || !rb_xdr_bytes_eq(proto, udp ? "udp" : "tcp"))
			return false;
	}
	return !d.err && rb_xdr_dec_left(&d) == 0 && n == 2;
}

/* GETSTAT: three rpcb_stat (v2, v3, v4), each the per-procedure counts,
 * SETs, UNSETs, the lookup list and the remote-call list. The statistics
 * are the case's own, fresh: the one call counted is this GETSTAT, in its
 * own answer (as rpcbind counts it before answering). */
static bool check_stat(const struct hcase *hc, const struct rb_xport *x, const uint8_t *res,
		       size_t len, const struct rb_mutation *m)
{
	(void)hc, (void)x, (void)m;
	struct rb_xdr_dec d;
	uint32_t n = 0;
	rb_xdr_dec_init(&d, res, len);
	for (unsigned v = 0; v < RB_STAT_VERSIONS; v++) {
		for (unsigned p = 0; p < RB_STAT_PROCS; p++)
			if (rb_xdr_get_u32(&d) != (v == 2 && p == RB_PROC_GETSTAT))
				return false;
		if (rb_xdr_get_u32(&d) != 0 || rb_xdr_get_u32(&d) != 0) /* set, unset */
			return false;
		/* Both lists (lookups, remote calls) empty. */
		if (rb_xdr_get_list_more(&d, &n, RB_XDR_LIST_MAX) ||
		    rb_xdr_get_list_more(&d, &n, RB_XDR_LIST_MAX))
			return false;
	}
	return !d.err && rb_xdr_dec_left(&d) == 0;
}

static bool check_set(const struct hcase *hc, const struct rb_xport *x, const uint8_t *res,
		      size_t len, const struct rb_mutation *m)
{
	(void)x, (void)res, (void)len;
	char ua[32];
	snprintf(ua, sizeof(ua), "0.0.0.0.%u.%u", SET_PORT >> 8, SET_PORT & 255u);
	return m->op == RB_MUT_SET && m->xid == XID && m->prog == SET_PROG && m->vers == 1 &&
	       strcmp(m->netid, "udp") == 0 && strcmp(m->uaddr, ua) == 0 &&
	       strcmp(m->owner, "superuser") == 0 && m->stat_vers == hc->vers - RB_VERS_PMAP;
}

static bool check_unset(const struct hcase *hc, const struct rb_xport *x, const uint8_t *res,
			size_t len, const struct rb_mutation *m)
{
	(void)x, (void)res, (void)len;
	return m->op == RB_MUT_UNSET && m->xid == XID && m->prog == rb_bench_key_prog(KEY) &&
	       m->vers == RB_BENCH_VERS && m->pmap == (hc->vers == RB_VERS_PMAP) &&
	       m->netid[0] == '\0' /* every netid (PMAP: udp and tcp) */ &&
	       strcmp(m->owner, "superuser") == 0 && m->stat_vers == hc->vers - RB_VERS_PMAP;
}

/* ---- the timed loop ---- */

static void *reg_init(int64_t arg)
{
	return rb_bench_registry((uint32_t)arg);
}

static void reg_fini(void *ctx)
{
	rb_registry_free(ctx);
}

static void run_case(struct rb_bench_state *s, struct rb_registry *reg, const struct hcase *hc)
{
	struct rb_bench_handler h;
	struct rb_xport x;
	struct rb_mutation mut;
	struct rb_xdr_enc out;
	uint8_t msg[256];
	size_t cap = 64u * 1024u;
	uint8_t *buf = malloc(cap);
	uint32_t len = encode_call(hc, msg, sizeof(msg));

	if (!buf || !len || rb_bench_handler_init(&h, reg) < 0) {
		free(buf);
		rb_bench_error(s, "set-up failed");
		return;
	}
	struct rb_reader *r = rb_bench_reader(s, reg);
	if (!r)
		goto out;
	rb_bench_xport_udp(&x);
	if (hc->tcp)
		x.netid = RB_NETID_TCP;
	if (hc->local) {
		memcpy(x.peer.ip, (const uint8_t[]){ 127, 0, 0, 1 }, 4);
		memcpy(x.local.ip, (const uint8_t[]){ 127, 0, 0, 1 }, 4);
		x.peer.port = 700; /* privileged: the owner is "superuser" */
	}

	/* The answer, once, untimed. */
	memset(&mut, 0, sizeof(mut));
	rb_reader_begin(r);
	rb_xdr_enc_init(&out, buf, cap);
	enum rb_outcome o = rb_handle_call(&h.ctx, &x, msg, len, &out, &mut);
	rb_reader_end(r);
	const uint8_t *res = NULL;
	size_t res_len = 0;
	bool ok = o == hc->want && !out.err;
	if (ok && o == RB_OUT_REPLY)
		ok = rb_bench_reply(buf, out.pos, XID, &res, &res_len) == RB_SUCCESS;
	ok = ok && hc->check(hc, &x, res, res_len, &mut);
	if (!ok) {
		fprintf(stderr, "v%u proc %u: outcome %d (want %d), %zu bytes\n", (unsigned)hc->vers,
			(unsigned)hc->proc, (int)o, (int)hc->want, out.pos);
		rb_bench_error(s, "wrong answer");
	}
	size_t reply_len = out.pos;

	while (ok && rb_bench_keep_running_batch(s, BATCH)) {
		rb_reader_begin(r);
		for (int i = 0; i < BATCH; i++) {
			rb_xdr_enc_init(&out, buf, cap);
			o = rb_handle_call(&h.ctx, &x, msg, len, &out, &mut);
			rb_bench_do_not_optimize(o);
			rb_bench_clobber();
		}
		rb_reader_end(r);
	}
	if (ok)
		rb_bench_counter(s, "reply_bytes", (double)reply_len, false);
	rb_reader_release(r);
out:
	rb_bench_handler_fini(&h);
	free(buf);
}

#define CASE(fname, ...)                                                      \
	static void fname(struct rb_bench_state *s, void *ctx)                 \
	{                                                                      \
		static const struct hcase hc = { __VA_ARGS__ };                \
		run_case(s, ctx, &hc);                                         \
	}

#define REPLY RB_OUT_REPLY
#define MUTATE RB_OUT_MUTATE
CASE(bm_null2, RB_VERS_PMAP, RB_PROC_NULL, false, false, REPLY, check_empty)
CASE(bm_set2, RB_VERS_PMAP, RB_PROC_SET, false, true, MUTATE, check_set)
CASE(bm_unset2, RB_VERS_PMAP, RB_PROC_UNSET, false, true, MUTATE, check_unset)
CASE(bm_dump2, RB_VERS_PMAP, RB_PROC_DUMP, true, false, REPLY, check_dump)
CASE(bm_null3, RB_VERS_RPCB3, RB_PROC_NULL, false, false, REPLY, check_empty)
CASE(bm_set3, RB_VERS_RPCB3, RB_PROC_SET, false, true, MUTATE, check_set)
CASE(bm_unset3, RB_VERS_RPCB3, RB_PROC_UNSET, false, true, MUTATE, check_unset)
CASE(bm_gettime3, RB_VERS_RPCB3, RB_PROC_GETTIME, false, false, REPLY, check_time)
CASE(bm_uaddr2taddr3, RB_VERS_RPCB3, RB_PROC_UADDR2TADDR, false, false, REPLY, check_taddr)
CASE(bm_taddr2uaddr3, RB_VERS_RPCB3, RB_PROC_TADDR2UADDR, false, false, REPLY,
     check_uaddr_text)
CASE(bm_getaddr4, RB_VERS_RPCB4, RB_PROC_GETADDR, false, false, REPLY, check_uaddr)
CASE(bm_getversaddr4, RB_VERS_RPCB4, RB_PROC_GETVERSADDR, false, false, REPLY, check_uaddr)
CASE(bm_getaddrlist4, RB_VERS_RPCB4, RB_PROC_GETADDRLIST, true, false, REPLY, check_addrlist)
CASE(bm_dump4, RB_VERS_RPCB4, RB_PROC_DUMP, true, false, REPLY, check_dump)
CASE(bm_getstat4, RB_VERS_RPCB4, RB_PROC_GETSTAT, true, false, REPLY, check_stat)

#define DEF(n, f)                                                             \
	{ .name = n, .fn = f, .args = { ENTRIES }, .nargs = 1, .init = reg_init,   \
	  .fini = reg_fini }

const struct rb_bench_def rb_bench_handlers_defs[] = {
	DEF("handler_pmap_null", bm_null2),
	DEF("handler_pmap_set", bm_set2),
	DEF("handler_pmap_unset", bm_unset2),
	DEF("handler_pmap_dump", bm_dump2),
	DEF("handler_rpcb3_null", bm_null3),
	DEF("handler_rpcb3_set", bm_set3),
	DEF("handler_rpcb3_unset", bm_unset3),
	DEF("handler_rpcb3_gettime", bm_gettime3),
	DEF("handler_rpcb3_uaddr2taddr", bm_uaddr2taddr3),
	DEF("handler_rpcb3_taddr2uaddr", bm_taddr2uaddr3),
	DEF("handler_rpcb4_getaddr", bm_getaddr4),
	DEF("handler_rpcb4_getversaddr", bm_getversaddr4),
	DEF("handler_rpcb4_getaddrlist", bm_getaddrlist4),
	DEF("handler_rpcb4_dump", bm_dump4),
	DEF("handler_rpcb4_getstat", bm_getstat4),
	{ .name = NULL },
};
