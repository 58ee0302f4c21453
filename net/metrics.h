/* The metrics and health endpoints' content, rendered by the control
 * thread (so its own state is read without locks; workers' counters are
 * relaxed atomics): /metrics in the Prometheus text format 0.0.4,
 * /healthz (the process answers) and /readyz (every worker ran its loop
 * within RB_READY_BOUND_MS, and the control thread is answering this). */
#ifndef RB_NET_METRICS_H
#define RB_NET_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "net/text.h"

struct rb_control;

/* A worker whose loop has not run for this long is stuck: /readyz fails and
 * the watchdog stops pinging systemd. Workers wake at least every
 * RB_TICK_MS. */
#define RB_READY_BOUND_MS 2000u

/* rb_http_render_fn for the control thread (arg: struct rb_control *). */
int rb_metrics_http(void *arg, const char *path, struct rb_text *body, const char **ctype);
/* The Prometheus exposition of the daemon's state. */
void rb_metrics_render(struct rb_control *ctl, struct rb_text *t);
/* Whether every worker looped within RB_READY_BOUND_MS of now_ms; when not,
 * *stuck is the first that did not. Any thread. */
bool rb_workers_alive(const struct rb_control *ctl, uint64_t now_ms, unsigned *stuck);

#endif
