/* The daemon's configuration: an immutable struct built from defaults, the
 * config file (INI, core/config_file.h) and the command line, in that
 * order; SIGHUP builds a new one the same way and applies what can change
 * at run time. Parsing is pure: argv or text in, struct or error text out.
 * Every option is one entry of one table (config.c): the command line and
 * the config file accept the same names and values. */
#ifndef RB_CORE_CONFIG_H
#define RB_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"
#include "core/ratelimit.h"

/* Addresses given with -h (repeatable); loopback is always added. */
#define RB_CONFIG_HOSTS_MAX 16u
#define RB_CONFIG_HOST_LEN 64u
#define RB_CONFIG_PATH_MAX 256u
/* --trusted-net prefixes. */
#define RB_CONFIG_TRUSTED_MAX 32u
/* Response-rate limiting per source prefix (UDP, untrusted sources). */
#define RB_CONFIG_RRL_RATE 5000u
#define RB_CONFIG_RRL_BURST 20000u
/* Registrations per owner other than root, and in all. */
#define RB_CONFIG_OWNER_QUOTA 1024u
#define RB_CONFIG_MAX_REGISTRATIONS (2u << 20)
/* --user NAME: at most this long (with the NUL); -s alone runs as
 * RB_CONFIG_RUN_USER, the user Debian's rpcbind package creates. */
#define RB_CONFIG_USER_MAX 64u
#define RB_CONFIG_RUN_USER "_rpc"
/* Upper bound on --workers. */
#define RB_CONFIG_WORKERS_MAX 256u

enum rb_backend { RB_BACKEND_AUTO = 0, RB_BACKEND_URING, RB_BACKEND_EPOLL };
/* --socket-steering: how the kernel picks a worker's socket in each
 * SO_REUSEPORT group (net/transport/steer.h). */
enum rb_steering { RB_STEER_HASH = 0, RB_STEER_RANDOM, RB_STEER_CPU };

/* syslog(3) priorities: a line is written when its priority <= the level. */
enum rb_log_level {
	RB_LOG_ERR = 3,
	RB_LOG_WARNING = 4,
	RB_LOG_NOTICE = 5,
	RB_LOG_INFO = 6,
	RB_LOG_DEBUG = 7,
};
/* auto: journald (stderr with <N> prefixes) when JOURNAL_STREAM names our
 * stderr, plain stderr with -f/-d, syslog otherwise. */
enum rb_log_target { RB_LOG_AUTO = 0, RB_LOG_STDERR, RB_LOG_SYSLOG };

#define RB_CONFIG_FILE_DEFAULT "/etc/ringbind.conf"
/* The Prometheus/health endpoint: loopback only unless told otherwise. */
#define RB_CONFIG_METRICS_HOST "127.0.0.1"
#define RB_CONFIG_METRICS_PORT 9111u

/* TCPMUX (RFC 1078), off by default. */
#define RB_CONFIG_TCPMUX_ALLOW_MAX 32u
#define RB_CONFIG_TCPMUX_SERVICES_MAX 64u
#define RB_CONFIG_TCPMUX_NAME_MAX 64u     /* a service name, without CRLF */
#define RB_CONFIG_TCPMUX_MAX_CONN 1024u   /* mux connections at once, all workers */
#define RB_CONFIG_TCPMUX_LINE_TIMEOUT_MS 5000u  /* for the name line */
#define RB_CONFIG_TCPMUX_IDLE_TIMEOUT_MS 300000u /* a spliced pair with no traffic */
#define RB_CONFIG_TCPMUX_BUFFER (64u << 10)     /* bytes in flight per direction */

struct rb_tcpmux_static {
	char name[RB_CONFIG_TCPMUX_NAME_MAX + 1]; /* lower case */
	uint16_t port;                            /* on loopback */
};

/* Connection limits of the data plane. Defaults are the RB_CONN_* constants
 * of net/base/limits.h (repeated here so that core/ stays below net/). */
#define RB_CONFIG_IDLE_TIMEOUT_MS 60000u
#define RB_CONFIG_BLOCKED_TIMEOUT_MS 5000u
#define RB_CONFIG_CONN_PER_WORKER 16384u
#define RB_CONFIG_CONN_TOTAL 16384u
#define RB_CONFIG_UNSENT_MAX (8u << 10)

struct rb_limits {
	uint32_t idle_timeout_ms;    /* --idle-timeout MS: reap idle connections */
	uint32_t blocked_timeout_ms; /* --blocked-timeout MS: drop non-readers */
	uint32_t conn_per_worker;    /* --max-conn-per-worker N */
	uint32_t conn_total;         /* --max-conn N */
	uint32_t unsent_max;         /* --max-unsent BYTES per connection */
};

struct rb_config {
	bool foreground;   /* -f */
	bool warm_start;   /* -w (warm restart is our default anyway) */
	bool insecure;     /* -i: SET/UNSET from any host */
	bool debug;        /* -d */
	bool remote_calls; /* -r: CALLIT/BCAST/INDIRECT */
	bool abort_on_err; /* -a */
	bool log_calls;    /* -l */
	bool secure_user;  /* -s: run as the rpc user */
	char user[RB_CONFIG_USER_MAX]; /* --user NAME ("" unless given) */
	uint16_t port;     /* --port, default 111 */
	uint32_t workers;  /* --workers, 0: one per CPU in the affinity mask */
	enum rb_backend backend;
	enum rb_steering steering; /* --socket-steering */
	uint32_t nhosts;
	char hosts[RB_CONFIG_HOSTS_MAX][RB_CONFIG_HOST_LEN];
	char state_dir[RB_CONFIG_PATH_MAX];
	bool cold;         /* --cold: start empty, discard saved state */
	uint32_t reap_stale_s; /* --reap-stale S: remove entries stale this long (0: off) */
	char import_dir[RB_CONFIG_PATH_MAX]; /* --import-rpcbind DIR */
	struct rb_limits limits;
	/* Hardening. */
	struct rb_cidr trusted[RB_CONFIG_TRUSTED_MAX]; /* --trusted-net */
	uint32_t ntrusted;
	bool allow_amplification; /* --allow-amplification: no reflection guard */
	bool udp_refuse_drop;     /* --udp-refuse drop (default: error) */
	uint32_t rrl_rate;        /* --rrl-rate N replies/s per prefix (0: off) */
	uint32_t rrl_burst;       /* --rrl-burst N */
	uint32_t owner_quota;     /* --owner-quota N (0: none) */
	uint32_t max_registrations; /* --max-registrations N (0: none) */
	bool port_policy;         /* --port-policy strict|off */
	bool check_owner_port;    /* --check-owner-port on|off (AF_LOCAL, non-root) */
	/* Operations. */
	char config_path[RB_CONFIG_PATH_MAX]; /* --config FILE */
	bool config_explicit;     /* given with --config: it must exist */
	enum rb_log_level log_level;   /* --log-level (-d: debug) */
	enum rb_log_target log_target; /* --log-target */
	bool metrics_on;               /* --metrics ADDR:PORT | off */
	char metrics_host[RB_CONFIG_HOST_LEN];
	uint16_t metrics_port;
	/* TCPMUX front (--tcpmux [ADDR:]PORT; off unless given). */
	bool tcpmux_on;
	char tcpmux_host[RB_CONFIG_HOST_LEN]; /* "" : the wildcards */
	uint16_t tcpmux_port;
	bool tcpmux_help;                     /* --tcpmux-help: answer HELP */
	struct rb_cidr tcpmux_allow[RB_CONFIG_TCPMUX_ALLOW_MAX]; /* --tcpmux-allow */
	uint32_t ntcpmux_allow;               /* 0: loopback only */
	struct rb_tcpmux_static tcpmux_services[RB_CONFIG_TCPMUX_SERVICES_MAX];
	uint32_t ntcpmux_services;            /* --tcpmux-service NAME=PORT */
	uint32_t tcpmux_max_conn;             /* --tcpmux-max-conn */
	uint32_t tcpmux_line_timeout_ms;      /* --tcpmux-line-timeout */
	uint32_t tcpmux_idle_timeout_ms;      /* --tcpmux-idle-timeout */
	uint32_t tcpmux_buffer;               /* --tcpmux-buffer */
	/* Which lists the config file filled: the command line's first entry
	 * of a list replaces the file's instead of adding to them. */
	uint8_t lists_from_file;
};

enum rb_config_action {
	RB_CONFIG_RUN = 0,
	RB_CONFIG_HELP,
	RB_CONFIG_VERSION,
};

void rb_config_defaults(struct rb_config *c);
/* Finds --config FILE (or --config=FILE) in argv without parsing the rest:
 * the file is read before the command line is applied over it. Returns the
 * path, or NULL when absent (the caller uses RB_CONFIG_FILE_DEFAULT). */
const char *rb_config_find_file(int argc, char *const argv[]);
/* Sets one option by its long name (without "--"), as a config file line
 * "name = value" does. Flags take yes/no, true/false, on/off or 1/0.
 * 0 or -EINVAL with the reason in err (the caller adds file and line). */
int rb_config_set(struct rb_config *c, const char *name, const char *value,
		  bool from_file, char *err, size_t errcap);
/* Names the options that differ between a and b but take effect only at a
 * restart ("port, workers"), into out; returns how many. */
/* Copies into n, from old, every option that takes effect only at a
 * restart: what a reload may publish is then n (runtime options new, the
 * rest as running). */
void rb_config_keep_restart(struct rb_config *n, const struct rb_config *old);
unsigned rb_config_restart_changes(const struct rb_config *a, const struct rb_config *b,
				   char *out, size_t cap);
/* Parses argv (argv[0] is the program name) over c, which the caller has
 * filled with rb_config_defaults first. Returns 0 with *action set,
 * or -EINVAL with a one-line explanation in err (errcap bytes). Does not
 * use getopt (which keeps global state). */
int rb_config_parse(struct rb_config *c, int argc, char *const argv[],
		    enum rb_config_action *action, char *err, size_t errcap);
/* The --help text, generated from the option table: each option's value
 * name, words and default, the default printed from rb_config_defaults
 * (what the parser starts from) as a value the option takes. Writes at most
 * cap bytes, NUL-terminated; returns the length the whole text needs. */
size_t rb_config_usage_write(char *buf, size_t cap);
#define RB_CONFIG_USAGE_MAX 8192u
/* The same in a buffer of its own (for main(): one thread). */
const char *rb_config_usage(void);
/* The options of the table, for tests: name (without "--") of option i
 * (NULL past the last), and whether it takes a value. */
const char *rb_config_option_name(size_t i, bool *takes_value);

#endif
