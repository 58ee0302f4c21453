/* Fuzz target: record marking. The input is a byte stream of fragments,
 * preceded by a few bytes that choose how the stream is cut into reads
 * and which cap applies:
 *   byte 0: bits 0-2: number k-1 of chunk sizes; bit 3: small cap (64);
 *   bytes 1..k: chunk sizes - 1 (used in turn, cyclically);
 *   the rest: the stream.
 * Invariant: the records (and a final -EMSGSIZE) are the same whether the
 * stream is fed at once or in those chunks. Every record is then handled
 * as a call on the stream transports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "fuzz.h"

#define MAX_RECS 64

struct recs {
	unsigned n;
	int err;
	uint32_t len[MAX_RECS];
	uint8_t *data[MAX_RECS];
};

static void recs_free(struct recs *r)
{
	for (unsigned i = 0; i < r->n && i < MAX_RECS; i++)
		free(r->data[i]);
}

/* Feeds one read's worth of bytes, looping on *used. */
static void feed(struct rb_rec_asm *a, const uint8_t *p, size_t len,
		 struct recs *out)
{
	size_t off = 0;

	if (out->err)
		return;
	while (off < len) {
		size_t used = (size_t)-1;
		const uint8_t *rec = NULL;
		uint32_t rec_len = 0;
		int rc = rb_rec_feed(a, p + off, len - off, &used, &rec, &rec_len);
		if (rc == -EMSGSIZE) {
			out->err = rc;
			/* Sticky. */
			FZ_ASSERT(rb_rec_feed(a, p, len, &used, &rec, &rec_len) ==
				  -EMSGSIZE);
			return;
		}
		FZ_ASSERT(rc == 0 || rc == 1);
		FZ_ASSERT(used <= len - off);
		off += used;
		if (rc == 0) {
			FZ_ASSERT(off == len);
			return;
		}
		FZ_ASSERT(rec_len <= a->cap);
		FZ_ASSERT(used > 0);
		if (out->n < MAX_RECS) {
			out->data[out->n] = malloc(rec_len ? rec_len : 1);
			FZ_ASSERT(out->data[out->n] != NULL);
			if (rec_len)
				memcpy(out->data[out->n], rec, rec_len);
			out->len[out->n] = rec_len;
		}
		out->n++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 200000)
		return 0;
	unsigned k = (data[0] & 7u) + 1;
	uint32_t cap = (data[0] & 8u) ? 64u : RB_RECORD_MAX;
	if (size < 1 + k)
		return 0;
	const uint8_t *sizes = data + 1;
	const uint8_t *stream = data + 1 + k;
	size_t slen = size - 1 - k;

	uint8_t *buf1 = malloc(cap), *buf2 = malloc(cap);
	FZ_ASSERT(buf1 && buf2);
	struct rb_rec_asm a1, a2;
	struct recs whole, cut;
	memset(&whole, 0, sizeof(whole));
	memset(&cut, 0, sizeof(cut));

	/* At once (a copy of exactly slen bytes, so over-reads show). */
	uint8_t *copy = malloc(slen ? slen : 1);
	FZ_ASSERT(copy != NULL);
	memcpy(copy, stream, slen);
	rb_rec_init(&a1, buf1, cap);
	feed(&a1, copy, slen, &whole);
	free(copy);

	/* In chunks, each in its own exact-size heap block. */
	rb_rec_init(&a2, buf2, cap);
	size_t off = 0;
	unsigned turn = 0;
	while (off < slen && !cut.err) {
		size_t n = (size_t)sizes[turn++ % k] + 1;
		if (n > slen - off)
			n = slen - off;
		uint8_t *chunk = malloc(n);
		FZ_ASSERT(chunk != NULL);
		memcpy(chunk, stream + off, n);
		feed(&a2, chunk, n, &cut);
		free(chunk);
		off += n;
	}

	FZ_ASSERT(whole.n == cut.n);
	FZ_ASSERT(whole.err == cut.err);
	for (unsigned i = 0; i < whole.n && i < MAX_RECS; i++) {
		FZ_ASSERT(whole.len[i] == cut.len[i]);
		FZ_ASSERT(memcmp(whole.data[i], cut.data[i], whole.len[i]) == 0);
	}

	/* Handle the first few records as calls on stream transports. */
	for (unsigned i = 0; i < whole.n && i < 8; i++)
		fz_handle_message(whole.data[i], whole.len[i], 1);
	fz_end_input();

	recs_free(&whole);
	recs_free(&cut);
	free(buf1);
	free(buf2);
	return 0;
}
