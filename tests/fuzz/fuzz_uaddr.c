/* Fuzz target: universal addresses. byte 0 picks the family (bits 0-1:
 * INET, INET6, LOCAL, NONE); the rest is a uaddr string and, separately, a
 * raw sockaddr. Invariants: parse -> print -> parse is the identity, print
 * is a fixed point, the port agrees with rb_uaddr_port, sockaddr
 * conversion round-trips, print honours its capacity, netid lookups are
 * exact. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uaddr.h"
#include "fuzz.h"

static const enum rb_family families[4] = {RB_AF_INET, RB_AF_INET6,
					   RB_AF_LOCAL, RB_AF_NONE};

static bool addr_eq(const struct rb_addr *a, const struct rb_addr *b)
{
	if (a->family != b->family)
		return false;
	switch (a->family) {
	case RB_AF_INET:
		return a->port == b->port && memcmp(a->ip, b->ip, 4) == 0;
	case RB_AF_INET6:
		return a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
	case RB_AF_LOCAL:
		return strcmp(a->path, b->path) == 0;
	default:
		return false;
	}
}

/* Checks everything that must hold for a valid address. */
static void check_addr(const struct rb_addr *a)
{
	char s1[RB_UADDR_MAX + 1], s2[RB_UADDR_MAX + 1];
	struct rb_addr b;

	int n = rb_uaddr_print(a, s1, sizeof(s1));
	FZ_ASSERT(n >= 0);
	FZ_ASSERT((size_t)n == strlen(s1));
	if (n == 0) /* an empty AF_LOCAL path has no uaddr form */
		return;
	FZ_ASSERT(rb_uaddr_parse(a->family, s1, (size_t)n, &b) == 0);
	FZ_ASSERT(addr_eq(a, &b));
	FZ_ASSERT(rb_uaddr_print(&b, s2, sizeof(s2)) == n);
	FZ_ASSERT(strcmp(s1, s2) == 0);

	if (a->family != RB_AF_LOCAL) {
		uint16_t port = 0;
		FZ_ASSERT(rb_uaddr_port(s1, (size_t)n, &port) == 0);
		FZ_ASSERT(port == a->port);
	}

	/* Capacity: exactly-sized heap buffers. */
	for (size_t cap = 1; cap <= (size_t)n + 1; cap++) {
		char *p = malloc(cap);
		FZ_ASSERT(p != NULL);
		int r = rb_uaddr_print(a, p, cap);
		if (cap <= (size_t)n)
			FZ_ASSERT(r == -ENOSPC);
		else
			FZ_ASSERT(r == n && strcmp(p, s1) == 0);
		free(p);
	}

	/* sockaddr round trip. */
	uint8_t sa[128];
	uint32_t maxlen = 0;
	int len = rb_addr_to_sockaddr(a, sa, sizeof(sa), &maxlen);
	FZ_ASSERT(len > 0);
	FZ_ASSERT((uint32_t)len <= maxlen);
	FZ_ASSERT(rb_addr_from_sockaddr(a->family, sa, (size_t)len, &b) == 0);
	FZ_ASSERT(addr_eq(a, &b));

	(void)rb_addr_is_wildcard(a);
	(void)rb_addr_is_loopback_peer(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	enum rb_family f = families[data[0] & 3];
	size_t n = size - 1;
	/* The string in an exact-size heap block (not NUL-terminated). */
	char *s = malloc(n ? n : 1);
	FZ_ASSERT(s != NULL);
	memcpy(s, data + 1, n);

	struct rb_addr a;
	if (rb_uaddr_parse(f, s, n, &a) == 0) {
		FZ_ASSERT(a.family == f);
		check_addr(&a);
	}

	uint16_t port;
	int pr = rb_uaddr_port(s, n, &port);
	FZ_ASSERT(pr == 0 || pr == -EINVAL);

	int idx = rb_netid_find(s, n);
	if (idx >= 0) {
		const struct rb_netid *nid = rb_netid_get((enum rb_netid_idx)idx);
		FZ_ASSERT(nid != NULL);
		FZ_ASSERT(strlen(nid->name) == n && memcmp(nid->name, s, n) == 0);
	}

	/* The same bytes as a sockaddr of that family. */
	if (rb_addr_from_sockaddr(f, (const uint8_t *)s, n, &a) == 0) {
		FZ_ASSERT(a.family == f);
		check_addr(&a);
	}
	free(s);
	return 0;
}
