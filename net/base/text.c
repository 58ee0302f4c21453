#include "net/base/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rb_text_init(struct rb_text *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
}

void rb_text_free(struct rb_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

void rb_text_printf(struct rb_text *t, const char *fmt, ...)
{
	for (int attempt = 0; attempt < 2 && !t->failed; attempt++) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = t->cap - t->len;
		int n = vsnprintf(t->p ? t->p + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		size_t want = t->cap ? t->cap : 4096;
		while (want - t->len <= (size_t)n)
			want *= 2;
		if (want > t->max) {
			t->failed = true;
			return;
		}
		char *np = realloc(t->p, want);
		if (!np) {
			t->failed = true;
			return;
		}
		t->p = np;
		t->cap = want;
	}
}
