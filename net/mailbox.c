#include "net/mailbox.h"

#include <errno.h>
#include <unistd.h>

void rb_mailbox_init(struct rb_mailbox *mb)
{
	ck_ring_init(&mb->req, RB_MAILBOX_CAP);
	ck_ring_init(&mb->rep, RB_MAILBOX_CAP);
}

bool rb_mailbox_send_req(struct rb_mailbox *mb, struct rb_mut_msg *m)
{
	return ck_ring_enqueue_spsc(&mb->req, mb->req_buf, m);
}

struct rb_mut_msg *rb_mailbox_pop_req(struct rb_mailbox *mb)
{
	void *p;
	return ck_ring_dequeue_spsc(&mb->req, mb->req_buf, &p) ? p : NULL;
}

bool rb_mailbox_send_rep(struct rb_mailbox *mb, struct rb_mut_msg *m)
{
	return ck_ring_enqueue_spsc(&mb->rep, mb->rep_buf, m);
}

struct rb_mut_msg *rb_mailbox_pop_rep(struct rb_mailbox *mb)
{
	void *p;
	return ck_ring_dequeue_spsc(&mb->rep, mb->rep_buf, &p) ? p : NULL;
}

void rb_wake(int efd)
{
	uint64_t one = 1;
	ssize_t r;
	do {
		r = write(efd, &one, sizeof(one));
	} while (r < 0 && errno == EINTR);
	/* EAGAIN: the counter is saturated, so the reader is awake anyway. */
}
