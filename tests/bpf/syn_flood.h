/* SPDX-License-Identifier: GPL-2.0 */
/* What tests/e2e/syn-flood tells tests/bpf/syn_flood.bpf.c (its .rodata). */
#ifndef ZLB_TEST_SYN_FLOOD_H
#define ZLB_TEST_SYN_FLOOD_H

#include <linux/types.h>

/* Addresses and ports in host order. SYN n comes from saddr + n / nports,
 * port sport + n % nports. */
struct syn_flood_cfg {
	__u8 dmac[6];
	__u8 smac[6];
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u32 nports;
};

#endif
