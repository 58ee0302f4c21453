/* Remote calls (PMAP v2 CALLIT, RPCBIND v3 CALLIT, v4 BCAST and INDIRECT),
 * the pure part: which calls may be forwarded and where to, the bytes of
 * the forwarded call, and the caller's answer built from the service's
 * reply. No sockets, no clock: net/features/forward.c owns the table of calls in
 * flight, the random xids, the sockets and the timeouts.
 *
 * The rules are rpcbind's (-r), with random forwarded xids (net/):
 *   - only over UDP (rb_handle_call_ex is given no forward slot on streams);
 *     without forwarding (off, or a stream) the same checks answer as
 *     rpcbind does then: CALLIT/BCAST silent (over a stream, before any
 *     check), INDIRECT PROG_UNAVAIL, PROG_MISMATCH or SYSTEM_ERR;
 *   - rpcbind's deny list is answered AUTH_ERROR TOOWEAK, before any lookup;
 *   - every datagram remote call past the deny list is recorded for GETSTAT
 *     (rb_stats_rmtcall), forwarded or not, as rpcbind's rpcbs_rmtcall;
 *   - the target is the registration of exactly (prog, vers) on the netid
 *     the call arrived on (udp, udp6), reached at the loopback address of
 *     that family; another registered version: INDIRECT gets PROG_MISMATCH
 *     (the lowest and highest registered), CALLIT/BCAST stay silent;
 *   - the forwarded call carries the caller's credential verbatim (AUTH_NONE
 *     or AUTH_SYS, already bounded by the call decoder) and an AUTH_NONE
 *     verifier;
 *   - the service's SUCCESS becomes {port | uaddr, opaque results}; anything
 *     else leaves CALLIT/BCAST silent and gives INDIRECT the service's error. */
#ifndef RB_REGISTRY_REMOTE_CALL_H
#define RB_REGISTRY_REMOTE_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/uaddr.h"
#include "core/xdr.h"

/* Programs of rpcbind's deny list (rpcbind's security.c, check_callit). */
#define RB_FWD_PROG_NFS 100003u
#define RB_FWD_PROG_YP 100004u
#define RB_FWD_PROG_MOUNT 100005u
#define RB_FWD_PROG_YPBIND 100007u
#define RB_FWD_PROG_YPPASSWD 100009u
#define RB_FWD_PROG_RQUOTA 100011u

enum rb_fwd_kind {
	RB_FWD_CALLIT = 0,   /* v2/v3 CALLIT, v4 BCAST: silent on every error */
	RB_FWD_INDIRECT = 1, /* v4 INDIRECT: errors are answered */
};

/* What the caller is owed once the service answers: enough to build the
 * answer without the call, which is gone by then. */
struct rb_fwd_shape {
	uint32_t xid;      /* the caller's xid */
	uint8_t rvers;     /* the port mapper version called: 2, 3 or 4 */
	uint8_t kind;      /* enum rb_fwd_kind */
	/* Reflection guard (see rb_policy): the answer may be no larger than
	 * the call; past it CALLIT is silent and INDIRECT gets SYSTEM_ERR, or
	 * nothing with guard_drop. */
	bool guard;
	bool guard_drop;
	uint32_t call_len; /* the caller's datagram */
	uint16_t port;     /* v2 answer: the service's port */
	uint8_t uaddr_len; /* v3/v4 answer: the service's address, merged */
	char uaddr[RB_UADDR_MAX + 1];
};

/* A remote call that rb_handle_call_ex decided to forward (RB_OUT_FORWARD).
 * The pointers point into the call message and live as long as it does. */
struct rb_fwd_req {
	struct rb_fwd_shape shape;
	enum rb_family family; /* the loopback address of this family ... */
	uint16_t port;         /* ... at this port is the service */
	uint32_t prog, vers, proc;
	uint32_t cred_flavor;  /* RB_AUTH_NONE or RB_AUTH_SYS */
	const uint8_t *cred;
	uint32_t cred_len;
	const uint8_t *args;
	uint32_t args_len;
	/* Set by rb_handle_call_ex on every outcome: the call was refused by
	 * the deny list (answered TOOWEAK). */
	bool denied;
};

/* Whether rpcbind's deny list refuses (prog, proc) as a remote call:
 * every NULL procedure is allowed; the port mapper itself, NFS, YPPASSWD
 * and RQUOTA are refused; MOUNT's MNT and UMNT, YPBIND's SETDOM, and YP's
 * MATCH, FIRST, NEXT and ALL are refused. (rpcbind forwards to itself
 * under -i; ringbind never does.) */
bool rb_fwd_denied(uint32_t prog, uint32_t proc);

/* Encodes the forwarded call with the given xid at e's position. The call
 * is never larger than the remote call it came from, so an encoder of the
 * largest datagram read always holds it. 0, or e's error. */
int rb_fwd_put_call(struct rb_xdr_enc *e, const struct rb_fwd_req *r, uint32_t xid);

/* The xid of a reply message (at least xid and msg_type REPLY): 0, or
 * -EBADMSG when the datagram is no reply at all. */
int rb_fwd_reply_xid(const uint8_t *msg, uint32_t len, uint32_t *xid);

/* What became of a service's reply. */
enum rb_fwd_status {
	RB_FWD_RELAYED = 0, /* SUCCESS: its results wrapped for the caller */
	RB_FWD_SVC_ERROR,   /* the service answered an error */
	RB_FWD_GARBLED,     /* not a well-formed reply */
	RB_FWD_TOO_BIG,     /* the answer would not fit e (its cap or limit) */
	RB_FWD_REFLECT,     /* the answer would outgrow the call (guard) */
};

/* Writes the caller's answer to the service's reply rep at e's position;
 * writes nothing when the caller gets no answer (CALLIT/BCAST on any
 * error). The answer is bounded by e (the caller sets its limit to the
 * largest datagram reply). Whether anything was written: e->pos moved. */
enum rb_fwd_status rb_fwd_put_answer(struct rb_xdr_enc *e, const struct rb_fwd_shape *s,
				     const uint8_t *rep, uint32_t len);

/* The answer when the service never answered (timeout) or the call could
 * not be sent: INDIRECT gets SYSTEM_ERR, CALLIT/BCAST nothing. */
void rb_fwd_put_failure(struct rb_xdr_enc *e, const struct rb_fwd_shape *s);

#endif
