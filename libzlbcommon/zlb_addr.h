/* SPDX-License-Identifier: GPL-2.0 */
/* union zlb_addr (zlb_abi.h): an address of either family, IPv4 kept
 * IPv4-mapped. Small helpers for the data plane and the tools alike. */
#ifndef ZLB_ADDR_H
#define ZLB_ADDR_H

#include <linux/types.h>
#include "zlb_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* htonl(0xffff), in either byte order of the host */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ZLB_V4_MAPPED_WORD 0xffff0000u
#else
#define ZLB_V4_MAPPED_WORD 0x0000ffffu
#endif

static __always_inline void zlb_addr_set_v4(union zlb_addr *a, __be32 v4)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = ZLB_V4_MAPPED_WORD;
	a->w[3] = v4;
}

static __always_inline union zlb_addr zlb_addr_v4(__be32 v4)
{
	union zlb_addr a;

	zlb_addr_set_v4(&a, v4);
	return a;
}

static __always_inline int zlb_addr_is_v4(const union zlb_addr *a)
{
	return !a->w[0] && !a->w[1] && a->w[2] == ZLB_V4_MAPPED_WORD;
}

static __always_inline int zlb_addr_is_zero(const union zlb_addr *a)
{
	return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

static __always_inline int zlb_addr_equal(const union zlb_addr *a, const union zlb_addr *b)
{
	return !((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
		 (a->w[3] ^ b->w[3]));
}

#endif
