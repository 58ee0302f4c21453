/* RB_ASSERT_OWNER (net/base/owner.h): an object's owning thread passes,
 * any other thread aborts the process with a line naming the place. The
 * macro is compiled in here whatever the build. Where the build checks
 * ownership (Debug and sanitizer builds: RB_CHECK_OWNER from CMake), a
 * worker's real entry point (rb_worker_conn_wake) entered from a thread
 * that does not own the worker aborts too. Each abort happens in a forked
 * child; the parent checks it died of SIGABRT. No root; well under 1 s. */
#ifdef RB_CHECK_OWNER
#define BUILD_CHECKS_OWNER 1
#else
#define BUILD_CHECKS_OWNER 0
#define RB_CHECK_OWNER 1
#endif

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "net/base/owner.h"
#include "net/transport/worker.h"

struct rb_check_state rb_check;

struct thing {
	pthread_t owner;
	int n;
};

static void touch(struct thing *t)
{
	RB_ASSERT_OWNER(t);
	t->n++;
}

static void *touch_thread(void *arg)
{
	touch(arg);
	return NULL;
}

static void *wake_thread(void *arg)
{
	struct rb_worker *w = arg;
	struct rb_conn c;
	memset(&c, 0, sizeof(c));
	rb_worker_conn_wake(w, &c);
	return NULL;
}

/* Runs fn(arg) on a new thread in a forked child; returns the child's
 * wait status. */
static int in_child(void *(*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* The abort's own line is expected: keep the log quiet. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		pthread_t th;
		if (pthread_create(&th, NULL, fn, arg) != 0)
			_exit(2);
		pthread_join(th, NULL);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

static void test_macro(void)
{
	struct thing t = { .owner = pthread_self(), .n = 0 };
	touch(&t); /* the owner: passes */
	CHECK_EQ_U(t.n, 1);
	int st = in_child(touch_thread, &t);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

static void test_worker_entry(void)
{
	struct rb_worker *w = aligned_alloc(_Alignof(struct rb_worker), sizeof(*w));
	CHECK(w != NULL);
	if (!w)
		return;
	memset(w, 0, sizeof(*w));
	CHECK(rb_conn_queue_init(&w->ready, 4) == 0);
	w->owner = pthread_self();
	int st = in_child(wake_thread, w);
	if (BUILD_CHECKS_OWNER)
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	else /* compiled out: the call goes through */
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct rb_conn c;
	memset(&c, 0, sizeof(c));
	rb_worker_conn_wake(w, &c); /* its owner: passes */
	CHECK_EQ_U(w->ready.n, 1);
	rb_conn_queue_fini(&w->ready);
	free(w);
}

RB_TEST_MAIN(test_macro(); test_worker_entry())
