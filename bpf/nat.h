/* SPDX-License-Identifier: GPL-2.0 */
/* Full NAT of an IPv4 packet: addresses, ports, TTL and MACs, with every
 * checksum updated incrementally, or completed when it was partial. */
#ifndef ZLB_BPF_NAT_H
#define ZLB_BPF_NAT_H

#include "parse.h"
#include "csum.h"
#include "stats.h"

/* The L4 checksum field of @pkt (TCP or UDP), or NULL. */
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
	return NULL;
}

static __always_inline void set_ports(struct zlb_pkt *pkt, __be16 sport, __be16 dport)
{
	__be16 *ports = pkt->l4;    /* source, then destination: TCP and UDP */

	ports[0] = sport;
	ports[1] = dport;
}

#ifndef ZLB_TC
/* Complete the partial L4 checksum of the packet whose IPv4 header is at
 * @l3_off and L4 header at @l4_off (addresses already rewritten): the
 * pseudo-header sum goes in the field, then the sum over the whole segment
 * is folded into it. A function of its own: the verifier checks its loops
 * once, not on every path of the program that leads here. XDP only: an
 * skb keeps its partial checksum for the device (ctx_tc.h). */
__attribute__((noinline))
int zlb_l4_csum_complete(struct zlb_ctx *ctx, __u64 l3_off, __u64 l4_off)
{
	void *data = ctx_data(ctx), *end = ctx_data_end(ctx);
	struct iphdr *iph;
	__sum16 *check;
	__u32 len;
	__s64 sum;

	if (l3_off > 64 || l4_off > 128)
		return -1;
	iph = data + l3_off;
	if ((void *)(iph + 1) > end)
		return -1;
	len = bpf_ntohs(iph->tot_len) - iph->ihl * 4;
	check = data + l4_off + (iph->protocol == IPPROTO_TCP ? 16 : 6);
	if ((void *)(check + 1) > end || len > 0xffff)
		return -1;
	*check = csum_pseudo(iph->saddr, iph->daddr, iph->protocol, len);
	sum = csum_bytes(data + l4_off, end, len);
	if (sum < 0)
		return -1;
	*check = ~csum_fold32(sum);
	if (iph->protocol == IPPROTO_UDP && !*check)
		*check = 0xffff;
	count(ZLB_C_CSUM_COMPLETED);
	return 0;
}
#endif

/* Rewrite @pkt to the addresses and ports of @to and the MACs of @route.
 * Every direct write comes first; the L4 checksum updates come last, by
 * offset (in the tc build they invalidate packet pointers). */
static __always_inline void nat_rewrite(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
					const struct zlb_ct_entry *to,
					const struct zlb_fib_entry *route)
{
	struct iphdr *iph = pkt->iph;
	__u16 old_ttl_word = *(__u16 *)&iph->ttl;
	__u16 len = bpf_ntohs(iph->tot_len) - iph->ihl * 4;
	__sum16 *check = l4_check(ctx, pkt);
	__be32 old_saddr = iph->saddr, old_daddr = iph->daddr;
	int partial = 0, update, udp = pkt->proto == IPPROTO_UDP ? ZLB_CSUM_UDP : 0;
	__u32 check_off = 0;

	/* A UDP checksum of 0 means "none" and stays so; TCP has no "none",
	 * its 0 is a checksum like any other. */
	update = check && (*check || pkt->proto == IPPROTO_TCP);
	if (update) {
		partial = ctx_l4_partial(ctx, check,
					 csum_pseudo(iph->saddr, iph->daddr, pkt->proto, len));
		check_off = (void *)check - ctx_data(ctx);
	}
	if (check)
		set_ports(pkt, to->sport, to->dport);
	/* ICMP echo keeps its identifier and its checksum covers no address. */
	csum_replace4(&iph->check, iph->saddr, to->saddr);
	csum_replace4(&iph->check, iph->daddr, to->daddr);
	iph->saddr = to->saddr;
	iph->daddr = to->daddr;
	iph->ttl--;
	csum_replace2(&iph->check, old_ttl_word, *(__u16 *)&iph->ttl);
	__builtin_memcpy(pkt->eth->h_source, route->smac, ETH_ALEN);
	__builtin_memcpy(pkt->eth->h_dest, route->dmac, ETH_ALEN);
#ifdef ZLB_TC
	(void)partial;
#else
	if (partial) {
		zlb_l4_csum_complete(ctx, (void *)iph - ctx_data(ctx), pkt->l4 - ctx_data(ctx));
		return;
	}
#endif
	if (!update)
		return;
	ctx_l4_csum_replace(ctx, check_off, old_saddr, to->saddr, 4, ZLB_CSUM_PSEUDO | udp);
	ctx_l4_csum_replace(ctx, check_off, old_daddr, to->daddr, 4, ZLB_CSUM_PSEUDO | udp);
	ctx_l4_csum_replace(ctx, check_off, pkt->sport, to->sport, 2, udp);
	ctx_l4_csum_replace(ctx, check_off, pkt->dport, to->dport, 2, udp);
}

#endif
