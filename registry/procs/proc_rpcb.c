/* RPCBIND versions 3 and 4 (RFC 1833 section 2). */
#include <stdint.h>
#include <string.h>

#include "core/record.h"
#include "registry/procs/procs.h"
#include "registry/procs/rpcb_xdr.h"

static const struct rb_netid *xport_netid(const struct rb_call *k)
{
	return rb_netid_get(k->x->netid);
}

/* Whether a registration of addr under netid can be answered the same
 * everywhere. The PMAP view (netid exactly "udp" or "tcp": GETPORT, PMAP
 * DUMP) needs a port: an address whose last two parts are no port
 * (`1.2.3.4.-1.2`, a part over 255, `not-an-address`) would be stored,
 * answered verbatim to GETADDR, but answer port 0 to GETPORT and be left
 * out of PMAP DUMP. It is refused instead, by any owner (rpcbind stores
 * it: README, where ringbind differs). Any other netid is answered
 * verbatim wherever it is seen, and not judged here. */
static bool pmap_uaddr_ok(struct rb_xdr_bytes netid, struct rb_xdr_bytes addr)
{
	if (netid.len != 3 || (memcmp(netid.ptr, "udp", 3) != 0 && memcmp(netid.ptr, "tcp", 3) != 0))
		return true;
	uint16_t port;
	return memchr(addr.ptr, '\0', addr.len) == NULL &&
	       rb_uaddr_port((const char *)addr.ptr, addr.len, &port) == 0;
}

/* The rpcb argument of SET, UNSET, GETADDR, GETVERSADDR and GETADDRLIST:
 * true when it decoded whole; else GARBAGE_ARGS is written and false
 * returned. */
static bool rpcb_args(struct rb_call *k, struct rb_rpcb *r)
{
	rb_get_rpcb(&k->args, r);
	if (rb_args_ok(k))
		return true;
	rb_reply_status(k, RB_GARBAGE_ARGS);
	return false;
}

static enum rb_outcome rpcb_set(struct rb_call *k)
{
	struct rb_rpcb r;
	if (!rb_may_modify(k) || !rpcb_args(k, &r))
		return RB_OUT_REPLY;
	if (r.netid.len == 0 || r.netid.len > RB_NETID_MAX || r.addr.len == 0 ||
	    r.addr.len > RB_UADDR_MAX)
		return rb_reply_bool(k, false);
	if (!pmap_uaddr_ok(r.netid, r.addr))
		return rb_reply_bool(k, false);
	rb_mutation_begin(k, RB_MUT_SET, r.prog, r.vers);
	rb_xdr_bytes_to_cstr(r.netid, k->mut->netid, sizeof(k->mut->netid));
	rb_xdr_bytes_to_cstr(r.addr, k->mut->uaddr, sizeof(k->mut->uaddr));
	return RB_OUT_MUTATE;
}

static enum rb_outcome rpcb_unset(struct rb_call *k)
{
	struct rb_rpcb r;
	if (!rb_may_modify(k) || !rpcb_args(k, &r))
		return RB_OUT_REPLY;
	/* A netid longer than any we store matches nothing: TRUE, as an
	 * UNSET of anything unregistered. */
	if (r.netid.len > RB_NETID_MAX) {
		rb_stats_unset(k->ctx->stats, k->vi);
		return rb_reply_bool(k, true);
	}
	rb_mutation_begin(k, RB_MUT_UNSET, r.prog, r.vers);
	rb_xdr_bytes_to_cstr(r.netid, k->mut->netid, sizeof(k->mut->netid));
	return RB_OUT_MUTATE;
}

/* GETADDR (any version as fallback) and GETVERSADDR (exact). The netid is
 * the transport's; the request's netid, address and owner are ignored. */
static enum rb_outcome rpcb_getaddr(struct rb_call *k, bool exact)
{
	struct rb_rpcb r;
	if (!rpcb_args(k, &r))
		return RB_OUT_REPLY;
	const struct rb_netid *nid = xport_netid(k);
	size_t nl = strlen(nid->name);
	const struct rb_entry *e =
		exact ? rb_lookup(k->ctx->reg, r.prog, r.vers, nid->name, nl)
		      : rb_lookup_any_version(k->ctx->reg, r.prog, r.vers, nid->name, nl);
	char ua[RB_UADDR_MAX + 1];
	int n = e ? rb_merge_uaddr(k->x, e, ua, sizeof(ua)) : -1;
	if (n < 0)
		n = 0;
	rb_stats_lookup(k->ctx->stats, k->vi, r.prog, r.vers, nid->name, n > 0);
	rb_reply_ok(k);
	rb_xdr_put_opaque(k->out, ua, (uint32_t)n);
	return RB_OUT_REPLY;
}

static enum rb_outcome rpcb_dump(struct rb_call *k)
{
	/* Written by registry/procs/stream.c, whole or a piece at a time. */
	return rb_reply_stream(k, RB_STREAM_RPCB_DUMP, 0, 0);
}

/* UADDR2TADDR over AF_LOCAL: the length of the socket path in s. As
 * libtirpc's uaddr2taddr (rpcbind's answer, and what rpcb_uaddr2taddr sends
 * over the local socket for an inet address), a string that does not start
 * with '/' is taken for host.p1.p2: its last two dot-separated parts (the
 * port) are cut off and the rest is the path, `127.0.0.1.8.1` gives
 * `127.0.0.1`. SIZE_MAX when there are not two dots to cut. */
static size_t local_path_len(const char *s, size_t len)
{
	if (len > 0 && s[0] == '/')
		return len;
	for (int part = 0; part < 2; part++) {
		while (len > 0 && s[len - 1] != '.')
			len--;
		if (len == 0)
			return SIZE_MAX;
		len--; /* the dot */
	}
	return len;
}

static enum rb_outcome rpcb_uaddr2taddr(struct rb_call *k)
{
	struct rb_xdr_bytes s = rb_xdr_get_string(&k->args, RB_XDR_STRING_MAX);
	if (!rb_args_ok(k))
		return rb_reply_status(k, RB_GARBAGE_ARGS);
	struct rb_addr a;
	uint8_t sa[128];
	uint32_t maxlen = 0;
	int len = -1;
	enum rb_family fam = xport_netid(k)->family;
	size_t slen = s.len;
	if (fam == RB_AF_LOCAL)
		slen = local_path_len((const char *)s.ptr, s.len);
	if (slen != SIZE_MAX && rb_uaddr_parse(fam, (const char *)s.ptr, slen, &a) == 0)
		len = rb_addr_to_sockaddr(&a, sa, sizeof(sa), &maxlen);
	rb_reply_ok(k);
	if (len < 0)
		rb_put_netbuf(k->out, 0, NULL, 0); /* failure: an empty netbuf */
	else
		rb_put_netbuf(k->out, maxlen, sa, (uint32_t)len);
	return RB_OUT_REPLY;
}

static enum rb_outcome rpcb_taddr2uaddr(struct rb_call *k)
{
	struct rb_netbuf nb;
	rb_get_netbuf(&k->args, &nb);
	if (!rb_args_ok(k))
		return rb_reply_status(k, RB_GARBAGE_ARGS);
	struct rb_addr a;
	char ua[RB_UADDR_MAX + 1];
	int n = -1;
	if (rb_addr_from_sockaddr(xport_netid(k)->family, nb.buf.ptr, nb.buf.len, &a) == 0)
		n = rb_uaddr_print(&a, ua, sizeof(ua));
	rb_reply_ok(k);
	rb_xdr_put_opaque(k->out, ua, n > 0 ? (uint32_t)n : 0);
	return RB_OUT_REPLY;
}

/* GETADDRLIST: every registration of exactly (prog, vers) whose protocol
 * family is the transport's, in registration order, addresses merged
 * (written by registry/procs/stream.c, whole or a piece at a time). */
static enum rb_outcome rpcb_getaddrlist(struct rb_call *k)
{
	struct rb_rpcb r;
	if (!rpcb_args(k, &r))
		return RB_OUT_REPLY;
	return rb_reply_stream(k, RB_STREAM_ADDRLIST, r.prog, r.vers);
}

static enum rb_outcome rpcb_getstat(struct rb_call *k)
{
	const struct rb_handler_ctx *ctx = k->ctx;
	rb_reply_ok(k);
	/* A trusted caller (loopback, AF_LOCAL, --trusted-net) gets an exact
	 * merge made now, as rpcbind: rpcinfo -m right after a call sees it
	 * counted. Another may get a recent one (at most RB_GETSTAT_CACHE_MS
	 * old, net/base/limits.h), which need not count its own call. */
	const struct rb_stats *cached = NULL;
	if (ctx->cached_stats && !rb_peer_trusted(ctx->policy, &k->x->peer))
		cached = ctx->cached_stats(ctx->cached_arg);
	if (cached) {
		rb_stats_put(k->out, cached);
	} else if (ctx->collect_stats && ctx->scratch) {
		rb_stats_init(ctx->scratch);
		ctx->collect_stats(ctx->collect_arg, ctx->scratch);
		rb_stats_put(k->out, ctx->scratch);
	} else {
		rb_stats_put(k->out, ctx->stats);
	}
	return RB_OUT_REPLY;
}

enum rb_outcome rb_proc_rpcb(struct rb_call *k)
{
	bool v4 = k->c->vers == RB_VERS_RPCB4;
	switch (k->c->proc) {
	case RB_PROC_NULL:
		return rb_reply_ok(k);
	case RB_PROC_SET:
		return rpcb_set(k);
	case RB_PROC_UNSET:
		return rpcb_unset(k);
	case RB_PROC_GETADDR:
		return rpcb_getaddr(k, false);
	case RB_PROC_DUMP:
		return rpcb_dump(k);
	case RB_PROC_CALLIT:
		/* CALLIT (v3) / BCAST (v4): with -r over UDP, forwarded;
		 * otherwise silent but for the deny list, and recorded for
		 * GETSTAT, as rpcbind (registry/procs/remote_call.c). */
		return rb_proc_remote(k, RB_FWD_CALLIT);
	case RB_PROC_GETTIME:
		rb_reply_ok(k);
		rb_xdr_put_u32(k->out, k->x->now);
		return RB_OUT_REPLY;
	case RB_PROC_UADDR2TADDR:
		return rpcb_uaddr2taddr(k);
	case RB_PROC_TADDR2UADDR:
		return rpcb_taddr2uaddr(k);
	}
	if (!v4) /* dispatch already refused v3 procedures above 8 */
		return rb_reply_status(k, RB_PROC_UNAVAIL);
	switch (k->c->proc) {
	case RB_PROC_GETVERSADDR:
		return rpcb_getaddr(k, true);
	case RB_PROC_INDIRECT:
		return rb_proc_remote(k, RB_FWD_INDIRECT);
	case RB_PROC_GETADDRLIST:
		return rpcb_getaddrlist(k);
	case RB_PROC_GETSTAT:
		return rpcb_getstat(k);
	default:
		return rb_reply_status(k, RB_PROC_UNAVAIL);
	}
}
