/* SPDX-License-Identifier: GPL-2.0 */
/* ICMP and ICMPv6 errors about tracked flows. A backend (or a router on its side)
 * that cannot take a packet of ours answers our source address, quoting
 * that packet. The client must get the error as if the service had sent
 * it, quoting the packet the client sent -- or path-MTU discovery breaks.
 * The same holds the other way: a client's error about an answer of ours
 * goes to the backend, quoting what the backend sent. */
#ifndef ZLB_BPF_ICMP_H
#define ZLB_BPF_ICMP_H

#include "parse.h"
#include "csum.h"
#include "conntrack.h"

/* Rewrite the quoted packet of @pkt (ours: source -> backend, or service
 * -> client) into the one the other side sent (client -> service, or
 * backend -> source) from entry @e (the reply's, or the original's: the
 * quote swapped is its key), keeping the ICMP(v6)
 * checksum, the quoted IPv4 header's checksum and the quoted L4 checksum
 * (when quoted) right. The outer addresses, and for ICMPv6 the
 * pseudo-header part of its checksum, are nat_rewrite()'s. */
static __always_inline void icmp_error_inner_nat(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
						 const struct zlb_ct_entry *e)
{
	__sum16 *icmp_check = pkt->l4 + 2;   /* ICMP and ICMPv6 alike */
	__be16 *ports = pkt->inner_ports;
	void *end = ctx_data_end(ctx);
	union zlb_addr in_s, in_d;
	__sum16 *l4check = NULL;
	__u32 addr_diff, port_diff, icmp_diff;
	struct iphdr *in4 = NULL;
	struct ipv6hdr *in6 = NULL;

	if ((void *)(icmp_check + 1) > end || (void *)(ports + 4) > end)
		return;
	if (pkt->family == 4) {
		in4 = pkt->inner;
		if ((void *)(in4 + 1) > end)
			return;
		zlb_addr_set_v4(&in_s, in4->saddr);
		zlb_addr_set_v4(&in_d, in4->daddr);
	} else {
		in6 = pkt->inner;
		if ((void *)(in6 + 1) > end)
			return;
		__builtin_memcpy(&in_s, &in6->saddr, 16);
		__builtin_memcpy(&in_d, &in6->daddr, 16);
	}
	if (pkt->inner_proto == IPPROTO_UDP)
		l4check = (__sum16 *)&ports[3];
	else if ((void *)ports + 18 <= end && in_ip_len(pkt, ports, 18))
		l4check = (__sum16 *)((void *)ports + 16);
	if (l4check && (void *)(l4check + 1) > end)
		l4check = NULL;

	addr_diff = csum_addr_diff(csum_addr_diff(0, &in_s, &e->daddr), &in_d, &e->saddr);
	port_diff = csum_diff16(csum_diff16(0, ports[0], e->dport), ports[1], e->sport);
	/* The ICMP(v6) checksum covers the quote: the addresses, the ports,
	 * and the checksums in it. */
	icmp_diff = addr_diff + port_diff;
	/* UDP's 0 is "no checksum"; TCP's is a checksum */
	if (l4check && (*l4check || pkt->inner_proto == IPPROTO_TCP)) {
		__sum16 old = *l4check;

		csum_apply_diff(l4check, addr_diff + port_diff);
		/* as the client sent it: a computed 0 as 0xffff */
		if (pkt->inner_proto == IPPROTO_UDP && !*l4check)
			*l4check = 0xffff;
		icmp_diff = csum_diff16(icmp_diff, old, *l4check);
	}
	ports[0] = e->dport;
	ports[1] = e->sport;
	if (pkt->family == 4 && in4) {
		__sum16 old = in4->check;

		csum_replace4(&in4->check, in4->saddr, e->daddr.v4);
		csum_replace4(&in4->check, in4->daddr, e->saddr.v4);
		icmp_diff = csum_diff16(icmp_diff, old, in4->check);
		in4->saddr = e->daddr.v4;
		in4->daddr = e->saddr.v4;
	} else if (pkt->family == 6 && in6) {
		__builtin_memcpy(&in6->saddr, &e->daddr, 16);
		__builtin_memcpy(&in6->daddr, &e->saddr, 16);
	}
	csum_apply_diff(icmp_check, icmp_diff);
}

#endif
