// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's invariants, frame by frame (invariant 4 over the whole
 * table is table.c's). Each frame is judged from the fuzzer's own reading
 * of the frame that went in (view.c), the frame and verdict that came out,
 * the change of every global counter, and -- for translations -- a lookup
 * in the connection table. What is "ours" comes from the config (model.c);
 * nothing is taken from the data plane's own maps but the connection
 * table, whose entries are judged in turn.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "check.h"
#include "frames.h"
#include "model.h"
#include "view.h"

const char *const invariant_names[INV_COUNT] = {
	[INV_UNTOUCHED] = "1 frame for nobody passes untouched",
	[INV_CSUM] = "2 checksums keep their validity",
	[INV_ADDRS] = "3 forwarded addresses belong to the config and its flows",
	[INV_TABLE] = "4 conntrack entries are justified and paired",
	[INV_VERDICT] = "5 verdicts and counters agree",
};

static const char *const counter_names[ZLB_C_MAX] = ZLB_COUNTER_NAMES;

#define REPORT_MAX 8            /* violations of each invariant printed in full */

/* ---- reporting ------------------------------------------------------------ */

static const char *verdict_name(int v)
{
	static const char *const names[] = {
		[XDP_ABORTED] = "XDP_ABORTED", [XDP_DROP] = "XDP_DROP", [XDP_PASS] = "XDP_PASS",
		[XDP_TX] = "XDP_TX", [XDP_REDIRECT] = "XDP_REDIRECT",
	};

	return v >= 0 && v < (int)(sizeof(names) / sizeof(names[0])) ? names[v] : "(unknown)";
}

static void hex(const char *what, const uint8_t *d, size_t len)
{
	printf("#   %s (%zu bytes):", what, len);
	for (size_t i = 0; i < len; i++)
		printf("%s%02x", i % 32 ? " " : "\n#     ", d[i]);
	printf("\n");
}

static void describe(const char *what, const uint8_t *d, size_t len)
{
	char line[512];

	frame_describe(d, len, line, sizeof(line));
	printf("#   %s: %s\n", what, line);
}

void check_violation(struct checker *c, enum invariant inv, const struct judged *j,
		     const char *fmt, ...)
{
	va_list ap;

	if (c->violations[inv]++ >= REPORT_MAX)
		return;
	printf("VIOLATION of invariant %s: ", invariant_names[inv]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!j)
		return;
	printf("#   frame %llu, kind %s, arrived on %s, mutations:", c->frame,
	       gen_kind_names[j->in->kind], ports[j->in->port].name);
	for (int m = 0; m < MUT_KINDS; m++)
		if (j->in->mutations & 1u << m)
			printf(" %s", gen_mutation_names[m]);
	printf("; verdict %s\n", verdict_name(j->r->verdict));
	describe("in ", j->in->data, j->in->len);
	if (j->r->verdict == XDP_TX || j->r->verdict == XDP_REDIRECT || j->r->verdict == XDP_PASS)
		describe("out", j->r->out, j->r->out_len);
	hex("in", j->in->data, j->in->len);
	if (j->r->verdict == XDP_TX || j->r->verdict == XDP_REDIRECT)
		hex("out", j->r->out, j->r->out_len);
}

static bool modified(const struct judged *j)
{
	return j->r->out_len != j->in->len || memcmp(j->r->out, j->in->data, j->r->out_len);
}

int check_init(struct checker *c, struct lb *lb)
{
	memset(c, 0, sizeof(*c));
	c->lb = lb;
	return model_init(&c->m, lb) || keyset_init(&c->opened, 1 << 16) ? -1 : 0;
}

void check_free(struct checker *c)
{
	model_free(&c->m);
	keyset_free(&c->opened);
}

unsigned long long check_total(const struct checker *c)
{
	unsigned long long n = 0;

	for (int i = 0; i < INV_COUNT; i++)
		n += c->violations[i];
	return n;
}


/* ---- invariant 5: verdicts and counters ------------------------------------ */

static bool is_drop_counter(int counter)
{
	return !strncmp(counter_names[counter], "drop_", 5);
}

/*
 * Invariant 5. Every frame moves rx by exactly one, and exactly one outcome:
 *  - XDP_PASS: pass +1, and the frame comes back byte for byte as it went
 *    in (the stack gets it untouched; for a frame for nobody that is
 *    invariant 1's to report);
 *  - XDP_TX / XDP_REDIRECT: forward +1 and tx or redirect (whichever the
 *    verdict is) +1;
 *  - XDP_DROP: exactly one drop_* counter +1, and no other drop_* counter;
 *  - nothing else: XDP_ABORTED or an unknown verdict is always wrong.
 * No drop_* counter moves on a pass or a forward, no counter goes down.
 */
static void check_verdict(struct checker *c, const struct judged *j, bool for_nobody)
{
	const struct run *r = j->r;
	const long long *d = r->delta;
	long long drops = 0;
	int drop_counters = 0;

	for (int i = 0; i < ZLB_C_MAX; i++) {
		if (d[i] < 0)
			check_violation(c, INV_VERDICT, j,
					"counter %s went down by %lld",
					counter_names[i], -d[i]);
		if (is_drop_counter(i) && d[i]) {
			drops += d[i];
			drop_counters++;
		}
	}
	if (d[ZLB_C_RX] != 1)
		check_violation(c, INV_VERDICT, j, "rx %+lld", d[ZLB_C_RX]);
	switch (r->verdict) {
	case XDP_PASS:
		if (d[ZLB_C_PASS] != 1 || d[ZLB_C_FORWARD] || drops)
			check_violation(c, INV_VERDICT, j,
					"XDP_PASS with pass %+lld, forward %+lld, drops %+lld",
					d[ZLB_C_PASS], d[ZLB_C_FORWARD], drops);
		if (!for_nobody && modified(j))
			check_violation(c, INV_VERDICT, j, "XDP_PASS returned a modified frame");
		return;
	case XDP_TX:
	case XDP_REDIRECT:
		if (d[ZLB_C_FORWARD] != 1 || d[ZLB_C_PASS] || drops ||
		    d[r->verdict == XDP_TX ? ZLB_C_TX : ZLB_C_REDIRECT] != 1 ||
		    d[r->verdict == XDP_TX ? ZLB_C_REDIRECT : ZLB_C_TX])
			check_violation(c, INV_VERDICT, j,
					"%s with forward %+lld, tx %+lld, redirect %+lld, pass %+lld, drops %+lld",
					verdict_name(r->verdict), d[ZLB_C_FORWARD], d[ZLB_C_TX],
					d[ZLB_C_REDIRECT], d[ZLB_C_PASS], drops);
		return;
	case XDP_DROP:
		if (drops != 1 || drop_counters != 1 || d[ZLB_C_PASS] || d[ZLB_C_FORWARD])
			check_violation(c, INV_VERDICT, j,
					"XDP_DROP moving %d drop counters by %+lld in all (pass %+lld, forward %+lld)",
					drop_counters, drops, d[ZLB_C_PASS], d[ZLB_C_FORWARD]);
		return;
	}
	check_violation(c, INV_VERDICT, j, "verdict %d (%s)", r->verdict, verdict_name(r->verdict));
}

/* ---- invariant 1: frames for nobody ---------------------------------------- */

/*
 * Invariant 1. Why a frame matches no service and no flow, from the input
 * alone, or NULL when it might be ours. Flow keys are (client -> service
 * address) and (backend -> source address) tuples, and ICMP errors are
 * taken only when sent to the address that sent the quote, a source
 * address or a service address: so an IP packet to any other
 * address matches nothing -- nor an IPv6 packet to an IPv4-mapped address,
 * whatever IPv4 address it maps. Nor does anything the parser leaves to
 * the stack: neither IPv4 nor IPv6 after at most one VLAN tag (ARP, ...),
 * an IP header cut short (IPv4: version not 4 or IHL below 5; IPv6: an
 * extension header beyond the frame or its payload), an IPv4 later
 * fragment, a protocol other than TCP, UDP and ICMP (IPv6: an extension
 * header it does not walk, or a later fragment, goes up unless it is to a
 * service address), an L4 header the frame and the IP length do not both
 * hold (TCP: 20 bytes, data offset 5 or more, and the header it gives;
 * UDP, ICMP: 8), ICMP other than echo, echo
 * reply and the errors (neighbour discovery among them), and an error
 * quoting no IP header (IPv4: 20 bytes and its options; IPv6: 40 and at
 * most 4 hop-by-hop, routing with no segment left, destination-options
 * and fragment headers, within the quoted payload length, not a later
 * fragment's, the ports at most 1290 bytes into the frame) with 8 bytes
 * of TCP or UDP after it, in the frame and within the error's total
 * length.
 */
static const char *for_nobody(const struct checker *c, const struct view *v, char *buf)
{
	uint8_t icmp = v->ip.v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	char a[ZLB_ADDR_LEN];

	if (v->ethertype != ETHERTYPE_IPV4 && v->ethertype != ETHERTYPE_IPV6)
		return "neither IPv4 nor IPv6";
	if (!v->ip.hdr)
		return "no complete IP header";
	if (!v->ip.v6 && v->ip.later)
		return "a later fragment";
	if (!model_is_ours(&c->m, &v->ip.daddr, v->ip.v6)) {
		sprintf(buf, "to %s%s, neither a service nor a source address",
			v->ip.v6 && zlb_addr_is_v4(&v->ip.daddr) ? "::ffff:" : "",
			zlb_fmt_addr(a, &v->ip.daddr));
		return buf;
	}
	/* IPv6 to a service address that the data plane cannot match is
	 * dropped; to a source address it goes up. */
	if (v->ip.v6 && (!v->ip.ok || v->ip.later || v->ip.next > 4))
		return NULL;
	if (v->ip.proto != IPPROTO_TCP && v->ip.proto != IPPROTO_UDP && v->ip.proto != icmp)
		return v->ip.v6 ? NULL : "neither TCP, UDP nor ICMP";
	if (!v->l4_hdr)
		return "the L4 header is cut short";
	if (v->ip.proto == IPPROTO_TCP && v->d[v->ip.l4 + 12] >> 4 < 5)
		return "TCP data offset below 5";
	if (v->ip.proto != icmp)
		return NULL;
	if (v->icmp_type == echo_type(v->ip.v6, true) || v->icmp_type == echo_type(v->ip.v6, false))
		return NULL;
	if (icmp_error_type(v->ip.v6, v->icmp_type))
		return v->error ? NULL : "an ICMP error quoting no TCP/UDP header";
	return "ICMP neither echo nor error";
}

/* Invariant 1: a frame for nobody is XDP_PASS, byte for byte as it came.
 * Returns whether the frame is for nobody. */
static bool check_untouched(struct checker *c, const struct judged *j, const struct view *in)
{
	char buf[128];
	const char *why = for_nobody(c, in, buf);

	if (!why)
		return false;
	if (j->r->verdict != XDP_PASS)
		check_violation(c, INV_UNTOUCHED, j, "%s for nobody (%s)", verdict_name(j->r->verdict), why);
	else if (modified(j))
		check_violation(c, INV_UNTOUCHED, j, "passed modified, for nobody (%s)", why);
	return true;
}

/* ---- forwarded frames ------------------------------------------------------ */

static void allow(bool *may, size_t len, size_t off, size_t n)
{
	for (size_t i = off; i < off + n && i < len; i++)
		may[i] = true;
}

/* Invariant 3, its first part: a forwarded frame is the frame that came
 * in, with only what full NAT rewrites changed -- MACs; TTL (hop limit),
 * addresses and IPv4 header checksum; TCP/UDP ports and checksum; ICMPv6's
 * checksum (it covers the addresses); for an ICMP error its checksum and
 * the quoted addresses, header checksum, ports and L4 checksum. Same
 * length; anything else differs -- IPv6 extension headers too: a stray
 * write. */
static void check_rewrite_only(struct checker *c, const struct judged *j, const struct view *in)
{
	const struct run *r = j->r;
	bool may[FUZZ_FRAME_MAX] = {};
	size_t len = in->len;

	if (r->out_len != len) {
		check_violation(c, INV_ADDRS, j, "forwarded with %zu bytes, came with %zu", r->out_len, len);
		return;
	}
	allow(may, len, 0, 12);
	if (in->ip.v6) {
		allow(may, len, in->ip.l3 + 7, 33);
	} else {
		allow(may, len, in->ip.l3 + 8, 1);
		allow(may, len, in->ip.l3 + 10, 10);
	}
	if (in->ip.proto == IPPROTO_TCP || in->ip.proto == IPPROTO_UDP) {
		allow(may, len, in->ip.l4, 4);
		allow(may, len, l4_csum_off(&in->ip), 2);
	}
	if (in->error || in->ip.proto == IPPROTO_ICMPV6)
		allow(may, len, in->ip.l4 + 2, 2);
	if (in->error) {
		if (in->ip.v6)
			allow(may, len, in->in.l3 + 8, 32);
		else
			allow(may, len, in->in.l3 + 10, 10);
		allow(may, len, in->in.l4, 4);
		allow(may, len, l4_csum_off(&in->in), 2);
	}
	for (size_t i = 0; i < len; i++)
		if (!may[i] && r->out[i] != in->d[i]) {
			check_violation(c, INV_ADDRS, j,
					"byte %zu changed from 0x%02x to 0x%02x",
					i, in->d[i], r->out[i]);
			return;
		}
}

/* Invariant 3, for every forwarded frame: IP of the family it came in,
 * TTL (hop limit) one less (so it came with 2 or more), and sent from the
 * MAC of the interface it leaves by (XDP_TX: the one it came in by). */
static bool check_hop(struct checker *c, const struct judged *j, const struct view *in,
		      const struct view *out)
{
	const uint8_t *smac = j->r->out + 6;
	bool mac_ok;

	if (!in->ip.ok || !out->ip.ok || in->ip.v6 != out->ip.v6) {
		check_violation(c, INV_ADDRS, j, "forwarded a frame that is not IP of its family");
		return false;
	}
	if (in->ip.ttl < 2 || out->ip.ttl != in->ip.ttl - 1)
		check_violation(c, INV_ADDRS, j, "TTL %u became %u", in->ip.ttl, out->ip.ttl);
	if (j->r->verdict == XDP_TX)
		mac_ok = !memcmp(smac, ports[j->in->port].mac, 6);
	else
		mac_ok = !memcmp(smac, ports[VETH0].mac, 6) || !memcmp(smac, ports[VETH2].mac, 6);
	if (!mac_ok)
		check_violation(c, INV_ADDRS, j,
				"sent from MAC %02x:%02x:%02x:%02x:%02x:%02x",
				smac[0], smac[1], smac[2], smac[3], smac[4], smac[5]);
	return true;
}

/*
 * Invariant 2, for one TCP/UDP header (@ip of @in, the same bytes in
 * @out). The sum a checksum verifies -- over the pseudo header and the
 * segment up to the IP total length -- is what an incremental update
 * keeps: a checksum that verified still does, and one that did not stays
 * wrong by the same amount (invalid in => invalid out). Exceptions: a
 * partial checksum (the folded pseudo-header sum, as a veth sender leaves
 * it; outer header only) leaves completed, verifying; a UDP checksum 0
 * ("none") stays 0, and a UDP checksum never becomes 0. No claim when the
 * checksum field lies beyond the IP total length or the segment beyond
 * the frame: no checksum is defined then.
 */
static void check_l4_csum(struct checker *c, const struct judged *j, const char *what,
			  const struct view *in, const struct ip_view *iip,
			  const struct view *out, const struct ip_view *oip, bool outer)
{
	size_t off = l4_csum_off(iip);
	uint16_t was, now;
	int32_t sin, sout;

	if (!off || !iip->end || off + 2 > iip->end)
		return;
	was = get16(in->d + off);
	now = get16(out->d + off);
	sin = l4_sum(in, iip);
	sout = l4_sum(out, oip);
	if (iip->proto == IPPROTO_UDP && !was) {
		if (now)
			check_violation(c, INV_CSUM, j, "%s UDP checksum 0 (none) became 0x%04x", what, now);
		return;
	}
	if (iip->proto == IPPROTO_UDP && !now)
		check_violation(c, INV_CSUM, j, "%s UDP checksum 0x%04x became 0 (none)", what, was);
	if (outer && was == partial_of(in)) {
		if (sout != 0xffff)
			check_violation(c, INV_CSUM, j,
					"%s partial checksum 0x%04x not completed: 0x%04x, sums to 0x%04x",
					what, was, now, sout);
		return;
	}
	if (sin != sout)
		check_violation(c, INV_CSUM, j,
				"%s checksum 0x%04x summing to 0x%04x became 0x%04x summing to 0x%04x%s",
				what, was, sin, now, sout,
				sin == 0xffff ? " (was valid)" : sout == 0xffff ? " (made valid)" : "");
}

/* Invariant 2 for the IPv4 header @iip of @in (@oip in @out) -- IPv6 has
 * no header checksum: the sums are kept (valid stays valid, invalid stays
 * invalid by the same amount). */
static void check_ip_csum(struct checker *c, const struct judged *j, const char *what,
			  const struct view *in, const struct ip_view *iip,
			  const struct view *out, const struct ip_view *oip)
{
	int32_t sin = ip_hdr_sum(in, iip), sout = ip_hdr_sum(out, oip);

	if (!iip->v6 && sin != sout)
		check_violation(c, INV_CSUM, j,
				"%s IPv4 header summing to 0x%04x now sums to 0x%04x%s",
				what, sin, sout, sin == 0xffff ? " (was valid)" : "");
}

static void check_csums(struct checker *c, const struct judged *j, const struct view *in,
			const struct view *out)
{
	int32_t sin, sout;

	check_ip_csum(c, j, "the", in, &in->ip, out, &out->ip);
	if (in->ip.later)
		return;
	if (!is_echo_proto(in->ip.proto)) {
		check_l4_csum(c, j, "the", in, &in->ip, out, &out->ip, true);
		return;
	}
	sin = icmp_sum(in);
	sout = icmp_sum(out);
	/* ICMPv6's sum covers the addresses: kept only when it covers its
	 * checksum field too (no claim when that lies beyond the payload
	 * length, as for TCP and UDP). */
	if ((!in->ip.v6 || (in->ip.end && in->ip.l4 + 4 <= in->ip.end)) && sin != sout)
		check_violation(c, INV_CSUM, j,
				"ICMP message summing to 0x%04x (ICMPv6: with its pseudo header) now "
				"sums to 0x%04x%s",
				sin, sout, sin == 0xffff ? " (was valid)" : "");
	if (!in->error)
		return;
	check_ip_csum(c, j, "the quoted", in, &in->in, out, &out->in);
	/* The quoted segment's checksum, when the quote holds all of it. */
	if (in->in.end && in->ip.end && in->in.end <= in->ip.end)
		check_l4_csum(c, j, "the quoted", in, &in->in, out, &out->in, false);
}

/* Invariant 3 (the flow's part): the connection table holds the way back
 * -- the entry keyed by the reverse of the tuple that left translates to
 * the reverse of the tuple that came, in the other direction, for the
 * same service and backend. */
static void check_way_back(struct checker *c, const struct judged *j, struct zlb_ct_key back,
			   const struct zlb_ct_key *came, int dir, const struct fz_service *s,
			   const struct fz_backend *b)
{
	struct zlb_ct_entry e;
	char a[ZLB_ADDR_PORT_LEN], d[ZLB_ADDR_PORT_LEN];

	if (zlb_ct_lookup(&c->lb->maps, &back, &e)) {
		check_violation(c, INV_ADDRS, j, "no way back: no entry %s -> %s",
				zlb_fmt_addr_port(a, &back.saddr, back.sport),
				zlb_fmt_addr_port(d, &back.daddr, back.dport));
		return;
	}
	if (!zlb_addr_equal(&e.saddr, &came->daddr) || !zlb_addr_equal(&e.daddr, &came->saddr) ||
	    e.sport != came->dport ||
	    e.dport != came->sport || e.dir != dir || e.service_id != s->id ||
	    e.backend_id != b->id)
		check_violation(c, INV_ADDRS, j,
				"the way back leads elsewhere (dir %u, service %u, backend %u)",
				e.dir, e.service_id, e.backend_id);
}

static struct zlb_ct_key tuple_of(const struct view *v)
{
	return ct_key(&v->ip.saddr, &v->ip.daddr, v->sport, v->dport, v->ip.proto);
}

static struct zlb_ct_key reversed(const struct zlb_ct_key *k)
{
	struct zlb_ct_key r = {
		.saddr = k->daddr, .daddr = k->saddr, .sport = k->dport, .dport = k->sport,
		.proto = k->proto,
	};

	return r;
}

/*
 * Invariant 3 for a TCP/UDP/echo packet, by direction. Towards a service
 * (its address, port and protocol; ICMP: an echo request to an address
 * that answers echo): it leaves for one of that service's backends (its
 * address and port; echo keeps the identifier), from the source address
 * that backend uses, from a port in the SNAT range. From anything else
 * (an answer): it came from a backend of the service it now leaves from
 * (address and port; ICMP: an echo reply from an echo address), to the
 * source address that backend uses, and leaves for a tracked client: the
 * way back is in the table.
 */
static void check_nat(struct checker *c, const struct judged *j, const struct view *in,
		      const struct view *out)
{
	uint8_t proto = in->ip.proto;
	bool v6 = in->ip.v6, echo = is_echo_proto(proto);
	bool towards = echo ? in->icmp_type == echo_type(v6, true) :
		       model_service(&c->m, &in->ip.daddr, v6, in->dport, proto) != NULL;
	const struct fz_service *s = towards ?
		model_service(&c->m, &in->ip.daddr, v6, in->dport, proto) :
		model_service(&c->m, &out->ip.saddr, v6, out->sport, proto);
	struct zlb_ct_key came = tuple_of(in), left = tuple_of(out);
	const struct fz_backend *b;
	char a[ZLB_ADDR_PORT_LEN];

	if (echo && in->icmp_type != echo_type(v6, true) && in->icmp_type != echo_type(v6, false)) {
		check_violation(c, INV_ADDRS, j, "forwarded ICMP type %u", in->icmp_type);
		return;
	}
	if (!s) {
		check_violation(c, INV_ADDRS, j, "%s %s, no service", towards ? "to" : "from",
				towards ? zlb_fmt_addr_port(a, &in->ip.daddr, htons(in->dport)) :
				zlb_fmt_addr_port(a, &out->ip.saddr, htons(out->sport)));
		return;
	}
	b = towards ? model_backend(s, &out->ip.daddr, out->dport, proto) :
		      model_backend(s, &in->ip.saddr, in->sport, proto);
	if (!b) {
		check_violation(c, INV_ADDRS, j, "%s no backend of service %u", towards ? "to" : "from", s->id);
		return;
	}
	if (!model_source_ok(b, towards ? &out->ip.saddr : &in->ip.daddr))
		check_violation(c, INV_ADDRS, j, "not the source address of backend %u", b->id);
	if (towards && !echo &&
	    (out->sport < c->m.snat_min || out->sport > c->m.snat_max))
		check_violation(c, INV_ADDRS, j, "source port %u outside the SNAT range", out->sport);
	check_way_back(c, j, reversed(&left), &came,
		       towards ? ZLB_CT_DIR_REPLY : ZLB_CT_DIR_ORIG, s, b);
}

/*
 * Invariant 3 for a forwarded ICMP error. It came to the address that
 * sent the quote and leaves for the flow's other side, quoting that
 * side's packet: from the backend side (to a source address, quoting a
 * packet from there to a backend) it leaves from a service address to a
 * tracked client, quoting the client's packet to the service; from the
 * client side (to a service address, quoting an answer to the client) it
 * leaves from a source address to the backend, quoting the backend's
 * packet. The quoted tuple that leaves is in the table (original
 * direction, or reply), and translates to the quoted tuple that came.
 */
static void check_error_nat(struct checker *c, const struct judged *j, const struct view *in,
			    const struct view *out)
{
	struct zlb_ct_key came = ct_key(&in->in.saddr, &in->in.daddr, in->in_sport, in->in_dport,
					in->in.proto);
	struct zlb_ct_key left = ct_key(&out->in.saddr, &out->in.daddr, out->in_sport,
					out->in_dport, out->in.proto);
	/* from the client side: the service sent the quote */
	const struct fz_service *cs = model_service(&c->m, &in->in.saddr, in->in.v6, in->in_sport,
						    in->in.proto);
	const struct fz_service *s = cs ? cs : model_service(&c->m, &out->in.daddr, out->in.v6,
							     out->in_dport, out->in.proto);
	const struct fz_backend *b = !s ? NULL :
		cs ? model_backend(s, &out->in.saddr, out->in_sport, out->in.proto) :
		     model_backend(s, &in->in.daddr, in->in_dport, in->in.proto);

	if (!s || !b) {
		check_violation(c, INV_ADDRS, j, "ICMP error quoting no flow of a service");
		return;
	}
	if (!zlb_addr_equal(&in->ip.daddr, &in->in.saddr) ||
	    (!cs && !model_source_ok(b, &in->ip.daddr)))
		check_violation(c, INV_ADDRS, j, "ICMP error to an address that did not send the quote");
	if (cs && !model_source_ok(b, &out->ip.saddr))
		check_violation(c, INV_ADDRS, j, "not the source address of backend %u", b->id);
	if (!zlb_addr_equal(&out->ip.saddr, &out->in.daddr) ||
	    !zlb_addr_equal(&out->ip.daddr, &out->in.saddr))
		check_violation(c, INV_ADDRS, j, "ICMP error leaves between other addresses than it quotes");
	came = reversed(&came);
	check_way_back(c, j, left, &came, cs ? ZLB_CT_DIR_REPLY : ZLB_CT_DIR_ORIG, s, b);
}

/* A flow the frame opened, for the generator's later frames. */
static void opened_flow(const struct judged *j, const struct view *in, const struct view *out,
			struct flow *f)
{
	memset(f, 0, sizeof(*f));
	f->proto = in->ip.proto;
	f->client = in->ip.saddr;
	f->vip = in->ip.daddr;
	f->backend = out->ip.daddr;
	f->src = out->ip.saddr;
	f->cport = in->sport;
	f->sport = out->sport;
	if (!is_echo_proto(f->proto)) {
		f->vport = in->dport;
		f->bport = out->dport;
	}
	f->client_port = j->in->port;
	f->backend_port = !memcmp(j->r->out + 6, ports[VETH0].mac, 6) ? VETH0 : VETH2;
	memcpy(f->client_mac, in->d + 6, 6);
	memcpy(f->backend_mac, j->r->out, 6);
}

static void check_forwarded(struct checker *c, const struct judged *j, const struct view *in,
			    const struct view *out)
{
	if (!check_hop(c, j, in, out))
		return;
	check_rewrite_only(c, j, in);
	check_csums(c, j, in, out);
	if (is_echo_proto(in->ip.proto) && in->error)
		check_error_nat(c, j, in, out);
	else if (in->l4_hdr)
		check_nat(c, j, in, out);
	else
		check_violation(c, INV_ADDRS, j, "forwarded a packet without an L4 header");
}

bool check_frame(struct checker *c, const struct gen_frame *f, const struct run *r,
		 struct flow *opened)
{
	const struct judged j = { f, r };
	bool fwd = r->verdict == XDP_TX || r->verdict == XDP_REDIRECT;
	struct view in, out;
	struct zlb_ct_key k;

	view_frame(&in, f->data, f->len);
	view_frame(&out, r->out, r->out_len);
	check_verdict(c, &j, check_untouched(c, &j, &in));
	if (fwd)
		check_forwarded(c, &j, &in, &out);
	if (!r->delta[ZLB_C_NEW_FLOW])
		return false;
	/* Invariant 4, as it happens: a flow opens only for a frame that
	 * leaves, translated; its original tuple is remembered as justified. */
	if (!fwd || !in.l4_hdr || r->delta[ZLB_C_NEW_FLOW] != 1) {
		check_violation(c, INV_TABLE, &j,
				"new_flow %+lld for a frame that did not leave",
				r->delta[ZLB_C_NEW_FLOW]);
		return false;
	}
	k = tuple_of(&in);
	keyset_add(&c->opened, &k, 0);
	opened_flow(&j, &in, &out, opened);
	return true;
}
