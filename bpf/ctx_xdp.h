/* SPDX-License-Identifier: GPL-2.0 */
/* The few places where the packet path touches its hook, for XDP: packet
 * bounds, ingress interface, verdicts, FIB lookup, L4 checksum updates and
 * sending. ctx_tc.h gives the same for tc. */
#ifndef ZLB_CTX_XDP_H
#define ZLB_CTX_XDP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

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

/* @params->tot_len holds the IP total length: the MTU check. */
static __always_inline long ctx_fib_lookup(struct zlb_ctx *ctx,
					   struct bpf_fib_lookup *params, __u32 flags)
{
	return bpf_fib_lookup(ctx, params, sizeof(*params), flags);
}

/* Whether the L4 checksum *@check (of a packet whose pseudo-header sums to
 * @pseudo) is partial, left for the "hardware" by a veth sender. XDP has no
 * checksum state: a partial checksum is the folded pseudo-header sum; a
 * complete one that happens to look the same is recomputed to the same
 * value. The caller then completes it (zlb_l4_csum_complete). */
static __always_inline int ctx_l4_partial(struct zlb_ctx *ctx, const __sum16 *check,
					  __u16 pseudo)
{
	return *check == pseudo;
}

#define ZLB_CSUM_PSEUDO (1 << 0)  /* the word is in the pseudo-header */
#define ZLB_CSUM_UDP    (1 << 1)  /* a UDP checksum: 0 means none, sent as 0xffff */

/* Update the L4 checksum at offset @off for a 4-byte (address) or 2-byte
 * (port) word changed from @from to @to. Called after every direct write
 * of the packet (ctx_tc.h's helper invalidates packet pointers). */
static __always_inline void ctx_l4_csum_replace(struct zlb_ctx *ctx, __u32 off, __u32 from,
						__u32 to, int size, int flags)
{
	/* The mask bounds the offset for the verifier whatever the compiler
	 * does with the compare (32-bit with -mcpu=v3). */
	__sum16 *check = ctx_data(ctx) + (off & 0xff);

	if (off > 0xff || (void *)(check + 1) > ctx_data_end(ctx))
		return;
	if (size == 4)
		csum_replace4(check, from, to);
	else
		csum_replace2(check, from, to);
	/* a computed 0 is sent as 0xffff (RFC 768) */
	if ((flags & ZLB_CSUM_UDP) && !*check)
		*check = 0xffff;
}

/* Whether ctx_send() can send out of @ifindex. */
static __always_inline int ctx_can_send(struct zlb_ctx *ctx, __u32 ifindex)
{
	return ifindex == ctx_ifindex(ctx) || bpf_map_lookup_elem(&zlb_tx_ports, &ifindex);
}

/* Send out of @ifindex: back out of the ingress interface (*@back set), or
 * through the devmap of configured interfaces. An interface missing from
 * the devmap is not ours to send on: -1. */
static __always_inline int ctx_send(struct zlb_ctx *ctx, __u32 ifindex, int *back)
{
	long ret;

	*back = ifindex == ctx_ifindex(ctx);
	if (*back)
		return XDP_TX;
	ret = bpf_redirect_map(&zlb_tx_ports, ifindex, 0);
	return ret == XDP_REDIRECT ? ZLB_REDIRECT : -1;
}

#endif
