/* SPDX-License-Identifier: GPL-2.0 */
/* Test frames: a packet described field by field (struct pkt) becomes the
 * bytes on the wire, IPv4 or IPv6, with every checksum computed from
 * scratch -- full one's-complement sums over header and pseudo-header,
 * independent of the data plane's incremental updates. Also the reverse (a
 * one-line summary of a frame, checksums verified) and a hex diff of two
 * frames. */
#ifndef ZLB_TEST_FRAMES_H
#define ZLB_TEST_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#define FRAME_MAX 2048
#define PKT_PAYLOAD_MAX 1500
#define PKT_IPOPT_MAX 40

/* An IPv4 address in host order: IP4(10, 0, 0, 1). */
#define IP4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* An IPv6 address from its eight groups: IP6(0xfd00, 0, 0, 0, 0, 0, 0, 2)
 * is fd00::2. */
#define IP6_GROUP(g) (uint8_t)((g) >> 8), (uint8_t)(g)
#define IP6(a, b, c, d, e, f, g, h) \
	((struct in6_addr){ .s6_addr = { IP6_GROUP(a), IP6_GROUP(b), IP6_GROUP(c), IP6_GROUP(d), \
					 IP6_GROUP(e), IP6_GROUP(f), IP6_GROUP(g), IP6_GROUP(h) } })

/* IPv4 flags, in pkt.frag together with the offset (8-byte units). */
#define PKT_DF 0x4000
#define PKT_MF 0x2000

/* TCP flags (pkt.tcp_flags). */
#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10

enum pkt_kind {
	PKT_IPV4,       /* IPv4 carrying pkt.proto */
	PKT_IPV6,       /* IPv6, its extension headers (pkt.ext), then pkt.proto */
	PKT_ARP,        /* ARP for IPv4 over Ethernet */
	PKT_RAW,        /* pkt.ethertype, then the payload as it is */
};

/* IPv6 extension headers, in the order they follow the fixed header. The
 * builder fills their bodies: hop-by-hop and destination options with one
 * PadN option, routing with type 253 (experimental) and no segment left,
 * AH with SPI 0x100, sequence 1 and a zero ICV, any other type with zeros
 * after its first two bytes. */
#define PKT_EXT_MAX 8
#define PKT_EXT_M 0x0001        /* fragment header: more fragments */

struct pkt_ext {
	uint8_t type;           /* its next-header value: IPPROTO_HOPOPTS, IPPROTO_ROUTING,
				 * IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_AH, other */
	uint8_t len;            /* bytes in all: a multiple of 8, at least 8 (AH: of 4, at
				 * least 12; fragment: 8) */
	uint16_t frag;          /* fragment: offset (8-byte units) << 3 | PKT_EXT_M */
	uint32_t frag_id;       /* fragment: identification */
	uint8_t segs_left;      /* routing: segments left */
};

/* Every number in host order; the builder writes network order. */
struct pkt {
	uint8_t dmac[6];
	uint8_t smac[6];
	bool vlan;              /* one 802.1Q tag ... */
	uint16_t vlan_tci;      /* ... with this TCI */
	enum pkt_kind kind;

	/* IPv4 */
	uint32_t saddr, daddr;
	uint8_t tos, ttl, proto;
	uint16_t ip_id;
	uint16_t frag;          /* PKT_DF | PKT_MF | offset */
	uint8_t ip_opts[PKT_IPOPT_MAX];
	size_t ip_optlen;       /* a multiple of 4 */

	/* IPv6: tos is the traffic class, ttl the hop limit, proto the
	 * upper-layer protocol after the extension headers */
	struct in6_addr saddr6, daddr6;
	uint32_t flow_label;
	struct pkt_ext ext[PKT_EXT_MAX];
	size_t next;            /* extension headers in ext */

	/* TCP and UDP */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint16_t window;
	bool udp_no_csum;       /* send UDP checksum 0 ("none") */
	/* Leave the TCP/UDP checksum partial, as a veth sender with
	 * tx-checksumming on does: the field holds the folded one's-complement
	 * sum of the pseudo header, not complemented, and covers no data. */
	bool l4_csum_partial;

	/* ICMP and ICMPv6: echo when icmp_type is 0 or 8 (ICMPv6: 128 or
	 * 129), else id/seq fill the "rest of header" word as they would for
	 * echo (packet too big: the MTU's high and low halves) */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;

	/* Not in the frame: for a backend's answer, the client port its flow
	 * came from (the test's note of the translation, 0: none). */
	uint16_t client_port;

	/* ARP */
	uint16_t arp_op;
	uint8_t sha[6], tha[6];
	uint32_t spa, tpa;

	/* PKT_RAW */
	uint16_t ethertype;

	uint8_t payload[PKT_PAYLOAD_MAX];
	size_t payload_len;
};

struct frame {
	uint8_t data[FRAME_MAX];
	size_t len;
	size_t csum_off;        /* of the L4 checksum field; 0: none */
};

/* Build @p into @f. Aborts on a description that cannot be built (a test
 * bug, not a data-plane failure). */
void frame_build(struct frame *f, const struct pkt *p);

/* Set the payload of @p. */
void pkt_set_payload(struct pkt *p, const void *data, size_t len);

/* Add an extension header to IPv6 packet @p (after those it has). */
void pkt_add_ext(struct pkt *p, uint8_t type, uint8_t len);
/* Add a fragment header: @offset in 8-byte units, @more: the M flag. */
void pkt_add_frag(struct pkt *p, uint16_t offset, bool more, uint32_t id);

/* The two bytes of the L4 checksum field of @f, as they lie in the frame
 * (TCP, UDP, ICMP and ICMPv6 frames only). */
void frame_l4_csum(const struct frame *f, uint8_t csum[2]);

/* The one's-complement sum of big-endian 16-bit words (an odd last byte
 * padded with zero), not yet folded; and its fold to 16 bits. */
uint64_t sum16(uint64_t sum, const uint8_t *p, size_t len);
uint16_t fold(uint64_t sum);

/* The folded one's-complement sum of the TCP/UDP pseudo header (addresses
 * and L4 length in host order): what a partial checksum holds. */
uint16_t pseudo_csum(uint32_t saddr, uint32_t daddr, uint8_t proto, size_t l4len);

/* The folded one's-complement sum over the pseudo header and the whole
 * TCP/UDP segment of an IPv4 or IPv6 frame (no fragment), checksum field
 * as it lies: 0xffff when the checksum is right. 0, or -1 when @data is no
 * such frame. */
int frame_l4_sum(const uint8_t *data, size_t len, uint16_t *sum);

/* Make @icmp's payload what an ICMP or ICMPv6 error about @inner quotes:
 * @inner's IP header (IPv4 options, IPv6 extension headers included) and
 * the first @l4_bytes of what follows it (all of it when it is shorter). */
void pkt_quote(struct pkt *icmp, const struct pkt *inner, size_t l4_bytes);

/* Parse the tuple of an IPv4 TCP/UDP frame: 0, or -1 when it is none. */
int frame_tuple(const uint8_t *data, size_t len, uint32_t *saddr, uint16_t *sport,
		uint32_t *daddr, uint16_t *dport);
/* The same for an IPv6 TCP/UDP frame (extension headers skipped). */
int frame_tuple6(const uint8_t *data, size_t len, struct in6_addr *saddr, uint16_t *sport,
		 struct in6_addr *daddr, uint16_t *dport);

/* A one-line summary: MACs, tag, addresses, ports, flags, TTL (hop limit
 * and extension headers) and whether each checksum is right. */
void frame_describe(const uint8_t *data, size_t len, char *buf, size_t size);

/* Print where @got differs from @want: both summaries, then each 16-byte
 * row that differs, with the differing bytes marked. Lines start with
 * @prefix. */
void frame_diff(FILE *out, const char *prefix, const uint8_t *want, size_t want_len,
		const uint8_t *got, size_t got_len);

#endif
