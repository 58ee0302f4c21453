#include "core/tcpmux_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The name alphabet: printable ASCII without blanks. RFC 1078 says only
 * "service name"; blanks and control bytes in a name would be a client
 * confused about the protocol (or probing for a parser bug), not a name. */
static bool name_byte(uint8_t c)
{
	return c > 0x20 && c < 0x7f;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

void rb_mux_line_init(struct rb_mux_line *l)
{
	memset(l, 0, sizeof(*l));
}

/* A finished line remembers its result in len's spare values, so that a
 * second feed answers the same without consuming anything. */
#define LINE_DONE UINT32_MAX
#define LINE_TOO_LONG (UINT32_MAX - 1u)
#define LINE_BAD (UINT32_MAX - 2u)

static int line_state(const struct rb_mux_line *l)
{
	switch (l->len) {
	case LINE_DONE: return RB_MUX_LINE_DONE;
	case LINE_TOO_LONG: return -EMSGSIZE;
	case LINE_BAD: return -EINVAL;
	default: return RB_MUX_LINE_MORE;
	}
}

static int line_end(struct rb_mux_line *l, uint32_t how, size_t used, size_t *out_used)
{
	if (how == LINE_DONE)
		l->name[l->len] = '\0';
	else
		l->name[0] = '\0';
	l->len = how;
	*out_used = used;
	return line_state(l);
}

int rb_mux_line_feed(struct rb_mux_line *l, const uint8_t *p, size_t n, size_t *used)
{
	*used = 0;
	int st = line_state(l);
	if (st != RB_MUX_LINE_MORE)
		return st;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '\n')
			return line_end(l, l->len ? LINE_DONE : LINE_BAD, i + 1, used);
		if (l->cr) /* CR, then something other than LF */
			return line_end(l, LINE_BAD, i + 1, used);
		if (c == '\r') {
			l->cr = true;
			continue;
		}
		if (!name_byte(c))
			return line_end(l, LINE_BAD, i + 1, used);
		if (l->len >= RB_CONFIG_TCPMUX_NAME_MAX)
			return line_end(l, LINE_TOO_LONG, i + 1, used);
		l->name[l->len++] = (char)c;
	}
	*used = n;
	return RB_MUX_LINE_MORE;
}

/* Decimal digits only, 1..10 of them, at most 2^32-1. */
static int parse_u32(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int rb_mux_name_parse(const char *line, struct rb_mux_name *out)
{
	struct rb_mux_name m;
	memset(&m, 0, sizeof(m));
	size_t len = strlen(line);
	if (len == 0 || len > RB_CONFIG_TCPMUX_NAME_MAX)
		return -EINVAL;
	const char *slash = memchr(line, '/', len);
	size_t nlen = slash ? (size_t)(slash - line) : len;
	if (nlen == 0)
		return -EINVAL;
	if (slash) {
		const char *vs = slash + 1;
		size_t vlen = len - nlen - 1;
		if (memchr(vs, '/', vlen) || parse_u32(vs, vlen, &m.vers) < 0)
			return -EINVAL;
		m.has_vers = true;
	}
	for (size_t i = 0; i < nlen; i++) {
		if (!name_byte((uint8_t)line[i]))
			return -EINVAL;
		m.name[i] = lower(line[i]);
	}
	m.name[nlen] = '\0';
	if (strcmp(m.name, "help") == 0) {
		if (m.has_vers)
			return -EINVAL;
		m.help = true;
	}
	if (parse_u32(m.name, nlen, &m.prog) == 0)
		m.is_number = true;
	else if (m.name[strspn(m.name, "0123456789")] == '\0')
		return -EINVAL; /* all digits, but over 2^32-1 */
	*out = m;
	return 0;
}

/* ---- /etc/rpc ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next blank-separated word of [*p, end), or len 0 at the end. */
static const char *next_word(const char **p, const char *end, size_t *len)
{
	const char *s = *p;
	while (s < end && is_blank(*s))
		s++;
	const char *w = s;
	while (s < end && !is_blank(*s))
		s++;
	*len = (size_t)(s - w);
	*p = s;
	return w;
}

static bool good_rpc_name(const char *w, size_t len)
{
	if (len == 0 || len > RB_CONFIG_TCPMUX_NAME_MAX)
		return false;
	bool digits = true;
	for (size_t i = 0; i < len; i++) {
		if (!name_byte((uint8_t)w[i]) || w[i] == '/')
			return false;
		if (w[i] < '0' || w[i] > '9')
			digits = false;
	}
	return !digits;
}

static void add_name(struct rb_rpcnames *t, const char *w, size_t len, uint32_t prog,
		     bool primary)
{
	if (t->n >= RB_RPCNAMES_MAX || !good_rpc_name(w, len))
		return;
	struct rb_rpcname *e = &t->v[t->n++];
	for (size_t i = 0; i < len; i++)
		e->name[i] = lower(w[i]);
	e->name[len] = '\0';
	e->prog = prog;
	e->primary = primary;
	e->seq = t->n - 1;
}

/* Sorted by name; among equal names the first in the file comes first
 * (qsort is not stable: seq breaks the ties). */
static int cmp_name(const void *a, const void *b)
{
	const struct rb_rpcname *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

uint32_t rb_rpcnames_parse(const char *text, size_t len, struct rb_rpcnames *t)
{
	t->n = 0;
	const char *p = text, *end = text + len;
	while (p < end && t->n < RB_RPCNAMES_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *hash = memchr(p, '#', (size_t)(le - p));
		const char *ce = hash ? hash : le;
		size_t nlen, plen, alen;
		const char *name = next_word(&p, ce, &nlen);
		const char *num = next_word(&p, ce, &plen);
		uint32_t prog;
		if (nlen && parse_u32(num, plen, &prog) == 0) {
			add_name(t, name, nlen, prog, true);
			for (const char *a = next_word(&p, ce, &alen); alen;
			     a = next_word(&p, ce, &alen))
				add_name(t, a, alen, prog, false);
		}
		p = nl ? nl + 1 : end;
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(t->v[0]), cmp_name);
	/* Keep the first of each name. */
	uint32_t k = 0;
	for (uint32_t i = 0; i < t->n; i++)
		if (k == 0 || strcmp(t->v[k - 1].name, t->v[i].name) != 0)
			t->v[k++] = t->v[i];
	t->n = k;
	return k;
}

int rb_rpcnames_find(const struct rb_rpcnames *t, const char *name, uint32_t *prog)
{
	uint32_t lo = 0, hi = t->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, t->v[mid].name);
		if (c == 0) {
			*prog = t->v[mid].prog;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

/* ---- access and replies ---- */

bool rb_mux_allowed(const struct rb_cidr *allow, uint32_t n, const struct rb_addr *peer)
{
	static const struct rb_cidr loopback[2] = {
		{ .family = RB_AF_INET, .ip = { 127 }, .bits = 8 },
		{ .family = RB_AF_INET6, .ip = { [15] = 1 }, .bits = 128 },
	};
	if (n == 0) {
		allow = loopback;
		n = 2;
	}
	for (uint32_t i = 0; i < n; i++)
		if (rb_cidr_match(&allow[i], peer))
			return true;
	return false;
}

size_t rb_mux_reply(char *out, size_t cap, bool ok, const char *msg)
{
	if (cap < RB_MUX_REPLY_MAX)
		return 0;
	size_t n = 0;
	out[n++] = ok ? '+' : '-';
	for (size_t i = 0; msg && msg[i] && n < 1u + RB_MUX_MSG_MAX; i++)
		if (msg[i] >= 0x20 && msg[i] < 0x7f)
			out[n++] = msg[i];
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

int rb_mux_help_add(char *out, size_t cap, size_t *len, const char *name)
{
	size_t nl = strlen(name);
	if (*len > cap || cap - *len < nl + 2)
		return -ENOSPC;
	memcpy(out + *len, name, nl);
	out[*len + nl] = '\r';
	out[*len + nl + 1] = '\n';
	*len += nl + 2;
	return 0;
}
