/* Messages built of clauses: a fixed buffer that collects one clause per
 * event, "; "-separated (persistence's load report, the rpcbind import's
 * refusals). Bounded by the buffer: a clause that does not fit is cut. */
#ifndef RB_NET_CLAUSE_H
#define RB_NET_CLAUSE_H

#include <stddef.h>

/* Appends a clause to the "; "-separated message in buf (cap bytes, always
 * NUL-terminated). */
void rb_clause_add(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
