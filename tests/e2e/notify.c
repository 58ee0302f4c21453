/* rb_e2e_notify PATH TIMEOUT_MS: the receiving end of the sd_notify
 * protocol. Binds an AF_UNIX datagram socket at PATH (a leading '@' means
 * the abstract namespace), prints every message it receives, and exits 0 as
 * soon as one holds the line READY=1, or 1 when TIMEOUT_MS pass first.
 * It prints BOUND first, once bound: callers wait for that line before they
 * start the server. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int has_ready(const char *msg)
{
	const char *p = msg;
	while ((p = strstr(p, "READY=1")) != NULL) {
		if ((p == msg || p[-1] == '\n') && (p[7] == '\0' || p[7] == '\n'))
			return 1;
		p += 7;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un a;
	socklen_t alen;
	char msg[4097];
	if (argc != 3) {
		fputs("usage: rb_e2e_notify PATH TIMEOUT_MS\n", stderr);
		return 2;
	}
	long timeout = strtol(argv[2], NULL, 10);
	size_t n = strlen(argv[1]);
	if (n == 0 || n >= sizeof(a.sun_path)) {
		fputs("rb_e2e_notify: bad path\n", stderr);
		return 2;
	}
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, argv[1], n);
	if (argv[1][0] == '@') {
		a.sun_path[0] = '\0';
		alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		alen = sizeof(a);
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, alen) < 0) {
		fprintf(stderr, "rb_e2e_notify: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	long deadline = now_ms() + timeout;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("BOUND\n");
	for (;;) {
		long left = deadline - now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0)
			return 1;
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 1;
		ssize_t k = recv(fd, msg, sizeof(msg) - 1, 0);
		if (k < 0)
			continue;
		msg[k] = '\0';
		printf("%s\n", msg);
		if (has_ready(msg))
			return 0;
	}
}
