// SPDX-License-Identifier: GPL-2.0
/* A hash set of connection-table keys: open addressing, linear probing,
 * at most half full. */
#include <stdlib.h>
#include <string.h>

#include "keyset.h"
#include "zlb_hash.h"

static size_t key_hash(const struct zlb_ct_key *k)
{
	uint32_t h = 0x5eed;

	for (int i = 0; i < 4; i++)
		h = zlb_hash_mix(zlb_hash_mix(h, k->saddr.w[i]), k->daddr.w[i]);
	h = zlb_hash_mix(h, (uint32_t)k->sport << 16 | k->dport);
	return zlb_hash_final(zlb_hash_mix(h, k->proto));
}

static int keyset_grow(struct keyset *s);

bool keyset_find(const struct keyset *s, const struct zlb_ct_key *k, size_t *at)
{
	size_t i = key_hash(k) & (s->cap - 1);

	while (s->used[i] && memcmp(&s->keys[i], k, sizeof(*k)))
		i = (i + 1) & (s->cap - 1);
	*at = i;
	return s->used[i];
}

int keyset_add(struct keyset *s, const struct zlb_ct_key *k, uint32_t val)
{
	size_t at;

	if (2 * (s->n + 1) > s->cap && keyset_grow(s))
		return -1;
	if (!keyset_find(s, k, &at))
		s->n++;
	s->keys[at] = *k;
	s->vals[at] = val;
	s->used[at] = true;
	return 0;
}

int keyset_init(struct keyset *s, size_t cap)
{
	s->cap = cap;
	s->n = 0;
	s->keys = calloc(cap, sizeof(*s->keys));
	s->vals = calloc(cap, sizeof(*s->vals));
	s->used = calloc(cap, sizeof(*s->used));
	return s->keys && s->vals && s->used ? 0 : -1;
}

void keyset_free(struct keyset *s)
{
	free(s->keys);
	free(s->vals);
	free(s->used);
}

static int keyset_grow(struct keyset *s)
{
	struct keyset bigger;

	if (keyset_init(&bigger, 2 * s->cap)) {
		keyset_free(&bigger);
		return -1;
	}
	for (size_t i = 0; i < s->cap; i++)
		if (s->used[i])
			keyset_add(&bigger, &s->keys[i], s->vals[i]);
	keyset_free(s);
	*s = bigger;
	return 0;
}
