// SPDX-License-Identifier: GPL-2.0
/*
 * The reference flows of the packet tests and their edges, written once and
 * run for each family (scenario.h): a TCP flow both ways, a UDP flow,
 * echo, what opens no flow, next hops, what goes to the stack, tags, two
 * clients on one port, a full SNAT range, the route cache and a kernel
 * without BPF_FIB_LOOKUP_SRC.
 *
 * The route cache outlives the cases, so whether a packet looks its route
 * up or finds it cached is fixed by their order (test_packets.c runs them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "scenario.h"
#include "zlb_ct.h"
#include "zlb_hash.h"

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
	struct pkt ttl1_back = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 1000, 0);
	out = to_backend(&syn, 223);
	/* The client's first flow also teaches zlb_neigh its MAC. */
	expect(lb, named("tcp: a SYN to %s leaves as %s -> %s", at(VIP, 23),
			 at(LB_SRC, out.sport), at(BACKEND, 223)),
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);
	check_neigh(lb, "tcp: ... and zlb_neigh learns the client's MAC from it", CLIENT, client_mac,
		    VETH0);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 5000, 1001);
	out = to_client(&synack, 23);
	expect(lb, named("tcp: the backend's SYN-ACK reaches the client from %s", at(VIP, 23)),
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
	expect(lb, named("tcp: %s 2 leaves with %s 1", fam->ttl, fam->ttl),
	       &ttl2, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&ttl1, PKT_ACK, 1013, 5019);
	ttl1.ttl = 1;
	expect(lb, named("tcp: %s 1 on a tracked flow is dropped (drop_ttl)", fam->ttl),
	       &ttl1, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);

	tcp_seg(&ttl1_back, PKT_ACK, 5019, 1013);
	ttl1_back.ttl = 1;
	expect(lb, named("tcp: %s 1 from the backend is dropped too (drop_ttl)", fam->ttl),
	       &ttl1_back, VETH2, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);
}

static void test_udp_flow(const struct lb *lb)
{
	struct pkt q = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt a = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt q0 = from_client(IPPROTO_UDP, 5001, VIP, 53);
	struct pkt a0 = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5001);
	struct pkt q0_open = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt edge = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt ones = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt out;

	with_data(&q, "query");
	out = to_backend(&q, 5353);
	expect(lb, named("udp: a datagram to %s leaves as %s -> %s", at(VIP, 53),
			 at(LB_SRC, out.sport), at(BACKEND, 5353)),
	       &q, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a, "answer");
	out = to_client(&a, 53);
	expect(lb, named("udp: the backend's answer reaches the client from %s", at(VIP, 53)),
	       &a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	/* Never a checksum made up (nor an incremental update of 0, which
	 * would make a right one by chance now and then). */
	with_data(&q0, "no checksum");
	q0.udp_no_csum = true;
	out = to_backend(&q0, 5353);
	expect(lb, named("udp: checksum 0 (%s) stays 0 towards the backend", fam->udp_zero),
	       &q0, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a0, "none either");
	a0.udp_no_csum = true;
	out = to_client(&a0, 53);
	expect(lb, named("udp: checksum 0 (%s) stays 0 towards the client", fam->udp_zero),
	       &a0, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	with_data(&q0_open, "no checksum");
	q0_open.udp_no_csum = true;
	out = to_backend(&q0_open, 5353);
	expect(lb, "udp: ... and in a flow that opened with checksums",
	       &q0_open, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

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
	expect(lb, named("udp: a configured source (%s) wins over the FIB's", host(SNAT_SRC)),
	       &q, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a, "from snat");
	out = to_client(&a, 54);
	expect(lb, "udp: the answer to the configured source reaches the client",
	       &a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
}

/* The ICMPv6 checksum covers the addresses: it changes with them. */
static void test_icmp_echo(const struct lb *lb)
{
	struct pkt req = from_client(ICMP, 0, VIP, 0);
	struct pkt rep = from_backend(ICMP, 0, LB_SRC, 0);
	struct pkt backend_req = from_backend(ICMP, 0, LB_SRC, 0);
	struct pkt stray = from_client(ICMP, 0, VIP, 0);
	struct pkt out;

	echo(&req, fam->echo_request, 0x4242, 1);
	out = to_backend(&req, 0);
	expect(lb, named("icmp: an echo request to %s goes to the first service's backend",
			 host(VIP)),
	       &req, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	echo(&rep, fam->echo_reply, 0x4242, 1);
	out = to_client(&rep, 0);
	expect(lb, named("icmp: the echo reply reaches the client from %s", host(VIP)),
	       &rep, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	echo(&backend_req, fam->echo_request, 0x4242, 7);
	expect(lb, "icmp: an echo request from the backend with a tracked id is no reply",
	       &backend_req, VETH2, XDP_PASS, NULL, PASSED);

	echo(&stray, fam->echo_reply, 0x9999, 1);
	expect(lb, named("icmp: an echo reply to %s nobody asked for goes to the stack", host(VIP)),
	       &stray, VETH0, XDP_PASS, NULL, PASSED);
}

/* ---- cases: what opens no flow ----------------------------------------- */

/* Fragments: test_packets4.c and test_packets6.c. */
static void test_refused(const struct lb *lb)
{
	struct pkt ack = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt rst = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt synack = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt ttl1 = from_client(IPPROTO_TCP, 40101, VIP, 23);

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
	expect(lb, named("tcp: a SYN with %s 1 is dropped (drop_ttl)", fam->ttl),
	       &ttl1, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);
}

/* ---- cases: next hops -------------------------------------------------- */

static void test_neighbour_miss(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40200, VIP, 25);
	const char *name = named("neigh: zlb_neigh gives the MAC the FIB lacks (%s)",
				 host(UNRESOLVED));
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 7000, 0);
	expect(lb, "neigh: a backend without any neighbour entry is dropped (drop_no_neigh)",
	       &syn, VETH0, XDP_DROP, NULL,
	       FLOW_REFUSED, ROUTED, ZLB_C_NEIGH_MISS, ZLB_C_DROP_NO_NEIGH);

	if (neigh_add(lb, UNRESOLVED, unresolved_mac, VETH2)) {
		fail(name, "zlb_neigh update: %s", strerror(errno));
		return;
	}
	out = sent(&syn, VETH2, unresolved_mac, LB_SRC, snat_port(CLIENT, 40200, IPPROTO_TCP),
		   UNRESOLVED, 225);
	expect(lb, name, &syn, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTED, ZLB_C_NEIGH_MISS, REDIRECTED);
}

static void test_hairpin(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40300, VIP, 24);
	struct pkt synack = arriving(VETH0, hairpin_mac, IPPROTO_TCP, HAIRPIN, 224, VIP,
				     snat_port(CLIENT, 40300, IPPROTO_TCP));
	struct pkt out;

	/* The FIB's source towards the hairpin backend is veth0's address. */
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

	big.payload_len = fam->route_mtu + 100;
	memset(big.payload, 'x', big.payload_len);
	expect(lb, named("route: larger than the route's MTU (%u) is dropped (drop_frag_needed)",
			 fam->route_mtu),
	       &big, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_FRAG_NEEDED);

	with_data(&small, "fits");
	out = sent(&small, VETH2, small_mtu_mac, LB_SRC, snat_port(CLIENT, 5100, IPPROTO_UDP),
		   SMALL_MTU, 5555);
	expect(lb, "route: a datagram that fits the MTU goes through",
	       &small, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED);
	/* twice more: an IPv4 flow is memoized with its route after its
	 * second packet, and the third takes the memo */
	for (int i = 0; i < 2; i++)
		expect(lb, named("route: ... and again (%d of 2; an IPv4 flow takes the flow memo by the second)",
				 i + 1),
		       &small, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	/* the flow's route is cached now (and memoized): both keep the MTU
	 * check */
	expect(lb, named("route: larger than the MTU (%u) on the cached route is dropped too",
			 fam->route_mtu),
	       &big, VETH0, XDP_DROP, NULL, FLOW_HIT, ROUTE_CACHED, ZLB_C_DROP_FRAG_NEEDED);

	with_data(&lost, "nowhere");
	expect(lb, named("route: a backend without a route (%s) is dropped (drop_fib)",
			 host(fam->no_route)),
	       &lost, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_FIB);

	/* No flow is recorded for a packet that cannot leave. */
	with_data(&other, "veth3");
	expect(lb, "route: a backend behind an interface zon-lb is not on is dropped (drop_no_tx_port)",
	       &other, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_NO_TX_PORT);
}

/* ---- cases: what goes to the stack untouched --------------------------- */

static void test_not_ours(const struct lb *lb)
{
	static const uint8_t zeros[40 + 8];
	struct pkt port80 = from_client(IPPROTO_TCP, 40500, VIP, 80);
	struct pkt elsewhere = from_client(IPPROTO_TCP, 40501, OTHER, 23);
	struct pkt udp23 = from_client(IPPROTO_UDP, 40502, VIP, 23);
	struct pkt ping9 = from_client(ICMP, 0, OTHER, 0);
	struct pkt blank = from_client(ICMP, 0, VIP, 0);
	struct pkt unreach = from_client(ICMP, 0, VIP, 0);
	struct pkt quoted = from_client(IPPROTO_TCP, 40504, OTHER, 80);
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

	echo(&ping9, fam->echo_request, 0x4343, 1);
	expect(lb, "pass: an echo request to another address",
	       &ping9, VETH0, XDP_PASS, NULL, PASSED);

	/* an error quotes a header: here one of zeros, no IP header at all */
	blank.icmp_type = fam->port_unreach.type;
	blank.icmp_code = fam->port_unreach.code;
	pkt_set_payload(&blank, zeros, fam->ip_hdr + 8);
	expect(lb, "pass: an ICMP error to the service address",
	       &blank, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&quoted, PKT_SYN, 1, 0);
	unreach.icmp_type = fam->port_unreach.type;
	unreach.icmp_code = fam->port_unreach.code;
	pkt_quote(&unreach, &quoted, 8);
	expect(lb, "pass: an ICMP error to the service address about no flow",
	       &unreach, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&tagged, PKT_SYN, 1, 0);
	tagged.vlan = true;
	tagged.vlan_tci = 100;
	expect(lb, "pass: a VLAN-tagged frame to another port",
	       &tagged, VETH0, XDP_PASS, NULL, PASSED);
}

/* ---- cases: frames with more in them ----------------------------------- */

/* Neither the tag nor the IP header's traffic class (IPv6: and flow label)
 * is removed or changed: they leave as they came. */
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
	expect(lb, "vlan: a tagged SYN with a traffic class (IPv6: and a flow label) is forwarded "
	       "with them as they came", &tagged, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
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
	uint16_t a_sport = snat_port(CLIENT, 41000, IPPROTO_TCP), b_sport, b_dport;
	union zlb_addr b_src, b_dst;
	struct result r;

	/* The kernel has no neighbour for the second client; zlb-arp gave it. */
	if (neigh_add(lb, CLIENT2, client2_mac, VETH0)) {
		fail("collision: setup", "zlb_neigh update: %s", strerror(errno));
		return;
	}
	tcp_seg(&syn_a, PKT_SYN, 100, 0);
	out = to_backend(&syn_a, 223);
	expect(lb, named("collision: client %s opens a flow", at(CLIENT, 41000)),
	       &syn_a, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	/* Whatever tuple the load balancer picks for the second flow, the
	 * frame must be the SYN translated to it. */
	tcp_seg(&syn_b, PKT_SYN, 200, 0);
	if (run(lb, &syn_b, VETH0, &r)) {
		fail(name_b, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return;
	}
	if (out_tuple(&r, &b_src, &b_sport, &b_dst, &b_dport)) {
		fail(name_b, "verdict %s, no TCP frame of the family out", verdict_name(r.verdict));
		return;
	}
	out = sent(&syn_b, VETH2, backend_mac, b_src, b_sport, BACKEND, 223);
	judge(name_b, &r, XDP_REDIRECT, &out, COUNTERS(FLOW_NEW, ROUTE_CACHED, REDIRECTED));
	if (same_addr(b_src, LB_SRC) && b_sport == a_sport)
		fail("collision: ... with a backend-side tuple of its own",
		     "both flows leave as %s -> %s", at(LB_SRC, a_sport), at(BACKEND, 223));
	else if (b_sport < ZLB_SNAT_PORT_MIN || b_sport > ZLB_SNAT_PORT_MAX)
		fail("collision: ... with a backend-side tuple of its own",
		     "source port %u outside the SNAT range", b_sport);
	else
		report("collision: ... with a backend-side tuple of its own", NULL);

	tcp_seg(&ans_a, PKT_SYN | PKT_ACK, 300, 101);
	out = to_client(&ans_a, 23);
	expect(lb, named("collision: the answer to the first tuple reaches %s", host(CLIENT)),
	       &ans_a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	ans_b = arriving(VETH2, backend_mac, IPPROTO_TCP, BACKEND, 223, b_src, b_sport);
	tcp_seg(&ans_b, PKT_SYN | PKT_ACK, 400, 201);
	out = sent(&ans_b, VETH0, client2_mac, VIP, 23, CLIENT2, 41000);
	expect(lb, named("collision: the answer to the second tuple reaches %s (zlb_neigh)",
			 host(CLIENT2)),
	       &ans_b, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, ZLB_C_NEIGH_MISS, REDIRECTED);
}

/* Every backend-side tuple the data plane may try is taken: the flow is
 * refused and counted, never given another flow's tuple. */
static void test_source_ports_exhausted(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 42000, VIP, 23), out;
	struct zlb_ct_entry taken = { .dir = ZLB_CT_DIR_REPLY };
	struct zlb_ct_key key = ct_key(BACKEND, 223, LB_SRC, 0, IPPROTO_TCP);
	/* live flows: just seen */
	taken.last_seen_ns = monotonic_ns();
	for (uint32_t port = ZLB_SNAT_PORT_MIN; port <= ZLB_SNAT_PORT_MAX; port++) {
		key.dport = htons(port);
		if (zlb_ct_update(&lb->maps, &key, &taken, BPF_ANY)) {
			fail("snat: setup", "connection table update: %s", strerror(errno));
			return;
		}
	}
	tcp_seg(&syn, PKT_SYN, 1, 0);
	expect(lb, "snat: with every source port taken a SYN is dropped (drop_snat_busy)",
	       &syn, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTE_CACHED, ZLB_C_DROP_SNAT_BUSY);
	for (uint32_t port = ZLB_SNAT_PORT_MIN; port <= ZLB_SNAT_PORT_MAX; port++) {
		key.dport = htons(port);
		zlb_ct_delete(&lb->maps, &key);
	}
	out = to_backend(&syn, 223);
	expect(lb, "snat: once ports are free again the same SYN gets its first port",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

/* Each family's flows in a table of its own, under the key the ABI gives
 * it (zlb_abi.h: struct zlb_ct_key4 for IPv4, struct zlb_ct_key for the
 * rest), and nothing in the other family's table. The short key is built
 * here byte by byte, not with zlb_ct.h. After test_tcp_flow(): its flow
 * CLIENT:40000 -> VIP:23 -> BACKEND:223 is tracked. */
static void test_table_of_family(const struct lb *lb)
{
	const bool v4 = fam == &ipv4;
	int fd = lb->maps.fd[v4 ? ZLB_M_CONNTRACK4 : ZLB_M_CONNTRACK];
	int other = lb->maps.fd[v4 ? ZLB_M_CONNTRACK : ZLB_M_CONNTRACK4];
	const char *table = v4 ? ZLB_MAP_CONNTRACK4 : ZLB_MAP_CONNTRACK;
	struct zlb_ct_key k = ct_key(CLIENT, 40000, VIP, 23, IPPROTO_TCP), any;
	unsigned char k4[16] = { 0 }, r4[16] = { 0 };
	struct zlb_ct_entry e, r;
	struct problems p = {};
	const void *key, *rkey;
	struct zlb_ct_key rk;

	memcpy(k4, &CLIENT.w[3], 4);
	memcpy(k4 + 4, &VIP.w[3], 4);
	k4[8] = 40000 >> 8, k4[9] = 40000 & 0xff;
	k4[10] = 0, k4[11] = 23;
	k4[12] = IPPROTO_TCP;
	key = v4 ? (const void *)k4 : (const void *)&k;
	if (bpf_map_lookup_elem(fd, key, &e)) {
		add(&p, "no entry for the client's tuple in %s: %s", table, strerror(errno));
	} else {
		if (e.dir != ZLB_CT_DIR_ORIG || !zlb_addr_equal(&e.daddr, &BACKEND) ||
		    e.dport != htons(223) || !zlb_addr_equal(&e.saddr, &LB_SRC))
			add(&p, "the client's entry is not the flow to %s", at(BACKEND, 223));
		rk = ct_key(BACKEND, 223, LB_SRC, ntohs(e.sport), IPPROTO_TCP);
		memcpy(r4, &BACKEND.w[3], 4);
		memcpy(r4 + 4, &LB_SRC.w[3], 4);
		r4[8] = 0, r4[9] = 223;
		memcpy(r4 + 10, &e.sport, 2);
		r4[12] = IPPROTO_TCP;
		rkey = v4 ? (const void *)r4 : (const void *)&rk;
		if (bpf_map_lookup_elem(fd, rkey, &r))
			add(&p, "no entry for the backend's tuple in %s: %s", table, strerror(errno));
		else if (r.dir != ZLB_CT_DIR_REPLY || !zlb_addr_equal(&r.daddr, &CLIENT) ||
			 r.dport != htons(40000))
			add(&p, "the backend's entry is not the way back to %s", at(CLIENT, 40000));
	}
	if (bpf_map_get_next_key(other, NULL, &any) == 0)
		add(&p, "the other family's table (%s) holds an entry",
		    v4 ? ZLB_MAP_CONNTRACK : ZLB_MAP_CONNTRACK4);
	else if (errno != ENOENT)
		add(&p, "reading the other family's table: %s", strerror(errno));
	report(named("tcp: the flow's two entries are in %s under %d-byte keys, the other "
		     "table is empty", table, v4 ? 16 : (int)sizeof(k)), p.n ? p.text : NULL);
}

void test_flows(const struct lb *lb)
{
	test_tcp_flow(lb);
	test_table_of_family(lb);
	test_udp_flow(lb);
	test_configured_source(lb);
	test_icmp_echo(lb);
	test_refused(lb);
	test_neighbour_miss(lb);
	test_hairpin(lb);
	test_routes(lb);
	test_not_ours(lb);
	test_vlan(lb);
	test_same_source_port(lb);
	test_source_ports_exhausted(lb);
}

/* ---- cases: the route cache -------------------------------------------- */

/* Set the backend's MAC in the kernel's neighbour table. */
static int backend_neigh(const char *mac)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip neigh replace %s lladdr %s dev veth2 nud permanent",
		 host(BACKEND), mac);
	return system(cmd);
}

/* Every CPU's copy of the zlb_fib_cache slot of @dst (a per-CPU array):
 * the number of CPUs, or -1 with errno. */
static int fib_slot_read(int fd, const union zlb_addr *dst, struct zlb_fib_entry *v, int max)
{
	__u32 slot = zlb_fib_slot(dst->w);
	int n = libbpf_num_possible_cpus();

	if (n < 1 || n > max) {
		errno = n < 1 ? -n : E2BIG;
		return -1;
	}
	return bpf_map_lookup_elem(fd, &slot, v) ? -1 : n;
}

/* Set the expiry of the route every CPU's flow memo keeps for the flow of
 * @k (when it is an IPv4 flow, and memoized) to @expires_ns. 0, or -1 with
 * errno. */
static int memo_age_route(const struct lb *lb, struct zlb_ct_key k, __u64 expires_ns)
{
	static struct zlb_flow_memo m[1024];
	__u32 slot = memo_slot_of_key(&k);
	int n;

	if (!zlb_ct_key_is_v4(&k))
		return 0;
	n = memo_slot_read(lb, slot, m, 1024);
	if (n < 0)
		return -1;
	for (int c = 0; c < n; c++)
		if (memo_holds(&m[c], &k))
			m[c].route.expires_ns = expires_ns;
	return bpf_map_update_elem(lb->maps.fd[ZLB_M_FLOW_MEMO], &slot, m, BPF_ANY);
}

/* The FIB cache answers for a bounded time (settings.fib_cache_ms): within
 * it a neighbour's new MAC is not seen, after it the FIB is asked again. */
void test_fib_cache_age(const struct lb *lb)
{
	static const uint8_t moved_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x99, 0x02 };
	struct pkt first = from_client(IPPROTO_UDP, 5100, VIP, 53);
	struct pkt again = from_client(IPPROTO_UDP, 5100, VIP, 53);
	struct pkt later = from_client(IPPROTO_UDP, 5100, VIP, 53);
	int fd = lb->maps.fd[ZLB_M_FIB_CACHE], ncpus, held = 0;
	static struct zlb_fib_entry v[1024];
	union zlb_addr dst = BACKEND;
	__u32 slot = zlb_fib_slot(dst.w);
	struct timespec now;
	struct pkt out;
	long long left = 0;

	with_data(&first, "cache 1");
	out = to_backend(&first, 5353);
	expect(lb, "fib cache: a flow to the backend is routed", &first, VETH0,
	       XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ncpus = fib_slot_read(fd, &dst, v, 1024);
	if (ncpus < 0) {
		fail(named("fib cache: slot %u of %s", slot, host(BACKEND)), "%s", strerror(errno));
		return;
	}
	for (int i = 0; i < ncpus; i++) {
		if (!zlb_addr_equal(&v[i].daddr, &dst))
			continue;
		held++;
		left = (long long)v[i].expires_ns - (now.tv_sec * 1000000000LL + now.tv_nsec);
	}
	/* The harness runs every packet on one CPU (test_packets.c). */
	if (held == 1 && left > 0 && left <= 3600000LL * 1000000)
		report("fib cache: one CPU's slot holds the route, expiring within fib_cache_ms (1 h here)",
		       NULL);
	else
		fail("fib cache: one CPU's slot holds the route, expiring within fib_cache_ms (1 h here)",
		     "%d CPUs hold it, expires in %lld ns", held, left);

	if (backend_neigh("02:00:00:00:99:02")) {
		fail("fib cache: setup", "ip neigh replace failed");
		return;
	}
	with_data(&again, "cache 2");
	out = to_backend(&again, 5353);
	expect(lb, "fib cache: within its age the cached MAC is used", &again, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	/* Let the entry's age run out: its expiry a second ago (a
	 * CLOCK_MONOTONIC time; the data plane reads that clock at the
	 * kernel's tick, a few ms behind). */
	for (int i = 0; i < ncpus; i++)
		v[i].expires_ns = now.tv_sec * 1000000000ULL + now.tv_nsec - 1000000000ULL;
	bpf_map_update_elem(fd, &slot, v, BPF_ANY);
	/* and the copy a flow memo keeps of it (zlb_flow_memo: IPv4 flows) */
	if (memo_age_route(lb, ct_key(CLIENT, 5100, VIP, 53, IPPROTO_UDP), v[0].expires_ns))
		fail("fib cache: setup", "aging the flow memo's route: %s", strerror(errno));
	with_data(&later, "cache 3");
	out = sent(&later, VETH2, moved_mac, LB_SRC, snat_port(CLIENT, 5100, IPPROTO_UDP), BACKEND, 5353);
	expect(lb, "fib cache: after its age the FIB gives the new MAC", &later, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);

	if (backend_neigh("02:00:00:00:00:03"))
		fail(named("fib cache: restoring %s's MAC", host(BACKEND)), "ip neigh replace failed");
	memset(v, 0, sizeof(v));
	bpf_map_update_elem(fd, &slot, v, BPF_ANY);
}

/* ---- cases: a kernel without BPF_FIB_LOOKUP_SRC ------------------------ */

void test_no_fib_source(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt synack = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt hairpin = from_client(IPPROTO_TCP, 40300, VIP, 24);
	struct pkt out;

	/* The FIB gives no source here: veth2's can only come from the map. */
	tcp_seg(&syn, PKT_SYN, 1000, 0);
	out = to_backend(&syn, 223);
	expect(lb, named("no fib src: the SYN leaves with the source zlb-load wrote (%s)",
			 host(LB_SRC)),
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 5000, 1001);
	out = to_client(&synack, 23);
	expect(lb, "no fib src: the SYN-ACK reaches the client",
	       &synack, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);

	tcp_seg(&hairpin, PKT_SYN, 8000, 0);
	out = sent(&hairpin, VETH0, hairpin_mac, VIP, snat_port(CLIENT, 40300, IPPROTO_TCP),
		   HAIRPIN, 224);
	expect(lb, named("no fib src: the hairpin backend's source is the route's (%s)", host(VIP)),
	       &hairpin, VETH0, XDP_TX, &out, FLOW_NEW, ROUTED, BOUNCED);
}
