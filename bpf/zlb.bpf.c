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
#include "ctx.h"
#include "stats.h"
#include "parse.h"
#include "conntrack.h"
#include "fib.h"
#include "nat.h"
#include "icmp.h"

static __always_inline int pass(void)
{
	count(ZLB_C_PASS);
	return ZLB_PASS;
}

static __always_inline struct zlb_service *service_lookup(const struct zlb_pkt *pkt,
							  const struct zlb_ct_key *key)
{
	struct zlb_svc_key skey = {
		.addr = key->daddr,
		.port = pkt->dport,
		.proto = pkt->proto,
	};

	if (pkt_is_icmp(pkt)) {
		if (!pkt_is_echo_request(pkt))
			return NULL;
		skey.port = 0;
	}
	return bpf_map_lookup_elem(&zlb_services, &skey);
}

static __always_inline struct zlb_backend *choose_backend(const struct zlb_service *svc,
							  const struct zlb_ct_key *key)
{
	__u32 mkey = svc->maglev_key, size = svc->maglev_size, idx, chunk, slot;
	struct zlb_maglev_chunk *c;
	void *table;
	__u8 be;

	if (!size)
		return NULL;
	table = bpf_map_lookup_elem(&zlb_maglev, &mkey);
	if (!table)
		return NULL;
	idx = zlb_flow_hash_addr(key->saddr.w, key->sport, key->proto) % size;
	chunk = idx / ZLB_MAGLEV_CHUNK;
	c = bpf_map_lookup_elem(table, &chunk);
	if (!c)
		return NULL;
	be = c->be[idx % ZLB_MAGLEV_CHUNK];
	if (be >= ZLB_MAX_BACKENDS_PER_SVC)
		return NULL;
	slot = svc->backend_base + be;
	return bpf_map_lookup_elem(&zlb_backends, &slot);
}

/* Translate to @to, send along @route, and count the flow's traffic. */
static __always_inline int zlb_send(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
				    const struct zlb_ct_entry *to,
				    const struct zlb_fib_entry *route, int new_flow,
				    struct zlb_counters *cnt)
{
	__u64 len = ctx_len(ctx);
	struct zlb_if_traffic *out;
	int verdict, back;

	nat_rewrite(ctx, pkt, to, route);
	verdict = ctx_send(ctx, route, &back);
	if (zlb_unlikely(verdict < 0))
		return drop(ZLB_C_DROP_NO_TX_PORT);
	count_in(cnt, ZLB_C_FORWARD);
	count_in(cnt, back ? ZLB_C_TX : ZLB_C_REDIRECT);
	flow_traffic(cnt, to->service_id, to->backend_id, len, new_flow);
	out = route_if_stats(route, cnt);
	if (out) {
		out->fwd_packets++;
		out->fwd_bytes += len;
	}
	return verdict;
}

/* A packet of tracked flow @e: translated as @e says (its tuple never
 * changes while it lives), along a route read where it is cached. Large
 * temporaries live in @sc, the per-CPU scratch: the stack is too small for
 * all paths at once. */
static __always_inline int zlb_established(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
					   const struct zlb_ct_key *key,
					   struct zlb_ct_entry *e, const struct zlb_meta *meta,
					   __u64 now, struct zlb_scratch *sc,
					   struct zlb_counters *cnt, const struct zlb_ct_found *f)
{
	struct zlb_flow_memo *m = f->memo;
	const struct zlb_fib_entry *route;
	int err;

	count_in(cnt, ZLB_C_CT_HIT);
	if (zlb_likely(f->memo_hit && m)) {
		/* counted in the memo's copy; the table gets it later */
		__u64 len = ctx_len(ctx);

		m->pending_packets++;
		m->pending_bytes += len;
		e->last_seen_ns = now;
		e->packets++;
		e->bytes += len;
		/* its route, while the route cache would still give it and
		 * the packet fits its MTU (a larger one takes zlb_route(),
		 * whose verdict it gets) */
		route = &m->route;
		if (zlb_likely(route->expires_ns > now &&
			       (!route->mtu || (route_info(pkt) >> 16) <= route->mtu ||
				ctx_is_gso(ctx)))) {
			count_in(cnt, ZLB_C_FIB_CACHE_HIT);
			return zlb_send(ctx, pkt, e, route, 0, cnt);
		}
	} else {
		ct_update(pkt, key, e, ctx_len(ctx), now);
		/* Its partner's tuple went to another flow: this one is gone.
		 * Checked every ZLB_CT_PARTNER_CHECK packets, and whenever a
		 * memo's packets reach the table (they skipped the check). */
		if (zlb_unlikely(ct_check_partner(key, e, f->flushed)))
			return drop(e->dir == ZLB_CT_DIR_REPLY ? ZLB_C_DROP_REPLY_NO_FLOW
							       : ZLB_C_DROP_CT_INSERT);
	}
	err = zlb_route(ctx, &e->daddr, &e->saddr, &sc->route, route_info(pkt), meta, now, cnt,
			&route);
	if (zlb_unlikely(err))
		return drop(err);
	if (m && !f->memo_hit)
		memo_fill(m, &sc->key4, f->epoch, meta, e, now, route);
	return zlb_send(ctx, pkt, e, route, 0, cnt);
}

static __always_inline int zlb_new_flow(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
					const struct zlb_ct_key *key,
					const struct zlb_service *svc,
					const struct zlb_meta *meta, __u64 now,
					struct zlb_scratch *sc, struct zlb_counters *cnt)
{
	struct zlb_ct_entry *orig = &sc->to;
	const struct zlb_fib_entry *route;
	struct zlb_backend *be;
	int err;

	count(ZLB_C_CT_MISS);
	/* Only a SYN opens a TCP flow: handed to the stack, a segment of an
	 * unknown connection would meet the service address and be reset. */
	if (pkt->proto == IPPROTO_TCP &&
	    (pkt->tcp_flags & (ZLB_TCP_SYN | ZLB_TCP_ACK | ZLB_TCP_RST)) != ZLB_TCP_SYN)
		return drop(ZLB_C_DROP_TCP_NO_FLOW);
	be = choose_backend(svc, key);
	if (!be || zlb_addr_is_zero(&be->addr))
		return drop(ZLB_C_DROP_NO_BACKEND);
	err = zlb_route(ctx, &be->addr, &be->src, &sc->route, route_info(pkt), meta, now, cnt,
			&route);
	if (err)
		return drop(err);
	__builtin_memset(orig, 0, sizeof(*orig));
	orig->saddr = zlb_addr_is_zero(&be->src) ? route->src : be->src;
	if (zlb_addr_is_zero(&orig->saddr))
		return drop(ZLB_C_DROP_NO_SOURCE);
	/* No flow for a packet that cannot leave. */
	if (!ctx_can_send(ctx, route))
		return drop(ZLB_C_DROP_NO_TX_PORT);

	orig->daddr = be->addr;
	orig->sport = key->sport;
	orig->dport = pkt_is_icmp(pkt) ? key->dport : be->port;
	orig->service_id = svc->id;
	orig->backend_id = be->id;
	err = zlb_ct_create(key, orig, meta, ctx_len(ctx), now);
	if (err)
		return drop(err);
	count(ZLB_C_NEW_FLOW);
	/* The client's MAC, for its answers: the kernel never sees this
	 * packet, so it would not learn it; looked up only when the FIB has
	 * no neighbour for the client (an on-link client whose address it
	 * never heard in an ARP). */
	neigh_learn(&key->saddr, pkt->eth->h_source, ctx_ifindex(ctx));
	return zlb_send(ctx, pkt, orig, route, 1, cnt);
}

/* An ICMP error quoting a packet of a tracked flow that we sent, addressed
 * to the source we sent it from: goes to the flow's other side as that
 * side's own packet would -- from the backend side to the client, from
 * the service, quoting the client's packet; from the client side (a
 * client's path MTU, say) to the backend, from our source address there,
 * quoting the backend's packet. The quote, swapped, is the key of the
 * entry that translates the error: the reply entry for the first, the
 * original one for the second. Errors about anything else are the
 * stack's. */
static __always_inline int zlb_icmp_error(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
					  const struct zlb_ct_key *outer, const struct zlb_meta *meta,
					  struct zlb_scratch *sc, struct zlb_counters *cnt)
{
	const struct zlb_fib_entry *route;
	struct zlb_ct_key *key = &sc->ikey;
	struct zlb_ct_entry *to = &sc->to;
	struct zlb_ct_entry *e;
	int err;

	__builtin_memset(key, 0, sizeof(*key));
	key->proto = pkt->inner_proto;
	if (pkt->family == 4) {
		struct iphdr *in = pkt->inner;

		if ((void *)(in + 1) > ctx_data_end(ctx))
			return pass();
		zlb_addr_set_v4(&key->saddr, in->daddr);
		zlb_addr_set_v4(&key->daddr, in->saddr);
	} else {
		struct ipv6hdr *in = pkt->inner;

		if ((void *)(in + 1) > ctx_data_end(ctx))
			return pass();
		__builtin_memcpy(&key->saddr, &in->daddr, 16);
		__builtin_memcpy(&key->daddr, &in->saddr, 16);
	}
	key->sport = pkt->inner_ports[1];
	key->dport = pkt->inner_ports[0];
	e = ct_get(key, &sc->key4);     /* the packet's own short key is not needed */
	if (!e || !zlb_addr_equal(&outer->daddr, &key->daddr))
		return pass();
	if (pkt_ttl(pkt) <= 1)
		return drop(ZLB_C_DROP_TTL);
	__builtin_memset(to, 0, sizeof(*to));
	to->saddr = e->saddr;
	to->daddr = e->daddr;
	to->service_id = e->service_id;
	to->backend_id = e->backend_id;
	err = zlb_route(ctx, &to->daddr, &to->saddr, &sc->route, route_info(pkt), meta,
			zlb_now(), cnt, &route);
	if (err)
		return drop(err);
	icmp_error_inner_nat(ctx, pkt, e);
	count(ZLB_C_ICMP_ERROR_NAT);
	return zlb_send(ctx, pkt, to, route, 0, cnt);
}

/* Neither a flow nor a service. A TCP/UDP packet to one of our source
 * addresses, in the SNAT port range, answers a flow that is gone: handed
 * up, it would meet the load balancer's own stack (a reset). */
static __always_inline int zlb_not_ours(const struct zlb_pkt *pkt, const struct zlb_ct_key *key,
					const struct zlb_meta *meta)
{
	__u16 port = bpf_ntohs(pkt->dport);
	__u32 *flags;

	if (pkt_is_icmp(pkt) || port < meta->snat_port_min || port > meta->snat_port_max)
		return pass();
	flags = bpf_map_lookup_elem(&zlb_snat_addrs, &key->daddr);
	if (flags && (*flags & ZLB_ADDR_F_SOURCE))
		return drop(ZLB_C_DROP_REPLY_NO_FLOW);
	return pass();
}

/* A packet without ports: a later fragment, or IPv6 with an extension
 * header we do not parse. To a service address it is dropped (it cannot be
 * matched, and handed up it would meet our own stack); anything else is
 * the stack's. A later IPv4 fragment always goes up: the kernel reassembles
 * those whose first fragment it got. */
static __always_inline int zlb_no_ports(const struct zlb_pkt *pkt)
{
	union zlb_addr saddr, daddr;
	__u32 *flags;

	if (pkt->family == 4)
		return pass();
	pkt_addrs(pkt, &saddr, &daddr);
	flags = bpf_map_lookup_elem(&zlb_snat_addrs, &daddr);
	if (!flags || !(*flags & ZLB_ADDR_F_SERVICE))
		return pass();
	return drop(pkt->ext_unknown ? ZLB_C_DROP_IPV6_EXT : ZLB_C_DROP_FRAGMENT);
}

static __always_inline int zlb_ip(struct zlb_ctx *ctx, struct zlb_pkt *pkt,
				  const struct zlb_meta *meta, struct zlb_scratch *sc,
				  struct zlb_counters *cnt)
{
	struct zlb_ct_key *key = &sc->key;
	struct zlb_ct_found f = {};
	struct zlb_ct_entry *e;
	struct zlb_service *svc;
	__u64 now;

	if (zlb_unlikely(!pkt->l4))
		return zlb_no_ports(pkt);
	ct_key_from_pkt(pkt, key, &sc->key4);
	if (zlb_unlikely(pkt->inner != NULL))
		return zlb_icmp_error(ctx, pkt, key, meta, sc, cnt);
	now = zlb_now();
	e = ct_lookup(pkt, key, &sc->key4, &sc->tmp, meta, now, &f);
	/* A SYN on a closed flow reuses its ports: a new flow. */
	if (zlb_unlikely(e && e->dir == ZLB_CT_DIR_ORIG && e->state == ZLB_CT_TCP_CLOSE &&
			 (pkt->tcp_flags & (ZLB_TCP_SYN | ZLB_TCP_ACK)) == ZLB_TCP_SYN)) {
		ct_delete_flow(key, e);
		e = NULL;
	}
	svc = e ? NULL : service_lookup(pkt, key);
	if (!e && !svc)
		return zlb_not_ours(pkt, key, meta);
	if (zlb_unlikely(pkt->fragment))
		return drop(ZLB_C_DROP_FRAGMENT);
	if (zlb_unlikely(pkt_ttl(pkt) <= 1))
		return drop(ZLB_C_DROP_TTL);
	if (zlb_likely(e != NULL))
		return zlb_established(ctx, pkt, key, e, meta, now, sc, cnt, &f);
	return zlb_new_flow(ctx, pkt, key, svc, meta, now, sc, cnt);
}

static __always_inline int zlb_packet(struct zlb_ctx *ctx, const struct zlb_meta *meta,
				      struct zlb_scratch *sc, struct zlb_counters *cnt)
{
	struct zlb_pkt pkt = {};

	switch (zlb_parse(ctx, &pkt)) {
	case ZLB_L3_IP:
		return zlb_ip(ctx, &pkt, meta, sc, cnt);
	case ZLB_L3_ARP:
		arp_learn(ctx, &pkt);
		break;
	}
	return pass();
}

/* Every packet the hook sees on a configured interface. */
static __always_inline int zlb_entry(struct zlb_ctx *ctx)
{
	struct zlb_counters *cnt = counters();
	struct zlb_scratch *sc = scratch();
	struct zlb_if_traffic *in;
	struct zlb_meta *meta;
	__u32 zero = 0;
	int verdict;

	meta = bpf_map_lookup_elem(&zlb_meta, &zero);
	if (zlb_unlikely(!cnt || !meta || !sc))
		return ZLB_PASS;
	count_in(cnt, ZLB_C_RX);
	in = iface_stats(ctx_ifindex(ctx), sc, meta, cnt);
	if (in) {
		in->rx_packets++;
		in->rx_bytes += ctx_len(ctx);
	}
	ctx_prepare(ctx);
	verdict = zlb_packet(ctx, meta, sc, cnt);
	if (verdict == ZLB_DROP && in)
		in->drops++;
	return verdict;
}

#ifdef ZLB_TC
SEC("tc")
int zlb_tc(struct __sk_buff *skb)
{
	return zlb_entry(skb);
}
#else
SEC("xdp")
int zlb_xdp(struct xdp_md *ctx)
{
	return zlb_entry(ctx);
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
#endif

char LICENSE[] SEC("license") = "GPL";
