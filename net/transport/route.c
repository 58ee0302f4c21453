/* A datagram's route: the address it arrived on (IP_PKTINFO,
 * IPV6_PKTINFO), so that its reply leaves from that very address. */
#include "net/transport/route.h"

#include <netinet/in.h>
#include <string.h>

void rb_route_set_pktinfo(struct rb_dgram_route *rt, const struct msghdr *mh)
{
	rt->local_family = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)(uintptr_t)mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			memcpy(&rt->local.v4, CMSG_DATA(cm), sizeof(rt->local.v4));
			rt->local_family = AF_INET;
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&rt->local.v6, CMSG_DATA(cm), sizeof(rt->local.v6));
			rt->local_family = AF_INET6;
		}
	}
}

size_t rb_route_put_pktinfo(const struct rb_dgram_route *rt, void *cbuf, size_t cap)
{
	struct msghdr mh = { .msg_control = cbuf, .msg_controllen = cap };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm)
		return 0;
	if (rt->local_family == AF_INET && cap >= CMSG_SPACE(sizeof(struct in_pktinfo))) {
		/* Answer from the address the call was sent to (ipi_spec_dst),
		 * leaving the interface to routing. */
		struct in_pktinfo pi = { .ipi_spec_dst = rt->local.v4.ipi_spec_dst };
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (rt->local_family == AF_INET6 && cap >= CMSG_SPACE(sizeof(struct in6_pktinfo))) {
		struct in6_pktinfo pi = rt->local.v6;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}
