/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ZLB_BPF_STATS_H
#define ZLB_BPF_STATS_H

#include "ctx_xdp.h"

static __always_inline void count(__u32 counter)
{
	__u64 *v = bpf_map_lookup_elem(&zlb_stats, &counter);

	if (v)
		*v += 1;
}

/* Count @counter and return ZLB_DROP: one line per drop reason. */
static __always_inline int drop(__u32 counter)
{
	count(counter);
	return ZLB_DROP;
}

#endif
