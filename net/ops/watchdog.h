/* systemd's watchdog (WatchdogSec=): a thread that sends WATCHDOG=1 every
 * half period, but only while every worker and the control thread have
 * run their loops within RB_READY_BOUND_MS (as the assembly's rb_alive_fn
 * says). A stuck thread therefore stops the pings and systemd restarts the daemon (Restart=on-failure); the
 * registrations come back from the state directory. */
#ifndef RB_NET_WATCHDOG_H
#define RB_NET_WATCHDOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether every thread the watchdog guards ran its loop recently (any
 * thread may call it); when not, why says which did not, as "worker 2 has
 * not run for over 2000 ms". */
typedef bool (*rb_alive_fn)(void *arg, uint64_t now_ms, char *why, size_t cap);

/* Bounds on the ping period taken from WATCHDOG_USEC / 2. */
#define RB_WATCHDOG_MIN_MS 100u
#define RB_WATCHDOG_MAX_MS 60000u

struct rb_watchdog {
	rb_alive_fn alive;
	void *arg;
	uint64_t period_ms; /* 0: no watchdog asked for */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, running;
	uint64_t pings, missed; /* missed: periods a thread was stuck */
};

/* Reads WATCHDOG_USEC (and WATCHDOG_PID, which must be ours); starts the
 * thread when a watchdog is asked for. 0 or -errno. */
int rb_watchdog_start(struct rb_watchdog *wd, rb_alive_fn alive, void *arg);
void rb_watchdog_stop(struct rb_watchdog *wd);

#endif
