// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of what only IPv4 has: fragments by the IP header's flags
 * (an IPv4 load balancer leaves a later fragment to the stack), ARP, IP
 * options, and an IPv6 frame to a load balancer with IPv4 services only.
 * The cases both families have are in test_flows.c and test_depth.c.
 */
#include <arpa/inet.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "scenario.h"

static const union zlb_addr arper = ADDR4(10, 2, 0, 9);         /* only ever seen in an ARP reply */
static const union zlb_addr stranger = ADDR4(10, 0, 0, 77);     /* beyond veth1 */
static const uint8_t arper_mac[6] = MAC(0x12, 0x09);

/* ---- cases: fragments -------------------------------------------------- */

static void test_fragments(const struct lb *lb)
{
	struct pkt frag = from_client(IPPROTO_TCP, 40102, VIP, 23);
	struct pkt later = from_client(IPPROTO_UDP, 5003, VIP, 53);

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

/* ---- cases: what goes to the stack untouched --------------------------- */

static void test_ipv6_frame(const struct lb *lb)
{
	static const uint8_t ipv6_udp[48] = {
		0x60, 0, 0, 0, 0, 8, 17, 64,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x9c, 0x40, 0x00, 0x17, 0x00, 0x08, 0x00, 0x00,
	};
	struct pkt v6 = from_client(0, 0, VIP, 0);

	v6.kind = PKT_RAW;
	v6.ethertype = 0x86dd;
	pkt_set_payload(&v6, ipv6_udp, sizeof(ipv6_udp));
	expect(lb, "pass: an IPv6 frame", &v6, VETH0, XDP_PASS, NULL, PASSED);
}

static struct pkt arp(int port, const uint8_t *sha, uint16_t op, union zlb_addr spa,
		      union zlb_addr tpa)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct pkt p = { .kind = PKT_ARP, .arp_op = op, .spa = ntohl(spa.v4), .tpa = ntohl(tpa.v4) };

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
	struct pkt other = arp(VETH1, stranger_mac, 1, stranger, VIP);
	struct pkt reply = arp(VETH2, arper_mac, 2, arper, LB_SRC);
	union zlb_addr client = CLIENT;

	/* A new flow of the client taught zlb_neigh its MAC already: start
	 * from nothing, so that the ARP request teaches it. */
	bpf_map_delete_elem(lb->maps.fd[ZLB_M_NEIGH], &client);
	expect(lb, "arp: a request on veth0 goes to the stack untouched",
	       &req, VETH0, XDP_PASS, NULL, ZLB_C_RX, ZLB_C_NEIGH_LEARNED, ZLB_C_PASS);
	check_neigh(lb, "arp: ... and zlb_neigh learns its sender", CLIENT, client_mac, VETH0);

	expect(lb, "arp: the same request again learns nothing new",
	       &req, VETH0, XDP_PASS, NULL, PASSED);

	expect(lb, "arp: a request on an interface zon-lb is not on goes to the stack",
	       &other, VETH1, XDP_PASS, NULL, PASSED);
	check_neigh(lb, "arp: ... and teaches zlb_neigh nothing", stranger, NULL, VETH1);

	expect(lb, "arp: a reply from 10.2.0.9 on veth2 goes to the stack untouched",
	       &reply, VETH2, XDP_PASS, NULL, ZLB_C_RX, ZLB_C_NEIGH_LEARNED, ZLB_C_PASS);
	check_neigh(lb, "arp: ... and zlb_neigh learns 10.2.0.9", arper, arper_mac, VETH2);
}

/* ---- cases: frames with more in them ----------------------------------- */

static void test_ip_options(const struct lb *lb)
{
	static const uint8_t router_alert[4] = { 0x94, 0x04, 0x00, 0x00 };
	struct pkt opts = from_client(IPPROTO_TCP, 40401, VIP, 23);
	struct pkt out, err, err_out, quote;

	tcp_seg(&opts, PKT_SYN, 1, 0);
	memcpy(opts.ip_opts, router_alert, sizeof(router_alert));
	opts.ip_optlen = sizeof(router_alert);
	out = to_backend(&opts, 223);
	expect(lb, "ipv4: a SYN with IP options is forwarded with them",
	       &opts, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	/* The backend's "fragmentation needed" quotes the SYN as it got it,
	 * options and all: the client must get it about its own SYN. */
	err = arriving(VETH2, backend_mac, IPPROTO_ICMP, LB_SRC, 0, LB_SRC, 0);
	err.saddr = ntohl(BACKEND.v4);
	err.frag = 0;
	err.tos = 0xc0;
	err.icmp_type = 3;
	err.icmp_code = 4;
	err.icmp_seq = 1200;
	pkt_quote(&err, &out, 8);
	quote = opts;
	quote.ttl--;
	err_out = sent(&err, VETH0, client_mac, VIP, 0, CLIENT, 0);
	pkt_quote(&err_out, &quote, 8);
	expect(lb, "ipv4: fragmentation needed quoting a SYN with IP options reaches the client, "
	       "quoting the client's SYN (icmp_error_nat)", &err, VETH2, XDP_REDIRECT, &err_out,
	       ZLB_C_RX, ROUTE_CACHED, ZLB_C_ICMP_ERROR_NAT, REDIRECTED);
}

void test_ipv4_only(const struct lb *lb, const char *path)
{
	test_fragments(lb);
	test_ipv6_frame(lb);
	test_arp(lb);
	test_ip_options(lb);
}
