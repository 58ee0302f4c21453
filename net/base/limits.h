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
/* Largest reply built whole for a stream. Replies that grow with the
 * registry (DUMP, GETADDRLIST) are not built whole but produced a fragment
 * at a time (registry/procs/stream.h); what is left (GETSTAT, about 12 KiB at
 * most, 3 versions of 96 lookup records) is below this. */
#define RB_STREAM_REPLY_MAX (32u << 10)
/* A fragment of a large reply, with its 4-byte header: one is produced
 * when everything before it has gone to the socket, so a client that stops
 * reading holds at most this much of it. */
#define RB_STREAM_CHUNK (16u << 10)
/* Fragments built for one send to a client that reads (a thread's buffer,
 * not a connection's): one segment, one wake-up, for this many bytes. */
#define RB_STREAM_BURST (4u * RB_STREAM_CHUNK)
/* Bytes read from a connection and not yet answered: nothing more is read
 * until they are (the io_uring buffers are as large). */
#define RB_CONN_IN_MAX 4096u
/* Largest unsent backlog a connection may build, whatever --max-unsent
 * says (calls stop being decoded at --max-unsent; one reply may pass it). */
#define RB_CONN_BACKLOG_MAX ((1u << 30) + RB_STREAM_REPLY_MAX)
/* Work for one connection per loop turn, and for all of them together, so
 * that one flooding client cannot delay datagrams or other connections by
 * more than a turn's budget: calls decoded, and bytes of large replies
 * produced (about 30 ns an entry, 60 bytes). */
#define RB_CONN_CALLS_PER_TURN 16u
#define RB_CONN_STREAM_BYTES_PER_TURN (4u * RB_STREAM_CHUNK)
#define RB_TURN_CALLS 64u
#define RB_TURN_STREAM_BYTES RB_STREAM_BURST
/* Memory one connection may hold with the default --max-unsent, whatever
 * the registry's size and whatever its client sends: the slot, the record
 * being reassembled (RB_RECORD_MAX), unread input (RB_CONN_IN_MAX), and
 * unsent replies: under --max-unsent when a call is decoded, plus that
 * call's reply (GETSTAT's at most 16 KiB) or one RB_STREAM_CHUNK, in
 * buffers sized to their content (RB_CONN_BUF_ROUND each). net/transport/serve.c
 * checks the sum; tests assert it from the daemon's RSS. */
#define RB_CONN_MEM_MAX (48u << 10)
#define RB_CONN_BUF_ROUND 512u
#define RB_GETSTAT_REPLY_MAX (16u << 10)
/* GETSTAT merges every thread's counters, reading cache lines that their
 * owners write on every call. A caller that is not trusted (neither
 * loopback, AF_LOCAL nor --trusted-net) is answered from a merge its
 * worker made at most this long ago, so that a flood of GETSTAT costs at
 * most 1000 / RB_GETSTAT_CACHE_MS merges a second per worker; a trusted
 * caller gets a merge made now (rpcinfo -m, the differential tests). */
#define RB_GETSTAT_CACHE_MS 100u
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
#define RB_URING_TCP_BUF_SIZE RB_CONN_IN_MAX
/* io_uring: at exit, how long to wait for cancelled operations to finish
 * before their buffers are freed. */
#define RB_URING_QUIESCE_MS 500u
/* epoll: datagrams read per recvmmsg. */
#define RB_EPOLL_BATCH 32u
/* epoll: stream work (a connection's event, an accepted connection)
 * between two looks at the datagram sockets within one batch of events:
 * while thousands of clients connect, a lookup waits for this much of it,
 * not for the whole batch. */
#define RB_EPOLL_STREAM_PER_UDP_LOOK 16u
/* epoll: connections accepted per listener event, so that other sockets
 * get their turn. (With 16, the rest left to the next wait, one of three
 * 2,000-client storms took a second to connect instead of 60 ms.) */
#define RB_EPOLL_ACCEPTS_PER_EVENT 64u
/* UDP replies sent per sendmmsg (net/transport/udp_batch.h), both backends. */
#define RB_UDP_SEND_BATCH 32u
/* Listening sockets of one kind a worker may own (one per -h address). */
#define RB_LISTEN_MAX (2u + 2u * 16u)

/* Refused SET/UNSET: log lines per second per thread (the rest are only
 * counted, in the metrics). */
#define RB_REFUSAL_LOG_RATE 20u

#endif
