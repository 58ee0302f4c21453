/* ringbind-load: what main() does at each tick (an --interval, a --ramp
 * step, the end): take every thread's counters, print the interval's or
 * step's line, judge a ramp step, and set the open-loop rate. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/load/load.h"

/* Ticks: every thread hands over its counters (bounded wait: a thread
 * turns its loop every few ms), then main() takes them. */
void lg_collect(struct lg_run *run, struct lg_thread *th, unsigned n, struct lg_share *into)
{
	uint64_t tick = atomic_fetch_add(&run->tick, 1) + 1;
	uint64_t t0 = lg_now_ns();
	const struct timespec pause = { 0, 100000 };
	for (unsigned i = 0; i < n; i++)
		while (atomic_load(&th[i].tick_done) < tick && lg_now_ns() - t0 < LG_TICK_WAIT_NS)
			nanosleep(&pause, NULL);
	memset(into, 0, sizeof(*into));
	for (unsigned i = 0; i < n; i++) {
		pthread_mutex_lock(&th[i].mu);
		lg_counters_merge(&into->c, &th[i].share.c);
		lg_hist_merge(&into->lat, &th[i].share.lat);
		lg_hist_merge(&into->mlat, &th[i].share.mlat);
		into->behind += th[i].share.behind;
		memset(&th[i].share, 0, sizeof(th[i].share));
		pthread_mutex_unlock(&th[i].mu);
	}
}

static struct lg_step *step_add(struct lg_result *r)
{
	if (r->n_steps == r->cap_steps) {
		size_t cap = r->cap_steps ? r->cap_steps * 2 : 64;
		struct lg_step *p = realloc(r->steps, cap * sizeof(*p));
		if (!p)
			return NULL;
		r->steps = p;
		r->cap_steps = cap;
	}
	struct lg_step *s = &r->steps[r->n_steps++];
	memset(s, 0, sizeof(*s));
	return s;
}

void lg_set_rate(struct lg_run *run, double rate)
{
	atomic_store(&run->rate_milli, (uint64_t)(rate * 1000.0 + 0.5));
	atomic_fetch_add_explicit(&run->rate_gen, 1, memory_order_release);
}

/* One interval or ramp step: its line, and (ramp) whether it held. */
void lg_step_done(const struct lg_opts *o, struct lg_result *res, const struct lg_share *sh,
		      double t_s, double dt_s, double asked)
{
	struct lg_step *s = step_add(res);
	if (!s)
		return;
	s->t_s = t_s;
	s->dt_s = dt_s;
	s->asked = asked;
	s->sent = sh->c.sent;
	s->replies = sh->c.replies;
	s->errors = sh->c.errors;
	s->timeouts = sh->c.timeouts;
	s->wrong = sh->c.wrong;
	s->behind = sh->behind;
	s->p50_us = (double)lg_hist_quantile(&sh->lat, 0.5) / 1000.0;
	s->p99_us = (double)lg_hist_quantile(&sh->lat, 0.99) / 1000.0;
	double sent_rate = dt_s > 0 ? (double)s->sent / dt_s : 0;
	double ratio = s->sent ? (double)s->replies / (double)s->sent : 0;
	if (o->ramp) {
		const char *why = NULL;
		char buf[200];
		if (sent_rate < o->ramp_min_ratio * asked) {
			snprintf(buf, sizeof(buf),
				 "sent only %.0f of the %.0f calls/s asked: this client's CPU, or its --window of "
				 "calls in flight waiting on the server, could not keep up",
				 sent_rate, asked);
			why = buf;
		} else if (ratio < o->ramp_min_ratio || s->wrong) {
			snprintf(buf, sizeof(buf), "%.4f replies per call sent (%" PRIu64 " timeouts, %" PRIu64
				 " errors, %" PRIu64 " wrong), below --ramp-min-ratio %g",
				 ratio, s->timeouts, s->errors, s->wrong, o->ramp_min_ratio);
			why = buf;
		} else if (s->p99_us > o->ramp_p99_ms * 1000.0) {
			snprintf(buf, sizeof(buf), "p99 %.2f ms above --ramp-p99-ms %g", s->p99_us / 1000.0,
				 o->ramp_p99_ms);
			why = buf;
		}
		s->ok = why == NULL;
		if (s->ok)
			res->ramp_best = (int)(res->n_steps - 1);
		else {
			res->ramp_broke = (int)(res->n_steps - 1);
			snprintf(res->ramp_reason, sizeof(res->ramp_reason), "%s", why);
		}
		printf("ramp     step %zu: asked %.0f/s, sent %.0f/s, replies %.0f/s (%.4f), errors %" PRIu64
		       ", timeouts %" PRIu64 ", p50 %.1f us, p99 %.1f us: %s\n",
		       res->n_steps, asked, sent_rate, dt_s > 0 ? (double)s->replies / dt_s : 0, ratio,
		       s->errors, s->timeouts, s->p50_us, s->p99_us, s->ok ? "held" : why);
	} else {
		printf("progress t=%.1f s: sent %.0f/s, replies %.0f/s, errors %" PRIu64 ", timeouts %" PRIu64
		       ", wrong %" PRIu64 ", p50 %.1f us, p99 %.1f us%s\n",
		       t_s, sent_rate, dt_s > 0 ? (double)s->replies / dt_s : 0, s->errors, s->timeouts,
		       s->wrong, s->p50_us, s->p99_us, s->behind ? " (client behind the rate)" : "");
	}
}

void lg_share_add(struct lg_result *res, const struct lg_share *sh)
{
	lg_counters_merge(&res->c, &sh->c);
	lg_hist_merge(&res->lat, &sh->lat);
	lg_hist_merge(&res->mlat, &sh->mlat);
}

