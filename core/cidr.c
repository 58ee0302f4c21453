#include "core/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int rb_cidr_parse(const char *s, struct rb_cidr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	struct rb_cidr c;
	memset(&c, 0, sizeof(c));
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	unsigned max;
	if (inet_pton(AF_INET, host, c.ip) == 1) {
		c.family = RB_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c.ip) == 1) {
		c.family = RB_AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	unsigned long bits = max;
	if (slash) {
		char *end;
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		bits = strtoul(slash + 1, &end, 10);
		if (*end || bits > max)
			return -EINVAL;
	}
	c.bits = (uint8_t)bits;
	*out = c;
	return 0;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

bool rb_cidr_match(const struct rb_cidr *c, const struct rb_addr *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (c->family == a->family)
		return prefix_eq(c->ip, a->ip, c->bits);
	if (c->family == RB_AF_INET && a->family == RB_AF_INET6 &&
	    memcmp(a->ip, mapped, 12) == 0)
		return prefix_eq(c->ip, a->ip + 12, c->bits);
	return false;
}
