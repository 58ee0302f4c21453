/* Metrics' request labels: version and procedure from a call's bytes,
 * result from the reply's, bounded label sets, histogram buckets, and the
 * merge of per-thread tables. */
#include <string.h>

#include "check.h"
#include "registry/stats/reqstats.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t call(uint8_t *b, uint32_t prog, uint32_t vers, uint32_t proc)
{
	memset(b, 0, 40);
	put32(b, 7);
	put32(b + 8, 2);
	put32(b + 12, prog);
	put32(b + 16, vers);
	put32(b + 20, proc);
	return 40;
}

static void test_classify_call(void)
{
	uint8_t b[40];
	unsigned vi, pi;
	rb_rq_classify_call(b, call(b, 100000, 2, 3), &vi, &pi);
	CHECK_STR(rb_rq_vers_name(vi), "2");
	CHECK_STR(rb_rq_proc_name(vi, pi), "getport");
	rb_rq_classify_call(b, call(b, 100000, 4, 5), &vi, &pi);
	CHECK_STR(rb_rq_proc_name(vi, pi), "bcast");
	rb_rq_classify_call(b, call(b, 100000, 3, 5), &vi, &pi);
	CHECK_STR(rb_rq_proc_name(vi, pi), "callit");
	rb_rq_classify_call(b, call(b, 100000, 4, 12), &vi, &pi);
	CHECK_STR(rb_rq_proc_name(vi, pi), "getstat");
	/* A procedure v3 lacks, another program, another version, a short call. */
	rb_rq_classify_call(b, call(b, 100000, 3, 9), &vi, &pi);
	CHECK_STR(rb_rq_vers_name(vi), "3");
	CHECK_STR(rb_rq_proc_name(vi, pi), "other");
	rb_rq_classify_call(b, call(b, 100003, 3, 0), &vi, &pi);
	CHECK_STR(rb_rq_vers_name(vi), "other");
	rb_rq_classify_call(b, call(b, 100000, 5, 0), &vi, &pi);
	CHECK_STR(rb_rq_vers_name(vi), "other");
	rb_rq_classify_call(b, 10, &vi, &pi);
	CHECK_STR(rb_rq_proc_name(vi, pi), "other");
	rb_rq_classify_call(b, call(b, 100000, 2, 0xffffffffu), &vi, &pi);
	CHECK(pi < RB_RQ_PROCS);
}

static void test_classify_reply(void)
{
	uint8_t r[32];
	memset(r, 0, sizeof(r));
	put32(r + 4, 1); /* REPLY, accepted, AUTH_NONE verifier, SUCCESS */
	put32(r + 24, 1);
	CHECK_EQ_U(rb_rq_classify_reply(r, 28, 1, 0), RB_RQ_SUCCESS); /* SET TRUE */
	put32(r + 24, 0);
	CHECK_EQ_U(rb_rq_classify_reply(r, 28, 1, 0), RB_RQ_REFUSED); /* SET FALSE */
	CHECK_EQ_U(rb_rq_classify_reply(r, 28, 3, 0), RB_RQ_SUCCESS); /* GETPORT 0 */
	put32(r + 20, 3); /* PROC_UNAVAIL */
	CHECK_EQ_U(rb_rq_classify_reply(r, 24, 3, 0), RB_RQ_RPC_ERROR);
	put32(r + 8, 1); /* MSG_DENIED */
	CHECK_EQ_U(rb_rq_classify_reply(r, 20, 3, 0), RB_RQ_DENIED);
	CHECK_EQ_U(rb_rq_classify_reply(r, 0, 3, 0), RB_RQ_DROPPED);
	put32(r + 8, 0);
	put32(r + 16, 0xfffffff0u); /* absurd verifier length */
	CHECK_EQ_U(rb_rq_classify_reply(r, 32, 3, 0), RB_RQ_RPC_ERROR);
}

static void test_count_merge(void)
{
	static struct rb_reqstats a, b, sum;
	rb_reqstats_count(&a, 0, 3, RB_RQ_UDP, RB_RQ_SUCCESS, 800);       /* <= 1 us */
	rb_reqstats_count(&a, 0, 3, RB_RQ_UDP, RB_RQ_SUCCESS, 3000);      /* <= 5 us */
	rb_reqstats_count(&b, 0, 3, RB_RQ_UDP, RB_RQ_SUCCESS, 5000000000ull); /* +Inf */
	rb_reqstats_count(&b, 9, 99, RB_RQ_UDP, RB_RQ_SUCCESS, 1); /* out of range: ignored */
	rb_reqstats_merge(&sum, &a);
	rb_reqstats_merge(&sum, &b);
	CHECK_EQ_U(sum.n[0][3][RB_RQ_UDP][RB_RQ_SUCCESS], 3);
	CHECK_EQ_U(sum.bucket[0], 1);
	CHECK_EQ_U(sum.bucket[2], 1);
	CHECK_EQ_U(sum.bucket[RB_RQ_BUCKETS], 1);
	CHECK_EQ_U(sum.sum_ns, 800u + 3000u + 5000000000ull);
	for (unsigned i = 1; i < RB_RQ_BUCKETS; i++)
		CHECK(rb_rq_bucket_ns[i] > rb_rq_bucket_ns[i - 1]);
}

RB_TEST_MAIN({
	test_classify_call();
	test_classify_reply();
	test_count_merge();
})
