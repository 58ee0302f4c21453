/* The daemon: configuration, the registry, the workers and the control
 * thread, and how they start and stop. */
#ifndef RB_NET_DAEMON_H
#define RB_NET_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/ratelimit.h"
#include "core/tcpmux_proto.h"
#include "net/activation.h"
#include "net/log.h"
#include "net/worker.h"
#include "registry/procs/dispatch.h"
#include "registry/store/registry.h"
#include "registry/stats/reqstats.h"

/* The AF_LOCAL socket rpcbind and libtirpc use, and its abstract twin. */
#define RB_LOCAL_SOCK_PATH "/run/rpcbind.sock"

/* A thread's request counters, cache-line aligned (and so padded): the
 * last counter one thread writes and the first of the next never share a
 * line. */
struct rb_rq_slot {
	_Alignas(64) struct rb_reqstats s;
};

struct rb_daemon {
	/* As started; the control thread alone updates its run-time options
	 * on SIGHUP (and d->policy with them). */
	struct rb_config cfg;
	/* What workers see: on SIGHUP the control thread copies cfg here
	 * under cfg_lock and bumps cfg_gen; each worker copies it into its
	 * own w->cfg at its next loop iteration (at most RB_TICK_MS later).
	 * No worker ever reads a configuration another thread may write. */
	pthread_mutex_t cfg_lock;
	struct rb_config live;
	uint32_t cfg_gen; /* atomic */
	int argc;
	char *const *argv;
	struct rb_policy policy;
	struct rb_registry *reg;
	enum rb_backend backend; /* the one running */
	unsigned nworkers;
	struct rb_worker *workers;
	uint32_t total_conns;     /* atomic, across workers */
	int ctl_wake_fd;          /* workers wake the control thread here */
	struct rb_stats ctl_stats; /* counters of the registry's writer */
	/* Metrics' request counters: one per worker, the control thread's
	 * last (nworkers + 1), each on lines of its own. */
	struct rb_rq_slot *rq;
	struct rb_passed_set *passed; /* systemd socket activation */
	struct rb_rrl *fwd_rrl;    /* remote calls forwarded per source (-r) */
	/* TCPMUX (--tcpmux): /etc/rpc's names, read once at start and never
	 * changed (workers read it freely), and mux connections across
	 * workers (atomic, against --tcpmux-max-conn). */
	struct rb_rpcnames *rpcnames;
	uint32_t tcpmux_conns;
	/* Start-up handshake with the workers. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned started;
	int start_err;
};

/* The signals the control thread takes through its signalfd (and every
 * thread blocks). */
void rb_daemon_signals(sigset_t *set);
/* The handlers' policy from a configuration (trusted points into c). */
void rb_policy_from_config(struct rb_policy *p, const struct rb_config *c);
/* GETSTAT's view: every thread's counters summed into *out. */
void rb_daemon_collect_stats(void *daemon, struct rb_stats *out);
/* Runs the daemon until SIGTERM/SIGINT. Returns an exit status. */
/* argv is kept: SIGHUP rebuilds the configuration from the file and it.
 * bulk (or NULL): the registry's allocator once large (registry.h). */
int rb_daemon_run(const struct rb_config *cfg, int argc, char *const argv[],
		  const struct rb_registry_bulk *bulk);


#endif
