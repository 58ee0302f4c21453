/* ringbind-load: clocks, latency histograms, counters, the server's CPU. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/load/load.h"

uint64_t lg_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Log-linear buckets: values below 2 * LG_HIST_SUB are exact; above, each
 * power of two is cut into LG_HIST_SUB buckets (about 3% wide). */
static unsigned hist_index(uint64_t v)
{
	if (v < 2u * LG_HIST_SUB)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - 5u; /* LG_HIST_SUB == 32 == 1 << 5 */
	unsigned idx = (shift + 1u) * LG_HIST_SUB + (unsigned)((v >> shift) & (LG_HIST_SUB - 1u));
	return idx < LG_HIST_BUCKETS ? idx : LG_HIST_BUCKETS - 1u;
}

/* The middle of a bucket's range. */
static uint64_t hist_value(unsigned idx)
{
	if (idx < 2u * LG_HIST_SUB)
		return idx;
	unsigned shift = idx / LG_HIST_SUB - 1u;
	uint64_t lo = (uint64_t)(LG_HIST_SUB + idx % LG_HIST_SUB) << shift;
	return lo + ((1ull << shift) >> 1);
}

uint64_t lg_hist_lo(unsigned idx)
{
	if (idx < 2u * LG_HIST_SUB)
		return idx;
	unsigned shift = idx / LG_HIST_SUB - 1u;
	return (uint64_t)(LG_HIST_SUB + idx % LG_HIST_SUB) << shift;
}

uint64_t lg_hist_hi(unsigned idx)
{
	if (idx < 2u * LG_HIST_SUB)
		return idx + 1u;
	return lg_hist_lo(idx) + (1ull << (idx / LG_HIST_SUB - 1u));
}

void lg_hist_add(struct lg_hist *h, uint64_t ns)
{
	h->b[hist_index(ns)]++;
	h->n++;
}

void lg_hist_merge(struct lg_hist *into, const struct lg_hist *h)
{
	for (unsigned i = 0; i < LG_HIST_BUCKETS; i++)
		into->b[i] += h->b[i];
	into->n += h->n;
}

uint64_t lg_hist_quantile(const struct lg_hist *h, double p)
{
	if (h->n == 0)
		return 0;
	uint64_t want = (uint64_t)(p * (double)h->n + 0.999999);
	if (want < 1)
		want = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want)
			return hist_value(i);
	}
	return hist_value(LG_HIST_BUCKETS - 1u);
}

void lg_counters_merge(struct lg_counters *into, const struct lg_counters *c)
{
	into->replies += c->replies;
	into->mutations += c->mutations;
	into->errors += c->errors;
	into->wrong += c->wrong;
	into->timeouts += c->timeouts;
	into->late += c->late;
	into->local_errors += c->local_errors;
	into->sent += c->sent;
}

/* /proc/PID/stat: fields 14 and 15 (utime, stime, clock ticks) count every
 * thread of the process, live or gone. The fields after the command name
 * (which may hold spaces and parentheses) start at field 3. */
int64_t lg_proc_cpu_us(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long long ut = 0, st = 0;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	return (int64_t)((ut + st) * 1000000ull / (unsigned long long)hz);
}
