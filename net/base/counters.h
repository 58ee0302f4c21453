/* Per-worker counters, one X-macro list expanded into the struct, the
 * aggregation and (later) the metrics output. Each worker is the only
 * writer of its own; readers load them relaxed. */
#ifndef RB_NET_COUNTERS_H
#define RB_NET_COUNTERS_H

#include <stdint.h>

#define RB_COUNTERS(X)                                                         \
	X(udp_requests, "UDP datagrams received")                              \
	X(udp_replies, "UDP replies sent")                                     \
	X(udp_dropped_big, "UDP datagrams over RB_UDP_MAX dropped")            \
	X(udp_send_refused, "UDP replies lost: too big, buffer full or peer refused")        \
	X(tcp_accepted, "TCP connections accepted")                            \
	X(tcp_refused_cap, "TCP connections refused at a cap")                 \
	X(accept_paused, "times accepting paused: out of descriptors or memory") \
	X(tcp_records, "stream records handled")                               \
	X(tcp_oversize, "streams dropped for a record over RB_RECORD_MAX")     \
	X(tcp_reaped_idle, "connections reaped after --idle-timeout") \
	X(tcp_dropped_blocked, "connections dropped: replies unread too long") \
	X(tcp_paused, "times reading stopped for unsent replies")             \
	X(no_reply, "calls answered with no reply")                            \
	X(rate_limited, "UDP calls dropped by response-rate limiting")         \
	X(mutations, "SET/UNSET handed to the control thread")                 \
	X(mailbox_full, "SET/UNSET refused: mailbox full")                    \
	X(fwd_calls, "remote calls forwarded to a service (-r)")               \
	X(fwd_replies, "remote-call results relayed to the caller")            \
	X(fwd_failed, "service replies answered as an error or not at all")    \
	X(fwd_timeouts, "remote calls unanswered after RB_FWD_TIMEOUT_MS")     \
	X(fwd_denied, "remote calls refused by the deny list (TOOWEAK)")       \
	X(fwd_table_full, "remote calls dropped: RB_FWD_MAX in flight")        \
	X(fwd_rate_limited, "remote calls dropped by the forward rate limit")  \
	X(fwd_duplicates, "retransmitted remote calls not forwarded again")    \
	X(fwd_send_failed, "remote calls that could not be sent")              \
	X(fwd_unmatched, "datagrams on a forwarding socket matching no call")  \
	X(tcpmux_accepted, "TCPMUX connections accepted")                      \
	X(tcpmux_denied, "TCPMUX connections from outside --tcpmux-allow")    \
	X(tcpmux_refused_cap, "TCPMUX connections refused at --tcpmux-max-conn") \
	X(tcpmux_requests, "TCPMUX name lines received")                       \
	X(tcpmux_proxied, "TCPMUX connections carried to a service (+)")       \
	X(tcpmux_refused, "TCPMUX requests refused (-): unknown, bad, HELP off") \
	X(tcpmux_help, "TCPMUX HELP lists sent")                               \
	X(tcpmux_timeouts, "TCPMUX connections with no name or answer in time") \
	X(tcpmux_idle_closed, "TCPMUX pairs closed after --tcpmux-idle-timeout") \
	X(tcpmux_bytes_to_service, "bytes carried from TCPMUX clients to services") \
	X(tcpmux_bytes_to_client, "bytes carried from services to TCPMUX clients") \
	X(getstat_merged, "GETSTAT answers merged now (trusted callers)")       \
	X(getstat_refreshed, "GETSTAT merges refreshing a worker's cached one (untrusted callers)") \
	X(getstat_cached, "GETSTAT answers from a worker's cached merge (untrusted callers)") \
	X(loop_waits, "loop turns that waited for an event (each at most one wake-up)")

struct rb_counters {
#define RB_COUNTER_FIELD(name, help) uint64_t name;
	RB_COUNTERS(RB_COUNTER_FIELD)
#undef RB_COUNTER_FIELD
};

static inline void rb_count_n(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline void rb_count(uint64_t *c)
{
	rb_count_n(c, 1);
}

static inline void rb_counters_add(struct rb_counters *dst, const struct rb_counters *src)
{
#define RB_COUNTER_ADD(name, help) dst->name += __atomic_load_n(&src->name, __ATOMIC_RELAXED);
	RB_COUNTERS(RB_COUNTER_ADD)
#undef RB_COUNTER_ADD
}

#endif
