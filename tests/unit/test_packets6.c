// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of what only IPv6 has: extension headers, fragment headers
 * (every fragment to a service address is dropped), neighbour discovery,
 * a partial checksum behind extension headers, and IPv6 packets between
 * IPv4-mapped addresses beside IPv4 services. The cases both families have
 * are in test_flows.c and test_depth.c; run for IPv6, their names start
 * with "ipv6", as these do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "zlb_hash.h"
#include "scenario.h"

/* ---- cases: extension headers ------------------------------------------ */

/* Hop-by-hop, routing (no segment left) and destination options are
 * walked over and leave as they came; the L4 header after them is
 * translated. */
static void test_extension_headers(const struct lb *lb)
{
	struct pkt hop = from_client(IPPROTO_TCP, 40600, VIP, 23);
	struct pkt dst = from_client(IPPROTO_TCP, 40601, VIP, 23);
	struct pkt all = from_client(IPPROTO_UDP, 40602, VIP, 53);
	struct pkt back = from_backend(IPPROTO_UDP, 5353, LB_SRC, 40602);
	struct pkt four = from_client(IPPROTO_TCP, 40603, VIP, 23);
	struct pkt ping = from_client(ICMP, 0, VIP, 0);
	struct pkt longx = from_client(IPPROTO_TCP, 40604, VIP, 23);
	struct pkt out;

	tcp_seg(&hop, PKT_SYN, 1, 0);
	pkt_add_ext(&hop, IPPROTO_HOPOPTS, 8);
	out = to_backend(&hop, 223);
	expect(lb, "ext: a SYN after a hop-by-hop header is translated, the header kept",
	       &hop, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&dst, PKT_SYN, 1, 0);
	pkt_add_ext(&dst, IPPROTO_DSTOPTS, 24);
	out = to_backend(&dst, 223);
	expect(lb, "ext: a SYN after destination options (24 bytes) is translated",
	       &dst, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&all, "through three");
	pkt_add_ext(&all, IPPROTO_HOPOPTS, 16);
	pkt_add_ext(&all, IPPROTO_ROUTING, 8);
	pkt_add_ext(&all, IPPROTO_DSTOPTS, 8);
	out = to_backend(&all, 5353);
	expect(lb, "ext: UDP after hop-by-hop, routing (no segment left) and destination "
	       "options is translated", &all, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&back, "and back");
	pkt_add_ext(&back, IPPROTO_DSTOPTS, 8);
	out = to_client(&back, 53);
	expect(lb, "ext: the backend's answer after destination options reaches the client",
	       &back, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&four, PKT_SYN, 1, 0);
	pkt_add_ext(&four, IPPROTO_HOPOPTS, 8);
	pkt_add_ext(&four, IPPROTO_DSTOPTS, 8);
	pkt_add_ext(&four, IPPROTO_ROUTING, 8);
	pkt_add_ext(&four, IPPROTO_DSTOPTS, 8);
	out = to_backend(&four, 223);
	expect(lb, "ext: a SYN after four extension headers (as many as are walked) is "
	       "translated", &four, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&longx, PKT_SYN, 1, 0);
	pkt_add_ext(&longx, IPPROTO_DSTOPTS, 240);
	out = to_backend(&longx, 223);
	expect(lb, "ext: a SYN after 240 bytes of destination options is translated, its "
	       "checksum too", &longx, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	echo(&ping, fam->echo_request, 0x4343, 1);
	pkt_add_ext(&ping, IPPROTO_HOPOPTS, 8);
	out = to_backend(&ping, 0);
	expect(lb, "ext: an echo request after a hop-by-hop header is translated",
	       &ping, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

/* A veth sender's partial checksum behind an extension header is completed
 * (the pseudo-header sum over IPv6's pseudo header); tc skips it
 * (packet_harness.c). */
static void test_partial_csum_ext(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 44000, VIP, 23);
	struct pkt p = from_client(IPPROTO_TCP, 44000, VIP, 23);
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 1, 0);
	out = to_backend(&syn, 223);
	expect_setup(lb, "partial csum: setup", &syn, VETH0, XDP_REDIRECT, &out,
	             FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	tcp_seg(&p, PKT_ACK, 3, 1);
	p.payload_len = 400;
	for (size_t i = 0; i < p.payload_len; i++)
		p.payload[i] = i * 37 + p.payload_len + 11;
	pkt_add_ext(&p, IPPROTO_DSTOPTS, 8);
	out = to_backend(&p, 223);
	p.l4_csum_partial = true;
	expect(lb, "partial csum: TCP after destination options, completed", &p, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);
}

/* ---- cases: ICMPv6 errors quoting extension headers -------------------- */

#define ICMP_NAT6 ZLB_C_RX, ROUTE_CACHED, ZLB_C_ICMP_ERROR_NAT, REDIRECTED

/* A flow whose packets carry extension headers: the errors about them
 * quote the headers, and the ports come after them. Translated either way,
 * like the errors of test_depth.c; a quote the data plane does not walk
 * (more headers than it walks, a routing header with a segment left, a
 * later fragment) is the stack's. */
static void test_icmp_error_ext(const struct lb *lb)
{
	static const uint8_t router_mac[6] = MAC(0x14, 0xfe);
	const struct icmp_kind *big = &fam->too_big, *port = &fam->port_unreach;
	const uint16_t mtu = fam->too_big_mtu;
	struct pkt syn = from_client(IPPROTO_TCP, 40620, VIP, 23);
	struct pkt q = from_client(IPPROTO_UDP, 40621, VIP, 53);
	struct pkt syn_out, q_out, e, out, b, b_out, bad, c;
	struct frame f;

	tcp_seg(&syn, PKT_SYN, 1, 0);
	pkt_add_ext(&syn, IPPROTO_DSTOPTS, 8);
	syn_out = to_backend(&syn, 223);
	expect_setup(lb, "icmp error ext: setup", &syn, VETH0, XDP_REDIRECT, &syn_out,
	             FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	e = icmp_error_on(VETH2, backend_mac, BACKEND, LB_SRC, big, mtu, &syn_out, 8);
	out = icmp_out(&e, VETH0, client_mac, VIP, CLIENT, &syn, 8);
	expect(lb, "icmp error ext: packet too big quoting a SYN after destination options "
	       "reaches the client, quoting its own SYN and header (icmp_error_nat)",
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT6);

	e = icmp_error_on(VETH2, backend_mac, BACKEND, LB_SRC, big, mtu, &syn_out, 1000);
	out = icmp_out(&e, VETH0, client_mac, VIP, CLIENT, &syn, 1000);
	expect(lb, "icmp error ext: ... quoting the whole segment, its TCP checksum is the "
	       "client's", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT6);

	/* The error itself behind a hop-by-hop header: the quote starts
	 * further in. */
	e = icmp_error_on(VETH2, router_mac, ROUTER, LB_SRC, &fam->time_exceeded, 0, &syn_out, 1000);
	pkt_add_ext(&e, IPPROTO_HOPOPTS, 8);
	out = icmp_out(&e, VETH0, client_mac, VIP, CLIENT, &syn, 1000);
	expect(lb, "icmp error ext: time exceeded after a hop-by-hop header of its own, quoting "
	       "the SYN and its header, is translated", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT6);

	with_data(&q, "through three headers");
	pkt_add_ext(&q, IPPROTO_HOPOPTS, 16);
	pkt_add_ext(&q, IPPROTO_ROUTING, 8);
	pkt_add_ext(&q, IPPROTO_DSTOPTS, 24);
	q_out = to_backend(&q, 5353);
	expect_setup(lb, "icmp error ext: setup", &q, VETH0, XDP_REDIRECT, &q_out,
	             FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	e = icmp_error_on(VETH2, backend_mac, BACKEND, LB_SRC, port, 0, &q_out, 1000);
	out = icmp_out(&e, VETH0, client_mac, VIP, CLIENT, &q, 1000);
	expect(lb, "icmp error ext: port unreachable quoting a whole datagram after hop-by-hop, "
	       "routing and destination options is translated, its UDP checksum the client's",
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT6);

	e = icmp_error_on(VETH2, backend_mac, BACKEND, LB_SRC, port, 0, &q_out, 8);
	out = icmp_out(&e, VETH0, client_mac, VIP, CLIENT, &q, 8);
	expect(lb, "icmp error ext: ... and quoting 8 bytes of it", &e, VETH2, XDP_REDIRECT,
	       &out, ICMP_NAT6);

	/* From the client side: its packet too big about an answer of ours
	 * that carried a destination-options header reaches the backend. */
	b = from_backend(IPPROTO_TCP, 223, LB_SRC, 40620);
	tcp_seg(&b, PKT_SYN | PKT_ACK, 7, 2);
	pkt_add_ext(&b, IPPROTO_DSTOPTS, 16);
	b_out = to_client(&b, 23);
	expect_setup(lb, "icmp error ext: setup", &b, VETH2, XDP_REDIRECT, &b_out,
	             FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	e = icmp_error_on(VETH0, client_mac, CLIENT, VIP, big, mtu, &b_out, 1000);
	out = icmp_out(&e, VETH2, backend_mac, LB_SRC, BACKEND, &b, 1000);
	expect(lb, "icmp error ext: packet too big from the client side, quoting a SYN-ACK after "
	       "destination options, reaches the backend quoting its own", &e, VETH0,
	       XDP_REDIRECT, &out, ICMP_NAT6);

	/* Four headers, as many as the data plane walks. */
	bad = syn_out;
	c = syn;
	for (int i = 0; i < 3; i++) {
		pkt_add_ext(&bad, IPPROTO_DSTOPTS, 8);
		pkt_add_ext(&c, IPPROTO_DSTOPTS, 8);
	}
	e = icmp_error_on(VETH2, backend_mac, BACKEND, LB_SRC, big, mtu, &bad, 8);
	out = icmp_out(&e, VETH0, client_mac, VIP, CLIENT, &c, 8);
	expect(lb, "icmp error ext: a quote after four extension headers (as many as are "
	       "walked) is translated", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT6);

	/* What the data plane does not walk: the stack's. */
	pkt_add_ext(&bad, IPPROTO_DSTOPTS, 8);
	e = icmp_error_on(VETH2, backend_mac, BACKEND, LB_SRC, big, mtu, &bad, 8);
	expect(lb, "icmp error ext: a quote after five extension headers goes to the stack "
	       "untouched", &e, VETH2, XDP_PASS, NULL, PASSED);

	bad = syn_out;
	pkt_add_ext(&bad, IPPROTO_ROUTING, 24);
	bad.ext[bad.next - 1].segs_left = 1;
	e = icmp_error_on(VETH2, backend_mac, BACKEND, LB_SRC, big, mtu, &bad, 8);
	expect(lb, "icmp error ext: a quote with a routing header with a segment left goes to the "
	       "stack untouched", &e, VETH2, XDP_PASS, NULL, PASSED);

	/* A later fragment has no L4 header, even when its payload begins
	 * with the bytes of the flow's. */
	bad = syn_out;
	frame_build(&f, &syn_out);
	pkt_set_payload(&bad, f.data + f.csum_off - 16, 20);
	pkt_add_frag(&bad, 100, false, 0x2001);
	e = icmp_error_on(VETH2, backend_mac, BACKEND, LB_SRC, big, mtu, &bad, 8);
	expect(lb, "icmp error ext: a quote of a later fragment (its payload the flow's TCP "
	       "header) goes to the stack untouched", &e, VETH2, XDP_PASS, NULL, PASSED);

	/* A quote cut inside its extension header: no ports to read. */
	bad = syn_out;
	pkt_add_ext(&bad, IPPROTO_DSTOPTS, 64);
	e = icmp_error_on(VETH2, backend_mac, BACKEND, LB_SRC, big, mtu, &bad, 0);
	e.payload_len -= 40;
	expect(lb, "icmp error ext: a quote that ends inside its extension headers goes to the "
	       "stack untouched", &e, VETH2, XDP_PASS, NULL, PASSED);
}

/* ---- cases: what opens no flow ----------------------------------------- */

/* What the data plane needs to tell a packet without ports (a later
 * fragment, an unknown extension header) to a service from one to anybody:
 * the service address in zlb_snat_addrs, flagged so. */
static void check_service_marked(const struct lb *lb)
{
	const char *name = named("maps: zlb_snat_addrs marks %s a service address "
				 "(ZLB_ADDR_F_SERVICE)", host(VIP));
	union zlb_addr vip = VIP;
	__u32 flags;

	if (bpf_map_lookup_elem(lb->maps.fd[ZLB_M_SNAT_ADDRS], &vip, &flags))
		fail(name, "no entry (%s)", strerror(errno));
	else if (!(flags & ZLB_ADDR_F_SERVICE))
		fail(name, "flags %#x", flags);
	else
		report(name, NULL);
}

static void test_fragments_and_headers(const struct lb *lb)
{
	struct pkt first = from_client(IPPROTO_TCP, 40102, VIP, 23);
	struct pkt later = from_client(IPPROTO_UDP, 5003, VIP, 53);
	struct pkt atomic = from_client(IPPROTO_UDP, 5004, VIP, 53);
	struct pkt ah = from_client(IPPROTO_TCP, 40103, VIP, 23);
	struct pkt ah_back = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt many = from_client(IPPROTO_TCP, 40104, VIP, 23);
	struct pkt waypoint = from_client(IPPROTO_TCP, 40105, VIP, 23);
	struct pkt frag_other = from_client(IPPROTO_UDP, 5005, OTHER, 53);

	/* Fragments to a service: handed up, they would reach the load
	 * balancer's own stack. */
	tcp_seg(&first, PKT_SYN, 1, 0);
	pkt_add_frag(&first, 0, true, 0x1001);
	with_data(&first, "first fragment");
	expect(lb, "frag: a first fragment to the service is dropped (drop_fragment)",
	       &first, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_FRAGMENT);

	pkt_add_frag(&later, 185, false, 0x1002);
	with_data(&later, "the middle of a datagram");
	expect(lb, "frag: a later fragment to the service address is dropped (drop_fragment)",
	       &later, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_FRAGMENT);

	/* RFC 6946: offset 0 and no M, a whole datagram -- still a fragment
	 * header, still not translated. */
	pkt_add_frag(&atomic, 0, false, 0x1003);
	with_data(&atomic, "atomic");
	expect(lb, "frag: an atomic fragment to the service is dropped (drop_fragment)",
	       &atomic, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_FRAGMENT);

	pkt_add_frag(&frag_other, 0, true, 0x1004);
	with_data(&frag_other, "not ours");
	expect(lb, "frag: a fragment to another address goes to the stack untouched",
	       &frag_other, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&ah, PKT_SYN, 1, 0);
	pkt_add_ext(&ah, IPPROTO_AH, 24);
	expect(lb, "ext: an authentication header to the service is dropped (drop_ipv6_ext)",
	       &ah, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_IPV6_EXT);

	/* Only service addresses are guarded so: to a source address it is
	 * the stack's, like any packet there outside a flow. */
	with_data(&ah_back, "signed");
	pkt_add_ext(&ah_back, IPPROTO_AH, 24);
	expect(lb, "ext: an authentication header to the load balancer's source goes to the "
	       "stack", &ah_back, VETH2, XDP_PASS, NULL, PASSED);

	/* With a segment left the service address is a waypoint, not the
	 * packet's destination: the kernel would route it on, never deliver
	 * it; nor may it be translated, its checksum is over the last
	 * segment's address. */
	tcp_seg(&waypoint, PKT_SYN, 1, 0);
	pkt_add_ext(&waypoint, IPPROTO_ROUTING, 24);
	waypoint.ext[waypoint.next - 1].segs_left = 1;
	expect(lb, "ext: a routing header with a segment left, to the service, is dropped "
	       "(drop_ipv6_ext)", &waypoint, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_IPV6_EXT);

	/* The data plane walks a bounded number of headers (4). */
	tcp_seg(&many, PKT_SYN, 1, 0);
	for (int i = 0; i < PKT_EXT_MAX; i++)
		pkt_add_ext(&many, IPPROTO_DSTOPTS, 8);
	expect(lb, "ext: eight destination options headers to the service are dropped "
	       "(drop_ipv6_ext)", &many, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_IPV6_EXT);
}

/* ---- cases: what goes to the stack untouched --------------------------- */

/* A neighbour solicitation (@type 135) or advertisement (136) from @sha
 * about @target, with its link-layer address option. */
static struct pkt nd(int port, const uint8_t *sha, uint8_t type, union zlb_addr saddr,
		     union zlb_addr daddr, union zlb_addr target)
{
	struct pkt p = arriving(port, sha, IPPROTO_ICMPV6, saddr, 0, daddr, 0);
	uint8_t body[24];

	p.ttl = 255;                    /* RFC 4861: anything else is not ND */
	p.icmp_type = type;
	p.icmp_id = type == 136 ? 0x6000 : 0;   /* solicited, override */
	memcpy(body, target.b, 16);
	body[16] = type == 135 ? 1 : 2;         /* source / target link-layer address */
	body[17] = 1;
	memcpy(body + 18, sha, 6);
	pkt_set_payload(&p, body, sizeof(body));
	return p;
}

/* Neighbour discovery is the kernel's, always. */
static void test_nd(const struct lb *lb)
{
	static const uint8_t solicited_mac[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	static const union zlb_addr solicited = ADDR6(0xff02, 0, 0, 0, 0, 1, 0xff00, 1);
	struct pkt ns = nd(VETH0, client_mac, 135, CLIENT, solicited, VIP);
	struct pkt na = nd(VETH2, backend_mac, 136, BACKEND, LB_SRC, BACKEND);
	struct pkt ns_src = nd(VETH2, backend_mac, 135, BACKEND, LB_SRC, LB_SRC);

	memcpy(ns.dmac, solicited_mac, 6);
	expect(lb, "nd: a neighbour solicitation for the service address goes to the stack "
	       "untouched", &ns, VETH0, XDP_PASS, NULL, PASSED);
	expect(lb, "nd: a neighbour advertisement from the backend goes to the stack untouched",
	       &na, VETH2, XDP_PASS, NULL, PASSED);
	expect(lb, "nd: a solicitation for the source address goes to the stack untouched",
	       &ns_src, VETH2, XDP_PASS, NULL, PASSED);
}

/* ---- cases: both families at once ------------------------------------- */

/* An IPv6 service and an IPv4 one, on a load balancer of their own. */
static const char dual_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"telnet\"; address = \"fd00::1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"fd00:2::2\"; port = 223; } ); },\n"
	"  { name = \"telnet4\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 223; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* ::ffff:a.b.c.d, an IPv4 address as the maps hold it */
#define MAPPED(a, b, c, d) ((union zlb_addr)ADDR4(a, b, c, d))

/* Run @in on @port: it must not be translated -- left to the stack
 * untouched or dropped, opening and hitting no flow. */
static void check_not_translated(const struct lb *lb, const char *name, const struct pkt *in,
				 int port)
{
	struct problems p = {};
	struct frame f;
	struct result r;

	if (run(lb, in, port, &r)) {
		fail(name, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return;
	}
	build(&f, in);
	if (r.verdict == hook_verdict(XDP_PASS)) {
		if (r.out.len != f.len || memcmp(r.out.data, f.data, f.len))
			add(&p, "passed modified");
	} else if (r.verdict != hook_verdict(XDP_DROP)) {
		add(&p, "verdict %s", verdict_name(r.verdict));
	}
	if (r.delta[ZLB_C_NEW_FLOW] || r.delta[ZLB_C_CT_HIT] || r.delta[ZLB_C_FORWARD])
		add(&p, "new_flow %+lld, ct_hit %+lld, forward %+lld", r.delta[ZLB_C_NEW_FLOW],
		    r.delta[ZLB_C_CT_HIT], r.delta[ZLB_C_FORWARD]);
	report(name, p.n ? p.text : NULL);
	if (r.verdict != hook_verdict(XDP_DROP) && p.n)
		frame_diff(stdout, "#   ", f.data, f.len, r.out.data, r.out.len);
}

/*
 * The maps hold IPv4 addresses IPv4-mapped; an IPv6 packet whose address
 * is IPv4-mapped (RFC 4291 2.5.5.2: not on the wire) is still no IPv4
 * packet: it must neither open a flow of the IPv4 service 10.0.0.1:23 nor
 * ride an IPv4 flow, or it would leave as IPv6 between IPv4-mapped
 * addresses.
 */
static void test_mapped(const char *path)
{
	uint32_t span = ZLB_SNAT_PORT_MAX - ZLB_SNAT_PORT_MIN + 1;
	uint16_t sport4 = ZLB_SNAT_PORT_MIN +
			  zlb_flow_hash(htonl(IP4(10, 0, 0, 2)), htons(47000), IPPROTO_TCP) % span;
	struct pkt syn4 = arriving_l4(VETH0, client_mac, IPPROTO_TCP, 47000, 23), out4;
	struct pkt syn6 = from_client(IPPROTO_TCP, 47001, MAPPED(10, 0, 0, 1), 23);
	struct pkt answer = arriving(VETH2, backend_mac, IPPROTO_TCP, MAPPED(10, 2, 0, 2), 223,
				     MAPPED(10, 2, 0, 1), sport4);
	struct zlb_err err = {};
	struct lb lb;

	if (lb_open(&lb, path, true, dual_conf, &err)) {
		fail("dual stack: loading an IPv6 and an IPv4 service", "%s", err.msg);
		lb_close(&lb);
		return;
	}
	syn4.kind = PKT_IPV4;
	syn4.frag = PKT_DF;
	syn4.saddr = IP4(10, 0, 0, 2);
	syn4.daddr = IP4(10, 0, 0, 1);
	tcp_seg(&syn4, PKT_SYN, 1, 0);
	out4 = sent_on(&syn4, VETH2, backend_mac, sport4, 223);
	out4.saddr = IP4(10, 2, 0, 1);
	out4.daddr = IP4(10, 2, 0, 2);
	expect(&lb, "dual stack: an IPv4 SYN to 10.0.0.1:23 beside the IPv6 services is translated",
	       &syn4, VETH0, XDP_REDIRECT, &out4, FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);

	tcp_seg(&syn6, PKT_SYN, 1, 0);
	check_not_translated(&lb, "dual stack: an IPv6 SYN to [::ffff:10.0.0.1]:23 opens no flow of "
			     "the IPv4 service", &syn6, VETH0);

	tcp_seg(&answer, PKT_SYN | PKT_ACK, 9, 2);
	check_not_translated(&lb, "dual stack: an IPv6 SYN-ACK from [::ffff:10.2.0.2]:223 to the "
			     "IPv4 flow's tuple does not ride that flow", &answer, VETH2);
	lb_close(&lb);
}

void test_ipv6_only(const struct lb *lb, const char *path)
{
	test_extension_headers(lb);
	check_service_marked(lb);
	test_fragments_and_headers(lb);
	test_nd(lb);
	test_partial_csum_ext(lb);
	test_icmp_error_ext(lb);
	test_mapped(path);
}
