// SPDX-License-Identifier: GPL-2.0
/* Someone else's tc program: zlb-load must leave it where it is, and refuse
 * to replace it when it holds zon-lb's place. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_other(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
