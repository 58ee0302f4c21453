/* The registration inventory in /metrics: one series of
 * ringbind_registration_info per registration, so that a fleet's
 * Prometheus can alert when mountd, nlockmgr or status is missing on an
 * NFS server, or a registration is stale (deploy/prometheus/).
 *
 *   ringbind_registration_info{prog="100005",program="mountd",vers="3",
 *     netid="tcp",port="20048",owner="superuser",stale="0"} 1
 *
 * A registry may hold millions of registrations (--max-registrations);
 * a scrape must stay small, so at most RB_INVENTORY_MAX series are
 * written, the oldest registrations first (an NFS server's own services
 * register at boot), and ringbind_registration_info_omitted says how many
 * this exposition left out. */
#ifndef RB_NET_INVENTORY_H
#define RB_NET_INVENTORY_H

#include "net/control/stale.h"
#include "net/base/text.h"
#include "registry/store/registry.h"

/* Series of ringbind_registration_info per scrape. A Linux NFS server
 * registers about 20 (portmapper, nfs, nfs_acl, mountd, nlockmgr and
 * status, each over several versions and netids); a few hundred keep
 * a scrape of a busy host well under 100 KiB. */
#define RB_INVENTORY_MAX 512u

/* Writes the inventory. reg: the registry, walked by its writer thread
 * (the control thread renders /metrics); stale: the last stale scan, or
 * NULL (then every stale label is "0"). Program names come from the rpc
 * database (/etc/rpc through NSS); a number it lacks gets program="". */
void rb_inventory_render(struct rb_text *t, const struct rb_registry *reg,
			 const struct rb_stale *stale);

#endif
