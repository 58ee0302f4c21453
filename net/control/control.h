/* The control thread (the daemon's main thread): see control.c. */
#ifndef RB_NET_CONTROL_H
#define RB_NET_CONTROL_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "net/base/counters.h"
#include "net/control/durable.h"
#include "net/transport/activation.h"
#include "net/base/http.h"
#include "net/control/stale.h"
#include "net/base/limits.h"
#include "net/base/log.h"
#include "net/base/slots.h"
#include "net/transport/serve.h"
#include "net/transport/worker.h"

/* What the control thread needs of the daemon around it: owned by the
 * assembly (net/daemon), which fills it in before rb_control_init. */
struct rb_control_env {
	/* As started; this thread alone updates its run-time options on
	 * SIGHUP (and *policy with them), and publishes them to the workers
	 * through *pub. */
	struct rb_config *cfg;
	struct rb_policy *policy;
	struct rb_cfg_pub *pub;
	int argc; /* the command line SIGHUP rebuilds the configuration from */
	char *const *argv;
	struct rb_registry *reg; /* this thread is its only writer */
	struct rb_stats *stats;  /* the writer's counters */
	int wake_fd;             /* workers wake this thread here */
	struct rb_worker *workers; /* their mailboxes and wake-up fds */
	unsigned nworkers;
	const uint32_t *total_conns; /* atomic: TCP connections, all workers */
	/* GETSTAT's merge of every thread's counters. */
	void (*collect_stats)(void *arg, struct rb_stats *out);
	void *collect_arg;
	/* What the metrics endpoint answers (--metrics; net/ops/metrics.h). */
	rb_http_render_fn http_render;
	void *http_arg;
};

/* How often systemd's STATUS= line is refreshed. */
#define RB_STATUS_MS 10000u

struct rb_control {
	const struct rb_control_env *env;
	/* The thread that runs it: the daemon's main thread (asserted,
	 * net/base/owner.h). */
	pthread_t owner;
	int ep, sfd, tfd;
	int listen_fd[2]; /* the path, and its abstract twin */
	char path[108];
	struct rb_serve serve;
	struct rb_counters counters;
	struct rb_conn *conns[RB_LOCAL_CONN_MAX];
	uint32_t free_slot[RB_LOCAL_CONN_MAX];
	struct rb_slots slots; /* over free_slot; conns[0, slots.used) */
	uint32_t live;
	/* Local connections with work left, served within a turn's budget
	 * (net/transport/serve.h), so that one flooding client of the AF_LOCAL socket
	 * cannot hold up the writer's other work. */
	struct rb_conn_queue ready;
	struct rb_turn_budget budget;
	unsigned listen_paused; /* listeners out of descriptors (bits) */
	struct rb_log_budget fd_log;
	struct rb_durable du; /* SET/UNSET: apply, journal, group commit */
	bool *wake;           /* workers owed a wake-up after a commit */
	struct rb_stale *stale; /* the last finished scan's list */
	/* The scan runs on a housekeeping thread (net/control/stale.h); this thread
	 * takes its list when it is done and alone acts on it. */
	struct rb_stale_bg stale_bg;
	bool stale_write; /* the running scan was asked for by SIGUSR1 */
	/* SIGUSR1 while a scan ran: one more scan (begun after the signal)
	 * follows it, and its list is written. */
	bool stale_again;
	uint64_t next_stale_ms;
	uint64_t reaped;      /* stale registrations removed */
	struct rb_http http;  /* metrics, /healthz, /readyz (--metrics) */
	uint64_t heartbeat_ms; /* atomic: the loop's last iteration (watchdog) */
	uint64_t next_status_ms; /* next STATUS= line to systemd */
};

/* The signals this thread takes through its signalfd (and every thread
 * blocks, from before the first starts). */
void rb_control_signals(sigset_t *set);
int rb_control_init(struct rb_control *ctl, const struct rb_control_env *env);
/* Listens on path and on the abstract "@path". */
int rb_control_listen(struct rb_control *ctl, const char *path, struct rb_passed_set *ps);
/* Serves the metrics endpoint at host:port. 0 or -errno. */
int rb_control_metrics(struct rb_control *ctl, const char *host, uint16_t port);
/* Sends systemd a STATUS= line: registrations, connections, state. */
void rb_control_status(struct rb_control *ctl);
/* Looks for stale registrations now, on the housekeeping thread; what it
 * finds is logged (and with write_list written to STATE_DIR/stale, and
 * with --reap-stale reaped) by this thread when the scan is done. A scan
 * asked for while one runs is coalesced: the timer's into the running one,
 * SIGUSR1's into one more that starts when it ends. */
void rb_control_scan_stale(struct rb_control *ctl, bool write_list);
/* Serves until SIGTERM/SIGINT; 0 on a clean stop. */
int rb_control_run(struct rb_control *ctl);
/* Closes everything and removes the socket file. */
void rb_control_fini(struct rb_control *ctl);

#endif
