/* Internal to the handlers: one decoded call on its way through dispatch,
 * and the helpers that the procedure files share (answer.c; rb_reply_stream
 * in stream.c). */
#ifndef RB_REGISTRY_PROCS_H
#define RB_REGISTRY_PROCS_H

#include "core/rpc_msg.h"
#include "registry/procs/dispatch.h"

struct rb_call {
	const struct rb_handler_ctx *ctx;
	const struct rb_xport *x;
	const struct rb_rpc_call *c;
	struct rb_xdr_dec args;
	struct rb_xdr_enc *out;
	struct rb_mutation *mut;
	struct rb_fwd_req *fwd; /* NULL: remote calls are not forwarded */
	struct rb_stream *stream; /* NULL: large replies are written whole */
	unsigned vi; /* stats index of the version */
};

enum rb_outcome rb_proc_pmap(struct rb_call *k);
enum rb_outcome rb_proc_rpcb(struct rb_call *k);
/* CALLIT (v2, v3), BCAST and INDIRECT (v4), forwarded (k->fwd set) or not:
 * registry/procs/remote_call.c. */
enum rb_outcome rb_proc_remote(struct rb_call *k, enum rb_fwd_kind kind);

/* A reply whose size grows with the registry: handed to the transport as
 * RB_OUT_STREAM when it can send it in pieces, else written whole into
 * k->out (out->err set when it does not fit: dispatch answers SYSTEM_ERR).
 * prog and vers: GETADDRLIST's arguments (0 for DUMP). */
enum rb_outcome rb_reply_stream(struct rb_call *k, enum rb_stream_kind kind, uint32_t prog,
				uint32_t vers);

/* Replies SUCCESS; the caller appends the result. */
enum rb_outcome rb_reply_ok(struct rb_call *k);
enum rb_outcome rb_reply_status(struct rb_call *k, enum rb_accept_stat st);
enum rb_outcome rb_reply_bool(struct rb_call *k, bool v);
/* Checks that the arguments decoded completely; GARBAGE_ARGS otherwise. */
bool rb_args_ok(const struct rb_call *k);
/* SET/UNSET: may this peer change the registry? If not, the AUTH_ERROR
 * TOOWEAK reply is written and false returned. */
bool rb_may_modify(struct rb_call *k);
/* Fills the mutation's owner from the transport (never from the call). */
void rb_derive_owner(const struct rb_xport *x, char *owner, size_t cap);
/* Starts a mutation for the writer. */
void rb_mutation_begin(struct rb_call *k, enum rb_mut_op op, uint32_t prog,
		       uint32_t vers);
/* The address to answer for entry e: a wildcard registration takes the
 * address the call arrived on, as rpcbind's addrmerge (but without its
 * interface scan). Returns the length written into out, or -1. */
int rb_merge_uaddr(const struct rb_xport *x, const struct rb_entry *e,
		   char *out, size_t cap);

#endif
