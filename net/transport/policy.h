/* The handlers' policy (registry/procs/dispatch.h) from a configuration: made by
 * every thread that serves calls, at start and on each SIGHUP. */
#ifndef RB_NET_TRANSPORT_POLICY_H
#define RB_NET_TRANSPORT_POLICY_H

#include "core/config.h"
#include "registry/procs/dispatch.h"

/* trusted points into c, which must outlive p. */
void rb_policy_from_config(struct rb_policy *p, const struct rb_config *c);

#endif
