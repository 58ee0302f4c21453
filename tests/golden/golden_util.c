#include "golden_util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xdr.h"

/* ---- byte builder ---- */

void gb_reset(struct gbuf *g)
{
	g->n = 0;
}

void gb_raw(struct gbuf *g, const void *p, size_t n)
{
	if (n > sizeof(g->b) - g->n) {
		fprintf(stderr, "golden: gbuf overflow\n");
		abort();
	}
	if (n)
		memcpy(g->b + g->n, p, n);
	g->n += n;
}

void gb_u32(struct gbuf *g, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };
	gb_raw(g, b, 4);
}

void gb_opaque(struct gbuf *g, const void *p, uint32_t len)
{
	static const uint8_t zero[4];
	gb_u32(g, len);
	gb_raw(g, p, len);
	gb_raw(g, zero, (4u - (len & 3u)) & 3u);
}

void gb_str(struct gbuf *g, const char *s)
{
	gb_opaque(g, s, (uint32_t)strlen(s));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void gb_hex(struct gbuf *g, const char *hex)
{
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '|')
			continue;
		int v = hexval(*p);
		if (v < 0) {
			fprintf(stderr, "golden: bad hex '%c'\n", *p);
			abort();
		}
		if (hi < 0) {
			hi = v;
		} else {
			uint8_t b = (uint8_t)(hi << 4 | v);
			gb_raw(g, &b, 1);
			hi = -1;
		}
	}
	if (hi >= 0) {
		fprintf(stderr, "golden: odd hex digit count\n");
		abort();
	}
}

void gb_call_ex(struct gbuf *g, uint32_t xid, uint32_t rpcvers, uint32_t prog,
		uint32_t vers, uint32_t proc, uint32_t cred_flavor,
		const void *cred, uint32_t cred_len)
{
	gb_u32(g, xid);
	gb_u32(g, 0); /* CALL */
	gb_u32(g, rpcvers);
	gb_u32(g, prog);
	gb_u32(g, vers);
	gb_u32(g, proc);
	gb_u32(g, cred_flavor);
	gb_opaque(g, cred, cred_len);
	gb_u32(g, 0); /* verf AUTH_NONE */
	gb_u32(g, 0);
}

void gb_call(struct gbuf *g, uint32_t xid, uint32_t prog, uint32_t vers,
	     uint32_t proc)
{
	gb_call_ex(g, xid, 2, prog, vers, proc, 0, NULL, 0);
}

void gb_reply(struct gbuf *g, uint32_t xid, uint32_t accept_stat)
{
	gb_u32(g, xid);
	gb_u32(g, 1); /* REPLY */
	gb_u32(g, 0); /* MSG_ACCEPTED */
	gb_u32(g, 0); /* verf AUTH_NONE */
	gb_u32(g, 0);
	gb_u32(g, accept_stat);
}

void gb_reply_prog_mismatch(struct gbuf *g, uint32_t xid, uint32_t low,
			    uint32_t high)
{
	gb_reply(g, xid, 2);
	gb_u32(g, low);
	gb_u32(g, high);
}

void gb_reply_rpc_mismatch(struct gbuf *g, uint32_t xid, uint32_t low,
			   uint32_t high)
{
	gb_u32(g, xid);
	gb_u32(g, 1); /* REPLY */
	gb_u32(g, 1); /* MSG_DENIED */
	gb_u32(g, 0); /* RPC_MISMATCH */
	gb_u32(g, low);
	gb_u32(g, high);
}

void gb_reply_auth(struct gbuf *g, uint32_t xid, uint32_t why)
{
	gb_u32(g, xid);
	gb_u32(g, 1); /* REPLY */
	gb_u32(g, 1); /* MSG_DENIED */
	gb_u32(g, 1); /* AUTH_ERROR */
	gb_u32(g, why);
}

void gb_pmap(struct gbuf *g, uint32_t prog, uint32_t vers, uint32_t prot,
	     uint32_t port)
{
	gb_u32(g, prog);
	gb_u32(g, vers);
	gb_u32(g, prot);
	gb_u32(g, port);
}

void gb_rpcb(struct gbuf *g, uint32_t prog, uint32_t vers, const char *netid,
	     const char *addr, const char *owner)
{
	gb_u32(g, prog);
	gb_u32(g, vers);
	gb_str(g, netid);
	gb_str(g, addr);
	gb_str(g, owner);
}

/* ---- byte reader ---- */

void gd_init(struct gd *d, const void *p, size_t n)
{
	d->p = p;
	d->n = p ? n : 0;
	d->pos = 0;
	d->err = false;
}

uint32_t gd_u32(struct gd *d)
{
	if (d->err || d->n - d->pos < 4) {
		d->err = true;
		return 0;
	}
	const uint8_t *b = d->p + d->pos;
	d->pos += 4;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

uint32_t gd_opaque(struct gd *d, uint8_t *out, size_t cap)
{
	uint32_t len = gd_u32(d);
	size_t padded = (size_t)len + ((4u - (len & 3u)) & 3u);
	if (d->err || len > cap || padded > d->n - d->pos) {
		d->err = true;
		return 0;
	}
	memcpy(out, d->p + d->pos, len);
	for (size_t i = len; i < padded; i++) {
		if (d->p[d->pos + i] != 0)
			d->err = true; /* padding must be zero */
	}
	d->pos += padded;
	return len;
}

void gd_str(struct gd *d, char *out, size_t cap)
{
	if (cap == 0) {
		d->err = true;
		return;
	}
	uint32_t len = gd_opaque(d, (uint8_t *)out, cap - 1);
	out[d->err ? 0 : len] = '\0';
	if (memchr(out, 0, len))
		d->err = true;
}

/* ---- transport contexts ---- */

static struct rb_addr ipaddr(const char *ip, uint16_t port)
{
	struct rb_addr a;
	memset(&a, 0, sizeof(a));
	a.port = port;
	if (inet_pton(AF_INET, ip, a.ip) == 1) {
		a.family = RB_AF_INET;
	} else if (inet_pton(AF_INET6, ip, a.ip) == 1) {
		a.family = RB_AF_INET6;
	} else {
		fprintf(stderr, "golden: bad address %s\n", ip);
		abort();
	}
	return a;
}

struct rb_xport gx_ip(enum rb_netid_idx netid, const char *peer,
		      uint16_t peer_port, const char *local, uint16_t local_port)
{
	struct rb_xport x;
	memset(&x, 0, sizeof(x));
	x.netid = netid;
	x.peer = ipaddr(peer, peer_port);
	x.local = ipaddr(local, local_port);
	x.peer_uid = -1;
	x.now = GT_NOW;
	return x;
}

struct rb_xport gx_udp_lo(uint16_t peer_port)
{
	return gx_ip(RB_NETID_UDP, "127.0.0.1", peer_port, "127.0.0.1", 111);
}

struct rb_xport gx_tcp_lo(uint16_t peer_port)
{
	return gx_ip(RB_NETID_TCP, "127.0.0.1", peer_port, "127.0.0.1", 111);
}

struct rb_xport gx_udp_remote(void)
{
	return gx_ip(RB_NETID_UDP, "10.1.2.3", 40000, "10.1.2.1", 111);
}

struct rb_xport gx_udp6_lo(void)
{
	return gx_ip(RB_NETID_UDP6, "::1", 40000, "::1", 111);
}

struct rb_xport gx_tcp6_lo(void)
{
	return gx_ip(RB_NETID_TCP6, "::1", 40000, "::1", 111);
}

struct rb_xport gx_local(int64_t uid)
{
	struct rb_xport x;
	memset(&x, 0, sizeof(x));
	x.netid = RB_NETID_LOCAL;
	x.peer.family = RB_AF_LOCAL;
	x.local.family = RB_AF_LOCAL;
	strcpy(x.local.path, "/run/rpcbind.sock");
	x.peer_uid = uid;
	x.now = GT_NOW;
	return x;
}

/* ---- engine ---- */

static void collect(void *arg, struct rb_stats *out)
{
	struct gt *t = arg;
	t->collect_calls++;
	rb_stats_init(out);
	rb_stats_merge(out, t->stats);
	rb_stats_merge(out, t->wstats);
}

struct gt *gt_new(void)
{
	struct gt *t = calloc(1, sizeof(*t));
	if (!t)
		abort();
	if (rb_registry_new(&t->reg) != 0 || !t->reg) {
		fprintf(stderr, "golden: rb_registry_new failed\n");
		abort();
	}
	t->rd = rb_registry_reader(t->reg);
	if (!t->rd) {
		fprintf(stderr, "golden: rb_registry_reader failed\n");
		abort();
	}
	t->stats = calloc(1, sizeof(*t->stats));
	t->wstats = calloc(1, sizeof(*t->wstats));
	t->scratch = calloc(1, sizeof(*t->scratch));
	if (!t->stats || !t->wstats || !t->scratch)
		abort();
	rb_stats_init(t->stats);
	rb_stats_init(t->wstats);
	rb_stats_init(t->scratch);
	t->ctx.reg = t->reg;
	t->ctx.policy = &t->policy;
	t->ctx.stats = t->stats;
	t->ctx.collect_stats = collect;
	t->ctx.collect_arg = t;
	t->ctx.scratch = t->scratch;
	return t;
}

void gt_free(struct gt *t)
{
	if (!t)
		return;
	rb_reader_release(t->rd);
	rb_registry_synchronize(t->reg);
	rb_registry_free(t->reg);
	free(t->stats);
	free(t->wstats);
	free(t->scratch);
	free(t);
}

enum rb_outcome gt_call_raw(struct gt *t, const struct rb_xport *x,
			    const void *msg, size_t len)
{
	struct rb_xdr_enc e;
	/* A copy of exactly len bytes on the heap, so that ASan sees any read
	 * past the end of the message. */
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	if (len)
		memcpy(copy, msg, len);

	memset(&t->mut, 0, sizeof(t->mut));
	t->mut_ok = false;
	memset(t->out, 0xee, sizeof(t->out));
	rb_xdr_enc_init(&e, t->out, sizeof(t->out));
	rb_reader_begin(t->rd);
	t->oc = rb_handle_call(&t->ctx, x, copy, (uint32_t)len, &e, &t->mut);
	rb_reader_end(t->rd);
	free(copy);

	switch (t->oc) {
	case RB_OUT_REPLY:
		t->outlen = e.err ? 0 : e.pos;
		if (e.err)
			fprintf(stderr, "golden: reply encoder error %d\n", e.err);
		break;
	case RB_OUT_DROP:
		t->outlen = 0;
		break;
	case RB_OUT_MUTATE:
		/* The writer thread's side, in its own buffer. */
		t->mut_ok = rb_mutation_apply(t->reg, &t->mut, t->wstats);
		rb_registry_reclaim(t->reg);
		rb_xdr_enc_init(&e, t->out, sizeof(t->out));
		rb_mutation_put_reply(&e, &t->mut, t->mut_ok);
		t->outlen = e.err ? 0 : e.pos;
		break;
	default:
		fprintf(stderr, "golden: unknown outcome %d\n", (int)t->oc);
		t->outlen = 0;
		break;
	}
	return t->oc;
}

enum rb_outcome gt_call(struct gt *t, const struct rb_xport *x,
			const struct gbuf *msg)
{
	return gt_call_raw(t, x, msg->b, msg->n);
}

int gt_accept_stat(const struct gt *t)
{
	struct gd d;
	gd_init(&d, t->out, t->outlen);
	gd_u32(&d); /* xid */
	uint32_t mtype = gd_u32(&d);
	uint32_t rstat = gd_u32(&d);
	gd_u32(&d); /* verf flavor */
	uint32_t vlen = gd_u32(&d);
	uint32_t stat = gd_u32(&d);
	if (d.err || mtype != 1 || rstat != 0 || vlen != 0)
		return -1;
	return (int)stat;
}

bool gt_results(const struct gt *t, uint32_t xid, struct gd *d)
{
	static const uint8_t head_ok[20] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
					     0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	gd_init(d, NULL, 0);
	if ((t->oc != RB_OUT_REPLY && t->oc != RB_OUT_MUTATE) || t->outlen < 24)
		return false;
	struct gd h;
	gd_init(&h, t->out, t->outlen);
	if (gd_u32(&h) != xid || memcmp(t->out + 4, head_ok, 20) != 0)
		return false;
	gd_init(d, t->out + 24, t->outlen - 24);
	return true;
}

static int bool_reply(struct gt *t, uint32_t xid)
{
	struct gd d;
	if (!gt_results(t, xid, &d))
		return -1;
	uint32_t v = gd_u32(&d);
	if (d.err || d.pos != d.n || v > 1)
		return -1;
	return (int)v;
}

int gt_pmap_change(struct gt *t, const struct rb_xport *x, uint32_t proc,
		   uint32_t prog, uint32_t vers, uint32_t prot, uint32_t port)
{
	struct gbuf g;
	uint32_t xid = 0x5e700000u + proc;
	gb_reset(&g);
	gb_call(&g, xid, RB_PROG_RPCBIND, 2, proc);
	gb_pmap(&g, prog, vers, prot, port);
	gt_call(t, x, &g);
	/* A v2 SET with a prot other than udp/tcp may be refused before
	 * reaching the writer; either way the answer is a bool. */
	if (t->oc != RB_OUT_MUTATE && t->oc != RB_OUT_REPLY)
		return -1;
	return bool_reply(t, xid);
}

int gt_rpcb_change(struct gt *t, const struct rb_xport *x, uint32_t rvers,
		   uint32_t proc, uint32_t prog, uint32_t vers,
		   const char *netid, const char *addr, const char *owner)
{
	struct gbuf g;
	uint32_t xid = 0x5e710000u + rvers * 16 + proc;
	gb_reset(&g);
	gb_call(&g, xid, RB_PROG_RPCBIND, rvers, proc);
	gb_rpcb(&g, prog, vers, netid, addr, owner);
	if (gt_call(t, x, &g) != RB_OUT_MUTATE)
		return -1;
	return bool_reply(t, xid);
}

long gt_getport(struct gt *t, const struct rb_xport *x, uint32_t prog,
		uint32_t vers, uint32_t prot)
{
	struct gbuf g;
	struct gd d;
	uint32_t xid = 0x6e700003u;
	gb_reset(&g);
	gb_call(&g, xid, RB_PROG_RPCBIND, 2, 3);
	gb_pmap(&g, prog, vers, prot, 0);
	if (gt_call(t, x, &g) != RB_OUT_REPLY || !gt_results(t, xid, &d))
		return -1;
	uint32_t port = gd_u32(&d);
	if (d.err || d.pos != d.n)
		return -1;
	return (long)port;
}

int gt_getaddr(struct gt *t, const struct rb_xport *x, uint32_t rvers,
	       uint32_t proc, uint32_t prog, uint32_t vers, const char *netid,
	       char *out, size_t cap)
{
	struct gbuf g;
	struct gd d;
	uint32_t xid = 0x6e710000u + rvers * 16 + proc;
	gb_reset(&g);
	gb_call(&g, xid, RB_PROG_RPCBIND, rvers, proc);
	gb_rpcb(&g, prog, vers, netid, "", "");
	if (gt_call(t, x, &g) != RB_OUT_REPLY || !gt_results(t, xid, &d))
		return -1;
	gd_str(&d, out, cap);
	if (d.err || d.pos != d.n)
		return -1;
	return 0;
}

int gt_rpcb_dump(struct gt *t, const struct rb_xport *x, uint32_t rvers,
		 struct gt_ent *ents, int max)
{
	struct gbuf g;
	struct gd d;
	uint32_t xid = 0x6e720004u;
	int n = 0;
	gb_reset(&g);
	gb_call(&g, xid, RB_PROG_RPCBIND, rvers, 4);
	if (gt_call(t, x, &g) != RB_OUT_REPLY || !gt_results(t, xid, &d))
		return -1;
	for (;;) {
		uint32_t more = gd_u32(&d);
		if (d.err || more > 1)
			return -1;
		if (!more)
			break;
		if (n >= max)
			return -1;
		struct gt_ent *e = &ents[n++];
		e->prog = gd_u32(&d);
		e->vers = gd_u32(&d);
		gd_str(&d, e->netid, sizeof(e->netid));
		gd_str(&d, e->addr, sizeof(e->addr));
		gd_str(&d, e->owner, sizeof(e->owner));
	}
	if (d.err || d.pos != d.n)
		return -1;
	return n;
}

const struct gt_ent *gt_find(const struct gt_ent *ents, int n, uint32_t prog,
			     uint32_t vers, const char *netid)
{
	for (int i = 0; i < n; i++) {
		if (ents[i].prog == prog && ents[i].vers == vers &&
		    strcmp(ents[i].netid, netid) == 0)
			return &ents[i];
	}
	return NULL;
}
