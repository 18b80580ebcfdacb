// SPDX-License-Identifier: GPL-2.0
/*
 * The server side of the forwarding benchmark: a tc ingress program on the
 * server's interface that counts and drops the generator's UDP datagrams
 * (to sink_port), whichever path brought them, before the server's stack
 * spends anything on them. Everything else (ARP, TCP) goes on.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Set by zlb-bench-net before the program is loaded. */
const volatile __u16 sink_port = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bench_sink_count SEC(".maps");

SEC("tc")
int bench_sink(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct udphdr *udp = (void *)(iph + 1);
	__u32 zero = 0;
	__u64 *n;

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    iph->ihl != 5 || iph->protocol != IPPROTO_UDP || udp->dest != bpf_htons(sink_port))
		return TC_ACT_OK;
	n = bpf_map_lookup_elem(&bench_sink_count, &zero);
	if (n)
		*n += 1;
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
