#include "core/config_file.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct load {
	struct rb_config *c;
	bool failed;
	char why[200]; /* the first bad line's reason */
};

/* libinih calls this per "name = value"; returning 0 marks the line as
 * the error line (ini_parse_string returns the first such line). */
static int on_line(void *user, const char *section, const char *name, const char *value)
{
	struct load *l = user;
	if (l->failed)
		return 1; /* report the first error only */
	if (section[0] && strcmp(section, "ringbind") != 0) {
		snprintf(l->why, sizeof(l->why), "unknown section [%s] (use [ringbind] or none)",
			 section);
		l->failed = true;
		return 0;
	}
	if (strcmp(name, "config") == 0) {
		snprintf(l->why, sizeof(l->why), "config: not allowed inside a config file");
		l->failed = true;
		return 0;
	}
	char e[160];
	if (rb_config_set(l->c, name, value, true, e, sizeof(e)) < 0) {
		/* The key and value as written, then the reason. */
		snprintf(l->why, sizeof(l->why), "%s = %s: %s", name, value, e);
		l->failed = true;
		return 0;
	}
	return 1;
}

int rb_config_load_text(struct rb_config *c, const char *text, const char *fname,
			char *err, size_t errcap)
{
	struct load l = { .c = c };
	int line = ini_parse_string(text, on_line, &l);
	if (line == 0)
		return 0;
	if (line < 0) {
		snprintf(err, errcap, "%s: cannot parse (%d)", fname, line);
		return -EINVAL;
	}
	if (l.failed)
		snprintf(err, errcap, "%s:%d: %s", fname, line, l.why);
	else
		snprintf(err, errcap, "%s:%d: syntax error (expected 'name = value' or '[ringbind]')",
			 fname, line);
	return -EINVAL;
}
