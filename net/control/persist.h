/* Crash-safe persistence of the registry: the file I/O around the formats
 * of registry/format/journal.h. Used by the control thread only (one struct per
 * daemon, not thread-safe); nothing here prints: messages come back in a
 * caller's buffer, a report struct, or rb_persist_last_error().
 *
 * The state directory holds:
 *   lock            flock()ed for the daemon's lifetime (holds its pid)
 *   snapshot        the registry at the last compaction, generation G
 *   snapshot.prev   the snapshot before it, tried when "snapshot" is refused
 *   journal         changes since "snapshot"; its header says G
 *   *.tmp           files being written (removed at open)
 *   snapshot.corrupt, journal.corrupt, journal.orphan, journal.dropped:
 *                   what a load set aside instead of deleting (forensics)
 *
 * Every file is replaced by writing a temporary, fsync, rename, fsync of the
 * directory; the journal only ever grows by a commit (one pwrite, one
 * fdatasync) or is cut back to the end of the last good commit.
 *
 * Use:
 *   rb_persist_open(dir) -> rb_persist_load(apply...) or rb_persist_discard()
 *   then per batch of mutations: rb_persist_append() each, one
 *   rb_persist_commit(), and only then the replies;
 *   rb_persist_compact() when rb_persist_should_compact(), between batches;
 *   rb_persist_close() at exit. */
#ifndef RB_NET_PERSIST_H
#define RB_NET_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "registry/format/journal.h"
#include "registry/store/registry.h"

/* A snapshot or journal file larger than this is not mapped (a 1,000,000
 * entry snapshot is about 70 MiB). */
#define RB_PERSIST_FILE_MAX ((uint64_t)1 << 30)
/* Bytes of records buffered between commits; rb_persist_append answers
 * -ENOBUFS beyond (about 6,000 of the largest records, far more of the
 * usual ones). */
#define RB_PERSIST_BATCH_MAX (1u << 20)
/* Compaction is worth it once the journal is over this many bytes and
 * over RB_PERSIST_COMPACT_RATIO times the snapshot. */
#define RB_PERSIST_COMPACT_MIN (64u << 10)
#define RB_PERSIST_COMPACT_RATIO 2u
/* Nice value of the thread that writes a compaction's snapshot. */
#define RB_PERSIST_COMPACT_NICE 19
/* Write buffer of a compaction. */
#define RB_PERSIST_IO_CHUNK (256u << 10)
/* At most this much of a journal's refused tail is copied to
 * journal.dropped before the journal is cut. */
#define RB_PERSIST_DROPPED_KEEP (1u << 20)
/* Messages: every buffer below has this size. */
#define RB_PERSIST_MSG_MAX 512u

struct rb_persist;

/* Creates dir (mode 0700; its parent must exist) if missing, checks that it
 * is a directory owned by the effective uid and not writable by group or
 * others, and takes an exclusive flock on dir/lock so that two daemons
 * never share it. Returns 0, -EBUSY (locked by another process: msg names
 * its pid), -EPERM (unsafe directory) or another -errno; msg (msgcap bytes,
 * may be NULL) gets a sentence on failure. */
int rb_persist_open(const char *dir, struct rb_persist **out, char *msg,
		    size_t msgcap);
/* Closes the files and releases the lock. Buffered records are dropped. */
void rb_persist_close(struct rb_persist *p);

struct rb_load_report {
	uint64_t generation;       /* of the snapshot loaded (0: none) */
	uint64_t snapshot_entries; /* records of the snapshot delivered */
	uint64_t journal_records;  /* journal records delivered */
	uint64_t not_applied;      /* of both, how many apply answered > 0 */
	uint64_t journal_dropped;  /* bytes cut from the journal's tail */
	enum rb_scan_stop journal_stop; /* why the journal scan stopped */
	bool fresh;                /* nothing was on disk */
	bool used_prev;            /* "snapshot" refused or missing, snapshot.prev used */
	bool journal_discarded;    /* a journal of another generation or with a bad
				      header was not replayed */
	bool salvaged;             /* a damaged snapshot's verified records were kept */
	uint64_t salvage_lost;     /* records its header counts that did not verify */
	/* One clause per unusual event, "; "-separated; "" when clean. A
	 * torn tail after a crash is routine; anything else deserves a log
	 * line at warning level. */
	char msg[RB_PERSIST_MSG_MAX];
};

/* Loads the state: the snapshot (verified whole before apply sees any
 * entry), then the journal if its generation is the snapshot's. A snapshot
 * whose header holds but whose body is damaged is salvaged: every record
 * that verifies on its own is delivered (a copy goes to snapshot.corrupt),
 * its journal replayed, and the next compaction (owed at once) replaces it.
 * A snapshot whose header is damaged is refused (renamed snapshot.corrupt)
 * for snapshot.prev; with no usable snapshot.prev either, what verifies in
 * the damaged file is salvaged. rep->msg says exactly what was dropped. A
 * journal tail that is torn or corrupt is cut (ftruncate + fdatasync) after
 * the good records, and the cut bytes copied to journal.dropped; a journal
 * that belongs to another generation is set aside or replaced. When a
 * write that the load needs fails because nothing can be written now
 * (EROFS, ENOSPC, EDQUOT, EIO, EACCES), the load goes on without writing
 * and leaves p read-only (rb_persist_readonly). apply is called in order,
 * snapshot first; answers as rb_jrec_fn (rb_jrec_apply with a struct
 * rb_jrec_sink fits). Call once, before anything else.
 * Returns 0, apply's -errno, or another -errno (a file that cannot be
 * read). Either way *rep is filled. */
int rb_persist_load(struct rb_persist *p, rb_jrec_fn apply, void *arg,
		    struct rb_load_report *rep);

/* After a load that left p read-only (rb_persist_readonly): when the
 * directory can be written again, loads it again for writing (apply as in
 * rb_persist_load: pass one that ignores records when the registry already
 * holds what the read-only load delivered). 0 (writable now), or -errno
 * with p still read-only. */
int rb_persist_upgrade(struct rb_persist *p, rb_jrec_fn apply, void *arg,
		       struct rb_load_report *rep);
/* True when p was opened or loaded without being able to write: the
 * state was read (and may be served); append/commit/compact fail with
 * -EROFS until rb_persist_upgrade succeeds. */
bool rb_persist_readonly(const struct rb_persist *p);
/* Drops what is buffered for the next commit. */
void rb_persist_discard_batch(struct rb_persist *p);
/* Bytes of the snapshot the journal follows. */
uint64_t rb_persist_snapshot_bytes(const struct rb_persist *p);
/* Bytes buffered for the next commit. */
size_t rb_persist_batch_bytes(const struct rb_persist *p);

/* For --cold: replaces the state by an empty snapshot and journal of a new
 * generation and removes snapshot.prev. Atomic: a crash in the middle
 * leaves either the old state or the empty one. May be called instead of
 * rb_persist_load, or after it. 0 or -errno. */
int rb_persist_discard(struct rb_persist *p);

/* Buffers one record for the next commit; no syscall. -EINVAL (before
 * load/discard, or a record rb_journal_put refuses), -ENAMETOOLONG,
 * -ENOBUFS (the batch is at RB_PERSIST_BATCH_MAX: commit first). */
int rb_persist_append(struct rb_persist *p, const struct rb_jrec *r);
/* Records buffered and not yet committed. */
uint32_t rb_persist_pending(const struct rb_persist *p);

/* Group commit: writes every buffered record with one pwrite at the end of
 * the last good commit and makes it durable with one fdatasync. 0 when
 * nothing was buffered.
 * On failure (-ENOSPC, -EIO, -EROFS, -EACCES, -EFBIG past
 * RB_PERSIST_FILE_MAX, ...) the batch is dropped and the journal is cut back
 * to its length before this commit, so no record of a failed batch can be
 * replayed; if even that cut fails, it is retried before the next commit,
 * and commits fail until it succeeds. Later commits work again once the
 * cause is gone (space returns). The caller must undo the batch's changes
 * to the registry and answer its calls with failure. */
int rb_persist_commit(struct rb_persist *p);

/* True when the journal is big enough, against the snapshot, that
 * rb_persist_compact is worth its cost. */
bool rb_persist_should_compact(const struct rb_persist *p);
/* Writes a snapshot of reg (from the registry's writer thread: iteration
 * without a reader section) with a new generation, keeps the old one as
 * snapshot.prev, and starts an empty journal of that generation. Call with
 * nothing buffered (-EBUSY otherwise), i.e. right after a commit, so that the
 * snapshot holds exactly what was acknowledged. On failure the old
 * snapshot and journal stay in use (or, when the failure came after the new
 * snapshot was installed, the new journal is installed before the next
 * commit, which fails until it can be). 0 or -errno. */
int rb_persist_compact(struct rb_persist *p, const struct rb_registry *reg);

/* Compaction with the snapshot written by a thread of its own (the
 * registry walked in a reader section), so that the caller, the registry's
 * writer, goes on committing meanwhile. Start it with nothing buffered, right
 * after a commit whose changes are published (as rb_persist_compact);
 * commits go on into the current journal. rb_persist_compact_poll, from
 * the same thread, finishes it once the snapshot is written: copies the
 * journal's commits made since the start into the new journal, syncs it,
 * and installs snapshot and journal (short: no registry walk). Start: 0,
 * -EBUSY (one is running, or records are buffered), or another -errno (then
 * rb_persist_compact may be used instead). Poll: 1 finished and installed,
 * 0 none running, -EINPROGRESS (wait false: not done yet), or -errno (it
 * failed: the old state stays in use, or as rb_persist_compact's failures).
 * While one runs, rb_persist_compact answers -EBUSY and
 * rb_persist_should_compact false; rb_persist_close cancels and joins it. */
int rb_persist_compact_start(struct rb_persist *p, struct rb_registry *reg);
int rb_persist_compact_poll(struct rb_persist *p, bool wait);
bool rb_persist_compact_running(const struct rb_persist *p);

/* What the last failing call said, "" when none. */
const char *rb_persist_last_error(const struct rb_persist *p);
/* Generation of the snapshot the journal follows; bytes in the journal. */
uint64_t rb_persist_generation(const struct rb_persist *p);
uint64_t rb_persist_journal_bytes(const struct rb_persist *p);

#endif
