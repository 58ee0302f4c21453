/* systemd's sd_notify protocol, without libsystemd: one datagram to the
 * AF_UNIX socket named by $NOTIFY_SOCKET ('@' for an abstract name). */
#ifndef RB_NET_NOTIFY_H
#define RB_NET_NOTIFY_H

/* Sends msg (e.g. "READY=1"); 0, -errno, or 0 when NOTIFY_SOCKET is unset. */
int rb_notify(const char *msg);

#endif
