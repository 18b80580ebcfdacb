/* SPDX-License-Identifier: GPL-2.0 */
/* Putting zon-lb's tc program on the clsact ingress hook of an interface,
 * replacing an older one in place, and taking it off again -- through
 * libbpf's tc API (cls_bpf, direct-action). zon-lb owns one filter slot
 * per interface, a fixed handle and priority: a new program replaces the
 * one there atomically, so zon-lb's filters never stack. */
#ifndef ZLB_ATTACH_TC_H
#define ZLB_ATTACH_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "log.h"
#include "netlink.h"

#define ZLB_TC_HANDLE   0x7a6c   /* "zl" */
#define ZLB_TC_PRIORITY 0x7a6c   /* tc's "pref 31340" */

enum zlb_tc_kind {
	ZLB_TC_NONE,          /* nothing at zon-lb's slot (or no clsact qdisc) */
	ZLB_TC_OURS,          /* a zon-lb tc program */
	ZLB_TC_OTHER,         /* someone else's filter at zon-lb's slot or priority */
};

struct zlb_tc_state {
	enum zlb_tc_kind kind;
	unsigned char tag[8];
	__u32 prog_id;
	char name[64];        /* what the other filter is (ZLB_TC_OTHER) */
};

/* What sits at zon-lb's slot of @ifindex's ingress hook. */
int zlb_tc_query(struct zlb_nl *nl, int ifindex, struct zlb_tc_state *st,
		 struct zlb_err *err);

struct zlb_tc_attacher {
	int prog_fd;                 /* the loaded tc program */
	unsigned char tag[8];
	__u32 ct_map_id;             /* the pinned connection table's map id */
};

/* Attach to @ifindex according to its current @st. *@changed says whether
 * anything was done (false: the same program already runs there);
 * *@made_qdisc whether this call created the clsact qdisc. @how describes
 * the result for the user. */
int zlb_tc_attach(const struct zlb_tc_attacher *a, int ifindex,
		  const struct zlb_tc_state *st, bool *changed, bool *made_qdisc,
		  char *how, size_t howlen, struct zlb_err *err);

/* Take zon-lb's tc program off @ifindex (nothing else: other filters and
 * the clsact qdisc stay). *@was says whether it was there. */
int zlb_tc_detach(struct zlb_nl *nl, int ifindex, bool *was, struct zlb_err *err);

/* Remove the clsact qdisc of @ifindex, with whatever filters it holds:
 * only for one zlb_tc_attach() has just created, when the load fails. */
void zlb_tc_remove_qdisc(int ifindex);

#endif
