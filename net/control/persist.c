/* Crash-safe persistence: see persist.h for the files and the rules.
 *
 * The invariants that make a crash at any instant safe:
 *  - p->jlen is the commit point: every byte of the journal before it is
 *    durable and acknowledged, nothing after it ever is. A commit writes at
 *    jlen and moves jlen only after fdatasync succeeded; a failed commit
 *    cuts the file back to jlen before anything else is written.
 *  - A snapshot is installed (rename) and made durable (directory fsync)
 *    BEFORE the journal of its generation replaces the old journal. So a
 *    crash between the two leaves the new snapshot with the old journal,
 *    whose generation is lower and whose changes the snapshot already
 *    holds: the loader ignores it. The reverse order would lose the old
 *    journal's changes with no snapshot holding them.
 *  - snapshot.prev is made with link() before the new snapshot is renamed
 *    over "snapshot", so "snapshot" never goes missing; where link() is not
 *    supported a rename is used, and the loader falls back to
 *    snapshot.prev when "snapshot" is absent. */
#include "net/control/persist.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/control/clause.h"

#define FN_LOCK "lock"
#define FN_SNAP "snapshot"
#define FN_SNAP_PREV "snapshot.prev"
#define FN_SNAP_TMP "snapshot.tmp"
#define FN_SNAP_BAD "snapshot.corrupt"
#define FN_JOURNAL "journal"
#define FN_JOURNAL_TMP "journal.tmp"
#define FN_JOURNAL_BAD "journal.corrupt"
#define FN_JOURNAL_ORPHAN "journal.orphan"
#define FN_JOURNAL_DROPPED "journal.dropped"

struct rb_persist {
	int dirfd;
	int lockfd;
	int jfd;          /* the journal; -1 until load or discard */
	int pend_jfd;     /* journal.tmp of a compaction not yet renamed */
	uint64_t pend_jlen; /* its commit point (header, and a copied tail) */
	uint64_t gen;     /* generation of the snapshot the journal follows */
	uint64_t pend_gen;
	uint64_t next_gen; /* above every generation seen on disk */
	uint64_t jlen;    /* the commit point (see above) */
	uint64_t snap_bytes;
	/* Repairs owed before the next commit may write (see repair()). */
	bool need_truncate; /* bytes of a failed commit may lie past jlen */
	bool need_dirsync;  /* a rename is not known to be durable */
	/* Loaded without writing: the directory, its lock or a repair the
	 * load needed could not be written. Nothing is written until
	 * rb_persist_upgrade succeeds; commits fail with -EROFS. */
	bool readonly;
	/* "snapshot" was salvaged: compact soon, and do not keep it as
	 * snapshot.prev. */
	bool snap_damaged;
	struct rb_xdr_enc batch;
	uint32_t batch_records;
	char err[RB_PERSIST_MSG_MAX];
	/* A compaction whose snapshot is written by another thread. Only
	 * done, rc and size are written there (rc and size before done). */
	struct {
		bool running;
		pthread_t th;
		struct rb_registry *reg;
		uint64_t gen;    /* of the snapshot being written */
		uint64_t cstart; /* journal offset from which commits follow it */
		atomic_bool done, cancel;
		int rc;
		uint64_t size;
	} bg;
};

__attribute__((format(printf, 3, 4))) static void
msgf(char *buf, size_t cap, const char *fmt, ...)
{
	if (!buf || !cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

static int fail(struct rb_persist *p, int err, const char *what)
{
	msgf(p->err, sizeof(p->err), "%s: %s", what, strerror(-err));
	return err;
}

/* pwrite of all n bytes; a short write is continued (it is how ENOSPC
 * first shows), a zero-byte write is an error rather than a loop. */
static int write_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const uint8_t *b = buf;
	while (n) {
		ssize_t w = pwrite(fd, b, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int dir_sync(struct rb_persist *p)
{
	return fsync(p->dirfd) == 0 ? 0 : -errno;
}

/* A read-only mapping of a whole file (len 0: no mapping). */
struct map {
	const uint8_t *buf;
	size_t len;
};

static int map_fd(int fd, struct map *m)
{
	struct stat st;
	m->buf = NULL;
	m->len = 0;
	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > RB_PERSIST_FILE_MAX)
		return -EFBIG;
	if (st.st_size == 0)
		return 0;
	void *a = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (a == MAP_FAILED)
		return -errno;
	/* One pass front to back (twice for a snapshot): read ahead. */
	madvise(a, (size_t)st.st_size, MADV_SEQUENTIAL);
	m->buf = a;
	m->len = (size_t)st.st_size;
	return 0;
}

static void unmap(struct map *m)
{
	if (m->buf)
		munmap((void *)(uintptr_t)m->buf, m->len);
	m->buf = NULL;
	m->len = 0;
}

/* ---- open / close ---- */

/* fsync of the directory that holds path, so that a directory we just
 * created survives a crash. */
static int sync_parent(const char *path)
{
	char parent[4096];
	size_t n = strnlen(path, sizeof(parent));
	if (n == sizeof(parent))
		return -ENAMETOOLONG;
	memcpy(parent, path, n + 1);
	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = '\0';
	char *slash = strrchr(parent, '/');
	if (!slash)
		memcpy(parent, ".", 2);
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	return r;
}

/* Errors that mean "this cannot be written now" (rather than "this is
 * wrong"): the state is then read and served, and writing tried again. */
static bool cannot_write(int err)
{
	return err == -EROFS || err == -ENOSPC || err == -EDQUOT || err == -EIO ||
	       err == -EFBIG || err == -EACCES;
}

static void write_pid(int fd)
{
	char pid[24];
	int pl = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* Only informative (for the message above): failure is harmless. */
	if (ftruncate(fd, 0) == 0)
		(void)write_all(fd, pid, (size_t)pl, 0);
}

/* Phase 1 of open: creates dir if missing, opens it, and checks that it
 * is ours alone (whoever can write here can make us register anything at
 * the next start). */
static int open_state_dir(struct rb_persist *p, const char *dir, char *msg,
			  size_t msgcap)
{
	int r;
	if (mkdir(dir, 0700) == 0) {
		r = sync_parent(dir);
		if (r) {
			msgf(msg, msgcap, "cannot sync the parent of %s: %s",
			     dir, strerror(-r));
			return r;
		}
	} else if (errno != EEXIST) {
		r = -errno;
		struct stat dst;
		/* A read-only or full file system may answer so even for a
		 * directory that exists: then it is opened and read. */
		if (stat(dir, &dst) != 0 || !S_ISDIR(dst.st_mode)) {
			msgf(msg, msgcap, "cannot create state directory %s: %s", dir,
			     strerror(-r));
			return r;
		}
	}
	p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0) {
		r = -errno;
		msgf(msg, msgcap, "cannot open state directory %s: %s", dir,
		     strerror(-r));
		return r;
	}
	struct stat st;
	if (fstat(p->dirfd, &st) != 0) {
		r = -errno;
		msgf(msg, msgcap, "cannot stat %s: %s", dir, strerror(-r));
		return r;
	}
	if (st.st_uid != geteuid()) {
		msgf(msg, msgcap,
		     "state directory %s is owned by uid %u, not by uid %u",
		     dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		msgf(msg, msgcap,
		     "state directory %s is writable by group or others (mode %04o)",
		     dir, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* Phase 2 of open: the lock file, read-only when it cannot be written.
 * 0 locked, 1 no lock file and none can be made (nobody can write here,
 * us included: read without a lock), or -errno. */
static int open_lock(struct rb_persist *p, const char *dir, char *msg,
		     size_t msgcap)
{
	p->lockfd = openat(p->dirfd, FN_LOCK,
			   O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (p->lockfd < 0 && cannot_write(-errno)) {
		/* The saved state can still be read and served: open it
		 * read-only (flock works on a read-only descriptor, so two
		 * daemons still never share it). */
		msgf(p->err, sizeof(p->err), "cannot write %s/" FN_LOCK ": %s", dir,
		     strerror(errno));
		p->readonly = true;
		p->lockfd = openat(p->dirfd, FN_LOCK, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (p->lockfd < 0 && errno == ENOENT)
			return 1;
	}
	if (p->lockfd < 0) {
		int r = -errno;
		msgf(msg, msgcap, "cannot open %s/" FN_LOCK ": %s", dir,
		     strerror(-r));
		return r;
	}
	/* flock belongs to the open file description: released by close or
	 * by the process's death, never left stale. */
	if (flock(p->lockfd, LOCK_EX | LOCK_NB) != 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		char pid[24] = "";
		ssize_t n = pread(p->lockfd, pid, sizeof(pid) - 1, 0);
		if (n > 0) {
			pid[n] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
		}
		msgf(msg, msgcap,
		     "state directory %s is in use by another process (pid %s)",
		     dir, n > 0 ? pid : "unknown");
		return r;
	}
	return 0;
}

int rb_persist_open(const char *dir, struct rb_persist **out, char *msg,
		    size_t msgcap)
{
	struct rb_persist *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->dirfd = p->lockfd = p->jfd = p->pend_jfd = -1;
	int r = open_state_dir(p, dir, msg, msgcap);
	if (!r)
		r = open_lock(p, dir, msg, msgcap);
	if (r < 0) {
		rb_persist_close(p);
		return r;
	}
	if (r == 0 && !p->readonly) {
		write_pid(p->lockfd);
		/* Leftovers of a compaction that a crash interrupted
		 * (journal.tmp: see adopt_journal_tmp). */
		unlinkat(p->dirfd, FN_SNAP_TMP, 0);
	}
	rb_xdr_enc_init_growable(&p->batch, NULL, 0, RB_PERSIST_BATCH_MAX);
	*out = p;
	return 0;
}

void rb_persist_close(struct rb_persist *p)
{
	if (!p)
		return;
	if (p->bg.running) {
		atomic_store(&p->bg.cancel, true);
		pthread_join(p->bg.th, NULL);
		p->bg.running = false;
		unlinkat(p->dirfd, FN_SNAP_TMP, 0);
	}
	if (p->jfd >= 0)
		close(p->jfd);
	if (p->pend_jfd >= 0)
		close(p->pend_jfd);
	if (p->lockfd >= 0)
		close(p->lockfd);
	if (p->dirfd >= 0)
		close(p->dirfd);
	free(p->batch.buf);
	free(p);
}

const char *rb_persist_last_error(const struct rb_persist *p)
{
	return p->err;
}

uint64_t rb_persist_generation(const struct rb_persist *p)
{
	return p->gen;
}

uint64_t rb_persist_journal_bytes(const struct rb_persist *p)
{
	return p->jlen;
}

uint32_t rb_persist_pending(const struct rb_persist *p)
{
	return p->batch_records;
}

void rb_persist_discard_batch(struct rb_persist *p)
{
	p->batch.pos = 0;
	p->batch.err = 0;
	p->batch_records = 0;
}

uint64_t rb_persist_snapshot_bytes(const struct rb_persist *p)
{
	return p->snap_bytes;
}

size_t rb_persist_batch_bytes(const struct rb_persist *p)
{
	return p->batch.pos;
}

bool rb_persist_readonly(const struct rb_persist *p)
{
	return p->readonly;
}

/* Loaded or discarded: there is a journal, or one owed by a compaction
 * (installed by repair() before the next write). */
static bool ready(const struct rb_persist *p)
{
	return p->jfd >= 0 || p->pend_jfd >= 0;
}

/* ---- writing whole files ---- */

/* Creates name (a .tmp) holding an empty journal of generation gen, synced.
 * Returns the fd (read-write) or -errno. */
static int journal_tmp(struct rb_persist *p, uint64_t gen)
{
	uint8_t h[RB_JHDR_SIZE];
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, h, sizeof(h));
	rb_journal_put_header(&e, gen);
	int fd = openat(p->dirfd, FN_JOURNAL_TMP,
			O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			0600);
	if (fd < 0)
		return -errno;
	int r = write_all(fd, h, sizeof(h), 0);
	if (!r && fsync(fd) != 0)
		r = -errno;
	if (r) {
		close(fd);
		unlinkat(p->dirfd, FN_JOURNAL_TMP, 0);
		return r;
	}
	return fd;
}

/* Writes snapshot.tmp: every entry of reg (none when reg is NULL) with
 * generation gen, synced. *size gets the file's size. */
static int snapshot_tmp(struct rb_persist *p, const struct rb_registry *reg,
			uint64_t gen, uint64_t *size, const atomic_bool *cancel)
{
	uint8_t *chunk = malloc(RB_PERSIST_IO_CHUNK);
	if (!chunk)
		return -ENOMEM;
	int fd = openat(p->dirfd, FN_SNAP_TMP,
			O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			0600);
	if (fd < 0) {
		free(chunk);
		return -errno;
	}
	struct rb_snapshot_writer w;
	struct rb_xdr_enc e;
	struct rb_jrec rec;
	uint64_t off = RB_SNAP_HDR_SIZE; /* the header goes in last */
	int r = 0;
	rb_snapshot_begin(&w, gen);
	rb_xdr_enc_init(&e, chunk, RB_PERSIST_IO_CHUNK);
	for (const struct rb_entry *it = reg ? rb_registry_first(reg) : NULL;
	     it && !r; it = rb_registry_next(it)) {
		/* Drain before a record could fail to fit. */
		if (e.cap - e.pos < RB_JREC_FRAME + RB_JREC_MAX) {
			if (cancel && atomic_load_explicit(cancel, memory_order_relaxed)) {
				r = -ECANCELED;
				break;
			}
			r = write_all(fd, chunk, e.pos, off);
			off += e.pos;
			e.pos = 0;
		}
		rb_jrec_from_entry(&rec, it);
		if (!r)
			r = rb_snapshot_put_entry(&w, &e, &rec);
	}
	if (!r && e.pos) {
		r = write_all(fd, chunk, e.pos, off);
		off += e.pos;
	}
	if (!r) {
		uint8_t h[RB_SNAP_HDR_SIZE];
		rb_snapshot_put_header(&w, h);
		r = write_all(fd, h, sizeof(h), 0);
	}
	if (!r && fsync(fd) != 0)
		r = -errno;
	if (close(fd) != 0 && !r)
		r = -errno;
	free(chunk);
	if (r) {
		unlinkat(p->dirfd, FN_SNAP_TMP, 0);
		return r;
	}
	*size = off;
	return 0;
}

/* Makes journal.tmp (p->pend_jfd) the journal. The new snapshot, if any,
 * must already be durable. */
static int install_pending_journal(struct rb_persist *p)
{
	if (renameat(p->dirfd, FN_JOURNAL_TMP, p->dirfd, FN_JOURNAL) != 0)
		return -errno;
	if (p->jfd >= 0)
		close(p->jfd);
	p->jfd = p->pend_jfd;
	p->pend_jfd = -1;
	p->gen = p->pend_gen;
	p->jlen = p->pend_jlen;
	p->need_truncate = false; /* that was the old journal */
	p->need_dirsync = true;
	int r = dir_sync(p);
	if (!r)
		p->need_dirsync = false;
	return r;
}

/* Pays what a failed call left owing, in the order the invariants need:
 * cut a failed batch, make an installed snapshot durable, then install its
 * journal. Until this succeeds nothing is written. */
static int repair(struct rb_persist *p)
{
	int r;
	if (p->need_truncate) {
		if (ftruncate(p->jfd, (off_t)p->jlen) != 0 || fdatasync(p->jfd) != 0)
			return fail(p, -errno, "cutting back the journal");
		p->need_truncate = false;
	}
	if (p->need_dirsync) {
		r = dir_sync(p);
		if (r)
			return fail(p, r, "syncing the state directory");
		p->need_dirsync = false;
	}
	if (p->pend_jfd >= 0) {
		r = install_pending_journal(p);
		if (r)
			return fail(p, r, "installing the new journal");
	}
	return 0;
}

/* Installs snapshot.tmp as "snapshot" and journal.tmp (pend_jfd) as
 * "journal". keep_prev: the old snapshot becomes snapshot.prev (compaction);
 * else snapshot.prev is removed (discard). */
static int install(struct rb_persist *p, bool keep_prev)
{
	int r;
	/* Without a "snapshot" (none yet, or a fallback rename that failed
	 * halfway), snapshot.prev may be the only good state: keep it. */
	if (keep_prev && !p->snap_damaged &&
	    faccessat(p->dirfd, FN_SNAP, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (unlinkat(p->dirfd, FN_SNAP_PREV, 0) != 0 && errno != ENOENT)
			return -errno;
		if (linkat(p->dirfd, FN_SNAP, p->dirfd, FN_SNAP_PREV, 0) != 0 &&
		    errno != ENOENT) {
			/* No hard links on this file system: rename, and
			 * let the loader cover the instant without a
			 * "snapshot". */
			if (renameat(p->dirfd, FN_SNAP, p->dirfd, FN_SNAP_PREV) != 0)
				return -errno;
		}
	}
	if (renameat(p->dirfd, FN_SNAP_TMP, p->dirfd, FN_SNAP) != 0)
		return -errno;
	/* From here on the new snapshot may be what a restart finds, so the
	 * old journal must not take another commit (the loader would ignore
	 * it as stale): the new journal is owed even if what follows fails. */
	p->need_dirsync = true;
	r = dir_sync(p);
	if (r)
		return r;
	p->need_dirsync = false;
	r = install_pending_journal(p);
	if (r)
		return r;
	if (!keep_prev) {
		if (unlinkat(p->dirfd, FN_SNAP_PREV, 0) == 0)
			dir_sync(p); /* best effort: prev is only a fallback */
	}
	return 0;
}

/* Reads the generation in the header of a snapshot or journal file, to
 * choose a new generation above everything on disk; 0 when unreadable. */
static uint64_t peek_generation(struct rb_persist *p, const char *name,
				bool snapshot)
{
	uint8_t h[RB_SNAP_HDR_SIZE];
	int fd = openat(p->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, h, sizeof(h), 0);
	close(fd);
	uint64_t g = 0;
	struct rb_snapshot_info info;
	if (n <= 0)
		return 0;
	if (!snapshot)
		rb_journal_read_header(h, (size_t)n, &g);
	else if (rb_snapshot_read_header(h, (size_t)n, &info) == 0)
		g = info.generation;
	return g;
}

static void seen_generation(struct rb_persist *p, uint64_t g)
{
	/* Generations come from CRC-checked headers; the bound only keeps
	 * a forged one from wrapping next_gen round to 0. */
	if (g >= p->next_gen && g < UINT64_MAX)
		p->next_gen = g + 1;
}

static int installed(struct rb_persist *p, int r, uint64_t ng, uint64_t size);

/* Writes a snapshot (of reg, or empty) and its journal as generation
 * next_gen and installs both. */
static int new_state(struct rb_persist *p, const struct rb_registry *reg,
		     bool keep_prev)
{
	uint64_t ng = p->next_gen, size = 0;
	int r = snapshot_tmp(p, reg, ng, &size, NULL);
	if ((r == -ENOSPC || r == -EDQUOT) && keep_prev &&
	    unlinkat(p->dirfd, FN_SNAP_PREV, 0) == 0) {
		/* Full: snapshot.prev is only a fallback, the registrations
		 * are worth more. Without it the new snapshot may fit. */
		dir_sync(p);
		r = snapshot_tmp(p, reg, ng, &size, NULL);
	}
	if (r)
		return fail(p, r, "writing " FN_SNAP_TMP);
	r = journal_tmp(p, ng);
	if (r < 0) {
		unlinkat(p->dirfd, FN_SNAP_TMP, 0);
		return fail(p, r, "writing " FN_JOURNAL_TMP);
	}
	p->pend_jfd = r;
	p->pend_gen = ng;
	p->pend_jlen = RB_JHDR_SIZE;
	r = install(p, keep_prev);
	return installed(p, r, ng, size);
}

/* After install(): either nothing changed (the old state stays in use) or
 * the new snapshot is in place, whatever failed after it. */
static int installed(struct rb_persist *p, int r, uint64_t ng, uint64_t size)
{
	if (r && !p->need_dirsync && p->pend_jfd >= 0 &&
	    faccessat(p->dirfd, FN_SNAP_TMP, F_OK, 0) == 0) {
		/* Failed before the snapshot was installed: the old state
		 * stays in use, nothing is owed. */
		close(p->pend_jfd);
		p->pend_jfd = -1;
		unlinkat(p->dirfd, FN_SNAP_TMP, 0);
		unlinkat(p->dirfd, FN_JOURNAL_TMP, 0);
		return fail(p, r, "installing the new snapshot");
	}
	/* Past this point the snapshot is in place and its generation used,
	 * whatever happened after. */
	p->next_gen = ng + 1;
	p->snap_bytes = size;
	p->snap_damaged = false;
	if (r)
		return fail(p, r, "installing the new state (retried at the next commit)");
	return 0;
}

int rb_persist_compact(struct rb_persist *p, const struct rb_registry *reg)
{
	if (p->readonly)
		return -EROFS;
	if (p->bg.running)
		return -EBUSY;
	if (!ready(p))
		return -EINVAL;
	if (p->batch_records)
		return -EBUSY;
	int r = repair(p);
	if (r)
		return r;
	return new_state(p, reg, true);
}

bool rb_persist_should_compact(const struct rb_persist *p)
{
	if (p->bg.running)
		return false;
	if (!p->readonly && ready(p) && p->snap_damaged)
		return true;
	return !p->readonly && ready(p) && p->jlen > RB_PERSIST_COMPACT_MIN &&
	       p->jlen > (uint64_t)RB_PERSIST_COMPACT_RATIO * p->snap_bytes;
}

int rb_persist_discard(struct rb_persist *p)
{
	/* A generation above everything on disk, so that no old journal can
	 * be taken for the empty snapshot's if a crash stops us midway. */
	seen_generation(p, p->gen);
	seen_generation(p, peek_generation(p, FN_SNAP, true));
	seen_generation(p, peek_generation(p, FN_SNAP_PREV, true));
	seen_generation(p, peek_generation(p, FN_JOURNAL, false));
	p->batch.pos = 0;
	p->batch.err = 0;
	p->batch_records = 0;
	if (ready(p)) {
		int r = repair(p);
		if (r)
			return r;
	}
	return new_state(p, NULL, false);
}

/* ---- compaction on another thread ----
 *
 * The snapshot is written by a thread of its own that walks the registry
 * inside a reader section, while the control thread goes on committing to
 * the old journal. The walk may or may not see each change committed after
 * it began (at journal offset cstart); every such change is in the journal
 * from cstart on, as its exact effect, and replaying those effects over any
 * state the walk saw ends in the right state (per key: an ADD of what is
 * already there changes nothing, a DEL removes whatever is there, and the
 * last effect of a key decides). So the new journal is the old one's tail
 * from cstart, copied behind a header of the new generation, and written
 * and synced before the new snapshot is renamed into place; a crash
 * between that rename and the journal's finds journal.tmp of the new
 * snapshot's generation, which the load then takes (adopt_journal_tmp). */

static void *compact_walk(void *arg)
{
	struct rb_persist *p = arg;
	/* The lowest CPU weight (nice 19, this thread only): on a busy
	 * machine the threads that answer calls go first; the snapshot takes
	 * what is left (never nothing: CFS still gives it a share). Failure
	 * only leaves it at the daemon's priority. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RB_PERSIST_COMPACT_NICE);
	struct rb_reader *rd = rb_registry_reader(p->bg.reg);
	int rc = -ENOMEM;
	uint64_t size = 0;
	if (rd) {
		rb_reader_begin(rd);
		rc = snapshot_tmp(p, p->bg.reg, p->bg.gen, &size, &p->bg.cancel);
		rb_reader_end(rd);
		rb_reader_release(rd);
	}
	p->bg.rc = rc;
	p->bg.size = size;
	atomic_store_explicit(&p->bg.done, true, memory_order_release);
	return NULL;
}

int rb_persist_compact_start(struct rb_persist *p, struct rb_registry *reg)
{
	if (p->readonly)
		return -EROFS;
	if (!ready(p))
		return -EINVAL;
	if (p->bg.running || p->batch_records)
		return -EBUSY;
	int r = repair(p);
	if (r)
		return r;
	p->bg.reg = reg;
	p->bg.gen = p->next_gen;
	p->bg.cstart = p->jlen;
	p->bg.rc = 0;
	p->bg.size = 0;
	atomic_store(&p->bg.done, false);
	atomic_store(&p->bg.cancel, false);
	r = pthread_create(&p->bg.th, NULL, compact_walk, p);
	if (r)
		return fail(p, -r, "starting the compaction thread");
	p->bg.running = true;
	return 0;
}

bool rb_persist_compact_running(const struct rb_persist *p)
{
	return p->bg.running;
}

/* Copies the journal's committed bytes from cstart into fd after its
 * header. */
static int copy_tail(struct rb_persist *p, int fd, uint64_t from, uint64_t to)
{
	uint8_t *buf = malloc(RB_PERSIST_IO_CHUNK);
	if (!buf)
		return -ENOMEM;
	int r = 0;
	uint64_t out = RB_JHDR_SIZE;
	while (from < to && !r) {
		size_t n = (size_t)(to - from < RB_PERSIST_IO_CHUNK ? to - from : RB_PERSIST_IO_CHUNK);
		ssize_t got = pread(p->jfd, buf, n, (off_t)from);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : -EIO;
			break;
		}
		r = write_all(fd, buf, (size_t)got, out);
		from += (uint64_t)got;
		out += (uint64_t)got;
	}
	free(buf);
	if (!r && fsync(fd) != 0)
		r = -errno;
	return r;
}

int rb_persist_compact_poll(struct rb_persist *p, bool wait)
{
	if (!p->bg.running)
		return 0;
	if (!wait && !atomic_load_explicit(&p->bg.done, memory_order_acquire))
		return -EINPROGRESS;
	pthread_join(p->bg.th, NULL);
	p->bg.running = false;
	uint64_t ng = p->bg.gen;
	int r = p->bg.rc;
	if (r) {
		unlinkat(p->dirfd, FN_SNAP_TMP, 0);
		return fail(p, r, "writing " FN_SNAP_TMP);
	}
	/* A failed commit may have left bytes past jlen: cut them first. */
	r = repair(p);
	if (r) {
		unlinkat(p->dirfd, FN_SNAP_TMP, 0);
		return r;
	}
	int fd = journal_tmp(p, ng);
	if (fd < 0) {
		unlinkat(p->dirfd, FN_SNAP_TMP, 0);
		return fail(p, fd, "writing " FN_JOURNAL_TMP);
	}
	r = copy_tail(p, fd, p->bg.cstart, p->jlen);
	if (r) {
		close(fd);
		unlinkat(p->dirfd, FN_SNAP_TMP, 0);
		unlinkat(p->dirfd, FN_JOURNAL_TMP, 0);
		return fail(p, r, "copying the journal's tail to " FN_JOURNAL_TMP);
	}
	p->pend_jfd = fd;
	p->pend_gen = ng;
	p->pend_jlen = RB_JHDR_SIZE + (p->jlen - p->bg.cstart);
	r = install(p, true);
	r = installed(p, r, ng, p->bg.size);
	return r ? r : 1;
}

/* Before the journal is loaded, with p->gen the snapshot's generation:
 * journal.tmp of that generation, left by a crash between installing a
 * compaction's snapshot and its journal, is that snapshot's journal (it was
 * complete and synced before the snapshot was renamed). Any other
 * journal.tmp is a leftover. */
static void adopt_journal_tmp(struct rb_persist *p, struct rb_load_report *rep)
{
	if (p->readonly || faccessat(p->dirfd, FN_JOURNAL_TMP, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	uint64_t tg = peek_generation(p, FN_JOURNAL_TMP, false);
	uint64_t jg = peek_generation(p, FN_JOURNAL, false);
	if (tg && tg == p->gen && jg != p->gen &&
	    renameat(p->dirfd, FN_JOURNAL_TMP, p->dirfd, FN_JOURNAL) == 0) {
		dir_sync(p);
		rb_clause_add(rep->msg, sizeof(rep->msg),
			FN_JOURNAL_TMP " of generation %llu completed an interrupted compaction",
			(unsigned long long)tg);
		return;
	}
	unlinkat(p->dirfd, FN_JOURNAL_TMP, 0);
}

/* ---- commit ---- */

int rb_persist_append(struct rb_persist *p, const struct rb_jrec *r)
{
	if (p->readonly)
		return -EROFS;
	if (!ready(p))
		return -EINVAL;
	int ret = rb_journal_put(&p->batch, r);
	if (ret) {
		/* The encoder is ours: clear its sticky error so that the
		 * records already buffered can still be committed. */
		p->batch.err = 0;
		return ret == -EMSGSIZE ? -ENOBUFS : ret;
	}
	p->batch_records++;
	return 0;
}

int rb_persist_commit(struct rb_persist *p)
{
	if (p->readonly)
		return -EROFS;
	if (!ready(p))
		return -EINVAL;
	if (!p->batch_records)
		return 0;
	size_t n = p->batch.pos;
	p->batch.pos = 0;
	p->batch_records = 0;
	int r = repair(p);
	if (r)
		return r;
	if (p->jlen + n > RB_PERSIST_FILE_MAX)
		return fail(p, -EFBIG, "journal over RB_PERSIST_FILE_MAX (compaction overdue)");
	r = write_all(p->jfd, p->batch.buf, n, p->jlen);
	/* One fdatasync for the whole batch: this is the group commit. It
	 * also makes the new file size durable. */
	if (!r && fdatasync(p->jfd) != 0)
		r = -errno;
	if (!r) {
		p->jlen += n;
		return 0;
	}
	/* Part of the batch may be in the file, or even on disk (after an
	 * fdatasync error the kernel may already have written some pages).
	 * Cut it off now and make the cut durable, so that a restart cannot
	 * replay a batch whose callers were told it failed. */
	if (ftruncate(p->jfd, (off_t)p->jlen) != 0 || fdatasync(p->jfd) != 0)
		p->need_truncate = true;
	return fail(p, r, "journal commit");
}

/* ---- load ---- */

struct load_ctx {
	rb_jrec_fn apply;
	void *arg;
};

/* Maps and scans one snapshot file. 0 with *info; -ENOENT; -EBADMSG with
 * info->reason (also for a file that is not regular or too large); apply's
 * -errno; another -errno. */
static int load_snapshot(struct rb_persist *p, const char *name,
			 struct load_ctx *c, struct rb_snapshot_info *info,
			 uint64_t *size, struct rb_salvage_report *salvage)
{
	memset(info, 0, sizeof(*info));
	int fd = openat(p->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ELOOP)
			return -errno;
		info->reason = "a symbolic link";
		return -EBADMSG;
	}
	struct map m;
	int r = map_fd(fd, &m);
	close(fd);
	if (r == -EINVAL || r == -EFBIG) {
		info->reason = r == -EINVAL ? "not a regular file"
					    : "over RB_PERSIST_FILE_MAX";
		return -EBADMSG;
	}
	if (r)
		return r;
	if (salvage)
		r = rb_snapshot_salvage(m.buf, m.len, c->apply, c->arg, info, salvage);
	else
		r = rb_snapshot_scan(m.buf, m.len, c->apply, c->arg, info);
	*size = m.len;
	unmap(&m);
	return r;
}

/* A write the load needed failed because nothing can be written here now:
 * go on read-only (what was read is served; rb_persist_upgrade writes it
 * later). Other errors are returned as they are. */
static int degrade(struct rb_persist *p, int err, const char *what)
{
	fail(p, err, what);
	if (!cannot_write(err))
		return err;
	p->readonly = true;
	return 0;
}

/* Creates an empty journal of generation p->gen and makes it current. */
static int fresh_journal(struct rb_persist *p)
{
	int fd = journal_tmp(p, p->gen);
	if (fd < 0)
		return fd;
	p->pend_jfd = fd;
	p->pend_gen = p->gen;
	p->pend_jlen = RB_JHDR_SIZE;
	int r = install_pending_journal(p);
	if (r && p->pend_jfd >= 0) {
		close(p->pend_jfd);
		p->pend_jfd = -1;
		unlinkat(p->dirfd, FN_JOURNAL_TMP, 0);
	}
	return r;
}

/* Copies what the scan refused to journal.dropped (best effort). */
static void keep_dropped(struct rb_persist *p, const uint8_t *b, size_t n)
{
	if (n > RB_PERSIST_DROPPED_KEEP)
		n = RB_PERSIST_DROPPED_KEEP;
	int fd = openat(p->dirfd, FN_JOURNAL_DROPPED,
			O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			0600);
	if (fd < 0)
		return;
	if (write_all(fd, b, n, 0) == 0)
		fsync(fd);
	close(fd);
}

/* Phase 1 of the journal's load: opens it (read-only when it cannot be
 * written). 0 with *fd, 1 when there is none (then a fresh one is made, or
 * not when read-only), or -errno. */
static int open_journal(struct rb_persist *p, struct rb_load_report *rep,
			bool had_snapshot, int *fd)
{
	*fd = openat(p->dirfd, FN_JOURNAL,
		     (p->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0 && !p->readonly && cannot_write(-errno)) {
		degrade(p, -errno, "opening " FN_JOURNAL " for writing");
		*fd = openat(p->dirfd, FN_JOURNAL, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (*fd >= 0)
		return 0;
	if (errno != ENOENT)
		return fail(p, -errno, "opening " FN_JOURNAL);
	if (had_snapshot)
		rb_clause_add(rep->msg, sizeof(rep->msg),
			      "no journal after snapshot %llu: starting one",
			      (unsigned long long)p->gen);
	if (p->readonly)
		return 1;
	int r = fresh_journal(p);
	if (r)
		r = degrade(p, r, "creating " FN_JOURNAL);
	return r ? r : 1;
}

/* Phase 2: does the mapped journal follow the snapshot loaded? True when
 * it does; otherwise *aside names where an unusable one is kept (NULL: it
 * is older than the snapshot, which holds all of it). */
static bool journal_follows(struct rb_persist *p, const struct map *m,
			    struct rb_load_report *rep, const char **aside)
{
	uint64_t jgen = 0;
	*aside = NULL;
	if (rb_journal_read_header(m->buf, m->len, &jgen) != 0) {
		*aside = FN_JOURNAL_BAD;
		rb_clause_add(rep->msg, sizeof(rep->msg),
			      "journal header unreadable: journal set aside as " FN_JOURNAL_BAD);
		return false;
	}
	if (jgen == p->gen)
		return true;
	seen_generation(p, jgen);
	/* Lower: a crash between installing a snapshot and its journal; the
	 * snapshot holds all of it. Higher: the snapshot it follows was
	 * refused or lost. */
	if (jgen > p->gen) {
		*aside = FN_JOURNAL_ORPHAN;
		rb_clause_add(rep->msg, sizeof(rep->msg),
			      "journal of generation %llu does not follow snapshot %llu: "
			      "its changes are lost, file kept as " FN_JOURNAL_ORPHAN,
			      (unsigned long long)jgen, (unsigned long long)p->gen);
	} else {
		rb_clause_add(rep->msg, sizeof(rep->msg),
			      "journal of generation %llu already in snapshot %llu",
			      (unsigned long long)jgen, (unsigned long long)p->gen);
	}
	return false;
}

/* Phase 3: replays the journal's good records, keeps what the scan refused
 * in journal.dropped and cuts it off. Unmaps m; fd is the caller's. */
static int replay_journal(struct rb_persist *p, struct load_ctx *c,
			  struct rb_load_report *rep, int fd, struct map *m)
{
	struct rb_scan_report sr;
	int r = rb_journal_scan(m->buf, m->len, c->apply, c->arg, &sr);
	rep->journal_records = sr.records;
	rep->not_applied += sr.not_applied;
	rep->journal_stop = sr.stop;
	if (r) {
		unmap(m);
		return fail(p, r, "replaying the journal");
	}
	if (sr.dropped) {
		if (!p->readonly)
			keep_dropped(p, m->buf + sr.good_len, sr.dropped);
		rb_clause_add(rep->msg, sizeof(rep->msg),
			      "journal: %s at offset %zu, %zu bytes dropped (copied to "
			      FN_JOURNAL_DROPPED ")",
			      rb_scan_stop_str(sr.stop), sr.good_len, sr.dropped);
	}
	unmap(m);
	/* Cut before anything is appended: new records must follow the last
	 * good one directly, or the scan would stop at the garbage before
	 * them next time. */
	if (sr.dropped && !p->readonly &&
	    (ftruncate(fd, (off_t)sr.good_len) != 0 || fdatasync(fd) != 0)) {
		r = degrade(p, -errno, "cutting the journal's tail");
		if (r)
			return r;
	}
	if (sr.dropped)
		rep->journal_dropped = sr.dropped;
	p->jlen = sr.good_len;
	return 0;
}

static int load_journal(struct rb_persist *p, struct load_ctx *c,
			struct rb_load_report *rep, bool had_snapshot)
{
	int fd;
	int r = open_journal(p, rep, had_snapshot, &fd);
	if (r)
		return r < 0 ? r : 0;
	struct map m;
	r = map_fd(fd, &m);
	if (r) {
		close(fd);
		return fail(p, r, "mapping " FN_JOURNAL);
	}
	const char *aside;
	if (!journal_follows(p, &m, rep, &aside)) {
		rep->journal_discarded = aside != NULL;
		unmap(&m);
		close(fd);
		if (p->readonly)
			return 0;
		if (aside && renameat(p->dirfd, FN_JOURNAL, p->dirfd, aside) != 0)
			return degrade(p, -errno, "setting the journal aside");
		r = fresh_journal(p);
		return r ? degrade(p, r, "creating " FN_JOURNAL) : 0;
	}
	r = replay_journal(p, c, rep, fd, &m);
	if (r) {
		close(fd);
		return r;
	}
	p->jfd = fd;
	return 0;
}

/* A copy (a hard link) of a salvaged file as snapshot.corrupt, for
 * forensics: the compaction that replaces it may remove the original. */
static void keep_damaged(struct rb_persist *p, const char *name)
{
	if (p->readonly)
		return;
	unlinkat(p->dirfd, FN_SNAP_BAD, 0);
	if (linkat(p->dirfd, name, p->dirfd, FN_SNAP_BAD, 0) == 0)
		dir_sync(p);
}

/* Says what a salvage kept and dropped. */
static void salvage_msg(struct rb_load_report *rep, const char *name,
			const struct rb_snapshot_info *info,
			const struct rb_salvage_report *sr)
{
	char what[200] = "";
	for (uint64_t i = 0; i < sr->stretches && i < RB_SALVAGE_NAMES; i++) {
		const struct rb_salvage_hole *h = &sr->hole[i];
		size_t n = strlen(what);
		if (h->named)
			snprintf(what + n, sizeof(what) - n, "%s@%zu probably %u %u %s", n ? ", " : "",
				 h->offset, h->rec.prog, h->rec.vers, h->rec.netid);
		else
			snprintf(what + n, sizeof(what) - n, "%s@%zu", n ? ", " : "", h->offset);
	}
	rb_clause_add(rep->msg, sizeof(rep->msg),
		"%s damaged (%s): salvaged %llu records that verify, %llu lost, %zu bytes "
		"in %llu damaged stretch%s skipped [%s]",
		name, info->reason ? info->reason : "?", (unsigned long long)info->count,
		(unsigned long long)sr->lost, sr->skipped_bytes,
		(unsigned long long)sr->stretches, sr->stretches == 1 ? "" : "es", what);
}

/* The snapshot a load chose, and how it got there. */
struct snap_pick {
	struct rb_snapshot_info info;
	struct rb_salvage_report sr;
	uint64_t size;
	bool have;    /* a snapshot was delivered */
	bool refused; /* "snapshot" was refused (reason says why) */
	const char *reason;
};

/* Salvages what verifies in the damaged snapshot name: delivers it, says
 * what was lost, keeps a copy, and owes a compaction. last_resort: no
 * whole snapshot was found, and the header itself may be lost. */
static int salvage(struct rb_persist *p, struct load_ctx *c,
		   struct rb_load_report *rep, struct snap_pick *s,
		   const char *name, bool last_resort)
{
	int r = load_snapshot(p, name, c, &s->info, &s->size, &s->sr);
	if (r)
		return fail(p, r, last_resort ? "salvaging a snapshot"
					      : "salvaging " FN_SNAP);
	if (!last_resort)
		s->info.reason = s->reason;
	else if (!s->sr.header_ok) {
		/* Which generation it was is lost with its header: the
		 * journal is the best guess of what followed it, and
		 * replayed. */
		s->info.generation = peek_generation(p, FN_JOURNAL, false);
	}
	salvage_msg(rep, name, &s->info, &s->sr);
	rep->salvaged = true;
	rep->salvage_lost = s->sr.lost;
	s->have = true;
	p->snap_damaged = true;
	keep_damaged(p, name);
	return 0;
}

/* Load phase 1: "snapshot". rb_snapshot_scan verifies the whole file
 * before apply sees any of it. A header that holds over a damaged body
 * is salvaged: its journal follows it, and a clean snapshot replaces it at
 * the next compaction (which does not make it snapshot.prev). */
static int load_current(struct rb_persist *p, struct load_ctx *c,
			struct rb_load_report *rep, struct snap_pick *s)
{
	int r = load_snapshot(p, FN_SNAP, c, &s->info, &s->size, NULL);
	if (r == 0) {
		s->have = true;
		return 0;
	}
	if (r == -ENOENT)
		return 0;
	if (r != -EBADMSG)
		return fail(p, r, "loading " FN_SNAP);
	s->refused = true;
	s->reason = s->info.reason;
	if (s->info.generation) {
		seen_generation(p, s->info.generation);
		return salvage(p, c, rep, s, FN_SNAP, false);
	}
	rb_clause_add(rep->msg, sizeof(rep->msg), "snapshot refused: %s", s->reason);
	return 0;
}

/* Load phase 2, when phase 1 delivered nothing: snapshot.prev, or with
 * nothing whole to fall back on, what verifies in either file. */
static int load_previous(struct rb_persist *p, struct load_ctx *c,
			 struct rb_load_report *rep, struct snap_pick *s)
{
	int r = load_snapshot(p, FN_SNAP_PREV, c, &s->info, &s->size, NULL);
	if (r == 0 && s->refused && !p->readonly &&
	    renameat(p->dirfd, FN_SNAP, p->dirfd, FN_SNAP_BAD) != 0) {
		/* Set aside only now that a good state replaces it (so that
		 * the next compaction does not make the refused file
		 * snapshot.prev). */
		r = degrade(p, -errno, "setting the refused snapshot aside");
		if (r)
			return r;
	}
	if (r == 0) {
		s->have = true;
		rep->used_prev = true;
		rb_clause_add(rep->msg, sizeof(rep->msg),
			      "loaded " FN_SNAP_PREV " (generation %llu)",
			      (unsigned long long)s->info.generation);
		return 0;
	}
	if (r == -EBADMSG || (r == -ENOENT && s->refused)) {
		if (r == -EBADMSG)
			rb_clause_add(rep->msg, sizeof(rep->msg),
				      FN_SNAP_PREV " refused too: %s", s->info.reason);
		else
			rb_clause_add(rep->msg, sizeof(rep->msg),
				      "no " FN_SNAP_PREV " to fall back on");
		return salvage(p, c, rep, s, s->refused ? FN_SNAP : FN_SNAP_PREV, true);
	}
	return r == -ENOENT ? 0 : fail(p, r, "loading " FN_SNAP_PREV);
}

int rb_persist_load(struct rb_persist *p, rb_jrec_fn apply, void *arg,
		    struct rb_load_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	if (ready(p))
		return -EINVAL;
	struct load_ctx c = {apply, arg};
	struct snap_pick s = {0};
	int r = load_current(p, &c, rep, &s);
	if (!r && !s.have)
		r = load_previous(p, &c, rep, &s);
	if (r)
		return r;
	if (s.have) {
		p->gen = s.info.generation;
		p->snap_bytes = s.size;
		rep->snapshot_entries = s.info.count;
		rep->not_applied += s.info.not_applied;
	} else {
		p->gen = 0; /* no snapshot: the empty one of generation 0 */
	}
	seen_generation(p, p->gen);
	rep->generation = p->gen;
	adopt_journal_tmp(p, rep);
	if (!s.have && faccessat(p->dirfd, FN_JOURNAL, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		rep->fresh = true;
	return load_journal(p, &c, rep, s.have);
}

int rb_persist_upgrade(struct rb_persist *p, rb_jrec_fn apply, void *arg,
		       struct rb_load_report *rep)
{
	if (!p->readonly)
		return 0;
	if (p->lockfd < 0) {
		p->lockfd = openat(p->dirfd, FN_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
				   0600);
		if (p->lockfd < 0)
			return fail(p, -errno, "creating " FN_LOCK);
		if (flock(p->lockfd, LOCK_EX | LOCK_NB) != 0) {
			int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
			close(p->lockfd);
			p->lockfd = -1;
			return fail(p, r, "locking " FN_LOCK);
		}
	}
	/* Is the directory writable now? Cheap test before a reload. */
	int probe = openat(p->dirfd, FN_JOURNAL_TMP,
			   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (probe < 0)
		return fail(p, -errno, "probing the state directory");
	int pr = write_all(probe, "x", 1, 0);
	if (!pr && fsync(probe) != 0)
		pr = -errno;
	close(probe);
	unlinkat(p->dirfd, FN_JOURNAL_TMP, 0);
	if (pr)
		return fail(p, pr, "probing the state directory");
	if (p->jfd >= 0)
		close(p->jfd);
	p->jfd = -1;
	p->jlen = 0;
	p->readonly = false;
	int r = rb_persist_load(p, apply, arg, rep);
	if (r == 0 && p->readonly)
		r = -EROFS; /* still cannot write what the load needs */
	if (r == 0)
		write_pid(p->lockfd);
	return r;
}
