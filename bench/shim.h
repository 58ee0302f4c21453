/* A C interface to google-benchmark.
 *
 * Benchmarks are plain C functions (bench_*.c). Each file exports a table
 * of struct rb_bench_def; bench/benches.c lists the tables, and bench/shim.cc
 * (the only C++ in the suite) registers every entry with google-benchmark
 * and provides main(), so the usual --benchmark_* flags all work.
 *
 * The timed loop is written in C:
 *
 *	static void bm_x(struct rb_bench_state *s, void *ctx)
 *	{
 *		struct fixture *f = ctx;
 *		while (rb_bench_keep_running_batch(s, 64))
 *			for (int i = 0; i < 64; i++)
 *				rb_bench_do_not_optimize(work(f, i));
 *	}
 *
 * A batch amortizes the call into C++ that each loop step costs (a few ns,
 * which would otherwise be a large part of a 10 ns operation); the time per
 * iteration that google-benchmark reports is still per operation.
 *
 * Lifetimes. google-benchmark calls a benchmark function several times per
 * reported run (it first sizes the iteration count, then repeats), so:
 *  - init(arg) builds the context for one argument value (e.g. a registry of
 *    100,000 entries). The shim caches it and calls fini when a benchmark
 *    with another (def, arg) starts, and at exit: an expensive fixture is
 *    built once, not once per call.
 *  - run_start(ctx) / run_stop(ctx), optional, bracket every call of fn,
 *    on one thread, before any benchmark thread enters fn and after every
 *    one has left it (e.g. to start and stop a writer thread).
 * All threads of a multi-threaded benchmark share ctx; per-thread state
 * (an rb_reader, buffers) belongs in fn's own locals. */
#ifndef RB_BENCH_SHIM_H
#define RB_BENCH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rb_bench_state;

/* True while more iterations are wanted; the first call starts the timer,
 * the one that returns false stops it (as State::KeepRunning). */
bool rb_bench_keep_running(struct rb_bench_state *s);
/* As rb_bench_keep_running, counting n iterations per true (may overshoot by
 * up to n; State::KeepRunningBatch). */
bool rb_bench_keep_running_batch(struct rb_bench_state *s, int64_t n);
/* The argument value of this run (the def's args[i]); 0 when it has none. */
int64_t rb_bench_arg(const struct rb_bench_state *s);
int rb_bench_thread_index(const struct rb_bench_state *s);
int rb_bench_threads(const struct rb_bench_state *s);
/* Items / bytes processed per iteration, for the items_per_second and
 * bytes_per_second columns (call after the loop with totals). */
void rb_bench_set_items(struct rb_bench_state *s, int64_t items);
void rb_bench_set_bytes(struct rb_bench_state *s, int64_t bytes);
/* A user counter; when `rate` it is reported per second of run time. */
void rb_bench_counter(struct rb_bench_state *s, const char *name, double v,
		      bool rate);
void rb_bench_label(struct rb_bench_state *s, const char *label);
/* Marks the run failed (e.g. the fixture's answer was wrong); fn must then
 * return without calling rb_bench_keep_running again. */
void rb_bench_error(struct rb_bench_state *s, const char *msg);
/* A failure outside a run (e.g. in run_stop): printed, and ringbind-bench
 * exits 1 at the end. */
void rb_bench_fail(const char *msg);
void rb_bench_pause(struct rb_bench_state *s);
void rb_bench_resume(struct rb_bench_state *s);

/* Keeps the compiler from deleting a computation whose result is unused. */
#define rb_bench_do_not_optimize(v)                                           \
	do {                                                                  \
		__typeof__(v) _rb_v = (v);                                    \
		__asm__ volatile("" : : "r,m"(_rb_v) : "memory");             \
	} while (0)
#define rb_bench_clobber() __asm__ volatile("" : : : "memory")

typedef void (*rb_bench_fn)(struct rb_bench_state *s, void *ctx);

#define RB_BENCH_ARGS_MAX 8u

struct rb_bench_def {
	const char *name;
	rb_bench_fn fn;
	/* Argument values, each a separate run ("name/arg"); none: one run. */
	int64_t args[RB_BENCH_ARGS_MAX];
	unsigned nargs;
	/* Threads that run fn concurrently; 0 or 1: one. */
	int threads;
	/* Optional; see the lifetimes above. init returns NULL on failure,
	 * which fails the run. Without init, ctx is NULL. */
	void *(*init)(int64_t arg);
	void (*fini)(void *ctx);
	void (*run_start)(void *ctx);
	void (*run_stop)(void *ctx);
};

/* A table of defs terminated by an entry whose name is NULL. */
struct rb_bench_table {
	const char *file;
	const struct rb_bench_def *defs;
};

/* Every table, terminated by { NULL, NULL } (bench/benches.c). */
extern const struct rb_bench_table rb_bench_tables[];

#ifdef __cplusplus
}
#endif

#endif
