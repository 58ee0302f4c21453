/* Calls and the replies they must get, one line each, and the exchanges
 * that more than one golden test checks.
 *
 * Why this file exists: the golden tests spelled out the same few steps
 * dozens of times (empty a buffer, write a call header and its arguments;
 * empty another, write an accepted reply and its result), and test_pmap,
 * test_rpcb3 and test_rpcb4 checked the same behaviour once per version in
 * copies of the same code. The builders here only combine those of
 * golden_util.h, so an expectation still shares no code with the
 * implementation's encoder. */
#ifndef RB_TESTS_GOLDEN_EXCHANGE_H
#define RB_TESTS_GOLDEN_EXCHANGE_H

#include <stdint.h>

#include "golden_util.h"

/* ---- fresh buffers: each empties g first ---- */

/* Exactly these bytes, written as gb_hex reads them. */
void gb_new_hex(struct gbuf *g, const char *hex);
/* A call header (gb_call); the arguments are appended after it. */
void gb_new_call(struct gbuf *g, uint32_t xid, uint32_t prog, uint32_t vers,
		 uint32_t proc);
/* An accepted reply header (gb_reply); the results are appended after it. */
void gb_new_reply(struct gbuf *g, uint32_t xid, uint32_t accept_stat);
/* A SUCCESS reply whose result is one XDR word: a bool, a port, a time or
 * the length 0 of an empty string. */
void gb_reply_u32(struct gbuf *g, uint32_t xid, uint32_t v);
/* An RPCBIND call (rvers 3 or 4) whose argument is one rpcb. */
void gb_rpcb_call(struct gbuf *g, uint32_t xid, uint32_t rvers, uint32_t proc,
		  uint32_t prog, uint32_t vers, const char *netid,
		  const char *addr, const char *owner);
/* A remote call (PMAP CALLIT, RPCBIND CALLIT, BCAST or INDIRECT: port
 * mapper version rvers, procedure rproc) of (prog, vers, proc) with args
 * as its opaque arguments. */
void gb_rmtcall(struct gbuf *g, uint32_t xid, uint32_t rvers, uint32_t rproc,
		uint32_t prog, uint32_t vers, uint32_t proc, const void *args,
		uint32_t alen);

/* GETADDR (proc 3) or GETVERSADDR (proc 9) of RPCBIND version rvers over
 * x answers exactly the uaddr want ("" for none). Two checks, as the
 * gt_getaddr and CHECK_STR pair it stands for; a macro, as GT_EXPECT, so
 * that a failure names the caller's line. */
#define GT_EXPECT_GETADDR(t, x, rvers, proc, prog, vers, netid, want)          \
	do {                                                                  \
		char ga_[256] = "";                                           \
		CHECK_EQ_U(gt_getaddr((t), (x), (rvers), (proc), (prog),       \
				      (vers), (netid), ga_, sizeof ga_),       \
			   0);                                                \
		CHECK_STR(ga_, (want));                                       \
	} while (0)

/* ---- exchanges checked for more than one version ----
 *
 * These CHECK inside a function, so a failure names the line in this file;
 * each then also prints the caller's file and line (the macros pass them). */

/* With remote calls off (the default), a remote call of prog (registered
 * by the caller on udp) gets no reply at all: over loopback udp (and no
 * bytes either), from a remote peer, and over tcp. */
#define GT_EXPECT_RMTCALL_DROPPED(t, rvers, rproc, xid, prog)                  \
	gt_expect_rmtcall_dropped((t), (rvers), (rproc), (xid), (prog),       \
				  __FILE__, __LINE__)
void gt_expect_rmtcall_dropped(struct gt *t, uint32_t rvers, uint32_t rproc,
			       uint32_t xid, uint32_t prog, const char *file,
			       int line);

/* UADDR2TADDR (xid) of uaddr over x answers the netbuf written as hex, and
 * TADDR2UADDR (xid + 1) of that netbuf answers uaddr: the two conversions
 * are each other's inverse under RPCBIND version rvers. */
#define GT_EXPECT_ADDR_PAIR(t, x, rvers, xid, uaddr, netbuf_hex)               \
	gt_expect_addr_pair((t), (x), (rvers), (xid), (uaddr), (netbuf_hex),  \
			    __FILE__, __LINE__)
void gt_expect_addr_pair(struct gt *t, const struct rb_xport *x,
			 uint32_t rvers, uint32_t xid, const char *uaddr,
			 const char *netbuf_hex, const char *file, int line);

#endif
