/* SPDX-License-Identifier: GPL-2.0 */
/* Parsing: Ethernet (one 802.1Q/802.1ad tag), ARP, IPv4, IPv6 (hop-by-hop,
 * routing and destination-options headers skipped), TCP/UDP/ICMP(v6) echo
 * and the ICMP(v6) errors that quote TCP or UDP (after the quoted IPv4
 * options or IPv6 extension headers). Anything the parser does
 * not understand is left to the stack. */
#ifndef ZLB_BPF_PARSE_H
#define ZLB_BPF_PARSE_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

#include "compat.h"
#include "zlb_addr.h"
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

enum zlb_l3 { ZLB_L3_OTHER, ZLB_L3_ARP, ZLB_L3_IP };

struct zlb_pkt {
	/* 4 or 6: which of iph and ip6 is set. Every branch on the family
	 * tests this, never the pointers: the verifier cannot tell a packet
	 * pointer from NULL, so a test of one would be explored both ways,
	 * while a constant in a whole stack slot is known. */
	__u64 family;
	struct ethhdr *eth;
	struct iphdr *iph;       /* IPv4: its header, else NULL */
	struct ipv6hdr *ip6;     /* IPv6: its header, else NULL */
	void *l4;
	struct arp_eth_ipv4 *arp;
	__u16 l4_len;            /* the L4 segment's length, by the IP header */
	__u8 l3;
	__u8 proto;              /* IPPROTO_TCP, _UDP, _ICMP or _ICMPV6 */
	__u8 icmp_type;
	__u8 tcp_flags;          /* byte 13 of the TCP header */
	__u8 fragment;           /* a fragment (first or later) */
	__u8 ext_unknown;        /* IPv6: an extension header we do not parse */
	__be16 sport;            /* ICMP echo: both hold the identifier */
	__be16 dport;
	/* An ICMP(v6) error (destination unreachable, time exceeded, packet
	 * too big) quoting a TCP or UDP packet: its IP header and ports. */
	void *inner;             /* struct iphdr or struct ipv6hdr */
	__be16 *inner_ports;
	__u8 inner_proto;
};

/* The packet's addresses, of either family. */
static __always_inline void pkt_addrs(const struct zlb_pkt *pkt, union zlb_addr *saddr,
				      union zlb_addr *daddr)
{
	if (pkt->family == 4) {
		zlb_addr_set_v4(saddr, pkt->iph->saddr);
		zlb_addr_set_v4(daddr, pkt->iph->daddr);
		return;
	}
	if (pkt->family == 6) {
		__builtin_memcpy(saddr, &pkt->ip6->saddr, 16);
		__builtin_memcpy(daddr, &pkt->ip6->daddr, 16);
	}
}

/* TTL or hop limit. */
static __always_inline __u8 pkt_ttl(const struct zlb_pkt *pkt)
{
	return pkt->family == 4 ? pkt->iph->ttl : pkt->ip6->hop_limit;
}

static __always_inline int pkt_is_icmp(const struct zlb_pkt *pkt)
{
	return pkt->proto == IPPROTO_ICMP || pkt->proto == IPPROTO_ICMPV6;
}

/* An echo request (to a service): the original direction of an echo flow. */
static __always_inline int pkt_is_echo_request(const struct zlb_pkt *pkt)
{
	return pkt->proto == IPPROTO_ICMP ? pkt->icmp_type == ICMP_ECHO
					  : pkt->icmp_type == ICMPV6_ECHO_REQUEST;
}

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

/* Whether the @len bytes at @p lie within the IP packet of @pkt (its total
 * length): a frame may carry more (Ethernet padding), which no checksum
 * covers. */
static __always_inline int in_ip_len(const struct zlb_pkt *pkt, const void *p, __u32 len)
{
	return (__u64)(p - pkt->l4) + len <= pkt->l4_len;
}

#define ZLB_IPV6_MAX_EXT 4   /* extension headers skipped at most */

struct ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;             /* in 8-byte units, not counting the first 8 */
	__be16 frag_off;         /* fragment header: offset and M flag */
	__be32 rest;
};

/* zlb_ipv6_ext()'s answer, packed in a scalar. */
#define ZLB_EXT_OFF(r)      ((r) & 0xffff)       /* L4 offset in the frame */
#define ZLB_EXT_PROTO(r)    (((r) >> 16) & 0xff) /* the next header there */
#define ZLB_EXT_FRAGMENT    (1 << 24)            /* a fragment header seen */
#define ZLB_EXT_LATER_FRAG  (1 << 25)            /* not the first fragment */

/* Where an IPv6 header zlb_ipv6_ext() walks may start in the frame: the
 * packet's own after Ethernet and a VLAN tag (18), or the one an ICMPv6
 * error quotes, after the error's header and extension headers
 * (parse_ipv6() takes them up to 512 bytes in) and its 8-byte ICMPv6
 * header: 520. A global function is verified apart from its callers, with
 * nothing known of its arguments: this bound is what the verifier knows
 * of the header's offset. */
#define ZLB_IPV6_L3_MAX (512 + 8)

/* Walk the extension headers of the IPv6 packet whose header is at
 * @l3_off (ZLB_IPV6_L3_MAX at most): up to ZLB_IPV6_MAX_EXT hop-by-hop,
 * routing (no segment left), destination-options and fragment headers,
 * within the payload length the header gives. Returns where the next
 * header starts and what it is (ZLB_EXT_*), or -1 for a malformed packet.
 * Only the first 8 bytes of each header walked are checked to be in the
 * frame: the caller checks that what follows them is. A function of its
 * own, for the verifier: the many ways through the headers end in one
 * answer instead of multiplying the paths through the rest of the
 * program. */
__attribute__((noinline))
int zlb_ipv6_ext(struct zlb_ctx *ctx, __u32 l3_off)
{
	void *data = ctx_data(ctx), *end = ctx_data_end(ctx), *cur;
	struct ipv6hdr *ip6;
	struct ipv6_ext *ext;
	__u32 left, flags = 0, i;
	__u8 next;

	if (l3_off > ZLB_IPV6_L3_MAX)
		return -1;
	ip6 = data + l3_off;
	if ((void *)(ip6 + 1) > end)
		return -1;
	next = ip6->nexthdr;
	cur = ip6 + 1;
	left = bpf_ntohs(ip6->payload_len);
	for (i = 0; i < ZLB_IPV6_MAX_EXT; i++) {
		__u32 len = 8;

		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING &&
		    next != IPPROTO_DSTOPTS && next != IPPROTO_FRAGMENT)
			break;
		ext = cur;
		if ((void *)(ext + 1) > end)
			return -1;
		/* Segments left: the destination address is a waypoint, the
		 * packet is not for it. Left unparsed, at the routing header. */
		if (next == IPPROTO_ROUTING && ((__u8 *)ext)[3])
			break;
		if (next == IPPROTO_FRAGMENT) {
			flags |= ZLB_EXT_FRAGMENT;
			if (ext->frag_off & bpf_htons(0xfff8)) {
				flags |= ZLB_EXT_LATER_FRAG;
				next = ext->nexthdr;
				cur += 8;
				break;
			}
		} else {
			len = (ext->hdrlen + 1) * 8;
		}
		if (left < len)
			return -1;
		left -= len;
		next = ext->nexthdr;
		cur += len;
	}
	return (int)(flags | (__u32)next << 16 | (__u32)(cur - data));
}

/* The most bytes into the frame the quoted ports may start: an ICMPv6
 * error is at most the IPv6 minimum MTU (RFC 4443 2.4), 1280 bytes after
 * Ethernet and a VLAN tag, and the ports are 8 bytes before its end. A
 * bound the verifier needs too: zlb_ipv6_ext()'s answer is a bare scalar
 * to it. */
#define ZLB_QUOTE_PORTS_MAX (18 + 1280 - 8)

/* The packet an ICMP(v6) error quotes: its IP header (IPv4 with the
 * options we forwarded it with, IPv6 with the extension headers
 * zlb_ipv6_ext() walks, as parse_ipv6() does: up to ZLB_IPV6_MAX_EXT,
 * not after a later fragment's) and the first 8 bytes of a TCP or UDP
 * header -- all an error must carry -- in the frame and within the
 * error's length. */
static __always_inline int parse_icmp_error(struct zlb_ctx *ctx, struct zlb_pkt *pkt, void *inner)
{
	void *data = ctx_data(ctx), *end = ctx_data_end(ctx);
	__be16 *ports;
	__u8 proto;

	if (pkt->proto == IPPROTO_ICMP) {
		struct iphdr *in = inner;
		__u32 ihl;

		if ((void *)(in + 1) > end || in->version != 4 || in->ihl < 5)
			return -1;
		ihl = in->ihl * 4;
		ports = inner + ihl;
		if ((void *)(ports + 4) > end || !in_ip_len(pkt, in, ihl + 8))
			return -1;
		proto = in->protocol;
	} else {
		struct ipv6hdr *in = inner;
		__u32 off;
		int r;

		if ((void *)(in + 1) > end || in->version != 6)
			return -1;
		/* @inner is at most ZLB_IPV6_L3_MAX in: parse_ipv6() took
		 * the error's header up to 512 bytes in, then 8 of ICMPv6 */
		r = zlb_ipv6_ext(ctx, inner - data);
		if (r < 0 || (r & ZLB_EXT_LATER_FRAG))
			return -1;
		off = ZLB_EXT_OFF(r);
		if (off > ZLB_QUOTE_PORTS_MAX)
			return -1;
		ports = data + off;
		if ((void *)(ports + 4) > end || !in_ip_len(pkt, ports, 8))
			return -1;
		proto = ZLB_EXT_PROTO(r);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -1;
	pkt->inner = inner;
	pkt->inner_ports = ports;
	pkt->inner_proto = proto;
	return 0;
}

/* The L4 header, in the frame and within the IP length: bytes past that
 * are Ethernet padding, which the stack trims (a TCP segment whose header
 * is not in its IP length is no segment, and its flags are no RST). */
static __always_inline int parse_l4(struct zlb_ctx *ctx, struct zlb_pkt *pkt)
{
	void *end = ctx_data_end(ctx);

	switch (pkt->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *tcp = pkt->l4;

		if ((void *)(tcp + 1) > end || tcp->doff < 5 || tcp->doff * 4 > pkt->l4_len)
			return -1;
		pkt->sport = tcp->source;
		pkt->dport = tcp->dest;
		pkt->tcp_flags = ((__u8 *)tcp)[13];
		return 0;
	}
	case IPPROTO_UDP: {
		struct udphdr *udp = pkt->l4;

		if ((void *)(udp + 1) > end || pkt->l4_len < sizeof(*udp))
			return -1;
		pkt->sport = udp->source;
		pkt->dport = udp->dest;
		return 0;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *icmp = pkt->l4;

		if ((void *)(icmp + 1) > end || pkt->l4_len < sizeof(*icmp))
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
	case IPPROTO_ICMPV6: {
		struct icmp6hdr *icmp = pkt->l4;

		if ((void *)(icmp + 1) > end || pkt->l4_len < sizeof(*icmp))
			return -1;
		pkt->icmp_type = icmp->icmp6_type;
		switch (icmp->icmp6_type) {
		case ICMPV6_DEST_UNREACH:
		case ICMPV6_PKT_TOOBIG:
		case ICMPV6_TIME_EXCEED:
			return parse_icmp_error(ctx, pkt, (void *)(icmp + 1));
		case ICMPV6_ECHO_REQUEST:
		case ICMPV6_ECHO_REPLY:
			pkt->sport = icmp->icmp6_identifier;
			pkt->dport = icmp->icmp6_identifier;
			return 0;
		}
		/* neighbour discovery and the rest: the stack's */
		return -1;
	}
	}
	return -1;
}

static __always_inline int parse_ipv4(struct zlb_ctx *ctx, struct zlb_pkt *pkt, struct iphdr *iph)
{
	void *end = ctx_data_end(ctx);
	__u16 tot_len;

	if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
		return -1;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < iph->ihl * 4)
		return -1;
	pkt->iph = iph;
	pkt->family = 4;
	pkt->proto = iph->protocol;
	pkt->l4 = (void *)iph + iph->ihl * 4;
	pkt->l4_len = tot_len - iph->ihl * 4;
	if (pkt->l4 > end)
		return -1;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) {
		pkt->fragment = 1;
		if (iph->frag_off & bpf_htons(IP_OFFSET)) {
			pkt->l4 = NULL;
			return 0;
		}
	}
	return parse_l4(ctx, pkt);
}

/* IPv6: the fixed header and the extension headers zlb_ipv6_ext() walks.
 * A later fragment has no L4 header (l4 NULL, like IPv4's); any other
 * extension header, or too many, leaves the packet marked ext_unknown and
 * without ports. */
static __always_inline int parse_ipv6(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
				      struct ipv6hdr *ip6)
{
	void *data = ctx_data(ctx), *end = ctx_data_end(ctx);
	__u32 off, hdrs;
	int r;

	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return -1;
	/* IPv4-mapped addresses never travel in IPv6 (RFC 4291 2.5.5.2);
	 * ours stand for IPv4 addresses, which such a packet must not reach */
	if (zlb_addr_is_v4((const union zlb_addr *)&ip6->saddr) ||
	    zlb_addr_is_v4((const union zlb_addr *)&ip6->daddr))
		return -1;
	r = zlb_ipv6_ext(ctx, (void *)ip6 - data);
	if (r < 0)
		return -1;
	off = ZLB_EXT_OFF(r);
	if (off > 512)
		return -1;
	hdrs = off - ((void *)ip6 - data);
	if (hdrs < sizeof(*ip6) || bpf_ntohs(ip6->payload_len) + sizeof(*ip6) < hdrs)
		return -1;
	pkt->ip6 = ip6;
	pkt->family = 6;
	pkt->fragment = !!(r & ZLB_EXT_FRAGMENT);
	pkt->proto = ZLB_EXT_PROTO(r);
	pkt->l4_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6) - hdrs;
	if (r & ZLB_EXT_LATER_FRAG)
		return 0;
	if (pkt->proto != IPPROTO_TCP && pkt->proto != IPPROTO_UDP &&
	    pkt->proto != IPPROTO_ICMPV6) {
		pkt->ext_unknown = 1;
		return 0;
	}
	pkt->l4 = data + off;
	if (pkt->l4 > end)
		return -1;
	return parse_l4(ctx, pkt);
}

/* Fill @pkt. Returns the L3 kind; ZLB_L3_IP only for a complete IP header
 * carrying TCP, UDP or ICMP(v6) echo or error whose L4 header is in the
 * frame -- or for a packet without one that must still be judged: a later
 * fragment (l4 NULL, fragment set) or an IPv6 packet with an extension
 * header we do not parse (ext_unknown). */
static __always_inline int zlb_parse(struct zlb_ctx *ctx, struct zlb_pkt *pkt)
{
	void *end = ctx_data_end(ctx), *next;
	__be16 proto;

	if (parse_eth(ctx, pkt, &next, &proto))
		return ZLB_L3_OTHER;
	if (proto == bpf_htons(ETH_P_ARP)) {
		pkt->arp = next;
		if ((void *)(pkt->arp + 1) > end)
			return ZLB_L3_OTHER;
		return ZLB_L3_ARP;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(ctx, pkt, next) ? ZLB_L3_OTHER : ZLB_L3_IP;
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(ctx, pkt, next) ? ZLB_L3_OTHER : ZLB_L3_IP;
	return ZLB_L3_OTHER;
}

#endif
