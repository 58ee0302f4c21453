/* ringbind-load: a load generator for ONC RPC port mappers (ringbind,
 * Debian's rpcbind, the floor server) at any IPv4 or IPv6 address.
 *
 * Modes: udp (W calls in flight per thread, sendmmsg/recvmmsg), tcp (C
 * connections x W pipelined calls, record marking), storm (a new TCP
 * connection per lookup, as mount.nfs does), ustorm (a new UDP socket per
 * lookup), mix (lookups with a percentage of PMAP SET/UNSET), prime (only
 * register programs). Every reply is validated against the value it must
 * hold; wrong answers are counted apart and never as throughput.
 *
 * Closed loop (the window) by default; --rate N paces the calls open loop
 * (pace.c): each call has an intended send time and its latency runs from
 * that time, so a stalled server or client cannot hide the calls it held
 * back (no coordinated omission). --ramp steps the rate up until the
 * server falls behind (capacity search).
 *
 * Threads share nothing but struct lg_run (atomics); each owns its sockets,
 * its counters and its histograms for the current interval, and hands them
 * to main() under its own mutex when main() ticks (interval, ramp step, or
 * the end). */
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
#define LG_KEY_MIX 0xfffffffcu
/* A --mix file: at most this many lines with calls. */
#define LG_MIX_MAX 64u
/* A mix entry whose answer is not checked beyond its form ("*"). */
#define LG_PORT_ANY (-1)
/* --rate: at most this many calls/s (over all threads). */
#define LG_RATE_MAX 100000000.0
/* Open loop: a thread's calls in flight when --window is not given. */
#define LG_RATE_WINDOW 4096u
/* Open loop: a thread sleeps at least this long between bursts, so that
 * at high rates the calls due meanwhile leave in one sendmmsg or write
 * (their latency still runs from their intended times, so this delay is
 * in the figures, never hidden). */
#define LG_PACE_QUANTUM_NS 100000u
/* --interval and --ramp-step: at least this many seconds. */
#define LG_TICK_MIN_S 0.05
/* main() waits at most this long for every thread to hand over a tick. */
#define LG_TICK_WAIT_NS 500000000ull

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

/* One line of a --mix file (or of a preset). */
struct lg_mix_ent {
	uint8_t call;   /* enum lg_call */
	uint8_t proto;  /* 17 or 6: the netid's transport */
	uint8_t v6;     /* netid udp6/tcp6 */
	uint32_t prog, vers;
	uint32_t weight;
	int32_t port; /* the answer it must get (0: unregistered), or LG_PORT_ANY */
	char netid[8];
};
/* DRAIN: the run's time is up; no new calls, the replies to those in
 * flight still count (until they time out), so that a call sent in the
 * last milliseconds is not counted as sent and never answered. */
enum lg_phase { LG_PHASE_WARMUP = 0, LG_PHASE_MEASURE, LG_PHASE_DRAIN, LG_PHASE_STOP };

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
	/* Open loop and capacity search. */
	double rate; /* calls/s over all threads; 0: closed loop */
	bool ramp;
	double ramp_factor, ramp_step_s, ramp_max, ramp_min_ratio, ramp_p99_ms;
	double interval_s; /* progress lines; 0: none */
	const char *json_path;
	/* The call mix (--mix FILE, --preset): n_mix entries, weights summed. */
	struct lg_mix_ent mix[LG_MIX_MAX];
	unsigned n_mix;
	uint64_t mix_total;
	const char *preset;
	/* GETADDR's r_addr: "" or, as nfs-utils sends it, the server's own
	 * universal address with port 111. */
	char raddr[80];
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
	uint8_t call;  /* enum lg_call of this call */
	uint8_t mix;   /* LG_KEY_MIX: the entry */
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
	/* Bumped by main() at each interval, ramp step and the end; each
	 * thread then hands its counters over (lg_tick). */
	_Atomic uint64_t tick;
	/* Open loop: the asked rate in calls per 1000 s over all threads,
	 * and a generation bumped when it changes (the schedule restarts). */
	_Atomic uint64_t rate_milli;
	_Atomic uint64_t rate_gen;
};

/* What a thread hands main() for one interval. */
struct lg_share {
	struct lg_counters c;
	struct lg_hist lat, mlat;
	uint64_t behind; /* rate: calls due but not yet sent at the hand-over */
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
	/* A mix (--mix, --preset): item i registers mix[mix_idx[i]]. */
	unsigned n_mix;
	uint8_t mix_idx[LG_MIX_MAX];
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
	/* Open-loop pacing (pace.c), owned by the thread. */
	uint64_t pace_gen;
	double pace_period_ns; /* 0: closed loop */
	double pace_next_ns;   /* the next call's intended send time */
	/* Hand-over to main(): the thread adds c/lat/mlat into share under
	 * mu and zeroes them; main() takes share under mu. */
	uint64_t tick_seen;
	_Atomic uint64_t tick_done;
	pthread_mutex_t mu;
	struct lg_share share;
};

/* One interval (--interval) or ramp step, as main() saw it. */
struct lg_step {
	double t_s;   /* its end, from the start of measuring */
	double dt_s;  /* its length */
	double asked; /* open loop: the rate asked for; 0 closed loop */
	uint64_t sent, replies, errors, timeouts, wrong, behind;
	double p50_us, p99_us;
	bool ok; /* ramp: sustained */
};

/* Everything a run reports (report.c). */
struct lg_result {
	double secs;
	struct lg_counters c;
	struct lg_hist lat, mlat;
	int64_t cpu_us; /* the server's CPU over the run; -1: not known */
	unsigned idle_open, idle_alive;
	uint64_t behind; /* open loop: calls due but never sent at the end */
	bool rate_held;
	char rate_reason[200];
	struct lg_step *steps; /* intervals, or ramp steps */
	size_t n_steps, cap_steps;
	int ramp_best; /* the last sustained step; -1: none */
	int ramp_broke; /* the step that broke it; -1: none (--ramp-max or time) */
	char ramp_reason[200];
	int exit_status;
};

/* ticks.c (main() only). Bumps run->tick, waits (bounded) for every
 * thread's hand-over and takes it all into into. */
void lg_collect(struct lg_run *run, struct lg_thread *th, unsigned n, struct lg_share *into);
void lg_share_add(struct lg_result *res, const struct lg_share *sh);
/* The open-loop rate, in calls/s over all threads; the schedule restarts. */
void lg_set_rate(struct lg_run *run, double rate);
/* Records one interval or ramp step, prints its line, and for a ramp
 * judges it (res->ramp_best, ramp_broke, ramp_reason). */
void lg_step_done(const struct lg_opts *o, struct lg_result *res, const struct lg_share *sh, double t_s,
		  double dt_s, double asked);

/* report.c */
void lg_report_text(const struct lg_opts *o, const struct lg_result *r);
/* Writes the JSON result (see bench/load/result.schema.json); 0 or -errno. */
int lg_report_json(const struct lg_opts *o, const struct lg_result *r, const char *path);
const char *lg_mode_name(const struct lg_opts *o);

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

/* pace.c. Whether a call may leave now: closed loop, when there is work
 * (a --count token); open loop, also when its intended time has come.
 * *t0 is the time its latency runs from (the intended time, open loop). */
bool lg_take(struct lg_thread *t, uint64_t now, uint64_t *t0);
/* Open loop: how long to wait for replies before sending again: until
 * the next call is due, at least LG_PACE_QUANTUM_NS (the caller sent all
 * it could first); closed loop: 0. */
uint64_t lg_pace_wait_ns(struct lg_thread *t, uint64_t now);
static inline bool lg_paced(const struct lg_thread *t)
{
	return t->o->rate > 0 && !t->prime;
}
/* Hands the interval's counters to main() when it has ticked; every
 * engine calls it once per turn of its loop, and thread_main at the end. */
void lg_tick(struct lg_thread *t, bool final);
static inline bool lg_measuring(const struct lg_thread *t)
{
	int ph = atomic_load_explicit(&t->run->phase, memory_order_relaxed);
	return ph == LG_PHASE_MEASURE || ph == LG_PHASE_DRAIN;
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
/* A bucket's bounds: [lo, hi) in ns (fixed, so histograms merge). */
uint64_t lg_hist_lo(unsigned idx);
uint64_t lg_hist_hi(unsigned idx);
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
/* mix.c: reads a --mix file into o (0, or -1 with a message in err). */
int lg_mix_load(struct lg_opts *o, const char *path, char *err, size_t errlen);
/* The mount-storm preset: GETPORT of nfs, mountd and nlockmgr for netid
 * (udp or tcp; udp6/tcp6: RPCBIND v4 GETADDR, as nfs-utils over IPv6). */
void lg_mix_mount_storm(struct lg_opts *o, const char *netid);
/* The entry a weighted draw r (0 <= r < mix_total) picks. */
unsigned lg_mix_pick(const struct lg_opts *o, uint64_t r);
extern const char *const lg_call_names[8];

/* Tells main() that a thread set up its sockets (rc 0) or failed (rc < 0,
 * t->err says why); on success, waits until main() says go. */
void lg_thread_ready(struct lg_thread *t, int rc);

#endif
