/* The benchmark tables, one per bench_*.c file (listed in benches.c). */
#ifndef RB_BENCH_BENCHES_H
#define RB_BENCH_BENCHES_H

#include "bench/shim.h"

extern const struct rb_bench_def rb_bench_codec_defs[];
extern const struct rb_bench_def rb_bench_registry_defs[];
extern const struct rb_bench_def rb_bench_dispatch_defs[];
extern const struct rb_bench_def rb_bench_handlers_defs[];

#endif
