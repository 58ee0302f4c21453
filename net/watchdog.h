/* systemd's watchdog (WatchdogSec=): a thread that sends WATCHDOG=1 every
 * half period, but only while every worker and the control thread have
 * run their loops within RB_READY_BOUND_MS. A stuck thread therefore stops
 * the pings and systemd restarts the daemon (Restart=on-failure); the
 * registrations come back from the state directory. */
#ifndef RB_NET_WATCHDOG_H
#define RB_NET_WATCHDOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct rb_control;

/* Bounds on the ping period taken from WATCHDOG_USEC / 2. */
#define RB_WATCHDOG_MIN_MS 100u
#define RB_WATCHDOG_MAX_MS 60000u

struct rb_watchdog {
	struct rb_control *ctl;
	uint64_t period_ms; /* 0: no watchdog asked for */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, running;
	uint64_t pings, missed; /* missed: periods a thread was stuck */
};

/* Reads WATCHDOG_USEC (and WATCHDOG_PID, which must be ours); starts the
 * thread when a watchdog is asked for. 0 or -errno. */
int rb_watchdog_start(struct rb_watchdog *wd, struct rb_control *ctl);
void rb_watchdog_stop(struct rb_watchdog *wd);

#endif
