#include "net/ops/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "net/base/owner.h"
#include "net/control/control.h"
#include "net/control/inventory.h"
#include "version.h"

static bool workers_alive(const struct rb_metrics_src *m, uint64_t now_ms, unsigned *stuck)
{
	return rb_workers_alive(m->workers, m->nworkers, now_ms, stuck);
}

static void head(struct rb_text *t, const char *name, const char *type, const char *help)
{
	rb_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample of a series with one label: name{label="value"} v. */
static void sample1(struct rb_text *t, const char *name, const char *label, const char *value,
		    uint64_t v)
{
	rb_text_printf(t, "%s{%s=\"%s\"} %llu\n", name, label, value, (unsigned long long)v);
}

/* Counters a drop is counted in, and the reason label each gets. */
static const struct {
	size_t off;
	const char *reason;
} drops[] = {
	{ offsetof(struct rb_counters, udp_dropped_big), "udp_oversize" },
	{ offsetof(struct rb_counters, udp_send_refused), "udp_send_refused" },
	{ offsetof(struct rb_counters, tcp_refused_cap), "connection_cap" },
	{ offsetof(struct rb_counters, accept_paused), "accept_paused" },
	{ offsetof(struct rb_counters, tcp_oversize), "record_oversize" },
	{ offsetof(struct rb_counters, tcp_reaped_idle), "idle_timeout" },
	{ offsetof(struct rb_counters, tcp_dropped_blocked), "blocked_timeout" },
	{ offsetof(struct rb_counters, no_reply), "no_reply" },
	{ offsetof(struct rb_counters, mailbox_full), "mailbox_full" },
	{ offsetof(struct rb_counters, fwd_table_full), "forward_table_full" },
	{ offsetof(struct rb_counters, fwd_rate_limited), "forward_rate_limited" },
};

static uint64_t field(const struct rb_counters *c, size_t off)
{
	return *(const uint64_t *)(const void *)((const char *)c + off);
}

static void render_requests(struct rb_text *t, const struct rb_reqstats *rq)
{
	head(t, "ringbind_requests_total", "counter",
	     "Calls answered (or dropped), by program 100000 version, procedure, transport and result.");
	for (unsigned v = 0; v < RB_RQ_VERS; v++)
		for (unsigned p = 0; p < RB_RQ_PROCS; p++)
			for (unsigned x = 0; x < RB_RQ_TRANSPORTS; x++)
				for (unsigned r = 0; r < RB_RQ_RESULTS; r++) {
					uint64_t n = rq->n[v][p][x][r];
					if (!n)
						continue;
					rb_text_printf(t,
						       "ringbind_requests_total{version=\"%s\",procedure=\"%s\","
						       "transport=\"%s\",result=\"%s\"} %llu\n",
						       rb_rq_vers_name(v), rb_rq_proc_name(v, p),
						       rb_rq_transport_name(x), rb_rq_result_name(r),
						       (unsigned long long)n);
				}
	head(t, "ringbind_request_duration_seconds", "histogram",
	     "Time a call spent in the daemon, from its arrival to its reply being queued (SET/UNSET: until durable).");
	uint64_t cum = 0;
	for (unsigned b = 0; b < RB_RQ_BUCKETS; b++) {
		cum += rq->bucket[b];
		rb_text_printf(t, "ringbind_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			       (double)rb_rq_bucket_ns[b] / 1e9, (unsigned long long)cum);
	}
	cum += rq->bucket[RB_RQ_BUCKETS];
	rb_text_printf(t, "ringbind_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		       (unsigned long long)cum);
	rb_text_printf(t, "ringbind_request_duration_seconds_sum %.9f\n", (double)rq->sum_ns / 1e9);
	rb_text_printf(t, "ringbind_request_duration_seconds_count %llu\n", (unsigned long long)cum);
}

/* What the daemon is: build, backend, workers, registry, connections. */
static void render_overview(const struct rb_metrics_src *m, struct rb_text *t)
{
	const struct rb_control *ctl = m->ctl;
	head(t, "ringbind_build_info", "gauge", "Build of the running daemon.");
	rb_text_printf(t, "ringbind_build_info{version=\"%s\"} 1\n", RB_VERSION_STRING);
	head(t, "ringbind_backend_info", "gauge", "Event loop backend of the workers.");
	rb_text_printf(t, "ringbind_backend_info{backend=\"%s\"} 1\n",
		       *m->backend == RB_BACKEND_URING ? "io_uring" : "epoll");
	head(t, "ringbind_workers", "gauge", "Worker threads.");
	rb_text_printf(t, "ringbind_workers %u\n", m->nworkers);
	unsigned stuck = 0;
	head(t, "ringbind_workers_ready", "gauge", "1 when every worker looped within the readiness bound.");
	rb_text_printf(t, "ringbind_workers_ready %d\n",
		       workers_alive(m, ctl->serve.now_ms, &stuck) ? 1 : 0);
	head(t, "ringbind_registrations", "gauge", "Registrations in the registry (ours included).");
	rb_text_printf(t, "ringbind_registrations %zu\n", rb_registry_count(m->reg));
	head(t, "ringbind_registrations_stale", "gauge",
	     "Registrations whose port or socket nothing is bound to (last scan).");
	rb_text_printf(t, "ringbind_registrations_stale %u\n",
		       ctl->stale ? ctl->stale->n + ctl->stale->overflow : 0u);
	rb_inventory_render(t, m->reg, ctl->stale);
	head(t, "ringbind_connections", "gauge", "Open stream connections, by transport.");
	rb_text_printf(t, "ringbind_connections{transport=\"tcp\"} %u\n",
		       __atomic_load_n(m->total_conns, __ATOMIC_RELAXED));
	rb_text_printf(t, "ringbind_connections{transport=\"local\"} %u\n", ctl->live);
}

/* Per worker (issue 16): how the kernel spread the calls over the workers'
 * sockets, and how often each loop waited for an event. */
static void render_per_worker(const struct rb_metrics_src *m, struct rb_text *t)
{
	static const struct {
		size_t off;
		const char *name, *help;
	} per_worker[] = {
		{ offsetof(struct rb_counters, udp_replies), "ringbind_worker_udp_replies_total",
		  "UDP replies sent, by worker." },
		{ offsetof(struct rb_counters, tcp_accepted), "ringbind_worker_tcp_accepted_total",
		  "TCP connections accepted, by worker." },
		{ offsetof(struct rb_counters, tcp_records), "ringbind_worker_tcp_records_total",
		  "Stream records (calls) handled, by worker." },
		{ offsetof(struct rb_counters, getstat_refreshed),
		  "ringbind_worker_getstat_cache_refreshes_total",
		  "GETSTAT merges made to refresh the worker's cached answer for untrusted callers "
		  "(at most one per RB_GETSTAT_CACHE_MS), by worker." },
		{ offsetof(struct rb_counters, loop_waits), "ringbind_worker_loop_waits_total",
		  "Loop turns that waited for an event (at most one wake-up each), by worker." },
	};
	for (size_t k = 0; k < sizeof(per_worker) / sizeof(per_worker[0]); k++) {
		head(t, per_worker[k].name, "counter", per_worker[k].help);
		for (unsigned i = 0; i < m->nworkers; i++)
		{
			/* The worker writes it meanwhile: an atomic load. */
			const uint64_t *c = (const uint64_t *)(const void *)
				((const char *)&m->workers[i].counters + per_worker[k].off);
			rb_text_printf(t, "%s{worker=\"%u\"} %llu\n", per_worker[k].name, i,
				       (unsigned long long)__atomic_load_n(c, __ATOMIC_RELAXED));
		}
	}
}

/* GETSTAT answers, rate limiting and drops, from the summed counters. */
static void render_traffic(const struct rb_counters *sum, struct rb_text *t)
{
	head(t, "ringbind_getstat_total", "counter",
	     "GETSTAT answers: merged now (trusted callers), merged to refresh a worker's cache, "
	     "or from the cache (untrusted callers).");
	rb_text_printf(t, "ringbind_getstat_total{answer=\"merged\"} %llu\n",
		       (unsigned long long)sum->getstat_merged);
	rb_text_printf(t, "ringbind_getstat_total{answer=\"cache_refresh\"} %llu\n",
		       (unsigned long long)sum->getstat_refreshed);
	rb_text_printf(t, "ringbind_getstat_total{answer=\"cached\"} %llu\n",
		       (unsigned long long)sum->getstat_cached);
	head(t, "ringbind_rate_limited_total", "counter",
	     "UDP calls dropped by response-rate limiting (untrusted sources).");
	rb_text_printf(t, "ringbind_rate_limited_total %llu\n", (unsigned long long)sum->rate_limited);
	head(t, "ringbind_dropped_total", "counter", "Calls, replies or connections dropped, by reason.");
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
		rb_text_printf(t, "ringbind_dropped_total{reason=\"%s\"} %llu\n", drops[i].reason,
			       (unsigned long long)field(sum, drops[i].off));
}

/* The control thread's: SET/UNSET refused, commits, compactions, reaping,
 * reloads. */
static void render_durability(const struct rb_metrics_src *m, struct rb_text *t)
{
	const struct rb_control *ctl = m->ctl;
	head(t, "ringbind_mutations_refused_total", "counter", "SET/UNSET answered FALSE, by reason.");
	sample1(t, "ringbind_mutations_refused_total", "reason", "policy", ctl->du.refused);
	sample1(t, "ringbind_mutations_refused_total", "reason", "no_state", ctl->du.refused_no_state);
	head(t, "ringbind_commit_failures_total", "counter",
	     "Group commits that failed (their SET/UNSET never published, answered FALSE).");
	rb_text_printf(t, "ringbind_commit_failures_total %llu\n",
		       (unsigned long long)ctl->du.commit_failures);
	head(t, "ringbind_state_writable", "gauge",
	     "1 when a SET/UNSET can be made durable (state directory open for writing, last "
	     "commit succeeded); 0 while they are answered FALSE.");
	rb_text_printf(t, "ringbind_state_writable %d\n", rb_durable_writable(&ctl->du) ? 1 : 0);
	head(t, "ringbind_compactions_total", "counter", "Compactions of the state, by result.");
	sample1(t, "ringbind_compactions_total", "result", "ok", ctl->du.compactions);
	sample1(t, "ringbind_compactions_total", "result", "failed", ctl->du.compaction_failures);
	head(t, "ringbind_compaction_running", "gauge",
	     "1 while a compaction's snapshot is being written (by a thread of its own).");
	rb_text_printf(t, "ringbind_compaction_running %d\n",
		       ctl->du.p && rb_persist_compact_running(ctl->du.p) ? 1 : 0);
	head(t, "ringbind_stale_reaped_total", "counter", "Stale registrations removed (--reap-stale).");
	rb_text_printf(t, "ringbind_stale_reaped_total %llu\n", (unsigned long long)ctl->reaped);
	head(t, "ringbind_config_generation", "gauge", "Configuration reloads applied (SIGHUP).");
	rb_text_printf(t, "ringbind_config_generation %u\n",
		       __atomic_load_n(m->cfg_gen, __ATOMIC_RELAXED));
}

/* Every event counter of the workers and the control thread, summed, each
 * with its meaning in a comment line. */
static void render_events(const struct rb_counters *sum, struct rb_text *t)
{
	head(t, "ringbind_events_total", "counter",
	     "Events counted by the workers and the control thread (see the comment before each).");
#define RB_EXPORT(name, help)                                                                   \
	rb_text_printf(t, "# " #name ": %s\nringbind_events_total{event=\"" #name "\"} %llu\n", help, \
		       (unsigned long long)sum->name);
	RB_COUNTERS(RB_EXPORT)
#undef RB_EXPORT
}

void rb_metrics_render(const struct rb_metrics_src *m, struct rb_text *t)
{
	struct rb_counters sum;
	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; i < m->nworkers; i++)
		rb_counters_add(&sum, &m->workers[i].counters);
	rb_counters_add(&sum, &m->ctl->counters);

	render_overview(m, t);
	render_per_worker(m, t);
	struct rb_reqstats *rq = calloc(1, sizeof(*rq));
	if (rq) {
		for (unsigned i = 0; i <= m->nworkers && m->rq; i++)
			rb_reqstats_merge(rq, &m->rq[i].s);
		render_requests(t, rq);
		free(rq);
	}
	render_traffic(&sum, t);
	render_durability(m, t);
	render_events(&sum, t);
}

int rb_metrics_http(void *arg, const char *path, struct rb_text *body, const char **ctype)
{
	const struct rb_metrics_src *m = arg;
	struct rb_control *ctl = m->ctl;
	RB_ASSERT_OWNER(ctl); /* its state is read without locks */
	if (strcmp(path, "/metrics") == 0) {
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		rb_metrics_render(m, body);
		return 200;
	}
	if (strcmp(path, "/healthz") == 0) {
		rb_text_printf(body, "ok\n");
		return 200;
	}
	if (strcmp(path, "/readyz") == 0) {
		unsigned stuck = 0;
		rb_serve_tick(&ctl->serve);
		if (!workers_alive(m, ctl->serve.now_ms, &stuck)) {
			rb_text_printf(body, "not ready: worker %u has not run for over %u ms\n", stuck,
				       RB_READY_BOUND_MS);
			return 503;
		}
		/* Lookups are served either way: ready. The body says whether
		 * changes are kept (as ringbind_state_writable). */
		rb_text_printf(body, "ready%s\n",
			       rb_durable_writable(&ctl->du)
				       ? ""
				       : "; state not writable: SET/UNSET answered FALSE");
		return 200;
	}
	rb_text_printf(body, "not found: try /metrics, /healthz or /readyz\n");
	return 404;
}
