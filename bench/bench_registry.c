/* The registry alone: rb_lookup of registered keys, with 10 to 1,000,000
 * entries; the version fallback (rb_lookup_any_version); the cost of a
 * reader section per lookup; and lookups by one and by two reader threads,
 * with no writer and while a writer thread churns SET/UNSET on the same
 * registry. */
#define _GNU_SOURCE /* sched_getcpu, pthread_attr_setaffinity_np */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/benches.h"
#include "bench/common.h"
#include "bench/shim.h"
#include "registry/store/registry.h"

#define BATCH 64
/* Distinct keys a lookup benchmark cycles through: a hot set (a mount
 * storm asks for a few programs) or a spread one (RB_BENCH_QUERIES), whose
 * working set no longer fits in L1/L2 on a big registry. */
#define HOT_KEYS 64u
/* Keys the churn writer sets and unsets (disjoint from the looked-up ones,
 * in the same tables). */
#define CHURN_KEYS 4096u

struct query {
	uint32_t prog;
	uint32_t key;
	const char *netid;
};

struct reg_fix {
	struct rb_registry *reg;
	uint32_t n;
	struct query q[RB_BENCH_QUERIES];
	/* The churn writer (bm_lookup_churn only). */
	pthread_t writer;
	bool writer_running;
	int writer_cpu; /* -1: not pinned */
	atomic_bool stop;
	atomic_uint_fast64_t writer_ops;
	atomic_int writer_err;
};

static void *reg_init(int64_t arg)
{
	struct reg_fix *f = calloc(1, sizeof(*f));
	uint32_t seed = 0x9e3779b9u;

	if (!f)
		return NULL;
	f->n = (uint32_t)arg;
	f->reg = rb_bench_registry(f->n);
	if (!f->reg) {
		free(f);
		return NULL;
	}
	/* Keys spread over the whole registry, in a random order: a lookup
	 * stream that does not walk the table in its own order. */
	for (uint32_t i = 0; i < RB_BENCH_QUERIES; i++) {
		uint32_t k = rb_bench_rand(&seed) % f->n;
		f->q[i].key = k;
		f->q[i].prog = rb_bench_key_prog(k);
		f->q[i].netid = rb_bench_key_netid(k);
	}
	return f;
}

static void reg_fini(void *ctx)
{
	struct reg_fix *f = ctx;

	rb_registry_free(f->reg);
	free(f);
}

/* Checks, outside the timed loop, that every query finds its entry. */
static bool reg_check(struct rb_bench_state *s, struct reg_fix *f,
		      struct rb_reader *r)
{
	char want[32];
	bool ok = true;

	rb_reader_begin(r);
	for (uint32_t i = 0; i < RB_BENCH_QUERIES && ok; i++) {
		const struct query *q = &f->q[i];
		const struct rb_entry *e = rb_lookup(f->reg, q->prog,
						     RB_BENCH_VERS, q->netid, 3);
		uint16_t port = rb_bench_key_port(q->key);
		snprintf(want, sizeof(want), "0.0.0.0.%u.%u",
			 (unsigned)(port >> 8), (unsigned)(port & 0xffu));
		ok = e && e->prog == q->prog && e->vers == RB_BENCH_VERS &&
		     strcmp(e->netid, q->netid) == 0 &&
		     strcmp(rb_entry_uaddr(e), want) == 0;
	}
	rb_reader_end(r);
	if (!ok)
		rb_bench_error(s, "rb_lookup did not find a registered key");
	return ok;
}

/* One reader section per batch of 64 lookups, as a worker holds one per
 * completion batch. */
static void lookup_loop(struct rb_bench_state *s, struct reg_fix *f,
			struct rb_reader *r, uint32_t nkeys)
{
	uint32_t j = (uint32_t)rb_bench_thread_index(s) * 977u;
	uint64_t found = 0;

	while (rb_bench_keep_running_batch(s, BATCH)) {
		rb_reader_begin(r);
		for (int i = 0; i < BATCH; i++) {
			const struct query *q = &f->q[j++ % nkeys];
			const struct rb_entry *e = rb_lookup(
				f->reg, q->prog, RB_BENCH_VERS, q->netid, 3);
			found += e != NULL;
			rb_bench_do_not_optimize(e);
		}
		rb_reader_end(r);
	}
	rb_bench_do_not_optimize(found);
}

static void bm_lookup(struct rb_bench_state *s, void *ctx)
{
	struct reg_fix *f = ctx;
	struct rb_reader *r = rb_bench_reader(s, f->reg);

	if (!r)
		return;
	if (reg_check(s, f, r))
		lookup_loop(s, f, r, HOT_KEYS);
	rb_reader_release(r);
}

static void bm_lookup_spread(struct rb_bench_state *s, void *ctx)
{
	struct reg_fix *f = ctx;
	struct rb_reader *r = rb_bench_reader(s, f->reg);

	if (!r)
		return;
	if (reg_check(s, f, r))
		lookup_loop(s, f, r, RB_BENCH_QUERIES);
	rb_reader_release(r);
}

/* Every lookup a fresh random key of the whole registry (no query table):
 * at 1,000,000 entries nearly each one misses the caches for its hash slot
 * and its entry, as the daemon's lookups do under `ringbind-load --keys
 * 1000000`. The key is derived inside the loop, so the figure includes a
 * few ns of key arithmetic. */
static void bm_lookup_cold(struct rb_bench_state *s, void *ctx)
{
	struct reg_fix *f = ctx;
	struct rb_reader *r = rb_bench_reader(s, f->reg);
	uint32_t seed = 0x2545f491u + (uint32_t)rb_bench_thread_index(s);
	uint64_t found = 0;

	if (!r)
		return;
	if (reg_check(s, f, r)) {
		while (rb_bench_keep_running_batch(s, BATCH)) {
			rb_reader_begin(r);
			for (int i = 0; i < BATCH; i++) {
				uint32_t k = rb_bench_rand(&seed) % f->n;
				const struct rb_entry *e =
					rb_lookup(f->reg, rb_bench_key_prog(k), RB_BENCH_VERS,
						  rb_bench_key_netid(k), 3);
				found += e != NULL;
				rb_bench_do_not_optimize(e);
			}
			rb_reader_end(r);
		}
		rb_bench_do_not_optimize(found);
		if (found == 0)
			rb_bench_error(s, "no cold lookup found its key");
	}
	rb_reader_release(r);
}

/* begin + lookup + end for every lookup: the price of a section. */
static void bm_lookup_section_each(struct rb_bench_state *s, void *ctx)
{
	struct reg_fix *f = ctx;
	struct rb_reader *r = rb_bench_reader(s, f->reg);
	uint32_t j = 0;

	if (!r)
		return;
	if (reg_check(s, f, r)) {
		while (rb_bench_keep_running_batch(s, BATCH)) {
			for (int i = 0; i < BATCH; i++) {
				const struct query *q = &f->q[j++ % HOT_KEYS];
				rb_reader_begin(r);
				const struct rb_entry *e =
					rb_lookup(f->reg, q->prog,
						  RB_BENCH_VERS, q->netid, 3);
				rb_bench_do_not_optimize(e);
				rb_reader_end(r);
			}
		}
	}
	rb_reader_release(r);
}

/* GETPORT of a version that is not registered: the exact lookup misses and
 * the per-(prog, netid) version index answers with version 1. */
static void bm_lookup_any_version(struct rb_bench_state *s, void *ctx)
{
	struct reg_fix *f = ctx;
	struct rb_reader *r = rb_bench_reader(s, f->reg);
	uint32_t j = 0;

	if (!r)
		return;
	rb_reader_begin(r);
	const struct rb_entry *e0 = rb_lookup_any_version(
		f->reg, f->q[0].prog, RB_BENCH_VERS + 1, f->q[0].netid, 3);
	bool ok = e0 && e0->vers == RB_BENCH_VERS && e0->prog == f->q[0].prog;
	rb_reader_end(r);
	if (!ok) {
		rb_bench_error(s, "rb_lookup_any_version found no fallback");
	} else {
		while (rb_bench_keep_running_batch(s, BATCH)) {
			rb_reader_begin(r);
			for (int i = 0; i < BATCH; i++) {
				const struct query *q = &f->q[j++ % HOT_KEYS];
				const struct rb_entry *e =
					rb_lookup_any_version(
						f->reg, q->prog,
						RB_BENCH_VERS + 1, q->netid, 3);
				rb_bench_do_not_optimize(e);
			}
			rb_reader_end(r);
		}
	}
	rb_reader_release(r);
}

/* ---- lookups under churn ---- */

static void *churn_writer(void *arg)
{
	struct reg_fix *f = arg;
	uint8_t present[CHURN_KEYS] = { 0 };
	uint32_t seed = 0x2545f491u;
	uint64_t ops = 0;
	char uaddr[32];
	int err = 0;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		uint32_t k = rb_bench_rand(&seed) % CHURN_KEYS;
		uint32_t key = f->n + k;
		uint32_t prog = rb_bench_key_prog(key);
		const char *netid = rb_bench_key_netid(key);
		int rc;

		if (present[k]) {
			unsigned removed = 0;
			rc = rb_registry_unset(f->reg, prog, RB_BENCH_VERS,
					       netid, NULL, &removed);
			if (rc == 0 && removed != 1)
				rc = -ENOENT;
		} else {
			/* A new port every time: a new entry every time. */
			snprintf(uaddr, sizeof(uaddr), "0.0.0.0.%u.%u",
				 (unsigned)((ops >> 8) & 0xffu),
				 (unsigned)(ops & 0xffu));
			rc = rb_registry_set(f->reg, prog, RB_BENCH_VERS, netid,
					     uaddr, "superuser");
			if (rc == RB_SET_ADDED)
				rc = 0;
			else if (rc >= 0)
				rc = -EEXIST;
		}
		if (rc < 0 && !err)
			err = rc;
		present[k] ^= 1;
		ops++;
		if ((ops & 63u) == 0) {
			rb_registry_reclaim(f->reg);
			atomic_store_explicit(&f->writer_ops, ops,
					      memory_order_relaxed);
		}
	}
	for (uint32_t k = 0; k < CHURN_KEYS; k++) {
		if (!present[k])
			continue;
		unsigned removed = 0;
		uint32_t key = f->n + k;
		rb_registry_unset(f->reg, rb_bench_key_prog(key),
				  RB_BENCH_VERS, rb_bench_key_netid(key), NULL,
				  &removed);
	}
	/* No reader is in a section: run_stop runs after every benchmark
	 * thread has left. */
	rb_registry_synchronize(f->reg);
	atomic_store_explicit(&f->writer_ops, ops, memory_order_relaxed);
	atomic_store_explicit(&f->writer_err, err, memory_order_relaxed);
	return NULL;
}

/* The writer gets a CPU of its own when there is one: on a 2-core machine
 * run under `taskset -c 1`, it would otherwise share the reader's CPU and
 * the benchmark would measure time slicing. */
static int other_cpu(void)
{
	int self = sched_getcpu();
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	for (long c = n - 1; c >= 0; c--)
		if (c != self && c < CPU_SETSIZE)
			return (int)c;
	return -1;
}

static void churn_start(void *ctx)
{
	struct reg_fix *f = ctx;
	pthread_attr_t attr;
	cpu_set_t set;

	atomic_store(&f->stop, false);
	atomic_store(&f->writer_ops, 0);
	atomic_store(&f->writer_err, 0);
	f->writer_cpu = other_cpu();
	f->writer_running = false;
	if (f->writer_cpu >= 0 && pthread_attr_init(&attr) == 0) {
		CPU_ZERO(&set);
		CPU_SET(f->writer_cpu, &set);
		if (pthread_attr_setaffinity_np(&attr, sizeof(set), &set) == 0)
			f->writer_running = pthread_create(&f->writer, &attr,
							   churn_writer, f) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!f->writer_running) {
		/* A cpuset may forbid the other CPU: run unpinned. */
		f->writer_cpu = -1;
		f->writer_running =
			pthread_create(&f->writer, NULL, churn_writer, f) == 0;
	}
	if (!f->writer_running)
		fprintf(stderr, "churn: pthread_create failed\n");
}

static void churn_stop(void *ctx)
{
	struct reg_fix *f = ctx;

	if (!f->writer_running)
		return;
	atomic_store(&f->stop, true);
	pthread_join(f->writer, NULL);
	f->writer_running = false;
	int err = atomic_load(&f->writer_err);
	char msg[96];
	if (err) {
		snprintf(msg, sizeof(msg), "churn writer: a mutation failed: %s",
			 strerror(-err));
		rb_bench_fail(msg);
	}
	if (rb_registry_count(f->reg) != f->n) {
		snprintf(msg, sizeof(msg), "churn writer: %zu entries left, expected %u",
			 rb_registry_count(f->reg), (unsigned)f->n);
		rb_bench_fail(msg);
	}
}

static void bm_lookup_churn(struct rb_bench_state *s, void *ctx)
{
	struct reg_fix *f = ctx;
	struct rb_reader *r;

	if (!f->writer_running) {
		rb_bench_error(s, "no writer thread");
		return;
	}
	r = rb_bench_reader(s, f->reg);
	if (!r)
		return;
	uint64_t ops0 = atomic_load_explicit(&f->writer_ops,
					     memory_order_relaxed);
	if (reg_check(s, f, r))
		lookup_loop(s, f, r, HOT_KEYS);
	uint64_t ops1 = atomic_load_explicit(&f->writer_ops,
					     memory_order_relaxed);
	rb_reader_release(r);
	if (rb_bench_thread_index(s) == 0) {
		char label[64];
		rb_bench_counter(s, "writer_ops", (double)(ops1 - ops0), true);
		if (f->writer_cpu >= 0)
			snprintf(label, sizeof(label), "reader cpu %d, writer cpu %d",
				 sched_getcpu(), f->writer_cpu);
		else
			snprintf(label, sizeof(label), "writer unpinned");
		rb_bench_label(s, label);
	}
}

const struct rb_bench_def rb_bench_registry_defs[] = {
	{ .name = "registry_lookup", .fn = bm_lookup,
	  .args = { 10, 100000, 1000000 }, .nargs = 3,
	  .init = reg_init, .fini = reg_fini },
	{ .name = "registry_lookup_spread", .fn = bm_lookup_spread,
	  .args = { 10, 100000, 1000000 }, .nargs = 3,
	  .init = reg_init, .fini = reg_fini },
	{ .name = "registry_lookup_cold", .fn = bm_lookup_cold,
	  .args = { 10, 1000000 }, .nargs = 2,
	  .init = reg_init, .fini = reg_fini },
	{ .name = "registry_lookup_section_each", .fn = bm_lookup_section_each,
	  .args = { 10 }, .nargs = 1, .init = reg_init, .fini = reg_fini },
	{ .name = "registry_lookup_any_version", .fn = bm_lookup_any_version,
	  .args = { 10, 100000 }, .nargs = 2,
	  .init = reg_init, .fini = reg_fini },
	{ .name = "registry_lookup_churn", .fn = bm_lookup_churn,
	  .args = { 10, 100000 }, .nargs = 2, .init = reg_init,
	  .fini = reg_fini, .run_start = churn_start, .run_stop = churn_stop },
	/* Two reader threads at once, without and with the writer: what a
	 * second worker costs the first (the table's lines and the global
	 * epoch are shared; each has its own epoch record). The time per
	 * iteration is of both threads' lookups together (real time).
	 * On a 2-CPU machine the churn variant runs three threads on two. */
	{ .name = "registry_lookup_2readers", .fn = bm_lookup,
	  .args = { 10, 100000 }, .nargs = 2, .threads = 2,
	  .init = reg_init, .fini = reg_fini },
	{ .name = "registry_lookup_churn_2readers", .fn = bm_lookup_churn,
	  .args = { 10, 100000 }, .nargs = 2, .threads = 2, .init = reg_init,
	  .fini = reg_fini, .run_start = churn_start, .run_stop = churn_stop },
	{ .name = NULL },
};
