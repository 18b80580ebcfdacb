/* SPDX-License-Identifier: GPL-2.0 */
/* The maps of the data plane, pinned by name (layouts: zlb_abi.h). */
#ifndef ZLB_BPF_MAPS_H
#define ZLB_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "zlb_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zlb_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZLB_MAX_SERVICES * 2);
	__type(key, struct zlb_svc_key);
	__type(value, struct zlb_service);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct zlb_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZLB_CONNTRACK_SIZE);
	__type(key, struct zlb_ct_key);
	__type(value, struct zlb_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_conntrack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZLB_CONNTRACK_SIZE);
	__type(key, struct zlb_ct_key4);
	__type(value, struct zlb_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_conntrack4 SEC(".maps");

/* Each CPU's memo of busy IPv4 flows, and the epochs that tell whether a
 * slot is still good (zlb_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZLB_FLOW_MEMO_SLOTS);
	__type(key, __u32);
	__type(value, struct zlb_flow_memo);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_flow_memo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZLB_FLOW_MEMO_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_flow_epoch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZLB_FIB_CACHE_SIZE);
	__type(key, __u32);
	__type(value, struct zlb_fib_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_fib_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZLB_NEIGH_SIZE);
	__type(key, union zlb_addr);
	__type(value, struct zlb_neigh_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_neigh SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZLB_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct zlb_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_ifaces SEC(".maps");

#ifndef ZLB_TC   /* tc sends by ifindex (bpf_redirect*) */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, ZLB_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
	/* Pinned by zlb-load itself: the kernel adds BPF_F_RDONLY_PROG to
	 * every devmap, and libbpf 1.1 then refuses to reuse the pin. */
} zlb_tx_ports SEC(".maps");
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zlb_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_stats SEC(".maps");

/* Maglev tables: zlb-load creates one inner array per service, sized to
 * its table (BPF_F_INNER_MAP: inner maps of any size). */
struct zlb_maglev_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZLB_MAGLEV_MIN_SIZE);
	/* key and value (struct zlb_maglev_chunk) by size: the BTF of an
	 * inner map's value struct comes out as a forward declaration, and a
	 * map with a BTF key but none for its value is refused (libbpf then
	 * says so and retries without BTF) */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct zlb_maglev_chunk));
	__uint(map_flags, BPF_F_INNER_MAP);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2 * ZLB_MAX_SERVICES);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct zlb_maglev_table);
} zlb_maglev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZLB_MAX_SERVICES * ZLB_MAX_BACKENDS_PER_SVC);
	__type(key, __u32);
	__type(value, struct zlb_traffic);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_be_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZLB_MAX_SERVICES * ZLB_MAX_BACKENDS_PER_SVC);
	__type(key, union zlb_addr);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zlb_snat_addrs SEC(".maps");

/* What this CPU last learnt of an ingress interface from zlb_ifaces, valid
 * while zlb_meta.generation is the same (a load may change it). */
struct zlb_if_memo {
	__u32 ifindex;
	__u32 slot1;                  /* zlb_iface.slot + 1; 0: not configured */
	__u64 generation;
};

#define ZLB_IF_MEMO_SLOTS 16          /* direct-mapped by ifindex */

/* zlb_ct_reap()'s keys: the other direction's, and a short one. */
struct zlb_ct_tmp {
	struct zlb_ct_key pkey __attribute__((aligned(8)));
	struct zlb_ct_key4 k4 __attribute__((aligned(8)));
};

/* Per-CPU room for the packet path's large temporaries (the BPF stack is
 * 512 bytes for a whole chain of calls), and the interface memo, which
 * lasts from packet to packet. One packet at a time uses it on a CPU; each
 * temporary has one user. Not pinned: each program has its own. */
struct zlb_scratch {
	struct zlb_if_memo ifm[ZLB_IF_MEMO_SLOTS];
	struct zlb_ct_key key __attribute__((aligned(8)));  /* the packet's flow */
	struct zlb_ct_key4 key4 __attribute__((aligned(8))); /* and its IPv4 key */
	struct zlb_ct_entry to;       /* a new flow's (or ICMP error's) way out */
	struct zlb_fib_entry route;   /* a route the FIB gave (not cached) */
	struct zlb_ct_key ikey;       /* the flow an ICMP error is about */
	struct zlb_ct_entry reply;    /* zlb_ct_create(): the reply entry */
	struct zlb_ct_key rkey;       /* zlb_ct_create(): and its key */
	struct zlb_ct_tmp tmp;        /* zlb_ct_reap()'s keys; its short one
				       serves zlb_ct_create() too */
	__u32 born_seq;               /* zlb_ct_create(): new flows on this CPU */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zlb_scratch);
} zlb_scratch SEC(".maps");

static __always_inline struct zlb_scratch *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&zlb_scratch, &zero);
}

/* The data plane's clock: CLOCK_MONOTONIC at the kernel's tick
 * (bpf_ktime_get_coarse_ns, a few ms), what the tools read with
 * clock_gettime(CLOCK_MONOTONIC). Timeouts are seconds and the route
 * cache's age milliseconds; reading the TSC for every packet cost a
 * quarter of an established packet's time on a VM. */
static __always_inline __u64 zlb_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

/* Set by zlb-load before the program is loaded. */
const volatile struct zlb_rodata zlb_rodata = {};

#endif
