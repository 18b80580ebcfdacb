// SPDX-License-Identifier: GPL-2.0
/*
 * The live-frames generator: run with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES, each XDP_TX sends its frame out of the
 * ingress interface given in the context, like a NIC's receive path would
 * hand it on. The kernel recycles the frames' pages without restoring their
 * data, and whatever the far side did to a frame (zon-lb's NAT) is still in
 * it: so the program writes the whole frame anew on every run.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bench_abi.h"

/* Set by zlb-bench-net before the program is loaded. */
const volatile __u8 gen_frame[ZLB_BENCH_FRAME_LEN] = {};

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	int i;

	if (data + ZLB_BENCH_FRAME_LEN > end)
		return XDP_ABORTED;
	for (i = 0; i + 8 <= ZLB_BENCH_FRAME_LEN; i += 8)
		*(__u64 *)(data + i) = *(const volatile __u64 *)(gen_frame + i);
	for (; i < ZLB_BENCH_FRAME_LEN; i += 4)
		*(__u32 *)(data + i) = *(const volatile __u32 *)(gen_frame + i);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
