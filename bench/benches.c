/* Every benchmark table, in the order they run. */
#include "bench/benches.h"

const struct rb_bench_table rb_bench_tables[] = {
	{ "bench_codec.c", rb_bench_codec_defs },
	{ "bench_registry.c", rb_bench_registry_defs },
	{ "bench_dispatch.c", rb_bench_dispatch_defs },
	{ "bench_handlers.c", rb_bench_handlers_defs },
	{ NULL, NULL },
};
