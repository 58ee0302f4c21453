#include "net/base/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/base/tag.h"

void rb_http_init(struct rb_http *h, rb_http_render_fn render, void *arg)
{
	memset(h, 0, sizeof(*h));
	h->listen_fd = h->ep = -1;
	h->render = render;
	h->arg = arg;
	for (unsigned i = 0; i < RB_HTTP_CONN_MAX; i++)
		h->conn[i].fd = -1;
	rb_slots_init(&h->slots, h->free_slots, RB_HTTP_CONN_MAX);
}

int rb_http_listen(struct rb_http *h, const char *host, uint16_t port, int ep,
		   uint64_t tag_listen, uint64_t tag_conn)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&ss;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		len = sizeof(*in);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag_listen };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	h->listen_fd = fd;
	h->ep = ep;
	h->tag_listen = tag_listen;
	h->tag_conn = tag_conn;
	return 0;
}

/* A connection's epoll data: the caller's kind, the slot as the index. */
static uint64_t conn_tag(const struct rb_http *h, uint32_t slot)
{
	return h->tag_conn | rb_tag(0, slot, 0);
}

static void conn_close(struct rb_http *h, struct rb_http_conn *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(h->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	rb_text_free(&c->out);
	rb_slots_put(&h->slots, (uint32_t)(c - h->conn));
}

void rb_http_on_listen(struct rb_http *h, uint64_t now_ms)
{
	for (;;) {
		int fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or an error the next event retries */
		uint32_t slot;
		if (!rb_slots_take(&h->slots, &slot)) {
			h->refused++;
			close(fd);
			continue;
		}
		struct rb_http_conn *c = &h->conn[slot];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->since_ms = now_ms;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
					  .data.u64 = conn_tag(h, slot) };
		if (epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			conn_close(h, c);
	}
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Parses the request line; renders the answer into c->out. */
static void respond(struct rb_http *h, struct rb_http_conn *c)
{
	char method[8], path[256];
	struct rb_text body;
	const char *ctype = "text/plain; charset=utf-8";
	int status;
	bool head = false;

	rb_text_init(&body, RB_HTTP_BODY_MAX);
	c->in[c->in_len < RB_HTTP_REQ_MAX ? c->in_len : RB_HTTP_REQ_MAX - 1] = '\0';
	if (sscanf(c->in, "%7s %255s HTTP/1.%*c", method, path) != 2) {
		status = 400;
		rb_text_printf(&body, "bad request\n");
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = 405;
		rb_text_printf(&body, "only GET and HEAD\n");
	} else {
		head = method[0] == 'H';
		char *q = strchr(path, '?'); /* query strings are ignored */
		if (q)
			*q = '\0';
		status = h->render(h->arg, path, &body, &ctype);
	}
	if (body.failed) {
		status = 500;
		body.len = 0;
	}
	h->requests++;
	rb_text_init(&c->out, RB_HTTP_BODY_MAX + 512);
	rb_text_printf(&c->out,
		       "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		       "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
		       status, reason(status), ctype, body.len);
	if (!head && body.len)
		rb_text_printf(&c->out, "%.*s", (int)body.len, body.p);
	rb_text_free(&body);
	c->responding = true;
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = conn_tag(h, (uint32_t)(c - h->conn)) };
	epoll_ctl(h->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

void rb_http_on_conn(struct rb_http *h, uint32_t slot, uint32_t events, uint64_t now_ms)
{
	(void)now_ms;
	if (slot >= RB_HTTP_CONN_MAX || h->conn[slot].fd < 0)
		return;
	struct rb_http_conn *c = &h->conn[slot];
	if (!c->responding) {
		ssize_t n = recv(c->fd, c->in + c->in_len, RB_HTTP_REQ_MAX - 1 - c->in_len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(h, c);
			return;
		}
		if (n > 0)
			c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		/* The whole header, or as much as we take. */
		if (!strstr(c->in, "\r\n\r\n") && !strstr(c->in, "\n\n") &&
		    c->in_len < RB_HTTP_REQ_MAX - 1)
			return;
		respond(h, c);
	}
	if (c->out.failed) {
		conn_close(h, c);
		return;
	}
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return; /* EPOLLOUT brings us back */
		if (n <= 0) {
			conn_close(h, c);
			return;
		}
		c->out_off += (size_t)n;
	}
	(void)events;
	conn_close(h, c);
}

void rb_http_tick(struct rb_http *h, uint64_t now_ms)
{
	for (unsigned i = 0; i < RB_HTTP_CONN_MAX; i++)
		if (h->conn[i].fd >= 0 && now_ms - h->conn[i].since_ms > RB_HTTP_TIMEOUT_MS)
			conn_close(h, &h->conn[i]);
}

void rb_http_fini(struct rb_http *h)
{
	for (unsigned i = 0; i < RB_HTTP_CONN_MAX; i++)
		conn_close(h, &h->conn[i]);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	h->listen_fd = -1;
}
