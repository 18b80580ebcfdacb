// SPDX-License-Identifier: GPL-2.0
/*
 * The SYN flood of tests/e2e/flood.sh, run by tests/e2e/syn-flood with
 * BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES: each run writes one
 * TCP SYN and XDP_TX sends it out of the interface the context names as
 * ingress. Run n comes from address saddr + n / nports, port sport + n %
 * nports: every SYN opens a new flow. The kernel recycles the frames
 * without restoring them, so every run writes the whole frame.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "syn_flood.h"

#define FRAME_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct tcphdr))

/* Set by syn-flood before the program is loaded. */
const volatile struct syn_flood_cfg cfg = { .nports = 1 };

__u64 runs = 0;

static __always_inline __u32 sum16(const void *p, int words)
{
	const __u16 *w = p;
	__u32 s = 0;

	for (int i = 0; i < words; i++)
		s += w[i];
	return s;
}

static __always_inline __u16 fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

SEC("xdp")
int syn_flood(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct tcphdr *tcp = (void *)(ip + 1);
	__u64 n = __sync_fetch_and_add(&runs, 1);
	__u32 s;

	if (data + FRAME_LEN > end)
		return XDP_ABORTED;
	for (int i = 0; i < ETH_ALEN; i++) {
		eth->h_dest[i] = cfg.dmac[i];
		eth->h_source[i] = cfg.smac[i];
	}
	eth->h_proto = bpf_htons(ETH_P_IP);

	*ip = (struct iphdr){
		.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_TCP,
		.tot_len = bpf_htons(sizeof(*ip) + sizeof(*tcp)),
		.id = bpf_htons((__u16)n),
		.saddr = bpf_htonl(cfg.saddr + (__u32)(n / cfg.nports)),
		.daddr = bpf_htonl(cfg.daddr),
	};
	ip->check = fold(sum16(ip, sizeof(*ip) / 2));

	*tcp = (struct tcphdr){
		.source = bpf_htons(cfg.sport + (__u16)(n % cfg.nports)),
		.dest = bpf_htons(cfg.dport),
		.seq = bpf_htonl((__u32)n * 2654435761u),
		.doff = sizeof(*tcp) / 4, .syn = 1,
		.window = bpf_htons(64240),
	};
	/* pseudo-header: addresses, protocol, TCP length */
	s = sum16(&ip->saddr, 4) + bpf_htons(IPPROTO_TCP) + bpf_htons(sizeof(*tcp));
	tcp->check = fold(s + sum16(tcp, sizeof(*tcp) / 2));
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
