/* Fuzz target: TCPMUX (core/tcpmux_proto.h). byte 0 is a chunk size for feeding
 * the rest to the name-line parser; the rest is also parsed as /etc/rpc
 * text and used as a reply message. Invariants: the line parser never
 * consumes past the LF nor more than RB_MUX_LINE_MAX bytes, gives the same
 * answer however the bytes are split, and a name it accepts is 1..limit
 * bytes of the name alphabet; a name the name parser accepts is lower
 * case; the /etc/rpc table is bounded, sorted, unique and every name in it
 * is found; a reply is one line of at most RB_MUX_REPLY_MAX bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tcpmux_proto.h"
#include "fuzz.h"

static int feed_all(struct rb_mux_line *l, const uint8_t *p, size_t n, size_t chunk,
		    size_t *consumed)
{
	int r = RB_MUX_LINE_MORE;
	*consumed = 0;
	rb_mux_line_init(l);
	for (size_t off = 0; off < n && r == RB_MUX_LINE_MORE; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk, used = 0;
		r = rb_mux_line_feed(l, p + off, k, &used);
		FZ_ASSERT(used <= k);
		FZ_ASSERT(r != RB_MUX_LINE_MORE || used == k);
		*consumed += used;
		if (r != RB_MUX_LINE_MORE)
			break;
	}
	return r;
}

static void check_line(const uint8_t *p, size_t n, size_t chunk)
{
	struct rb_mux_line a, b;
	size_t ca, cb;
	int ra = feed_all(&a, p, n, n ? n : 1, &ca);
	int rb = feed_all(&b, p, n, chunk, &cb);
	FZ_ASSERT(ra == rb && ca == cb);
	FZ_ASSERT(ra == RB_MUX_LINE_MORE || ra == RB_MUX_LINE_DONE || ra == -EMSGSIZE ||
		  ra == -EINVAL);
	FZ_ASSERT(ca <= RB_MUX_LINE_MAX);
	if (ra == RB_MUX_LINE_MORE) {
		FZ_ASSERT(ca == n);
		return;
	}
	if (ra != RB_MUX_LINE_DONE)
		return;
	size_t len = strlen(a.name);
	FZ_ASSERT(strcmp(a.name, b.name) == 0);
	FZ_ASSERT(len >= 1 && len <= RB_CONFIG_TCPMUX_NAME_MAX);
	FZ_ASSERT(p[ca - 1] == '\n');
	FZ_ASSERT(ca == len + 1 || (ca == len + 2 && p[len] == '\r'));
	FZ_ASSERT(memcmp(a.name, p, len) == 0);
	for (size_t i = 0; i < len; i++)
		FZ_ASSERT(a.name[i] > 0x20 && a.name[i] < 0x7f);
	/* Done is final. */
	size_t used = 1;
	FZ_ASSERT(rb_mux_line_feed(&a, p, n, &used) == RB_MUX_LINE_DONE && used == 0);

	struct rb_mux_name m;
	if (rb_mux_name_parse(a.name, &m) == 0) {
		size_t ml = strlen(m.name);
		FZ_ASSERT(ml >= 1 && ml <= len);
		FZ_ASSERT(!strchr(m.name, '/'));
		for (size_t i = 0; i < ml; i++)
			FZ_ASSERT(!(m.name[i] >= 'A' && m.name[i] <= 'Z'));
		FZ_ASSERT(!m.help || !m.has_vers);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	size_t chunk = (size_t)(data[0] % 16) + 1;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	check_line(p, n, chunk);

	static struct rb_rpcnames t;
	uint32_t k = rb_rpcnames_parse((const char *)p, n, &t);
	FZ_ASSERT(k == t.n && k <= RB_RPCNAMES_MAX);
	for (uint32_t i = 0; i < t.n; i++) {
		uint32_t prog = 0;
		size_t len = strlen(t.v[i].name);
		FZ_ASSERT(len >= 1 && len <= RB_CONFIG_TCPMUX_NAME_MAX);
		FZ_ASSERT(!strchr(t.v[i].name, '/'));
		FZ_ASSERT(i == 0 || strcmp(t.v[i - 1].name, t.v[i].name) < 0);
		FZ_ASSERT(rb_rpcnames_find(&t, t.v[i].name, &prog) == 0 && prog == t.v[i].prog);
	}

	char *msg = malloc(n + 1);
	FZ_ASSERT(msg != NULL);
	memcpy(msg, p, n);
	msg[n] = '\0';
	char out[RB_MUX_REPLY_MAX];
	size_t rl = rb_mux_reply(out, sizeof(out), data[0] & 1, msg);
	FZ_ASSERT(rl >= 3 && rl <= RB_MUX_REPLY_MAX);
	FZ_ASSERT(out[0] == ((data[0] & 1) ? '+' : '-'));
	FZ_ASSERT(out[rl - 2] == '\r' && out[rl - 1] == '\n');
	FZ_ASSERT(!memchr(out, '\r', rl - 2) && !memchr(out, '\n', rl - 1));
	free(msg);
	return 0;
}
