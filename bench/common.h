/* Fixtures shared by the benchmarks: registries of N entries, call
 * messages, and a reply parser to check a fixture's answers once before
 * timing it. */
#ifndef RB_BENCH_COMMON_H
#define RB_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/procs/dispatch.h"
#include "registry/store/registry.h"

/* Registered programs start here; key i of a fixture is
 * (RB_BENCH_PROG0 + i / 2, RB_BENCH_VERS, i odd ? "tcp" : "udp") with
 * uaddr "0.0.0.0.p1.p2", port rb_bench_key_port(i): what PMAP SET stores. */
#define RB_BENCH_PROG0 200000000u
#define RB_BENCH_VERS 1u
/* A program that is never registered (GETPORT misses). */
#define RB_BENCH_PROG_MISSING 199999999u
/* Query keys per benchmark: a power of two, cycled through. */
#define RB_BENCH_QUERIES 4096u

static inline uint32_t rb_bench_key_prog(uint32_t i)
{
	return RB_BENCH_PROG0 + i / 2u;
}
static inline const char *rb_bench_key_netid(uint32_t i)
{
	return (i & 1u) ? "tcp" : "udp";
}
static inline uint16_t rb_bench_key_port(uint32_t i)
{
	return (uint16_t)(1024u + i % 60000u);
}

/* A small deterministic PRNG (xorshift32); seed must not be 0. */
static inline uint32_t rb_bench_rand(uint32_t *x)
{
	uint32_t v = *x;
	v ^= v << 13;
	v ^= v >> 17;
	v ^= v << 5;
	*x = v;
	return v;
}

/* Registers keys [first, first + n) with PMAP SET semantics. 0 or -errno. */
int rb_bench_fill(struct rb_registry *reg, uint32_t first, uint32_t n);
/* A new registry holding keys [0, n); NULL on failure (printed). */
struct rb_registry *rb_bench_registry(uint32_t n);

/* Encodes a PMAP GETPORT call for (prog, vers, prot); returns its length. */
uint32_t rb_bench_getport_call(uint8_t *buf, size_t cap, uint32_t xid,
			       uint32_t prog, uint32_t vers, uint32_t prot);
/* Encodes an RPCBIND v3/v4 call with an rpcb argument. */
uint32_t rb_bench_rpcb_call(uint8_t *buf, size_t cap, uint32_t xid,
			    uint32_t vers, uint32_t proc, uint32_t prog,
			    uint32_t pvers, const char *netid);
/* Encodes a call with no arguments (DUMP, NULL, GETSTAT...). */
uint32_t rb_bench_void_call(uint8_t *buf, size_t cap, uint32_t xid,
			    uint32_t vers, uint32_t proc);

/* A transport as a worker would describe a UDP datagram from a remote
 * client 10.0.0.2:800 to 10.0.0.1:111. */
void rb_bench_xport_udp(struct rb_xport *x);

/* A handler context over reg, with its own stats (freed by _fini). */
struct rb_bench_handler {
	struct rb_handler_ctx ctx;
	struct rb_policy policy;
	struct rb_stats *stats;
};
int rb_bench_handler_init(struct rb_bench_handler *h,
			  const struct rb_registry *reg);
void rb_bench_handler_fini(struct rb_bench_handler *h);

struct rb_bench_state;
/* A reader of reg for this benchmark thread; NULL (the run marked failed)
 * when none can be had. */
struct rb_reader *rb_bench_reader(struct rb_bench_state *s, struct rb_registry *reg);

/* Parses an accepted reply; returns its accept_stat (or -1 when it is not
 * an accepted reply to xid) and points *res and *res_len at the results. */
int rb_bench_reply(const uint8_t *msg, size_t len, uint32_t xid,
		   const uint8_t **res, size_t *res_len);

#endif
