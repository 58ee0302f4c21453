/* ringbind-load: a load generator for ONC RPC port mappers (ringbind,
 * Debian's rpcbind, the floor server), on loopback only.
 *
 * Modes: udp (W calls in flight per thread, sendmmsg/recvmmsg), tcp (C
 * connections x W pipelined calls, record marking), storm (a new TCP
 * connection per lookup, as mount.nfs does), ustorm (a new UDP socket per
 * lookup), mix (lookups with a percentage of PMAP SET/UNSET), prime (only
 * register programs). Every reply is validated against the value it must
 * hold; wrong answers are counted apart and never as throughput.
 *
 * Threads share nothing but struct lg_run (atomics); each owns its sockets,
 * its counters and its histograms, merged by main() at the end. */
#ifndef RB_BENCH_LOAD_H
#define RB_BENCH_LOAD_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LG_PMAP_PROG 100000u
/* The xid's low bits index the slot a call went out from; the high bits
 * are a sequence, so a late reply to a timed-out call is told apart. */
#define LG_SLOT_BITS 12u
#define LG_WINDOW_MAX (1u << LG_SLOT_BITS)
/* A call is at most this long (GETADDR with a 5-byte netid: 76 bytes). */
#define LG_CALL_MAX 128u
/* Churn: programs SET and UNSET by one thread, one mutation at a time each. */
#define LG_CHURN_POOL 64u
/* Program numbers relative to --prog-base: keys [0, keys), misses in
 * [MISS, MISS + 2^24), churn in [CHURN, ...). */
#define LG_KEYS_MAX 0x01000000u
#define LG_MISS_OFF 0x01000000u
#define LG_CHURN_OFF 0x02000000u
/* A key that means "the server's own registration of program 100000". */
#define LG_KEY_SELF 0xffffffffu
#define LG_KEY_MISS 0xfffffffeu
#define LG_KEY_CHURN 0xfffffffdu

enum lg_mode { LG_MODE_UDP, LG_MODE_TCP, LG_MODE_STORM, LG_MODE_USTORM, LG_MODE_MIX, LG_MODE_PRIME };
enum lg_call {
	LG_CALL_GETPORT,     /* PMAP v2 GETPORT */
	LG_CALL_GETADDR,     /* RPCBIND v3 GETADDR */
	LG_CALL_GETADDR4,    /* RPCBIND v4 GETADDR */
	LG_CALL_GETVERSADDR, /* RPCBIND v4 GETVERSADDR */
	LG_CALL_DUMP,        /* PMAP v2 DUMP */
	LG_CALL_DUMP3,       /* RPCBIND v3 DUMP */
	LG_CALL_DUMP4,       /* RPCBIND v4 DUMP */
	LG_CALL_NULL,        /* PMAP v2 NULL */
};
enum lg_op { LG_OP_LOOKUP = 0, LG_OP_SET, LG_OP_UNSET };
enum lg_verdict { LG_OK = 0, LG_RPC_ERROR, LG_WRONG };
enum lg_phase { LG_PHASE_WARMUP = 0, LG_PHASE_MEASURE, LG_PHASE_STOP };

struct lg_opts {
	enum lg_mode mode;
	enum lg_call call;
	int family; /* AF_INET or AF_INET6 */
	char host[64];
	struct sockaddr_storage target;
	socklen_t target_len;
	uint16_t port;
	int stream; /* the lookups' transport: 1 TCP, 0 UDP */
	unsigned threads;
	unsigned window;
	unsigned conns; /* tcp: connections in all */
	double duration_s;
	double warmup_s;
	uint64_t count;
	uint32_t prime;
	int prime_protos; /* bit 0: udp, bit 1: tcp */
	unsigned prime_window;
	double prime_timeout_s;
	uint32_t keys;
	double miss_pct;
	double churn_pct;
	uint32_t prog_base;
	uint32_t timeout_ms;
	long server_pid;
	unsigned idle_conns;
	bool verbose;
};

/* One call in flight. */
struct lg_req {
	uint64_t t0; /* when it was sent (ns) */
	uint32_t xid;
	uint32_t key;  /* program index, or LG_KEY_* */
	uint32_t prog;
	uint16_t churn; /* churn pool index (SET/UNSET) */
	uint8_t op;     /* enum lg_op */
	uint8_t proto;  /* 17 or 6: the PMAP protocol asked for / registered */
	uint8_t busy;
	uint8_t tries; /* prime: sends so far */
	uint32_t item; /* prime: work item index */
};

#define LG_HIST_SUB 32u
#define LG_HIST_BUCKETS (60u * LG_HIST_SUB)
struct lg_hist {
	uint64_t n;
	uint64_t b[LG_HIST_BUCKETS];
};

struct lg_counters {
	uint64_t replies;   /* validated: lookups + mutations */
	uint64_t mutations; /* validated SET/UNSET */
	uint64_t errors;    /* error replies (denied, accept_stat != SUCCESS), broken streams */
	uint64_t wrong;     /* SUCCESS with the wrong value, or undecodable */
	uint64_t timeouts;
	uint64_t late;         /* replies matching no call in flight */
	uint64_t local_errors; /* our side ran out of something (ports, fds) */
	uint64_t sent;
};

/* Shared by all threads. */
struct lg_run {
	const struct lg_opts *o;
	_Atomic int phase;
	_Atomic uint64_t issued; /* --count tokens taken */
	_Atomic unsigned ready;  /* threads set up (or failed to) */
	_Atomic unsigned failed; /* threads whose setup failed */
	_Atomic int started;     /* main() says go */
	_Atomic unsigned done;   /* threads out of work */
};

/* Prime: the work list is items [0, n_items); item i is key i / nprotos,
 * protocol protos[i % nprotos]. Timed-out items go back on a retry stack. */
struct lg_prime {
	uint32_t n_items;
	uint32_t next;
	uint32_t acked;
	uint32_t failed; /* answered FALSE or errors, or out of tries */
	uint8_t protos[2];
	uint8_t nprotos;
	uint32_t *retry;
	uint32_t n_retry;
};

struct lg_thread {
	unsigned id;
	struct lg_run *run;
	const struct lg_opts *o;
	pthread_t th;
	uint32_t rng;
	uint32_t seq; /* xid sequence */
	bool out_of_work;
	struct lg_counters c;
	struct lg_hist lat;  /* lookups */
	struct lg_hist mlat; /* mutations */
	uint32_t churn_next;
	uint8_t churn_state[LG_CHURN_POOL]; /* bit 0 registered, bit 1 in flight */
	struct lg_prime *prime; /* set: this thread primes instead */
	int rc;                 /* 0, or a setup failure (-errno) */
	char err[160];
};

/* calls.c */
uint16_t lg_key_port(uint32_t key);
/* Picks the next call (lookup, or SET/UNSET when churning) into r. */
void lg_pick(struct lg_thread *t, struct lg_req *r);
/* Picks the next prime item; false when none is left. */
bool lg_pick_prime(struct lg_thread *t, struct lg_req *r);
/* Encodes r (with r->xid set) as a call message; returns its length. */
uint32_t lg_encode(const struct lg_opts *o, const struct lg_req *r, uint8_t *buf, size_t cap);
/* Validates a reply whose xid matched r. */
enum lg_verdict lg_check(const struct lg_opts *o, const struct lg_req *r,
			 const uint8_t *msg, size_t len);
/* Accounts for a validated (or failed) reply received at now. */
void lg_account(struct lg_thread *t, struct lg_req *r, enum lg_verdict v, uint64_t now);
/* Accounts for a call that got no reply in time. */
void lg_account_timeout(struct lg_thread *t, struct lg_req *r);
/* A call that could not be sent or whose stream broke. */
void lg_account_error(struct lg_thread *t, struct lg_req *r);
/* Takes one --count token; false once they are spent (or while stopping). */
bool lg_may_issue(struct lg_thread *t);
static inline bool lg_measuring(const struct lg_thread *t)
{
	return atomic_load_explicit(&t->run->phase, memory_order_relaxed) == LG_PHASE_MEASURE;
}
static inline bool lg_stopping(const struct lg_thread *t)
{
	return atomic_load_explicit(&t->run->phase, memory_order_relaxed) == LG_PHASE_STOP;
}
uint32_t lg_rand(struct lg_thread *t);
uint32_t lg_next_xid(struct lg_thread *t, uint32_t slot);

/* stats.c */
uint64_t lg_now_ns(void);
void lg_hist_add(struct lg_hist *h, uint64_t ns);
void lg_hist_merge(struct lg_hist *into, const struct lg_hist *h);
/* The p-quantile (0 < p <= 1) in ns; 0 when empty. */
uint64_t lg_hist_quantile(const struct lg_hist *h, double p);
void lg_counters_merge(struct lg_counters *into, const struct lg_counters *c);
/* utime + stime of a process (all threads), in microseconds; -1 on error. */
int64_t lg_proc_cpu_us(long pid);
/* Reads the first 4 bytes as a big-endian word. */
static inline uint32_t lg_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void lg_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Engines: each returns 0, or -errno on a setup failure (t->err says). */
int lg_run_udp(struct lg_thread *t);
int lg_run_tcp(struct lg_thread *t);
int lg_run_storm(struct lg_thread *t);  /* TCP */
int lg_run_ustorm(struct lg_thread *t); /* UDP */

/* Sockets (udp.c). A UDP socket connected to the target; privileged: bind
 * a source port below 1024 first when we may (root), which makes the owner
 * of our SETs "superuser" on rpcbind and ringbind alike. */
int lg_udp_socket(const struct lg_opts *o, bool privileged);
/* A TCP connection to the target, blocking connect bounded by timeout_ms,
 * then non-blocking with TCP_NODELAY. privileged: as for UDP (so that a
 * churn's SET and UNSET have the same owner, "superuser", on every
 * connection and in every run). -errno on failure. */
int lg_tcp_connect(const struct lg_opts *o, uint32_t timeout_ms, bool privileged);
/* Tells main() that a thread set up its sockets (rc 0) or failed (rc < 0,
 * t->err says why); on success, waits until main() says go. */
void lg_thread_ready(struct lg_thread *t, int rc);

#endif
