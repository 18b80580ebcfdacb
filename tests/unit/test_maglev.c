// SPDX-License-Identifier: GPL-2.0
/* The weighted Maglev table builder against what the data plane does with
 * it: flows from a seeded generator (so every run sees the same ones) are
 * mapped as the data plane maps them, table[zlb_flow_hash() % size], and
 * the shares and the flows that move on a change are measured and printed.
 * Needs no root. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "maglev.h"
#include "zlb_abi.h"
#include "zlb_hash.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define NFLOWS 100000
#define SIZE ZLB_MAGLEV_DEFAULT_SIZE
#define MAX_N ZLB_MAX_BACKENDS_PER_SVC
#define SHARE_TOLERANCE 0.05	/* relative, of the weight share */
#define MOVE_TOLERANCE 0.02	/* of the flows that need not move */
#define ENTRY_TOLERANCE 2	/* table entries off the exact weight share */

static uint32_t flow_hash[NFLOWS];
static uint32_t table_a[SIZE], table_b[SIZE];

/* xorshift64: the same flows on every run and every machine. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* TCP clients in 10.0.0.0/8 with source ports 1024..65535, hashed as the
 * data plane hashes them: address and port as they lie in the packet. */
static void make_flows(void)
{
	uint32_t addr;
	uint16_t port;
	uint64_t r;
	size_t i;

	for (i = 0; i < NFLOWS; i++) {
		r = rng();
		addr = 0x0a000000u | (uint32_t)(r & 0xffffff);
		port = 1024 + (uint16_t)((r >> 24) % (65536 - 1024));
		flow_hash[i] = zlb_flow_hash(htonl(addr), htons(port), IPPROTO_TCP);
	}
}

/* Backend i of a test is 10.2.0.(i+1):80. */
static uint64_t backend_key(unsigned i)
{
	union zlb_addr a = zlb_addr_v4(htonl(0x0a020000u | (i + 1)));

	return zlb_maglev_key(&a, 80);
}

/* The key of the backend flow @f goes to; 0 for none (no key is 0 here). */
static uint64_t flow_key(const uint32_t *table, const uint64_t *key, size_t f)
{
	uint32_t e = table[flow_hash[f] % SIZE];

	return e == ZLB_MAGLEV_NONE ? 0 : key[e];
}

/* ---- shares ---- */

/* Table entries per backend of @n with @weight, each within
 * ENTRY_TOLERANCE entries of its weight share (only rounding), and flows
 * within SHARE_TOLERANCE
 * when @flows_too (with a small weight, the share of 100,000 random flows
 * varies by more than 5% from the table's share). */
static bool check_shares(const uint16_t *weight, size_t n, const char *what,
			 bool flows_too)
{
	uint64_t key[MAX_N];
	size_t flows[MAX_N] = { 0 }, entries[MAX_N] = { 0 }, i;
	double sum = 0, want, got, tgot, off, worst = 0, tworst = 0;

	for (i = 0; i < n; i++) {
		key[i] = backend_key(i);
		sum += weight[i];
	}
	CHECK(zlb_maglev_build(key, weight, n, SIZE, table_a) == 0,
	      "build failed: %s", strerror(errno));
	for (i = 0; i < SIZE; i++) {
		CHECK(table_a[i] < n, "entry %zu is %u", i, table_a[i]);
		entries[table_a[i]]++;
	}
	for (i = 0; i < NFLOWS; i++)
		flows[table_a[flow_hash[i] % SIZE]]++;
	printf("# %s: share of flows (of table entries) against the weight share\n", what);
	for (i = 0; i < n; i++) {
		want = weight[i] / sum;
		got = (double)flows[i] / NFLOWS;
		tgot = (double)entries[i] / SIZE;
		off = entries[i] - want * SIZE;
		if (off > tworst || -off > tworst)
			tworst = off > 0 ? off : -off;
		printf("#   backend %zu weight %u: %6.3f%% (%6.3f%%), want %6.3f%%, off by %+.2f%%\n",
		       i, weight[i], 100 * got, 100 * tgot,
		       100 * want, 100 * (got - want) / want);
		if (got / want - 1 > worst || 1 - got / want > worst)
			worst = got > want ? got / want - 1 : 1 - got / want;
	}
	printf("#   worst deviation: flows %.2f%% relative (limit %s), table %.2f entries (limit %d)\n",
	       100 * worst, flows_too ? "5%" : "none", tworst, ENTRY_TOLERANCE);
	CHECK(tworst <= ENTRY_TOLERANCE, "a table share is off by %.2f entries", tworst);
	if (flows_too)
		CHECK(worst <= SHARE_TOLERANCE, "a flow share is off by %.2f%%", 100 * worst);
	return true;
}

static bool test_equal_shares(void)
{
	static const uint16_t w[] = { 1, 1, 1, 1 };

	return check_shares(w, ARRAY_SIZE(w), "4 equal backends", true);
}

static bool test_weighted_shares(void)
{
	static const uint16_t w[] = { 1, 2, 3, 4 };

	return check_shares(w, ARRAY_SIZE(w), "weights 1, 2, 3, 4", true);
}

static bool test_weighted_shares_wide(void)
{
	static const uint16_t w[] = { 1000, 500, 250, 100, 10, 100, 250, 500 };

	return check_shares(w, ARRAY_SIZE(w), "weights 1000 .. 10", false);
}

/* ---- movement ---- */

/* Flows that change backend between table @a (backends @ka) and table @b
 * (backends @kb): those that were on @gone (key; 0 for none) and the rest. */
struct movement {
	size_t on_gone, on_gone_moved, others, others_moved, to_new;
};

static struct movement measure(const uint64_t *ka, const uint64_t *kb,
			       uint64_t gone, uint64_t added)
{
	struct movement m = { 0 };
	uint64_t before, after;
	size_t f;

	for (f = 0; f < NFLOWS; f++) {
		before = flow_key(table_a, ka, f);
		after = flow_key(table_b, kb, f);
		if (before == gone) {
			m.on_gone++;
			m.on_gone_moved += after != before;
			continue;
		}
		m.others++;
		if (after != before) {
			m.others_moved++;
			m.to_new += after == added;
		}
	}
	return m;
}

/* Removing each one of @n backends in turn: its flows move, and at most
 * MOVE_TOLERANCE of the others. */
static bool test_remove(size_t n)
{
	uint64_t key[MAX_N], key2[MAX_N];
	uint16_t weight[MAX_N];
	struct movement m;
	double frac, worst = 0;
	size_t r, i, j;

	for (i = 0; i < n; i++) {
		key[i] = backend_key(i);
		weight[i] = 1;
	}
	CHECK(zlb_maglev_build(key, weight, n, SIZE, table_a) == 0, "build failed");
	printf("# remove one of %zu backends: flows of the others that move\n", n);
	for (r = 0; r < n; r++) {
		for (i = 0, j = 0; i < n; i++)
			if (i != r)
				key2[j++] = key[i];
		CHECK(zlb_maglev_build(key2, weight, n - 1, SIZE, table_b) == 0,
		      "build failed");
		m = measure(key, key2, key[r], 0);
		frac = (double)m.others_moved / m.others;
		printf("#   without backend %zu: its %zu flows moved (%zu), %zu of %zu others moved (%.3f%%)\n",
		       r, m.on_gone, m.on_gone_moved, m.others_moved, m.others, 100 * frac);
		CHECK(m.on_gone_moved == m.on_gone, "a flow stayed on a removed backend");
		if (frac > worst)
			worst = frac;
	}
	printf("#   worst %.3f%% (limit %.0f%%)\n", 100 * worst, 100 * MOVE_TOLERANCE);
	CHECK(worst <= MOVE_TOLERANCE, "%.3f%% of the other flows moved", 100 * worst);
	return true;
}

static bool test_remove_5(void)
{
	return test_remove(5);
}

static bool test_remove_10(void)
{
	return test_remove(10);
}

/* Adding backend n to @n: at most its fair share 1/(n+1) plus
 * MOVE_TOLERANCE of all flows move. */
static bool test_add(size_t n)
{
	uint64_t key[MAX_N];
	uint16_t weight[MAX_N];
	struct movement m;
	double frac, fair = 1.0 / (n + 1);
	size_t i;

	for (i = 0; i <= n; i++) {
		key[i] = backend_key(i);
		weight[i] = 1;
	}
	CHECK(zlb_maglev_build(key, weight, n, SIZE, table_a) == 0, "build failed");
	CHECK(zlb_maglev_build(key, weight, n + 1, SIZE, table_b) == 0, "build failed");
	m = measure(key, key, 0, key[n]);
	frac = (double)m.others_moved / NFLOWS;
	printf("# add a backend to %zu: %.3f%% of flows moved (%zu to the new one, %zu elsewhere); fair share %.3f%%, limit %.3f%%\n",
	       n, 100 * frac, m.to_new, m.others_moved - m.to_new, 100 * fair,
	       100 * (fair + MOVE_TOLERANCE));
	CHECK(frac <= fair + MOVE_TOLERANCE, "%.3f%% moved", 100 * frac);
	return true;
}

static bool test_add_5(void)
{
	return test_add(5);
}

static bool test_add_10(void)
{
	return test_add(10);
}

/* Draining (weight 0) is removal for new flows: the others barely move. */
static bool test_drain(void)
{
	uint64_t key[MAX_N];
	uint16_t weight[MAX_N];
	struct movement m;
	double frac;
	size_t i, n = 5;

	for (i = 0; i < n; i++) {
		key[i] = backend_key(i);
		weight[i] = 1;
	}
	CHECK(zlb_maglev_build(key, weight, n, SIZE, table_a) == 0, "build failed");
	weight[2] = 0;
	CHECK(zlb_maglev_build(key, weight, n, SIZE, table_b) == 0, "build failed");
	for (i = 0; i < SIZE; i++)
		CHECK(table_b[i] != 2, "entry %zu names the drained backend", i);
	m = measure(key, key, key[2], 0);
	frac = (double)m.others_moved / m.others;
	printf("# drain backend 2 of 5: %zu of %zu others moved (%.3f%%)\n",
	       m.others_moved, m.others, 100 * frac);
	CHECK(m.on_gone_moved == m.on_gone, "a new flow went to a drained backend");
	CHECK(frac <= MOVE_TOLERANCE, "%.3f%% of the other flows moved", 100 * frac);
	return true;
}

/* ---- weight 0 ---- */

static bool test_weight_zero(void)
{
	static const uint16_t w[] = { 3, 0, 1, 0, 2 };
	uint64_t key[ARRAY_SIZE(w)];
	size_t i, n = ARRAY_SIZE(w), flows[ARRAY_SIZE(w)] = { 0 };

	for (i = 0; i < n; i++)
		key[i] = backend_key(i);
	CHECK(zlb_maglev_build(key, w, n, SIZE, table_a) == 0, "build failed");
	for (i = 0; i < SIZE; i++) {
		CHECK(table_a[i] < n, "entry %zu is %u", i, table_a[i]);
		CHECK(w[table_a[i]], "entry %zu names backend %u of weight 0",
		      i, table_a[i]);
	}
	for (i = 0; i < NFLOWS; i++)
		flows[table_a[flow_hash[i] % SIZE]]++;
	CHECK(!flows[1] && !flows[3], "flows on weight 0: %zu and %zu",
	      flows[1], flows[3]);
	return true;
}

/* A light backend beside a heavy one in a small table gets no entry, and
 * zlb_maglev_starved() names it (zlb-load warns); in the default table it
 * gets its share, and none is named; weight 0 is never named. */
static bool test_starved(void)
{
	static const uint16_t w[] = { 1000, 1, 0, 1000 };
	uint64_t key[ARRAY_SIZE(w)];
	size_t n = ARRAY_SIZE(w), out[ARRAY_SIZE(w)], k, i, light = 0;

	for (i = 0; i < n; i++)
		key[i] = backend_key(i);
	CHECK(zlb_maglev_build(key, w, n, 251, table_a) == 0, "build (251) failed");
	for (i = 0; i < 251; i++)
		light += table_a[i] == 1;
	k = zlb_maglev_starved(w, n, table_a, 251, out);
	CHECK(light == 0, "weight 1 of 2001 got %zu of 251 entries", light);
	CHECK(k == 1 && out[0] == 1, "251 entries: %zu named, first %zu; want backend 1 alone",
	      k, k ? out[0] : 0);
	CHECK(zlb_maglev_build(key, w, n, SIZE, table_a) == 0, "build (%u) failed", SIZE);
	k = zlb_maglev_starved(w, n, table_a, SIZE, out);
	CHECK(k == 0, "%u entries: %zu named (first %zu), want none", SIZE, k, k ? out[0] : 0);
	return true;
}

static bool all_none(const uint32_t *table, uint32_t size)
{
	uint32_t i;

	for (i = 0; i < size; i++)
		if (table[i] != ZLB_MAGLEV_NONE)
			return false;
	return true;
}

static bool test_all_zero(void)
{
	static const uint16_t w[] = { 0, 0, 0 };
	uint64_t key[3] = { backend_key(0), backend_key(1), backend_key(2) };

	memset(table_a, 0, sizeof(table_a));
	errno = 0;
	CHECK(zlb_maglev_build(key, w, 3, SIZE, table_a) == -1, "returned 0");
	CHECK(errno == ENOENT, "errno %d, want ENOENT", errno);
	CHECK(all_none(table_a, SIZE), "an entry is not ZLB_MAGLEV_NONE");
	memset(table_a, 0, sizeof(table_a));
	CHECK(zlb_maglev_build(key, w, 0, SIZE, table_a) == -1, "no backends: returned 0");
	CHECK(all_none(table_a, SIZE), "no backends: an entry is not ZLB_MAGLEV_NONE");
	return true;
}

/* A size that is not a prime would leave permutations that miss entries. */
static bool test_not_prime(void)
{
	static const uint16_t w[] = { 1, 1 };
	uint64_t key[2] = { backend_key(0), backend_key(1) };
	static const uint32_t sizes[] = { 0, 1, 65536, 65535, 253 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		errno = 0;
		CHECK(zlb_maglev_build(key, w, 2, sizes[i], table_a) == -1,
		      "size %u: returned 0", sizes[i]);
		CHECK(errno == EINVAL, "size %u: errno %d, want EINVAL", sizes[i], errno);
	}
	return true;
}

/* Small and odd tables fill completely too. */
static bool test_sizes(void)
{
	static const uint32_t sizes[] = { 251, 257, 4093, 65537, 1048573 };
	static const uint16_t w[] = { 1000, 1, 7, 300, 1 };
	uint64_t key[ARRAY_SIZE(w)];
	uint32_t *table;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(w); i++)
		key[i] = backend_key(i);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		table = malloc(sizes[i] * sizeof(*table));
		CHECK(table, "out of memory");
		if (zlb_maglev_build(key, w, ARRAY_SIZE(w), sizes[i], table) != 0) {
			free(table);
			CHECK(false, "size %u: build failed", sizes[i]);
		}
		for (j = 0; j < sizes[i] && table[j] < ARRAY_SIZE(w); j++)
			;
		free(table);
		CHECK(j == sizes[i], "size %u: entry %zu is not a backend", sizes[i], j);
	}
	return true;
}

/* ---- determinism ---- */

static bool test_same_input(void)
{
	static const uint16_t w[] = { 5, 1, 9, 2, 2, 7 };
	uint64_t key[ARRAY_SIZE(w)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(w); i++)
		key[i] = backend_key(i * 3);
	CHECK(zlb_maglev_build(key, w, ARRAY_SIZE(w), SIZE, table_a) == 0, "build failed");
	CHECK(zlb_maglev_build(key, w, ARRAY_SIZE(w), SIZE, table_b) == 0, "build failed");
	CHECK(!memcmp(table_a, table_b, sizeof(table_a)), "two builds differ");
	return true;
}

/* The backends in another order: every entry (so every flow) names the
 * same backend by key. */
static bool test_order(void)
{
	uint64_t key[MAX_N], key2[MAX_N], t;
	uint16_t weight[MAX_N], weight2[MAX_N], tw;
	size_t i, j, n = 17, round;

	for (i = 0; i < n; i++) {
		key[i] = backend_key(i);
		weight[i] = 1 + i % 4;
	}
	CHECK(zlb_maglev_build(key, weight, n, SIZE, table_a) == 0, "build failed");
	for (round = 0; round < 5; round++) {
		memcpy(key2, key, sizeof(key));
		memcpy(weight2, weight, sizeof(weight));
		for (i = n - 1; i > 0; i--) {	/* Fisher-Yates */
			j = rng() % (i + 1);
			t = key2[i], key2[i] = key2[j], key2[j] = t;
			tw = weight2[i], weight2[i] = weight2[j], weight2[j] = tw;
		}
		CHECK(zlb_maglev_build(key2, weight2, n, SIZE, table_b) == 0,
		      "build failed");
		for (i = 0; i < SIZE; i++)
			CHECK(key[table_a[i]] == key2[table_b[i]],
			      "shuffle %zu: entry %zu is another backend", round, i);
	}
	return true;
}

/* The key is the backend's address and port, nothing else. */
static bool test_key(void)
{
	union zlb_addr a = zlb_addr_v4(htonl(0x0a020002)), b = zlb_addr_v4(htonl(0x0a020003));

	CHECK(zlb_maglev_key(&a, 80) == 0x0a0200020050ull, "10.2.0.2:80 is %#llx",
	      (unsigned long long)zlb_maglev_key(&a, 80));
	CHECK(zlb_maglev_key(&a, 80) != zlb_maglev_key(&a, 81), "port ignored");
	CHECK(zlb_maglev_key(&a, 80) != zlb_maglev_key(&b, 80), "address ignored");
	return true;
}

/* ---- build time: printed, not asserted ---- */

static double build_ms(const uint16_t *weight, size_t n)
{
	uint64_t key[MAX_N];
	struct timespec t0, t1;
	double best = 1e9, ms;
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		key[i] = backend_key(i);
	for (r = 0; r < 5; r++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		zlb_maglev_build(key, weight, n, SIZE, table_a);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (ms < best)
			best = ms;
	}
	return best;
}

static void print_timing(void)
{
	uint16_t weight[MAX_N];
	size_t i;

	for (i = 0; i < MAX_N; i++)
		weight[i] = 1;
	printf("# build time, %u entries, %d backends of weight 1: %.3f ms (best of 5)\n",
	       SIZE, MAX_N, build_ms(weight, MAX_N));
	weight[0] = ZLB_MAX_WEIGHT;
	printf("# build time, %u entries, %d backends, one of weight %d, the others 1: %.3f ms (best of 5)\n",
	       SIZE, MAX_N, ZLB_MAX_WEIGHT, build_ms(weight, MAX_N));
}

int main(void)
{
	make_flows();
	report("key is address and port", test_key());
	report("4 equal backends: shares within 5%", test_equal_shares());
	report("weights 1,2,3,4: shares within 5%", test_weighted_shares());
	report("weights 1000..10: table shares exact but for rounding", test_weighted_shares_wide());
	report("remove one of 5: only its flows and <= 2% of others move", test_remove_5());
	report("remove one of 10: only its flows and <= 2% of others move", test_remove_10());
	report("add a 6th: <= fair share + 2% move", test_add_5());
	report("add an 11th: <= fair share + 2% move", test_add_10());
	report("drain one of 5: no new flow to it, <= 2% of others move", test_drain());
	report("weight 0: no entry, no flow", test_weight_zero());
	report("a backend whose weight rounds to no entry is named", test_starved());
	report("all weights 0: -1, every entry NONE", test_all_zero());
	report("size not a prime: -1, EINVAL", test_not_prime());
	report("sizes 251 .. 1048573 fill completely", test_sizes());
	report("same input, same table", test_same_input());
	report("order of backends does not matter", test_order());
	print_timing();
	return tap_summary("test_maglev");
}
