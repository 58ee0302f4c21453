/* Writes the seed corpus of fuzz_state:
 *   gen_corpus_state OUTDIR DATADIR   (OUTDIR/fuzz_state; DATADIR = tests/data)
 * Each seed is a mode byte (see fuzz_state.c) and a file: journals (clean,
 * torn, with a flipped bit), snapshots, Linux rpcbind's real warm-start
 * files from DATADIR/rpcbind-warmstart and hostile variants. The journal
 * and snapshot seeds are made with the encoders (seeds only need to be
 * valid; the golden bytes in tests/unit/test_journal.c pin the format).
 * Built, never run by ctest; its output is committed under tests/corpus/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry/format/journal.h"

static const char *outdir;

static void seed(const char *name, uint8_t mode, const void *b, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/fuzz_state/%s", outdir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(&mode, 1, 1, f) != 1 || (n && fwrite(b, 1, n, f) != n)) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static struct rb_jrec rec(uint8_t op, uint32_t prog, uint32_t vers,
			  const char *netid, const char *uaddr, const char *owner)
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

static uint8_t *load(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	uint8_t *b = malloc(1 << 16);
	*n = fread(b, 1, 1 << 16, f);
	fclose(f);
	return b;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s OUTDIR DATADIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/fuzz_state", outdir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}

	struct rb_jrec v[] = {
		rec(RB_JOP_ADD, 100003, 3, "tcp", "0.0.0.0.8.1", "superuser"),
		rec(RB_JOP_ADD, 100003, 3, "udp", "0.0.0.0.8.1", "superuser"),
		rec(RB_JOP_ADD, 100005, 3, "udp6", "::1.156.64", "unknown"),
		rec(RB_JOP_DEL, 100003, 3, "udp", "", ""),
		rec(RB_JOP_ADD, 100021, 4, "local", "/run/lockd.sock", "1000"),
		rec(RB_JOP_DEL, 100005, 3, "", "", ""),
		rec(RB_JOP_ADD, 100003, 4, "TCP", "0.0.0.0.8.1", "superuser"),
	};
	size_t nv = sizeof(v) / sizeof(v[0]);
	uint8_t buf[4096];
	struct rb_xdr_enc e;

	/* Journals. */
	rb_xdr_enc_init(&e, buf, sizeof(buf));
	rb_journal_put_header(&e, 3);
	for (size_t i = 0; i < nv; i++)
		rb_journal_put(&e, &v[i]);
	seed("journal_clean", 0, buf, e.pos);
	seed("journal_clean_fix", 1, buf, e.pos);
	seed("journal_torn", 0, buf, e.pos - 5);
	seed("journal_header_only", 0, buf, RB_JHDR_SIZE);
	uint8_t flip[4096];
	memcpy(flip, buf, e.pos);
	flip[RB_JHDR_SIZE + 70] ^= 0x10;
	seed("journal_flipped", 0, flip, e.pos);
	seed("journal_flipped_fix", 1, flip, e.pos);
	seed("all_journal", 6, buf, e.pos);

	/* Snapshots. */
	struct rb_snapshot_writer w;
	rb_snapshot_begin(&w, 5);
	rb_xdr_enc_init(&e, buf + RB_SNAP_HDR_SIZE, sizeof(buf) - RB_SNAP_HDR_SIZE);
	for (size_t i = 0; i < nv; i++)
		if (v[i].op == RB_JOP_ADD)
			rb_snapshot_put_entry(&w, &e, &v[i]);
	rb_snapshot_put_header(&w, buf);
	size_t sl = RB_SNAP_HDR_SIZE + e.pos;
	seed("snapshot_clean", 2, buf, sl);
	seed("snapshot_clean_fix", 3, buf, sl);
	seed("snapshot_empty", 2, buf, 0);
	memcpy(flip, buf, sl);
	flip[sl - 3] ^= 1;
	seed("snapshot_flipped", 2, flip, sl);
	seed("all_snapshot", 7, buf, sl);
	rb_snapshot_begin(&w, 0);
	rb_snapshot_put_header(&w, buf);
	seed("snapshot_no_entries", 2, buf, RB_SNAP_HDR_SIZE);

	/* rpcbind's real files. */
	char path[512];
	size_t n;
	snprintf(path, sizeof(path), "%s/rpcbind-warmstart/rpcbind.xdr", argv[2]);
	uint8_t *rb = load(path, &n);
	seed("rpcbind_real", 4, rb, n);
	seed("rpcbind_truncated", 4, rb, n / 2);
	memcpy(flip, rb, n);
	flip[12] = 0x7f; /* the first netid's length, enormous */
	seed("rpcbind_huge_string", 4, flip, n);
	seed("all_rpcbind", 6, rb, n);
	free(rb);
	snprintf(path, sizeof(path), "%s/rpcbind-warmstart/portmap.xdr", argv[2]);
	uint8_t *pm = load(path, &n);
	seed("portmap_real", 5, pm, n);
	memcpy(flip, pm, n);
	flip[15] = 99; /* the first prot */
	seed("portmap_bad_prot", 5, flip, n);
	flip[2 * 20 + 16] = 0x01; /* the third port, over 65535 */
	seed("portmap_bad_port", 5, flip, n);
	free(pm);
	static const uint8_t empty_list[4] = {0, 0, 0, 0};
	seed("portmap_empty", 5, empty_list, 4);
	seed("rpcbind_empty", 4, empty_list, 4);
	return 0;
}
