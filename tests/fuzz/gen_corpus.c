/* Writes the seed corpora of the fuzz targets:
 *   gen_corpus OUTDIR   (OUTDIR/fuzz_handle, fuzz_record, fuzz_uaddr)
 * Messages are built by hand here (not with the code under test): one valid
 * call per procedure of PMAP v2 (0-5), RPCBIND v3 (0-8) and v4 (0-12), the
 * rpcbomb, and broken headers and credentials. Built, never run by ctest;
 * its output is committed under tests/corpus/. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct msg {
	uint8_t b[2048];
	size_t n;
};

static void u32(struct msg *m, uint32_t v)
{
	m->b[m->n++] = (uint8_t)(v >> 24);
	m->b[m->n++] = (uint8_t)(v >> 16);
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

static void opaque(struct msg *m, const void *p, uint32_t len)
{
	u32(m, len);
	memcpy(m->b + m->n, p, len);
	m->n += len;
	while (m->n % 4)
		m->b[m->n++] = 0;
}

static void str(struct msg *m, const char *s)
{
	opaque(m, s, (uint32_t)strlen(s));
}

static void call(struct msg *m, uint32_t xid, uint32_t prog, uint32_t vers,
		 uint32_t proc)
{
	m->n = 0;
	u32(m, xid);
	u32(m, 0);
	u32(m, 2);
	u32(m, prog);
	u32(m, vers);
	u32(m, proc);
	u32(m, 0); /* AUTH_NONE */
	u32(m, 0);
	u32(m, 0);
	u32(m, 0);
}

static void rpcb(struct msg *m, uint32_t prog, uint32_t vers, const char *netid,
		 const char *addr, const char *owner)
{
	u32(m, prog);
	u32(m, vers);
	str(m, netid);
	str(m, addr);
	str(m, owner);
}

static const char *outdir;

static void save(const char *target, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void save_msg(const char *name, const struct msg *m)
{
	save("fuzz_handle", name, m->b, m->n);
}

/* A sockaddr_in for 127.0.0.1:111, as Linux lays it out (little-endian
 * sa_family, port and address in network order). */
static const uint8_t sin_lo[16] = {2, 0, 0, 111, 127, 0, 0, 1};
/* A sockaddr_in6 for ::1 port 111. */
static const uint8_t sin6_lo[28] = {10, 0, 0, 111, [23] = 1};

static void handle_seeds(void)
{
	struct msg m;
	char name[64];
	uint32_t xid = 0x10000000;

	/* PMAP v2 */
	for (uint32_t p = 0; p <= 5; p++) {
		call(&m, xid++, 100000, 2, p);
		switch (p) {
		case 1: u32(&m, 100099); u32(&m, 1); u32(&m, 17); u32(&m, 2000); break;
		case 2: u32(&m, 100003); u32(&m, 3); u32(&m, 0); u32(&m, 0); break;
		case 3: u32(&m, 100003); u32(&m, 3); u32(&m, 17); u32(&m, 0); break;
		case 5: u32(&m, 100003); u32(&m, 3); u32(&m, 0); opaque(&m, "", 0); break;
		default: break;
		}
		snprintf(name, sizeof(name), "v2_proc%02u", p);
		save_msg(name, &m);
	}
	/* RPCBIND v3 and v4 */
	for (uint32_t v = 3; v <= 4; v++) {
		uint32_t high = v == 3 ? 8 : 12;
		for (uint32_t p = 0; p <= high; p++) {
			call(&m, xid++, 100000, v, p);
			switch (p) {
			case 1: rpcb(&m, 100099, 1, "udp", "0.0.0.0.7.208", "superuser"); break;
			case 2: rpcb(&m, 100003, 4, "", "", ""); break;
			case 3: rpcb(&m, 100003, 3, "udp", "", ""); break;
			case 5: case 10:
				u32(&m, 100003); u32(&m, 3); u32(&m, 0);
				opaque(&m, "", 0);
				break;
			case 7: str(&m, "127.0.0.1.0.111"); break;
			case 8: u32(&m, 16); opaque(&m, sin_lo, 16); break;
			case 9: rpcb(&m, 100003, 4, "tcp", "", ""); break;
			case 11: rpcb(&m, 100003, 3, "udp", "", ""); break;
			default: break;
			}
			snprintf(name, sizeof(name), "v%u_proc%02u", v, p);
			save_msg(name, &m);
		}
	}

	/* More argument shapes. */
	call(&m, xid++, 100000, 4, 1);
	rpcb(&m, 100099, 2, "tcp6", "::.7.209", "unknown");
	save_msg("v4_set_tcp6", &m);
	call(&m, xid++, 100000, 3, 1);
	rpcb(&m, 100099, 2, "local", "/run/x.sock", "0");
	save_msg("v3_set_local", &m);
	call(&m, xid++, 100000, 3, 7);
	str(&m, "::1.0.111");
	save_msg("v3_uaddr2taddr_v6", &m);
	call(&m, xid++, 100000, 4, 7);
	str(&m, "/run/rpcbind.sock");
	save_msg("v4_uaddr2taddr_local", &m);
	call(&m, xid++, 100000, 4, 8);
	u32(&m, 28);
	opaque(&m, sin6_lo, 28);
	save_msg("v4_taddr2uaddr_v6", &m);
	call(&m, xid++, 100000, 4, 3);
	rpcb(&m, 100005, 3, "udp6", "", "");
	save_msg("v4_getaddr_udp6", &m);
	call(&m, xid++, 100000, 2, 3);
	u32(&m, 100003);
	u32(&m, 3);
	save_msg("v2_getport_truncated", &m);
	call(&m, xid++, 100000, 2, 1);
	u32(&m, 100099); u32(&m, 1); u32(&m, 6); u32(&m, 2001);
	save_msg("v2_set_tcp", &m);

	call(&m, xid++, 100000, 4, 2);
	rpcb(&m, 100003, 3, "a-netid-longer-than-thirty-two-characters", "", "");
	save_msg("v4_unset_long_netid", &m);
	call(&m, xid++, 100000, 3, 1);
	rpcb(&m, 100099, 1, "", "0.0.0.0.7.208", "");
	save_msg("v3_set_empty_netid", &m);
	call(&m, xid++, 100000, 4, 11);
	rpcb(&m, 100000, 4, "", "", "");
	save_msg("v4_getaddrlist_rpcbind", &m);

	/* CVE-2017-8779 rpcbomb: v4 GETVERSADDR, r_addr claims 1,000,000
	 * bytes with nothing behind. */
	call(&m, 0x0b0b0b0b, 100000, 4, 9);
	u32(&m, 100000);
	u32(&m, 4);
	str(&m, "udp");
	u32(&m, 1000000);
	save_msg("rpcbomb", &m);

	/* Header problems. */
	call(&m, xid++, 100000, 2, 0);
	m.b[11] = 3;
	save_msg("bad_rpcvers", &m);
	call(&m, xid++, 100000, 2, 0);
	m.b[7] = 1;
	save_msg("reply_not_call", &m);
	call(&m, xid++, 100003, 3, 0);
	save_msg("prog_unavail", &m);
	call(&m, xid++, 100000, 5, 0);
	save_msg("vers_mismatch", &m);
	call(&m, xid++, 100000, 2, 6);
	save_msg("proc_unavail_v2", &m);
	call(&m, xid++, 100000, 4, 13);
	save_msg("proc_unavail_v4", &m);
	save("fuzz_handle", "short_7_bytes", m.b, 7);

	/* Credentials. */
	struct msg cred = {.n = 0};
	u32(&cred, 0x5f5e1000);
	str(&cred, "client");
	u32(&cred, 0);
	u32(&cred, 0);
	u32(&cred, 2);
	u32(&cred, 4);
	u32(&cred, 27);
	m.n = 0;
	u32(&m, xid++); u32(&m, 0); u32(&m, 2);
	u32(&m, 100000); u32(&m, 2); u32(&m, 3);
	u32(&m, 1);
	opaque(&m, cred.b, (uint32_t)cred.n);
	u32(&m, 0); u32(&m, 0);
	u32(&m, 100003); u32(&m, 3); u32(&m, 17); u32(&m, 0);
	save_msg("auth_sys_getport", &m);

	cred.n = 0;
	u32(&cred, 1);
	str(&cred, "h");
	u32(&cred, 0);
	u32(&cred, 0);
	u32(&cred, 17);
	for (int i = 0; i < 17; i++)
		u32(&cred, (uint32_t)i);
	m.n = 0;
	u32(&m, xid++); u32(&m, 0); u32(&m, 2);
	u32(&m, 100000); u32(&m, 4); u32(&m, 0);
	u32(&m, 1);
	opaque(&m, cred.b, (uint32_t)cred.n);
	u32(&m, 0); u32(&m, 0);
	save_msg("auth_sys_17_gids", &m);

	static const struct { uint32_t flavor; const char *name; } fl[] = {
		{2, "auth_short"}, {3, "auth_dh"}, {6, "rpcsec_gss"}, {99, "auth_99"},
	};
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
		m.n = 0;
		u32(&m, xid++); u32(&m, 0); u32(&m, 2);
		u32(&m, 100000); u32(&m, 3); u32(&m, 0);
		u32(&m, fl[i].flavor);
		opaque(&m, "12345678", 8);
		u32(&m, 0); u32(&m, 0);
		save_msg(fl[i].name, &m);
	}
	m.n = 0;
	u32(&m, xid++); u32(&m, 0); u32(&m, 2);
	u32(&m, 100000); u32(&m, 3); u32(&m, 0);
	u32(&m, 0);
	u32(&m, 401);
	save_msg("cred_401", &m);
}

static void record_seeds(void)
{
	struct msg rec, s;

	/* A v2 NULL call as one fragment, fed in 1-byte chunks. */
	call(&rec, 1, 100000, 2, 0);
	s.n = 0;
	s.b[s.n++] = 0x00; /* one chunk size, normal cap */
	s.b[s.n++] = 0;    /* chunks of 1 */
	u32(&s, 0x80000000u | (uint32_t)rec.n);
	memcpy(s.b + s.n, rec.b, rec.n);
	s.n += rec.n;
	save("fuzz_record", "null_1byte", s.b, s.n);

	/* A v4 GETADDR in three fragments, then a DUMP, chunks 7/13/200. */
	call(&rec, 2, 100000, 4, 3);
	rpcb(&rec, 100003, 3, "tcp", "", "");
	s.n = 0;
	s.b[s.n++] = 0x02;
	s.b[s.n++] = 6;
	s.b[s.n++] = 12;
	s.b[s.n++] = 199;
	u32(&s, 10);
	memcpy(s.b + s.n, rec.b, 10);
	s.n += 10;
	u32(&s, 20);
	memcpy(s.b + s.n, rec.b + 10, 20);
	s.n += 20;
	u32(&s, 0x80000000u | (uint32_t)(rec.n - 30));
	memcpy(s.b + s.n, rec.b + 30, rec.n - 30);
	s.n += rec.n - 30;
	call(&rec, 3, 100000, 3, 4);
	u32(&s, 0x80000000u | (uint32_t)rec.n);
	memcpy(s.b + s.n, rec.b, rec.n);
	s.n += rec.n;
	save("fuzz_record", "getaddr_3frags_dump", s.b, s.n);

	/* A record over the cap (header claims 0x7fffffff). */
	s.n = 0;
	s.b[s.n++] = 0x00;
	s.b[s.n++] = 3;
	u32(&s, 0xffffffffu);
	u32(&s, 0);
	save("fuzz_record", "huge_header", s.b, s.n);

	/* Small cap (64): a 60 + 8 byte record fails on its second header. */
	s.n = 0;
	s.b[s.n++] = 0x08;
	s.b[s.n++] = 31;
	u32(&s, 60);
	memset(s.b + s.n, 0, 60);
	s.n += 60;
	u32(&s, 0x80000008u);
	u32(&s, 0);
	u32(&s, 0);
	save("fuzz_record", "small_cap_overflow", s.b, s.n);

	/* Lookups (hits and misses) then GETSTAT, so that the per-program
	 * lookup records are encoded. */
	s.n = 0;
	s.b[s.n++] = 0x00;
	s.b[s.n++] = 255;
	static const struct { uint32_t vers, proc, prog, pvers; } looks[] = {
		{4, 3, 100003, 3}, {4, 3, 100099, 1}, {3, 3, 100005, 1},
		{2, 3, 100003, 3}, {4, 9, 100003, 4}, {4, 11, 100003, 3},
		{4, 12, 0, 0},
	};
	for (size_t i = 0; i < sizeof(looks) / sizeof(looks[0]); i++) {
		call(&rec, 10 + (uint32_t)i, 100000, looks[i].vers, looks[i].proc);
		if (looks[i].vers == 2) {
			u32(&rec, looks[i].prog); u32(&rec, looks[i].pvers);
			u32(&rec, 6); u32(&rec, 0);
		} else if (looks[i].proc != 12) {
			rpcb(&rec, looks[i].prog, looks[i].pvers, "", "", "");
		}
		u32(&s, 0x80000000u | (uint32_t)rec.n);
		memcpy(s.b + s.n, rec.b, rec.n);
		s.n += rec.n;
	}
	save("fuzz_record", "lookups_then_getstat", s.b, s.n);

	/* A SET over a stream (AF_LOCAL as root mutates). */
	call(&rec, 4, 100000, 3, 1);
	rpcb(&rec, 100099, 1, "tcp", "0.0.0.0.7.208", "");
	s.n = 0;
	s.b[s.n++] = 0x01;
	s.b[s.n++] = 2;
	s.b[s.n++] = 40;
	u32(&s, 0x80000000u | (uint32_t)rec.n);
	memcpy(s.b + s.n, rec.b, rec.n);
	s.n += rec.n;
	save("fuzz_record", "set_stream", s.b, s.n);
}

static void uaddr_seeds(void)
{
	static const struct { uint8_t fam; const char *s; const char *name; } u[] = {
		{0, "127.0.0.1.0.111", "v4_loopback"},
		{0, "0.0.0.0.8.1", "v4_wildcard"},
		{0, "1.2.3.4.256.1", "v4_bad_port"},
		{1, "::1.0.111", "v6_loopback"},
		{1, "::.0.111", "v6_wildcard"},
		{1, "fe80::1.3.233", "v6_linklocal"},
		{1, "2001:db8::1:0:0:1.0.1", "v6_two_runs"},
		{1, "::ffff:127.0.0.1.0.111", "v6_mapped"},
		{2, "/run/rpcbind.sock", "local_path"},
		{3, "udp6", "netid"},
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		uint8_t b[256];
		size_t n = strlen(u[i].s);
		b[0] = u[i].fam;
		memcpy(b + 1, u[i].s, n);
		save("fuzz_uaddr", u[i].name, b, n + 1);
	}
	/* Raw sockaddrs. */
	uint8_t b[64];
	b[0] = 0;
	memcpy(b + 1, sin_lo, sizeof(sin_lo));
	save("fuzz_uaddr", "sockaddr_in", b, 1 + sizeof(sin_lo));
	b[0] = 1;
	memcpy(b + 1, sin6_lo, sizeof(sin6_lo));
	save("fuzz_uaddr", "sockaddr_in6", b, 1 + sizeof(sin6_lo));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	static const char *const sub[] = {"fuzz_handle", "fuzz_record", "fuzz_uaddr"};
	for (size_t i = 0; i < 3; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", outdir, sub[i]);
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	handle_seeds();
	record_seeds();
	uaddr_seeds();
	return 0;
}
