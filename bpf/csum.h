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
