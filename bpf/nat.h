/* SPDX-License-Identifier: GPL-2.0 */
/* Full NAT of an IPv4 packet: addresses, ports, TTL and MACs, with every
 * checksum updated incrementally. */
#ifndef ZLB_BPF_NAT_H
#define ZLB_BPF_NAT_H

#include "parse.h"
#include "csum.h"

static __always_inline void nat_l4(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
				   const struct zlb_ct_entry *to)
{
	void *end = ctx_data_end(ctx);
	struct iphdr *iph = pkt->iph;

	if (pkt->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = pkt->l4;

		if ((void *)(tcp + 1) > end)
			return;
		csum_replace4(&tcp->check, iph->saddr, to->saddr);
		csum_replace4(&tcp->check, iph->daddr, to->daddr);
		csum_replace2(&tcp->check, tcp->source, to->sport);
		csum_replace2(&tcp->check, tcp->dest, to->dport);
		tcp->source = to->sport;
		tcp->dest = to->dport;
	} else if (pkt->proto == IPPROTO_UDP) {
		struct udphdr *udp = pkt->l4;

		if ((void *)(udp + 1) > end)
			return;
		udp->source = to->sport;
		udp->dest = to->dport;
		/* A UDP checksum of 0 means "none" and stays so; a computed 0
		 * is sent as 0xffff (RFC 768). */
		if (!udp->check)
			return;
		csum_replace4(&udp->check, iph->saddr, to->saddr);
		csum_replace4(&udp->check, iph->daddr, to->daddr);
		csum_replace2(&udp->check, pkt->sport, to->sport);
		csum_replace2(&udp->check, pkt->dport, to->dport);
		if (!udp->check)
			udp->check = 0xffff;
	}
	/* ICMP echo keeps its identifier and its checksum covers no address. */
}

static __always_inline void nat_rewrite(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
					const struct zlb_ct_entry *to,
					const struct zlb_fib_entry *route)
{
	struct iphdr *iph = pkt->iph;
	__u16 old_ttl_word = *(__u16 *)&iph->ttl;

	nat_l4(ctx, pkt, to);
	csum_replace4(&iph->check, iph->saddr, to->saddr);
	csum_replace4(&iph->check, iph->daddr, to->daddr);
	iph->saddr = to->saddr;
	iph->daddr = to->daddr;
	iph->ttl--;
	csum_replace2(&iph->check, old_ttl_word, *(__u16 *)&iph->ttl);
	__builtin_memcpy(pkt->eth->h_source, route->smac, ETH_ALEN);
	__builtin_memcpy(pkt->eth->h_dest, route->dmac, ETH_ALEN);
}

#endif
