#include "bench/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/shim.h"
#include "core/rpc_msg.h"
#include "core/xdr.h"
#include "registry/procs/rpcb_xdr.h"
#include "registry/stats/stats.h"

int rb_bench_fill(struct rb_registry *reg, uint32_t first, uint32_t n)
{
	char uaddr[32];

	for (uint32_t i = first; i < first + n; i++) {
		uint16_t port = rb_bench_key_port(i);
		snprintf(uaddr, sizeof(uaddr), "0.0.0.0.%u.%u",
			 (unsigned)(port >> 8), (unsigned)(port & 0xffu));
		int rc = rb_registry_set(reg, rb_bench_key_prog(i),
					 RB_BENCH_VERS, rb_bench_key_netid(i),
					 uaddr, "superuser");
		if (rc < 0)
			return rc;
	}
	return 0;
}

struct rb_registry *rb_bench_registry(uint32_t n)
{
	struct rb_registry *reg;
	int rc = rb_registry_new(&reg);

	if (rc < 0) {
		fprintf(stderr, "rb_registry_new: %s\n", strerror(-rc));
		return NULL;
	}
	rc = rb_bench_fill(reg, 0, n);
	if (rc < 0) {
		fprintf(stderr, "rb_registry_set: %s\n", strerror(-rc));
		rb_registry_free(reg);
		return NULL;
	}
	if (rb_registry_count(reg) != n) {
		fprintf(stderr, "registry holds %zu entries, expected %u\n",
			rb_registry_count(reg), (unsigned)n);
		rb_registry_free(reg);
		return NULL;
	}
	return reg;
}

uint32_t rb_bench_getport_call(uint8_t *buf, size_t cap, uint32_t xid,
			       uint32_t prog, uint32_t vers, uint32_t prot)
{
	struct rb_xdr_enc e;
	struct rb_pmap m = { .prog = prog, .vers = vers, .prot = prot, .port = 0 };

	rb_xdr_enc_init(&e, buf, cap);
	rb_rpc_put_call(&e, xid, RB_PROG_RPCBIND, RB_VERS_PMAP,
			RB_PROC_GETADDR);
	rb_put_pmap(&e, &m);
	return e.err ? 0 : (uint32_t)e.pos;
}

uint32_t rb_bench_rpcb_call(uint8_t *buf, size_t cap, uint32_t xid,
			    uint32_t vers, uint32_t proc, uint32_t prog,
			    uint32_t pvers, const char *netid)
{
	struct rb_xdr_enc e;

	rb_xdr_enc_init(&e, buf, cap);
	rb_rpc_put_call(&e, xid, RB_PROG_RPCBIND, vers, proc);
	rb_put_rpcb(&e, prog, pvers, netid, "", "");
	return e.err ? 0 : (uint32_t)e.pos;
}

uint32_t rb_bench_void_call(uint8_t *buf, size_t cap, uint32_t xid,
			    uint32_t vers, uint32_t proc)
{
	struct rb_xdr_enc e;

	rb_xdr_enc_init(&e, buf, cap);
	rb_rpc_put_call(&e, xid, RB_PROG_RPCBIND, vers, proc);
	return e.err ? 0 : (uint32_t)e.pos;
}

void rb_bench_xport_udp(struct rb_xport *x)
{
	memset(x, 0, sizeof(*x));
	x->netid = RB_NETID_UDP;
	x->peer.family = RB_AF_INET;
	x->peer.port = 800;
	memcpy(x->peer.ip, (const uint8_t[]){ 10, 0, 0, 2 }, 4);
	x->local.family = RB_AF_INET;
	x->local.port = 111;
	memcpy(x->local.ip, (const uint8_t[]){ 10, 0, 0, 1 }, 4);
	x->peer_uid = -1;
	x->now = 1700000000u;
}

int rb_bench_handler_init(struct rb_bench_handler *h,
			  const struct rb_registry *reg)
{
	memset(h, 0, sizeof(*h));
	h->stats = malloc(sizeof(*h->stats));
	if (!h->stats)
		return -ENOMEM;
	rb_stats_init(h->stats);
	h->ctx.reg = reg;
	h->ctx.policy = &h->policy;
	h->ctx.stats = h->stats;
	return 0;
}

void rb_bench_handler_fini(struct rb_bench_handler *h)
{
	free(h->stats);
	h->stats = NULL;
}

int rb_bench_reply(const uint8_t *msg, size_t len, uint32_t xid,
		   const uint8_t **res, size_t *res_len)
{
	struct rb_xdr_dec d;

	rb_xdr_dec_init(&d, msg, len);
	uint32_t rxid = rb_xdr_get_u32(&d);
	uint32_t mtype = rb_xdr_get_u32(&d);
	uint32_t rstat = rb_xdr_get_u32(&d);
	(void)rb_xdr_get_u32(&d); /* verifier flavor */
	(void)rb_xdr_get_opaque(&d, RB_AUTH_BODY_MAX);
	uint32_t astat = rb_xdr_get_u32(&d);
	if (d.err || rxid != xid || mtype != RB_MSG_REPLY ||
	    rstat != RB_MSG_ACCEPTED)
		return -1;
	*res = msg + d.pos;
	*res_len = rb_xdr_dec_left(&d);
	return (int)astat;
}

struct rb_reader *rb_bench_reader(struct rb_bench_state *s, struct rb_registry *reg)
{
	struct rb_reader *r = rb_registry_reader(reg);

	if (!r)
		rb_bench_error(s, "rb_registry_reader failed");
	return r;
}
