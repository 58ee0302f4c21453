/* ringbind-load: what to ask, how to encode it, and what the answer must be.
 *
 * Keys: key i < --keys is program prog_base + i, version 1, registered by
 * --prime with PMAP SET at port lg_key_port(i) (uaddr 0.0.0.0.p1.p2). With
 * no keys, lookups ask for the server's own program 100000, whose port is
 * --port. A miss asks for a program that is never registered (port 0, ""). */
#include <stdio.h>
#include <string.h>

#include "bench/load/load.h"
#include "core/rpc_msg.h"
#include "core/xdr.h"
#include "registry/procs/rpcb_xdr.h"

/* The longest DUMP list we walk (a registry of 1,000,000 is listed whole
 * over TCP). */
#define LG_DUMP_LIST_MAX (4u << 20)

uint16_t lg_key_port(uint32_t key)
{
	return (uint16_t)(1024u + key % 60000u);
}

uint32_t lg_rand(struct lg_thread *t)
{
	uint32_t v = t->rng;
	v ^= v << 13;
	v ^= v >> 17;
	v ^= v << 5;
	t->rng = v;
	return v;
}

uint32_t lg_next_xid(struct lg_thread *t, uint32_t slot)
{
	t->seq++;
	return t->seq << LG_SLOT_BITS | (slot & (LG_WINDOW_MAX - 1u));
}

static bool pct_hit(struct lg_thread *t, double pct)
{
	return (double)(lg_rand(t) % 1000000u) < pct * 10000.0;
}

bool lg_may_issue(struct lg_thread *t)
{
	int ph = atomic_load_explicit(&t->run->phase, memory_order_relaxed);
	if (ph == LG_PHASE_STOP || t->out_of_work)
		return false;
	if (ph == LG_PHASE_DRAIN && !t->prime) {
		t->out_of_work = true;
		return false;
	}
	uint64_t cnt = t->o->count;
	if (t->prime || cnt == 0 || ph != LG_PHASE_MEASURE)
		return true;
	if (atomic_fetch_add_explicit(&t->run->issued, 1, memory_order_relaxed) < cnt)
		return true;
	t->out_of_work = true;
	return false;
}

void lg_pick(struct lg_thread *t, struct lg_req *r)
{
	const struct lg_opts *o = t->o;
	r->op = LG_OP_LOOKUP;
	r->proto = o->stream ? 6 : 17;
	r->call = (uint8_t)o->call;
	r->tries = 0;
	r->item = 0;
	if (o->churn_pct > 0 && pct_hit(t, o->churn_pct)) {
		/* One mutation per churn program at a time: SET and UNSET
		 * of the same mapping both answer TRUE whatever the order, but
		 * keeping them apart keeps the registry's state known. */
		for (unsigned k = 0; k < LG_CHURN_POOL; k++) {
			unsigned j = (t->churn_next + k) % LG_CHURN_POOL;
			if (t->churn_state[j] & 2u)
				continue;
			t->churn_next = j + 1;
			t->churn_state[j] |= 2u;
			r->op = (t->churn_state[j] & 1u) ? LG_OP_UNSET : LG_OP_SET;
			r->churn = (uint16_t)j;
			r->key = LG_KEY_CHURN;
			r->proto = 17;
			r->prog = o->prog_base + LG_CHURN_OFF + t->id * LG_CHURN_POOL + j;
			return;
		}
	}
	if (o->n_mix) {
		uint64_t x = (uint64_t)lg_rand(t) << 32 | lg_rand(t);
		const struct lg_mix_ent *e = &o->mix[lg_mix_pick(o, x % o->mix_total)];
		r->key = LG_KEY_MIX;
		r->mix = (uint8_t)(e - o->mix);
		r->call = e->call;
		r->proto = e->proto;
		r->prog = e->prog;
		return;
	}
	if (o->miss_pct > 0 && pct_hit(t, o->miss_pct)) {
		r->key = LG_KEY_MISS;
		r->prog = o->prog_base + LG_MISS_OFF + (lg_rand(t) & (LG_KEYS_MAX - 1u));
		return;
	}
	if (o->keys == 0) {
		r->key = LG_KEY_SELF;
		r->prog = LG_PMAP_PROG;
		return;
	}
	r->key = lg_rand(t) % o->keys;
	r->prog = o->prog_base + r->key;
}

bool lg_pick_prime(struct lg_thread *t, struct lg_req *r)
{
	struct lg_prime *p = t->prime;
	uint32_t item;
	if (p->n_retry)
		item = p->retry[--p->n_retry];
	else if (p->next < p->n_items)
		item = p->next++;
	else
		return false;
	r->item = item;
	r->op = LG_OP_SET;
	r->tries = 0;
	if (p->n_mix) {
		const struct lg_mix_ent *e = &t->o->mix[p->mix_idx[item]];
		r->key = LG_KEY_MIX;
		r->mix = p->mix_idx[item];
		r->proto = e->proto;
		r->prog = e->prog;
		return true;
	}
	r->key = item / p->nprotos;
	r->proto = p->protos[item % p->nprotos];
	r->prog = t->o->prog_base + r->key;
	return true;
}

/* The port a call's answer holds (GETPORT) or a SET registers. */
static uint32_t req_port(const struct lg_opts *o, const struct lg_req *r)
{
	switch (r->key) {
	case LG_KEY_SELF:
		return o->port;
	case LG_KEY_MISS:
		return 0;
	case LG_KEY_CHURN:
		return 2000u + r->churn;
	case LG_KEY_MIX:
		return o->mix[r->mix].port > 0 ? (uint32_t)o->mix[r->mix].port : 0;
	default:
		return lg_key_port(r->key);
	}
}

/* The version asked for: 1 for our keys; for program 100000 one that the
 * procedure's own version registers. */
static uint32_t req_vers(const struct lg_opts *o, const struct lg_req *r)
{
	if (r->key == LG_KEY_MIX)
		return o->mix[r->mix].vers;
	if (r->key != LG_KEY_SELF)
		return 1;
	switch (r->call) {
	case LG_CALL_GETADDR:
		return 3;
	case LG_CALL_GETADDR4:
	case LG_CALL_GETVERSADDR:
		return 4;
	default:
		return 2;
	}
}

static const char *xport_netid(const struct lg_opts *o, const struct lg_req *r)
{
	if (r->key == LG_KEY_MIX)
		return o->mix[r->mix].netid;
	if (o->family == AF_INET6)
		return o->stream ? "tcp6" : "udp6";
	return o->stream ? "tcp" : "udp";
}

uint32_t lg_encode(const struct lg_opts *o, const struct lg_req *r, uint8_t *buf, size_t cap)
{
	struct rb_xdr_enc e;
	rb_xdr_enc_init(&e, buf, cap);
	if (r->op != LG_OP_LOOKUP) {
		uint32_t port = req_port(o, r);
		if (r->key == LG_KEY_MIX && o->mix[r->mix].v6) {
			/* IPv6 netids: RPCBIND v3 SET, at the wildcard. */
			char ua[32];
			snprintf(ua, sizeof(ua), "::.%u.%u", port >> 8, port & 0xffu);
			rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 3, r->op == LG_OP_SET ? 1 : 2);
			rb_put_rpcb(&e, r->prog, req_vers(o, r), o->mix[r->mix].netid, ua, "");
			return e.err ? 0 : (uint32_t)e.pos;
		}
		rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 2, r->op == LG_OP_SET ? 1 : 2);
		struct rb_pmap m = { r->prog, r->key == LG_KEY_MIX ? req_vers(o, r) : 1, r->proto, port };
		rb_put_pmap(&e, &m);
		return e.err ? 0 : (uint32_t)e.pos;
	}
	uint32_t vers = req_vers(o, r);
	switch ((enum lg_call)r->call) {
	case LG_CALL_GETPORT: {
		rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 2, 3);
		struct rb_pmap m = { r->prog, vers, r->proto, 0 };
		rb_put_pmap(&e, &m);
		break;
	}
	case LG_CALL_GETADDR:
		rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 3, 3);
		rb_put_rpcb(&e, r->prog, vers, xport_netid(o, r), o->raddr, "");
		break;
	case LG_CALL_GETADDR4:
		rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 4, 3);
		rb_put_rpcb(&e, r->prog, vers, xport_netid(o, r), o->raddr, "");
		break;
	case LG_CALL_GETVERSADDR:
		rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 4, 9);
		rb_put_rpcb(&e, r->prog, vers, xport_netid(o, r), o->raddr, "");
		break;
	case LG_CALL_DUMP:
		rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 2, 4);
		break;
	case LG_CALL_DUMP3:
		rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 3, 4);
		break;
	case LG_CALL_DUMP4:
		rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 4, 4);
		break;
	case LG_CALL_NULL:
		rb_rpc_put_call(&e, r->xid, LG_PMAP_PROG, 2, 0);
		break;
	}
	return e.err ? 0 : (uint32_t)e.pos;
}

static bool bytes_eq(struct rb_xdr_bytes b, const char *s)
{
	size_t n = strlen(s);
	return b.len == n && (n == 0 || memcmp(b.ptr, s, n) == 0);
}

static bool is_key(const struct lg_opts *o, uint32_t prog, uint32_t vers)
{
	return vers == 1 && prog - o->prog_base < o->keys;
}

/* PMAP DUMP: every registration of our keys has its port, program 100000
 * is there with the server's port, and at least --keys of ours. */
static enum lg_verdict check_pmaplist(const struct lg_opts *o, struct rb_xdr_dec *d)
{
	uint32_t n = 0, ours = 0;
	bool self = false, bad = false;
	while (rb_xdr_get_list_more(d, &n, LG_DUMP_LIST_MAX)) {
		uint32_t prog = rb_xdr_get_u32(d), vers = rb_xdr_get_u32(d);
		uint32_t prot = rb_xdr_get_u32(d), port = rb_xdr_get_u32(d);
		if (prog == LG_PMAP_PROG && (prot == 17 || prot == 6)) {
			self = true;
			bad |= port != o->port;
		} else if (is_key(o, prog, vers)) {
			ours++;
			bad |= port != lg_key_port(prog - o->prog_base);
		}
	}
	if (d->err || bad || !self || ours < o->keys || rb_xdr_dec_left(d))
		return LG_WRONG;
	return LG_OK;
}

/* RPCBIND DUMP: the same for rpcb entries (netid udp/tcp, wildcard uaddr). */
static enum lg_verdict check_rpcblist(const struct lg_opts *o, struct rb_xdr_dec *d)
{
	uint32_t n = 0, ours = 0;
	bool self = false, bad = false;
	char want[64];
	while (rb_xdr_get_list_more(d, &n, LG_DUMP_LIST_MAX)) {
		struct rb_rpcb r;
		r.prog = rb_xdr_get_u32(d);
		r.vers = rb_xdr_get_u32(d);
		r.netid = rb_xdr_get_string(d, RB_XDR_STRING_MAX);
		r.addr = rb_xdr_get_string(d, RB_XDR_STRING_MAX);
		r.owner = rb_xdr_get_string(d, RB_XDR_STRING_MAX);
		if (d->err)
			break;
		bool v4 = bytes_eq(r.netid, "udp") || bytes_eq(r.netid, "tcp");
		if (!v4)
			continue;
		if (r.prog == LG_PMAP_PROG) {
			self = true;
			snprintf(want, sizeof(want), "0.0.0.0.%u.%u", o->port >> 8, o->port & 0xffu);
			bad |= !bytes_eq(r.addr, want);
		} else if (is_key(o, r.prog, r.vers)) {
			uint16_t p = lg_key_port(r.prog - o->prog_base);
			ours++;
			snprintf(want, sizeof(want), "0.0.0.0.%u.%u", p >> 8, p & 0xffu);
			bad |= !bytes_eq(r.addr, want);
		}
	}
	if (d->err || bad || !self || ours < o->keys || rb_xdr_dec_left(d))
		return LG_WRONG;
	return LG_OK;
}

enum lg_verdict lg_check(const struct lg_opts *o, const struct lg_req *r,
			 const uint8_t *msg, size_t len)
{
	struct rb_xdr_dec d;
	rb_xdr_dec_init(&d, msg, len);
	if (rb_xdr_get_u32(&d) != r->xid || rb_xdr_get_u32(&d) != RB_MSG_REPLY)
		return LG_WRONG;
	uint32_t rs = rb_xdr_get_u32(&d);
	if (d.err)
		return LG_WRONG;
	if (rs == RB_MSG_DENIED)
		return LG_RPC_ERROR;
	if (rs != RB_MSG_ACCEPTED)
		return LG_WRONG;
	(void)rb_xdr_get_u32(&d); /* verifier flavor */
	(void)rb_xdr_get_opaque(&d, RB_AUTH_BODY_MAX);
	uint32_t as = rb_xdr_get_u32(&d);
	if (d.err)
		return LG_WRONG;
	if (as != RB_SUCCESS)
		return as <= RB_SYSTEM_ERR ? LG_RPC_ERROR : LG_WRONG;

	if (r->op != LG_OP_LOOKUP) {
		uint32_t b = rb_xdr_get_u32(&d);
		return d.err || b != 1 || rb_xdr_dec_left(&d) ? LG_WRONG : LG_OK;
	}
	uint32_t port = req_port(o, r);
	/* A mix entry with port "*": any well-formed answer. */
	bool any = r->key == LG_KEY_MIX && o->mix[r->mix].port == LG_PORT_ANY;
	switch ((enum lg_call)r->call) {
	case LG_CALL_GETPORT: {
		uint32_t got = rb_xdr_get_u32(&d);
		if (any)
			return d.err || got > 65535u || rb_xdr_dec_left(&d) ? LG_WRONG : LG_OK;
		return d.err || got != port || rb_xdr_dec_left(&d) ? LG_WRONG : LG_OK;
	}
	case LG_CALL_GETADDR:
	case LG_CALL_GETADDR4:
	case LG_CALL_GETVERSADDR: {
		/* A hit is merged with the address the call went to. */
		char want[96] = "";
		if (port)
			snprintf(want, sizeof(want), "%s.%u.%u", o->host, port >> 8, port & 0xffu);
		struct rb_xdr_bytes s = rb_xdr_get_string(&d, RB_XDR_STRING_MAX);
		if (any)
			return d.err || rb_xdr_dec_left(&d) ? LG_WRONG : LG_OK;
		return d.err || !bytes_eq(s, want) || rb_xdr_dec_left(&d) ? LG_WRONG : LG_OK;
	}
	case LG_CALL_DUMP:
		return check_pmaplist(o, &d);
	case LG_CALL_DUMP3:
	case LG_CALL_DUMP4:
		return check_rpcblist(o, &d);
	case LG_CALL_NULL:
		return rb_xdr_dec_left(&d) ? LG_WRONG : LG_OK;
	}
	return LG_WRONG;
}

static void settle(struct lg_thread *t, struct lg_req *r, bool ok)
{
	if (r->key == LG_KEY_CHURN) {
		t->churn_state[r->churn] &= (uint8_t)~2u;
		if (ok)
			t->churn_state[r->churn] ^= 1u;
	}
	r->busy = 0;
}

static void prime_retry(struct lg_thread *t, struct lg_req *r)
{
	struct lg_prime *p = t->prime;
	p->retry[p->n_retry++] = r->item;
}

void lg_account(struct lg_thread *t, struct lg_req *r, enum lg_verdict v, uint64_t now)
{
	bool mut = r->op != LG_OP_LOOKUP;
	settle(t, r, v == LG_OK);
	if (t->prime) {
		if (v == LG_OK)
			t->prime->acked++;
		else
			t->prime->failed++;
	}
	if (!lg_measuring(t))
		return;
	switch (v) {
	case LG_OK:
		t->c.replies++;
		if (mut) {
			t->c.mutations++;
			lg_hist_add(&t->mlat, now - r->t0);
		} else {
			lg_hist_add(&t->lat, now - r->t0);
		}
		break;
	case LG_RPC_ERROR:
		t->c.errors++;
		break;
	case LG_WRONG:
		t->c.wrong++;
		break;
	}
}

void lg_account_timeout(struct lg_thread *t, struct lg_req *r)
{
	settle(t, r, false);
	if (t->prime)
		prime_retry(t, r);
	if (lg_measuring(t))
		t->c.timeouts++;
}

void lg_account_error(struct lg_thread *t, struct lg_req *r)
{
	settle(t, r, false);
	if (t->prime)
		prime_retry(t, r);
	if (lg_measuring(t))
		t->c.errors++;
}
