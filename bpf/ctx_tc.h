/* SPDX-License-Identifier: GPL-2.0 */
/* The ctx_* helpers for the tc build (clsact ingress, direct action): the
 * packet is an skb, which keeps its checksum state and GSO. Packet bounds
 * are the linear part; L4 checksums go through bpf_l4_csum_replace(), which
 * updates a partial checksum's pseudo-header sum (and skb->csum) the way
 * the stack does, so nothing is ever "completed" here; sending uses
 * bpf_redirect_peer() into a veth peer in another namespace, bpf_redirect()
 * otherwise. */
#ifndef ZLB_CTX_TC_H
#define ZLB_CTX_TC_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <linux/in.h>

#include "maps.h"
#include "csum.h"

#define zlb_ctx __sk_buff

enum zlb_verdict {
	ZLB_PASS = TC_ACT_OK,
	ZLB_DROP = TC_ACT_SHOT,
	ZLB_REDIRECT = TC_ACT_REDIRECT,
};

/* Headers the parser may read: Ethernet and a VLAN tag, then the longer
 * of IPv4 with options and an ICMP error quoting IPv4 with options and 20
 * bytes of L4 (60 + 8 + 60 + 20), and IPv6 with 64 bytes of extension
 * headers and an ICMPv6 error quoting IPv6 and 20 bytes of L4
 * (40 + 64 + 8 + 40 + 20).
 *
 * An ICMPv6 error's own extension headers and its quote's share those 64
 * bytes: with E bytes of them in all, a paged skb pulled to these 190
 * bytes holds the quoted ports (and the error is translated) when E is at
 * most 80 (76 behind a VLAN tag), and the quoted TCP checksum (which is
 * then translated too, else left as it was quoted) when E is at most 70
 * (66). A quote's ports beyond the pulled bytes: the error goes to the
 * stack. Only paged skbs are concerned (a NIC's, whose linear part holds
 * the headers its driver saw); a local stack's ICMPv6 error is usually
 * linear. Pulling
 * more for every packet would cost the established flows' paged ones. */
#define ZLB_TC_HEADERS (14 + 4 + 172)

static __always_inline void *ctx_data(struct zlb_ctx *ctx)
{
	return (void *)(long)ctx->data;
}

static __always_inline void *ctx_data_end(struct zlb_ctx *ctx)
{
	return (void *)(long)ctx->data_end;
}

/* The whole packet, a GSO one included, not only its linear part. */
static __always_inline __u64 ctx_len(struct zlb_ctx *ctx)
{
	return ctx->len;
}

static __always_inline __u32 ctx_ifindex(struct zlb_ctx *ctx)
{
	return ctx->ifindex;
}

/* Make the headers direct packet access can reach. A stack's skb usually
 * holds them in its linear part already; a paged one (a GSO segment built
 * from pages) gets them pulled. */
static __always_inline void ctx_prepare(struct zlb_ctx *ctx)
{
	__u32 linear = ctx->data_end - ctx->data;

	if (linear < ctx->len && linear < ZLB_TC_HEADERS)
		bpf_skb_pull_data(ctx, ctx->len < ZLB_TC_HEADERS ? ctx->len : ZLB_TC_HEADERS);
}

/* Whether the packet leaves as several (GSO): the device or the GSO
 * layer cuts it to the MTU. */
static __always_inline int ctx_is_gso(struct zlb_ctx *ctx)
{
	return ctx->gso_size != 0;
}

/* @params->tot_len holds the IP total length: the route's MTU is checked
 * against it. A GSO packet leaves in segments: its 64 KiB total must not be
 * refused, so for it tot_len is 0 and the skb version checks the segments
 * against the egress device's MTU instead. */
static __always_inline long ctx_fib_lookup(struct zlb_ctx *ctx,
					   struct bpf_fib_lookup *params, __u32 flags)
{
	if (ctx->gso_size)
		params->tot_len = 0;
	return bpf_fib_lookup(ctx, params, sizeof(*params), flags);
}

/* Linux 6.16's flag: an IPv6 pseudo-header change leaves a
 * CHECKSUM_COMPLETE skb->csum as it is (no header checksum to balance it).
 * Older kernels refuse it (-EINVAL, nothing changed): then without. */
#define ZLB_BPF_F_IPV6 (1ULL << 7)

/* Apply @u to the L4 checksum the kernel's way: the skb knows whether its
 * checksum is partial, and a partial one takes only the pseudo-header
 * change (and stays partial, for the device or the GSO layer). Invalidates
 * every packet pointer: called after the last direct write. */
static __always_inline void ctx_l4_update(struct zlb_ctx *ctx, const struct zlb_l4_update *u)
{
	__u64 f = u->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;

	/* A checksum the kernel has verified (CHECKSUM_UNNECESSARY: a NIC's
	 * offload, or GRO's check) is neither partial nor summed in
	 * skb->csum: the field takes the whole change in place, like the
	 * headers before it, and no helper call is needed. */
	if (bpf_csum_level(ctx, BPF_CSUM_LEVEL_QUERY) >= 0) {
		__sum16 *check = ctx_data(ctx) + (u->check_off & 0x1ff);

		if (u->check_off <= 0x1ff && (void *)(check + 1) <= ctx_data_end(ctx)) {
			csum_apply_diff(check, u->addr_diff);
			csum_apply_diff(check, u->port_diff);
			/* a computed 0 is sent as 0xffff (RFC 768) */
			if (u->proto == IPPROTO_UDP && !*check)
				*check = 0xffff;
			return;
		}
	}

	if (!u->ipv6 ||
	    bpf_l4_csum_replace(ctx, u->check_off, 0, u->addr_diff,
				f | BPF_F_PSEUDO_HDR | ZLB_BPF_F_IPV6))
		bpf_l4_csum_replace(ctx, u->check_off, 0, u->addr_diff, f | BPF_F_PSEUDO_HDR);
	if (u->port_diff)
		bpf_l4_csum_replace(ctx, u->check_off, 0, u->port_diff, f);
}

/* Whether ctx_send() can send along @route: out of a configured
 * interface. */
static __always_inline int ctx_can_send(struct zlb_ctx *ctx, const struct zlb_fib_entry *route)
{
	return route->ifindex == ctx_ifindex(ctx) || route->if_slot;
}

/* Send along @route (*@back: out of the ingress interface). Into a veth
 * whose peer is in another namespace, the packet goes straight to the
 * peer's ingress (no backlog queue, no second pass through this
 * namespace): the route carries the interface's flags. */
static __always_inline int ctx_send(struct zlb_ctx *ctx, const struct zlb_fib_entry *route,
				    int *back)
{
	__u32 ifindex = route->ifindex;

	*back = ifindex == ctx_ifindex(ctx);
	if (*back)
		return bpf_redirect(ifindex, 0);
	if (!route->if_slot)
		return -1;
	if (route->if_flags & ZLB_IF_F_PEER_NS)
		return bpf_redirect_peer(ifindex, 0);
	return bpf_redirect(ifindex, 0);
}

#endif
