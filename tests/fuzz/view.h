/* SPDX-License-Identifier: GPL-2.0 */
/* The fuzzer's own reading of a frame: where its headers are, what they
 * say, and the one's-complement sums its checksums cover. Written apart
 * from the data plane's parser, so the two can disagree. */
#ifndef ZLB_FUZZ_VIEW_H
#define ZLB_FUZZ_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zlb_addr.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8

#define ICMP_ECHOREPLY_T 0
#define ICMP_UNREACH_T   3
#define ICMP_ECHO_T      8
#define ICMP_TIMXCEED_T  11

#define ICMP6_UNREACH_T  1
#define ICMP6_TOOBIG_T   2
#define ICMP6_TIMXCEED_T 3
#define ICMP6_ECHO_T     128
#define ICMP6_ECHOREPLY_T 129

/* An IPv4 or IPv6 header and what follows it, inside a frame. Offsets
 * count from the start of the frame. */
struct ip_view {
	bool ok;                /* IPv4: version 4, IHL >= 5, whole header in the frame;
				 * IPv6: version 6, the fixed header and the extension
				 * headers walked in the frame and its payload */
	bool v6;
	bool hdr;               /* IPv4: as ok; IPv6: the fixed header (its addresses) is
				 * in the frame, though ok may not be */
	size_t l3, l4;          /* header and payload (after IPv6 extension headers) */
	size_t tot_len;         /* IPv4's total length; IPv6: 40 + payload length */
	size_t end;             /* l3 + tot_len; 0 when the frame ends before it or
				 * it is shorter than the headers */
	uint8_t proto, ttl;     /* IPv6: the next header after those walked, hop limit */
	uint16_t frag;          /* IPv4: flags and offset */
	bool fragment, later;   /* a fragment; one after the first (no L4 header) */
	unsigned int next;      /* IPv6 extension headers walked */
	union zlb_addr saddr, daddr;    /* IPv4: IPv4-mapped */
};

struct view {
	const uint8_t *d;
	size_t len;
	uint16_t ethertype;     /* after at most one 802.1Q/802.1ad tag; 0: none */
	struct ip_view ip;
	/* The L4 header as far as the frame holds it (ports: ICMP echo gives
	 * the identifier in both), and for an ICMP error its quoted packet. */
	bool l4_hdr;
	uint16_t sport, dport;
	uint8_t tcp_flags, icmp_type;
	bool error;             /* ICMP error quoting IPv4 and its options (ICMPv6:
				 * IPv6 and at most 4 extension headers walked, not a
				 * later fragment) and 8 TCP/UDP bytes, all in the
				 * frame and within the total length */
	struct ip_view in;
	uint16_t in_sport, in_dport;
};

void view_frame(struct view *v, const uint8_t *d, size_t len);

/* The ICMP (@v6: ICMPv6) errors that quote a packet. */
bool icmp_error_type(bool v6, uint8_t type);
/* Echo request (@request) or reply of ICMP or (@v6) ICMPv6. */
uint8_t echo_type(bool v6, bool request);
/* ICMP or ICMPv6: the protocols of echo (and of errors). */
bool is_echo_proto(uint8_t proto);

uint16_t get16(const uint8_t *p);
uint32_t get32(const uint8_t *p);
void put16(uint8_t *p, uint16_t v);

/* One's complement sums, folded to 16 bits (0xffff: a checksum that
 * verifies). -1 when the bytes they cover are not all in the frame. */
int32_t ip_hdr_sum(const struct view *v, const struct ip_view *ip);
/* TCP/UDP: pseudo header and the segment up to the IP total length. */
int32_t l4_sum(const struct view *v, const struct ip_view *ip);
/* ICMP: the message up to the IP total length (ICMPv6: with the pseudo
 * header). */
int32_t icmp_sum(const struct view *v);

/* The folded pseudo-header sum a partial checksum holds, computed the way
 * the data plane does: the L4 length is the IP total length less the
 * header, modulo 2^16. */
uint16_t partial_of(const struct view *v);

/* Offset of the TCP/UDP checksum field of @ip's payload; 0: none. */
size_t l4_csum_off(const struct ip_view *ip);

#endif
