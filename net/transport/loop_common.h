/* The loop both backends run (net/transport/backend_uring.c, net/transport/backend_epoll.c),
 * written once: after each wait the clock, the watchdog's heartbeat and
 * the turn's budget; the turn's events inside one registry reader section
 * (lookups never block inside it, so the writer's grace periods stay
 * short); then replies from the control thread and connections with work
 * left. A backend supplies only how it waits and how it handles what it
 * got. Also here: datagrams answered two behind the lookup prefetch, the
 * connection an event's tag names, and closing every connection at exit. */
#ifndef RB_NET_LOOP_COMMON_H
#define RB_NET_LOOP_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "net/base/tag.h"
#include "net/transport/worker.h"

struct rb_loop_backend {
	const struct rb_backend_ops *ops;
	/* Waits for events (more: connections have work left, so do not
	 * sleep). A negative answer ends the loop. */
	int (*wait)(struct rb_worker *w, bool more);
	/* Handles what the wait got; inside the reader section. */
	void (*events)(struct rb_worker *w);
	/* Optional: after the connections' work, inside the reader section. */
	void (*after)(struct rb_worker *w);
	/* Optional: after the reader section closed. */
	void (*end)(struct rb_worker *w);
};

/* Runs the worker's loop until rb_worker_stopping. */
void rb_loop_run(struct rb_worker *w, const struct rb_loop_backend *b);

/* The live connection an event's tag names (index: slot, generation: the
 * slot's use), or NULL: closed, or closed and reused since the event. */
static inline struct rb_conn *rb_loop_conn_of(const struct rb_worker *w, uint64_t tag)
{
	uint32_t slot = rb_tag_idx(tag);
	struct rb_conn *c = slot < w->slots.used ? w->conns[slot] : NULL;
	return c && c->gen == rb_tag_gen(tag) ? c : NULL;
}

/* At exit, after rb_worker_drain_at_stop: close (the backend's way) every
 * connection that still has its socket (closing ones included). */
void rb_loop_close_all(struct rb_worker *w, void (*close_conn)(struct rb_worker *w,
								 struct rb_conn *c));

/* Datagram k of a batch for the lookup prefetch: its netid and bytes
 * (msg NULL when it holds no whole datagram: it keeps its place). */
typedef void rb_batch_peek_fn(void *arg, unsigned k, enum rb_netid_idx *netid,
			      const uint8_t **msg, uint32_t *len);
typedef void rb_batch_answer_fn(void *arg, unsigned k);

/* Answers items 0..n-1 of a batch in order, each two behind its prefetch:
 * a large registry's lookup of a UDP call is prefetched while the two
 * before it are answered (registry/procs/dispatch.h, rb_prefetch_pipe). Inline,
 * so that peek and answer (constants at each caller) are inlined too: it
 * is on every datagram's path. */
static inline void rb_loop_answer_batch(struct rb_handler_ctx *h, unsigned n,
					rb_batch_peek_fn *peek, rb_batch_answer_fn *answer,
					void *arg)
{
	bool pf_on = rb_prefetch_wanted(h);
	struct rb_prefetch_pipe pipe;
	rb_prefetch_pipe_init(&pipe);
	for (unsigned k = 0; k < n; k++) {
		if (pf_on) {
			enum rb_netid_idx netid = RB_NETID_UDP;
			const uint8_t *msg = NULL;
			uint32_t len = 0;
			peek(arg, k, &netid, &msg, &len);
			rb_prefetch_pipe_push(h, &pipe, netid, msg, len);
		}
		if (k >= 2)
			answer(arg, k - 2);
	}
	if (pf_on)
		rb_prefetch_pipe_drain(h, &pipe);
	for (unsigned k = n > 2 ? n - 2 : 0; k < n; k++)
		answer(arg, k);
}

#endif
