/* Running as an unprivileged user (-s, --user NAME), as rpcbind -s does:
 * everything that needs root (port 111, /run/rpcbind.sock, the state
 * directory) is set up first, then the process becomes that user, keeping
 * only what it still needs:
 *
 *   CAP_DAC_OVERRIDE  to remove /run/rpcbind.sock at exit: /run is root's
 *                     (0755) and removing a name needs write access to the
 *                     directory; no narrower capability grants that.
 *   CAP_IPC_LOCK      with the io_uring backend only (RB_PRIVS_KEEP_IPC_LOCK):
 *                     since Linux 6.x every ring's memory (SQ/CQ rings, SQEs,
 *                     provided-buffer rings) is charged to RLIMIT_MEMLOCK of
 *                     a user without it, per user and across processes:
 *                     about 140 KiB per worker, so the usual 8 MiB allows
 *                     some 58 workers, fewer while a previous instance's
 *                     rings are still being released after a restart.
 *
 * Both in the permitted and effective sets only (none inheritable or
 * ambient, the bounding set cut to them), PR_SET_NO_NEW_PRIVS set. The
 * state directory and its files are handed to the user, so state is
 * written as before. Call before any other thread is started: capset(2)
 * changes only the calling thread, and threads inherit its credentials. */
#ifndef RB_NET_PRIVS_H
#define RB_NET_PRIVS_H

#include <stddef.h>

/* Flags of rb_privs_drop. */
#define RB_PRIVS_KEEP_IPC_LOCK 1u /* the workers will create io_uring rings */

/* Before the state directory is opened (and before anything is bound, so
 * that a missing user stops the start at once): checks that user exists,
 * and takes back for the running (root) uid a state directory that an
 * earlier run left to user, because rb_persist_open accepts only a
 * directory owned by the uid that opens it. 0, or -errno with the reason
 * in err. */
int rb_privs_prepare(const char *user, const char *state_dir, char *err, size_t errcap);

/* After every socket is bound and the state directory opened, before any
 * worker starts: hands state_dir and its files to user, becomes user
 * (supplementary groups, gid, uid: real, effective and saved), keeps the
 * capabilities above. 0 with a one-line summary in msg (what runs as whom,
 * what was kept), or -errno with the reason in msg: then the process may
 * be half-changed and must exit. */
int rb_privs_drop(const char *user, const char *state_dir, unsigned flags, char *msg,
		  size_t msgcap);

#endif
