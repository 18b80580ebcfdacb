/* SPDX-License-Identifier: GPL-2.0 */
/* The two connection tables (zlb_conntrack4 for IPv4 flows, zlb_conntrack
 * for the rest; zlb_abi.h) seen as one: callers speak struct zlb_ct_key,
 * IPv4 kept IPv4-mapped, and each key goes to the table the data plane
 * files it in (zlb_ct.h). */
#ifndef ZLB_CT_LIB_H
#define ZLB_CT_LIB_H

#include <stdbool.h>
#include <stddef.h>

#include "maps.h"

/* The data plane keeps busy IPv4 flows in each CPU's zlb_flow_memo and
 * counts their packets there for a while (zlb_abi.h): what is read here
 * (zlb_ct_lookup, zlb_ct_walk) has those packets added, and whatever is
 * written or deleted here moves the memo epoch of its key's slot, so no
 * memo goes on with an entry changed under it. */

/* The zlb_flow_memo slot of IPv4 short key @k4, and whether a memo value
 * (one CPU's) holds @k4: as the data plane finds them. */
__u32 zlb_ct_memo_slot(const struct zlb_ct_key4 *k4);
bool zlb_ct_memo_holds(const struct zlb_flow_memo *mv, const struct zlb_ct_key4 *k4);

/* Single entries: 0, or -1 with errno (ENOENT: no such entry). */
int zlb_ct_lookup(const struct zlb_maps *m, const struct zlb_ct_key *k, struct zlb_ct_entry *e);
/* The table's entry alone, without what memos still count: its packets
 * and bytes may lag by up to ZLB_FLOW_MEMO_FLUSH - 1 per CPU, its last
 * activity by less than a clock tick. One syscall, for callers that look
 * up many entries and need neither (zlb-ct list: a partner's expiry). */
int zlb_ct_lookup_table(const struct zlb_maps *m, const struct zlb_ct_key *k,
			struct zlb_ct_entry *e);
/* Writes the entry whole: what memos still count for it is dropped (read
 * it through zlb_ct_lookup(), which adds that, to change it). */
int zlb_ct_update(const struct zlb_maps *m, const struct zlb_ct_key *k,
		  const struct zlb_ct_entry *e, __u64 flags);
int zlb_ct_delete(const struct zlb_maps *m, const struct zlb_ct_key *k);

/* Every entry of both tables, the IPv4 table first, handed to @fn in
 * batches (keys converted to struct zlb_ct_key); @fn returning non-zero
 * stops the walk with that value. With @take, each batch is deleted as it
 * is read (entries the data plane adds meanwhile may stay). Returns 0, the
 * value @fn stopped with, or -1 with @err set. */
typedef int (*zlb_ct_batch_fn)(void *ctx, const struct zlb_ct_key *keys,
			       const struct zlb_ct_entry *vals, __u32 n);
int zlb_ct_walk(const struct zlb_maps *m, bool take, zlb_ct_batch_fn fn, void *ctx,
		struct zlb_err *err);

/* Write @n entries in batches. Returns 0, or -1 with @err set. */
int zlb_ct_update_batch(const struct zlb_maps *m, const struct zlb_ct_key *keys,
			const struct zlb_ct_entry *vals, size_t n, struct zlb_err *err);

/* Delete @n keys in batches; a key already gone is skipped. Returns the
 * number deleted, or -1 with @err set. */
long zlb_ct_delete_keys(const struct zlb_maps *m, const struct zlb_ct_key *keys, size_t n,
			struct zlb_err *err);

/* The entries both tables hold (-1 with @err set on failure). */
long zlb_ct_count_entries(const struct zlb_maps *m, struct zlb_err *err);

/* Take every entry out of both tables, batch by batch (entries the data
 * plane adds meanwhile may stay): the number taken, or -1 with @err set. */
long zlb_ct_flush(const struct zlb_maps *m, struct zlb_err *err);

#endif
