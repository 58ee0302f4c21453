/* ringbind-load: open-loop pacing (--rate, --ramp) and the hand-over of
 * each interval's counters to main().
 *
 * Open loop, a thread sends its share of the asked rate on a fixed
 * schedule: call k is due at start + k * period, whatever became of the
 * calls before it. When a call cannot leave on time (no free slot, the
 * thread was descheduled, the socket was full) it leaves as soon as it
 * can, and its latency still runs from its intended time: a stall shows in
 * the latency of every call it held back instead of thinning the sample
 * (coordinated omission, which a closed loop suffers from). */
#include <math.h>
#include <string.h>

#include "bench/load/load.h"

/* Picks up a rate change: the schedule restarts now at the new period. */
static void pace_sync(struct lg_thread *t, uint64_t now)
{
	uint64_t gen = atomic_load_explicit(&t->run->rate_gen, memory_order_acquire);
	if (gen == t->pace_gen)
		return;
	t->pace_gen = gen;
	uint64_t milli = atomic_load_explicit(&t->run->rate_milli, memory_order_relaxed);
	double per_thread = (double)milli / 1000.0 / (double)t->o->threads;
	t->pace_period_ns = per_thread > 0 ? 1e9 / per_thread : 0;
	t->pace_next_ns = (double)now;
}

bool lg_take(struct lg_thread *t, uint64_t now, uint64_t *t0)
{
	if (!lg_paced(t)) {
		if (!lg_may_issue(t))
			return false;
		*t0 = now;
		return true;
	}
	pace_sync(t, now);
	if (t->pace_period_ns <= 0 || t->pace_next_ns > (double)now)
		return false;
	if (!lg_may_issue(t))
		return false;
	*t0 = (uint64_t)t->pace_next_ns;
	t->pace_next_ns += t->pace_period_ns;
	return true;
}

uint64_t lg_pace_wait_ns(struct lg_thread *t, uint64_t now)
{
	if (!lg_paced(t))
		return 0;
	pace_sync(t, now);
	if (t->pace_period_ns <= 0)
		return 2000000u;
	double d = t->pace_next_ns - (double)now;
	return d > LG_PACE_QUANTUM_NS ? (uint64_t)d : LG_PACE_QUANTUM_NS;
}

/* Calls due by now that have not left yet. */
static uint64_t pace_behind(const struct lg_thread *t, uint64_t now)
{
	if (!lg_paced(t) || t->pace_period_ns <= 0 || t->pace_next_ns > (double)now)
		return 0;
	return (uint64_t)floor(((double)now - t->pace_next_ns) / t->pace_period_ns) + 1u;
}

void lg_tick(struct lg_thread *t, bool final)
{
	uint64_t tick = atomic_load_explicit(&t->run->tick, memory_order_acquire);
	if (!final && tick == t->tick_seen)
		return;
	pthread_mutex_lock(&t->mu);
	lg_counters_merge(&t->share.c, &t->c);
	lg_hist_merge(&t->share.lat, &t->lat);
	lg_hist_merge(&t->share.mlat, &t->mlat);
	t->share.behind = pace_behind(t, lg_now_ns());
	pthread_mutex_unlock(&t->mu);
	memset(&t->c, 0, sizeof(t->c));
	memset(&t->lat, 0, sizeof(t->lat));
	memset(&t->mlat, 0, sizeof(t->mlat));
	t->tick_seen = tick;
	atomic_store_explicit(&t->tick_done, tick, memory_order_release);
}
