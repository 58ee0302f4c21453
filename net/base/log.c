#include "net/base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

enum sink { SINK_STDERR = 0, SINK_JOURNAL, SINK_SYSLOG };

/* The process's one log sink: chosen once before threads exist, then only
 * read; the level is an atomic (SIGHUP changes it). Logging is the one
 * place a process-wide setting is the right shape: every thread writes to
 * the same stderr or syslog connection anyway. */
static struct {
	enum sink sink;
	int level;
} log_state = { SINK_STDERR, RB_LOG_INFO };

/* JOURNAL_STREAM="DEV:INODE" is set by systemd when stderr is connected to
 * the journal; it must match our stderr (a child could inherit it). */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void rb_log_init(enum rb_log_target target, enum rb_log_level level, bool foreground)
{
	enum sink s = SINK_STDERR;
	if (target == RB_LOG_SYSLOG)
		s = SINK_SYSLOG;
	else if (target == RB_LOG_AUTO)
		s = stderr_is_journal() ? SINK_JOURNAL : foreground ? SINK_STDERR : SINK_SYSLOG;
	if (s == SINK_SYSLOG)
		openlog("ringbind", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_state.sink = s;
	rb_log_set_level(level);
}

void rb_log_set_level(enum rb_log_level level)
{
	__atomic_store_n(&log_state.level, (int)level, __ATOMIC_RELAXED);
}

bool rb_log_enabled(enum rb_log_level level)
{
	return (int)level <= __atomic_load_n(&log_state.level, __ATOMIC_RELAXED);
}

static void vlog(enum rb_log_level level, const char *fmt, va_list ap)
{
	char line[512];
	if (!rb_log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* Control characters from peers (owners, netids) never reach the log
	 * as such: a line is one line. */
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	switch (log_state.sink) {
	case SINK_SYSLOG:
		syslog((int)level, "%s", line);
		break;
	case SINK_JOURNAL:
		/* One write per line, so lines of different threads never mix. */
		fprintf(stderr, "<%d>%s\n", (int)level, line);
		break;
	case SINK_STDERR:
		fprintf(stderr, "ringbind: %s\n", line);
		break;
	}
}

bool rb_log_budget_take(struct rb_log_budget *b, uint64_t sec, uint32_t rate,
			uint64_t *suppressed_before)
{
	if (suppressed_before)
		*suppressed_before = 0;
	if (sec != b->second) {
		if (suppressed_before)
			*suppressed_before = b->suppressed;
		b->second = sec;
		b->left = rate;
		b->suppressed = 0;
	}
	if (!b->left) {
		b->suppressed++;
		return false;
	}
	b->left--;
	return true;
}

void rb_logl(enum rb_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void rb_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(RB_LOG_INFO, fmt, ap);
	va_end(ap);
}
