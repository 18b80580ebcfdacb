// SPDX-License-Identifier: GPL-2.0
/* The fuzzer's reading of a frame and its checksums. */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "view.h"
#include "frames.h"   /* sum16(), fold() */

#define ETH_HLEN 14

uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void view_ipv4(struct ip_view *ip, const uint8_t *d, size_t len, size_t l3)
{
	const uint8_t *h = d + l3;
	size_t ihl, tot;

	memset(ip, 0, sizeof(*ip));
	if (len < l3 + 20 || h[0] >> 4 != 4 || (h[0] & 0xf) < 5)
		return;
	ihl = (h[0] & 0xf) * 4;
	if (len < l3 + ihl)
		return;
	ip->ok = ip->hdr = true;
	ip->l3 = l3;
	ip->l4 = l3 + ihl;
	tot = ip->tot_len = get16(h + 2);
	if (tot >= ihl && l3 + tot <= len)
		ip->end = l3 + tot;
	ip->proto = h[9];
	ip->ttl = h[8];
	ip->frag = get16(h + 6);
	ip->fragment = ip->frag & 0x3fff;
	ip->later = ip->frag & 0x1fff;
	zlb_addr_set_v4(&ip->saddr, htonl(get32(h + 12)));
	zlb_addr_set_v4(&ip->daddr, htonl(get32(h + 16)));
}

static bool is_ext(uint8_t type)
{
	return type == IPPROTO_HOPOPTS || type == IPPROTO_ROUTING || type == IPPROTO_DSTOPTS ||
	       type == IPPROTO_FRAGMENT;
}

/* The fixed header and up to 8 hop-by-hop, routing (no segment left),
 * destination-options and fragment headers, all in the frame and within the payload length;
 * after a later fragment's header comes payload, not headers. */
static void view_ipv6(struct ip_view *ip, const uint8_t *d, size_t len, size_t l3)
{
	const uint8_t *h = d + l3;
	size_t at = l3 + 40, limit;
	uint8_t next;

	memset(ip, 0, sizeof(*ip));
	if (len < l3 + 40 || h[0] >> 4 != 6)
		return;
	ip->v6 = true;
	ip->hdr = true;
	ip->l3 = l3;
	ip->tot_len = 40 + get16(h + 4);
	ip->ttl = h[7];
	memcpy(ip->saddr.b, h + 8, 16);
	memcpy(ip->daddr.b, h + 24, 16);
	limit = l3 + ip->tot_len < len ? l3 + ip->tot_len : len;
	for (next = h[6]; is_ext(next) && ip->next < 8; ip->next++) {
		size_t hlen;

		if (at + 8 > limit)
			return;
		/* segments left: not the packet's destination, not walked */
		if (next == IPPROTO_ROUTING && d[at + 3])
			break;
		hlen = next == IPPROTO_FRAGMENT ? 8 : ((size_t)d[at + 1] + 1) * 8;
		if (at + hlen > limit)
			return;
		if (next == IPPROTO_FRAGMENT) {
			ip->fragment = true;
			ip->later |= get16(d + at + 2) >> 3;
		}
		next = d[at];
		at += hlen;
		if (ip->later) {
			ip->next++;
			break;
		}
	}
	ip->ok = true;
	ip->l4 = at;
	ip->proto = next;
	if (l3 + ip->tot_len <= len)
		ip->end = l3 + ip->tot_len;
}

/* The most bytes into the frame an ICMPv6 error's quoted ports may start
 * (bpf/parse.h's ZLB_QUOTE_PORTS_MAX): the error is at most the IPv6
 * minimum MTU, 1280 bytes, after Ethernet and a VLAN tag. */
#define QUOTE_PORTS_MAX (18 + 1280 - 8)

/* The quote of an ICMP error: an IPv4 header with or without options, an
 * IPv6 header with the extension headers the data plane walks (at most 4,
 * within the quoted payload length, the quote not a later fragment, its
 * ports at most QUOTE_PORTS_MAX bytes in), then 8 bytes of TCP or UDP. */
static void view_quote(struct view *v)
{
	if (v->ip.v6)
		view_ipv6(&v->in, v->d, v->len, v->ip.l4 + 8);
	else
		view_ipv4(&v->in, v->d, v->len, v->ip.l4 + 8);
	if (!v->in.ok || v->len < v->in.l4 + 8 || v->in.l4 + 8 > v->ip.l3 + v->ip.tot_len ||
	    (v->in.proto != IPPROTO_TCP && v->in.proto != IPPROTO_UDP))
		return;
	if (v->ip.v6 && (v->in.next > 4 || v->in.later || v->in.l4 > QUOTE_PORTS_MAX))
		return;
	v->error = true;
	v->in_sport = get16(v->d + v->in.l4);
	v->in_dport = get16(v->d + v->in.l4 + 2);
}

bool icmp_error_type(bool v6, uint8_t type)
{
	if (v6)
		return type == ICMP6_UNREACH_T || type == ICMP6_TOOBIG_T || type == ICMP6_TIMXCEED_T;
	return type == ICMP_UNREACH_T || type == ICMP_TIMXCEED_T;
}

bool is_echo_proto(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

uint8_t echo_type(bool v6, bool request)
{
	if (v6)
		return request ? ICMP6_ECHO_T : ICMP6_ECHOREPLY_T;
	return request ? ICMP_ECHO_T : ICMP_ECHOREPLY_T;
}

static void view_l4(struct view *v)
{
	const uint8_t *l4 = v->d + v->ip.l4;
	size_t stop = v->ip.l3 + v->ip.tot_len, room;
	uint8_t icmp = v->ip.v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;

	/* the header must be in the frame and within the IP length (what
	 * follows that is padding) */
	if (stop > v->len)
		stop = v->len;
	if (v->ip.l4 > stop)
		return;
	room = stop - v->ip.l4;
	if (v->ip.proto == IPPROTO_TCP) {
		if (room < 20 || (l4[12] >> 4) * 4 > v->ip.l3 + v->ip.tot_len - v->ip.l4)
			return;
		v->tcp_flags = l4[13];
	} else if (v->ip.proto == IPPROTO_UDP || v->ip.proto == icmp) {
		if (room < 8)
			return;
	} else {
		return;
	}
	v->l4_hdr = true;
	if (v->ip.proto != icmp) {
		v->sport = get16(l4);
		v->dport = get16(l4 + 2);
		return;
	}
	v->icmp_type = l4[0];
	v->sport = v->dport = get16(l4 + 4);
	if (icmp_error_type(v->ip.v6, v->icmp_type))
		view_quote(v);
}

void view_frame(struct view *v, const uint8_t *d, size_t len)
{
	size_t l3 = ETH_HLEN;

	memset(v, 0, sizeof(*v));
	v->d = d;
	v->len = len;
	if (len < ETH_HLEN)
		return;
	v->ethertype = get16(d + 12);
	if (v->ethertype == ETHERTYPE_VLAN || v->ethertype == ETHERTYPE_QINQ) {
		if (len < ETH_HLEN + 4) {
			v->ethertype = 0;
			return;
		}
		v->ethertype = get16(d + 16);
		l3 += 4;
	}
	if (v->ethertype == ETHERTYPE_IPV4)
		view_ipv4(&v->ip, d, len, l3);
	else if (v->ethertype == ETHERTYPE_IPV6)
		view_ipv6(&v->ip, d, len, l3);
	if (v->ip.ok && !v->ip.later)
		view_l4(v);
}

int32_t ip_hdr_sum(const struct view *v, const struct ip_view *ip)
{
	if (!ip->ok || ip->v6)
		return -1;
	return fold(sum16(0, v->d + ip->l3, ip->l4 - ip->l3));
}

/* The pseudo header of @ip for @l4len bytes of protocol ip->proto: IPv4's
 * (RFC 793) or IPv6's (RFC 8200 8.1). */
static uint64_t pseudo(const struct ip_view *ip, uint32_t l4len)
{
	if (ip->v6)
		return sum16(sum16(0, ip->saddr.b, 16), ip->daddr.b, 16) + (l4len >> 16) +
		       (l4len & 0xffff) + ip->proto;
	return sum16(sum16(0, ip->saddr.b + 12, 4), ip->daddr.b + 12, 4) + ip->proto + l4len;
}

int32_t l4_sum(const struct view *v, const struct ip_view *ip)
{
	if (!ip->ok || !ip->end || ip->l4 > ip->end)
		return -1;
	return fold(sum16(pseudo(ip, ip->end - ip->l4), v->d + ip->l4, ip->end - ip->l4));
}

int32_t icmp_sum(const struct view *v)
{
	const struct ip_view *ip = &v->ip;

	if (!ip->ok || !ip->end || ip->l4 > ip->end)
		return -1;
	return fold(sum16(ip->v6 ? pseudo(ip, ip->end - ip->l4) : 0, v->d + ip->l4,
			  ip->end - ip->l4));
}

uint16_t partial_of(const struct view *v)
{
	const uint8_t *h = v->d + v->ip.l3;
	uint16_t l4len;

	if (v->ip.v6)
		return fold(pseudo(&v->ip, get16(h + 4) + 40 - (uint32_t)(v->ip.l4 - v->ip.l3)));
	l4len = get16(h + 2) - (v->ip.l4 - v->ip.l3);
	return fold(pseudo(&v->ip, l4len));
}

size_t l4_csum_off(const struct ip_view *ip)
{
	if (ip->proto == IPPROTO_TCP)
		return ip->l4 + 16;
	if (ip->proto == IPPROTO_UDP)
		return ip->l4 + 6;
	return 0;
}
