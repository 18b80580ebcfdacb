// SPDX-License-Identifier: GPL-2.0
/* Weighted Maglev table: each backend walks its own permutation of the
 * table and takes its next free entry in turn; with weights, a backend
 * takes a turn whenever its accumulated credit reaches the largest weight,
 * so heavier backends take more turns per round. With equal weights this
 * is the algorithm of the paper exactly. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "maglev.h"

struct mg_backend {
	uint64_t key;
	uint32_t index;		/* in the caller's arrays */
	uint32_t next;		/* next entry of its permutation to try */
	uint32_t skip;
	uint32_t credit;
	uint16_t weight;
};

/* splitmix64's finaliser: a bijection that spreads every input bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint64_t zlb_maglev_key(const union zlb_addr *addr, uint16_t port)
{
	uint64_t hi, lo;

	if (zlb_addr_is_v4(addr))
		return (uint64_t)ntohl(addr->v4) << 16 | port;
	/* 128 bits folded to 48: backends of one service collide with a
	 * chance of about n^2 / 2^49. */
	hi = (uint64_t)ntohl(addr->w[0]) << 32 | ntohl(addr->w[1]);
	lo = (uint64_t)ntohl(addr->w[2]) << 32 | ntohl(addr->w[3]);
	return mix64(hi ^ mix64(lo)) << 16 | port;
}

/* Two independent hashes of a key: the permutation's start and step. */
static uint64_t h1(uint64_t key)
{
	return mix64(key ^ 0x5a4c424d41474c31ull);	/* "ZLBMAGL1" */
}

static uint64_t h2(uint64_t key)
{
	return mix64(key ^ 0x5a4c424d41474c32ull);	/* "ZLBMAGL2" */
}

bool zlb_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	for (d = 2; d <= n / d; d++)
		if (n % d == 0)
			return false;
	return true;
}

/* The order of turns within a round decides who wins a contested entry:
 * take it from the keys, not from the caller's order. */
static int cmp_backend(const void *a, const void *b)
{
	const struct mg_backend *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void fill_none(uint32_t *table, uint32_t size)
{
	uint32_t i;

	for (i = 0; i < size; i++)
		table[i] = ZLB_MAGLEV_NONE;
}

size_t zlb_maglev_starved(const uint16_t *weight, size_t n, const uint32_t *table,
			  uint32_t size, size_t *out)
{
	bool has[ZLB_MAX_BACKENDS_PER_SVC] = { false };
	size_t k = 0;

	for (uint32_t e = 0; e < size; e++)
		if (table[e] < n && table[e] < ZLB_MAX_BACKENDS_PER_SVC)
			has[table[e]] = true;
	for (size_t i = 0; i < n && i < ZLB_MAX_BACKENDS_PER_SVC; i++)
		if (weight[i] && !has[i])
			out[k++] = i;
	return k;
}

int zlb_maglev_build(const uint64_t *key, const uint16_t *weight, size_t n,
		     uint32_t size, uint32_t *table)
{
	struct mg_backend *b, *be;
	uint16_t max_weight = 0;
	uint32_t filled = 0, pos;
	size_t i, m = 0;

	if (!zlb_is_prime(size)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!weight[i])
			continue;
		m++;
		if (weight[i] > max_weight)
			max_weight = weight[i];
	}
	if (!m) {
		fill_none(table, size);
		errno = ENOENT;
		return -1;
	}
	b = calloc(m, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0, m = 0; i < n; i++) {
		if (!weight[i])
			continue;
		be = &b[m++];
		be->key = key[i];
		be->index = i;
		be->weight = weight[i];
		be->next = h1(key[i]) % size;
		be->skip = h2(key[i]) % (size - 1) + 1;
	}
	qsort(b, m, sizeof(*b), cmp_backend);

	fill_none(table, size);
	/* Every round the heaviest backends take a turn, so this ends after
	 * about size * max_weight / sum of weights rounds; a permutation of
	 * a prime size visits every entry, so each turn finds a free one. */
	for (;;) {
		for (i = 0; i < m; i++) {
			be = &b[i];
			be->credit += be->weight;
			if (be->credit < max_weight)
				continue;
			be->credit -= max_weight;
			pos = be->next;
			while (table[pos] != ZLB_MAGLEV_NONE)
				pos = pos >= size - be->skip ? pos - (size - be->skip)
							     : pos + be->skip;
			table[pos] = be->index;
			be->next = pos >= size - be->skip ? pos - (size - be->skip)
							  : pos + be->skip;
			if (++filled == size)
				goto done;
		}
	}
done:
	free(b);
	return 0;
}
