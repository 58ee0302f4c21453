/* Thread ownership, asserted. The design gives some objects to one thread
 * each (a worker and its connections, the control thread and its
 * connections, a worker's TCPMUX front and forwarding table, the counters a
 * worker writes): only that thread may touch them, which is why they need
 * no locks. An object that says so has a field `pthread_t owner`, set by
 * its thread before it first touches it; RB_ASSERT_OWNER(obj) at an entry
 * point aborts, naming the place, when another thread calls it (as BIND
 * 9's netmgr does with REQUIRE(sock->tid == isc_tid())).
 *
 * Active where RB_CHECK_OWNER is defined: debug and sanitizer builds
 * (cmake/ringbind.cmake); compiled out otherwise, so it costs the hot path
 * nothing in a release build. */
#ifndef RB_NET_BASE_OWNER_H
#define RB_NET_BASE_OWNER_H

#include <pthread.h>

#ifdef RB_CHECK_OWNER
#include <stdio.h>
#include <stdlib.h>

static inline void rb_owner_check(pthread_t owner, const char *what, const char *file, int line)
{
	if (pthread_equal(owner, pthread_self()))
		return;
	fprintf(stderr, "%s:%d: %s belongs to another thread (RB_ASSERT_OWNER)\n", file, line,
		what);
	abort();
}
#define RB_ASSERT_OWNER(obj) rb_owner_check((obj)->owner, #obj, __FILE__, __LINE__)
#else
#define RB_ASSERT_OWNER(obj) ((void)(obj))
#endif

#endif
