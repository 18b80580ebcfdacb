/* SPDX-License-Identifier: GPL-2.0 */
/* Connection tracking: one entry per direction, keyed by the tuple a packet
 * arrives with, holding the tuple it leaves with. */
#ifndef ZLB_BPF_CONNTRACK_H
#define ZLB_BPF_CONNTRACK_H

#include "parse.h"
#include "maps.h"

static __always_inline void ct_key_from_pkt(const struct zlb_pkt *pkt, struct zlb_ct_key *key)
{
	key->saddr = pkt->iph->saddr;
	key->daddr = pkt->iph->daddr;
	key->sport = pkt->sport;
	key->dport = pkt->dport;
	key->proto = pkt->proto;
}

/* An echo request only follows the original direction and an echo reply
 * only the reply direction: the identifier alone would match both. */
static __always_inline struct zlb_ct_entry *ct_lookup(const struct zlb_pkt *pkt,
						      const struct zlb_ct_key *key)
{
	struct zlb_ct_entry *e = bpf_map_lookup_elem(&zlb_conntrack, key);
	__u8 want;

	if (!e || pkt->proto != IPPROTO_ICMP)
		return e;
	want = pkt->icmp_type == ICMP_ECHO ? ZLB_CT_DIR_ORIG : ZLB_CT_DIR_REPLY;
	return e->dir == want ? e : NULL;
}

static __always_inline void ct_touch(struct zlb_ct_entry *e)
{
	e->last_seen_ns = bpf_ktime_get_ns();
	e->packets++;
}

/* Insert both directions of a new flow: @orig_key arrives and leaves as
 * @orig. The reply direction goes in first, and only where its tuple is
 * free: two clients with the same source port must not share a
 * backend-side tuple, or one would get the other's answers. The client's
 * own port is tried first, then ports of the SNAT range from @hash on
 * (ICMP echo keeps its identifier). Returns 0, or a drop counter. */
static __always_inline int ct_create(const struct zlb_ct_key *orig_key,
				     struct zlb_ct_entry *orig, __u32 hash)
{
	struct zlb_ct_key reply_key = {
		.saddr = orig->daddr, .daddr = orig->saddr,
		.sport = orig->dport, .dport = orig->sport,
		.proto = orig_key->proto,
	};
	struct zlb_ct_entry reply = {
		.saddr = orig_key->daddr, .daddr = orig_key->saddr,
		.sport = orig_key->dport, .dport = orig_key->sport,
		.dir = ZLB_CT_DIR_REPLY, .service_id = orig->service_id,
	};
	__u32 tries = orig_key->proto == IPPROTO_ICMP ? 1 : ZLB_SNAT_TRIES + 1;
	__u32 i;

	reply.created_ns = reply.last_seen_ns = bpf_ktime_get_ns();
	orig->dir = ZLB_CT_DIR_ORIG;
	orig->created_ns = orig->last_seen_ns = reply.created_ns;
	orig->packets = 1;
	for (i = 0; i < tries; i++) {
		if (i) {
			__u16 port = ZLB_SNAT_PORT_MIN +
				(hash + i - 1) % (ZLB_SNAT_PORT_MAX - ZLB_SNAT_PORT_MIN + 1);

			orig->sport = bpf_htons(port);
			reply_key.dport = orig->sport;
		}
		if (!bpf_map_update_elem(&zlb_conntrack, &reply_key, &reply, BPF_NOEXIST))
			break;
	}
	if (i == tries)
		return ZLB_C_DROP_SNAT_BUSY;
	if (bpf_map_update_elem(&zlb_conntrack, orig_key, orig, BPF_ANY)) {
		bpf_map_delete_elem(&zlb_conntrack, &reply_key);
		return ZLB_C_DROP_CT_INSERT;
	}
	return 0;
}

#endif
