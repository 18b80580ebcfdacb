// SPDX-License-Identifier: GPL-2.0
/* The fuzzer's reading of a frame and its checksums. */
#include <string.h>
#include <netinet/in.h>

#include "view.h"

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

static uint64_t sum16(uint64_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void view_ip(struct ip_view *ip, const uint8_t *d, size_t len, size_t l3)
{
	const uint8_t *h = d + l3;
	size_t ihl, tot;

	memset(ip, 0, sizeof(*ip));
	if (len < l3 + 20 || h[0] >> 4 != 4 || (h[0] & 0xf) < 5)
		return;
	ihl = (h[0] & 0xf) * 4;
	if (len < l3 + ihl)
		return;
	ip->ok = true;
	ip->l3 = l3;
	ip->l4 = l3 + ihl;
	tot = ip->tot_len = get16(h + 2);
	if (tot >= ihl && l3 + tot <= len)
		ip->end = l3 + tot;
	ip->proto = h[9];
	ip->ttl = h[8];
	ip->frag = get16(h + 6);
	ip->saddr = get32(h + 12);
	ip->daddr = get32(h + 16);
}

static void view_quote(struct view *v)
{
	const uint8_t *q = v->d + v->ip.l4 + 8;

	view_ip(&v->in, v->d, v->len, v->ip.l4 + 8);
	if (!v->in.ok || v->in.l4 != v->in.l3 + 20 || v->len < v->in.l4 + 8 ||
	    v->in.l4 + 8 > v->ip.l3 + v->ip.tot_len ||
	    (v->in.proto != IPPROTO_TCP && v->in.proto != IPPROTO_UDP))
		return;
	v->error = true;
	v->in_sport = get16(q + 20);
	v->in_dport = get16(q + 22);
}

static void view_l4(struct view *v)
{
	const uint8_t *l4 = v->d + v->ip.l4;
	size_t room = v->len - v->ip.l4;

	switch (v->ip.proto) {
	case IPPROTO_TCP:
		if (room < 20)
			return;
		v->tcp_flags = l4[13];
		break;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
		if (room < 8)
			return;
		break;
	default:
		return;
	}
	v->l4_hdr = true;
	if (v->ip.proto != IPPROTO_ICMP) {
		v->sport = get16(l4);
		v->dport = get16(l4 + 2);
		return;
	}
	v->icmp_type = l4[0];
	v->sport = v->dport = get16(l4 + 4);
	if (v->icmp_type == ICMP_UNREACH_T || v->icmp_type == ICMP_TIMXCEED_T)
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
	if (v->ethertype != ETHERTYPE_IPV4)
		return;
	view_ip(&v->ip, d, len, l3);
	if (v->ip.ok && !(v->ip.frag & 0x1fff))
		view_l4(v);
}

int32_t ip_hdr_sum(const struct view *v, const struct ip_view *ip)
{
	if (!ip->ok)
		return -1;
	return fold(sum16(0, v->d + ip->l3, ip->l4 - ip->l3));
}

static uint64_t pseudo(const struct ip_view *ip, uint16_t l4len)
{
	return (ip->saddr >> 16) + (ip->saddr & 0xffff) + (ip->daddr >> 16) +
	       (ip->daddr & 0xffff) + ip->proto + l4len;
}

int32_t l4_sum(const struct view *v, const struct ip_view *ip)
{
	if (!ip->ok || !ip->end)
		return -1;
	return fold(sum16(pseudo(ip, ip->end - ip->l4), v->d + ip->l4, ip->end - ip->l4));
}

int32_t icmp_sum(const struct view *v)
{
	if (!v->ip.ok || !v->ip.end)
		return -1;
	return fold(sum16(0, v->d + v->ip.l4, v->ip.end - v->ip.l4));
}

uint16_t partial_of(const struct view *v)
{
	const uint8_t *h = v->d + v->ip.l3;
	uint16_t l4len = get16(h + 2) - (v->ip.l4 - v->ip.l3);

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
