/* ringbind-load: the UDP engine (modes udp, mix over UDP, and priming) and
 * the socket helpers.
 *
 * One connected socket per thread and a window of W slots. Each turn sends
 * a call from every free slot in one sendmmsg, then waits (at most 2 ms) for
 * replies with one recvmmsg; a reply finds its slot from its xid. Slots
 * older than --timeout-ms are given up on (prime: sent again). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bench/load/load.h"

#define UDP_BATCH 64u
#define UDP_REPLY_MAX 65536u

static int bind_privileged(int fd, int family)
{
	/* A source port below 1024 makes the owner "superuser" (rpcbind and
	 * ringbind), which no per-owner quota limits. Root only; the ports
	 * are tried from the top, as bindresvport does. */
	for (unsigned p = 1023; p >= 600; p--) {
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof(ss));
		socklen_t len;
		if (family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			a->sin6_family = AF_INET6;
			a->sin6_port = htons((uint16_t)p);
			len = sizeof(*a);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			a->sin_family = AF_INET;
			a->sin_port = htons((uint16_t)p);
			len = sizeof(*a);
		}
		if (bind(fd, (struct sockaddr *)&ss, len) == 0)
			return 0;
		if (errno == EACCES || errno == EPERM)
			return -errno;
	}
	return -EADDRINUSE;
}

int lg_udp_socket(const struct lg_opts *o, bool privileged)
{
	int fd = socket(o->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (privileged && bind_privileged(fd, o->family) < 0 && o->verbose)
		fprintf(stderr, "ringbind-load: no privileged source port; SETs are owned by \"unknown\"\n");
	/* Wait at most 2 ms for the first datagram: the loop checks the
	 * clock (stop, timeouts) between waits. */
	struct timeval tv = { 0, 2000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&o->target, o->target_len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int lg_tcp_connect(const struct lg_opts *o, uint32_t timeout_ms, bool privileged)
{
	int fd = socket(o->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (privileged && bind_privileged(fd, o->family) < 0 && o->verbose)
		fprintf(stderr, "ringbind-load: no privileged source port; SETs are owned by \"unknown\"\n");
	struct timeval tv = { (time_t)(timeout_ms / 1000u), (suseconds_t)(timeout_ms % 1000u) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&o->target, o->target_len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return fd;
}

void lg_thread_ready(struct lg_thread *t, int rc)
{
	if (rc < 0)
		atomic_fetch_add(&t->run->failed, 1);
	atomic_fetch_add(&t->run->ready, 1);
	if (rc < 0)
		return;
	/* main() sets started (or stops the run) within its own bounded wait. */
	while (!atomic_load(&t->run->started) &&
	       atomic_load(&t->run->phase) != LG_PHASE_STOP) {
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
}

struct udp_state {
	int fd;
	unsigned w;
	struct lg_req *slots;
	uint32_t *free_stack;
	unsigned n_free;
	uint8_t (*sbuf)[LG_CALL_MAX];
	struct mmsghdr shdr[UDP_BATCH];
	struct iovec siov[UDP_BATCH];
	uint32_t sslot[UDP_BATCH];
	uint8_t *rbuf;
	struct mmsghdr rhdr[UDP_BATCH];
	struct iovec riov[UDP_BATCH];
};

static bool pick_next(struct lg_thread *t, struct lg_req *r, uint64_t now)
{
	if (t->prime) {
		r->t0 = now;
		return !lg_stopping(t) && lg_pick_prime(t, r);
	}
	if (!lg_take(t, now, &r->t0))
		return false;
	lg_pick(t, r);
	return true;
}

/* Sends a call from every free slot (in batches), as long as there is
 * work. A send error gives the slots back (counted as errors). */
static void udp_send(struct lg_thread *t, struct udp_state *s)
{
	while (s->n_free) {
		unsigned nb = 0;
		uint64_t now = lg_now_ns();
		while (s->n_free && nb < UDP_BATCH) {
			uint32_t slot = s->free_stack[s->n_free - 1];
			struct lg_req *r = &s->slots[slot];
			if (!pick_next(t, r, now))
				break;
			s->n_free--;
			r->xid = lg_next_xid(t, slot);
			r->busy = 1;
			uint32_t len = lg_encode(t->o, r, s->sbuf[nb], LG_CALL_MAX);
			s->siov[nb].iov_base = s->sbuf[nb];
			s->siov[nb].iov_len = len;
			memset(&s->shdr[nb].msg_hdr, 0, sizeof(s->shdr[nb].msg_hdr));
			s->shdr[nb].msg_hdr.msg_iov = &s->siov[nb];
			s->shdr[nb].msg_hdr.msg_iovlen = 1;
			s->sslot[nb] = slot;
			nb++;
		}
		if (nb == 0)
			return;
		unsigned done = 0;
		while (done < nb) {
			int k = sendmmsg(s->fd, s->shdr + done, nb - done, 0);
			if (k > 0) {
				done += (unsigned)k;
				continue;
			}
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
				struct pollfd pfd = { s->fd, POLLOUT, 0 };
				poll(&pfd, 1, 2);
				continue;
			}
			/* ECONNREFUSED (nobody on the port) and the like: each
			 * call left is an error; back off a little. */
			for (unsigned i = done; i < nb; i++) {
				lg_account_error(t, &s->slots[s->sslot[i]]);
				s->free_stack[s->n_free++] = s->sslot[i];
			}
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
			return;
		}
		if (lg_measuring(t))
			t->c.sent += nb;
	}
}

static void udp_receive(struct lg_thread *t, struct udp_state *s)
{
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		s->riov[i].iov_base = s->rbuf + (size_t)i * UDP_REPLY_MAX;
		s->riov[i].iov_len = UDP_REPLY_MAX;
		memset(&s->rhdr[i].msg_hdr, 0, sizeof(s->rhdr[i].msg_hdr));
		s->rhdr[i].msg_hdr.msg_iov = &s->riov[i];
		s->rhdr[i].msg_hdr.msg_iovlen = 1;
	}
	/* MSG_WAITFORONE: block (SO_RCVTIMEO: 2 ms, open loop the pacing
	 * quantum) for the first only. */
	int n = recvmmsg(s->fd, s->rhdr, UDP_BATCH, MSG_WAITFORONE, NULL);
	if (n < 0) {
		if (errno == ECONNREFUSED) {
			if (lg_measuring(t))
				t->c.errors++;
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		return;
	}
	uint64_t now = lg_now_ns();
	for (int i = 0; i < n; i++) {
		const uint8_t *m = s->riov[i].iov_base;
		uint32_t len = s->rhdr[i].msg_len;
		if (len < 4) {
			if (lg_measuring(t))
				t->c.wrong++;
			continue;
		}
		uint32_t xid = lg_get32(m);
		uint32_t slot = xid & (LG_WINDOW_MAX - 1u);
		struct lg_req *r = slot < s->w ? &s->slots[slot] : NULL;
		if (!r || !r->busy || r->xid != xid) {
			if (lg_measuring(t))
				t->c.late++;
			continue;
		}
		enum lg_verdict v = (s->rhdr[i].msg_hdr.msg_flags & MSG_TRUNC)
					    ? LG_RPC_ERROR
					    : lg_check(t->o, r, m, len);
		lg_account(t, r, v, now);
		s->free_stack[s->n_free++] = slot;
	}
}

static void udp_expire(struct lg_thread *t, struct udp_state *s, uint64_t now, uint64_t tmo)
{
	for (unsigned i = 0; i < s->w; i++) {
		struct lg_req *r = &s->slots[i];
		if (r->busy && now - r->t0 > tmo) {
			lg_account_timeout(t, r);
			s->free_stack[s->n_free++] = i;
		}
	}
}

int lg_run_udp(struct lg_thread *t)
{
	const struct lg_opts *o = t->o;
	struct udp_state s;
	memset(&s, 0, sizeof(s));
	s.w = t->prime ? o->prime_window : o->window;
	s.slots = calloc(s.w, sizeof(*s.slots));
	s.free_stack = calloc(s.w, sizeof(*s.free_stack));
	s.sbuf = calloc(UDP_BATCH, sizeof(*s.sbuf));
	s.rbuf = malloc((size_t)UDP_BATCH * UDP_REPLY_MAX);
	int rc = 0;
	if (!s.slots || !s.free_stack || !s.sbuf || !s.rbuf) {
		rc = -ENOMEM;
		snprintf(t->err, sizeof(t->err), "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < s.w; i++)
		s.free_stack[s.n_free++] = s.w - 1 - i;
	s.fd = lg_udp_socket(o, t->prime != NULL || o->churn_pct > 0);
	if (s.fd < 0) {
		rc = s.fd;
		snprintf(t->err, sizeof(t->err), "UDP socket to %s port %u: %s", o->host, o->port,
			 strerror(-rc));
		goto out;
	}
	if (lg_paced(t)) {
		/* Open loop: wait for replies at most a pacing quantum, then
		 * send what has come due (one recvmmsg per turn, as closed). */
		struct timeval tv = { 0, LG_PACE_QUANTUM_NS / 1000u };
		setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	lg_thread_ready(t, 0);
	uint64_t tmo = (uint64_t)o->timeout_ms * 1000000u;
	uint64_t scan_every = tmo / 8u > 1000000u ? tmo / 8u : 1000000u;
	uint64_t next_scan = lg_now_ns() + scan_every;
	while (!lg_stopping(t)) {
		lg_tick(t, false);
		udp_send(t, &s);
		if (s.n_free == s.w) {
			/* Nothing in flight: done when there is no more work
			 * (a send error also leaves nothing in flight, and the
			 * next turn tries again). Open loop, udp_receive then
			 * waits until the next call is due. */
			if (t->out_of_work || lg_stopping(t) ||
			    (t->prime && t->prime->next >= t->prime->n_items && !t->prime->n_retry))
				break;
			if (!lg_paced(t))
				continue;
		}
		udp_receive(t, &s);
		uint64_t now = lg_now_ns();
		if (now >= next_scan) {
			udp_expire(t, &s, now, tmo);
			next_scan = now + scan_every;
		}
	}
	close(s.fd);
out:
	if (rc < 0)
		lg_thread_ready(t, rc);
	free(s.slots);
	free(s.free_stack);
	free(s.sbuf);
	free(s.rbuf);
	return rc;
}
