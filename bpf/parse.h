/* SPDX-License-Identifier: GPL-2.0 */
/* Parsing: Ethernet (one 802.1Q/802.1ad tag), ARP, IPv4, TCP/UDP/ICMP echo.
 * Anything the parser does not understand is left to the stack. */
#ifndef ZLB_BPF_PARSE_H
#define ZLB_BPF_PARSE_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

#include "compat.h"
#include "ctx.h"

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* An ARP packet for IPv4 over Ethernet. */
struct arp_eth_ipv4 {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

enum zlb_l3 { ZLB_L3_OTHER, ZLB_L3_ARP, ZLB_L3_IPV4 };

struct zlb_pkt {
	struct ethhdr *eth;
	struct iphdr *iph;
	void *l4;
	struct arp_eth_ipv4 *arp;
	__u8 l3;
	__u8 proto;              /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP */
	__u8 icmp_type;
	__u8 tcp_flags;          /* byte 13 of the TCP header */
	__u8 fragment;           /* IPv4 fragment (first or later) */
	__be16 sport;            /* ICMP echo: both hold the identifier */
	__be16 dport;
	/* An ICMP error (destination unreachable, time exceeded) quoting a
	 * TCP or UDP packet: its IPv4 header and ports. */
	struct iphdr *inner;
	__be16 *inner_ports;
};

#define ICMP_DEST_UNREACH_TYPE 3
#define ICMP_TIME_EXCEEDED_TYPE 11

#define ZLB_TCP_FIN 0x01
#define ZLB_TCP_SYN 0x02
#define ZLB_TCP_RST 0x04
#define ZLB_TCP_ACK 0x10

static __always_inline int parse_eth(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
				     void **next, __be16 *proto)
{
	void *data = ctx_data(ctx), *end = ctx_data_end(ctx);
	struct ethhdr *eth = data;
	struct vlan_hdr *vlan;

	if ((void *)(eth + 1) > end)
		return -1;
	pkt->eth = eth;
	*proto = eth->h_proto;
	*next = eth + 1;
	if (*proto == bpf_htons(ETH_P_8021Q) || *proto == bpf_htons(ETH_P_8021AD)) {
		vlan = *next;
		if ((void *)(vlan + 1) > end)
			return -1;
		*proto = vlan->proto;
		*next = vlan + 1;
	}
	return 0;
}

/* Whether the @len bytes at @p lie within the IPv4 total length of @pkt:
 * a frame may carry more (Ethernet padding), which no checksum covers. */
static __always_inline int in_ip_len(const struct zlb_pkt *pkt, const void *p, __u32 len)
{
	return (__u64)(p - (void *)pkt->iph) + len <= bpf_ntohs(pkt->iph->tot_len);
}

/* The packet an ICMP error quotes: its IPv4 header (no options) and the
 * first 8 bytes of a TCP or UDP header -- all an error must carry. */
static __always_inline int parse_icmp_error(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
					    struct iphdr *inner)
{
	void *end = ctx_data_end(ctx);
	__be16 *ports = (void *)(inner + 1);

	if ((void *)(ports + 4) > end || !in_ip_len(pkt, inner, sizeof(*inner) + 8) ||
	    inner->version != 4 || inner->ihl != 5 ||
	    (inner->protocol != IPPROTO_TCP && inner->protocol != IPPROTO_UDP))
		return -1;
	pkt->inner = inner;
	pkt->inner_ports = ports;
	return 0;
}

static __always_inline int parse_l4(struct zlb_ctx *ctx, struct zlb_pkt *pkt)
{
	void *end = ctx_data_end(ctx);

	switch (pkt->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *tcp = pkt->l4;

		if ((void *)(tcp + 1) > end || tcp->doff < 5)
			return -1;
		pkt->sport = tcp->source;
		pkt->dport = tcp->dest;
		pkt->tcp_flags = ((__u8 *)tcp)[13];
		return 0;
	}
	case IPPROTO_UDP: {
		struct udphdr *udp = pkt->l4;

		if ((void *)(udp + 1) > end)
			return -1;
		pkt->sport = udp->source;
		pkt->dport = udp->dest;
		return 0;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *icmp = pkt->l4;

		if ((void *)(icmp + 1) > end)
			return -1;
		pkt->icmp_type = icmp->type;
		if (icmp->type == ICMP_DEST_UNREACH_TYPE || icmp->type == ICMP_TIME_EXCEEDED_TYPE)
			return parse_icmp_error(ctx, pkt, (void *)(icmp + 1));
		if (icmp->type != ICMP_ECHO && icmp->type != ICMP_ECHOREPLY)
			return -1;
		pkt->sport = icmp->un.echo.id;
		pkt->dport = icmp->un.echo.id;
		return 0;
	}
	}
	return -1;
}

/* Fill @pkt. Returns the L3 kind; ZLB_L3_IPV4 only for a complete IPv4
 * header carrying TCP, UDP or ICMP echo whose L4 header is in the frame
 * (later fragments have none: they are marked and left without ports). */
static __always_inline int zlb_parse(struct zlb_ctx *ctx, struct zlb_pkt *pkt)
{
	void *end = ctx_data_end(ctx), *next;
	struct iphdr *iph;
	__be16 proto;

	if (parse_eth(ctx, pkt, &next, &proto))
		return ZLB_L3_OTHER;
	if (proto == bpf_htons(ETH_P_ARP)) {
		pkt->arp = next;
		if ((void *)(pkt->arp + 1) > end)
			return ZLB_L3_OTHER;
		return ZLB_L3_ARP;
	}
	if (proto != bpf_htons(ETH_P_IP))
		return ZLB_L3_OTHER;
	iph = next;
	if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
		return ZLB_L3_OTHER;
	pkt->iph = iph;
	pkt->proto = iph->protocol;
	pkt->l4 = (void *)iph + iph->ihl * 4;
	if (pkt->l4 > end)
		return ZLB_L3_OTHER;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) {
		pkt->fragment = 1;
		if (iph->frag_off & bpf_htons(IP_OFFSET)) {
			pkt->l4 = NULL;
			return ZLB_L3_IPV4;
		}
	}
	if (parse_l4(ctx, pkt))
		return ZLB_L3_OTHER;
	return ZLB_L3_IPV4;
}

#endif
