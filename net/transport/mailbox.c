#include "net/transport/mailbox.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static bool spsc_push(struct rb_spsc *q, void *p)
{
	uint32_t t = q->tail; /* ours */
	if (t - __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) == RB_MAILBOX_CAP)
		return false;
	q->slot[t & (RB_MAILBOX_CAP - 1)] = p;
	/* The slot (and what it points to) is written before it is seen. */
	__atomic_store_n(&q->tail, t + 1, __ATOMIC_RELEASE);
	return true;
}

static void *spsc_pop(struct rb_spsc *q)
{
	uint32_t h = q->head; /* ours */
	if (h == __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE))
		return NULL;
	void *p = q->slot[h & (RB_MAILBOX_CAP - 1)];
	/* The slot is read before the producer may reuse it. */
	__atomic_store_n(&q->head, h + 1, __ATOMIC_RELEASE);
	return p;
}

void rb_mailbox_init(struct rb_mailbox *mb)
{
	memset(mb, 0, sizeof(*mb));
}

bool rb_mailbox_send_req(struct rb_mailbox *mb, struct rb_mut_msg *m)
{
	return spsc_push(&mb->req, m);
}

struct rb_mut_msg *rb_mailbox_pop_req(struct rb_mailbox *mb)
{
	return spsc_pop(&mb->req);
}

bool rb_mailbox_send_rep(struct rb_mailbox *mb, struct rb_mut_msg *m)
{
	return spsc_push(&mb->rep, m);
}

struct rb_mut_msg *rb_mailbox_pop_rep(struct rb_mailbox *mb)
{
	return spsc_pop(&mb->rep);
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
