/* Every limit of the data plane, by name. Each has a test (tests/e2e). */
#ifndef RB_NET_LIMITS_H
#define RB_NET_LIMITS_H

#include "core/config.h"
#include "core/record.h"

/* Largest UDP datagram we read; a longer one is dropped (counted). */
#define RB_UDP_MAX RB_RECORD_MAX
/* Largest UDP reply: rpcbind's UDPMSGSIZE. A bigger result (a large DUMP)
 * is answered SYSTEM_ERR; clients use TCP for it, as rpcinfo -p does. */
#define RB_UDP_REPLY_MAX 8800u
/* Largest reply on a stream (a DUMP of a huge registry). */
#define RB_STREAM_REPLY_MAX (64u << 20)
/* Largest unsent backlog a connection may build, whatever --max-unsent
 * says: one reply of RB_STREAM_REPLY_MAX may always be queued whole. */
#define RB_CONN_BACKLOG_MAX (RB_STREAM_REPLY_MAX + (1u << 30))
/* Connection limits are run-time options (struct rb_limits in
 * core/config.h, defaults RB_CONFIG_*): unsent reply bytes before reading
 * stops, how long a non-reader may block, idle reaping, and the caps on
 * connections per worker and in total. At a cap a new connection is
 * accepted and closed at once: accept never spins. This is the size of a
 * worker's connection table, and so the most --max-conn-per-worker allows. */
#define RB_CONN_PER_WORKER_MAX RB_CONFIG_CONN_PER_WORKER
/* AF_LOCAL connections the control thread serves at once. */
#define RB_LOCAL_CONN_MAX 1024u
/* Mutations in flight from one worker to the control thread. */
#define RB_MAILBOX_CAP 1024u
/* Debug (-d) lines per second per thread; the rest are counted. */
#define RB_DEBUG_LOG_RATE 50u
/* How often timers (reaping, blocked connections) are checked. */
#define RB_TICK_MS 250u
/* io_uring: provided buffers for UDP and TCP reads. */
#define RB_URING_ENTRIES 1024u
#define RB_URING_UDP_BUFS 256u
#define RB_URING_TCP_BUFS 256u
#define RB_URING_TCP_BUF_SIZE 4096u
/* epoll: datagrams read per recvmmsg. */
#define RB_EPOLL_BATCH 32u
/* UDP replies sent per sendmmsg (net/udp_batch.h), both backends. */
#define RB_UDP_SEND_BATCH 32u
/* Listening sockets of one kind a worker may own (one per -h address). */
#define RB_LISTEN_MAX (2u + 2u * 16u)

/* Refused SET/UNSET: log lines per second per thread (the rest are only
 * counted, in the metrics). */
#define RB_REFUSAL_LOG_RATE 20u

#endif
