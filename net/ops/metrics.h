/* The metrics and health endpoints' content, rendered by the control
 * thread (so its own state is read without locks; workers' counters are
 * relaxed atomics): /metrics in the Prometheus text format 0.0.4,
 * /healthz (the process answers) and /readyz (every worker ran its loop
 * within RB_READY_BOUND_MS, and the control thread is answering this). */
#ifndef RB_NET_METRICS_H
#define RB_NET_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "net/base/text.h"

struct rb_control;
struct rb_registry;
struct rb_rq_slot;
struct rb_worker;

/* What the metrics read: filled in by the assembly (net/daemon), read on
 * the control thread only (its own state without locks; the workers'
 * counters and the atomics here with relaxed loads). */
struct rb_metrics_src {
	struct rb_control *ctl;
	const struct rb_worker *workers;
	unsigned nworkers;
	const enum rb_backend *backend; /* the one running */
	struct rb_registry *reg;
	const uint32_t *total_conns;  /* atomic */
	const uint32_t *cfg_gen;      /* atomic: reloads applied */
	const struct rb_rq_slot *rq;  /* nworkers + 1: the workers', then the control thread's */
};

/* rb_http_render_fn for the control thread (arg: struct rb_metrics_src *). */
int rb_metrics_http(void *arg, const char *path, struct rb_text *body, const char **ctype);
/* The Prometheus exposition of the daemon's state. */
void rb_metrics_render(const struct rb_metrics_src *m, struct rb_text *t);

#endif
