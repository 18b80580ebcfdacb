/* SPDX-License-Identifier: GPL-2.0 */
/* A hash set of connection-table keys, each with a number: the original
 * tuples the fuzzer's frames opened; the index of a table read whole. */
#ifndef ZLB_FUZZ_KEYSET_H
#define ZLB_FUZZ_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zlb_abi.h"

struct keyset {
	struct zlb_ct_key *keys;
	uint32_t *vals;
	bool *used;
	size_t cap, n;          /* cap: a power of two */
};

int keyset_init(struct keyset *s, size_t cap);
void keyset_free(struct keyset *s);
/* Add @k with @val (replacing the number of a key already there). */
int keyset_add(struct keyset *s, const struct zlb_ct_key *k, uint32_t val);
/* Whether @k is in @s; *@at is its slot, or where it would go. */
bool keyset_find(const struct keyset *s, const struct zlb_ct_key *k, size_t *at);

#endif
