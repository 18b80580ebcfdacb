/* SPDX-License-Identifier: GPL-2.0 */
/* Counters: global ones by reason, and traffic per service, backend and
 * interface. All per CPU: no atomics on the packet path. */
#ifndef ZLB_BPF_STATS_H
#define ZLB_BPF_STATS_H

#include "ctx.h"
#include "compat.h"

/* This CPU's counters. */
static __always_inline struct zlb_counters *counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&zlb_stats, &zero);
}

/* Count @counter in @cnt, this CPU's counters: the packet path looks them
 * up once and counts its common steps this way. */
static __always_inline void count_in(struct zlb_counters *cnt, __u32 counter)
{
	cnt->c[counter & (ZLB_C_SLOTS - 1)] += 1;
}

static __always_inline void count(__u32 counter)
{
	struct zlb_counters *v = counters();

	if (v)
		count_in(v, counter);
}

/* Count @counter and return ZLB_DROP: one line per drop reason. */
static __always_inline int drop(__u32 counter)
{
	count(counter);
	return ZLB_DROP;
}

static __always_inline void traffic_count(struct zlb_traffic *t, __u64 bytes, int new_flow)
{
	t->packets++;
	t->bytes += bytes;
	t->new_flows += new_flow;
}

/* A backend's traffic (zlb_be_stats) and its service's (in @cnt). */
static __always_inline void flow_traffic(struct zlb_counters *cnt, __u32 service_id,
					 __u32 backend_id, __u64 bytes, int new_flow)
{
	struct zlb_traffic *be = bpf_map_lookup_elem(&zlb_be_stats, &backend_id);

	traffic_count(&cnt->svcs[service_id & (ZLB_MAX_SERVICES - 1)], bytes, new_flow);
	if (be)
		traffic_count(be, bytes, new_flow);
}

/* The traffic counters in @cnt of the interface in slot @slot1 - 1, or
 * NULL when @slot1 is 0 (not a configured interface). */
static __always_inline struct zlb_if_traffic *slot_traffic(struct zlb_counters *cnt, __u32 slot1)
{
	return slot1 ? &cnt->ifs[(slot1 - 1) & (ZLB_MAX_IFACES - 1)] : NULL;
}

/* The traffic counters of ingress interface @ifindex in @cnt when it is a
 * configured one, else NULL. This CPU remembers the answer of zlb_ifaces
 * (a hash lookup per packet otherwise) until the next load. */
static __always_inline struct zlb_if_traffic *iface_stats(__u32 ifindex, struct zlb_scratch *sc,
							  const struct zlb_meta *meta,
							  struct zlb_counters *cnt)
{
	struct zlb_if_memo *m = &sc->ifm[ifindex & (ZLB_IF_MEMO_SLOTS - 1)];

	if (zlb_unlikely(m->ifindex != ifindex || m->generation != meta->generation)) {
		struct zlb_iface *ifc = bpf_map_lookup_elem(&zlb_ifaces, &ifindex);

		m->ifindex = ifindex;
		m->generation = meta->generation;
		m->slot1 = ifc ? ifc->slot + 1 : 0;
	}
	return slot_traffic(cnt, m->slot1);
}

/* The traffic counters of a route's egress interface in @cnt: its slot
 * travels with the route (zlb_fib_entry.if_slot). */
static __always_inline struct zlb_if_traffic *route_if_stats(const struct zlb_fib_entry *route,
							     struct zlb_counters *cnt)
{
	return slot_traffic(cnt, route->if_slot);
}

#endif
