// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's table alone: yardsticks for what zon-lb's connection table
 * costs by itself, whatever a data plane does around it. zon-lb keeps its
 * IPv4 flows in an LRU hash (zlb_conntrack4: a 16-byte key, an 80-byte
 * entry); these programs do nothing but that map's operations, so a figure
 * of zon-lb's can be set against the least any data plane on that map
 * could cost.
 *
 *   bench_table_lookup  one lookup per pass, of the key the pass's flow has
 *                       in zon-lb's own rotating runs (bench_keys holds
 *                       them in pass order; zlb-bench-pkt points
 *                       bench_table at zon-lb's loaded table), and a read
 *                       of the entry found, which the next pass waits for
 *   bench_table_open    what opening a flow cannot do without: a lookup
 *                       that misses and two inserts (both directions), of
 *                       keys no pass used before
 *
 * Each returns XDP_PASS while every operation so far went as meant, and
 * XDP_ABORTED from the first one that did not (bench_table_state.failed).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);                /* set by zlb-bench-pkt */
	__type(key, struct zlb_ct_key4);
	__type(value, struct zlb_ct_entry);
} bench_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);                /* set by zlb-bench-pkt */
	__type(key, __u32);
	__type(value, struct zlb_ct_key4);
} bench_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zlb_bench_table_state);
} bench_table_state SEC(".maps");

static __always_inline int verdict(const struct zlb_bench_table_state *st)
{
	return st->failed ? XDP_ABORTED : XDP_PASS;
}

SEC("xdp")
int bench_table_lookup(struct xdp_md *ctx)
{
	struct zlb_bench_table_state *st;
	struct zlb_ct_entry *e;
	struct zlb_ct_key4 *k;
	__u32 i = 0;

	st = bpf_map_lookup_elem(&bench_table_state, &i);
	if (!st)
		return XDP_ABORTED;
	i = st->cursor;
	st->passes++;
	k = bpf_map_lookup_elem(&bench_keys, &i);
	e = k ? bpf_map_lookup_elem(&bench_table, k) : NULL;
	if (!e) {
		st->failed++;
		return XDP_ABORTED;
	}
	/* The next pass's key waits for this entry (created_ns never has its
	 * top bit set: + 0), as a data plane's next packet waits for this
	 * one's translation. Without it the CPU would run the next passes'
	 * lookups while this one's misses are outstanding, which no packet
	 * of a data plane that reads its entry gets. */
	i = i + 1 < st->nkeys ? i + 1 : 0;
	st->cursor = i + (__u32)(e->created_ns >> 63);
	return verdict(st);
}

SEC("xdp")
int bench_table_open(struct xdp_md *ctx)
{
	struct zlb_bench_table_state *st;
	struct zlb_ct_key4 k = { .sport = bpf_htons(1024), .dport = bpf_htons(80),
				 .proto = 6 };
	struct zlb_ct_key4 r = { .saddr = bpf_htonl(0x0a020002), .sport = bpf_htons(80),
				 .dport = bpf_htons(1024), .proto = 6 };
	__u32 n = 0;

	st = bpf_map_lookup_elem(&bench_table_state, &n);
	if (!st)
		return XDP_ABORTED;
	n = st->passes++;
	/* A client address and a load-balancer-side address of their own per
	 * pass: two keys no other pass has. */
	k.saddr = bpf_htonl(bpf_ntohl(st->base) + n);
	k.daddr = bpf_htonl(0x0a000001);
	r.daddr = k.saddr ^ bpf_htonl(0x40000000);
	if (bpf_map_lookup_elem(&bench_table, &k))
		st->failed++;
	if (bpf_map_update_elem(&bench_table, &r, &st->value, BPF_NOEXIST))
		st->failed++;
	if (bpf_map_update_elem(&bench_table, &k, &st->value, BPF_NOEXIST))
		st->failed++;
	return verdict(st);
}

char LICENSE[] SEC("license") = "GPL";
