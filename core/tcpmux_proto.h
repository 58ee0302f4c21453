/* TCPMUX (RFC 1078), the protocol part: the client's name line, names and
 * their normal form, the /etc/rpc name table, the allow-list check and the
 * replies. Pure: bytes and text in, results out; no sockets, no files, no
 * clock. The transport (accepting, splicing, timeouts) is net/features/tcpmux.c.
 *
 * RFC 1078: the client sends a service name and CRLF; the server answers
 * "+" or "-", an optional message and CRLF; after "+" the connection is
 * the service's, after "-" it is closed. "HELP" is answered with the names
 * of the services, one per line, and the connection closed. Names are not
 * case sensitive. */
#ifndef RB_CORE_TCPMUX_PROTO_H
#define RB_CORE_TCPMUX_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"
#include "core/config.h"

/* The longest name line we read: the name, CR and LF. Nothing beyond it is
 * ever buffered for a client still sending its name. */
#define RB_MUX_LINE_MAX (RB_CONFIG_TCPMUX_NAME_MAX + 2u)
/* The longest message after "+" or "-" (without the CRLF). */
#define RB_MUX_MSG_MAX 64u
/* The longest reply line: sign, message, CRLF. */
#define RB_MUX_REPLY_MAX (1u + RB_MUX_MSG_MAX + 2u)
/* /etc/rpc: at most this many names (primary names and aliases) are kept,
 * and at most this many bytes of the file are read (net/features/tcpmux.c). */
#define RB_RPCNAMES_MAX 4096u
#define RB_RPCNAMES_FILE_MAX (1u << 20)

/* The name line being read. A name is 1..RB_CONFIG_TCPMUX_NAME_MAX bytes
 * of printable ASCII without blanks (0x21-0x7e), ended by CRLF. A bare LF
 * is accepted too, as BSD inetd's tcpmux and most line protocols do, for
 * clients such as a typed telnet or nc session; a CR not followed by LF is
 * refused. */
struct rb_mux_line {
	uint32_t len; /* name bytes so far */
	bool cr;      /* the last byte was CR */
	char name[RB_CONFIG_TCPMUX_NAME_MAX + 1];
};

enum {
	RB_MUX_LINE_MORE = 0, /* no LF yet: feed more */
	RB_MUX_LINE_DONE = 1, /* l->name holds the name, NUL-terminated */
};

void rb_mux_line_init(struct rb_mux_line *l);
/* Feeds n bytes of what the client sent. Consumes up to and including the
 * LF, and no further: *used gets the count (bytes after the LF are the
 * service's). Returns RB_MUX_LINE_MORE, RB_MUX_LINE_DONE, -EMSGSIZE (the
 * name is longer than RB_CONFIG_TCPMUX_NAME_MAX: reported as soon as one
 * byte too many arrives), or -EINVAL (a byte outside the name alphabet, a
 * CR not followed by LF, an empty name). After DONE or an error, feeding
 * again returns the same result and consumes nothing. */
int rb_mux_line_feed(struct rb_mux_line *l, const uint8_t *p, size_t n, size_t *used);

/* A name line, understood. Forms, all case-insensitive:
 *   HELP            the list of names
 *   NAME            a static name (configuration) or an /etc/rpc name
 *   NAME/VERSION    one version of an RPC program (decimal)
 *   NUMBER[/VERSION] an RPC program by its decimal number
 * The name is lower-cased; '/' appears in it only as the separator. */
struct rb_mux_name {
	char name[RB_CONFIG_TCPMUX_NAME_MAX + 1]; /* lower case, without /VERSION */
	bool help;
	bool has_vers;
	uint32_t vers;
	bool is_number; /* name is a decimal program number */
	uint32_t prog;  /* when is_number */
};

/* 0, or -EINVAL (empty name or version, a second '/', a version or number
 * that is not decimal or over 2^32-1, "HELP/..."). */
int rb_mux_name_parse(const char *line, struct rb_mux_name *out);

/* /etc/rpc: "name number alias...", '#' to the end of a line a comment. */
struct rb_rpcname {
	char name[RB_CONFIG_TCPMUX_NAME_MAX + 1]; /* lower case */
	uint32_t prog;
	bool primary; /* the line's first name (HELP lists only these) */
	uint32_t seq; /* position in the file: the first of equal names wins */
};

struct rb_rpcnames {
	uint32_t n;
	struct rb_rpcname v[RB_RPCNAMES_MAX]; /* sorted by name, unique */
};

/* Parses the text of an /etc/rpc file into t (which it fills from empty).
 * Lines that are malformed (no number, a number that is not decimal or
 * over 2^32-1) are skipped, as are names that are too long, hold a byte
 * outside the name alphabet or a '/', or are all digits (a number is
 * always a program number). When a name appears twice the first line
 * wins, as getrpcbyname(3). Beyond RB_RPCNAMES_MAX names the rest is
 * skipped. Returns the number of names kept. */
uint32_t rb_rpcnames_parse(const char *text, size_t len, struct rb_rpcnames *t);
/* The program of a lower-case name; 0, or -ENOENT. */
int rb_rpcnames_find(const struct rb_rpcnames *t, const char *name, uint32_t *prog);

/* Whether a client at peer may use the mux: it matches one of allow[0..n),
 * or, when n is 0, it is a loopback address (127.0.0.0/8, ::1, or
 * ::ffff:127.0.0.0/104). */
bool rb_mux_allowed(const struct rb_cidr *allow, uint32_t n, const struct rb_addr *peer);

/* A reply line: '+' (ok) or '-', then msg with every byte outside 0x20-0x7e
 * dropped and cut at RB_MUX_MSG_MAX, then CRLF, into out (cap bytes, at
 * least RB_MUX_REPLY_MAX). Returns its length (not NUL-terminated), 0
 * when cap is too small. */
size_t rb_mux_reply(char *out, size_t cap, bool ok, const char *msg);
/* Appends "name\r\n" to a HELP answer in out[0..*len); 0, or -ENOSPC (and
 * nothing appended) when it does not fit in cap. */
int rb_mux_help_add(char *out, size_t cap, size_t *len, const char *name);

#endif
