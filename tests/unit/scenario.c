// SPDX-License-Identifier: GPL-2.0
/* The scenario of the packet tests for both families (scenario.h). */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "zlb_hash.h"
#include "scenario.h"

/* The hosts as packets.sh sets them up: fd00::N where IPv4 has 10.0.0.N,
 * fd00:2::N for 10.2.0.N, fd00:3::N for 10.3.0.N. */
const struct family ipv4 = {
	.tag = "",
	.kind = PKT_IPV4,
	.ip_hdr = 20,
	.ttl = "TTL",
	.udp_zero = "none",
	.icmp = IPPROTO_ICMP, .echo_request = 8, .echo_reply = 0,
	.too_big = { 3, 4, "fragmentation needed" },
	.port_unreach = { 3, 3, "port unreachable" },
	.host_unreach = { 3, 1, "host unreachable" },
	.time_exceeded = { 11, 0, "time exceeded" },
	.too_big_mtu = 1400,
	.route_mtu = 1000,
	.vip = ADDR4(10, 0, 0, 1),
	.client = ADDR4(10, 0, 0, 2),
	.hairpin = ADDR4(10, 0, 0, 3),
	.client2 = ADDR4(10, 0, 0, 5),
	.other = ADDR4(10, 0, 0, 9),
	.lb_src = ADDR4(10, 2, 0, 1),
	.backend = ADDR4(10, 2, 0, 2),
	.unresolved = ADDR4(10, 2, 0, 3),
	.small_mtu = ADDR4(10, 2, 0, 4),
	.snat_src = ADDR4(10, 2, 0, 50),
	.router = ADDR4(10, 2, 0, 254),
	.not_src = ADDR4(10, 2, 0, 77),
	.weighted = { ADDR4(10, 2, 0, 11), ADDR4(10, 2, 0, 12), ADDR4(10, 2, 0, 13),
		      ADDR4(10, 2, 0, 14) },
	.no_route = ADDR4(192, 0, 2, 1),
	.other_if = ADDR4(10, 3, 0, 2),
};

const struct family ipv6 = {
	.tag = "ipv6 ",
	.kind = PKT_IPV6,
	.ip_hdr = 40,
	.ttl = "hop limit",
	/* RFC 8200 8.1: not "none" but an error the receiver drops. The data
	 * plane leaves a 0 as it is, as in IPv4: invalid in, invalid out --
	 * never a checksum made up to look right. */
	.udp_zero = "invalid in IPv6",
	.icmp = IPPROTO_ICMPV6, .echo_request = 128, .echo_reply = 129,
	.too_big = { 2, 0, "packet too big" },
	.port_unreach = { 1, 4, "port unreachable" },
	.host_unreach = { 1, 3, "address unreachable" },
	.time_exceeded = { 3, 0, "time exceeded" },
	.too_big_mtu = 1280,
	.route_mtu = 1280,              /* IPv6's least */
	.vip = ADDR6(0xfd00, 0, 0, 0, 0, 0, 0, 1),
	.client = ADDR6(0xfd00, 0, 0, 0, 0, 0, 0, 2),
	.hairpin = ADDR6(0xfd00, 0, 0, 0, 0, 0, 0, 3),
	.client2 = ADDR6(0xfd00, 0, 0, 0, 0, 0, 0, 5),
	.other = ADDR6(0xfd00, 0, 0, 0, 0, 0, 0, 9),
	.lb_src = ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 1),
	.backend = ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 2),
	.unresolved = ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 3),
	.small_mtu = ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 4),
	.snat_src = ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 0x50),
	.router = ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 0xfe),
	.not_src = ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 0x77),
	.weighted = { ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 0x11), ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 0x12),
		      ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 0x13), ADDR6(0xfd00, 2, 0, 0, 0, 0, 0, 0x14) },
	.no_route = ADDR6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
	.other_if = ADDR6(0xfd00, 3, 0, 0, 0, 0, 0, 2),
};

const struct family *fam = &ipv4;

void use_family(const struct family *f)
{
	fam = f;
	name_cases(f->tag);
}

/* ---- addresses ------------------------------------------------------- */

bool same_addr(union zlb_addr a, union zlb_addr b)
{
	return zlb_addr_equal(&a, &b);
}

static void ntop(union zlb_addr a, char buf[INET6_ADDRSTRLEN])
{
	if (zlb_addr_is_v4(&a))
		inet_ntop(AF_INET, &a.v4, buf, INET6_ADDRSTRLEN);
	else
		inet_ntop(AF_INET6, a.b, buf, INET6_ADDRSTRLEN);
}

const char *host(union zlb_addr a)
{
	char buf[INET6_ADDRSTRLEN];

	ntop(a, buf);
	return named("%s", buf);
}

const char *at(union zlb_addr a, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	ntop(a, buf);
	return named(zlb_addr_is_v4(&a) ? "%s:%u" : "[%s]:%u", buf, port);
}

/* ---- configs --------------------------------------------------------- */

static const struct {
	const char *name;
	size_t off;     /* of the host in struct family */
} placeholders[] = {
	{ "@VIP", offsetof(struct family, vip) },
	{ "@BACKEND", offsetof(struct family, backend) },
	{ "@HAIRPIN", offsetof(struct family, hairpin) },
	{ "@UNRESOLVED", offsetof(struct family, unresolved) },
	{ "@SNAT_SRC", offsetof(struct family, snat_src) },
	{ "@SMALL_MTU", offsetof(struct family, small_mtu) },
	{ "@NO_ROUTE", offsetof(struct family, no_route) },
	{ "@LB_SRC", offsetof(struct family, lb_src) },
	{ "@OTHER_IF", offsetof(struct family, other_if) },
	{ "@WEIGHTED1", offsetof(struct family, weighted[0]) },
	{ "@WEIGHTED2", offsetof(struct family, weighted[1]) },
	{ "@WEIGHTED3", offsetof(struct family, weighted[2]) },
	{ "@WEIGHTED4", offsetof(struct family, weighted[3]) },
};

/* @tmpl with the family's hosts in: 0, or -1 (said in @err). */
static int expand(const char *tmpl, char *buf, size_t size, struct zlb_err *err)
{
	size_t n = 0;

	while (*tmpl) {
		size_t plain = strcspn(tmpl, "@"), i, len = 0;
		char addr[INET6_ADDRSTRLEN];

		n += snprintf(buf + n, n < size ? size - n : 0, "%.*s", (int)plain, tmpl);
		tmpl += plain;
		if (!*tmpl)
			break;
		for (i = 0; i < ARRAY_SIZE(placeholders); i++) {
			len = strlen(placeholders[i].name);
			if (!strncmp(tmpl, placeholders[i].name, len))
				break;
		}
		if (i == ARRAY_SIZE(placeholders)) {
			zlb_err_set(err, "test config: unknown placeholder at \"%.20s\"", tmpl);
			return -1;
		}
		ntop(*(const union zlb_addr *)((const char *)fam + placeholders[i].off), addr);
		n += snprintf(buf + n, n < size ? size - n : 0, "%s", addr);
		tmpl += len;
	}
	if (n >= size) {
		zlb_err_set(err, "test config: longer than %zu bytes", size);
		return -1;
	}
	return 0;
}

int lb_open_family(struct lb *lb, const char *path, bool fib_src, const char *tmpl,
		   struct zlb_err *err)
{
	char conf[8192];

	memset(lb, 0, sizeof(*lb));
	if (expand(tmpl, conf, sizeof(conf), err))
		return -1;
	return lb_open(lb, path, fib_src, conf, err);
}

int lb_reload_family(struct lb *lb, const char *tmpl, struct zlb_err *err)
{
	char conf[8192];

	if (expand(tmpl, conf, sizeof(conf), err))
		return -1;
	return lb_reload(lb, conf, err);
}

/* ---- packets --------------------------------------------------------- */

bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static void set_addrs(struct pkt *p, union zlb_addr saddr, union zlb_addr daddr)
{
	if (fam->kind == PKT_IPV4) {
		p->saddr = ntohl(saddr.v4);
		p->daddr = ntohl(daddr.v4);
	} else {
		memcpy(p->saddr6.s6_addr, saddr.b, 16);
		memcpy(p->daddr6.s6_addr, daddr.b, 16);
	}
}

static union zlb_addr saddr_of(const struct pkt *p)
{
	union zlb_addr a;

	if (p->kind == PKT_IPV4)
		return zlb_addr_v4(htonl(p->saddr));
	memcpy(a.b, p->saddr6.s6_addr, 16);
	return a;
}

struct pkt arriving(int port, const uint8_t *smac, uint8_t proto, union zlb_addr saddr,
		    uint16_t sport, union zlb_addr daddr, uint16_t dport)
{
	static uint16_t ip_id = 0x1000;
	struct pkt p = arriving_l4(port, smac, proto, sport, dport);

	p.kind = fam->kind;
	if (p.kind == PKT_IPV4) {
		p.ip_id = ip_id++;
		p.frag = PKT_DF;
	}
	set_addrs(&p, saddr, daddr);
	return p;
}

struct pkt from_client(uint8_t proto, uint16_t sport, union zlb_addr daddr, uint16_t dport)
{
	return arriving(VETH0, client_mac, proto, CLIENT, sport, daddr, dport);
}

uint16_t snat_port(union zlb_addr client, uint16_t cport, uint8_t proto)
{
	uint32_t span = ZLB_SNAT_PORT_MAX - ZLB_SNAT_PORT_MIN + 1;

	if (is_icmp(proto))
		return cport;
	return ZLB_SNAT_PORT_MIN + zlb_flow_hash_addr(client.w, htons(cport), proto) % span;
}

struct pkt from_backend(uint8_t proto, uint16_t sport, union zlb_addr daddr, uint16_t cport)
{
	struct pkt p = arriving(VETH2, backend_mac, proto, BACKEND, sport, daddr,
				snat_port(CLIENT, cport, proto));

	p.client_port = cport;
	return p;
}

struct pkt sent(const struct pkt *p, int port, const uint8_t *dmac, union zlb_addr saddr,
		uint16_t sport, union zlb_addr daddr, uint16_t dport)
{
	struct pkt o = sent_on(p, port, dmac, sport, dport);

	set_addrs(&o, saddr, daddr);
	return o;
}

struct pkt icmp_error_on(int port, const uint8_t *smac, union zlb_addr from, union zlb_addr to,
			 const struct icmp_kind *k, uint32_t mtu, const struct pkt *quoted,
			 size_t l4_bytes)
{
	struct pkt e = arriving(port, smac, fam->icmp, from, 0, to, 0);

	e.frag = 0;
	e.tos = 0xc0;
	e.icmp_type = k->type;
	e.icmp_code = k->code;
	e.icmp_id = mtu >> 16;
	e.icmp_seq = mtu;
	pkt_quote(&e, quoted, l4_bytes);
	return e;
}

struct pkt icmp_out(const struct pkt *e, int port, const uint8_t *dmac, union zlb_addr from,
		    union zlb_addr to, const struct pkt *orig, size_t l4_bytes)
{
	struct pkt o = sent(e, port, dmac, from, 0, to, 0);
	struct pkt q = *orig;

	q.ttl--;
	pkt_quote(&o, &q, l4_bytes);
	return o;
}

struct pkt to_backend(const struct pkt *p, uint16_t dport)
{
	return sent(p, VETH2, backend_mac, LB_SRC, snat_port(saddr_of(p), p->sport, p->proto),
		    BACKEND, dport);
}

struct pkt to_client(const struct pkt *p, uint16_t sport)
{
	return sent(p, VETH0, client_mac, VIP, sport, CLIENT,
		    p->client_port ? p->client_port : p->dport);
}

struct zlb_ct_key ct_key(union zlb_addr saddr, uint16_t sport, union zlb_addr daddr,
			 uint16_t dport, uint8_t proto)
{
	struct zlb_ct_key k = {
		.saddr = saddr, .daddr = daddr,
		.sport = htons(sport), .dport = htons(dport), .proto = proto,
	};

	return k;
}

int out_tuple(const struct result *r, union zlb_addr *saddr, uint16_t *sport,
	      union zlb_addr *daddr, uint16_t *dport)
{
	struct in6_addr s6, d6;
	uint32_t s4, d4;

	if (fam->kind == PKT_IPV4) {
		if (frame_tuple(r->out.data, r->out.len, &s4, sport, &d4, dport))
			return -1;
		*saddr = zlb_addr_v4(htonl(s4));
		*daddr = zlb_addr_v4(htonl(d4));
		return 0;
	}
	if (frame_tuple6(r->out.data, r->out.len, &s6, sport, &d6, dport))
		return -1;
	memcpy(saddr->b, s6.s6_addr, 16);
	memcpy(daddr->b, d6.s6_addr, 16);
	return 0;
}
