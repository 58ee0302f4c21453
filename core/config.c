#include "core/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	       "                               this many unsent reply bytes (262144)\n"
	       "      --max-conn-per-worker N  connections per worker (16384)\n"
	       "      --max-conn N             connections in total (16384)\n"
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

static int add_host(struct rb_config *c, const char *h, char *err, size_t errcap)
{
	if (c->nhosts >= RB_CONFIG_HOSTS_MAX)
		return fail(err, errcap, "-h: at most %u addresses", RB_CONFIG_HOSTS_MAX);
	if (!*h || strlen(h) >= RB_CONFIG_HOST_LEN)
		return fail(err, errcap, "-h: bad address '%s'", h);
	snprintf(c->hosts[c->nhosts++], RB_CONFIG_HOST_LEN, "%s", h);
	return 0;
}

/* A long option that takes a value: --name VALUE or --name=VALUE. */
static const char *long_value(const char *arg, const char *name, int argc,
			      char *const argv[], int *i, bool *matched)
{
	size_t n = strlen(name);
	*matched = false;
	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=') {
		*matched = true;
		return arg + n + 1;
	}
	if (arg[n] != '\0')
		return NULL;
	*matched = true;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int set_flag(struct rb_config *c, char f)
{
	switch (f) {
	case 'a': c->abort_on_err = true; return 0;
	case 'd': c->debug = true; c->foreground = true; return 0;
	case 'f': c->foreground = true; return 0;
	case 'i': c->insecure = true; return 0;
	case 'l': c->log_calls = true; return 0;
	case 'r': c->remote_calls = true; return 0;
	case 's': c->secure_user = true; return 0;
	case 'w': c->warm_start = true; return 0;
	default: return -EINVAL;
	}
}

static const struct {
	const char *name;
	char flag;
} long_flags[] = {
	{ "--abort-on-error", 'a' }, { "--debug", 'd' },
	{ "--foreground", 'f' },     { "--insecure", 'i' },
	{ "--log-calls", 'l' },      { "--remote-calls", 'r' },
	{ "--secure-user", 's' },    { "--warm-start", 'w' },
};

static int parse_long(struct rb_config *c, int argc, char *const argv[], int *i,
		      enum rb_config_action *action, char *err, size_t errcap)
{
	const char *arg = argv[*i];
	const char *v;
	bool m;
	unsigned long n;

	if (strcmp(arg, "--help") == 0) {
		*action = RB_CONFIG_HELP;
		return 0;
	}
	if (strcmp(arg, "--version") == 0) {
		*action = RB_CONFIG_VERSION;
		return 0;
	}
	for (size_t k = 0; k < sizeof(long_flags) / sizeof(long_flags[0]); k++)
		if (strcmp(arg, long_flags[k].name) == 0)
			return set_flag(c, long_flags[k].flag);

	v = long_value(arg, "--port", argc, argv, i, &m);
	if (m) {
		if (parse_uint(v, 1, 65535, &n))
			return fail(err, errcap, "--port: expected 1..65535, got '%s'",
				    v ? v : "");
		c->port = (uint16_t)n;
		return 0;
	}
	v = long_value(arg, "--workers", argc, argv, i, &m);
	if (m) {
		if (parse_uint(v, 0, RB_CONFIG_WORKERS_MAX, &n))
			return fail(err, errcap,
				    "--workers: expected 0..%u (0: one per CPU), got '%s'",
				    RB_CONFIG_WORKERS_MAX, v ? v : "");
		c->workers = (uint32_t)n;
		return 0;
	}
	v = long_value(arg, "--backend", argc, argv, i, &m);
	if (m) {
		if (v && strcmp(v, "uring") == 0)
			c->backend = RB_BACKEND_URING;
		else if (v && strcmp(v, "epoll") == 0)
			c->backend = RB_BACKEND_EPOLL;
		else if (v && strcmp(v, "auto") == 0)
			c->backend = RB_BACKEND_AUTO;
		else
			return fail(err, errcap,
				    "--backend: expected uring, epoll or auto, got '%s'",
				    v ? v : "");
		return 0;
	}
	static const struct {
		const char *name;
		size_t off;
		unsigned long lo, hi;
	} nums[] = {
		{ "--idle-timeout", offsetof(struct rb_limits, idle_timeout_ms), 100, 86400000 },
		{ "--blocked-timeout", offsetof(struct rb_limits, blocked_timeout_ms), 100, 3600000 },
		{ "--max-unsent", offsetof(struct rb_limits, unsent_max), 4096, 1u << 30 },
		{ "--max-conn-per-worker", offsetof(struct rb_limits, conn_per_worker), 1, RB_CONFIG_CONN_PER_WORKER },
		{ "--max-conn", offsetof(struct rb_limits, conn_total), 1, 1u << 20 },
	};
	static const struct {
		const char *name;
		size_t off;
		unsigned long lo, hi;
	} cnums[] = {
		{ "--rrl-rate", offsetof(struct rb_config, rrl_rate), 0, 10000000 },
		{ "--rrl-burst", offsetof(struct rb_config, rrl_burst), 1, RB_RRL_BURST_MAX },
		{ "--owner-quota", offsetof(struct rb_config, owner_quota), 0, 1u << 24 },
		{ "--max-registrations", offsetof(struct rb_config, max_registrations), 0, 1u << 26 },
	};
	for (size_t k = 0; k < sizeof(cnums) / sizeof(cnums[0]); k++) {
		v = long_value(arg, cnums[k].name, argc, argv, i, &m);
		if (!m)
			continue;
		if (parse_uint(v, cnums[k].lo, cnums[k].hi, &n))
			return fail(err, errcap, "%s: expected %lu..%lu, got '%s'", cnums[k].name,
				    cnums[k].lo, cnums[k].hi, v ? v : "");
		*(uint32_t *)(void *)((char *)c + cnums[k].off) = (uint32_t)n;
		return 0;
	}
	static const struct {
		const char *name, *yes, *no;
		size_t off;
	} choices[] = {
		{ "--udp-refuse", "drop", "error", offsetof(struct rb_config, udp_refuse_drop) },
		{ "--port-policy", "strict", "off", offsetof(struct rb_config, port_policy) },
		{ "--check-owner-port", "on", "off", offsetof(struct rb_config, check_owner_port) },
	};
	for (size_t k = 0; k < sizeof(choices) / sizeof(choices[0]); k++) {
		v = long_value(arg, choices[k].name, argc, argv, i, &m);
		if (!m)
			continue;
		bool *b = (bool *)(void *)((char *)c + choices[k].off);
		if (v && strcmp(v, choices[k].yes) == 0)
			*b = true;
		else if (v && strcmp(v, choices[k].no) == 0)
			*b = false;
		else
			return fail(err, errcap, "%s: expected %s or %s, got '%s'", choices[k].name,
				    choices[k].yes, choices[k].no, v ? v : "");
		return 0;
	}
	if (strcmp(arg, "--allow-amplification") == 0) {
		c->allow_amplification = true;
		return 0;
	}
	v = long_value(arg, "--trusted-net", argc, argv, i, &m);
	if (m) {
		if (c->ntrusted >= RB_CONFIG_TRUSTED_MAX)
			return fail(err, errcap, "--trusted-net: at most %u prefixes",
				    RB_CONFIG_TRUSTED_MAX);
		if (!v || rb_cidr_parse(v, &c->trusted[c->ntrusted]) < 0)
			return fail(err, errcap, "--trusted-net: expected ADDR/BITS, got '%s'",
				    v ? v : "");
		c->ntrusted++;
		return 0;
	}
	v = long_value(arg, "--reap-stale", argc, argv, i, &m);
	if (m) {
		if (parse_uint(v, 1, 30u * 86400u, &n))
			return fail(err, errcap, "--reap-stale: expected 1..2592000 seconds, got '%s'",
				    v ? v : "");
		c->reap_stale_s = (uint32_t)n;
		return 0;
	}
	for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
		v = long_value(arg, nums[k].name, argc, argv, i, &m);
		if (!m)
			continue;
		if (parse_uint(v, nums[k].lo, nums[k].hi, &n))
			return fail(err, errcap, "%s: expected %lu..%lu, got '%s'", nums[k].name,
				    nums[k].lo, nums[k].hi, v ? v : "");
		*(uint32_t *)(void *)((char *)&c->limits + nums[k].off) = (uint32_t)n;
		return 0;
	}
	if (strcmp(arg, "--cold") == 0) {
		c->cold = true;
		return 0;
	}
	v = long_value(arg, "--import-rpcbind", argc, argv, i, &m);
	if (m) {
		if (!v || !*v || strlen(v) >= RB_CONFIG_PATH_MAX)
			return fail(err, errcap, "--import-rpcbind: bad directory '%s'", v ? v : "");
		snprintf(c->import_dir, sizeof(c->import_dir), "%s", v);
		return 0;
	}
	v = long_value(arg, "--state-dir", argc, argv, i, &m);
	if (m) {
		if (!v || !*v || strlen(v) >= RB_CONFIG_PATH_MAX)
			return fail(err, errcap, "--state-dir: bad directory '%s'",
				    v ? v : "");
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", v);
		return 0;
	}
	v = long_value(arg, "--user", argc, argv, i, &m);
	if (m) {
		if (!v || !*v || strlen(v) >= RB_CONFIG_USER_MAX)
			return fail(err, errcap, "--user: bad user name '%s'", v ? v : "");
		snprintf(c->user, sizeof(c->user), "%s", v);
		c->secure_user = true;
		return 0;
	}
	v = long_value(arg, "--host", argc, argv, i, &m);
	if (m) {
		if (!v)
			return fail(err, errcap, "%s: missing address", "--host");
		return add_host(c, v, err, errcap);
	}
	return fail(err, errcap, "unknown option '%s' (see --help)", arg);
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
			if (*p == 'h') {
				const char *h = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
				if (!h)
					return fail(err, errcap, "%s: missing address", "-h");
				int r = add_host(c, h, err, errcap);
				if (r)
					return r;
				break;
			}
			if (set_flag(c, *p)) {
				char opt[3] = { '-', *p, '\0' };
				return fail(err, errcap, "unknown option '%s' (see --help)", opt);
			}
		}
	}
	return 0;
}
