#include "core/record.h"

#include <errno.h>
#include <string.h>

void rb_rec_init(struct rb_rec_asm *r, uint8_t *buf, uint32_t cap)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->cap = cap;
}

void rb_rec_reset(struct rb_rec_asm *r)
{
	rb_rec_init(r, r->buf, r->cap);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void rb_rec_put_header(uint8_t out[4], uint32_t len)
{
	rb_rec_put_frag_header(out, len, true);
}

void rb_rec_put_frag_header(uint8_t out[4], uint32_t len, bool last)
{
	uint32_t h = (last ? RB_RECORD_LAST : 0u) | (len & ~RB_RECORD_LAST);
	out[0] = (uint8_t)(h >> 24);
	out[1] = (uint8_t)(h >> 16);
	out[2] = (uint8_t)(h >> 8);
	out[3] = (uint8_t)h;
}

int rb_rec_feed(struct rb_rec_asm *r, const uint8_t *data, size_t len,
		size_t *used, const uint8_t **rec, uint32_t *rec_len)
{
	size_t pos = 0;

	*used = 0;
	if (r->failed)
		return -EMSGSIZE;
	for (;;) {
		if (!r->in_frag) {
			/* Fast path: a whole single-fragment record at a
			 * record boundary is handed out in place. */
			if (r->have == 0 && r->hdr_have == 0 && len - pos >= 4) {
				uint32_t h = be32(data + pos);
				uint32_t flen = h & ~RB_RECORD_LAST;
				if ((h & RB_RECORD_LAST) && flen <= r->cap &&
				    len - pos - 4 >= flen) {
					*rec = data + pos + 4;
					*rec_len = flen;
					*used = pos + 4 + flen;
					r->frags = 0; /* (empty ones may have led) */
					return 1;
				}
			}
			while (r->hdr_have < 4 && pos < len)
				r->hdr[r->hdr_have++] = data[pos++];
			if (r->hdr_have < 4) {
				*used = pos;
				return 0;
			}
			uint32_t h = be32(r->hdr);
			uint32_t flen = h & ~RB_RECORD_LAST;
			r->hdr_have = 0;
			/* Refuse on the header alone: the claimed bytes are
			 * never waited for, let alone buffered. */
			if (flen > r->cap - r->have || ++r->frags > RB_RECORD_FRAGS_MAX) {
				r->failed = 1;
				*used = pos;
				return -EMSGSIZE;
			}
			r->in_frag = 1;
			r->last = (h & RB_RECORD_LAST) != 0;
			r->frag_left = flen;
		}
		size_t n = len - pos;
		if (n > r->frag_left)
			n = r->frag_left;
		if (n && !r->buf) {
			/* The caller allocates buffers lazily: only a record
			 * split across reads needs one. Nothing of data[pos..]
			 * is consumed; call again once buf is set. */
			*used = pos;
			return -ENOBUFS;
		}
		if (n) {
			memcpy(r->buf + r->have, data + pos, n);
			r->have += (uint32_t)n;
			r->frag_left -= (uint32_t)n;
			pos += n;
		}
		if (r->frag_left) {
			*used = pos;
			return 0;
		}
		r->in_frag = 0;
		if (r->last) {
			*rec = r->buf;
			*rec_len = r->have;
			r->have = 0;
			r->last = 0;
			r->frags = 0;
			*used = pos;
			return 1;
		}
	}
}
