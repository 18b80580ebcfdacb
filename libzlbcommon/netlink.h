/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel state zon-lb reads or asks for through netlink (libnl): interfaces,
 * routes, neighbours, and the netdev family's XDP features. */
#ifndef ZLB_NETLINK_H
#define ZLB_NETLINK_H

#include <stdbool.h>
#include <linux/types.h>

#include "log.h"
#include "maps.h"
#include "zlb_addr.h"

struct zlb_nl;

struct zlb_nl *zlb_nl_open(struct zlb_err *err);
void zlb_nl_close(struct zlb_nl *nl);

struct zlb_link {
	struct zlb_iface_info info;
	bool is_veth;
	bool peer_other_ns;     /* its peer lives in another network namespace
				   (IFLA_LINK_NETNSID is present) */
	bool up;
};

/* Look up interface @name. -1 with @err when there is none. */
int zlb_nl_link(struct zlb_nl *nl, const char *name, struct zlb_link *out, struct zlb_err *err);

/* zlb_nl_link() on a socket of its own: index and MAC of interface @name
 * for code that needs nothing else of netlink. -1 when there is none. */
int zlb_iface_info(const char *name, struct zlb_iface_info *out);

/* Whether interface @ifindex of this network namespace is the one zlb-load
 * recorded as @iface: the same index and MAC. The pins are seen from every
 * namespace that mounts their bpffs, and there the index may name another
 * interface (a tool run without 'ip netns exec'). Its name goes to @name
 * (IF_NAMESIZE bytes) either way, "" when there is none. */
bool zlb_iface_here(__u32 ifindex, const struct zlb_iface *iface, char *name);

struct zlb_route_info {
	__u32 oif;
	union zlb_addr gateway; /* zeros when @dst is on-link */
	union zlb_addr prefsrc; /* the source the kernel would choose; zeros: none */
};

/* Ask the kernel how it routes to @dst (RTM_GETROUTE, the family of @dst). */
int zlb_nl_route_get(struct zlb_nl *nl, const union zlb_addr *dst,
		     struct zlb_route_info *out, struct zlb_err *err);

/* Make the kernel resolve @addr on @ifindex and keep it resolved (a managed
 * neighbour entry, kernel 5.16+). An existing resolved entry is kept. */
int zlb_nl_neigh_manage(struct zlb_nl *nl, __u32 ifindex, const union zlb_addr *addr,
			struct zlb_err *err);

/* The kernel's neighbour entry for @addr on @ifindex: 1 and @mac when it is
 * valid (reachable, stale, delay, probe, permanent), 0 when not, -1 on error.
 * *@state is the entry's NUD state (0 when there is none). */
int zlb_nl_neigh_get(struct zlb_nl *nl, __u32 ifindex, const union zlb_addr *addr,
		     __u8 mac[6], int *state);

/* Whether @ifindex can transmit redirected XDP frames (the netdev family's
 * ndo-xmit XDP feature). -1 with @err when the kernel cannot tell. */
int zlb_nl_xdp_can_xmit(struct zlb_nl *nl, __u32 ifindex, bool *can, struct zlb_err *err);

/* Whether the driver of @ifindex runs XDP programs in native mode (the
 * netdev family's basic XDP feature). -1 with @err when the kernel cannot
 * tell. */
int zlb_nl_xdp_native(struct zlb_nl *nl, __u32 ifindex, bool *can, struct zlb_err *err);

/* Whether a filter on @ifindex's tc ingress hook has priority @prio (none
 * without a clsact or ingress qdisc). */
int zlb_nl_ingress_prio_used(struct zlb_nl *nl, __u32 ifindex, __u16 prio, bool *used,
			     struct zlb_err *err);

#endif
