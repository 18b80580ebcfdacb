/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark's BPF programs (bench/ .bpf.c files) and its drivers share.
 * Benchmark-only: nothing of zon-lb itself depends on it.
 *
 * Every benchmark frame is ZLB_BENCH_FRAME_LEN bytes: Ethernet, IPv4 without
 * options, then a TCP header and 6 bytes of data or a UDP header and 18:
 * a "64-byte frame" once a wire adds its 4 bytes of FCS.
 */
#ifndef ZLB_BENCH_ABI_H
#define ZLB_BENCH_ABI_H

#include <linux/types.h>

#include "zlb_abi.h"

#define ZLB_BENCH_FRAME_LEN 60

/* Offsets in a benchmark frame. */
#define ZLB_BENCH_OFF_IPCSUM  24
#define ZLB_BENCH_OFF_SADDR   26
#define ZLB_BENCH_OFF_DADDR   30
#define ZLB_BENCH_OFF_SPORT   34
#define ZLB_BENCH_OFF_DPORT   36
#define ZLB_BENCH_OFF_TCPCSUM 50
#define ZLB_BENCH_OFF_UDPCSUM 40

/* Flow f of a set of n benchmark flows is (hi, lo): hi picks the client
 * address (and the backend port), lo the client port. The set spreads over
 * naddrs = ceil(n / ZLB_BENCH_FLOWS_PER_ADDR) addresses, and hi changes
 * fastest (hi = f % naddrs, lo = f / naddrs), so the first few passes meet
 * every client address. New flows (no set) count on: hi = f / and
 * lo = f % ZLB_BENCH_FLOWS_PER_ADDR. bench/flows.c fills the connection
 * table by the same numbering. */
#define ZLB_BENCH_FLOWS_PER_ADDR 64000

/* Pass p of a rotating run meets flow (p * ZLB_BENCH_FLOW_STRIDE) % n: a
 * prime, so n passes meet all n flows once, in an order that has nothing
 * to do with the order the table was filled in (memory locality). */
#define ZLB_BENCH_FLOW_STRIDE 2654435761ULL

/* How restore.bpf.c changes its template before each pass. */
enum zlb_bench_rotate {
	ZLB_BENCH_FIXED = 0,     /* the template as it is */
	ZLB_BENCH_ORIG_FLOWS,    /* client -> service, flow of the pass in a set */
	ZLB_BENCH_REPLY_FLOWS,   /* backend -> load balancer, likewise */
	ZLB_BENCH_NEW_FLOWS,     /* client -> service, flow (pass): never seen before,
				  * to service (pass % nservices) */
};

/* restore.bpf.c's only map entry. The template is flow 0 of its set:
 * ORIG/NEW add hi to the source address and lo to the source port, REPLY
 * adds hi to the source port and lo to the destination port, NEW adds the
 * service's index to the destination port; checksums follow. */
struct zlb_bench_tmpl {
	__u8 frame[ZLB_BENCH_FRAME_LEN];
	__u8 l4_csum_off;        /* ZLB_BENCH_OFF_TCPCSUM or _UDPCSUM */
	__u8 pad[3];
	__u32 rotate;            /* enum zlb_bench_rotate */
	__u32 nflows;
	__u32 naddrs;
	__u32 nservices;
	__u32 pad2;
	__u64 passes;            /* counted by the program */
};

/* floor.bpf.c: where a frame arriving on an interface leaves. Key: the
 * ingress ifindex. */
struct zlb_bench_port {
	__u32 egress;            /* ifindex, also the key in the devmap */
	__u8 smac[6];
	__u8 dmac[6];
	/* bench_nat_floor: the tuple it writes (network order) */
	__be32 nat_saddr, nat_daddr;
	__be16 nat_sport, nat_dport;
};

/* table.bpf.c's state (its only entry of bench_table_state). */
struct zlb_bench_table_state {
	__u64 passes;            /* counted by the program */
	__u64 failed;            /* lookups that missed, inserts that failed, and
				  * (open) lookups that found a key */
	__u32 nkeys;             /* lookup: keys in bench_keys, met in turn */
	__u32 cursor;            /* lookup: the next one */
	__be32 base;             /* open: the first pass's client address */
	__u32 pad;
	struct zlb_ct_entry value;   /* open: what each insert writes */
};

#define ZLB_BENCH_MAX_IFINDEX 256

#endif
