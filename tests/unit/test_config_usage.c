/* --help is generated from the option table (issue 19): every option of
 * the table is listed, at the start of a line, with its value name when it
 * takes one, and the default it shows is its real one: fed back to the
 * parser over the defaults, the printed value leaves the configuration
 * unchanged. An option that shows no default is a flag that is off (set
 * "no", nothing changes) or one of the options that have none (lists, the
 * user). The text fits rb_config_usage's buffer. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/config.h"

/* Options with no default to show: empty lists, no user. */
static bool no_default(const char *name)
{
	static const char *const n[] = { "host", "trusted-net", "user", "tcpmux-allow",
					 "tcpmux-service" };
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (strcmp(n[i], name) == 0)
			return true;
	return false;
}

/* The option's entry in the text: its line (from "--name" at the start,
 * after blanks and "-x, ") up to the next option's or a blank line, joined
 * with single spaces into out. false when no line starts with it. */
static bool entry(const char *text, const char *name, char *out, size_t cap, bool *has_arg)
{
	char want[64];
	snprintf(want, sizeof(want), "--%s", name);
	size_t wl = strlen(want);
	for (const char *line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
		const char *p = line;
		while (*p == ' ')
			p++;
		if (p[0] == '-' && p[1] != '-' && p[2] == ',' && p[3] == ' ')
			p += 4;
		if (strncmp(p, want, wl) != 0 || (p[wl] != ' ' && p[wl] != '\n'))
			continue;
		/* One space and a word: its value name (tests/deploy reads it so). */
		*has_arg = p[wl] == ' ' && p[wl + 1] != ' ';
		size_t n = 0;
		for (const char *q = p; *q && n + 1 < cap;) {
			const char *e = strchr(q, '\n');
			size_t len = e ? (size_t)(e - q) : strlen(q);
			for (size_t i = 0; i < len && n + 1 < cap; i++)
				if (q[i] != ' ' || (n && out[n - 1] != ' '))
					out[n++] = q[i];
			if (!e || e[1] == '\n' || e[1] == '\0')
				break;
			q = e + 1;
			const char *r = q;
			while (*r == ' ')
				r++;
			if (*r == '-') /* the next option */
				break;
			if (n + 1 < cap && out[n - 1] != ' ')
				out[n++] = ' ';
		}
		out[n] = '\0';
		return true;
	}
	return false;
}

static void run(void)
{
	const char *text = rb_config_usage();
	CHECK(rb_config_usage_write(NULL, 0) < RB_CONFIG_USAGE_MAX);
	CHECK(strstr(text, "      --version          show the version\n") != NULL);

	struct rb_config def, c;
	rb_config_defaults(&def);
	char e[1024], err[256];
	size_t i = 0, shown = 0;
	bool takes;
	for (const char *name; (name = rb_config_option_name(i, &takes)) != NULL; i++) {
		bool has_arg = false;
		if (!entry(text, name, e, sizeof(e), &has_arg)) {
			fprintf(stderr, "--%s is not in --help\n", name);
			CHECK(false);
			continue;
		}
		/* "--name VALUE  words": a value name exactly when it takes one. */
		CHECK_EQ_U(has_arg, takes);

		const char *d = strstr(e, "(default ");
		memcpy(&c, &def, sizeof(c));
		if (d) {
			char v[512];
			d += strlen("(default ");
			size_t n = strcspn(d, ")");
			CHECK(n < sizeof(v) && d[n] == ')');
			snprintf(v, sizeof(v), "%.*s", (int)n, d);
			CHECK_EQ_U(rb_config_set(&c, name, v, false, err, sizeof(err)), 0);
			/* --config FILE also records that it was given. */
			if (strcmp(name, "config") == 0) {
				CHECK(c.config_explicit);
				c.config_explicit = false;
			}
			if (memcmp(&c, &def, sizeof(c)) != 0) {
				fprintf(stderr, "--%s: the default shown, %s, is not the real one\n", name,
					v);
				CHECK(false);
			}
			shown++;
		} else if (!takes) {
			/* A flag without a default shown is off by default. */
			CHECK_EQ_U(rb_config_set(&c, name, "no", false, err, sizeof(err)), 0);
			if (memcmp(&c, &def, sizeof(c)) != 0) {
				fprintf(stderr, "--%s shows no default but is on\n", name);
				CHECK(false);
			}
		} else {
			if (!no_default(name))
				fprintf(stderr, "--%s shows no default\n", name);
			CHECK(no_default(name));
		}
	}
	CHECK(i >= 40);
	CHECK(shown >= 25);
}

RB_TEST_MAIN(run())
