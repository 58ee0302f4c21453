/* Per-source response-rate limiting for UDP, in the spirit of DNS RRL: a
 * token bucket per source prefix (/24 for IPv4, /56 for IPv6), so that a
 * spoofed flood cannot turn the port mapper into a reflector and one busy
 * network cannot crowd out the others. Pure: the caller passes the time.
 * The table has a fixed number of buckets: memory never grows with the
 * number of sources; when two prefixes share a bucket the newer takes it
 * over with a full allowance (failing open, never starving a client), so
 * the rate binds a prefix while its bucket is its own.
 *
 * net/ uses it twice. For replies each worker has a table of its own, a
 * shard with its share of the rate and the burst (rb_rrl_set_share),
 * written by that worker alone: no shared write per request, no line
 * bouncing between workers. A source spread over every worker (a spoofed
 * flood's random ports, or --socket-steering random) then gets the
 * configured rate (each share rounded up: at most one reply a second more
 * per worker), one whose datagrams all reach one worker (one client socket
 * under the default hash steering) that worker's share. For remote calls
 * (net/features/forward.c, -r) one table is shared by every worker; that is why a
 * bucket changes by compare-and-swap and rb_rrl_allow may run in several
 * threads at once on one table. rb_rrl_set may change rate and burst at
 * any time (SIGHUP) while others use the table. */
#ifndef RB_CORE_RATELIMIT_H
#define RB_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/uaddr.h"

/* Buckets per table (a power of two): one table per worker. */
#define RB_RRL_BUCKETS 4096u
#define RB_RRL_V4_BITS 24u
#define RB_RRL_V6_BITS 56u
/* A bucket holds at most this many replies (milli-tokens fit 26 bits). */
#define RB_RRL_BURST_MAX 60000u

/* 16 bytes, in a 64-byte-aligned array: a bucket never straddles lines. */
struct rb_rrl_bucket {
	uint64_t key;   /* the source prefix, folded; 0: empty (atomic) */
	uint64_t state; /* stamp_ms << 26 | milli-tokens (atomic, CAS) */
};

/* Allocate with aligned_alloc (64) or embed: rate and burst have a line
 * of their own, away from the buckets. */
struct rb_rrl {
	_Alignas(64) uint32_t rate; /* replies per second per prefix; 0: no limit (atomic) */
	uint32_t burst;             /* bucket size, in replies (atomic) */
	_Alignas(64) struct rb_rrl_bucket b[RB_RRL_BUCKETS];
};

void rb_rrl_init(struct rb_rrl *r, uint32_t rate, uint32_t burst);
/* Changes rate and burst while other threads use the table (SIGHUP). */
void rb_rrl_set(struct rb_rrl *r, uint32_t rate, uint32_t burst);
/* One shard of shards: rate and burst divided, rounded up (a limit is
 * never 0 where the whole one is not). */
void rb_rrl_set_share(struct rb_rrl *r, uint32_t rate, uint32_t burst, unsigned shards);
/* true: answer; false: over the rate (drop, and count it). */
bool rb_rrl_allow(struct rb_rrl *r, const struct rb_addr *src, uint64_t now_ms);

#endif
