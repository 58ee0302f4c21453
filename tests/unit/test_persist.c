/* Persistence file I/O (net/control/persist.c) in a private temporary directory:
 * the state-directory lock and checks, commit and reload, a torn or corrupt
 * journal tail cut at the last good record, compaction of 10,000 entries,
 * the crash window between a new snapshot and its journal, snapshot.prev
 * when "snapshot" is refused, a failing commit that leaves nothing
 * replayable and recovers (RLIMIT_FSIZE here; a full tmpfs with the
 * argument "enospc"), --cold, and importing rpcbind's warm-start files,
 * real and hostile. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "net/control/persist.h"
#include "registry/store/registry.h"
#include "net/control/rpcbind_import.h"

#ifndef RB_TEST_DATA_DIR
#error "RB_TEST_DATA_DIR must name tests/data"
#endif

struct rb_check_state rb_check;

static char base[64];
static char sdir[128];

/* ---- helpers ---- */

static void path_of(char *out, size_t cap, const char *dir, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[512];
		path_of(p, sizeof(p), dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static bool exists(const char *dir, const char *name)
{
	char p[512];
	struct stat st;
	path_of(p, sizeof(p), dir, name);
	return lstat(p, &st) == 0;
}

static long long fsize(const char *dir, const char *name)
{
	char p[512];
	struct stat st;
	path_of(p, sizeof(p), dir, name);
	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	uint8_t *b = malloc((size_t)st.st_size + 1);
	*len = (size_t)read(fd, b, (size_t)st.st_size);
	close(fd);
	return b;
}

static void spit(const char *path, const void *b, size_t n, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ_U(write(fd, b, n), n);
	fchmod(fd, mode);
	close(fd);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	size_t n = 0;
	uint8_t *b = slurp(from, &n);
	CHECK(b != NULL);
	if (b)
		spit(to, b, n, mode);
	free(b);
}

/* The daemon's side, as the lead will write it: change the registry, then
 * journal exactly the effect. */
struct side {
	struct rb_registry *reg;
	struct rb_persist *p;
};

static void side_open(struct side *s, struct rb_load_report *rep, int want)
{
	char msg[256] = "";
	CHECK_EQ_U(rb_registry_new(&s->reg), 0);
	int r = rb_persist_open(sdir, &s->p, msg, sizeof(msg));
	CHECK_EQ_U(r, 0);
	if (r) {
		fprintf(stderr, "open: %s\n", msg);
		exit(1);
	}
	struct rb_load_report scratch;
	if (!rep)
		rep = &scratch;
	struct rb_jrec_sink sink = {s->reg, 0};
	r = rb_persist_load(s->p, rb_jrec_apply, &sink, rep);
	CHECK_EQ_U(r, (uint64_t)want);
	if (r != want)
		fprintf(stderr, "load: %d %s (%s)\n", r, rep->msg,
			rb_persist_last_error(s->p));
}

static void side_close(struct side *s)
{
	rb_persist_close(s->p);
	rb_registry_synchronize(s->reg);
	rb_registry_free(s->reg);
	s->p = NULL;
	s->reg = NULL;
}

static void add(struct side *s, uint32_t prog, uint32_t vers,
		const char *netid, const char *uaddr, const char *owner)
{
	CHECK_EQ_U(rb_registry_set(s->reg, prog, vers, netid, uaddr, owner),
		   RB_SET_ADDED);
	struct rb_jrec r;
	memset(&r, 0, sizeof(r));
	r.op = RB_JOP_ADD;
	r.prog = prog;
	r.vers = vers;
	snprintf(r.netid, sizeof(r.netid), "%s", netid);
	snprintf(r.uaddr, sizeof(r.uaddr), "%s", uaddr);
	snprintf(r.owner, sizeof(r.owner), "%s", owner);
	CHECK_EQ_U(rb_persist_append(s->p, &r), 0);
}

static void del(struct side *s, uint32_t prog, uint32_t vers,
		const char *netid)
{
	unsigned n = 0;
	CHECK_EQ_U(rb_registry_unset(s->reg, prog, vers, netid, NULL, &n), 0);
	CHECK(n > 0);
	struct rb_jrec r;
	memset(&r, 0, sizeof(r));
	r.op = RB_JOP_DEL;
	r.prog = prog;
	r.vers = vers;
	snprintf(r.netid, sizeof(r.netid), "%s", netid);
	CHECK_EQ_U(rb_persist_append(s->p, &r), 0);
}

static void commit(struct side *s)
{
	int r = rb_persist_commit(s->p);
	CHECK_EQ_U(r, 0);
	if (r)
		fprintf(stderr, "commit: %s\n", rb_persist_last_error(s->p));
}

/* Same entries in the same (registration) order. */
static bool reg_equal(const struct rb_registry *a, const struct rb_registry *b)
{
	const struct rb_entry *x = rb_registry_first(a), *y = rb_registry_first(b);
	size_t n = 0;
	for (; x && y; x = rb_registry_next(x), y = rb_registry_next(y), n++) {
		if (x->prog != y->prog || x->vers != y->vers ||
		    strcmp(x->netid, y->netid) != 0 ||
		    strcmp(rb_entry_uaddr(x), rb_entry_uaddr(y)) != 0 ||
		    strcmp(rb_entry_owner(x), rb_entry_owner(y)) != 0) {
			fprintf(stderr, "entry %zu differs: %u/%u/%s vs %u/%u/%s\n",
				n, x->prog, x->vers, x->netid, y->prog, y->vers,
				y->netid);
			return false;
		}
	}
	if (x || y)
		fprintf(stderr, "registries differ in length after %zu\n", n);
	return !x && !y;
}

/* A registry copy to compare against later (the live one moves on). */
static struct rb_registry *reg_copy(const struct rb_registry *a)
{
	struct rb_registry *c;
	CHECK_EQ_U(rb_registry_new(&c), 0);
	for (const struct rb_entry *x = rb_registry_first(a); x;
	     x = rb_registry_next(x))
		rb_registry_set(c, x->prog, x->vers, x->netid,
				rb_entry_uaddr(x), rb_entry_owner(x));
	return c;
}

static void reg_drop(struct rb_registry *r)
{
	rb_registry_synchronize(r);
	rb_registry_free(r);
}

/* Reopens the state into a fresh registry and compares with want. */
static void check_reload(const struct rb_registry *want,
			 struct rb_load_report *rep)
{
	struct side s2;
	side_open(&s2, rep, 0);
	CHECK(reg_equal(want, s2.reg));
	side_close(&s2);
}

static void fill(struct side *s, uint32_t first, uint32_t n)
{
	char ua[64];
	for (uint32_t i = first; i < first + n; i++) {
		snprintf(ua, sizeof(ua), "10.%u.%u.%u.%u.%u", (i >> 16) & 255,
			 (i >> 8) & 255, i & 255, (i >> 8) & 255, i & 255);
		add(s, 400000 + i / 1000, (i % 1000) / 2, (i & 1) ? "tcp" : "udp",
		    ua, (i % 3) ? "superuser" : "1000");
		if (rb_persist_pending(s->p) == 256)
			commit(s);
	}
	commit(s);
}

/* ---- tests ---- */

static void test_open_lock(void)
{
	char msg[256] = "";
	struct rb_persist *a = NULL, *b = NULL;
	CHECK_EQ_U(rb_persist_open(sdir, &a, msg, sizeof(msg)), 0);
	struct stat st;
	CHECK(stat(sdir, &st) == 0 && (st.st_mode & 07777) == 0700);
	CHECK_EQ_U(rb_persist_open(sdir, &b, msg, sizeof(msg)), (uint64_t)-EBUSY);
	char pid[32];
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	CHECK(strstr(msg, pid) != NULL);
	/* Not loaded yet: no appends. */
	struct rb_jrec r = {.op = RB_JOP_DEL, .prog = 1};
	CHECK_EQ_U(rb_persist_append(a, &r), (uint64_t)-EINVAL);
	CHECK_EQ_U(rb_persist_commit(a), (uint64_t)-EINVAL);
	rb_persist_close(a);
	CHECK_EQ_U(rb_persist_open(sdir, &b, msg, sizeof(msg)), 0);
	rb_persist_close(b);

	chmod(sdir, 0770);
	CHECK_EQ_U(rb_persist_open(sdir, &b, msg, sizeof(msg)), (uint64_t)-EPERM);
	CHECK(strstr(msg, "writable") != NULL);
	chmod(sdir, 0700);
	if (geteuid() == 0) {
		CHECK(chown(sdir, 65534, 65534) == 0);
		CHECK_EQ_U(rb_persist_open(sdir, &b, msg, sizeof(msg)),
			   (uint64_t)-EPERM);
		CHECK(strstr(msg, "owned by uid 65534") != NULL);
		CHECK(chown(sdir, 0, 0) == 0);
	}
	/* The parent must exist. */
	char deep[256];
	snprintf(deep, sizeof(deep), "%s/no/such", base);
	CHECK_EQ_U(rb_persist_open(deep, &b, msg, sizeof(msg)), (uint64_t)-ENOENT);
}

static void test_commit_reload(void)
{
	struct side s;
	struct rb_load_report rep;
	side_open(&s, &rep, 0);
	CHECK(rep.fresh);
	CHECK_STR(rep.msg, "");
	CHECK_EQ_U(rep.generation, 0);
	CHECK_EQ_U(rb_persist_journal_bytes(s.p), RB_JHDR_SIZE);
	CHECK(!rb_persist_should_compact(s.p));
	CHECK_EQ_U(rb_persist_commit(s.p), 0); /* nothing buffered */

	add(&s, 100003, 3, "tcp", "0.0.0.0.8.1", "superuser");
	add(&s, 100003, 3, "udp", "0.0.0.0.8.1", "superuser");
	add(&s, 100021, 4, "local", "/run/lockd.sock", "1000");
	CHECK_EQ_U(rb_persist_pending(s.p), 3);
	commit(&s);
	CHECK_EQ_U(rb_persist_pending(s.p), 0);
	del(&s, 100003, 3, "udp");
	commit(&s);
	CHECK_EQ_U(fsize(sdir, "journal"), rb_persist_journal_bytes(s.p));

	/* Appended but never committed: gone after a restart. */
	struct rb_registry *want = reg_copy(s.reg);
	struct rb_jrec r = {.op = RB_JOP_ADD, .prog = 5, .vers = 5};
	snprintf(r.netid, sizeof(r.netid), "udp");
	CHECK_EQ_U(rb_persist_append(s.p, &r), 0);
	side_close(&s);

	check_reload(want, &rep);
	CHECK(!rep.fresh);
	CHECK_EQ_U(rep.journal_records, 4);
	CHECK_EQ_U(rep.journal_stop, RB_SCAN_CLEAN);
	CHECK_STR(rep.msg, "");
	reg_drop(want);
}

/* Appends raw bytes to the journal, as a crash mid-write leaves them. */
static void journal_append_raw(const void *b, size_t n)
{
	char p[256];
	path_of(p, sizeof(p), sdir, "journal");
	int fd = open(p, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ_U(write(fd, b, n), n);
	close(fd);
}

static void test_torn_tail(void)
{
	struct side s;
	struct rb_load_report rep;
	side_open(&s, &rep, 0);
	struct rb_registry *want = reg_copy(s.reg);
	long long good = fsize(sdir, "journal");
	side_close(&s);

	/* The first 10 bytes of a record. */
	static const uint8_t partial[10] = {0, 0, 0, 0x34, 1, 2, 3, 4, 0, 0};
	journal_append_raw(partial, sizeof(partial));
	check_reload(want, &rep);
	CHECK_EQ_U(rep.journal_stop, RB_SCAN_TORN);
	CHECK_EQ_U(rep.journal_dropped, 10);
	CHECK(strstr(rep.msg, "torn") != NULL);
	CHECK_EQ_U(fsize(sdir, "journal"), good);
	CHECK_EQ_U(fsize(sdir, "journal.dropped"), 10);

	/* New records follow the last good one directly. */
	side_open(&s, &rep, 0);
	CHECK_EQ_U(rep.journal_dropped, 0);
	add(&s, 7, 1, "tcp", "0.0.0.0.0.7", "superuser");
	commit(&s);
	reg_drop(want);
	want = reg_copy(s.reg);
	side_close(&s);
	check_reload(want, &rep);
	CHECK_STR(rep.msg, "");
	reg_drop(want);
}

static void test_corrupt_middle(void)
{
	struct side s;
	struct rb_load_report rep;
	side_open(&s, &rep, 0);
	struct rb_registry *want = reg_copy(s.reg);
	long long before = fsize(sdir, "journal");
	add(&s, 8, 1, "tcp", "0.0.0.0.0.8", "superuser");
	commit(&s);
	struct rb_registry *want1 = reg_copy(s.reg);
	long long after1 = fsize(sdir, "journal");
	add(&s, 8, 2, "tcp", "0.0.0.0.0.8", "superuser");
	add(&s, 8, 3, "tcp", "0.0.0.0.0.8", "superuser");
	commit(&s);
	side_close(&s);

	/* Flip a byte inside the second new record: the first stays, the
	 * rest goes, and the journal is cut after the first. */
	char p[256];
	path_of(p, sizeof(p), sdir, "journal");
	int fd = open(p, O_RDWR);
	uint8_t b;
	CHECK_EQ_U(pread(fd, &b, 1, after1 + 20), 1);
	b ^= 0x40;
	CHECK_EQ_U(pwrite(fd, &b, 1, after1 + 20), 1);
	close(fd);
	check_reload(want1, &rep);
	CHECK_EQ_U(rep.journal_stop, RB_SCAN_BAD_CRC);
	CHECK(strstr(rep.msg, "checksum") != NULL);
	CHECK_EQ_U(fsize(sdir, "journal"), after1);
	(void)before;
	reg_drop(want);
	reg_drop(want1);
}

static void test_compaction(void)
{
	struct side s;
	struct rb_load_report rep;
	rm_tree(sdir);
	side_open(&s, &rep, 0);
	fill(&s, 0, 10000);
	for (uint32_t i = 0; i < 10000; i += 7)
		del(&s, 400000 + i / 1000, (i % 1000) / 2, (i & 1) ? "tcp" : "udp");
	commit(&s);
	/* Over RB_PERSIST_COMPACT_MIN and twice the (empty) snapshot. */
	CHECK(rb_persist_should_compact(s.p));
	uint64_t jbytes = rb_persist_journal_bytes(s.p);
	CHECK(jbytes > 10000 * 40);

	/* Keep the journal of generation 0 to stage a crash window below. */
	char jp[256];
	path_of(jp, sizeof(jp), sdir, "journal");
	size_t oldlen = 0;
	uint8_t *old = slurp(jp, &oldlen);

	/* Not with records buffered. */
	add(&s, 9, 9, "udp", "0.0.0.0.0.9", "superuser");
	CHECK_EQ_U(rb_persist_compact(s.p, s.reg), (uint64_t)-EBUSY);
	commit(&s);
	CHECK_EQ_U(rb_persist_compact(s.p, s.reg), 0);
	CHECK_EQ_U(rb_persist_generation(s.p), 1);
	CHECK_EQ_U(rb_persist_journal_bytes(s.p), RB_JHDR_SIZE);
	CHECK(exists(sdir, "snapshot"));
	CHECK(!exists(sdir, "snapshot.prev")); /* none before the first */
	CHECK(!exists(sdir, "snapshot.tmp") && !exists(sdir, "journal.tmp"));
	struct rb_registry *at_compact = reg_copy(s.reg);

	fill(&s, 10000, 500);
	del(&s, 400000, 0, "tcp");
	commit(&s);
	struct rb_registry *want = reg_copy(s.reg);
	CHECK_EQ_U(rb_registry_count(want), 10000 - 1429 + 1 + 500 - 1);
	side_close(&s);

	check_reload(want, &rep);
	CHECK_EQ_U(rep.generation, 1);
	CHECK_EQ_U(rep.snapshot_entries, 10000 - 1429 + 1);
	CHECK_EQ_U(rep.journal_records, 501);
	CHECK_STR(rep.msg, "");

	/* The crash window: new snapshot installed, old journal (generation
	 * 0) still in place. Its changes are in the snapshot: ignored. */
	char keep[256];
	path_of(keep, sizeof(keep), base, "journal.keep");
	copy_file(jp, keep, 0600);
	spit(jp, old, oldlen, 0600);
	free(old);
	check_reload(at_compact, &rep);
	CHECK(strstr(rep.msg, "already in snapshot") != NULL);
	CHECK(!rep.journal_discarded);
	CHECK_EQ_U(rep.journal_records, 0);
	/* (The stale journal was replaced by an empty one of generation 1.) */
	CHECK_EQ_U(fsize(sdir, "journal"), RB_JHDR_SIZE);
	copy_file(keep, jp, 0600);
	check_reload(want, &rep);
	reg_drop(at_compact);
	reg_drop(want);
}

static void test_prev_fallback(void)
{
	struct side s;
	struct rb_load_report rep;
	side_open(&s, &rep, 0);
	CHECK_EQ_U(rb_persist_compact(s.p, s.reg), 0);
	CHECK_EQ_U(rb_persist_generation(s.p), 2);
	struct rb_registry *gen2 = reg_copy(s.reg); /* = snapshot 2 */
	add(&s, 10, 1, "tcp", "0.0.0.0.0.10", "superuser");
	commit(&s);
	CHECK_EQ_U(rb_persist_compact(s.p, s.reg), 0);
	CHECK_EQ_U(rb_persist_generation(s.p), 3);
	CHECK(exists(sdir, "snapshot.prev"));
	add(&s, 11, 1, "tcp", "0.0.0.0.0.11", "superuser");
	commit(&s);
	struct rb_registry *now = reg_copy(s.reg);
	side_close(&s);

	/* The rename fallback's instant: no "snapshot", prev and journal of
	 * the same generation. Make it by hand from generation 2's files. */
	char a[256], b2[256], keep[256];
	path_of(a, sizeof(a), sdir, "snapshot");
	path_of(b2, sizeof(b2), sdir, "snapshot.prev");
	path_of(keep, sizeof(keep), base, "prev.keep");
	copy_file(b2, keep, 0600);
	CHECK(rename(a, b2) == 0);
	check_reload(now, &rep);
	CHECK(rep.used_prev);
	CHECK_EQ_U(rep.generation, 3);
	CHECK_EQ_U(rep.journal_records, 1);
	CHECK(rename(b2, a) == 0);
	copy_file(keep, b2, 0600);

	/* Garbage as "snapshot": refused whole, set aside; snapshot.prev
	 * (generation 2) is loaded; the journal of generation 3 cannot
	 * follow it and is kept as journal.orphan. */
	uint8_t junk[4096];
	memset(junk, 0xa5, sizeof(junk));
	spit(a, junk, sizeof(junk), 0600);
	check_reload(gen2, &rep);
	CHECK(rep.used_prev);
	CHECK(rep.journal_discarded);
	CHECK_EQ_U(rep.generation, 2);
	CHECK(strstr(rep.msg, "snapshot refused: not a snapshot") != NULL);
	CHECK(strstr(rep.msg, "orphan") != NULL);
	CHECK(exists(sdir, "snapshot.corrupt"));
	CHECK(exists(sdir, "journal.orphan"));
	CHECK(!exists(sdir, "snapshot"));

	/* Life goes on from there; the next compaction keeps the good prev. */
	side_open(&s, &rep, 0);
	CHECK(rep.used_prev);
	CHECK_STR(rep.msg, "loaded snapshot.prev (generation 2)");
	add(&s, 12, 1, "tcp", "0.0.0.0.0.12", "superuser");
	commit(&s);
	CHECK_EQ_U(rb_persist_compact(s.p, s.reg), 0);
	CHECK(rb_persist_generation(s.p) > 2);
	reg_drop(now);
	now = reg_copy(s.reg);
	side_close(&s);
	check_reload(now, &rep);
	CHECK(!rep.used_prev);
	CHECK_STR(rep.msg, "");

	/* A flipped bit in snapshot (its header intact) and garbage in prev:
	 * salvaged, every record but the damaged one kept, and the load says
	 * which was dropped. */
	struct side s3;
	int fd = open(a, O_RDWR);
	uint8_t byte;
	CHECK_EQ_U(pread(fd, &byte, 1, 100), 1);
	byte ^= 1;
	CHECK_EQ_U(pwrite(fd, &byte, 1, 100), 1);
	close(fd);
	spit(b2, junk, 10, 0600);
	side_open(&s3, &rep, 0);
	CHECK(strstr(rep.msg, "body checksum mismatch") != NULL);
	CHECK(strstr(rep.msg, "salvaged") != NULL);
	CHECK(rep.salvaged);
	CHECK_EQ_U(rep.salvage_lost, 1);
	CHECK_EQ_U(rb_registry_count(s3.reg), rb_registry_count(now) - 1);
	CHECK(exists(sdir, "snapshot.corrupt"));
	CHECK(rb_persist_should_compact(s3.p)); /* a clean snapshot is owed */
	/* --cold from there (on an empty registry). */
	reg_drop(s3.reg);
	CHECK_EQ_U(rb_registry_new(&s3.reg), 0);
	CHECK_EQ_U(rb_persist_discard(s3.p), 0);
	add(&s3, 13, 1, "udp", "0.0.0.0.0.13", "superuser");
	commit(&s3);
	reg_drop(now);
	now = reg_copy(s3.reg);
	uint64_t g = rb_persist_generation(s3.p);
	side_close(&s3);
	check_reload(now, &rep);
	CHECK_EQ_U(rep.generation, g);
	CHECK(!exists(sdir, "snapshot.prev"));
	reg_drop(now);
	reg_drop(gen2);
}

static void test_discard(void)
{
	struct side s;
	struct rb_load_report rep;
	side_open(&s, &rep, 0);
	CHECK(rb_registry_count(s.reg) > 0);
	uint64_t g = rb_persist_generation(s.p);
	side_close(&s);

	/* --cold instead of a load. */
	char msg[128];
	struct rb_persist *p;
	CHECK_EQ_U(rb_persist_open(sdir, &p, msg, sizeof(msg)), 0);
	CHECK_EQ_U(rb_persist_discard(p), 0);
	CHECK(rb_persist_generation(p) > g);
	rb_persist_close(p);
	struct rb_registry *empty;
	rb_registry_new(&empty);
	check_reload(empty, &rep);
	CHECK_EQ_U(rep.snapshot_entries, 0);
	reg_drop(empty);
}

/* A commit that fails halfway (the file-size limit cuts the write short,
 * then refuses it, as a full disk does) leaves no byte of its batch, and
 * the next commit works once the limit is lifted. */
static void test_commit_failure(void)
{
	struct side s;
	struct rb_load_report rep;
	rm_tree(sdir);
	side_open(&s, &rep, 0);
	add(&s, 20, 1, "tcp", "0.0.0.0.0.20", "superuser");
	commit(&s);
	struct rb_registry *want = reg_copy(s.reg);
	uint64_t jl = rb_persist_journal_bytes(s.p);

	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = jl + 10; /* also below a one-entry snapshot */
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	for (uint32_t v = 0; v < 20; v++)
		add(&s, 21, v, "tcp", "0.0.0.0.0.21", "superuser");
	CHECK_EQ_U(rb_persist_commit(s.p), (uint64_t)-EFBIG);
	CHECK(strstr(rb_persist_last_error(s.p), "journal commit") != NULL);
	CHECK_EQ_U(rb_persist_pending(s.p), 0); /* the batch is dropped */
	CHECK_EQ_U(rb_persist_journal_bytes(s.p), jl);
	CHECK_EQ_U(fsize(sdir, "journal"), jl);
	/* (the caller undoes the batch in the registry) */
	for (uint32_t v = 0; v < 20; v++) {
		unsigned n;
		rb_registry_unset(s.reg, 21, v, "tcp", NULL, &n);
	}
	/* Still failing while the cause lasts; a compaction too. */
	add(&s, 22, 1, "tcp", "0.0.0.0.0.22", "superuser");
	add(&s, 22, 2, "tcp", "0.0.0.0.0.22", "superuser");
	add(&s, 22, 3, "tcp", "0.0.0.0.0.22", "superuser");
	add(&s, 22, 4, "tcp", "0.0.0.0.0.22", "superuser");
	CHECK_EQ_U(rb_persist_commit(s.p), (uint64_t)-EFBIG);
	for (uint32_t v = 1; v <= 4; v++) {
		unsigned n;
		rb_registry_unset(s.reg, 22, v, "tcp", NULL, &n);
	}
	CHECK(rb_persist_compact(s.p, s.reg) < 0);
	CHECK(!exists(sdir, "snapshot") && !exists(sdir, "snapshot.tmp"));
	CHECK_EQ_U(setrlimit(RLIMIT_FSIZE, &old), 0);

	/* The cause is gone: commits and compactions work again. */
	add(&s, 23, 1, "udp", "0.0.0.0.0.23", "superuser");
	commit(&s);
	reg_drop(want);
	want = reg_copy(s.reg);
	side_close(&s);
	check_reload(want, &rep);
	CHECK_EQ_U(rep.journal_records, 2);
	CHECK_STR(rep.msg, "");
	side_open(&s, &rep, 0);
	CHECK_EQ_U(rb_persist_compact(s.p, s.reg), 0);
	side_close(&s);
	check_reload(want, &rep);
	reg_drop(want);
	signal(SIGXFSZ, SIG_DFL);
}

/* ---- rpcbind warm-start import ---- */

static const struct {
	uint32_t prog, vers;
	const char *netid, *uaddr, *owner;
} want_import[] = {
	{100003, 3, "tcp", "0.0.0.0.8.1", "superuser"},
	{100003, 3, "udp", "0.0.0.0.8.1", "superuser"},
	{100003, 4, "tcp6", "::.8.1", "superuser"},
	{100005, 3, "udp6", "::1.156.64", "superuser"},
	{100021, 4, "local", "/run/lockd.sock", "superuser"},
	{100024, 1, "udp", "127.0.0.1.3.232", "superuser"},
	{100099, 1, "udp", "0.0.0.0.8.1", "superuser"},
	{100099, 1, "tcp", "0.0.0.0.8.2", "superuser"},
	{200000, 2, "tcp", "0.0.0.0.0.111", "superuser"},
	{300019, 1, "tcp", "127.0.0.1.4.1", "65534"},
};

static void warm_setup(const char *wdir)
{
	rm_tree(wdir);
	CHECK(mkdir(wdir, 0700) == 0);
	char to[256];
	path_of(to, sizeof(to), wdir, "rpcbind.xdr");
	copy_file(RB_TEST_DATA_DIR "/rpcbind-warmstart/rpcbind.xdr", to, 0600);
	path_of(to, sizeof(to), wdir, "portmap.xdr");
	copy_file(RB_TEST_DATA_DIR "/rpcbind-warmstart/portmap.xdr", to, 0600);
}

static int import_into(const char *wdir, uid_t trusted, struct rb_registry **reg,
		       struct rb_import_report *rep)
{
	CHECK_EQ_U(rb_registry_new(reg), 0);
	struct rb_jrec_sink sink = {*reg, 0};
	return rb_rpcbind_import(wdir, trusted, rb_jrec_apply, &sink, rep);
}

static void test_import(void)
{
	char wdir[128], f[256], g[256];
	snprintf(wdir, sizeof(wdir), "%s/warm", base);
	struct rb_registry *reg;
	struct rb_import_report rep;

	warm_setup(wdir);
	CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep), 0);
	CHECK(rep.found_rpcbind && rep.found_portmap);
	CHECK_EQ_U(rep.rpcbind.imported, 10);
	CHECK_EQ_U(rep.rpcbind.skipped, 12);
	CHECK_EQ_U(rep.portmap.entries, 13);
	CHECK_EQ_U(rep.portmap.skipped, 6);
	CHECK_EQ_U(rep.duplicates, 7);
	CHECK_EQ_U(rep.portmap.imported, 0);
	CHECK_EQ_U(rep.portmap.not_applied, 0);
	CHECK_EQ_U(rb_registry_count(reg), 10);
	const struct rb_entry *e = rb_registry_first(reg);
	for (size_t i = 0; i < 10 && e; i++, e = rb_registry_next(e)) {
		CHECK_EQ_U(e->prog, want_import[i].prog);
		CHECK_EQ_U(e->vers, want_import[i].vers);
		CHECK_STR(e->netid, want_import[i].netid);
		CHECK_STR(rb_entry_uaddr(e), want_import[i].uaddr);
		CHECK_STR(rb_entry_owner(e), want_import[i].owner);
	}
	reg_drop(reg);
	CHECK_EQ_U(rb_rpcbind_import_done(wdir), 0);
	CHECK(!exists(wdir, "rpcbind.xdr") && !exists(wdir, "portmap.xdr"));
	CHECK_EQ_U(rb_rpcbind_import_done(wdir), 0);
	CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep), (uint64_t)-ENOENT);
	reg_drop(reg);

	/* portmap.xdr alone: its entries come in. */
	warm_setup(wdir);
	path_of(f, sizeof(f), wdir, "rpcbind.xdr");
	unlink(f);
	CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep), 0);
	CHECK(!rep.found_rpcbind && rep.found_portmap);
	CHECK_EQ_U(rb_registry_count(reg), 7);
	reg_drop(reg);

	/* A symlink (to a perfectly good file). */
	warm_setup(wdir);
	path_of(f, sizeof(f), wdir, "rpcbind.xdr");
	path_of(g, sizeof(g), wdir, "real.xdr");
	CHECK(rename(f, g) == 0);
	CHECK(symlink(g, f) == 0);
	CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep), (uint64_t)-ELOOP);
	CHECK(strstr(rep.msg, "symbolic link") != NULL);
	CHECK_EQ_U(rb_registry_count(reg), 0);
	reg_drop(reg);

	/* Group-writable. */
	warm_setup(wdir);
	path_of(f, sizeof(f), wdir, "portmap.xdr");
	chmod(f, 0620);
	CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep), (uint64_t)-EPERM);
	CHECK(strstr(rep.msg, "portmap.xdr: writable by group") != NULL);
	CHECK_EQ_U(rb_registry_count(reg), 0); /* rpcbind.xdr was fine: still nothing */
	reg_drop(reg);

	/* Owned by someone else (nobody), then trusted as rpcbind's user. */
	if (geteuid() == 0) {
		warm_setup(wdir);
		path_of(f, sizeof(f), wdir, "rpcbind.xdr");
		CHECK(chown(f, 65534, 65534) == 0);
		CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep),
			   (uint64_t)-EPERM);
		CHECK(strstr(rep.msg, "owned by uid 65534") != NULL);
		reg_drop(reg);
		CHECK_EQ_U(import_into(wdir, 65534, &reg, &rep), 0);
		CHECK_EQ_U(rb_registry_count(reg), 10);
		reg_drop(reg);
	}

	/* A FIFO under the name (opened without blocking, then refused). */
	warm_setup(wdir);
	path_of(f, sizeof(f), wdir, "portmap.xdr");
	unlink(f);
	CHECK(mkfifo(f, 0600) == 0);
	CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep), (uint64_t)-EPERM);
	CHECK(strstr(rep.msg, "not a regular file") != NULL);
	reg_drop(reg);

	/* Too large (sparse). */
	warm_setup(wdir);
	path_of(f, sizeof(f), wdir, "portmap.xdr");
	CHECK(truncate(f, (off_t)RB_WARM_FILE_MAX + 1) == 0);
	CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep), (uint64_t)-EFBIG);
	reg_drop(reg);

	/* Malformed portmap.xdr (cut short) beside a good rpcbind.xdr:
	 * neither is applied. */
	warm_setup(wdir);
	path_of(f, sizeof(f), wdir, "portmap.xdr");
	CHECK(truncate(f, 100) == 0);
	CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep), (uint64_t)-EBADMSG);
	CHECK(strstr(rep.msg, "portmap.xdr: malformed") != NULL);
	CHECK_EQ_U(rb_registry_count(reg), 0);
	reg_drop(reg);

	/* A huge string length in rpcbind.xdr. */
	warm_setup(wdir);
	path_of(f, sizeof(f), wdir, "rpcbind.xdr");
	int fd = open(f, O_RDWR);
	static const uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xf0};
	CHECK_EQ_U(pwrite(fd, huge, 4, 12), 4); /* the first netid's length */
	close(fd);
	CHECK_EQ_U(import_into(wdir, (uid_t)-1, &reg, &rep), (uint64_t)-EBADMSG);
	CHECK_EQ_U(rb_registry_count(reg), 0);
	reg_drop(reg);

	rm_tree(wdir);
}

/* ---- ENOSPC on a 64 KiB tmpfs (argument "enospc") ---- */

static int enospc_main(void)
{
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", base, "tmpfs", 0, "size=64k,mode=0700") != 0) {
		printf("SKIP: no private mount namespace with a tmpfs (%s)\n",
		       strerror(errno));
		return 77;
	}
	struct side s;
	struct rb_load_report rep;
	side_open(&s, &rep, 0);
	add(&s, 30, 1, "tcp", "0.0.0.0.0.30", "superuser");
	commit(&s);
	CHECK_EQ_U(rb_persist_compact(s.p, s.reg), 0);
	add(&s, 30, 2, "tcp", "0.0.0.0.0.30", "superuser");
	commit(&s);
	struct rb_registry *want = reg_copy(s.reg);
	uint64_t jl = rb_persist_journal_bytes(s.p);

	/* Fill the file system. */
	char filler[256];
	path_of(filler, sizeof(filler), base, "filler");
	int fd = open(filler, O_WRONLY | O_CREAT, 0600);
	static uint8_t block[4096];
	while (write(fd, block, sizeof(block)) > 0)
		;
	CHECK_EQ_U(errno, ENOSPC);
	close(fd);

	/* A batch bigger than the page the journal already has. */
	for (uint32_t v = 0; v < 100; v++)
		add(&s, 31, v, "tcp", "0.0.0.0.0.31", "superuser");
	CHECK_EQ_U(rb_persist_commit(s.p), (uint64_t)-ENOSPC);
	CHECK_EQ_U(rb_persist_journal_bytes(s.p), jl);
	CHECK_EQ_U(fsize(sdir, "journal"), jl);
	for (uint32_t v = 0; v < 100; v++) {
		unsigned n;
		rb_registry_unset(s.reg, 31, v, "tcp", NULL, &n);
	}
	CHECK(reg_equal(want, s.reg));
	/* A compaction cannot write its snapshot either; the old state stays. */
	CHECK_EQ_U(rb_persist_compact(s.p, s.reg), (uint64_t)-ENOSPC);
	CHECK(!exists(sdir, "snapshot.tmp") && !exists(sdir, "journal.tmp"));

	/* Space returns. */
	unlink(filler);
	add(&s, 32, 1, "udp", "0.0.0.0.0.32", "superuser");
	commit(&s);
	reg_drop(want);
	want = reg_copy(s.reg);
	side_close(&s);
	check_reload(want, &rep);
	CHECK_EQ_U(rep.generation, 1);
	CHECK_EQ_U(rep.journal_records, 2);
	CHECK_STR(rep.msg, "");
	reg_drop(want);

	umount(base);
	printf("%u checks, %u failed\n", rb_check.checks, rb_check.failures);
	return rb_check.failures ? 1 : 0;
}

/* Same entries, in any order (a snapshot written while commits go on may
 * list a re-added entry elsewhere). */
static bool reg_same_set(const struct rb_registry *a, const struct rb_registry *b)
{
	if (rb_registry_count(a) != rb_registry_count(b)) {
		fprintf(stderr, "%zu vs %zu entries\n", rb_registry_count(a), rb_registry_count(b));
		return false;
	}
	for (const struct rb_entry *x = rb_registry_first(a); x; x = rb_registry_next(x)) {
		const struct rb_entry *y = rb_lookup(b, x->prog, x->vers, x->netid, x->netid_len);
		if (!y || strcmp(rb_entry_uaddr(x), rb_entry_uaddr(y)) != 0 ||
		    strcmp(rb_entry_owner(x), rb_entry_owner(y)) != 0) {
			fprintf(stderr, "%u/%u/%s missing or different\n", x->prog, x->vers, x->netid);
			return false;
		}
	}
	return true;
}

/* A compaction whose snapshot is written by another thread while commits go
 * on (issue 15 item 8): the commits made meanwhile are in the new journal;
 * and a crash between installing its snapshot and its journal loses none
 * of them (journal.tmp is taken). */
static void test_background_compaction(void)
{
	struct side s;
	struct rb_load_report rep;
	rm_tree(sdir);
	side_open(&s, &rep, 0);
	fill(&s, 0, 10000);
	uint64_t g0 = rb_persist_generation(s.p);
	CHECK_EQ_U(rb_persist_compact_start(s.p, s.reg), 0);
	CHECK(rb_persist_compact_running(s.p));
	CHECK(!rb_persist_should_compact(s.p));
	CHECK_EQ_U(rb_persist_compact(s.p, s.reg), (uint64_t)-EBUSY);
	/* Changes while the walk runs: removals, additions, a key removed and
	 * added again with another address. */
	for (uint32_t i = 0; i < 2000; i++) {
		if (i % 3 == 0)
			del(&s, 400000 + i / 1000, (i % 1000) / 2, (i & 1) ? "tcp" : "udp");
		else if (i % 3 == 1)
			add(&s, 500000 + i, 1, "udp", "0.0.0.0.1.2", "superuser");
		else {
			del(&s, 400000 + i / 1000, (i % 1000) / 2, (i & 1) ? "tcp" : "udp");
			add(&s, 400000 + i / 1000, (i % 1000) / 2, (i & 1) ? "tcp" : "udp",
			    "0.0.0.0.9.9", "superuser");
		}
		if (rb_persist_pending(s.p) >= 64)
			commit(&s);
	}
	commit(&s);
	/* The journal as it is before the compaction finishes, to stage the
	 * crash window below. */
	char jp[256], jt[256], keep[256];
	path_of(jp, sizeof(jp), sdir, "journal");
	path_of(jt, sizeof(jt), sdir, "journal.tmp");
	path_of(keep, sizeof(keep), base, "journal.before");
	copy_file(jp, keep, 0600);
	CHECK_EQ_U(rb_persist_compact_poll(s.p, true), 1);
	CHECK(!rb_persist_compact_running(s.p));
	CHECK(rb_persist_generation(s.p) > g0);
	CHECK(exists(sdir, "snapshot"));
	struct rb_registry *now = reg_copy(s.reg);
	/* One more commit into the new journal. */
	add(&s, 600000, 1, "tcp", "0.0.0.0.3.4", "superuser");
	commit(&s);
	rb_registry_set(now, 600000, 1, "tcp", "0.0.0.0.3.4", "superuser");
	side_close(&s);
	struct side s2;
	side_open(&s2, &rep, 0);
	CHECK(reg_same_set(now, s2.reg));
	side_close(&s2);

	/* The crash window: the new snapshot installed, the old journal still
	 * "journal", the new one still journal.tmp. */
	CHECK(rename(jp, jt) == 0);
	copy_file(keep, jp, 0600);
	side_open(&s2, &rep, 0);
	CHECK(strstr(rep.msg, "journal.tmp of generation") != NULL);
	CHECK(reg_same_set(now, s2.reg));
	side_close(&s2);
	CHECK(!exists(sdir, "journal.tmp"));
	reg_drop(now);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(base, sizeof(base), "%s/rb-persist-XXXXXX",
		 tmp && strlen(tmp) < 30 ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sdir, sizeof(sdir), "%s/state", base);
	int rc;
	if (argc > 1 && strcmp(argv[1], "enospc") == 0) {
		rc = enospc_main();
		rm_tree(base);
		return rc;
	}
	test_open_lock();
	test_commit_reload();
	test_torn_tail();
	test_corrupt_middle();
	test_compaction();
	test_prev_fallback();
	test_discard();
	test_commit_failure();
	test_import();
	test_background_compaction();
	rm_tree(base);
	printf("%u checks, %u failed\n", rb_check.checks, rb_check.failures);
	return rb_check.failures ? 1 : 0;
}
