/* ONC RPC message codec (RFC 5531): call decoding, credential validation,
 * and reply encoding for every accept and deny status. Pure: bytes in,
 * bytes out; the decoded call points into the caller's buffer. */
#ifndef RB_CORE_RPC_MSG_H
#define RB_CORE_RPC_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr.h"

#define RB_RPC_VERSION 2u

enum rb_msg_type { RB_MSG_CALL = 0, RB_MSG_REPLY = 1 };
enum rb_reply_stat { RB_MSG_ACCEPTED = 0, RB_MSG_DENIED = 1 };
enum rb_accept_stat {
	RB_SUCCESS = 0,
	RB_PROG_UNAVAIL = 1,
	RB_PROG_MISMATCH = 2,
	RB_PROC_UNAVAIL = 3,
	RB_GARBAGE_ARGS = 4,
	RB_SYSTEM_ERR = 5,
};
enum rb_reject_stat { RB_RPC_MISMATCH = 0, RB_AUTH_ERROR = 1 };
enum rb_auth_stat {
	RB_AUTH_OK = 0,
	RB_AUTH_BADCRED = 1,
	RB_AUTH_REJECTEDCRED = 2,
	RB_AUTH_BADVERF = 3,
	RB_AUTH_REJECTEDVERF = 4,
	RB_AUTH_TOOWEAK = 5,
	RB_AUTH_INVALIDRESP = 6,
	RB_AUTH_FAILED = 7,
};
enum rb_auth_flavor {
	RB_AUTH_NONE = 0,
	RB_AUTH_SYS = 1,
	RB_AUTH_SHORT = 2,
	RB_AUTH_DH = 3,
	RB_RPCSEC_GSS = 6,
};

/* RFC 5531 caps an auth body at 400 bytes. */
#define RB_AUTH_BODY_MAX 400u
/* AUTH_SYS limits (RFC 5531 appendix A). */
#define RB_AUTH_SYS_MACHINE_MAX 255u
#define RB_AUTH_SYS_GIDS_MAX 16u

struct rb_auth_sys {
	uint32_t stamp;
	struct rb_xdr_bytes machine;
	uint32_t uid;
	uint32_t gid;
	uint32_t ngids;
	uint32_t gids[RB_AUTH_SYS_GIDS_MAX]; /* with RB_CALL_OK: the first ngids are set */
};

struct rb_rpc_call {
	uint32_t xid;
	uint32_t prog;
	uint32_t vers;
	uint32_t proc;
	uint32_t cred_flavor;
	struct rb_xdr_bytes cred_body;
	uint32_t verf_flavor;
	struct rb_xdr_bytes verf_body;
	struct rb_auth_sys sys; /* valid when cred_flavor == RB_AUTH_SYS */
	const uint8_t *args;    /* the procedure arguments */
	uint32_t args_len;
};

/* What rb_rpc_decode_call concluded. */
enum rb_call_verdict {
	RB_CALL_OK = 0,        /* dispatch the call */
	RB_CALL_DROP,          /* not answerable: too short for a header, or a reply */
	RB_CALL_RPC_MISMATCH,  /* rpcvers != 2: answer MSG_DENIED/RPC_MISMATCH 2..2 */
	RB_CALL_AUTH_ERROR,    /* answer MSG_DENIED/AUTH_ERROR with *why */
};

/* Decodes a call message. On every verdict but DROP, call->xid is valid;
 * with RPC_MISMATCH, prog, vers and proc as far as the message holds them
 * (0 past its end).
 * For RB_CALL_AUTH_ERROR, *why holds the auth_stat to answer with. */
enum rb_call_verdict rb_rpc_decode_call(const uint8_t *msg, uint32_t len,
					struct rb_rpc_call *call,
					enum rb_auth_stat *why);

/* Reply encoders. Each writes a complete reply message at the encoder's
 * position; accepted replies carry an AUTH_NONE verifier. After
 * rb_rpc_put_accepted(SUCCESS) the caller appends the results. */
void rb_rpc_put_accepted(struct rb_xdr_enc *e, uint32_t xid,
			 enum rb_accept_stat stat);
void rb_rpc_put_prog_mismatch(struct rb_xdr_enc *e, uint32_t xid,
			      uint32_t low, uint32_t high);
void rb_rpc_put_rpc_mismatch(struct rb_xdr_enc *e, uint32_t xid, uint32_t low,
			     uint32_t high);
void rb_rpc_put_auth_error(struct rb_xdr_enc *e, uint32_t xid,
			   enum rb_auth_stat why);

/* Encodes a call header (used by tests, benchmarks and the load generator):
 * AUTH_NONE credentials and verifier. */
void rb_rpc_put_call(struct rb_xdr_enc *e, uint32_t xid, uint32_t prog,
		     uint32_t vers, uint32_t proc);

#endif
