#include "core/uaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

/* Parses a port part: 1 to 3 decimal digits, value 0..255. */
static int parse_octet(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;
	if (len == 0 || len > 3)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 255)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Splits "host.p1.p2" at its last two dots. */
static int split_port(const char *s, size_t len, size_t *host_len,
		      uint16_t *port)
{
	size_t d2 = len, d1;
	while (d2 > 0 && s[d2 - 1] != '.')
		d2--;
	if (d2 == 0)
		return -EINVAL;
	d1 = d2 - 1;
	while (d1 > 0 && s[d1 - 1] != '.')
		d1--;
	if (d1 == 0)
		return -EINVAL;
	unsigned hi, lo;
	if (parse_octet(s + d1, d2 - 1 - d1, &hi) ||
	    parse_octet(s + d2, len - d2, &lo))
		return -EINVAL;
	*host_len = d1 - 1;
	*port = (uint16_t)(hi << 8 | lo);
	return 0;
}

int rb_uaddr_port(const char *s, size_t len, uint16_t *port)
{
	size_t host_len;
	*port = 0;
	return split_port(s, len, &host_len, port);
}

int rb_uaddr_parse(enum rb_family family, const char *s, size_t len,
		   struct rb_addr *out)
{
	struct rb_addr a;
	memset(&a, 0, sizeof(a));
	a.family = family;
	if (memchr(s, '\0', len))
		return -EINVAL;
	if (family == RB_AF_LOCAL) {
		if (len == 0 || len > RB_LOCAL_PATH_MAX - 1)
			return -EINVAL;
		memcpy(a.path, s, len);
		a.path[len] = '\0';
		*out = a;
		return 0;
	}
	if (family != RB_AF_INET && family != RB_AF_INET6)
		return -EINVAL;
	size_t host_len;
	if (split_port(s, len, &host_len, &a.port))
		return -EINVAL;
	char host[INET6_ADDRSTRLEN];
	if (host_len == 0 || host_len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, host_len);
	host[host_len] = '\0';
	if (inet_pton(family == RB_AF_INET ? AF_INET : AF_INET6, host, a.ip) != 1)
		return -EINVAL;
	*out = a;
	return 0;
}

/* Appends v (0..255) in decimal. */
static char *put_dec8(char *p, unsigned v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

int rb_uaddr_print(const struct rb_addr *a, char *out, size_t cap)
{
	int n;
	if (a->family == RB_AF_INET) {
		/* The hot case (GETADDR merges every wildcard answer): by hand,
		 * as inet_ntop + snprintf cost more than the whole lookup. */
		char buf[sizeof("255.255.255.255.255.255")], *p = buf;
		for (int i = 0; i < 4; i++) {
			p = put_dec8(p, a->ip[i]);
			*p++ = '.';
		}
		p = put_dec8(p, a->port >> 8);
		*p++ = '.';
		p = put_dec8(p, a->port & 0xffu);
		n = (int)(p - buf);
		if ((size_t)n >= cap)
			return -ENOSPC;
		memcpy(out, buf, (size_t)n);
		out[n] = '\0';
		return n;
	}
	if (a->family == RB_AF_LOCAL) {
		n = snprintf(out, cap, "%s", a->path);
	} else if (a->family == RB_AF_INET6) {
		char host[INET6_ADDRSTRLEN];
		if (!inet_ntop(AF_INET6, a->ip, host, sizeof(host)))
			return -EINVAL;
		n = snprintf(out, cap, "%s.%u.%u", host, (unsigned)(a->port >> 8),
			     (unsigned)(a->port & 0xff));
	} else {
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

bool rb_addr_is_wildcard(const struct rb_addr *a)
{
	static const uint8_t zero[16];
	if (a->family == RB_AF_INET)
		return memcmp(a->ip, zero, 4) == 0;
	if (a->family == RB_AF_INET6)
		return memcmp(a->ip, zero, 16) == 0;
	return false;
}

bool rb_addr_is_loopback_peer(const struct rb_addr *a)
{
	static const uint8_t v4[4] = { 127, 0, 0, 1 };
	static const uint8_t v6[16] = { [15] = 1 };
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff,
					    127, 0, 0, 1 };
	if (a->family == RB_AF_INET)
		return memcmp(a->ip, v4, 4) == 0;
	if (a->family == RB_AF_INET6)
		return memcmp(a->ip, v6, 16) == 0 ||
		       memcmp(a->ip, mapped, 16) == 0;
	return false;
}

int rb_addr_to_sockaddr(const struct rb_addr *a, uint8_t *out, size_t cap,
			uint32_t *maxlen)
{
	if (a->family == RB_AF_INET) {
		struct sockaddr_in sin;
		if (cap < sizeof(sin))
			return -EINVAL;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(a->port);
		memcpy(&sin.sin_addr, a->ip, 4);
		memcpy(out, &sin, sizeof(sin));
		*maxlen = sizeof(sin);
		return (int)sizeof(sin);
	}
	if (a->family == RB_AF_INET6) {
		struct sockaddr_in6 sin6;
		if (cap < sizeof(sin6))
			return -EINVAL;
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(a->port);
		memcpy(&sin6.sin6_addr, a->ip, 16);
		memcpy(out, &sin6, sizeof(sin6));
		*maxlen = sizeof(sin6);
		return (int)sizeof(sin6);
	}
	if (a->family == RB_AF_LOCAL) {
		struct sockaddr_un sun;
		size_t plen = strnlen(a->path, sizeof(a->path));
		if (plen >= sizeof(sun.sun_path))
			return -EINVAL;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_LOCAL;
		memcpy(sun.sun_path, a->path, plen);
		/* libtirpc: len = SUN_LEN, maxlen = sizeof(struct sockaddr_un). */
		size_t len = offsetof(struct sockaddr_un, sun_path) + plen;
		if (cap < len)
			return -EINVAL;
		memcpy(out, &sun, len);
		*maxlen = sizeof(sun);
		return (int)len;
	}
	return -EINVAL;
}

int rb_addr_from_sockaddr(enum rb_family family, const uint8_t *sa, size_t len,
			  struct rb_addr *out)
{
	struct rb_addr a;
	memset(&a, 0, sizeof(a));
	a.family = family;
	/* As libtirpc's taddr2uaddr: the family comes from the transport, the
	 * buffer must hold the whole sockaddr type. */
	if (family == RB_AF_INET) {
		struct sockaddr_in sin;
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		a.port = ntohs(sin.sin_port);
		memcpy(a.ip, &sin.sin_addr, 4);
	} else if (family == RB_AF_INET6) {
		struct sockaddr_in6 sin6;
		if (len < sizeof(sin6))
			return -EINVAL;
		memcpy(&sin6, sa, sizeof(sin6));
		a.port = ntohs(sin6.sin6_port);
		memcpy(a.ip, &sin6.sin6_addr, 16);
	} else if (family == RB_AF_LOCAL) {
		size_t off = offsetof(struct sockaddr_un, sun_path);
		if (len < off)
			return -EINVAL;
		size_t plen = strnlen((const char *)sa + off, len - off);
		if (plen > RB_LOCAL_PATH_MAX - 1)
			return -EINVAL;
		memcpy(a.path, sa + off, plen);
		a.path[plen] = '\0';
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}
