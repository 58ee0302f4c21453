/* XDR (RFC 4506) cursors with a sticky error.
 *
 * Decoding never copies or allocates what a length field claims: strings and
 * opaques come back as (pointer, length) views into the input, after the
 * length has been checked against both the bytes actually present and a
 * caller-supplied maximum. Every call on a cursor in error is a no-op that
 * yields zeros, so a decoder reads a whole structure and checks once. */
#ifndef RB_CORE_XDR_H
#define RB_CORE_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sticky error codes (negative errno values, as everywhere in ringbind). */
#define RB_XDR_OK 0
/* The default cap on any single string or opaque we decode. rpcbind's
 * records are at most 9000 bytes, so nothing legitimate comes near it. */
#define RB_XDR_STRING_MAX 1024u
/* The cap on elements of one optional-data list (pmaplist, rpcblist, ...)
 * that a decoder will walk; protects callers that iterate a peer's list. */
#define RB_XDR_LIST_MAX 65536u

struct rb_xdr_dec {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int err; /* 0, or -EBADMSG (truncated / bad value), -EMSGSIZE (over a max) */
};

/* A view into the decoded buffer; not NUL-terminated. */
struct rb_xdr_bytes {
	const uint8_t *ptr;
	uint32_t len;
};

void rb_xdr_dec_init(struct rb_xdr_dec *d, const void *buf, size_t len);
/* The out-of-line path of rb_xdr_get_u32: errors and truncation. */
uint32_t rb_xdr_get_u32_slow(struct rb_xdr_dec *d);
/* Inline: a port mapper call is mostly u32s, and a call per word costs a
 * measurable share of a lookup. */
static inline uint32_t rb_xdr_get_u32(struct rb_xdr_dec *d)
{
	if (__builtin_expect(d->err == 0 && d->len - d->pos >= 4, 1)) {
		const uint8_t *p = d->buf + d->pos;
		d->pos += 4;
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | (uint32_t)p[3];
	}
	return rb_xdr_get_u32_slow(d);
}
/* XDR bool: 0 or 1; anything else sets -EBADMSG. */
bool rb_xdr_get_bool(struct rb_xdr_dec *d);
/* Variable-length opaque / string: length word, bytes, zero padding to 4.
 * len > max gives -EMSGSIZE; fewer bytes present than claimed, -EBADMSG. */
struct rb_xdr_bytes rb_xdr_get_opaque(struct rb_xdr_dec *d, uint32_t max);
/* As get_opaque, but rejects embedded NUL bytes (-EBADMSG). */
struct rb_xdr_bytes rb_xdr_get_string(struct rb_xdr_dec *d, uint32_t max);
/* Fixed-length opaque of n bytes (+ padding). */
const uint8_t *rb_xdr_get_fixed(struct rb_xdr_dec *d, uint32_t n);
/* Optional-data list step: reads the bool that precedes each element.
 * Returns true when an element follows; counts elements in *n and fails
 * with -EMSGSIZE once more than max elements are announced. */
bool rb_xdr_get_list_more(struct rb_xdr_dec *d, uint32_t *n, uint32_t max);
static inline size_t rb_xdr_dec_left(const struct rb_xdr_dec *d)
{
	return d->len - d->pos;
}

/* Copies a string view into a NUL-terminated buffer of size cap.
 * Returns 0, or -ENAMETOOLONG when it does not fit. */
int rb_xdr_bytes_to_cstr(struct rb_xdr_bytes b, char *out, size_t cap);
bool rb_xdr_bytes_eq(struct rb_xdr_bytes b, const char *s);

/* Encoder over a caller buffer. When `grow` is set the encoder may realloc
 * buf up to `limit` bytes; the caller owns (and frees) buf afterwards. */
struct rb_xdr_enc {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	size_t limit;
	bool grow;
	int err; /* 0, or -EMSGSIZE (would pass cap/limit), -ENOMEM */
};

void rb_xdr_enc_init(struct rb_xdr_enc *e, void *buf, size_t cap);
void rb_xdr_enc_init_growable(struct rb_xdr_enc *e, void *buf, size_t cap,
			      size_t limit);
/* The out-of-line path of rb_xdr_put_u32: growth and errors. */
void rb_xdr_put_u32_slow(struct rb_xdr_enc *e, uint32_t v);
static inline void rb_xdr_put_u32(struct rb_xdr_enc *e, uint32_t v)
{
	if (__builtin_expect(e->err == 0 && e->pos + 4 <= e->cap && e->pos + 4 <= e->limit, 1)) {
		uint8_t *p = e->buf + e->pos;
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
		e->pos += 4;
		return;
	}
	rb_xdr_put_u32_slow(e, v);
}
void rb_xdr_put_bool(struct rb_xdr_enc *e, bool v);
void rb_xdr_put_opaque(struct rb_xdr_enc *e, const void *p, uint32_t len);
void rb_xdr_put_cstr(struct rb_xdr_enc *e, const char *s);
/* Reserves n bytes (n a multiple of 4) and returns where to write them, or
 * NULL on error. Used by the record-marking writer to back-patch a header. */
uint8_t *rb_xdr_put_reserve(struct rb_xdr_enc *e, size_t n);

#endif
