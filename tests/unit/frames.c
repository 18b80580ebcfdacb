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

static uint64_t pseudo_sum(uint32_t saddr, uint32_t daddr, uint8_t proto, size_t l4len)
{
	return (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff) +
	       proto + l4len;
}

uint16_t pseudo_csum(uint32_t saddr, uint32_t daddr, uint8_t proto, size_t l4len)
{
	return fold(pseudo_sum(saddr, daddr, proto, l4len));
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
	if (p->l4_csum_partial) {
		set16(f, f->csum_off, pseudo_csum(p->saddr, p->daddr, IPPROTO_TCP, f->len - l4));
		return;
	}
	/* TCP has no "no checksum": a sum of 0xffff is sent as 0. */
	set16(f, f->csum_off, ~fold(sum16(pseudo_sum(p->saddr, p->daddr, IPPROTO_TCP, f->len - l4),
					  f->data + l4, f->len - l4)));
}

static void build_udp(struct frame *f, const struct pkt *p)
{
	size_t l4 = f->len;
	uint16_t csum;

	put16(f, p->sport);
	put16(f, p->dport);
	put16(f, 8 + p->payload_len);
	put16(f, 0);                    /* checksum, below */
	put(f, p->payload, p->payload_len);
	f->csum_off = l4 + 6;
	if (p->udp_no_csum)
		return;
	if (p->l4_csum_partial) {
		set16(f, f->csum_off, pseudo_csum(p->saddr, p->daddr, IPPROTO_UDP, f->len - l4));
		return;
	}
	csum = ~fold(sum16(pseudo_sum(p->saddr, p->daddr, IPPROTO_UDP, f->len - l4),
			   f->data + l4, f->len - l4));
	/* RFC 768: a computed 0 is sent as all ones; 0 means "none". */
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
	set16(f, f->csum_off, ~fold(sum16(0, f->data + l4, f->len - l4)));
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
	/* A later fragment carries the middle of a payload, no L4 header. */
	switch (p->frag & 0x1fff ? 0 : p->proto) {
	case IPPROTO_TCP:
		build_tcp(f, p);
		break;
	case IPPROTO_UDP:
		build_udp(f, p);
		break;
	case IPPROTO_ICMP:
		build_icmp(f, p);
		break;
	default:
		put(f, p->payload, p->payload_len);
	}
	set16(f, ip + 2, f->len - ip);
	set16(f, ip + 10, ~fold(sum16(0, f->data + ip, ihl)));
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

struct view {
	const uint8_t *data;
	size_t len;
	bool vlan;
	uint16_t tci, ethertype;
	size_t l3;              /* offset of the L3 header */
	size_t l4, l4len;       /* IPv4 only; l4len bounded by the frame */
	bool truncated;
};

static int view_frame(const uint8_t *data, size_t len, struct view *v)
{
	size_t ihl, tot;

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
	if (v->ethertype != ETHERTYPE_IPV4)
		return 0;
	if (len < v->l3 + 20 || data[v->l3] >> 4 != 4)
		return -1;
	ihl = (data[v->l3] & 0xf) * 4;
	tot = get16(data + v->l3 + 2);
	if (ihl < 20 || len < v->l3 + ihl)
		return -1;
	v->l4 = v->l3 + ihl;
	if (tot < ihl)
		return -1;
	v->l4len = tot - ihl;
	if (v->l4 + v->l4len > len) {
		v->truncated = true;
		v->l4len = len - v->l4;
	}
	return 0;
}

int frame_l4_sum(const uint8_t *data, size_t len, uint16_t *sum)
{
	const uint8_t *ip;
	struct view v;
	uint8_t proto;

	if (view_frame(data, len, &v) || v.ethertype != ETHERTYPE_IPV4 || v.truncated)
		return -1;
	ip = data + v.l3;
	proto = ip[9];
	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || get16(ip + 6) & 0x3fff)
		return -1;
	*sum = fold(sum16(pseudo_sum(get32(ip + 12), get32(ip + 16), proto, v.l4len),
			  data + v.l4, v.l4len));
	return 0;
}

void pkt_quote(struct pkt *icmp, const struct pkt *inner, size_t l4_bytes)
{
	struct frame f;
	struct view v;
	size_t n;

	frame_build(&f, inner);
	if (view_frame(f.data, f.len, &v) || v.ethertype != ETHERTYPE_IPV4)
		bug("an ICMP error quotes an IPv4 packet");
	n = v.l4 - v.l3 + (l4_bytes < v.l4len ? l4_bytes : v.l4len);
	pkt_set_payload(icmp, f.data + v.l3, n);
}

int frame_tuple(const uint8_t *data, size_t len, uint32_t *saddr, uint16_t *sport,
		uint32_t *daddr, uint16_t *dport)
{
	struct view v;
	uint8_t proto;

	if (view_frame(data, len, &v) || v.ethertype != ETHERTYPE_IPV4 || v.l4len < 8)
		return -1;
	proto = data[v.l3 + 9];
	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || get16(data + v.l3 + 6) & 0x1fff)
		return -1;
	*saddr = get32(data + v.l3 + 12);
	*daddr = get32(data + v.l3 + 16);
	*sport = get16(data + v.l4);
	*dport = get16(data + v.l4 + 2);
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

static void describe_l4(struct out *o, const struct view *v, uint8_t proto,
			uint32_t saddr, uint32_t daddr)
{
	const uint8_t *l4 = v->data + v->l4;
	uint64_t pseudo = pseudo_sum(saddr, daddr, proto, v->l4len);
	bool sum_ok = fold(sum16(pseudo, l4, v->l4len)) == 0xffff;
	static const char flag_chars[] = "FSRPAUEC";

	switch (proto) {
	case IPPROTO_TCP:
		if (v->l4len < 20)
			break;
		say(o, " TCP ");
		say_ip(o, saddr);
		say(o, ":%u > ", get16(l4));
		say_ip(o, daddr);
		say(o, ":%u [", get16(l4 + 2));
		for (int i = 0; i < 8; i++)
			if (l4[13] & 1 << i)
				say(o, "%c", flag_chars[i]);
		say(o, "] seq %u ack %u len %zu csum 0x%04x %s", get32(l4 + 4), get32(l4 + 8),
		    v->l4len - (l4[12] >> 4) * 4, get16(l4 + 16), csum_word(sum_ok));
		return;
	case IPPROTO_UDP:
		if (v->l4len < 8)
			break;
		say(o, " UDP ");
		say_ip(o, saddr);
		say(o, ":%u > ", get16(l4));
		say_ip(o, daddr);
		say(o, ":%u len %zu csum 0x%04x %s", get16(l4 + 2), v->l4len - 8, get16(l4 + 6),
		    get16(l4 + 6) ? csum_word(sum_ok) : "none");
		return;
	case IPPROTO_ICMP:
		if (v->l4len < 8)
			break;
		say(o, " ICMP ");
		say_ip(o, saddr);
		say(o, " > ");
		say_ip(o, daddr);
		say(o, " type %u code %u id %u seq %u csum 0x%04x %s", l4[0], l4[1],
		    get16(l4 + 4), get16(l4 + 6), get16(l4 + 2),
		    csum_word(fold(sum16(0, l4, v->l4len)) == 0xffff));
		return;
	}
	say(o, " proto %u ", proto);
	say_ip(o, saddr);
	say(o, " > ");
	say_ip(o, daddr);
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
		describe_l4(&o, &v, ip[9], get32(ip + 12), get32(ip + 16));
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
