/* XDR cursor tests: golden bytes (hand-derived, big-endian, zero padding to
 * 4), sticky errors, length caps and the growable encoder. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/xdr.h"

static void test_get_u32(void)
{
	static const uint8_t in[] = {0x00, 0x00, 0x00, 0x01, 0xde, 0xad,
				     0xbe, 0xef, 0xff, 0xff, 0xff, 0xff};
	struct rb_xdr_dec d;

	rb_xdr_dec_init(&d, in, sizeof(in));
	CHECK_EQ_U(rb_xdr_dec_left(&d), 12);
	CHECK_EQ_U(rb_xdr_get_u32(&d), 1);
	CHECK_EQ_U(rb_xdr_get_u32(&d), 0xdeadbeefu);
	CHECK_EQ_U(rb_xdr_get_u32(&d), 0xffffffffu);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(rb_xdr_dec_left(&d), 0);
	/* One more word than present: error, zero. */
	CHECK_EQ_U(rb_xdr_get_u32(&d), 0);
	CHECK(d.err == -EBADMSG);

	/* A partial word (3 bytes) is truncation too. */
	rb_xdr_dec_init(&d, in, 3);
	CHECK_EQ_U(rb_xdr_get_u32(&d), 0);
	CHECK(d.err == -EBADMSG);

	/* Empty input. */
	rb_xdr_dec_init(&d, in, 0);
	CHECK_EQ_U(rb_xdr_get_u32(&d), 0);
	CHECK(d.err == -EBADMSG);
}

static void test_get_bool(void)
{
	static const uint8_t in[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2,
				     0, 0, 0, 1};
	struct rb_xdr_dec d;

	rb_xdr_dec_init(&d, in, sizeof(in));
	CHECK(rb_xdr_get_bool(&d) == true);
	CHECK(rb_xdr_get_bool(&d) == false);
	CHECK_EQ_U(d.err, 0);
	/* 2 is not a bool. */
	CHECK(rb_xdr_get_bool(&d) == false);
	CHECK(d.err == -EBADMSG);
	/* Sticky: the valid TRUE after it reads as false. */
	CHECK(rb_xdr_get_bool(&d) == false);
	CHECK(d.err == -EBADMSG);

	static const uint8_t big[] = {0x80, 0, 0, 1};
	rb_xdr_dec_init(&d, big, sizeof(big));
	CHECK(rb_xdr_get_bool(&d) == false);
	CHECK(d.err == -EBADMSG);
}

static void test_get_opaque(void)
{
	/* "abcde": len 5, bytes, 3 bytes of padding; then a u32 7. */
	static const uint8_t in[] = {0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0,
				     0, 0, 0, 0, 0, 7};
	struct rb_xdr_dec d;
	struct rb_xdr_bytes b;

	rb_xdr_dec_init(&d, in, sizeof(in));
	b = rb_xdr_get_opaque(&d, 100);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(b.len, 5);
	CHECK(b.ptr == in + 4); /* a view, not a copy */
	CHECK_BYTES(b.ptr, b.len, "abcde", 5);
	CHECK_EQ_U(d.pos, 12); /* padding consumed */
	CHECK_EQ_U(rb_xdr_get_u32(&d), 7);
	CHECK_EQ_U(d.err, 0);

	/* Exactly the max is fine. */
	rb_xdr_dec_init(&d, in, sizeof(in));
	b = rb_xdr_get_opaque(&d, 5);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(b.len, 5);

	/* Over the max: -EMSGSIZE, empty view. */
	rb_xdr_dec_init(&d, in, sizeof(in));
	b = rb_xdr_get_opaque(&d, 4);
	CHECK(d.err == -EMSGSIZE);
	CHECK_EQ_U(b.len, 0);
	/* Sticky. */
	CHECK_EQ_U(rb_xdr_get_u32(&d), 0);
	CHECK(d.err == -EMSGSIZE);

	/* Missing padding: the padded length is what must be present. */
	rb_xdr_dec_init(&d, in, 9);
	b = rb_xdr_get_opaque(&d, 100);
	CHECK(d.err == -EBADMSG);
	CHECK_EQ_U(b.len, 0);
	rb_xdr_dec_init(&d, in, 11);
	b = rb_xdr_get_opaque(&d, 100);
	CHECK(d.err == -EBADMSG);

	/* Zero length: no bytes, no padding. */
	static const uint8_t zero[] = {0, 0, 0, 0, 0, 0, 0, 9};
	rb_xdr_dec_init(&d, zero, sizeof(zero));
	b = rb_xdr_get_opaque(&d, 0);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(b.len, 0);
	CHECK_EQ_U(rb_xdr_get_u32(&d), 9);

	/* Aligned length: 4 bytes, no padding. */
	static const uint8_t four[] = {0, 0, 0, 4, 1, 2, 3, 4, 0, 0, 0, 3};
	rb_xdr_dec_init(&d, four, sizeof(four));
	b = rb_xdr_get_opaque(&d, 4);
	CHECK_EQ_U(b.len, 4);
	CHECK_BYTES(b.ptr, b.len, "\x01\x02\x03\x04", 4);
	CHECK_EQ_U(rb_xdr_get_u32(&d), 3);
	CHECK_EQ_U(d.err, 0);
}

/* The rpcbomb shape: a length word claiming 1,000,000 with 4 bytes behind.
 * Must fail as truncation without touching (or allocating) anything. */
static void test_opaque_lies(void)
{
	static const uint8_t in[] = {0x00, 0x0f, 0x42, 0x40, 'a', 'b', 'c', 'd'};
	struct rb_xdr_dec d;
	struct rb_xdr_bytes b;

	rb_xdr_dec_init(&d, in, sizeof(in));
	b = rb_xdr_get_opaque(&d, 2000000);
	CHECK(d.err == -EBADMSG);
	CHECK_EQ_U(b.len, 0);
	/* Every later get is a no-op giving zeros / empty. */
	CHECK_EQ_U(rb_xdr_get_u32(&d), 0);
	CHECK(rb_xdr_get_bool(&d) == false);
	b = rb_xdr_get_string(&d, 100);
	CHECK_EQ_U(b.len, 0);
	CHECK(rb_xdr_get_fixed(&d, 4) == NULL);
	CHECK(d.err == -EBADMSG);

	/* Over the cap and over what is present: either error will do, but
	 * it must fail and yield nothing. */
	rb_xdr_dec_init(&d, in, sizeof(in));
	b = rb_xdr_get_opaque(&d, RB_XDR_STRING_MAX);
	CHECK(d.err == -EMSGSIZE || d.err == -EBADMSG);
	CHECK_EQ_U(b.len, 0);

	/* 0xffffffff: must not wrap when padded. */
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
	rb_xdr_dec_init(&d, huge, sizeof(huge));
	b = rb_xdr_get_opaque(&d, 0xffffffffu);
	CHECK(d.err == -EBADMSG);
	CHECK_EQ_U(b.len, 0);
	static const uint8_t huge2[] = {0xff, 0xff, 0xff, 0xfd, 1, 2, 3, 4};
	rb_xdr_dec_init(&d, huge2, sizeof(huge2));
	b = rb_xdr_get_opaque(&d, 0xffffffffu);
	CHECK(d.err == -EBADMSG);
	CHECK_EQ_U(b.len, 0);
}

static void test_get_string(void)
{
	static const uint8_t ok[] = {0, 0, 0, 3, 'u', 'd', 'p', 0};
	static const uint8_t nul[] = {0, 0, 0, 3, 'u', 0, 'p', 0};
	struct rb_xdr_dec d;
	struct rb_xdr_bytes b;

	rb_xdr_dec_init(&d, ok, sizeof(ok));
	b = rb_xdr_get_string(&d, RB_XDR_STRING_MAX);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(b.len, 3);
	CHECK(rb_xdr_bytes_eq(b, "udp"));
	CHECK(!rb_xdr_bytes_eq(b, "ud"));
	CHECK(!rb_xdr_bytes_eq(b, "udp6"));
	CHECK(!rb_xdr_bytes_eq(b, "tcp"));
	CHECK_EQ_U(rb_xdr_dec_left(&d), 0);

	/* Embedded NUL rejected. */
	rb_xdr_dec_init(&d, nul, sizeof(nul));
	b = rb_xdr_get_string(&d, RB_XDR_STRING_MAX);
	CHECK(d.err == -EBADMSG);
	CHECK_EQ_U(b.len, 0);
	/* ... while the same bytes are a fine opaque. */
	rb_xdr_dec_init(&d, nul, sizeof(nul));
	b = rb_xdr_get_opaque(&d, RB_XDR_STRING_MAX);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(b.len, 3);

	/* A trailing NUL inside the length is embedded too. */
	static const uint8_t tail[] = {0, 0, 0, 4, 'u', 'd', 'p', 0};
	rb_xdr_dec_init(&d, tail, sizeof(tail));
	b = rb_xdr_get_string(&d, RB_XDR_STRING_MAX);
	CHECK(d.err == -EBADMSG);

	/* Over the max. */
	rb_xdr_dec_init(&d, ok, sizeof(ok));
	b = rb_xdr_get_string(&d, 2);
	CHECK(d.err == -EMSGSIZE);
	CHECK_EQ_U(b.len, 0);

	/* Empty string. */
	static const uint8_t empty[] = {0, 0, 0, 0};
	rb_xdr_dec_init(&d, empty, sizeof(empty));
	b = rb_xdr_get_string(&d, 0);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(b.len, 0);
	CHECK(rb_xdr_bytes_eq(b, ""));
}

static void test_get_fixed(void)
{
	static const uint8_t in[] = {1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 8};
	struct rb_xdr_dec d;
	const uint8_t *p;

	rb_xdr_dec_init(&d, in, sizeof(in));
	p = rb_xdr_get_fixed(&d, 6);
	CHECK(p == in);
	CHECK_EQ_U(d.pos, 8);
	CHECK_EQ_U(rb_xdr_get_u32(&d), 8);
	CHECK_EQ_U(d.err, 0);

	rb_xdr_dec_init(&d, in, sizeof(in));
	p = rb_xdr_get_fixed(&d, 12);
	CHECK(p == in);
	CHECK_EQ_U(rb_xdr_dec_left(&d), 0);

	/* 13 bytes (16 padded) do not fit in 12. */
	rb_xdr_dec_init(&d, in, sizeof(in));
	p = rb_xdr_get_fixed(&d, 13);
	CHECK(p == NULL);
	CHECK(d.err == -EBADMSG);

	/* Padding must be present. */
	rb_xdr_dec_init(&d, in, 6);
	p = rb_xdr_get_fixed(&d, 6);
	CHECK(p == NULL);
	CHECK(d.err == -EBADMSG);
}

static void test_list(void)
{
	/* TRUE 10, TRUE 20, TRUE 30, FALSE */
	static const uint8_t in[] = {0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 1,
				     0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 30,
				     0, 0, 0, 0};
	struct rb_xdr_dec d;
	uint32_t n = 0, sum = 0;

	rb_xdr_dec_init(&d, in, sizeof(in));
	while (rb_xdr_get_list_more(&d, &n, RB_XDR_LIST_MAX))
		sum += rb_xdr_get_u32(&d);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(n, 3);
	CHECK_EQ_U(sum, 60);
	CHECK_EQ_U(rb_xdr_dec_left(&d), 0);

	/* max 3: exactly reached is fine. */
	rb_xdr_dec_init(&d, in, sizeof(in));
	n = 0;
	while (rb_xdr_get_list_more(&d, &n, 3))
		(void)rb_xdr_get_u32(&d);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(n, 3);

	/* max 2: the third TRUE is one too many. */
	rb_xdr_dec_init(&d, in, sizeof(in));
	n = 0;
	unsigned iters = 0;
	while (rb_xdr_get_list_more(&d, &n, 2) && iters < 10) {
		(void)rb_xdr_get_u32(&d);
		iters++;
	}
	CHECK_EQ_U(iters, 2);
	CHECK(d.err == -EMSGSIZE);

	/* A list without its terminator: truncation, the loop ends. */
	rb_xdr_dec_init(&d, in, 24);
	n = 0;
	iters = 0;
	while (rb_xdr_get_list_more(&d, &n, RB_XDR_LIST_MAX) && iters < 10) {
		(void)rb_xdr_get_u32(&d);
		iters++;
	}
	CHECK_EQ_U(iters, 3);
	CHECK(d.err == -EBADMSG);

	/* A bad bool as the list marker. */
	static const uint8_t bad[] = {0, 0, 0, 7};
	rb_xdr_dec_init(&d, bad, sizeof(bad));
	n = 0;
	CHECK(!rb_xdr_get_list_more(&d, &n, 10));
	CHECK(d.err == -EBADMSG);

	/* Empty list. */
	static const uint8_t none[] = {0, 0, 0, 0};
	rb_xdr_dec_init(&d, none, sizeof(none));
	n = 0;
	CHECK(!rb_xdr_get_list_more(&d, &n, 10));
	CHECK_EQ_U(n, 0);
	CHECK_EQ_U(d.err, 0);
}

static void test_sticky_decode(void)
{
	/* A u32, then a bad bool, then lots of valid data: nothing after the
	 * error is read and err never changes. */
	static const uint8_t in[] = {0, 0, 0, 5, 0, 0, 0, 9, 0, 0, 0, 2,
				     'a', 'b', 0, 0, 0, 0, 0, 1};
	struct rb_xdr_dec d;

	rb_xdr_dec_init(&d, in, sizeof(in));
	CHECK_EQ_U(rb_xdr_get_u32(&d), 5);
	CHECK(rb_xdr_get_bool(&d) == false);
	CHECK(d.err == -EBADMSG);
	size_t pos = d.pos;
	CHECK_EQ_U(rb_xdr_get_u32(&d), 0);
	struct rb_xdr_bytes b = rb_xdr_get_opaque(&d, 100);
	CHECK_EQ_U(b.len, 0);
	b = rb_xdr_get_string(&d, 100);
	CHECK_EQ_U(b.len, 0);
	CHECK(rb_xdr_get_fixed(&d, 4) == NULL);
	uint32_t n = 0;
	CHECK(!rb_xdr_get_list_more(&d, &n, 10));
	CHECK_EQ_U(n, 0);
	CHECK(!rb_xdr_get_bool(&d));
	CHECK(d.err == -EBADMSG);
	CHECK_EQ_U(d.pos, pos);

	/* EMSGSIZE stays EMSGSIZE (a later truncation does not replace it). */
	static const uint8_t big[] = {0, 0, 0, 9};
	rb_xdr_dec_init(&d, big, sizeof(big));
	(void)rb_xdr_get_opaque(&d, 4);
	CHECK(d.err == -EMSGSIZE);
	(void)rb_xdr_get_u32(&d);
	CHECK(d.err == -EMSGSIZE);
}

static void test_bytes_to_cstr(void)
{
	struct rb_xdr_bytes b = {(const uint8_t *)"tcp6xx", 4};
	char out[8];

	memset(out, 'Z', sizeof(out));
	CHECK_EQ_U(rb_xdr_bytes_to_cstr(b, out, sizeof(out)), 0);
	CHECK_STR(out, "tcp6");
	/* len + NUL == cap fits. */
	memset(out, 'Z', sizeof(out));
	CHECK_EQ_U(rb_xdr_bytes_to_cstr(b, out, 5), 0);
	CHECK_STR(out, "tcp6");
	/* len == cap does not. */
	CHECK(rb_xdr_bytes_to_cstr(b, out, 4) == -ENAMETOOLONG);
	CHECK(rb_xdr_bytes_to_cstr(b, out, 0) == -ENAMETOOLONG);

	struct rb_xdr_bytes e = {(const uint8_t *)"", 0};
	memset(out, 'Z', sizeof(out));
	CHECK_EQ_U(rb_xdr_bytes_to_cstr(e, out, 1), 0);
	CHECK_EQ_U(out[0], 0);

	struct rb_xdr_bytes empty_null = {NULL, 0};
	CHECK(rb_xdr_bytes_eq(empty_null, ""));
	CHECK(!rb_xdr_bytes_eq(empty_null, "x"));
}

static void test_put(void)
{
	uint8_t buf[64];
	struct rb_xdr_enc e;

	memset(buf, 0xAA, sizeof(buf));
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_xdr_put_u32(&e, 0x01020304u);
	rb_xdr_put_bool(&e, true);
	rb_xdr_put_bool(&e, false);
	rb_xdr_put_opaque(&e, "abcde", 5);
	rb_xdr_put_cstr(&e, "udp6");
	rb_xdr_put_cstr(&e, "");
	rb_xdr_put_opaque(&e, "x", 1);
	rb_xdr_put_opaque(&e, NULL, 0);
	static const uint8_t want[] = {
		0x01, 0x02, 0x03, 0x04,
		0, 0, 0, 1,
		0, 0, 0, 0,
		0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0,
		0, 0, 0, 4, 'u', 'd', 'p', '6',
		0, 0, 0, 0,
		0, 0, 0, 1, 'x', 0, 0, 0,
		0, 0, 0, 0,
	};
	CHECK_EQ_U(e.err, 0);
	CHECK_BYTES(buf, e.pos, want, sizeof(want));

	/* Round trip through the decoder. */
	struct rb_xdr_dec d;
	rb_xdr_dec_init(&d, buf, e.pos);
	CHECK_EQ_U(rb_xdr_get_u32(&d), 0x01020304u);
	CHECK(rb_xdr_get_bool(&d));
	CHECK(!rb_xdr_get_bool(&d));
	struct rb_xdr_bytes b = rb_xdr_get_opaque(&d, 64);
	CHECK(rb_xdr_bytes_eq(b, "abcde"));
	b = rb_xdr_get_string(&d, 64);
	CHECK(rb_xdr_bytes_eq(b, "udp6"));
	b = rb_xdr_get_string(&d, 64);
	CHECK(rb_xdr_bytes_eq(b, ""));
	b = rb_xdr_get_opaque(&d, 64);
	CHECK(rb_xdr_bytes_eq(b, "x"));
	b = rb_xdr_get_opaque(&d, 64);
	CHECK_EQ_U(b.len, 0);
	CHECK_EQ_U(d.err, 0);
	CHECK_EQ_U(rb_xdr_dec_left(&d), 0);
}

static void test_reserve(void)
{
	uint8_t buf[16];
	struct rb_xdr_enc e;

	rb_xdr_enc_init(&e, buf, sizeof(buf));
	uint8_t *hdr = rb_xdr_put_reserve(&e, 4);
	CHECK(hdr == buf);
	rb_xdr_put_u32(&e, 42);
	CHECK_EQ_U(e.pos, 8);
	memcpy(hdr, "\x80\x00\x00\x04", 4);
	CHECK_BYTES(buf, 8, "\x80\x00\x00\x04\x00\x00\x00\x2a", 8);
	CHECK(rb_xdr_put_reserve(&e, 8) == buf + 8);
	CHECK_EQ_U(e.pos, 16);
	CHECK(rb_xdr_put_reserve(&e, 4) == NULL);
	CHECK(e.err == -EMSGSIZE);
	CHECK(rb_xdr_put_reserve(&e, 0) == NULL); /* sticky */
}

static void test_fixed_overflow(void)
{
	uint8_t buf[12];
	struct rb_xdr_enc e;

	memset(buf, 0xAA, sizeof(buf));
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_xdr_put_u32(&e, 1);
	rb_xdr_put_u32(&e, 2);
	rb_xdr_put_u32(&e, 3); /* exactly full */
	CHECK_EQ_U(e.err, 0);
	CHECK_EQ_U(e.pos, 12);
	rb_xdr_put_u32(&e, 4);
	CHECK(e.err == -EMSGSIZE);
	CHECK_EQ_U(e.pos, 12);

	/* An opaque that would run past the end writes nothing. */
	memset(buf, 0xAA, sizeof(buf));
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_xdr_put_u32(&e, 7);
	rb_xdr_put_opaque(&e, "abcde", 5); /* needs 12, 8 left */
	CHECK(e.err == -EMSGSIZE);
	CHECK_EQ_U(buf[8], 0xAA);
	/* Sticky: a word that would fit is not written either. */
	size_t pos = e.pos;
	rb_xdr_put_u32(&e, 9);
	CHECK(e.err == -EMSGSIZE);
	CHECK_EQ_U(e.pos, pos);

	/* Padding counts: 5 bytes of data need 12 with length and pad. */
	rb_xdr_enc_init(&e, buf, 11);
	rb_xdr_put_opaque(&e, "abcde", 5);
	CHECK(e.err == -EMSGSIZE);
	rb_xdr_enc_init(&e, buf, 12);
	rb_xdr_put_opaque(&e, "abcde", 5);
	CHECK_EQ_U(e.err, 0);
	CHECK_EQ_U(e.pos, 12);

	/* Zero capacity. */
	rb_xdr_enc_init(&e, buf, 0);
	rb_xdr_put_bool(&e, true);
	CHECK(e.err == -EMSGSIZE);
	rb_xdr_enc_init(&e, buf, 3);
	rb_xdr_put_cstr(&e, "");
	CHECK(e.err == -EMSGSIZE);
}

static void test_growable(void)
{
	struct rb_xdr_enc e;
	uint8_t *start = malloc(8);

	CHECK(start != NULL);
	if (!start)
		return;
	rb_xdr_enc_init_growable(&e, start, 8, 4096);
	for (uint32_t i = 0; i < 1024; i++)
		rb_xdr_put_u32(&e, i);
	CHECK_EQ_U(e.err, 0);
	CHECK_EQ_U(e.pos, 4096);
	CHECK(e.cap >= 4096);
	CHECK(e.cap <= 4096); /* never beyond the limit */
	/* Contents survived every realloc. */
	unsigned bad = 0;
	for (uint32_t i = 0; i < 1024; i++) {
		const uint8_t *p = e.buf + 4 * i;
		uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			     (uint32_t)p[2] << 8 | p[3];
		if (v != i)
			bad++;
	}
	CHECK_EQ_U(bad, 0);
	/* At the limit: the next word fails. */
	rb_xdr_put_u32(&e, 0);
	CHECK(e.err == -EMSGSIZE);
	CHECK_EQ_U(e.pos, 4096);
	free(e.buf);

	/* Grows for a big opaque in one step. */
	start = malloc(4);
	CHECK(start != NULL);
	if (!start)
		return;
	uint8_t blob[1000];
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	rb_xdr_enc_init_growable(&e, start, 4, 2000);
	rb_xdr_put_opaque(&e, blob, 999);
	CHECK_EQ_U(e.err, 0);
	CHECK_EQ_U(e.pos, 4 + 1000);
	CHECK_BYTES(e.buf + 4, 999, blob, 999);
	CHECK_EQ_U(e.buf[4 + 999], 0); /* padding */
	/* 1000 more bytes would pass the limit of 2000. */
	rb_xdr_put_opaque(&e, blob, 1000);
	CHECK(e.err == -EMSGSIZE);
	CHECK_EQ_U(e.pos, 1004);
	free(e.buf);

	/* Starting from no buffer at all. */
	rb_xdr_enc_init_growable(&e, NULL, 0, 64);
	rb_xdr_put_cstr(&e, "0.0.0.0.0.111");
	CHECK_EQ_U(e.err, 0);
	CHECK_EQ_U(e.pos, 20);
	CHECK(e.buf != NULL);
	if (e.buf)
		CHECK_BYTES(e.buf, 20, "\0\0\0\x0d" "0.0.0.0.0.111\0\0\0", 20);
	for (int i = 0; i < 11; i++)
		rb_xdr_put_u32(&e, 1); /* 20 + 44 = 64: the limit exactly */
	CHECK_EQ_U(e.err, 0);
	CHECK_EQ_U(e.pos, 64);
	rb_xdr_put_u32(&e, 1);
	CHECK(e.err == -EMSGSIZE);
	free(e.buf);

	/* Limit smaller than one word past the start: fails at once. */
	start = malloc(4);
	CHECK(start != NULL);
	if (!start)
		return;
	rb_xdr_enc_init_growable(&e, start, 4, 6);
	rb_xdr_put_u32(&e, 1);
	rb_xdr_put_u32(&e, 2);
	CHECK(e.err == -EMSGSIZE);
	CHECK_EQ_U(e.pos, 4);
	free(e.buf);
}

RB_TEST_MAIN({
	test_get_u32();
	test_get_bool();
	test_get_opaque();
	test_opaque_lies();
	test_get_string();
	test_get_fixed();
	test_list();
	test_sticky_decode();
	test_bytes_to_cstr();
	test_put();
	test_reserve();
	test_fixed_overflow();
	test_growable();
})
