/* Importing Linux rpcbind's warm-start files (rpcbind.xdr, portmap.xdr) at
 * a first start, so that ringbind takes over what rpcbind had registered.
 * The formats are registry/format/journal.h's (pure); this file is the file I/O:
 * who may have written them, how big, read whole before anything is
 * applied. Used once, by the control thread, before serving. */
#ifndef RB_NET_RPCBIND_IMPORT_H
#define RB_NET_RPCBIND_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "registry/format/journal.h"

/* A warm-start file over this size is refused (65,536 entries of the
 * longest strings we accept fit well under it). */
#define RB_WARM_FILE_MAX (16u << 20)
/* Bytes of an import's message. */
#define RB_IMPORT_MSG_MAX 512u

struct rb_import_report {
	struct rb_warm_report rpcbind; /* dir/rpcbind.xdr */
	struct rb_warm_report portmap; /* dir/portmap.xdr */
	uint32_t duplicates; /* portmap.xdr entries rpcbind.xdr already has */
	bool found_rpcbind, found_portmap;
	char msg[RB_IMPORT_MSG_MAX]; /* why a file was refused */
};

/* Imports dir/rpcbind.xdr then dir/portmap.xdr (the entries of the latter
 * that rpcbind.xdr does not already hold for the same prog, vers and
 * tcp/udp: rpcbind writes its PMAP view too). Each file is opened with
 * O_NOFOLLOW and must be a regular file owned by root, the effective uid
 * or trusted_uid (Debian's rpcbind writes them as its run user "_rpc"
 * after dropping root; (uid_t)-1 trusts no third uid), not writable by
 * group or others, and at most RB_WARM_FILE_MAX bytes. Both files are
 * checked and parsed before apply sees any entry: one unsafe or malformed
 * file refuses both (as rpcbind, which warm-starts from both or neither).
 * Returns 0, -ENOENT (neither file exists), -EPERM (ownership or mode),
 * -ELOOP (a symlink), -EFBIG, -EBADMSG (malformed), apply's -errno, or
 * another -errno; rep->msg says which file and why. */
int rb_rpcbind_import(const char *dir, uid_t trusted_uid, rb_jrec_fn apply,
		      void *arg, struct rb_import_report *rep);
/* Removes dir/rpcbind.xdr and dir/portmap.xdr (as rpcbind does after
 * reading them), so that the next start does not import them again. Call
 * once the imported entries are committed. 0 or -errno (ENOENT ignored). */
int rb_rpcbind_import_done(const char *dir);

#endif
