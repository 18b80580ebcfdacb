// SPDX-License-Identifier: GPL-2.0
/* The fuzzer's frames. Base frames are built field by field by
 * tests/unit/frames.c (checksums computed from scratch), then mutated. */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "frames.h"
#include "gen.h"
#include "view.h"

const char *const gen_kind_names[GEN_KINDS] = {
	[GEN_NEW] = "new", [GEN_CLIENT] = "client", [GEN_BACKEND] = "backend",
	[GEN_ERR_FLOW] = "icmp-error-flow", [GEN_ERR_JUNK] = "icmp-error-junk",
	[GEN_OURS] = "ours-other", [GEN_STRAY] = "stray", [GEN_IPV6] = "ipv6",
	[GEN_ARP] = "arp", [GEN_RANDOM] = "random",
};

const char *const gen_mutation_names[MUT_KINDS] = {
	[MUT_TRUNCATE] = "truncate", [MUT_PAD] = "pad", [MUT_IHL] = "ihl",
	[MUT_TOT_LEN] = "tot-len", [MUT_VERSION] = "version", [MUT_FRAG] = "frag",
	[MUT_TTL] = "ttl", [MUT_PROTO] = "proto", [MUT_IP_CSUM] = "ip-csum",
	[MUT_L4_CSUM] = "l4-csum", [MUT_TCP_DOFF] = "tcp-doff", [MUT_VLAN] = "vlan",
	[MUT_FLIP] = "flip",
};

/* ---- PRNG: xoshiro256**, seeded by splitmix64 ---------------------------- */

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = z ^ (z >> 31);
	}
}

uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)((rng_next(r) >> 32) * n >> 32) : 0;
}

/* True once in @n. */
static bool one_in(struct gen *g, uint32_t n)
{
	return rng_below(&g->rng, n) == 0;
}

static void fill_random(struct gen *g, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = rng_next(&g->rng) >> 56;
}

/* ---- who sends ------------------------------------------------------------ */

void gen_init(struct gen *g, uint64_t seed, const struct zlb_config *cfg,
	      const union zlb_addr *ours, size_t nours)
{
	memset(g, 0, sizeof(*g));
	rng_seed(&g->rng, seed);
	g->cfg = cfg;
	g->ours = ours;
	g->nours = nours;
}

void gen_learn(struct gen *g, const struct flow *f)
{
	if (g->nflows < GEN_MAX_FLOWS)
		g->flows[g->nflows++] = *f;
	else
		g->flows[rng_below(&g->rng, GEN_MAX_FLOWS)] = *f;
}

static union zlb_addr a4(uint32_t addr)
{
	return zlb_addr_v4(htonl(addr));
}

static union zlb_addr a6(struct in6_addr a)
{
	union zlb_addr z;

	memcpy(z.b, a.s6_addr, 16);
	return z;
}

static bool is_v6(const union zlb_addr *a)
{
	return !zlb_addr_is_v4(a);
}

/* Few clients and ports, so that flows repeat and collide: on-link ones,
 * remote ones behind the gateway, and two backends acting as clients --
 * of @v6's family. */
static union zlb_addr client_addr(struct gen *g, bool v6)
{
	uint32_t r = rng_below(&g->rng, 32), n = rng_below(&g->rng, 24);

	if (r == 0)
		return v6 ? a6(IP6(0xfd00, 0, 0, 0, 0, 0, 0, 3)) : a4(IP4(10, 0, 0, 3));
	if (r == 1)
		return v6 ? a6(IP6(0xfd00, 2, 0, 0, 0, 0, 0, 2)) : a4(IP4(10, 2, 0, 2));
	if (r < 16)
		return v6 ? a6(IP6(0xfd00, 0, 0, 0, 0, 0, 0, 0x100 + n)) : a4(IP4(10, 0, 0, 100 + n));
	return v6 ? a6(IP6(0xfd00, 0x100, 0, 0, 0, 0, 0, 1 + n)) : a4(IP4(198, 51, 100, 1 + n));
}

static bool some_family_v6(struct gen *g)
{
	return one_in(g, 2);
}

/* Where a frame from @addr arrives; now and then on an interface zon-lb
 * is not configured on. */
static int port_of(struct gen *g, const union zlb_addr *addr)
{
	static const uint8_t lan2[8] = { 0xfd, 0, 0, 2 };

	if (one_in(g, 64))
		return one_in(g, 2) ? VETH1 : VETH3;
	if (is_v6(addr))
		return !memcmp(addr->b, lan2, 8) ? VETH2 : VETH0;
	return (ntohl(addr->v4) >> 8) == (IP4(10, 2, 0, 0) >> 8) ? VETH2 : VETH0;
}

static void mac_of(const union zlb_addr *addr, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = is_v6(addr) ? 0xc6 : 0xc1;
	memcpy(mac + 2, addr->b + 12, 4);
}

static uint8_t icmp_of(bool v6)
{
	return v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
}

/* ---- base frames ---------------------------------------------------------- */

static uint8_t some_ttl(struct gen *g)
{
	static const uint8_t odd[] = { 0, 1, 2, 255 };

	return one_in(g, 16) ? odd[rng_below(&g->rng, 4)] : 64;
}

/* IPv6 extension headers: mostly the walked ones, now and then a
 * fragment header, AH, or more than the data plane walks. */
static void add_exts(struct gen *g, struct pkt *p)
{
	static const uint8_t types[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
					 IPPROTO_DSTOPTS, IPPROTO_HOPOPTS, IPPROTO_FRAGMENT,
					 IPPROTO_AH };

	for (int n = 1 + rng_below(&g->rng, one_in(g, 8) ? 6 : 3); n; n--) {
		uint8_t t = types[rng_below(&g->rng, sizeof(types))];

		if (t == IPPROTO_FRAGMENT)
			pkt_add_frag(p, one_in(g, 2) ? 0 : rng_below(&g->rng, 8192), one_in(g, 2),
				     rng_next(&g->rng));
		else
			pkt_add_ext(p, t, t == IPPROTO_AH ? 12 + 4 * rng_below(&g->rng, 4) :
				    8 * (1 + rng_below(&g->rng, 3)));
	}
}

/* An IPv4 or IPv6 packet (the addresses' family) from @saddr:@sport to
 * @daddr:@dport arriving on @port, with random payload, sometimes IPv4
 * options or IPv6 extension headers, a tag, a fragment field. */
static struct pkt ip_pkt(struct gen *g, int port, uint8_t proto, const union zlb_addr *saddr,
			 uint16_t sport, const union zlb_addr *daddr, uint16_t dport)
{
	struct pkt p = {
		.kind = PKT_IPV4, .proto = proto, .ttl = some_ttl(g), .frag = PKT_DF,
		.saddr = ntohl(saddr->v4), .daddr = ntohl(daddr->v4), .sport = sport, .dport = dport,
		.ip_id = rng_next(&g->rng), .window = 64240,
		.seq = rng_next(&g->rng), .ack = rng_next(&g->rng),
	};

	mac_of(saddr, p.smac);
	memcpy(p.dmac, ports[port].mac, 6);
	if (one_in(g, 8))
		p.tos = rng_next(&g->rng);
	if (is_v6(saddr)) {
		p.kind = PKT_IPV6;
		memcpy(p.saddr6.s6_addr, saddr->b, 16);
		memcpy(p.daddr6.s6_addr, daddr->b, 16);
		if (one_in(g, 8))
			p.flow_label = rng_next(&g->rng);
		if (one_in(g, 6))
			add_exts(g, &p);
	} else if (one_in(g, 10)) {
		p.ip_optlen = 4 * (1 + rng_below(&g->rng, 10));
		fill_random(g, p.ip_opts, p.ip_optlen);
	}
	if (one_in(g, 10)) {
		p.vlan = true;
		p.vlan_tci = rng_next(&g->rng);
	}
	if (!is_v6(saddr) && one_in(g, 32))
		p.frag = one_in(g, 2) ? PKT_MF : rng_below(&g->rng, 0x4000);
	p.payload_len = one_in(g, 16) ? rng_below(&g->rng, 1400) : rng_below(&g->rng, 64);
	fill_random(g, p.payload, p.payload_len);
	return p;
}

/* How the L4 checksum is sent. */
enum csum_mode { CSUM_VALID, CSUM_PARTIAL, CSUM_NONE, CSUM_AIM, CSUM_BAD };

static enum csum_mode csum_mode(struct gen *g, struct pkt *p)
{
	uint32_t r = rng_below(&g->rng, 20);

	if (r < 12)
		return CSUM_VALID;
	if (r < 15) {
		p->l4_csum_partial = true;
		return CSUM_PARTIAL;
	}
	if (r < 16 && p->proto == IPPROTO_UDP) {
		p->udp_no_csum = true;
		return CSUM_NONE;
	}
	return r < 18 ? CSUM_AIM : CSUM_BAD;
}

/* A valid checksum moved into the payload's first word: the field holds
 * 0 (TCP; UDP: 0xffff, its other zero) and the sum is unchanged. */
static void aim_csum(struct gen_frame *f)
{
	struct view v;
	size_t at, hdr;
	uint32_t w;

	view_frame(&v, f->data, f->len);
	if (!v.ip.ok || !v.ip.end || !l4_csum_off(&v.ip))
		return;
	hdr = v.ip.proto == IPPROTO_TCP ? 20 : 8;
	at = v.ip.l4 + hdr;
	if (at + 2 > v.ip.end)
		return;
	w = get16(f->data + at) + get16(f->data + l4_csum_off(&v.ip));
	put16(f->data + at, (w & 0xffff) + (w >> 16));
	put16(f->data + l4_csum_off(&v.ip), v.ip.proto == IPPROTO_TCP ? 0 : 0xffff);
}

static void spoil_csum(struct gen *g, struct gen_frame *f)
{
	struct view v;
	size_t off;

	view_frame(&v, f->data, f->len);
	off = l4_csum_off(&v.ip);
	if (off && off + 2 <= f->len)
		put16(f->data + off, get16(f->data + off) ^ (1 + rng_below(&g->rng, 0xffff)));
}

static void build(struct gen *g, struct gen_frame *f, struct pkt *p)
{
	enum csum_mode mode = p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP ?
			      csum_mode(g, p) : CSUM_VALID;
	struct frame fr;

	frame_build(&fr, p);
	memcpy(f->data, fr.data, fr.len);
	f->len = fr.len;
	if (mode == CSUM_AIM)
		aim_csum(f);
	else if (mode == CSUM_BAD)
		spoil_csum(g, f);
}

static uint8_t tcp_flags(struct gen *g, bool from_client)
{
	static const uint8_t client[] = { PKT_SYN, PKT_ACK, PKT_ACK | PKT_PSH, PKT_FIN | PKT_ACK,
					  PKT_RST, PKT_RST | PKT_ACK };
	static const uint8_t server[] = { PKT_SYN | PKT_ACK, PKT_ACK, PKT_ACK | PKT_PSH,
					  PKT_FIN | PKT_ACK, PKT_RST, PKT_RST | PKT_ACK };

	if (one_in(g, 2))
		return rng_next(&g->rng);
	return from_client ? client[rng_below(&g->rng, 6)] : server[rng_below(&g->rng, 6)];
}

static void echo(struct gen *g, struct pkt *p, uint8_t type, uint16_t id)
{
	p->icmp_type = one_in(g, 16) ? rng_below(&g->rng, 20) + (p->kind == PKT_IPV6) * 120 : type;
	p->icmp_code = one_in(g, 16) ? rng_next(&g->rng) : 0;
	p->icmp_id = id;
	p->icmp_seq = rng_next(&g->rng);
}

/* A packet of @proto from @saddr:@sport to @daddr:@dport (ICMP, ICMPv6:
 * echo @type, @sport the identifier). */
static void l4_frame(struct gen *g, struct gen_frame *f, int port, uint8_t proto,
		     const union zlb_addr *saddr, uint16_t sport, const union zlb_addr *daddr,
		     uint16_t dport, bool from_client, uint8_t echo_type)
{
	struct pkt p = ip_pkt(g, port, proto, saddr, sport, daddr, dport);

	if (proto == IPPROTO_TCP)
		p.tcp_flags = tcp_flags(g, from_client);
	else if (is_echo_proto(proto))
		echo(g, &p, echo_type, sport);
	f->port = port;
	build(g, f, &p);
}

static void gen_new(struct gen *g, struct gen_frame *f)
{
	const struct zlb_cfg_service *s = &g->cfg->services[rng_below(&g->rng, g->cfg->nservices)];
	bool v6 = is_v6(&s->addr);
	union zlb_addr client = client_addr(g, v6);
	int port = port_of(g, &client);
	struct pkt p;

	if (s->takes_icmp_echo && one_in(g, 4)) {
		l4_frame(g, f, port, icmp_of(v6), &client, rng_below(&g->rng, 48), &s->addr, 0, true,
			 echo_type(v6, true));
		return;
	}
	p = ip_pkt(g, port, s->proto, &client, 40000 + rng_below(&g->rng, 48), &s->addr, s->port);
	/* Mostly a SYN: the only segment that opens a flow. */
	if (s->proto == IPPROTO_TCP)
		p.tcp_flags = one_in(g, 4) ? tcp_flags(g, true) : PKT_SYN;
	f->port = port;
	build(g, f, &p);
}

static const struct flow *some_flow(struct gen *g)
{
	return g->nflows ? &g->flows[rng_below(&g->rng, g->nflows)] : NULL;
}

static void gen_client(struct gen *g, struct gen_frame *f, const struct flow *fl)
{
	l4_frame(g, f, fl->client_port, fl->proto, &fl->client, fl->cport, &fl->vip, fl->vport,
		 true, echo_type(is_v6(&fl->vip), true));
	memcpy(f->data + 6, fl->client_mac, 6);
}

static void gen_backend(struct gen *g, struct gen_frame *f, const struct flow *fl)
{
	uint16_t sport = is_echo_proto(fl->proto) ? fl->sport : fl->bport;

	l4_frame(g, f, fl->backend_port, fl->proto, &fl->backend, sport, &fl->src, fl->sport,
		 false, echo_type(is_v6(&fl->src), false));
	memcpy(f->data + 6, fl->backend_mac, 6);
}

/* Make @e's payload the IP packet of frame @q with @l4_bytes of what
 * follows its header(s) (all of it when shorter). */
static void quote(struct pkt *e, const struct gen_frame *q, size_t l4_bytes)
{
	struct view v;
	size_t n;

	view_frame(&v, q->data, q->len);
	if (!v.ip.ok) {         /* headers no one can walk: the first bytes */
		pkt_set_payload(e, q->data + 14, q->len - 14 < 48 ? q->len - 14 : 48);
		return;
	}
	n = q->len - v.ip.l4 < l4_bytes ? q->len - v.ip.l4 : l4_bytes;
	pkt_set_payload(e, q->data + v.ip.l3, v.ip.l4 - v.ip.l3 + n);
}

/* An ICMP (ICMPv6) error from @from to @to arriving on @port, quoting
 * @quoted (checksums sent as build() sends them) with @l4_bytes of its L4
 * part. */
static void icmp_error(struct gen *g, struct gen_frame *f, int port, const union zlb_addr *from,
		       const union zlb_addr *to, struct pkt *quoted, size_t l4_bytes)
{
	static const uint8_t types6[] = { ICMP6_UNREACH_T, ICMP6_TOOBIG_T, ICMP6_TIMXCEED_T };
	bool v6 = is_v6(to);
	struct pkt e = ip_pkt(g, port, icmp_of(v6), from, 0, to, 0);

	e.frag = one_in(g, 16) ? PKT_MF : 0;
	e.icmp_type = v6 ? types6[rng_below(&g->rng, 3)] :
		      one_in(g, 3) ? ICMP_TIMXCEED_T : ICMP_UNREACH_T;
	e.icmp_code = one_in(g, 8) ? rng_next(&g->rng) : 4;
	e.icmp_id = 0;
	e.icmp_seq = v6 ? 1280 : 1400;
	build(g, f, quoted);
	quote(&e, f, l4_bytes);
	f->port = port;
	build(g, f, &e);
}

static size_t quote_len(struct gen *g)
{
	uint32_t r = rng_below(&g->rng, 10);

	return r < 6 ? 8 : r < 9 ? 2000 : rng_below(&g->rng, 40);
}

/* An error about a packet the load balancer sent for @fl: to its backend,
 * from the backend or a router on the way; or, one in three, to its client,
 * from the client or a router on the client's side. */
static void gen_err_flow(struct gen *g, struct gen_frame *f, const struct flow *fl)
{
	bool v6 = is_v6(&fl->src), client_side = one_in(g, 3);
	uint8_t proto = one_in(g, 16) ? icmp_of(v6) : fl->proto;
	struct pkt q = client_side ?
		ip_pkt(g, fl->client_port, proto, &fl->vip, fl->vport, &fl->client, fl->cport) :
		ip_pkt(g, VETH2, proto, &fl->src, fl->sport, &fl->backend, fl->bport);
	union zlb_addr router = v6 ? a6(IP6(0xfd00, 2, 0, 0, 0, 0, 0, 0xfe)) : a4(IP4(10, 2, 0, 254));
	union zlb_addr crouter = v6 ? a6(IP6(0xfd00, 0, 0, 0, 0, 0, 0, 0xfe)) : a4(IP4(10, 0, 0, 254));

	q.ttl = 63;
	q.vlan = false;
	q.frag = PKT_DF;
	if (one_in(g, 2))
		q.next = 0;     /* the data plane sends none: an error quotes none */
	if (proto == IPPROTO_TCP)
		q.tcp_flags = tcp_flags(g, true);
	else if (is_echo_proto(proto))
		echo(g, &q, echo_type(v6, !client_side), client_side ? fl->cport : fl->sport);
	if (q.payload_len > 200)
		q.payload_len = 200;
	/* A later fragment carries no L4 header; now and then its payload
	 * begins with the flow's ports all the same, which are not to be
	 * read as the quote's. */
	for (size_t i = 0; i < q.next; i++)
		if (q.ext[i].type == IPPROTO_FRAGMENT && q.ext[i].frag >> 3 && one_in(g, 2)) {
			if (q.payload_len < 8)
				q.payload_len = 8;
			put16(q.payload, q.sport);
			put16(q.payload + 2, q.dport);
			break;
		}
	if (client_side)
		icmp_error(g, f, fl->client_port, one_in(g, 3) ? &crouter : &fl->client, &fl->vip,
			   &q, quote_len(g));
	else
		icmp_error(g, f, fl->backend_port, one_in(g, 3) ? &router : &fl->backend, &fl->src,
			   &q, quote_len(g));
}

static const union zlb_addr *our_addr(struct gen *g)
{
	return &g->ours[rng_below(&g->rng, g->nours)];
}

/* An address of @v6's family, random or, half the time, from a few. */
static union zlb_addr random_addr(struct gen *g, bool v6)
{
	union zlb_addr a = client_addr(g, v6);

	if (one_in(g, 2)) {
		if (v6)
			fill_random(g, a.b, 16);
		else
			a.v4 = rng_next(&g->rng);
	}
	return a;
}

/* An error to one of our addresses quoting a made-up packet. */
static void gen_err_junk(struct gen *g, struct gen_frame *f)
{
	uint8_t proto = one_in(g, 4) ? rng_next(&g->rng) : one_in(g, 2) ? IPPROTO_TCP : IPPROTO_UDP;
	const union zlb_addr *to = our_addr(g);
	bool v6 = is_v6(to);
	union zlb_addr from = random_addr(g, v6), client = client_addr(g, v6);
	struct pkt q = ip_pkt(g, VETH2, proto, one_in(g, 2) ? to : &from, rng_next(&g->rng),
			      &client, rng_next(&g->rng));

	q.vlan = false;
	if (q.payload_len > 200)
		q.payload_len = 200;
	client = client_addr(g, v6);
	icmp_error(g, f, port_of(g, &client), &client, to, &q, quote_len(g));
	if (one_in(g, 2)) {
		size_t at = f->len > 42 ? 42 + rng_below(&g->rng, f->len - 42) : 0;

		if (at)
			fill_random(g, f->data + at, 1 + rng_below(&g->rng, f->len - at));
	}
}

/* Anything to a service or source address: other ports and protocols,
 * other ICMP types, ports in the SNAT range. */
static void gen_ours(struct gen *g, struct gen_frame *f)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_TCP,
					  IPPROTO_UDP, 47, 132 };
	const union zlb_addr *to = our_addr(g);
	bool v6 = is_v6(to);
	uint8_t proto = protos[rng_below(&g->rng, sizeof(protos))];
	union zlb_addr client = client_addr(g, v6);
	uint16_t dport = one_in(g, 2) ? g->cfg->snat_port_min +
			 rng_below(&g->rng, g->cfg->snat_port_max - g->cfg->snat_port_min + 1) :
			 rng_next(&g->rng);

	if (proto == IPPROTO_ICMP)
		proto = icmp_of(v6);
	l4_frame(g, f, port_of(g, &client), proto, &client, rng_next(&g->rng), to, dport,
		 one_in(g, 2), rng_below(&g->rng, 20) + v6 * 120);
}

static bool is_ours(const struct gen *g, const union zlb_addr *addr)
{
	for (size_t i = 0; i < g->nours; i++)
		if (zlb_addr_equal(&g->ours[i], addr))
			return true;
	return false;
}

static void gen_stray(struct gen *g, struct gen_frame *f)
{
	bool v6 = some_family_v6(g);
	uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, icmp_of(v6) };
	union zlb_addr client = client_addr(g, v6), to;

	do {
		to = random_addr(g, v6);
		if (one_in(g, 2))
			to.b[15] = rng_next(&g->rng);   /* a neighbour of ours */
	} while (is_ours(g, &to) || zlb_addr_is_zero(&to));
	l4_frame(g, f, port_of(g, &client), protos[rng_below(&g->rng, 3)], &client,
		 rng_next(&g->rng), &to, one_in(g, 2) ? 23 : rng_next(&g->rng), true,
		 one_in(g, 2) ? echo_type(v6, true) : rng_below(&g->rng, 20) + v6 * 120);
}

static void gen_ipv6(struct gen *g, struct gen_frame *f)
{
	static const uint8_t next[] = { IPPROTO_TCP, IPPROTO_UDP, 58, 0, 44 };
	uint8_t *ip6;
	size_t plen = 8 + rng_below(&g->rng, 64);
	union zlb_addr client = client_addr(g, true);
	struct pkt p = { .kind = PKT_RAW, .ethertype = ETHERTYPE_IPV6 };

	mac_of(&client, p.smac);
	f->port = port_of(g, &client);
	memcpy(p.dmac, ports[f->port].mac, 6);
	p.vlan = one_in(g, 8);
	p.payload_len = 40 + plen;
	ip6 = p.payload;
	fill_random(g, ip6, p.payload_len);
	ip6[0] = 0x60;
	put16(ip6 + 4, plen);
	ip6[6] = next[rng_below(&g->rng, sizeof(next))];
	/* sometimes the v4-mapped service address, service port 23 */
	if (one_in(g, 2)) {
		memset(ip6 + 24, 0, 10);
		ip6[34] = ip6[35] = 0xff;
		memcpy(ip6 + 36, (uint8_t[]){ 10, 0, 0, 1 }, 4);
		put16(ip6 + 42, 23);
	}
	build(g, f, &p);
}

static void gen_arp(struct gen *g, struct gen_frame *f)
{
	union zlb_addr who = one_in(g, 2) ? client_addr(g, false) :
			     a4(IP4(10, 2, 0, rng_below(&g->rng, 8)));
	const union zlb_addr *to = our_addr(g);
	struct pkt p = { .kind = PKT_ARP, .arp_op = 1 + rng_below(&g->rng, 2),
			 .spa = ntohl(who.v4), .tpa = ntohl(to->v4) };

	mac_of(&who, p.smac);
	memcpy(p.sha, p.smac, 6);
	if (one_in(g, 2) || is_v6(to))
		p.tpa = rng_next(&g->rng);
	if (one_in(g, 4))
		p.spa = rng_next(&g->rng);
	f->port = port_of(g, &who);
	memset(p.dmac, 0xff, 6);
	p.vlan = one_in(g, 8);
	build(g, f, &p);
	/* garbage in the ARP header: types, lengths, op */
	if (one_in(g, 2)) {
		size_t at = 14 + 4 * p.vlan + rng_below(&g->rng, 8);

		f->data[at] = rng_next(&g->rng);
	}
}

static void gen_random(struct gen *g, struct gen_frame *f)
{
	static const uint16_t types[] = { ETHERTYPE_IPV4, ETHERTYPE_IPV4, ETHERTYPE_VLAN,
					  ETHERTYPE_QINQ, ETHERTYPE_ARP, ETHERTYPE_IPV6 };

	f->port = rng_below(&g->rng, NPORTS);
	f->len = 14 + rng_below(&g->rng, 200);
	fill_random(g, f->data, f->len);
	memcpy(f->data, ports[f->port].mac, 6);
	if (!one_in(g, 4))
		put16(f->data + 12, types[rng_below(&g->rng, sizeof(types) / sizeof(types[0]))]);
	/* often an IP header of sorts, to our addresses */
	if (get16(f->data + 12) == ETHERTYPE_IPV4 && f->len >= 34 && !one_in(g, 4)) {
		f->data[14] = 0x45;
		memcpy(f->data + 30, our_addr(g)->b + 12, 4);
	}
	if (get16(f->data + 12) == ETHERTYPE_IPV6 && f->len >= 54 && !one_in(g, 4)) {
		f->data[14] = 0x60;
		memcpy(f->data + 38, our_addr(g)->b, 16);
	}
}

/* ---- mutations ------------------------------------------------------------ */

/* Make the IPv4 header checksum right again, now and then. */
static void ip_fixup(struct gen *g, struct gen_frame *f)
{
	struct view v;
	uint8_t *h;
	uint32_t sum = 0;
	size_t ihl;

	view_frame(&v, f->data, f->len);
	if (!v.ip.ok || v.ip.v6 || one_in(g, 2))
		return;
	h = f->data + v.ip.l3;
	ihl = v.ip.l4 - v.ip.l3;
	put16(h + 10, 0);
	for (size_t i = 0; i < ihl; i += 2)
		sum += get16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(h + 10, ~sum);
}

/* The IPv4 or (*@v6) IPv6 header of @f whether or not it is well-formed:
 * its offset, or 0. */
static size_t l3_of(const struct gen_frame *f, bool *v6)
{
	size_t l3 = 14;
	uint16_t type;

	if (f->len < 14)
		return 0;
	type = get16(f->data + 12);
	if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
		l3 += 4;
		if (f->len < l3)
			return 0;
		type = get16(f->data + 16);
	}
	*v6 = type == ETHERTYPE_IPV6;
	if (*v6)
		return f->len >= l3 + 40 ? l3 : 0;
	return type == ETHERTYPE_IPV4 && f->len >= l3 + 20 ? l3 : 0;
}

/* IPv6 has no IHL, flags or header checksum; its payload length, version,
 * hop limit and first next header are mutated like their IPv4 kin, and
 * MUT_FRAG puts a fragment header's number where the first next header
 * is. */
static void mutate_ip(struct gen *g, struct gen_frame *f, enum gen_mutation m)
{
	bool v6;
	size_t l3 = l3_of(f, &v6);
	uint8_t *h = f->data + l3;
	size_t len_at = v6 ? 4 : 2, ttl_at = v6 ? 7 : 8, proto_at = v6 ? 6 : 9;

	if (!l3)
		return;
	switch (m) {
	case MUT_IHL:
		if (!v6)
			h[0] = (h[0] & 0xf0) | rng_below(&g->rng, 16);
		break;
	case MUT_TOT_LEN:
		put16(h + len_at, one_in(g, 2) ? get16(h + len_at) + rng_below(&g->rng, 17) - 8 :
					   rng_next(&g->rng));
		break;
	case MUT_VERSION:
		h[0] = (h[0] & 0x0f) | rng_below(&g->rng, 16) << 4;
		break;
	case MUT_FRAG:
		if (v6)
			h[6] = IPPROTO_FRAGMENT;
		else
			put16(h + 6, rng_next(&g->rng));
		break;
	case MUT_TTL:
		h[ttl_at] = rng_below(&g->rng, 4);
		break;
	case MUT_PROTO:
		h[proto_at] = rng_next(&g->rng);
		break;
	case MUT_IP_CSUM:
		if (!v6)
			put16(h + 10, get16(h + 10) ^ (1 + rng_below(&g->rng, 0xffff)));
		return;
	default:
		return;
	}
	ip_fixup(g, f);
}

static void mutate_l4(struct gen *g, struct gen_frame *f, enum gen_mutation m)
{
	static const uint16_t odd[] = { 0, 0xffff, 1 };
	struct view v;
	size_t off;

	view_frame(&v, f->data, f->len);
	if (!v.ip.ok)
		return;
	if (m == MUT_TCP_DOFF) {
		if (v.ip.proto == IPPROTO_TCP && f->len >= v.ip.l4 + 13)
			f->data[v.ip.l4 + 12] = rng_next(&g->rng);
		return;
	}
	off = l4_csum_off(&v.ip);
	if (off && off + 2 <= f->len)
		put16(f->data + off, one_in(g, 2) ? odd[rng_below(&g->rng, 3)] : rng_next(&g->rng));
}

static void mutate_vlan(struct gen *g, struct gen_frame *f)
{
	if (f->len + 4 > sizeof(f->data) || f->len < 12)
		return;
	memmove(f->data + 16, f->data + 12, f->len - 12);
	put16(f->data + 12, one_in(g, 2) ? ETHERTYPE_VLAN : ETHERTYPE_QINQ);
	put16(f->data + 14, rng_next(&g->rng));
	f->len += 4;
}

static void mutate(struct gen *g, struct gen_frame *f, enum gen_mutation m)
{
	size_t n;

	f->mutations |= 1u << m;
	switch (m) {
	case MUT_TRUNCATE:
		/* BPF_PROG_TEST_RUN takes no frame shorter than Ethernet's header */
		f->len = 14 + rng_below(&g->rng, f->len - 14 + 1);
		f->truncated_at = f->len;
		break;
	case MUT_PAD:
		n = 1 + rng_below(&g->rng, 48);
		if (f->len + n <= sizeof(f->data)) {
			if (one_in(g, 2))
				memset(f->data + f->len, 0, n);
			else
				fill_random(g, f->data + f->len, n);
			f->len += n;
		}
		break;
	case MUT_L4_CSUM:
	case MUT_TCP_DOFF:
		mutate_l4(g, f, m);
		break;
	case MUT_VLAN:
		mutate_vlan(g, f);
		break;
	case MUT_FLIP:
		for (n = 1 + rng_below(&g->rng, 4); n; n--)
			f->data[rng_below(&g->rng, f->len < 80 ? f->len : 80)] ^= 1 + rng_below(&g->rng, 255);
		break;
	default:
		mutate_ip(g, f, m);
	}
}

/* ---- one frame ------------------------------------------------------------ */

static enum gen_kind pick_kind(struct gen *g)
{
	static const uint8_t weights[GEN_KINDS] = {
		[GEN_NEW] = 15, [GEN_CLIENT] = 22, [GEN_BACKEND] = 22, [GEN_ERR_FLOW] = 9,
		[GEN_ERR_JUNK] = 3, [GEN_OURS] = 8, [GEN_STRAY] = 6, [GEN_IPV6] = 4,
		[GEN_ARP] = 4, [GEN_RANDOM] = 7,
	};
	uint32_t r = rng_below(&g->rng, 100);
	int k;

	for (k = 0; k < GEN_KINDS - 1 && r >= weights[k]; k++)
		r -= weights[k];
	if (!g->nflows && (k == GEN_CLIENT || k == GEN_BACKEND || k == GEN_ERR_FLOW))
		return GEN_NEW;
	return k;
}

void gen_frame(struct gen *g, struct gen_frame *f)
{
	f->kind = pick_kind(g);
	f->mutations = 0;
	f->truncated_at = 0;
	switch (f->kind) {
	case GEN_NEW:
		gen_new(g, f);
		break;
	case GEN_CLIENT:
		gen_client(g, f, some_flow(g));
		break;
	case GEN_BACKEND:
		gen_backend(g, f, some_flow(g));
		break;
	case GEN_ERR_FLOW:
		gen_err_flow(g, f, some_flow(g));
		break;
	case GEN_ERR_JUNK:
		gen_err_junk(g, f);
		break;
	case GEN_OURS:
		gen_ours(g, f);
		break;
	case GEN_STRAY:
		gen_stray(g, f);
		break;
	case GEN_IPV6:
		gen_ipv6(g, f);
		break;
	case GEN_ARP:
		gen_arp(g, f);
		break;
	default:
		gen_random(g, f);
	}
	/* Half the frames leave as they were built. */
	if (one_in(g, 2))
		return;
	for (int n = 1 + rng_below(&g->rng, 3); n; n--)
		mutate(g, f, rng_below(&g->rng, MUT_KINDS));
}
