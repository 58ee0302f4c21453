/* ringbind's entry point. This build parses the rpcbind-compatible command
 * line; the serving data plane (workers, listeners, control thread) is not
 * in this build yet, and ringbind says so rather than pretend to serve. */
#include <stdio.h>
#include <stdlib.h>

#include "core/config.h"
#include "version.h"

int main(int argc, char **argv)
{
	struct rb_config cfg;
	enum rb_config_action action;
	char err[256];

	rb_config_defaults(&cfg);
	if (rb_config_parse(&cfg, argc, argv, &action, err, sizeof(err)) != 0) {
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
	fprintf(stderr, "ringbind: this build has the protocol engine only; "
			"serving is not implemented yet\n");
	return 1;
}
