/* rb_e2e_peek: can a lookup see a SET that is then answered FALSE?
 * (tests/e2e/t_visible.sh). Loopback and /run/rpcbind.sock only; bounded
 * in count and time.
 *
 *   rb_e2e_peek [-n SETS] [-r READERS] [-o OFFSET] [-t MS]
 *
 * One thread makes SETS RPCBIND v3 SETs over the local socket, one at a
 * time, each of its own program (PEEK_BASE+OFFSET+i, version 1, udp), and
 * publishes which one it is making. READERS threads meanwhile send PMAP v2
 * GETPORTs over UDP for the program being set (and the one before), as fast
 * as the answers come, and remember every port they were shown. At the end,
 * every program whose SET was answered FALSE is looked up once more.
 * Prints one summary line. Exit status 0 when no lookup ever returned a
 * mapping whose SET was answered FALSE (nor after it), 1 otherwise, 2 on a
 * setup error or a SET that got no boolean answer. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpcwire.h"

#define PEEK_BASE 0x2f000000u
#define SETS_MAX 100000u
#define READERS_MAX 8
#define CALL_TIMEOUT_MS 2000

static const char *sock_path = "/run/rpcbind.sock";
static unsigned nsets = 2000, offset;
static atomic_uint cur;      /* the SET being made */
static atomic_int done;
static atomic_int *seen;     /* per SET: a lookup returned a port */
static signed char *answer;  /* per SET: 1 TRUE, 0 FALSE */
static atomic_ulong lookups;
static long deadline;

static uint32_t xid_of(unsigned who, unsigned long n)
{
	return (uint32_t)getpid() << 20 ^ (uint32_t)who << 28 ^ (uint32_t)n;
}

/* GETPORT of program k over UDP: the port, 0 when not registered, -1 no answer. */
static long getport(int fd, unsigned k, uint32_t xid)
{
	uint8_t msg[64], r[512];
	size_t n = rw_call_hdr(msg, xid, RW_PMAP_PROG, 2, 3);
	rw_put32(msg + n, PEEK_BASE + offset + k);
	rw_put32(msg + n + 4, 1);
	rw_put32(msg + n + 8, 17);
	rw_put32(msg + n + 12, 0);
	ssize_t got = rw_udp_call(fd, msg, n + 16, xid, rw_now_ms() + CALL_TIMEOUT_MS, r, sizeof(r));
	size_t body;
	if (got < 0 || rw_reply_stat(r, (size_t)got, xid, &body) != 0 || body + 4 > (size_t)got)
		return -1;
	return (long)rw_get32(r + body);
}

static int udp_open(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = rw_lo4(111);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *reader(void *arg)
{
	unsigned who = (unsigned)(uintptr_t)arg;
	int fd = udp_open();
	unsigned long n = 0;
	if (fd < 0)
		return NULL;
	while (!atomic_load(&done) && rw_now_ms() < deadline) {
		unsigned k = atomic_load(&cur);
		for (unsigned j = 0; j < 2 && j <= k; j++) {
			long p = getport(fd, k - j, xid_of(who + 1, n++));
			atomic_fetch_add(&lookups, 1);
			if (p > 0)
				atomic_store(&seen[k - j], 1);
		}
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	int opt, nreaders = 2;
	long limit_ms = 60000;
	while ((opt = getopt(argc, argv, "n:r:o:t:S:")) != -1) {
		switch (opt) {
		case 'n': nsets = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': nreaders = atoi(optarg); break;
		case 'o': offset = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': limit_ms = atol(optarg); break;
		case 'S': sock_path = optarg; break;
		default: goto usage;
		}
	}
	if (nsets < 1 || nsets > SETS_MAX || nreaders < 1 || nreaders > READERS_MAX)
		goto usage;
	seen = calloc(nsets, sizeof(*seen));
	answer = calloc(nsets, 1);
	int lfd = rw_local_connect(sock_path);
	if (!seen || !answer || lfd < 0) {
		fprintf(stderr, "peek: setup failed (connect %s)\n", sock_path);
		return 2;
	}
	deadline = rw_now_ms() + limit_ms;
	pthread_t th[READERS_MAX];
	for (int i = 0; i < nreaders; i++)
		pthread_create(&th[i], NULL, reader, (void *)(uintptr_t)i);
	unsigned ntrue = 0, nfalse = 0, made = 0;
	int bad = 0;
	for (unsigned k = 0; k < nsets && rw_now_ms() < deadline; k++) {
		atomic_store(&cur, k);
		char ua[32];
		unsigned prt = 1024 + k % 60000;
		snprintf(ua, sizeof(ua), "0.0.0.0.%u.%u", prt >> 8, prt & 255);
		struct rw_msg m;
		uint32_t xid = xid_of(0, k);
		m.n = rw_call_hdr(m.b, xid, RW_PMAP_PROG, 3, 1);
		rw_msg32(&m, PEEK_BASE + offset + k);
		rw_msg32(&m, 1);
		rw_msg_str(&m, "udp");
		rw_msg_str(&m, ua);
		rw_msg_str(&m, "");
		uint8_t r[512];
		size_t len, body;
		long dl = rw_now_ms() + CALL_TIMEOUT_MS;
		if (rw_send_record(lfd, m.b, m.n, dl) != 0 || rw_read_record(lfd, r, sizeof(r), &len, dl) != 0 ||
		    rw_reply_stat(r, len, xid, &body) != 0 || body + 4 > len) {
			fprintf(stderr, "peek: SET %u got no boolean answer\n", k);
			bad = 2;
			break;
		}
		answer[k] = rw_get32(r + body) ? 1 : 0;
		answer[k] ? ntrue++ : nfalse++;
		made++;
	}
	atomic_store(&done, 1);
	for (int i = 0; i < nreaders; i++)
		pthread_join(th[i], NULL);
	/* Seen although FALSE; and still there afterwards. */
	unsigned peeked = 0, after = 0;
	int fd = udp_open();
	for (unsigned k = 0; k < made; k++) {
		if (answer[k])
			continue;
		if (atomic_load(&seen[k]))
			peeked++;
		if (fd >= 0 && getport(fd, k, xid_of(9, k)) != 0)
			after++;
	}
	if (fd >= 0)
		close(fd);
	close(lfd);
	printf("peek: %u SETs (%u TRUE, %u FALSE), %lu lookups by %d readers; %u FALSE SETs were "
	       "seen by a lookup, %u are registered afterwards\n",
	       made, ntrue, nfalse, atomic_load(&lookups), nreaders, peeked, after);
	free(seen);
	free(answer);
	if (bad)
		return bad;
	return peeked || after ? 1 : 0;
usage:
	fputs("usage: rb_e2e_peek [-n SETS] [-r READERS] [-o OFFSET] [-t MS] [-S PATH]\n", stderr);
	return 2;
}
