/* The stale scan's housekeeping thread (net/control/stale.h) walks the registry as
 * a reader while this thread, the writer, churns SET/UNSET and reclaims:
 * every scan must end (rc 0, its wake-up written), and list every stable
 * registration (tcp port 1: nothing listens there), whatever the churn.
 * Under TSan (-DRB_SANITIZE=thread) any race is a report and a failure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net/control/stale.h"
#include "registry/store/registry.h"

#define STABLE 16u
#define CHURN_KEYS 256u
#define SCANS 20u

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool listed(const struct rb_stale *st, uint32_t prog)
{
	for (uint32_t i = 0; i < st->n; i++)
		if (st->v[i].prog == prog && st->v[i].vers == 1 &&
		    strcmp(st->v[i].uaddr, "0.0.0.0.0.1") == 0)
			return true;
	return false;
}

static void run(void)
{
	struct rb_registry *reg = NULL;
	CHECK(rb_registry_new(&reg) == 0);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(efd >= 0);
	if (!reg || efd < 0)
		return;
	for (uint32_t i = 0; i < STABLE; i++)
		CHECK(rb_registry_set(reg, 0x30000000u + i, 1, "tcp", "0.0.0.0.0.1",
				      "superuser") == RB_SET_ADDED);
	static struct rb_stale prev; /* empty: every entry is new */
	struct rb_stale_bg bg;
	memset(&bg, 0, sizeof(bg));
	uint32_t op = 0;
	bool present[CHURN_KEYS] = { false };
	for (unsigned s = 0; s < SCANS; s++) {
		CHECK(rb_stale_scan_start(&bg, reg, &prev, mono_ms(), efd) == 0);
		CHECK(rb_stale_scan_start(&bg, reg, &prev, mono_ms(), efd) == -EBUSY);
		int r;
		uint64_t t0 = mono_ms();
		while ((r = rb_stale_scan_poll(&bg, false)) == -EINPROGRESS) {
			/* The writer's churn while the scan walks. */
			uint32_t k = (op * 2654435761u) % CHURN_KEYS;
			char ua[32];
			snprintf(ua, sizeof(ua), "0.0.0.0.%u.%u", 4 + k % 200, op & 255u);
			if (present[k]) {
				unsigned removed = 0;
				CHECK(rb_registry_unset(reg, 0x31000000u + k, 1, "tcp", NULL,
							&removed) == 0);
				present[k] = false;
			} else {
				CHECK(rb_registry_set(reg, 0x31000000u + k, 1, "tcp", ua,
						      "superuser") == RB_SET_ADDED);
				present[k] = true;
			}
			if ((++op & 31u) == 0)
				rb_registry_reclaim(reg);
			if (mono_ms() - t0 > 20000u)
				break;
		}
		if (r == -EINPROGRESS)
			r = rb_stale_scan_poll(&bg, true);
		CHECK_EQ_U(r, 0);
		uint64_t v = 0;
		CHECK(read(efd, &v, sizeof(v)) == (ssize_t)sizeof(v)); /* woken */
		CHECK_EQ_U(bg.out->scans, s + 1u);
		for (uint32_t i = 0; i < STABLE; i++)
			CHECK(listed(bg.out, 0x30000000u + i));
		prev = *bg.out; /* as the control thread keeps the last list */
	}
	/* Stopping a scan that runs: cancelled and joined, out freed. */
	CHECK(rb_stale_scan_start(&bg, reg, &prev, mono_ms(), efd) == 0);
	rb_stale_scan_stop(&bg);
	CHECK(!rb_stale_scan_running(&bg) && bg.out == NULL);
	printf("%u scans against %u writer operations\n", SCANS, op);
	rb_registry_synchronize(reg);
	rb_registry_free(reg);
	close(efd);
}

RB_TEST_MAIN(run())
