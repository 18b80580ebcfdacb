/* SPDX-License-Identifier: GPL-2.0 */
/* union zlb_addr as text: how every tool prints and reads an address of
 * either family ("10.0.0.1", "fd00::1"; "10.0.0.1:23", "[fd00::1]:23"). */
#ifndef ZLB_ADDR_TEXT_H
#define ZLB_ADDR_TEXT_H

#include <stdbool.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "zlb_addr.h"

#define ZLB_ADDR_LEN      INET6_ADDRSTRLEN
#define ZLB_ADDR_PORT_LEN (INET6_ADDRSTRLEN + 8)   /* "[" ADDR "]:65535" */

/* AF_INET or AF_INET6. */
static inline int zlb_addr_family(const union zlb_addr *a)
{
	return zlb_addr_is_v4(a) ? AF_INET : AF_INET6;
}

/* "10.0.0.1" or "fd00::1"; @buf holds ZLB_ADDR_LEN bytes. */
const char *zlb_fmt_addr(char *buf, const union zlb_addr *addr);
/* "10.0.0.1:23" or "[fd00::1]:23" (port in network order); @buf holds
 * ZLB_ADDR_PORT_LEN bytes. */
const char *zlb_fmt_addr_port(char *buf, const union zlb_addr *addr, __be16 port);

/* An address in the usual notation of either family (no brackets): true
 * on success. IPv4 is stored IPv4-mapped. */
bool zlb_parse_addr(const char *s, union zlb_addr *addr);

#endif
