/* The daemon's configuration: an immutable struct built from the command
 * line (and later a config file), passed by pointer; reload swaps it.
 * Parsing is pure: argv in, struct or error text out. */
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

/* Connection limits of the data plane. Defaults are the RB_CONN_* constants
 * of net/limits.h (repeated here so that core/ stays below net/). */
#define RB_CONFIG_IDLE_TIMEOUT_MS 60000u
#define RB_CONFIG_BLOCKED_TIMEOUT_MS 5000u
#define RB_CONFIG_CONN_PER_WORKER 16384u
#define RB_CONFIG_CONN_TOTAL 16384u
#define RB_CONFIG_UNSENT_MAX (256u << 10)

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
};

enum rb_config_action {
	RB_CONFIG_RUN = 0,
	RB_CONFIG_HELP,
	RB_CONFIG_VERSION,
};

void rb_config_defaults(struct rb_config *c);
/* Parses argv (argv[0] is the program name) over c, which the caller has
 * filled with rb_config_defaults first. Returns 0 with *action set,
 * or -EINVAL with a one-line explanation in err (errcap bytes). Does not
 * use getopt (which keeps global state). */
int rb_config_parse(struct rb_config *c, int argc, char *const argv[],
		    enum rb_config_action *action, char *err, size_t errcap);
/* The --help text. */
const char *rb_config_usage(void);

#endif
