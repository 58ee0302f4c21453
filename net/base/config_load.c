#include "net/base/config_load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config_file.h"

/* Reads path whole (at most RB_CONFIG_FILE_MAX bytes) into a NUL-ended
 * buffer. 0, -ENOENT, or another -errno with err set. */
static int read_file(const char *path, char **out, char *err, size_t errcap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errcap, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)RB_CONFIG_FILE_MAX) {
		snprintf(err, errcap, "%s: not a regular file of at most %u bytes", path,
			 RB_CONFIG_FILE_MAX);
		close(fd);
		return -EINVAL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf) {
		snprintf(err, errcap, "%s: out of memory", path);
		return -ENOMEM;
	}
	buf[got] = '\0';
	if (strlen(buf) != got) {
		snprintf(err, errcap, "%s: contains a NUL byte", path);
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	return 0;
}

int rb_config_build(struct rb_config *c, int argc, char *const argv[],
		    enum rb_config_action *action, char *err, size_t errcap)
{
	const char *path = rb_config_find_file(argc, argv);
	bool explicit = path != NULL;
	char *text = NULL;
	int r;

	rb_config_defaults(c);
	if (!path)
		path = RB_CONFIG_FILE_DEFAULT;
	r = read_file(path, &text, err, errcap);
	if (r == -ENOENT && !explicit) {
		r = 0; /* no /etc/ringbind.conf: the defaults */
	} else if (r == 0) {
		r = rb_config_load_text(c, text, path, err, errcap);
		free(text);
	}
	if (r < 0)
		return r;
	/* The command line overrides the file (and records --config). */
	r = rb_config_parse(c, argc, argv, action, err, errcap);
	if (r < 0)
		return r;
	snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	c->config_explicit = explicit;
	return 0;
}
