/* rpcwire: the raw ONC RPC client side that the end-to-end tools share
 * (attack_tool.c, stress.c, churn.c, tcpmux_client.c, fwd_client.c,
 * fwd_service.c, rawcall.c, rpcb_client.c).
 *
 * Why by hand and not through libtirpc: these tools must send what a
 * library would never send (CVE bombs, cut records, odd RPC versions,
 * records of exactly 9,000 bytes) and see every byte that comes back. Each
 * tool used to carry its own copy of the same XDR words, call header,
 * reply decoding and bounded socket loops; one copy here keeps them from
 * drifting apart.
 *
 * Pure helpers: no globals, no allocation. Every wait is bounded by a
 * deadline in CLOCK_MONOTONIC milliseconds (rw_now_ms() + timeout), so no
 * tool can hang a test. Functions return 0 or -errno unless they say
 * otherwise. */
#ifndef RB_E2E_RPCWIRE_H
#define RB_E2E_RPCWIRE_H

#include <stddef.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>

#define RW_PMAP_PROG 100000u
#define RW_CALL_HDR 40u        /* an AUTH_NONE call header, in bytes */
#define RW_REC_LAST 0x80000000u /* record marking: the last fragment */
#define RW_REC_MAX 9000u       /* the largest call rw_send_record sends */

/* ---- XDR words ---- */

void rw_put32(uint8_t *p, uint32_t v);
uint32_t rw_get32(const uint8_t *p);
/* An XDR string (length, bytes, zero padding) at p: its size. */
size_t rw_put_str(uint8_t *p, const char *s);
/* An AUTH_NONE call header for prog/vers/proc at p: RW_CALL_HDR. */
size_t rw_call_hdr(uint8_t *p, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc);

/* A message built a word at a time. Bounded: what would not fit is
 * dropped (the tools' messages are far smaller). */
struct rw_msg {
	uint8_t b[65536];
	size_t n;
};

void rw_msg32(struct rw_msg *m, uint32_t v);
void rw_msg_str(struct rw_msg *m, const char *s);

/* ---- replies ---- */

/* The accept status of an accepted reply r of n bytes (the reply_stat word
 * at r + 8 already looked at): past the verifier (at most 400 bytes) to
 * *stat; *body (may be NULL) the offset of the results. -EBADMSG when r is
 * too short for that. */
int rw_accepted(const uint8_t *r, size_t n, uint32_t *stat, size_t *body);
/* A reply to xid: its accept status (as an int), -1 when r is not an
 * accepted-or-denied reply to xid, -2 when denied. *body as above. */
int rw_reply_stat(const uint8_t *r, size_t n, uint32_t xid, size_t *body);

/* ---- time ---- */

long rw_now_ms(void);
void rw_sleep_ms(long ms);

/* ---- bounded socket I/O ---- */

/* 127.0.0.1:port. */
struct sockaddr_in rw_lo4(unsigned port);
/* A blocking stream connection to the AF_LOCAL socket at path (the
 * daemon's /run/rpcbind.sock), or -1. */
int rw_local_connect(const char *path);

/* 1 when fd is ready for ev before the deadline, else 0. */
int rw_wait_fd(int fd, short ev, long deadline);
/* All n bytes, without blocking past the deadline (non-blocking sends). */
int rw_write_all(int fd, const uint8_t *p, size_t n, long deadline);
/* All n bytes with blocking sends (a socket with SO_SNDTIMEO, or one the
 * peer reads): for the tools that wait on the socket itself. */
int rw_send_all(int fd, const void *p, size_t n);
/* msg (at most RW_REC_MAX bytes) as one record, last fragment, in a single
 * send where the socket takes it. -EMSGSIZE when too large. */
int rw_send_record(int fd, const uint8_t *msg, size_t n, long deadline);
/* Reads one whole record, every fragment: up to cap bytes kept in r,
 * *len its full size. -ETIMEDOUT, or -ECONNRESET at EOF or an error. */
int rw_read_record(int fd, uint8_t *r, size_t cap, size_t *len, long deadline);
/* Sends msg on a connected datagram socket and waits for the datagram
 * whose first word is xid (later ones to earlier calls are skipped): its
 * length in buf, or -ETIMEDOUT, or -errno (ECONNREFUSED: nothing there). */
ssize_t rw_udp_call(int fd, const uint8_t *msg, size_t n, uint32_t xid, long deadline,
		    uint8_t *buf, size_t cap);
/* Waits until the peer ends fd (EOF or reset), reading and dropping what
 * comes: 1 if it did before the deadline, else 0; *got (may be NULL) the
 * bytes read meanwhile. */
int rw_wait_closed(int fd, long deadline, size_t *got);

#endif
