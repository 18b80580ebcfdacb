/* SPDX-License-Identifier: GPL-2.0 */
/* Forwarding decisions: bpf_fib_lookup with a cache of bounded age, the
 * neighbour cache for next hops the FIB has no MAC for, and ARP learning. */
#ifndef ZLB_BPF_FIB_H
#define ZLB_BPF_FIB_H

#include "parse.h"
#include "stats.h"

static __always_inline __u64 fib_cache_age(void)
{
	__u32 zero = 0;
	struct zlb_meta *meta = bpf_map_lookup_elem(&zlb_meta, &zero);

	return meta ? meta->fib_cache_ns : ZLB_DEFAULT_FIB_CACHE_MS * 1000000ULL;
}

/* The FIB found the route but no usable neighbour: take the next hop's MAC
 * from zlb_neigh and our own from zlb_ifaces. Returns 0 or a drop counter. */
static __always_inline int route_from_neigh(const struct bpf_fib_lookup *p,
					    struct zlb_fib_entry *out)
{
	__be32 nexthop = p->ipv4_dst;
	__u32 ifindex = p->ifindex;
	struct zlb_neigh_entry *n;
	struct zlb_iface *ifc;

	count(ZLB_C_NEIGH_MISS);
	n = bpf_map_lookup_elem(&zlb_neigh, &nexthop);
	if (!n || n->ifindex != ifindex)
		return ZLB_C_DROP_NO_NEIGH;
	ifc = bpf_map_lookup_elem(&zlb_ifaces, &ifindex);
	if (!ifc)
		return ZLB_C_DROP_NO_TX_PORT;
	__builtin_memcpy(out->dmac, n->mac, ETH_ALEN);
	__builtin_memcpy(out->smac, ifc->mac, ETH_ALEN);
	return 0;
}

/* Route a packet of @pkt to @daddr. @saddr is the source it will carry (0:
 * not chosen yet; with BPF_FIB_LOOKUP_SRC the FIB then gives one in
 * out->src). Returns 0 or the counter of the drop reason. */
static __always_inline int zlb_route(struct zlb_ctx *ctx, const struct zlb_pkt *pkt,
				     __be32 daddr, __be32 saddr, struct zlb_fib_entry *out)
{
	__u32 flags = zlb_rodata.fib_lookup_src ? ZLB_FIB_LOOKUP_SRC : 0;
	struct bpf_fib_lookup p = {};
	struct zlb_fib_entry *cached;
	__u64 now = bpf_ktime_get_ns();
	long rc;

	cached = bpf_map_lookup_elem(&zlb_fib_cache, &daddr);
	if (cached && cached->expires_ns > now) {
		count(ZLB_C_FIB_CACHE_HIT);
		*out = *cached;
		return 0;
	}

	p.family = AF_INET;
	p.tos = pkt->iph->tos;
	p.l4_protocol = pkt->proto;
	p.tot_len = bpf_ntohs(pkt->iph->tot_len);
	p.ipv4_src = saddr;
	p.ipv4_dst = daddr;
	p.ifindex = ctx_ifindex(ctx);
	count(ZLB_C_FIB_LOOKUP);
	rc = ctx_fib_lookup(ctx, &p, flags);

	__builtin_memset(out, 0, sizeof(*out));
	out->ifindex = p.ifindex;
	out->src = flags ? p.ipv4_src : 0;
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		__builtin_memcpy(out->smac, p.smac, ETH_ALEN);
		__builtin_memcpy(out->dmac, p.dmac, ETH_ALEN);
		out->expires_ns = now + fib_cache_age();
		bpf_map_update_elem(&zlb_fib_cache, &daddr, out, BPF_ANY);
		return 0;
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		/* Not cached: the kernel's entry is used as soon as it exists. */
		return route_from_neigh(&p, out);
	case BPF_FIB_LKUP_RET_FWD_DISABLED:
		return ZLB_C_DROP_FWD_DISABLED;
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return ZLB_C_DROP_FRAG_NEEDED;
	}
	return ZLB_C_DROP_FIB;
}

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	return *(__u32 *)a == *(__u32 *)b && *(__u16 *)(a + 4) == *(__u16 *)(b + 4);
}

/* Teach zlb_neigh that @addr is at @mac on @ifindex (when new or moved). */
static __always_inline void neigh_learn(__be32 addr, const __u8 *mac, __u32 ifindex)
{
	struct zlb_neigh_entry *old, n = {};

	old = bpf_map_lookup_elem(&zlb_neigh, &addr);
	if (old && old->ifindex == ifindex && mac_equal(old->mac, mac)) {
		old->updated_ns = bpf_ktime_get_ns();
		return;
	}
	__builtin_memcpy(n.mac, mac, ETH_ALEN);
	n.flags = ZLB_NEIGH_F_LEARNED;
	n.ifindex = ifindex;
	n.updated_ns = bpf_ktime_get_ns();
	if (!bpf_map_update_elem(&zlb_neigh, &addr, &n, BPF_ANY))
		count(ZLB_C_NEIGH_LEARNED);
}

/* ARP requests and replies seen on a configured interface teach the
 * neighbour cache the sender's MAC. The packet itself goes to the stack. */
static __always_inline void arp_learn(struct zlb_ctx *ctx, const struct zlb_pkt *pkt)
{
	struct arp_eth_ipv4 *arp = pkt->arp;
	__u32 ifindex = ctx_ifindex(ctx);
	__be32 spa;

	if (arp->htype != bpf_htons(1) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != ETH_ALEN || arp->plen != 4)
		return;
	spa = arp->spa;
	if (!spa || !bpf_map_lookup_elem(&zlb_ifaces, &ifindex))
		return;
	neigh_learn(spa, arp->sha, ifindex);
}

#endif
