/* Universal addresses (RFC 5665) and the netid table.
 *
 * IPv4 "h1.h2.h3.h4.p1.p2", IPv6 "<text>.p1.p2" (printed compressed, as
 * libtirpc's inet_ntop-based taddr2uaddr does), AF_LOCAL: the socket path.
 * Pure functions: no sockets, no name lookups. */
#ifndef RB_CORE_UADDR_H
#define RB_CORE_UADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest universal address we print or store: an AF_LOCAL path (108) is
 * the largest; IPv6 text + ".255.255" is 46 + 8. */
#define RB_UADDR_MAX 128u
/* Longest netid we store ("udp6", "local", ... ; rpcbind allows any). */
#define RB_NETID_MAX 32u
/* sun_path size on Linux. */
#define RB_LOCAL_PATH_MAX 108u

enum rb_family { RB_AF_NONE = 0, RB_AF_INET = 4, RB_AF_INET6 = 6, RB_AF_LOCAL = 1 };

/* A transport address: what a uaddr means, or what a socket reports. */
struct rb_addr {
	enum rb_family family;
	uint16_t port;        /* host order; 0 for AF_LOCAL */
	uint8_t ip[16];       /* 4 bytes used for IPv4 */
	char path[RB_LOCAL_PATH_MAX + 1]; /* AF_LOCAL; NUL-terminated */
};

/* Parses a uaddr of the given family. 0, or -EINVAL when malformed (bad
 * digits, octet or port part > 255, missing port, an AF_LOCAL path over
 * RB_LOCAL_PATH_MAX - 1 = 107 bytes, as libtirpc). */
int rb_uaddr_parse(enum rb_family family, const char *s, size_t len,
		   struct rb_addr *out);
/* Prints a uaddr into out (cap bytes, NUL-terminated). Returns the length,
 * or -ENOSPC. */
int rb_uaddr_print(const struct rb_addr *a, char *out, size_t cap);
/* True for 0.0.0.0 and :: (the registration asks for address merging). */
bool rb_addr_is_wildcard(const struct rb_addr *a);
/* True for 127.0.0.1, ::1 and ::ffff:127.0.0.1: the peers that may change
 * the registry (as rpcbind's is_loopback). */
bool rb_addr_is_loopback_peer(const struct rb_addr *a);
/* Port of a uaddr "....p1.p2" (last two dotted fields), without parsing the
 * host part. 0 and -EINVAL when malformed. */
int rb_uaddr_port(const char *s, size_t len, uint16_t *port);

/* Linux sockaddr bytes for UADDR2TADDR / TADDR2UADDR (host layout, as
 * libtirpc puts on the wire). Returns the sockaddr length, or -EINVAL.
 * *maxlen gets sizeof the sockaddr type, as libtirpc's netbuf.maxlen. */
int rb_addr_to_sockaddr(const struct rb_addr *a, uint8_t *out, size_t cap,
			uint32_t *maxlen);
int rb_addr_from_sockaddr(enum rb_family family, const uint8_t *sa,
			  size_t len, struct rb_addr *out);

/* Network semantics, as in /etc/netconfig and rpcb_entry.r_nc_semantics. */
enum rb_semantics { RB_NC_TPI_CLTS = 1, RB_NC_TPI_COTS = 2, RB_NC_TPI_COTS_ORD = 3 };

enum rb_netid_idx {
	RB_NETID_UDP = 0,
	RB_NETID_TCP,
	RB_NETID_UDP6,
	RB_NETID_TCP6,
	RB_NETID_LOCAL,
	RB_NETID_UNIX,
	RB_NETID_COUNT,
};

struct rb_netid {
	const char *name;
	enum rb_family family;
	enum rb_semantics semantics;
	const char *protofmly; /* "inet", "inet6", "loopback" */
	const char *proto;     /* "udp", "tcp", "-" */
	bool stream;
};

/* The netid table, in /etc/netconfig's order of preference. */
const struct rb_netid *rb_netid_get(enum rb_netid_idx idx);
/* Looks a netid up by name, ignoring case; -1 when unknown. */
int rb_netid_find(const char *name, size_t len);

#endif
