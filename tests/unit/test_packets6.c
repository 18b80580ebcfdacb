// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the data plane over IPv6: the IPv4 cases of
 * test_packets.c again, with the same hosts at IPv6 addresses, and what
 * only IPv6 has -- extension headers, neighbour discovery, ICMPv6 with a
 * checksum over the pseudo header. Same harness (packet_harness.h), same
 * namespace (packets.sh):
 *
 *   client fd00::2 --- veth0 fd00::1 (service)   veth2 fd00:2::1 --- backend fd00:2::2
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "zlb_hash.h"
#include "packet_harness.h"

#define VIP        IP6(0xfd00, 0, 0, 0, 0, 0, 0, 1)        /* veth0: the service address */
#define CLIENT     IP6(0xfd00, 0, 0, 0, 0, 0, 0, 2)
#define HAIRPIN    IP6(0xfd00, 0, 0, 0, 0, 0, 0, 3)        /* a backend on the client side */
#define CLIENT2    IP6(0xfd00, 0, 0, 0, 0, 0, 0, 5)        /* known only to zlb_neigh */
#define OTHER      IP6(0xfd00, 0, 0, 0, 0, 0, 0, 9)        /* nobody's service */
#define LB_SRC     IP6(0xfd00, 2, 0, 0, 0, 0, 0, 1)        /* veth2: source towards backends */
#define BACKEND    IP6(0xfd00, 2, 0, 0, 0, 0, 0, 2)
#define UNRESOLVED IP6(0xfd00, 2, 0, 0, 0, 0, 0, 3)        /* no kernel neighbour */
#define SMALL_MTU  IP6(0xfd00, 2, 0, 0, 0, 0, 0, 4)        /* route with mtu 1280 */
#define SNAT_SRC   IP6(0xfd00, 2, 0, 0, 0, 0, 0, 0x50)     /* a configured source */
#define ROUTER     IP6(0xfd00, 2, 0, 0, 0, 0, 0, 0xfe)     /* a router on the backend side */
#define WEIGHTED(n) IP6(0xfd00, 2, 0, 0, 0, 0, 0, 0x11 + (n))  /* fd00:2::11.. */

#define ECHO_REQUEST 128
#define ECHO_REPLY   129

/* ---- the configs ------------------------------------------------------- */

/* The services of test_packets.c's main_conf at IPv6 addresses, and one
 * IPv4 service beside them: a dual-stack config. */
static const char main6_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"telnet\"; address = \"fd00::1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"fd00:2::2\"; port = 223; } ); },\n"
	"  { name = \"dns\"; address = \"fd00::1\"; protocol = \"udp\"; port = 53;\n"
	"    backends = ( { address = \"fd00:2::2\"; port = 5353; } ); },\n"
	"  { name = \"hairpin\"; address = \"fd00::1\"; protocol = \"tcp\"; port = 24;\n"
	"    backends = ( { address = \"fd00::3\"; port = 224; } ); },\n"
	"  { name = \"unresolved\"; address = \"fd00::1\"; protocol = \"tcp\"; port = 25;\n"
	"    backends = ( { address = \"fd00:2::3\"; port = 225; } ); },\n"
	"  { name = \"snat\"; address = \"fd00::1\"; protocol = \"udp\"; port = 54;\n"
	"    backends = ( { address = \"fd00:2::2\"; port = 5454; source = \"fd00:2::50\"; } ); },\n"
	"  { name = \"small-mtu\"; address = \"fd00::1\"; protocol = \"udp\"; port = 55;\n"
	"    backends = ( { address = \"fd00:2::4\"; port = 5555; } ); },\n"
	"  { name = \"no-route\"; address = \"fd00::1\"; protocol = \"udp\"; port = 56;\n"
	"    backends = ( { address = \"2001:db8::1\"; port = 5656; source = \"fd00:2::1\"; } ); },\n"
	"  { name = \"other-if\"; address = \"fd00::1\"; protocol = \"udp\"; port = 57;\n"
	"    backends = ( { address = \"fd00:3::2\"; port = 5757; source = \"fd00:2::1\"; } ); },\n"
	"  { name = \"weighted\"; address = \"fd00::1\"; protocol = \"tcp\"; port = 26;\n"
	"    backends = ( { address = \"fd00:2::11\"; port = 2626; weight = 1; },\n"
	"                 { address = \"fd00:2::12\"; port = 2626; weight = 1; },\n"
	"                 { address = \"fd00:2::13\"; port = 2626; weight = 2; } ); },\n"
	"  { name = \"telnet4\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 223; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

enum { SVC_TELNET, SVC_DNS };
enum { SLOT_VETH0, SLOT_VETH2 };
#define BE_ID(svc, i) ((svc) * ZLB_MAX_BACKENDS_PER_SVC + (i))

/* For a kernel without BPF_FIB_LOOKUP_SRC: sources come from the map. */
static const char nofibsrc6_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"telnet\"; address = \"fd00::1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"fd00:2::2\"; port = 223; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* ---- frames of the scenario -------------------------------------------- */

static union zlb_addr a6(struct in6_addr a)
{
	union zlb_addr z;

	memcpy(z.b, a.s6_addr, 16);
	return z;
}

static bool same(struct in6_addr a, struct in6_addr b)
{
	return !memcmp(&a, &b, sizeof(a));
}

static const char *str6(struct in6_addr a, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(AF_INET6, &a, buf, INET6_ADDRSTRLEN);
}

/* An IPv6 packet as it arrives on @port from @smac: hop limit 64. */
static struct pkt arriving(int port, const uint8_t *smac, uint8_t proto, struct in6_addr saddr,
			   uint16_t sport, struct in6_addr daddr, uint16_t dport)
{
	struct pkt p = arriving_l4(port, smac, proto, sport, dport);

	p.kind = PKT_IPV6;
	p.saddr6 = saddr;
	p.daddr6 = daddr;
	return p;
}

/* From the client fd00::2, arriving on veth0. */
static struct pkt from_client(uint8_t proto, uint16_t sport, struct in6_addr daddr, uint16_t dport)
{
	return arriving(VETH0, client_mac, proto, CLIENT, sport, daddr, dport);
}

/* The backend-side source port of a client's new flow when nothing
 * collides: the first port of the SNAT range its tuple hashes to (the
 * hash over the four words of an IPv6 address). Echo keeps its id. */
static uint16_t snat_port(struct in6_addr client, uint16_t cport, uint8_t proto)
{
	uint32_t span = ZLB_SNAT_PORT_MAX - ZLB_SNAT_PORT_MIN + 1;
	union zlb_addr a = a6(client);

	if (proto == IPPROTO_ICMPV6)
		return cport;
	return ZLB_SNAT_PORT_MIN + zlb_flow_hash_addr(a.w, htons(cport), proto) % span;
}

/* From the backend fd00:2::2 to @daddr, arriving on veth2: the answer to
 * the flow of client port @cport of fd00::2. */
static struct pkt from_backend(uint8_t proto, uint16_t sport, struct in6_addr daddr, uint16_t cport)
{
	struct pkt p = arriving(VETH2, backend_mac, proto, BACKEND, sport, daddr,
				snat_port(CLIENT, cport, proto));

	p.client_port = cport;
	return p;
}

/* @p as the load balancer sends it on: the new tuple, hop limit one less. */
static struct pkt sent(const struct pkt *p, int port, const uint8_t *dmac, struct in6_addr saddr,
		       uint16_t sport, struct in6_addr daddr, uint16_t dport)
{
	struct pkt o = sent_on(p, port, dmac, sport, dport);

	o.saddr6 = saddr;
	o.daddr6 = daddr;
	return o;
}

/* A client's packet on its way to the backend fd00:2::2:@dport. */
static struct pkt to_backend(const struct pkt *p, uint16_t dport)
{
	return sent(p, VETH2, backend_mac, LB_SRC, snat_port(p->saddr6, p->sport, p->proto),
		    BACKEND, dport);
}

/* A backend's packet on its way back to the client, from [fd00::1]:@sport. */
static struct pkt to_client(const struct pkt *p, uint16_t sport)
{
	return sent(p, VETH0, client_mac, VIP, sport, CLIENT,
		    p->client_port ? p->client_port : p->dport);
}

static struct zlb_ct_key ct_key(struct in6_addr saddr, uint16_t sport, struct in6_addr daddr,
				uint16_t dport, uint8_t proto)
{
	struct zlb_ct_key k = {
		.saddr = a6(saddr), .daddr = a6(daddr),
		.sport = htons(sport), .dport = htons(dport), .proto = proto,
	};

	return k;
}

/* ---- cases: the reference flows ---------------------------------------- */

static void test_tcp_flow(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt synack = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt ack = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt data = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt zero = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt zero_in = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt hl2 = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt hl1 = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt hl1_back = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 1000, 0);
	out = to_backend(&syn, 223);
	/* The first flow of fd00::2 also teaches zlb_neigh its MAC. */
	expect(lb, "ipv6 tcp: a SYN to [fd00::1]:23 leaves as [fd00:2::1]:port -> [fd00:2::2]:223",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);
	check_neigh(lb, "ipv6 tcp: ... and zlb_neigh learns the client's MAC from it", a6(CLIENT),
		    client_mac, VETH0);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 5000, 1001);
	out = to_client(&synack, 23);
	expect(lb, "ipv6 tcp: the backend's SYN-ACK reaches the client from [fd00::1]:23",
	       &synack, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);

	tcp_seg(&ack, PKT_ACK | PKT_PSH, 1001, 5001);
	with_data(&ack, "hello\n");
	out = to_backend(&ack, 223);
	expect(lb, "ipv6 tcp: the client's data follows the flow",
	       &ack, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&data, PKT_ACK | PKT_PSH, 5001, 1007);
	with_data(&data, "welcome to zon-lb\n");
	out = to_client(&data, 23);
	expect(lb, "ipv6 tcp: the backend's data reaches the client",
	       &data, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	out = to_backend(&syn, 223);
	expect(lb, "ipv6 tcp: a retransmitted SYN follows the flow",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&zero, PKT_ACK, 1007, 5019);
	with_data(&zero, "sum:__");
	out = to_backend(&zero, 223);
	aim_csum_at_zero(&out, &zero);
	if (!l4_csum_is(&out, 0))
		fail("ipv6 tcp: a checksum that becomes 0 is sent as 0", "could not aim the checksum");
	else
		expect(lb, "ipv6 tcp: a checksum that becomes 0 is sent as 0",
		       &zero, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&zero_in, PKT_ACK, 5019, 1013);
	with_data(&zero_in, "sum:__");
	out = to_client(&zero_in, 23);
	aim_csum_at_zero(&zero_in, &out);
	if (!l4_csum_is(&zero_in, 0))
		fail("ipv6 tcp: a received checksum 0 is translated like any other",
		     "could not aim the checksum");
	else
		expect(lb, "ipv6 tcp: a received checksum 0 is translated like any other",
		       &zero_in, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&hl2, PKT_ACK, 1013, 5019);
	hl2.ttl = 2;
	out = to_backend(&hl2, 223);
	expect(lb, "ipv6 tcp: hop limit 2 leaves with hop limit 1",
	       &hl2, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&hl1, PKT_ACK, 1013, 5019);
	hl1.ttl = 1;
	expect(lb, "ipv6 tcp: hop limit 1 on a tracked flow is dropped (drop_ttl)",
	       &hl1, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);

	tcp_seg(&hl1_back, PKT_ACK, 5019, 1013);
	hl1_back.ttl = 1;
	expect(lb, "ipv6 tcp: hop limit 1 from the backend is dropped too (drop_ttl)",
	       &hl1_back, VETH2, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);
}

static void test_udp_flow(const struct lb *lb)
{
	struct pkt q = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt a = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt edge = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt ones = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt none = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt none_back = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt none_new = from_client(IPPROTO_UDP, 5001, VIP, 53);
	struct pkt out;

	with_data(&q, "query");
	out = to_backend(&q, 5353);
	expect(lb, "ipv6 udp: a datagram to [fd00::1]:53 leaves for [fd00:2::2]:5353",
	       &q, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a, "answer");
	out = to_client(&a, 53);
	expect(lb, "ipv6 udp: the backend's answer reaches the client from [fd00::1]:53",
	       &a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	with_data(&edge, "edge__");
	out = to_backend(&edge, 5353);
	aim_csum_at_zero(&out, &edge);
	if (!l4_csum_is(&out, 0xffff))
		fail("ipv6 udp: a checksum that becomes 0 is sent as 0xffff", "could not aim the checksum");
	else
		expect(lb, "ipv6 udp: a checksum that becomes 0 is sent as 0xffff",
		       &edge, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	with_data(&ones, "ones__");
	out = to_client(&ones, 53);
	aim_csum_at_zero(&ones, &out);
	if (!l4_csum_is(&ones, 0xffff))
		fail("ipv6 udp: a received 0xffff checksum is translated", "could not aim the checksum");
	else
		expect(lb, "ipv6 udp: a received 0xffff checksum is translated",
		       &ones, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	/* RFC 8200 8.1: a UDP checksum 0 is no "none" in IPv6 but an error
	 * the receiver drops. The data plane leaves a 0 as it is, as in IPv4:
	 * invalid in, invalid out -- never a checksum made up to look right
	 * (nor an incremental update of 0, which would make one by chance
	 * now and then). */
	with_data(&none, "no checksum");
	none.udp_no_csum = true;
	out = to_backend(&none, 5353);
	expect(lb, "ipv6 udp: checksum 0 (invalid in IPv6) stays 0 towards the backend",
	       &none, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	with_data(&none_back, "none either");
	none_back.udp_no_csum = true;
	out = to_client(&none_back, 53);
	expect(lb, "ipv6 udp: ... and towards the client",
	       &none_back, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	with_data(&none_new, "no checksum");
	none_new.udp_no_csum = true;
	out = to_backend(&none_new, 5353);
	expect(lb, "ipv6 udp: ... and in a new flow's first datagram",
	       &none_new, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

static void test_configured_source(const struct lb *lb)
{
	struct pkt q = from_client(IPPROTO_UDP, 5002, VIP, 54);
	struct pkt a = from_backend(IPPROTO_UDP, 5454, SNAT_SRC, 5002);
	struct pkt out;

	with_data(&q, "to snat");
	out = sent(&q, VETH2, backend_mac, SNAT_SRC, snat_port(CLIENT, 5002, IPPROTO_UDP), BACKEND,
		   5454);
	expect(lb, "ipv6 udp: a configured source (fd00:2::50) wins over the FIB's",
	       &q, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a, "from snat");
	out = to_client(&a, 54);
	expect(lb, "ipv6 udp: the answer to the configured source reaches the client",
	       &a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
}

static void test_icmp_echo(const struct lb *lb)
{
	struct pkt req = from_client(IPPROTO_ICMPV6, 0, VIP, 0);
	struct pkt rep = from_backend(IPPROTO_ICMPV6, 0, LB_SRC, 0);
	struct pkt backend_req = from_backend(IPPROTO_ICMPV6, 0, LB_SRC, 0);
	struct pkt stray = from_client(IPPROTO_ICMPV6, 0, VIP, 0);
	struct pkt out;

	/* The ICMPv6 checksum covers the addresses: it changes with them. */
	echo(&req, ECHO_REQUEST, 0x4242, 1);
	out = to_backend(&req, 0);
	expect(lb, "ipv6 icmp: an echo request to fd00::1 goes to the first service's backend, "
	       "its checksum over the new pseudo header", &req, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	echo(&rep, ECHO_REPLY, 0x4242, 1);
	out = to_client(&rep, 0);
	expect(lb, "ipv6 icmp: the echo reply reaches the client from fd00::1",
	       &rep, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	echo(&backend_req, ECHO_REQUEST, 0x4242, 7);
	expect(lb, "ipv6 icmp: an echo request from the backend with a tracked id is no reply",
	       &backend_req, VETH2, XDP_PASS, NULL, PASSED);

	echo(&stray, ECHO_REPLY, 0x9999, 1);
	expect(lb, "ipv6 icmp: an echo reply to fd00::1 nobody asked for goes to the stack",
	       &stray, VETH0, XDP_PASS, NULL, PASSED);
}

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
	struct pkt ping = from_client(IPPROTO_ICMPV6, 0, VIP, 0);
	struct pkt out;

	tcp_seg(&hop, PKT_SYN, 1, 0);
	pkt_add_ext(&hop, IPPROTO_HOPOPTS, 8);
	out = to_backend(&hop, 223);
	expect(lb, "ipv6 ext: a SYN after a hop-by-hop header is translated, the header kept",
	       &hop, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&dst, PKT_SYN, 1, 0);
	pkt_add_ext(&dst, IPPROTO_DSTOPTS, 24);
	out = to_backend(&dst, 223);
	expect(lb, "ipv6 ext: a SYN after destination options (24 bytes) is translated",
	       &dst, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&all, "through three");
	pkt_add_ext(&all, IPPROTO_HOPOPTS, 16);
	pkt_add_ext(&all, IPPROTO_ROUTING, 8);
	pkt_add_ext(&all, IPPROTO_DSTOPTS, 8);
	out = to_backend(&all, 5353);
	expect(lb, "ipv6 ext: UDP after hop-by-hop, routing (no segment left) and destination "
	       "options is translated", &all, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&back, "and back");
	pkt_add_ext(&back, IPPROTO_DSTOPTS, 8);
	out = to_client(&back, 53);
	expect(lb, "ipv6 ext: the backend's answer after destination options reaches the client",
	       &back, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&four, PKT_SYN, 1, 0);
	pkt_add_ext(&four, IPPROTO_HOPOPTS, 8);
	pkt_add_ext(&four, IPPROTO_DSTOPTS, 8);
	pkt_add_ext(&four, IPPROTO_ROUTING, 8);
	pkt_add_ext(&four, IPPROTO_DSTOPTS, 8);
	out = to_backend(&four, 223);
	expect(lb, "ipv6 ext: a SYN after four extension headers (as many as are walked) is "
	       "translated", &four, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	echo(&ping, ECHO_REQUEST, 0x4343, 1);
	pkt_add_ext(&ping, IPPROTO_HOPOPTS, 8);
	out = to_backend(&ping, 0);
	expect(lb, "ipv6 ext: an echo request after a hop-by-hop header is translated",
	       &ping, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

/* ---- cases: what opens no flow ----------------------------------------- */

/* What the data plane needs to tell a packet without ports (a later
 * fragment, an unknown extension header) to a service from one to anybody:
 * the service address in zlb_snat_addrs, flagged so. */
static void check_service_marked(const struct lb *lb)
{
	const char *name = "ipv6 maps: zlb_snat_addrs marks fd00::1 a service address "
			   "(ZLB_ADDR_F_SERVICE)";
	union zlb_addr vip = a6(VIP);
	__u32 flags;

	if (bpf_map_lookup_elem(lb->maps.fd[ZLB_M_SNAT_ADDRS], &vip, &flags))
		fail(name, "no entry (%s)", strerror(errno));
	else if (!(flags & ZLB_ADDR_F_SERVICE))
		fail(name, "flags %#x", flags);
	else
		report(name, NULL);
}

static void test_refused(const struct lb *lb)
{
	struct pkt ack = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt rst = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt synack = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt hl1 = from_client(IPPROTO_TCP, 40101, VIP, 23);
	struct pkt first = from_client(IPPROTO_TCP, 40102, VIP, 23);
	struct pkt later = from_client(IPPROTO_UDP, 5003, VIP, 53);
	struct pkt atomic = from_client(IPPROTO_UDP, 5004, VIP, 53);
	struct pkt ah = from_client(IPPROTO_TCP, 40103, VIP, 23);
	struct pkt ah_back = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt many = from_client(IPPROTO_TCP, 40104, VIP, 23);
	struct pkt frag_other = from_client(IPPROTO_UDP, 5005, OTHER, 53);

	tcp_seg(&ack, PKT_ACK, 1, 1);
	expect(lb, "ipv6 tcp: an ACK of an unknown flow to the service is dropped (drop_tcp_no_flow)",
	       &ack, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ZLB_C_DROP_TCP_NO_FLOW);

	tcp_seg(&rst, PKT_RST, 1, 0);
	expect(lb, "ipv6 tcp: a RST of an unknown flow is dropped (drop_tcp_no_flow)",
	       &rst, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ZLB_C_DROP_TCP_NO_FLOW);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 1, 1);
	expect(lb, "ipv6 tcp: a SYN-ACK of an unknown flow is dropped (drop_tcp_no_flow)",
	       &synack, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ZLB_C_DROP_TCP_NO_FLOW);

	tcp_seg(&hl1, PKT_SYN, 1, 0);
	hl1.ttl = 1;
	expect(lb, "ipv6 tcp: a SYN with hop limit 1 is dropped (drop_ttl)",
	       &hl1, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);

	/* Fragments to a service: handed up, they would reach the load
	 * balancer's own stack. */
	tcp_seg(&first, PKT_SYN, 1, 0);
	pkt_add_frag(&first, 0, true, 0x1001);
	with_data(&first, "first fragment");
	expect(lb, "ipv6 frag: a first fragment to the service is dropped (drop_fragment)",
	       &first, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_FRAGMENT);

	pkt_add_frag(&later, 185, false, 0x1002);
	with_data(&later, "the middle of a datagram");
	expect(lb, "ipv6 frag: a later fragment to the service address is dropped (drop_fragment)",
	       &later, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_FRAGMENT);

	/* RFC 6946: offset 0 and no M, a whole datagram -- still a fragment
	 * header, still not translated. */
	pkt_add_frag(&atomic, 0, false, 0x1003);
	with_data(&atomic, "atomic");
	expect(lb, "ipv6 frag: an atomic fragment to the service is dropped (drop_fragment)",
	       &atomic, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_FRAGMENT);

	pkt_add_frag(&frag_other, 0, true, 0x1004);
	with_data(&frag_other, "not ours");
	expect(lb, "ipv6 frag: a fragment to another address goes to the stack untouched",
	       &frag_other, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&ah, PKT_SYN, 1, 0);
	pkt_add_ext(&ah, IPPROTO_AH, 24);
	expect(lb, "ipv6 ext: an authentication header to the service is dropped (drop_ipv6_ext)",
	       &ah, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_IPV6_EXT);

	/* Only service addresses are guarded so: to a source address it is
	 * the stack's, like any packet there outside a flow. */
	with_data(&ah_back, "signed");
	pkt_add_ext(&ah_back, IPPROTO_AH, 24);
	expect(lb, "ipv6 ext: an authentication header to the load balancer's source goes to the "
	       "stack", &ah_back, VETH2, XDP_PASS, NULL, PASSED);

	/* The data plane walks a bounded number of headers (4). */
	tcp_seg(&many, PKT_SYN, 1, 0);
	for (int i = 0; i < PKT_EXT_MAX; i++)
		pkt_add_ext(&many, IPPROTO_DSTOPTS, 8);
	expect(lb, "ipv6 ext: eight destination options headers to the service are dropped "
	       "(drop_ipv6_ext)", &many, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_IPV6_EXT);
}

/* ---- cases: next hops -------------------------------------------------- */

static void test_neighbour_miss(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40200, VIP, 25);
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 7000, 0);
	expect(lb, "ipv6 neigh: a backend without any neighbour entry is dropped (drop_no_neigh)",
	       &syn, VETH0, XDP_DROP, NULL,
	       FLOW_REFUSED, ROUTED, ZLB_C_NEIGH_MISS, ZLB_C_DROP_NO_NEIGH);

	if (neigh_add(lb, a6(UNRESOLVED), unresolved_mac, VETH2)) {
		fail("ipv6 neigh: zlb_neigh gives the MAC the FIB lacks", "zlb_neigh update: %s",
		     strerror(errno));
		return;
	}
	out = sent(&syn, VETH2, unresolved_mac, LB_SRC, snat_port(CLIENT, 40200, IPPROTO_TCP),
		   UNRESOLVED, 225);
	expect(lb, "ipv6 neigh: zlb_neigh gives the MAC the FIB lacks (fd00:2::3)",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, ZLB_C_NEIGH_MISS, REDIRECTED);
}

static void test_hairpin(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40300, VIP, 24);
	struct pkt synack = arriving(VETH0, hairpin_mac, IPPROTO_TCP, HAIRPIN, 224, VIP,
				     snat_port(CLIENT, 40300, IPPROTO_TCP));
	struct pkt out;

	/* The FIB's source towards fd00::3 is veth0's address. */
	tcp_seg(&syn, PKT_SYN, 8000, 0);
	out = sent(&syn, VETH0, hairpin_mac, VIP, snat_port(CLIENT, 40300, IPPROTO_TCP), HAIRPIN, 224);
	expect(lb, "ipv6 hairpin: a backend behind the ingress interface gets the frame by XDP_TX",
	       &syn, VETH0, XDP_TX, &out, FLOW_NEW, ROUTED, BOUNCED);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 9000, 8001);
	synack.client_port = 40300;
	out = to_client(&synack, 24);
	expect(lb, "ipv6 hairpin: its answer goes back out of the same interface by XDP_TX",
	       &synack, VETH0, XDP_TX, &out, FLOW_HIT, ROUTE_CACHED, BOUNCED);
}

static void test_routes(const struct lb *lb)
{
	struct pkt big = from_client(IPPROTO_UDP, 5100, VIP, 55);
	struct pkt small = from_client(IPPROTO_UDP, 5100, VIP, 55);
	struct pkt lost = from_client(IPPROTO_UDP, 5101, VIP, 56);
	struct pkt other = from_client(IPPROTO_UDP, 5102, VIP, 57);
	struct pkt out;

	big.payload_len = 1300;         /* 40 + 8 + 1300 bytes > mtu 1280 */
	memset(big.payload, 'x', big.payload_len);
	expect(lb, "ipv6 route: larger than the route's MTU (1280) is dropped (drop_frag_needed)",
	       &big, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_FRAG_NEEDED);

	with_data(&small, "fits");
	out = sent(&small, VETH2, small_mtu_mac, LB_SRC, snat_port(CLIENT, 5100, IPPROTO_UDP),
		   SMALL_MTU, 5555);
	expect(lb, "ipv6 route: a datagram that fits the MTU goes through",
	       &small, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED);

	with_data(&lost, "nowhere");
	expect(lb, "ipv6 route: a backend without a route (2001:db8::1) is dropped (drop_fib)",
	       &lost, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_FIB);

	with_data(&other, "veth3");
	expect(lb, "ipv6 route: a backend behind an interface zon-lb is not on is dropped "
	       "(drop_no_tx_port)", &other, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED,
	       ZLB_C_DROP_NO_TX_PORT);
}

/* ---- cases: what goes to the stack untouched --------------------------- */

/* A neighbour solicitation (@type 135) or advertisement (136) from @sha
 * about @target, with its link-layer address option. */
static struct pkt nd(int port, const uint8_t *sha, uint8_t type, struct in6_addr saddr,
		     struct in6_addr daddr, struct in6_addr target)
{
	struct pkt p = arriving(port, sha, IPPROTO_ICMPV6, saddr, 0, daddr, 0);
	uint8_t body[24];

	p.ttl = 255;                    /* RFC 4861: anything else is not ND */
	p.icmp_type = type;
	p.icmp_id = type == 136 ? 0x6000 : 0;   /* solicited, override */
	memcpy(body, target.s6_addr, 16);
	body[16] = type == 135 ? 1 : 2;         /* source / target link-layer address */
	body[17] = 1;
	memcpy(body + 18, sha, 6);
	pkt_set_payload(&p, body, sizeof(body));
	return p;
}

static void test_not_ours(const struct lb *lb)
{
	static const uint8_t solicited_mac[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	struct pkt port80 = from_client(IPPROTO_TCP, 40500, VIP, 80);
	struct pkt elsewhere = from_client(IPPROTO_TCP, 40501, OTHER, 23);
	struct pkt udp23 = from_client(IPPROTO_UDP, 40502, VIP, 23);
	struct pkt ping9 = from_client(IPPROTO_ICMPV6, 0, OTHER, 0);
	struct pkt unreach = from_client(IPPROTO_ICMPV6, 0, VIP, 0);
	struct pkt quoted = from_client(IPPROTO_TCP, 40504, OTHER, 80);
	struct pkt tagged = from_client(IPPROTO_TCP, 40503, VIP, 80);
	struct pkt ns = nd(VETH0, client_mac, 135, CLIENT,
			   IP6(0xff02, 0, 0, 0, 0, 1, 0xff00, 1), VIP);
	struct pkt na = nd(VETH2, backend_mac, 136, BACKEND, LB_SRC, BACKEND);
	struct pkt ns_src = nd(VETH2, backend_mac, 135, BACKEND, LB_SRC, LB_SRC);

	tcp_seg(&port80, PKT_SYN, 1, 0);
	expect(lb, "ipv6 pass: TCP to another port of the service address",
	       &port80, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&elsewhere, PKT_SYN, 1, 0);
	expect(lb, "ipv6 pass: TCP to another address, the service's port",
	       &elsewhere, VETH0, XDP_PASS, NULL, PASSED);

	with_data(&udp23, "not tcp");
	expect(lb, "ipv6 pass: UDP to the TCP service's port",
	       &udp23, VETH0, XDP_PASS, NULL, PASSED);

	echo(&ping9, ECHO_REQUEST, 0x4343, 1);
	expect(lb, "ipv6 pass: an echo request to another address",
	       &ping9, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&quoted, PKT_SYN, 1, 0);
	unreach.icmp_type = 1;
	unreach.icmp_code = 4;
	pkt_quote(&unreach, &quoted, 8);
	expect(lb, "ipv6 pass: an ICMPv6 error to the service address about no flow",
	       &unreach, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&tagged, PKT_SYN, 1, 0);
	tagged.vlan = true;
	tagged.vlan_tci = 100;
	expect(lb, "ipv6 pass: a VLAN-tagged frame to another port",
	       &tagged, VETH0, XDP_PASS, NULL, PASSED);

	/* Neighbour discovery is the kernel's, always. */
	memcpy(ns.dmac, solicited_mac, 6);
	expect(lb, "ipv6 nd: a neighbour solicitation for the service address goes to the stack "
	       "untouched", &ns, VETH0, XDP_PASS, NULL, PASSED);
	expect(lb, "ipv6 nd: a neighbour advertisement from the backend goes to the stack untouched",
	       &na, VETH2, XDP_PASS, NULL, PASSED);
	expect(lb, "ipv6 nd: a solicitation for the source address goes to the stack untouched",
	       &ns_src, VETH2, XDP_PASS, NULL, PASSED);
}

/* ---- cases: both families at once ------------------------------------- */

/* ::ffff:a.b.c.d */
#define MAPPED(a, b, c, d) IP6(0, 0, 0, 0, 0, 0xffff, (a) << 8 | (b), (c) << 8 | (d))

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
static void test_mapped(const struct lb *lb)
{
	uint32_t span = ZLB_SNAT_PORT_MAX - ZLB_SNAT_PORT_MIN + 1;
	uint16_t sport4 = ZLB_SNAT_PORT_MIN +
			  zlb_flow_hash(htonl(IP4(10, 0, 0, 2)), htons(47000), IPPROTO_TCP) % span;
	struct pkt syn4 = arriving_l4(VETH0, client_mac, IPPROTO_TCP, 47000, 23), out4;
	struct pkt syn6 = from_client(IPPROTO_TCP, 47001, MAPPED(10, 0, 0, 1), 23);
	struct pkt answer = arriving(VETH2, backend_mac, IPPROTO_TCP, MAPPED(10, 2, 0, 2), 223,
				     MAPPED(10, 2, 0, 1), sport4);

	syn4.kind = PKT_IPV4;
	syn4.frag = PKT_DF;
	syn4.saddr = IP4(10, 0, 0, 2);
	syn4.daddr = IP4(10, 0, 0, 1);
	tcp_seg(&syn4, PKT_SYN, 1, 0);
	out4 = sent_on(&syn4, VETH2, backend_mac, sport4, 223);
	out4.saddr = IP4(10, 2, 0, 1);
	out4.daddr = IP4(10, 2, 0, 2);
	expect(lb, "dual stack: an IPv4 SYN to 10.0.0.1:23 beside the IPv6 services is translated",
	       &syn4, VETH0, XDP_REDIRECT, &out4, FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);

	tcp_seg(&syn6, PKT_SYN, 1, 0);
	check_not_translated(lb, "dual stack: an IPv6 SYN to [::ffff:10.0.0.1]:23 opens no flow of "
			     "the IPv4 service", &syn6, VETH0);

	tcp_seg(&answer, PKT_SYN | PKT_ACK, 9, 2);
	check_not_translated(lb, "dual stack: an IPv6 SYN-ACK from [::ffff:10.2.0.2]:223 to the "
			     "IPv4 flow's tuple does not ride that flow", &answer, VETH2);
}

/* ---- cases: frames with more in them ----------------------------------- */

static void test_vlan(const struct lb *lb)
{
	struct pkt tagged = from_client(IPPROTO_TCP, 40400, VIP, 23);
	struct pkt out;

	tcp_seg(&tagged, PKT_SYN, 1, 0);
	tagged.vlan = true;
	tagged.vlan_tci = 100;
	tagged.tos = 0x28;
	tagged.flow_label = 0xbeef5;
	out = to_backend(&tagged, 223);
	expect(lb, "ipv6 vlan: a tagged SYN with a traffic class and flow label is forwarded with "
	       "all three as they came", &tagged, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

/* Two clients, one source port: the backend side keeps them apart. */
static void test_same_source_port(const struct lb *lb)
{
	struct pkt syn_a = from_client(IPPROTO_TCP, 41000, VIP, 23);
	struct pkt syn_b = arriving(VETH0, client2_mac, IPPROTO_TCP, CLIENT2, 41000, VIP, 23);
	struct pkt ans_a = from_backend(IPPROTO_TCP, 223, LB_SRC, 41000);
	struct pkt ans_b, out;
	const char *name_b = "ipv6 collision: a second client with the same port opens its own flow";
	struct in6_addr b_src, b_dst;
	uint16_t b_sport, b_dport;
	struct result r;

	if (neigh_add(lb, a6(CLIENT2), client2_mac, VETH0)) {
		fail("ipv6 collision: setup", "zlb_neigh update: %s", strerror(errno));
		return;
	}
	tcp_seg(&syn_a, PKT_SYN, 100, 0);
	out = to_backend(&syn_a, 223);
	expect(lb, "ipv6 collision: client [fd00::2]:41000 opens a flow",
	       &syn_a, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&syn_b, PKT_SYN, 200, 0);
	if (run(lb, &syn_b, VETH0, &r)) {
		fail(name_b, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return;
	}
	if (frame_tuple6(r.out.data, r.out.len, &b_src, &b_sport, &b_dst, &b_dport)) {
		fail(name_b, "verdict %s, no IPv6 TCP frame out", verdict_name(r.verdict));
		return;
	}
	out = sent(&syn_b, VETH2, backend_mac, b_src, b_sport, BACKEND, 223);
	judge(name_b, &r, XDP_REDIRECT, &out, COUNTERS(FLOW_NEW, ROUTE_CACHED, REDIRECTED));
	if (same(b_src, LB_SRC) && b_sport == snat_port(CLIENT, 41000, IPPROTO_TCP))
		fail("ipv6 collision: ... with a backend-side tuple of its own",
		     "both flows leave as [fd00:2::1]:%u -> [fd00:2::2]:223", b_sport);
	else
		report("ipv6 collision: ... with a backend-side tuple of its own", NULL);

	tcp_seg(&ans_a, PKT_SYN | PKT_ACK, 300, 101);
	out = to_client(&ans_a, 23);
	expect(lb, "ipv6 collision: the answer to the first tuple reaches fd00::2",
	       &ans_a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	ans_b = arriving(VETH2, backend_mac, IPPROTO_TCP, BACKEND, 223, b_src, b_sport);
	tcp_seg(&ans_b, PKT_SYN | PKT_ACK, 400, 201);
	out = sent(&ans_b, VETH0, client2_mac, VIP, 23, CLIENT2, 41000);
	expect(lb, "ipv6 collision: the answer to the second tuple reaches fd00::5 (zlb_neigh)",
	       &ans_b, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, ZLB_C_NEIGH_MISS, REDIRECTED);
}

/* Every backend-side tuple the data plane may try is taken. */
static void test_source_ports_exhausted(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 42000, VIP, 23), out;
	struct zlb_ct_entry taken = { .dir = ZLB_CT_DIR_REPLY };
	struct zlb_ct_key key = ct_key(BACKEND, 223, LB_SRC, 0, IPPROTO_TCP);
	int fd = lb->maps.fd[ZLB_M_CONNTRACK];

	taken.last_seen_ns = monotonic_ns();
	for (uint32_t port = ZLB_SNAT_PORT_MIN; port <= ZLB_SNAT_PORT_MAX; port++) {
		key.dport = htons(port);
		if (bpf_map_update_elem(fd, &key, &taken, BPF_ANY)) {
			fail("ipv6 snat: setup", "zlb_conntrack update: %s", strerror(errno));
			return;
		}
	}
	tcp_seg(&syn, PKT_SYN, 1, 0);
	expect(lb, "ipv6 snat: with every source port taken a SYN is dropped (drop_snat_busy)",
	       &syn, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTE_CACHED, ZLB_C_DROP_SNAT_BUSY);
	for (uint32_t port = ZLB_SNAT_PORT_MIN; port <= ZLB_SNAT_PORT_MAX; port++) {
		key.dport = htons(port);
		bpf_map_delete_elem(fd, &key);
	}
	out = to_backend(&syn, 223);
	expect(lb, "ipv6 snat: once ports are free again the same SYN gets its first port",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

static void test_no_fib_source(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt synack = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 1000, 0);
	out = to_backend(&syn, 223);
	expect(lb, "ipv6 no fib src: the SYN leaves with the source zlb-load wrote (fd00:2::1)",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 5000, 1001);
	out = to_client(&synack, 23);
	expect(lb, "ipv6 no fib src: the SYN-ACK reaches the client",
	       &synack, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);
}

/* ---- cases: Maglev and source ports ------------------------------------ */

#define NWEIGHTED 3
#define SPREAD 600

/*
 * SYNs from @SPREAD client ports to the weighted service [fd00::1]:26:
 * each leaves for the backend the service's Maglev table names for the
 * flow's hash (zlb_flow_hash_addr over the client's IPv6 address), from
 * the source port that hash names in the SNAT range -- unless an earlier
 * flow to the same backend took it, when it is another port of the range.
 */
static void test_maglev(const struct lb *lb)
{
	static const uint8_t weighted_mac[NWEIGHTED][6] = {
		MAC(0x14, 0x11), MAC(0x14, 0x12), MAC(0x14, 0x13),
	};
	struct maglev_view t = { .fd = -1 };
	unsigned int n[NWEIGHTED] = {}, bad = 0, off_table = 0, moved = 0, lookups = 0;
	bool taken[NWEIGHTED][ZLB_SNAT_PORT_MAX - ZLB_SNAT_PORT_MIN + 1] = {};
	char first_bad[256] = "", a[INET6_ADDRSTRLEN];
	long long delta[ZLB_C_MAX] = {};
	struct problems p = {};

	if (maglev_open(lb, a6(VIP), 26, &t)) {
		fail("ipv6 maglev: setup", "cannot read the Maglev table of [fd00::1]:26");
		return;
	}
	for (unsigned int i = 0; i < SPREAD; i++) {
		uint16_t cport = 50000 + i, want_port = snat_port(CLIENT, cport, IPPROTO_TCP);
		struct pkt syn = from_client(IPPROTO_TCP, cport, VIP, 26), out;
		union zlb_addr client = a6(CLIENT);
		struct in6_addr saddr, daddr;
		uint16_t sport, dport;
		struct zlb_backend be;
		struct result r;
		struct frame wf;
		int b;

		tcp_seg(&syn, PKT_SYN, 7, 0);
		if (run(lb, &syn, VETH0, &r) || r.verdict != hook_verdict(XDP_REDIRECT) ||
		    frame_tuple6(r.out.data, r.out.len, &saddr, &sport, &daddr, &dport)) {
			if (!bad++)
				snprintf(first_bad, sizeof(first_bad), "port %u: verdict %s", cport,
					 verdict_name(r.verdict));
			continue;
		}
		for (int c = 0; c < ZLB_C_MAX; c++)
			delta[c] += r.delta[c];
		for (b = 0; b < NWEIGHTED && !same(WEIGHTED(b), daddr); b++)
			;
		if (b == NWEIGHTED || !same(saddr, LB_SRC) || sport < ZLB_SNAT_PORT_MIN ||
		    sport > ZLB_SNAT_PORT_MAX) {
			if (!bad++)
				snprintf(first_bad, sizeof(first_bad), "port %u: left for [%s]:%u from "
					 "port %u", cport, str6(daddr, a), dport, sport);
			continue;
		}
		out = sent(&syn, VETH2, weighted_mac[b], LB_SRC, sport, daddr, 2626);
		build(&wf, &out);
		if (r.out.len != wf.len || memcmp(r.out.data, wf.data, wf.len)) {
			if (!bad++) {
				snprintf(first_bad, sizeof(first_bad), "port %u: frame out differs", cport);
				frame_diff(stdout, "#   ", wf.data, wf.len, r.out.data, r.out.len);
			}
			continue;
		}
		if (maglev_backend(lb, &t, zlb_flow_hash_addr(client.w, htons(cport), IPPROTO_TCP),
				   &be) || memcmp(be.addr.b, daddr.s6_addr, 16))
			off_table++;
		if (!n[b]++)
			lookups++;
		if (sport != want_port && !taken[b][want_port - ZLB_SNAT_PORT_MIN])
			moved++;
		taken[b][sport - ZLB_SNAT_PORT_MIN] = true;
	}
	close(t.fd);
	if (bad)
		fail("ipv6 maglev: 600 SYNs from 600 ports each leave translated to one backend",
		     "%u did not (first: %s)", bad, first_bad);
	else
		report("ipv6 maglev: 600 SYNs from 600 ports each leave translated to one backend", NULL);
	if (off_table)
		fail("ipv6 maglev: ... the one the service's table names for the flow's hash "
		     "(zlb_flow_hash_addr)", "%u flows went elsewhere", off_table);
	else
		report("ipv6 maglev: ... the one the service's table names for the flow's hash "
		       "(zlb_flow_hash_addr)", NULL);
	if (moved)
		fail("ipv6 maglev: ... from the source port the flow's hash names, unless taken",
		     "%u flows left from another port with theirs free", moved);
	else
		report("ipv6 maglev: ... from the source port the flow's hash names, unless taken", NULL);
	if (!n[0] || !n[1] || n[2] < n[0] || n[2] < n[1])
		fail("ipv6 maglev: ... every backend gets flows, the one of weight 2 the most",
		     "%u/%u/%u", n[0], n[1], n[2]);
	else
		report("ipv6 maglev: ... every backend gets flows, the one of weight 2 the most", NULL);
	for (int c = 0; c < ZLB_C_MAX; c++) {
		long long want = 0;

		if (c == ZLB_C_RX || c == ZLB_C_CT_MISS || c == ZLB_C_NEW_FLOW || c == ZLB_C_FORWARD ||
		    c == ZLB_C_REDIRECT)
			want = SPREAD - bad;
		else if (c == ZLB_C_FIB_LOOKUP)
			want = lookups;
		else if (c == ZLB_C_FIB_CACHE_HIT)
			want = SPREAD - bad - lookups;
		if (delta[c] != want)
			add(&p, "%s %+lld (want %+lld)", counter_names[c], delta[c], want);
	}
	report("ipv6 maglev: ... 600 new flows, a route lookup per backend", p.n ? p.text : NULL);
}

/* ---- cases: ICMPv6 errors ---------------------------------------------- */

/* An ICMPv6 error from @from (arriving on veth2 from @smac) to fd00:2::1,
 * quoting @quoted with @l4_bytes of its L4 part; @mtu in the rest of the
 * header (packet too big). */
static struct pkt icmp6_error(const uint8_t *smac, struct in6_addr from, uint8_t type,
			      uint8_t code, uint32_t mtu, const struct pkt *quoted, size_t l4_bytes)
{
	struct pkt e = arriving(VETH2, smac, IPPROTO_ICMPV6, from, 0, LB_SRC, 0);

	e.icmp_type = type;
	e.icmp_code = code;
	e.icmp_id = mtu >> 16;
	e.icmp_seq = mtu;
	pkt_quote(&e, quoted, l4_bytes);
	return e;
}

/* The error as the client must get it: from fd00::1, hop limit one less,
 * quoting the client's own packet @orig as it left the load balancer (its
 * hop limit one less too), every checksum over the client's addresses. */
static struct pkt icmp6_to_client(const struct pkt *e, const struct pkt *orig, size_t l4_bytes)
{
	struct pkt o = sent(e, VETH0, client_mac, VIP, 0, CLIENT, 0);
	struct pkt q = *orig;

	q.ttl--;
	pkt_quote(&o, &q, l4_bytes);
	return o;
}

#define ICMP_NAT ZLB_C_RX, ROUTE_CACHED, ZLB_C_ICMP_ERROR_NAT, REDIRECTED

/* The L4 checksum of the quote of ICMPv6 error @p (a quote of a plain IPv6
 * header), as it lies there. */
static uint16_t quoted_csum(const struct pkt *p, uint8_t proto)
{
	struct frame f;
	size_t at = 14 + 40 + 8 + 40 + (proto == IPPROTO_TCP ? 16 : 6);

	frame_build(&f, p);
	return f.data[at] << 8 | f.data[at + 1];
}

static void test_icmp_errors(const struct lb *lb)
{
	static const uint8_t router_mac[6] = MAC(0x14, 0xfe);
	struct pkt syn = from_client(IPPROTO_TCP, 44100, VIP, 23), syn_out;
	struct pkt q = from_client(IPPROTO_UDP, 6200, VIP, 53), q_out;
	struct pkt stray, e, out;
	struct frame f;
	uint16_t csum_client;


	tcp_seg(&syn, PKT_SYN, 1, 0);
	syn_out = to_backend(&syn, 223);
	with_data(&q, "a query of some length");
	q_out = to_backend(&q, 5353);
	quiet = true;
	expect(lb, "ipv6 icmp error: setup", &syn, VETH0, XDP_REDIRECT, &syn_out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	expect(lb, "ipv6 icmp error: setup", &q, VETH0, XDP_REDIRECT, &q_out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	quiet = false;

	e = icmp6_error(backend_mac, BACKEND, 2, 0, 1280, &syn_out, 8);
	out = icmp6_to_client(&e, &syn, 8);
	expect(lb, "ipv6 icmp error: packet too big (MTU 1280) about a TCP flow reaches the client "
	       "from fd00::1, quoting its own SYN (icmp_error_nat)", &e, VETH2, XDP_REDIRECT,
	       &out, ICMP_NAT);

	e = icmp6_error(backend_mac, BACKEND, 2, 0, 1280, &syn_out, 1000);
	out = icmp6_to_client(&e, &syn, 1000);
	expect(lb, "ipv6 icmp error: ... quoting the whole segment, its TCP checksum is the client's",
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp6_error(backend_mac, BACKEND, 1, 4, 0, &q_out, 1000);
	out = icmp6_to_client(&e, &q, 1000);
	expect(lb, "ipv6 icmp error: port unreachable about a UDP flow, quoting the whole datagram, "
	       "reaches the client", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);
	frame_build(&f, &q);
	csum_client = f.data[f.csum_off] << 8 | f.data[f.csum_off + 1];
	if (quoted_csum(&out, IPPROTO_UDP) == csum_client)
		report("ipv6 icmp error: ... whose quoted UDP checksum is the client's datagram's", NULL);
	else
		fail("ipv6 icmp error: ... whose quoted UDP checksum is the client's datagram's",
		     "0x%04x, client's 0x%04x", quoted_csum(&out, IPPROTO_UDP), csum_client);

	e = icmp6_error(backend_mac, BACKEND, 1, 4, 0, &q_out, 8);
	out = icmp6_to_client(&e, &q, 8);
	expect(lb, "ipv6 icmp error: port unreachable quoting 8 bytes of the datagram is translated",
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp6_error(router_mac, ROUTER, 1, 3, 0, &q_out, 8);
	out = icmp6_to_client(&e, &q, 8);
	expect(lb, "ipv6 icmp error: address unreachable from a router on the backend side "
	       "(fd00:2::fe) is translated", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp6_error(backend_mac, BACKEND, 2, 0, 1280, &syn_out, 8);
	e.ttl = 1;
	expect(lb, "ipv6 icmp error: with hop limit 1 it is dropped (drop_ttl)", &e, VETH2,
	       XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);

	/* Not a tracked flow: the stack's. */
	stray = arriving(VETH2, backend_mac, IPPROTO_TCP, LB_SRC, ZLB_SNAT_PORT_MIN + 5, BACKEND, 223);
	stray.ttl = 63;
	tcp_seg(&stray, PKT_SYN, 1, 0);
	e = icmp6_error(backend_mac, BACKEND, 2, 0, 1280, &stray, 8);
	expect(lb, "ipv6 icmp error: one quoting a tuple that is not tracked goes to the stack "
	       "untouched", &e, VETH2, XDP_PASS, NULL, PASSED);
}

/* ---- cases: partial checksums ------------------------------------------ */

static void fill(struct pkt *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p->payload[i] = i * 37 + len + 11;
	p->payload_len = len;
}

/* A veth sender's partial checksums (the pseudo-header sum over IPv6's
 * pseudo header) are completed; tc skips these (packet_harness.c). */
static void test_partial_csum(const struct lb *lb)
{
	static const size_t lens[] = { 1, 2, 45, 1000, 1200 };
	struct pkt syn = from_client(IPPROTO_TCP, 44000, VIP, 23);
	struct pkt p, out;
	char name[256];

	tcp_seg(&syn, PKT_SYN, 1, 0);
	out = to_backend(&syn, 223);
	quiet = true;
	expect(lb, "ipv6 partial csum: setup", &syn, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	quiet = false;
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		for (int udp = 0; udp <= 1; udp++) {
			p = udp ? from_client(IPPROTO_UDP, 6100, VIP, 53) :
				  from_client(IPPROTO_TCP, 44000, VIP, 23);
			tcp_seg(&p, PKT_ACK | PKT_PSH, 2, 1);
			fill(&p, lens[i]);
			out = to_backend(&p, udp ? 5353 : 223);
			p.l4_csum_partial = true;
			snprintf(name, sizeof(name), "ipv6 partial csum: %s, %zu bytes of payload, "
				 "completed (csum_completed)", udp ? "UDP" : "TCP", lens[i]);
			if (udp && !i)
				expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_NEW,
				       ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);
			else
				expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT,
				       ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);
		}
	}
	p = from_client(IPPROTO_TCP, 44000, VIP, 23);
	tcp_seg(&p, PKT_ACK, 3, 1);
	fill(&p, 400);
	pkt_add_ext(&p, IPPROTO_DSTOPTS, 8);
	out = to_backend(&p, 223);
	p.l4_csum_partial = true;
	expect(lb, "ipv6 partial csum: TCP after destination options, completed", &p, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);
}

/* ---- cases: traffic counters ------------------------------------------- */

static void test_traffic_counters(const struct lb *lb)
{
	struct pkt pk[3], out;
	struct zlb_traffic svc0, be0, svc0_a, be0_a;
	struct zlb_if_traffic if0, if2, if0_a, if2_a;
	__u64 bytes_c = 0, bytes_b = 0, want0[5], want2[5];
	struct frame fr;
	bool ok = true;

	pk[0] = from_client(IPPROTO_TCP, 44200, VIP, 23);
	tcp_seg(&pk[0], PKT_SYN, 10, 0);
	pk[1] = from_backend(IPPROTO_TCP, 223, LB_SRC, 44200);
	tcp_seg(&pk[1], PKT_SYN | PKT_ACK, 20, 11);
	pk[2] = from_client(IPPROTO_TCP, 44200, VIP, 23);
	tcp_seg(&pk[2], PKT_ACK | PKT_PSH, 11, 21);
	with_data(&pk[2], "GET / HTTP/1.0\r\n\r\n");
	if (traffic_get(lb, ZLB_M_SVC_STATS, SVC_TELNET, &svc0) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_TELNET, 0), &be0) ||
	    if_traffic_get(lb, SLOT_VETH0, &if0) || if_traffic_get(lb, SLOT_VETH2, &if2)) {
		fail("ipv6 counters: setup", "reading the traffic maps: %s", strerror(errno));
		return;
	}
	quiet = true;
	for (int i = 0; i < 3; i++) {
		bool client = i != 1;

		frame_build(&fr, &pk[i]);
		*(client ? &bytes_c : &bytes_b) += fr.len;
		out = client ? to_backend(&pk[i], 223) : to_client(&pk[i], 23);
		if (!i)
			ok &= expect(lb, "ipv6 counters: setup", &pk[i], VETH0, XDP_REDIRECT, &out,
				     FLOW_NEW, ROUTE_CACHED, REDIRECTED);
		else
			ok &= expect(lb, "ipv6 counters: setup", &pk[i], client ? VETH0 : VETH2,
				     XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	}
	quiet = false;
	if (!ok || traffic_get(lb, ZLB_M_SVC_STATS, SVC_TELNET, &svc0_a) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_TELNET, 0), &be0_a) ||
	    if_traffic_get(lb, SLOT_VETH0, &if0_a) || if_traffic_get(lb, SLOT_VETH2, &if2_a)) {
		fail("ipv6 counters: setup", "a packet went wrong or the maps could not be read");
		return;
	}
	check_traffic("ipv6 counters: a SYN, its answer and data: the service counts 3 packets, "
		      "their bytes and 1 new flow", &svc0, &svc0_a, 3, bytes_c + bytes_b, 1);
	check_traffic("ipv6 counters: ... and so does its backend", &be0, &be0_a, 3,
		      bytes_c + bytes_b, 1);
	want0[0] = 2, want0[1] = bytes_c, want0[2] = 1, want0[3] = bytes_b, want0[4] = 0;
	want2[0] = 1, want2[1] = bytes_b, want2[2] = 2, want2[3] = bytes_c, want2[4] = 0;
	check_if_traffic("ipv6 counters: veth0 received the client's packets and sent the backend's",
			 &if0, &if0_a, want0);
	check_if_traffic("ipv6 counters: veth2 received the backend's packets and sent the client's",
			 &if2, &if2_a, want2);
}

/* ---- all of them ------------------------------------------------------- */

void test_ipv6(const char *path)
{
	struct lb main6, nofibsrc6;
	struct zlb_err err = {};

	if (lb_open(&main6, path, true, main6_conf, &err)) {
		fail("ipv6: loading the IPv6 services", "%s", err.msg);
		lb_close(&main6);
		return;
	}
	test_tcp_flow(&main6);
	test_udp_flow(&main6);
	test_configured_source(&main6);
	test_icmp_echo(&main6);
	test_extension_headers(&main6);
	check_service_marked(&main6);
	test_refused(&main6);
	test_neighbour_miss(&main6);
	test_hairpin(&main6);
	test_routes(&main6);
	test_not_ours(&main6);
	test_vlan(&main6);
	test_same_source_port(&main6);
	test_source_ports_exhausted(&main6);
	test_icmp_errors(&main6);
	test_partial_csum(&main6);
	test_traffic_counters(&main6);
	test_maglev(&main6);
	test_mapped(&main6);
	lb_close(&main6);

	if (lb_open(&nofibsrc6, path, false, nofibsrc6_conf, &err))
		fail("ipv6: loading the IPv6 services for a kernel without BPF_FIB_LOOKUP_SRC", "%s",
		     err.msg);
	else
		test_no_fib_source(&nofibsrc6);
	lb_close(&nofibsrc6);
}
