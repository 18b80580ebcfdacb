// SPDX-License-Identifier: GPL-2.0
/*
 * The yardsticks zon-lb is measured against.
 *
 * The floors: the least a forwarder on each hook does -- rewrite both MACs
 * and send the frame out of the interface configured for the ingress one;
 * no parsing beyond the EtherType, no NAT, no lookup but its own config.
 * Non-IPv4 frames (ARP) go to the stack, so neighbours still work.
 *
 *   bench_floor           XDP: bpf_redirect_map through a devmap
 *   bench_floor_tc        tc ingress: bpf_redirect to the egress device
 *   bench_floor_tc_peer   tc ingress: bpf_redirect_peer, straight into the
 *                         egress veth's peer (in another network namespace)
 *
 * bench_pass, bench_pass_tc and bench_drop: programs that do nothing but
 * their verdict.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZLB_BENCH_MAX_IFINDEX);
	__type(key, __u32);
	__type(value, struct zlb_bench_port);
} bench_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, ZLB_BENCH_MAX_IFINDEX);
	__type(key, __u32);
	__type(value, __u32);
} bench_tx SEC(".maps");

/* The port a frame arriving on @in leaves by, its MACs already rewritten;
 * NULL: not a frame to forward. */
static __always_inline struct zlb_bench_port *floor_rewrite(void *data, void *end, __u32 in)
{
	struct ethhdr *eth = data;
	struct zlb_bench_port *p;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return NULL;
	p = bpf_map_lookup_elem(&bench_ports, &in);
	if (!p || !p->egress)
		return NULL;
	__builtin_memcpy(eth->h_source, p->smac, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, p->dmac, ETH_ALEN);
	return p;
}

SEC("xdp")
int bench_floor(struct xdp_md *ctx)
{
	struct zlb_bench_port *p = floor_rewrite((void *)(long)ctx->data,
						 (void *)(long)ctx->data_end,
						 ctx->ingress_ifindex);

	return p ? bpf_redirect_map(&bench_tx, p->egress, 0) : XDP_PASS;
}

/* tc: skb->ifindex is the device whose ingress hook runs the program. */
SEC("tc")
int bench_floor_tc(struct __sk_buff *skb)
{
	struct zlb_bench_port *p = floor_rewrite((void *)(long)skb->data,
						 (void *)(long)skb->data_end, skb->ifindex);

	return p ? bpf_redirect(p->egress, 0) : TC_ACT_OK;
}

SEC("tc")
int bench_floor_tc_peer(struct __sk_buff *skb)
{
	struct zlb_bench_port *p = floor_rewrite((void *)(long)skb->data,
						 (void *)(long)skb->data_end, skb->ifindex);

	return p ? bpf_redirect_peer(p->egress, 0) : TC_ACT_OK;
}

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int bench_pass_tc(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
