/* Why io_uring is not used (net/transport/uring_refusal.c): the sentence follows
 * the call that failed, its errno, the seccomp mode and the
 * kernel.io_uring_disabled sysctl, never the errno alone (issue 18: an
 * ENOSYS from podman's default seccomp profile was reported as a kernel
 * without io_uring). The cases a seccomp filter can make are also run
 * against the daemon by tests/deploy/check_uring_refusal.sh; the sysctl
 * cases only here. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "net/transport/uring_refusal.h"

static int has(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

static void test_sentences(void)
{
	struct rb_uring_env filtered = { .seccomp = 2, .disabled = -1 };
	struct rb_uring_env plain = { .seccomp = 0, .disabled = -1 };
	struct rb_uring_env off = { .seccomp = 0, .disabled = 2 };
	struct rb_uring_env group = { .seccomp = 0, .disabled = 1 };
	const char *s;

	s = rb_uring_refusal(RB_URING_CALL_SETUP, -ENOSYS, &filtered);
	CHECK(has(s, "io_uring_setup was refused by this process's seccomp filter"));
	CHECK(!has(s, "not in this kernel"));
	CHECK(has(s, "epoll backend serves"));
	s = rb_uring_refusal(RB_URING_CALL_SETUP, -ENOSYS, &plain);
	CHECK(has(s, "not in this kernel"));
	s = rb_uring_refusal(RB_URING_CALL_SETUP, -EPERM, &off);
	CHECK(has(s, "kernel.io_uring_disabled=2"));
	s = rb_uring_refusal(RB_URING_CALL_SETUP, -EPERM, &group);
	CHECK(has(s, "kernel.io_uring_disabled=1"));
	s = rb_uring_refusal(RB_URING_CALL_SETUP, -EPERM, &filtered);
	CHECK(has(s, "seccomp filter"));
	s = rb_uring_refusal(RB_URING_CALL_SETUP, -ENOMEM, &plain);
	CHECK(has(s, "ENOMEM"));
	s = rb_uring_refusal(RB_URING_CALL_REGISTER, -EPERM, &filtered);
	CHECK(has(s, "io_uring_register was refused by this process's seccomp filter"));
	CHECK(!has(s, "kernel <"));
	s = rb_uring_refusal(RB_URING_CALL_ENTER, -ENOSYS, &filtered);
	CHECK(has(s, "io_uring_enter was refused by this process's seccomp filter"));
	s = rb_uring_refusal(RB_URING_CALL_ENTER, -EACCES, &plain);
	CHECK(has(s, "no seccomp filter"));
	s = rb_uring_refusal(RB_URING_CALL_REGISTER, -EBUSY, &plain);
	CHECK(has(s, "io_uring_register failed"));

	/* This process's own values parse (a test runner may filter too). */
	struct rb_uring_env env = { .seccomp = 9, .disabled = 9 };
	rb_uring_env_read(&env);
	CHECK(env.seccomp >= 0 && env.seccomp <= 2);
	CHECK(env.disabled >= -1 && env.disabled <= 2);
}

RB_TEST_MAIN({ test_sentences(); })
