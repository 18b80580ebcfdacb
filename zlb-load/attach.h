/* SPDX-License-Identifier: GPL-2.0 */
/* Putting zon-lb's XDP program on an interface, replacing an older one in
 * place, and taking it off again -- through libxdp, with the kernel's
 * atomic replace where libxdp cannot do it. */
#ifndef ZLB_ATTACH_H
#define ZLB_ATTACH_H

#include <stdbool.h>
#include <xdp/libxdp.h>

#include "log.h"

enum zlb_xdp_kind {
	ZLB_XDP_NONE,         /* no XDP program */
	ZLB_XDP_OURS_SINGLE,  /* zon-lb attached alone (no dispatcher) */
	ZLB_XDP_OURS_MULTI,   /* zon-lb inside libxdp's dispatcher */
	ZLB_XDP_DISPATCHER,   /* libxdp's dispatcher without zon-lb */
	ZLB_XDP_OTHER,        /* another program attached alone */
};

struct zlb_xdp_state {
	enum zlb_xdp_kind kind;
	enum xdp_attach_mode mode;
	unsigned char tag[8];
	__u32 prog_id;        /* ours: the attached program */
	char name[64];        /* the other program's name (ZLB_XDP_OTHER) */
};

int zlb_xdp_query(int ifindex, struct zlb_xdp_state *st, struct zlb_err *err);

/* Whether program @prog_id uses map @map_id: a zon-lb program of the same
 * build may still work on other maps (pinned elsewhere, or by a load whose
 * pins were removed). For the XDP and the tc program alike. */
bool zlb_prog_uses_map(__u32 prog_id, __u32 map_id);

struct zlb_attacher {
	struct xdp_program *fresh;   /* libxdp program for interfaces without zon-lb */
	int loaded_fd;               /* our program, loaded as plain XDP, for replace */
	unsigned char tag[8];
	__u32 ct_map_id;             /* the pinned connection table's map id */
	enum xdp_attach_mode mode;   /* for new attachments */
};

/* Attach to @ifindex according to its current @st. *@changed says whether
 * anything was done (false: the same program already runs there); @how
 * describes the result for the user. */
int zlb_xdp_attach(struct zlb_attacher *a, int ifindex, const char *ifname,
		   const struct zlb_xdp_state *st, bool *changed,
		   char *how, size_t howlen, struct zlb_err *err);

/* Take zon-lb off @ifindex (nothing else). */
int zlb_xdp_detach(int ifindex, const char *ifname, struct zlb_err *err);

#endif
