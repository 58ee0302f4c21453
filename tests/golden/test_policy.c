/* Hardening policy: prefixes, response-rate limiting, SET vetting
 * (quotas, port policy) and the reflection guard for untrusted UDP
 * sources. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/cidr.h"
#include "core/ratelimit.h"
#include "golden/golden_exchange.h"

static struct rb_addr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct rb_addr x = { .family = RB_AF_INET, .ip = { a, b, c, d } };
	return x;
}

static void test_cidr(void)
{
	struct rb_cidr c;
	CHECK_EQ_U(rb_cidr_parse("198.18.0.0/15", &c), 0);
	struct rb_addr in = ip4(198, 19, 255, 1), out = ip4(198, 20, 0, 1);
	CHECK(rb_cidr_match(&c, &in));
	CHECK(!rb_cidr_match(&c, &out));
	struct rb_addr mapped = { .family = RB_AF_INET6,
				  .ip = { [10] = 0xff, [11] = 0xff, 198, 18, 1, 2 } };
	CHECK(rb_cidr_match(&c, &mapped));
	CHECK_EQ_U(rb_cidr_parse("2001:db8::/32", &c), 0);
	struct rb_addr v6 = { .family = RB_AF_INET6, .ip = { 0x20, 0x01, 0x0d, 0xb8, 9 } };
	CHECK(rb_cidr_match(&c, &v6));
	CHECK(!rb_cidr_match(&c, &in));
	CHECK_EQ_U(rb_cidr_parse("10.0.0.1", &c), 0); /* a host */
	CHECK_EQ_U(c.bits, 32);
	CHECK_EQ_U(rb_cidr_parse("0.0.0.0/0", &c), 0);
	CHECK(rb_cidr_match(&c, &out));
	CHECK(rb_cidr_parse("10.0.0.0/33", &c) == -EINVAL);
	CHECK(rb_cidr_parse("::/129", &c) == -EINVAL);
	CHECK(rb_cidr_parse("hello/8", &c) == -EINVAL);
	CHECK(rb_cidr_parse("10.0.0.0/", &c) == -EINVAL);
	CHECK(rb_cidr_parse("10.0.0.0/-1", &c) == -EINVAL);
	CHECK(rb_cidr_parse("", &c) == -EINVAL);
}

static void test_rrl(void)
{
	static struct rb_rrl r;
	rb_rrl_init(&r, 100, 10);
	struct rb_addr a = ip4(198, 18, 0, 1), a2 = ip4(198, 18, 0, 200), b = ip4(198, 18, 1, 1);
	unsigned ok = 0;
	for (int i = 0; i < 50; i++)
		ok += rb_rrl_allow(&r, i % 2 ? &a : &a2, 1000); /* one /24 */
	CHECK_EQ_U(ok, 10); /* the burst */
	CHECK(rb_rrl_allow(&r, &b, 1000)); /* another /24 has its own bucket */
	CHECK(!rb_rrl_allow(&r, &a, 1000));
	CHECK(!rb_rrl_allow(&r, &a, 1005)); /* 0.5 token later */
	CHECK(rb_rrl_allow(&r, &a, 1010));  /* 100/s: one per 10 ms */
	ok = 0;
	for (int i = 0; i < 50; i++)
		ok += rb_rrl_allow(&r, &a, 3000); /* refilled, capped at the burst */
	CHECK_EQ_U(ok, 10);
	/* Memory is fixed: a million sources touch only the fixed table. */
	for (uint32_t i = 0; i < 1000000; i++) {
		struct rb_addr s = ip4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
		rb_rrl_allow(&r, &s, 4000);
	}
	CHECK_EQ_U(sizeof(r.b) / sizeof(r.b[0]), RB_RRL_BUCKETS);
	rb_rrl_init(&r, 0, 0); /* off */
	for (int i = 0; i < 100; i++)
		CHECK(rb_rrl_allow(&r, &a, 1));

	/* Per-worker shards (issue 16): each a share, rounded up, so that
	 * shards fed evenly (random steering) add up to the whole. */
	static struct rb_rrl s1, s2;
	rb_rrl_init(&s1, 0, 0);
	rb_rrl_init(&s2, 0, 0);
	rb_rrl_set_share(&s1, 100, 10, 2);
	rb_rrl_set_share(&s2, 100, 10, 2);
	CHECK_EQ_U(s1.rate, 50);
	CHECK_EQ_U(s1.burst, 5);
	ok = 0;
	for (int i = 0; i < 50; i++)
		ok += rb_rrl_allow(i % 2 ? &s1 : &s2, &a, 1000);
	CHECK_EQ_U(ok, 10); /* the whole burst, over both shards */
	ok = 0;
	for (int i = 0; i < 50; i++)
		ok += rb_rrl_allow(i % 2 ? &s1 : &s2, &a, 1100); /* 100 ms: 5 tokens each */
	CHECK_EQ_U(ok, 10); /* 100/s in all */
	rb_rrl_set_share(&s1, 100, 10, 3);
	CHECK_EQ_U(s1.rate, 34); /* rounded up: never below the whole */
	CHECK_EQ_U(s1.burst, 4);
	rb_rrl_set_share(&s1, 1, 1, 8);
	CHECK_EQ_U(s1.rate, 1); /* never 0 (which would mean no limit) */
	CHECK_EQ_U(s1.burst, 1);
	rb_rrl_set_share(&s1, 0, 0, 8);
	CHECK_EQ_U(s1.rate, 0); /* off stays off */
	/* No false sharing: rate/burst on a line of their own, buckets
	 * line-aligned and never straddling one. */
	CHECK_EQ_U(_Alignof(struct rb_rrl), 64);
	CHECK_EQ_U(offsetof(struct rb_rrl, b) % 64, 0);
	CHECK(offsetof(struct rb_rrl, b) >= 64);
	CHECK_EQ_U(64 % sizeof(struct rb_rrl_bucket), 0);
}

static struct rb_mutation set_of(const char *owner, const char *netid,
				 const char *uaddr, uint32_t prog)
{
	struct rb_mutation m;
	memset(&m, 0, sizeof(m));
	m.op = RB_MUT_SET;
	m.prog = prog;
	m.vers = 1;
	snprintf(m.owner, sizeof(m.owner), "%s", owner);
	snprintf(m.netid, sizeof(m.netid), "%s", netid);
	snprintf(m.uaddr, sizeof(m.uaddr), "%s", uaddr);
	return m;
}

static void test_vet(void)
{
	struct rb_registry *reg;
	CHECK_EQ_U(rb_registry_new(&reg), 0);
	struct rb_policy pol = { .port_policy = true, .owner_quota = 3, .max_registrations = 6 };
	struct rb_mutation m;

	m = set_of("1000", "tcp", "0.0.0.0.3.255", 1); /* port 1023 */
	CHECK(rb_mutation_vet(reg, &pol, &m) == -EACCES);
	m = set_of("unknown", "udp", "0.0.0.0.0.0", 1);
	CHECK(rb_mutation_vet(reg, &pol, &m) == -EINVAL);
	m = set_of("1000", "tcp", "hello", 1);
	CHECK(rb_mutation_vet(reg, &pol, &m) == -EINVAL);
	m = set_of("1000", "tcp6", "::.4.0", 1); /* 1024 */
	CHECK_EQ_U(rb_mutation_vet(reg, &pol, &m), 0);
	m = set_of("1000", "local", "/run/x.sock", 1);
	CHECK_EQ_U(rb_mutation_vet(reg, &pol, &m), 0);
	m = set_of("superuser", "tcp", "0.0.0.0.0.111", 1); /* root may */
	CHECK_EQ_U(rb_mutation_vet(reg, &pol, &m), 0);
	struct rb_policy off = pol;
	off.port_policy = false;
	m = set_of("1000", "tcp", "0.0.0.0.0.80", 1);
	CHECK_EQ_U(rb_mutation_vet(reg, &off, &m), 0);

	/* Quota: three for uid 1000, then no more; other owners unaffected. */
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ_U(rb_registry_set(reg, 10 + i, 1, "tcp", "0.0.0.0.8.1", "1000"), RB_SET_ADDED);
	m = set_of("1000", "tcp", "0.0.0.0.8.1", 20);
	CHECK(rb_mutation_vet(reg, &pol, &m) == -EDQUOT);
	m = set_of("1001", "tcp", "0.0.0.0.8.1", 20);
	CHECK_EQ_U(rb_mutation_vet(reg, &pol, &m), 0);
	/* UNSET is never vetted (ownership is checked when applied). */
	m.op = RB_MUT_UNSET;
	snprintf(m.owner, sizeof(m.owner), "1000");
	CHECK_EQ_U(rb_mutation_vet(reg, &pol, &m), 0);
	/* The global cap, for everyone including root. */
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ_U(rb_registry_set(reg, 30 + i, 1, "tcp", "0.0.0.0.8.1", "superuser"),
			   RB_SET_ADDED);
	m = set_of("superuser", "tcp", "0.0.0.0.8.1", 40);
	CHECK(rb_mutation_vet(reg, &pol, &m) == -ENOSPC);
	CHECK(strstr(rb_mutation_refusal(-EDQUOT), "quota") != NULL);
	rb_registry_free(reg);
}

/* Over UDP from an untrusted source: no reply larger than the call, no
 * DUMP/GETSTAT/GETADDRLIST; loopback and trusted networks are unaffected;
 * TCP is never limited. */
static void test_reflection(void)
{
	struct gt *t = gt_new();
	struct rb_cidr trusted;
	CHECK_EQ_U(rb_cidr_parse("198.18.0.0/15", &trusted), 0);
	t->policy.reflect_guard = true;
	t->policy.trusted = &trusted;
	t->policy.ntrusted = 1;
	for (uint32_t i = 0; i < 20; i++)
		CHECK_EQ_U(rb_registry_set(t->reg, 300000 + i, 1, "udp", "0.0.0.0.8.1", "superuser"),
			   RB_SET_ADDED);
	CHECK_EQ_U(rb_registry_set(t->reg, 400000, 1, "udp",
				   "2001:db8:1234:5678:9abc:def0:1234:5678.8.1", "superuser"),
		   RB_SET_ADDED);
	struct rb_xport far = gx_ip(RB_NETID_UDP, "203.0.113.9", 5000, "10.0.0.1", 111);
	struct rb_xport near = gx_ip(RB_NETID_UDP, "198.19.0.1", 5000, "10.0.0.1", 111);
	struct rb_xport lo = gx_udp_lo(5000);
	struct rb_xport tcp = gx_ip(RB_NETID_TCP, "203.0.113.9", 5000, "10.0.0.1", 111);
	struct gbuf c;
	static const uint32_t big[][2] = { { 2, 4 }, { 3, 4 }, { 4, 4 }, { 4, 12 }, { 4, 11 } };
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		gb_new_call(&c, 0x100 + (uint32_t)i, 100000, big[i][0], big[i][1]);
		if (big[i][1] == 11)
			gb_rpcb(&c, 300000, 1, "", "", "");
		CHECK_EQ_U(gt_call(t, &far, &c), RB_OUT_REPLY);
		CHECK_EQ_U(gt_accept_stat(t), RB_SYSTEM_ERR);
		CHECK(t->outlen <= c.n);
		CHECK_EQ_U(gt_call(t, &near, &c), RB_OUT_REPLY); /* trusted */
		CHECK_EQ_U(gt_accept_stat(t), RB_SUCCESS);
		CHECK_EQ_U(gt_call(t, &lo, &c), RB_OUT_REPLY);   /* loopback */
		CHECK_EQ_U(gt_accept_stat(t), RB_SUCCESS);
		CHECK_EQ_U(gt_call(t, &tcp, &c), RB_OUT_REPLY);  /* not a reflector */
		CHECK_EQ_U(gt_accept_stat(t), RB_SUCCESS);
	}
	/* A lookup whose answer is longer than its call is refused too. */
	gb_new_call(&c, 0x200, 100000, 3, 3);
	gb_rpcb(&c, 400000, 1, "", "", "");
	CHECK_EQ_U(gt_call(t, &far, &c), RB_OUT_REPLY);
	CHECK_EQ_U(gt_accept_stat(t), RB_SYSTEM_ERR);
	/* A short answer is not. */
	gb_new_call(&c, 0x201, 100000, 2, 3);
	gb_pmap(&c, 300000, 1, 17, 0);
	CHECK_EQ_U(gt_call(t, &far, &c), RB_OUT_REPLY);
	CHECK_EQ_U(gt_accept_stat(t), RB_SUCCESS);
	CHECK(t->outlen <= c.n);
	/* --udp-refuse drop: nothing at all. */
	t->policy.reflect_drop = true;
	gb_new_call(&c, 0x202, 100000, 3, 4);
	CHECK_EQ_U(gt_call(t, &far, &c), RB_OUT_DROP);
	gt_free(t);
}

RB_TEST_MAIN({
	test_cidr();
	test_rrl();
	test_vet();
	test_reflection();
})
