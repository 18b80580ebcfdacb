/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's IPv4 neighbour table, read through libnl-route-3. */
#ifndef ZLB_ARP_KERNEL_NEIGH_H
#define ZLB_ARP_KERNEL_NEIGH_H

#include <linux/types.h>

#include "log.h"

struct zlb_kneigh {
	__be32 addr;
	__u32 ifindex;
	__u8 mac[6];
};

/* The valid entries (reachable, stale, delay, probe, permanent, noarp)
 * with an Ethernet address on one of @ifindexes (@n of them). *@out is
 * malloc'ed; returns the count, or -1 with @err. */
int zlb_kernel_neigh_dump(const __u32 *ifindexes, int n, struct zlb_kneigh **out,
			  struct zlb_err *err);

#endif
