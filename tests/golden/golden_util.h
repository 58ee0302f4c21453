/* Shared helpers of the golden-byte tests.
 *
 * Calls and expected replies are built here with a tiny big-endian writer
 * that shares no code with the implementation (core/xdr.c, core/rpc_msg.c),
 * so a bug in the implementation's encoder cannot hide in the expectation.
 * The engine is driven exactly as the daemon drives it: rb_handle_call inside
 * a reader section, and for RB_OUT_MUTATE, rb_mutation_apply on the writer
 * and rb_mutation_put_reply into a fresh buffer. */
#ifndef RB_TESTS_GOLDEN_UTIL_H
#define RB_TESTS_GOLDEN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "core/rpc_msg.h"
#include "registry/procs/dispatch.h"
#include "registry/store/registry.h"
#include "registry/stats/stats.h"

/* The clock every transport context reports (GETTIME answers it). */
#define GT_NOW 0x65a1b2c3u
#define GT_BUF 16384u

/* ---- byte builder (independent of core/xdr.c) ---- */

struct gbuf {
	size_t n;
	uint8_t b[GT_BUF];
};

void gb_reset(struct gbuf *g);
void gb_u32(struct gbuf *g, uint32_t v);
void gb_raw(struct gbuf *g, const void *p, size_t n);
/* XDR opaque / string: length, bytes, zero padding. */
void gb_opaque(struct gbuf *g, const void *p, uint32_t len);
void gb_str(struct gbuf *g, const char *s);
/* Appends bytes written as hex text; spaces, newlines and '|' are ignored. */
void gb_hex(struct gbuf *g, const char *hex);

/* Call header, rpcvers 2, AUTH_NONE credentials and verifier. */
void gb_call(struct gbuf *g, uint32_t xid, uint32_t prog, uint32_t vers,
	     uint32_t proc);
/* Call header with any rpcvers and credentials (verifier AUTH_NONE). */
void gb_call_ex(struct gbuf *g, uint32_t xid, uint32_t rpcvers, uint32_t prog,
		uint32_t vers, uint32_t proc, uint32_t cred_flavor,
		const void *cred, uint32_t cred_len);
/* Accepted reply header: xid, REPLY, MSG_ACCEPTED, verf AUTH_NONE, stat. */
void gb_reply(struct gbuf *g, uint32_t xid, uint32_t accept_stat);
void gb_reply_prog_mismatch(struct gbuf *g, uint32_t xid, uint32_t low,
			    uint32_t high);
void gb_reply_rpc_mismatch(struct gbuf *g, uint32_t xid, uint32_t low,
			   uint32_t high);
void gb_reply_auth(struct gbuf *g, uint32_t xid, uint32_t why);

void gb_pmap(struct gbuf *g, uint32_t prog, uint32_t vers, uint32_t prot,
	     uint32_t port);
void gb_rpcb(struct gbuf *g, uint32_t prog, uint32_t vers, const char *netid,
	     const char *addr, const char *owner);

/* ---- byte reader for results ---- */

struct gd {
	const uint8_t *p;
	size_t n;
	size_t pos;
	bool err;
};

void gd_init(struct gd *d, const void *p, size_t n);
uint32_t gd_u32(struct gd *d);
/* Reads an XDR string into out (NUL-terminated). */
void gd_str(struct gd *d, char *out, size_t cap);
/* Reads an XDR opaque into out; returns its length. */
uint32_t gd_opaque(struct gd *d, uint8_t *out, size_t cap);

/* ---- transport contexts ---- */

struct rb_xport gx_ip(enum rb_netid_idx netid, const char *peer,
		      uint16_t peer_port, const char *local, uint16_t local_port);
/* udp, 127.0.0.1:peer_port -> 127.0.0.1:111 */
struct rb_xport gx_udp_lo(uint16_t peer_port);
/* tcp, 127.0.0.1:peer_port -> 127.0.0.1:111 */
struct rb_xport gx_tcp_lo(uint16_t peer_port);
/* udp, 10.1.2.3:40000 -> 10.1.2.1:111 (remote) */
struct rb_xport gx_udp_remote(void);
/* udp6, [::1]:40000 -> [::1]:111 */
struct rb_xport gx_udp6_lo(void);
/* tcp6, [::1]:40000 -> [::1]:111 */
struct rb_xport gx_tcp6_lo(void);
/* local (AF_LOCAL stream) with SO_PEERCRED uid */
struct rb_xport gx_local(int64_t uid);

/* ---- the engine under test ---- */

struct gt {
	struct rb_registry *reg;
	struct rb_reader *rd;
	struct rb_policy policy;
	struct rb_stats *stats;   /* the answering thread's counters */
	struct rb_stats *wstats;  /* the writer thread's counters */
	struct rb_stats *scratch; /* for collect_stats */
	struct rb_handler_ctx ctx;
	unsigned collect_calls;
	/* Results of the last gt_call: */
	enum rb_outcome oc;
	struct rb_mutation mut; /* valid when oc == RB_OUT_MUTATE */
	bool mut_ok;            /* what rb_mutation_apply said */
	size_t outlen;
	uint8_t out[GT_BUF];
};

struct gt *gt_new(void);
void gt_free(struct gt *t);
/* Runs one call. For RB_OUT_MUTATE, applies the mutation and puts its
 * reply into t->out. For RB_OUT_DROP, t->outlen is 0. */
enum rb_outcome gt_call_raw(struct gt *t, const struct rb_xport *x,
			    const void *msg, size_t len);
enum rb_outcome gt_call(struct gt *t, const struct rb_xport *x,
			const struct gbuf *msg);

/* Checks that t->out is an accepted SUCCESS reply to xid and sets d over
 * the results. False (and d empty) otherwise. */
bool gt_results(const struct gt *t, uint32_t xid, struct gd *d);
/* The accept_stat of an accepted reply, or -1 (denied, dropped, short). */
int gt_accept_stat(const struct gt *t);

/* Convenience operations through the real path. Each returns 1 (TRUE),
 * 0 (FALSE) or -1 (not the expected outcome or reply shape). */
int gt_pmap_change(struct gt *t, const struct rb_xport *x, uint32_t proc,
		   uint32_t prog, uint32_t vers, uint32_t prot, uint32_t port);
int gt_rpcb_change(struct gt *t, const struct rb_xport *x, uint32_t rvers,
		   uint32_t proc, uint32_t prog, uint32_t vers,
		   const char *netid, const char *addr, const char *owner);
/* PMAP GETPORT: the port, or -1. */
long gt_getport(struct gt *t, const struct rb_xport *x, uint32_t prog,
		uint32_t vers, uint32_t prot);
/* v3/v4 GETADDR or v4 GETVERSADDR: 0 and the uaddr in out, or -1. */
int gt_getaddr(struct gt *t, const struct rb_xport *x, uint32_t rvers,
	       uint32_t proc, uint32_t prog, uint32_t vers, const char *netid,
	       char *out, size_t cap);

struct gt_ent {
	uint32_t prog;
	uint32_t vers;
	char netid[64];
	char addr[256];
	char owner[64];
};
/* v3/v4 DUMP, decoded with our reader: the count, or -1. */
int gt_rpcb_dump(struct gt *t, const struct rb_xport *x, uint32_t rvers,
		 struct gt_ent *ents, int max);
/* Finds (prog, vers, netid) in a dump; NULL when absent. */
const struct gt_ent *gt_find(const struct gt_ent *ents, int n, uint32_t prog,
			     uint32_t vers, const char *netid);

/* Expects outcome want_oc (RB_OUT_REPLY or RB_OUT_MUTATE) and a reply of
 * exactly these bytes. */
#define GT_EXPECT_AS(t, x, call, want_oc, want)                               \
	do {                                                                  \
		gt_call((t), (x), (call));                                    \
		CHECK_EQ_U((t)->oc, (want_oc));                               \
		CHECK_BYTES((t)->out, (t)->outlen, (want)->b, (want)->n);     \
	} while (0)

/* Expects a reply (not a mutation, not a drop) with exactly these bytes. */
#define GT_EXPECT(t, x, call, want) GT_EXPECT_AS(t, x, call, RB_OUT_REPLY, want)

/* Expects a mutation whose reply has exactly these bytes. */
#define GT_EXPECT_MUT(t, x, call, want)                                       \
	GT_EXPECT_AS(t, x, call, RB_OUT_MUTATE, want)

#endif
