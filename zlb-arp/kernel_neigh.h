/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's neighbour tables, IPv4 (ARP) and IPv6 (neighbour
 * discovery), read through libnl-route-3. */
#ifndef ZLB_ARP_KERNEL_NEIGH_H
#define ZLB_ARP_KERNEL_NEIGH_H

#include <linux/types.h>

#include "log.h"
#include "zlb_abi.h"

struct zlb_kneigh {
	union zlb_addr addr;
	__u32 ifindex;
	__u8 mac[6];
};

/* The valid entries (reachable, stale, delay, probe, permanent, noarp)
 * of either family with a unicast Ethernet address on one of @ifindexes
 * (@n of them). *@out is malloc'ed; returns the count, or -1 with @err. */
int zlb_kernel_neigh_dump(const __u32 *ifindexes, int n, struct zlb_kneigh **out,
			  struct zlb_err *err);

#endif
