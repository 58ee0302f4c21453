/* A minimal HTTP/1.x server for the metrics and health endpoints, run by
 * the control thread in its own epoll loop (no thread of its own): GET or
 * HEAD, one request per connection, the answer rendered by a callback.
 * Everything is bounded: connections at once, request size, time to send
 * the request, answer size. It listens on loopback by default; it is not
 * meant to face the network (no TLS, no keep-alive). */
#ifndef RB_NET_HTTP_H
#define RB_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/base/text.h"
#include "net/base/slots.h"

#define RB_HTTP_CONN_MAX 16u      /* more at once are accepted and closed */
#define RB_HTTP_REQ_MAX 4096u     /* request line and headers */
#define RB_HTTP_TIMEOUT_MS 5000u  /* to send the request and take the answer */
#define RB_HTTP_BODY_MAX (8u << 20)

/* Fills body for path; returns the HTTP status (200, 404, 503...) and
 * sets *ctype. */
typedef int (*rb_http_render_fn)(void *arg, const char *path, struct rb_text *body,
				 const char **ctype);

struct rb_http_conn {
	int fd; /* -1: free */
	uint64_t since_ms;
	size_t in_len;
	char in[RB_HTTP_REQ_MAX];
	struct rb_text out;
	size_t out_off;
	bool responding;
};

struct rb_http {
	int listen_fd;
	int ep;
	uint64_t tag_listen, tag_conn; /* epoll data (net/base/tag.h): slot as the index */
	rb_http_render_fn render;
	void *arg;
	struct rb_http_conn conn[RB_HTTP_CONN_MAX];
	struct rb_slots slots; /* which of conn are in use */
	uint32_t free_slots[RB_HTTP_CONN_MAX];
	uint64_t requests, refused;
};

void rb_http_init(struct rb_http *h, rb_http_render_fn render, void *arg);
/* Binds host:port (numeric IPv4 or IPv6) and registers with ep. 0 or -errno. */
int rb_http_listen(struct rb_http *h, const char *host, uint16_t port, int ep,
		   uint64_t tag_listen, uint64_t tag_conn);
void rb_http_on_listen(struct rb_http *h, uint64_t now_ms);
void rb_http_on_conn(struct rb_http *h, uint32_t slot, uint32_t events, uint64_t now_ms);
/* Closes connections past RB_HTTP_TIMEOUT_MS. */
void rb_http_tick(struct rb_http *h, uint64_t now_ms);
void rb_http_fini(struct rb_http *h);

#endif
