/* tinysvc: what the two libtirpc test services put behind ringbind share
 * (fwd_service.c, a UDP service for the remote-call tests, and
 * tcpmux_service.c, a TCP service for the TCPMUX front).
 *
 * Both serve the same NULL/ADD/BIG procedures, register on two netids
 * through svc_tp_create, print "READY PORT0 PORT1" for the test script,
 * poll until SIGTERM and unregister on the way out; one copy keeps the two
 * services answering alike, which the tests rely on. */
#ifndef RB_E2E_TINYSVC_H
#define RB_E2E_TINYSVC_H

#include <rpc/rpc.h>

typedef void (*tsvc_dispatch_fn)(struct svc_req *rq, SVCXPRT *xp);

/* SIGTERM and SIGINT set a flag that tsvc_stopping() reads. */
void tsvc_catch_term(void);
int tsvc_stopping(void);

/* Serves the procedures both services have: 0 NULL; 1 ADD {u32 a, u32 b}
 * -> u32 a + b; 2 BIG u32 n -> opaque of n bytes (0xab), n at most
 * big_max. 1 when rq was one of them (answered), else 0. */
int tsvc_common(struct svc_req *rq, SVCXPRT *xp, u_int big_max);

/* The port the socket fd is bound to (IPv4 or IPv6), 0 when unknown. */
unsigned tsvc_port(int fd);

/* rpcb_unset of (prog, vers) on both netids. */
void tsvc_unset(rpcprog_t prog, rpcvers_t vers, const char *const netids[2]);

/* Serves (prog, vers) with dispatch on both netids (the first must work;
 * svc_tp_create registers each with rpcb_set), prints "READY PORT0
 * PORT1", serves until SIGTERM/SIGINT, then unregisters. who names the
 * service in error messages. The exit status: 0, or 1. */
int tsvc_serve(rpcprog_t prog, rpcvers_t vers, const char *const netids[2],
	       tsvc_dispatch_fn dispatch, const char *who);

#endif
