#include "net/ops/watchdog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/base/log.h"
#include "net/base/notify.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *run(void *arg)
{
	struct rb_watchdog *wd = arg;
	pthread_mutex_lock(&wd->lock);
	while (!wd->stop) {
		char why[160];
		if (wd->alive(wd->arg, mono_ms(), why, sizeof(why))) {
			rb_notify("WATCHDOG=1");
			wd->pings++;
		} else {
			/* No ping: systemd will act once the period runs out. */
			if (wd->missed++ % 16 == 0)
				rb_logl(RB_LOG_ERR, "watchdog: %s: not pinging systemd", why);
		}
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)(wd->period_ms / 1000u);
		until.tv_nsec += (long)(wd->period_ms % 1000u) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!wd->stop &&
		       pthread_cond_timedwait(&wd->cond, &wd->lock, &until) != ETIMEDOUT) {
		}
	}
	pthread_mutex_unlock(&wd->lock);
	return NULL;
}

int rb_watchdog_start(struct rb_watchdog *wd, rb_alive_fn alive, void *arg)
{
	memset(wd, 0, sizeof(*wd));
	wd->alive = alive;
	wd->arg = arg;
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	if (!us)
		return 0;
	if (pid && strtoul(pid, NULL, 10) != (unsigned long)getpid())
		return 0; /* meant for another process */
	char *end;
	errno = 0;
	unsigned long long usec = strtoull(us, &end, 10);
	if (errno || *end || usec == 0) {
		rb_logl(RB_LOG_WARNING, "WATCHDOG_USEC=%s: not a number of microseconds: no watchdog", us);
		return 0;
	}
	uint64_t ms = usec / 2000u; /* ping at half the period, as sd_watchdog_enabled(3) advises */
	if (ms < RB_WATCHDOG_MIN_MS)
		ms = RB_WATCHDOG_MIN_MS;
	if (ms > RB_WATCHDOG_MAX_MS)
		ms = RB_WATCHDOG_MAX_MS;
	wd->period_ms = ms;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wd->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&wd->lock, NULL);
	int r = pthread_create(&wd->thread, NULL, run, wd);
	if (r) {
		pthread_cond_destroy(&wd->cond);
		pthread_mutex_destroy(&wd->lock);
		return -r;
	}
	wd->running = true;
	rb_log("watchdog: pinging systemd every %llu ms while every thread runs",
	       (unsigned long long)ms);
	return 0;
}

void rb_watchdog_stop(struct rb_watchdog *wd)
{
	if (!wd->running)
		return;
	pthread_mutex_lock(&wd->lock);
	wd->stop = true;
	pthread_cond_signal(&wd->cond);
	pthread_mutex_unlock(&wd->lock);
	pthread_join(wd->thread, NULL);
	pthread_cond_destroy(&wd->cond);
	pthread_mutex_destroy(&wd->lock);
	wd->running = false;
}
