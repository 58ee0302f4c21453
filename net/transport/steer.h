/* Which worker's socket the kernel gives a datagram or a connection: a
 * classic-BPF program on each SO_REUSEPORT group (SO_ATTACH_REUSEPORT_CBPF)
 * returns the index of the socket, and the daemon binds worker i's socket
 * i-th in every group (under socket activation the passed socket, bound
 * first by systemd, is index 0 and worker 0's).
 *   hash:   (default) no program: the kernel's hash of addresses and
 *           ports, so one client socket always reaches one worker;
 *   random: a random index per datagram or connection: the load spreads
 *           evenly however few the client sockets (the hash leaves one of
 *           two workers 12 or more of 16 client sockets one time in 13),
 *           but a client's calls then wait on every worker: measured on 2
 *           shared CPUs, well under half the hash's throughput;
 *   cpu:    the socket of the worker pinned to the CPU that received the
 *           packet (as Knot DNS's socket-affinity), so its softirq, the
 *           worker and the reply stay on one CPU. An index out of range
 *           (a CPU with no worker) falls back to the hash. */
#ifndef RB_NET_STEER_H
#define RB_NET_STEER_H

#include "core/config.h"

/* The longest program: two instructions per worker and three more. */
#define RB_STEER_INSNS_MAX (2u * RB_CONFIG_WORKERS_MAX + 3u)

/* Attaches the program for mode to fd's group of n sockets, worker i's
 * pinned to cpus[i] (-1: not pinned; cpu then falls back to CPU mod n),
 * or removes any program (hash). 0 or -errno. */
int rb_steer_attach(int fd, enum rb_steering mode, unsigned n, const int *cpus);
/* The mode's name, for the log. */
const char *rb_steer_name(enum rb_steering mode);

#endif
