/* XDR of the port mapper's argument and result structures (RFC 1833):
 * pmap mapping, rpcb, netbuf, and list items. Decoders return views into
 * the call; encoders are shared by the handlers, tests and the load
 * generator. */
#ifndef RB_REGISTRY_RPCB_XDR_H
#define RB_REGISTRY_RPCB_XDR_H

#include <stdint.h>

#include "core/xdr.h"

struct rb_pmap {
	uint32_t prog;
	uint32_t vers;
	uint32_t prot;
	uint32_t port;
};

struct rb_rpcb {
	uint32_t prog;
	uint32_t vers;
	struct rb_xdr_bytes netid;
	struct rb_xdr_bytes addr;
	struct rb_xdr_bytes owner;
};

struct rb_netbuf {
	uint32_t maxlen;
	struct rb_xdr_bytes buf;
};

void rb_get_pmap(struct rb_xdr_dec *d, struct rb_pmap *m);
void rb_put_pmap(struct rb_xdr_enc *e, const struct rb_pmap *m);
void rb_get_rpcb(struct rb_xdr_dec *d, struct rb_rpcb *r);
/* The netid a PMAP mapping's protocol stands for: "udp" (17), "tcp" (6),
 * else NULL (PMAP knows no other). */
const char *rb_pmap_prot_netid(uint32_t prot);
void rb_put_rpcb(struct rb_xdr_enc *e, uint32_t prog, uint32_t vers,
		 const char *netid, const char *addr, const char *owner);
/* netbuf: maxlen, then opaque buf whose length may not exceed maxlen. */
void rb_get_netbuf(struct rb_xdr_dec *d, struct rb_netbuf *n);
void rb_put_netbuf(struct rb_xdr_enc *e, uint32_t maxlen, const void *buf,
		   uint32_t len);

#endif
