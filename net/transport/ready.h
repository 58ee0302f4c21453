/* A loop turn's work on the connections queued with work left: one piece
 * for every thread that serves stream connections (the workers and the
 * control thread), so the budget is spent the same way in both. */
#ifndef RB_NET_TRANSPORT_READY_H
#define RB_NET_TRANSPORT_READY_H

#include <stdbool.h>

#include "net/transport/serve.h"

/* What the caller does with c after rb_conn_work said r (an rb_conn_next,
 * or -errno): close it, queue it again, read on or not. */
typedef void rb_conn_next_fn(void *arg, struct rb_conn *c, int r);

/* Works on the connections queued in q now (conns: the caller's table, by
 * slot), within what is left of budget b, each at most its share: a
 * connection still open and not closing gets rb_conn_work (kicking its
 * replies with kick) and then next; one that wants more goes to the back
 * and waits for the next turn. kick and next get arg. Returns whether work
 * is left for the next turn (then the loop must not sleep). */
bool rb_conn_run_ready(struct rb_serve *s, struct rb_conn_queue *q, struct rb_conn *const *conns,
		       struct rb_turn_budget *b, rb_conn_kick_fn *kick, rb_conn_next_fn *next,
		       void *arg);

#endif
