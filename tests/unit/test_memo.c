// SPDX-License-Identifier: GPL-2.0
/*
 * Packet cases of the flow memo (zlb_flow_memo, zlb_abi.h): each CPU's copy
 * of busy IPv4 flows' table entries in front of zlb_conntrack4. A datagram
 * of such a flow is translated from the copy and counted there; the table
 * gets the count every ZLB_FLOW_MEMO_FLUSH packets (or at the next clock
 * tick), and whatever changes an entry makes every copy of it stale. The
 * cases look at the memo and at the raw table entry, as well as at what
 * libzlbcommon reports (the table plus what memos still count).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "packet_harness.h"
#include "scenario.h"
#include "zlb_ct.h"

#define MAX_CPUS 1024

static struct zlb_flow_memo memo_vals[MAX_CPUS];

/* Every CPU's value of memo slot @slot into memo_vals: the number of CPUs,
 * or -1. */
static int memo_read(const struct lb *lb, __u32 slot)
{
	return memo_slot_read(lb, slot, memo_vals, MAX_CPUS);
}

/* The packets (and *@bytes) the memos of every CPU still count for @k. */
static __u64 memo_pending(const struct lb *lb, const struct zlb_ct_key *k, __u64 *bytes)
{
	int n = memo_read(lb, memo_slot_of_key(k));
	__u64 p = 0, b = 0;

	for (int c = 0; c < n; c++)
		if (memo_holds(&memo_vals[c], k)) {
			p += memo_vals[c].pending_packets;
			b += memo_vals[c].pending_bytes;
		}
	if (bytes)
		*bytes = b;
	return p;
}

/* Delete IPv4 key @k from the table behind the memo's back, as the LRU
 * does (zlb_ct_delete() would tell the memos). */
static int table_raw_delete(const struct lb *lb, const struct zlb_ct_key *k)
{
	struct zlb_ct_key4 k4;

	zlb_ct_key_to4(k, &k4);
	return bpf_map_delete_elem(lb->maps.fd[ZLB_M_CONNTRACK4], &k4);
}

/* A datagram of the client's flow from port @sport to the DNS service. */
static struct pkt query(uint16_t sport)
{
	struct pkt q = from_client(IPPROTO_UDP, sport, VIP, 53);

	with_data(&q, "memo");
	return q;
}

static size_t frame_len(const struct pkt *p)
{
	struct frame f;

	build(&f, p);
	return f.len;
}

/* Send @q (a flow already open) until a memo counts a datagram of it, at
 * most 64 times: the number sent, or -1 when one was not forwarded. *@hit:
 * whether a memo counted one. */
static int send_until_memo(const struct lb *lb, const struct pkt *q, const struct zlb_ct_key *k,
			   bool *hit)
{
	struct pkt out = to_backend(q, 5353);
	int sent = 0;

	*hit = false;
	quiet = true;
	while (sent < 64 && !*hit) {
		if (!expect(lb, "memo: setup: a datagram of the open flow", q, VETH0, XDP_REDIRECT,
			    &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED)) {
			quiet = false;
			return -1;
		}
		sent++;
		*hit = memo_pending(lb, k, NULL) > 0;
	}
	quiet = false;
	return sent;
}

/* Run a setup step @in on @port: forwarded, and when @opens, opening a
 * flow (routes and neighbours are the other cases' business). */
static bool step(const struct lb *lb, const char *name, const struct pkt *in, int port,
		 bool opens)
{
	struct result r;

	if (run(lb, in, port, &r)) {
		fail(name, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return false;
	}
	if (r.verdict != hook_verdict(XDP_REDIRECT) || (opens && r.delta[ZLB_C_NEW_FLOW] != 1)) {
		fail(name, "verdict %s, new flows %+lld", verdict_name(r.verdict),
		     r.delta[ZLB_C_NEW_FLOW]);
		return false;
	}
	return true;
}

static bool open_flow(const struct lb *lb, const struct pkt *q)
{
	return step(lb, "memo: setup: the flow opens", q, VETH0, true);
}

/* Counting: the memo takes a busy flow's datagrams, hands them to the
 * table every ZLB_FLOW_MEMO_FLUSH at the latest, and what the library
 * reports is exact all along. */
static void test_memo_counts(const struct lb *lb)
{
	struct pkt q = query(7100), out = to_backend(&q, 5353);
	struct zlb_ct_key k = ct_key(CLIENT, 7100, VIP, 53, IPPROTO_UDP);
	__u64 len = frame_len(&q), n = 1, seen = 0, over = 0, inexact = 0;
	struct zlb_ct_entry e, raw;
	struct problems p = {};

	if (!open_flow(lb, &q))
		return;
	quiet = true;
	for (int i = 0; i < 3 * ZLB_FLOW_MEMO_FLUSH; i++) {
		__u64 pending, pbytes;

		if (!expect(lb, "memo: setup: the flow's datagrams", &q, VETH0, XDP_REDIRECT, &out,
			    FLOW_HIT, ROUTE_CACHED, REDIRECTED))
			break;
		n++;
		pending = memo_pending(lb, &k, &pbytes);
		seen += pending > 0;
		over += pending > ZLB_FLOW_MEMO_FLUSH - 1;
		if (!ct_get(lb, &k, &e) || e.packets != n || e.bytes != n * len ||
		    zlb_ct_lookup_table(&lb->maps, &k, &raw) || raw.packets + pending != n ||
		    raw.bytes + pbytes != n * len)
			inexact++;
	}
	quiet = false;
	report("memo: a busy IPv4 flow's datagrams are counted in this CPU's memo",
	       seen ? NULL : "no datagram was counted in a memo");
	report(named("memo: ... which hands them to the table every %d at the latest",
		     ZLB_FLOW_MEMO_FLUSH),
	       over ? named("a memo held %d or more", ZLB_FLOW_MEMO_FLUSH) : NULL);
	if (inexact)
		add(&p, "%llu of %llu times the count was off (the library's, or the table's "
			"plus the memo's)", (unsigned long long)inexact, (unsigned long long)n - 1);
	report("memo: after every datagram the library reports the flow's packets and bytes "
	       "exactly, and the table plus the memos hold them", p.n ? p.text : NULL);
}

/* A UDP flow from client port @sport, open and in a memo: its two keys in
 * @k and @rk; false (the failure said, as @what) when it could not be. */
static bool memoized_flow(const struct lb *lb, const char *what, uint16_t sport,
			  struct zlb_ct_key *k, struct zlb_ct_key *rk)
{
	struct pkt q = query(sport);
	bool hit;

	*k = ct_key(CLIENT, sport, VIP, 53, IPPROTO_UDP);
	*rk = ct_key(BACKEND, 5353, LB_SRC, snat_port(CLIENT, sport, IPPROTO_UDP), IPPROTO_UDP);
	if (!open_flow(lb, &q) || send_until_memo(lb, &q, k, &hit) < 0)
		return false;
	if (!hit)
		fail(what, "no datagram was counted in a memo");
	return hit;
}

/* An entry deleted through the library: its memos are stale at once, and
 * the next datagram opens a new flow. */
static void test_memo_deleted(const struct lb *lb)
{
	struct pkt q = query(7110), out = to_backend(&q, 5353);
	struct zlb_ct_key k, rk;

	if (!memoized_flow(lb, "memo: deleted: setup", 7110, &k, &rk))
		return;
	if (zlb_ct_delete(&lb->maps, &k) || zlb_ct_delete(&lb->maps, &rk)) {
		fail("memo: deleted: setup", "zlb_ct_delete: %s", strerror(errno));
		return;
	}
	expect(lb, "memo: a flow deleted through the library while memoized is gone: its next "
		   "datagram opens a new flow",
	       &q, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

/* An entry the kernel drops on its own (LRU eviction: nothing tells the
 * memos) is missed when the memo next hands its count to the table: within
 * ZLB_FLOW_MEMO_FLUSH datagrams a new flow opens. */
static void test_memo_evicted(const struct lb *lb)
{
	struct pkt q = query(7120);
	struct zlb_ct_key k, rk;
	struct problems p = {};
	int sent = 0, opened = 0;
	struct result r;

	if (!memoized_flow(lb, "memo: evicted: setup", 7120, &k, &rk))
		return;
	if (table_raw_delete(lb, &k) || table_raw_delete(lb, &rk)) {
		fail("memo: evicted: setup", "bpf_map_delete_elem: %s", strerror(errno));
		return;
	}
	while (sent < ZLB_FLOW_MEMO_FLUSH + 1 && !opened) {
		if (run(lb, &q, VETH0, &r)) {
			add(&p, "BPF_PROG_TEST_RUN: %s", strerror(errno));
			break;
		}
		sent++;
		if (r.verdict != hook_verdict(XDP_REDIRECT))
			add(&p, "datagram %d: verdict %s", sent, verdict_name(r.verdict));
		opened = r.delta[ZLB_C_NEW_FLOW] == 1;
	}
	if (!opened)
		add(&p, "no new flow after %d datagrams", sent);
	report(named("memo: a flow evicted under its memo is missed within %d datagrams, every "
		     "one forwarded, and opens anew", ZLB_FLOW_MEMO_FLUSH),
	       p.n ? p.text : NULL);
}

/* A state change of one direction (a FIN) makes the other direction's
 * memo stale: its next segment goes through the table, which has the new
 * state and every segment counted. */
static void test_memo_state_change(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 7200, VIP, 23);
	struct pkt synack = from_backend(IPPROTO_TCP, 223, LB_SRC, 7200);
	struct pkt ack = from_client(IPPROTO_TCP, 7200, VIP, 23);
	struct pkt data = from_backend(IPPROTO_TCP, 223, LB_SRC, 7200);
	struct pkt fin = from_client(IPPROTO_TCP, 7200, VIP, 23), out;
	struct zlb_ct_key rk = ct_key(BACKEND, 223, LB_SRC, snat_port(CLIENT, 7200, IPPROTO_TCP),
				      IPPROTO_TCP);
	__u32 slot = memo_slot_of_key(&rk), epoch;
	int n, sent = 1, stale = 0, held = 0;
	struct zlb_ct_entry raw, e;
	struct problems p = {};

	tcp_seg(&syn, PKT_SYN, 1, 0);
	tcp_seg(&synack, PKT_SYN | PKT_ACK, 500, 2);
	tcp_seg(&ack, PKT_ACK, 2, 501);
	tcp_seg(&data, PKT_ACK, 501, 2);
	with_data(&data, "from the backend");
	tcp_seg(&fin, PKT_FIN | PKT_ACK, 2, 501);
	if (!step(lb, "memo: state: setup: SYN", &syn, VETH0, true) ||
	    !step(lb, "memo: state: setup: SYN-ACK", &synack, VETH2, false) ||
	    !step(lb, "memo: state: setup: ACK", &ack, VETH0, false))
		return;
	quiet = true;
	out = to_client(&data, 23);
	for (n = 0; n < 64 && !memo_pending(lb, &rk, NULL); n++, sent++)
		if (!expect(lb, "memo: setup: the backend's segments", &data, VETH2, XDP_REDIRECT,
			    &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED))
			goto out;
	if (!memo_pending(lb, &rk, NULL)) {
		quiet = false;
		fail("memo: state: setup", "no segment of the backend was counted in a memo");
		goto out;
	}
	out = to_backend(&fin, 223);
	if (!expect(lb, "memo: setup: the client's FIN", &fin, VETH0, XDP_REDIRECT, &out,
		    FLOW_HIT, ROUTE_CACHED, REDIRECTED))
		goto out;
	quiet = false;
	/* the backend direction's memo, still holding its segments, is stale */
	n = memo_read(lb, slot);
	if (n < 0 || bpf_map_lookup_elem(lb->maps.fd[ZLB_M_FLOW_EPOCH], &slot, &epoch)) {
		fail("memo: state: reading the memo", "%s", strerror(errno));
		goto out;
	}
	for (int c = 0; c < n; c++)
		if (memo_holds(&memo_vals[c], &rk) && memo_vals[c].pending_packets) {
			held++;
			stale += memo_vals[c].epoch != epoch;
		}
	if (held != stale)
		add(&p, "%d memo(s) of the backend's direction still good after the FIN",
		    held - stale);
	report("memo: a FIN of the client makes the memo of the backend's direction stale",
	       p.n ? p.text : NULL);

	/* its next segment: through the table */
	memset(&p, 0, sizeof(p));
	out = to_client(&data, 23);
	if (expect(lb, "memo: ... the backend's next segment still reaches the client",
		   &data, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED))
		sent++;
	if (zlb_ct_lookup_table(&lb->maps, &rk, &raw) || !ct_get(lb, &rk, &e)) {
		fail("memo: state: reading the table", "%s", strerror(errno));
		goto out;
	}
	if (raw.state != ZLB_CT_TCP_CLOSING)
		add(&p, "state %u in the table, want %u (closing)", raw.state, ZLB_CT_TCP_CLOSING);
	if (raw.packets != (__u64)sent)
		add(&p, "the table counts %llu segments, want %d", (unsigned long long)raw.packets,
		    sent);
	if (memo_pending(lb, &rk, NULL))
		add(&p, "a memo still counts segments of the direction");
	report("memo: ... through the table, which has the closing state and counts every "
	       "segment of the direction", p.n ? p.text : NULL);
out:
	quiet = false;
}

/* A load (zlb_meta.generation) makes every memo stale. */
static void test_memo_reload(struct lb *lb, const char *conf)
{
	struct pkt q = query(7300), out = to_backend(&q, 5353);
	struct zlb_ct_key k = ct_key(CLIENT, 7300, VIP, 53, IPPROTO_UDP);
	struct zlb_ct_entry before, raw;
	struct zlb_err err = {};
	struct problems p = {};
	bool hit;

	if (!open_flow(lb, &q) || send_until_memo(lb, &q, &k, &hit) < 0)
		return;
	if (!hit || !ct_get(lb, &k, &before)) {
		fail("memo: reload: setup", "no datagram was counted in a memo");
		return;
	}
	if (lb_reload_family(lb, conf, &err)) {
		fail("memo: reload: setup", "%s", err.msg);
		return;
	}
	if (!expect(lb, "memo: reload: a datagram of the flow after the load", &q, VETH0,
		    XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED))
		return;
	if (zlb_ct_lookup_table(&lb->maps, &k, &raw))
		add(&p, "no table entry: %s", strerror(errno));
	else if (raw.packets != before.packets + 1)
		add(&p, "the table counts %llu datagrams, want %llu", (unsigned long long)raw.packets,
		    (unsigned long long)before.packets + 1);
	if (memo_pending(lb, &k, NULL))
		add(&p, "a memo still counts datagrams of the flow");
	report("memo: ... goes through the table, which takes what the memo counted",
	       p.n ? p.text : NULL);
}

/* A client port after @pa whose UDP flow to the DNS service (key into
 * @kb) shares the memo slot of @pa's (key @ka); 0, reported as a failure
 * of @setup, when none of the next 20000 does. */
static uint16_t slot_mate(uint16_t pa, const struct zlb_ct_key *ka, struct zlb_ct_key *kb,
			  const char *setup)
{
	for (uint16_t port = pa + 1; port < pa + 20000; port++) {
		*kb = ct_key(CLIENT, port, VIP, 53, IPPROTO_UDP);
		if (memo_slot_of_key(kb) == memo_slot_of_key(ka))
			return port;
	}
	fail(setup, "no client port shares the memo slot of %u", pa);
	return 0;
}
/* Two busy flows in one memo slot: the second takes it over only on every
 * ZLB_FLOW_MEMO_TAKEOVER-th packet of its own (not on each, which would
 * make two flows push each other out all the time), and the one pushed
 * out hands its count to its table entry first. */
static void test_memo_collision(const struct lb *lb)
{
	uint16_t pa = 7400, pb = 0;
	struct zlb_ct_key ka = ct_key(CLIENT, pa, VIP, 53, IPPROTO_UDP), kb;
	struct pkt qa = query(pa), qb, out;
	struct zlb_ct_entry raw, eb;
	struct problems p = {};
	int sent, kept = 0, took = 0;
	bool hit;

	pb = slot_mate(pa, &ka, &kb, "memo: collision: setup");
	if (!pb)
		return;
	qb = query(pb);
	/* both flows open first: opening one moves the slot's epoch */
	if (!open_flow(lb, &qa) || !open_flow(lb, &qb) ||
	    (sent = send_until_memo(lb, &qa, &ka, &hit)) < 0)
		return;
	if (!hit) {
		fail("memo: collision: setup", "no datagram was counted in a memo");
		return;
	}
	out = to_backend(&qb, 5353);
	quiet = true;
	for (int i = 0; i < ZLB_FLOW_MEMO_TAKEOVER && !took; i++) {
		if (!expect(lb, "memo: collision: a datagram of the second flow", &qb, VETH0,
			    XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED))
			break;
		if (memo_pending(lb, &ka, NULL))
			kept++;
		else
			took = 1;
	}
	quiet = false;
	if (!ct_get(lb, &kb, &eb))
		add(&p, "the second flow has no entry");
	else if (took && eb.packets % ZLB_FLOW_MEMO_TAKEOVER)
		add(&p, "taken over at the second flow's packet %llu",
		    (unsigned long long)eb.packets);
	if (!kept)
		add(&p, "the first flow lost the slot at the second flow's first datagram");
	if (!took)
		add(&p, "the first flow still holds the slot after %d datagrams of the second",
		    ZLB_FLOW_MEMO_TAKEOVER);
	report(named("memo: a busy flow (port %u) takes the slot of another (port %u) on every "
		     "%dth of its packets, not before", pb, pa, ZLB_FLOW_MEMO_TAKEOVER),
	       p.n ? p.text : NULL);
	memset(&p, 0, sizeof(p));
	if (zlb_ct_lookup_table(&lb->maps, &ka, &raw))
		add(&p, "the first flow has no table entry: %s", strerror(errno));
	else if (raw.packets != (__u64)sent + 1)
		add(&p, "its table entry counts %llu datagrams, want %d",
		    (unsigned long long)raw.packets, sent + 1);
	if (memo_pending(lb, &ka, NULL))
		add(&p, "a memo still counts datagrams of the first flow");
	report("memo: ... and the first flow's datagrams counted in the memo are in its table "
	       "entry", p.n ? p.text : NULL);
}

/* IPv6 flows are not memoized: every slot stays empty. */
static void test_memo_ipv6(const struct lb *lb)
{
	struct pkt q = query(7500), out = to_backend(&q, 5353);
	struct problems p = {};
	int used = 0;

	if (!open_flow(lb, &q))
		return;
	quiet = true;
	for (int i = 0; i < 8; i++)
		if (!expect(lb, "memo: setup: the flow's datagrams", &q, VETH0, XDP_REDIRECT, &out,
			    FLOW_HIT, ROUTE_CACHED, REDIRECTED))
			break;
	quiet = false;
	for (__u32 slot = 0; slot < ZLB_FLOW_MEMO_SLOTS; slot++) {
		int n = memo_read(lb, slot);

		if (n < 0) {
			add(&p, "reading slot %u: %s", slot, strerror(errno));
			break;
		}
		for (int c = 0; c < n; c++)
			used += memo_vals[c].generation != 0 || memo_vals[c].pending_packets != 0;
	}
	if (used)
		add(&p, "%d slot(s) in use", used);
	report("memo: IPv6 flows are not memoized", p.n ? p.text : NULL);
}

/* ---- zlb-ct against every CPU's memo ------------------------------------ */

#define MEMO_CPUS 4             /* CPUs the cases below spread a flow over */

static cpu_set_t home_cpus;     /* the affinity test_packets pinned us to */

/* The CPUs the cases run frames on, into @cpus: their number (at least
 * one, the one test_packets pinned us to). */
static int memo_cpus(int cpus[MEMO_CPUS])
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int n = 0;

	sched_getaffinity(0, sizeof(home_cpus), &home_cpus);
	for (int c = 0; c < online && n < MEMO_CPUS; c++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(c, &set);
		if (!sched_setaffinity(0, sizeof(set), &set))
			cpus[n++] = c;
	}
	sched_setaffinity(0, sizeof(home_cpus), &home_cpus);
	if (!n)
		cpus[n++] = sched_getcpu();
	return n;
}

/* Run the frames that follow on CPU @cpu (BPF_PROG_TEST_RUN runs a frame
 * on the CPU of its caller, with that CPU's memo). */
static void on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void home(void)
{
	sched_setaffinity(0, sizeof(home_cpus), &home_cpus);
}

/* What CPU @cpu's memo still counts for @k. */
static __u64 memo_pending_on(const struct lb *lb, const struct zlb_ct_key *k, int cpu)
{
	int n = memo_read(lb, memo_slot_of_key(k));

	if (cpu >= n || !memo_holds(&memo_vals[cpu], k))
		return 0;
	return memo_vals[cpu].pending_packets;
}

/* Send @in (of an open flow) on @port from CPU @cpu until that CPU's memo
 * counts a packet of @k, at most 64 times: the number sent, or -1 (said,
 * as @what) when one was not forwarded or none was memoized. */
static int memoize_on(const struct lb *lb, const char *what, const struct pkt *in, int port,
		      const struct zlb_ct_key *k, int cpu)
{
	struct result r;
	int sent = 0;

	on_cpu(cpu);
	while (sent < 64 && !memo_pending_on(lb, k, cpu)) {
		if (run(lb, in, port, &r) || r.verdict != hook_verdict(XDP_REDIRECT)) {
			fail(what, "CPU %d: packet %d not forwarded", cpu, sent + 1);
			return -1;
		}
		sent++;
	}
	if (!memo_pending_on(lb, k, cpu)) {
		fail(what, "CPU %d: no packet counted in its memo", cpu);
		return -1;
	}
	return sent;
}

/* A datagram of the backend's answer to the client's flow from @sport. */
static struct pkt answer(uint16_t sport)
{
	struct pkt a = from_backend(IPPROTO_UDP, 5353, LB_SRC, sport);

	with_data(&a, "answer");
	return a;
}

/* The packets the library reports for entry @k (@what) are @want; what
 * differs goes to @p (-1: no entry). */
static void want_packets(const struct lb *lb, struct problems *p, const char *what,
			 const struct zlb_ct_key *k, int want)
{
	struct zlb_ct_entry e;
	long long got = ct_get(lb, k, &e) ? (long long)e.packets : -1LL;

	if (got != want)
		add(p, "%s counts %lld datagrams, want %d", what, got, want);
}

/* A UDP flow busy both ways in the memo of every CPU, then taken out as
 * zlb-ct takes it (@flush: zlb-ct flush, zlb_ct_flush(); else zlb-ct
 * delete: its keys, both directions, through zlb_ct_delete_keys()). On no
 * CPU may the next packet of either direction go by a memo's copy: the
 * backend's answer is a reply to no flow, and the client's next datagram
 * opens a new flow, whose entries count only its own packets. */
static void test_memo_zlbct_gone(const struct lb *lb, bool flush)
{
	const char *how = flush ? "flush" : "delete";
	uint16_t sport = flush ? 7620 : 7610;
	struct pkt q = query(sport), a = answer(sport);
	struct zlb_ct_key k = ct_key(CLIENT, sport, VIP, 53, IPPROTO_UDP);
	struct zlb_ct_key rk = ct_key(BACKEND, 5353, LB_SRC,
				      snat_port(CLIENT, sport, IPPROTO_UDP), IPPROTO_UDP);
	const char *setup = named("memo: zlb-ct %s: setup", how);
	struct zlb_ct_key keys[2] = { k, rk };
	struct zlb_err err = {};
	struct problems p = {};
	int cpus[MEMO_CPUS], ncpu = memo_cpus(cpus);
	struct result r;

	on_cpu(cpus[0]);
	if (!open_flow(lb, &q))
		goto out;
	for (int i = 0; i < ncpu; i++)
		if (memoize_on(lb, setup, &q, VETH0, &k, cpus[i]) < 0 ||
		    memoize_on(lb, setup, &a, VETH2, &rk, cpus[i]) < 0)
			goto out;
	if (flush ? zlb_ct_flush(&lb->maps, &err) < 0
		  : zlb_ct_delete_keys(&lb->maps, keys, 2, &err) != 2) {
		fail(setup, "%s", err.msg[0] ? err.msg : "not both entries deleted");
		goto out;
	}
	/* the answers first: the client's datagram would open the flow anew */
	for (int i = 0; i < ncpu; i++) {
		on_cpu(cpus[i]);
		if (run(lb, &a, VETH2, &r)) {
			add(&p, "CPU %d: BPF_PROG_TEST_RUN: %s", cpus[i], strerror(errno));
			continue;
		}
		if (r.verdict != hook_verdict(XDP_DROP) || r.delta[ZLB_C_DROP_REPLY_NO_FLOW] != 1)
			add(&p, "CPU %d: verdict %s, hits %+lld, replies to no flow %+lld", cpus[i],
			    verdict_name(r.verdict), r.delta[ZLB_C_CT_HIT],
			    r.delta[ZLB_C_DROP_REPLY_NO_FLOW]);
	}
	report(named("memo: after zlb-ct %s of a flow memoized both ways on %d CPU(s), the "
		     "backend's next datagram is a reply to no flow on every CPU", how, ncpu),
	       p.n ? p.text : NULL);

	memset(&p, 0, sizeof(p));
	for (int i = 0; i < ncpu; i++) {
		on_cpu(cpus[i]);
		if (run(lb, &q, VETH0, &r)) {
			add(&p, "CPU %d: BPF_PROG_TEST_RUN: %s", cpus[i], strerror(errno));
			continue;
		}
		if (r.verdict != hook_verdict(XDP_REDIRECT) ||
		    r.delta[ZLB_C_NEW_FLOW] != (i == 0) || r.delta[ZLB_C_CT_HIT] != (i != 0))
			add(&p, "CPU %d: verdict %s, new flows %+lld, hits %+lld", cpus[i],
			    verdict_name(r.verdict), r.delta[ZLB_C_NEW_FLOW], r.delta[ZLB_C_CT_HIT]);
		if (run(lb, &a, VETH2, &r) || r.verdict != hook_verdict(XDP_REDIRECT))
			add(&p, "CPU %d: the answer to the new flow was not forwarded", cpus[i]);
	}
	report(named("memo: ... the client's next datagram opens a new flow, which every CPU "
		     "then forwards both ways (zlb-ct %s)", how), p.n ? p.text : NULL);

	memset(&p, 0, sizeof(p));
	want_packets(lb, &p, "the client's direction", &k, ncpu);
	want_packets(lb, &p, "the backend's direction", &rk, ncpu);
	report(named("memo: ... and the new flow counts only its own datagrams, none of the "
		     "deleted one's (zlb-ct %s)", how), p.n ? p.text : NULL);
out:
	home();
}

/* The coarse clock the data plane stamps entries with
 * (bpf_ktime_get_coarse_ns). */
static __u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * SEC_NS + ts.tv_nsec;
}

/* A flow deleted (zlb-ct delete) and opened anew under the same tuple
 * within one tick of the coarse clock has the created_ns of the old one:
 * the old flow's datagrams a memo still counts must not go to the new
 * flow, neither in what the library reports nor in the table. */
static void test_memo_same_tick(const struct lb *lb)
{
	struct problems p = {};
	int tries = 0, same = 0;

	for (; tries < 20 && !same; tries++) {
		uint16_t sport = 7640 + tries;
		struct pkt q = query(sport);
		struct zlb_ct_key k = ct_key(CLIENT, sport, VIP, 53, IPPROTO_UDP);
		struct zlb_ct_key rk = ct_key(BACKEND, 5353, LB_SRC,
					      snat_port(CLIENT, sport, IPPROTO_UDP), IPPROTO_UDP);
		struct zlb_ct_key keys[2] = { k, rk };
		struct zlb_ct_entry old, now, e;
		struct zlb_err err = {};
		struct result r;
		bool ok = true;
		__u64 t0 = coarse_ns();

		while (coarse_ns() == t0)
			;
		/* open, through the table into the memo, two in the memo */
		for (int i = 0; i < 4 && ok; i++)
			ok = !run(lb, &q, VETH0, &r) && r.verdict == hook_verdict(XDP_REDIRECT);
		if (!ok || !memo_pending(lb, &k, NULL) ||
		    zlb_ct_lookup_table(&lb->maps, &k, &old) ||
		    zlb_ct_delete_keys(&lb->maps, keys, 2, &err) != 2 ||
		    run(lb, &q, VETH0, &r) || r.delta[ZLB_C_NEW_FLOW] != 1 ||
		    zlb_ct_lookup_table(&lb->maps, &k, &now))
			continue;
		/* the old flow's last activity and the new one's birth in
		 * one tick of the data plane's (coarse) clock, or try again */
		if (now.last_seen_ns != old.last_seen_ns)
			continue;
		same = 1;
		if (!ct_get(lb, &k, &e) || e.packets != 1)
			add(&p, "the library reports %lld datagrams for the new flow, want 1",
			    ct_get(lb, &k, &e) ? (long long)e.packets : -1LL);
		if (run(lb, &q, VETH0, &r) || r.verdict != hook_verdict(XDP_REDIRECT))
			add(&p, "the new flow's second datagram was not forwarded");
		else if (zlb_ct_lookup_table(&lb->maps, &k, &now) || now.packets != 2)
			add(&p, "the new flow's table entry counts %llu datagrams, want 2",
			    (unsigned long long)now.packets);
	}
	if (!same)
		skip("memo: a flow deleted and opened anew in one clock tick counts none of the "
		     "old one's datagrams", "no try fit in one tick");
	else
		report("memo: a flow deleted and opened anew in one clock tick counts none of the "
		       "old one's datagrams", p.n ? p.text : NULL);
}

/* Two busy flows in one memo slot, each in the memo of another CPU (or
 * the second only in the table, on one CPU): zlb-ct delete of the first
 * leaves the second whole, its datagrams counted exactly once. */
static void test_memo_delete_neighbour(const struct lb *lb)
{
	uint16_t pa = 7700, pb = 0;
	struct zlb_ct_key ka = ct_key(CLIENT, pa, VIP, 53, IPPROTO_UDP), kb, keys[2];
	struct pkt qa = query(pa), qb;
	int cpus[MEMO_CPUS], ncpu = memo_cpus(cpus), nb = 1, s;
	struct zlb_err err = {};
	struct problems p = {};
	struct zlb_ct_entry e;
	struct result r;

	pb = slot_mate(pa, &ka, &kb, "memo: delete beside: setup");
	if (!pb)
		return;
	qb = query(pb);
	on_cpu(cpus[0]);
	if (!open_flow(lb, &qa) || !open_flow(lb, &qb) ||
	    memoize_on(lb, "memo: delete beside: setup", &qa, VETH0, &ka, cpus[0]) < 0)
		goto out;
	if (ncpu > 1) {
		if ((s = memoize_on(lb, "memo: delete beside: setup", &qb, VETH0, &kb,
				    cpus[1])) < 0)
			goto out;
		nb += s;
	}
	keys[0] = ka;
	keys[1] = ct_key(BACKEND, 5353, LB_SRC, snat_port(CLIENT, pa, IPPROTO_UDP), IPPROTO_UDP);
	if (zlb_ct_delete_keys(&lb->maps, keys, 2, &err) != 2) {
		fail("memo: delete beside: setup", "%s", err.msg);
		goto out;
	}
	if (!ct_get(lb, &kb, &e) || e.packets != (__u64)nb)
		add(&p, "after the delete the library reports %lld datagrams, want %d",
		    ct_get(lb, &kb, &e) ? (long long)e.packets : -1LL, nb);
	for (int i = 0; i < ncpu; i++) {
		on_cpu(cpus[i]);
		if (run(lb, &qb, VETH0, &r) || r.verdict != hook_verdict(XDP_REDIRECT) ||
		    r.delta[ZLB_C_CT_HIT] != 1) {
			add(&p, "CPU %d: a datagram of the second flow was not forwarded as its own",
			    cpus[i]);
			continue;
		}
		nb++;
	}
	want_packets(lb, &p, "then the library", &kb, nb);
	report(named("memo: zlb-ct delete of a flow leaves the flow that shares its memo slot "
		     "whole, its datagrams counted once (%d CPU(s))", ncpu), p.n ? p.text : NULL);
out:
	home();
}

struct walk_find {
	struct zlb_ct_key k;
	__u64 packets, bytes;
	int found;
};

static int walk_find(void *ctx, const struct zlb_ct_key *keys, const struct zlb_ct_entry *vals,
		     __u32 n)
{
	struct walk_find *w = ctx;

	for (__u32 i = 0; i < n; i++)
		if (!memcmp(&keys[i], &w->k, sizeof(w->k))) {
			w->found++;
			w->packets = vals[i].packets;
			w->bytes = vals[i].bytes;
		}
	return 0;
}

/* What zlb-ct reads (zlb_ct_walk(): the table plus every CPU's memo)
 * counts a busy flow's datagrams exactly once, before and right after a
 * memo hands its count to the table. */
static void test_memo_walk_exact(const struct lb *lb)
{
	struct pkt q = query(7800), out = to_backend(&q, 5353);
	struct walk_find w = { .k = ct_key(CLIENT, 7800, VIP, 53, IPPROTO_UDP) };
	__u64 len = frame_len(&q), n = 1, walked = 0, inexact = 0;
	struct zlb_err err = {};
	struct problems p = {};

	if (!open_flow(lb, &q))
		return;
	quiet = true;
	for (int i = 0; i < 2 * ZLB_FLOW_MEMO_FLUSH + 4; i++) {
		int near = (int)(n % ZLB_FLOW_MEMO_FLUSH);

		if (!expect(lb, "memo: walk: setup: the flow's datagrams", &q, VETH0, XDP_REDIRECT,
			    &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED))
			break;
		n++;
		if (near > 3 && near < ZLB_FLOW_MEMO_FLUSH - 3 && n % 32)
			continue;
		w.found = 0;
		if (zlb_ct_walk(&lb->maps, false, walk_find, &w, &err)) {
			add(&p, "zlb_ct_walk: %s", err.msg);
			break;
		}
		walked++;
		if (w.found != 1 || w.packets != n || w.bytes != n * len) {
			if (!inexact)
				add(&p, "after datagram %llu: found %d time(s), %llu datagrams, "
					"%llu bytes", (unsigned long long)n, w.found,
				    (unsigned long long)w.packets, (unsigned long long)w.bytes);
			inexact++;
		}
	}
	quiet = false;
	if (inexact)
		add(&p, "%llu of %llu walks off", (unsigned long long)inexact,
		    (unsigned long long)walked);
	report("memo: zlb-ct's walk counts a busy flow's datagrams exactly once, on either side "
	       "of a memo's hand-over to the table", p.n ? p.text : NULL);
}

void test_flow_memo(struct lb *lb, const char *conf)
{
	if (fam == &ipv6) {
		test_memo_ipv6(lb);
		return;
	}
	test_memo_counts(lb);
	test_memo_deleted(lb);
	test_memo_evicted(lb);
	test_memo_state_change(lb);
	test_memo_collision(lb);
	test_memo_reload(lb, conf);
	test_memo_zlbct_gone(lb, false);
	test_memo_same_tick(lb);
	test_memo_delete_neighbour(lb);
	test_memo_walk_exact(lb);
	test_memo_zlbct_gone(lb, true);
}
