/* SPDX-License-Identifier: GPL-2.0 */
/* Which connection table a key belongs in, and the IPv4 table's short key
 * (zlb_abi.h): shared by the data plane and the tools, so both sides file
 * a flow in the same table. */
#ifndef ZLB_CT_H
#define ZLB_CT_H

#include "zlb_addr.h"

/* Both addresses IPv4-mapped: zlb_conntrack4. */
static __always_inline int zlb_ct_key_is_v4(const struct zlb_ct_key *k)
{
	return zlb_addr_is_v4(&k->saddr) && zlb_addr_is_v4(&k->daddr);
}

/* @k's IPv4 key, written as two 8-byte words: the map's hash reads it
 * back in words, and a load the CPU cannot take whole from one earlier
 * store waits for the stores to drain. @k4 is 8-byte aligned. */
static __always_inline void zlb_ct_key_to4(const struct zlb_ct_key *k, struct zlb_ct_key4 *k4)
{
	union {
		__u64 q[2];
		struct zlb_ct_key4 k;
	} v = { .q = { 0, 0 } };
	__u64 *q = (__u64 *)k4;

	v.k.saddr = k->saddr.w[3];
	v.k.daddr = k->daddr.w[3];
	v.k.sport = k->sport;
	v.k.dport = k->dport;
	v.k.proto = k->proto;
	q[0] = v.q[0];
	q[1] = v.q[1];
}

static __always_inline void zlb_ct_key_from4(const struct zlb_ct_key4 *k4, struct zlb_ct_key *k)
{
	zlb_addr_set_v4(&k->saddr, k4->saddr);
	zlb_addr_set_v4(&k->daddr, k4->daddr);
	k->sport = k4->sport;
	k->dport = k4->dport;
	k->proto = k4->proto;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
}

/* Whether table entry @e is the one memo @m was filled from, not a later
 * flow under the same tuple: only then do the packets @m counts belong to
 * it (the data plane flushing a memo, the tools adding what it holds). */
static __always_inline int zlb_memo_same_flow(const struct zlb_flow_memo *m,
					      const struct zlb_ct_entry *e)
{
	return e->created_ns == m->e.created_ns && e->dir == m->e.dir;
}

#endif
