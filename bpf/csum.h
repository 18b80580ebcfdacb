/* SPDX-License-Identifier: GPL-2.0 */
/* Internet checksums. Updates are incremental (RFC 1624, eqn. 3):
 * HC' = ~(~HC + ~m + m'); the sum is byte-order independent as long as
 * every operand is taken as it lies in the packet. A partial checksum -- a
 * veth sender's, left for the "hardware" -- is completed instead. */
#ifndef ZLB_BPF_CSUM_H
#define ZLB_BPF_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u32 csum_add32(__u32 sum, __u32 v)
{
	return sum + (v & 0xffff) + (v >> 16);
}

/* Replace a 32-bit word (an address) covered by *@csum. */
static __always_inline void csum_replace4(__sum16 *csum, __u32 from, __u32 to)
{
	__u32 sum = (__u16)~*csum;

	sum = csum_add32(sum, ~from);
	sum = csum_add32(sum, to);
	*csum = ~csum_fold32(sum);
}

/* Replace a 16-bit word (a port, TTL/protocol) covered by *@csum. */
static __always_inline void csum_replace2(__sum16 *csum, __u16 from, __u16 to)
{
	__u32 sum = (__u16)~*csum;

	sum += (__u16)~from;
	sum += to;
	*csum = ~csum_fold32(sum);
}

/* The TCP/UDP pseudo-header sum, folded: what a partial checksum holds. */
static __always_inline __u16 csum_pseudo(__be32 saddr, __be32 daddr, __u8 proto, __u16 len)
{
	__u32 sum = csum_add32(0, saddr);

	sum = csum_add32(sum, daddr);
	sum += bpf_htons(proto);
	sum += bpf_htons(len);
	return csum_fold32(sum);
}

/* The same over the IPv6 pseudo-header (RFC 8200 8.1), folded. */
static __always_inline __u16 csum_pseudo6(const __be32 *saddr, const __be32 *daddr, __u8 proto,
					  __u32 len)
{
	__u32 sum = 0;

	for (int i = 0; i < 4; i++) {
		sum = csum_add32(sum, saddr[i]);
		sum = csum_add32(sum, daddr[i]);
	}
	sum = csum_add32(sum, bpf_htonl(len));
	sum += bpf_htons(proto);
	return csum_fold32(sum);
}

/* Add to @sum what a checksum over the word @from must take in when it
 * becomes @to: ~from + to (RFC 1624). Apply with csum_apply_diff(). */
static __always_inline __u32 csum_diff32(__u32 sum, __u32 from, __u32 to)
{
	return csum_add32(csum_add32(sum, ~from), to);
}

static __always_inline __u32 csum_diff16(__u32 sum, __u16 from, __u16 to)
{
	return sum + (__u16)~from + to;
}

/* Fold a difference into the checksum *@csum. */
static __always_inline void csum_apply_diff(__sum16 *csum, __u32 diff)
{
	__u32 sum = (__u16)~*csum;

	sum = csum_add32(sum, diff);
	*csum = ~csum_fold32(sum);
}

/* A NAT's change to an L4 checksum, for the hook's ctx_l4_update(). */
struct zlb_l4_update {
	__u32 addr_diff;         /* csum_diff32() of the addresses (pseudo-header) */
	__u32 port_diff;         /* csum_diff16() of the ports */
	__u16 check_off;         /* the checksum field, from the frame's start */
	__u16 l3_off;            /* the IP header */
	__u16 l4_off;            /* the L4 header */
	__u16 len;               /* the L4 segment's length */
	__u16 pseudo;            /* the old pseudo-header sum (TCP/UDP) */
	__u8 proto;
	__u8 ipv6;
};

#define ZLB_CSUM_CHUNK 64
#define ZLB_CSUM_MAX_CHUNKS 64  /* 4 KiB: any frame XDP gets on one page */

/* One's-complement sum of the @len bytes at @p (inside the packet ending at
 * @end), folded to 16 bits. -1 when the bytes are not all in the frame.
 * Kept in 64 bits: bpf_csum_diff() returns a 32-bit sum on some kernels,
 * and a carry out of 32 bits must not be lost. */
static __always_inline __s64 csum_bytes(void *p, void *end, __u32 len)
{
	__u32 off = 0, i;
	__u64 sum = 0;
	__s64 r;

	/* what the loops below can cover; the bound also keeps every offset
	 * small for the verifier, whatever the compiler makes of them */
	if (len > ZLB_CSUM_MAX_CHUNKS * ZLB_CSUM_CHUNK + ZLB_CSUM_CHUNK + 1)
		return -1;

	for (i = 0; i < ZLB_CSUM_MAX_CHUNKS; i++) {
		if (off + ZLB_CSUM_CHUNK > len)
			break;
		if (p + off + ZLB_CSUM_CHUNK > end)
			return -1;
		r = bpf_csum_diff(NULL, 0, p + off, ZLB_CSUM_CHUNK, 0);
		if (r < 0)
			return -1;
		sum += (__u32)r;
		off += ZLB_CSUM_CHUNK;
	}
	for (i = 0; i < ZLB_CSUM_CHUNK / 2; i++) {
		if (off + 2 > len)
			break;
		if (p + off + 2 > end)
			return -1;
		sum += *(__u16 *)(p + off);
		off += 2;
	}
	if (off < len) {
		__u16 last = 0;

		if (p + off + 1 > end)
			return -1;
		/* the odd last byte, padded with a zero byte */
		*(__u8 *)&last = *(__u8 *)(p + off);
		sum += last;
		off++;
	}
	if (off != len)
		return -1;
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return csum_fold32(sum);
}

#endif
