/* Persistence formats (registry/format/journal.c, registry/format/crc32c.c): CRC32C
 * vectors and tables, golden bytes of records and headers (derived by hand
 * with an independent bit-by-bit CRC), recovery from a cut at every byte and
 * from a flipped bit at every bit, snapshots refused whole, and Linux
 * rpcbind's real warm-start files (tests/data/rpcbind-warmstart) as well as
 * hostile ones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "registry/format/crc32c.h"
#include "registry/format/crc32c_table.h"
#include "registry/format/journal.h"
#include "registry/store/registry.h"

#ifndef RB_TEST_DATA_DIR
#error "RB_TEST_DATA_DIR must name tests/data"
#endif

/* ---- helpers ---- */

static struct rb_jrec mk(uint8_t op, uint32_t prog, uint32_t vers,
			 const char *netid, const char *uaddr,
			 const char *owner)
{
	struct rb_jrec r;
	memset(&r, 0, sizeof(r));
	r.op = op;
	r.prog = prog;
	r.vers = vers;
	snprintf(r.netid, sizeof(r.netid), "%s", netid);
	snprintf(r.uaddr, sizeof(r.uaddr), "%s", uaddr);
	snprintf(r.owner, sizeof(r.owner), "%s", owner);
	return r;
}

static int jrec_eq(const struct rb_jrec *a, const struct rb_jrec *b)
{
	return a->op == b->op && a->prog == b->prog && a->vers == b->vers &&
	       strcmp(a->netid, b->netid) == 0 &&
	       strcmp(a->uaddr, b->uaddr) == 0 &&
	       strcmp(a->owner, b->owner) == 0;
}

/* Collects delivered records. */
#define COLLECT_MAX 64
struct collect {
	struct rb_jrec r[COLLECT_MAX];
	unsigned n;
	int answer; /* what the callback returns */
};

static int collect_cb(void *arg, const struct rb_jrec *r)
{
	struct collect *c = arg;
	if (c->n < COLLECT_MAX)
		c->r[c->n] = *r;
	c->n++;
	return c->answer;
}

/* An exact-size heap copy, so that ASan sees any read past the end. */
static uint8_t *dup_n(const void *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (n)
		memcpy(d, p, n);
	return d;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = malloc(1 << 16);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- CRC32C ---- */

static void test_crc_vectors(void)
{
	static const uint8_t ff[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t zero[32] = {0}, inc[32], dec[32];
	for (int i = 0; i < 32; i++) {
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	/* The standard check value, and RFC 3720 (iSCSI) B.4. */
	uint32_t (*fns[2])(uint32_t, const void *, size_t) = {
		rb_crc32c, rb_crc32c_portable};
	for (int f = 0; f < 2; f++) {
		CHECK_EQ_U(fns[f](0, "123456789", 9), 0xE3069283u);
		CHECK_EQ_U(fns[f](0, "", 0), 0);
		CHECK_EQ_U(fns[f](0, zero, 32), 0x8A9136AAu);
		CHECK_EQ_U(fns[f](0, ff, 32), 0x62A8AB43u);
		CHECK_EQ_U(fns[f](0, inc, 32), 0x46DD794Eu);
		CHECK_EQ_U(fns[f](0, dec, 32), 0x113FDB5Cu);
		/* Chaining. */
		CHECK_EQ_U(fns[f](fns[f](0, "1234", 4), "56789", 5), 0xE3069283u);
	}
	printf("crc32c: hardware path %s\n", rb_crc32c_hw() ? "used" : "not available");
}

/* The constant tables are what their definition says. */
static void test_crc_tables(void)
{
	unsigned bad = 0;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? 0x82F63B78u : 0);
		if (rb_crc32c_table[0][i] != c)
			bad++;
		for (int t = 1; t < 8; t++) {
			uint32_t prev = rb_crc32c_table[t - 1][i];
			if (rb_crc32c_table[t][i] !=
			    ((prev >> 8) ^ rb_crc32c_table[0][prev & 0xff]))
				bad++;
		}
	}
	CHECK_EQ_U(bad, 0);
}

/* The portable and hardware paths agree on every length and alignment,
 * and with a bit-at-a-time reference. */
static void test_crc_agree(void)
{
	uint8_t buf[300];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	unsigned bad = 0;
	for (size_t off = 0; off < 8; off++) {
		for (size_t n = 0; off + n <= sizeof(buf); n += 1) {
			uint32_t ref = 0xffffffffu;
			for (size_t i = 0; i < n; i++) {
				ref ^= buf[off + i];
				for (int k = 0; k < 8; k++)
					ref = (ref >> 1) ^ ((ref & 1) ? 0x82F63B78u : 0);
			}
			ref = ~ref;
			if (rb_crc32c_portable(0, buf + off, n) != ref ||
			    rb_crc32c(0, buf + off, n) != ref)
				bad++;
		}
	}
	CHECK_EQ_U(bad, 0);
}

/* ---- golden bytes ---- */

static const uint8_t golden_add[] = {
	0x00, 0x00, 0x00, 0x34, 0x77, 0x67, 0xf0, 0xd8, /* len 52, crc */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x86, 0xa3, /* ADD, 100003 */
	0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x03, /* vers 3, "tcp" */
	0x74, 0x63, 0x70, 0x00, 0x00, 0x00, 0x00, 0x0b,
	0x30, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x30, 0x2e, /* "0.0.0.0.8.1" */
	0x38, 0x2e, 0x31, 0x00, 0x00, 0x00, 0x00, 0x09,
	0x73, 0x75, 0x70, 0x65, 0x72, 0x75, 0x73, 0x65, /* "superuser" */
	0x72, 0x00, 0x00, 0x00};
static const uint8_t golden_del[] = {
	0x00, 0x00, 0x00, 0x10, 0x71, 0xd1, 0xb8, 0x60, /* len 16, crc */
	0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x86, 0xa3, /* DEL, 100003 */
	0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00}; /* vers 3, "" */
static const uint8_t golden_jhdr[] = {
	'R', 'B', 'J', '1', 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04,
	0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0xdf, 0x0d, 0xeb, 0x0b};
static const uint8_t golden_shdr[] = {
	'R', 'B', 'S', '1', 0x00, 0x00, 0x00, 0x01, /* version 1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, /* generation 7 */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* count 1, 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, /* body 60 bytes */
	0x68, 0xf6, 0xd3, 0xaa, 0x2e, 0x8d, 0xc1, 0xaf}; /* body crc, crc */

static void test_golden(void)
{
	uint8_t buf[256];
	struct rb_xdr_enc e;
	struct rb_jrec add = mk(RB_JOP_ADD, 100003, 3, "tcp", "0.0.0.0.8.1",
				"superuser");
	struct rb_jrec del = mk(RB_JOP_DEL, 100003, 3, "", "", "");

	rb_xdr_enc_init(&e, buf, sizeof(buf));
	CHECK_EQ_U(rb_journal_put(&e, &add), 0);
	CHECK_BYTES(buf, e.pos, golden_add, sizeof(golden_add));
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	CHECK_EQ_U(rb_journal_put(&e, &del), 0);
	CHECK_BYTES(buf, e.pos, golden_del, sizeof(golden_del));
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	CHECK_EQ_U(rb_journal_put_header(&e, 0x0102030405060708ull), 0);
	CHECK_BYTES(buf, e.pos, golden_jhdr, sizeof(golden_jhdr));
	uint64_t g = 0;
	CHECK_EQ_U(rb_journal_read_header(buf, e.pos, &g), 0);
	CHECK_EQ_U(g, 0x0102030405060708ull);

	/* A snapshot of one entry. */
	struct rb_snapshot_writer w;
	rb_snapshot_begin(&w, 7);
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	CHECK_EQ_U(rb_snapshot_put_entry(&w, &e, &add), 0);
	CHECK_EQ_U(rb_snapshot_put_entry(&w, &e, &del), (uint64_t)-EINVAL);
	uint8_t h[RB_SNAP_HDR_SIZE];
	rb_snapshot_put_header(&w, h);
	CHECK_BYTES(h, sizeof(h), golden_shdr, sizeof(golden_shdr));
	uint8_t file[RB_SNAP_HDR_SIZE + sizeof(golden_add)];
	memcpy(file, h, sizeof(h));
	memcpy(file + sizeof(h), buf, e.pos);
	CHECK_BYTES(buf, e.pos, golden_add, sizeof(golden_add));
	struct collect c = {.n = 0};
	struct rb_snapshot_info info;
	CHECK_EQ_U(rb_snapshot_scan(file, sizeof(file), collect_cb, &c, &info), 0);
	CHECK_EQ_U(info.generation, 7);
	CHECK_EQ_U(info.count, 1);
	CHECK(info.reason == NULL);
	CHECK_EQ_U(c.n, 1);
	CHECK(jrec_eq(&c.r[0], &add));
}

static void test_put_errors(void)
{
	uint8_t buf[64];
	struct rb_xdr_enc e;
	struct rb_jrec r = mk(RB_JOP_ADD, 1, 1, "udp", "0.0.0.0.0.1", "superuser");

	rb_xdr_enc_init(&e, buf, sizeof(buf));
	r.op = 3;
	CHECK_EQ_U(rb_journal_put(&e, &r), (uint64_t)-EINVAL);
	r.op = RB_JOP_ADD;
	r.netid[0] = '\0';
	CHECK_EQ_U(rb_journal_put(&e, &r), (uint64_t)-EINVAL);
	memset(r.netid, 'x', sizeof(r.netid)); /* no NUL */
	CHECK_EQ_U(rb_journal_put(&e, &r), (uint64_t)-ENAMETOOLONG);
	r = mk(RB_JOP_ADD, 1, 1, "udp", "0.0.0.0.0.1", "superuser");
	memset(r.owner, 'o', sizeof(r.owner));
	CHECK_EQ_U(rb_journal_put(&e, &r), (uint64_t)-ENAMETOOLONG);
	CHECK_EQ_U(e.pos, 0);
	CHECK_EQ_U(e.err, 0);

	/* Too small a buffer: nothing of the record stays. */
	r = mk(RB_JOP_ADD, 1, 1, "udp", "0.0.0.0.0.1", "superuser");
	rb_xdr_enc_init(&e, buf, 20);
	CHECK_EQ_U(rb_journal_put(&e, &r), (uint64_t)-EMSGSIZE);
	CHECK_EQ_U(e.pos, 0);

	/* A DEL ignores uaddr and owner. */
	r = mk(RB_JOP_DEL, 1, 1, "udp", "", "");
	memset(r.uaddr, 'u', sizeof(r.uaddr));
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	CHECK_EQ_U(rb_journal_put(&e, &r), 0);
	CHECK_EQ_U(e.pos, RB_JREC_FRAME + 20);

	/* The largest record fits RB_JREC_MAX. */
	uint8_t big[RB_JREC_FRAME + RB_JREC_MAX];
	memset(&r, 0, sizeof(r));
	r.op = RB_JOP_ADD;
	memset(r.netid, 'n', RB_NETID_MAX);
	memset(r.uaddr, 'u', RB_UADDR_MAX);
	memset(r.owner, 'o', RB_OWNER_MAX);
	rb_xdr_enc_init(&e, big, sizeof(big));
	CHECK_EQ_U(rb_journal_put(&e, &r), 0);
	struct rb_jrec back;
	struct collect c = {.n = 0};
	uint8_t jf[RB_JHDR_SIZE + sizeof(big)];
	struct rb_xdr_enc je;
	rb_xdr_enc_init(&je, jf, sizeof(jf));
	rb_journal_put_header(&je, 1);
	CHECK_EQ_U(rb_journal_put(&je, &r), 0);
	struct rb_scan_report rep;
	CHECK_EQ_U(rb_journal_scan(jf, je.pos, collect_cb, &c, &rep), 0);
	CHECK_EQ_U(rep.stop, RB_SCAN_CLEAN);
	CHECK_EQ_U(c.n, 1);
	back = c.r[0];
	CHECK(jrec_eq(&back, &r));
}

/* ---- journal scans ---- */

static const struct rb_jrec *sample(unsigned i)
{
	static struct rb_jrec v[6];
	v[0] = mk(RB_JOP_ADD, 100003, 3, "tcp", "0.0.0.0.8.1", "superuser");
	v[1] = mk(RB_JOP_ADD, 100005, 3, "udp6", "::1.156.64", "unknown");
	v[2] = mk(RB_JOP_DEL, 100003, 3, "tcp", "", "");
	v[3] = mk(RB_JOP_ADD, 100021, 4, "local", "/run/lockd.sock", "1000");
	v[4] = mk(RB_JOP_DEL, 100005, 3, "", "", "");
	v[5] = mk(RB_JOP_ADD, 0xffffffffu, 0, "u", "", "");
	return &v[i];
}

/* A journal of the six sample records; ends[i] = offset after record i. */
static size_t build_journal(uint8_t *buf, size_t cap, size_t ends[6])
{
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, buf, cap);
	rb_journal_put_header(&e, 42);
	for (unsigned i = 0; i < 6; i++) {
		CHECK_EQ_U(rb_journal_put(&e, sample(i)), 0);
		ends[i] = e.pos;
	}
	return e.pos;
}

static void test_scan_clean(void)
{
	uint8_t buf[1024];
	size_t ends[6];
	size_t len = build_journal(buf, sizeof(buf), ends);
	struct collect c = {.n = 0};
	struct rb_scan_report rep;
	CHECK_EQ_U(rb_journal_scan(buf, len, collect_cb, &c, &rep), 0);
	CHECK_EQ_U(rep.generation, 42);
	CHECK_EQ_U(rep.records, 6);
	CHECK_EQ_U(rep.good_len, len);
	CHECK_EQ_U(rep.dropped, 0);
	CHECK_EQ_U(rep.stop, RB_SCAN_CLEAN);
	CHECK_EQ_U(c.n, 6);
	for (unsigned i = 0; i < 6 && i < c.n; i++)
		CHECK(jrec_eq(&c.r[i], sample(i)));

	/* A callback answer > 0 is counted and the scan goes on; < 0 stops it
	 * before that record. */
	c.n = 0;
	c.answer = 1;
	CHECK_EQ_U(rb_journal_scan(buf, len, collect_cb, &c, &rep), 0);
	CHECK_EQ_U(rep.not_applied, 6);
	c.n = 0;
	c.answer = -ENOMEM;
	CHECK_EQ_U(rb_journal_scan(buf, len, collect_cb, &c, &rep),
		   (uint64_t)-ENOMEM);
	CHECK_EQ_U(rep.stop, RB_SCAN_STOPPED);
	CHECK_EQ_U(rep.records, 0);
	CHECK_EQ_U(rep.good_len, RB_JHDR_SIZE);

	/* A header alone is a clean, empty journal; validation without cb. */
	CHECK_EQ_U(rb_journal_scan(buf, RB_JHDR_SIZE, NULL, NULL, &rep), 0);
	CHECK_EQ_U(rep.records, 0);
	CHECK_EQ_U(rep.stop, RB_SCAN_CLEAN);
}

/* Cut at every byte: exactly the complete records before the cut. */
static void test_scan_every_cut(void)
{
	uint8_t buf[1024];
	size_t ends[6];
	size_t len = build_journal(buf, sizeof(buf), ends);
	unsigned bad = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		uint8_t *b = dup_n(buf, cut);
		struct collect c = {.n = 0};
		struct rb_scan_report rep;
		int r = rb_journal_scan(b, cut, collect_cb, &c, &rep);
		free(b);
		if (cut < RB_JHDR_SIZE) {
			if (r != -EBADMSG || rep.stop != RB_SCAN_BAD_HEADER || c.n)
				bad++;
			continue;
		}
		unsigned want = 0;
		size_t good = RB_JHDR_SIZE;
		while (want < 6 && ends[want] <= cut)
			good = ends[want++];
		int ok = r == 0 && c.n == want && rep.records == want &&
			 rep.good_len == good && rep.dropped == cut - good &&
			 rep.stop == (cut == good ? RB_SCAN_CLEAN : RB_SCAN_TORN);
		for (unsigned i = 0; ok && i < want; i++)
			ok = jrec_eq(&c.r[i], sample(i));
		if (!ok) {
			bad++;
			fprintf(stderr, "cut %zu: r=%d n=%u stop=%d good=%zu\n",
				cut, r, c.n, rep.stop, rep.good_len);
		}
	}
	CHECK_EQ_U(bad, 0);
}

/* Flip every bit: the scan stops at the flipped record (never after it),
 * delivers only the untouched records before it, and says why. */
static void test_scan_every_bit(void)
{
	uint8_t buf[1024];
	size_t ends[6];
	size_t len = build_journal(buf, sizeof(buf), ends);
	unsigned bad = 0;
	for (size_t bit = 0; bit < len * 8; bit++) {
		uint8_t *b = dup_n(buf, len);
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		struct collect c = {.n = 0};
		struct rb_scan_report rep;
		int r = rb_journal_scan(b, len, collect_cb, &c, &rep);
		free(b);
		size_t at = bit / 8;
		if (at < RB_JHDR_SIZE) {
			if (r != -EBADMSG || c.n)
				bad++;
			continue;
		}
		unsigned k = 0; /* the record holding the flipped bit */
		while (ends[k] <= at)
			k++;
		size_t start = k ? ends[k - 1] : RB_JHDR_SIZE;
		int ok = r == 0 && c.n == k && rep.records == k &&
			 rep.good_len == start && rep.stop != RB_SCAN_CLEAN;
		for (unsigned i = 0; ok && i < k; i++)
			ok = jrec_eq(&c.r[i], sample(i));
		if (!ok) {
			bad++;
			fprintf(stderr, "bit %zu: r=%d n=%u stop=%d\n", bit, r,
				c.n, rep.stop);
		}
	}
	CHECK_EQ_U(bad, 0);
}

/* A record with the right CRC but an impossible payload (what a buggy
 * writer, not a disk, would produce). */
static size_t forge(uint8_t *out, const uint32_t *words, size_t nwords,
		    uint32_t len_override)
{
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, out, 512);
	rb_journal_put_header(&e, 1);
	uint8_t *f = out + e.pos;
	uint32_t len = (uint32_t)(nwords * 4);
	put_be32(f, len_override ? len_override : len);
	for (size_t i = 0; i < nwords; i++)
		put_be32(f + 8 + 4 * i, words[i]);
	put_be32(f + 4, rb_crc32c(rb_crc32c(0, f, 4), f + 8, len));
	return e.pos + 8 + len;
}

static void test_scan_bad_fields(void)
{
	uint8_t buf[512];
	struct rb_scan_report rep;
	struct collect c = {.n = 0};
	/* op 3 */
	static const uint32_t op3[] = {3, 1, 1, 0};
	size_t n = forge(buf, op3, 4, 0);
	CHECK_EQ_U(rb_journal_scan(buf, n, collect_cb, &c, &rep), 0);
	CHECK_EQ_U(rep.stop, RB_SCAN_BAD_FIELD);
	/* non-zero padding after "tcp" */
	static const uint32_t pad[] = {2, 1, 1, 3, 0x74637001};
	n = forge(buf, pad, 5, 0);
	rb_journal_scan(buf, n, collect_cb, &c, &rep);
	CHECK_EQ_U(rep.stop, RB_SCAN_BAD_FIELD);
	/* a trailing word after a DEL */
	static const uint32_t trail[] = {2, 1, 1, 0, 0};
	n = forge(buf, trail, 5, 0);
	rb_journal_scan(buf, n, collect_cb, &c, &rep);
	CHECK_EQ_U(rep.stop, RB_SCAN_BAD_FIELD);
	/* an ADD with an empty netid */
	static const uint32_t emptynet[] = {1, 1, 1, 0, 0, 0};
	n = forge(buf, emptynet, 6, 0);
	rb_journal_scan(buf, n, collect_cb, &c, &rep);
	CHECK_EQ_U(rep.stop, RB_SCAN_BAD_FIELD);
	/* a netid of 33 bytes (over RB_NETID_MAX), CRC right */
	uint32_t longnet[4 + 9] = {2, 1, 1, 33};
	for (int i = 0; i < 9; i++)
		longnet[4 + i] = 0x61616161;
	longnet[12] = 0x61000000;
	n = forge(buf, longnet, 13, 0);
	rb_journal_scan(buf, n, collect_cb, &c, &rep);
	CHECK_EQ_U(rep.stop, RB_SCAN_BAD_FIELD);
	/* a NUL inside a string */
	static const uint32_t nul[] = {2, 1, 1, 3, 0x74007000};
	n = forge(buf, nul, 5, 0);
	rb_journal_scan(buf, n, collect_cb, &c, &rep);
	CHECK_EQ_U(rep.stop, RB_SCAN_BAD_FIELD);
	CHECK_EQ_U(c.n, 0);

	/* Lengths: 0, 12 (under the minimum), 18 (not a multiple of 4), over
	 * the maximum, and an enormous one with nothing behind it. */
	static const uint32_t lens[] = {0, 12, 18, RB_JREC_MAX + 4, 0xfffffff0u};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		static const uint32_t del[] = {2, 1, 1, 0};
		n = forge(buf, del, 4, lens[i] ? lens[i] : 0);
		if (lens[i] == 0)
			put_be32(buf + RB_JHDR_SIZE, 0);
		CHECK_EQ_U(rb_journal_scan(buf, n, collect_cb, &c, &rep), 0);
		CHECK_EQ_U(rep.stop, RB_SCAN_BAD_LENGTH);
		CHECK_EQ_U(rep.good_len, RB_JHDR_SIZE);
	}
	/* Zeros where a record should be (an extended but unwritten tail). */
	memset(buf + RB_JHDR_SIZE, 0, 64);
	rb_journal_scan(buf, RB_JHDR_SIZE + 64, NULL, NULL, &rep);
	CHECK_EQ_U(rep.stop, RB_SCAN_BAD_LENGTH);
	CHECK_EQ_U(c.n, 0);

	/* Headers: wrong magic, version, reserved word (each with a right
	 * header CRC), and a wrong header CRC. */
	for (int k = 0; k < 4; k++) {
		struct rb_xdr_enc e;
		rb_xdr_enc_init(&e, buf, sizeof(buf));
		rb_journal_put_header(&e, 5);
		if (k == 0)
			buf[3] = '2';
		if (k == 1)
			put_be32(buf + 4, 2);
		if (k == 2)
			put_be32(buf + 16, 1);
		if (k < 3)
			put_be32(buf + 20, rb_crc32c(0, buf, 20));
		else
			buf[23] ^= 1;
		uint64_t g;
		CHECK_EQ_U(rb_journal_read_header(buf, RB_JHDR_SIZE, &g),
			   (uint64_t)-EBADMSG);
		CHECK_EQ_U(rb_journal_scan(buf, RB_JHDR_SIZE, NULL, NULL, &rep),
			   (uint64_t)-EBADMSG);
		CHECK_EQ_U(rep.stop, RB_SCAN_BAD_HEADER);
	}
	CHECK_STR(rb_scan_stop_str(RB_SCAN_TORN), "torn record at the end");
}

/* ---- snapshots ---- */

static size_t build_snapshot(uint8_t *buf, size_t cap, unsigned n)
{
	struct rb_snapshot_writer w;
	struct rb_xdr_enc e;
	rb_snapshot_begin(&w, 9);
	rb_xdr_enc_init(&e, buf + RB_SNAP_HDR_SIZE, cap - RB_SNAP_HDR_SIZE);
	for (unsigned i = 0; i < n; i++) {
		const struct rb_jrec *r = sample(i % 6);
		if (r->op != RB_JOP_ADD)
			continue;
		CHECK_EQ_U(rb_snapshot_put_entry(&w, &e, r), 0);
	}
	rb_snapshot_put_header(&w, buf);
	return RB_SNAP_HDR_SIZE + e.pos;
}

static void test_snapshot_refused_whole(void)
{
	uint8_t buf[2048];
	size_t len = build_snapshot(buf, sizeof(buf), 6);
	struct collect c = {.n = 0};
	struct rb_snapshot_info info;
	CHECK_EQ_U(rb_snapshot_scan(buf, len, collect_cb, &c, &info), 0);
	CHECK_EQ_U(info.count, 4);
	CHECK_EQ_U(c.n, 4);

	unsigned bad = 0;
	/* Every flipped bit refuses the whole snapshot, before any delivery. */
	for (size_t bit = 0; bit < len * 8; bit++) {
		uint8_t *b = dup_n(buf, len);
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		c.n = 0;
		int r = rb_snapshot_scan(b, len, collect_cb, &c, &info);
		free(b);
		if (r != -EBADMSG || c.n != 0 || info.reason == NULL)
			bad++;
	}
	/* Every cut, likewise. */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *b = dup_n(buf, cut);
		c.n = 0;
		int r = rb_snapshot_scan(b, cut, collect_cb, &c, &info);
		free(b);
		if (r != -EBADMSG || c.n != 0)
			bad++;
	}
	CHECK_EQ_U(bad, 0);

	/* Count mismatch with every checksum right. */
	uint8_t *b = dup_n(buf, len);
	put_be32(b + 16, 5);
	put_be32(b + 36, rb_crc32c(0, b, 36));
	c.n = 0;
	CHECK_EQ_U(rb_snapshot_scan(b, len, collect_cb, &c, &info),
		   (uint64_t)-EBADMSG);
	CHECK_STR(info.reason, "fewer records than the header counts");
	put_be32(b + 16, 3);
	put_be32(b + 36, rb_crc32c(0, b, 36));
	CHECK_EQ_U(rb_snapshot_scan(b, len, collect_cb, &c, &info),
		   (uint64_t)-EBADMSG);
	CHECK_STR(info.reason, "more records than the header counts");
	CHECK_EQ_U(c.n, 0);
	free(b);

	/* A DEL in the body (CRCs right) is refused. */
	uint8_t d[512];
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, d + RB_SNAP_HDR_SIZE, sizeof(d) - RB_SNAP_HDR_SIZE);
	rb_journal_put(&e, sample(2));
	struct rb_snapshot_writer w;
	rb_snapshot_begin(&w, 1);
	w.count = 1;
	w.body_len = e.pos;
	w.body_crc = rb_crc32c(0, d + RB_SNAP_HDR_SIZE, e.pos);
	rb_snapshot_put_header(&w, d);
	CHECK_EQ_U(rb_snapshot_scan(d, RB_SNAP_HDR_SIZE + e.pos, collect_cb, &c,
				    &info),
		   (uint64_t)-EBADMSG);
	CHECK_STR(info.reason, "a record is not an addition");

	/* Garbage. */
	memset(d, 0x5a, sizeof(d));
	CHECK_EQ_U(rb_snapshot_scan(d, sizeof(d), collect_cb, &c, &info),
		   (uint64_t)-EBADMSG);
	CHECK_EQ_U(c.n, 0);

	/* An empty snapshot is valid. */
	len = build_snapshot(buf, sizeof(buf), 0);
	CHECK_EQ_U(len, RB_SNAP_HDR_SIZE);
	CHECK_EQ_U(rb_snapshot_scan(buf, len, collect_cb, &c, &info), 0);
	CHECK_EQ_U(info.count, 0);
}

/* ---- applying to a registry ---- */

static void test_apply(void)
{
	struct rb_registry *reg;
	CHECK_EQ_U(rb_registry_new(&reg), 0);
	struct rb_jrec_sink sink = {reg, 0};
	struct rb_jrec a = mk(RB_JOP_ADD, 100003, 3, "tcp", "0.0.0.0.8.1", "superuser");
	CHECK_EQ_U(rb_jrec_apply(&sink, &a), 0);
	CHECK_EQ_U(rb_jrec_apply(&sink, &a), 1); /* already there */
	snprintf(a.uaddr, sizeof(a.uaddr), "0.0.0.0.8.2");
	CHECK_EQ_U(rb_jrec_apply(&sink, &a), 1); /* conflict */
	a = mk(RB_JOP_ADD, 100003, 3, "udp", "0.0.0.0.8.1", "1000");
	CHECK_EQ_U(rb_jrec_apply(&sink, &a), 0);
	CHECK_EQ_U(rb_registry_count(reg), 2);
	CHECK_EQ_U(rb_registry_owner_count(reg, "1000"), 1);
	struct rb_jrec d = mk(RB_JOP_DEL, 100003, 3, "", "", "");
	CHECK_EQ_U(rb_jrec_apply(&sink, &d), 0); /* every netid, any owner */
	CHECK_EQ_U(rb_registry_count(reg), 0);
	CHECK_EQ_U(rb_jrec_apply(&sink, &d), 1); /* nothing left */

	/* rb_jrec_from_entry gives back what was set. */
	a = mk(RB_JOP_ADD, 7, 8, "local", "/run/x.sock", "unknown");
	rb_jrec_apply(&sink, &a);
	struct rb_jrec back;
	rb_jrec_from_entry(&back, rb_registry_first(reg));
	CHECK(jrec_eq(&back, &a));
	/* A long replay reclaims as it goes. */
	CHECK_EQ_U(sink.since_reclaim, 7);
	for (uint32_t v = 0; v < RB_JREC_RECLAIM_EVERY; v++) {
		a = mk(RB_JOP_ADD, 9, v, "udp", "0.0.0.0.0.9", "superuser");
		rb_jrec_apply(&sink, &a);
	}
	CHECK_EQ_U(sink.since_reclaim, 7);
	rb_registry_synchronize(reg);
	rb_registry_free(reg);
}

/* ---- rpcbind warm-start files ---- */

/* What tests/data/rpcbind-warmstart/README.md says they hold (program
 * 100000 left out). */
static const struct {
	uint32_t prog, vers;
	const char *netid, *uaddr, *owner;
} want_rpcbind[] = {
	{100003, 3, "tcp", "0.0.0.0.8.1", "superuser"},
	{100003, 3, "udp", "0.0.0.0.8.1", "superuser"},
	{100003, 4, "tcp6", "::.8.1", "superuser"},
	{100005, 3, "udp6", "::1.156.64", "superuser"},
	{100021, 4, "local", "/run/lockd.sock", "superuser"},
	{100024, 1, "udp", "127.0.0.1.3.232", "superuser"},
	{100099, 1, "udp", "0.0.0.0.8.1", "superuser"},
	{100099, 1, "tcp", "0.0.0.0.8.2", "superuser"},
	{200000, 2, "tcp", "0.0.0.0.0.111", "superuser"},
	{300019, 1, "tcp", "127.0.0.1.4.1", "65534"},
};
static const struct {
	uint32_t prog, vers;
	const char *netid, *uaddr;
} want_portmap[] = {
	{100003, 3, "tcp", "0.0.0.0.8.1"},   {100003, 3, "udp", "0.0.0.0.8.1"},
	{100024, 1, "udp", "0.0.0.0.3.232"}, {100099, 1, "udp", "0.0.0.0.8.1"},
	{100099, 1, "tcp", "0.0.0.0.8.2"},   {200000, 2, "tcp", "0.0.0.0.0.111"},
	{300019, 1, "tcp", "0.0.0.0.4.1"},
};

static void test_warm_real(void)
{
	size_t len;
	uint8_t *raw = read_file(RB_TEST_DATA_DIR "/rpcbind-warmstart/rpcbind.xdr", &len);
	CHECK(raw != NULL);
	if (!raw)
		return;
	uint8_t *buf = dup_n(raw, len);
	free(raw);
	struct collect c = {.n = 0};
	struct rb_warm_report rep;
	CHECK_EQ_U(rb_rpcbind_xdr_scan(buf, len, collect_cb, &c, &rep), 0);
	CHECK_EQ_U(rep.entries, 22);
	CHECK_EQ_U(rep.skipped, 12);
	CHECK_EQ_U(rep.rejected, 0);
	CHECK_EQ_U(rep.imported, 10);
	CHECK_EQ_U(c.n, 10);
	for (unsigned i = 0; i < 10 && i < c.n; i++) {
		struct rb_jrec w = mk(RB_JOP_ADD, want_rpcbind[i].prog,
				      want_rpcbind[i].vers, want_rpcbind[i].netid,
				      want_rpcbind[i].uaddr, want_rpcbind[i].owner);
		CHECK(jrec_eq(&c.r[i], &w));
	}
	/* Cut anywhere short of the end: refused, nothing delivered. */
	unsigned bad = 0;
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *b = dup_n(buf, cut);
		c.n = 0;
		if (rb_rpcbind_xdr_scan(b, cut, collect_cb, &c, &rep) != -EBADMSG ||
		    c.n)
			bad++;
		free(b);
	}
	CHECK_EQ_U(bad, 0);
	free(buf);

	raw = read_file(RB_TEST_DATA_DIR "/rpcbind-warmstart/portmap.xdr", &len);
	CHECK(raw != NULL);
	if (!raw)
		return;
	buf = dup_n(raw, len);
	free(raw);
	c.n = 0;
	CHECK_EQ_U(rb_portmap_xdr_scan(buf, len, collect_cb, &c, &rep), 0);
	CHECK_EQ_U(rep.entries, 13);
	CHECK_EQ_U(rep.skipped, 6);
	CHECK_EQ_U(rep.imported, 7);
	CHECK_EQ_U(c.n, 7);
	for (unsigned i = 0; i < 7 && i < c.n; i++) {
		struct rb_jrec w = mk(RB_JOP_ADD, want_portmap[i].prog,
				      want_portmap[i].vers, want_portmap[i].netid,
				      want_portmap[i].uaddr, "superuser");
		CHECK(jrec_eq(&c.r[i], &w));
	}
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *b = dup_n(buf, cut);
		c.n = 0;
		if (rb_portmap_xdr_scan(b, cut, collect_cb, &c, &rep) != -EBADMSG ||
		    c.n)
			bad++;
		free(b);
	}
	CHECK_EQ_U(bad, 0);
	free(buf);
}

/* Builds an rpcbind.xdr from words; strings given as (len, fill). */
struct wbuf {
	uint8_t b[4096];
	size_t n;
};

static void w32(struct wbuf *w, uint32_t v)
{
	put_be32(w->b + w->n, v);
	w->n += 4;
}

static void wstr(struct wbuf *w, const char *s)
{
	size_t l = strlen(s);
	w32(w, (uint32_t)l);
	memcpy(w->b + w->n, s, l);
	w->n += l;
	while (w->n & 3)
		w->b[w->n++] = 0;
}

static void test_warm_hostile(void)
{
	struct wbuf w;
	struct collect c = {.n = 0};
	struct rb_warm_report rep;

	/* A netid of 40 bytes (over our cap, under rpcbind's): that entry
	 * is rejected, the others come through. */
	memset(&w, 0, sizeof(w));
	w32(&w, 1), w32(&w, 100003), w32(&w, 3);
	wstr(&w, "tcp"), wstr(&w, "0.0.0.0.8.1"), wstr(&w, "superuser");
	w32(&w, 1), w32(&w, 7), w32(&w, 1);
	wstr(&w, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
	wstr(&w, "x"), wstr(&w, "superuser");
	w32(&w, 1), w32(&w, 8), w32(&w, 1);
	wstr(&w, ""), wstr(&w, "x"), wstr(&w, "superuser"); /* empty netid */
	w32(&w, 0);
	uint8_t *b = dup_n(w.b, w.n);
	CHECK_EQ_U(rb_rpcbind_xdr_scan(b, w.n, collect_cb, &c, &rep), 0);
	CHECK_EQ_U(rep.entries, 3);
	CHECK_EQ_U(rep.rejected, 2);
	CHECK_EQ_U(rep.imported, 1);
	CHECK_EQ_U(c.n, 1);
	free(b);

	/* A string length of 0xfffffff0 with nothing behind it (the rpcbomb
	 * shape): refused, nothing allocated, nothing delivered. */
	memset(&w, 0, sizeof(w));
	w32(&w, 1), w32(&w, 100003), w32(&w, 3);
	wstr(&w, "tcp"), wstr(&w, "0.0.0.0.8.1"), wstr(&w, "superuser");
	w32(&w, 1), w32(&w, 7), w32(&w, 1), w32(&w, 0xfffffff0u);
	c.n = 0;
	b = dup_n(w.b, w.n);
	CHECK_EQ_U(rb_rpcbind_xdr_scan(b, w.n, collect_cb, &c, &rep),
		   (uint64_t)-EBADMSG);
	CHECK_EQ_U(c.n, 0);
	CHECK(rep.reason != NULL);
	free(b);

	/* A string of 9001 bytes, present: over RB_WARM_STRING_MAX. */
	static uint8_t big[9100];
	memset(big, 0, sizeof(big));
	put_be32(big, 1);
	put_be32(big + 4, 5), put_be32(big + 8, 1), put_be32(big + 12, 9001);
	memset(big + 16, 'a', 9001);
	c.n = 0;
	CHECK_EQ_U(rb_rpcbind_xdr_scan(big, sizeof(big), collect_cb, &c, &rep),
		   (uint64_t)-EBADMSG);

	/* A list marker of 2; bytes after the list; no terminator. */
	static const uint8_t two[] = {0, 0, 0, 2};
	CHECK_EQ_U(rb_rpcbind_xdr_scan(two, 4, collect_cb, &c, &rep),
		   (uint64_t)-EBADMSG);
	static const uint8_t trailing[] = {0, 0, 0, 0, 0, 0, 0, 0};
	CHECK_EQ_U(rb_portmap_xdr_scan(trailing, 8, collect_cb, &c, &rep),
		   (uint64_t)-EBADMSG);
	CHECK_STR(rep.reason, "bytes after the end of the list");
	CHECK_EQ_U(rb_portmap_xdr_scan(trailing, 4, collect_cb, &c, &rep), 0);
	CHECK_EQ_U(rep.entries, 0);
	CHECK_EQ_U(rb_portmap_xdr_scan(trailing, 0, collect_cb, &c, &rep),
		   (uint64_t)-EBADMSG);
	CHECK_EQ_U(c.n, 0);

	/* portmap: unknown protocol and a port over 65535 are rejected. */
	memset(&w, 0, sizeof(w));
	w32(&w, 1), w32(&w, 9), w32(&w, 1), w32(&w, 99), w32(&w, 5);
	w32(&w, 1), w32(&w, 9), w32(&w, 1), w32(&w, 17), w32(&w, 70000);
	w32(&w, 1), w32(&w, 9), w32(&w, 1), w32(&w, 17), w32(&w, 65535);
	w32(&w, 0);
	c.n = 0;
	CHECK_EQ_U(rb_portmap_xdr_scan(w.b, w.n, collect_cb, &c, &rep), 0);
	CHECK_EQ_U(rep.rejected, 2);
	CHECK_EQ_U(c.n, 1);
	CHECK_STR(c.r[0].uaddr, "0.0.0.0.255.255");
	CHECK_STR(c.r[0].netid, "udp");

	/* More entries than RB_WARM_ENTRIES_MAX: refused. */
	size_t n = (RB_WARM_ENTRIES_MAX + 1) * 20 + 4;
	uint8_t *many = calloc(1, n);
	for (size_t i = 0; i < RB_WARM_ENTRIES_MAX + 1; i++) {
		put_be32(many + i * 20, 1);
		put_be32(many + i * 20 + 4, 100000); /* all skipped anyway */
		put_be32(many + i * 20 + 12, 6);
	}
	c.n = 0;
	CHECK_EQ_U(rb_portmap_xdr_scan(many, n, collect_cb, &c, &rep),
		   (uint64_t)-EBADMSG);
	CHECK_STR(rep.reason, "more entries than RB_WARM_ENTRIES_MAX");
	/* Exactly the cap is fine. */
	put_be32(many + RB_WARM_ENTRIES_MAX * 20, 0);
	CHECK_EQ_U(rb_portmap_xdr_scan(many, RB_WARM_ENTRIES_MAX * 20 + 4,
				       collect_cb, &c, &rep),
		   0);
	CHECK_EQ_U(rep.skipped, RB_WARM_ENTRIES_MAX);
	free(many);

	/* A callback error stops the import and is returned. */
	memset(&w, 0, sizeof(w));
	w32(&w, 1), w32(&w, 9), w32(&w, 1), w32(&w, 6), w32(&w, 5), w32(&w, 0);
	c.n = 0;
	c.answer = -ENOMEM;
	CHECK_EQ_U(rb_portmap_xdr_scan(w.b, w.n, collect_cb, &c, &rep),
		   (uint64_t)-ENOMEM);
}

RB_TEST_MAIN({
	test_crc_vectors();
	test_crc_tables();
	test_crc_agree();
	test_golden();
	test_put_errors();
	test_scan_clean();
	test_scan_every_cut();
	test_scan_every_bit();
	test_scan_bad_fields();
	test_snapshot_refused_whole();
	test_apply();
	test_warm_real();
	test_warm_hostile();
})
