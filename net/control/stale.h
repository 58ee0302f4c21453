/* Stale registrations: entries whose service is gone. rpcbind keeps them
 * for ever, and clients then try a port where nothing listens (or, worse,
 * where something else now does). A registration is stale when nothing in
 * the daemon's network namespace is bound to its port on its protocol
 * (TCP: listening; UDP: bound), or, for an AF_LOCAL address, when no socket
 * is bound to its path. Read from /proc/net, the kernel's own tables. */
#ifndef RB_NET_STALE_H
#define RB_NET_STALE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "registry/store/registry.h"

/* How often the control thread looks. */
#define RB_STALE_SCAN_MS 30000u
/* Stale entries remembered between scans (for --reap-stale and listing). */
#define RB_STALE_MAX 4096u

struct rb_stale_entry {
	uint32_t prog, vers;
	char netid[RB_NETID_MAX + 1];
	char uaddr[RB_UADDR_MAX + 1];
	uint64_t since_ms; /* first scan that found it stale */
};

struct rb_stale {
	struct rb_stale_entry v[RB_STALE_MAX];
	uint32_t n;
	uint32_t overflow; /* stale entries beyond RB_STALE_MAX */
	uint64_t scans;
};

/* Scans the registry (writer thread: no reader section needed) against
 * the kernel's socket tables; keeps since_ms of entries already known. */
int rb_stale_scan(struct rb_stale *st, const struct rb_registry *reg, uint64_t now_ms);

/* ---- the scan on a housekeeping thread ----
 *
 * Reading the kernel's tables and walking up to a million registrations
 * takes long enough to hold up every SET/UNSET the control thread has to
 * acknowledge, so the control thread starts the scan on a thread of its
 * own (one at a time), which walks the registry as a reader (in an epoch
 * section) and changes nothing: when done it wakes wake_fd, and the
 * control thread takes the list (rb_stale_scan_poll) and alone acts on it
 * (logs, the list file, reaping through the registry's single writer).
 * The thread writes only rc, then done; out is the control thread's again
 * once done is seen (acquire). */
#define RB_STALE_SCAN_NICE 19 /* as the compaction's snapshot thread */

struct rb_stale_bg {
	bool running; /* control thread only */
	pthread_t th;
	struct rb_registry *reg;
	int wake_fd;     /* an eventfd the control loop watches */
	uint64_t now_ms; /* when the scan was asked for (since_ms of new ones) */
	struct rb_stale *out; /* the previous list on start; the new one when done */
	atomic_bool done, cancel;
	int rc;
};

/* Control thread. Starts a scan whose list begins as a copy of prev (for
 * since_ms); out is allocated on the first start. -EBUSY while one runs,
 * else 0 or -errno (no thread: the caller may scan here instead). */
int rb_stale_scan_start(struct rb_stale_bg *bg, struct rb_registry *reg,
			const struct rb_stale *prev, uint64_t now_ms, int wake_fd);
bool rb_stale_scan_running(const struct rb_stale_bg *bg);
/* Control thread. -EINPROGRESS while the scan runs (and !wait); else joins
 * the thread and returns its 0/-errno, the list in bg->out. 0 too when no
 * scan was started, with nothing new in bg->out: check running first. */
int rb_stale_scan_poll(struct rb_stale_bg *bg, bool wait);
/* Control thread, at shutdown: cancels a running scan, joins its thread
 * and frees out. */
void rb_stale_scan_stop(struct rb_stale_bg *bg);
/* Writes the list, one "prog vers netid uaddr stale-for-seconds" line per
 * entry, to path (via a temp file and rename). */
int rb_stale_write(const struct rb_stale *st, const char *path, uint64_t now_ms);

#endif
