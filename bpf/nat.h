/* SPDX-License-Identifier: GPL-2.0 */
/* Full NAT of an IPv4 or IPv6 packet: addresses, ports, TTL / hop limit and
 * MACs, with every checksum updated incrementally, or completed when it was
 * partial. */
#ifndef ZLB_BPF_NAT_H
#define ZLB_BPF_NAT_H

#include "parse.h"
#include "csum.h"
#include "stats.h"

/* The L4 checksum field of @pkt (TCP, UDP, ICMPv6), or NULL. ICMP for
 * IPv4 has one too, but it covers no address: NAT leaves it alone. */
static __always_inline __sum16 *l4_check(struct zlb_ctx *ctx, struct zlb_pkt *pkt)
{
	void *end = ctx_data_end(ctx);

	if (pkt->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = pkt->l4;

		return (void *)(tcp + 1) <= end ? &tcp->check : NULL;
	}
	if (pkt->proto == IPPROTO_UDP) {
		struct udphdr *udp = pkt->l4;

		return (void *)(udp + 1) <= end ? &udp->check : NULL;
	}
	if (pkt->proto == IPPROTO_ICMPV6) {
		struct icmp6hdr *icmp = pkt->l4;

		return (void *)(icmp + 1) <= end ? &icmp->icmp6_cksum : NULL;
	}
	return NULL;
}

static __always_inline void set_ports(struct zlb_pkt *pkt, __be16 sport, __be16 dport)
{
	__be16 *ports = pkt->l4;    /* source, then destination: TCP and UDP */

	ports[0] = sport;
	ports[1] = dport;
}

/* What a checksum over the address @from must take in when it becomes @to
 * (IPv4: the mapped word only). */
static __always_inline __u32 csum_addr_diff(__u32 sum, const union zlb_addr *from,
					    const union zlb_addr *to)
{
	if (zlb_addr_is_v4(to))
		return csum_diff32(sum, from->v4, to->v4);
	for (int i = 0; i < 4; i++)
		sum = csum_diff32(sum, from->w[i], to->w[i]);
	return sum;
}

/* What a checksum over @pkt's addresses must take in when they become
 * those of @to. */
static __always_inline __u32 pkt_addr_diff(const struct zlb_pkt *pkt,
					   const struct zlb_ct_entry *to)
{
	__u32 sum = 0;

	if (pkt->family == 4)
		return csum_diff32(csum_diff32(0, pkt->iph->saddr, to->saddr.v4),
				   pkt->iph->daddr, to->daddr.v4);
	if (pkt->family != 6)
		return 0;
	for (int i = 0; i < 4; i++) {
		sum = csum_diff32(sum, pkt->ip6->saddr.in6_u.u6_addr32[i], to->saddr.w[i]);
		sum = csum_diff32(sum, pkt->ip6->daddr.in6_u.u6_addr32[i], to->daddr.w[i]);
	}
	return sum;
}

/* The pseudo-header sum of @pkt: what a partial checksum holds. */
static __always_inline __u16 pkt_pseudo(const struct zlb_pkt *pkt)
{
	if (pkt->family == 4)
		return csum_pseudo(pkt->iph->saddr, pkt->iph->daddr, pkt->proto, pkt->l4_len);
	if (pkt->family != 6)
		return 0;
	return csum_pseudo6(pkt->ip6->saddr.in6_u.u6_addr32, pkt->ip6->daddr.in6_u.u6_addr32,
			    pkt->proto, pkt->l4_len);
}

/* Rewrite @pkt to the addresses and ports of @to and the MACs of @route.
 * Every direct write comes first; the L4 checksum is updated last, by
 * offset, by the hook's ctx_l4_update() (in the tc build it invalidates
 * packet pointers; in XDP it also completes a partial checksum). */
static __always_inline void nat_rewrite(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
					const struct zlb_ct_entry *to,
					const struct zlb_fib_entry *route)
{
	__sum16 *check = l4_check(ctx, pkt);
	int ports = pkt->proto == IPPROTO_TCP || pkt->proto == IPPROTO_UDP;
	struct zlb_l4_update u = {};
	void *data = ctx_data(ctx);

	u.addr_diff = pkt_addr_diff(pkt, to);
	u.proto = pkt->proto;
	u.len = pkt->l4_len;
	/* A UDP checksum of 0 means "none" and stays so; TCP's and ICMPv6's
	 * 0 is a checksum like any other. */
	if (check && (*check || pkt->proto != IPPROTO_UDP)) {
		u.check_off = (void *)check - data;
		u.l4_off = pkt->l4 - data;
		/* what a partial checksum would hold (TCP, UDP) */
		u.pseudo = ports ? pkt_pseudo(pkt) : 0;
	}
	/* ICMP echo keeps its identifier. */
	if (ports) {
		u.port_diff = csum_diff16(csum_diff16(0, pkt->sport, to->sport), pkt->dport, to->dport);
		set_ports(pkt, to->sport, to->dport);
	}
	if (pkt->family == 4) {
		struct iphdr *iph = pkt->iph;
		__u16 old_ttl_word = *(__u16 *)&iph->ttl;

		u.l3_off = (void *)iph - data;
		iph->saddr = to->saddr.v4;
		iph->daddr = to->daddr.v4;
		iph->ttl--;
		/* The header's checksum takes the addresses' difference (ICMP's
		 * covers no address: only IPv4's own does) and the TTL's, at
		 * once. */
		csum_apply_diff(&iph->check, csum_diff16(u.addr_diff, old_ttl_word,
							 *(__u16 *)&iph->ttl));
	} else {
		u.l3_off = (void *)pkt->ip6 - data;
		u.ipv6 = 1;
		__builtin_memcpy(&pkt->ip6->saddr, &to->saddr, 16);
		__builtin_memcpy(&pkt->ip6->daddr, &to->daddr, 16);
		pkt->ip6->hop_limit--;
	}
	__builtin_memcpy(pkt->eth->h_source, route->smac, ETH_ALEN);
	__builtin_memcpy(pkt->eth->h_dest, route->dmac, ETH_ALEN);
	if (u.check_off)
		ctx_l4_update(ctx, &u);
}

#endif
