/* Replies whose size grows with the registry (DUMP in every version,
 * GETADDRLIST), produced a piece at a time.
 *
 * A stream transport must not build a DUMP of a large registry whole for a
 * client that may never read it (about 1 MB at 20,000 registrations, and a
 * client can pipeline a hundred calls in 4 KiB). Instead the handler
 * returns RB_OUT_STREAM with a small cursor, and the transport calls
 * rb_stream_step as its socket drains; each step writes as much of the
 * reply as fits in the buffer it is given, which the transport sends as one
 * record fragment (RFC 5531 section 11: a record may be any number of
 * fragments). A datagram, which cannot be split, takes the whole reply in
 * one step or gets SYSTEM_ERR.
 *
 * Consistency of a reply that spans registry changes (between steps, other
 * reader sections, the writer may run): the cursor holds the registration
 * number (rb_entry.seq) of the last entry written, never a pointer, so
 * nothing is pinned between steps. A step resumes at the first entry
 * registered after it: in O(1) through the hash when that entry is still
 * registered, else by a walk from the start. Hence, in registration order:
 *  - an entry registered before the call and still registered when its
 *    turn comes is listed exactly once;
 *  - an entry registered after the call arrived is never listed (so a DUMP
 *    that races with SETs ends, and a key set again is not listed twice);
 *  - an entry removed while the reply is under way may or may not be.
 * The caller is inside a reader section for each step (or is the writer). */
#ifndef RB_REGISTRY_STREAM_H
#define RB_REGISTRY_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/uaddr.h"
#include "core/xdr.h"

struct rb_handler_ctx;
struct rb_xport;

enum rb_stream_kind {
	RB_STREAM_NONE = 0,
	RB_STREAM_PMAP_DUMP, /* v2 DUMP: pmaplist of the udp/tcp entries */
	RB_STREAM_RPCB_DUMP, /* v3/v4 DUMP: rpcblist of every entry */
	RB_STREAM_ADDRLIST,  /* v4 GETADDRLIST of (prog, vers) */
};

/* The cursor of one reply under way: a few dozen bytes, whatever the
 * registry's size. */
struct rb_stream {
	uint8_t kind;    /* enum rb_stream_kind; NONE: no reply under way */
	uint8_t vi;      /* stats index of the calling version */
	bool started;    /* the reply's header has been written */
	bool any;        /* GETADDRLIST: an address was listed (GETSTAT) */
	uint32_t xid;
	uint64_t upto;   /* the last registration number when the call came */
	uint64_t last;   /* that of the last entry written; 0: none yet */
	/* DUMP: the last entry's key, to find it again in O(1).
	 * GETADDRLIST: the program and version asked for. */
	uint32_t prog;
	uint32_t vers;
	uint8_t netid_len;
	char netid[RB_NETID_MAX + 1];
};

/* Starts a reply of kind k (the handlers call this). */
void rb_stream_begin(const struct rb_handler_ctx *ctx, struct rb_stream *st,
		     enum rb_stream_kind k, uint32_t xid, unsigned vi);

/* Writes the next piece of st's reply into out, as much as fits below
 * out's capacity (or limit, for a growable encoder), never splitting an
 * entry. Returns 1 when the reply is complete (st->kind is then NONE), 0
 * when more is to come (out has at least one entry or the header), or
 * -EMSGSIZE when not even the next entry fit (out is left as it was).
 * out->err is 0 afterwards in every case. */
int rb_stream_step(const struct rb_handler_ctx *ctx, const struct rb_xport *x,
		   struct rb_stream *st, struct rb_xdr_enc *out);

#endif
