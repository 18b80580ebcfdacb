/* SPDX-License-Identifier: GPL-2.0 */
/* Incremental Internet checksum updates (RFC 1624, eqn. 3):
 * HC' = ~(~HC + ~m + m'). The sum is byte-order independent as long as
 * every operand is taken as it lies in the packet. */
#ifndef ZLB_BPF_CSUM_H
#define ZLB_BPF_CSUM_H

#include <linux/types.h>

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

#endif
