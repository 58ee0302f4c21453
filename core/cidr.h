/* Address prefixes ("192.0.2.0/24", "2001:db8::/32") and matching. Pure. */
#ifndef RB_CORE_CIDR_H
#define RB_CORE_CIDR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/uaddr.h"

struct rb_cidr {
	enum rb_family family; /* RB_AF_INET or RB_AF_INET6 */
	uint8_t ip[16];
	uint8_t bits;
};

/* Parses "ADDR/BITS" or a bare address (a host prefix). 0 or -EINVAL. */
int rb_cidr_parse(const char *s, struct rb_cidr *out);
/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches IPv4 prefixes. */
bool rb_cidr_match(const struct rb_cidr *c, const struct rb_addr *a);

#endif
