// SPDX-License-Identifier: GPL-2.0
/*
 * zon-lb data plane: a packet's journey through the load balancer.
 *
 *   parse -> conntrack hit?  -> route -> NAT -> send
 *                  miss: service? -> backend -> route -> conntrack insert -> NAT -> send
 *
 * Everything that is neither a tracked flow nor addressed to a service goes
 * to the stack untouched.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "zlb_abi.h"
#include "maps.h"
#include "ctx_xdp.h"
#include "stats.h"
#include "parse.h"
#include "conntrack.h"
#include "fib.h"
#include "nat.h"

static __always_inline int pass(void)
{
	count(ZLB_C_PASS);
	return ZLB_PASS;
}

static __always_inline struct zlb_service *service_lookup(const struct zlb_pkt *pkt)
{
	struct zlb_svc_key key = {
		.addr = pkt->iph->daddr,
		.port = pkt->dport,
		.proto = pkt->proto,
	};

	if (pkt->proto == IPPROTO_ICMP) {
		if (pkt->icmp_type != ICMP_ECHO)
			return NULL;
		key.port = 0;
	}
	return bpf_map_lookup_elem(&zlb_services, &key);
}

static __always_inline __u32 flow_hash(const struct zlb_ct_key *key)
{
	__u32 h = key->saddr ^ ((__u32)key->sport << 16) ^ key->proto;

	/* murmur3 finalizer: spreads client address and port over the range */
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline struct zlb_backend *choose_backend(const struct zlb_service *svc,
							  const struct zlb_ct_key *key)
{
	__u32 slot;

	if (!svc->backend_count || svc->backend_count > ZLB_MAX_BACKENDS_PER_SVC)
		return NULL;
	slot = svc->backend_base + flow_hash(key) % svc->backend_count;
	return bpf_map_lookup_elem(&zlb_backends, &slot);
}

/* Translate to @to and send along @route. */
static __always_inline int zlb_send(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
				    const struct zlb_ct_entry *to,
				    const struct zlb_fib_entry *route)
{
	int verdict;

	nat_rewrite(ctx, pkt, to, route);
	verdict = ctx_send(ctx, route->ifindex);
	if (verdict < 0)
		return drop(ZLB_C_DROP_NO_TX_PORT);
	count(ZLB_C_FORWARD);
	count(verdict == ZLB_TX ? ZLB_C_TX : ZLB_C_REDIRECT);
	return verdict;
}

static __always_inline int zlb_established(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
					   struct zlb_ct_entry *e)
{
	struct zlb_ct_entry to = *e;
	struct zlb_fib_entry route;
	int err;

	count(ZLB_C_CT_HIT);
	ct_touch(e);
	err = zlb_route(ctx, pkt, to.daddr, to.saddr, &route);
	if (err)
		return drop(err);
	return zlb_send(ctx, pkt, &to, &route);
}

static __always_inline int zlb_new_flow(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
					const struct zlb_ct_key *key,
					const struct zlb_service *svc)
{
	struct zlb_ct_entry orig = {};
	struct zlb_fib_entry route;
	struct zlb_backend *be;
	__be32 src;
	int err;

	count(ZLB_C_CT_MISS);
	/* Only a SYN opens a TCP flow: handed to the stack, a segment of an
	 * unknown connection would meet the service address and be reset. */
	if (pkt->proto == IPPROTO_TCP &&
	    (pkt->tcp_flags & (ZLB_TCP_SYN | ZLB_TCP_ACK | ZLB_TCP_RST)) != ZLB_TCP_SYN)
		return drop(ZLB_C_DROP_TCP_NO_FLOW);
	be = choose_backend(svc, key);
	if (!be || !be->addr)
		return drop(ZLB_C_DROP_NO_BACKEND);
	err = zlb_route(ctx, pkt, be->addr, be->src, &route);
	if (err)
		return drop(err);
	src = be->src ? be->src : route.src;
	if (!src)
		return drop(ZLB_C_DROP_NO_SOURCE);
	/* No flow for a packet that cannot leave. */
	if (!ctx_can_send(ctx, route.ifindex))
		return drop(ZLB_C_DROP_NO_TX_PORT);

	orig.saddr = src;
	orig.daddr = be->addr;
	orig.sport = key->sport;
	orig.dport = pkt->proto == IPPROTO_ICMP ? key->dport : be->port;
	orig.service_id = svc->id;
	err = ct_create(key, &orig, flow_hash(key));
	if (err)
		return drop(err);
	count(ZLB_C_NEW_FLOW);
	return zlb_send(ctx, pkt, &orig, &route);
}

static __always_inline int zlb_ipv4(struct zlb_ctx *ctx, struct zlb_pkt *pkt)
{
	struct zlb_ct_key key = {};
	struct zlb_ct_entry *e;
	struct zlb_service *svc;

	/* A later fragment has no ports: nothing to match it with. */
	if (pkt->fragment && !pkt->l4)
		return pass();
	ct_key_from_pkt(pkt, &key);
	e = ct_lookup(pkt, &key);
	svc = e ? NULL : service_lookup(pkt);
	if (!e && !svc)
		return pass();
	if (pkt->fragment)
		return drop(ZLB_C_DROP_FRAGMENT);
	if (pkt->iph->ttl <= 1)
		return drop(ZLB_C_DROP_TTL);
	if (e)
		return zlb_established(ctx, pkt, e);
	return zlb_new_flow(ctx, pkt, &key, svc);
}

SEC("xdp")
int zlb_xdp(struct xdp_md *ctx)
{
	struct zlb_pkt pkt = {};

	count(ZLB_C_RX);
	switch (zlb_parse(ctx, &pkt)) {
	case ZLB_L3_IPV4:
		return zlb_ipv4(ctx, &pkt);
	case ZLB_L3_ARP:
		arp_learn(ctx, &pkt);
		break;
	}
	return pass();
}

/* Run once by zlb-load through BPF_PROG_TEST_RUN: XDP_PASS when the kernel
 * knows BPF_FIB_LOOKUP_SRC, XDP_DROP when it rejects the flag. */
SEC("xdp")
int zlb_probe_fib_src(struct xdp_md *ctx)
{
	struct bpf_fib_lookup p = { .family = AF_INET, .ifindex = 1 };
	long rc = bpf_fib_lookup(ctx, &p, sizeof(p), ZLB_FIB_LOOKUP_SRC);

	return rc == -22 /* EINVAL */ ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
