/* The TCPMUX front (RFC 1078, --tcpmux): a client names a service and is
 * carried to its TCP port on loopback. Served by the workers themselves,
 * no thread per connection: each worker owns its own SO_REUSEPORT mux
 * listener(s) and an epoll set holding them and all its mux sockets; the
 * worker's backend watches that one epoll fd (io_uring: a poll; epoll: a
 * nested set) and calls rb_tcpmux_run when it is readable, and the
 * worker's tick calls rb_tcpmux_tick for the timeouts.
 *
 * A connection: allowed source? (--tcpmux-allow, loopback by default) ->
 * the name line (--tcpmux-line-timeout; at most the name limit + CRLF is
 * ever read before the name is known) -> the name resolved in the registry
 * (tcp, then tcp6; the highest version unless NAME/VERSION) or among the
 * static --tcpmux-service names -> a non-blocking connect to 127.0.0.1
 * (::1 for a tcp6-only service) -> "+Go" -> bytes spliced both ways
 * through a pipe per direction (splice(2): no copy through user space;
 * the pipe, sized to --tcpmux-buffer, is the cap on bytes in flight). An
 * EOF is passed on as a half-close (shutdown SHUT_WR) once what was read
 * before it is delivered; the pair closes when both directions have ended,
 * on any error, or after --tcpmux-idle-timeout without traffic (a
 * half-closed pair included). --tcpmux-max-conn caps
 * mux connections across all workers (one atomic count, the assembly's); at
 * the cap a connection is accepted and closed at once, so accept never
 * spins.
 *
 * Every function here runs on the worker's own thread. rb_tcpmux_run looks
 * names up in the registry: the caller is inside its reader section. */
#ifndef RB_NET_TCPMUX_H
#define RB_NET_TCPMUX_H

#include "core/tcpmux_proto.h"

struct rb_worker;

/* Where the RPC program names are read from, once, at start. */
#define RB_RPC_NAMES_FILE "/etc/rpc"
/* A HELP answer is cut at this many bytes (whole lines). */
#define RB_MUX_HELP_MAX 16384u
/* Events taken from a worker's mux epoll set per rb_tcpmux_run: bounded,
 * so the worker's other sockets get their turn; the rest stay ready. */
#define RB_MUX_EVENTS 64u
/* Mux listeners per worker: the wildcards of both families, or one. */
#define RB_MUX_LISTEN_MAX 2u

/* Reads path (at most RB_RPCNAMES_FILE_MAX bytes) into a new table in *out.
 * A missing or unreadable file gives an empty table (numbers still work)
 * and -errno; *out is NULL only when memory ran out. */
int rb_rpcnames_load(const char *path, struct rb_rpcnames **out);

/* Opens w's mux listener(s) for cfg (tcpmux_host "" : 0.0.0.0 and ::,
 * IPv6 skipped where the host has none) and its epoll set; sets w->mux.
 * Called before the worker's thread starts (and before privileges drop:
 * port 1 is privileged). names (/etc/rpc) and conns (the mux connections
 * of all workers, atomic, against --tcpmux-max-conn) are the assembly's
 * and outlive the worker. 0 or -errno. */
int rb_tcpmux_init(struct rb_worker *w, const struct rb_config *cfg,
		   const struct rb_rpcnames *names, uint32_t *conns);
/* Closes every mux connection, the listeners and the set. NULL-safe. */
void rb_tcpmux_fini(struct rb_worker *w);
/* The fd the backend watches for readability; -1 when the mux is off. */
int rb_tcpmux_fd(const struct rb_worker *w);
/* Handles what is ready (at most RB_MUX_EVENTS events). */
void rb_tcpmux_run(struct rb_worker *w);
/* Timeouts: silent clients, slow connects, idle pairs, half-closed pairs;
 * and listeners paused for lack of descriptors are resumed. */
void rb_tcpmux_tick(struct rb_worker *w);

#endif
