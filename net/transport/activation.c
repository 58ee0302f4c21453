#include "net/transport/activation.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/base/log.h"

int rb_passed_collect(struct rb_passed_set *ps, char *err, size_t errcap)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	ps->n = 0;
	if (!pid_s || !fds_s)
		return 0;
	char *end;
	errno = 0;
	unsigned long pid = strtoul(pid_s, &end, 10);
	if (errno || *end || pid != (unsigned long)getpid()) {
		/* Meant for another process (our parent): not ours to take. */
		return 0;
	}
	unsigned long n = strtoul(fds_s, &end, 10);
	if (errno || *end || n > RB_ACTIVATION_FDS_MAX) {
		snprintf(err, errcap, "LISTEN_FDS=%s: expected 0..%u", fds_s, RB_ACTIVATION_FDS_MAX);
		return -EINVAL;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (unsigned i = 0; i < n; i++) {
		int fd = RB_ACTIVATION_FD_START + (int)i;
		struct rb_passed *p = &ps->v[ps->n];
		struct stat st;
		socklen_t tl = sizeof(p->type);
		memset(p, 0, sizeof(*p));
		p->len = sizeof(p->addr);
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &p->type, &tl) < 0 ||
		    getsockname(fd, (struct sockaddr *)&p->addr, &p->len) < 0) {
			rb_logl(RB_LOG_WARNING, "socket activation: fd %d is not a socket: ignored", fd);
			continue;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		p->fd = fd;
		p->family = p->addr.ss_family;
		ps->n++;
	}
	return 0;
}

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

int rb_passed_take_inet(struct rb_passed_set *ps, int type, const struct rb_bind_addr *a,
			uint16_t port, struct rb_passed **p_out)
{
	int fam = a->family == RB_AF_INET ? AF_INET : AF_INET6;
	for (unsigned i = 0; i < ps->n; i++) {
		struct rb_passed *p = &ps->v[i];
		if (p->family != fam || p->type != type)
			continue;
		if (fam == AF_INET) {
			const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)&p->addr;
			if (ntohs(in->sin_port) != port || memcmp(&in->sin_addr, a->ip, 4) != 0)
				continue;
		} else {
			const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)&p->addr;
			if (ntohs(in6->sin6_port) != port || memcmp(&in6->sin6_addr, a->ip, 16) != 0)
				continue;
			int v6only = 0;
			socklen_t l = sizeof(v6only);
			if (getsockopt(p->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &l) == 0 && !v6only)
				rb_logl(RB_LOG_WARNING,
					"socket activation: the IPv6 socket is not v6-only "
					"(BindIPv6Only=ipv6-only): IPv4 callers will be seen as tcp6/udp6");
		}
		if (p_out)
			*p_out = p;
		if (p->used)
			return p->fd; /* made ready already */
		int fl = fcntl(p->fd, F_GETFL);
		if (fl < 0 || fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) < 0)
			return -errno;
		if (type == SOCK_DGRAM &&
		    (fam == AF_INET ? set_int(p->fd, IPPROTO_IP, IP_PKTINFO, 1)
				    : set_int(p->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)) < 0)
			return -errno;
		/* Lets the other workers' sockets join (ReusePort=yes in the
		 * unit sets it already). A failure leaves them sharing this one
		 * (the daemon says so). */
		if (set_int(p->fd, SOL_SOCKET, SO_REUSEPORT, 1) < 0)
			rb_logl(RB_LOG_WARNING, "socket activation: SO_REUSEPORT on fd %d: %s",
				p->fd, strerror(errno));
		/* The previous run's stop steered the group to this socket
		 * (rb_passed_steer_to_held): spread again. ENOENT: none. */
		int none = 0;
		if (setsockopt(p->fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &none, sizeof(none)) < 0 &&
		    errno != ENOENT)
			rb_logl(RB_LOG_WARNING,
				"socket activation: removing fd %d's steering program: %s", p->fd,
				strerror(errno));
		p->used = true;
		return p->fd;
	}
	return -ENOENT;
}

unsigned rb_passed_steer_to_held(struct rb_passed_set *ps)
{
	/* "return 0": the group's first socket, the one systemd bound (it
	 * made the group, and a group's index 0 changes only when that
	 * socket leaves it). */
	struct sock_filter code[] = { { BPF_RET | BPF_K, 0, 0, 0 } };
	struct sock_fprog prog = { .len = 1, .filter = code };
	unsigned n = 0;
	for (unsigned i = 0; i < ps->n; i++) {
		struct rb_passed *p = &ps->v[i];
		if (!p->grouped)
			continue;
		if (setsockopt(p->fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
			rb_logl(RB_LOG_WARNING, "stopping: steering fd %d's group to it: %s", p->fd,
				strerror(errno));
		else
			n++;
	}
	return n;
}

int rb_passed_take_local(struct rb_passed_set *ps, const char *path, bool abstract)
{
	size_t plen = strlen(path);
	for (unsigned i = 0; i < ps->n; i++) {
		struct rb_passed *p = &ps->v[i];
		if (p->used || p->family != AF_LOCAL || p->type != SOCK_STREAM)
			continue;
		const struct sockaddr_un *sun = (const struct sockaddr_un *)(const void *)&p->addr;
		size_t off = offsetof(struct sockaddr_un, sun_path);
		if (p->len <= off)
			continue;
		size_t n = p->len - off;
		const char *sp = sun->sun_path;
		if (abstract) {
			if (n != plen + 1 || sp[0] != '\0' || memcmp(sp + 1, path, plen) != 0)
				continue;
		} else if (n < plen || memcmp(sp, path, plen) != 0 || (n > plen && sp[plen] != '\0')) {
			continue;
		}
		int fl = fcntl(p->fd, F_GETFL);
		if (fl < 0 || fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) < 0)
			return -errno;
		p->used = true;
		return p->fd;
	}
	return -ENOENT;
}

void rb_passed_close_unused(struct rb_passed_set *ps)
{
	for (unsigned i = 0; i < ps->n; i++) {
		struct rb_passed *p = &ps->v[i];
		if (p->used)
			continue;
		char a[INET6_ADDRSTRLEN + 8] = "?";
		if (p->family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&p->addr)->sin_addr, a, sizeof(a));
		else if (p->family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)&p->addr)->sin6_addr, a,
				  sizeof(a));
		else if (p->family == AF_LOCAL)
			snprintf(a, sizeof(a), "a local socket");
		rb_logl(RB_LOG_WARNING,
			"socket activation: fd %d (%s, %s) matches no listener: closed", p->fd, a,
			p->type == SOCK_DGRAM ? "datagram" : "stream");
		close(p->fd);
		p->used = true;
	}
}
