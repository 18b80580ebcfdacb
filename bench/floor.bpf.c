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
 * bench_nat_floor: the XDP floor plus the least a full NAT adds to it --
 * both addresses and both ports of a TCP segment rewritten to the
 * configured ones, the TTL decremented, both checksums updated
 * incrementally; no table, no state, no counters. What a stateful data
 * plane adds beyond it is its tracking.
 *
 * bench_pass, bench_pass_tc and bench_drop: programs that do nothing but
 * their verdict.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
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

/* One's complement sum of @v's two 16-bit halves as they lie in memory,
 * into @sum (folded by fold()). */
static __always_inline __u64 sum32(__u64 sum, __u32 v)
{
	return sum + (v & 0xffff) + (v >> 16);
}

static __always_inline __u16 fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

SEC("xdp")
int bench_nat_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *tcp = (void *)(ip + 1);
	struct zlb_bench_port *p;
	__u32 ports, nports;
	__u16 ttl_old;
	__u64 l3, l4;

	if ((void *)(tcp + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_TCP ||
	    ip->ttl <= 1)
		return XDP_PASS;
	p = floor_rewrite(data, end, ctx->ingress_ifindex);
	if (!p)
		return XDP_PASS;
	/* RFC 1624: the new sum is ~(~old + ~m + m'), for every 16-bit word m
	 * that changes to m'. */
	ports = *(__u32 *)&tcp->source;
	nports = p->nat_sport | (__u32)p->nat_dport << 16;
	l3 = sum32((__u16)~ip->check, ~ip->saddr);
	l3 = sum32(l3, ~ip->daddr);
	l4 = sum32((__u16)~tcp->check, ~ip->saddr);
	l4 = sum32(l4, ~ip->daddr);
	l4 = sum32(l4, ~ports);
	ttl_old = *(__u16 *)&ip->ttl;
	ip->ttl--;
	l3 += (__u16)~ttl_old + *(__u16 *)&ip->ttl;
	ip->saddr = p->nat_saddr;
	ip->daddr = p->nat_daddr;
	*(__u32 *)&tcp->source = nports;
	l3 = sum32(sum32(l3, p->nat_saddr), p->nat_daddr);
	l4 = sum32(sum32(sum32(l4, p->nat_saddr), p->nat_daddr), nports);
	ip->check = ~fold(l3);
	tcp->check = ~fold(l4);
	return bpf_redirect_map(&bench_tx, p->egress, 0);
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
