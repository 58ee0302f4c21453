/* A growable text buffer for the HTTP endpoint's answers, bounded by cap:
 * past it (or out of memory) it stops growing and says so (failed). */
#ifndef RB_NET_TEXT_H
#define RB_NET_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct rb_text {
	char *p;
	size_t len, cap, max;
	bool failed;
};

void rb_text_init(struct rb_text *t, size_t max);
void rb_text_free(struct rb_text *t);
void rb_text_printf(struct rb_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
