#include "registry/procs/rpcb_xdr.h"

#include "core/record.h"
#include "registry/procs/dispatch.h"

void rb_get_pmap(struct rb_xdr_dec *d, struct rb_pmap *m)
{
	m->prog = rb_xdr_get_u32(d);
	m->vers = rb_xdr_get_u32(d);
	m->prot = rb_xdr_get_u32(d);
	m->port = rb_xdr_get_u32(d);
}

void rb_put_pmap(struct rb_xdr_enc *e, const struct rb_pmap *m)
{
	rb_xdr_put_u32(e, m->prog);
	rb_xdr_put_u32(e, m->vers);
	rb_xdr_put_u32(e, m->prot);
	rb_xdr_put_u32(e, m->port);
}

void rb_get_rpcb(struct rb_xdr_dec *d, struct rb_rpcb *r)
{
	/* No string in a port mapper call can exceed a record. */
	r->prog = rb_xdr_get_u32(d);
	r->vers = rb_xdr_get_u32(d);
	r->netid = rb_xdr_get_string(d, RB_XDR_STRING_MAX);
	r->addr = rb_xdr_get_string(d, RB_XDR_STRING_MAX);
	r->owner = rb_xdr_get_string(d, RB_XDR_STRING_MAX);
}

void rb_put_rpcb(struct rb_xdr_enc *e, uint32_t prog, uint32_t vers,
		 const char *netid, const char *addr, const char *owner)
{
	rb_xdr_put_u32(e, prog);
	rb_xdr_put_u32(e, vers);
	rb_xdr_put_cstr(e, netid);
	rb_xdr_put_cstr(e, addr);
	rb_xdr_put_cstr(e, owner);
}

void rb_get_netbuf(struct rb_xdr_dec *d, struct rb_netbuf *n)
{
	n->maxlen = rb_xdr_get_u32(d);
	n->buf = rb_xdr_get_opaque(d, n->maxlen < RB_RECORD_MAX ? n->maxlen : RB_RECORD_MAX);
}

void rb_put_netbuf(struct rb_xdr_enc *e, uint32_t maxlen, const void *buf,
		   uint32_t len)
{
	rb_xdr_put_u32(e, maxlen);
	rb_xdr_put_opaque(e, buf, len);
}

const char *rb_pmap_prot_netid(uint32_t prot)
{
	if (prot == RB_IPPROTO_UDP)
		return "udp";
	if (prot == RB_IPPROTO_TCP)
		return "tcp";
	return NULL;
}
