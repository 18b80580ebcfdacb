/* SPDX-License-Identifier: GPL-2.0 */
/* Resolving a config model against the kernel: what zlb-load (and the
 * packet tests, which fill maps the same way) learn from routes. */
#ifndef ZLB_RESOLVE_H
#define ZLB_RESOLVE_H

#include <stdbool.h>
#include <linux/types.h>

#include "config.h"
#include "netlink.h"

/* Per backend of @cfg (services, then their backends, in config order):
 * @src, what its map entry holds -- the configured source, else zeros when
 * the FIB gives it (@fib_src), else the source of the kernel's route to
 * it; @snat, the address it will use in any case (zeros when unknown).
 * Fails, naming file, line and backend, when a backend needs a route's
 * source and has none. */
int zlb_resolve_sources(struct zlb_nl *nl, const struct zlb_config *cfg, bool fib_src,
			union zlb_addr *src, union zlb_addr *snat, struct zlb_err *err);

/* The kernel's routes by destination, asked once each for the time of one
 * load: backends share addresses (a host serves many services), and a big
 * config would otherwise spend its load on a netlink round trip per
 * backend. A failure is kept too, with its message. @lookup answers as
 * zlb_nl_route_get() does (zlb_route_memo_init_nl() uses it). */
typedef int (*zlb_route_lookup_fn)(void *ctx, const union zlb_addr *dst,
				   struct zlb_route_info *out, struct zlb_err *err);

struct zlb_route_memo_slot;

struct zlb_route_memo {
	zlb_route_lookup_fn lookup;
	void *ctx;
	size_t cap;                  /* slots: a power of two, over twice @n */
	size_t used;
	struct zlb_route_memo_slot *slot;
};

/* Room for @n destinations: asked for more, get() asks the kernel each
 * time without keeping the answer. */
int zlb_route_memo_init(struct zlb_route_memo *m, size_t n, zlb_route_lookup_fn lookup,
			void *ctx, struct zlb_err *err);
int zlb_route_memo_init_nl(struct zlb_route_memo *m, size_t n, struct zlb_nl *nl,
			   struct zlb_err *err);
void zlb_route_memo_free(struct zlb_route_memo *m);
/* zlb_nl_route_get(), answered from the memo when @dst was asked before. */
int zlb_route_memo_get(struct zlb_route_memo *m, const union zlb_addr *dst,
		       struct zlb_route_info *out, struct zlb_err *err);

#endif
