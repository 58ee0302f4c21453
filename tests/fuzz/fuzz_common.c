/* The call-handling environment of the fuzz targets: one registry with a
 * few entries (as rpcbind and an NFS server would have registered them),
 * per-thread stats, and a list of transports each input is tried on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "registry/procs/stream.h"
#include "registry/procs/dispatch.h"
#include "registry/store/registry.h"
#include "registry/stats/stats.h"

static const struct {
	uint32_t prog, vers;
	const char *netid, *uaddr, *owner;
} seed_entries[] = {
	{100000, 4, "tcp6", "::.0.111", "superuser"},
	{100000, 3, "tcp6", "::.0.111", "superuser"},
	{100000, 4, "udp6", "::.0.111", "superuser"},
	{100000, 4, "tcp", "0.0.0.0.0.111", "superuser"},
	{100000, 3, "tcp", "0.0.0.0.0.111", "superuser"},
	{100000, 2, "tcp", "0.0.0.0.0.111", "superuser"},
	{100000, 4, "udp", "0.0.0.0.0.111", "superuser"},
	{100000, 2, "udp", "0.0.0.0.0.111", "superuser"},
	{100000, 4, "local", "/run/rpcbind.sock", "superuser"},
	{100003, 3, "udp", "0.0.0.0.8.1", "superuser"},
	{100003, 3, "tcp", "0.0.0.0.8.1", "superuser"},
	{100003, 4, "tcp", "0.0.0.0.8.1", "superuser"},
	{100003, 3, "tcp6", "::.8.1", "superuser"},
	{100005, 1, "udp", "127.0.0.1.156.64", "unknown"},
	{100005, 3, "udp6", "fe80::1.156.64", "unknown"},
	{100021, 4, "local", "/run/lockd.sock", "1000"},
	{100024, 1, "udp", "10.0.0.1.3.232", "1000"},
};

struct fz_env {
	struct rb_registry *reg;
	struct rb_reader *rd;
	struct rb_stats *stats;
	struct rb_stats *scratch;
	int dirty; /* a mutation was applied this input */
};

static struct fz_env env;

static void collect(void *arg, struct rb_stats *out)
{
	rb_stats_init(out);
	rb_stats_merge(out, (const struct rb_stats *)arg);
}

static void env_build_registry(void)
{
	FZ_ASSERT(rb_registry_new(&env.reg) == 0);
	for (size_t i = 0; i < sizeof(seed_entries) / sizeof(seed_entries[0]); i++)
		FZ_ASSERT(rb_registry_set(env.reg, seed_entries[i].prog,
					  seed_entries[i].vers,
					  seed_entries[i].netid,
					  seed_entries[i].uaddr,
					  seed_entries[i].owner) >= 0);
	env.rd = rb_registry_reader(env.reg);
	FZ_ASSERT(env.rd != NULL);
}

static void env_init(void)
{
	if (env.reg)
		return;
	env.stats = calloc(1, sizeof(*env.stats));
	env.scratch = calloc(1, sizeof(*env.scratch));
	FZ_ASSERT(env.stats && env.scratch);
	env_build_registry();
}

/* A transport to try each message on. */
struct fz_xport {
	enum rb_netid_idx netid;
	enum rb_family peer_family;
	const char *peer;   /* uaddr of the peer (or path) */
	const char *local;  /* arrival uaddr, NULL if unknown */
	int64_t uid;
	bool insecure, remote_calls;
	uint32_t out_cap;   /* reply buffer size */
};

static const struct fz_xport xports[] = {
	/* root-ish loopback peer on UDP: may SET/UNSET as superuser */
	{RB_NETID_UDP, RB_AF_INET, "127.0.0.1.2.188", "127.0.0.1.0.111", -1,
	 false, false, 8800},
	/* remote peer on TCP */
	{RB_NETID_TCP, RB_AF_INET, "192.0.2.7.156.64", "10.0.0.1.0.111", -1,
	 false, false, 65536},
	/* loopback IPv6 with an unprivileged port: owner "unknown" */
	{RB_NETID_UDP6, RB_AF_INET6, "::1.7.208", "::1.0.111", -1, false,
	 false, 8800},
	/* v4-mapped loopback over TCP6, arrival address unknown */
	{RB_NETID_TCP6, RB_AF_INET6, "::ffff:127.0.0.1.3.0", NULL, -1, false,
	 false, 65536},
	/* AF_LOCAL as root, and as uid 1000 */
	{RB_NETID_LOCAL, RB_AF_LOCAL, "/run/rpcbind.sock", NULL, 0, false,
	 false, 65536},
	{RB_NETID_UNIX, RB_AF_LOCAL, "/run/rpcbind.sock", NULL, 1000, false,
	 false, 65536},
	/* remote peer, -i and -r, a reply buffer too small for DUMP */
	{RB_NETID_UDP, RB_AF_INET, "198.51.100.1.0.53", "192.0.2.1.0.111", -1,
	 true, true, 96},
	/* remote IPv6 peer with a scope-less link-local arrival */
	{RB_NETID_TCP6, RB_AF_INET6, "2001:db8::9.3.232", "fe80::2.0.111", -1,
	 true, false, 200},
};

static void make_addr(enum rb_family f, const char *s, struct rb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!s) {
		a->family = RB_AF_NONE;
		return;
	}
	FZ_ASSERT(rb_uaddr_parse(f, s, strlen(s), a) == 0);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Every reply starts xid, REPLY, and a well-formed status. */
static void check_reply(const uint8_t *msg, size_t len, const uint8_t *r,
			size_t rlen)
{
	FZ_ASSERT(len >= 4);
	FZ_ASSERT(rlen >= 20);
	FZ_ASSERT(memcmp(r, msg, 4) == 0); /* xid echoed */
	FZ_ASSERT(be32(r + 4) == 1);       /* REPLY */
	uint32_t rs = be32(r + 8);
	FZ_ASSERT(rs == 0 || rs == 1);
	if (rs == 0) {
		FZ_ASSERT(rlen >= 24);
		FZ_ASSERT(be32(r + 12) == 0 && be32(r + 16) == 0); /* AUTH_NONE verf */
		uint32_t st = be32(r + 20);
		FZ_ASSERT(st <= 5);
		if (st == 2)
			FZ_ASSERT(rlen == 32);
		else if (st != 0)
			FZ_ASSERT(rlen == 24);
		FZ_ASSERT(rlen % 4 == 0);
	} else {
		uint32_t rj = be32(r + 12);
		FZ_ASSERT(rj == 0 || rj == 1);
		if (rj == 0) {
			FZ_ASSERT(rlen == 24);
		} else {
			FZ_ASSERT(rlen == 20);
			uint32_t why = be32(r + 16);
			FZ_ASSERT(why >= 1 && why <= 7);
		}
	}
}

/* The input as a service's reply to a forwarded call (-r): whatever it
 * is, the caller's answer is well-formed, bounded by the encoder, under
 * the caller's xid, and none at all for CALLIT unless relayed. */
static void fuzz_answer(const uint8_t *msg, size_t len, uint32_t cap)
{
	for (int k = 0; k < 3; k++) {
		struct rb_fwd_shape s;
		memset(&s, 0, sizeof(s));
		s.xid = 0x01020304u;
		s.rvers = k == 0 ? 2 : 4;
		s.kind = k == 2 ? RB_FWD_INDIRECT : RB_FWD_CALLIT;
		s.port = 1000;
		strcpy(s.uaddr, "127.0.0.1.3.232");
		s.uaddr_len = (uint8_t)strlen(s.uaddr);
		s.guard = k == 1;
		s.call_len = 64;
		uint8_t *out = malloc(cap);
		FZ_ASSERT(out != NULL);
		struct rb_xdr_enc e;
		rb_xdr_enc_init(&e, out, cap);
		enum rb_fwd_status st = rb_fwd_put_answer(&e, &s, msg, (uint32_t)len);
		FZ_ASSERT(e.err == 0 && e.pos <= cap && e.pos % 4 == 0);
		if (e.pos) {
			FZ_ASSERT(e.pos >= 20 && be32(out) == s.xid && be32(out + 4) == 1);
			FZ_ASSERT(st == RB_FWD_RELAYED || s.kind == RB_FWD_INDIRECT);
			if (s.guard)
				FZ_ASSERT(e.pos <= s.call_len);
		} else {
			FZ_ASSERT(s.kind == RB_FWD_CALLIT || cap < 24);
		}
		free(out);
	}
}

/* A stream transport's way (registry/procs/stream.h): a large reply in pieces of
 * FZ_STREAM_PIECE bytes (each its own reader section, in an exact-size
 * buffer) must join to the reply written whole. */
#define FZ_STREAM_PIECE 256u
#define FZ_STREAM_JOINED_MAX (1u << 20) /* the fuzz registry is small */
static void stream_matches_whole(const struct rb_handler_ctx *ctx, const struct rb_xport *x,
				 const uint8_t *msg, size_t len, const uint8_t *whole, size_t wlen)
{
	uint8_t first[64];
	struct rb_xdr_enc e;
	struct rb_mutation mut;
	struct rb_stream st;
	rb_xdr_enc_init(&e, first, sizeof(first));
	rb_reader_begin(env.rd);
	enum rb_outcome o = rb_handle_call_stream(ctx, x, msg, (uint32_t)len, &e, &mut, &st);
	rb_reader_end(env.rd);
	if (o != RB_OUT_STREAM)
		return; /* written whole: the same call as the caller's */
	FZ_ASSERT(e.pos == 0);
	/* The whole reply may have been SYSTEM_ERR (too large for the
	 * transport's buffer): then the pieces are only checked to end. */
	bool comparable = wlen >= 24 && be32(whole + 20) == 0;
	size_t cap = FZ_STREAM_JOINED_MAX;
	uint8_t *joined = malloc(cap);
	uint8_t *piece = malloc(FZ_STREAM_PIECE);
	FZ_ASSERT(joined != NULL && piece != NULL);
	size_t at = 0;
	int r = 0;
	for (unsigned steps = 0; r == 0 && steps < 100000; steps++) {
		rb_xdr_enc_init(&e, piece, FZ_STREAM_PIECE);
		rb_reader_begin(env.rd);
		r = rb_stream_step(ctx, x, &st, &e);
		rb_reader_end(env.rd);
		FZ_ASSERT(r >= 0 && e.err == 0 && e.pos <= FZ_STREAM_PIECE);
		FZ_ASSERT(at + e.pos <= cap);
		memcpy(joined + at, piece, e.pos);
		at += e.pos;
	}
	FZ_ASSERT(r == 1 && st.kind == RB_STREAM_NONE);
	FZ_ASSERT(!comparable || (at == wlen && memcmp(joined, whole, wlen) == 0));
	free(joined);
	free(piece);
}

static void run_one(const struct fz_xport *t, const uint8_t *msg, size_t len)
{
	struct rb_policy pol = {.insecure = t->insecure,
				.remote_calls = t->remote_calls};
	struct rb_handler_ctx ctx = {
		.reg = env.reg,
		.policy = &pol,
		.stats = env.stats,
		.collect_stats = collect,
		.collect_arg = env.stats,
		.scratch = env.scratch,
	};
	struct rb_xport x;
	memset(&x, 0, sizeof(x));
	x.netid = t->netid;
	make_addr(t->peer_family, t->peer, &x.peer);
	make_addr(t->peer_family, t->local, &x.local);
	x.peer_uid = t->uid;
	x.now = 1700000000u;

	/* Exact-size buffers so that ASan sees any overrun. */
	uint8_t *out = malloc(t->out_cap);
	FZ_ASSERT(out != NULL);
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, out, t->out_cap);
	struct rb_mutation mut;
	memset(&mut, 0xa5, sizeof(mut));
	struct rb_fwd_req fwd;
	memset(&fwd, 0xa5, sizeof(fwd));

	rb_reader_begin(env.rd);
	/* With -r, a transport that can forward (the daemon's UDP path). */
	enum rb_outcome o = rb_handle_call_ex(&ctx, &x, msg, (uint32_t)len, &e, &mut,
					      t->remote_calls ? &fwd : NULL);
	rb_reader_end(env.rd);
	if (t->remote_calls)
		fuzz_answer(msg, len, t->out_cap);
	if (o == RB_OUT_REPLY && e.err == 0 && rb_netid_get(t->netid)->stream)
		stream_matches_whole(&ctx, &x, msg, len, out, e.pos);

	switch (o) {
	case RB_OUT_REPLY:
		FZ_ASSERT(e.err == 0);
		FZ_ASSERT(e.pos <= t->out_cap);
		check_reply(msg, len, out, e.pos);
		break;
	case RB_OUT_DROP:
		break;
	case RB_OUT_MUTATE:
		FZ_ASSERT(mut.op == RB_MUT_SET || mut.op == RB_MUT_UNSET);
		FZ_ASSERT(memchr(mut.netid, 0, sizeof(mut.netid)) != NULL);
		FZ_ASSERT(memchr(mut.uaddr, 0, sizeof(mut.uaddr)) != NULL);
		FZ_ASSERT(memchr(mut.owner, 0, sizeof(mut.owner)) != NULL);
		FZ_ASSERT(mut.stat_vers < RB_STAT_VERSIONS);
		FZ_ASSERT(len >= 24 && mut.xid == be32(msg));
		FZ_ASSERT(be32(msg + 20) == 1 || be32(msg + 20) == 2);
		/* The owner comes from the transport, never from the call. */
		{
			char want[RB_OWNER_MAX + 1];
			if (t->peer_family == RB_AF_LOCAL && t->uid == 0)
				snprintf(want, sizeof(want), "superuser");
			else if (t->peer_family == RB_AF_LOCAL)
				snprintf(want, sizeof(want), "%lld",
					 (long long)t->uid);
			else if (rb_addr_is_loopback_peer(&x.peer) &&
				 x.peer.port < 1024)
				snprintf(want, sizeof(want), "superuser");
			else
				snprintf(want, sizeof(want), "unknown");
			FZ_ASSERT(strcmp(mut.owner, want) == 0);
		}
		/* Mutations come only from peers allowed to make them. */
		FZ_ASSERT(t->insecure || t->peer_family == RB_AF_LOCAL ||
			  rb_addr_is_loopback_peer(&x.peer));
		{
			bool ok = rb_mutation_apply(env.reg, &mut, env.stats);
			env.dirty = 1;
			rb_xdr_enc_init(&e, out, t->out_cap);
			rb_mutation_put_reply(&e, &mut, ok);
			if (t->out_cap >= 28) {
				FZ_ASSERT(e.err == 0);
				FZ_ASSERT(e.pos == 28);
				check_reply(msg, len, out, e.pos);
			}
		}
		break;
	case RB_OUT_FORWARD:
		/* Only with a slot, over a datagram transport, never denied;
		 * the forwarded call fits in the bytes of the call it came
		 * from, and points into it. */
		FZ_ASSERT(t->remote_calls && !rb_netid_get(t->netid)->stream);
		FZ_ASSERT(!fwd.denied && !rb_fwd_denied(fwd.prog, fwd.proc));
		FZ_ASSERT(fwd.port != 0 && fwd.family == x.peer.family);
		FZ_ASSERT(fwd.shape.xid == be32(msg) && fwd.shape.call_len == len);
		FZ_ASSERT(fwd.args_len == 0 || (fwd.args >= msg && fwd.args + fwd.args_len <= msg + len));
		FZ_ASSERT(fwd.cred_len <= 400);
		{
			uint8_t *fc = malloc(len);
			FZ_ASSERT(fc != NULL);
			struct rb_xdr_enc fe;
			rb_xdr_enc_init(&fe, fc, len);
			FZ_ASSERT(rb_fwd_put_call(&fe, &fwd, 0x55aa55aau) == 0);
			free(fc);
		}
		break;
	default:
		FZ_ASSERT(!"unknown outcome");
	}
	free(out);
}

void fz_handle_message(const uint8_t *msg, size_t len, int streams_only)
{
	env_init();
	for (size_t i = 0; i < sizeof(xports) / sizeof(xports[0]); i++) {
		const struct rb_netid *n = rb_netid_get(xports[i].netid);
		if (streams_only && !n->stream)
			continue;
		run_one(&xports[i], msg, len);
	}
}

void fz_end_input(void)
{
	if (!env.reg)
		return;
	rb_registry_reclaim(env.reg);
	if (env.dirty) {
		/* Back to the seed entries so that inputs stay independent. */
		rb_registry_synchronize(env.reg);
		rb_registry_free(env.reg);
		env.reg = NULL;
		env.rd = NULL;
		env_build_registry();
		env.dirty = 0;
	}
	/* Stats tables are bounded, but reset them for reproducibility. */
	rb_stats_init(env.stats);
}
