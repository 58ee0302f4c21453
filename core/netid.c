#include <string.h>

#include "core/uaddr.h"

/* /etc/netconfig of Debian 12, less rawip (never registered). */
static const struct rb_netid netids[RB_NETID_COUNT] = {
	[RB_NETID_UDP] = { "udp", RB_AF_INET, RB_NC_TPI_CLTS, "inet", "udp", false },
	[RB_NETID_TCP] = { "tcp", RB_AF_INET, RB_NC_TPI_COTS_ORD, "inet", "tcp", true },
	[RB_NETID_UDP6] = { "udp6", RB_AF_INET6, RB_NC_TPI_CLTS, "inet6", "udp", false },
	[RB_NETID_TCP6] = { "tcp6", RB_AF_INET6, RB_NC_TPI_COTS_ORD, "inet6", "tcp", true },
	[RB_NETID_LOCAL] = { "local", RB_AF_LOCAL, RB_NC_TPI_COTS_ORD, "loopback", "-", true },
	[RB_NETID_UNIX] = { "unix", RB_AF_LOCAL, RB_NC_TPI_COTS_ORD, "loopback", "-", true },
};

const struct rb_netid *rb_netid_get(enum rb_netid_idx idx)
{
	if ((unsigned)idx >= RB_NETID_COUNT)
		return NULL;
	return &netids[idx];
}

int rb_netid_find(const char *name, size_t len)
{
	/* Exact, as the registry compares netids: "TCP" is not a netid we
	 * know, so nothing takes it for tcp (GETADDRLIST, port policy). */
	for (int i = 0; i < RB_NETID_COUNT; i++) {
		const char *n = netids[i].name;
		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return i;
	}
	return -1;
}
