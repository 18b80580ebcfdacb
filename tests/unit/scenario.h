/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scenario of the packet tests, once for both families: the hosts of
 * packets.sh's namespace at their IPv4 and IPv6 addresses, config
 * templates filled with them (test_packets.c has the templates), and the
 * packets between the hosts, built for the family under test
 * (use_family). A case written with these runs for IPv4 and for IPv6
 * alike (test_flows.c, test_depth.c); what only one family has is in
 * test_packets4.c and test_packets6.c.
 *
 *   client --- veth0 (service)   veth2 (source) --- backend
 *   10.0.0.2   10.0.0.1          10.2.0.1           10.2.0.2
 *   fd00::2    fd00::1           fd00:2::1          fd00:2::2
 */
#ifndef ZLB_TEST_SCENARIO_H
#define ZLB_TEST_SCENARIO_H

#include "packet_harness.h"

/* An ICMP or ICMPv6 error message. */
struct icmp_kind {
	uint8_t type, code;
	const char *what;
};

#define NWEIGHTED_HOSTS 4

struct family {
	const char *tag;        /* before every case name: "" (IPv4) or "ipv6 " */
	enum pkt_kind kind;
	size_t ip_hdr;          /* bytes of the IP header without options or extensions */
	const char *ttl;        /* what the TTL is called: "TTL", "hop limit" */
	const char *udp_zero;   /* what a UDP checksum 0 is */
	uint8_t icmp;           /* IPPROTO_ICMP or IPPROTO_ICMPV6 */
	uint8_t echo_request, echo_reply;
	struct icmp_kind too_big, port_unreach, host_unreach, time_exceeded;
	uint16_t too_big_mtu;   /* the MTU a backend's too-big error names */
	uint16_t route_mtu;     /* of packets.sh's route to small_mtu */

	/* veth0's side */
	union zlb_addr vip;             /* veth0: the service address */
	union zlb_addr client;
	union zlb_addr hairpin;         /* a backend on the client side */
	union zlb_addr client2;         /* known only to zlb_neigh */
	union zlb_addr other;           /* nobody's service */
	/* veth2's side */
	union zlb_addr lb_src;          /* veth2: the source towards backends */
	union zlb_addr backend;
	union zlb_addr unresolved;      /* no kernel neighbour */
	union zlb_addr small_mtu;       /* behind a route of route_mtu */
	union zlb_addr snat_src;        /* a configured source */
	union zlb_addr router;          /* a router on the backend side */
	union zlb_addr not_src;         /* on veth2's side, not the load balancer's */
	union zlb_addr weighted[NWEIGHTED_HOSTS];  /* Maglev's backends: ...11 to ...14 */
	/* elsewhere */
	union zlb_addr no_route;        /* no route at all */
	union zlb_addr other_if;        /* behind veth3, where zon-lb is not */
};

extern const struct family ipv4, ipv6;

/* The family under test, and its hosts by name. */
extern const struct family *fam;

#define VIP        (fam->vip)
#define CLIENT     (fam->client)
#define HAIRPIN    (fam->hairpin)
#define CLIENT2    (fam->client2)
#define OTHER      (fam->other)
#define LB_SRC     (fam->lb_src)
#define BACKEND    (fam->backend)
#define UNRESOLVED (fam->unresolved)
#define SMALL_MTU  (fam->small_mtu)
#define SNAT_SRC   (fam->snat_src)
#define ROUTER     (fam->router)
#define NOT_SRC    (fam->not_src)
#define ICMP       (fam->icmp)

/* From now on build @f's packets and put its tag before the case names. */
void use_family(const struct family *f);

/* ---- addresses ------------------------------------------------------- */

/* An address of either family as the maps hold it (IPv4: IPv4-mapped). */
#define ADDR4(w, x, y, z) \
	{ .b = { [10] = 0xff, [11] = 0xff, [12] = (w), [13] = (x), [14] = (y), [15] = (z) } }
#define ADDR6(a, b_, c, d, e, f, g, h) \
	{ .b = { IP6_GROUP(a), IP6_GROUP(b_), IP6_GROUP(c), IP6_GROUP(d), IP6_GROUP(e), \
		 IP6_GROUP(f), IP6_GROUP(g), IP6_GROUP(h) } }

bool same_addr(union zlb_addr a, union zlb_addr b);
/* "10.0.0.1", "fd00::1"; and with a port: "10.0.0.1:23", "[fd00::1]:23".
 * In named()'s buffers. */
const char *host(union zlb_addr a);
const char *at(union zlb_addr a, uint16_t port);

/* ---- configs --------------------------------------------------------- */

/* lb_open() and lb_reload() with config template @tmpl, whose @VIP,
 * @BACKEND, @HAIRPIN, @UNRESOLVED, @SNAT_SRC, @SMALL_MTU, @NO_ROUTE,
 * @LB_SRC, @OTHER_IF and @WEIGHTED1 to 4 are the family's hosts. */
int lb_open_family(struct lb *lb, const char *path, bool fib_src, const char *tmpl,
		   struct zlb_err *err);
int lb_reload_family(struct lb *lb, const char *tmpl, struct zlb_err *err);

/* ---- packets --------------------------------------------------------- */

bool is_icmp(uint8_t proto);

/* A packet of @proto as it arrives on @port from @smac: TTL (hop limit)
 * 64; IPv4: DF and a fresh IP id. */
struct pkt arriving(int port, const uint8_t *smac, uint8_t proto, union zlb_addr saddr,
		    uint16_t sport, union zlb_addr daddr, uint16_t dport);
/* From the client, arriving on veth0. */
struct pkt from_client(uint8_t proto, uint16_t sport, union zlb_addr daddr, uint16_t dport);
/* The backend-side source port of a client's new flow when nothing
 * collides: the first port of the SNAT range its tuple hashes to. ICMP
 * echo keeps its identifier. */
uint16_t snat_port(union zlb_addr client, uint16_t cport, uint8_t proto);
/* From the backend to @daddr, arriving on veth2: the answer to the flow of
 * the client's port @cport. */
struct pkt from_backend(uint8_t proto, uint16_t sport, union zlb_addr daddr, uint16_t cport);
/* @p as the load balancer sends it on out of @port to @dmac: the new tuple
 * (ICMP echo keeps its id), TTL one less. Everything else as it came. */
struct pkt sent(const struct pkt *p, int port, const uint8_t *dmac, union zlb_addr saddr,
		uint16_t sport, union zlb_addr daddr, uint16_t dport);
/* A client's packet on its way to the backend's port @dport. */
struct pkt to_backend(const struct pkt *p, uint16_t dport);
/* A backend's packet on its way back to the client, from the service's
 * port @sport. */
struct pkt to_client(const struct pkt *p, uint16_t sport);

/* An ICMP(v6) error @k (the family's) from @from, arriving on @port from
 * @smac, to @to, quoting @quoted with @l4_bytes of its L4 part; @mtu in
 * the rest of its header (too big: IPv4 has it in the second half).
 * Traffic class 0xc0 and IPv4 without DF, as Linux sends its errors. */
struct pkt icmp_error_on(int port, const uint8_t *smac, union zlb_addr from, union zlb_addr to,
			 const struct icmp_kind *k, uint32_t mtu, const struct pkt *quoted,
			 size_t l4_bytes);
/* Error @e as it must leave on @port to @dmac, from @from to @to, TTL one
 * less, quoting @orig -- the packet of the other side that the error is
 * about, as that side sent it -- with its TTL one less too (the quote is
 * of the translated packet), extension headers and all; the builder
 * computes every checksum, over that side's addresses. */
struct pkt icmp_out(const struct pkt *e, int port, const uint8_t *dmac, union zlb_addr from,
		    union zlb_addr to, const struct pkt *orig, size_t l4_bytes);

struct zlb_ct_key ct_key(union zlb_addr saddr, uint16_t sport, union zlb_addr daddr,
			 uint16_t dport, uint8_t proto);
/* The tuple of the TCP/UDP frame that left in @r: 0, or -1 when it is no
 * such frame of the family. */
int out_tuple(const struct result *r, union zlb_addr *saddr, uint16_t *sport,
	      union zlb_addr *daddr, uint16_t *dport);

/* ---- the cases written once (test_flows.c, test_depth.c) -------------- */

/* The reference flows and their edges, on a load balancer with main_conf. */
void test_flows(const struct lb *lb);
/* The route cache's age; last on that load balancer: it empties the cache. */
void test_fib_cache_age(const struct lb *lb);
/* On one with nofibsrc_conf, for a kernel without BPF_FIB_LOOKUP_SRC. */
void test_no_fib_source(const struct lb *lb);
/* Connection tracking, partial checksums, ICMP errors, traffic counters and
 * Maglev, on one with depth_conf of its own (reloaded to drain a backend). */
void test_depth(struct lb *lb);
/* On one with small_ct_conf. */
void test_full_table(const struct lb *lb);
/* On one with hairpin_echo_conf. */
void test_self_collision(const struct lb *lb);
/* On one with a source port range @lo..@hi and a telnet service of one
 * backend (test_snat.c). */
void test_snat_range(const struct lb *lb, uint16_t lo, uint16_t hi);
/* The flow memo (test_memo.c), on one of its own with main_conf @conf (reloaded with it). */
void test_flow_memo(struct lb *lb, const char *conf);

/* The config templates of those load balancers (test_packets.c). */
extern const char depth_drain_conf[];
extern const char depth_swap_conf[];     /* depth_conf with veth2 in slot 0, veth0 in 1 */
extern const char depth_conf[];
extern const char depth_shift_conf[];    /* ids that change hands (test_reload_ids) */
enum { SVC_TELNET, SVC_DNS, SVC_WEIGHTED, SVC_DRAINED };      /* depth_conf's */
enum { SLOT_VETH0, SLOT_VETH2 };
#define BE_ID(svc, i) ((svc) * ZLB_MAX_BACKENDS_PER_SVC + (i))

/* ---- what only one family has ----------------------------------------- */

/* On the main load balancer after test_flows(); @path: the BPF object, for
 * load balancers of their own. */
void test_ipv4_only(const struct lb *lb, const char *path);
void test_ipv6_only(const struct lb *lb, const char *path);

#endif
