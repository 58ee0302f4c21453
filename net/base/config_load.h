/* Builds the daemon's configuration: defaults, then the config file
 * (--config FILE, else /etc/ringbind.conf when it exists), then the
 * command line over both. At start and again on SIGHUP. */
#ifndef RB_NET_CONFIG_LOAD_H
#define RB_NET_CONFIG_LOAD_H

#include <stddef.h>

#include "core/config.h"

/* 0 with *c and *action set, or -errno with a one-line reason in err
 * (naming the file, line and key for a bad config file line). */
int rb_config_build(struct rb_config *c, int argc, char *const argv[],
		    enum rb_config_action *action, char *err, size_t errcap);

#endif
