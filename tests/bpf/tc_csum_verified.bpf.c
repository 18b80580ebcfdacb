// SPDX-License-Identifier: GPL-2.0
/* The packet tests' wrapper for the tc build with a verified checksum:
 * BPF_PROG_TEST_RUN builds every skb CHECKSUM_NONE, but what arrives from a
 * NIC with receive offload, or through GRO, is CHECKSUM_UNNECESSARY, and
 * the tc data plane updates such a checksum in place instead of through
 * bpf_l4_csum_replace(). This marks the skb so (csum_level 0) and runs the
 * data plane by a tail call; test_packets puts zlb_tc in tc_target. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "tc_csum_verified.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tc_target SEC(".maps");

SEC("tc")
int tc_csum_verified(struct __sk_buff *skb)
{
	if (bpf_csum_level(skb, BPF_CSUM_LEVEL_INC) ||
	    bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY) != 0)
		return ZLB_TEST_VERDICT_NOT_VERIFIED;
	bpf_tail_call(skb, &tc_target, 0);
	return ZLB_TEST_VERDICT_NO_TARGET;
}

char LICENSE[] SEC("license") = "GPL";
