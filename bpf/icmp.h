/* SPDX-License-Identifier: GPL-2.0 */
/* ICMP errors about tracked flows. A backend (or a router on its side)
 * that cannot take a packet of ours answers our source address, quoting
 * that packet. The client must get the error as if the service had sent
 * it, quoting the packet the client sent -- or path-MTU discovery breaks. */
#ifndef ZLB_BPF_ICMP_H
#define ZLB_BPF_ICMP_H

#include "parse.h"
#include "csum.h"
#include "conntrack.h"

/* Rewrite the quoted packet of @pkt (ours: source -> backend) into the
 * client's (client -> service) from reply entry @e, keeping the ICMP
 * checksum, the quoted IP checksum and the quoted L4 checksum (when
 * quoted) right. */
static __always_inline void icmp_error_inner_nat(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
						 const struct zlb_ct_entry *e)
{
	struct icmphdr *icmp = pkt->l4;
	struct iphdr *in = pkt->inner;
	__be16 *ports = pkt->inner_ports;
	void *end = ctx_data_end(ctx);
	__sum16 *l4check = NULL, old_ipcheck, old_l4check = 0;

	if ((void *)(icmp + 1) > end || (void *)(in + 1) > end || (void *)(ports + 4) > end)
		return;
	if (in->protocol == IPPROTO_UDP)
		l4check = (__sum16 *)&ports[3];
	else if ((void *)ports + 18 <= end && in_ip_len(pkt, ports, 18))
		l4check = (__sum16 *)((void *)ports + 16);
	if (l4check && (void *)(l4check + 1) > end)
		l4check = NULL;
	if (l4check) {
		old_l4check = *l4check;
		/* UDP's 0 is "no checksum"; TCP's is a checksum */
		if (*l4check || in->protocol == IPPROTO_TCP) {
			csum_replace4(l4check, in->saddr, e->daddr);
			csum_replace4(l4check, in->daddr, e->saddr);
			csum_replace2(l4check, ports[0], e->dport);
			csum_replace2(l4check, ports[1], e->sport);
			/* as the client sent it: a computed 0 as 0xffff */
			if (in->protocol == IPPROTO_UDP && !*l4check)
				*l4check = 0xffff;
		}
		csum_replace2(&icmp->checksum, old_l4check, *l4check);
	}
	csum_replace2(&icmp->checksum, ports[0], e->dport);
	csum_replace2(&icmp->checksum, ports[1], e->sport);
	ports[0] = e->dport;
	ports[1] = e->sport;

	old_ipcheck = in->check;
	csum_replace4(&in->check, in->saddr, e->daddr);
	csum_replace4(&in->check, in->daddr, e->saddr);
	csum_replace2(&icmp->checksum, old_ipcheck, in->check);
	csum_replace4(&icmp->checksum, in->saddr, e->daddr);
	csum_replace4(&icmp->checksum, in->daddr, e->saddr);
	in->saddr = e->daddr;
	in->daddr = e->saddr;
}

#endif
