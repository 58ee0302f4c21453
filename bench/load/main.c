/* ringbind-load: command line, priming, idle connections, threads, report.
 * See load.h for the design and README.md ("Load generator") for use. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench/load/load.h"

static const char usage_text[] =
	"Usage: ringbind-load [options]\n"
	"Load generator for ONC RPC port mappers (ringbind, rpcbind), loopback only.\n"
	"\n"
	"  --mode M          udp | tcp | storm | ustorm | mix | prime (default udp)\n"
	"                      udp: W calls in flight per thread (sendmmsg/recvmmsg)\n"
	"                      tcp: --conns connections x W pipelined calls\n"
	"                      storm: a new TCP connection per lookup (mount.nfs)\n"
	"                      ustorm: a new UDP socket per lookup\n"
	"                      mix: lookups plus --churn %% PMAP SET/UNSET (UDP, or\n"
	"                           --transport tcp)\n"
	"                      prime: only register --prime programs\n"
	"  --call C          getport (PMAP v2) | getaddr (v3) | getaddr4 (v4) |\n"
	"                    getversaddr (v4) | dump (v2) | dump3 | dump4 | null\n"
	"                    (default getport)\n"
	"  --host ADDR       target: 127.0.0.0/8 or ::1 only (default 127.0.0.1)\n"
	"  --port N          target port (default 111)\n"
	"  --threads N       client threads (default 1)\n"
	"  --window W        calls in flight per socket/connection, or concurrent\n"
	"                    sessions per thread for storms (udp 32, tcp 8, storm 16)\n"
	"  --conns C         tcp: connections in all (default 16)\n"
	"  --duration S      measure for S seconds (default 5; with --count, 300)\n"
	"  --count N         stop after N calls (whichever comes first)\n"
	"  --warmup S        run S seconds before measuring (default 0)\n"
	"  --timeout-ms MS   a call unanswered this long is a timeout (default 1000)\n"
	"  --prime N         first register N programs (PMAP v2 SET over UDP from a\n"
	"                    privileged loopback port, --prime-window in flight)\n"
	"  --prime-proto P   udp | tcp | both: netids primed (default: the lookups')\n"
	"  --prime-window W  SETs in flight while priming (default 128)\n"
	"  --prime-timeout S give up priming after S seconds (default 60)\n"
	"  --keys N          lookups spread over N primed programs (default --prime;\n"
	"                    0: the server's own program 100000)\n"
	"  --miss PCT        percentage of lookups for unregistered programs\n"
	"  --churn PCT       percentage of calls that are SET/UNSET (mix: 1)\n"
	"  --transport T     mix: udp | tcp (default udp)\n"
	"  --prog-base N     first primed program number (default 0x30000000)\n"
	"  --server-pid PID  report the server's CPU time per reply (/proc/PID/stat)\n"
	"  --idle-conns N    hold N idle TCP connections open during the run\n"
	"  --verbose         more output on stderr\n"
	"\n"
	"Every reply is checked (xid, status, value); wrong answers are counted apart\n"
	"and never as throughput. The last line is machine-readable: RESULT k=v ...\n"
	"Exit: 0 ok, 1 wrong answers or no valid reply, 2 usage, 3 setup failed.\n";

enum {
	OPT_MODE = 256, OPT_CALL, OPT_HOST, OPT_PORT, OPT_THREADS, OPT_WINDOW, OPT_CONNS,
	OPT_DURATION, OPT_COUNT, OPT_WARMUP, OPT_TIMEOUT, OPT_PRIME, OPT_PRIME_PROTO,
	OPT_PRIME_WINDOW, OPT_PRIME_TIMEOUT, OPT_KEYS, OPT_MISS, OPT_CHURN, OPT_TRANSPORT,
	OPT_PROG_BASE, OPT_SERVER_PID, OPT_IDLE, OPT_VERBOSE, OPT_HELP,
};

static const struct option long_opts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "call", required_argument, NULL, OPT_CALL },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "conns", required_argument, NULL, OPT_CONNS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "prime", required_argument, NULL, OPT_PRIME },
	{ "prime-proto", required_argument, NULL, OPT_PRIME_PROTO },
	{ "prime-window", required_argument, NULL, OPT_PRIME_WINDOW },
	{ "prime-timeout", required_argument, NULL, OPT_PRIME_TIMEOUT },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "miss", required_argument, NULL, OPT_MISS },
	{ "churn", required_argument, NULL, OPT_CHURN },
	{ "mix", required_argument, NULL, OPT_CHURN },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "prog-base", required_argument, NULL, OPT_PROG_BASE },
	{ "server-pid", required_argument, NULL, OPT_SERVER_PID },
	{ "idle-conns", required_argument, NULL, OPT_IDLE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char *const mode_names[] = { "udp", "tcp", "storm", "ustorm", "mix", "prime" };
static const char *const call_names[] = { "getport", "getaddr", "getaddr4", "getversaddr",
					  "dump", "dump3", "dump4", "null" };

__attribute__((format(printf, 1, 2), noreturn)) static void die_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("ringbind-load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (--help for usage)\n", stderr);
	exit(2);
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static uint64_t num(const char *opt, const char *s, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		die_usage("--%s: bad number '%s' (at most %" PRIu64 ")", opt, s, max);
	return v;
}

static double real(const char *opt, const char *s, double max)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > max)
		die_usage("--%s: bad value '%s' (0 to %g)", opt, s, max);
	return v;
}

/* Loopback only: 127.0.0.0/8 or ::1. Nothing else is ever sent to. */
static void set_host(struct lg_opts *o, const char *h)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (strcmp(h, "localhost") == 0)
		h = "127.0.0.1";
	memset(&o->target, 0, sizeof(o->target));
	if (inet_pton(AF_INET, h, &a4) == 1) {
		if ((ntohl(a4.s_addr) >> 24) != 127)
			die_usage("refusing target %s: only loopback addresses (127.0.0.0/8, ::1)", h);
		struct sockaddr_in *sa = (struct sockaddr_in *)&o->target;
		sa->sin_family = AF_INET;
		sa->sin_addr = a4;
		o->family = AF_INET;
		o->target_len = sizeof(*sa);
		inet_ntop(AF_INET, &a4, o->host, sizeof(o->host));
	} else if (inet_pton(AF_INET6, h, &a6) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&a6))
			die_usage("refusing target %s: only loopback addresses (127.0.0.0/8, ::1)", h);
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&o->target;
		sa->sin6_family = AF_INET6;
		sa->sin6_addr = a6;
		o->family = AF_INET6;
		o->target_len = sizeof(*sa);
		inet_ntop(AF_INET6, &a6, o->host, sizeof(o->host));
	} else {
		die_usage("refusing target '%s': give a numeric loopback address (127.0.0.1 or ::1)", h);
	}
}

static void set_port(struct lg_opts *o)
{
	if (o->family == AF_INET6)
		((struct sockaddr_in6 *)&o->target)->sin6_port = htons(o->port);
	else
		((struct sockaddr_in *)&o->target)->sin_port = htons(o->port);
}

static void parse(struct lg_opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->mode = LG_MODE_UDP;
	o->call = LG_CALL_GETPORT;
	o->port = 111;
	o->threads = 1;
	o->prime_window = 128;
	o->prime_timeout_s = 60;
	o->timeout_ms = 1000;
	o->prog_base = 0x30000000u;
	o->server_pid = -1;
	set_host(o, "127.0.0.1");
	int window = -1, conns = -1, keys = -1, transport = -1, protos = -1;
	double duration = -1, churn = -1;
	int c;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		const char *a = optarg;
		switch (c) {
		case OPT_MODE:
			if ((c = name_index(mode_names, 6, a)) < 0)
				die_usage("unknown mode '%s'", a);
			o->mode = (enum lg_mode)c;
			break;
		case OPT_CALL:
			if ((c = name_index(call_names, 8, a)) < 0)
				die_usage("unknown call '%s'", a);
			o->call = (enum lg_call)c;
			break;
		case OPT_HOST: set_host(o, a); break;
		case OPT_PORT: o->port = (uint16_t)num("port", a, 65535); break;
		case OPT_THREADS: o->threads = (unsigned)num("threads", a, 64); break;
		case OPT_WINDOW: window = (int)num("window", a, LG_WINDOW_MAX); break;
		case OPT_CONNS: conns = (int)num("conns", a, 65536); break;
		case OPT_DURATION: duration = real("duration", a, 86400); break;
		case OPT_COUNT: o->count = num("count", a, UINT64_MAX / 2); break;
		case OPT_WARMUP: o->warmup_s = real("warmup", a, 3600); break;
		case OPT_TIMEOUT: o->timeout_ms = (uint32_t)num("timeout-ms", a, 600000); break;
		case OPT_PRIME: o->prime = (uint32_t)num("prime", a, LG_KEYS_MAX - 1); break;
		case OPT_PRIME_PROTO:
			protos = strcmp(a, "udp") == 0 ? 1 : strcmp(a, "tcp") == 0 ? 2 : strcmp(a, "both") == 0 ? 3 : -1;
			if (protos < 0)
				die_usage("--prime-proto: udp, tcp or both, not '%s'", a);
			break;
		case OPT_PRIME_WINDOW: o->prime_window = (unsigned)num("prime-window", a, LG_WINDOW_MAX); break;
		case OPT_PRIME_TIMEOUT: o->prime_timeout_s = real("prime-timeout", a, 86400); break;
		case OPT_KEYS: keys = (int)num("keys", a, LG_KEYS_MAX - 1); break;
		case OPT_MISS: o->miss_pct = real("miss", a, 100); break;
		case OPT_CHURN: churn = real("churn", a, 100); break;
		case OPT_TRANSPORT:
			transport = strcmp(a, "udp") == 0 ? 0 : strcmp(a, "tcp") == 0 ? 1 : -1;
			if (transport < 0)
				die_usage("--transport: udp or tcp, not '%s'", a);
			break;
		case OPT_PROG_BASE: o->prog_base = (uint32_t)num("prog-base", a, UINT32_MAX - 3u * LG_KEYS_MAX); break;
		case OPT_SERVER_PID: o->server_pid = (long)num("server-pid", a, 1u << 30); break;
		case OPT_IDLE: o->idle_conns = (unsigned)num("idle-conns", a, 1000000); break;
		case OPT_VERBOSE: o->verbose = true; break;
		case OPT_HELP: fputs(usage_text, stdout); exit(0);
		default: die_usage("bad option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	set_port(o);
	o->stream = o->mode == LG_MODE_TCP || o->mode == LG_MODE_STORM ||
		    (o->mode == LG_MODE_MIX && transport == 1);
	if (transport >= 0 && o->mode != LG_MODE_MIX)
		die_usage("--transport is for --mode mix");
	if (o->threads == 0)
		die_usage("--threads must be at least 1");
	switch (o->mode) {
	case LG_MODE_TCP:
		o->window = window >= 0 ? (unsigned)window : 8u;
		o->conns = conns >= 0 ? (unsigned)conns : 16u;
		if (o->conns == 0)
			die_usage("--conns must be at least 1");
		if (o->conns < o->threads)
			o->threads = o->conns;
		break;
	case LG_MODE_STORM:
	case LG_MODE_USTORM:
		o->window = window >= 0 ? (unsigned)window : 16u;
		break;
	case LG_MODE_MIX:
		o->window = window >= 0 ? (unsigned)window : (o->stream ? 8u : 32u);
		o->conns = conns >= 0 ? (unsigned)conns : 16u;
		if (o->stream && o->conns < o->threads)
			o->threads = o->conns;
		if (churn < 0)
			churn = 1;
		break;
	default:
		o->window = window >= 0 ? (unsigned)window : 32u;
		break;
	}
	if (o->window == 0)
		die_usage("--window must be at least 1");
	if (o->prime_window == 0)
		die_usage("--prime-window must be at least 1");
	if (conns >= 0 && !(o->mode == LG_MODE_TCP || o->mode == LG_MODE_MIX))
		die_usage("--conns is for --mode tcp or mix");
	o->churn_pct = churn > 0 ? churn : 0;
	if (o->churn_pct > 0 && o->threads * LG_CHURN_POOL > LG_KEYS_MAX)
		die_usage("too many threads for --churn");
	o->prime_protos = protos > 0 ? protos : (o->stream ? 2 : 1);
	o->keys = keys >= 0 ? (uint32_t)keys : o->prime;
	if (o->mode == LG_MODE_PRIME && o->prime == 0)
		die_usage("--mode prime needs --prime N");
	if (o->prime && o->family != AF_INET)
		die_usage("--prime needs an IPv4 loopback target (PMAP SET registers udp/tcp netids)");
	if (o->keys && o->family != AF_INET && o->call != LG_CALL_GETPORT)
		die_usage("--keys with an IPv6 target: primed programs have IPv4 netids only");
	if (duration < 0)
		duration = o->count ? 300 : 5;
	o->duration_s = duration;
	if (o->duration_s <= 0 && o->count == 0)
		die_usage("give --duration S or --count N: every run is bounded");
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		struct rlimit r2 = { want, want };
		if (setrlimit(RLIMIT_NOFILE, &r2) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	nanosleep(&ts, NULL);
}

static void *thread_main(void *arg)
{
	struct lg_thread *t = arg;
	int rc;
	switch (t->prime ? LG_MODE_PRIME : t->o->mode) {
	case LG_MODE_TCP:
		rc = lg_run_tcp(t);
		break;
	case LG_MODE_STORM:
		rc = lg_run_storm(t);
		break;
	case LG_MODE_USTORM:
		rc = lg_run_ustorm(t);
		break;
	case LG_MODE_MIX:
		rc = t->o->stream ? lg_run_tcp(t) : lg_run_udp(t);
		break;
	default:
		rc = lg_run_udp(t);
		break;
	}
	t->rc = rc;
	atomic_fetch_add(&t->run->done, 1);
	return NULL;
}

static void thread_init(struct lg_thread *t, unsigned id, struct lg_run *run)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->run = run;
	t->o = run->o;
	uint64_t seed = lg_now_ns() ^ ((uint64_t)getpid() << 16) ^ ((uint64_t)id * 0x9e3779b97f4a7c15ull);
	t->rng = (uint32_t)(seed ^ seed >> 32) | 1u;
	t->seq = lg_rand(t);
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

/* Registers --prime programs. Returns 0 when every SET was acknowledged. */
static int do_prime(const struct lg_opts *o)
{
	struct lg_run run;
	memset(&run, 0, sizeof(run));
	run.o = o;
	atomic_store(&run.phase, LG_PHASE_MEASURE);
	atomic_store(&run.started, 1);
	struct lg_prime p;
	memset(&p, 0, sizeof(p));
	if (o->prime_protos & 1)
		p.protos[p.nprotos++] = 17;
	if (o->prime_protos & 2)
		p.protos[p.nprotos++] = 6;
	p.n_items = o->prime * p.nprotos;
	p.retry = calloc(o->prime_window, sizeof(*p.retry));
	struct lg_thread *t = calloc(1, sizeof(*t));
	if (!p.retry || !t) {
		fprintf(stderr, "ringbind-load: out of memory\n");
		return -1;
	}
	thread_init(t, 0, &run);
	t->prime = &p;
	int64_t cpu0 = o->server_pid > 0 ? lg_proc_cpu_us(o->server_pid) : -1;
	uint64_t t0 = lg_now_ns();
	if (pthread_create(&t->th, NULL, thread_main, t) != 0) {
		fprintf(stderr, "ringbind-load: pthread_create failed\n");
		return -1;
	}
	uint64_t limit = (uint64_t)(o->prime_timeout_s * 1e9);
	while (atomic_load(&run.done) == 0 && lg_now_ns() - t0 < limit)
		sleep_ns(1000000);
	atomic_store(&run.phase, LG_PHASE_STOP);
	pthread_join(t->th, NULL);
	uint64_t t1 = lg_now_ns();
	int64_t cpu1 = o->server_pid > 0 ? lg_proc_cpu_us(o->server_pid) : -1;
	double secs = (double)(t1 - t0) / 1e9;
	bool complete = t->rc == 0 && p.acked == p.n_items;
	printf("prime: %u of %u SETs acknowledged (%u programs, %s), %u refused, %" PRIu64
	       " timed out and resent, in %.2f s (%.0f/s)%s\n",
	       p.acked, p.n_items, o->prime, o->prime_protos == 3 ? "udp+tcp" : o->prime_protos == 2 ? "tcp" : "udp",
	       p.failed, t->c.timeouts, secs, secs > 0 ? p.acked / secs : 0.0,
	       complete ? "" : t->rc ? " -- FAILED" : " -- INCOMPLETE (--prime-timeout)");
	if (t->rc)
		fprintf(stderr, "ringbind-load: %s\n", t->err);
	if (o->mode == LG_MODE_PRIME) {
		char cpu[64] = "na";
		if (cpu0 >= 0 && cpu1 >= 0 && p.acked)
			snprintf(cpu, sizeof(cpu), "%.3f", (double)(cpu1 - cpu0) / p.acked);
		printf("RESULT mode=prime prime=%u sets=%u acked=%u refused=%u resent=%" PRIu64
		       " seconds=%.3f rate=%.0f complete=%d server_cpu_us_per_set=%s\n",
		       o->prime, p.n_items, p.acked, p.failed, t->c.timeouts, secs,
		       secs > 0 ? p.acked / secs : 0.0, complete ? 1 : 0, cpu);
	}
	free(p.retry);
	free(t);
	return complete ? 0 : -1;
}

static int *open_idle(const struct lg_opts *o, unsigned *opened)
{
	int *fds = calloc(o->idle_conns ? o->idle_conns : 1, sizeof(int));
	*opened = 0;
	if (!fds)
		return NULL;
	for (unsigned i = 0; i < o->idle_conns; i++) {
		int fd = lg_tcp_connect(o, 2000, false);
		if (fd < 0) {
			fprintf(stderr, "ringbind-load: idle connection %u: %s\n", i, strerror(-fd));
			break;
		}
		fds[(*opened)++] = fd;
	}
	return fds;
}

/* Idle connections the server has not closed. */
static unsigned idle_alive(const int *fds, unsigned n)
{
	struct pollfd *p = calloc(n ? n : 1, sizeof(*p));
	if (!p)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLIN | POLLRDHUP;
	}
	unsigned alive = n;
	if (poll(p, n, 0) > 0)
		for (unsigned i = 0; i < n; i++)
			if (p[i].revents)
				alive--;
	free(p);
	return alive;
}

int main(int argc, char **argv)
{
	struct lg_opts o;
	parse(&o, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_nofile((rlim_t)o.idle_conns + o.conns + (rlim_t)o.window * o.threads + 256);
	if (o.server_pid > 0 && lg_proc_cpu_us(o.server_pid) < 0) {
		fprintf(stderr, "ringbind-load: cannot read /proc/%ld/stat\n", o.server_pid);
		return 2;
	}
	if (o.prime) {
		int rc = do_prime(&o);
		if (o.mode == LG_MODE_PRIME)
			return rc == 0 ? 0 : 3;
		if (rc != 0)
			return 3;
	}
	unsigned idle_open = 0;
	int *idle = open_idle(&o, &idle_open);
	if (!idle || idle_open < o.idle_conns) {
		fprintf(stderr, "ringbind-load: opened %u of %u idle connections\n", idle_open, o.idle_conns);
		return 3;
	}

	struct lg_run run;
	memset(&run, 0, sizeof(run));
	run.o = &o;
	atomic_store(&run.phase, o.warmup_s > 0 ? LG_PHASE_WARMUP : LG_PHASE_MEASURE);
	struct lg_thread *th = calloc(o.threads, sizeof(*th));
	if (!th) {
		fprintf(stderr, "ringbind-load: out of memory\n");
		return 3;
	}
	unsigned created = 0;
	for (unsigned i = 0; i < o.threads; i++) {
		thread_init(&th[i], i, &run);
		if (pthread_create(&th[i].th, NULL, thread_main, &th[i]) != 0)
			break;
		created++;
	}
	/* Setup (connections) is bounded by the connect timeouts. */
	uint64_t t_setup = lg_now_ns();
	while (atomic_load(&run.ready) < created && lg_now_ns() - t_setup < 60000000000ull)
		sleep_ns(200000);
	bool setup_ok = created == o.threads && atomic_load(&run.ready) == created &&
			atomic_load(&run.failed) == 0;
	uint64_t t_start = lg_now_ns(), t_end;
	int64_t cpu0 = -1, cpu1 = -1;
	if (!setup_ok) {
		atomic_store(&run.phase, LG_PHASE_STOP);
		t_end = t_start;
	} else {
		atomic_store(&run.started, 1);
		if (o.warmup_s > 0) {
			uint64_t w = (uint64_t)(o.warmup_s * 1e9);
			while (lg_now_ns() - t_start < w && atomic_load(&run.done) < created)
				sleep_ns(1000000);
		}
		cpu0 = o.server_pid > 0 ? lg_proc_cpu_us(o.server_pid) : -1;
		t_start = lg_now_ns();
		atomic_store(&run.phase, LG_PHASE_MEASURE);
		uint64_t d = (uint64_t)(o.duration_s * 1e9);
		while ((d == 0 || lg_now_ns() - t_start < d) && atomic_load(&run.done) < created)
			sleep_ns(1000000);
		atomic_store(&run.phase, LG_PHASE_STOP);
		t_end = lg_now_ns();
		cpu1 = o.server_pid > 0 ? lg_proc_cpu_us(o.server_pid) : -1;
	}
	for (unsigned i = 0; i < created; i++)
		pthread_join(th[i].th, NULL);
	unsigned alive = idle_alive(idle, idle_open);
	for (unsigned i = 0; i < idle_open; i++)
		close(idle[i]);
	free(idle);

	struct lg_counters c;
	memset(&c, 0, sizeof(c));
	static struct lg_hist lat, mlat;
	int failed = 0;
	for (unsigned i = 0; i < created; i++) {
		lg_counters_merge(&c, &th[i].c);
		lg_hist_merge(&lat, &th[i].lat);
		lg_hist_merge(&mlat, &th[i].mlat);
		if (th[i].rc) {
			fprintf(stderr, "ringbind-load: thread %u: %s\n", i, th[i].err);
			failed = 1;
		}
	}
	free(th);
	if (!setup_ok || failed) {
		fprintf(stderr, "ringbind-load: setup failed\n");
		return 3;
	}
	double secs = (double)(t_end - t_start) / 1e9;
	double rps = secs > 0 ? (double)c.replies / secs : 0;
	char cpu_per[32] = "na", cpu_pct[32] = "na", cpu_total[32] = "na";
	if (cpu0 >= 0 && cpu1 >= cpu0) {
		snprintf(cpu_total, sizeof(cpu_total), "%" PRId64, cpu1 - cpu0);
		if (c.replies)
			snprintf(cpu_per, sizeof(cpu_per), "%.3f", (double)(cpu1 - cpu0) / (double)c.replies);
		if (secs > 0)
			snprintf(cpu_pct, sizeof(cpu_pct), "%.1f", (double)(cpu1 - cpu0) / (secs * 1e4));
	}
	const char *mode = mode_names[o.mode];
	printf("ringbind-load: mode %s%s, call %s, %s port %u, %u thread(s), window %u",
	       mode, o.mode == LG_MODE_MIX ? (o.stream ? "/tcp" : "/udp") : "", call_names[o.call],
	       o.host, o.port, o.threads, o.window);
	if (o.stream && o.mode != LG_MODE_STORM)
		printf(", %u connections", o.conns);
	printf(", keys %u, miss %.1f%%, churn %.1f%%, %.2f s\n", o.keys, o.miss_pct, o.churn_pct, secs);
	printf("  replies   %" PRIu64 " valid (%.0f/s), %" PRIu64 " of them SET/UNSET; %" PRIu64 " calls sent\n",
	       c.replies, rps, c.mutations, c.sent);
	printf("  latency   lookups p50 %.1f us, p99 %.1f us, p99.9 %.1f us", us(lg_hist_quantile(&lat, 0.5)),
	       us(lg_hist_quantile(&lat, 0.99)), us(lg_hist_quantile(&lat, 0.999)));
	if (c.mutations)
		printf("; SET/UNSET p50 %.1f us, p99 %.1f us", us(lg_hist_quantile(&mlat, 0.5)),
		       us(lg_hist_quantile(&mlat, 0.99)));
	printf("\n  problems  %" PRIu64 " error replies, %" PRIu64 " WRONG answers, %" PRIu64
	       " timeouts, %" PRIu64 " late, %" PRIu64 " local\n",
	       c.errors, c.wrong, c.timeouts, c.late, c.local_errors);
	if (o.idle_conns)
		printf("  idle      %u TCP connections held, %u still open at the end\n", idle_open, alive);
	if (o.server_pid > 0)
		printf("  server    pid %ld: %s us CPU, %s us per reply, %s%% of one CPU\n", o.server_pid,
		       cpu_total, cpu_per, cpu_pct);
	if (c.wrong)
		printf("  WRONG answers: are the --keys registered for this transport (--prime, --prime-proto)?\n");
	printf("RESULT mode=%s call=%s transport=%s threads=%u window=%u conns=%u keys=%u miss_pct=%.1f"
	       " churn_pct=%.1f duration_s=%.3f sent=%" PRIu64 " replies=%" PRIu64 " rps=%.0f"
	       " p50_us=%.1f p99_us=%.1f p999_us=%.1f errors=%" PRIu64 " wrong=%" PRIu64
	       " timeouts=%" PRIu64 " late=%" PRIu64 " local_errors=%" PRIu64 " mutations=%" PRIu64
	       " mut_p99_us=%.1f idle_conns=%u idle_alive=%u server_cpu_us=%s"
	       " server_cpu_us_per_reply=%s server_cpu_pct=%s\n",
	       mode, call_names[o.call], o.stream ? "tcp" : "udp", o.threads, o.window,
	       o.stream && o.mode != LG_MODE_STORM ? o.conns : 0, o.keys, o.miss_pct, o.churn_pct, secs,
	       c.sent, c.replies, rps, us(lg_hist_quantile(&lat, 0.5)), us(lg_hist_quantile(&lat, 0.99)),
	       us(lg_hist_quantile(&lat, 0.999)), c.errors, c.wrong, c.timeouts, c.late, c.local_errors,
	       c.mutations, us(lg_hist_quantile(&mlat, 0.99)), idle_open, alive, cpu_total, cpu_per,
	       cpu_pct);
	return c.wrong || c.replies == 0 ? 1 : 0;
}
