/* SPDX-License-Identifier: GPL-2.0 */
/* The flow hash, written once for the data plane (backend choice, source
 * port choice) and for user space (tests and tools that predict them). */
#ifndef ZLB_HASH_H
#define ZLB_HASH_H

#include <linux/types.h>

#include "zlb_addr.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline __u32 zlb_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* One murmur3 round over a 32-bit word. */
static __always_inline __u32 zlb_hash_mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51;
	k = zlb_rotl32(k, 15);
	k *= 0x1b873593;
	h ^= k;
	h = zlb_rotl32(h, 13);
	return h * 5 + 0xe6546b64;
}

static __always_inline __u32 zlb_hash_final(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* Hash of a client's side of a flow: its address and port (ICMP echo: the
 * identifier) as they lie in the packet, and the protocol. */
static __always_inline __u32 zlb_flow_hash(__be32 saddr, __be16 sport, __u8 proto)
{
	__u32 h = 0x5a4c4221;   /* "ZLB!" */

	h = zlb_hash_mix(h, saddr);
	h = zlb_hash_mix(h, ((__u32)sport << 8) | proto);
	return zlb_hash_final(h ^ 8);
}

/* The same for an address of either family: an IPv4 client hashes as
 * above, an IPv6 one over its four words. */
static __always_inline __u32 zlb_flow_hash_addr(const __be32 w[4], __be16 sport, __u8 proto)
{
	__u32 h = 0x5a4c4221;

	if (!w[0] && !w[1] && w[2] == ZLB_V4_MAPPED_WORD)
		return zlb_flow_hash(w[3], sport, proto);
	h = zlb_hash_mix(h, w[0]);
	h = zlb_hash_mix(h, w[1]);
	h = zlb_hash_mix(h, w[2]);
	h = zlb_hash_mix(h, w[3]);
	h = zlb_hash_mix(h, ((__u32)sport << 8) | proto);
	return zlb_hash_final(h ^ 20);
}

/* A new flow's source port (zlb_abi.h, ZLB_SNAT_TRIES): a walk over the
 * @span ports of the range (1 to 65536), as offsets from its first. The
 * walk starts at the offset the client tuple's flow hash @hash names
 * (zlb_snat_first()), so that a flow re-created after its entries were
 * lost gets the same port whenever nothing collides. Each next step is
 * zlb_snat_stride() further on, modulo @span: a stride derived from a
 * second hash and coprime with the span, so that the walk meets every
 * port once before it comes back, and two flows that start close by go
 * different ways. (Probing the next ports one by one makes runs of taken
 * ports that grow with every flow hashed into them; a few tries then
 * refuse flows while most of the range is free.) */
static __always_inline __u32 zlb_snat_first(__u32 hash, __u32 span)
{
	return hash % span;
}

/* The stride of the walk of a flow of hash @hash over @span ports: 1 to
 * @span - 1 from a second hash, stripped of the factors it shares with
 * the span. One loop: Euclid's steps find g = gcd(span, s); s is divided
 * by g, and what s still shares with the span divides g, so Euclid goes
 * on from (s, g). For any span up to 65536 it ends within 50 of its
 * ZLB_SNAT_STRIDE_STEPS rounds (every candidate of every span tried, in
 * user space); the fallback, 1, is coprime too. */
#define ZLB_SNAT_STRIDE_STEPS 64
static __always_inline __u32 zlb_snat_stride(__u32 hash, __u32 span)
{
	__u32 s, a, b, t;

	if (span < 3)
		return 1;
	s = 1 + zlb_hash_final(hash ^ 0x9e3779b9) % (span - 1);
	a = span;
	b = s;
	for (int i = 0; i < ZLB_SNAT_STRIDE_STEPS; i++) {
		if (b) {
			t = a % b;
			a = b;
			b = t;
		} else if (a == 1) {
			return s;
		} else {
			s /= a;
			b = a;
			a = s;
		}
	}
	return 1;
}

/* The offset after @x on the walk of stride @stride over @span ports. */
static __always_inline __u32 zlb_snat_next(__u32 x, __u32 stride, __u32 span)
{
	x += stride;
	return x >= span ? x - span : x;
}

/* The zlb_fib_cache slot of destination @w (zlb_abi.h): its words folded,
 * in host order (the last octet low, so that neighbouring addresses differ
 * in the low bits), and hashed by one multiplication, whose top bits are
 * the slot. Short: it is on every packet's path. */
static __always_inline __u32 zlb_fib_slot(const __be32 w[4])
{
	__u32 f = __builtin_bswap32(w[0] ^ w[1] ^ w[2] ^ w[3]);

	return (f * 0x9e3779b1u) >> (32 - ZLB_FIB_CACHE_BITS);
}

/* The zlb_flow_memo slot of the struct zlb_ct_key4 @k (two words): folded
 * and hashed by one multiplication, whose top bits are the slot. */
static __always_inline __u32 zlb_memo_slot(const __u64 k[2])
{
	__u64 f = k[0] ^ k[1];

	return ((__u32)(f ^ (f >> 32)) * 0x9e3779b1u) >> (32 - ZLB_FLOW_MEMO_BITS);
}

#endif
