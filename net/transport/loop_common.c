#include "net/transport/loop_common.h"

void rb_loop_run(struct rb_worker *w, const struct rb_loop_backend *b)
{
	bool more = false; /* connections have work left: do not sleep */
	while (!rb_worker_stopping(w)) {
		if (!more)
			rb_count(&w->counters.loop_waits);
		if (b->wait(w, more) < 0)
			break;
		rb_serve_tick(&w->serve);
		rb_worker_heartbeat(w);
		rb_worker_turn(w);
		rb_reader_begin(w->reader);
		b->events(w);
		/* Replies from the control thread, every turn: one whose
		 * wake-up was coalesced or lost waits no longer than a turn. */
		rb_worker_drain_replies(w, b->ops);
		more = rb_worker_run_ready(w, b->ops);
		if (b->after)
			b->after(w);
		rb_reader_end(w->reader);
		if (b->end)
			b->end(w);
	}
}

void rb_loop_close_all(struct rb_worker *w, void (*close_conn)(struct rb_worker *w,
								 struct rb_conn *c))
{
	for (uint32_t i = 0; i < w->slots.used; i++) {
		struct rb_conn *c = w->conns[i];
		if (c && c->fd >= 0)
			close_conn(w, c);
	}
}
