// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"

const char *zlb_fmt_addr(char *buf, const union zlb_addr *addr)
{
	if (zlb_addr_is_v4(addr))
		return inet_ntop(AF_INET, &addr->v4, buf, ZLB_ADDR_LEN);
	return inet_ntop(AF_INET6, addr->b, buf, ZLB_ADDR_LEN);
}

const char *zlb_fmt_addr_port(char *buf, const union zlb_addr *addr, __be16 port)
{
	char a[ZLB_ADDR_LEN];

	snprintf(buf, ZLB_ADDR_PORT_LEN, zlb_addr_is_v4(addr) ? "%s:%u" : "[%s]:%u",
		 zlb_fmt_addr(a, addr), ntohs(port));
	return buf;
}

bool zlb_parse_addr(const char *s, union zlb_addr *addr)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		zlb_addr_set_v4(addr, a4.s_addr);
		return true;
	}
	return inet_pton(AF_INET6, s, addr->b) == 1;
}
