/* The registration inventory: see inventory.h. */
#include "net/control/inventory.h"

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Label values are client-supplied bytes (a netid is whatever a SET
 * sent): escaped as the text format 0.0.4 requires, and anything outside
 * printable ASCII written as '?', so a scrape always parses. */
static void put_label(struct rb_text *t, const char *name, const char *v, bool comma)
{
	char buf[2 * 64 + 1];
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p && o + 2 < sizeof(buf); p++) {
		if (*p == '\\' || *p == '"') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
		}
	}
	buf[o] = 0;
	rb_text_printf(t, "%s%s=\"%s\"", comma ? "," : "", name, buf);
}

static bool is_stale(const struct rb_stale *st, const struct rb_entry *e)
{
	if (!st)
		return false;
	for (uint32_t i = 0; i < st->n; i++) {
		const struct rb_stale_entry *s = &st->v[i];
		if (s->prog == e->prog && s->vers == e->vers && strcmp(s->netid, e->netid) == 0 &&
		    strcmp(s->uaddr, rb_entry_uaddr(e)) == 0)
			return true;
	}
	return false;
}

/* The rpc database's name of prog; "" when it has none. One lookup per
 * run of entries of the same program (entries of a program tend to be
 * registered together), not per entry. */
static void prog_name(uint32_t prog, char *out, size_t n)
{
	struct rpcent ent, *res = NULL;
	char buf[1024];
	out[0] = 0;
	if (getrpcbynumber_r((int)prog, &ent, buf, sizeof(buf), &res) == 0 && res && res->r_name)
		snprintf(out, n, "%s", res->r_name);
}

void rb_inventory_render(struct rb_text *t, const struct rb_registry *reg,
			 const struct rb_stale *stale)
{
	rb_text_printf(t, "# HELP ringbind_registration_info A registration (at most %u series, "
			  "oldest first; see ringbind_registration_info_omitted).\n"
			  "# TYPE ringbind_registration_info gauge\n",
		       RB_INVENTORY_MAX);
	unsigned written = 0, omitted = 0;
	uint32_t named_prog = 0;
	bool have_name = false;
	char name[64] = "";
	for (const struct rb_entry *e = rb_registry_first(reg); e; e = rb_registry_next(e)) {
		if (written == RB_INVENTORY_MAX) {
			omitted++;
			continue;
		}
		if (!have_name || named_prog != e->prog) {
			prog_name(e->prog, name, sizeof(name));
			named_prog = e->prog;
			have_name = true;
		}
		char num[16], port[8] = "";
		snprintf(num, sizeof(num), "%u", e->prog);
		rb_text_printf(t, "ringbind_registration_info{");
		put_label(t, "prog", num, false);
		put_label(t, "program", name, true);
		snprintf(num, sizeof(num), "%u", e->vers);
		put_label(t, "vers", num, true);
		put_label(t, "netid", e->netid, true);
		if (e->family == RB_AF_INET || e->family == RB_AF_INET6)
			snprintf(port, sizeof(port), "%u", e->port);
		put_label(t, "port", port, true);
		put_label(t, "owner", rb_entry_owner(e), true);
		rb_text_printf(t, ",stale=\"%d\"} 1\n", is_stale(stale, e) ? 1 : 0);
		written++;
	}
	rb_text_printf(t, "# HELP ringbind_registration_info_omitted Registrations this exposition "
			  "left out of ringbind_registration_info (past %u).\n"
			  "# TYPE ringbind_registration_info_omitted gauge\n"
			  "ringbind_registration_info_omitted %u\n",
		       RB_INVENTORY_MAX, omitted);
}
