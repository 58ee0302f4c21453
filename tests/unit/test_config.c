/* Command-line parsing: defaults, rpcbind's flags, -h, the long options in
 * both "--opt V" and "--opt=V" forms, and error messages naming the option. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "core/config.h"

/* argv wants char *const[]; string literals are const under
 * -Wwrite-strings, so the arguments are copied into writable storage. */
#define MAXARGS 40
static char arg_store[MAXARGS][300];

static int run(struct rb_config *c, enum rb_config_action *act, char *err,
	       size_t errcap, int n, const char *const args[])
{
	char *argv[MAXARGS + 2];

	snprintf(arg_store[0], sizeof(arg_store[0]), "ringbind");
	argv[0] = arg_store[0];
	for (int i = 0; i < n && i < MAXARGS; i++) {
		snprintf(arg_store[i + 1], sizeof(arg_store[i + 1]), "%s", args[i]);
		argv[i + 1] = arg_store[i + 1];
	}
	argv[n + 1] = NULL;
	rb_config_defaults(c);
	return rb_config_parse(c, n + 1, argv, act, err, errcap);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__})
#define NARGS(...) ((int)(sizeof(ARGS(__VA_ARGS__)) / sizeof(const char *)))
/* Parses a fresh default config; returns rc and fills c, action, err. */
#define PARSE(c, action, err, ...)                                            \
	run((c), (action), (err), sizeof(err), NARGS(__VA_ARGS__),            \
	    ARGS(__VA_ARGS__))

static void test_defaults(void)
{
	struct rb_config c;
	enum rb_config_action act = RB_CONFIG_HELP;
	char err[128];
	char prog[] = "ringbind";
	char *const argv[] = {prog, NULL};

	rb_config_defaults(&c);
	CHECK_EQ_U(c.port, 111);
	CHECK_EQ_U(c.workers, 0);
	CHECK_EQ_U(c.backend, RB_BACKEND_AUTO);
	CHECK_EQ_U(c.nhosts, 0);
	CHECK(!c.foreground);
	CHECK(!c.insecure);
	CHECK(!c.debug);
	CHECK(!c.remote_calls);
	CHECK(!c.abort_on_err);
	CHECK(!c.log_calls);
	CHECK(!c.secure_user);
	CHECK(c.state_dir[0] != '\0');

	CHECK_EQ_U(rb_config_parse(&c, 1, argv, &act, err, sizeof(err)), 0);
	CHECK_EQ_U(act, RB_CONFIG_RUN);
	CHECK_EQ_U(c.port, 111);
	CHECK(!c.insecure);
}

static void test_flags(void)
{
	struct rb_config c;
	enum rb_config_action act;
	char err[128];

	CHECK_EQ_U(PARSE(&c, &act, err, "-f"), 0);
	CHECK(c.foreground);
	CHECK(!c.insecure);
	CHECK_EQ_U(act, RB_CONFIG_RUN);
	CHECK_EQ_U(PARSE(&c, &act, err, "-w"), 0);
	CHECK(c.warm_start);
	CHECK_EQ_U(PARSE(&c, &act, err, "-i"), 0);
	CHECK(c.insecure);
	CHECK(!c.foreground);
	CHECK_EQ_U(PARSE(&c, &act, err, "-d"), 0);
	CHECK(c.debug);
	CHECK_EQ_U(PARSE(&c, &act, err, "-r"), 0);
	CHECK(c.remote_calls);
	CHECK_EQ_U(PARSE(&c, &act, err, "-a"), 0);
	CHECK(c.abort_on_err);
	CHECK_EQ_U(PARSE(&c, &act, err, "-l"), 0);
	CHECK(c.log_calls);
	CHECK_EQ_U(PARSE(&c, &act, err, "-s"), 0);
	CHECK(c.secure_user);
	CHECK(!c.log_calls);

	CHECK_EQ_U(PARSE(&c, &act, err, "-f", "-w", "-i", "-r", "-l", "-s",
			 "-a", "-d"), 0);
	CHECK(c.foreground && c.warm_start && c.insecure && c.remote_calls &&
	      c.log_calls && c.secure_user && c.abort_on_err && c.debug);
	CHECK_EQ_U(c.port, 111);
	CHECK_EQ_U(act, RB_CONFIG_RUN);
}

static void test_hosts(void)
{
	struct rb_config c;
	enum rb_config_action act;
	char err[128];

	CHECK_EQ_U(PARSE(&c, &act, err, "-h", "192.0.2.1", "-f", "-h",
			 "2001:db8::1"), 0);
	CHECK_EQ_U(c.nhosts, 2);
	CHECK_STR(c.hosts[0], "192.0.2.1");
	CHECK_STR(c.hosts[1], "2001:db8::1");
	CHECK(c.foreground);

	/* Missing argument. */
	CHECK(PARSE(&c, &act, err, "-h") == -EINVAL);
	CHECK(err[0] != '\0');

	/* RB_CONFIG_HOSTS_MAX fit, one more does not. */
	char *argv[2 + 2 * (RB_CONFIG_HOSTS_MAX + 1)];
	char names[RB_CONFIG_HOSTS_MAX + 1][16];
	char prog[] = "ringbind", dash_h[] = "-h";
	int argc = 0;
	argv[argc++] = prog;
	for (unsigned i = 0; i < RB_CONFIG_HOSTS_MAX + 1; i++) {
		snprintf(names[i], sizeof(names[i]), "10.0.0.%u", i + 1);
		argv[argc++] = dash_h;
		argv[argc++] = names[i];
	}
	argv[argc] = NULL;
	rb_config_defaults(&c);
	CHECK_EQ_U(rb_config_parse(&c, argc - 2, argv, &act, err, sizeof(err)), 0);
	CHECK_EQ_U(c.nhosts, RB_CONFIG_HOSTS_MAX);
	CHECK_STR(c.hosts[RB_CONFIG_HOSTS_MAX - 1], names[RB_CONFIG_HOSTS_MAX - 1]);
	rb_config_defaults(&c);
	err[0] = '\0';
	CHECK(rb_config_parse(&c, argc, argv, &act, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "-h") != NULL);

	/* A host of RB_CONFIG_HOST_LEN - 1 characters fits, one more not. */
	char h[RB_CONFIG_HOST_LEN + 1];
	memset(h, 'a', sizeof(h));
	h[RB_CONFIG_HOST_LEN - 1] = '\0';
	CHECK_EQ_U(PARSE(&c, &act, err, "-h", h), 0);
	CHECK_STR(c.hosts[0], h);
	h[RB_CONFIG_HOST_LEN - 1] = 'a';
	h[RB_CONFIG_HOST_LEN] = '\0';
	CHECK(PARSE(&c, &act, err, "-h", h) == -EINVAL);
}

static void test_port(void)
{
	struct rb_config c;
	enum rb_config_action act;
	char err[128];

	CHECK_EQ_U(PARSE(&c, &act, err, "--port", "99"), 0);
	CHECK_EQ_U(c.port, 99);
	CHECK_EQ_U(PARSE(&c, &act, err, "--port=99"), 0);
	CHECK_EQ_U(c.port, 99);
	CHECK_EQ_U(PARSE(&c, &act, err, "--port", "1"), 0);
	CHECK_EQ_U(c.port, 1);
	CHECK_EQ_U(PARSE(&c, &act, err, "--port=65535"), 0);
	CHECK_EQ_U(c.port, 65535);

	static const char *const bad[] = {"0", "70000", "abc", "", "-1",
					  "99x", "65536",
					  "99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		int rc = PARSE(&c, &act, err, "--port", bad[i]);
		rb_check.checks++;
		if (rc != -EINVAL || !strstr(err, "port")) {
			rb_check.failures++;
			fprintf(stderr, "--port '%s': rc %d err '%s'\n", bad[i],
				rc, err);
		}
		char eq[64];
		snprintf(eq, sizeof(eq), "--port=%s", bad[i]);
		err[0] = '\0';
		rc = PARSE(&c, &act, err, eq);
		rb_check.checks++;
		if (rc != -EINVAL || !strstr(err, "port")) {
			rb_check.failures++;
			fprintf(stderr, "'%s': rc %d err '%s'\n", eq, rc, err);
		}
	}
	/* Missing value. */
	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "--port") == -EINVAL);
	CHECK(strstr(err, "port") != NULL);
	/* The last one wins. */
	CHECK_EQ_U(PARSE(&c, &act, err, "--port", "5", "--port=6"), 0);
	CHECK_EQ_U(c.port, 6);
}

static void test_workers_backend_state(void)
{
	struct rb_config c;
	enum rb_config_action act;
	char err[128];

	CHECK_EQ_U(PARSE(&c, &act, err, "--workers", "0"), 0);
	CHECK_EQ_U(c.workers, 0);
	CHECK_EQ_U(PARSE(&c, &act, err, "--workers=4"), 0);
	CHECK_EQ_U(c.workers, 4);
	char max[16], over[16];
	snprintf(max, sizeof(max), "%u", RB_CONFIG_WORKERS_MAX);
	snprintf(over, sizeof(over), "%u", RB_CONFIG_WORKERS_MAX + 1);
	CHECK_EQ_U(PARSE(&c, &act, err, "--workers", max), 0);
	CHECK_EQ_U(c.workers, RB_CONFIG_WORKERS_MAX);
	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "--workers", over) == -EINVAL);
	CHECK(strstr(err, "workers") != NULL);
	CHECK(PARSE(&c, &act, err, "--workers", "many") == -EINVAL);
	CHECK(PARSE(&c, &act, err, "--workers=-2") == -EINVAL);

	CHECK_EQ_U(PARSE(&c, &act, err, "--backend", "uring"), 0);
	CHECK_EQ_U(c.backend, RB_BACKEND_URING);
	CHECK_EQ_U(PARSE(&c, &act, err, "--backend=epoll"), 0);
	CHECK_EQ_U(c.backend, RB_BACKEND_EPOLL);
	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "--backend", "bogus") == -EINVAL);
	CHECK(strstr(err, "backend") != NULL);
	CHECK(PARSE(&c, &act, err, "--backend") == -EINVAL);

	/* --socket-steering (issue 16): the kernel's hash by default. */
	CHECK_EQ_U(c.steering, RB_STEER_HASH);
	CHECK_EQ_U(PARSE(&c, &act, err, "--socket-steering", "cpu"), 0);
	CHECK_EQ_U(c.steering, RB_STEER_CPU);
	CHECK_EQ_U(PARSE(&c, &act, err, "--socket-steering=hash"), 0);
	CHECK_EQ_U(c.steering, RB_STEER_HASH);
	CHECK_EQ_U(PARSE(&c, &act, err, "--socket-steering", "random"), 0);
	CHECK_EQ_U(c.steering, RB_STEER_RANDOM);
	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "--socket-steering", "roundrobin") == -EINVAL);
	CHECK(strstr(err, "socket-steering") != NULL);
	CHECK(PARSE(&c, &act, err, "--socket-steering") == -EINVAL);

	CHECK_EQ_U(PARSE(&c, &act, err, "--state-dir", "/var/lib/ringbind"), 0);
	CHECK_STR(c.state_dir, "/var/lib/ringbind");
	CHECK_EQ_U(PARSE(&c, &act, err, "--state-dir=/tmp/x"), 0);
	CHECK_STR(c.state_dir, "/tmp/x");
	char longdir[RB_CONFIG_PATH_MAX + 2];
	memset(longdir, 'd', sizeof(longdir));
	longdir[0] = '/';
	longdir[RB_CONFIG_PATH_MAX] = '\0';
	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "--state-dir", longdir) == -EINVAL);
	CHECK(strstr(err, "state-dir") != NULL);
	CHECK(PARSE(&c, &act, err, "--state-dir") == -EINVAL);
}

static void test_limits(void)
{
	struct rb_config c;
	enum rb_config_action act;
	char err[128];

	rb_config_defaults(&c);
	CHECK_EQ_U(c.limits.idle_timeout_ms, RB_CONFIG_IDLE_TIMEOUT_MS);
	CHECK_EQ_U(c.limits.blocked_timeout_ms, RB_CONFIG_BLOCKED_TIMEOUT_MS);
	CHECK_EQ_U(c.limits.conn_per_worker, RB_CONFIG_CONN_PER_WORKER);
	CHECK_EQ_U(c.limits.conn_total, RB_CONFIG_CONN_TOTAL);
	CHECK_EQ_U(c.limits.unsent_max, RB_CONFIG_UNSENT_MAX);

	CHECK_EQ_U(PARSE(&c, &act, err, "--idle-timeout", "30000",
			 "--blocked-timeout=2000", "--max-unsent", "65536",
			 "--max-conn-per-worker=100", "--max-conn", "1000"), 0);
	CHECK_EQ_U(c.limits.idle_timeout_ms, 30000);
	CHECK_EQ_U(c.limits.blocked_timeout_ms, 2000);
	CHECK_EQ_U(c.limits.unsent_max, 65536);
	CHECK_EQ_U(c.limits.conn_per_worker, 100);
	CHECK_EQ_U(c.limits.conn_total, 1000);
	CHECK_EQ_U(c.port, 111);

	/* --max-conn and --max-conn-per-worker do not shadow each other. */
	CHECK_EQ_U(PARSE(&c, &act, err, "--max-conn=7"), 0);
	CHECK_EQ_U(c.limits.conn_total, 7);
	CHECK_EQ_U(c.limits.conn_per_worker, RB_CONFIG_CONN_PER_WORKER);
	CHECK_EQ_U(PARSE(&c, &act, err, "--max-conn-per-worker", "7"), 0);
	CHECK_EQ_U(c.limits.conn_per_worker, 7);
	CHECK_EQ_U(c.limits.conn_total, RB_CONFIG_CONN_TOTAL);

	static const char *const opts[] = {"--idle-timeout", "--blocked-timeout",
					   "--max-unsent", "--max-conn-per-worker",
					   "--max-conn"};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		static const char *const bad[] = {"0", "-1", "x", "", "5000000000000"};
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			err[0] = '\0';
			int rc = PARSE(&c, &act, err, opts[i], bad[k]);
			rb_check.checks++;
			if (rc != -EINVAL || !strstr(err, opts[i])) {
				rb_check.failures++;
				fprintf(stderr, "%s '%s': rc %d err '%s'\n",
					opts[i], bad[k], rc, err);
			}
		}
		err[0] = '\0';
		CHECK(PARSE(&c, &act, err, opts[i]) == -EINVAL);
		CHECK(strstr(err, opts[i]) != NULL);
	}
}

static void test_actions_and_errors(void)
{
	struct rb_config c;
	enum rb_config_action act;
	char err[128];

	act = RB_CONFIG_RUN;
	CHECK_EQ_U(PARSE(&c, &act, err, "--help"), 0);
	CHECK_EQ_U(act, RB_CONFIG_HELP);
	act = RB_CONFIG_RUN;
	CHECK_EQ_U(PARSE(&c, &act, err, "--version"), 0);
	CHECK_EQ_U(act, RB_CONFIG_VERSION);
	act = RB_CONFIG_RUN;
	CHECK_EQ_U(PARSE(&c, &act, err, "-f", "--help"), 0);
	CHECK_EQ_U(act, RB_CONFIG_HELP);

	const char *u = rb_config_usage();
	CHECK(u != NULL);
	if (u) {
		CHECK(strstr(u, "--port") != NULL);
		CHECK(strstr(u, "--workers") != NULL);
		CHECK(strstr(u, "--backend") != NULL);
		CHECK(strstr(u, "--state-dir") != NULL);
	}

	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "--bogus") == -EINVAL);
	CHECK(strstr(err, "--bogus") != NULL);
	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "-x") == -EINVAL);
	CHECK(strstr(err, "-x") != NULL);
	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "-f", "--ports=5") == -EINVAL);
	CHECK(strstr(err, "--ports") != NULL);
	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "--portx", "5") == -EINVAL);
	CHECK(strstr(err, "--portx") != NULL);
	err[0] = '\0';
	CHECK(PARSE(&c, &act, err, "stray") == -EINVAL);
	CHECK(err[0] != '\0');

	/* A tiny error buffer is still NUL-terminated within its size. */
	char tiny[6];
	memset(tiny, 'Z', sizeof(tiny));
	CHECK(run(&c, &act, tiny, sizeof(tiny), 1, ARGS("--bogus-option")) ==
	      -EINVAL);
	CHECK(memchr(tiny, '\0', sizeof(tiny)) != NULL);
}

RB_TEST_MAIN({
	test_defaults();
	test_flags();
	test_hosts();
	test_port();
	test_workers_backend_state();
	test_limits();
	test_actions_and_errors();
})
