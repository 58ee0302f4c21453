#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void rb_config_defaults(struct rb_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 111;
	c->warm_start = true;
	c->backend = RB_BACKEND_AUTO;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", "/run/ringbind");
	snprintf(c->import_dir, sizeof(c->import_dir), "%s", "/run/rpcbind");
	c->limits.idle_timeout_ms = RB_CONFIG_IDLE_TIMEOUT_MS;
	c->limits.blocked_timeout_ms = RB_CONFIG_BLOCKED_TIMEOUT_MS;
	c->limits.conn_per_worker = RB_CONFIG_CONN_PER_WORKER;
	c->limits.conn_total = RB_CONFIG_CONN_TOTAL;
	c->limits.unsent_max = RB_CONFIG_UNSENT_MAX;
	c->rrl_rate = RB_CONFIG_RRL_RATE;
	c->rrl_burst = RB_CONFIG_RRL_BURST;
	c->owner_quota = RB_CONFIG_OWNER_QUOTA;
	c->max_registrations = RB_CONFIG_MAX_REGISTRATIONS;
	c->port_policy = true;
	c->check_owner_port = true;
	snprintf(c->config_path, sizeof(c->config_path), "%s", RB_CONFIG_FILE_DEFAULT);
	c->log_level = RB_LOG_INFO;
	c->log_target = RB_LOG_AUTO;
	c->metrics_on = true;
	snprintf(c->metrics_host, sizeof(c->metrics_host), "%s", RB_CONFIG_METRICS_HOST);
	c->metrics_port = RB_CONFIG_METRICS_PORT;
	c->tcpmux_max_conn = RB_CONFIG_TCPMUX_MAX_CONN;
	c->tcpmux_line_timeout_ms = RB_CONFIG_TCPMUX_LINE_TIMEOUT_MS;
	c->tcpmux_idle_timeout_ms = RB_CONFIG_TCPMUX_IDLE_TIMEOUT_MS;
	c->tcpmux_buffer = RB_CONFIG_TCPMUX_BUFFER;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (errcap)
		vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Parses a decimal number in [lo, hi]. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi,
		      unsigned long *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9') /* strtoul would skip spaces, take signs */
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; v && i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* "[ADDR:]PORT", with "[v6]:PORT" for IPv6; ADDR numeric. host gets ""
 * when no address is given. */
static int parse_hostport(const char *v, char *host, size_t hostcap, uint16_t *port)
{
	const char *colon = v ? strrchr(v, ':') : NULL;
	const char *ps = colon ? colon + 1 : v;
	unsigned long n;
	char h[RB_CONFIG_HOST_LEN];
	uint8_t ip[16];

	if (!v || parse_uint(ps, 1, 65535, &n))
		return -EINVAL;
	host[0] = '\0';
	if (colon) {
		size_t len = (size_t)(colon - v);
		const char *a = v;
		if (len >= 2 && a[0] == '[' && a[len - 1] == ']') {
			a++;
			len -= 2;
		}
		if (len == 0 || len >= sizeof(h) || len >= hostcap)
			return -EINVAL;
		memcpy(h, a, len);
		h[len] = '\0';
		if (inet_pton(AF_INET, h, ip) != 1 && inet_pton(AF_INET6, h, ip) != 1)
			return -EINVAL;
		memcpy(host, h, len + 1);
	}
	*port = (uint16_t)n;
	return 0;
}

enum kind {
	K_FLAG,   /* bool at off, set by its presence (or a bool value) */
	K_U32,    /* uint32_t at off, in [lo, hi] */
	K_CHOICE, /* bool at off: yes word -> true, no word -> false */
	K_PATH,   /* char[RB_CONFIG_PATH_MAX] at off, not empty */
	K_SPECIAL,
};

enum special {
	S_NONE = 0, S_DEBUG, S_PORT, S_WORKERS, S_BACKEND, S_HOST, S_TRUSTED, S_USER,
	S_LOG_LEVEL, S_LOG_TARGET, S_METRICS, S_CONFIG, S_TCPMUX, S_TCPMUX_ALLOW,
	S_TCPMUX_SERVICE, S_STEERING,
};

/* The paragraphs of --help, in order. */
enum group { G_RPCBIND = 0, G_RINGBIND, G_HARDEN, G_LIMITS, G_OPS, G_TCPMUX, G_COUNT };

/* Lists the file may fill (lists_from_file bits). */
#define L_HOSTS 1u
#define L_TRUSTED 2u
#define L_TCPMUX_ALLOW 4u
#define L_TCPMUX_SERVICES 8u

struct opt {
	const char *name;
	char shrt;         /* rpcbind's one-letter flag, or 0 */
	enum kind kind;
	size_t off;
	unsigned long lo, hi;
	const char *yes, *no;
	enum special sp;
	bool runtime;      /* SIGHUP applies it; else it needs a restart */
	enum group grp;    /* its paragraph of --help */
	const char *arg;   /* the value's name in --help; NULL: takes none */
	const char *help;  /* --help's words for it; the default is added */
};

#define CF(f) offsetof(struct rb_config, f)
static const struct opt opts[] = {
	{ .name = "abort-on-error", .shrt = 'a', .kind = K_FLAG, .off = CF(abort_on_err), .grp = G_RPCBIND,
	  .help = "abort on errors (debugging)" },
	{ .name = "debug", .shrt = 'd', .kind = K_SPECIAL, .off = CF(debug), .sp = S_DEBUG, .runtime = true, .grp = G_RPCBIND,
	  .help = "debug output; implies -f" },
	{ .name = "foreground", .shrt = 'f', .kind = K_FLAG, .off = CF(foreground), .grp = G_RPCBIND,
	  .help = "stay in the foreground" },
	{ .name = "host", .shrt = 'h', .kind = K_SPECIAL, .sp = S_HOST, .grp = G_RPCBIND, .arg = "ADDR",
	  .help = "also bind UDP and TCP to ADDR (repeatable; loopback is always bound)" },
	{ .name = "insecure", .shrt = 'i', .kind = K_FLAG, .off = CF(insecure), .runtime = true, .grp = G_RPCBIND,
	  .help = "allow SET/UNSET from any host" },
	{ .name = "log-calls", .shrt = 'l', .kind = K_FLAG, .off = CF(log_calls), .runtime = true, .grp = G_RPCBIND,
	  .help = "log every call" },
	{ .name = "remote-calls", .shrt = 'r', .kind = K_FLAG, .off = CF(remote_calls), .grp = G_RPCBIND,
	  .help = "enable CALLIT/BCAST/INDIRECT forwarding" },
	{ .name = "secure-user", .shrt = 's', .kind = K_FLAG, .off = CF(secure_user), .grp = G_RPCBIND,
	  .help = "after binding, run as the unprivileged user " RB_CONFIG_RUN_USER " (or the one --user names)" },
	{ .name = "warm-start", .shrt = 'w', .kind = K_FLAG, .off = CF(warm_start), .grp = G_RPCBIND,
	  .help = "restore registrations" },
	{ .name = "port", .kind = K_SPECIAL, .sp = S_PORT, .grp = G_RINGBIND, .arg = "N",
	  .help = "port to serve" },
	{ .name = "workers", .kind = K_SPECIAL, .sp = S_WORKERS, .grp = G_RINGBIND, .arg = "N",
	  .help = "worker threads; 0: one per CPU" },
	{ .name = "backend", .kind = K_SPECIAL, .sp = S_BACKEND, .grp = G_RINGBIND, .arg = "B",
	  .help = "uring, epoll, or auto: uring if usable" },
	{ .name = "socket-steering", .kind = K_SPECIAL, .sp = S_STEERING, .grp = G_RINGBIND, .arg = "S",
	  .help = "hash, random or cpu: which worker's socket a datagram or connection goes to" },
	{ .name = "user", .kind = K_SPECIAL, .sp = S_USER, .grp = G_RINGBIND, .arg = "NAME",
	  .help = "after binding, run as user NAME (implies -s); the state directory is handed to NAME" },
	{ .name = "state-dir", .kind = K_PATH, .off = CF(state_dir), .grp = G_RINGBIND, .arg = "DIR",
	  .help = "state directory: registrations survive restarts, even SIGKILL" },
	{ .name = "cold", .kind = K_FLAG, .off = CF(cold), .grp = G_RINGBIND,
	  .help = "start empty, discarding the saved state" },
	{ .name = "import-rpcbind", .kind = K_PATH, .off = CF(import_dir), .grp = G_RINGBIND, .arg = "DIR",
	  .help = "on a first start, import rpcbind's warm-start files from DIR" },
	{ .name = "reap-stale", .kind = K_U32, .off = CF(reap_stale_s), .lo = 0, .hi = 30u * 86400u, .runtime = true, .grp = G_RINGBIND, .arg = "S",
	  .help = "remove a registration whose port (or socket path) nothing is bound to for S seconds (0: off; SIGUSR1 lists them in STATE_DIR/stale)" },
	{ .name = "trusted-net", .kind = K_SPECIAL, .sp = S_TRUSTED, .runtime = true, .grp = G_HARDEN, .arg = "CIDR",
	  .help = "sources (besides loopback) that may get DUMP/GETSTAT/GETADDRLIST and large replies over UDP (repeatable)" },
	{ .name = "udp-refuse", .kind = K_CHOICE, .off = CF(udp_refuse_drop), .yes = "drop", .no = "error", .runtime = true, .grp = G_HARDEN, .arg = "error|drop",
	  .help = "what an untrusted UDP source gets for them instead (error: SYSTEM_ERR)" },
	{ .name = "allow-amplification", .kind = K_FLAG, .off = CF(allow_amplification), .runtime = true, .grp = G_HARDEN,
	  .help = "turn that guard off (not recommended)" },
	{ .name = "rrl-rate", .kind = K_U32, .off = CF(rrl_rate), .lo = 0, .hi = 10000000, .runtime = true, .grp = G_HARDEN, .arg = "N",
	  .help = "UDP replies/s per source /24 or /56 for untrusted sources; 0: off" },
	{ .name = "rrl-burst", .kind = K_U32, .off = CF(rrl_burst), .lo = 1, .hi = RB_RRL_BURST_MAX, .runtime = true, .grp = G_HARDEN, .arg = "N",
	  .help = "bucket size" },
	{ .name = "owner-quota", .kind = K_U32, .off = CF(owner_quota), .lo = 0, .hi = 1u << 24, .runtime = true, .grp = G_HARDEN, .arg = "N",
	  .help = "registrations per non-root owner" },
	{ .name = "max-registrations", .kind = K_U32, .off = CF(max_registrations), .lo = 0, .hi = 1u << 26, .runtime = true, .grp = G_HARDEN, .arg = "N",
	  .help = "registrations in all" },
	{ .name = "port-policy", .kind = K_CHOICE, .off = CF(port_policy), .yes = "strict", .no = "off", .runtime = true, .grp = G_HARDEN, .arg = "strict|off",
	  .help = "strict: non-root owners may not register port 0, ports below 1024 or malformed addresses" },
	{ .name = "check-owner-port", .kind = K_CHOICE, .off = CF(check_owner_port), .yes = "on", .no = "off", .runtime = true, .grp = G_HARDEN, .arg = "on|off",
	  .help = "a non-root AF_LOCAL registrant must hold the port it registers" },
	{ .name = "idle-timeout", .kind = K_U32, .off = CF(limits.idle_timeout_ms), .lo = 100, .hi = 86400000, .runtime = true, .grp = G_LIMITS, .arg = "MS",
	  .help = "reap a connection idle this long" },
	{ .name = "blocked-timeout", .kind = K_U32, .off = CF(limits.blocked_timeout_ms), .lo = 100, .hi = 3600000, .runtime = true, .grp = G_LIMITS, .arg = "MS",
	  .help = "drop a connection that leaves replies unread this long" },
	{ .name = "max-unsent", .kind = K_U32, .off = CF(limits.unsent_max), .lo = 4096, .hi = 1u << 30, .runtime = true, .grp = G_LIMITS, .arg = "BYTES",
	  .help = "stop reading from a connection holding this many unsent reply bytes" },
	{ .name = "max-conn-per-worker", .kind = K_U32, .off = CF(limits.conn_per_worker), .lo = 1, .hi = RB_CONFIG_CONN_PER_WORKER, .runtime = true, .grp = G_LIMITS, .arg = "N",
	  .help = "connections per worker" },
	{ .name = "max-conn", .kind = K_U32, .off = CF(limits.conn_total), .lo = 1, .hi = 1u << 20, .runtime = true, .grp = G_LIMITS, .arg = "N",
	  .help = "connections in total" },
	{ .name = "config", .kind = K_SPECIAL, .sp = S_CONFIG, .grp = G_OPS, .arg = "FILE",
	  .help = "configuration file; the command line overrides it; SIGHUP reloads it" },
	{ .name = "log-level", .kind = K_SPECIAL, .sp = S_LOG_LEVEL, .runtime = true, .grp = G_OPS, .arg = "L",
	  .help = "err, warning, notice, info or debug" },
	{ .name = "log-target", .kind = K_SPECIAL, .sp = S_LOG_TARGET, .grp = G_OPS, .arg = "T",
	  .help = "auto, stderr or syslog (auto: journald when run by systemd, stderr with -f)" },
	{ .name = "metrics", .kind = K_SPECIAL, .sp = S_METRICS, .grp = G_OPS, .arg = "ADDR:PORT|off",
	  .help = "Prometheus metrics, /healthz and /readyz over HTTP" },
	{ .name = "tcpmux", .kind = K_SPECIAL, .sp = S_TCPMUX, .grp = G_TCPMUX, .arg = "[ADDR:]PORT",
	  .help = "serve TCPMUX there (port 1 is the RFC's)" },
	{ .name = "tcpmux-help", .kind = K_FLAG, .off = CF(tcpmux_help), .runtime = true, .grp = G_TCPMUX,
	  .help = "answer HELP with the service names" },
	{ .name = "tcpmux-allow", .kind = K_SPECIAL, .sp = S_TCPMUX_ALLOW, .runtime = true, .grp = G_TCPMUX, .arg = "CIDR",
	  .help = "client networks allowed (repeatable; default: loopback only)" },
	{ .name = "tcpmux-service", .kind = K_SPECIAL, .sp = S_TCPMUX_SERVICE, .runtime = true, .grp = G_TCPMUX, .arg = "NAME=PORT",
	  .help = "a static name for a loopback port (repeatable)" },
	{ .name = "tcpmux-max-conn", .kind = K_U32, .off = CF(tcpmux_max_conn), .lo = 1, .hi = 1u << 20, .runtime = true, .grp = G_TCPMUX, .arg = "N",
	  .help = "mux connections at once" },
	{ .name = "tcpmux-line-timeout", .kind = K_U32, .off = CF(tcpmux_line_timeout_ms), .lo = 100, .hi = 600000, .runtime = true, .grp = G_TCPMUX, .arg = "MS",
	  .help = "time to send the name line" },
	{ .name = "tcpmux-idle-timeout", .kind = K_U32, .off = CF(tcpmux_idle_timeout_ms), .lo = 1000, .hi = 86400000, .runtime = true, .grp = G_TCPMUX, .arg = "MS",
	  .help = "close a proxied pair idle this long" },
	{ .name = "tcpmux-buffer", .kind = K_U32, .off = CF(tcpmux_buffer), .lo = 4096, .hi = 16u << 20, .runtime = true, .grp = G_TCPMUX, .arg = "BYTES",
	  .help = "bytes in flight per direction" },
};
#undef CF
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* Names compare case-insensitively with '_' and '-' alike, so a config
 * file may say idle_timeout or Idle-Timeout. */
static bool name_eq(const char *a, const char *b, size_t blen)
{
	size_t i = 0;
	for (; i < blen && a[i]; i++) {
		char x = a[i] == '_' ? '-' : a[i], y = b[i] == '_' ? '-' : b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return i == blen && a[i] == '\0';
}

static const struct opt *find_opt(const char *name, size_t len)
{
	for (size_t k = 0; k < NOPTS; k++)
		if (name_eq(opts[k].name, name, len))
			return &opts[k];
	return NULL;
}

static bool *bool_at(struct rb_config *c, size_t off)
{
	return (bool *)(void *)((char *)c + off);
}

/* A list option from the command line after the file filled it: the
 * command line's entries replace the file's. */
static void list_take(struct rb_config *c, bool from_file, uint8_t bit, uint32_t *n)
{
	if (from_file) {
		c->lists_from_file |= bit;
	} else if (c->lists_from_file & bit) {
		c->lists_from_file &= (uint8_t)~bit;
		*n = 0;
	}
}

/* The words of an option that takes one of a few (--backend, ...): the
 * parser reads them and --help prints the default with them. */
struct word {
	const char *w;
	int v;
};
static const struct word backend_words[] = {
	{ "uring", RB_BACKEND_URING }, { "epoll", RB_BACKEND_EPOLL }, { "auto", RB_BACKEND_AUTO } };
static const struct word steering_words[] = {
	{ "random", RB_STEER_RANDOM }, { "hash", RB_STEER_HASH }, { "cpu", RB_STEER_CPU } };
static const struct word log_target_words[] = {
	{ "auto", RB_LOG_AUTO }, { "stderr", RB_LOG_STDERR }, { "syslog", RB_LOG_SYSLOG } };
/* Case-insensitive, as syslog's names; "error" is err's other name. */
static const struct word log_level_words[] = {
	{ "err", RB_LOG_ERR },   { "error", RB_LOG_ERR }, { "warning", RB_LOG_WARNING },
	{ "notice", RB_LOG_NOTICE }, { "info", RB_LOG_INFO }, { "debug", RB_LOG_DEBUG } };
#define NWORDS(t) (sizeof(t) / sizeof((t)[0]))

/* 0 with *out set when v is one of the n words (case-insensitively with
 * nocase), else -EINVAL. */
static int pick_word(const struct word *t, size_t n, const char *v, bool nocase, int *out)
{
	for (size_t i = 0; v && i < n; i++)
		if ((nocase ? strcasecmp(v, t[i].w) : strcmp(v, t[i].w)) == 0) {
			*out = t[i].v;
			return 0;
		}
	return -EINVAL;
}

/* The first word for value v (its default's name in --help). */
static const char *word_of(const struct word *t, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].w;
	return NULL;
}

/* One setter per special option (set_special), in groups: the process
 * (debug, port, workers, backend, steering, user), the lists (host,
 * trusted networks, tcpmux allow and services), operations (log level and
 * target, metrics, config file, tcpmux address). Each takes the value (NULL
 * when none was given) and returns 0 or fail()'s -EINVAL. */
struct set_arg {
	struct rb_config *c;
	const char *v;
	bool from_file;
	char *err;
	size_t errcap;
};
#define VAL(a) ((a)->v ? (a)->v : "")

static int set_debug(const struct set_arg *a)
{
	bool b = true;
	if (a->v && parse_bool(a->v, &b))
		return fail(a->err, a->errcap, "%s: expected yes or no, got '%s'", "debug", a->v);
	a->c->debug = b;
	if (b) {
		a->c->foreground = true;
		a->c->log_level = RB_LOG_DEBUG;
	}
	return 0;
}

static int set_port(const struct set_arg *a)
{
	unsigned long n;
	if (parse_uint(a->v, 1, 65535, &n))
		return fail(a->err, a->errcap, "--port: expected 1..65535, got '%s'", VAL(a));
	a->c->port = (uint16_t)n;
	return 0;
}

static int set_workers(const struct set_arg *a)
{
	unsigned long n;
	if (parse_uint(a->v, 0, RB_CONFIG_WORKERS_MAX, &n))
		return fail(a->err, a->errcap,
			    "--workers: expected 0..%u (0: one per CPU), got '%s'",
			    RB_CONFIG_WORKERS_MAX, VAL(a));
	a->c->workers = (uint32_t)n;
	return 0;
}

static int set_backend(const struct set_arg *a)
{
	int w;
	if (pick_word(backend_words, NWORDS(backend_words), a->v, false, &w))
		return fail(a->err, a->errcap, "--backend: expected uring, epoll or auto, got '%s'",
			    VAL(a));
	a->c->backend = (enum rb_backend)w;
	return 0;
}

static int set_steering(const struct set_arg *a)
{
	int w;
	if (pick_word(steering_words, NWORDS(steering_words), a->v, false, &w))
		return fail(a->err, a->errcap,
			    "--socket-steering: expected random, hash or cpu, got '%s'", VAL(a));
	a->c->steering = (enum rb_steering)w;
	return 0;
}

static int set_user(const struct set_arg *a)
{
	if (!a->v || !*a->v || strlen(a->v) >= RB_CONFIG_USER_MAX)
		return fail(a->err, a->errcap, "--user: bad user name '%s'", VAL(a));
	snprintf(a->c->user, sizeof(a->c->user), "%s", a->v);
	a->c->secure_user = true;
	return 0;
}

static int set_host(const struct set_arg *a)
{
	struct rb_config *c = a->c;
	if (!a->v)
		return fail(a->err, a->errcap, "%s: missing address", "--host");
	list_take(c, a->from_file, L_HOSTS, &c->nhosts);
	if (c->nhosts >= RB_CONFIG_HOSTS_MAX)
		return fail(a->err, a->errcap, "-h: at most %u addresses", RB_CONFIG_HOSTS_MAX);
	if (!*a->v || strlen(a->v) >= RB_CONFIG_HOST_LEN)
		return fail(a->err, a->errcap, "-h: bad address '%s'", a->v);
	snprintf(c->hosts[c->nhosts++], RB_CONFIG_HOST_LEN, "%s", a->v);
	return 0;
}

/* A CIDR list (--trusted-net, --tcpmux-allow) of at most max prefixes. */
static int set_cidr_list(const struct set_arg *a, const char *nm, uint8_t bit,
			 struct rb_cidr *list, uint32_t *n, uint32_t max)
{
	list_take(a->c, a->from_file, bit, n);
	if (*n >= max)
		return fail(a->err, a->errcap, "--%s: at most %u prefixes", nm, max);
	if (!a->v || rb_cidr_parse(a->v, &list[*n]) < 0)
		return fail(a->err, a->errcap, "--%s: expected ADDR/BITS, got '%s'", nm, VAL(a));
	(*n)++;
	return 0;
}

static int set_trusted(const struct set_arg *a)
{
	return set_cidr_list(a, "trusted-net", L_TRUSTED, a->c->trusted, &a->c->ntrusted,
			     RB_CONFIG_TRUSTED_MAX);
}

static int set_tcpmux_allow(const struct set_arg *a)
{
	return set_cidr_list(a, "tcpmux-allow", L_TCPMUX_ALLOW, a->c->tcpmux_allow,
			     &a->c->ntcpmux_allow, RB_CONFIG_TCPMUX_ALLOW_MAX);
}

static int set_tcpmux_service(const struct set_arg *a)
{
	struct rb_config *c = a->c;
	const char *v = a->v;
	unsigned long n;
	list_take(c, a->from_file, L_TCPMUX_SERVICES, &c->ntcpmux_services);
	const char *eq = v ? strchr(v, '=') : NULL;
	size_t len = eq ? (size_t)(eq - v) : 0;
	if (c->ntcpmux_services >= RB_CONFIG_TCPMUX_SERVICES_MAX)
		return fail(a->err, a->errcap, "--tcpmux-service: at most %u names",
			    RB_CONFIG_TCPMUX_SERVICES_MAX);
	if (!eq || len == 0 || len > RB_CONFIG_TCPMUX_NAME_MAX || parse_uint(eq + 1, 1, 65535, &n))
		return fail(a->err, a->errcap, "--tcpmux-service: expected NAME=PORT, got '%s'",
			    VAL(a));
	struct rb_tcpmux_static *st = &c->tcpmux_services[c->ntcpmux_services];
	for (size_t i = 0; i < len; i++) {
		char ch = v[i];
		/* RFC 1078 names: printable, no blanks; '/' is ours (name/version) */
		if (ch <= ' ' || ch > '~' || ch == '/')
			return fail(a->err, a->errcap, "--tcpmux-service: bad name in '%s'", v);
		st->name[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	st->name[len] = '\0';
	st->port = (uint16_t)n;
	c->ntcpmux_services++;
	return 0;
}

static int set_log_level(const struct set_arg *a)
{
	int w;
	if (pick_word(log_level_words, NWORDS(log_level_words), a->v, true, &w))
		return fail(a->err, a->errcap,
			    "--log-level: expected err, warning, notice, info or debug, got '%s'",
			    VAL(a));
	a->c->log_level = (enum rb_log_level)w;
	a->c->debug = w == RB_LOG_DEBUG;
	return 0;
}

static int set_log_target(const struct set_arg *a)
{
	int w;
	if (pick_word(log_target_words, NWORDS(log_target_words), a->v, false, &w))
		return fail(a->err, a->errcap,
			    "--log-target: expected auto, stderr or syslog, got '%s'", VAL(a));
	a->c->log_target = (enum rb_log_target)w;
	return 0;
}

static bool is_off(const char *v)
{
	return v && (strcmp(v, "off") == 0 || strcmp(v, "no") == 0);
}

static int set_metrics(const struct set_arg *a)
{
	struct rb_config *c = a->c;
	if (is_off(a->v)) {
		c->metrics_on = false;
		return 0;
	}
	if (parse_hostport(a->v, c->metrics_host, sizeof(c->metrics_host), &c->metrics_port))
		return fail(a->err, a->errcap, "--metrics: expected ADDR:PORT or off, got '%s'",
			    VAL(a));
	if (!c->metrics_host[0])
		snprintf(c->metrics_host, sizeof(c->metrics_host), "%s", RB_CONFIG_METRICS_HOST);
	c->metrics_on = true;
	return 0;
}

static int set_config(const struct set_arg *a)
{
	if (a->from_file)
		return fail(a->err, a->errcap, "config: not allowed inside a config file");
	if (!a->v || !*a->v || strlen(a->v) >= RB_CONFIG_PATH_MAX)
		return fail(a->err, a->errcap, "--config: bad file name '%s'", VAL(a));
	snprintf(a->c->config_path, sizeof(a->c->config_path), "%s", a->v);
	a->c->config_explicit = true;
	return 0;
}

static int set_tcpmux(const struct set_arg *a)
{
	struct rb_config *c = a->c;
	if (is_off(a->v)) {
		c->tcpmux_on = false;
		return 0;
	}
	if (parse_hostport(a->v, c->tcpmux_host, sizeof(c->tcpmux_host), &c->tcpmux_port))
		return fail(a->err, a->errcap, "--tcpmux: expected [ADDR:]PORT or off, got '%s'",
			    VAL(a));
	c->tcpmux_on = true;
	return 0;
}
#undef VAL

static int (*const setters[])(const struct set_arg *) = {
	[S_DEBUG] = set_debug,
	[S_PORT] = set_port,
	[S_WORKERS] = set_workers,
	[S_BACKEND] = set_backend,
	[S_STEERING] = set_steering,
	[S_USER] = set_user,
	[S_HOST] = set_host,
	[S_TRUSTED] = set_trusted,
	[S_TCPMUX_ALLOW] = set_tcpmux_allow,
	[S_TCPMUX_SERVICE] = set_tcpmux_service,
	[S_LOG_LEVEL] = set_log_level,
	[S_LOG_TARGET] = set_log_target,
	[S_METRICS] = set_metrics,
	[S_CONFIG] = set_config,
	[S_TCPMUX] = set_tcpmux,
};

static int set_special(struct rb_config *c, const struct opt *o, const char *v,
		       bool from_file, char *err, size_t errcap)
{
	const struct set_arg a = { c, v, from_file, err, errcap };
	if ((size_t)o->sp >= sizeof(setters) / sizeof(setters[0]) || !setters[o->sp])
		return -EINVAL;
	return setters[o->sp](&a);
}

int rb_config_set(struct rb_config *c, const char *name, const char *value,
		  bool from_file, char *err, size_t errcap)
{
	const struct opt *o = find_opt(name, strlen(name));
	unsigned long n;
	bool b;

	if (!o)
		return fail(err, errcap, "unknown option '%s'", name);
	switch (o->kind) {
	case K_FLAG:
		b = true;
		if (value && parse_bool(value, &b))
			return fail(err, errcap, "%s: expected yes or no, got '%s'", o->name, value);
		*bool_at(c, o->off) = b;
		return 0;
	case K_U32:
		if (parse_uint(value, o->lo, o->hi, &n))
			return fail(err, errcap, "--%s: expected %lu..%lu, got '%s'", o->name, o->lo,
				    o->hi, value ? value : "");
		*(uint32_t *)(void *)((char *)c + o->off) = (uint32_t)n;
		return 0;
	case K_CHOICE:
		if (value && strcmp(value, o->yes) == 0)
			*bool_at(c, o->off) = true;
		else if (value && strcmp(value, o->no) == 0)
			*bool_at(c, o->off) = false;
		else
			return fail(err, errcap, "--%s: expected %s or %s, got '%s'", o->name, o->yes,
				    o->no, value ? value : "");
		return 0;
	case K_PATH: {
		char *dst = (char *)c + o->off;
		if (!value || !*value || strlen(value) >= RB_CONFIG_PATH_MAX)
			return fail(err, errcap, "--%s: bad directory '%s'", o->name,
				    value ? value : "");
		snprintf(dst, RB_CONFIG_PATH_MAX, "%s", value);
		return 0;
	}
	case K_SPECIAL:
		return set_special(c, o, value, from_file, err, errcap);
	}
	return -EINVAL;
}

/* Whether an option needs a value on the command line (flags do not;
 * --tcpmux-help and the rpcbind flags take none). */
static bool takes_value(const struct opt *o)
{
	return o->kind != K_FLAG && o->sp != S_DEBUG;
}

const char *rb_config_find_file(int argc, char *const argv[])
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0)
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}

static int parse_long(struct rb_config *c, int argc, char *const argv[], int *i,
		      enum rb_config_action *action, char *err, size_t errcap)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

	if (!eq && strcmp(arg, "help") == 0) {
		*action = RB_CONFIG_HELP;
		return 0;
	}
	if (!eq && strcmp(arg, "version") == 0) {
		*action = RB_CONFIG_VERSION;
		return 0;
	}
	const struct opt *o = NULL;
	for (size_t k = 0; k < NOPTS; k++) /* exact names on the command line */
		if (strlen(opts[k].name) == len && strncmp(opts[k].name, arg, len) == 0)
			o = &opts[k];
	if (!o)
		return fail(err, errcap, "unknown option '%s' (see --help)", argv[*i]);
	const char *v = eq ? eq + 1 : NULL;
	if (!eq && takes_value(o)) {
		if (*i + 1 >= argc)
			return fail(err, errcap, "--%s: missing value", o->name);
		v = argv[++*i];
	}
	return rb_config_set(c, o->name, v, false, err, errcap);
}

int rb_config_parse(struct rb_config *c, int argc, char *const argv[],
		    enum rb_config_action *action, char *err, size_t errcap)
{
	*action = RB_CONFIG_RUN;
	if (errcap)
		err[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0')
			return fail(err, errcap, "unexpected argument '%s'", arg);
		if (arg[1] == '-') {
			int r = parse_long(c, argc, argv, &i, action, err, errcap);
			if (r)
				return r;
			if (*action != RB_CONFIG_RUN)
				return 0;
			continue;
		}
		/* Short options, combinable as getopt allows ("-fw"). */
		for (const char *p = arg + 1; *p; p++) {
			const struct opt *o = NULL;
			for (size_t k = 0; k < NOPTS; k++)
				if (opts[k].shrt && opts[k].shrt == *p)
					o = &opts[k];
			if (!o) {
				char opt[3] = { '-', *p, '\0' };
				return fail(err, errcap, "unknown option '%s' (see --help)", opt);
			}
			if (o->sp == S_HOST) {
				const char *h = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
				if (!h)
					return fail(err, errcap, "%s: missing address", "-h");
				int r = rb_config_set(c, o->name, h, false, err, errcap);
				if (r)
					return r;
				break;
			}
			int r = rb_config_set(c, o->name, NULL, false, err, errcap);
			if (r)
				return r;
		}
	}
	return 0;
}

/* The bytes an option occupies, for comparing two configurations. */
static bool opt_differs(const struct opt *o, const struct rb_config *a, const struct rb_config *b)
{
#define DIFF(f) (memcmp(&a->f, &b->f, sizeof(a->f)) != 0)
	switch (o->kind) {
	case K_FLAG:
	case K_CHOICE:
		return *(const bool *)(const void *)((const char *)a + o->off) !=
		       *(const bool *)(const void *)((const char *)b + o->off);
	case K_U32:
		return *(const uint32_t *)(const void *)((const char *)a + o->off) !=
		       *(const uint32_t *)(const void *)((const char *)b + o->off);
	case K_PATH:
		return strcmp((const char *)a + o->off, (const char *)b + o->off) != 0;
	case K_SPECIAL:
		break;
	}
	switch (o->sp) {
	case S_PORT: return DIFF(port);
	case S_WORKERS: return DIFF(workers);
	case S_BACKEND: return DIFF(backend);
	case S_STEERING: return DIFF(steering);
	case S_HOST: return DIFF(nhosts) || DIFF(hosts);
	case S_USER: return DIFF(user);
	case S_LOG_TARGET: return DIFF(log_target);
	case S_METRICS: return DIFF(metrics_on) || DIFF(metrics_host) || DIFF(metrics_port);
	case S_TCPMUX: return DIFF(tcpmux_on) || DIFF(tcpmux_host) || DIFF(tcpmux_port);
	default: return false; /* runtime ones and --config are not compared */
	}
#undef DIFF
}

unsigned rb_config_restart_changes(const struct rb_config *a, const struct rb_config *b,
				   char *out, size_t cap)
{
	unsigned n = 0;
	size_t pos = 0;
	if (cap)
		out[0] = '\0';
	for (size_t k = 0; k < NOPTS; k++) {
		const struct opt *o = &opts[k];
		if (o->runtime || !opt_differs(o, a, b))
			continue;
		if (cap && pos < cap) {
			int w = snprintf(out + pos, cap - pos, "%s%s", n ? ", " : "", o->name);
			if (w > 0)
				pos += (size_t)w;
		}
		n++;
	}
	return n;
}

void rb_config_keep_restart(struct rb_config *n, const struct rb_config *old)
{
#define KEEP(f) memcpy(&n->f, &old->f, sizeof(n->f))
	for (size_t k = 0; k < NOPTS; k++) {
		const struct opt *o = &opts[k];
		if (o->runtime)
			continue;
		switch (o->kind) {
		case K_FLAG:
		case K_CHOICE:
			*bool_at(n, o->off) = *(const bool *)(const void *)((const char *)old + o->off);
			continue;
		case K_U32:
			memcpy((char *)n + o->off, (const char *)old + o->off, sizeof(uint32_t));
			continue;
		case K_PATH:
			memcpy((char *)n + o->off, (const char *)old + o->off, RB_CONFIG_PATH_MAX);
			continue;
		case K_SPECIAL:
			break;
		}
		switch (o->sp) {
		case S_PORT: KEEP(port); break;
		case S_WORKERS: KEEP(workers); break;
		case S_BACKEND: KEEP(backend); break;
		case S_STEERING: KEEP(steering); break;
		case S_HOST: KEEP(nhosts); KEEP(hosts); break;
		case S_USER: KEEP(user); break;
		case S_LOG_TARGET: KEEP(log_target); break;
		case S_METRICS: KEEP(metrics_on); KEEP(metrics_host); KEEP(metrics_port); break;
		case S_TCPMUX: KEEP(tcpmux_on); KEEP(tcpmux_host); KEEP(tcpmux_port); break;
		case S_CONFIG: KEEP(config_path); KEEP(config_explicit); break;
		default: break;
		}
	}
#undef KEEP
}

/* ---- --help, generated from the option table ---- */

/* The column where an option's words start, and the width they wrap at. */
#define USAGE_COL 31u
#define USAGE_WIDTH 79u

/* The default of o in d as a value the option takes (the parser reads it
 * back to the same configuration: test_config checks), or false when it
 * has none to show: an empty list, no user, a flag that is off. */
static bool fmt_default(const struct opt *o, const struct rb_config *d, char *buf, size_t cap)
{
	const char *p = (const char *)d + o->off;
	const char *w = NULL;
	switch (o->kind) {
	case K_FLAG:
		if (!*(const bool *)(const void *)p)
			return false;
		w = "yes";
		break;
	case K_CHOICE:
		w = *(const bool *)(const void *)p ? o->yes : o->no;
		break;
	case K_U32:
		snprintf(buf, cap, "%u", *(const uint32_t *)(const void *)p);
		return true;
	case K_PATH:
		w = p;
		break;
	case K_SPECIAL:
		switch (o->sp) {
		case S_PORT: snprintf(buf, cap, "%u", d->port); return true;
		case S_WORKERS: snprintf(buf, cap, "%u", d->workers); return true;
		case S_BACKEND: w = word_of(backend_words, NWORDS(backend_words), d->backend); break;
		case S_STEERING: w = word_of(steering_words, NWORDS(steering_words), d->steering); break;
		case S_LOG_LEVEL: w = word_of(log_level_words, NWORDS(log_level_words), d->log_level); break;
		case S_LOG_TARGET:
			w = word_of(log_target_words, NWORDS(log_target_words), d->log_target);
			break;
		case S_CONFIG: w = d->config_path; break;
		case S_METRICS:
			if (!d->metrics_on)
				w = "off";
			else
				snprintf(buf, cap, "%s:%u", d->metrics_host, d->metrics_port);
			break;
		case S_TCPMUX:
			if (!d->tcpmux_on)
				w = "off";
			else
				snprintf(buf, cap, "%s:%u", d->tcpmux_host, d->tcpmux_port);
			break;
		default: /* debug (off), the lists, --user: none */
			return false;
		}
		break;
	}
	if (w)
		snprintf(buf, cap, "%s", w);
	return true;
}

struct text {
	char *buf;
	size_t cap, pos; /* pos may pass cap: the length it would need */
	size_t col;      /* of the line being written */
	bool fresh;      /* at an option's first word: no space before it */
};

static void add(struct text *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t->pos + 1 < t->cap)
			t->buf[t->pos] = s[i];
		t->pos++;
		t->col = s[i] == '\n' ? 0 : t->col + 1;
	}
	if (t->cap)
		t->buf[t->pos < t->cap ? t->pos : t->cap - 1] = '\0';
}

static void adds(struct text *t, const char *s)
{
	add(t, s, strlen(s));
}

static void pad_to(struct text *t, size_t col)
{
	while (t->col < col)
		add(t, " ", 1);
}

/* Words of s from the current column, wrapped at USAGE_WIDTH onto lines
 * that start at USAGE_COL. A word that starts with '-' never starts a
 * line: a line that starts with an option is an option's (tests/deploy
 * reads the options from --help). */
static void add_words(struct text *t, const char *s)
{
	while (*s) {
		while (*s == ' ')
			s++;
		size_t n = strcspn(s, " ");
		if (!n)
			break;
		if (!t->fresh) {
			if (t->col + 1 + n > USAGE_WIDTH && s[0] != '-') {
				add(t, "\n", 1);
				pad_to(t, USAGE_COL);
			} else {
				add(t, " ", 1);
			}
		}
		add(t, s, n);
		t->fresh = false;
		s += n;
	}
}

static void add_option(struct text *t, const struct opt *o, const struct rb_config *d)
{
	char head[64], def[RB_CONFIG_PATH_MAX + 16], val[RB_CONFIG_PATH_MAX];
	snprintf(head, sizeof(head), "  %c%c%c --%s%s%s", o->shrt ? '-' : ' ', o->shrt ? o->shrt : ' ',
		 o->shrt ? ',' : ' ', o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	adds(t, head);
	if (t->col + 2 > USAGE_COL)
		adds(t, "  ");
	else
		pad_to(t, USAGE_COL);
	t->fresh = true;
	add_words(t, o->help);
	if (fmt_default(o, d, val, sizeof(val))) {
		snprintf(def, sizeof(def), "(default %s)", val);
		add_words(t, def);
	}
	add(t, "\n", 1);
}

size_t rb_config_usage_write(char *buf, size_t cap)
{
	static const char *const title[G_COUNT] = {
		[G_RPCBIND] = "rpcbind-compatible options:",
		[G_RINGBIND] = "ringbind options:",
		[G_HARDEN] = "hardening (a port mapper faces the whole network):",
		[G_LIMITS] = "limits (each protects other clients from one client):",
		[G_OPS] = "operations:",
		[G_TCPMUX] = "TCPMUX front (RFC 1078; off unless --tcpmux is given):",
	};
	struct rb_config d;
	struct text t = { buf, cap, 0, 0, false };
	rb_config_defaults(&d);
	if (cap)
		buf[0] = '\0';
	adds(&t, "Usage: ringbind [options]\n"
		 "A multi-threaded ONC RPC port mapper (program 100000 v2/v3/v4),\n"
		 "a drop-in replacement for rpcbind.\n");
	for (unsigned g = 0; g < G_COUNT; g++) {
		adds(&t, "\n");
		adds(&t, title[g]);
		adds(&t, "\n");
		for (size_t k = 0; k < NOPTS; k++)
			if (opts[k].grp == g)
				add_option(&t, &opts[k], &d);
	}
	adds(&t, "\n      --help             show this text\n"
		 "      --version          show the version\n");
	return t.pos;
}

const char *rb_config_usage(void)
{
	/* Written by main() before any thread starts, with the same bytes
	 * each time. */
	static char text[RB_CONFIG_USAGE_MAX];
	rb_config_usage_write(text, sizeof(text));
	return text;
}

const char *rb_config_option_name(size_t i, bool *takes)
{
	if (i >= NOPTS)
		return NULL;
	if (takes)
		*takes = takes_value(&opts[i]);
	return opts[i].name;
}
