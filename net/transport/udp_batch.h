#ifndef RB_NET_UDP_BATCH_H
#define RB_NET_UDP_BATCH_H
/* UDP replies gathered over a batch of work and sent with one sendmmsg
 * per socket: both backends send datagrams this way. A UDP send never
 * waits (the kernel copies the datagram at once or refuses it), so a
 * batch costs one system call where io_uring would cost a submission and
 * a completion per reply. */
#include <stdint.h>
#include <sys/socket.h>

#include "net/base/counters.h"
#include "net/base/limits.h"
#include "net/transport/mailbox.h"

struct rb_udp_batch {
	unsigned n;
	int fd; /* every queued reply leaves by this socket */
	struct mmsghdr msg[RB_UDP_SEND_BATCH];
	struct iovec iov[RB_UDP_SEND_BATCH];
	struct sockaddr_storage name[RB_UDP_SEND_BATCH];
	uint8_t ctl[RB_UDP_SEND_BATCH][64];
	uint8_t buf[RB_UDP_SEND_BATCH][RB_UDP_REPLY_MAX];
};

/* Queues a reply of n bytes to rt's peer, from rt's local address, on fd.
 * Sends what was queued first when the batch is full or was for another
 * socket. A reply over RB_UDP_REPLY_MAX is dropped (and counted). */
void rb_udp_batch_add(struct rb_udp_batch *b, struct rb_counters *cn, int fd,
		      const struct rb_dgram_route *rt, const uint8_t *p, uint32_t n);

/* Sends every queued reply. One the kernel refuses (for its peer, or the
 * socket's buffer full) is lost, as any datagram may be, and counted:
 * clients retry. A refusal for one peer costs no other reply. */
void rb_udp_batch_flush(struct rb_udp_batch *b, struct rb_counters *cn);

#endif
