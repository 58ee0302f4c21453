#include "golden_exchange.h"

#include <stdio.h>

/* ---- fresh buffers ---- */

void gb_new_hex(struct gbuf *g, const char *hex)
{
	gb_reset(g);
	gb_hex(g, hex);
}

void gb_new_call(struct gbuf *g, uint32_t xid, uint32_t prog, uint32_t vers,
		 uint32_t proc)
{
	gb_reset(g);
	gb_call(g, xid, prog, vers, proc);
}

void gb_new_reply(struct gbuf *g, uint32_t xid, uint32_t accept_stat)
{
	gb_reset(g);
	gb_reply(g, xid, accept_stat);
}

void gb_reply_u32(struct gbuf *g, uint32_t xid, uint32_t v)
{
	gb_new_reply(g, xid, 0);
	gb_u32(g, v);
}

void gb_rpcb_call(struct gbuf *g, uint32_t xid, uint32_t rvers, uint32_t proc,
		  uint32_t prog, uint32_t vers, const char *netid,
		  const char *addr, const char *owner)
{
	gb_new_call(g, xid, RB_PROG_RPCBIND, rvers, proc);
	gb_rpcb(g, prog, vers, netid, addr, owner);
}

void gb_rmtcall(struct gbuf *g, uint32_t xid, uint32_t rvers, uint32_t rproc,
		uint32_t prog, uint32_t vers, uint32_t proc, const void *args,
		uint32_t alen)
{
	gb_new_call(g, xid, RB_PROG_RPCBIND, rvers, rproc);
	gb_u32(g, prog);
	gb_u32(g, vers);
	gb_u32(g, proc);
	gb_opaque(g, args, alen);
}

/* ---- shared exchanges ---- */

/* CHECK reports this file's line; this adds the caller's when any check
 * since `before` failed. */
static void blame(unsigned before, const char *file, int line)
{
	if (rb_check.failures != before)
		fprintf(stderr, "%s:%d: (the failures above came from here)\n",
			file, line);
}

void gt_expect_rmtcall_dropped(struct gt *t, uint32_t rvers, uint32_t rproc,
			       uint32_t xid, uint32_t prog, const char *file,
			       int line)
{
	unsigned before = rb_check.failures;
	struct rb_xport lo = gx_udp_lo(40000), rem = gx_udp_remote();
	struct rb_xport tcp = gx_tcp_lo(40000);
	struct gbuf c;

	gb_rmtcall(&c, xid, rvers, rproc, prog, 1, 0, NULL, 0);
	CHECK_EQ_U(gt_call(t, &lo, &c), RB_OUT_DROP);
	CHECK_EQ_U(t->outlen, 0);
	CHECK_EQ_U(gt_call(t, &rem, &c), RB_OUT_DROP);
	CHECK_EQ_U(gt_call(t, &tcp, &c), RB_OUT_DROP);
	blame(before, file, line);
}

void gt_expect_addr_pair(struct gt *t, const struct rb_xport *x,
			 uint32_t rvers, uint32_t xid, const char *uaddr,
			 const char *netbuf_hex, const char *file, int line)
{
	unsigned before = rb_check.failures;
	struct gbuf c, w;

	gb_new_call(&c, xid, RB_PROG_RPCBIND, rvers, 7);
	gb_str(&c, uaddr);
	gb_new_reply(&w, xid, 0);
	gb_hex(&w, netbuf_hex);
	GT_EXPECT(t, x, &c, &w);

	gb_new_call(&c, xid + 1, RB_PROG_RPCBIND, rvers, 8);
	gb_hex(&c, netbuf_hex);
	gb_new_reply(&w, xid + 1, 0);
	gb_str(&w, uaddr);
	GT_EXPECT(t, x, &c, &w);
	blame(before, file, line);
}
