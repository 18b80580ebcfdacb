// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the source port range: how much of a small range
 * (settings.snat_ports) one client's flows to one backend can use. SYNs
 * from one client, each from a port of its own, go to a service of one
 * backend, so every flow needs a backend-side port of its own from the one
 * source address. Each flow must take the first free port of its walk
 * over the range (zlb_hash.h: zlb_snat_first(), at most ZLB_SNAT_TRIES
 * ports) and leave translated to it, or, when the walk meets none, be
 * dropped and counted (drop_snat_busy); no flow may be refused before 95%
 * of the range is taken. How many flows open before the first refusal,
 * and in all, is printed as a TAP comment.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "scenario.h"
#include "zlb_hash.h"

#define SNAT_FIRST_CPORT 20000  /* the client ports: 20000, 20001, ... */
#define SNAT_VPORT 23           /* the service: telnet, one backend */
#define SNAT_BPORT 223

struct snat_fill {
	uint16_t lo, hi;
	uint32_t span;
	unsigned int attempts, opened, refused;
	unsigned int first_refusal;     /* flows open at the first refusal; span if none */
	unsigned int bad;               /* frames or verdicts not as they must be */
	unsigned int not_first;         /* flows not on their hashed port while it was free */
	unsigned int off_walk;          /* flows not on the first free port of their walk */
	unsigned int refused_free;      /* refused while their walk had a free port */
	unsigned int opened_full;       /* opened while their walk had none */
	unsigned int dup;               /* ports handed out twice */
	char first_bad[256];
	long long delta[ZLB_C_MAX];
	bool *taken;                    /* [span]: the ports the flows have */
	uint16_t later_cport, later_sport;  /* a flow whose port came from a later step */
	int later_step;                     /* of its walk, counted from 0 */
};

/* The port of the range @lo..@lo+@span-1 that the client tuple's hash
 * names: a new flow's first try. */
static uint16_t hashed_port(uint16_t cport, uint16_t lo, uint32_t span)
{
	return lo + zlb_flow_hash_addr(CLIENT.w, htons(cport), IPPROTO_TCP) % span;
}

/* The step of client port @cport's walk at which it meets the first port
 * no flow has, -1 when none of its ZLB_SNAT_TRIES steps does; the port's
 * offset in the range in *@x. */
static int walk(const struct snat_fill *s, uint16_t cport, uint32_t *x)
{
	__u32 hash = zlb_flow_hash_addr(CLIENT.w, htons(cport), IPPROTO_TCP);
	__u32 stride = zlb_snat_stride(hash, s->span);

	*x = zlb_snat_first(hash, s->span);
	for (int i = 0; i < ZLB_SNAT_TRIES; i++) {
		if (!s->taken[*x])
			return i;
		*x = zlb_snat_next(*x, stride, s->span);
	}
	return -1;
}

static void fill_bad(struct snat_fill *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fill_bad(struct snat_fill *s, const char *fmt, ...)
{
	va_list ap;

	if (s->bad++)
		return;
	va_start(ap, fmt);
	vsnprintf(s->first_bad, sizeof(s->first_bad), fmt, ap);
	va_end(ap);
}

/* One SYN, from client port @cport. */
static void fill_one(const struct lb *lb, struct snat_fill *s, uint16_t cport)
{
	struct pkt syn = from_client(IPPROTO_TCP, cport, VIP, SNAT_VPORT), want;
	uint16_t hashed = hashed_port(cport, s->lo, s->span), sport, dport;
	union zlb_addr saddr, daddr;
	struct result r;
	struct frame wf;
	uint32_t x;
	int step = walk(s, cport, &x);

	tcp_seg(&syn, PKT_SYN, 1000 + cport, 0);
	s->attempts++;
	if (run(lb, &syn, VETH0, &r)) {
		fill_bad(s, "port %u: BPF_PROG_TEST_RUN: %s", cport, strerror(errno));
		return;
	}
	for (int c = 0; c < ZLB_C_MAX; c++)
		s->delta[c] += r.delta[c];
	if (r.verdict == hook_verdict(XDP_DROP) && r.delta[ZLB_C_DROP_SNAT_BUSY] == 1) {
		if (!s->refused++)
			s->first_refusal = s->opened;
		if (step >= 0)
			s->refused_free++;
		return;
	}
	if (r.verdict != hook_verdict(XDP_REDIRECT) ||
	    out_tuple(&r, &saddr, &sport, &daddr, &dport)) {
		fill_bad(s, "port %u: verdict %s", cport, verdict_name(r.verdict));
		return;
	}
	if (sport < s->lo || sport > s->hi || !same_addr(saddr, LB_SRC)) {
		fill_bad(s, "port %u: left from %s, outside the range %u-%u", cport,
			 at(saddr, sport), s->lo, s->hi);
		return;
	}
	want = sent(&syn, VETH2, backend_mac, LB_SRC, sport, BACKEND, SNAT_BPORT);
	build(&wf, &want);
	if (r.out.len != wf.len || memcmp(r.out.data, wf.data, wf.len)) {
		if (!s->bad)
			frame_diff(stdout, "#   ", wf.data, wf.len, r.out.data, r.out.len);
		fill_bad(s, "port %u: the frame out differs (%s)", cport, at(saddr, sport));
		return;
	}
	if (s->taken[sport - s->lo]) {
		s->dup++;
		fill_bad(s, "port %u: given %s, which another flow has", cport, at(saddr, sport));
		return;
	}
	if (sport != hashed && !s->taken[hashed - s->lo])
		s->not_first++;
	if (step < 0)
		s->opened_full++;
	else if (sport != s->lo + x)
		s->off_walk++;
	else if (step >= 2 && !s->later_cport) {
		s->later_cport = cport;
		s->later_sport = sport;
		s->later_step = step;
	}
	s->taken[sport - s->lo] = true;
	s->opened++;
}

/* Entry @k of the table (@whose) goes in direction @dir and translates to
 * @sa:@sp -> @da:@dp; what differs goes to @p. */
static void check_entry(const struct lb *lb, struct problems *p, const char *whose,
			const struct zlb_ct_key *k, int dir, union zlb_addr sa, uint16_t sp,
			union zlb_addr da, uint16_t dp)
{
	struct zlb_ct_entry e;

	if (!ct_get(lb, k, &e))
		add(p, "%s entry is missing", whose);
	else if (e.dir != dir || !same_addr(e.saddr, sa) || !same_addr(e.daddr, da) ||
		 ntohs(e.sport) != sp || ntohs(e.dport) != dp)
		add(p, "%s entry says %s -> %s (dir %u)", whose, at(e.saddr, ntohs(e.sport)),
		    at(e.daddr, ntohs(e.dport)), e.dir);
}

/* The flow of client port @cport, on backend-side port @sport: both its
 * entries, and the backend's answer translated back to the client. */
static void check_flow(const struct lb *lb, const char *what, uint16_t cport, uint16_t sport)
{
	struct zlb_ct_key ok = ct_key(CLIENT, cport, VIP, SNAT_VPORT, IPPROTO_TCP);
	struct zlb_ct_key rk = ct_key(BACKEND, SNAT_BPORT, LB_SRC, sport, IPPROTO_TCP);
	struct pkt ans = arriving(VETH2, backend_mac, IPPROTO_TCP, BACKEND, SNAT_BPORT, LB_SRC,
				  sport), out;
	struct problems p = {};

	check_entry(lb, &p, "the client's", &ok, ZLB_CT_DIR_ORIG, LB_SRC, sport, BACKEND,
		    SNAT_BPORT);
	check_entry(lb, &p, "the backend's", &rk, ZLB_CT_DIR_REPLY, VIP, SNAT_VPORT, CLIENT,
		    cport);
	report(named("snat range: %s: both entries of %s's flow name %s", what,
		     at(CLIENT, cport), at(LB_SRC, sport)), p.n ? p.text : NULL);

	tcp_seg(&ans, PKT_SYN | PKT_ACK, 5000, 1001 + cport);
	ans.client_port = cport;
	out = to_client(&ans, SNAT_VPORT);
	/* the first packet towards the client: its route is looked up */
	expect(lb, named("snat range: %s: the backend's answer to %s reaches %s", what,
			 at(LB_SRC, sport), at(CLIENT, cport)),
	       &ans, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);
}

/* On a load balancer whose range is @lo..@hi and whose telnet service has
 * one backend: 5/4 as many new flows as the range has ports. */
void test_snat_range(const struct lb *lb, uint16_t lo, uint16_t hi)
{
	struct snat_fill s = { .lo = lo, .hi = hi, .span = hi - lo + 1u };
	unsigned int count = s.span + s.span / 4;
	long long want[ZLB_C_MAX] = {};
	struct problems p = {};
	const char *name;

	s.first_refusal = s.span;
	s.taken = calloc(s.span, sizeof(*s.taken));
	if (!s.taken) {
		fail("snat range: setup", "out of memory");
		return;
	}
	for (unsigned int i = 0; i < count; i++)
		fill_one(lb, &s, SNAT_FIRST_CPORT + i);
	printf("# %ssnat range %u-%u (%u ports): first refusal after %u flows (%.1f%%), "
	       "%u of %u opened (%.1f%% of the range), %u refused (drop_snat_busy)\n",
	       fam->tag, lo, hi, s.span, s.first_refusal, 100.0 * s.first_refusal / s.span,
	       s.opened, s.attempts, 100.0 * s.opened / s.span, s.refused);

	name = named("snat range %u-%u: every flow opened leaves translated to a port of the "
		     "range no other flow has, or is refused (drop_snat_busy)", lo, hi);
	report(name, s.bad ? s.first_bad : NULL);
	name = named("snat range %u-%u: a flow whose hashed port is free gets it", lo, hi);
	if (s.not_first)
		fail(name, "%u flows did not", s.not_first);
	else
		report(name, NULL);
	name = named("snat range %u-%u: each flow gets the first free port of its walk over "
		     "the range, and is refused only when the walk's %d ports are all taken",
		     lo, hi, ZLB_SNAT_TRIES);
	if (s.off_walk || s.refused_free || s.opened_full)
		fail(name, "%u flows on another port, %u refused with a free port on the walk, "
		     "%u opened with none", s.off_walk, s.refused_free, s.opened_full);
	else
		report(name, NULL);
	name = named("snat range %u-%u: no flow is refused before 95%% of the range is taken",
		     lo, hi);
	if (s.first_refusal * 100 < s.span * 95)
		fail(name, "the first refusal came with %u of %u ports taken (%.1f%%)",
		     s.first_refusal, s.span, 100.0 * s.first_refusal / s.span);
	else
		report(name, NULL);

	want[ZLB_C_RX] = want[ZLB_C_CT_MISS] = s.attempts;
	want[ZLB_C_NEW_FLOW] = want[ZLB_C_FORWARD] = want[ZLB_C_REDIRECT] = s.opened;
	want[ZLB_C_DROP_SNAT_BUSY] = s.refused;
	/* the route is looked up once, then cached */
	want[ZLB_C_FIB_LOOKUP] = s.delta[ZLB_C_FIB_LOOKUP];
	want[ZLB_C_FIB_CACHE_HIT] = s.attempts - want[ZLB_C_FIB_LOOKUP];
	/* and the client's address is learned by the first */
	want[ZLB_C_NEIGH_LEARNED] = s.delta[ZLB_C_NEIGH_LEARNED];
	if (want[ZLB_C_FIB_LOOKUP] > 1)
		add(&p, "fib_lookup %+lld (want at most +1)", want[ZLB_C_FIB_LOOKUP]);
	if (want[ZLB_C_NEIGH_LEARNED] > 1)
		add(&p, "neigh_learned %+lld (want at most +1)", want[ZLB_C_NEIGH_LEARNED]);
	for (int c = 0; c < ZLB_C_MAX; c++)
		if (s.delta[c] != want[c])
			add(&p, "%s %+lld (want %+lld)", counter_names[c], s.delta[c], want[c]);
	report(named("snat range %u-%u: the counters count each flow opened or refused", lo, hi),
	       p.n ? p.text : NULL);

	if (s.later_cport)
		check_flow(lb, named("%u-%u, a flow given the port of step %d of its walk", lo, hi,
				     s.later_step), s.later_cport, s.later_sport);
	else
		fail(named("snat range %u-%u: a flow given a port at a later step of its walk",
			   lo, hi), "no flow's port came from step 2 or later of its walk");
	free(s.taken);
}
