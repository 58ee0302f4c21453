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

const char *rb_config_usage(void)
{
	return "Usage: ringbind [options]\n"
	       "A multi-threaded ONC RPC port mapper (program 100000 v2/v3/v4),\n"
	       "a drop-in replacement for rpcbind.\n"
	       "\n"
	       "rpcbind-compatible options:\n"
	       "  -a, --abort-on-error   abort on errors (debugging)\n"
	       "  -d, --debug            debug output; implies -f\n"
	       "  -f, --foreground       stay in the foreground\n"
	       "  -h, --host ADDR        also bind UDP and TCP to ADDR (repeatable;\n"
	       "                         loopback is always bound)\n"
	       "  -i, --insecure         allow SET/UNSET from any host\n"
	       "  -l, --log-calls        log every call\n"
	       "  -r, --remote-calls     enable CALLIT/BCAST/INDIRECT forwarding\n"
	       "  -s, --secure-user      after binding, run as the unprivileged user\n"
	       "                         " RB_CONFIG_RUN_USER " (or the --user one)\n"
	       "  -w, --warm-start       restore registrations (the default)\n"
	       "\n"
	       "ringbind options:\n"
	       "      --port N           port to serve (default 111)\n"
	       "      --user NAME        after binding, run as user NAME (implies -s);\n"
	       "                         the state directory is handed to NAME\n"
	       "      --workers N        worker threads (default: one per CPU)\n"
	       "      --backend B        uring or epoll (default: uring if usable)\n"
	       "      --socket-steering S  hash, random or cpu: which worker's socket\n"
	       "                         a datagram or connection goes to (default hash)\n"
	       "      --state-dir DIR    state directory (default /run/ringbind):\n"
	       "                         registrations survive restarts, even SIGKILL\n"
	       "      --cold             start empty, discarding the saved state\n"
	       "      --import-rpcbind DIR  on a first start, import rpcbind's warm-start\n"
	       "                         files from DIR (default /run/rpcbind)\n"
	       "      --reap-stale S     remove a registration whose port (or socket\n"
	       "                         path) nothing is bound to for S seconds\n"
	       "                         (default off; SIGUSR1 lists them in\n"
	       "                         STATE_DIR/stale)\n"
	       "\n"
	       "hardening (a port mapper faces the whole network):\n"
	       "      --trusted-net CIDR       sources (besides loopback) that may get\n"
	       "                               DUMP/GETSTAT/GETADDRLIST and large\n"
	       "                               replies over UDP (repeatable)\n"
	       "      --udp-refuse error|drop  what an untrusted UDP source gets for\n"
	       "                               them instead (default error: SYSTEM_ERR)\n"
	       "      --allow-amplification    turn that guard off (not recommended)\n"
	       "      --rrl-rate N             UDP replies/s per source /24 or /56 for\n"
	       "                               untrusted sources (5000; 0: off)\n"
	       "      --rrl-burst N            bucket size (20000, at most 60000)\n"
	       "      --owner-quota N          registrations per non-root owner (1024)\n"
	       "      --max-registrations N    registrations in all (2097152)\n"
	       "      --port-policy strict|off strict: non-root owners may not register\n"
	       "                               port 0, ports below 1024 or malformed\n"
	       "                               addresses (default strict)\n"
	       "      --check-owner-port on|off  a non-root AF_LOCAL registrant must\n"
	       "                               hold the port it registers (default on)\n"
	       "\n"
	       "limits (each protects other clients from one client):\n"
	       "      --idle-timeout MS        reap a connection idle this long (60000)\n"
	       "      --blocked-timeout MS     drop a connection that leaves replies\n"
	       "                               unread this long (5000)\n"
	       "      --max-unsent BYTES       stop reading from a connection holding\n"
	       "                               this many unsent reply bytes (8192)\n"
	       "      --max-conn-per-worker N  connections per worker (16384)\n"
	       "      --max-conn N             connections in total (16384)\n"
	       "\n"
	       "operations:\n"
	       "      --config FILE            configuration file (default\n"
	       "                               " RB_CONFIG_FILE_DEFAULT "; the command line\n"
	       "                               overrides it; SIGHUP reloads it)\n"
	       "      --log-level L            err, warning, notice, info or debug (info)\n"
	       "      --log-target T           auto, stderr or syslog (auto: journald\n"
	       "                               when run by systemd, stderr with -f)\n"
	       "      --metrics ADDR:PORT|off  Prometheus metrics, /healthz and /readyz\n"
	       "                               over HTTP (default 127.0.0.1:9111)\n"
	       "\n"
	       "TCPMUX front (RFC 1078; off unless --tcpmux is given):\n"
	       "      --tcpmux [ADDR:]PORT     serve TCPMUX there (port 1 is the RFC's)\n"
	       "      --tcpmux-help            answer HELP with the service names\n"
	       "      --tcpmux-allow CIDR      client networks allowed (repeatable;\n"
	       "                               default: loopback only)\n"
	       "      --tcpmux-service NAME=PORT  a static name for a loopback port\n"
	       "                               (repeatable)\n"
	       "      --tcpmux-max-conn N      mux connections at once (1024)\n"
	       "      --tcpmux-line-timeout MS time to send the name line (5000)\n"
	       "      --tcpmux-idle-timeout MS close a proxied pair idle this long (300000)\n"
	       "      --tcpmux-buffer BYTES    bytes in flight per direction (65536)\n"
	       "\n"
	       "      --help             show this text\n"
	       "      --version          show the version\n";
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
};

#define CF(f) offsetof(struct rb_config, f)
static const struct opt opts[] = {
	{ "abort-on-error", 'a', K_FLAG, CF(abort_on_err), 0, 0, NULL, NULL, S_NONE, false },
	{ "debug", 'd', K_SPECIAL, CF(debug), 0, 0, NULL, NULL, S_DEBUG, true },
	{ "foreground", 'f', K_FLAG, CF(foreground), 0, 0, NULL, NULL, S_NONE, false },
	{ "host", 'h', K_SPECIAL, 0, 0, 0, NULL, NULL, S_HOST, false },
	{ "insecure", 'i', K_FLAG, CF(insecure), 0, 0, NULL, NULL, S_NONE, true },
	{ "log-calls", 'l', K_FLAG, CF(log_calls), 0, 0, NULL, NULL, S_NONE, true },
	{ "remote-calls", 'r', K_FLAG, CF(remote_calls), 0, 0, NULL, NULL, S_NONE, false },
	{ "secure-user", 's', K_FLAG, CF(secure_user), 0, 0, NULL, NULL, S_NONE, false },
	{ "warm-start", 'w', K_FLAG, CF(warm_start), 0, 0, NULL, NULL, S_NONE, false },
	{ "port", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_PORT, false },
	{ "workers", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_WORKERS, false },
	{ "backend", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_BACKEND, false },
	{ "socket-steering", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_STEERING, false },
	{ "user", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_USER, false },
	{ "state-dir", 0, K_PATH, CF(state_dir), 0, 0, NULL, NULL, S_NONE, false },
	{ "cold", 0, K_FLAG, CF(cold), 0, 0, NULL, NULL, S_NONE, false },
	{ "import-rpcbind", 0, K_PATH, CF(import_dir), 0, 0, NULL, NULL, S_NONE, false },
	{ "reap-stale", 0, K_U32, CF(reap_stale_s), 0, 30u * 86400u, NULL, NULL, S_NONE, true },
	{ "trusted-net", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_TRUSTED, true },
	{ "udp-refuse", 0, K_CHOICE, CF(udp_refuse_drop), 0, 0, "drop", "error", S_NONE, true },
	{ "allow-amplification", 0, K_FLAG, CF(allow_amplification), 0, 0, NULL, NULL, S_NONE, true },
	{ "rrl-rate", 0, K_U32, CF(rrl_rate), 0, 10000000, NULL, NULL, S_NONE, true },
	{ "rrl-burst", 0, K_U32, CF(rrl_burst), 1, RB_RRL_BURST_MAX, NULL, NULL, S_NONE, true },
	{ "owner-quota", 0, K_U32, CF(owner_quota), 0, 1u << 24, NULL, NULL, S_NONE, true },
	{ "max-registrations", 0, K_U32, CF(max_registrations), 0, 1u << 26, NULL, NULL, S_NONE, true },
	{ "port-policy", 0, K_CHOICE, CF(port_policy), 0, 0, "strict", "off", S_NONE, true },
	{ "check-owner-port", 0, K_CHOICE, CF(check_owner_port), 0, 0, "on", "off", S_NONE, true },
	{ "idle-timeout", 0, K_U32, CF(limits.idle_timeout_ms), 100, 86400000, NULL, NULL, S_NONE, true },
	{ "blocked-timeout", 0, K_U32, CF(limits.blocked_timeout_ms), 100, 3600000, NULL, NULL, S_NONE, true },
	{ "max-unsent", 0, K_U32, CF(limits.unsent_max), 4096, 1u << 30, NULL, NULL, S_NONE, true },
	{ "max-conn-per-worker", 0, K_U32, CF(limits.conn_per_worker), 1, RB_CONFIG_CONN_PER_WORKER, NULL, NULL, S_NONE, true },
	{ "max-conn", 0, K_U32, CF(limits.conn_total), 1, 1u << 20, NULL, NULL, S_NONE, true },
	{ "config", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_CONFIG, false },
	{ "log-level", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_LOG_LEVEL, true },
	{ "log-target", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_LOG_TARGET, false },
	{ "metrics", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_METRICS, false },
	{ "tcpmux", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_TCPMUX, false },
	{ "tcpmux-help", 0, K_FLAG, CF(tcpmux_help), 0, 0, NULL, NULL, S_NONE, true },
	{ "tcpmux-allow", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_TCPMUX_ALLOW, true },
	{ "tcpmux-service", 0, K_SPECIAL, 0, 0, 0, NULL, NULL, S_TCPMUX_SERVICE, true },
	{ "tcpmux-max-conn", 0, K_U32, CF(tcpmux_max_conn), 1, 1u << 20, NULL, NULL, S_NONE, true },
	{ "tcpmux-line-timeout", 0, K_U32, CF(tcpmux_line_timeout_ms), 100, 600000, NULL, NULL, S_NONE, true },
	{ "tcpmux-idle-timeout", 0, K_U32, CF(tcpmux_idle_timeout_ms), 1000, 86400000, NULL, NULL, S_NONE, true },
	{ "tcpmux-buffer", 0, K_U32, CF(tcpmux_buffer), 4096, 16u << 20, NULL, NULL, S_NONE, true },
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

static int set_special(struct rb_config *c, const struct opt *o, const char *v,
		       bool from_file, char *err, size_t errcap)
{
	unsigned long n;
	const char *nm = o->name;

	switch (o->sp) {
	case S_DEBUG: {
		bool b = true;
		if (v && parse_bool(v, &b))
			return fail(err, errcap, "%s: expected yes or no, got '%s'", nm, v);
		c->debug = b;
		if (b) {
			c->foreground = true;
			c->log_level = RB_LOG_DEBUG;
		}
		return 0;
	}
	case S_PORT:
		if (parse_uint(v, 1, 65535, &n))
			return fail(err, errcap, "--port: expected 1..65535, got '%s'", v ? v : "");
		c->port = (uint16_t)n;
		return 0;
	case S_WORKERS:
		if (parse_uint(v, 0, RB_CONFIG_WORKERS_MAX, &n))
			return fail(err, errcap,
				    "--workers: expected 0..%u (0: one per CPU), got '%s'",
				    RB_CONFIG_WORKERS_MAX, v ? v : "");
		c->workers = (uint32_t)n;
		return 0;
	case S_BACKEND:
		if (v && strcmp(v, "uring") == 0)
			c->backend = RB_BACKEND_URING;
		else if (v && strcmp(v, "epoll") == 0)
			c->backend = RB_BACKEND_EPOLL;
		else if (v && strcmp(v, "auto") == 0)
			c->backend = RB_BACKEND_AUTO;
		else
			return fail(err, errcap, "--backend: expected uring, epoll or auto, got '%s'",
				    v ? v : "");
		return 0;
	case S_STEERING:
		if (v && strcmp(v, "random") == 0)
			c->steering = RB_STEER_RANDOM;
		else if (v && strcmp(v, "hash") == 0)
			c->steering = RB_STEER_HASH;
		else if (v && strcmp(v, "cpu") == 0)
			c->steering = RB_STEER_CPU;
		else
			return fail(err, errcap,
				    "--socket-steering: expected random, hash or cpu, got '%s'",
				    v ? v : "");
		return 0;
	case S_HOST:
		if (!v)
			return fail(err, errcap, "%s: missing address", "--host");
		list_take(c, from_file, L_HOSTS, &c->nhosts);
		if (c->nhosts >= RB_CONFIG_HOSTS_MAX)
			return fail(err, errcap, "-h: at most %u addresses", RB_CONFIG_HOSTS_MAX);
		if (!*v || strlen(v) >= RB_CONFIG_HOST_LEN)
			return fail(err, errcap, "-h: bad address '%s'", v);
		snprintf(c->hosts[c->nhosts++], RB_CONFIG_HOST_LEN, "%s", v);
		return 0;
	case S_TRUSTED:
		list_take(c, from_file, L_TRUSTED, &c->ntrusted);
		if (c->ntrusted >= RB_CONFIG_TRUSTED_MAX)
			return fail(err, errcap, "--trusted-net: at most %u prefixes",
				    RB_CONFIG_TRUSTED_MAX);
		if (!v || rb_cidr_parse(v, &c->trusted[c->ntrusted]) < 0)
			return fail(err, errcap, "--trusted-net: expected ADDR/BITS, got '%s'",
				    v ? v : "");
		c->ntrusted++;
		return 0;
	case S_USER:
		if (!v || !*v || strlen(v) >= RB_CONFIG_USER_MAX)
			return fail(err, errcap, "--user: bad user name '%s'", v ? v : "");
		snprintf(c->user, sizeof(c->user), "%s", v);
		c->secure_user = true;
		return 0;
	case S_LOG_LEVEL: {
		static const struct {
			const char *w;
			enum rb_log_level l;
		} lv[] = { { "err", RB_LOG_ERR }, { "error", RB_LOG_ERR },
			   { "warning", RB_LOG_WARNING }, { "notice", RB_LOG_NOTICE },
			   { "info", RB_LOG_INFO }, { "debug", RB_LOG_DEBUG } };
		for (size_t i = 0; v && i < sizeof(lv) / sizeof(lv[0]); i++)
			if (strcasecmp(v, lv[i].w) == 0) {
				c->log_level = lv[i].l;
				c->debug = lv[i].l == RB_LOG_DEBUG;
				return 0;
			}
		return fail(err, errcap,
			    "--log-level: expected err, warning, notice, info or debug, got '%s'",
			    v ? v : "");
	}
	case S_LOG_TARGET:
		if (v && strcmp(v, "auto") == 0)
			c->log_target = RB_LOG_AUTO;
		else if (v && strcmp(v, "stderr") == 0)
			c->log_target = RB_LOG_STDERR;
		else if (v && strcmp(v, "syslog") == 0)
			c->log_target = RB_LOG_SYSLOG;
		else
			return fail(err, errcap, "--log-target: expected auto, stderr or syslog, got '%s'",
				    v ? v : "");
		return 0;
	case S_METRICS:
		if (v && (strcmp(v, "off") == 0 || strcmp(v, "no") == 0)) {
			c->metrics_on = false;
			return 0;
		}
		if (parse_hostport(v, c->metrics_host, sizeof(c->metrics_host), &c->metrics_port))
			return fail(err, errcap, "--metrics: expected ADDR:PORT or off, got '%s'",
				    v ? v : "");
		if (!c->metrics_host[0])
			snprintf(c->metrics_host, sizeof(c->metrics_host), "%s",
				 RB_CONFIG_METRICS_HOST);
		c->metrics_on = true;
		return 0;
	case S_CONFIG:
		if (from_file)
			return fail(err, errcap, "config: not allowed inside a config file");
		if (!v || !*v || strlen(v) >= RB_CONFIG_PATH_MAX)
			return fail(err, errcap, "--config: bad file name '%s'", v ? v : "");
		snprintf(c->config_path, sizeof(c->config_path), "%s", v);
		c->config_explicit = true;
		return 0;
	case S_TCPMUX:
		if (v && (strcmp(v, "off") == 0 || strcmp(v, "no") == 0)) {
			c->tcpmux_on = false;
			return 0;
		}
		if (parse_hostport(v, c->tcpmux_host, sizeof(c->tcpmux_host), &c->tcpmux_port))
			return fail(err, errcap, "--tcpmux: expected [ADDR:]PORT or off, got '%s'",
				    v ? v : "");
		c->tcpmux_on = true;
		return 0;
	case S_TCPMUX_ALLOW:
		list_take(c, from_file, L_TCPMUX_ALLOW, &c->ntcpmux_allow);
		if (c->ntcpmux_allow >= RB_CONFIG_TCPMUX_ALLOW_MAX)
			return fail(err, errcap, "--tcpmux-allow: at most %u prefixes",
				    RB_CONFIG_TCPMUX_ALLOW_MAX);
		if (!v || rb_cidr_parse(v, &c->tcpmux_allow[c->ntcpmux_allow]) < 0)
			return fail(err, errcap, "--tcpmux-allow: expected ADDR/BITS, got '%s'",
				    v ? v : "");
		c->ntcpmux_allow++;
		return 0;
	case S_TCPMUX_SERVICE: {
		list_take(c, from_file, L_TCPMUX_SERVICES, &c->ntcpmux_services);
		const char *eq = v ? strchr(v, '=') : NULL;
		size_t len = eq ? (size_t)(eq - v) : 0;
		if (c->ntcpmux_services >= RB_CONFIG_TCPMUX_SERVICES_MAX)
			return fail(err, errcap, "--tcpmux-service: at most %u names",
				    RB_CONFIG_TCPMUX_SERVICES_MAX);
		if (!eq || len == 0 || len > RB_CONFIG_TCPMUX_NAME_MAX ||
		    parse_uint(eq + 1, 1, 65535, &n))
			return fail(err, errcap, "--tcpmux-service: expected NAME=PORT, got '%s'",
				    v ? v : "");
		struct rb_tcpmux_static *st = &c->tcpmux_services[c->ntcpmux_services];
		for (size_t i = 0; i < len; i++) {
			char ch = v[i];
			/* RFC 1078 names: printable, no blanks; '/' is ours (name/version) */
			if (ch <= ' ' || ch > '~' || ch == '/')
				return fail(err, errcap, "--tcpmux-service: bad name in '%s'", v);
			st->name[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
		}
		st->name[len] = '\0';
		st->port = (uint16_t)n;
		c->ntcpmux_services++;
		return 0;
	}
	case S_NONE:
		break;
	}
	return -EINVAL;
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
