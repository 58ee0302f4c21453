/* ringbind's entry point: build the configuration (file, then the
 * rpcbind-compatible command line over it), then run the daemon in the
 * foreground (the service manager daemonizes). */
#include <stdio.h>
#include <stdlib.h>

#include "core/config.h"
#include "net/daemon/bulk_arena.h"
#include "net/base/config_load.h"
#include "net/daemon/daemon.h"
#include "version.h"

int main(int argc, char **argv)
{
	struct rb_config cfg;
	enum rb_config_action action;
	char err[320];

	/* --help and --version work whatever the config file holds. */
	rb_config_defaults(&cfg);
	int r = rb_config_parse(&cfg, argc, argv, &action, err, sizeof(err));
	if (r == 0 && action == RB_CONFIG_RUN)
		r = rb_config_build(&cfg, argc, argv, &action, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "ringbind: %s\n", err);
		return 2;
	}
	switch (action) {
	case RB_CONFIG_HELP:
		fputs(rb_config_usage(), stdout);
		return 0;
	case RB_CONFIG_VERSION:
		printf("ringbind %s\n", RB_VERSION_STRING);
		return 0;
	case RB_CONFIG_RUN:
		break;
	}
	/* Without it (no jemalloc) the registry uses malloc throughout. */
	struct rb_registry_bulk bulk;
	(void)rb_bulk_arena_init(&bulk);
	return rb_daemon_run(&cfg, argc, argv, &bulk);
}
