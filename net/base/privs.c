/* Dropping root after start-up: see privs.h for what is kept and why.
 *
 * Capabilities are set with the raw capget/capset system calls (the
 * <linux/capability.h> structures): no libcap for two calls. */
#include "net/base/privs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Room for getpwnam_r's strings: a passwd line is far shorter. */
#define PW_BUF 4096
/* Capability numbers the bounding-set loop tries at most (the kernel
 * answers EINVAL past its last one, 40 in Linux 6.x). */
#define CAP_NUM_MAX 64

static uint64_t bit(int cap)
{
	return (uint64_t)1 << cap;
}

__attribute__((format(printf, 4, 5)))
static int fail(int r, char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (errcap)
		vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
	return r;
}

static int lookup(const char *user, struct passwd *pw, char *buf, size_t cap,
		  char *err, size_t errcap)
{
	struct passwd *res = NULL;
	int e = getpwnam_r(user, pw, buf, cap, &res);
	if (e)
		return fail(-e, err, errcap, "cannot look up user %s: %s", user, strerror(e));
	if (!res)
		return fail(-ENOENT, err, errcap,
			    "user %s does not exist (-s runs as _rpc, which Debian's "
			    "rpcbind package creates; or name another with --user)",
			    user);
	return 0;
}

int rb_privs_prepare(const char *user, const char *state_dir, char *err, size_t errcap)
{
	char buf[PW_BUF];
	struct passwd pw;
	int r = lookup(user, &pw, buf, sizeof(buf), err, errcap);
	if (r < 0)
		return r;
	if (pw.pw_uid == geteuid())
		return 0;
	int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0; /* none yet, or unusable: rb_persist_open will say */
	struct stat st;
	r = 0;
	/* Only a directory that is the run user's (an earlier run under -s
	 * handed it over) is taken back; anyone else's is left for
	 * rb_persist_open to refuse. */
	if (fstat(dfd, &st) == 0 && st.st_uid == pw.pw_uid &&
	    fchown(dfd, geteuid(), getegid()) < 0)
		r = fail(-errno, err, errcap, "cannot take back state directory %s from %s: %s",
			 state_dir, user, strerror(errno));
	close(dfd);
	return r;
}

/* Gives state_dir (when it is ours: the one rb_persist_open accepted) and
 * the regular files in it to uid/gid, so that the journal, snapshots and
 * the stale list are written, renamed and replaced as before. */
static int hand_over(const char *state_dir, uid_t uid, gid_t gid, char *msg, size_t cap)
{
	int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0; /* no state directory: the daemon runs without one */
	struct stat st;
	int r = 0;
	if (fstat(dfd, &st) < 0) {
		r = fail(-errno, msg, cap, "cannot stat %s: %s", state_dir, strerror(errno));
		goto out;
	}
	if (st.st_uid != geteuid())
		goto out; /* not ours: rb_persist_open refused it already */
	int dup_fd = dup(dfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		r = fail(-errno, msg, cap, "cannot list %s: %s", state_dir, strerror(errno));
		if (dup_fd >= 0)
			close(dup_fd);
		goto out;
	}
	const struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat fs;
		/* Never through a link: only the directory's own files. */
		if (fstatat(dfd, e->d_name, &fs, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(fs.st_mode))
			continue;
		if (fchownat(dfd, e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT) {
			r = -errno;
			break;
		}
	}
	closedir(d);
	/* The directory last: creating and renaming files needs it. */
	if (r == 0 && fchown(dfd, uid, gid) < 0)
		r = -errno;
	/* A read-only file system: nothing could be written anyway, and the
	 * state layer answers SET/UNSET FALSE and says why. */
	if (r == -EROFS)
		r = 0;
	if (r < 0)
		fail(r, msg, cap, "cannot hand state directory %s over: %s", state_dir,
		     strerror(-r));
out:
	close(dfd);
	return r;
}

static int caps_get(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];
	memset(c, 0, sizeof(c));
	if (syscall(SYS_capget, &h, c) < 0)
		return -errno;
	*eff = (uint64_t)c[1].effective << 32 | c[0].effective;
	*perm = (uint64_t)c[1].permitted << 32 | c[0].permitted;
	*inh = (uint64_t)c[1].inheritable << 32 | c[0].inheritable;
	return 0;
}

static int caps_set(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];
	c[0].effective = (uint32_t)eff;
	c[1].effective = (uint32_t)(eff >> 32);
	c[0].permitted = (uint32_t)perm;
	c[1].permitted = (uint32_t)(perm >> 32);
	c[0].inheritable = (uint32_t)inh;
	c[1].inheritable = (uint32_t)(inh >> 32);
	return syscall(SYS_capset, &h, c) < 0 ? -errno : 0;
}

/* Cuts the bounding set to keep (it limits what any later execve could
 * gain). Needs CAP_SETPCAP: false when it is missing (a container that
 * took it away); the permitted set still decides what we hold. */
static int cut_bounding(uint64_t keep, bool *cut)
{
	*cut = true;
	for (int c = 0; c < CAP_NUM_MAX; c++) {
		int in = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (in < 0)
			break; /* past the kernel's last capability */
		if (!in || (keep & bit(c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno != EPERM)
				return -errno;
			*cut = false;
			return 0;
		}
	}
	return 0;
}

int rb_privs_drop(const char *user, const char *state_dir, unsigned flags, char *msg,
		  size_t msgcap)
{
	char buf[PW_BUF];
	struct passwd pw;
	int r = lookup(user, &pw, buf, sizeof(buf), msg, msgcap);
	if (r < 0)
		return r;
	uid_t uid = pw.pw_uid;
	gid_t gid = pw.pw_gid;

	if ((r = hand_over(state_dir, uid, gid, msg, msgcap)) < 0)
		return r;

	uint64_t eff, perm, inh;
	if ((r = caps_get(&eff, &perm, &inh)) < 0)
		return fail(r, msg, msgcap, "capget: %s", strerror(-r));
	uint64_t want = bit(CAP_DAC_OVERRIDE);
	if (flags & RB_PRIVS_KEEP_IPC_LOCK)
		want |= bit(CAP_IPC_LOCK);
	uint64_t keep = want & perm; /* what we do not have, we cannot keep */

	bool bounded;
	if ((r = cut_bounding(keep, &bounded)) < 0)
		return fail(r, msg, msgcap, "cannot cut the capability bounding set: %s",
			    strerror(-r));
	/* Without KEEPCAPS, leaving uid 0 clears the permitted set too. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return fail(-errno, msg, msgcap, "PR_SET_KEEPCAPS: %s", strerror(errno));
	/* Groups first (needs CAP_SETGID, gone with the uid); all three ids
	 * of each, so that nothing can switch back. glibc applies these to
	 * every thread of the process. Already that user (started as it,
	 * without root): nothing to change, and setgroups would be refused. */
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	bool already = getresuid(&ru, &eu, &su) == 0 && getresgid(&rg, &eg, &sg) == 0 &&
		       ru == uid && eu == uid && su == uid && rg == gid && eg == gid && sg == gid;
	if (!already && (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
			 setresuid(uid, uid, uid) < 0))
		return fail(-errno, msg, msgcap, "cannot become user %s (uid %u, gid %u): %s",
			    user, (unsigned)uid, (unsigned)gid, strerror(errno));
	/* The uid change emptied the effective set; permitted kept all. */
	if ((r = caps_set(keep, keep, 0)) < 0)
		return fail(r, msg, msgcap, "capset: %s", strerror(-r));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(-errno, msg, msgcap, "prctl: %s", strerror(errno));

	/* Trust, but check: ids and capabilities as intended. */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return fail(-EPERM, msg, msgcap, "ids did not change to %s's", user);
	if ((r = caps_get(&eff, &perm, &inh)) < 0 || eff != keep || perm != keep || inh)
		return fail(r < 0 ? r : -EPERM, msg, msgcap,
			    "capabilities are not the ones kept (effective %#llx)",
			    (unsigned long long)eff);

	snprintf(msg, msgcap, "running as %s (uid %u, gid %u); capabilities kept: %s%s%s", user,
		 (unsigned)uid, (unsigned)gid,
		 keep & bit(CAP_DAC_OVERRIDE) ? "dac_override (to remove the socket at exit)"
					       : "no dac_override (the socket file will stay at exit)",
		 keep & bit(CAP_IPC_LOCK) ? ", ipc_lock (io_uring ring memory)" : "",
		 bounded ? "" : "; bounding set not cut (no CAP_SETPCAP)");
	return 0;
}
