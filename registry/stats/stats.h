/* GETSTAT counters (RPCBIND v4 procedure 12), with bounded memory.
 *
 * Each thread that answers calls owns one struct rb_stats and is its only
 * writer; counters are bumped with relaxed atomic stores so that another
 * thread may merge them (rb_stats_merge) at any time without locks.
 * rpcbind keeps one list node per distinct (prog, vers, netid) ever looked
 * up and never frees it; ours is a fixed table of RB_STAT_ADDR_MAX slots per
 * version, and lookups that find it full are counted in addr_overflow. */
#ifndef RB_REGISTRY_STATS_H
#define RB_REGISTRY_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/uaddr.h"
#include "core/xdr.h"

#define RB_STAT_VERSIONS 3u /* v2, v3, v4: RPCBVERS_{2,3,4}_STAT = 0, 1, 2 */
#define RB_STAT_PROCS 13u   /* RPCBSTAT_HIGHPROC */
/* Distinct (prog, vers, netid) lookup records kept per version (a power
 * of two: the table is open-addressed). */
#define RB_STAT_ADDR_MAX 128u
/* Inserts stop at this fill so that probes stay short. */
#define RB_STAT_ADDR_FILL (RB_STAT_ADDR_MAX * 3u / 4u)
/* The same for the remote-call records (CALLIT, BCAST, INDIRECT), keyed by
 * (prog, vers, proc, netid) as rpcbind's rmtinfo. */
#define RB_STAT_RMT_MAX 128u
#define RB_STAT_RMT_FILL (RB_STAT_RMT_MAX * 3u / 4u)

/* A lookup record (proc and indirect unused) or a remote-call record. */
struct rb_stat_addr {
	uint32_t used; /* published with release once the key is written */
	/* When the record was first made (CLOCK_MONOTONIC ns, strictly
	 * increasing per table): GETSTAT lists newest first, as rpcbind, whose
	 * lists grow at the head. A time rather than a per-thread counter so
	 * that records made by different threads merge into one order. */
	uint64_t seq;
	uint32_t prog;
	uint32_t vers;
	uint32_t proc;
	uint32_t success;
	uint32_t failure;
	uint32_t indirect; /* INDIRECT calls */
	/* The record was made by a CALLIT or BCAST: rpcbind starts every
	 * record's indirect count at 1, so GETSTAT lists indirect + 1. */
	uint8_t first_callit;
	uint8_t netid_len;
	char netid[RB_NETID_MAX + 1];
};

struct rb_stats {
	uint32_t info[RB_STAT_VERSIONS][RB_STAT_PROCS];
	uint32_t setinfo[RB_STAT_VERSIONS];
	uint32_t unsetinfo[RB_STAT_VERSIONS];
	uint32_t addr_count[RB_STAT_VERSIONS];
	uint32_t addr_overflow; /* lookups not recorded: table full */
	uint32_t rmt_count[RB_STAT_VERSIONS];
	uint32_t rmt_overflow; /* remote calls not recorded: table full */
	uint64_t last_seq; /* the newest seq handed out (writer only) */
	struct rb_stat_addr addr[RB_STAT_VERSIONS][RB_STAT_ADDR_MAX];
	struct rb_stat_addr rmt[RB_STAT_VERSIONS][RB_STAT_RMT_MAX];
};

/* Maps a program-100000 version (2, 3, 4) to its stats index; -1 if none. */
int rb_stats_vers_index(uint32_t vers);

void rb_stats_init(struct rb_stats *s);
/* Writer-side updates (the owning thread only). */
void rb_stats_proc(struct rb_stats *s, unsigned vi, uint32_t proc);
void rb_stats_set(struct rb_stats *s, unsigned vi);
void rb_stats_unset(struct rb_stats *s, unsigned vi);
void rb_stats_lookup(struct rb_stats *s, unsigned vi, uint32_t prog,
		     uint32_t vers, const char *netid, bool found);
/* A remote call (CALLIT, BCAST, INDIRECT) that passed the deny list, as
 * rpcbind's rpcbs_rmtcall: found is whether exactly (prog, vers) is
 * registered on netid. As rpcbind, a new record starts with indirect 1
 * whatever the procedure; later INDIRECT calls add one each. */
void rb_stats_rmtcall(struct rb_stats *s, unsigned vi, bool indirect, uint32_t prog,
		      uint32_t vers, uint32_t proc, const char *netid, bool found);
/* Adds src (owned by any thread, read with atomic loads) into dst (owned by
 * the caller). Records that do not fit in dst count as overflow. */
void rb_stats_merge(struct rb_stats *dst, const struct rb_stats *src);
/* Encodes rpcb_stat_byvers (three rpcb_stat). */
void rb_stats_put(struct rb_xdr_enc *e, const struct rb_stats *s);

#endif
