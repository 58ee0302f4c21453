#include "net/control/rpcbind_import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/control/clause.h"

#define FN_RPCBIND_XDR "rpcbind.xdr"
#define FN_PORTMAP_XDR "portmap.xdr"

struct warm_file {
	const char *name;
	uint8_t *buf;
	size_t len;
	bool found;
};

/* Opens, checks and reads one warm-start file. */
static int warm_read(int dirfd, struct warm_file *f, uid_t trusted,
		     struct rb_import_report *rep)
{
	/* O_NONBLOCK: a FIFO planted under the name must not hang us
	 * before fstat can refuse it. */
	int fd = openat(dirfd, f->name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		if (r == -ENOENT)
			return 0;
		rb_clause_add(rep->msg, sizeof(rep->msg), "%s: %s", f->name,
			r == -ELOOP ? "is a symbolic link" : strerror(-r));
		return r;
	}
	f->found = true;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) != 0) {
		r = -errno;
		rb_clause_add(rep->msg, sizeof(rep->msg), "%s: %s", f->name,
			strerror(-r));
	} else if (!S_ISREG(st.st_mode)) {
		r = -EPERM;
		rb_clause_add(rep->msg, sizeof(rep->msg), "%s: not a regular file",
			f->name);
	} else if (st.st_uid != 0 && st.st_uid != geteuid() &&
		   (trusted == (uid_t)-1 || st.st_uid != trusted)) {
		r = -EPERM;
		rb_clause_add(rep->msg, sizeof(rep->msg),
			"%s: owned by uid %u, which is not trusted", f->name,
			(unsigned)st.st_uid);
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		r = -EPERM;
		rb_clause_add(rep->msg, sizeof(rep->msg),
			"%s: writable by group or others (mode %04o)", f->name,
			(unsigned)(st.st_mode & 07777));
	} else if ((uint64_t)st.st_size > RB_WARM_FILE_MAX) {
		r = -EFBIG;
		rb_clause_add(rep->msg, sizeof(rep->msg),
			"%s: %lld bytes, over RB_WARM_FILE_MAX", f->name,
			(long long)st.st_size);
	}
	if (r) {
		close(fd);
		return r;
	}
	/* One byte more than fstat said, to notice a file still growing. */
	size_t want = (size_t)st.st_size + 1;
	f->buf = malloc(want);
	if (!f->buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < want) {
		ssize_t n = read(fd, f->buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			rb_clause_add(rep->msg, sizeof(rep->msg), "%s: %s", f->name,
				strerror(-r));
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!r && got != (size_t)st.st_size) {
		r = -EBADMSG;
		rb_clause_add(rep->msg, sizeof(rep->msg),
			"%s: changed while being read", f->name);
	}
	f->len = got;
	return r;
}

/* (prog, vers) keys of rpcbind.xdr's tcp and udp entries, to leave out
 * portmap.xdr's copies of them. */
struct warm_keys {
	uint64_t *v[2]; /* [0] udp, [1] tcp; sorted after the first file */
	uint32_t n[2];
	uint32_t cap;
	rb_jrec_fn apply;
	void *arg;
	uint32_t duplicates;
};

static int key_proto(const char *netid)
{
	/* Exact, as rpcbind's pmap_netid2ipprot: only "udp" and "tcp"
	 * entries have copies in portmap.xdr. */
	if (strcmp(netid, "udp") == 0)
		return 0;
	if (strcmp(netid, "tcp") == 0)
		return 1;
	return -1;
}

static int warm_collect(void *arg, const struct rb_jrec *r)
{
	struct warm_keys *k = arg;
	int t = key_proto(r->netid);
	if (t >= 0 && k->n[t] < k->cap)
		k->v[t][k->n[t]++] = (uint64_t)r->prog << 32 | r->vers;
	return k->apply(k->arg, r);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int warm_dedup(void *arg, const struct rb_jrec *r)
{
	struct warm_keys *k = arg;
	int t = key_proto(r->netid);
	uint64_t key = (uint64_t)r->prog << 32 | r->vers;
	if (t >= 0 && k->n[t] &&
	    bsearch(&key, k->v[t], k->n[t], sizeof(key), cmp_u64)) {
		k->duplicates++;
		return 1;
	}
	return k->apply(k->arg, r);
}

int rb_rpcbind_import(const char *dir, uid_t trusted_uid, rb_jrec_fn apply,
		      void *arg, struct rb_import_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	struct warm_file rf = {.name = FN_RPCBIND_XDR},
			 pf = {.name = FN_PORTMAP_XDR};
	struct warm_keys k = {.apply = apply, .arg = arg};
	int r;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		rb_clause_add(rep->msg, sizeof(rep->msg), "%s: %s", dir, strerror(-r));
		return r;
	}
	r = warm_read(dfd, &rf, trusted_uid, rep);
	if (!r)
		r = warm_read(dfd, &pf, trusted_uid, rep);
	close(dfd);
	rep->found_rpcbind = rf.found;
	rep->found_portmap = pf.found;
	if (r)
		goto out;
	if (!rf.found && !pf.found) {
		r = -ENOENT;
		goto out;
	}
	/* Both files are parsed before anything is applied. */
	if (rf.found) {
		r = rb_rpcbind_xdr_scan(rf.buf, rf.len, NULL, NULL, &rep->rpcbind);
		if (r) {
			rb_clause_add(rep->msg, sizeof(rep->msg), FN_RPCBIND_XDR ": %s",
				rep->rpcbind.reason);
			goto out;
		}
	}
	if (pf.found) {
		r = rb_portmap_xdr_scan(pf.buf, pf.len, NULL, NULL, &rep->portmap);
		if (r) {
			rb_clause_add(rep->msg, sizeof(rep->msg), FN_PORTMAP_XDR ": %s",
				rep->portmap.reason);
			goto out;
		}
	}
	k.cap = rep->rpcbind.entries;
	for (int t = 0; t < 2 && k.cap; t++) {
		k.v[t] = malloc(k.cap * sizeof(uint64_t));
		if (!k.v[t]) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (rf.found) {
		r = rb_rpcbind_xdr_scan(rf.buf, rf.len, warm_collect, &k,
					&rep->rpcbind);
		if (r)
			goto out;
	}
	for (int t = 0; t < 2; t++)
		if (k.n[t])
			qsort(k.v[t], k.n[t], sizeof(uint64_t), cmp_u64);
	if (pf.found) {
		r = rb_portmap_xdr_scan(pf.buf, pf.len, warm_dedup, &k,
					&rep->portmap);
		/* The scan counted duplicates among not_applied. */
		rep->portmap.not_applied -= k.duplicates;
		rep->duplicates = k.duplicates;
	}
out:
	free(k.v[0]);
	free(k.v[1]);
	free(rf.buf);
	free(pf.buf);
	return r;
}

int rb_rpcbind_import_done(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int r = 0;
	if (unlinkat(dfd, FN_RPCBIND_XDR, 0) != 0 && errno != ENOENT)
		r = -errno;
	if (unlinkat(dfd, FN_PORTMAP_XDR, 0) != 0 && errno != ENOENT && !r)
		r = -errno;
	if (!r && fsync(dfd) != 0)
		r = -errno;
	close(dfd);
	return r;
}
