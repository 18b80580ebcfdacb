// SPDX-License-Identifier: GPL-2.0
/* Invariant 4, over the whole connection table: read it (both tables, in
 * batches) and judge every entry against the config and the flows the
 * fuzzer's frames opened. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "check.h"
#include "model.h"

/* The connection table, read whole and indexed by key. */
struct table {
	struct zlb_ct_key *keys;
	struct zlb_ct_entry *vals;
	size_t n, cap;
	struct keyset index;
};

static int table_grow(struct table *t)
{
	size_t cap = t->cap ? 2 * t->cap : 1024;
	struct zlb_ct_key *keys = realloc(t->keys, cap * sizeof(*keys));
	struct zlb_ct_entry *vals;

	if (!keys)
		return -1;
	t->keys = keys;
	vals = realloc(t->vals, cap * sizeof(*vals));
	if (!vals)
		return -1;
	t->vals = vals;
	t->cap = cap;
	return 0;
}

static int table_add(void *ctx, const struct zlb_ct_key *keys, const struct zlb_ct_entry *vals,
		     __u32 n)
{
	struct table *t = ctx;

	for (__u32 i = 0; i < n; i++) {
		if (t->n == t->cap && table_grow(t))
			return -1;
		t->keys[t->n] = keys[i];
		t->vals[t->n++] = vals[i];
	}
	return 0;
}

static int table_read(const struct checker *c, struct table *t)
{
	struct zlb_err err = {};

	memset(t, 0, sizeof(*t));
	if (zlb_ct_walk(&c->lb->maps, false, table_add, t, &err))
		return -1;
	if (keyset_init(&t->index, 2 * (t->cap ? t->cap : 1)))
		return -1;
	for (size_t i = 0; i < t->n; i++)
		keyset_add(&t->index, &t->keys[i], i);
	return 0;
}

static void table_free(struct table *t)
{
	free(t->keys);
	free(t->vals);
	keyset_free(&t->index);
}

/* The entry @t holds for @k, or NULL. */
static const struct zlb_ct_entry *table_get(const struct table *t, const struct zlb_ct_key *k)
{
	size_t at;

	return keyset_find(&t->index, k, &at) ? &t->vals[t->index.vals[at]] : NULL;
}

static bool state_fits(uint8_t proto, uint8_t state)
{
	if (proto == IPPROTO_TCP)
		return state <= ZLB_CT_TCP_CLOSE;
	return state == (proto == IPPROTO_UDP ? ZLB_CT_UDP : ZLB_CT_ICMP);   /* ICMP, ICMPv6 */
}

static void entry_violation(struct checker *c, const struct zlb_ct_key *k,
			    const struct zlb_ct_entry *e, const char *why)
{
	char sa[ZLB_ADDR_PORT_LEN], da[ZLB_ADDR_PORT_LEN], ts[ZLB_ADDR_PORT_LEN];
	char td[ZLB_ADDR_PORT_LEN];

	check_violation(c, INV_TABLE, NULL, "entry %s -> %s proto %u (dir %u, state %u) -> %s -> %s: %s",
			zlb_fmt_addr_port(sa, &k->saddr, k->sport),
			zlb_fmt_addr_port(da, &k->daddr, k->dport), k->proto, e->dir, e->state,
			zlb_fmt_addr_port(ts, &e->saddr, e->sport),
			zlb_fmt_addr_port(td, &e->daddr, e->dport), why);
}

/* The service and backend an entry's tuples name, per the config: an
 * original direction is keyed by a tuple to a service and leaves for one
 * of its backends from that backend's source (ports: the backend's, and
 * one in the SNAT range; echo keeps its identifier); a reply direction is
 * the same the other way round. */
static const char *entry_config(const struct checker *c, const struct zlb_ct_key *k,
				const struct zlb_ct_entry *e)
{
	/* the tuple of the service side and of the backend side (ports in
	 * host order) */
	const union zlb_addr *svc, *backend, *src;
	uint16_t cport, vport, bport, sport;
	bool v6 = !zlb_addr_is_v4(&k->saddr);
	const struct fz_service *s;
	const struct fz_backend *b;
	bool orig = e->dir == ZLB_CT_DIR_ORIG;

	if (e->dir > ZLB_CT_DIR_REPLY)
		return "no direction";
	if (v6 == zlb_addr_is_v4(&k->daddr) || v6 == zlb_addr_is_v4(&e->saddr) ||
	    v6 == zlb_addr_is_v4(&e->daddr))
		return "addresses of both families";
	svc = orig ? &k->daddr : &e->saddr;
	cport = ntohs(orig ? k->sport : e->dport);
	vport = ntohs(orig ? k->dport : e->sport);
	src = orig ? &e->saddr : &k->daddr;
	backend = orig ? &e->daddr : &k->saddr;
	sport = ntohs(orig ? e->sport : k->dport);
	bport = ntohs(orig ? e->dport : k->sport);
	s = model_service(&c->m, svc, v6, vport, k->proto);
	if (!s)
		return "names no service";
	b = model_backend(s, backend, bport, k->proto);
	if (!b)
		return "names no backend of its service";
	if (!model_source_ok(b, src))
		return "not from its backend's source address";
	if (is_echo_proto(k->proto) ? cport != vport || sport != cport || bport != cport :
	    sport < c->m.snat_min || sport > c->m.snat_max)
		return "ports out of place";
	if (e->service_id != s->id || e->backend_id != b->id)
		return "counted for another service or backend";
	if (!state_fits(k->proto, e->state))
		return "a state of another protocol";
	return NULL;
}

/* Whether @p is the partner of entry @e (key @k): the same flow the other
 * way, in the same state. */
static bool partners(const struct zlb_ct_key *k, const struct zlb_ct_entry *e,
		     const struct zlb_ct_entry *p)
{
	return zlb_addr_equal(&p->saddr, &k->daddr) && zlb_addr_equal(&p->daddr, &k->saddr) &&
	       p->sport == k->dport &&
	       p->dport == k->sport && p->dir == !e->dir && p->service_id == e->service_id &&
	       p->backend_id == e->backend_id && p->state == e->state &&
	       p->fin_seen == e->fin_seen;
}

/*
 * Invariant 4. No entry appears that no packet could justify: every entry
 * names a service and one of its backends per the config (entry_config),
 * and every original direction is keyed by the tuple of a frame that
 * opened a flow (new_flow moved for it and it left). Entries come in
 * pairs -- the partner keyed by the reverse of what this entry leaves
 * with, mirroring it in the same state -- or are counted: entries without
 * a partner are at most the evictions counted (ct_evicted). The fuzzer's
 * flows fill a small part of the table, so the LRU map never evicts an
 * entry behind the data plane's back.
 */
void check_table(struct checker *c)
{
	long long counters[ZLB_C_MAX];
	unsigned long long alone = 0;
	const struct zlb_ct_entry *p;
	struct zlb_ct_key pk;
	struct table t;
	size_t at;

	if (table_read(c, &t) || lb_counters(c->lb, counters)) {
		check_violation(c, INV_TABLE, NULL, "cannot read the connection table");
		table_free(&t);
		return;
	}
	c->table_checks++;
	c->table_entries = t.n;
	for (size_t i = 0; i < t.n; i++) {
		const struct zlb_ct_key *k = &t.keys[i];
		const struct zlb_ct_entry *e = &t.vals[i];
		const char *why = entry_config(c, k, e);

		if (!why && e->dir == ZLB_CT_DIR_ORIG && !keyset_find(&c->opened, k, &at))
			why = "no frame opened this flow";
		if (why) {
			entry_violation(c, k, e, why);
			continue;
		}
		pk = ct_key(&e->daddr, &e->saddr, ntohs(e->dport), ntohs(e->sport), k->proto);
		p = table_get(&t, &pk);
		if (!p)
			alone++;
		else if (!partners(k, e, p))
			entry_violation(c, k, e, "its partner does not mirror it");
	}
	if ((long long)alone > counters[ZLB_C_CT_EVICTED])
		check_violation(c, INV_TABLE, NULL,
				"%llu entries without a partner, %lld evictions counted",
				alone, counters[ZLB_C_CT_EVICTED]);
	table_free(&t);
}
