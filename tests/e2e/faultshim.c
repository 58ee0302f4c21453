/* A fault injector for the daemon under test, loaded with LD_PRELOAD: it
 * makes the kernel calls that can fail in production fail on purpose, so
 * that a test can show what the daemon does then. It acts only in a process
 * named "ringbind" and only for the faults its environment names:
 *
 *   RB_FAULT_DROP_WAKES=1  the control thread's wake-ups of the workers (an
 *                          8-byte write to an eventfd from the main thread)
 *                          are swallowed: as when a worker's wake-up read
 *                          was lost, a reply handed back must still arrive.
 *   RB_FAULT_EPOLL_MOD=N   every Nth epoll_ctl(EPOLL_CTL_MOD) fails with
 *                          ENOMEM: the connection it was for must be closed
 *                          or served, never left with events it does not
 *                          get.
 *
 *   RB_FAULT_SYNC_FLAG=PATH while PATH exists, every fdatasync() (the
 *                          journal's group commit) sleeps RB_FAULT_SYNC_MS
 *                          (default 5) ms and then fails with EIO: a disk
 *                          that takes its time to fail a flush. No commit
 *                          can succeed, and the window between a change
 *                          and its commit's verdict is wide.
 *
 *   RB_FAULT_PROCNET_FLAG=PATH while PATH exists, every fopen() of a file
 *                          under /proc/net/ (the stale scan's socket
 *                          tables) sleeps RB_FAULT_PROCNET_MS (default
 *                          3000) ms first: a kernel slow to dump a huge
 *                          table. Whatever thread scans is held that long.
 *
 * Nothing else changes: every other call goes to libc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int active = -1; /* -1: not decided yet */
static bool drop_wakes;
static unsigned long epoll_mod_every;
static atomic_ulong epoll_mods;

static const char *sync_flag;
static long sync_ms = 5;

static const char *procnet_flag;
static long procnet_ms = 3000;

static void decide(void)
{
	char comm[32] = "";
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/comm", 0);
	if (fd >= 0) {
		ssize_t n = syscall(SYS_read, fd, comm, sizeof(comm) - 1);
		syscall(SYS_close, fd);
		if (n > 0)
			comm[n] = '\0';
	}
	const char *w = getenv("RB_FAULT_DROP_WAKES");
	const char *e = getenv("RB_FAULT_EPOLL_MOD");
	drop_wakes = w && *w == '1';
	epoll_mod_every = e ? strtoul(e, NULL, 10) : 0;
	sync_flag = getenv("RB_FAULT_SYNC_FLAG");
	const char *ms = getenv("RB_FAULT_SYNC_MS");
	if (ms)
		sync_ms = strtol(ms, NULL, 10);
	procnet_flag = getenv("RB_FAULT_PROCNET_FLAG");
	const char *pms = getenv("RB_FAULT_PROCNET_MS");
	if (pms)
		procnet_ms = strtol(pms, NULL, 10);
	active = strncmp(comm, "ringbind", 8) == 0;
}

int fdatasync(int fd)
{
	if (active < 0)
		decide();
	if (active && sync_flag && access(sync_flag, F_OK) == 0) {
		struct timespec ts = { sync_ms / 1000, (sync_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

static bool is_eventfd(int fd)
{
	char path[64], target[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (active < 0)
		decide();
	if (active && drop_wakes && n == 8 && syscall(SYS_gettid) == getpid() && is_eventfd(fd))
		return (ssize_t)n; /* lost */
	return syscall(SYS_write, fd, buf, n);
}

int epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
	if (active < 0)
		decide();
	if (active && epoll_mod_every && op == EPOLL_CTL_MOD &&
	    atomic_fetch_add(&epoll_mods, 1) % epoll_mod_every == epoll_mod_every - 1) {
		errno = ENOMEM;
		return -1;
	}
	return (int)syscall(SYS_epoll_ctl, ep, op, fd, ev);
}

static FILE *slow_fopen(const char *name, const char *path, const char *mode)
{
	if (active < 0)
		decide();
	if (active && procnet_flag && strncmp(path, "/proc/net/", 10) == 0 &&
	    access(procnet_flag, F_OK) == 0) {
		struct timespec ts = { procnet_ms / 1000, (procnet_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	FILE *(*real)(const char *, const char *) =
		(FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, name);
	if (!real) {
		errno = ENOSYS;
		return NULL;
	}
	return real(path, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	return slow_fopen("fopen", path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	return slow_fopen("fopen64", path, mode);
}
