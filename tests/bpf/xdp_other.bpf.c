// SPDX-License-Identifier: GPL-2.0
/* Someone else's XDP program, attached without libxdp: zlb-load must refuse
 * to replace it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_other(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
