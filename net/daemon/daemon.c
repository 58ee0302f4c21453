#include "net/daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net/features/forward.h"
#include "net/transport/listen.h"
#include "net/base/notify.h"
#include "net/base/privs.h"
#include "net/control/sockdiag.h"
#include "net/transport/steer.h"
#include "net/features/tcpmux.h"
#include "net/ops/watchdog.h"
#include "net/transport/policy.h"

/* GETSTAT's view: every thread's counters summed into *out (any thread;
 * the workers' and the control thread's rb_worker_env / rb_control_env
 * collect_stats). */
static void collect_stats(void *arg, struct rb_stats *out)
{
	struct rb_daemon *d = arg;
	rb_stats_merge(out, &d->ctl_stats);
	for (unsigned i = 0; i < d->nworkers; i++)
		rb_stats_merge(out, &d->workers[i].stats);
}

/* The registrations rpcbind makes for itself, in its order. */
static int self_register(struct rb_daemon *d, bool have_v6, const char *path)
{
	char v4[32], v6[32];
	unsigned p = d->cfg.port;
	snprintf(v4, sizeof(v4), "0.0.0.0.%u.%u", p >> 8, p & 0xff);
	snprintf(v6, sizeof(v6), "::.%u.%u", p >> 8, p & 0xff);
	static const struct {
		const char *netid;
		uint32_t vers[3];
	} order[] = {
		{ "tcp6", { 4, 3, 0 } }, { "udp6", { 4, 3, 0 } },
		{ "tcp", { 4, 3, 2 } },  { "udp", { 4, 3, 2 } },
		{ "local", { 4, 3, 0 } },
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *nid = order[i].netid;
		const char *ua = nid[3] == '6' ? v6 : strcmp(nid, "local") == 0 ? path : v4;
		if (nid[3] == '6' && !have_v6)
			continue;
		for (int k = 0; k < 3 && order[i].vers[k]; k++) {
			int r = rb_registry_set(d->reg, RB_PROG_RPCBIND, order[i].vers[k],
						nid, ua, "superuser");
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* CPUs of the process's affinity mask, so taskset and cpusets count. */
static unsigned affinity_cpus(int *cpus, unsigned cap)
{
	cpu_set_t set;
	unsigned n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && n < cap; c++)
			if (CPU_ISSET(c, &set))
				cpus[n++] = c;
	if (n == 0) {
		long k = sysconf(_SC_NPROCESSORS_ONLN);
		for (long c = 0; c < k && n < cap; c++)
			cpus[n++] = (int)c;
	}
	return n ? n : 1;
}

static void *worker_main(void *arg)
{
	struct rb_worker *w = arg;
	/* This thread owns the worker, its connections and its features'
	 * state from here on (RB_ASSERT_OWNER). */
	w->owner = pthread_self();
	if (w->fwd)
		w->fwd->owner = w->owner;
	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	int r = w->env->backend == RB_BACKEND_URING ? rb_worker_run_uring(w) : rb_worker_run_epoll(w);
	if (r < 0)
		rb_log("worker %u stopped: %s", w->id, strerror(-r));
	/* A backend that failed before it was serving has not reported. */
	rb_worker_started(w, r < 0 ? r : -EIO);
	return NULL;
}

/* A UDP or TCP listener for worker wid: each worker its own socket, in
 * one SO_REUSEPORT group per address, so that a datagram or connection
 * wakes one worker and the kernel spreads them. Under socket activation
 * worker 0 serves the socket systemd passed (it stays in the group, and
 * what queued on it while no daemon ran is answered) and the others bind
 * their own beside it (net/transport/activation.h says why the kernel allows it).
 * Should that be refused, they share the passed socket (*shared: the
 * epoll backend then waits on it with EPOLLEXCLUSIVE) and the log says so. */
static int inet_listener(struct rb_daemon *d, unsigned wid, int type,
			 const struct rb_bind_addr *a, bool *shared, bool *beside)
{
	struct rb_passed *p = NULL;
	*shared = *beside = false;
	int fd = rb_passed_take_inet(d->passed, type, a, d->cfg.port, &p);
	if (fd == -ENOENT)
		return rb_listen_inet(type, a, d->cfg.port);
	if (fd < 0 || wid == 0)
		return fd;
	int own = rb_listen_inet(type, a, d->cfg.port);
	if (own >= 0) {
		p->grouped = *beside = true;
		return own;
	}
	if (own != -EADDRINUSE && own != -EPERM && own != -EACCES)
		return own;
	if (wid == 1)
		rb_logl(RB_LOG_WARNING,
			"socket activation: cannot bind a %s socket per worker beside fd %d (%s): "
			"the workers share it (one core does the work of several)",
			type == SOCK_DGRAM ? "datagram" : "stream", fd, strerror(-own));
	*shared = true;
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return dfd < 0 ? -errno : dfd;
}

static int open_listeners(struct rb_daemon *d, struct rb_worker *w,
			  const struct rb_bind_addr *addrs, unsigned naddrs,
			  bool *have_v6)
{
	for (unsigned i = 0; i < naddrs; i++) {
		const struct rb_bind_addr *a = &addrs[i];
		bool v6 = a->family == RB_AF_INET6;
		bool ush, tsh, ub, tb;
		int u = inet_listener(d, w->id, SOCK_DGRAM, a, &ush, &ub);
		if (u == -EAFNOSUPPORT && v6)
			continue; /* no IPv6 on this host: serve IPv4 only */
		if (u < 0)
			return u;
		int t = inet_listener(d, w->id, SOCK_STREAM, a, &tsh, &tb);
		if (t < 0) {
			close(u);
			return t;
		}
		w->udp[w->n_udp].fd = u;
		w->udp[w->n_udp].shared = ush;
		w->udp[w->n_udp].beside_passed = ub;
		w->udp[w->n_udp++].netid = v6 ? RB_NETID_UDP6 : RB_NETID_UDP;
		w->tcp[w->n_tcp].fd = t;
		w->tcp[w->n_tcp].shared = tsh;
		w->tcp[w->n_tcp].beside_passed = tb;
		w->tcp[w->n_tcp++].netid = v6 ? RB_NETID_TCP6 : RB_NETID_TCP;
		if (v6)
			*have_v6 = true;
	}
	return 0;
}

/* Worker i's socket is the i-th of each group (bound in worker order, the
 * passed one first): the program picks the worker (net/transport/steer.h). Nothing
 * to pick from with one worker, or where the workers share a socket. */
static int steer_groups(struct rb_daemon *d)
{
	int cpus[RB_CONFIG_WORKERS_MAX];
	struct rb_worker *w0 = &d->workers[0];
	if (d->nworkers < 2)
		return 0;
	for (unsigned i = 0; i < d->nworkers; i++)
		cpus[i] = d->workers[i].cpu;
	const struct rb_worker *w1 = &d->workers[1];
	for (unsigned k = 0; k < w0->n_udp + w0->n_tcp; k++) {
		const struct rb_listener *l = k < w0->n_udp ? &w0->udp[k] : &w0->tcp[k - w0->n_udp];
		/* (Worker 0 serves the passed socket itself; the others say
		 * whether they could bind beside it.) */
		if (k < w1->n_udp ? w1->udp[k].shared : w1->tcp[k - w1->n_udp].shared)
			continue;
		int r = rb_steer_attach(l->fd, d->cfg.steering, d->nworkers, cpus);
		if (r < 0)
			return r;
	}
	rb_log("socket steering: %s, %u workers with a socket each per address",
	       rb_steer_name(d->cfg.steering), d->nworkers);
	return 0;
}

static void choose_backend(struct rb_daemon *d)
{
	const char *why = "";
	if (d->cfg.backend == RB_BACKEND_EPOLL) {
		d->backend = RB_BACKEND_EPOLL;
		rb_log("backend: epoll (forced by --backend)");
		return;
	}
	int r = rb_uring_probe(&why);
	if (r == 0) {
		d->backend = RB_BACKEND_URING;
		rb_log("backend: io_uring%s", d->cfg.backend == RB_BACKEND_URING ? " (forced)" : "");
		return;
	}
	d->backend = d->cfg.backend == RB_BACKEND_URING ? RB_BACKEND_URING : RB_BACKEND_EPOLL;
	if (d->backend == RB_BACKEND_EPOLL)
		rb_log("backend: epoll, because %s (%s)", why, strerror(-r));
}


/* ---- the features' hooks: what the transport calls of them ---- */

static int fwd_fd(const struct rb_fwd *f, unsigned fam)
{
	return f->fd[fam];
}

static void fwd_free(struct rb_fwd *f)
{
	rb_fwd_fini(f);
	free(f);
}

static const struct rb_feature_ops features = {
	.fwd_fd = fwd_fd,
	.fwd_start = rb_fwd_start,
	.fwd_on_reply = rb_fwd_on_reply,
	.fwd_expire = rb_fwd_expire,
	.fwd_free = fwd_free,
	.mux_fd = rb_tcpmux_fd,
	.mux_run = rb_tcpmux_run,
	.mux_tick = rb_tcpmux_tick,
	.mux_fini = rb_tcpmux_fini,
};

/* Remote calls (-r): worker w's table and sockets, made before its thread
 * starts and that thread's alone from then on. One forward rate table for
 * all workers: the daemon's. */
static int attach_fwd(struct rb_daemon *d, struct rb_worker *w)
{
	struct rb_fwd *f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	int r = rb_fwd_init(f, w->id == 0, d->fwd_rrl);
	if (r < 0) {
		free(f);
		return r;
	}
	w->fwd = f;
	w->serve.fwd = f;
	w->serve.fwd_start = rb_fwd_start;
	return 0;
}

/* The watchdog's question (rb_alive_fn): the control thread, then every
 * worker, looped within RB_READY_BOUND_MS. */
static bool all_alive(void *arg, uint64_t now_ms, char *why, size_t cap)
{
	const struct rb_daemon *d = arg;
	uint64_t chb = __atomic_load_n(&d->msrc.ctl->heartbeat_ms, __ATOMIC_RELAXED);
	unsigned stuck = 0;
	if (now_ms > chb && now_ms - chb > RB_READY_BOUND_MS) {
		snprintf(why, cap, "the control thread has not run for over %u ms",
			 RB_READY_BOUND_MS);
		return false;
	}
	if (!rb_workers_alive(d->workers, d->nworkers, now_ms, &stuck)) {
		snprintf(why, cap, "worker %u has not run for over %u ms", stuck, RB_READY_BOUND_MS);
		return false;
	}
	return true;
}

/* ---- rb_daemon_run's phases ---- */

/* The daemon's state as started from cfg; NULL when out of memory. */
static struct rb_daemon *daemon_new(const struct rb_config *cfg, int argc, char *const argv[])
{
	struct rb_daemon *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->cfg = *cfg;
	d->pub.live = *cfg;
	d->argc = argc;
	d->argv = argv;
	rb_policy_from_config(&d->policy, &d->cfg);
	d->ctl_wake_fd = -1;
	pthread_mutex_init(&d->gate.lock, NULL);
	pthread_mutex_init(&d->pub.lock, NULL);
	pthread_cond_init(&d->gate.cond, NULL);
	rb_stats_init(&d->ctl_stats);
	return d;
}

/* The narrow views each part is given of d (and of ctl). */
static void fill_views(struct rb_daemon *d, struct rb_control *ctl)
{
	d->wenv = (struct rb_worker_env){
		.reg = d->reg,
		.cfg = &d->pub,
		.gate = &d->gate,
		.nworkers = d->nworkers,
		.backend = d->backend,
		.total_conns = &d->total_conns,
		.ctl_wake_fd = d->ctl_wake_fd,
		.collect_stats = collect_stats,
		.collect_arg = d,
		.feat = &features,
	};
	d->msrc = (struct rb_metrics_src){
		.ctl = ctl,
		.workers = d->workers,
		.nworkers = d->nworkers,
		.backend = &d->backend,
		.reg = d->reg,
		.total_conns = &d->total_conns,
		.cfg_gen = &d->pub.gen,
		.rq = d->rq,
	};
	d->cenv = (struct rb_control_env){
		.cfg = &d->cfg,
		.policy = &d->policy,
		.pub = &d->pub,
		.argc = d->argc,
		.argv = d->argv,
		.reg = d->reg,
		.stats = &d->ctl_stats,
		.wake_fd = d->ctl_wake_fd,
		.workers = d->workers,
		.nworkers = d->nworkers,
		.total_conns = &d->total_conns,
		.collect_stats = collect_stats,
		.collect_arg = d,
		.http_render = rb_metrics_http,
		.http_arg = &d->msrc,
	};
}

/* Before any worker: passed sockets, the registry, the run user, the
 * control thread's wake-up, the addresses to bind, the backend. */
static int prepare(struct rb_daemon *d, const struct rb_registry_bulk *bulk, const char *run_user,
		   struct rb_bind_addr *addrs, unsigned *naddrs)
{
	const struct rb_config *cfg = &d->cfg;
	char err[256] = "";
	int r;
	d->passed = calloc(1, sizeof(*d->passed));
	if (!d->passed || rb_passed_collect(d->passed, err, sizeof(err)) < 0) {
		rb_logl(RB_LOG_ERR, "%s", err[0] ? err : "out of memory");
		return -1;
	}
	if (d->passed->n)
		rb_log("socket activation: %u sockets passed", d->passed->n);
	d->fwd_rrl = malloc(sizeof(*d->fwd_rrl));
	if (!d->fwd_rrl)
		return -1;
	rb_rrl_init(d->fwd_rrl, RB_FWD_RATE, RB_FWD_BURST);
	if ((r = rb_registry_new(&d->reg)) < 0) {
		rb_log("cannot create the registry: %s", strerror(-r));
		return -1;
	}
	rb_registry_set_bulk(d->reg, bulk);
	/* A missing run user stops the start before anything is bound. */
	if (run_user && rb_privs_prepare(run_user, cfg->state_dir, err, sizeof(err)) < 0) {
		rb_log("%s", err);
		return -1;
	}
	d->ctl_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->ctl_wake_fd < 0 || rb_bind_addrs(cfg, addrs, RB_LISTEN_MAX, naddrs, err, sizeof(err))) {
		rb_log("%s", err[0] ? err : "eventfd failed");
		return -1;
	}
	choose_backend(d);
	if (d->backend == RB_BACKEND_URING && cfg->backend == RB_BACKEND_URING) {
		const char *why = "";
		if ((r = rb_uring_probe(&why)) < 0) {
			rb_log("--backend uring: %s (%s)", why, strerror(-r));
			return -1;
		}
	}
	return 0;
}

/* The workers' memory, and /etc/rpc's names for TCPMUX (once; without
 * it, program numbers only). */
static int alloc_workers(struct rb_daemon *d, unsigned ncpu)
{
	const struct rb_config *cfg = &d->cfg;
	d->nworkers = cfg->workers ? cfg->workers : ncpu;
	/* aligned_alloc: the struct's own alignment (a cache line), which
	 * calloc does not promise. */
	d->workers = aligned_alloc(_Alignof(struct rb_worker), d->nworkers * sizeof(*d->workers));
	if (d->workers)
		memset(d->workers, 0, d->nworkers * sizeof(*d->workers));
	d->rq = aligned_alloc(_Alignof(struct rb_rq_slot), (d->nworkers + 1) * sizeof(*d->rq));
	if (d->rq)
		memset(d->rq, 0, (d->nworkers + 1) * sizeof(*d->rq));
	if (!d->workers || !d->rq)
		return -1;
	if (cfg->tcpmux_on) {
		int r = rb_rpcnames_load(RB_RPC_NAMES_FILE, &d->rpcnames);
		if (!d->rpcnames)
			return -1;
		if (r < 0)
			rb_log("--tcpmux: %s: %s (names are program numbers only)",
			       RB_RPC_NAMES_FILE, strerror(-r));
	}
	return 0;
}

/* Worker i, its sockets and its features, before its thread starts. */
static int setup_worker(struct rb_daemon *d, unsigned i, int cpu, const struct rb_bind_addr *addrs,
			unsigned naddrs, bool *have_v6)
{
	const struct rb_config *cfg = &d->cfg;
	struct rb_worker *w = &d->workers[i];
	int r;
	if ((r = rb_worker_init(w, &d->wenv, i, cpu)) < 0 ||
	    (d->policy.remote_calls && (r = attach_fwd(d, w)) < 0)) {
		rb_log("worker %u: %s", i, strerror(-r));
		return r;
	}
	w->serve.rq = &d->rq[i].s;
	if ((r = open_listeners(d, w, addrs, naddrs, have_v6)) < 0) {
		rb_log("cannot bind port %u: %s", cfg->port, strerror(-r));
		return r;
	}
	/* A socket the others share is worker 0's passed one: it waits
	 * on it as they do (EPOLLEXCLUSIVE), or every one would wake. */
	for (unsigned k = 0; i == 1 && k < w->n_udp; k++)
		d->workers[0].udp[k].shared |= w->udp[k].shared;
	for (unsigned k = 0; i == 1 && k < w->n_tcp; k++)
		d->workers[0].tcp[k].shared |= w->tcp[k].shared;
	if (cfg->tcpmux_on &&
	    (r = rb_tcpmux_init(w, cfg, d->rpcnames, &d->tcpmux_conns)) < 0) {
		rb_log("--tcpmux: cannot serve port %u: %s", cfg->tcpmux_port, strerror(-r));
		return r;
	}
	return 0;
}

/* The control thread's state: the AF_LOCAL listeners, the metrics
 * endpoint, the registrations restored from the state directory. */
static int setup_control(struct rb_daemon *d, struct rb_control *ctl, bool *ctl_ready)
{
	const struct rb_config *cfg = &d->cfg;
	int r;
	if ((r = rb_control_init(ctl, &d->cenv)) < 0) {
		rb_log("control thread: %s", strerror(-r));
		return r;
	}
	*ctl_ready = true;
	ctl->serve.rq = &d->rq[d->nworkers].s;
	if ((r = rb_control_listen(ctl, RB_LOCAL_SOCK_PATH, d->passed)) < 0)
		return r;
	rb_passed_close_unused(d->passed);
	if (cfg->metrics_on && (r = rb_control_metrics(ctl, cfg->metrics_host, cfg->metrics_port)) < 0) {
		rb_logl(RB_LOG_ERR, "--metrics %s:%u: %s (--metrics off disables the endpoint)",
			cfg->metrics_host, cfg->metrics_port, strerror(-r));
		return r;
	}
	/* Restore saved registrations before anything is served. */
	if ((r = rb_durable_start(&ctl->du, d->reg, &d->ctl_stats, cfg, &d->policy)) < 0)
		return r;
	ctl->du.owns_port = cfg->check_owner_port ? rb_sockdiag_owns_port : NULL;
	return 0;
}

/* Every socket is bound and the state directory open: root is no longer
 * needed. The workers start (and create their rings) after. */
static int drop_privileges(struct rb_daemon *d, const char *run_user)
{
	char err[256] = "";
	int r;
	unsigned keep = d->backend == RB_BACKEND_URING ? RB_PRIVS_KEEP_IPC_LOCK : 0u;
	if (rb_privs_drop(run_user, d->cfg.state_dir, keep, err, sizeof(err)) < 0) {
		rb_log("-s/--user: %s", err);
		return -1;
	}
	rb_log("%s", err);
	/* io_uring may be refused to the new user (io_uring_disabled=1 lets
	 * only privileged users or io_uring_group in; ring memory now counts
	 * against its RLIMIT_MEMLOCK): ask again as it. */
	const char *why = "";
	if (d->backend == RB_BACKEND_URING && (r = rb_uring_probe(&why)) < 0) {
		if (d->cfg.backend == RB_BACKEND_URING) {
			rb_log("--backend uring: not as user %s: %s (%s)", run_user, why, strerror(-r));
			return -1;
		}
		d->backend = RB_BACKEND_EPOLL;
		rb_log("backend: epoll, because as user %s %s (%s)", run_user, why, strerror(-r));
	}
	return 0;
}

/* Starts the workers' threads (*spawned: how many) and waits until each
 * serves or failed; -1 when one could not. */
static int start_workers(struct rb_daemon *d, struct rb_control *ctl, unsigned *spawned)
{
	d->wenv.backend = d->backend; /* as the privilege drop left it */
	/* Alive from the start (for /readyz and the watchdog): a worker's
	 * first loop iteration may wait up to RB_TICK_MS for an event. */
	rb_serve_tick(&ctl->serve);
	for (unsigned i = 0; i < d->nworkers; i++)
		d->workers[i].heartbeat_ms = ctl->serve.now_ms;
	for (; *spawned < d->nworkers; (*spawned)++) {
		if (pthread_create(&d->workers[*spawned].thread, NULL, worker_main,
				   &d->workers[*spawned]) != 0) {
			rb_log("cannot start worker %u", *spawned);
			return -1;
		}
	}
	pthread_mutex_lock(&d->gate.lock);
	while (d->gate.started < d->nworkers)
		pthread_cond_wait(&d->gate.cond, &d->gate.lock);
	pthread_mutex_unlock(&d->gate.lock);
	if (d->gate.err) {
		/* A worker that cannot serve would leave its share of the
		 * SO_REUSEPORT traffic unanswered: do not start at all. */
		rb_log("a worker could not start (%s): not starting", strerror(-d->gate.err));
		return -1;
	}
	return 0;
}

/* Ready: tells systemd, runs the control thread until a stop signal.
 * Returns the exit status. */
static int serve(struct rb_daemon *d, struct rb_control *ctl)
{
	int r;
	rb_log("ready: port %u, %u workers, backend %s", d->cfg.port, d->nworkers,
	       d->backend == RB_BACKEND_URING ? "io_uring" : "epoll");
	ctl->heartbeat_ms = ctl->serve.now_ms;
	rb_control_status(ctl);
	rb_notify("READY=1");
	struct rb_watchdog wd;
	if ((r = rb_watchdog_start(&wd, all_alive, d)) < 0)
		rb_logl(RB_LOG_ERR, "watchdog thread: %s (no WATCHDOG=1 pings)", strerror(-r));
	/* After a restart: which restored services are gone? (Also every
	 * RB_STALE_SCAN_MS, and on SIGUSR1.) */
	rb_serve_tick(&ctl->serve);
	ctl->next_stale_ms = ctl->serve.now_ms + RB_STALE_SCAN_MS;
	rb_control_scan_stale(ctl, false);
	int status = rb_control_run(ctl) == 0 ? 0 : 1;
	rb_notify("STOPPING=1");
	rb_watchdog_stop(&wd);
	return status;
}

static void stop_workers(struct rb_daemon *d, unsigned spawned)
{
	/* Under activation, what arrives from now on queues on the sockets
	 * systemd holds for the next run, not on ours about to close. */
	if (rb_passed_steer_to_held(d->passed))
		rb_log("stopping: new calls queue on the sockets systemd holds");
	for (unsigned i = 0; i < spawned; i++) {
		__atomic_store_n(&d->workers[i].stop, 1, __ATOMIC_RELEASE);
		rb_wake(d->workers[i].wake_fd);
	}
	for (unsigned i = 0; i < spawned; i++)
		pthread_join(d->workers[i].thread, NULL);
}

static void daemon_free(struct rb_daemon *d)
{
	if (d->workers) {
		/* Replies still queued for workers that are gone: apply
		 * nothing new, just free them (their clients retry). */
		for (unsigned i = 0; i < d->nworkers; i++) {
			struct rb_mut_msg *m;
			while ((m = rb_mailbox_pop_req(&d->workers[i].mbox)))
				free(m);
			if (d->workers[i].reader)
				rb_worker_fini(&d->workers[i]);
		}
		free(d->workers);
	}
	if (d->ctl_wake_fd >= 0)
		close(d->ctl_wake_fd);
	rb_registry_free(d->reg);
	free(d->rq);
	free(d->passed);
	pthread_mutex_destroy(&d->gate.lock);
	pthread_mutex_destroy(&d->pub.lock);
	pthread_cond_destroy(&d->gate.cond);
	free(d->fwd_rrl);
	free(d->rpcnames);
	free(d);
}

int rb_daemon_run(const struct rb_config *cfg, int argc, char *const argv[],
		  const struct rb_registry_bulk *bulk)
{
	struct rb_daemon *d = daemon_new(cfg, argc, argv);
	struct rb_control *ctl = calloc(1, sizeof(*ctl));
	int status = 1, r;
	struct rb_bind_addr addrs[RB_LISTEN_MAX];
	unsigned naddrs = 0, spawned = 0;
	bool have_v6 = false, ctl_ready = false;
	int cpus[RB_CONFIG_WORKERS_MAX];
	/* -s / --user: who the daemon becomes once everything is bound. */
	const char *run_user = cfg->user[0] ? cfg->user : cfg->secure_user ? RB_CONFIG_RUN_USER : NULL;

	rb_log_init(cfg->log_target, cfg->log_level, cfg->foreground);
	if (!d || !ctl)
		goto out;
	/* Signals go to the control thread's signalfd only: block them
	 * before any thread exists, so every thread inherits the mask. */
	sigset_t set;
	rb_control_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (prepare(d, bulk, run_user, addrs, &naddrs) < 0)
		goto out;
	unsigned ncpu = affinity_cpus(cpus, RB_CONFIG_WORKERS_MAX);
	if (alloc_workers(d, ncpu) < 0)
		goto out;
	fill_views(d, ctl);
	for (unsigned i = 0; i < d->nworkers; i++) {
		/* Pin only when there is a CPU for each worker. */
		int cpu = d->nworkers <= ncpu ? cpus[i] : -1;
		if (setup_worker(d, i, cpu, addrs, naddrs, &have_v6) < 0)
			goto out;
	}
	if ((r = steer_groups(d)) < 0) {
		rb_log("--socket-steering %s: %s", rb_steer_name(cfg->steering), strerror(-r));
		goto out;
	}
	if (setup_control(d, ctl, &ctl_ready) < 0)
		goto out;
	if (run_user && drop_privileges(d, run_user) < 0)
		goto out;
	if ((r = self_register(d, have_v6, RB_LOCAL_SOCK_PATH)) < 0) {
		rb_log("self-registration failed: %s", strerror(-r));
		goto out;
	}
	if (start_workers(d, ctl, &spawned) == 0)
		status = serve(d, ctl);
	stop_workers(d, spawned);
out:
	if (ctl_ready)
		rb_control_fini(ctl);
	if (d)
		daemon_free(d);
	free(ctl);
	return status;
}
