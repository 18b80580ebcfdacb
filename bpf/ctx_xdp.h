/* SPDX-License-Identifier: GPL-2.0 */
/* The few places where the packet path touches its hook: packet bounds,
 * ingress interface, verdicts, FIB lookup and sending. The packet path uses
 * only these, so the same steps can be built for another hook. */
#ifndef ZLB_CTX_XDP_H
#define ZLB_CTX_XDP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

#define zlb_ctx xdp_md

enum zlb_verdict {
	ZLB_PASS = XDP_PASS,
	ZLB_DROP = XDP_DROP,
	ZLB_TX = XDP_TX,
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

static __always_inline long ctx_fib_lookup(struct zlb_ctx *ctx,
					   struct bpf_fib_lookup *params, __u32 flags)
{
	return bpf_fib_lookup(ctx, params, sizeof(*params), flags);
}

/* Whether ctx_send() can send out of @ifindex. */
static __always_inline int ctx_can_send(struct zlb_ctx *ctx, __u32 ifindex)
{
	return ifindex == ctx_ifindex(ctx) || bpf_map_lookup_elem(&zlb_tx_ports, &ifindex);
}

/* Send out of @ifindex: back out of the ingress interface, or through the
 * devmap of configured interfaces. An interface missing from the devmap is
 * not ours to send on: -1. */
static __always_inline int ctx_send(struct zlb_ctx *ctx, __u32 ifindex)
{
	long ret;

	if (ifindex == ctx_ifindex(ctx))
		return ZLB_TX;
	ret = bpf_redirect_map(&zlb_tx_ports, ifindex, 0);
	return ret == XDP_REDIRECT ? ZLB_REDIRECT : -1;
}

#endif
