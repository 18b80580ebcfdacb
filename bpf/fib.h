/* SPDX-License-Identifier: GPL-2.0 */
/* Forwarding decisions: bpf_fib_lookup with a cache of bounded age, the
 * neighbour cache for next hops the FIB has no MAC for, and ARP learning. */
#ifndef ZLB_BPF_FIB_H
#define ZLB_BPF_FIB_H

#include "parse.h"
#include "stats.h"
#include "zlb_hash.h"

/* The FIB found the route but no usable neighbour: take the next hop's MAC
 * from zlb_neigh and our own from zlb_ifaces. Returns 0 or a drop counter. */
static __always_inline int route_from_neigh(const struct bpf_fib_lookup *p,
					    struct zlb_fib_entry *out)
{
	__u32 ifindex = p->ifindex;
	union zlb_addr nexthop;
	struct zlb_neigh_entry *n;
	struct zlb_iface *ifc;

	if (p->family == AF_INET)
		zlb_addr_set_v4(&nexthop, p->ipv4_dst);
	else
		__builtin_memcpy(&nexthop, p->ipv6_dst, 16);
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

/* What routing needs of @pkt: protocol, TOS and IP total length (the MTU
 * check), packed for zlb_route(). */
static __always_inline __u64 route_info(const struct zlb_pkt *pkt)
{
	if (pkt->family == 4)
		return pkt->proto | (__u64)pkt->iph->tos << 8 |
		       (__u64)bpf_ntohs(pkt->iph->tot_len) << 16;
	return pkt->proto | (__u64)(sizeof(struct ipv6hdr) + bpf_ntohs(pkt->ip6->payload_len)) << 16;
}

/* The bpf_fib_lookup() question for @daddr from @saddr, of a packet
 * route_info() @info, arriving on the ingress interface. */
static __always_inline void fib_params(struct zlb_ctx *ctx, struct bpf_fib_lookup *p,
				       const union zlb_addr *daddr, const union zlb_addr *saddr,
				       __u64 info)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->l4_protocol = info & 0xff;
	p->tot_len = info >> 16;
	p->ifindex = ctx_ifindex(ctx);
	if (zlb_addr_is_v4(daddr)) {
		p->family = AF_INET;
		p->tos = info >> 8;
		p->ipv4_src = saddr->v4;
		p->ipv4_dst = daddr->v4;
	} else {
		p->family = AF_INET6;
		__builtin_memcpy(p->ipv6_src, saddr, 16);
		__builtin_memcpy(p->ipv6_dst, daddr, 16);
	}
}

/* Ask the FIB for the route to @daddr of a packet (route_info() @info)
 * into @out, and cache it in this CPU's zlb_fib_cache (slot
 * zlb_fib_slot(@daddr)) when it has a neighbour. @saddr is the source
 * it will carry (zeros: not chosen yet; with BPF_FIB_LOOKUP_SRC the FIB then
 * gives one in out->src). Returns 0 or the counter of the drop reason. A
 * function of its own: the verifier checks its many outcomes once, not on
 * every path that leads here. */
__attribute__((noinline))
int zlb_route_fib(struct zlb_ctx *ctx, const union zlb_addr *daddr, const union zlb_addr *saddr,
		  struct zlb_fib_entry *out, __u64 info)
{
	__u32 flags = zlb_rodata.fib_lookup_src ? ZLB_FIB_LOOKUP_SRC : 0;
	struct zlb_fib_entry *cached;
	struct bpf_fib_lookup p;
	struct zlb_iface *ifc;
	struct zlb_meta *meta;
	__u32 zero = 0, slot;
	long rc;

	if (!daddr || !saddr || !out)
		return ZLB_C_DROP_FIB;
	fib_params(ctx, &p, daddr, saddr, info);
	count(ZLB_C_FIB_LOOKUP);
	rc = ctx_fib_lookup(ctx, &p, flags);

	__builtin_memset(out, 0, sizeof(*out));
	out->daddr = *daddr;
	out->ifindex = p.ifindex;
	if (flags && p.family == AF_INET)
		zlb_addr_set_v4(&out->src, p.ipv4_src);
	else if (flags)
		__builtin_memcpy(&out->src, p.ipv6_src, 16);
	ifc = bpf_map_lookup_elem(&zlb_ifaces, &p.ifindex);
	out->if_slot = ifc ? ifc->slot + 1 : 0;
	out->if_flags = ifc ? ifc->flags : 0;
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		__builtin_memcpy(out->smac, p.smac, ETH_ALEN);
		__builtin_memcpy(out->dmac, p.dmac, ETH_ALEN);
		/* The route's MTU, for the cached route's check: the FIB
		 * tells it when a packet is too large for it. */
		fib_params(ctx, &p, daddr, saddr, 0xffff0000 | info);
		if (bpf_fib_lookup(ctx, &p, sizeof(p), flags) == BPF_FIB_LKUP_RET_FRAG_NEEDED)
			out->mtu = p.mtu_result;
		meta = bpf_map_lookup_elem(&zlb_meta, &zero);
		slot = zlb_fib_slot(daddr->w);
		cached = bpf_map_lookup_elem(&zlb_fib_cache, &slot);
		if (meta && cached) {
			out->generation = meta->generation;
			out->expires_ns = zlb_now() + meta->fib_cache_ns;
			*cached = *out;
		}
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

/* The route to @daddr in *@route: this CPU's cached one when it is still
 * good (the same destination, not expired, cached since the last load),
 * read where it lies, else the FIB's (zlb_route_fib), written to @out.
 * Returns 0 or the counter of the drop reason. */
static __always_inline int zlb_route(struct zlb_ctx *ctx, const union zlb_addr *daddr,
				     const union zlb_addr *saddr, struct zlb_fib_entry *out,
				     __u64 info, const struct zlb_meta *meta, __u64 now,
				     struct zlb_counters *cnt, const struct zlb_fib_entry **route)
{
	__u32 slot = zlb_fib_slot(daddr->w);
	struct zlb_fib_entry *c = bpf_map_lookup_elem(&zlb_fib_cache, &slot);

	if (zlb_likely(c && c->expires_ns > now && c->generation == (__u32)meta->generation &&
		       zlb_addr_equal(&c->daddr, daddr))) {
		count_in(cnt, ZLB_C_FIB_CACHE_HIT);
		/* the MTU check of a fresh lookup (a GSO skb leaves in
		 * segments: the device checks those) */
		if (zlb_unlikely(c->mtu && (info >> 16) > c->mtu && !ctx_is_gso(ctx)))
			return ZLB_C_DROP_FRAG_NEEDED;
		*route = c;
		return 0;
	}
	*route = out;
	return zlb_route_fib(ctx, daddr, saddr, out, info);
}

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	return *(__u32 *)a == *(__u32 *)b && *(__u16 *)(a + 4) == *(__u16 *)(b + 4);
}

/* Teach zlb_neigh that @addr is at @mac on @ifindex (when new or moved). */
static __always_inline void neigh_learn(const union zlb_addr *addr, const __u8 *mac,
					__u32 ifindex)
{
	struct zlb_neigh_entry *old, n = {};

	old = bpf_map_lookup_elem(&zlb_neigh, addr);
	if (old && old->ifindex == ifindex && mac_equal(old->mac, mac)) {
		old->updated_ns = zlb_now();
		return;
	}
	__builtin_memcpy(n.mac, mac, ETH_ALEN);
	n.flags = ZLB_NEIGH_F_LEARNED;
	n.ifindex = ifindex;
	n.updated_ns = zlb_now();
	if (!bpf_map_update_elem(&zlb_neigh, addr, &n, BPF_ANY))
		count(ZLB_C_NEIGH_LEARNED);
}

/* ARP requests and replies seen on a configured interface teach the
 * neighbour cache the sender's MAC. The packet itself goes to the stack. */
static __always_inline void arp_learn(struct zlb_ctx *ctx, const struct zlb_pkt *pkt)
{
	struct arp_eth_ipv4 *arp = pkt->arp;
	__u32 ifindex = ctx_ifindex(ctx);
	union zlb_addr spa;

	if (arp->htype != bpf_htons(1) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != ETH_ALEN || arp->plen != 4)
		return;
	if (!arp->spa || !bpf_map_lookup_elem(&zlb_ifaces, &ifindex))
		return;
	zlb_addr_set_v4(&spa, arp->spa);
	neigh_learn(&spa, arp->sha, ifindex);
}

#endif
