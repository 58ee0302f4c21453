/* Fuzz target: the persistence formats (registry/format/journal.c). Byte 0 picks
 * what the rest is:
 *   0 a journal             1 a journal, CRCs fixed up first
 *   2 a snapshot            3 a snapshot, lengths and CRCs fixed up first
 *   4 rpcbind.xdr           5 portmap.xdr
 *   6, 7 every scanner on the same bytes
 * The fix-ups let the fuzzer past the checksums into the decoders, which it
 * could otherwise reach only by forging CRC32C.
 * Invariants: nothing is delivered from a refused snapshot or warm-start
 * file; every delivered record is well-formed; a journal's good prefix and
 * an accepted snapshot re-encode to exactly their input bytes (one encoding
 * per record); counts add up; the journal's records applied to a registry
 * survive a snapshot round trip in registration order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "registry/format/crc32c.h"
#include "registry/format/journal.h"
#include "registry/store/registry.h"

#define FZ_INPUT_MAX (64u * 1024u)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Records collected from a scan (the input cap bounds their number). */
struct sink {
	struct rb_jrec *v;
	size_t n, cap;
	int answer;
};

static int sink_cb(void *arg, const struct rb_jrec *r)
{
	struct sink *s = arg;
	FZ_ASSERT(r->op == RB_JOP_ADD || r->op == RB_JOP_DEL);
	FZ_ASSERT(memchr(r->netid, 0, sizeof(r->netid)) != NULL);
	FZ_ASSERT(memchr(r->uaddr, 0, sizeof(r->uaddr)) != NULL);
	FZ_ASSERT(memchr(r->owner, 0, sizeof(r->owner)) != NULL);
	if (r->op == RB_JOP_ADD)
		FZ_ASSERT(r->netid[0] != '\0');
	else
		FZ_ASSERT(r->uaddr[0] == '\0' && r->owner[0] == '\0');
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct rb_jrec *nv = realloc(s->v, nc * sizeof(*nv));
		FZ_ASSERT(nv != NULL);
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = *r;
	return s->answer;
}

/* Recomputes the CRCs of every well-framed record from pos on. */
static void fix_records(uint8_t *b, size_t len, size_t pos)
{
	while (len - pos >= RB_JREC_FRAME) {
		uint32_t n = be32(b + pos);
		if (n > RB_JREC_MAX || len - pos - RB_JREC_FRAME < n)
			break;
		put_be32(b + pos + 4,
			 rb_crc32c(rb_crc32c(0, b + pos, 4), b + pos + 8, n));
		pos += RB_JREC_FRAME + n;
	}
}

static void fix_journal(uint8_t *b, size_t len)
{
	if (len < RB_JHDR_SIZE)
		return;
	put_be32(b + 20, rb_crc32c(0, b, 20));
	fix_records(b, len, RB_JHDR_SIZE);
}

static void fix_snapshot(uint8_t *b, size_t len)
{
	if (len < RB_SNAP_HDR_SIZE)
		return;
	fix_records(b, len, RB_SNAP_HDR_SIZE);
	uint64_t body = len - RB_SNAP_HDR_SIZE;
	put_be32(b + 24, (uint32_t)(body >> 32));
	put_be32(b + 28, (uint32_t)body);
	put_be32(b + 32, rb_crc32c(0, b + RB_SNAP_HDR_SIZE, body));
	put_be32(b + 36, rb_crc32c(0, b, 36));
}

/* Registry entries equal, in order. */
static void same_registry(const struct rb_registry *a, const struct rb_registry *b)
{
	const struct rb_entry *x = rb_registry_first(a), *y = rb_registry_first(b);
	for (; x && y; x = rb_registry_next(x), y = rb_registry_next(y)) {
		FZ_ASSERT(x->prog == y->prog && x->vers == y->vers);
		FZ_ASSERT(strcmp(x->netid, y->netid) == 0);
		FZ_ASSERT(strcmp(rb_entry_uaddr(x), rb_entry_uaddr(y)) == 0);
		FZ_ASSERT(strcmp(rb_entry_owner(x), rb_entry_owner(y)) == 0);
	}
	FZ_ASSERT(!x && !y);
}

/* Applies the records to a registry, writes it as a snapshot, reads that
 * back into another registry: the two must match. */
static void registry_round_trip(const struct sink *s)
{
	struct rb_registry *a, *b;
	FZ_ASSERT(rb_registry_new(&a) == 0 && rb_registry_new(&b) == 0);
	struct rb_jrec_sink sa = {a, 0}, sb = {b, 0};
	for (size_t i = 0; i < s->n; i++)
		FZ_ASSERT(rb_jrec_apply(&sa, &s->v[i]) >= 0);

	struct rb_snapshot_writer w;
	struct rb_xdr_enc e;
	rb_snapshot_begin(&w, 77);
	rb_xdr_enc_init_growable(&e, NULL, 0, 16u << 20);
	FZ_ASSERT(rb_xdr_put_reserve(&e, RB_SNAP_HDR_SIZE) != NULL);
	struct rb_jrec r;
	for (const struct rb_entry *it = rb_registry_first(a); it;
	     it = rb_registry_next(it)) {
		rb_jrec_from_entry(&r, it);
		FZ_ASSERT(rb_snapshot_put_entry(&w, &e, &r) == 0);
	}
	/* The header goes in last, over the space reserved (h may have
	 * moved as the buffer grew). */
	rb_snapshot_put_header(&w, e.buf);
	struct rb_snapshot_info info;
	FZ_ASSERT(rb_snapshot_scan(e.buf, e.pos, rb_jrec_apply, &sb, &info) == 0);
	FZ_ASSERT(info.count == rb_registry_count(a));
	FZ_ASSERT(info.not_applied == 0);
	same_registry(a, b);
	free(e.buf);
	rb_registry_synchronize(a);
	rb_registry_synchronize(b);
	rb_registry_free(a);
	rb_registry_free(b);
}

static void check_journal(const uint8_t *buf, size_t len)
{
	struct sink s = {0};
	struct rb_scan_report rep;
	int r = rb_journal_scan(buf, len, sink_cb, &s, &rep);
	FZ_ASSERT(rep.good_len + rep.dropped == len);
	if (r != 0) {
		FZ_ASSERT(r == -EBADMSG && rep.stop == RB_SCAN_BAD_HEADER);
		FZ_ASSERT(s.n == 0);
		free(s.v);
		return;
	}
	FZ_ASSERT(rep.records == s.n);
	FZ_ASSERT(rep.good_len >= RB_JHDR_SIZE);
	FZ_ASSERT((rep.stop == RB_SCAN_CLEAN) == (rep.dropped == 0));

	/* The good prefix is exactly the canonical encoding of what came out. */
	struct rb_xdr_enc e;
	rb_xdr_enc_init_growable(&e, NULL, 0, len + 1);
	rb_journal_put_header(&e, rep.generation);
	for (size_t i = 0; i < s.n; i++)
		FZ_ASSERT(rb_journal_put(&e, &s.v[i]) == 0);
	FZ_ASSERT(e.err == 0 && e.pos == rep.good_len);
	FZ_ASSERT(memcmp(e.buf, buf, e.pos) == 0);

	/* Scanning just the prefix: clean, the same records. */
	struct rb_scan_report rep2;
	FZ_ASSERT(rb_journal_scan(e.buf, e.pos, NULL, NULL, &rep2) == 0);
	FZ_ASSERT(rep2.stop == RB_SCAN_CLEAN && rep2.records == s.n);
	free(e.buf);

	/* A callback error stops the scan before the first record. */
	if (s.n) {
		struct sink t = {.answer = -ENOMEM};
		FZ_ASSERT(rb_journal_scan(buf, len, sink_cb, &t, &rep2) == -ENOMEM);
		FZ_ASSERT(rep2.stop == RB_SCAN_STOPPED && rep2.records == 0 &&
			  rep2.good_len == RB_JHDR_SIZE);
		free(t.v);
	}
	registry_round_trip(&s);
	free(s.v);
}

static void check_snapshot(const uint8_t *buf, size_t len)
{
	struct sink s = {0};
	struct rb_snapshot_info info;
	int r = rb_snapshot_scan(buf, len, sink_cb, &s, &info);
	if (r != 0) {
		FZ_ASSERT(r == -EBADMSG && info.reason != NULL);
		FZ_ASSERT(s.n == 0); /* refused whole */
		free(s.v);
		return;
	}
	FZ_ASSERT(info.reason == NULL && info.count == s.n);
	/* Re-encoded, the snapshot is its input, byte for byte. */
	struct rb_snapshot_writer w;
	struct rb_xdr_enc e;
	rb_snapshot_begin(&w, info.generation);
	rb_xdr_enc_init_growable(&e, NULL, 0, len + 1);
	FZ_ASSERT(rb_xdr_put_reserve(&e, RB_SNAP_HDR_SIZE) != NULL);
	for (size_t i = 0; i < s.n; i++) {
		FZ_ASSERT(s.v[i].op == RB_JOP_ADD);
		FZ_ASSERT(rb_snapshot_put_entry(&w, &e, &s.v[i]) == 0);
	}
	rb_snapshot_put_header(&w, e.buf);
	FZ_ASSERT(e.err == 0 && e.pos == len);
	FZ_ASSERT(memcmp(e.buf, buf, len) == 0);
	free(e.buf);
	free(s.v);
}

static void check_warm(const uint8_t *buf, size_t len, bool portmap)
{
	struct sink s = {0};
	struct rb_warm_report rep;
	int r = portmap ? rb_portmap_xdr_scan(buf, len, sink_cb, &s, &rep)
			: rb_rpcbind_xdr_scan(buf, len, sink_cb, &s, &rep);
	if (r != 0) {
		FZ_ASSERT(r == -EBADMSG && rep.reason != NULL);
		FZ_ASSERT(s.n == 0);
		free(s.v);
		return;
	}
	FZ_ASSERT(rep.entries <= RB_WARM_ENTRIES_MAX);
	FZ_ASSERT(rep.imported + rep.not_applied + rep.skipped + rep.rejected ==
		  rep.entries);
	FZ_ASSERT(rep.imported == s.n && rep.not_applied == 0);
	for (size_t i = 0; i < s.n; i++) {
		const struct rb_jrec *e = &s.v[i];
		FZ_ASSERT(e->op == RB_JOP_ADD && e->prog != RB_PMAP_PROG);
		if (portmap) {
			FZ_ASSERT(!strcmp(e->netid, "tcp") || !strcmp(e->netid, "udp"));
			FZ_ASSERT(strncmp(e->uaddr, "0.0.0.0.", 8) == 0);
			FZ_ASSERT(!strcmp(e->owner, "superuser"));
		}
	}
	/* Validation alone agrees with the delivering pass. */
	struct rb_warm_report v;
	FZ_ASSERT((portmap ? rb_portmap_xdr_scan(buf, len, NULL, NULL, &v)
			   : rb_rpcbind_xdr_scan(buf, len, NULL, NULL, &v)) == 0);
	FZ_ASSERT(v.entries == rep.entries && v.imported == rep.imported &&
		  v.skipped == rep.skipped && v.rejected == rep.rejected);
	free(s.v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FZ_INPUT_MAX)
		return 0;
	unsigned mode = data[0] & 7u;
	size_t n = size - 1;
	/* An exact-size heap copy: ASan sees any read past the end, and the
	 * fix-ups have something writable. */
	uint8_t *b = malloc(n ? n : 1);
	FZ_ASSERT(b != NULL);
	memcpy(b, data + 1, n);
	switch (mode) {
	case 1:
		fix_journal(b, n);
		/* fall through */
	case 0:
		check_journal(b, n);
		break;
	case 3:
		fix_snapshot(b, n);
		/* fall through */
	case 2:
		check_snapshot(b, n);
		break;
	case 4:
		check_warm(b, n, false);
		break;
	case 5:
		check_warm(b, n, true);
		break;
	default:
		check_journal(b, n);
		check_snapshot(b, n);
		check_warm(b, n, false);
		check_warm(b, n, true);
		break;
	}
	free(b);
	return 0;
}
