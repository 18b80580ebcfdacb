// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"

/* Decimal digits of @v at @p; returns the end. */
static char *put_u(char *p, unsigned int v)
{
	char tmp[10];
	int n = 0;

	do
		tmp[n++] = '0' + v % 10;
	while ((v /= 10));
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* a.b.c.d at @p, by hand: zlb-ct prints millions (inet_ntop and printf
 * were most of its time). Returns the end. */
static char *put_v4(char *p, __be32 v4)
{
	const unsigned char *b = (const unsigned char *)&v4;

	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_u(p, b[i]);
	}
	return p;
}

const char *zlb_fmt_addr(char *buf, const union zlb_addr *addr)
{
	if (zlb_addr_is_v4(addr)) {
		*put_v4(buf, addr->v4) = 0;
		return buf;
	}
	return inet_ntop(AF_INET6, addr->b, buf, ZLB_ADDR_LEN);
}

const char *zlb_fmt_addr_port(char *buf, const union zlb_addr *addr, __be16 port)
{
	char *p = buf;

	if (zlb_addr_is_v4(addr)) {
		p = put_v4(p, addr->v4);
	} else {
		*p++ = '[';
		inet_ntop(AF_INET6, addr->b, p, ZLB_ADDR_LEN);
		p += strlen(p);
		*p++ = ']';
	}
	*p++ = ':';
	*put_u(p, ntohs(port)) = 0;
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
