/* net/transport/mailbox.c, the worker <-> control thread rings: first in first out,
 * full at RB_MAILBOX_CAP (a message is refused, not lost or overwritten),
 * the indices wrapping past 2^32 and the slot index past the ring's end,
 * the eventfd wake-up, and one producer and one consumer thread passing
 * 200,000 messages in order (under TSan: the acquire/release pairs). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"
#include "net/transport/mailbox.h"

struct rb_check_state rb_check;

static struct rb_mut_msg msgs[RB_MAILBOX_CAP + 1];

static void test_fifo_and_full(struct rb_mailbox *mb)
{
	rb_mailbox_init(mb);
	CHECK(rb_mailbox_pop_req(mb) == NULL);
	CHECK(rb_mailbox_pop_rep(mb) == NULL);
	for (unsigned i = 0; i < RB_MAILBOX_CAP; i++)
		CHECK(rb_mailbox_send_req(mb, &msgs[i]));
	/* Full: refused, and what is queued is untouched. */
	CHECK(!rb_mailbox_send_req(mb, &msgs[RB_MAILBOX_CAP]));
	/* The other direction is a ring of its own. */
	CHECK(rb_mailbox_send_rep(mb, &msgs[RB_MAILBOX_CAP]));
	CHECK(rb_mailbox_pop_rep(mb) == &msgs[RB_MAILBOX_CAP]);
	CHECK(rb_mailbox_pop_rep(mb) == NULL);
	unsigned in_order = 0;
	for (unsigned i = 0; i < RB_MAILBOX_CAP; i++)
		in_order += rb_mailbox_pop_req(mb) == &msgs[i];
	CHECK_EQ_U(in_order, RB_MAILBOX_CAP);
	CHECK(rb_mailbox_pop_req(mb) == NULL);
	/* One taken makes room for exactly one. */
	for (unsigned i = 0; i < RB_MAILBOX_CAP; i++)
		CHECK(rb_mailbox_send_rep(mb, &msgs[i]));
	CHECK(rb_mailbox_pop_rep(mb) == &msgs[0]);
	CHECK(rb_mailbox_send_rep(mb, &msgs[RB_MAILBOX_CAP]));
	CHECK(!rb_mailbox_send_rep(mb, &msgs[0]));
	for (unsigned i = 1; i < RB_MAILBOX_CAP; i++)
		CHECK(rb_mailbox_pop_rep(mb) == &msgs[i]);
	CHECK(rb_mailbox_pop_rep(mb) == &msgs[RB_MAILBOX_CAP]);
	CHECK(rb_mailbox_pop_rep(mb) == NULL);
}

/* head and tail only grow: started just below 2^32, they wrap during the
 * test, and the slots wrap past the ring's end many times. */
static void test_wrap(struct rb_mailbox *mb)
{
	rb_mailbox_init(mb);
	mb->req.head = mb->req.tail = UINT32_MAX - RB_MAILBOX_CAP / 2;
	unsigned ok = 0, fullness_ok = 0;
	for (unsigned round = 0; round < 8; round++) {
		unsigned n = round % 2 ? RB_MAILBOX_CAP : RB_MAILBOX_CAP / 3 + round;
		for (unsigned i = 0; i < n; i++)
			CHECK(rb_mailbox_send_req(mb, &msgs[i]));
		fullness_ok += rb_mailbox_send_req(mb, &msgs[0]) == (n < RB_MAILBOX_CAP);
		if (n < RB_MAILBOX_CAP)
			n++; /* the one just accepted */
		for (unsigned i = 0; i < n; i++) {
			const struct rb_mut_msg *want =
				i < n - 1 || n == RB_MAILBOX_CAP ? &msgs[i] : &msgs[0];
			ok += rb_mailbox_pop_req(mb) == want;
		}
		CHECK(rb_mailbox_pop_req(mb) == NULL);
	}
	CHECK_EQ_U(fullness_ok, 8);
	CHECK_EQ_U(ok, 4 * RB_MAILBOX_CAP + 4 * (RB_MAILBOX_CAP / 3 + 1) + (0 + 2 + 4 + 6));
	CHECK(mb->req.tail < RB_MAILBOX_CAP * 8u); /* it did wrap */
}

/* rb_wake adds to the eventfd's counter: the sleeper's read sees it, and
 * wakes made while nobody reads add up to one read. */
static void test_wake(void)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(efd >= 0);
	uint64_t v = 0;
	CHECK(read(efd, &v, sizeof(v)) < 0 && errno == EAGAIN);
	rb_wake(efd);
	rb_wake(efd);
	rb_wake(efd);
	CHECK(read(efd, &v, sizeof(v)) == sizeof(v));
	CHECK_EQ_U(v, 3);
	CHECK(read(efd, &v, sizeof(v)) < 0 && errno == EAGAIN);
	close(efd);
}

#define THREAD_MSGS 200000u

struct pc {
	struct rb_mailbox *mb;
	int efd; /* the consumer's wake-up */
	struct rb_mut_msg *pool;
};

/* The producer: each message carries its sequence number; a full ring is
 * waited out (the consumer drains it), as a worker does. */
static void *producer(void *arg)
{
	struct pc *pc = arg;
	for (uint32_t i = 0; i < THREAD_MSGS; i++) {
		struct rb_mut_msg *m = &pc->pool[i % (RB_MAILBOX_CAP * 2)];
		m->conn_slot = i;
		while (!rb_mailbox_send_req(pc->mb, m))
			sched_yield();
		if ((i & 63) == 63)
			rb_wake(pc->efd);
	}
	rb_wake(pc->efd);
	return NULL;
}

static void test_threads(struct rb_mailbox *mb)
{
	rb_mailbox_init(mb);
	struct pc pc = {.mb = mb, .efd = eventfd(0, EFD_CLOEXEC)};
	/* Twice the ring: the producer rewrites a message only once the
	 * consumer has popped the ring's worth that followed it (it cannot
	 * push otherwise), so the consumer has read it by then. */
	pc.pool = calloc(RB_MAILBOX_CAP * 2, sizeof(*pc.pool));
	CHECK(pc.efd >= 0 && pc.pool != NULL);
	if (pc.efd < 0 || !pc.pool)
		return;
	pthread_t th;
	CHECK(pthread_create(&th, NULL, producer, &pc) == 0);
	uint32_t next = 0, out_of_order = 0;
	while (next < THREAD_MSGS) {
		struct rb_mut_msg *m = rb_mailbox_pop_req(mb);
		if (!m) {
			uint64_t v;
			/* Blocks until the producer's next wake; it wakes at
			 * least every 64 messages and after the last. */
			if (read(pc.efd, &v, sizeof(v)) != sizeof(v))
				break;
			continue;
		}
		out_of_order += m->conn_slot != next;
		next++;
	}
	pthread_join(th, NULL);
	CHECK_EQ_U(next, THREAD_MSGS);
	CHECK_EQ_U(out_of_order, 0);
	CHECK(rb_mailbox_pop_req(mb) == NULL);
	close(pc.efd);
	free(pc.pool);
}

int main(void)
{
	struct rb_mailbox *mb = aligned_alloc(64, sizeof(*mb));
	if (!mb)
		return 1;
	test_fifo_and_full(mb);
	test_wrap(mb);
	test_wake();
	test_threads(mb);
	free(mb);
	printf("%u checks, %u failed\n", rb_check.checks, rb_check.failures);
	return rb_check.failures ? 1 : 0;
}
