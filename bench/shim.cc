// The only C++ in the benchmark suite: registers the C benchmark tables
// (shim.h) with google-benchmark and provides main().

#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

#include "bench/shim.h"

struct rb_bench_state {
	benchmark::State *st;
	int64_t arg;
};

namespace {
// Set by any failed run (a wrong answer, a fixture that could not be
// built): main then exits 1, so that a test can run the suite as a check.
// google-benchmark itself only prints the error and exits 0.
std::atomic<bool> g_failed{false};
} // namespace

extern "C" {

bool rb_bench_keep_running(struct rb_bench_state *s)
{
	return s->st->KeepRunning();
}

bool rb_bench_keep_running_batch(struct rb_bench_state *s, int64_t n)
{
	return s->st->KeepRunningBatch(static_cast<benchmark::IterationCount>(n));
}

int64_t rb_bench_arg(const struct rb_bench_state *s)
{
	return s->arg;
}

int rb_bench_thread_index(const struct rb_bench_state *s)
{
	return s->st->thread_index();
}

int rb_bench_threads(const struct rb_bench_state *s)
{
	return s->st->threads();
}

void rb_bench_set_items(struct rb_bench_state *s, int64_t items)
{
	s->st->SetItemsProcessed(items);
}

void rb_bench_set_bytes(struct rb_bench_state *s, int64_t bytes)
{
	s->st->SetBytesProcessed(bytes);
}

void rb_bench_counter(struct rb_bench_state *s, const char *name, double v,
		      bool rate)
{
	s->st->counters[name] = benchmark::Counter(
		v, rate ? benchmark::Counter::kIsRate
			: benchmark::Counter::kDefaults);
}

void rb_bench_label(struct rb_bench_state *s, const char *label)
{
	s->st->SetLabel(label);
}

void rb_bench_fail(const char *msg)
{
	g_failed = true;
	std::fprintf(stderr, "ringbind-bench: %s\n", msg);
}

void rb_bench_error(struct rb_bench_state *s, const char *msg)
{
	g_failed = true;
	s->st->SkipWithError(msg);
}

void rb_bench_pause(struct rb_bench_state *s)
{
	s->st->PauseTiming();
}

void rb_bench_resume(struct rb_bench_state *s)
{
	s->st->ResumeTiming();
}

} // extern "C"

namespace {

// A reusable barrier for the threads of one run (C++17 has no std::barrier).
class Barrier {
public:
	void wait(int n)
	{
		std::unique_lock<std::mutex> lk(mu_);
		unsigned gen = gen_;
		if (++arrived_ == n) {
			arrived_ = 0;
			gen_++;
			cv_.notify_all();
			return;
		}
		cv_.wait(lk, [&] { return gen_ != gen; });
	}

private:
	std::mutex mu_;
	std::condition_variable cv_;
	int arrived_ = 0;
	unsigned gen_ = 0;
};

// The cached context: at most one (def, arg) fixture is alive at a time.
struct Cache {
	const rb_bench_def *def = nullptr;
	int64_t arg = 0;
	void *ctx = nullptr;
	bool ok = false;

	void drop()
	{
		if (def && ok && def->fini)
			def->fini(ctx);
		def = nullptr;
		ctx = nullptr;
		ok = false;
	}
	bool get(const rb_bench_def *d, int64_t a)
	{
		if (def == d && arg == a)
			return ok;
		drop();
		def = d;
		arg = a;
		ctx = d->init ? d->init(a) : nullptr;
		ok = !d->init || ctx != nullptr;
		return ok;
	}
};

Cache g_cache;

struct Runner {
	const rb_bench_def *def;
	int64_t arg;
	Barrier barrier;
	// Written by thread 0 before the start barrier, read after it.
	void *ctx = nullptr;
	bool ok = false;
	// Threads still inside fn: the last one out calls run_stop. (No
	// barrier after fn: a thread that fails before its loop returns at
	// once, and one that waits here for it could hold up google-benchmark,
	// whose own start barrier the others may be waiting in.)
	std::atomic<int> inside{0};

	void operator()(benchmark::State &st)
	{
		int n = st.threads();
		if (st.thread_index() == 0) {
			ok = g_cache.get(def, arg);
			ctx = g_cache.ctx;
			if (ok && def->run_start)
				def->run_start(ctx);
			inside = n;
		}
		if (n > 1)
			barrier.wait(n);
		if (!ok) {
			// Every thread: a thread that returns without finishing
			// its loop must carry the error itself.
			g_failed = true;
			st.SkipWithError("benchmark init failed");
			return;
		}
		rb_bench_state s{&st, arg};
		def->fn(&s, ctx);
		if (inside.fetch_sub(1) == 1 && def->run_stop)
			def->run_stop(ctx);
	}
};

void register_def(const rb_bench_def *d)
{
	unsigned nruns = d->nargs ? d->nargs : 1;
	for (unsigned i = 0; i < nruns; i++) {
		std::string name = d->name;
		int64_t arg = 0;
		if (d->nargs) {
			arg = d->args[i];
			name += "/" + std::to_string(arg);
		}
		// Runner holds a barrier (not copyable): keep it alive for the
		// whole program and hand google-benchmark a forwarding lambda.
		Runner *r = new Runner{d, arg, {}, nullptr, false, {0}};
		benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
			name.c_str(), [r](benchmark::State &st) { (*r)(st); });
		if (d->threads > 1)
			b->Threads(d->threads)->UseRealTime();
	}
}

} // namespace

int main(int argc, char **argv)
{
	for (const rb_bench_table *t = rb_bench_tables; t->defs; t++)
		for (const rb_bench_def *d = t->defs; d->name; d++)
			register_def(d);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	if (benchmark::RunSpecifiedBenchmarks() == 0)
		rb_bench_fail("no benchmark matched the filter");
	benchmark::Shutdown();
	g_cache.drop();
	return g_failed ? 1 : 0;
}
