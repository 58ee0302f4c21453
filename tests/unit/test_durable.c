/* net/control/durable.c with a real registry and a real state directory: what a
 * reader can see of a SET/UNSET before and after its commit, the PMAP v2
 * UNSET that may remove only half of what it names, and a journal that
 * must stay small when few registrations churn (issue 15 items 1, 7, 2). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "net/control/durable.h"
#include "registry/store/registry.h"

struct rb_check_state rb_check;

static char base[64], sdir[96];

static void rm_tree(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

struct side {
	struct rb_registry *reg;
	struct rb_durable du;
	struct rb_config cfg;
	struct rb_policy pol;
	unsigned delivered, answered_true;
};

static void side_start(struct side *s)
{
	memset(s, 0, sizeof(*s));
	rb_config_defaults(&s->cfg);
	snprintf(s->cfg.state_dir, sizeof(s->cfg.state_dir), "%s", sdir);
	snprintf(s->cfg.import_dir, sizeof(s->cfg.import_dir), "%s/no-rpcbind", base);
	CHECK_EQ_U(rb_registry_new(&s->reg), 0);
	CHECK_EQ_U(rb_durable_start(&s->du, s->reg, NULL, &s->cfg, &s->pol), 0);
	CHECK(s->du.p != NULL);
}

static void side_stop(struct side *s)
{
	rb_durable_stop(&s->du);
	rb_registry_synchronize(s->reg);
	rb_registry_free(s->reg);
}

static void deliver(void *arg, struct rb_pending *pr)
{
	struct side *s = arg;
	s->delivered++;
	s->answered_true += pr->ok;
}

static struct rb_mutation mut(enum rb_mut_op op, uint32_t prog, const char *netid,
			      const char *uaddr, const char *owner)
{
	struct rb_mutation m;
	memset(&m, 0, sizeof(m));
	m.op = op;
	m.prog = prog;
	m.vers = 1;
	snprintf(m.netid, sizeof(m.netid), "%s", netid);
	snprintf(m.uaddr, sizeof(m.uaddr), "%s", uaddr);
	snprintf(m.owner, sizeof(m.owner), "%s", owner);
	return m;
}

/* Applies m and commits it alone: the answer. */
static bool one(struct side *s, const struct rb_mutation *m)
{
	unsigned t = s->answered_true, d = s->delivered;
	CHECK(rb_durable_apply(&s->du, m) != NULL);
	rb_durable_commit(&s->du, deliver, s);
	CHECK_EQ_U(s->delivered, d + 1);
	return s->answered_true > t;
}

static bool has(struct side *s, uint32_t prog, const char *netid)
{
	return rb_lookup(s->reg, prog, 1, netid, strlen(netid)) != NULL;
}

/* Item 1: a SET is visible to lookups only once its commit succeeded. */
static void test_visible_after_commit(void)
{
	struct side s;
	rm_tree(sdir);
	side_start(&s);
	struct rb_mutation m = mut(RB_MUT_SET, 0x30000001, "udp", "0.0.0.0.4.1", "superuser");
	CHECK(rb_durable_apply(&s.du, &m) != NULL);
	CHECK(!has(&s, 0x30000001, "udp")); /* held back: not durable yet */
	/* Another key of the same program: decided without waiting. */
	struct rb_mutation m2 = mut(RB_MUT_SET, 0x30000001, "tcp", "0.0.0.0.4.2", "superuser");
	CHECK(rb_durable_apply(&s.du, &m2) != NULL);
	CHECK(!has(&s, 0x30000001, "udp"));
	CHECK(!has(&s, 0x30000001, "tcp"));
	/* A mutation of a key with a held-back effect commits (and
	 * publishes) what came before it first; its own change is held. */
	struct rb_mutation u = mut(RB_MUT_UNSET, 0x30000001, "udp", "", "superuser");
	CHECK(rb_durable_apply(&s.du, &u) != NULL);
	CHECK(has(&s, 0x30000001, "udp"));
	CHECK(has(&s, 0x30000001, "tcp"));
	rb_durable_commit(&s.du, deliver, &s);
	CHECK_EQ_U(s.delivered, 3);
	CHECK_EQ_U(s.answered_true, 3);
	CHECK(!has(&s, 0x30000001, "udp"));
	CHECK(has(&s, 0x30000001, "tcp"));
	/* An UNSET of every netid waits for any held-back key of its
	 * version. */
	struct rb_mutation s3 = mut(RB_MUT_SET, 0x30000001, "udp", "0.0.0.0.4.1", "superuser");
	struct rb_mutation all = mut(RB_MUT_UNSET, 0x30000001, "", "", "superuser");
	CHECK(rb_durable_apply(&s.du, &s3) != NULL);
	CHECK(rb_durable_apply(&s.du, &all) != NULL);
	CHECK(has(&s, 0x30000001, "udp")); /* the SET was committed first */
	rb_durable_commit(&s.du, deliver, &s);
	CHECK_EQ_U(s.answered_true, 5);
	CHECK(!has(&s, 0x30000001, "udp"));
	CHECK(!has(&s, 0x30000001, "tcp"));
	struct rb_mutation t2 = mut(RB_MUT_SET, 0x30000001, "tcp", "0.0.0.0.4.2", "superuser");
	CHECK(one(&s, &t2));
	side_stop(&s);
	/* And what was acknowledged is what a restart finds. */
	side_start(&s);
	CHECK(!has(&s, 0x30000001, "udp"));
	CHECK(has(&s, 0x30000001, "tcp"));
	side_stop(&s);
}

/* Item 7: a PMAP v2 UNSET whose tcp entry belongs to someone else removes
 * nothing (and journals nothing). */
static void test_pmap_unset_all_or_nothing(void)
{
	struct side s;
	rm_tree(sdir);
	side_start(&s);
	struct rb_mutation a = mut(RB_MUT_SET, 0x30000002, "udp", "0.0.0.0.4.3", "1000");
	struct rb_mutation b = mut(RB_MUT_SET, 0x30000002, "tcp", "0.0.0.0.4.4", "2000");
	CHECK(one(&s, &a));
	CHECK(one(&s, &b));
	struct rb_mutation u = mut(RB_MUT_UNSET, 0x30000002, "", "", "1000");
	u.pmap = true;
	CHECK(!one(&s, &u));
	CHECK(has(&s, 0x30000002, "udp")); /* all or nothing: both stay */
	CHECK(has(&s, 0x30000002, "tcp"));
	/* Straight through the registry's writer API too. */
	CHECK(!rb_mutation_apply(s.reg, &u, NULL));
	CHECK(has(&s, 0x30000002, "udp"));
	side_stop(&s);
	side_start(&s);
	CHECK(has(&s, 0x30000002, "udp"));
	CHECK(has(&s, 0x30000002, "tcp"));
	/* The owner of both may remove both. */
	struct rb_mutation b2 = mut(RB_MUT_UNSET, 0x30000002, "tcp", "", "2000");
	CHECK(one(&s, &b2));
	CHECK(one(&s, &u));
	CHECK(!has(&s, 0x30000002, "udp"));
	side_stop(&s);
}

/* Item 2: 2,000 SET/UNSET pairs of 2 live registrations. The journal must
 * be compacted long before it holds them all (they need about 200 KB, more
 * than a small state file system has). */
static void test_small_journal(void)
{
	struct side s;
	rm_tree(sdir);
	side_start(&s);
	struct rb_mutation keep = mut(RB_MUT_SET, 0x30000003, "udp", "0.0.0.0.4.5", "superuser");
	CHECK(one(&s, &keep));
	uint64_t most = 0;
	unsigned ok = 0;
	for (unsigned i = 0; i < 2000; i++) {
		struct rb_mutation set = mut(RB_MUT_SET, 0x30000004, "tcp", "0.0.0.0.4.6", "superuser");
		struct rb_mutation del = mut(RB_MUT_UNSET, 0x30000004, "tcp", "", "superuser");
		ok += one(&s, &set);
		ok += one(&s, &del);
		/* A compaction's snapshot is written by a thread of its own:
		 * let it finish here, so that the bound below does not depend
		 * on how soon that thread runs on a loaded machine. */
		if (rb_persist_compact_running(s.du.p))
			CHECK_EQ_U(rb_persist_compact_poll(s.du.p, true), 1);
		uint64_t j = rb_persist_journal_bytes(s.du.p);
		if (j > most)
			most = j;
	}
	CHECK_EQ_U(ok, 4000);
	/* Compacted from RB_PERSIST_COMPACT_MIN on (the snapshot is tiny). */
	CHECK(most <= RB_PERSIST_COMPACT_MIN + 512);
	uint64_t gen = rb_persist_generation(s.du.p);
	CHECK(gen >= 2);
	printf("2,000 SET/UNSET pairs: journal at most %llu bytes, generation %llu\n",
	       (unsigned long long)most, (unsigned long long)gen);
	side_stop(&s);
	side_start(&s);
	CHECK(has(&s, 0x30000003, "udp"));
	CHECK(!has(&s, 0x30000004, "tcp"));
	side_stop(&s);
}

/* The journal's descriptor, found by name in /proc/self/fd: the fault
 * injection below puts another file under that number for a while. */
static int journal_fd(void)
{
	char want[128], link[256], path[64];
	snprintf(want, sizeof(want), "%s/journal", sdir);
	for (int fd = 3; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, want) == 0)
			return fd;
	}
	return -1;
}

/* Makes every write to the journal fail with ENOSPC (/dev/full under its
 * descriptor), and back. saved holds the real file meanwhile. */
static void journal_full(int jfd, int *saved)
{
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	CHECK(full >= 0);
	*saved = dup(jfd);
	CHECK(*saved >= 0);
	CHECK(dup2(full, jfd) == jfd);
	close(full);
}

static void journal_restore(int jfd, int saved)
{
	CHECK(dup2(saved, jfd) == jfd);
	close(saved);
}

/* The order of a batch's answers, by program number. */
struct order {
	struct side *s;
	uint32_t prog[16];
	bool ok[16];
	unsigned n;
};

static void deliver_ordered(void *arg, struct rb_pending *pr)
{
	struct order *o = arg;
	deliver(o->s, pr);
	if (o->n < 16) {
		o->prog[o->n] = pr->m.prog;
		o->ok[o->n++] = pr->ok;
	}
}

/* A batch: several SETs of independent keys are held (nothing visible,
 * nothing written: the journal does not grow before the commit), one
 * commit writes them all, publishes them all, and answers them in the
 * order they came. */
static void test_batch(void)
{
	struct side s;
	rm_tree(sdir);
	side_start(&s);
	uint64_t j0 = rb_persist_journal_bytes(s.du.p);
	char uaddr[32];
	for (unsigned i = 0; i < 8; i++) {
		snprintf(uaddr, sizeof(uaddr), "0.0.0.0.5.%u", i);
		struct rb_mutation m = mut(RB_MUT_SET, 0x30000010 + i, "udp", uaddr, "superuser");
		CHECK(rb_durable_apply(&s.du, &m) != NULL);
	}
	CHECK_EQ_U(rb_persist_journal_bytes(s.du.p), j0);
	CHECK_EQ_U(rb_persist_pending(s.du.p), 8);
	for (unsigned i = 0; i < 8; i++)
		CHECK(!has(&s, 0x30000010 + i, "udp"));
	struct order o = {.s = &s};
	rb_durable_commit(&s.du, deliver_ordered, &o);
	CHECK_EQ_U(o.n, 8);
	for (unsigned i = 0; i < o.n; i++) {
		CHECK_EQ_U(o.prog[i], 0x30000010 + i);
		CHECK(o.ok[i]);
		CHECK(has(&s, 0x30000010 + i, "udp"));
	}
	CHECK(rb_persist_journal_bytes(s.du.p) > j0);
	CHECK_EQ_U(rb_persist_pending(s.du.p), 0);
	CHECK_EQ_U(s.du.commit_failures, 0);
	side_stop(&s);
	side_start(&s);
	for (unsigned i = 0; i < 8; i++)
		CHECK(has(&s, 0x30000010 + i, "udp"));
	side_stop(&s);
}

/* A commit that fails (the journal's file system is full) publishes
 * nothing and answers the batch's changes FALSE; a call that changes
 * nothing (an UNSET of nothing: TRUE) keeps its answer; a
 * mutation that depended on a held effect of the failed batch is decided
 * without it. Once the journal can be written, commits work again, and a
 * restart finds only what was acknowledged. */
static void test_failed_commit(void)
{
	struct side s;
	rm_tree(sdir);
	side_start(&s);
	struct rb_mutation before = mut(RB_MUT_SET, 0x30000020, "tcp", "0.0.0.0.6.1", "superuser");
	CHECK(one(&s, &before));
	int jfd = journal_fd(), saved = -1;
	CHECK(jfd >= 0);
	if (jfd < 0) {
		side_stop(&s);
		return;
	}
	journal_full(jfd, &saved);
	struct rb_mutation a = mut(RB_MUT_SET, 0x30000021, "udp", "0.0.0.0.6.2", "superuser");
	struct rb_mutation b = mut(RB_MUT_SET, 0x30000022, "udp", "0.0.0.0.6.3", "superuser");
	struct rb_mutation gone = mut(RB_MUT_UNSET, 0x30000020, "tcp", "", "superuser");
	struct rb_mutation none = mut(RB_MUT_UNSET, 0x30000029, "udp", "", "superuser");
	struct order o = {.s = &s};
	CHECK(rb_durable_apply(&s.du, &a) != NULL);
	CHECK(rb_durable_apply(&s.du, &b) != NULL);
	CHECK(rb_durable_apply(&s.du, &gone) != NULL);
	CHECK(rb_durable_apply(&s.du, &none) != NULL);
	rb_durable_commit(&s.du, deliver_ordered, &o);
	CHECK_EQ_U(o.n, 4);
	/* The three with effects are FALSE; the UNSET of nothing had none
	 * and keeps its TRUE ("nothing of yours is left"). */
	CHECK(!o.ok[0]);
	CHECK(!o.ok[1]);
	CHECK(!o.ok[2]);
	CHECK(o.ok[3]);
	CHECK_EQ_U(s.du.commit_failures, 1);
	CHECK(!rb_durable_writable(&s.du));
	CHECK(!has(&s, 0x30000021, "udp"));
	CHECK(!has(&s, 0x30000022, "udp"));
	CHECK(has(&s, 0x30000020, "tcp")); /* its UNSET never happened */
	/* Held effects: the UNSET of a's key depends on a's held SET, so
	 * that SET is committed first (a commit of its own: the second
	 * failure); it fails, and the UNSET is decided against the registry
	 * without it: nothing to remove, TRUE with no effect. */
	struct rb_mutation ua = mut(RB_MUT_UNSET, 0x30000021, "udp", "", "superuser");
	o.n = 0;
	CHECK(rb_durable_apply(&s.du, &a) != NULL);
	CHECK(rb_durable_apply(&s.du, &ua) != NULL);
	CHECK_EQ_U(s.du.commit_failures, 2); /* the flush before ua */
	rb_durable_commit(&s.du, deliver_ordered, &o);
	CHECK_EQ_U(o.n, 2);
	CHECK(!o.ok[0]);
	CHECK(o.ok[1]);
	CHECK_EQ_U(rb_persist_pending(s.du.p), 0);
	CHECK(!has(&s, 0x30000021, "udp"));
	journal_restore(jfd, saved);
	struct rb_mutation c = mut(RB_MUT_SET, 0x30000023, "udp", "0.0.0.0.6.4", "superuser");
	CHECK(one(&s, &c));
	CHECK(rb_durable_writable(&s.du));
	side_stop(&s);
	side_start(&s);
	CHECK(has(&s, 0x30000020, "tcp"));
	CHECK(!has(&s, 0x30000021, "udp"));
	CHECK(!has(&s, 0x30000022, "udp"));
	CHECK(has(&s, 0x30000023, "udp"));
	side_stop(&s);
}

int main(void)
{
	/* tmpfs where there is one: 4,000 fdatasyncs on a shared disk take
	 * seconds, and what is tested here is the order, not the disk. */
	const char *tmp = getenv("TMPDIR");
	if (!tmp || strlen(tmp) >= 30)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(base, sizeof(base), "%s/rb-durable-XXXXXX", tmp);
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sdir, sizeof(sdir), "%s/state", base);
	test_visible_after_commit();
	test_pmap_unset_all_or_nothing();
	test_small_journal();
	test_batch();
	test_failed_commit();
	rm_tree(base);
	printf("%u checks, %u failed\n", rb_check.checks, rb_check.failures);
	return rb_check.failures ? 1 : 0;
}
