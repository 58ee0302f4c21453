/* ringbind-load: command line, priming, idle connections, threads, report.
 * See load.h for the design and README.md ("Load generator") for use. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
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
	"Load generator for ONC RPC port mappers (ringbind, rpcbind) at any IPv4 or\n"
	"IPv6 address; every reply is checked.\n"
	"\n"
	"  --server ADDR     target: an IPv4 or IPv6 address or a name, with an\n"
	"                    optional port: 192.0.2.1:111, [2001:db8::1]:111\n"
	"                    (default 127.0.0.1)\n"
	"  --host ADDR       the same as --server\n"
	"  --port N          target port (default 111, or the one in --server)\n"
	"  --mode M          udp | tcp | storm | ustorm | mix | prime (default udp)\n"
	"                      udp: W calls in flight per thread (sendmmsg/recvmmsg)\n"
	"                      tcp: --conns connections x W pipelined calls\n"
	"                      storm: a new TCP connection per lookup (mount.nfs)\n"
	"                      ustorm: a new UDP socket per lookup\n"
	"                      mix: lookups plus --churn %% PMAP SET/UNSET (over\n"
	"                           UDP, or TCP with --transport tcp)\n"
	"                      prime: only register --prime programs (or the mix's)\n"
	"  --call C          getport (PMAP v2) | getaddr (v3) | getaddr4 (v4) |\n"
	"                    getversaddr (v4) | dump (v2) | dump3 | dump4 | null\n"
	"                    (default getport)\n"
	"  --mix FILE        calls from FILE: lines of procedure version program\n"
	"                    netid weight [port] (see ringbind-load(1))\n"
	"  --preset P        mount-storm: what mount.nfs (NFSv3) asks: GETPORT of\n"
	"                    nfs, mountd and nlockmgr, a new TCP connection each\n"
	"                    (--transport udp: a new UDP socket each)\n"
	"  --threads N       client threads (default 1)\n"
	"  --window W        calls in flight per socket/connection, or concurrent\n"
	"                    sessions per thread for storms (udp 32, tcp 8, storm 16;\n"
	"                    with --rate: udp 1024, storm 64)\n"
	"  --conns C         tcp: connections in all (default 16)\n"
	"  --duration S      measure for S seconds (default 5; 300 with --count\n"
	"                    or --ramp)\n"
	"  --count N         stop after N calls (whichever comes first)\n"
	"  --warmup S        run S seconds before measuring (default 0)\n"
	"  --timeout-ms MS   a call unanswered this long is a timeout (default 1000)\n"
	"  --rate N          open loop: N calls/s over all threads, each call's\n"
	"                    latency from its intended send time (default: closed\n"
	"                    loop, the window)\n"
	"  --ramp            capacity search: from --rate (default 1000), the rate\n"
	"                    times --ramp-factor each step, until the replies or the\n"
	"                    p99 fail (a failed step is run once more)\n"
	"  --ramp-factor F   rate multiplier per step (default 1.2)\n"
	"  --ramp-step S     seconds per step (default 1)\n"
	"  --ramp-max N      highest rate tried (default 10000000)\n"
	"  --ramp-min-ratio R  a step fails when fewer than R of the calls asked\n"
	"                    for are sent, or R replies per call sent come back\n"
	"                    (default 0.99)\n"
	"  --ramp-p99-ms MS  a step fails when its p99 is above MS (default 10)\n"
	"  --interval S      a progress line every S seconds\n"
	"  --json FILE       also write the result, with its latency histogram,\n"
	"                    as JSON (bench/load/result.schema.json)\n"
	"  --prime N         first register N programs (PMAP v2 SET over UDP from a\n"
	"                    privileged port, --prime-window in flight); with a\n"
	"                    call mix (--mix, --preset) N is ignored: the programs\n"
	"                    of the mix that have a port are registered\n"
	"  --prime-proto P   udp | tcp | both: netids primed (default: the lookups')\n"
	"  --prime-window W  SETs in flight while priming (default 128)\n"
	"  --prime-timeout S give up priming after S seconds (default 60)\n"
	"  --keys N          lookups spread over N primed programs (default --prime;\n"
	"                    0: the server's own program 100000)\n"
	"  --miss PCT        percentage of lookups for unregistered programs\n"
	"  --churn PCT       percentage of calls that are SET/UNSET (mix: 1)\n"
	"  --transport T     mix and --preset: udp | tcp (default: mix udp,\n"
	"                    preset tcp)\n"
	"  --prog-base N     first primed program number (default 0x30000000)\n"
	"  --server-pid PID  report the server's CPU time per reply (/proc/PID/stat)\n"
	"  --idle-conns N    hold N idle TCP connections open during the run\n"
	"  --verbose         more output on stderr\n"
	"\n"
	"Every reply is checked (xid, status, value); wrong answers are counted apart\n"
	"and never as throughput. The last line is machine-readable: RESULT k=v ...\n"
	"Exit: 0 ok, 1 wrong answers or no valid reply, 2 usage, 3 setup failed,\n"
	"4 the --rate asked for was not held, or --ramp sustained no step.\n";

enum {
	OPT_MODE = 256, OPT_CALL, OPT_HOST, OPT_PORT, OPT_THREADS, OPT_WINDOW, OPT_CONNS,
	OPT_DURATION, OPT_COUNT, OPT_WARMUP, OPT_TIMEOUT, OPT_PRIME, OPT_PRIME_PROTO,
	OPT_PRIME_WINDOW, OPT_PRIME_TIMEOUT, OPT_KEYS, OPT_MISS, OPT_CHURN, OPT_TRANSPORT,
	OPT_PROG_BASE, OPT_SERVER_PID, OPT_IDLE, OPT_VERBOSE, OPT_HELP, OPT_SERVER, OPT_RATE,
	OPT_RAMP, OPT_RAMP_FACTOR, OPT_RAMP_STEP, OPT_RAMP_MAX, OPT_RAMP_RATIO, OPT_RAMP_P99,
	OPT_INTERVAL, OPT_JSON, OPT_MIX, OPT_PRESET,
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
	{ "mix", required_argument, NULL, OPT_MIX },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "ramp", no_argument, NULL, OPT_RAMP },
	{ "ramp-factor", required_argument, NULL, OPT_RAMP_FACTOR },
	{ "ramp-step", required_argument, NULL, OPT_RAMP_STEP },
	{ "ramp-max", required_argument, NULL, OPT_RAMP_MAX },
	{ "ramp-min-ratio", required_argument, NULL, OPT_RAMP_RATIO },
	{ "ramp-p99-ms", required_argument, NULL, OPT_RAMP_P99 },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "preset", required_argument, NULL, OPT_PRESET },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "prog-base", required_argument, NULL, OPT_PROG_BASE },
	{ "server-pid", required_argument, NULL, OPT_SERVER_PID },
	{ "idle-conns", required_argument, NULL, OPT_IDLE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char *const mode_names[] = { "udp", "tcp", "storm", "ustorm", "mix", "prime" };
#define call_names lg_call_names

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

/* The target: ADDR, ADDR:PORT, [ADDR6]:PORT or a bare IPv6 address; a
 * name is looked up once here. Any address: tests keep to loopback and to
 * the network namespaces they create. */
static void set_host(struct lg_opts *o, const char *arg, int *port_given)
{
	char h[256];
	const char *port = NULL;
	if (strlen(arg) >= sizeof(h))
		die_usage("--server: '%s' is too long", arg);
	snprintf(h, sizeof(h), "%s", arg);
	char *host = h;
	if (h[0] == '[') {
		char *e = strchr(h, ']');
		if (!e || (e[1] != '\0' && e[1] != ':'))
			die_usage("--server: bad address '%s' (want [ADDR6] or [ADDR6]:PORT)", arg);
		*e = '\0';
		host = h + 1;
		if (e[1] == ':')
			port = e + 2;
	} else {
		char *c = strchr(h, ':');
		if (c && !strchr(c + 1, ':')) { /* one colon: ADDR:PORT */
			*c = '\0';
			port = c + 1;
		}
	}
	if (port) {
		char *end;
		errno = 0;
		unsigned long p = strtoul(port, &end, 10);
		if (errno || end == port || *end || p == 0 || p > 65535)
			die_usage("--server: bad port in '%s'", arg);
		o->port = (uint16_t)p;
		*port_given = 1;
	}
	if (strcmp(host, "localhost") == 0)
		host = strcpy(h, "127.0.0.1");
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res)
		die_usage("--server: cannot resolve '%s': %s", host, gai_strerror(rc));
	memset(&o->target, 0, sizeof(o->target));
	memcpy(&o->target, res->ai_addr, res->ai_addrlen);
	o->target_len = res->ai_addrlen;
	o->family = res->ai_family;
	freeaddrinfo(res);
	if (o->family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&o->target)->sin6_addr, o->host, sizeof(o->host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&o->target)->sin_addr, o->host, sizeof(o->host));
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
	o->ramp_factor = 1.2;
	o->ramp_step_s = 1;
	o->ramp_max = 10000000;
	o->ramp_min_ratio = 0.99;
	o->ramp_p99_ms = 10;
	int port_in_server = 0, port_opt = -1;
	set_host(o, "127.0.0.1", &port_in_server);
	o->port = 111;
	int window = -1, conns = -1, keys = -1, transport = -1, protos = -1;
	double duration = -1, churn = -1;
	const char *mix_path = NULL;
	bool ramp_opts = false;
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
		case OPT_HOST:
		case OPT_SERVER: set_host(o, a, &port_in_server); break;
		case OPT_PORT: port_opt = (int)num("port", a, 65535); break;
		case OPT_RATE: o->rate = real("rate", a, LG_RATE_MAX); break;
		case OPT_RAMP: o->ramp = true; break;
		case OPT_RAMP_FACTOR: o->ramp_factor = real("ramp-factor", a, 100); ramp_opts = true; break;
		case OPT_RAMP_STEP: o->ramp_step_s = real("ramp-step", a, 3600); ramp_opts = true; break;
		case OPT_RAMP_MAX: o->ramp_max = real("ramp-max", a, LG_RATE_MAX); ramp_opts = true; break;
		case OPT_RAMP_RATIO: o->ramp_min_ratio = real("ramp-min-ratio", a, 1); ramp_opts = true; break;
		case OPT_RAMP_P99: o->ramp_p99_ms = real("ramp-p99-ms", a, 600000); ramp_opts = true; break;
		case OPT_INTERVAL: o->interval_s = real("interval", a, 86400); break;
		case OPT_JSON: o->json_path = a; break;
		case OPT_MIX: mix_path = a; break;
		case OPT_PRESET: o->preset = a; break;
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
	if (port_opt >= 0 && port_in_server && port_opt != o->port)
		die_usage("--port %d and the port in --server (%u) differ", port_opt, o->port);
	if (port_opt >= 0)
		o->port = (uint16_t)port_opt;
	if (o->port == 0)
		die_usage("--port must be 1 to 65535");
	set_port(o);
	if (mix_path && o->preset)
		die_usage("--mix and --preset: one or the other");
	if (o->preset) {
		if (strcmp(o->preset, "mount-storm") != 0)
			die_usage("unknown preset '%s' (mount-storm)", o->preset);
		/* mount.nfs asks over the transport it will mount with
		 * (proto=tcp by default), a new socket per query. */
		bool udp = transport == 0;
		if (o->mode != LG_MODE_PRIME)
			o->mode = udp ? LG_MODE_USTORM : LG_MODE_STORM;
		lg_mix_mount_storm(o, o->family == AF_INET6 ? (udp ? "udp6" : "tcp6") : (udp ? "udp" : "tcp"));
		if (o->family == AF_INET6) {
			/* nfs-utils sends the server's universal address,
			 * with the port mapper's port, as r_addr. */
			snprintf(o->raddr, sizeof(o->raddr), "%s.0.111", o->host);
		}
		transport = -1;
	}
	if (mix_path) {
		char err[256];
		if (lg_mix_load(o, mix_path, err, sizeof(err)) != 0)
			die_usage("%s", err);
	}
	o->stream = o->mode == LG_MODE_TCP || o->mode == LG_MODE_STORM ||
		    (o->mode == LG_MODE_MIX && transport == 1);
	if (transport >= 0 && o->mode != LG_MODE_MIX)
		die_usage("--transport is for --mode mix and --preset");
	if (o->threads == 0)
		die_usage("--threads must be at least 1");
	if (o->ramp && o->rate == 0)
		o->rate = 1000;
	if (ramp_opts && !o->ramp)
		die_usage("--ramp-factor, --ramp-step, --ramp-max, --ramp-min-ratio and --ramp-p99-ms are for --ramp");
	if (o->rate > 0 && o->mode == LG_MODE_PRIME)
		die_usage("--rate and --ramp are not for --mode prime");
	if (o->ramp && !(o->ramp_factor > 1.0))
		die_usage("--ramp-factor must be above 1");
	if (o->ramp && o->ramp_step_s < LG_TICK_MIN_S)
		die_usage("--ramp-step must be at least %g s", LG_TICK_MIN_S);
	if (o->ramp && !(o->ramp_min_ratio > 0))
		die_usage("--ramp-min-ratio must be above 0");
	if (o->ramp && o->interval_s > 0)
		die_usage("--interval with --ramp: every step prints its own line");
	if (o->interval_s > 0 && o->interval_s < LG_TICK_MIN_S)
		die_usage("--interval must be at least %g s", LG_TICK_MIN_S);
	for (unsigned i = 0; i < o->n_mix; i++)
		if (o->mix[i].v6 != (o->family == AF_INET6) &&
		    (o->mix[i].call == LG_CALL_GETADDR || o->mix[i].call == LG_CALL_GETADDR4 ||
		     o->mix[i].call == LG_CALL_GETVERSADDR) && o->mix[i].port > 0)
			die_usage("--mix: netid %s with a checked port needs an %s target "
				  "(the answer is merged with the address called)",
				  o->mix[i].netid, o->mix[i].v6 ? "IPv6" : "IPv4");
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
		o->window = window >= 0 ? (unsigned)window : (o->rate > 0 ? 64u : 16u);
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
		o->window = window >= 0 ? (unsigned)window : (o->rate > 0 ? 1024u : 32u);
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
	o->keys = o->n_mix ? 0 : keys >= 0 ? (uint32_t)keys : o->prime;
	if (o->rate > 0 && o->churn_pct > 0)
		die_usage("--rate with --churn: churn is closed loop only");
	if (o->n_mix && o->churn_pct > 0)
		die_usage("--churn with a call mix: not supported");
	if (o->n_mix && (o->mode == LG_MODE_PRIME || o->prime))
		o->prime = 1; /* the mix's programs, whatever N */
	if (o->mode == LG_MODE_PRIME && o->prime == 0)
		die_usage("--mode prime needs --prime N (or --mix, --preset)");
	if (o->prime && o->family != AF_INET && !o->n_mix)
		die_usage("--prime needs an IPv4 target (PMAP SET registers udp/tcp netids)");
	if (o->keys && o->family != AF_INET && o->call != LG_CALL_GETPORT)
		die_usage("--keys with an IPv6 target: primed programs have IPv4 netids only");
	if (duration < 0)
		duration = o->count || o->ramp ? 300 : 5;
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
	if (!t->prime) {
		/* The last counters go to main(); no more ticks to wait for. */
		lg_tick(t, true);
		atomic_store(&t->tick_done, UINT64_MAX);
	}
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
	pthread_mutex_init(&t->mu, NULL);
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
	if (o->n_mix) {
		/* Each (program, version, netid) of the mix with a port, once:
		 * a second SET of a mapping is refused. */
		p.n_items = 0;
		for (unsigned i = 0; i < o->n_mix; i++) {
			const struct lg_mix_ent *e = &o->mix[i];
			bool dup = e->port <= 0;
			for (unsigned j = 0; j < p.n_items && !dup; j++) {
				const struct lg_mix_ent *f = &o->mix[p.mix_idx[j]];
				dup = f->prog == e->prog && f->vers == e->vers && strcmp(f->netid, e->netid) == 0;
			}
			if (!dup)
				p.mix_idx[p.n_items++] = (uint8_t)i;
		}
		p.n_mix = p.n_items;
		if (p.n_items == 0) {
			fprintf(stderr, "ringbind-load: --prime: no entry of the mix has a port to register\n");
			return -1;
		}
	}
	p.retry = calloc(o->prime_window > LG_MIX_MAX ? o->prime_window : LG_MIX_MAX, sizeof(*p.retry));
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
	       p.acked, p.n_items, o->n_mix ? p.n_items : o->prime,
	       o->n_mix ? "the mix's" : o->prime_protos == 3 ? "udp+tcp" : o->prime_protos == 2 ? "tcp" : "udp",
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
	if (o.rate > 0)
		lg_set_rate(&run, o.rate);
	struct lg_thread *th = calloc(o.threads, sizeof(*th));
	struct lg_result *res = calloc(1, sizeof(*res));
	struct lg_share *sh = calloc(1, sizeof(*sh));
	if (!th || !res || !sh) {
		fprintf(stderr, "ringbind-load: out of memory\n");
		return 3;
	}
	res->ramp_best = res->ramp_broke = -1;
	res->cpu_us = -1;
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
	double rate = o.rate;
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
		/* The warm-up counted nothing (lg_measuring); its ticks are
		 * flushed so the first interval starts clean. */
		if (o.warmup_s > 0)
			lg_collect(&run, th, created, sh);
		cpu0 = o.server_pid > 0 ? lg_proc_cpu_us(o.server_pid) : -1;
		t_start = lg_now_ns();
		atomic_store(&run.phase, LG_PHASE_MEASURE);
		if (o.rate > 0)
			lg_set_rate(&run, rate); /* the schedule starts with the measuring */
		uint64_t d = (uint64_t)(o.duration_s * 1e9);
		double tick_s = o.ramp ? o.ramp_step_s : o.interval_s;
		uint64_t tick_ns = (uint64_t)(tick_s * 1e9), last = t_start;
		bool ramp_over = false, retried = false;
		while ((d == 0 || lg_now_ns() - t_start < d) && atomic_load(&run.done) < created && !ramp_over) {
			sleep_ns(1000000);
			uint64_t now = lg_now_ns();
			if (tick_ns == 0 || now - last < tick_ns)
				continue;
			lg_collect(&run, th, created, sh);
			now = lg_now_ns();
			lg_share_add(res, sh);
			lg_step_done(&o, res, sh, (double)(now - t_start) / 1e9, (double)(now - last) / 1e9, rate);
			last = now;
			if (o.ramp) {
				/* A step that fails is run once more at the same rate
				 * (a stall of a shared machine is not the server's
				 * capacity); two failures in a row end the ramp. */
				if (res->ramp_broke >= 0 && !retried) {
					retried = true;
					res->ramp_broke = -1;
					lg_set_rate(&run, rate);
				} else if (res->ramp_broke >= 0) {
					ramp_over = true;
				} else if (rate * o.ramp_factor > o.ramp_max) {
					snprintf(res->ramp_reason, sizeof(res->ramp_reason),
						 "reached --ramp-max %.0f/s without breaking", o.ramp_max);
					ramp_over = true;
				} else {
					retried = false;
					rate *= o.ramp_factor;
					lg_set_rate(&run, rate);
				}
			}
		}
		if (o.ramp && !ramp_over && res->ramp_broke < 0)
			snprintf(res->ramp_reason, sizeof(res->ramp_reason),
				 "--duration %.0f s ran out before the rate broke", o.duration_s);
		/* No new calls; the replies to those in flight still count,
		 * until they are answered or time out. */
		atomic_store(&run.phase, LG_PHASE_DRAIN);
		t_end = lg_now_ns();
		uint64_t drain = (uint64_t)o.timeout_ms * 1000000u + 500000000u;
		while (atomic_load(&run.done) < created && lg_now_ns() - t_end < drain)
			sleep_ns(1000000);
		atomic_store(&run.phase, LG_PHASE_STOP);
		cpu1 = o.server_pid > 0 ? lg_proc_cpu_us(o.server_pid) : -1;
	}
	for (unsigned i = 0; i < created; i++)
		pthread_join(th[i].th, NULL);
	unsigned alive = idle_alive(idle, idle_open);
	for (unsigned i = 0; i < idle_open; i++)
		close(idle[i]);
	free(idle);
	/* What came after the last tick (all of it without ticks). */
	lg_collect(&run, th, created, sh);
	lg_share_add(res, sh);
	/* The open-loop schedule's calls due and never sent. */
	res->behind = sh->behind;

	int failed = 0;
	for (unsigned i = 0; i < created; i++) {
		if (th[i].rc) {
			fprintf(stderr, "ringbind-load: thread %u: %s\n", i, th[i].err);
			failed = 1;
		}
		pthread_mutex_destroy(&th[i].mu);
	}
	free(th);
	if (!setup_ok || failed) {
		fprintf(stderr, "ringbind-load: setup failed\n");
		return 3;
	}
	res->secs = (double)(t_end - t_start) / 1e9;
	if (cpu0 >= 0 && cpu1 >= cpu0)
		res->cpu_us = cpu1 - cpu0;
	res->idle_open = idle_open;
	res->idle_alive = alive;
	res->exit_status = res->c.wrong || res->c.replies == 0 ? 1 : 0;
	if (o.rate > 0 && !o.ramp) {
		/* Held: the calls asked for went out and were answered, within
		 * 2% (the calls due in the run are rate x seconds). */
		double want = o.rate * res->secs;
		double sent = (double)res->c.sent, got = (double)res->c.replies;
		res->rate_held = sent >= 0.98 * want && got >= 0.98 * want;
		if (sent < 0.98 * want)
			snprintf(res->rate_reason, sizeof(res->rate_reason),
				 "this client sent only %.0f of the %.0f calls/s asked (client-bound: more "
				 "--threads, a larger --window, or a lower --rate)",
				 sent / res->secs, o.rate);
		else if (got < 0.98 * want)
			snprintf(res->rate_reason, sizeof(res->rate_reason),
				 "the server answered only %.0f of the %.0f calls/s asked (%" PRIu64
				 " timeouts, %" PRIu64 " errors)",
				 got / res->secs, o.rate, res->c.timeouts, res->c.errors);
		else
			snprintf(res->rate_reason, sizeof(res->rate_reason), "held within 2%%");
		if (!res->rate_held) {
			fprintf(stderr, "ringbind-load: rate NOT held: %s\n", res->rate_reason);
			if (res->exit_status == 0)
				res->exit_status = 4;
		}
	}
	if (o.ramp) {
		if (res->ramp_best < 0) {
			fprintf(stderr, "ringbind-load: ramp: not even the first step (%.0f/s) held: %s\n",
				o.rate, res->ramp_reason);
			if (res->exit_status == 0)
				res->exit_status = 4;
		}
	}
	lg_report_text(&o, res);
	if (o.json_path) {
		int rc = lg_report_json(&o, res, o.json_path);
		if (rc < 0) {
			fprintf(stderr, "ringbind-load: --json %s: %s\n", o.json_path, strerror(-rc));
			if (res->exit_status == 0)
				res->exit_status = 3;
		}
	}
	int status = res->exit_status;
	free(res->steps);
	free(res);
	free(sh);
	return status;
}
