// SPDX-License-Identifier: GPL-2.0
/*
 * The per-packet benchmark's wrapper. BPF_PROG_TEST_RUN with a repeat count
 * runs a program again and again on one buffer: from the second pass on, a
 * NAT program would see its own translated frame. So every pass starts here:
 * the frame is written anew from a template (turned into the pass's flow
 * when the template says so), then the program under test runs by a tail
 * call. The same wrapper with a PASS program as the target measures what
 * this costs, and zlb-bench-pkt subtracts it.
 *
 * One wrapper per hook: bench_restore (XDP) and bench_restore_tc (tc, on
 * the skb BPF_PROG_TEST_RUN builds; the frame's bytes are all the state a
 * pass leaves behind there, as the skb's own checksum state stays
 * CHECKSUM_NONE). A tail call stays within one program type, so each has
 * its own program array.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zlb_bench_tmpl);
} bench_tmpl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_target SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_target_tc SEC(".maps");

/* RFC 1624 on a 16-bit word as it lies in the frame. */
static __always_inline void csum_word(__u16 *csum, __u16 from, __u16 to)
{
	__u32 sum = (__u16)~*csum;

	sum += (__u16)~from;
	sum += to;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*csum = ~sum;
}

/* Add @n (host order) to the 16-bit field at @off, and follow in @csum. */
static __always_inline void add16(void *data, int off, __u16 n, __u16 *csum)
{
	__u16 *p = data + off, old = *p;

	*p = bpf_htons(bpf_ntohs(old) + n);
	csum_word(csum, old, *p);
}

/* Add @n to the address at @off, and follow in both checksums. */
static __always_inline void add32(void *data, int off, __u32 n, __u16 *ipcsum, __u16 *l4csum)
{
	__u32 *p = data + off, old = *p;

	*p = bpf_htonl(bpf_ntohl(old) + n);
	csum_word(ipcsum, old >> 16, *p >> 16);
	csum_word(ipcsum, old & 0xffff, *p & 0xffff);
	csum_word(l4csum, old >> 16, *p >> 16);
	csum_word(l4csum, old & 0xffff, *p & 0xffff);
}

/* Write the frame of this pass: 0, or -1 when the template is unusable. */
static __always_inline int restore(void *data, void *end)
{
	struct zlb_bench_tmpl *t;
	__u32 zero = 0, f, hi, lo, svc = 0;
	__u16 *ipcsum, *l4csum;
	int i;

	t = bpf_map_lookup_elem(&bench_tmpl, &zero);
	if (!t || data + ZLB_BENCH_FRAME_LEN > end)
		return -1;
	for (i = 0; i + 8 <= ZLB_BENCH_FRAME_LEN; i += 8)
		*(__u64 *)(data + i) = *(__u64 *)(t->frame + i);
	for (; i < ZLB_BENCH_FRAME_LEN; i += 4)
		*(__u32 *)(data + i) = *(__u32 *)(t->frame + i);

	f = t->passes++;
	if (t->rotate == ZLB_BENCH_FIXED)
		return 0;
	if (t->rotate == ZLB_BENCH_NEW_FLOWS) {
		if (!t->nservices)
			return -1;
		svc = f % t->nservices;
		hi = f / ZLB_BENCH_FLOWS_PER_ADDR;
		lo = f % ZLB_BENCH_FLOWS_PER_ADDR;
	} else {
		if (!t->nflows || !t->naddrs)
			return -1;
		f = (__u64)f * ZLB_BENCH_FLOW_STRIDE % t->nflows;
		hi = f % t->naddrs;
		lo = f / t->naddrs;
	}
	ipcsum = data + ZLB_BENCH_OFF_IPCSUM;
	l4csum = data + (t->l4_csum_off == ZLB_BENCH_OFF_UDPCSUM ?
			 ZLB_BENCH_OFF_UDPCSUM : ZLB_BENCH_OFF_TCPCSUM);
	if (t->rotate == ZLB_BENCH_REPLY_FLOWS) {
		add16(data, ZLB_BENCH_OFF_SPORT, hi, l4csum);
		add16(data, ZLB_BENCH_OFF_DPORT, lo, l4csum);
	} else {
		add32(data, ZLB_BENCH_OFF_SADDR, hi, ipcsum, l4csum);
		add16(data, ZLB_BENCH_OFF_SPORT, lo, l4csum);
		if (svc)
			add16(data, ZLB_BENCH_OFF_DPORT, svc, l4csum);
	}
	return 0;
}

SEC("xdp")
int bench_restore(struct xdp_md *ctx)
{
	if (restore((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &bench_target, 0);
	return XDP_ABORTED;
}

SEC("tc")
int bench_restore_tc(struct __sk_buff *skb)
{
	if (restore((void *)(long)skb->data, (void *)(long)skb->data_end))
		return TC_ACT_SHOT;
	bpf_tail_call(skb, &bench_target_tc, 0);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
