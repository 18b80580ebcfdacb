/* SPDX-License-Identifier: GPL-2.0 */
/* The few places where the packet path touches its hook, for XDP: packet
 * bounds, ingress interface, verdicts, FIB lookup, L4 checksum updates and
 * sending. ctx_tc.h gives the same for tc. */
#ifndef ZLB_CTX_XDP_H
#define ZLB_CTX_XDP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include "maps.h"
#include "csum.h"

#define zlb_ctx xdp_md

enum zlb_verdict {
	ZLB_PASS = XDP_PASS,
	ZLB_DROP = XDP_DROP,
	ZLB_REDIRECT = XDP_REDIRECT,
};

static __always_inline void *ctx_data(struct zlb_ctx *ctx)
{
	return (void *)(long)ctx->data;
}

static __always_inline void *ctx_data_end(struct zlb_ctx *ctx)
{
	return (void *)(long)ctx->data_end;
}

static __always_inline __u64 ctx_len(struct zlb_ctx *ctx)
{
	return ctx_data_end(ctx) - ctx_data(ctx);
}

static __always_inline __u32 ctx_ifindex(struct zlb_ctx *ctx)
{
	return ctx->ingress_ifindex;
}

/* Nothing to make reachable: an XDP frame is one linear buffer. */
static __always_inline void ctx_prepare(struct zlb_ctx *ctx)
{
}

/* Whether the packet leaves as several (GSO): never for an XDP frame. */
static __always_inline int ctx_is_gso(struct zlb_ctx *ctx)
{
	return 0;
}

/* @params->tot_len holds the IP total length: the MTU check. */
static __always_inline long ctx_fib_lookup(struct zlb_ctx *ctx,
					   struct bpf_fib_lookup *params, __u32 flags)
{
	return bpf_fib_lookup(ctx, params, sizeof(*params), flags);
}

#include "stats.h"   /* count(): after the verdicts it needs */

/* Bounds every L4 offset below: the parser takes an L4 header up to 512
 * bytes in (IPv6 extension headers), its checksum field lies up to 16
 * bytes further. */
#define ZLB_L4_OFF_MASK 0x3ff

/* Complete the partial checksum of @u's segment (addresses already
 * rewritten): the pseudo-header sum goes in the field, then the sum over
 * the whole segment is folded into it. */
static __always_inline int l4_csum_complete(void *data, void *end, __sum16 *check,
					    const struct zlb_l4_update *u)
{
	struct ipv6hdr *ip6 = data + (u->l3_off & 0xff);
	struct iphdr *iph = (void *)ip6;
	__s64 sum;

	if (!u->ipv6) {
		if ((void *)(iph + 1) > end)
			return -1;
		*check = csum_pseudo(iph->saddr, iph->daddr, u->proto, u->len);
	} else {
		if ((void *)(ip6 + 1) > end)
			return -1;
		*check = csum_pseudo6(ip6->saddr.in6_u.u6_addr32, ip6->daddr.in6_u.u6_addr32,
				      u->proto, u->len);
	}
	sum = csum_bytes(data + (u->l4_off & ZLB_L4_OFF_MASK), end, u->len);
	if (sum < 0)
		return -1;
	*check = ~csum_fold32(sum);
	if (u->proto == IPPROTO_UDP && !*check)
		*check = 0xffff;
	count(ZLB_C_CSUM_COMPLETED);
	return 0;
}

/* Apply @u to the L4 checksum. XDP has no checksum state: a partial
 * checksum -- left for the "hardware" by a veth sender -- is the folded
 * pseudo-header sum, and is completed; a complete one that happens to look
 * the same is recomputed to the same value. A function of its own: the
 * verifier checks its loops and branches once, not on every path that
 * leads here. */
__attribute__((noinline))
int zlb_l4_update(struct zlb_ctx *ctx, const struct zlb_l4_update *u)
{
	void *data = ctx_data(ctx), *end = ctx_data_end(ctx);
	__sum16 *check;

	if (!u)
		return -1;
	/* The mask bounds the offset for the verifier whatever the compiler
	 * does with the compare (32-bit with -mcpu=v3). */
	check = data + (u->check_off & ZLB_L4_OFF_MASK);
	if (u->check_off > ZLB_L4_OFF_MASK || (void *)(check + 1) > end)
		return -1;
	if ((u->proto == IPPROTO_TCP || u->proto == IPPROTO_UDP) && *check == u->pseudo)
		return l4_csum_complete(data, end, check, u);
	csum_apply_diff(check, u->addr_diff);
	csum_apply_diff(check, u->port_diff);
	/* a computed 0 is sent as 0xffff (RFC 768) */
	if (u->proto == IPPROTO_UDP && !*check)
		*check = 0xffff;
	return 0;
}

static __always_inline void ctx_l4_update(struct zlb_ctx *ctx, const struct zlb_l4_update *u)
{
	zlb_l4_update(ctx, u);
}

/* Whether ctx_send() can send along @route. */
static __always_inline int ctx_can_send(struct zlb_ctx *ctx, const struct zlb_fib_entry *route)
{
	__u32 ifindex = route->ifindex;

	return ifindex == ctx_ifindex(ctx) || bpf_map_lookup_elem(&zlb_tx_ports, &ifindex);
}

/* Send along @route: back out of the ingress interface (*@back set), or
 * through the devmap of configured interfaces. An interface missing from
 * the devmap is not ours to send on: -1. Back out of a veth goes through
 * the devmap too: veth hands an XDP_TX frame to its peer without waking
 * the peer's NAPI unless the peer runs XDP, so behind a peer with only GRO
 * on it would wait in the ring for unrelated traffic, or for ever. The
 * flag is tested only on the way back: a redirect costs what it did. */
static __always_inline int ctx_send(struct zlb_ctx *ctx, const struct zlb_fib_entry *route,
				    int *back)
{
	long ret;

	*back = route->ifindex == ctx_ifindex(ctx);
	if (*back && !(route->if_flags & ZLB_IF_F_VETH))
		return XDP_TX;
	ret = bpf_redirect_map(&zlb_tx_ports, route->ifindex, 0);
	return ret == XDP_REDIRECT ? ZLB_REDIRECT : -1;
}

#endif
