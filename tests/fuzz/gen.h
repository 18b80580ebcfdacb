/* SPDX-License-Identifier: GPL-2.0 */
/* Frames for the fuzzer, from a seeded PRNG: packets to the services and
 * of the flows the data plane opened for earlier frames (both sides), ICMP
 * and ICMPv6 errors about those flows or quoting garbage, frames for
 * nobody, IPv6 junk, ARP and random bytes -- IPv4 or IPv6 as the service
 * is, IPv6 now and then with extension headers; then, for many,
 * mutations: truncation at any offset, padding, bad IHL, total (payload)
 * length, version, fragment fields, TTL (hop limit), next header,
 * checksums, VLAN tags, flipped bytes. */
#ifndef ZLB_FUZZ_GEN_H
#define ZLB_FUZZ_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "lb.h"
#include "zlb_addr.h"

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
uint32_t rng_below(struct rng *r, uint32_t n);

/* A flow the data plane opened for one of our frames, ports in host order.
 * Echo: cport and sport hold the identifier, vport and bport 0. */
struct flow {
	uint8_t proto;
	union zlb_addr client, vip, backend, src;       /* IPv4: IPv4-mapped */
	uint16_t cport, vport, bport, sport;
	int client_port, backend_port;          /* where each side's frames arrive */
	uint8_t client_mac[6], backend_mac[6];
};

enum gen_kind {
	GEN_NEW,                /* to a service, from one of the clients */
	GEN_CLIENT,             /* a tracked flow's packet from its client */
	GEN_BACKEND,            /* ... from its backend */
	GEN_ERR_FLOW,           /* ICMP error quoting a tracked flow's packet */
	GEN_ERR_JUNK,           /* ICMP error to our addresses quoting garbage */
	GEN_OURS,               /* to a service or source address, anything */
	GEN_STRAY,              /* IP to somebody else */
	GEN_IPV6,               /* IPv6 junk: random addresses, headers and payload */
	GEN_ARP,
	GEN_RANDOM,             /* random bytes after the MACs */
	GEN_KINDS,
};

extern const char *const gen_kind_names[GEN_KINDS];

enum gen_mutation {
	MUT_TRUNCATE, MUT_PAD, MUT_IHL, MUT_TOT_LEN, MUT_VERSION, MUT_FRAG, MUT_TTL,
	MUT_PROTO, MUT_IP_CSUM, MUT_L4_CSUM, MUT_TCP_DOFF, MUT_VLAN, MUT_FLIP,
	MUT_KINDS,
};

extern const char *const gen_mutation_names[MUT_KINDS];

struct gen_frame {
	uint8_t data[FUZZ_FRAME_MAX];
	size_t len;
	int port;                       /* ingress, VETH* */
	enum gen_kind kind;
	unsigned int mutations;         /* bit per enum gen_mutation */
	size_t truncated_at;            /* MUT_TRUNCATE: the new length */
};

#define GEN_MAX_FLOWS 8192

struct gen {
	struct rng rng;
	const struct zlb_config *cfg;
	const union zlb_addr *ours;     /* service and source addresses */
	size_t nours;
	struct flow flows[GEN_MAX_FLOWS];
	size_t nflows;
};

void gen_init(struct gen *g, uint64_t seed, const struct zlb_config *cfg,
	      const union zlb_addr *ours, size_t nours);
void gen_frame(struct gen *g, struct gen_frame *f);
/* Remember @f (a flow the data plane just opened) for later frames. */
void gen_learn(struct gen *g, const struct flow *f);

#endif
