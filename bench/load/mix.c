/* ringbind-load: call mixes (--mix FILE) and the mount-storm preset.
 *
 * A mix file has one call per line:
 *
 *   procedure  version  program  netid  weight  [port]
 *
 * procedure is a --call name (getport, getaddr, getaddr4, getversaddr,
 * dump, dump3, dump4, null); version and program are those looked up
 * (program: a number, or a name from /etc/rpc); netid is the one looked up
 * (udp, tcp, udp6, tcp6: GETPORT sends its protocol, 17 or 6); weight is
 * relative. port is the answer the call must get: a number (0: "not
 * registered"; above 0, --prime registers it there first), or "*" (any
 * well-formed answer: a server whose ports this tool does not know).
 * Without it: "*". '#' starts a comment. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/load/load.h"

const char *const lg_call_names[8] = { "getport", "getaddr",  "getaddr4", "getversaddr",
				       "dump",    "dump3",    "dump4",    "null" };

static int netid_parse(struct lg_mix_ent *e, const char *s)
{
	static const struct {
		const char *name;
		uint8_t proto, v6;
	} ids[] = { { "udp", 17, 0 }, { "tcp", 6, 0 }, { "udp6", 17, 1 }, { "tcp6", 6, 1 } };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (strcmp(s, ids[i].name) == 0) {
			e->proto = ids[i].proto;
			e->v6 = ids[i].v6;
			snprintf(e->netid, sizeof(e->netid), "%s", ids[i].name);
			return 0;
		}
	}
	return -1;
}

static int u32_parse(const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int prog_parse(const char *s, uint32_t *v)
{
	if (u32_parse(s, v) == 0)
		return 0;
	struct rpcent *r = getrpcbyname(s); /* /etc/rpc: "nfs", "mountd", ... */
	if (!r)
		return -1;
	*v = (uint32_t)r->r_number;
	return 0;
}

static int call_parse(const char *s)
{
	for (unsigned i = 0; i < 8; i++)
		if (strcmp(lg_call_names[i], s) == 0)
			return (int)i;
	return -1;
}

int lg_mix_load(struct lg_opts *o, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "--mix %s: %s", path, strerror(errno));
		return -1;
	}
	char line[512];
	unsigned ln = 0;
	int rc = 0;
	o->n_mix = 0;
	o->mix_total = 0;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *tok[7];
		unsigned n = 0;
		for (char *save = NULL, *p = strtok_r(line, " \t\r\n", &save); p;
		     p = strtok_r(NULL, " \t\r\n", &save))
			if (n < 7)
				tok[n++] = p;
			else
				n = 7;
		if (n == 0)
			continue;
		struct lg_mix_ent e;
		memset(&e, 0, sizeof(e));
		e.port = LG_PORT_ANY;
		int c = n >= 1 ? call_parse(tok[0]) : -1;
		const char *why = NULL;
		if (n < 5 || n > 6)
			why = "want: procedure version program netid weight [port]";
		else if (c < 0)
			why = "unknown procedure (getport, getaddr, getaddr4, getversaddr, dump, dump3, dump4, null)";
		else if (u32_parse(tok[1], &e.vers) != 0)
			why = "bad version";
		else if (prog_parse(tok[2], &e.prog) != 0)
			why = "bad program (a number or a name in /etc/rpc)";
		else if (netid_parse(&e, tok[3]) != 0)
			why = "netid: udp, tcp, udp6 or tcp6";
		else if (u32_parse(tok[4], &e.weight) != 0 || e.weight == 0 || e.weight > 1000000u)
			why = "weight: 1 to 1000000";
		else if (n == 6 && strcmp(tok[5], "*") != 0) {
			uint32_t p;
			if (u32_parse(tok[5], &p) != 0 || p > 65535)
				why = "port: 0 to 65535, or *";
			else
				e.port = (int32_t)p;
		}
		if (!why && c == LG_CALL_GETPORT && e.v6)
			why = "getport (PMAP v2) has no IPv6 netids: use getaddr or getaddr4";
		if (!why && o->n_mix == LG_MIX_MAX)
			why = "too many lines (at most 64)";
		if (why) {
			snprintf(err, errlen, "--mix %s line %u: %s", path, ln, why);
			rc = -1;
			break;
		}
		e.call = (uint8_t)c;
		o->mix[o->n_mix++] = e;
		o->mix_total += e.weight;
	}
	fclose(f);
	if (rc == 0 && o->n_mix == 0) {
		snprintf(err, errlen, "--mix %s: no calls in it", path);
		rc = -1;
	}
	return rc;
}

/* What a mount -t nfs -o vers=3 costs a port mapper, as nfs-utils'
 * mount.nfs (support/nfs/getport.c: nfs_getport_ping, over the same
 * transport as the service asked for, an ephemeral source port, a new
 * socket each) and the kernel's lockd (the first lock: nlockmgr v4) ask
 * it: over IPv4 PMAP v2 GETPORT, over IPv6 RPCBIND v4 GETADDR. The ports
 * are those --prime registers: nfs's 2049, the usual fixed mountd and
 * lockd ports. */
void lg_mix_mount_storm(struct lg_opts *o, const char *netid)
{
	static const struct {
		uint32_t prog, vers;
		int32_t port;
	} svc[] = { { 100003, 3, 2049 }, { 100005, 3, 20048 }, { 100021, 4, 4045 } };
	o->n_mix = 0;
	o->mix_total = 0;
	for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++) {
		struct lg_mix_ent *e = &o->mix[o->n_mix++];
		memset(e, 0, sizeof(*e));
		(void)netid_parse(e, netid);
		e->call = e->v6 ? LG_CALL_GETADDR4 : LG_CALL_GETPORT;
		e->prog = svc[i].prog;
		e->vers = svc[i].vers;
		e->port = svc[i].port;
		e->weight = 1;
		o->mix_total++;
	}
}

unsigned lg_mix_pick(const struct lg_opts *o, uint64_t r)
{
	for (unsigned i = 0; i < o->n_mix; i++) {
		if (r < o->mix[i].weight)
			return i;
		r -= o->mix[i].weight;
	}
	return o->n_mix - 1u;
}
