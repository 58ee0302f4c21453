/* The registry's keyed table at a size where probes collide: 200,000
 * registrations, then lookups of every key, of keys that differ from
 * registered ones in one field (netid case included: netids compare
 * exactly), and of keys never registered; removal of most of them (which makes the table rebuild);
 * lookups again. The entries table keeps hash tags in the pointer bits
 * (registry.c): a wrong tag must never hide an entry, and a matching tag
 * must never stand in for the full comparison. A large registry's memory
 * comes from the bulk allocator, which may refuse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "registry/store/registry.h"

#define N 200000u
#define PROG0 0x20000000u

static const char *netid_of(uint32_t i)
{
	static const char *const n[] = { "udp", "tcp", "udp6", "tcp6" };
	return n[i % 4];
}

static void uaddr_of(uint32_t i, char *buf, size_t len)
{
	snprintf(buf, len, "127.0.0.1.%u.%u", (i >> 8) & 255, i & 255);
}

/* Key i: programs PROG0 .. PROG0 + N/8, two versions, four netids. */
static uint32_t prog_of(uint32_t i)
{
	return PROG0 + i / 8;
}
static uint32_t vers_of(uint32_t i)
{
	return 1 + (i / 4) % 2;
}

static const struct rb_entry *find(struct rb_registry *reg, uint32_t i)
{
	const char *n = netid_of(i);
	return rb_lookup(reg, prog_of(i), vers_of(i), n, strlen(n));
}

static unsigned check_all(struct rb_registry *reg, uint32_t from, uint32_t to,
			  uint32_t removed_below)
{
	unsigned wrong = 0;
	char want[64];
	for (uint32_t i = from; i < to; i++) {
		const struct rb_entry *e = find(reg, i);
		if (i < removed_below) {
			wrong += e != NULL;
			continue;
		}
		uaddr_of(i, want, sizeof(want));
		if (!e || e->prog != prog_of(i) || e->vers != vers_of(i) ||
		    strcmp(rb_entry_uaddr(e), want) != 0)
			wrong++;
	}
	return wrong;
}

/* A bulk allocator (registry.h) that counts what it is asked for and
 * refuses every other request, which the registry must take from malloc. */
struct bulk_count {
	unsigned entries, maps, refused;
};

static void *bulk_count_alloc(void *arg, size_t n)
{
	struct bulk_count *c = arg;
	if (n >= RB_REGISTRY_BULK_MAP_MIN)
		c->maps++;
	else
		c->entries++;
	if ((c->entries + c->maps) % 2) {
		c->refused++;
		return NULL;
	}
	return malloc(n);
}

static void run(void)
{
	struct rb_registry *reg;
	CHECK_EQ_U(rb_registry_new(&reg), 0);
	struct rb_reader *r = rb_registry_reader(reg);
	CHECK(r != NULL);
	struct bulk_count bulk = { 0 };
	struct rb_registry_bulk b = { .alloc = bulk_count_alloc, .arg = &bulk };
	rb_registry_set_bulk(reg, &b);

	char ua[64];
	unsigned failed = 0;
	for (uint32_t i = 0; i < N; i++) {
		uaddr_of(i, ua, sizeof(ua));
		failed += rb_registry_set(reg, prog_of(i), vers_of(i), netid_of(i),
					  ua, "superuser") != RB_SET_ADDED;
	}
	CHECK_EQ_U(failed, 0);
	CHECK_EQ_U(rb_registry_count(reg), N);
	/* Entries from RB_REGISTRY_LARGE on, and the maps of 2 MiB and more
	 * (the entries table's 512 Ki slots), asked of the bulk allocator;
	 * half refused, and every SET went through all the same. */
	CHECK_EQ_U(bulk.entries, N - RB_REGISTRY_LARGE);
	CHECK(bulk.maps >= 1);
	CHECK(bulk.refused > 0);

	rb_reader_begin(r);
	CHECK_EQ_U(check_all(reg, 0, N, 0), 0);

	/* One field off: the other version number, a program past the
	 * range, a netid of the same length but another name. */
	unsigned found = 0;
	for (uint32_t i = 0; i < N; i += 7) {
		found += rb_lookup(reg, prog_of(i), vers_of(i) + 2, netid_of(i),
				   strlen(netid_of(i))) != NULL;
		found += rb_lookup(reg, prog_of(i) + N, vers_of(i), netid_of(i),
				   strlen(netid_of(i))) != NULL;
		found += rb_lookup(reg, prog_of(i), vers_of(i), "xdp", 3) != NULL;
	}
	CHECK_EQ_U(found, 0);

	/* Netids compare exactly: "TCP6" and "Tcp" are other keys. */
	const struct rb_entry *e = rb_lookup(reg, prog_of(3), vers_of(3), "TCP6", 4);
	CHECK(e == NULL);
	e = rb_lookup(reg, prog_of(1), vers_of(1), "Tcp", 3);
	CHECK(e == NULL);

	/* The version fallback goes through the same table first. */
	e = rb_lookup_any_version(reg, prog_of(0), 9, "udp", 3);
	CHECK(e != NULL && e->prog == prog_of(0));
	rb_reader_end(r);

	/* A second SET of a key: same uaddr TRUE, another uaddr refused. */
	uaddr_of(5, ua, sizeof(ua));
	CHECK_EQ_U(rb_registry_set(reg, prog_of(5), vers_of(5), netid_of(5), ua, "superuser"),
		   RB_SET_SAME);
	CHECK(rb_registry_set(reg, prog_of(5), vers_of(5), netid_of(5), "127.0.0.1.9.9",
			      "superuser") == -EEXIST);

	/* Remove the first 3/4 (far more tombstones than live entries: the
	 * table is rebuilt on the way), then look everything up again. */
	const uint32_t cut = N / 4 * 3;
	unsigned removed_total = 0;
	for (uint32_t i = 0; i < cut; i++) {
		unsigned removed = 0;
		if (rb_registry_unset(reg, prog_of(i), vers_of(i), netid_of(i), NULL,
				      &removed) == 0)
			removed_total += removed;
	}
	CHECK_EQ_U(removed_total, cut);
	CHECK_EQ_U(rb_registry_count(reg), N - cut);
	rb_registry_reclaim(reg);

	rb_reader_begin(r);
	CHECK_EQ_U(check_all(reg, 0, N, cut), 0);
	rb_reader_end(r);

	/* Registered again after removal: found with the new address. */
	for (uint32_t i = 0; i < 1000; i++) {
		snprintf(ua, sizeof(ua), "127.0.0.2.%u.%u", (i >> 8) & 255, i & 255);
		CHECK_EQ_U(rb_registry_set(reg, prog_of(i), vers_of(i), netid_of(i), ua,
					   "superuser"),
			   RB_SET_ADDED);
	}
	rb_reader_begin(r);
	unsigned wrong = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		snprintf(ua, sizeof(ua), "127.0.0.2.%u.%u", (i >> 8) & 255, i & 255);
		e = find(reg, i);
		wrong += !e || strcmp(rb_entry_uaddr(e), ua) != 0;
	}
	CHECK_EQ_U(wrong, 0);
	rb_reader_end(r);

	rb_reader_release(r);
	rb_registry_synchronize(reg);
	rb_registry_free(reg);
}

/* Netids compare exactly, as RFC 5665's netid registry spells them: a
 * registration under "UDP" or "TCP" is an unknown netid that no "udp"/"tcp"
 * lookup may find. Otherwise a non-root registrant could get past the
 * owner-port check (which knows only the lowercase names) with "TCP" and
 * still answer every "tcp" lookup. */
static void netid_case(void)
{
	struct rb_registry *reg;
	CHECK_EQ_U(rb_registry_new(&reg), 0);
	struct rb_reader *r = rb_registry_reader(reg);
	CHECK(r != NULL);
	const uint32_t p = PROG0 + N; /* a program of its own */

	/* (P,3,"UDP") answers neither (P,2,"udp") nor (P,3,"udp"). */
	CHECK_EQ_U(rb_registry_set(reg, p, 3, "UDP", "0.0.0.0.8.1", "1000"), RB_SET_ADDED);
	rb_reader_begin(r);
	CHECK(rb_lookup_any_version(reg, p, 2, "udp", 3) == NULL);
	CHECK(rb_lookup_any_version(reg, p, 3, "udp", 3) == NULL);
	CHECK(rb_lookup(reg, p, 3, "udp", 3) == NULL);
	const struct rb_entry *e = rb_lookup_any_version(reg, p, 2, "UDP", 3);
	CHECK(e != NULL && e->vers == 3);
	rb_reader_end(r);

	/* "tcp" and "TCP" of one (prog, vers) are two entries, each with its
	 * own address: neither SET is a duplicate of the other. */
	CHECK_EQ_U(rb_registry_set(reg, p, 1, "tcp", "0.0.0.0.8.2", "superuser"),
		   RB_SET_ADDED);
	CHECK_EQ_U(rb_registry_set(reg, p, 1, "TCP", "0.0.0.0.8.3", "superuser"),
		   RB_SET_ADDED);
	CHECK_EQ_U(rb_registry_count(reg), 3);
	rb_reader_begin(r);
	e = rb_lookup(reg, p, 1, "tcp", 3);
	CHECK(e != NULL && strcmp(rb_entry_uaddr(e), "0.0.0.0.8.2") == 0);
	e = rb_lookup(reg, p, 1, "TCP", 3);
	CHECK(e != NULL && strcmp(rb_entry_uaddr(e), "0.0.0.0.8.3") == 0);
	rb_reader_end(r);

	/* UNSET of "TCP" leaves "tcp"; UNSET of "Tcp" removes nothing. */
	unsigned removed = 9;
	CHECK_EQ_U(rb_registry_unset(reg, p, 1, "Tcp", NULL, &removed), 0);
	CHECK_EQ_U(removed, 0);
	CHECK_EQ_U(rb_registry_unset(reg, p, 1, "TCP", NULL, &removed), 0);
	CHECK_EQ_U(removed, 1);
	rb_registry_reclaim(reg);
	rb_reader_begin(r);
	e = rb_lookup(reg, p, 1, "tcp", 3);
	CHECK(e != NULL && strcmp(rb_entry_uaddr(e), "0.0.0.0.8.2") == 0);
	CHECK(rb_lookup(reg, p, 1, "TCP", 3) == NULL);
	rb_reader_end(r);

	rb_reader_release(r);
	rb_registry_synchronize(reg);
	rb_registry_free(reg);
}

RB_TEST_MAIN(run(); netid_case())
