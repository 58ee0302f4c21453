/* TCPMUX (RFC 1078), the pure part: the name line (CRLF, bare LF, split
 * anywhere, the length limit to the byte, refused bytes), names and their
 * normal form, /etc/rpc parsing, the allow-list and the replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/tcpmux_proto.h"

static int feed_str(struct rb_mux_line *l, const char *s, size_t *used)
{
	return rb_mux_line_feed(l, (const uint8_t *)s, strlen(s), used);
}

static void test_line_basic(void)
{
	struct rb_mux_line l;
	size_t used;

	rb_mux_line_init(&l);
	CHECK_EQ_U(feed_str(&l, "mountd\r\n", &used), RB_MUX_LINE_DONE);
	CHECK_EQ_U(used, 8);
	CHECK_STR(l.name, "mountd");

	/* Bytes after the LF are the service's: not consumed. */
	rb_mux_line_init(&l);
	CHECK_EQ_U(feed_str(&l, "nfs\r\n\x80\x00\x00\x28", &used), RB_MUX_LINE_DONE);
	CHECK_EQ_U(used, 5);
	CHECK_STR(l.name, "nfs");

	/* A bare LF ends a line too. */
	rb_mux_line_init(&l);
	CHECK_EQ_U(feed_str(&l, "Status\nrest", &used), RB_MUX_LINE_DONE);
	CHECK_EQ_U(used, 7);
	CHECK_STR(l.name, "Status"); /* case is the name parser's business */

	/* Once done, nothing more is consumed and the answer stays. */
	CHECK_EQ_U(feed_str(&l, "more\r\n", &used), RB_MUX_LINE_DONE);
	CHECK_EQ_U(used, 0);
	CHECK_STR(l.name, "Status");
}

static void test_line_split(void)
{
	/* Every split point, one byte at a time and in two parts. */
	const char *line = "rpcbind/4\r\n";
	size_t n = strlen(line);
	for (size_t cut = 0; cut <= n; cut++) {
		struct rb_mux_line l;
		size_t u1 = 0, u2 = 0;
		rb_mux_line_init(&l);
		int r = rb_mux_line_feed(&l, (const uint8_t *)line, cut, &u1);
		CHECK_EQ_U(u1, cut);
		CHECK_EQ_U(r, cut == n ? RB_MUX_LINE_DONE : RB_MUX_LINE_MORE);
		if (r == RB_MUX_LINE_MORE) {
			r = rb_mux_line_feed(&l, (const uint8_t *)line + cut, n - cut, &u2);
			CHECK_EQ_U(r, RB_MUX_LINE_DONE);
			CHECK_EQ_U(u1 + u2, n);
		}
		CHECK_STR(l.name, "rpcbind/4");
	}
	struct rb_mux_line l;
	rb_mux_line_init(&l);
	size_t used, total = 0;
	int r = RB_MUX_LINE_MORE;
	for (size_t i = 0; i < n && r == RB_MUX_LINE_MORE; i++) {
		r = rb_mux_line_feed(&l, (const uint8_t *)line + i, 1, &used);
		total += used;
	}
	CHECK_EQ_U(r, RB_MUX_LINE_DONE);
	CHECK_EQ_U(total, n);
}

static void test_line_limits(void)
{
	char buf[RB_MUX_LINE_MAX + 16];
	struct rb_mux_line l;
	size_t used;

	/* Exactly the limit: accepted. */
	memset(buf, 'a', RB_CONFIG_TCPMUX_NAME_MAX);
	memcpy(buf + RB_CONFIG_TCPMUX_NAME_MAX, "\r\n", 3);
	rb_mux_line_init(&l);
	CHECK_EQ_U(feed_str(&l, buf, &used), RB_MUX_LINE_DONE);
	CHECK_EQ_U(used, RB_MUX_LINE_MAX);
	CHECK_EQ_U(strlen(l.name), RB_CONFIG_TCPMUX_NAME_MAX);

	/* One more: refused at that byte, before any LF. */
	memset(buf, 'a', RB_CONFIG_TCPMUX_NAME_MAX + 1);
	buf[RB_CONFIG_TCPMUX_NAME_MAX + 1] = '\0';
	rb_mux_line_init(&l);
	CHECK_EQ_U(feed_str(&l, buf, &used), -EMSGSIZE);
	CHECK_EQ_U(used, RB_CONFIG_TCPMUX_NAME_MAX + 1);
	CHECK_EQ_U(feed_str(&l, "\r\n", &used), -EMSGSIZE);
	CHECK_EQ_U(used, 0);

	/* 10 MB without CRLF, fed in pieces: refused after the limit, and
	 * never more than RB_MUX_LINE_MAX bytes consumed in all. */
	rb_mux_line_init(&l);
	uint8_t chunk[4096];
	memset(chunk, 'x', sizeof(chunk));
	size_t total = 0;
	int r = RB_MUX_LINE_MORE;
	for (size_t sent = 0; sent < 10u << 20 && r == RB_MUX_LINE_MORE; sent += sizeof(chunk)) {
		r = rb_mux_line_feed(&l, chunk, sizeof(chunk), &used);
		total += used;
	}
	CHECK_EQ_U(r, -EMSGSIZE);
	CHECK(total <= RB_MUX_LINE_MAX);
}

static void test_line_bad(void)
{
	static const char *const bad[] = {
		"\r\n", "\n", "mount d\r\n", "mountd \r\n", " mountd\r\n", "a\tb\n",
		"a\rb\r\n", "a\r\r\n", "nul\0x\r\n", "\x7f\r\n", "caf\xc3\xa9\r\n",
	};
	static const size_t lens[] = { 2, 1, 9, 9, 9, 4, 6, 5, 7, 3, 8 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rb_mux_line l;
		size_t used;
		rb_mux_line_init(&l);
		int r = rb_mux_line_feed(&l, (const uint8_t *)bad[i], lens[i], &used);
		if (r != -EINVAL)
			fprintf(stderr, "bad line %zu: got %d\n", i, r);
		CHECK_EQ_U(r, -EINVAL);
		CHECK(used <= lens[i]);
	}
}

static void test_name(void)
{
	struct rb_mux_name m;
	CHECK_EQ_U(rb_mux_name_parse("MountD", &m), 0);
	CHECK_STR(m.name, "mountd");
	CHECK(!m.help && !m.has_vers && !m.is_number);

	CHECK_EQ_U(rb_mux_name_parse("help", &m), 0);
	CHECK(m.help);
	CHECK_EQ_U(rb_mux_name_parse("HeLp", &m), 0);
	CHECK(m.help);
	CHECK_EQ_U(rb_mux_name_parse("HELP/2", &m), -EINVAL);

	CHECK_EQ_U(rb_mux_name_parse("NFS/3", &m), 0);
	CHECK_STR(m.name, "nfs");
	CHECK(m.has_vers);
	CHECK_EQ_U(m.vers, 3);

	CHECK_EQ_U(rb_mux_name_parse("100005", &m), 0);
	CHECK(m.is_number && !m.has_vers);
	CHECK_EQ_U(m.prog, 100005);
	CHECK_EQ_U(rb_mux_name_parse("4294967295/4294967295", &m), 0);
	CHECK_EQ_U(m.prog, 4294967295u);
	CHECK_EQ_U(m.vers, 4294967295u);

	static const char *const bad[] = { "", "/3", "nfs/", "nfs/x", "nfs/3/4", "nfs/-1",
					   "nfs/4294967296", "4294967296", "99999999999",
					   "a b", "nfs/ 3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = rb_mux_name_parse(bad[i], &m);
		if (r != -EINVAL)
			fprintf(stderr, "bad name '%s': got %d\n", bad[i], r);
		CHECK_EQ_U(r, -EINVAL);
	}
}

static void test_rpcnames(void)
{
	static const char text[] =
		"# This file contains user readable names\n"
		"\n"
		"portmapper\t100000\tportmap sunrpc rpcbind\n"
		"nfs\t\t100003\tnfsprog\n"
		"mountd\t\t100005\tmount showmount   # a comment\n"
		"Status 100024\r\n"
		"   nlockmgr 100021\n"
		"bad\n"
		"badnum 12x\n"
		"huge 4294967296\n"
		"mountd 999\n"            /* a second mountd: the first wins */
		"slash/name 5 ok/no fine\n"
		"12345 77\n"              /* all digits: never a name */
		"#commented 1\n"
		"last 42";                /* no newline at the end */
	struct rb_rpcnames *t = calloc(1, sizeof(*t));
	uint32_t prog = 0;
	CHECK(t != NULL);
	if (!t)
		return;
	uint32_t n = rb_rpcnames_parse(text, sizeof(text) - 1, t);
	CHECK_EQ_U(n, t->n);
	CHECK_EQ_U(rb_rpcnames_find(t, "portmapper", &prog), 0);
	CHECK_EQ_U(prog, 100000);
	CHECK_EQ_U(rb_rpcnames_find(t, "rpcbind", &prog), 0);
	CHECK_EQ_U(prog, 100000);
	CHECK_EQ_U(rb_rpcnames_find(t, "showmount", &prog), 0);
	CHECK_EQ_U(prog, 100005);
	CHECK_EQ_U(rb_rpcnames_find(t, "mountd", &prog), 0);
	CHECK_EQ_U(prog, 100005);
	CHECK_EQ_U(rb_rpcnames_find(t, "status", &prog), 0); /* lower-cased */
	CHECK_EQ_U(prog, 100024);
	CHECK_EQ_U(rb_rpcnames_find(t, "nlockmgr", &prog), 0);
	CHECK_EQ_U(rb_rpcnames_find(t, "fine", &prog), 0);
	CHECK_EQ_U(prog, 5);
	CHECK_EQ_U(rb_rpcnames_find(t, "last", &prog), 0);
	CHECK_EQ_U(prog, 42);
	static const char *const absent[] = { "bad", "badnum", "huge", "slash/name", "ok/no",
					      "12345", "commented", "comment", "a", "Status", "" };
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		CHECK_EQ_U(rb_rpcnames_find(t, absent[i], &prog), -ENOENT);
	/* Sorted and unique; primary names marked. */
	for (uint32_t i = 1; i < t->n; i++)
		CHECK(strcmp(t->v[i - 1].name, t->v[i].name) < 0);
	unsigned primaries = 0;
	for (uint32_t i = 0; i < t->n; i++)
		primaries += t->v[i].primary;
	/* portmapper nfs mountd status nlockmgr last ("fine" is an alias) */
	CHECK_EQ_U(primaries, 6);

	/* Bounded: a file of more names than RB_RPCNAMES_MAX. */
	size_t cap = (size_t)(RB_RPCNAMES_MAX + 100) * 24;
	char *big = malloc(cap);
	CHECK(big != NULL);
	if (big) {
		size_t len = 0;
		for (unsigned i = 0; i < RB_RPCNAMES_MAX + 100; i++)
			len += (size_t)snprintf(big + len, cap - len, "prog%u %u\n", i, 200000 + i);
		CHECK_EQ_U(rb_rpcnames_parse(big, len, t), RB_RPCNAMES_MAX);
		CHECK_EQ_U(rb_rpcnames_find(t, "prog0", &prog), 0);
		CHECK_EQ_U(prog, 200000);
		CHECK_EQ_U(rb_rpcnames_find(t, "prog4200", &prog), -ENOENT);
		free(big);
	}
	CHECK_EQ_U(rb_rpcnames_parse("", 0, t), 0);
	CHECK_EQ_U(rb_rpcnames_find(t, "nfs", &prog), -ENOENT);
	free(t);
}

static void test_allowed(void)
{
	struct rb_addr a = { .family = RB_AF_INET, .ip = { 127, 0, 0, 1 } };
	CHECK(rb_mux_allowed(NULL, 0, &a));
	a.ip[3] = 53; /* 127.0.0.53 */
	CHECK(rb_mux_allowed(NULL, 0, &a));
	struct rb_addr b = { .family = RB_AF_INET, .ip = { 192, 0, 2, 7 } };
	CHECK(!rb_mux_allowed(NULL, 0, &b));
	struct rb_addr v6 = { .family = RB_AF_INET6, .ip = { [15] = 1 } };
	CHECK(rb_mux_allowed(NULL, 0, &v6));
	struct rb_addr mapped = { .family = RB_AF_INET6,
				  .ip = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 } };
	CHECK(rb_mux_allowed(NULL, 0, &mapped));
	struct rb_addr other6 = { .family = RB_AF_INET6, .ip = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	CHECK(!rb_mux_allowed(NULL, 0, &other6));

	struct rb_cidr allow[2];
	CHECK_EQ_U(rb_cidr_parse("192.0.2.0/24", &allow[0]), 0);
	CHECK_EQ_U(rb_cidr_parse("2001:db8::/32", &allow[1]), 0);
	CHECK(rb_mux_allowed(allow, 2, &b));
	CHECK(rb_mux_allowed(allow, 2, &other6));
	/* A list replaces the loopback default: loopback must be listed. */
	CHECK(!rb_mux_allowed(allow, 2, &a));
}

static void test_replies(void)
{
	char out[RB_MUX_REPLY_MAX];
	size_t n = rb_mux_reply(out, sizeof(out), true, "Go");
	CHECK_BYTES(out, n, "+Go\r\n", 5);
	n = rb_mux_reply(out, sizeof(out), false, "unknown service");
	CHECK_BYTES(out, n, "-unknown service\r\n", 18);
	n = rb_mux_reply(out, sizeof(out), true, NULL);
	CHECK_BYTES(out, n, "+\r\n", 3);
	/* Control bytes dropped (no injected lines), long messages cut. */
	n = rb_mux_reply(out, sizeof(out), false, "a\r\nb\x01");
	CHECK_BYTES(out, n, "-ab\r\n", 5);
	char longmsg[200];
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	n = rb_mux_reply(out, sizeof(out), false, longmsg);
	CHECK_EQ_U(n, RB_MUX_REPLY_MAX);
	CHECK(out[n - 2] == '\r' && out[n - 1] == '\n');
	CHECK_EQ_U(rb_mux_reply(out, RB_MUX_REPLY_MAX - 1, true, "Go"), 0);

	char help[16];
	size_t len = 0;
	CHECK_EQ_U(rb_mux_help_add(help, sizeof(help), &len, "mountd"), 0);
	CHECK_EQ_U(rb_mux_help_add(help, sizeof(help), &len, "nfs"), 0);
	CHECK_BYTES(help, len, "mountd\r\nnfs\r\n", 13);
	CHECK_EQ_U(rb_mux_help_add(help, sizeof(help), &len, "status"), -ENOSPC);
	CHECK_EQ_U(len, 13);
	CHECK_EQ_U(rb_mux_help_add(help, sizeof(help), &len, "a"), 0);
	CHECK_EQ_U(len, 16);
}

RB_TEST_MAIN({
	test_line_basic();
	test_line_split();
	test_line_limits();
	test_line_bad();
	test_name();
	test_rpcnames();
	test_allowed();
	test_replies();
})
