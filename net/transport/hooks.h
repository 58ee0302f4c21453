/* What the transport calls of the features above it (net/features: remote
 * calls and TCPMUX). The assembly (net/daemon) fills one of these in; the
 * transport never includes the features' headers, so its room stays below
 * theirs (scripts/check_layers.py). Each hook runs on the worker's own
 * thread, with the state the assembly attached to that worker (w->fwd,
 * w->mux). */
#ifndef RB_NET_TRANSPORT_HOOKS_H
#define RB_NET_TRANSPORT_HOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct rb_dgram_route;
struct rb_fwd;
struct rb_fwd_req;
struct rb_serve;
struct rb_worker;
struct rb_xport;

/* A worker's forwarding sockets (-r): one per address family. */
enum { RB_FWD_V4 = 0, RB_FWD_V6 = 1, RB_FWD_FAMILIES = 2 };

/* Sends a datagram reply along a caller's route. */
typedef void (*rb_dgram_send_fn)(void *arg, const struct rb_dgram_route *rt, const uint8_t *p,
				 uint32_t n);

struct rb_feature_ops {
	/* Remote calls (net/features/forward.h); used only where w->fwd. */
	int (*fwd_fd)(const struct rb_fwd *f, unsigned fam); /* -1: none */
	uint32_t (*fwd_start)(struct rb_fwd *f, struct rb_serve *s, const struct rb_fwd_req *r,
			      const struct rb_xport *x, const struct rb_dgram_route *rt);
	uint32_t (*fwd_on_reply)(struct rb_fwd *f, struct rb_serve *s, unsigned fam,
				 const struct sockaddr *src, socklen_t srclen, const uint8_t *p,
				 uint32_t n, bool truncated, struct rb_dgram_route *rt);
	void (*fwd_expire)(struct rb_fwd *f, struct rb_serve *s, rb_dgram_send_fn send, void *arg);
	void (*fwd_free)(struct rb_fwd *f); /* closes its sockets and frees it */
	/* TCPMUX (net/features/tcpmux.h); used only where w->mux. */
	int (*mux_fd)(const struct rb_worker *w);
	void (*mux_run)(struct rb_worker *w);
	void (*mux_tick)(struct rb_worker *w);
	void (*mux_fini)(struct rb_worker *w);
};

#endif
