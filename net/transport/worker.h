/* A worker: one thread, pinned to one CPU, that owns its sockets, its
 * connections, its event loop (io_uring or epoll), its registry reader and
 * its counters, and answers every read-only call itself. */
#ifndef RB_NET_WORKER_H
#define RB_NET_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/base/counters.h"
#include "net/base/slots.h"
#include "net/base/limits.h"
#include "net/transport/mailbox.h"
#include "net/transport/hooks.h"
#include "net/transport/route.h"
#include "net/transport/serve.h"
#include "registry/stats/stats.h"

struct rb_fwd;
struct rb_registry;
struct rb_tcpmux;

/* A worker whose loop has not run for this long is stuck: /readyz fails and
 * the watchdog stops pinging systemd. Workers wake at least every
 * RB_TICK_MS. */
#define RB_READY_BOUND_MS 2000u

/* The run-time configuration the control thread publishes on SIGHUP: it
 * copies it here under lock and bumps gen; each worker copies it into its
 * own w->cfg at its next loop iteration (at most RB_TICK_MS later). No
 * worker ever reads a configuration another thread may write. */
struct rb_cfg_pub {
	pthread_mutex_t lock;
	struct rb_config live;
	uint32_t gen; /* atomic */
};

/* The start-up handshake: each worker reports once (rb_worker_started);
 * the assembly waits until all have. */
struct rb_start_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned started;
	int err; /* the first worker's error, or 0 */
};

/* A thread's request counters, cache-line aligned (and so padded): the
 * last counter one thread writes and the first of the next never share a
 * line. */
struct rb_rq_slot {
	_Alignas(64) struct rb_reqstats s;
};

/* What a worker needs of the daemon around it, and nothing more: owned by
 * the assembly (net/daemon), shared by every worker, read-only after start
 * except for the atomics it points to. */
struct rb_worker_env {
	struct rb_registry *reg;
	struct rb_cfg_pub *cfg;
	struct rb_start_gate *gate;
	unsigned nworkers;
	enum rb_backend backend; /* the loop each worker runs */
	uint32_t *total_conns; /* atomic: stream connections across workers */
	int ctl_wake_fd;       /* mutations handed over wake the control thread here */
	/* GETSTAT's merge of every thread's counters (any thread). */
	void (*collect_stats)(void *arg, struct rb_stats *out);
	void *collect_arg;
	const struct rb_feature_ops *feat; /* remote calls, TCPMUX */
};

struct rb_listener {
	int fd;
	enum rb_netid_idx netid;
	/* Other workers wait on the same socket (socket activation where a
	 * socket per worker was refused): epoll waits with EPOLLEXCLUSIVE. */
	bool shared;
	/* Our own socket in a passed socket's group: what queued on it when
	 * the daemon stops is answered before it closes
	 * (rb_worker_drain_at_stop); the passed one keeps its queue. */
	bool beside_passed;
};

/* Aligned to a cache line (and its size a multiple of one): two workers'
 * counters and heartbeats never share a line, whatever the allocator
 * (the daemon allocates the array with aligned_alloc). */
struct rb_worker {
	_Alignas(64) unsigned id;
	int cpu; /* pinned CPU, or -1 */
	const struct rb_worker_env *env;
	/* This worker's copy of the run-time configuration (see
	 * rb_cfg_pub): read only by this thread. */
	struct rb_config *cfg;
	uint32_t cfg_gen;
	pthread_t thread;
	pthread_t owner; /* the thread running the loop (asserted) */
	struct rb_serve serve;
	struct rb_counters counters;
	struct rb_stats stats;
	/* GETSTAT's answer for callers that are not trusted: a merge of every
	 * thread's stats made by this thread at most RB_GETSTAT_CACHE_MS ago
	 * (rb_worker_cached_stats). Read and written by this thread alone. */
	struct rb_stats *getstat_cache;
	uint64_t getstat_cache_ns; /* when it was merged (rb_mono_ns); 0: never */
	/* This worker's shard of response-rate limiting (core/ratelimit.h). */
	struct rb_rrl *rrl;
	struct rb_fwd *fwd; /* remote calls in flight (-r); NULL without -r */
	struct rb_tcpmux *mux; /* the TCPMUX front (net/features/tcpmux.h); NULL when off */
	struct rb_reader *reader;
	struct rb_listener udp[RB_LISTEN_MAX];
	unsigned n_udp;
	struct rb_listener tcp[RB_LISTEN_MAX];
	unsigned n_tcp;
	/* Connections: slots, reused; a free stack of slot numbers. */
	struct rb_conn *conns[RB_CONN_PER_WORKER_MAX];
	uint32_t free_slots[RB_CONN_PER_WORKER_MAX];
	struct rb_slots slots; /* over free_slots; conns[0, slots.used) */
	uint32_t live_conns;
	/* Connections with work left, served within the turn's budget
	 * (net/transport/serve.h). */
	struct rb_conn_queue ready;
	struct rb_turn_budget budget;
	struct rb_log_budget fd_log; /* "out of file descriptors" lines */
	struct rb_mailbox mbox;
	uint32_t mut_inflight;
	int wake_fd;           /* the control thread wakes us here */
	int stop;              /* atomic: leave the loop */
	bool reported;         /* rb_worker_started was called */
	uint64_t heartbeat_ms; /* atomic: last loop iteration */
	void *be;              /* backend state */
};

/* What a backend does for the shared code. */
struct rb_backend_ops {
	/* Send a datagram reply along a route. */
	void (*udp_send)(struct rb_worker *w, const struct rb_dgram_route *rt,
			 const uint8_t *p, uint32_t n);
	/* c has bytes queued: send as far as the socket takes them (or start
	 * sending if nothing is in flight); on failure, begin closing c. */
	void (*conn_kick)(struct rb_worker *w, struct rb_conn *c);
	/* Read from c (on), or stop reading (off), as rb_conn_work said. */
	void (*conn_read)(struct rb_worker *w, struct rb_conn *c, bool on);
	/* Begin closing c; the backend calls rb_worker_conn_release once
	 * nothing of its own refers to c any more. */
	void (*conn_close)(struct rb_worker *w, struct rb_conn *c);
};

int rb_worker_init(struct rb_worker *w, const struct rb_worker_env *env, unsigned id, int cpu);
void rb_worker_fini(struct rb_worker *w);

/* Backends: each runs the loop until w->stop; -errno if it cannot start. */
int rb_worker_run_uring(struct rb_worker *w);
int rb_worker_run_epoll(struct rb_worker *w);
/* Whether io_uring has everything the uring backend needs here; on
 * failure *why says what is missing. */
int rb_uring_probe(const char **why);

/* A backend calls this once it is serving (err 0), or the worker's thread
 * with the error that kept it from serving; the daemon waits for all. */
void rb_worker_started(struct rb_worker *w, int err);

/* Shared by the backends. */
struct rb_conn *rb_worker_conn_open(struct rb_worker *w, int fd,
				    enum rb_netid_idx netid);
void rb_worker_conn_release(struct rb_worker *w, struct rb_conn *c);
void rb_worker_tick(struct rb_worker *w, const struct rb_backend_ops *ops);
void rb_worker_drain_replies(struct rb_worker *w, const struct rb_backend_ops *ops);
/* A datagram read from forwarding socket fam (net/features/forward.h): a service's
 * reply, whose answer goes out along the caller's route. */
void rb_worker_fwd_input(struct rb_worker *w, unsigned fam, const struct sockaddr *src,
			 socklen_t srclen, const uint8_t *p, uint32_t n, bool truncated,
			 const struct rb_backend_ops *ops);
/* Bytes read from c (at most RB_CONN_IN_MAX, in the backend's buffer):
 * answered now within the turn's budget, the rest kept and queued; then
 * the backend is told to read on or not, or to close c. */
void rb_worker_conn_input(struct rb_worker *w, struct rb_conn *c, const uint8_t *p, size_t n,
			  const struct rb_backend_ops *ops);
/* c has work to do (its socket drained, an answer from the control
 * thread): it is done at the end of this loop turn, by
 * rb_worker_run_ready. */
void rb_worker_conn_wake(struct rb_worker *w, struct rb_conn *c);
/* A loop turn starts: its budget for connections (net/transport/serve.h) is new. */
static inline void rb_worker_turn(struct rb_worker *w)
{
	rb_turn_budget_reset(&w->budget);
}
/* End of a loop turn: works on the queued connections with what is left
 * of the turn's budget, each at most its share, then tells the backend to
 * read or not. Returns whether work is left for the next turn (the
 * backend must then not sleep). */
bool rb_worker_run_ready(struct rb_worker *w, const struct rb_backend_ops *ops);
/* accept failed with err: out of descriptors (EMFILE, ENFILE) or memory
 * (ENOBUFS, ENOMEM) means the backend stops accepting on that listener
 * until the next tick (true); it is counted and logged, rate-limited. */
bool rb_worker_accept_failed(struct rb_worker *w, int err);
/* Fills an rb_xport for a datagram from its peer address and pktinfo. */
void rb_worker_dgram_xport(const struct rb_dgram_route *rt, enum rb_netid_idx netid,
			   struct rb_xport *x);
void rb_sockaddr_to_addr(const struct sockaddr *sa, socklen_t len, struct rb_addr *a);
/* Most datagrams a worker answers from its own sockets once stopping
 * (a UDP receive queue holds a few hundred at the default buffer size). */
#define RB_STOP_DRAIN_MAX 4096u
/* The backend's loop has ended: answers, with plain recvmsg/sendmsg, what
 * queued on this worker's UDP sockets beside passed ones before the stop
 * steered their groups to the held sockets (at most RB_STOP_DRAIN_MAX). */
void rb_worker_drain_at_stop(struct rb_worker *w);
/* Once per loop iteration: records liveness (watchdog, /readyz) and takes
 * a configuration the control thread published since. */
void rb_worker_heartbeat(struct rb_worker *w);
bool rb_worker_stopping(const struct rb_worker *w);
/* Whether each of the n workers looped within RB_READY_BOUND_MS of now_ms;
 * when not, *stuck is the first that did not. Any thread. */
bool rb_workers_alive(const struct rb_worker *w, unsigned n, uint64_t now_ms, unsigned *stuck);

/* The features' sockets, through the assembly's hooks (-1: none). */
static inline int rb_worker_fwd_fd(const struct rb_worker *w, unsigned fam)
{
	return w->fwd ? w->env->feat->fwd_fd(w->fwd, fam) : -1;
}
static inline int rb_worker_mux_fd(const struct rb_worker *w)
{
	return w->mux ? w->env->feat->mux_fd(w) : -1;
}
static inline void rb_worker_mux_run(struct rb_worker *w)
{
	w->env->feat->mux_run(w);
}

#endif
