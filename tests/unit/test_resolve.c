// SPDX-License-Identifier: GPL-2.0
/* The route memo (resolve.h): each destination is asked once for the
 * time of a load, its answer (or its failure, with the message) given back
 * for every later question, whatever the collisions in its table; asked
 * for more destinations than it was sized for, it still answers right.
 * The kernel's part is a test lookup that counts its calls and answers by
 * a rule the test knows. Needs no root. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "resolve.h"

struct fake {
	unsigned calls;
	unsigned calls_for[256];       /* by the address's last byte */
};

/* 10.0.0.X routes out of ifindex X via 10.0.1.X from 10.0.2.X, but for X
 * a multiple of 7, which has no route; IPv6 2001:db8::X likewise, from
 * ifindex 1000 + X. */
static int fake_lookup(void *ctx, const union zlb_addr *dst, struct zlb_route_info *out,
		       struct zlb_err *err)
{
	struct fake *f = ctx;
	__u8 x = dst->b[15];

	f->calls++;
	f->calls_for[x]++;
	memset(out, 0, sizeof(*out));
	if (x % 7 == 0) {
		zlb_err_set(err, "no route to host %u", x);
		return -1;
	}
	if (zlb_addr_is_v4(dst)) {
		out->oif = x;
		out->gateway = zlb_addr_v4(htonl(0x0a000100u | x));
		out->prefsrc = zlb_addr_v4(htonl(0x0a000200u | x));
	} else {
		out->oif = 1000 + x;
	}
	return 0;
}

static union zlb_addr v4(__u8 x)
{
	return zlb_addr_v4(htonl(0x0a000000u | x));
}

static union zlb_addr v6(__u8 x)
{
	union zlb_addr a = {};

	a.b[0] = 0x20;
	a.b[1] = 0x01;
	a.b[2] = 0x0d;
	a.b[3] = 0xb8;
	a.b[15] = x;
	return a;
}

/* Every answer as the rule says: @x routed or not, with its message. */
static bool answer_ok(const union zlb_addr *dst, int rc, const struct zlb_route_info *rt,
		      const struct zlb_err *err)
{
	__u8 x = dst->b[15];
	char msg[64];

	if (x % 7 == 0) {
		snprintf(msg, sizeof(msg), "no route to host %u", x);
		CHECK(rc == -1 && !strcmp(err->msg, msg), "%u: rc %d, '%s', want -1, '%s'", x, rc,
		      err->msg, msg);
		CHECK(rt->oif == 0, "%u: oif %u on a failure", x, rt->oif);
		return true;
	}
	CHECK(rc == 0, "%u: rc %d (%s)", x, rc, err->msg);
	if (zlb_addr_is_v4(dst)) {
		union zlb_addr gw = zlb_addr_v4(htonl(0x0a000100u | x));
		union zlb_addr src = zlb_addr_v4(htonl(0x0a000200u | x));

		CHECK(rt->oif == x && zlb_addr_equal(&rt->gateway, &gw) &&
		      zlb_addr_equal(&rt->prefsrc, &src), "%u: another host's route (oif %u)", x,
		      rt->oif);
	} else {
		CHECK(rt->oif == 1000u + x, "%u (IPv6): oif %u", x, rt->oif);
	}
	return true;
}

/* 32000 questions about 32 addresses of each family (500 rounds): 64 calls,
 * one per address, and every answer right. */
static bool test_once_each(void)
{
	struct zlb_route_memo m;
	struct fake f = {};
	struct zlb_err err;
	bool ok = true;

	CHECK(!zlb_route_memo_init(&m, 32000, fake_lookup, &f, &err), "init: %s", err.msg);
	for (int round = 0; round < 500 && ok; round++)
		for (__u8 x = 1; x <= 32 && ok; x++) {
			union zlb_addr a = v4(x), b = v6(x);
			struct zlb_route_info rt;
			int rc;

			err.msg[0] = 0;
			rc = zlb_route_memo_get(&m, &a, &rt, &err);
			ok = answer_ok(&a, rc, &rt, &err);
			err.msg[0] = 0;
			rc = zlb_route_memo_get(&m, &b, &rt, &err);
			ok = ok && answer_ok(&b, rc, &rt, &err);
		}
	zlb_route_memo_free(&m);
	if (!ok)
		return false;
	CHECK(f.calls == 64, "%u lookups for 64 addresses", f.calls);
	for (int x = 1; x <= 32; x++)
		CHECK(f.calls_for[x] == 2, "address %d asked %u times, once per family", x,
		      f.calls_for[x]);
	return true;
}

/* Sized for 4, asked about 200: still right each time; what it could not
 * keep is asked again, what it kept is not. */
static bool test_beyond_size(void)
{
	struct zlb_route_memo m;
	struct fake f = {};
	struct zlb_err err;
	unsigned first;

	CHECK(!zlb_route_memo_init(&m, 4, fake_lookup, &f, &err), "init: %s", err.msg);
	for (int round = 0; round < 2; round++) {
		for (int x = 1; x <= 200; x++) {
			union zlb_addr a = v4(x);
			struct zlb_route_info rt;
			int rc = zlb_route_memo_get(&m, &a, &rt, &err);

			if (!answer_ok(&a, rc, &rt, &err)) {
				zlb_route_memo_free(&m);
				return false;
			}
		}
		if (round == 0)
			first = f.calls;
	}
	CHECK(m.used <= m.cap / 2, "%zu kept in %zu slots", m.used, m.cap);
	zlb_route_memo_free(&m);
	CHECK(first == 200, "first round: %u lookups for 200 addresses", first);
	CHECK(f.calls - first == 200 - (unsigned)m.used,
	      "second round: %u lookups, want %u (200 less the %zu kept)", f.calls - first,
	      200 - (unsigned)m.used, m.used);
	return true;
}

/* A failure is kept with its own message, not the last one seen. */
static bool test_failure_kept(void)
{
	struct zlb_route_memo m;
	struct fake f = {};
	struct zlb_err err;
	union zlb_addr a = v4(14), b = v4(21), c = v4(3);
	struct zlb_route_info rt;
	bool ok;

	CHECK(!zlb_route_memo_init(&m, 8, fake_lookup, &f, &err), "init: %s", err.msg);
	ok = answer_ok(&a, zlb_route_memo_get(&m, &a, &rt, &err), &rt, &err) &&
	     answer_ok(&b, zlb_route_memo_get(&m, &b, &rt, &err), &rt, &err) &&
	     answer_ok(&c, zlb_route_memo_get(&m, &c, &rt, &err), &rt, &err);
	strcpy(err.msg, "something else");
	ok = ok && answer_ok(&a, zlb_route_memo_get(&m, &a, &rt, &err), &rt, &err);
	zlb_route_memo_free(&m);
	if (!ok)
		return false;
	CHECK(f.calls == 3, "%u lookups for 3 addresses", f.calls);
	return true;
}

int main(void)
{
	report("route memo: one lookup per address, every answer right", test_once_each());
	report("route memo: asked beyond its size, still right", test_beyond_size());
	report("route memo: a failure kept with its own message", test_failure_kept());
	return tap_summary("test_resolve");
}
