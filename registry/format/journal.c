#include "registry/format/journal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "registry/format/crc32c.h"

/* The largest payload the encoder can produce must fit under the cap the
 * decoder enforces. */
_Static_assert(3 * 4 + (4 + ((RB_NETID_MAX + 3) & ~3u)) +
			       (4 + ((RB_UADDR_MAX + 3) & ~3u)) +
			       (4 + ((RB_OWNER_MAX + 3) & ~3u)) <=
		       RB_JREC_MAX,
	       "RB_JREC_MAX below the largest record");

static const uint8_t jmagic[4] = {'R', 'B', 'J', '1'};
static const uint8_t smagic[4] = {'R', 'B', 'S', '1'};

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

const char *rb_scan_stop_str(enum rb_scan_stop s)
{
	switch (s) {
	case RB_SCAN_CLEAN:
		return "clean";
	case RB_SCAN_TORN:
		return "torn record at the end";
	case RB_SCAN_BAD_CRC:
		return "record checksum mismatch";
	case RB_SCAN_BAD_LENGTH:
		return "impossible record length";
	case RB_SCAN_BAD_FIELD:
		return "record does not decode";
	case RB_SCAN_BAD_HEADER:
		return "bad header";
	case RB_SCAN_STOPPED:
		return "stopped by the caller";
	}
	return "?";
}

/* ---- records ---- */

/* True when s is NUL-terminated within its array of cap bytes (arrays are
 * sized max + 1, so this is also the length cap). */
static bool str_ok(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

/* The CRC of a record: its length word, then its payload. */
static uint32_t rec_crc(const uint8_t *lenword, const uint8_t *payload,
			uint32_t len)
{
	return rb_crc32c(rb_crc32c(0, lenword, 4), payload, len);
}

int rb_journal_put(struct rb_xdr_enc *e, const struct rb_jrec *r)
{
	if (r->op != RB_JOP_ADD && r->op != RB_JOP_DEL)
		return -EINVAL;
	if (!str_ok(r->netid, sizeof(r->netid)))
		return -ENAMETOOLONG;
	if (r->op == RB_JOP_ADD) {
		if (r->netid[0] == '\0')
			return -EINVAL;
		if (!str_ok(r->uaddr, sizeof(r->uaddr)) ||
		    !str_ok(r->owner, sizeof(r->owner)))
			return -ENAMETOOLONG;
	}
	if (e->err)
		return e->err;

	size_t start = e->pos;
	/* An offset, not a pointer: a growable encoder may move its buffer
	 * while the payload is written. */
	if (!rb_xdr_put_reserve(e, RB_JREC_FRAME))
		return e->err;
	rb_xdr_put_u32(e, r->op);
	rb_xdr_put_u32(e, r->prog);
	rb_xdr_put_u32(e, r->vers);
	rb_xdr_put_cstr(e, r->netid);
	if (r->op == RB_JOP_ADD) {
		rb_xdr_put_cstr(e, r->uaddr);
		rb_xdr_put_cstr(e, r->owner);
	}
	if (e->err) {
		e->pos = start;
		return e->err;
	}
	uint8_t *f = e->buf + start;
	uint32_t len = (uint32_t)(e->pos - start - RB_JREC_FRAME);
	put_be32(f, len);
	put_be32(f + 4, rec_crc(f, f + RB_JREC_FRAME, len));
	return 0;
}

/* Reads a string into out (cap bytes); the XDR padding must be zero, so
 * that a record has one encoding only. */
static void get_cstr(struct rb_xdr_dec *d, uint32_t max, char *out, size_t cap)
{
	struct rb_xdr_bytes b = rb_xdr_get_string(d, max);
	if (d->err) {
		out[0] = '\0';
		return;
	}
	for (uint32_t i = b.len; i & 3u; i++)
		if (b.ptr[i] != 0)
			d->err = -EBADMSG;
	if (rb_xdr_bytes_to_cstr(b, out, cap) != 0 && !d->err)
		d->err = -EMSGSIZE;
}

/* Decodes one payload; 0 or -EBADMSG. */
static int decode_payload(const uint8_t *p, uint32_t len, struct rb_jrec *r)
{
	struct rb_xdr_dec d;
	rb_xdr_dec_init(&d, p, len);
	uint32_t op = rb_xdr_get_u32(&d);
	r->prog = rb_xdr_get_u32(&d);
	r->vers = rb_xdr_get_u32(&d);
	get_cstr(&d, RB_NETID_MAX, r->netid, sizeof(r->netid));
	r->uaddr[0] = r->owner[0] = '\0';
	if (op == RB_JOP_ADD) {
		get_cstr(&d, RB_UADDR_MAX, r->uaddr, sizeof(r->uaddr));
		get_cstr(&d, RB_OWNER_MAX, r->owner, sizeof(r->owner));
		if (r->netid[0] == '\0')
			return -EBADMSG;
	} else if (op != RB_JOP_DEL) {
		return -EBADMSG;
	}
	if (d.err || rb_xdr_dec_left(&d) != 0)
		return -EBADMSG;
	r->op = (uint8_t)op;
	return 0;
}

/* Checks the framed record at buf[pos..len). On success fills r and sets
 * *next to the offset after it. */
static enum rb_scan_stop frame_at(const uint8_t *buf, size_t len, size_t pos,
				  struct rb_jrec *r, size_t *next)
{
	size_t left = len - pos;
	if (left < RB_JREC_FRAME)
		return RB_SCAN_TORN;
	uint32_t n = be32(buf + pos);
	/* The length is judged before anything is read behind it: an
	 * impossible value is corruption even when the file ends right
	 * after it. */
	if (n < RB_JREC_MIN || n > RB_JREC_MAX || (n & 3u))
		return RB_SCAN_BAD_LENGTH;
	if (left - RB_JREC_FRAME < n)
		return RB_SCAN_TORN;
	const uint8_t *payload = buf + pos + RB_JREC_FRAME;
	if (rec_crc(buf + pos, payload, n) != be32(buf + pos + 4))
		return RB_SCAN_BAD_CRC;
	if (decode_payload(payload, n, r) != 0)
		return RB_SCAN_BAD_FIELD;
	*next = pos + RB_JREC_FRAME + n;
	return RB_SCAN_CLEAN;
}

/* ---- journal ---- */

int rb_journal_put_header(struct rb_xdr_enc *e, uint64_t generation)
{
	uint8_t *h = rb_xdr_put_reserve(e, RB_JHDR_SIZE);
	if (!h)
		return e->err;
	memcpy(h, jmagic, 4);
	put_be32(h + 4, RB_JOURNAL_VERSION);
	put_be64(h + 8, generation);
	put_be32(h + 16, 0);
	put_be32(h + 20, rb_crc32c(0, h, 20));
	return 0;
}

int rb_journal_read_header(const uint8_t *buf, size_t len,
			   uint64_t *generation)
{
	if (len < RB_JHDR_SIZE || memcmp(buf, jmagic, 4) != 0 ||
	    be32(buf + 20) != rb_crc32c(0, buf, 20) ||
	    be32(buf + 4) != RB_JOURNAL_VERSION || be32(buf + 16) != 0)
		return -EBADMSG;
	*generation = be64(buf + 8);
	return 0;
}

int rb_journal_scan(const uint8_t *buf, size_t len, rb_jrec_fn cb, void *arg,
		    struct rb_scan_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->dropped = len;
	if (rb_journal_read_header(buf, len, &rep->generation) != 0) {
		rep->stop = RB_SCAN_BAD_HEADER;
		return -EBADMSG;
	}
	size_t pos = RB_JHDR_SIZE;
	struct rb_jrec r;
	enum rb_scan_stop st = RB_SCAN_CLEAN;
	int ret = 0;
	while (pos < len) {
		size_t next;
		st = frame_at(buf, len, pos, &r, &next);
		if (st != RB_SCAN_CLEAN)
			break;
		if (cb) {
			int c = cb(arg, &r);
			if (c < 0) {
				st = RB_SCAN_STOPPED;
				ret = c;
				break;
			}
			if (c > 0)
				rep->not_applied++;
		}
		rep->records++;
		pos = next;
	}
	rep->stop = st;
	rep->good_len = pos;
	rep->dropped = len - pos;
	return ret;
}

/* ---- snapshot ---- */

void rb_snapshot_begin(struct rb_snapshot_writer *w, uint64_t generation)
{
	memset(w, 0, sizeof(*w));
	w->generation = generation;
}

int rb_snapshot_put_entry(struct rb_snapshot_writer *w, struct rb_xdr_enc *e,
			  const struct rb_jrec *r)
{
	if (r->op != RB_JOP_ADD)
		return -EINVAL;
	if (w->count >= RB_SNAPSHOT_ENTRIES_MAX)
		return -E2BIG;
	size_t start = e->pos;
	int ret = rb_journal_put(e, r);
	if (ret)
		return ret;
	/* The body CRC is folded in as the records are produced, so the
	 * caller can drain the encoder to the file at any point. */
	w->body_crc = rb_crc32c(w->body_crc, e->buf + start, e->pos - start);
	w->body_len += e->pos - start;
	w->count++;
	return 0;
}

void rb_jrec_from_entry(struct rb_jrec *r, const struct rb_entry *e)
{
	memset(r, 0, sizeof(*r));
	r->op = RB_JOP_ADD;
	r->prog = e->prog;
	r->vers = e->vers;
	/* The registry's strings are within these caps by construction;
	 * snprintf keeps it so even if that changed. */
	snprintf(r->netid, sizeof(r->netid), "%s", e->netid);
	snprintf(r->uaddr, sizeof(r->uaddr), "%s", rb_entry_uaddr(e));
	snprintf(r->owner, sizeof(r->owner), "%s", rb_entry_owner(e));
}

void rb_snapshot_put_header(const struct rb_snapshot_writer *w,
			    uint8_t out[RB_SNAP_HDR_SIZE])
{
	memcpy(out, smagic, 4);
	put_be32(out + 4, RB_SNAPSHOT_VERSION);
	put_be64(out + 8, w->generation);
	put_be32(out + 16, (uint32_t)w->count);
	put_be32(out + 20, 0);
	put_be64(out + 24, w->body_len);
	put_be32(out + 32, w->body_crc);
	put_be32(out + 36, rb_crc32c(0, out, 36));
}

/* Walks the body; with cb NULL it only validates. */
/* Hands one verified record to cb (if any): < 0 stops the walk, > 0 is a
 * record the sink did not apply (counted). */
static int deliver(rb_jrec_fn cb, void *arg, const struct rb_jrec *r,
		   struct rb_snapshot_info *info)
{
	if (!cb)
		return 0;
	int c = cb(arg, r);
	if (c > 0)
		info->not_applied++;
	return c < 0 ? c : 0;
}

static int snapshot_walk(const uint8_t *buf, size_t len, rb_jrec_fn cb,
			 void *arg, struct rb_snapshot_info *info)
{
	size_t pos = RB_SNAP_HDR_SIZE;
	uint64_t n = 0;
	struct rb_jrec r;
	while (pos < len) {
		size_t next;
		if (frame_at(buf, len, pos, &r, &next) != RB_SCAN_CLEAN) {
			info->reason = "a record does not decode";
			return -EBADMSG;
		}
		if (r.op != RB_JOP_ADD) {
			info->reason = "a record is not an addition";
			return -EBADMSG;
		}
		if (++n > info->count) {
			info->reason = "more records than the header counts";
			return -EBADMSG;
		}
		int c = deliver(cb, arg, &r, info);
		if (c < 0)
			return c;
		pos = next;
	}
	if (n != info->count) {
		info->reason = "fewer records than the header counts";
		return -EBADMSG;
	}
	return 0;
}

int rb_snapshot_read_header(const uint8_t *buf, size_t len,
			    struct rb_snapshot_info *info)
{
	memset(info, 0, sizeof(*info));
	if (len < RB_SNAP_HDR_SIZE) {
		info->reason = "shorter than its header";
		return -EBADMSG;
	}
	if (memcmp(buf, smagic, 4) != 0) {
		info->reason = "not a snapshot (bad magic)";
		return -EBADMSG;
	}
	if (be32(buf + 36) != rb_crc32c(0, buf, 36)) {
		info->reason = "header checksum mismatch";
		return -EBADMSG;
	}
	if (be32(buf + 4) != RB_SNAPSHOT_VERSION || be32(buf + 20) != 0) {
		info->reason = "unsupported snapshot version";
		return -EBADMSG;
	}
	info->generation = be64(buf + 8);
	info->count = be32(buf + 16);
	if (info->count > RB_SNAPSHOT_ENTRIES_MAX) {
		info->reason = "entry count over RB_SNAPSHOT_ENTRIES_MAX";
		return -EBADMSG;
	}
	return 0;
}

int rb_snapshot_scan(const uint8_t *buf, size_t len, rb_jrec_fn cb, void *arg,
		     struct rb_snapshot_info *info)
{
	int hr = rb_snapshot_read_header(buf, len, info);
	if (hr)
		return hr;
	if (be64(buf + 24) != len - RB_SNAP_HDR_SIZE) {
		info->reason = "body length does not match the file (truncated?)";
		return -EBADMSG;
	}
	if (rb_crc32c(0, buf + RB_SNAP_HDR_SIZE, len - RB_SNAP_HDR_SIZE) !=
	    be32(buf + 32)) {
		info->reason = "body checksum mismatch";
		return -EBADMSG;
	}
	/* Two passes: every record is decoded before the first is delivered,
	 * so the caller never sees part of a snapshot it must then refuse. */
	int r = snapshot_walk(buf, len, NULL, arg, info);
	if (r)
		return r;
	return cb ? snapshot_walk(buf, len, cb, arg, info) : 0;
}

int rb_snapshot_salvage(const uint8_t *buf, size_t len, rb_jrec_fn cb, void *arg,
			struct rb_snapshot_info *info, struct rb_salvage_report *sr)
{
	memset(sr, 0, sizeof(*sr));
	sr->header_ok = rb_snapshot_read_header(buf, len, info) == 0;
	if (!sr->header_ok) {
		info->generation = 0;
		info->count = 0;
	}
	info->reason = NULL;
	uint64_t kept = 0;
	size_t pos = RB_SNAP_HDR_SIZE;
	bool in_bad = false;
	struct rb_jrec r;
	while (pos + RB_JREC_FRAME <= len) {
		size_t next;
		enum rb_scan_stop st = frame_at(buf, len, pos, &r, &next);
		if (st == RB_SCAN_CLEAN && r.op == RB_JOP_ADD) {
			in_bad = false;
			kept++;
			int c = deliver(cb, arg, &r, info);
			if (c < 0)
				return c;
			pos = next;
			continue;
		}
		if (!in_bad) {
			/* A new damaged stretch: name what it probably held
			 * (the payload decodes although its CRC failed). */
			if (sr->stretches < RB_SALVAGE_NAMES) {
				struct rb_salvage_hole *h = &sr->hole[sr->stretches];
				h->offset = pos;
				uint32_t n = be32(buf + pos);
				h->named = st == RB_SCAN_BAD_CRC && pos + RB_JREC_FRAME + n <= len &&
					   decode_payload(buf + pos + RB_JREC_FRAME, n, &h->rec) == 0;
			}
			sr->stretches++;
			in_bad = true;
		}
		/* Records are 4-aligned: look for the next one that verifies
		 * (a false match needs a CRC32C to agree by chance). */
		sr->skipped_bytes += 4;
		pos += 4;
	}
	sr->skipped_bytes += len > pos ? len - pos : 0;
	if (sr->header_ok && info->count > kept)
		sr->lost = info->count - kept;
	info->count = kept;
	return 0;
}

/* ---- applying to the registry ---- */

int rb_jrec_apply(void *arg, const struct rb_jrec *r)
{
	struct rb_jrec_sink *sink = arg;
	struct rb_registry *reg = sink->reg;
	int ret;
	if (r->op == RB_JOP_ADD) {
		int s = rb_registry_set(reg, r->prog, r->vers, r->netid,
					r->uaddr, r->owner);
		ret = s == RB_SET_ADDED ? 0 : s == -ENOMEM ? -ENOMEM : 1;
	} else {
		unsigned removed = 0;
		int u = rb_registry_unset(reg, r->prog, r->vers, r->netid, NULL,
					  &removed);
		ret = u == -ENOMEM ? -ENOMEM : u == 0 && removed ? 0 : 1;
	}
	/* Not after every record: a reclaim may also rebuild a hash table
	 * (O(entries)), which must stay rare. Every 256 keeps a 1,000,000
	 * entry load at about 230 MiB and 0.9 s instead of 4 GiB and 4.7 s
	 * without reclaiming, the memory staying hot. It never blocks. */
	if (++sink->since_reclaim >= RB_JREC_RECLAIM_EVERY) {
		sink->since_reclaim = 0;
		rb_registry_reclaim(reg);
	}
	return ret;
}

/* ---- Linux rpcbind warm-start files ---- */

/* A warm-start string: any length up to RB_WARM_STRING_MAX is read; *fits
 * says whether it also fits our field (cap bytes with the NUL). */
static void warm_str(struct rb_xdr_dec *d, char *out, size_t cap, bool *fits)
{
	struct rb_xdr_bytes b = rb_xdr_get_string(d, RB_WARM_STRING_MAX);
	if (d->err || rb_xdr_bytes_to_cstr(b, out, cap) != 0) {
		out[0] = '\0';
		*fits = false;
	}
}

enum warm_kind { WARM_RPCBIND, WARM_PORTMAP };

/* Decodes one list element into r. Returns 1 to deliver, 0 when the entry
 * is skipped or rejected (counted in rep), -EBADMSG when malformed. */
static int warm_entry(struct rb_xdr_dec *d, enum warm_kind kind,
		      struct rb_jrec *r, struct rb_warm_report *rep)
{
	memset(r, 0, sizeof(*r));
	r->op = RB_JOP_ADD;
	r->prog = rb_xdr_get_u32(d);
	r->vers = rb_xdr_get_u32(d);
	const char *why = NULL;
	if (kind == WARM_RPCBIND) {
		bool fits = true;
		warm_str(d, r->netid, sizeof(r->netid), &fits);
		warm_str(d, r->uaddr, sizeof(r->uaddr), &fits);
		warm_str(d, r->owner, sizeof(r->owner), &fits);
		if (!fits)
			why = "an entry has a string over our caps";
		else if (r->netid[0] == '\0')
			why = "an entry has an empty netid";
	} else {
		uint32_t prot = rb_xdr_get_u32(d);
		uint32_t port = rb_xdr_get_u32(d);
		if (prot == 6)
			memcpy(r->netid, "tcp", 4);
		else if (prot == 17)
			memcpy(r->netid, "udp", 4);
		else
			why = "an entry has a protocol other than tcp/udp";
		if (port > 65535)
			why = "an entry has a port over 65535";
		snprintf(r->uaddr, sizeof(r->uaddr), "0.0.0.0.%u.%u",
			 (port >> 8) & 0xffu, port & 0xffu);
		memcpy(r->owner, "superuser", sizeof("superuser"));
	}
	if (d->err)
		return -EBADMSG;
	if (why) {
		rep->rejected++;
		rep->reason = why;
		return 0;
	}
	if (r->prog == RB_PMAP_PROG) {
		rep->skipped++;
		return 0;
	}
	return 1;
}

/* One pass over a warm-start list; cb NULL validates only. */
static int warm_walk(const uint8_t *buf, size_t len, enum warm_kind kind,
		     rb_jrec_fn cb, void *arg, struct rb_warm_report *rep)
{
	struct rb_xdr_dec d;
	struct rb_jrec r;
	uint32_t n = 0;
	memset(rep, 0, sizeof(*rep));
	rb_xdr_dec_init(&d, buf, len);
	while (rb_xdr_get_list_more(&d, &n, RB_WARM_ENTRIES_MAX)) {
		int k = warm_entry(&d, kind, &r, rep);
		if (k < 0)
			break;
		if (k == 0 || !cb) {
			rep->imported += (uint32_t)k;
			continue;
		}
		int c = cb(arg, &r);
		if (c < 0)
			return c;
		if (c > 0)
			rep->not_applied++;
		else
			rep->imported++;
	}
	rep->entries = n;
	if (d.err == -EMSGSIZE) {
		rep->reason = "more entries than RB_WARM_ENTRIES_MAX";
		return -EBADMSG;
	}
	if (d.err) {
		rep->reason = "malformed (truncated, bad list marker or string length)";
		return -EBADMSG;
	}
	if (rb_xdr_dec_left(&d) != 0) {
		rep->reason = "bytes after the end of the list";
		return -EBADMSG;
	}
	return 0;
}

static int warm_scan(const uint8_t *buf, size_t len, enum warm_kind kind,
		     rb_jrec_fn cb, void *arg, struct rb_warm_report *rep)
{
	/* Validate the whole file first: a file rpcbind could not read is
	 * refused whole, never half-imported. */
	int r = warm_walk(buf, len, kind, NULL, arg, rep);
	if (r || !cb)
		return r;
	return warm_walk(buf, len, kind, cb, arg, rep);
}

int rb_rpcbind_xdr_scan(const uint8_t *buf, size_t len, rb_jrec_fn cb,
			void *arg, struct rb_warm_report *rep)
{
	return warm_scan(buf, len, WARM_RPCBIND, cb, arg, rep);
}

int rb_portmap_xdr_scan(const uint8_t *buf, size_t len, rb_jrec_fn cb,
			void *arg, struct rb_warm_report *rep)
{
	return warm_scan(buf, len, WARM_PORTMAP, cb, arg, rep);
}
