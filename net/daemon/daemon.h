/* The assembly: the daemon's state, owned here, and the narrow views of
 * it each part is given (a worker's environment, the control thread's,
 * the metrics' source, the features' hooks), and how they start and stop.
 * The only room that includes every other (ARCHITECTURE.md). */
#ifndef RB_NET_DAEMON_H
#define RB_NET_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/ratelimit.h"
#include "core/tcpmux_proto.h"
#include "net/control/control.h"
#include "net/ops/metrics.h"
#include "net/transport/activation.h"
#include "net/transport/worker.h"
#include "registry/procs/dispatch.h"
#include "registry/store/registry.h"

/* The AF_LOCAL socket rpcbind and libtirpc use, and its abstract twin. */
#define RB_LOCAL_SOCK_PATH "/run/rpcbind.sock"

struct rb_daemon {
	/* As started; the control thread alone updates its run-time options
	 * on SIGHUP (and policy with them), and publishes them to the
	 * workers through pub. */
	struct rb_config cfg;
	struct rb_cfg_pub pub;
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
	struct rb_start_gate gate; /* the workers' start-up handshake */
	/* What each part sees of the above (filled in by rb_daemon_run). */
	struct rb_worker_env wenv;
	struct rb_control_env cenv;
	struct rb_metrics_src msrc;
};

/* Runs the daemon until SIGTERM/SIGINT. Returns an exit status.
 * argv is kept: SIGHUP rebuilds the configuration from the file and it.
 * bulk (or NULL): the registry's allocator once large (registry.h). */
int rb_daemon_run(const struct rb_config *cfg, int argc, char *const argv[],
		  const struct rb_registry_bulk *bulk);

#endif
