// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the data plane, IPv4, and the main of the packet tests
 * (IPv6: test_packets6.c). Each case builds a frame, runs it through the
 * program with BPF_PROG_TEST_RUN and checks three things: the
 * verdict, the exact bytes that leave (against a frame built by frames.c,
 * checksums computed from scratch), and the change of every counter
 * (packet_harness.h).
 *
 * The maps are filled the way zlb-load fills them: a config text, parsed
 * and written by zlb_maps_apply(). The program runs in the namespace that
 * packets.sh builds (interfaces, addresses, routes and neighbours below);
 * the arguments are the BPF object and the hook (xdp or tc). Exit 0: all
 * passed, 1: a case failed, 99: the test could not run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "zlb_hash.h"
#include "packet_harness.h"

#define VIP        IP4(10, 0, 0, 1)     /* veth0: the service address */
#define CLIENT     IP4(10, 0, 0, 2)
#define HAIRPIN    IP4(10, 0, 0, 3)     /* a backend on the client side */
#define CLIENT2    IP4(10, 0, 0, 5)     /* known only to zlb_neigh */
#define LB_SRC     IP4(10, 2, 0, 1)     /* veth2: source towards backends */
#define BACKEND    IP4(10, 2, 0, 2)
#define UNRESOLVED IP4(10, 2, 0, 3)     /* no kernel neighbour */
#define SMALL_MTU  IP4(10, 2, 0, 4)     /* route with mtu 1000 */
#define ARPER      IP4(10, 2, 0, 9)     /* only ever seen in an ARP reply */
#define SNAT_SRC   IP4(10, 2, 0, 50)    /* a configured source */

static const uint8_t arper_mac[6] = MAC(0x12, 0x09);

/* An address of the scenario as the maps hold it. */
static union zlb_addr a4(uint32_t addr)
{
	return zlb_addr_v4(htonl(addr));
}

/* ---- the configs ------------------------------------------------------- */

/* The FIB cache outlives the run, so whether a packet looks its route up
 * or finds it cached is fixed by the order of the cases. */
static const char main_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"telnet\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 223; } ); },\n"
	"  { name = \"dns\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 53;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 5353; } ); },\n"
	"  { name = \"hairpin\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 24;\n"
	"    backends = ( { address = \"10.0.0.3\"; port = 224; } ); },\n"
	"  { name = \"unresolved\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 25;\n"
	"    backends = ( { address = \"10.2.0.3\"; port = 225; } ); },\n"
	"  { name = \"snat\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 54;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 5454; source = \"10.2.0.50\"; } ); },\n"
	"  { name = \"small-mtu\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 55;\n"
	"    backends = ( { address = \"10.2.0.4\"; port = 5555; } ); },\n"
	"  { name = \"no-route\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 56;\n"
	"    backends = ( { address = \"192.0.2.1\"; port = 5656; source = \"10.2.0.1\"; } ); },\n"
	"  { name = \"other-if\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 57;\n"
	"    backends = ( { address = \"10.3.0.2\"; port = 5757; source = \"10.2.0.1\"; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* For a kernel without BPF_FIB_LOOKUP_SRC: sources come from the map. */
static const char nofibsrc_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"telnet\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 223; } ); },\n"
	"  { name = \"hairpin\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 24;\n"
	"    backends = ( { address = \"10.0.0.3\"; port = 224; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* A connection table of the smallest size the config allows. */
static const char small_ct_conf[] =
	"settings = { conntrack_size = 1024; };\n"
	"services = (\n"
	"  { name = \"dns\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 53;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 5353; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* Echo for 10.0.0.1 goes to a backend on the client side, whose source
 * is the service address itself: that backend's own echo to the service
 * would leave as it came, one tuple for both directions of its flow. */
static const char hairpin_echo_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"hairpin\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 24;\n"
	"    icmp_echo = true;\n"
	"    backends = ( { address = \"10.0.0.3\"; port = 224; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* ---- frames of the scenario -------------------------------------------- */

/* A frame as it arrives on @port from @smac: TTL 64, DF, a fresh IP id. */
static struct pkt arriving(int port, const uint8_t *smac, uint8_t proto, uint32_t saddr,
			   uint16_t sport, uint32_t daddr, uint16_t dport)
{
	static uint16_t ip_id = 0x1000;
	struct pkt p = arriving_l4(port, smac, proto, sport, dport);

	p.kind = PKT_IPV4;
	p.ip_id = ip_id++;
	p.frag = PKT_DF;
	p.saddr = saddr;
	p.daddr = daddr;
	return p;
}

/* From the client 10.0.0.2, arriving on veth0. */
static struct pkt from_client(uint8_t proto, uint16_t sport, uint32_t daddr, uint16_t dport)
{
	return arriving(VETH0, client_mac, proto, CLIENT, sport, daddr, dport);
}

/* The backend-side source port of a client's new flow when nothing
 * collides: the first port of the SNAT range its tuple hashes to. ICMP echo
 * keeps its identifier. */
static uint16_t snat_port(uint32_t client, uint16_t cport, uint8_t proto)
{
	uint32_t span = ZLB_SNAT_PORT_MAX - ZLB_SNAT_PORT_MIN + 1;

	if (proto == IPPROTO_ICMP)
		return cport;
	return ZLB_SNAT_PORT_MIN + zlb_flow_hash(htonl(client), htons(cport), proto) % span;
}

/* From the backend 10.2.0.2 to the load balancer's source, arriving on
 * veth2: the answer to the flow of client port @cport of 10.0.0.2. */
static struct pkt from_backend(uint8_t proto, uint16_t sport, uint32_t daddr, uint16_t cport)
{
	struct pkt p = arriving(VETH2, backend_mac, proto, BACKEND, sport, daddr,
				snat_port(CLIENT, cport, proto));

	p.client_port = cport;
	return p;
}

/* @p as the load balancer sends it on: the new tuple (ICMP keeps its id),
 * TTL one less, from @port's MAC to @dmac. Everything else as it came. */
static struct pkt sent(const struct pkt *p, int port, const uint8_t *dmac, uint32_t saddr,
		       uint16_t sport, uint32_t daddr, uint16_t dport)
{
	struct pkt o = sent_on(p, port, dmac, sport, dport);

	o.saddr = saddr;
	o.daddr = daddr;
	return o;
}

/* A client's packet on its way to the backend 10.2.0.2:@dport. */
static struct pkt to_backend(const struct pkt *p, uint16_t dport)
{
	return sent(p, VETH2, backend_mac, LB_SRC, snat_port(p->saddr, p->sport, p->proto),
		    BACKEND, dport);
}

/* A backend's packet on its way back to the client, from 10.0.0.1:@sport. */
static struct pkt to_client(const struct pkt *p, uint16_t sport)
{
	return sent(p, VETH0, client_mac, VIP, sport, CLIENT,
		    p->client_port ? p->client_port : p->dport);
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
	struct pkt ttl2 = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt ttl1 = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 1000, 0);
	out = to_backend(&syn, 223);
	/* The first flow of 10.0.0.2 also teaches zlb_neigh its MAC. */
	expect(lb, "tcp: a SYN to 10.0.0.1:23 leaves as 10.2.0.1:40000 -> 10.2.0.2:223",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);
	check_neigh(lb, "tcp: ... and zlb_neigh learns the client's MAC from it", a4(CLIENT), client_mac,
		    VETH0);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 5000, 1001);
	out = to_client(&synack, 23);
	expect(lb, "tcp: the backend's SYN-ACK reaches the client from 10.0.0.1:23",
	       &synack, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);

	tcp_seg(&ack, PKT_ACK | PKT_PSH, 1001, 5001);
	with_data(&ack, "hello\n");
	out = to_backend(&ack, 223);
	expect(lb, "tcp: the client's data follows the flow",
	       &ack, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&data, PKT_ACK | PKT_PSH, 5001, 1007);
	with_data(&data, "welcome to zon-lb\n");
	out = to_client(&data, 23);
	expect(lb, "tcp: the backend's data reaches the client",
	       &data, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	out = to_backend(&syn, 223);
	expect(lb, "tcp: a retransmitted SYN follows the flow",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&zero, PKT_ACK, 1007, 5019);
	with_data(&zero, "sum:__");
	out = to_backend(&zero, 223);
	aim_csum_at_zero(&out, &zero);
	if (!l4_csum_is(&out, 0))
		fail("tcp: a checksum that becomes 0 is sent as 0", "could not aim the checksum");
	else
		expect(lb, "tcp: a checksum that becomes 0 is sent as 0",
		       &zero, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	/* Found by the fuzzer: a received 0 was taken for UDP's "none" and
	 * left as it was, wrong after the addresses changed. */
	tcp_seg(&zero_in, PKT_ACK, 5019, 1013);
	with_data(&zero_in, "sum:__");
	out = to_client(&zero_in, 23);
	aim_csum_at_zero(&zero_in, &out);
	if (!l4_csum_is(&zero_in, 0))
		fail("tcp: a received checksum 0 is translated like any other", "could not aim the checksum");
	else
		expect(lb, "tcp: a received checksum 0 is translated like any other (TCP has no \"none\")",
		       &zero_in, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&ttl2, PKT_ACK, 1013, 5019);
	ttl2.ttl = 2;
	out = to_backend(&ttl2, 223);
	expect(lb, "tcp: TTL 2 leaves with TTL 1",
	       &ttl2, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&ttl1, PKT_ACK, 1013, 5019);
	ttl1.ttl = 1;
	expect(lb, "tcp: TTL 1 on a tracked flow is dropped (drop_ttl)",
	       &ttl1, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);
}

static void test_udp_flow(const struct lb *lb)
{
	struct pkt q = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt a = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt q0 = from_client(IPPROTO_UDP, 5001, VIP, 53);
	struct pkt a0 = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5001);
	struct pkt edge = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt ones = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt out;

	with_data(&q, "query");
	out = to_backend(&q, 5353);
	expect(lb, "udp: a datagram to 10.0.0.1:53 leaves as 10.2.0.1:5000 -> 10.2.0.2:5353",
	       &q, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a, "answer");
	out = to_client(&a, 53);
	expect(lb, "udp: the backend's answer reaches the client from 10.0.0.1:53",
	       &a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	with_data(&q0, "no checksum");
	q0.udp_no_csum = true;
	out = to_backend(&q0, 5353);
	expect(lb, "udp: checksum 0 (none) stays 0 towards the backend",
	       &q0, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a0, "none either");
	a0.udp_no_csum = true;
	out = to_client(&a0, 53);
	expect(lb, "udp: checksum 0 (none) stays 0 towards the client",
	       &a0, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	with_data(&edge, "edge__");
	out = to_backend(&edge, 5353);
	aim_csum_at_zero(&out, &edge);
	if (!l4_csum_is(&out, 0xffff))
		fail("udp: a checksum that becomes 0 is sent as 0xffff", "could not aim the checksum");
	else
		expect(lb, "udp: a checksum that becomes 0 is sent as 0xffff",
		       &edge, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	with_data(&ones, "ones__");
	out = to_client(&ones, 53);
	aim_csum_at_zero(&ones, &out);
	if (!l4_csum_is(&ones, 0xffff))
		fail("udp: a received 0xffff checksum is translated", "could not aim the checksum");
	else
		expect(lb, "udp: a received 0xffff checksum is translated",
		       &ones, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
}

static void test_configured_source(const struct lb *lb)
{
	struct pkt q = from_client(IPPROTO_UDP, 5002, VIP, 54);
	struct pkt a = from_backend(IPPROTO_UDP, 5454, SNAT_SRC, 5002);
	struct pkt out;

	with_data(&q, "to snat");
	out = sent(&q, VETH2, backend_mac, SNAT_SRC, snat_port(CLIENT, 5002, IPPROTO_UDP), BACKEND, 5454);
	expect(lb, "udp: a configured source (10.2.0.50) wins over the FIB's",
	       &q, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a, "from snat");
	out = to_client(&a, 54);
	expect(lb, "udp: the answer to the configured source reaches the client",
	       &a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
}

static void test_icmp_echo(const struct lb *lb)
{
	struct pkt req = from_client(IPPROTO_ICMP, 0, VIP, 0);
	struct pkt rep = from_backend(IPPROTO_ICMP, 0, LB_SRC, 0);
	struct pkt backend_req = from_backend(IPPROTO_ICMP, 0, LB_SRC, 0);
	struct pkt stray = from_client(IPPROTO_ICMP, 0, VIP, 0);
	struct pkt out;

	echo(&req, 8, 0x4242, 1);
	out = to_backend(&req, 0);
	expect(lb, "icmp: an echo request to 10.0.0.1 goes to the first service's backend",
	       &req, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	echo(&rep, 0, 0x4242, 1);
	out = to_client(&rep, 0);
	expect(lb, "icmp: the echo reply reaches the client from 10.0.0.1",
	       &rep, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	echo(&backend_req, 8, 0x4242, 7);
	expect(lb, "icmp: an echo request from the backend with a tracked id is no reply",
	       &backend_req, VETH2, XDP_PASS, NULL, PASSED);

	echo(&stray, 0, 0x9999, 1);
	expect(lb, "icmp: an echo reply to 10.0.0.1 nobody asked for goes to the stack",
	       &stray, VETH0, XDP_PASS, NULL, PASSED);
}

/* ---- cases: what opens no flow ----------------------------------------- */

static void test_refused(const struct lb *lb)
{
	struct pkt ack = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt rst = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt synack = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt ttl1 = from_client(IPPROTO_TCP, 40101, VIP, 23);
	struct pkt frag = from_client(IPPROTO_TCP, 40102, VIP, 23);
	struct pkt later = from_client(IPPROTO_UDP, 5003, VIP, 53);

	tcp_seg(&ack, PKT_ACK, 1, 1);
	expect(lb, "tcp: an ACK of an unknown flow to the service is dropped (drop_tcp_no_flow)",
	       &ack, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ZLB_C_DROP_TCP_NO_FLOW);

	tcp_seg(&rst, PKT_RST, 1, 0);
	expect(lb, "tcp: a RST of an unknown flow is dropped (drop_tcp_no_flow)",
	       &rst, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ZLB_C_DROP_TCP_NO_FLOW);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 1, 1);
	expect(lb, "tcp: a SYN-ACK of an unknown flow is dropped (drop_tcp_no_flow)",
	       &synack, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ZLB_C_DROP_TCP_NO_FLOW);

	tcp_seg(&ttl1, PKT_SYN, 1, 0);
	ttl1.ttl = 1;
	expect(lb, "tcp: a SYN with TTL 1 is dropped (drop_ttl)",
	       &ttl1, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);

	tcp_seg(&frag, PKT_SYN, 1, 0);
	frag.frag = PKT_MF;
	with_data(&frag, "first fragment");
	expect(lb, "tcp: a first fragment (MF) to the service is dropped (drop_fragment)",
	       &frag, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_FRAGMENT);

	/* No ports to match it by: the data plane leaves it to the stack. */
	later.frag = 185;
	with_data(&later, "the middle of a datagram");
	expect(lb, "udp: a later fragment to the service goes to the stack",
	       &later, VETH0, XDP_PASS, NULL, PASSED);
}

/* ---- cases: next hops -------------------------------------------------- */

static void test_neighbour_miss(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40200, VIP, 25);
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 7000, 0);
	expect(lb, "neigh: a backend without any neighbour entry is dropped (drop_no_neigh)",
	       &syn, VETH0, XDP_DROP, NULL,
	       FLOW_REFUSED, ROUTED, ZLB_C_NEIGH_MISS, ZLB_C_DROP_NO_NEIGH);

	if (neigh_add(lb, a4(UNRESOLVED), unresolved_mac, VETH2)) {
		fail("neigh: zlb_neigh gives the MAC the FIB lacks", "zlb_neigh update: %s",
		     strerror(errno));
		return;
	}
	out = sent(&syn, VETH2, unresolved_mac, LB_SRC, snat_port(CLIENT, 40200, IPPROTO_TCP),
		   UNRESOLVED, 225);
	expect(lb, "neigh: zlb_neigh gives the MAC the FIB lacks",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, ZLB_C_NEIGH_MISS, REDIRECTED);
}

static void test_hairpin(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40300, VIP, 24);
	struct pkt synack = arriving(VETH0, hairpin_mac, IPPROTO_TCP, HAIRPIN, 224, VIP,
				     snat_port(CLIENT, 40300, IPPROTO_TCP));
	struct pkt out;

	/* The FIB's source towards 10.0.0.3 is veth0's address. */
	tcp_seg(&syn, PKT_SYN, 8000, 0);
	out = sent(&syn, VETH0, hairpin_mac, VIP, snat_port(CLIENT, 40300, IPPROTO_TCP), HAIRPIN, 224);
	expect(lb, "hairpin: a backend behind the ingress interface gets the frame by XDP_TX",
	       &syn, VETH0, XDP_TX, &out, FLOW_NEW, ROUTED, BOUNCED);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 9000, 8001);
	synack.client_port = 40300;
	out = to_client(&synack, 24);
	expect(lb, "hairpin: its answer goes back out of the same interface by XDP_TX",
	       &synack, VETH0, XDP_TX, &out, FLOW_HIT, ROUTE_CACHED, BOUNCED);
}

static void test_routes(const struct lb *lb)
{
	struct pkt big = from_client(IPPROTO_UDP, 5100, VIP, 55);
	struct pkt small = from_client(IPPROTO_UDP, 5100, VIP, 55);
	struct pkt lost = from_client(IPPROTO_UDP, 5101, VIP, 56);
	struct pkt other = from_client(IPPROTO_UDP, 5102, VIP, 57);
	struct pkt out;

	big.payload_len = 1100;         /* IPv4 total length 1128 > mtu 1000 */
	memset(big.payload, 'x', big.payload_len);
	expect(lb, "route: larger than the route's MTU is dropped (drop_frag_needed)",
	       &big, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_FRAG_NEEDED);

	with_data(&small, "fits");
	out = sent(&small, VETH2, small_mtu_mac, LB_SRC, snat_port(CLIENT, 5100, IPPROTO_UDP),
		   SMALL_MTU, 5555);
	expect(lb, "route: a datagram that fits the MTU goes through",
	       &small, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED);

	with_data(&lost, "nowhere");
	expect(lb, "route: a backend without a route is dropped (drop_fib)",
	       &lost, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_FIB);

	/* No flow is recorded for a packet that cannot leave. */
	with_data(&other, "veth3");
	expect(lb, "route: a backend behind an interface zon-lb is not on is dropped (drop_no_tx_port)",
	       &other, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_NO_TX_PORT);
}

/* ---- cases: what goes to the stack untouched --------------------------- */

static void test_not_ours(const struct lb *lb)
{
	static const uint8_t ipv6_udp[48] = {
		0x60, 0, 0, 0, 0, 8, 17, 64,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x9c, 0x40, 0x00, 0x17, 0x00, 0x08, 0x00, 0x00,
	};
	static const uint8_t inner[28];  /* an ICMP error quotes a header */
	struct pkt port80 = from_client(IPPROTO_TCP, 40500, VIP, 80);
	struct pkt elsewhere = from_client(IPPROTO_TCP, 40501, IP4(10, 0, 0, 9), 23);
	struct pkt udp23 = from_client(IPPROTO_UDP, 40502, VIP, 23);
	struct pkt ping9 = from_client(IPPROTO_ICMP, 0, IP4(10, 0, 0, 9), 0);
	struct pkt unreach = from_client(IPPROTO_ICMP, 0, VIP, 0);
	struct pkt v6 = from_client(0, 0, 0, 0);
	struct pkt tagged = from_client(IPPROTO_TCP, 40503, VIP, 80);

	tcp_seg(&port80, PKT_SYN, 1, 0);
	expect(lb, "pass: TCP to another port of the service address",
	       &port80, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&elsewhere, PKT_SYN, 1, 0);
	expect(lb, "pass: TCP to another address, the service's port",
	       &elsewhere, VETH0, XDP_PASS, NULL, PASSED);

	with_data(&udp23, "not tcp");
	expect(lb, "pass: UDP to the TCP service's port",
	       &udp23, VETH0, XDP_PASS, NULL, PASSED);

	echo(&ping9, 8, 0x4343, 1);
	expect(lb, "pass: an echo request to another address",
	       &ping9, VETH0, XDP_PASS, NULL, PASSED);

	unreach.icmp_type = 3;
	unreach.icmp_code = 3;
	pkt_set_payload(&unreach, inner, sizeof(inner));
	expect(lb, "pass: an ICMP error to the service address",
	       &unreach, VETH0, XDP_PASS, NULL, PASSED);

	v6.kind = PKT_RAW;
	v6.ethertype = 0x86dd;
	pkt_set_payload(&v6, ipv6_udp, sizeof(ipv6_udp));
	expect(lb, "pass: an IPv6 frame", &v6, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&tagged, PKT_SYN, 1, 0);
	tagged.vlan = true;
	tagged.vlan_tci = 100;
	expect(lb, "pass: a VLAN-tagged frame to another port",
	       &tagged, VETH0, XDP_PASS, NULL, PASSED);
}

static struct pkt arp(int port, const uint8_t *sha, uint16_t op, uint32_t spa, uint32_t tpa)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct pkt p = { .kind = PKT_ARP, .arp_op = op, .spa = spa, .tpa = tpa };

	memcpy(p.smac, sha, 6);
	memcpy(p.sha, sha, 6);
	if (op == 1) {
		memcpy(p.dmac, broadcast, 6);
	} else {
		memcpy(p.dmac, ports[port].mac, 6);
		memcpy(p.tha, ports[port].mac, 6);
	}
	return p;
}

static void test_arp(const struct lb *lb)
{
	static const uint8_t stranger_mac[6] = MAC(0x11, 0x77);
	struct pkt req = arp(VETH0, client_mac, 1, CLIENT, VIP);
	struct pkt stranger = arp(VETH1, stranger_mac, 1, IP4(10, 0, 0, 77), VIP);
	struct pkt reply = arp(VETH2, arper_mac, 2, ARPER, LB_SRC);
	union zlb_addr client = a4(CLIENT);

	/* A new flow of 10.0.0.2 taught zlb_neigh its MAC already: start
	 * from nothing, so that the ARP request teaches it. */
	bpf_map_delete_elem(lb->maps.fd[ZLB_M_NEIGH], &client);
	expect(lb, "arp: a request on veth0 goes to the stack untouched",
	       &req, VETH0, XDP_PASS, NULL, ZLB_C_RX, ZLB_C_NEIGH_LEARNED, ZLB_C_PASS);
	check_neigh(lb, "arp: ... and zlb_neigh learns its sender", a4(CLIENT), client_mac, VETH0);

	expect(lb, "arp: the same request again learns nothing new",
	       &req, VETH0, XDP_PASS, NULL, PASSED);

	expect(lb, "arp: a request on an interface zon-lb is not on goes to the stack",
	       &stranger, VETH1, XDP_PASS, NULL, PASSED);
	check_neigh(lb, "arp: ... and teaches zlb_neigh nothing", a4(IP4(10, 0, 0, 77)), NULL, VETH1);

	expect(lb, "arp: a reply from 10.2.0.9 on veth2 goes to the stack untouched",
	       &reply, VETH2, XDP_PASS, NULL, ZLB_C_RX, ZLB_C_NEIGH_LEARNED, ZLB_C_PASS);
	check_neigh(lb, "arp: ... and zlb_neigh learns 10.2.0.9", a4(ARPER), arper_mac, VETH2);
}

/* ---- cases: frames with more in them ----------------------------------- */

static void test_vlan_and_options(const struct lb *lb)
{
	static const uint8_t router_alert[4] = { 0x94, 0x04, 0x00, 0x00 };
	struct pkt tagged = from_client(IPPROTO_TCP, 40400, VIP, 23);
	struct pkt opts = from_client(IPPROTO_TCP, 40401, VIP, 23);
	struct pkt out;

	/* The tag is neither removed nor changed: it leaves as it came. */
	tcp_seg(&tagged, PKT_SYN, 1, 0);
	tagged.vlan = true;
	tagged.vlan_tci = 100;
	out = to_backend(&tagged, 223);
	expect(lb, "vlan: a tagged SYN to the service is forwarded with its tag as it came",
	       &tagged, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&opts, PKT_SYN, 1, 0);
	memcpy(opts.ip_opts, router_alert, sizeof(router_alert));
	opts.ip_optlen = sizeof(router_alert);
	out = to_backend(&opts, 223);
	expect(lb, "ipv4: a SYN with IP options is forwarded with them",
	       &opts, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

/* Two clients, one source port: full NAT must keep the two flows apart on
 * the backend side, or the backend's answers reach the wrong client. */
static void test_same_source_port(const struct lb *lb)
{
	struct pkt syn_a = from_client(IPPROTO_TCP, 41000, VIP, 23);
	struct pkt syn_b = arriving(VETH0, client2_mac, IPPROTO_TCP, CLIENT2, 41000, VIP, 23);
	struct pkt ans_a = from_backend(IPPROTO_TCP, 223, LB_SRC, 41000);
	struct pkt ans_b, out;
	const char *name_b = "collision: a second client with the same port opens its own flow";
	uint32_t b_src, b_dst;
	uint16_t b_sport, b_dport;
	struct result r;

	/* The kernel has no neighbour for the second client; zlb-arp gave it. */
	if (neigh_add(lb, a4(CLIENT2), client2_mac, VETH0)) {
		fail("collision: setup", "zlb_neigh update: %s", strerror(errno));
		return;
	}
	tcp_seg(&syn_a, PKT_SYN, 100, 0);
	out = to_backend(&syn_a, 223);
	expect(lb, "collision: client 10.0.0.2:41000 opens a flow",
	       &syn_a, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	/* Whatever tuple the load balancer picks for the second flow, the
	 * frame must be the SYN translated to it. */
	tcp_seg(&syn_b, PKT_SYN, 200, 0);
	if (run(lb, &syn_b, VETH0, &r)) {
		fail(name_b, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return;
	}
	if (frame_tuple(r.out.data, r.out.len, &b_src, &b_sport, &b_dst, &b_dport)) {
		fail(name_b, "verdict %s, no IPv4 TCP frame out", verdict_name(r.verdict));
		return;
	}
	out = sent(&syn_b, VETH2, backend_mac, b_src, b_sport, BACKEND, 223);
	judge(name_b, &r, XDP_REDIRECT, &out, COUNTERS(FLOW_NEW, ROUTE_CACHED, REDIRECTED));
	if (b_src == LB_SRC && b_sport == 41000)
		fail("collision: ... with a backend-side tuple of its own",
		     "both flows leave as 10.2.0.1:41000 -> 10.2.0.2:223");
	else
		report("collision: ... with a backend-side tuple of its own", NULL);

	tcp_seg(&ans_a, PKT_SYN | PKT_ACK, 300, 101);
	out = to_client(&ans_a, 23);
	expect(lb, "collision: the answer to 10.2.0.1:41000 reaches 10.0.0.2",
	       &ans_a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	ans_b = arriving(VETH2, backend_mac, IPPROTO_TCP, BACKEND, 223, b_src, b_sport);
	tcp_seg(&ans_b, PKT_SYN | PKT_ACK, 400, 201);
	out = sent(&ans_b, VETH0, client2_mac, VIP, 23, CLIENT2, 41000);
	expect(lb, "collision: the answer to the second tuple reaches 10.0.0.5",
	       &ans_b, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, ZLB_C_NEIGH_MISS, REDIRECTED);
}

/* The FIB cache answers for a bounded time (settings.fib_cache_ms): within
 * it a neighbour's new MAC is not seen, after it the FIB is asked again. */
static void test_fib_cache_age(const struct lb *lb)
{
	static const uint8_t moved_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x99, 0x02 };
	struct pkt first = from_client(IPPROTO_UDP, 5100, VIP, 53);
	struct pkt again = from_client(IPPROTO_UDP, 5100, VIP, 53);
	struct pkt later = from_client(IPPROTO_UDP, 5100, VIP, 53);
	int fd = lb->maps.fd[ZLB_M_FIB_CACHE];
	union zlb_addr dst = a4(BACKEND);
	struct zlb_fib_entry e;
	struct timespec now;
	struct pkt out;
	long long left;

	with_data(&first, "cache 1");
	out = to_backend(&first, 5353);
	expect(lb, "fib cache: a flow to the backend is routed", &first, VETH0,
	       XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (bpf_map_lookup_elem(fd, &dst, &e)) {
		fail("fib cache: an entry for 10.2.0.2", "%s", strerror(errno));
		return;
	}
	left = (long long)e.expires_ns - (now.tv_sec * 1000000000LL + now.tv_nsec);
	if (left > 0 && left <= 3600000LL * 1000000)
		report("fib cache: the entry expires within fib_cache_ms (1 h here)", NULL);
	else
		fail("fib cache: the entry expires within fib_cache_ms (1 h here)",
		     "expires in %lld ns", left);

	if (system("ip neigh replace 10.2.0.2 lladdr 02:00:00:00:99:02 dev veth2 nud permanent")) {
		fail("fib cache: setup", "ip neigh replace failed");
		return;
	}
	with_data(&again, "cache 2");
	out = to_backend(&again, 5353);
	expect(lb, "fib cache: within its age the cached MAC is used", &again, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	/* Let the entry's age run out (its expiry is a CLOCK_MONOTONIC time). */
	e.expires_ns = now.tv_sec * 1000000000ULL + now.tv_nsec;
	bpf_map_update_elem(fd, &dst, &e, BPF_EXIST);
	with_data(&later, "cache 3");
	out = sent(&later, VETH2, moved_mac, LB_SRC, snat_port(CLIENT, 5100, IPPROTO_UDP), BACKEND, 5353);
	expect(lb, "fib cache: after its age the FIB gives the new MAC", &later, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);

	if (system("ip neigh replace 10.2.0.2 lladdr 02:00:00:00:00:03 dev veth2 nud permanent"))
		fail("fib cache: restoring 10.2.0.2's MAC", "ip neigh replace failed");
	bpf_map_delete_elem(fd, &dst);
}

/* Every backend-side tuple the data plane may try is taken: the flow is
 * refused and counted, never given another flow's tuple. */
static void test_source_ports_exhausted(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 42000, VIP, 23), out;
	struct zlb_ct_entry taken = { .dir = ZLB_CT_DIR_REPLY };
	struct zlb_ct_key key = {
		.saddr = a4(BACKEND), .daddr = a4(LB_SRC),
		.sport = htons(223), .proto = IPPROTO_TCP,
	};
	int fd = lb->maps.fd[ZLB_M_CONNTRACK];

	/* live flows: just seen */
	taken.last_seen_ns = monotonic_ns();
	for (uint32_t port = ZLB_SNAT_PORT_MIN; port <= ZLB_SNAT_PORT_MAX; port++) {
		key.dport = htons(port);
		if (bpf_map_update_elem(fd, &key, &taken, BPF_ANY)) {
			fail("snat: setup", "zlb_conntrack update: %s", strerror(errno));
			return;
		}
	}
	tcp_seg(&syn, PKT_SYN, 1, 0);
	expect(lb, "snat: with every source port taken a SYN is dropped (drop_snat_busy)",
	       &syn, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTE_CACHED, ZLB_C_DROP_SNAT_BUSY);
	for (uint32_t port = ZLB_SNAT_PORT_MIN; port <= ZLB_SNAT_PORT_MAX; port++) {
		key.dport = htons(port);
		bpf_map_delete_elem(fd, &key);
	}
	out = to_backend(&syn, 223);
	expect(lb, "snat: once ports are free again the same SYN gets its first port",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

/* ---- cases: a kernel without BPF_FIB_LOOKUP_SRC ------------------------ */

static void test_no_fib_source(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt synack = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt hairpin = from_client(IPPROTO_TCP, 40300, VIP, 24);
	struct pkt out;

	/* The FIB gives no source here: 10.2.0.1 can only come from the map. */
	tcp_seg(&syn, PKT_SYN, 1000, 0);
	out = to_backend(&syn, 223);
	expect(lb, "no fib src: the SYN leaves with the source zlb-load wrote (10.2.0.1)",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 5000, 1001);
	out = to_client(&synack, 23);
	expect(lb, "no fib src: the SYN-ACK reaches the client",
	       &synack, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);

	tcp_seg(&hairpin, PKT_SYN, 8000, 0);
	out = sent(&hairpin, VETH0, hairpin_mac, VIP, snat_port(CLIENT, 40300, IPPROTO_TCP),
		   HAIRPIN, 224);
	expect(lb, "no fib src: the hairpin backend's source is the route's (10.0.0.1)",
	       &hairpin, VETH0, XDP_TX, &out, FLOW_NEW, ROUTED, BOUNCED);
}

/* ==== data plane depth: a load balancer of its own ===================== */

/* A fresh instance of the program: an empty connection table and FIB
 * cache, so which packet looks its route up and which source port a flow
 * gets depend on the cases below alone. Default timeouts and SNAT range.
 * Service ids are positions here: telnet 0, dns 1, weighted 2, drained 3;
 * interface slots: veth0 0, veth2 1. The weighted service's third backend
 * has weight @w13 (2; 0 when it is drained by a reload). */
#define DEPTH_CONF(w13) \
	"settings = { fib_cache_ms = 3600000; };\n" \
	"services = (\n" \
	"  { name = \"telnet\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 23;\n" \
	"    backends = ( { address = \"10.2.0.2\"; port = 223; } ); },\n" \
	"  { name = \"dns\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 53;\n" \
	"    backends = ( { address = \"10.2.0.2\"; port = 5353; } ); },\n" \
	"  { name = \"weighted\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 26;\n" \
	"    backends = ( { address = \"10.2.0.11\"; port = 2626; weight = 1; },\n" \
	"                 { address = \"10.2.0.12\"; port = 2626; weight = 1; },\n" \
	"                 { address = \"10.2.0.13\"; port = 2626; weight = " w13 "; } ); },\n" \
	"  { name = \"drained\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 27;\n" \
	"    backends = ( { address = \"10.2.0.11\"; port = 2727; },\n" \
	"                 { address = \"10.2.0.14\"; port = 2727; weight = 0; } ); }\n" \
	");\n" \
	"interfaces = ( \"veth0\", \"veth2\" );\n"

static const char depth_conf[] = DEPTH_CONF("2");
static const char depth_drain_conf[] = DEPTH_CONF("0");

enum { SVC_TELNET, SVC_DNS, SVC_WEIGHTED, SVC_DRAINED };
enum { SLOT_VETH0, SLOT_VETH2 };
#define BE_ID(svc, i) ((svc) * ZLB_MAX_BACKENDS_PER_SVC + (i))

/* ---- flows and their entries ------------------------------------------- */

/* A flow of the client 10.0.0.2:@cport to 10.0.0.1:@vport, translated to
 * 10.2.0.1:@sport -> 10.2.0.2:@bport (ICMP echo: every port the id). */
struct flow {
	uint8_t proto;
	uint16_t cport, vport, bport, sport;
	struct zlb_ct_key orig, reply;
};

static struct zlb_ct_key ct_key(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
				uint8_t proto)
{
	struct zlb_ct_key k = {
		.saddr = a4(saddr), .daddr = a4(daddr),
		.sport = htons(sport), .dport = htons(dport), .proto = proto,
	};

	return k;
}

/* The flow as it is when nothing collides: its source port is the first
 * one its tuple hashes to. */
static struct flow flow_of(uint8_t proto, uint16_t cport, uint16_t vport, uint16_t bport)
{
	struct flow f = { .proto = proto, .cport = cport, .vport = vport, .bport = bport };

	if (proto == IPPROTO_ICMP)
		f.vport = f.bport = cport;
	f.sport = snat_port(CLIENT, cport, proto);
	f.orig = ct_key(CLIENT, f.cport, VIP, f.vport, proto);
	f.reply = ct_key(BACKEND, f.bport, LB_SRC, f.sport, proto);
	return f;
}

static uint32_t seqno = 100000;

/* A packet of @f from the client (TCP: with @flags; ICMP: an echo request;
 * @text: the payload, NULL for none). */
static struct pkt c_pkt(const struct flow *f, uint8_t flags, const char *text)
{
	struct pkt p = from_client(f->proto, f->cport, VIP, f->vport);

	if (f->proto == IPPROTO_ICMP) {
		echo(&p, 8, f->cport, seqno++ & 0xffff);
		return p;
	}
	if (f->proto == IPPROTO_TCP)
		tcp_seg(&p, flags, seqno, seqno + 7);
	seqno += 1000;
	if (text)
		with_data(&p, text);
	return p;
}

/* A packet of @f from the backend (ICMP: an echo reply). */
static struct pkt b_pkt(const struct flow *f, uint8_t flags, const char *text)
{
	struct pkt p = arriving(VETH2, backend_mac, f->proto, BACKEND, f->bport, LB_SRC, f->sport);

	p.client_port = f->cport;
	if (f->proto == IPPROTO_ICMP) {
		echo(&p, 0, f->cport, seqno++ & 0xffff);
		return p;
	}
	if (f->proto == IPPROTO_TCP)
		tcp_seg(&p, flags, seqno, seqno + 7);
	seqno += 1000;
	if (text)
		with_data(&p, text);
	return p;
}

static struct pkt fwd(const struct flow *f, const struct pkt *p)
{
	return to_backend(p, f->bport);
}

static struct pkt back(const struct flow *f, const struct pkt *p)
{
	return to_client(p, f->vport);
}

static bool flow_idle(const struct lb *lb, const char *name, const struct flow *f,
		      __u64 orig_idle, __u64 reply_idle)
{
	if (ct_idle(lb, &f->orig, orig_idle) || ct_idle(lb, &f->reply, reply_idle)) {
		fail(name, "setup: making the flow's entries idle: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Both entries of @f exist, point at each other and are in state @state. */
static void check_state(const struct lb *lb, const char *name, const struct flow *f, int state)
{
	struct zlb_ct_entry o, r;
	struct problems p = {};

	if (!ct_get(lb, &f->orig, &o)) {
		add(&p, "no ORIG entry");
	} else {
		if (o.dir != ZLB_CT_DIR_ORIG)
			add(&p, "ORIG entry has dir %u", o.dir);
		if (o.state != state)
			add(&p, "ORIG entry in state %s, want %s", state_name(o.state), state_name(state));
		if (!zlb_addr_equal(&o.saddr, &f->reply.daddr) || o.sport != f->reply.dport ||
		    !zlb_addr_equal(&o.daddr, &f->reply.saddr) || o.dport != f->reply.sport)
			add(&p, "ORIG entry leaves as another tuple (source port %u, want %u)",
			    ntohs(o.sport), f->sport);
	}
	if (!ct_get(lb, &f->reply, &r)) {
		add(&p, "no REPLY entry (10.2.0.2:%u -> 10.2.0.1:%u)", f->bport, f->sport);
	} else {
		if (r.dir != ZLB_CT_DIR_REPLY)
			add(&p, "REPLY entry has dir %u", r.dir);
		if (r.state != state)
			add(&p, "REPLY entry in state %s, want %s", state_name(r.state), state_name(state));
	}
	report(name, p.n ? p.text : NULL);
}

static void check_gone(const struct lb *lb, const char *name, const struct flow *f)
{
	struct zlb_ct_entry e;
	struct problems p = {};

	if (ct_get(lb, &f->orig, &e))
		add(&p, "the ORIG entry is still there (state %s)", state_name(e.state));
	if (ct_get(lb, &f->reply, &e))
		add(&p, "the REPLY entry is still there (state %s)", state_name(e.state));
	report(name, p.n ? p.text : NULL);
}

/* Bring TCP flow @f to @state (SYN, established, closing or close),
 * checking every step; UDP and ICMP: one packet each way. */
static void bring_to(const struct lb *lb, const char *what, const struct flow *f, int state)
{
	char name[256];
	struct pkt p, out;
	bool was_quiet = quiet;

	quiet = true;
	snprintf(name, sizeof(name), "%s: setup", what);
	p = c_pkt(f, PKT_SYN, f->proto == IPPROTO_TCP ? NULL : "open");
	out = fwd(f, &p);
	expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	if (f->proto != IPPROTO_TCP) {
		p = b_pkt(f, 0, f->proto == IPPROTO_UDP ? "opened" : NULL);
		out = back(f, &p);
		expect(lb, name, &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	} else if (state != ZLB_CT_TCP_SYN) {
		p = b_pkt(f, PKT_SYN | PKT_ACK, NULL);
		out = back(f, &p);
		expect(lb, name, &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		p = c_pkt(f, PKT_ACK, "request");
		out = fwd(f, &p);
		expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		if (state == ZLB_CT_TCP_CLOSING || state == ZLB_CT_TCP_CLOSE) {
			p = c_pkt(f, PKT_FIN | PKT_ACK, NULL);
			out = fwd(f, &p);
			expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		}
		if (state == ZLB_CT_TCP_CLOSE) {
			p = b_pkt(f, PKT_FIN | PKT_ACK, NULL);
			out = back(f, &p);
			expect(lb, name, &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		}
	}
	check_state(lb, name, f, state);
	quiet = was_quiet;
}

/* ---- cases: TCP state -------------------------------------------------- */

static void test_tcp_state(const struct lb *lb)
{
	struct flow f = flow_of(IPPROTO_TCP, 43000, 23, 223);
	struct flow r = flow_of(IPPROTO_TCP, 43001, 23, 223);
	struct flow refused = flow_of(IPPROTO_TCP, 43002, 23, 223);
	struct zlb_ct_entry e;
	struct pkt p, out;

	/* The first packets of this instance: both routes are looked up, and
	 * zlb_neigh learns the client's MAC. */
	p = c_pkt(&f, PKT_SYN, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: a SYN opens a flow", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);
	check_state(lb, "tcp state: ... both entries in state syn", &f, ZLB_CT_TCP_SYN);

	p = c_pkt(&f, PKT_ACK, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: a client ACK before any answer goes", &p, VETH0, XDP_REDIRECT,
	       &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... and establishes nothing (syn)", &f, ZLB_CT_TCP_SYN);

	p = b_pkt(&f, PKT_SYN | PKT_ACK, NULL);
	out = back(&f, &p);
	expect(lb, "tcp state: the backend's SYN-ACK goes back", &p, VETH2, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries established", &f, ZLB_CT_TCP_ESTABLISHED);

	p = c_pkt(&f, PKT_ACK | PKT_PSH, "data");
	out = fwd(&f, &p);
	expect(lb, "tcp state: client data", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... still established", &f, ZLB_CT_TCP_ESTABLISHED);

	p = c_pkt(&f, PKT_FIN | PKT_ACK, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: the client's FIN", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries closing", &f, ZLB_CT_TCP_CLOSING);

	p = b_pkt(&f, PKT_ACK | PKT_PSH, "last words");
	out = back(&f, &p);
	expect(lb, "tcp state: the backend's data after the client's FIN", &p, VETH2,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... still closing", &f, ZLB_CT_TCP_CLOSING);

	p = b_pkt(&f, PKT_FIN | PKT_ACK, NULL);
	out = back(&f, &p);
	expect(lb, "tcp state: the backend's FIN", &p, VETH2, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries close", &f, ZLB_CT_TCP_CLOSE);

	p = c_pkt(&f, PKT_ACK, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: the client's last ACK still goes", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... still close", &f, ZLB_CT_TCP_CLOSE);

	/* The client reuses its port: a new flow, on the same backend-side
	 * tuple (the old flow's entries are gone). */
	p = c_pkt(&f, PKT_SYN, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: a SYN from the same port on a close flow opens a new flow",
	       &p, VETH0, XDP_REDIRECT, &out, ZLB_C_RX, ZLB_C_CT_MISS, ZLB_C_NEW_FLOW,
	       ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... whose entries are in state syn again", &f, ZLB_CT_TCP_SYN);
	if (!ct_get(lb, &f.orig, &e))
		fail("tcp state: ... and count only the new SYN", "no ORIG entry");
	else if (e.packets != 1 || e.fin_seen)
		fail("tcp state: ... and count only the new SYN", "ORIG entry: %llu packets, fin_seen %u",
		     (unsigned long long)e.packets, e.fin_seen);
	else
		report("tcp state: ... and count only the new SYN", NULL);

	/* RST from the client of an established flow. */
	bring_to(lb, "tcp state: flow 43001", &r, ZLB_CT_TCP_ESTABLISHED);
	p = c_pkt(&r, PKT_RST | PKT_ACK, NULL);
	out = fwd(&r, &p);
	expect(lb, "tcp state: the client's RST of an established flow goes", &p, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries close", &r, ZLB_CT_TCP_CLOSE);

	/* RST from the backend: the port is closed there. */
	bring_to(lb, "tcp state: flow 43002", &refused, ZLB_CT_TCP_SYN);
	p = b_pkt(&refused, PKT_RST | PKT_ACK, NULL);
	out = back(&refused, &p);
	expect(lb, "tcp state: the backend's RST answering a SYN goes back", &p, VETH2,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries close", &refused, ZLB_CT_TCP_CLOSE);
}

/* ---- cases: timeouts --------------------------------------------------- */

static void test_meta_defaults(const struct lb *lb, struct zlb_meta *meta)
{
	static const unsigned int want_s[ZLB_CT_STATE_MAX] = {
		[ZLB_CT_TCP_SYN] = ZLB_TIMEOUT_TCP_SYN,
		[ZLB_CT_TCP_ESTABLISHED] = ZLB_TIMEOUT_TCP_ESTABLISHED,
		[ZLB_CT_TCP_CLOSING] = ZLB_TIMEOUT_TCP_CLOSING,
		[ZLB_CT_TCP_CLOSE] = ZLB_TIMEOUT_TCP_CLOSE,
		[ZLB_CT_UDP] = ZLB_TIMEOUT_UDP,
		[ZLB_CT_ICMP] = ZLB_TIMEOUT_ICMP,
	};
	struct problems p = {};

	if (read_meta(lb, meta)) {
		fail("meta: default timeouts and SNAT range", "zlb_meta: %s", strerror(errno));
		memset(meta, 0, sizeof(*meta));
		return;
	}
	for (int st = 0; st < ZLB_CT_STATE_MAX; st++)
		if (meta->timeout_ns[st] != want_s[st] * SEC_NS)
			add(&p, "%s %llu ns, want %u s", state_name(st),
			    (unsigned long long)meta->timeout_ns[st], want_s[st]);
	if (meta->snat_port_min != ZLB_SNAT_PORT_MIN || meta->snat_port_max != ZLB_SNAT_PORT_MAX)
		add(&p, "SNAT ports %u-%u", meta->snat_port_min, meta->snat_port_max);
	report("meta: default timeouts (syn 60 s, established 900 s, closing 120 s, close 10 s, "
	       "udp 300 s, icmp 30 s) and SNAT range 16384-32767", p.n ? p.text : NULL);
}

static void test_expiry(const struct lb *lb, const struct zlb_meta *meta)
{
	__u64 udp_out = meta->timeout_ns[ZLB_CT_UDP] + SEC_NS;
	__u64 est_out = meta->timeout_ns[ZLB_CT_TCP_ESTABLISHED] + SEC_NS;
	struct flow u = flow_of(IPPROTO_UDP, 6000, 53, 5353);
	struct flow t = flow_of(IPPROTO_TCP, 43010, 23, 223);
	struct flow one = flow_of(IPPROTO_UDP, 6001, 53, 5353);
	uint32_t a1, a2, b1, b2;
	uint16_t port1 = 0, port2 = 0, p1, p2;
	struct result r;
	struct pkt p, out;
	const char *name;

	/* UDP: idle past its timeout both ways, then a new datagram. */
	name = "timeout: a UDP datagram to the service";
	p = c_pkt(&u, 0, "first");
	out = fwd(&u, &p);
	if (run(lb, &p, VETH0, &r))
		fail(name, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	else if (judge(name, &r, XDP_REDIRECT, &out, COUNTERS(FLOW_NEW, ROUTE_CACHED, REDIRECTED)))
		frame_tuple(r.out.data, r.out.len, &a1, &port1, &b1, &p1);
	if (!flow_idle(lb, "timeout: udp flow idle", &u, udp_out, udp_out))
		return;
	name = "timeout: a UDP flow idle past its timeout (300 s) both ways is gone: a new flow (ct_expired)";
	p = c_pkt(&u, 0, "second");
	out = fwd(&u, &p);
	if (run(lb, &p, VETH0, &r))
		fail(name, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	else if (judge(name, &r, XDP_REDIRECT, &out,
		       COUNTERS(ZLB_C_RX, ZLB_C_CT_EXPIRED, ZLB_C_CT_MISS, ZLB_C_NEW_FLOW,
				ROUTE_CACHED, REDIRECTED)))
		frame_tuple(r.out.data, r.out.len, &a2, &port2, &b2, &p2);
	if (port1 && port2 && port1 == port2)
		report("timeout: ... on the same backend-side port as before (nothing collides)", NULL);
	else
		fail("timeout: ... on the same backend-side port as before (nothing collides)",
		     "before %u, now %u", port1, port2);
	check_state(lb, "timeout: ... with fresh entries", &u, ZLB_CT_UDP);

	/* TCP: an ACK of an expired flow is no flow's. */
	bring_to(lb, "timeout: tcp 43010", &t, ZLB_CT_TCP_ESTABLISHED);
	if (!flow_idle(lb, "timeout: tcp flow idle", &t, est_out, est_out))
		return;
	p = c_pkt(&t, PKT_ACK, "anyone?");
	expect(lb, "timeout: an ACK of a TCP flow idle past its timeout (900 s) is dropped "
	       "(ct_expired, drop_tcp_no_flow)", &p, VETH0, XDP_DROP, NULL,
	       ZLB_C_RX, ZLB_C_CT_EXPIRED, ZLB_C_CT_MISS, ZLB_C_DROP_TCP_NO_FLOW);
	check_gone(lb, "timeout: ... and both its entries are gone", &t);

	/* A one-way stream: only the client talks. Its REPLY entry is idle,
	 * the ORIG one is not: the flow lives. */
	bring_to(lb, "timeout: udp 6001", &one, ZLB_CT_UDP);
	if (!flow_idle(lb, "timeout: one-way", &one, 0, udp_out))
		return;
	p = b_pkt(&one, 0, "at last");
	out = back(&one, &p);
	expect(lb, "timeout: a reply whose own entry is idle but whose partner is fresh is "
	       "translated (one-way stream)", &p, VETH2, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	if (!flow_idle(lb, "timeout: one-way", &one, udp_out, 0))
		return;
	p = c_pkt(&one, 0, "and again");
	out = fwd(&one, &p);
	expect(lb, "timeout: likewise a client packet whose ORIG entry is idle, REPLY fresh",
	       &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
}

/* Each state's own timeout: a flow idle 1 s less than it lives, 1 s more
 * is gone -- for the close state, 11 s: gone although far below the
 * established timeout. */
static void test_state_timeouts(const struct lb *lb, const struct zlb_meta *meta)
{
	static const struct {
		uint8_t proto;
		int state;
	} cases[] = {
		{ IPPROTO_TCP, ZLB_CT_TCP_SYN }, { IPPROTO_TCP, ZLB_CT_TCP_ESTABLISHED },
		{ IPPROTO_TCP, ZLB_CT_TCP_CLOSING }, { IPPROTO_TCP, ZLB_CT_TCP_CLOSE },
		{ IPPROTO_UDP, ZLB_CT_UDP }, { IPPROTO_ICMP, ZLB_CT_ICMP },
	};
	uint16_t port = 43100;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int st = cases[i].state;
		uint8_t proto = cases[i].proto;
		__u64 timeout = meta->timeout_ns[st];
		bool syn = st == ZLB_CT_TCP_SYN, tcp = proto == IPPROTO_TCP;

		for (int gone = 0; gone <= 1; gone++) {
			uint16_t cport = proto == IPPROTO_TCP ? port : proto == IPPROTO_UDP ?
					 port - 43100 + 6020 : port - 43100 + 0x7700;
			struct flow f = flow_of(proto, cport, proto == IPPROTO_TCP ? 23 : 53,
						proto == IPPROTO_TCP ? 223 : 5353);
			__u64 idle = gone ? timeout + SEC_NS : timeout - SEC_NS;
			char what[128], name[256];
			struct pkt p, out;

			port++;
			snprintf(what, sizeof(what), "timeout: %s flow idle %llu s", state_name(st),
				 (unsigned long long)(idle / SEC_NS));
			bring_to(lb, what, &f, st);
			if (!flow_idle(lb, what, &f, idle, idle))
				continue;
			/* a packet that changes no state: a retransmitted SYN, an ACK,
			 * a datagram, an echo request */
			p = c_pkt(&f, syn ? PKT_SYN : PKT_ACK, tcp ? NULL : "still there?");
			out = fwd(&f, &p);
			if (!gone) {
				snprintf(name, sizeof(name), "%s (timeout %llu s) still goes", what,
					 (unsigned long long)(timeout / SEC_NS));
				expect(lb, name, &p, VETH0, XDP_REDIRECT, &out,
				       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
				check_state(lb, "timeout: ... in the same state", &f, st);
			} else if (tcp && !syn) {
				snprintf(name, sizeof(name), "%s (timeout %llu s) is gone: an ACK is "
					 "dropped (ct_expired)", what,
					 (unsigned long long)(timeout / SEC_NS));
				expect(lb, name, &p, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_CT_EXPIRED,
				       ZLB_C_CT_MISS, ZLB_C_DROP_TCP_NO_FLOW);
				check_gone(lb, "timeout: ... and its entries with it", &f);
			} else {
				snprintf(name, sizeof(name), "%s (timeout %llu s) is gone: a new flow "
					 "(ct_expired)", what, (unsigned long long)(timeout / SEC_NS));
				expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, ZLB_C_RX,
				       ZLB_C_CT_EXPIRED, ZLB_C_CT_MISS, ZLB_C_NEW_FLOW,
				       ROUTE_CACHED, REDIRECTED);
				check_state(lb, "timeout: ... with fresh entries", &f,
					    tcp ? ZLB_CT_TCP_SYN : st);
			}
		}
	}
}

/* ---- cases: entries evicted apart -------------------------------------- */

static void test_eviction(const struct lb *lb, const struct zlb_meta *meta)
{
	__u64 est_out = meta->timeout_ns[ZLB_CT_TCP_ESTABLISHED] + SEC_NS;
	__u64 udp_out = meta->timeout_ns[ZLB_CT_UDP] + SEC_NS;
	int fd = lb->maps.fd[ZLB_M_CONNTRACK];
	struct flow t = flow_of(IPPROTO_TCP, 43030, 23, 223);
	struct flow u = flow_of(IPPROTO_UDP, 6010, 53, 5353);
	static const struct {
		uint8_t proto;
		uint16_t port;
		bool dropped;
	} edges[] = {
		{ IPPROTO_TCP, ZLB_SNAT_PORT_MIN - 1, false }, { IPPROTO_TCP, ZLB_SNAT_PORT_MIN, true },
		{ IPPROTO_TCP, ZLB_SNAT_PORT_MAX, true }, { IPPROTO_TCP, ZLB_SNAT_PORT_MAX + 1, false },
		{ IPPROTO_TCP, 40000, false }, { IPPROTO_UDP, ZLB_SNAT_PORT_MIN + 3, true },
		{ IPPROTO_UDP, 60000, false },
	};
	struct pkt p, out;

	/* TCP: the REPLY entry is lost (LRU), the ORIG one stays. */
	bring_to(lb, "evict: tcp 43030", &t, ZLB_CT_TCP_ESTABLISHED);
	if (bpf_map_delete_elem(fd, &t.reply)) {
		fail("evict: setup", "deleting the REPLY entry: %s", strerror(errno));
		return;
	}
	p = b_pkt(&t, PKT_ACK | PKT_PSH, "to whom?");
	expect(lb, "evict: the backend's answer of a flow whose REPLY entry is gone is dropped "
	       "(drop_reply_no_flow)", &p, VETH2, XDP_DROP, NULL,
	       ZLB_C_RX, ZLB_C_DROP_REPLY_NO_FLOW);
	if (!ct_idle(lb, &t.orig, est_out)) {
		p = c_pkt(&t, PKT_ACK, "hello?");
		expect(lb, "evict: an idle ORIG entry whose partner is gone counts an eviction "
		       "(ct_evicted); the ACK is dropped", &p, VETH0, XDP_DROP, NULL,
		       ZLB_C_RX, ZLB_C_CT_EVICTED, ZLB_C_CT_MISS, ZLB_C_DROP_TCP_NO_FLOW);
		check_gone(lb, "evict: ... and the ORIG entry is gone too", &t);
	} else {
		fail("evict: setup", "aging the ORIG entry: %s", strerror(errno));
	}

	/* UDP: the same, and the next datagram opens the flow again. */
	bring_to(lb, "evict: udp 6010", &u, ZLB_CT_UDP);
	if (bpf_map_delete_elem(fd, &u.reply) || ct_idle(lb, &u.orig, udp_out)) {
		fail("evict: setup", "deleting the REPLY entry: %s", strerror(errno));
		return;
	}
	p = b_pkt(&u, 0, "lost");
	expect(lb, "evict: a UDP answer whose REPLY entry is gone is dropped (drop_reply_no_flow)",
	       &p, VETH2, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_REPLY_NO_FLOW);
	p = c_pkt(&u, 0, "again");
	out = fwd(&u, &p);
	expect(lb, "evict: the client's next datagram counts an eviction and opens the flow again "
	       "on the same port", &p, VETH0, XDP_REDIRECT, &out, ZLB_C_RX, ZLB_C_CT_EVICTED,
	       ZLB_C_CT_MISS, ZLB_C_NEW_FLOW, ROUTE_CACHED, REDIRECTED);
	p = b_pkt(&u, 0, "found");
	out = back(&u, &p);
	expect(lb, "evict: ... and its answers reach the client again", &p, VETH2, XDP_REDIRECT,
	       &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	/* A busy flow looks for its partner every ZLB_CT_PARTNER_CHECK
	 * packets and puts a lost one back: the answers flow again. */
	{
		struct flow b = flow_of(IPPROTO_TCP, 43177, 23, 223);
		struct zlb_ct_entry e;

		bring_to(lb, "evict: tcp 43177", &b, ZLB_CT_TCP_ESTABLISHED);
		if (!ct_get(lb, &b.orig, &e) || bpf_map_delete_elem(fd, &b.reply)) {
			fail("evict: setup", "deleting the REPLY entry of 43177: %s", strerror(errno));
			return;
		}
		e.packets = 31;    /* the next packet is the 32nd: a check */
		bpf_map_update_elem(fd, &b.orig, &e, BPF_EXIST);
		p = c_pkt(&b, PKT_ACK | PKT_PSH, "busy");
		out = fwd(&b, &p);
		expect(lb, "evict: a busy flow's packet finds its partner gone, counts an eviction "
		       "and puts it back", &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ZLB_C_CT_EVICTED,
		       ROUTE_CACHED, REDIRECTED);
		p = b_pkt(&b, PKT_ACK | PKT_PSH, "back");
		out = back(&b, &p);
		expect(lb, "evict: ... and the backend's answers reach the client again", &p, VETH2,
		       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	}

	/* With no flow, a packet to our source is a lost reply only inside
	 * the SNAT range; outside it, it is the load balancer's own. */
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
		struct pkt q = arriving(VETH2, backend_mac, edges[i].proto, BACKEND,
					edges[i].proto == IPPROTO_TCP ? 22 : 5353, LB_SRC, edges[i].port);
		struct zlb_ct_key k = ct_key(BACKEND, q.sport, LB_SRC, q.dport, q.proto);
		struct zlb_ct_entry e;
		char name[256];

		if (edges[i].proto == IPPROTO_TCP)
			tcp_seg(&q, PKT_ACK, 1, 1);
		else
			with_data(&q, "who?");
		if (ct_get(lb, &k, &e)) {
			fail("evict: setup", "a flow uses 10.2.0.1:%u", edges[i].port);
			continue;
		}
		if (edges[i].dropped) {
			snprintf(name, sizeof(name), "evict: %s to 10.2.0.1:%u (in the SNAT range) with "
				 "no flow is dropped (drop_reply_no_flow)",
				 edges[i].proto == IPPROTO_TCP ? "TCP" : "UDP", edges[i].port);
			expect(lb, name, &q, VETH2, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_REPLY_NO_FLOW);
		} else {
			snprintf(name, sizeof(name), "evict: %s to 10.2.0.1:%u (outside the SNAT range) "
				 "with no flow goes to the stack untouched",
				 edges[i].proto == IPPROTO_TCP ? "TCP" : "UDP", edges[i].port);
			expect(lb, name, &q, VETH2, XDP_PASS, NULL, PASSED);
		}
	}
	p = arriving(VETH2, backend_mac, IPPROTO_TCP, BACKEND, 22, IP4(10, 2, 0, 77), 20000);
	tcp_seg(&p, PKT_ACK, 1, 1);
	expect(lb, "evict: TCP to another address, in the SNAT range, goes to the stack",
	       &p, VETH2, XDP_PASS, NULL, PASSED);
}

/* ---- cases: partial checksums ------------------------------------------ */

static void fill(struct pkt *p, size_t len, int pattern)
{
	for (size_t i = 0; i < len; i++)
		p->payload[i] = pattern < 0 ? (uint8_t)(i * 37 + len + 11) : (uint8_t)pattern;
	p->payload_len = len;
}

static struct pkt complete(struct pkt p)
{
	p.l4_csum_partial = false;
	return p;
}

/* Choose the last two payload bytes of @p (even length) so that its
 * complete checksum equals the folded pseudo-header sum: a complete
 * checksum that looks partial. Returns that sum. */
static uint16_t aim_csum_at_pseudo(struct pkt *p)
{
	size_t at = p->payload_len - 2;
	uint16_t sum, w;
	struct frame f;

	memset(p->payload + at, 0, 2);
	p->l4_csum_partial = true;
	frame_build(&f, p);
	p->l4_csum_partial = false;
	/* field = pseudo sum P; data + P + w must sum to all ones */
	if (frame_l4_sum(f.data, f.len, &sum))
		abort();
	w = ~sum;
	p->payload[at] = w >> 8;
	p->payload[at + 1] = w;
	return f.data[f.csum_off] << 8 | f.data[f.csum_off + 1];
}

/* Fill @in's payload (@len bytes) and @out's, its translation, so that the
 * whole 64-byte chunks of the translated segment, checksum field holding
 * the pseudo-header sum as when the data plane completes it, sum to
 * 0xffffffff as the kernel's csum_partial() on x86 reports a sum (32 bits,
 * carries folded back: the value is fixed modulo 2^32 - 1): payload bytes
 * 0..3 are chosen for that. Every byte after the last whole chunk is 0xff:
 * the most the rest of the sum can add. A 32-bit sum that drops the carry
 * out of bit 31 then is one off. */
static void aim_chunks_at_max(struct pkt *in, struct pkt *out, size_t len)
{
	size_t hdr = in->proto == IPPROTO_TCP ? 20 : 8, chunked;
	struct pkt o;
	struct frame f;
	uint64_t sum = 0;
	uint32_t w;

	chunked = (hdr + len) / 64 * 64;
	for (size_t i = 0; i < len; i++)
		in->payload[i] = hdr + i < chunked ? (uint8_t)(i * 37 + 11) : 0xff;
	memset(in->payload, 0, 4);
	in->payload_len = len;
	memcpy(out->payload, in->payload, len);
	out->payload_len = len;
	o = *out;
	o.l4_csum_partial = true;
	frame_build(&f, &o);
	for (size_t i = 0; i < chunked; i += 4) {
		const uint8_t *b = f.data + 14 + 20 + i;

		sum += (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		       (uint32_t)b[3] << 24;    /* as a little-endian CPU loads it */
	}
	w = (0xffffffffULL - sum % 0xffffffffULL) % 0xffffffffULL;
	for (int i = 0; i < 4; i++)
		in->payload[i] = out->payload[i] = w >> (8 * i);
}

static void test_partial_csum(const struct lb *lb)
{
	static const struct {
		size_t len;
		int pattern;    /* -1: varied bytes, else every byte */
	} tcp_cases[] = {
		{ 1, -1 }, { 2, -1 }, { 43, -1 }, { 44, -1 }, { 45, -1 }, { 100, -1 }, { 1400, -1 },
		{ 1401, -1 }, { 1460, -1 }, { 1400, 0xff }, { 109, 0xff },
	}, udp_cases[] = {
		{ 1, -1 }, { 2, -1 }, { 55, -1 }, { 56, -1 }, { 57, -1 }, { 200, -1 }, { 1400, -1 },
		{ 1401, -1 }, { 1472, -1 }, { 57, 0xff }, { 1400, 0xff }, { 121, 0xff },
	};
	struct flow t = flow_of(IPPROTO_TCP, 44000, 23, 223);
	struct flow u = flow_of(IPPROTO_UDP, 6100, 53, 5353);
	struct pkt p, out;
	uint16_t pseudo;
	char name[256];

	p = c_pkt(&t, PKT_SYN, NULL);
	p.l4_csum_partial = !hook_tc;
	out = complete(fwd(&t, &p));
	/* tc skips the partial cases: its flows open with complete packets */
	expect(lb, hook_tc ? "partial csum: (tc) the flow opens with a complete SYN"
			   : "partial csum: a SYN with a partial checksum leaves with a complete one "
			     "(csum_completed)", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED, hook_tc ? -1 : ZLB_C_CSUM_COMPLETED);
	p = b_pkt(&t, PKT_SYN | PKT_ACK, NULL);
	out = back(&t, &p);
	expect(lb, "partial csum: a complete SYN-ACK completes nothing", &p, VETH2, XDP_REDIRECT,
	       &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	for (size_t i = 0; i < ARRAY_SIZE(tcp_cases); i++) {
		p = c_pkt(&t, PKT_ACK | PKT_PSH, NULL);
		fill(&p, tcp_cases[i].len, tcp_cases[i].pattern);
		p.l4_csum_partial = true;
		out = complete(fwd(&t, &p));
		snprintf(name, sizeof(name), "partial csum: TCP, %zu bytes of payload%s, completed",
			 tcp_cases[i].len, tcp_cases[i].pattern < 0 ? "" : " all 0xff");
		expect(lb, name, &p, VETH0, XDP_REDIRECT, &out,
		       FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);
	}
	/* 20 + 170 bytes: two whole chunks, then 31 words of 0xffff */
	p = c_pkt(&t, PKT_ACK | PKT_PSH, NULL);
	out = complete(fwd(&t, &p));
	aim_chunks_at_max(&p, &out, 170);
	p.l4_csum_partial = true;
	expect(lb, "partial csum: TCP, 170 bytes: 64-byte chunks summing to 0xffffffff, then 62 "
	       "bytes of 0xff (a carry out of 32 bits)", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);

	p = b_pkt(&t, PKT_ACK | PKT_PSH, NULL);
	fill(&p, 999, -1);
	p.l4_csum_partial = true;
	out = complete(back(&t, &p));
	expect(lb, "partial csum: TCP from the backend, 999 bytes, completed towards the client",
	       &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED,
	       ZLB_C_CSUM_COMPLETED);

	p = c_pkt(&t, PKT_ACK, NULL);
	fill(&p, 100, -1);
	out = fwd(&t, &p);
	aim_csum_at_zero(&out, &p);
	p.l4_csum_partial = true;
	if (!l4_csum_is(&out, 0))
		fail("partial csum: TCP completed to 0 is sent as 0", "could not aim the checksum");
	else
		expect(lb, "partial csum: TCP completed to 0 is sent as 0", &p, VETH0, XDP_REDIRECT,
		       &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);

	for (size_t len = 45; len <= 1400; len += 1355) {
		p = c_pkt(&t, PKT_ACK | PKT_PSH, NULL);
		fill(&p, len, -1);
		out = fwd(&t, &p);
		snprintf(name, sizeof(name), "partial csum: a complete TCP checksum (%zu bytes) is "
			 "updated, not completed", len);
		expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	}

	/* A complete checksum that happens to equal the pseudo-header sum
	 * looks partial to XDP: recomputed, it keeps its value. The skb of tc
	 * knows it is complete: updated. */
	p = c_pkt(&t, PKT_ACK | PKT_PSH, NULL);
	fill(&p, 200, -1);
	pseudo = aim_csum_at_pseudo(&p);
	out = fwd(&t, &p);
	if (!l4_csum_is(&p, pseudo))
		fail("partial csum: a complete checksum equal to the pseudo-header sum stays right",
		     "could not aim the checksum");
	else
		expect(lb, "partial csum: a complete checksum equal to the pseudo-header sum stays right",
		       &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED,
		       hook_tc ? -1 : ZLB_C_CSUM_COMPLETED);

	p = c_pkt(&u, 0, NULL);
	p.l4_csum_partial = !hook_tc;
	out = complete(fwd(&u, &p));
	expect(lb, hook_tc ? "partial csum: (tc) the UDP flow opens with a complete datagram"
			   : "partial csum: an empty UDP datagram with a partial checksum is completed",
	       &p, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED,
	       hook_tc ? -1 : ZLB_C_CSUM_COMPLETED);
	for (size_t i = 0; i < ARRAY_SIZE(udp_cases); i++) {
		p = c_pkt(&u, 0, NULL);
		fill(&p, udp_cases[i].len, udp_cases[i].pattern);
		p.l4_csum_partial = true;
		out = complete(fwd(&u, &p));
		snprintf(name, sizeof(name), "partial csum: UDP, %zu bytes of payload%s, completed",
			 udp_cases[i].len, udp_cases[i].pattern < 0 ? "" : " all 0xff");
		expect(lb, name, &p, VETH0, XDP_REDIRECT, &out,
		       FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);
	}
	/* 8 + 119 bytes: one whole chunk, then 31 words of 0xffff and 0xff */
	p = c_pkt(&u, 0, NULL);
	out = complete(fwd(&u, &p));
	aim_chunks_at_max(&p, &out, 119);
	p.l4_csum_partial = true;
	expect(lb, "partial csum: UDP, 119 bytes: a 64-byte chunk summing to 0xffffffff, then 63 "
	       "bytes of 0xff (a carry out of 32 bits)", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);

	p = b_pkt(&u, 0, NULL);
	fill(&p, 513, -1);
	p.l4_csum_partial = true;
	out = complete(back(&u, &p));
	expect(lb, "partial csum: UDP from the backend, 513 bytes, completed towards the client",
	       &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED,
	       ZLB_C_CSUM_COMPLETED);

	p = c_pkt(&u, 0, NULL);
	fill(&p, 64, -1);
	out = fwd(&u, &p);
	aim_csum_at_zero(&out, &p);
	p.l4_csum_partial = true;
	if (!l4_csum_is(&out, 0xffff))
		fail("partial csum: UDP completed to 0 is sent as 0xffff", "could not aim the checksum");
	else
		expect(lb, "partial csum: UDP completed to 0 is sent as 0xffff", &p, VETH0,
		       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);

	p = c_pkt(&u, 0, NULL);
	fill(&p, 1400, -1);
	out = fwd(&u, &p);
	expect(lb, "partial csum: a complete UDP checksum (1400 bytes) is updated, not completed",
	       &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
}

/* ---- cases: ICMP errors ------------------------------------------------ */

/* An ICMP error from @from (arriving on veth2 from @smac) to 10.2.0.1,
 * quoting @quoted with @l4_bytes of its L4 part; @mtu in the second half
 * of the rest-of-header word. */
static struct pkt icmp_error(const uint8_t *smac, uint32_t from, uint8_t type, uint8_t code,
			     uint16_t mtu, const struct pkt *quoted, size_t l4_bytes)
{
	struct pkt e = arriving(VETH2, smac, IPPROTO_ICMP, from, 0, LB_SRC, 0);

	e.frag = 0;
	e.tos = 0xc0;                   /* what Linux gives its ICMP errors */
	e.icmp_type = type;
	e.icmp_code = code;
	e.icmp_id = 0;
	e.icmp_seq = mtu;
	pkt_quote(&e, quoted, l4_bytes);
	return e;
}

/* The error as the client must get it: from 10.0.0.1, TTL one less,
 * quoting the client's own packet @orig as it left the load balancer (its
 * TTL one less too: the quote is of the translated packet). */
static struct pkt icmp_to_client(const struct pkt *e, const struct pkt *orig, size_t l4_bytes)
{
	struct pkt o = sent(e, VETH0, client_mac, VIP, 0, CLIENT, 0);
	struct pkt q = *orig;

	q.ttl--;
	pkt_quote(&o, &q, l4_bytes);
	return o;
}

#define ICMP_NAT ZLB_C_RX, ROUTE_CACHED, ZLB_C_ICMP_ERROR_NAT, REDIRECTED

static void test_icmp_errors(const struct lb *lb)
{
	static const uint8_t router_mac[6] = MAC(0x14, 0xfe);
	struct flow t = flow_of(IPPROTO_TCP, 44100, 23, 223);
	struct flow u = flow_of(IPPROTO_UDP, 6200, 53, 5353);
	struct flow z = flow_of(IPPROTO_UDP, 6201, 53, 5353);
	struct pkt syn, syn_out, q, q_out, q0, q0_out, e, out, stray;
	struct zlb_ct_key k;
	struct zlb_ct_entry ce;
	uint16_t csum_client, csum_quoted;
	struct frame f;

	syn = c_pkt(&t, PKT_SYN, NULL);
	syn_out = fwd(&t, &syn);
	quiet = true;
	expect(lb, "icmp error: setup", &syn, VETH0, XDP_REDIRECT, &syn_out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	quiet = false;

	e = icmp_error(backend_mac, BACKEND, 3, 4, 1400, &syn_out, 8);
	out = icmp_to_client(&e, &syn, 8);
	expect(lb, "icmp error: fragmentation needed (MTU 1400) about a TCP flow reaches the client "
	       "from 10.0.0.1, quoting its own SYN (icmp_error_nat)", &e, VETH2, XDP_REDIRECT,
	       &out, ICMP_NAT);

	e = icmp_error(backend_mac, BACKEND, 3, 4, 1400, &syn_out, 1000);
	out = icmp_to_client(&e, &syn, 1000);
	expect(lb, "icmp error: ... quoting the whole segment, its TCP checksum is the client's",
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(router_mac, IP4(10, 2, 0, 254), 11, 0, 0, &syn_out, 8);
	out = icmp_to_client(&e, &syn, 8);
	expect(lb, "icmp error: time exceeded from a router on the backend side is translated "
	       "like destination unreachable", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(backend_mac, BACKEND, 3, 4, 1400, &syn_out, 8);
	e.ttl = 1;
	expect(lb, "icmp error: with TTL 1 it is dropped (drop_ttl)", &e, VETH2, XDP_DROP, NULL,
	       ZLB_C_RX, ZLB_C_DROP_TTL);

	q = c_pkt(&u, 0, "a query of some length");
	q_out = fwd(&u, &q);
	quiet = true;
	expect(lb, "icmp error: setup", &q, VETH0, XDP_REDIRECT, &q_out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	quiet = false;

	e = icmp_error(backend_mac, BACKEND, 3, 4, 1400, &q_out, 8);
	out = icmp_to_client(&e, &q, 8);
	expect(lb, "icmp error: fragmentation needed about a UDP flow reaches the client",
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);
	frame_build(&f, &q);
	csum_client = f.data[f.csum_off] << 8 | f.data[f.csum_off + 1];
	frame_build(&f, &out);
	/* Ethernet, outer IPv4, ICMP header, quoted IPv4, then UDP: checksum at 6 */
	csum_quoted = f.data[14 + 20 + 8 + 20 + 6] << 8 | f.data[14 + 20 + 8 + 20 + 7];
	if (csum_client == csum_quoted)
		report("icmp error: ... whose quoted UDP checksum is the client's datagram's", NULL);
	else
		fail("icmp error: ... whose quoted UDP checksum is the client's datagram's",
		     "0x%04x, client's 0x%04x", csum_quoted, csum_client);

	e = icmp_error(backend_mac, BACKEND, 3, 3, 0, &q_out, 1000);
	out = icmp_to_client(&e, &q, 1000);
	expect(lb, "icmp error: port unreachable quoting the whole datagram is translated",
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(router_mac, IP4(10, 2, 0, 254), 11, 0, 0, &q_out, 8);
	out = icmp_to_client(&e, &q, 8);
	expect(lb, "icmp error: time exceeded about a UDP flow is translated", &e, VETH2,
	       XDP_REDIRECT, &out, ICMP_NAT);

	q0 = c_pkt(&z, 0, "no checksum");
	q0.udp_no_csum = true;
	q0_out = fwd(&z, &q0);
	quiet = true;
	expect(lb, "icmp error: setup", &q0, VETH0, XDP_REDIRECT, &q0_out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	quiet = false;
	e = icmp_error(backend_mac, BACKEND, 3, 3, 0, &q0_out, 8);
	out = icmp_to_client(&e, &q0, 8);
	expect(lb, "icmp error: a quoted UDP checksum 0 (none) stays 0", &e, VETH2, XDP_REDIRECT,
	       &out, ICMP_NAT);

	/* Not a tracked flow: the stack's. */
	stray = arriving(VETH2, backend_mac, IPPROTO_TCP, LB_SRC, ZLB_SNAT_PORT_MIN + 5, BACKEND, 223);
	stray.ttl = 63;
	tcp_seg(&stray, PKT_SYN, 1, 0);
	k = ct_key(BACKEND, 223, LB_SRC, ZLB_SNAT_PORT_MIN + 5, IPPROTO_TCP);
	if (ct_get(lb, &k, &ce)) {
		fail("icmp error: setup", "a flow uses 10.2.0.1:%u", ZLB_SNAT_PORT_MIN + 5);
	} else {
		e = icmp_error(backend_mac, BACKEND, 3, 4, 1400, &stray, 8);
		expect(lb, "icmp error: one quoting a tuple that is not tracked goes to the stack "
		       "untouched", &e, VETH2, XDP_PASS, NULL, PASSED);
	}
}

/* Errors the fuzzer (tests/fuzz) found mistranslated. */
static void test_icmp_error_edges(const struct lb *lb)
{
	struct flow t = flow_of(IPPROTO_TCP, 44110, 23, 223);
	struct flow u = flow_of(IPPROTO_UDP, 6210, 53, 5353);
	struct pkt syn, syn_out, s, s_out, q, q_out, e, out;

	syn = c_pkt(&t, PKT_SYN, NULL);
	syn_out = fwd(&t, &syn);
	q = c_pkt(&u, 0, "ones__");
	q_out = fwd(&u, &q);
	/* the client's checksum computes to 0: it sends 0xffff */
	aim_csum_at_zero(&q, &q_out);
	quiet = true;
	expect(lb, "icmp error edges: setup", &syn, VETH0, XDP_REDIRECT, &syn_out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	expect(lb, "icmp error edges: setup", &q, VETH0, XDP_REDIRECT, &q_out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	quiet = false;

	/* Bytes 16 and 17 after the quoted ports are in the frame but not in
	 * the message: no TCP checksum to translate, and the ICMP checksum
	 * does not cover them. */
	padding = 12;
	e = icmp_error(backend_mac, BACKEND, 3, 4, 1400, &syn_out, 8);
	out = icmp_to_client(&e, &syn, 8);
	expect(lb, "icmp error: Ethernet padding after a quote of 8 TCP bytes leaves untouched, "
	       "the ICMP checksum right", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	/* The quoted ports are only in the frame thanks to the padding. */
	padding = 8;
	e = icmp_error(backend_mac, BACKEND, 3, 4, 1400, &syn_out, 4);
	expect(lb, "icmp error: one whose total length ends inside the quoted ports goes to the "
	       "stack untouched", &e, VETH2, XDP_PASS, NULL, PASSED);
	padding = 0;

	s = c_pkt(&t, PKT_ACK, "data__");
	s_out = fwd(&t, &s);
	aim_csum_at_zero(&s_out, &s);
	e = icmp_error(backend_mac, BACKEND, 3, 4, 1400, &s_out, 1000);
	out = icmp_to_client(&e, &s, 1000);
	if (!l4_csum_is(&s_out, 0))
		fail("icmp error: a quoted TCP checksum 0 is translated like any other",
		     "could not aim the checksum");
	else
		expect(lb, "icmp error: a quoted TCP checksum 0 is translated like any other",
		       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(backend_mac, BACKEND, 3, 3, 0, &q_out, 1000);
	out = icmp_to_client(&e, &q, 1000);
	if (!l4_csum_is(&q, 0xffff))
		fail("icmp error: a quoted UDP checksum that translates to 0 is the client's 0xffff",
		     "could not aim the checksum");
	else
		expect(lb, "icmp error: a quoted UDP checksum that translates to 0 is the client's "
		       "0xffff, never 0 (none)", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);
}

/* Found by the fuzzer: the reply direction went in, then the original
 * direction over it (the same key), and the flow's answers were lost. */
static void test_self_collision(const struct lb *lb)
{
	struct pkt self = arriving(VETH0, hairpin_mac, IPPROTO_ICMP, HAIRPIN, 0, VIP, 0);
	struct pkt req = from_client(IPPROTO_ICMP, 0, VIP, 0);
	struct zlb_ct_key k = ct_key(HAIRPIN, 0x4545, VIP, 0x4545, IPPROTO_ICMP);
	struct zlb_ct_entry e;
	struct pkt out;

	echo(&self, 8, 0x4545, 1);
	expect(lb, "self: the backend's own echo to its service, the same tuple both ways, is "
	       "dropped (drop_ct_insert)", &self, VETH0, XDP_DROP, NULL,
	       FLOW_REFUSED, ROUTED, ZLB_C_DROP_CT_INSERT);
	report("self: ... and leaves no entry", ct_get(lb, &k, &e) ? "an entry is left" : NULL);

	echo(&req, 8, 0x4545, 1);
	out = sent(&req, VETH0, hairpin_mac, VIP, 0, HAIRPIN, 0);
	expect(lb, "self: a client's echo with the same identifier goes to that backend",
	       &req, VETH0, XDP_TX, &out, FLOW_NEW, ROUTE_CACHED, BOUNCED, ZLB_C_NEIGH_LEARNED);
}

/* ---- cases: traffic counters ------------------------------------------- */

static void test_traffic_counters(const struct lb *lb)
{
	struct flow f = flow_of(IPPROTO_TCP, 44200, 23, 223);
	struct zlb_traffic svc0, svc1, be0, svc0_a, svc1_a, be0_a;
	struct zlb_if_traffic if0, if2, if0_a, if2_a;
	__u64 bytes_c = 0, bytes_b = 0, want0[5], want2[5];
	struct pkt pk[5], out, lost;
	struct frame fr;
	bool ok = true;

	pk[0] = c_pkt(&f, PKT_SYN, NULL);
	pk[1] = b_pkt(&f, PKT_SYN | PKT_ACK, NULL);
	pk[2] = c_pkt(&f, PKT_ACK | PKT_PSH, "GET / HTTP/1.0\r\n\r\n");
	pk[3] = b_pkt(&f, PKT_ACK | PKT_PSH, "HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n");
	pk[4] = c_pkt(&f, PKT_ACK, "x");
	if (traffic_get(lb, ZLB_M_SVC_STATS, SVC_TELNET, &svc0) ||
	    traffic_get(lb, ZLB_M_SVC_STATS, SVC_DNS, &svc1) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_TELNET, 0), &be0) ||
	    if_traffic_get(lb, SLOT_VETH0, &if0) || if_traffic_get(lb, SLOT_VETH2, &if2)) {
		fail("counters: setup", "reading the traffic maps: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < 5; i++) {
		bool client = i % 2 == 0 || i == 4;

		frame_build(&fr, &pk[i]);
		*(client ? &bytes_c : &bytes_b) += fr.len;
		out = client ? fwd(&f, &pk[i]) : back(&f, &pk[i]);
		quiet = true;
		if (i == 0)
			ok &= expect(lb, "counters: setup", &pk[i], VETH0, XDP_REDIRECT, &out,
				     FLOW_NEW, ROUTE_CACHED, REDIRECTED);
		else
			ok &= expect(lb, "counters: setup", &pk[i], client ? VETH0 : VETH2,
				     XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		quiet = false;
	}
	if (!ok ||
	    traffic_get(lb, ZLB_M_SVC_STATS, SVC_TELNET, &svc0_a) ||
	    traffic_get(lb, ZLB_M_SVC_STATS, SVC_DNS, &svc1_a) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_TELNET, 0), &be0_a) ||
	    if_traffic_get(lb, SLOT_VETH0, &if0_a) || if_traffic_get(lb, SLOT_VETH2, &if2_a)) {
		fail("counters: setup", "a packet went wrong or the maps could not be read");
		return;
	}
	check_traffic("counters: a SYN, its answer and 3 data packets: the service counts 5 packets, "
		      "their bytes and 1 new flow", &svc0, &svc0_a, 5, bytes_c + bytes_b, 1);
	check_traffic("counters: ... and so does its backend", &be0, &be0_a, 5, bytes_c + bytes_b, 1);
	check_traffic("counters: ... another service counts nothing", &svc1, &svc1_a, 0, 0, 0);
	/* 3 packets in on veth0 out on veth2; 2 in on veth2, out on veth0 */
	want0[0] = 3, want0[1] = bytes_c, want0[2] = 2, want0[3] = bytes_b, want0[4] = 0;
	want2[0] = 2, want2[1] = bytes_b, want2[2] = 3, want2[3] = bytes_c, want2[4] = 0;
	check_if_traffic("counters: veth0 received the client's packets and sent the backend's",
			 &if0, &if0_a, want0);
	check_if_traffic("counters: veth2 received the backend's packets and sent the client's",
			 &if2, &if2_a, want2);

	/* A drop counts where the packet arrived, and for no service. */
	lost = arriving(VETH2, backend_mac, IPPROTO_TCP, BACKEND, 223, LB_SRC, ZLB_SNAT_PORT_MAX - 1);
	tcp_seg(&lost, PKT_ACK, 1, 1);
	frame_build(&fr, &lost);
	if2 = if2_a;
	svc0 = svc0_a;
	expect(lb, "counters: setup (a lost reply)", &lost, VETH2, XDP_DROP, NULL,
	       ZLB_C_RX, ZLB_C_DROP_REPLY_NO_FLOW);
	if (if_traffic_get(lb, SLOT_VETH2, &if2_a) ||
	    traffic_get(lb, ZLB_M_SVC_STATS, SVC_TELNET, &svc0_a)) {
		fail("counters: setup", "reading the traffic maps: %s", strerror(errno));
		return;
	}
	want2[0] = 1, want2[1] = fr.len, want2[2] = 0, want2[3] = 0, want2[4] = 1;
	check_if_traffic("counters: a packet dropped on arrival counts in veth2's rx and drops",
			 &if2, &if2_a, want2);
	check_traffic("counters: ... and in no service", &svc0, &svc0_a, 0, 0, 0);
}

/* ---- cases: Maglev ----------------------------------------------------- */

/* The backend address (host order) the table of 10.0.0.1:@vport gives
 * client port @cport; 0: none. */
static uint32_t maglev_pick(const struct lb *lb, const struct maglev_view *t, uint16_t cport)
{
	struct zlb_backend be;

	if (maglev_backend(lb, t, zlb_flow_hash(htonl(CLIENT), htons(cport), IPPROTO_TCP), &be))
		return 0;
	return zlb_addr_is_v4(&be.addr) ? ntohl(be.addr.v4) : 0;
}

#define NWEIGHTED 3
#define SYN_FRAME_LEN 54        /* Ethernet, IPv4, TCP: no options, no data */

static const uint32_t weighted_addr[NWEIGHTED + 1] = {
	IP4(10, 2, 0, 11), IP4(10, 2, 0, 12), IP4(10, 2, 0, 13), IP4(10, 2, 0, 14),
};
static const uint8_t weighted_mac[NWEIGHTED + 1][6] = {
	MAC(0x14, 0x11), MAC(0x14, 0x12), MAC(0x14, 0x13), MAC(0x14, 0x14),
};

struct spread {
	unsigned int n[NWEIGHTED + 1];  /* new flows per backend (index in weighted_addr) */
	unsigned int bad, off_table;
	char first_bad[384];
	long long delta[ZLB_C_MAX];
	uint16_t port_on[NWEIGHTED + 1], sport_on[NWEIGHTED + 1];  /* a flow on each */
};

/* Send SYNs from @count client ports starting at @first to 10.0.0.1:@vport;
 * each must leave translated to one of the backends at port @bport, the one
 * the service's Maglev table names for it. */
static void spread_syns(const struct lb *lb, uint16_t vport, uint16_t bport, uint16_t first,
			unsigned int count, struct spread *s)
{
	struct maglev_view t = { .fd = -1 };
	bool have_table = !maglev_open(lb, a4(VIP), vport, &t);

	memset(s, 0, sizeof(*s));
	if (!have_table)
		snprintf(s->first_bad, sizeof(s->first_bad), "cannot read the Maglev table");
	for (unsigned int i = 0; i < count; i++) {
		uint16_t cport = first + i, sport, dport;
		struct pkt syn = from_client(IPPROTO_TCP, cport, VIP, vport), out;
		uint32_t saddr, daddr;
		struct result r;
		struct frame wf;
		int b;

		tcp_seg(&syn, PKT_SYN, 7, 0);
		if (run(lb, &syn, VETH0, &r)) {
			s->bad++;
			continue;
		}
		for (int c = 0; c < ZLB_C_MAX; c++)
			s->delta[c] += r.delta[c];
		if (r.verdict != hook_verdict(XDP_REDIRECT) ||
		    frame_tuple(r.out.data, r.out.len, &saddr, &sport, &daddr, &dport)) {
			if (!s->bad++)
				snprintf(s->first_bad, sizeof(s->first_bad), "port %u: verdict %s",
					 cport, verdict_name(r.verdict));
			continue;
		}
		for (b = 0; b <= NWEIGHTED && weighted_addr[b] != daddr; b++)
			;
		if (b > NWEIGHTED || saddr != LB_SRC || sport < ZLB_SNAT_PORT_MIN ||
		    sport > ZLB_SNAT_PORT_MAX) {
			if (!s->bad++)
				snprintf(s->first_bad, sizeof(s->first_bad),
					 "port %u: left as %u.%u.%u.%u:%u -> %u.%u.%u.%u:%u", cport,
					 saddr >> 24, (saddr >> 16) & 255, (saddr >> 8) & 255,
					 saddr & 255, sport, daddr >> 24, (daddr >> 16) & 255,
					 (daddr >> 8) & 255, daddr & 255, dport);
			continue;
		}
		out = sent(&syn, VETH2, weighted_mac[b], LB_SRC, sport, daddr, bport);
		frame_build(&wf, &out);
		if (r.out.len != wf.len || memcmp(r.out.data, wf.data, wf.len)) {
			if (!s->bad++) {
				snprintf(s->first_bad, sizeof(s->first_bad), "port %u: frame out differs",
					 cport);
				frame_diff(stdout, "#   ", wf.data, wf.len, r.out.data, r.out.len);
			}
			continue;
		}
		if (!have_table || maglev_pick(lb, &t, cport) != daddr)
			s->off_table++;
		if (!s->n[b]++) {
			s->port_on[b] = cport;
			s->sport_on[b] = sport;
		}
	}
	if (have_table)
		close(t.fd);
}

/* The counters of @count new flows, @lookups of whose routes were not
 * cached yet. */
static void check_spread_counters(const char *name, const struct spread *s, long long count,
				  long long lookups)
{
	long long want[ZLB_C_MAX] = {};
	struct problems p = {};

	want[ZLB_C_RX] = want[ZLB_C_CT_MISS] = want[ZLB_C_NEW_FLOW] = count;
	want[ZLB_C_FORWARD] = want[ZLB_C_REDIRECT] = count;
	want[ZLB_C_FIB_LOOKUP] = lookups;
	want[ZLB_C_FIB_CACHE_HIT] = count - lookups;
	for (int c = 0; c < ZLB_C_MAX; c++)
		if (s->delta[c] != want[c])
			add(&p, "%s %+lld (want %+lld)", counter_names[c], s->delta[c], want[c]);
	report(name, p.n ? p.text : NULL);
}

static void test_maglev(struct lb *lb)
{
	static const unsigned int weight[NWEIGHTED] = { 1, 1, 2 };
	const unsigned int total = 2000, weight_sum = 4;
	struct zlb_traffic before[NWEIGHTED + 1], after[NWEIGHTED + 1];
	struct zlb_err err = {};
	uint16_t drain_port, drain_sport;
	struct spread s;
	struct pkt p, out;
	char name[256];

	for (int b = 0; b < NWEIGHTED; b++)
		if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, b), &before[b])) {
			fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
			return;
		}
	spread_syns(lb, 26, 2626, 50000, total, &s);
	drain_port = s.port_on[2];
	drain_sport = s.sport_on[2];
	if (s.bad)
		fail("maglev: 2000 SYNs from 2000 ports each leave translated to one backend",
		     "%u did not (first: %s)", s.bad, s.first_bad);
	else
		report("maglev: 2000 SYNs from 2000 ports each leave translated to one backend", NULL);
	if (s.off_table)
		fail("maglev: ... the one the service's table names for the flow's hash",
		     "%u flows went elsewhere", s.off_table);
	else
		report("maglev: ... the one the service's table names for the flow's hash", NULL);
	check_spread_counters("maglev: ... 2000 new flows, a route lookup per backend",
			      &s, total, NWEIGHTED);
	/* 2000 flows is a small sample (sd of a 1/4 share: ~19 flows, ~4%);
	 * the flows, hence the result, are the same on every run. */
	for (int b = 0; b < NWEIGHTED; b++) {
		double want = (double)total * weight[b] / weight_sum;

		snprintf(name, sizeof(name), "maglev: 10.2.0.%u (weight %u) gets %.0f%% of the new "
			 "flows within 10%% (small sample: 2000 flows)", 11 + b, weight[b],
			 100.0 * weight[b] / weight_sum);
		if (s.n[b] >= want * 0.9 && s.n[b] <= want * 1.1)
			report(name, NULL);
		else
			fail(name, "%u of %u, want %.0f +- %.0f", s.n[b], total, want, want * 0.1);
		if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, b), &after[b]))
			fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
		else {
			snprintf(name, sizeof(name), "maglev: ... and zlb_be_stats counts its %u new flows",
				 s.n[b]);
			check_traffic(name, &before[b], &after[b], s.n[b], s.n[b] * (__u64)SYN_FRAME_LEN, s.n[b]);
		}
	}

	/* A backend of weight 0 gets nothing. */
	if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 0), &before[0]) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 1), &before[1])) {
		fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
		return;
	}
	spread_syns(lb, 27, 2727, 52000, 300, &s);
	if (s.bad || s.n[0] != 300)
		fail("maglev: 300 SYNs to a service whose second backend has weight 0 all go to the "
		     "first", "%u to 10.2.0.11, %u to 10.2.0.14, %u wrong (%s)", s.n[0], s.n[3],
		     s.bad, s.first_bad);
	else
		report("maglev: 300 SYNs to a service whose second backend has weight 0 all go to the "
		       "first", NULL);
	check_spread_counters("maglev: ... 300 new flows", &s, 300, 0);
	if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 0), &after[0]) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 1), &after[1])) {
		fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
		return;
	}
	check_traffic("maglev: ... zlb_be_stats: the weight-0 backend has no new flow",
		      &before[1], &after[1], 0, 0, 0);
	check_traffic("maglev: ... and the other all 300", &before[0], &after[0], 300, 300ULL * SYN_FRAME_LEN, 300);

	/* Draining by a reload: weight 0 for 10.2.0.13. Its flows stay. */
	if (!drain_port) {
		fail("maglev: drain", "no flow went to 10.2.0.13");
		return;
	}
	if (lb_reload(lb, depth_drain_conf, &err)) {
		fail("maglev: drain: reload with 10.2.0.13 at weight 0", "%s", err.msg);
		return;
	}
	p = arriving(VETH2, weighted_mac[2], IPPROTO_TCP, weighted_addr[2], 2626, LB_SRC,
		     drain_sport);
	tcp_seg(&p, PKT_SYN | PKT_ACK, 77, 8);
	out = sent(&p, VETH0, client_mac, VIP, 26, CLIENT, drain_port);
	/* a load empties the route cache: routed anew */
	expect(lb, "maglev: drain: after a reload that sets 10.2.0.13's weight to 0, its flow's "
	       "SYN-ACK still reaches the client", &p, VETH2, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTED, REDIRECTED);
	p = from_client(IPPROTO_TCP, drain_port, VIP, 26);
	tcp_seg(&p, PKT_ACK, 8, 78);
	with_data(&p, "still here");
	out = sent(&p, VETH2, weighted_mac[2], LB_SRC, drain_sport, weighted_addr[2], 2626);
	expect(lb, "maglev: drain: ... and the client's data still goes to 10.2.0.13", &p,
	       VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);
	if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, 2), &before[2])) {
		fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
		return;
	}
	spread_syns(lb, 26, 2626, 53000, 500, &s);
	if (s.bad || s.n[2] || s.off_table)
		fail("maglev: drain: 500 new SYNs go to 10.2.0.11 and .12 as the new table says, none "
		     "to 10.2.0.13", "%u/%u/%u, %u wrong (%s), %u off the table", s.n[0], s.n[1],
		     s.n[2], s.bad, s.first_bad, s.off_table);
	else
		report("maglev: drain: 500 new SYNs go to 10.2.0.11 and .12 as the new table says, none "
		       "to 10.2.0.13", NULL);
	if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, 2), &after[2]))
		fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
	else if (after[2].new_flows != before[2].new_flows)
		fail("maglev: drain: ... zlb_be_stats: no new flow for 10.2.0.13", "%+lld",
		     (long long)(after[2].new_flows - before[2].new_flows));
	else
		report("maglev: drain: ... zlb_be_stats: no new flow for 10.2.0.13", NULL);
}

static void test_depth(struct lb *lb)
{
	struct zlb_meta meta;

	test_meta_defaults(lb, &meta);
	test_tcp_state(lb);
	test_expiry(lb, &meta);
	test_state_timeouts(lb, &meta);
	test_eviction(lb, &meta);
	test_partial_csum(lb);
	test_icmp_errors(lb);
	test_icmp_error_edges(lb);
	test_traffic_counters(lb);
	test_maglev(lb);
}

/* ---- cases: a full connection table ------------------------------------ */

/* With three times more flows than the table holds, every new flow still
 * gets through (the least recently used entries make room), the table never
 * holds more than its size, and the answer to a flow whose entries were
 * pushed out is dropped, never handed up or sent to someone else. */
static void test_full_table(const struct lb *lb)
{
	int fd = lb->maps.fd[ZLB_M_CONNTRACK], forwarded = 0, answered = 0, lost = 0, wrong = 0;
	struct zlb_ct_key k, *prev = NULL;
	unsigned int entries = 0;
	char detail[160];

	for (int i = 0; i < 3072; i++) {
		struct pkt p = from_client(IPPROTO_UDP, 20000 + i, VIP, 53);
		struct result r;

		with_data(&p, "fill");
		if (!run(lb, &p, VETH0, &r) && r.verdict == hook_verdict(XDP_REDIRECT))
			forwarded++;
	}
	snprintf(detail, sizeof(detail), "%d of 3072 forwarded", forwarded);
	if (forwarded == 3072)
		report("full table: 3072 new flows through a table of 1024 entries all go out", NULL);
	else
		fail("full table: 3072 new flows through a table of 1024 entries all go out", "%s", detail);
	while (bpf_map_get_next_key(fd, prev, &k) == 0) {
		entries++;
		prev = &k;
	}
	if (entries <= 1024)
		report("full table: it never holds more than its 1024 entries", NULL);
	else
		fail("full table: it never holds more than its 1024 entries", "%u entries", entries);
	/* The earliest flows: their answers are translated right or dropped.
	 * Only flows whose first port no other flow hashed to: the others may
	 * have moved on to the next port of the range. */
	for (int i = 0, tried = 0; tried < 64 && i < 3072; i++) {
		uint16_t port = snat_port(CLIENT, 20000 + i, IPPROTO_UDP);
		struct pkt a = from_backend(IPPROTO_UDP, 5353, LB_SRC, 20000 + i);
		struct pkt want;
		struct result r;
		int shared = 0;

		for (int j = 0; j < 3072; j++)
			shared += j != i && snat_port(CLIENT, 20000 + j, IPPROTO_UDP) == port;
		if (shared)
			continue;
		tried++;

		with_data(&a, "late");
		want = to_client(&a, 53);
		if (run(lb, &a, VETH2, &r))
			continue;
		if (r.verdict == hook_verdict(XDP_DROP) && r.delta[ZLB_C_DROP_REPLY_NO_FLOW] == 1) {
			lost++;
		} else {
			struct frame f;

			frame_build(&f, &want);
			if (r.verdict == hook_verdict(XDP_REDIRECT) && f.len == r.out.len &&
			    !memcmp(f.data, r.out.data, f.len))
				answered++;
			else
				wrong++;
		}
	}
	snprintf(detail, sizeof(detail), "%d answered, %d dropped, %d otherwise", answered, lost, wrong);
	if (!wrong && answered + lost == 64)
		report("full table: answers to the earliest flows are translated or dropped (drop_reply_no_flow), never passed", NULL);
	else
		fail("full table: answers to the earliest flows are translated or dropped (drop_reply_no_flow), never passed", "%s", detail);
	printf("# full table: of the 64 earliest flows %d were still tracked, %d pushed out\n",
	       answered, lost);
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct lb main_lb, nofibsrc_lb, depth_lb, small_lb, self_lb;
	struct zlb_err err = {};

	if (argc != 3 || (strcmp(argv[2], "xdp") && strcmp(argv[2], "tc"))) {
		fprintf(stderr, "usage: %s BPF_OBJECT xdp|tc (run through tests/unit/packets.sh)\n",
			argv[0]);
		return 99;
	}
	hook_tc = !strcmp(argv[2], "tc");
	zlb_log_init("test_packets");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setup_ports())
		return 99;
	if (lb_open(&main_lb, argv[1], true, main_conf, &err) ||
	    lb_open(&nofibsrc_lb, argv[1], false, nofibsrc_conf, &err) ||
	    lb_open(&depth_lb, argv[1], true, depth_conf, &err) ||
	    lb_open(&small_lb, argv[1], true, small_ct_conf, &err) ||
	    lb_open(&self_lb, argv[1], true, hairpin_echo_conf, &err)) {
		fprintf(stderr, "test_packets: %s\n", err.msg);
		return 99;
	}

	test_tcp_flow(&main_lb);
	test_udp_flow(&main_lb);
	test_configured_source(&main_lb);
	test_icmp_echo(&main_lb);
	test_refused(&main_lb);
	test_neighbour_miss(&main_lb);
	test_hairpin(&main_lb);
	test_routes(&main_lb);
	test_not_ours(&main_lb);
	test_arp(&main_lb);
	test_vlan_and_options(&main_lb);
	test_same_source_port(&main_lb);
	test_source_ports_exhausted(&main_lb);
	test_fib_cache_age(&main_lb);
	test_no_fib_source(&nofibsrc_lb);
	test_depth(&depth_lb);
	test_full_table(&small_lb);
	test_self_collision(&self_lb);
	test_ipv6(argv[1]);

	lb_close(&self_lb);
	lb_close(&small_lb);
	lb_close(&depth_lb);
	lb_close(&nofibsrc_lb);
	lb_close(&main_lb);
	printf("test_packets %s: %d passed, %d failed, %d skipped\n", argv[2], passed, failed,
	       skipped);
	return failed ? 1 : 0;
}
