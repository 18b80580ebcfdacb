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
#include "zlb_ct.h"

/* Tell every CPU's zlb_flow_memo that the entry of @k4 changed: its
 * slot's epoch moves on, and a memo filled before is no longer good. The
 * writer changes the entry first and bumps after; a reader reads the epoch
 * before the entry, so a copy taken across a change carries an epoch that
 * is already old. That order holds on x86 (a locked add, loads in program
 * order); a weakly ordered CPU (arm64) may let a filling CPU read the
 * entry before the epoch, and BPF has no read barrier to forbid it: there
 * a copy taken in the instant of a state change may miss it until the
 * flow's next change or the memo's next trip to the table (at most
 * ZLB_FLOW_MEMO_FLUSH packets or a tick). */
static __always_inline void memo_bump(const struct zlb_ct_key4 *k4)
{
	__u32 slot = zlb_memo_slot((const __u64 *)k4);
	__u32 *ep = bpf_map_lookup_elem(&zlb_flow_epoch, &slot);

	if (ep)
		__sync_fetch_and_add(ep, 1);
}

/* The table a flow lives in (zlb_ct.h): zlb_conntrack4 for IPv4, whose
 * 16-byte key the kernel hashes in one round of jhash instead of three,
 * zlb_conntrack for the rest. Every access goes through these three (and
 * ct_lookup(), which has the packet's short key at hand); @k4 is the
 * caller's room for a short key, one per function, so the stack of the
 * chain of calls stays within its 512 bytes. */
static __always_inline struct zlb_ct_entry *ct_get(const struct zlb_ct_key *key,
						   struct zlb_ct_key4 *k4)
{
	if (zlb_ct_key_is_v4(key)) {
		zlb_ct_key_to4(key, k4);
		return bpf_map_lookup_elem(&zlb_conntrack4, k4);
	}
	return bpf_map_lookup_elem(&zlb_conntrack, key);
}

static __always_inline long ct_put(const struct zlb_ct_key *key, struct zlb_ct_key4 *k4,
				   const struct zlb_ct_entry *e, __u64 flags)
{
	long rc;

	if (zlb_ct_key_is_v4(key)) {
		zlb_ct_key_to4(key, k4);
		rc = bpf_map_update_elem(&zlb_conntrack4, k4, e, flags);
		if (!rc)
			memo_bump(k4);
		return rc;
	}
	return bpf_map_update_elem(&zlb_conntrack, key, e, flags);
}

static __always_inline long ct_del(const struct zlb_ct_key *key, struct zlb_ct_key4 *k4)
{
	long rc;

	if (zlb_ct_key_is_v4(key)) {
		zlb_ct_key_to4(key, k4);
		rc = bpf_map_delete_elem(&zlb_conntrack4, k4);
		memo_bump(k4);
		return rc;
	}
	return bpf_map_delete_elem(&zlb_conntrack, key);
}

/* The key of @pkt's flow, written in 8-byte words: the map's hash and
 * compare read it back in 4- and 8-byte words, and a load the CPU cannot
 * take whole from one earlier store waits for the stores to drain. An
 * IPv4 packet's short key goes to @key4 as well. @key and @key4 are
 * 8-byte aligned. */
static __always_inline void ct_key_from_pkt(const struct zlb_pkt *pkt, struct zlb_ct_key *key,
					    struct zlb_ct_key4 *key4)
{
	/* 8 bytes of the key, put together in a register */
	union {
		__u64 q;
		__be32 w[2];
		struct {
			__be16 sport, dport;
			__u8 proto, pad[3];
		};
	} v4s = { .w = { ZLB_V4_MAPPED_WORD } }, v4d = v4s, tail = { .q = 0 };
	__u64 *q = (__u64 *)key, *q4 = (__u64 *)key4;

	tail.sport = pkt->sport;
	tail.dport = pkt->dport;
	tail.proto = pkt->proto;
	if (pkt->family == 4) {
		v4s.w[1] = pkt->iph->saddr;
		v4d.w[1] = pkt->iph->daddr;
		q[0] = 0;
		q[1] = v4s.q;
		q[2] = 0;
		q[3] = v4d.q;
		/* the short key's first word: both addresses */
		v4s.w[0] = v4s.w[1];
		v4s.w[1] = v4d.w[1];
		q4[0] = v4s.q;
		q4[1] = tail.q;
	} else {
		const __u64 *a = (const __u64 *)&pkt->ip6->saddr;

		q[0] = a[0];
		q[1] = a[1];
		q[2] = a[2];
		q[3] = a[3];
	}
	q[4] = tail.q;
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
	/* Another CPU may have stamped the entry after this CPU read the
	 * clock: an entry seen "in the future" is not idle. */
	return now > e->last_seen_ns && now - e->last_seen_ns > meta->timeout_ns[state];
}

/* The flow of @key, whose entry is idle past its timeout: gone when its
 * partner is idle too, or missing (evicted). A gone flow's entries are
 * removed and, when @counted, counted (expired or evicted). Returns 1 when
 * the flow was gone. Its keys are in @tmp (scratch: this function's
 * stack would add to its callers'). */
static __always_inline int ct_reap(const struct zlb_ct_key *key, const struct zlb_meta *meta,
				   __u64 now, int counted, struct zlb_ct_tmp *tmp)
{
	struct zlb_ct_key4 *k4;
	struct zlb_ct_key *pkey;
	struct zlb_ct_entry *e, *partner;

	if (!key || !meta || !tmp)
		return 0;
	k4 = &tmp->k4;
	pkey = &tmp->pkey;
	e = ct_get(key, k4);
	if (!e || !ct_idle_out(e, meta, now))
		return 0;
	ct_partner_key(e, key->proto, pkey);
	partner = ct_get(pkey, k4);
	if (partner && !ct_idle_out(partner, meta, now))
		return 0;
	if (counted)
		count(partner ? ZLB_C_CT_EXPIRED : ZLB_C_CT_EVICTED);
	ct_del(pkey, k4);
	ct_del(key, k4);
	return 1;
}

/* ct_reap() as a function of its own: the verifier checks it once, not on
 * every path that leads here. */
__attribute__((noinline))
int zlb_ct_reap(const struct zlb_ct_key *key, const struct zlb_meta *meta, __u64 now,
		int counted, struct zlb_ct_tmp *tmp)
{
	return ct_reap(key, meta, now, counted, tmp);
}

static __always_inline void ct_delete_flow(const struct zlb_ct_key *key,
					   const struct zlb_ct_entry *e)
{
	struct zlb_ct_key partner;
	struct zlb_ct_key4 k4;

	ct_partner_key(e, key->proto, &partner);
	ct_del(&partner, &k4);
	ct_del(key, &k4);
}

/* This CPU's zlb_flow_memo slot for the flow of @pkt (short key @key4),
 * or NULL when the packet may not take the memo: only IPv4 TCP and UDP,
 * and no TCP segment with SYN, FIN or RST (they change the flow's state,
 * which only the table holds). *@epoch: the slot's epoch, read before the
 * table is. */
static __always_inline struct zlb_flow_memo *memo_slot(const struct zlb_pkt *pkt,
						       const struct zlb_ct_key4 *key4, __u32 *epoch)
{
	struct zlb_flow_memo *m;
	__u32 slot, *ep;

	if (pkt->family != 4)
		return NULL;
	if (pkt->proto == IPPROTO_TCP) {
		if (pkt->tcp_flags & (ZLB_TCP_SYN | ZLB_TCP_FIN | ZLB_TCP_RST))
			return NULL;
	} else if (pkt->proto != IPPROTO_UDP) {
		return NULL;
	}
	slot = zlb_memo_slot((const __u64 *)key4);
	ep = bpf_map_lookup_elem(&zlb_flow_epoch, &slot);
	m = bpf_map_lookup_elem(&zlb_flow_memo, &slot);
	if (!ep || !m)
		return NULL;
	*epoch = *(volatile __u32 *)ep;
	return m;
}

static __always_inline int memo_has_key(const struct zlb_flow_memo *m,
					const struct zlb_ct_key4 *key4)
{
	const __u64 *k = (const __u64 *)key4;

	return m->key[0] == k[0] && m->key[1] == k[1];
}

/* The packets memo @m counted reach the table's entry @e when there is
 * one and it is still the memoized flow's; the memo counts none after. */
static __always_inline void memo_flush_into(struct zlb_flow_memo *m, struct zlb_ct_entry *e)
{
	if (e && m->pending_packets && zlb_memo_same_flow(m, e)) {
		e->packets += m->pending_packets;
		e->bytes += m->pending_bytes;
	}
	m->pending_packets = 0;
	m->pending_bytes = 0;
}

/* Memo slot @m is about to hold another flow: the packets it counted for
 * its own go to that flow's table entry first. A function of its own: it
 * runs only when two busy flows share a slot. */
__attribute__((noinline))
int zlb_memo_evict(struct zlb_flow_memo *m)
{
	if (m && m->pending_packets)
		memo_flush_into(m, bpf_map_lookup_elem(&zlb_conntrack4, m->key));
	return 0;
}

/* Memoize table entry @e (key @key4, an established TCP or a UDP flow)
 * and its @route in slot @m, read under epoch @epoch. A slot that holds another flow,
 * still good, is taken over only on every ZLB_FLOW_MEMO_TAKEOVER-th
 * packet of @e: two flows that share a slot do not push each other out on
 * every packet (each push costs a copy), and a busy one still gets in. */
static __always_inline void memo_fill(struct zlb_flow_memo *m, const struct zlb_ct_key4 *key4,
				      __u32 epoch, const struct zlb_meta *meta,
				      const struct zlb_ct_entry *e, __u64 now,
				      const struct zlb_fib_entry *route)
{
	const __u64 *k = (const __u64 *)key4;
	int other;

	if (e->state != ZLB_CT_TCP_ESTABLISHED && e->state != ZLB_CT_UDP)
		return;
	other = !memo_has_key(m, key4);
	if (other && m->epoch == epoch && m->generation == (__u32)meta->generation &&
	    e->packets % ZLB_FLOW_MEMO_TAKEOVER)
		return;
	if (other)
		zlb_memo_evict(m);
	m->key[0] = k[0];
	m->key[1] = k[1];
	m->epoch = epoch;
	m->generation = meta->generation;
	m->flushed_ns = now;
	m->pending_packets = 0;
	m->pending_bytes = 0;
	m->e = *e;
	m->route = *route;
}

/* What ct_lookup() found besides the entry. */
struct zlb_ct_found {
	struct zlb_flow_memo *memo;   /* the packet's memo slot, or NULL */
	__u32 epoch;                  /* its epoch before the table was read */
	int memo_hit;                 /* the entry is the memo's copy */
	int flushed;                  /* the memo's counts went to the table */
};

/* The live entry for @key, or NULL when there is none or its flow is gone.
 * A busy IPv4 flow is found in this CPU's memo while its slot is good, the
 * clock has not moved since its counts last went to the table and fewer
 * than ZLB_FLOW_MEMO_FLUSH packets wait there; otherwise the table answers
 * (and takes what the memo counted). An entry that looks idle may belong
 * to a flow whose other direction is busy (a one-way stream): the partner
 * decides (zlb_ct_reap). An echo request only follows the original
 * direction and an echo reply only the reply direction: the identifier
 * alone would match both. */
static __always_inline struct zlb_ct_entry *ct_lookup(const struct zlb_pkt *pkt,
						      const struct zlb_ct_key *key,
						      struct zlb_ct_key4 *key4, struct zlb_ct_tmp *tmp,
						      const struct zlb_meta *meta, __u64 now,
						      struct zlb_ct_found *f)
{
	struct zlb_flow_memo *m = memo_slot(pkt, key4, &f->epoch);
	int mine = m && memo_has_key(m, key4);
	struct zlb_ct_entry *e;

	f->memo = m;
	if (mine && zlb_likely(m->epoch == f->epoch && m->generation == (__u32)meta->generation &&
			       m->flushed_ns == now &&
			       m->pending_packets < ZLB_FLOW_MEMO_FLUSH - 1)) {
		f->memo_hit = 1;
		return &m->e;
	}
	e = pkt->family == 4 ? bpf_map_lookup_elem(&zlb_conntrack4, key4) : ct_get(key, key4);
	if (!e)
		return NULL;
	if (mine && m->pending_packets) {
		memo_flush_into(m, e);
		f->flushed = 1;
	}
	if (pkt_is_icmp(pkt) &&
	    e->dir != (pkt_is_echo_request(pkt) ? ZLB_CT_DIR_ORIG : ZLB_CT_DIR_REPLY))
		return NULL;
	if (zlb_likely(!ct_idle_out(e, meta, now)) || !zlb_ct_reap(key, meta, now, 1, tmp))
		return e;
	return NULL;
}

#define ZLB_CT_PARTNER_CHECK 32   /* packets between checks of a busy flow */

/* The two entries of a flow can be evicted apart (LRU). A busy entry looks
 * for its partner now and then; a missing one is put back -- unless its
 * tuple went to another flow meanwhile: then this flow is gone (both
 * counted as evictions). Returns 0, or -1 when the flow is gone. A function
 * of its own, called every ZLB_CT_PARTNER_CHECK packets of an entry. */
__attribute__((noinline))
int zlb_ct_repair(const struct zlb_ct_key *key, const struct zlb_ct_entry *e)
{
	struct zlb_ct_entry partner = {};
	struct zlb_ct_key pkey;
	struct zlb_ct_key4 k4;

	if (!key || !e)
		return 0;
	ct_partner_key(e, key->proto, &pkey);
	if (ct_get(&pkey, &k4))
		return 0;
	count(ZLB_C_CT_EVICTED);
	partner.saddr = key->daddr;
	partner.daddr = key->saddr;
	partner.sport = key->dport;
	partner.dport = key->sport;
	partner.dir = !e->dir;
	partner.state = e->state;
	partner.fin_seen = e->fin_seen;
	partner.service_id = e->service_id;
	partner.backend_id = e->backend_id;
	partner.created_ns = e->created_ns;
	partner.last_seen_ns = e->last_seen_ns;
	if (!ct_put(&pkey, &k4, &partner, BPF_NOEXIST))
		return 0;
	ct_del(key, &k4);
	return -1;
}

static __always_inline int ct_check_partner(const struct zlb_ct_key *key,
					    const struct zlb_ct_entry *e, int now_due)
{
	if (!now_due && e->packets % ZLB_CT_PARTNER_CHECK)
		return 0;
	return zlb_ct_repair(key, e);
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
	struct zlb_ct_key4 k4;
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
	partner = ct_get(&pkey, &k4);
	if (partner) {
		partner->state = state;
		partner->fin_seen = fin;
	}
	/* memos of either direction are stale now */
	if (zlb_ct_key_is_v4(&pkey)) {
		memo_bump(&k4);
		zlb_ct_key_to4(key, &k4);
		memo_bump(&k4);
	}
}

static __always_inline __u8 ct_initial_state(__u8 proto)
{
	return proto == IPPROTO_TCP ? ZLB_CT_TCP_SYN :
	       proto == IPPROTO_UDP ? ZLB_CT_UDP : ZLB_CT_ICMP;
}

/* One try at source port @port (network order) for the reply direction
 * in @sc (rkey, reply): 0 when its entry went in, at the port's tuple. A
 * tuple taken by a flow that is gone is freed first: both its entries go
 * (@inline_reap: reaped here, not in a call of zlb_ct_reap()). For
 * zlb_ct_create() and its walk (zlb_ct_try()). */
static __always_inline long ct_try_port(struct zlb_scratch *sc, const struct zlb_meta *meta,
					__u64 now, __be16 port, int inline_reap)
{
	/* zlb_ct_reap() writes it too: each use converts afresh */
	struct zlb_ct_key4 *k4 = &sc->tmp.k4;
	int gone;

	sc->rkey.dport = port;
	if (!ct_put(&sc->rkey, k4, &sc->reply, BPF_NOEXIST))
		return 0;
	gone = inline_reap ? ct_reap(&sc->rkey, meta, now, 0, &sc->tmp) :
			     zlb_ct_reap(&sc->rkey, meta, now, 0, &sc->tmp);
	if (gone && !ct_put(&sc->rkey, k4, &sc->reply, BPF_NOEXIST))
		return 0;
	return -1;
}

/* ct_try_port() for the walk's later steps: a function of its own, so
 * the verifier checks its body once, not on each of up to
 * ZLB_SNAT_TRIES - 1 steps. It reaps inline: one more call deep, the
 * chain of calls would pass the 512 bytes of stack. */
__attribute__((noinline))
int zlb_ct_try(struct zlb_scratch *sc, const struct zlb_meta *meta, __u64 now, __u32 port)
{
	if (!sc || !meta)
		return -1;
	return ct_try_port(sc, meta, now, bpf_htons(port), 1) ? -1 : 0;
}

/* zlb_snat_stride() (zlb_hash.h), whose loops the verifier checks once
 * here. */
__attribute__((noinline))
__u32 zlb_ct_stride(__u32 hash, __u32 span)
{
	return zlb_snat_stride(hash, span);
}

/* Insert both directions of a new flow: @orig_key arrives and leaves as
 * @orig, whose source port is chosen here. The reply direction goes in
 * first, and only where its tuple is free: two flows must never share a
 * backend-side tuple, or one would get the other's answers. The port comes
 * from the SNAT range: first the one a hash of the client's tuple names,
 * so a flow re-created after its entries were lost gets the same port
 * whenever nothing collides, then on along a walk over the range
 * (zlb_hash.h, zlb_snat_first()) that tries up to ZLB_SNAT_TRIES
 * different ports. ICMP echo keeps its identifier: one try. Returns 0, or
 * a drop counter. */
__attribute__((noinline))
int zlb_ct_create(const struct zlb_ct_key *orig_key, struct zlb_ct_entry *orig,
		  const struct zlb_meta *meta, __u64 len, __u64 now)
{
	struct zlb_scratch *sc = scratch();
	struct zlb_ct_key *reply_key;
	struct zlb_ct_key4 *k4;
	struct zlb_ct_entry *reply;
	__u32 lo, span, hash, x, stride, i;
	__u64 born;
	int echo;

	if (!orig_key || !orig || !meta || !sc)
		return ZLB_C_DROP_CT_INSERT;
	/* The flow's identity (zlb_memo_same_flow()): @now alone is the
	 * coarse clock, whose tick (a few ms) a flow deleted and opened anew
	 * under the same tuple can fit in, and would then take the packets
	 * memos still count for the old one. This CPU's count of new flows,
	 * added in, tells the two apart (65536 new flows on one CPU in one
	 * tick would be needed to meet the same again). The fine clock would
	 * do too, but reading it costs a SYN 30-60 ns on this kind of VM. */
	born = now + (sc->born_seq++ & 0xffff);
	reply = &sc->reply;
	reply_key = &sc->rkey;
	/* zlb_ct_reap() writes it too: each use converts afresh */
	k4 = &sc->tmp.k4;
	__builtin_memset(reply_key, 0, sizeof(*reply_key));
	__builtin_memset(reply, 0, sizeof(*reply));
	reply_key->saddr = orig->daddr;
	reply_key->daddr = orig->saddr;
	reply_key->sport = orig->dport;
	reply_key->dport = orig->sport;
	reply_key->proto = orig_key->proto;
	reply->saddr = orig_key->daddr;
	reply->daddr = orig_key->saddr;
	reply->sport = orig_key->dport;
	reply->dport = orig_key->sport;
	reply->dir = ZLB_CT_DIR_REPLY;
	reply->service_id = orig->service_id;
	reply->backend_id = orig->backend_id;
	reply->state = ct_initial_state(orig_key->proto);
	reply->created_ns = born;
	reply->last_seen_ns = now;
	lo = meta->snat_port_min;
	span = meta->snat_port_max - lo + 1;
	hash = zlb_flow_hash_addr(orig_key->saddr.w, orig_key->sport, orig_key->proto);
	echo = orig_key->proto == IPPROTO_ICMP || orig_key->proto == IPPROTO_ICMPV6;
	if (span > 65536 || !lo)
		return ZLB_C_DROP_SNAT_BUSY;
	orig->dir = ZLB_CT_DIR_ORIG;
	orig->state = reply->state;
	orig->created_ns = born;
	orig->last_seen_ns = now;
	orig->packets = 1;
	orig->bytes = len;
	/* The first try, the common case, here; the walk's steps each in
	 * a call. */
	x = zlb_snat_first(hash, span);
	if (!echo)
		orig->sport = bpf_htons(lo + x);
	if (ct_try_port(sc, meta, now, orig->sport, 0)) {
		if (echo)
			return ZLB_C_DROP_SNAT_BUSY;
		stride = zlb_ct_stride(hash, span);
		for (i = 1; i < ZLB_SNAT_TRIES; i++) {
			x = zlb_snat_next(x, stride, span);
			if (!zlb_ct_try(sc, meta, now, lo + x))
				break;
		}
		if (i >= ZLB_SNAT_TRIES)
			return ZLB_C_DROP_SNAT_BUSY;
		orig->sport = bpf_htons(lo + x);
	}
	/* Never over an entry that is there: when both directions share one
	 * tuple (a backend that is its own client, its source the service
	 * address), it is the reply's own, and such a flow cannot be told
	 * apart from its answers. */
	if (ct_put(orig_key, k4, orig, BPF_NOEXIST)) {
		ct_del(reply_key, k4);
		return ZLB_C_DROP_CT_INSERT;
	}
	return 0;
}

#endif
