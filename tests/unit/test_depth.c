// SPDX-License-Identifier: GPL-2.0
/*
 * The data plane in depth, written once and run for each family on a load
 * balancer of its own (depth_conf, test_packets.c): a fresh instance, an
 * empty connection table and route cache, so which packet looks its route
 * up and which source port a flow gets depend on the cases below alone.
 * Default timeouts and SNAT range. Connection tracking (TCP state,
 * timeouts, entries evicted apart), partial checksums, ICMP errors, traffic
 * counters and Maglev; then a full connection table and a flow that
 * collides with itself, each on a load balancer of its own too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "maglev.h"
#include "zlb_hash.h"
#include "scenario.h"

/* ---- flows and their entries ------------------------------------------- */

/* A flow of the client's port @cport to the service's @vport, translated to
 * the load balancer's source port @sport -> the backend's @bport (ICMP
 * echo: every port the id). */
struct flow {
	uint8_t proto;
	uint16_t cport, vport, bport, sport;
	struct zlb_ct_key orig, reply;
};

/* The flow as it is when nothing collides: its source port is the first
 * one its tuple hashes to. */
static struct flow flow_of(uint8_t proto, uint16_t cport, uint16_t vport, uint16_t bport)
{
	struct flow f = { .proto = proto, .cport = cport, .vport = vport, .bport = bport };

	if (is_icmp(proto))
		f.vport = f.bport = cport;
	f.sport = snat_port(CLIENT, cport, proto);
	f.orig = ct_key(CLIENT, f.cport, VIP, f.vport, proto);
	f.reply = ct_key(BACKEND, f.bport, LB_SRC, f.sport, proto);
	return f;
}

static uint32_t seqno = 100000;

/* @p, a packet of @f, as the cases send it: TCP with @flags, ICMP an echo
 * of type @echo_type; @text the payload (NULL: none). */
static struct pkt flow_pkt(struct pkt p, const struct flow *f, uint8_t echo_type, uint8_t flags,
			   const char *text)
{
	if (is_icmp(f->proto)) {
		echo(&p, echo_type, f->cport, seqno++ & 0xffff);
		return p;
	}
	if (f->proto == IPPROTO_TCP)
		tcp_seg(&p, flags, seqno, seqno + 7);
	seqno += 1000;
	if (text)
		with_data(&p, text);
	return p;
}

/* A packet of @f from the client (ICMP: an echo request). */
static struct pkt c_pkt(const struct flow *f, uint8_t flags, const char *text)
{
	return flow_pkt(from_client(f->proto, f->cport, VIP, f->vport), f, fam->echo_request,
			flags, text);
}

/* A packet of @f from the backend (ICMP: an echo reply). */
static struct pkt b_pkt(const struct flow *f, uint8_t flags, const char *text)
{
	struct pkt p = arriving(VETH2, backend_mac, f->proto, BACKEND, f->bport, LB_SRC, f->sport);

	p.client_port = f->cport;
	return flow_pkt(p, f, fam->echo_reply, flags, text);
}

static struct pkt fwd(const struct flow *f, const struct pkt *p)
{
	return to_backend(p, f->bport);
}

static struct pkt back(const struct flow *f, const struct pkt *p)
{
	return to_client(p, f->vport);
}

static bool flow_idle(const struct lb *lb, const char *name, const struct flow *f,
		      __u64 orig_idle, __u64 reply_idle)
{
	if (ct_idle(lb, &f->orig, orig_idle) || ct_idle(lb, &f->reply, reply_idle)) {
		fail(name, "setup: making the flow's entries idle: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Both entries of @f exist, point at each other and are in state @state. */
static void check_state(const struct lb *lb, const char *name, const struct flow *f, int state)
{
	struct zlb_ct_entry o, r;
	struct problems p = {};

	if (!ct_get(lb, &f->orig, &o)) {
		add(&p, "no ORIG entry");
	} else {
		if (o.dir != ZLB_CT_DIR_ORIG)
			add(&p, "ORIG entry has dir %u", o.dir);
		if (o.state != state)
			add(&p, "ORIG entry in state %s, want %s", state_name(o.state), state_name(state));
		if (!zlb_addr_equal(&o.saddr, &f->reply.daddr) || o.sport != f->reply.dport ||
		    !zlb_addr_equal(&o.daddr, &f->reply.saddr) || o.dport != f->reply.sport)
			add(&p, "ORIG entry leaves as another tuple (source port %u, want %u)",
			    ntohs(o.sport), f->sport);
	}
	if (!ct_get(lb, &f->reply, &r)) {
		add(&p, "no REPLY entry (%s -> %s)", at(BACKEND, f->bport), at(LB_SRC, f->sport));
	} else {
		if (r.dir != ZLB_CT_DIR_REPLY)
			add(&p, "REPLY entry has dir %u", r.dir);
		if (r.state != state)
			add(&p, "REPLY entry in state %s, want %s", state_name(r.state), state_name(state));
	}
	report(name, p.n ? p.text : NULL);
}

static void check_gone(const struct lb *lb, const char *name, const struct flow *f)
{
	struct zlb_ct_entry e;
	struct problems p = {};

	if (ct_get(lb, &f->orig, &e))
		add(&p, "the ORIG entry is still there (state %s)", state_name(e.state));
	if (ct_get(lb, &f->reply, &e))
		add(&p, "the REPLY entry is still there (state %s)", state_name(e.state));
	report(name, p.n ? p.text : NULL);
}

/* Bring TCP flow @f to @state (SYN, established, closing or close),
 * checking every step; UDP and ICMP: one packet each way. */
static void bring_to(const struct lb *lb, const char *what, const struct flow *f, int state)
{
	char name[256];
	struct pkt p, out;
	bool was_quiet = quiet;

	quiet = true;
	snprintf(name, sizeof(name), "%s: setup", what);
	p = c_pkt(f, PKT_SYN, f->proto == IPPROTO_TCP ? NULL : "open");
	out = fwd(f, &p);
	expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	if (f->proto != IPPROTO_TCP) {
		p = b_pkt(f, 0, f->proto == IPPROTO_UDP ? "opened" : NULL);
		out = back(f, &p);
		expect(lb, name, &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	} else if (state != ZLB_CT_TCP_SYN) {
		p = b_pkt(f, PKT_SYN | PKT_ACK, NULL);
		out = back(f, &p);
		expect(lb, name, &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		p = c_pkt(f, PKT_ACK, "request");
		out = fwd(f, &p);
		expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		if (state == ZLB_CT_TCP_CLOSING || state == ZLB_CT_TCP_CLOSE) {
			p = c_pkt(f, PKT_FIN | PKT_ACK, NULL);
			out = fwd(f, &p);
			expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		}
		if (state == ZLB_CT_TCP_CLOSE) {
			p = b_pkt(f, PKT_FIN | PKT_ACK, NULL);
			out = back(f, &p);
			expect(lb, name, &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		}
	}
	check_state(lb, name, f, state);
	quiet = was_quiet;
}

/* ---- cases: TCP state -------------------------------------------------- */

static void test_tcp_state(const struct lb *lb)
{
	struct flow f = flow_of(IPPROTO_TCP, 43000, 23, 223);
	struct flow r = flow_of(IPPROTO_TCP, 43001, 23, 223);
	struct flow refused = flow_of(IPPROTO_TCP, 43002, 23, 223);
	struct zlb_ct_entry e;
	struct pkt p, out;

	/* The first packets of this instance: both routes are looked up, and
	 * zlb_neigh learns the client's MAC. */
	p = c_pkt(&f, PKT_SYN, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: a SYN opens a flow", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTED, REDIRECTED, ZLB_C_NEIGH_LEARNED);
	check_state(lb, "tcp state: ... both entries in state syn", &f, ZLB_CT_TCP_SYN);

	p = c_pkt(&f, PKT_ACK, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: a client ACK before any answer goes", &p, VETH0, XDP_REDIRECT,
	       &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... and establishes nothing (syn)", &f, ZLB_CT_TCP_SYN);

	p = b_pkt(&f, PKT_SYN | PKT_ACK, NULL);
	out = back(&f, &p);
	expect(lb, "tcp state: the backend's SYN-ACK goes back", &p, VETH2, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries established", &f, ZLB_CT_TCP_ESTABLISHED);

	p = c_pkt(&f, PKT_ACK | PKT_PSH, "data");
	out = fwd(&f, &p);
	expect(lb, "tcp state: client data", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... still established", &f, ZLB_CT_TCP_ESTABLISHED);

	p = c_pkt(&f, PKT_FIN | PKT_ACK, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: the client's FIN", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries closing", &f, ZLB_CT_TCP_CLOSING);

	p = b_pkt(&f, PKT_ACK | PKT_PSH, "last words");
	out = back(&f, &p);
	expect(lb, "tcp state: the backend's data after the client's FIN", &p, VETH2,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... still closing", &f, ZLB_CT_TCP_CLOSING);

	p = b_pkt(&f, PKT_FIN | PKT_ACK, NULL);
	out = back(&f, &p);
	expect(lb, "tcp state: the backend's FIN", &p, VETH2, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries close", &f, ZLB_CT_TCP_CLOSE);

	p = c_pkt(&f, PKT_ACK, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: the client's last ACK still goes", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... still close", &f, ZLB_CT_TCP_CLOSE);

	/* The client reuses its port: a new flow, on the same backend-side
	 * tuple (the old flow's entries are gone). */
	p = c_pkt(&f, PKT_SYN, NULL);
	out = fwd(&f, &p);
	expect(lb, "tcp state: a SYN from the same port on a close flow opens a new flow",
	       &p, VETH0, XDP_REDIRECT, &out, ZLB_C_RX, ZLB_C_CT_MISS, ZLB_C_NEW_FLOW,
	       ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... whose entries are in state syn again", &f, ZLB_CT_TCP_SYN);
	if (!ct_get(lb, &f.orig, &e))
		fail("tcp state: ... and count only the new SYN", "no ORIG entry");
	else if (e.packets != 1 || e.fin_seen)
		fail("tcp state: ... and count only the new SYN", "ORIG entry: %llu packets, fin_seen %u",
		     (unsigned long long)e.packets, e.fin_seen);
	else
		report("tcp state: ... and count only the new SYN", NULL);

	/* RST from the client of an established flow. */
	bring_to(lb, "tcp state: flow 43001", &r, ZLB_CT_TCP_ESTABLISHED);
	p = c_pkt(&r, PKT_RST | PKT_ACK, NULL);
	out = fwd(&r, &p);
	expect(lb, "tcp state: the client's RST of an established flow goes", &p, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries close", &r, ZLB_CT_TCP_CLOSE);

	/* RST from the backend: the port is closed there. */
	bring_to(lb, "tcp state: flow 43002", &refused, ZLB_CT_TCP_SYN);
	p = b_pkt(&refused, PKT_RST | PKT_ACK, NULL);
	out = back(&refused, &p);
	expect(lb, "tcp state: the backend's RST answering a SYN goes back", &p, VETH2,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "tcp state: ... both entries close", &refused, ZLB_CT_TCP_CLOSE);
}

/* @p's frame with an IP length that holds only @l4 bytes of what follows
 * the IP header: the rest reaches the load balancer as Ethernet padding,
 * which the stack trims. IPv4's header checksum computed afresh. */
static struct pkt cut_ip_len(const struct pkt *p, size_t l4)
{
	struct pkt raw = *p;
	struct frame f;
	uint8_t *ip;

	frame_build(&f, p);
	ip = f.data + 14;
	if (fam->kind == PKT_IPV4) {
		uint32_t sum = 0;

		ip[2] = (20 + l4) >> 8;
		ip[3] = (20 + l4) & 0xff;
		ip[10] = ip[11] = 0;
		for (int i = 0; i < 20; i += 2)
			sum += ip[i] << 8 | ip[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ip[10] = ~sum >> 8;
		ip[11] = ~sum & 0xff;
	} else {
		ip[4] = l4 >> 8;
		ip[5] = l4 & 0xff;
	}
	raw.kind = PKT_RAW;
	raw.ethertype = f.data[12] << 8 | f.data[13];
	pkt_set_payload(&raw, ip, f.len - 14);
	return raw;
}

/* A segment whose TCP header (or UDP, ICMP) is not all within its IP
 * length is no segment: handed up untouched, for the stack to drop; its
 * flags (here an RST's) change no flow. */
static void test_header_past_ip_len(const struct lb *lb)
{
	struct flow f = flow_of(IPPROTO_TCP, 43010, 23, 223);
	struct flow u = flow_of(IPPROTO_UDP, 43011, 53, 5353);
	struct flow i = flow_of(fam->icmp, 43012, 0, 0);
	struct pkt p, raw, out;

	bring_to(lb, "ip length: flow 43010", &f, ZLB_CT_TCP_ESTABLISHED);
	p = c_pkt(&f, PKT_RST | PKT_ACK, NULL);
	raw = cut_ip_len(&p, 8);
	expect(lb, "ip length: an RST whose IP length holds 8 bytes of its TCP header goes to the "
	       "stack untouched", &raw, VETH0, XDP_PASS, NULL, PASSED);
	check_state(lb, "ip length: ... and the flow stays established", &f,
		    ZLB_CT_TCP_ESTABLISHED);
	/* cut_ip_len(&p, 20) is p: all of a segment without data */
	p = c_pkt(&f, PKT_RST | PKT_ACK, NULL);
	out = fwd(&f, &p);
	expect(lb, "ip length: the same RST, its IP length holding its header, is forwarded",
	       &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	check_state(lb, "ip length: ... and closes the flow", &f, ZLB_CT_TCP_CLOSE);

	p = c_pkt(&u, 0, NULL);
	raw = cut_ip_len(&p, 4);
	expect(lb, "ip length: a datagram whose IP length holds 4 bytes of its UDP header goes to "
	       "the stack untouched", &raw, VETH0, XDP_PASS, NULL, PASSED);
	p = c_pkt(&i, 0, NULL);
	raw = cut_ip_len(&p, 4);
	expect(lb, named("ip length: an echo request whose IP length holds 4 bytes of its %s "
			 "header goes to the stack untouched", fam->icmp == IPPROTO_ICMP ? "ICMP" :
			 "ICMPv6"), &raw, VETH0, XDP_PASS, NULL, PASSED);
}

/* ---- cases: timeouts --------------------------------------------------- */

static void test_meta_defaults(const struct lb *lb, struct zlb_meta *meta)
{
	static const unsigned int want_s[ZLB_CT_STATE_MAX] = {
		[ZLB_CT_TCP_SYN] = ZLB_TIMEOUT_TCP_SYN,
		[ZLB_CT_TCP_ESTABLISHED] = ZLB_TIMEOUT_TCP_ESTABLISHED,
		[ZLB_CT_TCP_CLOSING] = ZLB_TIMEOUT_TCP_CLOSING,
		[ZLB_CT_TCP_CLOSE] = ZLB_TIMEOUT_TCP_CLOSE,
		[ZLB_CT_UDP] = ZLB_TIMEOUT_UDP,
		[ZLB_CT_ICMP] = ZLB_TIMEOUT_ICMP,
	};
	struct problems p = {};

	if (read_meta(lb, meta)) {
		fail("meta: default timeouts and SNAT range", "zlb_meta: %s", strerror(errno));
		memset(meta, 0, sizeof(*meta));
		return;
	}
	for (int st = 0; st < ZLB_CT_STATE_MAX; st++)
		if (meta->timeout_ns[st] != want_s[st] * SEC_NS)
			add(&p, "%s %llu ns, want %u s", state_name(st),
			    (unsigned long long)meta->timeout_ns[st], want_s[st]);
	if (meta->snat_port_min != ZLB_SNAT_PORT_MIN || meta->snat_port_max != ZLB_SNAT_PORT_MAX)
		add(&p, "SNAT ports %u-%u", meta->snat_port_min, meta->snat_port_max);
	report("meta: default timeouts (syn 60 s, established 900 s, closing 120 s, close 10 s, "
	       "udp 300 s, icmp 30 s) and SNAT range 16384-32767", p.n ? p.text : NULL);
}

static void test_expiry(const struct lb *lb, const struct zlb_meta *meta)
{
	__u64 udp_out = meta->timeout_ns[ZLB_CT_UDP] + SEC_NS;
	__u64 est_out = meta->timeout_ns[ZLB_CT_TCP_ESTABLISHED] + SEC_NS;
	struct flow u = flow_of(IPPROTO_UDP, 6000, 53, 5353);
	struct flow t = flow_of(IPPROTO_TCP, 43010, 23, 223);
	struct flow one = flow_of(IPPROTO_UDP, 6001, 53, 5353);
	union zlb_addr a1, a2, b1, b2;
	uint16_t port1 = 0, port2 = 0, p1, p2;
	struct result r;
	struct pkt p, out;
	const char *name;

	/* UDP: idle past its timeout both ways, then a new datagram. */
	name = "timeout: a UDP datagram to the service";
	p = c_pkt(&u, 0, "first");
	out = fwd(&u, &p);
	if (run(lb, &p, VETH0, &r))
		fail(name, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	else if (judge(name, &r, XDP_REDIRECT, &out, COUNTERS(FLOW_NEW, ROUTE_CACHED, REDIRECTED)))
		out_tuple(&r, &a1, &port1, &b1, &p1);
	if (!flow_idle(lb, "timeout: udp flow idle", &u, udp_out, udp_out))
		return;
	name = "timeout: a UDP flow idle past its timeout (300 s) both ways is gone: a new flow (ct_expired)";
	p = c_pkt(&u, 0, "second");
	out = fwd(&u, &p);
	if (run(lb, &p, VETH0, &r))
		fail(name, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	else if (judge(name, &r, XDP_REDIRECT, &out,
		       COUNTERS(ZLB_C_RX, ZLB_C_CT_EXPIRED, ZLB_C_CT_MISS, ZLB_C_NEW_FLOW,
				ROUTE_CACHED, REDIRECTED)))
		out_tuple(&r, &a2, &port2, &b2, &p2);
	if (port1 && port2 && port1 == port2)
		report("timeout: ... on the same backend-side port as before (nothing collides)", NULL);
	else
		fail("timeout: ... on the same backend-side port as before (nothing collides)",
		     "before %u, now %u", port1, port2);
	check_state(lb, "timeout: ... with fresh entries", &u, ZLB_CT_UDP);

	/* TCP: an ACK of an expired flow is no flow's. */
	bring_to(lb, "timeout: tcp 43010", &t, ZLB_CT_TCP_ESTABLISHED);
	if (!flow_idle(lb, "timeout: tcp flow idle", &t, est_out, est_out))
		return;
	p = c_pkt(&t, PKT_ACK, "anyone?");
	expect(lb, "timeout: an ACK of a TCP flow idle past its timeout (900 s) is dropped "
	       "(ct_expired, drop_tcp_no_flow)", &p, VETH0, XDP_DROP, NULL,
	       ZLB_C_RX, ZLB_C_CT_EXPIRED, ZLB_C_CT_MISS, ZLB_C_DROP_TCP_NO_FLOW);
	check_gone(lb, "timeout: ... and both its entries are gone", &t);

	/* A one-way stream: only the client talks. Its REPLY entry is idle,
	 * the ORIG one is not: the flow lives. */
	bring_to(lb, "timeout: udp 6001", &one, ZLB_CT_UDP);
	if (!flow_idle(lb, "timeout: one-way", &one, 0, udp_out))
		return;
	p = b_pkt(&one, 0, "at last");
	out = back(&one, &p);
	expect(lb, "timeout: a reply whose own entry is idle but whose partner is fresh is "
	       "translated (one-way stream)", &p, VETH2, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	if (!flow_idle(lb, "timeout: one-way", &one, udp_out, 0))
		return;
	p = c_pkt(&one, 0, "and again");
	out = fwd(&one, &p);
	expect(lb, "timeout: likewise a client packet whose ORIG entry is idle, REPLY fresh",
	       &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	/* Another CPU stamped both entries after this CPU read its clock:
	 * their last activity lies "in the future" (5 s here), and the
	 * unsigned idle time must not wrap into an eternity. */
	if (!flow_idle(lb, "timeout: future", &one, (__u64)-5 * SEC_NS, (__u64)-5 * SEC_NS))
		return;
	p = c_pkt(&one, 0, "from later");
	out = fwd(&one, &p);
	expect(lb, "timeout: entries stamped after the packet's clock reading (another CPU) are "
	       "live, not expired", &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED,
	       REDIRECTED);
}

/* Each state's own timeout: a flow idle 1 s less than it lives, 1 s more
 * is gone -- for the close state, 11 s: gone although far below the
 * established timeout. */
static void test_state_timeouts(const struct lb *lb, const struct zlb_meta *meta)
{
	static const struct {
		uint8_t proto;
		int state;
	} cases[] = {
		{ IPPROTO_TCP, ZLB_CT_TCP_SYN }, { IPPROTO_TCP, ZLB_CT_TCP_ESTABLISHED },
		{ IPPROTO_TCP, ZLB_CT_TCP_CLOSING }, { IPPROTO_TCP, ZLB_CT_TCP_CLOSE },
		{ IPPROTO_UDP, ZLB_CT_UDP }, { IPPROTO_ICMP, ZLB_CT_ICMP },      /* the family's ICMP */
	};
	uint16_t port = 43100;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int st = cases[i].state;
		uint8_t proto = cases[i].proto == IPPROTO_ICMP ? ICMP : cases[i].proto;
		__u64 timeout = meta->timeout_ns[st];
		bool syn = st == ZLB_CT_TCP_SYN, tcp = proto == IPPROTO_TCP;

		for (int gone = 0; gone <= 1; gone++) {
			uint16_t cport = proto == IPPROTO_TCP ? port : proto == IPPROTO_UDP ?
					 port - 43100 + 6020 : port - 43100 + 0x7700;
			struct flow f = flow_of(proto, cport, proto == IPPROTO_TCP ? 23 : 53,
						proto == IPPROTO_TCP ? 223 : 5353);
			__u64 idle = gone ? timeout + SEC_NS : timeout - SEC_NS;
			char what[128], name[256];
			struct pkt p, out;

			port++;
			snprintf(what, sizeof(what), "timeout: %s flow idle %llu s", state_name(st),
				 (unsigned long long)(idle / SEC_NS));
			bring_to(lb, what, &f, st);
			if (!flow_idle(lb, what, &f, idle, idle))
				continue;
			/* a packet that changes no state: a retransmitted SYN, an ACK,
			 * a datagram, an echo request */
			p = c_pkt(&f, syn ? PKT_SYN : PKT_ACK, tcp ? NULL : "still there?");
			out = fwd(&f, &p);
			if (!gone) {
				snprintf(name, sizeof(name), "%s (timeout %llu s) still goes", what,
					 (unsigned long long)(timeout / SEC_NS));
				expect(lb, name, &p, VETH0, XDP_REDIRECT, &out,
				       FLOW_HIT, ROUTE_CACHED, REDIRECTED);
				check_state(lb, "timeout: ... in the same state", &f, st);
			} else if (tcp && !syn) {
				snprintf(name, sizeof(name), "%s (timeout %llu s) is gone: an ACK is "
					 "dropped (ct_expired)", what,
					 (unsigned long long)(timeout / SEC_NS));
				expect(lb, name, &p, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_CT_EXPIRED,
				       ZLB_C_CT_MISS, ZLB_C_DROP_TCP_NO_FLOW);
				check_gone(lb, "timeout: ... and its entries with it", &f);
			} else {
				snprintf(name, sizeof(name), "%s (timeout %llu s) is gone: a new flow "
					 "(ct_expired)", what, (unsigned long long)(timeout / SEC_NS));
				expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, ZLB_C_RX,
				       ZLB_C_CT_EXPIRED, ZLB_C_CT_MISS, ZLB_C_NEW_FLOW,
				       ROUTE_CACHED, REDIRECTED);
				check_state(lb, "timeout: ... with fresh entries", &f,
					    tcp ? ZLB_CT_TCP_SYN : st);
			}
		}
	}
}

/* ---- cases: entries evicted apart -------------------------------------- */

static void test_eviction(const struct lb *lb, const struct zlb_meta *meta)
{
	__u64 est_out = meta->timeout_ns[ZLB_CT_TCP_ESTABLISHED] + SEC_NS;
	__u64 udp_out = meta->timeout_ns[ZLB_CT_UDP] + SEC_NS;
	const struct zlb_maps *m = &lb->maps;
	struct flow t = flow_of(IPPROTO_TCP, 43030, 23, 223);
	struct flow u = flow_of(IPPROTO_UDP, 6010, 53, 5353);
	static const struct {
		uint8_t proto;
		uint16_t port;
		bool dropped;
	} edges[] = {
		{ IPPROTO_TCP, ZLB_SNAT_PORT_MIN - 1, false }, { IPPROTO_TCP, ZLB_SNAT_PORT_MIN, true },
		{ IPPROTO_TCP, ZLB_SNAT_PORT_MAX, true }, { IPPROTO_TCP, ZLB_SNAT_PORT_MAX + 1, false },
		{ IPPROTO_TCP, 40000, false }, { IPPROTO_UDP, ZLB_SNAT_PORT_MIN + 3, true },
		{ IPPROTO_UDP, 60000, false },
	};
	struct pkt p, out;

	/* TCP: the REPLY entry is lost (LRU), the ORIG one stays. */
	bring_to(lb, "evict: tcp 43030", &t, ZLB_CT_TCP_ESTABLISHED);
	if (zlb_ct_delete(m, &t.reply)) {
		fail("evict: setup", "deleting the REPLY entry: %s", strerror(errno));
		return;
	}
	p = b_pkt(&t, PKT_ACK | PKT_PSH, "to whom?");
	expect(lb, "evict: the backend's answer of a flow whose REPLY entry is gone is dropped "
	       "(drop_reply_no_flow)", &p, VETH2, XDP_DROP, NULL,
	       ZLB_C_RX, ZLB_C_DROP_REPLY_NO_FLOW);
	if (!ct_idle(lb, &t.orig, est_out)) {
		p = c_pkt(&t, PKT_ACK, "hello?");
		expect(lb, "evict: an idle ORIG entry whose partner is gone counts an eviction "
		       "(ct_evicted); the ACK is dropped", &p, VETH0, XDP_DROP, NULL,
		       ZLB_C_RX, ZLB_C_CT_EVICTED, ZLB_C_CT_MISS, ZLB_C_DROP_TCP_NO_FLOW);
		check_gone(lb, "evict: ... and the ORIG entry is gone too", &t);
	} else {
		fail("evict: setup", "aging the ORIG entry: %s", strerror(errno));
	}

	/* UDP: the same, and the next datagram opens the flow again. */
	bring_to(lb, "evict: udp 6010", &u, ZLB_CT_UDP);
	if (zlb_ct_delete(m, &u.reply) || ct_idle(lb, &u.orig, udp_out)) {
		fail("evict: setup", "deleting the REPLY entry: %s", strerror(errno));
		return;
	}
	p = b_pkt(&u, 0, "lost");
	expect(lb, "evict: a UDP answer whose REPLY entry is gone is dropped (drop_reply_no_flow)",
	       &p, VETH2, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_REPLY_NO_FLOW);
	p = c_pkt(&u, 0, "again");
	out = fwd(&u, &p);
	expect(lb, "evict: the client's next datagram counts an eviction and opens the flow again "
	       "on the same port", &p, VETH0, XDP_REDIRECT, &out, ZLB_C_RX, ZLB_C_CT_EVICTED,
	       ZLB_C_CT_MISS, ZLB_C_NEW_FLOW, ROUTE_CACHED, REDIRECTED);
	p = b_pkt(&u, 0, "found");
	out = back(&u, &p);
	expect(lb, "evict: ... and its answers reach the client again", &p, VETH2, XDP_REDIRECT,
	       &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	/* A busy flow looks for its partner every ZLB_CT_PARTNER_CHECK
	 * packets and puts a lost one back: the answers flow again. */
	{
		struct flow b = flow_of(IPPROTO_TCP, 43177, 23, 223);
		struct zlb_ct_entry e;

		bring_to(lb, "evict: tcp 43177", &b, ZLB_CT_TCP_ESTABLISHED);
		if (!ct_get(lb, &b.orig, &e) || zlb_ct_delete(m, &b.reply)) {
			fail("evict: setup", "deleting the REPLY entry of 43177: %s", strerror(errno));
			return;
		}
		e.packets = 31;    /* the next packet is the 32nd: a check */
		zlb_ct_update(m, &b.orig, &e, BPF_EXIST);
		p = c_pkt(&b, PKT_ACK | PKT_PSH, "busy");
		out = fwd(&b, &p);
		expect(lb, "evict: a busy flow's packet finds its partner gone, counts an eviction "
		       "and puts it back", &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ZLB_C_CT_EVICTED,
		       ROUTE_CACHED, REDIRECTED);
		p = b_pkt(&b, PKT_ACK | PKT_PSH, "back");
		out = back(&b, &p);
		expect(lb, "evict: ... and the backend's answers reach the client again", &p, VETH2,
		       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	}

	/* With no flow, a packet to our source is a lost reply only inside
	 * the SNAT range; outside it, it is the load balancer's own. */
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
		struct pkt q = arriving(VETH2, backend_mac, edges[i].proto, BACKEND,
					edges[i].proto == IPPROTO_TCP ? 22 : 5353, LB_SRC, edges[i].port);
		struct zlb_ct_key k = ct_key(BACKEND, q.sport, LB_SRC, q.dport, q.proto);
		const char *what = edges[i].proto == IPPROTO_TCP ? "TCP" : "UDP";
		struct zlb_ct_entry e;

		if (edges[i].proto == IPPROTO_TCP)
			tcp_seg(&q, PKT_ACK, 1, 1);
		else
			with_data(&q, "who?");
		if (ct_get(lb, &k, &e)) {
			fail("evict: setup", "a flow uses %s", at(LB_SRC, edges[i].port));
			continue;
		}
		if (edges[i].dropped)
			expect(lb, named("evict: %s to %s (in the SNAT range) with no flow is dropped "
					 "(drop_reply_no_flow)", what, at(LB_SRC, edges[i].port)),
			       &q, VETH2, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_REPLY_NO_FLOW);
		else
			expect(lb, named("evict: %s to %s (outside the SNAT range) with no flow goes "
					 "to the stack untouched", what, at(LB_SRC, edges[i].port)),
			       &q, VETH2, XDP_PASS, NULL, PASSED);
	}
	p = arriving(VETH2, backend_mac, IPPROTO_TCP, BACKEND, 22, NOT_SRC, 20000);
	tcp_seg(&p, PKT_ACK, 1, 1);
	expect(lb, "evict: TCP to another address, in the SNAT range, goes to the stack",
	       &p, VETH2, XDP_PASS, NULL, PASSED);
}

/* ---- cases: partial checksums ------------------------------------------ */

static void fill(struct pkt *p, size_t len, int pattern)
{
	for (size_t i = 0; i < len; i++)
		p->payload[i] = pattern < 0 ? (uint8_t)(i * 37 + len + 11) : (uint8_t)pattern;
	p->payload_len = len;
}

static struct pkt complete(struct pkt p)
{
	p.l4_csum_partial = false;
	return p;
}

/* Choose the last two payload bytes of @p (even length) so that its
 * complete checksum equals the folded pseudo-header sum: a complete
 * checksum that looks partial. Returns that sum. */
static uint16_t aim_csum_at_pseudo(struct pkt *p)
{
	size_t at = p->payload_len - 2;
	uint16_t sum, w;
	struct frame f;

	memset(p->payload + at, 0, 2);
	p->l4_csum_partial = true;
	frame_build(&f, p);
	p->l4_csum_partial = false;
	/* field = pseudo sum P; data + P + w must sum to all ones */
	if (frame_l4_sum(f.data, f.len, &sum))
		abort();
	w = ~sum;
	p->payload[at] = w >> 8;
	p->payload[at + 1] = w;
	return f.data[f.csum_off] << 8 | f.data[f.csum_off + 1];
}

/* Fill @in's payload (@len bytes) and @out's, its translation, so that the
 * whole 64-byte chunks of the translated segment, checksum field holding
 * the pseudo-header sum as when the data plane completes it, sum to
 * 0xffffffff as the kernel's csum_partial() on x86 reports a sum (32 bits,
 * carries folded back: the value is fixed modulo 2^32 - 1): payload bytes
 * 0..3 are chosen for that. Every byte after the last whole chunk is 0xff:
 * the most the rest of the sum can add. A 32-bit sum that drops the carry
 * out of bit 31 then is one off. */
static void aim_chunks_at_max(struct pkt *in, struct pkt *out, size_t len)
{
	size_t hdr = in->proto == IPPROTO_TCP ? 20 : 8, chunked;
	struct pkt o;
	struct frame f;
	uint64_t sum = 0;
	uint32_t w;

	chunked = (hdr + len) / 64 * 64;
	for (size_t i = 0; i < len; i++)
		in->payload[i] = hdr + i < chunked ? (uint8_t)(i * 37 + 11) : 0xff;
	memset(in->payload, 0, 4);
	in->payload_len = len;
	memcpy(out->payload, in->payload, len);
	out->payload_len = len;
	o = *out;
	o.l4_csum_partial = true;
	frame_build(&f, &o);
	for (size_t i = 0; i < chunked; i += 4) {
		const uint8_t *b = f.data + 14 + fam->ip_hdr + i;

		sum += (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		       (uint32_t)b[3] << 24;    /* as a little-endian CPU loads it */
	}
	w = (0xffffffffULL - sum % 0xffffffffULL) % 0xffffffffULL;
	for (int i = 0; i < 4; i++)
		in->payload[i] = out->payload[i] = w >> (8 * i);
}

/* A payload length of the cases below: as much as fills veth2's MTU. */
#define FULL 0

static void test_partial_csum(const struct lb *lb)
{
	static const struct {
		size_t len;
		int pattern;    /* -1: varied bytes, else every byte */
	} tcp_cases[] = {
		{ 1, -1 }, { 2, -1 }, { 43, -1 }, { 44, -1 }, { 45, -1 }, { 100, -1 }, { 1000, -1 },
		{ 1200, -1 }, { 1400, -1 }, { 1401, -1 }, { FULL, -1 }, { 1400, 0xff }, { 109, 0xff },
	}, udp_cases[] = {
		{ 1, -1 }, { 2, -1 }, { 45, -1 }, { 55, -1 }, { 56, -1 }, { 57, -1 }, { 200, -1 },
		{ 1000, -1 }, { 1200, -1 }, { 1400, -1 }, { 1401, -1 }, { FULL, -1 }, { 57, 0xff },
		{ 1400, 0xff }, { 121, 0xff },
	};
	const size_t mtu = 1500;
	struct flow t = flow_of(IPPROTO_TCP, 44000, 23, 223);
	struct flow u = flow_of(IPPROTO_UDP, 6100, 53, 5353);
	struct pkt p, out;
	uint16_t pseudo;
	char name[256];

	p = c_pkt(&t, PKT_SYN, NULL);
	p.l4_csum_partial = !hook_tc;
	out = complete(fwd(&t, &p));
	/* tc skips the partial cases: its flows open with complete packets */
	expect(lb, hook_tc ? "partial csum: (tc) the flow opens with a complete SYN"
			   : "partial csum: a SYN with a partial checksum leaves with a complete one "
			     "(csum_completed)", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED, hook_tc ? -1 : ZLB_C_CSUM_COMPLETED);
	p = b_pkt(&t, PKT_SYN | PKT_ACK, NULL);
	out = back(&t, &p);
	expect(lb, "partial csum: a complete SYN-ACK completes nothing", &p, VETH2, XDP_REDIRECT,
	       &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	for (size_t i = 0; i < ARRAY_SIZE(tcp_cases); i++) {
		size_t len = tcp_cases[i].len == FULL ? mtu - fam->ip_hdr - 20 : tcp_cases[i].len;

		p = c_pkt(&t, PKT_ACK | PKT_PSH, NULL);
		fill(&p, len, tcp_cases[i].pattern);
		p.l4_csum_partial = true;
		out = complete(fwd(&t, &p));
		snprintf(name, sizeof(name), "partial csum: TCP, %zu bytes of payload%s, completed",
			 len, tcp_cases[i].pattern < 0 ? "" : " all 0xff");
		expect(lb, name, &p, VETH0, XDP_REDIRECT, &out,
		       FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);
	}
	/* 20 + 170 bytes: two whole chunks, then 31 words of 0xffff */
	p = c_pkt(&t, PKT_ACK | PKT_PSH, NULL);
	out = complete(fwd(&t, &p));
	aim_chunks_at_max(&p, &out, 170);
	p.l4_csum_partial = true;
	expect(lb, "partial csum: TCP, 170 bytes: 64-byte chunks summing to 0xffffffff, then 62 "
	       "bytes of 0xff (a carry out of 32 bits)", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);

	p = b_pkt(&t, PKT_ACK | PKT_PSH, NULL);
	fill(&p, 999, -1);
	p.l4_csum_partial = true;
	out = complete(back(&t, &p));
	expect(lb, "partial csum: TCP from the backend, 999 bytes, completed towards the client",
	       &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED,
	       ZLB_C_CSUM_COMPLETED);

	p = c_pkt(&t, PKT_ACK, NULL);
	fill(&p, 100, -1);
	out = fwd(&t, &p);
	aim_csum_at_zero(&out, &p);
	p.l4_csum_partial = true;
	if (!l4_csum_is(&out, 0))
		fail("partial csum: TCP completed to 0 is sent as 0", "could not aim the checksum");
	else
		expect(lb, "partial csum: TCP completed to 0 is sent as 0", &p, VETH0, XDP_REDIRECT,
		       &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);

	for (size_t len = 45; len <= 1400; len += 1355) {
		p = c_pkt(&t, PKT_ACK | PKT_PSH, NULL);
		fill(&p, len, -1);
		out = fwd(&t, &p);
		snprintf(name, sizeof(name), "partial csum: a complete TCP checksum (%zu bytes) is "
			 "updated, not completed", len);
		expect(lb, name, &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	}

	/* A complete checksum that happens to equal the pseudo-header sum
	 * looks partial to XDP: recomputed, it keeps its value. The skb of tc
	 * knows it is complete: updated. */
	p = c_pkt(&t, PKT_ACK | PKT_PSH, NULL);
	fill(&p, 200, -1);
	pseudo = aim_csum_at_pseudo(&p);
	out = fwd(&t, &p);
	if (!l4_csum_is(&p, pseudo))
		fail("partial csum: a complete checksum equal to the pseudo-header sum stays right",
		     "could not aim the checksum");
	else
		expect(lb, "partial csum: a complete checksum equal to the pseudo-header sum stays right",
		       &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED,
		       hook_tc ? -1 : ZLB_C_CSUM_COMPLETED);

	p = c_pkt(&u, 0, NULL);
	p.l4_csum_partial = !hook_tc;
	out = complete(fwd(&u, &p));
	expect(lb, hook_tc ? "partial csum: (tc) the UDP flow opens with a complete datagram"
			   : "partial csum: an empty UDP datagram with a partial checksum is completed",
	       &p, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED,
	       hook_tc ? -1 : ZLB_C_CSUM_COMPLETED);
	for (size_t i = 0; i < ARRAY_SIZE(udp_cases); i++) {
		size_t len = udp_cases[i].len == FULL ? mtu - fam->ip_hdr - 8 : udp_cases[i].len;

		p = c_pkt(&u, 0, NULL);
		fill(&p, len, udp_cases[i].pattern);
		p.l4_csum_partial = true;
		out = complete(fwd(&u, &p));
		snprintf(name, sizeof(name), "partial csum: UDP, %zu bytes of payload%s, completed",
			 len, udp_cases[i].pattern < 0 ? "" : " all 0xff");
		expect(lb, name, &p, VETH0, XDP_REDIRECT, &out,
		       FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);
	}
	/* 8 + 119 bytes: one whole chunk, then 31 words of 0xffff and 0xff */
	p = c_pkt(&u, 0, NULL);
	out = complete(fwd(&u, &p));
	aim_chunks_at_max(&p, &out, 119);
	p.l4_csum_partial = true;
	expect(lb, "partial csum: UDP, 119 bytes: a 64-byte chunk summing to 0xffffffff, then 63 "
	       "bytes of 0xff (a carry out of 32 bits)", &p, VETH0, XDP_REDIRECT, &out,
	       FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);

	p = b_pkt(&u, 0, NULL);
	fill(&p, 513, -1);
	p.l4_csum_partial = true;
	out = complete(back(&u, &p));
	expect(lb, "partial csum: UDP from the backend, 513 bytes, completed towards the client",
	       &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED,
	       ZLB_C_CSUM_COMPLETED);

	p = c_pkt(&u, 0, NULL);
	fill(&p, 64, -1);
	out = fwd(&u, &p);
	aim_csum_at_zero(&out, &p);
	p.l4_csum_partial = true;
	if (!l4_csum_is(&out, 0xffff))
		fail("partial csum: UDP completed to 0 is sent as 0xffff", "could not aim the checksum");
	else
		expect(lb, "partial csum: UDP completed to 0 is sent as 0xffff", &p, VETH0,
		       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED, ZLB_C_CSUM_COMPLETED);

	p = c_pkt(&u, 0, NULL);
	fill(&p, 1400, -1);
	out = fwd(&u, &p);
	expect(lb, "partial csum: a complete UDP checksum (1400 bytes) is updated, not completed",
	       &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
}

/* ---- cases: ICMP errors ------------------------------------------------ */

/* ... from the backend side (veth2), to the load balancer's source. */
static struct pkt icmp_error(const uint8_t *smac, union zlb_addr from, const struct icmp_kind *k,
			     uint32_t mtu, const struct pkt *quoted, size_t l4_bytes)
{
	return icmp_error_on(VETH2, smac, from, LB_SRC, k, mtu, quoted, l4_bytes);
}

/* ... from the client side (veth0, the client's MAC), to the service. */
static struct pkt icmp_error_c(union zlb_addr from, const struct icmp_kind *k, uint32_t mtu,
			       const struct pkt *quoted, size_t l4_bytes)
{
	return icmp_error_on(VETH0, client_mac, from, VIP, k, mtu, quoted, l4_bytes);
}

/* A backend-side error as the client must get it: from the service
 * address, quoting the client's own packet @orig. */
static struct pkt icmp_to_client(const struct pkt *e, const struct pkt *orig, size_t l4_bytes)
{
	return icmp_out(e, VETH0, client_mac, VIP, CLIENT, orig, l4_bytes);
}

/* A client-side error as the backend must get it: from the load
 * balancer's source, quoting the backend's own packet @orig. */
static struct pkt icmp_to_backend(const struct pkt *e, const struct pkt *orig, size_t l4_bytes)
{
	return icmp_out(e, VETH2, backend_mac, LB_SRC, BACKEND, orig, l4_bytes);
}

/* The UDP checksum quoted by @error (a quote of a plain IP header) is the
 * one of @datagram, the client's. */
static void check_quoted_csum(const char *name, const struct pkt *error, const struct pkt *datagram)
{
	/* Ethernet, outer IP, ICMP header, quoted IP, then UDP: checksum at 6 */
	size_t at = 14 + fam->ip_hdr + 8 + fam->ip_hdr + 6;
	uint16_t client, quoted;
	struct frame f;

	frame_build(&f, datagram);
	client = f.data[f.csum_off] << 8 | f.data[f.csum_off + 1];
	frame_build(&f, error);
	quoted = f.data[at] << 8 | f.data[at + 1];
	if (client == quoted)
		report(name, NULL);
	else
		fail(name, "0x%04x, client's 0x%04x", quoted, client);
}

#define ICMP_NAT ZLB_C_RX, ROUTE_CACHED, ZLB_C_ICMP_ERROR_NAT, REDIRECTED

static void test_icmp_errors(const struct lb *lb)
{
	static const uint8_t router_mac[6] = MAC(0x14, 0xfe);
	const struct icmp_kind *big = &fam->too_big, *port = &fam->port_unreach;
	const uint16_t mtu = fam->too_big_mtu;
	struct flow t = flow_of(IPPROTO_TCP, 44100, 23, 223);
	struct flow u = flow_of(IPPROTO_UDP, 6200, 53, 5353);
	struct flow z = flow_of(IPPROTO_UDP, 6201, 53, 5353);
	struct pkt syn, syn_out, q, q_out, q0, q0_out, e, out, stray, b, b_out;
	struct zlb_ct_key k;
	struct zlb_ct_entry ce;

	syn = c_pkt(&t, PKT_SYN, NULL);
	syn_out = fwd(&t, &syn);
	expect_setup(lb, "icmp error: setup", &syn, VETH0, XDP_REDIRECT, &syn_out,
	             FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	e = icmp_error(backend_mac, BACKEND, big, mtu, &syn_out, 8);
	out = icmp_to_client(&e, &syn, 8);
	expect(lb, named("icmp error: %s (MTU %u) about a TCP flow reaches the client from %s, "
			 "quoting its own SYN (icmp_error_nat)", big->what, mtu, host(VIP)),
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(backend_mac, BACKEND, big, mtu, &syn_out, 1000);
	out = icmp_to_client(&e, &syn, 1000);
	expect(lb, "icmp error: ... quoting the whole segment, its TCP checksum is the client's",
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(router_mac, ROUTER, &fam->time_exceeded, 0, &syn_out, 8);
	out = icmp_to_client(&e, &syn, 8);
	expect(lb, "icmp error: time exceeded from a router on the backend side is translated "
	       "like destination unreachable", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(backend_mac, BACKEND, big, mtu, &syn_out, 8);
	e.ttl = 1;
	expect(lb, named("icmp error: with %s 1 it is dropped (drop_ttl)", fam->ttl),
	       &e, VETH2, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);

	q = c_pkt(&u, 0, "a query of some length");
	q_out = fwd(&u, &q);
	expect_setup(lb, "icmp error: setup", &q, VETH0, XDP_REDIRECT, &q_out,
	             FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	e = icmp_error(backend_mac, BACKEND, big, mtu, &q_out, 8);
	out = icmp_to_client(&e, &q, 8);
	expect(lb, named("icmp error: %s about a UDP flow reaches the client", big->what),
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);
	check_quoted_csum("icmp error: ... whose quoted UDP checksum is the client's datagram's",
			  &out, &q);

	e = icmp_error(backend_mac, BACKEND, port, 0, &q_out, 1000);
	out = icmp_to_client(&e, &q, 1000);
	expect(lb, named("icmp error: %s quoting the whole datagram is translated", port->what),
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);
	check_quoted_csum("icmp error: ... its quoted UDP checksum the client's datagram's too",
			  &out, &q);

	e = icmp_error(backend_mac, BACKEND, port, 0, &q_out, 8);
	out = icmp_to_client(&e, &q, 8);
	expect(lb, named("icmp error: %s quoting 8 bytes of the datagram is translated", port->what),
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(router_mac, ROUTER, &fam->time_exceeded, 0, &q_out, 8);
	out = icmp_to_client(&e, &q, 8);
	expect(lb, "icmp error: time exceeded about a UDP flow is translated", &e, VETH2,
	       XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(router_mac, ROUTER, &fam->host_unreach, 0, &q_out, 8);
	out = icmp_to_client(&e, &q, 8);
	expect(lb, named("icmp error: %s from a router on the backend side (%s) is translated",
			 fam->host_unreach.what, host(ROUTER)),
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	q0 = c_pkt(&z, 0, "no checksum");
	q0.udp_no_csum = true;
	q0_out = fwd(&z, &q0);
	expect_setup(lb, "icmp error: setup", &q0, VETH0, XDP_REDIRECT, &q0_out,
	             FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	e = icmp_error(backend_mac, BACKEND, port, 0, &q0_out, 8);
	out = icmp_to_client(&e, &q0, 8);
	expect(lb, named("icmp error: a quoted UDP checksum 0 (%s) stays 0", fam->udp_zero),
	       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	/* From the client side, about an answer of ours (the client's path
	 * MTU): to the backend, about its own packet. */
	b = b_pkt(&t, PKT_SYN | PKT_ACK, NULL);
	b_out = back(&t, &b);
	expect_setup(lb, "icmp error: setup", &b, VETH2, XDP_REDIRECT, &b_out,
	             FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	e = icmp_error_c(CLIENT, big, mtu, &b_out, 8);
	out = icmp_to_backend(&e, &b, 8);
	expect(lb, named("icmp error: %s from the client side about a TCP answer reaches the "
			 "backend from %s, quoting its own SYN-ACK (icmp_error_nat)", big->what,
			 host(LB_SRC)),
	       &e, VETH0, XDP_REDIRECT, &out, ICMP_NAT);
	e = icmp_error_c(CLIENT, big, mtu, &b_out, 1000);
	out = icmp_to_backend(&e, &b, 1000);
	expect(lb, "icmp error: ... quoting the whole segment, its TCP checksum is the backend's",
	       &e, VETH0, XDP_REDIRECT, &out, ICMP_NAT);

	b = b_pkt(&u, 0, "an answer of some length");
	b_out = back(&u, &b);
	expect_setup(lb, "icmp error: setup", &b, VETH2, XDP_REDIRECT, &b_out,
	             FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	e = icmp_error_c(CLIENT, port, 0, &b_out, 1000);
	out = icmp_to_backend(&e, &b, 1000);
	expect(lb, named("icmp error: %s from the client side about a UDP answer reaches the "
			 "backend", port->what), &e, VETH0, XDP_REDIRECT, &out, ICMP_NAT);
	check_quoted_csum("icmp error: ... whose quoted UDP checksum is the backend's datagram's",
			  &out, &b);

	/* An error to the service quoting a packet "from" it that belongs
	 * to no flow (a client port no case uses): the stack's. */
	b_out.dport = 6299;
	e = icmp_error_c(CLIENT, port, 0, &b_out, 8);
	expect(lb, "icmp error: one from the client side quoting a tuple that is not tracked goes "
	       "to the stack untouched", &e, VETH0, XDP_PASS, NULL, PASSED);

	/* Not a tracked flow: the stack's. */
	stray = arriving(VETH2, backend_mac, IPPROTO_TCP, LB_SRC, ZLB_SNAT_PORT_MIN + 5, BACKEND, 223);
	stray.ttl = 63;
	tcp_seg(&stray, PKT_SYN, 1, 0);
	k = ct_key(BACKEND, 223, LB_SRC, ZLB_SNAT_PORT_MIN + 5, IPPROTO_TCP);
	if (ct_get(lb, &k, &ce)) {
		fail("icmp error: setup", "a flow uses %s", at(LB_SRC, ZLB_SNAT_PORT_MIN + 5));
	} else {
		e = icmp_error(backend_mac, BACKEND, big, mtu, &stray, 8);
		expect(lb, "icmp error: one quoting a tuple that is not tracked goes to the stack "
		       "untouched", &e, VETH2, XDP_PASS, NULL, PASSED);
	}
}

/* Errors the fuzzer (tests/fuzz) found mistranslated. */
static void test_icmp_error_edges(const struct lb *lb)
{
	struct flow t = flow_of(IPPROTO_TCP, 44110, 23, 223);
	struct flow u = flow_of(IPPROTO_UDP, 6210, 53, 5353);
	const struct icmp_kind *big = &fam->too_big, *port = &fam->port_unreach;
	const uint16_t mtu = fam->too_big_mtu;
	struct pkt syn, syn_out, s, s_out, q, q_out, e, out;

	syn = c_pkt(&t, PKT_SYN, NULL);
	syn_out = fwd(&t, &syn);
	q = c_pkt(&u, 0, "ones__");
	q_out = fwd(&u, &q);
	/* the client's checksum computes to 0: it sends 0xffff */
	aim_csum_at_zero(&q, &q_out);
	quiet = true;
	expect(lb, "icmp error edges: setup", &syn, VETH0, XDP_REDIRECT, &syn_out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	expect(lb, "icmp error edges: setup", &q, VETH0, XDP_REDIRECT, &q_out,
	       FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	quiet = false;

	/* Bytes 16 and 17 after the quoted ports are in the frame but not in
	 * the message: no TCP checksum to translate, and the ICMP checksum
	 * does not cover them. */
	padding = 12;
	e = icmp_error(backend_mac, BACKEND, big, mtu, &syn_out, 8);
	out = icmp_to_client(&e, &syn, 8);
	expect(lb, "icmp error: Ethernet padding after a quote of 8 TCP bytes leaves untouched, "
	       "the ICMP checksum right", &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	/* The quoted ports are only in the frame thanks to the padding. */
	padding = 8;
	e = icmp_error(backend_mac, BACKEND, big, mtu, &syn_out, 4);
	expect(lb, "icmp error: one whose total length ends inside the quoted ports goes to the "
	       "stack untouched", &e, VETH2, XDP_PASS, NULL, PASSED);
	padding = 0;

	s = c_pkt(&t, PKT_ACK, "data__");
	s_out = fwd(&t, &s);
	aim_csum_at_zero(&s_out, &s);
	e = icmp_error(backend_mac, BACKEND, big, mtu, &s_out, 1000);
	out = icmp_to_client(&e, &s, 1000);
	if (!l4_csum_is(&s_out, 0))
		fail("icmp error: a quoted TCP checksum 0 is translated like any other",
		     "could not aim the checksum");
	else
		expect(lb, "icmp error: a quoted TCP checksum 0 is translated like any other",
		       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);

	e = icmp_error(backend_mac, BACKEND, port, 0, &q_out, 1000);
	out = icmp_to_client(&e, &q, 1000);
	if (!l4_csum_is(&q, 0xffff))
		fail("icmp error: a quoted UDP checksum that translates to 0 is the client's 0xffff",
		     "could not aim the checksum");
	else
		expect(lb, named("icmp error: a quoted UDP checksum that translates to 0 is the "
				 "client's 0xffff, never 0 (%s)", fam->udp_zero),
		       &e, VETH2, XDP_REDIRECT, &out, ICMP_NAT);
}

/* Found by the fuzzer: the reply direction went in, then the original
 * direction over it (the same key), and the flow's answers were lost. */
void test_self_collision(const struct lb *lb)
{
	struct pkt self = arriving(VETH0, hairpin_mac, ICMP, HAIRPIN, 0, VIP, 0);
	struct pkt req = from_client(ICMP, 0, VIP, 0);
	struct zlb_ct_key k = ct_key(HAIRPIN, 0x4545, VIP, 0x4545, ICMP);
	struct zlb_ct_entry e;
	struct pkt out;

	echo(&self, fam->echo_request, 0x4545, 1);
	expect(lb, "self: the backend's own echo to its service, the same tuple both ways, is "
	       "dropped (drop_ct_insert)", &self, VETH0, XDP_DROP, NULL,
	       FLOW_REFUSED, ROUTED, ZLB_C_DROP_CT_INSERT);
	report("self: ... and leaves no entry", ct_get(lb, &k, &e) ? "an entry is left" : NULL);

	echo(&req, fam->echo_request, 0x4545, 1);
	out = sent(&req, VETH0, hairpin_mac, VIP, 0, HAIRPIN, 0);
	expect(lb, "self: a client's echo with the same identifier goes to that backend",
	       &req, VETH0, XDP_TX, &out, FLOW_NEW, ROUTE_CACHED, BOUNCED, ZLB_C_NEIGH_LEARNED);
}

/* ---- cases: traffic counters ------------------------------------------- */

static void test_traffic_counters(const struct lb *lb)
{
	struct flow f = flow_of(IPPROTO_TCP, 44200, 23, 223);
	struct zlb_traffic svc0, svc1, be0, svc0_a, svc1_a, be0_a;
	struct zlb_if_traffic if0, if2, if0_a, if2_a;
	__u64 bytes_c = 0, bytes_b = 0, want0[5], want2[5];
	struct pkt pk[5], out, lost;
	struct frame fr;
	bool ok = true;

	pk[0] = c_pkt(&f, PKT_SYN, NULL);
	pk[1] = b_pkt(&f, PKT_SYN | PKT_ACK, NULL);
	pk[2] = c_pkt(&f, PKT_ACK | PKT_PSH, "GET / HTTP/1.0\r\n\r\n");
	pk[3] = b_pkt(&f, PKT_ACK | PKT_PSH, "HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n");
	pk[4] = c_pkt(&f, PKT_ACK, "x");
	if (svc_traffic_get(lb, SVC_TELNET, &svc0) ||
	    svc_traffic_get(lb, SVC_DNS, &svc1) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_TELNET, 0), &be0) ||
	    if_traffic_get(lb, SLOT_VETH0, &if0) || if_traffic_get(lb, SLOT_VETH2, &if2)) {
		fail("counters: setup", "reading the traffic maps: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < 5; i++) {
		bool client = i % 2 == 0 || i == 4;

		frame_build(&fr, &pk[i]);
		*(client ? &bytes_c : &bytes_b) += fr.len;
		out = client ? fwd(&f, &pk[i]) : back(&f, &pk[i]);
		quiet = true;
		if (i == 0)
			ok &= expect(lb, "counters: setup", &pk[i], VETH0, XDP_REDIRECT, &out,
				     FLOW_NEW, ROUTE_CACHED, REDIRECTED);
		else
			ok &= expect(lb, "counters: setup", &pk[i], client ? VETH0 : VETH2,
				     XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
		quiet = false;
	}
	if (!ok ||
	    svc_traffic_get(lb, SVC_TELNET, &svc0_a) ||
	    svc_traffic_get(lb, SVC_DNS, &svc1_a) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_TELNET, 0), &be0_a) ||
	    if_traffic_get(lb, SLOT_VETH0, &if0_a) || if_traffic_get(lb, SLOT_VETH2, &if2_a)) {
		fail("counters: setup", "a packet went wrong or the maps could not be read");
		return;
	}
	check_traffic("counters: a SYN, its answer and 3 data packets: the service counts 5 packets, "
		      "their bytes and 1 new flow", &svc0, &svc0_a, 5, bytes_c + bytes_b, 1);
	check_traffic("counters: ... and so does its backend", &be0, &be0_a, 5, bytes_c + bytes_b, 1);
	check_traffic("counters: ... another service counts nothing", &svc1, &svc1_a, 0, 0, 0);
	/* 3 packets in on veth0 out on veth2; 2 in on veth2, out on veth0 */
	want0[0] = 3, want0[1] = bytes_c, want0[2] = 2, want0[3] = bytes_b, want0[4] = 0;
	want2[0] = 2, want2[1] = bytes_b, want2[2] = 3, want2[3] = bytes_c, want2[4] = 0;
	check_if_traffic("counters: veth0 received the client's packets and sent the backend's",
			 &if0, &if0_a, want0);
	check_if_traffic("counters: veth2 received the backend's packets and sent the client's",
			 &if2, &if2_a, want2);

	/* A drop counts where the packet arrived, and for no service. */
	lost = arriving(VETH2, backend_mac, IPPROTO_TCP, BACKEND, 223, LB_SRC, ZLB_SNAT_PORT_MAX - 1);
	tcp_seg(&lost, PKT_ACK, 1, 1);
	frame_build(&fr, &lost);
	if2 = if2_a;
	svc0 = svc0_a;
	expect(lb, "counters: setup (a lost reply)", &lost, VETH2, XDP_DROP, NULL,
	       ZLB_C_RX, ZLB_C_DROP_REPLY_NO_FLOW);
	if (if_traffic_get(lb, SLOT_VETH2, &if2_a) ||
	    svc_traffic_get(lb, SVC_TELNET, &svc0_a)) {
		fail("counters: setup", "reading the traffic maps: %s", strerror(errno));
		return;
	}
	want2[0] = 1, want2[1] = fr.len, want2[2] = 0, want2[3] = 0, want2[4] = 1;
	check_if_traffic("counters: a packet dropped on arrival counts in veth2's rx and drops",
			 &if2, &if2_a, want2);
	check_traffic("counters: ... and in no service", &svc0, &svc0_a, 0, 0, 0);
}

/* ---- cases: what a CPU remembers across a reload ------------------------ */

/* A reload that moves the interfaces' counter slots: the next packet counts
 * in the new slots, on arrival and on leaving, and its route is looked up
 * anew (a cached route carries the old slot). Each CPU remembers the
 * ingress interface's slot and caches routes; a load must make both stale. */
static void test_reload_slots(struct lb *lb)
{
	struct flow f = flow_of(IPPROTO_TCP, 44210, 23, 223);
	struct zlb_if_traffic if0, if2, if0_a, if2_a;
	struct zlb_err err = {};
	__u64 want0[5], want2[5];
	struct pkt syn, data, out;
	struct frame fr;

	syn = c_pkt(&f, PKT_SYN, NULL);
	out = fwd(&f, &syn);
	quiet = true;
	if (!expect(lb, "reload: setup", &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED,
		    REDIRECTED)) {
		quiet = false;
		return;
	}
	quiet = false;
	if (lb_reload_family(lb, depth_swap_conf, &err)) {
		fail("reload: with the interfaces in the other order", "%s", err.msg);
		return;
	}
	if (if_traffic_get(lb, SLOT_VETH0, &if2) || if_traffic_get(lb, SLOT_VETH2, &if0)) {
		fail("reload: setup", "zlb_stats: %s", strerror(errno));
		return;
	}
	data = c_pkt(&f, PKT_ACK, "after the reload");
	frame_build(&fr, &data);
	out = fwd(&f, &data);
	expect(lb, "reload: after a reload that swaps the interfaces' slots, a flow's packet is "
	       "routed anew", &data, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);
	if (if_traffic_get(lb, SLOT_VETH0, &if2_a) || if_traffic_get(lb, SLOT_VETH2, &if0_a)) {
		fail("reload: setup", "zlb_stats: %s", strerror(errno));
		return;
	}
	want0[0] = 1, want0[1] = fr.len, want0[2] = 0, want0[3] = 0, want0[4] = 0;
	want2[0] = 0, want2[1] = 0, want2[2] = 1, want2[3] = fr.len, want2[4] = 0;
	check_if_traffic("reload: ... it counts in veth0's new slot on arrival", &if0, &if0_a, want0);
	check_if_traffic("reload: ... and in veth2's new slot on leaving", &if2, &if2_a, want2);
	data = c_pkt(&f, PKT_ACK, "and again");
	out = fwd(&f, &data);
	expect(lb, "reload: ... the next one finds that route cached", &data, VETH0, XDP_REDIRECT,
	       &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
	if (lb_reload_family(lb, depth_conf, &err))
		fail("reload: back to the interfaces in their first order", "%s", err.msg);
}

/* ---- cases: Maglev ----------------------------------------------------- */

#define NWEIGHTED 3             /* the weighted service's backends; the fourth is drained's */
#define SNAT_SPAN (ZLB_SNAT_PORT_MAX - ZLB_SNAT_PORT_MIN + 1)

static const uint8_t weighted_mac[NWEIGHTED_HOSTS][6] = {
	MAC(0x14, 0x11), MAC(0x14, 0x12), MAC(0x14, 0x13), MAC(0x14, 0x14),
};

/* The source ports the flows of one service have on each backend. */
typedef bool taken_ports[NWEIGHTED_HOSTS][SNAT_SPAN];

struct spread {
	unsigned int n[NWEIGHTED_HOSTS];        /* new flows per backend (fam->weighted) */
	unsigned int bad, off_table, moved;
	char first_bad[384];
	long long delta[ZLB_C_MAX];
	uint16_t port_on[NWEIGHTED_HOSTS], sport_on[NWEIGHTED_HOSTS];  /* a flow on each */
	size_t syn_len;                         /* the frame of a SYN */
};

/* The service's table names @daddr for the flow of client port @cport. */
static bool maglev_names(const struct lb *lb, const struct maglev_view *t, uint16_t cport,
			 union zlb_addr daddr)
{
	struct zlb_backend be;

	return !maglev_backend(lb, t, zlb_flow_hash_addr(CLIENT.w, htons(cport), IPPROTO_TCP), &be) &&
	       same_addr(be.addr, daddr);
}

/* Send SYNs from @count client ports starting at @first to the service's
 * port @vport; each must leave translated to one of the backends at port
 * @bport, the one the service's Maglev table names for it, from the source
 * port the flow's hash names unless an earlier flow to that backend has it
 * (@taken: the ports the service's flows have). */
static void spread_syns(const struct lb *lb, uint16_t vport, uint16_t bport, uint16_t first,
			unsigned int count, taken_ports taken, struct spread *s)
{
	struct maglev_view t = { .fd = -1 };
	bool have_table = !maglev_open(lb, VIP, vport, &t);

	memset(s, 0, sizeof(*s));
	if (!have_table)
		snprintf(s->first_bad, sizeof(s->first_bad), "cannot read the Maglev table");
	for (unsigned int i = 0; i < count; i++) {
		uint16_t cport = first + i, sport, dport;
		uint16_t want_port = snat_port(CLIENT, cport, IPPROTO_TCP);
		struct pkt syn = from_client(IPPROTO_TCP, cport, VIP, vport), out;
		union zlb_addr saddr, daddr;
		struct result r;
		struct frame wf;
		int b;

		tcp_seg(&syn, PKT_SYN, 7, 0);
		if (run(lb, &syn, VETH0, &r)) {
			s->bad++;
			continue;
		}
		for (int c = 0; c < ZLB_C_MAX; c++)
			s->delta[c] += r.delta[c];
		if (r.verdict != hook_verdict(XDP_REDIRECT) ||
		    out_tuple(&r, &saddr, &sport, &daddr, &dport)) {
			if (!s->bad++)
				snprintf(s->first_bad, sizeof(s->first_bad), "port %u: verdict %s",
					 cport, verdict_name(r.verdict));
			continue;
		}
		for (b = 0; b < NWEIGHTED_HOSTS && !same_addr(fam->weighted[b], daddr); b++)
			;
		if (b == NWEIGHTED_HOSTS || !same_addr(saddr, LB_SRC) || sport < ZLB_SNAT_PORT_MIN ||
		    sport > ZLB_SNAT_PORT_MAX) {
			if (!s->bad++)
				snprintf(s->first_bad, sizeof(s->first_bad), "port %u: left as %s -> %s",
					 cport, at(saddr, sport), at(daddr, dport));
			continue;
		}
		out = sent(&syn, VETH2, weighted_mac[b], LB_SRC, sport, daddr, bport);
		build(&wf, &out);
		s->syn_len = wf.len;
		if (r.out.len != wf.len || memcmp(r.out.data, wf.data, wf.len)) {
			if (!s->bad++) {
				snprintf(s->first_bad, sizeof(s->first_bad), "port %u: frame out differs",
					 cport);
				frame_diff(stdout, "#   ", wf.data, wf.len, r.out.data, r.out.len);
			}
			continue;
		}
		if (!have_table || !maglev_names(lb, &t, cport, daddr))
			s->off_table++;
		if (sport != want_port && !taken[b][want_port - ZLB_SNAT_PORT_MIN])
			s->moved++;
		taken[b][sport - ZLB_SNAT_PORT_MIN] = true;
		if (!s->n[b]++) {
			s->port_on[b] = cport;
			s->sport_on[b] = sport;
		}
	}
	if (have_table)
		close(t.fd);
}

/* The counters of @count new flows, @lookups of whose routes were not
 * cached yet. */
static void check_spread_counters(const char *name, const struct spread *s, long long count,
				  long long lookups)
{
	long long want[ZLB_C_MAX] = {};
	struct problems p = {};

	want[ZLB_C_RX] = want[ZLB_C_CT_MISS] = want[ZLB_C_NEW_FLOW] = count;
	want[ZLB_C_FORWARD] = want[ZLB_C_REDIRECT] = count;
	want[ZLB_C_FIB_LOOKUP] = lookups;
	want[ZLB_C_FIB_CACHE_HIT] = count - lookups;
	for (int c = 0; c < ZLB_C_MAX; c++)
		if (s->delta[c] != want[c])
			add(&p, "%s %+lld (want %+lld)", counter_names[c], s->delta[c], want[c]);
	report(name, p.n ? p.text : NULL);
}

/* The weighted service's table in the map, entry by entry: a byte each,
 * ZLB_MAGLEV_CHUNK to an element (zlb_abi.h), the backend's index in the
 * service as zlb_maglev_build() lays the table out for its backends; no
 * element past the table's end, and no entry past it but "no backend". */
static void check_maglev_bytes(const struct lb *lb, const unsigned int *weight)
{
	const char *name = "maglev: the table in the map is the service's Maglev table, "
			   "a byte an entry, 64 to an element";
	struct zlb_maglev_chunk c;
	uint64_t keys[NWEIGHTED];
	uint16_t w[NWEIGHTED];
	struct maglev_view t;
	unsigned int bad = 0;
	__u32 chunk, i;
	uint32_t *want;

	if (maglev_open(lb, VIP, 26, &t)) {
		fail(name, "cannot open the table of %s", at(VIP, 26));
		return;
	}
	want = malloc(t.size * sizeof(*want));
	for (int b = 0; b < NWEIGHTED; b++) {
		keys[b] = zlb_maglev_key(&fam->weighted[b], 2626);
		w[b] = weight[b];
	}
	if (!want || zlb_maglev_build(keys, w, NWEIGHTED, t.size, want)) {
		fail(name, "cannot build the expected table");
		goto out;
	}
	for (i = 0; i < t.size + ZLB_MAGLEV_CHUNK && !bad; i++) {
		unsigned int expected = i < t.size ? want[i] : ZLB_MAGLEV_NO_BACKEND;

		chunk = i / ZLB_MAGLEV_CHUNK;
		if (i % ZLB_MAGLEV_CHUNK == 0 && bpf_map_lookup_elem(t.fd, &chunk, &c)) {
			if (i < t.size)
				bad = i + 1;
			break;
		}
		if (c.be[i % ZLB_MAGLEV_CHUNK] != expected)
			bad = i + 1;
	}
	chunk = (t.size + ZLB_MAGLEV_CHUNK - 1) / ZLB_MAGLEV_CHUNK;
	if (bad)
		fail(name, "entry %u of %u: %u, want %u", bad - 1, t.size,
		     c.be[(bad - 1) % ZLB_MAGLEV_CHUNK],
		     bad - 1 < t.size ? want[bad - 1] : ZLB_MAGLEV_NO_BACKEND);
	else if (!bpf_map_lookup_elem(t.fd, &chunk, &c))
		fail(name, "an element past the table's %u entries", t.size);
	else
		report(name, NULL);
out:
	free(want);
	close(t.fd);
}

static void test_maglev(struct lb *lb)
{
	static const unsigned int weight[NWEIGHTED] = { 1, 1, 2 };
	static taken_ports taken_weighted, taken_drained;
	const unsigned int total = 2000, weight_sum = 4;
	const union zlb_addr *be = fam->weighted;
	struct zlb_traffic before[NWEIGHTED_HOSTS], after[NWEIGHTED_HOSTS];
	struct zlb_err err = {};
	uint16_t drain_port, drain_sport;
	struct spread s;
	struct pkt p, out;
	const char *name;

	check_maglev_bytes(lb, weight);
	memset(taken_weighted, 0, sizeof(taken_weighted));
	memset(taken_drained, 0, sizeof(taken_drained));
	for (int b = 0; b < NWEIGHTED; b++)
		if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, b), &before[b])) {
			fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
			return;
		}
	spread_syns(lb, 26, 2626, 50000, total, taken_weighted, &s);
	drain_port = s.port_on[2];
	drain_sport = s.sport_on[2];
	if (s.bad)
		fail("maglev: 2000 SYNs from 2000 ports each leave translated to one backend",
		     "%u did not (first: %s)", s.bad, s.first_bad);
	else
		report("maglev: 2000 SYNs from 2000 ports each leave translated to one backend", NULL);
	if (s.off_table)
		fail("maglev: ... the one the service's table names for the flow's hash",
		     "%u flows went elsewhere", s.off_table);
	else
		report("maglev: ... the one the service's table names for the flow's hash", NULL);
	if (s.moved)
		fail("maglev: ... from the source port the flow's hash names, unless taken",
		     "%u flows left from another port with theirs free", s.moved);
	else
		report("maglev: ... from the source port the flow's hash names, unless taken", NULL);
	check_spread_counters("maglev: ... 2000 new flows, a route lookup per backend",
			      &s, total, NWEIGHTED);
	/* 2000 flows is a small sample (sd of a 1/4 share: ~19 flows, ~4%);
	 * the flows, hence the result, are the same on every run. */
	for (int b = 0; b < NWEIGHTED; b++) {
		double want = (double)total * weight[b] / weight_sum;

		name = named("maglev: %s (weight %u) gets %.0f%% of the new flows within 10%% "
			     "(small sample: 2000 flows)", host(be[b]), weight[b],
			     100.0 * weight[b] / weight_sum);
		if (s.n[b] >= want * 0.9 && s.n[b] <= want * 1.1)
			report(name, NULL);
		else
			fail(name, "%u of %u, want %.0f +- %.0f", s.n[b], total, want, want * 0.1);
		if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, b), &after[b]))
			fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
		else
			check_traffic(named("maglev: ... and zlb_be_stats counts its %u new flows", s.n[b]),
				      &before[b], &after[b], s.n[b], s.n[b] * (__u64)s.syn_len, s.n[b]);
	}

	/* A backend of weight 0 gets nothing. */
	if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 0), &before[0]) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 1), &before[1])) {
		fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
		return;
	}
	spread_syns(lb, 27, 2727, 52000, 300, taken_drained, &s);
	name = "maglev: 300 SYNs to a service whose second backend has weight 0 all go to the first";
	if (s.bad || s.moved || s.n[0] != 300)
		fail(name, "%u to %s, %u to %s, %u wrong (%s), %u from another port with theirs free",
		     s.n[0], host(be[0]), s.n[3], host(be[3]), s.bad, s.first_bad, s.moved);
	else
		report(name, NULL);
	check_spread_counters("maglev: ... 300 new flows", &s, 300, 0);
	if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 0), &after[0]) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 1), &after[1])) {
		fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
		return;
	}
	check_traffic("maglev: ... zlb_be_stats: the weight-0 backend has no new flow",
		      &before[1], &after[1], 0, 0, 0);
	check_traffic("maglev: ... and the other all 300", &before[0], &after[0], 300,
		      300ULL * s.syn_len, 300);

	/* Draining by a reload: weight 0 for the third backend. Its flows stay. */
	if (!drain_port) {
		fail("maglev: drain", "no flow went to %s", host(be[2]));
		return;
	}
	if (lb_reload_family(lb, depth_drain_conf, &err)) {
		fail(named("maglev: drain: reload with %s at weight 0", host(be[2])), "%s", err.msg);
		return;
	}
	p = arriving(VETH2, weighted_mac[2], IPPROTO_TCP, be[2], 2626, LB_SRC, drain_sport);
	tcp_seg(&p, PKT_SYN | PKT_ACK, 77, 8);
	out = sent(&p, VETH0, client_mac, VIP, 26, CLIENT, drain_port);
	/* a load empties the route cache: routed anew */
	expect(lb, named("maglev: drain: after a reload that sets %s's weight to 0, its flow's "
			 "SYN-ACK still reaches the client", host(be[2])),
	       &p, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);
	p = from_client(IPPROTO_TCP, drain_port, VIP, 26);
	tcp_seg(&p, PKT_ACK, 8, 78);
	with_data(&p, "still here");
	out = sent(&p, VETH2, weighted_mac[2], LB_SRC, drain_sport, be[2], 2626);
	expect(lb, named("maglev: drain: ... and the client's data still goes to %s", host(be[2])),
	       &p, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);
	if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, 2), &before[2])) {
		fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
		return;
	}
	spread_syns(lb, 26, 2626, 53000, 500, taken_weighted, &s);
	name = named("maglev: drain: 500 new SYNs go to %s and %s as the new table says, none "
		     "to %s", host(be[0]), host(be[1]), host(be[2]));
	if (s.bad || s.n[2] || s.off_table || s.moved)
		fail(name, "%u/%u/%u, %u wrong (%s), %u off the table, %u from another port with "
		     "theirs free", s.n[0], s.n[1], s.n[2], s.bad, s.first_bad, s.off_table, s.moved);
	else
		report(name, NULL);
	name = named("maglev: drain: ... zlb_be_stats: no new flow for %s", host(be[2]));
	if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, 2), &after[2]))
		fail("maglev: setup", "zlb_be_stats: %s", strerror(errno));
	else if (after[2].new_flows != before[2].new_flows)
		fail(name, "%+lld", (long long)(after[2].new_flows - before[2].new_flows));
	else
		report(name, NULL);
}

/* ---- cases: counters of ids that change hands in a reload --------------- */

/* Ids are positions (zlb_abi.h). A reload after which an id names another
 * service or backend than before gives it counters of its own: the new
 * owner of an id starts from zero, never from the old owner's totals. An
 * id whose owner stays keeps its counters. Runs after test_maglev(): the
 * services of depth_drain_conf have counted traffic. */
static void test_reload_ids(struct lb *lb)
{
	static const struct { const char *what; int svc; } svcs[] = {
		{ "service 0 (telnet, now dns)", SVC_TELNET },
		{ "service 1 (dns, now telnet)", SVC_DNS },
	};
	struct zlb_traffic b, a, kept_svc, kept_be;
	struct zlb_err err = {};

	if (svc_traffic_get(lb, SVC_WEIGHTED, &kept_svc) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 0), &kept_be) ||
	    traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, 0), &b)) {
		fail("reload ids: setup", "counters: %s", strerror(errno));
		return;
	}
	if (!b.new_flows || !kept_be.new_flows) {
		fail("reload ids: setup", "no traffic counted before the reload");
		return;
	}
	if (lb_reload_family(lb, depth_shift_conf, &err)) {
		fail("reload ids: reload that swaps two services and removes a backend", "%s", err.msg);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (svc_traffic_get(lb, svcs[i].svc, &a))
			fail("reload ids: setup", "zlb_stats: %s", strerror(errno));
		else if (a.packets || a.bytes || a.new_flows)
			fail(named("reload ids: %s starts from zero", svcs[i].what),
			     "packets %llu new_flows %llu: the other service's",
			     (unsigned long long)a.packets, (unsigned long long)a.new_flows);
		else
			report(named("reload ids: %s starts from zero", svcs[i].what), NULL);
	}
	for (int j = 0; j + 1 < NWEIGHTED; j++) {
		const char *name = named("reload ids: backend id %d, %s before, %s now, starts from zero",
					 BE_ID(SVC_WEIGHTED, j), host(fam->weighted[j]),
					 host(fam->weighted[j + 1]));

		if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, j), &a))
			fail("reload ids: setup", "zlb_be_stats: %s", strerror(errno));
		else if (a.packets || a.bytes || a.new_flows)
			fail(name, "packets %llu new_flows %llu: the old backend's",
			     (unsigned long long)a.packets, (unsigned long long)a.new_flows);
		else
			report(name, NULL);
	}
	if (!svc_traffic_get(lb, SVC_WEIGHTED, &a))
		check_traffic("reload ids: a service that keeps its id keeps its counters",
			      &kept_svc, &a, 0, 0, 0);
	if (!traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_DRAINED, 0), &a))
		check_traffic("reload ids: a backend that keeps its id keeps its counters",
			      &kept_be, &a, 0, 0, 0);
	/* The weighted service's third id has no owner now (nothing shows
	 * it); the next load that gives it one starts it from zero. */
	if (lb_reload_family(lb, depth_drain_conf, &err)) {
		fail("reload ids: reload back to three weighted backends", "%s", err.msg);
		return;
	}
	if (traffic_get(lb, ZLB_M_BE_STATS, BE_ID(SVC_WEIGHTED, 2), &a))
		fail("reload ids: setup", "zlb_be_stats: %s", strerror(errno));
	else if (a.packets || a.bytes || a.new_flows)
		fail("reload ids: an id without an owner, given one by a later reload, starts "
		     "from zero", "packets %llu new_flows %llu", (unsigned long long)a.packets,
		     (unsigned long long)a.new_flows);
	else
		report("reload ids: an id without an owner, given one by a later reload, starts "
		       "from zero", NULL);
}

void test_depth(struct lb *lb)
{
	struct zlb_meta meta;

	test_meta_defaults(lb, &meta);
	test_tcp_state(lb);
	test_header_past_ip_len(lb);
	test_expiry(lb, &meta);
	test_state_timeouts(lb, &meta);
	test_eviction(lb, &meta);
	test_partial_csum(lb);
	test_icmp_errors(lb);
	test_icmp_error_edges(lb);
	test_traffic_counters(lb);
	test_reload_slots(lb);
	test_maglev(lb);
	test_reload_ids(lb);
}

/* ---- cases: a full connection table ------------------------------------ */

/* With three times more flows than the table holds, every new flow still
 * gets through (the least recently used entries make room), the table never
 * holds more than its size, and the answer to a flow whose entries were
 * pushed out is dropped, never handed up or sent to someone else. */
void test_full_table(const struct lb *lb)
{
	int forwarded = 0, answered = 0, lost = 0, wrong = 0;
	struct zlb_err err = {};
	long entries;
	char detail[160];

	for (int i = 0; i < 3072; i++) {
		struct pkt p = from_client(IPPROTO_UDP, 20000 + i, VIP, 53);
		struct result r;

		with_data(&p, "fill");
		if (!run(lb, &p, VETH0, &r) && r.verdict == hook_verdict(XDP_REDIRECT))
			forwarded++;
	}
	snprintf(detail, sizeof(detail), "%d of 3072 forwarded", forwarded);
	if (forwarded == 3072)
		report("full table: 3072 new flows through a table of 1024 entries all go out", NULL);
	else
		fail("full table: 3072 new flows through a table of 1024 entries all go out", "%s", detail);
	entries = zlb_ct_count_entries(&lb->maps, &err);
	if (entries < 0)
		fail("full table: it never holds more than its 1024 entries", "%s", err.msg);
	else if (entries <= 1024)
		report("full table: it never holds more than its 1024 entries", NULL);
	else
		fail("full table: it never holds more than its 1024 entries", "%ld entries", entries);
	/* The earliest flows: their answers are translated right or dropped.
	 * Only flows whose first port no other flow hashed to: the others may
	 * have moved on to another port of the range. */
	for (int i = 0, tried = 0; tried < 64 && i < 3072; i++) {
		uint16_t port = snat_port(CLIENT, 20000 + i, IPPROTO_UDP);
		struct pkt a = from_backend(IPPROTO_UDP, 5353, LB_SRC, 20000 + i);
		struct pkt want;
		struct result r;
		int shared = 0;

		for (int j = 0; j < 3072; j++)
			shared += j != i && snat_port(CLIENT, 20000 + j, IPPROTO_UDP) == port;
		if (shared)
			continue;
		tried++;

		with_data(&a, "late");
		want = to_client(&a, 53);
		if (run(lb, &a, VETH2, &r))
			continue;
		if (r.verdict == hook_verdict(XDP_DROP) && r.delta[ZLB_C_DROP_REPLY_NO_FLOW] == 1) {
			lost++;
		} else {
			struct frame f;

			frame_build(&f, &want);
			if (r.verdict == hook_verdict(XDP_REDIRECT) && f.len == r.out.len &&
			    !memcmp(f.data, r.out.data, f.len))
				answered++;
			else
				wrong++;
		}
	}
	snprintf(detail, sizeof(detail), "%d answered, %d dropped, %d otherwise", answered, lost, wrong);
	if (!wrong && answered + lost == 64)
		report("full table: answers to the earliest flows are translated or dropped (drop_reply_no_flow), never passed", NULL);
	else
		fail("full table: answers to the earliest flows are translated or dropped (drop_reply_no_flow), never passed", "%s", detail);
	printf("# %sfull table: of the 64 earliest flows %d were still tracked, %d pushed out\n",
	       fam->tag, answered, lost);
}

