#include "net/transport/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int add_addr(struct rb_bind_addr *out, unsigned cap, unsigned *n,
		    enum rb_family fam, const uint8_t *ip)
{
	size_t len = fam == RB_AF_INET ? 4 : 16;
	for (unsigned i = 0; i < *n; i++)
		if (out[i].family == fam && memcmp(out[i].ip, ip, len) == 0)
			return 0; /* already there */
	if (*n >= cap)
		return -ENOSPC;
	memset(&out[*n], 0, sizeof(out[*n]));
	out[*n].family = fam;
	memcpy(out[*n].ip, ip, len);
	(*n)++;
	return 0;
}

int rb_bind_addrs(const struct rb_config *cfg, struct rb_bind_addr *out,
		  unsigned cap, unsigned *n, char *err, size_t errcap)
{
	static const uint8_t any[16], lo4[4] = { 127, 0, 0, 1 }, lo6[16] = { [15] = 1 };
	*n = 0;
	if (cfg->nhosts == 0) {
		add_addr(out, cap, n, RB_AF_INET, any);
		add_addr(out, cap, n, RB_AF_INET6, any);
		return 0;
	}
	/* rpcbind -h: the given addresses, and loopback always. */
	add_addr(out, cap, n, RB_AF_INET, lo4);
	add_addr(out, cap, n, RB_AF_INET6, lo6);
	for (unsigned i = 0; i < cfg->nhosts; i++) {
		uint8_t ip[16];
		int r;
		if (inet_pton(AF_INET, cfg->hosts[i], ip) == 1)
			r = add_addr(out, cap, n, RB_AF_INET, ip);
		else if (inet_pton(AF_INET6, cfg->hosts[i], ip) == 1)
			r = add_addr(out, cap, n, RB_AF_INET6, ip);
		else {
			snprintf(err, errcap, "-h %s: not a numeric IPv4 or IPv6 address",
				 cfg->hosts[i]);
			return -EINVAL;
		}
		if (r) {
			snprintf(err, errcap, "-h: too many addresses");
			return r;
		}
	}
	return 0;
}

/* Closes a socket whose set-up failed and gives back -errno of the failure
 * (read before close(), which may change it). */
static int close_errno(int fd)
{
	int r = -errno;
	close(fd);
	return r;
}

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

int rb_listen_inet(int type, const struct rb_bind_addr *a, uint16_t port)
{
	int fam = a->family == RB_AF_INET ? AF_INET : AF_INET6;
	int fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->ip, 4);
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a->ip, 16);
		sl = sizeof(*in6);
		/* A separate IPv6 socket: mapped IPv4 would change owners'
		 * loopback checks and the netid answered (tcp6 vs tcp). */
		if (set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0)
			goto fail;
	}
	/* SO_REUSEADDR for TCP only (a restart binds beside TIME_WAIT). On
	 * UDP it would let our socket bind beside one it may not join (another
	 * user's, as a passed socket can be) instead of failing: two sockets,
	 * one of which gets every datagram. SO_REUSEPORT puts the workers in
	 * one group, under the same effective uid only. */
	if ((type == SOCK_STREAM && set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0) ||
	    set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) < 0)
		goto fail;
	if (type == SOCK_DGRAM) {
		if (fam == AF_INET ? set_int(fd, IPPROTO_IP, IP_PKTINFO, 1)
				   : set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1))
			goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 1024) < 0)
		goto fail;
	return fd;
fail:
	return close_errno(fd);
}

int rb_listen_local(const char *path, bool abstract)
{
	struct sockaddr_un sun;
	size_t plen = strlen(path);
	if (plen + 1 >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	int fd = socket(AF_LOCAL, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_LOCAL;
	socklen_t sl;
	if (abstract) {
		memcpy(sun.sun_path + 1, path, plen);
		sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + plen);
	} else {
		memcpy(sun.sun_path, path, plen);
		sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
		unlink(path); /* a stale socket from an earlier run, as rpcbind */
	}
	if (bind(fd, (struct sockaddr *)&sun, sl) < 0)
		goto fail;
	/* Anyone may connect (lookups); what they may change is decided per
	 * call from SO_PEERCRED. */
	if (!abstract && chmod(path, 0666) < 0)
		goto fail;
	if (listen(fd, 1024) < 0)
		goto fail;
	return fd;
fail:
	return close_errno(fd);
}
