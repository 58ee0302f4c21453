/* The configuration file: INI (parsed by libinih), every option of the
 * command line by its long name, "name = value" per line, in no section or
 * in [ringbind]. Lists (host, trusted-net, tcpmux-allow, tcpmux-service)
 * take one value per line and may repeat. Pure: text in, config out. */
#ifndef RB_CORE_CONFIG_FILE_H
#define RB_CORE_CONFIG_FILE_H

#include <stddef.h>

#include "core/config.h"

/* A config file larger than this is refused (it is a few KiB at most). */
#define RB_CONFIG_FILE_MAX (256u << 10)

/* Applies the lines of text (a NUL-terminated file's contents) over c.
 * 0, or -EINVAL with "FILE:LINE: reason" in err, naming the first bad line
 * (its key and value); c may then hold part of the file: discard it. */
int rb_config_load_text(struct rb_config *c, const char *text, const char *fname,
			char *err, size_t errcap);

#endif
