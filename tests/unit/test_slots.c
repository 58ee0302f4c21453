/* net/base/slots.c: slot numbers of a connection table (the HTTP endpoint's):
 * handed out in order up to the capacity, refused beyond it, a released
 * slot reused first (the last released first), never one in use twice. */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "net/base/slots.h"

struct rb_check_state rb_check;

int main(void)
{
	enum { CAP = 8 };
	uint32_t store[CAP], slot = 0;
	struct rb_slots s;
	rb_slots_init(&s, store, CAP);
	for (uint32_t i = 0; i < CAP; i++) {
		CHECK(rb_slots_take(&s, &slot));
		CHECK_EQ_U(slot, i);
	}
	CHECK(!rb_slots_take(&s, &slot)); /* at capacity */
	CHECK_EQ_U(rb_slots_live(&s), CAP);
	rb_slots_put(&s, 3);
	rb_slots_put(&s, 5);
	CHECK_EQ_U(rb_slots_live(&s), CAP - 2);
	CHECK(rb_slots_take(&s, &slot));
	CHECK_EQ_U(slot, 5);
	CHECK(rb_slots_take(&s, &slot));
	CHECK_EQ_U(slot, 3);
	CHECK(!rb_slots_take(&s, &slot));
	/* Churn: take and give back many times, a slot is never handed out
	 * while in use. */
	for (uint32_t i = 0; i < CAP; i++)
		rb_slots_put(&s, i);
	unsigned in_use[CAP] = {0}, twice = 0;
	for (unsigned round = 0; round < 1000; round++) {
		uint32_t a, b;
		CHECK(rb_slots_take(&s, &a) && rb_slots_take(&s, &b));
		twice += in_use[a]++ + in_use[b]++;
		in_use[a]--;
		rb_slots_put(&s, a);
		if (round % 2) {
			in_use[b]--;
			rb_slots_put(&s, b);
		}
		if (rb_slots_live(&s) >= CAP - 1) {
			for (uint32_t i = 0; i < CAP; i++)
				while (in_use[i]) {
					in_use[i]--;
					rb_slots_put(&s, i);
				}
		}
	}
	CHECK_EQ_U(twice, 0);
	printf("%u checks, %u failed\n", rb_check.checks, rb_check.failures);
	return rb_check.failures ? 1 : 0;
}
