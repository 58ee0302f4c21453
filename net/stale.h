/* Stale registrations: entries whose service is gone. rpcbind keeps them
 * for ever, and clients then try a port where nothing listens (or, worse,
 * where something else now does). A registration is stale when nothing in
 * the daemon's network namespace is bound to its port on its protocol
 * (TCP: listening; UDP: bound), or, for an AF_LOCAL address, when no socket
 * is bound to its path. Read from /proc/net, the kernel's own tables. */
#ifndef RB_NET_STALE_H
#define RB_NET_STALE_H

#include <stdbool.h>
#include <stdint.h>

#include "registry/registry.h"

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
/* Writes the list, one "prog vers netid uaddr stale-for-seconds" line per
 * entry, to path (via a temp file and rename). */
int rb_stale_write(const struct rb_stale *st, const char *path, uint64_t now_ms);

#endif
