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

#define ZLB_ABI_VERSION 6

/* Pinned map names (also the names of the maps in the BPF object). */
#define ZLB_MAP_META      "zlb_meta"
#define ZLB_MAP_SERVICES  "zlb_services"
#define ZLB_MAP_BACKENDS  "zlb_backends"
#define ZLB_MAP_CONNTRACK "zlb_conntrack"   /* IPv6 flows */
#define ZLB_MAP_CONNTRACK4 "zlb_conntrack4" /* IPv4 flows */
#define ZLB_MAP_FIB_CACHE "zlb_fib_cache"
#define ZLB_MAP_NEIGH     "zlb_neigh"
#define ZLB_MAP_IFACES    "zlb_ifaces"
#define ZLB_MAP_TX_PORTS  "zlb_tx_ports"
#define ZLB_MAP_STATS     "zlb_stats"
#define ZLB_MAP_MAGLEV    "zlb_maglev"
#define ZLB_MAP_BE_STATS  "zlb_be_stats"
#define ZLB_MAP_SNAT_ADDRS "zlb_snat_addrs"
#define ZLB_MAP_FLOW_MEMO "zlb_flow_memo"   /* per CPU: busy IPv4 flows */
#define ZLB_MAP_FLOW_EPOCH "zlb_flow_epoch"

#define ZLB_PROG_XDP_NAME "zlb_xdp"
#define ZLB_PROG_TC_NAME  "zlb_tc"     /* the same data plane as a tc (clsact) program */

/* Sizes. */
#define ZLB_MAX_SERVICES        1024
#define ZLB_MAX_BACKENDS_PER_SVC 64
/* Backends live in two halves; a load writes the inactive half, then points
 * services at it, so a packet never sees a half-written backend list. */
#define ZLB_BACKEND_HALF        (ZLB_MAX_SERVICES * ZLB_MAX_BACKENDS_PER_SVC)
#define ZLB_MAX_BACKENDS        (2 * ZLB_BACKEND_HALF)
#define ZLB_CONNTRACK_SIZE      262144  /* default; settings.conntrack_size */
#define ZLB_FIB_CACHE_BITS      12
#define ZLB_FIB_CACHE_SIZE      (1 << ZLB_FIB_CACHE_BITS)  /* slots per CPU */
#define ZLB_NEIGH_SIZE          4096
#define ZLB_MAX_IFACES          64

#define ZLB_DEFAULT_FIB_CACHE_MS 1000

/* Maglev lookup tables: one per service, a prime number of entries. */
#define ZLB_MAGLEV_DEFAULT_SIZE 65537
#define ZLB_MAGLEV_MIN_SIZE     251
#define ZLB_MAGLEV_MAX_SIZE     1048573
#define ZLB_MAX_WEIGHT          1000
#define ZLB_MAGLEV_NONE         0xffffffffu  /* zlb_maglev_build()'s entry: no backend */

/* Source NAT: the backend-side port is taken from a range kept apart from
 * the host's ephemeral ports, starting at one derived from a hash of the
 * client's tuple, so a flow re-created after its entry was lost gets the
 * same port when nothing collides, and walking on with a stride coprime
 * with the range (zlb_hash.h, zlb_snat_first()) over at most
 * ZLB_SNAT_TRIES ports, each a different one: a range of up to
 * ZLB_SNAT_TRIES ports is tried whole, a larger one fills up nearly
 * completely before flows are refused. A range holds at least
 * ZLB_SNAT_MIN_PORTS. */
#define ZLB_SNAT_PORT_MIN 16384          /* defaults; settings.snat_ports */
#define ZLB_SNAT_PORT_MAX 32767
#define ZLB_SNAT_TRIES    128
#define ZLB_SNAT_MIN_PORTS 8

/* Default connection timeouts in seconds (IPVS-like); settings.timeouts. */
#define ZLB_TIMEOUT_TCP_SYN          60
#define ZLB_TIMEOUT_TCP_ESTABLISHED  900
#define ZLB_TIMEOUT_TCP_CLOSING      120
#define ZLB_TIMEOUT_TCP_CLOSE        10
#define ZLB_TIMEOUT_UDP              300
#define ZLB_TIMEOUT_ICMP             30

/* An address of either family. IPv4 is kept IPv4-mapped (::ffff:a.b.c.d):
 * one layout serves both families, and the family is in the address itself
 * (zlb_addr.h). "No address" is all zeros. */
union zlb_addr {
	__u8 b[16];
	__be32 w[4];
	struct {
		__be32 v4_prefix[3];     /* 0, 0, htonl(0xffff) for IPv4 */
		__be32 v4;
	};
};

/* Read-only constants of the program (.rodata), set by zlb-load before the
 * program is loaded. */
struct zlb_rodata {
	__u32 fib_lookup_src;    /* kernel has BPF_FIB_LOOKUP_SRC (6.7+) */
	__u32 pad;
};

/* zlb_meta: one entry at key 0. */
enum zlb_ct_state {
	ZLB_CT_TCP_SYN = 0,      /* SYN seen, no answer yet */
	ZLB_CT_TCP_ESTABLISHED,
	ZLB_CT_TCP_CLOSING,      /* a FIN seen */
	ZLB_CT_TCP_CLOSE,        /* a RST, or FINs both ways */
	ZLB_CT_UDP,
	ZLB_CT_ICMP,
	ZLB_CT_STATE_MAX,
};

#define ZLB_CT_STATE_NAMES { "syn", "established", "closing", "close", "udp", "icmp" }

struct zlb_meta {
	__u32 abi_version;
	__u32 backend_half;      /* which half of zlb_backends/zlb_maglev is live */
	__u64 fib_cache_ns;      /* maximum age of a zlb_fib_cache entry */
	__u64 generation;        /* bumped by every successful load */
	__u64 timeout_ns[ZLB_CT_STATE_MAX];  /* idle time after which a flow is gone */
	__u16 snat_port_min;     /* host order */
	__u16 snat_port_max;
	__u32 conntrack_size;    /* max_entries of zlb_conntrack4, for the tools */
};

/* zlb_services key: protocol is IPPROTO_TCP/UDP with the service port, or
 * IPPROTO_ICMP (IPv4) / IPPROTO_ICMPV6 (IPv6) with port 0 for the service
 * of an address that takes echo. */
struct zlb_svc_key {
	union zlb_addr addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct zlb_service {
	__u32 id;                /* index in the config: zlb_counters.svcs[] */
	__u32 backend_base;      /* first slot in zlb_backends */
	__u32 backend_count;
	__u32 maglev_key;        /* key of its table in zlb_maglev */
	__u32 maglev_size;       /* entries of that table (a prime) */
	__u32 flags;
};

/* zlb_maglev: array of maps, key = half * ZLB_MAX_SERVICES + service id.
 * Each inner map is an array of ceil(maglev_size / ZLB_MAGLEV_CHUNK)
 * chunks; Maglev entry i is byte i % ZLB_MAGLEV_CHUNK of chunk
 * i / ZLB_MAGLEV_CHUNK: a backend's index in its service (its slot is
 * backend_base + index), or ZLB_MAGLEV_NO_BACKEND. A byte an entry (a
 * service has at most 64 backends) instead of the 8 bytes an array
 * element takes: a table of 65537 entries takes 64 KiB, not 512. A
 * backend of weight 0 has no entries: no new flows. */
#define ZLB_MAGLEV_CHUNK        64
#define ZLB_MAGLEV_NO_BACKEND   0xff

struct zlb_maglev_chunk {
	__u8 be[ZLB_MAGLEV_CHUNK];
};

_Static_assert(ZLB_MAX_BACKENDS_PER_SVC < ZLB_MAGLEV_NO_BACKEND,
	       "a backend's index in its service fits a Maglev entry");

/* zlb_backends value, of the service's family. src all zeros: use the
 * FIB's source address (when the kernel has BPF_FIB_LOOKUP_SRC) -- zlb-load
 * fills src otherwise. addr all zeros: an empty slot. */
struct zlb_backend {
	union zlb_addr addr;
	union zlb_addr src;
	__be16 port;
	__u16 weight;
	__u32 service_id;
	__u32 id;                /* service id * ZLB_MAX_BACKENDS_PER_SVC + index
				  * in the config: zlb_be_stats key */
};

/* The connection tables: one entry per direction. The key is the packet's
 * own tuple; the value is the tuple it leaves with. For ICMP echo both
 * ports hold the echo identifier. IPv4 flows live in zlb_conntrack4 under
 * a 16-byte key (struct zlb_ct_key4): the kernel hashes and compares a
 * quarter of the words an IPv6 key takes. Every other flow lives in
 * zlb_conntrack under struct zlb_ct_key. Code on both sides speaks
 * struct zlb_ct_key, IPv4 kept IPv4-mapped; a key whose two addresses are
 * IPv4-mapped belongs in zlb_conntrack4 (zlb_ct.h converts). The tables
 * hold settings.conntrack_size and settings.conntrack_size_ipv6 entries. */
struct zlb_ct_key {
	union zlb_addr saddr;
	union zlb_addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct zlb_ct_key4 {
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
	union zlb_addr saddr;    /* rewritten tuple */
	union zlb_addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 dir;                /* enum zlb_ct_dir */
	__u8 state;              /* enum zlb_ct_state */
	__u8 fin_seen;           /* TCP: FINs seen, bit per direction */
	__u8 pad;
	__u32 service_id;
	__u32 backend_id;        /* zlb_backend.id */
	__u64 created_ns;        /* the coarse clock plus the creating CPU's count
				    of new flows (mod 65536): it tells a flow
				    from a later one of its tuple */
	__u64 last_seen_ns;
	__u64 packets;           /* in this direction */
	__u64 bytes;
};

/* zlb_fib_cache: a per-CPU array of ZLB_FIB_CACHE_SIZE slots, each CPU's
 * own direct-mapped cache of routes. A destination (after NAT) is cached in
 * slot zlb_fib_slot() (zlb_hash.h) and found there while the slot holds it,
 * has not expired and was written under the current zlb_meta.generation
 * (a load invalidates every slot by bumping it). An array lookup and one
 * address compare instead of a hash lookup; a CPU never reads a slot
 * another CPU is writing. */
struct zlb_fib_entry {
	union zlb_addr daddr;    /* the destination this slot holds */
	union zlb_addr src;      /* FIB's source address (zeros when unknown) */
	__u32 ifindex;           /* egress */
	__u32 if_slot;           /* its zlb_iface.slot + 1; 0: not configured */
	__u8 smac[6];
	__u8 dmac[6];
	__u32 if_flags;          /* the egress interface's ZLB_IF_F_* */
	__u32 mtu;               /* the route's MTU (0: unknown): a cached route
				    refuses larger packets as the FIB would */
	__u32 generation;        /* low 32 bits of zlb_meta.generation when cached */
	__u64 expires_ns;
};

/* zlb_flow_memo: a per-CPU array of ZLB_FLOW_MEMO_SLOTS slots, each CPU's
 * own direct-mapped memo of busy IPv4 flows in front of zlb_conntrack4 (an
 * exact-match cache: the kernel's hash lookup is the costliest step of an
 * established packet). A slot (zlb_memo_slot(), zlb_hash.h) holds a copy of
 * the table's entry for its key, and is good while the slot's word in
 * zlb_flow_epoch is still the one it was filled under and zlb_meta's
 * generation has not moved: whatever creates, deletes or changes the state
 * of an entry bumps the word of its key's slot (the data plane, and the
 * tools through libzlbcommon), and a load bumps the generation. Only a TCP
 * flow ESTABLISHED and a UDP flow are memoized, and only segments without
 * SYN, FIN or RST take the memo: every state change goes through the table.
 * A flow takes a slot that holds another flow, still good, only on every
 * ZLB_FLOW_MEMO_TAKEOVER-th of its packets through the table.
 * A packet that finds its flow in the memo counts in the copy and in
 * pending_*, which reach the table's entry when the next packet of the flow
 * on this CPU goes through the table: after ZLB_FLOW_MEMO_FLUSH packets, or
 * once the clock has moved on (a tick, a few ms). The slot keeps the
 * flow's route as well, for as long as zlb_fib_cache would have. Readers
 * of the table add what the slots still hold (libzlbcommon's zlb_ct_lookup
 * and zlb_ct_walk).
 */
#define ZLB_FLOW_MEMO_BITS      10
#define ZLB_FLOW_MEMO_SLOTS     (1 << ZLB_FLOW_MEMO_BITS)   /* per CPU */
#define ZLB_FLOW_MEMO_FLUSH     256
#define ZLB_FLOW_MEMO_TAKEOVER  16   /* another flow's good slot: every 16th packet */

struct zlb_flow_memo {
	__u64 key[2];            /* the struct zlb_ct_key4, as two words */
	__u32 epoch;             /* zlb_flow_epoch[slot] when filled */
	__u32 generation;        /* zlb_meta.generation when filled (0: empty) */
	__u64 flushed_ns;        /* the clock when the table's entry was last written */
	__u64 pending_packets;   /* counted here, not yet in the table's entry */
	__u64 pending_bytes;
	struct zlb_ct_entry e;   /* the table's entry, kept current on this CPU */
	struct zlb_fib_entry route;  /* its route when filled, good until
					route.expires_ns as in zlb_fib_cache */
};


/* zlb_snat_addrs: the load balancer's own addresses (union zlb_addr), value
 * ZLB_ADDR_F_*. A packet to a source address, in the SNAT port range, with
 * no flow is a reply to a flow that is gone: dropped, never handed up. A
 * packet to a service address that cannot be matched to a service (an IPv6
 * extension header zon-lb does not parse, a later IPv6 fragment) is dropped
 * too: handed up, it would meet the load balancer's own stack. */
#define ZLB_ADDR_F_SOURCE  (1 << 0)  /* a source address towards backends */
#define ZLB_ADDR_F_SERVICE (1 << 1)  /* a service address */

/* zlb_neigh: key is a next-hop address (union zlb_addr): IPv4 (ARP) or
 * IPv6 (neighbour discovery). */
struct zlb_neigh_entry {
	__u8 mac[6];
	__u16 flags;
	__u32 ifindex;
	__u64 updated_ns;
};

#define ZLB_NEIGH_F_STATIC  (1 << 0)  /* written by zlb-load or zlb-arp */
#define ZLB_NEIGH_F_LEARNED (1 << 1)  /* learned from a packet (ARP, new client) */

/* zlb_ifaces: key is an ifindex of a configured interface. */
struct zlb_iface {
	__u8 mac[6];
	__u16 flags;             /* ZLB_IF_F_* */
	__u32 slot;              /* index in the config: zlb_counters.ifs[] */
};

/* zlb_iface.flags (0 in pins of older loads: XDP, no peer redirect). */
#define ZLB_IF_F_TC        (1 << 0)  /* the tc program runs here, not XDP */
#define ZLB_IF_F_PEER_NS   (1 << 1)  /* a veth whose peer is in another network
                                        namespace: tc sends with bpf_redirect_peer */
#define ZLB_IF_F_VETH      (1 << 2)  /* a veth: XDP sends a frame back out of it
                                        through zlb_tx_ports, not by XDP_TX (veth
                                        wakes the peer for an XDP_TX frame only
                                        when the peer runs XDP: with GRO alone the
                                        frame stays queued) */

/* Traffic the load balancer forwarded for a service (zlb_counters.svcs[],
 * by service id) or a backend (zlb_be_stats, a per-CPU array keyed by
 * backend id), both directions. */
struct zlb_traffic {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};

/* Traffic of a configured interface: zlb_counters.ifs[zlb_iface.slot]. */
struct zlb_if_traffic {
	__u64 rx_packets;        /* seen by the program on this interface */
	__u64 rx_bytes;
	__u64 fwd_packets;       /* sent out of this interface */
	__u64 fwd_bytes;
	__u64 drops;             /* dropped on arrival here */
};

/* zlb_stats counters: zlb_counters.c[], indexed by these. */
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
	ZLB_C_DROP_TTL,          /* TTL / hop limit would reach 0 */
	ZLB_C_DROP_NO_BACKEND,   /* service without usable backend */
	ZLB_C_DROP_NO_SOURCE,    /* no source address for the backend side */
	ZLB_C_DROP_NO_TX_PORT,   /* egress interface is not configured */
	ZLB_C_DROP_CT_INSERT,    /* connection table update failed */
	ZLB_C_DROP_SNAT_BUSY,    /* every source port tried is taken */
	ZLB_C_DROP_TCP_NO_FLOW,  /* mid-connection TCP segment, unknown flow */
	ZLB_C_DROP_FRAGMENT,     /* fragment (IPv4, IPv6) addressed to a service */
	ZLB_C_CT_EXPIRED,        /* a flow's entry outlived its timeout */
	ZLB_C_CT_EVICTED,        /* a flow's partner entry was gone (LRU) */
	ZLB_C_DROP_REPLY_NO_FLOW,/* reply to a flow whose entry is gone */
	ZLB_C_CSUM_COMPLETED,    /* partial L4 checksums completed */
	ZLB_C_ICMP_ERROR_NAT,    /* ICMP errors about a flow translated */
	ZLB_C_DROP_IPV6_EXT,     /* IPv6 to a service with an extension header
				    zon-lb does not handle, or too many */
	ZLB_C_MAX,
};

/* zlb_stats: a per-CPU array of one entry, all the counters of a CPU side
 * by side, each configured interface's traffic and each service's: a
 * packet looks them up once and touches a few cache lines, not one per
 * counter. Room for ZLB_C_SLOTS counters, ZLB_MAX_IFACES interfaces and
 * ZLB_MAX_SERVICES services, powers of 2: the data plane indexes with a
 * mask. Within the kernel's 32 KiB for a per-CPU value. */
#define ZLB_C_SLOTS 32

struct zlb_counters {
	__u64 c[ZLB_C_SLOTS];    /* the first ZLB_C_MAX are used */
	struct zlb_if_traffic ifs[ZLB_MAX_IFACES];  /* by zlb_iface.slot */
	struct zlb_traffic svcs[ZLB_MAX_SERVICES];  /* by zlb_service.id */
};

_Static_assert(ZLB_C_MAX <= ZLB_C_SLOTS, "zlb_counters has a slot for each counter");
_Static_assert((ZLB_MAX_IFACES & (ZLB_MAX_IFACES - 1)) == 0, "ZLB_MAX_IFACES is a power of 2");
_Static_assert((ZLB_MAX_SERVICES & (ZLB_MAX_SERVICES - 1)) == 0, "ZLB_MAX_SERVICES is a power of 2");
_Static_assert(sizeof(struct zlb_counters) <= 32768, "a per-CPU value holds 32 KiB at most");


#define ZLB_COUNTER_NAMES { \
	"rx", "pass", "forward", "redirect", "tx", \
	"ct_hit", "ct_miss", "new_flow", "fib_lookup", "fib_cache_hit", \
	"neigh_miss", "neigh_learned", \
	"drop_no_neigh", "drop_fib", "drop_fwd_disabled", "drop_frag_needed", \
	"drop_ttl", "drop_no_backend", "drop_no_source", "drop_no_tx_port", \
	"drop_ct_insert", "drop_snat_busy", "drop_tcp_no_flow", "drop_fragment", \
	"ct_expired", "ct_evicted", "drop_reply_no_flow", "csum_completed", \
	"icmp_error_nat", "drop_ipv6_ext", \
}

#endif /* ZLB_ABI_H */
