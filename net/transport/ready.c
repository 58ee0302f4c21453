#include "net/transport/ready.h"

bool rb_conn_run_ready(struct rb_serve *s, struct rb_conn_queue *q, struct rb_conn *const *conns,
		       struct rb_turn_budget *b, rb_conn_kick_fn *kick, rb_conn_next_fn *next,
		       void *arg)
{
	/* Those queued now; a connection that wants more goes to the back
	 * and waits for the next turn. */
	uint32_t n = q->n, slot;
	while (n-- && rb_turn_budget_left(b) && rb_conn_queue_pop(q, &slot)) {
		struct rb_conn *c = conns[slot];
		c->queued = false; /* the slot may have been reused meanwhile */
		if (c->fd < 0 || c->closing)
			continue;
		next(arg, c, rb_conn_work(s, c, b, kick, arg));
	}
	return q->n != 0;
}
