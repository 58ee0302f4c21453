#include "net/control/stale.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/uaddr.h"
#include "net/transport/mailbox.h"

/* Bound ports, one bit each, per protocol. */
struct bound {
	uint8_t tcp[65536 / 8];
	uint8_t udp[65536 / 8];
};

static void mark(uint8_t *set, unsigned port)
{
	set[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static bool is_set(const uint8_t *set, unsigned port)
{
	return set[port >> 3] & (1u << (port & 7));
}

/* /proc/net/{tcp,udp}[6]: "sl local_address rem_address st ...", with
 * local_address "HEXIP:HEXPORT" and st 0A = LISTEN for TCP. */
static int read_inet(const char *path, uint8_t *set, bool listen_only)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno; /* no IPv6: nothing bound */
	char line[512];
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char local[128];
		unsigned st;
		if (sscanf(line, " %*u: %127s %*s %x", local, &st) != 2)
			continue;
		const char *colon = strrchr(local, ':');
		if (!colon)
			continue;
		unsigned long port = strtoul(colon + 1, NULL, 16);
		if (port > 65535 || (listen_only && st != 0x0A))
			continue;
		mark(set, (unsigned)port);
	}
	fclose(f);
	return 0;
}

/* /proc/net/unix: the path, when a socket has one, is the 8th field. */
static bool unix_path_bound(const char *path)
{
	FILE *f = fopen("/proc/net/unix", "re");
	if (!f)
		return true; /* cannot tell: not stale */
	char line[512];
	bool found = false;
	size_t n = strlen(path);
	while (!found && fgets(line, sizeof(line), f)) {
		size_t l = strcspn(line, "\n");
		line[l] = '\0';
		if (l >= n && strcmp(line + l - n, path) == 0 && (l == n || line[l - n - 1] == ' '))
			found = true;
	}
	fclose(f);
	return found;
}

static bool entry_stale(const struct rb_entry *e, const struct bound *b)
{
	if (e->prog == 100000u) /* our own */
		return false;
	if (e->family == RB_AF_LOCAL)
		return !unix_path_bound(rb_entry_uaddr(e));
	if (e->family != RB_AF_INET && e->family != RB_AF_INET6)
		return false; /* a netid we cannot judge */
	if (e->port == 0)
		return false;
	/* tcp and tcp6 (udp, udp6) count together: a dual-stack socket
	 * bound to [::] serves both and shows only in the *6 table. */
	return !is_set(e->stream ? b->tcp : b->udp, e->port);
}

static uint64_t known_since(const struct rb_stale *old, uint32_t n_old,
			    const struct rb_entry *e, uint64_t now_ms)
{
	for (uint32_t i = 0; i < n_old; i++) {
		const struct rb_stale_entry *s = &old->v[i];
		if (s->prog == e->prog && s->vers == e->vers && strcmp(s->netid, e->netid) == 0 &&
		    strcmp(s->uaddr, rb_entry_uaddr(e)) == 0)
			return s->since_ms;
	}
	return now_ms;
}

/* The tables are read before the walk, outside any reader section (they
 * are the slow part, and a long section holds back the writer's reclaim).
 * With rd, the walk runs inside rd's section (any thread); without, on the
 * writer thread. cancel (may be NULL) stops it early with -ECANCELED. */
static int scan(struct rb_stale *st, const struct rb_registry *reg, uint64_t now_ms,
		struct rb_reader *rd, atomic_bool *cancel)
{
	struct bound *b = calloc(1, sizeof(*b));
	struct rb_stale *old = malloc(sizeof(*old));
	int r = 0;
	if (!b || !old) {
		r = -ENOMEM;
		goto out;
	}
	static const struct {
		const char *path;
		bool tcp;
	} tables[] = {
		{ "/proc/net/tcp", true },
		{ "/proc/net/tcp6", true },
		{ "/proc/net/udp", false },
		{ "/proc/net/udp6", false },
	};
	for (size_t k = 0; k < sizeof(tables) / sizeof(tables[0]); k++) {
		if (cancel && atomic_load_explicit(cancel, memory_order_relaxed)) {
			r = -ECANCELED;
			goto out;
		}
		/* TCP: listening sockets only; UDP: any bound one. */
		if ((r = read_inet(tables[k].path, tables[k].tcp ? b->tcp : b->udp,
				   tables[k].tcp)) < 0)
			goto out;
	}
	memcpy(old, st, sizeof(*old));
	st->n = 0;
	st->overflow = 0;
	if (rd)
		rb_reader_begin(rd);
	for (const struct rb_entry *e = rb_registry_first(reg); e; e = rb_registry_next(e)) {
		if (cancel && atomic_load_explicit(cancel, memory_order_relaxed)) {
			r = -ECANCELED;
			break;
		}
		if (!entry_stale(e, b))
			continue;
		if (st->n == RB_STALE_MAX) {
			st->overflow++;
			continue;
		}
		struct rb_stale_entry *s = &st->v[st->n++];
		s->prog = e->prog;
		s->vers = e->vers;
		snprintf(s->netid, sizeof(s->netid), "%s", e->netid);
		snprintf(s->uaddr, sizeof(s->uaddr), "%s", rb_entry_uaddr(e));
		s->since_ms = known_since(old, old->n, e, now_ms);
	}
	if (rd)
		rb_reader_end(rd);
	if (!r)
		st->scans++;
out:
	free(b);
	free(old);
	return r;
}

int rb_stale_scan(struct rb_stale *st, const struct rb_registry *reg, uint64_t now_ms)
{
	return scan(st, reg, now_ms, NULL, NULL);
}

static void *scan_thread(void *arg)
{
	struct rb_stale_bg *bg = arg;
	/* The lowest CPU weight, as the compaction's snapshot thread: the
	 * threads that answer calls go first. Failure only leaves it at the
	 * daemon's priority. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RB_STALE_SCAN_NICE);
	struct rb_reader *rd = rb_registry_reader(bg->reg);
	int rc = -ENOMEM;
	if (rd) {
		rc = scan(bg->out, bg->reg, bg->now_ms, rd, &bg->cancel);
		rb_reader_release(rd);
	}
	bg->rc = rc;
	atomic_store_explicit(&bg->done, true, memory_order_release);
	/* After done: the control loop may be asleep in epoll_wait. */
	rb_wake(bg->wake_fd);
	return NULL;
}

int rb_stale_scan_start(struct rb_stale_bg *bg, struct rb_registry *reg,
			const struct rb_stale *prev, uint64_t now_ms, int wake_fd)
{
	if (bg->running)
		return -EBUSY;
	if (!bg->out && !(bg->out = malloc(sizeof(*bg->out))))
		return -ENOMEM;
	memcpy(bg->out, prev, sizeof(*bg->out));
	bg->reg = reg;
	bg->wake_fd = wake_fd;
	bg->now_ms = now_ms;
	bg->rc = 0;
	atomic_store(&bg->done, false);
	atomic_store(&bg->cancel, false);
	int r = pthread_create(&bg->th, NULL, scan_thread, bg);
	if (r)
		return -r;
	bg->running = true;
	return 0;
}

bool rb_stale_scan_running(const struct rb_stale_bg *bg)
{
	return bg->running;
}

int rb_stale_scan_poll(struct rb_stale_bg *bg, bool wait)
{
	if (!bg->running)
		return 0;
	if (!wait && !atomic_load_explicit(&bg->done, memory_order_acquire))
		return -EINPROGRESS;
	pthread_join(bg->th, NULL);
	bg->running = false;
	return bg->rc;
}

void rb_stale_scan_stop(struct rb_stale_bg *bg)
{
	if (bg->running) {
		atomic_store(&bg->cancel, true);
		(void)rb_stale_scan_poll(bg, true);
	}
	free(bg->out);
	bg->out = NULL;
}

int rb_stale_write(const struct rb_stale *st, const char *path, uint64_t now_ms)
{
	char tmp[512];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "# program version netid address stale-for-seconds\n");
	for (uint32_t i = 0; i < st->n; i++) {
		const struct rb_stale_entry *s = &st->v[i];
		fprintf(f, "%u %u %s %s %llu\n", s->prog, s->vers, s->netid, s->uaddr,
			(unsigned long long)((now_ms - s->since_ms) / 1000u));
	}
	if (st->overflow)
		fprintf(f, "# and %u more\n", st->overflow);
	int r = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}
