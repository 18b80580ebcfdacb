/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map ABI of zon-lb: every key, value, flag and counter index shared by
 * the data plane (bpf/) and the tools. Written once, included by both sides.
 * Bump ZLB_ABI_VERSION whenever a layout or a meaning below changes: the
 * pinned maps carry it in zlb_meta and tools refuse pins of another version.
 */
#ifndef ZLB_ABI_H
#define ZLB_ABI_H

#include <linux/types.h>

#define ZLB_ABI_VERSION 1

/* Pinned map names (also the names of the maps in the BPF object). */
#define ZLB_MAP_META      "zlb_meta"
#define ZLB_MAP_SERVICES  "zlb_services"
#define ZLB_MAP_BACKENDS  "zlb_backends"
#define ZLB_MAP_CONNTRACK "zlb_conntrack"
#define ZLB_MAP_FIB_CACHE "zlb_fib_cache"
#define ZLB_MAP_NEIGH     "zlb_neigh"
#define ZLB_MAP_IFACES    "zlb_ifaces"
#define ZLB_MAP_TX_PORTS  "zlb_tx_ports"
#define ZLB_MAP_STATS     "zlb_stats"

#define ZLB_PROG_XDP_NAME "zlb_xdp"

/* Sizes. */
#define ZLB_MAX_SERVICES        1024
#define ZLB_MAX_BACKENDS_PER_SVC 64
/* Backends live in two halves; a load writes the inactive half, then points
 * services at it, so a packet never sees a half-written backend list. */
#define ZLB_BACKEND_HALF        (ZLB_MAX_SERVICES * ZLB_MAX_BACKENDS_PER_SVC)
#define ZLB_MAX_BACKENDS        (2 * ZLB_BACKEND_HALF)
#define ZLB_CONNTRACK_SIZE      262144
#define ZLB_FIB_CACHE_SIZE      4096
#define ZLB_NEIGH_SIZE          4096
#define ZLB_MAX_IFACES          64

#define ZLB_DEFAULT_FIB_CACHE_MS 1000

/* Source NAT: the backend side keeps the client's port when that tuple is
 * free; otherwise ports of this range are tried, starting at one derived
 * from the client's tuple. It lies below Linux's default ephemeral range
 * (32768-60999), so the load balancer's own connections stay apart. */
#define ZLB_SNAT_PORT_MIN 16384
#define ZLB_SNAT_PORT_MAX 32767
#define ZLB_SNAT_TRIES    8

/* Read-only constants of the program (.rodata), set by zlb-load before the
 * program is loaded. */
struct zlb_rodata {
	__u32 fib_lookup_src;    /* kernel has BPF_FIB_LOOKUP_SRC (6.7+) */
	__u32 pad;
};

/* zlb_meta: one entry at key 0. */
struct zlb_meta {
	__u32 abi_version;
	__u32 backend_half;      /* which half of zlb_backends services use */
	__u64 fib_cache_ns;      /* maximum age of a zlb_fib_cache entry */
	__u64 generation;        /* bumped by every successful load */
};

/* zlb_services key: protocol is IPPROTO_TCP/UDP with the service port, or
 * IPPROTO_ICMP with port 0 for the service of an address that takes echo. */
struct zlb_svc_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct zlb_service {
	__u32 id;                /* index in the config, for counters and tools */
	__u32 backend_base;      /* first slot in zlb_backends */
	__u32 backend_count;
	__u32 flags;
};

/* zlb_backends value. src == 0: use the FIB's source address (when the
 * kernel has BPF_FIB_LOOKUP_SRC) -- zlb-load fills src otherwise. */
struct zlb_backend {
	__be32 addr;
	__be32 src;
	__be16 port;
	__u16 flags;
	__u32 service_id;
};

/* zlb_conntrack: one entry per direction. The key is the packet's own
 * tuple; the value is the tuple it leaves with. For ICMP echo both ports
 * hold the echo identifier. */
struct zlb_ct_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

enum zlb_ct_dir {
	ZLB_CT_DIR_ORIG = 0,     /* client -> service, rewritten towards backend */
	ZLB_CT_DIR_REPLY = 1,    /* backend -> source, rewritten towards client */
};

struct zlb_ct_entry {
	__be32 saddr;            /* rewritten tuple */
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 dir;                /* enum zlb_ct_dir */
	__u8 pad[3];
	__u32 service_id;
	__u64 created_ns;        /* bpf_ktime_get_ns() */
	__u64 last_seen_ns;
	__u64 packets;
};

/* zlb_fib_cache: key is the destination address after NAT. */
struct zlb_fib_entry {
	__u32 ifindex;           /* egress */
	__be32 src;              /* FIB's source address (0 when unknown) */
	__u8 smac[6];
	__u8 dmac[6];
	__u64 expires_ns;
};

/* zlb_neigh: key is a next-hop IPv4 address. */
struct zlb_neigh_entry {
	__u8 mac[6];
	__u16 flags;
	__u32 ifindex;
	__u64 updated_ns;
};

#define ZLB_NEIGH_F_STATIC  (1 << 0)  /* written by zlb-load or zlb-arp */
#define ZLB_NEIGH_F_LEARNED (1 << 1)  /* learned from an ARP packet */

/* zlb_ifaces: key is an ifindex of a configured interface. */
struct zlb_iface {
	__u8 mac[6];
	__u16 flags;
};

/* zlb_stats: per-CPU array of __u64, indexed by these counters. */
enum zlb_counter {
	ZLB_C_RX = 0,            /* every packet the program saw */
	ZLB_C_PASS,              /* handed to the stack untouched */
	ZLB_C_FORWARD,           /* translated and sent (redirect or tx) */
	ZLB_C_REDIRECT,
	ZLB_C_TX,
	ZLB_C_CT_HIT,
	ZLB_C_CT_MISS,           /* service packet with no flow */
	ZLB_C_NEW_FLOW,
	ZLB_C_FIB_LOOKUP,        /* bpf_fib_lookup calls */
	ZLB_C_FIB_CACHE_HIT,
	ZLB_C_NEIGH_MISS,        /* FIB had no neighbour; zlb_neigh asked */
	ZLB_C_NEIGH_LEARNED,     /* neighbour entries learned from ARP */
	ZLB_C_DROP_NO_NEIGH,     /* next hop MAC unknown everywhere */
	ZLB_C_DROP_FIB,          /* no route, unreachable, prohibited, ... */
	ZLB_C_DROP_FWD_DISABLED, /* forwarding off on the ingress interface */
	ZLB_C_DROP_FRAG_NEEDED,  /* larger than the egress MTU */
	ZLB_C_DROP_TTL,          /* TTL would reach 0 */
	ZLB_C_DROP_NO_BACKEND,   /* service without usable backend */
	ZLB_C_DROP_NO_SOURCE,    /* no source address for the backend side */
	ZLB_C_DROP_NO_TX_PORT,   /* egress interface is not configured */
	ZLB_C_DROP_CT_INSERT,    /* connection table update failed */
	ZLB_C_DROP_SNAT_BUSY,    /* every source port tried is taken */
	ZLB_C_DROP_TCP_NO_FLOW,  /* mid-connection TCP segment, unknown flow */
	ZLB_C_DROP_FRAGMENT,     /* IPv4 fragment addressed to a service */
	ZLB_C_MAX,
};

#define ZLB_COUNTER_NAMES { \
	"rx", "pass", "forward", "redirect", "tx", \
	"ct_hit", "ct_miss", "new_flow", "fib_lookup", "fib_cache_hit", \
	"neigh_miss", "neigh_learned", \
	"drop_no_neigh", "drop_fib", "drop_fwd_disabled", "drop_frag_needed", \
	"drop_ttl", "drop_no_backend", "drop_no_source", "drop_no_tx_port", \
	"drop_ct_insert", "drop_snat_busy", "drop_tcp_no_flow", "drop_fragment", \
}

#endif /* ZLB_ABI_H */
