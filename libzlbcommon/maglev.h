/* SPDX-License-Identifier: GPL-2.0 */
/* The weighted Maglev lookup table of a service (Eisenbud et al., "Maglev:
 * A Fast and Reliable Software Network Load Balancer", NSDI 2016), built in
 * user space; the data plane picks a new flow's backend as
 * table[zlb_flow_hash(saddr, sport, proto) % size] (zlb_hash.h). */
#ifndef ZLB_MAGLEV_H
#define ZLB_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "zlb_abi.h"	/* ZLB_MAGLEV_NONE: an entry that names no backend */
#include "zlb_addr.h"

/* A backend's identity for Maglev: stable across reloads and independent
 * of its position in the config (address and port), so adding or removing
 * one backend moves few flows. IPv4: address << 16 | port; IPv6: a 48-bit
 * hash of the address << 16 | port. @port in host order. */
uint64_t zlb_maglev_key(const union zlb_addr *addr, uint16_t port);

/* Fill @table (@size entries, @size prime) with backend indexes 0..n-1 by
 * weighted Maglev. Backend i has key[i] (its permutation of the table:
 * offset = h1(key) % size, skip = h2(key) % (size - 1) + 1) and weight[i];
 * in each round a backend accumulates its weight as credit and takes its
 * next preferred free entry whenever its credit reaches the largest weight,
 * so its share of the table is proportional to its weight. Weight 0: no
 * entries.
 *
 * The table depends on the set of (key, weight) pairs only, not on their
 * order in @key/@weight: the backends are taken in the order of their keys
 * (then weights) internally; the entries are still indexes into the
 * caller's arrays. Two backends should not share a key.
 *
 * Returns 0. Returns -1 with every entry ZLB_MAGLEV_NONE and errno ENOENT
 * when every weight is 0 (or @n is 0); -1 with errno EINVAL when @size is
 * not a prime (the permutations would not cover the table), ENOMEM when
 * out of memory (@table then untouched).
 * Cost: O(size log size + rounds * n), rounds = size * max weight / sum of
 * weights; 65537 entries and 64 backends take well under a millisecond. */
int zlb_maglev_build(const uint64_t *key, const uint16_t *weight, size_t n,
		     uint32_t size, uint32_t *table);

/* The backends of weight above 0 that got no entry in @table (built by
 * zlb_maglev_build() from @weight, @n backends, @size entries): with a
 * small table and weights far apart, a light backend's share rounds to
 * nothing, and it would get no new flow. Their indexes go to @out (room
 * for @n); returns how many. */
size_t zlb_maglev_starved(const uint16_t *weight, size_t n, const uint32_t *table,
			  uint32_t size, size_t *out);

/* Whether @n is prime: a Maglev table size must be. */
bool zlb_is_prime(uint32_t n);

#endif
