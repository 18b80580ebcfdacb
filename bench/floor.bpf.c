// SPDX-License-Identifier: GPL-2.0
/*
 * The yardsticks zon-lb is measured against.
 *
 * bench_floor: the least an XDP forwarder does -- rewrite both MACs and
 * redirect through a devmap to the interface configured for the ingress
 * one; no parsing beyond the EtherType, no NAT, no lookup but its own
 * config. Non-IPv4 frames (ARP) go to the stack, so neighbours still work.
 * bench_pass and bench_drop: programs that do nothing but their verdict.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
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

SEC("xdp")
int bench_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct zlb_bench_port *p;
	__u32 in = ctx->ingress_ifindex;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	p = bpf_map_lookup_elem(&bench_ports, &in);
	if (!p || !p->egress)
		return XDP_PASS;
	__builtin_memcpy(eth->h_source, p->smac, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, p->dmac, ETH_ALEN);
	return bpf_redirect_map(&bench_tx, p->egress, 0);
}

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
