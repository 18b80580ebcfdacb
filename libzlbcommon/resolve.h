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

#endif
