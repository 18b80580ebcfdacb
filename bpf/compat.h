/* SPDX-License-Identifier: GPL-2.0 */
/* Constants the BPF side needs that Debian 12's headers lack or that live in
 * headers not usable from BPF. */
#ifndef ZLB_BPF_COMPAT_H
#define ZLB_BPF_COMPAT_H

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

/* Branch hints: the established flow's path is laid out straight, the
 * rest (new flows, errors, drops) after it, so that a packet of an
 * established flow runs through few instruction cache lines. */
#define zlb_likely(x)   __builtin_expect(!!(x), 1)
#define zlb_unlikely(x) __builtin_expect(!!(x), 0)

/* Kernel 6.7 added BPF_FIB_LOOKUP_SRC; Linux 6.1's uapi header lacks it. */
#define ZLB_FIB_LOOKUP_SRC (1U << 4)

#endif
