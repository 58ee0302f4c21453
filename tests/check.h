/* A minimal test harness: CHECK records a failure and carries on, so one
 * run reports every broken expectation; RB_TEST_MAIN prints a summary line
 * and sets the exit status for ctest. */
#ifndef RB_TESTS_CHECK_H
#define RB_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct rb_check_state {
	unsigned checks;
	unsigned failures;
};

extern struct rb_check_state rb_check;

#define CHECK(cond)                                                           \
	do {                                                                  \
		rb_check.checks++;                                            \
		if (!(cond)) {                                                \
			rb_check.failures++;                                  \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                             \
		}                                                             \
	} while (0)

#define CHECK_EQ_U(a, b)                                                      \
	do {                                                                  \
		unsigned long long _a = (unsigned long long)(a);              \
		unsigned long long _b = (unsigned long long)(b);              \
		rb_check.checks++;                                            \
		if (_a != _b) {                                               \
			rb_check.failures++;                                  \
			fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", \
				__FILE__, __LINE__, #a, #b, _a, _b);          \
		}                                                             \
	} while (0)

#define CHECK_STR(a, b)                                                       \
	do {                                                                  \
		const char *_a = (a), *_b = (b);                              \
		rb_check.checks++;                                            \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                      \
			rb_check.failures++;                                  \
			fprintf(stderr, "%s:%d: %s == %s failed: '%s' != '%s'\n", \
				__FILE__, __LINE__, #a, #b, _a ? _a : "(null)", \
				_b ? _b : "(null)");                          \
		}                                                             \
	} while (0)

/* Compares byte buffers and prints both in hex on mismatch. */
#define CHECK_BYTES(a, alen, b, blen)                                         \
	rb_check_bytes(__FILE__, __LINE__, #a, (const void *)(a), (alen),     \
		       (const void *)(b), (blen))

static inline void rb_check_hex(const char *tag, const unsigned char *p, size_t n)
{
	fprintf(stderr, "  %s (%zu):", tag, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", (i % 4) ? "" : " ", p[i]);
	fprintf(stderr, "\n");
}

static inline void rb_check_bytes(const char *file, int line, const char *what,
				  const void *a, size_t alen, const void *b,
				  size_t blen)
{
	rb_check.checks++;
	if (alen == blen && memcmp(a, b, alen) == 0)
		return;
	rb_check.failures++;
	fprintf(stderr, "%s:%d: bytes of %s differ\n", file, line, what);
	rb_check_hex("got ", a, alen);
	rb_check_hex("want", b, blen);
}

#define RB_TEST_MAIN(body)                                                    \
	struct rb_check_state rb_check;                                       \
	int main(void)                                                        \
	{                                                                     \
		body;                                                         \
		printf("%u checks, %u failed\n", rb_check.checks,             \
		       rb_check.failures);                                    \
		return rb_check.failures ? 1 : 0;                             \
	}

#endif
