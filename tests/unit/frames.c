// SPDX-License-Identifier: GPL-2.0
/* Test frames: build, summarise, diff. Checksums are always computed over
 * the whole header (and pseudo-header) here, never updated: a test that
 * compares the data plane's output with a frame from this file compares
 * its incremental arithmetic with the definition. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8

static void __attribute__((noreturn)) bug(const char *what)
{
	fprintf(stderr, "frames: %s\n", what);
	abort();
}

/* ---- checksums --------------------------------------------------------- */

/* The one's-complement sum of big-endian 16-bit words (an odd last byte is
 * padded with zero), not yet folded. */
uint64_t sum16(uint64_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint64_t pseudo_sum(uint32_t saddr, uint32_t daddr, uint8_t proto, size_t l4len)
{
	return (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff) +
	       proto + l4len;
}

uint16_t pseudo_csum(uint32_t saddr, uint32_t daddr, uint8_t proto, size_t l4len)
{
	return fold(pseudo_sum(saddr, daddr, proto, l4len));
}

/* RFC 8200, 8.1: source, destination, 32-bit upper-layer length, three
 * zero bytes and the next header. */
static uint64_t pseudo6_sum(const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
			    size_t l4len)
{
	return sum16(sum16(0, saddr, 16), daddr, 16) + (l4len >> 16) + (l4len & 0xffff) + proto;
}

/* The pseudo-header sum of packet @p's L4 part of @l4len bytes. */
static uint64_t pkt_pseudo_sum(const struct pkt *p, uint8_t proto, size_t l4len)
{
	if (p->kind == PKT_IPV6)
		return pseudo6_sum(p->saddr6.s6_addr, p->daddr6.s6_addr, proto, l4len);
	return pseudo_sum(p->saddr, p->daddr, proto, l4len);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- building ---------------------------------------------------------- */

static void put(struct frame *f, const void *data, size_t len)
{
	if (f->len + len > sizeof(f->data))
		bug("frame too long");
	memcpy(f->data + f->len, data, len);
	f->len += len;
}

static void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v };

	put(f, b, 2);
}

static void put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v);
}

static void set16(struct frame *f, size_t off, uint16_t v)
{
	f->data[off] = v >> 8;
	f->data[off + 1] = v;
}

void pkt_set_payload(struct pkt *p, const void *data, size_t len)
{
	if (len > sizeof(p->payload))
		bug("payload too long");
	memcpy(p->payload, data, len);
	p->payload_len = len;
}

static void build_tcp(struct frame *f, const struct pkt *p)
{
	size_t l4 = f->len;
	uint64_t pseudo;

	put16(f, p->sport);
	put16(f, p->dport);
	put32(f, p->seq);
	put32(f, p->ack);
	put8(f, 5 << 4);                /* data offset: no options */
	put8(f, p->tcp_flags);
	put16(f, p->window);
	put16(f, 0);                    /* checksum, below */
	put16(f, 0);                    /* urgent pointer */
	put(f, p->payload, p->payload_len);
	f->csum_off = l4 + 16;
	pseudo = pkt_pseudo_sum(p, IPPROTO_TCP, f->len - l4);
	if (p->l4_csum_partial) {
		set16(f, f->csum_off, fold(pseudo));
		return;
	}
	/* TCP has no "no checksum": a sum of 0xffff is sent as 0. */
	set16(f, f->csum_off, ~fold(sum16(pseudo, f->data + l4, f->len - l4)));
}

static void build_udp(struct frame *f, const struct pkt *p)
{
	size_t l4 = f->len;
	uint64_t pseudo;
	uint16_t csum;

	put16(f, p->sport);
	put16(f, p->dport);
	put16(f, 8 + p->payload_len);
	put16(f, 0);                    /* checksum, below */
	put(f, p->payload, p->payload_len);
	f->csum_off = l4 + 6;
	if (p->udp_no_csum)
		return;
	pseudo = pkt_pseudo_sum(p, IPPROTO_UDP, f->len - l4);
	if (p->l4_csum_partial) {
		set16(f, f->csum_off, fold(pseudo));
		return;
	}
	csum = ~fold(sum16(pseudo, f->data + l4, f->len - l4));
	/* RFC 768: a computed 0 is sent as all ones; 0 means "none" (an
	 * error in IPv6, RFC 8200 8.1: udp_no_csum builds one). */
	set16(f, f->csum_off, csum ? csum : 0xffff);
}

static void build_icmp(struct frame *f, const struct pkt *p)
{
	size_t l4 = f->len;

	put8(f, p->icmp_type);
	put8(f, p->icmp_code);
	put16(f, 0);                    /* checksum, below */
	put16(f, p->icmp_id);
	put16(f, p->icmp_seq);
	put(f, p->payload, p->payload_len);
	f->csum_off = l4 + 2;
	/* ICMPv6's checksum covers the pseudo header too (RFC 4443, 2.3). */
	set16(f, f->csum_off, ~fold(sum16(p->kind == PKT_IPV6 ?
					  pkt_pseudo_sum(p, IPPROTO_ICMPV6, f->len - l4) : 0,
					  f->data + l4, f->len - l4)));
}

/* What follows the IP header(s): a later fragment carries the middle of a
 * payload, no L4 header. */
static void build_l4(struct frame *f, const struct pkt *p, bool later_fragment)
{
	switch (later_fragment ? 0 : p->proto) {
	case IPPROTO_TCP:
		build_tcp(f, p);
		break;
	case IPPROTO_UDP:
		build_udp(f, p);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		build_icmp(f, p);
		break;
	default:
		put(f, p->payload, p->payload_len);
	}
}

static void build_ipv4(struct frame *f, const struct pkt *p)
{
	size_t ip = f->len, ihl = 20 + p->ip_optlen;

	if (p->ip_optlen % 4 || p->ip_optlen > sizeof(p->ip_opts))
		bug("IPv4 options must be a multiple of 4 bytes, at most 40");
	put8(f, 0x40 | ihl / 4);
	put8(f, p->tos);
	put16(f, 0);                    /* total length, below */
	put16(f, p->ip_id);
	put16(f, p->frag);
	put8(f, p->ttl);
	put8(f, p->proto);
	put16(f, 0);                    /* header checksum, below */
	put32(f, p->saddr);
	put32(f, p->daddr);
	put(f, p->ip_opts, p->ip_optlen);
	build_l4(f, p, p->frag & 0x1fff);
	set16(f, ip + 2, f->len - ip);
	set16(f, ip + 10, ~fold(sum16(0, f->data + ip, ihl)));
}

void pkt_add_ext(struct pkt *p, uint8_t type, uint8_t len)
{
	bool ok = type == IPPROTO_FRAGMENT ? len == 8 :
		  type == IPPROTO_AH ? len >= 12 && len % 4 == 0 : len >= 8 && len % 8 == 0;

	if (!ok || p->next == PKT_EXT_MAX)
		bug("no such IPv6 extension header, or too many");
	p->ext[p->next++] = (struct pkt_ext){ .type = type, .len = len };
}

void pkt_add_frag(struct pkt *p, uint16_t offset, bool more, uint32_t id)
{
	pkt_add_ext(p, IPPROTO_FRAGMENT, 8);
	p->ext[p->next - 1].frag = offset << 3 | (more ? PKT_EXT_M : 0);
	p->ext[p->next - 1].frag_id = id;
}

static void build_ext(struct frame *f, const struct pkt_ext *e, uint8_t next)
{
	size_t at = f->len;

	put8(f, next);
	switch (e->type) {
	case IPPROTO_FRAGMENT:
		put8(f, 0);
		put16(f, e->frag);
		put32(f, e->frag_id);
		return;
	case IPPROTO_AH:
		put8(f, e->len / 4 - 2);
		put16(f, 0);
		put32(f, 0x100);                /* SPI */
		put32(f, 1);                    /* sequence number */
		break;
	default:
		put8(f, e->len / 8 - 1);
		if (e->type == IPPROTO_HOPOPTS || e->type == IPPROTO_DSTOPTS) {
			put8(f, 1);             /* PadN */
			put8(f, e->len - 4);
		} else if (e->type == IPPROTO_ROUTING) {
			put8(f, 253);           /* routing type: experimental (RFC 4727) */
			put8(f, e->segs_left);
		}
	}
	while (f->len < at + e->len)
		put8(f, 0);
}

static void build_ipv6(struct frame *f, const struct pkt *p)
{
	size_t ip = f->len;
	bool later_fragment = false;

	put32(f, 6u << 28 | (uint32_t)p->tos << 20 | (p->flow_label & 0xfffff));
	put16(f, 0);                    /* payload length, below */
	put8(f, p->next ? p->ext[0].type : p->proto);
	put8(f, p->ttl);
	put(f, p->saddr6.s6_addr, 16);
	put(f, p->daddr6.s6_addr, 16);
	for (size_t i = 0; i < p->next; i++) {
		build_ext(f, &p->ext[i], i + 1 < p->next ? p->ext[i + 1].type : p->proto);
		later_fragment |= p->ext[i].type == IPPROTO_FRAGMENT && p->ext[i].frag >> 3;
	}
	build_l4(f, p, later_fragment);
	set16(f, ip + 4, f->len - ip - 40);
}

static void build_arp(struct frame *f, const struct pkt *p)
{
	put16(f, 1);                    /* Ethernet */
	put16(f, ETHERTYPE_IPV4);
	put8(f, 6);
	put8(f, 4);
	put16(f, p->arp_op);
	put(f, p->sha, 6);
	put32(f, p->spa);
	put(f, p->tha, 6);
	put32(f, p->tpa);
}

void frame_build(struct frame *f, const struct pkt *p)
{
	f->len = 0;
	f->csum_off = 0;
	put(f, p->dmac, 6);
	put(f, p->smac, 6);
	if (p->vlan) {
		put16(f, ETHERTYPE_VLAN);
		put16(f, p->vlan_tci);
	}
	switch (p->kind) {
	case PKT_IPV4:
		put16(f, ETHERTYPE_IPV4);
		build_ipv4(f, p);
		break;
	case PKT_IPV6:
		put16(f, ETHERTYPE_IPV6);
		build_ipv6(f, p);
		break;
	case PKT_ARP:
		put16(f, ETHERTYPE_ARP);
		build_arp(f, p);
		break;
	case PKT_RAW:
		put16(f, p->ethertype);
		put(f, p->payload, p->payload_len);
		break;
	}
}

void frame_l4_csum(const struct frame *f, uint8_t csum[2])
{
	if (!f->csum_off)
		bug("frame has no L4 checksum");
	memcpy(csum, f->data + f->csum_off, 2);
}

/* ---- reading ----------------------------------------------------------- */

#define VIEW_EXT_MAX 16

struct view {
	const uint8_t *data;
	size_t len;
	bool vlan;
	uint16_t tci, ethertype;
	size_t l3;              /* offset of the L3 header */
	uint8_t proto;          /* IPv6: the first next header that is no extension
				 * header walked here */
	size_t l4, l4len;       /* l4len bounded by the frame */
	bool truncated;
	bool fragment, later;   /* a fragment; one after the first (no L4 header) */
	size_t next;            /* IPv6 extension headers walked */
	struct {
		uint8_t type;
		size_t off, len;
	} ext[VIEW_EXT_MAX];
};

static int view_ipv4(struct view *v)
{
	const uint8_t *ip = v->data + v->l3;
	size_t ihl, tot;

	if (v->len < v->l3 + 20 || ip[0] >> 4 != 4)
		return -1;
	ihl = (ip[0] & 0xf) * 4;
	tot = get16(ip + 2);
	if (ihl < 20 || v->len < v->l3 + ihl)
		return -1;
	v->proto = ip[9];
	v->fragment = get16(ip + 6) & 0x3fff;
	v->later = get16(ip + 6) & 0x1fff;
	v->l4 = v->l3 + ihl;
	if (tot < ihl)
		return -1;
	v->l4len = tot - ihl;
	if (v->l4 + v->l4len > v->len) {
		v->truncated = true;
		v->l4len = v->len - v->l4;
	}
	return 0;
}

static bool is_ext(uint8_t type)
{
	return type == IPPROTO_HOPOPTS || type == IPPROTO_ROUTING || type == IPPROTO_DSTOPTS ||
	       type == IPPROTO_FRAGMENT || type == IPPROTO_AH;
}

static int view_ipv6(struct view *v)
{
	const uint8_t *d = v->data;
	size_t at = v->l3 + 40, end;
	uint8_t next;

	if (v->len < at || d[v->l3] >> 4 != 6)
		return -1;
	end = at + get16(d + v->l3 + 4);
	if (end > v->len) {
		v->truncated = true;
		end = v->len;
	}
	next = d[v->l3 + 6];
	while (is_ext(next) && v->next < VIEW_EXT_MAX) {
		size_t hlen;

		if (at + 8 > end)
			return -1;
		hlen = next == IPPROTO_FRAGMENT ? 8 : next == IPPROTO_AH ? (d[at + 1] + 2) * 4 :
		       (d[at + 1] + 1) * 8;
		if (at + hlen > end)
			return -1;
		if (next == IPPROTO_FRAGMENT) {
			v->fragment = true;
			v->later |= get16(d + at + 2) >> 3;
		}
		v->ext[v->next].type = next;
		v->ext[v->next].off = at;
		v->ext[v->next++].len = hlen;
		next = d[at];
		at += hlen;
	}
	v->proto = next;
	v->l4 = at;
	v->l4len = end - at;
	return 0;
}

static int view_frame(const uint8_t *data, size_t len, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->data = data;
	v->len = len;
	if (len < ETH_HLEN)
		return -1;
	v->ethertype = get16(data + 12);
	v->l3 = ETH_HLEN;
	if (v->ethertype == ETHERTYPE_VLAN || v->ethertype == ETHERTYPE_QINQ) {
		if (len < ETH_HLEN + 4)
			return -1;
		v->vlan = true;
		v->tci = get16(data + 14);
		v->ethertype = get16(data + 16);
		v->l3 += 4;
	}
	if (v->ethertype == ETHERTYPE_IPV4)
		return view_ipv4(v);
	if (v->ethertype == ETHERTYPE_IPV6)
		return view_ipv6(v);
	return 0;
}

static bool view_ip(const struct view *v)
{
	return v->ethertype == ETHERTYPE_IPV4 || v->ethertype == ETHERTYPE_IPV6;
}

/* The pseudo-header sum over @v's addresses for its L4 part. */
static uint64_t view_pseudo(const struct view *v, uint8_t proto)
{
	const uint8_t *ip = v->data + v->l3;

	if (v->ethertype == ETHERTYPE_IPV6)
		return pseudo6_sum(ip + 8, ip + 24, proto, v->l4len);
	return pseudo_sum(get32(ip + 12), get32(ip + 16), proto, v->l4len);
}

int frame_l4_sum(const uint8_t *data, size_t len, uint16_t *sum)
{
	struct view v;

	if (view_frame(data, len, &v) || !view_ip(&v) || v.truncated || v.fragment ||
	    (v.proto != IPPROTO_TCP && v.proto != IPPROTO_UDP))
		return -1;
	*sum = fold(sum16(view_pseudo(&v, v.proto), data + v.l4, v.l4len));
	return 0;
}

void pkt_quote(struct pkt *icmp, const struct pkt *inner, size_t l4_bytes)
{
	struct frame f;
	struct view v;
	size_t n;

	frame_build(&f, inner);
	if (view_frame(f.data, f.len, &v) || !view_ip(&v))
		bug("an ICMP error quotes an IP packet");
	n = v.l4 - v.l3 + (l4_bytes < v.l4len ? l4_bytes : v.l4len);
	pkt_set_payload(icmp, f.data + v.l3, n);
}

/* The ports of TCP/UDP frame @v, the first fragment or none. */
static int view_ports(const struct view *v, uint16_t ethertype, uint16_t *sport, uint16_t *dport)
{
	if (v->ethertype != ethertype || v->l4len < 8 || v->later ||
	    (v->proto != IPPROTO_TCP && v->proto != IPPROTO_UDP))
		return -1;
	*sport = get16(v->data + v->l4);
	*dport = get16(v->data + v->l4 + 2);
	return 0;
}

int frame_tuple(const uint8_t *data, size_t len, uint32_t *saddr, uint16_t *sport,
		uint32_t *daddr, uint16_t *dport)
{
	struct view v;

	if (view_frame(data, len, &v) || view_ports(&v, ETHERTYPE_IPV4, sport, dport))
		return -1;
	*saddr = get32(data + v.l3 + 12);
	*daddr = get32(data + v.l3 + 16);
	return 0;
}

int frame_tuple6(const uint8_t *data, size_t len, struct in6_addr *saddr, uint16_t *sport,
		 struct in6_addr *daddr, uint16_t *dport)
{
	struct view v;

	if (view_frame(data, len, &v) || view_ports(&v, ETHERTYPE_IPV6, sport, dport))
		return -1;
	memcpy(saddr->s6_addr, data + v.l3 + 8, 16);
	memcpy(daddr->s6_addr, data + v.l3 + 24, 16);
	return 0;
}

struct out {
	char *buf;
	size_t size, n;
};

static void __attribute__((format(printf, 2, 3))) say(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->n >= o->size)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->buf + o->n, o->size - o->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		o->n += r;
}

static void say_mac(struct out *o, const uint8_t *m)
{
	say(o, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void say_ip(struct out *o, uint32_t a)
{
	say(o, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static const char *csum_word(bool ok)
{
	return ok ? "ok" : "BAD";
}

/* An address of @v's IP header (@off: of its bytes there), followed by
 * @port when @with_port: 10.0.0.1:23 or [fd00::1]:23. */
static void say_addr(struct out *o, const struct view *v, size_t off, bool with_port,
		     uint16_t port)
{
	const uint8_t *a = v->data + v->l3 + off;
	char s[INET6_ADDRSTRLEN];

	if (v->ethertype == ETHERTYPE_IPV4) {
		say_ip(o, get32(a));
		if (with_port)
			say(o, ":%u", port);
		return;
	}
	inet_ntop(AF_INET6, a, s, sizeof(s));
	say(o, with_port ? "[%s]:%u" : "%s", s, port);
}

static void describe_l4(struct out *o, const struct view *v)
{
	bool v6 = v->ethertype == ETHERTYPE_IPV6;
	size_t src = v6 ? 8 : 12, dst = v6 ? 24 : 16;
	const uint8_t *l4 = v->data + v->l4;
	uint64_t pseudo = view_pseudo(v, v->proto);
	bool sum_ok = fold(sum16(pseudo, l4, v->l4len)) == 0xffff;
	static const char flag_chars[] = "FSRPAUEC";

	switch (v->proto) {
	case IPPROTO_TCP:
		if (v->l4len < 20)
			break;
		say(o, " TCP ");
		say_addr(o, v, src, true, get16(l4));
		say(o, " > ");
		say_addr(o, v, dst, true, get16(l4 + 2));
		say(o, " [");
		for (int i = 0; i < 8; i++)
			if (l4[13] & 1 << i)
				say(o, "%c", flag_chars[i]);
		say(o, "] seq %u ack %u", get32(l4 + 4), get32(l4 + 8));
		if ((size_t)(l4[12] >> 4) * 4 <= v->l4len)
			say(o, " len %zu", v->l4len - (l4[12] >> 4) * 4);
		else
			say(o, " data offset %u beyond the segment", (l4[12] >> 4) * 4);
		say(o, " csum 0x%04x %s", get16(l4 + 16), csum_word(sum_ok));
		return;
	case IPPROTO_UDP:
		if (v->l4len < 8)
			break;
		say(o, " UDP ");
		say_addr(o, v, src, true, get16(l4));
		say(o, " > ");
		say_addr(o, v, dst, true, get16(l4 + 2));
		say(o, " len %zu csum 0x%04x %s", v->l4len - 8, get16(l4 + 6),
		    get16(l4 + 6) ? csum_word(sum_ok) : v6 ? "0 (none: BAD in IPv6)" : "none");
		return;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (v->l4len < 8 || (v->proto == IPPROTO_ICMPV6) != v6)
			break;
		say(o, v6 ? " ICMPv6 " : " ICMP ");
		say_addr(o, v, src, false, 0);
		say(o, " > ");
		say_addr(o, v, dst, false, 0);
		say(o, " type %u code %u id %u seq %u csum 0x%04x %s", l4[0], l4[1],
		    get16(l4 + 4), get16(l4 + 6), get16(l4 + 2),
		    csum_word(fold(sum16(v6 ? pseudo : 0, l4, v->l4len)) == 0xffff));
		return;
	}
	say(o, " proto %u ", v->proto);
	say_addr(o, v, src, false, 0);
	say(o, " > ");
	say_addr(o, v, dst, false, 0);
}

static void describe_ipv6(struct out *o, const struct view *v)
{
	static const char *const names[256] = {
		[IPPROTO_HOPOPTS] = "hop-by-hop", [IPPROTO_ROUTING] = "routing",
		[IPPROTO_DSTOPTS] = "dst-opts", [IPPROTO_FRAGMENT] = "fragment", [IPPROTO_AH] = "ah",
	};
	const uint8_t *ip = v->data + v->l3;
	uint32_t w = get32(ip);

	say(o, " IPv6 hlim %u", ip[7]);
	if (w >> 20 & 0xff)
		say(o, " tc 0x%02x", w >> 20 & 0xff);
	if (w & 0xfffff)
		say(o, " flow 0x%05x", w & 0xfffff);
	say(o, " plen %u", get16(ip + 4));
	for (size_t i = 0; i < v->next; i++) {
		const uint8_t *e = v->data + v->ext[i].off;

		say(o, "%s%s %zu", i ? ", " : " ext ", names[v->ext[i].type], v->ext[i].len);
		if (v->ext[i].type == IPPROTO_FRAGMENT)
			say(o, " (offset %u%s id 0x%08x)", (get16(e + 2) >> 3) * 8,
			    get16(e + 2) & PKT_EXT_M ? " M" : "", get32(e + 4));
	}
	if (v->truncated)
		say(o, " TRUNCATED");
	if (v->later)
		say(o, " next header %u, %zu bytes of payload", v->proto, v->l4len);
	else
		describe_l4(o, v);
}

void frame_describe(const uint8_t *data, size_t len, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	struct view v;
	const uint8_t *ip;
	uint16_t frag;

	buf[0] = 0;
	if (view_frame(data, len, &v)) {
		say(&o, "%zu bytes, not a frame this test understands", len);
		return;
	}
	say_mac(&o, data + 6);
	say(&o, " > ");
	say_mac(&o, data);
	if (v.vlan)
		say(&o, " vlan tci %u", v.tci);
	if (v.ethertype == ETHERTYPE_ARP && len >= v.l3 + 28) {
		const uint8_t *a = data + v.l3;

		say(&o, " ARP op %u ", get16(a + 6));
		say_ip(&o, get32(a + 14));
		say(&o, " is ");
		say_mac(&o, a + 8);
		say(&o, ", asks ");
		say_ip(&o, get32(a + 24));
		return;
	}
	if (v.ethertype == ETHERTYPE_IPV6) {
		describe_ipv6(&o, &v);
		return;
	}
	if (v.ethertype != ETHERTYPE_IPV4) {
		say(&o, " ethertype 0x%04x, %zu bytes", v.ethertype, len);
		return;
	}
	ip = data + v.l3;
	frag = get16(ip + 6);
	say(&o, " IPv4 ttl %u id 0x%04x%s%s", ip[8], get16(ip + 4),
	    frag & PKT_DF ? " DF" : "", frag & PKT_MF ? " MF" : "");
	if (frag & 0x1fff)
		say(&o, " offset %u", (frag & 0x1fff) * 8);
	say(&o, " ipsum 0x%04x %s", get16(ip + 10),
	    csum_word(fold(sum16(0, ip, v.l4 - v.l3)) == 0xffff));
	if (v.truncated)
		say(&o, " TRUNCATED");
	if (frag & 0x1fff)
		say(&o, " proto %u, %zu bytes of payload", ip[9], v.l4len);
	else
		describe_l4(&o, &v);
}

/* ---- diff -------------------------------------------------------------- */

static void dump_row(FILE *out, const uint8_t *d, size_t len, size_t row)
{
	for (size_t i = row; i < row + 16; i++) {
		if (i < len)
			fprintf(out, " %02x", d[i]);
		else
			fprintf(out, " --");
	}
	fputc('\n', out);
}

void frame_diff(FILE *out, const char *prefix, const uint8_t *want, size_t want_len,
		const uint8_t *got, size_t got_len)
{
	size_t max = want_len > got_len ? want_len : got_len;
	char line[512];

	frame_describe(want, want_len, line, sizeof(line));
	fprintf(out, "%swant: %s\n", prefix, line);
	frame_describe(got, got_len, line, sizeof(line));
	fprintf(out, "%sgot:  %s\n", prefix, line);
	if (want_len != got_len)
		fprintf(out, "%slength: want %zu, got %zu\n", prefix, want_len, got_len);
	for (size_t row = 0; row < max; row += 16) {
		bool differs = false;

		for (size_t i = row; i < row + 16 && i < max; i++)
			differs |= i >= want_len || i >= got_len || want[i] != got[i];
		if (!differs)
			continue;
		fprintf(out, "%s%04zx want", prefix, row);
		dump_row(out, want, want_len, row);
		fprintf(out, "%s     got ", prefix);
		dump_row(out, got, got_len, row);
		fprintf(out, "%s         ", prefix);
		for (size_t i = row; i < row + 16 && i < max; i++)
			fputs(i >= want_len || i >= got_len || want[i] != got[i] ? " ^^" : "   ", out);
		fputc('\n', out);
	}
}
