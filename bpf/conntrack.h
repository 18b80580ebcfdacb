/* SPDX-License-Identifier: GPL-2.0 */
/* Connection tracking: one entry per direction, keyed by the tuple a packet
 * arrives with, holding the tuple it leaves with, the flow's state and its
 * last activity. A flow idle for longer than its state's timeout is gone. */
#ifndef ZLB_BPF_CONNTRACK_H
#define ZLB_BPF_CONNTRACK_H

#include "parse.h"
#include "maps.h"
#include "stats.h"
#include "zlb_hash.h"

static __always_inline void ct_key_from_pkt(const struct zlb_pkt *pkt, struct zlb_ct_key *key)
{
	key->saddr = pkt->iph->saddr;
	key->daddr = pkt->iph->daddr;
	key->sport = pkt->sport;
	key->dport = pkt->dport;
	key->proto = pkt->proto;
}

/* The key of the other direction of the flow @e belongs to. */
static __always_inline void ct_partner_key(const struct zlb_ct_entry *e, __u8 proto,
					   struct zlb_ct_key *key)
{
	key->saddr = e->daddr;
	key->daddr = e->saddr;
	key->sport = e->dport;
	key->dport = e->sport;
	key->proto = proto;
	key->pad[0] = key->pad[1] = key->pad[2] = 0;
}

static __always_inline int ct_idle_out(const struct zlb_ct_entry *e, const struct zlb_meta *meta,
				       __u64 now)
{
	__u32 state = e->state;

	if (state >= ZLB_CT_STATE_MAX)
		return 1;
	return now - e->last_seen_ns > meta->timeout_ns[state];
}

/* Whether the flow of entry @e is gone: @e idle past its timeout and its
 * partner too, or missing (then *@evicted is set). */
static __always_inline int ct_flow_gone(const struct zlb_ct_entry *e, __u8 proto,
					const struct zlb_meta *meta, __u64 now, int *evicted)
{
	struct zlb_ct_entry *partner;
	struct zlb_ct_key pkey;

	*evicted = 0;
	if (!ct_idle_out(e, meta, now))
		return 0;
	ct_partner_key(e, proto, &pkey);
	partner = bpf_map_lookup_elem(&zlb_conntrack, &pkey);
	if (partner && !ct_idle_out(partner, meta, now))
		return 0;
	*evicted = !partner;
	return 1;
}

static __always_inline void ct_delete_flow(const struct zlb_ct_key *key,
					   const struct zlb_ct_entry *e)
{
	struct zlb_ct_key partner;

	ct_partner_key(e, key->proto, &partner);
	bpf_map_delete_elem(&zlb_conntrack, &partner);
	bpf_map_delete_elem(&zlb_conntrack, key);
}

/* The live entry for @key, or NULL when there is none or its flow is gone.
 * An entry that looks idle may belong to a flow whose other direction is
 * busy (a one-way stream): the partner decides. A gone flow's entries are
 * removed and counted: expired, or evicted when the partner is missing. An
 * echo request only follows the original direction and an echo reply only
 * the reply direction: the identifier alone would match both. */
static __always_inline struct zlb_ct_entry *ct_lookup(const struct zlb_pkt *pkt,
						      const struct zlb_ct_key *key,
						      const struct zlb_meta *meta, __u64 now)
{
	struct zlb_ct_entry *e = bpf_map_lookup_elem(&zlb_conntrack, key);
	int evicted;

	if (!e)
		return NULL;
	if (pkt->proto == IPPROTO_ICMP &&
	    e->dir != (pkt->icmp_type == ICMP_ECHO ? ZLB_CT_DIR_ORIG : ZLB_CT_DIR_REPLY))
		return NULL;
	if (!ct_flow_gone(e, key->proto, meta, now, &evicted))
		return e;
	count(evicted ? ZLB_C_CT_EVICTED : ZLB_C_CT_EXPIRED);
	ct_delete_flow(key, e);
	return NULL;
}

#define ZLB_CT_PARTNER_CHECK 32   /* packets between checks of a busy flow */

/* The two entries of a flow can be evicted apart (LRU). A busy entry looks
 * for its partner now and then; a missing one is put back -- unless its
 * tuple went to another flow meanwhile: then this flow is gone (both
 * counted as evictions). Returns 0, or -1 when the flow is gone. */
static __always_inline int ct_check_partner(const struct zlb_ct_key *key,
					    const struct zlb_ct_entry *e)
{
	struct zlb_ct_entry partner = {
		.saddr = key->daddr, .daddr = key->saddr,
		.sport = key->dport, .dport = key->sport,
		.dir = !e->dir, .state = e->state, .fin_seen = e->fin_seen,
		.service_id = e->service_id, .backend_id = e->backend_id,
		.created_ns = e->created_ns, .last_seen_ns = e->last_seen_ns,
	};
	struct zlb_ct_key pkey;

	if (e->packets % ZLB_CT_PARTNER_CHECK)
		return 0;
	ct_partner_key(e, key->proto, &pkey);
	if (bpf_map_lookup_elem(&zlb_conntrack, &pkey))
		return 0;
	count(ZLB_C_CT_EVICTED);
	if (!bpf_map_update_elem(&zlb_conntrack, &pkey, &partner, BPF_NOEXIST))
		return 0;
	bpf_map_delete_elem(&zlb_conntrack, key);
	return -1;
}

/* TCP state from a segment's flags, seen in direction @dir. */
static __always_inline __u8 tcp_next_state(__u8 state, __u8 *fin_seen, __u8 flags, __u8 dir)
{
	if (flags & ZLB_TCP_RST)
		return ZLB_CT_TCP_CLOSE;
	if (flags & ZLB_TCP_FIN) {
		*fin_seen |= 1 << dir;
		return *fin_seen == 3 ? ZLB_CT_TCP_CLOSE : ZLB_CT_TCP_CLOSING;
	}
	if (state == ZLB_CT_TCP_SYN && dir == ZLB_CT_DIR_REPLY && (flags & ZLB_TCP_ACK))
		return ZLB_CT_TCP_ESTABLISHED;
	return state;
}

/* Account a packet of @len bytes to entry @e and move the flow's state.
 * A state change is written to both entries, so either direction's timeout
 * follows it; segments without SYN, FIN or RST change nothing else. */
static __always_inline void ct_update(const struct zlb_pkt *pkt, const struct zlb_ct_key *key,
				      struct zlb_ct_entry *e, __u64 len, __u64 now)
{
	struct zlb_ct_entry *partner;
	struct zlb_ct_key pkey;
	__u8 fin = e->fin_seen, state;

	e->last_seen_ns = now;
	e->packets++;
	e->bytes += len;
	if (pkt->proto != IPPROTO_TCP)
		return;
	state = tcp_next_state(e->state, &fin, pkt->tcp_flags, e->dir);
	if (state == e->state && fin == e->fin_seen)
		return;
	e->state = state;
	e->fin_seen = fin;
	ct_partner_key(e, key->proto, &pkey);
	partner = bpf_map_lookup_elem(&zlb_conntrack, &pkey);
	if (partner) {
		partner->state = state;
		partner->fin_seen = fin;
	}
}

static __always_inline __u8 ct_initial_state(__u8 proto)
{
	return proto == IPPROTO_TCP ? ZLB_CT_TCP_SYN :
	       proto == IPPROTO_UDP ? ZLB_CT_UDP : ZLB_CT_ICMP;
}

/* Insert both directions of a new flow: @orig_key arrives and leaves as
 * @orig, whose source port is chosen here. The reply direction goes in
 * first, and only where its tuple is free: two flows must never share a
 * backend-side tuple, or one would get the other's answers. The port comes
 * from the SNAT range, starting at one derived from a hash of the client's
 * tuple and probing on, so a flow re-created after its entries were lost
 * gets the same port whenever nothing collides (ICMP echo keeps its
 * identifier). Returns 0, or a drop counter. */
static __always_inline int ct_create(const struct zlb_ct_key *orig_key,
				     struct zlb_ct_entry *orig, const struct zlb_meta *meta,
				     __u64 len, __u64 now)
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
		.backend_id = orig->backend_id, .state = ct_initial_state(orig_key->proto),
		.created_ns = now, .last_seen_ns = now,
	};
	__u32 lo = meta->snat_port_min, span = meta->snat_port_max - lo + 1;
	__u32 hash = zlb_flow_hash(orig_key->saddr, orig_key->sport, orig_key->proto);
	__u32 tries = orig_key->proto == IPPROTO_ICMP ? 1 : ZLB_SNAT_TRIES;
	struct zlb_ct_entry *old;
	int evicted;
	__u32 i;

	if (span > 65536 || !lo)
		return ZLB_C_DROP_SNAT_BUSY;
	orig->dir = ZLB_CT_DIR_ORIG;
	orig->state = reply.state;
	orig->created_ns = orig->last_seen_ns = now;
	orig->packets = 1;
	orig->bytes = len;
	for (i = 0; i < tries; i++) {
		if (orig_key->proto != IPPROTO_ICMP) {
			orig->sport = bpf_htons(lo + (hash + i) % span);
			reply_key.dport = orig->sport;
		}
		if (!bpf_map_update_elem(&zlb_conntrack, &reply_key, &reply, BPF_NOEXIST))
			break;
		/* Taken by a flow that is gone: both its entries go, and the
		 * tuple is free again. */
		old = bpf_map_lookup_elem(&zlb_conntrack, &reply_key);
		if (old && ct_flow_gone(old, orig_key->proto, meta, now, &evicted)) {
			ct_delete_flow(&reply_key, old);
			if (!bpf_map_update_elem(&zlb_conntrack, &reply_key, &reply, BPF_NOEXIST))
				break;
		}
	}
	if (i == tries)
		return ZLB_C_DROP_SNAT_BUSY;
	/* Never over an entry that is there: when both directions share one
	 * tuple (a backend that is its own client, its source the service
	 * address), it is the reply's own, and such a flow cannot be told
	 * apart from its answers. */
	if (bpf_map_update_elem(&zlb_conntrack, orig_key, orig, BPF_NOEXIST)) {
		bpf_map_delete_elem(&zlb_conntrack, &reply_key);
		return ZLB_C_DROP_CT_INSERT;
	}
	return 0;
}

#endif
