/* SPDX-License-Identifier: GPL-2.0 */
/* The hook the data plane is built for: XDP (zlb.bpf.o) or, with -DZLB_TC,
 * a tc (clsact, direct-action) program (zlb_tc.bpf.o). Both headers give the
 * same small set of ctx_* helpers; the packet path uses nothing else of
 * its hook. */
#ifndef ZLB_CTX_H
#define ZLB_CTX_H

#ifdef ZLB_TC
#include "ctx_tc.h"
#else
#include "ctx_xdp.h"
#endif

#endif
