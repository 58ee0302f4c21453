/* RPC record marking for stream transports (RFC 5531 section 11).
 *
 * A record is one or more fragments, each led by a 4-byte header: bit 31 set
 * on the last fragment, the low 31 bits the fragment length. The reassembler
 * is incremental: feed it whatever a read returned, in any split, and it
 * yields complete records. It never buffers beyond its cap: a fragment
 * header that would take the record past the cap fails the stream at once,
 * before any of the claimed bytes are read. */
#ifndef RB_CORE_RECORD_H
#define RB_CORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* rpcbind's record cap; every legitimate port-mapper call is far smaller. */
#define RB_RECORD_MAX 9000u
/* Fragments in one record: far more than any client splits a call into
 * (a 44-byte call in 1-byte fragments is 44), and a bound on a stream of
 * empty fragments, which would otherwise keep a connection busy forever
 * without a call ever completing. */
#define RB_RECORD_FRAGS_MAX 1024u
#define RB_RECORD_LAST 0x80000000u

struct rb_rec_asm {
	uint8_t *buf;      /* caller-owned, cap bytes; may be NULL until needed */
	uint32_t cap;      /* maximum record size */
	uint32_t have;     /* record bytes gathered in buf */
	uint32_t frag_left; /* bytes of the current fragment still to come */
	uint8_t hdr[4];    /* a fragment header split across reads */
	uint8_t hdr_have;
	uint8_t last;      /* the current fragment is the record's last */
	uint8_t in_frag;   /* a fragment header has been read */
	uint8_t failed;    /* sticky: the stream is unusable */
	uint16_t frags;    /* fragment headers read for this record */
};

void rb_rec_init(struct rb_rec_asm *r, uint8_t *buf, uint32_t cap);
/* Forgets any partial record (e.g. when a connection is reused). */
void rb_rec_reset(struct rb_rec_asm *r);

/* Consumes bytes from data[0..len) up to the end of the next complete
 * record, and sets *used to how many it took.
 *   1: a record is ready: *rec and *rec_len point at it, either into buf or,
 *      when the record was one whole fragment inside data, into data
 *      (no copy). Valid until the next call.
 *   0: all of data was consumed and no record is complete yet.
 *   -EMSGSIZE: the record would exceed cap, or RB_RECORD_FRAGS_MAX
 *      fragments; the stream must be dropped.
 *   -ENOBUFS: buf is NULL and bytes must be gathered: set r->buf (cap
 *      bytes) and call again with data + *used.
 * Call again with data + *used for the rest. */
int rb_rec_feed(struct rb_rec_asm *r, const uint8_t *data, size_t len,
		size_t *used, const uint8_t **rec, uint32_t *rec_len);

/* Writes a last-fragment header for a record of len bytes. */
void rb_rec_put_header(uint8_t out[4], uint32_t len);
/* Writes the header of a fragment of len bytes; last: the record's last
 * (a large reply goes out as several fragments: registry/procs/stream.h). */
void rb_rec_put_frag_header(uint8_t out[4], uint32_t len, bool last);

#endif
