/* Persistence formats: the journal, the snapshot, and Linux rpcbind's
 * warm-start files. Pure code (bytes in, bytes out; no syscalls): the file
 * I/O that uses it is net/control/persist.c.
 *
 * State on disk is a snapshot (the whole registry at one moment, in
 * registration order) plus a journal of the changes since, both tagged with
 * the same 64-bit generation. Replaying the snapshot and then the journal
 * with rb_registry_set/unset rebuilds the registry, registration order
 * included.
 *
 * Framing of one record (journal and snapshot body alike), big-endian:
 *
 *   u32 length    payload bytes: a multiple of 4, 12..RB_JREC_MAX
 *   u32 crc       CRC32C of the length word followed by the payload
 *   payload       XDR: u32 op, u32 prog, u32 vers, string netid,
 *                 and for RB_JOP_ADD: string uaddr, string owner
 *
 * The CRC covers the length word as well as the payload, so a bit flipped in
 * a length is detected as surely as one in the data (with the payload alone
 * covered, a shortened length would be caught only by the luck of the CRC).
 * XDR padding must be zero and a payload must end exactly where its length
 * says, so every valid record has exactly one encoding.
 *
 * Journal file: header, then records appended in commit order.
 *   0  "RBJ1"
 *   4  u32 version (RB_JOURNAL_VERSION)
 *   8  u64 generation (of the snapshot this journal follows)
 *  16  u32 reserved, 0
 *  20  u32 CRC32C of bytes 0..19
 *
 * Snapshot file: header, then count records, all RB_JOP_ADD.
 *   0  "RBS1"
 *   4  u32 version (RB_SNAPSHOT_VERSION)
 *   8  u64 generation
 *  16  u32 count of records
 *  20  u32 reserved, 0
 *  24  u64 body length (the file is exactly header + body)
 *  32  u32 CRC32C of the body
 *  36  u32 CRC32C of bytes 0..35 */
#ifndef RB_REGISTRY_JOURNAL_H
#define RB_REGISTRY_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/uaddr.h"
#include "core/xdr.h"
#include "registry/store/registry.h"

#define RB_JOURNAL_VERSION 1u
#define RB_JHDR_SIZE 24u
#define RB_SNAPSHOT_VERSION 1u
#define RB_SNAP_HDR_SIZE 40u
/* Length word + CRC word in front of every payload. */
#define RB_JREC_FRAME 8u
/* Largest payload: 3 words + netid, uaddr and owner at their caps, each a
 * length word and data padded to 4 (216 bytes today); a length above this
 * is corruption, never an allocation. */
#define RB_JREC_MAX 256u
/* Smallest payload: op, prog, vers and an empty netid. */
#define RB_JREC_MIN 16u
/* Records one snapshot may hold; far above any real registry (the daemon
 * caps registrations well below) so it bounds only a hostile header. */
#define RB_SNAPSHOT_ENTRIES_MAX (64u * 1024u * 1024u)

/* Entries one warm-start file may hold before it is refused whole. rpcbind
 * has no bound; a real host has tens. */
#define RB_WARM_ENTRIES_MAX 65536u
/* rpcbind decodes each string of its files with RPC_MAXDATASIZE (9000). A
 * string up to this long is read and the entry rejected when it is over
 * our field caps; a longer one makes the file malformed. */
#define RB_WARM_STRING_MAX 9000u
/* Port mapper's own program number: its entries describe the old daemon's
 * sockets and are never imported. */
#define RB_PMAP_PROG 100000u

enum rb_jop { RB_JOP_ADD = 1, RB_JOP_DEL = 2 };

/* One effect on the registry. ADD is rb_registry_set(prog, vers, netid,
 * uaddr, owner); DEL is rb_registry_unset(prog, vers, netid) without an
 * owner check (the check was made before the change was journaled); an
 * empty netid in a DEL means every netid. uaddr and owner are empty in a
 * DEL. All strings NUL-terminated. */
struct rb_jrec {
	uint8_t op;
	uint32_t prog, vers;
	char netid[RB_NETID_MAX + 1];
	char uaddr[RB_UADDR_MAX + 1];
	char owner[RB_OWNER_MAX + 1];
};

/* Receives each decoded record. Returns 0 (applied), > 0 (not applied, for
 * instance a conflict: counted, the scan goes on) or -errno (the scan stops
 * and returns it). */
typedef int (*rb_jrec_fn)(void *arg, const struct rb_jrec *r);

/* Records changes since the last reclaim, so that a long replay frees
 * retired memory as it goes (see rb_jrec_apply). */
#define RB_JREC_RECLAIM_EVERY 256u
struct rb_jrec_sink {
	struct rb_registry *reg;
	uint32_t since_reclaim;
};

/* Applies a record to sink->reg (arg is a struct rb_jrec_sink *) from the
 * registry's writer thread: ADD -> set, DEL -> unset. Returns 0 when it
 * changed the registry, 1 when it did not (already there, a conflicting
 * uaddr, nothing to remove, over a cap), -ENOMEM. Calls
 * rb_registry_reclaim every RB_JREC_RECLAIM_EVERY records: every change
 * retires its program's whole index (n pointers), so a replay that never
 * reclaims holds memory quadratic in the entries per program (4 GiB for
 * 1,000,000 entries in programs of 1,000). A caller's own apply around
 * rb_registry_set/unset must do the same. */
int rb_jrec_apply(void *sink, const struct rb_jrec *r);

/* ---- journal ---- */

/* Appends the journal header. Returns e->err. */
int rb_journal_put_header(struct rb_xdr_enc *e, uint64_t generation);
/* Appends one framed record. -EINVAL (unknown op, ADD with an empty
 * netid), -ENAMETOOLONG (a string not NUL-terminated within its array) or
 * the encoder's error; on any error nothing of the record stays in e
 * (e->pos is restored; e->err is left set when the encoder failed). */
int rb_journal_put(struct rb_xdr_enc *e, const struct rb_jrec *r);
/* Reads a journal header: 0 and *generation, or -EBADMSG. */
int rb_journal_read_header(const uint8_t *buf, size_t len,
			   uint64_t *generation);

enum rb_scan_stop {
	RB_SCAN_CLEAN = 0,  /* every byte belongs to a valid record */
	RB_SCAN_TORN,       /* the last record is incomplete: a crash mid-write */
	RB_SCAN_BAD_CRC,    /* a complete record whose CRC does not match */
	RB_SCAN_BAD_LENGTH, /* under RB_JREC_MIN, over RB_JREC_MAX, not a multiple of 4 */
	RB_SCAN_BAD_FIELD,  /* CRC fine, payload does not decode (a writer bug) */
	RB_SCAN_BAD_HEADER, /* short, wrong magic/version, header CRC */
	RB_SCAN_STOPPED,    /* the callback returned -errno */
};
const char *rb_scan_stop_str(enum rb_scan_stop s);

struct rb_scan_report {
	uint64_t generation;
	uint64_t records;     /* records delivered (callback called) */
	uint64_t not_applied; /* of those, how many the callback answered > 0 */
	/* Bytes [0, good_len) are the header and complete valid records:
	 * good_len - 1 is the offset of the last good byte, and truncating the
	 * file to good_len removes exactly what the scan refused. */
	size_t good_len;
	size_t dropped; /* len - good_len */
	enum rb_scan_stop stop;
};

/* Validates the header, then calls cb (may be NULL: validate only) for
 * every complete valid record in order, and stops at the first torn or
 * corrupt one: records after a bad one are never delivered, since their
 * framing cannot be trusted. Returns 0 when the header is valid (whatever
 * the tail: see rep->stop), -EBADMSG for a bad header, or the callback's
 * -errno. Never allocates. */
int rb_journal_scan(const uint8_t *buf, size_t len, rb_jrec_fn cb, void *arg,
		    struct rb_scan_report *rep);

/* ---- snapshot ---- */

/* Streams a snapshot: begin, put_entry for each entry (each appends one
 * framed record to the caller's encoder, which the caller may drain to the
 * file between calls), then put_header gives the header to write at offset
 * 0 (the body's length, count and CRC are only known at the end). */
struct rb_snapshot_writer {
	uint64_t generation;
	uint64_t count;
	uint64_t body_len;
	uint32_t body_crc;
};
void rb_snapshot_begin(struct rb_snapshot_writer *w, uint64_t generation);
/* Appends r (op must be RB_JOP_ADD) as a body record. Errors as
 * rb_journal_put, and -E2BIG past RB_SNAPSHOT_ENTRIES_MAX. */
int rb_snapshot_put_entry(struct rb_snapshot_writer *w, struct rb_xdr_enc *e,
			  const struct rb_jrec *r);
/* Converts a registry entry into an ADD record. */
void rb_jrec_from_entry(struct rb_jrec *r, const struct rb_entry *e);
void rb_snapshot_put_header(const struct rb_snapshot_writer *w,
			    uint8_t out[RB_SNAP_HDR_SIZE]);

struct rb_snapshot_info {
	uint64_t generation; /* valid once the header checked out */
	uint64_t count;
	uint64_t not_applied; /* records the callback answered > 0 */
	const char *reason;   /* why it was refused; NULL when accepted */
};
/* Checks a snapshot's header only (magic, version, header CRC): 0 with
 * info->generation and info->count, or -EBADMSG with info->reason. */
int rb_snapshot_read_header(const uint8_t *buf, size_t len,
			    struct rb_snapshot_info *info);
/* Verifies the header, the body's length and CRC, and decodes every record
 * BEFORE calling cb for any: a snapshot is used whole or refused whole.
 * Returns 0, -EBADMSG (info->reason says why), or the callback's -errno. */
int rb_snapshot_scan(const uint8_t *buf, size_t len, rb_jrec_fn cb, void *arg,
		     struct rb_snapshot_info *info);

/* Salvage of a snapshot that rb_snapshot_scan refused: every record that
 * verifies on its own (its CRC, its fields) is kept, damaged stretches are
 * skipped to the next record that verifies. */
#define RB_SALVAGE_NAMES 4u
struct rb_salvage_hole {
	size_t offset;     /* where the damaged stretch begins */
	bool named;        /* rec holds what the first record there probably was */
	struct rb_jrec rec; /* (decoded although its CRC failed: unverified) */
};
struct rb_salvage_report {
	bool header_ok;        /* info->generation is the header's */
	uint64_t lost;         /* records the header counts and no longer verify */
	uint64_t stretches;    /* damaged stretches */
	size_t skipped_bytes;
	struct rb_salvage_hole hole[RB_SALVAGE_NAMES]; /* the first stretches */
};
/* Calls cb for every record that verifies, in order; info->count gets how
 * many, info->generation the header's (0 when the header is damaged).
 * Returns 0 or cb's -errno. */
int rb_snapshot_salvage(const uint8_t *buf, size_t len, rb_jrec_fn cb, void *arg,
			struct rb_snapshot_info *info, struct rb_salvage_report *sr);

/* ---- Linux rpcbind warm-start files (untrusted input) ---- */

struct rb_warm_report {
	uint32_t entries;  /* list elements in the file */
	uint32_t imported; /* delivered, callback answered 0 */
	uint32_t not_applied; /* delivered, callback answered > 0 */
	uint32_t skipped;  /* program 100000: the old daemon's own */
	uint32_t rejected; /* over our field caps, empty netid, prot not
			      tcp/udp, port > 65535 */
	const char *reason; /* why the file was refused, else why the last
			       entry was rejected, else NULL */
};

/* /run/rpcbind/rpcbind.xdr: repeated {bool 1, prog, vers, string netid,
 * string addr, string owner}, then bool 0 (rpcbind's xdr_rpcblist_ptr).
 * The whole file is checked before cb (may be NULL) sees anything; a file
 * that is malformed (truncated, a bool that is not 0/1, a string past the
 * end or over RB_WARM_STRING_MAX, bytes after the list, more than
 * RB_WARM_ENTRIES_MAX entries) is refused whole with -EBADMSG, as rpcbind
 * ignores a warm-start file it cannot read. Returns 0, -EBADMSG or the
 * callback's -errno. */
int rb_rpcbind_xdr_scan(const uint8_t *buf, size_t len, rb_jrec_fn cb,
			void *arg, struct rb_warm_report *rep);
/* /run/rpcbind/portmap.xdr: repeated {bool 1, prog, vers, prot, port}, then
 * bool 0. Delivered as netid "tcp" (prot 6) or "udp" (17), uaddr
 * "0.0.0.0.p1.p2", owner "superuser" (the file has no owner; it was written
 * by the root daemon and most PMAP SETs come from root services, and the
 * safer default keeps an unprivileged user from removing them). */
int rb_portmap_xdr_scan(const uint8_t *buf, size_t len, rb_jrec_fn cb,
			void *arg, struct rb_warm_report *rep);

#endif
