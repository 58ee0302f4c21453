/* Logging: to journald (stderr with syslog <N> priority prefixes) when
 * systemd runs us, to plain stderr in the foreground, to syslog otherwise.
 * A line is written when its priority is at or below the level, which
 * SIGHUP may change (an atomic, read per line). Hot-path callers
 * rate-limit themselves (serve.c, durable.c). */
#ifndef RB_NET_LOG_H
#define RB_NET_LOG_H

#include "core/config.h"

/* Chooses the sink from the target (auto: JOURNAL_STREAM naming our stderr
 * means journald; else stderr if foreground, syslog if not) and sets the
 * level. Called once, before any thread starts. */
void rb_log_init(enum rb_log_target target, enum rb_log_level level, bool foreground);
void rb_log_set_level(enum rb_log_level level);
bool rb_log_enabled(enum rb_log_level level);
/* A per-thread allowance of log lines a second, for lines a client can
 * cause: the caller owns it (no sharing, no atomics). */
struct rb_log_budget {
	uint64_t second;
	uint32_t left;
	uint64_t suppressed; /* lines refused in the current second */
};
/* Whether one more line may go out in second sec, at most rate a second.
 * When a new second starts and suppressed_before is not NULL, it gets how
 * many lines the previous second refused. */
bool rb_log_budget_take(struct rb_log_budget *b, uint64_t sec, uint32_t rate,
			uint64_t *suppressed_before);
/* A line at level (no newline needed). */
void rb_logl(enum rb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A line at info level. */
void rb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
