/* Record-marking reassembly: single and multi-fragment records, every split
 * of a stream, back-to-back records, zero copy, and the size cap enforced
 * on the header alone. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/record.h"

static void put_hdr(uint8_t *p, uint32_t len, int last)
{
	uint32_t h = len | (last ? 0x80000000u : 0);
	p[0] = (uint8_t)(h >> 24);
	p[1] = (uint8_t)(h >> 16);
	p[2] = (uint8_t)(h >> 8);
	p[3] = (uint8_t)h;
}

/* A stream under construction. */
struct stream {
	uint8_t b[8192];
	size_t n;
};

static void st_frag(struct stream *s, const uint8_t *p, uint32_t len, int last)
{
	put_hdr(s->b + s->n, len, last);
	s->n += 4;
	memcpy(s->b + s->n, p, len);
	s->n += len;
}

/* Records seen, copied out. */
#define MAXREC 16
struct seen {
	unsigned count;
	uint32_t len[MAXREC];
	uint8_t data[MAXREC][1024];
	int err;
};

/* Feeds data in whatever pieces the caller chose, looping on *used. */
static void feed_all(struct rb_rec_asm *r, const uint8_t *data, size_t len,
		     struct seen *out)
{
	size_t off = 0;
	unsigned guard = 0;

	while (off < len && guard++ < 10000) {
		size_t used = 12345;
		const uint8_t *rec = NULL;
		uint32_t rec_len = 0;
		int rc = rb_rec_feed(r, data + off, len - off, &used, &rec,
				     &rec_len);
		if (rc < 0) {
			out->err = rc;
			return;
		}
		if (used > len - off) {
			out->err = -1000; /* claims more than it was given */
			return;
		}
		off += used;
		if (rc == 1) {
			if (out->count < MAXREC && rec_len <= 1024) {
				out->len[out->count] = rec_len;
				if (rec_len)
					memcpy(out->data[out->count], rec, rec_len);
			}
			out->count++;
		} else if (rc == 0) {
			if (off != len) {
				out->err = -1001; /* 0 must mean all consumed */
				return;
			}
		} else {
			out->err = -1002;
			return;
		}
	}
}

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void test_single(void)
{
	uint8_t buf[RB_RECORD_MAX];
	uint8_t payload[40];
	struct stream s = {.n = 0};
	struct rb_rec_asm r;
	size_t used;
	const uint8_t *rec = NULL;
	uint32_t rec_len = 0;

	pattern(payload, sizeof(payload), 1);
	st_frag(&s, payload, 40, 1);
	rb_rec_init(&r, buf, sizeof(buf));
	int rc = rb_rec_feed(&r, s.b, s.n, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 1);
	CHECK_EQ_U(used, 44);
	CHECK_EQ_U(rec_len, 40);
	/* Zero copy: a whole fragment inside data is handed out in place. */
	CHECK(rec == s.b + 4);
	CHECK_BYTES(rec, rec_len, payload, 40);

	/* Header alone, then the body: not in place, same bytes. */
	rb_rec_init(&r, buf, sizeof(buf));
	rc = rb_rec_feed(&r, s.b, 4, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 0);
	CHECK_EQ_U(used, 4);
	rc = rb_rec_feed(&r, s.b + 4, 40, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 1);
	CHECK_EQ_U(used, 40);
	CHECK_EQ_U(rec_len, 40);
	CHECK_BYTES(rec, rec_len, payload, 40);

	/* Nothing at all. */
	rb_rec_init(&r, buf, sizeof(buf));
	rc = rb_rec_feed(&r, s.b, 0, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 0);
	CHECK_EQ_U(used, 0);
}

static void test_multi(void)
{
	uint8_t buf[RB_RECORD_MAX];
	uint8_t payload[100];
	struct stream s = {.n = 0};
	struct rb_rec_asm r;
	struct seen got;

	pattern(payload, sizeof(payload), 3);
	st_frag(&s, payload, 10, 0);
	st_frag(&s, payload + 10, 50, 0);
	st_frag(&s, payload + 60, 40, 1);
	CHECK_EQ_U(s.n, 112);

	memset(&got, 0, sizeof(got));
	rb_rec_init(&r, buf, sizeof(buf));
	feed_all(&r, s.b, s.n, &got);
	CHECK_EQ_U(got.err, 0);
	CHECK_EQ_U(got.count, 1);
	CHECK_EQ_U(got.len[0], 100);
	CHECK_BYTES(got.data[0], got.len[0], payload, 100);

	/* Empty fragments are legal framing. */
	s.n = 0;
	st_frag(&s, payload, 0, 0);
	st_frag(&s, payload, 30, 0);
	st_frag(&s, payload + 30, 0, 0);
	st_frag(&s, payload + 30, 70, 1);
	memset(&got, 0, sizeof(got));
	rb_rec_init(&r, buf, sizeof(buf));
	feed_all(&r, s.b, s.n, &got);
	CHECK_EQ_U(got.err, 0);
	CHECK_EQ_U(got.count, 1);
	CHECK_EQ_U(got.len[0], 100);
	CHECK_BYTES(got.data[0], got.len[0], payload, 100);
}

/* A stream of several records; the same records must come out however
 * the stream is cut. */
static void build_mixed(struct stream *s, uint8_t payload[300])
{
	pattern(payload, 300, 9);
	s->n = 0;
	st_frag(s, payload, 40, 1);              /* rec 0: 40 */
	st_frag(s, payload + 40, 12, 0);         /* rec 1: 12 + 20 + 8 */
	st_frag(s, payload + 52, 20, 0);
	st_frag(s, payload + 72, 8, 1);
	st_frag(s, payload + 80, 100, 1);        /* rec 2: 100 */
	st_frag(s, payload + 180, 0, 1);         /* rec 3: empty */
	st_frag(s, payload + 180, 1, 0);         /* rec 4: 1 + 119 */
	st_frag(s, payload + 181, 119, 1);
}

static int same_records(const struct seen *a, const struct seen *b)
{
	if (a->err || b->err || a->count != b->count)
		return 0;
	for (unsigned i = 0; i < a->count && i < MAXREC; i++)
		if (a->len[i] != b->len[i] ||
		    memcmp(a->data[i], b->data[i], a->len[i]) != 0)
			return 0;
	return 1;
}

static void test_splits(void)
{
	uint8_t buf[RB_RECORD_MAX];
	uint8_t payload[300];
	struct stream s;
	struct rb_rec_asm r;
	static struct seen ref, got;

	build_mixed(&s, payload);
	memset(&ref, 0, sizeof(ref));
	rb_rec_init(&r, buf, sizeof(buf));
	feed_all(&r, s.b, s.n, &ref);
	CHECK_EQ_U(ref.err, 0);
	CHECK_EQ_U(ref.count, 5);
	CHECK_EQ_U(ref.len[0], 40);
	CHECK_EQ_U(ref.len[1], 40);
	CHECK_EQ_U(ref.len[2], 100);
	CHECK_EQ_U(ref.len[3], 0);
	CHECK_EQ_U(ref.len[4], 120);
	CHECK_BYTES(ref.data[0], 40, payload, 40);
	CHECK_BYTES(ref.data[1], 40, payload + 40, 40);
	CHECK_BYTES(ref.data[2], 100, payload + 80, 100);
	CHECK_BYTES(ref.data[4], 120, payload + 180, 120);

	/* Two pieces, cut at every byte boundary. Each piece lives in its own
	 * heap block of its exact size so ASan catches over-reads. */
	unsigned bad = 0;
	for (size_t cut = 0; cut <= s.n; cut++) {
		uint8_t *a = malloc(cut ? cut : 1);
		uint8_t *b = malloc(s.n - cut ? s.n - cut : 1);
		if (!a || !b)
			abort();
		memcpy(a, s.b, cut);
		memcpy(b, s.b + cut, s.n - cut);
		memset(&got, 0, sizeof(got));
		rb_rec_init(&r, buf, sizeof(buf));
		feed_all(&r, a, cut, &got);
		feed_all(&r, b, s.n - cut, &got);
		if (!same_records(&ref, &got)) {
			bad++;
			fprintf(stderr, "cut at %zu: %u records, err %d\n", cut,
				got.count, got.err);
		}
		free(a);
		free(b);
	}
	CHECK_EQ_U(bad, 0);

	/* Three pieces, every pair of cuts. */
	bad = 0;
	for (size_t c1 = 0; c1 <= s.n; c1 += 3) {
		for (size_t c2 = c1; c2 <= s.n; c2 += 5) {
			memset(&got, 0, sizeof(got));
			rb_rec_init(&r, buf, sizeof(buf));
			feed_all(&r, s.b, c1, &got);
			feed_all(&r, s.b + c1, c2 - c1, &got);
			feed_all(&r, s.b + c2, s.n - c2, &got);
			if (!same_records(&ref, &got))
				bad++;
		}
	}
	CHECK_EQ_U(bad, 0);

	/* One byte at a time. */
	memset(&got, 0, sizeof(got));
	rb_rec_init(&r, buf, sizeof(buf));
	for (size_t i = 0; i < s.n; i++) {
		uint8_t *one = malloc(1);
		if (!one)
			abort();
		*one = s.b[i];
		feed_all(&r, one, 1, &got);
		free(one);
	}
	CHECK(same_records(&ref, &got));
}

static void test_back_to_back(void)
{
	uint8_t buf[RB_RECORD_MAX];
	uint8_t p1[8] = {1, 2, 3, 4, 5, 6, 7, 8}, p2[4] = {9, 9, 9, 9};
	struct stream s = {.n = 0};
	struct rb_rec_asm r;
	size_t used;
	const uint8_t *rec = NULL;
	uint32_t rec_len = 0;

	st_frag(&s, p1, 8, 1);
	st_frag(&s, p2, 4, 1);
	rb_rec_init(&r, buf, sizeof(buf));
	int rc = rb_rec_feed(&r, s.b, s.n, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 1);
	CHECK_EQ_U(used, 12); /* stops at the end of the first record */
	CHECK_EQ_U(rec_len, 8);
	CHECK_BYTES(rec, rec_len, p1, 8);
	rc = rb_rec_feed(&r, s.b + used, s.n - used, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 1);
	CHECK_EQ_U(used, 8);
	CHECK_EQ_U(rec_len, 4);
	CHECK(rec == s.b + 16);
	CHECK_BYTES(rec, rec_len, p2, 4);

	/* A record reassembled in buf, then a whole one in the same feed. */
	uint8_t part[3] = {0x80, 0, 0};
	rb_rec_init(&r, buf, sizeof(buf));
	rc = rb_rec_feed(&r, part, 3, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 0);
	CHECK_EQ_U(used, 3);
	uint8_t rest[1 + 8 + 4 + 4];
	rest[0] = 8;
	memcpy(rest + 1, p1, 8);
	put_hdr(rest + 9, 4, 1);
	memcpy(rest + 13, p2, 4);
	rc = rb_rec_feed(&r, rest, sizeof(rest), &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 1);
	CHECK_EQ_U(used, 9);
	CHECK_EQ_U(rec_len, 8);
	CHECK_BYTES(rec, rec_len, p1, 8);
	rc = rb_rec_feed(&r, rest + 9, sizeof(rest) - 9, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 1);
	CHECK_EQ_U(used, 8);
	CHECK_BYTES(rec, rec_len, p2, 4);

	/* rb_rec_reset forgets a partial record. */
	rb_rec_init(&r, buf, sizeof(buf));
	rc = rb_rec_feed(&r, s.b, 6, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 0);
	rb_rec_reset(&r);
	rc = rb_rec_feed(&r, s.b + 12, 8, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 1);
	CHECK_EQ_U(rec_len, 4);
	CHECK_BYTES(rec, rec_len, p2, 4);
}

static void test_cap(void)
{
	uint8_t buf[RB_RECORD_MAX];
	struct rb_rec_asm r;
	size_t used;
	const uint8_t *rec = NULL;
	uint32_t rec_len = 0;
	uint8_t hdr[4];

	/* 0x7fffffff claimed, nothing behind it: refused on the header. */
	put_hdr(hdr, 0x7fffffffu, 1);
	rb_rec_init(&r, buf, sizeof(buf));
	int rc = rb_rec_feed(&r, hdr, 4, &used, &rec, &rec_len);
	CHECK(rc == -EMSGSIZE);
	/* And it stays failed, even for a valid record. */
	uint8_t ok[8];
	put_hdr(ok, 4, 1);
	memset(ok + 4, 0, 4);
	rc = rb_rec_feed(&r, ok, sizeof(ok), &used, &rec, &rec_len);
	CHECK(rc == -EMSGSIZE);
	rc = rb_rec_feed(&r, ok, sizeof(ok), &used, &rec, &rec_len);
	CHECK(rc == -EMSGSIZE);

	/* Same, as a non-last fragment, and split 2 + 2. */
	put_hdr(hdr, 0x7fffffffu, 0);
	rb_rec_init(&r, buf, sizeof(buf));
	rc = rb_rec_feed(&r, hdr, 2, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 0);
	rc = rb_rec_feed(&r, hdr + 2, 2, &used, &rec, &rec_len);
	CHECK(rc == -EMSGSIZE);

	/* cap + 1 in one fragment. */
	put_hdr(hdr, RB_RECORD_MAX + 1, 1);
	rb_rec_init(&r, buf, sizeof(buf));
	rc = rb_rec_feed(&r, hdr, 4, &used, &rec, &rec_len);
	CHECK(rc == -EMSGSIZE);

	/* A small cap: fragments 60 + 60 against 100 fail on the second
	 * header, before its bytes arrive. */
	uint8_t small[100];
	uint8_t data[200];
	pattern(data, sizeof(data), 5);
	struct stream s = {.n = 0};
	st_frag(&s, data, 60, 0);
	put_hdr(s.b + s.n, 60, 1);
	s.n += 4;
	rb_rec_init(&r, small, sizeof(small));
	struct seen *got = calloc(1, sizeof(*got));
	if (!got)
		abort();
	feed_all(&r, s.b, s.n, got);
	CHECK(got->err == -EMSGSIZE);
	CHECK_EQ_U(got->count, 0);
	free(got);

	/* Exactly the cap, in two fragments (60 + 40), and in one. */
	s.n = 0;
	st_frag(&s, data, 60, 0);
	st_frag(&s, data + 60, 40, 1);
	st_frag(&s, data, 100, 1);
	got = calloc(1, sizeof(*got));
	if (!got)
		abort();
	rb_rec_init(&r, small, sizeof(small));
	feed_all(&r, s.b, s.n, got);
	CHECK_EQ_U(got->err, 0);
	CHECK_EQ_U(got->count, 2);
	CHECK_EQ_U(got->len[0], 100);
	CHECK_EQ_U(got->len[1], 100);
	CHECK_BYTES(got->data[0], 100, data, 100);
	CHECK_BYTES(got->data[1], 100, data, 100);
	free(got);

	/* One byte over the cap in a single whole fragment, all bytes present:
	 * refused even though zero copy would not need buf. */
	s.n = 0;
	st_frag(&s, data, 101, 1);
	rb_rec_init(&r, small, sizeof(small));
	rc = rb_rec_feed(&r, s.b, s.n, &used, &rec, &rec_len);
	CHECK(rc == -EMSGSIZE);

	/* The cap counts record bytes, not fragment headers: 25 fragments of
	 * 4 bytes = 100 fits. */
	s.n = 0;
	for (int i = 0; i < 25; i++)
		st_frag(&s, data + 4 * i, 4, i == 24);
	got = calloc(1, sizeof(*got));
	if (!got)
		abort();
	rb_rec_init(&r, small, sizeof(small));
	feed_all(&r, s.b, s.n, got);
	CHECK_EQ_U(got->err, 0);
	CHECK_EQ_U(got->count, 1);
	CHECK_EQ_U(got->len[0], 100);
	CHECK_BYTES(got->data[0], 100, data, 100);
	free(got);
}

static void test_put_header(void)
{
	uint8_t h[4];

	rb_rec_put_header(h, 0);
	CHECK_BYTES(h, 4, "\x80\x00\x00\x00", 4);
	rb_rec_put_header(h, 28);
	CHECK_BYTES(h, 4, "\x80\x00\x00\x1c", 4);
	rb_rec_put_header(h, 0x12345678u);
	CHECK_BYTES(h, 4, "\x92\x34\x56\x78", 4);
	rb_rec_put_header(h, 9000);
	CHECK_BYTES(h, 4, "\x80\x00\x23\x28", 4);
}

/* Empty fragments cost a header each and bring a record no nearer:
 * RB_RECORD_FRAGS_MAX of them in one record fail the stream, and the
 * count starts again with each record. */
static void test_frags_cap(void)
{
	uint8_t buf[RB_RECORD_MAX];
	struct rb_rec_asm r;
	size_t used, off = 0;
	const uint8_t *rec = NULL;
	uint32_t rec_len = 0;
	static uint8_t s[4u * (RB_RECORD_FRAGS_MAX + 2) + 8];

	/* RB_RECORD_FRAGS_MAX - 1 empty fragments and a last one with 4
	 * bytes: a record, exactly at the cap. */
	for (unsigned i = 0; i + 1 < RB_RECORD_FRAGS_MAX; i++)
		put_hdr(s + 4 * i, 0, 0);
	put_hdr(s + 4 * (RB_RECORD_FRAGS_MAX - 1), 4, 1);
	memcpy(s + 4 * RB_RECORD_FRAGS_MAX, "abcd", 4);
	size_t len = 4 * RB_RECORD_FRAGS_MAX + 4;
	rb_rec_init(&r, buf, sizeof(buf));
	int rc = rb_rec_feed(&r, s, len, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 1);
	CHECK_EQ_U(used, len);
	CHECK_EQ_U(rec_len, 4);
	/* The next record starts its count afresh: the same again is fine. */
	rc = rb_rec_feed(&r, s, len, &used, &rec, &rec_len);
	CHECK_EQ_U(rc, 1);

	/* One empty fragment more: refused on the header past the cap. */
	for (unsigned i = 0; i < RB_RECORD_FRAGS_MAX + 1; i++)
		put_hdr(s + 4 * i, 0, 0);
	rb_rec_init(&r, buf, sizeof(buf));
	for (rc = 0; rc == 0 && off < 4 * (RB_RECORD_FRAGS_MAX + 1); off += used) {
		rc = rb_rec_feed(&r, s + off, 4 * (RB_RECORD_FRAGS_MAX + 1) - off, &used,
				 &rec, &rec_len);
		if (rc == 0 && used == 0)
			break;
	}
	CHECK(rc == -EMSGSIZE);
}

RB_TEST_MAIN({
	test_frags_cap();
	test_single();
	test_multi();
	test_splits();
	test_back_to_back();
	test_cap();
	test_put_header();
})
