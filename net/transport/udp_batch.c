#include "net/transport/udp_batch.h"

#include <errno.h>
#include <string.h>

#include "net/transport/route.h"

/* sendmmsg returns -1 only when the first message fails, and stops short
 * at a later one that fails: the next call then fails on it. A refusal
 * tied to one peer (its address family, port 0, a broadcast address, no
 * route) costs that reply alone, never the other clients'. EAGAIN is the
 * socket's send buffer, full for every reply behind: those are lost too
 * (clients retry), without a system call apiece while the worker is
 * busiest. Every pass advances, so the loop ends. */
void rb_udp_batch_flush(struct rb_udp_batch *b, struct rb_counters *cn)
{
	unsigned done = 0;
	while (done < b->n) {
		int r = sendmmsg(b->fd, b->msg + done, b->n - done, MSG_DONTWAIT);
		if (r > 0) {
			done += (unsigned)r;
			rb_count_n(&cn->udp_replies, (unsigned)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		unsigned lost = r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
					? b->n - done
					: 1;
		rb_count_n(&cn->udp_send_refused, lost);
		done += lost;
	}
	b->n = 0;
}

void rb_udp_batch_add(struct rb_udp_batch *b, struct rb_counters *cn, int fd,
		      const struct rb_dgram_route *rt, const uint8_t *p, uint32_t n)
{
	if (n > RB_UDP_REPLY_MAX || rt->peer_len > sizeof(b->name[0])) {
		rb_count(&cn->udp_send_refused);
		return;
	}
	if (b->n && (b->fd != fd || b->n == RB_UDP_SEND_BATCH))
		rb_udp_batch_flush(b, cn);
	unsigned i = b->n++;
	b->fd = fd;
	memcpy(b->buf[i], p, n);
	memcpy(&b->name[i], &rt->peer, rt->peer_len);
	b->iov[i].iov_base = b->buf[i];
	b->iov[i].iov_len = n;
	struct msghdr *mh = &b->msg[i].msg_hdr;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &b->name[i];
	mh->msg_namelen = rt->peer_len;
	mh->msg_iov = &b->iov[i];
	mh->msg_iovlen = 1;
	size_t cl = rb_route_put_pktinfo(rt, b->ctl[i], sizeof(b->ctl[i]));
	mh->msg_control = cl ? b->ctl[i] : NULL;
	mh->msg_controllen = cl;
}
