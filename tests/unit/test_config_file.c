/* The config file (INI via libinih): every option by its long name, flags
 * as yes/no, lists one value per line, errors naming file, line and key;
 * the command line over the file (lists replaced, not merged); what a
 * SIGHUP may apply and what needs a restart. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "core/config.h"
#include "core/config_file.h"

static int load(struct rb_config *c, const char *text, char *err, size_t cap)
{
	rb_config_defaults(c);
	return rb_config_load_text(c, text, "test.conf", err, cap);
}

static void test_good_file(void)
{
	struct rb_config c;
	char err[256] = "";
	const char *text = "# a comment\n"
			   "; another\n"
			   "[ringbind]\n"
			   "workers = 4\n"
			   "backend = epoll\n"
			   "insecure = yes\n"
			   "Remote_Calls = true\n"
			   "warm-start = no\n"
			   "idle_timeout = 1000\n"
			   "max-conn = 77\n"
			   "trusted-net = 10.0.0.0/8\n"
			   "trusted-net = 2001:db8::/32\n"
			   "host = 192.0.2.1\n"
			   "log-level = debug\n"
			   "metrics = [::1]:9200\n"
			   "tcpmux = 127.0.0.1:1\n"
			   "tcpmux-service = Echo=7007\n"
			   "tcpmux-allow = 10.1.0.0/16\n"
			   "udp-refuse = drop\n"
			   "state-dir = /var/lib/ringbind\n";
	CHECK_EQ_U(load(&c, text, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_EQ_U(c.workers, 4);
	CHECK_EQ_U(c.backend, RB_BACKEND_EPOLL);
	CHECK(c.insecure);
	CHECK(c.remote_calls);
	CHECK(!c.warm_start);
	CHECK_EQ_U(c.limits.idle_timeout_ms, 1000);
	CHECK_EQ_U(c.limits.conn_total, 77);
	CHECK_EQ_U(c.ntrusted, 2);
	CHECK_EQ_U(c.nhosts, 1);
	CHECK_STR(c.hosts[0], "192.0.2.1");
	CHECK_EQ_U(c.log_level, RB_LOG_DEBUG);
	CHECK(c.debug);
	CHECK(c.metrics_on);
	CHECK_STR(c.metrics_host, "::1");
	CHECK_EQ_U(c.metrics_port, 9200);
	CHECK(c.tcpmux_on);
	CHECK_STR(c.tcpmux_host, "127.0.0.1");
	CHECK_EQ_U(c.tcpmux_port, 1);
	CHECK_EQ_U(c.ntcpmux_services, 1);
	CHECK_STR(c.tcpmux_services[0].name, "echo"); /* names are case-insensitive */
	CHECK_EQ_U(c.tcpmux_services[0].port, 7007);
	CHECK_EQ_U(c.ntcpmux_allow, 1);
	CHECK(c.udp_refuse_drop);
	CHECK_STR(c.state_dir, "/var/lib/ringbind");

	/* No section at all is fine too; an empty file changes nothing. */
	CHECK_EQ_U(load(&c, "port = 112\n", err, sizeof(err)), 0);
	CHECK_EQ_U(c.port, 112);
	CHECK_EQ_U(load(&c, "", err, sizeof(err)), 0);
	CHECK_EQ_U(c.port, 111);
	/* metrics = off */
	CHECK_EQ_U(load(&c, "metrics = off\n", err, sizeof(err)), 0);
	CHECK(!c.metrics_on);
}

/* Each bad file: the line that is wrong, and words the message must hold. */
static void test_errors(void)
{
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
		{ "workers = 2\nport = 0\n", "test.conf:2: port = 0: --port: expected 1..65535" },
		{ "[ringbind]\nidle-timeout = soon\n", "test.conf:2: idle-timeout = soon: --idle-timeout: expected" },
		{ "nonsense = 1\n", "test.conf:1: nonsense = 1: unknown option 'nonsense'" },
		{ "[elsewhere]\nport = 1\n", "test.conf:2: unknown section [elsewhere]" },
		{ "port = 5\njust words\n", "test.conf:2: syntax error" },
		{ "insecure = maybe\n", "test.conf:1: insecure = maybe: insecure: expected yes or no" },
		{ "config = /etc/other.conf\n", "test.conf:1: config: not allowed inside a config file" },
		{ "trusted-net = 10.0.0.0/33\n", "test.conf:1: trusted-net = 10.0.0.0/33: --trusted-net" },
		{ "metrics = localhost:9111\n", "test.conf:1: metrics = localhost:9111: --metrics: expected" },
		{ "tcpmux-service = a b=5\n", "--tcpmux-service: bad name" },
		{ "tcpmux-service = name\n", "--tcpmux-service: expected NAME=PORT" },
		{ "log-level = loud\n", "--log-level: expected err, warning" },
		/* The first error is reported, not a later one. */
		{ "port = x\nworkers = y\n", "test.conf:1: port = x" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rb_config c;
		char err[256] = "";
		int rc = load(&c, bad[i].text, err, sizeof(err));
		CHECK(rc == -EINVAL);
		if (!strstr(err, bad[i].want)) {
			fprintf(stderr, "bad file %zu: got '%s', want '%s'\n", i, err, bad[i].want);
			CHECK(0);
		}
	}
}

/* argv copies: string literals are const. */
static char store[16][128];
static int parse_over(struct rb_config *c, int n, const char *const args[])
{
	char *argv[17];
	enum rb_config_action act;
	char err[256];
	snprintf(store[0], sizeof(store[0]), "ringbind");
	argv[0] = store[0];
	for (int i = 0; i < n; i++) {
		snprintf(store[i + 1], sizeof(store[i + 1]), "%s", args[i]);
		argv[i + 1] = store[i + 1];
	}
	argv[n + 1] = NULL;
	return rb_config_parse(c, n + 1, argv, &act, err, sizeof(err));
}

static void test_command_line_over_file(void)
{
	struct rb_config c;
	char err[256];
	CHECK_EQ_U(load(&c, "port = 5\ntrusted-net = 10.0.0.0/8\ntrusted-net = 10.1.0.0/16\n"
			    "host = 192.0.2.1\nowner-quota = 7\n",
			err, sizeof(err)),
		   0);
	CHECK_EQ_U(c.ntrusted, 2);
	const char *const args[] = { "--port", "6", "--trusted-net", "172.16.0.0/12" };
	CHECK_EQ_U(parse_over(&c, 4, args), 0);
	CHECK_EQ_U(c.port, 6);            /* the command line wins */
	CHECK_EQ_U(c.owner_quota, 7);     /* what it does not say stays */
	CHECK_EQ_U(c.ntrusted, 1);        /* a list is replaced, not merged */
	CHECK_EQ_U(c.trusted[0].ip[0], 172);
	CHECK_EQ_U(c.nhosts, 1);          /* a list it does not name stays */
	const char *const args2[] = { "-h", "192.0.2.9", "-h", "192.0.2.10" };
	CHECK_EQ_U(parse_over(&c, 4, args2), 0);
	CHECK_EQ_U(c.nhosts, 2);          /* replaced once, then added to */
	CHECK_STR(c.hosts[0], "192.0.2.9");

	const char *const argv3[] = { "ringbind", "-f", "--config", "/x.conf", NULL };
	CHECK_STR(rb_config_find_file(4, (char *const *)(uintptr_t)argv3), "/x.conf");
	const char *const argv4[] = { "ringbind", "--config=/y.conf", NULL };
	CHECK_STR(rb_config_find_file(2, (char *const *)(uintptr_t)argv4), "/y.conf");
	const char *const argv5[] = { "ringbind", "-f", NULL };
	CHECK(rb_config_find_file(2, (char *const *)(uintptr_t)argv5) == NULL);
}

static void test_reload_split(void)
{
	struct rb_config old, n;
	char err[256], changed[256];
	CHECK_EQ_U(load(&old, "port = 111\nidle-timeout = 1000\n", err, sizeof(err)), 0);
	CHECK_EQ_U(load(&n, "port = 112\nworkers = 3\nidle-timeout = 2000\nlog-level = debug\n"
			    "trusted-net = 10.0.0.0/8\nmetrics = 127.0.0.1:9300\n",
			err, sizeof(err)),
		   0);
	CHECK_EQ_U(rb_config_restart_changes(&old, &n, changed, sizeof(changed)), 3);
	CHECK_STR(changed, "port, workers, metrics");
	rb_config_keep_restart(&n, &old);
	CHECK_EQ_U(n.port, 111);          /* kept as running */
	CHECK_EQ_U(n.workers, 0);
	CHECK_EQ_U(n.metrics_port, RB_CONFIG_METRICS_PORT);
	CHECK_EQ_U(n.limits.idle_timeout_ms, 2000); /* run-time: new */
	CHECK_EQ_U(n.log_level, RB_LOG_DEBUG);
	CHECK_EQ_U(n.ntrusted, 1);
	CHECK_EQ_U(rb_config_restart_changes(&old, &n, changed, sizeof(changed)), 0);
}

RB_TEST_MAIN({
	test_good_file();
	test_errors();
	test_command_line_over_file();
	test_reload_split();
})
