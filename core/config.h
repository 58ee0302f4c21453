/* The daemon's configuration: an immutable struct built from the command
 * line (and later a config file), passed by pointer; reload swaps it.
 * Parsing is pure: argv in, struct or error text out. */
#ifndef RB_CORE_CONFIG_H
#define RB_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Addresses given with -h (repeatable); loopback is always added. */
#define RB_CONFIG_HOSTS_MAX 16u
#define RB_CONFIG_HOST_LEN 64u
#define RB_CONFIG_PATH_MAX 256u
/* Upper bound on --workers. */
#define RB_CONFIG_WORKERS_MAX 256u

enum rb_backend { RB_BACKEND_AUTO = 0, RB_BACKEND_URING, RB_BACKEND_EPOLL };

struct rb_config {
	bool foreground;   /* -f */
	bool warm_start;   /* -w (warm restart is our default anyway) */
	bool insecure;     /* -i: SET/UNSET from any host */
	bool debug;        /* -d */
	bool remote_calls; /* -r: CALLIT/BCAST/INDIRECT */
	bool abort_on_err; /* -a */
	bool log_calls;    /* -l */
	bool secure_user;  /* -s: run as the rpc user */
	uint16_t port;     /* --port, default 111 */
	uint32_t workers;  /* --workers, 0: one per CPU in the affinity mask */
	enum rb_backend backend;
	uint32_t nhosts;
	char hosts[RB_CONFIG_HOSTS_MAX][RB_CONFIG_HOST_LEN];
	char state_dir[RB_CONFIG_PATH_MAX];
};

enum rb_config_action {
	RB_CONFIG_RUN = 0,
	RB_CONFIG_HELP,
	RB_CONFIG_VERSION,
};

void rb_config_defaults(struct rb_config *c);
/* Parses argv (argv[0] is the program name). Returns 0 with *action set,
 * or -EINVAL with a one-line explanation in err (errcap bytes). Does not
 * use getopt (which keeps global state). */
int rb_config_parse(struct rb_config *c, int argc, char *const argv[],
		    enum rb_config_action *action, char *err, size_t errcap);
/* The --help text. */
const char *rb_config_usage(void);

#endif
