/* The port mapper's numbers (RFC 1833, rpcb_prot.x): its program, its
 * versions and procedures, and the protocol numbers of PMAP v2. Known to
 * the procedures (registry/procs/) and the request labels of the metrics
 * (registry/stats/), which is why they live below both. */
#ifndef RB_CORE_RPCB_PROT_H
#define RB_CORE_RPCB_PROT_H

#define RB_PROG_RPCBIND 100000u
#define RB_VERS_PMAP 2u
#define RB_VERS_RPCB3 3u
#define RB_VERS_RPCB4 4u
#define RB_IPPROTO_TCP 6u
#define RB_IPPROTO_UDP 17u

enum rb_proc {
	RB_PROC_NULL = 0,
	RB_PROC_SET = 1,
	RB_PROC_UNSET = 2,
	RB_PROC_GETADDR = 3, /* PMAP GETPORT in v2 */
	RB_PROC_DUMP = 4,
	RB_PROC_CALLIT = 5, /* BCAST in v4 */
	RB_PROC_GETTIME = 6,
	RB_PROC_UADDR2TADDR = 7,
	RB_PROC_TADDR2UADDR = 8,
	RB_PROC_GETVERSADDR = 9,
	RB_PROC_INDIRECT = 10,
	RB_PROC_GETADDRLIST = 11,
	RB_PROC_GETSTAT = 12,
};

#endif
