#include "core/xdr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t pad4(uint32_t n)
{
	return (4u - (n & 3u)) & 3u;
}

void rb_xdr_dec_init(struct rb_xdr_dec *d, const void *buf, size_t len)
{
	d->buf = buf;
	d->len = buf ? len : 0;
	d->pos = 0;
	d->err = 0;
}

static inline void dec_fail(struct rb_xdr_dec *d, int err)
{
	if (!d->err)
		d->err = err;
}

uint32_t rb_xdr_get_u32_slow(struct rb_xdr_dec *d)
{
	if (d->err)
		return 0;
	if (d->len - d->pos < 4) {
		dec_fail(d, -EBADMSG);
		return 0;
	}
	uint32_t v = load_be32(d->buf + d->pos);
	d->pos += 4;
	return v;
}

bool rb_xdr_get_bool(struct rb_xdr_dec *d)
{
	uint32_t v = rb_xdr_get_u32(d);
	if (v > 1) {
		dec_fail(d, -EBADMSG);
		return false;
	}
	return v == 1;
}

struct rb_xdr_bytes rb_xdr_get_opaque(struct rb_xdr_dec *d, uint32_t max)
{
	struct rb_xdr_bytes b = { NULL, 0 };
	uint32_t n = rb_xdr_get_u32(d);
	if (d->err)
		return b;
	if (n > max) {
		dec_fail(d, -EMSGSIZE);
		return b;
	}
	/* Compare against what is present before adding padding, so a huge
	 * claimed length cannot overflow the arithmetic. */
	size_t left = d->len - d->pos;
	if (n > left || pad4(n) > left - n) {
		dec_fail(d, -EBADMSG);
		return b;
	}
	b.ptr = d->buf + d->pos;
	b.len = n;
	d->pos += (size_t)n + pad4(n);
	return b;
}

struct rb_xdr_bytes rb_xdr_get_string(struct rb_xdr_dec *d, uint32_t max)
{
	struct rb_xdr_bytes b = rb_xdr_get_opaque(d, max);
	if (b.len && memchr(b.ptr, 0, b.len)) {
		dec_fail(d, -EBADMSG);
		b.ptr = NULL;
		b.len = 0;
	}
	return b;
}

const uint8_t *rb_xdr_get_fixed(struct rb_xdr_dec *d, uint32_t n)
{
	if (d->err)
		return NULL;
	size_t left = d->len - d->pos;
	if (n > left || pad4(n) > left - n) {
		dec_fail(d, -EBADMSG);
		return NULL;
	}
	const uint8_t *p = d->buf + d->pos;
	d->pos += (size_t)n + pad4(n);
	return p;
}

bool rb_xdr_get_list_more(struct rb_xdr_dec *d, uint32_t *n, uint32_t max)
{
	if (!rb_xdr_get_bool(d))
		return false;
	if (*n >= max) {
		dec_fail(d, -EMSGSIZE);
		return false;
	}
	(*n)++;
	return true;
}

int rb_xdr_bytes_to_cstr(struct rb_xdr_bytes b, char *out, size_t cap)
{
	if (cap == 0 || b.len >= cap)
		return -ENAMETOOLONG;
	if (b.len)
		memcpy(out, b.ptr, b.len);
	out[b.len] = '\0';
	return 0;
}

bool rb_xdr_bytes_eq(struct rb_xdr_bytes b, const char *s)
{
	size_t n = strlen(s);
	return n == b.len && (n == 0 || memcmp(b.ptr, s, n) == 0);
}

void rb_xdr_enc_init(struct rb_xdr_enc *e, void *buf, size_t cap)
{
	e->buf = buf;
	e->cap = buf ? cap : 0;
	e->pos = 0;
	e->limit = e->cap;
	e->grow = false;
	e->err = 0;
}

void rb_xdr_enc_init_growable(struct rb_xdr_enc *e, void *buf, size_t cap,
			      size_t limit)
{
	rb_xdr_enc_init(e, buf, cap);
	e->limit = limit > e->cap ? limit : e->cap;
	e->grow = true;
}

/* Makes room for n more bytes; false (with err set) when it cannot. */
static bool enc_room(struct rb_xdr_enc *e, size_t n)
{
	if (e->err)
		return false;
	/* The limit binds even inside an already-grown buffer: a caller may
	 * lower it for one message (a datagram) and raise it again. */
	if (e->pos > e->limit || e->limit - e->pos < n) {
		e->err = -EMSGSIZE;
		return false;
	}
	if (e->cap - e->pos >= n)
		return true;
	if (!e->grow) {
		e->err = -EMSGSIZE;
		return false;
	}
	size_t want = e->cap ? e->cap : 256;
	while (want - e->pos < n)
		want *= 2;
	if (want > e->limit)
		want = e->limit;
	uint8_t *nb = realloc(e->buf, want);
	if (!nb) {
		e->err = -ENOMEM;
		return false;
	}
	e->buf = nb;
	e->cap = want;
	return true;
}

void rb_xdr_put_u32_slow(struct rb_xdr_enc *e, uint32_t v)
{
	if (!enc_room(e, 4))
		return;
	store_be32(e->buf + e->pos, v);
	e->pos += 4;
}

void rb_xdr_put_bool(struct rb_xdr_enc *e, bool v)
{
	rb_xdr_put_u32(e, v ? 1u : 0u);
}

void rb_xdr_put_opaque(struct rb_xdr_enc *e, const void *p, uint32_t len)
{
	uint32_t pad = pad4(len);
	if (!enc_room(e, 4 + (size_t)len + pad))
		return;
	store_be32(e->buf + e->pos, len);
	e->pos += 4;
	if (len)
		memcpy(e->buf + e->pos, p, len);
	e->pos += len;
	for (uint32_t i = 0; i < pad; i++)
		e->buf[e->pos++] = 0;
}

void rb_xdr_put_cstr(struct rb_xdr_enc *e, const char *s)
{
	size_t n = strlen(s);
	if (n > UINT32_MAX) {
		if (!e->err)
			e->err = -EMSGSIZE;
		return;
	}
	rb_xdr_put_opaque(e, s, (uint32_t)n);
}

uint8_t *rb_xdr_put_reserve(struct rb_xdr_enc *e, size_t n)
{
	if (!enc_room(e, n))
		return NULL;
	uint8_t *p = e->buf + e->pos;
	e->pos += n;
	return p;
}
