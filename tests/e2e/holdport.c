/* Holds a TCP (listening) or UDP port on 0.0.0.0 until killed, as a
 * registered service would; prints "BOUND" once bound. Exits by itself
 * after 60 s so that a forgotten holder never outlives its test. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "tcp") && strcmp(argv[1], "udp"))) {
		fprintf(stderr, "usage: holdport tcp|udp PORT\n");
		return 2;
	}
	int tcp = strcmp(argv[1], "tcp") == 0, one = 1;
	int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((unsigned short)atoi(argv[2])) };
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (tcp && listen(fd, 8) < 0)) {
		perror("holdport");
		return 1;
	}
	printf("BOUND\n");
	fflush(stdout);
	sleep(60);
	return 0;
}
